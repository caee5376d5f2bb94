/* cid-verify: compute and check the identifiers of files, CAR files and
 * stores, answer challenges, make and check Proof-of-Sync.
 *
 * For each file (or "-", standard input) it prints the CID of the file's
 * bytes and the file's web3-storage data root, or checks them against
 * --cid and --root. With --car it verifies CAR files instead: every
 * block against its CID, the CARv2 index, and that the roots and linked
 * blocks are present. With --store it scrubs buckets, answers challenges
 * and makes proofs (cmd/cid-verify/store.c). main only parses options and
 * picks a mode; each mode is one function that calls the library and
 * returns an exit status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/car.h>
#include <w3s/cid.h>
#include <w3s/err.h>
#include <w3s/filedigest.h>
#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/multibase.h>
#include <w3s/proof.h>
#include <w3s/store.h>

#include "cli/cli.h"
#include "cid-verify/modes.h"

#define PROG "cid-verify"

enum mode {
	MODE_FILES,	/* compute or check the CID and data root of files */
	MODE_CAR,	/* verify CAR files */
	MODE_SCRUB,	/* --store: scrub buckets (full or --sample) */
	MODE_CHALLENGE,	/* --challenge */
	MODE_CHECK_CHALLENGE,	/* --check-challenge */
	MODE_PROVE,	/* --prove */
	MODE_CHECK_PROOF,	/* --check-proof */
	MODE_STREAM,	/* --stream: archives, as snapshot-import checks */
};

/* getopt_long codes of long options without a short form. */
enum {
	OPT_CAR = 256,
	OPT_BUCKET,
	OPT_ALL,
	OPT_TRUST_ROOT,
	OPT_SAMPLE,
	OPT_JOBS,
	OPT_CHALLENGE,
	OPT_COMMITMENT,
	OPT_CHECK_CHALLENGE,
	OPT_LEAF,
	OPT_CHUNK,
	OPT_LEAF_COUNT,
	OPT_START_SEQ,
	OPT_PROVE,
	OPT_NONCE,
	OPT_SAMPLES,
	OPT_CHECK_PROOF,
	OPT_STREAM,
};

struct opts {
	enum mode mode;
	int mode_set;
	const char *mode_opt;	/* the option that chose the mode */
	struct store_opts so;
	uint8_t trust_root[W3S_H256], commitment[W3S_H256];
	uint8_t nonce[W3S_POS_NONCE_MAX];
	const char *trust_root_text, *commitment_text, *nonce_text;
	const char *challenge_text;
	int leaf_set, chunk_set;
	unsigned given;		/* G() bits of the options given */
	enum w3s_hash_alg alg;
	uint64_t codec;
	unsigned version;
	enum w3s_base base;
	int alg_set, codec_set, version_set, base_set;
	int json;
	const char *cid_text;	/* --cid, as given */
	struct w3s_cid cid;
	const char *root_text;	/* --root, as given */
	uint8_t root[W3S_H256];
	char **files;
	int nfiles;
};

static const char usage_text[] =
    "usage: cid-verify [--json] [--hash alg] [--codec codec] "
    "[--cid-version 0|1]\n"
    "                  [--base base] [--cid cid] [--root 0x...] file ...\n"
    "       cid-verify --car [--json] [--base base] [--cid cid] file ...\n"
    "       cid-verify --stream [--trust-root 0x...] [--json] file ...\n"
    "       cid-verify --store dir (--bucket id | --all) [--trust-root 0x...]\n"
    "                  [--sample n] [--jobs n] [--progress | --quiet] [--json]\n"
    "       cid-verify --store dir --bucket id --challenge leaf:chunk\n"
    "                  [--commitment 0x...] [--json]\n"
    "       cid-verify --check-challenge hex --root 0x... --leaf leaf "
    "--chunk chunk\n"
    "                  --leaf-count n [--start-seq n] [--bucket id "
    "--key pub] [--json]\n"
    "       cid-verify --store dir --bucket id --prove --key pem "
    "--nonce hex\n"
    "                  [--samples n] [--output file] [--json]\n"
    "       cid-verify --check-proof file --root 0x... [--key pub] "
    "[--nonce hex] [--json]\n"
    "       cid-verify --help | --version\n";

