/* progress: the progress meter (see progress.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"

struct w3s_cli_progress {
	int tty;		/* redraw one line in place */
	char label[64];
	uint64_t total;
	uint64_t done;
	double start;		/* monotonic seconds */
	double last;		/* last draw */
	int drawn;		/* a line is on the terminal, unterminated */
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "1.5 GiB", "312 KiB", "17 B" */
static void
human(char *out, size_t cap, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };
	size_t u = 0;

	while (v >= 1024.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%.0f %s", v, unit[u]);
	else
		snprintf(out, cap, "%.1f %s", v, unit[u]);
}

/* "1:05:09", "4:07" */
static void
clock_text(char *out, size_t cap, double secs)
{
	unsigned long s = secs < 0 ? 0 : (unsigned long)(secs + 0.5);

	if (s >= 3600)
		snprintf(out, cap, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(out, cap, "%lu:%02lu", s / 60, s % 60);
}

struct w3s_cli_progress *
w3s_cli_progress_new(enum w3s_cli_progress_mode mode, const char *label)
{
	struct w3s_cli_progress *p;
	int tty = isatty(STDERR_FILENO);

	if (mode == W3S_CLI_PROGRESS_OFF ||
	    (mode == W3S_CLI_PROGRESS_AUTO && !tty))
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->tty = tty;
	if (label != NULL)
		snprintf(p->label, sizeof(p->label), "%s", label);
	p->start = now();
	p->last = p->start;
	return p;
}

void
w3s_cli_progress_total(struct w3s_cli_progress *p, uint64_t total)
{
	if (p != NULL)
		p->total = total;
}

static void
draw(struct w3s_cli_progress *p, double t, int final)
{
	char done[32], total[32], rate[32], left[32];
	double el = t - p->start, r = el > 0 ? (double)p->done / el : 0;

	human(done, sizeof(done), (double)p->done);
	human(total, sizeof(total), (double)p->total);
	human(rate, sizeof(rate), r);
	fprintf(stderr, "%s%s: %s%s", p->tty ? "\r" : "", w3s_cli_prog(),
	    p->label, p->label[0] != '\0' ? ": " : "");
	if (p->total > 0)
		fprintf(stderr, "%s of %s (%3.0f%%), %s/s", done, total,
		    100.0 * (double)p->done / (double)p->total, rate);
	else
		fprintf(stderr, "%s, %s/s", done, rate);
	if (final) {
		clock_text(left, sizeof(left), el);
		fprintf(stderr, " in %s", left);
	} else if (p->total > 0 && r > 0 && p->done <= p->total) {
		clock_text(left, sizeof(left),
		    (double)(p->total - p->done) / r);
		fprintf(stderr, ", %s left", left);
	}
	/* Pad over the rest of a longer earlier line. */
	fputs(p->tty ? "\033[K" : "", stderr);
	if (!p->tty || final)
		fputc('\n', stderr);
	fflush(stderr);
	p->drawn = p->tty && !final;
	p->last = t;
}

void
w3s_cli_progress_update(struct w3s_cli_progress *p, uint64_t done)
{
	double t;

	if (p == NULL)
		return;
	p->done = done;
	t = now();
	if (t - p->last >= (p->tty ? 0.25 : 2.0))
		draw(p, t, 0);
}

void
w3s_cli_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	struct w3s_cli_progress *p = ctx;

	if (p == NULL)
		return;
	p->total = total;
	w3s_cli_progress_update(p, done);
}

void
w3s_cli_progress_clear(struct w3s_cli_progress *p)
{
	if (p == NULL || !p->drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->drawn = 0;
	p->last = 0;	/* draw again at the next update */
}

void
w3s_cli_progress_end(struct w3s_cli_progress *p)
{
	if (p == NULL)
		return;
	draw(p, now(), 1);
	free(p);
}

void
w3s_cli_progress_free(struct w3s_cli_progress *p)
{
	if (p == NULL)
		return;
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	free(p);
}
