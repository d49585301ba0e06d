/* Theme roles to curses colour pairs. */
#include "tui.h"

static attr_t role_attr[ROLE_COUNT];

static short to_curses(const struct theme_color *c)
{
	if (c->kind == COLOR_DEFAULT)
		return -1;
	int idx = c->kind == COLOR_RGB ? theme_nearest(c->rgb, COLORS) : c->index;
	if (idx >= COLORS)
		idx %= 8; /* brightNAME on an 8-colour terminal: NAME */
	return (short)idx;
}

void ui_theme_apply(const struct theme *t)
{
	bool color = has_colors() && COLORS >= 8;
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_style *s = &t->role[r];
		attr_t a = 0;
		if (s->attrs & THEME_BOLD)
			a |= A_BOLD;
		if (s->attrs & THEME_DIM)
			a |= A_DIM;
		if (s->attrs & THEME_UNDERLINE)
			a |= A_UNDERLINE;
		if (s->attrs & THEME_REVERSE)
			a |= A_REVERSE;
		/* bright colours on an 8-colour terminal: bold instead */
		if (color && COLORS < 16 && s->fg.kind == COLOR_INDEX &&
		    s->fg.index >= 8 && s->fg.index < 16)
			a |= A_BOLD;
		if (color && r + 1 < COLOR_PAIRS) {
			init_pair((short)(r + 1), to_curses(&s->fg),
				  to_curses(&s->bg));
			a |= COLOR_PAIR(r + 1);
		}
		role_attr[r] = a;
	}
}

attr_t ui_attr(enum theme_role r)
{
	return (unsigned)r < ROLE_COUNT ? role_attr[r] : 0;
}

void ui_role(WINDOW *w, enum theme_role r)
{
	wattrset(w, (int)ui_attr(r));
}

void ui_box(WINDOW *w, int y, int x, int h, int wd, const char *title,
	    bool focus)
{
	if (h < 2 || wd < 4)
		return;
	ui_role(w, focus ? ROLE_BORDER_FOCUS : ROLE_BORDER);
	mvwhline(w, y, x + 1, ACS_HLINE, wd - 2);
	mvwhline(w, y + h - 1, x + 1, ACS_HLINE, wd - 2);
	mvwvline(w, y + 1, x, ACS_VLINE, h - 2);
	mvwvline(w, y + 1, x + wd - 1, ACS_VLINE, h - 2);
	mvwaddch(w, y, x, ACS_ULCORNER);
	mvwaddch(w, y, x + wd - 1, ACS_URCORNER);
	mvwaddch(w, y + h - 1, x, ACS_LLCORNER);
	mvwaddch(w, y + h - 1, x + wd - 1, ACS_LRCORNER);
	if (title && *title) {
		ui_role(w, focus ? ROLE_BORDER_FOCUS : ROLE_TITLE);
		ui_textf(w, y, x + 2, wd - 4, " %s%s ", focus ? "> " : "", title);
	}
	ui_role(w, ROLE_NORMAL);
}

void ui_panel(int y, int x, int h, int wd, const char *title)
{
	ui_role(stdscr, ROLE_NORMAL);
	for (int i = 0; i < h; i++)
		mvwhline(stdscr, y + i, x, ' ', wd);
	ui_box(stdscr, y, x, h, wd, title, true);
}
