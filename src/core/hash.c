#include "hookcast/hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "hookcast/util.h"

static void die(void)
{
	fprintf(stderr, "hookcast: SHA-256 failed (out of memory?)\n");
	abort();
}

/* The algorithm is looked up once: OpenSSL 3 looks it up again, under a
 * lock, on every one-shot SHA256() or EVP_sha256() digest, and that costs
 * more than hashing a URL. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	if (sha256_md == NULL)
		die();
	return sha256_md;
}

void hc_sha256_init(struct hc_sha256 *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c == NULL || EVP_DigestInit_ex(c, sha256(), NULL) != 1)
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

/* One context a thread, kept: made and freed for each digest, it costs as
 * much as the digest of a short string. */
static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *c)
{
	EVP_MD_CTX_free(c);
}

static void ctx_key_make(void)
{
	if (pthread_key_create(&ctx_key, ctx_free) != 0)
		die();
}

void hc_sha256_raw(const void *p, size_t n, unsigned char out[32])
{
	pthread_once(&ctx_once, ctx_key_make);
	EVP_MD_CTX *c = pthread_getspecific(ctx_key);
	if (c == NULL) {
		c = EVP_MD_CTX_new();
		if (c == NULL || pthread_setspecific(ctx_key, c) != 0)
			die();
	}
	unsigned int len = 0;
	if (EVP_DigestInit_ex2(c, sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, p, n) != 1 ||
	    EVP_DigestFinal_ex(c, out, &len) != 1 || len != 32)
		die();
}

char *hc_base64(const void *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}
