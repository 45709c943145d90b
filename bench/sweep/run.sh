#!/usr/bin/env bash
# The loss sweep (docs/loss-sweep.md): wzp (opusenc ! wzpfecenc ! [netsim]
# ! wzpfecdec ! wzpjitterbuffer ! opusdec) against the stock chain (opusenc
# inband-fec ! rtpopuspay ! [same netsim] ! rtpjitterbuffer ! rtpopusdepay
# ! opusdec use-inband-fec) at the same wire bitrate, for random and bursty
# loss from 0 to 70 %. Prints the table and writes the PNG plot.
#
# Usage: bench/sweep/run.sh [wzp_loss_sweep options...]
#   e.g. bench/sweep/run.sh --seconds 30 --rate-kbps 256
# Builds nothing: WZP_BUILD_DIR (default build/) must hold
# bench/sweep/wzp_loss_sweep and gst-plugins/. SWEEP_PNG (default
# docs/loss-sweep.png) and SWEEP_CSV (default: a temporary file) name the
# outputs. Needs espeak-ng (the speech sample) and Debian's python3-matplotlib (/usr/bin/python3).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
png=${SWEEP_PNG:-$root/docs/loss-sweep.png}
sweep=$build/bench/sweep/wzp_loss_sweep
if [ ! -x "$sweep" ]; then
  echo "no $sweep: build the wzp_loss_sweep target first (cmake -DWZP_BUILD_BENCH=ON)" >&2
  exit 1
fi
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
csv=${SWEEP_CSV:-$work/sweep.csv}

# --seconds from the arguments, for the length of the speech sample.
seconds=60
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = --seconds ] && seconds=${args[$((i + 1))]}
done

# Speech covering the scored frames and the unscored tail.
source "$root/bench/support/speech.sh"
make_speech "$work/speech.wav" "$seconds"

"$sweep" --speech "$work/speech.wav" --csv "$csv" "$@" 2>"$work/log" || {
  cat "$work/log" >&2
  exit 1
}
grep -v 'wzpjitterbuffer application' "$work/log" >&2 || true
/usr/bin/python3 "$root/bench/sweep/plot.py" "$csv" "$png"
echo "plot: $png"
