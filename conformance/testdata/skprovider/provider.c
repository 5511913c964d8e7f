/*
 * A software FIDO "authenticator" for tests: an OpenSSH security key
 * provider (the sk-api middleware interface of ssh-sk-helper, API
 * version 10, OpenSSH 9.2) for ECDSA P-256 keys only. The key handle IS
 * the private scalar, so it is worthless as security and meant only to
 * exercise SecurityKeyProvider end to end. Every signature reports user
 * presence (flag 0x01) and a counter that starts at 1.
 *
 * Written for sshstack's conformance tests; built at test time with
 *   cc -shared -fPIC -o provider.so provider.c -lcrypto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

struct sk_resident_key;
struct sk_option;

#define API_VERSION 0x000a0000
#define ALG_ECDSA 0x00
#define ERR_GENERAL (-1)
#define ERR_UNSUPPORTED (-2)

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
	int ret = ERR_GENERAL;

	(void)challenge; (void)challenge_len; (void)application;
	(void)pin; (void)options;
	*out = NULL;
	if (alg != ALG_ECDSA)
		return ERR_UNSUPPORTED;
	if ((k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
	    !EC_KEY_generate_key(k))
		goto done;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto done;
	r->flags = flags;
	r->public_key_len = 65;
	r->key_handle_len = 32;
	if ((r->public_key = malloc(65)) == NULL ||
	    (r->key_handle = malloc(32)) == NULL)
		goto done;
	if (EC_POINT_point2oct(EC_KEY_get0_group(k), EC_KEY_get0_public_key(k),
	    POINT_CONVERSION_UNCOMPRESSED, r->public_key, 65, NULL) != 65)
		goto done;
	d = EC_KEY_get0_private_key(k);
	if (BN_bn2binpad(d, r->key_handle, 32) != 32)
		goto done;
	*out = r;
	r = NULL;
	ret = 0;
 done:
	if (r != NULL) {
		free(r->public_key);
		free(r->key_handle);
		free(r);
	}
	EC_KEY_free(k);
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
	(void)pin; (void)options;
	*rks = NULL;
	*nrks = 0;
	return ERR_UNSUPPORTED;
}
