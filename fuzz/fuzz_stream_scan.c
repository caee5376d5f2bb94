/* Scanning a stream file for its archives (lib/stream_scan.c, as
 * delta-replay and snapshot-prune do with files from peers): the input is
 * the file, held in a memfd. The archives found must tile the file from
 * byte 0 to its end, and each must read back, through
 * w3s_stream_range_read, to the manifest the scan reported. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <w3s/stream.h>

#include "fuzz.h"

struct walk {
	int fd;
	uint64_t size;
	uint64_t next;		/* where the next archive must start */
	unsigned n;
};

static int
same_manifest(const struct w3s_manifest *a, const struct w3s_manifest *b)
{
	return a->kind == b->kind && a->bucket == b->bucket &&
	    a->has_base == b->has_base &&
	    memcmp(&a->base, &b->base, sizeof(a->base)) == 0 &&
	    memcmp(&a->target, &b->target, sizeof(a->target)) == 0 &&
	    a->nsigs == b->nsigs &&
	    memcmp(&a->counts, &b->counts, sizeof(a->counts)) == 0 &&
	    a->resume_chunk == b->resume_chunk &&
	    a->resume_byte == b->resume_byte &&
	    a->has_producer == b->has_producer && a->created == b->created;
}

static int
on_archive(void *ctx, const struct w3s_stream_archive *a,
    struct w3s_err *err)
{
	struct walk *w = ctx;
	struct w3s_stream_range src = { w->fd, a->offset, a->end };
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct w3s_err e2;

	(void)err;
	FUZZ_ASSERT(a->offset == w->next);
	FUZZ_ASSERT(a->offset < a->end && a->end <= w->size);
	w->next = a->end;
	w->n++;
	if ((r = w3s_stream_reader_new_cb(w3s_stream_range_read, &src,
	    &e2)) == NULL)
		return 0;
	FUZZ_ASSERT(w3s_stream_next(r, &ev, &e2) == 0);
	FUZZ_ASSERT(ev.type == W3S_STREAM_EV_MANIFEST);
	FUZZ_ASSERT(same_manifest(ev.u.manifest, &a->manifest));
	w3s_stream_reader_free(r);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w = { -1, size, 0, 0 };
	struct w3s_err err;
	size_t off = 0;
	int gave_up = 0, rc;

	if ((w.fd = memfd_create("fuzz_stream_scan", 0)) < 0)
		return 0;
	while (off < size) {
		ssize_t n = write(w.fd, data + off, size - off);

		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	rc = w3s_stream_scan(w.fd, size, on_archive, &w, &gave_up, &err);
	FUZZ_ASSERT(rc <= 0);
	if (rc == 0)
		FUZZ_ASSERT(w.n > 0 && w.next == size);
out:
	close(w.fd);
	return 0;
}
