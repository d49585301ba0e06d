/* Unit tests of the segment reader, including each libcsv trap in
 * PITFALLS.md. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hookcast/segment.h"
#include "testutil.h"

/* Read every record of text; returns the open segment for more checks. */
struct collected {
	size_t n;
	struct {
		uint64_t row, line, offset;
		size_t nfields;
		char *f[8];
		size_t lens[8];
		char *invalid;
	} r[64];
	int last; /* segment_next's last return */
	char *fatal;
	uint64_t fatal_line, fatal_offset;
};

static void collect_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++) {
		for (size_t k = 0; k < 8; k++)
			free(c->r[i].f[k]);
		free(c->r[i].invalid);
	}
	free(c->fatal);
}

static struct segment *open_text(const char *name, const void *data,
				 size_t len, const struct segment_opts *o,
				 char **err)
{
	char *path = tu_write(name, data, len);
	*err = NULL;
	struct segment *seg = segment_open(path, o, err);
	free(path);
	return seg;
}

static void collect(struct segment *seg, struct collected *c)
{
	memset(c, 0, sizeof *c);
	struct segment_row row;
	while ((c->last = segment_next(seg, &row)) > 0 && c->n < 64) {
		c->r[c->n].row = row.row;
		c->r[c->n].line = row.line;
		c->r[c->n].offset = row.offset;
		c->r[c->n].nfields = row.nfields;
		for (size_t k = 0; k < row.nfields && k < 8; k++) {
			c->r[c->n].f[k] = xstrndup(row.fields[k], row.lens[k]);
			c->r[c->n].lens[k] = row.lens[k];
		}
		if (row.invalid)
			c->r[c->n].invalid = xstrdup(row.invalid);
		c->n++;
	}
	if (c->last < 0) {
		const struct segment_fatal *f = segment_fatal(seg);
		c->fatal = xstrdup(f->msg);
		c->fatal_line = f->line;
		c->fatal_offset = f->offset;
	}
}

static void read_all(const char *text, size_t len, struct collected *c,
		     struct segment **out)
{
	char *err = NULL;
	struct segment *seg = open_text("t.csv", text, len, NULL, &err);
	if (seg == NULL)
		fail_msg("open failed: %s", err);
	collect(seg, c);
	if (out)
		*out = seg;
	else
		segment_free(seg);
}

static void test_basic_and_positions(void **state)
{
	(void)state;
	const char t[] = "id,email\n1,a@x\n2,b@x\n";
	struct collected c;
	struct segment *seg;
	read_all(t, sizeof t - 1, &c, &seg);
	assert_int_equal(segment_ncolumns(seg), 2);
	assert_string_equal(segment_column(seg, 1), "email");
	assert_int_equal(segment_delimiter(seg), ',');
	assert_int_equal(c.last, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.r[0].row, 1);
	assert_int_equal(c.r[0].line, 2);
	assert_int_equal(c.r[0].offset, 9);
	assert_int_equal(c.r[1].row, 2);
	assert_int_equal(c.r[1].line, 3);
	assert_int_equal(c.r[1].offset, 15);
	assert_string_equal(c.r[1].f[1], "b@x");
	assert_null(c.r[0].invalid);
	collect_free(&c);
	segment_free(seg);
}

static void test_bom_stripped(void **state)
{
	(void)state;
	const char t[] = "\xEF\xBB\xBF\"id\",name\n1,x\n";
	struct collected c;
	struct segment *seg;
	read_all(t, sizeof t - 1, &c, &seg);
	assert_string_equal(segment_column(seg, 0), "id");
	assert_int_equal(segment_column_index(seg, "id"), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].offset, 13);
	collect_free(&c);
	segment_free(seg);
}

static void test_crlf_and_cr_only(void **state)
{
	(void)state;
	const char crlf[] = "a,b\r\n1,2\r\n3,4\r\n";
	struct collected c;
	read_all(crlf, sizeof crlf - 1, &c, NULL);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.r[0].f[1], "2"); /* no stray \r */
	assert_int_equal(c.r[1].line, 3);
	collect_free(&c);

	const char cr[] = "a,b\r1,2\r3,4\r";
	read_all(cr, sizeof cr - 1, &c, NULL);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.r[1].f[0], "3");
	assert_int_equal(c.r[1].line, 3);
	assert_int_equal(c.r[1].offset, 8);
	collect_free(&c);
}

static void test_quoted_newlines_delims_quotes(void **state)
{
	(void)state;
	const char t[] = "a,b\n\"x,\ny\",\"say \"\"hi\"\"\"\n2,3\n";
	struct collected c;
	read_all(t, sizeof t - 1, &c, NULL);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.r[0].f[0], "x,\ny");
	assert_string_equal(c.r[0].f[1], "say \"hi\"");
	assert_int_equal(c.r[0].line, 2);
	assert_int_equal(c.r[1].line, 4); /* the quoted newline counts */
	collect_free(&c);
}

