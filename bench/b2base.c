/* The benchmarks' BLAKE2b baseline (bench/hash.sh, bench/scrub.sh):
 * libsodium's crypto_generichash over a whole file already in memory, one
 * thread, after sodium_init() has picked the fastest implementation. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Prints the seconds one BLAKE2b-256 pass over the file takes. */
int
main(int argc, char **argv)
{
	unsigned char out[32];
	unsigned char *buf;
	size_t len = 0, cap = 1 << 20, n;
	FILE *f;
	double t;

	if (argc != 2 || sodium_init() < 0 || (f = fopen(argv[1], "rb")) == NULL)
		return 1;
	if ((buf = malloc(cap)) == NULL)
		return 1;
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap && (buf = realloc(buf, cap *= 2)) == NULL)
			return 1;
	}
	fclose(f);
	t = now();
	crypto_generichash(out, sizeof(out), buf, len, NULL, 0);
	t = now() - t;
	printf("%.4f\n", t);
	free(buf);
	return 0;
}
