/* Multihash and CID (v0 and v1), binary and text.
 *
 * multihash = varint(hash code) varint(digest length) digest
 * CIDv0     = the bare multihash of a sha2-256 digest (codec dag-pb);
 *             text: base58btc without a multibase prefix ("Qm...")
 * CIDv1     = varint(1) varint(codec) multihash; text: any multibase */
#include <stdlib.h>
#include <string.h>

#include <w3s/cid.h>
#include <w3s/hex.h>

/* Length of a CIDv0 in text (base58btc of 34 bytes) and in binary. */
#define CIDV0_TEXT_LEN 46
#define CIDV0_BIN_LEN 34

/* Adds context to err's message and returns rc (err may be NULL). */
static int
wrap(struct w3s_err *err, int rc, const char *what)
{
	if (err != NULL)
		w3s_err_wrap(err, "%s", what);
	return rc;
}

size_t
w3s_multihash_encode(uint8_t *out, const struct w3s_multihash *mh)
{
	size_t n;

	n = w3s_varint_encode(out, mh->code);
	n += w3s_varint_encode(out + n, mh->len);
	memcpy(out + n, mh->digest, mh->len);
	return n + mh->len;
}

int
w3s_multihash_decode(const uint8_t *buf, size_t len,
    struct w3s_multihash *mh, struct w3s_err *err)
{
	uint64_t code, dlen;
	size_t off;
	int rc;

	if ((rc = w3s_varint_decode(buf, len, &code, err)) < 0)
		return wrap(err, rc, "multihash code");
	off = (size_t)rc;
	if ((rc = w3s_varint_decode(buf + off, len - off, &dlen, err)) < 0)
		return wrap(err, rc, "multihash length");
	off += (size_t)rc;
	if (dlen > W3S_MULTIHASH_DIGEST_MAX)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "multihash: digest of %llu bytes is longer than %d",
		    (unsigned long long)dlen, W3S_MULTIHASH_DIGEST_MAX);
	if (dlen > len - off)
		return w3s_err_set(err, W3S_EINCOMPLETE,
		    "multihash: input ends inside the %llu-byte digest",
		    (unsigned long long)dlen);
	memset(mh, 0, sizeof(*mh));
	mh->code = code;
	mh->len = (size_t)dlen;
	memcpy(mh->digest, buf + off, mh->len);
	return (int)(off + mh->len);
}

void
w3s_cid_from_digest(struct w3s_cid *cid, unsigned version, uint64_t codec,
    uint64_t hash_code, const uint8_t *digest, size_t len)
{
	if (len > W3S_MULTIHASH_DIGEST_MAX)
		len = W3S_MULTIHASH_DIGEST_MAX;
	memset(cid, 0, sizeof(*cid));
	cid->version = version;
	cid->codec = codec;
	cid->mh.code = hash_code;
	cid->mh.len = len;
	if (len > 0)
		memcpy(cid->mh.digest, digest, len);
}

int
w3s_cid_of(struct w3s_cid *cid, unsigned version, uint64_t codec,
    enum w3s_hash_alg alg, const void *data, size_t len, struct w3s_err *err)
{
	uint8_t digest[W3S_MULTIHASH_DIGEST_MAX];
	int n;

	if (version > 1)
		return w3s_err_set(err, W3S_EUSAGE, "cid: no CID version %u",
		    version);
	if (version == 0 &&
	    (alg != W3S_HASH_SHA2_256 || codec != W3S_CODEC_DAG_PB))
		return w3s_err_set(err, W3S_EUSAGE,
		    "cid: CIDv0 is only sha2-256 over dag-pb");
	if (codec >> 63 != 0)
		return w3s_err_set(err, W3S_EUSAGE,
		    "cid: codec 0x%llx is out of range",
		    (unsigned long long)codec);
	n = w3s_hash_digest(alg, data, len, digest, sizeof(digest), err);
	if (n < 0)
		return n;
	w3s_cid_from_digest(cid, version, codec, (uint64_t)alg, digest,
	    (size_t)n);
	return 0;
}

