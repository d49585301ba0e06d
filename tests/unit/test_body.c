/* Unit tests of request bodies (json, ndjson, form, batches) and of
 * signing (Standard Webhooks and hmac-sha256). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "hookcast/body.h"
#include "hookcast/request.h"
#include "hookcast/sign.h"
#include "testutil.h"

static struct profile *body_profile(enum profile_body f)
{
	struct profile *p = profile_new();
	p->url = xstrdup("http://127.0.0.1/hook");
	p->body_format = f;
	return p;
}

static void field(struct profile *p, const char *spec, const char *col)
{
	char *name = xasprintf("field%zu", p->body_fields.n + 1);
	profile_list_add(&p->body_fields, name, 0, spec, col);
	free(name);
}

static void constant(struct profile *p, const char *spec, const char *v)
{
	char *name = xasprintf("const%zu", p->body_consts.n + 1);
	profile_list_add(&p->body_consts, name, 0, spec, v);
	free(name);
}

/* The body of each row of csv, joined by '|' (an invalid row gives
 * "!" and its reason). */
static char *bodies(struct profile *p, const char *csv)
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct body_plan *b = body_plan_new(p, &m);
	if (b == NULL) {
		tu_msgs_dump(&m);
		fail_msg("body plan failed");
	}
	char *path = tu_writes("b.csv", csv);
	char *err = NULL;
	struct segment *seg = segment_open(path, NULL, &err);
	assert_non_null(seg);
	assert_int_equal(body_plan_bind(b, seg, &m), 0);
	struct hc_buf out, one, why;
	hc_buf_init(&out);
	hc_buf_init(&one);
	hc_buf_init(&why);
	struct segment_row row;
	while (segment_next(seg, &row) > 0) {
		hc_buf_reset(&one);
		hc_buf_reset(&why);
		if (out.len)
			hc_buf_addc(&out, '|');
		int check = body_check(b, &row, &why);
		hc_buf_reset(&why);
		if (body_build(b, &row, &one, &why) < 0) {
			assert_int_equal(check, -1);
			hc_buf_printf(&out, "!%s", why.data);
		} else {
			assert_int_equal(check, 0);
			hc_buf_add(&out, one.data, one.len);
		}
	}
	segment_free(seg);
	body_plan_free(b);
	free(path);
	hc_buf_free(&one);
	hc_buf_free(&why);
	hc_msgs_free(&m);
	return hc_buf_steal(&out);
}

static void expect_bodies(struct profile *p, const char *csv, const char *want)
{
	char *got = bodies(p, csv);
	assert_string_equal(got, want);
	free(got);
	profile_free(p);
}

static void test_json_types_and_nesting(void **state)
{
	(void)state;
	struct profile *p = body_profile(PROFILE_BODY_JSON);
	field(p, "email", "e");
	field(p, "user.id:number", "id");
	field(p, "opted_in:boolean", "o");
	field(p, "traits:json", "t");
	field(p, "user.name", "n");
	constant(p, "source", "crm");
	constant(p, "meta.v:number", "2");
	expect_bodies(p,
		      "e,id,o,t,n\n"
		      "jo@x.org,123,YES,\"{ \"\"a\"\" : [1, 2.50] }\",Zo\xc3\xab\n"
		      "\"q\"\"\\\t\",-0.5e+3,No,\"\"\"s p\"\"\",\n",
		      "{\"email\":\"jo@x.org\",\"user\":{\"id\":123,"
		      "\"name\":\"Zo\xc3\xab\"},\"opted_in\":true,"
		      "\"traits\":{\"a\":[1,2.50]},\"source\":\"crm\","
		      "\"meta\":{\"v\":2}}|"
		      "{\"email\":\"q\\\"\\\\\\t\",\"user\":{\"id\":-0.5e+3,"
		      "\"name\":\"\"},\"opted_in\":false,\"traits\":\"s p\","
		      "\"source\":\"crm\",\"meta\":{\"v\":2}}");
}

