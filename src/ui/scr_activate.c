/* Step 4: the summary, the test request and the activation itself. */
#include "tui.h"

#include "hookcast/body.h"
#include "hookcast/sign.h"
#include "hookcast/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_NONE = -1, F_CONC, F_RATE, F_ATTEMPTS, F_THREADS, F_COUNT };
enum { A_NEXT = 1, A_PREV, A_TEST, A_ACTIVATE, A_EDIT, A_PLAN };

static const struct keybind keys[] = {
	{ 't', 0, "t", "test request", "send the previewed row once, with its "
	  "own idempotency key, and show the answer (not journaled)",
	  A_TEST, 1 },
	{ 'A', 0, "A", "activate", "activate: send one request per valid "
	  "row (asks first; Enter there cancels)", A_ACTIVATE, 0 },
	{ '\t', 0, "Tab", "settings", "move to concurrency, rate, attempts "
	  "and threads (Shift-Tab: back)", A_NEXT, 3 },
	{ KEY_BTAB, 0, NULL, NULL, NULL, A_PREV, 9 },
	{ '\r', KEY_ENTER, "Enter", "edit", "type in the selected setting "
	  "(Enter or Tab accepts, Esc cancels)", A_EDIT, 2 },
	{ 'e', 'i', "e/i", NULL, "the same as Enter: start typing", A_EDIT, 9 },
	{ 'P', 0, "P", "plan", "compute the sync plan again (what the run "
	  "would send: added, changed, removed)", A_PLAN, 4 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};

static struct lineedit *field(struct app *a, int f)
{
	return f == F_CONC       ? &a->conc_edit
	       : f == F_RATE     ? &a->rate_edit
	       : f == F_ATTEMPTS ? &a->attempts_edit
				 : &a->threads_edit;
}

static void test_request(struct app *a)
{
	app_plan(a);
	struct segment_row row;
	if (a->plan == NULL || !seg_preview_row(a, a->preview_row, &row)) {
		app_flash(a, ROLE_ERROR, "the test request needs a valid "
			  "destination and a loaded segment");
		return;
	}
	struct hc_buf url, shown, why, body;
	hc_buf_init(&url);
	hc_buf_init(&shown);
	hc_buf_init(&why);
	hc_buf_init(&body);
	struct hc_msgs m;
	hc_msgs_init(&m);
	bool sign_ok = true;
	struct hc_signer *signer = NULL;
	if (request_build_body(a->plan, &row, &url, &shown, &body, &why) < 0) {
		app_flash(a, ROLE_ERROR, "row %llu cannot be sent: %s",
			  (unsigned long long)row.row, why.data);
		goto out;
	}
	signer = signer_new(a->profile, &m, &sign_ok);
	if (!sign_ok || profile_check_files(a->profile, &m) < 0) {
		app_flash(a, ROLE_ERROR, "%s", m.n ? m.items[0].text
					       : "cannot sign the request");
		goto out;
	}
	size_t nh = request_nheaders(a->plan);
	const char **h = xcalloc(nh ? nh : 1, sizeof *h);
	for (size_t i = 0; i < nh; i++)
		h[i] = request_header(a->plan, i);
	/* Its own key, derived from the row's: a receiver that honours
	 * keys must not take the test for row N and drop the real one. */
	request_row_key(a->plan, &row, a->probe_row_key);
	request_test_key(a->probe_row_key, a->probe_key);
	char *err = NULL;
	probe_free(a->probe);
	a->probe_told = false;
	a->probe_row = row.row;
	const struct profile *p = a->profile;
	char *tlsf[3] = { profile_file_path(p, p->ca_file),
			  profile_file_path(p, p->client_cert),
			  profile_file_path(p, p->client_key) };
	struct engine_tls tls = {
		.ca_file = tlsf[0], .client_cert = tlsf[1],
		.client_key = tlsf[2], .http_version = p->http_version,
	};
	struct probe_request rq = {
		.method = p->method, .url = url.data, .headers = h,
		.nheaders = nh, .key_header = p->idempotency_header,
		.key = a->probe_key, .timeout = p->timeout,
		.body = body.data, .body_len = body.len,
		.content_type = body_content_type(p->body_format),
		.signer = signer, .tls = &tls,
	};
	a->probe = probe_start(&rq, &err);
	for (int i = 0; i < 3; i++)
		free(tlsf[i]);
	free(h);
	if (a->probe == NULL) {
		app_flash(a, ROLE_ERROR, "%s", err);
		free(err);
		goto out;
	}
	snprintf(a->probe_url, sizeof a->probe_url, "%s", shown.data);
	app_flash(a, ROLE_MUTED, "test request for row %llu sent, waiting for "
		  "the answer...", (unsigned long long)row.row);
out:
	signer_free(signer);
	hc_msgs_free(&m);
	hc_buf_free(&url);
	hc_buf_free(&shown);
	hc_buf_free(&why);
	hc_buf_free(&body);
}

void activate_probe_done(struct app *a)
{
	a->probe_told = true;
	const struct probe_result *r = probe_result(a->probe);
	if (r == NULL)
		return;
	if (r->error[0])
		app_flash(a, ROLE_ERROR, "test request for row %llu: no answer "
			  "after %.0f ms (%s)", (unsigned long long)a->probe_row,
			  r->ms, r->error);
	else
		app_flash(a, r->status < 300 ? ROLE_SUCCESS : ROLE_ERROR,
			  "test request for row %llu: HTTP %ld in %.1f ms%s",
			  (unsigned long long)a->probe_row, r->status, r->ms,
			  r->early ? ", answered before the whole request was "
				     "sent (HTTP/2)" : "");
}

static void start(struct app *a)
{
	struct activation_opts o = {
		.profile = a->profile,
		.profile_path = a->profile_path,
		.segment_override = a->sv.path,
		.rate = -1,
	};
	if (a->profile->sync_mode != PROFILE_SYNC_ALL && a->sync_plan_ok) {
		/* what the question counted: the run holds to it */
		o.check_removed = true;
		o.confirmed_removed = a->sync_plan.removed;
	}
	app_start_run(a, &o);
}

static void on_confirm(struct app *a, int ctx, bool ok, const char *text,
		       int index)
{
	(void)index;
	if (!ok)
		return;
	if (ctx > 0) { /* DELETE: the row count must be typed */
		char want[32];
		snprintf(want, sizeof want, "%d", ctx);
		if (strcmp(text, want) != 0) {
			app_flash(a, ROLE_ERROR, "not confirmed: nothing was sent");
			return;
		}
	}
	start(a);
}

static void activate(struct app *a)
{
	app_plan(a);
	if (a->run_active) {
		app_go(a, SCR_PROGRESS);
		return;
	}
	if (a->plan == NULL || a->sv.path == NULL) {
		app_flash(a, ROLE_ERROR, "set a valid destination (1) and load a "
			  "segment (2) first");
		return;
	}
	if (!a->sv.count_done) {
		app_flash(a, ROLE_WARNING, "still counting the rows; try again "
			  "in a moment");
		return;
	}
	uint64_t rows = a->sv.counted - a->sv.invalid;
	char text[512];
	if (a->profile->sync_mode != PROFILE_SYNC_ALL) {
		if (!app_sync_plan(a, false))
			return;
		const struct activation_stats *s = &a->sync_plan;
		const struct profile *p = a->profile;
		uint64_t n = s->added + s->changed + s->removed;
		if (n == 0) {
			app_flash(a, ROLE_SUCCESS, "nothing to send: every record "
				  "is as it was last delivered (%llu unchanged)",
				  (unsigned long long)s->unchanged);
			return;
		}
		snprintf(text, sizeof text, "This sync sends %llu request%s: "
			 "%llu added as %s, %llu changed as %s, %llu removed as "
			 "%s (%llu unchanged are not sent).%s",
			 (unsigned long long)n, n == 1 ? "" : "s",
			 (unsigned long long)s->added,
			 profile_event_method(p, EV_ADDED),
			 (unsigned long long)s->changed,
			 profile_event_method(p, EV_CHANGED),
			 (unsigned long long)s->removed,
			 profile_event_method(p, EV_REMOVED),
			 (unsigned long long)s->unchanged,
			 s->removed ? "\nRemovals delete records at the "
				      "receiver: type their number to confirm:"
				    : "");
		if (s->removed) {
			app_input(a, "Confirm the removals", text, "",
				  (int)s->removed, on_confirm);
			return;
		}
		char yes[64];
		snprintf(yes, sizeof yes, "Send %llu request%s",
			 (unsigned long long)n, n == 1 ? "" : "s");
		app_confirm(a, "Activate the sync", text, yes, 0, on_confirm);
		return;
	}
	if (strcmp(a->profile->method, "DELETE") == 0) {
		snprintf(text, sizeof text, "DELETE removes data. This sends %llu "
			 "DELETE requests.\nType %llu to confirm:",
			 (unsigned long long)rows, (unsigned long long)rows);
		app_input(a, "Confirm DELETE", text, "", (int)rows, on_confirm);
		return;
	}
	snprintf(text, sizeof text, "Send %llu %s requests (one per valid row)?"
		 "\nEvery attempt is journaled; the run can be stopped and "
		 "resumed.", (unsigned long long)rows, a->profile->method);
	char yes[64];
	snprintf(yes, sizeof yes, "Send %llu requests", (unsigned long long)rows);
	app_confirm(a, "Activate", text, yes, 0, on_confirm);
}

static const char *check_setting(int f, const char *t)
{
	long v;
	double d;
	if (f == F_CONC && hc_parse_long(t, 1, 1024, &v) < 0)
		return "concurrency is 1..1024";
	if (f == F_RATE && hc_parse_double(t, 0, 1e6, &d) < 0)
		return "rate is a number of requests per second, 0..1000000";
	if (f == F_ATTEMPTS && hc_parse_long(t, 1, 100, &v) < 0)
		return "attempts is 1..100";
	if (f == F_THREADS && profile_threads_parse(t, &v) < 0)
		return "threads is auto (one per CPU) or 1..64";
	return NULL;
}

static void apply_setting(struct app *a, int f, const char *t)
{
	long v;
	double d;
	if (f == F_CONC && hc_parse_long(t, 1, 1024, &v) == 0 &&
	    v != a->profile->concurrency) {
		a->profile->concurrency = v;
		app_changed(a);
	} else if (f == F_RATE && hc_parse_double(t, 0, 1e6, &d) == 0 &&
		   d != a->profile->rate) {
		a->profile->rate = d;
		app_changed(a);
	} else if (f == F_ATTEMPTS && hc_parse_long(t, 1, 100, &v) == 0 &&
		   v != a->profile->max_attempts) {
		a->profile->max_attempts = v;
		app_changed(a);
	} else if (f == F_THREADS && profile_threads_parse(t, &v) == 0 &&
		   v != a->profile->threads) {
		a->profile->threads = v;
		app_changed(a);
	}
}

static void apply_conc(struct app *a, const char *t) { apply_setting(a, F_CONC, t); }
static void apply_rate(struct app *a, const char *t) { apply_setting(a, F_RATE, t); }
static void apply_att(struct app *a, const char *t) { apply_setting(a, F_ATTEMPTS, t); }
static void apply_thr(struct app *a, const char *t) { apply_setting(a, F_THREADS, t); }
static const char *check_conc(struct app *a, const char *t)
{
	(void)a;
	return check_setting(F_CONC, t);
}
static const char *check_rate(struct app *a, const char *t)
{
	(void)a;
	return check_setting(F_RATE, t);
}
static const char *check_att(struct app *a, const char *t)
{
	(void)a;
	return check_setting(F_ATTEMPTS, t);
}
static const char *check_thr(struct app *a, const char *t)
{
	(void)a;
	return check_setting(F_THREADS, t);
}

static const struct field_ops setting_fields[F_COUNT] = {
	{ .what = "the concurrency", .apply = apply_conc, .check = check_conc },
	{ .what = "the rate", .apply = apply_rate, .check = check_rate },
	{ .what = "the attempts", .apply = apply_att, .check = check_att },
	{ .what = "the threads", .apply = apply_thr, .check = check_thr },
};

static int action(struct app *a, int act)
{
	switch (act) {
	case A_NEXT:
		a->act_focus = a->act_focus + 1 >= F_COUNT ? F_NONE : a->act_focus + 1;
		return H_REDRAW;
	case A_PREV:
		a->act_focus = a->act_focus <= F_NONE ? F_COUNT - 1 : a->act_focus - 1;
		return H_REDRAW;
	case A_EDIT:
		if (a->act_focus == F_NONE)
			a->act_focus = F_CONC;
		field_begin(a, field(a, a->act_focus),
			    &setting_fields[a->act_focus]);
		return H_REDRAW;
	case A_TEST:
		test_request(a);
		return H_REDRAW;
	case A_PLAN:
		app_sync_plan(a, true);
		return H_REDRAW;
	case A_ACTIVATE:
		activate(a);
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

static enum le_look look(const struct app *a, int f)
{
	const struct lineedit *le = field((struct app *)a, f);
	return a->edit.le == le ? LE_TYPING
	       : a->act_focus == f ? LE_FOCUSED : LE_PLAIN;
}

/* The sync plan's line: what a run would send, removals in danger. */
static void draw_sync_plan(struct app *a, WINDOW *w, int y, int wd)
{
	const struct profile *p = a->profile;
	ui_role(w, ROLE_NORMAL);
	ui_textf(w, y, 2, 14, "Sync %s", profile_sync_name(p->sync_mode));
	if (!a->sync_plan_ok) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, y, 16, wd - 18, "no plan yet: P computes it");
		return;
	}
	const struct activation_stats *s = &a->sync_plan;
	int x = 16;
	ui_role(w, s->added ? ROLE_SUCCESS : ROLE_MUTED);
	x += ui_textf(w, y, x, wd - x - 2, "%llu added (%s)   ",
		      (unsigned long long)s->added,
		      profile_event_method(p, EV_ADDED));
	ui_role(w, s->changed ? ROLE_WARNING : ROLE_MUTED);
	x += ui_textf(w, y, x, wd - x - 2, "%llu changed (%s)   ",
		      (unsigned long long)s->changed,
		      profile_event_method(p, EV_CHANGED));
	ui_role(w, s->removed ? ROLE_DANGER : ROLE_MUTED);
	x += ui_textf(w, y, x, wd - x - 2, "%llu removed (%s)   ",
		      (unsigned long long)s->removed,
		      profile_event_method(p, EV_REMOVED));
	ui_role(w, ROLE_MUTED);
	x += ui_textf(w, y, x, wd - x - 2, "%llu unchanged   %llu invalid",
		      (unsigned long long)s->unchanged,
		      (unsigned long long)s->invalid);
	if (a->sync_note[0] && x < wd - 20) {
		ui_role(w, ROLE_WARNING);
		ui_str(w, y, x + 3, wd - x - 5, a->sync_note);
	}
	ui_role(w, ROLE_NORMAL);
}

static enum theme_role status_role(long status, bool error)
{
	if (error || status == 0)
		return ROLE_NETERR;
	if (status < 300)
		return ROLE_S2XX;
	if (status < 500)
		return ROLE_S4XX;
	return ROLE_S5XX;
}

static void draw_lines(WINDOW *w, int *y, int maxy, int wd, const char *s,
		       size_t n)
{
	while (n > 0 && *y < maxy) {
		const char *nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) : n;
		size_t show = len;
		while (show > 0 && (s[show - 1] == '\r'))
			show--;
		ui_text(w, (*y)++, 4, wd - 6, s, show);
		if (!nl)
			break;
		n -= len + 1;
		s = nl + 1;
	}
}

