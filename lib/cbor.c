/* DAG-CBOR on libcbor: cbor_stream_decode reads one token at a time and the
 * cbor_encode_* functions write heads; this module adds the tree, the rules
 * of the canonical form and the limits. The one file that includes
 * <cbor.h>. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include <w3s/cbor.h>

struct member {
	char *key;		/* NUL-terminated copy */
	size_t key_len;
	struct w3s_cbor *value;
};

struct w3s_cbor {
	enum w3s_cbor_type type;
	bool failed;		/* container: an item went missing */
	bool sorted;		/* map: keys in canonical order (decoded) */
	union {
		bool b;
		uint64_t u;	/* uint; negint: n for -1-n */
		double f;
		struct {
			uint8_t *data;	/* text gets a NUL after; link: CID */
			size_t len;
		} s;
		struct {
			struct w3s_cbor **v;
			size_t len, cap;
		} a;
		struct {
			struct member *v;
			size_t len, cap;
		} m;
	} u;
};

static const char *const type_names[] = {
	[W3S_CBOR_NULL] = "null",
	[W3S_CBOR_BOOL] = "bool",
	[W3S_CBOR_UINT] = "uint",
	[W3S_CBOR_NEGINT] = "negint",
	[W3S_CBOR_FLOAT] = "float",
	[W3S_CBOR_BYTES] = "bytes",
	[W3S_CBOR_TEXT] = "text",
	[W3S_CBOR_ARRAY] = "array",
	[W3S_CBOR_MAP] = "map",
	[W3S_CBOR_LINK] = "link",
};

const char *
w3s_cbor_type_name(enum w3s_cbor_type type)
{
	if ((size_t)type >= sizeof(type_names) / sizeof(type_names[0]))
		return "unknown";
	return type_names[type];
}

/* Helpers shared by the encoder and decoder. */

/* Length first, then bytes: the order of encoded text keys. */
static int
key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return alen == 0 ? 0 : memcmp(a, b, alen);
}

static bool
utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		uint32_t cp, min;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (n > len - i - 1)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

#define QUOTE_BYTES 40
#define QUOTE_MAX (4 * QUOTE_BYTES + 4)

/* Text from the input made safe for a one-line message: printable ASCII
 * kept, other bytes as \xNN, cut after QUOTE_BYTES bytes with "...". */