/* JSON has no limit on a number's size: a json value with an integer past
 * 64 bits (or a number past a double's precision) is valid, and is sent
 * as written. */
static void test_json_big_numbers(void **state)
{
	(void)state;
	struct profile *p = body_profile(PROFILE_BODY_JSON);
	field(p, "t:json", "t");
	field(p, "n:number", "n");
	expect_bodies(p,
		      "t,n\n"
		      "\"{\"\"id\"\": 123456789012345678901234567890}\","
		      "123456789012345678901234567890\n"
		      "-99999999999999999999,0.1000000000000000000000001\n",
		      "{\"t\":{\"id\":123456789012345678901234567890},"
		      "\"n\":123456789012345678901234567890}|"
		      "{\"t\":-99999999999999999999,"
		      "\"n\":0.1000000000000000000000001}");
}

static void test_json_empty_values(void **state)
{
	(void)state;
	/* keep: "" for a string, null for the other types */
	struct profile *p = body_profile(PROFILE_BODY_JSON);
	field(p, "s", "a");
	field(p, "n:number", "b");
	field(p, "b:boolean", "c");
	field(p, "j:json", "d");
	expect_bodies(p, "a,b,c,d\n,,,\n",
		      "{\"s\":\"\",\"n\":null,\"b\":null,\"j\":null}");
	/* omit: the keys are left out, and an emptied object stays {} */
	p = body_profile(PROFILE_BODY_JSON);
	p->empty_values = PROFILE_EMPTY_OMIT;
	field(p, "s", "a");
	field(p, "o.n:number", "b");
	field(p, "k", "c");
	expect_bodies(p, "a,b,c\n,,x\n", "{\"o\":{},\"k\":\"x\"}");
}

static void test_json_bad_values(void **state)
{
	(void)state;
	struct profile *p = body_profile(PROFILE_BODY_JSON);
	field(p, "id:number", "id");
	field(p, "ok:boolean", "ok");
	field(p, "t:json", "t");
	field(p, "s", "s");
	expect_bodies(p,
		      "id,ok,t,s\n"
		      "12a,1,1,x\n"
		      "01,1,1,x\n"
		      "1.,1,1,x\n"
		      "1,maybe,1,x\n"
		      "1,1,\"{\"\"a\"\":}\",x\n"
		      "1,1,1,\xff\xfe\n"
		      "1,1,1,\xed\xa0\x80\n",
		      "!body field \"id\" (column \"id\"): the value \"12a\" "
		      "is not a JSON number|"
		      "!body field \"id\" (column \"id\"): the value \"01\" is "
		      "not a JSON number|"
		      "!body field \"id\" (column \"id\"): the value \"1.\" is "
		      "not a JSON number|"
		      "!body field \"ok\" (column \"ok\"): the value \"maybe\" "
		      "is not a boolean (true, false, 1, 0, yes or no)|"
		      "!body field \"t\" (column \"t\"): the value is not valid "
		      "JSON (column 6: unexpected token near '}')|"
		      "!body field \"s\" (column \"s\"): the value is not valid "
		      "UTF-8 (byte 0xFF at offset 0)|"
		      "!body field \"s\" (column \"s\"): the value is not valid "
		      "UTF-8 (byte 0xED at offset 0)");
}

static void test_ndjson_and_form(void **state)
{
	(void)state;
	struct profile *p = body_profile(PROFILE_BODY_NDJSON);
	field(p, "a", "a");
	expect_bodies(p, "a\nx\n", "{\"a\":\"x\"}\n");
	/* form: the query string's encoding, no types, no nesting */
	p = body_profile(PROFILE_BODY_FORM);
	field(p, "e mail", "a");
	field(p, "user.id", "b");
	constant(p, "src", "c r/m");
	expect_bodies(p, "a,b\njo+1@x.org,\xc3\xa9~\n",
		      "e%20mail=jo%2B1%40x.org&user.id=%C3%A9~&src=c%20r%2Fm");
	p = body_profile(PROFILE_BODY_FORM);
	p->empty_values = PROFILE_EMPTY_OMIT;
	field(p, "a", "a");
	field(p, "b", "b");
	expect_bodies(p, "a,b\n,y\n", "b=y");
}

