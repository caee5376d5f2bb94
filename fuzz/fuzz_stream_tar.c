/* The stream reader (lib/stream_read.c) below zstd: the input is the tar
 * layer (pax archives of a manifest, metadata records, chunks, trailer),
 * wrapped here in one zstd frame of raw blocks as the writer's store mode
 * writes it, so mutations reach entry names, sizes and records instead
 * of breaking the compression. */
#include <string.h>

#include "fuzz.h"
#include "stream_feed.h"

/* zstd's largest block; the frame header below announces a 128 KiB
 * window (single-segment off, no checksum, no content size). */
#define BLOCK_MAX (128u * 1024)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t head[6] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38 };
	size_t nblocks = size / BLOCK_MAX + 1, off = 0, o;
	uint8_t *frame = malloc(sizeof(head) + 3 * nblocks + size);

	if (frame == NULL)
		return 0;
	memcpy(frame, head, sizeof(head));
	o = sizeof(head);
	do {
		size_t n = size - off > BLOCK_MAX ? BLOCK_MAX : size - off;
		uint32_t bh = (uint32_t)n << 3 | (off + n == size);

		frame[o++] = bh & 0xff;
		frame[o++] = (bh >> 8) & 0xff;
		frame[o++] = (bh >> 16) & 0xff;
		memcpy(frame + o, data + off, n);
		o += n;
		off += n;
	} while (off < size);
	fuzz_stream_read(frame, o, 0);
	free(frame);
	return 0;
}
