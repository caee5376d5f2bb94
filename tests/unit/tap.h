/* A few TAP helpers for the unit tests: `ok`, `is_hex`, `is_int`, then
 * `return tap_done();` from main. */
#ifndef W3S_TAP_H
#define W3S_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;


static __attribute__((format(printf, 2, 3), unused)) int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

static __attribute__((unused)) void
tap_hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Compares bytes with an expected lower-case hex string. */
static __attribute__((unused)) int
is_hex(const uint8_t *got, size_t len, const char *want, const char *name)
{
	char buf[4096];
	int good;

	if (2 * len + 1 > sizeof(buf))
		return ok(0, "%s (value too long to compare)", name);
	tap_hex(buf, got, len);
	good = strcmp(buf, want) == 0;
	ok(good, "%s", name);
	if (!good)
		printf("#   got:  %s\n#   want: %s\n", buf, want);
	return good;
}

static __attribute__((unused)) int
is_int(long long got, long long want, const char *name)
{
	int good = got == want;

	ok(good, "%s", name);
	if (!good)
		printf("#   got: %lld, want: %lld\n", got, want);
	return good;
}

static __attribute__((unused)) int
is_str(const char *got, const char *want, const char *name)
{
	int good = got != NULL && strcmp(got, want) == 0;

	ok(good, "%s", name);
	if (!good)
		printf("#   got:  %s\n#   want: %s\n", got ? got : "(null)", want);
	return good;
}

static __attribute__((unused)) int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
