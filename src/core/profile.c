#include "hookcast/profile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <iniparser.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hookcast/ini.h"
#include "hookcast/body.h"
#include "hookcast/segment.h"
#include "hookcast/sign.h"

#define PROFILE_FILE_MAX ((size_t)1024 * 1024)

/* The schema: every section and key hookcast reads. Numbered keys (header1,
 * param2, map3) are listed by their prefix with numbered = true. */
static const struct {
	const char *section;
	const char *key;
	bool numbered;
} schema[] = {
	{ "destination", "url", false },
	{ "destination", "method", false },
	{ "destination", "header", true },
	{ "segment", "file", false },
	{ "segment", "delimiter", false },
	{ "segment", "field_max", false },
	{ "static", "param", true },
	{ "mappings", "map", true },
	{ "delivery", "concurrency", false },
	{ "delivery", "threads", false },
	{ "delivery", "rate", false },
	{ "delivery", "max_attempts", false },
	{ "delivery", "timeout", false },
	{ "delivery", "idempotency_header", false },
	{ "delivery", "empty_values", false },
	{ "delivery", "breaker_consecutive", false },
	{ "delivery", "breaker_initial", false },
	{ "ui", "theme", false },
	{ "sync", "mode", false },
	{ "sync", "key", false },
	{ "sync", "key", true },
	{ "sync", "added_method", false },
	{ "sync", "changed_method", false },
	{ "sync", "removed_method", false },
	{ "sync", "event_param", false },
	{ "destination", "ca_file", false },
	{ "destination", "client_cert", false },
	{ "destination", "client_key", false },
	{ "destination", "http_version", false },
	{ "body", "format", false },
	{ "body", "field", true },
	{ "body", "const", true },
	{ "body", "batch_size", false },
	{ "body", "batch_bytes", false },
	{ "body", "batch_wrap", false },
	{ "signing", "scheme", false },
	{ "signing", "secret", false },
	{ "signing", "header", false },
	{ "signing", "prefix", false },
	{ "signing", "encoding", false },
};
#define SCHEMA_N (sizeof schema / sizeof schema[0])

void profile_list_add(struct profile_list *l, const char *name, unsigned line,
		      const char *key, const char *value)
{
	l->items = xreallocarray(l->items, l->n + 1, sizeof *l->items);
	struct profile_entry *e = &l->items[l->n++];
	e->name = xstrdup(name);
	e->line = line;
	e->key = key ? xstrdup(key) : NULL;
	e->value = value ? xstrdup(value) : NULL;
}

void profile_list_clear(struct profile_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void profile_list_renumber(struct profile_list *l, const char *prefix)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		l->items[i].name = xasprintf("%s%zu", prefix, i + 1);
		l->items[i].line = 0;
	}
}

void profile_list_remove(struct profile_list *l, size_t i, const char *prefix)
{
	if (i >= l->n)
		return;
	free(l->items[i].name);
	free(l->items[i].key);
	free(l->items[i].value);
	memmove(&l->items[i], &l->items[i + 1], (l->n - i - 1) * sizeof *l->items);
	l->n--;
	profile_list_renumber(l, prefix);
}

struct profile *profile_new(void)
{
	struct profile *p = xcalloc(1, sizeof *p);
	p->method = xstrdup("POST");
	p->field_max = SEGMENT_FIELD_MAX_DEFAULT;
	p->concurrency = 8;
	p->threads = PROFILE_THREADS_AUTO;
	p->rate = 0;
	p->max_attempts = 5;
	p->timeout = 30;
	p->idempotency_header = xstrdup("Idempotency-Key");
	p->empty_values = PROFILE_EMPTY_KEEP;
	p->theme = xstrdup("default");
	p->breaker_consecutive = 50;
	p->breaker_initial = 20;
	p->batch_size = 1;
	p->batch_bytes = PROFILE_BATCH_BYTES_DEFAULT;
	return p;
}

void profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	free(p->path);
	free(p->url);
	free(p->method);
	profile_list_clear(&p->headers);
	free(p->segment_file);
	profile_list_clear(&p->statics);
	profile_list_clear(&p->mappings);
	free(p->idempotency_header);
	free(p->theme);
	profile_list_clear(&p->sync_keys);
	free(p->added_method);
	free(p->changed_method);
	free(p->removed_method);
	free(p->event_param);
	profile_list_clear(&p->body_fields);
	profile_list_clear(&p->body_consts);
	free(p->batch_wrap);
	free(p->sign_secret);
	free(p->sign_header);
	free(p->sign_prefix);
	free(p->ca_file);
	free(p->client_cert);
	free(p->client_key);
	profile_list_clear(&p->lines);
	free(p);
}

static void list_copy(struct profile_list *dst, const struct profile_list *src)
{
	for (size_t i = 0; i < src->n; i++)
		profile_list_add(dst, src->items[i].name, src->items[i].line,
				 src->items[i].key, src->items[i].value);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct profile *profile_clone(const struct profile *p)
{
	struct profile *c = xcalloc(1, sizeof *c);
	*c = *p;
	c->path = dup_or_null(p->path);
	c->url = dup_or_null(p->url);
	c->method = xstrdup(p->method);
	c->segment_file = dup_or_null(p->segment_file);
	c->idempotency_header = xstrdup(p->idempotency_header);
	c->theme = xstrdup(p->theme);
	c->added_method = dup_or_null(p->added_method);
	c->changed_method = dup_or_null(p->changed_method);
	c->removed_method = dup_or_null(p->removed_method);
	c->event_param = dup_or_null(p->event_param);
	c->batch_wrap = dup_or_null(p->batch_wrap);
	c->sign_secret = dup_or_null(p->sign_secret);
	c->sign_header = dup_or_null(p->sign_header);
	c->sign_prefix = dup_or_null(p->sign_prefix);
	c->ca_file = dup_or_null(p->ca_file);
	c->client_cert = dup_or_null(p->client_cert);
	c->client_key = dup_or_null(p->client_key);
	memset(&c->body_fields, 0, sizeof c->body_fields);
	memset(&c->body_consts, 0, sizeof c->body_consts);
	list_copy(&c->body_fields, &p->body_fields);
	list_copy(&c->body_consts, &p->body_consts);
	memset(&c->sync_keys, 0, sizeof c->sync_keys);
	list_copy(&c->sync_keys, &p->sync_keys);
	memset(&c->headers, 0, sizeof c->headers);
	memset(&c->statics, 0, sizeof c->statics);
	memset(&c->mappings, 0, sizeof c->mappings);
	memset(&c->lines, 0, sizeof c->lines);
	list_copy(&c->headers, &p->headers);
	list_copy(&c->statics, &p->statics);
	list_copy(&c->mappings, &p->mappings);
	list_copy(&c->lines, &p->lines);
	return c;
}

static unsigned line_of(const struct profile *p, const char *section,
			const char *key)
{
	const struct profile_list *lists[] = { &p->headers, &p->statics,
					       &p->mappings, &p->body_fields,
					       &p->body_consts };
	for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++)
		for (size_t i = 0; i < lists[k]->n; i++)
			if (strcmp(lists[k]->items[i].name, key) == 0)
				return lists[k]->items[i].line;
	char *full = xasprintf("%s:%s", section, key);
	unsigned line = 0;
	for (size_t i = 0; i < p->lines.n; i++)
		if (strcmp(p->lines.items[i].name, full) == 0)
			line = p->lines.items[i].line;
	free(full);
	return line;
}

