#include "hookcast/engine.h"
#include "hookcast/sign.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BODY_READ_MAX ((size_t)1024 * 1024) /* then the transfer is cut */
#define ENGINE_QUEUED_MAX 64 /* requests queued on one delivery thread */

enum slot_state { SLOT_FREE, SLOT_ACTIVE, SLOT_WAITING };

struct worker;

/* One row in progress: in flight, or waiting for its next attempt. Slots
 * and their curl handles are reused, so that connections are too.
 *
 * Ownership: the loop's thread owns a slot except while it is ACTIVE on a
 * delivery thread, from the moment it is queued to that thread's inbox
 * until the thread hands it back through the outbox (both under a mutex).
 * A slot is pinned to one delivery thread, whose multi handle keeps the
 * connection its handle used. */
struct slot {
	struct engine *e;
	struct worker *w;
	struct slot *next; /* in an inbox, the outbox or a free list */
	CURL *h;
	enum slot_state state;
	CURLcode code;     /* how the transfer ended (set by its thread) */
	bool aborted;      /* handed back unfinished (abort, failure) */
	bool unstarted;    /* handed back before it was sent */
	double done_at;    /* when the transfer ended, monotonic */
	size_t widx;       /* its index in its thread's active list */
	struct hc_buf url, shown, body, hdrs;
	struct hc_buf req;    /* the request body */
	struct hc_buf target; /* the request target (see set_url) */
	size_t body_seen;
	bool body_cut;
	uint64_t row, line;
	unsigned attempt;
	unsigned weight; /* rows the request carries (a batch's) */
	char key[65];
	const char *method;     /* the row's */
	const char *set_method; /* what the handle is set up for */
	void *ctx;
	char keyhdr[192];
	char sighdr[SIGN_HEADERS_MAX][SIGN_HEADER_MAX];
	/* Our own nodes in front of the common headers (the key, then the
	 * signature's): no allocation per request. */
	struct curl_slist keynode, signodes[SIGN_HEADERS_MAX];
	double started, due;
	char errbuf[CURL_ERROR_SIZE];
};

struct counts {
	uint64_t delivered, failed, retries, attempts, by_class[5];
	double latency_s; /* the attempts' latencies, summed */
};

/* A multi handle and who runs it: workers[0] is the loop's own (inline),
 * the others each have a delivery thread.
 *
 * A delivery thread runs at most cap transfers at once. The loop queues
 * it up to depth requests more, ready made, which the thread starts
 * itself the moment a transfer of its own ends: it need not wait for the
 * loop to come round with the next row. Queued requests are not sent
 * while the gate (engine.gate) is closed, and the loop takes them back
 * (giveback) when it closes it: pause, stop, a 429's hold-off. */
struct worker {
	struct engine *e;
	CURLM *multi;
	pthread_t tid;
	bool threaded;
	atomic_long cap;     /* transfers at once (set by the loop) */
	atomic_size_t running; /* transfers on the multi handle now */
	/* under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *in_head, *in_tail;
	bool quit, reclaim, giveback;
	atomic_bool signalled; /* a wakeup is pending */
	atomic_bool inbox;     /* in_head is not empty */
	/* the delivery thread's own */
	struct slot **act;
	size_t nact, act_cap;
	struct slot *ready_head, *ready_tail; /* queued, not yet started */
	/* the loop thread's own */
	size_t inflight; /* slots it holds: running or queued */
	size_t depth;    /* how many it may hold beyond cap */
	struct slot *pend_head, *pend_tail; /* to queue after dispatch */
	struct slot *free;                  /* its free slots */
};

struct engine {
	struct engine_config cfg;
	char *method, *key_header, *user_agent, *content_type;
	struct engine_tls tls;
	char *ca_file, *client_cert, *client_key;
	struct engine_source src;
	CURLM *multi; /* the loop's: transfers when inline, else waits */
	struct curl_slist *common;
	/* The requests' URL up to its '?', and the path libcurl sends for it
	 * (NULL: requests go as whole URLs). See set_url. */
	char *base, *base_path;
	size_t base_len;

	struct worker *workers;
	size_t nworkers; /* >= 1 */
	bool threaded;
	atomic_bool gate; /* open: delivery threads may start queued requests */
	atomic_uint held; /* 429s from delivery threads finish has not seen:
			   * while any, start nothing queued */
	size_t queued_max; /* the workers' depths, summed */
	pthread_mutex_t out_mu; /* the outbox: slots handed back */
	struct slot *out_head, *out_tail;
	atomic_bool signalled;

	struct slot **slots;
	size_t nslots;
	struct slot **heap; /* waiting slots, earliest due first */
	size_t nheap;
	size_t nheap_fresh; /* of them, rows handed back before any attempt */
	size_t active;

	long concurrency;
	double rate, tokens, token_time;

	enum engine_state state;
	bool paused, stopping, source_done, broken, started;
	double holdoff_until;
	double t0, t_end;
	uint64_t dispatched;

	uint64_t consecutive_failed, finals, initial_failed;
	struct counts done, pending;
	bool dirty; /* recorded since the last flush */
	struct hist hist;
	struct rate_window rate_win;
	struct engine_tail_entry tail[ENGINE_TAIL];
	size_t tail_next, tail_n;
	uint64_t rng;
	char stop_reason[160];
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: backoff jitter needs spread, not secrecy. */
static double rnd(struct engine *e)
{
	uint64_t x = e->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	e->rng = x;
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

const double engine_latency_edges_ms[ENGINE_LATENCY_BINS - 1] = {
	1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
};

const char *engine_state_name(enum engine_state s)
{
	static const char *const names[] = {
		"running", "paused", "stopping", "done",
		"stopped", "aborted", "broken", "failed",
	};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *engine_outcome_name(enum engine_outcome o)
{
	switch (o) {
	case OUTCOME_DELIVERED: return "delivered";
	case OUTCOME_FAILED: return "failed";
	default: return "retry";
	}
}

bool engine_retryable(long status, CURLcode code)
{
	switch (status) {
	case 408: case 425: case 429: case 500: case 502: case 503: case 504:
		return true;
	default:
		break;
	}
	if (status != 0 && code == CURLE_OK)
		return false;
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return true;
	default:
		return false;
	}
}

bool engine_answered_early(CURLcode code, const char *errbuf, long status)
{
	return code == CURLE_HTTP2_STREAM && errbuf[0] == '\0' &&
	       status >= 200 && status < 300;
}

double engine_parse_retry_after(const char *value, double now)
{
	if (value == NULL)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	size_t n = strlen(value);
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t' ||
			 value[n - 1] == '\r' || value[n - 1] == '\n'))
		n--;
	if (n == 0 || n > 64)
		return -1;
	char buf[65];
	memcpy(buf, value, n);
	buf[n] = '\0';
	size_t digits = strspn(buf, "0123456789");
	double delay;
	if (digits == n) {
		/* delay-seconds; a huge number is simply capped */
		delay = n > 9 ? ENGINE_RETRY_AFTER_MAX : (double)atol(buf);
	} else {
		time_t t = curl_getdate(buf, NULL);
		if (t == -1)
			return -1;
		delay = (double)t - now;
		if (delay < 0)
			delay = 0;
	}
	return delay > ENGINE_RETRY_AFTER_MAX ? ENGINE_RETRY_AFTER_MAX : delay;
}

/* ---- retry heap ---- */

