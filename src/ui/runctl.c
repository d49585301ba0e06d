/* Runs from the wizard: starting one (with the cancellable pre-run
 * check), finishing it, asking before a re-run or a resume sends anything,
 * and sampling the run for the Progress step's graphs. */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* While a large segment is checked: show how far, and let Esc cancel. */
static int on_check(void *ud, uint64_t rows)
{
	struct app *a = ud;
	app_flash(a, ROLE_MUTED, "checking the whole segment: %llu rows so "
		  "far... (Esc cancels)", (unsigned long long)rows);
	a->need_redraw = false;
	tui_draw_now(a);
	bool was = is_nodelay(stdscr);
	nodelay(stdscr, TRUE);
	int ch, cancel = 0;
	while ((ch = getch()) != ERR)
		if (ch == 27)
			cancel = 1;
	nodelay(stdscr, was);
	return cancel;
}

static void samples_reset(struct run_samples *s)
{
	free(s->sent);
	free(s->errors);
	memset(s, 0, sizeof *s);
}

void app_start_run(struct app *a, const struct activation_opts *o)
{
	if (a->run_active) {
		app_flash(a, ROLE_ERROR, "a run is already going on");
		return;
	}
	activation_free(a->run);
	a->run = NULL;
	struct hc_msgs m;
	hc_msgs_init(&m);
	int status;
	struct activation_opts opts = *o;
	opts.on_check = on_check;
	opts.check_ud = a;
	struct activation *run = activation_new(&opts, &m, &status);
	if (run && (status = activation_start(run, &m)) != HC_OK) {
		activation_free(run);
		run = NULL;
	}
	if (run == NULL && status == HC_INTERRUPTED && m.n == 0) {
		app_flash(a, ROLE_MUTED, "cancelled: nothing was sent");
		hc_msgs_free(&m);
		return;
	}
	if (run == NULL) {
		struct hc_buf b;
		hc_buf_init(&b);
		for (size_t i = 0; i < m.n && i < 10; i++)
			hc_buf_printf(&b, "%s\n", m.items[i].text);
		app_info(a, "Cannot start the run", b.data ? b.data : "");
		hc_buf_free(&b);
		hc_msgs_free(&m);
		a->sync_plan_ok = false; /* made again before the next question */
		return;
	}
	hc_msgs_free(&m);
	a->run = run;
	a->run_active = true;
	a->sigcount = 0;
	struct activation_stats s;
	activation_get_stats(run, &s);
	snprintf(a->run_id, sizeof a->run_id, "%s", s.run_id ? s.run_id : "");
	memset(&a->tail_lv, 0, sizeof a->tail_lv);
	samples_reset(&a->samples);
	a->samples.last_t = app_now();
	app_flash(a, ROLE_SUCCESS, "run %s started", a->run_id);
	app_go(a, SCR_PROGRESS);
}

void app_finish_run(struct app *a)
{
	app_sample_run(a, true);
	struct hc_msgs m;
	hc_msgs_init(&m);
	a->run_status = activation_finish(a->run, &m);
	a->run_active = false;
	for (size_t i = 0; i < m.n; i++)
		app_flash(a, ROLE_ERROR, "%s", m.items[i].text);
	if (m.n == 0) {
		char why[256];
		activation_exit_reason(a->run, a->run_status, why, sizeof why);
		app_flash(a, a->run_status == 0 ? ROLE_SUCCESS : ROLE_WARNING,
			  "run %s %s, exit status %d: %s", a->run_id,
			  activation_final_state(a->run), a->run_status, why);
	}
	hc_msgs_free(&m);
	a->sync_plan_ok = false; /* the state has moved on */
	app_history_reload(a);
	a->need_redraw = true;
}

/* One sample a second: attempts, and attempts that did not deliver; and a
 * last one when the run ends (a short run still shows its rate). */
void app_sample_run(struct app *a, bool last)
{
	struct run_samples *rs = &a->samples;
	if (a->run == NULL)
		return;
	double now = app_now();
	if (now - rs->last_t < (last ? 0.001 : 1.0))
		return;
	struct activation_stats s;
	activation_get_stats(a->run, &s);
	uint64_t att = s.e.attempts;
	uint64_t err = s.e.by_class[1] + s.e.by_class[2] + s.e.by_class[3] +
		       s.e.by_class[4];
	double dt = now - rs->last_t;
	if (dt <= 0)
		dt = 1;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		rs->sent = xreallocarray(rs->sent, rs->cap, sizeof *rs->sent);
		rs->errors = xreallocarray(rs->errors, rs->cap,
					   sizeof *rs->errors);
	}
	rs->sent[rs->n] = (double)(att - rs->last_attempts) / dt;
	rs->errors[rs->n] = (double)(err - rs->last_errors) / dt;
	rs->n++;
	rs->last_attempts = att;
	rs->last_errors = err;
	rs->last_t = now;
}

/* ---- asking before sending ---- */

static void on_run_answer(struct app *a, int ctx, bool ok, const char *text,
			  int index)
{
	(void)ctx;
	(void)text;
	(void)index;
	if (!ok || a->ask_run_id[0] == '\0')
		return;
	struct activation_opts o = { .rate = -1 };
	if (a->ask_retry)
		o.retry_failed_id = a->ask_run_id;
	else
		o.resume_id = a->ask_run_id;
	app_start_run(a, &o);
}