char *profile_where(const struct profile *p, const char *section,
		    const char *key)
{
	const char *file = p->path ? p->path : "profile";
	unsigned line = line_of(p, section, key);
	if (line > 0)
		return xasprintf("%s:%u: [%s] %s", file, line, section, key);
	return xasprintf("%s: [%s] %s", file, section, key);
}

static void key_error(struct hc_msgs *msgs, const struct profile *p,
		      const char *section, const char *key, const char *fmt,
		      ...) HC_PRINTF(5, 6);

static void key_error(struct hc_msgs *msgs, const struct profile *p,
		      const char *section, const char *key, const char *fmt,
		      ...)
{
	char *where = profile_where(p, section, key);
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	hc_msgs_add(msgs, HC_ERROR, "%s: %s", where, what);
	free(what);
	free(where);
}

/* A value quoted for a message, with control bytes escaped. Caller frees. */
static char *quoted(const char *s)
{
	struct hc_buf b;
	hc_buf_init(&b);
	hc_buf_add_quoted(&b, s, strlen(s));
	return hc_buf_steal(&b);
}

/* ---- The pre-scan ------------------------------------------------------
 * iniparser 4.1 silently truncates, joins or drops what it cannot read, and
 * knows no line numbers. Before handing the file to it we walk the lines
 * ourselves: to find the traps (see PITFALLS.md) and report them with their
 * line, and to remember where each key is for later messages. */

struct scan {
	const char *file;
	struct hc_msgs *msgs;
	struct profile_list keys; /* name "section:key", line */
	char section[128];
	bool in_section;
	bool snapshot; /* a run.ini: skip the run's own sections */
	bool skipping;
};

static void scan_error(struct scan *s, unsigned line, const char *fmt, ...)
	HC_PRINTF(3, 4);

static void scan_error(struct scan *s, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	hc_msgs_add(s->msgs, HC_ERROR, "%s:%u: %s", s->file, line, what);
	free(what);
}

static bool section_known(const char *name)
{
	for (size_t i = 0; i < SCHEMA_N; i++)
		if (strcmp(schema[i].section, name) == 0)
			return true;
	return false;
}

/* Does the key belong to the section? Sets *num for a numbered key. */
static bool key_known(const char *section, const char *key, long *num)
{
	*num = 0;
	for (size_t i = 0; i < SCHEMA_N; i++) {
		if (strcmp(schema[i].section, section) != 0)
			continue;
		size_t n = strlen(schema[i].key);
		if (!schema[i].numbered) {
			if (strcmp(key, schema[i].key) == 0)
				return true;
			continue;
		}
		if (strncmp(key, schema[i].key, n) == 0 && key[n] >= '1' &&
		    key[n] <= '9' &&
		    hc_parse_long(key + n, 1, 999999, num) == 0)
			return true;
	}
	return false;
}

/* What to say of a key that [section] does not take: the section it
 * belongs in, when another one takes it, or else the keys this one
 * takes. */
static char *unknown_key_hint(const char *section, const char *key)
{
	struct hc_buf b;
	hc_buf_init(&b);
	long num;
	for (size_t i = 0; i < SCHEMA_N; i++)
		if (strcmp(schema[i].section, section) != 0 &&
		    key_known(schema[i].section, key, &num)) {
			hc_buf_printf(&b, "it goes in [%s]", schema[i].section);
			return hc_buf_steal(&b);
		}
	hc_buf_printf(&b, "[%s] takes ", section);
	const char *sep = "";
	for (size_t i = 0; i < SCHEMA_N; i++) {
		if (strcmp(schema[i].section, section) != 0)
			continue;
		if (schema[i].numbered)
			hc_buf_printf(&b, "%s%s1, %s2, ...", sep, schema[i].key,
				      schema[i].key);
		else
			hc_buf_printf(&b, "%s%s", sep, schema[i].key);
		sep = ", ";
	}
	return hc_buf_steal(&b);
}

