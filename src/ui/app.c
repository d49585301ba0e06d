/* The application's state changes: steps, the profile (open, save,
 * quit), themes, the typing mode of fields and the undo of a delete. */
#include "tui.h"

#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

double app_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void app_flash(struct app *a, enum theme_role role, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->flash, sizeof a->flash, fmt, ap);
	va_end(ap);
	a->flash_role = role;
	a->flash_until = app_now() + 6;
	a->need_redraw = true;
}

void app_changed(struct app *a)
{
	a->edit_gen++;
	a->dirty = true;
	a->plan_stale = true;
	a->need_redraw = true;
}

void app_plan(struct app *a)
{
	if (!a->plan_stale)
		return;
	a->plan_stale = false;
	request_plan_free(a->plan);
	hc_msgs_free(&a->plan_msgs);
	a->plan = request_plan_new(a->profile, &a->plan_msgs);
	if (a->plan && a->sv.header)
		request_plan_bind(a->plan, a->sv.header, &a->plan_msgs);
	/* What a run would refuse besides (a batch with query mappings, a
	 * signing secret that is not whsec_...), as it is set, not only when
	 * activating; one message for each key. */
	struct hc_msgs more = { 0 };
	profile_validate(a->profile, &more);
	for (size_t i = 0; i < more.n; i++) {
		const char *t = more.items[i].text;
		const char *sec = strstr(t, "] ");
		const char *end = sec ? strchr(sec, ':') : NULL;
		size_t n = end ? (size_t)(end - t) + 1 : strlen(t);
		bool seen = false;
		for (size_t j = 0; j < a->plan_msgs.n && !seen; j++) {
			const char *o = a->plan_msgs.items[j].text;
			seen = strlen(o) >= n && memcmp(o, t, n) == 0;
		}
		if (!seen)
			hc_msgs_add(&a->plan_msgs, more.items[i].severity, "%s",
				    more.items[i].text);
	}
	hc_msgs_free(&more);
}

/* ---- typing mode ---- */

bool app_typing(const struct app *a)
{
	return a->edit.le != NULL || a->dlg.kind == DLG_INPUT;
}

void field_begin(struct app *a, struct lineedit *le,
		 const struct field_ops *ops)
{
	free(a->edit.before);
	a->edit.le = le;
	a->edit.ops = ops;
	a->edit.before = xstrdup(le->text.data ? le->text.data : "");
	a->edit.dirty_before = a->dirty;
	le->cursor = le->text.len;
	a->need_redraw = true;
}

static void field_end(struct app *a)
{
	free(a->edit.before);
	memset(&a->edit, 0, sizeof a->edit);
	a->need_redraw = true;
}

int field_key(struct app *a, int key)
{
	struct lineedit *le = a->edit.le;
	const struct field_ops *ops = a->edit.ops;
	const char *text = le->text.data ? le->text.data : "";
	if (key == 27) {
		/* Esc: everything as it was before typing began */
		le_set(le, a->edit.before);
		if (ops->apply)
			ops->apply(a, a->edit.before);
		a->dirty = a->edit.dirty_before;
		field_end(a);
		return FIELD_DONE;
	}
	if (key == '\t' && ops->complete) {
		ops->complete(a);
		return FIELD_KEPT;
	}
	if (key == '\t' || key == '\r' || key == '\n' || key == KEY_ENTER) {
		const char *why = ops->check ? ops->check(a, text) : NULL;
		if (why) {
			app_flash(a, ROLE_ERROR, "x %s (Esc puts back the old "
				  "value)", why);
			return FIELD_KEPT;
		}
		char *t = xstrdup(text);
		field_end(a);
		if (ops->commit)
			ops->commit(a, t);
		free(t);
		return key == '\t' ? FIELD_TAB : FIELD_DONE;
	}
	if (le_key(le, key) == 1 && ops->apply)
		ops->apply(a, le->text.data ? le->text.data : "");
	a->need_redraw = true;
	return FIELD_KEPT; /* every other key belongs to the field */
}

/* ---- undo of a delete, one rule for every list ---- */

void app_free_undo(struct app *a)
{
	free(a->undo.entry.key);
	free(a->undo.entry.value);
	memset(&a->undo, 0, sizeof a->undo);
}