static const char help_text[] =
    "\n"
    "Prints the CID and the web3-storage data root of each file (\"-\" is\n"
    "standard input), or checks them against --cid and --root.\n"
    "\n"
    "options:\n"
    "  -a, --hash alg        blake2b-256 (default) or sha2-256\n"
    "      --codec codec     raw (default), dag-pb or dag-cbor\n"
    "      --cid-version n   1 (default), or 0 (sha2-256 and dag-pb)\n"
    "  -b, --base base       base32 (default), base58btc, base36, base16 "
    "or base64\n"
    "  -j, --json            one JSON object per file\n"
    "  -c, --cid cid         check each file against cid; its hash "
    "function,\n"
    "                        codec and version are the cid's\n"
    "  -r, --root 0x...      check each file's data root\n"
    "      --car             verify CAR files (v1 and v2): every block's "
    "hash,\n"
    "                        the index, and that the roots and linked "
    "blocks\n"
    "                        are in the file; --cid must be a root\n"
    "      --stream          check snapshot and delta archives as\n"
    "                        snapshot-import would, without a store\n"
    "  -s, --store dir       scrub buckets of this store (default: "
    "$W3SYNC_STORE)\n"
    "      --bucket id       the bucket, a decimal number\n"
    "      --all             every bucket of the store\n"
    "      --trust-root 0x...  the root the bucket's commitment must have\n"
    "      --sample n        check n random chunks with their proofs, not "
    "all\n"
    "      --jobs n          hashing threads (default: the online cores)\n"
    "  -p, --progress        show the full scrub's progress on stderr\n"
    "                        (default: on a terminal)\n"
    "  -q, --quiet           no progress\n"
    "      --challenge leaf:chunk  print the answer to a chain challenge\n"
    "      --commitment 0x...  answer for this older commitment's root\n"
    "      --check-challenge hex  check an answer under the chain's rules\n"
    "                        (- or @file: read the hex from there)\n"
    "      --leaf leaf       the challenged leaf index\n"
    "      --chunk chunk     the challenged chunk index\n"
    "      --leaf-count n    the challenged commitment's leaf count\n"
    "      --start-seq n     the challenged commitment's start_seq "
    "(default 0);\n"
    "                        a Deleted answer is also checked against\n"
    "                        --bucket and --key (the bucket admin's)\n"
    "      --prove           make a Proof-of-Sync of the bucket\n"
    "  -k, --key pem         the node's key (--prove: private, default\n"
    "                        $W3SYNC_KEY; --check-proof: public, expected)\n"
    "      --nonce hex       the verifier's nonce\n"
    "      --samples n       challenge answers in the proof (default 32)\n"
    "  -o, --output file     write the proof to file, not standard output\n"
    "      --check-proof file  check a Proof-of-Sync against --root\n"
    "  -h, --help            print this help and exit\n"
    "  -V, --version         print the version and exit\n"
    "\n"
    "output: cid, data root, size and name, two spaces apart, one line per "
    "file;\n"
    "with --car, lines file:, version:, roots:, blocks: and missing:\n"
    "exit status: 0 success, 1 mismatch or failed check, 2 usage error, 3 "
    "blocks\n"
    "or chunks missing, 4 malformed input, 5 does not apply (unanchored "
    "bucket,\n"
    "no such commitment, leaf or chunk), 7 system error (see "
    "cid-verify(1))\n";

/* The bases --base takes (the man page and completions list the same). */
static const char *const bases[] = { "base32", "base58btc", "base36",
    "base16", "base64" };

static int
parse_version(const char *s, unsigned *version)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 1)
		return -1;
	*version = (unsigned)v;
	return 0;
}

static int
parse_base(const char *s, enum w3s_base *base)
{
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		if (strcmp(s, bases[i]) == 0)
			return w3s_base_from_name(s, base, NULL);
	return -1;
}

/* Options that belong to some modes only: a bit each, for the check that
 * every option given applies to the chosen mode. */
enum {
	G_HASH, G_CODEC, G_CIDV, G_BASE, G_CID, G_ROOT, G_STORE, G_BUCKET,
	G_ALL, G_TRUST, G_SAMPLE, G_JOBS, G_COMMIT, G_LEAF, G_CHUNK, G_LCOUNT,
	G_KEY, G_NONCE, G_SAMPLES, G_OUTPUT, G_PROGRESS, G_QUIET, G_START_SEQ,
	G_COUNT
};
static const char *const given_name[G_COUNT] = { "hash", "codec",
    "cid-version", "base", "cid", "root", "store", "bucket", "all",
    "trust-root", "sample", "jobs", "commitment", "leaf", "chunk",
    "leaf-count", "key", "nonce", "samples", "output", "progress", "quiet",
    "start-seq" };
