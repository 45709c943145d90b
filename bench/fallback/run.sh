#!/usr/bin/env bash
# The TLS fallback against QUIC on the same impaired path (docs/fallback.md).
# Two network namespaces joined by wzp_tun_impair (this kernel has no netem):
# a TUN device in each, every IP packet between them, TCP and UDP alike,
# through libwzp/netsim's seeded model (default loss=0.05,delay=150ms each
# way: 300 ms RTT, 5 % random loss; run N uses seed N, the same path for
# both transports). wzp-signald and an echo answerer (wzp answer --echo) sit
# on the server side, whose leg to the daemon is clean; the caller runs
#   wzp echo-test @echo --in SPEECH.wav
# on the client side, over QUIC, then with every UDP packet it sends dropped
# (nftables), so it falls back to TLS. Prints, per run, the echo's round trip
# (our input to its echo playing here: mouth to ear twice, the impaired leg
# both ways), frames played from real data and concealed, and per transport
# min / median / max over the runs.
#
# Usage (root): bench/fallback/run.sh [--runs N] [--spec SPEC]
#   3 runs of each (about 4 minutes of wall time, little CPU).
# Builds nothing: WZP_BUILD_DIR (default build/) must hold client/wzp,
# signald/wzp-signald, bench/fallback/wzp_tun_impair and gst-plugins/.
# Needs espeak-ng, iproute2, nftables.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${WZP_BUILD_DIR:-$here/../../build}" && pwd)
runs=3
spec=loss=0.05,delay=150ms
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --spec) spec=$2; shift 2 ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

wzp=$build/client/wzp
signald=$build/signald/wzp-signald
impair=$build/bench/fallback/wzp_tun_impair
export GST_PLUGIN_PATH=$build/gst-plugins WZP_PASSPHRASE=p
srv=wzpfb-$$-srv
cli=wzpfb-$$-cli
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$srv" 2>/dev/null || true
  ip netns del "$cli" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$srv"
ip netns add "$cli"
# The link: one impairer per run (its seed), devices moved into the namespaces.
start_link() {
  "$impair" fbc$$ fbs$$ "$spec,seed=$1" >"$work/impair.out" 2>"$work/impair-$2.err" &
  impair_pid=$!
  pids+=($impair_pid)
  for _ in $(seq 50); do grep -q ready "$work/impair.out" && break; sleep 0.1; done
  ip link set fbc$$ netns "$cli"
  ip link set fbs$$ netns "$srv"
  ip -n "$cli" addr add 10.99.0.2 peer 10.99.0.1 dev fbc$$
  ip -n "$srv" addr add 10.99.0.1 peer 10.99.0.2 dev fbs$$
  ip -n "$cli" link set fbc$$ up
  ip -n "$srv" link set fbs$$ up
}
stop_link() {
  kill "$impair_pid"
  wait "$impair_pid" 2>/dev/null || true
}
for ns in "$srv" "$cli"; do ip -n "$ns" link set lo up; done
start_link 0 setup

speech="Hello, this is a test of a call through a network that drops packets and\
 holds every one of them for a while. We keep talking, and the echo comes back."
espeak-ng -w "$work/speech.wav" "$speech $speech $speech"

# All addresses: the link (and 10.99.0.1) is made anew for every run.
ip netns exec "$srv" "$signald" --listen 0.0.0.0:4433 --http 127.0.0.1:0 \
  --tls-listen 0.0.0.0:4443 --database "$work/signald.db" >"$work/signald.out" 2>"$work/signald.err" &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$work/signald.out" && break; sleep 0.1; done
pin=$(sed -n 's/.*cert_sha256=\([^ ]*\).*/\1/p' "$work/signald.out")
[ -n "$pin" ] || { echo "wzp-signald did not start" >&2; cat "$work/signald.err" >&2; exit 1; }
export WZP_SERVER=10.99.0.1:4433 WZP_SERVER_FINGERPRINT=$pin WZP_SERVER_TLS_PORT=4443

WZP_IDENTITY=$work/echo.id "$wzp" id new >/dev/null 2>&1
WZP_IDENTITY=$work/caller.id "$wzp" id new >/dev/null 2>&1

block_udp() {
  ip netns exec "$cli" nft add table inet fb
  ip netns exec "$cli" nft add chain inet fb out '{ type filter hook output priority 0 ; }'
  ip netns exec "$cli" nft add rule inet fb out oifname "fbc$$" meta l4proto udp drop
}

results=$work/results
for transport in ${WZP_FALLBACK_TRANSPORTS:-quic tls}; do
  [ "$transport" = tls ] && block_udp
  for run in $(seq "$runs"); do
    stop_link
    start_link "$run" "$transport-$run"
    alias=echo  # the same identity keeps its alias from run to run
    WZP_IDENTITY=$work/echo.id WZP_SERVER=127.0.0.1:4433 ip netns exec "$srv" "$wzp" answer --echo --auto-answer \
      --alias "$alias" >"$work/echo.out" 2>&1 &
    echo_pid=$!
    pids+=($echo_pid)
    for _ in $(seq 100); do grep -q "signed in" "$work/echo.out" && break; sleep 0.1; done
    out=$work/$transport-$run.out
    WZP_IDENTITY=$work/caller.id ip netns exec "$cli" "$wzp" echo-test "@$alias" \
      --in "$work/speech.wav" >"$out" 2>&1 || true
    kill "$echo_pid" 2>/dev/null || true
    wait "$echo_pid" 2>/dev/null || true
    rtt=$(sed -n 's/.*echo round trip *\([0-9]*\) ms.*/\1/p' "$out")
    played=$(sed -n 's/.*frames played *\([0-9]*\) from real data, \([0-9]*\) concealed.*/\1 \2/p' "$out")
    via=$(sed -n 's/.*daemon transport *\(.*\)$/\1/p' "$out")
    [ -n "$rtt" ] || { echo "$transport run $run failed:" >&2; tail -5 "$out" >&2; }
    echo "$transport run $run: via ${via:-?}, echo round trip ${rtt:-?} ms, frames played/concealed ${played:-?}"
    echo "$transport ${rtt:-nan} ${played:-nan nan}" >>"$results"
  done
done

python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    t, rtt, played, concealed = line.split()
    rows.setdefault(t, []).append((float(rtt), float(played), float(concealed)))
print("| transport | echo round trip, ms (min / median / max) | played from real data, % (min / median / max) |")
print("|---|---|---|")
for t, r in rows.items():
    rtts = sorted(x[0] for x in r)
    share = sorted(100 * x[1] / (x[1] + x[2]) if x[1] + x[2] else float("nan") for x in r)
    print(f"| {t} | {rtts[0]:.0f} / {statistics.median(rtts):.0f} / {rtts[-1]:.0f} "
          f"| {share[0]:.1f} / {statistics.median(share):.1f} / {share[-1]:.1f} |")
PY
