/* Resume tokens: format and parse (see w3s/resume.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <w3s/hex.h>
#include <w3s/resume.h>

#define PREFIX "w3s1-"

void
w3s_resume_token_format(const struct w3s_resume_token *t,
    char out[W3S_RESUME_TOKEN_MAX])
{
	char id[2 * W3S_HASH_LEN + 1];

	w3s_hex_encode(id, t->snapshot_id, W3S_HASH_LEN);
	id[2 * W3S_HASH_LEN] = '\0';
	snprintf(out, W3S_RESUME_TOKEN_MAX, PREFIX "%" PRIu64 "-%s-%" PRIu64
	    "-%" PRIu64, t->bucket, id, t->chunk, t->byte);
}

/* A decimal field ending at '-' or the end of the string: *s moves past
 * it. No sign, no leading zero unless the field is "0", at most
 * UINT64_MAX. */
static int
field_u64(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t n = 0;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' &&
	    p[1] <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	*s = p;
	return 0;
}

int
w3s_resume_token_parse(const char *s, struct w3s_resume_token *t,
    struct w3s_err *err)
{
	const char *p = s;
	size_t i;

	if (strncmp(p, PREFIX, strlen(PREFIX)) != 0)
		return w3s_err_set(err, W3S_EUSAGE, "resume token: does not"
		    " start with '" PREFIX "'");
	p += strlen(PREFIX);
	if (field_u64(&p, &t->bucket) != 0 || *p++ != '-')
		return w3s_err_set(err, W3S_EUSAGE, "resume token: bad"
		    " bucket id");
	for (i = 0; i < 2 * W3S_HASH_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f')))
			break;
	if (i != 2 * W3S_HASH_LEN || p[i] != '-' ||
	    w3s_hex_decode(t->snapshot_id, W3S_HASH_LEN, p, i, err) != 0)
		return w3s_err_set(err, W3S_EUSAGE, "resume token: the"
		    " snapshot id is not 64 lower-case hex digits");
	p += i + 1;
	if (field_u64(&p, &t->chunk) != 0 || *p++ != '-')
		return w3s_err_set(err, W3S_EUSAGE, "resume token: bad chunk"
		    " position");
	if (field_u64(&p, &t->byte) != 0 || *p != '\0')
		return w3s_err_set(err, W3S_EUSAGE, "resume token: bad byte"
		    " position");
	return 0;
}
