/* Provider migration: offer and acceptance records (DAG-CBOR), their
 * signatures, the acceptance's full verification of the new store, the
 * check of a pair, and the old store's "handed over" mark. See migrate.h
 * and man/migrate-provider.1. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <w3s/cbor.h>
#include <w3s/chain.h>
#include <w3s/export.h>
#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/migrate.h>
#include <w3s/mmr.h>
#include <w3s/scale.h>
#include <w3s/scrub.h>
#include <w3s/store.h>

/* ---- durations ------------------------------------------------------- */

int
w3s_migrate_parse_duration(const char *s, uint64_t *seconds,
    struct w3s_err *err)
{
	uint64_t n = 0, unit = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > W3S_MIGRATE_TTL_MAX)
			goto bad;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		goto bad;
	}
	if (*p != '\0' && p[1] != '\0')
		goto bad;
	if (n == 0 || n > W3S_MIGRATE_TTL_MAX / unit)
		goto bad;
	*seconds = n * unit;
	return 0;
bad:
	return w3s_err_set(err, W3S_EUSAGE, "'%s' is not a duration from 1s to"
	    " 366d (a number and s, m, h or d)", s);
}

/* ---- building records ------------------------------------------------ */

static void
put_commitment(struct w3s_cbor *m, const struct w3s_commitment *c)
{
	w3s_cbor_map_put(m, "mmr_root", w3s_cbor_new_bytes(c->mmr_root,
	    W3S_H256));
	w3s_cbor_map_put(m, "start_seq", w3s_cbor_new_uint(c->start_seq));
	w3s_cbor_map_put(m, "leaf_count", w3s_cbor_new_uint(c->leaf_count));
}

static void
put_counts(struct w3s_cbor *m, const struct w3s_migrate_counts *n)
{
	w3s_cbor_map_put(m, "segments", w3s_cbor_new_uint(n->segments));
	w3s_cbor_map_put(m, "chunks", w3s_cbor_new_uint(n->chunks));
	w3s_cbor_map_put(m, "bytes", w3s_cbor_new_uint(n->bytes));
}

static struct w3s_cbor *
offer_tree(const struct w3s_migrate_offer *o, int with_signature)
{
	struct w3s_cbor *m = w3s_cbor_new_map();

	w3s_cbor_map_put(m, "type", w3s_cbor_new_text(W3S_MIGRATE_OFFER_TYPE));
	w3s_cbor_map_put(m, "version", w3s_cbor_new_uint(W3S_MIGRATE_VERSION));
	w3s_cbor_map_put(m, "bucket", w3s_cbor_new_uint(o->bucket));
	put_commitment(m, &o->commitment);
	put_counts(m, &o->counts);
	w3s_cbor_map_put(m, "from", w3s_cbor_new_bytes(o->from,
	    W3S_PUBKEY_LEN));
	w3s_cbor_map_put(m, "to", w3s_cbor_new_bytes(o->to, W3S_PUBKEY_LEN));
	w3s_cbor_map_put(m, "created", w3s_cbor_new_uint(o->created));
	w3s_cbor_map_put(m, "expires", w3s_cbor_new_uint(o->expires));
	if (with_signature)
		w3s_cbor_map_put(m, "signature", w3s_cbor_new_bytes(
		    o->signature, W3S_SIGNATURE_LEN));
	return m;
}

static struct w3s_cbor *
acceptance_tree(const struct w3s_migrate_acceptance *a, int with_signature)
{
	struct w3s_cbor *m = w3s_cbor_new_map();

	w3s_cbor_map_put(m, "type",
	    w3s_cbor_new_text(W3S_MIGRATE_ACCEPTANCE_TYPE));
	w3s_cbor_map_put(m, "version", w3s_cbor_new_uint(W3S_MIGRATE_VERSION));
	w3s_cbor_map_put(m, "bucket", w3s_cbor_new_uint(a->bucket));
	w3s_cbor_map_put(m, "offer", w3s_cbor_new_bytes(a->offer,
	    W3S_HASH_LEN));
	w3s_cbor_map_put(m, "from", w3s_cbor_new_bytes(a->from,
	    W3S_PUBKEY_LEN));
	w3s_cbor_map_put(m, "to", w3s_cbor_new_bytes(a->to, W3S_PUBKEY_LEN));
	put_commitment(m, &a->commitment);
	put_counts(m, &a->counts);
	w3s_cbor_map_put(m, "created", w3s_cbor_new_uint(a->created));
	w3s_cbor_map_put(m, "payload", w3s_cbor_new_bytes(a->payload,
	    W3S_PAYLOAD_V1_LEN));
	w3s_cbor_map_put(m, "payload_signature", w3s_cbor_new_bytes(
	    a->payload_signature, W3S_SIGNATURE_LEN));
	if (a->has_from_signature)
		w3s_cbor_map_put(m, "from_signature", w3s_cbor_new_bytes(
		    a->from_signature, W3S_SIGNATURE_LEN));
	if (with_signature)
		w3s_cbor_map_put(m, "signature", w3s_cbor_new_bytes(
		    a->signature, W3S_SIGNATURE_LEN));
	return m;
}

