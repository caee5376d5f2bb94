/* The store: the directory, opening buckets, the schema, statements and
 * errors. docs/store.md explains the layout and the choices. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "store_impl.h"

#define MARKER "w3sync-store"

static const char *const meta_schema =
	"CREATE TABLE bucket ("
	" one INTEGER PRIMARY KEY CHECK (one = 1),"
	" bucket_id INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" mmr_root BLOB NOT NULL,"
	" start_seq INTEGER NOT NULL,"
	" leaf_count INTEGER NOT NULL,"
	" min_signers INTEGER NOT NULL DEFAULT 0,"
	" anchor_root BLOB,"
	" anchor_start_seq INTEGER,"
	" anchor_leaf_count INTEGER);"
	"CREATE TABLE leaf ("
	" seq INTEGER PRIMARY KEY,"
	" data_root BLOB NOT NULL,"
	" data_size INTEGER NOT NULL,"
	" total_size INTEGER NOT NULL,"
	" chunk_count INTEGER NOT NULL,"
	" change_id INTEGER NOT NULL);"
	"CREATE INDEX leaf_root ON leaf (data_root);"
	"CREATE TABLE segment_chunk ("
	" seq INTEGER NOT NULL,"
	" idx INTEGER NOT NULL,"
	" hash BLOB NOT NULL,"
	" size INTEGER NOT NULL,"
	" PRIMARY KEY (seq, idx)) WITHOUT ROWID;"
	"CREATE INDEX segment_chunk_hash ON segment_chunk (hash);"
	"CREATE TABLE mmr_node ("
	" pos INTEGER PRIMARY KEY,"
	" hash BLOB NOT NULL);"
	"CREATE TABLE checkpoint ("
	" id INTEGER PRIMARY KEY,"
	" mmr_root BLOB NOT NULL,"
	" start_seq INTEGER NOT NULL,"
	" leaf_count INTEGER NOT NULL,"
	" payload_version INTEGER NOT NULL DEFAULT 1,"
	" signer BLOB NOT NULL,"
	" signature BLOB NOT NULL,"
	" created INTEGER NOT NULL,"
	" UNIQUE (mmr_root, start_seq, leaf_count, signer));"
	"CREATE TABLE deletion ("
	" id INTEGER PRIMARY KEY,"
	" new_mmr_root BLOB NOT NULL,"
	" new_start_seq INTEGER NOT NULL,"
	" admin BLOB NOT NULL,"
	" signature BLOB NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE name ("
	" name TEXT PRIMARY KEY,"
	" data_root BLOB NOT NULL,"
	" change_id INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE change ("
	" id INTEGER PRIMARY KEY,"
	" kind INTEGER NOT NULL,"
	" base_root BLOB NOT NULL,"
	" base_start_seq INTEGER NOT NULL,"
	" base_leaf_count INTEGER NOT NULL,"
	" target_root BLOB NOT NULL,"
	" target_start_seq INTEGER NOT NULL,"
	" target_leaf_count INTEGER NOT NULL,"
	" first_seq INTEGER NOT NULL,"
	" added INTEGER NOT NULL,"
	" deletion_id INTEGER REFERENCES deletion (id),"
	" created INTEGER NOT NULL);"
	"CREATE TABLE change_name ("
	" change_id INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" data_root BLOB,"
	" PRIMARY KEY (change_id, name)) WITHOUT ROWID;"
	"CREATE TABLE trust_key ("
	" role INTEGER NOT NULL,"
	" public_key BLOB NOT NULL,"
	" added INTEGER NOT NULL,"
	" PRIMARY KEY (role, public_key)) WITHOUT ROWID;"
	"CREATE TABLE setting ("
	" key TEXT PRIMARY KEY,"
	" value BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE garbage ("
	" hash BLOB PRIMARY KEY) WITHOUT ROWID;";

/* Payloads in a rowid table, the hash in a separate index: a dedup miss
 * is an index probe, not a walk through payload-laden B-tree pages. */
static const char *const chunks_schema =
	"CREATE TABLE chunk ("
	" id INTEGER PRIMARY KEY,"
	" hash BLOB NOT NULL,"
	" size INTEGER NOT NULL,"
	" data BLOB NOT NULL);"
	"CREATE UNIQUE INDEX chunk_hash ON chunk (hash);";

