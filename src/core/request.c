#include "hookcast/request.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hookcast/body.h"
#include "hookcast/engine.h"
#include "hookcast/hash.h"
#include "hookcast/sign.h"

struct mapped {
	char *name;     /* "map1", for messages */
	char *key;      /* the query key as written */
	char *column;   /* the segment column */
	char *key_eq;   /* the encoded query key followed by '=' */
	size_t key_eq_len;
	long index;     /* the column's index once bound, else -1 */
};

struct request_plan {
	char *method;
	char *where_url; /* "FILE:LINE: [destination] url", for messages */
	/* The base URL and the static parameters, ready to append to. */
	struct hc_buf prefix, prefix_shown;
	char sep; /* what goes before the next parameter: '?', '&' or 0 */
	struct mapped *maps;
	size_t nmaps;
	bool omit_empty;
	bool bound;
	size_t reserve; /* bytes kept for parameters added later */
	char **headers, **headers_shown;
	size_t nheaders;
	/* The profile's static keys and where they are, for duplicate checks
	 * at bind time. */
	char **static_keys;
	char **static_names;
	size_t nstatics;
	char *profile_path;
	struct hc_sha256 key_base; /* the profile's part of every row key */
	/* Secret values, as sent and percent-encoded, to scrub from what a
	 * server sends back (an echo server repeats the request). */
	char **secrets;
	size_t nsecrets;
	struct body_plan *body; /* [body]; its format may be none */
	size_t body_max;        /* a row's body over this is invalid */
};

/* RFC 3986 unreserved bytes: the ones curl_easy_escape leaves alone. */
#define U1(c) [c] = 1
#define URANGE10(a) U1(a), U1(a + 1), U1(a + 2), U1(a + 3), U1(a + 4), \
	U1(a + 5), U1(a + 6), U1(a + 7), U1(a + 8), U1(a + 9)
static const unsigned char unreserved_table[256] = {
	URANGE10('0'), URANGE10('A'), URANGE10('A' + 10), U1('U'), U1('V'),
	U1('W'), U1('X'), U1('Y'), U1('Z'), URANGE10('a'), URANGE10('a' + 10),
	U1('u'), U1('v'), U1('w'), U1('x'), U1('y'), U1('z'), U1('-'), U1('.'),
	U1('_'), U1('~'),
};
#undef U1
#undef URANGE10

static inline bool unreserved(unsigned char c)
{
	return unreserved_table[c] != 0;
}

/*
 * The same encoding as curl_easy_escape (a unit test compares the two on
 * random bytes), written straight into the buffer: curl_easy_escape
 * allocates for every value, and a run encodes millions of them.
 */
void request_escape(struct hc_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	hc_buf_reserve(b, 3 * n);
	char *o = b->data + b->len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c)) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

size_t request_escaped_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t keep = 0;
	for (size_t i = 0; i < n; i++)
		keep += unreserved_table[u[i]];
	return n + 2 * (n - keep);
}

static void escape_into(struct hc_buf *b, const char *s, size_t n)
{
	request_escape(b, s, n);
}

static bool var_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool var_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

int request_expand(const char *tmpl, bool escape, struct hc_buf *real,
		   struct hc_buf *shown, bool *secret, char **err)
{
	const char *p = tmpl;
	if (secret)
		*secret = false;
	while (*p) {
		const char *d = strstr(p, "${");
		size_t lit = d ? (size_t)(d - p) : strlen(p);
		bool literal = d && d > p && d[-1] == '$'; /* "$${": "${" */
		if (literal)
			lit--;
		if (escape) {
			escape_into(real, p, lit);
			if (shown)
				escape_into(shown, p, lit);
		} else {
			hc_buf_add(real, p, lit);
			if (shown)
				hc_buf_add(shown, p, lit);
		}
		if (d == NULL)
			break;
		if (literal) { /* shown as sent: it is no secret */
			if (escape) {
				escape_into(real, "${", 2);
				if (shown)
					escape_into(shown, "${", 2);
			} else {
				hc_buf_add(real, "${", 2);
				if (shown)
					hc_buf_add(shown, "${", 2);
			}
			p = d + 2;
			continue;
		}
		const char *name = d + 2;
		size_t n = 0;
		if (var_start(name[0]))
			while (var_char(name[n]))
				n++;
		if (n == 0 || name[n] != '}') {
			*err = xstrdup("\"${\" must start a ${NAME} reference "
				       "(letters, digits and _, closed by })");
			return -1;
		}
		char *var = xstrndup(name, n);
		const char *val = getenv(var);
		if (val == NULL) {
			*err = xasprintf("${%s} is not set in the environment",
					 var);
			free(var);
			return -1;
		}
		free(var);
		if (escape)
			escape_into(real, val, strlen(val));
		else
			hc_buf_adds(real, val);
		if (shown)
			hc_buf_add(shown, d, n + 3);
		if (secret)
			*secret = true;
		p = name + n + 1;
	}
	return 0;
}

