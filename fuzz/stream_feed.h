/* Shared by fuzz_stream.c and fuzz_stream_tar.c: reads a whole stream
 * through w3s_stream_reader_new_cb and checks what the reader promises
 * about its events. */
#ifndef W3S_FUZZ_STREAM_FEED_H
#define W3S_FUZZ_STREAM_FEED_H

#include <stddef.h>
#include <stdint.h>

/* step: at most this many bytes per source call (0: as many as fit). */
void fuzz_stream_read(const uint8_t *data, size_t size, size_t step);

#endif