/* ---- consistency of a record ----------------------------------------- */

static int
check_counts(const struct w3s_commitment *c,
    const struct w3s_migrate_counts *n, int code, struct w3s_err *err)
{
	if (n->segments != c->leaf_count)
		return w3s_err_set(err, code, "%" PRIu64 " segments for a"
		    " leaf_count of %" PRIu64, n->segments, c->leaf_count);
	if (n->chunks < n->segments || n->chunks > UINT64_MAX /
	    W3S_SCALE_CHUNK_MAX || n->bytes > n->chunks * W3S_SCALE_CHUNK_MAX)
		return w3s_err_set(err, code, "%" PRIu64 " chunks cannot hold %"
		    PRIu64 " segments of %" PRIu64 " bytes", n->chunks,
		    n->segments, n->bytes);
	return 0;
}

static int
offer_check(const struct w3s_migrate_offer *o, int code, struct w3s_err *err)
{
	int rc;

	if (o->expires <= o->created)
		return w3s_err_set(err, code, "offer: it expires before it is"
		    " created");
	if (memcmp(o->from, o->to, W3S_PUBKEY_LEN) == 0)
		return w3s_err_set(err, code, "offer: from and to are the same"
		    " key");
	if ((rc = check_counts(&o->commitment, &o->counts, code, err)) != 0)
		return w3s_err_wrap(err, "offer");
	return 0;
}

static int
acceptance_check(const struct w3s_migrate_acceptance *a, int code,
    struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	int rc;

	w3s_payload_v1_encode(a->bucket, &a->commitment, payload);
	if (memcmp(payload, a->payload, sizeof(payload)) != 0)
		return w3s_err_set(err, code, "acceptance: the payload is not"
		    " the CommitmentPayload v1 of its bucket and commitment");
	if (memcmp(a->from, a->to, W3S_PUBKEY_LEN) == 0)
		return w3s_err_set(err, code, "acceptance: from and to are the"
		    " same key");
	if ((rc = check_counts(&a->commitment, &a->counts, code, err)) != 0)
		return w3s_err_wrap(err, "acceptance");
	return 0;
}

int
w3s_migrate_offer_encode(const struct w3s_migrate_offer *o,
    struct w3s_buf *out, struct w3s_err *err)
{
	int rc = offer_check(o, W3S_EUSAGE, err);

	if (rc != 0)
		return rc;
	return w3s_cbor_encode_free(offer_tree(o, 1), out, err);
}

int
w3s_migrate_acceptance_encode(const struct w3s_migrate_acceptance *a,
    struct w3s_buf *out, struct w3s_err *err)
{
	int rc = acceptance_check(a, W3S_EUSAGE, err);

	if (rc != 0)
		return rc;
	return w3s_cbor_encode_free(acceptance_tree(a, 1), out, err);
}

/* ---- reading records ------------------------------------------------- */

static const struct w3s_cbor_limits record_limits = { 2, 64 };

static int
get_commitment(const struct w3s_cbor *m, struct w3s_commitment *c,
    struct w3s_err *err)
{
	int rc;

	if ((rc = w3s_cbor_get_bytes_fixed(m, "mmr_root", c->mmr_root,
	    W3S_H256, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "start_seq", &c->start_seq, err)) != 0)
		return rc;
	return w3s_cbor_get_uint(m, "leaf_count", &c->leaf_count, err);
}

static int
get_counts(const struct w3s_cbor *m, struct w3s_migrate_counts *n,
    struct w3s_err *err)
{
	int rc;

	if ((rc = w3s_cbor_get_uint(m, "segments", &n->segments, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "chunks", &n->chunks, err)) != 0)
		return rc;
	return w3s_cbor_get_uint(m, "bytes", &n->bytes, err);
}

/* Decodes a record map of the given type: its keys among allowed, its
 * type and version; *out is the tree. */
static int
decode_record(const uint8_t *buf, size_t len, const char *what,
    const char *type, const char *const *allowed, struct w3s_cbor **out,
    struct w3s_err *err)
{
	const char *s;
	uint64_t version;
	int rc;