static void add_param(struct hc_buf *b, char *sep, const char *key_eq,
		      const char *enc_value)
{
	if (*sep)
		hc_buf_addc(b, *sep);
	hc_buf_adds(b, key_eq);
	hc_buf_adds(b, enc_value);
	*sep = '&';
}

/* Check the expanded base URL with libcurl's parser. Messages show the URL
 * as written (it may hold ${NAME}), never the expanded one. */
static int check_base_url(struct request_plan *plan, const char *real,
			  struct hc_msgs *msgs)
{
	if (strchr(real, '#') != NULL) {
		hc_msgs_add(msgs, HC_ERROR, "%s: the URL has a #fragment, "
			    "which never reaches the server; remove it",
			    plan->where_url);
		return -1;
	}
	CURLU *u = curl_url();
	if (u == NULL) {
		hc_msgs_add(msgs, HC_ERROR, "%s: out of memory", plan->where_url);
		return -1;
	}
	int rc = -1;
	char *scheme = NULL, *host = NULL;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, real,
				    CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		hc_msgs_add(msgs, HC_ERROR, "%s: not a valid URL (%s); "
			    "expected https://host/path?query",
			    plan->where_url, curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		hc_msgs_add(msgs, HC_ERROR, "%s: the scheme must be http or "
			    "https", plan->where_url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0') {
		hc_msgs_add(msgs, HC_ERROR, "%s: the URL has no host",
			    plan->where_url);
		goto out;
	}
	/* libcurl is lenient: "https:host" and "https:///host" parse, but
	 * are not what was meant. */
	size_t sl = strlen(scheme);
	if (strncasecmp(real, scheme, sl) != 0 ||
	    strncmp(real + sl, "://", 3) != 0 || real[sl + 3] == '/') {
		hc_msgs_add(msgs, HC_ERROR, "%s: the URL must start with "
			    "http://HOST or https://HOST", plan->where_url);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static bool reserved_header(const char *h, size_t n)
{
	static const char *const names[] = { "Content-Length",
					     "Transfer-Encoding" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && strncasecmp(h, names[i], n) == 0)
			return true;
	return false;
}

static int compile_headers(struct request_plan *plan, const struct profile *p,
			   struct hc_msgs *msgs)
{
	int rc = 0;
	plan->headers = xcalloc(p->headers.n, sizeof *plan->headers);
	plan->headers_shown = xcalloc(p->headers.n, sizeof *plan->headers);
	for (size_t i = 0; i < p->headers.n; i++) {
		const struct profile_entry *e = &p->headers.items[i];
		char *where = profile_where(p, "destination", e->name);
		const char *colon = strchr(e->key, ':');
		if (colon == NULL) { /* profile_validate reported it */
			free(where);
			rc = -1;
			continue;
		}
		size_t nlen = (size_t)(colon - e->key);
		if (reserved_header(e->key, nlen)) {
			hc_msgs_add(msgs, HC_ERROR, "%s: %.*s is set by "
				    "hookcast itself and cannot be a profile "
				    "header", where, (int)nlen, e->key);
			free(where);
			rc = -1;
			continue;
		}
		const char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		struct hc_buf real, shown;
		hc_buf_init(&real);
		hc_buf_init(&shown);
		hc_buf_add(&real, e->key, nlen);
		hc_buf_adds(&real, ": ");
		hc_buf_add(&shown, e->key, nlen);
		hc_buf_adds(&shown, ": ");
		char *err = NULL;
		bool secret = false;
		if (request_expand(v, false, &real, &shown, &secret, &err) < 0) {
			hc_msgs_add(msgs, HC_ERROR, "%s: %s", where, err);
			free(err);
			rc = -1;
		} else if (strpbrk(real.data, "\r\n") != NULL) {
			hc_msgs_add(msgs, HC_ERROR, "%s: the %s holds a line "
				    "break, which would inject a header",
				    where, secret ? "value from the environment"
						  : "value");
			rc = -1;
		}
		if (profile_header_literal_secret(e->key)) {
			hc_buf_reset(&shown);
			hc_buf_add(&shown, e->key, nlen);
			hc_buf_adds(&shown, ": ***");
		}
		plan->headers[plan->nheaders] = hc_buf_steal(&real);
		plan->headers_shown[plan->nheaders] = hc_buf_steal(&shown);
		plan->nheaders++;
		free(where);
	}
	return rc;
}

static int compile_url(struct request_plan *plan, const struct profile *p,
		       struct hc_msgs *msgs)
{
	struct hc_buf real, shown;
	hc_buf_init(&real);
	hc_buf_init(&shown);
	char *err = NULL;
	if (request_expand(p->url ? p->url : "", false, &real, &shown, NULL,
			   &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s: %s", plan->where_url, err);
		free(err);
		hc_buf_free(&real);
		hc_buf_free(&shown);
		return -1;
	}
	if (check_base_url(plan, real.data, msgs) < 0) {
		hc_buf_free(&real);
		hc_buf_free(&shown);
		return -1;
	}
	hc_buf_add(&plan->prefix, real.data, real.len);
	/* user:password@ written in the profile is a secret */
	char *hidden = hc_url_shown(shown.data);
	hc_buf_adds(&plan->prefix_shown, hidden);
	free(hidden);
	hc_buf_free(&shown);
	const char *q = strchr(real.data, '?');
	char last = real.len ? real.data[real.len - 1] : 0;
	plan->sep = q == NULL ? '?' : (last == '?' || last == '&') ? 0 : '&';
	hc_buf_free(&real);

	int rc = 0;
	plan->static_keys = xcalloc(p->statics.n, sizeof *plan->static_keys);
	plan->static_names = xcalloc(p->statics.n, sizeof *plan->static_names);
	for (size_t i = 0; i < p->statics.n; i++) {
		const struct profile_entry *e = &p->statics.items[i];
		plan->static_keys[i] = xstrdup(e->key);
		plan->static_names[i] = xstrdup(e->name);
		plan->nstatics++;
		struct hc_buf v, vs;
		hc_buf_init(&v);
		hc_buf_init(&vs);
		if (request_expand(e->value, true, &v, &vs, NULL, &err) < 0) {
			char *where = profile_where(p, "static", e->name);
			hc_msgs_add(msgs, HC_ERROR, "%s: %s", where, err);
			free(where);
			free(err);
			rc = -1;
		} else {
			struct hc_buf k;
			hc_buf_init(&k);
			escape_into(&k, e->key, strlen(e->key));
			hc_buf_addc(&k, '=');
			char sep = plan->sep;
			add_param(&plan->prefix, &sep, k.data, v.data);
			sep = plan->sep;
			add_param(&plan->prefix_shown, &sep, k.data,
				  profile_static_literal_secret(e) ? "***"
								   : vs.data);
			plan->sep = sep;
			hc_buf_free(&k);
		}
		hc_buf_free(&v);
		hc_buf_free(&vs);
	}
	return rc;
}

static void key_add(struct hc_sha256 *h, const char *s, size_t n)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)n >> (8 * i));
	hc_sha256_update(h, b, sizeof b);
	hc_sha256_update(h, s, n);
}

/* The destination, method, static parameters and mappings, as written
 * (never expanded secrets): the profile's part of every idempotency key. */
static void key_base_init(struct request_plan *plan, const struct profile *p)
{
	struct hc_sha256 *h = &plan->key_base;
	hc_sha256_init(h);
	key_add(h, "hookcast-key-1", 14);
	key_add(h, p->method, strlen(p->method));
	/* Literal secrets do not take part: a rotated credential must not
	 * change the keys of a run that is resumed with it. */
	char *url = hc_url_replace_secrets(p->url, "***");
	key_add(h, url, strlen(url));
	free(url);
	const struct profile_list *lists[2] = { &p->statics, &p->mappings };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++) {
			const struct profile_entry *e = &lists[k]->items[i];
			const char *v = k == 0 && profile_static_literal_secret(e)
						? "***" : e->value;
			key_add(h, e->key, strlen(e->key));
			key_add(h, v, strlen(v));
		}
	/* A body changes what is sent, so it changes the keys; without one
	 * they stay what they were before bodies existed. */
	if (p->body_format == PROFILE_BODY_NONE)
		return;
	const char *f = profile_body_name(p->body_format);
	key_add(h, f, strlen(f));
	const struct profile_list *body[2] = { &p->body_fields,
					       &p->body_consts };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < body[k]->n; i++) {
			const struct profile_entry *e = &body[k]->items[i];
			key_add(h, k ? "const" : "field", 5);
			key_add(h, e->key, strlen(e->key));
			key_add(h, e->value, strlen(e->value));
		}
}

