/* segment-add: the primary's write path. Each file (or "-", standard
 * input) becomes one segment of the bucket: 256 KiB chunks stored once,
 * one MMR leaf appended. Then the new commitment is committed, its
 * CommitmentPayload v1 signed and kept as a checkpoint, and the change is
 * recorded in the bucket's change log. main parses options, calls the
 * store, and maps the result to an exit status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <w3s/err.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/migrate.h>
#include <w3s/scale.h>
#include <w3s/store.h>

#include "cli/cli.h"
#include "cli/progress.h"

#define PROG "segment-add"

struct opts {
	const char *store;
	const char *key;
	uint64_t bucket;
	int bucket_set;
	int create;
	int force;
	int json;
	enum w3s_cli_progress_mode progress;
	uint64_t total;		/* the files' sizes; 0 with standard input */
	unsigned wait;
	const char **names;
	int nnames;
	char **files;
	int nfiles;
};

static const char usage_text[] =
    "usage: segment-add --store dir --bucket id [--create] [--key pem]\n"
    "                   [--name name]... [--wait seconds] [--force]\n"
    "                   [--progress | --quiet] [--json] file ...\n"
    "       segment-add --help | --version\n";

static const char help_text[] =
    "\n"
    "Adds each file (\"-\" is standard input) as one segment of the bucket,\n"
    "then commits and signs the new commitment.\n"
    "\n"
    "options:\n"
    "  -s, --store dir       the store (default: $W3SYNC_STORE)\n"
    "  -b, --bucket id       the bucket, a decimal number\n"
    "  -c, --create          create the store and the bucket if missing\n"
    "  -k, --key pem         Ed25519 private key that signs the commitment\n"
    "                        (default: $W3SYNC_KEY; required)\n"
    "  -n, --name name       index entry for the next file's data root;\n"
    "                        once per file, in order\n"
    "  -w, --wait seconds    wait that long for another writer to finish\n"
    "  -f, --force           add to a bucket handed over by\n"
    "                        migrate-provider release\n"
    "  -p, --progress        show progress on stderr (default: on a terminal)\n"
    "  -q, --quiet           no progress\n"
    "  -j, --json            one JSON object instead of lines\n"
    "  -h, --help            print this help and exit\n"
    "  -V, --version         print the version and exit\n"
    "\n"
    "output: \"segment SEQ DATA_ROOT SIZE CHUNKS\" per file, then mmr_root,\n"
    "start_seq, leaf_count, payload, signature and public_key lines\n"
    "exit status: 0 success, 1 key not trusted by the bucket, 2 usage\n"
    "error, 4 unsupported store, 5 other bucket or bucket handed over, 6\n"
    "busy, 7 system error\n"
    "(see segment-add(1))\n";

/* Returns -1 to go on, or an exit status. */
static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "create", no_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'f' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, status;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:b:ck:n:w:fpqjhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			o->store = optarg;
			break;
		case 'b':
			if (w3s_cli_opt_bucket(optarg, &o->bucket) != 0)
				return 2;
			o->bucket_set = 1;
			break;
		case 'c':
			o->create = 1;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'n':
			o->names[o->nnames++] = optarg;
			break;
		case 'w':
			if (w3s_cli_opt_wait(optarg, &o->wait) != 0)
				return 2;
			break;
		case 'f':
			o->force = 1;
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
	if (o->key == NULL || *o->key == '\0')
		o->key = getenv("W3SYNC_KEY");
	if ((o->store = w3s_cli_store(o->store)) == NULL)
		return w3s_cli_usage_error("no store: give --store or set "
		    W3S_STORE_ENV);
	if (!o->bucket_set)
		return w3s_cli_usage_error("no bucket: give --bucket");
	if (o->key == NULL || *o->key == '\0')
		return w3s_cli_usage_error("no signing key: give --key or set"
		    " W3SYNC_KEY");
	if (o->nfiles == 0)
		return w3s_cli_usage_error("no file given (use - for standard input)");
	if (o->nnames > o->nfiles)
		return w3s_cli_usage_error("%d names for %d files", o->nnames,
		    o->nfiles);
	for (int i = 0, stdin_seen = 0; i < o->nfiles; i++)
		if (strcmp(o->files[i], "-") == 0 && stdin_seen++)
			return w3s_cli_usage_error("standard input (-) given twice");
	return -1;
}

/* Every input is opened before the store is touched, so an unreadable
 * file fails with the bucket untouched. The sizes of regular files give
 * the progress total; standard input or any other file leaves it unknown. */
