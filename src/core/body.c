#include "hookcast/body.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hookcast/request.h"

struct bfield {
	char *where;  /* "FILE:LINE: [body] field2", for messages */
	char *path;   /* as written, for row messages */
	enum body_type type;
	bool constant;
	char *column; /* a field's segment column */
	long index;   /* its index once bound */
	char *text;   /* a constant: its value as sent (JSON or form-encoded) */
	size_t text_len;
	char *key_eq; /* form: the encoded key and '=' */
	size_t key_eq_len;
};

struct bnode {
	char *key_json; /* the encoded key and ':' */
	size_t key_json_len;
	long leaf;      /* the field it holds, or -1 for an object */
	struct bnode **kids;
	size_t nkids;
};

struct body_plan {
	enum profile_body format;
	bool omit_empty;
	struct bfield *f;
	size_t nf;
	struct bnode root;
	char *open, *close; /* a batch's ends */
	size_t fixed;       /* the most a body has besides its fields' values:
			     * keys, constants, braces, separators */
	bool bound;
};

const char *body_type_name(enum body_type t)
{
	static const char *const names[] = { "string", "number", "boolean",
					     "json" };
	return names[t];
}

const char *body_content_type(enum profile_body f)
{
	switch (f) {
	case PROFILE_BODY_JSON: return "application/json";
	case PROFILE_BODY_FORM: return "application/x-www-form-urlencoded";
	case PROFILE_BODY_NDJSON: return "application/x-ndjson";
	case PROFILE_BODY_NONE: break;
	}
	return NULL;
}

enum profile_body body_plan_format(const struct body_plan *b)
{
	return b ? b->format : PROFILE_BODY_NONE;
}

/* ---- Values ------------------------------------------------------------ */

bool body_json_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return false;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		return false;
	}
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	return i == n;
}

/* The offset of the first byte that is not valid UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included), or n. */
static size_t utf8_bad_at(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = hc_utf8_len(s + i, n - i);
		if (k == 0)
			return i;
		i += k;
	}
	return n;
}

static void add_json_string_jansson(struct hc_buf *out, const char *s,
				    size_t n)
{
	json_t *j = json_stringn_nocheck(s, n);
	if (j == NULL) { /* only out of memory */
		fprintf(stderr, "hookcast: out of memory\n");
		abort();
	}
	/* At most six bytes per input byte (\u00XX), and the quotes. */
	hc_buf_reserve(out, 6 * n + 3);
	size_t w = json_dumpb(j, out->data + out->len, 6 * n + 2,
			      JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(j);
	out->len += w;
	out->data[out->len] = '\0';
}

static bool json_plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* Append s as a JSON string (s is valid UTF-8): jansson encodes it. A
 * string it would leave as it is (no byte to escape) is copied between
 * quotes directly, which gives the same bytes without an allocation; a
 * unit test holds the two to each other. */
static void add_json_string(struct hc_buf *out, const char *s, size_t n)
{
	if (json_plain(s, n)) {
		hc_buf_reserve(out, n + 2);
		char *o = out->data + out->len;
		*o++ = '"';
		memcpy(o, s, n);
		o[n] = '"';
		out->len += n + 2;
		out->data[out->len] = '\0';
		return;
	}
	add_json_string_jansson(out, s, n);
}

static bool parse_bool(const char *s, size_t n, bool *v)
{
	static const char *const t[] = { "true", "1", "yes" };
	static const char *const f[] = { "false", "0", "no" };
	for (int i = 0; i < 3; i++) {
		if (strlen(t[i]) == n && strncasecmp(s, t[i], n) == 0) {
			*v = true;
			return true;
		}
		if (strlen(f[i]) == n && strncasecmp(s, f[i], n) == 0) {
			*v = false;
			return true;
		}
	}
	return false;
}

/* Append the JSON text s without the whitespace between its tokens (s is
 * valid JSON, so strings are well formed). */
static void add_json_squeezed(struct hc_buf *out, const char *s, size_t n)
{
	hc_buf_reserve(out, n);
	char *o = out->data + out->len;
	bool in_str = false, esc = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		} else if (c == '"') {
			in_str = true;
		}
		*o++ = c;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
}

/* Why a value does not fit its type, for a row's reason or a profile
 * error; NULL when it fits. The caller frees. */
