#!/usr/bin/env bats
# The runbooks in examples/ run as written: the cron.d line, the systemd
# service's ExecStart lines (the timer itself excepted), and the recovery
# runbook end to end. Paths the files name under /srv and /var are
# replaced by scratch directories through the variables the files set.

bats_require_minimum_version 1.5.0
load helpers

SRC=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
EX=$SRC/examples

setup() {
	cd "$BATS_TEST_TMPDIR"
	make_key primary.pem
	openssl pkey -in primary.pem -pubout -out primary.pub 2>/dev/null
	mkdir data snaps
	for i in 1 2 3 4 5 6; do
		head -c $((i * 70000)) /dev/urandom >"data/$i"
	done
	run -0 segment-add --store store --bucket 1 --create --key primary.pem data/1 data/2
	run -0 segment-add --store store --bucket 9 --create --key primary.pem data/3
}

# The value a file gives a variable: "NAME=value" (cron) or
# "Environment=NAME=value" (systemd).
file_var() {
	sed -n -E "s/^(Environment=)?$2=//p" "$1"
}

@test "the cron.d line snapshots every bucket, then prunes, with the file's own variables" {
	line=$(grep -E '^[0-9*]' "$EX/w3sync-snapshot.cron")
	# minute hour day month weekday user command
	user=$(awk '{print $6}' <<<"$line")
	[ "$user" = w3sync ]
	cmd=$(cut -d' ' -f7- <<<"$line")
	[ "$(file_var "$EX/w3sync-snapshot.cron" W3SYNC_STORE)" = /srv/w3sync ]
	[ "$(file_var "$EX/w3sync-snapshot.cron" SHELL)" = /bin/sh ]
	run -0 env W3SYNC_STORE=store SNAPSHOT_DIR=snaps /bin/sh -c "$cmd"
	# One full snapshot per bucket, each one listed by snapshot-prune.
	run -0 snapshot-prune --dry-run --json --keep-last 100 snaps
	[ "$(jq -r '[.files[] | "\(.bucket) \(.kind)"] | join(",")' <<<"$output")" = "1 full,9 full" ]
	# Run again with new writes: new files, never an overwrite, and the
	# retention keeps the last three per bucket.
	for i in 4 5 6; do
		sleep 1
		run -0 segment-add --store store --bucket 1 --key primary.pem "data/$i"
		run -0 env W3SYNC_STORE=store SNAPSHOT_DIR=snaps /bin/sh -c "$cmd"
	done
	run -0 snapshot-prune --dry-run --json --keep-last 100 snaps
	[ "$(jq '[.files[] | select(.bucket == 1)] | length' <<<"$output")" -eq 3 ]
	[ "$(jq '[.files[] | select(.bucket == 9)] | length' <<<"$output")" -ge 1 ]
}

@test "the systemd service's ExecStart lines run in order with its Environment" {
	svc=$EX/w3sync-snapshot.service
	[ "$(file_var "$svc" W3SYNC_STORE)" = /srv/w3sync ]
	[ "$(file_var "$svc" SNAPSHOT_DIR)" = /var/backups/w3sync ]
	grep -q '^Type=oneshot$' "$svc"
	n=0
	while IFS= read -r exec; do
		n=$((n + 1))
		# systemd expands ${VAR} from Environment= the way sh does for
		# values without spaces.
		run -0 env W3SYNC_STORE=store SNAPSHOT_DIR=snaps /bin/sh -c "$exec"
	done < <(sed -n 's/^ExecStart=//p' "$svc")
	[ "$n" -eq 2 ]
	run -0 snapshot-prune --dry-run --json --keep-last 100 snaps
	[ "$(jq '.files | length' <<<"$output")" -eq 2 ]
	# The timer starts that service.
	grep -q '^OnCalendar=hourly$' "$EX/w3sync-snapshot.timer"
	grep -q '^WantedBy=timers.target$' "$EX/w3sync-snapshot.timer"
}

@test "the recovery runbook rebuilds a bucket from the newest full snapshot and the deltas after it, scrubs and proves it" {
	make_key node.pem
	run -0 snapshot-export --store store --bucket 1 -o snaps/
	seq=$(snapshot-export --store store --bucket 1 --dry-run --json | jq -r '.start_seq + .leaf_count')
	for i in 3 4 5; do
		run -0 segment-add --store store --bucket 1 --key primary.pem "data/$i"
	done
	run -0 snapshot-export --store store --bucket 1 --since "$seq" --split -o snaps/
	want=$(snapshot-export --store store --bucket 1 --dry-run)
	root=$(snapshot-export --store store --bucket 1 --dry-run --json | jq -r .mmr_root)

	TRUST_KEY=primary.pub NODE_KEY=node.pem NONCE=00112233 PROOF=proof.cbor \
		run -0 "$EX/recovery.sh" new snaps 1
	[ "$(snapshot-export --store new --bucket 1 --dry-run)" = "$want" ]
	run -0 cid-verify --check-proof proof.cbor --root "$root"
	# Run again: nothing to do, the same state, a new proof.
	TRUST_KEY=primary.pub NODE_KEY=node.pem NONCE=44556677 PROOF=proof2.cbor \
		run -0 "$EX/recovery.sh" new snaps 1
	[ "$(snapshot-export --store new --bucket 1 --dry-run)" = "$want" ]
	run -0 cid-verify --check-proof proof2.cbor --root "$root"
}

@test "the recovery runbook stops with the failing program's exit code" {
	make_key node.pem
	# No snapshot of the bucket at all: 3.
	TRUST_KEY=primary.pub NODE_KEY=node.pem run -3 --separate-stderr "$EX/recovery.sh" new snaps 1
	[[ $stderr == *"recovery: no full snapshot of bucket 1 in snaps"* ]]
	# A snapshot signed by a key that is not the trusted one: 1, no bucket.
	make_key other.pem
	openssl pkey -in other.pem -pubout -out other.pub 2>/dev/null
	run -0 snapshot-export --store store --bucket 1 -o snaps/
	TRUST_KEY=other.pub NODE_KEY=node.pem run -1 --separate-stderr "$EX/recovery.sh" new snaps 1
	[[ $stderr == *"recovery: snapshot-import failed with exit 1"* ]]
	# The bucket holds nothing (only the chunks kept for a resume).
	run -0 snapshot-export --store new --bucket 1 --dry-run --json
	[ "$(jq -r '.leaf_count' <<<"$output")" = 0 ]
	# With the right key, the same runbook now completes.
	TRUST_KEY=primary.pub NODE_KEY=node.pem PROOF=proof.cbor run -0 "$EX/recovery.sh" new snaps 1
	[ "$(snapshot-export --store new --bucket 1 --dry-run)" = "$(snapshot-export --store store --bucket 1 --dry-run)" ]
	# Wrong usage: 2.
	run -2 "$EX/recovery.sh" new snaps
}