	*out = NULL;
	if ((rc = w3s_cbor_decode(buf, len, &record_limits, out, err)) != 0)
		return w3s_err_wrap(err, "%s", what);
	if (w3s_cbor_type(*out) != W3S_CBOR_MAP)
		return w3s_err_set(err, W3S_EMALFORMED, "%s: expected a map,"
		    " got %s", what, w3s_cbor_type_name(w3s_cbor_type(*out)));
	if ((rc = w3s_cbor_get_text(*out, "type", &s, NULL, err)) != 0)
		return w3s_err_wrap(err, "%s", what);
	if (strcmp(s, type) != 0)
		return w3s_err_set(err, W3S_EMALFORMED, "%s: type is \"%.64s\","
		    " not \"%s\"", what, s, type);
	if ((rc = w3s_cbor_map_check_keys(*out, allowed, err)) != 0)
		return w3s_err_wrap(err, "%s", what);
	if ((rc = w3s_cbor_get_uint(*out, "version", &version, err)) != 0)
		return w3s_err_wrap(err, "%s", what);
	if (version != W3S_MIGRATE_VERSION)
		return w3s_err_set(err, W3S_EMALFORMED, "%s: version %" PRIu64
		    " is not supported (%d is)", what, version,
		    W3S_MIGRATE_VERSION);
	return 0;
}

int
w3s_migrate_offer_decode(const uint8_t *buf, size_t len,
    struct w3s_migrate_offer *o, struct w3s_err *err)
{
	static const char *const keys[] = { "type", "version", "bucket",
	    "mmr_root", "start_seq", "leaf_count", "segments", "chunks",
	    "bytes", "from", "to", "created", "expires", "signature", NULL };
	struct w3s_cbor *t;
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = decode_record(buf, len, "offer", W3S_MIGRATE_OFFER_TYPE,
	    keys, &t, err)) != 0)
		goto out;
	if ((rc = w3s_cbor_get_uint(t, "bucket", &o->bucket, err)) != 0 ||
	    (rc = get_commitment(t, &o->commitment, err)) != 0 ||
	    (rc = get_counts(t, &o->counts, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "from", o->from,
	    W3S_PUBKEY_LEN, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "to", o->to, W3S_PUBKEY_LEN,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(t, "created", &o->created, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(t, "expires", &o->expires, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "signature", o->signature,
	    W3S_SIGNATURE_LEN, err)) != 0) {
		w3s_err_wrap(err, "offer");
		goto out;
	}
out:
	w3s_cbor_free(t);
	return rc;
}

int
w3s_migrate_acceptance_decode(const uint8_t *buf, size_t len,
    struct w3s_migrate_acceptance *a, struct w3s_err *err)
{
	static const char *const keys[] = { "type", "version", "bucket",
	    "offer", "from", "to", "mmr_root", "start_seq", "leaf_count",
	    "segments", "chunks", "bytes", "created", "payload",
	    "payload_signature", "from_signature", "signature", NULL };
	struct w3s_cbor *t;
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = decode_record(buf, len, "acceptance",
	    W3S_MIGRATE_ACCEPTANCE_TYPE, keys, &t, err)) != 0)
		goto out;
	if ((rc = w3s_cbor_get_uint(t, "bucket", &a->bucket, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "offer", a->offer, W3S_HASH_LEN,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "from", a->from,
	    W3S_PUBKEY_LEN, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "to", a->to, W3S_PUBKEY_LEN,
	    err)) != 0 ||
	    (rc = get_commitment(t, &a->commitment, err)) != 0 ||
	    (rc = get_counts(t, &a->counts, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(t, "created", &a->created, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "payload", a->payload,
	    W3S_PAYLOAD_V1_LEN, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "payload_signature",
	    a->payload_signature, W3S_SIGNATURE_LEN, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "signature", a->signature,
	    W3S_SIGNATURE_LEN, err)) != 0)
		goto wrap;
	if (w3s_cbor_map_get(t, "from_signature") != NULL) {
		if ((rc = w3s_cbor_get_bytes_fixed(t, "from_signature",
		    a->from_signature, W3S_SIGNATURE_LEN, err)) != 0)
			goto wrap;
		a->has_from_signature = 1;
	}
	goto out;
wrap:
	w3s_err_wrap(err, "acceptance");
out:
	w3s_cbor_free(t);
	return rc;
}

/* ---- signatures ------------------------------------------------------ */

/* The signer's signature over the record's encoding without "signature":
 * made (key not NULL, into sig) or checked (against pub). */
static int
record_sig(struct w3s_cbor *body, const struct w3s_key *key,
    const uint8_t pub[W3S_PUBKEY_LEN], uint8_t sig[W3S_SIGNATURE_LEN],
    const char *what, struct w3s_err *err)
{
	struct w3s_buf msg;
	char hex[W3S_HEX32_LEN];
	int rc;

	w3s_buf_init(&msg);
	if ((rc = w3s_cbor_encode_free(body, &msg, err)) == 0) {
		if (key != NULL)
			rc = w3s_key_sign(key, msg.data, msg.len, sig, err);
		else if (w3s_key_verify(pub, msg.data, msg.len, sig) != 0) {
			w3s_hex32_format(hex, pub);
			rc = w3s_err_set(err, W3S_EVERIFY, "%s: the signature"
			    " by %s does not verify", what, hex);
		}
	}
	w3s_buf_release(&msg);
	return rc;
}

