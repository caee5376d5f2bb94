/* CAR reader: a step machine fed with bytes (see car.h for what it checks
 * and the decisions it makes).
 *
 * CARv1 = varint(header length) header (DAG-CBOR) section*
 *         section = varint(length) CID block
 * CARv2 = pragma (11 bytes: a CARv1 header saying version 2)
 *         header (40 bytes: characteristics[16], data offset, data size,
 *                 index offset, u64 little-endian)
 *         padding, CARv1 data at data offset for data size, padding,
 *         index at index offset (0: none) to the end
 * index = varint(format) then, little-endian:
 *   IndexSorted (0x0400):          i32 count, count buckets
 *   MultihashIndexSorted (0x0401): i32 count, count times
 *                                  { u64 hash code, IndexSorted buckets }
 *   bucket = u32 width, u64 byte length, byte length / width entries
 *   entry  = digest (width - 8 bytes), u64 offset of its section from the
 *            start of the CARv1 data
 *
 * Every input byte goes through one state: a varint is collected in vbuf,
 * a fixed or length-prefixed structure in buf (grown as bytes arrive, not
 * to the length claimed), padding is skipped or checked for zeros. When a
 * structure is complete its handler checks it and picks the next state. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include <w3s/car.h>
#include <w3s/cbor.h>
#include <w3s/hash.h>
#include <w3s/varint.h>

#define READ_BUF (256u * 1024)
/* Identity links inside identity links: each level is shorter, so this is
 * only a guard. */
#define IDENTITY_DEPTH_MAX 16
/* A protobuf varint: at most 10 bytes for 64 bits. */
#define PB_VARINT_MAX 10
#define SALT_LEN 16

enum state {
	S_HDR_LEN,	/* varint: length of a CARv1 header */
	S_HDR,		/* fill: the header */
	S_V2_HDR,	/* fill: the 40-byte CARv2 header */
	S_DATA_PAD,	/* skip: to the data offset */
	S_SEC_LEN,	/* varint: length of a section, or the end of the data */
	S_SEC,		/* fill: CID and block */
	S_ZEROS,	/* zero padding after a zero-length section */
	S_INDEX_PAD,	/* skip: to the index offset */
	S_IDX_FORMAT,	/* varint: index format */
	S_IDX_NCODES,	/* fill 4: hash codes (MultihashIndexSorted) */
	S_IDX_CODE,	/* fill 8: a hash code */
	S_IDX_NBUCKETS,	/* fill 4: width buckets */
	S_IDX_BUCKET,	/* fill 12: width, byte length */
	S_IDX_ENTRY,	/* fill width: digest, offset */
	S_END,		/* nothing may follow */
	S_FAILED,
};

/* Flags of a set entry. */
enum {
	F_INDEXED = 1,	/* a section an index entry points to */
	F_ROOT = 2,	/* a wanted CID named in the header */
};

/* A section (block) or a wanted CID. Its key is its binary multihash,
 * kept in the set's arena as a length byte and the bytes. */
struct entry {
	uint64_t offset;	/* sections: from the start of the data */
	uint64_t codec;		/* wanted: the codec of the first link */
	uint64_t hash;		/* keyed hash of the key */
	size_t key;		/* arena offset */
	uint8_t version;	/* wanted: CID version of the first link */
	uint8_t flags;
};

/* Entries in arrival order, with an open-addressing table over their keys
 * (one slot per distinct key; 0 is empty, else the entry's index + 1). */
struct set {
	struct entry *ents;
	size_t n, cap;
	uint32_t *slots;
	size_t nslots;		/* 0 or a power of two */
	size_t distinct;
	uint8_t *arena;
	size_t alen, acap;
};

struct w3s_car {
	enum state st;
	struct w3s_err err;	/* the failure, replayed by later calls */
	int finished;
	uint64_t pos;		/* bytes consumed */

	uint8_t vbuf[W3S_VARINT_MAX];
	size_t vlen;
	uint64_t vstart;	/* offset of the varint's first byte */

	uint8_t *buf;
	size_t cap, want, have;
	uint64_t skip;		/* bytes left to skip */

	/* Layout. */
	unsigned version;
	int in_v2;		/* the pragma came: the header is the inner one */
	int in_data;		/* reading the CARv1 header and sections */
	int fully_indexed;
	uint64_t data_start, data_end, index_offset;
	uint64_t sec_start;	/* file offset of the current section */
	uint64_t zeros_start;	/* file offset of a zero-length section */

	struct w3s_cid *roots;
	size_t nroots;
	uint64_t blocks, padding;

	/* Index. */
	uint64_t idx_format, idx_code, idx_entries;
	int idx_have_code, idx_have_width, idx_have_prev;
	uint64_t idx_codes_left, idx_buckets_left, idx_entries_left;
	uint32_t idx_width;
	uint8_t idx_prev[W3S_MULTIHASH_DIGEST_MAX];

	struct set sections, wanted;
	uint8_t salt[SALT_LEN];

	struct w3s_cid *missing;
	size_t nmissing;
};

static const uint8_t pragma[W3S_CAR_PRAGMA_LEN] = {
	0x0a, 0xa1, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x02,
};

/* ---- helpers ----------------------------------------------------------- */

/* Text of a CID for a message (base32, or base58btc for v0). */
static const char *
cid_text(const struct w3s_cid *cid, char *out, size_t cap)
{
	char *s = NULL;

	if (w3s_cid_format(cid, W3S_BASE32, &s, NULL) != 0) {
		snprintf(out, cap, "(cid that cannot be printed)");
		return out;
	}
	snprintf(out, cap, "%s", s);
	free(s);
	return out;
}

static uint64_t
get_u64le(const uint8_t *p)
{
	return w3s_get_u64le(p);
}

static uint32_t
get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* ---- sets of multihashes ----------------------------------------------- */

static uint64_t
key_hash(const struct w3s_car *car, const uint8_t *key, size_t len)
{
	uint8_t in[SALT_LEN + W3S_MULTIHASH_BIN_MAX], out[W3S_HASH_LEN];

	memcpy(in, car->salt, SALT_LEN);
	memcpy(in + SALT_LEN, key, len);
	w3s_hash_blake2b(out, in, SALT_LEN + len);
	return get_u64le(out);
}

static int
key_equal(const struct set *s, const struct entry *e, const uint8_t *key,
    size_t len)
{
	return s->arena[e->key] == len &&
	    memcmp(s->arena + e->key + 1, key, len) == 0;
}