static char *strip(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			 s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void scan_value(struct scan *s, unsigned line, const char *key,
		       const char *v)
{
	if (*v == '"' || *v == '\'') {
		const char *close = strchr(v + 1, *v);
		if (close == NULL) {
			scan_error(s, line, "[%s] %s: the quoted value has no "
				   "closing %c", s->section, key, *v);
			return;
		}
		const char *rest = close + 1;
		while (*rest == ' ' || *rest == '\t')
			rest++;
		if (*rest != '\0' && *rest != ';' && *rest != '#')
			scan_error(s, line, "[%s] %s: text after the closing "
				   "quote would be dropped; a value cannot "
				   "hold both ' and \"", s->section, key);
		return;
	}
	for (const char *c = v; *c; c++) {
		if (*c != ';' && *c != '#')
			continue;
		if (c > v && c[-1] != ' ' && c[-1] != '\t')
			scan_error(s, line, "[%s] %s: the unquoted value would "
				   "be cut at '%c'; put the value in quotes",
				   s->section, key, *c);
		return; /* the rest is a comment */
	}
}

static void scan_line(struct scan *s, unsigned line, char *text)
{
	char *t = strip(text);
	if (*t == '\0' || *t == '#' || *t == ';')
		return;
	if (*t == '[') {
		char *close = strchr(t, ']');
		if (close == NULL) {
			scan_error(s, line, "a section header needs a closing "
				   "']'");
			return;
		}
		*close = '\0';
		char *name = strip(t + 1);
		for (char *c = name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (strchr(name, ':') != NULL) {
			scan_error(s, line, "a section name cannot hold ':' "
				   "(sections are destination, segment, "
				   "static, mappings, delivery, ui and sync)");
			s->in_section = false;
			return;
		}
		s->skipping = s->snapshot && (strcmp(name, "run") == 0 ||
					      strcmp(name, "source") == 0 ||
					      strcmp(name, "counts") == 0);
		if (s->skipping)
			return;
		if (!section_known(name) || strlen(name) >= sizeof s->section) {
			char *q = quoted(name);
			scan_error(s, line, "unknown section %s; sections "
				   "are destination, segment, static, "
				   "mappings, delivery, ui and sync", q);
			free(q);
			s->in_section = false;
			return;
		}
		snprintf(s->section, sizeof s->section, "%s", name);
		s->in_section = true;
		return;
	}
	if (s->skipping)
		return;
	char *eq = strchr(t, '=');
	if (eq == NULL) {
		scan_error(s, line, "expected \"key = value\"");
		return;
	}
	*eq = '\0';
	char *key = strip(t);
	char *value = strip(eq + 1);
	for (char *c = key; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (*key == '\0') {
		scan_error(s, line, "a key name is missing before '='");
		return;
	}
	if (!s->in_section) {
		scan_error(s, line, "key \"%.64s\" is outside any known "
			   "section", key);
		return;
	}
	long num;
	if (!key_known(s->section, key, &num)) {
		char *q = quoted(key);
		char *hint = unknown_key_hint(s->section, key);
		scan_error(s, line, "[%s] %s: unknown key; %s", s->section, q,
			   hint);
		free(hint);
		free(q);
		return;
	}
	char *full = xasprintf("%s:%s", s->section, key);
	for (size_t i = 0; i < s->keys.n; i++) {
		if (strcmp(s->keys.items[i].name, full) == 0) {
			scan_error(s, line, "[%s] %s is set twice (first on "
				   "line %u); key names ignore case",
				   s->section, key, s->keys.items[i].line);
			free(full);
			return;
		}
	}
	profile_list_add(&s->keys, full, line, NULL, NULL);
	free(full);
	scan_value(s, line, key, value);
}

static void scan_text(struct scan *s, char *text, size_t len)
{
	unsigned line = 1;
	char *p = text;
	char *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *stop = nl ? nl : end;
		size_t n = (size_t)(stop - p);
		*stop = '\0';
		if (n > INI_LINE_MAX) {
			scan_error(s, line, "the line is %zu bytes long; the "
				   "limit is %d", n, INI_LINE_MAX);
		} else if (memchr(p, '\0', n) != NULL) {
			scan_error(s, line, "the line holds a NUL byte");
		} else {
			char *t = strip(p);
			size_t tn = strlen(t);
			if (tn > 0 && t[tn - 1] == '\\')
				scan_error(s, line, "the line ends with '\\', "
					   "which would join it to the next "
					   "line; put the value in quotes "
					   "without a final '\\'");
			else
				scan_line(s, line, t);
		}
		p = stop + 1;
		line++;
	}
}

static char *read_small_file(const char *path, size_t *len, char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct hc_buf b;
	hc_buf_init(&b);
	for (;;) {
		hc_buf_reserve(&b, 8192);
		ssize_t n = read(fd, b.data + b.len, 8192);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = xasprintf("%s: cannot read: %s", path,
					 strerror(errno));
			break;
		}
		if (n == 0) {
			close(fd);
			*len = b.len;
			return hc_buf_steal(&b);
		}
		b.len += (size_t)n;
		b.data[b.len] = '\0';
		if (b.len > PROFILE_FILE_MAX) {
			*err = xasprintf("%s: the file is over %zu bytes; is "
					 "it a profile?", path,
					 PROFILE_FILE_MAX);
			break;
		}
	}
	close(fd);
	hc_buf_free(&b);
	return NULL;
}

/* ---- Reading values ---------------------------------------------------- */

struct loader {
	struct profile *p;
	dictionary *d;
	struct hc_msgs *msgs;
	const struct profile_list *keys;
};

static const char *get(struct loader *l, const char *section, const char *key)
{
	char *full = xasprintf("%s:%s", section, key);
	const char *v = iniparser_getstring(l->d, full, NULL);
	free(full);
	return v;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static void read_long(struct loader *l, const char *section, const char *key,
		      long min, long max, long *out)
{
	const char *v = get(l, section, key);
	if (v == NULL)
		return;
	if (hc_parse_long(v, min, max, out) < 0) {
		char *q = quoted(v);
		key_error(l->msgs, l->p, section, key,
			  "%s is not a whole number (%ld..%ld)", q, min, max);
		free(q);
	}
}

static void read_double(struct loader *l, const char *section,
			const char *key, double min, double max, double *out)
{
	const char *v = get(l, section, key);
	if (v == NULL)
		return;
	if (hc_parse_double(v, min, max, out) < 0) {
		char *q = quoted(v);
		key_error(l->msgs, l->p, section, key,
			  "%s is not a number (%.10g..%.10g)", q, min, max);
		free(q);
	}
}

static int cmp_entry_num(const void *a, const void *b)
{
	const struct profile_entry *x = a, *y = b;
	size_t i = strcspn(x->name, "0123456789");
	size_t j = strcspn(y->name, "0123456789");
	long nx = strtol(x->name + i, NULL, 10);
	long ny = strtol(y->name + j, NULL, 10);
	return (nx > ny) - (nx < ny);
}

/* Collect header1.., param1.. or map1.. in numeric order. */
static void read_numbered(struct loader *l, const char *section,
			  const char *prefix, struct profile_list *out,
			  bool split)
{
	size_t plen = strlen(section);
	for (size_t i = 0; i < l->keys->n; i++) {
		const char *full = l->keys->items[i].name;
		if (strncmp(full, section, plen) != 0 || full[plen] != ':')
			continue;
		const char *key = full + plen + 1;
		if (strncmp(key, prefix, strlen(prefix)) != 0)
			continue;
		const char *v = get(l, section, key);
		unsigned line = l->keys->items[i].line;
		if (v == NULL)
			continue;
		if (!split) {
			profile_list_add(out, key, line, v, NULL);
			continue;
		}
		const char *eq = strchr(v, '=');
		if (eq == NULL || eq == v) {
			profile_list_add(out, key, line, "", "");
			bool body = strcmp(section, "body") == 0;
			bool column = strcmp(section, "mappings") == 0 ||
				      strcmp(prefix, "field") == 0;
			key_error(l->msgs, l->p, section, key,
				  eq ? "the %s before '=' is empty"
				     : "expected \"%s=%s\" with an '='",
				  eq ? (body ? "body path" : "query key")
				     : (body ? "path" : "key"),
				  column ? "column" : "value");
			continue;
		}
		char *k = xstrndup(v, (size_t)(eq - v));
		profile_list_add(out, key, line, k, eq + 1);
		free(k);
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, cmp_entry_num);
}

static char *upper(const char *v)
{
	char *m = xstrdup(v);
	for (char *c = m; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return m;
}

static void read_sync(struct loader *l)
{
	struct profile *p = l->p;
	const char *v;
	if ((v = get(l, "sync", "mode")) != NULL) {
		int m = profile_sync_parse(v);
		if (m < 0) {
			char *q = quoted(v);
			key_error(l->msgs, p, "sync", "mode",
				  "%s is not all, changes or mirror", q);
			free(q);
		} else {
			p->sync_mode = (enum profile_sync)m;
		}
	}
	if ((v = get(l, "sync", "key")) != NULL)
		profile_list_add(&p->sync_keys, "key", 0, "", v);
	struct profile_list numbered = { 0 };
	read_numbered(l, "sync", "key", &numbered, false);
	for (size_t i = 0; i < numbered.n; i++) {
		if (numbered.items[i].name[3] == '\0')
			continue; /* the bare "key" came in above */
		profile_list_add(&p->sync_keys, numbered.items[i].name,
				 numbered.items[i].line, "",
				 numbered.items[i].key);
	}
	profile_list_clear(&numbered);
	static const char *const mk[3] = { "added_method", "changed_method",
					   "removed_method" };
	char **dst[3] = { &p->added_method, &p->changed_method,
			  &p->removed_method };
	for (int i = 0; i < 3; i++)
		if ((v = get(l, "sync", mk[i])) != NULL && *v) {
			free(*dst[i]);
			*dst[i] = upper(v);
		}
	if ((v = get(l, "sync", "event_param")) != NULL && *v)
		set_str(&p->event_param, v);
}

/* A path to a file, kept as written (relative to the working folder). */
static void read_path(struct loader *l, const char *section, const char *key,
		      char **dst)
{
	const char *v = get(l, section, key);
	if (v != NULL && *v)
		set_str(dst, v);
}

static void read_body(struct loader *l)
{
	struct profile *p = l->p;
	const char *v;
	if ((v = get(l, "body", "format")) != NULL) {
		int f = profile_body_parse(v);
		if (f < 0) {
			char *q = quoted(v);
			key_error(l->msgs, p, "body", "format",
				  "%s is not none, json, form or ndjson", q);
			free(q);
		} else {
			p->body_format = (enum profile_body)f;
		}
	}
	read_numbered(l, "body", "field", &p->body_fields, true);
	read_numbered(l, "body", "const", &p->body_consts, true);
	read_long(l, "body", "batch_size", 1, PROFILE_BATCH_MAX,
		  &p->batch_size);
	read_long(l, "body", "batch_bytes", PROFILE_BATCH_BYTES_MIN,
		  PROFILE_BATCH_BYTES_MAX, &p->batch_bytes);
	if ((v = get(l, "body", "batch_wrap")) != NULL && *v)
		set_str(&p->batch_wrap, v);
}

static void read_signing(struct loader *l)
{
	struct profile *p = l->p;
	const char *v;
	if ((v = get(l, "signing", "scheme")) != NULL) {
		int sc = profile_sign_parse(v);
		if (sc < 0) {
			char *q = quoted(v);
			key_error(l->msgs, p, "signing", "scheme",
				  "%s is not none, standard-webhooks or "
				  "hmac-sha256", q);
			free(q);
		} else {
			p->sign_scheme = (enum profile_sign)sc;
		}
	}
	if ((v = get(l, "signing", "secret")) != NULL && *v)
		set_str(&p->sign_secret, v);
	if ((v = get(l, "signing", "header")) != NULL && *v)
		set_str(&p->sign_header, v);
	if ((v = get(l, "signing", "prefix")) != NULL)
		set_str(&p->sign_prefix, v);
	if ((v = get(l, "signing", "encoding")) != NULL) {
		if (strcmp(v, "hex") == 0 || strcmp(v, "base64") == 0) {
			p->sign_base64 = strcmp(v, "base64") == 0;
		} else {
			char *q = quoted(v);
			key_error(l->msgs, p, "signing", "encoding",
				  "%s is not hex or base64", q);
			free(q);
		}
	}
}

static void read_values(struct loader *l)
{
	struct profile *p = l->p;
	const char *v;

	if ((v = get(l, "destination", "url")) != NULL)
		set_str(&p->url, v);
	if ((v = get(l, "destination", "method")) != NULL) {
		free(p->method);
		p->method = upper(v);
	}
	read_numbered(l, "destination", "header", &p->headers, false);
	read_path(l, "destination", "ca_file", &p->ca_file);
	read_path(l, "destination", "client_cert", &p->client_cert);
	read_path(l, "destination", "client_key", &p->client_key);
	if ((v = get(l, "destination", "http_version")) != NULL) {
		if (strcmp(v, "auto") == 0) {
			p->http_version = 0;
		} else if (strcmp(v, "1.1") == 0) {
			p->http_version = 11;
		} else if (strcmp(v, "2") == 0) {
			p->http_version = 2;
		} else {
			char *q = quoted(v);
			key_error(l->msgs, p, "destination", "http_version",
				  "%s is not auto, 1.1 or 2", q);
			free(q);
		}
	}

	if ((v = get(l, "segment", "file")) != NULL && *v != '\0')
		set_str(&p->segment_file, v);
	if ((v = get(l, "segment", "delimiter")) != NULL &&
	    segment_delimiter_parse(v, &p->delimiter) < 0) {
		char *q = quoted(v);
		key_error(l->msgs, p, "segment", "delimiter",
			  "%s is not one of auto, \",\", \";\", tab, \"|\"", q);
		free(q);
	}
	long n = (long)p->field_max;
	read_long(l, "segment", "field_max", 1, 1L << 30, &n);
	p->field_max = (size_t)n;

	read_numbered(l, "static", "param", &p->statics, true);
	read_numbered(l, "mappings", "map", &p->mappings, true);

	read_long(l, "delivery", "concurrency", 1, PROFILE_CONCURRENCY_MAX,
		  &p->concurrency);
	if ((v = get(l, "delivery", "threads")) != NULL &&
	    profile_threads_parse(v, &p->threads) < 0) {
		char *q = quoted(v);
		key_error(l->msgs, p, "delivery", "threads",
			  "%s is not auto or a whole number (1..%d)", q,
			  PROFILE_THREADS_MAX);
		free(q);
	}
	read_double(l, "delivery", "rate", 0, 1e6, &p->rate);
	read_long(l, "delivery", "max_attempts", 1, 100, &p->max_attempts);
	read_double(l, "delivery", "timeout", 0.1, 3600, &p->timeout);
	if ((v = get(l, "delivery", "idempotency_header")) != NULL)
		set_str(&p->idempotency_header, v);
	if ((v = get(l, "delivery", "empty_values")) != NULL) {
		if (strcmp(v, "keep") == 0) {
			p->empty_values = PROFILE_EMPTY_KEEP;
		} else if (strcmp(v, "omit") == 0) {
			p->empty_values = PROFILE_EMPTY_OMIT;
		} else {
			char *q = quoted(v);
			key_error(l->msgs, p, "delivery", "empty_values",
				  "%s is not keep or omit", q);
			free(q);
		}
	}
	read_long(l, "delivery", "breaker_consecutive", 0, 1000000,
		  &p->breaker_consecutive);
	read_long(l, "delivery", "breaker_initial", 0, 1000000,
		  &p->breaker_initial);
	if ((v = get(l, "ui", "theme")) != NULL)
		set_str(&p->theme, v);
	read_sync(l);
	read_body(l);
	read_signing(l);
}

int profile_threads_parse(const char *v, long *out)
{
	if (strcmp(v, "auto") == 0) {
		*out = PROFILE_THREADS_AUTO;
		return 0;
	}
	return hc_parse_long(v, 1, PROFILE_THREADS_MAX, out);
}

const char *profile_body_name(enum profile_body f)
{
	static const char *const names[] = { "none", "json", "form",
					     "ndjson" };
	return names[f];
}

int profile_body_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, profile_body_name((enum profile_body)i)) == 0)
			return i;
	return -1;
}

