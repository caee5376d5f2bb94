/* Provider migration (issue 7, man/migrate-provider.1): the old provider's
 * signed offer of a bucket, the new provider's signed acceptance after a
 * full verification of its copy, the check anyone can make of the pair, and
 * the old store's "handed over" mark.
 *
 * Both records are DAG-CBOR maps (lib/cbor) with a "type" and a "version";
 * their "signature" is the signer's Ed25519 signature over the DAG-CBOR
 * encoding of the same map without the "signature" key. Decoders are
 * strict about the form: not canonical DAG-CBOR, unknown, missing or
 * mistyped keys, another type or version are W3S_EMALFORMED. Whether the
 * record holds is the verifiers' question (W3S_EVERIFY): its signature,
 * and values that cannot hold together (expiry before creation, a payload
 * that is not the CommitmentPayload v1 of the commitment, counts that do
 * not fit the leaf_count).
 *
 * The offer digest that an acceptance names is H (BLAKE2b-256) of the
 * offer's bytes; the decoders accept only the canonical encoding, so the
 * bytes of a record are fixed by its contents. */
#ifndef W3S_MIGRATE_H
#define W3S_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/buf.h>
#include <w3s/err.h>
#include <w3s/hash.h>
#include <w3s/key.h>
#include <w3s/scale.h>
#include <w3s/store.h>
#include <w3s/types.h>

#define W3S_MIGRATE_OFFER_TYPE "w3sync-migrate-offer"
#define W3S_MIGRATE_ACCEPTANCE_TYPE "w3sync-migrate-acceptance"
#define W3S_MIGRATE_VERSION 1
/* A record file larger than this is not a record (W3S_EMALFORMED). */
#define W3S_MIGRATE_RECORD_MAX 4096
/* The bucket setting release writes: the acceptance's bytes. */
#define W3S_MIGRATE_SETTING "migrate.handed_over"
/* Longest offer lifetime w3s_migrate_parse_duration accepts: 366 days. */
#define W3S_MIGRATE_TTL_MAX (366ull * 86400)

/* What a bucket holds at a commitment: its segments, their chunk
 * references (the sum of their chunk counts) and their bytes (the sum of
 * their data sizes). */
struct w3s_migrate_counts {
	uint64_t segments;
	uint64_t chunks;
	uint64_t bytes;
};

struct w3s_migrate_offer {
	uint64_t bucket;
	struct w3s_commitment commitment;	/* the old store's current */
	struct w3s_migrate_counts counts;
	uint8_t from[W3S_PUBKEY_LEN];		/* old provider: signs */
	uint8_t to[W3S_PUBKEY_LEN];		/* new provider */
	uint64_t created;			/* Unix seconds */
	uint64_t expires;			/* Unix seconds, > created */
	uint8_t signature[W3S_SIGNATURE_LEN];	/* by from */
};

struct w3s_migrate_acceptance {
	uint64_t bucket;
	uint8_t offer[W3S_HASH_LEN];		/* H(offer record bytes) */
	uint8_t from[W3S_PUBKEY_LEN];
	uint8_t to[W3S_PUBKEY_LEN];		/* new provider: signs */
	struct w3s_commitment commitment;	/* reached and verified */
	struct w3s_migrate_counts counts;	/* verified */
	uint64_t created;
	/* CommitmentPayload v1 of (bucket, commitment), the new provider's
	 * signature over it (what the chain takes), and, when the commitment
	 * reached is later than the offered one, the old provider's
	 * checkpoint signature over the same payload. */
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	uint8_t payload_signature[W3S_SIGNATURE_LEN];
	int has_from_signature;
	uint8_t from_signature[W3S_SIGNATURE_LEN];
	uint8_t signature[W3S_SIGNATURE_LEN];	/* by to, over the record */
};

/* "30s", "30m", "24h", "7d" (a bare number is seconds): 1 second to
 * W3S_MIGRATE_TTL_MAX. W3S_EUSAGE otherwise. */
int w3s_migrate_parse_duration(const char *s, uint64_t *seconds,
    struct w3s_err *err);

/* Records <-> bytes. Decoders check the form only (W3S_EMALFORMED);
 * encoders refuse what the verifiers would refuse (W3S_EUSAGE), so a
 * record that decodes may still fail its verification. */
int w3s_migrate_offer_encode(const struct w3s_migrate_offer *o,
    struct w3s_buf *out, struct w3s_err *err);
int w3s_migrate_offer_decode(const uint8_t *buf, size_t len,
    struct w3s_migrate_offer *o, struct w3s_err *err);
int w3s_migrate_acceptance_encode(const struct w3s_migrate_acceptance *a,
    struct w3s_buf *out, struct w3s_err *err);
int w3s_migrate_acceptance_decode(const uint8_t *buf, size_t len,
    struct w3s_migrate_acceptance *a, struct w3s_err *err);

/* The record's signature and consistency (for an acceptance also the two
 * payload signatures it carries): 0 or W3S_EVERIFY. */
int w3s_migrate_offer_verify(const struct w3s_migrate_offer *o,
    struct w3s_err *err);
int w3s_migrate_acceptance_verify(const struct w3s_migrate_acceptance *a,
    struct w3s_err *err);

/* The old provider's offer of bucket b (opened for reading) to the key
 * to, signed with key: the current commitment and its counts, read in one
 * snapshot, created now, expiring ttl seconds later. W3S_EVERIFY when the
 * bucket records primary keys and key is not one of them; W3S_ENOTAPPLY
 * when the bucket is already handed over or to is key's own public key. */
