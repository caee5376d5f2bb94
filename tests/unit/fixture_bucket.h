/* A bucket for the scrub and proof unit tests: a store in a fresh
 * temporary directory, segments added from files through the store's own
 * ingest, each commit signed by a fixed key. Set-up failures exit 99. */
#ifndef W3S_FIXTURE_BUCKET_H
#define W3S_FIXTURE_BUCKET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <w3s/key.h>
#include <w3s/scale.h>
#include <w3s/store.h>

static char fx_dir[64];
static struct w3s_key *fx_key;

static void
fx_die(const char *what, const struct w3s_err *err)
{
	fprintf(stderr, "fixture: %s: %s\n", what, err ? err->msg : "");
	exit(99);
}

/* The store directory and the node key (secret bytes seed..seed+31). */
static struct w3s_store *
fx_store(uint8_t seed)
{
	struct w3s_store *s = NULL;
	struct w3s_err err = { 0 };
	uint8_t secret[32];
	char dir[128];

	snprintf(fx_dir, sizeof(fx_dir), "/tmp/w3s-fx-XXXXXX");
	if (mkdtemp(fx_dir) == NULL)
		fx_die("mkdtemp", NULL);
	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)(seed + i);
	if (w3s_key_from_raw_private(secret, &fx_key, &err) != 0)
		fx_die("key", &err);
	snprintf(dir, sizeof(dir), "%s/s", fx_dir);
	if (w3s_store_open(dir, W3S_STORE_CREATE, &s, &err) != 0)
		fx_die("store", &err);
	return s;
}

static struct w3s_bucket *
fx_bucket(struct w3s_store *s, uint64_t id, int write)
{
	struct w3s_bucket_opts o = { write ? W3S_STORE_WRITE |
	    W3S_STORE_CREATE : 0, 0, "fixture" };
	struct w3s_bucket *b = NULL;
	struct w3s_err err = { 0 };

	if (w3s_bucket_open(s, id, &o, &b, &err) != 0)
		fx_die("bucket", &err);
	return b;
}

/* One signed commit of segments of the given sizes (bytes i*7+k mod 256
 * for segment k), through a file and w3s_bucket_segment_add_fd. */
static void
fx_add(struct w3s_bucket *b, const size_t *sizes, size_t n,
    struct w3s_commitment *c)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN], sig[64], pub[32];
	struct w3s_err err = { 0 };
	struct w3s_segment seg;
	char path[128];

	if (w3s_bucket_write_begin(b, &err) != 0)
		fx_die("write_begin", &err);
	for (size_t k = 0; k < n; k++) {
		FILE *f;
		int fd;

		snprintf(path, sizeof(path), "%s/in", fx_dir);
		if ((f = fopen(path, "wb")) == NULL)
			fx_die("fopen", NULL);
		for (size_t i = 0; i < sizes[k]; i++)
			fputc((int)((i * 7 + k) & 0xff), f);
		fclose(f);
		if ((fd = open(path, O_RDONLY)) < 0)
			fx_die("open", NULL);
		if (w3s_bucket_segment_add_fd(b, fd, &seg, &err) != 0)
			fx_die("segment_add_fd", &err);
		close(fd);
	}
	if (w3s_bucket_write_prepare(b, c, &err) != 0)
		fx_die("prepare", &err);
	w3s_payload_v1_encode(w3s_bucket_id(b), c, payload);
	w3s_key_public(fx_key, pub);
	if (w3s_key_sign(fx_key, payload, sizeof(payload), sig, &err) != 0 ||
	    w3s_bucket_checkpoint_add(b, c, pub, sig, &err) != 0 ||
	    w3s_bucket_write_commit(b, NULL, &err) != 0)
		fx_die("commit", &err);
}

/* Runs a shell command on the fixture (sqlite3 edits). */
static __attribute__((unused)) void
fx_sql(uint64_t id, const char *db, const char *sql)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "sqlite3 %s/s/buckets/%llu/%s \"%s\"",
	    fx_dir, (unsigned long long)id, db, sql);
	if (system(cmd) != 0)
		fx_die(cmd, NULL);
}

static void
fx_cleanup(void)
{
	char cmd[128];

	w3s_key_free(fx_key);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fixture: cannot remove %s\n", fx_dir);
}

#endif
