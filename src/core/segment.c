#include "hookcast/segment.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hookcast/util.h"

#define CSV_BLOCK 4096
/* The delimiter is detected from the first record, read ahead up to this
 * many bytes whatever the buffer size, so that detection never depends on
 * how the input arrives. */
#define HEAD_MAX ((size_t)64 * 1024)

/*
 * How the reader keeps positions: libcsv knows neither lines nor offsets, so
 * we cut the input into physical lines ourselves and feed libcsv one line (or
 * one buffer-full of a very long line) at a time. A line ends at LF, CRLF or
 * a lone CR, exactly where libcsv ends an unquoted row, so a record always
 * starts at the first non-blank line after the previous record ended.
 *
 * Input comes first from the head (the bytes read ahead for delimiter
 * detection), then from the fd. Every result (rows, line numbers, offsets,
 * errors) is the same whatever the buffer size and whatever one read()
 * returns: the fuzzer checks this against a pass with the default buffer.
 */
struct segment {
	char *name;
	int fd;
	bool own_fd;

	unsigned char *buf;
	size_t buf_size;
	size_t start, end;   /* unread bytes are buf[start..end) */
	uint64_t buf_offset; /* file offset of buf[0] */
	bool eof;            /* the head and the fd are both used up */
	bool fd_eof;         /* read() returned 0 */
	bool has_cr;        /* a CR in buf[start, end): else no line ends at one */
	bool lf_may_follow; /* the last line ended at a CR that was the last
			     * byte of a full buffer: an LF next belongs to it */
	uint64_t nul_end;   /* file offset just past the last NUL read, 0: none */
	uint64_t read_offset; /* bytes read from the fd so far */
	struct hc_buf head; /* read ahead for detection; fed before the fd */
	size_t head_pos;    /* head bytes already moved into buf (or a BOM) */

	struct csv_parser csv;
	bool csv_ready;
	bool fini_done;
	char delim;
	bool detected;
	size_t field_max;
	bool count_only;
	void (*on_bytes)(void *ud, const void *p, size_t n);
	void *bytes_ud;
	void (*on_row)(void *ud, const struct segment_row *row, char *tag);
	void *row_ud;
	size_t read_max;

	uint64_t line;      /* physical line being fed, 1-based */
	bool at_line_start; /* the next piece starts a physical line */
	bool need_start;    /* the next non-blank line starts a record */
	uint64_t rec_line, rec_offset;
	uint64_t field_line; /* line where the current field started */

	char **columns;
	size_t ncolumns;
	bool have_header;

	/* The record being assembled. */
	struct hc_buf data;
	size_t *offs, *lens;
	const char **fields;
	size_t nstored, nseen, fcap;
	struct hc_buf invalid;
	bool rec_done;
	uint64_t rows;

	bool failed;
	struct segment_fatal fatal;
	char *fatal_msg;

	struct prefetch *pf; /* NULL: segment_next() parses in the caller */
};

static int never_space(unsigned char c)
{
	(void)c;
	return 0; /* whitespace is data (RFC 4180) */
}

static void fail(struct segment *seg, uint64_t line, uint64_t offset,
		 const char *fmt, ...) HC_PRINTF(4, 5);

static void fail(struct segment *seg, uint64_t line, uint64_t offset,
		 const char *fmt, ...)
{
	if (seg->failed)
		return;
	struct hc_buf b;
	hc_buf_init(&b);
	hc_buf_printf(&b, "%s:%llu: ", seg->name, (unsigned long long)line);
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	hc_buf_adds(&b, what);
	free(what);
	hc_buf_printf(&b, " (at byte offset %llu)", (unsigned long long)offset);
	seg->failed = true;
	seg->fatal_msg = hc_buf_steal(&b);
	seg->fatal.line = line;
	seg->fatal.offset = offset;
	seg->fatal.msg = seg->fatal_msg;
}

/* The display name of column i (0-based), for messages. */
static void add_column_ref(struct segment *seg, struct hc_buf *b, size_t col)
{
	hc_buf_printf(b, "column %zu", col + 1);
	if (seg->have_header && col < seg->ncolumns) {
		hc_buf_addc(b, ' ');
		hc_buf_add_quoted(b, seg->columns[col], strlen(seg->columns[col]));
	}
}

/* hint: the field is still open inside quotes, which is what a missing
 * closing quote looks like. offset: the byte that took it past the cap. */
