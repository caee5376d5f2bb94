/* snapshot-prune: retention for a directory of snapshot files.
 *
 * Every *.tar.zst file in DIR is read only as far as the manifest of each
 * archive it holds (never its chunks). The --keep-* rules pick, per bucket,
 * archives by their creation time; a file is kept when any of its archives
 * is picked, or is needed to replay a kept delta (its base, that base's
 * base, and so on back to a full snapshot). The other snapshot files are
 * deleted. Files that are not snapshots are left alone, with one line on
 * stderr each. The exact rules are in man/snapshot-prune.1. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <w3s/buf.h>
#include <w3s/err.h>
#include <w3s/hex.h>
#include <w3s/manifest.h>
#include <w3s/stream.h>

#include "cli/cli.h"

#define PROG "snapshot-prune"

#define SNAPSHOT_SUFFIX ".tar.zst"
#define NO_DIST UINT64_MAX

enum rule {
	RULE_LAST,
	RULE_HOURLY,
	RULE_DAILY,
	RULE_WEEKLY,
	RULE_MONTHLY,
	RULE_COUNT,
};

/* The names printed as reasons; the options are --keep-<name>. */
static const char *const rule_names[RULE_COUNT] = { "last", "hourly",
    "daily", "weekly", "monthly" };

struct opts {
	uint64_t keep[RULE_COUNT];	/* 0: the rule is not given */
	int dry_run;
	int json;
	const char *dir;
};

/* One archive of a snapshot file: what its manifest says, and what the
 * retention decided about it. */
struct archive {
	size_t file;			/* index in plan.files */
	uint64_t bucket;
	enum w3s_stream_kind kind;
	int has_base;
	struct w3s_commitment base;
	struct w3s_commitment target;
	uint64_t created;
	unsigned rules;			/* bit r: picked by rule r */
	int kept;
	uint64_t dist;			/* deltas back to a full snapshot */
	size_t *needed_by;		/* files of the kept deltas that need it */
	size_t nneeded, capneeded;
};

struct snapfile {
	char *name;
	size_t first, count;		/* its archives */
	int kept;
	int unlink_errno;		/* a deletion that failed */
};

struct ignored {
	char *name;
	char *why;
};

struct plan {
	struct snapfile *files;
	size_t nfiles, capfiles;
	struct archive *archives;
	size_t narchives, caparchives;
	struct ignored *ignored;
	size_t nignored, capignored;
	size_t unreadable;		/* snapshot files that could not be read */
};

static const char usage_text[] =
    "usage: snapshot-prune [--keep-last n] [--keep-hourly n] "
    "[--keep-daily n]\n"
    "                      [--keep-weekly n] [--keep-monthly n] [--dry-run] "
    "[--json] dir\n"
    "       snapshot-prune --help | --version\n";

static const char help_text[] =
    "\n"
    "Deletes the snapshot files (*.tar.zst) of dir that no rule keeps, per\n"
    "bucket, by the creation time in their manifests (UTC). A file a kept\n"
    "delta needs to be replayed is always kept, back to a full snapshot.\n"
    "\n"
    "options:\n"
    "  -l, --keep-last n      keep the n newest snapshots\n"
    "  -H, --keep-hourly n    keep the newest of each of the n latest hours\n"
    "                         that have snapshots\n"
    "  -d, --keep-daily n     the same for days\n"
    "  -w, --keep-weekly n    the same for ISO weeks (Monday to Sunday)\n"
    "  -m, --keep-monthly n   the same for months\n"
    "  -n, --dry-run          say what would be kept and deleted; delete "
    "nothing\n"
    "  -j, --json             one JSON object instead of lines\n"
    "  -h, --help             print this help and exit\n"
    "  -V, --version          print the version and exit\n"
    "\n"
    "output: keep|delete, the file name and the reasons, one line per "
    "file\n"
    "exit status: 0 success, 2 usage error, 7 dir or a snapshot file cannot\n"
    "be read, or a file cannot be deleted (see snapshot-prune(1))\n";

/* ---- options --------------------------------------------------------- */

/* A count: decimal digits only, at least 1. */
static int
parse_count(const char *s, uint64_t *n)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return -1;
	*n = v;
	return 0;
}

