/* Import: verify stream archives and apply them to a bucket (import.h).
 *
 * One archive is one write session. Chunks go into the store as they
 * arrive; deletions, segments and index entries wait in an unlinked
 * temporary spool until the trailer, because the chunks a segment names
 * come after it and the store takes a segment only once its chunks are
 * stored. At the trailer the spool is replayed into the session, the
 * leaves are checked (sequence numbers, total_size chain) and the MMR root
 * the store computes is compared with the target before anything commits.
 * Without a store the same replay runs against an in-memory MMR and a set
 * of the chunk hashes that came.
 *
 * Chunks are stored by a second thread fed through a small ring of copies
 * (STORE_RING chunks in flight), so reading, decompressing and hashing the
 * stream go on while the store writes and syncs a batch. The caller's
 * thread touches the bucket only when that thread has stopped (store_drain):
 * at the trailer, and before an abort. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/chain.h>
#include <w3s/chunk.h>
#include <w3s/hex.h>
#include <w3s/import.h>
#include <w3s/mmr.h>
#include <w3s/scale.h>
#include <w3s/store.h>

/* Missing chunks named in a message. */
#define IMPORT_MISSING_NAMED 3
/* Trusted keys: the caller's and the bucket's. */
#define IMPORT_KEYS_MAX 1024
/* Chunks copied and waiting for the store thread: 32 x 256 KiB. */
#define STORE_RING 32

/* An open-addressing set of chunk hashes (verification without a store). */
struct hashset {
	uint8_t (*slots)[W3S_HASH_LEN];
	uint8_t *used;
	size_t cap;
	size_t n;
};

/* The store thread and its ring (on_chunk fills, store_main empties). */
struct storer {
	pthread_t th;
	int running;			/* th is started and not joined */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct {
		uint8_t *data;
		size_t len;
		uint8_t hash[W3S_H256];
	} slot[STORE_RING];
	uint64_t produced;
	uint64_t consumed;
	int closing;			/* no chunk will come after these */
	int rc;				/* the first failure; it stops the thread */
	struct w3s_err err;
	uint64_t written;
	uint64_t skipped;
};

struct w3s_import {
	struct w3s_bucket *b;		/* NULL: verify only */
	struct storer st;
	struct w3s_manifest m;
	int session;			/* a write session is open */
	int failed;
	int done;
	FILE *spool;
	struct hashset carried;		/* without a store */
	int check_refs;			/* every reference must be carried */
	uint64_t prev_total;		/* the bucket's last leaf total_size */
	int prev_held;
	struct w3s_trust trust_new;	/* what remember stores */
	uint8_t (*keys_new)[W3S_PUBKEY_LEN];
	size_t nkeys_new;
	int remember;
	/* Anchoring by a deletion certificate (check_trust, cert_anchor). */
	uint8_t (*anchor_keys)[W3S_PUBKEY_LEN];	/* trusted and admin keys */
	size_t nanchor_keys;
	int trust_deferred;		/* too few signatures: a certificate
					 * of the target must anchor it */
	struct w3s_err trust_why;	/* the failure if none does */
	int cert_names_target;		/* a trusted certificate names it */
	struct w3s_import_result res;
};

enum spool_tag { SP_DELETION = 'D', SP_SEGMENT = 'S', SP_INDEX = 'I' };

/* ---- small helpers ------------------------------------------------------ */

static void
commit_text(const struct w3s_commitment *c, char *out, size_t len)
{
	char root[W3S_HEX32_LEN];

	w3s_hex32_format(root, c->mmr_root);
	snprintf(out, len, "%s (start_seq %" PRIu64 ", leaf_count %" PRIu64
	    ")", root, c->start_seq, c->leaf_count);
}

static int
hashset_grow(struct hashset *s)
{
	struct hashset t;

	t.cap = s->cap ? 2 * s->cap : 1024;
	t.n = 0;
	t.slots = malloc(t.cap * sizeof(*t.slots));
	t.used = calloc(t.cap, 1);
	if (t.slots == NULL || t.used == NULL) {
		free(t.slots);
		free(t.used);
		return -1;
	}
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;

		if (!s->used[i])
			continue;
		memcpy(&j, s->slots[i], sizeof(j));
		for (j &= t.cap - 1; t.used[j]; j = (j + 1) & (t.cap - 1))
			;
		memcpy(t.slots[j], s->slots[i], W3S_HASH_LEN);
		t.used[j] = 1;
		t.n++;
	}
	free(s->slots);
	free(s->used);
	*s = t;
	return 0;
}

/* 1 when h is in the set; with add, adds it (-1: out of memory). */
static int
hashset_find(struct hashset *s, const uint8_t h[W3S_HASH_LEN], int add)
{
	size_t j;

	if (add && 2 * (s->n + 1) > s->cap && hashset_grow(s) != 0)
		return -1;
	if (s->cap == 0)
		return 0;
	memcpy(&j, h, sizeof(j));
	for (j &= s->cap - 1; s->used[j]; j = (j + 1) & (s->cap - 1))
		if (memcmp(s->slots[j], h, W3S_HASH_LEN) == 0)
			return 1;
	if (add) {
		memcpy(s->slots[j], h, W3S_HASH_LEN);
		s->used[j] = 1;
		s->n++;
	}
	return 0;
}

static void
hashset_free(struct hashset *s)
{
	free(s->slots);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

static int
spool_write(struct w3s_import *im, const void *p, size_t len,
    struct w3s_err *err)
{
	if (len && fwrite(p, len, 1, im->spool) != 1)
		return w3s_err_sys(err, errno, "cannot spool the metadata");
	return 0;
}

static int
spool_read(struct w3s_import *im, void *p, size_t len, struct w3s_err *err)
{
	if (len && fread(p, len, 1, im->spool) != 1)
		return w3s_err_set(err, W3S_ESYS, "cannot read the metadata"
		    " spool back");
	return 0;
}

/* ---- trust -------------------------------------------------------------- */

static int
key_in(const uint8_t (*keys)[W3S_PUBKEY_LEN], size_t n, const uint8_t *k)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(keys[i], k, W3S_PUBKEY_LEN) == 0)
			return 1;
	return 0;
}

