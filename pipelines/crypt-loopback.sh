#!/usr/bin/env bash
# Audio end to end through wzp's media encryption, in one gst-launch pipeline:
#
#   sine tone -> Opus -> wzpfecenc (wzp packets) -> wzpencrypt -> wzpdecrypt
#             -> wzpfecdec -> Opus decoder -> WAV file
#
# Both crypto elements read the same random key file (on a real call each
# side has its own sending key from the handshake, handed over in a
# GstContext). rekey-packets=100 moves the sender to a new key epoch every
# 100 packets, so the receiver follows several epoch changes (FEC repair
# packets included, about four) during the run.
# The same pipeline then runs without the two crypto elements: encryption
# must be transparent, so both WAV files must be identical, and hold about
# 5 s of audio rather than silence.
#
# Usage: pipelines/crypt-loopback.sh [output.wav]   (WZP_BUILD_DIR defaults to build/)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
key="$work/call.key"
(umask 077 && head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$key")
out=${1:-$work/decrypted.wav}

# run <output.wav> [crypto elements...]: the tone through Opus and wzp FEC packets.
run() {
  local wav=$1
  shift
  gst-launch-1.0 -q \
    audiotestsrc num-buffers=250 wave=sine freq=440 volume=0.5 samplesperbuffer=960 \
    ! audio/x-raw,rate=48000,channels=1 \
    ! opusenc frame-size=20 \
    ! wzpfecenc \
    "$@" \
    ! wzpfecdec \
    ! opusdec ! audioconvert ! audio/x-raw,format=S16LE \
    ! wavenc ! filesink location="$wav"
}

run "$out" ! wzpencrypt key-file="$key" rekey-packets=100 ! wzpdecrypt key-file="$key"
run "$work/plain.wav"

stats=$(sox "$out" -n stat 2>&1)
length=$(awk '/^Length/ {print $3}' <<<"$stats")
rms=$(awk '/^RMS +amplitude/ {print $3}' <<<"$stats")
echo "decrypted audio: ${length} s, RMS ${rms} (tone at half scale: RMS 0.35)"
if ! cmp -s "$out" "$work/plain.wav"; then
  echo "crypt-loopback: FAILED (decrypted audio differs from the unencrypted run)"
  exit 1
fi
awk -v l="$length" -v r="$rms" 'BEGIN {
  if (l < 4.5 || r < 0.2) { print "crypt-loopback: FAILED (expected ~5 s of tone)"; exit 1 }
  print "crypt-loopback: OK (identical to the unencrypted run)"
}'
