#!/usr/bin/env bash
# The sending half of a call over QUIC, live, in one gst-launch pipeline:
#
#   live sine tone -> Opus (20 ms frames) -> wzpfecenc
#     -> wzpquicsink role=client (server pinned by its certificate fingerprint)
#
# Each wzp packet rides one QUIC DATAGRAM. The fingerprint comes from
# DIR/fingerprint, written by pipelines/quic-recv.sh (or set
# WZP_QUIC_FINGERPRINT). With IMPAIR set, the packets first go through
# tools/wzp-impair (this kernel has no netem) with that spec in both
# directions, e.g. IMPAIR='loss=0.3,delay=150ms' for 30 % loss and 300 ms RTT.
# At the end it prints wzpquicsink's final counters: sent, acked, lost,
# dropped as stale, RTT. Congestion control is BBRv2 unless CC=cubic: at
# 30 % random loss a loss-based controller shrinks the window below what
# even one audio stream needs, and the queue then drops frames as stale.
#
# Usage: pipelines/quic-send.sh [HOST] [PORT] [SECONDS]
#        (defaults 127.0.0.1, 4433, 10; WZP_BUILD_DIR defaults to build/)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
dir=${WZP_QUIC_DIR:-$build/quic-demo}
host=${1:-127.0.0.1}
port=${2:-4433}
seconds=${3:-10}
fingerprint=${WZP_QUIC_FINGERPRINT:-$(cat "$dir/fingerprint")}

log=$(mktemp)
impair_pid=
cleanup() {
  if [ -n "$impair_pid" ]; then
    sleep 1  # let the delayed CONNECTION_CLOSE through before the relay goes
    kill "$impair_pid" 2>/dev/null
  fi
  rm -f "$log"
}
trap cleanup EXIT
if [ -n "${IMPAIR:-}" ]; then
  relay_port=$((port + 1))
  "$build/tools/wzp-impair/wzp-impair" --listen "127.0.0.1:$relay_port" \
    --upstream "$host:$port" --up "$IMPAIR" --down "$IMPAIR" --interval 0 &
  impair_pid=$!
  sleep 0.5
  host=127.0.0.1
  port=$relay_port
  echo "through wzp-impair ($IMPAIR) on UDP $relay_port"
fi

# 50 Opus frames per second; wzpfecenc turns each into a wzp packet
# (plus repair packets) and wzpquicsink sends each as one datagram.
GST_DEBUG=wzpquicsink:4 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q \
  audiotestsrc is-live=true num-buffers=$((seconds * 50)) samplesperbuffer=960 freq=440 \
  ! audio/x-raw,rate=48000,channels=1 ! opusenc frame-size=20 ! wzpfecenc \
  ! wzpquicsink role=client address="$host" port="$port" server-fingerprint="$fingerprint" \
    congestion-control="${CC:-bbr2}" \
  2>"$log" || { grep -E 'ERROR|error' "$log" >&2; exit 1; }

grep -o 'final statistics: .*' "$log" | tail -1 | sed 's/application\/x-wzp-quic-stats, //'
