/*
 * engine.h: delivery with libcurl's multi interface, on the caller's
 * thread and loop.
 *
 * The engine pulls requests from a source (struct engine_source), sends
 * each with at most `concurrency` transfers in flight, retries what is
 * worth retrying, and reports every attempt back to the source. It knows
 * nothing of segments, profiles or journals.
 *
 * Loop: call engine_step() until it returns 0. It waits in curl_multi_poll
 * (with the caller's extra fds, such as stdin for the TUI, or a signal
 * pipe), runs the transfers, reports results and starts new ones. It never
 * busy-polls: the wait ends on socket activity, an extra fd, the next
 * retry or rate-limit time, or max_wait_ms.
 *
 * Journal first: results are passed to source->record() as they arrive;
 * at the end of each step the engine calls source->flush(). Only when that
 * succeeds are the results counted in the stats, so a count never includes
 * a result the journal does not hold. A failing record() or flush() stops
 * the engine at once (ENGINE_FAILED).
 *
 * Ownership: the engine owns its curl handles and the request buffers it
 * hands to source->next(); the source owns everything else.
 */
#ifndef HOOKCAST_ENGINE_H
#define HOOKCAST_ENGINE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hookcast/stats.h"
#include "hookcast/util.h"

#define ENGINE_KEEP_BODY 4096        /* response bytes kept per attempt */
#define ENGINE_KEEP_HEADERS 2048     /* response header bytes kept */
#define ENGINE_RETRY_AFTER_MAX 300   /* seconds */
#define ENGINE_BACKOFF_BASE 0.5      /* seconds */
#define ENGINE_BACKOFF_CAP 30.0      /* seconds */
#define ENGINE_TAIL 256              /* results kept for a live tail */
#define ENGINE_LATENCY_BINS 13
#define ENGINE_CONCURRENCY_MAX 1024
#define ENGINE_THREADS_MAX 64
#define ENGINE_THREADS_AUTO_MAX 8

enum engine_outcome {
	OUTCOME_DELIVERED, /* CURLE_OK with a 2xx status */
	OUTCOME_FAILED,    /* final: permanent, or out of attempts */
	OUTCOME_RETRY,     /* this attempt did not finish the row */
};

enum engine_state {
	ENGINE_RUNNING,
	ENGINE_PAUSED,
	ENGINE_STOPPING, /* stop or breaker: in-flight transfers finish */
	ENGINE_DONE,     /* every row had a final outcome */
	ENGINE_STOPPED,  /* engine_stop() finished */
	ENGINE_ABORTED,  /* engine_abort() finished */
	ENGINE_BROKEN,   /* the circuit breaker stopped it */
	ENGINE_FAILED,   /* the source could not record or read */
};

/* What the source fills for the next row, into engine-owned buffers. */
struct engine_request {
	uint64_t row, line;
	struct hc_buf *url;   /* the real URL, reset before next() */
	struct hc_buf *shown; /* the URL with secrets redacted */
	struct hc_buf *body;  /* the request body, reset before next(); sent
			       * when the config has a content_type */
	char key[65];         /* the idempotency key (hex), "" for none */
	const char *method;   /* NULL: the engine's; else POST, PUT, PATCH or
			       * DELETE (a string that outlives the row) */
	void *ctx;            /* the source's, handed back with each result */
	unsigned weight;      /* the rows it carries (a batch); 0: one. The
			       * final counts (delivered, failed) are in
			       * rows; attempts, retries and rates in
			       * requests. */
};

struct engine_result {
	uint64_t row, line;
	unsigned attempt;
	double time;          /* wall-clock seconds since the epoch */
	long status;          /* 0 when no HTTP answer came */
	enum engine_outcome outcome;
	double latency_ms;
	const char *error;    /* "" when delivered */
	const char *url_shown;
	const char *body;     /* the kept start of the response body */
	size_t body_len;
	const char *headers;  /* the kept response headers, "Name: value"
			       * lines joined by '\n', redacted; "" */
	size_t headers_len;
	const char *key;      /* the idempotency key sent, "" for none */
	const char *method;   /* what it was sent with */
	const char *req_body; /* the request body sent, and its length */
	size_t req_body_len;
	void *ctx;            /* engine_request.ctx */
	double retry_in;      /* for OUTCOME_RETRY: seconds until the next try,
			       * or -1 when it will not be retried (abort) */
};

struct engine_source {
	/* 1: *req filled; 0: no more rows; -1: stop the engine (error). */
	int (*next)(void *ud, struct engine_request *req);
	/* Record one attempt. 0, or -1 to stop the engine (error). */
	int (*record)(void *ud, const struct engine_result *res);
	/* Make what was recorded durable enough to count. 0 or -1. */
	int (*flush)(void *ud);
	/* NULL, or scrub secrets in place from a response body or an error
	 * before anything records or shows them. */
	void (*redact)(void *ud, char *buf, size_t len);
	void *ud;
};

struct engine_config {
	const char *method; /* POST, PUT, PATCH, DELETE or GET */
	const char *const *headers; /* "Name: value", real values */
	size_t nheaders;
	const char *key_header;     /* e.g. "Idempotency-Key"; NULL or "" for none */
	long concurrency;           /* 1..1024 */
	double rate;                /* requests per second, 0: unlimited */
	long max_attempts;          /* >= 1 */
	double timeout;             /* seconds per attempt */
	long breaker_consecutive;   /* 0: off */
	long breaker_initial;       /* 0: off */
	const char *user_agent;
	const char *content_type;   /* NULL: requests carry no body */
	const struct hc_signer *signer; /* NULL: unsigned */
	const struct engine_tls *tls;   /* NULL: libcurl's defaults */
	long threads;               /* threads that deliver: 1 (or 0) the
				     * loop's own only; more: the loop's and
				     * threads - 1 delivery threads; -1 auto
				     * (engine_auto_threads) */
	long loop_weight;           /* how heavily the loop's own transfers
				     * count when the concurrency is shared
				     * out among the threads: 1 (or 0) an
				     * even share; 2 half a delivery thread's,
				     * for a run whose loop has more to do
				     * for each row (a sync's state) */
};

