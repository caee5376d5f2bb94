/* Private to the stream module (stream.c, stream_write.c, stream_read.c):
 * entry names and the zstd framing constants both sides share. */
#ifndef W3S_STREAM_INT_H
#define W3S_STREAM_INT_H

#include <stdint.h>

#define STREAM_MANIFEST_NAME "manifest.cbor"
#define STREAM_TRAILER_NAME "trailer.cbor"
#define STREAM_META_PREFIX "meta/"
#define STREAM_META_DIGITS 12
#define STREAM_META_SUFFIX ".cbor"
#define STREAM_CHUNK_PREFIX "chunks/"

/* Store mode: zstd frames of raw blocks (RFC 8878 section 3.1.1). */
#define STREAM_ZSTD_MAGIC 0xfd2fb528u
#define STREAM_RAW_BLOCK_MAX (128u * 1024)

/* Updates the metadata digest with one metadata entry: its name, a NUL,
 * its size as u64le; the data follows through w3s_hasher_update. */
struct w3s_hasher;
void stream_meta_digest_entry(struct w3s_hasher *h, const char *name,
    uint64_t size);

/* A pipe's buffer as the fd constructors set it: with the default 64 KiB
 * a writer and a reader on two cores spend their time switching (1 GiB
 * moved at half the speed). */
#define STREAM_PIPE_SIZE (1 << 20)
void stream_grow_pipe(int fd);

#endif
