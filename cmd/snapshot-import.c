/* snapshot-import: read stream archives (files or stdin, one or several
 * back to back), verify everything (lib/import), and apply each one to its
 * bucket atomically: a full snapshot onto an empty bucket, a delta onto
 * its base. An input that stops early leaves a resume token (exit 3);
 * --status prints the pending ones. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/err.h>
#include <w3s/hex.h>
#include <w3s/import.h>
#include <w3s/key.h>
#include <w3s/store.h>
#include <w3s/stream.h>

#include "cli/cli.h"
#include "cli/progress.h"

#define PROG "snapshot-import"
#define KEYS_MAX 64

struct opts {
	const char *store;
	int create;
	int status;
	int json;
	unsigned wait;
	enum w3s_cli_progress_mode progress;
	struct w3s_import_trust trust;
	uint8_t keys[KEYS_MAX][W3S_PUBKEY_LEN];
	char **files;
	int nfiles;
};

static const char usage_text[] =
    "usage: snapshot-import --store dir [--create] [--trust-root root]\n"
    "                       [--trust-key key]... [--min-signers n]\n"
    "                       [--wait seconds] [--progress | --quiet] [--json]\n"
    "                       [file ... | -]\n"
    "       snapshot-import --store dir --status [--json]\n"
    "       snapshot-import --help | --version\n";

static const char help_text[] =
    "\n"
    "Reads snapshot and delta archives (w3sync-stream(5)), verifies every\n"
    "chunk, segment, root and signature, and commits each archive to its\n"
    "bucket atomically. Without a file, or with -, reads standard input.\n"
    "\n"
    "options:\n"
    "  -s, --store dir         the store (default: $W3SYNC_STORE)\n"
    "  -c, --create            create the store and the buckets if missing\n"
    "  -r, --trust-root root   the target MMR root must be this (0x + 64 hex)\n"
    "  -k, --trust-key key     a trusted primary key (PEM file or 0x hex);\n"
    "                          repeatable\n"
    "  -m, --min-signers n     trusted signatures needed (default 1)\n"
    "  -S, --status            print the pending resume tokens and exit\n"
    "  -w, --wait seconds      wait that long for another writer to finish\n"
    "  -p, --progress          show progress on stderr (default: on a terminal)\n"
    "  -q, --quiet             no progress\n"
    "  -j, --json              one JSON object per archive instead of lines\n"
    "  -h, --help              print this help and exit\n"
    "  -V, --version           print the version and exit\n"
    "\n"
    "output: per archive, bucket, kind, mmr_root, start_seq, leaf_count,\n"
    "segments, chunks, chunk_bytes, written, skipped and anchored lines\n"
    "exit status: 0 success, 1 verification failed, 2 usage error,\n"
    "3 incomplete (resume token on stderr), 4 malformed input, 5 does not\n"
    "apply, 6 busy, 7 system error (see snapshot-import(1))\n";

static int
add_key(struct opts *o, const char *spec)
{
	struct w3s_err err = { 0 };
	struct w3s_key *key = NULL;

	if (o->trust.nkeys == KEYS_MAX)
		return w3s_cli_usage_error("--trust-key: at most %d keys",
		    KEYS_MAX);
	if (w3s_key_load_public(spec, &key, &err) != 0) {
		w3s_err_wrap(&err, "--trust-key %s", spec);
		return w3s_cli_fail(&err);
	}
	w3s_key_public(key, o->keys[o->trust.nkeys++]);
	w3s_key_free(key);
	return -1;
}

static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "create", no_argument, NULL, 'c' },
		{ "trust-root", required_argument, NULL, 'r' },
		{ "trust-key", required_argument, NULL, 'k' },
		{ "min-signers", required_argument, NULL, 'm' },
		{ "status", no_argument, NULL, 'S' },
		{ "wait", required_argument, NULL, 'w' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int ch, status, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:cr:k:m:Sw:pqjhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			o->store = optarg;
			break;
		case 'c':
			o->create = 1;
			break;
		case 'r':
			if (w3s_cli_opt_root("--trust-root", optarg,
			    o->trust.root) != 0)
				return 2;
			o->trust.has_root = 1;
			break;
		case 'k':
			if ((rc = add_key(o, optarg)) >= 0)
				return rc;
			break;
		case 'm':
			if (w3s_cli_parse_u64(optarg, W3S_SIGS_MAX, &v) != 0 ||
			    v == 0)
				return w3s_cli_usage_error("--min-signers: '%s'"
				    " is not a number from 1 to %d", optarg,
				    W3S_SIGS_MAX);
			o->trust.min_signers = v;
			break;
		case 'S':
			o->status = 1;
			break;
		case 'w':
			if (w3s_cli_opt_wait(optarg, &o->wait) != 0)
				return 2;
			break;
		default:
			if ((status = w3s_cli_opt_common(ch, argv, usage_text,
			    help_text, &o->json, &o->progress)) >= 0)
				return status;
			break;
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if ((o->store = w3s_cli_store(o->store)) == NULL)
		return w3s_cli_usage_error("no store: give --store or set "
		    W3S_STORE_ENV);
	if (o->status && o->nfiles > 0)
		return w3s_cli_usage_error("--status takes no file");
	if (o->trust.min_signers && o->trust.nkeys == 0)
		return w3s_cli_usage_error("--min-signers needs --trust-key");
	if (o->trust.min_signers > o->trust.nkeys)
		return w3s_cli_usage_error("--min-signers %" PRIu64 " is more"
		    " than the %zu keys given", o->trust.min_signers,
		    o->trust.nkeys);
	o->trust.keys = (const uint8_t (*)[W3S_PUBKEY_LEN])o->keys;
	o->trust.use_bucket = 1;
	o->trust.remember = 1;
	return -1;
}

/* ---- --status ----------------------------------------------------------- */

