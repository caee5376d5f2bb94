/* One-pass file digest: blocks are read into a small ring; the calling
 * thread hashes the whole stream while a second thread hashes each 256 KiB
 * chunk and feeds the streaming Merkle builder. Blocks are whole numbers
 * of chunks and only the last block is short, so no chunk straddles two
 * blocks. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/chunk.h>
#include <w3s/filedigest.h>
#include <w3s/merkle.h>

/* 8 MiB of ring: it stays in the last-level cache between the read and
 * the two hash passes (a 32 MiB ring measured 10% slower here). A whole
 * number of chunks per block. Overridable with -D for tuning. */
#ifndef BLOCK_SIZE
#define BLOCK_SIZE (4u * W3S_CHUNK_SIZE)	/* 1 MiB */
#endif
#ifndef NBLOCKS
#define NBLOCKS 8
#endif

enum { STREAM, CHUNKS, NCONSUMERS };

/* Blocks n, n+NBLOCKS, ... share slot n % NBLOCKS. There is no reader
 * thread (two cores, two hash passes): the consumer that is ahead reads
 * the next block into a free slot before it hashes on. */
struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* a block was read or finished */
	int fd;
	uint8_t *mem;			/* NBLOCKS * BLOCK_SIZE */
	size_t len[NBLOCKS];
	uint64_t produced;		/* blocks read so far */
	uint64_t consumed[NCONSUMERS];	/* blocks each consumer finished */
	uint64_t size;			/* bytes read so far */
	int reading;			/* block `produced` is being read */
	int eof;			/* no block follows produced - 1 */
	int read_errno;			/* a read failed: stop */
};

struct job {
	struct w3s_filedigest *out;
	struct w3s_hasher *hasher;	/* NULL for identity */
	struct w3s_merkle_builder mb;
	struct ring *ring;
};

/* Whole-stream digest of one more piece of the stream. */
static void
stream_update(struct job *job, const uint8_t *p, size_t len)
{
	struct w3s_filedigest *out = job->out;
	size_t room;

	if (job->hasher != NULL) {
		w3s_hasher_update(job->hasher, p, len);
		return;
	}
	/* identity: the digest is the bytes themselves, while they fit. */
	room = W3S_FILEDIGEST_MAX - out->digest_len;
	if (len > room) {
		out->digest_overflow = 1;
		len = room;
	}
	memcpy(out->digest + out->digest_len, p, len);
	out->digest_len += len;
}

/* Chunk hashes of one block: whole chunks, then a short last one. */
static void
chunks_update(struct job *job, const uint8_t *p, size_t len)
{
	uint8_t h[W3S_H256];
	size_t n;

	for (size_t off = 0; off < len; off += n) {
		n = len - off < W3S_CHUNK_SIZE ? len - off : W3S_CHUNK_SIZE;
		w3s_hash_blake2b(h, p + off, n);
		w3s_merkle_builder_push(&job->mb, h);
	}
}

/* Reads until buf is full or the input ends; returns the bytes read or -1
 * with errno set. */
