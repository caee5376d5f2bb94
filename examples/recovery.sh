#!/usr/bin/env bash
# Recovery runbook: rebuild one bucket on this node from a directory of
# snapshots, check every byte, and prove the sync.
#
#   recovery.sh STORE SNAPSHOT_DIR BUCKET
#
# Environment:
#   TRUST_KEY   the bucket's primary public key (PEM file or 0x hex), from
#               the chain's provider registry: required, so that the
#               result is anchored
#   TRUST_ROOT  the bucket's MMR root read from the chain (optional)
#   NODE_KEY    this node's Ed25519 private key (PEM, mode 600), for the
#               Proof-of-Sync (default: $W3SYNC_KEY)
#   NONCE       the verifier's nonce, hex (default: a fresh random one)
#   PROOF       where to write the Proof-of-Sync (default:
#               STORE/proof-of-sync-BUCKET.cbor)
#
# Steps: the newest full snapshot of the bucket is imported, then every
# delta of the bucket in the directory is replayed in order (delta-replay
# skips what the snapshot already holds and names any gap), then a full
# scrub, then a Proof-of-Sync. The runbook stops at the first failure
# with that program's exit code (see w3sync(7)); after fixing the cause it
# can be run again: an import of a snapshot the store already holds and a
# replay of applied deltas change nothing.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: recovery.sh STORE SNAPSHOT_DIR BUCKET" >&2
	exit 2
fi
store=$1 dir=$2 bucket=$3
: "${TRUST_KEY:?set TRUST_KEY to the bucket primary public key}"
node_key=${NODE_KEY:-${W3SYNC_KEY:-}}
: "${node_key:?set NODE_KEY to this node private key}"
nonce=${NONCE:-$(openssl rand -hex 32)}
proof=${PROOF:-$store/proof-of-sync-$bucket.cbor}
anchor=(--trust-key "$TRUST_KEY")
root=()
if [ -n "${TRUST_ROOT:-}" ]; then
	root=(--trust-root "$TRUST_ROOT")
	anchor+=("${root[@]}")
fi

step() {
	printf '== %s\n' "$*" >&2
}

# Run a step; on failure, say which and exit with its code.
run() {
	local rc=0
	"$@" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "recovery: $1 failed with exit $rc" >&2
		exit "$rc"
	fi
}

step "list the snapshots of bucket $bucket in $dir"
# snapshot-prune --dry-run reads only the manifests; with a rule that keeps
# everything it lists every snapshot file with its kind and time.
listing=$(run snapshot-prune --dry-run --json --keep-last 1000000000 "$dir")
newest=$(jq -c --argjson b "$bucket" '[.files[] | select(.bucket == $b and
	.kind == "full")] | sort_by(.created) | last // empty' <<<"$listing")
if [ -z "$newest" ]; then
	echo "recovery: no full snapshot of bucket $bucket in $dir" >&2
	exit 3
fi
full=$(jq -r .file <<<"$newest")
# The deltas made since that snapshot; delta-replay puts them in order.
mapfile -t deltas < <(jq -r --argjson b "$bucket" --argjson t \
	"$(jq .created <<<"$newest")" '.files[] | select(.bucket == $b and
	.kind == "delta" and .created >= $t) | .file' <<<"$listing")

# A bucket that holds data already (a rerun) is kept and replayed onto; a
# failed import leaves the bucket empty, holding the chunks it received.
held=$(snapshot-export --store "$store" --bucket "$bucket" --dry-run --json \
	2>/dev/null | jq -r '.start_seq + .leaf_count' || echo 0)
if [ "${held:-0}" -gt 0 ]; then
	step "bucket $bucket is already in $store: keep it, replay onto it"
else
	step "import the newest full snapshot: $full"
	run snapshot-import --store "$store" --create "${anchor[@]}" "$dir/$full"
fi

if [ ${#deltas[@]} -gt 0 ]; then
	step "replay ${#deltas[@]} deltas"
	run delta-replay --store "$store" --bucket "$bucket" "${anchor[@]}" \
		"${deltas[@]/#/$dir/}"
fi

step "scrub: every chunk, data root and the MMR root"
run cid-verify --store "$store" --bucket "$bucket" "${root[@]}"

step "Proof-of-Sync with nonce $nonce"
run cid-verify --store "$store" --bucket "$bucket" --prove --key "$node_key" \
	--nonce "$nonce" -o "$proof"
echo "recovery: bucket $bucket recovered; proof in $proof" >&2