/* A row's part of its key: each field's length (8 bytes, little-endian)
 * and bytes, as key_add() gives them, gathered so that the digest takes
 * them in few updates (each update has a cost of its own). */
struct key_acc {
	struct hc_sha256 *h;
	size_t n;
	unsigned char b[1024];
};

static void key_acc_add(struct key_acc *k, const char *s, size_t n)
{
	if (k->n + 8 > sizeof k->b) {
		hc_sha256_update(k->h, k->b, k->n);
		k->n = 0;
	}
	for (int i = 0; i < 8; i++)
		k->b[k->n++] = (unsigned char)((uint64_t)n >> (8 * i));
	if (k->n + n > sizeof k->b) {
		hc_sha256_update(k->h, k->b, k->n);
		k->n = 0;
		if (n > sizeof k->b) {
			hc_sha256_update(k->h, s, n);
			return;
		}
	}
	memcpy(k->b + k->n, s, n);
	k->n += n;
}

static void row_key(const struct request_plan *plan,
		    const struct segment_row *row, const void *salt,
		    size_t saltlen, char out[65])
{
	struct hc_sha256 h = plan->key_base;
	struct key_acc k = { .h = &h };
	for (size_t i = 0; i < row->nfields; i++)
		key_acc_add(&k, row->fields[i], row->lens[i]);
	if (salt)
		key_acc_add(&k, salt, saltlen);
	hc_sha256_update(&h, k.b, k.n);
	hc_sha256_final_hex(&h, out);
	out[32] = '\0';
}

