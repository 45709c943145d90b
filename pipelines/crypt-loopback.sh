#!/usr/bin/env bash
# Audio end to end through wzp's media encryption, in one gst-launch pipeline:
#
#   sine tone -> Opus -> wzpfecenc (wzp packets) -> wzpencrypt -> wzpdecrypt
#             -> wzpfecdec -> Opus decoder -> WAV file
#
# Both crypto elements read the same random key file (on a real call each
# side has its own sending key from the handshake, handed over in a
# GstContext). rekey-packets=100 moves the sender to a new key epoch every
# 100 packets, so the receiver follows two epoch changes during the run.
# The script then checks that the decrypted audio is the tone, not silence
# or noise.
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

gst-launch-1.0 -q \
  audiotestsrc num-buffers=250 wave=sine freq=440 volume=0.5 samplesperbuffer=960 \
  ! audio/x-raw,rate=48000,channels=1 \
  ! opusenc frame-size=20 \
  ! wzpfecenc \
  ! wzpencrypt key-file="$key" rekey-packets=100 \
  ! wzpdecrypt key-file="$key" \
  ! wzpfecdec \
  ! opusdec ! audioconvert ! audio/x-raw,format=S16LE \
  ! wavenc ! filesink location="$out"

# 250 buffers of 20 ms: about 5 s of a 440 Hz tone at half scale.
stats=$(sox "$out" -n stat 2>&1)
length=$(awk '/^Length/ {print $3}' <<<"$stats")
rms=$(awk '/^RMS +amplitude/ {print $3}' <<<"$stats")
frequency=$(awk '/^Rough +frequency/ {print $3}' <<<"$stats")
echo "decrypted audio: ${length} s, RMS ${rms}, rough frequency ${frequency} Hz"
awk -v l="$length" -v r="$rms" -v f="$frequency" 'BEGIN {
  ok = l > 4.5 && r > 0.2 && f > 400 && f < 480
  if (!ok) { print "crypt-loopback: FAILED (expected ~5 s of a 440 Hz tone)"; exit 1 }
  print "crypt-loopback: OK"
}'
