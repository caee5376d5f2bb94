#!/usr/bin/env bats
# snapshot-prune: retention rules on exact sets of files (fulls only, and
# 60 days of daily fulls with hourly deltas chained on them for two
# buckets), delta chains never broken (also on random directories checked
# against a Python reference of the rules), files of several archives,
# ignored files, --dry-run, --json, exit codes, and agreement of --help,
# the man page and the completions.
#
# The archives are written by tests/tools/mkstream (the real stream
# writer); a commitment "N" there is {BLAKE2b("commitment N"), 0, N}.

bats_require_minimum_version 1.5.0
load helpers

SRC="$BATS_TEST_DIRNAME/../.."
MKSTREAM="${W3SYNC_TOOLS:-$SRC/build/tools}/mkstream"
export LC_ALL=C
# 2025-12-01T00:00:00Z, a Monday: day 0 of the big directory.
T0=1764547200

mk() {
	"$MKSTREAM" "$@"
}

utc() {
	date -u -d "$1" +%s
}

# The files the last run keeps / deletes, from its text output, sorted.
kept() {
	awk '$1 == "keep" { print $2 }' <<<"$output" | sort
}
deleted() {
	awk '$1 == "delete" { print $2 }' <<<"$output" | sort
}

# Lists its arguments one per line, sorted.
names() {
	printf '%s\n' "$@" | sort
}

# The 24 files of each given day of bucket B in the big directory: the full
# snapshot at hour 00, deltas at hours 01 to 23.
day_files() {
	local b=$1 d h
	shift
	for d; do
		for ((h = 0; h < 24; h++)); do
			printf 'b%d-d%02d-h%02d.tar.zst\n' "$b" "$d" "$h"
		done
	done
}

# The big directory, made once: bucket 7 has days 0 to 59 (2025-12-01 to
# 2026-01-29), bucket 9 days 0 to 44 (to 2026-01-14, a Wednesday), half an
# hour later. Each day: a full snapshot at 00, then 23 hourly deltas, each
# on the one before (commitment numbers b*100000 + 24*day + hour).
setup_file() {
	local b d h n t nd
	mkdir "$BATS_FILE_TMPDIR/big"
	for b in 7 9; do
		nd=60
		[ "$b" = 9 ] && nd=45
		for ((d = 0; d < nd; d++)); do
			for ((h = 0; h < 24; h++)); do
				n=$((b * 100000 + d * 24 + h))
				t=$((T0 + d * 86400 + h * 3600 + (b == 9 ? 1800 : 0)))
				if ((h == 0)); then
					printf 'b%d-d%02d-h%02d.tar.zst %d full - %d %d\n' "$b" "$d" "$h" "$b" "$n" "$t"
				else
					printf 'b%d-d%02d-h%02d.tar.zst %d delta %d %d %d\n' "$b" "$d" "$h" "$b" $((n - 1)) "$n" "$t"
				fi
			done
		done
	done | (cd "$BATS_FILE_TMPDIR/big" && "$MKSTREAM" --batch)
	[ "$(ls "$BATS_FILE_TMPDIR/big" | wc -l)" -eq 2520 ]
}

# Each test works in a directory of its own: run --separate-stderr keeps a
# file in $BATS_TEST_TMPDIR.
setup() {
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w" || exit 1
}

# prune_big "DAYS OF BUCKET 7" "DAYS OF BUCKET 9" OPTION...: prunes a copy
# of the big directory and checks that exactly those days are left, and
# that the output says so.
prune_big() {
	local d7=$1 d9=$2 want
	shift 2
	rm -rf big
	cp -a "$BATS_FILE_TMPDIR/big" big
	# shellcheck disable=SC2086
	want=$({ day_files 7 $d7; day_files 9 $d9; } | sort)
	run -0 --separate-stderr snapshot-prune "$@" big
	[ -z "$stderr" ]
	[ "$(kept)" = "$want" ]
	[ "$(ls big)" = "$want" ]
	[ "$(deleted | wc -l)" -eq $((2520 - $(wc -l <<<"$want"))) ]
	[ "${#lines[@]}" -eq 2520 ]
}

# Reads snapshot-prune --json output on stdin and succeeds when every kept
# delta has a kept archive of its bucket whose target is its base, unless
# no archive of the directory has that target at all.
chains_whole() {
	jq -e '
	    [.files[] | .action as $a | .archives[] | . + {action: $a}] as $all
	    | [$all[] | select(.action == "keep")] as $kept
	    | all($kept[] | select(.kind == "delta"); . as $d
	        | any($kept[]; .bucket == $d.bucket and .target == $d.base)
	          or (any($all[]; .bucket == $d.bucket and .target == $d.base)
	              | not))' >/dev/null
}

# ---- the rules, on full snapshots only --------------------------------

# Bucket 7 around the turn of 2020/2021 (ISO week 2020-W53 runs from
# Monday 2020-12-28 to Sunday 2021-01-03), and bucket 9 on one day. The
# names are in no time order, and the modification times are reversed.
make_fulls() {
	mk -b 7 -t 1 -c "$(utc 2020-12-28T10:00:00)" q.tar.zst
	mk -b 7 -t 2 -c "$(utc 2020-12-31T23:59:59)" c.tar.zst
	mk -b 7 -t 3 -c "$(utc 2021-01-03T12:00:00)" x.tar.zst
	mk -b 7 -t 4 -c "$(utc 2021-01-04T00:00:00)" a.tar.zst
	mk -b 7 -t 5 -c "$(utc 2021-01-04T00:59:59)" m.tar.zst
	mk -b 7 -t 6 -c "$(utc 2021-01-20T08:00:00)" b.tar.zst
	mk -b 7 -t 7 -c "$(utc 2021-02-01T00:00:00)" k.tar.zst
	mk -b 9 -t 1 -c "$(utc 2019-06-15T12:00:00)" z.tar.zst
	mk -b 9 -t 2 -c "$(utc 2019-06-15T13:00:00)" y.tar.zst
	touch -d 2030-01-01 q.tar.zst
	touch -d 2000-01-01 k.tar.zst y.tar.zst
}

