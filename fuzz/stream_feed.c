/* Reads a stream held in memory to its end or its first error, checking
 * the events against what stream.h promises. */
#include <string.h>

#include <w3s/hash.h>
#include <w3s/stream.h>

#include "fuzz.h"
#include "stream_feed.h"

struct src {
	const uint8_t *p;
	size_t len, off, step;
};

static long
source(void *ctx, void *buf, size_t cap, struct w3s_err *err)
{
	struct src *s = ctx;
	size_t n = s->len - s->off;

	(void)err;
	if (n > cap)
		n = cap;
	if (s->step != 0 && n > s->step)
		n = s->step;
	if (n > 0)
		memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (long)n;
}

void
fuzz_stream_read(const uint8_t *data, size_t size, size_t step)
{
	struct src s = { data, size, 0, step };
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct w3s_stream_pos pos;
	struct w3s_err err;
	uint8_t h[W3S_HASH_LEN];
	int rc, again, events = 0;

	if ((r = w3s_stream_reader_new_cb(source, &s, &err)) == NULL)
		return;
	for (;;) {
		rc = w3s_stream_next(r, &ev, &err);
		if (rc != 0 || ev.type == W3S_STREAM_EV_EOF)
			break;
		events++;
		w3s_stream_reader_pos(r, &pos);
		FUZZ_ASSERT(w3s_stream_reader_manifest(r) != NULL);
		switch (ev.type) {
		case W3S_STREAM_EV_CHUNK:
			/* A chunk event is hashed and equal to its CID. */
			FUZZ_ASSERT(ev.u.chunk->len <= W3S_STREAM_CHUNK_MAX);
			w3s_hash_blake2b(h, ev.u.chunk->data, ev.u.chunk->len);
			FUZZ_ASSERT(memcmp(h, ev.u.chunk->hash, sizeof(h)) == 0);
			FUZZ_ASSERT(strlen(ev.u.chunk->cid) ==
			    W3S_CHUNK_CID_LEN);
			break;
		case W3S_STREAM_EV_SEGMENT:
			FUZZ_ASSERT(ev.u.segment->nhashes <=
			    W3S_SEGMENT_PIECE_MAX);
			break;
		case W3S_STREAM_EV_TRAILER:
			FUZZ_ASSERT(!pos.in_archive);
			break;
		default:
			break;
		}
	}
	if (rc != 0) {
		FUZZ_ASSERT(rc == W3S_EINCOMPLETE || rc == W3S_EMALFORMED ||
		    rc == W3S_EVERIFY || rc == W3S_ESYS);
		/* After an error every call returns it again. */
		again = w3s_stream_next(r, &ev, &err);
		FUZZ_ASSERT(again == rc);
	} else {
		FUZZ_ASSERT(w3s_stream_next(r, &ev, &err) == 0 &&
		    ev.type == W3S_STREAM_EV_EOF);
	}
	w3s_stream_reader_free(r);
}
