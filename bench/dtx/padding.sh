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

. "$(dirname "$0")/common.sh"
voice="audio/x-raw,rate=48000,channels=1 ! wzpvoiceenc codec=opus dtx=true"

echo "| run | half | codec B/s | codec frames/s | wzp packets/s | wzp packet B/s | on the wire kbit/s |"
echo "|---|---|---|---|---|---|---|"
for padding in 0 32 64 128; do
  "$tool" "good (Opus 24k/20 ms), padding $padding" "$work/noisy.wav" \
    "$voice bitrate=24000 frame-duration=20" "$good_fec" "$work/key" --padding=$padding
  "$tool" "degraded (Opus 6k/40 ms), padding $padding" "$work/noisy.wav" \
    "$voice bitrate=6000 frame-duration=40" "$degraded_fec" "$work/key" --padding=$padding
done