#define G(x) (1u << (x))
static const unsigned mode_allows[] = {
	[MODE_FILES] = G(G_HASH) | G(G_CODEC) | G(G_CIDV) | G(G_BASE) |
	    G(G_CID) | G(G_ROOT),
	[MODE_CAR] = G(G_BASE) | G(G_CID),
	[MODE_SCRUB] = G(G_STORE) | G(G_BUCKET) | G(G_ALL) | G(G_TRUST) |
	    G(G_SAMPLE) | G(G_JOBS) | G(G_PROGRESS) | G(G_QUIET),
	[MODE_CHALLENGE] = G(G_STORE) | G(G_BUCKET) | G(G_COMMIT),
	[MODE_CHECK_CHALLENGE] = G(G_ROOT) | G(G_LEAF) | G(G_CHUNK) |
	    G(G_LCOUNT) | G(G_START_SEQ) | G(G_BUCKET) | G(G_KEY),
	[MODE_PROVE] = G(G_STORE) | G(G_BUCKET) | G(G_KEY) | G(G_NONCE) |
	    G(G_SAMPLES) | G(G_OUTPUT),
	[MODE_CHECK_PROOF] = G(G_ROOT) | G(G_TRUST) | G(G_KEY) | G(G_NONCE),
	[MODE_STREAM] = G(G_TRUST),
};

/* A mode option: only one of them. */
static int
set_mode(struct opts *o, enum mode mode, const char *name)
{
	if (o->mode_opt != NULL && strcmp(o->mode_opt, name) != 0)
		return w3s_cli_usage_error("--%s and --%s are different modes",
		    o->mode_opt, name);
	o->mode = mode;
	o->mode_opt = name;
	return -1;
}

static int
number(const char *opt, const char *arg, uint64_t max, uint64_t *v)
{
	if (w3s_cli_parse_u64(arg, max, v) != 0)
		return w3s_cli_usage_error("--%s: '%s' is not a number from 0 "
		    "to %llu", opt, arg, (unsigned long long)max);
	return -1;
}

