#include "hookcast/sign.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookcast/request.h"

struct hc_signer {
	enum profile_sign scheme;
	unsigned char *key; /* standard-webhooks: decoded; hmac: as given */
	size_t klen;
	char *secret;       /* the expanded secret, for redaction */
	char *header, *prefix;
	bool base64;
};

unsigned char *sign_whsec_decode(const char *secret, size_t *n, char **err)
{
	static const char pre[] = "whsec_";
	if (strncmp(secret, pre, sizeof pre - 1) != 0) {
		*err = xstrdup("a Standard Webhooks secret starts with whsec_ "
			       "and then the key in base64");
		return NULL;
	}
	const char *b64 = secret + sizeof pre - 1;
	size_t len = strlen(b64);
	if (len == 0 || len % 4 != 0 || len > 4096 ||
	    strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789+/=") != len) {
		*err = xstrdup("the part after whsec_ is not valid base64 "
			       "(A-Z a-z 0-9 + / and = padding, a multiple "
			       "of 4 characters)");
		return NULL;
	}
	unsigned char *key = xmalloc(len / 4 * 3 + 1);
	int got = EVP_DecodeBlock(key, (const unsigned char *)b64, (int)len);
	size_t pad = (b64[len - 1] == '=') + (b64[len - 2] == '=');
	const char *eq = strchr(b64, '=');
	if (got < 0 || (eq && (size_t)(eq - b64) != len - pad) ||
	    (size_t)got <= pad) {
		free(key);
		*err = xstrdup("the part after whsec_ is not valid base64");
		return NULL;
	}
	*n = (size_t)got - pad;
	return key;
}

/* Fetching the algorithm is costly in OpenSSL 3: once per process. */
static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static void hmac256(const void *key, size_t klen, const void *const *parts,
		    const size_t *lens, size_t nparts, unsigned char md[32])
{
	/* One HMAC over the parts joined, without copying the body. */
	pthread_once(&hmac_once, hmac_fetch);
	EVP_MAC_CTX *ctx = hmac_alg ? EVP_MAC_CTX_new(hmac_alg) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t mdlen = 0;
	if (ctx == NULL || !EVP_MAC_init(ctx, key, klen, params)) {
		fprintf(stderr, "hookcast: OpenSSL cannot compute HMAC-SHA256\n");
		abort();
	}
	for (size_t i = 0; i < nparts; i++)
		EVP_MAC_update(ctx, parts[i], lens[i]);
	EVP_MAC_final(ctx, md, &mdlen, 32);
	EVP_MAC_CTX_free(ctx);
}

void sign_standard(const unsigned char *key, size_t klen, const char *id,
		   long ts, const void *body, size_t n, char *out,
		   size_t outsize)
{
	char tsbuf[32];
	snprintf(tsbuf, sizeof tsbuf, "%ld", ts);
	const void *parts[5] = { id, ".", tsbuf, ".", body ? body : "" };
	size_t lens[5] = { strlen(id), 1, strlen(tsbuf), 1, n };
	unsigned char md[32];
	hmac256(key, klen, parts, lens, 5, md);
	char b64[48];
	EVP_EncodeBlock((unsigned char *)b64, md, 32);
	snprintf(out, outsize, "v1,%s", b64);
}

