/* Unit tests of the request builder: URL encoding, ${NAME} expansion,
 * redaction and header checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "hookcast/request.h"
#include "testutil.h"

/* A profile with url and mappings "key=column" over columns "c0".."cN". */
static struct profile *make_profile(const char *url)
{
	struct profile *p = profile_new();
	p->url = xstrdup(url);
	return p;
}

static void add_map(struct profile *p, const char *key, const char *col)
{
	char *name = xasprintf("map%zu", p->mappings.n + 1);
	profile_list_add(&p->mappings, name, 0, key, col);
	free(name);
}

static void add_static(struct profile *p, const char *key, const char *v)
{
	char *name = xasprintf("param%zu", p->statics.n + 1);
	profile_list_add(&p->statics, name, 0, key, v);
	free(name);
}

static void add_header(struct profile *p, const char *h)
{
	char *name = xasprintf("header%zu", p->headers.n + 1);
	profile_list_add(&p->headers, name, 0, h, NULL);
	free(name);
}

/* Build the URL of the first row of csv; returns 0 or -1 (why in *why). */
/* A plan that must build; its messages are dumped when it does not. */
static struct request_plan *plan_of(struct profile *p)
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct request_plan *plan = request_plan_new(p, &m);
	if (plan == NULL) {
		tu_msgs_dump(&m);
		fail_msg("plan failed");
	}
	hc_msgs_free(&m);
	return plan;
}

static int build_first(struct profile *p, const char *csv, char **url,
		       char **shown, char **why)
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct request_plan *plan = request_plan_new(p, &m);
	if (plan == NULL) {
		tu_msgs_dump(&m);
		fail_msg("plan failed");
	}
	char *path = tu_writes("r.csv", csv);
	char *err = NULL;
	struct segment *seg = segment_open(path, NULL, &err);
	assert_non_null(seg);
	assert_int_equal(request_plan_bind(plan, seg, &m), 0);
	struct segment_row row;
	assert_int_equal(segment_next(seg, &row), 1);
	struct hc_buf u, s, w;
	hc_buf_init(&u);
	hc_buf_init(&s);
	hc_buf_init(&w);
	int rc = request_build(plan, &row, &u, &s, &w);
	*url = hc_buf_steal(&u);
	if (shown)
		*shown = hc_buf_steal(&s);
	*why = hc_buf_steal(&w);
	hc_buf_free(&s);
	segment_free(seg);
	request_plan_free(plan);
	hc_msgs_free(&m);
	free(path);
	return rc;
}

static void test_issue_example(void **state)
{
	(void)state;
	struct profile *p = make_profile("https://example.com/webhook?foo=bar");
	add_map(p, "email", "contacts.email");
	add_map(p, "user_id", "contacts.id");
	char *url, *why;
	assert_int_equal(build_first(p, "contacts.email,contacts.id\n"
				     "jo+x@ex.org,123\n", &url, NULL, &why), 0);
	assert_string_equal(url, "https://example.com/webhook?foo=bar&"
				 "email=jo%2Bx%40ex.org&user_id=123");
	free(url);
	free(why);
	profile_free(p);
}