/* Parses argv into *o. Returns -1 to go on, or an exit status. */
static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "hash", required_argument, NULL, 'a' },
		{ "codec", required_argument, NULL, 'C' },
		{ "cid-version", required_argument, NULL, 'v' },
		{ "base", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "cid", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "car", no_argument, NULL, OPT_CAR },
		{ "store", required_argument, NULL, 's' },
		{ "bucket", required_argument, NULL, OPT_BUCKET },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "trust-root", required_argument, NULL, OPT_TRUST_ROOT },
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "challenge", required_argument, NULL, OPT_CHALLENGE },
		{ "commitment", required_argument, NULL, OPT_COMMITMENT },
		{ "check-challenge", required_argument, NULL,
		    OPT_CHECK_CHALLENGE },
		{ "leaf", required_argument, NULL, OPT_LEAF },
		{ "chunk", required_argument, NULL, OPT_CHUNK },
		{ "leaf-count", required_argument, NULL, OPT_LEAF_COUNT },
		{ "start-seq", required_argument, NULL, OPT_START_SEQ },
		{ "prove", no_argument, NULL, OPT_PROVE },
		{ "key", required_argument, NULL, 'k' },
		{ "nonce", required_argument, NULL, OPT_NONCE },
		{ "samples", required_argument, NULL, OPT_SAMPLES },
		{ "output", required_argument, NULL, 'o' },
		{ "check-proof", required_argument, NULL, OPT_CHECK_PROOF },
		{ "stream", no_argument, NULL, OPT_STREAM },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* --codec and --cid-version have no short form: 'C' and 'v' are
	 * only their internal codes, so they are not in this string. */
	static const char shortopts[] = ":a:b:jc:r:s:k:o:pqhV";
	struct store_opts *so = &o->so;
	uint64_t v;
	int ch, rc = -1;

	o->mode = MODE_FILES;
	o->alg = W3S_HASH_BLAKE2B_256;
	o->codec = W3S_CODEC_RAW;
	o->version = 1;
	o->base = W3S_BASE32;
	so->samples = 32;
	opterr = 0;
	while (rc < 0 && (ch = getopt_long(argc, argv, shortopts, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			if ((strcmp(optarg, "blake2b-256") != 0 &&
			    strcmp(optarg, "sha2-256") != 0) ||
			    w3s_hash_from_name(optarg, &o->alg, NULL) != 0)
				return w3s_cli_usage_error("--hash: '%s' is not"
				    " blake2b-256 or sha2-256", optarg);
			o->alg_set = 1;
			o->given |= G(G_HASH);
			break;
		case 'C':
			if (w3s_codec_from_name(optarg, &o->codec, NULL) != 0)
				return w3s_cli_usage_error("--codec: '%s' is not"
				    " raw, dag-pb or dag-cbor", optarg);
			o->codec_set = 1;
			o->given |= G(G_CODEC);
			break;
		case 'v':
			if (parse_version(optarg, &o->version) != 0)
				return w3s_cli_usage_error("--cid-version: '%s'"
				    " is not 0 or 1", optarg);
			o->version_set = 1;
			o->given |= G(G_CIDV);
			break;
		case 'b':
			if (parse_base(optarg, &o->base) != 0)
				return w3s_cli_usage_error("--base: '%s' is not"
				    " base32, base58btc, base36, base16 or"
				    " base64", optarg);
			o->base_set = 1;
			o->given |= G(G_BASE);
			break;
		case 'j':
			o->json = so->json = 1;
			break;
		case 'c':
			o->cid_text = optarg;
			o->given |= G(G_CID);
			break;
		case 'r':
			o->root_text = optarg;
			o->given |= G(G_ROOT);
			break;
		case OPT_CAR:
			rc = set_mode(o, MODE_CAR, "car");
			break;
		case 's':
			so->store = optarg;
			o->given |= G(G_STORE);
			break;
		case OPT_BUCKET:
			if (w3s_cli_parse_u64(optarg, UINT64_MAX,
			    &so->bucket) != 0)
				return w3s_cli_usage_error("--bucket: '%s' is"
				    " not a decimal bucket id", optarg);
			so->bucket_set = 1;
			o->given |= G(G_BUCKET);
			break;
		case OPT_ALL:
			so->all = 1;
			o->given |= G(G_ALL);
			break;
		case OPT_TRUST_ROOT:
			o->trust_root_text = optarg;
			o->given |= G(G_TRUST);
			break;
		case OPT_SAMPLE:
			rc = number("sample", optarg, 1000000, &so->sample);
			if (rc < 0 && so->sample == 0)
				rc = w3s_cli_usage_error("--sample: give at"
				    " least 1");
			o->given |= G(G_SAMPLE);
			break;
		case OPT_JOBS:
			rc = number("jobs", optarg, 256, &v);
			if (rc < 0 && v == 0)
				rc = w3s_cli_usage_error("--jobs: give at"
				    " least 1");
			so->jobs = (unsigned)v;
			o->given |= G(G_JOBS);
			break;
		case 'p':
			so->progress = W3S_CLI_PROGRESS_ON;
			o->given |= G(G_PROGRESS);
			break;
		case 'q':
			so->progress = W3S_CLI_PROGRESS_OFF;
			o->given |= G(G_QUIET);
			break;
		case OPT_CHALLENGE:
			o->challenge_text = optarg;
			rc = set_mode(o, MODE_CHALLENGE, "challenge");
			break;
		case OPT_COMMITMENT:
			o->commitment_text = optarg;
			o->given |= G(G_COMMIT);
			break;
		case OPT_CHECK_CHALLENGE:
			so->check_hex = optarg;
			rc = set_mode(o, MODE_CHECK_CHALLENGE,
			    "check-challenge");
			break;
		case OPT_LEAF:
			rc = number("leaf", optarg, UINT64_MAX, &so->leaf);
			o->leaf_set = 1;
			o->given |= G(G_LEAF);
			break;
		case OPT_CHUNK:
			rc = number("chunk", optarg, UINT64_MAX, &so->chunk);
			o->chunk_set = 1;
			o->given |= G(G_CHUNK);
			break;
		case OPT_LEAF_COUNT:
			rc = number("leaf-count", optarg, UINT64_MAX,
			    &so->leaf_count);
			so->leaf_count_set = 1;
			o->given |= G(G_LCOUNT);
			break;
		case OPT_START_SEQ:
			rc = number("start-seq", optarg, UINT64_MAX,
			    &so->start_seq);
			o->given |= G(G_START_SEQ);
			break;
		case OPT_PROVE:
			rc = set_mode(o, MODE_PROVE, "prove");
			break;
		case 'k':
			so->key = optarg;
			o->given |= G(G_KEY);
			break;
		case OPT_NONCE:
			o->nonce_text = optarg;
			o->given |= G(G_NONCE);
			break;
		case OPT_SAMPLES:
			rc = number("samples", optarg, W3S_POS_SAMPLES_MAX,
			    &so->samples);
			if (rc < 0 && so->samples == 0)
				rc = w3s_cli_usage_error("--samples: give at"
				    " least 1");
			o->given |= G(G_SAMPLES);
			break;
		case 'o':
			so->output = optarg;
			o->given |= G(G_OUTPUT);
			break;
		case OPT_STREAM:
			rc = set_mode(o, MODE_STREAM, "stream");
			break;
		case OPT_CHECK_PROOF:
			so->proof_file = optarg;
			rc = set_mode(o, MODE_CHECK_PROOF, "check-proof");
			break;
		case 'h':
			return w3s_cli_help(usage_text, help_text);
		case 'V':
			return w3s_cli_version();
		default:
			return w3s_cli_bad_option(argv, ch);
		}
	}
	if (rc >= 0)
		return rc;
	if (o->mode_opt == NULL && (o->given & (G(G_STORE) | G(G_BUCKET) |
	    G(G_ALL) | G(G_TRUST) | G(G_SAMPLE) | G(G_JOBS))))
		o->mode = MODE_SCRUB;
	o->files = argv + optind;
	o->nfiles = argc - optind;
	return -1;
}

