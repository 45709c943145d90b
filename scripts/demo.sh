#!/usr/bin/env bash
# The demo: installs what wzp needs, builds it, then makes a call to
# yourself through a simulated war-zone network (bursty loss, long round
# trips, a bandwidth cap) and writes what the far end heard to a WAV file.
#
#   scripts/demo.sh [NETWORK] [TIER]     e.g. scripts/demo.sh warzone degraded
#
# NETWORK is a profile (clean, lossy, warzone, satellite, congested) or a
# spec like 'loss=0.3,burst=3,delay=150ms,rate=200kbps'; see `wzp loopback --help`.
set -euo pipefail
cd "$(dirname "$0")/.."

network=${1:-warzone}
tier=${2:-degraded}

scripts/setup.sh
scripts/build.sh

out=build/demo
mkdir -p "$out"
espeak-ng -w "$out/speech.wav" \
  "This is a wzp call through a hostile network. Packets are lost in bursts, \
and every round trip takes the better part of a second. Forward error \
correction rebuilds what the network threw away, and the jitter buffer hides \
the rest."

export GST_PLUGIN_PATH="$PWD/build/gst-plugins"
build/client/wzp loopback --network "$network" --tier "$tier" \
  --in "$out/speech.wav" --out "$out/received.wav"
echo
echo "sent:     $out/speech.wav"
echo "received: $out/received.wav   (listen: play $out/received.wav)"
