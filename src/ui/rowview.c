/* A row in full, from its run's journal: the whole URL wrapped, the
 * request headers (redacted), every attempt with its time, status,
 * latency and error, and the answer's headers and body excerpt. It
 * scrolls; y copies the URL to the terminal's clipboard (OSC 52). */
#include "tui.h"

#include "hookcast/body.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hookcast/hash.h"

#define HEADING '\x01'

struct rv_build {
	uint64_t row;
	struct hc_buf attempts; /* lines, '\n' separated */
	char *url, *key, *outcome, *headers, *body, *sent;
	uint64_t line, batch;
	unsigned nattempts;
	long status;
};

static void add_line(struct rowview *rv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_line(struct rowview *rv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *t = xvasprintf(fmt, ap);
	va_end(ap);
	rv->lines = xreallocarray(rv->lines, rv->nlines + 1, sizeof *rv->lines);
	rv->lines[rv->nlines++] = t;
}

static void replace(char **dst, const char *s, size_t n)
{
	free(*dst);
	*dst = xstrndup(s, n);
}

static int on_line(void *ud, const struct history_line *l)
{
	struct rv_build *b = ud;
	if (l->row != b->row)
		return 0;
	char t[40], st[32] = "no answer", lat[32] = "-";
	history_format_time(l->time, t, sizeof t);
	if (l->status > 0)
		snprintf(st, sizeof st, "HTTP %ld", l->status);
	if (l->latency_ms >= 0)
		snprintf(lat, sizeof lat, "%.1f ms", l->latency_ms);
	hc_buf_printf(&b->attempts, "  #%u  %s  %-9s %-9s %-9s %s\n",
		      l->attempt, t, st, lat,
		      strcmp(l->outcome, "retry") == 0 ? "retried" : l->outcome,
		      l->error);
	if (l->response_headers_len > 0)
		hc_buf_printf(&b->attempts, "      response headers: %.*s\n",
			      (int)l->response_headers_len,
			      l->response_headers);
	if (l->response_len > 0)
		hc_buf_printf(&b->attempts, "      body: %.*s\n",
			      (int)(l->response_len > 300 ? 300
							  : l->response_len),
			      l->response);
	b->nattempts++;
	b->line = l->line;
	b->status = l->status;
	replace(&b->url, l->url, strlen(l->url));
	replace(&b->key, l->key, strlen(l->key));
	/* a retry line never hides the final one */
	if (b->outcome == NULL || strcmp(l->outcome, "retry") != 0 ||
	    strcmp(b->outcome, "retry") == 0)
		replace(&b->outcome, l->outcome, strlen(l->outcome));
	replace(&b->headers, l->response_headers, l->response_headers_len);
	replace(&b->body, l->response, l->response_len);
	replace(&b->sent, l->request_body ? l->request_body : "",
		l->request_body ? l->request_body_len : 0);
	b->batch = l->batch;
	return 0;
}

/* The first line of a batch that kept its body. */
struct batch_find {
	uint64_t batch, row;
	char *body;
};

static int on_batch_line(void *ud, const struct history_line *l)
{
	struct batch_find *f = ud;
	if (f->body || l->batch != f->batch || l->request_body_len == 0)
		return 0;
	f->row = l->row;
	f->body = xstrndup(l->request_body, l->request_body_len);
	return -1;
}

/* The request headers as the run sent them, secrets hidden. */
static void request_headers(struct rowview *rv, const char *run_dir,
			    const char *key, char *method, size_t mlen)
{
	char *ini = xasprintf("%s/run.ini", run_dir);
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct profile *p = profile_load_ex(ini, &m, true);
	free(ini);
	hc_msgs_free(&m);
	if (p == NULL) {
		add_line(rv, "  (the run's profile snapshot cannot be read)");
		return;
	}
	snprintf(method, mlen, "%s", p->method);
	for (size_t i = 0; i < p->headers.n; i++) {
		const char *h = p->headers.items[i].key;
		const char *colon = strchr(h, ':');
		if (profile_header_literal_secret(h) && colon)
			add_line(rv, "  %.*s: ***", (int)(colon - h), h);
		else
			add_line(rv, "  %s", h);
	}
	if (p->idempotency_header[0] && key[0])
		add_line(rv, "  %s: %s", p->idempotency_header, key);
	if (p->body_format != PROFILE_BODY_NONE)
		add_line(rv, "  Content-Type: %s",
			 body_content_type(p->body_format));
	if (p->sign_scheme == PROFILE_SIGN_STANDARD)
		add_line(rv, "  webhook-id: %s, webhook-timestamp and "
			 "webhook-signature (signed at each attempt)", key);
	else if (p->sign_scheme == PROFILE_SIGN_HMAC)
		add_line(rv, "  %s: %s... (signed at each attempt)",
			 profile_sign_header(p), profile_sign_prefix(p));
	add_line(rv, "  User-Agent: hookcast/%s", HOOKCAST_VERSION);
	profile_free(p);
}

void rowview_close(struct app *a)
{
	struct rowview *rv = &a->rv;
	for (size_t i = 0; i < rv->nlines; i++)
		free(rv->lines[i]);
	free(rv->lines);
	free(rv->url);
	memset(rv, 0, sizeof *rv);
	a->need_redraw = true;
}

void rowview_open(struct app *a, const char *run_dir, uint64_t row)
{
	rowview_close(a);
	struct rowview *rv = &a->rv;
	struct rv_build b = { .row = row };
	hc_buf_init(&b.attempts);
	char *err = NULL;
	if (history_journal_read(run_dir, UINT64_MAX, on_line, &b, &err) < 0) {
		app_flash(a, ROLE_ERROR, "%s", err);
		free(err);
	}
	const char *id = hc_basename(run_dir);
	snprintf(rv->title, sizeof rv->title, "Run %s, row %llu", id,
		 (unsigned long long)row);
	const char *outcome = b.outcome ? b.outcome : "pending";
	if (strcmp(outcome, "retry") == 0)
		outcome = "pending (no final outcome yet)";
	char line[32] = "?";
	if (b.line)
		snprintf(line, sizeof line, "%llu", (unsigned long long)b.line);
	add_line(rv, "%cRow %llu (line %s): %s after %u attempt%s", HEADING,
		 (unsigned long long)row, line, outcome, b.nattempts,
		 b.nattempts == 1 ? "" : "s");
	char method[16] = "POST";
	add_line(rv, "%s", "");
	add_line(rv, "%cRequest headers", HEADING);
	request_headers(rv, run_dir, b.key ? b.key : "", method, sizeof method);
	add_line(rv, "%s", "");
	add_line(rv, "%cURL, sent with %s (y copies it)", HEADING, method);
	if (b.url && b.url[0]) {
		add_line(rv, "%s", b.url);
		rv->url = xstrdup(b.url);
	} else {
		add_line(rv, "  (never sent: no attempt was journaled)");
	}
	struct batch_find bf = { .batch = b.batch };
	if (b.batch && (b.sent == NULL || b.sent[0] == '\0' ||
			strcmp(b.outcome ? b.outcome : "", "delivered") != 0)) {
		/* a batch keeps its body once, with its first row */
		char *e2 = NULL;
		history_journal_read(run_dir, UINT64_MAX, on_batch_line, &bf,
				     &e2);
		free(e2);
	}
	if (bf.body && bf.row != row) {
		add_line(rv, "%s", "");
		add_line(rv, "%cBody: batch %llu's, kept with its first row, "
			 "%llu (at most 4 KiB)", HEADING,
			 (unsigned long long)b.batch,
			 (unsigned long long)bf.row);
		struct hc_buf q;
		hc_buf_init(&q);
		hc_buf_add_quoted(&q, bf.body, strlen(bf.body));
		add_line(rv, "  %s", q.data);
		hc_buf_free(&q);
	}
	if (b.sent && b.sent[0]) {
		add_line(rv, "%s", "");
		if (b.batch && bf.row != row)
			add_line(rv, "%cThis row's part of the batch", HEADING);
		else if (b.batch)
			add_line(rv, "%cBody: batch %llu's (at most 4 KiB kept)",
				 HEADING, (unsigned long long)b.batch);
		else
			add_line(rv, "%cBody (at most 4 KiB kept)", HEADING);
		struct hc_buf q;
		hc_buf_init(&q);
		hc_buf_add_quoted(&q, b.sent, strlen(b.sent));
		add_line(rv, "  %s", q.data);
		hc_buf_free(&q);
	}
	free(bf.body);
	add_line(rv, "%s", "");
	add_line(rv, "%cAttempts", HEADING);
	if (b.nattempts == 0)
		add_line(rv, "  none yet");
	for (const char *p = b.attempts.data; p && *p;) {
		const char *nl = strchr(p, '\n');
		add_line(rv, "%.*s", (int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (b.nattempts > 0) {
		add_line(rv, "%s", "");
		add_line(rv, "%cThe last answer", HEADING);
		if (b.headers && b.headers[0]) {
			add_line(rv, "  headers:");
			for (const char *p = b.headers; *p;) {
				const char *sep = strstr(p, " | ");
				add_line(rv, "    %.*s",
					 (int)(sep ? sep - p : (long)strlen(p)), p);
				p = sep ? sep + 3 : p + strlen(p);
			}
		} else {
			add_line(rv, "  headers: %s", b.status >= 200 && b.status < 300
				 ? "(not kept for a 2xx answer)" : "(none)");
		}
		add_line(rv, "  body (at most 4 KiB kept):");
		if (b.body && b.body[0])
			add_line(rv, "    %s", b.body);
		else
			add_line(rv, "    (empty)");
	}
	free(b.url);
	free(b.key);
	free(b.outcome);
	free(b.headers);
	free(b.body);
	free(b.sent);
	hc_buf_free(&b.attempts);
	rv->open = true;
	a->need_redraw = true;
}

/* OSC 52: the terminal (or tmux with set-clipboard) takes the text. */
static void copy_url(struct app *a)
{
	if (a->rv.url == NULL) {
		app_flash(a, ROLE_MUTED, "no URL to copy: the row was never sent");
		return;
	}
	char *b64 = hc_base64(a->rv.url, strlen(a->rv.url));
	char *seq = xasprintf("\033]52;c;%s\a", b64);
	fflush(stdout);
	(void)!write(STDOUT_FILENO, seq, strlen(seq));
	free(seq);
	free(b64);
	app_flash(a, ROLE_SUCCESS, "URL copied (OSC 52: the terminal must "
		  "allow it; in tmux, set-clipboard on)");
}

/* Wrapped lines, as drawn at this width. */
static int wrapped(struct rowview *rv, int width, const char **starts,
		   size_t *lens, bool *heads, int max)
{
	int n = 0;
	for (size_t i = 0; i < rv->nlines && n < max; i++) {
		const char *t = rv->lines[i];
		bool head = t[0] == HEADING;
		if (head)
			t++;
		if (*t == '\0') {
			starts[n] = t;
			lens[n] = 0;
			heads[n++] = false;
			continue;
		}
		int k = ui_wrap(t, width, starts + n, lens + n, max - n);
		for (int j = 0; j < k; j++)
			heads[n + j] = head;
		n += k;
	}
	return n;
}

#define RV_MAX_LINES 4096

int rowview_key(struct app *a, int key)
{
	struct rowview *rv = &a->rv;
	if (key == 27 || key == 'q' || key == '\r' || key == KEY_ENTER) {
		rowview_close(a);
		return H_REDRAW;
	}
	if (key == 'y') {
		copy_url(a);
		return H_REDRAW;
	}
	int page = LINES - 6;
	struct listview lv = { .sel = rv->top, .n = RV_MAX_LINES };
	if (key == KEY_DOWN || key == 'j')
		rv->top++;
	else if (key == KEY_UP || key == 'k')
		rv->top--;
	else if (lv_key(&lv, key, page))
		rv->top = key == 'G' || key == KEY_END ? RV_MAX_LINES : lv.sel;
	else
		return H_NONE;
	if (rv->top < 0)
		rv->top = 0;
	return H_REDRAW;
}

void rowview_draw(struct app *a)
{
	struct rowview *rv = &a->rv;
	int W = COLS - 2, H = LINES - 2;
	int y = 1, x = 1;
	const char **starts = xcalloc(RV_MAX_LINES, sizeof *starts);
	size_t *lens = xcalloc(RV_MAX_LINES, sizeof *lens);
	bool *heads = xcalloc(RV_MAX_LINES, sizeof *heads);
	int n = wrapped(rv, W - 4, starts, lens, heads, RV_MAX_LINES);
	int rows = H - 2;
	if (rv->top > n - rows)
		rv->top = n - rows;
	if (rv->top < 0)
		rv->top = 0;
	ui_panel(y, x, H, W, rv->title);
	for (int i = 0; i < rows && rv->top + i < n; i++) {
		int k = rv->top + i;
		ui_role(stdscr, heads[k] ? ROLE_TITLE : ROLE_NORMAL);
		ui_text(stdscr, y + 1 + i, x + 2, W - 4, starts[k], lens[k]);
	}
	if (n > rows) {
		ui_role(stdscr, ROLE_MUTED);
		ui_textf(stdscr, y + H - 1, x + W - 22, 20, " %d-%d of %d ",
			 rv->top + 1, rv->top + rows < n ? rv->top + rows : n, n);
	}
	ui_role(stdscr, ROLE_NORMAL);
	free(starts);
	free(lens);
	free(heads);
}
