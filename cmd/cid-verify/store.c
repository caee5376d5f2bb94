/* cid-verify's store and proof modes: scrub (full or sampled), challenge
 * answers and their check, Proof-of-Sync and its check. Each mode opens
 * what it needs, makes one library call and prints the result. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/proof.h>
#include <w3s/scrub.h>
#include <w3s/store.h>

#include "../cli/cli.h"
#include "modes.h"

#define PROG "cid-verify"

/* The losses --sample prints the chance of catching. */
static const double losses[] = { 0.001, 0.01, 0.05, 0.10 };

/* Exit statuses of several buckets: a failed check (1) outranks missing
 * data (3); anything else (system errors) outranks both. */
static int
worse(int a, int b)
{
	int ra = a == 0 ? 0 : a == 3 ? 1 : a == 1 ? 2 : 3;
	int rb = b == 0 ? 0 : b == 3 ? 1 : b == 1 ? 2 : 3;

	return rb > ra ? b : a;
}

static void
print_hex_line(const char *key, const uint8_t *data, size_t len)
{
	char *hex = malloc(2 * len + 3);

	if (hex == NULL)
		return;
	w3s_cli_hex0x(hex, data, len);
	printf("%s %s\n", key, hex);
	free(hex);
}

static void
json_hex(const char *key, const uint8_t *data, size_t len, int comma)
{
	char *hex = malloc(2 * len + 3);

	if (hex == NULL)
		return;
	w3s_cli_hex0x(hex, data, len);
	printf("%s\"%s\":\"%s\"", comma ? "," : "", key, hex);
	free(hex);
}

/* ---- scrub ------------------------------------------------------------ */

static const char *const kind_name[] = {
	[W3S_SCRUB_CHUNK_CORRUPT] = "corrupt",
	[W3S_SCRUB_CHUNK_MISSING] = "missing",
	[W3S_SCRUB_SEGMENT] = "segment",
	[W3S_SCRUB_BUCKET] = "bucket",
};

struct scrub_out {
	const struct store_opts *o;
	uint64_t problems;
	struct w3s_cli_progress *meter;	/* full scrub only; or NULL */
};

/* Each problem: a line on stdout (in --json, an element of "problems")
 * and the message on stderr. */
static void
on_problem(void *ctx, const struct w3s_scrub_problem *p)
{
	struct scrub_out *so = ctx;
	char hex[W3S_HEX32_LEN];
	int chunk = p->kind == W3S_SCRUB_CHUNK_CORRUPT ||
	    p->kind == W3S_SCRUB_CHUNK_MISSING;

	w3s_hex32_format(hex, p->hash);
	if (so->o->json) {
		printf("%s{\"kind\":\"%s\"", so->problems ? "," : "",
		    kind_name[p->kind]);
		if (p->kind != W3S_SCRUB_BUCKET)
			printf(",\"segment\":%llu", (unsigned long long)p->seq);
		if (chunk)
			printf(",\"chunk\":%llu,\"hash\":\"%s\"",
			    (unsigned long long)p->index, hex);
		fputs(",\"message\":", stdout);
		w3s_cli_json_string(stdout, p->msg);
		fputc('}', stdout);
	} else if (chunk) {
		printf("%s %llu %llu %s\n", kind_name[p->kind],
		    (unsigned long long)p->seq, (unsigned long long)p->index,
		    hex);
	} else if (p->kind == W3S_SCRUB_SEGMENT) {
		printf("bad-segment %llu\n", (unsigned long long)p->seq);
	} else {
		fputs("bad-bucket\n", stdout);
	}
	so->problems++;
	w3s_cli_progress_clear(so->meter);
	w3s_cli_errorf("%s", p->msg);
}

static const char *
status_word(int rc)
{
	return rc == 0 ? "ok" : rc == W3S_EINCOMPLETE ? "incomplete" :
	    "failed";
}