# fulls_keep "KEPT..." OPTION...: on a fresh copy of the fulls.
fulls_keep() {
	local want n
	want=$(for n in $1; do echo "$n.tar.zst"; done | sort)
	shift
	rm -rf d
	mkdir d
	(cd d && make_fulls)
	run -0 --separate-stderr snapshot-prune "$@" d
	[ -z "$stderr" ]
	[ "$(kept)" = "$want" ]
	[ "$(ls d)" = "$want" ]
}

@test "--keep-last keeps the n newest of each bucket" {
	fulls_keep "k b y z" --keep-last 2
	fulls_keep "k y" -l 1
	fulls_keep "k b m a x c q y z" --keep-last 100
}

@test "--keep-hourly: the newest of each of the n latest hours that have snapshots" {
	# a (00:00:00) and m (00:59:59) share an hour: m is its newest.
	fulls_keep "k b m y z" --keep-hourly 3
	fulls_keep "k b m x y z" -H 4
}

@test "--keep-daily: days without snapshots do not count" {
	fulls_keep "k b m x y" --keep-daily 4
	fulls_keep "k b m x c q y" -d 6
}

@test "--keep-weekly: ISO weeks, one week across the new year" {
	fulls_keep "k b m y" --keep-weekly 3
	# 2020-W53 holds q, c and x: x (Sunday 2021-01-03) is its newest.
	fulls_keep "k b m x y" --keep-weekly 4
	fulls_keep "k b m x y" -w 5
}

@test "--keep-monthly: calendar months in UTC" {
	# c (2020-12-31T23:59:59) is the newest of December.
	fulls_keep "k b c y" --keep-monthly 3
	fulls_keep "k b c y" -m 12
}

@test "rules count on their own; a file kept by any rule is kept, with every reason" {
	fulls_keep "k b c y" --keep-monthly 3 --keep-daily 1
	rm -rf d && mkdir d && (cd d && make_fulls)
	run -0 snapshot-prune --dry-run --keep-last 1 --keep-daily 4 --keep-weekly 2 --keep-monthly 3 d
	[ "${lines[0]}" = "delete  a.tar.zst  no rule keeps it" ]
	[ "${lines[1]}" = "keep  b.tar.zst  daily, weekly, monthly" ]
	[ "${lines[2]}" = "keep  c.tar.zst  monthly" ]
	[ "${lines[3]}" = "keep  k.tar.zst  last, daily, weekly, monthly" ]
	[ "${lines[4]}" = "keep  m.tar.zst  daily" ]
	[ "${lines[5]}" = "delete  q.tar.zst  no rule keeps it" ]
	[ "${lines[6]}" = "keep  x.tar.zst  daily" ]
	[ "${lines[7]}" = "keep  y.tar.zst  last, daily, weekly, monthly" ]
	[ "${lines[8]}" = "delete  z.tar.zst  no rule keeps it" ]
	[ "${#lines[@]}" -eq 9 ]
}

@test "snapshots of the same second: the greater name is the newer" {
	mk -b 7 -t 1 -c 1000 o.tar.zst
	mk -b 7 -t 2 -c 1000 p.tar.zst
	mk -b 7 -t 3 -c 999 z.tar.zst
	run -0 snapshot-prune -n --keep-last 1 .
	[ "$(kept)" = p.tar.zst ]
	run -0 snapshot-prune -n --keep-daily 1 .
	[ "$(kept)" = p.tar.zst ]
}

# ---- 60 days of fulls and hourly deltas, two buckets -------------------

@test "big directory: --keep-last 3 keeps the newest three and their day's chain" {
	prune_big "59" "44" --keep-last 3
	# The reasons: the rule, or the delta that needs the file.
	assert_line "keep  b7-d59-h23.tar.zst  last"
	assert_line "keep  b7-d59-h21.tar.zst  last, needed by b7-d59-h22.tar.zst"
	assert_line "keep  b7-d59-h20.tar.zst  needed by b7-d59-h21.tar.zst"
	assert_line "keep  b7-d59-h00.tar.zst  needed by b7-d59-h01.tar.zst"
	assert_line "delete  b7-d58-h23.tar.zst  no rule keeps it"
	assert_line "keep  b9-d44-h21.tar.zst  last, needed by b9-d44-h22.tar.zst"
}

@test "big directory: --keep-hourly 30 reaches into the day before, and keeps its full" {
	prune_big "58 59" "43 44" --keep-hourly 30
	# 24 hours of day 59 (the full at 00 too) and hours 18 to 23 of day 58.
	assert_line "keep  b7-d59-h00.tar.zst  hourly, needed by b7-d59-h01.tar.zst"
	assert_line "keep  b7-d58-h23.tar.zst  hourly"
	assert_line "keep  b7-d58-h18.tar.zst  hourly, needed by b7-d58-h19.tar.zst"
	assert_line "keep  b7-d58-h17.tar.zst  needed by b7-d58-h18.tar.zst"
	assert_line "keep  b7-d58-h00.tar.zst  needed by b7-d58-h01.tar.zst"
	[ "$(grep -c 'hourly' <<<"$output")" -eq 60 ]
}