#define LEAF_COLS "seq, data_root, data_size, total_size, chunk_count"
#define CHANGE_COLS "id, kind, base_root, base_start_seq, base_leaf_count," \
	" target_root, target_start_seq, target_leaf_count, first_seq, added," \
	" deletion_id, created"

static const struct {
	int chunks;		/* 1: chunks.db, 0: meta.db */
	const char *sql;
} qdef[Q_COUNT] = {
	[Q_BUCKET_GET] = { 0, "SELECT bucket_id, mmr_root, start_seq,"
	    " leaf_count, min_signers, anchor_root, anchor_start_seq,"
	    " anchor_leaf_count FROM bucket WHERE one = 1" },
	[Q_BUCKET_SET] = { 0, "UPDATE bucket SET mmr_root = ?1,"
	    " start_seq = ?2, leaf_count = ?3 WHERE one = 1" },
	[Q_LEAF_GET] = { 0, "SELECT " LEAF_COLS " FROM leaf WHERE seq = ?1" },
	[Q_LEAF_BY_ROOT] = { 0, "SELECT " LEAF_COLS " FROM leaf"
	    " WHERE data_root = ?1 ORDER BY seq LIMIT 1" },
	[Q_LEAF_RANGE] = { 0, "SELECT " LEAF_COLS " FROM leaf"
	    " WHERE seq >= ?1 AND seq < ?2 ORDER BY seq" },
	[Q_LEAF_LAST] = { 0, "SELECT " LEAF_COLS " FROM leaf"
	    " ORDER BY seq DESC LIMIT 1" },
	[Q_LEAF_PUT] = { 0, "INSERT INTO leaf (seq, data_root, data_size,"
	    " total_size, chunk_count, change_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)" },
	[Q_SC_PUT] = { 0, "INSERT INTO segment_chunk (seq, idx, hash, size)"
	    " VALUES (?1, ?2, ?3, ?4)" },
	[Q_SC_RANGE] = { 0, "SELECT seq, idx, hash, size FROM segment_chunk"
	    " WHERE seq >= ?1 AND seq < ?2 ORDER BY seq, idx" },
	[Q_SC_RANGE_FIRST] = { 0, "SELECT s.seq, s.idx, s.hash, s.size"
	    " FROM segment_chunk s WHERE s.seq >= ?1 AND s.seq < ?2"
	    " AND NOT EXISTS (SELECT 1 FROM segment_chunk p"
	    " WHERE p.hash = s.hash AND p.seq >= ?3"
	    " AND (p.seq, p.idx) < (s.seq, s.idx))"
	    " ORDER BY s.seq, s.idx" },
	[Q_SC_SEGMENT] = { 0, "SELECT seq, idx, hash, size FROM segment_chunk"
	    " WHERE seq = ?1 ORDER BY idx" },
	[Q_MMR_GET] = { 0, "SELECT hash FROM mmr_node WHERE pos = ?1" },
	[Q_MMR_PUT] = { 0, "INSERT INTO mmr_node (pos, hash) VALUES (?1, ?2)" },
	[Q_MMR_ALL] = { 0, "SELECT pos, hash FROM mmr_node ORDER BY pos" },
	[Q_CP_PUT] = { 0, "INSERT INTO checkpoint (mmr_root, start_seq,"
	    " leaf_count, payload_version, signer, signature, created)"
	    " VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6) ON CONFLICT DO NOTHING" },
	[Q_CP_ALL] = { 0, "SELECT mmr_root, start_seq, leaf_count, signer,"
	    " signature, created FROM checkpoint ORDER BY id" },
	[Q_CP_OF] = { 0, "SELECT mmr_root, start_seq, leaf_count, signer,"
	    " signature, created FROM checkpoint WHERE mmr_root = ?1"
	    " AND start_seq = ?2 AND leaf_count = ?3 ORDER BY id" },
	[Q_DEL_PUT] = { 0, "INSERT INTO deletion (new_mmr_root, new_start_seq,"
	    " admin, signature, created) VALUES (?1, ?2, ?3, ?4, ?5)" },
	[Q_DEL_ALL] = { 0, "SELECT id, new_mmr_root, new_start_seq, admin,"
	    " signature, created FROM deletion ORDER BY id" },
	[Q_DEL_LAST] = { 0, "SELECT id, new_mmr_root, new_start_seq, admin,"
	    " signature, created FROM deletion ORDER BY id DESC LIMIT 1" },
	[Q_NAME_PUT] = { 0, "INSERT INTO name (name, data_root, change_id)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE"
	    " SET data_root = excluded.data_root,"
	    " change_id = excluded.change_id" },
	[Q_NAME_GET] = { 0, "SELECT data_root FROM name WHERE name = ?1" },
	[Q_NAME_ALL] = { 0, "SELECT name, data_root FROM name ORDER BY name" },
	[Q_CHANGE_PUT] = { 0, "INSERT INTO change (" CHANGE_COLS ") VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)" },
	[Q_CHANGE_AFTER] = { 0, "SELECT " CHANGE_COLS " FROM change"
	    " WHERE id > ?1 ORDER BY id" },
	[Q_CHANGE_MAX] = { 0, "SELECT coalesce(max(id), 0) FROM change" },
	[Q_CN_PUT] = { 0, "INSERT OR REPLACE INTO change_name (change_id,"
	    " name, data_root) VALUES (?1, ?2, ?3)" },
	[Q_CN_OF] = { 0, "SELECT name, data_root FROM change_name"
	    " WHERE change_id = ?1 ORDER BY name" },
	[Q_KEY_PUT] = { 0, "INSERT INTO trust_key (role, public_key, added)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING" },
	[Q_KEY_ROLE] = { 0, "SELECT public_key FROM trust_key WHERE role = ?1"
	    " ORDER BY public_key" },
	[Q_KEY_HAS] = { 0, "SELECT 1 FROM trust_key WHERE role = ?1"
	    " AND public_key = ?2" },
	[Q_KEY_ANY] = { 0, "SELECT 1 FROM trust_key WHERE role = ?1 LIMIT 1" },
	[Q_SET_GET] = { 0, "SELECT value FROM setting WHERE key = ?1" },
	[Q_SET_PUT] = { 0, "INSERT INTO setting (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value" },
	[Q_SET_DEL] = { 0, "DELETE FROM setting WHERE key = ?1" },
	[Q_GARBAGE_COUNT] = { 0, "SELECT count(*) FROM garbage" },
	[Q_GARBAGE_ALL] = { 0, "SELECT hash FROM garbage" },
	[Q_CHUNK_SIZE] = { 1, "SELECT size FROM chunk WHERE hash = ?1" },
	[Q_CHUNK_GET] = { 1, "SELECT data FROM chunk WHERE hash = ?1" },
	[Q_CHUNK_PUT] = { 1, "INSERT INTO chunk (hash, size, data)"
	    " VALUES (?1, ?2, ?3)" },
	[Q_CHUNK_DEL] = { 1, "DELETE FROM chunk WHERE hash = ?1" },
	[Q_CHUNK_MAXID] = { 1, "SELECT coalesce(max(id), 0) FROM chunk" },
	[Q_CHUNK_NEXT] = { 1, "SELECT id, hash, size, data FROM chunk"
	    " WHERE id > ?1 ORDER BY id LIMIT 1" },
};

