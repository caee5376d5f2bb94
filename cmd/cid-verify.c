/* cid-verify: compute and check the identifiers of files.
 *
 * For each file (or "-", standard input) it prints the CID of the file's
 * bytes and the file's web3-storage data root, or checks them against
 * --cid and --root. With --car it verifies CAR files instead: every
 * block against its CID, the CARv2 index, and that the roots and linked
 * blocks are present. main only parses options and picks a mode; each
 * mode is one function that calls the library and returns an exit
 * status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
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

#define PROG "cid-verify"
#ifndef W3SYNC_VERSION
#define W3SYNC_VERSION "0.1"
#endif

enum mode {
	MODE_FILES,	/* compute or check the CID and data root of files */
	MODE_CAR,	/* verify CAR files */
};

/* getopt_long codes of long options without a short form. */
enum {
	OPT_CAR = 256,
};

struct opts {
	enum mode mode;
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
    "  -h, --help            print this help and exit\n"
    "  -V, --version         print the version and exit\n"
    "\n"
    "output: cid, data root, size and name, two spaces apart, one line per "
    "file;\n"
    "with --car, lines file:, version:, roots:, blocks: and missing:\n"
    "exit status: 0 success, 1 mismatch, 2 usage error, 3 blocks missing "
    "from a\n"
    "car, 4 malformed cid, root or car, 7 unreadable file (see "
    "cid-verify(1))\n";

/* The bases --base takes (the man page and completions list the same). */
static const char *const bases[] = { "base32", "base58btc", "base36",
    "base16", "base64" };

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

/* A usage error: one line, then exit status 2. */
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

/* A library message for stderr: the strerror text that w3s_err_sys puts
 * after the last ": " is made lower case like the rest. */
static const char *
lower_reason(struct w3s_err *err)
{
	char *p = strrchr(err->msg, ':');

	if (err->code == W3S_ESYS && p != NULL && p[1] == ' ' &&
	    p[2] >= 'A' && p[2] <= 'Z' && p[3] >= 'a' && p[3] <= 'z')
		p[2] = (char)(p[2] - 'A' + 'a');
	return err->msg;
}

/* strerror, lower case as the messages are. */
static const char *
reason(int errnum)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s", strerror(errnum));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

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

/* The option getopt_long stopped at, for a message: the long form as
 * typed (without any "=value"), or the short letter. */
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* --codec and --cid-version have no short form: 'C' and 'v' are
	 * only their internal codes, so they are not in this string. */
	static const char shortopts[] = ":a:b:jc:r:hV";
	int ch;

	memset(o, 0, sizeof(*o));
	o->mode = MODE_FILES;
	o->alg = W3S_HASH_BLAKE2B_256;
	o->codec = W3S_CODEC_RAW;
	o->version = 1;
	o->base = W3S_BASE32;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if ((strcmp(optarg, "blake2b-256") != 0 &&
			    strcmp(optarg, "sha2-256") != 0) ||
			    w3s_hash_from_name(optarg, &o->alg, NULL) != 0)
				return usage_error("--hash: '%s' is not "
				    "blake2b-256 or sha2-256", optarg);
			o->alg_set = 1;
			break;
		case 'C':
			if (w3s_codec_from_name(optarg, &o->codec, NULL) != 0)
				return usage_error("--codec: '%s' is not raw, "
				    "dag-pb or dag-cbor", optarg);
			o->codec_set = 1;
			break;
		case 'v':
			if (parse_version(optarg, &o->version) != 0)
				return usage_error("--cid-version: '%s' is not "
				    "0 or 1", optarg);
			o->version_set = 1;
			break;
		case 'b':
			if (parse_base(optarg, &o->base) != 0)
				return usage_error("--base: '%s' is not base32, "
				    "base58btc, base36, base16 or base64",
				    optarg);
			o->base_set = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'c':
			o->cid_text = optarg;
			break;
		case 'r':
			o->root_text = optarg;
			break;
		case OPT_CAR:
			o->mode = MODE_CAR;
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
	return -1;
}

/* Checks that the options make sense together and parses --cid and
 * --root. Returns -1 to go on, or an exit status. */
