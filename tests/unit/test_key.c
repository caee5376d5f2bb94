/* Ed25519 keys: RFC 8032 section 7.1 tests 1 and 2, PEM and hex loading,
 * and the refusal of private key files open to group or others. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <w3s/hex.h>
#include <w3s/key.h>

#include "tap.h"

/* RFC 8032, 7.1, TEST 1: empty message. */
static const char t1_secret[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char t1_public[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char t1_sig[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/* RFC 8032, 7.1, TEST 2: the one-byte message 0x72. */
static const char t2_secret[] =
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
static const char t2_public[] =
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
static const char t2_sig[] =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

/* TEST 1's secret as PKCS#8 (RFC 8410), and its public key as SPKI: what
 * `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write. */
static const char t1_private_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
static const char t1_public_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";

static char tmpdir[] = "/tmp/w3s-test-key.XXXXXX";

static void
unhex(uint8_t *out, size_t len, const char *hex)
{
	if (w3s_hex_decode(out, len, hex, strlen(hex), NULL) != 0) {
		printf("Bail out! bad test hex %s\n", hex);
		exit(1);
	}
}

/* Writes text to tmpdir/name with the given mode; returns the path. */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	chmod(path, mode);
	return path;
}

static void
test_rfc8032(void)
{
	uint8_t secret[32], pub[32], want_pub[32], sig[64], want_sig[64];
	uint8_t msg[1] = { 0x72 };
	struct w3s_key *key = NULL, *key2 = NULL, *pubkey = NULL;
	struct w3s_err err = { 0 };

	unhex(secret, 32, t1_secret);
	is_int(w3s_key_from_raw_private(secret, &key, &err), 0,
	    "test 1: key from raw secret");
	memset(secret, 0, sizeof(secret));
	if (key == NULL)
		return;
	w3s_key_public(key, pub);
	is_hex(pub, 32, t1_public, "test 1: public key");
	is_int(w3s_key_has_private(key), 1, "test 1: has a private half");
	is_int(w3s_key_sign(key, (const uint8_t *)"", 0, sig, &err), 0,
	    "test 1: sign the empty message");
	is_hex(sig, 64, t1_sig, "test 1: signature");
	is_int(w3s_key_verify(pub, (const uint8_t *)"", 0, sig), 0,
	    "test 1: signature verifies");

	unhex(want_sig, 64, t1_sig);
	want_sig[10] ^= 0x04;
	is_int(w3s_key_verify(pub, (const uint8_t *)"", 0, want_sig),
	    W3S_EVERIFY, "test 1: flipped signature bit fails");
	unhex(want_sig, 64, t1_sig);
	want_sig[63] ^= 0x80;
	is_int(w3s_key_verify(pub, (const uint8_t *)"", 0, want_sig),
	    W3S_EVERIFY, "test 1: flipped top bit of S fails");
	is_int(w3s_key_verify(pub, msg, 1, sig), W3S_EVERIFY,
	    "test 1: other message fails");
	unhex(want_pub, 32, t2_public);
	is_int(w3s_key_verify(want_pub, (const uint8_t *)"", 0, sig),
	    W3S_EVERIFY, "test 1: wrong public key fails");
	want_pub[0] = pub[0] ^ 1;
	memcpy(want_pub + 1, pub + 1, 31);
	is_int(w3s_key_verify(want_pub, (const uint8_t *)"", 0, sig),
	    W3S_EVERIFY, "test 1: flipped public key bit fails");

	unhex(secret, 32, t2_secret);
	is_int(w3s_key_from_raw_private(secret, &key2, &err), 0,
	    "test 2: key from raw secret");
	memset(secret, 0, sizeof(secret));
	if (key2 != NULL) {
		w3s_key_public(key2, pub);
		is_hex(pub, 32, t2_public, "test 2: public key");
		is_int(w3s_key_sign(key2, msg, 1, sig, &err), 0,
		    "test 2: sign 0x72");
		is_hex(sig, 64, t2_sig, "test 2: signature");
		is_int(w3s_key_verify(pub, msg, 1, sig), 0,
		    "test 2: signature verifies");
		is_int(w3s_key_verify(pub, msg, 0, sig), W3S_EVERIFY,
		    "test 2: truncated message fails");
	}

	unhex(pub, 32, t1_public);
	is_int(w3s_key_from_raw_public(pub, &pubkey, &err), 0,
	    "public-only key from raw bytes");
	if (pubkey != NULL) {
		is_int(w3s_key_has_private(pubkey), 0,
		    "public-only key has no private half");
		is_int(w3s_key_sign(pubkey, msg, 1, sig, &err), W3S_EUSAGE,
		    "signing with a public-only key is refused");
	}
	w3s_key_free(key);
	w3s_key_free(key2);
	w3s_key_free(pubkey);
	w3s_key_free(NULL);
}

static void
test_hex_public(void)
{
	struct w3s_key *key = NULL;
	struct w3s_err err = { 0 };
	uint8_t pub[32];
	char spec[80], printed[W3S_HEX32_LEN];

	snprintf(spec, sizeof(spec), "0x%s", t1_public);
	is_int(w3s_key_load_public(spec, &key, &err), 0, "0x hex public key");
	if (key != NULL) {
		w3s_key_public(key, pub);
		is_hex(pub, 32, t1_public, "0x hex public key bytes");
		w3s_hex32_format(printed, pub);
		is_str(printed, spec, "public key prints back as its 0x form");
		is_int(w3s_key_has_private(key), 0, "0x hex key is public");
		w3s_key_free(key);
	}
	spec[10] = 'g';
	is_int(w3s_key_load_public(spec, &key, &err), W3S_EMALFORMED,
	    "0x with a non-hex digit is malformed");
	ok(key == NULL, "no key on error");
	is_int(w3s_key_load_public("0x1234", &key, &err), W3S_EMALFORMED,
	    "short 0x key is malformed");
}

static void
test_files(void)
{
	struct w3s_key *key = NULL;
	struct w3s_err err = { 0 };
	uint8_t pub[32], sig[64];
	const char *path;
	char missing[256];

	path = write_file("priv.pem", t1_private_pem, 0600);
	is_int(w3s_key_load_private(path, &key, &err), 0,
	    "PEM private key, mode 600");
	if (key != NULL) {
		w3s_key_public(key, pub);
		is_hex(pub, 32, t1_public, "PEM private key: public half");
		is_int(w3s_key_sign(key, (const uint8_t *)"", 0, sig, &err),
		    0, "PEM private key: sign");
		is_hex(sig, 64, t1_sig, "PEM private key: RFC 8032 signature");
		w3s_key_free(key);
		key = NULL;
	}
	is_int(w3s_key_load_public(path, &key, &err), 0,
	    "public half of a PEM private key");
	if (key != NULL) {
		w3s_key_public(key, pub);
		is_hex(pub, 32, t1_public, "public half: bytes");
		is_int(w3s_key_has_private(key), 0,
		    "public half keeps no secret");
		w3s_key_free(key);
		key = NULL;
	}

	chmod(path, 0644);
	is_int(w3s_key_load_private(path, &key, &err), W3S_ESYS,
	    "private key readable by others is refused");
	ok(strstr(err.msg, "chmod 600") != NULL,
	    "the message says to chmod 600 (%s)", err.msg);
	ok(key == NULL, "no key on refusal");
	chmod(path, 0640);
	is_int(w3s_key_load_private(path, &key, &err), W3S_ESYS,
	    "private key readable by group is refused");
	is_int(w3s_key_load_public(path, &key, &err), W3S_ESYS,
	    "public half of an exposed private key file is refused too");
	chmod(path, 0400);
	is_int(w3s_key_load_private(path, &key, &err), 0,
	    "private key mode 400 is accepted");
	w3s_key_free(key);
	key = NULL;

	path = write_file("pub.pem", t1_public_pem, 0644);
	is_int(w3s_key_load_public(path, &key, &err), 0,
	    "PEM public key, mode 644");
	if (key != NULL) {
		w3s_key_public(key, pub);
		is_hex(pub, 32, t1_public, "PEM public key bytes");
		w3s_key_free(key);
		key = NULL;
	}
	path = write_file("pub600.pem", t1_public_pem, 0600);
	is_int(w3s_key_load_private(path, &key, &err), W3S_EMALFORMED,
	    "a public key file is not a private key");

	path = write_file("junk.pem", "not a key\n", 0600);
	is_int(w3s_key_load_private(path, &key, &err), W3S_EMALFORMED,
	    "junk is not a private key");
	is_int(w3s_key_load_public(path, &key, &err), W3S_EMALFORMED,
	    "junk is not a public key");

	snprintf(missing, sizeof(missing), "%s/missing.pem", tmpdir);
	is_int(w3s_key_load_private(missing, &key, &err), W3S_ESYS,
	    "missing private key file is a system error");
	is_int(w3s_key_load_public(missing, &key, &err), W3S_ESYS,
	    "missing public key file is a system error");
	ok(key == NULL, "no key after errors");
}

static void
cleanup(void)
{
	static const char *names[] = { "priv.pem", "pub.pem", "pub600.pem",
	    "junk.pem" };
	char path[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	test_rfc8032();
	test_hex_public();
	test_files();
	cleanup();
	return tap_done();
}
