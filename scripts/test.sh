#!/usr/bin/env bash
# Installs what wzp needs, checks the include layering, builds it and runs
# every test: unit, element, integration (ctest in build/), then a short
# libFuzzer run of every parser (clang build in build-fuzz/). Exits non-zero
# if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/check_layering.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"

scripts/fuzz.sh
