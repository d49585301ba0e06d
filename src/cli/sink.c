/* hookcast sink: a local webhook receiver (libmicrohttpd) that prints and
 * logs what it receives and can inject faults, for rehearsals and tests. */
#include "cli.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hookcast/history.h"
#include "hookcast/json.h"
#include "hookcast/sign.h"

struct key_count {
	char *key;
	unsigned count;
	uint64_t ordinal; /* 1 for the first key seen, 2 for the next... */
	struct key_count *next;
};

#define KEY_BUCKETS 4096

struct sink {
	unsigned status, fail_status, fail_first, drop_every, delay_ms;
	unsigned fail_every, reject_every; /* by the order keys arrive in */
	uint64_t distinct;
	const char *retry_after; /* NULL: none; sent as given */
	const char *location;
	char require_name[128];    /* --require NAME: VALUE; "" for none */
	bool echo;                 /* answer with the request target and headers */
	const char *require_value;
	bool quiet;
	bool endless;     /* a response body that never ends */
	unsigned drip_ms; /* send the body one byte per drip_ms */
	FILE *log;
	/* --verify-standard-webhooks / --verify-hmac */
	unsigned char *sw_key;
	size_t sw_klen;
	char *hmac_secret;
	const char *hmac_header, *hmac_prefix;
	bool hmac_base64;
	pthread_mutex_t mu;
	uint64_t n, inflight, max_inflight;
	struct key_count *keys[KEY_BUCKETS];
};

#define SINK_BODY_MAX ((size_t)16 << 20) /* answered 413 beyond */
#define SINK_LOG_BODY ((size_t)1 << 20)  /* logged at most */
#define SW_TOLERANCE 300 /* seconds a Standard Webhooks timestamp may be off */

struct req {
	bool seen;
	char *uri; /* the request target as it came, still percent-encoded */
	struct hc_buf body;
	bool too_large;
};

struct hdr_ctx {
	json_t *obj;
};

/* Request headers for the log; Authorization and secret-named ones as
 * "***" (the signature headers are not secrets: they are shown). */
static enum MHD_Result log_header(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *value)
{
	(void)kind;
	struct hdr_ctx *c = cls;
	size_t n = strlen(key);
	bool secret = strcasecmp(key, "Authorization") == 0 ||
		      (hc_secret_name(key, n) &&
		       strcasecmp(key, "webhook-signature") != 0 &&
		       strcasecmp(key, "X-Hub-Signature-256") != 0);
	const char *v = value ? value : "";
	json_object_set_new(c->obj, key, secret ? json_string("***")
						: hc_json_text(v, strlen(v)));
	return MHD_YES;
}

/* "ok", "missing", "stale" or "bad": does the request carry a signature
 * made with the sink's secret? NULL when the sink does not check. */
static const char *check_signature(const struct sink *s,
				   struct MHD_Connection *conn,
				   const struct hc_buf *body)
{
	const char *data = body->data ? body->data : "";
	if (s->sw_key) {
		const char *id = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, "webhook-id");
		const char *ts = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, "webhook-timestamp");
		const char *sig = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, "webhook-signature");
		if (!id || !ts || !sig)
			return "missing";
		long t = strtol(ts, NULL, 10);
		long now = (long)time(NULL);
		if (t < now - SW_TOLERANCE || t > now + SW_TOLERANCE)
			return "stale";
		return sign_standard_verify(s->sw_key, s->sw_klen, id, ts,
					    data, body->len, sig) ? "ok" : "bad";
	}
	if (s->hmac_secret) {
		const char *got = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, s->hmac_header);
		if (got == NULL)
			return "missing";
		char sig[128], want[192];
		sign_hmac(s->hmac_secret, strlen(s->hmac_secret), data,
			  body->len, s->hmac_base64, sig, sizeof sig);
		snprintf(want, sizeof want, "%s%s", s->hmac_prefix, sig);
		size_t wl = strlen(want);
		return strlen(got) == wl && CRYPTO_memcmp(got, want, wl) == 0
			       ? "ok" : "bad";
	}
	return NULL;
}

