/* hash.h: SHA-256 and base64 (OpenSSL's libcrypto), for segment
 * fingerprints, idempotency keys and the clipboard escape. Out of memory
 * aborts, as everywhere. */
#ifndef HOOKCAST_HASH_H
#define HOOKCAST_HASH_H

#include <stddef.h>

#include <openssl/sha.h>

/* The digest's state, held by value: copying it is an assignment, and it
 * owns no memory. OpenSSL's SHA256_CTX, which libcrypto 3 still ships
 * but marks deprecated: its EVP interface allocates a context (and
 * copies one) per digest, and a run takes one digest per row. */
struct hc_sha256 {
	SHA256_CTX c;
};

void hc_sha256_init(struct hc_sha256 *h);
void hc_sha256_update(struct hc_sha256 *h, const void *p, size_t n);
/* Finish into lowercase hex (64 digits and a NUL). */
void hc_sha256_final_hex(struct hc_sha256 *h, char out[65]);
void hc_sha256_hex(const void *p, size_t n, char out[65]);
/* The 32-byte digest of p[0..n), in one call. */
void hc_sha256_raw(const void *p, size_t n, unsigned char out[32]);
/* Standard base64 of p[0..n), NUL-terminated. Caller frees. */
char *hc_base64(const void *p, size_t n);

#endif
