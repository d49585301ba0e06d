/*
 * tui.h: the curses front end. One file per screen, each exporting a const
 * table of operations (struct screen_ops); a key table per screen drives
 * dispatch, the status-bar hints and the help overlay. One thread, one
 * loop (tui.c): curl_multi_poll with stdin and the signal pipe as extra
 * fds, dirty flags, and at most 10 redraws a second.
 *
 * Two modes. Moving: keys are commands and never reach a field. Typing: a
 * field entered with Enter (or e, i), or a dialog that asks for text, gets
 * every printable key; Enter or Tab commits, Esc restores what was there.
 * The screen always says which: a typing field is drawn in its own colour
 * with the terminal's cursor in it, and the status bar lists only the keys
 * that work there.
 *
 * Files: tui.c (the loop and key dispatch), app.c (profiles, themes, the
 * mode and undo), chrome.c (title, status bar, help, too-small),
 * dialog.c, runctl.c (starting and asking about runs), rowview.c (a row
 * in full), graphs.c (sparklines, histogram), widgets.c, scr_*.c.
 */
#ifndef HOOKCAST_TUI_H
#define HOOKCAST_TUI_H

#define NCURSES_WIDECHAR 1
#include <ncursesw/curses.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
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
	int cur_y, cur_x;   /* screen position of the cursor when typing */
};

/* Masks for line editors: a URL's user:password and secret parameters; a
 * header's literal secret value; a static parameter's; a whole secret
 * that is literal (a "${NAME}" one shows). */
char *mask_url(const char *text, size_t len);
char *mask_header(const char *text, size_t len);
char *mask_static(const char *text, size_t len);
char *mask_secret(const char *text, size_t len);

void le_init(struct lineedit *le, const char *text);
void le_free(struct lineedit *le);
void le_set(struct lineedit *le, const char *text);
/* Returns 1 when the key edited the text, 2 when it only moved, 0 when it
 * is not an editing key. */
int le_key(struct lineedit *le, int key);
/* How a field looks: plain, focused (moving: the box says so, no
 * cursor), or being typed in (its own colour and a cursor). */
enum le_look { LE_PLAIN, LE_FOCUSED, LE_TYPING };
void le_draw(WINDOW *w, int y, int x, int width, struct lineedit *le,
	     enum le_look look);
/* Where le_draw put the cursor of a typing field, on the screen. */
void le_cursor(const struct lineedit *le, int *y, int *x);

struct listview {
	int sel, top, n;
};

/* Move on arrows, j/k, PgUp/PgDn (^B/^F), Home/End and g/G: the list keys
 * of every list. Returns true if handled. */
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
/* Split text into lines of at most width columns, breaking at spaces
 * where it can, and at '\n'. Returns the number of lines (up to max);
 * starts/lens get them. */
int ui_wrap(const char *t, int width, const char **starts, size_t *lens,
	    int max);
/* Is the locale UTF-8 (can we draw block characters)? */
bool ui_utf8(void);

/* ---- theme (theme_ui.c) ---- */

void ui_theme_apply(const struct theme *t);
attr_t ui_attr(enum theme_role r);
void ui_role(WINDOW *w, enum theme_role r);     /* wattrset */
void ui_box(WINDOW *w, int y, int x, int h, int wd, const char *title,
	    bool focus);
/* An overlay on stdscr: the area cleared, then a focused box. */
void ui_panel(int y, int x, int h, int wd, const char *title);

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
	/* Moving keys for the focused part (lists), first; H_NONE to fall
	 * through to the key table. Never sees a typing key. */
	int (*input)(struct app *a, int key);
	/* NULL, or whether an action works right now: what does not is
	 * neither hinted nor run, so that every hint on screen is true. */
	bool (*avail)(const struct app *a, int action);
};

/* A text field on a screen, edited in typing mode. */
struct field_ops {
	const char *what; /* "the webhook URL", for the status bar */
	/* Called with the text after each edit (live validation and
	 * preview), and with the old text again on Esc; NULL: none. */
	void (*apply)(struct app *a, const char *text);
	/* NULL when the text may be committed, else why not. */
	const char *(*check)(struct app *a, const char *text);
	/* On Enter or Tab; NULL: apply did it all. */
	void (*commit)(struct app *a, const char *text);
	/* Tab completes instead of committing (the segment path). */
	void (*complete)(struct app *a);
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
	/* the file as it was loaded, to see it change on disk */
	struct stat st;
	bool st_ok;        /* it could be stat'ed then */
	double st_checked; /* when it was last looked at */
	struct stat seen;  /* a change seen at the last look: loaded */
	bool seen_ok;      /* once it holds still for a look */
	bool changing;
};

enum dialog_kind { DLG_NONE, DLG_CHOICE, DLG_INPUT, DLG_PICKER, DLG_INFO };