static void heap_swap(struct engine *e, size_t a, size_t b)
{
	struct slot *t = e->heap[a];
	e->heap[a] = e->heap[b];
	e->heap[b] = t;
}

static void heap_push(struct engine *e, struct slot *s)
{
	size_t i = e->nheap++;
	e->heap[i] = s;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (e->heap[parent]->due <= e->heap[i]->due)
			break;
		heap_swap(e, parent, i);
		i = parent;
	}
}

static struct slot *heap_pop(struct engine *e)
{
	struct slot *top = e->heap[0];
	if (top->attempt == 0)
		e->nheap_fresh--;
	e->heap[0] = e->heap[--e->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < e->nheap && e->heap[l]->due < e->heap[m]->due)
			m = l;
		if (r < e->nheap && e->heap[r]->due < e->heap[m]->due)
			m = r;
		if (m == i)
			break;
		heap_swap(e, i, m);
		i = m;
	}
	return top;
}

/* ---- slots and handles ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct slot *s = ud;
	size_t len = size * n;
	if (s->body.len < ENGINE_KEEP_BODY) {
		size_t keep = ENGINE_KEEP_BODY - s->body.len;
		hc_buf_add(&s->body, p, len < keep ? len : keep);
	}
	s->body_seen += len;
	if (s->body_seen > BODY_READ_MAX) {
		s->body_cut = true;
		return 0; /* an endless body: stop reading */
	}
	return len;
}

/* The response headers, without the status line, as "Name: value" lines;
 * the headers of a 100 Continue or of a redirect are replaced by the
 * final answer's. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct slot *s = ud;
	size_t len = size * n;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		hc_buf_reset(&s->hdrs);
		return len;
	}
	size_t k = len;
	while (k > 0 && (p[k - 1] == '\r' || p[k - 1] == '\n'))
		k--;
	if (k == 0 || s->hdrs.len + k + 1 > ENGINE_KEEP_HEADERS)
		return len;
	if (s->hdrs.len)
		hc_buf_addc(&s->hdrs, '\n');
	hc_buf_add(&s->hdrs, p, k);
	return len;
}

void engine_handle_body(CURL *h, const char *body, size_t n)
{
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body && n ? body : "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)(body ? n : 0));
}

/* Is a proxy set in the environment for http:// or https:// (as libcurl
 * 7.88 reads it: http_proxy, https_proxy, all_proxy, the last two in
 * either case)? HTTP_PROXY counts too, to be safe. */
bool engine_proxy_env(void)
{
	static const char *const env[] = { "http_proxy",  "HTTP_PROXY",
					   "https_proxy", "HTTPS_PROXY",
					   "all_proxy",	  "ALL_PROXY" };
	for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
		const char *v = getenv(env[i]);
		if (v != NULL && *v != '\0')
			return true;
	}
	return false;
}

void engine_handle_setup(CURL *h, const char *method, double timeout,
			 const char *user_agent, const struct engine_tls *tls)
{
	long timeout_ms = (long)(timeout * 1000.0);
	long connect_ms = timeout_ms < 10000 ? timeout_ms : 10000;
	long low_time = (long)timeout;
	if (low_time < 1)
		low_time = 1;
	if (low_time > 30)
		low_time = 30;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, low_time);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
	if (!engine_proxy_env()) {
		/* No proxy in the environment: say so once here, rather than
		 * have libcurl read up to six variables again for every
		 * transfer. With one set, libcurl reads them as usual. */
		curl_easy_setopt(h, CURLOPT_PROXY, "");
		curl_easy_setopt(h, CURLOPT_NOPROXY, "");
	}
	if (tls) {
		if (tls->ca_file)
			curl_easy_setopt(h, CURLOPT_CAINFO, tls->ca_file);
		if (tls->client_cert)
			curl_easy_setopt(h, CURLOPT_SSLCERT, tls->client_cert);
		if (tls->client_key)
			curl_easy_setopt(h, CURLOPT_SSLKEY, tls->client_key);
		/* 2: HTTP/2 by ALPN over TLS, by Upgrade over http:// */
		long v = tls->http_version == 2    ? CURL_HTTP_VERSION_2_0
			 : tls->http_version == 11 ? CURL_HTTP_VERSION_1_1
						   : CURL_HTTP_VERSION_NONE;
		curl_easy_setopt(h, CURLOPT_HTTP_VERSION, v);
	}
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		/* An empty body with Content-Length: 0 for every method:
		 * without it a PUT carries no length and servers answer 411. */
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
}

struct curl_slist *engine_common_headers(const char *const *headers,
					 size_t n, const char *content_type)
{
	/* An empty body needs no Content-Type: "Name:" removes the one curl
	 * would add, unless the profile sets its own. */
	struct curl_slist *l = NULL;
	bool own_type = false;
	for (size_t i = 0; i < n; i++)
		if (strncasecmp(headers[i], "Content-Type:", 13) == 0)
			own_type = true;
	if (!own_type && content_type) {
		char ct[128];
		snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
		l = curl_slist_append(l, ct);
	} else if (!own_type) {
		l = curl_slist_append(l, "Content-Type:");
	}
	l = curl_slist_append(l, "Expect:");
	for (size_t i = 0; i < n; i++)
		l = curl_slist_append(l, headers[i]);
	return l;
}

static int setup_handle(struct engine *e, struct slot *s)
{
	CURL *h = curl_easy_init();
	if (h == NULL)
		return -1;
	s->h = h;
	engine_handle_setup(h, e->method, e->cfg.timeout, e->user_agent,
			    e->cfg.tls ? &e->tls : NULL);
	s->set_method = e->method;
	curl_easy_setopt(h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
	s->keynode.data = s->keyhdr;
	return 0;
}

/* ---- delivery threads ---- */

static void list_add(struct slot **head, struct slot **tail, struct slot *s)
{
	s->next = NULL;
	if (*tail)
		(*tail)->next = s;
	else
		*head = s;
	*tail = s;
}

static void wake_loop(struct engine *e)
{
	if (!atomic_exchange(&e->signalled, true))
		curl_multi_wakeup(e->multi);
}

static void wake_worker(struct worker *w)
{
	if (!atomic_exchange(&w->signalled, true))
		curl_multi_wakeup(w->multi);
}

static void act_add(struct worker *w, struct slot *s)
{
	if (w->nact == w->act_cap) {
		w->act_cap = w->act_cap ? w->act_cap * 2 : 16;
		w->act = xreallocarray(w->act, w->act_cap, sizeof *w->act);
	}
	s->widx = w->nact;
	w->act[w->nact++] = s;
}

static void act_del(struct worker *w, struct slot *s)
{
	struct slot *last = w->act[--w->nact];
	w->act[s->widx] = last;
	last->widx = s->widx;
}

/* Hand back what finished on w's multi handle, onto the list. */
static void collect(struct worker *w, struct slot **head, struct slot **tail)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		struct slot *s = (struct slot *)(void *)priv;
		CURLcode code = msg->data.result;
		long status = 0;
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
		if (status == 429 && w->threaded)
			/* no queued request starts, on any thread, until the
			 * loop has seen this and set its hold-off (finish) */
			atomic_fetch_add(&w->e->held, 1);
		curl_multi_remove_handle(w->multi, s->h);
		act_del(w, s);
		s->code = code;
		s->aborted = false;
		s->unstarted = false;
		s->done_at = mono();
		list_add(head, tail, s);
	}
}