static void field_too_long(struct segment *seg, bool open_quote,
			   uint64_t offset)
{
	struct hc_buf b;
	hc_buf_init(&b);
	add_column_ref(seg, &b, seg->nseen);
	if (seg->have_header)
		hc_buf_printf(&b, " of row %llu",
			      (unsigned long long)seg->rows + 1);
	else
		hc_buf_adds(&b, " of the header");
	hc_buf_printf(&b, " is longer than %zu bytes", seg->field_max);
	if (open_quote)
		hc_buf_printf(&b, "; it opens with a quote at line %llu that "
			      "may never close",
			      (unsigned long long)seg->field_line);
	fail(seg, open_quote ? seg->field_line : seg->line, offset, "%s",
	     b.data);
	hc_buf_free(&b);
}

static void on_field(void *s, size_t len, void *data)
{
	struct segment *seg = data;
	if (seg->failed)
		return; /* libcsv still emits partial fields after an error */
	const char *field = s ? s : "";
	size_t col = seg->nseen++;
	seg->field_line = seg->line;
	/* Only when a NUL was read since the record began. */
	if (seg->nul_end > seg->rec_offset && seg->invalid.len == 0 &&
	    memchr(field, '\0', len) != NULL) {
		hc_buf_adds(&seg->invalid, "NUL byte in ");
		add_column_ref(seg, &seg->invalid, col);
	}
	if (seg->count_only && seg->have_header)
		return;
	if (seg->have_header && col >= seg->ncolumns)
		return; /* a ragged row is never sent: keep no extra fields */
	if (!seg->have_header && col >= SEGMENT_COLUMNS_MAX) {
		fail(seg, seg->rec_line, seg->rec_offset,
		     "the header has more than %d columns", SEGMENT_COLUMNS_MAX);
		return;
	}
	if (seg->nstored == seg->fcap) {
		seg->fcap = seg->fcap ? seg->fcap * 2 : 16;
		seg->offs = xreallocarray(seg->offs, seg->fcap, sizeof *seg->offs);
		seg->lens = xreallocarray(seg->lens, seg->fcap, sizeof *seg->lens);
		seg->fields = xreallocarray(seg->fields, seg->fcap,
					    sizeof *seg->fields);
	}
	seg->offs[seg->nstored] = seg->data.len;
	seg->lens[seg->nstored] = len;
	seg->nstored++;
	struct hc_buf *d = &seg->data;
	if (d->len + len + 1 >= d->cap)
		hc_buf_reserve(d, len + 1);
	memcpy(d->data + d->len, field, len);
	d->len += len;
	d->data[d->len++] = '\0';
}

static void on_record(int c, void *data)
{
	(void)c;
	struct segment *seg = data;
	if (seg->failed)
		return;
	seg->rec_done = true;
	seg->need_start = true;
}

static void record_reset(struct segment *seg)
{
	hc_buf_reset(&seg->data);
	hc_buf_reset(&seg->invalid);
	seg->nstored = 0;
	seg->nseen = 0;
	seg->rec_done = false;
}

/* One read() from the fd into dst. Returns the bytes read, 0 at the end
 * of the input (fd_eof set), -1 on a read error (the reader has failed). */
static ssize_t raw_read(struct segment *seg, unsigned char *dst, size_t want)
{
	if (seg->read_max && want > seg->read_max)
		want = seg->read_max;
	for (;;) {
		ssize_t n = read(seg->fd, dst, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(seg, seg->line, seg->read_offset, "read error: %s",
			     strerror(errno));
			return -1;
		}
		if (n == 0) {
			seg->fd_eof = true;
			return 0;
		}
		const unsigned char *z = memrchr(dst, '\0', (size_t)n);
		if (z != NULL)
			seg->nul_end = seg->read_offset +
				       (uint64_t)(z - dst) + 1;
		if (seg->on_bytes)
			seg->on_bytes(seg->bytes_ud, dst, (size_t)n);
		seg->read_offset += (uint64_t)n;
		return n;
	}
}

static bool buf_full(const struct segment *seg)
{
	return seg->start == 0 && seg->end == seg->buf_size;
}

/*
 * Compact the buffer and add input to it: from the head first, then one
 * read() from the fd. Callers make sure the buffer is not full, so that
 * each call either adds at least one byte or sets eof: that is what lets
 * every loop that refills make progress. Returns -1 on a read error.
 */
