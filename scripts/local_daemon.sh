# Sourced by scripts that need a daemon of their own (scripts/demo.sh,
# bench/video/call.sh). start_local_daemon DIR starts build/'s wzp-signald
# on loopback (free ports, its store and log in DIR), sets `daemon` to its
# pid (the caller's trap kills it) and `daemon_http` to its HTTP API's
# address, and exports WZP_SERVER and WZP_SERVER_FINGERPRINT from its ready
# line; exits with the log if the daemon is not ready within 10 s.
start_local_daemon() {
  local dir=$1 ready
  build/signald/wzp-signald --listen 127.0.0.1:0 --http 127.0.0.1:0 \
    --database "$dir/signald.db" >"$dir/signald.log" 2>&1 &
  daemon=$!
  for _ in $(seq 100); do grep -q "wzp-signald ready" "$dir/signald.log" && break; sleep 0.1; done
  ready=$(grep "wzp-signald ready" "$dir/signald.log") || {
    cat "$dir/signald.log"
    exit 1
  }
  WZP_SERVER=$(sed -E 's/.* quic=([^ ]+).*/\1/' <<<"$ready")
  WZP_SERVER_FINGERPRINT=$(sed -E 's/.* cert_sha256=([^ ]+).*/\1/' <<<"$ready")
  daemon_http=$(sed -E 's/.* http=([^ ]+).*/\1/' <<<"$ready")
  export WZP_SERVER WZP_SERVER_FINGERPRINT
}