/* The entry holding key, or NULL. */
static struct entry *
set_find(const struct set *s, const uint8_t *key, size_t len, uint64_t hash)
{
	size_t mask, i;

	if (s->nslots == 0)
		return NULL;
	mask = s->nslots - 1;
	for (i = (size_t)hash & mask; s->slots[i] != 0; i = (i + 1) & mask) {
		struct entry *e = &s->ents[s->slots[i] - 1];

		if (e->hash == hash && key_equal(s, e, key, len))
			return e;
	}
	return NULL;
}

static void
slot_put(uint32_t *slots, size_t nslots, uint64_t hash, uint32_t v)
{
	size_t mask = nslots - 1, i;

	for (i = (size_t)hash & mask; slots[i] != 0; i = (i + 1) & mask)
		;
	slots[i] = v;
}

/* Appends an entry for key; it goes into the table when the key is new
 * there. Returns the entry, or NULL when memory ran out. */
static struct entry *
set_add(struct set *s, const uint8_t *key, size_t len, uint64_t hash,
    int distinct)
{
	struct entry *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct entry *p;

		if (cap > UINT32_MAX - 1 || cap > SIZE_MAX / sizeof(*p))
			return NULL;
		if ((p = realloc(s->ents, cap * sizeof(*p))) == NULL)
			return NULL;
		s->ents = p;
		s->cap = cap;
	}
	if (s->alen + 1 + len > s->acap) {
		size_t cap = s->acap ? 2 * s->acap : 16384;
		uint8_t *p;

		while (cap < s->alen + 1 + len)
			cap *= 2;
		if ((p = realloc(s->arena, cap)) == NULL)
			return NULL;
		s->arena = p;
		s->acap = cap;
	}
	if (distinct && 2 * (s->distinct + 1) > s->nslots) {
		size_t nslots = s->nslots ? 2 * s->nslots : 1024;
		uint32_t *slots;

		if (nslots > SIZE_MAX / sizeof(*slots) ||
		    (slots = calloc(nslots, sizeof(*slots))) == NULL)
			return NULL;
		for (size_t i = 0; i < s->nslots; i++)
			if (s->slots[i] != 0)
				slot_put(slots, nslots,
				    s->ents[s->slots[i] - 1].hash, s->slots[i]);
		free(s->slots);
		s->slots = slots;
		s->nslots = nslots;
	}
	e = &s->ents[s->n];
	memset(e, 0, sizeof(*e));
	e->hash = hash;
	e->key = s->alen;
	s->arena[s->alen] = (uint8_t)len;
	memcpy(s->arena + s->alen + 1, key, len);
	s->alen += 1 + len;
	s->n++;
	if (distinct) {
		slot_put(s->slots, s->nslots, hash, (uint32_t)s->n);
		s->distinct++;
	}
	return e;
}

static void
set_release(struct set *s)
{
	free(s->ents);
	free(s->slots);
	free(s->arena);
	memset(s, 0, sizeof(*s));
}

/* The multihash of an entry. */
static void
entry_multihash(const struct set *s, const struct entry *e,
    struct w3s_multihash *mh)
{
	if (w3s_multihash_decode(s->arena + e->key + 1, s->arena[e->key], mh,
	    NULL) < 0)
		memset(mh, 0, sizeof(*mh));	/* cannot happen: we wrote it */
}

/* The section starting at offset (from the start of the data), or NULL.
 * Sections arrive in increasing offset. */
static struct entry *
section_at(const struct set *s, uint64_t offset)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ents[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->ents[lo].offset == offset ? &s->ents[lo] :
	    NULL;
}

/* ---- failing ----------------------------------------------------------- */

static int __attribute__((format(printf, 3, 4)))
fail(struct w3s_car *car, int code, const char *fmt, ...)
{
	va_list ap;

	car->err.code = code;
	va_start(ap, fmt);
	vsnprintf(car->err.msg, sizeof(car->err.msg), fmt, ap);
	va_end(ap);
	car->st = S_FAILED;
	return code;
}