/* Parses argv into *o. Returns -1 to go on, or an exit status. */
static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "keep-last", required_argument, NULL, 'l' },
		{ "keep-hourly", required_argument, NULL, 'H' },
		{ "keep-daily", required_argument, NULL, 'd' },
		{ "keep-weekly", required_argument, NULL, 'w' },
		{ "keep-monthly", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char shortopts[] = ":l:H:d:w:m:njhV";
	/* The short options of the rules, in rule order. */
	static const char rule_letters[] = "lHdwm";
	int ch, status, any = 0;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const char *hit = ch > 0 && ch < 128 ?
		    strchr(rule_letters, ch) : NULL;

		if (hit != NULL) {
			enum rule r = (enum rule)(hit - rule_letters);

			if (parse_count(optarg, &o->keep[r]) != 0)
				return w3s_cli_usage_error("--keep-%s: '%s' is not a "
				    "whole number of at least 1",
				    rule_names[r], optarg);
			any = 1;
			continue;
		}
		switch (ch) {
		case 'n':
			o->dry_run = 1;
			break;
		default:
			if ((status = w3s_cli_opt_common(ch, argv, usage_text,
			    help_text, &o->json, NULL)) >= 0)
				return status;
			break;
		}
	}
	if (!any)
		return w3s_cli_usage_error("no retention rule given (--keep-last, "
		    "--keep-hourly, --keep-daily, --keep-weekly or "
		    "--keep-monthly)");
	if (optind == argc)
		return w3s_cli_usage_error("no directory given");
	if (argc - optind > 1)
		return w3s_cli_usage_error("one directory only, not %d operands",
		    argc - optind);
	o->dir = argv[optind];
	return -1;
}

static int
add_ignored(struct plan *p, const char *name, const char *why)
{
	struct ignored *g;

	if (w3s_array_grow(&p->ignored, &p->capignored, p->nignored,
	    sizeof(*p->ignored)) != 0)
		return -1;
	g = &p->ignored[p->nignored];
	g->name = strdup(name);
	g->why = strdup(why);
	if (g->name == NULL || g->why == NULL) {
		free(g->name);
		free(g->why);
		return -1;
	}
	p->nignored++;
	return 0;
}

static int
add_archive(struct plan *p, size_t file, const struct w3s_manifest *m)
{
	struct archive *a;

	if (w3s_array_grow(&p->archives, &p->caparchives, p->narchives,
	    sizeof(*p->archives)) != 0)
		return -1;
	a = &p->archives[p->narchives++];
	memset(a, 0, sizeof(*a));
	a->file = file;
	a->bucket = m->bucket;
	a->kind = m->kind;
	a->has_base = m->has_base;
	a->base = m->base;
	a->target = m->target;
	a->created = m->created;
	a->dist = NO_DIST;
	p->files[file].count++;
	return 0;
}

static void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].name);
	for (size_t i = 0; i < p->narchives; i++)
		free(p->archives[i].needed_by);
	for (size_t i = 0; i < p->nignored; i++) {
		free(p->ignored[i].name);
		free(p->ignored[i].why);
	}
	free(p->files);
	free(p->archives);
	free(p->ignored);
}

/* ---- reading manifests ----------------------------------------------- */

struct scan_ctx {
	struct plan *p;
	size_t file;
};

static int
scan_archive(void *ctx, const struct w3s_stream_archive *a,
    struct w3s_err *err)
{
	struct scan_ctx *c = ctx;

	if (add_archive(c->p, c->file, &a->manifest) != 0)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	return 0;
}

/* Reads the manifests of the archives of a snapshot file into p
 * (w3s_stream_scan). 0 when the first manifest was read; W3S_ESYS when
 * reading failed; another code (with err) when the file is not a
 * snapshot. */
static int
read_archives(struct plan *p, size_t file, int fd, uint64_t size,
    int *gave_up, struct w3s_err *err)
{
	struct scan_ctx c = { p, file };

	return w3s_stream_scan(fd, size, scan_archive, &c, gave_up, err);
}

/* Sorts one entry of dir into p: a snapshot file with its archives, an
 * ignored entry (with a warning), or an unreadable snapshot file (with an
 * error). Returns 0, or -1 when memory ran out. */
