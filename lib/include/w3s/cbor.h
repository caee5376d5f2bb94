/* Strict DAG-CBOR: a small tree of items, a deterministic encoder and a
 * decoder for untrusted input that accepts only the canonical form.
 *
 * Building: every _new_* returns a new item or NULL when out of memory.
 * _array_push and _map_put take ownership of the item they are given, also
 * when they fail (it is freed then); they accept a NULL item (a failed
 * constructor), and a container that missed an item remembers it, so a
 * whole tree can be built without checks and w3s_cbor_encode reports the
 * failure once.
 *
 * Reading: the typed getters look a key up in a map and check its type;
 * each returns 0, or W3S_EMALFORMED with a message naming the key
 * ("key \"size\": expected uint, got text", "missing key \"size\""). The
 * w3s_cbor_as_* forms check a single item (an array element); wrap their
 * message with the element's position. Pointers they return borrow from the
 * tree and stay valid until it is freed. */
#ifndef W3S_CBOR_H
#define W3S_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <w3s/buf.h>
#include <w3s/cid.h>
#include <w3s/err.h>

/* The IPLD data model kinds DAG-CBOR can carry. */
enum w3s_cbor_type {
	W3S_CBOR_NULL,
	W3S_CBOR_BOOL,
	W3S_CBOR_UINT,		/* 0 .. 2^64-1 */
	W3S_CBOR_NEGINT,	/* -1 .. -2^64, held as n for the value -1-n */
	W3S_CBOR_FLOAT,		/* finite float64 */
	W3S_CBOR_BYTES,
	W3S_CBOR_TEXT,		/* UTF-8 */
	W3S_CBOR_ARRAY,
	W3S_CBOR_MAP,		/* text keys only */
	W3S_CBOR_LINK,		/* tag 42: a CID */
};

/* Nesting of arrays and maps the decoder accepts by default; the encoder
 * refuses deeper trees, so whatever it writes decodes with the defaults. */
#define W3S_CBOR_DEPTH_MAX 64
/* Items (every value, key and link counted once) in one decoded document. */
#define W3S_CBOR_ITEMS_MAX (1u << 20)

struct w3s_cbor_limits {
	size_t max_depth;	/* 0: W3S_CBOR_DEPTH_MAX */
	size_t max_items;	/* 0: W3S_CBOR_ITEMS_MAX */
};

/* An item of the tree (opaque). */
struct w3s_cbor;

struct w3s_cbor *w3s_cbor_new_null(void);
struct w3s_cbor *w3s_cbor_new_bool(bool v);
struct w3s_cbor *w3s_cbor_new_uint(uint64_t v);
/* A uint when v >= 0, a negint otherwise. */
struct w3s_cbor *w3s_cbor_new_int(int64_t v);
/* The integer -1-n (down to -2^64). */
struct w3s_cbor *w3s_cbor_new_negint(uint64_t n);
/* NaN and infinities can be built but not encoded (W3S_EUSAGE). */
struct w3s_cbor *w3s_cbor_new_float(double v);
/* Copies the bytes. */
struct w3s_cbor *w3s_cbor_new_bytes(const void *data, size_t len);
/* Copies a NUL-terminated string / len bytes of text. Text that is not
 * valid UTF-8 is refused when encoding (W3S_EUSAGE). */
struct w3s_cbor *w3s_cbor_new_text(const char *s);
struct w3s_cbor *w3s_cbor_new_textn(const char *s, size_t len);
struct w3s_cbor *w3s_cbor_new_link(const struct w3s_cid *cid);
struct w3s_cbor *w3s_cbor_new_array(void);
struct w3s_cbor *w3s_cbor_new_map(void);

/* Appends item (owned from now on). 0, W3S_ESYS when item is NULL or memory
 * ran out, W3S_EUSAGE when arr is not an array. */
int w3s_cbor_array_push(struct w3s_cbor *arr, struct w3s_cbor *item);
/* Adds key (copied) -> item (owned from now on). Order does not matter;
 * the encoder sorts. A duplicate key is refused by the encoder. Returns as
 * w3s_cbor_array_push. */
int w3s_cbor_map_put(struct w3s_cbor *map, const char *key,
    struct w3s_cbor *item);

/* Frees item and everything under it; NULL is a no-op. */
void w3s_cbor_free(struct w3s_cbor *item);

/* Deterministic DAG-CBOR of item appended to out: map keys sorted by length
 * then bytes, shortest heads, floats as float64, links as tag 42 over a 0x00
 * and the binary CID. W3S_EUSAGE for a duplicate key, NaN, infinity, text
 * that is not UTF-8 or nesting beyond W3S_CBOR_DEPTH_MAX; W3S_ESYS when the
 * tree missed an item or memory ran out. On error out may hold a part. */
int w3s_cbor_encode(const struct w3s_cbor *item, struct w3s_buf *out,
    struct w3s_err *err);
/* w3s_cbor_encode of tree, which it then frees. A NULL tree (a
 * constructor that ran out of memory) is W3S_ESYS. */
int w3s_cbor_encode_free(struct w3s_cbor *tree, struct w3s_buf *out,
    struct w3s_err *err);