static int
add_key(uint8_t (*keys)[W3S_PUBKEY_LEN], size_t *n, const uint8_t *k,
    struct w3s_err *err)
{
	if (key_in((const uint8_t (*)[W3S_PUBKEY_LEN])keys, *n, k))
		return 0;
	if (*n == IMPORT_KEYS_MAX)
		return w3s_err_set(err, W3S_EUSAGE, "more than %d trusted keys",
		    IMPORT_KEYS_MAX);
	memcpy(keys[(*n)++], k, W3S_PUBKEY_LEN);
	return 0;
}

/* An archive with deletion certificates: the keys that may anchor its
 * target through one (the trusted keys, and with a store the bucket's
 * admin keys). */
static int
keep_anchor_keys(struct w3s_import *im, const struct w3s_import_trust *t,
    const uint8_t (*keys)[W3S_PUBKEY_LEN], size_t nkeys, struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	uint8_t pub[W3S_PUBKEY_LEN];
	int rc = 0;

	im->anchor_keys = malloc(IMPORT_KEYS_MAX * sizeof(*im->anchor_keys));
	if (im->anchor_keys == NULL)
		return w3s_err_sys(err, ENOMEM, "cannot check trust");
	memcpy(im->anchor_keys, keys, nkeys * sizeof(*keys));
	im->nanchor_keys = nkeys;
	if (t == NULL || !t->use_bucket || im->b == NULL)
		return 0;
	rc = w3s_bucket_keys(im->b, W3S_ROLE_ADMIN, &it, err);
	while (rc == 0 && (rc = w3s_store_iter_key(it, pub, err)) == 1)
		rc = add_key(im->anchor_keys, &im->nanchor_keys, pub, err);
	w3s_store_iter_free(it);
	return rc > 0 ? 0 : rc;
}

/* A deletion certificate of the archive: does it name the target, signed
 * by a key that may anchor it? (Its signature the reader checked.) */
static void
cert_note(struct w3s_import *im, const struct w3s_deletion_rec *d)
{
	if (memcmp(d->mmr_root, im->m.target.mmr_root, W3S_H256) == 0 &&
	    d->start_seq == im->m.target.start_seq &&
	    key_in((const uint8_t (*)[W3S_PUBKEY_LEN])im->anchor_keys,
	    im->nanchor_keys, d->admin))
		im->cert_names_target = 1;
}

/* At the trailer, once the target's leaf_count is checked (the root was
 * recomputed, or the bucket is at the target already): a target without
 * enough trusted signatures is anchored when a trusted certificate names
 * it. */
static int
cert_anchor(struct w3s_import *im, struct w3s_err *err)
{
	int checked = im->res.root_checked || im->res.already;

	if (checked && im->cert_names_target && !im->res.anchored) {
		im->res.anchored = 1;
		im->trust_deferred = 0;
		if (im->remember) {
			im->trust_new.anchored = 1;
			im->trust_new.anchor = im->m.target;
		}
	}
	if (!im->trust_deferred)
		return 0;
	return w3s_err_set(err, W3S_EVERIFY, "%s, and no deletion"
	    " certificate by a trusted key names it", im->trust_why.msg);
}

/* Decides whether the target is anchored, and fails it when the policy
 * says so. */
static int
check_trust(struct w3s_import *im, const struct w3s_import_trust *t,
    struct w3s_err *err)
{
	const struct w3s_manifest *m = &im->m;
	struct w3s_import_result *res = &im->res;
	uint8_t (*keys)[W3S_PUBKEY_LEN];
	struct w3s_store_iter *it = NULL;
	struct w3s_trust bt;
	uint64_t min = 0, count = 0;
	char hex[W3S_HEX32_LEN];
	size_t nkeys = 0;
	int rc = 0, untrusted = -1;

	if ((keys = malloc(IMPORT_KEYS_MAX * sizeof(*keys))) == NULL)
		return w3s_err_sys(err, ENOMEM, "cannot check trust");
	memset(&bt, 0, sizeof(bt));
	for (size_t i = 0; t != NULL && i < t->nkeys && rc == 0; i++)
		rc = add_key(keys, &nkeys, t->keys[i], err);
	if (rc == 0 && t != NULL && t->use_bucket && im->b != NULL) {
		uint8_t pub[W3S_PUBKEY_LEN];

		rc = w3s_bucket_trust_get(im->b, &bt, err);
		if (rc == 0)
			rc = w3s_bucket_keys(im->b, W3S_ROLE_PRIMARY, &it, err);
		while (rc == 0 && (rc = w3s_store_iter_key(it, pub, err)) == 1)
			rc = add_key(keys, &nkeys, pub, err);
		w3s_store_iter_free(it);
		if (rc > 0)
			rc = 0;
	}
	if (rc == 0 && m->counts.deletions > 0)
		rc = keep_anchor_keys(im, t, keys, nkeys, err);
	if (rc != 0)
		goto out;
	if (t != NULL && t->min_signers)
		min = t->min_signers;
	else if (bt.min_signers)
		min = bt.min_signers;
	else
		min = 1;
	for (size_t i = 0; i < m->nsigs; i++) {
		int seen = 0;

		for (size_t j = 0; j < i; j++)
			if (memcmp(m->sigs[j].key, m->sigs[i].key,
			    W3S_PUBKEY_LEN) == 0)
				seen = 1;
		if (seen)
			continue;
		if (key_in((const uint8_t (*)[W3S_PUBKEY_LEN])keys, nkeys,
		    m->sigs[i].key))
			count++;
		else if (untrusted < 0)
			untrusted = (int)i;
	}
	res->trusted_signers = count;
	res->min_signers = nkeys ? min : 0;
	if (t != NULL && t->has_root) {
		if (memcmp(t->root, m->target.mmr_root, W3S_H256) != 0) {
			char want[W3S_HEX32_LEN];

			w3s_hex32_format(hex, m->target.mmr_root);
			w3s_hex32_format(want, t->root);
			rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
			    ": the target root %s is not the trusted root %s",
			    m->bucket, hex, want);
			goto out;
		}
		res->anchored = res->anchored_by_root = 1;
	}
	if (nkeys > 0) {
		if (count < min) {
			if (untrusted >= 0) {
				w3s_hex32_format(hex, m->sigs[untrusted].key);
				rc = w3s_err_set(err, W3S_EVERIFY, "bucket %"
				    PRIu64 ": the target commitment has %"
				    PRIu64 " trusted signature(s), %" PRIu64
				    " needed; key %s is not trusted",
				    m->bucket, count, min, hex);
			} else
				rc = w3s_err_set(err, W3S_EVERIFY, "bucket %"
				    PRIu64 ": the target commitment has %"
				    PRIu64 " trusted signature(s), %" PRIu64
				    " needed", m->bucket, count, min);
			/* A deletion certificate in the archive may still
			 * name the target (cert_anchor, at the trailer). */
			if (m->counts.deletions == 0)
				goto out;
			im->trust_deferred = 1;
			im->trust_why = *err;
			rc = 0;
		} else
			res->anchored = 1;
	}
	/* What remember keeps: the keys given, min_signers if given, and
	 * the target once it is anchored. */
	if (t != NULL && t->remember && im->b != NULL) {
		im->remember = 1;
		im->trust_new = bt;
		if (t->min_signers)
			im->trust_new.min_signers = t->min_signers;
		if (res->anchored) {
			im->trust_new.anchored = 1;
			im->trust_new.anchor = m->target;
		}
		if (t->nkeys) {
			im->keys_new = malloc(t->nkeys * sizeof(*im->keys_new));
			if (im->keys_new == NULL) {
				rc = w3s_err_sys(err, ENOMEM, "cannot keep"
				    " the trusted keys");
				goto out;
			}
			memcpy(im->keys_new, t->keys, t->nkeys *
			    sizeof(*im->keys_new));
			im->nkeys_new = t->nkeys;
		}
	}
