/* Unit tests of the engine's pure parts: Retry-After, the retry policy,
 * and the fixed-size statistics. (Delivery itself is tested over real HTTP
 * in tests/integration.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hookcast/engine.h"
#include "hookcast/stats.h"

static void test_retry_after(void **state)
{
	(void)state;
	double now = 1764300000; /* a fixed "now" */
	assert_true(engine_parse_retry_after("1", now) == 1);
	assert_true(engine_parse_retry_after(" 120 ", now) == 120);
	assert_true(engine_parse_retry_after("0", now) == 0);
	/* capped at 300 s */
	assert_true(engine_parse_retry_after("999999", now) == 300);
	assert_true(engine_parse_retry_after("99999999999999999999", now) == 300);
	/* an HTTP date, 90 s after now, and one in the past */
	assert_true(engine_parse_retry_after("Fri, 28 Nov 2025 03:21:30 GMT",
					     now) == 90);
	assert_true(engine_parse_retry_after("Fri, 28 Nov 2025 03:00:00 GMT",
					     now) == 0);
	assert_true(engine_parse_retry_after("Sun, 01 Jan 2090 00:00:00 GMT",
					     now) == 300);
	/* garbage */
	assert_true(engine_parse_retry_after("soon", now) < 0);
	assert_true(engine_parse_retry_after("", now) < 0);
	assert_true(engine_parse_retry_after("-5", now) < 0);
	assert_true(engine_parse_retry_after("1.5", now) < 0);
	assert_true(engine_parse_retry_after(NULL, now) < 0);
}

static void test_retry_policy(void **state)
{
	(void)state;
	static const long retried[] = { 408, 425, 429, 500, 502, 503, 504 };
	for (size_t i = 0; i < 7; i++)
		assert_true(engine_retryable(retried[i], CURLE_OK));
	static const long permanent[] = { 400, 401, 403, 404, 410, 422, 501, 505 };
	for (size_t i = 0; i < 8; i++)
		assert_false(engine_retryable(permanent[i], CURLE_OK));
	assert_true(engine_retryable(0, CURLE_COULDNT_CONNECT));
	assert_true(engine_retryable(0, CURLE_OPERATION_TIMEDOUT));
	assert_true(engine_retryable(0, CURLE_GOT_NOTHING));
	assert_true(engine_retryable(0, CURLE_RECV_ERROR));
	assert_true(engine_retryable(0, CURLE_SEND_ERROR));
	assert_true(engine_retryable(0, CURLE_PARTIAL_FILE));
	assert_false(engine_retryable(0, CURLE_COULDNT_RESOLVE_HOST));
	assert_false(engine_retryable(0, CURLE_PEER_FAILED_VERIFICATION));
	assert_false(engine_retryable(0, CURLE_UNSUPPORTED_PROTOCOL));
}

/* An HTTP/2 answer given before the request was all sent counts only as
 * a 2xx with the reset that carries no error code (no message). */
static void test_answered_early(void **state)
{
	(void)state;
	assert_true(engine_answered_early(CURLE_HTTP2_STREAM, "", 204));
	assert_true(engine_answered_early(CURLE_HTTP2_STREAM, "", 200));
	assert_false(engine_answered_early(CURLE_HTTP2_STREAM,
					   "HTTP/2 stream 1 was not closed "
					   "cleanly: INTERNAL_ERROR (err 2)",
					   200));
	assert_false(engine_answered_early(CURLE_HTTP2_STREAM, "", 500));
	assert_false(engine_answered_early(CURLE_HTTP2_STREAM, "", 0));
	assert_false(engine_answered_early(CURLE_HTTP2_STREAM, "", 301));
	assert_false(engine_answered_early(CURLE_SEND_ERROR, "", 200));
	assert_false(engine_answered_early(CURLE_OK, "", 200));
}

static void test_histogram(void **state)
{
	(void)state;
	static struct hist h; /* zeroed */
	assert_int_equal(hist_quantile(&h, 0.5), 0);
	for (uint64_t us = 1; us <= 100000; us++)
		hist_add(&h, us);
	assert_int_equal(h.n, 100000);
	assert_int_equal(hist_quantile(&h, 0), 1);
	assert_int_equal(hist_quantile(&h, 1), 100000);
	static const double q[] = { 0.5, 0.9, 0.99 };
	for (size_t i = 0; i < 3; i++) {
		double want = q[i] * 100000;
		double got = (double)hist_quantile(&h, q[i]);
		/* within the bucket precision (1/16) */
		assert_true(got > want * 0.93 && got < want * 1.07);
	}
	static struct hist small;
	hist_add(&small, 7);
	assert_int_equal(hist_quantile(&small, 0.5), 7);
	hist_add(&small, (uint64_t)1 << 50); /* far past the last bucket */
	assert_int_equal(hist_quantile(&small, 1), (uint64_t)1 << 50);
}

static void test_hist_bins(void **state)
{
	(void)state;
	struct hist h;
	memset(&h, 0, sizeof h);
	/* 3 under 1 ms, 2 at 30 ms, 1 at 7 s (over the last edge) */
	hist_add(&h, 200);
	hist_add(&h, 500);
	hist_add(&h, 900);
	hist_add(&h, 30000);
	hist_add(&h, 30500);
	hist_add(&h, 7000000);
	const uint64_t edges[3] = { 1000, 50000, 5000000 };
	uint64_t out[4];
	hist_bins(&h, edges, 4, out);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[2], 0);
	assert_int_equal(out[3], 1);
}

static void test_rate_window(void **state)
{
	(void)state;
	struct rate_window r;
	memset(&r, 0, sizeof r);
	assert_true(rate_now(&r, 100) == 0);
	for (int i = 0; i < 100; i++)
		rate_add(&r, 100 + i * 0.1, 10); /* 100/s for 10 s */
	double v = rate_now(&r, 110);
	assert_true(v > 90 && v < 110);
	/* nothing for a while: the window empties */
	assert_true(rate_now(&r, 200) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_retry_policy),
		cmocka_unit_test(test_answered_early),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_rate_window),
		cmocka_unit_test(test_hist_bins),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