void app_delete_entry(struct app *a, struct profile_list *l, size_t i,
		      const char *prefix, const char *what)
{
	if (i >= l->n)
		return;
	app_free_undo(a);
	a->undo.list = l;
	a->undo.prefix = prefix;
	a->undo.index = i;
	a->undo.screen = a->screen;
	a->undo.entry.key = xstrdup(l->items[i].key);
	a->undo.entry.value = l->items[i].value ? xstrdup(l->items[i].value)
						: NULL;
	snprintf(a->undo.what, sizeof a->undo.what, "%s", what);
	profile_list_remove(l, i, prefix);
	app_changed(a);
	app_flash(a, ROLE_WARNING, "deleted %s: u undoes it", what);
}

bool app_undo(struct app *a)
{
	struct profile_list *l = a->undo.list;
	if (l == NULL)
		return false;
	size_t at = a->undo.index <= l->n ? a->undo.index : l->n;
	profile_list_add(l, a->undo.prefix, 0, a->undo.entry.key,
			 a->undo.entry.value);
	/* profile_list_add appends: move it back where it was */
	struct profile_entry e = l->items[l->n - 1];
	memmove(&l->items[at + 1], &l->items[at],
		(l->n - 1 - at) * sizeof *l->items);
	l->items[at] = e;
	profile_list_renumber(l, a->undo.prefix);
	app_flash(a, ROLE_SUCCESS, "restored %s", a->undo.what);
	enum screen_id s = a->undo.screen;
	app_free_undo(a);
	app_changed(a);
	if (a->screen != s)
		app_go(a, s);
	return true;
}

/* ---- profiles ---- */

char *app_profiles_dir(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg == '/')
		return xasprintf("%s/hookcast/profiles", xdg);
	if (home && *home)
		return xasprintf("%s/.config/hookcast/profiles", home);
	return xstrdup(".");
}

static void set_number(struct lineedit *le, double v)
{
	char t[48];
	le_set(le, hc_format_number(v, t, sizeof t));
}

void app_load_editors(struct app *a)
{
	le_set(&a->url_edit, a->profile->url ? a->profile->url : "");
	set_number(&a->timeout_edit, a->profile->timeout);
	set_number(&a->conc_edit, (double)a->profile->concurrency);
	set_number(&a->rate_edit, a->profile->rate);
	set_number(&a->attempts_edit, (double)a->profile->max_attempts);
	if (a->profile->threads == PROFILE_THREADS_AUTO)
		le_set(&a->threads_edit, "auto");
	else
		set_number(&a->threads_edit, (double)a->profile->threads);
	a->seg_delim = a->profile->delimiter;
	char *seg = profile_segment_path(a->profile);
	le_set(&a->seg_edit, seg ? seg : "");
	if (seg)
		seg_load(a, seg);
	else
		seg_view_free(&a->sv);
	free(seg);
	a->plan_stale = true;
}

/* A dialog with the first max messages, one a line. */
static void info_msgs(struct app *a, const char *title,
		      const struct hc_msgs *m, size_t max)
{
	struct hc_buf b;
	hc_buf_init(&b);
	for (size_t i = 0; i < m->n && i < max; i++)
		hc_buf_printf(&b, "%s\n", m->items[i].text);
	app_info(a, title, b.data ? b.data : "");
	hc_buf_free(&b);
}

int app_open_profile(struct app *a, const char *path, bool announce)
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct profile *p = profile_load(path, &m);
	if (p == NULL) {
		info_msgs(a, "Cannot open the profile", &m, 8);
		hc_msgs_free(&m);
		return -1;
	}
	if (announce)
		app_flash(a, ROLE_SUCCESS, "opened %s", hc_basename(path));
	for (size_t i = 0; i < m.n; i++) /* a warning outranks the news */
		app_flash(a, ROLE_WARNING, "%s", m.items[i].text);
	hc_msgs_free(&m);
	profile_free(a->profile);
	a->profile = p;
	free(a->wrap_aside);
	a->wrap_aside = NULL;
	free(a->profile_path);
	a->profile_path = xstrdup(path);
	a->dirty = false;
	app_free_undo(a);
	app_load_editors(a);
	return 0;
}

static void mkdirs_for(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		for (char *s = dir + 1; *s; s++)
			if (*s == '/') {
				*s = '\0';
				mkdir(dir, 0700);
				*s = '/';
			}
		mkdir(dir, 0700);
	}
	free(dir);
}