out:
	free(keys);
	return rc;
}

static int
remember_trust(struct w3s_import *im, struct w3s_err *err)
{
	int rc;

	if (!im->remember)
		return 0;
	if ((rc = w3s_bucket_trust_set(im->b, &im->trust_new, err)) != 0)
		return rc;
	for (size_t i = 0; i < im->nkeys_new; i++)
		if ((rc = w3s_bucket_key_add(im->b, W3S_ROLE_PRIMARY,
		    im->keys_new[i], err)) != 0)
			return rc;
	return 0;
}

/* ---- pending imports ------------------------------------------------------ */

int
w3s_import_pending(struct w3s_bucket *b, struct w3s_resume_token *tok,
    int *found, struct w3s_err *err)
{
	struct w3s_buf v;
	int rc;

	w3s_buf_init(&v);
	*found = 0;
	rc = w3s_bucket_setting_get(b, W3S_IMPORT_PENDING_SETTING, &v, found,
	    err);
	if (rc == 0 && *found) {
		char text[W3S_RESUME_TOKEN_MAX];

		if (v.len >= sizeof(text)) {
			rc = w3s_err_set(err, W3S_EMALFORMED, "bucket %" PRIu64
			    ": the pending resume token is too long",
			    w3s_bucket_id(b));
		} else {
			memcpy(text, v.data, v.len);
			text[v.len] = '\0';
			if (w3s_resume_token_parse(text, tok, err) != 0)
				rc = w3s_err_set(err, W3S_EMALFORMED, "bucket %"
				    PRIu64 ": the pending resume token does"
				    " not parse: %s", w3s_bucket_id(b),
				    err->msg);
		}
	}
	w3s_buf_release(&v);
	return rc;
}

static void
make_token(struct w3s_import *im, uint64_t chunk, uint64_t byte)
{
	struct w3s_import_result *res = &im->res;

	res->has_token = 1;
	res->token.bucket = im->m.bucket;
	memcpy(res->token.snapshot_id, res->snapshot_id, W3S_HASH_LEN);
	res->token.chunk = chunk;
	res->token.byte = byte;
	w3s_resume_token_format(&res->token, res->token_text);
}

/* Outside the session: the pending token, kept for --status and a
 * resume. */
static int
keep_token(struct w3s_import *im, struct w3s_err *err)
{
	if (im->b == NULL || !im->res.has_token)
		return 0;
	return w3s_bucket_setting_set(im->b, W3S_IMPORT_PENDING_SETTING,
	    im->res.token_text, strlen(im->res.token_text), err);
}

/* ---- begin ------------------------------------------------------------------ */

/* With a store: does the archive apply to the bucket as it is? */
static int
check_applies(struct w3s_import *im, struct w3s_err *err)
{
	const struct w3s_manifest *m = &im->m;
	struct w3s_commitment cur;
	char have[160], want[160];
	int rc;

	if (m->bucket != w3s_bucket_id(im->b))
		return w3s_err_set(err, W3S_ENOTAPPLY, "the archive is of"
		    " bucket %" PRIu64 ", not %" PRIu64, m->bucket,
		    w3s_bucket_id(im->b));
	if ((rc = w3s_bucket_commitment(im->b, &cur, err)) != 0)
		return rc;
	if (w3s_chain_commitment_eq(&cur, &m->target)) {
		im->res.already = 1;
		return 0;
	}
	commit_text(&cur, have, sizeof(have));
	if (m->kind == W3S_STREAM_FULL) {
		if (cur.leaf_count != 0 || cur.start_seq != 0)
			return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %"
			    PRIu64 " is not empty (it is at %s): a full"
			    " snapshot fills an empty bucket", m->bucket,
			    have);
		if (m->target.leaf_count == 0)
			return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %"
			    PRIu64 ": a full snapshot of an empty bucket at"
			    " start_seq %" PRIu64 " cannot be applied",
			    m->bucket, m->target.start_seq);
	} else if (!w3s_chain_commitment_eq(&cur, &m->base)) {
		commit_text(&m->base, want, sizeof(want));
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    " is at %s, the delta's base is %s", m->bucket, have,
		    want);
	}
	if (cur.leaf_count > 0) {
		struct w3s_segment last;

		if ((rc = w3s_bucket_segment(im->b, cur.start_seq +
		    cur.leaf_count - 1, &last, err)) != 0)
			return rc;
		im->prev_total = last.leaf.total_size;
		im->prev_held = 1;
	}
	return 0;
}

