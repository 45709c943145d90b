#!/usr/bin/env bash
# Installs what wzp needs, checks the include layering, builds it and runs
# every test: unit, element, integration (ctest in build/), then a short
# libFuzzer run of every parser (clang build in build-fuzz/), then the
# daemon's integration tests under ASan + UBSan (scripts/asan.sh --daemon,
# build-asan/). With --asan, libwzp's unit tests and the other integration
# tests of scripts/asan.sh under both sanitizers too: not in CI, which has
# no time left for that build (docs/DEVELOPING.md, "Sanitizers"). Exits
# non-zero if anything fails.
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
if $asan; then scripts/asan.sh; else scripts/asan.sh --daemon; fi
