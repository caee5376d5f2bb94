/* Unit tests of the export engine (lib/export.c): buckets built with the
 * store API, exported, and read back with the stream reader. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <w3s/export.h>
#include <w3s/key.h>
#include <w3s/scale.h>
#include <w3s/store.h>
#include <w3s/stream.h>

#include "tap.h"
#include "../testbytes.h"

static char tmp[64];
static struct w3s_key *key;

static void
die(const char *msg)
{
	fprintf(stderr, "test_export: %s\n", msg);
	exit(99);
}

/* One commit adding segments of the given sizes (data from seeds), signed
 * by key. */
static void
commit(struct w3s_bucket *b, const size_t *sizes, const uint64_t *seeds,
    size_t n, const char *name)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN], sig[W3S_SIGNATURE_LEN];
	uint8_t pub[W3S_PUBKEY_LEN], hash[32];
	struct w3s_commitment next;
	struct w3s_segment seg;
	struct w3s_err err = { 0 };
	uint8_t *data;

	if (w3s_bucket_write_begin(b, &err) != 0)
		die(err.msg);
	for (size_t i = 0; i < n; i++) {
		size_t off = 0;

		if ((data = malloc(sizes[i] + 1)) == NULL)
			die("out of memory");
		test_fill(data, sizes[i], seeds[i]);
		if (w3s_bucket_segment_begin(b, &err) != 0)
			die(err.msg);
		do {
			size_t len = sizes[i] - off > 262144 ? 262144 :
			    sizes[i] - off;

			w3s_hash_blake2b(hash, data + off, len);
			if (w3s_bucket_segment_chunk(b, hash, data + off, len,
			    &err) != 0)
				die(err.msg);
			off += len;
		} while (off < sizes[i]);
		if (w3s_bucket_segment_end(b, NULL, &seg, &err) != 0)
			die(err.msg);
		if (name != NULL && i == 0 && w3s_bucket_name_set(b, name,
		    seg.leaf.data_root, &err) != 0)
			die(err.msg);
		free(data);
	}
	if (w3s_bucket_write_prepare(b, &next, &err) != 0)
		die(err.msg);
	w3s_payload_v1_encode(w3s_bucket_id(b), &next, payload);
	w3s_key_public(key, pub);
	if (w3s_key_sign(key, payload, sizeof(payload), sig, &err) != 0 ||
	    w3s_bucket_checkpoint_add(b, &next, pub, sig, &err) != 0 ||
	    w3s_bucket_write_commit(b, NULL, &err) != 0)
		die(err.msg);
}

static struct w3s_bucket *
open_bucket(struct w3s_store *s, uint64_t id, int write)
{
	struct w3s_bucket_opts bo = { W3S_STORE_CREATE | W3S_STORE_WRITE, 0,
	    "test_export" };
	struct w3s_bucket *b;
	struct w3s_err err = { 0 };

	if (w3s_bucket_open(s, id, write ? &bo : NULL, &b, &err) != 0)
		die(err.msg);
	return b;
}

/* What a stream holds, as the reader saw it. */
struct seen {
	int rc;
	int archives;
	struct w3s_manifest m;		/* the last manifest */
	uint64_t segments, chunks, chunk_bytes, first_chunk;
	uint64_t checkpoints, deletions, index;
};

