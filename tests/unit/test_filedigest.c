/* One-pass file digests: sizes around the chunk and read-block boundaries,
 * data roots equal to web3-storage's, whole-stream digests, pipes with
 * short reads, and errors. Expected values are web3-storage's vectors
 * (vectors/w3s/vectors.json, data_root/...) where they exist, else
 * computed with Python's hashlib from SPEC.md's rules. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/chunk.h>
#include <w3s/filedigest.h>
#include <w3s/hash.h>

#include "tap.h"

struct known {
	size_t len;		/* bytes i mod 251 */
	const char *data_root;
	const char *blake2b;	/* H(whole stream) */
	const char *sha256;
};

static const struct known known[] = {
	{ 0,
	    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
	    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ 1,
	    "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314",
	    "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314",
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" },
	{ 262144,
	    "cf154c47ef5ba3ba0e59ec362634617821a3bcad5681e962bb3d50f63fbc7d68",
	    "cf154c47ef5ba3ba0e59ec362634617821a3bcad5681e962bb3d50f63fbc7d68",
	    "31a1f9dea0169551092d05e8bf4a446228c8c3eb4c9b713c66adcb7fd53c89be" },
	{ 262145,
	    "1d96ccd82ee4400e049861ad7f512144e449d4a45eab5f0b33ec6167fec8abd0",
	    "6373e0aaf2d64da305b358d5a64f94f17d35850b0edc82436c91d1131d071b03",
	    "6a102a35ef13d267bf487c1520d82b4ff541787bc8c288ccf98aeebe7686016a" },
	/* web3-storage's big.bin fixture: 4 chunks. */
	{ 786532,
	    "d952c74797a9ba541356b20068cc3a94f8885d17959951e40cdfbb912637f508",
	    "2cf7e282c04bd48da05c772f0b78855542b0c0a34a6d8369fede10fbdfd6d310",
	    "5708dc429fe6919b8ed36c1817828f8338a444f771b6c646ca85e6bdfeadf468" },
	/* 5 chunks padded to 8, one read block and 5 bytes. */
	{ 1048581,
	    "4b7bd17ad4017f5449832a5abe87d8d4d90445c6d1ea633c4f112a9bad1d134a",
	    "c579a47582878dfbe00e7197c7f64018bcd7b3e7cbf824fca0ba09a35b8b301a",
	    "b5c324a19845fd0e5fd3bb9471d9ced2215154672c50aca851fc0ca780f761da" },
	/* Exactly two read blocks: the end is found by an empty read. */
	{ 2097152,
	    "95213ec1039d6f9e153e57095ab88907cd7414a73bf7b61cd69aba08048639f3",
	    "ec846ebaf35a32443b11c81e1910457afe4f5c87aa69a70e021a70a542c98bfd",
	    "1e075c8d478ad21844e33e830a695ef03a4d2488b69ee275bd8947618bb1be1e" },
	/* 41 chunks, more blocks than the ring holds. */
	{ 10485763,
	    "725d590f7243589891a4576026f20beb5a7db16235124a5bb1a7d739526e3c7d",
	    "8723365c68f14660e2ea0b918221506ebeea015ada49322cf51d8f7a0e26edfe",
	    "43d6f1ffeaa4bbefb249ed30b15053d51d6584d0c2d57799a3822fdcd9efbeca" },
};

static uint8_t *data;		/* i mod 251, as long as the longest case */
static size_t data_len;

struct feeder {
	int fd;
	size_t len;
};

/* Writes data[0..len) to a pipe in odd-sized pieces. */
static void *
feed(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0, n, step = 1;

	while (off < f->len) {
		n = f->len - off < step ? f->len - off : step;
		if (write(f->fd, data + off, n) != (ssize_t)n)
			break;
		off += n;
		step = step * 3 + 7;
		if (step > 300000)
			step = 4093;
	}
	close(f->fd);
	return NULL;
}

static int
file_of(size_t len)
{
	char path[] = "/tmp/w3s-test-filedigest.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		printf("Bail out! cannot write a temporary file\n");
		exit(1);
	}
	unlink(path);
	return fd;
}

static void
check(const struct known *k, const struct w3s_filedigest *fdg, const char *how,
    enum w3s_hash_alg alg)
{
	char name[128];