static void test_last_line_without_newline(void **state)
{
	(void)state;
	/* Without csv_fini the last row is lost (PITFALLS: libcsv). */
	const char t[] = "a,b\n1,2\n3,4";
	struct collected c;
	read_all(t, sizeof t - 1, &c, NULL);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.r[1].f[1], "4");
	assert_int_equal(c.last, 0);
	collect_free(&c);
}

static void test_whitespace_is_data(void **state)
{
	(void)state;
	/* libcsv trims unquoted fields unless told not to. */
	const char t[] = "a,b,c\na, b ,c\n\t1,2 ,\" 3\"\n";
	struct collected c;
	read_all(t, sizeof t - 1, &c, NULL);
	assert_string_equal(c.r[0].f[1], " b ");
	assert_string_equal(c.r[1].f[0], "\t1");
	assert_string_equal(c.r[1].f[1], "2 ");
	assert_string_equal(c.r[1].f[2], " 3");
	collect_free(&c);
}

static void test_unbalanced_quote_fatal(void **state)
{
	(void)state;
	/* One stray quote would fold every later row into one field. */
	const char t[] = "a,b\n1,2\n\"3,4\n5,6\n7,8\n";
	struct collected c;
	read_all(t, sizeof t - 1, &c, NULL);
	assert_int_equal(c.last, -1);
	assert_int_equal(c.n, 1); /* only the row before it */
	assert_non_null(strstr(c.fatal, "t.csv:3: unbalanced quote: the quoted "
					"field in column 1 \"a\" of row 2"));
	assert_int_equal(c.fatal_line, 3);
	assert_int_equal(c.fatal_offset, sizeof t - 1); /* the end */
	assert_non_null(strstr(c.fatal, "(at byte offset 21)"));
	collect_free(&c);
}

static void test_stray_quote_in_unquoted_field(void **state)
{
	(void)state;
	const char t[] = "a,b\n1,2\n3,4\"x\n5,6\n";
	struct collected c;
	read_all(t, sizeof t - 1, &c, NULL);
	assert_int_equal(c.last, -1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.fatal_line, 3);
	assert_int_equal(c.fatal_offset, 11); /* the quote, from 0 */
	assert_non_null(strstr(c.fatal, "t.csv:3: malformed quoting"));
	assert_non_null(strstr(c.fatal, "(at byte offset 11)"));
	/* Nothing after a fatal error is trusted. */
	char *err;
	struct segment *seg = open_text("q.csv", t, sizeof t - 1, NULL, &err);
	struct segment_row row;
	assert_int_equal(segment_next(seg, &row), 1);
	assert_int_equal(segment_next(seg, &row), -1);
	assert_int_equal(segment_next(seg, &row), -1);
	segment_free(seg);
	collect_free(&c);
}

static void test_nul_byte_invalid_row(void **state)
{
	(void)state;
	const char t[] = "id,email\n1,a\0b\n2,c\n";
	struct collected c;
	read_all(t, sizeof t - 1, &c, NULL);
	assert_int_equal(c.n, 2);
	assert_non_null(c.r[0].invalid);
	assert_non_null(strstr(c.r[0].invalid, "NUL byte in column 2 \"email\""));
	assert_null(c.r[1].invalid);
	assert_int_equal(c.last, 0);
	collect_free(&c);
}

static void test_nul_in_field_over_reads(void **state)
{
	(void)state;
	/* The NUL and the field's end arrive in different reads, one byte at
	 * a time: the row is still found invalid. The next row is clean. */
	const char t[] = "id,v\n1,\"a\0\r\nb\"\n2,c\n";
	for (size_t read_max = 1; read_max <= 4; read_max++) {
		struct segment_opts o = { .read_max = read_max };
		char *err = NULL;
		struct segment *seg = open_text("t.csv", t, sizeof t - 1, &o, &err);
		assert_non_null(seg);
		struct collected c;
		collect(seg, &c);
		assert_int_equal(c.last, 0);
		assert_int_equal(c.n, 2);
		assert_non_null(c.r[0].invalid);
		assert_non_null(strstr(c.r[0].invalid, "NUL byte in column 2"));
		assert_null(c.r[1].invalid);
		assert_string_equal(c.r[1].f[1], "c");
		collect_free(&c);
		segment_free(seg);
	}
}

static void test_ragged_rows(void **state)
{
	(void)state;
	const char t[] = "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n";
	struct collected c;
	read_all(t, sizeof t - 1, &c, NULL);
	assert_int_equal(c.n, 4);
	assert_null(c.r[0].invalid);
	assert_string_equal(c.r[1].invalid, "has 2 fields, expected 3");
	assert_int_equal(c.r[1].line, 3);
	assert_string_equal(c.r[2].invalid, "has 4 fields, expected 3");
	assert_int_equal(c.r[2].nfields, 3); /* extra fields are not kept */
	assert_null(c.r[3].invalid);
	assert_string_equal(c.r[3].f[2], "12");
	assert_int_equal(c.r[3].row, 4);
	collect_free(&c);
}