static void
read_back(const char *path, struct seen *sn)
{
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct w3s_err err = { 0 };
	int fd = open(path, O_RDONLY);

	memset(sn, 0, sizeof(*sn));
	sn->first_chunk = UINT64_MAX;
	if (fd < 0 || (r = w3s_stream_reader_new(fd, &err)) == NULL)
		die("cannot read a stream");
	while ((sn->rc = w3s_stream_next(r, &ev, &err)) == 0 &&
	    ev.type != W3S_STREAM_EV_EOF) {
		switch (ev.type) {
		case W3S_STREAM_EV_MANIFEST:
			sn->archives++;
			sn->m = *ev.u.manifest;
			break;
		case W3S_STREAM_EV_SEGMENT:
			sn->segments += ev.u.segment->first == 0;
			break;
		case W3S_STREAM_EV_CHUNK:
			if (sn->first_chunk == UINT64_MAX)
				sn->first_chunk = ev.u.chunk->index;
			sn->chunks++;
			sn->chunk_bytes += ev.u.chunk->len;
			break;
		case W3S_STREAM_EV_CHECKPOINT:
			sn->checkpoints++;
			break;
		case W3S_STREAM_EV_DELETION:
			sn->deletions++;
			break;
		case W3S_STREAM_EV_INDEX:
			sn->index++;
			break;
		default:
			break;
		}
	}
	if (sn->rc != 0)
		printf("# reader: %s\n", err.msg);
	w3s_stream_reader_free(r);
	close(fd);
}

/* Exports b with o to path; the library's return code. */
static int
export_to(struct w3s_bucket *b, const struct w3s_export_opts *o,
    const char *path, struct w3s_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), rc;

	if (fd < 0)
		die("cannot create an output file");
	rc = w3s_export_fd(b, o, fd, 1, NULL, err);
	close(fd);
	return rc;
}

static int
same_file(const char *a, const char *b)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	return system(cmd) == 0;
}

static void
test_since_parse(void)
{
	struct w3s_export_since s;
	struct w3s_err err = { 0 };
	char root[67] = "0x";

	ok(w3s_export_since_parse("42", &s, &err) == 0 && !s.by_root &&
	    s.seq == 42, "since: a sequence number");
	memset(root + 2, 'a', 64);
	root[66] = '\0';
	ok(w3s_export_since_parse(root, &s, &err) == 0 && s.by_root &&
	    s.root[0] == 0xaa && s.root[31] == 0xaa, "since: an MMR root");
	ok(w3s_export_since_parse("0xab", &s, &err) == W3S_EUSAGE,
	    "since: a short root is a usage error");
	ok(w3s_export_since_parse("", &s, &err) == W3S_EUSAGE &&
	    w3s_export_since_parse("-1", &s, &err) == W3S_EUSAGE &&
	    w3s_export_since_parse("1x", &s, &err) == W3S_EUSAGE &&
	    w3s_export_since_parse("9223372036854775808", &s, &err) ==
	    W3S_EUSAGE, "since: not a number, past 2^63-1");
}

static void
test_name(void)
{
	struct w3s_export_info in;
	char name[W3S_EXPORT_NAME_MAX];

	memset(&in, 0, sizeof(in));
	in.bucket = 7;
	in.target.start_seq = 4;
	in.target.leaf_count = 6;
	in.target.mmr_root[0] = 0xab;
	w3s_export_name(&in, name);
	ok(strcmp(name, "bucket-00000000000000000007-00000000000000000010-"
	    "00000000000000000004-full-ab00000000000000.tar.zst") == 0,
	    "name of a full snapshot");
	in.has_base = 1;
	in.kind = W3S_STREAM_DELTA;
	in.base.mmr_root[7] = 0x12;
	in.resume_chunk = 3;
	w3s_export_name(&in, name);
	ok(strcmp(name, "bucket-00000000000000000007-00000000000000000010-"
	    "00000000000000000004-delta-ab00000000000000-0000000000000012"
	    "-resume-3.tar.zst") == 0, "name of a resumed delta");
}