static char *value_error(enum body_type type, const char *v, size_t n)
{
	struct hc_buf b;
	hc_buf_init(&b);
	size_t bad = utf8_bad_at((const unsigned char *)v, n);
	if (bad < n) {
		hc_buf_printf(&b, "is not valid UTF-8 (byte 0x%02X at "
			      "offset %zu)", (unsigned char)v[bad], bad);
		return hc_buf_steal(&b);
	}
	bool flag;
	switch (type) {
	case BODY_STRING:
		break;
	case BODY_NUMBER:
		if (!body_json_number(v, n)) {
			hc_buf_add_quoted(&b, v, n < 40 ? n : 40);
			hc_buf_adds(&b, " is not a JSON number");
		}
		break;
	case BODY_BOOLEAN:
		if (!parse_bool(v, n, &flag)) {
			hc_buf_add_quoted(&b, v, n < 40 ? n : 40);
			hc_buf_adds(&b, " is not a boolean (true, false, 1, "
				    "0, yes or no)");
		}
		break;
	case BODY_JSON: {
		/* Only checked: the value is sent as written, so an integer
		 * past 64 bits may be read as a double. (jansson still refuses
		 * a number past a double's range, such as 1e400.) */
		json_error_t e;
		json_t *j = json_loadb(v, n,
				       JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
				       &e);
		if (j == NULL)
			hc_buf_printf(&b, "is not valid JSON (column %d: %s)",
				      e.column, e.text);
		json_decref(j);
		break;
	}
	}
	return b.len ? hc_buf_steal(&b) : (hc_buf_free(&b), NULL);
}

/* Append a value that value_error() passed. */
static void add_value(const struct body_plan *b, enum body_type type,
		      const char *v, size_t n, struct hc_buf *out)
{
	if (b->format == PROFILE_BODY_FORM) {
		request_escape(out, v, n);
		return;
	}
	if (n == 0) {
		hc_buf_adds(out, type == BODY_STRING ? "\"\"" : "null");
		return;
	}
	bool flag = false;
	switch (type) {
	case BODY_STRING: add_json_string(out, v, n); break;
	case BODY_NUMBER: hc_buf_add(out, v, n); break;
	case BODY_BOOLEAN:
		parse_bool(v, n, &flag);
		hc_buf_adds(out, flag ? "true" : "false");
		break;
	case BODY_JSON: add_json_squeezed(out, v, n); break;
	}
}

/* ---- Compiling --------------------------------------------------------- */

int body_spec_parse(const char *spec, enum profile_body f, char **path,
		    enum body_type *type, char **err)
{
	*path = NULL;
	*type = BODY_STRING;
	const char *colon = strchr(spec, ':');
	size_t plen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (colon) {
		static const enum body_type types[] = {
			BODY_STRING, BODY_NUMBER, BODY_BOOLEAN, BODY_JSON
		};
		bool found = false;
		for (size_t i = 0; i < 4 && !found; i++)
			if (strcmp(colon + 1, body_type_name(types[i])) == 0) {
				*type = types[i];
				found = true;
			}
		if (!found) {
			struct hc_buf b;
			hc_buf_init(&b);
			hc_buf_add_quoted(&b, colon + 1, strlen(colon + 1));
			*err = xasprintf("the type %s is not string, number, "
					 "boolean or json", b.data);
			hc_buf_free(&b);
			return -1;
		}
		if (f == PROFILE_BODY_FORM) {
			*err = xstrdup("a form field has no type: every "
				       "value is text (use format = json for "
				       "types)");
			return -1;
		}
	}
	if (plen == 0) {
		*err = xstrdup("the body path before '=' is empty");
		return -1;
	}
	if (f != PROFILE_BODY_FORM) {
		for (size_t i = 0; i < plen; i++)
			if (spec[i] == '.' &&
			    (i == 0 || i + 1 == plen || spec[i + 1] == '.')) {
				*err = xstrdup("a dotted path needs a name on "
					       "each side of every '.', as in "
					       "user.id");
				return -1;
			}
	}
	*path = xstrndup(spec, plen);
	return 0;
}