/* A resumed archive must be the one the bucket's pending token names. */
static int
check_resume(struct w3s_import *im, struct w3s_err *err)
{
	struct w3s_resume_token tok;
	int found, rc;

	if (im->m.resume_chunk == 0)
		return 0;
	if ((rc = w3s_import_pending(im->b, &tok, &found, err)) != 0)
		return rc;
	if (!found)
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    ": a resumed archive (from chunk %" PRIu64 "), but no"
		    " import of this bucket is pending", im->m.bucket,
		    im->m.resume_chunk);
	if (memcmp(tok.snapshot_id, im->res.snapshot_id, W3S_HASH_LEN) != 0) {
		char a[2 * W3S_HASH_LEN + 1], b[2 * W3S_HASH_LEN + 1];

		w3s_hex_encode(a, im->res.snapshot_id, W3S_HASH_LEN);
		w3s_hex_encode(b, tok.snapshot_id, W3S_HASH_LEN);
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    ": the resumed archive is of snapshot %s, the pending"
		    " import of snapshot %s", im->m.bucket, a, b);
	}
	return 0;
}

int
w3s_import_begin(struct w3s_bucket *b, const struct w3s_manifest *m,
    const struct w3s_import_trust *t, struct w3s_import **out,
    struct w3s_err *err)
{
	struct w3s_import *im;
	int rc;

	if ((*out = im = calloc(1, sizeof(*im))) == NULL)
		return w3s_err_sys(err, ENOMEM, "cannot start an import");
	im->b = b;
	im->m = *m;
	im->failed = 1;
	im->res.bucket = m->bucket;
	im->res.kind = m->kind;
	im->res.has_base = m->has_base;
	im->res.base = m->base;
	im->res.target = m->target;
	im->res.resume_chunk = m->resume_chunk;
	if ((rc = w3s_manifest_snapshot_id(m, im->res.snapshot_id, err)) != 0)
		return rc;
	if (b != NULL && (rc = check_applies(im, err)) != 0)
		return rc;
	if ((rc = check_trust(im, t, err)) != 0)
		return rc;
	if (b != NULL && !im->res.already && (rc = check_resume(im, err)) != 0)
		return rc;
	if ((im->spool = tmpfile()) == NULL)
		return w3s_err_sys(err, errno, "cannot make a spool for the"
		    " metadata");
	/* Without a store, references can be checked against the chunks
	 * carried only when the archive carries all of them. */
	im->check_refs = (b == NULL || im->res.already) &&
	    m->kind == W3S_STREAM_FULL && m->resume_chunk == 0;
	if (b != NULL && !im->res.already) {
		if ((rc = w3s_bucket_write_begin(b, err)) != 0)
			return rc;
		im->session = 1;
	}
	im->failed = 0;
	return 0;
}

/* ---- events ----------------------------------------------------------------- */

static int
on_segment(struct w3s_import *im, const struct w3s_segment_rec *s,
    struct w3s_err *err)
{
	uint8_t tag = SP_SEGMENT;
	uint32_t n = (uint32_t)s->nhashes;
	int rc;

	if ((rc = spool_write(im, &tag, 1, err)) != 0 ||
	    (rc = spool_write(im, &s->seq, sizeof(s->seq), err)) != 0 ||
	    (rc = spool_write(im, &s->leaf, sizeof(s->leaf), err)) != 0 ||
	    (rc = spool_write(im, &s->first, sizeof(s->first), err)) != 0 ||
	    (rc = spool_write(im, &n, sizeof(n), err)) != 0 ||
	    (rc = spool_write(im, s->hashes, n * (size_t)W3S_H256, err)) != 0)
		return rc;
	if (s->first == 0)
		im->res.segments++;
	im->res.chunk_refs += s->nhashes;
	return 0;
}

static int
on_index(struct w3s_import *im, const struct w3s_index_entry *e,
    struct w3s_err *err)
{
	uint8_t tag = SP_INDEX, removed = (uint8_t)(e->removed != 0);
	uint32_t n = (uint32_t)e->name_len;
	int rc;

	if ((rc = spool_write(im, &tag, 1, err)) != 0 ||
	    (rc = spool_write(im, &removed, 1, err)) != 0 ||
	    (rc = spool_write(im, e->data_root, W3S_H256, err)) != 0 ||
	    (rc = spool_write(im, &n, sizeof(n), err)) != 0 ||
	    (rc = spool_write(im, e->name, n, err)) != 0)
		return rc;
	im->res.index++;
	return 0;
}

/* ---- the store thread ------------------------------------------------------ */