/* A 0x root of an option into out. Returns -1 to go on, or 4. */
static int
parse_root(const char *opt, const char *text, uint8_t out[W3S_H256])
{
	struct w3s_err err = { 0 };

	if (w3s_hex32_parse(out, text, &err) != 0) {
		w3s_cli_errorf("--%s: %s", opt, err.msg);
		return 4;
	}
	return -1;
}

/* The options of the store and proof modes. Returns -1 to go on, or an
 * exit status. */
static int
check_store_options(struct opts *o)
{
	struct store_opts *so = &o->so;
	struct w3s_err err = { 0 };
	uint8_t *nonce = NULL;
	size_t len = 0;
	char *end;
	int rc;

	if (o->nfiles > 0)
		return w3s_cli_usage_error("unexpected operand '%s'",
		    o->files[0]);
	if (o->mode == MODE_SCRUB || o->mode == MODE_CHALLENGE ||
	    o->mode == MODE_PROVE) {
		if ((so->store = w3s_cli_store(so->store)) == NULL)
			return w3s_cli_usage_error("no store: give --store or"
			    " set " W3S_STORE_ENV);
		if (so->all && so->bucket_set)
			return w3s_cli_usage_error("--bucket and --all: give"
			    " one");
		if (!so->all && !so->bucket_set)
			return w3s_cli_usage_error("no bucket: give --bucket%s",
			    o->mode == MODE_SCRUB ? " or --all" : "");
		if (so->all && o->trust_root_text != NULL)
			return w3s_cli_usage_error("--trust-root names one"
			    " bucket's root: give --bucket, not --all");
	}
	if (o->mode == MODE_CHALLENGE) {
		if (o->challenge_text[0] < '0' || o->challenge_text[0] > '9' ||
		    (end = strchr(o->challenge_text, ':')) == NULL)
			return w3s_cli_usage_error("--challenge: '%s' is not"
			    " leaf:chunk", o->challenge_text);
		*end = '\0';
		rc = w3s_cli_parse_u64(o->challenge_text, UINT64_MAX,
		    &so->leaf) | w3s_cli_parse_u64(end + 1, UINT64_MAX,
		    &so->chunk);
		*end = ':';
		if (rc != 0)
			return w3s_cli_usage_error("--challenge: '%s' is not"
			    " leaf:chunk", o->challenge_text);
	}
	if (o->mode == MODE_CHECK_CHALLENGE && (o->root_text == NULL ||
	    !o->leaf_set || !o->chunk_set || !so->leaf_count_set))
		return w3s_cli_usage_error("--check-challenge needs --%s",
		    o->root_text == NULL ? "root" : !o->leaf_set ? "leaf" :
		    !o->chunk_set ? "chunk" : "leaf-count");
	if (o->mode == MODE_CHECK_PROOF) {
		if (o->root_text != NULL && o->trust_root_text != NULL)
			return w3s_cli_usage_error("--root and --trust-root"
			    " name the same root: give one");
		if (o->root_text == NULL && (o->root_text =
		    o->trust_root_text) == NULL)
			return w3s_cli_usage_error("--check-proof needs the"
			    " trusted root: give --root");
		o->trust_root_text = NULL;
	}
	if (o->mode == MODE_PROVE) {
		if (so->key == NULL && (so->key = getenv("W3SYNC_KEY")) !=
		    NULL && *so->key == '\0')
			so->key = NULL;
		if (so->key == NULL)
			return w3s_cli_usage_error("no key: give --key or set"
			    " W3SYNC_KEY");
		if (o->nonce_text == NULL)
			return w3s_cli_usage_error("no nonce: give --nonce");
	}
	if (o->nonce_text != NULL) {
		if (w3s_hex_decode_alloc(o->nonce_text, &nonce, &len,
		    &err) != 0 || len == 0 || len > W3S_POS_NONCE_MAX) {
			free(nonce);
			w3s_cli_errorf("--nonce: not 1 to %d bytes of hex",
			    W3S_POS_NONCE_MAX);
			return 4;
		}
		memcpy(o->nonce, nonce, len);
		free(nonce);
		so->nonce = o->nonce;
		so->nonce_len = len;
		so->nonce_set = 1;
	}
	if (o->trust_root_text != NULL) {
		if ((rc = parse_root("trust-root", o->trust_root_text,
		    o->trust_root)) >= 0)
			return rc;
		so->trust_root = o->trust_root;
	}
	if (o->commitment_text != NULL) {
		if ((rc = parse_root("commitment", o->commitment_text,
		    o->commitment)) >= 0)
			return rc;
		so->commitment = o->commitment;
	}
	if (o->root_text != NULL) {
		if ((rc = parse_root("root", o->root_text, o->root)) >= 0)
			return rc;
		so->root = o->root;
	}
	return -1;
}

