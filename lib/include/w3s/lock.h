/* Exclusive advisory locks on a file (flock), released when the holder
 * exits however it exits. The holder writes "PROGRAM PID SINCE" into the
 * file so that a second writer can name it. */
#ifndef W3S_LOCK_H
#define W3S_LOCK_H

#include <w3s/err.h>

struct w3s_lock;

/* Takes the lock on path (created if missing). If another process holds
 * it, retries for up to wait seconds, then fails with W3S_EBUSY:
 * "WHAT is busy: held by PROGRAM (pid N) since TIME". what names the
 * locked thing in messages; holder is recorded (NULL: "unknown"). */
int w3s_lock_acquire(const char *path, const char *what, const char *holder,
    unsigned wait, struct w3s_lock **out, struct w3s_err *err);
/* Releases and frees; NULL is a no-op. */
void w3s_lock_release(struct w3s_lock *l);

#endif
