/* Delta ordering (lib/replay.c): a pile of delta manifests in any order,
 * a change log and a current commitment, all taken from the input, then
 * a plan. Small numbers and one-byte roots make the collisions that
 * matter (duplicates, forks, diverged histories) common. The plan must be
 * a chain: from the current commitment, each step's base the previous
 * step's target, ending at plan.end. The --until parser gets the tail of
 * the input as text.
 *
 * Input: a header byte (bits 0-1 bucket of cur, bit 2 use until), then
 * 11-byte records: kind (0-1 delta, 2 full, 3 history), bucket, base
 * (root byte, start_seq, leaf_count), target (the same), created. */
#include <string.h>

#include <w3s/manifest.h>
#include <w3s/replay.h>

#include "fuzz.h"

#define REC 11
#define MAX_RECS 256

static void
commitment(struct w3s_commitment *c, const uint8_t *p)
{
	memset(c->mmr_root, p[0], sizeof(c->mmr_root));
	c->start_seq = p[1] & 0x7f;
	c->leaf_count = p[2] & 0x7f;
	/* A few very large positions, for the saturating arithmetic. */
	if (p[1] & 0x80)
		c->start_seq = UINT64_MAX - c->start_seq;
	if (p[2] & 0x80)
		c->leaf_count = UINT64_MAX - c->leaf_count;
}

static int
same(const struct w3s_commitment *a, const struct w3s_commitment *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void
check_plan(const struct w3s_replay_plan *plan, uint64_t bucket,
    const struct w3s_commitment *cur)
{
	const struct w3s_commitment *at = cur;

	FUZZ_ASSERT(plan->bucket == bucket);
	FUZZ_ASSERT(same(&plan->start, cur));
	for (size_t i = 0; i < plan->nsteps; i++) {
		const struct w3s_replay_delta *d = plan->steps[i];

		FUZZ_ASSERT(d->bucket == bucket);
		FUZZ_ASSERT(same(&d->base, at));
		at = &d->target;
	}
	FUZZ_ASSERT(same(&plan->end, at));
	FUZZ_ASSERT(plan->code == 0 || plan->code == W3S_EINCOMPLETE ||
	    plan->code == W3S_ENOTAPPLY);
	if (plan->stop == W3S_REPLAY_UNTIL)
		FUZZ_ASSERT(plan->code == 0);
	if (plan->stop == W3S_REPLAY_GAP)
		FUZZ_ASSERT(plan->code == W3S_EINCOMPLETE);
	if (plan->stop == W3S_REPLAY_FORK ||
	    plan->stop == W3S_REPLAY_DIVERGED || plan->stop == W3S_REPLAY_PAST)
		FUZZ_ASSERT(plan->code == W3S_ENOTAPPLY);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct w3s_manifest *m = calloc(1, sizeof(*m));
	struct w3s_replay_until until, *up = NULL;
	struct w3s_commitment cur;
	struct w3s_replay_plan plan;
	struct w3s_replay *r = NULL;
	struct w3s_err err;
	uint64_t bucket, *ids = NULL;
	size_t i, n, nrec, nids = 0;
	char *text = NULL;

	if (m == NULL || size < 4)
		goto done;
	bucket = data[0] & 3;
	memset(&cur, 0, sizeof(cur));
	commitment(&cur, data + 1);
	nrec = (size - 4) / REC;
	if (nrec > MAX_RECS)
		nrec = MAX_RECS;
	/* Whatever follows the records is a --until value. */
	n = size - 4 - nrec * REC;
	if ((data[0] & 4) && (text = malloc(n + 1)) != NULL) {
		memcpy(text, data + 4 + nrec * REC, n);
		text[n] = '\0';
		if (w3s_replay_until_parse(text, &until, &err) == 0) {
			char words[128];

			w3s_replay_until_format(&until, words, sizeof(words));
			up = &until;
		}
	}
	if ((r = w3s_replay_new(&err)) == NULL)
		goto done;
	for (i = 0; i < nrec; i++) {
		const uint8_t *p = data + 4 + i * REC;
		int taken;

		if ((p[0] & 3) == 3)
			continue;
		m->kind = (p[0] & 3) == 2 ? W3S_STREAM_FULL : W3S_STREAM_DELTA;
		m->has_base = m->kind == W3S_STREAM_DELTA;
		m->bucket = p[1] & 3;
		commitment(&m->base, p + 2);
		commitment(&m->target, p + 5);
		m->created = p[8] | (uint64_t)p[9] << 8 | (uint64_t)p[10] << 16;
		if (w3s_replay_add(r, m, i, &taken, &err) != 0)
			FUZZ_ASSERT(err.code == W3S_EMALFORMED);
	}
	/* The change log, after the last add. */
	for (i = 0; i < nrec; i++) {
		const uint8_t *p = data + 4 + i * REC;
		struct w3s_commitment base, target;

		if ((p[0] & 3) != 3)
			continue;
		commitment(&base, p + 2);
		commitment(&target, p + 5);
		if (w3s_replay_history(r, &base, &target, &err) != 0)
			goto done;
	}
	if (w3s_replay_buckets(r, &ids, &nids, &err) != 0)
		goto done;
	for (i = 1; i < nids; i++)
		FUZZ_ASSERT(ids[i - 1] < ids[i]);
	if (w3s_replay_plan(r, bucket, &cur, up, &plan, &err) == 0) {
		check_plan(&plan, bucket, &cur);
		w3s_replay_plan_free(&plan);
		/* Planning again gives the same plan. */
		if (w3s_replay_plan(r, bucket, &cur, up, &plan, &err) == 0) {
			check_plan(&plan, bucket, &cur);
			w3s_replay_plan_free(&plan);
		}
	}
done:
	free(ids);
	free(text);
	w3s_replay_free(r);
	free(m);
	return 0;
}
