/* Writer locks: flock(2) on a small file that also names the holder. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <w3s/lock.h>

struct w3s_lock {
	int fd;
};

/* strerror with a lower-case first letter, for one-line messages. */
static int
lock_sys(struct w3s_err *err, int errnum, const char *what, const char *path)
{
	char why[128];

	snprintf(why, sizeof(why), "%s", strerror(errnum));
	why[0] = (char)tolower((unsigned char)why[0]);
	return w3s_err_set(err, W3S_ESYS, "%s %s: %s", what, path, why);
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Describes the holder recorded in the file: "segment-add (pid 12) since
 * 2024-05-01 12:00:00 +0000", or "another process" when unreadable. */
static void
describe_holder(int fd, char *out, size_t cap)
{
	char buf[256], prog[128], when[64];
	long long pid, since;
	ssize_t n;
	struct tm tm;
	time_t t;

	snprintf(out, cap, "another process");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "%127s %lld %lld", prog, &pid, &since) != 3)
		return;
	t = (time_t)since;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", since);
	snprintf(out, cap, "%s (pid %lld) since %s", prog, pid, when);
}

static void
record_holder(int fd, const char *holder)
{
	char prog[128], line[256];
	int n;

	snprintf(prog, sizeof(prog), "%s", holder ? holder : "unknown");
	for (char *p = prog; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			*p = '_';
	n = snprintf(line, sizeof(line), "%s %ld %lld\n", prog, (long)getpid(),
	    (long long)time(NULL));
	/* Advisory only: a failure leaves "another process" in messages. */
	if (pwrite(fd, line, (size_t)n, 0) == n)
		(void)!ftruncate(fd, n);
}

int
w3s_lock_acquire(const char *path, const char *what, const char *holder,
    unsigned wait, struct w3s_lock **out, struct w3s_err *err)
{
	struct w3s_lock *l;
	double deadline;
	char who[256];
	int fd;

	*out = NULL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return lock_sys(err, errno, "cannot open lock", path);
	deadline = now_mono() + wait;
	for (;;) {
		struct timespec pause = { 0, 50 * 1000 * 1000 };

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			int e = errno;

			close(fd);
			return lock_sys(err, e, "cannot lock", path);
		}
		if (now_mono() >= deadline) {
			describe_holder(fd, who, sizeof(who));
			close(fd);
			if (wait > 0)
				return w3s_err_set(err, W3S_EBUSY,
				    "%s is busy: held by %s (waited %u s)",
				    what, who, wait);
			return w3s_err_set(err, W3S_EBUSY,
			    "%s is busy: held by %s", what, who);
		}
		nanosleep(&pause, NULL);
	}
	l = malloc(sizeof(*l));
	if (l == NULL) {
		close(fd);
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	}
	l->fd = fd;
	record_holder(fd, holder);
	*out = l;
	return 0;
}

void
w3s_lock_release(struct w3s_lock *l)
{
	if (l == NULL)
		return;
	/* Closing the descriptor releases the flock. The holder line stays;
	 * it is only read while someone holds the lock. */
	close(l->fd);
	free(l);
}
