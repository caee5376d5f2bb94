#!/usr/bin/env bash
# Runs TAP producers, one suite each: `run-suite.sh NAME CMD...`. Prints
# the failures and comments (the whole stream with VERBOSE=1), then
# "NAME: N passed, N failed". With SUMMARY=FILE it appends "passed failed"
# to FILE for the final tally (`run-suite.sh total FILE`).
set -u
if [ "${1:-}" = total ]; then
	p=0 f=0
	while read -r a b; do p=$((p + a)); f=$((f + b)); done <"$2"
	echo "check: $p passed, $f failed"
	[ "$f" -eq 0 ]
	exit
fi
name=$1
shift
out=$(mktemp)
"$@" >"$out" 2>&1
rc=$?
# The full TAP stream with VERBOSE=1; otherwise failures and comments.
if [ "${VERBOSE:-0}" = 1 ]; then
	cat "$out"
else
	grep -vE '^(ok |1\.\.)' "$out" | grep -vE '^\s*$' || true
fi
passed=$(grep -cE '^ok ' "$out")
failed=$(grep -cE '^not ok ' "$out")
plan=$(grep -E '^1\.\.[0-9]+' "$out" | tail -n 1 | cut -c4-)
rm -f "$out"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "# $name exited $rc without a failing test" >&2
	failed=1
fi
if [ -n "$plan" ] && [ "$plan" -ne $((passed + failed)) ] && [ "$failed" -eq 0 ]; then
	echo "# $name planned $plan tests, ran $((passed + failed))" >&2
	failed=1
fi
echo "$name: $passed passed, $failed failed"
[ -n "${SUMMARY:-}" ] && echo "$passed $failed" >>"$SUMMARY"
[ "$failed" -eq 0 ]
