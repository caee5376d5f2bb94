/* The stream reader (lib/stream_read.c) over the input as it comes off
 * the wire: zstd frames holding pax tar archives of records and chunks.
 * fuzz_stream_tar.c feeds the tar layer directly. */
#include <string.h>

#include "fuzz.h"
#include "stream_feed.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stream_read(data, size, size % 7 == 0 ? 1 + size % 4093 : 0);
	return 0;
}