static void *
store_main(void *arg)
{
	struct w3s_import *im = arg;
	struct storer *st = &im->st;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		size_t i;
		int stored = 0, rc;

		while (st->consumed == st->produced && !st->closing)
			pthread_cond_wait(&st->cv, &st->mu);
		if (st->consumed == st->produced)
			break;
		i = st->consumed % STORE_RING;
		pthread_mutex_unlock(&st->mu);
		rc = w3s_bucket_chunk_put(im->b, st->slot[i].hash,
		    st->slot[i].data, st->slot[i].len, &stored, &st->err);
		pthread_mutex_lock(&st->mu);
		if (rc != 0) {
			st->rc = rc;
			pthread_cond_broadcast(&st->cv);
			break;
		}
		if (stored)
			st->written++;
		else
			st->skipped++;
		st->consumed++;
		pthread_cond_broadcast(&st->cv);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

static int
store_start(struct w3s_import *im, struct w3s_err *err)
{
	struct storer *st = &im->st;
	int rc;

	for (size_t i = 0; i < STORE_RING; i++)
		if (st->slot[i].data == NULL &&
		    (st->slot[i].data = malloc(W3S_CHUNK_SIZE)) == NULL)
			return w3s_err_sys(err, ENOMEM, "cannot start an"
			    " import");
	st->produced = st->consumed = 0;
	st->closing = 0;
	st->rc = 0;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	if ((rc = pthread_create(&st->th, NULL, store_main, im)) != 0) {
		pthread_cond_destroy(&st->cv);
		pthread_mutex_destroy(&st->mu);
		return w3s_err_set(err, W3S_ESYS, "cannot start a thread: %s",
		    strerror(rc));
	}
	st->running = 1;
	return 0;
}

/* Stores what is queued, stops the thread and adds its counts to the
 * result; returns its first failure (in err). The bucket is the caller's
 * thread's again. */
static int
store_drain(struct w3s_import *im, struct w3s_err *err)
{
	struct storer *st = &im->st;
	int rc;

	if (!st->running)
		return 0;
	pthread_mutex_lock(&st->mu);
	st->closing = 1;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
	pthread_join(st->th, NULL);
	st->running = 0;
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	im->res.chunks_written += st->written;
	im->res.chunks_skipped += st->skipped;
	st->written = st->skipped = 0;
	if ((rc = st->rc) != 0 && err != NULL)
		*err = st->err;
	return rc;
}

static void
store_free(struct w3s_import *im)
{
	for (size_t i = 0; i < STORE_RING; i++)
		free(im->st.slot[i].data);
}

/* Queues a copy of the chunk for the store thread; waits while the ring
 * is full. */
static int
store_queue(struct w3s_import *im, const struct w3s_stream_chunk *c,
    struct w3s_err *err)
{
	struct storer *st = &im->st;
	size_t i;
	int rc;

	if (c->len > W3S_CHUNK_SIZE)
		return w3s_err_set(err, W3S_EUSAGE, "a chunk of %zu bytes is"
		    " longer than %u", c->len, W3S_CHUNK_SIZE);
	if (!st->running && (rc = store_start(im, err)) != 0)
		return rc;
	pthread_mutex_lock(&st->mu);
	while (st->produced - st->consumed == STORE_RING && st->rc == 0)
		pthread_cond_wait(&st->cv, &st->mu);
	rc = st->rc;
	pthread_mutex_unlock(&st->mu);
	if (rc != 0)
		return store_drain(im, err);
	/* The slot is the caller's until produced counts it. */
	i = st->produced % STORE_RING;
	memcpy(st->slot[i].hash, c->hash, W3S_H256);
	if (c->len)
		memcpy(st->slot[i].data, c->data, c->len);
	st->slot[i].len = c->len;
	pthread_mutex_lock(&st->mu);
	st->produced++;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
	return 0;
}

static int
on_chunk(struct w3s_import *im, const struct w3s_stream_chunk *c,
    struct w3s_err *err)
{
	im->res.chunks++;
	im->res.chunk_bytes += c->len;
	if (im->session)
		return store_queue(im, c, err);
	if (im->res.already)
		im->res.chunks_skipped++;
	if (im->check_refs && hashset_find(&im->carried, c->hash, 1) < 0)
		return w3s_err_sys(err, ENOMEM, "cannot keep the chunk set");
	return 0;
}

static int
on_checkpoint(struct w3s_import *im, const struct w3s_checkpoint_rec *c,
    struct w3s_err *err)
{
	int rc;

	im->res.checkpoints++;
	for (size_t i = 0; im->session && i < c->nsigs; i++)
		if ((rc = w3s_bucket_checkpoint_add(im->b, &c->commitment,
		    c->sigs[i].key, c->sigs[i].sig, err)) != 0)
			return rc;
	return 0;
}

/* ---- the trailer: replay the spool, check, commit ----------------------------- */

struct replay {
	struct w3s_mmr_mem mmr;		/* without a store */
	uint64_t next_seq;
	uint64_t prev_total;
	int prev_held;
	uint64_t missing;
	char named[IMPORT_MISSING_NAMED][W3S_CHUNK_CID_LEN + 1];
	int has_drop;
	int dropped;			/* the drop is prepared */
	struct w3s_deletion_rec drop;	/* the last deletion of a delta */
	struct w3s_commitment drop_next;
	uint64_t leaves;		/* held in the session after the drop */
	int cert_added;			/* the drop's certificate is in */
	uint64_t seg_chunks;		/* chunk hashes of the open segment */
	uint8_t (*hashes)[W3S_H256];	/* a record's chunk list, reused */
};

static int
note_missing(struct replay *rp, const uint8_t hash[W3S_H256])
{
	if (rp->missing < IMPORT_MISSING_NAMED)
		w3s_stream_chunk_cid(rp->named[rp->missing], hash);
	rp->missing++;
	return 0;
}

/* Stores a certificate that is not the session's drop. */
static int
record_deletion(struct w3s_import *im, const struct w3s_deletion_rec *r,
    struct w3s_err *err)
{
	struct w3s_deletion d;

	memset(&d, 0, sizeof(d));
	memcpy(d.new_mmr_root, r->mmr_root, W3S_H256);
	d.new_start_seq = r->start_seq;
	memcpy(d.admin, r->admin, sizeof(d.admin));
	memcpy(d.signature, r->sig, sizeof(d.signature));
	return w3s_bucket_deletion_record(im->b, &d, err);
}

static int
replay_deletion(struct w3s_import *im, struct replay *rp, struct w3s_err *err)
{
	struct w3s_deletion_rec d;
	int rc;

	if ((rc = spool_read(im, &d, sizeof(d), err)) != 0)
		return rc;
	if (im->anchor_keys != NULL)
		cert_note(im, &d);
	/* A full snapshot starts at the target's start_seq and keeps its
	 * certificates; a delta applies its last drop before its segments
	 * (that certificate commits with the drop) and keeps the others. */
	if (im->session && (im->m.kind == W3S_STREAM_FULL || rp->has_drop) &&
	    (rc = record_deletion(im, im->m.kind == W3S_STREAM_FULL ? &d :
	    &rp->drop, err)) != 0)
		return rc;
	if (im->m.kind == W3S_STREAM_DELTA) {
		rp->has_drop = 1;
		rp->drop = d;
	}
	return 0;
}

/* After the drop and after each segment appended since: when the state is
 * the one the drop's certificate names, the certificate goes in (the
 * producer may have dropped after adding some of the delta's segments). */
static int
drop_cert(struct w3s_import *im, struct replay *rp, struct w3s_err *err)
{
	struct w3s_mmr_store ms = w3s_bucket_mmr(im->b);
	uint8_t root[W3S_H256];
	int rc;

	if (!rp->dropped || rp->cert_added)
		return 0;
	if ((rc = w3s_mmr_root(&ms, rp->leaves, root, err)) != 0)
		return rc;
	if (memcmp(root, rp->drop.mmr_root, W3S_H256) != 0)
		return 0;
	rp->cert_added = 1;
	return w3s_bucket_deletion_add(im->b, rp->drop.admin, rp->drop.sig,
	    err);
}

static int
leaf_checks(struct w3s_import *im, struct replay *rp, uint64_t seq,
    const struct w3s_leaf *leaf, struct w3s_err *err)
{
	if (seq != rp->next_seq)
		return w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
		    ": segment %" PRIu64 " where %" PRIu64 " was due",
		    im->m.bucket, seq, rp->next_seq);
	if (rp->prev_held ? leaf->total_size != rp->prev_total +
	    leaf->data_size : leaf->total_size < leaf->data_size)
		return w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
		    ": segment %" PRIu64 " has total_size %" PRIu64 ", which"
		    " does not follow from the segments before it",
		    im->m.bucket, seq, leaf->total_size);
	return 0;
}

