/* Resume tokens: round trip and every malformed form refused. */
#include <string.h>

#include <w3s/resume.h>

#include "tap.h"

int
main(void)
{
	struct w3s_resume_token t = { 0 }, u;
	struct w3s_err err = { 0 };
	char text[W3S_RESUME_TOKEN_MAX];
	static const char *bad[] = {
		"", "w3s1", "w3s2-1-" "00000000000000000000000000000000"
		"00000000000000000000000000000000-0-0",
		"w3s1-01-00000000000000000000000000000000"
		"00000000000000000000000000000000-0-0",
		"w3s1-1-0000000000000000000000000000000"
		"00000000000000000000000000000000-0-0",
		"w3s1-1-A0000000000000000000000000000000"
		"00000000000000000000000000000000-0-0",
		"w3s1-1-00000000000000000000000000000000"
		"00000000000000000000000000000000-0",
		"w3s1-1-00000000000000000000000000000000"
		"00000000000000000000000000000000-0-0-",
		"w3s1-1-00000000000000000000000000000000"
		"00000000000000000000000000000000-+1-0",
		"w3s1-18446744073709551616-00000000000000000000000000000000"
		"00000000000000000000000000000000-0-0",
	};

	t.bucket = 18446744073709551615u;
	for (int i = 0; i < 32; i++)
		t.snapshot_id[i] = (uint8_t)(i * 7 + 1);
	t.chunk = 4095;
	t.byte = 1073741824;
	w3s_resume_token_format(&t, text);
	is_str(text, "w3s1-18446744073709551615-"
	    "01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da"
	    "-4095-1073741824", "format");
	ok(w3s_resume_token_parse(text, &u, &err) == 0 &&
	    memcmp(&t, &u, sizeof(t)) == 0, "parse gives the token back");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.code = 0;
		ok(w3s_resume_token_parse(bad[i], &u, &err) == W3S_EUSAGE &&
		    err.code == W3S_EUSAGE, "refused: '%s'", bad[i]);
	}
	return tap_done();
}
