/*
 * tui.h: the curses front end. One file per screen, each exporting a const
 * table of operations (struct screen_ops); a key table per screen drives
 * dispatch, the status-bar hints and the help overlay. One thread, one
 * loop (tui.c): curl_multi_poll with stdin and the signal pipe as extra
 * fds, dirty flags, and at most 10 redraws a second.
 */
#ifndef HOOKCAST_TUI_H
#define HOOKCAST_TUI_H

#define NCURSES_WIDECHAR 1
#include <ncursesw/curses.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "hookcast/activation.h"
#include "hookcast/history.h"
#include "hookcast/probe.h"
#include "hookcast/profile.h"
#include "hookcast/request.h"
#include "hookcast/segment.h"
#include "hookcast/theme.h"

/* Handler results: only the loop redraws or quits. */
#define H_NONE 0
#define H_HANDLED 1
#define H_REDRAW 2

/* A key: a curses KEY_* code, an ASCII byte, or a wide character with
 * UI_WIDE set. */
#define UI_WIDE 0x40000000
#define CTRL(c) ((c) & 0x1f)

int tui_main(int argc, char **argv);
/* Can this terminal run the interface (ttys, TERM set, not dumb, able to
 * address the cursor)? Checked before curses starts: initscr would exit. */
bool tui_usable_terminal(void);

/* ---- widgets (widgets.c) ---- */

struct lineedit {
	struct hc_buf text; /* UTF-8 */
	size_t cursor;      /* byte offset */
	int scroll;         /* first display column */
	/* NULL, or what hides a secret while it is shown and edited: a copy
	 * of the text, the same length, with '*' over the secret; NULL when
	 * nothing is to be hidden. */
	char *(*mask)(const char *text, size_t len);
};

/* Masks for line editors: a URL's user:password and secret parameters; a
 * header's literal secret value; a static parameter's. */
char *mask_url(const char *text, size_t len);
char *mask_header(const char *text, size_t len);
char *mask_static(const char *text, size_t len);

void le_init(struct lineedit *le, const char *text);
void le_free(struct lineedit *le);
void le_set(struct lineedit *le, const char *text);
/* Returns 1 when the key edited the text, 2 when it only moved, 0 when it
 * is not an editing key. */
int le_key(struct lineedit *le, int key);
void le_draw(WINDOW *w, int y, int x, int width, struct lineedit *le,
	     bool focused);

struct listview {
	int sel, top, n;
};

/* Move on arrows, vi keys, PgUp/PgDn, Home/End. Returns true if handled. */
bool lv_key(struct listview *lv, int key, int page);
void lv_clamp(struct listview *lv, int height);

/* Draw UTF-8 text at (y, x) in at most maxw columns: control characters
 * are replaced (never sent to the terminal) and a cut is shown with '~'.
 * Returns the columns used. */