static const char *
quote(char out[QUOTE_MAX], const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len && i < QUOTE_BYTES; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (len > QUOTE_BYTES) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* Returns v when it has room for element len, else v grown (doubling, but
 * not past hint when hint > len), or NULL with v untouched. */
static void *
grow(void *v, size_t *cap, size_t len, size_t size, size_t hint)
{
	size_t ncap;
	void *p;

	if (len < *cap)
		return v;
	if (*cap > SIZE_MAX / 2)
		return NULL;
	ncap = *cap ? *cap * 2 : 4;
	if (hint > len && ncap > hint)
		ncap = hint;
	if (ncap > SIZE_MAX / size)
		return NULL;
	if ((p = realloc(v, ncap * size)) == NULL)
		return NULL;
	*cap = ncap;
	return p;
}

static int
array_append(struct w3s_cbor *arr, struct w3s_cbor *item, size_t hint)
{
	struct w3s_cbor **v;

	v = grow(arr->u.a.v, &arr->u.a.cap, arr->u.a.len, sizeof(*v), hint);
	if (v == NULL)
		return -1;
	arr->u.a.v = v;
	v[arr->u.a.len++] = item;
	return 0;
}

/* Takes key (a heap string) and item on success only. */
static int
map_append(struct w3s_cbor *map, char *key, size_t key_len,
    struct w3s_cbor *item, size_t hint)
{
	struct member *v;

	v = grow(map->u.m.v, &map->u.m.cap, map->u.m.len, sizeof(*v), hint);
	if (v == NULL)
		return -1;
	map->u.m.v = v;
	v[map->u.m.len].key = key;
	v[map->u.m.len].key_len = key_len;
	v[map->u.m.len].value = item;
	map->u.m.len++;
	return 0;
}

/* Building. */

static struct w3s_cbor *
item_new(enum w3s_cbor_type type)
{
	struct w3s_cbor *item;

	if ((item = calloc(1, sizeof(*item))) != NULL)
		item->type = type;
	return item;
}

static struct w3s_cbor *
str_new(enum w3s_cbor_type type, const void *data, size_t len)
{
	struct w3s_cbor *item;

	if (len == SIZE_MAX || (item = item_new(type)) == NULL)
		return NULL;
	if ((item->u.s.data = malloc(len + 1)) == NULL) {
		free(item);
		return NULL;
	}
	if (len > 0)
		memcpy(item->u.s.data, data, len);
	item->u.s.data[len] = '\0';
	item->u.s.len = len;
	return item;
}

struct w3s_cbor *
w3s_cbor_new_null(void)
{
	return item_new(W3S_CBOR_NULL);
}

struct w3s_cbor *
w3s_cbor_new_bool(bool v)
{
	struct w3s_cbor *item;

	if ((item = item_new(W3S_CBOR_BOOL)) != NULL)
		item->u.b = v;
	return item;
}

struct w3s_cbor *
w3s_cbor_new_uint(uint64_t v)
{
	struct w3s_cbor *item;

	if ((item = item_new(W3S_CBOR_UINT)) != NULL)
		item->u.u = v;
	return item;
}

struct w3s_cbor *
w3s_cbor_new_negint(uint64_t n)
{
	struct w3s_cbor *item;

	if ((item = item_new(W3S_CBOR_NEGINT)) != NULL)
		item->u.u = n;
	return item;
}

struct w3s_cbor *
w3s_cbor_new_int(int64_t v)
{
	if (v >= 0)
		return w3s_cbor_new_uint((uint64_t)v);
	/* -1 - v, computed without overflow for INT64_MIN. */
	return w3s_cbor_new_negint((uint64_t)(-(v + 1)));
}

struct w3s_cbor *
w3s_cbor_new_float(double v)
{
	struct w3s_cbor *item;

	if ((item = item_new(W3S_CBOR_FLOAT)) != NULL)
		item->u.f = v;
	return item;
}

struct w3s_cbor *
w3s_cbor_new_bytes(const void *data, size_t len)
{
	if (data == NULL && len > 0)
		return NULL;
	return str_new(W3S_CBOR_BYTES, data, len);
}

struct w3s_cbor *
w3s_cbor_new_text(const char *s)
{
	if (s == NULL)
		return NULL;
	return str_new(W3S_CBOR_TEXT, s, strlen(s));
}

struct w3s_cbor *
w3s_cbor_new_textn(const char *s, size_t len)
{
	if (s == NULL && len > 0)
		return NULL;
	return str_new(W3S_CBOR_TEXT, s, len);
}

struct w3s_cbor *
w3s_cbor_new_link(const struct w3s_cid *cid)
{
	uint8_t bin[W3S_CID_BIN_MAX];

	if (cid == NULL)
		return NULL;
	return str_new(W3S_CBOR_LINK, bin, w3s_cid_to_bytes(cid, bin));
}

struct w3s_cbor *
w3s_cbor_new_array(void)
{
	return item_new(W3S_CBOR_ARRAY);
}

struct w3s_cbor *
w3s_cbor_new_map(void)
{
	return item_new(W3S_CBOR_MAP);
}

int
w3s_cbor_array_push(struct w3s_cbor *arr, struct w3s_cbor *item)
{
	if (arr == NULL) {
		w3s_cbor_free(item);
		return W3S_ESYS;
	}
	if (arr->type != W3S_CBOR_ARRAY) {
		w3s_cbor_free(item);
		return W3S_EUSAGE;
	}
	if (item == NULL || array_append(arr, item, 0) != 0) {
		w3s_cbor_free(item);
		arr->failed = true;
		return W3S_ESYS;
	}
	return 0;
}

int
w3s_cbor_map_put(struct w3s_cbor *map, const char *key, struct w3s_cbor *item)
{
	size_t key_len;
	char *k;

	if (map == NULL) {
		w3s_cbor_free(item);
		return W3S_ESYS;
	}
	if (map->type != W3S_CBOR_MAP || key == NULL) {
		w3s_cbor_free(item);
		return W3S_EUSAGE;
	}
	key_len = strlen(key);
	if (item == NULL || (k = strdup(key)) == NULL) {
		w3s_cbor_free(item);
		map->failed = true;
		return W3S_ESYS;
	}
	if (map_append(map, k, key_len, item, 0) != 0) {
		free(k);
		w3s_cbor_free(item);
		map->failed = true;
		return W3S_ESYS;
	}
	map->sorted = false;
	return 0;
}

void
w3s_cbor_free(struct w3s_cbor *item)
{
	if (item == NULL)
		return;
	switch (item->type) {
	case W3S_CBOR_BYTES:
	case W3S_CBOR_TEXT:
	case W3S_CBOR_LINK:
		free(item->u.s.data);
		break;
	case W3S_CBOR_ARRAY:
		for (size_t i = 0; i < item->u.a.len; i++)
			w3s_cbor_free(item->u.a.v[i]);
		free(item->u.a.v);
		break;
	case W3S_CBOR_MAP:
		for (size_t i = 0; i < item->u.m.len; i++) {
			free(item->u.m.v[i].key);
			w3s_cbor_free(item->u.m.v[i].value);
		}
		free(item->u.m.v);
		break;
	default:
		break;
	}
	free(item);
}

/* Encoding. */

static void
put_token(struct w3s_buf *out, size_t (*enc)(uint64_t, unsigned char *,
    size_t), uint64_t v)
{
	unsigned char head[9];

	w3s_buf_put(out, head, enc(v, head, sizeof(head)));
}

static size_t
enc_uint(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_uint(v, p, n);
}

static size_t
enc_negint(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_negint(v, p, n);
}

static size_t
enc_bytes(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_bytestring_start((size_t)v, p, n);
}

static size_t
enc_text(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_string_start((size_t)v, p, n);
}

static size_t
enc_array(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_array_start((size_t)v, p, n);
}

static size_t
enc_map(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_map_start((size_t)v, p, n);
}

static size_t
enc_tag(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_tag(v, p, n);
}

static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = *(const struct member *const *)a;
	const struct member *y = *(const struct member *const *)b;

	return key_cmp(x->key, x->key_len, y->key, y->key_len);
}

struct enc {
	struct w3s_buf *out;
	struct w3s_err *err;
	bool placed;		/* the error names the innermost place */
};

static int encode_item(struct enc *e, const struct w3s_cbor *item,
    size_t depth);

/* Prefixes the error with the place it happened, once: the innermost
 * place is the useful one and a chain of them would not fit a line. */
static int
place(struct enc *e, int rc, const char *kind, const char *name, size_t i)
{
	if (!e->placed && e->err != NULL) {
		if (name != NULL)
			w3s_err_wrap(e->err, "%s \"%s\"", kind, name);
		else
			w3s_err_wrap(e->err, "%s %zu", kind, i);
	}
	e->placed = true;
	return rc;
}

