#include "hookcast/hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>

#include "hookcast/util.h"

static void die(void)
{
	fprintf(stderr, "hookcast: SHA-256 failed (out of memory?)\n");
	abort();
}

void hc_sha256_init(struct hc_sha256 *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		die();
	h->ctx = c;
}

void hc_sha256_update(struct hc_sha256 *h, const void *p, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(h->ctx, p, n) != 1)
		die();
}

void hc_sha256_copy(struct hc_sha256 *dst, const struct hc_sha256 *src)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c == NULL || EVP_MD_CTX_copy_ex(c, src->ctx) != 1)
		die();
	dst->ctx = c;
}

void hc_sha256_final_hex(struct hc_sha256 *h, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		die();
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	hc_sha256_free(h);
}

void hc_sha256_free(struct hc_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
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
	if (SHA256(p, n, out) == NULL)
		die();
}

char *hc_base64(const void *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}
