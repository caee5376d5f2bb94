/* segment-drop: delete_before (SPEC.md section 10). The segments before
 * --before go, the MMR is rebuilt over the survivors, start_seq moves, the
 * admin's signature over CommitmentPayload v1 of {new_mmr_root,
 * new_start_seq, 0} is kept as the bucket's deletion certificate, chunks
 * no survivor references are freed, and the change is logged. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/err.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/scale.h>
#include <w3s/store.h>

#include "cli/cli.h"

#define PROG "segment-drop"

struct opts {
	const char *store;
	const char *admin_key;
	uint64_t bucket;
	uint64_t before;
	int bucket_set;
	int before_set;
	int json;
	unsigned wait;
};

static const char usage_text[] =
    "usage: segment-drop --store dir --bucket id --before seq --admin-key pem\n"
    "                    [--wait seconds] [--json]\n"
    "       segment-drop --help | --version\n";

static const char help_text[] =
    "\n"
    "Drops the segments before sequence number seq (delete_before), rebuilds\n"
    "the MMR over the rest, and keeps the admin's signature over the new\n"
    "commitment as the bucket's deletion certificate.\n"
    "\n"
    "options:\n"
    "  -s, --store dir       the store (default: $W3SYNC_STORE)\n"
    "  -b, --bucket id       the bucket, a decimal number\n"
    "  -B, --before seq      the new start_seq: segments before it go\n"
    "  -a, --admin-key pem   the bucket admin's Ed25519 private key\n"
    "  -w, --wait seconds    wait that long for another writer to finish\n"
    "  -j, --json            one JSON object instead of lines\n"
    "  -h, --help            print this help and exit\n"
    "  -V, --version         print the version and exit\n"
    "\n"
    "output: dropped and freed counts, then mmr_root, start_seq, leaf_count,\n"
    "payload, signature and public_key lines\n"
    "exit status: 0 success, 1 key not an admin of the bucket, 2 usage\n"
    "error, 4 unsupported store, 5 nothing to drop or past the end or other\n"
    "bucket, 6 busy, 7 system error (see segment-drop(1))\n";

static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "before", required_argument, NULL, 'B' },
		{ "admin-key", required_argument, NULL, 'a' },
		{ "wait", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, status;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:b:B:a:w:jhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			o->store = optarg;
			break;
		case 'b':
			if (w3s_cli_opt_bucket(optarg, &o->bucket) != 0)
				return 2;
			o->bucket_set = 1;
			break;
		case 'B':
			if (w3s_cli_parse_u64(optarg, UINT64_MAX, &o->before) != 0)
				return w3s_cli_usage_error("--before: '%s' is not a"
				    " decimal sequence number", optarg);
			o->before_set = 1;
			break;
		case 'a':
			o->admin_key = optarg;
			break;
		case 'w':
			if (w3s_cli_opt_wait(optarg, &o->wait) != 0)
				return 2;
			break;
		default:
			if ((status = w3s_cli_opt_common(ch, argv, usage_text,
			    help_text, &o->json, NULL)) >= 0)
				return status;
			break;
		}
	}
	if (optind < argc)
		return w3s_cli_usage_error("unexpected operand '%s'", argv[optind]);
	if ((o->store = w3s_cli_store(o->store)) == NULL)
		return w3s_cli_usage_error("no store: give --store or set "
		    W3S_STORE_ENV);
	if (!o->bucket_set)
		return w3s_cli_usage_error("no bucket: give --bucket");
	if (!o->before_set)
		return w3s_cli_usage_error("no sequence number: give --before");
	if (o->admin_key == NULL || *o->admin_key == '\0')
		return w3s_cli_usage_error("no admin key: give --admin-key");
	return -1;
}

static int
print_result(const struct opts *o, uint64_t dropped,
    const struct w3s_commit_result *res, const struct w3s_commitment *c,
    const uint8_t *payload, const uint8_t *sig, const uint8_t *pub)
{
	char root[W3S_HEX32_LEN], hp[2 + 2 * W3S_PAYLOAD_V1_LEN + 1];
	char hs[2 + 2 * W3S_SIGNATURE_LEN + 1], hk[W3S_HEX32_LEN];

	w3s_hex32_format(root, c->mmr_root);
	w3s_cli_hex0x(hp, payload, W3S_PAYLOAD_V1_LEN);
	w3s_cli_hex0x(hs, sig, W3S_SIGNATURE_LEN);
	w3s_cli_hex0x(hk, pub, W3S_PUBKEY_LEN);
	if (o->json)
		printf("{\"segments\":[],\"dropped\":%llu,"
		    "\"freed_chunks\":%llu,\"deferred_chunks\":%llu,"
		    "\"mmr_root\":\"%s\",\"start_seq\":%llu,"
		    "\"leaf_count\":%llu,\"payload\":\"%s\",\"signature\":"
		    "\"%s\",\"public_key\":\"%s\"}\n",
		    (unsigned long long)dropped,
		    (unsigned long long)res->freed_chunks,
		    (unsigned long long)res->deferred_chunks, root,
		    (unsigned long long)c->start_seq,
		    (unsigned long long)c->leaf_count, hp, hs, hk);
	else
		printf("dropped %llu\nfreed_chunks %llu\n"
		    "deferred_chunks %llu\nmmr_root %s\nstart_seq %llu\n"
		    "leaf_count %llu\npayload %s\nsignature %s\n"
		    "public_key %s\n", (unsigned long long)dropped,
		    (unsigned long long)res->freed_chunks,
		    (unsigned long long)res->deferred_chunks, root,
		    (unsigned long long)c->start_seq,
		    (unsigned long long)c->leaf_count, hp, hs, hk);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		w3s_cli_errorf("committed, but cannot write the result: %s",
		    w3s_cli_reason(errno));
		return 7;
	}
	return 0;
}

static int
drop(const struct opts *o, struct w3s_bucket *b, struct w3s_key *key)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN], sig[W3S_SIGNATURE_LEN];
	uint8_t pub[W3S_PUBKEY_LEN];
	struct w3s_commitment next, cert;
	struct w3s_commit_result res;
	struct w3s_err err = { 0 };
	uint64_t dropped = 0;

	w3s_key_public(key, pub);
	if (w3s_bucket_key_allowed(b, W3S_ROLE_ADMIN, pub, &err) != 0 ||
	    w3s_bucket_write_begin(b, &err) != 0)
		return w3s_cli_fail(&err);
	if (w3s_bucket_drop_prepare(b, o->before, &next, &dropped, &err) != 0)
		goto abort;
	cert = next;
	cert.leaf_count = 0;
	w3s_payload_v1_encode(o->bucket, &cert, payload);
	if (w3s_key_sign(key, payload, sizeof(payload), sig, &err) != 0 ||
	    w3s_bucket_deletion_add(b, pub, sig, &err) != 0 ||
	    w3s_bucket_write_commit(b, &res, &err) != 0)
		goto abort;
	return print_result(o, dropped, &res, &next, payload, sig, pub);
abort:
	w3s_bucket_write_abort(b, 0);
	return w3s_cli_fail(&err);
}

int
main(int argc, char **argv)
{
	struct w3s_bucket_opts bo = { W3S_STORE_WRITE, 0, PROG };
	struct opts o;
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_key *key = NULL;
	int status;

	w3s_cli_init(PROG);
	memset(&o, 0, sizeof(o));
	if ((status = parse_options(argc, argv, &o)) >= 0)
		return status;
	bo.wait = o.wait;
	if (w3s_key_load_private(o.admin_key, &key, &err) != 0 ||
	    w3s_store_open(o.store, 0, &store, &err) != 0 ||
	    w3s_bucket_open(store, o.bucket, &bo, &b, &err) != 0)
		status = w3s_cli_fail(&err);
	else
		status = drop(&o, b, key);
	w3s_bucket_close(b);
	w3s_store_close(store);
	w3s_key_free(key);
	return status;
}