static void test_batch_ends(void **state)
{
	(void)state;
	struct profile *p = body_profile(PROFILE_BODY_JSON);
	p->batch_wrap = xstrdup("rec\"ords");
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct body_plan *b = body_plan_new(p, &m);
	assert_non_null(b);
	struct hc_buf o;
	hc_buf_init(&o);
	body_batch_open(b, &o);
	hc_buf_adds(&o, "{}");
	body_batch_sep(b, &o);
	hc_buf_adds(&o, "{}");
	body_batch_close(b, &o);
	assert_string_equal(o.data, "{\"rec\\\"ords\":[{},{}]}");
	assert_int_equal(body_batch_overhead(b), strlen("{\"rec\\\"ords\":[]}"));
	body_plan_free(b);
	profile_free(p);
	p = body_profile(PROFILE_BODY_NDJSON);
	b = body_plan_new(p, &m);
	hc_buf_reset(&o);
	body_batch_open(b, &o);
	hc_buf_adds(&o, "{}\n");
	body_batch_sep(b, &o);
	hc_buf_adds(&o, "{}\n");
	body_batch_close(b, &o);
	assert_string_equal(o.data, "{}\n{}\n");
	body_plan_free(b);
	profile_free(p);
	hc_buf_free(&o);
	hc_msgs_free(&m);
}

/* A profile whose [body] has one problem: the message names it. */
static void expect_profile_error(struct profile *p, const char *needle)
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	assert_true(profile_validate(p, &m) > 0);
	if (!tu_msgs_has(&m, needle)) {
		tu_msgs_dump(&m);
		fail_msg("no message with \"%s\"", needle);
	}
	hc_msgs_free(&m);
	profile_free(p);
}

static void test_profile_errors(void **state)
{
	(void)state;
	struct profile *p = body_profile(PROFILE_BODY_JSON);
	field(p, "user", "a");
	field(p, "user.id", "b");
	expect_profile_error(p, "[body] field2: \"user.id\" puts a key inside "
			     "\"user\", which field1 sets to a value");
	p = body_profile(PROFILE_BODY_JSON);
	field(p, "a.b", "a");
	constant(p, "a", "x");
	expect_profile_error(p, "[body] const1: \"a\" is an object that other "
			     "fields put keys in");
	p = body_profile(PROFILE_BODY_JSON);
	field(p, "a", "a");
	field(p, "a", "b");
	expect_profile_error(p, "[body] field2: \"a\" is already set by field1");
	p = body_profile(PROFILE_BODY_JSON);
	field(p, "a:int", "a");
	expect_profile_error(p, "the type \"int\" is not string, number, "
			     "boolean or json");
	p = body_profile(PROFILE_BODY_JSON);
	field(p, "a..b", "a");
	expect_profile_error(p, "a dotted path needs a name on each side");
	p = body_profile(PROFILE_BODY_FORM);
	field(p, "a:number", "a");
	expect_profile_error(p, "a form field has no type");
	p = body_profile(PROFILE_BODY_JSON);
	constant(p, "n:number", "x1");
	expect_profile_error(p, "[body] const1: \"x1\" is not a JSON number");
	p = body_profile(PROFILE_BODY_JSON);
	constant(p, "k", "${TOKEN}");
	expect_profile_error(p, "${NAME} is not expanded in the body");
	p = body_profile(PROFILE_BODY_NONE);
	field(p, "a", "a");
	expect_profile_error(p, "a body field needs format = json, form or "
			     "ndjson");
	p = body_profile(PROFILE_BODY_JSON);
	free(p->method);
	p->method = xstrdup("GET");
	expect_profile_error(p, "GET carries no body");
	p = body_profile(PROFILE_BODY_JSON);
	p->batch_size = 10;
	profile_list_add(&p->mappings, "map1", 0, "email", "e");
	expect_profile_error(p, "map those columns into the body (field1 = "
			     "\"email=e\")");
	p = body_profile(PROFILE_BODY_FORM);
	p->batch_size = 10;
	expect_profile_error(p, "a form cannot hold a batch");
	p = body_profile(PROFILE_BODY_NDJSON);
	p->batch_wrap = xstrdup("x");
	expect_profile_error(p, "is for format = json only");
}