static int
status(const struct opts *o)
{
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	uint64_t *ids = NULL;
	size_t n = 0, pending = 0;
	int rc = 0;

	if (w3s_store_open(o->store, 0, &store, &err) != 0 ||
	    w3s_store_buckets(store, &ids, &n, &err) != 0) {
		w3s_store_close(store);
		return w3s_cli_fail(&err);
	}
	if (o->json)
		printf("{\"pending\":[");
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct w3s_resume_token tok;
		struct w3s_bucket *b = NULL;
		char text[W3S_RESUME_TOKEN_MAX];
		int found = 0;

		if (w3s_bucket_open(store, ids[i], NULL, &b, &err) != 0 ||
		    w3s_import_pending(b, &tok, &found, &err) != 0) {
			rc = w3s_cli_fail(&err);
		} else if (found) {
			w3s_resume_token_format(&tok, text);
			if (o->json)
				printf("%s{\"bucket\":%" PRIu64 ",\"token\":"
				    "\"%s\",\"chunk\":%" PRIu64 ",\"byte\":%"
				    PRIu64 "}", pending ? "," : "", ids[i],
				    text, tok.chunk, tok.byte);
			else
				printf("bucket %" PRIu64 " pending %s chunk %"
				    PRIu64 " byte %" PRIu64 "\n", ids[i], text,
				    tok.chunk, tok.byte);
			pending++;
		}
		w3s_bucket_close(b);
	}
	if (o->json)
		printf("]}\n");
	else if (rc == 0 && pending == 0)
		printf("no pending import\n");
	free(ids);
	w3s_store_close(store);
	if (rc == 0)
		rc = w3s_cli_flush_stdout();
	return rc;
}

/* ---- input: the files one after the other ------------------------------- */

struct input {
	int *fds;
	int n;
	int cur;
	const char **names;
};

