/* cli: what every program in cmd/ does the same way. Messages in the form
 * of DESIGN.md section 8 ("PROG: error: what failed: why", one line, lower
 * case), usage errors (exit 2), library errors mapped to exit codes,
 * checked number parsing, getopt_long error reporting, and JSON strings.
 * Only cmd/ links this: the library never prints or exits. */
#ifndef W3SYNC_CLI_H
#define W3SYNC_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <w3s/err.h>

#include "progress.h"

#ifndef W3SYNC_VERSION
#define W3SYNC_VERSION "0.1"
#endif

/* The program name used in every message; set once at the top of main. */
void w3s_cli_init(const char *prog);
const char *w3s_cli_prog(void);

/* "PROG: error: ..." and "PROG: warning: ..." on stderr, after flushing
 * stdout so the two streams keep their order on a shared terminal. */
void w3s_cli_errorf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void w3s_cli_warnf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* "PROG: error: usage: ... (see PROG --help)"; returns 2. */
int w3s_cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Prints a library error and returns its exit status (DESIGN.md 8). */
int w3s_cli_fail(const struct w3s_err *err);

/* strerror(errnum) in lower case, as every message is. The text is valid
 * until the next call. */
const char *w3s_cli_reason(int errnum);

/* A decimal number with no sign, no space and nothing after it, at most
 * max. Returns 0, or -1 when s is not one. */
int w3s_cli_parse_u64(const char *s, uint64_t max, uint64_t *v);

/* getopt_long's failure for the option at argv[optind - 1] (ch is what
 * getopt_long returned: ':' for a missing value, '?' otherwise) as a usage
 * error; returns 2. The caller sets opterr = 0 and puts ':' first in its
 * short option string. */
int w3s_cli_bad_option(char **argv, int ch);

/* The options every program reads the same way, for the default case of
 * its option switch: -j/--json (into *json), -p/--progress and -q/--quiet
 * (into *progress; NULL for a program without them), -h/--help,
 * -V/--version, and getopt_long's failures. -1 when ch was recorded and
 * parsing goes on, else the exit status to return. */
int w3s_cli_opt_common(int ch, char **argv, const char *usage,
    const char *help, int *json, enum w3s_cli_progress_mode *progress);

/* Values of --bucket (a decimal id), --wait (seconds, at most 2^32 - 1)
 * and of a root option such as --trust-root (0x and 64 hex digits; opt is
 * its name for the message): 0, or the usage error printed and 2. */
int w3s_cli_opt_bucket(const char *arg, uint64_t *bucket);
int w3s_cli_opt_wait(const char *arg, unsigned *wait);
int w3s_cli_opt_root(const char *opt, const char *arg, uint8_t root[32]);

/* --help and --version: the texts on stdout; returns 0, or 7 when stdout
 * cannot be written. */
int w3s_cli_help(const char *usage, const char *help);
int w3s_cli_version(void);

/* The store directory: the option's value, else $W3SYNC_STORE, else NULL. */
const char *w3s_cli_store(const char *opt);

/* A JSON string of str: valid UTF-8 kept, '"', '\\' and control characters
 * escaped, each byte that is not part of valid UTF-8 written as U+FFFD. */
void w3s_cli_json_string(FILE *f, const char *str);

/* A file name in a text line, escaped as GNU sha256sum does: when it holds
 * a backslash, newline or carriage return (w3s_cli_name_needs_escape) the
 * line starts with '\\' and those are written as \\\\, \\n and \\r. */
int w3s_cli_name_needs_escape(const char *name);
void w3s_cli_text_name(FILE *f, const char *name);

/* Hex with a 0x prefix; out holds 2 * len + 3 bytes. */
void w3s_cli_hex0x(char *out, const uint8_t *data, size_t len);

/* The entries of the directory open at dfd (which stays open and is not
 * moved), without "." and "..", sorted by name (strcmp): 0 with *names
 * and *count set (free with w3s_cli_names_free), or -1 with errno set. */
int w3s_cli_list_dir(int dfd, char ***names, size_t *count);
void w3s_cli_names_free(char **names, size_t count);
/* Whether s ends with suffix and is longer than it. */
int w3s_cli_ends_with(const char *s, const char *suffix);

/* Flushes stdout; on failure prints why and returns 7, else 0. */
int w3s_cli_flush_stdout(void);

#endif