void app_ask_retry(struct app *a, const struct history_meta *m)
{
	if (a->run_active) {
		app_flash(a, ROLE_ERROR, "a run is already going on");
		return;
	}
	if (m->failed == 0) {
		app_flash(a, ROLE_MUTED, "run %s has no failed rows", m->id);
		return;
	}
	snprintf(a->ask_run_id, sizeof a->ask_run_id, "%s", m->id);
	a->ask_retry = true;
	char text[384], yes[64];
	snprintf(text, sizeof text, "Re-run the failed rows of run %s?\nThis "
		 "starts a new run that sends %llu %s request%s, one per "
		 "failed row, to the profile's destination.", m->id,
		 (unsigned long long)m->failed,
		 m->method[0] ? m->method : "POST", m->failed == 1 ? "" : "s");
	snprintf(yes, sizeof yes, "Send %llu request%s",
		 (unsigned long long)m->failed, m->failed == 1 ? "" : "s");
	app_confirm(a, "Re-run failed rows", text, yes, 0, on_run_answer);
}

void app_ask_resume(struct app *a, const struct history_meta *m)
{
	if (a->run_active) {
		app_flash(a, ROLE_ERROR, "a run is already going on");
		return;
	}
	if (strcmp(m->state, "done") == 0 || strcmp(m->state, "running") == 0) {
		app_flash(a, ROLE_MUTED, "run %s is %s: nothing to resume",
			  m->id, m->state);
		return;
	}
	uint64_t final = m->delivered + m->failed;
	uint64_t left = m->valid > final ? m->valid - final : 0;
	snprintf(a->ask_run_id, sizeof a->ask_run_id, "%s", m->id);
	a->ask_retry = false;
	char text[384], yes[64];
	snprintf(text, sizeof text, "Resume run %s (%s)?\nThis sends up to "
		 "%llu %s request%s: the rows with no final outcome yet, with "
		 "the same idempotency keys.", m->id, m->state,
		 (unsigned long long)left, m->method[0] ? m->method : "POST",
		 left == 1 ? "" : "s");
	snprintf(yes, sizeof yes, "Send %llu request%s",
		 (unsigned long long)left, left == 1 ? "" : "s");
	app_confirm(a, "Resume the run", text, yes, 0, on_run_answer);
}

bool app_last_run_meta(struct app *a, struct history_meta *m)
{
	if (a->run == NULL || a->run_active || a->run_id[0] == '\0')
		return false;
	char *err = NULL;
	char *state = history_state_dir(&err);
	bool ok = state && history_meta_load(state, a->run_id, m, &err) == 0;
	free(state);
	free(err);
	return ok;
}

bool app_sync_plan(struct app *a, bool force)
{
	if (a->profile->sync_mode == PROFILE_SYNC_ALL || a->sv.path == NULL)
		return false;
	if (!force && a->sync_plan_ok && a->sync_plan_gen == a->edit_gen &&
	    a->sync_plan_seg && strcmp(a->sync_plan_seg, a->sv.path) == 0)
		return true;
	a->sync_plan_ok = false;
	struct activation_opts o = {
		.profile = a->profile,
		.profile_path = a->profile_path,
		.segment_override = a->sv.path,
		.rate = -1,
		.plan_only = true,
		.on_check = on_check,
		.check_ud = a,
	};
	struct hc_msgs m;
	hc_msgs_init(&m);
	int status;
	app_flash(a, ROLE_MUTED, "computing the sync plan... (Esc cancels)");
	tui_draw_now(a);
	struct activation *plan = activation_new(&o, &m, &status);
	if (plan == NULL) {
		if (status == HC_INTERRUPTED && m.n == 0)
			app_flash(a, ROLE_MUTED, "plan cancelled");
		else
			app_flash(a, ROLE_ERROR, "no plan: %s",
				  m.n ? m.items[0].text : "cannot compute it");
		hc_msgs_free(&m);
		return false;
	}
	hc_msgs_free(&m);
	activation_get_stats(plan, &a->sync_plan);
	snprintf(a->sync_note, sizeof a->sync_note, "%s",
		 a->sync_plan.sync_note ? a->sync_plan.sync_note : "");
	/* the pointers in the stats belong to the activation */
	a->sync_plan.sync_note = a->sync_note;
	a->sync_plan.state_path = NULL;
	a->sync_plan.run_id = NULL;
	a->sync_plan.results_path = NULL;
	a->sync_plan.sync_mode = profile_sync_name(a->profile->sync_mode);
	activation_free(plan);
	free(a->sync_plan_seg);
	a->sync_plan_seg = xstrdup(a->sv.path);
	a->sync_plan_gen = a->edit_gen;
	a->sync_plan_ok = true;
	app_flash(a, ROLE_SUCCESS, "sync plan: %llu added, %llu changed, %llu "
		  "removed, %llu unchanged",
		  (unsigned long long)a->sync_plan.added,
		  (unsigned long long)a->sync_plan.changed,
		  (unsigned long long)a->sync_plan.removed,
		  (unsigned long long)a->sync_plan.unchanged);
	return true;
}
