#!/usr/bin/env bash
# A two-party call with and without video, as users run it: wzp-signald and
# two `wzp` processes (bob answers, alice calls @bob through --network),
# both sending speech and, in the video calls, a moving test pattern at
# 640x360, 15 frames/s (`--video --video-in pattern`). Per call it prints
# what each side played of the other's speech, the video each showed, and
# each process's CPU time (user + system), so the audio of a call with video
# can be set beside the same call without, and the relay's count of keyframe
# requests forwarded.
#
#   bench/video/call.sh [REPETITIONS] [NETWORK]     defaults: 3, loss=0.1
#   bench/video/call.sh 1 loss=0.3,seed=2           (netsim's --network spec)
#
# Run from the source tree after scripts/build.sh; the order of the two
# calls alternates between repetitions.
set -euo pipefail
cd "$(dirname "$0")/../.."

reps=${1:-3}
network=${2:-loss=0.1}
out=build/bench-video-call
rm -rf "$out"
mkdir -p "$out"
espeak-ng -w "$out/alice.wav" \
  "This is alice calling bob through the relay. The quick brown fox jumps over the lazy \
dog, and forward error correction puts back what the network lost."
espeak-ng -w "$out/bob.wav" \
  "Hello alice, this is bob answering. I will keep talking for a while, longer than you, \
so that you are the one who hangs up. One, two, three, four, five, six, seven, eight, \
nine, ten. And once more: one, two, three, four, five, six, seven, eight, nine, ten."

export GST_PLUGIN_PATH="$PWD/build/gst-plugins" WZP_PASSPHRASE=bench SVT_LOG=1
daemon="" bob=""
trap '[ -n "$bob" ] && kill "$bob" 2>/dev/null; [ -n "$daemon" ] && kill "$daemon" 2>/dev/null; true' EXIT

. scripts/local_daemon.sh
start_local_daemon "$out"
for who in alice bob; do WZP_IDENTITY="$out/$who.id" build/client/wzp id new >/dev/null; done

# One call: $1 is "audio" or "video", $2 the log prefix.
one_call() {
  local kind=$1 log=$2 video=()
  [ "$kind" = video ] && video=(--video --video-in pattern)
  WZP_IDENTITY="$out/bob.id" /usr/bin/time -f "cpu %U user %S system" \
    build/client/wzp answer --auto-answer --alias bob --in "$out/bob.wav" \
    --out "$out/at_bob.wav" ${video[@]+"${video[@]}"} \
    ${video[@]+--video-out "$log-bob.mkv"} >"$log-bob.log" 2>&1 &
  bob=$!
  for _ in $(seq 200); do grep -q "signed in" "$log-bob.log" && break; sleep 0.1; done
  WZP_IDENTITY="$out/alice.id" /usr/bin/time -f "cpu %U user %S system" \
    build/client/wzp call @bob --network "$network" --in "$out/alice.wav" \
    --out "$out/at_alice.wav" ${video[@]+"${video[@]}"} \
    ${video[@]+--video-out "$log-alice.mkv"} >"$log-alice.log" 2>&1
  wait "$bob" && bob=""
  # The relay's count of keyframe requests passed on (copies included, since
  # the daemon started: this and the calls before).
  echo "  relay: $(curl -s "http://$daemon_http/metrics" |
    grep -E '^wzp_signald_keyframe_requests_forwarded_total')"
  for side in alice bob; do
    echo "  $side: $(grep -E '^  frames played' "$log-$side.log" | sed -E 's/ +/ /g')"
    { grep -E '^  video (received|sent)' "$log-$side.log" || true; } | sed -E "s/^ +/    /; s/ +/ /g"
    echo "    $(grep -E '^cpu ' "$log-$side.log")"
  done
}

echo "network: $network; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq "$reps"); do
  order=(audio video)
  [ $((rep % 2)) -eq 0 ] && order=(video audio)
  for kind in "${order[@]}"; do
    echo "repetition $rep, $kind"
    one_call "$kind" "$out/$rep-$kind"
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