static int
encode_map(struct enc *e, const struct w3s_cbor *map, size_t depth)
{
	const struct member **order;
	char q[QUOTE_MAX];
	size_t n = map->u.m.len;
	int rc = 0;

	if ((order = calloc(n ? n : 1, sizeof(*order))) == NULL)
		return w3s_err_set(e->err, W3S_ESYS, "out of memory");
	for (size_t i = 0; i < n; i++)
		order[i] = &map->u.m.v[i];
	qsort(order, n, sizeof(*order), member_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct member *m = order[i];

		if (i > 0 && member_cmp(&order[i - 1], &order[i]) == 0) {
			rc = w3s_err_set(e->err, W3S_EUSAGE,
			    "duplicate map key \"%s\"",
			    quote(q, m->key, m->key_len));
			goto out;
		}
		if (!utf8_valid((const uint8_t *)m->key, m->key_len)) {
			rc = w3s_err_set(e->err, W3S_EUSAGE,
			    "map key \"%s\" is not UTF-8",
			    quote(q, m->key, m->key_len));
			goto out;
		}
	}
	put_token(e->out, enc_map, n);
	for (size_t i = 0; i < n; i++) {
		const struct member *m = order[i];

		put_token(e->out, enc_text, m->key_len);
		w3s_buf_put(e->out, m->key, m->key_len);
		if ((rc = encode_item(e, m->value, depth)) != 0) {
			place(e, rc, "key", quote(q, m->key, m->key_len), 0);
			goto out;
		}
	}
out:
	free(order);
	return rc;
}

static int
encode_item(struct enc *e, const struct w3s_cbor *item, size_t depth)
{
	unsigned char tok[9];
	struct w3s_buf *out = e->out;
	int rc;

	switch (item->type) {
	case W3S_CBOR_NULL:
		w3s_buf_put(out, tok, cbor_encode_null(tok, sizeof(tok)));
		return 0;
	case W3S_CBOR_BOOL:
		w3s_buf_put(out, tok, cbor_encode_bool(item->u.b, tok,
		    sizeof(tok)));
		return 0;
	case W3S_CBOR_UINT:
		put_token(out, enc_uint, item->u.u);
		return 0;
	case W3S_CBOR_NEGINT:
		put_token(out, enc_negint, item->u.u);
		return 0;
	case W3S_CBOR_FLOAT:
		if (isnan(item->u.f))
			return w3s_err_set(e->err, W3S_EUSAGE,
			    "NaN has no dag-cbor form");
		if (isinf(item->u.f))
			return w3s_err_set(e->err, W3S_EUSAGE,
			    "infinity has no dag-cbor form");
		w3s_buf_put(out, tok, cbor_encode_double(item->u.f, tok,
		    sizeof(tok)));
		return 0;
	case W3S_CBOR_BYTES:
		put_token(out, enc_bytes, item->u.s.len);
		w3s_buf_put(out, item->u.s.data, item->u.s.len);
		return 0;
	case W3S_CBOR_TEXT:
		if (!utf8_valid(item->u.s.data, item->u.s.len))
			return w3s_err_set(e->err, W3S_EUSAGE,
			    "text is not UTF-8");
		put_token(out, enc_text, item->u.s.len);
		w3s_buf_put(out, item->u.s.data, item->u.s.len);
		return 0;
	case W3S_CBOR_LINK:
		put_token(out, enc_tag, 42);
		put_token(out, enc_bytes, item->u.s.len + 1);
		w3s_buf_put_u8(out, 0x00);
		w3s_buf_put(out, item->u.s.data, item->u.s.len);
		return 0;
	case W3S_CBOR_ARRAY:
	case W3S_CBOR_MAP:
		break;
	}
	if (item->failed)
		return w3s_err_set(e->err, W3S_ESYS,
		    "out of memory while building the %s",
		    w3s_cbor_type_name(item->type));
	if (++depth > W3S_CBOR_DEPTH_MAX)
		return w3s_err_set(e->err, W3S_EUSAGE,
		    "arrays and maps nested deeper than %d",
		    W3S_CBOR_DEPTH_MAX);
	if (item->type == W3S_CBOR_MAP)
		return encode_map(e, item, depth);
	put_token(out, enc_array, item->u.a.len);
	for (size_t i = 0; i < item->u.a.len; i++)
		if ((rc = encode_item(e, item->u.a.v[i], depth)) != 0)
			return place(e, rc, "element", NULL, i);
	return 0;
}

int
w3s_cbor_encode(const struct w3s_cbor *item, struct w3s_buf *out,
    struct w3s_err *err)
{
	struct enc e = { out, err, false };
	int rc;

	if (item == NULL)
		return w3s_err_set(err, W3S_ESYS,
		    "out of memory while building the item");
	if ((rc = encode_item(&e, item, 0)) != 0)
		return rc;
	return w3s_buf_check(out, err);
}

int
w3s_cbor_encode_free(struct w3s_cbor *tree, struct w3s_buf *out,
    struct w3s_err *err)
{
	int rc;