static int
scrub_one(const struct store_opts *o, struct w3s_store *store, uint64_t id)
{
	struct w3s_scrub_opts so = { o->jobs, o->trust_root, on_problem, NULL,
	    NULL, NULL };
	struct scrub_out out = { o, 0, NULL };
	struct w3s_scrub_report r;
	struct w3s_err err = { 0 };
	struct w3s_bucket *b = NULL;
	char root[W3S_HEX32_LEN], label[48];
	int rc;

	so.ctx = &out;
	if ((rc = w3s_bucket_open(store, id, NULL, &b, &err)) != 0)
		return w3s_cli_fail(&err);
	if (o->json)
		printf("{\"bucket\":%llu,\"problems\":[",
		    (unsigned long long)id);
	else
		printf("bucket %llu\n", (unsigned long long)id);
	if (o->sample == 0) {
		snprintf(label, sizeof(label), "bucket %llu",
		    (unsigned long long)id);
		/* stdout first, so the lines keep their order on a terminal */
		fflush(stdout);
		if ((out.meter = w3s_cli_progress_new(o->progress,
		    label)) != NULL) {
			so.progress = w3s_cli_progress_cb;
			so.progress_ctx = out.meter;
		}
	}
	rc = o->sample ? w3s_scrub_sample(b, o->sample, &so, &r, &err) :
	    w3s_scrub_bucket(b, &so, &r, &err);
	w3s_bucket_close(b);
	if (rc == 0 || rc == W3S_EVERIFY || rc == W3S_EINCOMPLETE)
		w3s_cli_progress_end(out.meter);
	else
		w3s_cli_progress_free(out.meter);
	if (rc != 0 && rc != W3S_EVERIFY && rc != W3S_EINCOMPLETE) {
		if (o->json)
			fputs("]}\n", stdout);
		return w3s_cli_fail(&err);
	}
	w3s_hex32_format(root, r.commitment.mmr_root);
	if (o->json) {
		printf("],\"mmr_root\":\"%s\",\"start_seq\":%llu,"
		    "\"leaf_count\":%llu,\"segments\":%llu,\"chunks\":%llu,"
		    "\"bytes\":%llu,\"corrupt\":%llu,\"missing\":%llu,"
		    "\"trust_root\":%s,\"status\":\"%s\"", root,
		    (unsigned long long)r.commitment.start_seq,
		    (unsigned long long)r.commitment.leaf_count,
		    (unsigned long long)r.segments,
		    (unsigned long long)r.chunk_refs,
		    (unsigned long long)r.bytes,
		    (unsigned long long)r.corrupt,
		    (unsigned long long)r.missing,
		    o->trust_root == NULL ? "null" :
		    memcmp(o->trust_root, r.commitment.mmr_root, W3S_H256) ?
		    "false" : "true", status_word(rc));
		if (o->sample) {
			printf(",\"sample\":{\"chunks\":%llu,\"population\":"
			    "%llu,\"catch\":[", (unsigned long long)o->sample,
			    (unsigned long long)r.total_chunk_refs);
			for (size_t i = 0; i < sizeof(losses) /
			    sizeof(losses[0]); i++)
				printf("%s{\"loss\":%g,\"probability\":%.6f}",
				    i ? "," : "", losses[i],
				    w3s_scrub_catch_probability(o->sample,
				    losses[i]));
			fputs("]}", stdout);
		} else {
			printf(",\"jobs\":%u", r.jobs);
		}
		fputs("}\n", stdout);
	} else {
		printf("mmr_root %s\nstart_seq %llu\nleaf_count %llu\n"
		    "segments %llu\nchunks %llu\nbytes %llu\n", root,
		    (unsigned long long)r.commitment.start_seq,
		    (unsigned long long)r.commitment.leaf_count,
		    (unsigned long long)r.segments,
		    (unsigned long long)r.chunk_refs,
		    (unsigned long long)r.bytes);
		if (o->sample) {
			printf("population %llu\n",
			    (unsigned long long)r.total_chunk_refs);
			for (size_t i = 0; i < sizeof(losses) /
			    sizeof(losses[0]); i++)
				printf("catch %g %.6f\n", losses[i],
				    w3s_scrub_catch_probability(o->sample,
				    losses[i]));
		}
		printf("status %s\n", status_word(rc));
	}
	if (o->trust_root == NULL && rc == 0 && !o->json)
		w3s_cli_warnf("bucket %llu: checked against its own "
		    "commitment only (unanchored): give --trust-root",
		    (unsigned long long)id);
	return w3s_err_exit_status(rc);
}

int
run_scrub(const struct store_opts *o)
{
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	uint64_t *ids = NULL, one = o->bucket;
	size_t n = 1;
	int status = 0;

	if (w3s_store_open(o->store, 0, &store, &err) != 0)
		return w3s_cli_fail(&err);
	if (o->all && w3s_store_buckets(store, &ids, &n, &err) != 0) {
		w3s_store_close(store);
		return w3s_cli_fail(&err);
	}
	for (size_t i = 0; i < n; i++)
		status = worse(status, scrub_one(o, store, o->all ? ids[i] :
		    one));
	free(ids);
	w3s_store_close(store);
	return status;
}

