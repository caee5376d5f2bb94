/* Reads a stream held in memory to its end or its first error, checking
 * the events against what stream.h promises. */
#include <string.h>

#include <w3s/hash.h>
#include <w3s/stream.h>

#include "fuzz.h"
#include "stream_feed.h"

/* zstd's largest block; the frame header announces a 128 KiB window
 * (single-segment off, no checksum, no content size). */
#define BLOCK_MAX (128u * 1024)

static long
source(void *ctx, void *buf, size_t cap, struct w3s_err *err)
{
	struct fuzz_src *s = ctx;
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

struct w3s_stream_reader *
fuzz_stream_reader(struct fuzz_src *src, const uint8_t *data, size_t size,
    size_t step)
{
	struct w3s_err err;

	src->p = data;
	src->len = size;
	src->off = 0;
	src->step = step;
	return w3s_stream_reader_new_cb(source, src, &err);
}

uint8_t *
fuzz_stream_frame(const uint8_t *data, size_t size, size_t *frame_len)
{
	static const uint8_t head[6] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38 };
	size_t nblocks = size / BLOCK_MAX + 1, off = 0, o;
	uint8_t *frame = malloc(sizeof(head) + 3 * nblocks + size);

	if (frame == NULL)
		return NULL;
	memcpy(frame, head, sizeof(head));
	o = sizeof(head);
	do {
		size_t n = size - off > BLOCK_MAX ? BLOCK_MAX : size - off;
		uint32_t bh = (uint32_t)n << 3 | (off + n == size);

		frame[o++] = bh & 0xff;
		frame[o++] = (bh >> 8) & 0xff;
		frame[o++] = (bh >> 16) & 0xff;
		if (n > 0)
			memcpy(frame + o, data + off, n);
		o += n;
		off += n;
	} while (off < size);
	*frame_len = o;
	return frame;
}

void
fuzz_stream_read(const uint8_t *data, size_t size, size_t step,
    struct fuzz_stream_outcome *out)
{
	struct fuzz_src s;
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct w3s_stream_pos pos;
	struct w3s_err err;
	uint8_t h[W3S_HASH_LEN];
	int rc, again;
	unsigned long events = 0;

	if (out != NULL) {
		out->rc = W3S_ESYS;
		out->events = 0;
	}
	if ((r = fuzz_stream_reader(&s, data, size, step)) == NULL)
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
	if (out != NULL) {
		out->rc = rc;
		out->events = events;
	}
}