int
w3s_migrate_offer_verify(const struct w3s_migrate_offer *o,
    struct w3s_err *err)
{
	uint8_t sig[W3S_SIGNATURE_LEN];
	int rc;

	memcpy(sig, o->signature, sizeof(sig));
	if ((rc = record_sig(offer_tree(o, 0), NULL, o->from, sig, "offer",
	    err)) != 0)
		return rc;
	return offer_check(o, W3S_EVERIFY, err);
}

static int
payload_sig_check(const struct w3s_migrate_acceptance *a,
    const uint8_t pub[W3S_PUBKEY_LEN], const uint8_t sig[W3S_SIGNATURE_LEN],
    const char *whose, struct w3s_err *err)
{
	char hex[W3S_HEX32_LEN];

	if (w3s_key_verify(pub, a->payload, W3S_PAYLOAD_V1_LEN, sig) == 0)
		return 0;
	w3s_hex32_format(hex, pub);
	return w3s_err_set(err, W3S_EVERIFY, "acceptance: the %s signature by"
	    " %s over the commitment payload does not verify", whose, hex);
}

/* The record's signature and the payload signatures it carries. */
int
w3s_migrate_acceptance_verify(const struct w3s_migrate_acceptance *a,
    struct w3s_err *err)
{
	uint8_t sig[W3S_SIGNATURE_LEN];
	int rc;

	memcpy(sig, a->signature, sizeof(sig));
	if ((rc = record_sig(acceptance_tree(a, 0), NULL, a->to, sig,
	    "acceptance", err)) != 0 ||
	    (rc = acceptance_check(a, W3S_EVERIFY, err)) != 0 ||
	    (rc = payload_sig_check(a, a->to, a->payload_signature, "new"
	    " provider's", err)) != 0)
		return rc;
	if (a->has_from_signature)
		return payload_sig_check(a, a->from, a->from_signature,
		    "old provider's", err);
	return 0;
}

/* ---- the offer ------------------------------------------------------- */

static int
handed_over(struct w3s_bucket *b, int *handed, struct w3s_buf *acc,
    uint8_t to[W3S_PUBKEY_LEN], struct w3s_err *err)
{
	struct w3s_migrate_acceptance a;
	struct w3s_err ignored = { 0 };
	int rc;

	if ((rc = w3s_bucket_setting_get(b, W3S_MIGRATE_SETTING, acc, handed,
	    err)) != 0 || !*handed || to == NULL)
		return rc;
	if (w3s_migrate_acceptance_decode(acc->data, acc->len, &a,
	    &ignored) == 0)
		memcpy(to, a.to, W3S_PUBKEY_LEN);
	else
		memset(to, 0, W3S_PUBKEY_LEN);
	return 0;
}

int
w3s_migrate_handed_over(struct w3s_bucket *b, int *handed,
    uint8_t to[W3S_PUBKEY_LEN], struct w3s_err *err)
{
	struct w3s_buf acc;
	int rc;

	w3s_buf_init(&acc);
	rc = handed_over(b, handed, &acc, to, err);
	w3s_buf_release(&acc);
	return rc;
}

/* Segments, chunk references and bytes of the held segments. */
static int
count_segments(struct w3s_bucket *b, struct w3s_migrate_counts *n,
    struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_segment seg;
	int rc;

	memset(n, 0, sizeof(*n));
	if ((rc = w3s_bucket_segments(b, 0, W3S_STORE_SEQ_MAX, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_segment(it, &seg, err)) == 1) {
		n->segments++;
		n->chunks += seg.chunk_count;
		n->bytes += seg.leaf.data_size;
	}
	w3s_store_iter_free(it);
	return rc < 0 ? rc : 0;
}

int
w3s_migrate_offer_make(struct w3s_bucket *b, const struct w3s_key *key,
    const uint8_t to[W3S_PUBKEY_LEN], uint64_t now, uint64_t ttl,
    struct w3s_migrate_offer *o, struct w3s_err *err)
{
	uint8_t other[W3S_PUBKEY_LEN];
	char hex[W3S_HEX32_LEN];
	int rc, handed;

	memset(o, 0, sizeof(*o));
	o->bucket = w3s_bucket_id(b);
	w3s_key_public(key, o->from);
	memcpy(o->to, to, W3S_PUBKEY_LEN);
	o->created = now;
	o->expires = now + ttl;
	if (memcmp(o->from, to, W3S_PUBKEY_LEN) == 0)
		return w3s_err_set(err, W3S_ENOTAPPLY, "the offer's recipient"
		    " is the signing key itself");
	if (ttl == 0 || o->expires < now)
		return w3s_err_set(err, W3S_EUSAGE, "bad offer lifetime");
	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	if ((rc = w3s_bucket_key_allowed(b, W3S_ROLE_PRIMARY, o->from,
	    err)) != 0 ||
	    (rc = w3s_migrate_handed_over(b, &handed, other, err)) != 0)
		goto out;
	if (handed) {
		w3s_hex32_format(hex, other);
		rc = w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64 " was"
		    " already handed over to %s", o->bucket, hex);
		goto out;
	}
	if ((rc = w3s_bucket_commitment(b, &o->commitment, err)) != 0 ||
	    (rc = count_segments(b, &o->counts, err)) != 0)
		goto out;
	rc = record_sig(offer_tree(o, 0), key, NULL, o->signature, "offer",
	    err);
out:
	w3s_bucket_read_end(b);
	return rc;
}

