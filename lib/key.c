/* Ed25519 keys. The one module that includes OpenSSL's key headers
 * (signatures are checked with libsodium). Key files are read whole into
 * memory (they are a few hundred bytes), parsed from there, and the copy
 * is wiped before it is freed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/key.h>

_Static_assert(crypto_sign_PUBLICKEYBYTES == W3S_PUBKEY_LEN &&
    crypto_sign_BYTES == W3S_SIGNATURE_LEN, "Ed25519 sizes");

/* Larger than any PEM Ed25519 key file, small enough to hold in memory. */
#define KEY_FILE_MAX 65536

struct w3s_key {
	EVP_PKEY *pkey;
	uint8_t pub[W3S_PUBKEY_LEN];
	int has_private;
};

struct key_file {
	char *text;
	size_t len;
	mode_t mode;
};

/* Never prompt for a passphrase: encrypted keys are refused instead. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static void
key_file_release(struct key_file *kf)
{
	if (kf->text != NULL) {
		OPENSSL_cleanse(kf->text, kf->len);
		free(kf->text);
	}
	memset(kf, 0, sizeof(*kf));
}

static int
key_file_read(const char *path, struct key_file *kf, struct w3s_err *err)
{
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	memset(kf, 0, sizeof(*kf));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return w3s_err_sys(err, errno, "cannot open key file %s", path);
	if (fstat(fd, &st) != 0) {
		rc = w3s_err_sys(err, errno, "cannot stat key file %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = w3s_err_set(err, W3S_EMALFORMED,
		    "key file %s is not a regular file", path);
		goto out;
	}
	if (st.st_size > KEY_FILE_MAX) {
		rc = w3s_err_set(err, W3S_EMALFORMED,
		    "key file %s is too large to be a key (%lld bytes)", path,
		    (long long)st.st_size);
		goto out;
	}
	kf->mode = st.st_mode;
	kf->text = malloc(KEY_FILE_MAX + 1);
	if (kf->text == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto out;
	}
	/* The size may change under us: read up to the cap, whatever stat
	 * said. */
	while (kf->len < KEY_FILE_MAX) {
		n = read(fd, kf->text + kf->len, KEY_FILE_MAX - kf->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = w3s_err_sys(err, errno, "cannot read key file %s",
			    path);
			goto out;
		}
		if (n == 0)
			break;
		kf->len += (size_t)n;
	}
	kf->text[kf->len] = '\0';
out:
	close(fd);
	if (rc != 0)
		key_file_release(kf);
	return rc;
}

/* As ssh: a private key must not be open to group or others. */
static int
check_private_mode(const char *path, mode_t mode, struct w3s_err *err)
{
	if ((mode & (S_IRWXG | S_IRWXO)) == 0)
		return 0;
	return w3s_err_set(err, W3S_ESYS,
	    "private key file %s has permissions %04o, open to group or "
	    "others: run chmod 600 %s", path, (unsigned)(mode & 07777), path);
}

/* Wraps pkey (owned from now on) into a new key after checking its type. */
static int
key_wrap(EVP_PKEY *pkey, int has_private, const char *what,
    struct w3s_key **out, struct w3s_err *err)
{
	struct w3s_key *key;
	size_t publen = W3S_PUBKEY_LEN;

	if (EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%s is not an Ed25519 key", what);
	}
	key = calloc(1, sizeof(*key));
	if (key == NULL) {
		EVP_PKEY_free(pkey);
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	}
	if (EVP_PKEY_get_raw_public_key(pkey, key->pub, &publen) != 1 ||
	    publen != W3S_PUBKEY_LEN) {
		ERR_clear_error();
		EVP_PKEY_free(pkey);
		free(key);
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%s: cannot read the public key", what);
	}
	key->pkey = pkey;
	key->has_private = has_private;
	*out = key;
	return 0;
}

/* Parses a PEM private key held in kf; NULL when it is not one. */
static EVP_PKEY *
parse_private(const struct key_file *kf)
{
	EVP_PKEY *pkey;
	BIO *bio;

	bio = BIO_new_mem_buf(kf->text, (int)kf->len);
	if (bio == NULL)
		return NULL;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return pkey;
}

static EVP_PKEY *
parse_public(const struct key_file *kf)
{
	EVP_PKEY *pkey;
	BIO *bio;

	bio = BIO_new_mem_buf(kf->text, (int)kf->len);
	if (bio == NULL)
		return NULL;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return pkey;
}

static int
not_a_key(const char *path, const struct key_file *kf, struct w3s_err *err)
{
	if (strstr(kf->text, "ENCRYPTED") != NULL)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "key file %s is encrypted; use an unencrypted key", path);
	return w3s_err_set(err, W3S_EMALFORMED,
	    "key file %s does not hold a PEM key", path);
}

int
w3s_key_load_private(const char *path, struct w3s_key **out,
    struct w3s_err *err)
{
	struct key_file kf;
	EVP_PKEY *pkey;
	int rc;

	*out = NULL;
	if ((rc = key_file_read(path, &kf, err)) != 0)
		return rc;
	if ((rc = check_private_mode(path, kf.mode, err)) != 0)
		goto out;
	if ((pkey = parse_private(&kf)) == NULL) {
		rc = not_a_key(path, &kf, err);
		goto out;
	}
	rc = key_wrap(pkey, 1, path, out, err);
out:
	key_file_release(&kf);
	return rc;
}

int
w3s_key_load_public(const char *spec, struct w3s_key **out,
    struct w3s_err *err)
{
	uint8_t pub[W3S_PUBKEY_LEN];
	struct key_file kf;
	EVP_PKEY *pkey;
	int rc;

