/* Import verification without a store (lib/import.c, as cid-verify
 * --stream runs it): the tar layer of a stream, wrapped in a zstd frame
 * as fuzz_stream_tar.c does, verified to its end with no trust policy and
 * again with a trusted root taken from the input. What an import accepts
 * the stream reader accepted, and a full snapshot that verifies had its
 * MMR root recomputed. */
#include <string.h>

#include <w3s/import.h>

#include "fuzz.h"
#include "stream_feed.h"

static int
on_archive(void *ctx, const struct w3s_import_result *res, int code,
    const struct w3s_err *why)
{
	uint64_t *archives = ctx;

	(void)why;
	FUZZ_ASSERT(code == 0 || code == W3S_EVERIFY ||
	    code == W3S_EMALFORMED || code == W3S_EINCOMPLETE ||
	    code == W3S_ENOTAPPLY || code == W3S_ESYS);
	if (code == 0) {
		(*archives)++;
		if (res->kind == W3S_STREAM_FULL)
			FUZZ_ASSERT(res->root_checked);
		FUZZ_ASSERT(res->missing == 0);
	}
	return 0;
}

static void
verify(const uint8_t *frame, size_t len, const struct w3s_import_trust *t)
{
	struct w3s_import_hooks hooks = { 0 };
	struct w3s_stream_reader *r;
	struct fuzz_src src;
	struct w3s_err err;
	uint64_t n = 0, seen = 0;
	int rc;

	if ((r = fuzz_stream_reader(&src, frame, len, 0)) == NULL)
		return;
	hooks.ctx = &seen;
	hooks.archive = on_archive;
	rc = w3s_import_verify_input(r, t, &hooks, &n, &err);
	FUZZ_ASSERT(rc <= 0);
	FUZZ_ASSERT(n == seen);
	w3s_stream_reader_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct w3s_import_trust t;
	uint8_t *frame;
	size_t len;

	if ((frame = fuzz_stream_frame(data, size, &len)) == NULL)
		return 0;
	verify(frame, len, NULL);
	/* A trusted root: the last 32 bytes of the input. */
	if (size >= W3S_H256) {
		memset(&t, 0, sizeof(t));
		t.has_root = 1;
		memcpy(t.root, data + size - W3S_H256, W3S_H256);
		verify(frame, len, &t);
	}
	free(frame);
	return 0;
}
