/* Unit tests of the shared helpers: number parsing, buffers, messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hookcast/hash.h"
#include "hookcast/util.h"

static void test_parse_long(void **state)
{
	(void)state;
	long v = 0;
	assert_int_equal(hc_parse_long("42", 1, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(hc_parse_long("-3", -5, 5, &v), 0);
	assert_int_equal(v, -3);
	static const char *const bad[] = { "", " 4", "4 ", "4x", "0x10", "101",
					   "0", "+4", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(hc_parse_long(bad[i], 1, 100, &v), -1);
	assert_int_equal(hc_parse_long(NULL, 1, 100, &v), -1);
}

static void test_parse_double(void **state)
{
	(void)state;
	double v = 0;
	assert_int_equal(hc_parse_double("12.5", 0, 100, &v), 0);
	assert_true(v == 12.5);
	assert_int_equal(hc_parse_double(".5", 0, 100, &v), 0);
	assert_true(v == 0.5);
	assert_int_equal(hc_parse_double("1e2", 0, 100, &v), 0);
	assert_true(v == 100);
	static const char *const bad[] = { "", "nan", "inf", "1,5", "0x1p3",
					   "101", "-1", "1.5 ", "abc" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(hc_parse_double(bad[i], 0, 100, &v), -1);
}

static void test_format_number(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(hc_format_number(30, b, sizeof b), "30");
	assert_string_equal(hc_format_number(0.5, b, sizeof b), "0.5");
	assert_string_equal(hc_format_number(2.25, b, sizeof b), "2.25");
	assert_string_equal(hc_format_number(0.1, b, sizeof b), "0.1");
	assert_string_equal(hc_format_number(1000000, b, sizeof b), "1000000");
	assert_string_equal(hc_format_number(0, b, sizeof b), "0");
	assert_string_equal(hc_format_number(1e-7, b, sizeof b), "0.0000001");
	/* whatever the value, it reads back exactly */
	static const double vals[] = { 1.0 / 3.0, 3600, 0.30000000000000004,
				       123456.789, 1e20 };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		assert_true(strtod(hc_format_number(vals[i], b, sizeof b),
				   NULL) == vals[i]);
}

static void test_buf_and_quoted(void **state)
{
	(void)state;
	struct hc_buf b;
	hc_buf_init(&b);
	for (int i = 0; i < 1000; i++)
		hc_buf_addc(&b, 'x');
	assert_int_equal(b.len, 1000);
	assert_int_equal(strlen(b.data), 1000);
	hc_buf_reset(&b);
	hc_buf_printf(&b, "%d-%s", 7, "ok");
	assert_string_equal(b.data, "7-ok");
	hc_buf_reset(&b);
	hc_buf_add_quoted(&b, "a\"b\\c\td\x1b[2J\x7f", 12);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\td\\x1b[2J\\x7f\"");
	hc_buf_reset(&b);
	/* valid UTF-8 stays; invalid bytes and C1 controls are escaped */
	hc_buf_add_quoted(&b, "\xc3\xa9 \xff\xc2\x9b[2J \xe6\x9d\xb1", 13);
	assert_string_equal(b.data, "\"\xc3\xa9 \\xff\\xc2\\x9b[2J \xe6\x9d\xb1\"");
	char *s = hc_buf_steal(&b);
	assert_null(b.data);
	free(s);
	s = hc_buf_steal(&b); /* an empty buffer gives "" */
	assert_string_equal(s, "");
	free(s);
}

static void test_msgs(void **state)
{
	(void)state;
	struct hc_msgs a, b;
	hc_msgs_init(&a);
	hc_msgs_init(&b);
	hc_msgs_add(&a, HC_ERROR, "e%d", 1);
	hc_msgs_add(&b, HC_WARNING, "w");
	hc_msgs_add(&b, HC_ERROR, "e2");
	hc_msgs_move(&a, &b);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.nerrors, 2);
	assert_int_equal(b.n, 0);
	assert_string_equal(a.items[2].text, "e2");
	hc_msgs_free(&a);
	assert_int_equal(a.n, 0);
}

static void test_status_text(void **state)
{
	(void)state;
	assert_string_equal(hc_status_text(HC_DATA), "segment data error");
	assert_string_equal(hc_status_text(130), "interrupted");
	assert_string_equal(hc_status_text(77), "unknown status");
	assert_string_equal(hc_basename("a/b/c.ini"), "c.ini");
	assert_string_equal(hc_basename("c.ini"), "c.ini");
}

/* FIPS 180-2's examples, and a state copied by assignment that goes on
 * apart from its original (row keys start from a copy of the profile's). */
static void test_sha256(void **state)
{
	(void)state;
	char hex[65];
	hc_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
	hc_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct hc_sha256 base;
	hc_sha256_init(&base);
	hc_sha256_update(&base, two, 20);
	struct hc_sha256 fork = base;
	hc_sha256_update(&fork, "zzz", 3);
	hc_sha256_update(&base, two + 20, strlen(two) - 20);
	hc_sha256_final_hex(&base, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039"
				 "a33ce45964ff2167f6ecedd419db06c1");
	char whole[65];
	char *joined = malloc(24);
	memcpy(joined, two, 20);
	memcpy(joined + 20, "zzz", 4);
	hc_sha256_hex(joined, 23, whole);
	free(joined);
	hc_sha256_final_hex(&fork, hex);
	assert_string_equal(hex, whole);
	unsigned char raw[32];
	hc_sha256_raw("abc", 3, raw);
	assert_int_equal(raw[0], 0xba);
	assert_int_equal(raw[31], 0xad);
}

static void test_url_userinfo(void **state)
{
	(void)state;
	size_t f, t;
	assert_false(hc_url_userinfo("https://h.example/x@y", &f, &t));
	assert_false(hc_url_userinfo("https://@h.example/", &f, &t));
	assert_false(hc_url_userinfo("no scheme", &f, &t));
	assert_false(hc_url_userinfo(NULL, &f, &t));
	/* "://" must follow a scheme at the start (found by fuzz_url: a '?'
	 * before it made the spans run backwards) */
	assert_false(hc_url_userinfo("x?a=1 http://u:p@h/", &f, &t));
	char *q = hc_url_shown("\xe3?\xe3 http\xe3?$$://kkey = $i%$}e@(");
	assert_non_null(q);
	free(q);
	assert_true(hc_url_userinfo("https://bob:p@ss@h.example/p?q=a@b", &f, &t));
	assert_int_equal(f, 8);
	assert_int_equal(t, 16); /* the last '@' before the path */
	assert_true(hc_url_literal_userinfo("http://tok@h/", &f, &t));
	assert_false(hc_url_literal_userinfo("http://bob:${PW}@h/", &f, &t));
	char *s = hc_url_shown("https://bob:p@ss@h.example/p?q=a@b");
	assert_string_equal(s, "https://***@h.example/p?q=a@b");
	free(s);
	s = hc_url_shown("http://bob:${PW}@h/");
	assert_string_equal(s, "http://bob:${PW}@h/");
	free(s);
	s = hc_url_shown("https://h.example/?a=1");
	assert_string_equal(s, "https://h.example/?a=1");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_double),
		cmocka_unit_test(test_format_number),
		cmocka_unit_test(test_buf_and_quoted),
		cmocka_unit_test(test_msgs),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_url_userinfo),
		cmocka_unit_test(test_sha256),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
