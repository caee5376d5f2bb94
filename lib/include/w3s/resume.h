/* Resume tokens (DESIGN.md section 6). An importer whose input stopped
 * early names the position it reached; the exporter starts again there.
 * The token is bound to the snapshot id (w3s_manifest_snapshot_id), so it
 * names the same chunk of the same snapshot every time; a forged or stale
 * token can only make the importer find chunks missing.
 *
 * Text form, one word safe for a shell and a file name:
 *   w3s1-BUCKET-SNAPSHOTID-CHUNK-BYTE
 * BUCKET, CHUNK and BYTE in decimal (no sign, no leading zeros),
 * SNAPSHOTID 64 lower-case hex digits. CHUNK is the index of the first
 * chunk the importer does not hold in the unresumed chunk order, BYTE the
 * total size of the chunks before it. */
#ifndef W3S_RESUME_H
#define W3S_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/hash.h>

/* Longest text form, with its NUL: "w3s1" and four '-', 20 digits for
 * each number, 64 hex digits. */
#define W3S_RESUME_TOKEN_MAX (4 + 4 + 3 * 20 + 64 + 1)

struct w3s_resume_token {
	uint64_t bucket;
	uint8_t snapshot_id[W3S_HASH_LEN];
	uint64_t chunk;		/* first chunk to send */
	uint64_t byte;		/* bytes of the chunks before it */
};

void w3s_resume_token_format(const struct w3s_resume_token *t,
    char out[W3S_RESUME_TOKEN_MAX]);
/* Parses exactly the text form: 0, or W3S_EUSAGE with a message saying
 * what is wrong (a token is what an operator pastes on a command line). */
int w3s_resume_token_parse(const char *s, struct w3s_resume_token *t,
    struct w3s_err *err);

#endif