static void test_encoding_specials(void **state)
{
	(void)state;
	static const struct {
		const char *csv_value; /* as written in the CSV */
		const char *encoded;
	} cases[] = {
		{ "\"& = # + %\"", "%26%20%3D%20%23%20%2B%20%25" },
		{ "\"a\r\nb\"", "a%0D%0Ab" },
		{ "\"é 東京 😀\"", "%C3%A9%20%E6%9D%B1%E4%BA%AC%20%F0%9F%98%80" },
		{ "a&admin=1", "a%26admin%3D1" },
		{ "\"a\"\"b\"", "a%22b" },
		{ "Az09-._~", "Az09-._~" },
		{ "/?:@", "%2F%3F%3A%40" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct profile *p = make_profile("http://h/x");
		add_map(p, "v", "c");
		char *csv = xasprintf("c\n%s\n", cases[i].csv_value);
		char *url, *why;
		assert_int_equal(build_first(p, csv, &url, NULL, &why), 0);
		char *want = xasprintf("http://h/x?v=%s", cases[i].encoded);
		assert_string_equal(url, want);
		/* The value cannot inject a parameter or end the URL. */
		assert_null(strpbrk(url + strlen("http://h/x?v="), "&=#+ \r\n"));
		free(want);
		free(url);
		free(why);
		free(csv);
		profile_free(p);
	}
}

static void test_keys_are_encoded(void **state)
{
	(void)state;
	struct profile *p = make_profile("http://h/x");
	add_static(p, "a b&c", "x=y");
	add_map(p, "k=1", "c");
	char *url, *why;
	assert_int_equal(build_first(p, "c\nv\n", &url, NULL, &why), 0);
	assert_string_equal(url, "http://h/x?a%20b%26c=x%3Dy&k%3D1=v");
	free(url);
	free(why);
	profile_free(p);
}

static void test_base_query_kept_and_order(void **state)
{
	(void)state;
	static const struct {
		const char *base, *want;
	} cases[] = {
		{ "https://h/p?foo=bar&x=%20y", "https://h/p?foo=bar&x=%20y&s=1&m=v" },
		{ "https://h/p?", "https://h/p?s=1&m=v" },
		{ "https://h/p?a=1&", "https://h/p?a=1&s=1&m=v" },
		{ "https://h", "https://h?s=1&m=v" },
		{ "HTTP://H:8080/A/B", "HTTP://H:8080/A/B?s=1&m=v" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct profile *p = make_profile(cases[i].base);
		add_static(p, "s", "1");
		add_map(p, "m", "c");
		char *url, *why;
		assert_int_equal(build_first(p, "c\nv\n", &url, NULL, &why), 0);
		assert_string_equal(url, cases[i].want);
		free(url);
		free(why);
		profile_free(p);
	}
}

static void test_empty_values(void **state)
{
	(void)state;
	struct profile *p = make_profile("http://h/");
	add_map(p, "a", "x");
	add_map(p, "b", "y");
	add_map(p, "c", "z");
	char *url, *why;
	assert_int_equal(build_first(p, "x,y,z\n,2,\n", &url, NULL, &why), 0);
	assert_string_equal(url, "http://h/?a=&b=2&c=");
	free(url);
	free(why);
	p->empty_values = PROFILE_EMPTY_OMIT;
	assert_int_equal(build_first(p, "x,y,z\n,2,\n", &url, NULL, &why), 0);
	assert_string_equal(url, "http://h/?b=2");
	free(url);
	free(why);
	/* Quoted "" is empty too, and a space is not empty. */
	assert_int_equal(build_first(p, "x,y,z\n\"\", ,\n", &url, NULL, &why), 0);
	assert_string_equal(url, "http://h/?b=%20");
	free(url);
	free(why);
	profile_free(p);
}

static void test_bad_base_urls(void **state)
{
	(void)state;
	static const struct {
		const char *url, *msg;
	} cases[] = {
		{ "https://example.com/hook#frag", "#fragment" },
		{ "ftp://example.com/x", "scheme must be http or https" },
		{ "file:///etc/passwd", "scheme must be http or https" },
		{ "https:///nohost", "" },
		{ "example.com/hook", "" },
		{ "https://exa mple.com/", "not a valid URL" },
		{ "https:example.com", "" },
		{ "", "is required" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct profile *p = make_profile(cases[i].url);
		free(p->path);
		p->path = xstrdup("t.ini");
		struct hc_msgs m;
		hc_msgs_init(&m);
		struct request_plan *plan = request_plan_new(p, &m);
		if (plan != NULL)
			fail_msg("accepted %s", cases[i].url);
		assert_true(m.nerrors > 0);
		assert_true(tu_msgs_has(&m, "t.ini: [destination] url: "));
		assert_true(tu_msgs_has(&m, cases[i].msg));
		hc_msgs_free(&m);
		profile_free(p);
	}
}

static void test_env_expansion_and_redaction(void **state)
{
	(void)state;
	setenv("HC_TEST_HOOK", "s3cr3t-path", 1);
	setenv("HC_TEST_TOKEN", "tok&en=1 x", 1);
	struct profile *p = make_profile("https://h/${HC_TEST_HOOK}?a=1");
	add_static(p, "token", "pre-${HC_TEST_TOKEN}");
	add_static(p, "t2", "${HC_TEST_TOKEN}"); /* no literal text around */
	add_map(p, "e", "c");
	add_header(p, "Authorization: Bearer ${HC_TEST_TOKEN}");
	add_header(p, "X-Api-Key: literal-key-value");
	add_header(p, "X-Plain: hello");
	char *url, *shown, *why;
	assert_int_equal(build_first(p, "c\nv\n", &url, &shown, &why), 0);
	assert_string_equal(url, "https://h/s3cr3t-path?a=1&token=pre-tok%26en%3D1%20x"
				 "&t2=tok%26en%3D1%20x&e=v");
	assert_string_equal(shown, "https://h/${HC_TEST_HOOK}?a=1&token=pre-${HC_TEST_TOKEN}"
				   "&t2=${HC_TEST_TOKEN}&e=v");
	free(url);
	free(shown);
	free(why);

	struct hc_msgs m;
	hc_msgs_init(&m);
	struct request_plan *plan = request_plan_new(p, &m);
	assert_non_null(plan);
	assert_int_equal(request_nheaders(plan), 3);
	assert_string_equal(request_header(plan, 0), "Authorization: Bearer tok&en=1 x");
	assert_string_equal(request_header_shown(plan, 0), "Authorization: Bearer ${HC_TEST_TOKEN}");
	assert_string_equal(request_header_shown(plan, 1), "X-Api-Key: ***");
	assert_string_equal(request_header(plan, 1), "X-Api-Key: literal-key-value");
	assert_string_equal(request_header_shown(plan, 2), "X-Plain: hello");
	request_plan_free(plan);
	hc_msgs_free(&m);
	profile_free(p);
}

static void test_literal_dollar_brace(void **state)
{
	(void)state;
	setenv("HC_TEST_TOKEN", "tok", 1);
	unsetenv("HC_TEST_UNSET");
	/* "$${" is a literal "${", wherever it is; "$" alone stays "$" */
	struct profile *p = make_profile("https://h/$${HC_TEST_UNSET}?a=$1");
	add_static(p, "tpl", "$${HC_TEST_UNSET}-${HC_TEST_TOKEN}-$$${HC_TEST_TOKEN}");
	add_header(p, "X-Template: $${x} ${HC_TEST_TOKEN}");
	char *url, *shown, *why;
	assert_int_equal(build_first(p, "c\nv\n", &url, &shown, &why), 0);
	assert_string_equal(url, "https://h/${HC_TEST_UNSET}?a=$1"
				 "&tpl=%24%7BHC_TEST_UNSET%7D-tok-%24%24%7BHC_TEST_TOKEN%7D");
	/* a literal part is shown as sent; only references stay ${NAME} */
	assert_string_equal(shown, "https://h/${HC_TEST_UNSET}?a=$1"
				   "&tpl=%24%7BHC_TEST_UNSET%7D-${HC_TEST_TOKEN}-%24%24%7BHC_TEST_TOKEN%7D");
	free(url);
	free(shown);
	free(why);
	struct request_plan *plan = plan_of(p);
	assert_string_equal(request_header(plan, 0), "X-Template: ${x} tok");
	request_plan_free(plan);
	profile_free(p);
}

static void test_redact_echoed_secrets(void **state)
{
	(void)state;
	setenv("HC_TEST_TOKEN", "tok en/1", 1);
	struct profile *p = make_profile("https://bob:pw12@h/?api_key=k3y-lit&a=1");
	add_static(p, "t", "${HC_TEST_TOKEN}");
	add_static(p, "access_token", "st4tic");
	add_header(p, "X-Api-Key: hdr-s3cret");
	add_header(p, "X-Short: ${HC_TEST_SHORT}");
	setenv("HC_TEST_SHORT", "ab", 1); /* too short to scrub */
	struct request_plan *plan = plan_of(p);
	char buf[] = "tok en/1|tok%20en%2F1|bob:pw12|pw12|k3y-lit|st4tic|"
		     "hdr-s3cret|ab|plain";
	request_redact(plan, buf, strlen(buf));
	assert_string_equal(buf, "********|************|********|****|*******|"
				 "******|**********|ab|plain");
	request_plan_free(plan);
	profile_free(p);
}

/* The idempotency key of row 1 of csv under a profile; with salt, the
 * salted one (as sync's). */
static void key_of(struct profile *p, const char *csv, size_t len,
		   const char *salt, char out[65])
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct request_plan *plan = plan_of(p);
	char *path = tu_write("k.csv", csv, len);
	char *err = NULL;
	struct segment *seg = segment_open(path, NULL, &err);
	assert_non_null(seg);
	assert_int_equal(request_plan_bind(plan, seg, &m), 0);
	struct segment_row row;
	assert_int_equal(segment_next(seg, &row), 1);
	if (salt)
		request_row_key_salted(plan, &row, salt, strlen(salt), out);
	else
		request_row_key(plan, &row, out);
	segment_free(seg);
	request_plan_free(plan);
	hc_msgs_free(&m);
	free(path);
}

/* The idempotency key of row 1 of "c\nv\n" under a profile. */
static void first_key(struct profile *p, char out[65])
{
	key_of(p, "c\nv\n", 4, NULL, out);
}

/* The same profile and row give the same key in every version: a resume
 * and a retry send their rows with the keys of the first run, and a
 * receiver that dedupes on them relies on it. Fields short and long (past
 * the buffer the row's part goes through), and a salted key as sync's. */
static void test_key_known_answer(void **state)
{
	(void)state;
	struct profile *p = make_profile("https://h/hook?a=1");
	add_static(p, "source", "crm");
	struct hc_buf t;
	hc_buf_init(&t);
	hc_buf_adds(&t, "c,d,e,f\n,");
	for (int i = 0; i < 1017; i++)
		hc_buf_addc(&t, 'x');
	hc_buf_addc(&t, ',');
	for (int i = 0; i < 5000; i++)
		hc_buf_addc(&t, (char)('a' + i % 26));
	hc_buf_adds(&t, ",\xC3\xA9\n");
	char out[65];
	key_of(p, t.data, t.len, NULL, out);
	assert_string_equal(out, "4d99d2d0a2507b28dab817d0d603d0b7");
	key_of(p, t.data, t.len, "salt", out);
	assert_string_equal(out, "4d3b71c8eae7306782c88273c8a589df");
	profile_free(p);
	hc_buf_free(&t);
}

static void test_key_ignores_literal_secrets(void **state)
{
	(void)state;
	char k1[65], k2[65], k3[65];
	struct profile *p = make_profile("https://bob:old-pw@h/?api_key=old-k&a=1");
	add_static(p, "access_token", "old-tok");
	add_static(p, "source", "crm");
	add_map(p, "e", "c");
	first_key(p, k1);
	profile_free(p);
	/* every credential rotated: the same key */
	p = make_profile("https://bob:new-pw@h/?api_key=new-k&a=1");
	add_static(p, "access_token", "new-tok");
	add_static(p, "source", "crm");
	add_map(p, "e", "c");
	first_key(p, k2);
	profile_free(p);
	assert_string_equal(k1, k2);
	/* a plain parameter changed: another key */
	p = make_profile("https://bob:new-pw@h/?api_key=new-k&a=2");
	add_static(p, "access_token", "new-tok");
	add_static(p, "source", "crm");
	add_map(p, "e", "c");
	first_key(p, k3);
	profile_free(p);
	assert_string_not_equal(k1, k3);
}

static void test_undefined_and_bad_vars(void **state)
{
	(void)state;
	unsetenv("HC_TEST_MISSING");
	static const char *const urls[] = {
		"https://h/${HC_TEST_MISSING}", "https://h/${1X}",
		"https://h/${OPEN", "https://h/${}",
	};
	static const char *const want[] = {
		"${HC_TEST_MISSING} is not set in the environment",
		"must start a ${NAME} reference",
		"must start a ${NAME} reference",
		"must start a ${NAME} reference",
	};
	for (size_t i = 0; i < 4; i++) {
		struct profile *p = make_profile(urls[i]);
		struct hc_msgs m;
		hc_msgs_init(&m);
		assert_null(request_plan_new(p, &m));
		assert_true(tu_msgs_has(&m, want[i]));
		hc_msgs_free(&m);
		profile_free(p);
	}
	/* A lone '$' is literal. */
	struct profile *p = make_profile("https://h/$x");
	add_static(p, "k", "a$b");
	char *url, *why;
	assert_int_equal(build_first(p, "c\nv\n", &url, NULL, &why), 0);
	assert_string_equal(url, "https://h/$x?k=a%24b");
	free(url);
	free(why);
	profile_free(p);
}

static void test_header_injection_rejected(void **state)
{
	(void)state;
	setenv("HC_TEST_EVIL", "abc\r\nX-Injected: 1", 1);
	struct profile *p = make_profile("https://h/");
	free(p->path);
	p->path = xstrdup("t.ini");
	add_header(p, "X-Token: ${HC_TEST_EVIL}");
	struct hc_msgs m;
	hc_msgs_init(&m);
	assert_null(request_plan_new(p, &m));
	assert_true(tu_msgs_has(&m, "t.ini: [destination] header1: the value "
				    "from the environment holds a line break"));
	/* The message never holds the value. */
	assert_false(tu_msgs_has(&m, "abc"));
	assert_false(tu_msgs_has(&m, "Injected"));
	hc_msgs_free(&m);

	profile_list_clear(&p->headers);
	add_header(p, "Content-Length: 5");
	assert_null(request_plan_new(p, &m));
	assert_true(tu_msgs_has(&m, "Content-Length is set by hookcast"));
	hc_msgs_free(&m);
	profile_free(p);
}

static void test_long_url_invalid(void **state)
{
	(void)state;
	struct profile *p = make_profile("https://h/");
	add_map(p, "v", "c");
	/* 3000 bytes that each encode to 3: 9000 > 8192 */
	struct hc_buf csv;
	hc_buf_init(&csv);
	hc_buf_adds(&csv, "c\n");
	for (int i = 0; i < 3000; i++)
		hc_buf_addc(&csv, '!');
	hc_buf_adds(&csv, "\n");
	char *url, *why;
	assert_int_equal(build_first(p, csv.data, &url, NULL, &why), -1);
	assert_non_null(strstr(why, "over 8192 bytes"));
	free(url);
	free(why);
	hc_buf_free(&csv);

	/* Exactly at the limit is fine. */
	hc_buf_init(&csv);
	hc_buf_adds(&csv, "c\n");
	size_t room = REQUEST_URL_MAX - strlen("https://h/?v=");
	for (size_t i = 0; i < room; i++)
		hc_buf_addc(&csv, 'a');
	hc_buf_adds(&csv, "\n");
	assert_int_equal(build_first(p, csv.data, &url, NULL, &why), 0);
	assert_int_equal(strlen(url), REQUEST_URL_MAX);
	free(url);
	free(why);
	hc_buf_free(&csv);
	profile_free(p);
}

static void test_bind_missing_column_and_dup_keys(void **state)
{
	(void)state;
	struct profile *p = make_profile("https://h/");
	free(p->path);
	p->path = xstrdup("t.ini");
	add_static(p, "email", "x");
	add_map(p, "email", "email");
	add_map(p, "id", "contacts.idd");
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct request_plan *plan = request_plan_new(p, &m);
	assert_non_null(plan);
	char *path = tu_writes("b.csv", "email,contacts.id\nx,1\n");
	char *err;
	struct segment *seg = segment_open(path, NULL, &err);
	assert_int_equal(request_plan_bind(plan, seg, &m), -1);
	assert_true(tu_msgs_has(&m, "t.ini: [mappings] map2: column "
				    "\"contacts.idd\" is not in "));
	assert_true(tu_msgs_has(&m, "its columns are \"email\", \"contacts.id\""));
	assert_true(tu_msgs_has(&m, "[mappings] map1: the query key is also "
				    "static param1"));
	/* An unbound plan builds nothing. */
	struct segment_row row;
	assert_int_equal(segment_next(seg, &row), 1);
	struct hc_buf u, w;
	hc_buf_init(&u);
	hc_buf_init(&w);
	assert_int_equal(request_build(plan, &row, &u, NULL, &w), -1);
	hc_buf_free(&u);
	hc_buf_free(&w);
	segment_free(seg);
	request_plan_free(plan);
	hc_msgs_free(&m);
	profile_free(p);
	free(path);
}

static void test_invalid_row_not_built(void **state)
{
	(void)state;
	struct profile *p = make_profile("https://h/");
	add_map(p, "a", "a");
	char *url, *why;
	assert_int_equal(build_first(p, "a,b\n1\n", &url, NULL, &why), -1);
	assert_string_equal(why, "has 1 field, expected 2");
	assert_string_equal(url, "");
	free(url);
	free(why);
	profile_free(p);
}

/* Our encoder must give exactly what curl_easy_escape gives. */
static void test_escape_matches_curl(void **state)
{
	(void)state;
	unsigned seed = 12345;
	struct hc_buf b;
	hc_buf_init(&b);
	for (int t = 0; t < 5000; t++) {
		char s[80];
		size_t n = 1 + (size_t)(t % 79);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = (char)(seed >> 16);
		}
		hc_buf_reset(&b);
		request_escape(&b, s, n);
		char *want = curl_easy_escape(NULL, s, (int)n);
		assert_string_equal(b.data, want);
		assert_int_equal(request_escaped_len(s, n), strlen(want));
		curl_free(want);
	}
	hc_buf_reset(&b);
	request_escape(&b, "", 0);
	assert_string_equal(b.data, "");
	hc_buf_free(&b);
}

/* request_check gives the same verdict as request_build, near the limit. */
static void test_check_agrees_with_build(void **state)
{
	(void)state;
	struct profile *p = make_profile("https://h/x?a=1");
	add_map(p, "v", "c");
	add_map(p, "w", "d");
	p->empty_values = PROFILE_EMPTY_OMIT;
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct request_plan *plan = request_plan_new(p, &m);
	char *path = tu_writes("chk.csv", "c,d\nx,y\n");
	char *err;
	struct segment *seg = segment_open(path, NULL, &err);
	assert_int_equal(request_plan_bind(plan, seg, &m), 0);
	struct hc_buf u, w1, w2, cbuf, dbuf;
	hc_buf_init(&u);
	hc_buf_init(&w1);
	hc_buf_init(&w2);
	hc_buf_init(&cbuf);
	hc_buf_init(&dbuf);
	int ok = 0, bad = 0;
	for (size_t n = 4870; n < 4940; n++) {
		hc_buf_reset(&cbuf);
		hc_buf_reset(&dbuf);
		for (size_t i = 0; i < n; i++)
			hc_buf_addc(&cbuf, i % 3 ? 'a' : '&');
		for (size_t i = 0; i < n % 7; i++)
			hc_buf_addc(&dbuf, ' ');
		const char *fields[2] = { cbuf.data, dbuf.data };
		size_t lens[2] = { cbuf.len, dbuf.len };
		struct segment_row row = { .row = 1, .line = 2, .nfields = 2,
					   .fields = fields, .lens = lens };
		int b = request_build(plan, &row, &u, NULL, &w1);
		int c = request_check(plan, &row, &w2);
		assert_int_equal(b, c);
		assert_string_equal(w1.data ? w1.data : "", w2.data ? w2.data : "");
		if (b == 0)
			ok++;
		else
			bad++;
	}
	assert_true(ok > 0 && bad > 0); /* both sides of the limit were seen */
	hc_buf_free(&u);
	hc_buf_free(&w1);
	hc_buf_free(&w2);
	hc_buf_free(&cbuf);
	hc_buf_free(&dbuf);
	segment_free(seg);
	request_plan_free(plan);
	hc_msgs_free(&m);
	profile_free(p);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_example),
		cmocka_unit_test(test_encoding_specials),
		cmocka_unit_test(test_keys_are_encoded),
		cmocka_unit_test(test_base_query_kept_and_order),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_bad_base_urls),
		cmocka_unit_test(test_env_expansion_and_redaction),
		cmocka_unit_test(test_literal_dollar_brace),
		cmocka_unit_test(test_redact_echoed_secrets),
		cmocka_unit_test(test_key_ignores_literal_secrets),
		cmocka_unit_test(test_key_known_answer),
		cmocka_unit_test(test_undefined_and_bad_vars),
		cmocka_unit_test(test_header_injection_rejected),
		cmocka_unit_test(test_long_url_invalid),
		cmocka_unit_test(test_bind_missing_column_and_dup_keys),
		cmocka_unit_test(test_invalid_row_not_built),
		cmocka_unit_test(test_escape_matches_curl),
		cmocka_unit_test(test_check_agrees_with_build),
	};
	return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
