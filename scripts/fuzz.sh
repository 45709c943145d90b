#!/usr/bin/env bash
# Fuzzes every parser with libFuzzer (clang build in build-fuzz/).
#
#   scripts/fuzz.sh                 # the short run CI does: ctest -L fuzz, 10 s per target, one per core
#   scripts/fuzz.sh --long [TARGET...]
#
# --long runs each target (all of them unless named, e.g. wire_packet) until
# WZP_FUZZ_RUNS executions (default 10,000,000) or WZP_FUZZ_SECONDS of wall
# time (default 3600), two targets at a time under nice -n 19, and prints
# one markdown row per target: executions, executions per second of wall
# time and per second of the fuzzer's own CPU time (user + system: the wall
# rate depends on what else the machine runs), working corpus size and
# findings. New inputs stay in build-fuzz/long/<target>/ (seeded from
# tests/fuzz/corpus/<target>/), crashes in build-fuzz/long/artifacts/; the
# libFuzzer log of each target is build-fuzz/long/<target>.log. Exits
# non-zero if anything was found.
set -euo pipefail
cd "$(dirname "$0")/.."

# Line tables (-g1), not full debug info: findings still print file:line,
# at a quarter less compile time.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DWZP_FUZZ=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build build-fuzz -j"$(nproc)"

if [[ "${1:-}" != "--long" ]]; then
  exec ctest --test-dir build-fuzz --output-on-failure -j"$(nproc)" -L fuzz
fi
shift

runs=${WZP_FUZZ_RUNS:-10000000}
seconds=${WZP_FUZZ_SECONDS:-3600}
long=build-fuzz/long
mkdir -p "$long/artifacts"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(find build-fuzz/tests/fuzz -type f -name 'fuzz_*' -perm -u+x |
    sed 's|.*/fuzz_||' | sort)
fi

# One target: prints its table row.
fuzz_one() {
  local target=$1
  local binary
  binary=$(find build-fuzz/tests/fuzz -type f -name "fuzz_$target" | head -1)
  if [[ -z "$binary" ]]; then
    echo "| $target | no such target | | | | |"
    return
  fi
  mkdir -p "$long/$target"
  local log=$long/$target.log times=$long/$target.times
  local TIMEFORMAT='%R %U %S'
  {
    time nice -n 19 "$binary" -runs="$runs" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$long/artifacts/$target-" \
      "$long/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1 || true
  } 2>"$times"
  local wall user sys executions findings
  read -r wall user sys <"$times"
  executions=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  findings=$(find "$long/artifacts" -name "$target-*" | wc -l)
  printf '| %s | %s | %.0f | %.0f | %s | %s |\n' "$target" "${executions:-0}" \
    "$(echo "${executions:-0} / $wall" | bc -l)" \
    "$(echo "${executions:-0} / ($user + $sys)" | bc -l)" \
    "$(find "$long/$target" -type f | wc -l)" "$findings"
}
export -f fuzz_one
export runs seconds long

echo "| target | executions | exec/s (wall) | exec/s (CPU) | corpus | findings |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'fuzz_one {}'
if compgen -G "$long/artifacts/*" >/dev/null; then
  echo "findings in $long/artifacts:" >&2
  ls "$long/artifacts" >&2
  exit 1
fi