/* Take every transfer off w's multi handle, unfinished. */
static void cancel_all(struct worker *w, struct slot **head, struct slot **tail)
{
	while (w->nact > 0) {
		struct slot *s = w->act[w->nact - 1];
		curl_multi_remove_handle(w->multi, s->h);
		act_del(w, s);
		s->aborted = true;
		s->unstarted = false;
		s->done_at = mono();
		list_add(head, tail, s);
	}
}

/* Hand every queued request back to the loop, unsent. */
static void give_back_ready(struct worker *w, struct slot **head,
			    struct slot **tail)
{
	while (w->ready_head) {
		struct slot *s = w->ready_head;
		w->ready_head = s->next;
		s->unstarted = true;
		s->aborted = false;
		list_add(head, tail, s);
	}
	w->ready_tail = NULL;
}

/* Start queued requests while the thread has room and the gate is open. */
static void start_ready(struct worker *w, struct slot **head,
			struct slot **tail)
{
	long cap = atomic_load(&w->cap);
	while (w->ready_head && (long)w->nact < cap &&
	       atomic_load(&w->e->gate) && atomic_load(&w->e->held) == 0) {
		struct slot *s = w->ready_head;
		w->ready_head = s->next;
		if (w->ready_head == NULL)
			w->ready_tail = NULL;
		s->started = mono();
		if (curl_multi_add_handle(w->multi, s->h) != CURLM_OK) {
			/* an attempt that could not start: the loop journals
			 * it as failed, never lost */
			s->code = CURLE_FAILED_INIT;
			s->aborted = false;
			s->unstarted = false;
			s->done_at = mono();
			list_add(head, tail, s);
		} else {
			act_add(w, s);
		}
	}
}

/* A delivery thread: take what the loop queued, start it as room allows,
 * run the transfers, hand back what finished; on request hand back what
 * is queued (giveback) or everything (reclaim). */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct engine *e = w->e;
	for (;;) {
		atomic_store(&w->signalled, false);
		pthread_mutex_lock(&w->mu);
		struct slot *in = w->in_head;
		w->in_head = w->in_tail = NULL;
		atomic_store(&w->inbox, false);
		bool quit = w->quit, reclaim = w->reclaim;
		bool giveback = w->giveback;
		w->giveback = false;
		pthread_mutex_unlock(&w->mu);

		if (in) {
			if (w->ready_tail)
				w->ready_tail->next = in;
			else
				w->ready_head = in;
			while (in->next)
				in = in->next;
			w->ready_tail = in;
		}
		struct slot *head = NULL, *tail = NULL;
		if (quit) {
			/* the loop drops them all */
			give_back_ready(w, &head, &tail);
			cancel_all(w, &head, &tail);
			return NULL;
		}
		/* With the gate closed nothing queued may start: hand it
		 * back, even what came after the giveback was asked for (a
		 * row that fails to read stops the engine in the middle of a
		 * dispatch, whose started requests are queued after). */
		if (reclaim || giveback || !atomic_load(&e->gate))
			give_back_ready(w, &head, &tail);
		if (!reclaim) {
			int running = 0;
			start_ready(w, &head, &tail);
			curl_multi_perform(w->multi, &running);
			collect(w, &head, &tail);
			/* refill at once: the new transfers go out on the
			 * next perform, which the poll below does not delay */
			start_ready(w, &head, &tail);
		} else {
			collect(w, &head, &tail); /* finished: real results */
			cancel_all(w, &head, &tail);
		}
		atomic_store(&w->running, w->nact);
		if (head) {
			pthread_mutex_lock(&e->out_mu);
			if (e->out_tail)
				e->out_tail->next = head;
			else
				e->out_head = head;
			e->out_tail = tail;
			pthread_mutex_unlock(&e->out_mu);
			wake_loop(e);
		}
		if (reclaim) {
			pthread_mutex_lock(&w->mu);
			w->reclaim = false;
			pthread_cond_broadcast(&w->cv);
			pthread_mutex_unlock(&w->mu);
			continue;
		}
		/* The loop did not wake a thread it saw busy (submit_pending):
		 * look at the inbox once more after saying how busy it is. */
		if (atomic_load(&w->inbox))
			continue;
		curl_multi_poll(w->multi, NULL, 0, 1000, NULL);
	}
}

/* Queue what dispatch started to each delivery thread, one lock and at
 * most one wakeup per thread. */
static void submit_pending(struct engine *e)
{
	for (size_t i = 0; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];
		if (w->pend_head == NULL)
			continue;
		pthread_mutex_lock(&w->mu);
		if (w->in_tail)
			w->in_tail->next = w->pend_head;
		else
			w->in_head = w->pend_head;
		w->in_tail = w->pend_tail;
		atomic_store(&w->inbox, true);
		pthread_mutex_unlock(&w->mu);
		w->pend_head = w->pend_tail = NULL;
		/* A thread running all it may needs no wakeup: it takes the
		 * inbox when a transfer of its own ends. (It stores running
		 * before it looks at the inbox a last time, and this reads
		 * running after setting inbox: one of the two sees the
		 * other.) */
		if ((long)atomic_load(&w->running) < atomic_load(&w->cap))
			wake_worker(w);
	}
}

/* Ask every delivery thread to hand back everything (reclaim) or only
 * what it holds queued, and wake it. */
static void ask_all(struct engine *e, bool reclaim)
{
	for (size_t i = 1; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];
		pthread_mutex_lock(&w->mu);
		if (reclaim)
			w->reclaim = true;
		else
			w->giveback = true;
		pthread_mutex_unlock(&w->mu);
		wake_worker(w);
	}
}

/* Take back every slot from the delivery threads: the finished ones and
 * the cancelled ones, in the outbox. Waits for each thread to answer. */
static void reclaim_all(struct engine *e)
{
	submit_pending(e);
	ask_all(e, true);
	for (size_t i = 1; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];
		pthread_mutex_lock(&w->mu);
		while (w->reclaim)
			pthread_cond_wait(&w->cv, &w->mu);
		pthread_mutex_unlock(&w->mu);
	}
}

/* What finished on the loop's own multi handle, then what the delivery
 * threads handed back. */
static struct slot *take_done(struct engine *e)
{
	struct slot *head = NULL, *tail = NULL;
	collect(&e->workers[0], &head, &tail);
	if (e->threaded) {
		atomic_store(&e->signalled, false);
		pthread_mutex_lock(&e->out_mu);
		struct slot *more = e->out_head;
		if (more) {
			if (tail)
				tail->next = more;
			else
				head = more;
		}
		e->out_head = e->out_tail = NULL;
		pthread_mutex_unlock(&e->out_mu);
	}
	return head;
}

/* Every slot not in flight goes back to its thread's free list. */
static void free_lists_rebuild(struct engine *e)
{
	for (size_t i = 0; i < e->nworkers; i++) {
		e->workers[i].free = NULL;
		e->workers[i].inflight = 0;
	}
	for (size_t i = 0; i < e->nslots; i++) {
		struct slot *s = e->slots[i];
		s->state = SLOT_FREE;
		s->next = s->w->free;
		s->w->free = s;
	}
	e->active = 0;
	e->nheap = 0;
	e->nheap_fresh = 0;
}

static void slot_release(struct slot *s)
{
	s->state = SLOT_FREE;
	s->next = s->w->free;
	s->w->free = s;
}

