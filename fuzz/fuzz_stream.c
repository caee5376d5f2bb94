/* The stream reader (lib/stream_read.c) over the input as it comes off
 * the wire: zstd frames holding pax tar archives of records and chunks.
 * fuzz_stream_tar.c feeds the tar layer directly. The reader is a step
 * machine fed by its source, so how the source cuts the input must not
 * change the outcome: the input is read whole and in small pieces, and
 * both reads must accept it (after the same events) or both refuse it.
 * Where a refusal shows can differ: zstd decodes ahead of the tar
 * layer, so with more input at hand a bad block further on can fail the
 * read before an event that a read in small pieces still delivers
 * (nothing is committed before a trailer, and the trailer of an archive
 * is checked against all of it, so this changes no outcome). */
#include "fuzz.h"
#include "stream_feed.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_stream_outcome whole, pieces;

	fuzz_stream_read(data, size, 0, &whole);
	fuzz_stream_read(data, size, 1 + size % 509, &pieces);
	if (whole.rc != W3S_ESYS && pieces.rc != W3S_ESYS) {
		FUZZ_ASSERT((whole.rc == 0) == (pieces.rc == 0));
		if (whole.rc == 0)
			FUZZ_ASSERT(whole.events == pieces.events);
	}
	return 0;
}
