/* mkstream: writes small, valid w3sync stream archives for the BATS tests
 * (test-only; not installed).
 *
 *   mkstream [-b bucket] [-k full|delta] [-B base] [-t target] [-c created]
 *            [-p bytes] [-l level] [-s] [-x] out
 *   mkstream --batch < lines
 *
 * One archive goes to out ("-": standard output). Its manifest names the
 * bucket, the kind, the base (deltas only) and target commitments and the
 * creation time (Unix seconds); without -p it declares no segment and no
 * chunk, which the format allows. -p bytes adds one segment of that many
 * pseudo-random bytes (at most one chunk), carried as one chunk entry.
 * -s signs: the producer is a fixed test key, which signs the trailer and
 * the target commitment (CommitmentPayload v1); -x then spoils that
 * commitment signature, so readers refuse the manifest.
 *
 * A commitment is "N", short for {BLAKE2b-256("commitment N"), 0, N} (the
 * same in every bucket), or "0x<64 hex>:start_seq:leaf_count".
 *
 * --batch reads lines "out bucket kind base target created" ("-" for no
 * base) and writes one file per line, unsigned and without segments: a
 * directory of thousands of snapshots in one process.
 *
 * Exit status: 0, 2 usage, 7 a write failed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/chunk.h>
#include <w3s/err.h>
#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/manifest.h>
#include <w3s/scale.h>
#include <w3s/stream.h>

#include "../testbytes.h"

#define PROG "mkstream"

struct spec {
	uint64_t bucket;
	enum w3s_stream_kind kind;
	int has_base;
	struct w3s_commitment base;
	struct w3s_commitment target;
	uint64_t created;
	int payload;		/* add a segment of payload_len bytes */
	size_t payload_len;
	int level;
	int sign;
	int spoil_sig;
};

static int
parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = n;
	return 0;
}

/* "N" or "0x<64 hex>:start:count". */
static int
parse_commitment(const char *s, struct w3s_commitment *c)
{
	char text[64];
	char root[W3S_HEX32_LEN];
	const char *p, *q;
	char num[32];
	uint64_t n;

	memset(c, 0, sizeof(*c));
	if (strncmp(s, "0x", 2) != 0) {
		if (parse_u64(s, &n) != 0)
			return -1;
		snprintf(text, sizeof(text), "commitment %llu",
		    (unsigned long long)n);
		w3s_hash_blake2b(c->mmr_root, text, strlen(text));
		c->leaf_count = n;
		return 0;
	}
	if ((p = strchr(s, ':')) == NULL || (size_t)(p - s) >= sizeof(root))
		return -1;
	memcpy(root, s, (size_t)(p - s));
	root[p - s] = '\0';
	if (w3s_hex32_parse(c->mmr_root, root, NULL) != 0)
		return -1;
	p++;
	if ((q = strchr(p, ':')) == NULL || (size_t)(q - p) >= sizeof(num))
		return -1;
	memcpy(num, p, (size_t)(q - p));
	num[q - p] = '\0';
	if (parse_u64(num, &c->start_seq) != 0 ||
	    parse_u64(q + 1, &c->leaf_count) != 0)
		return -1;
	return 0;
}

static int
parse_kind(const char *s, enum w3s_stream_kind *kind)
{
	if (strcmp(s, "full") == 0)
		*kind = W3S_STREAM_FULL;
	else if (strcmp(s, "delta") == 0)
		*kind = W3S_STREAM_DELTA;
	else
		return -1;
	return 0;
}

static int
test_key(struct w3s_key **key, struct w3s_err *err)
{
	uint8_t secret[32];
	int rc;

	memset(secret, 0x42, sizeof(secret));
	rc = w3s_key_from_raw_private(secret, key, err);
	memset(secret, 0, sizeof(secret));
	return rc;
}