/* Every string field is encoded exactly as jansson encodes it (plain
 * strings take a copy path): random strings of every ASCII byte and some
 * multibyte characters. */
static void test_strings_as_jansson_encodes(void **state)
{
	(void)state;
	struct profile *p = body_profile(PROFILE_BODY_JSON);
	field(p, "s", "c0");
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct body_plan *b = body_plan_new(p, &m);
	char *path = tu_writes("one.csv", "c0\nx\n");
	char *err = NULL;
	struct segment *seg = segment_open(path, NULL, &err);
	assert_int_equal(body_plan_bind(b, seg, &m), 0);
	static const char *const multi[] = { "\xc3\xa9", "\xe2\x82\xac",
					     "\xf0\x9f\x98\x80",
					     "\xe2\x80\xa8" };
	unsigned seed = 12345;
	struct hc_buf v, out, why;
	hc_buf_init(&v);
	hc_buf_init(&out);
	hc_buf_init(&why);
	for (int t = 0; t < 5000; t++) {
		hc_buf_reset(&v);
		int len = (int)(rand_r(&seed) % 24) + 1;
		for (int i = 0; i < len; i++) {
			int r = rand_r(&seed) % 140;
			if (r < 128 && r > 0)
				hc_buf_addc(&v, (char)r);
			else
				hc_buf_adds(&v, multi[r % 4]);
		}
		/* plain strings most of the time, as real data is */
		if (t % 2 == 0)
			for (size_t i = 0; i < v.len; i++)
				if ((unsigned char)v.data[i] < 0x20 ||
				    v.data[i] == '"' || v.data[i] == '\\')
					v.data[i] = 'x';
		const char *fields[1] = { v.data };
		size_t lens[1] = { v.len };
		struct segment_row row = { .row = 1, .line = 2, .nfields = 1,
					   .fields = fields, .lens = lens };
		hc_buf_reset(&out);
		assert_int_equal(body_build(b, &row, &out, &why), 0);
		json_t *j = json_stringn(v.data, v.len);
		assert_non_null(j);
		char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
		json_decref(j);
		char *full = xasprintf("{\"s\":%s}", want);
		assert_string_equal(out.data, full);
		free(full);
		free(want);
	}
	hc_buf_free(&v);
	hc_buf_free(&out);
	hc_buf_free(&why);
	segment_free(seg);
	free(path);
	body_plan_free(b);
	hc_msgs_free(&m);
	profile_free(p);
}

/* request_check() gives request_build_body()'s verdict on a body's size
 * too, for values around batch_bytes, escaped or not. */