/* Keeps a failure a library call wrote into car->err, with context. */
static int __attribute__((format(printf, 3, 4)))
fail_wrap(struct w3s_car *car, int code, const char *fmt, ...)
{
	char prefix[W3S_ERR_MSG_MAX], old[W3S_ERR_MSG_MAX];
	va_list ap;

	memcpy(old, car->err.msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	return fail(car, code, "%s: %s", prefix, old);
}

static int
nomem(struct w3s_car *car)
{
	return fail(car, W3S_ESYS, "out of memory");
}

/* Copies the recorded failure to the caller. */
static int
report(const struct w3s_car *car, struct w3s_err *err)
{
	if (err != NULL)
		*err = car->err;
	return car->err.code;
}

/* ---- links ------------------------------------------------------------- */

static int links_of(struct w3s_car *car, const struct w3s_cid *cid,
    const uint8_t *data, size_t len, uint64_t at, unsigned depth);

/* A root or a link: remembered unless its block already came. Identity
 * CIDs carry their block, whose links are followed. at is the file offset
 * of the block that links, for messages. */
static int
want_cid(struct w3s_car *car, const struct w3s_cid *cid, int root,
    uint64_t at, unsigned depth)
{
	uint8_t key[W3S_MULTIHASH_BIN_MAX];
	struct entry *e;
	uint64_t hash;
	size_t len;

	if (cid->mh.code == W3S_HASH_IDENTITY) {
		if (depth >= IDENTITY_DEPTH_MAX)
			return fail(car, W3S_EMALFORMED, "identity cids nested "
			    "more than %d deep", IDENTITY_DEPTH_MAX);
		return links_of(car, cid, cid->mh.digest, cid->mh.len, at,
		    depth + 1);
	}
	len = w3s_multihash_encode(key, &cid->mh);
	hash = key_hash(car, key, len);
	if (set_find(&car->sections, key, len, hash) != NULL ||
	    set_find(&car->wanted, key, len, hash) != NULL)
		return 0;
	if ((e = set_add(&car->wanted, key, len, hash, 1)) == NULL)
		return nomem(car);
	e->codec = cid->codec;
	e->version = (uint8_t)cid->version;
	e->flags = root ? F_ROOT : 0;
	return 0;
}

/* One protobuf varint (up to 64 bits; protobuf does not require the
 * shortest form). */
static int
pb_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < PB_VARINT_MAX; i++) {
		uint8_t b;

		if (*off >= len)
			return -1;
		b = p[(*off)++];
		if (i == PB_VARINT_MAX - 1 && b > 1)
			return -1;
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* A length-delimited field: its length, checked against what is left. */
static int
pb_bytes(const uint8_t *p, size_t len, size_t *off, size_t *n)
{
	uint64_t v;

	if (pb_varint(p, len, off, &v) != 0 || v > len - *off)
		return -1;
	*n = (size_t)v;
	return 0;
}

/* A PBLink: Hash (1, bytes, required), Name (2, string), Tsize (3,
 * varint), each at most once, in that order. Fills *link. */
static int
pb_link(const uint8_t *p, size_t len, struct w3s_cid *link,
    const char **why, struct w3s_err *cerr)
{
	unsigned last = 0;
	int have_hash = 0;
	size_t off = 0, n;
	uint64_t key, v;

	while (off < len) {
		unsigned field, wire;

		if (pb_varint(p, len, &off, &key) != 0) {
			*why = "bad varint in a link";
			return -1;
		}
		field = key >> 3 > 15 ? 15 : (unsigned)(key >> 3);
		wire = (unsigned)(key & 7);
		if (field < 1 || field > 3 || wire != (field == 3 ? 0u : 2u)) {
			*why = "unknown field or wire type in a link";
			return -1;
		}
		if (field <= last) {
			*why = "link fields out of order or repeated";
			return -1;
		}
		last = field;
		if (field == 3) {
			if (pb_varint(p, len, &off, &v) != 0) {
				*why = "bad Tsize in a link";
				return -1;
			}
			continue;
		}
		if (pb_bytes(p, len, &off, &n) != 0) {
			*why = "link field runs past its link";
			return -1;
		}
		if (field == 1) {
			if (w3s_cid_from_bytes(link, p + off, n, cerr) != 0) {
				*why = NULL;	/* cerr says why */
				return -1;
			}
			have_hash = 1;
		}
		off += n;
	}
	if (!have_hash) {
		*why = "a link without Hash";
		return -1;
	}
	return 0;
}

/* Links of a dag-pb block: PBNode = Links (2, repeated PBLink) then Data
 * (1, bytes, at most once); nothing else. */
static int
pb_links(struct w3s_car *car, const struct w3s_cid *cid, const uint8_t *p,
    size_t len, uint64_t at, unsigned depth)
{
	struct w3s_err cerr = { 0 };
	const char *why = NULL;
	int seen_data = 0, rc;
	size_t off = 0, n;
	uint64_t key;
	char text[128];

	while (off < len) {
		struct w3s_cid link;

		if (pb_varint(p, len, &off, &key) != 0) {
			why = "bad varint";
			goto bad;
		}
		if (key != (1 << 3 | 2) && key != (2 << 3 | 2)) {
			why = "unknown field or wire type";
			goto bad;
		}
		if (pb_bytes(p, len, &off, &n) != 0) {
			why = "field runs past the block";
			goto bad;
		}
		if (key == (1 << 3 | 2)) {
			if (seen_data) {
				why = "two Data fields";
				goto bad;
			}
			seen_data = 1;
			off += n;
			continue;
		}
		if (seen_data) {
			why = "Links after Data";
			goto bad;
		}
		if (pb_link(p + off, n, &link, &why, &cerr) != 0)
			goto bad;
		off += n;
		if ((rc = want_cid(car, &link, 0, at, depth)) != 0)
			return rc;
	}
	return 0;
bad:
	return fail(car, W3S_EMALFORMED, "block %s at byte %llu: dag-pb: %s",
	    cid_text(cid, text, sizeof(text)), (unsigned long long)at,
	    why != NULL ? why : cerr.msg);
}

/* One open container of the CBOR scan: items left (or, when indefinite,
 * items seen), and for indefinite strings the major type of their
 * chunks. */
struct cbor_level {
	uint64_t n;
	uint8_t indef;
	uint8_t major;		/* 2, 3 (string chunks), 4, 5, 6 (a tag) */
};

/* The head of a CBOR item at p[*off]: major type, argument, and whether
 * the length is indefinite. -1 when the input ends inside it, -2 when it
 * is not well-formed. */
static int
cbor_head(const uint8_t *p, size_t len, size_t *off, unsigned *major,
    uint64_t *arg, int *indef)
{
	unsigned ai;
	size_t n;

	if (*off >= len)
		return -1;
	*major = p[*off] >> 5;
	ai = p[*off] & 31;
	(*off)++;
	*indef = 0;
	*arg = ai;
	if (ai < 24)
		return 0;
	if (ai == 31) {
		/* indefinite strings, arrays and maps; 0xff, the break, is
		 * for the caller */
		if (*major < 2 || *major == 6)
			return -2;
		*indef = 1;
		return 0;
	}
	if (ai > 27)
		return -2;
	n = (size_t)1 << (ai - 24);
	if (n > len - *off)
		return -1;
	*arg = 0;
	for (size_t i = 0; i < n; i++)
		*arg = *arg << 8 | p[(*off)++];
	return 0;
}

/* Links of a dag-cbor block: every tag 42, which must hold a byte string
 * of a 0x00 and one binary CID. The block's hash is what guarantees its
 * bytes, so this scan reads any well-formed CBOR (RFC 8949): the strict
 * DAG-CBOR decoder of cbor.h refuses blocks real CARs carry (go-car's own
 * sample is Filecoin chain data whose HAMT keys are text strings of raw,
 * not UTF-8, bytes). Nesting deeper than CBOR_SCAN_DEPTH is refused. */
#define CBOR_SCAN_DEPTH 512
static int
cbor_links(struct w3s_car *car, const struct w3s_cid *cid,
    const uint8_t *p, size_t len, uint64_t at, unsigned depth)
{
	struct cbor_level *lv;
	const char *why = NULL;
	struct w3s_err cerr = { 0 };
	size_t top = 0, off = 0;
	int link_next = 0, rc = 0;
	char text[128];

	if ((lv = malloc(CBOR_SCAN_DEPTH * sizeof(*lv))) == NULL)
		return nomem(car);
	lv[top++] = (struct cbor_level){ .n = 1, .major = 4 };
	while (top > 0) {
		struct cbor_level *cur = &lv[top - 1];
		unsigned major;
		uint64_t arg;
		int indef;

		if (!cur->indef && cur->n == 0) {
			top--;
			continue;
		}
		if (off < len && p[off] == 0xff) {
			off++;
			if (!cur->indef || link_next) {
				why = "a break outside an indefinite item";
				goto bad;
			}
			if (cur->major == 5 && cur->n % 2 != 0) {
				why = "a map with a key and no value";
				goto bad;
			}
			top--;
			continue;
		}
		if ((rc = cbor_head(p, len, &off, &major, &arg, &indef)) != 0) {
			why = rc == -1 ? "ends inside an item" :
			    "a head that is not well-formed";
			goto bad;
		}
		if (cur->indef)
			cur->n++;
		else
			cur->n--;
		if ((cur->major == 2 || cur->major == 3) && cur->indef &&
		    (major != cur->major || indef)) {
			why = "an indefinite string with a chunk of another "
			    "type";
			goto bad;
		}
		if (link_next) {
			struct w3s_cid link;

			link_next = 0;
			if (major != 2 || indef || arg < 1 ||
			    arg > len - off || p[off] != 0x00) {
				why = "tag 42 not on a byte string of 0x00 and a "
				    "cid";
				goto bad;
			}
			if (w3s_cid_from_bytes(&link, p + off + 1,
			    (size_t)arg - 1, &cerr) != 0)
				goto bad;
			off += (size_t)arg;
			if ((rc = want_cid(car, &link, 0, at, depth)) != 0)
				goto out;
			continue;
		}
		if ((major == 2 || major == 3) && !indef) {
			if (arg > len - off) {
				why = "a string runs past the block";
				goto bad;
			}
			off += (size_t)arg;
			continue;
		}
		/* Containers: indefinite strings (a level of chunks), arrays,
		 * maps and tags (a level of one item). */
		if (major < 2 || major == 7 || (!indef && major != 6 &&
		    arg == 0))
			continue;
		if (top == CBOR_SCAN_DEPTH) {
			why = "nested too deep";
			goto bad;
		}
		if (major == 5 && !indef && arg > UINT64_MAX / 2) {
			why = "a map too large";
			goto bad;
		}
		lv[top++] = (struct cbor_level){
			.n = indef ? 0 : major == 5 ? 2 * arg :
			    major == 6 ? 1 : arg,
			.indef = (uint8_t)indef,
			.major = (uint8_t)major,
		};
		if (major == 6 && arg == 42)
			link_next = 1;
	}
	if (off != len)
		why = "bytes after the item";
bad:
	if (why != NULL || cerr.msg[0] != '\0')
		rc = fail(car, W3S_EMALFORMED, "block %s at byte %llu: dag-cbor: "
		    "%s", cid_text(cid, text, sizeof(text)),
		    (unsigned long long)at, why != NULL ? why : cerr.msg);
out:
	free(lv);
	return rc;
}

static int
links_of(struct w3s_car *car, const struct w3s_cid *cid, const uint8_t *data,
    size_t len, uint64_t at, unsigned depth)
{
	switch (cid->codec) {
	case W3S_CODEC_DAG_PB:
		return pb_links(car, cid, data, len, at, depth);
	case W3S_CODEC_DAG_CBOR:
		return cbor_links(car, cid, data, len, at, depth);
	default:
		return 0;
	}
}

/* ---- structures -------------------------------------------------------- */

static void
begin_varint(struct w3s_car *car, enum state st)
{
	car->st = st;
	car->vlen = 0;
}

static void
begin_fill(struct w3s_car *car, enum state st, size_t want)
{
	car->st = st;
	car->want = want;
	car->have = 0;
}

static void
begin_data(struct w3s_car *car)
{
	car->in_data = 1;
	car->data_start = car->pos;
	begin_varint(car, S_HDR_LEN);
}

/* The CARv1 data ended (CARv2: at data offset + data size). */
static void
after_data(struct w3s_car *car)
{
	car->in_data = 0;
	if (car->index_offset == 0) {
		car->st = S_END;
		return;
	}
	car->skip = car->index_offset - car->pos;
	car->st = S_INDEX_PAD;
	if (car->skip == 0)
		begin_varint(car, S_IDX_FORMAT);
}

/* The CARv1 header: {roots: [CID...], version: 1}, or the pragma. */
static int
on_header(struct w3s_car *car)
{
	static const char *const keys[] = { "roots", "version", NULL };
	const struct w3s_cbor *roots;
	struct w3s_cbor *tree = NULL;
	const char *what = car->in_v2 ? "inner header" : "header";
	uint64_t version;
	size_t n;
	int rc;

	if (!car->in_v2 && car->want == W3S_CAR_PRAGMA_LEN - 1 &&
	    memcmp(car->buf, pragma + 1, car->want) == 0) {
		car->in_v2 = 1;
		car->in_data = 0;
		car->version = 2;
		begin_fill(car, S_V2_HDR, W3S_CAR_V2_HEADER_LEN);
		return 0;
	}
	if ((rc = w3s_cbor_decode(car->buf, car->want, NULL, &tree,
	    &car->err)) != 0)
		return fail_wrap(car, rc == W3S_ESYS ? rc : W3S_EMALFORMED,
		    "%s", what);
	rc = W3S_EMALFORMED;
	if (w3s_cbor_type(tree) != W3S_CBOR_MAP) {
		fail(car, rc, "%s: not a map", what);
		goto out;
	}
	if (w3s_cbor_get_uint(tree, "version", &version, &car->err) != 0) {
		fail_wrap(car, rc, "%s", what);
		goto out;
	}
	if (version == 2 && !car->in_v2) {
		fail(car, rc, "header: version 2 but not the 11-byte CARv2 "
		    "pragma");
		goto out;
	}
	if (version != 1) {
		fail(car, rc, "%s: CAR version %llu is not supported", what,
		    (unsigned long long)version);
		goto out;
	}
	if (w3s_cbor_map_check_keys(tree, keys, &car->err) != 0 ||
	    w3s_cbor_get_array(tree, "roots", &roots, &n, &car->err) != 0) {
		fail_wrap(car, rc, "%s", what);
		goto out;
	}
	if (n > 0 && (car->roots = calloc(n, sizeof(*car->roots))) == NULL) {
		rc = nomem(car);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (w3s_cbor_as_link(w3s_cbor_array_at(roots, i),
		    &car->roots[i], &car->err) != 0) {
			fail_wrap(car, rc, "%s: root %zu", what, i);
			goto out;
		}
		car->nroots = i + 1;
		if ((rc = want_cid(car, &car->roots[i], 1, car->data_start,
		    0)) != 0)
			goto out;
		rc = W3S_EMALFORMED;
	}
	if (!car->in_v2)
		car->version = 1;
	begin_varint(car, S_SEC_LEN);
	rc = 0;
out:
	w3s_cbor_free(tree);
	return rc;
}

static int
on_v2_header(struct w3s_car *car)
{
	const uint8_t *h = car->buf;
	uint64_t data_offset = get_u64le(h + 16), data_size = get_u64le(h + 24);
	uint64_t index_offset = get_u64le(h + 32);
	const uint64_t min = W3S_CAR_PRAGMA_LEN + W3S_CAR_V2_HEADER_LEN;

	/* go-car's characteristics: Hi then Lo, little-endian; fully
	 * indexed is bit 7 of Hi. */
	car->fully_indexed = (h[0] & 0x80) != 0;
	if (data_offset > INT64_MAX || data_size > INT64_MAX ||
	    index_offset > INT64_MAX)
		return fail(car, W3S_EMALFORMED, "CARv2 header: offsets "
		    "beyond 2^63 (data offset %llu, data size %llu, index "
		    "offset %llu)", (unsigned long long)data_offset,
		    (unsigned long long)data_size,
		    (unsigned long long)index_offset);
	if (data_offset < min)
		return fail(car, W3S_EMALFORMED, "CARv2 header: data offset "
		    "%llu is inside the header", (unsigned long long)data_offset);
	if (index_offset != 0 && index_offset < data_offset + data_size)
		return fail(car, W3S_EMALFORMED, "CARv2 header: index offset "
		    "%llu is before the end of the data (%llu)",
		    (unsigned long long)index_offset,
		    (unsigned long long)(data_offset + data_size));
	car->data_end = data_offset + data_size;
	car->index_offset = index_offset;
	car->skip = data_offset - car->pos;
	car->st = S_DATA_PAD;
	if (car->skip == 0)
		begin_data(car);
	return 0;
}

static int
on_header_len(struct w3s_car *car, uint64_t len)
{
	if (len == 0)
		return fail(car, W3S_EMALFORMED, "header length is zero");
	if (len > W3S_CAR_HEADER_MAX)
		return fail(car, W3S_EMALFORMED, "header length %llu is more "
		    "than %u", (unsigned long long)len, W3S_CAR_HEADER_MAX);
	if (car->in_v2 && len > car->data_end - car->pos)
		return fail(car, W3S_EMALFORMED, "inner header of %llu bytes "
		    "runs past the end of the data at byte %llu",
		    (unsigned long long)len, (unsigned long long)car->data_end);
	begin_fill(car, S_HDR, (size_t)len);
	return 0;
}

static int
on_section_len(struct w3s_car *car, uint64_t len)
{
	if (len == 0) {
		car->zeros_start = car->sec_start;
		car->padding = car->pos - car->sec_start;
		car->st = S_ZEROS;
		return 0;
	}
	if (len > W3S_CAR_SECTION_MAX)
		return fail(car, W3S_EMALFORMED, "section at byte %llu: length "
		    "%llu is more than %u", (unsigned long long)car->sec_start,
		    (unsigned long long)len, W3S_CAR_SECTION_MAX);
	if (car->in_v2 && len > car->data_end - car->pos)
		return fail(car, W3S_EMALFORMED, "section at byte %llu: %llu "
		    "bytes run past the end of the data at byte %llu",
		    (unsigned long long)car->sec_start, (unsigned long long)len,
		    (unsigned long long)car->data_end);
	begin_fill(car, S_SEC, (size_t)len);
	return 0;
}

/* A complete section: its CID, its hash, its links. */
static int
on_section(struct w3s_car *car)
{
	uint8_t digest[W3S_MULTIHASH_DIGEST_MAX], key[W3S_MULTIHASH_BIN_MAX];
	const uint8_t *data;
	struct w3s_cid cid;
	struct entry *e;
	size_t dlen, klen;
	uint64_t hash, at = car->sec_start;
	char text[128], got[128];
	int rc, match;

	rc = w3s_cid_read(&cid, car->buf, car->want, &car->err);
	if (rc == W3S_EINCOMPLETE)
		return fail(car, W3S_EMALFORMED, "section at byte %llu: its "
		    "cid runs past the section", (unsigned long long)at);
	if (rc < 0)
		return fail_wrap(car, W3S_EMALFORMED, "section at byte %llu",
		    (unsigned long long)at);
	data = car->buf + rc;
	dlen = car->want - (size_t)rc;

	if (cid.mh.code == W3S_HASH_IDENTITY) {
		match = dlen == cid.mh.len &&
		    (dlen == 0 || memcmp(data, cid.mh.digest, dlen) == 0);
		if (!match && dlen <= W3S_MULTIHASH_DIGEST_MAX)
			memcpy(digest, data, dlen);
	} else {
		if (cid.mh.code > INT32_MAX ||
		    w3s_hash_digest_len((enum w3s_hash_alg)cid.mh.code) <= 0)
			return fail(car, W3S_EMALFORMED, "block %s at byte "
			    "%llu: hash function 0x%llx is not supported",
			    cid_text(&cid, text, sizeof(text)),
			    (unsigned long long)at,
			    (unsigned long long)cid.mh.code);
		rc = w3s_hash_digest((enum w3s_hash_alg)cid.mh.code, data, dlen,
		    digest, sizeof(digest), &car->err);
		if (rc < 0)
			return fail_wrap(car, rc, "block at byte %llu",
			    (unsigned long long)at);
		match = (size_t)rc == cid.mh.len &&
		    memcmp(digest, cid.mh.digest, cid.mh.len) == 0;
	}
	if (!match) {
		struct w3s_cid actual = cid;

		if (cid.mh.code == W3S_HASH_IDENTITY &&
		    dlen > W3S_MULTIHASH_DIGEST_MAX)
			return fail(car, W3S_EVERIFY, "block %s at byte %llu: "
			    "hash mismatch: an identity cid of %zu bytes holds "
			    "a block of %zu", cid_text(&cid, text, sizeof(text)),
			    (unsigned long long)at, cid.mh.len, dlen);
		actual.mh.len = cid.mh.code == W3S_HASH_IDENTITY ? dlen :
		    cid.mh.len;
		memcpy(actual.mh.digest, digest, actual.mh.len);
		return fail(car, W3S_EVERIFY, "block %s at byte %llu: hash "
		    "mismatch: its data hashes to %s",
		    cid_text(&cid, text, sizeof(text)), (unsigned long long)at,
		    cid_text(&actual, got, sizeof(got)));
	}

	klen = w3s_multihash_encode(key, &cid.mh);
	hash = key_hash(car, key, klen);
	if ((e = set_add(&car->sections, key, klen, hash,
	    set_find(&car->sections, key, klen, hash) == NULL)) == NULL)
		return nomem(car);
	e->offset = at - car->data_start;
	e->codec = cid.codec;
	e->version = (uint8_t)cid.version;
	car->blocks++;
	if ((rc = links_of(car, &cid, data, dlen, at, 0)) != 0)
		return rc;
	begin_varint(car, S_SEC_LEN);
	return 0;
}

/* ---- index ------------------------------------------------------------- */

/* The state after an entry, a bucket or a code. */
static void
idx_next(struct w3s_car *car)
{
	if (car->idx_entries_left > 0) {
		car->idx_entries_left--;
		begin_fill(car, S_IDX_ENTRY, car->idx_width);
	} else if (car->idx_buckets_left > 0) {
		car->idx_buckets_left--;
		begin_fill(car, S_IDX_BUCKET, 12);
	} else if (car->idx_codes_left > 0) {
		car->idx_codes_left--;
		begin_fill(car, S_IDX_CODE, 8);
	} else {
		car->st = S_END;
	}
}

static int
on_index_format(struct w3s_car *car, uint64_t format)
{
	car->idx_format = format;
	if (format == W3S_CAR_INDEX_MH_SORTED) {
		begin_fill(car, S_IDX_NCODES, 4);
		return 0;
	}
	if (format == W3S_CAR_INDEX_SORTED) {
		begin_fill(car, S_IDX_NBUCKETS, 4);
		return 0;
	}
	return fail(car, W3S_EMALFORMED, "index format 0x%llx is not "
	    "supported (only IndexSorted 0x0400 and MultihashIndexSorted "
	    "0x0401)", (unsigned long long)format);
}

/* A count of codes or buckets: an i32, not negative. */
static int
index_count(struct w3s_car *car, const char *what, uint64_t *out)
{
	uint32_t v = get_u32le(car->buf);

	if (v > INT32_MAX)
		return fail(car, W3S_EMALFORMED, "index: negative count of %s",
		    what);
	*out = v;
	return 0;
}

static int
on_index_code(struct w3s_car *car)
{
	uint64_t code = get_u64le(car->buf);

	if (car->idx_have_code && code <= car->idx_code)
		return fail(car, W3S_EMALFORMED, "index: hash codes not in "
		    "increasing order (0x%llx after 0x%llx)",
		    (unsigned long long)code, (unsigned long long)car->idx_code);
	car->idx_code = code;
	car->idx_have_code = 1;
	car->idx_have_width = 0;
	begin_fill(car, S_IDX_NBUCKETS, 4);
	return 0;
}

static int
on_index_bucket(struct w3s_car *car)
{
	uint32_t width = get_u32le(car->buf);
	uint64_t bytes = get_u64le(car->buf + 4);

	if (width <= 8 || width - 8 > W3S_MULTIHASH_DIGEST_MAX)
		return fail(car, W3S_EMALFORMED, "index: entry width %u is not "
		    "8 bytes of offset and 1 to %d of digest", width,
		    W3S_MULTIHASH_DIGEST_MAX);
	if (car->idx_have_width && width <= car->idx_width)
		return fail(car, W3S_EMALFORMED, "index: widths not in "
		    "increasing order (%u after %u)", width, car->idx_width);
	if (bytes % width != 0)
		return fail(car, W3S_EMALFORMED, "index: bucket of %llu bytes "
		    "is not a whole number of %u-byte entries",
		    (unsigned long long)bytes, width);
	car->idx_width = width;
	car->idx_have_width = 1;
	car->idx_have_prev = 0;
	car->idx_entries_left = bytes / width;
	idx_next(car);
	return 0;
}

/* The CID of a section, for messages. */
static const char *
section_text(const struct set *s, const struct entry *e, char *out,
    size_t cap)
{
	struct w3s_multihash mh;
	struct w3s_cid cid;

	entry_multihash(s, e, &mh);
	w3s_cid_from_digest(&cid, e->version, e->codec, mh.code, mh.digest,
	    mh.len);
	return cid_text(&cid, out, cap);
}

/* Hex of a digest for messages, shortened past 32 bytes. */
static const char *
digest_text(const uint8_t *d, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = len > 32 ? 32 : len, i;

	if (cap < 2 * n + 4)
		n = (cap - 4) / 2;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * i] = '\0';
	if (n < len)
		strcat(out, "...");
	return out;
}