void sign_hmac(const void *key, size_t klen, const void *body, size_t n,
	       bool base64, char *out, size_t outsize)
{
	const void *parts[1] = { body ? body : "" };
	size_t lens[1] = { n };
	unsigned char md[32];
	hmac256(key, klen, parts, lens, 1, md);
	if (base64) {
		char b64[48];
		EVP_EncodeBlock((unsigned char *)b64, md, 32);
		snprintf(out, outsize, "%s", b64);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	char h[65];
	for (int i = 0; i < 32; i++) {
		h[2 * i] = hex[md[i] >> 4];
		h[2 * i + 1] = hex[md[i] & 15];
	}
	h[64] = '\0';
	snprintf(out, outsize, "%s", h);
}

bool sign_standard_verify(const unsigned char *key, size_t klen,
			  const char *id, const char *ts, const void *body,
			  size_t n, const char *header)
{
	char *end = NULL;
	long t = strtol(ts, &end, 10);
	if (*ts == '\0' || *end != '\0')
		return false;
	char want[64];
	sign_standard(key, klen, id, t, body, n, want, sizeof want);
	size_t wl = strlen(want);
	bool ok = false;
	for (const char *p = header; *p;) {
		p += strspn(p, " ");
		size_t len = strcspn(p, " ");
		if (len == wl && CRYPTO_memcmp(p, want, wl) == 0)
			ok = true;
		p += len;
	}
	return ok;
}

struct hc_signer *signer_new(const struct profile *p, struct hc_msgs *msgs,
			     bool *ok)
{
	*ok = true;
	if (p->sign_scheme == PROFILE_SIGN_NONE)
		return NULL;
	char *where = profile_where(p, "signing", "secret");
	struct hc_buf real;
	hc_buf_init(&real);
	char *err = NULL;
	if (p->sign_secret == NULL || p->sign_secret[0] == '\0') {
		hc_msgs_add(msgs, HC_ERROR, "%s: is required", where);
		goto fail;
	}
	if (request_expand(p->sign_secret, false, &real, NULL, NULL, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s: %s", where, err);
		goto fail;
	}
	if (real.len == 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s: the secret is empty", where);
		goto fail;
	}
	struct hc_signer *s = xcalloc(1, sizeof *s);
	s->scheme = p->sign_scheme;
	s->base64 = p->sign_base64;
	s->header = xstrdup(profile_sign_header(p));
	s->prefix = xstrdup(profile_sign_prefix(p));
	if (s->scheme == PROFILE_SIGN_STANDARD) {
		s->key = sign_whsec_decode(real.data, &s->klen, &err);
		if (s->key == NULL) {
			hc_msgs_add(msgs, HC_ERROR, "%s: %s%s", where,
				    hc_value_literal(p->sign_secret,
						     strlen(p->sign_secret))
					    ? "" : "the value from the "
						   "environment: ", err);
			signer_free(s);
			goto fail;
		}
	} else {
		s->key = (unsigned char *)xstrndup(real.data, real.len);
		s->klen = real.len;
	}
	s->secret = hc_buf_steal(&real);
	free(where);
	return s;
fail:
	free(err);
	free(where);
	hc_buf_free(&real);
	*ok = false;
	return NULL;
}

void signer_free(struct hc_signer *s)
{
	if (s == NULL)
		return;
	if (s->key)
		OPENSSL_cleanse(s->key, s->klen);
	free(s->key);
	if (s->secret)
		OPENSSL_cleanse(s->secret, strlen(s->secret));
	free(s->secret);
	free(s->header);
	free(s->prefix);
	free(s);
}

const char *signer_secret(const struct hc_signer *s)
{
	return s ? s->secret : NULL;
}

bool signer_uses_id(const struct hc_signer *s)
{
	return s->scheme == PROFILE_SIGN_STANDARD;
}

size_t signer_headers(const struct hc_signer *s, const char *id, long ts,
		      const void *body, size_t n,
		      char out[SIGN_HEADERS_MAX][SIGN_HEADER_MAX])
{
	char sig[128];
	if (s->scheme == PROFILE_SIGN_STANDARD) {
		sign_standard(s->key, s->klen, id, ts, body, n, sig, sizeof sig);
		snprintf(out[0], SIGN_HEADER_MAX, "webhook-id: %s", id);
		snprintf(out[1], SIGN_HEADER_MAX, "webhook-timestamp: %ld", ts);
		snprintf(out[2], SIGN_HEADER_MAX, "webhook-signature: %s", sig);
		return 3;
	}
	sign_hmac(s->key, s->klen, body, n, s->base64, sig, sizeof sig);
	snprintf(out[0], SIGN_HEADER_MAX, "%s: %s%s", s->header, s->prefix, sig);
	return 1;
}