/* How many slots w may hold: its transfers, and on a delivery thread the
 * requests queued behind them (none under a rate limit, whose tokens are
 * spent when a request is queued). */
static size_t room(const struct engine *e, const struct worker *w)
{
	size_t cap = (size_t)atomic_load(&w->cap);
	if (w->threaded && e->rate <= 0)
		cap += w->depth;
	return cap;
}

/* The worker with the most room below its share of the concurrency (the
 * loop's own first on a tie), or NULL when every one is full. */
static struct worker *pick_worker(struct engine *e)
{
	struct worker *best = NULL;
	long best_gap = 0;
	for (size_t i = 0; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];
		if (w->inflight >= room(e, w))
			continue;
		long gap = (long)w->inflight - atomic_load(&w->cap);
		if (best == NULL || gap < best_gap) {
			best = w;
			best_gap = gap;
		}
	}
	return best;
}

/* Share the concurrency out as caps: one at a time to the thread with
 * the fewest, the loop's own transfers counted loop_weight times, and the
 * loop's own handle first on a tie. Each delivery thread may have twice
 * its cap more queued (at most ENGINE_QUEUED_MAX): enough to keep it busy
 * while the loop waits for a core. Measured in BENCHMARKS.md ("Queued
 * requests on the delivery threads"). */
static void caps_set(struct engine *e)
{
	long caps[ENGINE_THREADS_MAX] = { 0 };
	long weight = e->cfg.loop_weight > 1 ? e->cfg.loop_weight : 1;
	size_t n = e->nworkers;
	for (long k = 0; k < e->concurrency; k++) {
		size_t pick = 0;
		long least = caps[0] * weight;
		for (size_t i = 1; i < n; i++)
			if (caps[i] < least) {
				pick = i;
				least = caps[i];
			}
		caps[pick]++;
	}
	e->queued_max = 0;
	for (size_t i = 0; i < n; i++) {
		struct worker *w = &e->workers[i];
		atomic_store(&w->cap, caps[i]);
		w->depth = 0;
		if (w->threaded)
			w->depth = (size_t)(caps[i] * 2 < ENGINE_QUEUED_MAX
						    ? caps[i] * 2
						    : ENGINE_QUEUED_MAX);
		e->queued_max += w->depth;
	}
}

static struct slot *slot_get(struct engine *e, struct worker *w)
{
	struct slot *s = w->free;
	if (s) {
		w->free = s->next;
		return s;
	}
	/* Rows waiting for a retry hold a slot too; allow as many of them as
	 * there are transfers, so that a struggling server cannot make the
	 * engine read the whole segment into memory. */
	size_t max = (size_t)e->concurrency * 2 + 16 + e->queued_max;
	if (e->nslots >= max) {
		for (size_t i = 0; i < e->nworkers; i++) {
			s = e->workers[i].free;
			if (s) {
				/* a free handle is on no multi handle: it may
				 * change threads (its connection stays behind) */
				e->workers[i].free = s->next;
				s->w = w;
				return s;
			}
		}
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->e = e;
	s->w = w;
	hc_buf_init(&s->url);
	hc_buf_init(&s->shown);
	hc_buf_init(&s->body);
	hc_buf_init(&s->hdrs);
	hc_buf_init(&s->req);
	hc_buf_init(&s->target);
	if (setup_handle(e, s) < 0) {
		free(s);
		return NULL;
	}
	e->slots = xreallocarray(e->slots, e->nslots + 1, sizeof *e->slots);
	e->heap = xreallocarray(e->heap, e->nslots + 1, sizeof *e->heap);
	e->slots[e->nslots++] = s;
	return s;
}

static void slot_free_all(struct engine *e)
{
	for (size_t i = 0; i < e->nslots; i++) {
		struct slot *s = e->slots[i];
		curl_easy_cleanup(s->h);
		hc_buf_free(&s->target);
		hc_buf_free(&s->url);
		hc_buf_free(&s->shown);
		hc_buf_free(&s->body);
		hc_buf_free(&s->hdrs);
		hc_buf_free(&s->req);
		free(s);
	}
	free(e->slots);
	free(e->heap);
	e->slots = NULL;
	e->heap = NULL;
	e->nslots = e->nheap = e->nheap_fresh = 0;
}

/* A handle is never switched between methods as it is: it is reset and
 * set up again (its connections stay in the multi handle's cache). */
static void use_method(struct engine *e, struct slot *s)
{
	const char *m = s->method ? s->method : e->method;
	if (strcmp(m, s->set_method) == 0)
		return;
	curl_easy_reset(s->h);
	engine_handle_setup(s->h, m, e->cfg.timeout, e->user_agent,
			    e->cfg.tls ? &e->tls : NULL);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->h, CURLOPT_HEADERDATA, s);
	s->set_method = m;
}

/* Is the URL's part before its '?' (n bytes) the base parsed last? A new
 * base is parsed as libcurl parses a CURLOPT_URL (same parser, same
 * flags), for the path libcurl would send. False when it does not parse,
 * or when a proxy may be used for it (see set_url). */
static bool base_is(struct engine *e, const char *url, size_t n)
{
	if (e->base && e->base_len == n && memcmp(e->base, url, n) == 0)
		return e->base_path != NULL;
	free(e->base);
	free(e->base_path);
	e->base = xstrndup(url, n);
	e->base_len = n;
	e->base_path = NULL;
	CURLU *u = curl_url();
	char *scheme = NULL, *path = NULL;
	if (u != NULL &&
	    curl_url_set(u, CURLUPART_URL, e->base,
			 CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) ==
		    CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
		/* Through a proxy, plain http:// is sent with the whole URL as
		 * its target: libcurl must build that itself. (https:// goes
		 * through a tunnel and keeps its own target.) */
		if (!(engine_proxy_env() && strcasecmp(scheme, "http") == 0))
			e->base_path = xstrdup(path);
	}
	curl_free(scheme);
	curl_free(path);
	curl_url_cleanup(u);
	return e->base_path != NULL;
}

/* Give libcurl the request's URL. A CURLOPT_URL string costs libcurl a
 * parse of the whole URL for every request, and then the query is copied
 * through its printf into the request line: about a fifth of a plain
 * request's work in libcurl (BENCHMARKS.md). The base before the '?' is
 * the same for every request. So libcurl gets the base as the URL (for
 * the scheme, host, port and credentials) and the request target ready
 * made: the base's path as libcurl itself would send it, then the query
 * exactly as built (CURLOPT_REQUEST_TARGET). What is sent is the same,
 * byte for byte. A query with a space or a control byte (which an escaped
 * value never holds) goes as a whole URL string, for libcurl to refuse
 * with its own error. */
static void set_url(struct engine *e, struct slot *s)
{
	const char *url = s->url.data;
	const char *q = strchr(url, '?');
	bool ready = q != NULL;
	for (const unsigned char *c = (const unsigned char *)q; ready && *c;
	     c++)
		if (*c <= ' ' || *c == 0x7f)
			ready = false;
	if (ready && base_is(e, url, (size_t)(q - url))) {
		hc_buf_reset(&s->target);
		hc_buf_adds(&s->target, e->base_path);
		hc_buf_adds(&s->target, q);
		curl_easy_setopt(s->h, CURLOPT_URL, e->base);
		curl_easy_setopt(s->h, CURLOPT_REQUEST_TARGET, s->target.data);
		return;
	}
	curl_easy_setopt(s->h, CURLOPT_REQUEST_TARGET, NULL);
	curl_easy_setopt(s->h, CURLOPT_URL, url);
}

