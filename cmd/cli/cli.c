/* cli: the parts every program in cmd/ shares (see cli.h). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/hex.h>
#include <w3s/store.h>

#include "cli.h"

static const char *prog_name = "w3sync";

void
w3s_cli_init(const char *prog)
{
	prog_name = prog;
}

const char *
w3s_cli_prog(void)
{
	return prog_name;
}

static void
vmessage(const char *kind, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s: ", prog_name, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
w3s_cli_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error", fmt, ap);
	va_end(ap);
}

void
w3s_cli_warnf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning", fmt, ap);
	va_end(ap);
}

int
w3s_cli_usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w3s_cli_errorf("usage: %s (see %s --help)", msg, prog_name);
	return 2;
}

int
w3s_cli_fail(const struct w3s_err *err)
{
	w3s_cli_errorf("%s", err->msg);
	return w3s_err_exit_status(err->code);
}

const char *
w3s_cli_reason(int errnum)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s", strerror(errnum));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

int
w3s_cli_parse_u64(const char *s, uint64_t max, uint64_t *v)
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

/* The option as the user wrote it: "--name" without any "=value", or the
 * short letter. */
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

int
w3s_cli_bad_option(char **argv, int ch)
{
	extern int optind, optopt;
	const char *arg = argv[optind - 1];

	if (ch == ':')
		return w3s_cli_usage_error("option %s needs a value",
		    option_name(arg, optopt));
	if (optopt != 0 && strncmp(arg, "--", 2) == 0 &&
	    strchr(arg, '=') != NULL)
		return w3s_cli_usage_error("option %s takes no value",
		    option_name(arg, optopt));
	return w3s_cli_usage_error("unknown or ambiguous option %s",
	    option_name(arg, optopt));
}

int
w3s_cli_opt_common(int ch, char **argv, const char *usage, const char *help,
    int *json, enum w3s_cli_progress_mode *progress)
{
	switch (ch) {
	case 'j':
		*json = 1;
		return -1;
	case 'p':
	case 'q':
		if (progress == NULL)
			break;
		*progress = ch == 'p' ? W3S_CLI_PROGRESS_ON :
		    W3S_CLI_PROGRESS_OFF;
		return -1;
	case 'h':
		return w3s_cli_help(usage, help);
	case 'V':
		return w3s_cli_version();
	}
	return w3s_cli_bad_option(argv, ch);
}

int
w3s_cli_opt_bucket(const char *arg, uint64_t *bucket)
{
	if (w3s_cli_parse_u64(arg, UINT64_MAX, bucket) != 0)
		return w3s_cli_usage_error("--bucket: '%s' is not a decimal"
		    " bucket id", arg);
	return 0;
}

int
w3s_cli_opt_wait(const char *arg, unsigned *wait)
{
	uint64_t v;

	if (w3s_cli_parse_u64(arg, 0xffffffffu, &v) != 0)
		return w3s_cli_usage_error("--wait: '%s' is not a number of"
		    " seconds", arg);
	*wait = (unsigned)v;
	return 0;
}

int
w3s_cli_opt_root(const char *opt, const char *arg, uint8_t root[32])
{
	if (w3s_hex32_parse(root, arg, NULL) != 0)
		return w3s_cli_usage_error("%s: '%s' is not 0x and 64 hex"
		    " digits", opt, arg);
	return 0;
}

int
w3s_cli_help(const char *usage, const char *help)
{
	fputs(usage, stdout);
	fputs(help, stdout);
	return fflush(stdout) == 0 ? 0 : 7;
}

int
w3s_cli_version(void)
{
	printf("%s (w3sync) %s\n", prog_name, W3SYNC_VERSION);
	return fflush(stdout) == 0 ? 0 : 7;
}

const char *
w3s_cli_store(const char *opt)
{
	if (opt != NULL && *opt != '\0')
		return opt;
	opt = getenv(W3S_STORE_ENV);
	return opt != NULL && *opt != '\0' ? opt : NULL;
}

/* The length of the valid UTF-8 sequence at s (shortest form, no
 * surrogates, at most U+10FFFF), or 0 when there is none. */
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

void
w3s_cli_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s != '\0') {
		size_t n;

		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if (*s == '\r') {
			fputs("\\r", f);
			s++;
		} else if (*s == '\t') {
			fputs("\\t", f);
			s++;
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

int
w3s_cli_name_needs_escape(const char *name)
{
	return strpbrk(name, "\\\n\r") != NULL;
}

void
w3s_cli_text_name(FILE *f, const char *name)
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

void
w3s_cli_hex0x(char *out, const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	*out++ = '0';
	*out++ = 'x';
	for (size_t i = 0; i < len; i++) {
		*out++ = digits[data[i] >> 4];
		*out++ = digits[data[i] & 15];
	}
	*out = '\0';
}

int
w3s_cli_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
w3s_cli_list_dir(int dfd, char ***names, size_t *count)
{
	size_t n = 0, cap = 0;
	char **v = NULL;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if ((fd = dup(dfd)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = -1;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (w3s_array_grow(&v, &cap, n, sizeof(*v)) != 0 ||
		    (v[n] = strdup(de->d_name)) == NULL) {
			errno = ENOMEM;
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc != 0) {
		int saved = errno;

		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		errno = saved;
		return -1;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	*count = n;
	return 0;
}

void
w3s_cli_names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int
w3s_cli_flush_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		w3s_cli_errorf("standard output: write failed: %s",
		    w3s_cli_reason(errno));
		return 7;
	}
	return 0;
}
