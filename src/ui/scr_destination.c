/* Step 1: the destination: URL, method, headers and timeout; sync
 * settings through dialogs. Signing, TLS and the HTTP version are in
 * dest_payload.c. */
#include "tui.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_URL, F_METHOD, F_HEADERS, F_TIMEOUT, F_COUNT };
/* A_SIGN..A_HTTP in the order of enum payload_key (dest_payload.c) */
enum { A_NEXT = 1, A_PREV, A_EDIT, A_ADD, A_DEL, A_STEP, A_SYNC, A_KEY,
       A_METHODS, A_EVENT, A_SIGN, A_SECRET, A_CA, A_CLIENT, A_HTTP };

static const struct keybind keys[] = {
	{ '\t', 0, "Tab", "field", "next field (Shift-Tab: previous)", A_NEXT, 1 },
	{ KEY_BTAB, 0, NULL, NULL, NULL, A_PREV, 9 },
	{ '\r', KEY_ENTER, "Enter", "edit", "type in the URL or the timeout "
	  "(Enter or Tab accepts, Esc cancels); edit the selected header",
	  A_EDIT, 2 },
	{ 'e', 'i', "e/i", NULL, "the same as Enter: start typing", A_EDIT, 9 },
	{ 'a', 0, "a", "add header", "add a header (Name: value; ${VAR} "
	  "reads the environment)", A_ADD, 3 },
	{ 'd', 0, "d", "delete", "delete the selected header (u undoes it)",
	  A_DEL, 5 },
	{ 'n', 0, "n", "next step", "go on to the segment", A_STEP, 0 },
	{ 's', 0, "s", "sync", "sync mode: all (every row each run), changes "
	  "(only what was added or changed), mirror (and removals)", A_SYNC, 6 },
	{ 'K', 0, "K", NULL, "sync: the key column(s) that identify a record",
	  A_KEY, 9 },
	{ 'm', 0, "m", NULL, "sync: the methods for added, changed and removed "
	  "records", A_METHODS, 9 },
	{ 'v', 0, "v", NULL, "sync: a query parameter that names the event "
	  "(empty: none)", A_EVENT, 9 },
	{ 'S', 0, "S", NULL, "signing: none, standard-webhooks (webhook-id, "
	  "webhook-timestamp, webhook-signature) or hmac-sha256 "
	  "(X-Hub-Signature-256)", A_SIGN, 9 },
	{ 'X', 0, "X", NULL, "signing: the secret (${VAR} reads the "
	  "environment; a literal secret is never shown)", A_SECRET, 9 },
	{ 'A', 0, "A", NULL, "TLS: a CA file to trust instead of the "
	  "system's (a private CA); empty: the system's", A_CA, 9 },
	{ 'C', 0, "C", NULL, "TLS: a client certificate and its key, for "
	  "mutual TLS; empty: none", A_CLIENT, 9 },
	{ 'V', 0, "V", NULL, "HTTP version: auto, 1.1 or 2", A_HTTP, 9 },
	{ 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct {
	const char *name, *what;
} methods[] = {
	{ "POST", "(recommended) sends data to create or trigger an action" },
	{ "PUT", "replaces an existing resource with new data" },
	{ "PATCH", "partially updates an existing resource" },
	{ "DELETE", "removes an existing resource from the target system" },
	{ "GET", "(also accepted) reads; most webhooks do not expect it" },
};
#define NMETHODS 5

static void apply_url(struct app *a, const char *text)
{
	if (a->profile->url && strcmp(a->profile->url, text) == 0)
		return;
	free(a->profile->url);
	a->profile->url = xstrdup(text);
	app_changed(a);
}

static void apply_timeout(struct app *a, const char *text)
{
	double t;
	if (hc_parse_double(text, 0.1, 3600, &t) == 0 &&
	    t != a->profile->timeout) {
		a->profile->timeout = t;
		app_changed(a);
	}
}

static const char *check_timeout(struct app *a, const char *text)
{
	(void)a;
	double t;
	return hc_parse_double(text, 0.1, 3600, &t) == 0
		       ? NULL : "the timeout is a number of seconds, 0.1..3600";
}

static const struct field_ops url_field = {
	.what = "the webhook URL", .apply = apply_url,
};
static const struct field_ops timeout_field = {
	.what = "the timeout", .apply = apply_timeout, .check = check_timeout,
};

/* "contacts.id" or "contacts.id, contacts.region" */
static void on_sync_key(struct app *a, const char *text)
{
	struct profile_list *l = &a->profile->sync_keys;
	profile_list_clear(l);
	char *copy = xstrdup(text);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		size_t n = strlen(t);
		while (n > 0 && t[n - 1] == ' ')
			t[--n] = '\0';
		if (*t)
			profile_list_add(l, "key", 0, "", t);
	}
	free(copy);
	if (l->n > 1)
		profile_list_renumber(l, "key");
	app_changed(a);
}

static void on_sync_methods(struct app *a, const char *text)
{
	char *copy = xstrdup(text);
	char *save = NULL, *m[3] = { NULL, NULL, NULL };
	int n = 0;
	for (char *t = strtok_r(copy, ",/ ", &save); t && n < 3;
	     t = strtok_r(NULL, ",/ ", &save)) {
		for (char *c = t; *c; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		m[n++] = t;
	}
	char **dst[3] = { &a->profile->added_method, &a->profile->changed_method,
			  &a->profile->removed_method };
	for (int i = 0; i < 3; i++) {
		free(*dst[i]);
		*dst[i] = i < n ? xstrdup(m[i]) : NULL;
	}
	free(copy);
	app_changed(a);
}

static void on_event_param(struct app *a, const char *text)
{
	free(a->profile->event_param);
	a->profile->event_param = text[0] ? xstrdup(text) : NULL;
	app_changed(a);
}

static void sync_action(struct app *a, int act)
{
	struct profile *p = a->profile;
	struct hc_buf b;
	hc_buf_init(&b);
	switch (act) {
	case A_SYNC:
		p->sync_mode = (enum profile_sync)((p->sync_mode + 1) % 3);
		app_changed(a);
		app_flash(a, ROLE_MUTED, "sync mode %s%s",
			  profile_sync_name(p->sync_mode),
			  p->sync_mode != PROFILE_SYNC_ALL && p->sync_keys.n == 0
				  ? ": k sets the key column" : "");
		break;
	case A_KEY:
		for (size_t i = 0; i < p->sync_keys.n; i++)
			hc_buf_printf(&b, "%s%s", i ? ", " : "",
				      p->sync_keys.items[i].value);
		app_ask(a, "Sync key", "The column that identifies a record "
			"(several, separated by commas, for a composite "
			"key):", b.data ? b.data : "", on_sync_key);
		break;
	case A_METHODS:
		hc_buf_printf(&b, "%s, %s, %s", profile_event_method(p, 1),
			      profile_event_method(p, 2),
			      profile_event_method(p, 3));
		app_ask(a, "Sync methods", "The methods for added, changed and "
			"removed records (POST, PUT, PATCH or DELETE):",
			b.data, on_sync_methods);
		break;
	case A_EVENT:
		app_ask(a, "Event parameter", "A query key that names the event "
			"(added, changed, removed); empty for none:",
			p->event_param ? p->event_param : "", on_event_param);
		break;
	default:
		break;
	}
	hc_buf_free(&b);
}

void destination_type_url(struct app *a)
{
	if (a->profile->url && a->profile->url[0])
		return;
	a->dest_focus = F_URL;
	field_begin(a, &a->url_edit, &url_field);
}

static void enter(struct app *a)
{
	a->headers_lv.n = (int)a->profile->headers.n;
	a->dest_focus = a->profile->url && a->profile->url[0] ? F_METHOD : F_URL;
}

static int method_index(const char *m)
{
	for (int i = 0; i < NMETHODS; i++)
		if (strcmp(methods[i].name, m) == 0)
			return i;
	return 0;
}

static void on_header(struct app *a, int ctx, bool ok, const char *text,
		      int index)
{
	(void)index;
	if (!ok || !text[0])
		return;
	struct profile_list *l = &a->profile->headers;
	if (ctx < 0) {
		profile_list_add(l, "header", 0, text, NULL);
		a->headers_lv.sel = (int)l->n - 1;
	} else if ((size_t)ctx < l->n) {
		free(l->items[ctx].key);
		l->items[ctx].key = xstrdup(text);
	}
	profile_list_renumber(l, "header");
	a->headers_lv.n = (int)l->n;
	app_changed(a);
}

static void edit_header(struct app *a, int idx)
{
	const struct profile_list *l = &a->profile->headers;
	const char *cur = idx >= 0 ? l->items[idx].key : "";
	app_input(a, idx < 0 ? "Add header" : "Edit header",
		  "Name: value   (${VAR} reads the environment; the value is "
		  "never shown again)", cur, idx, on_header);
	/* A literal secret stays hidden while it is edited or typed. */
	a->dlg.edit.mask = mask_header;
}

static int action(struct app *a, int act)
{
	struct profile_list *l = &a->profile->headers;
	switch (act) {
	case A_NEXT:
		a->dest_focus = (a->dest_focus + 1) % F_COUNT;
		return H_REDRAW;
	case A_PREV:
		a->dest_focus = (a->dest_focus + F_COUNT - 1) % F_COUNT;
		return H_REDRAW;
	case A_STEP:
		app_go(a, SCR_SEGMENT);
		return H_REDRAW;
	case A_EDIT:
		if (a->dest_focus == F_URL)
			field_begin(a, &a->url_edit, &url_field);
		else if (a->dest_focus == F_TIMEOUT)
			field_begin(a, &a->timeout_edit, &timeout_field);
		else if (a->dest_focus == F_HEADERS && l->n > 0)
			edit_header(a, a->headers_lv.sel);
		else if (a->dest_focus == F_METHOD)
			a->dest_focus = F_HEADERS;
		return H_REDRAW;
	case A_ADD:
		a->dest_focus = F_HEADERS;
		edit_header(a, -1);
		return H_REDRAW;
	case A_SYNC:
	case A_KEY:
	case A_METHODS:
	case A_EVENT:
		sync_action(a, act);
		return H_REDRAW;
	case A_SIGN:
	case A_SECRET:
	case A_CA:
	case A_CLIENT:
	case A_HTTP:
		payload_action(a, (enum payload_key)(act - A_SIGN));
		return H_REDRAW;
	case A_DEL: {
		char what[96];
		const char *h = l->items[a->headers_lv.sel].key;
		const char *colon = strchr(h, ':');
		snprintf(what, sizeof what, "header %.*s",
			 (int)(colon ? colon - h : (long)strlen(h)), h);
		app_delete_entry(a, l, (size_t)a->headers_lv.sel, "header", what);
		a->headers_lv.n = (int)l->n;
		return H_REDRAW;
	}
	default:
		return H_NONE;
	}
}

static bool avail(const struct app *a, int act)
{
	if (act == A_DEL)
		return a->dest_focus == F_HEADERS && a->profile->headers.n > 0;
	if (act == A_EDIT)
		return a->dest_focus != F_HEADERS || a->profile->headers.n > 0;
	if (act == A_KEY || act == A_METHODS || act == A_EVENT)
		return a->profile->sync_mode != PROFILE_SYNC_ALL;
	if (act == A_SECRET)
		return a->profile->sign_scheme != PROFILE_SIGN_NONE;
	return true;
}

/* Moving keys: the method list changes the method, the header list
 * moves; text fields take no key until Enter starts typing. */
static int input(struct app *a, int key)
{
	if (a->dest_focus == F_METHOD) {
		int i = method_index(a->profile->method);
		if (key == KEY_UP || key == 'k')
			i = i > 0 ? i - 1 : 0;
		else if (key == KEY_DOWN || key == 'j')
			i = i < NMETHODS - 1 ? i + 1 : i;
		else if (key == KEY_HOME || key == 'g')
			i = 0;
		else if (key == KEY_END || key == 'G')
			i = NMETHODS - 1;
		else
			return H_NONE;
		if (strcmp(a->profile->method, methods[i].name) != 0) {
			free(a->profile->method);
			a->profile->method = xstrdup(methods[i].name);
			app_changed(a);
		}
		return H_REDRAW;
	}
	if (a->dest_focus == F_HEADERS)
		return lv_key(&a->headers_lv, key, 5) ? H_REDRAW : H_NONE;
	return H_NONE;
}

static enum le_look look(const struct app *a, const struct lineedit *le,
			 int f)
{
	return a->edit.le == le ? LE_TYPING
	       : a->dest_focus == f ? LE_FOCUSED : LE_PLAIN;
}

/* The sync settings, on one line. */
static void draw_sync(struct app *a, WINDOW *w, int y, int wd)
{
	const struct profile *p = a->profile;
	ui_role(w, ROLE_NORMAL);
	int x = 2 + ui_textf(w, y, 2, wd - 4, "Sync (s)  %s",
			     profile_sync_name(p->sync_mode));
	if (p->sync_mode == PROFILE_SYNC_ALL) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, y, x, wd - x - 2, "   every row, each run");
		ui_role(w, ROLE_NORMAL);
		return;
	}
	struct hc_buf b;
	hc_buf_init(&b);
	for (size_t i = 0; i < p->sync_keys.n; i++)
		hc_buf_printf(&b, "%s%s", i ? "+" : "", p->sync_keys.items[i].value);
	ui_role(w, p->sync_keys.n ? ROLE_NORMAL : ROLE_ERROR);
	x += ui_textf(w, y, x, wd - x - 2, "   key (K) %s",
		      p->sync_keys.n ? b.data : "none: required");
	ui_role(w, ROLE_NORMAL);
	x += ui_textf(w, y, x, wd - x - 2, "   methods (m) %s %s",
		      profile_event_method(p, 1), profile_event_method(p, 2));
	if (p->sync_mode == PROFILE_SYNC_MIRROR) {
		ui_role(w, ROLE_DANGER);
		x += ui_textf(w, y, x, wd - x - 2, " %s",
			      profile_event_method(p, 3));
		ui_role(w, ROLE_NORMAL);
	}
	ui_textf(w, y, x, wd - x - 2, "   event (v) %s",
		 p->event_param ? p->event_param : "-");
	hc_buf_free(&b);
}