static int refill(struct segment *seg)
{
	if (seg->start > 0) {
		memmove(seg->buf, seg->buf + seg->start, seg->end - seg->start);
		seg->buf_offset += seg->start;
		seg->end -= seg->start;
		seg->start = 0;
	}
	size_t want = seg->buf_size - seg->end;
	size_t got = 0;
	if (seg->head_pos < seg->head.len) {
		got = seg->head.len - seg->head_pos;
		if (got > want)
			got = want;
		memcpy(seg->buf + seg->end, seg->head.data + seg->head_pos,
		       got);
		seg->head_pos += got;
		if (seg->head_pos == seg->head.len) {
			hc_buf_free(&seg->head);
			seg->head_pos = 0;
		}
	} else if (!seg->fd_eof && want > 0) {
		ssize_t n = raw_read(seg, seg->buf + seg->end, want);
		if (n < 0)
			return -1;
		got = (size_t)n;
	}
	if (got == 0)
		seg->eof = true;
	seg->end += got;
	/* One scan per read instead of one per line. */
	seg->has_cr = memchr(seg->buf + seg->start, '\r',
			     seg->end - seg->start) != NULL;
	return 0;
}

/* libcsv's state after a quote inside a quoted field: the quote is
 * already in its buffer, to be dropped if the field ends next. */
#define LIBCSV_FIELD_MIGHT_HAVE_ENDED 3

/* The length of the field libcsv is building, as it will be emitted. */
static size_t field_len(const struct csv_parser *p)
{
	return p->entry_pos -
	       (p->pstate == LIBCSV_FIELD_MIGHT_HAVE_ENDED && p->entry_pos > 0);
}

/*
 * Hand len bytes at buf[start] to libcsv. A field grows by at most one
 * byte per input byte, so each call gets no more than could take the
 * field being built one byte past the cap: the cap is then caught at the
 * exact byte that passes it, whatever the buffer and read sizes, and
 * libcsv's buffer never grows far past it (an unbalanced quote that folds
 * the rest of the file into one field fails fast). Each turn consumes at
 * least one byte (field_len() <= field_max holds between calls).
 */
static void feed(struct segment *seg, size_t len)
{
	const unsigned char *p = seg->buf + seg->start;
	uint64_t base = seg->buf_offset + seg->start;
	size_t off = 0;
	while (off < len && !seg->failed) {
		size_t n = len - off;
		size_t used = field_len(&seg->csv);
		if (n > seg->field_max - used)
			n = seg->field_max - used + 1;
		size_t done = csv_parse(&seg->csv, p + off, n, on_field,
					on_record, seg);
		if (seg->failed)
			return;
		if (done < n) {
			uint64_t at = base + off + done;
			int e = csv_error(&seg->csv);
			if (e == CSV_EPARSE)
				fail(seg, seg->line, at,
				     "malformed quoting: a quote inside an "
				     "unquoted field, or text after a closing "
				     "quote");
			else
				fail(seg, seg->line, at, "cannot parse: %s",
				     csv_strerror(e));
			return;
		}
		off += n;
		if (field_len(&seg->csv) > seg->field_max)
			field_too_long(seg, seg->csv.quoted != 0,
				       base + off - 1);
	}
}

static void finish(struct segment *seg)
{
	seg->fini_done = true;
	if (csv_fini(&seg->csv, on_field, on_record, seg) != 0 &&
	    !seg->failed) {
		/* Name the line where the open quote is: that is where the
		 * user has to look, not the end of the file. */
		struct hc_buf b;
		hc_buf_init(&b);
		add_column_ref(seg, &b, seg->nseen);
		if (seg->have_header)
			hc_buf_printf(&b, " of row %llu",
				      (unsigned long long)seg->rows + 1);
		else
			hc_buf_adds(&b, " of the header");
		fail(seg, seg->field_line, seg->buf_offset + seg->end,
		     "unbalanced quote: the quoted field in %s starts on "
		     "this line and is still open at the end of the file",
		     b.data);
		hc_buf_free(&b);
	}
}

/*
 * Feed physical lines until a record is complete. Returns 1 with a record
 * ready, 0 at the end of input, -1 on a fatal error.
 *
 * Progress: every turn either feeds at least one byte (start moves on),
 * calls refill() on a buffer that is not full (which adds a byte or sets
 * eof), runs finish() once (fini_done), or returns. A CR that is the last
 * byte of a full buffer cannot wait for the next byte to tell CR from
 * CRLF: it is fed as a line end, and an LF that comes first in the next
 * read is fed as the rest of that line end (lf_may_follow).
 */