static int
scan_entry(struct plan *p, const char *dir, int dfd, const char *name)
{
	struct w3s_err err = { 0 };
	struct snapfile *f;
	struct stat st;
	const char *why = NULL;
	int fd, rc, gave_up;

	if (name[0] == '.')
		why = "hidden file";
	else if (!w3s_cli_ends_with(name, SNAPSHOT_SUFFIX))
		why = "not named *" SNAPSHOT_SUFFIX;
	else if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)	/* gone meanwhile */
			return 0;
		w3s_cli_errorf("%s/%s: cannot stat: %s", dir, name, w3s_cli_reason(errno));
		p->unreadable++;
		return 0;
	} else if (!S_ISREG(st.st_mode)) {
		why = "not a regular file";
	}
	if (why != NULL) {
		w3s_cli_warnf("%s/%s: ignored: %s", dir, name, why);
		return add_ignored(p, name, why);
	}

	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 0;
		w3s_cli_errorf("%s/%s: cannot open: %s", dir, name, w3s_cli_reason(errno));
		p->unreadable++;
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		w3s_cli_warnf("%s/%s: ignored: not a regular file", dir, name);
		return add_ignored(p, name, "not a regular file");
	}
	if (w3s_array_grow(&p->files, &p->capfiles,
	    p->nfiles, sizeof(*p->files)) != 0) {
		close(fd);
		return -1;
	}
	f = &p->files[p->nfiles];
	memset(f, 0, sizeof(*f));
	if ((f->name = strdup(name)) == NULL) {
		close(fd);
		return -1;
	}
	f->first = p->narchives;
	rc = read_archives(p, p->nfiles, fd, (uint64_t)st.st_size, &gave_up,
	    &err);
	close(fd);
	if (rc == 0) {
		if (gave_up)
			w3s_cli_warnf("%s/%s: too many zstd frames that start no "
			    "archive: the rest of the file is not looked at",
			    dir, name);
		p->nfiles++;
		return 0;
	}
	/* Drop what was recorded of it. */
	p->narchives = f->first;
	free(f->name);
	if (rc == W3S_ESYS) {
		w3s_cli_errorf("%s/%s: %s", dir, name, (&err)->msg);
		p->unreadable++;
		return 0;
	}
	{
		char line[W3S_ERR_MSG_MAX + 32];

		snprintf(line, sizeof(line), "not a snapshot: %s", err.msg);
		w3s_cli_warnf("%s/%s: ignored: %s", dir, name, line);
		return add_ignored(p, name, line);
	}
}

/* ---- retention ------------------------------------------------------- */

/* Days since 1970-01-01 to the proleptic Gregorian year and month (1-12),
 * by the civil-from-days method: shift to a year starting in March so the
 * leap day ends it. */
static void
civil_month(uint64_t days, uint64_t *year, unsigned *month)
{
	uint64_t z = days + 719468;	/* days since 0000-03-01 */
	uint64_t era = z / 146097;
	uint64_t doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);

	*year = era * 400 + yoe + (m <= 2);
	*month = m;
}

/* The period of rule r that Unix time t falls in, in UTC. Weeks are ISO
 * weeks: day 0 (1970-01-01) was a Thursday, so whole weeks counted from
 * Monday 1969-12-29 are (days + 3) / 7. */
static uint64_t
period_of(enum rule r, uint64_t t)
{
	uint64_t days = t / 86400, year;
	unsigned month;

	switch (r) {
	case RULE_HOURLY:
		return t / 3600;
	case RULE_DAILY:
		return days;
	case RULE_WEEKLY:
		return (days + 3) / 7;
	case RULE_MONTHLY:
		civil_month(days, &year, &month);
		return year * 12 + (month - 1);
	default:
		return 0;
	}
}

/* qsort has no context argument: the plan being sorted. */
static const struct plan *sort_plan;

static int
cmp_commitment(const struct w3s_commitment *a, const struct w3s_commitment *b)
{
	int c = memcmp(a->mmr_root, b->mmr_root, sizeof(a->mmr_root));

	if (c != 0)
		return c;
	if (a->start_seq != b->start_seq)
		return a->start_seq < b->start_seq ? -1 : 1;
	if (a->leaf_count != b->leaf_count)
		return a->leaf_count < b->leaf_count ? -1 : 1;
	return 0;
}

/* Newer first: by creation time, then by file name (the greater name is
 * the newer), then by position in the file (the later is the newer). */