void request_row_key(const struct request_plan *plan,
		     const struct segment_row *row, char out[65])
{
	row_key(plan, row, NULL, 0, out);
}

void request_row_key_salted(const struct request_plan *plan,
			    const struct segment_row *row, const void *salt,
			    size_t saltlen, char out[65])
{
	row_key(plan, row, salt, saltlen, out);
}

char *request_unescape(const char *s, size_t n, bool plus_space,
		       size_t *outlen)
{
	char *in = xstrndup(s, n);
	if (plus_space)
		for (char *c = in; *c; c++)
			if (*c == '+')
				*c = ' ';
	int len = 0;
	char *d = curl_easy_unescape(NULL, in, (int)n, &len);
	if (d == NULL) { /* only out of memory: the text as it was */
		if (outlen)
			*outlen = n;
		return in;
	}
	free(in);
	char *out = xmalloc((size_t)len + 1);
	memcpy(out, d, (size_t)len);
	out[len] = '\0';
	curl_free(d);
	if (outlen)
		*outlen = (size_t)len;
	return out;
}

void request_plan_reserve(struct request_plan *plan, size_t n)
{
	plan->reserve = n;
}

void request_append_param(struct hc_buf *url, const char *name,
			  const char *value)
{
	hc_buf_addc(url, url->data && strchr(url->data, '?') ? '&' : '?');
	request_escape(url, name, strlen(name));
	hc_buf_addc(url, '=');
	request_escape(url, value, strlen(value));
}

void request_test_key(const char *row_key, char out[REQUEST_TEST_KEY_MAX])
{
	snprintf(out, REQUEST_TEST_KEY_MAX, "test-%s", row_key);
}

/* Shorter values would scrub ordinary text. */
#define SECRET_MIN 4

