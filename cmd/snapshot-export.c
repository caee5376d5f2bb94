/* snapshot-export: write a full snapshot of a bucket, or a delta since an
 * earlier commitment, as a w3sync stream (w3sync-stream(5)) to stdout, a
 * file or a directory. The work is lib/export.c's; this is options,
 * where the bytes go, and the exit code. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <w3s/err.h>
#include <w3s/export.h>
#include <w3s/hex.h>
#include <w3s/resume.h>
#include <w3s/store.h>
#include <w3s/stream.h>

#include "cli/cli.h"
#include "cli/progress.h"

#define PROG "snapshot-export"

struct opts {
	const char *store;
	uint64_t bucket;
	int bucket_set;
	int all;
	const char *since_text;
	struct w3s_export_since since;
	int split;
	const char *output;
	int to_dir;
	const char *resume_text;
	struct w3s_resume_token resume;
	int level;
	int dry_run;
	enum w3s_cli_progress_mode progress;
	int json;
};

static const char usage_text[] =
    "usage: snapshot-export --store dir (--bucket id | --all) [--since spec]\n"
    "                       [--split] [--output file | --output dir/]\n"
    "                       [--resume token] [--level n] [--dry-run]\n"
    "                       [--progress | --quiet] [--json]\n"
    "       snapshot-export --help | --version\n";

static const char help_text[] =
    "\n"
    "Writes a full snapshot of a bucket at its current commitment, or a\n"
    "delta since an earlier one, as a w3sync stream (pax tar + zstd).\n"
    "\n"
    "options:\n"
    "  -s, --store dir       the store (default: $W3SYNC_STORE)\n"
    "  -b, --bucket id       the bucket, a decimal number\n"
    "  -a, --all             every bucket of the store, in id order\n"
    "  -S, --since spec      a delta from the commitment of the change log at\n"
    "                        sequence number spec, or with MMR root 0x...\n"
    "  -x, --split           with --since: one delta archive per commit\n"
    "  -o, --output path     a new file (written atomically, never\n"
    "                        overwritten), or dir/: one file per archive\n"
    "                        under a sortable name (default: stdout)\n"
    "  -r, --resume token    start after the chunks a receiver holds\n"
    "  -l, --level n         zstd level, 1 (default) to 19; 0 stores\n"
    "  -n, --dry-run         write nothing; print the commitment and counts\n"
    "  -p, --progress        show progress on stderr (default: on a terminal)\n"
    "  -q, --quiet           no progress\n"
    "  -j, --json            one JSON object per archive\n"
    "  -h, --help            print this help and exit\n"
    "  -V, --version         print the version and exit\n"
    "\n"
    "output (with -o or --dry-run): bucket, mmr_root, start_seq, leaf_count,\n"
    "segments, chunks and bytes lines per archive (base_* for a delta, file\n"
    "with -o)\n"
    "exit status: 0 success, 2 usage error, 3 chunk missing from the store,\n"
    "4 unsupported store or malformed resume token, 5 no such commitment,\n"
    "nothing to export, token of another snapshot, or file exists, 7 system\n"
    "error (see snapshot-export(1))\n";

static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "all", no_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 'S' },
		{ "split", no_argument, NULL, 'x' },
		{ "output", required_argument, NULL, 'o' },
		{ "resume", required_argument, NULL, 'r' },
		{ "level", required_argument, NULL, 'l' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct w3s_err err = { 0 };
	struct stat st;
	uint64_t v;
	size_t n;
	int ch, status;

	o->level = W3S_STREAM_LEVEL_DEFAULT;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:b:aS:xo:r:l:npqjhV", longopts,
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
		case 'a':
			o->all = 1;
			break;
		case 'S':
			if (w3s_export_since_parse(optarg, &o->since, &err) != 0)
				return w3s_cli_usage_error("%s", err.msg);
			o->since_text = optarg;
			break;
		case 'x':
			o->split = 1;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'r':
			if (w3s_resume_token_parse(optarg, &o->resume, &err) != 0)
				return w3s_cli_usage_error("--resume: %s", err.msg);
			o->resume_text = optarg;
			break;
		case 'l':
			if (w3s_cli_parse_u64(optarg, W3S_STREAM_LEVEL_MAX, &v) != 0)
				return w3s_cli_usage_error("--level: '%s' is not a"
				    " level from 0 to %d", optarg,
				    W3S_STREAM_LEVEL_MAX);
			o->level = (int)v;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		default:
			if ((status = w3s_cli_opt_common(ch, argv, usage_text,
			    help_text, &o->json, &o->progress)) >= 0)
				return status;
			break;
		}
	}
	if (optind < argc)
		return w3s_cli_usage_error("unexpected operand '%s'", argv[optind]);
	if ((o->store = w3s_cli_store(o->store)) == NULL)
		return w3s_cli_usage_error("no store: give --store or set "
		    W3S_STORE_ENV);
	if (o->bucket_set == o->all)
		return w3s_cli_usage_error(o->all ? "--bucket and --all"
		    " exclude each other" : "no bucket: give --bucket or"
		    " --all");
	if (o->all && (o->since_text != NULL || o->resume_text != NULL))
		return w3s_cli_usage_error("--%s names one bucket's"
		    " commitment: not with --all", o->since_text ? "since" :
		    "resume");
	if (o->split && o->since_text == NULL)
		return w3s_cli_usage_error("--split needs --since");
	if (o->split && o->resume_text != NULL)
		return w3s_cli_usage_error("--split and --resume exclude each"
		    " other");
	if (o->output != NULL) {
		if (*o->output == '\0')
			return w3s_cli_usage_error("-o: an empty path");
		n = strlen(o->output);
		o->to_dir = o->output[n - 1] == '/' ||
		    (stat(o->output, &st) == 0 && S_ISDIR(st.st_mode));
	}
	if (o->json && o->output == NULL && !o->dry_run)
		return w3s_cli_usage_error("--json needs -o or --dry-run:"
		    " stdout carries the stream");
	if (o->output == NULL && !o->dry_run && isatty(STDOUT_FILENO))
		return w3s_cli_usage_error("refusing to write a stream to a"
		    " terminal: give -o or redirect stdout");
	return -1;
}

/* ---- output ---------------------------------------------------------- */