static void draw(struct app *a, WINDOW *w, int h, int wd)
{
	app_plan(a);
	const struct profile *p = a->profile;
	int y = 0;
	bool sync = p->sync_mode != PROFILE_SYNC_ALL;
	ui_box(w, y, 0, sync ? 10 : 9, wd, "Summary", a->act_focus != F_NONE);
	ui_role(w, ROLE_NORMAL);
	ui_textf(w, y + 1, 2, 14, "Destination");
	ui_role(w, strcmp(p->method, "DELETE") == 0 ? ROLE_DANGER : ROLE_TITLE);
	int x = 16 + ui_textf(w, y + 1, 16, wd - 18, "%s", p->method) + 1;
	ui_role(w, ROLE_NORMAL);
	char *url = hc_url_shown(p->url ? p->url : "(none)");
	ui_text(w, y + 1, x, wd - x - 2, url, strlen(url));
	free(url);
	ui_str(w, y + 2, 2, 14, "Segment");
	if (a->sv.path && !a->sv.error)
		ui_textf(w, y + 2, 16, wd - 18, "%s: %llu row%s%s, %llu invalid",
			 a->sv.path, (unsigned long long)a->sv.counted,
			 a->sv.counted == 1 ? "" : "s",
			 a->sv.count_done ? "" : " so far",
			 (unsigned long long)a->sv.invalid);
	else
		ui_str(w, y + 2, 16, wd - 18, "(none loaded)");
	ui_str(w, y + 3, 2, 14, "Mappings");
	struct hc_buf m;
	hc_buf_init(&m);
	for (size_t i = 0; i < p->mappings.n; i++)
		hc_buf_printf(&m, "%s%s", i ? ", " : "", p->mappings.items[i].key);
	ui_textf(w, y + 3, 16, wd - 18, "%zu (%s); %zu static", p->mappings.n,
		 m.data ? m.data : "", p->statics.n);
	hc_buf_free(&m);
	static const char *const names[F_COUNT] = {
		"Concurrency", "Rate (req/s)", "Attempts", "Threads",
	};
	static const int lx[F_COUNT] = { 2, 25, 48, 64 },
			 fx[F_COUNT] = { 16, 39, 58, 73 },
			 fw[F_COUNT] = { 6, 7, 4, 5 };
	for (int f = 0; f < F_COUNT; f++) {
		ui_role(w, a->act_focus == f ? ROLE_BORDER_FOCUS : ROLE_NORMAL);
		ui_textf(w, y + 4, lx[f], 14, "%s%s", a->act_focus == f ? ">" : "",
			 names[f]);
		ui_role(w, ROLE_NORMAL);
		le_draw(w, y + 4, fx[f], fw[f], field(a, f), look(a, f));
	}
	ui_role(w, ROLE_MUTED);
	ui_textf(w, y + 5, 16, wd - 18, "0 = unlimited rate; timeout %gs per "
		 "attempt; %s", p->timeout,
		 p->idempotency_header[0] ? "Idempotency-Key on every request"
					  : "no idempotency header");
	ui_role(w, ROLE_NORMAL);
	long v;
	double d;
	const char *bad = NULL;
	if (hc_parse_long(a->conc_edit.text.data ? a->conc_edit.text.data : "", 1, 1024, &v) < 0)
		bad = "concurrency is 1..1024";
	else if (hc_parse_double(a->rate_edit.text.data ? a->rate_edit.text.data : "", 0, 1e6, &d) < 0)
		bad = "rate is a number of requests per second, 0..1000000";
	else if (hc_parse_long(a->attempts_edit.text.data ? a->attempts_edit.text.data : "", 1, 100, &v) < 0)
		bad = "attempts is 1..100";
	else if (profile_threads_parse(a->threads_edit.text.data ? a->threads_edit.text.data : "", &v) < 0)
		bad = "threads is auto (one per CPU) or 1..64";
	if (bad) {
		ui_role(w, ROLE_ERROR);
		ui_textf(w, y + 6, 16, wd - 18, "x %s", bad);
	}
	int ry = y + 7;
	if (sync) {
		draw_sync_plan(a, w, y + 7, wd);
		ry++;
	}
	size_t nerr = a->plan_msgs.nerrors;
	ui_role(w, nerr ? ROLE_ERROR : ROLE_SUCCESS);
	if (nerr)
		ui_textf(w, ry, 2, wd - 4, "x %zu problem(s) in the profile: "
			 "see steps 1 and 3", nerr);
	else
		ui_str(w, ry, 2, wd - 4, a->act_focus == F_NONE
		       ? "ready: A activates (it asks first)"
		       : "ready: A activates; Enter types in the setting");
	ui_role(w, ROLE_NORMAL);
	y += sync ? 11 : 10;

	ui_role(w, ROLE_TITLE);
	struct segment_row row;
	if (seg_preview_row(a, a->preview_row, &row))
		ui_textf(w, y++, 2, wd - 4, "Test request (t): row %llu, sent "
			 "once, not journaled, with its own idempotency key",
			 (unsigned long long)row.row);
	else
		ui_str(w, y++, 2, wd - 4, "Test request (t): load a segment "
			"first");
	ui_role(w, ROLE_NORMAL);
	if (a->probe == NULL)
		return;
	probe_redact(a->probe, a->plan); /* an echo must not show a secret */
	const struct probe_result *r = probe_result(a->probe);
	ui_role(w, ROLE_MUTED);
	ui_textf(w, y++, 4, wd - 6, "%s %s", p->method, a->probe_url);
	if (p->idempotency_header[0]) {
		ui_textf(w, y++, 4, wd - 6, "%s: %s", p->idempotency_header,
			 a->probe_key);
		ui_textf(w, y++, 6, wd - 8, "(the test's own key: the run still "
			 "sends row %llu, with %s)",
			 (unsigned long long)a->probe_row, a->probe_row_key);
	}
	if (p->sign_scheme != PROFILE_SIGN_NONE)
		ui_textf(w, y++, 4, wd - 6, "signed: %s%s",
			 profile_sign_name(p->sign_scheme),
			 p->sign_scheme == PROFILE_SIGN_STANDARD
				 ? " (webhook-id is the test's key)" : "");
	size_t sent_len = 0;
	const char *sent = probe_sent_body(a->probe, &sent_len);
	if (sent_len > 0 && y < h - 2) {
		ui_textf(w, y++, 4, wd - 6, "Sent body (%zu bytes, %s):",
			 sent_len, body_content_type(p->body_format));
		int stop = y + 3 < h ? y + 3 : h;
		draw_lines(w, &y, stop, wd, sent, sent_len);
	}
	if (r == NULL) {
		ui_role(w, ROLE_WARNING);
		ui_str(w, y++, 4, wd - 6, "waiting for the answer...");
		ui_role(w, ROLE_NORMAL);
		return;
	}
	ui_role(w, status_role(r->status, r->error[0] != '\0'));
	if (r->error[0])
		ui_textf(w, y++, 4, wd - 6, "ERROR after %.0f ms: %s", r->ms,
			 r->error);
	else
		ui_textf(w, y++, 4, wd - 6, "HTTP %ld %s in %.1f ms", r->status,
			 r->status < 300   ? "(success)"
			 : r->status < 400 ? "(a redirect: not followed)"
					   : "(an error)",
			 r->ms);
	ui_role(w, ROLE_MUTED);
	if (r->early && y < h - 4)
		ui_str(w, y++, 6, wd - 8, "answered before the whole request "
		       "was sent (HTTP/2): the server may not have read all "
		       "of the body");
	draw_lines(w, &y, h - 4, wd, r->headers.data ? r->headers.data : "",
		   r->headers.len);
	ui_role(w, ROLE_NORMAL);
	if (r->body.len > 0 && y < h) {
		ui_str(w, y++, 4, wd - 6, "Body:");
		draw_lines(w, &y, h, wd, r->body.data, r->body.len);
	}
}

static void enter(struct app *a)
{
	a->act_focus = F_NONE;
	if (a->profile->sync_mode != PROFILE_SYNC_ALL && a->sv.count_done &&
	    !a->run_active)
		app_sync_plan(a, false); /* the plan shows before anything */
}

static bool avail(const struct app *a, int act)
{
	return act != A_PLAN || a->profile->sync_mode != PROFILE_SYNC_ALL;
}

const struct screen_ops screen_activate = {
	.name = "Activate",
	.keys = keys,
	.enter = enter,
	.draw = draw,
	.action = action,
	.avail = avail,
};
