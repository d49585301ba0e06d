/*
 * sign.h: signed requests, with OpenSSL's HMAC-SHA256.
 *
 * Standard Webhooks v1: three headers,
 *   webhook-id: the row's (or batch's) idempotency key
 *   webhook-timestamp: the attempt's Unix time
 *   webhook-signature: v1,BASE64(HMAC-SHA256(key, "id.timestamp.body"))
 * with the key base64-decoded from the secret after "whsec_".
 * hmac-sha256: one header, PREFIX + hex or base64 of HMAC-SHA256(secret,
 * body), as GitHub's X-Hub-Signature-256.
 *
 * Every attempt is signed again, so that a retry carries a fresh
 * timestamp. The secret is a secret: nothing here prints it, and error
 * messages name the key, never the value.
 */
#ifndef HOOKCAST_SIGN_H
#define HOOKCAST_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "hookcast/profile.h"
#include "hookcast/util.h"

#define SIGN_HEADERS_MAX 3
#define SIGN_HEADER_MAX 256

struct hc_signer;

/* NULL with no message when the profile does not sign; NULL with an error
 * in msgs when its secret cannot be used (${NAME} unset, not whsec_). *ok
 * tells the two apart. Caller frees. */
struct hc_signer *signer_new(const struct profile *p, struct hc_msgs *msgs,
			     bool *ok);
void signer_free(struct hc_signer *s);

/* Do the signature headers carry the request's id (its key)? */
bool signer_uses_id(const struct hc_signer *s);
/* Fill out[] with the "Name: value" headers for one attempt; returns how
 * many. id may be "" for hmac-sha256. */
size_t signer_headers(const struct hc_signer *s, const char *id, long ts,
		      const void *body, size_t n,
		      char out[SIGN_HEADERS_MAX][SIGN_HEADER_MAX]);

/* The secret as written in the profile was expanded to these bytes: for
 * scrubbing them from what a server sends back. */
const char *signer_secret(const struct hc_signer *s);

/* The key of a "whsec_BASE64" secret; NULL with *err (caller frees) when
 * it is not one. The caller frees the key. */
unsigned char *sign_whsec_decode(const char *secret, size_t *n, char **err);

/* "v1,BASE64" of id.ts.body under key (out: at least 64 bytes). */
void sign_standard(const unsigned char *key, size_t klen, const char *id,
		   long ts, const void *body, size_t n, char *out,
		   size_t outsize);
/* hex (lowercase) or base64 of HMAC-SHA256(key, body) (out: >= 65). */
void sign_hmac(const void *key, size_t klen, const void *body, size_t n,
	       bool base64, char *out, size_t outsize);

/* Does a webhook-signature header value hold a v1 signature that matches
 * (any of its space-separated entries)? Constant-time per comparison. */
bool sign_standard_verify(const unsigned char *key, size_t klen,
			  const char *id, const char *ts, const void *body,
			  size_t n, const char *header);

#endif
