/* migrate-provider: hand a bucket from one provider to another. The old
 * provider signs an offer (offer), the new one verifies its copy of the
 * bucket completely and signs an acceptance and the CommitmentPayload v1
 * for the chain (accept), anyone checks the pair (verify), and the old
 * store marks the bucket handed over (release). The records and checks
 * are lib/migrate.c; this file parses options and prints. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <w3s/cid.h>
#include <w3s/err.h>
#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/migrate.h>
#include <w3s/multibase.h>
#include <w3s/store.h>

#include "cli/cli.h"
#include "cli/progress.h"

#define PROG "migrate-provider"

enum cmd { CMD_OFFER, CMD_ACCEPT, CMD_VERIFY, CMD_RELEASE, CMD_COUNT };

static const char *const cmd_names[CMD_COUNT] = { "offer", "accept",
	"verify", "release" };

/* Options (bits in the order of longopts below), and the subcommands
 * each belongs to. */
enum {
	O_STORE = 1 << 0, O_BUCKET = 1 << 1, O_TO = 1 << 2, O_KEY = 1 << 3,
	O_EXPIRES = 1 << 4, O_OUTPUT = 1 << 5, O_OFFER = 1 << 6,
	O_ACCEPTANCE = 1 << 7, O_TRUST_ROOT = 1 << 8, O_WAIT = 1 << 9,
	O_JSON = 1 << 10, O_PROGRESS = 1 << 11, O_QUIET = 1 << 12,
};
static const int cmd_opts[CMD_COUNT] = {
	[CMD_OFFER] = O_STORE | O_BUCKET | O_TO | O_KEY | O_EXPIRES |
	    O_OUTPUT | O_JSON,
	[CMD_ACCEPT] = O_STORE | O_OFFER | O_KEY | O_TRUST_ROOT | O_OUTPUT |
	    O_JSON | O_PROGRESS | O_QUIET,
	[CMD_VERIFY] = O_OFFER | O_ACCEPTANCE | O_TRUST_ROOT | O_JSON,
	[CMD_RELEASE] = O_STORE | O_ACCEPTANCE | O_KEY | O_WAIT | O_JSON,
};

#define DEFAULT_EXPIRES "24h"

struct opts {
	enum cmd cmd;
	int seen;
	const char *store;
	uint64_t bucket;
	const char *to;
	const char *key;
	const char *expires;
	const char *output;
	const char *offer;
	const char *acceptance;
	int has_trust_root;
	uint8_t trust_root[W3S_H256];
	unsigned wait;
	int json;
	enum w3s_cli_progress_mode progress;
};

static const char usage_text[] =
    "usage: migrate-provider offer --store dir --bucket id --to pubkey --key pem\n"
    "                        [--expires duration] [--output file] [--json]\n"
    "       migrate-provider accept --store dir --offer file --key pem\n"
    "                        [--trust-root root] [--output file]\n"
    "                        [--progress | --quiet] [--json]\n"
    "       migrate-provider verify --offer file --acceptance file\n"
    "                        [--trust-root root] [--json]\n"
    "       migrate-provider release --store dir --acceptance file --key pem\n"
    "                        [--wait seconds] [--json]\n"
    "       migrate-provider --help | --version\n";

static const char help_text[] =
    "\n"
    "offer: the old provider signs an offer of the bucket to the key pubkey.\n"
    "accept: the new provider checks the offer, verifies the bucket in its\n"
    "store completely, and signs an acceptance and the commitment payload.\n"
    "verify: anyone checks an offer and its acceptance.\n"
    "release: the old store marks the bucket handed over (segment-add then\n"
    "refuses it without --force).\n"
    "\n"
    "options:\n"
    "  -s, --store dir          the store (default: $W3SYNC_STORE)\n"
    "  -b, --bucket id          the bucket to offer, a decimal number\n"
    "  -t, --to pubkey          the new provider's public key: a PEM file or\n"
    "                           0x and 64 hex digits\n"
    "  -k, --key pem            Ed25519 private key that signs\n"
    "                           (default: $W3SYNC_KEY)\n"
    "  -e, --expires duration   the offer's lifetime: 30m, 24h, 7d (default\n"
    "                           " DEFAULT_EXPIRES ")\n"
    "  -o, --output file        write the record to file (atomically, never\n"
    "                           over an existing file)\n"
    "  -O, --offer file         the offer record\n"
    "  -a, --acceptance file    the acceptance record\n"
    "  -r, --trust-root root    the bucket's MMR root on chain (0x and 64 hex\n"
    "                           digits): anchors the commitment\n"
    "  -w, --wait seconds       wait that long for another writer to finish\n"
    "  -p, --progress           show accept's scrub progress on stderr\n"
    "                           (default: on a terminal)\n"
    "  -q, --quiet              no progress\n"
    "  -j, --json               one JSON object instead of lines\n"
    "  -h, --help               print this help and exit\n"
    "  -V, --version            print the version and exit\n"
    "\n"
    "output: the record's fields as \"key value\" lines, the record itself as\n"
    "hex on the last line (see migrate-provider(1))\n"
    "exit status: 0 success, 1 verification failed, 2 usage error, 3 data\n"
    "missing, 4 malformed record or store, 5 does not apply, 6 busy, 7 system\n"
    "error\n";

