#!/usr/bin/env bash
# Installs every Debian 12 package wzp needs to build, run and test.
# Idempotent and non-interactive; run as root on a fresh machine.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
  # GStreamer
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-nice
  # codecs
  libopus-dev libcodec2-dev libdav1d-dev libsvtav1enc-dev
  # crypto and transport
  libsodium-dev libgnutls28-dev libngtcp2-dev libngtcp2-crypto-gnutls-dev
  libnatpmp-dev libminiupnpc-dev
  # daemon
  libglib2.0-dev nlohmann-json3-dev libsoup-3.0-dev libsqlite3-dev
  # a cluster of daemons on Redis: the client library, and the server its
  # test starts on a free port of its own (nothing uses the system service)
  libhiredis-dev redis-server
  # tests and benchmarks (liblcrq: test-time RaptorQ oracle only, GPL, never shipped)
  libgtest-dev libgmock-dev libbenchmark-dev liblcrq-dev
  # test relays get their certificates from the openssl tool
  openssl
  # NAT tests: namespaces, kernel NAT routers, a NAT-PMP/PCP/UPnP gateway,
  # sysctl and ping in the lab
  # (miniupnpd-nftables alone: the miniupnpd package adds a debconf service)
  iproute2 procps iputils-ping nftables miniupnpd-nftables
  # demo and loss sweep: speech sample, audio analysis, plots
  espeak-ng sox python3 python3-matplotlib
  # BIP39 English wordlist, embedded at build time by libwzp/crypto
  python3-mnemonic
  # the browser bridge's test: a real headless browser driven over DevTools
  chromium python3-websocket
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run as root (or with sudo) to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: installed ${#missing[@]} packages"
