#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/buf.h>

void
w3s_buf_init(struct w3s_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
w3s_buf_release(struct w3s_buf *b)
{
	free(b->data);
	w3s_buf_init(b);
}

static int
reserve(struct w3s_buf *b, size_t extra)
{
	size_t cap;
	uint8_t *p;

	if (b->failed)
		return -1;
	if (extra <= b->cap - b->len)
		return 0;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->failed = 1;
		return -1;
	}
	cap = b->cap ? b->cap : 64;
	while (cap - b->len < extra)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void
w3s_buf_put(struct w3s_buf *b, const void *data, size_t len)
{
	if (len == 0 || reserve(b, len) != 0)
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void
w3s_buf_put_u8(struct w3s_buf *b, uint8_t v)
{
	w3s_buf_put(b, &v, 1);
}

void
w3s_buf_put_u32le(struct w3s_buf *b, uint32_t v)
{
	uint8_t le[4] = { v, v >> 8, v >> 16, v >> 24 };

	w3s_buf_put(b, le, sizeof(le));
}

void
w3s_buf_put_u64le(struct w3s_buf *b, uint64_t v)
{
	uint8_t le[8];

	w3s_put_u64le(le, v);
	w3s_buf_put(b, le, sizeof(le));
}

int
w3s_buf_check(const struct w3s_buf *b, struct w3s_err *err)
{
	if (b->failed)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	return 0;
}

void
w3s_rd_init(struct w3s_rd *r, const void *data, size_t len)
{
	r->p = data;
	r->len = len;
	r->off = 0;
}

size_t
w3s_rd_left(const struct w3s_rd *r)
{
	return r->len - r->off;
}

int
w3s_rd_view(struct w3s_rd *r, const uint8_t **out, size_t len,
    struct w3s_err *err)
{
	if (len > w3s_rd_left(r))
		return w3s_err_set(err, W3S_EMALFORMED,
		    "input ends after %zu bytes, %zu more needed", r->len,
		    len - w3s_rd_left(r));
	*out = r->p + r->off;
	r->off += len;
	return 0;
}

int
w3s_rd_get(struct w3s_rd *r, void *out, size_t len, struct w3s_err *err)
{
	const uint8_t *p = NULL;
	int rc;

	if ((rc = w3s_rd_view(r, &p, len, err)) != 0)
		return rc;
	if (len > 0)
		memcpy(out, p, len);
	return 0;
}

int
w3s_rd_u8(struct w3s_rd *r, uint8_t *v, struct w3s_err *err)
{
	return w3s_rd_get(r, v, 1, err);
}

int
w3s_rd_u32le(struct w3s_rd *r, uint32_t *v, struct w3s_err *err)
{
	const uint8_t *p = NULL;
	int rc;

	if ((rc = w3s_rd_view(r, &p, 4, err)) != 0)
		return rc;
	*v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	return 0;
}

int
w3s_rd_u64le(struct w3s_rd *r, uint64_t *v, struct w3s_err *err)
{
	const uint8_t *p = NULL;
	int rc;

	if ((rc = w3s_rd_view(r, &p, 8, err)) != 0)
		return rc;
	*v = w3s_get_u64le(p);
	return 0;
}

void
w3s_put_u64le(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

uint64_t
w3s_get_u64le(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | in[i];
	return v;
}

int
w3s_array_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void **pp = arr;
	size_t ncap;
	void *q;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return -1;
	if ((q = realloc(*pp, ncap * size)) == NULL)
		return -1;
	*pp = q;
	*cap = ncap;
	return 0;
}

int
w3s_buf_read_fd(struct w3s_buf *out, int fd, size_t max,
    struct w3s_err *err)
{
	uint8_t chunk[65536];
	size_t got = 0;
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return w3s_err_sys(err, errno, "cannot read");
		}
		if ((size_t)n > max - got)
			return w3s_err_set(err, W3S_EMALFORMED, "longer than"
			    " %zu bytes", max);
		got += (size_t)n;
		w3s_buf_put(out, chunk, (size_t)n);
	}
	return w3s_buf_check(out, err);
}
