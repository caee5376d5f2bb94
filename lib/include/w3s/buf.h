/* A growable byte buffer for encoders, and a bounds-checked reader for
 * decoders. */
#ifndef W3S_BUF_H
#define W3S_BUF_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>

struct w3s_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int failed;	/* set when an allocation failed; later puts are no-ops */
};

/* Initialises an empty buffer (no allocation). */
void w3s_buf_init(struct w3s_buf *b);
void w3s_buf_release(struct w3s_buf *b);
void w3s_buf_put(struct w3s_buf *b, const void *data, size_t len);
void w3s_buf_put_u8(struct w3s_buf *b, uint8_t v);
void w3s_buf_put_u32le(struct w3s_buf *b, uint32_t v);
void w3s_buf_put_u64le(struct w3s_buf *b, uint64_t v);
/* 0, or W3S_ESYS (with a message) if any put failed to allocate. */
int w3s_buf_check(const struct w3s_buf *b, struct w3s_err *err);

/* Appends what is left of fd, read to its end, to out: 0; W3S_EMALFORMED
 * ("longer than MAX bytes") when there is more than max bytes (out then
 * holds the first max or more); W3S_ESYS ("cannot read: why") when a read
 * fails or memory runs out. fd is not closed. */
int w3s_buf_read_fd(struct w3s_buf *out, int fd, size_t max,
    struct w3s_err *err);

/* Room for one more element in a growable array: *arr (a pointer to the
 * array's pointer) holds n elements of size bytes in room for *cap. When
 * it is full, the room doubles (16 at first). 0, or -1 when memory runs
 * out or the size would overflow (the array is then unchanged). */
int w3s_array_grow(void *arr, size_t *cap, size_t n, size_t size);

struct w3s_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
};

void w3s_rd_init(struct w3s_rd *r, const void *data, size_t len);
size_t w3s_rd_left(const struct w3s_rd *r);
/* Each returns 0 or W3S_EMALFORMED when the input is too short. */
int w3s_rd_get(struct w3s_rd *r, void *out, size_t len, struct w3s_err *err);
int w3s_rd_u8(struct w3s_rd *r, uint8_t *v, struct w3s_err *err);
int w3s_rd_u32le(struct w3s_rd *r, uint32_t *v, struct w3s_err *err);
int w3s_rd_u64le(struct w3s_rd *r, uint64_t *v, struct w3s_err *err);
/* Borrows len bytes from the input (valid while the input is). */
int w3s_rd_view(struct w3s_rd *r, const uint8_t **out, size_t len,
    struct w3s_err *err);

void w3s_put_u64le(uint8_t out[8], uint64_t v);
uint64_t w3s_get_u64le(const uint8_t in[8]);

#endif