/* How many times this key came, and which distinct key it was. */
static unsigned key_hit(struct sink *s, const char *key, uint64_t *ordinal)
{
	unsigned h = 5381;
	for (const char *c = key; *c; c++)
		h = h * 33u + (unsigned char)*c;
	struct key_count **slot = &s->keys[h % KEY_BUCKETS];
	for (struct key_count *k = *slot; k; k = k->next)
		if (strcmp(k->key, key) == 0) {
			*ordinal = k->ordinal;
			return ++k->count;
		}
	struct key_count *k = xcalloc(1, sizeof *k);
	k->key = xstrdup(key);
	k->count = 1;
	k->ordinal = ++s->distinct;
	k->next = *slot;
	*slot = k;
	*ordinal = k->ordinal;
	return 1;
}

struct args_ctx {
	json_t *query;
	struct hc_buf *text;
};

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind,
			      const char *key, size_t key_size,
			      const char *value, size_t value_size)
{
	(void)kind;
	struct args_ctx *c = cls;
	json_t *pair = json_array();
	json_array_append_new(pair, hc_json_text(key, key_size));
	json_array_append_new(pair, hc_json_text(value ? value : "",
					      value ? value_size : 0));
	json_array_append_new(c->query, pair);
	hc_buf_addc(c->text, ' ');
	hc_buf_add_quoted(c->text, key, key_size);
	hc_buf_addc(c->text, '=');
	hc_buf_add_quoted(c->text, value ? value : "", value ? value_size : 0);
	return MHD_YES;
}

/* Bodies for fault rehearsal: endless, or one byte at a time. */
static ssize_t slow_body(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct sink *s = cls;
	if (max == 0)
		return 0;
	if (s->drip_ms) {
		if (pos >= 64)
			return MHD_CONTENT_READER_END_OF_STREAM;
		usleep((useconds_t)s->drip_ms * 1000);
		buf[0] = 'x';
		return 1;
	}
	size_t n = max < 16384 ? max : 16384;
	memset(buf, 'y', n);
	return (ssize_t)n;
}

static enum MHD_Result echo_header(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	(void)kind;
	hc_buf_printf(cls, "%s: %s\n", key, value ? value : "");
	return MHD_YES;
}