/* ---- the acceptance -------------------------------------------------- */

/* The offered commitment is anchored by trust_root, or by the bucket's
 * trusted primary keys or anchored root. */
static int
check_anchor(struct w3s_bucket *b, const struct w3s_migrate_offer *o,
    const struct w3s_commitment *reached, const uint8_t *trust_root,
    struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_trust t;
	uint8_t pub[W3S_PUBKEY_LEN];
	char hex[W3S_HEX32_LEN];
	int rc, found = 0;

	if (trust_root != NULL) {
		if (memcmp(trust_root, o->commitment.mmr_root, W3S_H256) == 0 ||
		    memcmp(trust_root, reached->mmr_root, W3S_H256) == 0)
			return 0;
		w3s_hex32_format(hex, trust_root);
		return w3s_err_set(err, W3S_EVERIFY, "the trusted root %s is"
		    " neither the offered root nor the root reached", hex);
	}
	if ((rc = w3s_bucket_keys(b, W3S_ROLE_PRIMARY, &it, err)) != 0)
		return rc;
	while (!found && (rc = w3s_store_iter_key(it, pub, err)) == 1)
		found = memcmp(pub, o->from, W3S_PUBKEY_LEN) == 0;
	w3s_store_iter_free(it);
	if (rc < 0)
		return rc;
	if (found)
		return 0;
	if ((rc = w3s_bucket_trust_get(b, &t, err)) != 0)
		return rc;
	if (t.anchored && (w3s_chain_commitment_eq(&t.anchor, &o->commitment) ||
	    w3s_chain_commitment_eq(&t.anchor, reached)))
		return 0;
	w3s_hex32_format(hex, o->from);
	return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64 " is unanchored:"
	    " it does not record the offer's key %s as a trusted primary;"
	    " give --trust-root (the bucket's root on chain)", o->bucket, hex);
}

/* The old provider's checkpoint signature over the commitment reached. */
static int
find_from_signature(struct w3s_bucket *b, const struct w3s_migrate_offer *o,
    const struct w3s_commitment *c, uint8_t sig[W3S_SIGNATURE_LEN],
    struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	struct w3s_store_iter *it = NULL;
	struct w3s_checkpoint cp;
	char hex[W3S_HEX32_LEN];
	int rc, found = 0;

	w3s_payload_v1_encode(o->bucket, c, payload);
	if ((rc = w3s_bucket_checkpoints(b, c, &it, err)) != 0)
		return rc;
	while (!found && (rc = w3s_store_iter_checkpoint(it, &cp, err)) == 1)
		if (memcmp(cp.signer, o->from, W3S_PUBKEY_LEN) == 0 &&
		    w3s_key_verify(o->from, payload, sizeof(payload),
		    cp.signature) == 0) {
			memcpy(sig, cp.signature, W3S_SIGNATURE_LEN);
			found = 1;
		}
	w3s_store_iter_free(it);
	if (rc < 0)
		return rc;
	if (found)
		return 0;
	w3s_hex32_format(hex, c->mmr_root);
	return w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64 ": the"
	    " commitment reached (leaf_count %" PRIu64 ", root %s) has no"
	    " checkpoint signed by the offer's key", o->bucket, c->leaf_count,
	    hex);
}

/* The scrub's problems: missing chunks go to the caller's function. */
struct missing_ctx {
	w3s_migrate_missing_fn *fn;
	void *ctx;
};

static void
on_scrub_problem(void *ctx, const struct w3s_scrub_problem *p)
{
	struct missing_ctx *m = ctx;

	if (p->kind == W3S_SCRUB_CHUNK_MISSING && m->fn != NULL)
		m->fn(m->ctx, p->seq, p->index, p->hash);
}

/* Everything about the bucket, in the snapshot the caller holds. */
static int
accept_bucket(struct w3s_bucket *b, const struct w3s_migrate_offer *o,
    const uint8_t *trust_root, const struct w3s_migrate_accept_hooks *h,
    struct w3s_migrate_acceptance *a, struct w3s_err *err)
{
	const struct w3s_commitment *want = &o->commitment;
	struct missing_ctx mctx = { h->missing, h->ctx };
	struct w3s_scrub_opts opts = { 0 };
	struct w3s_scrub_report r;
	struct w3s_commitment c;
	struct w3s_mmr_store ms;
	uint8_t root[W3S_H256];
	char h1[W3S_HEX32_LEN], h2[W3S_HEX32_LEN];
	int rc;