static int pump(struct segment *seg)
{
	while (!seg->rec_done) {
		if (seg->failed)
			return -1;
		size_t avail = seg->end - seg->start;
		if (avail == 0) {
			if (!seg->eof) {
				if (refill(seg) < 0)
					return -1;
				continue;
			}
			if (seg->fini_done)
				return 0;
			finish(seg);
			continue;
		}
		const unsigned char *p = seg->buf + seg->start;
		if (seg->lf_may_follow) {
			seg->lf_may_follow = false;
			if (*p == '\n') {
				feed(seg, 1); /* the LF of a CRLF: no new line */
				if (seg->failed) {
					/* an error in a line's break: that
					 * line is not read, as when the CRLF
					 * comes in one piece */
					seg->line--;
					return -1;
				}
				seg->start++;
				continue;
			}
		}
		const unsigned char *lf = memchr(p, '\n', avail);
		const unsigned char *cr =
			seg->has_cr ? memchr(p, '\r', lf ? (size_t)(lf - p)
							 : avail)
				    : NULL;
		size_t len;
		bool ends_line = true;
		if (cr != NULL) {
			len = (size_t)(cr - p) + 1;
			if (len == avail && !seg->eof) {
				/* A CR at the buffer's end: CRLF? */
				if (!buf_full(seg)) {
					if (refill(seg) < 0)
						return -1;
					continue;
				}
				seg->lf_may_follow = true;
			} else if (len < avail && cr[1] == '\n') {
				len++;
			}
		} else if (lf != NULL) {
			len = (size_t)(lf - p) + 1;
		} else if (seg->eof) {
			len = avail; /* the last line has no line break */
			ends_line = false;
		} else if (buf_full(seg)) {
			len = avail; /* part of a line longer than the buffer */
			ends_line = false;
		} else {
			if (refill(seg) < 0)
				return -1;
			continue;
		}
		if (seg->at_line_start && seg->need_start && *p != '\n' &&
		    *p != '\r') {
			seg->rec_line = seg->line;
			seg->rec_offset = seg->buf_offset + seg->start;
			seg->field_line = seg->line;
			seg->need_start = false;
		}
		feed(seg, len);
		if (seg->failed)
			return -1; /* the line with the error is not read */
		seg->start += len;
		seg->at_line_start = ends_line;
		if (ends_line)
			seg->line++;
	}
	return seg->failed ? -1 : 1;
}

const char *segment_delimiter_name(char delim)
{
	switch (delim) {
	case ',': return ",";
	case ';': return ";";
	case '\t': return "tab";
	case '|': return "|";
	default: return "auto";
	}
}

int segment_delimiter_parse(const char *name, char *delim)
{
	static const struct {
		const char *name;
		char delim;
	} table[] = {
		{ "auto", 0 }, { ",", ',' }, { ";", ';' }, { "tab", '\t' },
		{ "\t", '\t' }, { "|", '|' },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(name, table[i].name) == 0) {
			*delim = table[i].delim;
			return 0;
		}
	return -1;
}

/* Pick the candidate seen most often outside quotes in the first
 * non-blank record (a line break inside quotes does not end it). */
static char detect_delimiter(const unsigned char *p, size_t n)
{
	static const char cand[] = { ',', ';', '\t', '|' };
	size_t count[4] = { 0 };
	bool quoted = false, begun = false;
	for (size_t i = 0; i < n; i++) {
		bool brk = p[i] == '\n' || p[i] == '\r';
		if (!quoted && brk) {
			if (begun)
				break;
			continue; /* blank lines before the header */
		}
		begun = true;
		if (p[i] == '"')
			quoted = !quoted;
		else if (!quoted)
			for (size_t k = 0; k < 4; k++)
				if (p[i] == (unsigned char)cand[k])
					count[k]++;
	}
	size_t best = 0;
	for (size_t k = 1; k < 4; k++)
		if (count[k] > count[best])
			best = k;
	return cand[best];
}

/*
 * Read ahead into the head until it holds the whole first record (a line
 * break outside quotes after something that is not a line break), HEAD_MAX
 * bytes, or the whole input. Quotes are followed across reads, so a header
 * with a quoted line break is seen whole however standard input arrives.
 * Progress: each turn reads at least one byte or ends (fd_eof, or -1).
 */