/* --echo: what a receiver that repeats the request sends back. */
static enum MHD_Result respond_echo(struct MHD_Connection *conn,
				    unsigned status, const char *uri)
{
	struct hc_buf b;
	hc_buf_init(&b);
	hc_buf_printf(&b, "%s\n", uri);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, echo_header, &b);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		b.len, b.data, MHD_RESPMEM_MUST_COPY);
	hc_buf_free(&b);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	MHD_add_response_header(r, "X-Echo-Target", uri);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status,
			       const struct sink *s, uint64_t n)
{
	if (s->endless || s->drip_ms) {
		struct MHD_Response *r = MHD_create_response_from_callback(
			MHD_SIZE_UNKNOWN, 4096, slow_body, (void *)s, NULL);
		if (r == NULL)
			return MHD_NO;
		enum MHD_Result ret = MHD_queue_response(conn, status, r);
		MHD_destroy_response(r);
		return ret;
	}
	char body[96];
	int len = status < 300 ? snprintf(body, sizeof body,
					  "{\"ok\":true,\"n\":%llu}\n",
					  (unsigned long long)n)
			       : snprintf(body, sizeof body,
					  "{\"error\":\"status %u from hookcast "
					  "sink\"}\n", status);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		(size_t)len, body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (s->retry_after && status >= 400)
		MHD_add_response_header(r, "Retry-After", s->retry_after);
	if (s->location && status >= 300 && status < 400)
		MHD_add_response_header(r, "Location", s->location);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	(void)version;
	(void)upload;
	struct sink *s = cls;
	struct req *rq = *req_cls;
	if (!rq->seen) {
		rq->seen = true;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (rq->body.len + *upload_size > SINK_BODY_MAX)
			rq->too_large = true;
		else
			hc_buf_add(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	struct hc_buf text;
	hc_buf_init(&text);
	json_t *log = json_object();
	json_t *query = json_array();
	struct args_ctx ac = { .query = query, .text = &text };
	MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, on_arg, &ac);
	const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      "Idempotency-Key");
	const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "Content-Length");
	const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							"Content-Type");
	const char *sig = rq->too_large ? NULL
					: check_signature(s, conn, &rq->body);

	pthread_mutex_lock(&s->mu);
	uint64_t n = ++s->n;
	uint64_t inflight = s->inflight;
	uint64_t ordinal = n;
	unsigned attempt = key ? key_hit(s, key, &ordinal) : 1;
	pthread_mutex_unlock(&s->mu);

	unsigned status = s->status;
	bool drop = s->drop_every > 0 && n % s->drop_every == 0;
	if (s->fail_first > 0 && attempt <= s->fail_first)
		status = s->fail_status;
	/* Some rows fail once (and pass on a retry); some never pass. */
	if (s->fail_every > 0 && ordinal % s->fail_every == 0 && attempt == 1)
		status = s->fail_status;
	if (s->reject_every > 0 && ordinal % s->reject_every == 0)
		status = 422;
	if (s->require_name[0]) {
		const char *got = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, s->require_name);
		if (got == NULL || strcmp(got, s->require_value) != 0)
			status = 401; /* the value itself is never logged */
	}
	if (sig && strcmp(sig, "ok") != 0)
		status = 401;
	if (rq->too_large)
		status = 413;
	if (s->delay_ms > 0)
		usleep((useconds_t)s->delay_ms * 1000);

	char t[40];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	history_format_time((double)ts.tv_sec + (double)ts.tv_nsec / 1e9, t,
			    sizeof t);
	json_object_set_new(log, "n", json_integer((json_int_t)n));
	json_object_set_new(log, "method", hc_json_text(method, strlen(method)));
	json_object_set_new(log, "path", hc_json_text(url, strlen(url)));
	json_object_set_new(log, "uri", hc_json_text(rq->uri, strlen(rq->uri)));
	json_object_set_new(log, "query", query);
	json_object_set_new(log, "key", hc_json_text(key ? key : "",
						  key ? strlen(key) : 0));
	json_object_set_new(log, "attempt", json_integer(attempt));
	json_object_set_new(log, "status", json_integer(drop ? 0 : status));
	json_object_set_new(log, "inflight",
			    json_integer((json_int_t)inflight));
	json_object_set_new(log, "content_length",
			    clen ? json_string(clen) : json_null());
	json_object_set_new(log, "content_type",
			    ctype ? hc_json_text(ctype, strlen(ctype))
				  : json_null());
	size_t bl = rq->body.len < SINK_LOG_BODY ? rq->body.len : SINK_LOG_BODY;
	json_object_set_new(log, "body", hc_json_text(rq->body.data ? rq->body.data
								 : "", bl));
	json_object_set_new(log, "body_bytes",
			    json_integer((json_int_t)rq->body.len));
	if (bl < rq->body.len || rq->too_large)
		json_object_set_new(log, "body_truncated", json_true());
	if (sig)
		json_object_set_new(log, "signature", json_string(sig));
	struct hdr_ctx hc = { .obj = json_object() };
	MHD_get_connection_values(conn, MHD_HEADER_KIND, log_header, &hc);
	json_object_set_new(log, "headers", hc.obj);
	json_object_set_new(log, "time", json_string(t));
	char *line = json_dumps(log, JSON_COMPACT);
	json_decref(log);
	pthread_mutex_lock(&s->mu);
	if (s->log && line) {
		fputs(line, s->log);
		fputc('\n', s->log);
		fflush(s->log);
	}
	if (!s->quiet) {
		char outcome[16];
		snprintf(outcome, sizeof outcome, "%u", status);
		printf("#%llu %s %s%s key=%s -> %s%s%s\n",
		       (unsigned long long)n, method, url,
		       text.data ? text.data : "", key ? key : "-",
		       drop ? "dropped" : outcome,
		       sig ? " signature " : "", sig ? sig : "");
		if (rq->body.len > 0) {
			struct hc_buf q;
			hc_buf_init(&q);
			size_t k = rq->body.len < 300 ? rq->body.len : 300;
			hc_buf_add_quoted(&q, rq->body.data, k);
			printf("    body (%zu bytes): %s%s\n", rq->body.len,
			       q.data, k < rq->body.len ? "..." : "");
			hc_buf_free(&q);
		}
		fflush(stdout);
	}
	pthread_mutex_unlock(&s->mu);
	free(line);
	hc_buf_free(&text);
	if (drop)
		return MHD_NO; /* close the connection without an answer */
	if (s->echo)
		return respond_echo(conn, status, rq->uri);
	return respond(conn, status, s, n);
}