static bool save_to(struct app *a, const char *where)
{
	char *err = NULL;
	char *path = xstrdup(where); /* where may be a->profile_path */
	mkdirs_for(path);
	char *old_segment = a->profile->segment_file
				    ? xstrdup(a->profile->segment_file) : NULL;
	bool rebased = profile_rebase(a->profile, path);
	char *old_path = a->profile->path;
	a->profile->path = xstrdup(path);
	if (profile_save(a->profile, path, &err) < 0) {
		/* nothing was saved: the profile stays as it was */
		free(a->profile->path);
		a->profile->path = old_path;
		if (rebased) {
			free(a->profile->segment_file);
			a->profile->segment_file = old_segment;
			old_segment = NULL;
		}
		free(old_segment);
		app_info(a, "Cannot save", err);
		free(err);
		free(path);
		return false;
	}
	free(old_path);
	free(old_segment);
	free(a->profile_path);
	a->profile_path = path;
	a->dirty = false;
	if (rebased)
		app_flash(a, ROLE_SUCCESS, "saved %s (mode 0600); the segment "
			  "is now %s", path, a->profile->segment_file);
	else
		app_flash(a, ROLE_SUCCESS, "saved %s (mode 0600)", path);
	return true;
}

static void on_save_path(struct app *a, int ctx, bool ok, const char *text,
			 int index)
{
	(void)index;
	if (ok && text[0] && save_to(a, text) && ctx == 1)
		a->quit = true;
}

void app_save(struct app *a, bool as, bool then_quit)
{
	if (a->profile_path && !as) {
		if (save_to(a, a->profile_path) && then_quit)
			a->quit = true;
		return;
	}
	char *dir = app_profiles_dir();
	char *def = a->profile_path ? xstrdup(a->profile_path)
				    : xasprintf("%s/webhook.ini", dir);
	app_input(a, "Save profile", then_quit ? "Save the profile as (then "
		  "quit):" : "Save the profile as:", def, then_quit ? 1 : 0,
		  on_save_path);
	free(def);
	free(dir);
}

/* A profile opened from the wizard brings its theme, unless --theme chose
 * one for the session. */
static void opened(struct app *a)
{
	if (!a->theme_forced)
		app_apply_theme(a, a->profile->theme);
	app_go(a, SCR_DESTINATION);
}

static void on_open_path(struct app *a, int ctx, bool ok, const char *text,
			 int index)
{
	(void)ctx;
	(void)index;
	if (ok && text[0] && app_open_profile(a, text, true) == 0)
		opened(a);
}

static void on_open_pick(struct app *a, int ctx, bool ok, const char *text,
			 int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
	if (strcmp(text, "Another file...") == 0) {
		app_input(a, "Open profile", "Profile file:", "", 0, on_open_path);
		return;
	}
	if (strcmp(text, "Start with an empty destination") == 0) {
		app_go(a, SCR_DESTINATION); /* typing the URL */
		return;
	}
	char *dir = app_profiles_dir();
	char *path = xasprintf("%s/%s", dir, text);
	if (app_open_profile(a, path, true) == 0)
		opened(a);
	free(path);
	free(dir);
}

void app_offer_profiles(struct app *a, bool at_start)
{
	char *dir = app_profiles_dir();
	char *pat = xasprintf("%s/*.ini", dir);
	glob_t g;
	char **items = NULL;
	size_t n = 0;
	if (glob(pat, 0, NULL, &g) == 0) {
		items = xcalloc(g.gl_pathc + 2, sizeof *items);
		for (size_t i = 0; i < g.gl_pathc; i++)
			items[n++] = xstrdup(hc_basename(g.gl_pathv[i]));
		globfree(&g);
	}
	free(pat);
	free(dir);
	if (n == 0 && at_start) {
		free(items);
		return;
	}
	items = xreallocarray(items, n + 2, sizeof *items);
	items[n++] = xstrdup(at_start ? "Start with an empty destination"
				      : "Another file...");
	if (!at_start && n == 1) {
		free(items[0]);
		free(items);
		app_input(a, "Open profile", "Profile file:", "", 0, on_open_path);
		return;
	}
	if (at_start)
		items[n++] = xstrdup("Another file...");
	app_pick(a, at_start ? "Open a saved profile" : "Open profile", items, n,
		 0, on_open_pick);
}

static void on_open_anyway(struct app *a, int ctx, bool ok, const char *text,
			   int index)
{
	(void)ctx;
	(void)text;
	(void)index;
	/* Nothing is discarded here: only opening another profile does. */
	if (ok)
		app_offer_profiles(a, false);
}

void app_ask_open(struct app *a)
{
	if (a->dirty)
		app_confirm(a, "Open", "The profile has unsaved changes. They "
			    "are lost only if another profile is opened; Esc "
			    "in the next list keeps them.", "Choose a profile",
			    0, on_open_anyway);
	else
		app_offer_profiles(a, false);
}