	if (tree == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	rc = w3s_cbor_encode(tree, out, err);
	w3s_cbor_free(tree);
	return rc != 0 ? rc : w3s_buf_check(out, err);
}

/* Decoding: libcbor's callbacks only record the token; the loop in
 * w3s_cbor_decode checks it against the canonical form and the limits and
 * then adds it to the tree. */

enum tok_kind {
	TOK_NONE,
	TOK_UINT,
	TOK_NEGINT,
	TOK_BYTES,
	TOK_TEXT,
	TOK_ARRAY,
	TOK_MAP,
	TOK_TAG,
	TOK_FLOAT,
	TOK_SHORT_FLOAT,
	TOK_BOOL,
	TOK_NULL,
	TOK_UNDEFINED,
	TOK_INDEFINITE,
	TOK_BREAK,
};

struct token {
	enum tok_kind kind;
	uint64_t v;		/* integer, length, count or tag number */
	const uint8_t *data;	/* bytes, text: inside the input */
	double f;
	bool b;
	int bits;		/* short float width */
	const char *what;	/* indefinite: which kind */
};

static void
on_uint8(void *ctx, uint8_t v)
{
	struct token *t = ctx;

	t->kind = TOK_UINT;
	t->v = v;
}

static void
on_uint16(void *ctx, uint16_t v)
{
	struct token *t = ctx;

	t->kind = TOK_UINT;
	t->v = v;
}

static void
on_uint32(void *ctx, uint32_t v)
{
	struct token *t = ctx;

	t->kind = TOK_UINT;
	t->v = v;
}

static void
on_uint64(void *ctx, uint64_t v)
{
	struct token *t = ctx;

	t->kind = TOK_UINT;
	t->v = v;
}

static void
on_negint8(void *ctx, uint8_t v)
{
	struct token *t = ctx;

	t->kind = TOK_NEGINT;
	t->v = v;
}

static void
on_negint16(void *ctx, uint16_t v)
{
	struct token *t = ctx;

	t->kind = TOK_NEGINT;
	t->v = v;
}

static void
on_negint32(void *ctx, uint32_t v)
{
	struct token *t = ctx;

	t->kind = TOK_NEGINT;
	t->v = v;
}

static void
on_negint64(void *ctx, uint64_t v)
{
	struct token *t = ctx;

	t->kind = TOK_NEGINT;
	t->v = v;
}

static void
on_bytes(void *ctx, cbor_data data, size_t len)
{
	struct token *t = ctx;

	t->kind = TOK_BYTES;
	t->data = data;
	t->v = len;
}

static void
on_text(void *ctx, cbor_data data, size_t len)
{
	struct token *t = ctx;

	t->kind = TOK_TEXT;
	t->data = data;
	t->v = len;
}

static void
on_array(void *ctx, size_t count)
{
	struct token *t = ctx;

	t->kind = TOK_ARRAY;
	t->v = count;
}

static void
on_map(void *ctx, size_t count)
{
	struct token *t = ctx;

	t->kind = TOK_MAP;
	t->v = count;
}

static void
on_tag(void *ctx, uint64_t v)
{
	struct token *t = ctx;

	t->kind = TOK_TAG;
	t->v = v;
}

static void
on_float2(void *ctx, float f)
{
	struct token *t = ctx;

	t->kind = TOK_SHORT_FLOAT;
	t->bits = 16;
}

static void
on_float4(void *ctx, float f)
{
	struct token *t = ctx;

	t->kind = TOK_SHORT_FLOAT;
	t->bits = 32;
}

static void
on_float8(void *ctx, double f)
{
	struct token *t = ctx;

	t->kind = TOK_FLOAT;
	t->f = f;
}

static void
on_bool(void *ctx, bool b)
{
	struct token *t = ctx;

	t->kind = TOK_BOOL;
	t->b = b;
}

static void
on_null(void *ctx)
{
	struct token *t = ctx;

	t->kind = TOK_NULL;
}

static void
on_undefined(void *ctx)
{
	struct token *t = ctx;

	t->kind = TOK_UNDEFINED;
}

static void
on_indef_bytes(void *ctx)
{
	struct token *t = ctx;

	t->kind = TOK_INDEFINITE;
	t->what = "byte string";
}

static void
on_indef_text(void *ctx)
{
	struct token *t = ctx;

	t->kind = TOK_INDEFINITE;
	t->what = "text string";
}

static void
on_indef_array(void *ctx)
{
	struct token *t = ctx;

	t->kind = TOK_INDEFINITE;
	t->what = "array";
}

static void
on_indef_map(void *ctx)
{
	struct token *t = ctx;

	t->kind = TOK_INDEFINITE;
	t->what = "map";
}

static void
on_break(void *ctx)
{
	struct token *t = ctx;

	t->kind = TOK_BREAK;
}

/* libcbor's field comments are swapped for the string pairs:
 * byte_string/string get definite strings, the _start ones open
 * indefinite strings. */
static const struct cbor_callbacks callbacks = {
	.uint8 = on_uint8,
	.uint16 = on_uint16,
	.uint32 = on_uint32,
	.uint64 = on_uint64,
	.negint8 = on_negint8,
	.negint16 = on_negint16,
	.negint32 = on_negint32,
	.negint64 = on_negint64,
	.byte_string = on_bytes,
	.byte_string_start = on_indef_bytes,
	.string = on_text,
	.string_start = on_indef_text,
	.array_start = on_array,
	.indef_array_start = on_indef_array,
	.map_start = on_map,
	.indef_map_start = on_indef_map,
	.tag = on_tag,
	.float2 = on_float2,
	.float4 = on_float4,
	.float8 = on_float8,
	.undefined = on_undefined,
	.null = on_null,
	.boolean = on_bool,
	.indef_break = on_break,
};

struct frame {
	struct w3s_cbor *node;	/* array or map being filled */
	uint64_t want;		/* elements or entries the head declared */
	char *key;		/* map: key read, its value still to come */
	size_t key_len;
};

struct dec {
	const uint8_t *buf;
	size_t len;
	size_t max_depth;
	size_t max_items;
	size_t items;
	struct frame *stack;
	size_t depth;
	size_t stack_cap;
	struct w3s_cbor *root;
	bool done;
	size_t link_at;		/* offset of a tag 42 awaiting its bytes */
	bool in_link;
	struct w3s_err *err;
};

/* Bytes of the shortest head for argument v. */
static size_t
head_len(uint64_t v)
{
	if (v < 24)
		return 1;
	if (v <= 0xff)
		return 2;
	if (v <= 0xffff)
		return 3;
	if (v <= 0xffffffff)
		return 5;
	return 9;
}

static int
bad(struct dec *d, size_t at, const char *what)
{
	return w3s_err_set(d->err, W3S_EMALFORMED, "%s at byte %zu", what, at);
}

/* Adds a finished or opened item under the innermost open container (or as
 * the root), then closes the containers it fills. Takes node always. */
static int
attach(struct dec *d, struct w3s_cbor *node, size_t at)
{
	struct frame *f;

	if (d->depth == 0) {
		d->root = node;
	} else {
		f = &d->stack[d->depth - 1];
		if (f->node->type == W3S_CBOR_ARRAY) {
			if (array_append(f->node, node, f->want) != 0)
				goto nomem;
		} else {
			if (map_append(f->node, f->key, f->key_len, node,
			    f->want) != 0)
				goto nomem;
			f->key = NULL;
		}
	}
	/* open_container has filled the frame above the top for node. */
	if ((node->type == W3S_CBOR_ARRAY || node->type == W3S_CBOR_MAP) &&
	    d->stack[d->depth].want > 0) {
		d->depth++;
		return 0;
	}
	while (d->depth > 0) {
		f = &d->stack[d->depth - 1];
		if (w3s_cbor_len(f->node) < f->want)
			return 0;
		d->depth--;
	}
	d->done = true;
	return 0;
nomem:
	w3s_cbor_free(node);
	return w3s_err_set(d->err, W3S_ESYS, "out of memory at byte %zu", at);
}

/* A container head: checks depth and the declared count against the bytes
 * left (every element takes at least one byte), then opens a frame. */
static int
open_container(struct dec *d, const struct token *t, size_t at, size_t end)
{
	enum w3s_cbor_type type;
	struct frame *stack;
	struct w3s_cbor *node;
	uint64_t per = t->kind == TOK_MAP ? 2 : 1;

	type = t->kind == TOK_MAP ? W3S_CBOR_MAP : W3S_CBOR_ARRAY;
	if (d->depth + 1 > d->max_depth)
		return w3s_err_set(d->err, W3S_EMALFORMED,
		    "arrays and maps nested deeper than %zu at byte %zu",
		    d->max_depth, at);
	if (t->v > (d->len - end) / per)
		return w3s_err_set(d->err, W3S_EMALFORMED,
		    "%s at byte %zu declares %llu %s but %zu bytes follow",
		    w3s_cbor_type_name(type), at, (unsigned long long)t->v,
		    per == 2 ? "entries" : "elements", d->len - end);
	stack = grow(d->stack, &d->stack_cap, d->depth, sizeof(*stack), 0);
	if (stack == NULL)
		return w3s_err_set(d->err, W3S_ESYS, "out of memory");
	d->stack = stack;
	if ((node = item_new(type)) == NULL)
		return w3s_err_set(d->err, W3S_ESYS, "out of memory");
	node->sorted = true;
	stack[d->depth].node = node;
	stack[d->depth].want = t->v;
	stack[d->depth].key = NULL;
	stack[d->depth].key_len = 0;
	return attach(d, node, at);
}

/* A text token where a map key is due: must sort after the previous key. */
static int
take_key(struct dec *d, struct frame *f, const struct token *t, size_t at)
{
	const struct member *prev;
	char q[QUOTE_MAX];
	const char *key = (const char *)t->data;
	int cmp;

	if (t->kind != TOK_TEXT)
		return bad(d, at, "map key that is not a text string");
	if (!utf8_valid(t->data, t->v))
		return bad(d, at, "map key that is not UTF-8");
	if (f->node->u.m.len > 0) {
		prev = &f->node->u.m.v[f->node->u.m.len - 1];
		cmp = key_cmp(prev->key, prev->key_len, key, t->v);
		if (cmp == 0)
			return w3s_err_set(d->err, W3S_EMALFORMED,
			    "duplicate map key \"%s\" at byte %zu",
			    quote(q, key, t->v), at);
		if (cmp > 0)
			return w3s_err_set(d->err, W3S_EMALFORMED,
			    "map key \"%s\" at byte %zu out of canonical order",
			    quote(q, key, t->v), at);
	}
	if ((f->key = malloc(t->v + 1)) == NULL)
		return w3s_err_set(d->err, W3S_ESYS, "out of memory");
	memcpy(f->key, key, t->v);
	f->key[t->v] = '\0';
	f->key_len = t->v;
	return 0;
}

/* The bytes under a tag 42: a 0x00 then exactly one binary CID. */
static int
take_link(struct dec *d, const struct token *t, size_t at)
{
	struct w3s_cid cid;
	struct w3s_cbor *node;
	struct w3s_err cerr;

	d->in_link = false;
	if (t->kind != TOK_BYTES)
		return w3s_err_set(d->err, W3S_EMALFORMED,
		    "tag 42 at byte %zu does not hold a byte string",
		    d->link_at);
	if (t->v == 0 || t->data[0] != 0x00)
		return w3s_err_set(d->err, W3S_EMALFORMED,
		    "tag 42 at byte %zu: CID bytes do not start with 0x00",
		    d->link_at);
	if (w3s_cid_from_bytes(&cid, t->data + 1, t->v - 1, &cerr) != 0)
		return w3s_err_set(d->err, W3S_EMALFORMED,
		    "tag 42 at byte %zu: bad CID: %s", d->link_at, cerr.msg);
	if ((node = str_new(W3S_CBOR_LINK, t->data + 1, t->v - 1)) == NULL)
		return w3s_err_set(d->err, W3S_ESYS, "out of memory");
	return attach(d, node, at);
}

static int
take(struct dec *d, const struct token *t, size_t at, size_t read)
{
	struct w3s_cbor *node;
	struct frame *f;
	size_t head = read;

	switch (t->kind) {
	case TOK_BYTES:
	case TOK_TEXT:
		if (t->v >= read)
			return bad(d, at, "string overruns its token");
		head = read - (size_t)t->v;
		/* FALLTHROUGH */
	case TOK_UINT:
	case TOK_NEGINT:
	case TOK_ARRAY:
	case TOK_MAP:
	case TOK_TAG:
		if (head != head_len(t->v))
			return bad(d, at, t->kind == TOK_UINT ||
			    t->kind == TOK_NEGINT ? "non-minimal integer" :
			    t->kind == TOK_TAG ? "non-minimal tag" :
			    "non-minimal length");
		break;
	default:
		break;
	}
	if (t->kind != TOK_TAG && ++d->items > d->max_items)
		return w3s_err_set(d->err, W3S_EMALFORMED,
		    "more than %zu items at byte %zu", d->max_items, at);
	if (d->in_link)
		return take_link(d, t, at);
	if (d->depth > 0) {
		f = &d->stack[d->depth - 1];
		if (f->node->type == W3S_CBOR_MAP && f->key == NULL)
			return take_key(d, f, t, at);
	}
	switch (t->kind) {
	case TOK_UINT:
		node = w3s_cbor_new_uint(t->v);
		break;
	case TOK_NEGINT:
		node = w3s_cbor_new_negint(t->v);
		break;
	case TOK_BYTES:
		node = str_new(W3S_CBOR_BYTES, t->data, t->v);
		break;
	case TOK_TEXT:
		if (!utf8_valid(t->data, t->v))
			return bad(d, at, "text that is not UTF-8");
		node = str_new(W3S_CBOR_TEXT, t->data, t->v);
		break;
	case TOK_FLOAT:
		if (isnan(t->f))
			return bad(d, at, "NaN");
		if (isinf(t->f))
			return bad(d, at, "infinity");
		node = w3s_cbor_new_float(t->f);
		break;
	case TOK_BOOL:
		node = w3s_cbor_new_bool(t->b);
		break;
	case TOK_NULL:
		node = w3s_cbor_new_null();
		break;
	case TOK_ARRAY:
	case TOK_MAP:
		return open_container(d, t, at, at + read);
	case TOK_TAG:
		if (t->v != 42)
			return w3s_err_set(d->err, W3S_EMALFORMED,
			    "tag %llu at byte %zu (only 42, a CID, is allowed)",
			    (unsigned long long)t->v, at);
		d->in_link = true;
		d->link_at = at;
		return 0;
	case TOK_SHORT_FLOAT:
		return w3s_err_set(d->err, W3S_EMALFORMED,
		    "%d-bit float at byte %zu (dag-cbor floats are 64-bit)",
		    t->bits, at);
	case TOK_UNDEFINED:
		return bad(d, at, "undefined");
	case TOK_INDEFINITE:
		return w3s_err_set(d->err, W3S_EMALFORMED,
		    "indefinite-length %s at byte %zu", t->what, at);
	case TOK_BREAK:
		return bad(d, at, "break outside an indefinite-length item");
	default:
		return bad(d, at, "unsupported item");
	}
	if (node == NULL)
		return w3s_err_set(d->err, W3S_ESYS, "out of memory");
	return attach(d, node, at);
}

int
w3s_cbor_decode(const uint8_t *buf, size_t len,
    const struct w3s_cbor_limits *lim, struct w3s_cbor **out,
    struct w3s_err *err)
{
	struct cbor_decoder_result r;
	struct token t;
	struct dec d;
	size_t pos = 0;
	int rc = 0;

