/* Stream reader: the caller's source -> zstd (libzstd, ours, so that the
 * bytes handed to the tar reader are counted and capped) -> pax tar
 * entries (libarchive, concatenated archives allowed) -> checked events.
 *
 * The reader is a step machine: each w3s_stream_next reads at most one
 * tar entry and returns one event. Memory is bounded: one input and one
 * output buffer, one chunk, one metadata entry and its tree. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <w3s/cbor.h>
#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/manifest.h>
#include <w3s/merkle.h>
#include <w3s/stream.h>

#include "stream_int.h"

#define IN_BUF (256u * 1024)
#define OUT_BUF (512u * 1024)
/* Largest zstd window accepted: what level 19 uses. */
#define WINDOW_LOG_MAX 23
/* Tar bytes an entry may take beyond its data: its header, padding,
 * pax extended headers (ours need none), and the end of an archive. */
#define ENTRY_OVERHEAD 4096u
/* Tar bytes allowed before a manifest: the manifest entry, and the end
 * of the archive before it. */
#define MANIFEST_ALLOWANCE (W3S_MANIFEST_MAX + 64u * 1024)

enum rstate {
	R_START,	/* nothing read: a manifest must come */
	R_META,		/* after the manifest: metadata, chunks, trailer */
	R_CHUNKS,	/* after the first chunk: chunks, trailer */
	R_AFTER,	/* after a trailer: a manifest, or the end */
	R_EOF,
};

struct w3s_stream_reader {
	long (*source)(void *ctx, void *buf, size_t cap, struct w3s_err *err);
	void *source_ctx;
	int fd;

	/* decompression */
	ZSTD_DCtx *dctx;
	uint8_t *in;
	size_t in_len, in_pos;
	int in_eof;
	uint8_t *out;
	int frame_open;		/* inside a zstd frame */
	int out_full;		/* the last call filled the output buffer */
	uint64_t bytes_in, bytes_out;
	uint64_t cap;		/* bytes_out may not pass it */
	int src_code;		/* an error below the tar layer */
	struct w3s_err src_err;

	struct archive *a;
	int opened;
	int opened_ok;		/* the first tar header was read */
	enum rstate state;
	int failed;
	struct w3s_err saved;

	/* the archive being read */
	struct w3s_manifest m;
	uint8_t manifest_digest[W3S_HASH_LEN];
	struct w3s_hasher *meta_hash;
	uint64_t archives;
	uint64_t meta_entries;
	int last_kind;
	struct w3s_stream_counts got;
	uint64_t chunks, chunk_bytes;	/* carried, received */

	/* the metadata entry being handed out */
	uint8_t *ebuf;		/* manifest, metadata or trailer data */
	struct w3s_cbor *tree;
	size_t tree_i, tree_n;
	enum w3s_meta_kind tree_kind;

	/* the segment whose chunk list is coming */
	int seg_open, any_seg;
	uint64_t seg_seq, seg_next, seg_count;
	struct w3s_leaf seg_leaf;
	struct w3s_merkle_builder mb;

	/* event payloads */
	uint8_t *chunk;
	char cid[W3S_CHUNK_CID_LEN + 1];
	struct w3s_stream_chunk ev_chunk;
	struct w3s_segment_rec ev_segment;
	struct w3s_checkpoint_rec ev_checkpoint;
	struct w3s_deletion_rec ev_deletion;
	struct w3s_index_entry ev_index;
	struct w3s_trailer ev_trailer;
};

/* ---- errors ---------------------------------------------------------- */

static int
give_error(struct w3s_stream_reader *r, struct w3s_err *err)
{
	if (err != NULL && err != &r->saved)
		*err = r->saved;
	return r->failed;
}

static int
failed_with(struct w3s_stream_reader *r, int rc, struct w3s_err *err)
{
	if (!r->failed)
		r->failed = rc;
	r->saved.code = r->failed;
	return give_error(r, err);
}

static __attribute__((format(printf, 4, 5))) int
rerr(struct w3s_stream_reader *r, struct w3s_err *err, int code,
    const char *fmt, ...)
{
	va_list ap;

	if (!r->failed) {
		va_start(ap, fmt);
		vsnprintf(r->saved.msg, sizeof(r->saved.msg), fmt, ap);
		va_end(ap);
		r->failed = code;
		r->saved.code = code;
	}
	return give_error(r, err);
}

/* An entry name made safe for a message: printable ASCII, at most 100
 * characters. */