static void node_free(struct bnode *n)
{
	for (size_t i = 0; i < n->nkids; i++) {
		node_free(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	free(n->key_json);
}

static struct bnode *node_child(struct bnode *n, const char *key, size_t klen)
{
	struct hc_buf k;
	hc_buf_init(&k);
	add_json_string(&k, key, klen);
	hc_buf_addc(&k, ':');
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->key_json_len == k.len &&
		    memcmp(n->kids[i]->key_json, k.data, k.len) == 0) {
			hc_buf_free(&k);
			return n->kids[i];
		}
	struct bnode *c = xcalloc(1, sizeof *c);
	c->key_json_len = k.len;
	c->key_json = hc_buf_steal(&k);
	c->leaf = -2; /* new */
	n->kids = xreallocarray(n->kids, n->nkids + 1, sizeof *n->kids);
	n->kids[n->nkids++] = c;
	return c;
}

/* Put field i at its path in the tree; -1 with *err on a clash. */
static int tree_add(struct body_plan *b, size_t i, char **err)
{
	const char *path = b->f[i].path;
	struct bnode *n = &b->root;
	const char *seg = path;
	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
		if (utf8_bad_at((const unsigned char *)seg, len) < len) {
			*err = xstrdup("the path is not valid UTF-8");
			return -1;
		}
		struct bnode *c = node_child(n, seg, len);
		if (c->leaf >= 0) {
			*err = xasprintf("\"%s\" is already set by %s", path,
					 strrchr(b->f[c->leaf].where, ' ') + 1);
			if (dot) {
				free(*err);
				*err = xasprintf("\"%s\" puts a key inside "
						 "\"%.*s\", which %s sets to a "
						 "value", path,
						 (int)(dot - path), path,
						 strrchr(b->f[c->leaf].where,
							 ' ') + 1);
			}
			return -1;
		}
		if (dot == NULL) {
			if (c->leaf == -1) {
				*err = xasprintf("\"%s\" is an object that "
						 "other fields put keys in",
						 path);
				return -1;
			}
			c->leaf = (long)i;
			return 0;
		}
		c->leaf = -1;
		n = c;
		seg = dot + 1;
	}
}

/* The fields then the constants, each compiled; -1 after reporting. */
static int compile_fields(struct body_plan *b, const struct profile *p,
			  struct hc_msgs *msgs)
{
	int rc = 0;
	const struct profile_list *lists[2] = { &p->body_fields,
						&p->body_consts };
	size_t total = p->body_fields.n + p->body_consts.n;
	b->f = xcalloc(total ? total : 1, sizeof *b->f);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++) {
			const struct profile_entry *e = &lists[k]->items[i];
			struct bfield *f = &b->f[b->nf];
			f->where = profile_where(p, "body", e->name);
			f->constant = k == 1;
			f->index = -1;
			char *err = NULL;
			if (e->key[0] == '\0' ||
			    body_spec_parse(e->key, b->format, &f->path,
					    &f->type, &err) < 0) {
				if (err)
					hc_msgs_add(msgs, HC_ERROR, "%s: %s",
						    f->where, err);
				free(err);
				free(f->where);
				free(f->path);
				memset(f, 0, sizeof *f);
				rc = -1;
				continue;
			}
			b->nf++;
			if (f->constant) {
				size_t n = strlen(e->value);
				char *why = strstr(e->value, "${")
					? xstrdup("a constant is sent as "
						  "written: ${NAME} is not "
						  "expanded in the body (put "
						  "a secret in a header)")
					: n == 0 && f->type != BODY_STRING
					? xasprintf("a %s constant needs a "
						    "value",
						    body_type_name(f->type))
					: value_error(f->type, e->value, n);
				if (why) {
					hc_msgs_add(msgs, HC_ERROR, "%s: %s%s",
						    f->where,
						    strncmp(why, "is ", 3) == 0
							    ? "the value " : "",
						    why);
					free(why);
					rc = -1;
					continue;
				}
				struct hc_buf t;
				hc_buf_init(&t);
				add_value(b, f->type, e->value, n, &t);
				f->text_len = t.len;
				f->text = hc_buf_steal(&t);
			} else {
				if (e->value[0] == '\0') {
					hc_msgs_add(msgs, HC_ERROR, "%s: the "
						    "segment column after "
						    "'=' is empty", f->where);
					rc = -1;
				}
				f->column = xstrdup(e->value);
			}
			if (b->format == PROFILE_BODY_FORM) {
				struct hc_buf kq;
				hc_buf_init(&kq);
				request_escape(&kq, f->path, strlen(f->path));
				hc_buf_addc(&kq, '=');
				f->key_eq_len = kq.len;
				f->key_eq = hc_buf_steal(&kq);
			} else if (tree_add(b, b->nf - 1, &err) < 0) {
				hc_msgs_add(msgs, HC_ERROR, "%s: %s", f->where,
					    err);
				free(err);
				rc = -1;
			}
		}
	return rc;
}