#define DLG_CHOICES_MAX 3

/* One button of a choice dialog. result 0 is the safe one (cancel). */
struct dlg_choice {
	const char *label; /* "Send 29 requests" */
	int key;           /* its letter: 'y', 's'... */
	int result;
};

typedef void (*dlg_done_fn)(struct app *a, int ctx, bool ok,
			    const char *text, int index);
/* An input's text, accepted (app_ask: a cancel calls nothing). */
typedef void (*dlg_text_fn)(struct app *a, const char *text);

struct dialog {
	enum dialog_kind kind;
	char title[96];
	char text[640];
	struct lineedit edit;
	char **items;
	size_t nitems;
	struct listview lv;
	struct dlg_choice choices[DLG_CHOICES_MAX];
	char labels[DLG_CHOICES_MAX][64];
	int nchoices, choice; /* the highlighted one */
	bool quit;            /* a quit question: answered even when the
			       * terminal is too small to show the rest */
	int ctx;
	/* ok: a choice with a nonzero result, Enter on an input or a pick;
	 * text: the input or the item; index: the choice's result or the
	 * item's index */
	dlg_done_fn done;
	dlg_text_fn on_text; /* instead of done, for app_ask */
	/* pickers: called as the selection moves (live preview) */
	void (*moved)(struct app *a, int ctx, int index);
};

struct undo {
	struct profile_list *list; /* NULL: nothing to undo */
	const char *prefix;        /* "header", "map", "param" */
	size_t index;
	struct profile_entry entry; /* owned */
	enum screen_id screen;
	char what[96];
};

struct field_edit {
	struct lineedit *le; /* NULL: moving */
	const struct field_ops *ops;
	char *before;
	bool dirty_before;
};

/* A row in full: every attempt, headers, response (rowview.c). */
struct rowview {
	bool open;
	char title[128];
	char **lines; /* unwrapped; wrapped as drawn */
	size_t nlines;
	int top;
	char *url;    /* what y copies */
};

/* Samples of a run, one a second, for the sparklines (graphs.c). */
struct run_samples {
	double *sent, *errors; /* attempts and failed attempts per second */
	size_t n, cap;
	uint64_t last_attempts, last_errors;
	double last_t;
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
	int help_top;
	char flash[256];
	enum theme_role flash_role;
	double flash_until;
	struct dialog dlg;
	struct field_edit edit;
	struct undo undo;
	struct rowview rv;
	bool too_small;
	char theme_before[65]; /* the theme when T opened, for Esc */

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
	char *map_column; /* the column being added, while its target is
			   * picked */
	/* as they were before a mapping was added: cancelling its name
	 * puts them back */
	bool map_dirty_before;
	enum profile_body map_format_before;
	/* a JSON batch's wrap, put aside while B shows another format (only
	 * JSON batches have one): back to json restores it */
	char *wrap_aside;
	size_t preview_row;

	/* activate */
	int act_focus;
	struct lineedit conc_edit, rate_edit, attempts_edit, threads_edit;
	/* the sync plan step 4 shows, for the profile as of edit_gen */
	struct activation_stats sync_plan;
	char sync_note[256];
	bool sync_plan_ok;
	unsigned sync_plan_gen;
	char *sync_plan_seg;
	unsigned edit_gen; /* bumped by every edit */
	struct probe *probe;
	char probe_url[REQUEST_URL_MAX + 1];
	char probe_key[REQUEST_TEST_KEY_MAX];
	char probe_row_key[65];
	uint64_t probe_row;
	bool probe_told; /* the answer was announced */

