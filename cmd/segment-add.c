/* segment-add: the primary's write path. Each file (or "-", standard
 * input) becomes one segment of the bucket: 256 KiB chunks stored once,
 * one MMR leaf appended. Then the new commitment is committed, its
 * CommitmentPayload v1 signed and kept as a checkpoint, and the change is
 * recorded in the bucket's change log. main parses options, calls the
 * store, and maps the result to an exit status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <w3s/err.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/scale.h>
#include <w3s/store.h>

#define PROG "segment-add"
#ifndef W3SYNC_VERSION
#define W3SYNC_VERSION "0.1"
#endif

struct opts {
	const char *store;
	const char *key;
	uint64_t bucket;
	int bucket_set;
	int create;
	int json;
	unsigned wait;
	const char **names;
	int nnames;
	char **files;
	int nfiles;
};

static const char usage_text[] =
    "usage: segment-add --store dir --bucket id [--create] [--key pem]\n"
    "                   [--name name]... [--wait seconds] [--json] file ...\n"
    "       segment-add --help | --version\n";

static const char help_text[] =
    "\n"
    "Adds each file (\"-\" is standard input) as one segment of the bucket,\n"
    "then commits and signs the new commitment.\n"
    "\n"
    "options:\n"
    "  -s, --store dir       the store (default: $W3SYNC_STORE)\n"
    "  -b, --bucket id       the bucket, a decimal number\n"
    "  -c, --create          create the store and the bucket if missing\n"
    "  -k, --key pem         Ed25519 private key that signs the commitment\n"
    "                        (default: $W3SYNC_KEY; required)\n"
    "  -n, --name name       index entry for the next file's data root;\n"
    "                        once per file, in order\n"
    "  -w, --wait seconds    wait that long for another writer to finish\n"
    "  -j, --json            one JSON object instead of lines\n"
    "  -h, --help            print this help and exit\n"
    "  -V, --version         print the version and exit\n"
    "\n"
    "output: \"segment SEQ DATA_ROOT SIZE CHUNKS\" per file, then mmr_root,\n"
    "start_seq, leaf_count, payload, signature and public_key lines\n"
    "exit status: 0 success, 1 key not trusted by the bucket, 2 usage\n"
    "error, 4 unsupported store, 5 other bucket, 6 busy, 7 system error\n"
    "(see segment-add(1))\n";

static void __attribute__((format(printf, 1, 2)))
errorf(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PROG ": error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errorf("usage: %s (see " PROG " --help)", msg);
	return 2;
}

/* A library error: its message, its exit status. A strerror text that
 * w3s_err_sys put after the last ": " is made lower case like the rest. */
static int
fail(struct w3s_err *err)
{
	char *p = strrchr(err->msg, ':');

	if (err->code == W3S_ESYS && p != NULL && p[1] == ' ' &&
	    p[2] >= 'A' && p[2] <= 'Z' && p[3] >= 'a' && p[3] <= 'z')
		p[2] = (char)(p[2] - 'A' + 'a');
	errorf("%s", err->msg);
	return w3s_err_exit_status(err->code);
}

static const char *
reason(int errnum)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s", strerror(errnum));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* Checked decimal: digits only, no sign, within max. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*v = n;
	return 0;
}

static const char *
option_name(const char *arg, int letter)
{
	static char buf[64];

	if (strncmp(arg, "--", 2) == 0)
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(buf, sizeof(buf), "-%c", letter);
	return buf;
}

