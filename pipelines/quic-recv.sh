#!/usr/bin/env bash
# The receiving half of a call over QUIC, live, in one gst-launch pipeline:
#
#   wzpquicsrc role=server (UDP PORT, TLS certificate from DIR)
#     -> wzpfecdec -> opusdec plc=true -> WAV file
#
# On first use it makes a self-signed certificate in DIR (default
# build/quic-demo) and writes its SHA-256 fingerprint to DIR/fingerprint,
# where pipelines/quic-send.sh picks it up to pin the server. The pipeline
# runs until the sender closes the connection (EOS), then prints
# wzpquicsrc's final counters and how much audio was decoded.
#
# Usage: pipelines/quic-recv.sh [PORT] [output.wav]
#        (PORT defaults to 4433; WZP_BUILD_DIR defaults to build/)
# Then, in another terminal: pipelines/quic-send.sh 127.0.0.1 PORT
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
dir=${WZP_QUIC_DIR:-$build/quic-demo}
port=${1:-4433}
out=${2:-$dir/received.wav}

mkdir -p "$dir"
if [ ! -f "$dir/cert.pem" ]; then
  # An ECDSA P-256 certificate, the same kind wzpquicsrc generates itself
  # when no certificate-file is given.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj /CN=wzp -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
fi
openssl x509 -in "$dir/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2 >"$dir/fingerprint"
echo "listening on UDP $port; server fingerprint $(cat "$dir/fingerprint")"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# idle-timeout: a sender that vanishes without closing ends the run with an
# error after 10 s instead of leaving it waiting forever.
GST_DEBUG=wzpquicsrc:4 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q \
  wzpquicsrc role=server bind-address=127.0.0.1 bind-port="$port" idle-timeout=10000 \
  certificate-file="$dir/cert.pem" private-key-file="$dir/key.pem" \
  ! wzpfecdec ! opusdec plc=true ! audioconvert ! wavenc ! filesink location="$out" 2>"$log" ||
  { grep -E 'ERROR|error' "$log" >&2; exit 1; }

grep -o 'final statistics: .*' "$log" | tail -1 | sed 's/application\/x-wzp-quic-stats, //'
python3 - "$out" <<'PY'
import sys, wave
with wave.open(sys.argv[1]) as w:
    seconds = w.getnframes() / w.getframerate()
print(f"decoded {seconds:.2f} s of audio into {sys.argv[1]}")
if seconds <= 0:
    sys.exit("no audio arrived")
PY