static int
check_inputs(struct opts *o)
{
	int known = 1;

	o->total = 0;
	for (int i = 0; i < o->nfiles; i++) {
		struct stat st;
		int fd;

		if (strcmp(o->files[i], "-") == 0) {
			known = 0;
			continue;
		}
		fd = open(o->files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			w3s_cli_errorf("cannot open %s: %s", o->files[i],
			    w3s_cli_reason(errno));
			return 7;
		}
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			w3s_cli_errorf("cannot read %s: %s", o->files[i],
			    w3s_cli_reason(EISDIR));
			return 7;
		}
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			o->total += (uint64_t)st.st_size;
		else
			known = 0;
		close(fd);
	}
	if (!known)
		o->total = 0;
	return -1;
}

/* The meter over all the files: the bytes of the files before this one
 * plus this one's so far. */
struct meter {
	struct w3s_cli_progress *p;
	uint64_t base;
};

static void
meter_cb(void *ctx, uint64_t done)
{
	struct meter *m = ctx;

	w3s_cli_progress_update(m->p, m->base + done);
}

static int
print_result(const struct opts *o, const struct w3s_segment *segs,
    const struct w3s_commitment *c, const uint8_t *payload,
    const uint8_t *sig, const uint8_t *pub)
{
	char root[W3S_HEX32_LEN], hp[2 + 2 * W3S_PAYLOAD_V1_LEN + 1];
	char hs[2 + 2 * W3S_SIGNATURE_LEN + 1], hk[W3S_HEX32_LEN];

	w3s_cli_hex0x(hp, payload, W3S_PAYLOAD_V1_LEN);
	w3s_cli_hex0x(hs, sig, W3S_SIGNATURE_LEN);
	w3s_cli_hex0x(hk, pub, W3S_PUBKEY_LEN);
	if (o->json)
		fputs("{\"segments\":[", stdout);
	for (int i = 0; i < o->nfiles; i++) {
		w3s_hex32_format(root, segs[i].leaf.data_root);
		if (!o->json) {
			printf("segment %llu %s %llu %llu\n",
			    (unsigned long long)segs[i].seq, root,
			    (unsigned long long)segs[i].leaf.data_size,
			    (unsigned long long)segs[i].chunk_count);
			continue;
		}
		printf("%s{\"seq\":%llu,\"data_root\":\"%s\",\"size\":%llu,"
		    "\"chunks\":%llu,\"file\":", i ? "," : "",
		    (unsigned long long)segs[i].seq, root,
		    (unsigned long long)segs[i].leaf.data_size,
		    (unsigned long long)segs[i].chunk_count);
		w3s_cli_json_string(stdout, o->files[i]);
		if (i < o->nnames) {
			fputs(",\"name\":", stdout);
			w3s_cli_json_string(stdout, o->names[i]);
		}
		fputc('}', stdout);
	}
	w3s_hex32_format(root, c->mmr_root);
	if (o->json)
		printf("],\"mmr_root\":\"%s\",\"start_seq\":%llu,"
		    "\"leaf_count\":%llu,\"payload\":\"%s\",\"signature\":"
		    "\"%s\",\"public_key\":\"%s\"}\n", root,
		    (unsigned long long)c->start_seq,
		    (unsigned long long)c->leaf_count, hp, hs, hk);
	else
		printf("mmr_root %s\nstart_seq %llu\nleaf_count %llu\n"
		    "payload %s\nsignature %s\npublic_key %s\n", root,
		    (unsigned long long)c->start_seq,
		    (unsigned long long)c->leaf_count, hp, hs, hk);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		w3s_cli_errorf("committed, but cannot write the result: %s",
		    w3s_cli_reason(errno));
		return 7;
	}
	return 0;
}

/* A bucket handed over by migrate-provider release takes no more segments
 * unless --force: W3S_ENOTAPPLY naming the new provider. */
static int
handed_over(const struct opts *o, struct w3s_bucket *b, struct w3s_err *err)
{
	uint8_t to[W3S_PUBKEY_LEN];
	char hex[W3S_HEX32_LEN];
	int rc, handed;

	if (o->force || (rc = w3s_migrate_handed_over(b, &handed, to,
	    err)) != 0 || !handed)
		return o->force ? 0 : rc;
	w3s_hex32_format(hex, to);
	return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %llu was handed over to"
	    " %s (migrate-provider release): give --force to add anyway",
	    (unsigned long long)o->bucket, hex);
}