const char *profile_sign_name(enum profile_sign sc)
{
	static const char *const names[] = { "none", "standard-webhooks",
					     "hmac-sha256" };
	return names[sc];
}

int profile_sign_parse(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, profile_sign_name((enum profile_sign)i)) == 0)
			return i;
	return -1;
}

const char *profile_sign_header(const struct profile *p)
{
	return p->sign_header ? p->sign_header : "X-Hub-Signature-256";
}

const char *profile_sign_prefix(const struct profile *p)
{
	return p->sign_prefix ? p->sign_prefix : "sha256=";
}

bool profile_sign_secret_literal(const struct profile *p)
{
	return p->sign_secret && p->sign_secret[0] &&
	       hc_value_literal(p->sign_secret, strlen(p->sign_secret));
}

const char *profile_sync_name(enum profile_sync m)
{
	return m == PROFILE_SYNC_CHANGES ? "changes"
	       : m == PROFILE_SYNC_MIRROR ? "mirror" : "all";
}

int profile_sync_parse(const char *name)
{
	static const char *const names[] = { "all", "changes", "mirror" };
	for (int i = 0; i < 3; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *profile_event_method(const struct profile *p, int event)
{
	/* events: 1 added, 2 changed, 3 removed (sync.h) */
	if (event == 1 && p->added_method)
		return p->added_method;
	if (event == 2 && p->changed_method)
		return p->changed_method;
	if (event == 3)
		return p->removed_method ? p->removed_method : "DELETE";
	return p->method;
}

bool profile_wants_key(const struct profile *p)
{
	return p->idempotency_header[0] ||
	       p->sign_scheme == PROFILE_SIGN_STANDARD || p->batch_size > 1;
}

bool profile_method_ok(const char *method)
{
	static const char *const methods[] = { "POST", "PUT", "PATCH",
					       "DELETE", "GET" };
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(method, methods[i]) == 0)
			return true;
	return false;
}

static bool is_token_char(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

bool profile_sign_header_ok(const char *h)
{
	size_t j = 0;
	while (h[j] && is_token_char((unsigned char)h[j]))
		j++;
	return j <= 64 && h[j] == '\0';
}

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

bool profile_header_literal_secret(const char *header)
{
	const char *colon = strchr(header, ':');
	if (colon == NULL)
		return false;
	size_t n = (size_t)(colon - header);
	bool secret_name = (n == 13 && strncasecmp(header, "Authorization",
						   13) == 0) ||
			   hc_secret_name(header, n);
	if (!secret_name)
		return false;
	const char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v != '\0' && hc_value_literal(v, strlen(v));
}

bool profile_static_literal_secret(const struct profile_entry *e)
{
	return e->key && e->value && e->value[0] &&
	       hc_secret_name(e->key, strlen(e->key)) &&
	       hc_value_literal(e->value, strlen(e->value));
}

static void validate_sync(const struct profile *p, struct hc_msgs *msgs)
{
	static const char *const mk[3] = { "added_method", "changed_method",
					   "removed_method" };
	const char *mv[3] = { p->added_method, p->changed_method,
			      p->removed_method };
	for (int i = 0; i < 3; i++)
		if (mv[i] && (!profile_method_ok(mv[i]) ||
			      strcmp(mv[i], "GET") == 0)) {
			char *q = quoted(mv[i]);
			key_error(msgs, p, "sync", mk[i],
				  "%s is not POST, PUT, PATCH or DELETE", q);
			free(q);
		}
	if (p->sync_mode == PROFILE_SYNC_ALL)
		return;
	if (p->sync_keys.n == 0)
		key_error(msgs, p, "sync", "key",
			  "is required with mode = %s: the column that "
			  "identifies a record (key1, key2... for a composite "
			  "key)", profile_sync_name(p->sync_mode));
	if (p->sync_keys.n > 1 && strcmp(p->sync_keys.items[0].name, "key") == 0)
		key_error(msgs, p, "sync", "key",
			  "use key for one column, or key1, key2... for a "
			  "composite key, not both");
	for (size_t i = 0; i < p->sync_keys.n; i++)
		if (p->sync_keys.items[i].value[0] == '\0')
			key_error(msgs, p, "sync", p->sync_keys.items[i].name,
				  "the column name is empty");
	if (strcmp(p->method, "GET") == 0 &&
	    (p->added_method == NULL || p->changed_method == NULL))
		key_error(msgs, p, "destination", "method",
			  "GET cannot deliver a sync: set a method that sends "
			  "(POST, PUT or PATCH), or added_method and "
			  "changed_method in [sync]");
	if (p->event_param) {
		for (const char *c = p->event_param; *c; c++)
			if ((unsigned char)*c < 0x21 || *c == '&' || *c == '=' ||
			    *c == '#' || *c == 0x7f) {
				key_error(msgs, p, "sync", "event_param",
					  "a query key cannot hold spaces, '&', "
					  "'=' or '#'");
				break;
			}
	}
}

static void validate_body(const struct profile *p, struct hc_msgs *msgs)
{
	if (p->body_format == PROFILE_BODY_NONE) {
		const struct profile_list *l = p->body_fields.n ? &p->body_fields
								: &p->body_consts;
		if (l->n)
			key_error(msgs, p, "body", l->items[0].name,
				  "a body field needs format = json, form or "
				  "ndjson in [body]");
		if (p->batch_size > 1)
			key_error(msgs, p, "body", "batch_size",
				  "batches need format = json or ndjson");
		return;
	}
	const char *mv[4] = { p->method, p->added_method, p->changed_method,
			      p->removed_method };
	for (int i = 0; i < 4; i++)
		if (mv[i] && strcmp(mv[i], "GET") == 0) {
			key_error(msgs, p, i ? "sync" : "destination",
				  i == 0 ? "method" : i == 1 ? "added_method"
				  : i == 2 ? "changed_method" : "removed_method",
				  "GET carries no body: use POST, PUT, PATCH "
				  "or DELETE with [body] format = %s",
				  profile_body_name(p->body_format));
			break;
		}
	body_validate(p, msgs);
	if (p->batch_size > 1) {
		if (p->body_format == PROFILE_BODY_FORM)
			key_error(msgs, p, "body", "batch_size",
				  "a form cannot hold a batch: use format = "
				  "json or ndjson");
		if (p->mappings.n > 0)
			key_error(msgs, p, "body", "batch_size",
				  "is %ld, but a batch has one URL for many "
				  "rows, so [mappings] %s cannot go in its "
				  "query: map those columns into the body "
				  "(field1 = \"%s=%s\")", p->batch_size,
				  p->mappings.items[0].name,
				  p->mappings.items[0].key,
				  p->mappings.items[0].value);
		if (p->event_param)
			key_error(msgs, p, "sync", "event_param",
				  "is a query parameter, and a batch has one "
				  "URL for many rows: leave it out, since "
				  "added, changed and removed rows go in "
				  "separate batches with their own methods");
	}
	if (p->batch_wrap && p->body_format != PROFILE_BODY_JSON)
		key_error(msgs, p, "body", "batch_wrap",
			  "is for format = json only");
}

static void validate_signing(const struct profile *p, struct hc_msgs *msgs)
{
	if (p->sign_scheme == PROFILE_SIGN_NONE) {
		if (p->sign_secret)
			key_error(msgs, p, "signing", "secret",
				  "needs scheme = standard-webhooks or "
				  "hmac-sha256");
		return;
	}
	if (p->sign_secret == NULL || p->sign_secret[0] == '\0')
		key_error(msgs, p, "signing", "secret",
			  "is required with scheme = %s: write \"${NAME}\" "
			  "to read it from the environment",
			  profile_sign_name(p->sign_scheme));
	bool hmac = p->sign_scheme == PROFILE_SIGN_HMAC;
	if (!hmac && (p->sign_header || p->sign_prefix || p->sign_base64))
		key_error(msgs, p, "signing", p->sign_header ? "header"
				  : p->sign_prefix ? "prefix" : "encoding",
			  "is for scheme = hmac-sha256 only; Standard "
			  "Webhooks fixes its own headers");
	if (hmac && p->sign_header && !profile_sign_header_ok(p->sign_header))
		key_error(msgs, p, "signing", "header",
			  "is not a valid header name (letters, digits and -, "
			  "at most 64)");
	if (hmac && p->sign_prefix && strpbrk(p->sign_prefix, "\r\n"))
		key_error(msgs, p, "signing", "prefix",
			  "cannot hold a line break");
	if (!hmac && p->sign_secret && profile_sign_secret_literal(p) &&
	    strcmp(p->sign_secret, PROFILE_SECRET_KEPT_OUT) != 0) {
		char *err = NULL;
		size_t n = 0;
		unsigned char *key = sign_whsec_decode(p->sign_secret, &n, &err);
		if (key == NULL) {
			key_error(msgs, p, "signing", "secret", "%s", err);
			free(err);
		}
		free(key);
	}
}

size_t profile_validate(const struct profile *p, struct hc_msgs *msgs)
{
	size_t before = msgs->nerrors;
	if (p->url == NULL || p->url[0] == '\0')
		key_error(msgs, p, "destination", "url",
			  "is required: the webhook's base URL");
	if (!profile_method_ok(p->method)) {
		char *q = quoted(p->method);
		key_error(msgs, p, "destination", "method",
			  "%s is not POST, PUT, PATCH, DELETE or GET", q);
		free(q);
	}
	for (size_t i = 0; i < p->headers.n; i++) {
		const char *h = p->headers.items[i].key;
		const char *colon = strchr(h, ':');
		size_t j = 0;
		while (colon && h + j < colon && is_token_char((unsigned char)h[j]))
			j++;
		if (colon == NULL || colon == h || h + j != colon)
			key_error(msgs, p, "destination",
				  p->headers.items[i].name,
				  "expected \"Name: value\" with a name made "
				  "of letters, digits and !#$%%&'*+-.^_`|~");
	}
	for (size_t i = 0; i < p->mappings.n; i++)
		if (p->mappings.items[i].value[0] == '\0' &&
		    p->mappings.items[i].key[0] != '\0')
			key_error(msgs, p, "mappings", p->mappings.items[i].name,
				  "the segment column after '=' is empty");
	const char *ih = p->idempotency_header;
	for (size_t j = 0; ih[j]; j++) {
		if (!is_token_char((unsigned char)ih[j]) || j > 64) {
			key_error(msgs, p, "delivery", "idempotency_header",
				  "is not a valid header name (letters, "
				  "digits and -, at most 64)");
			break;
		}
	}
	if (!name_ok(p->theme, 64))
		key_error(msgs, p, "ui", "theme",
			  "a theme name is 1 to 64 letters, digits, '_', "
			  "'.' or '-'");
	validate_sync(p, msgs);
	validate_body(p, msgs);
	validate_signing(p, msgs);
	if (p->client_key && !p->client_cert)
		key_error(msgs, p, "destination", "client_key",
			  "needs client_cert: the certificate the key "
			  "belongs to");
	return msgs->nerrors - before;
}

static void warn_readable(const struct profile *p, struct hc_msgs *msgs,
			  const char *section, const char *key, mode_t mode)
{
	char *where = profile_where(p, section, key);
	hc_msgs_add(msgs, HC_WARNING, "%s: holds a literal secret and the file "
		    "is readable by others (mode %04o); use ${NAME} from the "
		    "environment, or chmod 600 %s", where,
		    (unsigned)(mode & 07777), p->path);
	free(where);
}

static void warn_permissions(const struct profile *p, struct hc_msgs *msgs,
			     int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || (st.st_mode & 077) == 0)
		return;
	size_t uf, ut, un, pos = 0;
	if (hc_url_literal_userinfo(p->url, &uf, &ut) ||
	    hc_url_next_secret_param(p->url, &pos, &un, &uf, &ut))
		warn_readable(p, msgs, "destination", "url", st.st_mode);
	for (size_t i = 0; i < p->statics.n; i++)
		if (profile_static_literal_secret(&p->statics.items[i]))
			warn_readable(p, msgs, "static",
				      p->statics.items[i].name, st.st_mode);
	for (size_t i = 0; i < p->headers.n; i++)
		if (profile_header_literal_secret(p->headers.items[i].key))
			warn_readable(p, msgs, "destination",
				      p->headers.items[i].name, st.st_mode);
}

struct profile *profile_load(const char *path, struct hc_msgs *msgs)
{
	return profile_load_ex(path, msgs, false);
}

struct profile *profile_load_ex(const char *path, struct hc_msgs *msgs,
				bool snapshot)
{
	char *err = NULL;
	size_t len = 0;
	char *text = read_small_file(path, &len, &err);
	if (text == NULL) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return NULL;
	}
	struct scan s = { .file = path, .msgs = msgs, .snapshot = snapshot };
	size_t errors_before = msgs->nerrors;
	scan_text(&s, text, len);
	free(text);
	if (msgs->nerrors > errors_before) {
		profile_list_clear(&s.keys);
		return NULL;
	}

	char *ierr = NULL;
	dictionary *d = ini_load_quiet(path, &ierr);
	if (d == NULL) {
		hc_msgs_add(msgs, HC_ERROR, "%s", ierr);
		free(ierr);
		profile_list_clear(&s.keys);
		return NULL;
	}

	struct profile *p = profile_new();
	p->path = xstrdup(path);
	p->lines = s.keys; /* moves ownership */
	struct loader l = { .p = p, .d = d, .msgs = msgs, .keys = &p->lines };
	read_values(&l);
	iniparser_freedict(d);
	profile_validate(p, msgs);

	int fd = snapshot ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		warn_permissions(p, msgs, fd);
		close(fd);
	}
	if (msgs->nerrors > errors_before) {
		profile_free(p);
		return NULL;
	}
	return p;
}