static void add_secret(struct request_plan *plan, const char *v, size_t n)
{
	if (n < SECRET_MIN)
		return;
	struct hc_buf enc;
	hc_buf_init(&enc);
	escape_into(&enc, v, n);
	plan->secrets = xreallocarray(plan->secrets, plan->nsecrets + 2,
				      sizeof *plan->secrets);
	plan->secrets[plan->nsecrets++] = xstrndup(v, n);
	if (enc.len != n || memcmp(enc.data, v, n) != 0)
		plan->secrets[plan->nsecrets++] = hc_buf_steal(&enc);
	hc_buf_free(&enc);
}

/* The values of the ${NAME} references in tmpl. */
static void add_env_secrets(struct request_plan *plan, const char *tmpl)
{
	for (const char *d = tmpl ? strstr(tmpl, "${") : NULL; d;
	     d = strstr(d + 2, "${")) {
		if (d > tmpl && d[-1] == '$')
			continue; /* "$${": a literal "${" */
		size_t n = strcspn(d + 2, "}");
		if (d[2 + n] != '}')
			break;
		char *name = xstrndup(d + 2, n);
		const char *v = getenv(name);
		free(name);
		if (v)
			add_secret(plan, v, strlen(v));
	}
}

static void collect_secrets(struct request_plan *plan,
			    const struct profile *p)
{
	const char *url = p->url ? p->url : "";
	add_env_secrets(plan, url);
	size_t from, to, name, pos = 0;
	if (hc_url_literal_userinfo(url, &from, &to)) {
		add_secret(plan, url + from, to - from);
		const char *colon = memchr(url + from, ':', to - from);
		if (colon)
			add_secret(plan, colon + 1, (size_t)(url + to - colon - 1));
	}
	while (hc_url_next_secret_param(url, &pos, &name, &from, &to))
		add_secret(plan, url + from, to - from);
	for (size_t i = 0; i < p->headers.n; i++) {
		const char *h = p->headers.items[i].key;
		add_env_secrets(plan, h);
		if (profile_header_literal_secret(h)) {
			const char *v = strchr(h, ':') + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			add_secret(plan, v, strlen(v));
		}
	}
	for (size_t i = 0; i < p->statics.n; i++) {
		const struct profile_entry *e = &p->statics.items[i];
		add_env_secrets(plan, e->value);
		if (profile_static_literal_secret(e))
			add_secret(plan, e->value, strlen(e->value));
	}
	if (p->sign_secret) {
		add_env_secrets(plan, p->sign_secret);
		if (profile_sign_secret_literal(p))
			add_secret(plan, p->sign_secret, strlen(p->sign_secret));
	}
}

void request_redact(const struct request_plan *plan, char *buf, size_t len)
{
	for (size_t i = 0; plan && i < plan->nsecrets; i++) {
		size_t n = strlen(plan->secrets[i]);
		char *p = buf, *end = buf + len;
		while ((size_t)(end - p) >= n &&
		       (p = memmem(p, (size_t)(end - p), plan->secrets[i], n))) {
			memset(p, '*', n);
			p += n;
		}
	}
}

struct request_plan *request_plan_new(const struct profile *p,
				      struct hc_msgs *msgs)
{
	struct request_plan *plan = xcalloc(1, sizeof *plan);
	plan->method = xstrdup(p->method);
	plan->where_url = profile_where(p, "destination", "url");
	plan->omit_empty = p->empty_values == PROFILE_EMPTY_OMIT;
	plan->profile_path = xstrdup(p->path ? p->path : "profile");
	key_base_init(plan, p);
	hc_buf_init(&plan->prefix);
	hc_buf_init(&plan->prefix_shown);
	int rc = 0;
	if (p->url == NULL || p->url[0] == '\0') {
		hc_msgs_add(msgs, HC_ERROR, "%s: is required",
			    plan->where_url);
		rc = -1;
	} else if (compile_url(plan, p, msgs) < 0) {
		rc = -1;
	}
	if (compile_headers(plan, p, msgs) < 0)
		rc = -1;
	collect_secrets(plan, p);
	plan->body = body_plan_new(p, msgs);
	if (plan->body == NULL)
		rc = -1;
	plan->body_max = (size_t)p->batch_bytes;
	/* a batch's brackets count against its bytes too */
	if (plan->body && p->batch_size > 1 &&
	    body_batch_overhead(plan->body) < plan->body_max)
		plan->body_max -= body_batch_overhead(plan->body);

