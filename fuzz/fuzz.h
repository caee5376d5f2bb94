/* libFuzzer targets: each fuzz/fuzz_<name>.c defines the entry point
 * below. clang -fsanitize=fuzzer supplies main() for `make fuzz`;
 * fuzz/driver.c supplies a plain one that replays files, for `make check`.
 *
 * A target must be deterministic, free everything it allocates, and
 * abort (FUZZ_ASSERT) when a property the library promises fails, so
 * that wrong answers are findings as well as crashes. */
#ifndef W3S_FUZZ_H
#define W3S_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: property failed: %s\n",	\
			    __FILE__, __LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

#endif