	*out = NULL;
	if (spec[0] == '0' && (spec[1] == 'x' || spec[1] == 'X')) {
		if (w3s_hex32_parse(pub, spec, NULL) != 0)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "public key '%.80s' is not 0x followed by 64 hex "
			    "digits", spec);
		return w3s_key_from_raw_public(pub, out, err);
	}
	if ((rc = key_file_read(spec, &kf, err)) != 0)
		return rc;
	if ((pkey = parse_public(&kf)) != NULL) {
		rc = key_wrap(pkey, 0, spec, out, err);
		goto out;
	}
	if ((pkey = parse_private(&kf)) == NULL) {
		rc = not_a_key(spec, &kf, err);
		goto out;
	}
	if ((rc = check_private_mode(spec, kf.mode, err)) != 0) {
		EVP_PKEY_free(pkey);
		goto out;
	}
	if ((rc = key_wrap(pkey, 1, spec, out, err)) != 0)
		goto out;
	/* Only the public half was asked for: do not keep the secret. */
	EVP_PKEY_free((*out)->pkey);
	(*out)->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    (*out)->pub, W3S_PUBKEY_LEN);
	(*out)->has_private = 0;
	if ((*out)->pkey == NULL) {
		ERR_clear_error();
		w3s_key_free(*out);
		*out = NULL;
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
	}
out:
	key_file_release(&kf);
	return rc;
}

int
w3s_key_from_raw_private(const uint8_t secret[32], struct w3s_key **out,
    struct w3s_err *err)
{
	EVP_PKEY *pkey;

	*out = NULL;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, secret,
	    32);
	if (pkey == NULL) {
		ERR_clear_error();
		return w3s_err_set(err, W3S_ESYS,
		    "cannot make an Ed25519 key from its secret");
	}
	return key_wrap(pkey, 1, "secret", out, err);
}

int
w3s_key_from_raw_public(const uint8_t pub[W3S_PUBKEY_LEN],
    struct w3s_key **out, struct w3s_err *err)
{
	EVP_PKEY *pkey;

	*out = NULL;
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    W3S_PUBKEY_LEN);
	if (pkey == NULL) {
		ERR_clear_error();
		return w3s_err_set(err, W3S_EMALFORMED,
		    "not a valid Ed25519 public key");
	}
	return key_wrap(pkey, 0, "public key", out, err);
}

void
w3s_key_free(struct w3s_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	OPENSSL_cleanse(key, sizeof(*key));
	free(key);
}

void
w3s_key_public(const struct w3s_key *key, uint8_t pub[W3S_PUBKEY_LEN])
{
	memcpy(pub, key->pub, W3S_PUBKEY_LEN);
}

int
w3s_key_has_private(const struct w3s_key *key)
{
	return key->has_private;
}

int
w3s_key_sign(const struct w3s_key *key, const uint8_t *msg, size_t len,
    uint8_t sig[W3S_SIGNATURE_LEN], struct w3s_err *err)
{
	EVP_MD_CTX *ctx;
	size_t siglen = W3S_SIGNATURE_LEN;
	int ok;

	if (!key->has_private)
		return w3s_err_set(err, W3S_EUSAGE,
		    "cannot sign with a public key");
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	/* Ed25519 hashes internally: no digest is named. */
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 &&
	    siglen == W3S_SIGNATURE_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		return w3s_err_set(err, W3S_ESYS, "signing failed");
	}
	return 0;
}

/* Signatures this thread has accepted, by H(pub || sig || H(msg)): an
 * import checks the target's signatures when it reads the manifest and
 * again when it records them as checkpoints, and delta-replay reads every
 * manifest once to plan and once to apply. Only the same key, signature
 * and message find an entry; a rejection is never kept. */
#define VERIFIED_KEEP 8

static _Thread_local uint8_t verified[VERIFIED_KEEP][W3S_HASH_LEN];
static _Thread_local unsigned verified_next;

/* libsodium rather than OpenSSL: 47 against 106 microseconds a signature
 * here (OpenSSL builds an EVP_PKEY and fetches the algorithm each time).
 * It is the stricter of the two (it also refuses small-order and
 * non-canonical keys and R values, which no honest signer makes). */
int
w3s_key_verify(const uint8_t pub[W3S_PUBKEY_LEN], const uint8_t *msg,
    size_t len, const uint8_t sig[W3S_SIGNATURE_LEN])
{
	uint8_t in[W3S_PUBKEY_LEN + W3S_SIGNATURE_LEN + W3S_HASH_LEN];
	uint8_t id[W3S_HASH_LEN];

	/* id = H(pub || sig || H(msg)); w3s_hash_blake2b sets libsodium up
	 * for the check below too. */
	memcpy(in, pub, W3S_PUBKEY_LEN);
	memcpy(in + W3S_PUBKEY_LEN, sig, W3S_SIGNATURE_LEN);
	w3s_hash_blake2b(in + W3S_PUBKEY_LEN + W3S_SIGNATURE_LEN, msg, len);
	w3s_hash_blake2b(id, in, sizeof(in));
	for (unsigned i = 0; i < VERIFIED_KEEP; i++)
		if (memcmp(verified[i], id, sizeof(id)) == 0)
			return 0;
	if (crypto_sign_verify_detached(sig, msg, len, pub) != 0)
		return W3S_EVERIFY;
	memcpy(verified[verified_next++ % VERIFIED_KEEP], id, sizeof(id));
	return 0;
}