static int
replay_segment(struct w3s_import *im, struct replay *rp, struct w3s_err *err)
{
	uint8_t (*hashes)[W3S_H256];
	struct w3s_leaf leaf;
	uint64_t seq, first, total;
	uint32_t n;
	int rc;

	if ((rc = spool_read(im, &seq, sizeof(seq), err)) != 0 ||
	    (rc = spool_read(im, &leaf, sizeof(leaf), err)) != 0 ||
	    (rc = spool_read(im, &first, sizeof(first), err)) != 0 ||
	    (rc = spool_read(im, &n, sizeof(n), err)) != 0)
		return rc;
	if (n > W3S_SEGMENT_PIECE_MAX)
		return w3s_err_set(err, W3S_ESYS, "the metadata spool is"
		    " damaged");
	if (rp->hashes == NULL && (rp->hashes = malloc(W3S_SEGMENT_PIECE_MAX *
	    sizeof(*rp->hashes))) == NULL)
		return w3s_err_sys(err, ENOMEM, "cannot replay a segment");
	hashes = rp->hashes;
	if ((rc = spool_read(im, hashes, n * (size_t)W3S_H256, err)) != 0)
		return rc;
	total = w3s_chunk_count(leaf.data_size);
	if (first == 0) {
		if ((rc = leaf_checks(im, rp, seq, &leaf, err)) != 0)
			return rc;
		rp->seg_chunks = 0;
		if (im->session && rp->missing == 0 &&
		    (rc = w3s_bucket_segment_begin(im->b, err)) != 0)
			return rc;
	}
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		int present = 1;

		/* While nothing is missing, one lookup finds the chunk and
		 * appends it; after that, the rest are only looked up, to
		 * name what is missing. */
		if (im->session && rp->missing == 0)
			rc = w3s_bucket_segment_chunk_held(im->b, hashes[i],
			    &present, err);
		else if (im->session)
			rc = w3s_bucket_chunk_has(im->b, hashes[i], &present,
			    err);
		else if (im->check_refs)
			present = hashset_find(&im->carried, hashes[i], 0);
		if (rc == 0 && !present)
			note_missing(rp, hashes[i]);
	}
	if (rc != 0)
		return rc;
	rp->seg_chunks += n;
	if (rp->seg_chunks == total) {
		uint8_t h[W3S_H256];

		rp->next_seq = seq + 1;
		rp->prev_total = leaf.total_size;
		rp->prev_held = 1;
		if (im->session && rp->missing == 0) {
			rc = w3s_bucket_segment_end(im->b, &leaf, NULL, err);
			rp->leaves++;
			if (rc == 0)
				rc = drop_cert(im, rp, err);
		} else if (im->session)
			rc = 0;
		else {
			w3s_leaf_hash(&leaf, h);
			rc = w3s_mmr_mem_append(&rp->mmr, h, err);
		}
	}
	return rc;
}

static int
replay_index(struct w3s_import *im, struct w3s_err *err)
{
	uint8_t removed, root[W3S_H256];
	char name[W3S_INDEX_NAME_MAX + 1];
	uint32_t n;
	int rc;

	if ((rc = spool_read(im, &removed, 1, err)) != 0 ||
	    (rc = spool_read(im, root, W3S_H256, err)) != 0 ||
	    (rc = spool_read(im, &n, sizeof(n), err)) != 0)
		return rc;
	if (n > W3S_INDEX_NAME_MAX)
		return w3s_err_set(err, W3S_ESYS, "the metadata spool is"
		    " damaged");
	if ((rc = spool_read(im, name, n, err)) != 0)
		return rc;
	name[n] = '\0';
	if (!im->session)
		return 0;
	if (!removed)
		return w3s_bucket_name_set(im->b, name, root, err);
	return w3s_bucket_name_remove(im->b, name, err);
}

/* The first leaf of the archive: where it starts and the total_size it
 * continues. */
static void
replay_init(struct w3s_import *im, struct replay *rp)
{
	memset(rp, 0, sizeof(*rp));
	w3s_mmr_mem_init(&rp->mmr);
	if (im->m.kind == W3S_STREAM_FULL) {
		rp->next_seq = im->m.target.start_seq;
		return;
	}
	rp->next_seq = im->m.base.start_seq + im->m.base.leaf_count;
	rp->prev_held = im->prev_held;
	rp->prev_total = im->prev_total;
}

