/* Step 1's payload settings: signing (the scheme, the secret, and
 * hmac-sha256's header, prefix and encoding), TLS (a CA file, a client
 * certificate with its key), the HTTP version; and the Payload line that
 * shows them. Each key opens a dialog, or a chain of them, whose
 * callbacks change the profile only with what they accept. */
#include "tui.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void on_hmac_prefix(struct app *a, const char *text)
{
	set_default_or(&a->profile->sign_prefix, text, "sha256=", a);
	char **items = xcalloc(2, sizeof *items);
	items[0] = xstrdup("hex: lower-case hexadecimal (as GitHub sends it)");
	items[1] = xstrdup("base64 (as Shopify sends it)");
	app_pick(a, "Signature encoding", items, 2, 0, on_hmac_encoding);
	a->dlg.lv.sel = a->profile->sign_base64 ? 1 : 0;
}

static void on_hmac_header(struct app *a, const char *text)
{
	if (text[0] == '\0' || !profile_sign_header_ok(text)) {
		app_flash(a, ROLE_ERROR, "signature header \"%s\": not a header "
			  "name (letters, digits and -, at most 64); S again "
			  "to set it", text);
		return;
	}
	set_default_or(&a->profile->sign_header, text, "X-Hub-Signature-256",
		       a);
	app_ask(a, "Signature prefix", "Written before the signature in "
		"the header (empty: none):", profile_sign_prefix(a->profile),
		on_hmac_prefix);
}

static void ask_hmac_header(struct app *a)
{
	app_ask(a, "Signature header", "The header the HMAC-SHA256 of the "
		"body goes in:", profile_sign_header(a->profile),
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

static void on_client_cert(struct app *a, const char *text)
{
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

void payload_action(struct app *a, enum payload_key act)
{
	struct profile *p = a->profile;
	switch (act) {
	case PAYLOAD_SIGN: {
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
	case PAYLOAD_SECRET:
		ask_secret(a, 0);
		break;
	case PAYLOAD_CA:
		app_input(a, "CA file", "A PEM file of the CA(s) to trust "
			  "instead of the system's, for a private CA; empty: "
			  "the system's:", p->ca_file ? p->ca_file : "", 0,
			  on_ca);
		break;
	case PAYLOAD_CLIENT:
		app_ask(a, "Client certificate", "A PEM client certificate "
			"for mutual TLS (its key is asked next); empty: "
			"none:", p->client_cert ? p->client_cert : "",
			on_client_cert);
		break;
	case PAYLOAD_HTTP:
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
	}
}

/* The Payload line: body, batches, signing, TLS, HTTP version; and the
 * keys that set them on the line below. */
void payload_draw(struct app *a, WINDOW *w, int y, int wd)
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
