#!/bin/sh
# Installs Debian packages when missing: with no argument, what the build
# and `make check` need; with a set name, what that target needs besides:
#   fuzz      clang and its libFuzzer runtime (`make fuzz`)
#   valgrind  valgrind (`make valgrind`)
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu
case "${1:-check}" in
check)
	pkgs="gcc make libc6-dev pkg-config libarchive-dev libssl-dev libzstd-dev
libcbor-dev libsodium-dev libsqlite3-dev libjansson-dev bats bats-assert
bats-support mandoc sqlite3 zstd openssl jq python3 xxd bsdextrautils shellcheck" ;;
fuzz) pkgs="clang libclang-rt-14-dev" ;;
valgrind) pkgs="valgrind" ;;
*) echo "deps.sh: unknown set '$1' (check, fuzz, valgrind)" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "w3sync: missing packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "w3sync: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
