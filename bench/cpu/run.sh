#!/usr/bin/env bash
# CPU of one direction of a call, wzp against the stock Opus/RTP pipeline,
# on 30 s of espeak-ng speech: bench/cpu/run.sh [REPETITIONS] [TIER]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
. "$root/bench/support/speech.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
speech=$work/speech.wav
make_speech "$work/raw.wav" 30
sox "$work/raw.wav" "$speech" trim 0 30
args=("$speech" --repetitions "${1:-5}")
if [ -n "${2:-}" ]; then args+=(--tier "$2"); fi
"$build/bench/cpu/bench_cpu_call" "${args[@]}"
