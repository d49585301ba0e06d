#include "hookcast/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct {
	int status;
	const char *text;
} status_table[] = {
	{ HC_OK, "ok" },
	{ HC_UNDELIVERED, "a run finished with rows not delivered" },
	{ HC_CONFIG, "usage, profile or configuration error" },
	{ HC_DATA, "segment data error" },
	{ HC_STATE, "cannot write state or history" },
	{ HC_STOPPED, "run stopped early but resumable" },
	{ HC_INTERRUPTED, "interrupted" },
};

const char *hc_status_text(int status)
{
	for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
		if (status_table[i].status == status)
			return status_table[i].text;
	return "unknown status";
}

static void oom(size_t n)
{
	fprintf(stderr, "hookcast: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom(n);
	return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p = NULL;
	if (vasprintf(&p, fmt, ap) < 0)
		oom(0);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void hc_buf_init(struct hc_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void hc_buf_free(struct hc_buf *b)
{
	free(b->data);
	hc_buf_init(b);
}

void hc_buf_reset(struct hc_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void hc_buf_reserve(struct hc_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		oom(SIZE_MAX);
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void hc_buf_add(struct hc_buf *b, const void *p, size_t n)
{
	hc_buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void hc_buf_adds(struct hc_buf *b, const char *s)
{
	hc_buf_add(b, s, strlen(s));
}

void hc_buf_addc(struct hc_buf *b, char c)
{
	hc_buf_add(b, &c, 1);
}

void hc_buf_printf(struct hc_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	hc_buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
}

/* The length of the valid UTF-8 sequence at s (max n bytes), or 0. */
size_t hc_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	unsigned cp = s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

void hc_buf_add_quoted(struct hc_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	hc_buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t k = c >= 0x80 ? hc_utf8_len(u + i, n - i) : 1;
		/* C1 controls (U+0080..U+009F) act as escape sequences on some
		 * terminals: escape them like bytes of invalid UTF-8. */
		bool c1 = k == 2 && c == 0xC2 && u[i + 1] < 0xA0;
		if (c == '"' || c == '\\') {
			hc_buf_printf(b, "\\%c", c);
		} else if (c == '\t') {
			hc_buf_adds(b, "\\t");
		} else if (c < 0x20 || c == 0x7f || k == 0 || c1) {
			size_t bytes = k == 0 ? 1 : k;
			for (size_t j = 0; j < bytes; j++)
				hc_buf_printf(b, "\\x%02x", u[i + j]);
			i += bytes;
			continue;
		} else {
			hc_buf_add(b, s + i, k);
			i += k;
			continue;
		}
		i++;
	}
	hc_buf_addc(b, '"');
}

char *hc_buf_steal(struct hc_buf *b)
{
	char *s = b->data ? b->data : xstrdup("");
	hc_buf_init(b);
	return s;
}

void hc_msgs_init(struct hc_msgs *m)
{
	m->items = NULL;
	m->n = 0;
	m->nerrors = 0;
}

void hc_msgs_free(struct hc_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->items[i].text);
	free(m->items);
	hc_msgs_init(m);
}

static void msgs_push(struct hc_msgs *m, enum hc_severity sev, char *text)
{
	m->items = xreallocarray(m->items, m->n + 1, sizeof *m->items);
	m->items[m->n].severity = sev;
	m->items[m->n].text = text;
	m->n++;
	if (sev == HC_ERROR)
		m->nerrors++;
}

void hc_msgs_vadd(struct hc_msgs *m, enum hc_severity sev, const char *fmt,
		  va_list ap)
{
	msgs_push(m, sev, xvasprintf(fmt, ap));
}

void hc_msgs_add(struct hc_msgs *m, enum hc_severity sev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hc_msgs_vadd(m, sev, fmt, ap);
	va_end(ap);
}

void hc_msgs_move(struct hc_msgs *dst, struct hc_msgs *src)
{
	for (size_t i = 0; i < src->n; i++)
		msgs_push(dst, src->items[i].severity, src->items[i].text);
	free(src->items);
	hc_msgs_init(src);
}

int hc_parse_long(const char *s, long min, long max, long *out)
{
	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Numbers are always read with a '.' decimal point: main() keeps
 * LC_NUMERIC at "C" whatever the user's locale is. */
int hc_parse_double(const char *s, double min, double max, double *out)
{
	if (s == NULL || *s == '\0' ||
	    (*s != '-' && *s != '.' && (*s < '0' || *s > '9')))
		return -1;
	for (const char *p = s; *p; p++)
		if (strchr("0123456789.-eE+", *p) == NULL)
			return -1; /* no "inf", "nan" or hex floats */
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

double hc_wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *hc_format_number(double v, char *buf, size_t n)
{
	if (isfinite(v) && fabs(v) < 1e15) {
		for (int d = 0; d <= 17; d++) {
			snprintf(buf, n, "%.*f", d, v);
			if (strtod(buf, NULL) == v)
				return buf;
		}
	}
	snprintf(buf, n, "%.17g", v);
	return buf;
}

const char *hc_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

bool hc_url_userinfo(const char *url, size_t *from, size_t *to)
{
	if (url == NULL)
		return false;
	/* scheme "://": a letter, then letters, digits, '+', '-' or '.' */
	size_t k = 0;
	while (isalpha((unsigned char)url[k]) ||
	       (k > 0 && (isdigit((unsigned char)url[k]) || url[k] == '+' ||
			  url[k] == '-' || url[k] == '.')))
		k++;
	if (k == 0 || strncmp(url + k, "://", 3) != 0)
		return false;
	const char *auth = url + k + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i; /* the last one: a password may hold '@' */
	if (at == NULL || at == auth)
		return false;
	*from = (size_t)(auth - url);
	*to = (size_t)(at - url);
	return true;
}

bool hc_secret_name(const char *name, size_t n)
{
	static const char *const words[] = { "token", "key", "secret",
					     "password", "signature" };
	for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
		size_t k = strlen(words[w]);
		for (size_t i = 0; i + k <= n; i++)
			if (strncasecmp(name + i, words[w], k) == 0)
				return true;
	}
	return false;
}

bool hc_value_literal(const char *v, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (v[i] == '$' && v[i + 1] == '{' && (i == 0 || v[i - 1] != '$'))
			return false;
	return true;
}

bool hc_url_literal_userinfo(const char *url, size_t *from, size_t *to)
{
	return hc_url_userinfo(url, from, to) &&
	       hc_value_literal(url + *from, *to - *from);
}

bool hc_url_next_secret_param(const char *url, size_t *pos, size_t *name,
			      size_t *from, size_t *to)
{
	if (url == NULL)
		return false;
	const char *q = strchr(url, '?');
	if (q == NULL)
		return false;
	size_t end = strcspn(url, "#");
	size_t i = *pos > (size_t)(q - url) ? *pos : (size_t)(q - url) + 1;
	while (i < end) {
		size_t n = i;
		while (i < end && url[i] != '&' && url[i] != '=')
			i++;
		size_t eq = i;
		if (i < end && url[i] == '=')
			while (i < end && url[i] != '&')
				i++;
		size_t next = i + 1;
		if (eq < i && hc_secret_name(url + n, eq - n) &&
		    i > eq + 1 && hc_value_literal(url + eq + 1, i - eq - 1)) {
			*name = n;
			*from = eq + 1;
			*to = i;
			*pos = next;
			return true;
		}
		i = next;
	}
	*pos = end;
	return false;
}

/* Call hide(ud, from, to) for each span hc_url_shown hides, in order. */
static void url_secret_spans(const char *url,
			     void (*hide)(void *, size_t, size_t), void *ud)
{
	size_t from, to, name, pos = 0;
	if (hc_url_literal_userinfo(url, &from, &to))
		hide(ud, from, to);
	while (hc_url_next_secret_param(url, &pos, &name, &from, &to))
		hide(ud, from, to);
}

struct shown_ctx {
	const char *url, *with;
	struct hc_buf out;
	size_t done;
};

static void shown_hide(void *ud, size_t from, size_t to)
{
	struct shown_ctx *c = ud;
	if (from < c->done)
		return; /* spans come in order; never step back */
	hc_buf_add(&c->out, c->url + c->done, from - c->done);
	hc_buf_adds(&c->out, c->with);
	c->done = to;
}

char *hc_url_shown(const char *url)
{
	return hc_url_replace_secrets(url, "***");
}

char *hc_url_replace_secrets(const char *url, const char *with)
{
	struct shown_ctx c = { .url = url ? url : "", .with = with };
	hc_buf_init(&c.out);
	url_secret_spans(c.url, shown_hide, &c);
	hc_buf_adds(&c.out, c.url + c.done);
	if (c.out.data == NULL)
		return xstrdup("");
	return hc_buf_steal(&c.out);
}

static void masked_hide(void *ud, size_t from, size_t to)
{
	char **m = ud;
	memset(*m + from, '*', to - from);
}

char *hc_url_masked(const char *url, size_t len)
{
	if (url == NULL)
		return NULL;
	char *m = xstrndup(url, len);
	char *before = xstrndup(url, len);
	url_secret_spans(m, masked_hide, &m);
	bool changed = memcmp(m, before, len) != 0;
	free(before);
	if (!changed) {
		free(m);
		return NULL;
	}
	return m;
}
