/* Stream writer: calls -> pax tar entries (libarchive, unblocked) -> one
 * zstd frame per archive (libzstd, or raw blocks in store mode) -> the
 * caller's sink. Every byte is a function of the calls, so the same
 * inputs give the same bytes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include <w3s/buf.h>
#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/key.h>
#include <w3s/manifest.h>
#include <w3s/stream.h>

#include "stream_int.h"

enum wstate {
	W_IDLE,		/* between archives */
	W_META,		/* manifest written; metadata may come */
	W_CHUNKS,	/* chunks may come */
};

struct w3s_stream_writer {
	int (*sink)(void *ctx, const void *data, size_t len,
	    struct w3s_err *err);
	void *sink_ctx;
	int fd;
	int level;
	int failed;		/* a W3S_E* code once an error happened */
	struct w3s_err saved;
	uint64_t bytes;		/* compressed bytes handed to the sink */

	ZSTD_CCtx *cctx;
	uint8_t *zout;		/* compressed bytes not yet handed over */
	size_t zout_cap, zout_len;
	uint8_t *raw;		/* store mode: the block being filled */
	size_t raw_len;

	struct archive *a;
	struct archive_entry *ent;
	enum wstate state;
	struct w3s_manifest m;
	uint8_t manifest_digest[W3S_HASH_LEN];
	struct w3s_hasher *meta_hash;

	/* metadata entry being filled */
	int entry_open;
	enum w3s_meta_kind entry_kind;
	struct w3s_buf entry;
	uint64_t entry_records;
	uint64_t meta_entries;
	int last_kind;		/* rank of the last record's kind, -1 */
	struct w3s_buf rec;

	/* what was put, against the manifest */
	struct w3s_stream_counts got;
	uint64_t chunks, chunk_bytes;	/* carried */

	/* segment being given */
	int seg_open;
	int any_seg;
	uint64_t seg_seq;
	struct w3s_leaf seg_leaf;
	uint64_t seg_count;	/* its chunk count */
	uint64_t seg_given;	/* hashes given so far */
	uint8_t (*piece)[W3S_H256];
	size_t piece_len;
};

/* ---- output: sink, zstd ---------------------------------------------- */

static int
fail(struct w3s_stream_writer *w, int code)
{
	if (!w->failed) {
		w->failed = code;
		w->saved.code = code;
	}
	return code;
}

static int
fd_sink(void *ctx, const void *data, size_t len, struct w3s_err *err)
{
	struct w3s_stream_writer *w = ctx;
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return w3s_err_sys(err, errno, "cannot write the stream");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
flush_zout(struct w3s_stream_writer *w)
{
	int rc;

	if (w->zout_len == 0)
		return 0;
	if ((rc = w->sink(w->sink_ctx, w->zout, w->zout_len, &w->saved)) != 0)
		return fail(w, rc);
	w->bytes += w->zout_len;
	w->zout_len = 0;
	return 0;
}

static int
zout_put(struct w3s_stream_writer *w, const void *data, size_t len)
{
	int rc;

	if (len > w->zout_cap - w->zout_len && (rc = flush_zout(w)) != 0)
		return rc;
	memcpy(w->zout + w->zout_len, data, len);
	w->zout_len += len;
	return 0;
}

/* Store mode: one raw block of what raw holds (its 3-byte block header
 * goes in front of the data, in one write). */
static int
raw_block(struct w3s_stream_writer *w, int last)
{
	uint32_t h = (uint32_t)w->raw_len << 3 | (last ? 1 : 0);
	int rc;

	if ((rc = flush_zout(w)) != 0)
		return rc;
	w->raw[0] = (uint8_t)h;
	w->raw[1] = (uint8_t)(h >> 8);
	w->raw[2] = (uint8_t)(h >> 16);
	if ((rc = w->sink(w->sink_ctx, w->raw, 3 + w->raw_len,
	    &w->saved)) != 0)
		return fail(w, rc);
	w->bytes += 3 + w->raw_len;
	w->raw_len = 0;
	return 0;
}

static int
frame_begin(struct w3s_stream_writer *w)
{
	/* Magic; no content size, not single segment, no checksum, no
	 * dictionary; window 128 KiB (exponent 7), the largest block. */
	static const uint8_t head[6] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38 };

	if (w->level != W3S_STREAM_LEVEL_STORE)
		return 0;
	w->raw_len = 0;
	return zout_put(w, head, sizeof(head));
}