static long
input_read(void *ctx, void *buf, size_t cap, struct w3s_err *err)
{
	struct input *in = ctx;

	while (in->cur < in->n) {
		ssize_t got = read(in->fds[in->cur], buf, cap);

		if (got > 0)
			return (long)got;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return w3s_err_sys(err, errno, "cannot read %s",
			    in->names[in->cur]);
		}
		in->cur++;
	}
	return 0;
}

static int
open_inputs(const struct opts *o, struct input *in)
{
	static const char *stdin_name = "standard input";
	int n = o->nfiles ? o->nfiles : 1;

	in->fds = calloc((size_t)n, sizeof(*in->fds));
	in->names = calloc((size_t)n, sizeof(*in->names));
	if (in->fds == NULL || in->names == NULL) {
		w3s_cli_errorf("cannot read the input: %s",
		    w3s_cli_reason(ENOMEM));
		return 7;
	}
	for (int i = 0; i < n; i++) {
		const char *f = o->nfiles ? o->files[i] : "-";

		if (strcmp(f, "-") == 0) {
			if (isatty(STDIN_FILENO))
				return w3s_cli_usage_error("standard input is"
				    " a terminal, not a stream");
			in->fds[i] = STDIN_FILENO;
			in->names[i] = stdin_name;
		} else {
			if ((in->fds[i] = open(f, O_RDONLY | O_CLOEXEC)) < 0) {
				w3s_cli_errorf("cannot open %s: %s", f,
				    w3s_cli_reason(errno));
				return 7;
			}
			in->names[i] = f;
		}
		in->n = i + 1;
	}
	return -1;
}

static void
close_inputs(struct input *in)
{
	for (int i = 0; i < in->n; i++)
		if (in->fds[i] != STDIN_FILENO)
			close(in->fds[i]);
	free(in->fds);
	free(in->names);
}

/* ---- results ------------------------------------------------------------ */

static void
print_result(const struct opts *o, const struct w3s_import_result *r)
{
	const char *kind = r->kind == W3S_STREAM_DELTA ? "delta" : "full";
	char root[W3S_HEX32_LEN];

	w3s_hex32_format(root, r->target.mmr_root);
	if (o->json) {
		printf("{\"bucket\":%" PRIu64 ",\"kind\":\"%s\",\"mmr_root\":"
		    "\"%s\",\"start_seq\":%" PRIu64 ",\"leaf_count\":%" PRIu64
		    ",\"segments\":%" PRIu64 ",\"checkpoints\":%" PRIu64
		    ",\"deletions\":%" PRIu64 ",\"index\":%" PRIu64
		    ",\"chunks\":%" PRIu64 ",\"chunk_bytes\":%" PRIu64
		    ",\"written\":%" PRIu64 ",\"skipped\":%" PRIu64
		    ",\"already\":%s,\"resumed\":%s,\"anchored\":%s"
		    ",\"anchored_by\":\"%s\",\"trusted_signers\":%" PRIu64
		    "}\n", r->bucket, kind, root, r->target.start_seq,
		    r->target.leaf_count, r->segments, r->checkpoints,
		    r->deletions, r->index, r->chunks, r->chunk_bytes,
		    r->chunks_written, r->chunks_skipped,
		    r->already ? "true" : "false",
		    r->resume_chunk ? "true" : "false",
		    r->anchored ? "true" : "false",
		    r->anchored_by_root ? "root" : r->anchored ? "keys" :
		    "none", r->trusted_signers);
		return;
	}
	printf("bucket %" PRIu64 "\nkind %s\nmmr_root %s\nstart_seq %" PRIu64
	    "\nleaf_count %" PRIu64 "\nsegments %" PRIu64 "\nchunks %" PRIu64
	    "\nchunk_bytes %" PRIu64 "\nwritten %" PRIu64 "\nskipped %" PRIu64
	    "\nanchored %s\n", r->bucket, kind, root, r->target.start_seq,
	    r->target.leaf_count, r->segments, r->chunks, r->chunk_bytes,
	    r->chunks_written, r->chunks_skipped,
	    r->anchored_by_root ? "root" : r->anchored ? "keys" : "no");
}

