/* Step 5: the live progress of a run: counts, the send and error rates
 * over the run as sparklines, the latency histogram, and a scrollable tail
 * whose rows open in full. Once it has finished: re-run or resume. */
#include "tui.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { A_PAUSE = 1, A_MORE, A_LESS, A_RATE, A_STOP, A_ABORT, A_OPEN,
       A_RETRY, A_RESUME };

/* r is the rate while a run goes on, and re-runs the failed rows once it
 * has finished: the status bar shows the one that works. */
static const struct keybind keys[] = {
	{ 'p', 0, "p", "pause/resume", "pause or resume sending", A_PAUSE, 1 },
	{ '+', '=', "+/-", "concurrency", "raise or lower the concurrency",
	  A_MORE, 2 },
	{ '-', 0, NULL, NULL, NULL, A_LESS, 9 },
	{ 'r', 0, "r", "rate", "set the rate limit (requests per second, 0: "
	  "none) for the rest of the run", A_RATE, 4 },
	{ 'x', 0, "x", "stop", "stop: finish what is in flight, then end "
	  "(resumable; asks first)", A_STOP, 1 },
	{ 'a', 0, "a", "abort", "abort: cancel what is in flight now "
	  "(resumable; asks first)", A_ABORT, 3 },
	{ '\r', KEY_ENTER, "Enter", "row", "open the selected row in full",
	  A_OPEN, 3 },
	{ 'r', 0, "r", "re-run failed", "after the run: send the failed rows "
	  "again, as a new run (asks first)", A_RETRY, 2 },
	{ 'R', 0, "R", "resume", "after a stop: resume the run (asks first)",
	  A_RESUME, 2 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};

static void on_stop(struct app *a, int ctx, bool ok, const char *text,
		    int index)
{
	(void)text;
	(void)index;
	if (!ok || !a->run_active)
		return;
	if (ctx == A_STOP)
		activation_stop(a->run, false);
	else
		activation_abort(a->run, false);
}

static void on_rate(struct app *a, int ctx, bool ok, const char *text,
		    int index)
{
	(void)ctx;
	(void)index;
	double r;
	if (!ok || !a->run_active)
		return;
	if (hc_parse_double(text, 0, 1e6, &r) < 0) {
		app_flash(a, ROLE_ERROR, "the rate is a number of requests per "
			  "second, 0 to 1000000 (0: no limit)");
		return;
	}
	activation_set_rate(a->run, r);
	char b[48];
	if (r > 0)
		app_flash(a, ROLE_MUTED, "rate limit %s/s",
			  hc_format_number(r, b, sizeof b));
	else
		app_flash(a, ROLE_MUTED, "no rate limit");
}

static bool avail(const struct app *a, int act)
{
	switch (act) {
	case A_PAUSE:
	case A_MORE:
	case A_LESS:
	case A_RATE:
	case A_STOP:
	case A_ABORT:
		return a->run_active;
	case A_OPEN:
		return a->run != NULL && a->tail_lv.n > 0;
	case A_RETRY:
	case A_RESUME: {
		if (a->run == NULL || a->run_active)
			return false;
		const char *st = activation_final_state(a->run);
		if (act == A_RESUME)
			return strcmp(st, "done") != 0;
		struct activation_stats s;
		activation_get_stats(a->run, &s);
		return s.prior_failed + s.e.failed > 0;
	}
	default:
		return true;
	}
}

/* The run this screen shows, from its journal folder. */
static void open_row(struct app *a)
{
	struct engine_tail_entry tail[ENGINE_TAIL];
	size_t n = activation_tail(a->run, tail, ENGINE_TAIL);
	struct activation_stats s;
	activation_get_stats(a->run, &s);
	if (a->tail_lv.sel < 0 || (size_t)a->tail_lv.sel >= n ||
	    s.results_path == NULL)
		return;
	char *dir = xstrdup(s.results_path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rowview_open(a, dir, tail[a->tail_lv.sel].row);
	free(dir);
}

static int action(struct app *a, int act)
{
	if (act == A_OPEN) {
		open_row(a);
		return H_REDRAW;
	}
	if (act == A_RETRY || act == A_RESUME) {
		struct history_meta m;
		if (app_last_run_meta(a, &m)) {
			if (act == A_RETRY)
				app_ask_retry(a, &m);
			else
				app_ask_resume(a, &m);
			history_meta_free(&m);
		}
		return H_REDRAW;
	}
	struct activation_stats s;
	activation_get_stats(a->run, &s);
	switch (act) {
	case A_PAUSE:
		activation_pause(a->run, s.e.state != ENGINE_PAUSED);
		return H_REDRAW;
	case A_MORE:
	case A_LESS: {
		long c = s.e.concurrency;
		long n = act == A_MORE ? (c < 8 ? c + 1 : c + c / 4)
				       : (c <= 8 ? c - 1 : c - c / 5);
		activation_set_concurrency(a->run, n);
		app_flash(a, ROLE_MUTED, "concurrency %ld", n < 1 ? 1 : n > 1024 ? 1024 : n);
		return H_REDRAW;
	}
	case A_RATE: {
		char now[48];
		hc_format_number(s.e.rate_limit, now, sizeof now);
		app_input(a, "Rate limit", "Requests per second for the rest of "
			  "the run (0: no limit):", now, 0, on_rate);
		return H_REDRAW;
	}
	case A_STOP:
		app_confirm(a, "Stop", "Stop the run? What is in flight "
			    "finishes; the run stays resumable.", "Stop the run",
			    A_STOP, on_stop);
		return H_REDRAW;
	case A_ABORT:
		app_confirm(a, "Abort", "Abort the run? What is in flight is "
			    "cancelled and journaled as not delivered; the run "
			    "stays resumable.", "Abort the run", A_ABORT, on_stop);
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

static int input(struct app *a, int key)
{
	return lv_key(&a->tail_lv, key, 10) ? H_REDRAW : H_NONE;
}

static void fmt_ms(double ms, char *b, size_t n)
{
	if (ms >= 1000)
		snprintf(b, n, "%.2fs", ms / 1000);
	else
		snprintf(b, n, "%.*fms", ms < 10 ? 1 : 0, ms);
}

static void fmt_eta(double s, char *b, size_t n)
{
	if (s < 0)
		snprintf(b, n, "?");
	else if (s < 60)
		snprintf(b, n, "%.0fs", ceil(s));
	else if (s < 3600)
		snprintf(b, n, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		snprintf(b, n, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

static enum theme_role role_of(long status, enum engine_outcome o)
{
	if (status == 0)
		return o == OUTCOME_DELIVERED ? ROLE_S2XX : ROLE_NETERR;
	if (status < 300)
		return ROLE_S2XX;
	if (status < 500)
		return ROLE_S4XX;
	return ROLE_S5XX;
}

static const char *const bin_labels[ENGINE_LATENCY_BINS] = {
	"1m", "2m", "5m", "10m", "20m", "50m", ".1s", ".2s", ".5s", "1s",
	"2s", "5s", "5s+",
};

/* The send rate and the error rate over the run, and the latency
 * histogram; 4 rows from y. */
static void draw_graphs(struct app *a, WINDOW *w, int y, int wd,
			const struct activation_stats *s)
{
	const struct run_samples *rs = &a->samples;
	int lw = wd / 2 - 4;
	double peak;
	ui_role(w, ROLE_MUTED);
	graph_spark(w, y + 1, 2, 0, rs->sent, rs->n, &peak);
	ui_textf(w, y, 2, lw, "sent/s over the run (peak %.0f)", peak);
	ui_role(w, ROLE_SUCCESS);
	graph_spark(w, y + 1, 2, lw, rs->sent, rs->n, NULL);
	ui_role(w, ROLE_MUTED);
	graph_spark(w, y + 3, 2, 0, rs->errors, rs->n, &peak);
	ui_textf(w, y + 2, 2, lw, "errors/s: 3xx-5xx and no answer (peak %.0f)",
		 peak);
	ui_role(w, peak > 0 ? ROLE_ERROR : ROLE_MUTED);
	graph_spark(w, y + 3, 2, lw, rs->errors, rs->n, NULL);
	int hx = wd / 2 + 1, hw = wd - hx - 2;
	ui_role(w, ROLE_MUTED);
	ui_str(w, y, hx, hw, "latency of each attempt");
	ui_role(w, ROLE_TITLE);
	graph_hist(w, y + 1, hx, 4, hw, s->e.latency_bins, ENGINE_LATENCY_BINS,
		   bin_labels);
	ui_role(w, ROLE_NORMAL);
}

static void draw(struct app *a, WINDOW *w, int h, int wd)
{
	if (a->run == NULL) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, 1, 2, wd - 4, "No run yet: activate one in step 4, "
			"or resume one from the history (H).");
		ui_role(w, ROLE_NORMAL);
		return;
	}
	struct activation_stats s;
	activation_get_stats(a->run, &s);
	uint64_t done = s.prior_delivered + s.prior_failed + s.e.delivered +
			s.e.failed;
	int pct = app_run_pct(&s); /* the badge shows the same number */
	const char *state = a->run_active ? engine_state_name(s.e.state)
					  : activation_final_state(a->run);
	ui_role(w, ROLE_TITLE);
	ui_textf(w, 0, 2, wd - 4, "Run %s   %s   sending for %.1fs%s", a->run_id,
		 state, s.e.elapsed, a->run_active ? "" : "   (finished)");
	int bw = wd - 24;
	int fill = bw * pct / 100;
	ui_role(w, ROLE_NORMAL);
	mvwaddch(w, 2, 2, '[');
	ui_role(w, s.e.failed ? ROLE_WARNING : ROLE_SUCCESS);
	for (int i = 0; i < bw; i++)
		mvwaddch(w, 2, 3 + i, i < fill ? '#' : '.');
	ui_role(w, ROLE_NORMAL);
	ui_textf(w, 2, 3 + bw, 20, "] %3d%%", pct);
	ui_textf(w, 3, 2, wd - 4, "%llu/%llu rows done   delivered %llu   "
		 "failed %llu   in flight %llu   waiting to retry %llu   "
		 "invalid %llu",
		 (unsigned long long)done, (unsigned long long)s.valid,
		 (unsigned long long)(s.prior_delivered + s.e.delivered),
		 (unsigned long long)(s.prior_failed + s.e.failed),
		 (unsigned long long)s.e.in_flight,
		 (unsigned long long)s.e.waiting,
		 (unsigned long long)s.invalid);
	int x = 2;
	static const char *const cls[5] = { "2xx", "3xx", "4xx", "5xx", "errors" };
	static const enum theme_role cr[5] = { ROLE_S2XX, ROLE_WARNING, ROLE_S4XX,
					       ROLE_S5XX, ROLE_NETERR };
	for (int i = 0; i < 5; i++) {
		ui_role(w, s.e.by_class[i] ? cr[i] : ROLE_MUTED);
		x += ui_textf(w, 4, x, wd - x - 2, "%s %llu   ", cls[i],
			      (unsigned long long)s.e.by_class[i]);
	}
	ui_role(w, ROLE_NORMAL);
	ui_textf(w, 4, x, wd - x - 2, "retries %llu",
		 (unsigned long long)s.e.retries);
	char eta[32], p50[32], p90[32], p99[32];
	fmt_eta(a->run_active ? s.eta : 0, eta, sizeof eta);
	fmt_ms(s.e.latency_ms[1], p50, sizeof p50);
	fmt_ms(s.e.latency_ms[2], p90, sizeof p90);
	fmt_ms(s.e.latency_ms[4], p99, sizeof p99);
	ui_textf(w, 5, 2, wd - 4, "rate %.1f/s (average %.1f/s)   ETA %s   "
		 "latency p50 %s  p90 %s  p99 %s",
		 s.e.rate_now, s.e.rate_avg, eta, p50, p90, p99);
	char lim[64], num[48];
	if (s.e.rate_limit > 0)
		snprintf(lim, sizeof lim, "%s/s",
			 hc_format_number(s.e.rate_limit, num, sizeof num));
	else
		snprintf(lim, sizeof lim, "unlimited");
	ui_role(w, ROLE_MUTED);
	int cx = 2 + ui_textf(w, 6, 2, wd - 4, "concurrency %ld on %ld %s   "
			      "rate limit %s%s", s.e.concurrency,
			      s.e.threads,
			      s.e.threads > 1 ? "threads" : "thread", lim,
			      s.e.holdoff > 0 ? "   held back by a 429" : "");
	if (strcmp(s.sync_mode, "all") != 0 && !s.e.stop_reason[0]) {
		ui_role(w, ROLE_NORMAL);
		cx += ui_textf(w, 6, cx, wd - cx - 2, "   sync %s: %llu added, "
			       "%llu changed, ", s.sync_mode,
			       (unsigned long long)s.added,
			       (unsigned long long)s.changed);
		ui_role(w, s.removed ? ROLE_DANGER : ROLE_NORMAL);
		cx += ui_textf(w, 6, cx, wd - cx - 2, "%llu removed",
			       (unsigned long long)s.removed);
		ui_role(w, ROLE_MUTED);
		ui_textf(w, 6, cx, wd - cx - 2, ", %llu unchanged",
			 (unsigned long long)s.unchanged);
	}
	if (s.e.stop_reason[0]) {
		ui_role(w, ROLE_WARNING);
		ui_text(w, 6, wd / 2, wd / 2 - 2, s.e.stop_reason,
			strlen(s.e.stop_reason));
	}
	if (!a->run_active) {
		char why[256];
		activation_exit_reason(a->run, a->run_status, why, sizeof why);
		ui_role(w, a->run_status == 0 ? ROLE_SUCCESS : ROLE_WARNING);
		ui_textf(w, 7, 2, wd - 4, "finished: %s, exit status %d: %s.",
			 state, a->run_status, why);
	}
	draw_graphs(a, w, 8, wd, &s);
	int ty = 13;
	ui_role(w, ROLE_TITLE);
	ui_str(w, ty, 2, wd - 4, "Latest results (newest first; Enter opens "
	       "a row in full)");
	ui_role(w, ROLE_MUTED);
	ui_textf(w, ty + 1, 2, wd - 4, "%-9s %-7s %-7s %-6s %-10s %-9s %s",
		 "ROW", "ATTEMPT", "METHOD", "STATUS", "OUTCOME", "LATENCY",
		 "ERROR");
	struct engine_tail_entry tail[ENGINE_TAIL];
	size_t n = activation_tail(a->run, tail, ENGINE_TAIL);
	a->tail_lv.n = (int)n;
	int rows = h - ty - 2;
	lv_clamp(&a->tail_lv, rows);
	for (int i = 0; i < rows && a->tail_lv.top + i < (int)n; i++) {
		const struct engine_tail_entry *t = &tail[a->tail_lv.top + i];
		bool sel = a->tail_lv.top + i == a->tail_lv.sel;
		char st[16] = "-", lat[24];
		if (t->status)
			snprintf(st, sizeof st, "%ld", t->status);
		fmt_ms(t->latency_ms, lat, sizeof lat);
		ui_role(w, sel ? ROLE_SELECTION : role_of(t->status, t->outcome));
		if (t->outcome == OUTCOME_FAILED && !sel)
			wattron(w, A_BOLD);
		ui_textf(w, ty + 2 + i, 2, wd - 4,
			 "%-9llu %-7u %-7s %-6s %-10s %-9s %s",
			 (unsigned long long)t->row, t->attempt, t->method, st,
			 t->outcome == OUTCOME_FAILED ? "FAILED"
						      : engine_outcome_name(t->outcome),
			 lat, t->error);
	}
	ui_role(w, ROLE_NORMAL);
}

const struct screen_ops screen_progress = {
	.name = "Progress",
	.keys = keys,
	.draw = draw,
	.action = action,
	.input = input,
	.avail = avail,
};