static int
compress(struct w3s_stream_writer *w, const void *data, size_t len,
    ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { data, len, 0 };
	size_t left;
	int rc;

	if (w->level == W3S_STREAM_LEVEL_STORE) {
		const uint8_t *p = data;

		while (len > 0) {
			size_t n = STREAM_RAW_BLOCK_MAX - w->raw_len;

			if (n > len)
				n = len;
			memcpy(w->raw + 3 + w->raw_len, p, n);
			w->raw_len += n;
			p += n;
			len -= n;
			if (w->raw_len == STREAM_RAW_BLOCK_MAX &&
			    (rc = raw_block(w, 0)) != 0)
				return rc;
		}
		if (end == ZSTD_e_end)
			return raw_block(w, 1);
		return 0;
	}
	do {
		ZSTD_outBuffer out = { w->zout + w->zout_len,
		    w->zout_cap - w->zout_len, 0 };

		left = ZSTD_compressStream2(w->cctx, &out, &in, end);
		if (ZSTD_isError(left)) {
			w3s_err_set(&w->saved, W3S_ESYS, "zstd: %s",
			    ZSTD_getErrorName(left));
			return fail(w, W3S_ESYS);
		}
		w->zout_len += out.pos;
		if (w->zout_len == w->zout_cap && (rc = flush_zout(w)) != 0)
			return rc;
	} while (in.pos < in.size || (end == ZSTD_e_end && left != 0));
	if (end == ZSTD_e_end)
		return flush_zout(w);
	return 0;
}

static la_ssize_t
tar_out(struct archive *a, void *ctx, const void *data, size_t len)
{
	struct w3s_stream_writer *w = ctx;

	(void)a;
	if (w->failed || compress(w, data, len, ZSTD_e_continue) != 0)
		return -1;
	return (la_ssize_t)len;
}

/* ---- construction ---------------------------------------------------- */

static struct w3s_stream_writer *
writer_new(int level, struct w3s_err *err)
{
	struct w3s_stream_writer *w;

	if (level < W3S_STREAM_LEVEL_STORE || level > W3S_STREAM_LEVEL_MAX) {
		w3s_err_set(err, W3S_EUSAGE, "compression level %d is not "
		    "between %d and %d", level, W3S_STREAM_LEVEL_STORE,
		    W3S_STREAM_LEVEL_MAX);
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto nomem;
	w->level = level;
	w->fd = -1;
	w3s_buf_init(&w->entry);
	w3s_buf_init(&w->rec);
	w->zout_cap = ZSTD_CStreamOutSize();
	if (w->zout_cap < 4096)
		w->zout_cap = 4096;
	w->zout = malloc(w->zout_cap);
	w->piece = malloc(W3S_SEGMENT_PIECE_MAX * sizeof(*w->piece));
	w->ent = archive_entry_new();
	if (w->zout == NULL || w->piece == NULL || w->ent == NULL)
		goto nomem;
	if (level == W3S_STREAM_LEVEL_STORE) {
		if ((w->raw = malloc(3 + STREAM_RAW_BLOCK_MAX)) == NULL)
			goto nomem;
	} else {
		if ((w->cctx = ZSTD_createCCtx()) == NULL)
			goto nomem;
		if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx,
		    ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx,
		    ZSTD_c_checksumFlag, 1))) {
			w3s_err_set(err, W3S_ESYS, "zstd: cannot set level %d",
			    level);
			w3s_stream_writer_free(w);
			return NULL;
		}
	}
	return w;
nomem:
	w3s_stream_writer_free(w);
	w3s_err_set(err, W3S_ESYS, "out of memory");
	return NULL;
}

struct w3s_stream_writer *
w3s_stream_writer_new(int fd, int level, struct w3s_err *err)
{
	struct w3s_stream_writer *w = writer_new(level, err);

	if (w != NULL) {
		w->fd = fd;
		stream_grow_pipe(fd);
		w->sink = fd_sink;
		w->sink_ctx = w;
	}
	return w;
}

