#!/usr/bin/env bash
# ASan + UBSan (-DWZP_SANITIZE=ON, build-asan/) over libwzp, every unit test
# but the fuzz replays (scripts/fuzz.sh runs those under both sanitizers)
# and the integration tests that run the real daemon, QUIC and the
# impairment proxy on loopback; scripts/test.sh --asan runs it.
#
# With --daemon (the step CI runs, after scripts/fuzz.sh): the daemon of
# the fuzz build (build-fuzz/signald/wzp-signald, clang, ASan + UBSan, built
# with the fuzzers at no extra cost) under signald_integration_test from
# build/. Every sanitizer report, a leak at the daemon's exit included, goes
# to a log file; the step fails if the test fails or any log appears.
# docs/DEVELOPING.md says what each costs. Exits non-zero if a test fails
# or a sanitizer reports anything (UBSan aborts in build-asan/:
# -fno-sanitize-recover).
set -euo pipefail
cd "$(dirname "$0")/.."

unit=(audio_dtx_test base_test crypto_vectors_test crypto_identity_test crypto_media_test
  crypto_identity_file_test crypto_handshake_test crypto_room_test crypto_room_access_test
  crypto_member_card_test crypto_room_membership_test crypto_key_wait_test crypto_padding_test
  fec_blocks_test fec_raptorq_test jitter_core_test netsim_unit_test quality_unit_test
  quic_unit_test signal_message_test signal_printable_test signald_core_test trace_unit_test
  test_wire)
integration=(signald_store_test quic_loopback_test netsim_udp_proxy_test test_signal_session
  signald_integration_test)
case "${1:-}" in
  "") ;;
  --daemon)
    cmake --build build-fuzz --target wzp-signald
    reports=$(mktemp -d)
    trap 'rm -rf "$reports"' EXIT
    status=0
    WZP_SIGNALD=$PWD/build-fuzz/signald/wzp-signald \
      ASAN_OPTIONS=log_path=$reports/asan \
      UBSAN_OPTIONS=log_path=$reports/ubsan:print_stacktrace=1 \
      LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
      ctest --test-dir build --output-on-failure -R '^signald_integration_test$' || status=1
    if compgen -G "$reports/*" >/dev/null; then
      echo "sanitizer reports from the daemon:" >&2
      cat "$reports"/* >&2
      status=1
    fi
    exit $status
    ;;
  *)
    echo "usage: scripts/asan.sh [--daemon]" >&2
    exit 2
    ;;
esac

cmake -S . -B build-asan -G Ninja -DWZP_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)" --target "${unit[@]}" "${integration[@]}" wzp-signald
tests=$(printf '^%s$|' "${unit[@]}" "${integration[@]}")
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -R "${tests%|}"
