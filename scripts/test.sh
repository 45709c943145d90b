#!/usr/bin/env bash
# Installs what wzp needs, checks the include layering, builds it and runs
# every test: unit, element, integration (ctest in build/), then a short
# libFuzzer run of every parser (clang build in build-fuzz/, under ASan and
# UBSan), then the daemon's integration tests against that build's ASan +
# UBSan wzp-signald (scripts/asan.sh --daemon). With --asan, then libwzp's
# unit tests, the daemon and the other integration tests of scripts/asan.sh
# in a gcc sanitizer build too: not in CI, which has no time left for that
# build (docs/DEVELOPING.md, "Sanitizers"). Prints how long each step took,
# last, pass or fail. Exits non-zero if anything fails.
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

timings=()
trap 'printf "%s\n" "step times:" "${timings[@]}" "total: ${SECONDS} s"' EXIT
step() {
  local start=$SECONDS
  "$@"
  timings+=("  $* : $((SECONDS - start)) s")
}

step scripts/setup.sh
step scripts/check_layering.sh
# Line tables only (-g1): a failing test's backtrace keeps file:line, and
# the build takes a quarter less time than with full debug info.
step scripts/build.sh -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
step ctest --test-dir build --output-on-failure -j"$(nproc)"
step scripts/fuzz.sh
step scripts/asan.sh --daemon
if $asan; then step scripts/asan.sh; fi