struct w3s_stream_writer *
w3s_stream_writer_new_cb(int (*fn)(void *ctx, const void *data, size_t len,
    struct w3s_err *err), void *ctx, int level, struct w3s_err *err)
{
	struct w3s_stream_writer *w = writer_new(level, err);

	if (w != NULL) {
		w->sink = fn;
		w->sink_ctx = ctx;
	}
	return w;
}

void
w3s_stream_writer_free(struct w3s_stream_writer *w)
{
	if (w == NULL)
		return;
	if (w->a != NULL)
		archive_write_free(w->a);
	archive_entry_free(w->ent);
	ZSTD_freeCCtx(w->cctx);
	w3s_hasher_free(w->meta_hash);
	w3s_buf_release(&w->entry);
	w3s_buf_release(&w->rec);
	free(w->zout);
	free(w->raw);
	free(w->piece);
	free(w);
}

uint64_t
w3s_stream_writer_bytes(const struct w3s_stream_writer *w)
{
	return w->bytes;
}

/* ---- errors ---------------------------------------------------------- */

/* Every error is sticky: it is kept in w->saved, and copied to err. */
static int
give_error(struct w3s_stream_writer *w, struct w3s_err *err)
{
	if (err != NULL && err != &w->saved)
		*err = w->saved;
	return w->failed;
}

/* After a callee failed with rc and its message in w->saved. */
static int
failed_with(struct w3s_stream_writer *w, int rc, struct w3s_err *err)
{
	fail(w, rc);
	return give_error(w, err);
}

static __attribute__((format(printf, 4, 5))) int
werr(struct w3s_stream_writer *w, struct w3s_err *err, int code,
    const char *fmt, ...)
{
	va_list ap;

	if (!w->failed) {
		va_start(ap, fmt);
		vsnprintf(w->saved.msg, sizeof(w->saved.msg), fmt, ap);
		va_end(ap);
		fail(w, code);
	}
	return give_error(w, err);
}

static int
tar_error(struct w3s_stream_writer *w, const char *what)
{
	const char *why;

	if (w->failed)
		return w->failed;
	why = archive_error_string(w->a);
	w3s_err_set(&w->saved, W3S_ESYS, "%s: %s", what, why ? why : "tar");
	return fail(w, W3S_ESYS);
}

/* ---- entries --------------------------------------------------------- */

/* Writes one entry: a header for len bytes, then parts[0..n) holding them.
 * 0 or a sticky error. */
static int
put_entry(struct w3s_stream_writer *w, const char *name, const void **parts,
    const size_t *lens, size_t n, size_t len)
{
	archive_entry_clear(w->ent);
	archive_entry_set_pathname(w->ent, name);
	archive_entry_set_filetype(w->ent, AE_IFREG);
	archive_entry_set_perm(w->ent, 0644);
	archive_entry_set_size(w->ent, (la_int64_t)len);
	archive_entry_set_mtime(w->ent, (time_t)w->m.created, 0);
	archive_entry_set_uid(w->ent, 0);
	archive_entry_set_gid(w->ent, 0);
	if (archive_write_header(w->a, w->ent) != ARCHIVE_OK)
		return tar_error(w, name);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = parts[i];
		size_t left = lens[i];

		while (left > 0) {
			la_ssize_t k = archive_write_data(w->a, p, left);

			if (k <= 0)
				return tar_error(w, name);
			p += k;
			left -= (size_t)k;
		}
	}
	return 0;
}

static int
flush_meta(struct w3s_stream_writer *w)
{
	char name[64];
	uint8_t head[9];
	size_t hlen;
	const void *parts[2];
	size_t lens[2];
	int rc;

	if (!w->entry_open)
		return 0;
	if ((rc = w3s_buf_check(&w->entry, &w->saved)) != 0)
		return fail(w, rc);
	hlen = w3s_meta_array_head(head, w->entry_records);
	snprintf(name, sizeof(name), STREAM_META_PREFIX "%0*llu-%s"
	    STREAM_META_SUFFIX, STREAM_META_DIGITS,
	    (unsigned long long)w->meta_entries,
	    w3s_meta_kind_name(w->entry_kind));
	stream_meta_digest_entry(w->meta_hash, name, hlen + w->entry.len);
	w3s_hasher_update(w->meta_hash, head, hlen);
	w3s_hasher_update(w->meta_hash, w->entry.data, w->entry.len);
	parts[0] = head;
	lens[0] = hlen;
	parts[1] = w->entry.data;
	lens[1] = w->entry.len;
	if ((rc = put_entry(w, name, parts, lens, 2, hlen + w->entry.len)) != 0)
		return rc;
	w->meta_entries++;
	w->entry_open = 0;
	w->entry.len = 0;
	w->entry_records = 0;
	return 0;
}