/* The base URL's own query, decoded, as a table. */
/* What the profile says of bodies, signing and TLS, on one line, and the
 * keys that set them on the next ([body] is on step 3). */
static int draw_query(WINDOW *w, int y, int wd, const char *url)
{
	const char *q = url ? strchr(url, '?') : NULL;
	ui_role(w, ROLE_TITLE);
	ui_str(w, y, 2, wd - 4, "Static parameters in the base URL");
	ui_role(w, ROLE_NORMAL);
	if (q == NULL || q[1] == '\0') {
		ui_role(w, ROLE_MUTED);
		ui_str(w, y + 1, 4, wd - 6, "(none)");
		ui_role(w, ROLE_NORMAL);
		return 2;
	}
	int rows = 1;
	char *copy = xstrdup(q + 1);
	char *save = NULL;
	for (char *p = strtok_r(copy, "&", &save); p && rows < 5;
	     p = strtok_r(NULL, "&", &save), rows++) {
		char *eq = strchr(p, '=');
		if (eq)
			*eq = '\0';
		char *k = curl_easy_unescape(NULL, p, 0, NULL);
		char *v = eq ? curl_easy_unescape(NULL, eq + 1, 0, NULL) : NULL;
		ui_textf(w, y + rows, 4, wd - 6, "%-20s = %s", k ? k : "",
			 v ? v : "");
		curl_free(k);
		curl_free(v);
	}
	free(copy);
	return rows;
}

