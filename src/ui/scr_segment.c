/* Step 2: the segment: path with Tab completion, delimiter, columns, the
 * first rows, the row total (counted in the background) and problems. */
#include "tui.h"

#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { F_PATH, F_GRID, F_COUNT };
enum { A_NEXT = 1, A_PREV, A_EDIT, A_DELIM, A_STEP, A_SCROLL_L, A_SCROLL_R };

static const struct keybind keys[] = {
	{ '\t', 0, "Tab", "field", "next field (Shift-Tab: previous)", A_NEXT, 1 },
	{ KEY_BTAB, 0, NULL, NULL, NULL, A_PREV, 9 },
	{ '\r', KEY_ENTER, "Enter", "type path", "type the segment's path "
	  "(Tab completes it, Enter loads it, Esc cancels)", A_EDIT, 2 },
	{ 'e', 'i', "e/i", NULL, "the same as Enter: start typing the path",
	  A_EDIT, 9 },
	{ 'D', 0, "D", "delimiter", "cycle the delimiter: auto , ; tab |", A_DELIM, 3 },
	{ 'h', KEY_LEFT, "h/l", NULL, "scroll the grid left and right", A_SCROLL_L, 6 },
	{ 'l', KEY_RIGHT, NULL, NULL, NULL, A_SCROLL_R, 9 },
	{ 'n', 0, "n", "next step", "go on to the mappings", A_STEP, 0 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};

void seg_view_free(struct seg_view *sv)
{
	free(sv->path);
	free(sv->error);
	segment_free(sv->header);
	segment_free(sv->counter);
	for (size_t i = 0; i < sv->nrows; i++) {
		for (size_t k = 0; k < sv->rows[i].n; k++)
			free(sv->rows[i].cells[k]);
		free(sv->rows[i].cells);
		free(sv->rows[i].lens);
		free(sv->rows[i].invalid);
	}
	for (size_t i = 0; i < sv->nproblems; i++)
		free(sv->problems[i]);
	free(sv->fatal);
	memset(sv, 0, sizeof *sv);
}

static void add_problem(struct seg_view *sv, char *text)
{
	if (sv->nproblems < SEG_PROBLEMS_MAX)
		sv->problems[sv->nproblems++] = text;
	else
		free(text);
}

void seg_load(struct app *a, const char *path)
{
	struct seg_view *sv = &a->sv;
	seg_view_free(sv);
	sv->path = xstrdup(path);
	a->sync_plan_ok = false; /* it was made from the file as it was */
	sv->st_ok = stat(path, &sv->st) == 0;
	sv->st_checked = app_now();
	struct segment_opts o = { .delimiter = a->seg_delim,
				  .field_max = a->profile->field_max };
	char *err = NULL;
	struct segment *seg = segment_open(path, &o, &err);
	if (seg == NULL) {
		sv->error = err;
		a->plan_stale = true;
		return;
	}
	sv->delim = segment_delimiter(seg);
	sv->detected = segment_delimiter_detected(seg);
	struct segment_row row;
	while (sv->nrows < SEG_PREVIEW_ROWS && segment_next(seg, &row) > 0) {
		struct seg_row *r = &sv->rows[sv->nrows++];
		r->row = row.row;
		r->line = row.line;
		r->n = row.nfields;
		r->cells = xcalloc(row.nfields, sizeof *r->cells);
		r->lens = xcalloc(row.nfields, sizeof *r->lens);
		for (size_t k = 0; k < row.nfields; k++) {
			r->cells[k] = xstrndup(row.fields[k], row.lens[k]);
			r->lens[k] = row.lens[k];
		}
		r->invalid = row.invalid ? xstrdup(row.invalid) : NULL;
	}
	segment_free(seg);
	/* One reader keeps the header for binding mappings; another counts
	 * the whole file a slice at a time in the loop. */
	sv->header = segment_open(path, &o, &err);
	sv->counter = segment_open(path, &o, &err);
	if (sv->counter == NULL) {
		sv->error = err;
		sv->count_done = true;
	}
	sv->count_done = sv->counter == NULL;
	a->preview_row = 0;
	a->plan_stale = true;
	a->need_redraw = true;
}

void seg_count_step(struct app *a, double budget_s)
{
	struct seg_view *sv = &a->sv;
	double until = app_now() + budget_s;
	struct segment_row row;
	int r = 1;
	for (int i = 0; r > 0; i++) {
		if ((i & 1023) == 0 && app_now() > until)
			break;
		r = segment_next(sv->counter, &row);
		if (r <= 0)
			break;
		sv->counted++;
		if (row.invalid) {
			sv->invalid++;
			add_problem(sv, xasprintf("line %llu, row %llu: %s",
						  (unsigned long long)row.line,
						  (unsigned long long)row.row,
						  row.invalid));
		}
	}
	if (r < 0)
		sv->fatal = xstrdup(segment_fatal(sv->counter)->msg);
	if (r <= 0) {
		sv->count_done = true;
		segment_free(sv->counter);
		sv->counter = NULL;
	}
	a->need_redraw = true;
}

static bool same_file(const struct stat *x, const struct stat *y)
{
	return x->st_dev == y->st_dev && x->st_ino == y->st_ino &&
	       x->st_size == y->st_size &&
	       x->st_mtim.tv_sec == y->st_mtim.tv_sec &&
	       x->st_mtim.tv_nsec == y->st_mtim.tv_nsec;
}

/* The same file as far as stat tells, or both missing. */
static bool same_state(bool ok_x, const struct stat *x, bool ok_y,
		       const struct stat *y)
{
	return ok_x == ok_y && (!ok_x || same_file(x, y));
}

/* The loaded segment changed on disk (rewritten, replaced, removed or
 * back): load it again, so that the rows, the count and the preview are
 * the file's as it is now. Looked at about once a second (the idle loop
 * wakes that often); a change is loaded once the file holds still from
 * one look to the next, so that a file still being written is not read
 * half done. Not while a run, a test request, a dialog or a field is in
 * progress: what they show was read from the file as it was. */
void seg_watch(struct app *a)
{
	struct seg_view *sv = &a->sv;
	double now = app_now();
	if (sv->path == NULL || now - sv->st_checked < 1.0 || a->run_active ||
	    (a->probe && !a->probe_told) || a->dlg.kind != DLG_NONE ||
	    a->edit.le)
		return;
	sv->st_checked = now;
	struct stat st;
	bool ok = stat(sv->path, &st) == 0;
	if (same_state(ok, &st, sv->st_ok, &sv->st)) {
		sv->changing = false;
		return;
	}
	if (!sv->changing || !same_state(ok, &st, sv->seen_ok, &sv->seen)) {
		sv->changing = true; /* look again before loading */
		sv->seen = st;
		sv->seen_ok = ok;
		return;
	}
	size_t keep = a->preview_row;
	char *p = xstrdup(sv->path);
	seg_load(a, p);
	free(p);
	if (keep < sv->nrows)
		a->preview_row = keep;
	if (a->screen == SCR_ACTIVATE && !sv->error &&
	    a->profile->sync_mode != PROFILE_SYNC_ALL)
		app_sync_plan(a, true); /* as entering step 4 does */
	if (sv->error)
		app_flash(a, ROLE_ERROR, "the segment changed on disk: %s",
			  sv->error);
	else
		app_flash(a, ROLE_WARNING, "%s changed on disk: loaded again",
			  sv->path);
}

bool seg_preview_row(struct app *a, size_t i, struct segment_row *row)
{
	if (i >= a->sv.nrows)
		return false;
	struct seg_row *r = &a->sv.rows[i];
	row->row = r->row;
	row->line = r->line;
	row->offset = 0;
	row->nfields = r->n;
	row->fields = (const char *const *)r->cells;
	row->lens = r->lens;
	row->invalid = r->invalid;
	return true;
}

/* Complete the path to the longest common prefix of the matches. */
static void complete(struct app *a)
{
	for (size_t i = 0; i < a->ncompletions; i++)
		free(a->completions[i]);
	free(a->completions);
	a->completions = NULL;
	a->ncompletions = 0;
	const char *cur = a->seg_edit.text.data ? a->seg_edit.text.data : "";
	char *pat = xasprintf("%s*", cur);
	glob_t g;
	if (glob(pat, GLOB_MARK, NULL, &g) != 0) {
		free(pat);
		app_flash(a, ROLE_WARNING, "no file matches %s", cur);
		return;
	}
	free(pat);
	size_t common = strlen(g.gl_pathv[0]);
	for (size_t i = 1; i < g.gl_pathc; i++) {
		size_t k = 0;
		while (k < common && g.gl_pathv[i][k] == g.gl_pathv[0][k])
			k++;
		common = k;
	}
	char *prefix = xstrndup(g.gl_pathv[0], common);
	le_set(&a->seg_edit, prefix);
	free(prefix);
	if (g.gl_pathc > 1) {
		a->completions = xcalloc(g.gl_pathc, sizeof *a->completions);
		for (size_t i = 0; i < g.gl_pathc && i < 200; i++)
			a->completions[a->ncompletions++] = xstrdup(g.gl_pathv[i]);
	}
	globfree(&g);
	a->need_redraw = true;
}

static void load(struct app *a, const char *p)
{
	if (!p[0])
		return;
	for (size_t i = 0; i < a->ncompletions; i++)
		free(a->completions[i]);
	a->ncompletions = 0;
	seg_load(a, p);
	if (a->sv.error) {
		app_flash(a, ROLE_ERROR, "%s", a->sv.error);
		return;
	}
	/* Keep an absolute path, so that the profile can be saved anywhere. */
	char buf[PATH_MAX];
	const char *keep = realpath(p, buf) ? buf : p;
	if (a->profile->segment_file == NULL ||
	    strcmp(a->profile->segment_file, keep) != 0) {
		free(a->profile->segment_file);
		a->profile->segment_file = xstrdup(keep);
		app_changed(a);
	}
	a->seg_focus = F_GRID;
	app_flash(a, ROLE_SUCCESS, "loaded %s", p);
}

static void commit_path(struct app *a, const char *text)
{
	char *p = xstrdup(text);
	load(a, p);
	free(p);
}

static const struct field_ops path_field = {
	.what = "the segment path", .commit = commit_path, .complete = complete,
};

static int action(struct app *a, int act)
{
	switch (act) {
	case A_NEXT:
		a->seg_focus = (a->seg_focus + 1) % F_COUNT;
		return H_REDRAW;
	case A_PREV:
		a->seg_focus = (a->seg_focus + F_COUNT - 1) % F_COUNT;
		return H_REDRAW;
	case A_EDIT:
		a->seg_focus = F_PATH;
		field_begin(a, &a->seg_edit, &path_field);
		return H_REDRAW;
	case A_DELIM: {
		static const char cycle[] = { 0, ',', ';', '\t', '|' };
		int i = 0;
		while (i < 5 && cycle[i] != a->seg_delim)
			i++;
		a->seg_delim = cycle[(i + 1) % 5];
		a->profile->delimiter = a->seg_delim;
		app_changed(a);
		if (a->sv.path) {
			char *p = xstrdup(a->sv.path);
			seg_load(a, p);
			free(p);
		}
		return H_REDRAW;
	}
	case A_SCROLL_L:
		if (a->sv.hscroll > 0)
			a->sv.hscroll--;
		return H_REDRAW;
	case A_SCROLL_R:
		if (a->sv.header &&
		    (size_t)a->sv.hscroll + 1 < segment_ncolumns(a->sv.header))
			a->sv.hscroll++;
		return H_REDRAW;
	case A_STEP:
		app_go(a, SCR_MAPPINGS);
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

static int input(struct app *a, int key)
{
	if (a->seg_focus != F_GRID)
		return H_NONE;
	struct listview lv = { .sel = a->sv.vscroll, .n = (int)a->sv.nrows };
	if (!lv_key(&lv, key, 10))
		return H_NONE;
	a->sv.vscroll = lv.sel;
	return H_REDRAW;
}

static void draw_grid(struct app *a, WINDOW *w, int y, int h, int wd)
{
	struct seg_view *sv = &a->sv;
	size_t ncols = segment_ncolumns(sv->header);
	ui_box(w, y, 0, h, wd, "First rows", a->seg_focus == F_GRID);
	const int cw = 18;
	int x = 2;
	size_t first = (size_t)sv->hscroll;
	ui_role(w, ROLE_TITLE);
	ui_str(w, y + 1, x, 6, "row");
	size_t shown = 0;
	for (size_t c = first; c < ncols; c++) {
		int cx = x + 7 + (int)(c - first) * (cw + 1);
		if (cx + cw > wd - 2)
			break;
		const char *name = segment_column(sv->header, c);
		ui_text(w, y + 1, cx, cw, name, strlen(name));
		shown++;
	}
	ui_role(w, ROLE_NORMAL);
	int rows = h - 3;
	if (sv->vscroll > (int)sv->nrows - rows)
		sv->vscroll = (int)sv->nrows - rows;
	if (sv->vscroll < 0)
		sv->vscroll = 0;
	for (int i = 0; i < rows && sv->vscroll + i < (int)sv->nrows; i++) {
		struct seg_row *r = &sv->rows[sv->vscroll + i];
		ui_role(w, r->invalid ? ROLE_ERROR : ROLE_MUTED);
		ui_textf(w, y + 2 + i, x, 6, "%llu", (unsigned long long)r->row);
		ui_role(w, r->invalid ? ROLE_ERROR : ROLE_NORMAL);
		for (size_t c = first; c < r->n && c < ncols; c++) {
			int cx = x + 7 + (int)(c - first) * (cw + 1);
			if (cx + cw > wd - 2)
				break;
			ui_text(w, y + 2 + i, cx, cw, r->cells[c], r->lens[c]);
		}
	}
	ui_role(w, ROLE_NORMAL);
	if (first > 0 || ncols > first + shown) {
		ui_role(w, ROLE_MUTED);
		ui_textf(w, y + h - 1, wd - 34, 32, " columns %zu-%zu of %zu (h/l) ",
			 first + 1, first + shown, ncols);
		ui_role(w, ROLE_NORMAL);
	}
}

static void draw(struct app *a, WINDOW *w, int h, int wd)
{
	struct seg_view *sv = &a->sv;
	bool typing = a->edit.le == &a->seg_edit;
	ui_box(w, 0, 0, 3, wd, typing ? "Segment file: typing (Tab completes, "
	       "Enter loads, Esc cancels)" : a->seg_focus == F_PATH
	       ? "Segment file (CSV; Enter types the path)"
	       : "Segment file (CSV)", a->seg_focus == F_PATH);
	le_draw(w, 1, 2, wd - 4, &a->seg_edit, typing ? LE_TYPING
		: a->seg_focus == F_PATH ? LE_FOCUSED : LE_PLAIN);
	int y = 3;
	if (a->ncompletions > 0) {
		ui_role(w, ROLE_MUTED);
		int x = 2;
		for (size_t i = 0; i < a->ncompletions && x < wd - 10; i++) {
			const char *c = hc_basename(a->completions[i]);
			if (c[0] == '\0') /* a folder: name/ */
				c = a->completions[i];
			x += ui_text(w, y, x, wd - x - 2, c, strlen(c)) + 2;
		}
		ui_role(w, ROLE_NORMAL);
		y++;
	}
	if (sv->path == NULL) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, y + 1, 2, wd - 4, "Enter, type the path of a CSV file "
			"whose first line names the columns, then Enter.");
		ui_role(w, ROLE_NORMAL);
		return;
	}
	if (sv->error) {
		ui_role(w, ROLE_ERROR);
		ui_textf(w, y + 1, 2, wd - 4, "x %s", sv->error);
		ui_role(w, ROLE_NORMAL);
		return;
	}
	size_t ncols = segment_ncolumns(sv->header);
	const char *dn = segment_delimiter_name(sv->delim);
	bool word = strcmp(dn, "tab") == 0;
	int x = 2 + ui_textf(w, y, 2, wd - 4, "Delimiter: %s%s%s (%s; D "
			     "changes it)    Columns: %zu    Rows: ",
			     word ? "" : "\"", dn, word ? "" : "\"",
			     sv->detected ? "detected" : "set", ncols);
	char total[96];
	if (sv->count_done)
		snprintf(total, sizeof total, "%llu (%llu invalid)%s",
			 (unsigned long long)sv->counted,
			 (unsigned long long)sv->invalid,
			 sv->fatal ? ", stopped at a fatal error" : "");
	else
		snprintf(total, sizeof total, "counting... %llu",
			 (unsigned long long)sv->counted);
	ui_role(w, sv->fatal ? ROLE_ERROR : sv->invalid ? ROLE_WARNING
							: ROLE_SUCCESS);
	ui_text(w, y, x, wd - x - 2, total, strlen(total));
	ui_role(w, ROLE_NORMAL);
	y++;
	ui_role(w, ROLE_MUTED);
	struct hc_buf cols;
	hc_buf_init(&cols);
	hc_buf_adds(&cols, "Columns: ");
	for (size_t c = 0; c < ncols; c++)
		hc_buf_printf(&cols, "%s%s", c ? ", " : "",
			      segment_column(sv->header, c));
	ui_text(w, y++, 2, wd - 4, cols.data, cols.len);
	hc_buf_free(&cols);
	ui_role(w, ROLE_NORMAL);

	int probs = sv->fatal || sv->nproblems ? 5 : 0;
	int gh = h - y - probs;
	if (gh > 4)
		draw_grid(a, w, y, gh, wd);
	y += gh;
	if (probs) {
		ui_role(w, ROLE_TITLE);
		ui_textf(w, y, 2, wd - 4, "Problems (%zu%s)", sv->nproblems + (sv->fatal ? 1 : 0),
			 sv->nproblems >= SEG_PROBLEMS_MAX ? "+" : "");
		int row = y + 1;
		if (sv->fatal) {
			ui_role(w, ROLE_ERROR);
			ui_textf(w, row++, 2, wd - 4, "FATAL %s", sv->fatal);
		}
		ui_role(w, ROLE_WARNING);
		for (size_t i = 0; i < sv->nproblems && row < h; i++)
			ui_textf(w, row++, 2, wd - 4, "invalid %s", sv->problems[i]);
		ui_role(w, ROLE_NORMAL);
	}
}

static void enter(struct app *a)
{
	a->seg_focus = a->sv.path && !a->sv.error ? F_GRID : F_PATH;
}

const struct screen_ops screen_segment = {
	.name = "Segment",
	.keys = keys,
	.enter = enter,
	.draw = draw,
	.action = action,
	.input = input,
};