	if ((rc = w3s_bucket_commitment(b, &c, err)) != 0)
		return rc;
	if (c.start_seq < want->start_seq)
		return w3s_err_set(err, W3S_EINCOMPLETE, "bucket %" PRIu64
		    " has not reached the offered commitment: its start_seq %"
		    PRIu64 " is before the offered %" PRIu64 " (a deletion not"
		    " applied yet)", o->bucket, c.start_seq, want->start_seq);
	if (c.start_seq > want->start_seq)
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    ": its start_seq %" PRIu64 " is past the offered %" PRIu64
		    " (segments dropped since the offer): ask for a new offer",
		    o->bucket, c.start_seq, want->start_seq);
	if (c.leaf_count < want->leaf_count)
		return w3s_err_set(err, W3S_EINCOMPLETE, "bucket %" PRIu64
		    " is missing segments %" PRIu64 " to %" PRIu64 " (it holds"
		    " %" PRIu64 " of the offered %" PRIu64 ")", o->bucket,
		    c.start_seq + c.leaf_count, want->start_seq +
		    want->leaf_count - 1, c.leaf_count, want->leaf_count);
	/* The MMR of the first offered leaf_count leaves is a prefix: its
	 * nodes never change as leaves are appended. */
	if (c.leaf_count == want->leaf_count) {
		memcpy(root, c.mmr_root, W3S_H256);
	} else {
		ms = w3s_bucket_mmr(b);
		if ((rc = w3s_mmr_root(&ms, want->leaf_count, root, err)) != 0)
			return rc;
	}
	if (memcmp(root, want->mmr_root, W3S_H256) != 0) {
		w3s_hex32_format(h1, root);
		w3s_hex32_format(h2, want->mmr_root);
		return w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64 ": its"
		    " root at leaf_count %" PRIu64 " is %s, the offer's %s: a"
		    " different history", o->bucket, want->leaf_count, h1, h2);
	}
	if ((rc = check_anchor(b, o, &c, trust_root, err)) != 0)
		return rc;
	a->has_from_signature = !w3s_chain_commitment_eq(&c, want);
	if (a->has_from_signature && (rc = find_from_signature(b, o, &c,
	    a->from_signature, err)) != 0)
		return rc;
	/* The full scrub (lib/scrub): every chunk's bytes hashed, every data
	 * root, MMR node, the root and every signature. */
	opts.problem = on_scrub_problem;
	opts.ctx = &mctx;
	opts.progress = h->progress;
	opts.progress_ctx = h->progress_ctx;
	rc = w3s_scrub_bucket(b, &opts, &r, err);
	if (rc == W3S_EINCOMPLETE)
		return w3s_err_set(err, W3S_EINCOMPLETE, "bucket %" PRIu64 " is"
		    " incomplete: %" PRIu64 " of its %" PRIu64 " chunks are"
		    " missing", o->bucket, r.missing, r.chunk_refs);
	if (rc != 0)
		return rc;
	if (!w3s_chain_commitment_eq(&r.commitment, &c))
		return w3s_err_set(err, W3S_ESYS, "bucket %" PRIu64 ": the"
		    " scrub read another snapshot", o->bucket);
	if (!a->has_from_signature && (r.chunk_refs != o->counts.chunks ||
	    r.bytes != o->counts.bytes))
		return w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64 " holds"
		    " %" PRIu64 " chunks and %" PRIu64 " bytes, the offer says %"
		    PRIu64 " and %" PRIu64, o->bucket, r.chunk_refs, r.bytes,
		    o->counts.chunks, o->counts.bytes);
	a->commitment = c;
	a->counts.segments = r.segments;
	a->counts.chunks = r.chunk_refs;
	a->counts.bytes = r.bytes;
	return 0;
}

static void
fmt_time(char out[32], uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > (uint64_t)INT32_MAX * 64 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, 32, "%" PRIu64, t);
	else
		strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

int
w3s_migrate_accept(struct w3s_bucket *b, const struct w3s_migrate_offer *o,
    const uint8_t offer_digest[W3S_HASH_LEN], const struct w3s_key *key,
    const uint8_t *trust_root, uint64_t now,
    w3s_migrate_missing_fn *missing, void *ctx,
    struct w3s_migrate_acceptance *a, struct w3s_err *err)
{
	struct w3s_migrate_accept_hooks h = { missing, ctx, NULL, NULL };

	return w3s_migrate_accept_hooked(b, o, offer_digest, key, trust_root,
	    now, &h, a, err);
}