/* Called first for each request, with the target before any decoding: its
 * result becomes the request's context. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)conn;
	struct sink *s = cls;
	struct req *rq = xcalloc(1, sizeof *rq);
	rq->uri = xstrdup(uri);
	hc_buf_init(&rq->body);
	pthread_mutex_lock(&s->mu);
	s->inflight++;
	if (s->inflight > s->max_inflight)
		s->max_inflight = s->inflight;
	pthread_mutex_unlock(&s->mu);
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **req_cls, enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	(void)toe;
	struct sink *s = cls;
	struct req *rq = *req_cls;
	if (rq == NULL)
		return;
	free(rq->uri);
	hc_buf_free(&rq->body);
	free(rq);
	*req_cls = NULL;
	pthread_mutex_lock(&s->mu);
	s->inflight--;
	pthread_mutex_unlock(&s->mu);
}

/* A secret on the command line, or "env:NAME" to read it from the
 * environment (so that it is not in ps). */
static const char *sink_secret(const char *arg, char **err)
{
	if (strncmp(arg, "env:", 4) != 0)
		return arg;
	const char *v = getenv(arg + 4);
	if (v == NULL || v[0] == '\0') {
		*err = xasprintf("%s is not set in the environment", arg + 4);
		return NULL;
	}
	return v;
}

