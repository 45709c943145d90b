#!/usr/bin/env bash
# The demo: installs what wzp needs, builds it, starts the signaling daemon
# wzp-signald, and has two users call each other through it. Bob answers;
# alice calls @bob from behind a simulated war-zone network (bursty loss,
# long round trips, a bandwidth cap). Both talk (speech files), both see a
# live status line and a summary; what bob heard is written to a WAV file.
# Last, the same call in one process measures mouth-to-ear delay per frame.
#
#   scripts/demo.sh [NETWORK]      e.g. scripts/demo.sh lossy
#
# NETWORK is a profile (clean, lossy, warzone, satellite, congested) or a
# spec like 'loss=0.3,burst=3,delay=150ms,rate=200kbps'; see `wzp call --help`.
set -euo pipefail
cd "$(dirname "$0")/.."

network=${1:-warzone}

scripts/setup.sh
scripts/build.sh

out=build/demo
rm -rf "$out"
mkdir -p "$out"
espeak-ng -w "$out/speech.wav" \
  "This is a wzp call through a hostile network. Packets are lost in bursts, \
and every round trip takes the better part of a second. Forward error \
correction rebuilds what the network threw away, and the jitter buffer hides \
the rest."
espeak-ng -w "$out/bob.wav" \
  "Hello, this is bob. I hear you through the relay. I will keep talking for a \
while, so that you are the one who hangs up. One, two, three, four, five, six, \
seven, eight, nine, ten. And once more: one, two, three, four, five, six, seven, \
eight, nine, ten."

export GST_PLUGIN_PATH="$PWD/build/gst-plugins" WZP_PASSPHRASE=demo
daemon="" bob=""
trap '[ -n "$bob" ] && kill "$bob" 2>/dev/null; [ -n "$daemon" ] && kill "$daemon" 2>/dev/null; true' EXIT

. scripts/local_daemon.sh
start_local_daemon "$out"
echo "wzp-signald at $WZP_SERVER (certificate $WZP_SERVER_FINGERPRINT)"

for who in alice bob; do WZP_IDENTITY="$out/$who.id" build/client/wzp id new >/dev/null; done

WZP_IDENTITY="$out/bob.id" build/client/wzp answer --auto-answer --alias bob \
  --in "$out/bob.wav" --out "$out/received.wav" >"$out/bob.log" 2>&1 &
bob=$!
for _ in $(seq 100); do grep -q "signed in" "$out/bob.log" && break; sleep 0.1; done

echo "== alice calls @bob through --network $network"
WZP_IDENTITY="$out/alice.id" build/client/wzp call @bob --network "$network" \
  --in "$out/speech.wav" --out "$out/alice-heard.wav"
wait "$bob" && bob=""
echo
echo "== bob's side"
grep -v '^tier ' "$out/bob.log"

# Mouth to ear needs one clock at both ends of each frame, which two
# processes do not share: wzp loopback runs the same stack (handshake,
# pipelines, QUIC through the same network) in one process and times every
# frame from encoder input to playout.
echo
echo "== mouth to ear, timed per frame: the same call in one process (wzp loopback)"
build/client/wzp loopback --network "$network" --in "$out/speech.wav" \
  --out "$out/loopback.wav" 2>/dev/null | grep -E "mouth-to-ear|frames played|tier history"
echo
echo "sent:     $out/speech.wav"
echo "received: $out/received.wav   (listen: play $out/received.wav)"