/* ---- helpers ---------------------------------------------------------- */

static void
lower_ascii(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int
store_dberr(sqlite3 *db, int rc, struct w3s_err *err, const char *fmt, ...)
{
	char what[W3S_ERR_MSG_MAX / 2], why[W3S_ERR_MSG_MAX / 2];
	int code = W3S_ESYS;
	int sys = db ? sqlite3_system_errno(db) : 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	switch (rc & 0xff) {
	case SQLITE_FULL:
		snprintf(why, sizeof(why), "disk full");
		break;
	case SQLITE_IOERR:
		if (sys == ENOSPC)
			snprintf(why, sizeof(why), "disk full");
		else if (sys != 0)
			snprintf(why, sizeof(why), "i/o error: %s",
			    strerror(sys));
		else
			snprintf(why, sizeof(why), "i/o error");
		break;
	case SQLITE_NOMEM:
		snprintf(why, sizeof(why), "out of memory");
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		code = W3S_EMALFORMED;
		snprintf(why, sizeof(why), "database is corrupt or not a"
		    " database");
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = W3S_EBUSY;
		snprintf(why, sizeof(why), "database is busy");
		break;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		if (sys != 0)
			snprintf(why, sizeof(why), "%s", strerror(sys));
		else
			snprintf(why, sizeof(why), "%s",
			    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		break;
	default:
		snprintf(why, sizeof(why), "%s",
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		break;
	}
	lower_ascii(why);
	return w3s_err_set(err, code, "%s: %s", what, why);
}

int
store_exec(sqlite3 *db, const char *sql, struct w3s_err *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return store_dberr(db, rc, err, "database statement failed");
	return 0;
}

sqlite3_stmt *
store_q(struct w3s_bucket *b, enum store_q id, struct w3s_err *err)
{
	sqlite3 *db = qdef[id].chunks ? b->chunks : b->meta;
	int rc;

	if (b->q[id] == NULL) {
		rc = sqlite3_prepare_v3(db, qdef[id].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &b->q[id], NULL);
		if (rc != SQLITE_OK) {
			store_dberr(db, rc, err, "cannot prepare a query");
			return NULL;
		}
	} else {
		sqlite3_reset(b->q[id]);
		sqlite3_clear_bindings(b->q[id]);
	}
	return b->q[id];
}

int
store_prepare(struct w3s_bucket *b, enum store_q id, sqlite3_stmt **st,
    struct w3s_err *err)
{
	sqlite3 *db = qdef[id].chunks ? b->chunks : b->meta;
	int rc = sqlite3_prepare_v2(db, qdef[id].sql, -1, st, NULL);

	if (rc != SQLITE_OK)
		return store_dberr(db, rc, err, "cannot prepare a query");
	return 0;
}

int
store_step_done(struct w3s_bucket *b, sqlite3 *db, sqlite3_stmt *st,
    struct w3s_err *err, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_dberr(db, rc, err, "%s", what);
	return 0;
}

int
store_bind_u64(sqlite3_stmt *st, int col, uint64_t v)
{
	return sqlite3_bind_int64(st, col, (sqlite3_int64)v);
}

uint64_t
store_col_u64(sqlite3_stmt *st, int col)
{
	return (uint64_t)sqlite3_column_int64(st, col);
}

int
store_col_hash(sqlite3_stmt *st, int col, uint8_t *out, size_t len,
    struct w3s_err *err)
{
	const void *p = sqlite3_column_blob(st, col);

	if (p == NULL || (size_t)sqlite3_column_bytes(st, col) != len)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "database is corrupt: a %zu-byte value has %d bytes", len,
		    sqlite3_column_bytes(st, col));
	memcpy(out, p, len);
	return 0;
}

int
store_need_write(struct w3s_bucket *b, struct w3s_err *err)
{
	if (b->lock == NULL)
		return w3s_err_set(err, W3S_EUSAGE,
		    "bucket %" PRIu64 " is open for reading only", b->id);
	return 0;
}

/* ---- the store directory ---------------------------------------------- */

static char *
path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

static int
write_marker(const char *path, struct w3s_err *err)
{
	char line[64];
	int fd, n;

	n = snprintf(line, sizeof(line), MARKER " %d\n", W3S_STORE_FORMAT);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		return w3s_err_sys(err, errno, "cannot create %s", path);
	}
	if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		int e = errno ? errno : EIO;

		close(fd);
		unlink(path);
		return w3s_err_sys(err, e, "cannot write %s", path);
	}
	close(fd);
	return 0;
}