/* Adds the record encoded in w->rec to the metadata entry of its kind,
 * starting a new entry when the kind changes or the entry would pass
 * W3S_META_ENTRY_MAX. 0 or a sticky error. */
static int
add_record(struct w3s_stream_writer *w, enum w3s_meta_kind kind)
{
	int rc;

	if (w->entry_open && (w->entry_kind != kind ||
	    w->entry.len + w->rec.len + 9 > W3S_META_ENTRY_MAX) &&
	    (rc = flush_meta(w)) != 0)
		return rc;
	w->entry_open = 1;
	w->entry_kind = kind;
	w3s_buf_put(&w->entry, w->rec.data, w->rec.len);
	if ((rc = w3s_buf_check(&w->entry, &w->saved)) != 0)
		return fail(w, rc);
	w->entry_records++;
	return 0;
}

/* Checks a metadata call's state and order. */
static int
meta_call(struct w3s_stream_writer *w, enum w3s_meta_kind kind,
    struct w3s_err *err)
{
	if (w->failed)
		return give_error(w, err);
	if (w->state != W_META)
		return werr(w, err, W3S_EUSAGE, "%s record %s",
		    w3s_meta_kind_name(kind), w->state == W_IDLE ?
		    "before the manifest" : "after the chunks");
	if ((int)kind < w->last_kind)
		return werr(w, err, W3S_EUSAGE, "%s record after %s records",
		    w3s_meta_kind_name(kind),
		    w3s_meta_kind_name((enum w3s_meta_kind)w->last_kind));
	if (kind != W3S_META_SEGMENTS && w->seg_open)
		return werr(w, err, W3S_EUSAGE, "segment %llu: chunk list "
		    "incomplete", (unsigned long long)w->seg_seq);
	w->last_kind = (int)kind;
	return 0;
}

static int
too_many(struct w3s_stream_writer *w, enum w3s_meta_kind kind,
    uint64_t declared, struct w3s_err *err)
{
	return werr(w, err, W3S_EUSAGE, "more %s records than the manifest "
	    "declares (%llu)", w3s_meta_kind_name(kind),
	    (unsigned long long)declared);
}

/* ---- the calls ------------------------------------------------------- */

int
w3s_stream_put_manifest(struct w3s_stream_writer *w,
    const struct w3s_manifest *m, struct w3s_err *err)
{
	uint8_t scratch[W3S_HASH_LEN];
	struct w3s_buf b;
	const void *parts[1];
	size_t lens[1];
	int rc;

	if (w->failed)
		return give_error(w, err);
	if (w->state != W_IDLE)
		return werr(w, err, W3S_EUSAGE,
		    "a manifest inside an archive");
	w3s_buf_init(&b);
	if ((rc = w3s_manifest_encode(m, &b, &w->saved)) != 0) {
		w3s_buf_release(&b);
		return failed_with(w, rc, err);
	}
	if (b.len > W3S_MANIFEST_MAX) {
		w3s_buf_release(&b);
		return werr(w, err, W3S_EUSAGE, "manifest too large");
	}
	w->m = *m;
	w3s_hash_blake2b(w->manifest_digest, b.data, b.len);
	if (w->meta_hash == NULL && (w->meta_hash =
	    w3s_hasher_new(W3S_HASH_BLAKE2B_256, &w->saved)) == NULL) {
		w3s_buf_release(&b);
		return failed_with(w, W3S_ESYS, err);
	}
	w3s_hasher_final(w->meta_hash, scratch);	/* a fresh state */
	memset(&w->got, 0, sizeof(w->got));
	w->chunks = w->chunk_bytes = 0;
	w->meta_entries = 0;
	w->entry_open = 0;
	w->entry.len = 0;
	w->entry_records = 0;
	w->last_kind = -1;
	w->seg_open = w->any_seg = 0;
	w->piece_len = 0;

	if ((w->a = archive_write_new()) == NULL) {
		w3s_buf_release(&b);
		return werr(w, err, W3S_ESYS, "out of memory");
	}
	if (archive_write_set_format_pax(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, tar_out, NULL, NULL) !=
	    ARCHIVE_OK) {
		w3s_buf_release(&b);
		tar_error(w, "tar");
		return give_error(w, err);
	}
	if (frame_begin(w) != 0) {
		w3s_buf_release(&b);
		return give_error(w, err);
	}
	parts[0] = b.data;
	lens[0] = b.len;
	rc = put_entry(w, STREAM_MANIFEST_NAME, parts, lens, 1, b.len);
	w3s_buf_release(&b);
	if (rc != 0)
		return give_error(w, err);
	w->state = W_META;
	return 0;
}