static int
cmp_newer(const struct archive *a, const struct archive *b, size_t ia,
    size_t ib)
{
	int c;

	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	if (a->file != b->file) {
		c = strcmp(sort_plan->files[a->file].name,
		    sort_plan->files[b->file].name);
		return c > 0 ? -1 : 1;
	}
	return ia > ib ? -1 : ia < ib ? 1 : 0;
}

/* Bucket, then newest first. */
static int
cmp_by_bucket_time(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct archive *a = &sort_plan->archives[ia];
	const struct archive *b = &sort_plan->archives[ib];

	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	return cmp_newer(a, b, ia, ib);
}

/* Bucket, then target commitment. */
static int
cmp_by_target(const void *pa, const void *pb)
{
	const struct archive *a = &sort_plan->archives[*(const size_t *)pa];
	const struct archive *b = &sort_plan->archives[*(const size_t *)pb];

	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	return cmp_commitment(&a->target, &b->target);
}

/* Bucket, then base commitment (deltas only). */
static int
cmp_by_base(const void *pa, const void *pb)
{
	const struct archive *a = &sort_plan->archives[*(const size_t *)pa];
	const struct archive *b = &sort_plan->archives[*(const size_t *)pb];

	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	return cmp_commitment(&a->base, &b->base);
}

/* The range [*lo, *hi) of idx (n archive indexes sorted by bucket and the
 * commitment that field picks, 0 target, 1 base) equal to (bucket, c). */