static void test_empty_and_header_only(void **state)
{
	(void)state;
	char *err = NULL;
	struct segment *seg = open_text("empty.csv", "", 0, NULL, &err);
	assert_null(seg);
	assert_non_null(strstr(err, "empty.csv: the file is empty"));
	free(err);

	seg = open_text("bom.csv", "\xEF\xBB\xBF", 3, NULL, &err);
	assert_null(seg);
	assert_non_null(strstr(err, "is empty"));
	free(err);

	seg = open_text("blank.csv", "\n\r\n", 3, NULL, &err);
	assert_null(seg);
	assert_non_null(strstr(err, "no header line"));
	free(err);

	struct collected c;
	read_all("a,b\n", 4, &c, &seg);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.last, 0);
	assert_int_equal(segment_ncolumns(seg), 2);
	segment_free(seg);
	collect_free(&c);
}

static void test_header_errors(void **state)
{
	(void)state;
	char *err = NULL;
	struct segment *seg = open_text("dup.csv", "id,email,id\n1,2,3\n", 18,
					NULL, &err);
	assert_null(seg);
	assert_non_null(strstr(err, "/dup.csv:1: "));
	assert_non_null(strstr(err, "columns 1 and 3 of the header have the "
				    "same name \"id\""));
	free(err);

	seg = open_text("emptyname.csv", "id,,x\n1,2,3\n", 12, NULL, &err);
	assert_null(seg);
	assert_non_null(strstr(err, ":1: column 2 of the header has an "
				    "empty name"));
	free(err);
}

static void test_blank_lines_skipped(void **state)
{
	(void)state;
	const char t[] = "a\n\n1\n\r\n\n2\n";
	struct collected c;
	read_all(t, sizeof t - 1, &c, NULL);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.r[0].line, 3);
	assert_int_equal(c.r[1].line, 6);
	assert_int_equal(c.r[1].row, 2);
	collect_free(&c);
}

static void test_delimiter_detection(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		char delim;
	} cases[] = {
		{ "a;b;c\n1;2;3\n", ';' },
		{ "a\tb\tc\n1\t2\t3\n", '\t' },
		{ "a|b|c\n1|2|3\n", '|' },
		{ "\"x,y\";b\n1;2\n", ';' },
		{ "single\n1\n", ',' },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct collected c;
		struct segment *seg;
		read_all(cases[i].text, strlen(cases[i].text), &c, &seg);
		assert_int_equal(segment_delimiter(seg), cases[i].delim);
		assert_true(segment_delimiter_detected(seg));
		assert_int_equal(c.n, 1);
		assert_null(c.r[0].invalid);
		segment_free(seg);
		collect_free(&c);
	}
	/* A forced delimiter wins over detection. */
	struct segment_opts o = { .delimiter = ';' };
	char *err;
	struct segment *seg = open_text("f.csv", "a,b;c\n1,2;3\n", 12, &o, &err);
	assert_int_equal(segment_ncolumns(seg), 2);
	assert_string_equal(segment_column(seg, 0), "a,b");
	segment_free(seg);
}

static void test_field_cap_1mb(void **state)
{
	(void)state;
	size_t big = 1024 * 1024;
	char *t = xmalloc(big + 64);
	size_t n = (size_t)sprintf(t, "a,b\n1,");
	memset(t + n, 'x', big);
	n += big;
	n += (size_t)sprintf(t + n, "\n2,3\n");
	struct collected c;
	read_all(t, n, &c, NULL);
	assert_int_equal(c.last, -1);
	assert_int_equal(c.n, 0);
	assert_non_null(strstr(c.fatal, "column 2 \"b\" of row 1 is longer "
					"than 65536 bytes"));
	collect_free(&c);

	/* The cap is configurable: the same row passes under 2 MiB. */
	struct segment_opts o = { .field_max = 2 * 1024 * 1024 };
	char *err;
	struct segment *seg = open_text("big.csv", t, n, &o, &err);
	collect(seg, &c);
	assert_int_equal(c.last, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.r[0].lens[1], big);
	segment_free(seg);
	collect_free(&c);
	free(t);
}

static void test_field_exactly_at_cap(void **state)
{
	(void)state;
	struct segment_opts o = { .field_max = 10 };
	char *err;
	struct segment *seg = open_text("cap.csv", "a\n0123456789\n01234567890\n",
					25, &o, &err);
	struct collected c;
	collect(seg, &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.r[0].f[0], "0123456789");
	assert_int_equal(c.last, -1);
	assert_non_null(strstr(c.fatal, "longer than 10 bytes"));
	segment_free(seg);
	collect_free(&c);
}