static int
read_marker(const char *dir, const char *path, struct w3s_err *err)
{
	char buf[64], tail;
	unsigned version;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return w3s_err_sys(err, errno, "cannot open %s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return w3s_err_sys(err, errno, "cannot read %s", path);
	buf[n] = '\0';
	if (sscanf(buf, MARKER " %u%c", &version, &tail) != 2 || tail != '\n')
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%s is not a w3sync store: bad %s file", dir, MARKER);
	if (version > W3S_STORE_FORMAT)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "store %s has format %u, newer than this program supports"
		    " (%d): upgrade w3sync", dir, version, W3S_STORE_FORMAT);
	if (version < 1)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "store %s has unknown format %u", dir, version);
	return 0;
}

int
w3s_store_open(const char *dir, int flags, struct w3s_store **out,
    struct w3s_err *err)
{
	struct w3s_store *s = NULL;
	char *marker = NULL, *buckets = NULL;
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return w3s_err_set(err, W3S_EUSAGE,
		    "no store given: use --store DIR or set " W3S_STORE_ENV);
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT)
			return w3s_err_sys(err, errno, "cannot open store %s", dir);
		if (!(flags & W3S_STORE_CREATE))
			return w3s_err_set(err, W3S_EUSAGE,
			    "no store at %s (give --create to create one)",
			    dir);
		if (mkdir(dir, 0777) != 0 && errno != EEXIST)
			return w3s_err_sys(err, errno, "cannot create store %s",
			    dir);
	} else if (!S_ISDIR(st.st_mode)) {
		return w3s_err_set(err, W3S_EUSAGE,
		    "store %s is not a directory", dir);
	}
	marker = path_join(dir, MARKER);
	buckets = path_join(dir, "buckets");
	s = calloc(1, sizeof(*s));
	if (marker == NULL || buckets == NULL || s == NULL ||
	    (s->dir = strdup(dir)) == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto out;
	}
	if (access(marker, F_OK) != 0) {
		if (!(flags & W3S_STORE_CREATE)) {
			rc = w3s_err_set(err, W3S_EUSAGE,
			    "%s is not a w3sync store (no %s file; give"
			    " --create to make it one)", dir, MARKER);
			goto out;
		}
		if ((rc = write_marker(marker, err)) != 0)
			goto out;
	}
	if ((rc = read_marker(dir, marker, err)) != 0)
		goto out;
	if ((flags & W3S_STORE_CREATE) && mkdir(buckets, 0777) != 0 &&
	    errno != EEXIST) {
		rc = w3s_err_sys(err, errno, "cannot create %s", buckets);
		goto out;
	}
	*out = s;
	s = NULL;
