# What the bench/live shell scripts share; sourced with $build, $seeds and
# $parallel set. Makes $work, a scratch directory removed on exit with the
# daemon start_signald started.

work=$(mktemp -d)
daemon=
cleanup() {
  [ -z "$daemon" ] || { kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; } || true
  rm -rf "$work"
}
trap cleanup EXIT

# A real wzp-signald on loopback, its database in $work: sets $daemon (its
# pid), $port and $pin (its certificate's SHA-256).
start_signald() {
  "$build/signald/wzp-signald" --listen 127.0.0.1:0 --http 127.0.0.1:0 --database "$work/db" \
    >"$work/signald.log" 2>&1 &
  daemon=$!
  for _ in $(seq 100); do grep -q 'ready quic' "$work/signald.log" && break; sleep 0.1; done
  port=$(grep -o 'quic=[^ ]*' "$work/signald.log" | sed 's/.*://')
  pin=$(grep -o 'cert_sha256=[^ ]*' "$work/signald.log" | cut -d= -f2)
  [ -n "$port" ] || { cat "$work/signald.log" >&2; exit 1; }
}

# for_each_seed FUNCTION SPEC RESULTS: runs `FUNCTION SPEC SEED NAME` for
# seeds 1..$seeds, $parallel at a time (NAME unique to the run), and
# collects what they print in RESULTS.
for_each_seed() {
  local run=$1 spec=$2 results=$3 pids=() seed
  : >"$results"
  for seed in $(seq "$seeds"); do
    "$run" "$spec" "$seed" "s$seed$RANDOM" >>"$results" &
    pids+=($!)
    if [ ${#pids[@]} -eq "$parallel" ]; then wait "${pids[@]}"; pids=(); fi
  done
  [ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
}
