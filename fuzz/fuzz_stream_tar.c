/* The stream reader (lib/stream_read.c) below zstd: the input is the tar
 * layer (pax archives of a manifest, metadata records, chunks, trailer),
 * wrapped here in one zstd frame of raw blocks as the writer's store mode
 * writes it, so mutations reach entry names, sizes and records instead
 * of breaking the compression. */
#include "fuzz.h"
#include "stream_feed.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	uint8_t *frame = fuzz_stream_frame(data, size, &len);

	if (frame != NULL)
		fuzz_stream_read(frame, len, 0, NULL);
	free(frame);
	return 0;
}