	plan->maps = xcalloc(p->mappings.n, sizeof *plan->maps);
	for (size_t i = 0; i < p->mappings.n; i++) {
		const struct profile_entry *e = &p->mappings.items[i];
		struct mapped *m = &plan->maps[plan->nmaps++];
		m->name = profile_where(p, "mappings", e->name);
		m->key = xstrdup(e->key);
		m->column = xstrdup(e->value);
		struct hc_buf k;
		hc_buf_init(&k);
		escape_into(&k, e->key, strlen(e->key));
		hc_buf_addc(&k, '=');
		m->key_eq_len = k.len;
		m->key_eq = hc_buf_steal(&k);
		m->index = -1;
	}
	if (rc < 0) {
		request_plan_free(plan);
		return NULL;
	}
	return plan;
}

void request_plan_free(struct request_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->nsecrets; i++)
		free(plan->secrets[i]);
	free(plan->secrets);
	free(plan->method);
	free(plan->where_url);
	hc_buf_free(&plan->prefix);
	hc_buf_free(&plan->prefix_shown);
	for (size_t i = 0; i < plan->nmaps; i++) {
		free(plan->maps[i].name);
		free(plan->maps[i].key);
		free(plan->maps[i].column);
		free(plan->maps[i].key_eq);
	}
	free(plan->maps);
	for (size_t i = 0; i < plan->nheaders; i++) {
		free(plan->headers[i]);
		free(plan->headers_shown[i]);
	}
	free(plan->headers);
	free(plan->headers_shown);
	for (size_t i = 0; i < plan->nstatics; i++) {
		free(plan->static_keys[i]);
		free(plan->static_names[i]);
	}
	free(plan->static_keys);
	free(plan->static_names);
	free(plan->profile_path);
	body_plan_free(plan->body);
	free(plan);
}

static void list_columns(struct hc_buf *b, const struct segment *seg)
{
	size_t n = segment_ncolumns(seg);
	for (size_t i = 0; i < n && i < 12; i++) {
		const char *c = segment_column(seg, i);
		if (i > 0)
			hc_buf_adds(b, ", ");
		hc_buf_add_quoted(b, c, strlen(c));
	}
	if (n > 12)
		hc_buf_printf(b, " and %zu more", n - 12);
}

int request_plan_bind(struct request_plan *plan, const struct segment *seg,
		      struct hc_msgs *msgs)
{
	int rc = 0;
	for (size_t i = 0; i < plan->nmaps; i++) {
		struct mapped *m = &plan->maps[i];
		m->index = segment_column_index(seg, m->column);
		if (m->index >= 0)
			continue;
		struct hc_buf b;
		hc_buf_init(&b);
		hc_buf_printf(&b, "%s: column ", m->name);
		hc_buf_add_quoted(&b, m->column, strlen(m->column));
		hc_buf_printf(&b, " is not in %s; its columns are ",
			      segment_name(seg));
		list_columns(&b, seg);
		hc_msgs_add(msgs, HC_ERROR, "%s", b.data);
		hc_buf_free(&b);
		rc = -1;
	}
	/* A query key sent twice is legal HTTP, but rarely what was meant. */
	for (size_t i = 0; i < plan->nmaps; i++) {
		for (size_t j = 0; j < plan->nstatics; j++)
			if (strcmp(plan->maps[i].key, plan->static_keys[j]) == 0)
				hc_msgs_add(msgs, HC_WARNING, "%s: the query "
					    "key is also static %s, so it is "
					    "sent twice", plan->maps[i].name,
					    plan->static_names[j]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(plan->maps[i].key, plan->maps[j].key) == 0)
				hc_msgs_add(msgs, HC_WARNING, "%s: the query "
					    "key is also mapped by an earlier "
					    "mapping, so it is sent twice",
					    plan->maps[i].name);
	}
	if (body_plan_bind(plan->body, seg, msgs) < 0)
		rc = -1;
	plan->bound = rc == 0;
	return rc;
}

const char *request_method(const struct request_plan *plan)
{
	return plan->method;
}

/* Can this row be turned into a URL at all? */
static int row_usable(const struct request_plan *plan,
		      const struct segment_row *row, struct hc_buf *why)
{
	if (!plan->bound) {
		hc_buf_adds(why, "the mappings are not bound to a segment");
		return -1;
	}
	if (row->invalid) {
		hc_buf_adds(why, row->invalid);
		return -1;
	}
	return 0;
}

