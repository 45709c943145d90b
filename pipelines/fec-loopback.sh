#!/usr/bin/env bash
# FEC round trip in one gst-launch pipeline:
#
#   audiotestsrc -> opusenc (20 ms frames) -> wzpfecenc -> identity dropping
#     LOSS % of the packets at random -> wzpfecdec -> opusdec -> fakesink
#
# It shows that the frames wzpfecenc protects come out of wzpfecdec even
# though a large share of the packets between them were thrown away: the
# script prints wzpfecdec's end-of-stream counters (frames received as sent,
# frames rebuilt from repair symbols, frames given up) and the share of the
# 1000 frames that reached the Opus decoder. Without FEC that share would be
# 100 - LOSS %.
#
# Usage: pipelines/fec-loopback.sh [LOSS] [wzpfecenc properties...]
#   e.g. pipelines/fec-loopback.sh 50 repair-ratio=2.0 interleave-depth=4
# LOSS defaults to 30, the properties to "block-size=10 repair-ratio=1.0".
# WZP_BUILD_DIR defaults to build/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

loss=${1:-30}
shift || true
props=("$@")
[ ${#props[@]} -eq 0 ] && props=(block-size=10 repair-ratio=1.0)
frames=1000

log=$(mktemp)
trap 'rm -f "$log"' EXIT
GST_DEBUG=wzpfecdec:4 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q \
  audiotestsrc num-buffers=$frames samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=1 \
  ! opusenc frame-size=20 ! wzpfecenc max-block-time=1000000000 "${props[@]}" \
  ! identity drop-probability="$(echo "scale=2; $loss / 100" | bc)" \
  ! wzpfecdec ! opusdec ! fakesink 2>"$log"

stats=$(grep -o 'end of stream: .*' "$log" | tail -1)
echo "wzpfecdec: ${stats#end of stream: }"
count() { echo "$stats" | grep -o " $1=(guint64)[0-9]*" | grep -o '[0-9]*$'; }
received=$(count received)
recovered=$(count recovered)
echo "loss $loss %: $((received + recovered)) of $frames frames delivered" \
  "($received received, $recovered recovered)"
