/*
 * util.h: small helpers shared by every module.
 *
 * Memory: xmalloc() and friends abort the process on out-of-memory, which is
 * the only error hookcast does not recover from. Everything they return is
 * owned by the caller.
 *
 * Status codes: every command's exit status comes from enum hc_status, and
 * their one-line meanings live in one table (hc_status_text).
 *
 * Messages: struct hc_msgs collects the errors and warnings of one operation
 * (loading a profile, checking a segment) so that a front end can show all of
 * them, not only the first.
 */
#ifndef HOOKCAST_UTIL_H
#define HOOKCAST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define HC_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum hc_status {
	HC_OK = 0,
	HC_UNDELIVERED = 1, /* a run finished with rows not delivered */
	HC_CONFIG = 2,      /* usage, profile or configuration error */
	HC_DATA = 3,        /* segment data error */
	HC_STATE = 4,       /* cannot write state or history */
	HC_STOPPED = 5,     /* run stopped early but resumable */
	HC_INTERRUPTED = 130,
};

/* The meaning of an exit status, for --help and the man page. */
const char *hc_status_text(int status);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) HC_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) HC_PRINTF(1, 0);

/* A growable byte buffer, always NUL-terminated. */
struct hc_buf {
	char *data;
	size_t len;
	size_t cap;
};

void hc_buf_init(struct hc_buf *b);
void hc_buf_free(struct hc_buf *b);
void hc_buf_reset(struct hc_buf *b);
void hc_buf_reserve(struct hc_buf *b, size_t extra);
void hc_buf_add(struct hc_buf *b, const void *p, size_t n);
void hc_buf_adds(struct hc_buf *b, const char *s);
void hc_buf_addc(struct hc_buf *b, char c);
void hc_buf_printf(struct hc_buf *b, const char *fmt, ...) HC_PRINTF(2, 3);
/*
 * Append s[0..n) for a message shown on a terminal: wrapped in double quotes,
 * with '"', '\\', control bytes, C1 controls and bytes of invalid UTF-8
 * written as C escapes (\t, \xNN), so that data can never move the cursor
 * or end the quoted text. Valid UTF-8 passes through.
 */
void hc_buf_add_quoted(struct hc_buf *b, const char *s, size_t n);
/* The length of the valid UTF-8 sequence of two to four bytes at s (at
 * most n bytes), or 0: not one (an ASCII byte, a stray or overlong byte,
 * a surrogate, past U+10FFFF, cut short). */
size_t hc_utf8_len(const unsigned char *s, size_t n);
/* Move the contents out as a C string (caller frees); b is left empty. */
char *hc_buf_steal(struct hc_buf *b);

enum hc_severity { HC_ERROR, HC_WARNING };

struct hc_msg {
	enum hc_severity severity;
	char *text;
};

struct hc_msgs {
	struct hc_msg *items; /* owned */
	size_t n;
	size_t nerrors;
};

void hc_msgs_init(struct hc_msgs *m);
void hc_msgs_free(struct hc_msgs *m);
void hc_msgs_add(struct hc_msgs *m, enum hc_severity sev, const char *fmt, ...)
	HC_PRINTF(3, 4);
void hc_msgs_vadd(struct hc_msgs *m, enum hc_severity sev, const char *fmt,
		  va_list ap) HC_PRINTF(3, 0);
/* Move every message of src to the end of dst. */
void hc_msgs_move(struct hc_msgs *dst, struct hc_msgs *src);

/*
 * Parse a whole decimal integer in [min, max]. Leading and trailing spaces
 * are not allowed. Returns 0, or -1 when s is not such a number.
 */
int hc_parse_long(const char *s, long min, long max, long *out);
/* The same for a finite decimal number in [min, max]. */
int hc_parse_double(const char *s, double min, double max, double *out);
/* A number as a person writes it: the shortest plain decimal that reads
 * back as v ("30", "0.5", "2.25"), never an exponent for the values a
 * profile holds (an exponent only past 1e15). Returns buf. */
const char *hc_format_number(double v, char *buf, size_t n);

/* Seconds since the epoch (CLOCK_REALTIME), as a double. */
double hc_wall_now(void);

/* The last path component, without copying. */
const char *hc_basename(const char *path);

/* Where a URL's userinfo ("user:password" before "@host") is, as [*from,
 * *to). False when it has none. A literal one is a secret, as a literal
 * Authorization header is. */
bool hc_url_userinfo(const char *url, size_t *from, size_t *to);

/* The same, only when it is written literally (it holds no "${"). */
bool hc_url_literal_userinfo(const char *url, size_t *from, size_t *to);

/* Does a header or parameter name say its value is a secret? It holds
 * token, key, secret, password or signature, in any case. */
bool hc_secret_name(const char *name, size_t n);

/* Is value a literal (it holds no ${NAME} reference; "$${" is literal)? */
bool hc_value_literal(const char *value, size_t n);

/* The next query parameter of url, at or after *pos, whose name is a
 * secret one and whose value is literal and not empty: its value is
 * [*from, *to) and its name [*name, *from - 1). False when none is left. */
bool hc_url_next_secret_param(const char *url, size_t *pos, size_t *name,
			      size_t *from, size_t *to);

/* A copy of url to show: a literal userinfo becomes "***", and so does the
 * literal value of a query parameter with a secret name. */
char *hc_url_shown(const char *url);

/* The same with another stand-in than "***". */
char *hc_url_replace_secrets(const char *url, const char *with);

/* The same length as url, with '*' over what hc_url_shown hides: for a
 * line editor. NULL when nothing is hidden. */
char *hc_url_masked(const char *url, size_t len);

#endif
