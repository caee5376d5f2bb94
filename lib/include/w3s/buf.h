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