static void
safe_name(char out[128], const char *name)
{
	size_t o = 0;

	if (name == NULL)
		name = "";
	for (; *name != '\0' && o < 100; name++)
		out[o++] = (*name >= 0x20 && *name < 0x7f) ? *name : '?';
	if (*name != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Where the stream stands, for messages about truncation. */
static void
where(const struct w3s_stream_reader *r, char *out, size_t len)
{
	if (r->state == R_META || r->state == R_CHUNKS)
		snprintf(out, len, "%llu of %llu chunks received in archive "
		    "%llu", (unsigned long long)r->chunks,
		    (unsigned long long)w3s_manifest_carried_chunks(&r->m),
		    (unsigned long long)r->archives + 1);
	else
		snprintf(out, len, "%llu complete archives",
		    (unsigned long long)r->archives);
}

/* A libarchive failure: an error of the layers below it if there was one,
 * else truncation when the input is exhausted and libarchive says it ran
 * out, else a malformed archive. */
static int
tar_failed(struct w3s_stream_reader *r, const char *what,
    struct w3s_err *err)
{
	const char *why = archive_error_string(r->a);
	char pos[128];

	if (r->src_code != 0) {
		r->saved = r->src_err;
		return failed_with(r, r->src_code, err);
	}
	if (why == NULL)
		why = "unknown error";
	where(r, pos, sizeof(pos));
	if (r->in_eof && r->bytes_in == 0)
		return rerr(r, err, W3S_EINCOMPLETE, "the input is empty");
	if (r->in_eof && r->frame_open)
		return rerr(r, err, W3S_EINCOMPLETE, "stream ends inside a "
		    "zstd frame: %s", pos);
	/* libarchive reports running out of input as "Truncated ..." or
	 * "Premature end-of-file", or, before the first header is whole,
	 * as an unrecognized format; it has no code of its own for it. */
	if (r->in_eof && (strstr(why, "runcated") != NULL ||
	    strstr(why, "remature") != NULL || (!r->opened_ok &&
	    r->bytes_out < 512)))
		return rerr(r, err, W3S_EINCOMPLETE, "stream ends inside %s "
		    "(%s): %s", what, why, pos);
	return rerr(r, err, W3S_EMALFORMED, "tar: %s: %s", what, why);
}

/* ---- input: source, zstd --------------------------------------------- */

static long
fd_source(void *ctx, void *buf, size_t cap, struct w3s_err *err)
{
	struct w3s_stream_reader *r = ctx;

	for (;;) {
		ssize_t n = read(r->fd, buf, cap);

		if (n >= 0)
			return (long)n;
		if (errno != EINTR)
			return w3s_err_sys(err, errno, "cannot read the stream");
	}
}

static la_ssize_t
src_fail(struct w3s_stream_reader *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static la_ssize_t
src_fail(struct w3s_stream_reader *r, int code, const char *fmt, ...)
{
	va_list ap;

	if (r->src_code == 0) {
		va_start(ap, fmt);
		vsnprintf(r->src_err.msg, sizeof(r->src_err.msg), fmt, ap);
		va_end(ap);
		r->src_code = code;
		r->src_err.code = code;
	}
	return -1;
}

/* A zstd frame or a skippable frame begins here. */
static int
zstd_magic(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

	return v == STREAM_ZSTD_MAGIC || (v & 0xfffffff0u) == 0x184d2a50u;
}

/* libarchive's read callback: decompressed tar bytes, at most up to the
 * cap the archive's manifest allows. */
static la_ssize_t
tar_in(struct archive *a, void *ctx, const void **buf)
{
	struct w3s_stream_reader *r = ctx;

	(void)a;
	if (r->src_code != 0)
		return -1;
	for (;;) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer out;
		size_t ret;

		/* A full output buffer may have left output in zstd: then
		 * call it again before reading more, or ending. */
		if (r->in_pos == r->in_len && !r->out_full) {
			long n;

			if (r->in_eof)
				return 0;
			n = r->source(r->source_ctx, r->in, IN_BUF, &r->src_err);
			if (n < 0)
				return src_fail(r, (int)n, "%s", r->src_err.msg);
			if (n == 0) {
				r->in_eof = 1;
				return 0;
			}
			if (r->bytes_in == 0 && n >= 4 && !zstd_magic(r->in))
				return src_fail(r, W3S_EMALFORMED, "the input "
				    "is not zstd-compressed: not a w3sync "
				    "stream");
			r->in_len = (size_t)n;
			r->in_pos = 0;
			r->bytes_in += (uint64_t)n;
		}
		if (r->bytes_out >= r->cap)
			return src_fail(r, W3S_EMALFORMED, "more tar data than "
			    "the entries account for (a decompression bomb?): "
			    "stopped after %llu bytes",
			    (unsigned long long)r->bytes_out);
		in.src = r->in;
		in.size = r->in_len;
		in.pos = r->in_pos;
		out.dst = r->out;
		out.size = OUT_BUF;
		if (r->cap - r->bytes_out < out.size)
			out.size = (size_t)(r->cap - r->bytes_out);
		out.pos = 0;
		ret = ZSTD_decompressStream(r->dctx, &out, &in);
		r->in_pos = in.pos;
		if (ZSTD_isError(ret)) {
			ZSTD_ErrorCode code = ZSTD_getErrorCode(ret);

			if (code == ZSTD_error_checksum_wrong)
				return src_fail(r, W3S_EVERIFY, "zstd frame "
				    "checksum does not match its data");
			if (code == ZSTD_error_frameParameter_windowTooLarge)
				return src_fail(r, W3S_EMALFORMED, "zstd "
				    "window over %u MiB",
				    (1u << WINDOW_LOG_MAX) >> 20);
			return src_fail(r, W3S_EMALFORMED, "zstd: %s",
			    ZSTD_getErrorName(ret));
		}
		r->frame_open = ret != 0;
		r->out_full = out.pos == out.size;
		r->bytes_out += out.pos;
		if (out.pos > 0) {
			*buf = r->out;
			return (la_ssize_t)out.pos;
		}
	}
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The cap for the tar bytes to the next header: allowance past what the
 * callback produced, plus what libarchive may read ahead (it asks for a
 * buffer at a time, two when a header straddles them). */
static void
set_cap(struct w3s_stream_reader *r, uint64_t allowance)
{
	r->cap = sat_add(r->bytes_out, sat_add(allowance, 2 * OUT_BUF));
}

/* ---- construction ---------------------------------------------------- */

static struct w3s_stream_reader *
reader_new(struct w3s_err *err)
{
	struct w3s_stream_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->fd = -1;
	r->in = malloc(IN_BUF);
	r->out = malloc(OUT_BUF);
	r->ebuf = malloc(W3S_MANIFEST_MAX);
	r->chunk = malloc(W3S_STREAM_CHUNK_MAX);
	r->dctx = ZSTD_createDCtx();
	r->meta_hash = w3s_hasher_new(W3S_HASH_BLAKE2B_256, err);
	if (r->in == NULL || r->out == NULL || r->ebuf == NULL ||
	    r->chunk == NULL || r->dctx == NULL || r->meta_hash == NULL)
		goto nomem;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(r->dctx,
	    ZSTD_d_windowLogMax, WINDOW_LOG_MAX)))
		goto nomem;
	r->state = R_START;
	set_cap(r, MANIFEST_ALLOWANCE);
	return r;
nomem:
	w3s_stream_reader_free(r);
	w3s_err_set(err, W3S_ESYS, "out of memory");
	return NULL;
}

struct w3s_stream_reader *
w3s_stream_reader_new(int fd, struct w3s_err *err)
{
	struct w3s_stream_reader *r = reader_new(err);

	if (r != NULL) {
		r->fd = fd;
		stream_grow_pipe(fd);
		r->source = fd_source;
		r->source_ctx = r;
	}
	return r;
}

struct w3s_stream_reader *
w3s_stream_reader_new_cb(long (*fn)(void *ctx, void *buf, size_t cap,
    struct w3s_err *err), void *ctx, struct w3s_err *err)
{
	struct w3s_stream_reader *r = reader_new(err);

	if (r != NULL) {
		r->source = fn;
		r->source_ctx = ctx;
	}
	return r;
}

void
w3s_stream_reader_free(struct w3s_stream_reader *r)
{
	if (r == NULL)
		return;
	if (r->a != NULL)
		archive_read_free(r->a);
	ZSTD_freeDCtx(r->dctx);
	w3s_hasher_free(r->meta_hash);
	w3s_cbor_free(r->tree);
	free(r->in);
	free(r->out);
	free(r->ebuf);
	free(r->chunk);
	free(r);
}

void
w3s_stream_reader_pos(const struct w3s_stream_reader *r,
    struct w3s_stream_pos *pos)
{
	memset(pos, 0, sizeof(*pos));
	pos->archives = r->archives;
	pos->in_archive = r->state == R_META || r->state == R_CHUNKS;
	memcpy(pos->manifest_digest, r->manifest_digest, W3S_HASH_LEN);
	pos->chunks = r->chunks;
	pos->chunk_bytes = r->chunk_bytes;
	pos->next_chunk = r->m.resume_chunk + r->chunks;
	pos->next_byte = r->m.resume_byte + r->chunk_bytes;
	pos->bytes_in = r->bytes_in;
	pos->bytes_out = r->bytes_out;
}

const struct w3s_manifest *
w3s_stream_reader_manifest(const struct w3s_stream_reader *r)
{
	return r->archives > 0 || r->state == R_META || r->state == R_CHUNKS ?
	    &r->m : NULL;
}

static int
open_archive(struct w3s_stream_reader *r, struct w3s_err *err)
{
	if ((r->a = archive_read_new()) == NULL)
		return rerr(r, err, W3S_ESYS, "out of memory");
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
	    archive_read_set_format_option(r->a, "tar",
	    "read_concatenated_archives", "1") != ARCHIVE_OK)
		return rerr(r, err, W3S_ESYS, "libarchive: %s",
		    archive_error_string(r->a));
	r->opened = 1;
	if (archive_read_open(r->a, r, NULL, tar_in, NULL) != ARCHIVE_OK)
		return tar_failed(r, "the first archive", err);
	return 0;
}

