/* Step 3: mappings (segment column -> query key, the custom attribute
 * name), static parameters, and a live preview of the exact URL for a
 * real row. */
#include "tui.h"

#include <stdlib.h>
#include <string.h>

enum { F_MAPS, F_STATICS, F_COUNT };
enum { A_NEXT = 1, A_PREV, A_ADD, A_RENAME, A_DEL, A_UP, A_DOWN, A_STATIC,
       A_ROWPREV, A_ROWNEXT, A_STEP, A_EDIT };

static const struct keybind keys[] = {
	{ 'a', 0, "a", "add mapping", "add a mapping: pick a segment column, "
	  "then name its query key (custom attribute name)", A_ADD, 1 },
	{ 'r', 0, "r", "rename", "rename the selected query key (or edit the "
	  "static parameter)", A_RENAME, 4 },
	{ 'd', 0, "d", "delete", "delete the selected mapping or static "
	  "parameter (u undoes it)", A_DEL, 4 },
	{ 'K', 0, "K/J", "move", "move the selected mapping up or down",
	  A_UP, 6 },
	{ 'J', 0, NULL, NULL, NULL, A_DOWN, 9 },
	{ 's', 0, "s", "static", "add a static parameter (key=value, "
	  "${VAR} allowed)", A_STATIC, 3 },
	{ '[', 0, "[ ]", "row", "preview the previous or next row", A_ROWPREV, 2 },
	{ ']', 0, NULL, NULL, NULL, A_ROWNEXT, 9 },
	{ '\t', 0, "Tab", NULL, "switch between mappings and static "
	  "parameters", A_NEXT, 7 },
	{ KEY_BTAB, 0, NULL, NULL, NULL, A_PREV, 9 },
	{ '\r', KEY_ENTER, "Enter", NULL, "rename the selected query key (or "
	  "edit the static parameter)", A_EDIT, 9 },
	{ 'n', 0, "n", "next step", "go on to activate", A_STEP, 0 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};

static void on_key_name(struct app *a, int ctx, bool ok, const char *text,
			int index)
{
	(void)index;
	struct profile_list *l = &a->profile->mappings;
	if (!ok || !text[0] || ctx < 0 || (size_t)ctx >= l->n) {
		/* cancelling a new mapping removes it */
		if (!ok && ctx >= 0 && (size_t)ctx == l->n - 1 &&
		    l->items[ctx].key[0] == '\0') {
			profile_list_remove(l, (size_t)ctx, "map");
			a->maps_lv.n = (int)l->n;
		}
		return;
	}
	free(l->items[ctx].key);
	l->items[ctx].key = xstrdup(text);
	app_changed(a);
}

static void on_column(struct app *a, int ctx, bool ok, const char *text,
		      int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
	/* "contacts.email" suggests "email" */
	const char *dot = strrchr(text, '.');
	const char *suggest = dot && dot[1] ? dot + 1 : text;
	struct profile_list *l = &a->profile->mappings;
	profile_list_add(l, "map", 0, "", text);
	profile_list_renumber(l, "map");
	a->maps_lv.n = (int)l->n;
	a->maps_lv.sel = (int)l->n - 1;
	char prompt[256];
	snprintf(prompt, sizeof prompt, "Query key (custom attribute name) "
		 "for segment column %s:", text);
	app_input(a, "Segment column -> query key", prompt, suggest,
		  (int)l->n - 1, on_key_name);
	app_changed(a);
}

static void on_static(struct app *a, int ctx, bool ok, const char *text,
		      int index)
{
	(void)index;
	if (!ok || !text[0])
		return;
	const char *eq = strchr(text, '=');
	if (eq == NULL || eq == text) {
		app_flash(a, ROLE_ERROR, "a static parameter is key=value");
		return;
	}
	char *k = xstrndup(text, (size_t)(eq - text));
	struct profile_list *l = &a->profile->statics;
	if (ctx >= 0 && (size_t)ctx < l->n) {
		free(l->items[ctx].key);
		free(l->items[ctx].value);
		l->items[ctx].key = k;
		l->items[ctx].value = xstrdup(eq + 1);
	} else {
		profile_list_add(l, "param", 0, k, eq + 1);
		free(k);
		profile_list_renumber(l, "param");
	}
	a->statics_lv.n = (int)l->n;
	app_changed(a);
}

static void pick_column(struct app *a)
{
	if (a->sv.header == NULL) {
		app_flash(a, ROLE_ERROR, "load a segment first (step 2)");
		return;
	}
	size_t n = segment_ncolumns(a->sv.header);
	char **items = xcalloc(n ? n : 1, sizeof *items);
	for (size_t i = 0; i < n; i++)
		items[i] = xstrdup(segment_column(a->sv.header, i));
	app_pick(a, "Segment column", items, n, 0, on_column);
}

static int action(struct app *a, int act)
{
	struct profile_list *m = &a->profile->mappings;
	struct profile_list *s = &a->profile->statics;
	bool on_maps = a->map_focus == F_MAPS;
	struct listview *lv = on_maps ? &a->maps_lv : &a->statics_lv;
	struct profile_list *l = on_maps ? m : s;
	switch (act) {
	case A_NEXT:
	case A_PREV:
		a->map_focus = (a->map_focus + 1) % F_COUNT;
		return H_REDRAW;
	case A_ADD:
		a->map_focus = F_MAPS;
		pick_column(a);
		return H_REDRAW;
	case A_STATIC:
		a->map_focus = F_STATICS;
		app_input(a, "Static parameter", "key=value (sent with every "
			  "request; ${VAR} reads the environment)", "", -1,
			  on_static);
		a->dlg.edit.mask = mask_static;
		return H_REDRAW;
	case A_RENAME:
	case A_EDIT:
		if (l->n == 0)
			return H_NONE;
		if (on_maps) {
			char prompt[256];
			snprintf(prompt, sizeof prompt, "Query key (custom "
				 "attribute name) for segment column %s:",
				 m->items[lv->sel].value);
			app_input(a, "Segment column -> query key", prompt,
				  m->items[lv->sel].key, lv->sel, on_key_name);
		} else {
			char *cur = xasprintf("%s=%s", s->items[lv->sel].key,
					      s->items[lv->sel].value);
			app_input(a, "Static parameter", "key=value", cur,
				  lv->sel, on_static);
			a->dlg.edit.mask = mask_static;
			free(cur);
		}
		return H_REDRAW;
	case A_DEL: {
		if (l->n == 0)
			return H_NONE;
		char what[160];
		const struct profile_entry *e = &l->items[lv->sel];
		if (on_maps)
			snprintf(what, sizeof what, "mapping %s -> %s", e->value,
				 e->key);
		else
			snprintf(what, sizeof what, "static parameter %s", e->key);
		app_delete_entry(a, l, (size_t)lv->sel, on_maps ? "map" : "param",
				 what);
		lv->n = (int)l->n;
		return H_REDRAW;
	}
	case A_UP:
	case A_DOWN: {
		if (!on_maps || m->n < 2)
			return H_NONE;
		int i = lv->sel, j = act == A_UP ? i - 1 : i + 1;
		if (j < 0 || j >= (int)m->n)
			return H_REDRAW;
		struct profile_entry t = m->items[i];
		m->items[i] = m->items[j];
		m->items[j] = t;
		profile_list_renumber(m, "map");
		lv->sel = j;
		app_changed(a);
		return H_REDRAW;
	}
	case A_ROWPREV:
		if (a->preview_row > 0)
			a->preview_row--;
		return H_REDRAW;
	case A_ROWNEXT:
		if (a->preview_row + 1 < a->sv.nrows)
			a->preview_row++;
		return H_REDRAW;
	case A_STEP:
		app_go(a, SCR_ACTIVATE);
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

static int input(struct app *a, int key)
{
	struct listview *lv = a->map_focus == F_MAPS ? &a->maps_lv : &a->statics_lv;
	a->maps_lv.n = (int)a->profile->mappings.n;
	a->statics_lv.n = (int)a->profile->statics.n;
	return lv_key(lv, key, 5) ? H_REDRAW : H_NONE;
}

static bool avail(const struct app *a, int act)
{
	const struct profile_list *l = a->map_focus == F_MAPS
					       ? &a->profile->mappings
					       : &a->profile->statics;
	switch (act) {
	case A_RENAME:
	case A_EDIT:
	case A_DEL:
		return l->n > 0;
	case A_UP:
	case A_DOWN:
		return a->map_focus == F_MAPS && a->profile->mappings.n > 1;
	default:
		return true;
	}
}

/* The URL, wrapped, with what came from the row in the success colour. */
static int draw_url(WINDOW *w, int y, int maxy, int wd, const char *method,
		    const char *url, size_t prefix)
{
	size_t n = strlen(url);
	int x = 2;
	ui_role(w, strcmp(method, "DELETE") == 0 ? ROLE_DANGER : ROLE_TITLE);
	x += ui_text(w, y, x, wd - 4, method, strlen(method));
	ui_role(w, ROLE_NORMAL);
	x++;
	bool in_value = false;
	for (size_t i = 0; i < n && y < maxy; i++) {
		char c = url[i];
		if (i >= prefix) {
			if (c == '&' || c == '?')
				in_value = false;
			ui_role(w, in_value ? ROLE_SUCCESS : ROLE_NORMAL);
			if (in_value)
				wattron(w, A_BOLD | A_UNDERLINE);
			if (c == '=')
				in_value = true;
		} else {
			ui_role(w, ROLE_NORMAL);
		}
		ui_text(w, y, x, 1, &c, 1);
		if (++x >= wd - 2) {
			x = 2;
			y++;
		}
	}
	ui_role(w, ROLE_NORMAL);
	return y + 1;
}

static void draw(struct app *a, WINDOW *w, int h, int wd)
{
	app_plan(a);
	const struct profile_list *m = &a->profile->mappings;
	const struct profile_list *s = &a->profile->statics;
	a->maps_lv.n = (int)m->n;
	a->statics_lv.n = (int)s->n;
	int bh = h / 3 + 1;
	int lw = wd * 3 / 5;
	ui_box(w, 0, 0, bh, lw, "Segment column -> query key (custom "
	       "attribute name)", a->map_focus == F_MAPS);
	lv_clamp(&a->maps_lv, bh - 2);
	if (m->n == 0) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, 1, 2, lw - 4, "(none: a adds one)");
	}
	for (int i = 0; i < bh - 2 && a->maps_lv.top + i < (int)m->n; i++) {
		int k = a->maps_lv.top + i;
		bool sel = k == a->maps_lv.sel && a->map_focus == F_MAPS;
		bool missing = a->sv.header &&
			       segment_column_index(a->sv.header, m->items[k].value) < 0;
		ui_role(w, sel ? ROLE_SELECTION : missing ? ROLE_ERROR : ROLE_NORMAL);
		ui_textf(w, 1 + i, 2, lw - 4, "%2d. %-24s -> %s%s", k + 1,
			 m->items[k].value, m->items[k].key,
			 missing ? "  (no such column)" : "");
	}
	ui_box(w, 0, lw, bh, wd - lw, "Static parameters", a->map_focus == F_STATICS);
	lv_clamp(&a->statics_lv, bh - 2);
	if (s->n == 0) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, 1, lw + 2, wd - lw - 4, "(none: s adds one)");
	}
	for (int i = 0; i < bh - 2 && a->statics_lv.top + i < (int)s->n; i++) {
		int k = a->statics_lv.top + i;
		bool sel = k == a->statics_lv.sel && a->map_focus == F_STATICS;
		ui_role(w, sel ? ROLE_SELECTION : ROLE_NORMAL);
		ui_textf(w, 1 + i, lw + 2, wd - lw - 4, "%s = %s", s->items[k].key,
			 profile_static_literal_secret(&s->items[k])
				 ? "*** (a literal secret: prefer ${VAR})"
				 : s->items[k].value);
	}
	ui_role(w, ROLE_NORMAL);

	int y = bh + 1;
	struct segment_row row;
	bool have_row = seg_preview_row(a, a->preview_row, &row);
	ui_role(w, ROLE_TITLE);
	if (have_row)
		ui_textf(w, y++, 2, wd - 4, "Preview: row %llu (line %llu), "
			 "%zu of the first %zu rows   [ ] other rows",
			 (unsigned long long)row.row, (unsigned long long)row.line,
			 a->preview_row + 1, a->sv.nrows);
	else
		ui_str(w, y++, 2, wd - 4, "Preview: load a segment to see the "
			"URL of a real row");
	ui_role(w, ROLE_NORMAL);
	struct hc_buf url, shown, why;
	hc_buf_init(&url);
	hc_buf_init(&shown);
	hc_buf_init(&why);
	int warn_y = y + 1;
	if (have_row && a->plan) {
		if (request_build(a->plan, &row, &url, &shown, &why) == 0)
			warn_y = draw_url(w, y, h - 4, wd, a->profile->method,
					  shown.data,
					  request_shown_prefix_len(a->plan)) + 1;
		else {
			ui_role(w, ROLE_ERROR);
			ui_textf(w, y, 2, wd - 4, "x this row cannot be sent: %s",
				 why.data);
			warn_y = y + 2;
		}
	}
	/* warnings */
	ui_role(w, ROLE_TITLE);
	ui_str(w, warn_y++, 2, wd - 4, "Warnings");
	int nw = 0;
	for (size_t i = 0; i < a->plan_msgs.n && warn_y < h; i++) {
		const char *t = a->plan_msgs.items[i].text;
		const char *what = strstr(t, "] ");
		ui_role(w, a->plan_msgs.items[i].severity == HC_ERROR ? ROLE_ERROR
								      : ROLE_WARNING);
		ui_textf(w, warn_y++, 2, wd - 4, "! %s", what ? what + 2 : t);
		nw++;
	}
	if (have_row && a->sv.header) {
		for (size_t i = 0; i < m->n && warn_y < h; i++) {
			long c = segment_column_index(a->sv.header, m->items[i].value);
			if (c >= 0 && (size_t)c < row.nfields && row.lens[c] == 0) {
				ui_role(w, ROLE_WARNING);
				ui_textf(w, warn_y++, 2, wd - 4, "! %s is empty in this "
					 "row: %s", m->items[i].value,
					 a->profile->empty_values == PROFILE_EMPTY_OMIT
						 ? "the parameter is left out"
						 : "it is sent as \"key=\"");
				nw++;
			}
		}
	}
	if (url.len > 0 && url.len > REQUEST_URL_MAX * 3 / 4 && warn_y < h) {
		ui_role(w, ROLE_WARNING);
		ui_textf(w, warn_y++, 2, wd - 4, "! the URL is %zu bytes; over "
			 "%d the row is invalid", url.len, REQUEST_URL_MAX);
		nw++;
	}
	if (nw == 0 && warn_y < h) {
		ui_role(w, ROLE_SUCCESS);
		ui_str(w, warn_y, 2, wd - 4, "none");
	}
	ui_role(w, ROLE_NORMAL);
	hc_buf_free(&url);
	hc_buf_free(&shown);
	hc_buf_free(&why);
}

static void enter(struct app *a)
{
	if (a->preview_row >= a->sv.nrows)
		a->preview_row = 0;
}

const struct screen_ops screen_mappings = {
	.name = "Mappings",
	.keys = keys,
	.enter = enter,
	.draw = draw,
	.action = action,
	.input = input,
	.avail = avail,
};
