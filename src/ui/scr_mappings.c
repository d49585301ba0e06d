/* Step 3: mappings (segment column -> query key, the custom attribute
 * name, or body field), static parameters and body constants, and a live
 * preview of the exact URL and body for a real row.
 *
 * The mappings list shows the query mappings ([mappings] mapN) and then
 * the body fields ([body] fieldN): index i of the list is mapping i, or
 * body field i - (number of mappings). The list beside it shows the
 * static parameters ([static] paramN) and then the body constants
 * ([body] constN), the same way. The dialogs of body constants and
 * batches are in map_body.c. */
#include "tui.h"

#include "hookcast/body.h"

#include <stdlib.h>
#include <string.h>

enum { F_MAPS, F_STATICS, F_COUNT };
enum { A_NEXT = 1, A_PREV, A_ADD, A_RENAME, A_DEL, A_UP, A_DOWN, A_STATIC,
       A_ROWPREV, A_ROWNEXT, A_STEP, A_EDIT, A_TARGET, A_FORMAT, A_BATCH,
       A_CONST };

static const struct keybind keys[] = {
	{ 'a', 0, "a", "add mapping", "add a mapping: pick a segment column, "
	  "then (with a body format) whether it goes in the query or the "
	  "body, then name its query key (custom attribute name) or body "
	  "path", A_ADD, 1 },
	{ 't', 0, "t", "query/body", "move the selected mapping between the "
	  "query string and the body", A_TARGET, 5 },
	{ 'B', 0, "B", "body format", "change the body format: none (the "
	  "data in the query string), json, form, ndjson", A_FORMAT, 5 },
	{ 'b', 0, "b", NULL, "rows per request: 1, or a batch of up to "
	  "10000 rows in one json array or ndjson body; then, for batches, "
	  "the json array's wrap ({\"KEY\": [...]}) and the most bytes a "
	  "body holds", A_BATCH, 9 },
	{ 'r', 0, "r", "rename", "rename the selected query key or body path "
	  "(PATH[:TYPE], TYPE string, number, boolean or json), or edit the "
	  "static parameter or body constant", A_RENAME, 4 },
	{ 'd', 0, "d", "delete", "delete the selected mapping, static "
	  "parameter or body constant (u undoes it)", A_DEL, 4 },
	{ 'K', 0, "K/J", "move", "move the selected mapping up or down",
	  A_UP, 6 },
	{ 'J', 0, NULL, NULL, NULL, A_DOWN, 9 },
	{ 's', 0, "s", "static", "add a static parameter (key=value, "
	  "${VAR} allowed)", A_STATIC, 3 },
	{ 'c', 0, "c", "constant", "add a body constant, the same in every "
	  "body (PATH[:TYPE]=VALUE, as written: no ${VAR})", A_CONST, 8 },
	{ '[', 0, "[ ]", "row", "preview the previous or next row", A_ROWPREV, 2 },
	{ ']', 0, NULL, NULL, NULL, A_ROWNEXT, 9 },
	{ '\t', 0, "Tab", NULL, "switch between mappings and static "
	  "parameters and body constants", A_NEXT, 7 },
	{ KEY_BTAB, 0, NULL, NULL, NULL, A_PREV, 9 },
	{ '\r', KEY_ENTER, "Enter", NULL, "rename the selected query key (or "
	  "edit the static parameter or body constant)", A_EDIT, 9 },
	{ 'n', 0, "n", "next step", "go on to activate", A_STEP, 0 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};

/* Entry i of two lists shown as one (first's entries, then second's):
 * the list it is in, and its index there. */
static struct profile_list *one_of(struct profile_list *first,
				   struct profile_list *second, int i,
				   size_t *k)
{
	if ((size_t)i < first->n) {
		*k = (size_t)i;
		return first;
	}
	*k = (size_t)i - first->n;
	return second;
}

/* The left-hand list: query mappings, then body fields. */
static struct profile_list *entry_list(struct app *a, int i, size_t *k)
{
	return one_of(&a->profile->mappings, &a->profile->body_fields, i, k);
}

static int nall(const struct app *a)
{
	return (int)(a->profile->mappings.n + a->profile->body_fields.n);
}

/* The right-hand list: static parameters, then body constants. */
static struct profile_list *stat_list(struct app *a, int i, size_t *k)
{
	return one_of(&a->profile->statics, &a->profile->body_consts, i, k);
}

static int nstat(const struct app *a)
{
	return (int)(a->profile->statics.n + a->profile->body_consts.n);
}

/* A body path with its type: one the profile can hold, or a flash. */
static bool body_spec_ok(struct app *a, const char *text)
{
	char *path = NULL, *err = NULL;
	enum body_type t;
	enum profile_body f = a->profile->body_format == PROFILE_BODY_NONE
				      ? PROFILE_BODY_JSON
				      : a->profile->body_format;
	if (body_spec_parse(text, f, &path, &t, &err) < 0 ||
	    strchr(path, '=') != NULL) {
		app_flash(a, ROLE_ERROR, "%s", err ? err : "a body path cannot "
			  "hold '='");
		free(err);
		free(path);
		return false;
	}
	free(path);
	return true;
}

/* A body field needs a body format: json unless one was chosen. */
static void need_body(struct app *a)
{
	if (a->profile->body_format != PROFILE_BODY_NONE)
		return;
	a->profile->body_format = PROFILE_BODY_JSON;
	app_flash(a, ROLE_MUTED, "the body is now JSON (B changes the format)");
}

static void on_key_name(struct app *a, int ctx, bool ok, const char *text,
			int index)
{
	(void)index;
	if (ctx < 0 || ctx >= nall(a))
		return;
	size_t k;
	struct profile_list *l = entry_list(a, ctx, &k);
	bool body = l == &a->profile->body_fields;
	const char *prefix = body ? "field" : "map";
	if (ok && text[0] && body && !body_spec_ok(a, text))
		ok = false;
	if (!ok || !text[0]) {
		/* cancelling a new mapping removes it, and leaves the
		 * profile as it was (the body format too) */
		if (l->items[k].key[0] == '\0') {
			profile_list_remove(l, k, prefix);
			a->maps_lv.n = nall(a);
			a->profile->body_format = a->map_format_before;
			app_changed(a);
			a->dirty = a->map_dirty_before;
		}
		return;
	}
	free(l->items[k].key);
	l->items[k].key = xstrdup(text);
	app_changed(a);
}

static void name_prompt(struct app *a, int i)
{
	size_t k;
	struct profile_list *l = entry_list(a, i, &k);
	char prompt[256];
	if (l == &a->profile->mappings) {
		snprintf(prompt, sizeof prompt, "Query key (custom attribute "
			 "name) for segment column %s:", l->items[k].value);
		app_input(a, "Segment column -> query key", prompt,
			  l->items[k].key, i, on_key_name);
	} else {
		snprintf(prompt, sizeof prompt, "Body path for segment column "
			 "%s (user.id nests; :number, :boolean or :json types "
			 "it):", l->items[k].value);
		app_input(a, "Segment column -> body field", prompt,
			  l->items[k].key, i, on_key_name);
	}
}

static void on_target(struct app *a, int ctx, bool ok, const char *text,
		      int index)
{
	(void)ctx;
	(void)text;
	char *col = a->map_column;
	a->map_column = NULL;
	if (!ok || col == NULL) {
		free(col);
		return;
	}
	/* "contacts.email" suggests "email" */
	const char *dot = strrchr(col, '.');
	const char *suggest = dot && dot[1] ? dot + 1 : col;
	bool body = index == 1;
	struct profile_list *l = body ? &a->profile->body_fields
				      : &a->profile->mappings;
	a->map_dirty_before = a->dirty;
	a->map_format_before = a->profile->body_format;
	if (body)
		need_body(a);
	profile_list_add(l, body ? "field" : "map", 0, "", col);
	profile_list_renumber(l, body ? "field" : "map");
	a->maps_lv.n = nall(a);
	a->maps_lv.sel = body ? nall(a) - 1 : (int)l->n - 1;
	name_prompt(a, a->maps_lv.sel);
	/* the name starts as the suggestion, ready to accept */
	le_set(&a->dlg.edit, suggest);
	free(col);
	app_changed(a);
}

static void on_column(struct app *a, int ctx, bool ok, const char *text,
		      int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
	free(a->map_column);
	a->map_column = xstrdup(text);
	/* Without a body, a column goes in the query, as the destination
	 * sends it (t moves it, B picks a body format); with one, ask. */
	if (a->profile->body_format == PROFILE_BODY_NONE) {
		on_target(a, -1, true, text, 0);
		return;
	}
	char **items = xcalloc(2, sizeof *items);
	items[0] = xstrdup("a query parameter (in the URL)");
	items[1] = xasprintf("a body field (%s)",
			     profile_body_name(a->profile->body_format));
	app_pick(a, "Send it as", items, 2, 0, on_target);
	a->dlg.lv.sel = 1;
}

/* Move entry i between the query and the body. */
static void toggle_target(struct app *a, int i)
{
	size_t k;
	struct profile_list *from = entry_list(a, i, &k);
	bool to_body = from == &a->profile->mappings;
	struct profile_list *to = to_body ? &a->profile->body_fields
					  : &a->profile->mappings;
	char *key = xstrdup(from->items[k].key);
	if (!to_body) /* a query key has no type */
		key[strcspn(key, ":")] = '\0';
	else
		need_body(a);
	profile_list_add(to, to_body ? "field" : "map", 0, key,
			 from->items[k].value);
	free(key);
	profile_list_remove(from, k, to_body ? "map" : "field");
	profile_list_renumber(to, to_body ? "field" : "map");
	a->maps_lv.n = nall(a);
	a->maps_lv.sel = to_body ? nall(a) - 1 : (int)to->n - 1;
	app_changed(a);
}

static void on_static(struct app *a, int ctx, bool ok, const char *text,
		      int index)
{
	(void)index;
	const char *eq = app_typed_pair(a, ok, text,
					"a static parameter is key=value");
	if (eq == NULL)
		return;
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
	struct profile_list *s = &a->profile->statics;
	bool on_maps = a->map_focus == F_MAPS;
	struct listview *lv = on_maps ? &a->maps_lv : &a->statics_lv;
	size_t k = 0;
	struct profile_list *l = on_maps ? (nall(a) ? entry_list(a, lv->sel, &k)
						    : &a->profile->mappings)
					 : (nstat(a) ? stat_list(a, lv->sel, &k)
						     : s);
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
	case A_CONST:
		a->map_focus = F_STATICS;
		mappings_const_prompt(a, -1, "");
		return H_REDRAW;
	case A_TARGET:
		if (!on_maps || nall(a) == 0)
			return H_NONE;
		toggle_target(a, lv->sel);
		return H_REDRAW;
	case A_BATCH:
		mappings_ask_batch(a);
		return H_REDRAW;
	case A_FORMAT: {
		struct profile *p = a->profile;
		p->body_format = (enum profile_body)((p->body_format + 1) % 4);
		app_changed(a);
		const char *news = p->body_format == PROFILE_BODY_NONE
					   ? " (the data goes in the query string)"
					   : "";
		char *wrap = NULL;
		if (p->body_format != PROFILE_BODY_JSON && p->batch_wrap) {
			/* only a JSON batch has a wrap: keep it aside */
			free(a->wrap_aside);
			a->wrap_aside = p->batch_wrap;
			p->batch_wrap = NULL;
			wrap = xasprintf("; the batch wrap \"%s\" is put aside "
					 "until json", a->wrap_aside);
		} else if (p->body_format == PROFILE_BODY_JSON &&
			   a->wrap_aside) {
			if (p->batch_wrap == NULL) {
				p->batch_wrap = a->wrap_aside;
				wrap = xasprintf("; the batch wrap \"%s\" is "
						 "back", p->batch_wrap);
			} else {
				free(a->wrap_aside);
			}
			a->wrap_aside = NULL;
		}
		app_flash(a, ROLE_MUTED, "body format: %s%s%s",
			  profile_body_name(p->body_format), news,
			  wrap ? wrap : "");
		free(wrap);
		return H_REDRAW;
	}
	case A_RENAME:
	case A_EDIT:
		if (l->n == 0)
			return H_NONE;
		if (on_maps) {
			name_prompt(a, lv->sel);
		} else {
			char *cur = xasprintf("%s=%s", l->items[k].key,
					      l->items[k].value);
			if (l == s) {
				app_input(a, "Static parameter", "key=value",
					  cur, (int)k, on_static);
				a->dlg.edit.mask = mask_static;
			} else {
				mappings_const_prompt(a, (int)k, cur);
			}
			free(cur);
		}
		return H_REDRAW;
	case A_DEL: {
		if (l->n == 0)
			return H_NONE;
		char what[160];
		const struct profile_entry *e = &l->items[k];
		bool body = l == &a->profile->body_fields;
		if (on_maps)
			snprintf(what, sizeof what, "%s %s -> %s",
				 body ? "body field" : "mapping", e->value,
				 e->key);
		else
			snprintf(what, sizeof what, "%s %s", l == s ?
				 "static parameter" : "body constant", e->key);
		app_delete_entry(a, l, k, l == s ? "param"
				 : l == &a->profile->body_consts ? "const"
				 : body ? "field" : "map", what);
		lv->n = on_maps ? nall(a) : nstat(a);
		return H_REDRAW;
	}
	case A_UP:
	case A_DOWN: {
		/* within its own list: the query's order, or the body's */
		if (!on_maps || l->n < 2)
			return H_NONE;
		int j = act == A_UP ? (int)k - 1 : (int)k + 1;
		if (j < 0 || j >= (int)l->n)
			return H_REDRAW;
		struct profile_entry t = l->items[k];
		l->items[k] = l->items[j];
		l->items[j] = t;
		profile_list_renumber(l, l == &a->profile->mappings ? "map"
								    : "field");
		lv->sel += j - (int)k;
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
	a->maps_lv.n = nall(a);
	a->statics_lv.n = nstat(a);
	return lv_key(lv, key, 5) ? H_REDRAW : H_NONE;
}

static bool avail(const struct app *a, int act)
{
	size_t n = (size_t)(a->map_focus == F_MAPS ? nall(a) : nstat(a));
	switch (act) {
	case A_RENAME:
	case A_EDIT:
	case A_DEL:
		return n > 0;
	case A_TARGET:
		return a->map_focus == F_MAPS && n > 0;
	case A_UP:
	case A_DOWN:
		return a->map_focus == F_MAPS &&
		       (a->profile->mappings.n > 1 ||
			a->profile->body_fields.n > 1);
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

/* The body pane: its format and size, then its exact bytes, wrapped
 * (control bytes escaped), cut with ... when it does not fit. */
static int draw_body(struct app *a, WINDOW *w, int y, int maxy, int wd,
		     const struct hc_buf *body)
{
	ui_role(w, ROLE_TITLE);
	ui_textf(w, y++, 2, wd - 4, "Body (%s, %zu bytes%s):",
		 body_content_type(a->profile->body_format), body->len,
		 a->profile->batch_size > 1 ? "; sent in batches, b sets "
		 "their size" : "; b: batches");
	ui_role(w, ROLE_SUCCESS);
	/* the bytes as they are, but a control byte as \n or \xNN, so that
	 * data cannot move the cursor */
	struct hc_buf q;
	hc_buf_init(&q);
	for (size_t i = 0; i < body->len; i++) {
		unsigned char c = (unsigned char)body->data[i];
		if (c == '\n')
			hc_buf_adds(&q, "\\n");
		else if (c < 0x20 || c == 0x7f)
			hc_buf_printf(&q, "\\x%02X", c);
		else
			hc_buf_addc(&q, (char)c);
	}
	const char *t = q.data ? q.data : "";
	size_t n = q.len;
	int cols = wd - 4 > 8 ? wd - 4 : 8;
	for (size_t at = 0; at < n && y < maxy; at += (size_t)cols) {
		size_t k = n - at < (size_t)cols ? n - at : (size_t)cols;
		if (y == maxy - 1 && at + k < n) {
			ui_textf(w, y++, 2, cols, "%.*s...", (int)(k - 3),
				 t + at);
			break;
		}
		ui_text(w, y++, 2, cols, t + at, k);
	}
	hc_buf_free(&q);
	ui_role(w, ROLE_NORMAL);
	return y;
}

static void draw(struct app *a, WINDOW *w, int h, int wd)
{
	app_plan(a);
	const struct profile_list *m = &a->profile->mappings;
	const struct profile_list *s = &a->profile->statics;
	a->maps_lv.n = nall(a);
	a->statics_lv.n = nstat(a);
	int bh = h / 3 + 1;
	int lw = wd * 3 / 5;
	char title[96];
	if (a->profile->body_format == PROFILE_BODY_NONE)
		snprintf(title, sizeof title, "Segment column -> query key "
			 "(custom attribute name)");
	else
		snprintf(title, sizeof title, "Segment column -> query key or "
			 "body field (%s)",
			 profile_body_name(a->profile->body_format));
	ui_box(w, 0, 0, bh, lw, title, a->map_focus == F_MAPS);
	lv_clamp(&a->maps_lv, bh - 2);
	if (nall(a) == 0) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, 1, 2, lw - 4, "(none: a adds one)");
	}
	for (int i = 0; i < bh - 2 && a->maps_lv.top + i < nall(a); i++) {
		int k = a->maps_lv.top + i;
		size_t j;
		struct profile_list *l = entry_list(a, k, &j);
		bool body = l != m;
		bool sel = k == a->maps_lv.sel && a->map_focus == F_MAPS;
		bool missing = a->sv.header &&
			       segment_column_index(a->sv.header, l->items[j].value) < 0;
		ui_role(w, sel ? ROLE_SELECTION : missing ? ROLE_ERROR : ROLE_NORMAL);
		/* the target shows once there is a body to tell apart */
		bool targets = a->profile->body_format != PROFILE_BODY_NONE ||
			       a->profile->body_fields.n > 0;
		ui_textf(w, 1 + i, 2, lw - 4, "%2d. %-24s -> %s%s%s", k + 1,
			 l->items[j].value,
			 !targets ? "" : body ? "body  " : "query ",
			 l->items[j].key, missing ? "  (no such column)" : "");
	}
	bool consts = a->profile->body_consts.n > 0 ||
		      a->profile->body_format != PROFILE_BODY_NONE;
	ui_box(w, 0, lw, bh, wd - lw, consts ? "Static parameters, constants"
					     : "Static parameters",
	       a->map_focus == F_STATICS);
	lv_clamp(&a->statics_lv, bh - 2);
	if (nstat(a) == 0) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, 1, lw + 2, wd - lw - 4,
		       "(none: s adds one, c a body constant)");
	}
	for (int i = 0; i < bh - 2 && a->statics_lv.top + i < nstat(a); i++) {
		int k = a->statics_lv.top + i;
		size_t j;
		const struct profile_list *l = stat_list(a, k, &j);
		bool sel = k == a->statics_lv.sel && a->map_focus == F_STATICS;
		ui_role(w, sel ? ROLE_SELECTION : ROLE_NORMAL);
		/* query or body, once there is a body to tell apart */
		ui_textf(w, 1 + i, lw + 2, wd - lw - 4, "%s%s = %s",
			 !consts ? "" : l == s ? "query " : "body  ",
			 l->items[j].key,
			 l == s && profile_static_literal_secret(&l->items[j])
				 ? "*** (a literal secret: prefer ${VAR})"
				 : l->items[j].value);
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
	struct hc_buf url, shown, why, body;
	hc_buf_init(&url);
	hc_buf_init(&shown);
	hc_buf_init(&why);
	hc_buf_init(&body);
	int warn_y = y + 1;
	if (have_row && a->plan) {
		if (request_build_body(a->plan, &row, &url, &shown, &body,
				       &why) == 0) {
			warn_y = draw_url(w, y, h - 4, wd, a->profile->method,
					  shown.data,
					  request_shown_prefix_len(a->plan)) + 1;
			if (a->profile->body_format != PROFILE_BODY_NONE)
				warn_y = draw_body(a, w, warn_y - 1, h - 3, wd,
						   &body) + 1;
		} else {
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
	hc_buf_free(&body);
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
