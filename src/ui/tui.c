/* The TUI's loop, chrome (title, breadcrumb, status bar, help), dialogs,
 * profiles and signals. Screens live in scr_*.c. */
#include "tui.h"

#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hookcast/sigpipe.h"

#define MIN_W 80
#define MIN_H 24

static const struct screen_ops *const screens[SCR_COUNT] = {
	&screen_destination, &screen_segment, &screen_mappings,
	&screen_activate,    &screen_progress, &screen_history,
};

enum {
	G_HELP = 1000,
	G_REDRAW,
	G_HISTORY,
	G_SAVE,
	G_SAVE_AS,
	G_OPEN,
	G_BACK,
	G_THEME,
	G_STEP1,
	G_STEP6 = G_STEP1 + 5,
};

static const struct keybind global_keys[] = {
	{ '?', 0, "?", "help", "show this help", G_HELP, 1 },
	{ 'q', 0, "q", "back", "go back a step; quit on the first step", G_BACK, 2 },
	{ CTRL('s'), 0, "^S", "save", "save the profile", G_SAVE, 3 },
	{ CTRL('o'), 0, "^O", "open", "open a profile", G_OPEN, 6 },
	{ CTRL('w'), 0, "^W", NULL, "save the profile under another name "
	  "(a relative segment path is made absolute)", G_SAVE_AS, 9 },
	{ 'H', 0, "H", "history", "open the running history", G_HISTORY, 5 },
	{ 'T', 0, "T", NULL, "choose a colour theme", G_THEME, 9 },
	{ CTRL('l'), 0, "^L", NULL, "redraw the screen", G_REDRAW, 9 },
	{ '1', KEY_F(1), "1-6", NULL, "go to a step: 1 destination, 2 segment, "
	  "3 mappings, 4 activate, 5 progress, 6 history", G_STEP1, 9 },
	{ '2', KEY_F(2), NULL, NULL, NULL, G_STEP1 + 1, 9 },
	{ '3', KEY_F(3), NULL, NULL, NULL, G_STEP1 + 2, 9 },
	{ '4', KEY_F(4), NULL, NULL, NULL, G_STEP1 + 3, 9 },
	{ '5', KEY_F(5), NULL, NULL, NULL, G_STEP1 + 4, 9 },
	{ '6', KEY_F(6), NULL, NULL, NULL, G_STEP1 + 5, 9 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};

/* Restoring the terminal after a crash needs the modes from before curses
 * took over; the handler can only reach them through a global. */
static struct termios saved_tty;
static bool saved_tty_ok;

static void on_crash(int sig)
{
	if (saved_tty_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	static const char reset[] = "\033[0m\033[?25h\033[?1049l\r\n";
	(void)!write(STDOUT_FILENO, reset, sizeof reset - 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_crash_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_crash;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}

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

void app_go(struct app *a, enum screen_id s)
{
	if (s >= SCR_COUNT)
		return;
	a->screen = s;
	if (screens[s]->enter)
		screens[s]->enter(a);
	a->need_redraw = true;
}

void app_changed(struct app *a)
{
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
}

/* ---- dialogs ---- */

static void dialog_reset(struct dialog *d)
{
	le_free(&d->edit);
	for (size_t i = 0; i < d->nitems; i++)
		free(d->items[i]);
	free(d->items);
	memset(d, 0, sizeof *d);
}

void app_confirm(struct app *a, const char *title, const char *text, int ctx,
		 void (*done)(struct app *, int, bool, const char *, int))
{
	dialog_reset(&a->dlg);
	a->dlg.kind = done ? DLG_CONFIRM : DLG_INFO;
	snprintf(a->dlg.title, sizeof a->dlg.title, "%s", title);
	snprintf(a->dlg.text, sizeof a->dlg.text, "%s", text);
	le_init(&a->dlg.edit, "");
	a->dlg.ctx = ctx;
	a->dlg.done = done;
	a->need_redraw = true;
}

void app_input(struct app *a, const char *title, const char *prompt,
	       const char *initial, int ctx,
	       void (*done)(struct app *, int, bool, const char *, int))
{
	dialog_reset(&a->dlg);
	a->dlg.kind = DLG_INPUT;
	snprintf(a->dlg.title, sizeof a->dlg.title, "%s", title);
	snprintf(a->dlg.text, sizeof a->dlg.text, "%s", prompt);
	le_init(&a->dlg.edit, initial);
	a->dlg.ctx = ctx;
	a->dlg.done = done;
	a->need_redraw = true;
}

void app_pick(struct app *a, const char *title, char **items, size_t n,
	      int ctx, void (*done)(struct app *, int, bool, const char *, int))
{
	dialog_reset(&a->dlg);
	a->dlg.kind = DLG_PICKER;
	snprintf(a->dlg.title, sizeof a->dlg.title, "%s", title);
	le_init(&a->dlg.edit, "");
	a->dlg.items = items; /* takes ownership */
	a->dlg.nitems = n;
	a->dlg.lv.n = (int)n;
	a->dlg.ctx = ctx;
	a->dlg.done = done;
	a->need_redraw = true;
}

static void dialog_close(struct app *a, bool ok, int index)
{
	struct dialog d = a->dlg;
	memset(&a->dlg, 0, sizeof a->dlg);
	a->need_redraw = true;
	char *text = xstrdup(d.edit.text.data ? d.edit.text.data : "");
	const char *item = index >= 0 && (size_t)index < d.nitems ? d.items[index] : text;
	if (d.done)
		d.done(a, d.ctx, ok, item, index);
	free(text);
	dialog_reset(&d);
}

static void dialog_key(struct app *a, int key)
{
	struct dialog *d = &a->dlg;
	if (key == 27) {
		dialog_close(a, false, -1);
		return;
	}
	switch (d->kind) {
	case DLG_INFO:
		dialog_close(a, true, -1);
		return;
	case DLG_CONFIRM:
		if (key == 'y' || key == 'Y' || key == '\n' || key == '\r' || key == KEY_ENTER)
			dialog_close(a, true, -1);
		else if (key == 'n' || key == 'N' || key == 'q')
			dialog_close(a, false, -1);
		return;
	case DLG_INPUT:
		if (key == '\n' || key == '\r' || key == KEY_ENTER)
			dialog_close(a, true, -1);
		else if (le_key(&d->edit, key))
			a->need_redraw = true;
		return;
	case DLG_PICKER:
		if (key == '\n' || key == '\r' || key == KEY_ENTER)
			dialog_close(a, d->nitems > 0, d->lv.sel);
		else if (lv_key(&d->lv, key, 10))
			a->need_redraw = true;
		return;
	default:
		return;
	}
}

/* Split the dialog text into lines of at most width columns, breaking at
 * spaces where it can. Returns the number of lines; starts/lens get them. */
static int wrap(const char *t, int width, const char **starts, size_t *lens,
		int max)
{
	int n = 0;
	while (*t && n < max) {
		const char *nl = strchr(t, '\n');
		size_t len = nl ? (size_t)(nl - t) : strlen(t);
		if (len == 0) {
			starts[n] = t;
			lens[n++] = 0;
		}
		while (len > 0 && n < max) {
			size_t cut = len;
			if (ui_width(t, len) > width) {
				cut = 0;
				while (cut < len && ui_width(t, cut + 1) <= width)
					cut++;
				size_t sp = cut;
				while (sp > 0 && t[sp] != ' ')
					sp--;
				if (sp > 0)
					cut = sp;
			}
			starts[n] = t;
			lens[n++] = cut;
			t += cut;
			len -= cut;
			while (len > 0 && *t == ' ') {
				t++;
				len--;
			}
		}
		if (nl == NULL)
			break;
		t = nl + 1;
	}
	return n;
}

static void dialog_draw(struct app *a)
{
	struct dialog *d = &a->dlg;
	int W = COLS - 8 < 76 ? COLS - 8 : 76;
	const char *starts[24];
	size_t lens[24];
	int nlines = d->kind == DLG_PICKER ? 0 : wrap(d->text, W - 4, starts, lens, 24);
	int H = d->kind == DLG_PICKER ? (LINES - 6 < (int)d->nitems + 4
						? LINES - 6
						: (int)d->nitems + 4)
				      : nlines + (d->kind == DLG_INPUT ? 5 : 4);
	if (H < 5)
		H = 5;
	if (H > LINES - 2)
		H = LINES - 2;
	int y = (LINES - H) / 2, x = (COLS - W) / 2;
	ui_role(stdscr, ROLE_NORMAL);
	for (int i = 0; i < H; i++)
		mvwhline(stdscr, y + i, x, ' ', W);
	ui_box(stdscr, y, x, H, W, d->title, true);
	int row = y + 1;
	for (int i = 0; i < nlines && row < y + H - 2; i++)
		ui_text(stdscr, row++, x + 2, W - 4, starts[i], lens[i]);
	if (d->kind == DLG_INPUT) {
		ui_role(stdscr, ROLE_SELECTION);
		le_draw(stdscr, row + 1, x + 2, W - 4, &d->edit, true);
		ui_role(stdscr, ROLE_MUTED);
		ui_str(stdscr, y + H - 2, x + 2, W - 4,
			"Enter: OK   Esc: cancel");
	} else if (d->kind == DLG_PICKER) {
		int h = H - 2;
		lv_clamp(&d->lv, h);
		for (int i = 0; i < h && d->lv.top + i < (int)d->nitems; i++) {
			int k = d->lv.top + i;
			ui_role(stdscr, k == d->lv.sel ? ROLE_SELECTION : ROLE_NORMAL);
			mvwhline(stdscr, y + 1 + i, x + 1, ' ', W - 2);
			ui_textf(stdscr, y + 1 + i, x + 2, W - 4, "%s %s",
				 k == d->lv.sel ? ">" : " ", d->items[k]);
		}
	} else {
		ui_role(stdscr, ROLE_MUTED);
		const char *hint = d->kind == DLG_CONFIRM ? "y: yes   n or Esc: no"
							  : "any key: close";
		ui_text(stdscr, y + H - 2, x + 2, W - 4, hint, strlen(hint));
	}
	ui_role(stdscr, ROLE_NORMAL);
}

/* ---- chrome ---- */

static void draw_badge(struct app *a, int y, int right)
{
	if (!a->run_active || a->run == NULL)
		return;
	struct activation_stats s;
	activation_get_stats(a->run, &s);
	uint64_t done = s.prior_delivered + s.prior_failed + s.e.delivered +
			s.e.failed;
	int pct = s.valid ? (int)(100 * done / s.valid) : 100;
	char b[96];
	snprintf(b, sizeof b, " [RUN %s %llu/%llu %d%%] ",
		 s.e.state == ENGINE_PAUSED     ? "PAUSED"
		 : s.e.state == ENGINE_STOPPING ? "STOPPING"
						: "ACTIVE",
		 (unsigned long long)done, (unsigned long long)s.valid, pct);
	ui_role(stdscr, ROLE_WARNING);
	wattron(stdscr, A_REVERSE | A_BOLD);
	int w = (int)strlen(b);
	ui_text(stdscr, y, right - w, w, b, (size_t)w);
	ui_role(stdscr, ROLE_NORMAL);
}

static void draw_title(struct app *a)
{
	ui_role(stdscr, ROLE_TITLE);
	mvwhline(stdscr, 0, 0, ' ', COLS);
	const char *name = a->profile_path ? hc_basename(a->profile_path)
					   : "(new profile)";
	ui_textf(stdscr, 0, 1, COLS - 2, "hookcast  %s%s", name,
		 a->dirty ? " [+] unsaved" : "");
	draw_badge(a, 0, COLS);
	/* breadcrumb */
	int x = 1;
	ui_role(stdscr, ROLE_NORMAL);
	mvwhline(stdscr, 1, 0, ' ', COLS);
	for (int i = 0; i < SCR_COUNT; i++) {
		char item[48];
		snprintf(item, sizeof item, "%d %s", i + 1, screens[i]->name);
		bool cur = i == (int)a->screen;
		if (i > 0) {
			ui_role(stdscr, ROLE_MUTED);
			x += ui_str(stdscr, 1, x, COLS - x, " > ");
		}
		ui_role(stdscr, cur ? ROLE_SELECTION : ROLE_NORMAL);
		if (cur)
			x += ui_str(stdscr, 1, x, COLS - x, "[");
		x += ui_text(stdscr, 1, x, COLS - x, item, strlen(item));
		if (cur)
			x += ui_str(stdscr, 1, x, COLS - x, "]");
	}
	ui_role(stdscr, ROLE_NORMAL);
}

/* The bottom line: hints by priority, as many as fit. */
static void draw_status(struct app *a)
{
	const struct keybind *tables[2] = { screens[a->screen]->keys, global_keys };
	const struct keybind *pick[64];
	size_t n = 0;
	for (int prio = 0; prio <= 9; prio++)
		for (int t = 0; t < 2; t++)
			for (const struct keybind *k = tables[t]; k && k->action; k++)
				if (k->prio == prio && k->hint && n < 64)
					pick[n++] = k;
	ui_role(stdscr, ROLE_STATUSBAR);
	mvwhline(stdscr, LINES - 1, 0, ' ', COLS);
	/* keep the highest priorities that fit, in table order */
	bool keep[64] = { false };
	int used = 1;
	for (size_t i = 0; i < n; i++) {
		int w = ui_width(pick[i]->label, strlen(pick[i]->label)) +
			ui_width(pick[i]->hint, strlen(pick[i]->hint)) + 3;
		if (used + w <= COLS - 1) {
			keep[i] = true;
			used += w;
		}
	}
	int x = 1;
	for (int t = 0; t < 2; t++)
		for (const struct keybind *k = tables[t]; k && k->action; k++)
			for (size_t i = 0; i < n; i++) {
				if (pick[i] != k || !keep[i])
					continue;
				wattrset(stdscr, (int)(ui_attr(ROLE_STATUSBAR) |
						       ui_attr(ROLE_HINT_KEY)));
				x += ui_text(stdscr, LINES - 1, x, COLS - x,
					     k->label, strlen(k->label));
				ui_role(stdscr, ROLE_STATUSBAR);
				x += ui_textf(stdscr, LINES - 1, x, COLS - x,
					      " %s  ", k->hint);
			}
	ui_role(stdscr, ROLE_NORMAL);
}

static void draw_help(struct app *a)
{
	const struct keybind *tables[2] = { screens[a->screen]->keys, global_keys };
	int rows = 0;
	for (int t = 0; t < 2; t++)
		for (const struct keybind *k = tables[t]; k && k->action; k++)
			rows += k->label && k->help ? 1 : 0;
	int W = COLS - 6 < 90 ? COLS - 6 : 90;
	int H = rows + 6 < LINES - 2 ? rows + 6 : LINES - 2;
	int y = (LINES - H) / 2, x = (COLS - W) / 2;
	ui_role(stdscr, ROLE_NORMAL);
	for (int i = 0; i < H; i++)
		mvwhline(stdscr, y + i, x, ' ', W);
	char title[64];
	snprintf(title, sizeof title, "Keys: %s", screens[a->screen]->name);
	ui_box(stdscr, y, x, H, W, title, true);
	int r = y + 1;
	for (int t = 0; t < 2; t++) {
		if (t == 1 && r < y + H - 2) {
			ui_role(stdscr, ROLE_TITLE);
			ui_str(stdscr, r++, x + 2, W - 4, "Everywhere");
		}
		for (const struct keybind *k = tables[t]; k && k->action; k++) {
			if (!k->label || !k->help || r >= y + H - 2)
				continue;
			ui_role(stdscr, ROLE_HINT_KEY);
			ui_text(stdscr, r, x + 2, 10, k->label, strlen(k->label));
			ui_role(stdscr, ROLE_NORMAL);
			ui_text(stdscr, r++, x + 13, W - 15, k->help,
				strlen(k->help));
		}
	}
	ui_role(stdscr, ROLE_MUTED);
	ui_str(stdscr, y + H - 2, x + 2, W - 4,
		"Tab/Shift-Tab: next/previous field   Esc: leave a field   "
		"any key: close");
	ui_role(stdscr, ROLE_NORMAL);
}

static void draw(struct app *a)
{
	werase(stdscr);
	if (COLS < MIN_W || LINES < MIN_H) {
		ui_role(stdscr, ROLE_WARNING);
		ui_textf(stdscr, 0, 0, COLS, "Terminal too small: %dx%d.", COLS,
			 LINES);
		ui_role(stdscr, ROLE_NORMAL);
		ui_textf(stdscr, 1, 0, COLS, "hookcast needs %dx%d.", MIN_W, MIN_H);
		if (a->run_active)
			ui_str(stdscr, 2, 0, COLS, "The run goes on.");
		draw_badge(a, LINES > 3 ? 3 : LINES - 1, COLS);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	draw_title(a);
	WINDOW *content = derwin(stdscr, LINES - 4, COLS, 2, 0);
	if (content) {
		screens[a->screen]->draw(a, content, LINES - 4, COLS);
		delwin(content);
	}
	if (a->flash[0] && app_now() < a->flash_until) {
		ui_role(stdscr, a->flash_role);
		ui_text(stdscr, LINES - 2, 1, COLS - 2, a->flash, strlen(a->flash));
	}
	draw_status(a);
	if (a->show_help)
		draw_help(a);
	if (a->dlg.kind != DLG_NONE)
		dialog_draw(a);
	ui_role(stdscr, ROLE_NORMAL);
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- profiles ---- */

static char *profiles_dir(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg == '/')
		return xasprintf("%s/hookcast/profiles", xdg);
	if (home && *home)
		return xasprintf("%s/.config/hookcast/profiles", home);
	return xstrdup(".");
}

static void load_editors(struct app *a)
{
	le_set(&a->url_edit, a->profile->url ? a->profile->url : "");
	char t[32];
	snprintf(t, sizeof t, "%g", a->profile->timeout);
	le_set(&a->timeout_edit, t);
	snprintf(t, sizeof t, "%ld", a->profile->concurrency);
	le_set(&a->conc_edit, t);
	snprintf(t, sizeof t, "%g", a->profile->rate);
	le_set(&a->rate_edit, t);
	snprintf(t, sizeof t, "%ld", a->profile->max_attempts);
	le_set(&a->attempts_edit, t);
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
static void confirm_msgs(struct app *a, const char *title,
			 const struct hc_msgs *m, size_t max)
{
	struct hc_buf b;
	hc_buf_init(&b);
	for (size_t i = 0; i < m->n && i < max; i++)
		hc_buf_printf(&b, "%s\n", m->items[i].text);
	app_confirm(a, title, b.data, 0, NULL);
	hc_buf_free(&b);
}

static int open_profile(struct app *a, const char *path)
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct profile *p = profile_load(path, &m);
	if (p == NULL) {
		confirm_msgs(a, "Cannot open the profile", &m, 8);
		hc_msgs_free(&m);
		return -1;
	}
	for (size_t i = 0; i < m.n; i++)
		app_flash(a, ROLE_WARNING, "%s", m.items[i].text);
	hc_msgs_free(&m);
	profile_free(a->profile);
	a->profile = p;
	free(a->profile_path);
	a->profile_path = xstrdup(path);
	a->dirty = false;
	load_editors(a);
	return 0;
}

static void save_to(struct app *a, const char *where)
{
	char *err = NULL;
	char *path = xstrdup(where); /* where may be a->profile_path */
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		char *cmd = dir;
		/* create the folder, one level at a time */
		for (char *s = cmd + 1; *s; s++)
			if (*s == '/') {
				*s = '\0';
				mkdir(cmd, 0700);
				*s = '/';
			}
		mkdir(cmd, 0700);
	}
	free(dir);
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
		app_confirm(a, "Cannot save", err, 0, NULL);
		free(err);
		free(path);
		return;
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
}

static void on_save_path(struct app *a, int ctx, bool ok, const char *text,
			 int index)
{
	(void)ctx;
	(void)index;
	if (ok && text[0])
		save_to(a, text);
}

static void save(struct app *a, bool as)
{
	if (a->profile_path && !as) {
		save_to(a, a->profile_path);
		return;
	}
	char *dir = profiles_dir();
	char *def = a->profile_path ? xstrdup(a->profile_path)
				    : xasprintf("%s/webhook.ini", dir);
	app_input(a, "Save profile", "Save the profile as:", def, 0, on_save_path);
	free(def);
	free(dir);
}

static void apply_theme(struct app *a, const char *name);

/* A profile opened from the wizard brings its theme, unless --theme chose
 * one for the session. */
static void opened(struct app *a)
{
	if (!a->theme_forced)
		apply_theme(a, a->profile->theme);
	app_go(a, SCR_DESTINATION);
}

static void on_open_path(struct app *a, int ctx, bool ok, const char *text,
			 int index)
{
	(void)ctx;
	(void)index;
	if (ok && text[0] && open_profile(a, text) == 0)
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
	if (strcmp(text, "Start with an empty destination") == 0)
		return;
	char *dir = profiles_dir();
	char *path = xasprintf("%s/%s", dir, text);
	if (open_profile(a, path) == 0)
		opened(a);
	free(path);
	free(dir);
}

static void offer_profiles(struct app *a, bool at_start)
{
	char *dir = profiles_dir();
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

static void on_discard(struct app *a, int ctx, bool ok, const char *text,
		       int index)
{
	(void)text;
	(void)index;
	if (!ok)
		return;
	if (ctx == 1) {
		a->dirty = false;
		offer_profiles(a, false);
	} else {
		a->quit = true;
	}
}

/* ---- themes ---- */

static void apply_theme(struct app *a, const char *name)
{
	char *err = NULL;
	if (a->no_color) {
		theme_builtin_mono(&a->theme);
	} else if (theme_load(name, a->theme_dirs, &a->theme, &err) < 0) {
		char *text = xasprintf("%s\n\nUsing the default theme.", err);
		app_confirm(a, "Theme", text, 0, NULL);
		free(text);
		free(err);
	}
	ui_theme_apply(&a->theme);
	a->need_redraw = true;
}

static void on_theme(struct app *a, int ctx, bool ok, const char *text,
		     int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
	apply_theme(a, text);
	if (strcmp(a->profile->theme, text) != 0) {
		free(a->profile->theme);
		a->profile->theme = xstrdup(text);
		a->dirty = true;
	}
	app_flash(a, ROLE_SUCCESS, "theme %s", a->theme.name);
}

static void pick_theme(struct app *a)
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
	app_pick(a, "Colour theme", items, n, 0, on_theme);
}

/* ---- runs ---- */

/* While a large segment is checked: show how far, and let Esc cancel. */
static int on_check(void *ud, uint64_t rows)
{
	struct app *a = ud;
	app_flash(a, ROLE_MUTED, "checking the whole segment: %llu rows so "
		  "far... (Esc cancels)", (unsigned long long)rows);
	draw(a);
	bool was = is_nodelay(stdscr);
	nodelay(stdscr, TRUE);
	int ch, cancel = 0;
	while ((ch = getch()) != ERR)
		if (ch == 27)
			cancel = 1;
	nodelay(stdscr, was);
	return cancel;
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
	app_flash(a, ROLE_MUTED, "checking the whole segment... (Esc cancels)");
	draw(a);
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
		confirm_msgs(a, "Cannot start the run", &m, 10);
		hc_msgs_free(&m);
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
	app_flash(a, ROLE_SUCCESS, "run %s started", a->run_id);
	app_go(a, SCR_PROGRESS);
}

static void finish_run(struct app *a)
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	a->run_status = activation_finish(a->run, &m);
	a->run_active = false;
	for (size_t i = 0; i < m.n; i++)
		app_flash(a, ROLE_ERROR, "%s", m.items[i].text);
	hc_msgs_free(&m);
	if (!m.n)
		app_flash(a, a->run_status == 0 ? ROLE_SUCCESS : ROLE_WARNING,
			  "run %s %s (exit status %d)", a->run_id,
			  activation_final_state(a->run), a->run_status);
	app_history_reload(a);
	a->need_redraw = true;
}

/* ---- keys ---- */

static void on_quit(struct app *a, int ctx, bool ok, const char *text,
		    int index)
{
	(void)ctx;
	(void)text;
	(void)index;
	if (!ok)
		return;
	if (a->run_active)
		activation_stop(a->run, false);
	a->quit = true;
}

static void ask_quit(struct app *a)
{
	if (a->run_active)
		app_confirm(a, "Quit", "A run is going on. Stop it (it stays "
			    "resumable) and quit?", 0, on_quit);
	else if (a->dirty)
		app_confirm(a, "Quit", "The profile has unsaved changes. Quit "
			    "without saving?", 0, on_quit);
	else
		a->quit = true;
}

static void on_signal(struct app *a, int sig)
{
	(void)sig;
	a->sigcount++;
	if (a->run_active) {
		if (a->sigcount == 1)
			activation_stop(a->run, true);
		else
			activation_abort(a->run, true);
	}
	a->quit = true; /* once the run has ended, see the loop */
}

static int global_action(struct app *a, int action)
{
	switch (action) {
	case G_HELP:
		a->show_help = true;
		return H_REDRAW;
	case G_REDRAW:
		clearok(curscr, TRUE);
		return H_REDRAW;
	case G_HISTORY:
		app_go(a, SCR_HISTORY);
		return H_REDRAW;
	case G_SAVE:
	case G_SAVE_AS:
		save(a, action == G_SAVE_AS);
		return H_REDRAW;
	case G_OPEN:
		if (a->dirty)
			app_confirm(a, "Open", "Discard the unsaved changes?", 1,
				    on_discard);
		else
			offer_profiles(a, false);
		return H_REDRAW;
	case G_THEME:
		pick_theme(a);
		return H_REDRAW;
	case G_BACK:
		if (a->screen == SCR_DESTINATION)
			ask_quit(a);
		else if (a->screen == SCR_HISTORY && a->hist_open)
			a->hist_open = false;
		else
			app_go(a, a->screen == SCR_HISTORY ? SCR_ACTIVATE
							   : a->screen - 1);
		return H_REDRAW;
	default:
		if (action >= G_STEP1 && action <= G_STEP6) {
			app_go(a, (enum screen_id)(action - G_STEP1));
			return H_REDRAW;
		}
		return H_NONE;
	}
}

static int find_action(const struct keybind *t, int key)
{
	for (const struct keybind *k = t; k && k->action; k++)
		if (k->key == key || (k->key2 && k->key2 == key))
			return k->action;
	return 0;
}

static void handle_key(struct app *a, int key)
{
	if (key == KEY_RESIZE) {
		a->need_redraw = true;
		return;
	}
	if (key == CTRL('c')) {
		on_signal(a, SIGINT);
		return;
	}
	if (a->dlg.kind != DLG_NONE) {
		dialog_key(a, key);
		a->need_redraw = true;
		return;
	}
	if (a->show_help) {
		a->show_help = false;
		a->need_redraw = true;
		return;
	}
	const struct screen_ops *s = screens[a->screen];
	int r = H_NONE;
	if (s->input)
		r = s->input(a, key);
	if (r == H_NONE) {
		int act = find_action(s->keys, key);
		if (act)
			r = s->action(a, act);
	}
	if (r == H_NONE) {
		int act = find_action(global_keys, key);
		if (act)
			r = global_action(a, act);
	}
	if (r & H_REDRAW)
		a->need_redraw = true;
}

/* ---- start ---- */

static char *exe_dir_themes(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return xstrdup("themes");
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return xasprintf("%s/themes", buf);
}

static void app_free(struct app *a)
{
	if (a->run && a->run_active)
		activation_abort(a->run, true);
	activation_free(a->run);
	probe_free(a->probe);
	request_plan_free(a->plan);
	hc_msgs_free(&a->plan_msgs);
	seg_view_free(&a->sv);
	profile_free(a->profile);
	free(a->profile_path);
	le_free(&a->url_edit);
	le_free(&a->timeout_edit);
	le_free(&a->seg_edit);
	le_free(&a->conc_edit);
	le_free(&a->rate_edit);
	le_free(&a->attempts_edit);
	dialog_reset(&a->dlg);
	history_list_free(a->runs, a->nruns);
	history_rows_free(a->hrows, a->nhrows);
	free(a->hview);
	for (size_t i = 0; i < a->ncompletions; i++)
		free(a->completions[i]);
	free(a->completions);
	if (a->idle)
		curl_multi_cleanup(a->idle);
}

int tui_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "theme", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *theme = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': profile = optarg; break;
		case 't': theme = optarg; break;
		case 'h':
			printf("usage: hookcast tui [-p PROFILE] [--theme NAME]\n\n"
			       "the interactive wizard: destination, segment, "
			       "mappings, test, activation, history.\n");
			return HC_OK;
		default:
			fprintf(stderr, "usage: hookcast tui [-p PROFILE] "
				"[--theme NAME]\n");
			return HC_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hookcast: unexpected argument \"%s\"\nusage: "
			"hookcast tui [-p PROFILE] [--theme NAME]\n", argv[optind]);
		return HC_CONFIG;
	}
	if (!tui_usable_terminal()) {
		fprintf(stderr, "hookcast: the interface needs a terminal that "
			"can move the cursor (stdin and stdout a tty, TERM set, "
			"not dumb); without one, use: hookcast run -p PROFILE\n");
		return HC_CONFIG;
	}

	struct app app;
	struct app *a = &app;
	memset(a, 0, sizeof *a);
	a->profile = profile_new();
	hc_msgs_init(&a->plan_msgs);
	le_init(&a->url_edit, "");
	le_init(&a->timeout_edit, "");
	le_init(&a->seg_edit, "");
	le_init(&a->conc_edit, "");
	le_init(&a->rate_edit, "");
	le_init(&a->attempts_edit, "");
	a->plan_stale = true;
	char *exe_themes = exe_dir_themes();
	const char *dirs[] = { exe_themes, HOOKCAST_DATADIR "/themes", "themes",
			       NULL };
	a->theme_dirs = dirs;
	const char *nc = getenv("NO_COLOR");
	a->no_color = nc && *nc;
	a->idle = curl_multi_init();

	int sigfd = sigpipe_install(0);
	if (tcgetattr(STDIN_FILENO, &saved_tty) == 0)
		saved_tty_ok = true;
	install_crash_handlers();
	setenv("ESCDELAY", "25", 0);
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (scr == NULL) {
		fprintf(stderr, "hookcast: cannot start the terminal interface; "
			"use: hookcast run -p PROFILE\n");
		app_free(a);
		free(exe_themes);
		return HC_CONFIG;
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	if (profile && open_profile(a, profile) < 0)
		a->quit = false;
	else if (!profile)
		load_editors(a);
	a->theme_forced = theme != NULL;
	apply_theme(a, theme ? theme : a->profile->theme);
	if (!profile)
		offer_profiles(a, true);
	app_go(a, SCR_DESTINATION);

	double last_draw = 0;
	struct curl_waitfd fds[2] = {
		{ .fd = STDIN_FILENO, .events = CURL_WAIT_POLLIN },
		{ .fd = sigfd, .events = CURL_WAIT_POLLIN },
	};
	while (!a->quit || a->run_active) {
		double now = app_now();
		int wait = 2000;
		if (a->run_active || a->probe)
			wait = 100;
		if (a->sv.counter && !a->sv.count_done)
			wait = 0;
		if (a->need_redraw) {
			double since = now - last_draw;
			int w = since >= 0.1 ? 0 : (int)((0.1 - since) * 1000) + 1;
			if (w < wait)
				wait = w;
		}
		if (a->flash[0] && a->flash_until > now) {
			int w = (int)((a->flash_until - now) * 1000) + 1;
			if (w < wait)
				wait = w;
		}
		if (a->run_active) {
			if (!activation_step(a->run, fds, 2, wait))
				finish_run(a);
		} else if (a->probe) {
			if (!probe_step(a->probe, fds, 2, wait))
				a->need_redraw = true;
		} else {
			curl_multi_poll(a->idle, fds, 2, wait, NULL);
		}
		int sig;
		while ((sig = sigpipe_next()) != 0)
			on_signal(a, sig);
		wint_t wc;
		int r;
		while ((r = get_wch(&wc)) != ERR) {
			int key = r == KEY_CODE_YES ? (int)wc
				  : wc < 128	    ? (int)wc
						    : (int)wc | UI_WIDE;
			handle_key(a, key);
		}
		if (a->sv.counter && !a->sv.count_done)
			seg_count_step(a, 0.015);
		now = app_now();
		if (a->run_active && now - last_draw >= 0.1)
			a->need_redraw = true;
		if (a->flash[0] && now >= a->flash_until) {
			a->flash[0] = '\0';
			a->need_redraw = true;
		}
		if (a->need_redraw && now - last_draw >= 0.1) {
			a->need_redraw = false;
			last_draw = now;
			draw(a);
		}
	}
	endwin();
	delscreen(scr);
	int status = HC_OK;
	if (a->run) {
		status = a->run_status;
		fprintf(stderr, "hookcast: run %s %s (exit status %d)\n",
			a->run_id, activation_final_state(a->run), status);
		if (status == HC_INTERRUPTED || status == HC_STOPPED)
			fprintf(stderr, "resume with: hookcast run --resume %s\n",
				a->run_id);
	} else if (a->sigcount > 0) {
		status = HC_INTERRUPTED;
	}
	app_free(a);
	free(exe_themes);
	return status;
}