static void
find_range(const struct plan *p, const size_t *idx, size_t n, int field,
    uint64_t bucket, const struct w3s_commitment *c, size_t *lo, size_t *hi)
{
	size_t a = 0, b = n;

	/* the first not less than the key */
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		const struct archive *x = &p->archives[idx[mid]];
		int k = x->bucket != bucket ? (x->bucket < bucket ? -1 : 1) :
		    cmp_commitment(field ? &x->base : &x->target, c);

		if (k < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	b = a;
	while (b < n) {
		const struct archive *x = &p->archives[idx[b]];

		if (x->bucket != bucket ||
		    cmp_commitment(field ? &x->base : &x->target, c) != 0)
			break;
		b++;
	}
	*hi = b;
}

/* Applies the rules to each bucket's archives, newest first. */
static void
apply_rules(struct plan *p, const struct opts *o, const size_t *order)
{
	size_t i = 0, j;

	while (i < p->narchives) {
		uint64_t bucket = p->archives[order[i]].bucket;

		for (j = i; j < p->narchives &&
		    p->archives[order[j]].bucket == bucket; j++)
			;
		for (int r = 0; r < RULE_COUNT; r++) {
			uint64_t picked = 0, last = 0;

			if (o->keep[r] == 0)
				continue;
			for (size_t k = i; k < j && picked < o->keep[r]; k++) {
				struct archive *a = &p->archives[order[k]];
				uint64_t period = r == RULE_LAST ? k :
				    period_of((enum rule)r, a->created);

				if (picked > 0 && period == last)
					continue;
				a->rules |= 1u << r;
				a->kept = 1;
				last = period;
				picked++;
			}
		}
		i = j;
	}
}

/* Steps back to a full snapshot from each delta, through the archives of
 * p (breadth first from the full snapshots along base -> target links). */
static int
set_distances(struct plan *p, const size_t *by_base, size_t nbase)
{
	size_t *queue, head = 0, tail = 0;

	if ((queue = malloc((p->narchives + 1) * sizeof(*queue))) == NULL)
		return -1;
	for (size_t i = 0; i < p->narchives; i++)
		if (p->archives[i].kind == W3S_STREAM_FULL) {
			p->archives[i].dist = 0;
			queue[tail++] = i;
		}
	while (head < tail) {
		const struct archive *x = &p->archives[queue[head++]];
		size_t lo, hi;

		find_range(p, by_base, nbase, 1, x->bucket, &x->target, &lo,
		    &hi);
		for (size_t k = lo; k < hi; k++) {
			struct archive *y = &p->archives[by_base[k]];

			if (y->dist == NO_DIST) {
				y->dist = x->dist + 1;
				queue[tail++] = by_base[k];
			}
		}
	}
	free(queue);
	return 0;
}

/* Is archive a a better base to keep than b? Full snapshots first, then
 * the fewest steps back to one, then the newest. */
static int
better_base(const struct plan *p, size_t a, size_t b)
{
	const struct archive *x = &p->archives[a], *y = &p->archives[b];

	if (x->kind != y->kind)
		return x->kind == W3S_STREAM_FULL;
	if (x->dist != y->dist)
		return x->dist < y->dist;
	return cmp_newer(x, y, a, b) < 0;
}

static int
add_needed_by(struct archive *a, size_t file)
{
	for (size_t i = 0; i < a->nneeded; i++)
		if (a->needed_by[i] == file)
			return 0;
	if (w3s_array_grow(&a->needed_by, &a->capneeded, a->nneeded,
	    sizeof(*a->needed_by)) != 0)
		return -1;
	a->needed_by[a->nneeded++] = file;
	return 0;
}

/* Keeps, for every kept delta, an archive whose target is its base: a
 * kept one when that one leads back to a full snapshot (or nothing
 * better does), else the best by better_base; and so on for the deltas
 * kept that way. */
static int
keep_chains(struct plan *p, const char *dir, const size_t *by_target,
    const size_t *by_base, size_t nbase)
{
	size_t *work, n = 0;
	int rc = 0;

	if (set_distances(p, by_base, nbase) != 0)
		return -1;
	if ((work = malloc((p->narchives + 1) * sizeof(*work))) == NULL)
		return -1;
	for (size_t i = 0; i < p->narchives; i++)
		if (p->archives[i].kept && p->archives[i].has_base)
			work[n++] = i;
	while (n > 0 && rc == 0) {
		size_t di = work[--n], lo, hi, best = SIZE_MAX,
		    best_kept = SIZE_MAX, pick;
		const struct archive *d = &p->archives[di];
		struct archive *b;

		find_range(p, by_target, p->narchives, 0, d->bucket, &d->base,
		    &lo, &hi);
		for (size_t k = lo; k < hi; k++) {
			size_t c = by_target[k];

			if (c == di)
				continue;
			if (best == SIZE_MAX || better_base(p, c, best))
				best = c;
			if (p->archives[c].kept && (best_kept == SIZE_MAX ||
			    better_base(p, c, best_kept)))
				best_kept = c;
		}
		if (best == SIZE_MAX) {
			char root[W3S_HEX32_LEN];

			w3s_hex32_format(root, d->base.mmr_root);
			w3s_cli_warnf("%s/%s: bucket %llu: no snapshot here has the "
			    "base of this delta (%s, start_seq %llu, "
			    "leaf_count %llu): kept without it", dir,
			    p->files[d->file].name,
			    (unsigned long long)d->bucket, root,
			    (unsigned long long)d->base.start_seq,
			    (unsigned long long)d->base.leaf_count);
			continue;
		}
		pick = best_kept != SIZE_MAX && (p->archives[best_kept].dist !=
		    NO_DIST || p->archives[best].dist == NO_DIST) ?
		    best_kept : best;
		b = &p->archives[pick];
		if (b->file != d->file && add_needed_by(b, d->file) != 0)
			rc = -1;
		if (!b->kept) {
			b->kept = 1;
			if (b->has_base)
				work[n++] = pick;
		}
	}
	free(work);
	return rc;
}

/* Decides, for every snapshot file, keep or delete. */
static int
decide(struct plan *p, const struct opts *o)
{
	size_t *order, *by_target, *by_base, nbase = 0;
	int rc = -1;

	order = malloc((p->narchives + 1) * sizeof(*order));
	by_target = malloc((p->narchives + 1) * sizeof(*by_target));
	by_base = malloc((p->narchives + 1) * sizeof(*by_base));
	if (order == NULL || by_target == NULL || by_base == NULL)
		goto out;
	for (size_t i = 0; i < p->narchives; i++) {
		order[i] = by_target[i] = i;
		if (p->archives[i].has_base)
			by_base[nbase++] = i;
	}
	sort_plan = p;
	if (p->narchives > 0) {
		qsort(order, p->narchives, sizeof(*order), cmp_by_bucket_time);
		qsort(by_target, p->narchives, sizeof(*by_target),
		    cmp_by_target);
	}
	if (nbase > 0)
		qsort(by_base, nbase, sizeof(*by_base), cmp_by_base);
	apply_rules(p, o, order);
	if (keep_chains(p, o->dir, by_target, by_base, nbase) != 0)
		goto out;
	for (size_t i = 0; i < p->narchives; i++)
		if (p->archives[i].kept)
			p->files[p->archives[i].file].kept = 1;
	rc = 0;
out:
	free(order);
	free(by_target);
	free(by_base);
	return rc;
}

/* ---- output ---------------------------------------------------------- */

static int
cmp_file_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return strcmp(sort_plan->files[x].name, sort_plan->files[y].name);
}

