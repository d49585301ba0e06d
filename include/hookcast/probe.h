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
	struct hc_buf headers; /* response headers, "Name: value\n" */
	struct hc_buf body;    /* the first PROBE_KEEP bytes */
};

struct probe;

struct probe *probe_start(const char *method, const char *url,
			  const char *const *headers, size_t nheaders,
			  const char *key_header, const char *key,
			  double timeout, char **err);
/* 1 while the request runs, 0 once probe_result() is final. */
int probe_step(struct probe *p, struct curl_waitfd *extra, unsigned nextra,
	       int max_wait_ms);
const struct probe_result *probe_result(const struct probe *p);

struct request_plan;
/* Scrub the plan's secrets from the answer's headers, body and error
 * (request_redact), so that an echo server cannot show them on screen. */
void probe_redact(struct probe *p, const struct request_plan *plan);
void probe_free(struct probe *p);

#endif