/* Checks that the options make sense together and parses --cid and
 * --root. Returns -1 to go on, or an exit status. */
static int
check_options(struct opts *o)
{
	struct w3s_err err = { 0 };
	unsigned extra = o->given & ~mode_allows[o->mode];

	if (o->mode == MODE_CAR && (o->alg_set || o->codec_set ||
	    o->version_set || o->root_text != NULL))
		return w3s_cli_usage_error("--car checks the cids the car "
		    "names; drop --%s", o->alg_set ? "hash" : o->codec_set ?
		    "codec" : o->version_set ? "cid-version" : "root");
	for (int i = 0; extra != 0 && i < G_COUNT; i++)
		if (extra & G(i))
			return w3s_cli_usage_error("--%s does not go with %s%s",
			    given_name[i], o->mode_opt ? "--" : "checking files",
			    o->mode_opt ? o->mode_opt : "");
	if (o->mode == MODE_STREAM) {
		if (o->nfiles == 0)
			return w3s_cli_usage_error("no file given (use - for "
			    "standard input)");
		if (o->trust_root_text != NULL && parse_root("trust-root",
		    o->trust_root_text, o->trust_root) >= 0)
			return 4;
		o->so.trust_root = o->trust_root_text ? o->trust_root : NULL;
		return -1;
	}
	if (o->mode != MODE_FILES && o->mode != MODE_CAR)
		return check_store_options(o);
	if (o->cid_text != NULL && (o->alg_set || o->codec_set ||
	    o->version_set))
		return w3s_cli_usage_error("--cid takes the hash function, "
		    "codec and version from the cid; drop --%s", o->alg_set ?
		    "hash" : o->codec_set ? "codec" : "cid-version");
	if (o->version_set && o->version == 0) {
		if (o->alg_set && o->alg != W3S_HASH_SHA2_256)
			return w3s_cli_usage_error("--cid-version 0 needs --hash "
			    "sha2-256");
		if (o->codec_set && o->codec != W3S_CODEC_DAG_PB)
			return w3s_cli_usage_error("--cid-version 0 needs --codec "
			    "dag-pb");
		if (o->base_set && o->base != W3S_BASE58BTC)
			return w3s_cli_usage_error("--cid-version 0 is always "
			    "base58btc");
		o->alg = W3S_HASH_SHA2_256;
		o->codec = W3S_CODEC_DAG_PB;
	}
	if (o->nfiles == 0)
		return w3s_cli_usage_error("no file given (use - for standard input)");

	if (o->cid_text != NULL) {
		if (w3s_cid_parse(&o->cid, o->cid_text, &err) != 0) {
			w3s_cli_errorf("--cid '%.100s': %s", o->cid_text, err.msg);
			return w3s_err_exit_status(err.code == W3S_EUSAGE ?
			    W3S_EMALFORMED : err.code);
		}
		if (o->cid.mh.code != W3S_HASH_IDENTITY &&
		    (w3s_hash_digest_len((enum w3s_hash_alg)o->cid.mh.code) <=
		    0 || o->cid.mh.len > W3S_FILEDIGEST_MAX)) {
			w3s_cli_errorf("--cid '%.100s': hash function 0x%llx is not "
			    "supported", o->cid_text,
			    (unsigned long long)o->cid.mh.code);
			return 4;
		}
		o->alg = (enum w3s_hash_alg)o->cid.mh.code;
		o->codec = o->cid.codec;
		o->version = o->cid.version;
		/* Print what was computed in the cid's own base, so the two
		 * compare by eye; "0x" and v0 forms print as base32 and v0. */
		if (!o->base_set && o->cid.version == 1 &&
		    strncmp(o->cid_text, "0x", 2) != 0 &&
		    strncmp(o->cid_text, "0X", 2) != 0 &&
		    (unsigned char)o->cid_text[0] < 0x80 &&
		    w3s_base_name((enum w3s_base)o->cid_text[0]) != NULL)
			o->base = (enum w3s_base)o->cid_text[0];
	}
	if (o->root_text != NULL &&
	    w3s_hex32_parse(o->root, o->root_text, &err) != 0) {
		w3s_cli_errorf("--root: %s", err.msg);
		return 4;
	}
	return -1;
}

