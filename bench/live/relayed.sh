#!/usr/bin/env bash
# Relayed calls as users run them (issue 12's relayed case): a real
# wzp-signald on loopback; for each path spec and seed, bob answers
#   wzp answer --alias bobK --auto-answer --in SPEECH
# and alice calls him through the impaired path (both ways: her login, the
# offer and the media too)
#   wzp call @bobK --network SPEC,seed=N --in SPEECH
# Prints, per call, what each of them played from real data over the whole
# call (played / (played + concealed), from their summaries), FEC-recovered
# frames, and bob's tier history; per spec, min/median/max over the seeds.
#
# Usage: bench/live/relayed.sh [--seeds N] [--parallel P] [--traces DIR] [SPEC...]
#   default specs: issue 12's 50 % and 70 % bursty paths (150 ms +/- 20 ms,
#   200 kbit/s, 500 ms queue); 3 seeds, 2 calls at a time: about 2 min.
#   --traces DIR: keep bob's call trace of each call (wzp answer --trace),
#   his call summary appended as comments, as DIR/<spec>-seed<N>.trace; tests/data/traces/relayed_50_bursty.trace is
#   bench/live/relayed.sh --seeds 3 --traces DIR 'loss=0.5,burst=3,delay=150ms,jitter=20ms,rate=200kbps'
#   's seed 2 (the path of ClientCall.FiftyPercentBurstyLossIsRepairedOverTheWholeCall).
# Builds nothing: WZP_BUILD_DIR (default build/) must hold client/wzp and
# signald/wzp-signald. Needs espeak-ng.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${WZP_BUILD_DIR:-$here/../../build}" && pwd)
seeds=3
parallel=2
traces=
specs=()
while [ $# -gt 0 ]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --traces) traces=$(realpath -m "$2"); mkdir -p "$traces"; shift 2 ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) specs+=("$1"); shift ;;
  esac
done
[ ${#specs[@]} -gt 0 ] || specs=(
  "loss=0.5,burst=3,delay=150ms,jitter=20ms,rate=200kbps,queue=500ms"
  "loss=0.7,burst=3,delay=150ms,jitter=20ms,rate=200kbps,queue=500ms")

source "$here/common.sh"

speech="Hello, this is a test of a call over a hostile network. We keep talking while\
 packets are lost in bursts, and the other side should hear every word of it."
espeak-ng -w "$work/alice.wav" "$speech $speech"
espeak-ng -w "$work/bob.wav" "$speech $speech $speech"

start_signald
export WZP_PASSPHRASE=p WZP_SERVER=127.0.0.1:$port WZP_SERVER_FINGERPRINT=$pin

# "real% recovered" from a call summary, or "- -" without one.
real_share() {
  sed -n 's/^  frames played *\([0-9]*\) from real data, \([0-9]*\) concealed.*/\1 \2/p' "$1" |
    awk '{ if ($1 + $2) printf "%.1f", 100 * $1 / ($1 + $2); else printf "-" }'
  printf ' %s' "$(sed -n 's/.* \([0-9]*\) recovered by FEC.*/\1/p' "$1")"
}

# One call: prints "SPEC SEED bob-real% bob-recovered alice-real% alice-recovered | bob's tiers".
relayed_call() {
  local spec=$1 seed=$2 dir=$work/$3 trace=()
  mkdir -p "$dir"
  [ -z "$traces" ] || trace=(--trace "$traces/$(echo "$spec" | tr ',=' '_-')-seed$seed.trace")
  WZP_IDENTITY=$dir/bob.id "$build/client/wzp" id new >/dev/null 2>&1
  WZP_IDENTITY=$dir/alice.id "$build/client/wzp" id new >/dev/null 2>&1
  WZP_IDENTITY=$dir/bob.id "$build/client/wzp" answer --alias "$3" --auto-answer \
    --in "$work/bob.wav" --out "$dir/at_bob.wav" "${trace[@]}" >"$dir/bob.out" 2>"$dir/bob.err" &
  local bob=$!
  for _ in $(seq 100); do grep -q '^signed in' "$dir/bob.err" && break; sleep 0.1; done
  WZP_IDENTITY=$dir/alice.id timeout 120 "$build/client/wzp" call "@$3" --network "$spec,seed=$seed" \
    --in "$work/alice.wav" --out "$dir/at_alice.wav" >"$dir/alice.out" 2>"$dir/alice.err" || true
  timeout 30 tail --pid=$bob -f /dev/null || kill $bob 2>/dev/null || true
  wait $bob 2>/dev/null || true
  # The trace ends with bob's summary as comments: what a replay must match.
  [ -z "$traces" ] || sed 's/^/# /' "$dir/bob.out" >>"${trace[1]}"
  local why=""
  grep -q 'frames played' "$dir/alice.out" || why=" alice: $(tail -1 "$dir/alice.err")"
  echo "$spec $seed $(real_share "$dir/bob.out") $(real_share "$dir/alice.out") |" \
    "$(sed -n 's/^  tier history *//p' "$dir/bob.out")$why"
}

for spec in "${specs[@]}"; do
  results=$work/results
  for_each_seed relayed_call "$spec" "$results"
  echo "$spec: frames played from real data over the whole call (recovered by FEC)"
  sort -k2n "$results" | awk '{ printf "  seed %s: bob %s %% (%s), alice %s %% (%s) ", $2, $3, $4, $5, $6;
    for (i = 7; i <= NF; ++i) printf " %s", $i; printf "\n" }'
  for column in 3 5; do
    awk -v c=$column '$c != "-" { print $c }' "$results" | sort -n | awk -v who=$([ $column = 3 ] && echo bob || echo alice) \
      '{ a[NR] = $1 } END { if (NR) printf "  %s: min %.1f, median %.1f, max %.1f %%\n", who, a[1], a[int((NR + 1) / 2)], a[NR] }'
  done
done
