/* delta-replay: apply many deltas (files, spool directories, stdin) to a
 * bucket in the order of their commitments. The manifests of every
 * archive are read first (w3s_stream_scan, no chunks), lib/replay plans
 * the chain from the bucket's commitment, and each step is applied by
 * lib/import, verified fully and atomically, in batches of steps made
 * durable together (apply_steps). Archives from stdin are
 * spooled to an unlinked file in the store's tmp directory, so deltas
 * that cannot apply yet wait on disk, not in memory. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <w3s/buf.h>
#include <w3s/chain.h>
#include <w3s/err.h>
#include <w3s/hex.h>
#include <w3s/import.h>
#include <w3s/key.h>
#include <w3s/replay.h>
#include <w3s/store.h>
#include <w3s/stream.h>

#include "cli/cli.h"
#include "cli/progress.h"

#define PROG "delta-replay"
#define SUFFIX ".tar.zst"
#define TRUST_KEYS_MAX 64

/* Steps are applied in batches that become durable together (see
 * w3s_bucket_batch_begin): a delta of a hundred small segments then costs
 * a share of one fsync, and a page its index entries touch is written once
 * for the batch. A batch ends after --batch deltas or BATCH_BYTES of
 * chunks; a crash loses at most the batch under way, which a replay
 * re-applies. Measured with bench/replay.sh's 1,000 deltas of 100
 * one-byte segments: 3.31 s one delta at a time, 1.46-1.57 s in batches
 * of 64, 1.31-1.33 s in batches of 256. */
#define BATCH_DEFAULT 256
#define BATCH_MAX 1000000
#define BATCH_BYTES (64u << 20)

struct opts {
	const char *store;
	uint64_t bucket;
	int bucket_set;
	struct w3s_replay_until until;
	int dry_run;
	const char *trust_keys[TRUST_KEYS_MAX];
	size_t ntrust_keys;
	uint64_t min_signers;
	int min_signers_set;
	uint8_t trust_root[W3S_H256];
	int trust_root_set;
	enum w3s_cli_progress_mode progress;
	int json;
	unsigned wait;
	uint64_t batch;		/* deltas per durable batch */
	char **operands;
	int noperands;
};

/* A file the archives are read from. */
struct source {
	char *name;		/* as given, or DIR/NAME; "-" for stdin */
	int fd;
};

/* An archive found in a source: the planner's tag is its index. */
struct loc {
	size_t source;
	size_t index;		/* archive number in its source, from 0 */
	uint64_t off, end;
};

struct run {
	const struct opts *o;
	struct source *src;
	size_t nsrc, capsrc;
	struct loc *loc;
	size_t nloc, caploc;
	struct w3s_replay *r;
	int input_status;	/* the worst exit status of reading inputs */
	struct w3s_store *store;
	struct w3s_bucket *b;
	uint64_t bucket;
	size_t unanchored;	/* deltas applied without an anchor */
};

static const char usage_text[] =
    "usage: delta-replay --store dir [--bucket id] [--until spec] [--dry-run]\n"
    "                    [--trust-key key]... [--min-signers n] "
    "[--trust-root 0x...]\n"
    "                    [--wait seconds] [--batch n] [--progress | --quiet]\n"
    "                    [--json] file|dir|- ...\n"
    "       delta-replay --help | --version\n";

