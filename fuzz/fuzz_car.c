/* The CAR reader (lib/car.c), CARv1 and CARv2 with indexes. The input is
 * read twice: in one piece, and in pieces of irregular sizes; the reader
 * is a forward-only step machine, so both must end the same way. */
#include <string.h>

#include <w3s/car.h>

#include "fuzz.h"

static int
read_car(const uint8_t *data, size_t size, int pieces,
    struct w3s_car_summary *sum, struct w3s_car **carp)
{
	static const size_t steps[] = { 1, 3, 11, 64, 2, 513, 7, 4096 };
	struct w3s_car *car;
	struct w3s_err err;
	size_t off = 0, i = 0;
	int rc = 0;

	*carp = NULL;
	memset(sum, 0, sizeof(*sum));
	if ((car = w3s_car_new(&err)) == NULL)
		return W3S_ESYS;
	while (off < size && rc == 0) {
		size_t n = pieces ? steps[i++ % 8] : size;

		if (n > size - off)
			n = size - off;
		rc = w3s_car_put(car, data + off, n, &err);
		off += n;
	}
	if (rc == 0)
		rc = w3s_car_finish(car, &err);
	else
		FUZZ_ASSERT(w3s_car_finish(car, &err) == rc);
	FUZZ_ASSERT(rc == 0 || rc == W3S_EMALFORMED || rc == W3S_EVERIFY ||
	    rc == W3S_EINCOMPLETE || rc == W3S_ESYS);
	w3s_car_summary(car, sum);
	FUZZ_ASSERT(sum->version <= 2);
	FUZZ_ASSERT(rc != 0 || sum->missing_count == 0);
	*carp = car;
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct w3s_car_summary a, b;
	struct w3s_car *ca, *cb;
	int ra, rb;

	ra = read_car(data, size, 0, &a, &ca);
	rb = read_car(data, size, 1, &b, &cb);
	FUZZ_ASSERT(ra == rb);
	if (ra != W3S_ESYS && rb != W3S_ESYS) {
		FUZZ_ASSERT(a.version == b.version);
		FUZZ_ASSERT(a.blocks == b.blocks);
		FUZZ_ASSERT(a.root_count == b.root_count);
		FUZZ_ASSERT(a.missing_count == b.missing_count);
		FUZZ_ASSERT(a.index_entries == b.index_entries);
	}
	w3s_car_free(ca);
	w3s_car_free(cb);
	return 0;
}
