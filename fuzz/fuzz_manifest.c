/* The DAG-CBOR records of a stream (lib/manifest.c): the manifest, the
 * trailer, and a metadata entry (an array of deletion, segment,
 * checkpoint or index records). The input is tried as each. Decoders are
 * strict and encoders deterministic, so an accepted manifest or trailer
 * encodes back to the input, and an accepted record to the item it came
 * from. */
#include <string.h>

#include <w3s/cbor.h>
#include <w3s/manifest.h>

#include "fuzz.h"

static void
same(struct w3s_buf *b, const uint8_t *data, size_t size)
{
	FUZZ_ASSERT(!b->failed);
	FUZZ_ASSERT(b->len == size && memcmp(b->data, data, size) == 0);
	w3s_buf_release(b);
}

/* The record's encoding decodes to a tree that encodes as item does. */
static void
same_item(struct w3s_buf *rec, const struct w3s_cbor *item)
{
	struct w3s_buf want;
	struct w3s_err err;

	w3s_buf_init(&want);
	FUZZ_ASSERT(w3s_cbor_encode(item, &want, &err) == 0);
	same(rec, want.data, want.len);
	w3s_buf_release(&want);
}

static void
record(const struct w3s_cbor *item)
{
	struct w3s_deletion_rec d;
	struct w3s_segment_rec s;
	struct w3s_checkpoint_rec c;
	struct w3s_index_entry e;
	struct w3s_err err;
	struct w3s_buf b;

	if (w3s_deletion_from_cbor(item, &d, &err) == 0) {
		w3s_buf_init(&b);
		FUZZ_ASSERT(w3s_deletion_encode(&d, &b, &err) == 0);
		same_item(&b, item);
		(void)w3s_deletion_verify(1, &d, &err);
	}
	if (w3s_segment_from_cbor(item, &s, &err) == 0) {
		FUZZ_ASSERT(s.nhashes <= W3S_SEGMENT_PIECE_MAX);
		w3s_buf_init(&b);
		FUZZ_ASSERT(w3s_segment_encode(&s, &b, &err) == 0);
		same_item(&b, item);
	}
	if (w3s_checkpoint_from_cbor(item, &c, &err) == 0) {
		FUZZ_ASSERT(c.nsigs <= W3S_SIGS_MAX);
		w3s_buf_init(&b);
		FUZZ_ASSERT(w3s_checkpoint_encode(&c, &b, &err) == 0);
		same_item(&b, item);
		(void)w3s_checkpoint_verify_sigs(1, &c, &err);
	}
	if (w3s_index_entry_from_cbor(item, &e, &err) == 0) {
		FUZZ_ASSERT(e.name_len >= 1 &&
		    e.name_len <= W3S_INDEX_NAME_MAX);
		w3s_buf_init(&b);
		FUZZ_ASSERT(w3s_index_entry_encode(&e, &b, &err) == 0);
		same_item(&b, item);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct w3s_manifest *m = malloc(sizeof(*m));
	uint8_t id[W3S_HASH_LEN], msg[W3S_TRAILER_MSG_LEN];
	struct w3s_cbor *tree = NULL;
	struct w3s_trailer t;
	struct w3s_err err;
	struct w3s_buf b;

	if (m == NULL)
		return 0;
	if (w3s_manifest_decode(data, size, m, &err) == 0) {
		FUZZ_ASSERT(w3s_manifest_check(m, W3S_EMALFORMED, &err) == 0);
		FUZZ_ASSERT(w3s_manifest_carried_chunks(m) <=
		    m->counts.chunks);
		FUZZ_ASSERT(w3s_manifest_carried_bytes(m) <=
		    m->counts.chunk_bytes);
		w3s_buf_init(&b);
		FUZZ_ASSERT(w3s_manifest_encode(m, &b, &err) == 0);
		same(&b, data, size);
		FUZZ_ASSERT(w3s_manifest_snapshot_id(m, id, &err) == 0);
		(void)w3s_manifest_verify_sigs(m, &err);
	}
	free(m);
	if (w3s_trailer_decode(data, size, &t, &err) == 0) {
		w3s_buf_init(&b);
		FUZZ_ASSERT(w3s_trailer_encode(&t, &b, &err) == 0);
		same(&b, data, size);
		w3s_trailer_message(&t, msg);
	}
	if (w3s_cbor_decode(data, size, NULL, &tree, &err) == 0) {
		size_t n = w3s_cbor_len(tree);

		if (w3s_cbor_type(tree) == W3S_CBOR_ARRAY)
			for (size_t i = 0; i < n; i++)
				record(w3s_cbor_array_at(tree, i));
		else
			record(tree);
		w3s_cbor_free(tree);
	}
	return 0;
}