/* A body over [body] batch_bytes makes its row invalid. */
static int body_too_big(const struct request_plan *plan, size_t len,
			struct hc_buf *why)
{
	if (len <= plan->body_max)
		return 0;
	hc_buf_printf(why, "the body is %zu bytes, over [body] batch_bytes = "
		      "%zu", len, plan->body_max);
	return -1;
}

/* The body's verdict, its size against [body] batch_bytes included: when
 * the bound from the values' lengths fits, the body need not be built. */
static int check_body(const struct request_plan *plan,
		      const struct segment_row *row, struct hc_buf *why)
{
	if (body_check(plan->body, row, why) < 0)
		return -1;
	if (body_size_bound(plan->body, row) <= plan->body_max)
		return 0;
	struct hc_buf body;
	hc_buf_init(&body);
	int rc = body_build(plan->body, row, &body, why);
	if (rc == 0)
		rc = body_too_big(plan, body.len, why);
	hc_buf_free(&body);
	return rc;
}

/* The URL alone: request_build() less the body's verdict. */
static int build_url(const struct request_plan *plan,
		     const struct segment_row *row, struct hc_buf *url,
		     struct hc_buf *shown, struct hc_buf *why)
{
	hc_buf_reset(url);
	if (shown)
		hc_buf_reset(shown);
	hc_buf_reset(why);
	if (row_usable(plan, row, why) < 0)
		return -1;
	hc_buf_add(url, plan->prefix.data, plan->prefix.len);
	size_t suffix_at = url->len;
	char sep = plan->sep;
	for (size_t i = 0; i < plan->nmaps; i++) {
		const struct mapped *m = &plan->maps[i];
		size_t col = (size_t)m->index;
		if (col >= row->nfields) {
			hc_buf_printf(why, "has no column %zu", col + 1);
			return -1;
		}
		size_t len = row->lens[col];
		if (len == 0 && plan->omit_empty)
			continue;
		if (sep)
			hc_buf_addc(url, sep);
		hc_buf_add(url, m->key_eq, m->key_eq_len);
		escape_into(url, row->fields[col], len);
		sep = '&';
		if (url->len + plan->reserve > REQUEST_URL_MAX)
			break; /* no need to encode the rest */
	}
	if (url->len + plan->reserve > REQUEST_URL_MAX) {
		hc_buf_printf(why, "the URL is over %d bytes%s; most servers "
			      "refuse such a URL", REQUEST_URL_MAX,
			      plan->reserve ? " with the event parameter" : "");
		return -1;
	}
	if (shown) {
		hc_buf_add(shown, plan->prefix_shown.data,
			   plan->prefix_shown.len);
		hc_buf_add(shown, url->data + suffix_at, url->len - suffix_at);
	}
	return 0;
}

int request_build(const struct request_plan *plan,
		  const struct segment_row *row, struct hc_buf *url,
		  struct hc_buf *shown, struct hc_buf *why)
{
	if (build_url(plan, row, url, shown, why) < 0)
		return -1;
	return body_check(plan->body, row, why);
}

int request_build_body(const struct request_plan *plan,
		       const struct segment_row *row, struct hc_buf *url,
		       struct hc_buf *shown, struct hc_buf *body,
		       struct hc_buf *why)
{
	hc_buf_reset(body);
	/* body_build() gives the body's verdict as it builds */
	if (build_url(plan, row, url, shown, why) < 0 ||
	    body_build(plan->body, row, body, why) < 0)
		return -1;
	return body_too_big(plan, body->len, why);
}

const struct body_plan *request_body(const struct request_plan *plan)
{
	return plan->body;
}