static int start(struct engine *e, struct slot *s, double now)
{
	use_method(e, s);
	s->attempt++;
	hc_buf_reset(&s->body);
	hc_buf_reset(&s->hdrs);
	s->body_seen = 0;
	s->body_cut = false;
	s->errbuf[0] = '\0';
	set_url(e, s);
	if (e->content_type)
		engine_handle_body(s->h, s->req.data, s->req.len);
	/* The list, built back to front: key, signature, common. */
	struct curl_slist *head = e->common;
	if (e->cfg.signer) {
		/* Every attempt is signed again, with its own time. */
		size_t n = signer_headers(e->cfg.signer, s->key,
					  (long)time(NULL), s->req.data,
					  s->req.len, s->sighdr);
		for (size_t i = n; i-- > 0;) {
			s->signodes[i].data = s->sighdr[i];
			s->signodes[i].next = head;
			head = &s->signodes[i];
		}
	}
	if (e->key_header && s->key[0]) {
		snprintf(s->keyhdr, sizeof s->keyhdr, "%s: %s", e->key_header,
			 s->key);
		s->keynode.next = head;
		head = &s->keynode;
	}
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, head);
	s->started = now;
	struct worker *w = s->w;
	if (w->threaded)
		list_add(&w->pend_head, &w->pend_tail, s);
	else if (curl_multi_add_handle(w->multi, s->h) != CURLM_OK)
		return -1;
	else
		act_add(w, s);
	s->state = SLOT_ACTIVE;
	e->active++;
	w->inflight++;
	return 0;
}

static void fail_engine(struct engine *e, const char *why)
{
	if (e->state == ENGINE_FAILED)
		return;
	snprintf(e->stop_reason, sizeof e->stop_reason, "%s", why);
	/* Nothing more is recorded: take every slot back and drop it. */
	e->state = ENGINE_FAILED;
	struct slot *head = NULL, *tail = NULL;
	cancel_all(&e->workers[0], &head, &tail);
	if (e->threaded) {
		reclaim_all(e);
		(void)take_done(e);
	}
	free_lists_rebuild(e);
	e->t_end = mono();
}

/* Have the delivery threads hand back, unsent, what they hold queued. */
static void give_back_all(struct engine *e)
{
	ask_all(e, false);
}

/* Open the gate while new requests may go out; on closing it, take back
 * what is queued. */
static void gate_set(struct engine *e, double now)
{
	bool open = e->state == ENGINE_RUNNING && !e->paused &&
		    !e->stopping && now >= e->holdoff_until;
	if (open == atomic_load(&e->gate))
		return;
	atomic_store(&e->gate, open);
	if (!open)
		give_back_all(e);
}

/* ---- results ---- */

static int class_of(long status)
{
	if (status >= 200 && status < 300) return 0;
	if (status >= 300 && status < 400) return 1;
	if (status >= 400 && status < 500) return 2;
	if (status >= 500 && status < 600) return 3;
	return 4;
}

static void tail_add(struct engine *e, const struct engine_result *r)
{
	struct engine_tail_entry *t = &e->tail[e->tail_next];
	t->row = r->row;
	t->attempt = r->attempt;
	t->status = r->status;
	t->outcome = r->outcome;
	t->latency_ms = r->latency_ms;
	snprintf(t->method, sizeof t->method, "%s", r->method ? r->method : "");
	snprintf(t->error, sizeof t->error, "%s", r->error);
	e->tail_next = (e->tail_next + 1) % ENGINE_TAIL;
	if (e->tail_n < ENGINE_TAIL)
		e->tail_n++;
}

static void breaker(struct engine *e, enum engine_outcome o)
{
	e->finals++;
	if (o == OUTCOME_FAILED) {
		e->consecutive_failed++;
		if (e->finals <= (uint64_t)e->cfg.breaker_initial)
			e->initial_failed++;
	} else {
		e->consecutive_failed = 0;
	}
	if (e->broken || e->stopping)
		return;
	long c = e->cfg.breaker_consecutive, i = e->cfg.breaker_initial;
	if (c > 0 && e->consecutive_failed >= (uint64_t)c)
		snprintf(e->stop_reason, sizeof e->stop_reason,
			 "circuit breaker: %ld rows in a row failed", c);
	else if (i > 0 && e->finals == (uint64_t)i && e->initial_failed == e->finals)
		snprintf(e->stop_reason, sizeof e->stop_reason,
			 "circuit breaker: the first %ld rows all failed", i);
	else
		return;
	e->broken = true;
	e->stopping = true;
}

/* What a user can do about the statuses that usually mean a setting is
 * wrong rather than the row. */
static const char *status_hint(long status)
{
	switch (status) {
	case 401: return "unauthorized: check the credentials in the headers";
	case 403: return "forbidden: check the credentials and the URL";
	case 404: return "not found: check the URL's path";
	case 405: return "method not allowed: check the method";
	case 414: return "URI too long: map fewer or shorter fields";
	default: return NULL;
	}
}

/* Say in the row's error when it goes out again, and why then. */
static void note_retry(char *err, size_t size, double delay, bool honoured,
		       const char *asked)
{
	size_t l = strlen(err);
	if (asked) {
		char shown[41];
		size_t i;
		for (i = 0; i < sizeof shown - 1 && asked[i]; i++)
			shown[i] = asked[i] >= 0x20 && asked[i] < 0x7f ? asked[i]
								     : '?';
		shown[i] = '\0';
		snprintf(err + l, size - l, "; Retry-After \"%s%s\" not "
			 "understood: retry in %.1fs", shown, asked[i] ? "..." : "",
			 delay);
	} else {
		snprintf(err + l, size - l, "; retry in %.1fs%s", delay,
			 honoured ? " (Retry-After)" : "");
	}
}