static int
on_index_entry(struct w3s_car *car)
{
	size_t dlen = car->idx_width - 8;
	const uint8_t *digest = car->buf;
	uint64_t offset = get_u64le(car->buf + dlen);
	struct w3s_multihash mh;
	struct entry *e;
	char text[128], there[128];

	if (car->idx_have_prev && memcmp(digest, car->idx_prev, dlen) < 0)
		return fail(car, W3S_EMALFORMED, "index: entries of width %u "
		    "not sorted by digest", car->idx_width);
	memcpy(car->idx_prev, digest, dlen);
	car->idx_have_prev = 1;
	car->idx_entries++;

	if ((e = section_at(&car->sections, offset)) == NULL)
		return fail(car, W3S_EVERIFY, "index: the entry for digest %s "
		    "points to offset %llu of the data, where no section "
		    "starts", digest_text(digest, dlen, text, sizeof(text)),
		    (unsigned long long)offset);
	entry_multihash(&car->sections, e, &mh);
	if (mh.len != dlen || memcmp(mh.digest, digest, dlen) != 0 ||
	    (car->idx_format == W3S_CAR_INDEX_MH_SORTED &&
	    mh.code != car->idx_code))
		return fail(car, W3S_EVERIFY, "index: the entry for digest %s "
		    "(hash 0x%llx) points to offset %llu of the data, which "
		    "holds %s", digest_text(digest, dlen, text, sizeof(text)),
		    (unsigned long long)(car->idx_format ==
		    W3S_CAR_INDEX_MH_SORTED ? car->idx_code : mh.code),
		    (unsigned long long)offset,
		    section_text(&car->sections, e, there, sizeof(there)));
	if (e->flags & F_INDEXED)
		return fail(car, W3S_EVERIFY, "index: two entries for %s at "
		    "offset %llu of the data",
		    section_text(&car->sections, e, there, sizeof(there)),
		    (unsigned long long)offset);
	e->flags |= F_INDEXED;
	idx_next(car);
	return 0;
}

