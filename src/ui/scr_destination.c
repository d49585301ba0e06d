/* Step 1: the destination: URL, method, headers and timeout; sync,
 * signing and TLS settings through dialogs. */
#include "tui.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_URL, F_METHOD, F_HEADERS, F_TIMEOUT, F_COUNT };
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
static void on_sync_key(struct app *a, int ctx, bool ok, const char *text,
			int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
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

static void on_sync_methods(struct app *a, int ctx, bool ok, const char *text,
			    int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
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

static void on_event_param(struct app *a, int ctx, bool ok, const char *text,
			   int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
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
		app_input(a, "Sync key", "The column that identifies a record "
			  "(several, separated by commas, for a composite "
			  "key):", b.data ? b.data : "", 0, on_sync_key);
		break;
	case A_METHODS:
		hc_buf_printf(&b, "%s, %s, %s", profile_event_method(p, 1),
			      profile_event_method(p, 2),
			      profile_event_method(p, 3));
		app_input(a, "Sync methods", "The methods for added, changed and "
			  "removed records (POST, PUT, PATCH or DELETE):",
			  b.data, 0, on_sync_methods);
		break;
	case A_EVENT:
		app_input(a, "Event parameter", "A query key that names the event "
			  "(added, changed, removed); empty for none:",
			  p->event_param ? p->event_param : "", 0,
			  on_event_param);
		break;
	default:
		break;
	}
	hc_buf_free(&b);
}

/* ---- signing and TLS ---- */

static void ask_hmac_header(struct app *a);

/* ctx 1: S is setting up hmac-sha256, whose header comes next. */
static void on_secret(struct app *a, int ctx, bool ok, const char *text,
		      int index)
{
	(void)index;
	if (!ok)
		return;
	if (text[0] == '\0') {
		app_flash(a, ROLE_ERROR, "signing needs a secret: X sets it "
			  "(${VAR} reads the environment)");
		return;
	}
	if (a->profile->sign_secret == NULL ||
	    strcmp(a->profile->sign_secret, text) != 0) {
		free(a->profile->sign_secret);
		a->profile->sign_secret = xstrdup(text);
		app_changed(a);
		app_flash(a, ROLE_SUCCESS, "signing secret set%s",
			  hc_value_literal(text, strlen(text))
				  ? " (a literal: prefer ${VAR}, the profile "
				    "file would hold it)" : "");
	}
	if (ctx == 1 && a->profile->sign_scheme == PROFILE_SIGN_HMAC)
		ask_hmac_header(a);
}

/* hmac-sha256's header, prefix and encoding, asked in turn after S (Esc
 * keeps what is set). Each is kept as NULL/false when it is the
 * default, so that the profile file says only what differs. */
static void set_default_or(char **slot, const char *v, const char *dflt,
			   struct app *a)
{
	const char *cur = *slot ? *slot : dflt;
	if (strcmp(cur, v) == 0)
		return;
	free(*slot);
	*slot = strcmp(v, dflt) == 0 ? NULL : xstrdup(v);
	app_changed(a);
}

static void hmac_flash(struct app *a)
{
	const struct profile *p = a->profile;
	app_flash(a, ROLE_SUCCESS, "signed with hmac-sha256: %s: %s<%s>",
		  profile_sign_header(p), profile_sign_prefix(p),
		  p->sign_base64 ? "base64" : "hex");
}

static void on_hmac_encoding(struct app *a, int ctx, bool ok,
			     const char *text, int index)
{
	(void)ctx;
	(void)text;
	if (!ok || index < 0 || index > 1)
		return;
	if (a->profile->sign_base64 != (index == 1)) {
		a->profile->sign_base64 = index == 1;
		app_changed(a);
	}
	hmac_flash(a);
}

static void on_hmac_prefix(struct app *a, int ctx, bool ok,
			   const char *text, int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
	set_default_or(&a->profile->sign_prefix, text, "sha256=", a);
	char **items = xcalloc(2, sizeof *items);
	items[0] = xstrdup("hex: lower-case hexadecimal (as GitHub sends it)");
	items[1] = xstrdup("base64 (as Shopify sends it)");
	app_pick(a, "Signature encoding", items, 2, 0, on_hmac_encoding);
	a->dlg.lv.sel = a->profile->sign_base64 ? 1 : 0;
}

static void on_hmac_header(struct app *a, int ctx, bool ok,
			   const char *text, int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
	if (text[0] == '\0' || !profile_sign_header_ok(text)) {
		app_flash(a, ROLE_ERROR, "signature header \"%s\": not a header "
			  "name (letters, digits and -, at most 64); S again "
			  "to set it", text);
		return;
	}
	set_default_or(&a->profile->sign_header, text, "X-Hub-Signature-256",
		       a);
	app_input(a, "Signature prefix", "Written before the signature in "
		  "the header (empty: none):", profile_sign_prefix(a->profile),
		  0, on_hmac_prefix);
}

static void ask_hmac_header(struct app *a)
{
	app_input(a, "Signature header", "The header the HMAC-SHA256 of the "
		  "body goes in:", profile_sign_header(a->profile), 0,
		  on_hmac_header);
}

static void ask_secret(struct app *a, int ctx)
{
	const struct profile *p = a->profile;
	app_input(a, "Signing secret", p->sign_scheme == PROFILE_SIGN_STANDARD
		  ? "The endpoint's secret, whsec_ and base64 (Standard "
		    "Webhooks). ${VAR} reads it from the environment, which "
		    "keeps it out of the profile:"
		  : "The shared HMAC key. ${VAR} reads it from the "
		    "environment, which keeps it out of the profile:",
		  p->sign_secret && !profile_sign_secret_literal(p)
			  ? p->sign_secret : "", ctx, on_secret);
	a->dlg.edit.mask = mask_secret;
}

static void on_sign_scheme(struct app *a, int ctx, bool ok, const char *text,
			   int index)
{
	(void)ctx;
	(void)text;
	if (!ok || index < 0 || index > 2)
		return;
	struct profile *p = a->profile;
	enum profile_sign s = (enum profile_sign)index;
	if (s != p->sign_scheme) {
		p->sign_scheme = s;
		if (s == PROFILE_SIGN_NONE) {
			free(p->sign_secret);
			p->sign_secret = NULL;
		}
		if (s != PROFILE_SIGN_HMAC) {
			/* hmac-sha256's own settings: a profile error with
			 * any other scheme */
			free(p->sign_header);
			free(p->sign_prefix);
			p->sign_header = p->sign_prefix = NULL;
			p->sign_base64 = false;
		}
		app_changed(a);
	}
	if (s == PROFILE_SIGN_NONE)
		app_flash(a, ROLE_MUTED, "requests are not signed");
	else if (p->sign_secret == NULL || p->sign_secret[0] == '\0')
		ask_secret(a, 1);
	else if (s == PROFILE_SIGN_HMAC)
		ask_hmac_header(a);
	else
		app_flash(a, ROLE_MUTED, "signed with %s (X changes the secret)",
			  profile_sign_name(s));
}

/* A file typed in a dialog: it must open; kept as an absolute path, so
 * that the profile can be saved anywhere. NULL after a flashed error. */
static char *typed_file(struct app *a, const char *what, const char *text)
{
	FILE *f = fopen(text, "r");
	if (f == NULL) {
		app_flash(a, ROLE_ERROR, "%s %s: %s", what, text,
			  strerror(errno));
		return NULL;
	}
	fclose(f);
	char buf[PATH_MAX];
	return xstrdup(realpath(text, buf) ? buf : text);
}

/* Set *slot to the file typed (empty: none); false after an error. */
static bool set_file(struct app *a, char **slot, const char *what,
		     const char *text)
{
	char *v = NULL;
	if (text[0] && (v = typed_file(a, what, text)) == NULL)
		return false;
	if ((*slot == NULL && v == NULL) ||
	    (*slot && v && strcmp(*slot, v) == 0)) {
		free(v);
		return true;
	}
	free(*slot);
	*slot = v;
	app_changed(a);
	return true;
}

static void on_ca(struct app *a, int ctx, bool ok, const char *text,
		  int index)
{
	(void)ctx;
	(void)index;
	if (ok && set_file(a, &a->profile->ca_file, "CA file", text))
		app_flash(a, ROLE_MUTED, "%s", a->profile->ca_file
			  ? "TLS: the server must be signed by that CA"
			  : "TLS: the system's CAs");
}

/* The client certificate typed, held until its key is given: Esc or an
 * error at the key leaves both as they were. */
static char *pending_cert;

static void on_client_key(struct app *a, int ctx, bool ok, const char *text,
			  int index)
{
	(void)ctx;
	(void)index;
	char *cert = pending_cert;
	pending_cert = NULL;
	char *key = NULL;
	if (!ok)
		app_flash(a, ROLE_MUTED, "client certificate unchanged");
	else if (text[0] == '\0')
		app_flash(a, ROLE_ERROR, "a client certificate needs its key: "
			  "unchanged (C again to set both, or to clear them)");
	else
		key = typed_file(a, "client key", text);
	if (cert == NULL || key == NULL) {
		free(cert);
		free(key);
		return;
	}
	struct profile *p = a->profile;
	if (p->client_cert && strcmp(p->client_cert, cert) == 0 &&
	    p->client_key && strcmp(p->client_key, key) == 0) {
		free(cert);
		free(key);
	} else {
		free(p->client_cert);
		free(p->client_key);
		p->client_cert = cert;
		p->client_key = key;
		app_changed(a);
	}
	app_flash(a, ROLE_MUTED, "TLS: a client certificate for mutual TLS");
}

static void on_client_cert(struct app *a, int ctx, bool ok, const char *text,
			   int index)
{
	(void)ctx;
	(void)index;
	if (!ok)
		return;
	struct profile *p = a->profile;
	if (text[0] == '\0') {
		bool had = p->client_cert || p->client_key;
		free(p->client_cert);
		free(p->client_key);
		p->client_cert = p->client_key = NULL;
		if (had)
			app_changed(a);
		app_flash(a, ROLE_MUTED, "TLS: no client certificate");
		return;
	}
	char *cert = typed_file(a, "client certificate", text);
	if (cert == NULL)
		return;
	free(pending_cert);
	pending_cert = cert;
	app_input(a, "Client key", "The client certificate's private key (a "
		  "PEM file; it can be the certificate's own file when that "
		  "holds both):", p->client_key ? p->client_key : cert, 0,
		  on_client_key);
}

static void tls_action(struct app *a, int act)
{
	struct profile *p = a->profile;
	switch (act) {
	case A_SIGN: {
		char **items = xcalloc(3, sizeof *items);
		items[0] = xstrdup("none: requests are not signed");
		items[1] = xstrdup("standard-webhooks: webhook-id, "
				   "webhook-timestamp, webhook-signature");
		items[2] = xstrdup("hmac-sha256: X-Hub-Signature-256: "
				   "sha256=<hex>");
		app_pick(a, "Signing", items, 3, 0, on_sign_scheme);
		a->dlg.lv.sel = (int)p->sign_scheme;
		break;
	}
	case A_SECRET:
		ask_secret(a, 0);
		break;
	case A_CA:
		app_input(a, "CA file", "A PEM file of the CA(s) to trust "
			  "instead of the system's, for a private CA; empty: "
			  "the system's:", p->ca_file ? p->ca_file : "", 0,
			  on_ca);
		break;
	case A_CLIENT:
		app_input(a, "Client certificate", "A PEM client certificate "
			  "for mutual TLS (its key is asked next); empty: "
			  "none:", p->client_cert ? p->client_cert : "", 0,
			  on_client_cert);
		break;
	case A_HTTP:
		p->http_version = p->http_version == 0	  ? 11
				  : p->http_version == 11 ? 2
							  : 0;
		app_changed(a);
		app_flash(a, ROLE_MUTED, "HTTP version: %s",
			  p->http_version == 11 ? "1.1"
			  : p->http_version == 2
				  ? "2 (over TLS by ALPN; over http:// by "
				    "Upgrade)"
				  : "auto (HTTP/2 where the server offers it "
				    "over TLS)");
		break;
	default:
		break;
	}
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
		tls_action(a, act);
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
static void draw_payload(struct app *a, WINDOW *w, int y, int wd)
{
	const struct profile *p = a->profile;
	struct hc_buf b;
	hc_buf_init(&b);
	if (p->body_format == PROFILE_BODY_NONE)
		hc_buf_adds(&b, "query string only (B on step 3 adds a body)");
	else if (p->batch_size > 1)
		hc_buf_printf(&b, "%s body, batches of %ld",
			      profile_body_name(p->body_format), p->batch_size);
	else
		hc_buf_printf(&b, "%s body", profile_body_name(p->body_format));
	if (p->sign_scheme != PROFILE_SIGN_NONE)
		hc_buf_printf(&b, "; signed: %s",
			      profile_sign_name(p->sign_scheme));
	if (p->sign_scheme == PROFILE_SIGN_HMAC)
		hc_buf_printf(&b, " in %s", profile_sign_header(p));
	if (p->ca_file || p->client_cert)
		hc_buf_printf(&b, "; TLS:%s%s", p->ca_file ? " private CA" : "",
			      p->client_cert ? " client certificate" : "");
	if (p->http_version)
		hc_buf_printf(&b, "; HTTP/%s", p->http_version == 2 ? "2"
								  : "1.1");
	ui_role(w, ROLE_MUTED);
	int x = 2 + ui_str(w, y, 2, wd - 4, "Payload   ");
	ui_role(w, ROLE_NORMAL);
	ui_text(w, y, x, wd - x - 2, b.data, b.len);
	/* the keys that set them, on the line below */
	ui_role(w, ROLE_MUTED);
	ui_str(w, y + 1, 2, wd - 4, p->sign_scheme == PROFILE_SIGN_NONE
	       ? "          S signing   A CA file   C client certificate   "
		 "V HTTP version"
	       : "          S signing   X secret   A CA file   C client "
		 "certificate   V HTTP version");
	ui_role(w, ROLE_NORMAL);
	hc_buf_free(&b);
}

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
	draw_payload(a, w, y + 2, wd);
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
