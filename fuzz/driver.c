/* Plain replay driver: calls LLVMFuzzerTestOneInput once on the whole of
 * each file named on the command line, as libFuzzer would. Built with gcc
 * (and with ASan + UBSan under SANITIZE=1), so `make check` replays the
 * regression inputs without clang. A crash or a failed property aborts;
 * exit status 0 means every file ran clean. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *p;

			cap = cap != 0 ? cap * 2 : 65536;
			if ((p = realloc(data, cap)) == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(data);
				fclose(f);
				return -1;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read failed\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, so ASan sees a read past the end. */
	{
		uint8_t *exact = malloc(len != 0 ? len : 1);

		if (exact == NULL) {
			free(data);
			return -1;
		}
		if (len != 0)
			memcpy(exact, data, len);
		free(data);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (replay(argv[i]) != 0)
			rc = 1;
	return rc;
}
