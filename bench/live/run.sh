#!/usr/bin/env bash
# The live sweep (issue 12, item 1): the call as a user runs it. For each
# grid point (loss 0/10/30/50/70 %, random and bursty (mean burst 3), one-way
# delay 150 ms +/- 20 ms and 400 ms +/- 60 ms, seeds 1..3), a whole call
#   wzp loopback --network loss=L,burst=B,delay=D,jitter=J,rate=200kbps,queue=500ms,seed=N --in SPEECH.wav
# with the client's defaults (no --tier, no FEC setting), parsed from its
# call summary; next to it the stock GStreamer chain (Opus in-band FEC +
# rtpjitterbuffer) on the same path settings and seed, at the wire rate the
# call used, from bench/sweep's wzp_loss_sweep. Prints a markdown table and
# the issue's goals with pass/fail, writes a CSV and a PNG.
# Rooms (issue 19) have their own sweep: bench/live/room_sweep.py --help.
#
# Usage: bench/live/run.sh [--quick] [--seeds N] [--parallel P] [--csv FILE] [--png FILE]
#                          [--delays 150,400] [--losses 0,10,30,50,70] [--kinds random,bursty]
#                          [--seconds 30] [--logs DIR] [--no-stock]
#   --quick: 0 % and 50 % bursty at 150 ms, seeds 1-2 (about 2 min)
#   full grid (60 calls, --parallel 2): about 21 min; --delays 150 --seeds 2: about 8 min
# Builds nothing. WZP_BUILD_DIR (default build/ next to this checkout's
# bench/) must hold client/wzp and gst-plugins/. The stock chain comes from
# WZP_SWEEP_BIN, else $WZP_BUILD_DIR/bench/sweep/wzp_loss_sweep; each
# binary runs with its own build's gst-plugins/. Needs espeak-ng, sox and
# python3-matplotlib (/usr/bin/python3).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
build=$(cd "$build" && pwd)
wzp=$build/client/wzp
if [ ! -x "$wzp" ]; then
  echo "no $wzp: build the wzp target first" >&2
  exit 1
fi
export GST_PLUGIN_PATH="$build/gst-plugins"

seconds=30
png=$root/docs/live-sweep.png
csv=
no_stock=
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --png) png=$2; shift 2 ;;
    --csv) csv=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --no-stock) no_stock=1; args+=("$1"); shift ;;
    --quick) args+=("$1"); shift ;;
    --seeds | --parallel | --delays | --losses | --kinds | --logs) args+=("$1" "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "$csv" ] || csv=$work/live.csv

# The stock chain: bench/sweep's wzp_loss_sweep, at the call's wire rate.
sweep=${WZP_SWEEP_BIN:-$build/bench/sweep/wzp_loss_sweep}
if [ -z "$no_stock" ] && [ ! -x "$sweep" ]; then
  echo "no $sweep (cmake -DWZP_BUILD_BENCH=ON, target wzp_loss_sweep): running without the stock column" >&2
  no_stock=1
  args+=(--no-stock)
fi
[ -z "$no_stock" ] || sweep=
sweep_plugins=
if [ -n "$sweep" ]; then
  sweep=$(cd "$(dirname "$sweep")" && pwd)/$(basename "$sweep")
  sweep_plugins=$(cd "$(dirname "$sweep")/../.." && pwd)/gst-plugins
  echo "stock chain: $sweep" >&2
fi

# Speech as bench/sweep/run.sh makes it, cut to the call's length; the
# sweep needs 3 s more (its tail).
source "$root/bench/support/speech.sh"
make_speech "$work/raw.wav" "$seconds"
sox "$work/raw.wav" "$work/speech.wav" trim 0 "$seconds"
sox "$work/raw.wav" "$work/sweep-speech.wav" trim 0 $((seconds + 4))

/usr/bin/python3 "$here/live_sweep.py" --wzp "$wzp" --plugins "$build/gst-plugins" \
  ${sweep:+--sweep "$sweep" --sweep-plugins "$sweep_plugins"} \
  --speech "$work/speech.wav" --sweep-speech "$work/sweep-speech.wav" --seconds "$seconds" \
  --work "$work" --csv "$csv" ${png:+--png "$png"} ${args[@]+"${args[@]}"}
