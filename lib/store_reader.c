/* Chunk readers for other threads: each has its own read-only connection
 * to a bucket's chunks.db, so several threads read (and hash) payloads at
 * once while the bucket's own connection walks the commitment side. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

struct w3s_chunk_reader {
	uint64_t id;
	sqlite3 *db;
	sqlite3_stmt *get;
};

int
w3s_bucket_chunk_reader(struct w3s_bucket *b, struct w3s_chunk_reader **out,
    struct w3s_err *err)
{
	struct w3s_chunk_reader *r;
	char *path = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	r->id = b->id;
	n = strlen(b->dir) + sizeof("/chunks.db");
	if ((path = malloc(n)) == NULL) {
		free(r);
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	}
	snprintf(path, n, "%s/chunks.db", b->dir);
	rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);
	free(path);
	if (rc != SQLITE_OK) {
		rc = store_dberr(r->db, rc, err, "cannot open bucket %" PRIu64
		    " (chunks.db)", b->id);
		goto fail;
	}
	sqlite3_busy_timeout(r->db, 60000);
	rc = sqlite3_prepare_v3(r->db, "SELECT data FROM chunk WHERE hash = ?1",
	    -1, SQLITE_PREPARE_PERSISTENT, &r->get, NULL);
	if (rc != SQLITE_OK) {
		rc = store_dberr(r->db, rc, err, "cannot prepare a query");
		goto fail;
	}
	*out = r;
	return 0;
fail:
	w3s_chunk_reader_free(r);
	return rc;
}

int
w3s_chunk_reader_with(struct w3s_chunk_reader *r,
    const uint8_t hash[W3S_H256],
    int (*fn)(void *ctx, const uint8_t *data, size_t len), void *ctx,
    int *present, struct w3s_err *err)
{
	int rc, ret = 0;

	*present = 0;
	sqlite3_bind_blob(r->get, 1, hash, W3S_H256, SQLITE_STATIC);
	rc = sqlite3_step(r->get);
	if (rc == SQLITE_ROW) {
		const uint8_t *data = sqlite3_column_blob(r->get, 0);
		size_t len = (size_t)sqlite3_column_bytes(r->get, 0);

		if (data == NULL && len == 0)
			data = (const uint8_t *)"";
		if (data == NULL) {
			sqlite3_reset(r->get);
			return w3s_err_set(err, W3S_ESYS, "out of memory");
		}
		*present = 1;
		ret = fn(ctx, data, len);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(r->get);
	if (rc != SQLITE_DONE)
		return store_dberr(r->db, rc, err, "cannot read a chunk of"
		    " bucket %" PRIu64, r->id);
	return ret;
}

void
w3s_chunk_reader_free(struct w3s_chunk_reader *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->get);
	sqlite3_close(r->db);
	free(r);
}