/* Describe a finished attempt and decide what happens to the row. */
static void finish(struct engine *e, struct slot *s, CURLcode code, double now)
{
	long status = 0;
	if (code != CURLE_FAILED_INIT) /* else the handle never ran */
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	e->active--;
	s->w->inflight--;
	if (s->body_cut && code == CURLE_WRITE_ERROR)
		code = CURLE_OK; /* we stopped reading; the status stands */
	bool early = engine_answered_early(code, s->errbuf, status);
	if (early)
		code = CURLE_OK;

	char err[CURL_ERROR_SIZE + 128];
	err[0] = '\0';
	enum engine_outcome out;
	bool retry = false;
	if (code == CURLE_OK && status >= 200 && status < 300) {
		out = OUTCOME_DELIVERED;
	} else if (code == CURLE_OK && status >= 300 && status < 400) {
		struct curl_header *loc = NULL;
		if (curl_easy_header(s->h, "Location", 0, CURLH_HEADER, -1,
				     &loc) == CURLHE_OK && loc)
			snprintf(err, sizeof err, "HTTP %ld redirect to %.200s "
				 "(not followed)", status, loc->value);
		else
			snprintf(err, sizeof err, "HTTP %ld redirect (not "
				 "followed)", status);
		out = OUTCOME_FAILED;
	} else {
		if (code == CURLE_OK && status_hint(status))
			snprintf(err, sizeof err, "HTTP %ld (%s)", status,
				 status_hint(status));
		else if (code == CURLE_OK)
			snprintf(err, sizeof err, "HTTP %ld", status);
		else
			snprintf(err, sizeof err, "%s", s->errbuf[0] ? s->errbuf
						: curl_easy_strerror(code));
		retry = engine_retryable(code == CURLE_OK ? status : 0, code);
		out = retry && s->attempt < (unsigned)e->cfg.max_attempts
			      ? OUTCOME_RETRY
			      : OUTCOME_FAILED;
		if (retry && out == OUTCOME_FAILED) {
			size_t l = strlen(err);
			snprintf(err + l, sizeof err - l, " (after %u attempts)",
				 s->attempt);
		}
	}
	if (s->body_cut) {
		size_t l = strlen(err);
		snprintf(err + l, sizeof err - l, "%sresponse body over 1 MiB, "
			 "not read to its end", l ? "; " : "");
	}
	if (early) {
		size_t l = strlen(err);
		snprintf(err + l, sizeof err - l, "%sanswered before the whole "
			 "request was sent (HTTP/2)", l ? "; " : "");
	}

	double delay = -1;
	if (out == OUTCOME_RETRY) {
		double cap = ENGINE_BACKOFF_BASE * pow(2, s->attempt - 1);
		if (cap > ENGINE_BACKOFF_CAP)
			cap = ENGINE_BACKOFF_CAP;
		delay = rnd(e) * cap; /* full jitter */
		const char *asked = NULL; /* a Retry-After not understood */
		bool honoured = false;
		if (status == 429 || status == 503) {
			struct curl_header *ra = NULL;
			if (curl_easy_header(s->h, "Retry-After", 0,
					     CURLH_HEADER, -1, &ra) == CURLHE_OK &&
			    ra) {
				double d = engine_parse_retry_after(ra->value,
								    wall());
				if (d >= 0) {
					delay = d;
					honoured = true;
				} else {
					asked = ra->value;
				}
			}
		}
		if (status == 429) {
			/* The server says we are too fast: hold every new
			 * dispatch, not only this row. */
			if (delay < 1)
				delay = 1;
			if (now + delay > e->holdoff_until)
				e->holdoff_until = now + delay;
			gate_set(e, now);
		}
		note_retry(err, sizeof err, delay, honoured, asked);
	}

	if (status == 429 && s->w->threaded) /* seen: see collect */
		atomic_fetch_sub(&e->held, 1);

	if (e->src.redact) {
		/* What the server sent back may repeat a secret. */
		e->src.redact(e->src.ud, err, strlen(err));
		if (s->body.len)
			e->src.redact(e->src.ud, s->body.data, s->body.len);
		if (s->hdrs.len)
			e->src.redact(e->src.ud, s->hdrs.data, s->hdrs.len);
	}
	struct engine_result r = {
		.row = s->row,
		.line = s->line,
		.attempt = s->attempt,
		.time = wall(),
		.status = status,
		.outcome = out,
		.latency_ms = (s->done_at - s->started) * 1000.0,
		.error = err,
		.url_shown = s->shown.data,
		.body = s->body.data ? s->body.data : "",
		.body_len = s->body.len,
		.headers = s->hdrs.data ? s->hdrs.data : "",
		.headers_len = s->hdrs.len,
		.key = s->key,
		.method = s->method ? s->method : e->method,
		.req_body = s->req.data ? s->req.data : "",
		.req_body_len = s->req.len,
		.ctx = s->ctx,
		.retry_in = delay,
	};
	if (e->src.record(e->src.ud, &r) < 0) {
		fail_engine(e, "cannot write the journal");
		return;
	}
	e->dirty = true;
	e->pending.attempts++;
	if (s->attempt > 1)
		e->pending.retries++;
	e->pending.by_class[code == CURLE_OK ? class_of(status) : 4]++;
	hist_add(&e->hist, (uint64_t)(r.latency_ms * 1000.0));
	e->pending.latency_s += r.latency_ms / 1000.0;
	tail_add(e, &r);
	if (out == OUTCOME_RETRY) {
		s->due = now + delay;
		s->state = SLOT_WAITING;
		heap_push(e, s);
		return;
	}
	if (out == OUTCOME_DELIVERED)
		e->pending.delivered += s->weight;
	else
		e->pending.failed += s->weight;
	slot_release(s);
	breaker(e, out);
}

static void commit(struct engine *e, double now)
{
	e->done.delivered += e->pending.delivered;
	e->done.failed += e->pending.failed;
	e->done.retries += e->pending.retries;
	e->done.attempts += e->pending.attempts;
	for (int i = 0; i < 5; i++)
		e->done.by_class[i] += e->pending.by_class[i];
	e->done.latency_s += e->pending.latency_s;
	rate_add(&e->rate_win, now, e->pending.delivered + e->pending.failed);
	memset(&e->pending, 0, sizeof e->pending);
}

/* ---- dispatch ---- */

static void refill_tokens(struct engine *e, double now)
{
	if (e->rate <= 0)
		return;
	double burst = e->rate / 20.0; /* 50 ms worth, at least one */
	if (burst < 1)
		burst = 1;
	e->tokens += (now - e->token_time) * e->rate;
	if (e->tokens > burst)
		e->tokens = burst;
	e->token_time = now;
}

static void dispatch(struct engine *e, double now)
{
	gate_set(e, now);
	if (!atomic_load(&e->gate))
		return;
	refill_tokens(e, now);
	for (;;) {
		if (e->rate > 0 && e->tokens < 1)
			break;
		struct worker *w = pick_worker(e);
		if (w == NULL)
			break;
		struct slot *s = NULL;
		if (e->nheap > 0 && e->heap[0]->due <= now) {
			s = heap_pop(e);
			s->w = w; /* on no multi handle while it waited */
		} else if (!e->source_done) {
			s = slot_get(e, w);
			if (s == NULL)
				break;
			hc_buf_reset(&s->url);
			hc_buf_reset(&s->shown);
			hc_buf_reset(&s->req);
			struct engine_request req = {
				.url = &s->url, .shown = &s->shown,
				.body = &s->req,
			};
			int r = e->src.next(e->src.ud, &req);
			if (r <= 0)
				slot_release(s);
			if (r < 0) {
				/* The segment failed under us: send nothing
				 * more, and let what is in flight finish and
				 * be journaled. */
				e->source_done = true;
				snprintf(e->stop_reason, sizeof e->stop_reason,
					 "cannot read the next row");
				engine_stop(e);
				return;
			}
			if (r == 0) {
				e->source_done = true;
				break;
			}
			s->row = req.row;
			s->line = req.line;
			s->method = req.method;
			s->ctx = req.ctx;
			s->weight = req.weight ? req.weight : 1;
			memcpy(s->key, req.key, sizeof s->key);
			s->key[sizeof s->key - 1] = '\0';
			s->attempt = 0;
			e->dispatched += s->weight;
		} else {
			break;
		}
		if (start(e, s, now) < 0) {
			fail_engine(e, "cannot start a transfer");
			return;
		}
		if (e->rate > 0)
			e->tokens -= 1;
	}
}

/* How long may the loop sleep before the engine has work of its own? */
static int wait_ms(struct engine *e, double now, int max_wait_ms)
{
	double wait = max_wait_ms / 1000.0;
	bool can_dispatch = e->state == ENGINE_RUNNING && !e->paused &&
			    !e->stopping;
	if (can_dispatch) {
		if (now < e->holdoff_until) {
			if (e->holdoff_until - now < wait)
				wait = e->holdoff_until - now;
		} else if (pick_worker(e) != NULL) {
			if (e->rate > 0 && e->tokens < 1) {
				double t = (1 - e->tokens) / e->rate;
				if (t < wait)
					wait = t;
			}
			if (e->nheap > 0 && e->heap[0]->due - now < wait)
				wait = e->heap[0]->due - now;
		}
	}
	if (wait < 0)
		wait = 0;
	return (int)ceil(wait * 1000.0);
}