static const char help_text[] =
    "\n"
    "Applies the delta archives of files, spool directories (their *.tar.zst\n"
    "files) and stdin (-, concatenated archives) to a bucket, in the order\n"
    "of their commitments, from the bucket's current one: any arrival order,\n"
    "duplicates, what is already applied skipped. Each delta is verified\n"
    "fully and applied atomically.\n"
    "\n"
    "options:\n"
    "  -s, --store dir          the store (default: $W3SYNC_STORE)\n"
    "  -b, --bucket id          the bucket (default: the one bucket of the\n"
    "                           deltas)\n"
    "  -u, --until spec         stop at a commitment: a sequence number\n"
    "                           (start_seq + leaf_count), an MMR root 0x...,\n"
    "                           or a time @unix or YYYY-MM-DDTHH:MM:SSZ\n"
    "  -n, --dry-run            print the plan; change nothing\n"
    "  -k, --trust-key key      a trusted primary key (PEM file or 0x hex);\n"
    "                           repeat for several (default: the bucket's)\n"
    "  -m, --min-signers n      signatures of trusted keys each target needs\n"
    "  -r, --trust-root 0x...   the root the replay must reach, read from "
    "the chain\n"
    "  -w, --wait seconds       wait that long for another writer to finish\n"
    "  -B, --batch n            deltas made durable together, with one fsync\n"
    "                           (default 256; 1: each on its own)\n"
    "  -p, --progress           show progress on stderr even when it is not "
    "a terminal\n"
    "  -q, --quiet              no progress\n"
    "  -j, --json               one JSON object instead of lines\n"
    "  -h, --help               print this help and exit\n"
    "  -V, --version            print the version and exit\n"
    "\n"
    "output: one line per delta applied (planned, with --dry-run), then\n"
    "bucket, applied, skipped, held, mmr_root, start_seq, leaf_count lines\n"
    "exit status: 0 success or nothing to do, 1 verification failed, 2 usage\n"
    "error, 3 deltas missing (the range is named), 4 malformed input,\n"
    "5 forked or diverged history or --until already past, 6 busy, 7 system\n"
    "error (see delta-replay(1))\n";

/* ---- options ---------------------------------------------------------- */

static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "until", required_argument, NULL, 'u' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "trust-key", required_argument, NULL, 'k' },
		{ "min-signers", required_argument, NULL, 'm' },
		{ "trust-root", required_argument, NULL, 'r' },
		{ "wait", required_argument, NULL, 'w' },
		{ "batch", required_argument, NULL, 'B' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct w3s_err err = { 0 };
	int ch, status, stdin_seen = 0;

	opterr = 0;
	o->batch = BATCH_DEFAULT;
	while ((ch = getopt_long(argc, argv, ":s:b:u:nk:m:r:w:B:pqjhV",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->store = optarg;
			break;
		case 'b':
			if (w3s_cli_opt_bucket(optarg, &o->bucket) != 0)
				return 2;
			o->bucket_set = 1;
			break;
		case 'u':
			if (w3s_replay_until_parse(optarg, &o->until, &err) != 0)
				return w3s_cli_usage_error("%s", err.msg);
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 'k':
			if (o->ntrust_keys == TRUST_KEYS_MAX)
				return w3s_cli_usage_error("--trust-key: at most "
				    "%d keys", TRUST_KEYS_MAX);
			o->trust_keys[o->ntrust_keys++] = optarg;
			break;
		case 'm':
			if (w3s_cli_parse_u64(optarg, W3S_SIGS_MAX,
			    &o->min_signers) != 0 || o->min_signers == 0)
				return w3s_cli_usage_error("--min-signers: '%s' "
				    "is not a number from 1 to %d", optarg,
				    W3S_SIGS_MAX);
			o->min_signers_set = 1;
			break;
		case 'r':
			if (w3s_cli_opt_root("--trust-root", optarg,
			    o->trust_root) != 0)
				return 2;
			o->trust_root_set = 1;
			break;
		case 'w':
			if (w3s_cli_opt_wait(optarg, &o->wait) != 0)
				return 2;
			break;
		case 'B':
			if (w3s_cli_parse_u64(optarg, BATCH_MAX, &o->batch) != 0
			    || o->batch == 0)
				return w3s_cli_usage_error("--batch: '%s' is not"
				    " a number from 1 to %d", optarg, BATCH_MAX);
			break;
		default:
			if ((status = w3s_cli_opt_common(ch, argv, usage_text,
			    help_text, &o->json, &o->progress)) >= 0)
				return status;
			break;
		}
	}
	if ((o->store = w3s_cli_store(o->store)) == NULL)
		return w3s_cli_usage_error("no store: give --store or set "
		    W3S_STORE_ENV);
	if (optind == argc)
		return w3s_cli_usage_error("no input: give files, spool "
		    "directories or - for stdin");
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] == '\0')
			return w3s_cli_usage_error("an empty operand");
		if (strcmp(argv[i], "-") == 0 && stdin_seen++)
			return w3s_cli_usage_error("- (stdin) given twice");
	}
	if (o->min_signers_set && o->ntrust_keys > 0 &&
	    o->min_signers > o->ntrust_keys)
		return w3s_cli_usage_error("--min-signers %llu: only %zu "
		    "--trust-key given", (unsigned long long)o->min_signers,
		    o->ntrust_keys);
	o->operands = argv + optind;
	o->noperands = argc - optind;
	return -1;
}