static int read_head(struct segment *seg)
{
	struct hc_buf *h = &seg->head;
	size_t scanned = 0;
	bool quoted = false, begun = false;
	hc_buf_reserve(h, HEAD_MAX);
	while (!seg->fd_eof && h->len < HEAD_MAX) {
		ssize_t n = raw_read(seg, (unsigned char *)h->data + h->len,
				     HEAD_MAX - h->len);
		if (n < 0)
			return -1;
		h->len += (size_t)n;
		if (h->len < 3 && !seg->fd_eof)
			continue; /* a BOM is not told apart before 3 bytes */
		if (scanned == 0 && h->len >= 3 &&
		    memcmp(h->data, "\xEF\xBB\xBF", 3) == 0)
			scanned = 3;
		for (; scanned < h->len; scanned++) {
			unsigned char c = (unsigned char)h->data[scanned];
			if (!quoted && (c == '\n' || c == '\r')) {
				if (begun)
					return 0;
				continue;
			}
			begun = true;
			if (c == '"')
				quoted = !quoted;
		}
	}
	return 0;
}

static int check_header(struct segment *seg, char **err)
{
	if (seg->invalid.len > 0) {
		*err = xasprintf("%s:%llu: the header has a %s", seg->name,
				 (unsigned long long)seg->rec_line,
				 seg->invalid.data);
		return -1;
	}
	seg->ncolumns = seg->nstored;
	seg->columns = xcalloc(seg->ncolumns, sizeof *seg->columns);
	for (size_t i = 0; i < seg->ncolumns; i++)
		seg->columns[i] = xstrndup(seg->data.data + seg->offs[i],
					   seg->lens[i]);
	for (size_t i = 0; i < seg->ncolumns; i++) {
		if (seg->columns[i][0] == '\0') {
			*err = xasprintf("%s:%llu: column %zu of the header has "
					 "an empty name", seg->name,
					 (unsigned long long)seg->rec_line, i + 1);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(seg->columns[i], seg->columns[j]) != 0)
				continue;
			struct hc_buf b;
			hc_buf_init(&b);
			hc_buf_add_quoted(&b, seg->columns[i],
					  strlen(seg->columns[i]));
			*err = xasprintf("%s:%llu: columns %zu and %zu of the "
					 "header have the same name %s",
					 seg->name,
					 (unsigned long long)seg->rec_line,
					 j + 1, i + 1, b.data);
			hc_buf_free(&b);
			return -1;
		}
	}
	seg->have_header = true;
	return 0;
}

static void pf_start(struct segment *seg);