/* Returns -1 to go on, or an exit status. */
static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "create", no_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:b:ck:n:w:jhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			o->store = optarg;
			break;
		case 'b':
			if (parse_u64(optarg, UINT64_MAX, &o->bucket) != 0)
				return usage_error("--bucket: '%s' is not a"
				    " decimal bucket id", optarg);
			o->bucket_set = 1;
			break;
		case 'c':
			o->create = 1;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'n':
			o->names[o->nnames++] = optarg;
			break;
		case 'w':
			if (parse_u64(optarg, 0xffffffffu, &v) != 0)
				return usage_error("--wait: '%s' is not a"
				    " number of seconds", optarg);
			o->wait = (unsigned)v;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			return fflush(stdout) == 0 ? 0 : 7;
		case 'V':
			printf(PROG " (w3sync) %s\n", W3SYNC_VERSION);
			return fflush(stdout) == 0 ? 0 : 7;
		case ':':
			return usage_error("option %s needs a value",
			    option_name(argv[optind - 1], optopt));
		default:
			if (optopt != 0 && strncmp(argv[optind - 1], "--",
			    2) == 0 && strchr(argv[optind - 1], '=') != NULL)
				return usage_error("option %s takes no value",
				    option_name(argv[optind - 1], optopt));
			return usage_error("unknown or ambiguous option %s",
			    option_name(argv[optind - 1], optopt));
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if (o->store == NULL || *o->store == '\0')
		o->store = getenv(W3S_STORE_ENV);
	if (o->key == NULL || *o->key == '\0')
		o->key = getenv("W3SYNC_KEY");
	if (o->store == NULL || *o->store == '\0')
		return usage_error("no store: give --store or set "
		    W3S_STORE_ENV);
	if (!o->bucket_set)
		return usage_error("no bucket: give --bucket");
	if (o->key == NULL || *o->key == '\0')
		return usage_error("no signing key: give --key or set"
		    " W3SYNC_KEY");
	if (o->nfiles == 0)
		return usage_error("no file given (use - for standard input)");
	if (o->nnames > o->nfiles)
		return usage_error("%d names for %d files", o->nnames,
		    o->nfiles);
	for (int i = 0, stdin_seen = 0; i < o->nfiles; i++)
		if (strcmp(o->files[i], "-") == 0 && stdin_seen++)
			return usage_error("standard input (-) given twice");
	return -1;
}

/* Every input is opened before the store is touched, so an unreadable
 * file fails with the bucket untouched. */
static int
check_inputs(const struct opts *o)
{
	for (int i = 0; i < o->nfiles; i++) {
		struct stat st;
		int fd;

		if (strcmp(o->files[i], "-") == 0)
			continue;
		fd = open(o->files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			errorf("cannot open %s: %s", o->files[i],
			    reason(errno));
			return 7;
		}
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			errorf("cannot read %s: %s", o->files[i],
			    reason(EISDIR));
			return 7;
		}
		close(fd);
	}
	return -1;
}

