#include "hookcast/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hookcast/engine.h"
#include "hookcast/request.h"
#include "hookcast/sign.h"

struct probe {
	CURLM *multi;
	CURL *h;
	struct curl_slist *headers;
	char *keyhdr;
	char *body;
	size_t body_len;
	bool done;
	double t0;
	char errbuf[CURL_ERROR_SIZE];
	struct probe_result r;
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct probe *pr = ud;
	size_t len = size * n;
	if (pr->r.body.len < PROBE_KEEP) {
		size_t keep = PROBE_KEEP - pr->r.body.len;
		hc_buf_add(&pr->r.body, p, len < keep ? len : keep);
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct probe *pr = ud;
	size_t len = size * n;
	/* Keep the headers of the final answer only, at most 8 KiB. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		hc_buf_reset(&pr->r.headers);
	else if (pr->r.headers.len + len < 8192 && len > 2)
		hc_buf_add(&pr->r.headers, p, len);
	return len;
}

struct probe *probe_start(const struct probe_request *rq, char **err)
{
	struct probe *p = xcalloc(1, sizeof *p);
	hc_buf_init(&p->r.headers);
	hc_buf_init(&p->r.body);
	p->multi = curl_multi_init();
	p->h = curl_easy_init();
	if (p->multi == NULL || p->h == NULL) {
		*err = xstrdup("libcurl could not start");
		probe_free(p);
		return NULL;
	}
	engine_handle_setup(p->h, rq->method, rq->timeout,
			    "hookcast/" HOOKCAST_VERSION, rq->tls);
	p->headers = engine_common_headers(rq->headers, rq->nheaders,
					   rq->content_type);
	if (rq->key_header && *rq->key_header && rq->key && *rq->key) {
		p->keyhdr = xasprintf("%s: %s", rq->key_header, rq->key);
		p->headers = curl_slist_append(p->headers, p->keyhdr);
	}
	if (rq->content_type) {
		p->body_len = rq->body ? rq->body_len : 0;
		p->body = xmalloc(p->body_len + 1);
		if (p->body_len)
			memcpy(p->body, rq->body, p->body_len);
		p->body[p->body_len] = '\0';
		engine_handle_body(p->h, p->body, p->body_len);
	}
	if (rq->signer) {
		char sig[SIGN_HEADERS_MAX][SIGN_HEADER_MAX];
		size_t n = signer_headers(rq->signer, rq->key ? rq->key : "",
					  (long)time(NULL), p->body, p->body_len,
					  sig);
		for (size_t i = 0; i < n; i++)
			p->headers = curl_slist_append(p->headers, sig[i]);
	}
	curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(p->h, CURLOPT_URL, rq->url);
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(p->h, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(p->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(p->h, CURLOPT_HEADERDATA, p);
	p->t0 = mono();
	if (curl_multi_add_handle(p->multi, p->h) != CURLM_OK) {
		*err = xstrdup("libcurl could not start the request");
		probe_free(p);
		return NULL;
	}
	return p;
}

int probe_step(struct probe *p, struct curl_waitfd *extra, unsigned nextra,
	       int max_wait_ms)
{
	if (p->done) {
		curl_multi_poll(p->multi, extra, nextra, max_wait_ms, NULL);
		return 0;
	}
	int running = 0;
	curl_multi_poll(p->multi, extra, nextra, max_wait_ms, NULL);
	curl_multi_perform(p->multi, &running);
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		p->done = true;
		p->r.ms = (mono() - p->t0) * 1000.0;
		curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &p->r.status);
		p->r.early = m->data.result != CURLE_OK &&
			      engine_answered_early(m->data.result, p->errbuf,
						    p->r.status);
		if (m->data.result != CURLE_OK && !p->r.early)
			snprintf(p->r.error, sizeof p->r.error, "%s",
				 p->errbuf[0] ? p->errbuf
					      : curl_easy_strerror(m->data.result));
		curl_multi_remove_handle(p->multi, p->h);
	}
	return p->done ? 0 : 1;
}

const struct probe_result *probe_result(const struct probe *p)
{
	return p->done ? &p->r : NULL;
}

void probe_redact(struct probe *p, const struct request_plan *plan)
{
	if (p == NULL || !p->done)
		return;
	if (p->r.headers.len)
		request_redact(plan, p->r.headers.data, p->r.headers.len);
	if (p->r.body.len)
		request_redact(plan, p->r.body.data, p->r.body.len);
	request_redact(plan, p->r.error, strlen(p->r.error));
}

void probe_free(struct probe *p)
{
	if (p == NULL)
		return;
	if (p->multi && p->h && !p->done)
		curl_multi_remove_handle(p->multi, p->h);
	if (p->h)
		curl_easy_cleanup(p->h);
	if (p->multi)
		curl_multi_cleanup(p->multi);
	curl_slist_free_all(p->headers);
	free(p->keyhdr);
	free(p->body);
	hc_buf_free(&p->r.headers);
	hc_buf_free(&p->r.body);
	free(p);
}

const char *probe_sent_body(const struct probe *p, size_t *len)
{
	*len = p->body ? p->body_len : 0;
	return p->body ? p->body : "";
}