char *profile_segment_path(const struct profile *p)
{
	if (p->segment_file == NULL)
		return NULL;
	if (p->segment_file[0] == '/' || strcmp(p->segment_file, "-") == 0 ||
	    p->path == NULL || strchr(p->path, '/') == NULL)
		return xstrdup(p->segment_file);
	size_t dir = (size_t)(strrchr(p->path, '/') - p->path);
	return xasprintf("%.*s/%s", (int)dir, p->path, p->segment_file);
}

/* The folder of a file path, made absolute; NULL when it cannot be. */
static char *folder_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	char *dir = slash == NULL ? xstrdup(".")
		    : slash == path ? xstrdup("/")
				    : xstrndup(path, (size_t)(slash - path));
	char buf[PATH_MAX];
	char *abs = realpath(dir, buf) ? xstrdup(buf) : NULL;
	free(dir);
	return abs;
}

/* A relative path written in the profile, made absolute from folder. */
static bool rebase_one(char **path, const char *from, const char *to)
{
	if (*path == NULL || (*path)[0] == '/' || strcmp(*path, "-") == 0 ||
	    (*path)[0] == '\0')
		return false;
	bool moved = from && (to == NULL || strcmp(from, to) != 0);
	if (moved) {
		char *abs = xasprintf("%s/%s", from, *path);
		char buf[PATH_MAX];
		free(*path);
		*path = realpath(abs, buf) ? xstrdup(buf) : abs;
		if (*path != abs)
			free(abs);
	}
	return moved;
}

