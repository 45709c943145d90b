# Shared by bench/dtx/run.sh and padding.sh (source it): the build's tool and
# plugins, a work directory with a random key, and the inputs: 10 s of
# espeak-ng speech then 10 s of digital silence (digital.wav), and the same
# over a -55 dBFS white-noise background (noisy.wav); the tiers' FEC
# settings. Needs espeak-ng and sox.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
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
