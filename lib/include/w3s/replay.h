/* Replay planning (delta-replay(1)): which of a pile of delta archives, in
 * any arrival order and with duplicates, bring a bucket from its current
 * commitment forward, in which order, and why the replay stops.
 *
 * The planner sees manifests only (w3s_stream_scan reads them without the
 * chunks); it never opens an archive. The caller tags each manifest with
 * where its archive is, asks for a plan, and applies the plan's steps in
 * order (one archive each, atomically, with lib/import). Memory is about
 * 200 bytes per delta; archives that cannot apply yet stay where they are
 * (in their files, or in the caller's spool of stdin).
 *
 * Positions. A commitment covers [start_seq, start_seq + leaf_count); its
 * sequence number is start_seq + leaf_count, the next leaf's. An add moves
 * the sequence number forward, a drop (delete_before) moves start_seq
 * forward and keeps the sequence number, so along one history both only
 * grow, and two commitments with the same start_seq and leaf_count but
 * different roots belong to different histories.
 *
 * Classification of a delta of the bucket, against its current commitment
 * `cur` and the commitments of its change log (`known`):
 *   applied   its target is cur or known: skipped
 *   diverged  its base or target has the position of a known commitment
 *             (or cur) with another root: the histories differ (exit 5,
 *             nothing applied)
 *   next      its base is cur
 *   behind    its base is known but not cur: a delta from an older
 *             commitment, not usable (skipped)
 *   old       its target is at or before cur's position: older than the
 *             bucket's history (skipped)
 *   future    its base is at or after cur's position: held until the chain
 *             reaches it
 *   spans     it starts before cur and ends after it without passing
 *             through it: not usable (skipped; exit 5 when nothing else
 *             moves the bucket and nothing is held)
 * Duplicates (the same base and target) count once, the first one added.
 *
 * The chain starts at cur and follows the delta whose base is the
 * commitment reached. It stops at the end of the deltas (done, or a gap
 * when some are held: exit 3 naming the range from the commitment reached
 * to the nearest held base), at --until, or at a fork (two deltas with the
 * same base and different targets: exit 5 naming both; the steps before
 * the fork stay in the plan). */
#ifndef W3S_REPLAY_H
#define W3S_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/manifest.h>
#include <w3s/types.h>

struct w3s_bucket;

/* ---- --until ------------------------------------------------------------ */

enum w3s_replay_until_kind {
	W3S_UNTIL_NONE = 0,
	W3S_UNTIL_SEQ,		/* the first commitment of the chain whose
				 * start_seq + leaf_count is seq */
	W3S_UNTIL_ROOT,		/* the commitment with this MMR root */
	W3S_UNTIL_TIME,		/* the last commitment whose delta was made
				 * (manifest created) at or before time */
};

struct w3s_replay_until {
	enum w3s_replay_until_kind kind;
	uint64_t seq;
	uint8_t root[W3S_H256];
	int64_t time;		/* Unix seconds */
};

/* Parses a --until value: decimal digits (a sequence number), "0x" + 64
 * hex digits (an MMR root), "@" + decimal Unix seconds, or an ISO 8601 UTC
 * time YYYY-MM-DDTHH:MM:SSZ (also with a space for the T). 0, or
 * W3S_EUSAGE with a message. */
int w3s_replay_until_parse(const char *s, struct w3s_replay_until *u,
    struct w3s_err *err);
/* The value in words for messages ("seq 150", "root 0x…",
 * "2026-11-24T10:00:00Z"); out holds at least 80 bytes. */
void w3s_replay_until_format(const struct w3s_replay_until *u, char *out,
    size_t len);

/* ---- the planner -------------------------------------------------------- */

/* What the planner keeps of a delta's manifest, and the caller's tag. */
struct w3s_replay_delta {
	uint64_t tag;
	uint64_t bucket;
	struct w3s_commitment base;
	struct w3s_commitment target;
	uint64_t created;
	struct w3s_stream_counts counts;
	size_t nsigs;
};