static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "to", required_argument, NULL, 't' },
		{ "key", required_argument, NULL, 'k' },
		{ "expires", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "offer", required_argument, NULL, 'O' },
		{ "acceptance", required_argument, NULL, 'a' },
		{ "trust-root", required_argument, NULL, 'r' },
		{ "wait", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct w3s_err err = { 0 };
	uint64_t v;
	const char *first = argc > 1 ? argv[1] : NULL;
	int ch, opt, cmd = -1;

	if (first != NULL)
		for (int i = 0; i < CMD_COUNT; i++)
			if (strcmp(first, cmd_names[i]) == 0)
				cmd = i;
	opterr = 0;
	optind = cmd >= 0 ? 2 : 1;
	while ((ch = getopt_long(argc, argv, ":s:b:t:k:e:o:O:a:r:w:jpqhV",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->store = optarg;
			opt = O_STORE;
			break;
		case 'b':
			if (w3s_cli_opt_bucket(optarg, &o->bucket) != 0)
				return 2;
			opt = O_BUCKET;
			break;
		case 't':
			o->to = optarg;
			opt = O_TO;
			break;
		case 'k':
			o->key = optarg;
			opt = O_KEY;
			break;
		case 'e':
			if (w3s_migrate_parse_duration(optarg, &v, &err) != 0)
				return w3s_cli_usage_error("--expires: %s",
				    err.msg);
			o->expires = optarg;
			opt = O_EXPIRES;
			break;
		case 'o':
			o->output = optarg;
			opt = O_OUTPUT;
			break;
		case 'O':
			o->offer = optarg;
			opt = O_OFFER;
			break;
		case 'a':
			o->acceptance = optarg;
			opt = O_ACCEPTANCE;
			break;
		case 'r':
			if (w3s_cli_opt_root("--trust-root", optarg,
			    o->trust_root) != 0)
				return 2;
			o->has_trust_root = 1;
			opt = O_TRUST_ROOT;
			break;
		case 'w':
			if (w3s_cli_opt_wait(optarg, &o->wait) != 0)
				return 2;
			opt = O_WAIT;
			break;
		case 'j':
			o->json = 1;
			opt = O_JSON;
			break;
		case 'p':
			o->progress = W3S_CLI_PROGRESS_ON;
			opt = O_PROGRESS;
			break;
		case 'q':
			o->progress = W3S_CLI_PROGRESS_OFF;
			opt = O_QUIET;
			break;
		case 'h':
			return w3s_cli_help(usage_text, help_text);
		case 'V':
			return w3s_cli_version();
		default:
			return w3s_cli_bad_option(argv, ch);
		}
		o->seen |= opt;
	}
	if (cmd < 0) {
		if (first != NULL && first[0] != '-')
			return w3s_cli_usage_error("unknown subcommand '%s'"
			    " (offer, accept, verify or release)", first);
		return w3s_cli_usage_error("no subcommand: give offer,"
		    " accept, verify or release");
	}
	o->cmd = (enum cmd)cmd;
	if (optind < argc)
		return w3s_cli_usage_error("unexpected operand '%s'",
		    argv[optind]);
	if (o->seen & ~cmd_opts[cmd]) {
		for (size_t i = 0; longopts[i].name != NULL; i++)
			if ((o->seen & ~cmd_opts[cmd]) & (1 << i))
				return w3s_cli_usage_error("%s takes no --%s",
				    cmd_names[cmd], longopts[i].name);
	}
	if (cmd_opts[cmd] & O_STORE &&
	    (o->store = w3s_cli_store(o->store)) == NULL)
		return w3s_cli_usage_error("no store: give --store or set "
		    W3S_STORE_ENV);
	if (cmd_opts[cmd] & O_KEY) {
		if (o->key == NULL || *o->key == '\0')
			o->key = getenv("W3SYNC_KEY");
		if (o->key == NULL || *o->key == '\0')
			return w3s_cli_usage_error("no signing key: give --key"
			    " or set W3SYNC_KEY");
	}
	if (cmd == CMD_OFFER && !(o->seen & O_BUCKET))
		return w3s_cli_usage_error("no bucket: give --bucket");
	if (cmd == CMD_OFFER && o->to == NULL)
		return w3s_cli_usage_error("no recipient: give --to");
	if (cmd_opts[cmd] & O_OFFER && o->offer == NULL)
		return w3s_cli_usage_error("no offer: give --offer");
	if (cmd_opts[cmd] & O_ACCEPTANCE && o->acceptance == NULL)
		return w3s_cli_usage_error("no acceptance: give --acceptance");
	return -1;
}

/* ---- output ---------------------------------------------------------- */

/* "key value" lines (keys after prefix), or the members of a JSON object. */
struct view {
	int json;
	int n;			/* members written in the current object */
	const char *prefix;
};

static void
view_key(struct view *v, const char *key)
{
	if (v->json)
		printf("%s\"%s\":", v->n++ ? "," : "", key);
	else
		printf("%s%s ", v->prefix, key);
}

static void
view_u64(struct view *v, const char *key, uint64_t n)
{
	view_key(v, key);
	printf(v->json ? "%llu" : "%llu\n", (unsigned long long)n);
}

static void
view_str(struct view *v, const char *key, const char *s)
{
	view_key(v, key);
	if (v->json)
		w3s_cli_json_string(stdout, s);
	else
		printf("%s\n", s);
}

static void
view_hex(struct view *v, const char *key, const uint8_t *data, size_t len)
{
	char *hex = malloc(2 * len + 3);

	if (hex == NULL) {
		view_str(v, key, "(out of memory)");
		return;
	}
	w3s_cli_hex0x(hex, data, len);
	view_str(v, key, hex);
	free(hex);
}

static void
view_bool(struct view *v, const char *key, int yes)
{
	view_key(v, key);
	if (v->json)
		fputs(yes ? "true" : "false", stdout);
	else
		printf("%s\n", yes ? "yes" : "no");
}

/* Opens a nested object (JSON) or a key prefix (lines). */
static void
view_open(struct view *v, const char *key, const char *prefix)
{
	if (v->json) {
		view_key(v, key);
		putchar('{');
		v->n = 0;
	} else {
		v->prefix = prefix;
	}
}

static void
view_close(struct view *v)
{
	if (v->json) {
		putchar('}');
		v->n = 1;
	}
	v->prefix = "";
}

static void
view_commitment(struct view *v, const struct w3s_commitment *c,
    const struct w3s_migrate_counts *n)
{
	view_hex(v, "mmr_root", c->mmr_root, W3S_H256);
	view_u64(v, "start_seq", c->start_seq);
	view_u64(v, "leaf_count", c->leaf_count);
	view_u64(v, "segments", n->segments);
	view_u64(v, "chunks", n->chunks);
	view_u64(v, "bytes", n->bytes);
}

static void
view_offer(struct view *v, const struct w3s_migrate_offer *o,
    const uint8_t digest[W3S_HASH_LEN])
{
	view_str(v, "type", W3S_MIGRATE_OFFER_TYPE);
	view_u64(v, "bucket", o->bucket);
	view_commitment(v, &o->commitment, &o->counts);
	view_hex(v, "from", o->from, W3S_PUBKEY_LEN);
	view_hex(v, "to", o->to, W3S_PUBKEY_LEN);
	view_u64(v, "created", o->created);
	view_u64(v, "expires", o->expires);
	view_hex(v, "signature", o->signature, W3S_SIGNATURE_LEN);
	view_hex(v, "digest", digest, W3S_HASH_LEN);
}

static void
view_acceptance(struct view *v, const struct w3s_migrate_acceptance *a,
    const uint8_t digest[W3S_HASH_LEN])
{
	view_str(v, "type", W3S_MIGRATE_ACCEPTANCE_TYPE);
	view_u64(v, "bucket", a->bucket);
	view_hex(v, "offer", a->offer, W3S_HASH_LEN);
	view_hex(v, "from", a->from, W3S_PUBKEY_LEN);
	view_hex(v, "to", a->to, W3S_PUBKEY_LEN);
	view_commitment(v, &a->commitment, &a->counts);
	view_u64(v, "created", a->created);
	view_hex(v, "payload", a->payload, W3S_PAYLOAD_V1_LEN);
	view_hex(v, "payload_signature", a->payload_signature,
	    W3S_SIGNATURE_LEN);
	if (a->has_from_signature)
		view_hex(v, "from_signature", a->from_signature,
		    W3S_SIGNATURE_LEN);
	view_hex(v, "signature", a->signature, W3S_SIGNATURE_LEN);
	view_hex(v, "digest", digest, W3S_HASH_LEN);
}

static void
view_begin(struct view *v, const struct opts *o)
{
	v->json = o->json;
	v->n = 0;
	v->prefix = "";
	if (v->json)
		putchar('{');
}

static int
view_end(struct view *v)
{
	if (v->json)
		fputs("}\n", stdout);
	return w3s_cli_flush_stdout();
}

/* ---- records on disk ------------------------------------------------- */

static int
read_record(const char *path, struct w3s_buf *buf, uint8_t digest[W3S_HASH_LEN],
    struct w3s_err *err)
{
	int rc = w3s_migrate_read_file(path, buf, err);

	if (rc == 0)
		w3s_hash_blake2b(digest, buf->data, buf->len);
	return rc;
}

static int
read_offer(const char *path, struct w3s_buf *buf,
    struct w3s_migrate_offer *offer, uint8_t digest[W3S_HASH_LEN],
    struct w3s_err *err)
{
	int rc = read_record(path, buf, digest, err);

	if (rc == 0 && (rc = w3s_migrate_offer_decode(buf->data, buf->len,
	    offer, err)) != 0)
		w3s_err_wrap(err, "%s", path);
	return rc;
}

static int
read_acceptance(const char *path, struct w3s_buf *buf,
    struct w3s_migrate_acceptance *a, uint8_t digest[W3S_HASH_LEN],
    struct w3s_err *err)
{
	int rc = read_record(path, buf, digest, err);

	if (rc == 0 && (rc = w3s_migrate_acceptance_decode(buf->data,
	    buf->len, a, err)) != 0)
		w3s_err_wrap(err, "%s", path);
	return rc;
}

/* Writes the record to --output, if given, before anything is printed. */
static int
write_record(const struct opts *o, const struct w3s_buf *rec)
{
	struct w3s_err err = { 0 };

	if (o->output != NULL && w3s_migrate_write_file(o->output, rec->data,
	    rec->len, &err) != 0)
		return w3s_cli_fail(&err);
	return 0;
}

static int
output_exists(const struct opts *o)
{
	if (o->output != NULL && access(o->output, F_OK) == 0) {
		w3s_cli_errorf("%s exists: not overwritten", o->output);
		return 5;
	}
	return 0;
}

static int
open_bucket(const struct opts *o, uint64_t id, int flags,
    struct w3s_store **store, struct w3s_bucket **b, struct w3s_err *err)
{
	struct w3s_bucket_opts bo = { flags, o->wait, PROG };
	int rc;

	if ((rc = w3s_store_open(o->store, 0, store, err)) != 0)
		return rc;
	return w3s_bucket_open(*store, id, &bo, b, err);
}

/* ---- subcommands ----------------------------------------------------- */

static int
cmd_offer(const struct opts *o, struct w3s_key *key)
{
	struct w3s_migrate_offer offer;
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_key *to = NULL;
	struct w3s_buf rec;
	uint8_t pub[W3S_PUBKEY_LEN], digest[W3S_HASH_LEN];
	uint64_t ttl = 0;
	struct view v;
	int status;

	w3s_buf_init(&rec);
	w3s_migrate_parse_duration(o->expires ? o->expires : DEFAULT_EXPIRES,
	    &ttl, &err);
	if ((status = output_exists(o)) != 0)
		goto out;
	if (w3s_key_load_public(o->to, &to, &err) != 0 ||
	    open_bucket(o, o->bucket, 0, &store, &b, &err) != 0)
		goto fail;
	w3s_key_public(to, pub);
	if (w3s_migrate_offer_make(b, key, pub, (uint64_t)time(NULL), ttl,
	    &offer, &err) != 0 ||
	    w3s_migrate_offer_encode(&offer, &rec, &err) != 0)
		goto fail;
	if ((status = write_record(o, &rec)) != 0)
		goto out;
	w3s_hash_blake2b(digest, rec.data, rec.len);
	view_begin(&v, o);
	view_offer(&v, &offer, digest);
	view_hex(&v, "record", rec.data, rec.len);
	status = view_end(&v);
	goto out;
fail:
	status = w3s_cli_fail(&err);
out:
	w3s_bucket_close(b);
	w3s_store_close(store);
	w3s_key_free(to);
	w3s_buf_release(&rec);
	return status;
}

/* Missing chunks, gathered while the store is read and printed at the
 * end: "missing SEQ INDEX CID" lines, or JSON array members. */
struct missing_out {
	const struct opts *o;
	FILE *f;
	uint64_t n;
};

static void
note_missing(void *ctx, uint64_t seq, uint64_t index,
    const uint8_t hash[W3S_H256])
{
	struct missing_out *m = ctx;
	struct w3s_err err = { 0 };
	struct w3s_cid cid;
	char *text = NULL;

	w3s_cid_from_digest(&cid, 1, W3S_CODEC_RAW, W3S_HASH_BLAKE2B_256,
	    hash, W3S_H256);
	if (m->f == NULL || w3s_cid_format(&cid, W3S_BASE32, &text,
	    &err) != 0)
		return;
	if (m->o->json)
		fprintf(m->f, "%s{\"seq\":%llu,\"index\":%llu,\"chunk\":"
		    "\"%s\"}", m->n ? "," : "", (unsigned long long)seq,
		    (unsigned long long)index, text);
	else
		fprintf(m->f, "missing %llu %llu %s\n",
		    (unsigned long long)seq, (unsigned long long)index, text);
	m->n++;
	free(text);
}

/* Exit 3: what is missing on stdout, the error on stderr. */
static int
print_missing(const struct opts *o, struct missing_out *m, char *list,
    size_t len)
{
	if (o->json)
		printf("{\"incomplete\":true,\"missing\":[%.*s]}\n",
		    (int)len, list ? list : "");
	else if (list != NULL)
		fwrite(list, 1, len, stdout);
	return w3s_cli_flush_stdout();
}

static int
cmd_accept(const struct opts *o, struct w3s_key *key)
{
	struct w3s_migrate_offer offer;
	struct w3s_migrate_acceptance a;
	struct missing_out m = { o, NULL, 0 };
	struct w3s_migrate_accept_hooks hooks = { note_missing, &m, NULL,
	    NULL };
	struct w3s_cli_progress *meter = NULL;
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_buf buf, rec;
	uint8_t odigest[W3S_HASH_LEN], digest[W3S_HASH_LEN];
	char *list = NULL, label[48];
	size_t list_len = 0;
	struct view v;
	int status, rc;

	w3s_buf_init(&buf);
	w3s_buf_init(&rec);
	if ((status = output_exists(o)) != 0)
		goto out;
	if (read_offer(o->offer, &buf, &offer, odigest, &err) != 0 ||
	    w3s_store_open(o->store, 0, &store, &err) != 0)
		goto fail;
	if ((rc = w3s_bucket_open(store, offer.bucket, NULL, &b, &err)) != 0) {
		/* The store is there, the bucket is not: nothing arrived. */
		if (rc == W3S_EUSAGE)
			w3s_err_set(&err, W3S_EINCOMPLETE, "bucket %llu is not"
			    " in store %s: none of it has arrived",
			    (unsigned long long)offer.bucket, o->store);
		goto fail;
	}
	m.f = open_memstream(&list, &list_len);
	snprintf(label, sizeof(label), "bucket %llu",
	    (unsigned long long)offer.bucket);
	if ((meter = w3s_cli_progress_new(o->progress, label)) != NULL) {
		hooks.progress = w3s_cli_progress_cb;
		hooks.progress_ctx = meter;
	}
	rc = w3s_migrate_accept_hooked(b, &offer, odigest, key,
	    o->has_trust_root ? o->trust_root : NULL, (uint64_t)time(NULL),
	    &hooks, &a, &err);
	/* A final line only on success: an incomplete or failed accept may
	 * have stopped before the scrub. */
	if (rc == 0)
		w3s_cli_progress_end(meter);
	else
		w3s_cli_progress_free(meter);
	if (m.f != NULL)
		fclose(m.f);
	if (rc == W3S_EINCOMPLETE && print_missing(o, &m, list,
	    list_len) != 0) {
		status = 7;
		goto out;
	}
	if (rc != 0 || w3s_migrate_acceptance_encode(&a, &rec, &err) != 0)
		goto fail;
	if ((status = write_record(o, &rec)) != 0)
		goto out;
	w3s_hash_blake2b(digest, rec.data, rec.len);
	view_begin(&v, o);
	view_acceptance(&v, &a, digest);
	view_hex(&v, "record", rec.data, rec.len);
	status = view_end(&v);
	goto out;
fail:
	if (err.code == W3S_EINCOMPLETE && m.f == NULL && o->json)
		print_missing(o, &m, NULL, 0);
	status = w3s_cli_fail(&err);
out:
	free(list);
	w3s_bucket_close(b);
	w3s_store_close(store);
	w3s_buf_release(&buf);
	w3s_buf_release(&rec);
	return status;
}

static int
cmd_verify(const struct opts *o)
{
	struct w3s_migrate_offer offer;
	struct w3s_migrate_acceptance a;
	struct w3s_err err = { 0 };
	struct w3s_buf ob, ab;
	uint8_t odigest[W3S_HASH_LEN], adigest[W3S_HASH_LEN];
	struct view v;
	int status, anchored;

	w3s_buf_init(&ob);
	w3s_buf_init(&ab);
	if (read_offer(o->offer, &ob, &offer, odigest, &err) != 0 ||
	    read_acceptance(o->acceptance, &ab, &a, adigest, &err) != 0 ||
	    w3s_migrate_verify_pair(&offer, odigest, &a, o->has_trust_root ?
	    o->trust_root : NULL, &anchored, &err) != 0) {
		status = w3s_cli_fail(&err);
		goto out;
	}
	if (!anchored)
		w3s_cli_warnf("unanchored: the pair is consistent, but no"
		    " --trust-root ties it to the chain");
	view_begin(&v, o);
	view_open(&v, "offer", "offer.");
	view_offer(&v, &offer, odigest);
	view_close(&v);
	view_open(&v, "acceptance", "acceptance.");
	view_acceptance(&v, &a, adigest);
	view_close(&v);
	view_bool(&v, "anchored", anchored);
	view_bool(&v, "verified", 1);
	status = view_end(&v);
out:
	w3s_buf_release(&ob);
	w3s_buf_release(&ab);
	return status;
}

static int
cmd_release(const struct opts *o, struct w3s_key *key)
{
	struct w3s_migrate_acceptance a;
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_buf buf;
	uint8_t digest[W3S_HASH_LEN];
	struct view v;
	int status, already;

	w3s_buf_init(&buf);
	if (read_acceptance(o->acceptance, &buf, &a, digest, &err) != 0 ||
	    open_bucket(o, a.bucket, W3S_STORE_WRITE, &store, &b, &err) != 0 ||
	    w3s_migrate_release(b, buf.data, buf.len, key, &already,
	    &err) != 0) {
		status = w3s_cli_fail(&err);
		goto out;
	}
	view_begin(&v, o);
	view_u64(&v, "bucket", a.bucket);
	view_hex(&v, "to", a.to, W3S_PUBKEY_LEN);
	view_hex(&v, "acceptance", digest, W3S_HASH_LEN);
	view_bool(&v, "handed_over", 1);
	view_bool(&v, "already", already);
	status = view_end(&v);
out:
	w3s_bucket_close(b);
	w3s_store_close(store);
	w3s_buf_release(&buf);
	return status;
}

int
main(int argc, char **argv)
{
	struct w3s_err err = { 0 };
	struct w3s_key *key = NULL;
	struct opts o;
	int status;

	w3s_cli_init(PROG);
	memset(&o, 0, sizeof(o));
	if ((status = parse_options(argc, argv, &o)) >= 0)
		return status;
	if (cmd_opts[o.cmd] & O_KEY &&
	    w3s_key_load_private(o.key, &key, &err) != 0)
		return w3s_cli_fail(&err);
	switch (o.cmd) {
	case CMD_OFFER:
		status = cmd_offer(&o, key);
		break;
	case CMD_ACCEPT:
		status = cmd_accept(&o, key);
		break;
	case CMD_VERIFY:
		status = cmd_verify(&o);
		break;
	default:
		status = cmd_release(&o, key);
		break;
	}
	w3s_key_free(key);
	return status;
}