int ui_text(WINDOW *w, int y, int x, int maxw, const char *s, size_t n);
static inline int ui_str(WINDOW *w, int y, int x, int maxw, const char *s)
{
	return ui_text(w, y, x, maxw, s, strlen(s));
}
int ui_textf(WINDOW *w, int y, int x, int maxw, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Display width of UTF-8 text, as ui_text would draw it. */
int ui_width(const char *s, size_t n);

/* ---- theme (theme_ui.c) ---- */

void ui_theme_apply(const struct theme *t);
attr_t ui_attr(enum theme_role r);
void ui_role(WINDOW *w, enum theme_role r);     /* wattrset */
void ui_box(WINDOW *w, int y, int x, int h, int wd, const char *title,
	    bool focus);

/* ---- the application ---- */

struct keybind {
	int key, key2;
	const char *label; /* as shown: "Enter", "a" */
	const char *hint;  /* status bar text; NULL: help only */
	const char *help;  /* the help overlay */
	int action;
	int prio;          /* lower is kept longer as the bar narrows */
};

struct app;

struct screen_ops {
	const char *name;
	const struct keybind *keys; /* ends with action 0 */
	void (*enter)(struct app *a);
	void (*draw)(struct app *a, WINDOW *w, int h, int wd);
	int (*action)(struct app *a, int action);
	/* Keys for a focused text field, first; H_NONE to fall through. */
	int (*input)(struct app *a, int key);
};

enum screen_id {
	SCR_DESTINATION,
	SCR_SEGMENT,
	SCR_MAPPINGS,
	SCR_ACTIVATE,
	SCR_PROGRESS,
	SCR_HISTORY,
	SCR_COUNT
};

extern const struct screen_ops screen_destination, screen_segment,
	screen_mappings, screen_activate, screen_progress, screen_history;

#define SEG_PREVIEW_ROWS 200
#define SEG_PROBLEMS_MAX 500

struct seg_row {
	uint64_t row, line;
	size_t n;
	char **cells;
	size_t *lens;
	char *invalid;
};

struct seg_view {
	char *path;        /* loaded from, as resolved */
	char *error;       /* why it could not be opened */
	struct segment *header; /* kept open to bind mappings */
	struct seg_row rows[SEG_PREVIEW_ROWS];
	size_t nrows;
	char delim;
	bool detected;
	/* counting in the background */
	struct segment *counter;
	uint64_t counted, invalid;
	bool count_done;
	char *problems[SEG_PROBLEMS_MAX];
	size_t nproblems;
	char *fatal;
	int hscroll, vscroll;
};

enum dialog_kind { DLG_NONE, DLG_CONFIRM, DLG_INPUT, DLG_PICKER, DLG_INFO };

struct dialog {
	enum dialog_kind kind;
	char title[96];
	char text[512];
	struct lineedit edit;
	char **items;
	size_t nitems;
	struct listview lv;
	int ctx;
	/* ok: Enter or y; text: the input; index: the picked item */
	void (*done)(struct app *a, int ctx, bool ok, const char *text,
		     int index);
};


struct app {
	struct profile *profile; /* being edited; never NULL */
	char *profile_path;      /* NULL until opened or saved */
	bool dirty;
	bool theme_forced; /* --theme: a profile's own theme does not apply */
	struct theme theme;
	const char *const *theme_dirs;
	bool no_color;
	enum screen_id screen;
	bool quit;
	bool need_redraw;
	bool show_help;
	char flash[256];
	enum theme_role flash_role;
	double flash_until;
	struct dialog dlg;

	/* compiled from the profile; stale after every edit */
	struct request_plan *plan;
	struct hc_msgs plan_msgs;
	bool plan_stale;

	/* destination */
	int dest_focus;
	struct lineedit url_edit, timeout_edit;
	struct listview headers_lv;

	/* segment */
	int seg_focus;
	struct lineedit seg_edit;
	char seg_delim; /* 0: auto */
	struct seg_view sv;
	char **completions;
	size_t ncompletions;

	/* mappings */
	int map_focus;
	struct listview maps_lv, statics_lv;
	size_t preview_row;

	/* activate */
	int act_focus;
	struct lineedit conc_edit, rate_edit, attempts_edit;
	struct probe *probe;
	char probe_url[REQUEST_URL_MAX + 1];

	/* the run */
	struct activation *run;
	bool run_active;
	int run_status;
	char run_id[80];
	struct listview tail_lv;
	int sigcount;

	/* history */
	struct history_meta *runs;
	size_t nruns;
	struct listview runs_lv;
	bool hist_open; /* showing one run's rows */
	struct history_row *hrows;
	size_t nhrows;
	size_t *hview; /* indexes of rows that pass the filter */
	size_t nhview;
	struct listview hrows_lv;
	enum history_filter hfilter;
	char hsearch[128];

	CURLM *idle; /* to wait on stdin when nothing else runs */
};

/* tui.c */
void app_flash(struct app *a, enum theme_role role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void app_go(struct app *a, enum screen_id s);
void app_changed(struct app *a); /* the profile was edited */
void app_plan(struct app *a);    /* rebuild the plan if stale */
void app_confirm(struct app *a, const char *title, const char *text, int ctx,
		 void (*done)(struct app *, int, bool, const char *, int));
void app_input(struct app *a, const char *title, const char *prompt,
	       const char *initial, int ctx,
	       void (*done)(struct app *, int, bool, const char *, int));
void app_pick(struct app *a, const char *title, char **items, size_t n,
	      int ctx, void (*done)(struct app *, int, bool, const char *, int));
void app_start_run(struct app *a, const struct activation_opts *o);
void app_history_reload(struct app *a);
double app_now(void);

/* segment screen helpers shared with mappings and activate */
void seg_load(struct app *a, const char *path);
void seg_count_step(struct app *a, double budget_s);
void seg_view_free(struct seg_view *sv);
/* The preview row as a segment_row (borrowed), or false when none. */
bool seg_preview_row(struct app *a, size_t i, struct segment_row *row);

#endif