static void draw(struct app *a, WINDOW *w, int h, int wd)
{
	app_plan(a);
	int y = 0;
	bool typing_url = a->edit.le == &a->url_edit;
	ui_box(w, y, 0, 3, wd, typing_url ? "Webhook URL: typing (Enter "
	       "accepts, Esc cancels)" : a->dest_focus == F_URL ? "Webhook "
	       "URL (Enter types)" : "Webhook URL", a->dest_focus == F_URL);
	/* A literal user:password or secret parameter stays hidden, also
	 * while it is edited. */
	a->url_edit.mask = mask_url;
	le_draw(w, y + 1, 2, wd - 4, &a->url_edit,
		look(a, &a->url_edit, F_URL));
	y += 3;
	/* live validation: the errors about the destination */
	bool any = false;
	for (size_t i = 0; i < a->plan_msgs.n && y < 6; i++) {
		const char *t = a->plan_msgs.items[i].text;
		if (strstr(t, "[destination]") == NULL &&
		    strstr(t, "[signing]") == NULL)
			continue;
		ui_role(w, ROLE_ERROR);
		const char *what = strstr(t, "] ");
		ui_textf(w, y++, 2, wd - 4, "x %s", what ? what + 2 : t);
		any = true;
	}
	if (!any && a->profile->url && a->profile->url[0]) {
		ui_role(w, ROLE_SUCCESS);
		ui_str(w, y++, 2, wd - 4, "ok: a valid http(s) URL");
	} else if (!any) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, y++, 2, wd - 4, typing_url ? "type the webhook's "
		       "base URL, e.g. https://example.com/webhook?foo=bar"
		       : "Enter: type the webhook's base URL");
	}
	ui_role(w, ROLE_NORMAL);
	char *shown = hc_url_shown(a->profile->url);
	y += draw_query(w, y, wd, shown) + 1;
	free(shown);

	int mh = NMETHODS + 2;
	ui_box(w, y, 0, mh, wd, "HTTP method", a->dest_focus == F_METHOD);
	int cur = method_index(a->profile->method);
	for (int i = 0; i < NMETHODS; i++) {
		bool sel = i == cur;
		bool danger = strcmp(methods[i].name, "DELETE") == 0;
		ui_role(w, sel && a->dest_focus == F_METHOD ? ROLE_SELECTION
			   : danger			   ? ROLE_DANGER
							   : ROLE_NORMAL);
		ui_textf(w, y + 1 + i, 2, wd - 4, "(%c) %-7s", sel ? '*' : ' ',
			 methods[i].name);
		ui_role(w, danger ? ROLE_DANGER : ROLE_MUTED);
		ui_text(w, y + 1 + i, 16, wd - 18, methods[i].what,
			strlen(methods[i].what));
	}
	ui_role(w, ROLE_NORMAL);
	y += mh;

	int hh = h - y - 4;
	if (hh < 3)
		hh = 3;
	const struct profile_list *l = &a->profile->headers;
	a->headers_lv.n = (int)l->n;
	lv_clamp(&a->headers_lv, hh - 2);
	ui_box(w, y, 0, hh, wd, "Headers", a->dest_focus == F_HEADERS);
	if (l->n == 0) {
		ui_role(w, ROLE_MUTED);
		ui_str(w, y + 1, 2, wd - 4, "(none: a adds one)");
	}
	for (int i = 0; i < hh - 2 && a->headers_lv.top + i < (int)l->n; i++) {
		int k = a->headers_lv.top + i;
		const char *hdr = l->items[k].key;
		bool sel = k == a->headers_lv.sel && a->dest_focus == F_HEADERS;
		ui_role(w, sel ? ROLE_SELECTION : ROLE_NORMAL);
		if (profile_header_literal_secret(hdr)) {
			const char *colon = strchr(hdr, ':');
			ui_textf(w, y + 1 + i, 2, wd - 4, "%.*s: *** (a literal "
				 "secret: prefer ${VAR})", (int)(colon - hdr), hdr);
		} else {
			ui_text(w, y + 1 + i, 2, wd - 4, hdr, strlen(hdr));
		}
	}
	ui_role(w, ROLE_NORMAL);
	y += hh;
	ui_role(w, a->dest_focus == F_TIMEOUT ? ROLE_BORDER_FOCUS : ROLE_NORMAL);
	ui_str(w, y, 2, 20, a->dest_focus == F_TIMEOUT ? "> Timeout (s)"
						       : "Timeout (seconds)");
	ui_role(w, ROLE_NORMAL);
	le_draw(w, y, 21, 12, &a->timeout_edit,
		look(a, &a->timeout_edit, F_TIMEOUT));
	double t;
	if (hc_parse_double(a->timeout_edit.text.data ? a->timeout_edit.text.data : "",
			    0.1, 3600, &t) < 0) {
		ui_role(w, ROLE_ERROR);
		ui_str(w, y, 35, wd - 37, "x a number of seconds, 0.1..3600");
		ui_role(w, ROLE_NORMAL);
	}
	draw_sync(a, w, y + 1, wd);
	payload_draw(a, w, y + 2, wd);
}

const struct screen_ops screen_destination = {
	.name = "Destination",
	.keys = keys,
	.enter = enter,
	.draw = draw,
	.action = action,
	.input = input,
	.avail = avail,
};