static void settle(struct engine *e, double now)
{
	if (e->state == ENGINE_FAILED || e->active > 0)
		return;
	bool end = e->stopping || (e->source_done && e->nheap == 0);
	if (!end)
		return;
	/* Rows still waiting for a retry keep their "retry" journal line,
	 * so a resume sends them again. */
	free_lists_rebuild(e);
	if (e->broken)
		e->state = ENGINE_BROKEN;
	else if (e->stopping)
		e->state = e->state == ENGINE_ABORTED ? ENGINE_ABORTED
						      : ENGINE_STOPPED;
	else
		e->state = ENGINE_DONE;
	e->t_end = now;
}

/* Journal a transfer handed back unfinished, as a row to send again. */
static void record_cancelled(struct engine *e, struct slot *s)
{
	e->active--;
	s->w->inflight--;
	struct engine_result r = {
		.row = s->row, .line = s->line, .attempt = s->attempt,
		.time = wall(), .status = 0, .outcome = OUTCOME_RETRY,
		.latency_ms = (s->done_at - s->started) * 1000.0,
		.error = "aborted: cancelled in flight",
		.url_shown = s->shown.data, .body = "", .body_len = 0,
		.headers = "", .headers_len = 0, .key = s->key,
		.method = s->method ? s->method : e->method,
		.req_body = s->req.data ? s->req.data : "",
		.req_body_len = s->req.len,
		.ctx = s->ctx, .retry_in = -1,
	};
	if (e->src.record(e->src.ud, &r) < 0)
		fail_engine(e, "cannot write the journal");
	else
		e->dirty = true;
}

/* A queued request handed back unsent: it waits to be dispatched again,
 * first in line, as the attempt it was to be. Nothing is journaled: the
 * row keeps what its last attempt recorded, and a row never tried has no
 * line, so a stop leaves it for --resume to send. */
static void unstart(struct engine *e, struct slot *s)
{
	e->active--;
	s->w->inflight--;
	s->unstarted = false;
	s->attempt--;
	if (s->attempt == 0) {
		s->due = 0;
		e->nheap_fresh++;
	}
	s->state = SLOT_WAITING;
	heap_push(e, s);
}

/* Report what came back, in order, until the engine fails. */
static void drain(struct engine *e, struct slot *s, double now)
{
	while (s && e->state != ENGINE_FAILED) {
		struct slot *next = s->next;
		if (s->unstarted)
			unstart(e, s);
		else if (s->aborted)
			record_cancelled(e, s);
		else
			finish(e, s, s->code, now);
		s = next;
	}
}

static int flush_results(struct engine *e, double now)
{
	if (!e->dirty)
		return 0;
	e->dirty = false;
	if (e->src.flush(e->src.ud) < 0) {
		fail_engine(e, "cannot write the journal");
		return -1;
	}
	commit(e, now);
	return 0;
}

int engine_step(struct engine *e, struct curl_waitfd *extra, unsigned nextra,
		int max_wait_ms)
{
	double now = mono();
	if (!e->started) {
		e->started = true;
		e->t0 = now;
		e->token_time = now;
		e->tokens = 1;
	}
	if (e->state != ENGINE_RUNNING && e->state != ENGINE_PAUSED &&
	    e->state != ENGINE_STOPPING) {
		if (nextra > 0 || max_wait_ms > 0)
			curl_multi_poll(e->multi, extra, nextra, max_wait_ms, NULL);
		return 0;
	}
	dispatch(e, now);
	submit_pending(e);
	if (e->state == ENGINE_FAILED)
		return 0;
	curl_multi_poll(e->multi, extra, nextra, wait_ms(e, now, max_wait_ms),
			NULL);
	/* Inline, perform, collect, refill; and when the refill started
	 * transfers, perform once more so that they go out now rather than
	 * after another trip through poll. With delivery threads, collect
	 * what they handed back and refill. */
	for (int round = 0; round < 2; round++) {
		int running = 0;
		curl_multi_perform(e->multi, &running);
		now = mono();
		drain(e, take_done(e), now);
		if (e->state == ENGINE_FAILED)
			return 0;
		size_t before = e->active;
		dispatch(e, now);
		submit_pending(e);
		if (e->state == ENGINE_FAILED)
			return 0;
		if (e->workers[0].inflight == 0 || e->active <= before)
			break;
	}
	if (flush_results(e, now) < 0)
		return 0;
	if (e->state == ENGINE_RUNNING && e->stopping)
		e->state = ENGINE_STOPPING;
	settle(e, now);
	return e->state == ENGINE_RUNNING || e->state == ENGINE_PAUSED ||
	       e->state == ENGINE_STOPPING;
}

void engine_wakeup(struct engine *e)
{
	curl_multi_wakeup(e->multi);
}

void engine_pause(struct engine *e, bool paused)
{
	if (e->state != ENGINE_RUNNING && e->state != ENGINE_PAUSED)
		return;
	e->paused = paused;
	e->state = paused ? ENGINE_PAUSED : ENGINE_RUNNING;
	if (!paused)
		e->token_time = mono();
	gate_set(e, mono());
}

void engine_stop(struct engine *e)
{
	if (e->state != ENGINE_RUNNING && e->state != ENGINE_PAUSED)
		return;
	e->stopping = true;
	e->paused = false;
	e->state = ENGINE_STOPPING;
	if (e->stop_reason[0] == '\0')
		snprintf(e->stop_reason, sizeof e->stop_reason, "stopped");
	gate_set(e, mono());
}

void engine_abort(struct engine *e)
{
	if (e->state != ENGINE_RUNNING && e->state != ENGINE_PAUSED &&
	    e->state != ENGINE_STOPPING)
		return;
	double now = mono();
	/* What already finished is reported as it ended; the rest is
	 * cancelled and journaled to be sent again. */
	struct slot *head = NULL, *tail = NULL;
	if (e->threaded)
		reclaim_all(e);
	collect(&e->workers[0], &head, &tail);
	cancel_all(&e->workers[0], &head, &tail);
	if (e->threaded) {
		struct slot *more = take_done(e);
		if (tail)
			tail->next = more;
		else
			head = more;
	}
	drain(e, head, now);
	if (e->state == ENGINE_FAILED)
		return;
	if (flush_results(e, now) < 0)
		return;
	snprintf(e->stop_reason, sizeof e->stop_reason, "aborted");
	e->stopping = true;
	e->broken = false;
	e->state = ENGINE_ABORTED;
	free_lists_rebuild(e);
	e->t_end = now;
}

void engine_set_concurrency(struct engine *e, long n)
{
	if (n < 1)
		n = 1;
	if (n > ENGINE_CONCURRENCY_MAX)
		n = ENGINE_CONCURRENCY_MAX;
	e->concurrency = n;
	if (e->workers)
		caps_set(e);
}

void engine_set_rate(struct engine *e, double rate)
{
	e->rate = rate > 0 ? rate : 0;
	e->tokens = e->tokens > 1 ? 1 : e->tokens;
	e->token_time = mono();
	/* what was queued spent no token: it goes through the bucket again */
	if (e->rate > 0)
		give_back_all(e);
}

