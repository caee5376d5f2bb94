#!/usr/bin/env bats
# The documentation matches the code, for every program in cmd/: --help,
# the man page (SYNOPSIS and OPTIONS), both completions and the README
# list the same options and programs; man pages pass mandoc's linter and
# document every exit code; completions offer bucket ids from the store;
# every shell script passes shellcheck.

bats_require_minimum_version 1.5.0
load helpers

SRC=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
	cd "$BATS_TEST_TMPDIR"
}

programs() {
	local f
	for f in "$SRC"/cmd/*.c; do
		basename "$f" .c
	done
}

# The section of a formatted man page from heading $2 to the next heading.
man_section() {
	awk -v h="$2" '$0 == h { on = 1; next } on && /^[A-Z]/ { exit } on' <<<"$1"
}

@test "every program: --help, man SYNOPSIS and OPTIONS, and both completions list the same long options" {
	local p fn bad=0
	for p in $(programs); do
		fn=_w3sync_${p//-/_}
		help=$("$p" --help)
		usage=$(sed -n '1,/^$/p' <<<"$help")
		man=$(mandoc -Tascii "$SRC/man/$p.1" | col -bx)
		want=$(long_opts <<<"$usage")
		for what in help-options synopsis options bash zsh; do
			case $what in
			help-options) got=$(sed -n '/^options:/,/^$/p' <<<"$help" | long_opts) ;;
			synopsis) got=$(man_section "$man" SYNOPSIS | long_opts) ;;
			options) got=$(man_section "$man" OPTIONS | grep -E '^     -' | long_opts) ;;
			bash) got=$(sed -n "/^$fn()/,/^}/p" "$SRC/completions/bash/w3sync" | long_opts) ;;
			zsh) got=$(sed -n "/^$fn()/,/^}/p" "$SRC/completions/zsh/_w3sync" | long_opts) ;;
			esac
			if [ -z "$want" ] || [ "$got" != "$want" ]; then
				echo "$p: usage lists '$want', $what lists '$got'"
				bad=1
			fi
		done
	done
	[ "$bad" -eq 0 ]
}

@test "every program: --version, and --help ends with the exit status line; both exit 0" {
	local p
	for p in $(programs); do
		run -0 "$p" --version
		[[ $output =~ ^$p\ \(w3sync\)\ [0-9] ]] || { echo "$p --version: $output"; false; }
		run -0 "$p" --help
		[[ $output == "usage: $p "* ]] || { echo "$p --help starts: ${lines[0]}"; false; }
	done
}

@test "every man page passes mandoc -Tlint and documents exit codes 0 to 7" {
	local m p
	for m in "$SRC"/man/*.[1-8]; do
		run -0 mandoc -Tlint -Wwarning "$m"
		[ -z "$output" ] || { echo "$m: $output"; false; }
	done
	for p in $(programs); do
		man=$(mandoc -Tascii "$SRC/man/$p.1" | col -bx)
		status=$(man_section "$man" "EXIT STATUS")
		[ -n "$status" ] || { echo "$p(1) has no EXIT STATUS"; false; }
		for code in 0 1 2 3 4 5 6 7; do
			grep -qE "^ +$code( |$)" <<<"$status" ||
				{ echo "$p(1) EXIT STATUS lacks $code"; false; }
		done
	done
}

@test "the README's table and w3sync(7) name every program, and the completions register each" {
	local p
	for p in $(programs); do
		grep -q "^| \`$p\` |" "$SRC/README.md" || { echo "README lacks $p"; false; }
		grep -q "Xr $p 1" "$SRC/man/w3sync.7" || { echo "w3sync(7) lacks $p"; false; }
		grep -q "^complete -F _w3sync_${p//-/_} $p\$" "$SRC/completions/bash/w3sync" ||
			{ echo "bash completion lacks $p"; false; }
		grep -q "^#compdef.* $p\( \|\$\)" "$SRC/completions/zsh/_w3sync" ||
			{ echo "zsh completion lacks $p"; false; }
	done
}

# Bash completion of "PROG --bucket <TAB>": bucket ids of the store named
# on the line, or of $W3SYNC_STORE.
complete_line() {
	# shellcheck disable=SC1091
	bash -c 'source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		fn=$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$SRC/completions/bash/w3sync" "$@"
}

@test "bash completion offers the store's bucket ids after --bucket, for every program that takes one" {
	make_key k.pem
	printf x >a
	run -0 segment-add --store st --bucket 7 --create --key k.pem a
	run -0 segment-add --store st --bucket 12 --create --key k.pem a
	local p n=0
	for p in $(programs); do
		"$p" --help | sed -n '1,/^$/p' | grep -q -- '--bucket' || continue
		n=$((n + 1))
		run -0 complete_line "$p" --store st --bucket ""
		[ "$(sort -n <<<"$output" | tr '\n' ' ')" = "7 12 " ] ||
			{ echo "$p: '$output'"; false; }
		W3SYNC_STORE=st run -0 complete_line "$p" --bucket 1
		[ "$output" = 12 ] || { echo "$p with W3SYNC_STORE: '$output'"; false; }
	done
	[ "$n" -ge 6 ]
}

@test "every shell script passes shellcheck" {
	local f scripts=()
	while IFS= read -r f; do
		scripts+=("$f")
	done < <(cd "$SRC" && find . \( -name .git -o -name build -o -name bin \) -prune -o \
		-type f \( -name '*.sh' -o -name '*.bash' -o -path ./completions/bash/w3sync \) -print | sort)
	[ ${#scripts[@]} -ge 15 ]
	cd "$SRC"
	run -0 shellcheck -s bash "${scripts[@]}"
}

# `json_documented PROG`: $output holds one JSON object per line; each
# parses, and each of its keys, at any depth, is named in PROG's man page.
json_documented() {
	local prog=$1 man keys k
	man=$(mandoc -Tascii "$SRC/man/$prog.1" | col -bx)
	[ -n "$output" ] || { echo "$prog printed no JSON"; return 1; }
	keys=$(jq -r '[paths | map(select(type == "string")) | last] | map(select(. != null)) | unique | .[]' <<<"$output") ||
		{ echo "$prog: not JSON: $output"; return 1; }
	for k in $keys; do
		grep -qw -- "$k" <<<"$man" || { echo "$prog(1) does not name the JSON field '$k'"; return 1; }
	done
}

@test "every program's --json output parses, and its fields are named in its man page" {
	make_key k.pem
	make_key node.pem
	openssl pkey -in k.pem -pubout -out k.pub 2>/dev/null
	openssl pkey -in node.pem -pubout -out node.pub 2>/dev/null
	head -c 300000 /dev/urandom >a
	printf 'b' >b
	run -0 --separate-stderr segment-add --json --store s --bucket 1 --create --key k.pem a
	json_documented segment-add
	seq=$(jq -r '.start_seq + .leaf_count' <<<"$output")
	run -0 --separate-stderr segment-add --json --store s --bucket 1 --key k.pem b
	run -0 --separate-stderr segment-drop --json --store s --bucket 1 --before 1 --admin-key k.pem
	json_documented segment-drop
	run -0 --separate-stderr segment-add --store s --bucket 1 --key k.pem a
	run -0 --separate-stderr snapshot-export --json --dry-run --store s --bucket 1
	json_documented snapshot-export
	run -0 --separate-stderr snapshot-export --json --store s --bucket 1 --since "$seq" --split -o spool/
	json_documented snapshot-export
	run -0 --separate-stderr snapshot-export --store s --bucket 1 -o full.tar.zst
	mkdir snaps && cp full.tar.zst snaps/
	run -0 --separate-stderr snapshot-import --json --store r --create --trust-key k.pub full.tar.zst
	json_documented snapshot-import
	run -0 --separate-stderr snapshot-import --json --store r --status
	json_documented snapshot-import
	run -0 --separate-stderr delta-replay --json --store r --bucket 1 spool
	json_documented delta-replay
	run -0 --separate-stderr cid-verify --json a b
	json_documented cid-verify
	run -0 --separate-stderr cid-verify --json --store s --bucket 1
	json_documented cid-verify
	run -0 --separate-stderr cid-verify --json --stream full.tar.zst
	json_documented cid-verify
	run -0 --separate-stderr cid-verify --json --store s --bucket 1 --prove --key k.pem --nonce 00ff -o proof.cbor
	json_documented cid-verify
	run -0 --separate-stderr migrate-provider offer --json --store s --bucket 1 --to node.pub --key k.pem -o offer.cbor
	json_documented migrate-provider
	run -0 --separate-stderr snapshot-prune --json --dry-run --keep-last 1 snaps
	json_documented snapshot-prune
}