out:
	w3s_store_close(s);
	free(marker);
	free(buckets);
	return rc;
}

void
w3s_store_close(struct w3s_store *s)
{
	if (s == NULL)
		return;
	free(s->dir);
	free(s);
}

const char *
w3s_store_dir(const struct w3s_store *s)
{
	return s->dir;
}

static int
parse_bucket_name(const char *name, uint64_t *id)
{
	char *end;

	if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
		return -1;
	errno = 0;
	*id = strtoull(name, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
w3s_store_buckets(struct w3s_store *s, uint64_t **ids, size_t *n,
    struct w3s_err *err)
{
	char *dir = path_join(s->dir, "buckets");
	uint64_t *v = NULL, id;
	size_t len = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*ids = NULL;
	*n = 0;
	if (dir == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	d = opendir(dir);
	if (d == NULL) {
		int e = errno;

		free(dir);
		if (e == ENOENT)
			return 0;
		return w3s_err_sys(err, e, "cannot list buckets in %s", s->dir);
	}
	while ((de = readdir(d)) != NULL) {
		char meta[64];
		struct stat st;
		char *p;

		if (parse_bucket_name(de->d_name, &id) != 0)
			continue;
		snprintf(meta, sizeof(meta), "%s/meta.db", de->d_name);
		p = path_join(dir, meta);
		if (p == NULL || stat(p, &st) != 0 || st.st_size == 0) {
			free(p);
			continue;
		}
		free(p);
		if (len == cap) {
			uint64_t *nv;

			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				closedir(d);
				free(dir);
				return w3s_err_set(err, W3S_ESYS,
				    "out of memory");
			}
			v = nv;
		}
		v[len++] = id;
	}
	closedir(d);
	free(dir);
	if (len > 0)
		qsort(v, len, sizeof(*v), cmp_u64);
	*ids = v;
	*n = len;
	return 0;
}

/* ---- opening a bucket ------------------------------------------------- */

static int
db_header(sqlite3 *db, int *app_id, int *version, int *tables,
    struct w3s_err *err)
{
	static const char *const sql[3] = {
		"PRAGMA application_id",
		"PRAGMA user_version",
		"SELECT count(*) FROM sqlite_master",
	};
	int *out[3] = { app_id, version, tables };

	for (int i = 0; i < 3; i++) {
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(db, sql[i], -1, &st, NULL);

		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW)
				*out[i] = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		if (rc != SQLITE_ROW)
			return store_dberr(db, rc, err,
			    "cannot read the database header");
	}
	return 0;
}

/* 1: initialised and ours, 0: empty (never initialised), or an error. */
static int
check_header(sqlite3 *db, const char *file, uint64_t id, int want_app,
    struct w3s_err *err)
{
	int app = 0, version = 0, tables = 0, rc;

	if ((rc = db_header(db, &app, &version, &tables, err)) != 0)
		return w3s_err_wrap(err, "bucket %" PRIu64, id);
	if (app == 0 && version == 0 && tables == 0)
		return 0;
	if (app != want_app)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "bucket %" PRIu64 ": %s is not a w3sync bucket database"
		    " (application id 0x%08x)", id, file, (unsigned)app);
	if (version > W3S_BUCKET_FORMAT)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "bucket %" PRIu64 ": %s has format %d, newer than this"
		    " program supports (%d): upgrade w3sync", id, file,
		    version, W3S_BUCKET_FORMAT);
	if (version < W3S_BUCKET_FORMAT)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "bucket %" PRIu64 ": %s has unknown format %d", id, file,
		    version);
	return 1;
}