static void
test_file(void)
{
	struct w3s_export_file *f;
	struct w3s_err err = { 0 };
	char path[128], cmd[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/out.bin", tmp);
	ok(w3s_export_file_open(path, &f, &err) == 0, "file: open");
	ok(write(w3s_export_file_fd(f), "abc", 3) == 3, "file: write");
	ok(stat(path, &st) != 0, "file: not visible before the commit");
	ok(w3s_export_file_commit(f, &err) == 0 && stat(path, &st) == 0 &&
	    st.st_size == 3, "file: visible after it");
	ok(w3s_export_file_open(path, &f, &err) == W3S_ENOTAPPLY &&
	    strstr(err.msg, "exists: not overwritten") != NULL,
	    "file: an existing file is refused");
	snprintf(path, sizeof(path), "%s/race.bin", tmp);
	ok(w3s_export_file_open(path, &f, &err) == 0, "file: open again");
	snprintf(cmd, sizeof(cmd), "echo x > %s", path);
	if (system(cmd) != 0)
		die("cannot write a file");
	ok(w3s_export_file_commit(f, &err) == W3S_ENOTAPPLY,
	    "file: a file that appeared meanwhile is not replaced");
	snprintf(path, sizeof(path), "%s/gone.bin", tmp);
	ok(w3s_export_file_open(path, &f, &err) == 0, "file: open a third");
	w3s_export_file_abort(f);
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s | grep tmp)\"", tmp);
	ok(stat(path, &st) != 0 && system(cmd) == 0,
	    "file: abort and a failed commit leave no temporary file");
	snprintf(path, sizeof(path), "%s/nodir/x", tmp);
	ok(w3s_export_file_open(path, &f, &err) == W3S_EUSAGE,
	    "file: a missing directory is a usage error");
}