static void
print_info(const struct opts *o, const struct w3s_export_info *in,
    const char *file, int has_bytes, uint64_t stream_bytes)
{
	char root[W3S_HEX32_LEN], base[W3S_HEX32_LEN];
	unsigned long long v[6] = { in->target.start_seq,
	    in->target.leaf_count, in->counts.segments, in->chunks,
	    in->chunk_bytes, stream_bytes };

	w3s_hex32_format(root, in->target.mmr_root);
	w3s_hex32_format(base, in->base.mmr_root);
	if (o->json) {
		printf("{\"bucket\":%llu,", (unsigned long long)in->bucket);
		if (file != NULL) {
			printf("\"file\":");
			w3s_cli_json_string(stdout, file);
			putchar(',');
		}
		printf("\"mmr_root\":\"%s\",\"start_seq\":%llu,"
		    "\"leaf_count\":%llu,\"segments\":%llu,\"chunks\":%llu,"
		    "\"bytes\":%llu", root, v[0], v[1], v[2], v[3], v[4]);
		if (in->has_base)
			printf(",\"base_mmr_root\":\"%s\",\"base_start_seq\":"
			    "%llu,\"base_leaf_count\":%llu", base,
			    (unsigned long long)in->base.start_seq,
			    (unsigned long long)in->base.leaf_count);
		if (has_bytes)
			printf(",\"stream_bytes\":%llu", v[5]);
		printf("}\n");
		return;
	}
	printf("bucket %llu\n", (unsigned long long)in->bucket);
	if (file != NULL)
		printf("file %s\n", file);
	printf("mmr_root %s\nstart_seq %llu\nleaf_count %llu\nsegments %llu\n"
	    "chunks %llu\nbytes %llu\n", root, v[0], v[1], v[2], v[3], v[4]);
	if (in->has_base)
		printf("base_mmr_root %s\nbase_start_seq %llu\n"
		    "base_leaf_count %llu\n", base,
		    (unsigned long long)in->base.start_seq,
		    (unsigned long long)in->base.leaf_count);
	if (has_bytes)
		printf("stream_bytes %llu\n", v[5]);
}