/* The reasons of a file or of one archive: the rules (bits) in rule
 * order, then the files that need it, sorted and each once. */
struct reasons {
	unsigned rules;
	size_t *needed_by;
	size_t n;
};

static int
collect_reasons(const struct plan *p, size_t first, size_t count,
    struct reasons *r)
{
	size_t total = 0, k = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = first; i < first + count; i++)
		total += p->archives[i].nneeded;
	if ((r->needed_by = malloc((total + 1) * sizeof(size_t))) == NULL)
		return -1;
	for (size_t i = first; i < first + count; i++) {
		const struct archive *a = &p->archives[i];

		r->rules |= a->rules;
		for (size_t j = 0; j < a->nneeded; j++)
			r->needed_by[k++] = a->needed_by[j];
	}
	if (k > 1)
		qsort(r->needed_by, k, sizeof(size_t), cmp_file_index);
	for (size_t i = 0; i < k; i++)
		if (r->n == 0 || r->needed_by[r->n - 1] != r->needed_by[i])
			r->needed_by[r->n++] = r->needed_by[i];
	return 0;
}


/* "needed by NAME" as a JSON string. */
static void
json_needed_by(const char *name)
{
	char text[sizeof("needed by ") + NAME_MAX];

	snprintf(text, sizeof(text), "needed by %s", name);
	w3s_cli_json_string(stdout, text);
}
static void
json_reasons(const struct plan *p, const struct reasons *r)
{
	int sep = 0;

	putchar('[');
	for (int i = 0; i < RULE_COUNT; i++)
		if (r->rules & (1u << i)) {
			printf("%s\"%s\"", sep++ ? "," : "", rule_names[i]);
		}
	for (size_t i = 0; i < r->n; i++) {
		if (sep++)
			putchar(',');
		json_needed_by(p->files[r->needed_by[i]].name);
	}
	putchar(']');
}

static void
json_commitment(const struct w3s_commitment *c)
{
	char root[W3S_HEX32_LEN];

	w3s_hex32_format(root, c->mmr_root);
	printf("{\"mmr_root\":\"%s\",\"start_seq\":%llu,\"leaf_count\":%llu}",
	    root, (unsigned long long)c->start_seq,
	    (unsigned long long)c->leaf_count);
}

static const char *
kind_name(enum w3s_stream_kind kind)
{
	return kind == W3S_STREAM_FULL ? "full" : "delta";
}

static int
print_json_file(const struct plan *p, const struct snapfile *f)
{
	const struct archive *a0 = &p->archives[f->first];
	struct reasons r;

	if (collect_reasons(p, f->first, f->count, &r) != 0)
		return -1;
	fputs("{\"file\":", stdout);
	w3s_cli_json_string(stdout, f->name);
	printf(",\"bucket\":%llu,\"kind\":\"%s\",\"created\":%llu,"
	    "\"action\":\"%s\",\"reasons\":", (unsigned long long)a0->bucket,
	    kind_name(a0->kind), (unsigned long long)a0->created,
	    f->kept ? "keep" : "delete");
	json_reasons(p, &r);
	free(r.needed_by);
	fputs(",\"archives\":[", stdout);
	for (size_t i = f->first; i < f->first + f->count; i++) {
		const struct archive *a = &p->archives[i];

		if (collect_reasons(p, i, 1, &r) != 0)
			return -1;
		printf("%s{\"bucket\":%llu,\"kind\":\"%s\",\"created\":%llu,"
		    "\"base\":", i > f->first ? "," : "",
		    (unsigned long long)a->bucket, kind_name(a->kind),
		    (unsigned long long)a->created);
		if (a->has_base)
			json_commitment(&a->base);
		else
			fputs("null", stdout);
		fputs(",\"target\":", stdout);
		json_commitment(&a->target);
		fputs(",\"reasons\":", stdout);
		json_reasons(p, &r);
		free(r.needed_by);
		putchar('}');
	}
	putchar(']');
	if (f->unlink_errno != 0) {
		fputs(",\"error\":", stdout);
		w3s_cli_json_string(stdout, w3s_cli_reason(f->unlink_errno));
	}
	putchar('}');
	return 0;
}