/* Records the exit status of a failed input, keeping the worst: a system
 * error over malformed input over an incomplete one. */
static void
input_failed(struct run *run, int status)
{
	static const int rank[8] = { 0, 4, 0, 3, 5, 2, 1, 6 };

	if (status > 0 && status < 8 &&
	    rank[status] > rank[run->input_status])
		run->input_status = status;
}

/* ---- reading the inputs ------------------------------------------------ */

struct scan_ctx {
	struct run *run;
	size_t source;
	size_t index;
};

static int
scan_archive(void *ctx, const struct w3s_stream_archive *a,
    struct w3s_err *err)
{
	struct scan_ctx *c = ctx;
	struct run *run = c->run;
	struct loc *l;
	int rc, taken;

	if (w3s_array_grow(&run->loc, &run->caploc,
	    run->nloc, sizeof(*run->loc)) != 0)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	l = &run->loc[run->nloc];
	l->source = c->source;
	l->index = c->index++;
	l->off = a->offset;
	l->end = a->end;
	rc = w3s_replay_add(run->r, &a->manifest, run->nloc, &taken, err);
	if (rc == W3S_EMALFORMED) {
		w3s_cli_errorf("%s: archive %zu: %s", run->src[c->source].name,
		    l->index + 1, err->msg);
		input_failed(run, 4);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (taken)
		run->nloc++;
	return 0;
}

/* Adds a source (takes name) and reads its archives' manifests. */
static int
add_source(struct run *run, char *name, int fd)
{
	struct w3s_err err = { 0 };
	struct scan_ctx c = { run, run->nsrc, 0 };
	struct stat st;
	int rc, gave_up = 0;

	if (w3s_array_grow(&run->src, &run->capsrc,
	    run->nsrc, sizeof(*run->src)) != 0) {
		free(name);
		if (fd != STDIN_FILENO)
			close(fd);
		w3s_cli_errorf("out of memory");
		return 7;
	}
	run->src[run->nsrc].name = name;
	run->src[run->nsrc].fd = fd;
	run->nsrc++;
	if (fstat(fd, &st) != 0) {
		w3s_cli_errorf("%s: cannot stat: %s", name,
		    w3s_cli_reason(errno));
		input_failed(run, 7);
		return 0;
	}
	rc = w3s_stream_scan(fd, (uint64_t)st.st_size, scan_archive, &c,
	    &gave_up, &err);
	if (rc == W3S_ESYS && c.index > 0) {
		/* Out of memory while recording: nothing can go on. */
		w3s_cli_errorf("%s: %s", name, err.msg);
		return 7;
	}
	if (rc != 0) {
		w3s_cli_errorf("%s: not a delta archive: %s", name, err.msg);
		input_failed(run, w3s_err_exit_status(rc));
	}
	if (gave_up)
		w3s_cli_warnf("%s: too many zstd frames that start no archive: "
		    "the rest of the file belongs to its last archive", name);
	return 0;
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *s = malloc(n + strlen(name) + 2);

	if (s != NULL)
		sprintf(s, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/",
		    name);
	return s;
}

/* A spool directory: its *.tar.zst regular files in name order; hidden
 * entries are skipped silently (files being written), others with a
 * warning. */
static int
add_dir(struct run *run, const char *dir, int dfd)
{
	char **names = NULL;
	size_t n = 0;
	int status = 0;

	if (w3s_cli_list_dir(dfd, &names, &n) != 0) {
		if (errno == ENOMEM) {
			w3s_cli_errorf("out of memory");
			status = 7;
		} else {
			w3s_cli_errorf("%s: cannot read: %s", dir,
			    w3s_cli_reason(errno));
			input_failed(run, 7);
		}
		close(dfd);
		return status;
	}
	for (size_t i = 0; i < n && status == 0; i++) {
		struct stat st;
		char *path;
		int fd;

		if (names[i][0] == '.')
			continue;
		if (!w3s_cli_ends_with(names[i], SUFFIX)) {
			w3s_cli_warnf("%s: ignored: not named *" SUFFIX,
			    names[i]);
			continue;
		}
		if ((path = join(dir, names[i])) == NULL) {
			w3s_cli_errorf("out of memory");
			status = 7;
			break;
		}
		fd = openat(dfd, names[i], O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			if (errno != ENOENT) {	/* gone meanwhile: fine */
				w3s_cli_errorf("%s: cannot open: %s", path,
				    w3s_cli_reason(errno));
				input_failed(run, 7);
			}
			free(path);
			continue;
		}
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			w3s_cli_warnf("%s: ignored: not a regular file", path);
			close(fd);
			free(path);
			continue;
		}
		status = add_source(run, path, fd);
	}
	w3s_cli_names_free(names, n);
	close(dfd);
	return status;
}

