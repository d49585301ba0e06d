/* Step 3's body settings beside the mappings: body constants (checked by
 * the body's own rules before they are kept) and batches (rows per
 * request, then a JSON batch's wrap and the body limit). Each is a dialog,
 * or a chain of them, whose callbacks change the profile only with what
 * they accept. */
#include "tui.h"

#include "hookcast/body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the body's own rules (the ones a run checks) say of constant e of
 * the profile: the type, ${NAME}, a path that clashes. NULL: nothing. */
static char *const_error(const struct profile *p,
			 const struct profile_entry *e)
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	body_validate(p, &m);
	char *where = profile_where(p, "body", e->name);
	char *err = NULL;
	size_t wl = strlen(where);
	for (size_t i = 0; i < m.n && err == NULL; i++) {
		const char *t = m.items[i].text;
		const char *at = strstr(t, where);
		if (m.items[i].severity != HC_ERROR || at == NULL ||
		    (at[wl] >= '0' && at[wl] <= '9')) /* const1 in const12 */
			continue;
		/* "WHERE: what" as what; a message that names it along with
		 * another entry, whole */
		err = xasprintf("body constant %s: %s", e->key,
				at == t && strncmp(t + wl, ": ", 2) == 0
					? t + wl + 2 : t);
	}
	free(where);
	hc_msgs_free(&m);
	return err;
}

/* "PATH[:TYPE]=VALUE": a body constant (ctx: the one edited, or -1 for
 * a new one). Kept only when the body's rules take it. */
static void on_const(struct app *a, int ctx, bool ok, const char *text,
		     int index)
{
	(void)index;
	const char *eq = app_typed_pair(a, ok, text, "a body constant is "
					"PATH[:TYPE]=VALUE");
	if (eq == NULL)
		return;
	struct profile *p = a->profile;
	struct profile_list *l = &p->body_consts;
	enum profile_body format = p->body_format;
	if (format == PROFILE_BODY_NONE)
		p->body_format = PROFILE_BODY_JSON;
	char *key = xstrndup(text, (size_t)(eq - text));
	char *old_key = NULL, *old_value = NULL;
	size_t k;
	if (ctx >= 0 && (size_t)ctx < l->n) {
		k = (size_t)ctx;
		old_key = l->items[k].key;
		old_value = l->items[k].value;
		l->items[k].key = key;
		l->items[k].value = xstrdup(eq + 1);
	} else {
		profile_list_add(l, "const", 0, key, eq + 1);
		free(key);
		profile_list_renumber(l, "const");
		k = l->n - 1;
	}
	char *err = const_error(p, &l->items[k]);
	if (err != NULL) {
		app_flash(a, ROLE_ERROR, "%s", err);
		free(err);
		if (old_key != NULL) {
			free(l->items[k].key);
			free(l->items[k].value);
			l->items[k].key = old_key;
			l->items[k].value = old_value;
		} else {
			profile_list_remove(l, k, "const");
		}
		p->body_format = format;
		return;
	}
	free(old_key);
	free(old_value);
	if (format == PROFILE_BODY_NONE)
		app_flash(a, ROLE_MUTED, "the body is now JSON (B changes the "
			  "format)");
	/* the right-hand list on step 3: statics, then constants */
	a->statics_lv.n = (int)(p->statics.n + l->n);
	a->statics_lv.sel = (int)(p->statics.n + k);
	app_changed(a);
}

void mappings_const_prompt(struct app *a, int ctx, const char *cur)
{
	app_input(a, "Body constant", "PATH[:TYPE]=VALUE, the same in every "
		  "body (TYPE string, number, boolean or json), sent as "
		  "written: no ${VAR} (a secret goes in a header):", cur, ctx,
		  on_const);
}

static void batch_flash(struct app *a)
{
	const struct profile *p = a->profile;
	if (p->batch_size <= 1) {
		app_flash(a, ROLE_MUTED, "one row per request");
		return;
	}
	if (p->body_format == PROFILE_BODY_NONE) {
		app_flash(a, ROLE_ERROR, "batches of %ld rows need a body: B "
			  "picks json or ndjson", p->batch_size);
		return;
	}
	app_flash(a, ROLE_MUTED, "batches of %ld rows: one request each, the "
		  "rows in one body of at most %ld bytes%s%s%s", p->batch_size,
		  p->batch_bytes, p->batch_wrap ? ", as {\"" : "",
		  p->batch_wrap ? p->batch_wrap : "",
		  p->batch_wrap ? "\": [...]}" : "");
}

/* "1048576": the most bytes a batch's body may hold. */
static void on_batch_bytes(struct app *a, const char *text)
{
	long n;
	if (hc_parse_long(text, PROFILE_BATCH_BYTES_MIN,
			  PROFILE_BATCH_BYTES_MAX, &n) < 0) {
		app_flash(a, ROLE_ERROR, "a batch body limit: a whole number of "
			  "bytes, %ld..%ld (b again to set it)",
			  (long)PROFILE_BATCH_BYTES_MIN,
			  (long)PROFILE_BATCH_BYTES_MAX);
		return;
	}
	if (n != a->profile->batch_bytes) {
		a->profile->batch_bytes = n;
		app_changed(a);
	}
	batch_flash(a);
}

static void ask_batch_bytes(struct app *a)
{
	char cur[24];
	snprintf(cur, sizeof cur, "%ld", a->profile->batch_bytes);
	app_ask(a, "Batch body limit", "A batch is closed before its body "
		"would pass this many bytes (a row bigger than it is "
		"invalid):", cur, on_batch_bytes);
}

/* "records": a JSON batch as {"records": [...]}; empty: the bare array. */
static void on_batch_wrap(struct app *a, const char *text)
{
	struct profile *p = a->profile;
	if (strcmp(p->batch_wrap ? p->batch_wrap : "", text) != 0) {
		free(p->batch_wrap);
		p->batch_wrap = text[0] ? xstrdup(text) : NULL;
		app_changed(a);
	}
	ask_batch_bytes(a);
}

/* "100": rows per request; with batches, the JSON wrap and the body
 * limit are asked next (Esc keeps what is set). */
static void on_batch(struct app *a, const char *text)
{
	long n;
	if (hc_parse_long(text, 1, PROFILE_BATCH_MAX, &n) < 0) {
		app_flash(a, ROLE_ERROR, "rows per request: a whole number, "
			  "1..%d (1: one row each)", PROFILE_BATCH_MAX);
		return;
	}
	struct profile *p = a->profile;
	if (n != p->batch_size) {
		p->batch_size = n;
		app_changed(a);
	}
	batch_flash(a);
	if (n > 1 && p->body_format == PROFILE_BODY_JSON)
		app_ask(a, "Batch wrap", "The rows' JSON array as it is "
			"(empty), or inside an object under this key, "
			"{\"KEY\": [...]}, for receivers that want one:",
			p->batch_wrap ? p->batch_wrap : "", on_batch_wrap);
	else if (n > 1 && p->body_format != PROFILE_BODY_NONE)
		ask_batch_bytes(a);
}

void mappings_ask_batch(struct app *a)
{
	char cur[24];
	snprintf(cur, sizeof cur, "%ld", a->profile->batch_size);
	app_ask(a, "Rows per request", "1 sends one row per request; N (up "
		"to 10000) sends batches of N rows, one JSON array or N "
		"ndjson lines a request, with one URL (so no query "
		"mappings):", cur, on_batch);
}