/* Writes the archive of sp to fd. */
static int
write_archive(int fd, const struct spec *sp, struct w3s_err *err)
{
	struct w3s_stream_writer *w = NULL;
	struct w3s_key *key = NULL;
	struct w3s_manifest m;
	struct w3s_segment_rec seg;
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	uint8_t hash[W3S_HASH_LEN];
	uint8_t *data = NULL;
	int rc;

	memset(&m, 0, sizeof(m));
	m.kind = sp->kind;
	m.bucket = sp->bucket;
	m.has_base = sp->has_base;
	m.base = sp->base;
	m.target = sp->target;
	m.created = sp->created;
	if (sp->sign) {
		if ((rc = test_key(&key, err)) != 0)
			goto out;
		m.has_producer = 1;
		w3s_key_public(key, m.producer);
		w3s_payload_v1_encode(m.bucket, &m.target, payload);
		memcpy(m.sigs[0].key, m.producer, W3S_PUBKEY_LEN);
		if ((rc = w3s_key_sign(key, payload, sizeof(payload),
		    m.sigs[0].sig, err)) != 0)
			goto out;
		if (sp->spoil_sig)
			m.sigs[0].sig[0] ^= 0x01;
		m.nsigs = 1;
	}
	if (sp->payload) {
		if ((data = malloc(sp->payload_len + 1)) == NULL) {
			rc = w3s_err_set(err, W3S_ESYS, "out of memory");
			goto out;
		}
		test_fill(data, sp->payload_len, sp->created);
		w3s_hash_blake2b(hash, data, sp->payload_len);
		m.counts.segments = 1;
		m.counts.chunk_refs = 1;
		m.counts.chunks = 1;
		m.counts.chunk_bytes = sp->payload_len;
	}
	if ((w = w3s_stream_writer_new(fd, sp->level, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	if ((rc = w3s_stream_put_manifest(w, &m, err)) != 0)
		goto out;
	if (sp->payload) {
		memset(&seg, 0, sizeof(seg));
		seg.seq = sp->target.start_seq;
		memcpy(seg.leaf.data_root, hash, W3S_H256);
		seg.leaf.data_size = sp->payload_len;
		seg.leaf.total_size = sp->payload_len;
		seg.first = 0;
		seg.nhashes = 1;
		seg.hashes = (const uint8_t (*)[W3S_H256])hash;
		if ((rc = w3s_stream_put_segment(w, &seg, err)) != 0 ||
		    (rc = w3s_stream_put_chunk(w, hash, data, sp->payload_len,
		    err)) != 0)
			goto out;
	}
	rc = w3s_stream_finish(w, key, err);
out:
	w3s_stream_writer_free(w);
	w3s_key_free(key);
	free(data);
	return rc;
}

/* Writes one archive to the file out ("-": standard output). */
static int
write_file(const char *out, const struct spec *sp)
{
	struct w3s_err err = { 0 };
	int fd, rc;

	if (strcmp(out, "-") == 0) {
		fd = STDOUT_FILENO;
	} else if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0) {
		fprintf(stderr, PROG ": error: %s: cannot create: %s\n", out,
		    strerror(errno));
		return 7;
	}
	rc = write_archive(fd, sp, &err);
	if (fd != STDOUT_FILENO && close(fd) != 0 && rc == 0)
		rc = w3s_err_sys(&err, errno, "close failed");
	if (rc != 0) {
		fprintf(stderr, PROG ": error: %s: %s\n", out, err.msg);
		return w3s_err_exit_status(rc);
	}
	return 0;
}

static int
usage(void)
{
	fputs("usage: mkstream [-b bucket] [-k full|delta] [-B base] "
	    "[-t target] [-c created]\n"
	    "                [-p bytes] [-l level] [-s] [-x] out\n"
	    "       mkstream --batch < lines\n", stderr);
	return 2;
}

/* --batch: "out bucket kind base target created" per line. */
static int
run_batch(void)
{
	char line[4096], out[4096], bucket[32], kind[16], base[200],
	    target[200], created[32];
	unsigned long lineno = 0;
	struct spec sp;
	int rc;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		lineno++;
		if (line[0] == '\n' || line[0] == '#')
			continue;
		memset(&sp, 0, sizeof(sp));
		sp.level = W3S_STREAM_LEVEL_DEFAULT;
		if (sscanf(line, "%4095s %31s %15s %199s %199s %31s", out,
		    bucket, kind, base, target, created) != 6 ||
		    parse_u64(bucket, &sp.bucket) != 0 ||
		    parse_kind(kind, &sp.kind) != 0 ||
		    parse_commitment(target, &sp.target) != 0 ||
		    parse_u64(created, &sp.created) != 0) {
			fprintf(stderr, PROG ": error: line %lu: bad line\n",
			    lineno);
			return 2;
		}
		if (strcmp(base, "-") != 0) {
			if (parse_commitment(base, &sp.base) != 0) {
				fprintf(stderr, PROG ": error: line %lu: bad "
				    "base\n", lineno);
				return 2;
			}
			sp.has_base = 1;
		}
		if ((rc = write_file(out, &sp)) != 0)
			return rc;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	struct spec sp;
	uint64_t v;
	int ch, batch = 0;

	memset(&sp, 0, sizeof(sp));
	sp.kind = W3S_STREAM_FULL;
	sp.level = W3S_STREAM_LEVEL_DEFAULT;
	sp.target.leaf_count = 1;
	while ((ch = getopt_long(argc, argv, "b:k:B:t:c:p:l:sx", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (parse_u64(optarg, &sp.bucket) != 0)
				return usage();
			break;
		case 'k':
			if (parse_kind(optarg, &sp.kind) != 0)
				return usage();
			break;
		case 'B':
			if (parse_commitment(optarg, &sp.base) != 0)
				return usage();
			sp.has_base = 1;
			break;
		case 't':
			if (parse_commitment(optarg, &sp.target) != 0)
				return usage();
			break;
		case 'c':
			if (parse_u64(optarg, &sp.created) != 0)
				return usage();
			break;
		case 'p':
			if (parse_u64(optarg, &v) != 0 ||
			    v > W3S_STREAM_CHUNK_MAX)
				return usage();
			sp.payload = 1;
			sp.payload_len = (size_t)v;
			break;
		case 'l':
			if (parse_u64(optarg, &v) != 0 ||
			    v > W3S_STREAM_LEVEL_MAX)
				return usage();
			sp.level = (int)v;
			break;
		case 's':
			sp.sign = 1;
			break;
		case 'x':
			sp.spoil_sig = 1;
			break;
		case 'M':
			batch = 1;
			break;
		default:
			return usage();
		}
	}
	if (batch)
		return optind == argc ? run_batch() : usage();
	if (optind != argc - 1 || (sp.spoil_sig && !sp.sign))
		return usage();
	return write_file(argv[optind], &sp);
}
