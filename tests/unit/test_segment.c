/* Unit tests of the segment reader, including each libcsv trap in
 * PITFALLS.md. */
#include <setjmp.h>
#include <stdarg.h>
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
	};
	return cmocka_run_group_tests_name("segment", tests, NULL, NULL);
}
