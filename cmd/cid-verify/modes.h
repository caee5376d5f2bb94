/* cid-verify's store and proof modes (cmd/cid-verify/store.c); the file
 * and CAR modes and the options are in cmd/cid-verify.c. */
#ifndef CID_VERIFY_MODES_H
#define CID_VERIFY_MODES_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/types.h>

#include "../cli/progress.h"

/* What the options asked for, as the store and proof modes need it. */
struct store_opts {
	const char *store;
	uint64_t bucket;
	int bucket_set;
	int all;
	int json;
	const uint8_t *trust_root;	/* --trust-root, or NULL */
	uint64_t sample;		/* --sample N; 0: full scrub */
	unsigned jobs;			/* 0: online cores */
	enum w3s_cli_progress_mode progress;	/* --progress, --quiet */
	uint64_t leaf, chunk;		/* --challenge, --leaf/--chunk */
	const uint8_t *commitment;	/* --commitment, or NULL */
	const char *check_hex;		/* --check-challenge */
	const uint8_t *root;		/* --root for the checks, or NULL */
	uint64_t leaf_count;
	int leaf_count_set;
	uint64_t start_seq;		/* --start-seq */
	const char *key;		/* --key */
	const uint8_t *nonce;		/* --nonce */
	size_t nonce_len;
	int nonce_set;
	uint64_t samples;		/* --samples */
	const char *output;		/* -o */
	const char *proof_file;		/* --check-proof */
};

int run_scrub(const struct store_opts *o);
int run_challenge(const struct store_opts *o);
int run_check_challenge(const struct store_opts *o);
int run_prove(const struct store_opts *o);
int run_check_proof(const struct store_opts *o);
/* --stream over the file operands ("-": standard input). */
int run_stream(const struct store_opts *o, char **files, int nfiles);

#endif