/* A delta that drops: delete_before its last certificate's start_seq
 * (every held segment when that is past the base's end), before its
 * segments are appended. */
static int
apply_drop(struct w3s_import *im, struct replay *rp, struct w3s_err *err)
{
	int rc;

	rp->dropped = 1;
	if ((rc = w3s_bucket_drop_replayed(im->b, rp->drop.start_seq,
	    &rp->drop_next, NULL, err)) != 0)
		return rc;
	rp->leaves = rp->drop_next.leaf_count;
	if (rp->next_seq < rp->drop.start_seq)
		rp->next_seq = rp->drop.start_seq;
	if (rp->leaves == 0)
		rp->prev_held = 0;
	return drop_cert(im, rp, err);
}

static int
finish(struct w3s_import *im, struct w3s_err *err)
{
	const struct w3s_manifest *m = &im->m;
	struct w3s_commitment got;
	struct replay rp;
	uint8_t tag;
	char a[160], b[160];
	int rc = 0;

	if ((rc = store_drain(im, err)) != 0)
		return rc;
	replay_init(im, &rp);
	if (fflush(im->spool) != 0 || fseek(im->spool, 0, SEEK_SET) != 0) {
		rc = w3s_err_sys(err, errno, "cannot read the metadata spool");
		goto out;
	}
	if (im->session && m->kind == W3S_STREAM_FULL &&
	    m->target.start_seq != 0 &&
	    (rc = w3s_bucket_write_set_start(im->b, m->target.start_seq,
	    err)) != 0)
		goto out;
	while (rc == 0 && fread(&tag, 1, 1, im->spool) == 1) {
		if (tag != SP_DELETION && rp.has_drop && !rp.dropped &&
		    im->session && (rc = apply_drop(im, &rp, err)) != 0)
			break;
		switch (tag) {
		case SP_DELETION:
			rc = replay_deletion(im, &rp, err);
			break;
		case SP_SEGMENT:
			rc = replay_segment(im, &rp, err);
			break;
		case SP_INDEX:
			rc = replay_index(im, err);
			break;
		default:
			rc = w3s_err_set(err, W3S_ESYS, "the metadata spool is"
			    " damaged");
		}
	}
	if (rc == 0 && rp.has_drop && !rp.dropped && im->session)
		rc = apply_drop(im, &rp, err);
	if (rc == 0 && rp.dropped && !rp.cert_added && rp.missing == 0)
		rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64 ": the"
		    " delta never reaches the root of its deletion certificate"
		    " (start_seq %" PRIu64 ")", m->bucket, rp.drop.start_seq);
	if (rc != 0)
		goto out;
	if (ferror(im->spool)) {
		rc = w3s_err_sys(err, EIO, "cannot read the metadata spool");
		goto out;
	}
	if (rp.missing > 0) {
		char list[IMPORT_MISSING_NAMED * (W3S_CHUNK_CID_LEN + 2) + 8];
		size_t off = 0;

		for (uint64_t i = 0; i < rp.missing &&
		    i < IMPORT_MISSING_NAMED; i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", i ? ", " : "", rp.named[i]);
		if (rp.missing > IMPORT_MISSING_NAMED)
			snprintf(list + off, sizeof(list) - off, ", ...");
		im->res.missing = rp.missing;
		/* Only a resumed archive relies on chunks sent before; the
		 * token then starts from the beginning, which is always
		 * enough. */
		if (m->resume_chunk > 0)
			make_token(im, 0, 0);
		rc = w3s_err_set(err, W3S_EINCOMPLETE, "bucket %" PRIu64
		    ": %" PRIu64 " referenced chunk(s) missing: %s",
		    m->bucket, rp.missing, list);
		goto out;
	}
	if (im->session) {
		if (rp.dropped && im->res.segments == 0)
			got = rp.drop_next;
		else if ((rc = w3s_bucket_write_prepare(im->b, &got,
		    err)) != 0)
			goto out;
	} else {
		memset(&got, 0, sizeof(got));
		if (m->kind == W3S_STREAM_FULL) {
			w3s_mmr_mem_root(&rp.mmr, got.mmr_root);
			got.start_seq = m->target.start_seq;
			got.leaf_count = rp.mmr.leaves;
		}
	}
	if (im->session || m->kind == W3S_STREAM_FULL) {
		if (!w3s_chain_commitment_eq(&got, &m->target)) {
			commit_text(&got, a, sizeof(a));
			commit_text(&m->target, b, sizeof(b));
			rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
			    ": the segments give the commitment %s, not the"
			    " target %s", m->bucket, a, b);
			goto out;
		}
		im->res.root_checked = 1;
	}
	if ((rc = cert_anchor(im, err)) != 0 || !im->session)
		goto out;
	/* The signatures on the target become the bucket's checkpoints. */
	for (size_t i = 0; i < m->nsigs; i++)
		if ((rc = w3s_bucket_checkpoint_add(im->b, &m->target,
		    m->sigs[i].key, m->sigs[i].sig, err)) != 0)
			goto out;
	/* The producer's commit time (the manifest's), as the export
	 * recorded it. */
	if (m->created > 0 && m->created <= INT64_MAX &&
	    (rc = w3s_bucket_write_set_time(im->b, (int64_t)m->created,
	    err)) != 0)
		goto out;
	if ((rc = remember_trust(im, err)) != 0 ||
	    (rc = w3s_bucket_setting_set(im->b, W3S_IMPORT_PENDING_SETTING,
	    NULL, 0, err)) != 0 ||
	    (rc = w3s_bucket_write_commit(im->b, NULL, err)) != 0)
		goto out;
	im->session = 0;
out:
	w3s_mmr_mem_release(&rp.mmr);
	free(rp.hashes);
	return rc;
}

int
w3s_import_event(struct w3s_import *im, const struct w3s_stream_event *ev,
    struct w3s_err *err)
{
	int rc;