size_t
w3s_cid_to_bytes(const struct w3s_cid *cid, uint8_t *out)
{
	size_t n = 0;

	if (cid->version != 0) {
		n = w3s_varint_encode(out, cid->version);
		n += w3s_varint_encode(out + n, cid->codec);
	}
	return n + w3s_multihash_encode(out + n, &cid->mh);
}

/* Checks a multihash inside a CID: a function whose digest length is
 * fixed must carry exactly that many bytes (identity is variable). */
static int
check_digest_len(const struct w3s_multihash *mh, struct w3s_err *err)
{
	int want;

	if (mh->code > INT32_MAX)	/* not a code of enum w3s_hash_alg */
		return 0;
	want = w3s_hash_digest_len((enum w3s_hash_alg)mh->code);
	if (want > 0 && mh->len != (size_t)want)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "cid: %s digest is %zu bytes, not %d",
		    w3s_hash_name((enum w3s_hash_alg)mh->code), mh->len, want);
	return 0;
}

int
w3s_cid_read(struct w3s_cid *cid, const uint8_t *buf, size_t len,
    struct w3s_err *err)
{
	struct w3s_cid c;
	uint64_t version, codec;
	size_t off;
	int rc;

	memset(&c, 0, sizeof(c));
	if (len > 0 && buf[0] == W3S_HASH_SHA2_256) {
		/* A bare sha2-256 multihash: CIDv0 (no CIDv18 exists). */
		if ((rc = w3s_multihash_decode(buf, len, &c.mh, err)) < 0)
			return wrap(err, rc, "cid");
		if (c.mh.len != 32)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "cid: CIDv0 digest is %zu bytes, not 32", c.mh.len);
		c.version = 0;
		c.codec = W3S_CODEC_DAG_PB;
		*cid = c;
		return rc;
	}
	if ((rc = w3s_varint_decode(buf, len, &version, err)) < 0)
		return wrap(err, rc, "cid version");
	off = (size_t)rc;
	if (version != 1) {
		if (version == 0)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "cid: version 0 is never written out (CIDv0 is a "
			    "bare multihash)");
		return w3s_err_set(err, W3S_EMALFORMED,
		    "cid: unsupported CID version %llu",
		    (unsigned long long)version);
	}
	if ((rc = w3s_varint_decode(buf + off, len - off, &codec, err)) < 0)
		return wrap(err, rc, "cid codec");
	off += (size_t)rc;
	if ((rc = w3s_multihash_decode(buf + off, len - off, &c.mh, err)) < 0)
		return wrap(err, rc, "cid");
	off += (size_t)rc;
	if ((rc = check_digest_len(&c.mh, err)) != 0)
		return rc;
	c.version = 1;
	c.codec = codec;
	*cid = c;
	return (int)off;
}

int
w3s_cid_from_bytes(struct w3s_cid *cid, const uint8_t *buf, size_t len,
    struct w3s_err *err)
{
	struct w3s_cid c;
	int rc;

	rc = w3s_cid_read(&c, buf, len, err);
	if (rc == W3S_EINCOMPLETE)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "cid: truncated (%zu bytes)", len);
	if (rc < 0)
		return rc;
	if ((size_t)rc != len)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "cid: %zu bytes left after the CID", len - (size_t)rc);
	*cid = c;
	return 0;
}

int
w3s_cid_format(const struct w3s_cid *cid, enum w3s_base base, char **out,
    struct w3s_err *err)
{
	uint8_t bin[W3S_CID_BIN_MAX];
	size_t n;
	char *s;
	int rc;

