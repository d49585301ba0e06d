/* SHA256_Init() and the rest are deprecated in OpenSSL 3, not removed:
 * they keep the state in a plain struct (see hash.h). */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "hookcast/hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>

#include "hookcast/util.h"

static void die(void)
{
	fprintf(stderr, "hookcast: SHA-256 failed\n");
	abort();
}

void hc_sha256_init(struct hc_sha256 *h)
{
	if (SHA256_Init(&h->c) != 1)
		die();
}

void hc_sha256_update(struct hc_sha256 *h, const void *p, size_t n)
{
	if (n > 0 && SHA256_Update(&h->c, p, n) != 1)
		die();
}

void hc_sha256_final_hex(struct hc_sha256 *h, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	if (SHA256_Final(md, &h->c) != 1)
		die();
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void hc_sha256_hex(const void *p, size_t n, char out[65])
{
	struct hc_sha256 h;
	hc_sha256_init(&h);
	hc_sha256_update(&h, p, n);
	hc_sha256_final_hex(&h, out);
}

void hc_sha256_raw(const void *p, size_t n, unsigned char out[32])
{
	struct hc_sha256 h;
	hc_sha256_init(&h);
	hc_sha256_update(&h, p, n);
	if (SHA256_Final(out, &h.c) != 1)
		die();
}

char *hc_base64(const void *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}
