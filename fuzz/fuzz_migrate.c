/* Migration records (lib/migrate.c): offers and acceptances as another
 * provider hands them over, and the --ttl durations an operator types.
 * The input is tried as each record. Decoders check the form only and
 * accept only the canonical encoding; whether a record's values hold
 * together is the verifiers' question. So a decoded record either encodes
 * back to the input, or the encoder refuses it (W3S_EUSAGE) and then the
 * verifier must refuse it too. Signature and pair checks must not crash
 * on any record. */
#include <string.h>

#include <w3s/hash.h>
#include <w3s/migrate.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct w3s_migrate_offer o;
	struct w3s_migrate_acceptance a;
	uint8_t digest[W3S_HASH_LEN];
	struct w3s_err err;
	struct w3s_buf b;
	uint64_t secs;
	int anchored, have_offer = 0;
	char *s;

	if (w3s_migrate_offer_decode(data, size, &o, &err) == 0) {
		have_offer = 1;
		w3s_buf_init(&b);
		if (w3s_migrate_offer_encode(&o, &b, &err) == 0)
			FUZZ_ASSERT(b.len == size &&
			    memcmp(b.data, data, size) == 0);
		else
			FUZZ_ASSERT(err.code == W3S_EUSAGE &&
			    w3s_migrate_offer_verify(&o, &err) == W3S_EVERIFY);
		w3s_buf_release(&b);
		(void)w3s_migrate_offer_verify(&o, &err);
	}
	if (w3s_migrate_acceptance_decode(data, size, &a, &err) == 0) {
		w3s_buf_init(&b);
		if (w3s_migrate_acceptance_encode(&a, &b, &err) == 0)
			FUZZ_ASSERT(b.len == size &&
			    memcmp(b.data, data, size) == 0);
		else
			FUZZ_ASSERT(err.code == W3S_EUSAGE &&
			    w3s_migrate_acceptance_verify(&a, &err) ==
			    W3S_EVERIFY);
		w3s_buf_release(&b);
		(void)w3s_migrate_acceptance_verify(&a, &err);
		/* Paired with an offer built from its own fields. */
		if (!have_offer) {
			memset(&o, 0, sizeof(o));
			o.bucket = a.bucket;
			o.commitment = a.commitment;
			o.counts = a.counts;
			memcpy(o.from, a.from, sizeof(o.from));
			memcpy(o.to, a.to, sizeof(o.to));
			o.created = a.created;
			o.expires = a.created + 1;
		}
		memcpy(digest, a.offer, sizeof(digest));
		(void)w3s_migrate_verify_pair(&o, digest, &a,
		    a.commitment.mmr_root, &anchored, &err);
		(void)w3s_migrate_verify_pair(&o, digest, &a, NULL, &anchored,
		    &err);
	}
	if (size <= 64 && (s = malloc(size + 1)) != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
		if (w3s_migrate_parse_duration(s, &secs, &err) == 0)
			FUZZ_ASSERT(secs >= 1 && secs <= W3S_MIGRATE_TTL_MAX);
		free(s);
	}
	return 0;
}
