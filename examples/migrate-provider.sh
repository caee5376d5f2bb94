#!/bin/bash
# Provider migration runbook (migrate-provider(1)): hand BUCKET from the old
# provider's store to the new provider's store while the old one still
# takes writes.
#
#   examples/migrate-provider.sh OLD_STORE NEW_STORE BUCKET OLD_KEY NEW_KEY
#
#   1. offer     the old provider signs an offer of BUCKET to NEW_KEY
#   2. full      snapshot-export | snapshot-import (trusting the old key)
#   3. catch-up  snapshot-export --since | delta-replay, until the new store
#                reaches the old one's commitment (at most CATCHUP_ROUNDS)
#   4. accept    the new provider verifies everything and signs
#   5. verify    the pair is checked
#   6. release   the old store marks the bucket handed over
#   7. final     one last delta: what was written before the release
#
# With SSH_TARGET set (user@host), NEW_STORE and NEW_KEY are paths on that
# host and everything on the new side runs through ssh; records travel with
# cat over the same connection. Otherwise both stores are local.
#
# It stops at the first failure with that program's exit status, and can be
# run again to pick up where it stopped: the steps done are remembered in
# WORK_DIR (default ./migrate-BUCKET.work; the same path on the remote side).
#
# Environment: SSH_TARGET, WORK_DIR, EXPIRES (offer lifetime, default 24h),
# TRUST_ROOT (0x root on chain, passed to accept and verify),
# CATCHUP_ROUNDS (default 10), RELEASE_WAIT (seconds, default 60).
set -u
set -o pipefail

prog=migrate-provider.sh
if [ $# -ne 5 ]; then
	echo "usage: $prog OLD_STORE NEW_STORE BUCKET OLD_KEY NEW_KEY" >&2
	exit 2
fi
old_store=$1 new_store=$2 bucket=$3 old_key=$4 new_key=$5
work=${WORK_DIR:-./migrate-$bucket.work}
ssh_target=${SSH_TARGET:-}
rounds=${CATCHUP_ROUNDS:-10}
trust=()
[ -n "${TRUST_ROOT:-}" ] && trust=(--trust-root "$TRUST_ROOT")

say() {
	echo "$prog: $*" >&2
}

# fail STATUS WHAT: stop with the failing program's status.
fail() {
	say "error: $2 failed with exit status $1 (run again to resume)"
	exit "$1"
}

# The first non-zero status of the last pipeline, or 0.
pipe_status() {
	local s
	for s in "$@"; do
		[ "$s" -ne 0 ] && { echo "$s"; return; }
	done
	echo 0
}

# new_side CMD...: run a command on the new provider's side.
new_side() {
	if [ -n "$ssh_target" ]; then
		# The command is quoted here, to be run as it is over there.
		# shellcheck disable=SC2029
		ssh "$ssh_target" "$(printf '%q ' "$@")"
	else
		"$@"
	fi
}

# commitment STORE_SIDE STORE: "mmr_root start_seq leaf_count", or nothing
# when the bucket is not there.
commitment() {
	local out
	if [ "$1" = new ]; then
		out=$(new_side snapshot-export --store "$2" --bucket "$bucket" --dry-run 2>/dev/null) || return 0
	else
		out=$(snapshot-export --store "$2" --bucket "$bucket" --dry-run 2>/dev/null) || return 0
	fi
	awk '$1 == "mmr_root" { r = $2 } $1 == "start_seq" { s = $2 }
		$1 == "leaf_count" { n = $2 } END { if (r != "") print r, s, n }' <<<"$out"
}

# delta NEW_ROOT: the changes since the new store's root, replayed there.
delta() {
	snapshot-export --store "$old_store" --bucket "$bucket" --since "$1" --quiet |
		new_side delta-replay --store "$new_store" --bucket "$bucket" --quiet - \
			>>"$work/log"
	s=$(pipe_status "${PIPESTATUS[@]}")
	[ "$s" -eq 0 ] || fail "$s" "delta export | replay"
}

mkdir -p "$work" || exit 7
[ -n "$ssh_target" ] && { new_side mkdir -p "$work" || exit 7; }

# 1. offer
if [ ! -e "$work/offer" ]; then
	say "offer: bucket $bucket to the new provider"
	to=$new_key
	if [ -n "$ssh_target" ]; then
		to=$(new_side openssl pkey -in "$new_key" -pubout -outform DER |
			tail -c 32 | od -An -tx1 | tr -d ' \n')
		to=0x$to
	fi
	migrate-provider offer --store "$old_store" --bucket "$bucket" --to "$to" \
		--key "$old_key" --expires "${EXPIRES:-24h}" -o "$work/offer" >"$work/offer.txt" ||
		fail $? "offer"
fi
old_pub=$(awk '$1 == "from" { print $2 }' "$work/offer.txt")

# 2. full snapshot, unless the new store holds the bucket already
if [ ! -e "$work/full.done" ]; then
	if [ -z "$(commitment new "$new_store")" ]; then
		say "full: snapshot-export | snapshot-import"
		snapshot-export --store "$old_store" --bucket "$bucket" --quiet |
			new_side snapshot-import --store "$new_store" --create \
				--trust-key "$old_pub" --quiet - >>"$work/log"
		s=$(pipe_status "${PIPESTATUS[@]}")
		[ "$s" -eq 0 ] || fail "$s" "snapshot-export | snapshot-import"
	fi
	touch "$work/full.done"
fi

# 3. catch up while the old store takes writes
if [ ! -e "$work/acceptance" ]; then
	for ((i = 1; i <= rounds; i++)); do
		o=$(commitment old "$old_store")
		n=$(commitment new "$new_store")
		[ -n "$o" ] || fail 2 "reading the old store's commitment"
		[ "$o" = "$n" ] && break
		say "catch-up $i: from ${n%% *}"
		delta "${n%% *}"
	done
fi

# 4. accept (on the new side), then bring the record here
if [ ! -e "$work/acceptance" ]; then
	say "accept: full verification of the new store"
	if [ -n "$ssh_target" ]; then
		new_side sh -c "cat > '$work/offer'" <"$work/offer" || fail $? "copying the offer"
		new_side rm -f "$work/acceptance"
	fi
	new_side migrate-provider accept --store "$new_store" --offer "$work/offer" \
		--key "$new_key" "${trust[@]}" -o "$work/acceptance" >"$work/acceptance.txt" ||
		fail $? "accept"
	if [ -n "$ssh_target" ]; then
		if ! new_side cat "$work/acceptance" >"$work/acceptance.tmp" ||
			! mv "$work/acceptance.tmp" "$work/acceptance"; then
			fail 7 "copying the acceptance"
		fi
	fi
fi

# 5. verify
migrate-provider verify --offer "$work/offer" --acceptance "$work/acceptance" \
	"${trust[@]}" >"$work/verify.txt" || fail $? "verify"

# 6. release
if [ ! -e "$work/release.done" ]; then
	say "release: the old store hands the bucket over"
	migrate-provider release --store "$old_store" --acceptance "$work/acceptance" \
		--key "$old_key" --wait "${RELEASE_WAIT:-60}" >"$work/release.txt" ||
		fail $? "release"
	touch "$work/release.done"
fi

# 7. what was written before the release
o=$(commitment old "$old_store")
n=$(commitment new "$new_store")
if [ "$o" != "$n" ]; then
	say "final: from ${n%% *}"
	delta "${n%% *}"
	n=$(commitment new "$new_store")
fi
[ "$o" = "$n" ] || fail 3 "the final catch-up (the new store is at ${n:-nothing}, the old at $o)"
say "done: bucket $bucket is at ${n%% *} in both stores and handed over"