/* ---- challenge answers ------------------------------------------------ */

static int read_file(const char *name, struct w3s_buf *out, size_t max);

static int
open_bucket(const struct store_opts *o, struct w3s_store **store,
    struct w3s_bucket **b, struct w3s_err *err)
{
	if (w3s_store_open(o->store, 0, store, err) != 0 ||
	    w3s_bucket_open(*store, o->bucket, NULL, b, err) != 0)
		return w3s_cli_fail(err);
	return 0;
}

int
run_challenge(const struct store_opts *o)
{
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_commitment c;
	struct w3s_buf ans;
	char root[W3S_HEX32_LEN];
	int status;

	w3s_buf_init(&ans);
	if ((status = open_bucket(o, &store, &b, &err)) != 0)
		goto out;
	if ((o->commitment != NULL ? w3s_proof_find_commitment(b,
	    o->commitment, &c, &err) : w3s_bucket_commitment(b, &c,
	    &err)) != 0 ||
	    w3s_proof_answer(b, &c, o->leaf, o->chunk, &ans, &err) != 0) {
		status = w3s_cli_fail(&err);
		goto out;
	}
	w3s_hex32_format(root, c.mmr_root);
	if (o->json) {
		printf("{\"bucket\":%llu,\"mmr_root\":\"%s\",\"start_seq\":"
		    "%llu,\"leaf_count\":%llu,\"leaf\":%llu,\"chunk\":%llu,"
		    "\"seq\":%llu", (unsigned long long)o->bucket, root,
		    (unsigned long long)c.start_seq,
		    (unsigned long long)c.leaf_count,
		    (unsigned long long)o->leaf, (unsigned long long)o->chunk,
		    (unsigned long long)(c.start_seq + o->leaf));
		printf(",\"answer\":\"%s\"", ans.data[0] == 0x01 ?
		    "deleted" : "proof");
		json_hex("response", ans.data, ans.len, 1);
		fputs("}\n", stdout);
	} else {
		char *hex = malloc(2 * ans.len + 3);

		if (hex == NULL) {
			w3s_cli_errorf("out of memory");
			status = 7;
			goto out;
		}
		w3s_cli_hex0x(hex, ans.data, ans.len);
		puts(hex);
		free(hex);
	}
out:
	w3s_buf_release(&ans);
	w3s_bucket_close(b);
	w3s_store_close(store);
	return status;
}

/* A Deleted answer: checked for --bucket, the challenged sequence number
 * (--start-seq + --leaf) and the admin --key names. W3S_EUSAGE (reported)
 * when one of those two options is missing. */
static int
check_deleted(const struct store_opts *o, const uint8_t *scale, size_t len,
    struct w3s_err *err)
{
	uint8_t admin[W3S_PUBKEY_LEN];
	struct w3s_challenge_deleted d;
	struct w3s_key *key = NULL;
	struct w3s_rd r;
	uint64_t seq;
	int rc;

	/* A malformed answer is that (exit 4) before any missing option. */
	w3s_rd_init(&r, scale, len);
	if ((rc = w3s_challenge_deleted_decode(&r, &d, err)) != 0)
		return rc;
	if (!o->bucket_set || o->key == NULL) {
		w3s_cli_usage_error("--check-challenge: a Deleted answer is"
		    " checked against --bucket and --key (the bucket admin's"
		    " public key)");
		return W3S_EUSAGE;
	}
	if ((rc = w3s_key_load_public(o->key, &key, err)) != 0)
		return rc;
	w3s_key_public(key, admin);
	w3s_key_free(key);
	seq = o->start_seq + o->leaf < o->start_seq ? UINT64_MAX :
	    o->start_seq + o->leaf;
	return w3s_proof_check_deleted(&d, o->bucket, seq, admin, err);
}