int w3s_migrate_offer_make(struct w3s_bucket *b, const struct w3s_key *key,
    const uint8_t to[W3S_PUBKEY_LEN], uint64_t now, uint64_t ttl,
    struct w3s_migrate_offer *o, struct w3s_err *err);

/* Called by w3s_migrate_accept for each chunk reference missing from the
 * bucket (segment order, then chunk order), before it returns
 * W3S_EINCOMPLETE. */
typedef void w3s_migrate_missing_fn(void *ctx, uint64_t seq, uint64_t index,
    const uint8_t hash[W3S_H256]);

/* The new provider's acceptance. In order: the offer's signature
 * (W3S_EVERIFY), its expiry against now (W3S_EVERIFY), key being the
 * offer's `to` (W3S_EVERIFY); then, in one snapshot of bucket b (the
 * offer's bucket, opened for reading):
 *  - the commitment reached must have the offered one in its history: the
 *    same start_seq (a lower one: a deletion not yet applied, and a
 *    leaf_count below the offer's: W3S_EINCOMPLETE naming the missing
 *    segments; a higher start_seq: W3S_ENOTAPPLY) and, over the first
 *    offered leaf_count leaves, the offered MMR root (W3S_EVERIFY);
 *  - the anchor: trust_root (NULL: none) must be the offered or the reached
 *    root (W3S_EVERIFY); without it the bucket must record the offer's
 *    `from` as a trusted primary key, or an anchored root equal to one of
 *    them (W3S_EUSAGE: unanchored);
 *  - a commitment later than the offered one needs a checkpoint of it
 *    signed by `from` in the bucket (W3S_EVERIFY), kept in the acceptance;
 *  - the full scrub of the bucket (w3s_scrub_bucket: every chunk's bytes
 *    hashed, every data root, MMR node and signature): a mismatch is
 *    W3S_EVERIFY; missing chunks are W3S_EINCOMPLETE, each missing chunk
 *    reference reported to missing (may be NULL) first.
 * Then *a is filled and signed. offer_digest is H(offer bytes). */
int w3s_migrate_accept(struct w3s_bucket *b,
    const struct w3s_migrate_offer *o,
    const uint8_t offer_digest[W3S_HASH_LEN], const struct w3s_key *key,
    const uint8_t *trust_root, uint64_t now,
    w3s_migrate_missing_fn *missing, void *ctx,
    struct w3s_migrate_acceptance *a, struct w3s_err *err);

/* The same with the scrub's progress too: progress (may be NULL) is
 * called on this thread with the chunk bytes verified and their exact
 * total, as w3s_scrub_opts.progress. */
struct w3s_migrate_accept_hooks {
	w3s_migrate_missing_fn *missing;
	void *ctx;
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};
int w3s_migrate_accept_hooked(struct w3s_bucket *b,
    const struct w3s_migrate_offer *o,
    const uint8_t offer_digest[W3S_HASH_LEN], const struct w3s_key *key,
    const uint8_t *trust_root, uint64_t now,
    const struct w3s_migrate_accept_hooks *h,
    struct w3s_migrate_acceptance *a, struct w3s_err *err);

/* Anyone's check of a pair: both signatures, the offer digest, bucket and
 * keys, the acceptance made before the offer expired, the commitment
 * reached extending the offered one (same start_seq, at least as many
 * leaves, the same root at the same count, the old provider's signature
 * over a later one), the payload and the new provider's signature over
 * it, counts that agree. All W3S_EVERIFY. trust_root (may be NULL) must be
 * the offered or the reached root; *anchored says whether one was given
 * and matched. */
int w3s_migrate_verify_pair(const struct w3s_migrate_offer *o,
    const uint8_t offer_digest[W3S_HASH_LEN],
    const struct w3s_migrate_acceptance *a, const uint8_t *trust_root,
    int *anchored, struct w3s_err *err);

/* Marks bucket b (opened with W3S_STORE_WRITE) handed over, keeping the
 * acceptance's bytes (acc, len) in the bucket setting W3S_MIGRATE_SETTING.
 * The acceptance must verify, name this bucket and key as its `from`
 * (W3S_EVERIFY), and its commitment must be one the bucket has held: its
 * current one or one it holds a checkpoint of (W3S_ENOTAPPLY). Releasing
 * again with the same acceptance is a no-op (*already = 1); a bucket handed
 * over by another acceptance is W3S_ENOTAPPLY. */
int w3s_migrate_release(struct w3s_bucket *b, const uint8_t *acc, size_t len,
    const struct w3s_key *key, int *already, struct w3s_err *err);

/* Whether bucket b has been handed over; if so, to whom (to may be NULL). */
int w3s_migrate_handed_over(struct w3s_bucket *b, int *handed,
    uint8_t to[W3S_PUBKEY_LEN], struct w3s_err *err);

/* Reads a record file whole (at most W3S_MIGRATE_RECORD_MAX bytes, else
 * W3S_EMALFORMED; a missing file is W3S_ESYS) into out. */
int w3s_migrate_read_file(const char *path, struct w3s_buf *out,
    struct w3s_err *err);
/* Writes data to path atomically and never over an existing file (the
 * export module's w3s_export_file: a temporary file beside it, fsync, a
 * rename that never replaces, fsync of the directory); W3S_ENOTAPPLY if
 * path exists. */
int w3s_migrate_write_file(const char *path, const void *data, size_t len,
    struct w3s_err *err);

#endif