int
w3s_migrate_accept_hooked(struct w3s_bucket *b,
    const struct w3s_migrate_offer *o,
    const uint8_t offer_digest[W3S_HASH_LEN], const struct w3s_key *key,
    const uint8_t *trust_root, uint64_t now,
    const struct w3s_migrate_accept_hooks *h,
    struct w3s_migrate_acceptance *a, struct w3s_err *err)
{
	char when[32], h1[W3S_HEX32_LEN], h2[W3S_HEX32_LEN];
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = w3s_migrate_offer_verify(o, err)) != 0)
		return rc;
	if (now >= o->expires) {
		fmt_time(when, o->expires);
		return w3s_err_set(err, W3S_EVERIFY, "the offer expired at %s",
		    when);
	}
	w3s_key_public(key, a->to);
	if (memcmp(a->to, o->to, W3S_PUBKEY_LEN) != 0) {
		w3s_hex32_format(h1, a->to);
		w3s_hex32_format(h2, o->to);
		return w3s_err_set(err, W3S_EVERIFY, "key %s is not the offer's"
		    " recipient %s", h1, h2);
	}
	if (w3s_bucket_id(b) != o->bucket)
		return w3s_err_set(err, W3S_EUSAGE, "the offer is for bucket %"
		    PRIu64 ", not %" PRIu64, o->bucket, w3s_bucket_id(b));
	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	rc = accept_bucket(b, o, trust_root, h, a, err);
	w3s_bucket_read_end(b);
	if (rc != 0)
		return rc;
	a->bucket = o->bucket;
	memcpy(a->offer, offer_digest, W3S_HASH_LEN);
	memcpy(a->from, o->from, W3S_PUBKEY_LEN);
	a->created = now;
	w3s_payload_v1_encode(a->bucket, &a->commitment, a->payload);
	if ((rc = w3s_key_sign(key, a->payload, W3S_PAYLOAD_V1_LEN,
	    a->payload_signature, err)) != 0)
		return rc;
	return record_sig(acceptance_tree(a, 0), key, NULL, a->signature,
	    "acceptance", err);
}

/* ---- the pair -------------------------------------------------------- */

int
w3s_migrate_verify_pair(const struct w3s_migrate_offer *o,
    const uint8_t offer_digest[W3S_HASH_LEN],
    const struct w3s_migrate_acceptance *a, const uint8_t *trust_root,
    int *anchored, struct w3s_err *err)
{
	const struct w3s_commitment *want = &o->commitment, *c = &a->commitment;
	char when[32], hex[W3S_HEX32_LEN];
	int rc;

	*anchored = 0;
	if ((rc = w3s_migrate_offer_verify(o, err)) != 0 ||
	    (rc = w3s_migrate_acceptance_verify(a, err)) != 0)
		return rc;
	if (memcmp(a->offer, offer_digest, W3S_HASH_LEN) != 0)
		return w3s_err_set(err, W3S_EVERIFY, "the acceptance names"
		    " another offer");
	if (a->bucket != o->bucket)
		return w3s_err_set(err, W3S_EVERIFY, "the acceptance is for"
		    " bucket %" PRIu64 ", the offer for %" PRIu64, a->bucket,
		    o->bucket);
	if (memcmp(a->from, o->from, W3S_PUBKEY_LEN) != 0 ||
	    memcmp(a->to, o->to, W3S_PUBKEY_LEN) != 0)
		return w3s_err_set(err, W3S_EVERIFY, "the acceptance's keys are"
		    " not the offer's");
	if (a->created >= o->expires) {
		fmt_time(when, o->expires);
		return w3s_err_set(err, W3S_EVERIFY, "the acceptance was made"
		    " after the offer expired at %s", when);
	}
	if (c->start_seq != want->start_seq || c->leaf_count <
	    want->leaf_count || (c->leaf_count == want->leaf_count &&
	    !w3s_chain_commitment_eq(c, want)))
		return w3s_err_set(err, W3S_EVERIFY, "the commitment accepted"
		    " does not extend the offered one");
	if (w3s_chain_commitment_eq(c, want)) {
		if (a->counts.chunks != o->counts.chunks ||
		    a->counts.bytes != o->counts.bytes)
			return w3s_err_set(err, W3S_EVERIFY, "the counts"
			    " accepted are not the offered ones");
	} else if (!a->has_from_signature) {
		return w3s_err_set(err, W3S_EVERIFY, "the commitment accepted"
		    " is later than the offered one but carries no signature"
		    " of the old provider");
	} else if (a->counts.chunks < o->counts.chunks ||
	    a->counts.bytes < o->counts.bytes) {
		return w3s_err_set(err, W3S_EVERIFY, "the counts accepted are"
		    " below the offered ones");
	}
	if (trust_root != NULL) {
		if (memcmp(trust_root, want->mmr_root, W3S_H256) != 0 &&
		    memcmp(trust_root, c->mmr_root, W3S_H256) != 0) {
			w3s_hex32_format(hex, trust_root);
			return w3s_err_set(err, W3S_EVERIFY, "the trusted root"
			    " %s is neither the offered nor the accepted root",
			    hex);
		}
		*anchored = 1;
	}
	return 0;
}