static ssize_t
read_full(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap) {
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static uint8_t *
slot(const struct ring *r, uint64_t n)
{
	return r->mem + (size_t)(n % NBLOCKS) * BLOCK_SIZE;
}

/* Called locked: block n may be read into its slot once both consumers
 * are done with block n - NBLOCKS. */
static int
slot_free(const struct ring *r, uint64_t n)
{
	uint64_t low = r->consumed[STREAM] < r->consumed[CHUNKS] ?
	    r->consumed[STREAM] : r->consumed[CHUNKS];

	return n - low < NBLOCKS;
}

/* Called locked, by consumer who about to take block n: whether it should
 * read the next block first. Reading ahead keeps the ring full, so the
 * other consumer never waits for a read; the consumer that is ahead does
 * it, which slows it down to the pace of the other. */
static int
should_read(const struct ring *r, uint64_t n, int who)
{
	if (r->reading || r->eof || r->read_errno != 0 ||
	    !slot_free(r, r->produced))
		return 0;
	return n >= r->produced ||
	    r->consumed[who] >= r->consumed[who == STREAM ? CHUNKS : STREAM];
}

/* Called locked: reads block n == produced with the lock released. */
static void
read_block(struct ring *r, uint64_t n)
{
	ssize_t got;
	int e;

	r->reading = 1;
	pthread_mutex_unlock(&r->mu);
	got = read_full(r->fd, slot(r, n), BLOCK_SIZE);
	e = errno;
	pthread_mutex_lock(&r->mu);
	r->reading = 0;
	if (got < 0) {
		r->read_errno = e != 0 ? e : EIO;
	} else if (got == 0) {
		r->eof = 1;
	} else {
		r->len[n % NBLOCKS] = (size_t)got;
		r->size += (uint64_t)got;
		r->produced = n + 1;
		r->eof = (size_t)got < BLOCK_SIZE;
	}
	pthread_cond_broadcast(&r->cv);
}

static void
consume(struct job *job, int who)
{
	struct ring *r = job->ring;
	const uint8_t *p;
	size_t len;

	for (uint64_t n = 0;; n++) {
		pthread_mutex_lock(&r->mu);
		for (;;) {
			if (should_read(r, n, who)) {
				read_block(r, r->produced);
				continue;
			}
			if (n < r->produced)
				break;
			if (r->eof || r->read_errno != 0) {
				pthread_mutex_unlock(&r->mu);
				return;
			}
			pthread_cond_wait(&r->cv, &r->mu);
		}
		p = slot(r, n);
		len = r->len[n % NBLOCKS];
		pthread_mutex_unlock(&r->mu);

		if (who == STREAM)
			stream_update(job, p, len);
		else
			chunks_update(job, p, len);

		pthread_mutex_lock(&r->mu);
		r->consumed[who] = n + 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
}

static void *
chunks_main(void *arg)
{
	consume(arg, CHUNKS);
	return NULL;
}

/* Block 0 is in the ring and full: hash the chunks on a second thread and
 * the whole stream on this one. */
static int
run_threaded(struct job *job, struct w3s_err *err)
{
	struct ring *r = job->ring;
	pthread_t tid;
	int e, rc = 0;

	if (pthread_mutex_init(&r->mu, NULL) != 0)
		return w3s_err_set(err, W3S_ESYS, "cannot set up a lock");
	if (pthread_cond_init(&r->cv, NULL) != 0) {
		pthread_mutex_destroy(&r->mu);
		return w3s_err_set(err, W3S_ESYS, "cannot set up a lock");
	}
	if ((e = pthread_create(&tid, NULL, chunks_main, job)) != 0) {
		rc = w3s_err_sys(err, e, "cannot start a hashing thread");
		goto out;
	}
	consume(job, STREAM);
	pthread_join(tid, NULL);
	if (r->read_errno != 0)
		rc = w3s_err_sys(err, r->read_errno, "read failed");
out:
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	return rc;
}

int
w3s_filedigest_fd(int fd, enum w3s_hash_alg alg, struct w3s_filedigest *out,
    struct w3s_err *err)
{
	struct ring ring;
	struct job job;
	uint8_t h[W3S_H256];
	ssize_t first;
	int rc = 0, one_chunk = 0;

	memset(out, 0, sizeof(*out));
	memset(&job, 0, sizeof(job));
	memset(&ring, 0, sizeof(ring));
	out->alg = alg;
	job.out = out;
	job.ring = &ring;
	w3s_merkle_builder_init(&job.mb);
	if (alg != W3S_HASH_IDENTITY) {
		if (w3s_hash_digest_len(alg) <= 0 ||
		    w3s_hash_digest_len(alg) > W3S_FILEDIGEST_MAX)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "hash function 0x%x is not supported",
			    (unsigned)alg);
		if ((job.hasher = w3s_hasher_new(alg, err)) == NULL)
			return err != NULL ? err->code : W3S_ESYS;
	}
	if (posix_memalign((void **)&ring.mem, 64,
	    (size_t)NBLOCKS * BLOCK_SIZE) != 0) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto out;
	}
	/* Only a hint; a pipe refuses it. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	first = read_full(fd, ring.mem, BLOCK_SIZE);
	if (first < 0) {
		rc = w3s_err_sys(err, errno, "read failed");
		goto out;
	}
	if ((size_t)first < BLOCK_SIZE) {
		/* The whole input is in one block: no threads needed. */
		out->size = (uint64_t)first;
		if (alg == W3S_HASH_BLAKE2B_256 && first > 0 &&
		    first <= W3S_CHUNK_SIZE) {
			/* One chunk: its hash is the whole-stream hash. */
			w3s_hash_blake2b(out->digest, ring.mem, (size_t)first);
			w3s_merkle_builder_push(&job.mb, out->digest);
			one_chunk = 1;
		} else {
			chunks_update(&job, ring.mem, (size_t)first);
			stream_update(&job, ring.mem, (size_t)first);
		}
	} else {
		ring.fd = fd;
		ring.len[0] = (size_t)first;
		ring.size = (uint64_t)first;
		ring.produced = 1;
		if ((rc = run_threaded(&job, err)) != 0)
			goto out;
		out->size = ring.size;
	}

	out->chunks = w3s_chunk_count(out->size);
	if (out->size == 0) {
		/* The empty blob is one empty chunk. */
		w3s_hash_blake2b(h, "", 0);
		w3s_merkle_builder_push(&job.mb, h);
	}
	w3s_merkle_builder_finish(&job.mb, out->data_root);
	if (job.hasher != NULL) {
		if (!one_chunk)
			w3s_hasher_final(job.hasher, out->digest);
		out->digest_len = (size_t)w3s_hash_digest_len(alg);
	}
out:
	w3s_hasher_free(job.hasher);
	free(ring.mem);
	return rc;
}