static void test_runaway_quote_fails_fast(void **state)
{
	(void)state;
	/* A broken quote near the start of a large file stops at the cap,
	 * long before the end of the file. */
	size_t n = 4 * 1024 * 1024;
	char *t = xmalloc(n);
	size_t k = (size_t)sprintf(t, "a,b\n\"1,2\n");
	while (k + 6 < n)
		k += (size_t)sprintf(t + k, "3,4,\n");
	struct segment *seg;
	struct collected c;
	read_all(t, k, &c, &seg);
	assert_int_equal(c.last, -1);
	assert_non_null(strstr(c.fatal, "t.csv:2: column 1 \"a\" of row 1 is "
					"longer than 65536 bytes; it opens "
					"with a quote at line 2 that may "
					"never close"));
	assert_true(segment_bytes_read(seg) < 512 * 1024);
	segment_free(seg);
	collect_free(&c);
	free(t);
}

/* A CR that is the last byte of the first 64 KiB read, with its LF in
 * the next read: still one line break, not two. */
static void test_crlf_split_across_reads(void **state)
{
	(void)state;
	const size_t m = 65536 - 8; /* "a,b\r\n" + "1," + m x's puts \r at 65535 */
	char *t = xmalloc(m + 64);
	size_t k = (size_t)sprintf(t, "a,b\r\n1,");
	memset(t + k, 'x', m);
	k += m;
	assert_int_equal(k, 65535);
	k += (size_t)sprintf(t + k, "\r\n2,y\r\n3,z\r\n");
	struct collected c;
	read_all(t, k, &c, NULL);
	assert_int_equal(c.last, 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.r[0].lens[1], m);
	assert_int_equal(c.r[1].line, 3);
	assert_int_equal(c.r[1].offset, 65537);
	assert_int_equal(c.r[2].line, 4);
	assert_string_equal(c.r[2].f[1], "z");
	collect_free(&c);
	free(t);
}

static void test_long_line_over_buffer(void **state)
{
	(void)state;
	struct segment_opts o = { .field_max = 300 * 1024 };
	size_t n = 200 * 1024;
	char *t = xmalloc(n + 64);
	size_t k = (size_t)sprintf(t, "a,b\n1,\"");
	memset(t + k, 'q', n);
	k += n;
	k += (size_t)sprintf(t + k, "\"\n2,3\n");
	char *err;
	struct segment *seg = open_text("long.csv", t, k, &o, &err);
	struct collected c;
	collect(seg, &c);
	assert_int_equal(c.last, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.r[0].lens[1], n);
	assert_int_equal(c.r[1].line, 3);
	segment_free(seg);
	collect_free(&c);
	free(t);
}

static void test_count(void **state)
{
	(void)state;
	char *path = tu_writes("count.csv", "a,b\n1,2\n3\n\"4\",5\n6,7,8\n");
	struct segment_counts n;
	char *err = NULL;
	assert_int_equal(segment_count(path, NULL, &n, &err), 0);
	assert_int_equal(n.rows, 4);
	assert_int_equal(n.invalid, 2);
	free(path);

	path = tu_writes("countbad.csv", "a,b\n1,2\n3,4\"\n5,6\n");
	assert_int_equal(segment_count(path, NULL, &n, &err), -1);
	assert_int_equal(n.rows, 1);
	assert_non_null(strstr(err, "countbad.csv:3:"));
	free(err);
	free(path);

	err = NULL;
	assert_int_equal(segment_count("/nonexistent/x.csv", NULL, &n, &err), -1);
	assert_non_null(strstr(err, "/nonexistent/x.csv: cannot open"));
	free(err);
}


/* ---- The read buffer's boundary (a CR as the last byte of a full read
 * once hung the reader) ---- */

struct want_row {
	uint64_t line, offset;
	const char *f[2]; /* two fields; NULL: the one-column file */
	size_t lens[2];
};

struct want {
	const char *cols[2];
	size_t col_lens[2];
	size_t ncols;
	struct want_row rows[2];
	size_t nrows;
	const char *open_err; /* a substring, when opening must fail */
	const char *fatal;    /* a substring, when reading must fail */
	uint64_t fatal_offset;
};

static void fmt_case(char *what, size_t n, const char *kind, size_t l,
		     const char *eol, const struct segment_opts *o)
{
	snprintf(what, n, "%s, line of %zu bytes, ending %s, buffer %zu, "
		 "reads of %zu", kind, l,
		 eol[0] == '\n' ? "LF" : eol[1] == '\n' ? "CRLF" : "CR",
		 o->buf_size ? o->buf_size : SEGMENT_BUF_SIZE_DEFAULT,
		 o->read_max);
}

static bool same(const char *p, size_t n, const char *q, size_t m)
{
	return n == m && memcmp(p, q, n) == 0;
}