/* stdin: a regular file is read in place; anything else is copied to an
 * unlinked file in the store's tmp directory first, so that its archives
 * can wait there for their turn. */
static int
add_stdin(struct run *run)
{
	static char buf[1 << 16];
	struct stat st;
	char *tmpdir, *name;
	ssize_t n;
	int fd;

	if ((name = strdup("-")) == NULL) {
		w3s_cli_errorf("out of memory");
		return 7;
	}
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    lseek(STDIN_FILENO, 0, SEEK_CUR) == 0)
		return add_source(run, name, STDIN_FILENO);
	if ((tmpdir = join(w3s_store_dir(run->store), "tmp")) == NULL) {
		free(name);
		w3s_cli_errorf("out of memory");
		return 7;
	}
	if (mkdir(tmpdir, 0700) != 0 && errno != EEXIST) {
		w3s_cli_errorf("%s: cannot create: %s", tmpdir,
		    w3s_cli_reason(errno));
		goto fail;
	}
	fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR ||
	    errno == EINVAL)) {
		char *tmpl = join(tmpdir, "stdin-XXXXXX");

		if (tmpl != NULL && (fd = mkstemp(tmpl)) >= 0)
			unlink(tmpl);
		free(tmpl);
	}
	if (fd < 0) {
		w3s_cli_errorf("%s: cannot create a spool file for stdin: %s",
		    tmpdir, w3s_cli_reason(errno));
		goto fail;
	}
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			w3s_cli_errorf("stdin: read failed: %s",
			    w3s_cli_reason(errno));
			close(fd);
			goto fail;
		}
		if (n == 0)
			break;
		for (ssize_t w, off = 0; off < n; off += w) {
			w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w < 0) {
				w3s_cli_errorf("%s: cannot spool stdin: %s",
				    tmpdir, w3s_cli_reason(errno));
				close(fd);
				goto fail;
			}
		}
	}
	free(tmpdir);
	return add_source(run, name, fd);
fail:
	free(tmpdir);
	free(name);
	return 7;
}