static int
open_db(struct w3s_bucket *b, const char *name, int create, sqlite3 **out,
    struct w3s_err *err)
{
	char *path = path_join(b->dir, name);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_EXRESCODE;
	int rc;

	*out = NULL;
	if (path == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, out, flags, NULL);
	free(path);
	if (rc != SQLITE_OK) {
		store_dberr(*out, rc, err, "cannot open bucket %" PRIu64
		    " (%s)", b->id, name);
		sqlite3_close(*out);
		*out = NULL;
		return err ? err->code : W3S_ESYS;
	}
	sqlite3_busy_timeout(*out, 60000);
	return 0;
}

static int
no_bucket(struct w3s_bucket *b, struct w3s_err *err)
{
	return w3s_err_set(err, W3S_EUSAGE,
	    "no bucket %" PRIu64 " in store %s (give --create to create it)",
	    b->id, b->store->dir);
}

static int
init_chunks(struct w3s_bucket *b, struct w3s_err *err)
{
	char sql[256];
	int rc;

	/* 64 KiB pages: a 256 KiB chunk is a few overflow pages. */
	snprintf(sql, sizeof(sql), "PRAGMA page_size = 65536;"
	    " BEGIN IMMEDIATE; PRAGMA application_id = %d;"
	    " PRAGMA user_version = %d;", W3S_CHUNKS_APP_ID,
	    W3S_BUCKET_FORMAT);
	if ((rc = store_exec(b->chunks, sql, err)) != 0 ||
	    (rc = store_exec(b->chunks, chunks_schema, err)) != 0 ||
	    (rc = store_exec(b->chunks, "COMMIT", err)) != 0) {
		sqlite3_exec(b->chunks, "ROLLBACK", NULL, NULL, NULL);
		return w3s_err_wrap(err, "cannot create bucket %" PRIu64,
		    b->id);
	}
	return 0;
}

static int
init_meta(struct w3s_bucket *b, struct w3s_err *err)
{
	static const uint8_t zero[W3S_H256];
	sqlite3_stmt *st = NULL;
	char sql[256];
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = WAL;"
	    " BEGIN IMMEDIATE; PRAGMA application_id = %d;"
	    " PRAGMA user_version = %d;", W3S_META_APP_ID, W3S_BUCKET_FORMAT);
	if ((rc = store_exec(b->meta, sql, err)) != 0 ||
	    (rc = store_exec(b->meta, meta_schema, err)) != 0)
		goto fail;
	rc = sqlite3_prepare_v2(b->meta, "INSERT INTO bucket (one, bucket_id,"
	    " created, mmr_root, start_seq, leaf_count) VALUES"
	    " (1, ?1, ?2, ?3, 0, 0)", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = store_dberr(b->meta, rc, err, "cannot prepare a query");
		goto fail;
	}
	store_bind_u64(st, 1, b->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_blob(st, 3, zero, sizeof(zero), SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = store_dberr(b->meta, rc, err, "cannot record the bucket");
		goto fail;
	}
	if ((rc = store_exec(b->meta, "COMMIT", err)) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(b->meta, "ROLLBACK", NULL, NULL, NULL);
	return w3s_err_wrap(err, "cannot create bucket %" PRIu64, b->id);
}

static int
check_bucket_row(struct w3s_bucket *b, struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_BUCKET_GET, err);
	uint64_t held;
	int rc;

	if (st == NULL)
		return err->code;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "bucket %" PRIu64 ": meta.db has no bucket record",
			    b->id);
		return store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
	}
	held = store_col_u64(st, 0);
	sqlite3_reset(st);
	if (held != b->id)
		return w3s_err_set(err, W3S_ENOTAPPLY,
		    "%s holds bucket %" PRIu64 ", not bucket %" PRIu64
		    " (a copied directory?)", b->dir, held, b->id);
	return 0;
}