/* Adds the files in one write session. Returns an exit status. */
static int
add_segments(const struct opts *o, struct w3s_bucket *b, struct w3s_key *key,
    struct w3s_segment *segs)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN], sig[W3S_SIGNATURE_LEN];
	uint8_t pub[W3S_PUBKEY_LEN];
	struct w3s_commitment next;
	struct w3s_err err = { 0 };
	struct meter m = { NULL, 0 };
	char label[48];
	int rc;

	w3s_key_public(key, pub);
	if ((rc = w3s_bucket_key_allowed(b, W3S_ROLE_PRIMARY, pub, &err)) != 0 ||
	    (rc = handed_over(o, b, &err)) != 0 ||
	    (rc = w3s_bucket_write_begin(b, &err)) != 0)
		return w3s_cli_fail(&err);
	snprintf(label, sizeof(label), "bucket %llu",
	    (unsigned long long)o->bucket);
	m.p = w3s_cli_progress_new(o->progress, label);
	w3s_cli_progress_total(m.p, o->total);
	for (int i = 0; i < o->nfiles; i++) {
		int is_stdin = strcmp(o->files[i], "-") == 0;
		int fd = is_stdin ? STDIN_FILENO :
		    open(o->files[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			rc = errno;
			w3s_cli_progress_free(m.p);
			w3s_cli_errorf("cannot open %s: %s", o->files[i],
			    w3s_cli_reason(rc));
			w3s_bucket_write_abort(b, 0);
			return 7;
		}
		rc = w3s_bucket_segment_add_fd_progress(b, fd, m.p != NULL ?
		    meter_cb : NULL, &m, &segs[i], &err);
		m.base += segs[i].leaf.data_size;
		if (!is_stdin)
			close(fd);
		if (rc == 0 && i < o->nnames)
			rc = w3s_bucket_name_set(b, o->names[i],
			    segs[i].leaf.data_root, &err);
		if (rc != 0) {
			w3s_cli_progress_free(m.p);
			w3s_bucket_write_abort(b, 0);
			w3s_cli_errorf("%s: %s", is_stdin ? "standard input" :
			    o->files[i], err.msg);
			return w3s_err_exit_status(rc);
		}
	}
	/* The bytes are in; what is left (commit, sign) is quick. */
	w3s_cli_progress_end(m.p);
	m.p = NULL;
	if ((rc = w3s_bucket_write_prepare(b, &next, &err)) != 0)
		goto abort;
	w3s_payload_v1_encode(o->bucket, &next, payload);
	if ((rc = w3s_key_sign(key, payload, sizeof(payload), sig,
	    &err)) != 0 ||
	    (rc = w3s_bucket_checkpoint_add(b, &next, pub, sig, &err)) != 0 ||
	    (rc = w3s_bucket_write_commit(b, NULL, &err)) != 0)
		goto abort;
	return print_result(o, segs, &next, payload, sig, pub);
abort:
	w3s_bucket_write_abort(b, 0);
	return w3s_cli_fail(&err);
}

int
main(int argc, char **argv)
{
	struct w3s_bucket_opts bo = { W3S_STORE_WRITE, 0, PROG };
	struct opts o;
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_segment *segs = NULL;
	struct w3s_key *key = NULL;
	int status;

	w3s_cli_init(PROG);
	memset(&o, 0, sizeof(o));
	o.names = calloc((size_t)argc + 1, sizeof(*o.names));
	if (o.names == NULL) {
		w3s_cli_errorf("out of memory");
		return 7;
	}
	if ((status = parse_options(argc, argv, &o)) >= 0 ||
	    (status = check_inputs(&o)) >= 0)
		goto out;
	segs = calloc((size_t)o.nfiles, sizeof(*segs));
	if (segs == NULL) {
		w3s_cli_errorf("out of memory");
		status = 7;
		goto out;
	}
	if (w3s_key_load_private(o.key, &key, &err) != 0 ||
	    w3s_store_open(o.store, o.create ? W3S_STORE_CREATE : 0, &store,
	    &err) != 0) {
		status = w3s_cli_fail(&err);
		goto out;
	}
	if (o.create)
		bo.flags |= W3S_STORE_CREATE;
	bo.wait = o.wait;
	if (w3s_bucket_open(store, o.bucket, &bo, &b, &err) != 0) {
		status = w3s_cli_fail(&err);
		goto out;
	}
	status = add_segments(&o, b, key, segs);
out:
	w3s_bucket_close(b);
	w3s_store_close(store);
	w3s_key_free(key);
	free(segs);
	free(o.names);
	return status;
}
