/* hash.h: SHA-256 and base64 (OpenSSL's libcrypto), for segment
 * fingerprints, idempotency keys and the clipboard escape. Out of memory
 * aborts, as everywhere. */
#ifndef HOOKCAST_HASH_H
#define HOOKCAST_HASH_H

#include <stddef.h>

struct hc_sha256 {
	void *ctx; /* EVP_MD_CTX, owned */
};

void hc_sha256_init(struct hc_sha256 *h);
void hc_sha256_update(struct hc_sha256 *h, const void *p, size_t n);
/* Start dst as a copy of src's state (dst need not be initialised). */
void hc_sha256_copy(struct hc_sha256 *dst, const struct hc_sha256 *src);
/* Finish into lowercase hex (64 digits and a NUL) and free the state. */
void hc_sha256_final_hex(struct hc_sha256 *h, char out[65]);
void hc_sha256_free(struct hc_sha256 *h);
void hc_sha256_hex(const void *p, size_t n, char out[65]);
/* The 32-byte digest of p[0..n), in one call (no allocation). */
void hc_sha256_raw(const void *p, size_t n, unsigned char out[32]);
/* Standard base64 of p[0..n), NUL-terminated. Caller frees. */
char *hc_base64(const void *p, size_t n);

#endif