static void
print_result(const struct opts *o, const char *name,
    const struct w3s_filedigest *fdg, const char *cid_text, int match)
{
	char root[W3S_HEX32_LEN];

	w3s_hex32_format(root, fdg->data_root);
	if (o->json) {
		fputs("{\"file\":", stdout);
		w3s_cli_json_string(stdout, name);
		printf(",\"size\":%llu,\"chunks\":%llu,\"cid\":",
		    (unsigned long long)fdg->size,
		    (unsigned long long)fdg->chunks);
		if (cid_text != NULL)
			w3s_cli_json_string(stdout, cid_text);
		else
			fputs("null", stdout);
		printf(",\"data_root\":\"%s\"", root);
		if (o->cid_text != NULL || o->root_text != NULL)
			printf(",\"match\":%s", match ? "true" : "false");
		fputs("}\n", stdout);
		return;
	}
	if (w3s_cli_name_needs_escape(name))
		fputc('\\', stdout);
	printf("%s  %s  %llu  ", cid_text != NULL ? cid_text : "-", root,
	    (unsigned long long)fdg->size);
	w3s_cli_text_name(stdout, name);
	fputc('\n', stdout);
}

/* Computes (and checks) one file; returns its exit status. */
static int
do_file(const struct opts *o, const char *name)
{
	struct w3s_filedigest fdg;
	struct w3s_err err = { 0 };
	struct w3s_cid cid;
	char *cid_text = NULL;
	int fd, rc, status = 0, match = 1;

	if (strcmp(name, "-") == 0) {
		fd = STDIN_FILENO;
	} else if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		w3s_cli_errorf("%s: cannot open: %s", name, w3s_cli_reason(errno));
		return 7;
	}
	rc = w3s_filedigest_fd(fd, o->alg, &fdg, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc != 0) {
		w3s_cli_errorf("%s: %s", name, err.msg);
		return w3s_err_exit_status(rc);
	}
	if (!fdg.digest_overflow) {
		w3s_cid_from_digest(&cid, o->version, o->codec, o->alg,
		    fdg.digest, fdg.digest_len);
		if ((rc = w3s_cid_format(&cid, o->base, &cid_text, &err)) != 0) {
			w3s_cli_errorf("%s: %s", name, err.msg);
			return w3s_err_exit_status(rc);
		}
	}

	if (o->cid_text != NULL &&
	    (cid_text == NULL || !w3s_cid_equal(&o->cid, &cid))) {
		if (cid_text != NULL)
			w3s_cli_errorf("%s: cid mismatch: expected %s, got %s", name,
			    o->cid_text, cid_text);
		else
			w3s_cli_errorf("%s: cid mismatch: expected %s, got %llu bytes, "
			    "more than an identity cid holds", name,
			    o->cid_text, (unsigned long long)fdg.size);
		match = 0;
		status = 1;
	}
	if (o->root_text != NULL &&
	    memcmp(o->root, fdg.data_root, W3S_H256) != 0) {
		char want[W3S_HEX32_LEN], got[W3S_HEX32_LEN];

		w3s_hex32_format(want, o->root);
		w3s_hex32_format(got, fdg.data_root);
		w3s_cli_errorf("%s: data root mismatch: expected %s, got %s", name,
		    want, got);
		match = 0;
		status = 1;
	}
	print_result(o, name, &fdg, cid_text, match);
	free(cid_text);
	return status;
}

static int
run_files(const struct opts *o)
{
	int status = 0, rc;

	for (int i = 0; i < o->nfiles; i++) {
		rc = do_file(o, o->files[i]);
		if (rc > status)
			status = rc;
	}
	return status;
}

/* A CID as printed: v1 in the output base, v0 as "Qm...". NULL when it
 * cannot be printed (a CID struct that cannot exist). */
static char *
format_cid(const struct opts *o, const struct w3s_cid *cid)
{
	char *s = NULL;

	if (w3s_cid_format(cid, o->base, &s, NULL) != 0)
		return NULL;
	return s;
}

/* CIDs space-separated after a text label, or as a JSON array. */
static void
print_cids(const struct opts *o, const struct w3s_cid *cids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *s = format_cid(o, &cids[i]);

		if (o->json) {
			fputs(i > 0 ? "," : "", stdout);
			if (s != NULL)
				w3s_cli_json_string(stdout, s);
			else
				fputs("null", stdout);
		} else {
			printf(" %s", s != NULL ? s : "-");
		}
		free(s);
	}
}