/* ---- entries --------------------------------------------------------- */

/* Reads an entry's len bytes into buf. */
static int
read_data(struct w3s_stream_reader *r, void *buf, size_t len,
    const char *name, struct w3s_err *err)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		la_ssize_t n = archive_read_data(r->a, p + got, len - got);

		if (n < 0)
			return tar_failed(r, name, err);
		if (n == 0)
			return rerr(r, err, W3S_EINCOMPLETE, "entry %s ends "
			    "after %zu of %zu bytes", name, got, len);
		got += (size_t)n;
	}
	return 0;
}

static int
end_meta(struct w3s_stream_reader *r, struct w3s_err *err)
{
	const struct w3s_stream_counts *d = &r->m.counts, *g = &r->got;

	if (r->state != R_META)
		return 0;
	if (r->seg_open)
		return rerr(r, err, W3S_EMALFORMED, "segment %llu: chunk list "
		    "ends after %llu of %llu hashes",
		    (unsigned long long)r->seg_seq,
		    (unsigned long long)r->seg_next,
		    (unsigned long long)r->seg_count);
	if (g->segments != d->segments || g->chunk_refs != d->chunk_refs ||
	    g->checkpoints != d->checkpoints || g->deletions != d->deletions ||
	    g->index != d->index)
		return rerr(r, err, W3S_EMALFORMED, "metadata does not match "
		    "the manifest: %llu/%llu segments, %llu/%llu chunk hashes, "
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
	r->state = R_CHUNKS;
	return 0;
}

static int
do_manifest(struct w3s_stream_reader *r, size_t size,
    struct w3s_stream_event *ev, struct w3s_err *err)
{
	uint8_t scratch[W3S_HASH_LEN];
	int rc;

	if (r->state != R_START && r->state != R_AFTER)
		return rerr(r, err, W3S_EMALFORMED, "a second manifest "
		    "inside archive %llu", (unsigned long long)r->archives + 1);
	if (size > W3S_MANIFEST_MAX)
		return rerr(r, err, W3S_EMALFORMED, "manifest of %zu bytes "
		    "(at most %u)", size, W3S_MANIFEST_MAX);
	if ((rc = read_data(r, r->ebuf, size, STREAM_MANIFEST_NAME, err)) != 0)
		return rc;
	if ((rc = w3s_manifest_decode(r->ebuf, size, &r->m, &r->saved)) != 0 ||
	    (rc = w3s_manifest_verify_sigs(&r->m, &r->saved)) != 0) {
		memset(&r->m, 0, sizeof(r->m));
		return failed_with(r, rc, err);
	}
	w3s_hash_blake2b(r->manifest_digest, r->ebuf, size);
	w3s_hasher_final(r->meta_hash, scratch);	/* a fresh state */
	r->meta_entries = 0;
	r->last_kind = -1;
	memset(&r->got, 0, sizeof(r->got));
	r->chunks = r->chunk_bytes = 0;
	r->seg_open = r->any_seg = 0;
	r->state = R_META;
	ev->type = W3S_STREAM_EV_MANIFEST;
	ev->u.manifest = &r->m;
	return 0;
}

/* Verifies a checkpoint record's signatures but those the manifest's
 * check already verified: the same key and bytes over the same commitment
 * (a delta's checkpoint of its target repeats the manifest's signatures;
 * an Ed25519 verification is most of the CPU of a small delta). */
static int
verify_checkpoint(const struct w3s_manifest *m,
    const struct w3s_checkpoint_rec *c, struct w3s_err *err)
{
	struct w3s_checkpoint_rec rest;

	if (memcmp(c->commitment.mmr_root, m->target.mmr_root,
	    W3S_H256) != 0 || c->commitment.start_seq != m->target.start_seq ||
	    c->commitment.leaf_count != m->target.leaf_count)
		return w3s_checkpoint_verify_sigs(m->bucket, c, err);
	rest.commitment = c->commitment;
	rest.block = c->block;
	rest.nsigs = 0;
	for (size_t i = 0; i < c->nsigs; i++) {
		size_t k = 0;

		while (k < m->nsigs && (memcmp(m->sigs[k].key, c->sigs[i].key,
		    W3S_PUBKEY_LEN) != 0 || memcmp(m->sigs[k].sig,
		    c->sigs[i].sig, W3S_SIGNATURE_LEN) != 0))
			k++;
		if (k == m->nsigs)
			rest.sigs[rest.nsigs++] = c->sigs[i];
	}
	return w3s_checkpoint_verify_sigs(m->bucket, &rest, err);
}

/* "meta/NNNNNNNNNNNN-KIND.cbor": its number and kind. */
static int
parse_meta_name(const char *name, uint64_t *num, enum w3s_meta_kind *kind)
{
	const char *p = name + sizeof(STREAM_META_PREFIX) - 1;
	const char *k;
	size_t len;

	*num = 0;
	for (int i = 0; i < STREAM_META_DIGITS; i++, p++) {
		if (*p < '0' || *p > '9')
			return -1;
		*num = *num * 10 + (uint64_t)(*p - '0');
	}
	if (*p++ != '-')
		return -1;
	k = p;
	len = strlen(k);
	if (len <= sizeof(STREAM_META_SUFFIX) - 1 ||
	    strcmp(k + len - (sizeof(STREAM_META_SUFFIX) - 1),
	    STREAM_META_SUFFIX) != 0)
		return -1;
	return w3s_meta_kind_from_name(k, len - (sizeof(STREAM_META_SUFFIX) -
	    1), kind);
}

static int
do_meta(struct w3s_stream_reader *r, const char *name, size_t size,
    struct w3s_err *err)
{
	enum w3s_meta_kind kind;
	uint64_t num, have, declared;
	char safe[128];
	int rc;

	safe_name(safe, name);
	if (r->state != R_META)
		return rerr(r, err, W3S_EMALFORMED, "metadata entry %s after "
		    "the chunks", safe);
	if (parse_meta_name(name, &num, &kind) != 0)
		return rerr(r, err, W3S_EMALFORMED, "unknown entry %s", safe);
	if (num != r->meta_entries)
		return rerr(r, err, W3S_EMALFORMED, "metadata entry %s where "
		    "number %llu belongs", safe,
		    (unsigned long long)r->meta_entries);
	if ((int)kind < r->last_kind)
		return rerr(r, err, W3S_EMALFORMED, "metadata entry %s after "
		    "%s entries", safe, w3s_meta_kind_name(
		    (enum w3s_meta_kind)r->last_kind));
	if (kind != W3S_META_SEGMENTS && r->seg_open)
		return rerr(r, err, W3S_EMALFORMED, "segment %llu: chunk list "
		    "ends after %llu of %llu hashes",
		    (unsigned long long)r->seg_seq,
		    (unsigned long long)r->seg_next,
		    (unsigned long long)r->seg_count);
	if (size > W3S_META_ENTRY_MAX)
		return rerr(r, err, W3S_EMALFORMED, "metadata entry %s of %zu "
		    "bytes (at most %u)", safe, size, W3S_META_ENTRY_MAX);
	if ((rc = read_data(r, r->ebuf, size, safe, err)) != 0)
		return rc;
	stream_meta_digest_entry(r->meta_hash, name, size);
	w3s_hasher_update(r->meta_hash, r->ebuf, size);
	if ((rc = w3s_cbor_decode(r->ebuf, size, NULL, &r->tree,
	    &r->saved)) != 0) {
		w3s_err_wrap(&r->saved, "%s", safe);
		return failed_with(r, rc, err);
	}
	if (w3s_cbor_type(r->tree) != W3S_CBOR_ARRAY ||
	    w3s_cbor_len(r->tree) == 0)
		return rerr(r, err, W3S_EMALFORMED, "%s: not an array of "
		    "records", safe);
	r->tree_n = w3s_cbor_len(r->tree);
	r->tree_i = 0;
	r->tree_kind = kind;
	r->last_kind = (int)kind;
	r->meta_entries++;
	/* Record counts, where an entry's length says it all. */
	switch (kind) {
	case W3S_META_DELETIONS:
		have = r->got.deletions;
		declared = r->m.counts.deletions;
		break;
	case W3S_META_CHECKPOINTS:
		have = r->got.checkpoints;
		declared = r->m.counts.checkpoints;
		break;
	case W3S_META_INDEX:
		have = r->got.index;
		declared = r->m.counts.index;
		break;
	default:
		have = 0;
		declared = UINT64_MAX;
		break;
	}
	if (r->tree_n > declared - have)
		return rerr(r, err, W3S_EMALFORMED, "more %s records than the "
		    "manifest declares (%llu)", w3s_meta_kind_name(kind),
		    (unsigned long long)declared);
	return 0;
}

static int
segment_record(struct w3s_stream_reader *r, const struct w3s_segment_rec *s,
    struct w3s_err *err)
{
	uint8_t root[W3S_H256];
	char hex[W3S_H256 * 2 + 1];

	if (r->seg_open) {
		if (s->seq != r->seg_seq || s->first != r->seg_next ||
		    memcmp(&s->leaf, &r->seg_leaf, sizeof(s->leaf)) != 0)
			return rerr(r, err, W3S_EMALFORMED, "segment %llu: "
			    "chunk list ends after %llu of %llu hashes",
			    (unsigned long long)r->seg_seq,
			    (unsigned long long)r->seg_next,
			    (unsigned long long)r->seg_count);
	} else {
		if (s->first != 0)
			return rerr(r, err, W3S_EMALFORMED, "segment %llu: "
			    "chunk list starts at %llu",
			    (unsigned long long)s->seq,
			    (unsigned long long)s->first);
		if (r->any_seg && s->seq <= r->seg_seq)
			return rerr(r, err, W3S_EMALFORMED, "segment %llu "
			    "after segment %llu", (unsigned long long)s->seq,
			    (unsigned long long)r->seg_seq);
		if (r->got.segments >= r->m.counts.segments)
			return rerr(r, err, W3S_EMALFORMED, "more segments "
			    "than the manifest declares (%llu)",
			    (unsigned long long)r->m.counts.segments);
		r->got.segments++;
		r->seg_open = r->any_seg = 1;
		r->seg_seq = s->seq;
		r->seg_leaf = s->leaf;
		r->seg_next = 0;
		r->seg_count = w3s_chunk_count(s->leaf.data_size);
		w3s_merkle_builder_init(&r->mb);
	}
	if (s->nhashes > r->m.counts.chunk_refs - r->got.chunk_refs)
		return rerr(r, err, W3S_EMALFORMED, "more chunk hashes than "
		    "the manifest declares (%llu)",
		    (unsigned long long)r->m.counts.chunk_refs);
	r->got.chunk_refs += s->nhashes;
	for (size_t i = 0; i < s->nhashes; i++)
		w3s_merkle_builder_push(&r->mb, s->hashes[i]);
	r->seg_next += s->nhashes;
	if (r->seg_next == r->seg_count) {
		r->seg_open = 0;
		w3s_merkle_builder_finish(&r->mb, root);
		if (memcmp(root, s->leaf.data_root, W3S_H256) != 0) {
			w3s_hex_encode(hex, s->leaf.data_root, W3S_H256);
			return rerr(r, err, W3S_EVERIFY, "segment %llu: its "
			    "chunk list does not give its data root 0x%s",
			    (unsigned long long)s->seq, hex);
		}
	}
	return 0;
}

/* Hands out the next record of the metadata entry being read. */
static int
next_record(struct w3s_stream_reader *r, struct w3s_stream_event *ev,
    struct w3s_err *err)
{
	const struct w3s_cbor *item = w3s_cbor_array_at(r->tree, r->tree_i);
	size_t i = r->tree_i++;
	int rc = 0;

	switch (r->tree_kind) {
	case W3S_META_DELETIONS:
		if ((rc = w3s_deletion_from_cbor(item, &r->ev_deletion,
		    &r->saved)) == 0)
			rc = w3s_deletion_verify(r->m.bucket, &r->ev_deletion,
			    &r->saved);
		r->got.deletions++;
		ev->type = W3S_STREAM_EV_DELETION;
		ev->u.deletion = &r->ev_deletion;
		break;
	case W3S_META_SEGMENTS:
		if ((rc = w3s_segment_from_cbor(item, &r->ev_segment,
		    &r->saved)) != 0)
			break;
		if ((rc = segment_record(r, &r->ev_segment, err)) != 0)
			return rc;
		ev->type = W3S_STREAM_EV_SEGMENT;
		ev->u.segment = &r->ev_segment;
		break;
	case W3S_META_CHECKPOINTS:
		if ((rc = w3s_checkpoint_from_cbor(item, &r->ev_checkpoint,
		    &r->saved)) == 0)
			rc = verify_checkpoint(&r->m, &r->ev_checkpoint,
			    &r->saved);
		r->got.checkpoints++;
		ev->type = W3S_STREAM_EV_CHECKPOINT;
		ev->u.checkpoint = &r->ev_checkpoint;
		break;
	case W3S_META_INDEX:
		rc = w3s_index_entry_from_cbor(item, &r->ev_index, &r->saved);
		r->got.index++;
		ev->type = W3S_STREAM_EV_INDEX;
		ev->u.index = &r->ev_index;
		break;
	}
	if (rc != 0) {
		w3s_err_wrap(&r->saved, "metadata entry %llu, record %zu",
		    (unsigned long long)r->meta_entries - 1, i);
		return failed_with(r, rc, err);
	}
	if (r->tree_i == r->tree_n) {
		/* The records borrow from the tree until the next call,
		 * which frees it first. */
		r->tree_n = 0;
	}
	return 0;
}

static int
do_chunk(struct w3s_stream_reader *r, const char *name, size_t size,
    struct w3s_stream_event *ev, struct w3s_err *err)
{
	const char *cid = name + sizeof(STREAM_CHUNK_PREFIX) - 1;
	uint8_t want[W3S_HASH_LEN];
	char safe[128];
	int rc;

	if ((rc = end_meta(r, err)) != 0)
		return rc;
	safe_name(safe, name);
	if (w3s_stream_chunk_cid_parse(cid, strlen(cid), want, NULL) != 0)
		return rerr(r, err, W3S_EMALFORMED, "unknown entry %s: not "
		    "the CID of a chunk", safe);
	if (size > W3S_STREAM_CHUNK_MAX)
		return rerr(r, err, W3S_EMALFORMED, "chunk %s of %zu bytes (at "
		    "most %u)", cid, size, W3S_STREAM_CHUNK_MAX);
	if (r->chunks >= w3s_manifest_carried_chunks(&r->m) ||
	    size > w3s_manifest_carried_bytes(&r->m) - r->chunk_bytes)
		return rerr(r, err, W3S_EMALFORMED, "more chunk data than the "
		    "manifest declares (%llu chunks, %llu bytes): chunk %s",
		    (unsigned long long)w3s_manifest_carried_chunks(&r->m),
		    (unsigned long long)w3s_manifest_carried_bytes(&r->m), cid);
	if ((rc = read_data(r, r->chunk, size, safe, err)) != 0)
		return rc;
	memcpy(r->cid, cid, W3S_CHUNK_CID_LEN + 1);
	w3s_hash_blake2b(r->ev_chunk.hash, r->chunk, size);
	if (memcmp(r->ev_chunk.hash, want, W3S_HASH_LEN) != 0)
		return rerr(r, err, W3S_EVERIFY, "chunk %s: its bytes do not "
		    "hash to its CID", r->cid);
	r->ev_chunk.index = r->m.resume_chunk + r->chunks;
	r->ev_chunk.cid = r->cid;
	r->ev_chunk.data = r->chunk;
	r->ev_chunk.len = size;
	r->chunks++;
	r->chunk_bytes += size;
	ev->type = W3S_STREAM_EV_CHUNK;
	ev->u.chunk = &r->ev_chunk;
	return 0;
}

static int
do_trailer(struct w3s_stream_reader *r, size_t size,
    struct w3s_stream_event *ev, struct w3s_err *err)
{
	struct w3s_trailer *t = &r->ev_trailer;
	uint8_t meta_digest[W3S_HASH_LEN];
	uint8_t msg[W3S_TRAILER_MSG_LEN];
	int rc;

	if ((rc = end_meta(r, err)) != 0)
		return rc;
	if (r->chunks != w3s_manifest_carried_chunks(&r->m) ||
	    r->chunk_bytes != w3s_manifest_carried_bytes(&r->m))
		return rerr(r, err, W3S_EMALFORMED, "trailer after %llu chunks "
		    "of %llu bytes, the manifest declares %llu of %llu",
		    (unsigned long long)r->chunks,
		    (unsigned long long)r->chunk_bytes,
		    (unsigned long long)w3s_manifest_carried_chunks(&r->m),
		    (unsigned long long)w3s_manifest_carried_bytes(&r->m));
	if (size > W3S_TRAILER_MAX)
		return rerr(r, err, W3S_EMALFORMED, "trailer of %zu bytes (at "
		    "most %u)", size, W3S_TRAILER_MAX);
	if ((rc = read_data(r, r->ebuf, size, STREAM_TRAILER_NAME, err)) != 0)
		return rc;
	if ((rc = w3s_trailer_decode(r->ebuf, size, t, &r->saved)) != 0)
		return failed_with(r, rc, err);
	if (t->chunks != r->chunks || t->chunk_bytes != r->chunk_bytes ||
	    t->meta_entries != r->meta_entries)
		return rerr(r, err, W3S_EMALFORMED, "trailer counts (%llu "
		    "chunks, %llu bytes, %llu metadata entries) do not match "
		    "the archive (%llu, %llu, %llu)",
		    (unsigned long long)t->chunks,
		    (unsigned long long)t->chunk_bytes,
		    (unsigned long long)t->meta_entries,
		    (unsigned long long)r->chunks,
		    (unsigned long long)r->chunk_bytes,
		    (unsigned long long)r->meta_entries);
	w3s_hasher_final(r->meta_hash, meta_digest);
	if (memcmp(t->manifest_digest, r->manifest_digest, W3S_HASH_LEN) != 0)
		return rerr(r, err, W3S_EVERIFY, "trailer: the manifest "
		    "digest does not match the manifest");
	if (memcmp(t->meta_digest, meta_digest, W3S_HASH_LEN) != 0)
		return rerr(r, err, W3S_EVERIFY, "trailer: the metadata "
		    "digest does not match the metadata");
	if (r->m.has_producer != t->has_signature)
		return rerr(r, err, W3S_EMALFORMED, "trailer %s a signature "
		    "but the manifest %s a producer", t->has_signature ?
		    "has" : "lacks", t->has_signature ? "names no" : "names");
	if (t->has_signature) {
		w3s_trailer_message(t, msg);
		if (w3s_key_verify(r->m.producer, msg, sizeof(msg),
		    t->signature) != 0) {
			char hex[W3S_HEX32_LEN];

			w3s_hex32_format(hex, r->m.producer);
			return rerr(r, err, W3S_EVERIFY, "trailer: the "
			    "producer's signature (%s) does not verify", hex);
		}
	}
	r->archives++;
	r->state = R_AFTER;
	set_cap(r, MANIFEST_ALLOWANCE);
	ev->type = W3S_STREAM_EV_TRAILER;
	ev->u.trailer = t;
	return 0;
}

/* The end of the input, as libarchive sees it. */
static int
at_end(struct w3s_stream_reader *r, struct w3s_stream_event *ev,
    struct w3s_err *err)
{
	char pos[128];

	if (r->src_code != 0) {
		r->saved = r->src_err;
		return failed_with(r, r->src_code, err);
	}
	where(r, pos, sizeof(pos));
	if (r->frame_open)
		return rerr(r, err, W3S_EINCOMPLETE, "stream ends inside a "
		    "zstd frame: %s", pos);
	switch (r->state) {
	case R_START:
		if (r->bytes_in == 0)
			return rerr(r, err, W3S_EINCOMPLETE,
			    "the input is empty");
		return rerr(r, err, W3S_EMALFORMED,
		    "the input holds no archive");
	case R_META:
	case R_CHUNKS:
		return rerr(r, err, W3S_EINCOMPLETE, "stream ends before the "
		    "trailer: %s", pos);
	default:
		r->state = R_EOF;
		ev->type = W3S_STREAM_EV_EOF;
		return 0;
	}
}

int
w3s_stream_next(struct w3s_stream_reader *r, struct w3s_stream_event *ev,
    struct w3s_err *err)
{
	struct archive_entry *e = NULL;
	const char *name;
	char safe[128];
	la_int64_t size;
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (r->failed)
		return give_error(r, err);
	if (r->state == R_EOF) {
		ev->type = W3S_STREAM_EV_EOF;
		return 0;
	}
	if (r->tree_n > 0)
		return next_record(r, ev, err);
	w3s_cbor_free(r->tree);
	r->tree = NULL;
	if (!r->opened && (rc = open_archive(r, err)) != 0)
		return rc;

	rc = archive_read_next_header(r->a, &e);
	if (rc == ARCHIVE_EOF)
		return at_end(r, ev, err);
	if (rc != ARCHIVE_OK)
		return tar_failed(r, "a tar header", err);
	r->opened_ok = 1;
	name = archive_entry_pathname(e);
	safe_name(safe, name);
	if (name == NULL)
		return rerr(r, err, W3S_EMALFORMED, "an entry without a name");
	if (archive_entry_filetype(e) != AE_IFREG ||
	    archive_entry_hardlink(e) != NULL ||
	    archive_entry_sparse_count(e) != 0 || !archive_entry_size_is_set(e))
		return rerr(r, err, W3S_EMALFORMED, "entry %s is not a plain "
		    "file", safe);
	size = archive_entry_size(e);
	if (size < 0)
		return rerr(r, err, W3S_EMALFORMED, "entry %s has a negative "
		    "size", safe);
	/* Whatever the counts the manifest declares, the tar bytes up to
	 * the next header are this entry's data and a header's worth:
	 * runs of zero blocks or extended headers that libarchive would
	 * skip on its own cannot go on. (Oversized entries are refused
	 * below before their data is read.) */
	set_cap(r, (uint64_t)size + ENTRY_OVERHEAD);

	if (strcmp(name, STREAM_MANIFEST_NAME) == 0)
		return do_manifest(r, (size_t)size, ev, err);
	if (r->state == R_START || r->state == R_AFTER)
		return rerr(r, err, W3S_EMALFORMED, "entry %s %s", safe,
		    r->state == R_START ? "before the manifest" :
		    "after the trailer");
	if (strcmp(name, STREAM_TRAILER_NAME) == 0)
		return do_trailer(r, (size_t)size, ev, err);
	if (strncmp(name, STREAM_CHUNK_PREFIX,
	    sizeof(STREAM_CHUNK_PREFIX) - 1) == 0)
		return do_chunk(r, name, (size_t)size, ev, err);
	if (strncmp(name, STREAM_META_PREFIX,
	    sizeof(STREAM_META_PREFIX) - 1) == 0) {
		if ((rc = do_meta(r, name, (size_t)size, err)) != 0)
			return rc;
		return next_record(r, ev, err);
	}
	return rerr(r, err, W3S_EMALFORMED, "unknown entry %s", safe);
}