/* Where archives go: one writer on stdout or on one new file, or a new
 * file per archive under a directory. */
struct sink {
	const struct opts *o;
	struct w3s_stream_writer *w;
	struct w3s_export_file *file;
	struct w3s_cli_progress *meter;
	uint64_t meter_base;	/* split: bytes of the archives before */
	uint64_t archives;
	uint64_t skipped;
};

static void
meter_cb(void *ctx, uint64_t done, uint64_t total)
{
	struct sink *s = ctx;

	if (s->o->split)
		w3s_cli_progress_update(s->meter, s->meter_base + done);
	else
		w3s_cli_progress_cb(s->meter, done, total);
}

static int
dir_path(const struct opts *o, const struct w3s_export_info *in, char **path)
{
	char name[W3S_EXPORT_NAME_MAX];
	size_t n = strlen(o->output);

	w3s_export_name(in, name);
	if ((*path = malloc(n + sizeof(name) + 2)) == NULL)
		return -1;
	snprintf(*path, n + sizeof(name) + 2, "%s%s%s", o->output,
	    o->output[n - 1] == '/' ? "" : "/", name);
	return 0;
}

/* One archive into its own file under the directory; an existing file of
 * that name (the same commitment, so the same bytes) is left as it is. */
static int
write_to_dir(struct sink *s, struct w3s_export *x,
    const struct w3s_export_info *in, struct w3s_err *err)
{
	struct w3s_export_file *f = NULL;
	struct w3s_stream_writer *w = NULL;
	uint64_t bytes = 0;
	char *path = NULL;
	struct stat st;
	int rc;

	if (dir_path(s->o, in, &path) != 0)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	/* dir/ names a directory: made when missing (not its parents). */
	if (mkdir(s->o->output, 0777) != 0 && errno != EEXIST) {
		rc = errno == ENOENT ? w3s_err_set(err, W3S_EUSAGE, "cannot"
		    " make %s: no parent directory", s->o->output) :
		    w3s_err_sys(err, errno, "cannot make %s", s->o->output);
		free(path);
		return rc;
	}
	if (lstat(path, &st) == 0) {
		w3s_cli_warnf("bucket %llu: %s exists: not overwritten",
		    (unsigned long long)in->bucket, path);
		s->skipped++;
		free(path);
		return 0;
	}
	if ((rc = w3s_export_file_open(path, &f, err)) != 0)
		goto out;
	if ((w = w3s_stream_writer_new(w3s_export_file_fd(f), s->o->level,
	    err)) == NULL || (rc = w3s_export_write(x, w, err)) != 0) {
		rc = err->code;
		w3s_export_file_abort(f);
		goto out;
	}
	bytes = w3s_stream_writer_bytes(w);
	if ((rc = w3s_export_file_commit(f, err)) != 0)
		goto out;
	print_info(s->o, in, path, 1, bytes);
out:
	w3s_stream_writer_free(w);
	free(path);
	return rc;
}