int
run_check_challenge(const struct store_opts *o)
{
	struct w3s_err err = { 0 };
	struct w3s_leaf leaf;
	const char *hex = o->check_hex;
	struct w3s_buf text;
	uint8_t *scale = NULL;
	size_t len = 0;
	int rc, deleted;

	w3s_buf_init(&text);
	/* An answer is up to half a megabyte of hex, more than one argument
	 * may hold: "-" reads it from standard input, "@file" from a file. */
	if (strcmp(hex, "-") == 0 || hex[0] == '@') {
		if ((rc = read_file(hex[0] == '@' ? hex + 1 : hex, &text,
		    4 * (size_t)W3S_SCALE_CHUNK_MAX)) != 0) {
			w3s_buf_release(&text);
			return rc == 1 ? 4 : rc;
		}
		while (text.len > 0 && (text.data[text.len - 1] == '\n' ||
		    text.data[text.len - 1] == '\r' ||
		    text.data[text.len - 1] == ' '))
			text.len--;
		w3s_buf_put_u8(&text, 0);
		if (text.failed) {
			w3s_buf_release(&text);
			w3s_cli_errorf("out of memory");
			return 7;
		}
		hex = (const char *)text.data;
	}
	rc = w3s_hex_decode_alloc(hex, &scale, &len, &err);
	w3s_buf_release(&text);
	if (rc != 0) {
		w3s_cli_errorf("--check-challenge: %s", err.msg);
		return 4;
	}
	deleted = len > 0 && scale[0] == 0x01;
	if (deleted)
		rc = check_deleted(o, scale, len, &err);
	else
		rc = w3s_proof_check_answer(scale, len, o->root, o->leaf,
		    o->chunk, o->leaf_count, &leaf, &err);
	free(scale);
	if (rc == W3S_EUSAGE)
		return 2;
	if (rc != 0 && rc != W3S_EVERIFY)
		return w3s_cli_fail(&err);
	if (o->json) {
		printf("{\"valid\":%s,\"answer\":\"%s\"", rc == 0 ? "true" :
		    "false", deleted ? "deleted" : "proof");
		if (rc != 0) {
			fputs(",\"reason\":", stdout);
			w3s_cli_json_string(stdout, err.msg);
		}
		fputs("}\n", stdout);
	} else {
		puts(rc == 0 ? "valid" : "invalid");
	}
	return rc == 0 ? 0 : w3s_cli_fail(&err);
}

/* ---- Proof-of-Sync ---------------------------------------------------- */

static void
print_pos(const struct store_opts *o, const struct w3s_pos_info *in,
    int valid)
{
	char root[W3S_HEX32_LEN], key[W3S_HEX32_LEN];

	w3s_hex32_format(root, in->commitment.mmr_root);
	w3s_hex32_format(key, in->node_key);
	if (o->json) {
		printf("{\"bucket\":%llu,\"mmr_root\":\"%s\",\"start_seq\":"
		    "%llu,\"leaf_count\":%llu,\"node_key\":\"%s\",\"time\":"
		    "%llu", (unsigned long long)in->bucket, root,
		    (unsigned long long)in->commitment.start_seq,
		    (unsigned long long)in->commitment.leaf_count, key,
		    (unsigned long long)in->time);
		json_hex("nonce", in->nonce, in->nonce_len, 1);
		fputs(",\"samples\":[", stdout);
		for (uint64_t i = 0; i < in->samples; i++)
			printf("%s{\"leaf\":%llu,\"chunk\":%llu}", i ? "," : "",
			    (unsigned long long)in->positions[i][0],
			    (unsigned long long)in->positions[i][1]);
		fputc(']', stdout);
		json_hex("sync_roots", in->sync_roots_scale.data,
		    in->sync_roots_scale.len, 1);
		json_hex("sync_signature", in->sync_signature,
		    W3S_SIGNATURE_LEN, 1);
		json_hex("signature", in->signature, W3S_SIGNATURE_LEN, 1);
		printf(",\"valid\":%s}\n", valid ? "true" : "false");
		return;
	}
	printf("bucket %llu\nmmr_root %s\nstart_seq %llu\nleaf_count %llu\n"
	    "node_key %s\ntime %llu\n", (unsigned long long)in->bucket, root,
	    (unsigned long long)in->commitment.start_seq,
	    (unsigned long long)in->commitment.leaf_count, key,
	    (unsigned long long)in->time);
	print_hex_line("nonce", in->nonce, in->nonce_len);
	printf("samples %llu\n", (unsigned long long)in->samples);
	print_hex_line("sync_roots", in->sync_roots_scale.data,
	    in->sync_roots_scale.len);
	print_hex_line("sync_signature", in->sync_signature,
	    W3S_SIGNATURE_LEN);
	print_hex_line("signature", in->signature, W3S_SIGNATURE_LEN);
	printf("status %s\n", valid ? "valid" : "invalid");
}