int
w3s_bucket_open(struct w3s_store *s, uint64_t id,
    const struct w3s_bucket_opts *opts, struct w3s_bucket **out,
    struct w3s_err *err)
{
	struct w3s_bucket_opts none = { 0, 0, NULL };
	struct w3s_bucket *b;
	char sub[40], what[48];
	char *path = NULL;
	int create, rc, have;
	struct stat st;

	*out = NULL;
	if (opts == NULL)
		opts = &none;
	create = (opts->flags & W3S_STORE_CREATE) &&
	    (opts->flags & W3S_STORE_WRITE);
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	b->store = s;
	b->id = id;
	b->flags = opts->flags;
	b->readers_fd = -1;
	snprintf(sub, sizeof(sub), "buckets/%" PRIu64, id);
	b->dir = path_join(s->dir, sub);
	if (b->dir == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto fail;
	}
	if (stat(b->dir, &st) != 0) {
		if (errno != ENOENT) {
			rc = w3s_err_sys(err, errno, "cannot open bucket %" PRIu64,
			    id);
			goto fail;
		}
		if (!create) {
			rc = no_bucket(b, err);
			goto fail;
		}
		path = path_join(s->dir, "buckets");
		if (path == NULL) {
			rc = w3s_err_set(err, W3S_ESYS, "out of memory");
			goto fail;
		}
		if ((mkdir(path, 0777) != 0 && errno != EEXIST) ||
		    (mkdir(b->dir, 0777) != 0 && errno != EEXIST)) {
			rc = w3s_err_sys(err, errno, "cannot create bucket %"
			    PRIu64, id);
			goto fail;
		}
		free(path);
		path = NULL;
	}
	if (opts->flags & W3S_STORE_WRITE) {
		path = path_join(b->dir, "lock");
		if (path == NULL) {
			rc = w3s_err_set(err, W3S_ESYS, "out of memory");
			goto fail;
		}
		snprintf(what, sizeof(what), "bucket %" PRIu64, id);
		rc = w3s_lock_acquire(path, what, opts->holder, opts->wait,
		    &b->lock, err);
		free(path);
		path = NULL;
		if (rc != 0)
			goto fail;
	}

	/* meta.db decides whether the bucket exists: it is committed last
	 * when a bucket is created. */
	path = path_join(b->dir, "meta.db");
	if (path == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto fail;
	}
	if (stat(path, &st) != 0 && !create) {
		rc = no_bucket(b, err);
		goto fail;
	}
	free(path);
	path = NULL;
	if ((rc = open_db(b, "meta.db", create, &b->meta, err)) != 0)
		goto fail;
	have = check_header(b->meta, "meta.db", id, W3S_META_APP_ID, err);
	if (have < 0) {
		rc = have;
		goto fail;
	}
	if (have == 0 && !create) {
		rc = no_bucket(b, err);
		goto fail;
	}
	if ((rc = open_db(b, "chunks.db", create && have == 0, &b->chunks,
	    err)) != 0)
		goto fail;
	rc = check_header(b->chunks, "chunks.db", id, W3S_CHUNKS_APP_ID, err);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		if (have) {
			rc = w3s_err_set(err, W3S_EMALFORMED, "bucket %" PRIu64
			    ": chunks.db is empty", id);
			goto fail;
		}
		if ((rc = init_chunks(b, err)) != 0)
			goto fail;
	}
	if (have == 0 && (rc = init_meta(b, err)) != 0)
		goto fail;
	if ((rc = store_exec(b->meta, "PRAGMA synchronous = FULL", err)) != 0 ||
	    (rc = store_exec(b->chunks, "PRAGMA journal_mode = TRUNCATE;"
	    " PRAGMA synchronous = FULL", err)) != 0)
		goto fail;
	/* Writers get a small chunks.db page cache (8 MiB): a 32 MiB batch
	 * then spills its appended pages (never journaled) as it goes
	 * instead of writing them all at COMMIT, so the writes overlap the
	 * caller's reading and hashing; the journal is still synced before
	 * any page it guards is overwritten. Measured (1 GiB, 64 x 16 MiB):
	 * snapshot-import from a file, with its store thread, 2.23 -> 1.71 s
	 * and peak RSS 59 -> 30 MiB against a 40 MiB cache; segment-add
	 * 2.58 -> 2.52 s, RSS 54 -> 22 MiB. */
	if ((opts->flags & W3S_STORE_WRITE) && ((rc = store_exec(b->chunks,
	    "PRAGMA cache_size = -8192", err)) != 0 ||
	    (rc = store_exec(b->meta, "PRAGMA wal_autocheckpoint = 4096",
	    err)) != 0))
		goto fail;
	if ((rc = check_bucket_row(b, err)) != 0)
		goto fail;

	path = path_join(b->dir, "readers");
	if (path == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto fail;
	}
	b->readers_fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	if (b->readers_fd < 0) {
		rc = w3s_err_sys(err, errno, "cannot open %s", path);
		goto fail;
	}
	free(path);
	*out = b;
	return 0;