/* Emits the record of the piece held in w->piece. */
static int
emit_piece(struct w3s_stream_writer *w, struct w3s_err *err)
{
	struct w3s_segment_rec s;
	int rc;

	s.seq = w->seg_seq;
	s.leaf = w->seg_leaf;
	s.first = w->seg_given - w->piece_len;
	s.nhashes = w->piece_len;
	s.hashes = (const uint8_t (*)[W3S_H256])w->piece;
	w->rec.len = 0;
	if ((rc = w3s_segment_encode(&s, &w->rec, &w->saved)) != 0)
		return failed_with(w, rc, err);
	w->piece_len = 0;
	if (add_record(w, W3S_META_SEGMENTS) != 0)
		return give_error(w, err);
	return 0;
}

int
w3s_stream_put_segment(struct w3s_stream_writer *w,
    const struct w3s_segment_rec *s, struct w3s_err *err)
{
	size_t i = 0;
	int rc;

	if ((rc = meta_call(w, W3S_META_SEGMENTS, err)) != 0)
		return rc;
	if (s->first == 0) {
		if (w->seg_open)
			return werr(w, err, W3S_EUSAGE, "segment %llu: chunk "
			    "list incomplete", (unsigned long long)w->seg_seq);
		if (w->any_seg && s->seq <= w->seg_seq)
			return werr(w, err, W3S_EUSAGE, "segment %llu after "
			    "segment %llu", (unsigned long long)s->seq,
			    (unsigned long long)w->seg_seq);
		if (w->got.segments >= w->m.counts.segments)
			return too_many(w, W3S_META_SEGMENTS,
			    w->m.counts.segments, err);
		w->got.segments++;
		w->seg_open = w->any_seg = 1;
		w->seg_seq = s->seq;
		w->seg_leaf = s->leaf;
		w->seg_count = w3s_chunk_count(s->leaf.data_size);
		w->seg_given = 0;
		w->piece_len = 0;
	} else if (!w->seg_open || s->seq != w->seg_seq ||
	    s->first != w->seg_given ||
	    memcmp(&s->leaf, &w->seg_leaf, sizeof(s->leaf)) != 0) {
		return werr(w, err, W3S_EUSAGE, "segment %llu: chunk hashes "
		    "from %llu do not continue the segment being written",
		    (unsigned long long)s->seq, (unsigned long long)s->first);
	}
	if (s->nhashes > w->seg_count - w->seg_given)
		return werr(w, err, W3S_EUSAGE, "segment %llu: more chunk "
		    "hashes than its %llu chunks", (unsigned long long)s->seq,
		    (unsigned long long)w->seg_count);
	if (s->nhashes > w->m.counts.chunk_refs - w->got.chunk_refs)
		return werr(w, err, W3S_EUSAGE, "more chunk hashes than the "
		    "manifest declares (%llu)",
		    (unsigned long long)w->m.counts.chunk_refs);
	w->got.chunk_refs += s->nhashes;
	while (i < s->nhashes) {
		size_t n = W3S_SEGMENT_PIECE_MAX - w->piece_len;

		if (n > s->nhashes - i)
			n = s->nhashes - i;
		memcpy(w->piece[w->piece_len], s->hashes[i], n * W3S_H256);
		w->piece_len += n;
		w->seg_given += n;
		i += n;
		if ((w->piece_len == W3S_SEGMENT_PIECE_MAX ||
		    w->seg_given == w->seg_count) &&
		    (rc = emit_piece(w, err)) != 0)
			return rc;
	}
	if (w->seg_given == w->seg_count)
		w->seg_open = 0;
	return 0;
}