struct run {
	const struct opts *o;
	struct w3s_cli_progress *meter;
	uint64_t total;
};

static int
on_progress(void *ctx, const struct w3s_stream_pos *pos)
{
	struct run *run = ctx;

	w3s_cli_progress_update(run->meter, pos->chunk_bytes);
	return 0;
}

static int
import_one(struct run *run, struct w3s_store *store,
    struct w3s_stream_reader *r, const struct w3s_manifest *m)
{
	const struct opts *o = run->o;
	struct w3s_bucket_opts bo = { W3S_STORE_WRITE, o->wait, PROG };
	struct w3s_import_hooks hooks = { run, on_progress, NULL };
	struct w3s_import_result res;
	struct w3s_err err = { 0 };
	struct w3s_bucket *b = NULL;
	char label[40];
	int rc;

	if (o->create)
		bo.flags |= W3S_STORE_CREATE;
	if (w3s_bucket_open(store, m->bucket, &bo, &b, &err) != 0) {
		if (err.code == W3S_EUSAGE && !o->create)
			w3s_err_wrap(&err, "give --create to make it");
		return w3s_cli_fail(&err);
	}
	snprintf(label, sizeof(label), "bucket %" PRIu64, m->bucket);
	run->meter = w3s_cli_progress_new(o->progress, label);
	w3s_cli_progress_total(run->meter, w3s_manifest_carried_bytes(m));
	rc = w3s_import_archive(r, b, m, &o->trust, &hooks, &res, &err);
	w3s_bucket_close(b);
	if (rc != 0) {
		w3s_cli_progress_free(run->meter);
		rc = w3s_cli_fail(&err);
		if (res.has_token)
			fprintf(stderr, "%s: resume token: %s\n", PROG,
			    res.token_text);
		return rc;
	}
	w3s_cli_progress_end(run->meter);
	if (res.already)
		w3s_cli_warnf("bucket %" PRIu64 " is already at the target"
		    " commitment: nothing written", res.bucket);
	if (!res.anchored)
		w3s_cli_warnf("bucket %" PRIu64 ": unanchored: no --trust-root"
		    " or trusted key vouches for the commitment; the data is"
		    " consistent, but nothing ties it to the chain",
		    res.bucket);
	print_result(o, &res);
	return w3s_cli_flush_stdout();
}

static int
import(const struct opts *o)
{
	struct w3s_stream_reader *r = NULL;
	struct w3s_store *store = NULL;
	struct w3s_stream_event ev;
	struct w3s_err err = { 0 };
	struct input in = { 0 };
	struct run run = { o, NULL, 0 };
	uint64_t archives = 0;
	int rc;

	if ((rc = open_inputs(o, &in)) >= 0)
		goto out;
	rc = 0;
	if (w3s_store_open(o->store, o->create ? W3S_STORE_CREATE : 0, &store,
	    &err) != 0 ||
	    (r = w3s_stream_reader_new_cb(input_read, &in, &err)) == NULL) {
		rc = w3s_cli_fail(&err);
		goto out;
	}
	while (rc == 0) {
		if (w3s_stream_next(r, &ev, &err) != 0) {
			if (err.code == W3S_EINCOMPLETE && archives == 0)
				w3s_err_wrap(&err, "no archive");
			rc = w3s_cli_fail(&err);
			break;
		}
		if (ev.type == W3S_STREAM_EV_EOF)
			break;
		rc = import_one(&run, store, r, ev.u.manifest);
		archives++;
	}
out:
	w3s_stream_reader_free(r);
	w3s_store_close(store);
	close_inputs(&in);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts *o;
	int rc;

	w3s_cli_init(PROG);
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		w3s_cli_errorf("%s", w3s_cli_reason(ENOMEM));
		return 7;
	}
	if ((rc = parse_options(argc, argv, o)) < 0)
		rc = o->status ? status(o) : import(o);
	free(o);
	return rc;
}
