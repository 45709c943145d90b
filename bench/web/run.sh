#!/usr/bin/env bash
# How many browser sessions one wzp-web core carries: bench/web/run.sh
# [SESSIONS...] (default 2 4 6). Starts wzp-signald, wzp-web and Debian's
# chromium headless (its microphone espeak-ng speech), opens SESSIONS tabs
# in rooms of two (each session sends one voice and hears one), and
# measures wzp-web's CPU time over a window once every tab is in the call
# (sessions.py prints the table; docs/web.md, "Benchmark").
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
. "$root/bench/support/speech.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_speech "$work/speech.wav" 30
/usr/bin/python3 "$root/bench/web/sessions.py" "$build" "$work" "${@:-2 4 6}"
