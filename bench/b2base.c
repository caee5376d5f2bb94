/* The benchmarks' BLAKE2b baselines (bench/hash.sh, bench/scrub.sh):
 * libsodium's crypto_generichash, one thread, after sodium_init() has
 * picked the fastest implementation.
 *
 *   b2base FILE           one pass over the whole file already in memory
 *   b2base --pread FILE   the file read with pread(2), 256 KiB at a time
 *                         into one buffer, each piece hashed on its own
 *   b2base --mmap FILE    the file mapped, each 256 KiB hashed in place
 *   b2base --sqlite DB    every payload of a bucket's chunks.db, in rowid
 *                         order, hashed where sqlite3_column_blob puts it
 *
 * --pread and --mmap are what any scrub of 256 KiB chunks could do at best
 * on one core: read each chunk into memory (one copy per byte), or hash it
 * where the page cache holds it (no copy; page faults instead). --sqlite
 * is the least a scrub of a store must do: one table scan, no lookup by
 * hash, no chunk list, no thread. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#define PIECE (256 * 1024)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The seconds one pass over the file in memory takes (reading excluded). */
static int
in_memory(const char *path, double *secs)
{
	unsigned char out[32];
	unsigned char *buf, *grown;
	size_t len = 0, cap = 1 << 20, n;
	FILE *f;
	double t;

	if ((f = fopen(path, "rb")) == NULL || (buf = malloc(cap)) == NULL)
		return -1;
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			if ((grown = realloc(buf, cap *= 2)) == NULL)
				return -1;
			buf = grown;
		}
	}
	fclose(f);
	t = now();
	crypto_generichash(out, sizeof(out), buf, len, NULL, 0);
	*secs = now() - t;
	free(buf);
	return 0;
}

/* The seconds reading and hashing the file piece by piece take. */
static int
by_pread(const char *path, double *secs)
{
	static unsigned char buf[PIECE];
	unsigned char out[32];
	off_t off = 0;
	ssize_t n;
	double t;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	t = now();
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crypto_generichash(out, sizeof(out), buf, (size_t)n, NULL, 0);
		off += n;
	}
	*secs = now() - t;
	close(fd);
	return n < 0 ? -1 : 0;
}

/* The seconds mapping the file and hashing it piece by piece take. */
static int
by_mmap(const char *path, double *secs)
{
	unsigned char out[32];
	const unsigned char *m;
	struct stat st;
	size_t len, off;
	double t;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0 ||
	    st.st_size == 0)
		return -1;
	len = (size_t)st.st_size;
	t = now();
	if ((m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		return -1;
	for (off = 0; off < len; off += PIECE)
		crypto_generichash(out, sizeof(out), m + off,
		    len - off < PIECE ? len - off : PIECE, NULL, 0);
	*secs = now() - t;
	munmap((void *)m, len);
	close(fd);
	return 0;
}

/* The seconds one scan of the chunk table and the hashing take. */
static int
by_sqlite(const char *path, double *secs)
{
	unsigned char out[32];
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	double t;
	int rc;

	t = now();
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT data FROM chunk ORDER BY rowid", -1,
	    &st, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		crypto_generichash(out, sizeof(out), sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), NULL, 0);
	*secs = now() - t;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
main(int argc, char **argv)
{
	double secs;
	int rc;

	if (sodium_init() < 0)
		return 1;
	if (argc == 2)
		rc = in_memory(argv[1], &secs);
	else if (argc == 3 && strcmp(argv[1], "--pread") == 0)
		rc = by_pread(argv[2], &secs);
	else if (argc == 3 && strcmp(argv[1], "--mmap") == 0)
		rc = by_mmap(argv[2], &secs);
	else if (argc == 3 && strcmp(argv[1], "--sqlite") == 0)
		rc = by_sqlite(argv[2], &secs);
	else {
		fprintf(stderr, "usage: b2base [--pread | --mmap | --sqlite]"
		    " FILE\n");
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "b2base: cannot read %s\n", argv[argc - 1]);
		return 1;
	}
	printf("%.4f\n", secs);
	return 0;
}
