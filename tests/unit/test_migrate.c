/* migrate: durations, offer and acceptance records (round trip, canonical
 * bytes, strict decoding, signatures), accept against a store (complete,
 * later commitment, missing chunk, expired, wrong key, unanchored), the
 * pair check, release and the handed-over mark, atomic record files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <w3s/hash.h>
#include <w3s/key.h>
#include <w3s/migrate.h>
#include <w3s/scale.h>
#include <w3s/store.h>

#include "tap.h"

static char tmp[64];

static struct w3s_key *
key_of(uint8_t seed)
{
	uint8_t secret[32];
	struct w3s_key *k = NULL;
	struct w3s_err err = { 0 };

	memset(secret, seed, sizeof(secret));
	if (w3s_key_from_raw_private(secret, &k, &err) != 0) {
		fprintf(stderr, "test_migrate: %s\n", err.msg);
		exit(99);
	}
	return k;
}

/* Adds n segments of `len` bytes of `fill` to bucket id of the store at
 * dir, signed by key. */
static void
add(const char *dir, uint64_t id, struct w3s_key *key, int n, size_t len,
    int fill)
{
	struct w3s_bucket_opts bo = { W3S_STORE_CREATE | W3S_STORE_WRITE, 0,
	    "test" };
	struct w3s_store *s = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_err err = { 0 };
	struct w3s_commitment next;
	uint8_t payload[W3S_PAYLOAD_V1_LEN], sig[64], pub[32];
	uint8_t *data = malloc(len + 1);
	char path[128];
	FILE *f;

	memset(data, fill, len);
	snprintf(path, sizeof(path), "%s/in", tmp);
	w3s_key_public(key, pub);
	if (w3s_store_open(dir, W3S_STORE_CREATE, &s, &err) != 0 ||
	    w3s_bucket_open(s, id, &bo, &b, &err) != 0 ||
	    w3s_bucket_write_begin(b, &err) != 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		int fd;

		data[0] = (uint8_t)(fill + i);
		if ((f = fopen(path, "wb")) == NULL)
			goto fail;
		fwrite(data, 1, len, f);
		fclose(f);
		fd = open(path, 0);
		if (w3s_bucket_segment_add_fd(b, fd, NULL, &err) != 0)
			goto fail;
		close(fd);
	}
	w3s_bucket_write_prepare(b, &next, &err);
	w3s_payload_v1_encode(id, &next, payload);
	if (w3s_key_sign(key, payload, sizeof(payload), sig, &err) != 0 ||
	    w3s_bucket_checkpoint_add(b, &next, pub, sig, &err) != 0 ||
	    w3s_bucket_write_commit(b, NULL, &err) != 0)
		goto fail;
	w3s_bucket_close(b);
	w3s_store_close(s);
	free(data);
	return;
fail:
	fprintf(stderr, "test_migrate: add: %s\n", err.msg);
	exit(99);
}

static struct w3s_bucket *
open_bucket(const char *dir, uint64_t id, int flags, struct w3s_store **s)
{
	struct w3s_bucket_opts bo = { flags, 0, "test" };
	struct w3s_bucket *b = NULL;
	struct w3s_err err = { 0 };

	if (w3s_store_open(dir, 0, s, &err) != 0 ||
	    w3s_bucket_open(*s, id, &bo, &b, &err) != 0) {
		fprintf(stderr, "test_migrate: open: %s\n", err.msg);
		exit(99);
	}
	return b;
}

