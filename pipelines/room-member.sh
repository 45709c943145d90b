#!/usr/bin/env bash
# What a room member hears, in one gst-launch pipeline:
#
#   alice: 440 Hz tone -> Opus -> wzpfecenc stream-id=1 -> wzpencrypt (alice's key) --\
#                                                                  LOSS % dropped     funnel
#   bob:   660 Hz tone -> Opus -> wzpfecenc stream-id=2 -> wzpencrypt (bob's key) ----/  |
#                                                                                       v
#   wzpdemux: one pad per stream id -> src_1: wzpdecrypt (alice's key) -> wzpfecdec
#                                       src_2: wzpdecrypt (bob's key)   -> wzpfecdec
#        each -> wzpjitterbuffer -> opusdec plc=true -> audiomixer -> WAV file
#
# The funnel stands in for the room's relay and the one QUIC connection it
# delivers every participant's packets on (wzpquicsrc in a real client): one
# stream of application/x-wzp packets, interleaved. wzpdemux splits it by the
# stream id in each header; every branch decrypts with its sender's own key,
# rebuilds lost frames from FEC, re-times them and decodes, and audiomixer
# sums the participants. gst-launch links d.src_1 / d.src_2 when the pads
# appear; an application does the same in a pad-added handler and tears a
# branch down on pad-removed (docs/rooms.md).
#
# The script prints wzpdemux's and each wzpfecdec's end-of-stream counters,
# then the length of the mix and how loud each participant's tone is in it
# (both should stand far above a frequency nobody sent).
#
# Usage: pipelines/room-member.sh [LOSS] [output.wav]
#   LOSS (percent, default 20) is dropped at random from each sender's packets.
#   WZP_BUILD_DIR defaults to build/ (it needs the wzpdemux, wzpfec, wzpcrypt
#   and wzpjitter plugins); the run takes about 6 s (live sources).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

loss=${1:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${2:-$work/room.wav}
drop=$(echo "scale=2; $loss / 100" | bc)
for who in alice bob; do
  (umask 077 && head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$work/$who.key")
done

# sender <stream id> <tone Hz> <key file>: one participant's media as the relay forwards it.
sender() {
  echo "audiotestsrc is-live=true num-buffers=250 samplesperbuffer=960 volume=0.3 freq=$2" \
    "! audio/x-raw,rate=48000,channels=1 ! opusenc frame-size=20" \
    "! wzpfecenc stream-id=$1 block-size=5 repair-ratio=1.0 ! wzpencrypt key-file=$3" \
    "! identity drop-probability=$drop ! relay."
}
# branch <stream id> <key file>: one participant's receive chain into the mixer.
branch() {
  echo "demux.src_$1 ! queue ! wzpdecrypt key-file=$2 ! wzpfecdec ! wzpjitterbuffer" \
    "! opusdec plc=true ! audioconvert ! audioresample ! mix."
}

log="$work/log"
# shellcheck disable=SC2046 # the pipeline description is meant to split into words
GST_DEBUG=wzpdemux:4,wzpfecdec:4 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q \
  $(sender 1 440 "$work/alice.key") \
  $(sender 2 660 "$work/bob.key") \
  funnel name=relay ! wzpdemux name=demux \
  $(branch 1 "$work/alice.key") \
  $(branch 2 "$work/bob.key") \
  audiomixer name=mix ! audio/x-raw,format=S16LE,rate=48000,channels=1 \
  ! wavenc ! filesink location="$out" 2>"$log"

grep -o 'wzpdemux[^ ]* end of stream: .*' "$log" | sed 's/.*end of stream: /wzpdemux: /' || true
grep -o '<wzpfecdec[0-9]*> end of stream: .*' "$log" | sed 's/> end of stream: /: /;s/^<//' || true

# Loudness of one frequency in the mix: a steep band-pass around it, then its RMS.
level() {
  sox "$out" -n sinc -t 10 "$(($1 - 30))-$(($1 + 30))" stat 2>&1 | awk '/^RMS +amplitude/ {print $3}'
}
length=$(sox "$out" -n stat 2>&1 | awk '/^Length/ {print $3}')
echo "mix: ${length} s; alice (440 Hz) RMS $(level 440), bob (660 Hz) RMS $(level 660)," \
  "nobody (3000 Hz) RMS $(level 3000)"