/* Decodes exactly one DAG-CBOR item filling buf[0..len) into a new tree
 * (*out, free with w3s_cbor_free). Only the canonical form is accepted:
 * anything else (indefinite lengths, long heads, unsorted or duplicate or
 * non-text keys, other tags, undefined and other simple values, floats not
 * 64-bit, NaN, infinities, invalid UTF-8, bad CIDs, truncation, trailing
 * bytes, nesting or items beyond lim) is W3S_EMALFORMED with the reason and
 * byte offset. lim NULL means the defaults. Memory grows with the bytes
 * actually present, never with the lengths the input claims. */
int w3s_cbor_decode(const uint8_t *buf, size_t len,
    const struct w3s_cbor_limits *lim, struct w3s_cbor **out,
    struct w3s_err *err);

/* Inspection of any item. w3s_cbor_type needs an item; the others take
 * NULL (what array_at and map_get return for nothing) and say so. */
enum w3s_cbor_type w3s_cbor_type(const struct w3s_cbor *item);
/* "null", "bool", "uint", "negint", "float", "bytes", "text", "array",
 * "map", "link". */
const char *w3s_cbor_type_name(enum w3s_cbor_type type);
/* Elements of an array, entries of a map, bytes of bytes or text; else 0. */
size_t w3s_cbor_len(const struct w3s_cbor *item);
/* Element i of an array; NULL when out of range or not an array. */
const struct w3s_cbor *w3s_cbor_array_at(const struct w3s_cbor *arr,
    size_t i);
/* Entry i of a map (in canonical order for a decoded map, in insertion
 * order for a built one): its key (NUL-terminated; *key_len may be NULL)
 * and value. NULL when out of range or not a map. */
const char *w3s_cbor_map_key_at(const struct w3s_cbor *map, size_t i,
    size_t *key_len);
const struct w3s_cbor *w3s_cbor_map_value_at(const struct w3s_cbor *map,
    size_t i);
/* The value under key, or NULL when absent or map is not a map. */
const struct w3s_cbor *w3s_cbor_map_get(const struct w3s_cbor *map,
    const char *key);
/* W3S_EMALFORMED naming the first key of map not in allowed (a NULL-ended
 * list), for readers that refuse unknown fields. */
int w3s_cbor_map_check_keys(const struct w3s_cbor *map,
    const char *const *allowed, struct w3s_err *err);

/* Typed values of one item: 0, or W3S_EMALFORMED ("expected uint, got
 * text"). */
int w3s_cbor_as_bool(const struct w3s_cbor *item, bool *v,
    struct w3s_err *err);
int w3s_cbor_as_uint(const struct w3s_cbor *item, uint64_t *v,
    struct w3s_err *err);
/* A uint or negint that fits int64_t. */
int w3s_cbor_as_int(const struct w3s_cbor *item, int64_t *v,
    struct w3s_err *err);
int w3s_cbor_as_float(const struct w3s_cbor *item, double *v,
    struct w3s_err *err);
int w3s_cbor_as_bytes(const struct w3s_cbor *item, const uint8_t **data,
    size_t *len, struct w3s_err *err);
/* Exactly len bytes copied into out (a hash, a key, a signature). */
int w3s_cbor_as_bytes_fixed(const struct w3s_cbor *item, uint8_t *out,
    size_t len, struct w3s_err *err);
/* NUL-terminated text; text holding a NUL byte is refused, so the string
 * means what C reads. len may be NULL. */
int w3s_cbor_as_text(const struct w3s_cbor *item, const char **s,
    size_t *len, struct w3s_err *err);
int w3s_cbor_as_link(const struct w3s_cbor *item, struct w3s_cid *cid,
    struct w3s_err *err);
/* An array and its element count (count may be NULL). */
int w3s_cbor_as_array(const struct w3s_cbor *item,
    const struct w3s_cbor **arr, size_t *count, struct w3s_err *err);
int w3s_cbor_as_map(const struct w3s_cbor *item,
    const struct w3s_cbor **map, struct w3s_err *err);

/* The same, for the value under key in map: W3S_EMALFORMED when map is not
 * a map, the key is missing or its value has another type. */
int w3s_cbor_get_bool(const struct w3s_cbor *map, const char *key, bool *v,
    struct w3s_err *err);
int w3s_cbor_get_uint(const struct w3s_cbor *map, const char *key,
    uint64_t *v, struct w3s_err *err);
int w3s_cbor_get_int(const struct w3s_cbor *map, const char *key,
    int64_t *v, struct w3s_err *err);
int w3s_cbor_get_float(const struct w3s_cbor *map, const char *key,
    double *v, struct w3s_err *err);
int w3s_cbor_get_bytes(const struct w3s_cbor *map, const char *key,
    const uint8_t **data, size_t *len, struct w3s_err *err);
int w3s_cbor_get_bytes_fixed(const struct w3s_cbor *map, const char *key,
    uint8_t *out, size_t len, struct w3s_err *err);
int w3s_cbor_get_text(const struct w3s_cbor *map, const char *key,
    const char **s, size_t *len, struct w3s_err *err);
int w3s_cbor_get_link(const struct w3s_cbor *map, const char *key,
    struct w3s_cid *cid, struct w3s_err *err);
int w3s_cbor_get_array(const struct w3s_cbor *map, const char *key,
    const struct w3s_cbor **arr, size_t *count, struct w3s_err *err);
int w3s_cbor_get_map(const struct w3s_cbor *map, const char *key,
    const struct w3s_cbor **sub, struct w3s_err *err);

#endif