static int
check_options(struct opts *o)
{
	struct w3s_err err = { 0 };

	if (o->mode == MODE_CAR && (o->alg_set || o->codec_set ||
	    o->version_set || o->root_text != NULL))
		return usage_error("--car checks the cids the car names; drop "
		    "--%s", o->alg_set ? "hash" : o->codec_set ? "codec" :
		    o->version_set ? "cid-version" : "root");
	if (o->cid_text != NULL && (o->alg_set || o->codec_set ||
	    o->version_set))
		return usage_error("--cid takes the hash function, codec and "
		    "version from the cid; drop --%s", o->alg_set ? "hash" :
		    o->codec_set ? "codec" : "cid-version");
	if (o->version_set && o->version == 0) {
		if (o->alg_set && o->alg != W3S_HASH_SHA2_256)
			return usage_error("--cid-version 0 needs --hash "
			    "sha2-256");
		if (o->codec_set && o->codec != W3S_CODEC_DAG_PB)
			return usage_error("--cid-version 0 needs --codec "
			    "dag-pb");
		if (o->base_set && o->base != W3S_BASE58BTC)
			return usage_error("--cid-version 0 is always "
			    "base58btc");
		o->alg = W3S_HASH_SHA2_256;
		o->codec = W3S_CODEC_DAG_PB;
	}
	if (o->nfiles == 0)
		return usage_error("no file given (use - for standard input)");

	if (o->cid_text != NULL) {
		if (w3s_cid_parse(&o->cid, o->cid_text, &err) != 0) {
			errorf("--cid '%.100s': %s", o->cid_text, err.msg);
			return w3s_err_exit_status(err.code == W3S_EUSAGE ?
			    W3S_EMALFORMED : err.code);
		}
		if (o->cid.mh.code != W3S_HASH_IDENTITY &&
		    (w3s_hash_digest_len((enum w3s_hash_alg)o->cid.mh.code) <=
		    0 || o->cid.mh.len > W3S_FILEDIGEST_MAX)) {
			errorf("--cid '%.100s': hash function 0x%llx is not "
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
		errorf("--root: %s", err.msg);
		return 4;
	}
	return -1;
}

/* Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 when s does
 * not start one (overlong forms, surrogates and values past U+10FFFF are
 * not valid). */
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

/* JSON string of arbitrary bytes: valid UTF-8 is kept, control characters
 * are escaped, and each byte that is not part of valid UTF-8 becomes
 * U+FFFD. */
static void
json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	fputc('"', f);
	while (*s != '\0') {
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20) {
				fprintf(f, "\\u%04x", *s);
				break;
			}
			if ((n = utf8_seq(s)) == 0) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', f);
}

/* A file name in a text line, escaped as GNU sha256sum does: when it holds
 * a backslash, newline or carriage return the line starts with '\\' and
 * those are written as \\, \n and \r. */
static int
name_needs_escape(const char *name)
{
	return strpbrk(name, "\\\n\r") != NULL;
}

static void
text_name(FILE *f, const char *name)
{
	for (; *name != '\0'; name++) {
		if (*name == '\\')
			fputs("\\\\", f);
		else if (*name == '\n')
			fputs("\\n", f);
		else if (*name == '\r')
			fputs("\\r", f);
		else
			fputc(*name, f);
	}
}

static void
print_result(const struct opts *o, const char *name,
    const struct w3s_filedigest *fdg, const char *cid_text, int match)
{
	char root[W3S_HEX32_LEN];

	w3s_hex32_format(root, fdg->data_root);
	if (o->json) {
		fputs("{\"file\":", stdout);
		json_string(stdout, name);
		printf(",\"size\":%llu,\"chunks\":%llu,\"cid\":",
		    (unsigned long long)fdg->size,
		    (unsigned long long)fdg->chunks);
		if (cid_text != NULL)
			json_string(stdout, cid_text);
		else
			fputs("null", stdout);
		printf(",\"data_root\":\"%s\"", root);
		if (o->cid_text != NULL || o->root_text != NULL)
			printf(",\"match\":%s", match ? "true" : "false");
		fputs("}\n", stdout);
		return;
	}
	if (name_needs_escape(name))
		fputc('\\', stdout);
	printf("%s  %s  %llu  ", cid_text != NULL ? cid_text : "-", root,
	    (unsigned long long)fdg->size);
	text_name(stdout, name);
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
		errorf("%s: cannot open: %s", name, reason(errno));
		return 7;
	}
	rc = w3s_filedigest_fd(fd, o->alg, &fdg, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc != 0) {
		errorf("%s: %s", name, lower_reason(&err));
		return w3s_err_exit_status(rc);
	}
	if (!fdg.digest_overflow) {
		w3s_cid_from_digest(&cid, o->version, o->codec, o->alg,
		    fdg.digest, fdg.digest_len);
		if ((rc = w3s_cid_format(&cid, o->base, &cid_text, &err)) != 0) {
			errorf("%s: %s", name, err.msg);
			return w3s_err_exit_status(rc);
		}
	}

	if (o->cid_text != NULL &&
	    (cid_text == NULL || !w3s_cid_equal(&o->cid, &cid))) {
		if (cid_text != NULL)
			errorf("%s: cid mismatch: expected %s, got %s", name,
			    o->cid_text, cid_text);
		else
			errorf("%s: cid mismatch: expected %s, got %llu bytes, "
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
		errorf("%s: data root mismatch: expected %s, got %s", name,
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
				json_string(stdout, s);
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
		json_string(stdout, name);
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
	text_name(stdout, name);
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
		errorf("%s: root mismatch: %s is not among the %zu roots",
		    name, o->cid_text, sum->root_count);
		return 0;
	}
	got = format_cid(o, &sum->roots[0]);
	errorf("%s: root mismatch: expected %s, got %s", name, o->cid_text,
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
		errorf("%s: cannot open: %s", name, reason(errno));
		return 7;
	}
	if ((car = w3s_car_new(&err)) == NULL)
		rc = err.code;
	else
		rc = w3s_car_read_fd(car, fd, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc != 0 && rc != W3S_EINCOMPLETE) {
		errorf("%s: %s", name, lower_reason(&err));
		w3s_car_free(car);
		return w3s_err_exit_status(rc);
	}
	status = w3s_err_exit_status(rc);
	if (rc != 0)
		errorf("%s: %s", name, err.msg);
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
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errorf("standard output: write failed: %s", reason(errno));
		status = 7;
	}
	return status;
}