/* The bytes of a body that do not come from the row's values, at most:
 * every key, constant and separator, and each object's braces. */
static size_t fixed_bytes(const struct body_plan *b, const struct bnode *node)
{
	if (b->format == PROFILE_BODY_FORM) {
		size_t n = 0;
		for (size_t i = 0; i < b->nf; i++)
			n += b->f[i].key_eq_len + 1 + b->f[i].text_len;
		return n;
	}
	size_t n = 2; /* {} */
	for (size_t i = 0; i < node->nkids; i++) {
		const struct bnode *c = node->kids[i];
		n += c->key_json_len + 1;
		if (c->leaf < 0)
			n += fixed_bytes(b, c);
		else if (b->f[c->leaf].constant)
			n += b->f[c->leaf].text_len;
	}
	return n;
}

size_t body_size_bound(const struct body_plan *b, const struct segment_row *row)
{
	if (b == NULL || b->format == PROFILE_BODY_NONE)
		return 0;
	size_t n = b->fixed;
	for (size_t i = 0; i < b->nf; i++) {
		const struct bfield *f = &b->f[i];
		if (f->constant || (size_t)f->index >= row->nfields)
			continue;
		/* \u00XX for each byte of a string, its quotes; "null" or
		 * "false" for a short one */
		n += 6 * row->lens[f->index] + 5;
	}
	return n;
}

struct body_plan *body_plan_new(const struct profile *p, struct hc_msgs *msgs)
{
	struct body_plan *b = xcalloc(1, sizeof *b);
	b->format = p->body_format;
	b->omit_empty = p->empty_values == PROFILE_EMPTY_OMIT;
	b->root.leaf = -1;
	if (b->format == PROFILE_BODY_NONE) {
		/* no body: nothing around a batch either (a profile that
		 * asks for batches without a body is refused, but the
		 * wizard plans one while it is being edited) */
		b->open = xstrdup("");
		b->close = xstrdup("");
		return b;
	}
	if (compile_fields(b, p, msgs) < 0) {
		body_plan_free(b);
		return NULL;
	}
	b->fixed = fixed_bytes(b, &b->root) + 2;
	if (b->format == PROFILE_BODY_JSON && p->batch_wrap) {
		struct hc_buf o;
		hc_buf_init(&o);
		hc_buf_addc(&o, '{');
		add_json_string(&o, p->batch_wrap, strlen(p->batch_wrap));
		hc_buf_adds(&o, ":[");
		b->open = hc_buf_steal(&o);
		b->close = xstrdup("]}");
	} else if (b->format == PROFILE_BODY_JSON) {
		b->open = xstrdup("[");
		b->close = xstrdup("]");
	} else {
		b->open = xstrdup("");
		b->close = xstrdup("");
	}
	return b;
}

void body_plan_free(struct body_plan *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nf; i++) {
		free(b->f[i].where);
		free(b->f[i].path);
		free(b->f[i].column);
		free(b->f[i].text);
		free(b->f[i].key_eq);
	}
	free(b->f);
	node_free(&b->root);
	free(b->open);
	free(b->close);
	free(b);
}

size_t body_validate(const struct profile *p, struct hc_msgs *msgs)
{
	size_t before = msgs->nerrors;
	body_plan_free(body_plan_new(p, msgs));
	return msgs->nerrors - before;
}

int body_plan_bind(struct body_plan *b, const struct segment *seg,
		   struct hc_msgs *msgs)
{
	int rc = 0;
	for (size_t i = 0; i < b->nf; i++) {
		struct bfield *f = &b->f[i];
		if (f->constant)
			continue;
		f->index = segment_column_index(seg, f->column);
		if (f->index < 0) {
			struct hc_buf m;
			hc_buf_init(&m);
			hc_buf_printf(&m, "%s: column ", f->where);
			hc_buf_add_quoted(&m, f->column, strlen(f->column));
			hc_buf_printf(&m, " is not in %s", segment_name(seg));
			hc_msgs_add(msgs, HC_ERROR, "%s", m.data);
			hc_buf_free(&m);
			rc = -1;
		}
	}
	b->bound = rc == 0;
	return rc;
}

