/* stream_scan: finding the archives of a stream file and reading their
 * manifests without their chunks (see w3s_stream_scan in stream.h). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <w3s/err.h>
#include <w3s/manifest.h>
#include <w3s/stream.h>

long
w3s_stream_range_read(void *ctx, void *buf, size_t cap, struct w3s_err *err)
{
	struct w3s_stream_range *s = ctx;
	ssize_t n;

	if (cap > LONG_MAX)
		cap = LONG_MAX;
	if (cap > s->end - s->off)
		cap = (size_t)(s->end - s->off);
	if (cap == 0)
		return 0;
	do
		n = pread(s->fd, buf, cap, (off_t)s->off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return w3s_err_sys(err, errno, "read failed");
	s->off += (uint64_t)n;
	return (long)n;
}

/* The manifest of the archive that starts at byte off of fd, read from
 * no further than byte end: 0 with *m filled, or the reader's code. The
 * reader stops at the manifest: no chunk is read. */
static int
read_manifest(int fd, uint64_t off, uint64_t end, struct w3s_manifest *m,
    struct w3s_err *err)
{
	struct w3s_stream_range src = { fd, off, end };
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	int rc;

	if ((r = w3s_stream_reader_new_cb(w3s_stream_range_read, &src,
	    err)) == NULL)
		return W3S_ESYS;
	rc = w3s_stream_next(r, &ev, err);
	if (rc == 0 && ev.type != W3S_STREAM_EV_MANIFEST)
		rc = w3s_err_set(err, W3S_EMALFORMED, "no archive");
	if (rc == 0)
		*m = *ev.u.manifest;
	w3s_stream_reader_free(r);
	return rc;
}

/* Exactly len bytes at off: 0, 1 when the file ends first, or W3S_ESYS. */
static int
read_at(int fd, uint64_t off, void *buf, size_t len, struct w3s_err *err)
{
	uint8_t *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, p + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return w3s_err_sys(err, errno, "read failed");
		if (n == 0)
			return 1;
		got += (size_t)n;
	}
	return 0;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* The end of the zstd frame or skippable frame at byte off of a file of
 * size bytes (RFC 8878 section 3.1), found from the frame and block
 * headers alone: 0 with *end set and *data 1 for a zstd frame (0 for a
 * skippable one), 1 when the bytes at off are not a whole frame, or
 * W3S_ESYS. */
static int
frame_end(int fd, uint64_t off, uint64_t size, uint64_t *end, int *data,
    struct w3s_err *err)
{
	static const unsigned did_len[4] = { 0, 1, 2, 4 };
	uint8_t h[5];
	uint64_t pos;
	uint32_t magic, block;
	unsigned fhd, single, fcs_flag;
	int rc, last;

	if ((rc = read_at(fd, off, h, 4, err)) != 0)
		return rc;
	magic = le32(h);
	if ((magic & 0xfffffff0u) == 0x184d2a50u) {
		if ((rc = read_at(fd, off + 4, h, 4, err)) != 0)
			return rc;
		*end = off + 8 + le32(h);
		*data = 0;
		return *end <= size ? 0 : 1;
	}
	if (magic != 0xfd2fb528u)
		return 1;
	if ((rc = read_at(fd, off + 4, h, 1, err)) != 0)
		return rc;
	fhd = h[0];
	if (fhd & 0x08)		/* the reserved bit */
		return 1;
	single = (fhd >> 5) & 1;
	fcs_flag = fhd >> 6;
	pos = off + 5 + (single ? 0 : 1) + did_len[fhd & 3] +
	    (fcs_flag == 0 ? single : 1u << fcs_flag);
	do {
		if (pos > size)
			return 1;
		if ((rc = read_at(fd, pos, h, 3, err)) != 0)
			return rc;
		block = (uint32_t)h[0] | (uint32_t)h[1] << 8 |
		    (uint32_t)h[2] << 16;
		last = block & 1;
		switch ((block >> 1) & 3) {
		case 1:		/* RLE: one byte, repeated */
			pos += 3 + 1;
			break;
		case 3:		/* reserved */
			return 1;
		default:	/* raw or compressed */
			pos += 3 + (block >> 3);
			break;
		}
	} while (!last);
	if (fhd & 0x04)		/* content checksum */
		pos += 4;
	if (pos > size)
		return 1;
	*end = pos;
	*data = 1;
	return 0;
}

/* The archives of a stream file: the first at the start of the file, the
 * others at each later zstd frame that starts an archive, read from the
 * bytes of that frame alone (w3sync writes each archive as one frame, so
 * `cat` and --all give one archive per frame; and a file of many small
 * frames costs one short read each, not a read of the rest of the file
 * each). Frames that start no archive are probed up to a budget,
 * MISS_BUDGET plus one per MISS_SPACING bytes of the file: an archive
 * another tool split into frames stays within it, a file of many tiny
 * frames does not cost a probe each; past it, *gave_up is set and the rest
 * of the file is not looked at. An archive is passed to fn once the next
 * one is found (or the walk ends), so its end is known. */
#define MISS_BUDGET 1024
#define MISS_SPACING 65536
int
w3s_stream_scan(int fd, uint64_t size, w3s_stream_scan_fn fn, void *ctx,
    int *gave_up, struct w3s_err *err)
{
	struct w3s_stream_archive a, next;
	struct w3s_err later = { 0 };
	uint64_t off = 0, end, misses = 0;
	int rc, data, first = 1;

	*gave_up = 0;
	memset(&a, 0, sizeof(a));
	if ((rc = read_manifest(fd, 0, size, &a.manifest, err)) != 0)
		return rc;
	while (off < size) {
		if ((rc = frame_end(fd, off, size, &end, &data, err)) < 0)
			return rc;
		if (rc > 0)	/* not a frame: no archive is seen past it */
			break;
		if (data && !first) {
			rc = read_manifest(fd, off, end, &next.manifest, &later);
			if (rc == W3S_ESYS) {
				*err = later;
				return rc;
			}
			/* Else a frame that goes on with the archive before
			 * it, or one whose manifest is not readable. */
			if (rc == 0) {
				a.end = off;
				if ((rc = fn(ctx, &a, err)) != 0)
					return rc;
				next.offset = off;
				a = next;
			} else if (++misses > MISS_BUDGET +
			    size / MISS_SPACING) {
				*gave_up = 1;
				break;
			}
		}
		if (data)
			first = 0;
		off = end;
	}
	a.end = size;
	return fn(ctx, &a, err);
}