int
w3s_stream_put_checkpoint(struct w3s_stream_writer *w,
    const struct w3s_checkpoint_rec *c, struct w3s_err *err)
{
	int rc;

	if ((rc = meta_call(w, W3S_META_CHECKPOINTS, err)) != 0)
		return rc;
	if (w->got.checkpoints >= w->m.counts.checkpoints)
		return too_many(w, W3S_META_CHECKPOINTS,
		    w->m.counts.checkpoints, err);
	w->rec.len = 0;
	if ((rc = w3s_checkpoint_encode(c, &w->rec, &w->saved)) != 0)
		return failed_with(w, rc, err);
	if (add_record(w, W3S_META_CHECKPOINTS) != 0)
		return give_error(w, err);
	w->got.checkpoints++;
	return 0;
}

int
w3s_stream_put_deletion(struct w3s_stream_writer *w,
    const struct w3s_deletion_rec *d, struct w3s_err *err)
{
	int rc;

	if ((rc = meta_call(w, W3S_META_DELETIONS, err)) != 0)
		return rc;
	if (w->got.deletions >= w->m.counts.deletions)
		return too_many(w, W3S_META_DELETIONS, w->m.counts.deletions,
		    err);
	w->rec.len = 0;
	if ((rc = w3s_deletion_encode(d, &w->rec, &w->saved)) != 0)
		return failed_with(w, rc, err);
	if (add_record(w, W3S_META_DELETIONS) != 0)
		return give_error(w, err);
	w->got.deletions++;
	return 0;
}

int
w3s_stream_put_index(struct w3s_stream_writer *w,
    const struct w3s_index_entry *e, struct w3s_err *err)
{
	int rc;

	if ((rc = meta_call(w, W3S_META_INDEX, err)) != 0)
		return rc;
	if (w->got.index >= w->m.counts.index)
		return too_many(w, W3S_META_INDEX, w->m.counts.index, err);
	w->rec.len = 0;
	if ((rc = w3s_index_entry_encode(e, &w->rec, &w->saved)) != 0)
		return failed_with(w, rc, err);
	if (add_record(w, W3S_META_INDEX) != 0)
		return give_error(w, err);
	w->got.index++;
	return 0;
}

/* Ends the metadata: the last entry goes out, and the records must be
 * exactly what the manifest declared. */
static int
end_meta(struct w3s_stream_writer *w, struct w3s_err *err)
{
	const struct w3s_stream_counts *d = &w->m.counts, *g = &w->got;

	if (w->state != W_META)
		return 0;
	if (w->seg_open)
		return werr(w, err, W3S_EUSAGE, "segment %llu: chunk list "
		    "incomplete", (unsigned long long)w->seg_seq);
	if (g->segments != d->segments || g->chunk_refs != d->chunk_refs ||
	    g->checkpoints != d->checkpoints || g->deletions != d->deletions ||
	    g->index != d->index)
		return werr(w, err, W3S_EUSAGE, "metadata does not match the "
		    "manifest: %llu/%llu segments, %llu/%llu chunk hashes, "
		    "%llu/%llu checkpoints, %llu/%llu deletions, %llu/%llu "
		    "index entries", (unsigned long long)g->segments,
		    (unsigned long long)d->segments,
		    (unsigned long long)g->chunk_refs,
		    (unsigned long long)d->chunk_refs,
		    (unsigned long long)g->checkpoints,
		    (unsigned long long)d->checkpoints,
		    (unsigned long long)g->deletions,
		    (unsigned long long)d->deletions,
		    (unsigned long long)g->index, (unsigned long long)d->index);
	if (flush_meta(w) != 0)
		return give_error(w, err);
	w->state = W_CHUNKS;
	return 0;
}

int
w3s_stream_put_chunk(struct w3s_stream_writer *w,
    const uint8_t hash[W3S_HASH_LEN], const void *data, size_t len,
    struct w3s_err *err)
{
	char name[sizeof(STREAM_CHUNK_PREFIX) + W3S_CHUNK_CID_LEN];
	const void *parts[1] = { data };
	size_t lens[1] = { len };
	int rc;

