/*
 * request.h: from a profile and a segment row to the exact request.
 *
 * A request plan is compiled once from a profile: the base URL is expanded
 * and validated with libcurl's URL API, the static parameters are encoded,
 * and the headers are expanded and checked. request_plan_bind() then
 * resolves each mapping to a segment column. Building a row's URL after
 * that costs one pass over its mapped values.
 *
 * Encoding: every appended key and value is percent-encoded byte by byte
 * with curl_easy_escape; only A-Z a-z 0-9 - . _ ~ stay as they are. The
 * base URL, with its own query, is kept exactly as written.
 *
 * Secrets: every value that came from ${NAME} is a secret, and so is a
 * literal Authorization, *token*, *key* or *secret* header value. The
 * "shown" forms (request_build()'s shown URL, request_header_shown()) keep
 * ${NAME} in place of the value and *** in place of a literal secret; only
 * the real forms go on the wire. Error messages never hold a secret.
 */
#ifndef HOOKCAST_REQUEST_H
#define HOOKCAST_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hookcast/profile.h"
#include "hookcast/segment.h"
#include "hookcast/util.h"

#define REQUEST_URL_MAX 8192

struct request_plan;

/* Returns NULL when msgs gained an error. Caller frees the plan. The plan
 * copies what it needs: the profile may be freed first. */
struct request_plan *request_plan_new(const struct profile *p,
				      struct hc_msgs *msgs);
void request_plan_free(struct request_plan *plan);

/* Resolve the mappings against the segment's columns; -1 on an error (a
 * column the segment lacks). Warnings (a query key sent twice) do not fail. */
int request_plan_bind(struct request_plan *plan, const struct segment *seg,
		      struct hc_msgs *msgs);

const char *request_method(const struct request_plan *plan);

/*
 * Build the URL for a row. url gets the real URL and shown (when not NULL)
 * the redacted one; both are reset first. Returns 0, or -1 when the row can
 * never be sent, with why set to the reason (an invalid segment row, a URL
 * over REQUEST_URL_MAX). The plan must be bound.
 */
int request_build(const struct request_plan *plan,
		  const struct segment_row *row, struct hc_buf *url,
		  struct hc_buf *shown, struct hc_buf *why);

/*
 * request_build() and the row's body ([body]), reset first; empty when
 * the profile has none. The URL and body verdicts are the same as
 * request_check()'s, and a body over [body] batch_bytes is invalid too.
 */
int request_build_body(const struct request_plan *plan,
		       const struct segment_row *row, struct hc_buf *url,
		       struct hc_buf *shown, struct hc_buf *body,
		       struct hc_buf *why);
struct body_plan;
const struct body_plan *request_body(const struct request_plan *plan);
/* What --headers adds to a printed request: the headers hookcast sets
 * (libcurl adds Host and Accept). */
struct hc_signer;
struct request_show {
	const struct request_plan *plan;
	const struct hc_signer *signer; /* NULL: requests are not signed */
	const char *key_header;         /* NULL or "": no idempotency key */
	const char *key_note;           /* shown instead of a key that only
					 * the run knows (NULL: none) */
	const char *sig_note;           /* the same for the signature */
	bool secrets;                   /* header values as sent */
};

/* A request as preview and dry runs print it: "METHOD URL"; with show,
 * the headers and a blank line; then the body's exact bytes (if any) and
 * a blank line. key is the request's idempotency key ("" for none). */
void request_print(FILE *out, const char *method, const char *url,
		   const struct hc_buf *body, const struct request_show *show,
		   const char *key);

/*
 * The same verdict as request_build(), without building the URL: for
 * validating a whole segment fast. 0, or -1 with why set.
 */
int request_check(const struct request_plan *plan,
		  const struct segment_row *row, struct hc_buf *why);

/* Percent-encode s[0..n) onto b exactly as curl_easy_escape does: only
 * A-Z a-z 0-9 - . _ ~ stay as they are. */
void request_escape(struct hc_buf *b, const char *s, size_t n);
size_t request_escaped_len(const char *s, size_t n);

/* How much of a shown URL comes before the mapped parameters (the base URL
 * and the static ones): the rest of it comes from the row. */
size_t request_shown_prefix_len(const struct request_plan *plan);

/*
 * The row's idempotency key, 32 hex digits: a SHA-256 of the profile's URL,
 * method, static parameters and mappings as written, and of the row's
 * fields. The same row under the same profile always gets the same key.
 */
void request_row_key(const struct request_plan *plan,
		     const struct segment_row *row, char out[65]);
/* The same key with salt mixed in after the row: a sync sends one record
 * as added, changed or removed, and each event (after each earlier
 * delivery) gets a key of its own. */
void request_row_key_salted(const struct request_plan *plan,
			    const struct segment_row *row, const void *salt,
			    size_t saltlen, char out[65]);
/* s (n bytes) with each %XX decoded, and each '+' as a space when
 * plus_space (a form's encoding); *outlen (may be NULL) its length, as it
 * may hold NUL bytes. The caller frees. */
char *request_unescape(const char *s, size_t n, bool plus_space,
		       size_t *outlen);
/* Keep n bytes of every URL for parameters appended later (a sync's
 * event): a row whose URL leaves less is invalid, like one over the
 * limit. */
void request_plan_reserve(struct request_plan *plan, size_t n);
/* Append name=value (both percent-encoded) to a built URL, with '?' or
 * '&' as it needs. */
void request_append_param(struct hc_buf *url, const char *name,
			  const char *value);

/* The test request's own key: derived from the row's, but never equal to
 * it, so that a receiver that honours keys does not drop the real row
 * when the run sends it ("test-" + the row's key). */
#define REQUEST_TEST_KEY_MAX 72
void request_test_key(const char *row_key, char out[REQUEST_TEST_KEY_MAX]);

/* Overwrite with '*' every secret value of the plan found in buf, as sent
 * or percent-encoded: the ${NAME} values and the literal secrets (four
 * bytes or more). For what a server sends back: an echo server repeats
 * the request. */
void request_redact(const struct request_plan *plan, char *buf, size_t len);

size_t request_nheaders(const struct request_plan *plan);
/* "Name: value" as sent, and as it may be shown. */
const char *request_header(const struct request_plan *plan, size_t i);
const char *request_header_shown(const struct request_plan *plan, size_t i);

/*
 * Expand ${NAME} from the environment. When escape is set, literal text
 * and expanded values are percent-encoded in real, and shown gets the
 * encoded literal text with ${NAME} kept as written. Returns 0; -1 with
 * *err set (caller frees) for an undefined variable or a bad "${".
 * *secret (may be NULL) tells whether a variable was expanded.
 */
int request_expand(const char *tmpl, bool escape, struct hc_buf *real,
		   struct hc_buf *shown, bool *secret, char **err);

#endif