static void
test_export(void)
{
	static const size_t s1[] = { 4, 700000, 0 };
	static const uint64_t d1[] = { 1, 2, 3 };
	static const size_t s2[] = { 300000, 700000 };
	static const uint64_t d2[] = { 4, 2 };	/* 2: f1's chunks again */
	struct w3s_export_opts o = { 0 };
	struct w3s_export_since since = { 0 };
	struct w3s_resume_token tok;
	struct w3s_export_info in;
	struct w3s_store *s;
	struct w3s_bucket *b, *rb;
	struct w3s_export *x;
	struct w3s_err err = { 0 };
	struct seen sn;
	char p1[96], p2[96], p3[96];
	int rc, n;

	snprintf(p1, sizeof(p1), "%s/store", tmp);
	if (w3s_store_open(p1, W3S_STORE_CREATE, &s, &err) != 0)
		die(err.msg);
	b = open_bucket(s, 5, 1);
	commit(b, s1, d1, 3, "first");
	rb = open_bucket(s, 5, 0);

	snprintf(p1, sizeof(p1), "%s/a", tmp);
	snprintf(p2, sizeof(p2), "%s/b", tmp);
	ok(export_to(rb, &o, p1, &err) == 0, "full export");
	read_back(p1, &sn);
	ok(sn.rc == 0 && sn.archives == 1 && sn.m.kind == W3S_STREAM_FULL &&
	    sn.m.bucket == 5 && sn.m.nsigs == 1 && !sn.m.has_producer,
	    "full: one unsigned archive, the target's signature");
	ok(sn.segments == 3 && sn.chunks == 5 && sn.chunk_bytes == 700004 &&
	    sn.checkpoints == 1 && sn.index == 1 && sn.deletions == 0,
	    "full: segments, chunks, checkpoint, index entry");
	ok(export_to(rb, &o, p2, &err) == 0 && same_file(p1, p2),
	    "full: the same bytes again");

	/* The plan, without a chunk read: what --dry-run prints. */
	ok(w3s_export_begin(rb, &o, &x, &err) == 0 &&
	    w3s_export_next(x, &in, &err) == 1 && in.counts.chunks == 5 &&
	    in.chunks == 5 && in.chunk_bytes == 700004 &&
	    in.target.leaf_count == 3 && w3s_export_next(x, &in, &err) == 0,
	    "plan: one archive with the exact counts");
	w3s_export_end(x);

	/* A writer commits during an export: the view does not move. */
	ok(w3s_export_begin(rb, &o, &x, &err) == 0, "begin a view");
	commit(b, s2, d2, 2, "second");
	ok(w3s_export_next(x, &in, &err) == 1 && in.target.leaf_count == 3,
	    "a commit after begin is not seen");
	w3s_export_end(x);

	/* A delta since seq 3: only the new chunk of seed 4. */
	since.seq = 3;
	o.since = &since;
	snprintf(p3, sizeof(p3), "%s/d", tmp);
	ok(export_to(rb, &o, p3, &err) == 0, "delta export");
	read_back(p3, &sn);
	ok(sn.rc == 0 && sn.m.kind == W3S_STREAM_DELTA && sn.m.has_base &&
	    sn.m.base.leaf_count == 3 && sn.m.target.leaf_count == 5,
	    "delta: base and target");
	ok(sn.segments == 2 && sn.chunks == 2 && sn.chunk_bytes == 300000 &&
	    sn.checkpoints == 1 && sn.index == 1,
	    "delta: the chunks the base holds are left out");
	since.seq = 5;
	ok(export_to(rb, &o, p3, &err) == W3S_ENOTAPPLY,
	    "delta from the current commitment: nothing to export");
	since.seq = 4;
	ok(export_to(rb, &o, p3, &err) == W3S_ENOTAPPLY &&
	    strstr(err.msg, "no commitment at sequence number 4") != NULL,
	    "delta from a commitment not in the change log");
	since.seq = 0;
	o.split = 1;
	ok(w3s_export_begin(rb, &o, &x, &err) == 0, "split: begin");
	for (n = 0; (rc = w3s_export_next(x, &in, &err)) == 1; n++)
		;
	ok(rc == 0 && n == 2, "split: one archive per commit");
	w3s_export_end(x);
	o.split = 0;
	o.since = NULL;

	/* Resume after chunk 5 of the full snapshot (7 chunks). */
	ok(w3s_export_begin(rb, &o, &x, &err) == 0 &&
	    w3s_export_next(x, &in, &err) == 1, "plan the full snapshot");
	w3s_export_end(x);
	memset(&tok, 0, sizeof(tok));
	tok.bucket = 5;
	memcpy(tok.snapshot_id, in.snapshot_id, sizeof(tok.snapshot_id));
	tok.chunk = 5;
	tok.byte = 700004;
	o.resume = &tok;
	ok(export_to(rb, &o, p3, &err) == 0, "resumed export");
	read_back(p3, &sn);
	ok(sn.rc == 0 && sn.chunks == 2 && sn.first_chunk == 5 &&
	    sn.m.resume_chunk == 5 && sn.m.resume_byte == 700004 &&
	    sn.segments == 5, "resumed: all metadata, the last two chunks");
	tok.byte = 1;
	ok(export_to(rb, &o, p3, &err) == W3S_EMALFORMED,
	    "resume: a byte count that does not fit");
	tok.byte = 700004;
	tok.snapshot_id[0] ^= 1;
	ok(export_to(rb, &o, p3, &err) == W3S_ENOTAPPLY,
	    "resume: another snapshot");
	tok.snapshot_id[0] ^= 1;
	tok.bucket = 6;
	ok(export_to(rb, &o, p3, &err) == W3S_ENOTAPPLY,
	    "resume: another bucket");
	o.resume = NULL;

	w3s_bucket_close(rb);
	w3s_bucket_close(b);
	w3s_store_close(s);
}

int
main(void)
{
	uint8_t secret[32];
	struct w3s_err err = { 0 };
	char cmd[128];

	snprintf(tmp, sizeof(tmp), "/tmp/test_export.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		die("cannot make a temporary directory");
	memset(secret, 7, sizeof(secret));
	if (w3s_key_from_raw_private(secret, &key, &err) != 0)
		die(err.msg);

	test_since_parse();
	test_name();
	test_file();
	test_export();

	w3s_key_free(key);
	if (tap_failed == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		if (system(cmd) != 0)
			printf("# cannot remove %s\n", tmp);
	} else
		printf("# kept %s\n", tmp);
	return tap_done();
}
