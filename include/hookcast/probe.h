/*
 * probe.h: the TUI's "test request": one request, sent exactly as a run
 * would send it, whose status, time, response headers and first part of the
 * body are kept for display. It is not journaled. It runs on the caller's
 * loop (probe_step), so the interface stays responsive while it waits.
 */
#ifndef HOOKCAST_PROBE_H
#define HOOKCAST_PROBE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "hookcast/util.h"

#define PROBE_KEEP 4096

struct probe_result {
	long status;        /* 0: no HTTP answer */
	double ms;
	char error[256];    /* "" when an answer came */
	bool early;         /* answered before the whole request was sent
			     * (HTTP/2): the body may be cut */
	struct hc_buf headers; /* response headers, "Name: value\n" */
	struct hc_buf body;    /* the first PROBE_KEEP bytes */
};

struct probe;
struct hc_signer;
struct engine_tls;

/* What the test request sends: the same parts a run's request has. */
struct probe_request {
	const char *method, *url;
	const char *const *headers;
	size_t nheaders;
	const char *key_header, *key;
	double timeout;
	const char *body;         /* copied; NULL or "" for none */
	size_t body_len;
	const char *content_type; /* NULL: no body */
	const struct hc_signer *signer; /* NULL: unsigned */
	const struct engine_tls *tls;   /* NULL: defaults */
};

struct probe *probe_start(const struct probe_request *rq, char **err);
/* 1 while the request runs, 0 once probe_result() is final. */
int probe_step(struct probe *p, struct curl_waitfd *extra, unsigned nextra,
	       int max_wait_ms);
const struct probe_result *probe_result(const struct probe *p);
/* The request body that was sent (its exact bytes), "" for none. */
const char *probe_sent_body(const struct probe *p, size_t *len);

struct request_plan;
/* Scrub the plan's secrets from the answer's headers, body and error
 * (request_redact), so that an echo server cannot show them on screen. */
void probe_redact(struct probe *p, const struct request_plan *plan);
void probe_free(struct probe *p);

#endif