	snprintf(name, sizeof(name), "%zu bytes (%s): size", k->len, how);
	is_int((long long)fdg->size, (long long)k->len, name);
	snprintf(name, sizeof(name), "%zu bytes (%s): chunks", k->len, how);
	is_int((long long)fdg->chunks, (long long)w3s_chunk_count(k->len),
	    name);
	snprintf(name, sizeof(name), "%zu bytes (%s): data root", k->len, how);
	is_hex(fdg->data_root, 32, k->data_root, name);
	snprintf(name, sizeof(name), "%zu bytes (%s): %s digest", k->len, how,
	    w3s_hash_name(alg));
	is_hex(fdg->digest, fdg->digest_len,
	    alg == W3S_HASH_SHA2_256 ? k->sha256 : k->blake2b, name);
}

static void
test_files(void)
{
	struct w3s_filedigest fdg;
	struct w3s_err err = { 0 };
	int fd;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct known *k = &known[i];

		fd = file_of(k->len);
		is_int(w3s_filedigest_fd(fd, W3S_HASH_BLAKE2B_256, &fdg, &err),
		    0, "file digest, blake2b-256");
		check(k, &fdg, "file", W3S_HASH_BLAKE2B_256);
		lseek(fd, 0, SEEK_SET);
		is_int(w3s_filedigest_fd(fd, W3S_HASH_SHA2_256, &fdg, &err),
		    0, "file digest, sha2-256");
		check(k, &fdg, "file", W3S_HASH_SHA2_256);
		close(fd);
	}
}

static void
test_pipes(void)
{
	struct w3s_filedigest fdg;
	struct w3s_err err = { 0 };
	struct feeder f;
	pthread_t tid;
	int p[2];

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct known *k = &known[i];

		if (pipe(p) != 0) {
			printf("Bail out! pipe failed\n");
			exit(1);
		}
		f.fd = p[1];
		f.len = k->len;
		pthread_create(&tid, NULL, feed, &f);
		is_int(w3s_filedigest_fd(p[0], W3S_HASH_BLAKE2B_256, &fdg,
		    &err), 0, "pipe digest");
		pthread_join(tid, NULL);
		close(p[0]);
		check(k, &fdg, "pipe, short reads", W3S_HASH_BLAKE2B_256);
	}
}

static void
test_identity(void)
{
	struct w3s_filedigest fdg;
	struct w3s_err err = { 0 };
	int fd;

	fd = file_of(64);
	is_int(w3s_filedigest_fd(fd, W3S_HASH_IDENTITY, &fdg, &err), 0,
	    "identity of 64 bytes");
	is_int((long long)fdg.digest_len, 64, "identity: digest is the bytes");
	ok(memcmp(fdg.digest, data, 64) == 0 && !fdg.digest_overflow,
	    "identity: same bytes, no overflow");
	close(fd);
	fd = file_of(65);
	is_int(w3s_filedigest_fd(fd, W3S_HASH_IDENTITY, &fdg, &err), 0,
	    "identity of 65 bytes");
	ok(fdg.digest_overflow, "identity of 65 bytes overflows");
	is_hex(fdg.data_root, 32,
	    "84c04ab082c8ae24206561f77397704b627892089a05887a2a1996472bcfe15d",
	    "identity still computes the data root");
	close(fd);
}

static void
test_errors(void)
{
	struct w3s_filedigest fdg;
	struct w3s_err err = { 0 };
	int fd;

	fd = open("/", O_RDONLY | O_DIRECTORY);
	is_int(w3s_filedigest_fd(fd, W3S_HASH_BLAKE2B_256, &fdg, &err),
	    W3S_ESYS, "reading a directory is a system error");
	ok(strncmp(err.msg, "read failed: ", 13) == 0, "message: %s",
	    err.msg);
	close(fd);
	is_int(w3s_filedigest_fd(-1, W3S_HASH_BLAKE2B_256, &fdg, &err),
	    W3S_ESYS, "a bad descriptor is a system error");
	fd = file_of(10);
	is_int(w3s_filedigest_fd(fd, (enum w3s_hash_alg)0x1e, &fdg, &err),
	    W3S_EMALFORMED, "an unknown hash function is refused");
	close(fd);
}

int
main(void)
{
	data_len = known[sizeof(known) / sizeof(known[0]) - 1].len;
	data = malloc(data_len);
	if (data == NULL)
		return 1;
	for (size_t i = 0; i < data_len; i++)
		data[i] = (uint8_t)(i % 251);
	(void)is_str;
	test_files();
	test_pipes();
	test_identity();
	test_errors();
	free(data);
	return tap_done();
}