int request_check(const struct request_plan *plan,
		  const struct segment_row *row, struct hc_buf *why)
{
	hc_buf_reset(why);
	if (row_usable(plan, row, why) < 0)
		return -1;
	/* Every byte encodes to at most 3: when even that bound fits, the
	 * exact length need not be computed. */
	size_t bound = plan->prefix.len;
	for (size_t i = 0; i < plan->nmaps; i++) {
		size_t col = (size_t)plan->maps[i].index;
		if (col >= row->nfields) {
			hc_buf_printf(why, "has no column %zu", col + 1);
			return -1;
		}
		bound += 1 + plan->maps[i].key_eq_len + 3 * row->lens[col];
	}
	if (bound + plan->reserve <= REQUEST_URL_MAX)
		return check_body(plan, row, why);
	size_t len = plan->prefix.len;
	bool sep = plan->sep != 0;
	for (size_t i = 0; i < plan->nmaps; i++) {
		const struct mapped *m = &plan->maps[i];
		size_t col = (size_t)m->index;
		size_t n = row->lens[col];
		if (n == 0 && plan->omit_empty)
			continue;
		len += (sep ? 1 : 0) + m->key_eq_len +
		       request_escaped_len(row->fields[col], n);
		sep = true;
		if (len + plan->reserve > REQUEST_URL_MAX)
			break;
	}
	if (len + plan->reserve > REQUEST_URL_MAX) {
		hc_buf_printf(why, "the URL is over %d bytes%s; most servers "
			      "refuse such a URL", REQUEST_URL_MAX,
			      plan->reserve ? " with the event parameter" : "");
		return -1;
	}
	return check_body(plan, row, why);
}

size_t request_shown_prefix_len(const struct request_plan *plan)
{
	return plan->prefix_shown.len;
}

size_t request_nheaders(const struct request_plan *plan)
{
	return plan->nheaders;
}

const char *request_header(const struct request_plan *plan, size_t i)
{
	return i < plan->nheaders ? plan->headers[i] : NULL;
}

const char *request_header_shown(const struct request_plan *plan, size_t i)
{
	return i < plan->nheaders ? plan->headers_shown[i] : NULL;
}

static void print_headers(FILE *out, const struct request_show *show,
			  const char *key, const struct hc_buf *body)
{
	const struct request_plan *plan = show->plan;
	fprintf(out, "User-Agent: hookcast/%s\n", HOOKCAST_VERSION);
	const char *kh = show->key_header && show->key_header[0]
				 ? show->key_header : NULL;
	bool known = key && key[0];
	if (kh && (known || show->key_note))
		fprintf(out, known ? "%s: %s\n" : "%s: (%s)\n", kh,
			known ? key : show->key_note);
	size_t n = body ? body->len : 0;
	const char *data = n ? body->data : "";
	if (show->signer && show->sig_note) {
		fprintf(out, "(signature headers: %s)\n", show->sig_note);
	} else if (show->signer) {
		char h[SIGN_HEADERS_MAX][SIGN_HEADER_MAX];
		/* each attempt is signed at its own time: this is now */
		size_t nh = signer_headers(show->signer, known ? key : "",
					   (long)time(NULL), data, n, h);
		for (size_t i = 0; i < nh; i++)
			fprintf(out, "%s\n", h[i]);
	}
	/* the list the engine sends, made by the engine's own function:
	 * its "Name:" entries (removals) are not sent, so not printed */
	size_t nhdr = request_nheaders(plan);
	const char **hv = xcalloc(nhdr + 1, sizeof *hv);
	for (size_t i = 0; i < nhdr; i++)
		hv[i] = show->secrets ? request_header(plan, i)
				      : request_header_shown(plan, i);
	const char *type = plan->body ? body_content_type(
						body_plan_format(plan->body))
				      : NULL;
	struct curl_slist *l = engine_common_headers(hv, nhdr, type);
	for (const struct curl_slist *e = l; e; e = e->next) {
		size_t len = strlen(e->data);
		if (len == 0 || e->data[len - 1] != ':')
			fprintf(out, "%s\n", e->data);
	}
	curl_slist_free_all(l);
	free(hv);
	if (n)
		fprintf(out, "Content-Length: %zu\n", n);
	fputc('\n', out);
}

void request_print(FILE *out, const char *method, const char *url,
		   const struct hc_buf *body, const struct request_show *show,
		   const char *key)
{
	fprintf(out, "%s %s\n", method, url);
	if (show)
		print_headers(out, show, key, body);
	if (body == NULL || body->len == 0)
		return;
	fwrite(body->data, 1, body->len, out);
	/* ndjson ends its lines; the others get one, and a blank line
	 * parts the requests */
	fputs(body->data[body->len - 1] == '\n' ? "\n" : "\n\n", out);
}