static void
test_duration(void)
{
	struct w3s_err err = { 0 };
	uint64_t v = 0;

	ok(w3s_migrate_parse_duration("30m", &v, &err) == 0 && v == 1800,
	    "30m is 1800 s");
	ok(w3s_migrate_parse_duration("24h", &v, &err) == 0 && v == 86400,
	    "24h");
	ok(w3s_migrate_parse_duration("7d", &v, &err) == 0 && v == 604800,
	    "7d");
	ok(w3s_migrate_parse_duration("90", &v, &err) == 0 && v == 90,
	    "a bare number is seconds");
	ok(w3s_migrate_parse_duration("366d", &v, &err) == 0, "366d is the"
	    " most");
	ok(w3s_migrate_parse_duration("367d", &v, &err) == W3S_EUSAGE,
	    "367d is refused");
	ok(w3s_migrate_parse_duration("0s", &v, &err) == W3S_EUSAGE, "0s");
	ok(w3s_migrate_parse_duration("", &v, &err) == W3S_EUSAGE, "empty");
	ok(w3s_migrate_parse_duration("1w", &v, &err) == W3S_EUSAGE, "1w");
	ok(w3s_migrate_parse_duration("1hh", &v, &err) == W3S_EUSAGE, "1hh");
	ok(w3s_migrate_parse_duration("-1h", &v, &err) == W3S_EUSAGE, "-1h");
	ok(w3s_migrate_parse_duration("99999999999999999999999s", &v,
	    &err) == W3S_EUSAGE, "overflow");
}