/* ---- the step machine -------------------------------------------------- */

static int
on_varint(struct w3s_car *car, uint64_t v)
{
	switch (car->st) {
	case S_HDR_LEN:
		return on_header_len(car, v);
	case S_SEC_LEN:
		return on_section_len(car, v);
	case S_IDX_FORMAT:
		return on_index_format(car, v);
	default:
		return fail(car, W3S_ESYS, "car: varint in state %d",
		    (int)car->st);
	}
}

static int
on_fill(struct w3s_car *car)
{
	switch (car->st) {
	case S_HDR:
		return on_header(car);
	case S_V2_HDR:
		return on_v2_header(car);
	case S_SEC:
		return on_section(car);
	case S_IDX_NCODES:
		if (index_count(car, "hash codes", &car->idx_codes_left) != 0)
			return car->err.code;
		car->idx_buckets_left = car->idx_entries_left = 0;
		idx_next(car);
		return 0;
	case S_IDX_CODE:
		return on_index_code(car);
	case S_IDX_NBUCKETS:
		if (index_count(car, "buckets", &car->idx_buckets_left) != 0)
			return car->err.code;
		car->idx_entries_left = 0;
		idx_next(car);
		return 0;
	case S_IDX_BUCKET:
		return on_index_bucket(car);
	case S_IDX_ENTRY:
		return on_index_entry(car);
	default:
		return fail(car, W3S_ESYS, "car: fill in state %d",
		    (int)car->st);
	}
}

