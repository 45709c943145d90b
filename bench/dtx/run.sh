#!/usr/bin/env bash
# Bytes on the wire with and without DTX: 10 s of espeak-ng speech then 10 s
# of silence, through encoder ! wzpfecenc ! wzpencrypt (dtx_wire_bytes), for
# Opus at the good and degraded tiers' settings and Codec2 1200 at the
# catastrophic tier's, with dtx off and on, over digital silence and over a
# -55 dBFS white-noise background (a quiet room). "Opus dtx=true + skip" drops
# libopus's one-byte DTX packets before wzpfecenc (the proposed change).
#
# Usage: bench/dtx/run.sh   (WZP_BUILD_DIR defaults to build/; build the
# dtx_wire_bytes target first). Needs espeak-ng and sox.
set -euo pipefail

. "$(dirname "$0")/common.sh"
codec2_fec="block-size=5 repair-ratio=2.0 interleave-depth=4 max-block-time=800000000"
opus_good="audio/x-raw,rate=48000,channels=1 ! opusenc audio-type=voice bitrate=24000 frame-size=20"
opus_degraded="audio/x-raw,rate=48000,channels=1 ! opusenc audio-type=voice bitrate=6000 frame-size=40"
codec2="audio/x-raw,format=S16LE,rate=8000,channels=1 ! wzpcodec2enc mode=1200"

echo "| run | half | codec B/s | codec frames/s | wzp packets/s | wzp packet B/s | on the wire kbit/s |"
echo "|---|---|---|---|---|---|---|"
for background in digital noisy; do
  wav="$work/$background.wav"
  for dtx in false true; do
    "$tool" "Opus 24k/20ms, dtx=$dtx, $background" "$wav" "$opus_good dtx=$dtx" "$good_fec" "$work/key"
    "$tool" "Opus 6k/40ms, dtx=$dtx, $background" "$wav" "$opus_degraded dtx=$dtx" "$degraded_fec" "$work/key"
    "$tool" "Codec2 1200, dtx=$dtx, $background" "$wav" "$codec2 dtx=$dtx" "$codec2_fec" "$work/key"
  done
  "$tool" "Opus 24k/20ms, dtx=true + skip, $background" "$wav" "$opus_good dtx=true" "$good_fec" \
    "$work/key" --skip-opus-dtx
  "$tool" "Opus 6k/40ms, dtx=true + skip, $background" "$wav" "$opus_degraded dtx=true" \
    "$degraded_fec" "$work/key" --skip-opus-dtx
done

echo
echo "| opusenc | DTX packets replaced by GAP | samples that differ | first difference (s) | 2nd half dBFS, all packets | with GAPs |"
echo "|---|---|---|---|---|---|"
for background in digital noisy; do
  for settings in "bitrate=24000 frame-size=20" "bitrate=6000 frame-size=40"; do
    "$build/bench/dtx/opus_dtx_decode" "$work/$background.wav" "$settings audio-type=voice"
  done
done

# The detector against WebRTC's (webrtcdsp voice-detection) on the speech
# sample of tests/unit/audio/espeak_vad_test.cpp.
cat >"$work/pauses.ssml" <<'SSML'
<speak>The storm took the north road out last night. <break time="1500ms"/>We are moving the supplies to the school before noon. <break time="2s"/>Can you hear me? Say again, the line is breaking up. <break time="1200ms"/>Seven, four, nine. Confirm the grid when you are clear. <break time="2500ms"/>Understood. Out.</speak>
SSML
espeak-ng -m -s 150 -w "$work/pauses.wav" -f "$work/pauses.ssml"
sox "$work/pauses.wav" -r 8000 -c 1 -b 16 -e signed-integer -t raw "$work/pauses.raw"
echo
"$build/bench/dtx/vad_versus_webrtc" "$work/pauses.raw"
