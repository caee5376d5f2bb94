# Common set-up for the BATS tests: load bats-support and bats-assert, put
# the programs under test first on PATH, and give each test a scratch dir.
bats_load_library bats-support
bats_load_library bats-assert

: "${W3SYNC_BIN:=$BATS_TEST_DIRNAME/../../bin}"
PATH="$W3SYNC_BIN:$PATH"
export PATH
unset W3SYNC_STORE W3SYNC_KEY
FIXTURES="$BATS_TEST_DIRNAME/../fixtures"
export FIXTURES

# A fresh Ed25519 private key file, mode 600, at $1.
make_key() {
	openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null
	chmod 600 "$1"
}

# Deterministic test data: `gen_file PATH SIZE` (bytes i mod 251).
gen_file() {
	python3 -c 'import sys; n=int(sys.argv[2]); open(sys.argv[1],"wb").write(bytes(i % 251 for i in range(n)))' "$1" "$2"
}

# The long and the short options named in stdin, sorted, on one line.
long_opts() {
	grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' '
}
short_opts() {
	grep -oE -- '(^|[^-a-z])-[a-zA-Z]\b' | grep -oE -- '-[a-zA-Z]' | sort -u | tr '\n' ' '
}

# `options_agree PROG LONG SHORT`: PROG's --help usage and option list, its
# man page SYNOPSIS and OPTIONS, and its bash and zsh completion functions
# (_w3sync_PROG with '-' as '_') all name exactly the long options LONG and
# the short options SHORT (each as long_opts/short_opts print them), and
# the man page passes mandoc's lint. SRC is the source tree.
options_agree() {
	local prog=$1 want=$2 short=$3 fn=_w3sync_${1//-/_}
	local help usage optlist man synopsis manopts bash_fn zsh_fn
	help=$("$prog" --help)
	usage=$(sed -n '1,/^$/p' <<<"$help")
	optlist=$(sed -n '/^options:/,/^$/p' <<<"$help")
	man=$(mandoc -Tascii "$SRC/man/$prog.1" | col -bx)
	synopsis=$(sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' <<<"$man")
	manopts=$(sed -n '/^OPTIONS/,/^[A-Z]/p' <<<"$man" | grep -E '^     -')
	bash_fn=$(sed -n "/^$fn()/,/^}/p" "$SRC/completions/bash/w3sync")
	zsh_fn=$(sed -n "/^$fn()/,/^}/p" "$SRC/completions/zsh/_w3sync")
	echo "usage: $(long_opts <<<"$usage")"
	[ "$(long_opts <<<"$usage")" = "$want" ]
	[ "$(long_opts <<<"$optlist")" = "$want" ]
	[ "$(long_opts <<<"$synopsis")" = "$want" ]
	[ "$(long_opts <<<"$manopts")" = "$want" ]
	[ "$(long_opts <<<"$bash_fn")" = "$want" ]
	[ "$(long_opts <<<"$zsh_fn")" = "$want" ]
	echo "short: $(short_opts <<<"$optlist")"
	[ "$(short_opts <<<"$optlist")" = "$short" ]
	[ "$(short_opts <<<"$manopts")" = "$short" ]
	[ "$(sed -n "/local opts=/,/'\$/p" <<<"$bash_fn" | short_opts)" = "$short" ]
	[ "$(grep -oE -- "\{-[a-zA-Z]" <<<"$zsh_fn" | tr -d '{' | sort -u | tr '\n' ' ')" = "$short" ]
	[ -z "$(mandoc -Tlint -Wwarning "$SRC/man/$prog.1")" ]
}

SRC=${SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}

# The Python reference of the store's rules (tests/cli/w3s_ref.py).
REF="$BATS_TEST_DIRNAME/w3s_ref.py"
ref() {
	python3 "$REF" "$@"
}

# The store's C self-check (tests/unit/test_store.c, "check" mode):
# $W3SYNC_TEST_STORE (the Makefile sets it), else next to the programs.
checker() {
	local c
	for c in "${W3SYNC_TEST_STORE:-}" "$W3SYNC_BIN/../tests/test_store" \
		"${W3SYNC_TOOLS:-/nonexistent}/../tests/test_store" \
		"$SRC/build/tests/test_store"; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
	done
	echo "no test_store binary: build it (make BUILD=... .../tests/test_store)" >&2
	return 1
}

# `store_check STORE BUCKET`: both scrubs pass, the reference's (every
# chunk hash, data root and the MMR root recomputed from the stored
# leaves) and the C self-check's.
store_check() {
	local c
	run -0 ref check "$1" "$2"
	c=$(checker)
	run -0 "$c" check "$1" "$2" --payloads
}

# A field of the text output in $output (set by bats' run): "key value"
# lines.
# shellcheck disable=SC2154
field() {
	awk -v k="$1" '$1 == k { print $2 }' <<<"$output"
}

# The commitment lines of $output.
# shellcheck disable=SC2154
commitment_of_output() {
	grep -E '^(mmr_root|start_seq|leaf_count) ' <<<"$output"
}

# The raw 32-byte public key of a PEM private key, 0x hex.
pubkey() {
	echo "0x$(openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | xxd -p -c 64)"
}