/* Read t and compare every row, field, line and offset with w. */
static void expect(const char *what, const struct hc_buf *t,
		   const struct segment_opts *o, const struct want *w)
{
	char *path = tu_write("sweep.csv", t->data, t->len);
	char *err = NULL;
	struct segment *seg = segment_open(path, o, &err);
	free(path);
	if (w->open_err) {
		if (seg != NULL || strstr(err, w->open_err) == NULL)
			fail_msg("%s: opened, or not with \"%s\": %s", what,
				 w->open_err, err ? err : "(no error)");
		free(err);
		return;
	}
	if (seg == NULL)
		fail_msg("%s: %s", what, err);
	if (segment_ncolumns(seg) != w->ncols)
		fail_msg("%s: %zu columns", what, segment_ncolumns(seg));
	for (size_t i = 0; i < w->ncols; i++) {
		const char *c = segment_column(seg, i);
		if (!same(c, strlen(c), w->cols[i], w->col_lens[i]))
			fail_msg("%s: column %zu differs (%zu bytes)", what,
				 i + 1, strlen(c));
	}
	struct segment_row row;
	size_t n = 0;
	int r;
	while ((r = segment_next(seg, &row)) > 0) {
		if (n == w->nrows)
			fail_msg("%s: an extra row at line %llu", what,
				 (unsigned long long)row.line);
		const struct want_row *x = &w->rows[n++];
		if (row.invalid || row.line != x->line ||
		    row.offset != x->offset || row.nfields != w->ncols)
			fail_msg("%s: row %zu: line %llu offset %llu, %zu "
				 "fields, %s", what, n,
				 (unsigned long long)row.line,
				 (unsigned long long)row.offset, row.nfields,
				 row.invalid ? row.invalid : "valid");
		for (size_t i = 0; i < w->ncols; i++)
			if (!same(row.fields[i], row.lens[i], x->f[i],
				  x->lens[i]))
				fail_msg("%s: row %zu field %zu differs (%zu "
					 "bytes, want %zu)", what, n, i + 1,
					 row.lens[i], x->lens[i]);
	}
	if (n != w->nrows)
		fail_msg("%s: %zu rows, want %zu", what, n, w->nrows);
	if (w->fatal) {
		const struct segment_fatal *f = segment_fatal(seg);
		if (r != -1 || strstr(f->msg, w->fatal) == NULL ||
		    f->offset != w->fatal_offset)
			fail_msg("%s: want \"%s\" at %llu, got %s", what,
				 w->fatal, (unsigned long long)w->fatal_offset,
				 r == -1 ? f->msg : "no error");
	} else if (r != 0) {
		fail_msg("%s: %s", what, segment_fatal(seg)->msg);
	}
	segment_free(seg);
}

