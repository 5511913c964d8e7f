/*
 * A software FIDO "authenticator" for tests: an OpenSSH security key
 * provider (the sk-api middleware interface of ssh-sk-helper, API
 * version 10, OpenSSH 9.2) for ECDSA P-256 and Ed25519 keys. The key
 * handle IS the private key (the P-256 scalar, the Ed25519 seed), so it
 * is worthless as security and meant only to exercise
 * SecurityKeyProvider, enrolment and resident keys end to end. Every
 * signature reports user presence (flag 0x01) and a counter that starts
 * at 1.
 *
 * Resident keys: when $SKPROVIDER_RK names a file, an enrolment with the
 * resident flag (0x20) appends the key to it, one line each, and
 * sk_load_resident_keys returns them. An enrolment reports a fixed
 * attestation ("test-attestation-cert", "test-attestation-sig",
 * "test-authdata"). When $SKPROVIDER_PIN is set, enrolment and
 * loading resident keys need that PIN (SSH_SK_ERR_PIN_REQUIRED without
 * it, or with another).
 *
 * Written for sshstack's conformance tests; built at test time with
 *   cc -shared -fPIC -o provider.so provider.c -lcrypto
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

/* The structures of the middleware interface (ssh_config(5)
 * SecurityKeyProvider, OpenSSH's sk-api.h): field order and types must
 * match the ABI ssh-sk-helper uses. */
struct sk_enroll_response {
	uint8_t flags;
	uint8_t *public_key;
	size_t public_key_len;
	uint8_t *key_handle;
	size_t key_handle_len;
	uint8_t *signature;
	size_t signature_len;
	uint8_t *attestation_cert;
	size_t attestation_cert_len;
	uint8_t *authdata;
	size_t authdata_len;
};

struct sk_sign_response {
	uint8_t flags;
	uint32_t counter;
	uint8_t *sig_r;
	size_t sig_r_len;
	uint8_t *sig_s;
	size_t sig_s_len;
};

struct sk_resident_key {
	uint32_t alg;
	size_t slot;
	char *application;
	struct sk_enroll_response key;
	uint8_t flags;
	uint8_t *user_id;
	size_t user_id_len;
};

struct sk_option {
	char *name;
	char *value;
	uint8_t required;
};

#define API_VERSION 0x000a0000
#define ALG_ECDSA 0x00
#define ALG_ED25519 0x01
#define FLAG_RESIDENT 0x20
#define ERR_GENERAL (-1)
#define ERR_UNSUPPORTED (-2)
#define ERR_PIN_REQUIRED (-3)

/* pin_ok: the PIN $SKPROVIDER_PIN asks for, if any, was given. */
static int
pin_ok(const char *pin)
{
	const char *want = getenv("SKPROVIDER_PIN");

	return want == NULL || (pin != NULL && strcmp(pin, want) == 0);
}