int
run_prove(const struct store_opts *o)
{
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_key *key = NULL;
	struct w3s_pos_info info;
	struct w3s_buf out;
	FILE *f = stdout;
	int status, fd, wrote;

	w3s_buf_init(&out);
	memset(&info, 0, sizeof(info));
	if (o->output == NULL && isatty(STDOUT_FILENO))
		return w3s_cli_usage_error("the proof is binary: give -o file"
		    " or redirect standard output");
	if (w3s_key_load_private(o->key, &key, &err) != 0) {
		status = w3s_cli_fail(&err);
		goto out;
	}
	if ((status = open_bucket(o, &store, &b, &err)) != 0)
		goto out;
	if (w3s_pos_make(b, key, o->nonce, o->nonce_len, o->samples,
	    (uint64_t)time(NULL), &out, &err) != 0) {
		status = w3s_cli_fail(&err);
		goto out;
	}
	if (o->output != NULL && ((fd = open(o->output, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
	    (f = fdopen(fd, "wb")) == NULL)) {
		w3s_cli_errorf("%s: cannot create: %s", o->output,
		    w3s_cli_reason(errno));
		if (fd >= 0)
			close(fd);
		status = 7;
		goto out;
	}
	wrote = fwrite(out.data, 1, out.len, f) == out.len;
	if ((f == stdout ? fflush(f) : fclose(f)) != 0 || !wrote) {
		w3s_cli_errorf("%s: write failed: %s", o->output ? o->output :
		    "standard output", w3s_cli_reason(errno));
		status = 7;
		goto out;
	}
	/* With -o, stdout says what was proven (checked as a verifier
	 * would, against the root it names). */
	if (o->output != NULL) {
		uint8_t root[W3S_H256];
		struct w3s_commitment c;

		if (w3s_bucket_commitment(b, &c, &err) != 0) {
			status = w3s_cli_fail(&err);
			goto out;
		}
		memcpy(root, c.mmr_root, W3S_H256);
		status = w3s_pos_check(out.data, out.len, root, NULL, NULL, 0,
		    &info, &err) == 0 ? 0 : w3s_cli_fail(&err);
		print_pos(o, &info, status == 0);
	}
out:
	w3s_pos_info_release(&info);
	w3s_buf_release(&out);
	w3s_key_free(key);
	w3s_bucket_close(b);
	w3s_store_close(store);
	return status;
}

/* Reads a whole file (or "-") into out, at most max bytes: 0, 1 when it
 * is longer, 7 when it cannot be read. */
static int
read_file(const char *name, struct w3s_buf *out, size_t max)
{
	struct w3s_err err = { 0 };
	int fd = strcmp(name, "-") == 0 ? STDIN_FILENO :
	    open(name, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		w3s_cli_errorf("%s: cannot open: %s", name,
		    w3s_cli_reason(errno));
		return 7;
	}
	rc = w3s_buf_read_fd(out, fd, max, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc == W3S_EMALFORMED) {
		w3s_cli_errorf("%s: longer than it can be", name);
		return 1;
	}
	if (rc != 0) {
		w3s_cli_errorf("%s: %s", name, err.msg);
		return 7;
	}
	return 0;
}

int
run_check_proof(const struct store_opts *o)
{
	struct w3s_err err = { 0 };
	struct w3s_key *key = NULL;
	struct w3s_pos_info info;
	uint8_t pub[W3S_PUBKEY_LEN];
	struct w3s_buf in;
	int status, rc;

	w3s_buf_init(&in);
	memset(&info, 0, sizeof(info));
	if (o->key != NULL) {
		if (w3s_key_load_public(o->key, &key, &err) != 0)
			return w3s_cli_fail(&err);
		w3s_key_public(key, pub);
		w3s_key_free(key);
	}
	/* Samples, each at most a chunk and its proofs. */
	if ((status = read_file(o->proof_file, &in, (size_t)W3S_POS_SAMPLES_MAX
	    * (W3S_SCALE_CHUNK_MAX + 8192) + 65536)) != 0)
		goto out;
	rc = w3s_pos_check(in.data, in.len, o->root, o->key ? pub : NULL,
	    o->nonce_set ? o->nonce : NULL, o->nonce_len, &info, &err);
	if (rc != 0 && rc != W3S_EVERIFY) {
		status = w3s_cli_fail(&err);
		goto out;
	}
	print_pos(o, &info, rc == 0);
	status = rc == 0 ? 0 : w3s_cli_fail(&err);
out:
	w3s_pos_info_release(&info);
	w3s_buf_release(&in);
	return status;
}