static char *run_of(char c, size_t n)
{
	char *p = xmalloc(n + 1);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

static const char *const eols[] = { "\n", "\r\n", "\r" };

/* Lines of 65,528 to 65,540 bytes (the line break excluded) end around
 * the 65,536-byte read buffer, with each line break: as the header, as
 * a data row, in a one-column file, and inside a quoted field. */
static void sweep_lines(const struct segment_opts *base)
{
	struct segment_opts o = *base;
	o.field_max = 1024 * 1024; /* here the buffer is tested, not the cap */
	char what[160];
	for (size_t l = 65528; l <= 65540; l++) {
		char *big = run_of('X', l);
		for (size_t e = 0; e < 3; e++) {
			const char *eol = eols[e];
			size_t el = strlen(eol);
			struct hc_buf t;
			hc_buf_init(&t);

			/* header: "a,XXX" */
			hc_buf_printf(&t, "a,%s%s1,2%s", big + 2, eol, eol);
			struct want w = {
				.cols = { "a", big }, .col_lens = { 1, l - 2 },
				.ncols = 2, .nrows = 1,
				.rows = { { 2, l + el, { "1", "2" }, { 1, 1 } } },
			};
			fmt_case(what, sizeof what, "header", l, eol, &o);
			expect(what, &t, &o, &w);

			/* data row: "1,XXX" */
			hc_buf_reset(&t);
			hc_buf_printf(&t, "h1,h2%s1,%s%s2,y%s", eol, big + 2,
				      eol, eol);
			struct want d = {
				.cols = { "h1", "h2" }, .col_lens = { 2, 2 },
				.ncols = 2, .nrows = 2,
				.rows = { { 2, 5 + el, { "1", big }, { 1, l - 2 } },
					  { 3, 5 + el + l + el, { "2", "y" },
					    { 1, 1 } } },
			};
			fmt_case(what, sizeof what, "data row", l, eol, &o);
			expect(what, &t, &o, &d);

			/* one column, the last line: "h1\nXXX" + eol */
			hc_buf_reset(&t);
			hc_buf_printf(&t, "h1\n%s%s", big, eol);
			struct want one = {
				.cols = { "h1" }, .col_lens = { 2 }, .ncols = 1,
				.nrows = 1,
				.rows = { { 2, 3, { big }, { l } } },
			};
			fmt_case(what, sizeof what, "one column", l, eol, &o);
			expect(what, &t, &o, &one);

			/* inside a quoted field, in a file that is LF
			 * otherwise: 1,"XXX<eol>R" */
			hc_buf_reset(&t);
			hc_buf_printf(&t, "a,b\n1,\"%s%sR\"\n2,z\n", big + 3,
				      eol);
			struct hc_buf f;
			hc_buf_init(&f);
			hc_buf_printf(&f, "%s%sR", big + 3, eol);
			struct want q = {
				.cols = { "a", "b" }, .col_lens = { 1, 1 },
				.ncols = 2, .nrows = 2,
				.rows = { { 2, 4, { "1", f.data }, { 1, f.len } },
					  { 4, 4 + l + el + 3, { "2", "z" },
					    { 1, 1 } } },
			};
			fmt_case(what, sizeof what, "quoted field", l, eol, &o);
			expect(what, &t, &o, &q);
			hc_buf_free(&f);
			hc_buf_free(&t);
		}
		free(big);
	}
}

static void test_sweep_buffer_boundary(void **state)
{
	(void)state;
	struct segment_opts whole = { 0 };
	sweep_lines(&whole);
	/* Reads that end elsewhere than the buffer do. */
	struct segment_opts odd = { .read_max = 4093 };
	sweep_lines(&odd);
}

/* A field of field_max - 1, field_max and field_max + 1 bytes (65,536
 * by default), each line break, unquoted and quoted, in the header and
 * in a row: the cap is exact, and the error names the byte past it. */
static void test_sweep_field_cap(void **state)
{
	(void)state;
	const size_t cap = SEGMENT_FIELD_MAX_DEFAULT;
	struct segment_opts o = { 0 };
	char what[160];
	for (size_t l = cap - 1; l <= cap + 1; l++) {
		char *big = run_of('X', l);
		bool over = l > cap;
		for (size_t e = 0; e < 3; e++) {
			const char *eol = eols[e];
			size_t el = strlen(eol);
			struct hc_buf t;
			hc_buf_init(&t);
			for (int quoted = 0; quoted <= 1; quoted++) {
				const char *qs = quoted ? "\"" : "";
				size_t ql = quoted ? 1 : 0;
				hc_buf_reset(&t);
				hc_buf_printf(&t, "h1,h2%s1,%s%s%s%s2,y%s", eol,
					      qs, big, qs, eol, eol);
				struct want d = {
					.cols = { "h1", "h2" },
					.col_lens = { 2, 2 }, .ncols = 2,
				};
				if (over) {
					d.fatal = quoted
						? "column 2 \"h2\" of row 1 is "
						  "longer than 65536 bytes; it "
						  "opens with a quote at line 2"
						: "column 2 \"h2\" of row 1 is "
						  "longer than 65536 bytes";
					d.fatal_offset = 5 + el + 2 + ql + cap;
				} else {
					d.nrows = 2;
					d.rows[0] = (struct want_row){
						2, 5 + el, { "1", big },
						{ 1, l } };
					d.rows[1] = (struct want_row){
						3, 5 + el + 2 + 2 * ql + l + el,
						{ "2", "y" }, { 1, 1 } };
				}
				fmt_case(what, sizeof what,
					 quoted ? "quoted cap" : "cap", l, eol,
					 &o);
				expect(what, &t, &o, &d);

				hc_buf_reset(&t);
				hc_buf_printf(&t, "a,%s%s%s%s1,2%s", qs, big, qs,
					      eol, eol);
				struct want h = {
					.cols = { "a", big },
					.col_lens = { 1, l }, .ncols = 2,
					.nrows = 1,
					.rows = { { 2, 2 + 2 * ql + l + el,
						    { "1", "2" }, { 1, 1 } } },
				};
				if (over)
					h.open_err = "column 2 of the header is "
						     "longer than 65536 bytes";
				fmt_case(what, sizeof what, "header cap", l, eol,
					 &o);
				expect(what, &t, &o, &h);
			}
			hc_buf_free(&t);
		}
		free(big);
	}
}

/* Every buffer size from 1 to 40 and reads of 1 to 3 bytes, parsed in
 * the caller or ahead on a thread, give exactly what the default buffer
 * gives, on inputs full of boundaries. */
static void test_small_buffers_agree(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t n;
	} inputs[] = {
#define IN(s) { s, sizeof s - 1 }
		IN("\xEF\xBB\xBF\"a\r\nb\";c\r\n1;\"x\r\r\ny\"\r\n\r\n2;3\r"),
		IN("h1\rXXXXXXX\r\nYY\r\r\n\"q\nq\"\n"),
		IN("a,b\n1,\"0123456789\"\n2,01234567890\n"),
		IN("a,b\n1,\"unclosed\n2,3\n"),
		IN("a,b\n1,2\"x\n"),
		IN("\n\r\na|b|\"c,d\"\n1|2|3\n4|5\n"),
		IN("a,b\n1,\"a\0\r\nb\"\n2,c\n"),
		/* the LF of a CRLF takes a quoted field past the cap */
		IN("a\n\"012345678\r\nX\"\n"),
#undef IN
	};
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		char *path = tu_write("agree.csv", inputs[i].s, inputs[i].n);
		struct segment_opts ref_o = { .field_max = 10 };
		char *err = NULL;
		struct segment *ref = segment_open(path, &ref_o, &err);
		struct collected want;
		assert_non_null(ref);
		collect(ref, &want);
		for (size_t bs = 1; bs <= 40; bs++) {
			for (size_t rm = 0; rm <= 7; rm++) {
				/* odd: parsed ahead on the segment's thread */
				struct segment_opts o = { .field_max = 10,
							  .buf_size = bs,
							  .read_max = rm / 2,
							  .prefetch = rm % 2 };
				struct segment *seg = segment_open(path, &o, &err);
				assert_non_null(seg);
				assert_int_equal(segment_delimiter(seg),
						 segment_delimiter(ref));
				struct collected got;
				collect(seg, &got);
				assert_int_equal(got.last, want.last);
				assert_int_equal(got.n, want.n);
				for (size_t r = 0; r < got.n; r++) {
					assert_int_equal(got.r[r].line,
							 want.r[r].line);
					assert_int_equal(got.r[r].offset,
							 want.r[r].offset);
					assert_int_equal(got.r[r].nfields,
							 want.r[r].nfields);
					for (size_t k = 0; k < got.r[r].nfields; k++)
						assert_memory_equal(
							got.r[r].f[k],
							want.r[r].f[k],
							want.r[r].lens[k] + 1);
					if (want.r[r].invalid)
						assert_string_equal(
							got.r[r].invalid,
							want.r[r].invalid);
					else
						assert_null(got.r[r].invalid);
				}
				if (want.fatal) {
					assert_string_equal(got.fatal, want.fatal);
					assert_int_equal(got.fatal_offset,
							 want.fatal_offset);
				}
				assert_int_equal(segment_lines_read(seg),
						 segment_lines_read(ref));
				collect_free(&got);
				segment_free(seg);
			}
		}
		collect_free(&want);
		segment_free(ref);
		free(path);
	}
}