static void
test_flow(void)
{
	struct w3s_key *old = key_of(1), *new = key_of(2), *other = key_of(3);
	char odir[96], ndir[96], cmd[256];
	struct w3s_store *s = NULL;
	struct w3s_bucket *b;
	struct w3s_migrate_offer o, o2;
	struct w3s_migrate_acceptance a, a2;
	struct w3s_err err = { 0 };
	struct w3s_buf ob, ab, buf;
	uint8_t to[32], odigest[32], root[32];
	uint64_t now = 1800000000;
	int rc, anchored, already, handed;

	snprintf(odir, sizeof(odir), "%s/old", tmp);
	snprintf(ndir, sizeof(ndir), "%s/new", tmp);
	add(odir, 7, old, 3, 300000, 'a');
	w3s_key_public(new, to);
	w3s_buf_init(&ob);
	w3s_buf_init(&ab);
	w3s_buf_init(&buf);

	b = open_bucket(odir, 7, 0, &s);
	rc = w3s_migrate_offer_make(b, old, to, now, 3600, &o, &err);
	ok(rc == 0, "offer made (%s)", err.msg);
	ok(o.counts.segments == 3 && o.counts.chunks == 6 &&
	    o.counts.bytes == 900000, "offer counts");
	ok(o.expires == now + 3600, "expiry");
	ok(w3s_migrate_offer_make(b, old, (uint8_t *)o.from, now, 60, &o2,
	    &err) == W3S_ENOTAPPLY, "offer to oneself");
	w3s_bucket_close(b);
	w3s_store_close(s);

	ok(w3s_migrate_offer_encode(&o, &ob, &err) == 0, "offer encodes");
	ok(w3s_migrate_offer_decode(ob.data, ob.len, &o2, &err) == 0 &&
	    memcmp(&o, &o2, sizeof(o)) == 0, "offer round trip");
	ok(w3s_migrate_offer_verify(&o2, &err) == 0, "offer verifies");
	o2.counts.bytes++;
	ok(w3s_migrate_offer_verify(&o2, &err) == W3S_EVERIFY, "a changed"
	    " field does not verify");
	ok(w3s_migrate_offer_decode(ob.data, ob.len - 1, &o2, &err) ==
	    W3S_EMALFORMED, "truncated offer is malformed");
	w3s_hash_blake2b(odigest, ob.data, ob.len);

	snprintf(cmd, sizeof(cmd), "cp -a %s %s", odir, ndir);
	ok(system(cmd) == 0, "copy");
	memcpy(root, o.commitment.mmr_root, 32);
	b = open_bucket(ndir, 7, 0, &s);
	ok(w3s_migrate_accept(b, &o, odigest, new, NULL, now, NULL, NULL, &a,
	    &err) == W3S_EUSAGE, "unanchored: %s", err.msg);
	ok(w3s_migrate_accept(b, &o, odigest, other, root, now, NULL, NULL,
	    &a, &err) == W3S_EVERIFY, "wrong key: %s", err.msg);
	ok(w3s_migrate_accept(b, &o, odigest, new, root, now + 3600, NULL,
	    NULL, &a, &err) == W3S_EVERIFY, "expired: %s", err.msg);
	rc = w3s_migrate_accept(b, &o, odigest, new, root, now + 10, NULL,
	    NULL, &a, &err);
	ok(rc == 0, "accepted (%s)", err.msg);
	ok(!a.has_from_signature && a.counts.chunks == 6, "at the offered"
	    " commitment");
	w3s_bucket_close(b);
	w3s_store_close(s);

	ok(w3s_migrate_acceptance_encode(&a, &ab, &err) == 0, "encodes");
	ok(w3s_migrate_acceptance_decode(ab.data, ab.len, &a2, &err) == 0 &&
	    memcmp(&a, &a2, sizeof(a)) == 0, "acceptance round trip");
	ok(w3s_migrate_verify_pair(&o, odigest, &a, root, &anchored,
	    &err) == 0 && anchored, "pair verifies, anchored");
	ok(w3s_migrate_verify_pair(&o, odigest, &a, NULL, &anchored,
	    &err) == 0 && !anchored, "pair verifies, unanchored");
	a2.payload[20] ^= 1;
	ok(w3s_migrate_verify_pair(&o, odigest, &a2, NULL, &anchored,
	    &err) == W3S_EVERIFY, "a changed payload: %s", err.msg);
	odigest[0] ^= 1;
	ok(w3s_migrate_verify_pair(&o, odigest, &a, NULL, &anchored,
	    &err) == W3S_EVERIFY, "another offer digest");
	odigest[0] ^= 1;

	/* Release, then the mark. */
	b = open_bucket(odir, 7, W3S_STORE_WRITE, &s);
	ok(w3s_migrate_release(b, ab.data, ab.len, new, &already, &err) ==
	    W3S_EVERIFY, "release with the wrong key");
	ok(w3s_migrate_release(b, ab.data, ab.len, old, &already, &err) == 0 &&
	    !already, "released (%s)", err.msg);
	ok(w3s_migrate_release(b, ab.data, ab.len, old, &already, &err) == 0 &&
	    already, "released again: a no-op");
	ok(w3s_migrate_handed_over(b, &handed, to, &err) == 0 && handed,
	    "handed over");
	w3s_bucket_close(b);
	w3s_store_close(s);

	/* A later commitment, and a missing chunk. */
	add(ndir, 7, old, 1, 10, 'z');
	b = open_bucket(ndir, 7, 0, &s);
	rc = w3s_migrate_accept(b, &o, odigest, new, root, now + 10, NULL,
	    NULL, &a2, &err);
	ok(rc == 0 && a2.has_from_signature && a2.commitment.leaf_count == 4,
	    "a later commitment is accepted with the old key's signature");
	ok(w3s_migrate_verify_pair(&o, odigest, &a2, root, &anchored,
	    &err) == 0, "and the pair verifies");
	w3s_bucket_close(b);
	w3s_store_close(s);
	snprintf(cmd, sizeof(cmd), "sqlite3 %s/buckets/7/chunks.db 'DELETE"
	    " FROM chunk WHERE size = 10'", ndir);
	if (system(cmd) == 0) {
		b = open_bucket(ndir, 7, 0, &s);
		ok(w3s_migrate_accept(b, &o, odigest, new, root, now + 10,
		    NULL, NULL, &a2, &err) == W3S_EINCOMPLETE, "missing: %s",
		    err.msg);
		w3s_bucket_close(b);
		w3s_store_close(s);
	} else {
		ok(1, "# skip no sqlite3");
	}

	/* Files: atomic, never overwriting. */
	snprintf(cmd, sizeof(cmd), "%s/rec", tmp);
	ok(w3s_migrate_write_file(cmd, ab.data, ab.len, &err) == 0, "written");
	ok(w3s_migrate_write_file(cmd, ab.data, ab.len, &err) == W3S_ENOTAPPLY,
	    "not overwritten");
	ok(w3s_migrate_read_file(cmd, &buf, &err) == 0 && buf.len == ab.len &&
	    memcmp(buf.data, ab.data, ab.len) == 0, "read back");

	w3s_buf_release(&ob);
	w3s_buf_release(&ab);
	w3s_buf_release(&buf);
	w3s_key_free(old);
	w3s_key_free(new);
	w3s_key_free(other);
}

int
main(void)
{
	char cmd[96];

	snprintf(tmp, sizeof(tmp), "/tmp/test_migrate.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return 99;
	test_duration();
	test_flow();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 99;
	return tap_done();
}
