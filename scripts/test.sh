#!/usr/bin/env bash
# Installs what wzp needs, checks the include layering, builds it and runs
# every test: unit, element, integration (ctest in build/), then a short
# libFuzzer run of every parser (clang build in build-fuzz/). With --asan,
# then libwzp's unit tests and the daemon's integration tests under ASan +
# UBSan (scripts/asan.sh, build-asan/): not in CI, which has no time left
# for that build (docs/DEVELOPING.md, "Sanitizers"). Exits non-zero if
# anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

asan=false
for arg in "$@"; do
  case "$arg" in
    --asan) asan=true ;;
    *)
      echo "usage: scripts/test.sh [--asan]" >&2
      exit 2
      ;;
  esac
done

scripts/setup.sh
scripts/check_layering.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"

scripts/fuzz.sh
if $asan; then scripts/asan.sh; fi