bool profile_rebase(struct profile *p, const char *new_path)
{
	char *from = folder_of(p->path);
	char *to = new_path ? folder_of(new_path) : NULL;
	bool moved = rebase_one(&p->segment_file, from, to);
	char **files[3] = { &p->ca_file, &p->client_cert, &p->client_key };
	for (int i = 0; i < 3; i++)
		moved = rebase_one(files[i], from, to) || moved;
	free(from);
	free(to);
	return moved;
}

char *profile_file_path(const struct profile *p, const char *file)
{
	if (file == NULL)
		return NULL;
	if (file[0] == '/' || p->path == NULL || strchr(p->path, '/') == NULL)
		return xstrdup(file);
	size_t dir = (size_t)(strrchr(p->path, '/') - p->path);
	return xasprintf("%.*s/%s", (int)dir, p->path, file);
}

int profile_check_files(const struct profile *p, struct hc_msgs *msgs)
{
	static const char *const keys[3] = { "ca_file", "client_cert",
					     "client_key" };
	const char *files[3] = { p->ca_file, p->client_cert, p->client_key };
	int rc = 0;
	for (int i = 0; i < 3; i++) {
		if (files[i] == NULL)
			continue;
		char *path = profile_file_path(p, files[i]);
		FILE *f = fopen(path, "r");
		if (f == NULL) {
			key_error(msgs, p, "destination", keys[i], "%s: %s",
				  path, strerror(errno));
			rc = -1;
		} else {
			fclose(f);
		}
		free(path);
	}
	return rc;
}