static int
write_archive(struct sink *s, struct w3s_export *x,
    const struct w3s_export_info *in, struct w3s_err *err)
{
	uint64_t before;
	int rc, fd = STDOUT_FILENO;

	if (s->o->to_dir)
		return write_to_dir(s, x, in, err);
	if (s->w == NULL) {
		if (s->o->output != NULL) {
			if ((rc = w3s_export_file_open(s->o->output, &s->file,
			    err)) != 0)
				return rc;
			fd = w3s_export_file_fd(s->file);
		}
		if ((s->w = w3s_stream_writer_new(fd, s->o->level, err)) ==
		    NULL)
			return err->code;
	}
	before = w3s_stream_writer_bytes(s->w);
	if ((rc = w3s_export_write(x, s->w, err)) != 0)
		return rc;
	if (s->o->output != NULL)
		print_info(s->o, in, s->o->output, 1,
		    w3s_stream_writer_bytes(s->w) - before);
	return 0;
}

/* Every archive of one bucket. */
static int
export_bucket(struct sink *s, struct w3s_store *store, uint64_t id,
    struct w3s_err *err)
{
	const struct opts *o = s->o;
	struct w3s_export_opts eo = { 0 };
	struct w3s_export_info in;
	struct w3s_bucket *b = NULL;
	struct w3s_export *x = NULL;
	char label[48];
	int rc;

	eo.since = o->since_text != NULL ? &o->since : NULL;
	eo.split = o->split;
	eo.resume = o->resume_text != NULL ? &o->resume : NULL;
	eo.progress = meter_cb;
	eo.progress_ctx = s;
	if ((rc = w3s_bucket_open(store, id, NULL, &b, err)) != 0 ||
	    (rc = w3s_export_begin(b, &eo, &x, err)) != 0)
		goto out;
	snprintf(label, sizeof(label), "bucket %llu", (unsigned long long)id);
	if (o->split && !o->dry_run) {
		s->meter = w3s_cli_progress_new(o->progress, label);
		s->meter_base = 0;
	}
	while ((rc = w3s_export_next(x, &in, err)) == 1) {
		s->archives++;
		if (o->dry_run) {
			char *path = NULL;

			if (o->to_dir && dir_path(o, &in, &path) != 0) {
				rc = w3s_err_set(err, W3S_ESYS, "out of memory");
				break;
			}
			print_info(o, &in, path, 0, 0);
			free(path);
			continue;
		}
		if (!o->split)
			s->meter = w3s_cli_progress_new(o->progress, label);
		rc = write_archive(s, x, &in, err);
		s->meter_base += in.counts.chunk_bytes;
		if (!o->split) {
			if (rc == 0)
				w3s_cli_progress_end(s->meter);
			else
				w3s_cli_progress_free(s->meter);
			s->meter = NULL;
		}
		if (rc != 0)
			break;
	}
	if (o->split) {
		if (rc == 0)
			w3s_cli_progress_end(s->meter);
		else
			w3s_cli_progress_free(s->meter);
		s->meter = NULL;
	}
out:
	w3s_export_end(x);
	w3s_bucket_close(b);
	return rc < 0 ? rc : 0;
}

static int
run(const struct opts *o, struct w3s_store *store, struct w3s_err *err)
{
	struct sink s = { 0 };
	uint64_t *ids = NULL;
	size_t n = 1;
	int rc = 0;

	s.o = o;
	if (o->all) {
		if ((rc = w3s_store_buckets(store, &ids, &n, err)) != 0)
			return rc;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = export_bucket(&s, store, o->all ? ids[i] : o->bucket,
		    err)) != 0)
			break;
	free(ids);
	if (rc == 0 && s.file != NULL) {
		rc = w3s_export_file_commit(s.file, err);
		s.file = NULL;
	}
	w3s_export_file_abort(s.file);
	w3s_stream_writer_free(s.w);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	int status;

	w3s_cli_init(PROG);
	memset(&o, 0, sizeof(o));
	if ((status = parse_options(argc, argv, &o)) >= 0)
		return status;
	if (w3s_store_open(o.store, 0, &store, &err) != 0 ||
	    run(&o, store, &err) != 0)
		status = w3s_cli_fail(&err);
	else
		status = w3s_cli_flush_stdout();
	w3s_store_close(store);
	return status;
}