	if (out == NULL || (buf == NULL && len > 0))
		return w3s_err_set(err, W3S_EUSAGE, "cbor: no buffer");
	*out = NULL;
	memset(&d, 0, sizeof(d));
	d.buf = buf;
	d.len = len;
	d.max_depth = lim && lim->max_depth ? lim->max_depth :
	    W3S_CBOR_DEPTH_MAX;
	d.max_items = lim && lim->max_items ? lim->max_items :
	    W3S_CBOR_ITEMS_MAX;
	d.err = err;
	while (!d.done) {
		if (pos == len) {
			rc = w3s_err_set(err, W3S_EMALFORMED, len == 0 ?
			    "empty input" : "input ends inside an item at "
			    "byte %zu", len);
			goto fail;
		}
		memset(&t, 0, sizeof(t));
		r = cbor_stream_decode(buf + pos, len - pos, &callbacks, &t);
		if (r.status == CBOR_DECODER_NEDATA) {
			rc = w3s_err_set(err, W3S_EMALFORMED,
			    "input ends inside the item at byte %zu", pos);
			goto fail;
		}
		if (r.status != CBOR_DECODER_FINISHED || t.kind == TOK_NONE ||
		    r.read == 0 || r.read > len - pos) {
			rc = w3s_err_set(err, W3S_EMALFORMED,
			    "reserved or unsupported initial byte 0x%02x at "
			    "byte %zu", buf[pos], pos);
			goto fail;
		}
		if ((rc = take(&d, &t, pos, r.read)) != 0)
			goto fail;
		pos += r.read;
	}
	if (pos != len) {
		rc = w3s_err_set(err, W3S_EMALFORMED,
		    "%zu trailing bytes after the item ending at byte %zu",
		    len - pos, pos);
		goto fail;
	}
	free(d.stack);
	*out = d.root;
	return 0;
fail:
	for (size_t i = 0; i < d.depth; i++)
		free(d.stack[i].key);
	free(d.stack);
	w3s_cbor_free(d.root);
	return rc;
}

/* Reading. */

enum w3s_cbor_type
w3s_cbor_type(const struct w3s_cbor *item)
{
	return item->type;
}

size_t
w3s_cbor_len(const struct w3s_cbor *item)
{
	if (item == NULL)
		return 0;
	switch (item->type) {
	case W3S_CBOR_BYTES:
	case W3S_CBOR_TEXT:
		return item->u.s.len;
	case W3S_CBOR_ARRAY:
		return item->u.a.len;
	case W3S_CBOR_MAP:
		return item->u.m.len;
	default:
		return 0;
	}
}

const struct w3s_cbor *
w3s_cbor_array_at(const struct w3s_cbor *arr, size_t i)
{
	if (arr == NULL || arr->type != W3S_CBOR_ARRAY || i >= arr->u.a.len)
		return NULL;
	return arr->u.a.v[i];
}

const char *
w3s_cbor_map_key_at(const struct w3s_cbor *map, size_t i, size_t *key_len)
{
	if (map == NULL || map->type != W3S_CBOR_MAP || i >= map->u.m.len)
		return NULL;
	if (key_len != NULL)
		*key_len = map->u.m.v[i].key_len;
	return map->u.m.v[i].key;
}

const struct w3s_cbor *
w3s_cbor_map_value_at(const struct w3s_cbor *map, size_t i)
{
	if (map == NULL || map->type != W3S_CBOR_MAP || i >= map->u.m.len)
		return NULL;
	return map->u.m.v[i].value;
}

const struct w3s_cbor *
w3s_cbor_map_get(const struct w3s_cbor *map, const char *key)
{
	size_t key_len, lo, hi;
	int cmp;

	if (map == NULL || map->type != W3S_CBOR_MAP || key == NULL)
		return NULL;
	key_len = strlen(key);
	if (!map->sorted) {
		for (size_t i = 0; i < map->u.m.len; i++)
			if (key_cmp(map->u.m.v[i].key, map->u.m.v[i].key_len,
			    key, key_len) == 0)
				return map->u.m.v[i].value;
		return NULL;
	}
	lo = 0;
	hi = map->u.m.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct member *m = &map->u.m.v[mid];

		cmp = key_cmp(m->key, m->key_len, key, key_len);
		if (cmp == 0)
			return m->value;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
w3s_cbor_map_check_keys(const struct w3s_cbor *map,
    const char *const *allowed, struct w3s_err *err)
{
	char q[QUOTE_MAX];

	if (map == NULL || map->type != W3S_CBOR_MAP)
		return w3s_err_set(err, W3S_EMALFORMED, "expected map, got %s",
		    map ? w3s_cbor_type_name(map->type) : "nothing");
	for (size_t i = 0; i < map->u.m.len; i++) {
		const struct member *m = &map->u.m.v[i];
		size_t k;

		for (k = 0; allowed[k] != NULL; k++)
			if (key_cmp(m->key, m->key_len, allowed[k],
			    strlen(allowed[k])) == 0)
				break;
		if (allowed[k] == NULL)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "unknown key \"%s\"", quote(q, m->key, m->key_len));
	}
	return 0;
}

static int
want(const struct w3s_cbor *item, enum w3s_cbor_type type,
    struct w3s_err *err)
{
	if (item == NULL)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "expected %s, got nothing", w3s_cbor_type_name(type));
	if (item->type != type)
		return w3s_err_set(err, W3S_EMALFORMED, "expected %s, got %s",
		    w3s_cbor_type_name(type), w3s_cbor_type_name(item->type));
	return 0;
}

