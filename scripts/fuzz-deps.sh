#!/bin/sh
# Installs the Debian packages `make fuzz` needs (clang and its libFuzzer
# runtime), or with the argument `valgrind` what `make valgrind` needs,
# when missing. `make check` needs neither: it replays the fuzz inputs
# with gcc. As root it runs apt-get; otherwise it prints the command and
# fails, as scripts/deps.sh does.
set -eu
case "${1:-fuzz}" in
valgrind) pkgs="valgrind" ;;
*) pkgs="clang libclang-rt-14-dev" ;;
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