static void test_check_agrees_on_body_size(void **state)
{
	(void)state;
	struct profile *p = body_profile(PROFILE_BODY_JSON);
	field(p, "a.b", "c");
	field(p, "n:number", "d");
	constant(p, "k", "v");
	p->batch_bytes = 1024;
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct request_plan *plan = request_plan_new(p, &m);
	assert_non_null(plan);
	char *path = tu_writes("size.csv", "c,d\nx,1\n");
	char *err = NULL;
	struct segment *seg = segment_open(path, NULL, &err);
	assert_int_equal(request_plan_bind(plan, seg, &m), 0);
	struct hc_buf u, s, body, w1, w2, v;
	hc_buf_init(&u);
	hc_buf_init(&s);
	hc_buf_init(&body);
	hc_buf_init(&w1);
	hc_buf_init(&w2);
	hc_buf_init(&v);
	int ok = 0, bad = 0;
	for (size_t n = 800; n < 1100; n++) {
		hc_buf_reset(&v);
		for (size_t i = 0; i < n; i++)
			hc_buf_addc(&v, n % 3 == 0 && i % 5 == 0 ? '\n' : 'x');
		const char *fields[2] = { v.data, "12" };
		size_t lens[2] = { v.len, 2 };
		struct segment_row row = { .row = 1, .line = 2, .nfields = 2,
					   .fields = fields, .lens = lens };
		hc_buf_reset(&w1);
		hc_buf_reset(&w2);
		int b = request_build_body(plan, &row, &u, &s, &body, &w1);
		int c = request_check(plan, &row, &w2);
		assert_int_equal(b, c);
		assert_string_equal(w1.data ? w1.data : "",
				    w2.data ? w2.data : "");
		if (b == 0) {
			assert_true(body.len <= 1024);
			ok++;
		} else {
			assert_non_null(strstr(w1.data, "over [body] "
					       "batch_bytes = 1024"));
			bad++;
		}
	}
	assert_true(ok > 50 && bad > 50);
	hc_buf_free(&u);
	hc_buf_free(&s);
	hc_buf_free(&body);
	hc_buf_free(&w1);
	hc_buf_free(&w2);
	hc_buf_free(&v);
	segment_free(seg);
	free(path);
	request_plan_free(plan);
	hc_msgs_free(&m);
	profile_free(p);
}

