#!/usr/bin/env bash
# Codec2 through wzp's encoder and decoder, in one gst-launch pipeline:
#
#   speech from espeak-ng (or, without it, a buzzy 150 Hz tone standing in
#   for voiced speech) -> 8 kHz mono -> wzpcodec2enc mode=MODE
#     -> wzpcodec2dec -> WAV file
#
# MODE is the Codec2 rate (3200, 2400, 1600, 1400, 1300, 1200 or 700C;
# default 1200, the rate of wzp's catastrophic quality tier). The script then
# checks the decoded file is as long as the input (rounded up to whole
# frames) and about as loud, not silence. Listen to it to hear what 1200 bit/s sounds like.
#
# Usage: pipelines/codec2-loopback.sh [MODE] [output.wav]   (output defaults to
# codec2-MODE.wav in the current directory; WZP_BUILD_DIR defaults to build/)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

mode=${1:-1200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${2:-codec2-$mode.wav}  # kept: the scratch directory goes, the output stays

if command -v espeak-ng >/dev/null; then
  espeak-ng -s 150 -w "$work/speech.wav" \
    "Codec two keeps a call going when almost nothing else gets through."
  source=(filesrc location="$work/speech.wav" ! wavparse ! audioconvert ! audioresample)
else
  # 100 buffers of 320 samples at 8 kHz: 4 seconds.
  source=(audiotestsrc num-buffers=100 wave=saw freq=150 volume=0.3 samplesperbuffer=320)
fi
gst-launch-1.0 -q "${source[@]}" \
  ! audio/x-raw,rate=8000,channels=1,format=S16LE ! tee name=input \
  input. ! queue ! wavenc ! filesink location="$work/input.wav" \
  input. ! queue ! wzpcodec2enc mode="$mode" ! wzpcodec2dec ! wavenc ! filesink location="$out"

python3 - "$work/input.wav" "$out" <<'PY'
import math, struct, sys, wave

def read(path):
    with wave.open(path) as w:
        n = w.getnframes()
        return struct.unpack(f"<{n}h", w.readframes(n))

def rms(samples):
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))

sent, got = read(sys.argv[1]), read(sys.argv[2])
print(f"sent {len(sent)} samples, decoded {len(got)} ({len(got) / 8000:.2f} s); "
      f"RMS sent {rms(sent):.0f}, decoded {rms(got):.0f}")
if not len(sent) <= len(got) < len(sent) + 320:
    sys.exit("decoded length does not match the input")
if not rms(sent) / 3 < rms(got) < rms(sent) * 3:
    sys.exit("decoded loudness is far from the input's")
PY
echo "wrote $out"
