#!/usr/bin/env bash
# The main job (`make demo`): the whole sync story in a scratch directory.
#
#   a primary bucket with a few hundred segments
#   -> a full snapshot to replica 1, verified against the primary's key
#   -> writes go on at the primary; replica 1 catches up with delta-replay
#   -> replica 2 syncs from replica 1, replica 3 from replica 2 (not from
#      the primary)
#   -> a Proof-of-Sync from replica 3, checked against the primary's root
#   -> a chain challenge answered by replica 3 and checked
#   -> the primary's bucket migrated to a new provider
#
# It prints a short summary, including the bytes the primary served
# against a star topology, and exits non-zero as soon as a step fails.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
bin=${W3SYNC_BIN:-$src/bin}
PATH="$bin:$PATH"
export PATH
unset W3SYNC_STORE W3SYNC_KEY
work=$(mktemp -d "${TMPDIR:-/tmp}/w3sync-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
t0=$(date +%s%N)

n=0
step() {
	n=$((n + 1))
	printf '%2d. %s\n' "$n" "$1"
}
fail() {
	echo "demo: step $n failed: $*" >&2
	exit 1
}
# Indent a program's output under its step.
show() {
	sed 's/^/      /'
}
# The commitment of a bucket, as "mmr_root start_seq leaf_count".
commitment() {
	snapshot-export --store "$1" --bucket 1 --dry-run --json |
		jq -r '"\(.mmr_root) \(.start_seq) \(.leaf_count)"'
}
size() {
	stat -c %s "$1"
}
key() {
	openssl genpkey -algorithm ed25519 -out "$1.pem" 2>/dev/null
	chmod 600 "$1.pem"
	openssl pkey -in "$1.pem" -pubout -out "$1.pub" 2>/dev/null
}
# Random blobs: $1 files named $2-N, sizes 0 to about 300 KiB.
blobs() {
	local i
	mkdir -p "$2"
	for i in $(seq 1 "$1"); do
		head -c $(((i * 7919) % 300000)) /dev/urandom >"$2/$i"
	done
}

step "keys for the primary, the three replicas and the new provider"
for k in primary replica3 newprov; do key "$k"; done

step "the primary: bucket 1 with 300 segments (0 to 300 KiB each)"
blobs 300 data1
segment-add --store primary --bucket 1 --create --key primary.pem data1/* |
	grep -E '^(mmr_root|leaf_count) ' | show

step "a full snapshot to replica 1, verified against the primary's key"
snapshot-export --store primary --bucket 1 -o full.tar.zst >/dev/null
snapshot-import --store replica1 --create --trust-key primary.pub full.tar.zst 2>&1 |
	grep -E '^(leaf_count|chunk_bytes|anchored) ' | show
served=$(size full.tar.zst)
base=$(snapshot-export --store primary --bucket 1 --dry-run --json |
	jq -r '.start_seq + .leaf_count')

step "writes go on at the primary: 50 segments in 5 commits, and a delete_before"
blobs 50 data2
for i in 0 1 2 3; do
	files=()
	for j in $(seq $((i * 10 + 1)) $((i * 10 + 10))); do
		files+=("data2/$j")
	done
	segment-add --store primary --bucket 1 --key primary.pem "${files[@]}" >/dev/null
done
segment-drop --store primary --bucket 1 --before 20 --admin-key primary.pem |
	grep -E '^(dropped|start_seq) ' | show
segment-add --store primary --bucket 1 --key primary.pem data2/4? data2/50 >/dev/null

step "the primary publishes one delta per commit (gossip messages)"
mkdir spool
snapshot-export --store primary --bucket 1 --since "$base" --split -o spool/ >/dev/null
printf '%s\n' spool/* | show
for f in spool/*; do served=$((served + $(size "$f"))); done

step "replica 1 catches up by replaying the spool"
delta-replay --store replica1 --bucket 1 spool 2>&1 |
	grep -E '^(applied|skipped|leaf_count|anchored) [0-9a-z]+$' | show
[ "$(commitment replica1)" = "$(commitment primary)" ] ||
	fail "replica 1 is not at the primary's commitment"

step "replica 2 syncs from replica 1, replica 3 from replica 2 (not from the primary)"
snapshot-export --store replica1 --bucket 1 |
	snapshot-import --store replica2 --create --trust-key primary.pub --quiet >/dev/null
snapshot-export --store replica2 --bucket 1 |
	snapshot-import --store replica3 --create --trust-key primary.pub --quiet >/dev/null
peer_bytes=$(snapshot-export --store replica2 --bucket 1 | wc -c)
[ "$(commitment replica3)" = "$(commitment primary)" ] ||
	fail "replica 3 is not at the primary's commitment"
synced=$(commitment replica3)
root=$(cut -d' ' -f1 <<<"$synced")
echo "replicas 2 and 3 at $synced" | show

step "replica 3 scrubs its copy: every chunk, data root and the MMR root"
cid-verify --store replica3 --bucket 1 --trust-root "$root" |
	grep -E '^(segments|chunks|bytes|status) ' | show

step "Proof-of-Sync from replica 3, checked against the primary's root"
nonce=$(openssl rand -hex 32)
cid-verify --store replica3 --bucket 1 --prove --key replica3.pem \
	--nonce "$nonce" --samples 8 -o proof.cbor >/dev/null
cid-verify --check-proof proof.cbor --root "$root" |
	grep -E '^(samples|status) ' | show

step "a chain challenge (leaf 5, chunk 0) answered by replica 3 and checked"
leaves=$(commitment primary | cut -d' ' -f3)
answer=$(cid-verify --store replica3 --bucket 1 --challenge 5:0)
cid-verify --check-challenge "$answer" --root "$root" --leaf 5 --chunk 0 \
	--leaf-count "$leaves" | show

step "the primary's bucket migrates to a new provider (writes still going on)"
( for i in $(seq 1 5); do
	head -c 50000 /dev/urandom >"late$i"
	segment-add --store primary --bucket 1 --key primary.pem "late$i" \
		>/dev/null 2>&1 || break
	sleep 0.2
done ) &
writer=$!
"$src/examples/migrate-provider.sh" primary newprov 1 primary.pem newprov.pem 2>&1 |
	tail -n 3 | show
wait "$writer" || true
[ "$(commitment newprov)" = "$(commitment primary)" ] ||
	fail "the new provider is not at the old one's final commitment"
if segment-add --store primary --bucket 1 --key primary.pem late1 >/dev/null 2>&1; then
	fail "the old provider still takes writes after release"
fi

# A star topology: the primary sends the full snapshot and every delta to
# each of the three replicas. Here it served replica 1 only.
star=$((served * 3))
ms=$((($(date +%s%N) - t0) / 1000000))
echo
echo "summary"
echo "  replicas 1-3            at $synced, verified against the primary's key"
echo "  new provider            at $(commitment newprov), the old one's final commitment"
echo "  bytes served by primary $served (a star topology: $star, $((served * 100 / star))%)"
echo "  bytes served by peers   $((peer_bytes * 2)) (replica 1 -> 2 -> 3)"
echo "  Proof-of-Sync           checked against the primary's root"
echo "  migration               offer, full scrub, acceptance verified; old provider released"
echo "demo: all $n steps passed in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