static void
put_hex(FILE *f, const uint8_t *b, size_t n)
{
	size_t i;

	if (n == 0)
		fputc('-', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

/* get_hex decodes a word of put_hex into a new buffer. */
static uint8_t *
get_hex(const char *w, size_t *n)
{
	size_t i, l = strcmp(w, "-") == 0 ? 0 : strlen(w) / 2;
	uint8_t *b = malloc(l + 1);
	unsigned int v;

	if (b == NULL)
		return NULL;
	for (i = 0; i < l; i++) {
		if (sscanf(w + 2 * i, "%2x", &v) != 1) {
			free(b);
			return NULL;
		}
		b[i] = v;
	}
	b[l] = 0;
	*n = l;
	return b;
}

static const char *
option(struct sk_option **options, const char *name)
{
	for (; options != NULL && *options != NULL; options++)
		if (strcmp((*options)->name, name) == 0)
			return (*options)->value;
	return NULL;
}

static int
set_blob(uint8_t **p, size_t *n, const char *s)
{
	*n = strlen(s);
	if ((*p = malloc(*n)) == NULL)
		return -1;
	memcpy(*p, s, *n);
	return 0;
}

/* ed25519_pub derives the public key of a seed. */
static int
ed25519_pub(const uint8_t *seed, uint8_t pub[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	size_t n = 32;
	int ok = k != NULL && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32;

	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

static uint32_t counter = 1;

uint32_t
sk_api_version(void)
{
	return API_VERSION;
}

int
sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len,
    const char *application, uint8_t flags, const char *pin,
    struct sk_option **options, struct sk_enroll_response **out)
{
	EC_KEY *k = NULL;
	struct sk_enroll_response *r = NULL;
	const BIGNUM *d;
	const char *rk, *user;
	FILE *f;
	int ret = ERR_GENERAL;

	(void)challenge; (void)challenge_len;
	*out = NULL;
	if (alg != ALG_ECDSA && alg != ALG_ED25519)
		return ERR_UNSUPPORTED;
	if (!pin_ok(pin))
		return ERR_PIN_REQUIRED;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto done;
	r->flags = flags;
	r->key_handle_len = 32;
	r->public_key_len = alg == ALG_ECDSA ? 65 : 32;
	if ((r->public_key = malloc(r->public_key_len)) == NULL ||
	    (r->key_handle = malloc(32)) == NULL)
		goto done;
	if (alg == ALG_ECDSA) {
		if ((k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
		    !EC_KEY_generate_key(k))
			goto done;
		if (EC_POINT_point2oct(EC_KEY_get0_group(k), EC_KEY_get0_public_key(k),
		    POINT_CONVERSION_UNCOMPRESSED, r->public_key, 65, NULL) != 65)
			goto done;
		d = EC_KEY_get0_private_key(k);
		if (BN_bn2binpad(d, r->key_handle, 32) != 32)
			goto done;
	} else {
		f = fopen("/dev/urandom", "r");
		if (f == NULL || fread(r->key_handle, 1, 32, f) != 32) {
			if (f != NULL)
				fclose(f);
			goto done;
		}
		fclose(f);
		if (ed25519_pub(r->key_handle, r->public_key) != 0)
			goto done;
	}
	if (set_blob(&r->attestation_cert, &r->attestation_cert_len, "test-attestation-cert") != 0 ||
	    set_blob(&r->signature, &r->signature_len, "test-attestation-sig") != 0 ||
	    set_blob(&r->authdata, &r->authdata_len, "test-authdata") != 0)
		goto done;
	if ((flags & FLAG_RESIDENT) != 0 && (rk = getenv("SKPROVIDER_RK")) != NULL) {
		if ((f = fopen(rk, "a")) == NULL)
			goto done;
		user = option(options, "user");
		fprintf(f, "%u %u ", alg, flags);
		put_hex(f, (const uint8_t *)application, strlen(application));
		fputc(' ', f);
		put_hex(f, (const uint8_t *)user, user == NULL ? 0 : strlen(user));
		fputc(' ', f);
		put_hex(f, r->public_key, r->public_key_len);
		fputc(' ', f);
		put_hex(f, r->key_handle, r->key_handle_len);
		fputc('\n', f);
		fclose(f);
	}
	*out = r;
	r = NULL;
	ret = 0;
 done:
	if (r != NULL) {
		free(r->public_key);
		free(r->key_handle);
		free(r->attestation_cert);
		free(r->signature);
		free(r->authdata);
		free(r);
	}
	EC_KEY_free(k);
	return ret;
}

/* sign_ed25519 signs as an Ed25519 authenticator: the signature is
 * over the authenticator data and client data hash themselves. */
static int
sign_ed25519(const uint8_t *data, size_t data_len, const char *application,
    const uint8_t *seed, struct sk_sign_response **out)
{
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *md = NULL;
	struct sk_sign_response *r = NULL;
	uint8_t msg[32 + 1 + 4 + 32];
	size_t n = 64;
	uint32_t c;
	int ret = ERR_GENERAL;

	c = counter++;
	SHA256((const uint8_t *)application, strlen(application), msg);
	msg[32] = 0x01;
	msg[33] = c >> 24; msg[34] = c >> 16; msg[35] = c >> 8; msg[36] = c;
	SHA256(data, data_len, msg + 37);
	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL ||
	    (r->sig_r = malloc(64)) == NULL)
		goto done;
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(md, r->sig_r, &n, msg, sizeof(msg)) != 1 || n != 64)
		goto done;
	r->sig_r_len = 64;
	r->flags = 0x01;
	r->counter = c;
	*out = r;
	r = NULL;
	ret = 0;
 done:
	if (r != NULL) {
		free(r->sig_r);
		free(r);
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ret;
}

int
sk_sign(uint32_t alg, const uint8_t *data, size_t data_len,
    const char *application, const uint8_t *key_handle, size_t key_handle_len,
    uint8_t flags, const char *pin, struct sk_option **options,
    struct sk_sign_response **out)
{
	EC_KEY *k = NULL;
	BIGNUM *d = NULL;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *sr, *ss;
	struct sk_sign_response *r = NULL;
	uint8_t msg[32 + 1 + 4 + 32], digest[32];
	uint32_t c;
	int ret = ERR_GENERAL;

	(void)flags; (void)pin; (void)options;
	*out = NULL;
	if (alg == ALG_ED25519 && key_handle_len == 32)
		return sign_ed25519(data, data_len, application, key_handle, out);
	if (alg != ALG_ECDSA || key_handle_len != 32)
		return ERR_UNSUPPORTED;
	if ((k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
	    (d = BN_bin2bn(key_handle, 32, NULL)) == NULL ||
	    !EC_KEY_set_private_key(k, d))
		goto done;
	/* The authenticator data and client data hash that FIDO signs. */
	c = counter++;
	SHA256((const uint8_t *)application, strlen(application), msg);
	msg[32] = 0x01; /* user present */
	msg[33] = c >> 24; msg[34] = c >> 16; msg[35] = c >> 8; msg[36] = c;
	SHA256(data, data_len, msg + 37);
	SHA256(msg, sizeof(msg), digest);
	if ((sig = ECDSA_do_sign(digest, sizeof(digest), k)) == NULL)
		goto done;
	ECDSA_SIG_get0(sig, &sr, &ss);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto done;
	r->flags = 0x01;
	r->counter = c;
	r->sig_r_len = BN_num_bytes(sr);
	r->sig_s_len = BN_num_bytes(ss);
	if ((r->sig_r = malloc(r->sig_r_len)) == NULL ||
	    (r->sig_s = malloc(r->sig_s_len)) == NULL)
		goto done;
	BN_bn2bin(sr, r->sig_r);
	BN_bn2bin(ss, r->sig_s);
	*out = r;
	r = NULL;
	ret = 0;
 done:
	if (r != NULL) {
		free(r->sig_r);
		free(r->sig_s);
		free(r);
	}
	ECDSA_SIG_free(sig);
	BN_free(d);
	EC_KEY_free(k);
	return ret;
}

int
sk_load_resident_keys(const char *pin, struct sk_option **options,
    struct sk_resident_key ***rks, size_t *nrks)
{
	const char *path = getenv("SKPROVIDER_RK");
	struct sk_resident_key **out = NULL, *rk, **tmp;
	char line[2048], app[1024], user[1024], pub[1024], kh[1024];
	unsigned int alg, flags;
	size_t n = 0, l;
	FILE *f;

	(void)options;
	*rks = NULL;
	*nrks = 0;
	if (path == NULL)
		return ERR_UNSUPPORTED;
	if (!pin_ok(pin))
		return ERR_PIN_REQUIRED;
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%u %u %1023s %1023s %1023s %1023s", &alg, &flags, app, user, pub, kh) != 6)
			continue;
		if ((rk = calloc(1, sizeof(*rk))) == NULL ||
		    (tmp = realloc(out, (n + 1) * sizeof(*out))) == NULL) {
			free(rk);
			break;
		}
		out = tmp;
		rk->alg = alg;
		rk->slot = n;
		rk->flags = flags;
		rk->application = (char *)get_hex(app, &l);
		rk->user_id = get_hex(user, &rk->user_id_len);
		rk->key.public_key = get_hex(pub, &rk->key.public_key_len);
		rk->key.key_handle = get_hex(kh, &rk->key.key_handle_len);
		if (rk->user_id_len == 0) {
			free(rk->user_id);
			rk->user_id = NULL;
		}
		out[n++] = rk;
	}
	fclose(f);
	*rks = out;
	*nrks = n;
	return 0;
}
