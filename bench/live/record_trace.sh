#!/usr/bin/env bash
# Records a call trace (libwzp/trace/call_trace.hpp) of the call issue 12's
# test runs: a real wzp-signald, bob answering, alice calling him with half
# of her packets lost in bursts both ways. Bob's trace holds his controller's
# inputs and decisions and every frame of alice's speech reaching his jitter
# buffer; tests/unit/trace replays the one kept in tests/data/traces.
#
# Usage: bench/live/record_trace.sh OUT.trace [SPEC]
#   SPEC default: loss=0.5,burst=3,delay=150ms,jitter=20ms,rate=200kbps,seed=3
# Builds nothing: WZP_BUILD_DIR (default build/) must hold client/wzp and
# signald/wzp-signald. Needs espeak-ng. About 30 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${WZP_BUILD_DIR:-$here/../../build}" && pwd)
[ $# -ge 1 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
out=$(realpath -m "$1")
spec=${2:-loss=0.5,burst=3,delay=150ms,jitter=20ms,rate=200kbps,seed=3}

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

speech="Hello, this is a test of a call over a hostile network. We keep talking while\
 packets are lost in bursts, and the other side should hear every word of it."
espeak-ng -w "$work/alice.wav" "$speech $speech"
espeak-ng -w "$work/bob.wav" "$speech $speech $speech"

"$build/signald/wzp-signald" --listen 127.0.0.1:0 --http 127.0.0.1:0 --database "$work/db" \
  >"$work/signald.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q 'ready quic' "$work/signald.log" && break; sleep 0.1; done
port=$(grep -o 'quic=[^ ]*' "$work/signald.log" | sed 's/.*://')
pin=$(grep -o 'cert_sha256=[^ ]*' "$work/signald.log" | cut -d= -f2)
[ -n "$port" ] || { cat "$work/signald.log" >&2; exit 1; }
export WZP_PASSPHRASE=p WZP_SERVER=127.0.0.1:$port WZP_SERVER_FINGERPRINT=$pin

WZP_IDENTITY=$work/bob.id "$build/client/wzp" id new >/dev/null 2>&1
WZP_IDENTITY=$work/alice.id "$build/client/wzp" id new >/dev/null 2>&1
WZP_IDENTITY=$work/bob.id "$build/client/wzp" answer --alias bob --auto-answer \
  --in "$work/bob.wav" --out "$work/at_bob.wav" --trace "$out" >"$work/bob.out" 2>"$work/bob.err" &
bob=$!
pids+=($bob)
for _ in $(seq 100); do grep -q '^signed in' "$work/bob.err" && break; sleep 0.1; done
WZP_IDENTITY=$work/alice.id timeout 90 "$build/client/wzp" call @bob --network "$spec" \
  --in "$work/alice.wav" --out "$work/at_alice.wav" >"$work/alice.out" 2>"$work/alice.err" ||
  { cat "$work/alice.err" >&2; exit 1; }
wait "$bob" || { cat "$work/bob.err" >&2; exit 1; }
echo "bob, recorded in $out:"
cat "$work/bob.out"