	/* the run */
	struct activation *run;
	bool run_active;
	int run_status;
	char run_id[80];
	char ask_run_id[80]; /* the run a re-run or resume question is about */
	bool ask_retry;
	struct listview tail_lv;
	int sigcount;
	struct run_samples samples;

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
void tui_draw_now(struct app *a); /* draw at once (during a long check) */

/* app.c */
void app_flash(struct app *a, enum theme_role role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void app_go(struct app *a, enum screen_id s);
void app_changed(struct app *a); /* the profile was edited */
void app_plan(struct app *a);    /* rebuild the plan if stale */
double app_now(void);
char *app_profiles_dir(void);
int app_open_profile(struct app *a, const char *path, bool announce);
void app_load_editors(struct app *a);
void app_save(struct app *a, bool as, bool then_quit);
void app_ask_open(struct app *a);
void app_offer_profiles(struct app *a, bool at_start);
void app_apply_theme(struct app *a, const char *name);
void app_pick_theme(struct app *a);
void app_ask_quit(struct app *a);
/* Typing mode: enter a field, and the keys while in it. */
void field_begin(struct app *a, struct lineedit *le,
		 const struct field_ops *ops);
/* FIELD_TAB: committed with Tab (the screen then moves on). */
enum { FIELD_KEPT = 1, FIELD_DONE, FIELD_TAB };
int field_key(struct app *a, int key);
bool app_typing(const struct app *a); /* a field, or an input dialog */
/* Delete entry i of a list, keeping it for u (one rule for every list). */
void app_delete_entry(struct app *a, struct profile_list *l, size_t i,
		      const char *prefix, const char *what);
bool app_undo(struct app *a);
void app_free_undo(struct app *a);

/* dialog.c */
/* A yes/no question that starts on the safe answer: y or Enter on "yes"
 * runs done with ok; n, Esc or Enter on "Cancel" with !ok. */
void app_confirm(struct app *a, const char *title, const char *text,
		 const char *yes_label, int ctx, dlg_done_fn done);
/* Up to three choices; initial is highlighted (make it the safe one). */
void app_choose(struct app *a, const char *title, const char *text,
		const struct dlg_choice *choices, int n, int initial, int ctx,
		dlg_done_fn done);
void app_info(struct app *a, const char *title, const char *text);
void app_input(struct app *a, const char *title, const char *prompt,
	       const char *initial, int ctx, dlg_done_fn done);
/* app_input for a callback that wants only an accepted text. */
void app_ask(struct app *a, const char *title, const char *prompt,
	     const char *initial, dlg_text_fn fn);
void app_pick(struct app *a, const char *title, char **items, size_t n,
	      int ctx, dlg_done_fn done);
/* The '=' of a "name=value" an input dialog answered; NULL when it was
 * cancelled or left empty, or after flashing form. */
const char *app_typed_pair(struct app *a, bool ok, const char *text,
			   const char *form);
void dialog_key(struct app *a, int key);
void dialog_draw(struct app *a);
void dialog_reset(struct dialog *d);
/* The status bar's text for the open dialog. */
void dialog_hints(const struct app *a, struct hc_buf *out);

/* chrome.c */
void chrome_draw(struct app *a, const struct screen_ops *const *screens);
int app_run_pct(const struct activation_stats *s); /* badge and bar */
extern const struct keybind global_keys[];
enum {
	G_HELP = 1000, G_REDRAW, G_HISTORY, G_SAVE, G_SAVE_AS, G_OPEN, G_BACK,
	G_THEME, G_UNDO, G_STEP1, G_STEP6 = G_STEP1 + 5,
};
bool chrome_too_small(void);

/* runctl.c */
void app_start_run(struct app *a, const struct activation_opts *o);
void app_finish_run(struct app *a);
void app_history_reload(struct app *a);
/* Ask before sending: re-run the failed rows of a run, or resume it. */
void app_ask_retry(struct app *a, const struct history_meta *m);
void app_ask_resume(struct app *a, const struct history_meta *m);
/* The finished run on the Progress screen, as history knows it; false
 * when there is none. Caller frees m with history_meta_free. */
bool app_last_run_meta(struct app *a, struct history_meta *m);
/* The sync plan for the profile as it is (step 4): computed with the
 * pre-run check's progress, Esc cancels. Returns false when cancelled or
 * failed (a message then says why). */
bool app_sync_plan(struct app *a, bool force);
void app_sample_run(struct app *a, bool last);

/* rowview.c */
void rowview_open(struct app *a, const char *run_dir, uint64_t row);
void rowview_close(struct app *a);
int rowview_key(struct app *a, int key);
void rowview_draw(struct app *a);

/* graphs.c */
void graph_spark(WINDOW *w, int y, int x, int width, const double *v,
		 size_t n, double *peak);
void graph_hist(WINDOW *w, int y, int x, int h, int width,
		const uint64_t *counts, int nb, const char *const *labels);

/* screen helpers */
void destination_type_url(struct app *a); /* start typing the URL */
/* dest_payload.c: step 1's S, X, A, C and V, and the Payload line */
enum payload_key { PAYLOAD_SIGN, PAYLOAD_SECRET, PAYLOAD_CA, PAYLOAD_CLIENT,
		   PAYLOAD_HTTP };
void payload_action(struct app *a, enum payload_key k);
void payload_draw(struct app *a, WINDOW *w, int y, int wd);
/* map_body.c: step 3's body constants (c, r) and batches (b) */
void mappings_const_prompt(struct app *a, int ctx, const char *cur);
void mappings_ask_batch(struct app *a);
void activate_probe_done(struct app *a);  /* the test request's answer */

/* segment screen helpers shared with mappings and activate */
void seg_load(struct app *a, const char *path);
void seg_count_step(struct app *a, double budget_s);
void seg_watch(struct app *a);
void seg_view_free(struct seg_view *sv);
/* The preview row as a segment_row (borrowed), or false when none. */
bool seg_preview_row(struct app *a, size_t i, struct segment_row *row);

#endif