void engine_get_stats(const struct engine *e, struct engine_stats *o)
{
	memset(o, 0, sizeof *o);
	double now = mono();
	o->state = e->state;
	o->dispatched = e->dispatched;
	o->in_flight = e->workers[0].nact;
	for (size_t i = 1; i < e->nworkers; i++)
		o->in_flight += atomic_load(&e->workers[i].running);
	o->waiting = e->nheap - e->nheap_fresh;
	o->delivered = e->done.delivered;
	o->failed = e->done.failed;
	o->retries = e->done.retries;
	o->attempts = e->done.attempts;
	memcpy(o->by_class, e->done.by_class, sizeof o->by_class);
	double end = e->t_end > 0 ? e->t_end : now;
	o->elapsed = e->started ? end - e->t0 : 0;
	o->rate_now = e->t_end > 0 ? 0 : rate_now(&e->rate_win, now);
	o->rate_avg = o->elapsed > 0 ? (double)(o->delivered + o->failed) /
					       o->elapsed : 0;
	static const double q[6] = { 0, 0.5, 0.9, 0.95, 0.99, 1 };
	for (int i = 0; i < 6; i++)
		o->latency_ms[i] = (double)hist_quantile(&e->hist, q[i]) / 1000.0;
	uint64_t edges[ENGINE_LATENCY_BINS - 1];
	for (size_t i = 0; i < ENGINE_LATENCY_BINS - 1; i++)
		edges[i] = (uint64_t)(engine_latency_edges_ms[i] * 1000.0);
	hist_bins(&e->hist, edges, ENGINE_LATENCY_BINS, o->latency_bins);
	o->latency_sum_s = e->done.latency_s;
	o->holdoff = e->holdoff_until > now ? e->holdoff_until - now : 0;
	o->concurrency = e->concurrency;
	o->threads = engine_threads(e);
	o->rate_limit = e->rate;
	snprintf(o->stop_reason, sizeof o->stop_reason, "%s", e->stop_reason);
}

size_t engine_tail(const struct engine *e, struct engine_tail_entry *out,
		   size_t max)
{
	size_t n = e->tail_n < max ? e->tail_n : max;
	for (size_t i = 0; i < n; i++)
		out[i] = e->tail[(e->tail_next + ENGINE_TAIL - 1 - i) % ENGINE_TAIL];
	return n;
}

struct engine *engine_new(const struct engine_config *cfg,
			  const struct engine_source *src, char **err)
{
	struct engine *e = xcalloc(1, sizeof *e);
	e->cfg = *cfg;
	e->method = xstrdup(cfg->method);
	e->key_header = cfg->key_header && cfg->key_header[0]
				? xstrdup(cfg->key_header)
				: NULL;
	e->user_agent = xstrdup(cfg->user_agent ? cfg->user_agent : "hookcast");
	e->content_type = cfg->content_type ? xstrdup(cfg->content_type) : NULL;
	if (cfg->tls) {
		e->ca_file = cfg->tls->ca_file ? xstrdup(cfg->tls->ca_file) : NULL;
		e->client_cert = cfg->tls->client_cert
					 ? xstrdup(cfg->tls->client_cert) : NULL;
		e->client_key = cfg->tls->client_key
					? xstrdup(cfg->tls->client_key) : NULL;
		e->tls = (struct engine_tls){
			.ca_file = e->ca_file, .client_cert = e->client_cert,
			.client_key = e->client_key,
			.http_version = cfg->tls->http_version,
		};
		e->cfg.tls = &e->tls; /* the caller's may not outlive this */
	}
	e->cfg.headers = NULL;
	e->src = *src;
	e->concurrency = cfg->concurrency;
	engine_set_concurrency(e, cfg->concurrency);
	e->rate = cfg->rate > 0 ? cfg->rate : 0;
	if (e->cfg.max_attempts < 1)
		e->cfg.max_attempts = 1;
	e->rng = (uint64_t)(wall() * 1e6) ^ ((uint64_t)getpid() << 32) ^
		 0x9E3779B97F4A7C15ULL;
	e->common = engine_common_headers(cfg->headers, cfg->nheaders,
					  cfg->content_type);
	e->multi = curl_multi_init();
	if (e->multi == NULL || e->common == NULL) {
		*err = xstrdup("libcurl could not start");
		engine_free(e);
		return NULL;
	}
	long threads = cfg->threads < 0 ? engine_auto_threads() : cfg->threads;
	if (threads < 1)
		threads = 1;
	if (threads > ENGINE_THREADS_MAX)
		threads = ENGINE_THREADS_MAX;
	e->threaded = threads > 1;
	e->nworkers = (size_t)threads;
	e->workers = xcalloc(e->nworkers, sizeof *e->workers);
	pthread_mutex_init(&e->out_mu, NULL);
	for (size_t i = 0; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];
		w->e = e;
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
	}
	for (size_t i = 0; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];
		w->multi = i > 0 ? curl_multi_init() : e->multi;
		if (w->multi == NULL) {
			*err = xstrdup("libcurl could not start");
			engine_free(e);
			return NULL;
		}
		/* Keep every connection made: libcurl's default cache (four
		 * per handle added at the moment) closes idle connections
		 * whenever few transfers happen to be on the handle. */
		curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS,
				  (long)ENGINE_CONCURRENCY_MAX);
	}
	for (size_t i = 1; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];
		int rc = pthread_create(&w->tid, NULL, worker_main, w);
		if (rc != 0) {
			*err = xasprintf("cannot start a delivery thread: %s",
					 strerror(rc));
			engine_free(e);
			return NULL;
		}
		w->threaded = true;
		char name[32]; /* top -H, ps -L and perf tell them apart */
		snprintf(name, sizeof name, "hc-deliver%zu", i);
		name[15] = '\0'; /* the kernel's limit; i <= 64 fits */
		pthread_setname_np(w->tid, name);
	}
	caps_set(e);
	return e;
}

long engine_auto_threads(void)
{
	cpu_set_t set;
	long n = 0;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > ENGINE_THREADS_AUTO_MAX ? ENGINE_THREADS_AUTO_MAX : n;
}

long engine_threads(const struct engine *e)
{
	return (long)e->nworkers;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	/* Stop the delivery threads first: each takes its transfers off its
	 * multi handle before it ends. */
	for (size_t i = 0; e->workers && i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];
		if (!w->threaded)
			continue;
		pthread_mutex_lock(&w->mu);
		w->quit = true;
		pthread_mutex_unlock(&w->mu);
		wake_worker(w);
		pthread_join(w->tid, NULL);
	}
	if (e->workers) {
		struct slot *head = NULL, *tail = NULL;
		cancel_all(&e->workers[0], &head, &tail);
	}
	slot_free_all(e);
	for (size_t i = 0; e->workers && i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];
		if (i > 0 && w->multi)
			curl_multi_cleanup(w->multi);
		free(w->act);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	free(e->workers);
	if (e->workers)
		pthread_mutex_destroy(&e->out_mu);
	if (e->multi)
		curl_multi_cleanup(e->multi);
	curl_slist_free_all(e->common);
	free(e->base);
	free(e->base_path);
	free(e->method);
	free(e->key_header);
	free(e->user_agent);
	free(e->content_type);
	free(e->ca_file);
	free(e->client_cert);
	free(e->client_key);
	free(e);
}
