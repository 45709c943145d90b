#!/usr/bin/env bash
# How long signing in takes through a lossy path, as a user does it: a real
# wzp-signald, and for each seed a fresh identity running
#   wzp call @nobody --network SPEC,seed=N
# whose "signed in ... in X s" line (the QUIC handshake and the login:
# hello, challenge, auth, welcome) is collected. The call itself then fails
# (nobody has that alias), which ends the client. Prints, per path, how many
# signed in, min/median/p90/max of the time, and why the others did not.
#
# Usage: bench/live/login.sh [--seeds N] [--parallel P] [SPEC...]
#   default specs: issue 12's 50 % and 70 % bursty paths (150 ms +/- 20 ms,
#   200 kbit/s); 24 seeds, 6 at a time: about 2 min.
# Builds nothing: WZP_BUILD_DIR (default build/) must hold client/wzp and
# signald/wzp-signald.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${WZP_BUILD_DIR:-$here/../../build}" && pwd)
seeds=24
parallel=6
specs=()
while [ $# -gt 0 ]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) specs+=("$1"); shift ;;
  esac
done
[ ${#specs[@]} -gt 0 ] || specs=("loss=0.5,burst=3,delay=150ms,jitter=20ms,rate=200kbps"
  "loss=0.7,burst=3,delay=150ms,jitter=20ms,rate=200kbps")

source "$here/common.sh"

start_signald

# One sign-in: prints "ok SECONDS" or "failed REASON".
sign_in() {
  local spec=$1 seed=$2 dir=$work/$3
  mkdir -p "$dir"
  export WZP_IDENTITY=$dir/id WZP_PASSPHRASE=p WZP_SERVER=127.0.0.1:$port WZP_SERVER_FINGERPRINT=$pin
  "$build/client/wzp" id new >/dev/null 2>&1
  timeout 60 "$build/client/wzp" call "@nobody$3" --network "$spec,seed=$seed" \
    >/dev/null 2>"$dir/err" || true
  local took
  took=$(sed -n 's/^signed in to .* in \([0-9.]*\) s$/\1/p' "$dir/err")
  if [ -n "$took" ]; then echo "ok $took"; else echo "failed $(tail -1 "$dir/err")"; fi
}

for spec in "${specs[@]}"; do
  results=$work/results
  for_each_seed sign_in "$spec" "$results"
  ok=$(grep -c '^ok' "$results" || true)
  echo "$spec: $ok of $seeds signed in"
  grep '^ok' "$results" | awk '{print $2}' | sort -n | awk '{a[NR] = $1}
    END { if (NR) printf "  seconds: min %.1f, median %.1f, p90 %.1f, max %.1f\n",
          a[1], a[int((NR + 1) / 2)], a[int(NR * 0.9 + 0.5)], a[NR] }'
  grep '^failed' "$results" | sed 's/^failed /  failed: /' | sort | uniq -c || true
done
