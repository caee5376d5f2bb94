/* streamcat: reads a w3sync stream with the library's reader (every check
 * of w3s_stream_next) and prints one line per event, for the BATS tests
 * (test-only; not installed).
 *
 *   streamcat [FILE|-]            the events
 *   streamcat -t CHUNK [FILE|-]   the resume token of a receiver holding
 *                                 the first CHUNK chunks of the first archive
 *
 * Lines:
 *   manifest KIND BUCKET TARGET [BASE] segments=N chunk_refs=N
 *       checkpoints=N deletions=N index=N chunks=N chunk_bytes=N
 *       resume=CHUNK:BYTE sigs=N created=T snapshot_id=HEX
 *   deletion START_SEQ ROOT
 *   segment SEQ FIRST NHASHES DATA_SIZE
 *   checkpoint COMMITMENT NSIGS
 *   index NAME ROOT|removed
 *   chunk INDEX CID LEN
 *   trailer CHUNKS CHUNK_BYTES
 * where a commitment is ROOT:START_SEQ:LEAF_COUNT.
 *
 * Exit status: that of the reader's error (w3sync(7)), 2 usage. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/err.h>
#include <w3s/hex.h>
#include <w3s/manifest.h>
#include <w3s/resume.h>
#include <w3s/stream.h>

static void
commitment(const struct w3s_commitment *c)
{
	char root[W3S_HEX32_LEN];

	w3s_hex32_format(root, c->mmr_root);
	printf(" %s:%" PRIu64 ":%" PRIu64, root, c->start_seq, c->leaf_count);
}

static int
manifest(const struct w3s_manifest *m, struct w3s_err *err)
{
	uint8_t id[W3S_HASH_LEN];
	char hex[W3S_HEX32_LEN];

	if (w3s_manifest_snapshot_id(m, id, err) != 0)
		return err->code;
	w3s_hex32_format(hex, id);
	printf("manifest %s %" PRIu64, m->kind == W3S_STREAM_FULL ? "full" :
	    "delta", m->bucket);
	commitment(&m->target);
	if (m->has_base)
		commitment(&m->base);
	printf(" segments=%" PRIu64 " chunk_refs=%" PRIu64 " checkpoints=%"
	    PRIu64 " deletions=%" PRIu64 " index=%" PRIu64 " chunks=%" PRIu64
	    " chunk_bytes=%" PRIu64 " resume=%" PRIu64 ":%" PRIu64 " sigs=%zu"
	    " created=%" PRIu64 " snapshot_id=%s\n", m->counts.segments,
	    m->counts.chunk_refs, m->counts.checkpoints, m->counts.deletions,
	    m->counts.index, m->counts.chunks, m->counts.chunk_bytes,
	    m->resume_chunk, m->resume_byte, m->nsigs, m->created, hex);
	return 0;
}

int
main(int argc, char **argv)
{
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct w3s_err err = { 0 };
	struct w3s_resume_token tok;
	char root[W3S_HEX32_LEN], text[W3S_RESUME_TOKEN_MAX];
	const char *path = "-";
	long long want = -1;
	uint64_t bytes = 0;
	int fd = 0, rc, opt;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			return 2;
		want = atoll(optarg);
	}
	if (optind < argc)
		path = argv[optind];
	if (strcmp(path, "-") != 0 && (fd = open(path, O_RDONLY)) < 0) {
		perror(path);
		return 7;
	}
	if ((r = w3s_stream_reader_new(fd, &err)) == NULL)
		goto fail;
	memset(&tok, 0, sizeof(tok));
	while ((rc = w3s_stream_next(r, &ev, &err)) == 0 &&
	    ev.type != W3S_STREAM_EV_EOF) {
		switch (ev.type) {
		case W3S_STREAM_EV_MANIFEST:
			if (want >= 0) {
				tok.bucket = ev.u.manifest->bucket;
				if (w3s_manifest_snapshot_id(ev.u.manifest,
				    tok.snapshot_id, &err) != 0)
					goto fail;
				break;
			}
			if (manifest(ev.u.manifest, &err) != 0)
				goto fail;
			break;
		case W3S_STREAM_EV_DELETION:
			w3s_hex32_format(root, ev.u.deletion->mmr_root);
			if (want < 0)
				printf("deletion %" PRIu64 " %s\n",
				    ev.u.deletion->start_seq, root);
			break;
		case W3S_STREAM_EV_SEGMENT:
			if (want < 0)
				printf("segment %" PRIu64 " %" PRIu64 " %zu %"
				    PRIu64 "\n", ev.u.segment->seq,
				    ev.u.segment->first, ev.u.segment->nhashes,
				    ev.u.segment->leaf.data_size);
			break;
		case W3S_STREAM_EV_CHECKPOINT:
			if (want < 0) {
				printf("checkpoint");
				commitment(&ev.u.checkpoint->commitment);
				printf(" %zu\n", ev.u.checkpoint->nsigs);
			}
			break;
		case W3S_STREAM_EV_INDEX:
			w3s_hex32_format(root, ev.u.index->data_root);
			if (want < 0)
				printf("index %.*s %s\n",
				    (int)ev.u.index->name_len, ev.u.index->name,
				    ev.u.index->removed ? "removed" : root);
			break;
		case W3S_STREAM_EV_CHUNK:
			if (want >= 0) {
				if ((long long)ev.u.chunk->index < want)
					bytes += ev.u.chunk->len;
				break;
			}
			printf("chunk %" PRIu64 " %s %zu\n", ev.u.chunk->index,
			    ev.u.chunk->cid, ev.u.chunk->len);
			break;
		case W3S_STREAM_EV_TRAILER:
			if (want >= 0) {
				tok.chunk = (uint64_t)want;
				tok.byte = bytes;
				w3s_resume_token_format(&tok, text);
				printf("%s\n", text);
				w3s_stream_reader_free(r);
				return 0;
			}
			printf("trailer %" PRIu64 " %" PRIu64 "\n",
			    ev.u.trailer->chunks, ev.u.trailer->chunk_bytes);
			break;
		default:
			break;
		}
	}
	if (rc != 0)
		goto fail;
	w3s_stream_reader_free(r);
	return 0;
fail:
	fflush(stdout);
	fprintf(stderr, "streamcat: %s\n", err.msg);
	w3s_stream_reader_free(r);
	return w3s_err_exit_status(err.code);
}