struct w3s_replay;

struct w3s_replay *w3s_replay_new(struct w3s_err *err);
void w3s_replay_free(struct w3s_replay *r);

/* Adds the manifest of one archive; tag is the caller's (where the archive
 * is). A full snapshot is not a delta: 0 without adding it, *taken 0.
 * A delta whose target is not past its base (same position or backwards)
 * is W3S_EMALFORMED. taken may be NULL. */
int w3s_replay_add(struct w3s_replay *r, const struct w3s_manifest *m,
    uint64_t tag, int *taken, struct w3s_err *err);
/* The buckets of the deltas added, ascending; caller frees *ids. */
int w3s_replay_buckets(const struct w3s_replay *r, uint64_t **ids, size_t *n,
    struct w3s_err *err);

/* One change of the bucket's history (its change log): base -> target.
 * Only those that touch the commitments of the deltas added are kept, so
 * call it after the last w3s_replay_add. */
int w3s_replay_history(struct w3s_replay *r, const struct w3s_commitment *base,
    const struct w3s_commitment *target, struct w3s_err *err);
/* w3s_replay_history for every change of bucket b's change log (read in
 * one pass; memory does not grow with the log). */
int w3s_replay_load_history(struct w3s_replay *r, struct w3s_bucket *b,
    struct w3s_err *err);

enum w3s_replay_stop {
	W3S_REPLAY_DONE = 0,	/* no delta goes further, none is held */
	W3S_REPLAY_UNTIL,	/* --until reached */
	W3S_REPLAY_GAP,		/* deltas held past a gap, or --until not
				 * reached: exit 3 */
	W3S_REPLAY_FORK,	/* two deltas from one base: exit 5 */
	W3S_REPLAY_DIVERGED,	/* a delta of another history: exit 5 */
	W3S_REPLAY_PAST,	/* --until names a commitment the bucket is
				 * already past, or one the chain jumps
				 * over: exit 5 */
};

struct w3s_replay_plan {
	uint64_t bucket;
	struct w3s_commitment start;	/* the bucket's commitment now */
	struct w3s_commitment end;	/* after the steps */
	/* The deltas to apply, in order; borrowed from the planner until it
	 * is freed. */
	const struct w3s_replay_delta *const *steps;
	size_t nsteps;
	uint64_t segments, deletions, chunks, chunk_bytes; /* of the steps */
	/* Deltas of the bucket not in the steps. */
	size_t duplicates, applied, old, behind, spans, held;
	size_t diverged;
	size_t other_buckets;		/* deltas of other buckets */
	enum w3s_replay_stop stop;
	int code;			/* 0, W3S_EINCOMPLETE, W3S_ENOTAPPLY */
	struct w3s_err why;		/* the stop in one line, when code */
	/* GAP: from end to gap_to (has_gap_to; else to the --until value).
	 * FORK: at end, the targets fork_a and fork_b. DIVERGED: ours and
	 * theirs, two commitments at one position (or, for a spanning delta,
	 * cur and the delta's target). */
	int has_gap_to;
	struct w3s_commitment gap_to;
	struct w3s_commitment fork_a, fork_b;
	struct w3s_commitment ours, theirs;
};

/* Plans the replay of bucket from its current commitment cur, up to until
 * (NULL: no limit). 0 with *plan filled (plan->code says whether the
 * replay would complete), or W3S_ESYS. May be called again. */
int w3s_replay_plan(struct w3s_replay *r, uint64_t bucket,
    const struct w3s_commitment *cur, const struct w3s_replay_until *until,
    struct w3s_replay_plan *plan, struct w3s_err *err);
void w3s_replay_plan_free(struct w3s_replay_plan *plan);

/* Commitments in messages: "0x<root> (seq N, start_seq S)"; out holds
 * W3S_REPLAY_COMMIT_TEXT bytes. */
#define W3S_REPLAY_COMMIT_TEXT 128
void w3s_replay_commit_text(const struct w3s_commitment *c, char *out);

#endif