int
w3s_cbor_as_bool(const struct w3s_cbor *item, bool *v, struct w3s_err *err)
{
	int rc;

	if ((rc = want(item, W3S_CBOR_BOOL, err)) != 0)
		return rc;
	*v = item->u.b;
	return 0;
}

int
w3s_cbor_as_uint(const struct w3s_cbor *item, uint64_t *v,
    struct w3s_err *err)
{
	int rc;

	if ((rc = want(item, W3S_CBOR_UINT, err)) != 0)
		return rc;
	*v = item->u.u;
	return 0;
}

int
w3s_cbor_as_int(const struct w3s_cbor *item, int64_t *v, struct w3s_err *err)
{
	if (item == NULL || (item->type != W3S_CBOR_UINT &&
	    item->type != W3S_CBOR_NEGINT))
		return w3s_err_set(err, W3S_EMALFORMED,
		    "expected integer, got %s",
		    item ? w3s_cbor_type_name(item->type) : "nothing");
	if (item->u.u > INT64_MAX)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "integer out of the 64-bit signed range");
	if (item->type == W3S_CBOR_UINT)
		*v = (int64_t)item->u.u;
	else
		*v = -1 - (int64_t)item->u.u;
	return 0;
}

int
w3s_cbor_as_float(const struct w3s_cbor *item, double *v,
    struct w3s_err *err)
{
	int rc;

