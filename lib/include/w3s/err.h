/* Errors: every library call returns 0 or a negative W3S_E* code and fills
 * a caller's struct w3s_err with one line that cmd/ prints. */
#ifndef W3S_ERR_H
#define W3S_ERR_H

#include <stddef.h>

/* The codes mirror the exit codes of DESIGN.md section 8, negated. */
enum {
	W3S_OK = 0,
	W3S_EVERIFY = -1,	/* data, proof or signature does not match */
	W3S_EUSAGE = -2,	/* the caller asked for something impossible */
	W3S_EINCOMPLETE = -3,	/* input ended early or data is missing */
	W3S_EMALFORMED = -4,	/* malformed or unsupported input */
	W3S_ENOTAPPLY = -5,	/* other bucket, diverged history, already past */
	W3S_EBUSY = -6,		/* another writer holds the bucket */
	W3S_ESYS = -7,		/* I/O, disk full, permissions, memory */
};

#define W3S_ERR_MSG_MAX 512

struct w3s_err {
	int code;
	char msg[W3S_ERR_MSG_MAX];
};

/* Records code and a printf-style message; returns code so a caller can
 * write `return w3s_err_set(err, W3S_EMALFORMED, "...")`. err may be NULL. */
int w3s_err_set(struct w3s_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like w3s_err_set, with ": strerror(errnum)" appended and code W3S_ESYS. */
int w3s_err_sys(struct w3s_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with "what: " and returns err->code.
 * Unlike w3s_err_set, it needs the code recorded in err: with err NULL it
 * can only return W3S_ESYS, so callers that may get a NULL err keep the
 * code themselves. */
int w3s_err_wrap(struct w3s_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Maps a W3S_E* code (or 0) to the process exit status. */
int w3s_err_exit_status(int code);

#endif