static int
is_varint_state(enum state st)
{
	return st == S_HDR_LEN || st == S_SEC_LEN || st == S_IDX_FORMAT;
}

/* At the end of a CARv2's data: the data may end only between sections
 * or in the zero padding. */
static int
settle(struct w3s_car *car)
{
	if (!car->in_data || !car->in_v2 || car->pos < car->data_end)
		return 0;
	if ((car->st == S_SEC_LEN && car->vlen == 0) || car->st == S_ZEROS) {
		after_data(car);
		return 0;
	}
	return fail(car, W3S_EMALFORMED, "the data (%llu bytes at byte %llu) "
	    "ends inside a section or the inner header",
	    (unsigned long long)(car->data_end - car->data_start),
	    (unsigned long long)car->data_start);
}

/* Consumes at least one of the len bytes at p (len > 0). Returns the
 * number consumed, or a W3S_E* code. */
static long
step(struct w3s_car *car, const uint8_t *p, size_t len)
{
	size_t n = len;
	int rc;

	if ((rc = settle(car)) != 0)
		return rc;
	if (car->in_data && car->in_v2 && car->data_end - car->pos < n)
		n = (size_t)(car->data_end - car->pos);
	if (n == 0)	/* settle moved past the data */
		return 0;
	if (n > LONG_MAX)
		n = LONG_MAX;

	if (is_varint_state(car->st)) {
		uint64_t v;

		if (car->vlen == 0) {
			car->vstart = car->pos;
			if (car->st == S_SEC_LEN)
				car->sec_start = car->pos;
		}
		car->vbuf[car->vlen++] = p[0];
		car->pos++;
		if ((p[0] & 0x80) != 0 && car->vlen < W3S_VARINT_MAX)
			return 1;
		rc = w3s_varint_decode(car->vbuf, car->vlen, &v, &car->err);
		if (rc < 0)
			return fail_wrap(car, W3S_EMALFORMED, "%s at byte %llu",
			    car->st == S_HDR_LEN ? "header length" :
			    car->st == S_SEC_LEN ? "section length" :
			    "index format", (unsigned long long)car->vstart);
		rc = on_varint(car, v);
		return rc < 0 ? rc : 1;
	}

	switch (car->st) {
	case S_DATA_PAD:
	case S_INDEX_PAD:
		if (n > car->skip)
			n = (size_t)car->skip;
		car->skip -= n;
		car->pos += n;
		if (car->skip == 0) {
			if (car->st == S_DATA_PAD)
				begin_data(car);
			else
				begin_varint(car, S_IDX_FORMAT);
		}
		return (long)n;
	case S_ZEROS:
		for (size_t i = 0; i < n; i++)
			if (p[i] != 0)
				return fail(car, W3S_EMALFORMED, "byte %llu "
				    "is not zero, after a zero-length section "
				    "at byte %llu (only zero padding may "
				    "follow one)",
				    (unsigned long long)(car->pos + i),
				    (unsigned long long)car->zeros_start);
		car->pos += n;
		car->padding += n;
		return (long)n;
	case S_END:
		return fail(car, W3S_EMALFORMED, "unexpected bytes at byte "
		    "%llu, after the %s", (unsigned long long)car->pos,
		    car->index_offset != 0 ? "index" : "data");
	case S_FAILED:
		return car->err.code;
	default:
		break;
	}

	/* Filling buf: grow it with the bytes present, up to want. */
	if (n > car->want - car->have)
		n = car->want - car->have;
	if (car->have + n > car->cap) {
		size_t cap = car->cap ? car->cap : 4096;
		uint8_t *b;

		while (cap < car->have + n)
			cap *= 2;
		if (cap > car->want)
			cap = car->want;
		if ((b = realloc(car->buf, cap)) == NULL)
			return nomem(car);
		car->buf = b;
		car->cap = cap;
	}
	memcpy(car->buf + car->have, p, n);
	car->have += n;
	car->pos += n;
	if (car->have == car->want && (rc = on_fill(car)) != 0)
		return rc;
	return (long)n;
}