/* ---- Saving ------------------------------------------------------------ */

static void put_list(struct ini_writer *w, const struct profile_list *l,
		     const char *prefix, bool split)
{
	for (size_t i = 0; i < l->n; i++) {
		char *name = xasprintf("%s%zu", prefix, i + 1);
		char *v = split ? xasprintf("%s=%s", l->items[i].key,
					    l->items[i].value)
				: xstrdup(l->items[i].key);
		ini_put(w, name, v);
		free(v);
		free(name);
	}
}

/* [body] and [signing], where there is something to say. */
static void write_body(const struct profile *p, struct ini_writer *w)
{
	if (p->body_format != PROFILE_BODY_NONE || p->body_fields.n ||
	    p->body_consts.n || p->batch_size > 1) {
		ini_section(w, "body");
		ini_put(w, "format", profile_body_name(p->body_format));
		put_list(w, &p->body_fields, "field", true);
		put_list(w, &p->body_consts, "const", true);
		if (p->batch_size > 1 || p->batch_wrap) {
			ini_put_long(w, "batch_size", p->batch_size);
			ini_put_long(w, "batch_bytes", p->batch_bytes);
		}
		if (p->batch_wrap)
			ini_put(w, "batch_wrap", p->batch_wrap);
	}
	if (p->sign_scheme == PROFILE_SIGN_NONE && !p->sign_secret)
		return;
	ini_section(w, "signing");
	ini_put(w, "scheme", profile_sign_name(p->sign_scheme));
	if (p->sign_secret)
		ini_put(w, "secret", p->sign_secret);
	if (p->sign_header)
		ini_put(w, "header", p->sign_header);
	if (p->sign_prefix)
		ini_put(w, "prefix", p->sign_prefix);
	if (p->sign_base64)
		ini_put(w, "encoding", "base64");
}

