#!/usr/bin/env bash
# AV1 elements against libaom's, in one run each (docs/video.md):
# speed (frames/s, CPU) at 360p and 720p, then bit rate accuracy; then a
# video call through a loss burst against vp8enc/rtpbin.
#   bench/video/run.sh [REPETITIONS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WZP_BUILD_DIR:-$root/build}
reps=${1:-5}
# SVT-AV1 prints its banner for every encoder session; errors still show.
export SVT_LOG=1
"$build/bench/video/bench_video_codecs" --benchmark_repetitions="$reps" \
  --benchmark_enable_random_interleaving=true
"$build/bench/video/bench_video_bitrate" --repetitions "$reps"
"$build/bench/video/bench_video_recovery" "$reps"
