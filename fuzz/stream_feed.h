/* Shared by the stream targets: a stream reader over bytes in memory,
 * the tar layer wrapped in a zstd frame, and a whole read that checks
 * what stream.h promises about the events. */
#ifndef W3S_FUZZ_STREAM_FEED_H
#define W3S_FUZZ_STREAM_FEED_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/stream.h>

struct fuzz_src {
	const uint8_t *p;
	size_t len, off, step;
};

/* A reader over data[0..size), at most step bytes per source call (0: as
 * many as fit); src must outlive it. NULL when memory ran out. */
struct w3s_stream_reader *fuzz_stream_reader(struct fuzz_src *src,
    const uint8_t *data, size_t size, size_t step);

/* data wrapped in one zstd frame of raw blocks, as the writer's store
 * mode writes it (caller frees; NULL when memory ran out). */
uint8_t *fuzz_stream_frame(const uint8_t *data, size_t size,
    size_t *frame_len);

/* How a read ended: 0 at EOF or the error code, after events events. */
struct fuzz_stream_outcome {
	int rc;
	unsigned long events;
};

/* Reads a whole stream to its end or its first error; out may be NULL. */
void fuzz_stream_read(const uint8_t *data, size_t size, size_t step,
    struct fuzz_stream_outcome *out);

#endif