void profile_write(const struct profile *p, struct ini_writer *w)
{
	ini_section(w, "destination");
	ini_put(w, "url", p->url ? p->url : "");
	ini_put(w, "method", p->method);
	put_list(w, &p->headers, "header", false);
	const char *const tk[3] = { "ca_file", "client_cert", "client_key" };
	const char *const tv[3] = { p->ca_file, p->client_cert, p->client_key };
	for (int i = 0; i < 3; i++)
		if (tv[i])
			ini_put(w, tk[i], tv[i]);
	if (p->http_version)
		ini_put(w, "http_version", p->http_version == 2 ? "2" : "1.1");
	ini_section(w, "segment");
	if (p->segment_file)
		ini_put(w, "file", p->segment_file);
	ini_put(w, "delimiter", segment_delimiter_name(p->delimiter));
	ini_put_long(w, "field_max", (long long)p->field_max);
	ini_section(w, "static");
	put_list(w, &p->statics, "param", true);
	ini_section(w, "mappings");
	put_list(w, &p->mappings, "map", true);
	ini_section(w, "delivery");
	ini_put_long(w, "concurrency", p->concurrency);
	if (p->threads == PROFILE_THREADS_AUTO)
		ini_put(w, "threads", "auto");
	else
		ini_put_long(w, "threads", p->threads);
	ini_put_double(w, "rate", p->rate);
	ini_put_long(w, "max_attempts", p->max_attempts);
	ini_put_double(w, "timeout", p->timeout);
	ini_put(w, "idempotency_header", p->idempotency_header);
	ini_put(w, "empty_values",
		p->empty_values == PROFILE_EMPTY_OMIT ? "omit" : "keep");
	ini_put_long(w, "breaker_consecutive", p->breaker_consecutive);
	ini_put_long(w, "breaker_initial", p->breaker_initial);
	ini_section(w, "ui");
	ini_put(w, "theme", p->theme);
	write_body(p, w);
	if (p->sync_mode == PROFILE_SYNC_ALL && p->sync_keys.n == 0 &&
	    !p->added_method && !p->changed_method && !p->removed_method &&
	    !p->event_param)
		return; /* no [sync] section where there was none */
	ini_section(w, "sync");
	ini_put(w, "mode", profile_sync_name(p->sync_mode));
	if (p->sync_keys.n == 1 && strcmp(p->sync_keys.items[0].name, "key") == 0)
		ini_put(w, "key", p->sync_keys.items[0].value);
	else
		for (size_t i = 0; i < p->sync_keys.n; i++) {
			char name[32];
			snprintf(name, sizeof name, "key%zu", i + 1);
			ini_put(w, name, p->sync_keys.items[i].value);
		}
	if (p->added_method)
		ini_put(w, "added_method", p->added_method);
	if (p->changed_method)
		ini_put(w, "changed_method", p->changed_method);
	if (p->removed_method)
		ini_put(w, "removed_method", p->removed_method);
	if (p->event_param)
		ini_put(w, "event_param", p->event_param);
}

int profile_save(const struct profile *p, const char *path, char **err)
{
	struct ini_writer w;
	ini_writer_init(&w);
	hc_buf_adds(&w.out, "; hookcast profile\n\n");
	profile_write(p, &w);
	int rc;
	if (w.err) {
		*err = xasprintf("%s: cannot save: %s", path, w.err);
		rc = -1;
	} else {
		rc = hc_save_atomic(path, w.out.data, w.out.len, 0600, err);
	}
	ini_writer_free(&w);
	return rc;
}