static void test_json_number_grammar(void **state)
{
	(void)state;
	static const char *const good[] = { "0", "-0", "1", "-12", "1.5",
					    "0.0", "1e5", "1E+5", "-1.25e-10" };
	static const char *const bad[] = { "", "-", "+1", "01", "1.", ".5",
					   "1e", "1e+", "0x10", " 1", "1 ",
					   "NaN", "Infinity", "1.2.3" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(body_json_number(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(body_json_number(bad[i], strlen(bad[i])));
}

/* The Standard Webhooks specification's own example. */
static void test_standard_webhooks_known_answer(void **state)
{
	(void)state;
	char *err = NULL;
	size_t n = 0;
	unsigned char *key = sign_whsec_decode(
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &n, &err);
	assert_non_null(key);
	assert_int_equal(n, 24);
	char sig[64];
	const char *body = "{\"test\": 2432232314}";
	sign_standard(key, n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
		      body, strlen(body), sig, sizeof sig);
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	assert_true(sign_standard_verify(key, n, "msg_p5jXN8AQM9LWM0D4loKWxJek",
					 "1614265330", body, strlen(body),
					 "v1,bogus v1,g0hM9SsE+OTPJTGt/tmIKtSy"
					 "ZlE3uFJELVlNIOLJ1OE="));
	/* a tampered body, id or time does not verify */
	assert_false(sign_standard_verify(key, n, "msg_p5jXN8AQM9LWM0D4loKWxJek",
					  "1614265330", "{\"test\": 2432232315}",
					  strlen(body), sig));
	assert_false(sign_standard_verify(key, n, "msg_x", "1614265330", body,
					  strlen(body), sig));
	assert_false(sign_standard_verify(key, n, "msg_p5jXN8AQM9LWM0D4loKWxJek",
					  "1614265331", body, strlen(body),
					  sig));
	free(key);
	static const char *const bad[] = { "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
					   "whsec_", "whsec_abc",
					   "whsec_Mf!Q9r8GKYqrTwjUPD8ILPZIo2La",
					   "whsec_M=KQ" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		key = sign_whsec_decode(bad[i], &n, &err);
		assert_null(key);
		assert_non_null(err);
		/* the message never repeats the secret */
		const char *b64 = bad[i] + (bad[i][0] == 'w' ? 6 : 0);
		if (*b64)
			assert_null(strstr(err, b64));
		free(err);
		err = NULL;
	}
}

static void test_hmac_known_answer(void **state)
{
	(void)state;
	const char *msg = "The quick brown fox jumps over the lazy dog";
	char out[128];
	sign_hmac("key", 3, msg, strlen(msg), false, out, sizeof out);
	assert_string_equal(out, "f7bc83f430538424b13298e6aa6fb143ef4d59a1494"
			    "6175997479dbc2d1a3cd8");
	sign_hmac("key", 3, msg, strlen(msg), true, out, sizeof out);
	assert_string_equal(out, "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
}

static void test_signer_headers(void **state)
{
	(void)state;
	struct profile *p = body_profile(PROFILE_BODY_JSON);
	p->sign_scheme = PROFILE_SIGN_HMAC;
	p->sign_secret = xstrdup("${HC_TEST_SIGN}");
	p->sign_prefix = xstrdup("");
	p->sign_header = xstrdup("X-Sig");
	p->sign_base64 = true;
	struct hc_msgs m;
	hc_msgs_init(&m);
	bool ok;
	unsetenv("HC_TEST_SIGN");
	assert_null(signer_new(p, &m, &ok));
	assert_false(ok);
	assert_true(tu_msgs_has(&m, "[signing] secret: ${HC_TEST_SIGN} is not "
				    "set"));
	setenv("HC_TEST_SIGN", "key", 1);
	struct hc_signer *s = signer_new(p, &m, &ok);
	assert_non_null(s);
	char h[SIGN_HEADERS_MAX][SIGN_HEADER_MAX];
	const char *msg = "The quick brown fox jumps over the lazy dog";
	assert_int_equal(signer_headers(s, "", 1, msg, strlen(msg), h), 1);
	assert_string_equal(h[0], "X-Sig: 97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC"
			    "0aPNg=");
	signer_free(s);
	/* standard-webhooks from the environment: a bad value is named by
	 * its key, never shown */
	p->sign_scheme = PROFILE_SIGN_STANDARD;
	free(p->sign_prefix);
	free(p->sign_header);
	p->sign_prefix = p->sign_header = NULL;
	p->sign_base64 = false;
	setenv("HC_TEST_SIGN", "whsec_not*base64", 1);
	hc_msgs_free(&m);
	hc_msgs_init(&m);
	assert_null(signer_new(p, &m, &ok));
	assert_true(tu_msgs_has(&m, "[signing] secret: the value from the "
				    "environment: the part after whsec_ is "
				    "not valid base64"));
	assert_false(tu_msgs_has(&m, "not*base64"));
	setenv("HC_TEST_SIGN", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1);
	s = signer_new(p, &m, &ok);
	assert_non_null(s);
	const char *body = "{\"test\": 2432232314}";
	assert_int_equal(signer_headers(s, "msg_p5jXN8AQM9LWM0D4loKWxJek",
					1614265330, body, strlen(body), h), 3);
	assert_string_equal(h[0], "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek");
	assert_string_equal(h[1], "webhook-timestamp: 1614265330");
	assert_string_equal(h[2], "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKt"
			    "SyZlE3uFJELVlNIOLJ1OE=");
	signer_free(s);
	unsetenv("HC_TEST_SIGN");
	hc_msgs_free(&m);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_types_and_nesting),
		cmocka_unit_test(test_json_big_numbers),
		cmocka_unit_test(test_json_empty_values),
		cmocka_unit_test(test_json_bad_values),
		cmocka_unit_test(test_ndjson_and_form),
		cmocka_unit_test(test_batch_ends),
		cmocka_unit_test(test_profile_errors),
		cmocka_unit_test(test_strings_as_jansson_encodes),
		cmocka_unit_test(test_check_agrees_on_body_size),
		cmocka_unit_test(test_json_number_grammar),
		cmocka_unit_test(test_standard_webhooks_known_answer),
		cmocka_unit_test(test_hmac_known_answer),
		cmocka_unit_test(test_signer_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