@test "big directory: --keep-daily 7, per bucket" {
	prune_big "53 54 55 56 57 58 59" "38 39 40 41 42 43 44" --keep-daily 7
	assert_line "keep  b7-d53-h23.tar.zst  daily"
	assert_line "keep  b9-d38-h23.tar.zst  daily"
	[ "$(grep -c 'daily' <<<"$output")" -eq 14 ]
}

@test "big directory: --keep-weekly 4 keeps the Sundays and the last day" {
	# Bucket 7: weeks of 01-26 (last day 01-29, day 59), 01-19 (Sunday
	# 01-25, day 55), 01-12 (day 48), 01-05 (day 41). Bucket 9: weeks of
	# 01-12 (last day 01-14, day 44), 01-05 (41), 12-29 (Sunday 01-04,
	# day 34), 12-22 (day 27).
	prune_big "41 48 55 59" "27 34 41 44" --keep-weekly 4
}

@test "big directory: --keep-monthly 2 keeps December 31 and the last day" {
	prune_big "30 59" "30 44" --keep-monthly 2
}

@test "big directory: rules together" {
	prune_big "30 55 57 58 59" "30 41 42 43 44" \
		--keep-last 2 --keep-daily 3 --keep-weekly 2 --keep-monthly 2
	prune_big "30 41 48 55 57 58 59" "27 30 34 41 42 43 44" \
		-l 2 -H 5 -d 3 -w 4 -m 6
}

@test "big directory: no kept delta ever loses its chain back to its full" {
	local opts
	for opts in "-l 1" "-l 25" "-H 1" "-H 47" "-d 1" "-d 20" "-w 1" "-w 9" \
		"-m 1" "-m 3" "-l 3 -H 7 -d 2 -w 3 -m 2"; do
		# shellcheck disable=SC2086
		run -0 --separate-stderr snapshot-prune --dry-run --json $opts "$BATS_FILE_TMPDIR/big"
		chains_whole <<<"$output"
		# And by the names: with hour h of a day kept, hours 00 to h
		# of that day are kept too.
		jq -e '[.files[] | select(.action == "keep") | .file] as $k
		    | (reduce $k[] as $f ({}; .[$f] = true)) as $set
		    | all($k[]; capture("^(?<d>.*-h)(?<h>[0-9][0-9])") as $c
		        | all(range(0; ($c.h | tonumber) + 1);
		            $set[$c.d + (if . < 10 then "0" else "" end)
		                + tostring + ".tar.zst"]))' <<<"$output" >/dev/null
	done
}