	if (cid->version > 1)
		return w3s_err_set(err, W3S_EUSAGE, "cid: no CID version %u",
		    cid->version);
	if (cid->version == 0 && (cid->codec != W3S_CODEC_DAG_PB ||
	    cid->mh.code != W3S_HASH_SHA2_256 || cid->mh.len != 32))
		return w3s_err_set(err, W3S_EUSAGE,
		    "cid: CIDv0 is only a 32-byte sha2-256 over dag-pb");
	if (cid->codec >> 63 != 0 || cid->mh.code >> 63 != 0 ||
	    cid->mh.len > W3S_MULTIHASH_DIGEST_MAX)
		return w3s_err_set(err, W3S_EUSAGE,
		    "cid: codec, hash code or digest length out of range");
	n = w3s_cid_to_bytes(cid, bin);
	if (cid->version == 0)
		base = W3S_BASE58BTC;
	if ((rc = w3s_multibase_encode(base, bin, n, &s, err)) != 0)
		return rc;
	if (cid->version == 0)
		memmove(s, s + 1, strlen(s));	/* drop the 'z' */
	*out = s;
	return 0;
}

static int
parse_v0(struct w3s_cid *cid, const char *text, struct w3s_err *err)
{
	char prefixed[CIDV0_TEXT_LEN + 2];
	uint8_t *bin = NULL;
	size_t len = 0;
	int rc;

	prefixed[0] = (char)W3S_BASE58BTC;
	memcpy(prefixed + 1, text, CIDV0_TEXT_LEN + 1);
	rc = w3s_multibase_decode(prefixed, &bin, &len, NULL, err);
	if (rc == W3S_EMALFORMED)
		return w3s_err_set(err, rc, "cid: '%s' is not base58btc", text);
	if (rc != 0)
		return wrap(err, rc, "cid");
	if (len != CIDV0_BIN_LEN || bin[0] != W3S_HASH_SHA2_256 || bin[1] != 32)
		rc = w3s_err_set(err, W3S_EMALFORMED,
		    "cid: '%s' is not a sha2-256 CIDv0", text);
	else
		rc = w3s_cid_from_bytes(cid, bin, len, err);
	free(bin);
	return rc;
}

int
w3s_cid_parse(struct w3s_cid *cid, const char *text, struct w3s_err *err)
{
	uint8_t *bin = NULL;
	size_t len = 0, n = strlen(text);
	int rc;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		uint8_t h[32];

		if ((rc = w3s_hex32_parse(h, text, err)) != 0)
			return rc;
		w3s_cid_from_digest(cid, 1, W3S_CODEC_RAW,
		    W3S_HASH_BLAKE2B_256, h, sizeof(h));
		return 0;
	}
	if (text[0] == 'Q' && text[1] == 'm') {
		if (n != CIDV0_TEXT_LEN)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "cid: '%.80s' looks like a CIDv0 but is %zu "
			    "characters, not %d", text, n, CIDV0_TEXT_LEN);
		return parse_v0(cid, text, err);
	}
	if ((rc = w3s_multibase_decode(text, &bin, &len, NULL, err)) != 0)
		return wrap(err, rc, "cid");
	if (len > 0 && bin[0] == W3S_HASH_SHA2_256)
		rc = w3s_err_set(err, W3S_EMALFORMED,
		    "cid: a CIDv0 has no multibase prefix");
	else
		rc = w3s_cid_from_bytes(cid, bin, len, err);
	free(bin);
	return rc;
}

int
w3s_cid_equal(const struct w3s_cid *a, const struct w3s_cid *b)
{
	return a->version == b->version && a->codec == b->codec &&
	    a->mh.code == b->mh.code && a->mh.len == b->mh.len &&
	    memcmp(a->mh.digest, b->mh.digest, a->mh.len) == 0;
}

static const struct {
	const char *name;
	uint64_t codec;
} codecs[] = {
	{ "raw", W3S_CODEC_RAW },
	{ "dag-pb", W3S_CODEC_DAG_PB },
	{ "dag-cbor", W3S_CODEC_DAG_CBOR },
};

int
w3s_codec_from_name(const char *name, uint64_t *codec, struct w3s_err *err)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (strcmp(codecs[i].name, name) == 0) {
			*codec = codecs[i].codec;
			return 0;
		}
	return w3s_err_set(err, W3S_EUSAGE, "unknown codec '%.80s'", name);
}

const char *
w3s_codec_name(uint64_t codec)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i].codec == codec)
			return codecs[i].name;
	return NULL;
}