static int
add_operand(struct run *run, const char *arg)
{
	struct stat st;
	char *name;
	int fd;

	if (strcmp(arg, "-") == 0)
		return add_stdin(run);
	if ((fd = open(arg, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 ||
	    fstat(fd, &st) != 0) {
		w3s_cli_errorf("%s: cannot open: %s", arg,
		    w3s_cli_reason(errno));
		if (fd >= 0)
			close(fd);
		input_failed(run, 7);
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir(run, arg, fd);
	if (!S_ISREG(st.st_mode)) {
		w3s_cli_errorf("%s: not a file or directory (give - for a "
		    "pipe on stdin)", arg);
		close(fd);
		input_failed(run, 4);
		return 0;
	}
	if ((name = strdup(arg)) == NULL) {
		close(fd);
		w3s_cli_errorf("out of memory");
		return 7;
	}
	return add_source(run, name, fd);
}

/* ---- output ------------------------------------------------------------- */

/* A source and archive for messages: "FILE" or "FILE#N" (N from 1) when
 * the file holds more than one archive. */
static void
loc_name(const struct run *run, const struct loc *l, char *out, size_t len)
{
	const char *name = run->src[l->source].name;
	int more = l->index > 0 || (l->end < UINT64_MAX &&
	    l + 1 < run->loc + run->nloc && l[1].source == l->source);

	if (more)
		snprintf(out, len, "%s#%zu", name, l->index + 1);
	else
		snprintf(out, len, "%s", name);
}

static void
json_commitment(const char *key, const struct w3s_commitment *c)
{
	char root[W3S_HEX32_LEN];

	w3s_hex32_format(root, c->mmr_root);
	printf("\"%s\":{\"mmr_root\":\"%s\",\"start_seq\":%llu,"
	    "\"leaf_count\":%llu,\"seq\":%llu}", key, root,
	    (unsigned long long)c->start_seq,
	    (unsigned long long)c->leaf_count,
	    (unsigned long long)w3s_chain_range_end(c));
}

static const char *
stop_name(enum w3s_replay_stop s)
{
	static const char *const names[] = { "done", "until", "gap", "fork",
	    "diverged", "past" };

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* One line for a step (text output). */
static void
print_step(const struct run *run, const struct w3s_replay_delta *d,
    const char *verb)
{
	char base[W3S_HEX32_LEN], target[W3S_HEX32_LEN], where[4096 + 32];

	w3s_hex32_format(base, d->base.mmr_root);
	w3s_hex32_format(target, d->target.mmr_root);
	loc_name(run, &run->loc[d->tag], where, sizeof(where));
	printf("%s seq %llu -> %llu start_seq %llu -> %llu root %s -> %s "
	    "segments %llu deletions %llu chunks %llu chunk_bytes %llu "
	    "source %s\n", verb,
	    (unsigned long long)w3s_chain_range_end(&d->base),
	    (unsigned long long)w3s_chain_range_end(&d->target),
	    (unsigned long long)d->base.start_seq,
	    (unsigned long long)d->target.start_seq, base, target,
	    (unsigned long long)d->counts.segments,
	    (unsigned long long)d->counts.deletions,
	    (unsigned long long)d->counts.chunks,
	    (unsigned long long)d->counts.chunk_bytes, where);
}

/* The result: steps done (applied, or planned with --dry-run), the
 * skipped and held deltas, where the bucket is, and why it stopped. */
static void
print_result(const struct run *run, const struct w3s_replay_plan *p,
    size_t done, const struct w3s_commitment *at, int status,
    const struct w3s_err *failure, size_t failed_step)
{
	const struct opts *o = run->o;
	size_t skipped = p->duplicates + p->applied + p->old + p->behind +
	    p->spans + p->diverged;
	char root[W3S_HEX32_LEN], where[4096 + 32];
	int anchored = !o->dry_run && done > 0 && run->unanchored == 0;

	if (!o->json) {
		if (!o->dry_run)
			for (size_t i = 0; i < done; i++)
				print_step(run, p->steps[i], "applied");
		else
			for (size_t i = 0; i < p->nsteps; i++)
				print_step(run, p->steps[i], "plan");
		w3s_hex32_format(root, at->mmr_root);
		printf("bucket %llu\n%s %zu\nskipped %zu\nheld %zu\n"
		    "mmr_root %s\nstart_seq %llu\nleaf_count %llu\n"
		    "anchored %s\n",
		    (unsigned long long)run->bucket,
		    o->dry_run ? "planned" : "applied",
		    o->dry_run ? p->nsteps : done, skipped, p->held, root,
		    (unsigned long long)at->start_seq,
		    (unsigned long long)at->leaf_count, anchored ? "yes" : "no");
		return;
	}
	printf("{\"bucket\":%llu,\"dry_run\":%s,", (unsigned long long)
	    run->bucket, o->dry_run ? "true" : "false");
	json_commitment("start", &p->start);
	putchar(',');
	json_commitment("end", at);
	printf(",\"steps\":[");
	for (size_t i = 0; i < (o->dry_run ? p->nsteps : done); i++) {
		const struct w3s_replay_delta *d = p->steps[i];

		printf("%s{", i ? "," : "");
		json_commitment("base", &d->base);
		putchar(',');
		json_commitment("target", &d->target);
		loc_name(run, &run->loc[d->tag], where, sizeof(where));
		printf(",\"segments\":%llu,\"deletions\":%llu,\"chunks\":%llu,"
		    "\"chunk_bytes\":%llu,\"created\":%llu,\"source\":",
		    (unsigned long long)d->counts.segments,
		    (unsigned long long)d->counts.deletions,
		    (unsigned long long)d->counts.chunks,
		    (unsigned long long)d->counts.chunk_bytes,
		    (unsigned long long)d->created);
		w3s_cli_json_string(stdout, where);
		putchar('}');
	}
	printf("],\"skipped\":{\"duplicates\":%zu,\"applied\":%zu,"
	    "\"old\":%zu,\"behind\":%zu,\"spans\":%zu,\"diverged\":%zu,"
	    "\"other_buckets\":%zu},\"held\":%zu,\"anchored\":%s,"
	    "\"stop\":\"%s\"",
	    p->duplicates, p->applied, p->old, p->behind, p->spans,
	    p->diverged, p->other_buckets, p->held,
	    anchored ? "true" : "false",
	    failure != NULL ? "failed" : stop_name(p->stop));
	if (p->stop == W3S_REPLAY_GAP && failure == NULL) {
		printf(",\"gap\":{");
		json_commitment("from", &p->end);
		if (p->has_gap_to) {
			putchar(',');
			json_commitment("to", &p->gap_to);
		}
		putchar('}');
	}
	if (p->stop == W3S_REPLAY_FORK && failure == NULL) {
		printf(",\"fork\":{");
		json_commitment("at", &p->end);
		putchar(',');
		json_commitment("a", &p->fork_a);
		putchar(',');
		json_commitment("b", &p->fork_b);
		putchar('}');
	}
	if (p->stop == W3S_REPLAY_DIVERGED && failure == NULL) {
		printf(",\"diverged\":{");
		json_commitment("ours", &p->ours);
		putchar(',');
		json_commitment("theirs", &p->theirs);
		putchar('}');
	}
	if (failure != NULL) {
		loc_name(run, &run->loc[p->steps[failed_step]->tag], where,
		    sizeof(where));
		printf(",\"failed\":{");
		json_commitment("base", &p->steps[failed_step]->base);
		putchar(',');
		json_commitment("target", &p->steps[failed_step]->target);
		printf(",\"source\":");
		w3s_cli_json_string(stdout, where);
		putchar('}');
	}
	printf(",\"error\":");
	if (failure != NULL)
		w3s_cli_json_string(stdout, failure->msg);
	else if (p->code != 0)
		w3s_cli_json_string(stdout, p->why.msg);
	else
		printf("null");
	printf(",\"exit\":%d}\n", status);
}

/* ---- applying ----------------------------------------------------------- */

struct apply_ctx {
	struct run *run;
	struct w3s_import_trust trust;
	uint8_t keys[TRUST_KEYS_MAX][W3S_PUBKEY_LEN];
	size_t nkeys;
	const struct opts *o;
};

/* Applies one archive (lib/import): verified fully, committed
 * atomically, or nothing changes. */
static int
apply_step(struct apply_ctx *a, const struct w3s_replay_delta *d,
    struct w3s_err *err)
{
	const struct loc *l = &a->run->loc[d->tag];
	struct w3s_stream_range src = { a->run->src[l->source].fd, l->off,
	    l->end };
	struct w3s_import_trust t = a->trust;
	struct w3s_import_result res;
	struct w3s_stream_reader *rd;
	struct w3s_stream_event ev;
	int rc;

	/* --trust-root anchors the commitment it names, the last step. */
	if (a->o->trust_root_set && memcmp(d->target.mmr_root,
	    a->o->trust_root, W3S_H256) == 0) {
		t.has_root = 1;
		memcpy(t.root, a->o->trust_root, W3S_H256);
	}
	/* No primary signs what a drop leaves (segment-drop(1)): lib/import
	 * anchors such a target by a deletion certificate of a trusted key
	 * that names it. */
	if ((rd = w3s_stream_reader_new_cb(w3s_stream_range_read, &src,
	    err)) == NULL)
		return W3S_ESYS;
	rc = w3s_stream_next(rd, &ev, err);
	if (rc == 0 && (ev.type != W3S_STREAM_EV_MANIFEST ||
	    ev.u.manifest->bucket != d->bucket ||
	    !w3s_chain_commitment_eq(&ev.u.manifest->base, &d->base) ||
	    !w3s_chain_commitment_eq(&ev.u.manifest->target,
	    &d->target)))
		rc = w3s_err_set(err, W3S_EMALFORMED, "the archive changed "
		    "since its manifest was read");
	if (rc == 0)
		rc = w3s_import_archive(rd, a->run->b, ev.u.manifest, &t, NULL,
		    &res, err);
	w3s_stream_reader_free(rd);
	if (rc == 0 && !res.anchored)
		a->run->unanchored++;
	return rc;
}

/* Applies the plan's steps; *done of them are applied and durable, and
 * the bucket is at *at. When a step fails in a batch, the batch is rolled
 * back, the steps before it are applied again, and it is applied on its
 * own, as without batches: its failure then keeps what a failed import
 * keeps (the chunks received, a resume token). That failure is returned
 * (in *failure) with *failed, the step's index. */
static int
apply_steps(struct run *run, struct apply_ctx *a,
    const struct w3s_replay_plan *plan, struct w3s_cli_progress *prog,
    size_t *done, size_t *failed, struct w3s_commitment *at,
    struct w3s_err *failure)
{
	size_t i = 0, first, unanchored, alone = SIZE_MAX;
	uint64_t bytes = 0, bytes0;
	int rc;

	*done = *failed = 0;
	while (i < plan->nsteps) {
		first = i;
		unanchored = run->unanchored;
		bytes0 = bytes;
		if (i == alone) {
			if ((rc = apply_step(a, plan->steps[i], failure)) != 0)
				goto fail;
			bytes += plan->steps[i++]->counts.chunk_bytes;
		} else {
			if ((rc = w3s_bucket_batch_begin(run->b, failure)) != 0)
				goto fail;
			while (i < plan->nsteps && i != alone &&
			    i - first < run->o->batch &&
			    bytes - bytes0 < BATCH_BYTES) {
				if ((rc = apply_step(a, plan->steps[i],
				    failure)) != 0)
					break;
				bytes += plan->steps[i]->counts.chunk_bytes;
				w3s_cli_progress_update(prog, bytes);
				i++;
			}
			if (rc != 0) {
				w3s_bucket_batch_abort(run->b);
				run->unanchored = unanchored;
				bytes = bytes0;
				alone = i;
				i = first;
				continue;
			}
			if ((rc = w3s_bucket_batch_commit(run->b,
			    failure)) != 0) {
				i = first;
				goto fail;
			}
		}
		w3s_cli_progress_update(prog, bytes);
		*done = i;
		*at = plan->steps[i - 1]->target;
	}
	return 0;
fail:
	run->unanchored = unanchored;
	*failed = i;
	return rc;
}
/* ---- main --------------------------------------------------------------- */

static void
run_free(struct run *run)
{
	for (size_t i = 0; i < run->nsrc; i++) {
		if (run->src[i].fd != STDIN_FILENO)
			close(run->src[i].fd);
		free(run->src[i].name);
	}
	free(run->src);
	free(run->loc);
	w3s_replay_free(run->r);
	w3s_bucket_close(run->b);
	w3s_store_close(run->store);
}

/* The bucket: --bucket, or the one bucket of the deltas. -1 to go on,
 * or an exit status (2 with several buckets, 0 with no delta at all). */
static int
pick_bucket(struct run *run)
{
	struct w3s_err err = { 0 };
	uint64_t *ids;
	size_t n;

	if (run->o->bucket_set) {
		run->bucket = run->o->bucket;
		return -1;
	}
	if (w3s_replay_buckets(run->r, &ids, &n, &err) != 0)
		return w3s_cli_fail(&err);
	if (n == 1)
		run->bucket = ids[0];
	free(ids);
	if (n == 0) {
		w3s_cli_warnf("no delta archive in the input: nothing to "
		    "replay");
		return run->input_status;
	}
	if (n > 1)
		return w3s_cli_usage_error("deltas of %zu buckets: give "
		    "--bucket", n);
	return -1;
}

static int
setup_trust(struct apply_ctx *a, const struct opts *o)
{
	struct w3s_err err = { 0 };
	struct w3s_key *k;

	a->o = o;
	for (size_t i = 0; i < o->ntrust_keys; i++) {
		if (w3s_key_load_public(o->trust_keys[i], &k, &err) != 0) {
			w3s_cli_errorf("--trust-key %s: %s", o->trust_keys[i],
			    err.msg);
			return w3s_err_exit_status(err.code);
		}
		w3s_key_public(k, a->keys[a->nkeys++]);
		w3s_key_free(k);
	}
	memset(&a->trust, 0, sizeof(a->trust));
	a->trust.keys = (const uint8_t (*)[W3S_PUBKEY_LEN])a->keys;
	a->trust.nkeys = a->nkeys;
	a->trust.min_signers = o->min_signers_set ? o->min_signers : 0;
	a->trust.use_bucket = 1;
	a->trust.remember = 1;
	return -1;
}

static int
replay(struct run *run, struct apply_ctx *a)
{
	const struct opts *o = run->o;
	struct w3s_bucket_opts bo = { o->dry_run ? 0 : W3S_STORE_WRITE, o->wait,
	    PROG };
	struct w3s_replay_until until = o->until;
	struct w3s_replay_plan plan;
	struct w3s_commitment cur, at;
	struct w3s_cli_progress *prog = NULL;
	struct w3s_err err = { 0 }, failure = { 0 };
	size_t done = 0, failed_step = 0;
	int status, failed = 0;
	char label[64];

	if (o->trust_root_set && until.kind == W3S_UNTIL_NONE) {
		/* The root read from the chain is where to stop. */
		until.kind = W3S_UNTIL_ROOT;
		memcpy(until.root, o->trust_root, W3S_H256);
	}
	if (w3s_bucket_open(run->store, run->bucket, &bo, &run->b, &err) != 0 ||
	    w3s_bucket_read_begin(run->b, &err) != 0)
		return w3s_cli_fail(&err);
	if (w3s_bucket_commitment(run->b, &cur, &err) != 0 ||
	    w3s_replay_load_history(run->r, run->b, &err) != 0) {
		w3s_bucket_read_end(run->b);
		return w3s_cli_fail(&err);
	}
	w3s_bucket_read_end(run->b);
	if (w3s_replay_plan(run->r, run->bucket, &cur, &until, &plan,
	    &err) != 0)
		return w3s_cli_fail(&err);
	if (plan.other_buckets > 0 && plan.nsteps + plan.duplicates +
	    plan.applied + plan.old + plan.behind + plan.spans + plan.held +
	    plan.diverged == 0) {
		w3s_cli_errorf("no delta of bucket %llu in the input (%zu of "
		    "other buckets)", (unsigned long long)run->bucket,
		    plan.other_buckets);
		w3s_replay_plan_free(&plan);
		return 5;
	}
	at = cur;
	if (!o->dry_run && plan.nsteps > 0) {
		snprintf(label, sizeof(label), "bucket %llu",
		    (unsigned long long)run->bucket);
		prog = w3s_cli_progress_new(o->progress, label);
		w3s_cli_progress_total(prog, plan.chunk_bytes);
		failed = apply_steps(run, a, &plan, prog, &done, &failed_step,
		    &at, &failure) != 0;
		if (failed)
			w3s_cli_progress_free(prog);
		else
			w3s_cli_progress_end(prog);
	} else if (o->dry_run) {
		at = plan.end;
	}
	/* A gap that an unreadable input explains is that input's failure
	 * (a forged delta is exit 1, not a missing one). */
	if (failed)
		status = w3s_err_exit_status(failure.code);
	else if (plan.stop == W3S_REPLAY_GAP && run->input_status != 0)
		status = run->input_status;
	else if (plan.code != 0)
		status = w3s_err_exit_status(plan.code);
	else
		status = run->input_status;
	print_result(run, &plan, done, &at, status, failed ? &failure : NULL,
	    failed_step);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		w3s_cli_errorf("cannot write the result: %s",
		    w3s_cli_reason(errno));
		status = 7;
	}
	if (run->unanchored > 0)
		w3s_cli_warnf("%zu of the deltas applied are unanchored: no "
		    "trusted key (recorded or --trust-key) or --trust-root "
		    "vouches for them", run->unanchored);
	if (failed) {
		char where[4096 + 32];

		loc_name(run, &run->loc[plan.steps[failed_step]->tag], where,
		    sizeof(where));
		w3s_cli_errorf("%s: %s", where, failure.msg);
	} else if (plan.code != 0) {
		w3s_cli_errorf("%s", plan.why.msg);
	}
	w3s_replay_plan_free(&plan);
	return status;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run run;
	struct apply_ctx a;
	struct w3s_err err = { 0 };
	int status;

	w3s_cli_init(PROG);
	memset(&o, 0, sizeof(o));
	memset(&run, 0, sizeof(run));
	memset(&a, 0, sizeof(a));
	if ((status = parse_options(argc, argv, &o)) >= 0)
		return status;
	run.o = &o;
	a.run = &run;
	if ((status = setup_trust(&a, &o)) >= 0)
		goto out;
	if (w3s_store_open(o.store, 0, &run.store, &err) != 0 ||
	    (run.r = w3s_replay_new(&err)) == NULL) {
		status = w3s_cli_fail(&err);
		goto out;
	}
	for (int i = 0; i < o.noperands; i++)
		if ((status = add_operand(&run, o.operands[i])) != 0)
			goto out;
	if ((status = pick_bucket(&run)) >= 0)
		goto out;
	status = replay(&run, &a);
out:
	run_free(&run);
	return status;
}
