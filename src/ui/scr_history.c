/* Step 6: the running history: runs, then the rows of one run, with
 * filters, search, hints, and re-run or resume. */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { A_OPEN = 1, A_FILTER, A_SEARCH, A_RETRY, A_RESUME, A_RELOAD };

static const struct keybind keys[] = {
	{ '\r', KEY_ENTER, "Enter", "open", "open the selected run; on a row, "
	  "the row in full (every attempt, headers, answer)", A_OPEN, 1 },
	{ 'f', 0, "f", "filter", "filter rows: all, delivered, failed, invalid, "
	  "pending, 2xx, 4xx, 5xx, error (no HTTP answer), retried (more "
	  "than one attempt), and a sync's added, changed, removed",
	  A_FILTER, 2 },
	{ '/', 0, "/", "search", "search rows: a row number or status, or "
	  "text in the decoded URL, the error or the response", A_SEARCH, 2 },
	{ 'r', 0, "r", "re-run failed", "start a new run of the failed rows "
	  "(asks first, saying how many requests)", A_RETRY, 3 },
	{ 'R', 0, "R", "resume", "resume an interrupted, stopped or aborted "
	  "run (asks first)", A_RESUME, 3 },
	{ CTRL('r'), 0, "^R", NULL, "reload the list", A_RELOAD, 9 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};


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

static void on_search(struct app *a, const char *text)
{
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
		else if (a->nhview > 0 && m)
			rowview_open(a, m->dir,
				     a->hrows[a->hview[a->hrows_lv.sel]].row);
		return H_REDRAW;
	case A_FILTER:
		a->hfilter = (a->hfilter + 1) % HF_COUNT;
		refilter(a);
		return H_REDRAW;
	case A_SEARCH:
		app_ask(a, "Search rows", "A row number or status, or text "
			"in the URL (decoded), the error or the response "
			"(empty: all):", a->hsearch, on_search);
		return H_REDRAW;
	case A_RETRY:
		if (m)
			app_ask_retry(a, m);
		return H_REDRAW;
	case A_RESUME:
		if (m)
			app_ask_resume(a, m);
		return H_REDRAW;
	case A_RELOAD:
		app_history_reload(a);
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

static bool avail(const struct app *a, int act)
{
	const struct history_meta *m = a->nruns ? &a->runs[a->runs_lv.sel] : NULL;
	switch (act) {
	case A_FILTER:
	case A_SEARCH:
		return a->hist_open;
	case A_OPEN:
		return a->hist_open ? a->nhview > 0 : a->nruns > 0;
	case A_RETRY:
		return m && m->failed > 0 && !a->run_active;
	case A_RESUME:
		return m && strcmp(m->state, "done") != 0 &&
		       strcmp(m->state, "running") != 0 && !a->run_active;
	default:
		return true;
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

/* One run's cells, as the list shows them. */
struct run_cells {
	char c[7][64];
};

static void run_cells(const struct history_meta *m, double now,
		      struct run_cells *out)
{
	/* "12-02 13:52": the run id already holds the whole start time */
	char t[40];
	history_format_time(m->started, t, sizeof t);
	t[16] = '\0';
	t[10] = ' ';
	snprintf(out->c[0], 64, "%s", m->id);
	snprintf(out->c[1], 64, "%s", hc_basename(m->profile_path));
	snprintf(out->c[2], 64, "%s", t + 5);
	snprintf(out->c[3], 64, "%s", m->state);
	snprintf(out->c[4], 64, "%llu/%llu", (unsigned long long)m->delivered,
		 (unsigned long long)m->valid);
	snprintf(out->c[5], 64, "%llu", (unsigned long long)m->failed);
	history_format_duration(history_sending_time(m, now),
				history_wall_time(m, now), out->c[6], 64);
}

/* Columns take their width from their content; when the line is too
 * narrow, the profile's column gives way first, then the run id. */
static void draw_runs(struct app *a, WINDOW *w, int h, int wd)
{
	static const char *const head[7] = { "RUN", "PROFILE", "STARTED",
					      "STATE", "DELIV/TOTAL", "FAILED",
					      "TIME (WALL)" };
	double now = hc_wall_now();
	int width[7];
	for (int i = 0; i < 7; i++)
		width[i] = (int)strlen(head[i]);
	lv_clamp(&a->runs_lv, h - 2);
	struct run_cells *cells = xcalloc(a->nruns ? a->nruns : 1,
					  sizeof *cells);
	for (size_t k = 0; k < a->nruns; k++) {
		run_cells(&a->runs[k], now, &cells[k]);
		for (int i = 0; i < 7; i++) {
			int l = ui_width(cells[k].c[i], strlen(cells[k].c[i]));
			if (l > width[i])
				width[i] = l;
		}
	}
	int total = 1;
	for (int i = 0; i < 7; i++)
		total += width[i] + 2;
	for (int shrink = 1; total > wd - 1 && shrink >= 0; shrink--) {
		int cut = total - (wd - 1);
		int room = width[shrink] - (shrink == 1 ? 8 : 12);
		if (room > 0) {
			int take = cut < room ? cut : room;
			width[shrink] -= take;
			total -= take;
		}
	}
	ui_role(w, ROLE_TITLE);
	for (int i = 0, x = 1; i < 7; x += width[i++] + 2)
		ui_str(w, 0, x, width[i], head[i]);
	if (a->nruns == 0) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, 2, 2, wd - 4, "No runs yet.");
	}
	for (int r = 0; r < h - 2 && a->runs_lv.top + r < (int)a->nruns; r++) {
		int k = a->runs_lv.top + r;
		const struct history_meta *m = &a->runs[k];
		enum theme_role role = strcmp(m->state, "done") != 0 ? ROLE_WARNING
				       : m->failed		   ? ROLE_S4XX
								   : ROLE_NORMAL;
		ui_role(w, k == a->runs_lv.sel ? ROLE_SELECTION : role);
		mvwhline(w, 1 + r, 0, ' ', wd);
		for (int i = 0, x = 1; i < 7 && x < wd - 1; x += width[i++] + 2)
			ui_str(w, 1 + r, x, width[i] < wd - 1 - x ? width[i]
								 : wd - 1 - x,
			       cells[k].c[i]);
	}
	free(cells);
	ui_role(w, ROLE_NORMAL);
}

static void draw_rows(struct app *a, WINDOW *w, int h, int wd)
{
	const struct history_meta *m = &a->runs[a->runs_lv.sel];
	ui_role(w, ROLE_TITLE);
	/* what the list shows first: it is what changes as keys are pressed */
	ui_textf(w, 0, 2, wd - 4, "filter: %s%s%s%s   run %s: %s, %llu "
		 "delivered, %llu failed, %llu invalid",
		 history_filter_name(a->hfilter),
		 a->hsearch[0] ? "   search: \"" : "", a->hsearch,
		 a->hsearch[0] ? "\"" : "", m->id, m->state,
		 (unsigned long long)m->delivered, (unsigned long long)m->failed,
		 (unsigned long long)m->invalid);
	ui_role(w, ROLE_MUTED);
	bool sync = strcmp(m->sync_mode, "all") != 0;
	ui_textf(w, 1, 2, wd - 4, "%-8s %-7s %-10s %-6s %-8s %-9s %s%s", "ROW",
		 "LINE", "OUTCOME", "STATUS", "ATTEMPTS", "LATENCY",
		 sync ? "EVENT    " : "", "ERROR");
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
		char line[24] = "-";
		if (r->line)
			snprintf(line, sizeof line, "%llu",
				 (unsigned long long)r->line);
		char ev[16] = "";
		if (sync)
			snprintf(ev, sizeof ev, "%-8s ", r->event[0] ? r->event
								       : "-");
		ui_textf(w, 2 + i, 2, wd - 4, "%-8llu %-7s %-10s %-6s %-8u %-9s %s%s",
			 (unsigned long long)r->row, line,
			 strcmp(r->outcome, "failed") == 0 ? "FAILED"
							   : r->outcome,
			 st, r->attempts, lat, ev, r->error);
	}
	ui_role(w, ROLE_NORMAL);
	int y = h - 7;
	ui_box(w, y, 0, 7, wd, "Selected row (Enter: the row in full)", false);
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
	.avail = avail,
};
