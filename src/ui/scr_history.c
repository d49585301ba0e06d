/* Step 6: the running history: runs, then the rows of one run, with
 * filters, search, hints, and re-run or resume. */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { A_OPEN = 1, A_FILTER, A_SEARCH, A_RETRY, A_RESUME, A_RELOAD };

static const struct keybind keys[] = {
	{ '\r', KEY_ENTER, "Enter", "open", "open the selected run", A_OPEN, 1 },
	{ 'f', 0, "f", "filter", "filter rows: all, delivered, failed, invalid, "
	  "pending, 2xx, 4xx, 5xx, error (no HTTP answer)", A_FILTER, 2 },
	{ '/', 0, "/", "search", "search rows: a row number or status, or "
	  "text in the decoded URL, the error or the response", A_SEARCH, 2 },
	{ 'r', 0, "r", "re-run failed", "start a new run of the failed rows",
	  A_RETRY, 3 },
	{ 'R', 0, "R", "resume", "resume an interrupted, stopped or aborted "
	  "run", A_RESUME, 3 },
	{ CTRL('r'), 0, "^R", NULL, "reload the list", A_RELOAD, 9 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};

void app_history_reload(struct app *a)
{
	history_list_free(a->runs, a->nruns);
	a->runs = NULL;
	a->nruns = 0;
	char *err = NULL;
	char *state = history_state_dir(&err);
	if (state == NULL) {
		app_flash(a, ROLE_ERROR, "%s", err);
		free(err);
		return;
	}
	if (history_list(state, &a->runs, &a->nruns, NULL, &err) < 0) {
		app_flash(a, ROLE_ERROR, "%s", err);
		free(err);
	}
	free(state);
	a->runs_lv.n = (int)a->nruns;
	a->need_redraw = true;
}

static void refilter(struct app *a)
{
	free(a->hview);
	a->hview = xcalloc(a->nhrows ? a->nhrows : 1, sizeof *a->hview);
	a->nhview = 0;
	for (size_t i = 0; i < a->nhrows; i++)
		if (history_row_matches(&a->hrows[i], a->hfilter, a->hsearch))
			a->hview[a->nhview++] = i;
	a->hrows_lv.n = (int)a->nhview;
	a->hrows_lv.sel = 0;
	a->hrows_lv.top = 0;
}

static void open_run(struct app *a)
{
	if (a->nruns == 0)
		return;
	const struct history_meta *m = &a->runs[a->runs_lv.sel];
	history_rows_free(a->hrows, a->nhrows);
	a->hrows = NULL;
	a->nhrows = 0;
	char *err = NULL;
	char *state = history_state_dir(&err);
	if (state == NULL ||
	    history_rows_load_run(state, m, &a->hrows, &a->nhrows, &err) < 0) {
		app_flash(a, ROLE_ERROR, "%s", err);
		free(err);
		free(state);
		return;
	}
	free(state);
	a->hist_open = true;
	refilter(a);
}

/* One line of advice for a failure, in the user's terms. */
static const char *hint_for(const struct history_row *r)
{
	if (strcmp(r->outcome, "invalid") == 0)
		return "fix the segment row (see the line), then re-run";
	if (strcmp(r->outcome, "pending") == 0)
		return r->attempts ? "no final outcome yet: R resumes the run"
				   : "never sent: R resumes the run";
	long s = r->status;
	if (s == 404)
		return "404: check the base URL's path";
	if (s == 401 || s == 403)
		return "401/403: check the auth headers";
	if (s == 400 || s == 422)
		return "400/422: check the mapped parameters";
	if (s == 429)
		return "429: the receiver limits the rate: lower the rate or concurrency";
	if (s >= 300 && s < 400)
		return "a redirect: put its Location in the base URL";
	if (s >= 500 || strstr(r->error, "timed out") || strstr(r->error, "imeout"))
		return "a problem at the receiving end; it was retried";
	if (s == 0 && strcmp(r->outcome, "failed") == 0)
		return "the connection failed: check the host, port and TLS";
	return "";
}

static void on_search(struct app *a, int ctx, bool ok, const char *text,
		      int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
	snprintf(a->hsearch, sizeof a->hsearch, "%s", text);
	refilter(a);
}

static int action(struct app *a, int act)
{
	const struct history_meta *m = a->nruns ? &a->runs[a->runs_lv.sel] : NULL;
	switch (act) {
	case A_OPEN:
		if (!a->hist_open)
			open_run(a);
		return H_REDRAW;
	case A_FILTER:
		if (!a->hist_open)
			return H_NONE;
		a->hfilter = (a->hfilter + 1) % HF_COUNT;
		refilter(a);
		return H_REDRAW;
	case A_SEARCH:
		if (!a->hist_open)
			return H_NONE;
		app_input(a, "Search rows", "A row number or status, or text "
			  "in the URL (decoded), the error or the response "
			  "(empty: all):", a->hsearch, 0, on_search);
		return H_REDRAW;
	case A_RETRY: {
		if (m == NULL)
			return H_NONE;
		if (m->failed == 0) {
			app_flash(a, ROLE_MUTED, "run %s has no failed rows", m->id);
			return H_REDRAW;
		}
		struct activation_opts o = { .retry_failed_id = m->id, .rate = -1 };
		app_start_run(a, &o);
		return H_REDRAW;
	}
	case A_RESUME: {
		if (m == NULL)
			return H_NONE;
		if (strcmp(m->state, "done") == 0 || strcmp(m->state, "running") == 0) {
			app_flash(a, ROLE_MUTED, "run %s is %s: nothing to resume",
				  m->id, m->state);
			return H_REDRAW;
		}
		struct activation_opts o = { .resume_id = m->id, .rate = -1 };
		app_start_run(a, &o);
		return H_REDRAW;
	}
	case A_RELOAD:
		app_history_reload(a);
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

static int input(struct app *a, int key)
{
	if (a->hist_open && key == 27) {
		a->hist_open = false;
		return H_REDRAW;
	}
	struct listview *lv = a->hist_open ? &a->hrows_lv : &a->runs_lv;
	return lv_key(lv, key, 10) ? H_REDRAW : H_NONE;
}

static enum theme_role row_role(const struct history_row *r)
{
	if (strcmp(r->outcome, "delivered") == 0)
		return ROLE_S2XX;
	if (strcmp(r->outcome, "invalid") == 0)
		return ROLE_ERROR;
	if (r->status == 0)
		return ROLE_NETERR;
	if (r->status >= 500)
		return ROLE_S5XX;
	return ROLE_S4XX;
}

static void draw_runs(struct app *a, WINDOW *w, int h, int wd)
{
	ui_role(w, ROLE_TITLE);
	ui_textf(w, 0, 2, wd - 4, "%-24s %-12s %-19s %-11s %11s %6s %8s", "RUN",
		 "PROFILE", "STARTED (UTC)", "STATE", "DELIV/TOTAL", "FAILED",
		 "TIME");
	if (a->nruns == 0) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, 2, 2, wd - 4, "No runs yet.");
	}
	lv_clamp(&a->runs_lv, h - 2);
	for (int i = 0; i < h - 2 && a->runs_lv.top + i < (int)a->nruns; i++) {
		int k = a->runs_lv.top + i;
		const struct history_meta *m = &a->runs[k];
		char t[40], tot[40];
		history_format_time(m->started, t, sizeof t);
		t[19] = '\0';
		t[10] = ' ';
		snprintf(tot, sizeof tot, "%llu/%llu",
			 (unsigned long long)m->delivered,
			 (unsigned long long)m->valid);
		double dur = m->ended > m->started ? m->ended - m->started : 0;
		enum theme_role role = strcmp(m->state, "done") != 0 ? ROLE_WARNING
				       : m->failed		   ? ROLE_S4XX
								   : ROLE_NORMAL;
		ui_role(w, k == a->runs_lv.sel ? ROLE_SELECTION : role);
		mvwhline(w, 1 + i, 1, ' ', wd - 2);
		ui_textf(w, 1 + i, 2, wd - 4, "%-24s %-12.12s %-19s %-11s %11s "
			 "%6llu %7.1fs", m->id, hc_basename(m->profile_path), t,
			 m->state, tot, (unsigned long long)m->failed, dur);
	}
	ui_role(w, ROLE_NORMAL);
}

static void draw_rows(struct app *a, WINDOW *w, int h, int wd)
{
	const struct history_meta *m = &a->runs[a->runs_lv.sel];
	ui_role(w, ROLE_TITLE);
	ui_textf(w, 0, 2, wd - 4, "Run %s: %s, %llu delivered, %llu failed, "
		 "%llu invalid   filter: %s%s%s%s", m->id, m->state,
		 (unsigned long long)m->delivered, (unsigned long long)m->failed,
		 (unsigned long long)m->invalid, history_filter_name(a->hfilter),
		 a->hsearch[0] ? "   search: \"" : "", a->hsearch,
		 a->hsearch[0] ? "\"" : "");
	ui_role(w, ROLE_MUTED);
	ui_textf(w, 1, 2, wd - 4, "%-8s %-7s %-10s %-6s %-8s %-9s %s", "ROW",
		 "LINE", "OUTCOME", "STATUS", "ATTEMPTS", "LATENCY", "ERROR");
	int list_h = h - 9;
	lv_clamp(&a->hrows_lv, list_h);
	if (a->nhview == 0) {
		ui_str(w, 2, 2, wd - 4, "No rows match.");
	}
	for (int i = 0; i < list_h && a->hrows_lv.top + i < (int)a->nhview; i++) {
		int k = a->hrows_lv.top + i;
		const struct history_row *r = &a->hrows[a->hview[k]];
		char st[16] = "-", lat[24] = "-";
		if (r->status)
			snprintf(st, sizeof st, "%ld", r->status);
		if (r->latency_ms >= 0)
			snprintf(lat, sizeof lat, "%.1fms", r->latency_ms);
		ui_role(w, k == a->hrows_lv.sel ? ROLE_SELECTION : row_role(r));
		mvwhline(w, 2 + i, 1, ' ', wd - 2);
		ui_textf(w, 2 + i, 2, wd - 4, "%-8llu %-7llu %-10s %-6s %-8u %-9s %s",
			 (unsigned long long)r->row, (unsigned long long)r->line,
			 strcmp(r->outcome, "failed") == 0 ? "FAILED"
							   : r->outcome,
			 st, r->attempts, lat, r->error);
	}
	ui_role(w, ROLE_NORMAL);
	int y = h - 7;
	ui_box(w, y, 0, 7, wd, "Selected row", false);
	if (a->nhview == 0)
		return;
	const struct history_row *r = &a->hrows[a->hview[a->hrows_lv.sel]];
	char t[40];
	history_format_time(r->time, t, sizeof t);
	ui_textf(w, y + 1, 2, wd - 4, "row %llu, line %llu, %s after %u "
		 "attempt(s), last at %s", (unsigned long long)r->row,
		 (unsigned long long)r->line, r->outcome, r->attempts, t);
	ui_textf(w, y + 2, 2, wd - 4, "URL: %s", r->url[0] ? r->url : "-");
	ui_role(w, row_role(r));
	ui_textf(w, y + 3, 2, wd - 4, "Error: %s", r->error[0] ? r->error : "-");
	ui_role(w, ROLE_NORMAL);
	ui_textf(w, y + 4, 2, wd - 4, "Response: %s",
		 r->response[0] ? r->response : "-");
	const char *hint = hint_for(r);
	if (hint[0]) {
		ui_role(w, ROLE_WARNING);
		ui_textf(w, y + 5, 2, wd - 4, "Hint: %s", hint);
		ui_role(w, ROLE_NORMAL);
	}
}

static void draw(struct app *a, WINDOW *w, int h, int wd)
{
	if (a->hist_open && a->nruns > 0)
		draw_rows(a, w, h, wd);
	else
		draw_runs(a, w, h, wd);
}

static void enter(struct app *a)
{
	a->hist_open = false;
	app_history_reload(a);
	if (a->runs_lv.sel >= (int)a->nruns)
		a->runs_lv.sel = 0;
}

const struct screen_ops screen_history = {
	.name = "History",
	.keys = keys,
	.enter = enter,
	.draw = draw,
	.action = action,
	.input = input,
};
