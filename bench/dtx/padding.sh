#!/usr/bin/env bash
# What size-class padding costs and hides: 10 s of espeak-ng speech then 10 s
# of a -55 dBFS quiet room, through wzpvoiceenc (dtx on, as a call sends) !
# wzpfecenc ! wzpencrypt padding=N (dtx_wire_bytes), at the good and
# degraded tiers' settings, for N = 0 (none), 32, 64 and 128. The table rows
# are bytes and packets per second; stderr says how many distinct packet
# sizes each half showed.
#
# Usage: bench/dtx/padding.sh   (WZP_BUILD_DIR defaults to build/; build the
# dtx_wire_bytes target first). Needs espeak-ng and sox.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
tool="$build/bench/dtx/dtx_wire_bytes"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(umask 077 && head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$work/key")

espeak-ng -s 150 -w "$work/speech.wav" \
  "The storm took the north road out last night. We are moving the supplies to the \
school before noon. Can you hear me? Say again, the line is breaking up."
sox "$work/speech.wav" -r 48000 -c 1 -b 16 "$work/digital.wav" trim 0 10 pad 0 10
# Uniform white noise of amplitude v has RMS v / sqrt(3): 0.00308 is -55 dBFS.
sox -n -r 48000 -c 1 -b 16 "$work/room.wav" synth 20 whitenoise vol 0.00308
sox -m -v 1 "$work/digital.wav" -v 1 "$work/room.wav" "$work/noisy.wav"

good_fec="block-size=5 repair-ratio=0.4 interleave-depth=1 max-block-time=100000000"
degraded_fec="block-size=3 repair-ratio=2.0 interleave-depth=1 max-block-time=120000000"
voice="audio/x-raw,rate=48000,channels=1 ! wzpvoiceenc codec=opus dtx=true"

echo "| run | half | codec B/s | codec frames/s | wzp packets/s | wzp packet B/s | on the wire kbit/s |"
echo "|---|---|---|---|---|---|---|"
for padding in 0 32 64 128; do
  "$tool" "good (Opus 24k/20 ms), padding $padding" "$work/noisy.wav" \
    "$voice bitrate=24000 frame-duration=20" "$good_fec" "$work/key" --padding=$padding
  "$tool" "degraded (Opus 6k/40 ms), padding $padding" "$work/noisy.wav" \
    "$voice bitrate=6000 frame-duration=40" "$degraded_fec" "$work/key" --padding=$padding
done