fail:
	free(path);
	w3s_bucket_close(b);
	return rc;
}

void
w3s_bucket_close(struct w3s_bucket *b)
{
	if (b == NULL)
		return;
	if (b->batch)
		w3s_bucket_batch_abort(b);
	else if (b->session)
		w3s_bucket_write_abort(b, 1);
	while (b->reading > 0)
		w3s_bucket_read_end(b);
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(b->q[i]);
	sqlite3_close(b->meta);
	sqlite3_close(b->chunks);
	if (b->readers_fd >= 0)
		close(b->readers_fd);
	w3s_lock_release(b->lock);
	free(b->dir);
	free(b);
}

uint64_t
w3s_bucket_id(const struct w3s_bucket *b)
{
	return b->id;
}

/* ---- readers ---------------------------------------------------------- */

int
store_readers_lock(struct w3s_bucket *b, int exclusive, int nowait, int *got,
    struct w3s_err *err)
{
	int op = (exclusive ? LOCK_EX : LOCK_SH) | (nowait ? LOCK_NB : 0);

	*got = 0;
	while (flock(b->readers_fd, op) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK && nowait)
			return 0;
		return w3s_err_sys(err, errno, "cannot lock the readers of bucket"
		    " %" PRIu64, b->id);
	}
	*got = 1;
	return 0;
}

void
store_readers_unlock(struct w3s_bucket *b)
{
	flock(b->readers_fd, LOCK_UN);
}

int
w3s_bucket_read_begin(struct w3s_bucket *b, struct w3s_err *err)
{
	struct w3s_commitment c;
	int got, rc;

	if (b->session || b->reading > 0) {
		b->reading += !b->session;
		return 0;
	}
	/* Register first, then take the snapshot: a deletion that commits
	 * after this point leaves its chunks in place until we are done. */
	if ((rc = store_readers_lock(b, 0, 0, &got, err)) != 0)
		return rc;
	if ((rc = store_exec(b->meta, "BEGIN", err)) != 0) {
		store_readers_unlock(b);
		return rc;
	}
	/* The snapshot starts at the first read. */
	if ((rc = store_commitment(b, &c, err)) != 0) {
		sqlite3_exec(b->meta, "ROLLBACK", NULL, NULL, NULL);
		store_readers_unlock(b);
		return rc;
	}
	b->reading = 1;
	return 0;
}

void
w3s_bucket_read_end(struct w3s_bucket *b)
{
	if (b->reading == 0)
		return;
	if (--b->reading > 0)
		return;
	sqlite3_exec(b->meta, "COMMIT", NULL, NULL, NULL);
	store_readers_unlock(b);
}

int
store_commitment(struct w3s_bucket *b, struct w3s_commitment *c,
    struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_BUCKET_GET, err);
	int rc;

	if (st == NULL)
		return err->code;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return w3s_err_set(err, W3S_EMALFORMED, "bucket %"
			    PRIu64 ": no bucket record", b->id);
		return store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
	}
	rc = store_col_hash(st, 1, c->mmr_root, W3S_H256, err);
	c->start_seq = store_col_u64(st, 2);
	c->leaf_count = store_col_u64(st, 3);
	sqlite3_reset(st);
	return rc;
}

int
store_commitment_set(struct w3s_bucket *b, const struct w3s_commitment *c,
    struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_BUCKET_SET, err);

	if (st == NULL)
		return err->code;
	sqlite3_bind_blob(st, 1, c->mmr_root, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 2, c->start_seq);
	store_bind_u64(st, 3, c->leaf_count);
	return store_step_done(b, b->meta, st, err,
	    "cannot record the commitment");
}
