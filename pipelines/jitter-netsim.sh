#!/usr/bin/env bash
# The receive half of a call over a jittery, lossy path, live, in one
# gst-launch pipeline:
#
#   live sine tone -> Opus (20 ms) -> wzpfecenc -> netsim (random delay
#   MIN..MAX ms per packet, reordering allowed, LOSS % dropped)
#   -> wzpfecdec -> wzpjitterbuffer -> opusdec plc=true -> audio sink (synced)
#
# What it shows: wzpfecdec rebuilds the lost frames, wzpjitterbuffer puts the
# reordered ones back in order and plays them at a delay it learns from the
# path (its target settles just above MAX - MIN), and whatever is still
# missing reaches opusdec as a GAP event that it conceals. The script prints
# both elements' end-of-stream statistics and checks that every frame was
# either played or concealed.
#
# Usage: pipelines/jitter-netsim.sh [MIN_MS] [MAX_MS] [LOSS_%] [output.wav]
#        (WZP_BUILD_DIR defaults to build/; without output.wav the audio is
#        discarded in real time by a synced fakesink)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

min=${1:-20}
max=${2:-120}
loss=${3:-10}
out=${4:-}
frames=500

if [ -n "$out" ]; then
  sink=(wavenc ! filesink location="$out")
else
  sink=(fakesink sync=true)
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
GST_DEBUG=wzpfecdec:4,wzpjitterbuffer:4 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q \
  audiotestsrc is-live=true num-buffers=$frames samplesperbuffer=960 \
  ! audio/x-raw,rate=48000,channels=1 ! opusenc frame-size=20 \
  ! wzpfecenc \
  ! netsim min-delay="$min" max-delay="$max" delay-probability=1.0 allow-reordering=true \
    drop-probability="$(echo "scale=2; $loss / 100" | bc)" \
  ! wzpfecdec ! wzpjitterbuffer ! opusdec plc=true ! "${sink[@]}" 2>"$log"

field() { grep -o "$1: .*" "$log" | tail -1; }
fec=$(field 'wzpfecdec0> end of stream')
jitter=$(field 'wzpjitterbuffer0> end of stream')
echo "wzpfecdec: ${fec#*end of stream: }"
echo "wzpjitterbuffer: ${jitter#*end of stream: }"
count() { echo "$jitter" | grep -o " $1=(guint64)[0-9]*" | grep -o '[0-9]*$'; }
played=$(count played)
concealed=$(count concealed)
echo "delay $min-$max ms, loss $loss %: $played of $frames frames played," \
  "$concealed concealed, target delay $(($(count target-delay) / 1000000)) ms"
# Frames the FEC decoder never delivered and that never got a sequence
# number after them (the very end) are neither played nor concealed.
if [ $((played + concealed)) -lt $((frames - 10)) ]; then
  echo "FAIL: too many frames neither played nor concealed" >&2
  exit 1
fi