	if ((rc = want(item, W3S_CBOR_FLOAT, err)) != 0)
		return rc;
	*v = item->u.f;
	return 0;
}

int
w3s_cbor_as_bytes(const struct w3s_cbor *item, const uint8_t **data,
    size_t *len, struct w3s_err *err)
{
	int rc;

	if ((rc = want(item, W3S_CBOR_BYTES, err)) != 0)
		return rc;
	*data = item->u.s.data;
	*len = item->u.s.len;
	return 0;
}

int
w3s_cbor_as_bytes_fixed(const struct w3s_cbor *item, uint8_t *out, size_t len,
    struct w3s_err *err)
{
	int rc;

	if ((rc = want(item, W3S_CBOR_BYTES, err)) != 0)
		return rc;
	if (item->u.s.len != len)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "expected %zu bytes, got %zu", len, item->u.s.len);
	if (len > 0)
		memcpy(out, item->u.s.data, len);
	return 0;
}

int
w3s_cbor_as_text(const struct w3s_cbor *item, const char **s, size_t *len,
    struct w3s_err *err)
{
	int rc;

	if ((rc = want(item, W3S_CBOR_TEXT, err)) != 0)
		return rc;
	if (memchr(item->u.s.data, '\0', item->u.s.len) != NULL)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "text holds a NUL byte");
	*s = (const char *)item->u.s.data;
	if (len != NULL)
		*len = item->u.s.len;
	return 0;
}