static struct segment *segment_new(const char *path,
				   const struct segment_opts *opts,
				   bool count_only, char **err)
{
	struct segment *seg = xcalloc(1, sizeof *seg);
	bool is_stdin = strcmp(path, "-") == 0;
	seg->name = xstrdup(is_stdin ? "stdin" : path);
	seg->field_max = opts && opts->field_max ? opts->field_max
						 : SEGMENT_FIELD_MAX_DEFAULT;
	seg->count_only = count_only;
	if (opts) {
		seg->on_bytes = opts->on_bytes;
		seg->bytes_ud = opts->bytes_ud;
		seg->on_row = opts->on_row;
		seg->row_ud = opts->row_ud;
		seg->read_max = opts->read_max;
	}
	seg->buf_size = opts && opts->buf_size ? opts->buf_size
					       : SEGMENT_BUF_SIZE_DEFAULT;
	seg->line = 1;
	seg->at_line_start = true;
	seg->need_start = true;
	hc_buf_init(&seg->data);
	hc_buf_init(&seg->invalid);
	hc_buf_init(&seg->head);
	if (is_stdin) {
		seg->fd = STDIN_FILENO;
	} else {
		seg->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (seg->fd < 0) {
			*err = xasprintf("%s: cannot open: %s", path,
					 strerror(errno));
			segment_free(seg);
			return NULL;
		}
		seg->own_fd = true;
#ifdef POSIX_FADV_SEQUENTIAL
		(void)posix_fadvise(seg->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	seg->buf = xmalloc(seg->buf_size);
	if (read_head(seg) < 0)
		goto fatal;
	if (seg->head.len >= 3 &&
	    memcmp(seg->head.data, "\xEF\xBB\xBF", 3) == 0) {
		seg->head_pos = 3; /* the BOM is skipped, not fed */
		seg->buf_offset = 3;
	}
	if (seg->head_pos == seg->head.len && seg->fd_eof) {
		*err = xasprintf("%s: the file is empty: the first line must "
				 "name the columns", seg->name);
		segment_free(seg);
		return NULL;
	}
	if (opts && opts->delimiter) {
		seg->delim = opts->delimiter;
	} else {
		seg->delim = detect_delimiter(
			(const unsigned char *)seg->head.data + seg->head_pos,
			seg->head.len - seg->head_pos);
		seg->detected = true;
	}
	if (csv_init(&seg->csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		*err = xasprintf("%s: cannot start the CSV parser", seg->name);
		segment_free(seg);
		return NULL;
	}
	seg->csv_ready = true;
	csv_set_delim(&seg->csv, (unsigned char)seg->delim);
	csv_set_space_func(&seg->csv, never_space);
	csv_set_blk_size(&seg->csv, CSV_BLOCK);

	int r = pump(seg);
	if (r < 0)
		goto fatal;
	if (r == 0) {
		*err = xasprintf("%s: the file has no header line: the first "
				 "line must name the columns", seg->name);
		segment_free(seg);
		return NULL;
	}
	if (check_header(seg, err) < 0) {
		segment_free(seg);
		return NULL;
	}
	record_reset(seg);
	if (opts && opts->prefetch && !count_only)
		pf_start(seg);
	return seg;
fatal:
	*err = xstrdup(seg->fatal.msg);
	segment_free(seg);
	return NULL;
}

struct segment *segment_open(const char *path, const struct segment_opts *opts,
			     char **err)
{
	return segment_new(path, opts, false, err);
}

static void pf_stop(struct segment *seg);

void segment_free(struct segment *seg)
{
	if (seg == NULL)
		return;
	if (seg->pf)
		pf_stop(seg);
	if (seg->csv_ready) {
		if (!seg->fini_done) /* always pair csv_init with csv_fini */
			csv_fini(&seg->csv, on_field, on_record, seg);
		csv_free(&seg->csv);
	}
	if (seg->own_fd)
		close(seg->fd);
	for (size_t i = 0; i < seg->ncolumns; i++)
		free(seg->columns[i]);
	free(seg->columns);
	free(seg->buf);
	hc_buf_free(&seg->head);
	hc_buf_free(&seg->data);
	hc_buf_free(&seg->invalid);
	free(seg->offs);
	free(seg->lens);
	free(seg->fields);
	free(seg->fatal_msg);
	free(seg->name);
	free(seg);
}

static int parse_next(struct segment *seg, struct segment_row *row)
{
	if (seg->failed)
		return -1;
	record_reset(seg);
	int r = pump(seg);
	if (r <= 0)
		return r;
	seg->rows++;
	if (seg->invalid.len == 0 && seg->nseen != seg->ncolumns)
		hc_buf_printf(&seg->invalid, "has %zu field%s, expected %zu",
			      seg->nseen, seg->nseen == 1 ? "" : "s",
			      seg->ncolumns);
	for (size_t i = 0; i < seg->nstored; i++)
		seg->fields[i] = seg->data.data + seg->offs[i];
	row->row = seg->rows;
	row->line = seg->rec_line;
	row->offset = seg->rec_offset;
	row->nfields = seg->nstored;
	row->fields = seg->fields;
	row->lens = seg->lens;
	row->invalid = seg->invalid.len ? seg->invalid.data : NULL;
	row->tag = NULL;
	return 1;
}


/*
 * Prefetch: with segment_opts.prefetch, a thread of the segment's own
 * parses ahead of segment_next(), on the other core. It copies records into
 * blocks of up to PF_ROWS rows (or PF_BYTES of field data, or one record
 * if longer) and queues them; segment_next() hands out the rows of the
 * block at the head, and gives the block back once they are used up. At
 * most PF_BLOCKS blocks wait, so memory stays bounded whatever the file.
 *
 * Ownership: the thread alone touches the parser (everything in struct
 * segment below the header) until it queues its last block, the one that
 * ends with the end of the file or a fatal error; the caller reads the
 * fatal error only after taking that block, under the lock. The caller
 * alone touches its current block. segment_free() stops the thread and
 * joins it. on_bytes is called on the thread.
 *
 * Only a regular file is read this way: its read() never waits on anyone,
 * so the thread always gets to see that it must stop.
 */
#define PF_ROWS 1024
#define PF_BYTES ((size_t)64 * 1024)
#define PF_BLOCKS 4

struct pf_row {
	uint64_t row, line, offset;
	size_t first, nfields; /* into the block's fields and lens */
	size_t invalid;        /* into data, or SIZE_MAX: valid */
	bool has_tag;
	char tag[SEGMENT_TAG_MAX]; /* what on_row wrote */
};

struct pf_block {
	struct pf_block *next;
	struct hc_buf data;  /* the fields, NUL-terminated, back to back */
	size_t *offs;        /* each field's offset in data, then... */
	const char **fields; /* ...its address, once the block is full */
	size_t *lens;
	size_t nf, fcap, fields_cap;
	struct pf_row *rows;
	size_t nrows, rcap;
	size_t taken;        /* rows handed out by segment_next() */
	bool last;           /* the parser's end: end is 0 or -1 */
	int end;
	uint64_t lines, bytes; /* read by the parser when the block closed */
};

struct prefetch {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pf_block *head, *tail; /* queued, for the caller */
	size_t queued;
	struct pf_block *spare;       /* given back */
	bool stop;
	struct pf_block *cur;         /* the caller's */
	uint64_t lines, bytes;
};

static void pf_block_free(struct pf_block *b)
{
	hc_buf_free(&b->data);
	free(b->offs);
	free(b->fields);
	free(b->lens);
	free(b->rows);
	free(b);
}

/* Copy the record just parsed (row, from seg) into b. */
static void pf_add(struct pf_block *b, const struct segment *seg,
		   const struct segment_row *row)
{
	if (b->nrows == b->rcap) {
		b->rcap = b->rcap ? b->rcap * 2 : 64;
		b->rows = xreallocarray(b->rows, b->rcap, sizeof *b->rows);
	}
	if (b->nf + row->nfields > b->fcap) {
		while (b->nf + row->nfields > b->fcap)
			b->fcap = b->fcap ? b->fcap * 2 : 256;
		b->offs = xreallocarray(b->offs, b->fcap, sizeof *b->offs);
		b->lens = xreallocarray(b->lens, b->fcap, sizeof *b->lens);
	}
	struct pf_row *r = &b->rows[b->nrows++];
	r->row = row->row;
	r->line = row->line;
	r->offset = row->offset;
	r->first = b->nf;
	r->nfields = row->nfields;
	/* The record's fields lie back to back in seg->data, each ending in
	 * a NUL: one copy, and their offsets moved by where it lands. */
	size_t base = b->data.len;
	hc_buf_add(&b->data, seg->data.data, seg->data.len);
	for (size_t i = 0; i < row->nfields; i++)
		b->offs[b->nf + i] = base + seg->offs[i];
	memcpy(b->lens + b->nf, row->lens, row->nfields * sizeof *b->lens);
	b->nf += row->nfields;
	r->invalid = SIZE_MAX;
	r->has_tag = false;
	if (row->invalid) {
		r->invalid = b->data.len;
		hc_buf_add(&b->data, row->invalid, strlen(row->invalid) + 1);
	} else if (seg->on_row) {
		seg->on_row(seg->row_ud, row, r->tag);
		r->has_tag = true;
	}
}

static void *pf_main(void *arg)
{
	struct segment *seg = arg;
	struct prefetch *pf = seg->pf;
	for (;;) {
		pthread_mutex_lock(&pf->mu);
		while (!pf->stop && pf->queued >= PF_BLOCKS)
			pthread_cond_wait(&pf->cv, &pf->mu);
		struct pf_block *b = pf->spare;
		if (b)
			pf->spare = b->next;
		bool stop = pf->stop;
		pthread_mutex_unlock(&pf->mu);
		if (stop) {
			if (b)
				pf_block_free(b);
			return NULL;
		}
		if (b == NULL)
			b = xcalloc(1, sizeof *b);
		hc_buf_reset(&b->data);
		b->nf = b->nrows = b->taken = 0;
		b->next = NULL;
		while (b->nrows < PF_ROWS && b->data.len < PF_BYTES) {
			struct segment_row row;
			int r = parse_next(seg, &row);
			if (r <= 0) {
				b->last = true;
				b->end = r;
				break;
			}
			pf_add(b, seg, &row);
		}
		if (b->fields_cap < b->fcap) {
			b->fields = xreallocarray(b->fields, b->fcap,
						  sizeof *b->fields);
			b->fields_cap = b->fcap;
		}
		for (size_t i = 0; i < b->nf; i++)
			b->fields[i] = b->data.data + b->offs[i];
		b->lines = seg->line - 1;
		b->bytes = seg->buf_offset + seg->start;
		bool last = b->last;
		pthread_mutex_lock(&pf->mu);
		if (pf->tail)
			pf->tail->next = b;
		else
			pf->head = b;
		pf->tail = b;
		pf->queued++;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
		if (last)
			return NULL;
	}
}

static void pf_start(struct segment *seg)
{
	struct stat st;
	if (fstat(seg->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	struct prefetch *pf = xcalloc(1, sizeof *pf);
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cv, NULL);
	seg->pf = pf;
	/* Signals stay with the threads that wait for them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&pf->thread, NULL, pf_main, seg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		pthread_setname_np(pf->thread, "hc-reader");
	if (r != 0) { /* then parse in the caller, as without prefetch */
		pthread_cond_destroy(&pf->cv);
		pthread_mutex_destroy(&pf->mu);
		free(pf);
		seg->pf = NULL;
	}
}

static void pf_stop(struct segment *seg)
{
	struct prefetch *pf = seg->pf;
	pthread_mutex_lock(&pf->mu);
	pf->stop = true;
	pthread_cond_broadcast(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
	pthread_join(pf->thread, NULL);
	for (struct pf_block *b = pf->head, *n; b; b = n) {
		n = b->next;
		pf_block_free(b);
	}
	for (struct pf_block *b = pf->spare, *n; b; b = n) {
		n = b->next;
		pf_block_free(b);
	}
	if (pf->cur)
		pf_block_free(pf->cur);
	pthread_cond_destroy(&pf->cv);
	pthread_mutex_destroy(&pf->mu);
	free(pf);
	seg->pf = NULL;
}

static int pf_next(struct prefetch *pf, struct segment_row *row)
{
	for (;;) {
		struct pf_block *b = pf->cur;
		if (b && b->taken < b->nrows) {
			const struct pf_row *r = &b->rows[b->taken++];
			row->row = r->row;
			row->line = r->line;
			row->offset = r->offset;
			row->nfields = r->nfields;
			row->fields = b->fields + r->first;
			row->lens = b->lens + r->first;
			row->invalid = r->invalid == SIZE_MAX
					       ? NULL
					       : b->data.data + r->invalid;
			row->tag = r->has_tag ? r->tag : NULL;
			return 1;
		}
		if (b && b->last)
			return b->end < 0 ? -1 : 0;
		pthread_mutex_lock(&pf->mu);
		if (b) {
			b->next = pf->spare;
			pf->spare = b;
		}
		while (pf->head == NULL)
			pthread_cond_wait(&pf->cv, &pf->mu);
		b = pf->head;
		pf->head = b->next;
		if (pf->head == NULL)
			pf->tail = NULL;
		pf->queued--;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
		pf->cur = b;
		pf->lines = b->lines;
		pf->bytes = b->bytes;
	}
}

int segment_next(struct segment *seg, struct segment_row *row)
{
	if (seg->pf)
		return pf_next(seg->pf, row);
	return parse_next(seg, row);
}

const struct segment_fatal *segment_fatal(const struct segment *seg)
{
	return seg->failed ? &seg->fatal : NULL;
}

const char *segment_name(const struct segment *seg)
{
	return seg->name;
}

char segment_delimiter(const struct segment *seg)
{
	return seg->delim;
}

bool segment_delimiter_detected(const struct segment *seg)
{
	return seg->detected;
}

size_t segment_ncolumns(const struct segment *seg)
{
	return seg->ncolumns;
}

const char *segment_column(const struct segment *seg, size_t i)
{
	return i < seg->ncolumns ? seg->columns[i] : NULL;
}

long segment_column_index(const struct segment *seg, const char *name)
{
	for (size_t i = 0; i < seg->ncolumns; i++)
		if (strcmp(seg->columns[i], name) == 0)
			return (long)i;
	return -1;
}

uint64_t segment_lines_read(const struct segment *seg)
{
	if (seg->pf)
		return seg->pf->lines;
	return seg->line - 1;
}

uint64_t segment_bytes_read(const struct segment *seg)
{
	if (seg->pf)
		return seg->pf->bytes;
	return seg->buf_offset + seg->start;
}

int segment_count(const char *path, const struct segment_opts *opts,
		  struct segment_counts *counts, char **err)
{
	memset(counts, 0, sizeof *counts);
	struct segment *seg = segment_new(path, opts, true, err);
	if (seg == NULL)
		return -1;
	struct segment_row row;
	int r;
	while ((r = segment_next(seg, &row)) > 0) {
		counts->rows++;
		if (row.invalid)
			counts->invalid++;
	}
	counts->lines = segment_lines_read(seg);
	if (r < 0)
		*err = xstrdup(seg->fatal.msg);
	segment_free(seg);
	return r < 0 ? -1 : 0;
}
