/* Deterministic bytes that do not compress, for test data: xorshift64
 * from a seed. One copy for the unit tests, tests/tools and the fuzz
 * targets (the fuzz corpora rely on these exact bytes). */
#ifndef W3S_TESTBYTES_H
#define W3S_TESTBYTES_H

#include <stddef.h>
#include <stdint.h>

static inline void
test_fill(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

#endif