	if (im->failed || im->done)
		return w3s_err_set(err, W3S_EUSAGE, "the import of bucket %"
		    PRIu64 " is %s", im->m.bucket, im->done ? "finished" :
		    "failed");
	switch (ev->type) {
	case W3S_STREAM_EV_DELETION: {
		uint8_t tag = SP_DELETION;

		im->res.deletions++;
		if ((rc = spool_write(im, &tag, 1, err)) == 0)
			rc = spool_write(im, ev->u.deletion,
			    sizeof(*ev->u.deletion), err);
		break;
	}
	case W3S_STREAM_EV_SEGMENT:
		rc = on_segment(im, ev->u.segment, err);
		break;
	case W3S_STREAM_EV_CHECKPOINT:
		rc = on_checkpoint(im, ev->u.checkpoint, err);
		break;
	case W3S_STREAM_EV_INDEX:
		rc = on_index(im, ev->u.index, err);
		break;
	case W3S_STREAM_EV_CHUNK:
		rc = on_chunk(im, ev->u.chunk, err);
		break;
	case W3S_STREAM_EV_TRAILER:
		rc = finish(im, err);
		if (rc == 0)
			im->done = 1;
		break;
	default:
		rc = w3s_err_set(err, W3S_EUSAGE, "an import takes the events"
		    " of one archive after its manifest");
	}
	if (rc != 0) {
		im->failed = 1;
		if (im->session) {
			/* The chunks queued are kept too, for a resume. */
			store_drain(im, NULL);
			w3s_bucket_write_abort(im->b, 1);
			im->session = 0;
		}
		/* A token made by finish (chunks missing) is kept too. */
		if (im->res.has_token && rc == W3S_EINCOMPLETE) {
			struct w3s_err e2;

			if (keep_token(im, &e2) != 0)
				rc = w3s_err_set(err, e2.code, "%s; and %s",
				    err->msg, e2.msg);
		}
	}
	return rc;
}

int
w3s_import_done(const struct w3s_import *im)
{
	return im != NULL && im->done;
}

int
w3s_import_fail(struct w3s_import *im, int code,
    const struct w3s_stream_pos *pos, struct w3s_err *err)
{
	struct w3s_err e2;

	if (im->session) {
		store_drain(im, NULL);
		w3s_bucket_write_abort(im->b, 1);
		im->session = 0;
	}
	im->failed = 1;
	if (code != W3S_EINCOMPLETE || im->done)
		return code;
	make_token(im, pos->next_chunk, pos->next_byte);
	if (keep_token(im, &e2) != 0)
		return w3s_err_set(err, e2.code, "%s; and %s", err->msg,
		    e2.msg);
	return code;
}

void
w3s_import_result(const struct w3s_import *im, struct w3s_import_result *res)
{
	*res = im->res;
}

void
w3s_import_free(struct w3s_import *im)
{
	if (im == NULL)
		return;
	if (im->session) {
		store_drain(im, NULL);
		w3s_bucket_write_abort(im->b, 1);
	}
	store_free(im);
	if (im->spool != NULL)
		fclose(im->spool);
	hashset_free(&im->carried);
	free(im->keys_new);
	free(im->anchor_keys);
	free(im);
}

/* ---- whole archives ------------------------------------------------------------ */

int
w3s_import_archive(struct w3s_stream_reader *r, struct w3s_bucket *b,
    const struct w3s_manifest *m, const struct w3s_import_trust *t,
    const struct w3s_import_hooks *hooks, struct w3s_import_result *res,
    struct w3s_err *err)
{
	struct w3s_stream_event ev;
	struct w3s_stream_pos pos;
	struct w3s_import *im = NULL;
	int rc;

	rc = w3s_import_begin(b, m, t, &im, err);
	while (rc == 0 && !im->done) {
		if ((rc = w3s_stream_next(r, &ev, err)) != 0) {
			w3s_stream_reader_pos(r, &pos);
			rc = w3s_import_fail(im, rc, &pos, err);
			break;
		}
		if ((rc = w3s_import_event(im, &ev, err)) != 0)
			break;
		if (hooks != NULL && hooks->progress != NULL &&
		    (ev.type == W3S_STREAM_EV_CHUNK ||
		    ev.type == W3S_STREAM_EV_TRAILER)) {
			w3s_stream_reader_pos(r, &pos);
			if ((rc = hooks->progress(hooks->ctx, &pos)) != 0) {
				rc = w3s_err_set(err, rc, "bucket %" PRIu64
				    ": the import was stopped", m->bucket);
				w3s_import_fail(im, rc, &pos, err);
			}
		}
	}
	if (im != NULL)
		w3s_import_result(im, res);
	else
		memset(res, 0, sizeof(*res));
	w3s_import_free(im);
	return rc;
}

int
w3s_import_verify_input(struct w3s_stream_reader *r,
    const struct w3s_import_trust *t, const struct w3s_import_hooks *hooks,
    uint64_t *narchives, struct w3s_err *err)
{
	struct w3s_import_result res;
	struct w3s_stream_event ev;
	uint64_t n = 0;
	int rc;

	while ((rc = w3s_stream_next(r, &ev, err)) == 0 &&
	    ev.type == W3S_STREAM_EV_MANIFEST) {
		rc = w3s_import_archive(r, NULL, ev.u.manifest, t, hooks, &res,
		    err);
		if (rc == 0)
			n++;
		if (hooks != NULL && hooks->archive != NULL) {
			int stop = hooks->archive(hooks->ctx, &res, rc, err);

			if (rc == 0 && stop != 0)
				rc = w3s_err_set(err, stop, "stopped after"
				    " archive %" PRIu64, n);
		}
		if (rc != 0)
			break;
	}
	if (rc == 0 && ev.type != W3S_STREAM_EV_EOF)
		rc = w3s_err_set(err, W3S_EMALFORMED, "an archive's records"
		    " before its manifest");
	if (narchives != NULL)
		*narchives = n;
	return rc;
}