@test "--dry-run changes nothing and prints what the real run does" {
	cp -a "$BATS_FILE_TMPDIR/big" big
	cp -a "$BATS_FILE_TMPDIR/big" big2
	before=$(ls -l --full-time big; stat -c '%n %i %Y' big/*)
	run -0 --separate-stderr snapshot-prune --dry-run --keep-daily 2 --keep-weekly 2 big
	dry=$output
	[ "$(ls -l --full-time big; stat -c '%n %i %Y' big/*)" = "$before" ]
	run -0 snapshot-prune -n -j -d 2 -w 2 big
	[ "$(ls -l --full-time big; stat -c '%n %i %Y' big/*)" = "$before" ]
	run -0 snapshot-prune --keep-daily 2 --keep-weekly 2 big2
	[ "$output" = "$dry" ]
	[ "$(ls big2)" = "$(awk '$1 == "keep" { print $2 }' <<<"$dry")" ]
}

# ---- chains -------------------------------------------------------------

# f0 (commitment 0), deltas d1..d5 (0->1 .. 4->5), a full f5 at 5 a second
# after d5, and d6 (5->6), an hour apart.
make_chain() {
	mk -b 7 -t 0 -c $T0 f0.tar.zst
	for i in 1 2 3 4 5 6; do
		mk -b 7 -k delta -B $((i - 1)) -t $i -c $((T0 + i * 3600)) d$i.tar.zst
	done
	mk -b 7 -t 5 -c $((T0 + 5 * 3600 + 1)) f5.tar.zst
}

@test "a full snapshot at a kept delta's base is kept rather than the deltas before it" {
	make_chain
	run -0 --separate-stderr snapshot-prune --keep-last 1 .
	[ -z "$stderr" ]
	assert_output "delete  d1.tar.zst  no rule keeps it
delete  d2.tar.zst  no rule keeps it
delete  d3.tar.zst  no rule keeps it
delete  d4.tar.zst  no rule keeps it
delete  d5.tar.zst  no rule keeps it
keep  d6.tar.zst  last
delete  f0.tar.zst  no rule keeps it
keep  f5.tar.zst  needed by d6.tar.zst"
	[ "$(ls)" = "$(names d6.tar.zst f5.tar.zst)" ]
}

@test "a kept delta keeps every delta back to its full snapshot" {
	make_chain
	run -0 snapshot-prune --keep-last 3 .
	[ "$(kept)" = "$(names f0 d1 d2 d3 d4 d5 d6 f5 | sed 's/$/.tar.zst/' | sort)" ]
	assert_line "keep  d5.tar.zst  last"
	assert_line "keep  f5.tar.zst  last, needed by d6.tar.zst"
	assert_line "keep  d4.tar.zst  needed by d5.tar.zst"
	assert_line "keep  f0.tar.zst  needed by d1.tar.zst"
}

@test "of two deltas to a kept delta's base, the one that leads to a full snapshot" {
	mk -b 7 -t 0 -c 100 f0.tar.zst
	mk -b 7 -k delta -B 0 -t 1 -c 200 x1.tar.zst
	mk -b 7 -k delta -B 9 -t 1 -c 300 y1.tar.zst
	mk -b 7 -k delta -B 1 -t 2 -c 400 z2.tar.zst
	run -0 --separate-stderr snapshot-prune -n --keep-last 1 .
	[ -z "$stderr" ]
	[ "$(kept)" = "$(names f0.tar.zst x1.tar.zst z2.tar.zst)" ]
	assert_line "keep  x1.tar.zst  needed by z2.tar.zst"
	# y1 is kept by a rule, but its chain is broken: x1 is still kept
	# for z2, and y1 gets a warning.
	run -0 --separate-stderr snapshot-prune --keep-last 2 .
	[ "$(kept)" = "$(names f0.tar.zst x1.tar.zst y1.tar.zst z2.tar.zst)" ]
	[ "$stderr" = "snapshot-prune: warning: ./y1.tar.zst: bucket 7: no snapshot here has the base of this delta (0x$(printf 'commitment 9' | b2sum -l 256 | cut -c1-64), start_seq 0, leaf_count 9): kept without it" ]
}

@test "a delta whose base is nowhere is kept with a warning; exit 0" {
	mk -b 7 -k delta -B 3 -t 4 -c 100 d4.tar.zst
	mk -b 7 -k delta -B 4 -t 5 -c 200 d5.tar.zst
	run -0 --separate-stderr snapshot-prune --keep-last 1 .
	assert_output "keep  d4.tar.zst  needed by d5.tar.zst
keep  d5.tar.zst  last"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "snapshot-prune: warning: ./d4.tar.zst: bucket 7: no snapshot here has the base of this delta ("*", start_seq 0, leaf_count 3): kept without it" ]]
}

@test "the base must be of the same bucket, with the same root, start_seq and leaf_count" {
	r=0x$(printf '%064d' 7)
	mk -b 7 -t "$r:0:5" -c 10 a.tar.zst
	mk -b 7 -t "$r:1:4" -c 11 b.tar.zst
	mk -b 7 -t "$r:1:5" -c 12 c.tar.zst
	mk -b 9 -t "$r:1:5" -c 13 other.tar.zst
	mk -b 9 -t 1 -c 14 other2.tar.zst
	mk -b 7 -k delta -B "$r:1:5" -t 6 -c 20 d.tar.zst
	run -0 --separate-stderr snapshot-prune --dry-run --keep-last 1 .
	[ -z "$stderr" ]
	assert_output "delete  a.tar.zst  no rule keeps it
delete  b.tar.zst  no rule keeps it
keep  c.tar.zst  needed by d.tar.zst
keep  d.tar.zst  last
delete  other.tar.zst  no rule keeps it
keep  other2.tar.zst  last"
	# Only bucket 9 has the base: bucket 7's delta is on its own.
	rm c.tar.zst
	run -0 --separate-stderr snapshot-prune -n --keep-last 1 .
	assert_line "delete  other.tar.zst  no rule keeps it"
	[[ $stderr == *"./d.tar.zst: bucket 7: no snapshot here has the base"* ]]
}

@test "random directories: rules as the Python reference says, chains whole" {
	for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
		rm -rf r && mkdir r
		python3 - "$seed" "$T0" >r.lines <<'EOF'
import random, sys
seed, t0 = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
targets = {7: [], 9: []}
n = 0
for i in range(rnd.randint(30, 90)):
    b = rnd.choice([7, 9])
    t = t0 + rnd.randint(0, 120 * 24) * 3600 + rnd.choice([0, 0, 1800, 3599])
    n += 1
    # Sometimes a commitment another archive has too.
    tgt = rnd.choice(targets[b]) if targets[b] and rnd.random() < 0.1 else n
    if not targets[b] or rnd.random() < 0.2:
        print(f"r{i:03d}.tar.zst {b} full - {tgt} {t}")
    else:
        base = rnd.choice(targets[b] + [999999])
        print(f"r{i:03d}.tar.zst {b} delta {base} {tgt} {t}")
    targets[b].append(tgt)
EOF
		(cd r && "$MKSTREAM" --batch) <r.lines
		opts=$(python3 -c 'import random,sys; r=random.Random(int(sys.argv[1])*7)
o=[f"--keep-{k} {r.randint(1,6)}" for k in ("last","hourly","daily","weekly","monthly") if r.random()<0.5]
print(" ".join(o or ["--keep-weekly 2"]))' "$seed")
		# shellcheck disable=SC2086
		run -0 --separate-stderr snapshot-prune -n -j $opts r
		json=$output
		chains_whole <<<"$json"
		# Kept exactly when there is a reason.
		jq -e 'all(.files[]; (.action == "keep") == (.reasons | length > 0))' <<<"$json" >/dev/null
		# The rules' part of the reasons, against the reference.
		got=$(jq -r '.files[] | "\(.file) \([.reasons[] | select(startswith("needed by ") | not)] | join(","))"' <<<"$json")
		# shellcheck disable=SC2086
		want=$(python3 - r.lines $opts <<'EOF'
import sys, datetime
lines = [l.split() for l in open(sys.argv[1])]
args = sys.argv[2:]
keep = {args[i][7:]: int(args[i + 1]) for i in range(0, len(args), 2)}
def period(rule, t, k):
    if rule == "last":
        return k
    if rule == "hourly":
        return t // 3600
    if rule == "daily":
        return t // 86400
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    if rule == "weekly":
        return d.isocalendar()[:2]
    return (d.year, d.month)
reasons = {l[0]: [] for l in lines}
for b in {l[1] for l in lines}:
    arch = sorted((l for l in lines if l[1] == b),
                  key=lambda l: (int(l[5]), l[0]), reverse=True)
    for rule in ("last", "hourly", "daily", "weekly", "monthly"):
        if rule not in keep:
            continue
        seen = []
        for k, l in enumerate(arch):
            p = period(rule, int(l[5]), k)
            if seen and seen[-1] == p:
                continue
            if len(seen) == keep[rule]:
                break
            seen.append(p)
            reasons[l[0]].append(rule)
for name in sorted(reasons):
    print(name, ",".join(reasons[name]))
EOF
)
		[ "$got" = "$want" ] || { echo "seed $seed ($opts)"; diff <(echo "$want") <(echo "$got"); false; }
	done
}

# ---- files of several archives -----------------------------------------

@test "a file of several archives is kept when any of them is" {
	mk -b 7 -t 1 -c 100 a7
	mk -b 9 -t 1 -c 100 a9
	cat a7 a9 >all.tar.zst
	rm a7 a9
	mk -b 7 -t 2 -c 200 n7.tar.zst
	run -0 --separate-stderr snapshot-prune --keep-last 1 .
	[ -z "$stderr" ]
	assert_output "keep  all.tar.zst  last
keep  n7.tar.zst  last"
	run -0 snapshot-prune -n -j -l 1 .
	[ "$(jq -c '.files[0] | [.bucket, .kind, .created, .action]' <<<"$output")" = '[7,"full",100,"keep"]' ]
	[ "$(jq -c '[.files[0].archives[] | [.bucket, .reasons]]' <<<"$output")" = '[[7,[]],[9,["last"]]]' ]
	# A newer bucket 9 delta on the bucket 9 archive: the file is then
	# kept only because that delta needs it.
	mk -b 9 -k delta -B 1 -t 2 -c 300 d9.tar.zst
	run -0 snapshot-prune --keep-last 1 .
	assert_output "keep  all.tar.zst  needed by d9.tar.zst
keep  d9.tar.zst  last
keep  n7.tar.zst  last"
	# And a newer bucket 9 full: the file goes.
	mk -b 9 -t 3 -c 400 f9.tar.zst
	run -0 snapshot-prune --keep-last 1 .
	[ "$(kept)" = "$(names f9.tar.zst n7.tar.zst)" ]
	[ "$(ls)" = "$(names f9.tar.zst n7.tar.zst)" ]
}

@test "later archives are found past a big first archive and skippable frames" {
	# A store-mode (raw blocks) archive of one 256 KiB chunk, then a
	# skippable frame, then a bucket 9 archive; a skippable frame first.
	mk -b 7 -t 1 -c 100 -p 262144 -l 0 big7
	mk -b 9 -t 5 -c 100 -s a9
	{ printf '\x50\x2a\x4d\x18\x03\x00\x00\x00abc'; cat big7
	  printf '\x5f\x2a\x4d\x18\x00\x00\x00\x00'; cat a9; } >both.tar.zst
	mk -b 7 -t 2 -c 200 n7.tar.zst
	mk -b 9 -k delta -B 5 -t 6 -c 300 d9.tar.zst
	rm big7 a9
	run -0 --separate-stderr snapshot-prune -l 1 --json .
	[ -z "$stderr" ]
	[ "$(jq -r '.files[] | select(.file == "both.tar.zst") | .reasons[]' <<<"$output")" = "needed by d9.tar.zst" ]
	[ "$(jq -c '[.files[] | select(.file == "both.tar.zst") | .archives[].bucket]' <<<"$output")" = '[7,9]' ]
	[ -e both.tar.zst ]
}

@test "frames that start no archive are passed over, up to a budget" {
	mk -b 7 -t 1 -c 100 a7
	mk -b 9 -t 1 -c 100 a9
	printf '' | zstd -q -c >empty.zst
	# 500 empty frames between the archives: the second is found.
	{ cat a7; for ((i = 0; i < 500; i++)); do cat empty.zst; done; cat a9; } >some.tar.zst
	# 3000: the budget (1024, and one per 64 KiB) runs out first.
	{ cat a7; for ((i = 0; i < 3000; i++)); do cat empty.zst; done; cat a9; } >many.tar.zst
	rm a7 a9 empty.zst
	run -0 --separate-stderr snapshot-prune -n -j -l 1 .
	[ "$(jq -c '[.files[] | [.file, [.archives[].bucket]]]' <<<"$output")" = '[["many.tar.zst",[7]],["some.tar.zst",[7,9]]]' ]
	[ "$stderr" = "snapshot-prune: warning: ./many.tar.zst: too many zstd frames that start no archive: the rest of the file is not looked at" ]
}

@test "one file holding a full snapshot and its delta does not need itself" {
	mk -b 7 -t 1 -c 100 f
	mk -b 7 -k delta -B 1 -t 2 -c 200 d
	cat f d >both.tar.zst
	rm f d
	mk -b 7 -t 0 -c 50 old.tar.zst
	run -0 --separate-stderr snapshot-prune --keep-last 1 .
	[ -z "$stderr" ]
	assert_output "keep  both.tar.zst  last
delete  old.tar.zst  no rule keeps it"
}

@test "only manifests are read: damaged chunk bytes or a cut-off end still count" {
	# Store mode: raw blocks, no zstd checksum, so only the chunk's own
	# hash could tell.
	mk -b 7 -t 1 -c 100 -p 262144 -l 0 damaged.tar.zst
	size=$(stat -c %s damaged.tar.zst)
	printf '\xff\xff\xff\xff' | dd of=damaged.tar.zst bs=1 seek=$((size - 3000)) conv=notrunc status=none
	mk -b 9 -t 1 -c 100 -p 262144 cut.tar.zst
	truncate -s 70000 cut.tar.zst
	run ! tar --zstd -tf cut.tar.zst
	mk -b 7 -t 0 -c 50 old7.tar.zst
	mk -b 9 -t 0 -c 50 old9.tar.zst
	run -0 --separate-stderr snapshot-prune --keep-last 1 .
	[ -z "$stderr" ]
	assert_output "keep  cut.tar.zst  last
keep  damaged.tar.zst  last
delete  old7.tar.zst  no rule keeps it
delete  old9.tar.zst  no rule keeps it"
}

# ---- files that are not snapshots --------------------------------------

@test "files that are not snapshots are ignored with one line each, never deleted" {
	mk -b 7 -t 1 -c 100 good.tar.zst
	mk -b 7 -t 1 -c 50 .hidden.tar.zst
	echo hello >README
	cp good.tar.zst old.tar.zst.partial
	mk -b 7 -t 2 -c 60 -s -x bad-sig.tar.zst
	: >empty.tar.zst
	echo 'hello, not zstd' >garbage.tar.zst
	ln -s good.tar.zst link.tar.zst
	tar --zstd -cf plain.tar.zst README
	mkdir sub.tar.zst
	head -c 20 good.tar.zst >trunc.tar.zst
	mkfifo fifo.tar.zst
	before=$(ls -lA --full-time)
	run -0 --separate-stderr snapshot-prune --keep-last 1 .
	assert_output "keep  good.tar.zst  last"
	[ "$(ls -lA --full-time)" = "$before" ]
	[ "${#stderr_lines[@]}" -eq 11 ]
	[ "${stderr_lines[0]}" = "snapshot-prune: warning: ./.hidden.tar.zst: ignored: hidden file" ]
	[ "${stderr_lines[1]}" = "snapshot-prune: warning: ./README: ignored: not named *.tar.zst" ]
	[[ ${stderr_lines[2]} == "snapshot-prune: warning: ./bad-sig.tar.zst: ignored: not a snapshot: "*"signature"*"does not verify" ]]
	[ "${stderr_lines[3]}" = "snapshot-prune: warning: ./empty.tar.zst: ignored: not a snapshot: the input is empty" ]
	[ "${stderr_lines[4]}" = "snapshot-prune: warning: ./fifo.tar.zst: ignored: not a regular file" ]
	[ "${stderr_lines[5]}" = "snapshot-prune: warning: ./garbage.tar.zst: ignored: not a snapshot: the input is not zstd-compressed: not a w3sync stream" ]
	[ "${stderr_lines[6]}" = "snapshot-prune: warning: ./link.tar.zst: ignored: not a regular file" ]
	[ "${stderr_lines[7]}" = "snapshot-prune: warning: ./old.tar.zst.partial: ignored: not named *.tar.zst" ]
	[[ ${stderr_lines[8]} == "snapshot-prune: warning: ./plain.tar.zst: ignored: not a snapshot: "* ]]
	[ "${stderr_lines[9]}" = "snapshot-prune: warning: ./sub.tar.zst: ignored: not a regular file" ]
	[[ ${stderr_lines[10]} == "snapshot-prune: warning: ./trunc.tar.zst: ignored: not a snapshot: "* ]]
	run -0 --separate-stderr snapshot-prune --json --keep-last 1 .
	[ "$(jq -r '.ignored[].file' <<<"$output" | tr '\n' ' ')" = ".hidden.tar.zst README bad-sig.tar.zst empty.tar.zst fifo.tar.zst garbage.tar.zst link.tar.zst old.tar.zst.partial plain.tar.zst sub.tar.zst trunc.tar.zst " ]
	[ "$(jq -r '.ignored[1].reason' <<<"$output")" = "not named *.tar.zst" ]
	# A directory of no snapshots at all: nothing to do.
	mkdir e && echo x >e/notes
	run -0 --separate-stderr snapshot-prune -l 1 e
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

# ---- output --------------------------------------------------------------

@test "--json: one object with dir, files and ignored, parsed with jq" {
	make_chain
	run -0 --separate-stderr snapshot-prune --json --dry-run --keep-last 1 .
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .dir <<<"$output")" = . ]
	[ "$(jq -c 'keys_unsorted' <<<"$output")" = '["dir","files","ignored"]' ]
	[ "$(jq -c '.files[0] | keys_unsorted' <<<"$output")" = '["file","bucket","kind","created","action","reasons","archives"]' ]
	[ "$(jq -r '.files | length' <<<"$output")" -eq 8 ]
	[ "$(jq -c '.files[] | select(.file == "d6.tar.zst") | [.bucket, .kind, .created, .action, .reasons]' <<<"$output")" = "[7,\"delta\",$((T0 + 6 * 3600)),\"keep\",[\"last\"]]" ]
	[ "$(jq -c '.files[] | select(.file == "f5.tar.zst") | [.kind, .action, .reasons]' <<<"$output")" = '["full","keep",["needed by d6.tar.zst"]]' ]
	[ "$(jq -c '.files[] | select(.file == "d1.tar.zst") | [.action, .reasons]' <<<"$output")" = '["delete",[]]' ]
	# The commitments: d6's base is f5's target.
	[ "$(jq -c '.files[] | select(.file == "d6.tar.zst") | .archives[0].base' <<<"$output")" = "$(jq -c '.files[] | select(.file == "f5.tar.zst") | .archives[0].target' <<<"$output")" ]
	[ "$(jq -r '.files[] | select(.file == "f5.tar.zst") | .archives[0] | "\(.base) \(.target.leaf_count) \(.target.start_seq) \(.target.mmr_root)"' <<<"$output")" = "null 5 0 0x$(printf 'commitment 5' | b2sum -l 256 | cut -c1-64)" ]
	[ "$(jq -c '.ignored' <<<"$output")" = '[]' ]
	# Names that are not plain: escaped in JSON, and as sha256sum does in text.
	mk -b 7 -t 9 -c $((T0 + 99999)) $'new\nline.tar.zst'
	run -0 snapshot-prune --json -n --keep-last 1 .
	[ "$(jq -c '[.files[] | select(.action == "keep") | .file]' <<<"$output")" = '["new\nline.tar.zst"]' ]
	run -0 snapshot-prune -n --keep-last 1 .
	assert_line '\keep  new\nline.tar.zst  last'
}

# ---- exit codes --------------------------------------------------------

@test "no rule exits 2" {
	mk -b 7 -t 1 -c 100 a.tar.zst
	run -2 --separate-stderr snapshot-prune .
	[ "$stderr" = "snapshot-prune: error: usage: no retention rule given (--keep-last, --keep-hourly, --keep-daily, --keep-weekly or --keep-monthly) (see snapshot-prune --help)" ]
	[ -z "$output" ]
	run -2 snapshot-prune --dry-run --json .
	[ -e a.tar.zst ]
}

@test "a bad count exits 2" {
	mk -b 7 -t 1 -c 100 a.tar.zst
	run -2 --separate-stderr snapshot-prune --keep-last 0 .
	[ "$stderr" = "snapshot-prune: error: usage: --keep-last: '0' is not a whole number of at least 1 (see snapshot-prune --help)" ]
	for bad in -1 '' abc 1x ' 1' +1 0x10 18446744073709551616 1.5; do
		run -2 --separate-stderr snapshot-prune --keep-daily "$bad" .
		[[ $stderr == "snapshot-prune: error: usage: --keep-daily: '$bad' is not"* ]]
	done
	run -2 snapshot-prune -H 0 .
	run -2 snapshot-prune -w x .
	run -2 snapshot-prune -m -3 .
	run -0 snapshot-prune -n --keep-monthly 18446744073709551615 .
	[ -e a.tar.zst ]
}

@test "a missing or extra directory operand, or a bad option, exits 2" {
	run -2 --separate-stderr snapshot-prune --keep-last 1
	[ "$stderr" = "snapshot-prune: error: usage: no directory given (see snapshot-prune --help)" ]
	mkdir a b
	run -2 --separate-stderr snapshot-prune --keep-last 1 a b
	[ "$stderr" = "snapshot-prune: error: usage: one directory only, not 2 operands (see snapshot-prune --help)" ]
	run -2 --separate-stderr snapshot-prune --frob -l 1 a
	[ "$stderr" = "snapshot-prune: error: usage: unknown or ambiguous option --frob (see snapshot-prune --help)" ]
	run -2 --separate-stderr snapshot-prune -l 1 a --keep-daily
	[ "$stderr" = "snapshot-prune: error: usage: option --keep-daily needs a value (see snapshot-prune --help)" ]
	run -2 snapshot-prune -l 1 --json=yes a
	run -2 snapshot-prune -Z -l 1 a
}

@test "exit codes 1, 3, 4, 5 and 6 are not used: damaged input is ignored" {
	# What would be 3 (truncated), 4 (malformed) or 1 (bad signature)
	# elsewhere makes a file "not a snapshot" here: exit 0.
	mk -b 7 -t 1 -c 100 good.tar.zst
	head -c 100 good.tar.zst >cut.tar.zst
	echo junk >junk.tar.zst
	mk -b 7 -t 2 -c 200 -s -x badsig.tar.zst
	run -0 --separate-stderr snapshot-prune -l 1 .
	[ "${#stderr_lines[@]}" -eq 3 ]
	assert_output "keep  good.tar.zst  last"
}

# Runs snapshot-prune as user nobody when the tests run as root (root
# reads and deletes whatever the permissions say), else as the user.
prune_as_other() {
	local as=()
	[ "$(id -u)" -ne 0 ] || as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	"${as[@]}" "$(command -v snapshot-prune)" "$@"
}

# A directory that nobody can reach, $PUB ($BATS_TEST_TMPDIR is private
# to root); teardown removes it.
make_pub() {
	PUB=$(mktemp -d /tmp/snapshot-prune-test.XXXXXX)
	chmod 755 "$PUB"
}

teardown() {
	if [ -n "${PUB:-}" ]; then
		chmod -R u+rwx "$PUB" 2>/dev/null
		rm -rf "$PUB"
	fi
}

@test "a directory that cannot be read exits 7" {
	run -7 --separate-stderr snapshot-prune -l 1 missing
	[ "$stderr" = "snapshot-prune: error: missing: cannot read the directory: no such file or directory" ]
	[ -z "$output" ]
	echo x >file
	run -7 --separate-stderr snapshot-prune -l 1 file
	[ "$stderr" = "snapshot-prune: error: file: cannot read the directory: not a directory" ]
	make_pub
	mkdir "$PUB/closed"
	mk -b 7 -t 1 -c 1 "$PUB/closed/a.tar.zst"
	chmod 000 "$PUB/closed"
	run -7 --separate-stderr prune_as_other -l 1 "$PUB/closed"
	[ "$stderr" = "snapshot-prune: error: $PUB/closed: cannot read the directory: permission denied" ]
	[ -z "$output" ]
}

@test "a snapshot file that cannot be read exits 7 and nothing is deleted" {
	make_pub
	(cd "$PUB" && make_chain)
	chmod 000 "$PUB/d3.tar.zst"
	before=$(ls -lA --full-time "$PUB")
	run -7 --separate-stderr prune_as_other --keep-last 1 "$PUB"
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "snapshot-prune: error: $PUB/d3.tar.zst: cannot open: permission denied" ]
	[ "${stderr_lines[1]}" = "snapshot-prune: error: $PUB: nothing deleted: 1 snapshot file could not be read" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "$(ls -lA --full-time "$PUB")" = "$before" ]
	run -7 --separate-stderr prune_as_other --json --dry-run --keep-last 1 "$PUB"
	[ -z "$output" ]
}

@test "a file that cannot be deleted exits 7 after trying the others" {
	make_pub
	(cd "$PUB" && make_chain)
	chmod 555 "$PUB"
	run -7 --separate-stderr prune_as_other --keep-last 1 "$PUB"
	[ "${#lines[@]}" -eq 8 ]
	assert_line "delete  f0.tar.zst  no rule keeps it"
	[ "${#stderr_lines[@]}" -eq 6 ]
	[ "${stderr_lines[0]}" = "snapshot-prune: error: $PUB/d1.tar.zst: cannot delete: permission denied" ]
	[ "${stderr_lines[5]}" = "snapshot-prune: error: $PUB/f0.tar.zst: cannot delete: permission denied" ]
	run -7 --separate-stderr prune_as_other --json --keep-last 1 "$PUB"
	[ "$(jq -r '.files[] | select(.file == "d2.tar.zst") | .error' <<<"$output")" = "permission denied" ]
	[ "$(jq -r '.files[] | select(.file == "d6.tar.zst") | has("error")' <<<"$output")" = false ]
	[ "$(ls "$PUB" | wc -l)" -eq 8 ]
	if [ "$(id -u)" -eq 0 ]; then
		# In a sticky directory nobody may delete only its own files:
		# one failure, and the others are deleted all the same.
		chmod 1777 "$PUB"
		(cd "$PUB" && chown 65534 d1.tar.zst d2.tar.zst d4.tar.zst d5.tar.zst f0.tar.zst)
		run -7 --separate-stderr prune_as_other --keep-last 1 "$PUB"
		[ "$stderr" = "snapshot-prune: error: $PUB/d3.tar.zst: cannot delete: operation not permitted" ]
		[ "$(ls "$PUB")" = "$(names d3.tar.zst d6.tar.zst f5.tar.zst)" ]
	fi
}

@test "a write error on standard output exits 7" {
	mk -b 7 -t 1 -c 100 a.tar.zst
	run -7 --separate-stderr bash -c 'snapshot-prune -n -l 1 . >/dev/full'
	[[ $stderr == "snapshot-prune: error: standard output: write failed"* ]]
}

@test "--help and --version print to stdout and exit 0" {
	run -0 --separate-stderr snapshot-prune --help
	assert_line --index 0 --partial 'usage: snapshot-prune'
	[ -z "$stderr" ]
	run -0 snapshot-prune -h
	run -0 --separate-stderr snapshot-prune --version
	assert_output --regexp '^snapshot-prune \(w3sync\) [0-9]'
	run -0 snapshot-prune -V
}

@test "--help, the man page SYNOPSIS and both completions list the same options" {
	options_agree snapshot-prune \
	    "--dry-run --help --json --keep-daily --keep-hourly --keep-last --keep-monthly --keep-weekly --version " \
	    "-H -V -d -h -j -l -m -n -w "
}

@test "the completions offer the options, and directories for the operand" {
	mkdir snaps
	: >snapfile
	run -0 bash -c ". '$SRC/completions/bash/w3sync'; COMP_WORDS=(snapshot-prune --keep-d); COMP_CWORD=1; _w3sync_snapshot_prune; echo \"\${COMPREPLY[*]}\""
	assert_output '--keep-daily'
	run -0 bash -c ". '$SRC/completions/bash/w3sync'; COMP_WORDS=(snapshot-prune -l 3 sna); COMP_CWORD=3; _w3sync_snapshot_prune; echo \"\${COMPREPLY[*]}\""
	assert_output 'snaps'
	run -0 bash -c ". '$SRC/completions/bash/w3sync'; COMP_WORDS=(snapshot-prune --keep-last ''); COMP_CWORD=2; _w3sync_snapshot_prune; echo \"\${#COMPREPLY[@]}\""
	assert_output '0'
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$SRC/completions/zsh/_w3sync"
	fi
}