static int
print_text_file(const struct plan *p, const struct snapfile *f)
{
	struct reasons r;
	int esc, sep = 0;

	if (collect_reasons(p, f->first, f->count, &r) != 0)
		return -1;
	esc = w3s_cli_name_needs_escape(f->name);
	for (size_t i = 0; i < r.n; i++)
		esc |= w3s_cli_name_needs_escape(p->files[r.needed_by[i]].name);
	if (esc)
		putchar('\\');
	fputs(f->kept ? "keep  " : "delete  ", stdout);
	w3s_cli_text_name(stdout, f->name);
	fputs("  ", stdout);
	if (!f->kept)
		fputs("no rule keeps it", stdout);
	for (int i = 0; i < RULE_COUNT; i++)
		if (r.rules & (1u << i))
			printf("%s%s", sep++ ? ", " : "", rule_names[i]);
	for (size_t i = 0; i < r.n; i++) {
		printf("%sneeded by ", sep++ ? ", " : "");
		w3s_cli_text_name(stdout, p->files[r.needed_by[i]].name);
	}
	putchar('\n');
	free(r.needed_by);
	return 0;
}

/* ---- main ------------------------------------------------------------ */

/* Deletes (unless --dry-run) and prints each snapshot file in name
 * order. Returns the exit status. */
static int
act(struct plan *p, const struct opts *o, int dfd)
{
	int status = 0;

	if (o->json) {
		fputs("{\"dir\":", stdout);
		w3s_cli_json_string(stdout, o->dir);
		fputs(",\"files\":[", stdout);
	}
	for (size_t i = 0; i < p->nfiles; i++) {
		struct snapfile *f = &p->files[i];

		if (!f->kept && !o->dry_run && unlinkat(dfd, f->name, 0) != 0 &&
		    errno != ENOENT) {
			f->unlink_errno = errno;
			w3s_cli_errorf("%s/%s: cannot delete: %s", o->dir, f->name,
			    w3s_cli_reason(errno));
			status = 7;
		}
		if (o->json && i > 0)
			putchar(',');
		if ((o->json ? print_json_file(p, f) :
		    print_text_file(p, f)) != 0) {
			w3s_cli_errorf("out of memory");
			return 7;
		}
	}
	if (o->json) {
		fputs("],\"ignored\":[", stdout);
		for (size_t i = 0; i < p->nignored; i++) {
			fputs(i > 0 ? ",{\"file\":" : "{\"file\":", stdout);
			w3s_cli_json_string(stdout, p->ignored[i].name);
			fputs(",\"reason\":", stdout);
			w3s_cli_json_string(stdout, p->ignored[i].why);
			putchar('}');
		}
		fputs("]}\n", stdout);
	}
	return status;
}

static int
run(const struct opts *o)
{
	struct plan p;
	char **names = NULL;
	size_t nnames = 0;
	int dfd, status = 0;

	memset(&p, 0, sizeof(p));
	if ((dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    w3s_cli_list_dir(dfd, &names, &nnames) != 0) {
		w3s_cli_errorf("%s: cannot read the directory: %s", o->dir,
		    w3s_cli_reason(errno));
		if (dfd >= 0)
			close(dfd);
		return 7;
	}
	for (size_t i = 0; i < nnames && status == 0; i++)
		if (scan_entry(&p, o->dir, dfd, names[i]) != 0) {
			w3s_cli_errorf("out of memory");
			status = 7;
		}
	w3s_cli_names_free(names, nnames);
	if (status == 0 && p.unreadable > 0) {
		/* What an unreadable file needs is not known: deleting
		 * anything could break its chain. */
		w3s_cli_errorf("%s: nothing deleted: %zu snapshot file%s could not be "
		    "read", o->dir, p.unreadable, p.unreadable == 1 ? "" : "s");
		status = 7;
	}
	if (status == 0 && decide(&p, o) != 0) {
		w3s_cli_errorf("out of memory");
		status = 7;
	}
	if (status == 0)
		status = act(&p, o, dfd);
	close(dfd);
	plan_free(&p);
	return status;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int status;

	w3s_cli_init(PROG);
	if ((status = parse_options(argc, argv, &o)) >= 0)
		return status;
	status = run(&o);
	if (w3s_cli_flush_stdout() != 0)
		status = 7;
	return status;
}