static void
print_car(const struct opts *o, const char *name,
    const struct w3s_car_summary *sum, int match)
{
	if (o->json) {
		fputs("{\"file\":", stdout);
		w3s_cli_json_string(stdout, name);
		printf(",\"version\":%u,\"roots\":[", sum->version);
		print_cids(o, sum->roots, sum->root_count);
		printf("],\"blocks\":%llu,\"missing\":[",
		    (unsigned long long)sum->blocks);
		print_cids(o, sum->missing, sum->missing_count);
		fputc(']', stdout);
		if (o->cid_text != NULL)
			printf(",\"match\":%s", match ? "true" : "false");
		fputs("}\n", stdout);
		return;
	}
	fputs("file: ", stdout);
	w3s_cli_text_name(stdout, name);
	printf("\nversion: %u\nroots:", sum->version);
	print_cids(o, sum->roots, sum->root_count);
	printf("\nblocks: %llu\n", (unsigned long long)sum->blocks);
	if (sum->missing_count > 0) {
		fputs("missing:", stdout);
		print_cids(o, sum->missing, sum->missing_count);
		fputc('\n', stdout);
	}
}

/* With --cid: is it one of the roots? Says so on stderr when not. */
static int
car_root_matches(const struct opts *o, const char *name,
    const struct w3s_car_summary *sum)
{
	char *got;

	/* A CIDv0 and a CIDv1 of the same dag-pb multihash name one block. */
	for (size_t i = 0; i < sum->root_count; i++) {
		struct w3s_cid root = sum->roots[i];

		root.version = o->cid.version;
		if (w3s_cid_equal(&o->cid, &root))
			return 1;
	}
	if (sum->root_count != 1) {
		w3s_cli_errorf("%s: root mismatch: %s is not among the %zu roots",
		    name, o->cid_text, sum->root_count);
		return 0;
	}
	got = format_cid(o, &sum->roots[0]);
	w3s_cli_errorf("%s: root mismatch: expected %s, got %s", name, o->cid_text,
	    got != NULL ? got : "-");
	free(got);
	return 0;
}

/* Verifies one CAR file; returns its exit status. The summary is printed
 * when the file could be read to its end (complete, or with missing
 * blocks). */
static int
do_car(const struct opts *o, const char *name)
{
	struct w3s_car_summary sum;
	struct w3s_err err = { 0 };
	struct w3s_car *car;
	int fd, rc, status, match = 1;

	if (strcmp(name, "-") == 0) {
		fd = STDIN_FILENO;
	} else if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		w3s_cli_errorf("%s: cannot open: %s", name, w3s_cli_reason(errno));
		return 7;
	}
	if ((car = w3s_car_new(&err)) == NULL)
		rc = err.code;
	else
		rc = w3s_car_read_fd(car, fd, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc != 0 && rc != W3S_EINCOMPLETE) {
		w3s_cli_errorf("%s: %s", name, err.msg);
		w3s_car_free(car);
		return w3s_err_exit_status(rc);
	}
	status = w3s_err_exit_status(rc);
	if (rc != 0)
		w3s_cli_errorf("%s: %s", name, err.msg);
	w3s_car_summary(car, &sum);
	if (o->cid_text != NULL && !(match = car_root_matches(o, name, &sum))
	    && status < 1)
		status = 1;
	print_car(o, name, &sum, match);
	w3s_car_free(car);
	return status;
}

static int
run_car(const struct opts *o)
{
	int status = 0, rc;

	for (int i = 0; i < o->nfiles; i++) {
		rc = do_car(o, o->files[i]);
		if (rc > status)
			status = rc;
	}
	return status;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int status;

	w3s_cli_init(PROG);
	memset(&o, 0, sizeof(o));
	if ((status = parse_options(argc, argv, &o)) >= 0)
		return status;
	if ((status = check_options(&o)) >= 0)
		return status;
	switch (o.mode) {
	case MODE_FILES:
		status = run_files(&o);
		break;
	case MODE_CAR:
		status = run_car(&o);
		break;
	case MODE_SCRUB:
		status = run_scrub(&o.so);
		break;
	case MODE_CHALLENGE:
		status = run_challenge(&o.so);
		break;
	case MODE_CHECK_CHALLENGE:
		status = run_check_challenge(&o.so);
		break;
	case MODE_PROVE:
		status = run_prove(&o.so);
		break;
	case MODE_CHECK_PROOF:
		status = run_check_proof(&o.so);
		break;
	case MODE_STREAM:
		status = run_stream(&o.so, o.files, o.nfiles);
		break;
	}
	if (w3s_cli_flush_stdout() != 0)
		status = 7;
	return status;
}