/* TLS and HTTP options for private endpoints. Verification stays on. */
struct engine_tls {
	const char *ca_file;     /* NULL: the system's CAs */
	const char *client_cert; /* NULL: none (PEM) */
	const char *client_key;  /* NULL: in client_cert (PEM) */
	int http_version;        /* 0 auto, 11, 2 */
};

struct engine_tail_entry {
	uint64_t row;
	unsigned attempt;
	long status;
	enum engine_outcome outcome;
	double latency_ms;
	char method[8];
	char error[96];
};

struct engine_stats {
	enum engine_state state;
	uint64_t dispatched;  /* rows started (a batch counts its rows) */
	uint64_t in_flight;   /* transfers running */
	uint64_t waiting;     /* rows waiting to be retried */
	uint64_t delivered, failed; /* final outcomes, journaled */
	uint64_t retries;     /* attempts after a row's first */
	uint64_t attempts;
	uint64_t by_class[5]; /* attempts answered 2xx 3xx 4xx 5xx, error */
	double elapsed;       /* seconds since the first step */
	double rate_now;      /* final outcomes per second, last 5 s */
	double rate_avg;
	double latency_ms[6]; /* min p50 p90 p95 p99 max */
	/* Attempts by latency: under 1, 2, 5, 10, 20, 50, 100, 200, 500 ms,
	 * 1, 2, 5 s, and over (engine_latency_edges_ms). */
	uint64_t latency_bins[ENGINE_LATENCY_BINS];
	double latency_sum_s; /* the latencies of every attempt, summed */
	double holdoff;       /* seconds the dispatcher still waits (429) */
	long concurrency;
	long threads;         /* threads that deliver, the loop's included */
	double rate_limit;
	char stop_reason[160];
};

struct engine;

/* Returns NULL with *err (caller frees) when libcurl cannot start. */
struct engine *engine_new(const struct engine_config *cfg,
			  const struct engine_source *src, char **err);
void engine_free(struct engine *e);

/* What threads "auto" means here: one per CPU this process may run on,
 * at most ENGINE_THREADS_AUTO_MAX. */
long engine_auto_threads(void);
/* The threads that deliver, the loop's own included (1: that one only). */
long engine_threads(const struct engine *e);

/* One turn of the loop; see above. 1 while the engine runs, 0 once it has
 * reached a final state. */
int engine_step(struct engine *e, struct curl_waitfd *extra,
		unsigned nextra, int max_wait_ms);

/* Wake a running engine_step() from a signal handler's pipe or another
 * thread (curl_multi_wakeup). */
void engine_wakeup(struct engine *e);

void engine_pause(struct engine *e, bool paused);
void engine_stop(struct engine *e);  /* graceful: in-flight finishes */
void engine_abort(struct engine *e); /* cancel in-flight, now */
void engine_set_concurrency(struct engine *e, long n);
void engine_set_rate(struct engine *e, double rate);

void engine_get_stats(const struct engine *e, struct engine_stats *out);
/* Copy up to max of the newest tail entries, newest first; returns n. */
size_t engine_tail(const struct engine *e, struct engine_tail_entry *out,
		   size_t max);

/* The upper edges of latency_bins, in ms (ENGINE_LATENCY_BINS - 1). */
extern const double engine_latency_edges_ms[ENGINE_LATENCY_BINS - 1];

const char *engine_state_name(enum engine_state s);
const char *engine_outcome_name(enum engine_outcome o);

/*
 * Parse a Retry-After value: delay-seconds or an HTTP date, relative to
 * now (seconds since the epoch). Returns the delay in seconds, capped at
 * ENGINE_RETRY_AFTER_MAX, or -1 when the value is neither.
 */
double engine_parse_retry_after(const char *value, double now);

/* Whether the environment sets a proxy for http:// or https://. */
bool engine_proxy_env(void);

/* The options every request handle gets: method with an empty body,
 * timeouts, http/https only, no redirects, no proxy unless the
 * environment sets one, and tls (may be NULL).
 * (Shared with the test request.) */
void engine_handle_setup(CURL *h, const char *method, double timeout,
			 const char *user_agent, const struct engine_tls *tls);
/* The headers every request carries, with Content-Type: content_type
 * (NULL: none) unless the headers set one; free with curl_slist_free_all. */
struct curl_slist *engine_common_headers(const char *const *headers,
					 size_t n, const char *content_type);
/* Set the body of the next transfer on a set-up handle (body NULL or n 0:
 * empty). The handle does not copy it. */
void engine_handle_body(CURL *h, const char *body, size_t n);

/* Is this result worth another attempt? (status 0: look at the curl code) */
bool engine_retryable(long status, CURLcode code);

/* Did an HTTP/2 server give this 2xx answer, complete, before it had read
 * the whole request, and then reset the stream with NO_ERROR (RFC 9113,
 * 8.1)? libcurl 7.88 fails the rest of the send with CURLE_HTTP2_STREAM
 * and no message; a reset with an error code names it in the message
 * (errbuf), and stays a failure. Such an answer counts. */
bool engine_answered_early(CURLcode code, const char *errbuf, long status);

#endif