/* Compare two readers of one file row by row: everything segment_next()
 * and segment_fatal() say. Returns the rows read. */
static size_t lockstep(struct segment *a, struct segment *b)
{
	struct segment_row x, y;
	size_t n = 0;
	for (;;) {
		int ra = segment_next(a, &x), rb = segment_next(b, &y);
		assert_int_equal(ra, rb);
		if (ra <= 0) {
			if (ra < 0) {
				assert_string_equal(segment_fatal(a)->msg,
						    segment_fatal(b)->msg);
				assert_int_equal(segment_fatal(a)->offset,
						 segment_fatal(b)->offset);
			}
			assert_int_equal(segment_lines_read(a),
					 segment_lines_read(b));
			assert_int_equal(segment_bytes_read(a),
					 segment_bytes_read(b));
			return n;
		}
		n++;
		assert_int_equal(x.row, y.row);
		assert_int_equal(x.line, y.line);
		assert_int_equal(x.offset, y.offset);
		assert_int_equal(x.nfields, y.nfields);
		for (size_t k = 0; k < x.nfields; k++) {
			assert_int_equal(x.lens[k], y.lens[k]);
			assert_memory_equal(x.fields[k], y.fields[k],
					    x.lens[k] + 1);
		}
		if (x.invalid)
			assert_string_equal(x.invalid, y.invalid);
		else
			assert_null(y.invalid);
	}
}

/* Parsed ahead on a thread, a file of many blocks (rows with line breaks
 * in quotes, ragged rows, NUL bytes, a field far longer than the others)
 * reads the same as in the caller, to its end or to a fatal error; and a
 * reader freed halfway stops its thread. */
static void test_prefetch_agrees(void **state)
{
	(void)state;
	struct hc_buf t;
	hc_buf_init(&t);
	hc_buf_adds(&t, "id,name,note\r\n");
	char *big = run_of('x', 300000);
	for (int i = 1; i <= 40000; i++) {
		if (i % 997 == 0)
			hc_buf_printf(&t, "%d,\"two\nlines\",\"a,b\"\"c\"\r\n", i);
		else if (i % 1499 == 0)
			hc_buf_printf(&t, "%d,ragged\n", i);
		else if (i % 3001 == 0)
			hc_buf_printf(&t, "%d,n%cl,x\n", i, '\0');
		else if (i == 20000)
			hc_buf_printf(&t, "%d,%s,y\n\n", i, big);
		else
			hc_buf_printf(&t, "%d,name %d,note\n", i, i);
	}
	free(big);
	for (int broken = 0; broken <= 1; broken++) {
		if (broken)
			hc_buf_adds(&t, "40001,\"never closed\n40002,b,c\n");
		char *path = tu_write("prefetch.csv", t.data, t.len);
		struct segment_opts plain = { .field_max = 400000 };
		struct segment_opts ahead = { .field_max = 400000,
					      .prefetch = true };
		char *err = NULL;
		struct segment *a = segment_open(path, &plain, &err);
		struct segment *b = segment_open(path, &ahead, &err);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(lockstep(a, b), 40000);
		segment_free(a);
		segment_free(b);
		for (int stop_at = 0; stop_at <= 9000; stop_at += 4500) {
			b = segment_open(path, &ahead, &err);
			assert_non_null(b);
			struct segment_row row;
			for (int i = 0; i < stop_at; i++)
				assert_int_equal(segment_next(b, &row), 1);
			segment_free(b);
		}
		free(path);
	}
	hc_buf_free(&t);
}