static size_t
utf8_seq(const unsigned char *s)
{
	unsigned c = s[0], min, cp;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Names hold no control characters (the store refuses them); quotes and
 * backslashes are escaped, bytes that are not UTF-8 become U+FFFD. */
static void
json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	fputc('"', f);
	while (*s != '\0') {
		if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s < 0x20) {
			fprintf(f, "\\u%04x", *s++);
		} else if ((n = utf8_seq(s)) == 0) {
			fputs("\\ufffd", f);
			s++;
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

static void
hex0x(char *out, const uint8_t *data, size_t len)
{
	out[0] = '0';
	out[1] = 'x';
	w3s_hex_encode(out + 2, data, len);
}

static int
print_result(const struct opts *o, const struct w3s_segment *segs,
    const struct w3s_commitment *c, const uint8_t *payload,
    const uint8_t *sig, const uint8_t *pub)
{
	char root[W3S_HEX32_LEN], hp[2 + 2 * W3S_PAYLOAD_V1_LEN + 1];
	char hs[2 + 2 * W3S_SIGNATURE_LEN + 1], hk[W3S_HEX32_LEN];

	hex0x(hp, payload, W3S_PAYLOAD_V1_LEN);
	hex0x(hs, sig, W3S_SIGNATURE_LEN);
	hex0x(hk, pub, W3S_PUBKEY_LEN);
	if (o->json)
		fputs("{\"segments\":[", stdout);
	for (int i = 0; i < o->nfiles; i++) {
		w3s_hex32_format(root, segs[i].leaf.data_root);
		if (!o->json) {
			printf("segment %llu %s %llu %llu\n",
			    (unsigned long long)segs[i].seq, root,
			    (unsigned long long)segs[i].leaf.data_size,
			    (unsigned long long)segs[i].chunk_count);
			continue;
		}
		printf("%s{\"seq\":%llu,\"data_root\":\"%s\",\"size\":%llu,"
		    "\"chunks\":%llu,\"file\":", i ? "," : "",
		    (unsigned long long)segs[i].seq, root,
		    (unsigned long long)segs[i].leaf.data_size,
		    (unsigned long long)segs[i].chunk_count);
		json_string(stdout, o->files[i]);
		if (i < o->nnames) {
			fputs(",\"name\":", stdout);
			json_string(stdout, o->names[i]);
		}
		fputc('}', stdout);
	}
	w3s_hex32_format(root, c->mmr_root);
	if (o->json)
		printf("],\"mmr_root\":\"%s\",\"start_seq\":%llu,"
		    "\"leaf_count\":%llu,\"payload\":\"%s\",\"signature\":"
		    "\"%s\",\"public_key\":\"%s\"}\n", root,
		    (unsigned long long)c->start_seq,
		    (unsigned long long)c->leaf_count, hp, hs, hk);
	else
		printf("mmr_root %s\nstart_seq %llu\nleaf_count %llu\n"
		    "payload %s\nsignature %s\npublic_key %s\n", root,
		    (unsigned long long)c->start_seq,
		    (unsigned long long)c->leaf_count, hp, hs, hk);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errorf("committed, but cannot write the result: %s",
		    reason(errno));
		return 7;
	}
	return 0;
}

/* Adds the files in one write session. Returns an exit status. */
static int
add_segments(const struct opts *o, struct w3s_bucket *b, struct w3s_key *key,
    struct w3s_segment *segs)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN], sig[W3S_SIGNATURE_LEN];
	uint8_t pub[W3S_PUBKEY_LEN];
	struct w3s_commitment next;
	struct w3s_err err = { 0 };
	int rc;

	w3s_key_public(key, pub);
	if ((rc = w3s_bucket_key_allowed(b, W3S_ROLE_PRIMARY, pub, &err)) != 0 ||
	    (rc = w3s_bucket_write_begin(b, &err)) != 0)
		return fail(&err);
	for (int i = 0; i < o->nfiles; i++) {
		int is_stdin = strcmp(o->files[i], "-") == 0;
		int fd = is_stdin ? STDIN_FILENO :
		    open(o->files[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			errorf("cannot open %s: %s", o->files[i],
			    reason(errno));
			w3s_bucket_write_abort(b, 0);
			return 7;
		}
		rc = w3s_bucket_segment_add_fd(b, fd, &segs[i], &err);
		if (!is_stdin)
			close(fd);
		if (rc == 0 && i < o->nnames)
			rc = w3s_bucket_name_set(b, o->names[i],
			    segs[i].leaf.data_root, &err);
		if (rc != 0) {
			w3s_bucket_write_abort(b, 0);
			errorf("%s: %s", is_stdin ? "standard input" :
			    o->files[i], err.msg);
			return w3s_err_exit_status(rc);
		}
	}
	if ((rc = w3s_bucket_write_prepare(b, &next, &err)) != 0)
		goto abort;
	w3s_payload_v1_encode(o->bucket, &next, payload);
	if ((rc = w3s_key_sign(key, payload, sizeof(payload), sig,
	    &err)) != 0 ||
	    (rc = w3s_bucket_checkpoint_add(b, &next, pub, sig, &err)) != 0 ||
	    (rc = w3s_bucket_write_commit(b, NULL, &err)) != 0)
		goto abort;
	return print_result(o, segs, &next, payload, sig, pub);
abort:
	w3s_bucket_write_abort(b, 0);
	return fail(&err);
}

int
main(int argc, char **argv)
{
	struct w3s_bucket_opts bo = { W3S_STORE_WRITE, 0, PROG };
	struct opts o;
	struct w3s_err err = { 0 };
	struct w3s_store *store = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_segment *segs = NULL;
	struct w3s_key *key = NULL;
	int status;

	memset(&o, 0, sizeof(o));
	o.names = calloc((size_t)argc + 1, sizeof(*o.names));
	if (o.names == NULL) {
		errorf("out of memory");
		return 7;
	}
	if ((status = parse_options(argc, argv, &o)) >= 0 ||
	    (status = check_inputs(&o)) >= 0)
		goto out;
	segs = calloc((size_t)o.nfiles, sizeof(*segs));
	if (segs == NULL) {
		errorf("out of memory");
		status = 7;
		goto out;
	}
	if (w3s_key_load_private(o.key, &key, &err) != 0 ||
	    w3s_store_open(o.store, o.create ? W3S_STORE_CREATE : 0, &store,
	    &err) != 0) {
		status = fail(&err);
		goto out;
	}
	if (o.create)
		bo.flags |= W3S_STORE_CREATE;
	bo.wait = o.wait;
	if (w3s_bucket_open(store, o.bucket, &bo, &b, &err) != 0) {
		status = fail(&err);
		goto out;
	}
	status = add_segments(&o, b, key, segs);
out:
	w3s_bucket_close(b);
	w3s_store_close(store);
	w3s_key_free(key);
	free(segs);
	free(o.names);
	return status;
}