	if (w->failed)
		return give_error(w, err);
	if (w->state == W_IDLE)
		return werr(w, err, W3S_EUSAGE, "chunk before the manifest");
	if ((rc = end_meta(w, err)) != 0)
		return rc;
	if (len > W3S_STREAM_CHUNK_MAX)
		return werr(w, err, W3S_EUSAGE, "chunk of %zu bytes (at most "
		    "%u)", len, W3S_STREAM_CHUNK_MAX);
	if (w->chunks >= w3s_manifest_carried_chunks(&w->m) ||
	    len > w3s_manifest_carried_bytes(&w->m) - w->chunk_bytes)
		return werr(w, err, W3S_EUSAGE, "more chunks or chunk bytes "
		    "than the manifest declares");
	memcpy(name, STREAM_CHUNK_PREFIX, sizeof(STREAM_CHUNK_PREFIX) - 1);
	w3s_stream_chunk_cid(name + sizeof(STREAM_CHUNK_PREFIX) - 1, hash);
	if (put_entry(w, name, parts, lens, 1, len) != 0)
		return give_error(w, err);
	w->chunks++;
	w->chunk_bytes += len;
	return 0;
}

int
w3s_stream_finish(struct w3s_stream_writer *w, const struct w3s_key *key,
    struct w3s_err *err)
{
	uint8_t msg[W3S_TRAILER_MSG_LEN];
	uint8_t pub[W3S_PUBKEY_LEN];
	struct w3s_trailer t;
	struct w3s_buf b;
	const void *parts[1];
	size_t lens[1];
	int rc;

	if (w->failed)
		return give_error(w, err);
	if (w->state == W_IDLE)
		return werr(w, err, W3S_EUSAGE, "no archive to finish");
	if ((rc = end_meta(w, err)) != 0)
		return rc;
	if (w->chunks != w3s_manifest_carried_chunks(&w->m) ||
	    w->chunk_bytes != w3s_manifest_carried_bytes(&w->m))
		return werr(w, err, W3S_EUSAGE, "%llu chunks of %llu bytes "
		    "given, the manifest declares %llu of %llu",
		    (unsigned long long)w->chunks,
		    (unsigned long long)w->chunk_bytes,
		    (unsigned long long)w3s_manifest_carried_chunks(&w->m),
		    (unsigned long long)w3s_manifest_carried_bytes(&w->m));
	memset(&t, 0, sizeof(t));
	t.chunks = w->chunks;
	t.chunk_bytes = w->chunk_bytes;
	t.meta_entries = w->meta_entries;
	memcpy(t.manifest_digest, w->manifest_digest, W3S_HASH_LEN);
	w3s_hasher_final(w->meta_hash, t.meta_digest);
	if (w->m.has_producer) {
		if (key == NULL || !w3s_key_has_private(key))
			return werr(w, err, W3S_EUSAGE, "the manifest names a "
			    "producer: its private key must sign the trailer");
		w3s_key_public(key, pub);
		if (memcmp(pub, w->m.producer, W3S_PUBKEY_LEN) != 0)
			return werr(w, err, W3S_EUSAGE, "the key is not the "
			    "producer the manifest names");
		w3s_trailer_message(&t, msg);
		if ((rc = w3s_key_sign(key, msg, sizeof(msg), t.signature,
		    &w->saved)) != 0)
			return failed_with(w, rc, err);
		t.has_signature = 1;
	} else if (key != NULL) {
		return werr(w, err, W3S_EUSAGE, "a key signs only a manifest "
		    "that names its producer");
	}
	w3s_buf_init(&b);
	if ((rc = w3s_trailer_encode(&t, &b, &w->saved)) != 0) {
		w3s_buf_release(&b);
		return failed_with(w, rc, err);
	}
	parts[0] = b.data;
	lens[0] = b.len;
	rc = put_entry(w, STREAM_TRAILER_NAME, parts, lens, 1, b.len);
	w3s_buf_release(&b);
	if (rc != 0)
		return give_error(w, err);
	if (archive_write_close(w->a) != ARCHIVE_OK) {
		tar_error(w, "tar");
		return give_error(w, err);
	}
	archive_write_free(w->a);
	w->a = NULL;
	if (compress(w, NULL, 0, ZSTD_e_end) != 0)
		return give_error(w, err);
	w->state = W_IDLE;
	return 0;
}