/* ---- public ------------------------------------------------------------ */

struct w3s_car *
w3s_car_new(struct w3s_err *err)
{
	struct w3s_car *car = calloc(1, sizeof(*car));

	if (car == NULL) {
		w3s_err_set(err, W3S_ESYS, "out of memory");
		return NULL;
	}
	car->data_end = UINT64_MAX;
	begin_data(car);
	/* A secret salt for the hash tables, so links chosen by the file
	 * cannot pile up in one slot. Without randomness the tables still
	 * work, only without that defence. */
	if (getrandom(car->salt, sizeof(car->salt), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(car->salt))
		memset(car->salt, 0x5a, sizeof(car->salt));
	return car;
}

void
w3s_car_free(struct w3s_car *car)
{
	if (car == NULL)
		return;
	free(car->buf);
	free(car->roots);
	free(car->missing);
	set_release(&car->sections);
	set_release(&car->wanted);
	free(car);
}

int
w3s_car_put(struct w3s_car *car, const void *data, size_t len,
    struct w3s_err *err)
{
	const uint8_t *p = data;

	if (car->st == S_FAILED)
		return report(car, err);
	if (car->finished)
		return w3s_err_set(err, W3S_EUSAGE, "car: input after the end");
	while (len > 0) {
		long n = step(car, p, len);

		if (n < 0)
			return report(car, err);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Why the input may not end in the current state, or NULL if it may. */
static const char *
early_end(const struct w3s_car *car)
{
	switch (car->st) {
	case S_HDR_LEN:
		if (car->pos == 0)
			return "the file is empty";
		return car->vlen == 0 ? "the file ends before the inner header" :
		    "the file ends inside the header length";
	case S_HDR:
		return "the file ends inside the header";
	case S_V2_HDR:
		return "the file ends inside the CARv2 header";
	case S_DATA_PAD:
		return "the file ends before the data offset";
	case S_SEC_LEN:
		if (car->vlen != 0)
			return "the file ends inside a section length";
		return car->in_v2 ? "the file ends before the end of the data" :
		    NULL;
	case S_SEC:
		return "the file ends inside a section";
	case S_ZEROS:
		return car->in_v2 ? "the file ends before the end of the data" :
		    NULL;
	case S_INDEX_PAD:
		return "the file ends before the index offset";
	case S_IDX_FORMAT:
	case S_IDX_NCODES:
	case S_IDX_CODE:
	case S_IDX_NBUCKETS:
	case S_IDX_BUCKET:
	case S_IDX_ENTRY:
		return "the file ends inside the index";
	default:
		return NULL;
	}
}

/* Every block in the index (identity blocks only when fully indexed). */
static int
check_indexed(struct w3s_car *car)
{
	const struct entry *first = NULL;
	uint64_t count = 0;

	if (car->index_offset == 0)
		return 0;
	for (size_t i = 0; i < car->sections.n; i++) {
		const struct entry *e = &car->sections.ents[i];
		struct w3s_multihash mh;

		if (e->flags & F_INDEXED)
			continue;
		entry_multihash(&car->sections, e, &mh);
		if (mh.code == W3S_HASH_IDENTITY && !car->fully_indexed)
			continue;
		if (first == NULL)
			first = e;
		count++;
	}
	if (first != NULL) {
		char text[128];

		section_text(&car->sections, first, text, sizeof(text));
		if (count == 1)
			return fail(car, W3S_EVERIFY, "index: block %s at offset "
			    "%llu of the data is not in it", text,
			    (unsigned long long)first->offset);
		return fail(car, W3S_EVERIFY, "index: %llu blocks are not in "
		    "it, the first %s at offset %llu of the data",
		    (unsigned long long)count, text,
		    (unsigned long long)first->offset);
	}
	return 0;
}

/* Roots and links without a block. */
static int
check_missing(struct w3s_car *car)
{
	size_t roots = 0;
	char text[128];

	for (size_t i = 0; i < car->wanted.n; i++) {
		const struct entry *e = &car->wanted.ents[i];
		const uint8_t *key = car->wanted.arena + e->key + 1;
		size_t len = car->wanted.arena[e->key];
		struct w3s_multihash mh;

		if (set_find(&car->sections, key, len, e->hash) != NULL)
			continue;
		if (car->missing == NULL &&
		    (car->missing = calloc(car->wanted.n - i,
		    sizeof(*car->missing))) == NULL)
			return nomem(car);
		entry_multihash(&car->wanted, e, &mh);
		w3s_cid_from_digest(&car->missing[car->nmissing], e->version,
		    e->codec, mh.code, mh.digest, mh.len);
		car->nmissing++;
		if (e->flags & F_ROOT)
			roots++;
	}
	if (car->nmissing == 0)
		return 0;
	cid_text(&car->missing[0], text, sizeof(text));
	if (car->nmissing == 1)
		return fail(car, W3S_EINCOMPLETE, "%s %s is missing",
		    roots > 0 ? "root" : "linked block", text);
	if (roots > 0)
		return fail(car, W3S_EINCOMPLETE, "%zu blocks are missing (%zu "
		    "of them root%s), the first %s", car->nmissing, roots,
		    roots == 1 ? "" : "s", text);
	return fail(car, W3S_EINCOMPLETE, "%zu linked blocks are missing, "
	    "the first %s", car->nmissing, text);
}

int
w3s_car_finish(struct w3s_car *car, struct w3s_err *err)
{
	const char *why;

	if (car->finished || car->st == S_FAILED) {
		if (car->st == S_FAILED)
			return report(car, err);
		return 0;
	}
	car->finished = 1;
	if (settle(car) != 0)
		return report(car, err);
	if ((why = early_end(car)) != NULL) {
		if (car->pos == 0)
			fail(car, W3S_EMALFORMED, "%s", why);
		else
			fail(car, W3S_EMALFORMED, "%s (truncated at byte %llu)",
			    why, (unsigned long long)car->pos);
		return report(car, err);
	}
	if (check_indexed(car) != 0 || check_missing(car) != 0)
		return report(car, err);
	return 0;
}

int
w3s_car_read_fd(struct w3s_car *car, int fd, struct w3s_err *err)
{
	uint8_t *buf = malloc(READ_BUF);
	ssize_t n;
	int rc = 0;

	if (buf == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	for (;;) {
		n = read(fd, buf, READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = w3s_err_sys(err, errno, "read failed");
			break;
		}
		if (n == 0) {
			rc = w3s_car_finish(car, err);
			break;
		}
		if ((rc = w3s_car_put(car, buf, (size_t)n, err)) != 0)
			break;
	}
	free(buf);
	return rc;
}

void
w3s_car_summary(const struct w3s_car *car, struct w3s_car_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->version = car->version;
	out->root_count = car->nroots;
	out->roots = car->roots;
	out->blocks = car->blocks;
	out->padding = car->padding;
	out->index_codec = car->index_offset != 0 ? car->idx_format : 0;
	out->index_entries = car->idx_entries;
	out->missing_count = car->nmissing;
	out->missing = car->missing;
}

const char *
w3s_car_index_name(uint64_t codec)
{
	switch (codec) {
	case W3S_CAR_INDEX_SORTED:
		return "IndexSorted";
	case W3S_CAR_INDEX_MH_SORTED:
		return "MultihashIndexSorted";
	default:
		return NULL;
	}
}