int
w3s_cbor_as_link(const struct w3s_cbor *item, struct w3s_cid *cid,
    struct w3s_err *err)
{
	int rc;

	if ((rc = want(item, W3S_CBOR_LINK, err)) != 0)
		return rc;
	/* Checked when decoded or built; kept W3S_EMALFORMED regardless. */
	if (w3s_cid_from_bytes(cid, item->u.s.data, item->u.s.len, err) != 0)
		return w3s_err_set(err, W3S_EMALFORMED, "bad CID in link");
	return 0;
}

int
w3s_cbor_as_array(const struct w3s_cbor *item, const struct w3s_cbor **arr,
    size_t *count, struct w3s_err *err)
{
	int rc;

	if ((rc = want(item, W3S_CBOR_ARRAY, err)) != 0)
		return rc;
	*arr = item;
	if (count != NULL)
		*count = item->u.a.len;
	return 0;
}

int
w3s_cbor_as_map(const struct w3s_cbor *item, const struct w3s_cbor **map,
    struct w3s_err *err)
{
	int rc;

	if ((rc = want(item, W3S_CBOR_MAP, err)) != 0)
		return rc;
	*map = item;
	return 0;
}

/* The value under key, or an error naming the key. */
static int
member(const struct w3s_cbor *map, const char *key,
    const struct w3s_cbor **item, struct w3s_err *err)
{
	if (map == NULL || map->type != W3S_CBOR_MAP)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "key \"%s\": expected a map to hold it, got %s", key,
		    map ? w3s_cbor_type_name(map->type) : "nothing");
	if ((*item = w3s_cbor_map_get(map, key)) == NULL)
		return w3s_err_set(err, W3S_EMALFORMED, "missing key \"%s\"",
		    key);
	return 0;
}

static int
named(int rc, const char *key, struct w3s_err *err)
{
	if (rc != 0 && err != NULL)
		w3s_err_wrap(err, "key \"%s\"", key);
	return rc;
}

int
w3s_cbor_get_bool(const struct w3s_cbor *map, const char *key, bool *v,
    struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_bool(item, v, err), key, err);
}

int
w3s_cbor_get_uint(const struct w3s_cbor *map, const char *key, uint64_t *v,
    struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_uint(item, v, err), key, err);
}

int
w3s_cbor_get_int(const struct w3s_cbor *map, const char *key, int64_t *v,
    struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_int(item, v, err), key, err);
}

int
w3s_cbor_get_float(const struct w3s_cbor *map, const char *key, double *v,
    struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_float(item, v, err), key, err);
}

int
w3s_cbor_get_bytes(const struct w3s_cbor *map, const char *key,
    const uint8_t **data, size_t *len, struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_bytes(item, data, len, err), key, err);
}

int
w3s_cbor_get_bytes_fixed(const struct w3s_cbor *map, const char *key,
    uint8_t *out, size_t len, struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_bytes_fixed(item, out, len, err), key, err);
}

int
w3s_cbor_get_text(const struct w3s_cbor *map, const char *key, const char **s,
    size_t *len, struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_text(item, s, len, err), key, err);
}

int
w3s_cbor_get_link(const struct w3s_cbor *map, const char *key,
    struct w3s_cid *cid, struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_link(item, cid, err), key, err);
}

int
w3s_cbor_get_array(const struct w3s_cbor *map, const char *key,
    const struct w3s_cbor **arr, size_t *count, struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_array(item, arr, count, err), key, err);
}

int
w3s_cbor_get_map(const struct w3s_cbor *map, const char *key,
    const struct w3s_cbor **sub, struct w3s_err *err)
{
	const struct w3s_cbor *item;
	int rc;

	if ((rc = member(map, key, &item, err)) != 0)
		return rc;
	return named(w3s_cbor_as_map(item, sub, err), key, err);
}
