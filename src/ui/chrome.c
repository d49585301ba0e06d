/* What frames every screen: the title with the run badge, the
 * breadcrumb, the flash line, the status bar (the keys that work right
 * now, in moving or typing mode), the help overlay and the notice for a
 * terminal too small to draw on. */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_W 80
#define MIN_H 24

const struct keybind global_keys[] = {
	{ '?', 0, "?", "help", "show this help (j/k scroll it)", G_HELP, 1 },
	{ 'q', 0, "q", "back", "go back a step; quit on the first step "
	  "(asks when there are unsaved changes)", G_BACK, 2 },
	{ CTRL('s'), 0, "^S", "save", "save the profile", G_SAVE, 3 },
	{ CTRL('o'), 0, "^O", "open", "open a profile (asks first when there "
	  "are unsaved changes; nothing is lost until another one opens)",
	  G_OPEN, 6 },
	{ CTRL('w'), 0, "^W", NULL, "save the profile under another name "
	  "(a relative segment path is made absolute)", G_SAVE_AS, 9 },
	{ 'u', 0, "u", "undo delete", "undo the last delete (in any list)",
	  G_UNDO, 2 },
	{ 'H', 0, "H", "history", "open the running history", G_HISTORY, 5 },
	{ 'T', 0, "T", NULL, "choose a colour theme (each one shows as you "
	  "move; Esc keeps the one you had)", G_THEME, 9 },
	{ CTRL('l'), 0, "^L", NULL, "redraw the screen", G_REDRAW, 9 },
	{ '1', KEY_F(1), "1-6", NULL, "go to a step: 1 destination, 2 segment, "
	  "3 mappings, 4 activate, 5 progress, 6 history (or F1-F6)",
	  G_STEP1, 9 },
	{ '2', KEY_F(2), NULL, NULL, NULL, G_STEP1 + 1, 9 },
	{ '3', KEY_F(3), NULL, NULL, NULL, G_STEP1 + 2, 9 },
	{ '4', KEY_F(4), NULL, NULL, NULL, G_STEP1 + 3, 9 },
	{ '5', KEY_F(5), NULL, NULL, NULL, G_STEP1 + 4, 9 },
	{ '6', KEY_F(6), NULL, NULL, NULL, G_STEP1 + 5, 9 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};

bool chrome_too_small(void)
{
	return COLS < MIN_W || LINES < MIN_H;
}

/* One number for the badge and the bar, so that they always agree. */
int app_run_pct(const struct activation_stats *s)
{
	uint64_t done = s->prior_delivered + s->prior_failed + s->e.delivered +
			s->e.failed;
	if (s->valid == 0)
		return 100;
	return (int)(100 * done / s->valid);
}

static void draw_badge(struct app *a, int y, int right)
{
	if (!a->run_active || a->run == NULL)
		return;
	struct activation_stats s;
	activation_get_stats(a->run, &s);
	uint64_t done = s.prior_delivered + s.prior_failed + s.e.delivered +
			s.e.failed;
	char b[96];
	snprintf(b, sizeof b, " [RUN %s %llu/%llu %d%%] ",
		 s.e.state == ENGINE_PAUSED     ? "PAUSED"
		 : s.e.state == ENGINE_STOPPING ? "STOPPING"
						: "ACTIVE",
		 (unsigned long long)done, (unsigned long long)s.valid,
		 app_run_pct(&s));
	ui_role(stdscr, ROLE_WARNING);
	wattron(stdscr, A_REVERSE | A_BOLD);
	int w = (int)strlen(b);
	if (w > right)
		w = right;
	ui_text(stdscr, y, right - w, w, b, (size_t)w);
	ui_role(stdscr, ROLE_NORMAL);
}

static void draw_title(struct app *a, const struct screen_ops *const *screens)
{
	ui_role(stdscr, ROLE_TITLE);
	mvwhline(stdscr, 0, 0, ' ', COLS);
	const char *name = a->profile_path ? hc_basename(a->profile_path)
					   : "(new profile)";
	ui_textf(stdscr, 0, 1, COLS - 2, "hookcast  %s%s", name,
		 a->dirty ? " [+] unsaved" : "");
	draw_badge(a, 0, COLS);
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

static bool key_avail(const struct app *a, const struct screen_ops *s,
		      const struct keybind *k, bool global)
{
	if (global)
		return k->action != G_UNDO || a->undo.list != NULL;
	return s->avail == NULL || s->avail(a, k->action);
}

/* A plain line of text in the status bar (typing mode, dialogs). */
static void status_text(const char *t)
{
	ui_role(stdscr, ROLE_STATUSBAR);
	mvwhline(stdscr, LINES - 1, 0, ' ', COLS);
	ui_str(stdscr, LINES - 1, 1, COLS - 2, t);
	ui_role(stdscr, ROLE_NORMAL);
}

/* The bottom line: hints by priority, as many as fit. */
static void draw_status(struct app *a, const struct screen_ops *s)
{
	if (a->dlg.kind != DLG_NONE) {
		struct hc_buf b;
		hc_buf_init(&b);
		dialog_hints(a, &b);
		status_text(b.data ? b.data : "");
		hc_buf_free(&b);
		return;
	}
	if (a->edit.le) {
		char t[256];
		snprintf(t, sizeof t, "TYPING %s  Enter accept  Esc cancel  "
			 "%s  <- -> Home End  ^U ^K ^W delete", a->edit.ops->what,
			 a->edit.ops->complete ? "Tab complete" : "Tab accept");
		status_text(t);
		return;
	}
	if (a->rv.open) {
		status_text("j/k PgUp/PgDn g/G scroll   y copy the URL   "
			    "Esc or q close");
		return;
	}
	const struct keybind *tables[2] = { s->keys, global_keys };
	const struct keybind *pick[64];
	size_t n = 0;
	for (int prio = 0; prio <= 9; prio++)
		for (int t = 0; t < 2; t++)
			for (const struct keybind *k = tables[t]; k && k->action;
			     k++)
				if (k->prio == prio && k->hint && n < 64 &&
				    key_avail(a, s, k, t == 1))
					pick[n++] = k;
	ui_role(stdscr, ROLE_STATUSBAR);
	mvwhline(stdscr, LINES - 1, 0, ' ', COLS);
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

/* The help text: this screen's keys, every screen's, and the two modes,
 * wrapped to the overlay's width. */
static void help_text(const struct app *a, const struct screen_ops *s,
		      struct hc_buf *b)
{
	hc_buf_adds(b, "\x01Two modes\n");
	hc_buf_adds(b, "Moving (the usual): keys are commands; they never "
		       "reach a field. Tab and Shift-Tab move between "
		       "fields; Enter (or e, i) starts typing in a text "
		       "field.\n");
	hc_buf_adds(b, "Typing (the field is highlighted, with a cursor, and "
		       "the status bar says TYPING): every letter and digit "
		       "is text. Enter or Tab accepts, Esc puts back what "
		       "was there. Editing: <-/-> Home End (^A ^E), "
		       "Backspace Del, ^U ^K ^W.\n");
	hc_buf_adds(b, "Questions that send or discard start on Cancel: y "
		       "(or the choice's letter) answers, Enter takes the "
		       "highlighted choice, Esc cancels.\n");
	const struct keybind *tables[2] = { s->keys, global_keys };
	for (int t = 0; t < 2; t++) {
		hc_buf_printf(b, "\x01%s\n", t == 0 ? s->name : "Everywhere");
		for (const struct keybind *k = tables[t]; k && k->action; k++) {
			if (!k->label || !k->help)
				continue;
			bool on = key_avail(a, s, k, t == 1);
			hc_buf_printf(b, "\x02%-8.8s%s%s\n", k->label, k->help,
				      on ? "" : " (not now)");
		}
	}
	hc_buf_adds(b, "\x01Lists\nUp/Down or j/k, PgUp/PgDn (^B/^F), Home/End "
		       "or g/G; d deletes and u undoes.\n");
}

static void draw_help(struct app *a, const struct screen_ops *s)
{
	int W = COLS - 6 < 96 ? COLS - 6 : 96;
	int H = LINES - 2;
	int y = 1, x = (COLS - W) / 2;
	struct hc_buf b;
	hc_buf_init(&b);
	help_text(a, s, &b);
	/* wrap each entry: keys get a hanging indent of 10 columns */
	const char *starts[512];
	size_t lens[512];
	int kinds[512] = { 0 }, indent[512] = { 0 };
	int n = 0;
	for (const char *p = b.data; *p && n < 500;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int kind = *p == '\x01' ? 1 : *p == '\x02' ? 2 : 0;
		const char *body = kind ? p + 1 : p;
		size_t blen = kind ? len - 1 : len;
		char *line = xstrndup(body, blen);
		int ind = kind == 2 ? 10 : 0;
		const char *ws[64];
		size_t wl[64];
		const char *text = kind == 2 && blen > 8 ? line + 8 : line;
		int nw = ui_wrap(text, W - 4 - ind, ws, wl, 64);
		for (int i = 0; i < nw && n < 500; i++) {
			/* point into b, not into the copy */
			starts[n] = body + (ws[i] - line);
			lens[n] = wl[i];
			kinds[n] = kind;
			indent[n] = ind;
			if (kind == 2 && i > 0)
				kinds[n] = 3; /* a continuation line */
			n++;
		}
		free(line);
		p = nl ? nl + 1 : p + len;
	}
	int rows = H - 3;
	if (a->help_top > n - rows)
		a->help_top = n - rows;
	if (a->help_top < 0)
		a->help_top = 0;
	char title[64];
	snprintf(title, sizeof title, "Keys: %s", s->name);
	ui_panel(y, x, H, W, title);
	for (int i = 0; i < rows && a->help_top + i < n; i++) {
		int k = a->help_top + i;
		int r = y + 1 + i;
		if (kinds[k] == 1) {
			ui_role(stdscr, ROLE_TITLE);
			ui_text(stdscr, r, x + 2, W - 4, starts[k], lens[k]);
		} else if (kinds[k] == 2) {
			ui_role(stdscr, ROLE_HINT_KEY);
			/* the key's label is the 8 columns before the text */
			ui_text(stdscr, r, x + 2, 9, starts[k] - 8, 8);
			ui_role(stdscr, ROLE_NORMAL);
			ui_text(stdscr, r, x + 2 + indent[k], W - 4 - indent[k],
				starts[k], lens[k]);
		} else {
			ui_role(stdscr, ROLE_NORMAL);
			ui_text(stdscr, r, x + 2 + indent[k], W - 4 - indent[k],
				starts[k], lens[k]);
		}
	}
	ui_role(stdscr, ROLE_MUTED);
	ui_str(stdscr, y + H - 2, x + 2, W - 4, n > rows
	       ? "j/k PgUp/PgDn scroll   any other key closes"
	       : "any key closes");
	ui_role(stdscr, ROLE_NORMAL);
	hc_buf_free(&b);
}

/* Too small to draw the wizard: say so, keep the run's badge, and let a
 * quit question be answered. */
static void draw_too_small(struct app *a)
{
	ui_role(stdscr, ROLE_WARNING);
	ui_textf(stdscr, 0, 0, COLS, "Terminal too small: %dx%d.", COLS, LINES);
	ui_role(stdscr, ROLE_NORMAL);
	ui_textf(stdscr, 1, 0, COLS, "hookcast needs %dx%d.", MIN_W, MIN_H);
	int y = 2;
	if (a->run_active)
		ui_str(stdscr, y++, 0, COLS, "The run goes on.");
	if (a->dlg.kind == DLG_CHOICE && a->dlg.quit && y < LINES) {
		ui_role(stdscr, ROLE_WARNING);
		ui_str(stdscr, y++, 0, COLS, a->dlg.title);
		ui_role(stdscr, ROLE_NORMAL);
		for (int i = 0; i < a->dlg.nchoices && y < LINES; i++)
			ui_textf(stdscr, y++, 0, COLS, "%c: %s",
				 a->dlg.choices[i].result ? a->dlg.choices[i].key
							  : 'n',
				 a->dlg.choices[i].label);
	} else if (y < LINES) {
		ui_str(stdscr, y++, 0, COLS, "Keys wait; q quits.");
	}
	draw_badge(a, y < LINES ? y : LINES - 1, COLS);
}

void chrome_draw(struct app *a, const struct screen_ops *const *screens)
{
	werase(stdscr);
	int cy = -1, cx = -1;
	if (chrome_too_small()) {
		draw_too_small(a);
	} else {
		const struct screen_ops *s = screens[a->screen];
		draw_title(a, screens);
		WINDOW *content = derwin(stdscr, LINES - 4, COLS, 2, 0);
		if (content) {
			s->draw(a, content, LINES - 4, COLS);
			delwin(content);
		}
		if (a->edit.le)
			le_cursor(a->edit.le, &cy, &cx);
		if (a->flash[0] && app_now() < a->flash_until) {
			ui_role(stdscr, a->flash_role);
			ui_text(stdscr, LINES - 2, 1, COLS - 2, a->flash,
				strlen(a->flash));
		}
		draw_status(a, s);
		if (a->rv.open)
			rowview_draw(a);
		if (a->show_help)
			draw_help(a, s);
		if (a->dlg.kind != DLG_NONE) {
			dialog_draw(a);
			if (a->dlg.kind == DLG_INPUT)
				le_cursor(&a->dlg.edit, &cy, &cx);
			else
				cy = -1;
		}
	}
	ui_role(stdscr, ROLE_NORMAL);
	/* The terminal's own cursor shows only where text is being typed. */
	if (cy >= 0) {
		wmove(stdscr, cy, cx);
		curs_set(1);
	} else {
		curs_set(0);
	}
	wnoutrefresh(stdscr);
	doupdate();
}
