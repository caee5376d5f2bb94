/* DAG-CBOR decoder (lib/cbor.c). The decoder accepts only the canonical
 * form, so whatever it accepts must encode back to the same bytes. The
 * typed getters run over the decoded tree too. */
#include <string.h>

#include <w3s/cbor.h>

#include "fuzz.h"

static void
walk(const struct w3s_cbor *item)
{
	struct w3s_err err;
	struct w3s_cid cid;
	const uint8_t *bytes;
	const char *text;
	uint64_t u;
	int64_t i;
	double d;
	bool b;
	size_t n, k;

	switch (w3s_cbor_type(item)) {
	case W3S_CBOR_BOOL:
		FUZZ_ASSERT(w3s_cbor_as_bool(item, &b, &err) == 0);
		break;
	case W3S_CBOR_UINT:
	case W3S_CBOR_NEGINT:
		(void)w3s_cbor_as_int(item, &i, &err);
		(void)w3s_cbor_as_uint(item, &u, &err);
		break;
	case W3S_CBOR_FLOAT:
		FUZZ_ASSERT(w3s_cbor_as_float(item, &d, &err) == 0);
		break;
	case W3S_CBOR_BYTES:
		FUZZ_ASSERT(w3s_cbor_as_bytes(item, &bytes, &n, &err) == 0);
		FUZZ_ASSERT(n == w3s_cbor_len(item));
		break;
	case W3S_CBOR_TEXT:
		if (w3s_cbor_as_text(item, &text, &n, &err) == 0)
			FUZZ_ASSERT(strlen(text) == n);
		break;
	case W3S_CBOR_LINK:
		FUZZ_ASSERT(w3s_cbor_as_link(item, &cid, &err) == 0);
		break;
	case W3S_CBOR_ARRAY:
		n = w3s_cbor_len(item);
		for (k = 0; k < n; k++)
			walk(w3s_cbor_array_at(item, k));
		FUZZ_ASSERT(w3s_cbor_array_at(item, n) == NULL);
		break;
	case W3S_CBOR_MAP:
		n = w3s_cbor_len(item);
		for (k = 0; k < n; k++) {
			size_t key_len;
			const char *key = w3s_cbor_map_key_at(item, k,
			    &key_len);

			FUZZ_ASSERT(key != NULL);
			/* Keys are unique: the lookup finds this entry. */
			if (strlen(key) == key_len)
				FUZZ_ASSERT(w3s_cbor_map_get(item, key) ==
				    w3s_cbor_map_value_at(item, k));
			(void)w3s_cbor_get_uint(item, key, &u, &err);
			walk(w3s_cbor_map_value_at(item, k));
		}
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct w3s_cbor_limits lim = { 16, 4096 };
	struct w3s_cbor *tree = NULL;
	struct w3s_err err;
	struct w3s_buf out;

	if (w3s_cbor_decode(data, size, NULL, &tree, &err) != 0) {
		FUZZ_ASSERT(err.code == W3S_EMALFORMED ||
		    err.code == W3S_ESYS);
		return 0;
	}
	walk(tree);
	w3s_buf_init(&out);
	FUZZ_ASSERT(w3s_cbor_encode(tree, &out, &err) == 0);
	FUZZ_ASSERT(out.len == size && memcmp(out.data, data, size) == 0);
	w3s_buf_release(&out);
	w3s_cbor_free(tree);

	/* Tighter limits refuse or give the same tree. */
	tree = NULL;
	if (w3s_cbor_decode(data, size, &lim, &tree, &err) == 0)
		w3s_cbor_free(tree);
	return 0;
}
