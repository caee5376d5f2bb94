/* Multihash and CID (v0 and v1). */
#ifndef W3S_CID_H
#define W3S_CID_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/hash.h>
#include <w3s/multibase.h>
#include <w3s/varint.h>

/* Multicodec codes of the content types this toolkit handles. */
enum w3s_codec {
	W3S_CODEC_RAW = 0x55,
	W3S_CODEC_DAG_PB = 0x70,
	W3S_CODEC_DAG_CBOR = 0x71,
};

#define W3S_MULTIHASH_DIGEST_MAX 64
/* Largest binary multihash: hash code, length, digest. */
#define W3S_MULTIHASH_BIN_MAX (2 * W3S_VARINT_MAX + W3S_MULTIHASH_DIGEST_MAX)
/* Largest binary CID accepted: version, codec, hash code, length, digest. */
#define W3S_CID_BIN_MAX (4 * W3S_VARINT_MAX + W3S_MULTIHASH_DIGEST_MAX)

struct w3s_multihash {
	uint64_t code;
	size_t len;
	uint8_t digest[W3S_MULTIHASH_DIGEST_MAX];
};

struct w3s_cid {
	unsigned version;	/* 0 or 1 */
	uint64_t codec;		/* multicodec; 0x70 for v0 */
	struct w3s_multihash mh;
};

/* Multihash bytes <-> struct. encode writes at most W3S_MULTIHASH_BIN_MAX
 * bytes and returns the length written; mh->code must be below 2^63 and
 * mh->len at most W3S_MULTIHASH_DIGEST_MAX. */
size_t w3s_multihash_encode(uint8_t *out, const struct w3s_multihash *mh);
/* Returns bytes consumed or a W3S_E* code: W3S_EINCOMPLETE if buf ends
 * inside the multihash, W3S_EMALFORMED for a bad varint or a digest longer
 * than W3S_MULTIHASH_DIGEST_MAX. Truncated digests (shorter than the hash
 * function's) are valid multihashes and accepted here. */
int w3s_multihash_decode(const uint8_t *buf, size_t len,
    struct w3s_multihash *mh, struct w3s_err *err);

/* Builds the CID of bytes: hashes data with alg. v0 requires sha2-256 and
 * dag-pb (W3S_EUSAGE otherwise). */
int w3s_cid_of(struct w3s_cid *cid, unsigned version, uint64_t codec,
    enum w3s_hash_alg alg, const void *data, size_t len, struct w3s_err *err);
/* Builds a CID from a finished digest (at most W3S_MULTIHASH_DIGEST_MAX
 * bytes are kept). */
void w3s_cid_from_digest(struct w3s_cid *cid, unsigned version,
    uint64_t codec, uint64_t hash_code, const uint8_t *digest, size_t len);

/* Binary form (v0: the bare multihash). Returns the length written into out
 * (W3S_CID_BIN_MAX bytes). */
size_t w3s_cid_to_bytes(const struct w3s_cid *cid, uint8_t *out);
/* Parses a binary CID occupying exactly len bytes; W3S_EMALFORMED on bad,
 * truncated or trailing bytes. Both parsers reject unknown versions and a
 * digest whose length differs from its hash function's (for the functions
 * of hash.h; identity is variable). *cid is set only on success. */
int w3s_cid_from_bytes(struct w3s_cid *cid, const uint8_t *buf, size_t len,
    struct w3s_err *err);
/* Parses a binary CID at the start of buf; returns bytes consumed, or
 * W3S_EINCOMPLETE if buf ends inside it. */
int w3s_cid_read(struct w3s_cid *cid, const uint8_t *buf, size_t len,
    struct w3s_err *err);

/* Text form: v0 is always base58btc without prefix ("Qm...", base is
 * ignored); v1 uses base with its multibase prefix. Returns a new string
 * the caller frees. W3S_EUSAGE for a CID struct that cannot exist. */
int w3s_cid_format(const struct w3s_cid *cid, enum w3s_base base, char **out,
    struct w3s_err *err);
/* Parses text ("Qm..." v0, or any multibase v1). Also accepts "0x" + 64 hex
 * digits, read as a blake2b-256 raw CIDv1 (the chain's form of a chunk
 * hash). W3S_EMALFORMED on bad input. */
int w3s_cid_parse(struct w3s_cid *cid, const char *text, struct w3s_err *err);

int w3s_cid_equal(const struct w3s_cid *a, const struct w3s_cid *b);

/* Codec name <-> code for raw, dag-pb, dag-cbor. */
int w3s_codec_from_name(const char *name, uint64_t *codec,
    struct w3s_err *err);
const char *w3s_codec_name(uint64_t codec);

#endif
