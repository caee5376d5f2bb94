/* progress: a small progress meter on stderr for the programs in cmd/
 * (DESIGN.md section 8): bytes done of an exact total, the rate, and the
 * time left. By default it shows only when stderr is a terminal;
 * --progress and --quiet override. On a terminal it redraws one line
 * (carriage return) at most four times a second; elsewhere (--progress
 * into a file or pipe) it writes a full line at most every two seconds.
 * The final line is written by w3s_cli_progress_end. */
#ifndef W3SYNC_PROGRESS_H
#define W3SYNC_PROGRESS_H

#include <stdint.h>

enum w3s_cli_progress_mode {
	W3S_CLI_PROGRESS_AUTO = 0,	/* shown when stderr is a terminal */
	W3S_CLI_PROGRESS_ON,		/* --progress */
	W3S_CLI_PROGRESS_OFF,		/* --quiet */
};

struct w3s_cli_progress;

/* label starts each line (e.g. "bucket 7"; NULL: none). NULL when the
 * meter is off (or out of memory): every call below takes NULL and does
 * nothing, so callers need no checks. */
struct w3s_cli_progress *w3s_cli_progress_new(enum w3s_cli_progress_mode mode,
    const char *label);
/* Sets the exact total (bytes); 0 means unknown (no percentage or ETA). */
void w3s_cli_progress_total(struct w3s_cli_progress *p, uint64_t total);
/* done bytes of the total so far; redraws when it is time to. */
void w3s_cli_progress_update(struct w3s_cli_progress *p, uint64_t done);
/* A callback in the form the library's progress hooks take (ctx is the
 * meter): sets the total and updates. */
void w3s_cli_progress_cb(void *ctx, uint64_t done, uint64_t total);
/* Clears a half-drawn line so that a message can be written on stderr;
 * the next update draws it again. */
void w3s_cli_progress_clear(struct w3s_cli_progress *p);
/* Writes the final line (bytes, time, average rate) and ends it. */
void w3s_cli_progress_end(struct w3s_cli_progress *p);
/* Clears a half-drawn line without a final one (on an error), frees. */
void w3s_cli_progress_free(struct w3s_cli_progress *p);

#endif
