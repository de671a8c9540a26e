#!/usr/bin/env bash
# Installs the Debian packages Corral needs to build, test and benchmark; only what is missing.
# Idempotent: a second run with everything present does nothing and takes well under a second.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config clang-format
  libboost-dev libboost-system-dev nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev
  libcli11-dev libfmt-dev libsodium-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libeigen3-dev
)
test_pkgs=(python3 python3-pytest python3-yaml procps psmisc curl bubblewrap python3-optuna python3-sklearn python3-numpy
  clang-14 libfuzzer-14-dev)
bench_pkgs=(python3-optuna python3-sklearn python3-numpy sqlite3)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  all) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
