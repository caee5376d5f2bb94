/* Multibase decoding (lib/multibase.c), every base. Decoding is strict,
 * so decoded bytes encode back, in the base the prefix named, to text
 * that decodes to the same bytes; for the case-sensitive bases to the
 * same text. */
#include <string.h>
#include <strings.h>

#include <w3s/multibase.h>

#include "fuzz.h"

static int
case_insensitive(enum w3s_base b)
{
	switch (b) {
	case W3S_BASE16: case W3S_BASE16UPPER:
	case W3S_BASE32: case W3S_BASE32UPPER:
	case W3S_BASE32HEX: case W3S_BASE32HEXUPPER:
	case W3S_BASE32PAD: case W3S_BASE32PADUPPER:
	case W3S_BASE32HEXPAD: case W3S_BASE32HEXPADUPPER:
	case W3S_BASE36: case W3S_BASE36UPPER:
		return 1;
	default:
		return 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *bin = NULL, *bin2 = NULL;
	size_t len, len2;
	enum w3s_base base, base2;
	struct w3s_err err;
	char *s, *text = NULL;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (w3s_multibase_decode(s, &bin, &len, &base, &err) != 0) {
		FUZZ_ASSERT(err.code == W3S_EMALFORMED ||
		    err.code == W3S_ESYS);
		free(s);
		return 0;
	}
	FUZZ_ASSERT(bin != NULL);
	FUZZ_ASSERT(w3s_base_name(base) != NULL);
	FUZZ_ASSERT(w3s_multibase_encode(base, bin, len, &text, &err) == 0);
	if (case_insensitive(base))
		FUZZ_ASSERT(strcasecmp(text + 1, s + 1) == 0);
	else
		FUZZ_ASSERT(strcmp(text, s) == 0);
	FUZZ_ASSERT(w3s_multibase_decode(text, &bin2, &len2, &base2,
	    &err) == 0);
	FUZZ_ASSERT(base2 == base && len2 == len);
	FUZZ_ASSERT(len == 0 || memcmp(bin, bin2, len) == 0);
	free(bin2);
	free(text);
	free(bin);
	free(s);
	return 0;
}