/* ---- release --------------------------------------------------------- */

/* Whether the bucket holds or has held commitment c. */
static int
has_held(struct w3s_bucket *b, const struct w3s_commitment *c, int *held,
    struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_checkpoint cp;
	struct w3s_commitment now;
	int rc;

	*held = 0;
	if ((rc = w3s_bucket_commitment(b, &now, err)) != 0)
		return rc;
	if (w3s_chain_commitment_eq(&now, c)) {
		*held = 1;
		return 0;
	}
	if ((rc = w3s_bucket_checkpoints(b, c, &it, err)) != 0)
		return rc;
	rc = w3s_store_iter_checkpoint(it, &cp, err);
	w3s_store_iter_free(it);
	if (rc < 0)
		return rc;
	*held = rc == 1;
	return 0;
}

static int
release_check(struct w3s_bucket *b, const uint8_t *acc, size_t len,
    const struct w3s_migrate_acceptance *a, int *already,
    struct w3s_err *err)
{
	struct w3s_buf prev;
	uint8_t to[W3S_PUBKEY_LEN];
	char hex[W3S_HEX32_LEN];
	int rc, handed, held;

	w3s_buf_init(&prev);
	if ((rc = handed_over(b, &handed, &prev, to, err)) != 0)
		goto out;
	if (handed) {
		if (prev.len == len && memcmp(prev.data, acc, len) == 0) {
			*already = 1;
		} else {
			w3s_hex32_format(hex, to);
			rc = w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
			    " was already handed over to %s by another"
			    " acceptance", a->bucket, hex);
		}
		goto out;
	}
	if ((rc = has_held(b, &a->commitment, &held, err)) != 0)
		goto out;
	if (!held) {
		w3s_hex32_format(hex, a->commitment.mmr_root);
		rc = w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64 " never"
		    " held the accepted commitment (leaf_count %" PRIu64 ","
		    " root %s)", a->bucket, a->commitment.leaf_count, hex);
	}
out:
	w3s_buf_release(&prev);
	return rc;
}

int
w3s_migrate_release(struct w3s_bucket *b, const uint8_t *acc, size_t len,
    const struct w3s_key *key, int *already, struct w3s_err *err)
{
	struct w3s_migrate_acceptance a;
	uint8_t pub[W3S_PUBKEY_LEN];
	char hex[W3S_HEX32_LEN];
	int rc;

	*already = 0;
	if ((rc = w3s_migrate_acceptance_decode(acc, len, &a, err)) != 0 ||
	    (rc = w3s_migrate_acceptance_verify(&a, err)) != 0)
		return rc;
	if (a.bucket != w3s_bucket_id(b))
		return w3s_err_set(err, W3S_ENOTAPPLY, "the acceptance is for"
		    " bucket %" PRIu64 ", not %" PRIu64, a.bucket,
		    w3s_bucket_id(b));
	w3s_key_public(key, pub);
	if (memcmp(pub, a.from, W3S_PUBKEY_LEN) != 0) {
		w3s_hex32_format(hex, pub);
		return w3s_err_set(err, W3S_EVERIFY, "key %s is not the old"
		    " provider the acceptance names", hex);
	}
	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	rc = release_check(b, acc, len, &a, already, err);
	w3s_bucket_read_end(b);
	if (rc != 0 || *already)
		return rc;
	return w3s_bucket_setting_set(b, W3S_MIGRATE_SETTING, acc, len, err);
}

/* ---- files ----------------------------------------------------------- */

int
w3s_migrate_read_file(const char *path, struct w3s_buf *out,
    struct w3s_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return w3s_err_sys(err, errno, "cannot open %s", path);
	rc = w3s_buf_read_fd(out, fd, W3S_MIGRATE_RECORD_MAX, err);
	close(fd);
	if (rc == W3S_EMALFORMED)
		return w3s_err_set(err, W3S_EMALFORMED, "%s: larger than %d"
		    " bytes: not a migration record", path,
		    W3S_MIGRATE_RECORD_MAX);
	return rc != 0 ? w3s_err_wrap(err, "%s", path) : 0;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
w3s_migrate_write_file(const char *path, const void *data, size_t len,
    struct w3s_err *err)
{
	struct w3s_export_file *f = NULL;
	int rc, e;

	if ((rc = w3s_export_file_open(path, &f, err)) != 0)
		return rc;
	if ((e = write_all(w3s_export_file_fd(f), data, len)) != 0) {
		w3s_export_file_abort(f);
		return w3s_err_sys(err, e, "cannot write %s", path);
	}
	return w3s_export_file_commit(f, err);
}