/* ---- Building ---------------------------------------------------------- */

static int field_value(const struct bfield *f, const struct segment_row *row,
		       const char **v, size_t *n, struct hc_buf *why)
{
	size_t col = (size_t)f->index;
	if (col >= row->nfields) {
		hc_buf_printf(why, "has no column %zu", col + 1);
		return -1;
	}
	*v = row->fields[col];
	*n = row->lens[col];
	return 0;
}

/* Is field i left out of this row? */
static bool omitted(const struct body_plan *b, const struct bfield *f,
		    const struct segment_row *row)
{
	return !f->constant && b->omit_empty &&
	       (size_t)f->index < row->nfields && row->lens[f->index] == 0;
}

int body_check(const struct body_plan *b, const struct segment_row *row,
	       struct hc_buf *why)
{
	if (b == NULL || b->format == PROFILE_BODY_NONE)
		return 0;
	if (!b->bound) {
		hc_buf_adds(why, "the body fields are not bound to a segment");
		return -1;
	}
	for (size_t i = 0; i < b->nf; i++) {
		const struct bfield *f = &b->f[i];
		const char *v;
		size_t n;
		if (f->constant)
			continue;
		if (field_value(f, row, &v, &n, why) < 0)
			return -1;
		if (n == 0)
			continue;
		/* A form sends any bytes, percent-encoded. */
		if (b->format == PROFILE_BODY_FORM)
			continue;
		char *e = value_error(f->type, v, n);
		if (e) {
			hc_buf_printf(why, "body field \"%s\" (column \"%s\"): "
				      "the value %s", f->path, f->column, e);
			free(e);
			return -1;
		}
	}
	return 0;
}

static void emit_object(const struct body_plan *b, const struct bnode *node,
			const struct segment_row *row, struct hc_buf *out)
{
	hc_buf_addc(out, '{');
	bool first = true;
	for (size_t i = 0; i < node->nkids; i++) {
		const struct bnode *c = node->kids[i];
		const struct bfield *f = c->leaf >= 0 ? &b->f[c->leaf] : NULL;
		if (f && omitted(b, f, row))
			continue;
		if (!first)
			hc_buf_addc(out, ',');
		first = false;
		hc_buf_add(out, c->key_json, c->key_json_len);
		if (f == NULL)
			emit_object(b, c, row, out);
		else if (f->constant)
			hc_buf_add(out, f->text, f->text_len);
		else
			add_value(b, f->type, row->fields[f->index],
				  row->lens[f->index], out);
	}
	hc_buf_addc(out, '}');
}

int body_build(const struct body_plan *b, const struct segment_row *row,
	       struct hc_buf *out, struct hc_buf *why)
{
	if (body_check(b, row, why) < 0)
		return -1;
	if (b == NULL || b->format == PROFILE_BODY_NONE)
		return 0;
	if (b->format != PROFILE_BODY_FORM) {
		emit_object(b, &b->root, row, out);
		if (b->format == PROFILE_BODY_NDJSON)
			hc_buf_addc(out, '\n');
		return 0;
	}
	bool first = true;
	for (size_t i = 0; i < b->nf; i++) {
		const struct bfield *f = &b->f[i];
		if (omitted(b, f, row))
			continue;
		if (!first)
			hc_buf_addc(out, '&');
		first = false;
		hc_buf_add(out, f->key_eq, f->key_eq_len);
		if (f->constant)
			hc_buf_add(out, f->text, f->text_len);
		else
			request_escape(out, row->fields[f->index],
				       row->lens[f->index]);
	}
	return 0;
}

void body_batch_open(const struct body_plan *b, struct hc_buf *out)
{
	hc_buf_adds(out, b->open);
}

void body_batch_sep(const struct body_plan *b, struct hc_buf *out)
{
	if (b->format == PROFILE_BODY_JSON)
		hc_buf_addc(out, ',');
}

void body_batch_close(const struct body_plan *b, struct hc_buf *out)
{
	hc_buf_adds(out, b->close);
}

size_t body_batch_overhead(const struct body_plan *b)
{
	return strlen(b->open) + strlen(b->close);
}