/* on_row, for a row tag: "ROW:FIRST FIELD:FIELDS", and on which thread. */
static pthread_t tag_thread;
static int tag_calls;

static void tag_row(void *ud, const struct segment_row *row, char *tag)
{
	(void)ud;
	tag_thread = pthread_self();
	tag_calls++;
	snprintf(tag, SEGMENT_TAG_MAX, "%llu:%s:%zu",
		 (unsigned long long)row->row, row->fields[0], row->nfields);
}

/* With prefetch, on_row writes each valid row's tag on the reader's
 * thread and segment_next() hands it out with the row; an invalid row has
 * none, and without prefetch no row has one. */
static void test_prefetch_row_tags(void **state)
{
	(void)state;
	struct hc_buf t;
	hc_buf_init(&t);
	hc_buf_adds(&t, "id,name\n");
	for (int i = 1; i <= 3000; i++) {
		if (i % 700 == 0)
			hc_buf_printf(&t, "%d\n", i); /* ragged: invalid */
		else
			hc_buf_printf(&t, "%d,n%d\n", i, i);
	}
	char *path = tu_write("tags.csv", t.data, t.len);
	for (int ahead = 0; ahead <= 1; ahead++) {
		struct segment_opts o = { .prefetch = ahead, .on_row = tag_row };
		char *err = NULL;
		tag_calls = 0;
		struct segment *seg = segment_open(path, &o, &err);
		assert_non_null(seg);
		struct segment_row row;
		int n = 0, tagged = 0;
		while (segment_next(seg, &row) == 1) {
			n++;
			if (row.invalid || !ahead) {
				assert_null(row.tag);
				continue;
			}
			char want[SEGMENT_TAG_MAX];
			snprintf(want, sizeof want, "%llu:%s:2",
				 (unsigned long long)row.row, row.fields[0]);
			assert_non_null(row.tag);
			assert_string_equal(row.tag, want);
			tagged++;
		}
		assert_int_equal(n, 3000);
		assert_int_equal(tagged, ahead ? 3000 - 4 : 0);
		assert_int_equal(tag_calls, ahead ? 3000 - 4 : 0);
		if (ahead)
			assert_false(pthread_equal(tag_thread, pthread_self()));
		segment_free(seg);
	}
	free(path);
	hc_buf_free(&t);
}

static void test_unclosed_quote_in_header(void **state)
{
	(void)state;
	char *err = NULL;
	struct segment *seg = open_text("h.csv", "a,\"b\n1,2\n", 9, NULL, &err);
	assert_null(seg);
	assert_non_null(strstr(err, "h.csv:1: unbalanced quote: the quoted "
				    "field in column 2 of the header starts "
				    "on this line"));
	free(err);
}

static void test_delimiter_names(void **state)
{
	(void)state;
	char d = 'x';
	assert_int_equal(segment_delimiter_parse("tab", &d), 0);
	assert_int_equal(d, '\t');
	assert_int_equal(segment_delimiter_parse("auto", &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(segment_delimiter_parse("::", &d), -1);
	assert_string_equal(segment_delimiter_name('|'), "|");
	assert_string_equal(segment_delimiter_name('\t'), "tab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_and_positions),
		cmocka_unit_test(test_bom_stripped),
		cmocka_unit_test(test_crlf_and_cr_only),
		cmocka_unit_test(test_quoted_newlines_delims_quotes),
		cmocka_unit_test(test_last_line_without_newline),
		cmocka_unit_test(test_whitespace_is_data),
		cmocka_unit_test(test_unbalanced_quote_fatal),
		cmocka_unit_test(test_stray_quote_in_unquoted_field),
		cmocka_unit_test(test_nul_byte_invalid_row),
		cmocka_unit_test(test_nul_in_field_over_reads),
		cmocka_unit_test(test_ragged_rows),
		cmocka_unit_test(test_empty_and_header_only),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_blank_lines_skipped),
		cmocka_unit_test(test_delimiter_detection),
		cmocka_unit_test(test_field_cap_1mb),
		cmocka_unit_test(test_field_exactly_at_cap),
		cmocka_unit_test(test_runaway_quote_fails_fast),
		cmocka_unit_test(test_crlf_split_across_reads),
		cmocka_unit_test(test_long_line_over_buffer),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_delimiter_names),
		cmocka_unit_test(test_sweep_buffer_boundary),
		cmocka_unit_test(test_sweep_field_cap),
		cmocka_unit_test(test_small_buffers_agree),
		cmocka_unit_test(test_prefetch_agrees),
		cmocka_unit_test(test_prefetch_row_tags),
		cmocka_unit_test(test_unclosed_quote_in_header),
	};
	return cmocka_run_group_tests_name("segment", tests, NULL, NULL);
}