static int parse_listen(const char *spec, struct sockaddr_in *sa)
{
	const char *colon = strrchr(spec, ':');
	if (colon == NULL)
		return -1;
	char host[64];
	size_t hl = (size_t)(colon - spec);
	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	long port;
	if (hc_parse_long(colon + 1, 0, 65535, &port) < 0)
		return -1;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* The sink's life, from its options to SIGTERM; cli_sink() frees the
 * secrets on every way out of it. */
static int sink_run(int argc, char **argv, struct sink *sp)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'L' },
		{ "log", required_argument, NULL, 'l' },
		{ "status", required_argument, NULL, 's' },
		{ "fail-first", required_argument, NULL, 'f' },
		{ "fail-status", required_argument, NULL, 'F' },
		{ "retry-after", required_argument, NULL, 'r' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "drop-every", required_argument, NULL, 'x' },
		{ "fail-every", required_argument, NULL, 'v' },
		{ "reject-every", required_argument, NULL, 'j' },
		{ "location", required_argument, NULL, 'o' },
		{ "require", required_argument, NULL, 'R' },
		{ "echo", no_argument, NULL, 'e' },
		{ "endless-body", no_argument, NULL, 'E' },
		{ "drip-ms", required_argument, NULL, 'D' },
		{ "verify-standard-webhooks", required_argument, NULL, 'W' },
		{ "verify-hmac", required_argument, NULL, 'H' },
		{ "hmac-header", required_argument, NULL, 'N' },
		{ "hmac-prefix", required_argument, NULL, 'P' },
		{ "hmac-encoding", required_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sink *s = sp;
	s->status = 200;
	s->fail_status = 503;
	const char *listen = "127.0.0.1:8080", *log = NULL;
	long v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'L': listen = optarg; break;
		case 'l': log = optarg; break;
		case 's':
		case 'F':
			if (hc_parse_long(optarg, 100, 599, &v) < 0)
				return cli_usage_error("sink", "a status is "
						       "100..599");
			if (c == 's')
				s->status = (unsigned)v;
			else
				s->fail_status = (unsigned)v;
			break;
		case 'f':
		case 'x':
		case 'd':
		case 'v':
		case 'j':
			if (hc_parse_long(optarg, 0, 100000000, &v) < 0)
				return cli_usage_error("sink", "expected a whole "
						       "number");
			if (c == 'f')
				s->fail_first = (unsigned)v;
			else if (c == 'x')
				s->drop_every = (unsigned)v;
			else if (c == 'v')
				s->fail_every = (unsigned)v;
			else if (c == 'j')
				s->reject_every = (unsigned)v;
			else
				s->delay_ms = (unsigned)v;
			break;
		case 'r':
			/* Seconds, an HTTP date, or anything at all: the
			 * point is to see what a client makes of it. */
			if (optarg[0] == '\0' || strpbrk(optarg, "\r\n"))
				return cli_usage_error("sink", "--retry-after "
						       "takes a header value "
						       "on one line");
			s->retry_after = optarg;
			break;
		case 'o': s->location = optarg; break;
		case 'e': s->echo = true; break;
		case 'R': {
			const char *colon = strchr(optarg, ':');
			size_t n = colon ? (size_t)(colon - optarg) : 0;
			if (n == 0 || n >= sizeof s->require_name)
				return cli_usage_error("sink", "--require takes "
						       "\"Name: value\"");
			memcpy(s->require_name, optarg, n);
			s->require_name[n] = '\0';
			s->require_value = colon + 1 + strspn(colon + 1, " \t");
			break;
		}
		case 'E': s->endless = true; break;
		case 'D':
			if (hc_parse_long(optarg, 1, 100000, &v) < 0)
				return cli_usage_error("sink", "--drip-ms takes "
						       "milliseconds");
			s->drip_ms = (unsigned)v;
			break;
		case 'W':
		case 'H': {
			char *err = NULL;
			const char *secret = sink_secret(optarg, &err);
			if (secret == NULL) {
				int rc = cli_usage_error(
					"sink", "%s: %s",
					c == 'H' ? "--verify-hmac"
						 : "--verify-standard-webhooks",
					err);
				free(err);
				return rc;
			}
			if (c == 'H') {
				free(s->hmac_secret);
				s->hmac_secret = xstrdup(secret);
				break;
			}
			free(s->sw_key);
			s->sw_key = sign_whsec_decode(secret, &s->sw_klen, &err);
			if (s->sw_key == NULL) {
				int rc = cli_usage_error(
					"sink", "--verify-standard-webhooks: %s",
					err);
				free(err);
				return rc;
			}
			break;
		}
		case 'N': s->hmac_header = optarg; break;
		case 'P': s->hmac_prefix = optarg; break;
		case 'C':
			if (strcmp(optarg, "hex") != 0 &&
			    strcmp(optarg, "base64") != 0)
				return cli_usage_error("sink", "--hmac-encoding "
						       "is hex or base64");
			s->hmac_base64 = strcmp(optarg, "base64") == 0;
			break;
		case 'q': s->quiet = true; break;
		case 'h': cli_print_help("sink"); return HC_OK;
		default: return cli_bad_option("sink");
		}
	}
	if (optind < argc)
		return cli_usage_error("sink", "unexpected argument \"%s\"",
				       argv[optind]);
	if (s->sw_key && s->hmac_secret) {
		return cli_usage_error("sink", "verify one scheme: "
				       "--verify-standard-webhooks or "
				       "--verify-hmac");
	}
	if (!s->hmac_header)
		s->hmac_header = "X-Hub-Signature-256";
	if (!s->hmac_prefix)
		s->hmac_prefix = "sha256=";
	if (s->retry_after && s->fail_first == 0 && s->status < 400)
		s->status = 429; /* --retry-after alone answers 429 */
	struct sockaddr_in sa;
	if (parse_listen(listen, &sa) < 0)
		return cli_usage_error("sink", "--listen takes IPV4:PORT, such "
				       "as 127.0.0.1:8080");
	if (log) {
		s->log = fopen(log, "a");
		if (s->log == NULL) {
			perror(log);
			return HC_STATE;
		}
	}
	pthread_mutex_init(&s->mu, NULL);
	/* Signals go to this thread's sigwait, not to the server's threads. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			MHD_USE_ERROR_LOG,
		ntohs(sa.sin_port), NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "hookcast sink: cannot listen on %s\n", listen);
		if (s->log)
			fclose(s->log);
		return HC_CONFIG;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof addr);
	printf("hookcast sink listening on http://%s:%u/\n", addr,
	       info ? info->port : ntohs(sa.sin_port));
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	fprintf(stderr, "hookcast sink: %llu requests, at most %llu at once\n",
		(unsigned long long)s->n, (unsigned long long)s->max_inflight);
	if (s->log && fclose(s->log) != 0)
		perror(log);
	for (size_t i = 0; i < KEY_BUCKETS; i++)
		for (struct key_count *k = s->keys[i], *next; k; k = next) {
			next = k->next;
			free(k->key);
			free(k);
		}
	pthread_mutex_destroy(&s->mu);
	return HC_OK;
}

int cli_sink(int argc, char **argv)
{
	struct sink s;
	memset(&s, 0, sizeof s);
	int rc = sink_run(argc, argv, &s);
	if (s.sw_key)
		OPENSSL_cleanse(s.sw_key, s.sw_klen);
	free(s.sw_key);
	if (s.hmac_secret)
		OPENSSL_cleanse(s.hmac_secret, strlen(s.hmac_secret));
	free(s.hmac_secret);
	return rc;
}
