/* Ingest: a file descriptor becomes one segment. A second thread reads
 * and hashes 256 KiB chunks into a small ring while the caller's thread
 * stores them, so hashing overlaps the database work. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/chunk.h>
#include <w3s/hash.h>

#include "store_impl.h"

#define RING 8

struct slot {
	uint8_t *data;
	size_t len;
	uint8_t hash[W3S_H256];
};

struct ingest {
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot slot[RING];
	uint64_t produced;
	uint64_t consumed;
	int eof;		/* no slot will be produced after these */
	int read_errno;
	int stop;		/* the consumer gave up */
};

/* Fills buf with up to len bytes; short only at end of input. */
static ssize_t
read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void *
producer(void *arg)
{
	struct ingest *in = arg;

	for (;;) {
		struct slot *s;
		ssize_t n;
		int last;

		pthread_mutex_lock(&in->mu);
		while (in->produced - in->consumed == RING && !in->stop)
			pthread_cond_wait(&in->cv, &in->mu);
		if (in->stop) {
			pthread_mutex_unlock(&in->mu);
			return NULL;
		}
		s = &in->slot[in->produced % RING];
		pthread_mutex_unlock(&in->mu);

		n = read_full(in->fd, s->data, W3S_CHUNK_SIZE);
		if (n < 0 || (n == 0 && in->produced > 0)) {
			pthread_mutex_lock(&in->mu);
			if (n < 0)
				in->read_errno = errno ? errno : EIO;
			in->eof = 1;
			pthread_cond_broadcast(&in->cv);
			pthread_mutex_unlock(&in->mu);
			return NULL;
		}
		/* An empty input is one empty chunk. */
		s->len = (size_t)n;
		w3s_hash_blake2b(s->hash, s->data, s->len);
		last = s->len < W3S_CHUNK_SIZE;
		pthread_mutex_lock(&in->mu);
		in->produced++;
		if (last)
			in->eof = 1;
		pthread_cond_broadcast(&in->cv);
		pthread_mutex_unlock(&in->mu);
		if (last)
			return NULL;
	}
}

int
w3s_bucket_segment_add_fd(struct w3s_bucket *b, int fd,
    struct w3s_segment *out, struct w3s_err *err)
{
	return w3s_bucket_segment_add_fd_progress(b, fd, NULL, NULL, out, err);
}

int
w3s_bucket_segment_add_fd_progress(struct w3s_bucket *b, int fd,
    void (*progress)(void *ctx, uint64_t done), void *ctx,
    struct w3s_segment *out, struct w3s_err *err)
{
	struct ingest in;
	uint64_t done = 0;
	pthread_t th;
	int i, rc;

	memset(&in, 0, sizeof(in));
	in.fd = fd;
	for (i = 0; i < RING; i++) {
		in.slot[i].data = malloc(W3S_CHUNK_SIZE);
		if (in.slot[i].data == NULL) {
			rc = w3s_err_set(err, W3S_ESYS, "out of memory");
			goto out;
		}
	}
	if ((rc = w3s_bucket_segment_begin(b, err)) != 0)
		goto out;
	pthread_mutex_init(&in.mu, NULL);
	pthread_cond_init(&in.cv, NULL);
	if ((rc = pthread_create(&th, NULL, producer, &in)) != 0) {
		rc = w3s_err_set(err, W3S_ESYS, "cannot start a thread: %s",
		    strerror(rc));
		goto destroy;
	}
	for (;;) {
		struct slot *s;

		pthread_mutex_lock(&in.mu);
		while (in.consumed == in.produced && !in.eof)
			pthread_cond_wait(&in.cv, &in.mu);
		if (in.consumed == in.produced) {
			pthread_mutex_unlock(&in.mu);
			break;
		}
		s = &in.slot[in.consumed % RING];
		pthread_mutex_unlock(&in.mu);

		rc = w3s_bucket_segment_chunk(b, s->hash, s->data, s->len,
		    err);
		done += s->len;

		pthread_mutex_lock(&in.mu);
		if (rc != 0)
			in.stop = 1;
		else
			in.consumed++;
		pthread_cond_broadcast(&in.cv);
		pthread_mutex_unlock(&in.mu);
		if (rc != 0)
			break;
		if (progress != NULL)
			progress(ctx, done);
	}
	pthread_join(th, NULL);
	if (rc == 0 && in.read_errno != 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s", strerror(in.read_errno));
		why[0] = (char)(why[0] >= 'A' && why[0] <= 'Z' ?
		    why[0] - 'A' + 'a' : why[0]);
		rc = w3s_err_set(err, W3S_ESYS, "cannot read input: %s", why);
	}
	if (rc == 0)
		rc = w3s_bucket_segment_end(b, NULL, out, err);
	else
		b->kind = -1;	/* half a segment: the session must abort */
destroy:
	pthread_cond_destroy(&in.cv);
	pthread_mutex_destroy(&in.mu);
out:
	for (i = 0; i < RING; i++)
		free(in.slot[i].data);
	return rc;
}