/* ---- quit ---- */

enum { QUIT_CANCEL, QUIT_SAVE, QUIT_DISCARD, QUIT_STOP };

static void on_quit(struct app *a, int ctx, bool ok, const char *text,
		    int index)
{
	(void)ctx;
	(void)text;
	if (!ok)
		return;
	if (index == QUIT_SAVE) {
		app_save(a, false, true);
		return;
	}
	if (a->run_active)
		activation_stop(a->run, false);
	a->quit = true;
}

void app_ask_quit(struct app *a)
{
	if (a->run_active) {
		const struct dlg_choice c[2] = {
			{ "Stop the run and quit", 'y', QUIT_STOP },
			{ "Cancel", 'n', QUIT_CANCEL },
		};
		app_choose(a, "Quit", "A run is going on. Stop it (what is in "
			   "flight finishes; it stays resumable) and quit?", c,
			   2, 1, 0, on_quit);
	} else if (a->dirty) {
		const struct dlg_choice c[3] = {
			{ "Save and quit", 's', QUIT_SAVE },
			{ "Quit without saving", 'd', QUIT_DISCARD },
			{ "Cancel", 'n', QUIT_CANCEL },
		};
		app_choose(a, "Quit", "The profile has unsaved changes.", c, 3,
			   2, 0, on_quit);
	} else {
		a->quit = true;
		return;
	}
	a->dlg.quit = true;
}

/* ---- themes ---- */

void app_apply_theme(struct app *a, const char *name)
{
	char *err = NULL;
	if (a->no_color) {
		theme_builtin_mono(&a->theme);
	} else if (theme_load(name, a->theme_dirs, &a->theme, &err) < 0) {
		char *text = xasprintf("%s\n\nUsing the default theme.", err);
		app_info(a, "Theme", text);
		free(text);
		free(err);
	}
	ui_theme_apply(&a->theme);
	a->need_redraw = true;
}

static void on_theme_move(struct app *a, int ctx, int index)
{
	(void)ctx;
	if (index >= 0 && (size_t)index < a->dlg.nitems)
		app_apply_theme(a, a->dlg.items[index]);
}

static void on_theme(struct app *a, int ctx, bool ok, const char *text,
		     int index)
{
	(void)ctx;
	(void)index;
	if (!ok) {
		app_apply_theme(a, a->theme_before); /* Esc: as it was */
		return;
	}
	app_apply_theme(a, text);
	if (strcmp(a->profile->theme, text) != 0) {
		free(a->profile->theme);
		a->profile->theme = xstrdup(text);
		a->dirty = true;
	}
	app_flash(a, ROLE_SUCCESS, "theme %s", a->theme.name);
}

void app_pick_theme(struct app *a)
{
	char **items = xcalloc(64, sizeof *items);
	size_t n = 0;
	items[n++] = xstrdup("default");
	items[n++] = xstrdup("mono");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *user = xdg && *xdg == '/' ? xasprintf("%s/hookcast/themes", xdg)
				       : xasprintf("%s/.config/hookcast/themes",
						   home ? home : "");
	const char *dirs[8] = { user };
	size_t nd = 1;
	for (size_t i = 0; a->theme_dirs[i] && nd < 7; i++)
		dirs[nd++] = a->theme_dirs[i];
	for (size_t d = 0; d < nd; d++) {
		char *pat = xasprintf("%s/*.ini", dirs[d]);
		glob_t g;
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc && n < 63; i++) {
				char *name = xstrdup(hc_basename(g.gl_pathv[i]));
				name[strlen(name) - 4] = '\0';
				bool seen = false;
				for (size_t k = 0; k < n; k++)
					seen = seen || strcmp(items[k], name) == 0;
				if (seen)
					free(name);
				else
					items[n++] = name;
			}
			globfree(&g);
		}
		free(pat);
	}
	free(user);
	snprintf(a->theme_before, sizeof a->theme_before, "%s",
		 a->profile->theme ? a->profile->theme : "default");
	if (a->theme_forced || a->no_color)
		snprintf(a->theme_before, sizeof a->theme_before, "%s",
			 a->theme.name);
	app_pick(a, "Colour theme (each shows as you move; Esc keeps yours)",
		 items, n, 0, on_theme);
	a->dlg.moved = on_theme_move;
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i], a->theme_before) == 0)
			a->dlg.lv.sel = (int)i;
}
