/* The metrics file: labels escaped as the text format asks, written
 * atomically, and the last success read back for the same labels only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hookcast/metrics.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_labels_and_last_success(void **state)
{
	(void)state;
	char dir[] = "/tmp/hc-metrics-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/m.prom", dir);
	struct activation_stats s;
	memset(&s, 0, sizeof s);
	s.e.delivered = 7;
	s.prior_delivered = 3;
	s.e.by_class[0] = 12;
	struct metrics_run r = {
		.profile = "we\"ird\\name\n", .shard_k = 2, .shard_n = 4,
		.state = "done", .started = 100, .ended = 160.5,
		.exit_status = 0, .last_success = 160.5,
	};
	char *err = NULL;
	assert_int_equal(metrics_write(path, &r, &s, &err), 0);
	const char *t = slurp(path);
	assert_non_null(strstr(t, "hookcast_rows_total{profile=\"we\\\"ird\\\\"
				  "name\\n\",shard=\"2/4\",outcome=\"delivered\"} "
				  "10\n"));
	assert_non_null(strstr(t, "hookcast_run_state{profile=\"we\\\"ird\\\\"
				  "name\\n\",shard=\"2/4\",state=\"done\"} 1\n"));
	assert_non_null(strstr(t, "# TYPE hookcast_request_duration_seconds "
				  "histogram\n"));
	assert_true(metrics_last_success(path, r.profile, 2, 4) == 160.5);
	/* another shard's, or another profile's, is not this one's */
	assert_true(metrics_last_success(path, r.profile, 1, 4) == 0);
	assert_true(metrics_last_success(path, "other", 2, 4) == 0);
	/* a run that never succeeded writes no such line */
	r.last_success = 0;
	r.state = "interrupted";
	assert_int_equal(metrics_write(path, &r, &s, &err), 0);
	assert_null(strstr(slurp(path), "last_success"));
	assert_true(metrics_last_success(path, r.profile, 2, 4) == 0);
	/* an earlier file that is not ours, or damaged: no last success,
	 * no crash; only a positive number on our own series counts */
	FILE *g = fopen(path, "w");
	assert_non_null(g);
	fputs("garbage\n\n# HELP x\nhookcast_last_success_timestamp_seconds"
	      "{profile=\"we\\\"ird\\\\name\\n\",shard=\"2/4\"} "
	      "not-a-number\nhookcast_last_success_timestamp_seconds"
	      "{profile=\"other\",shard=\"\"} 99\n", g);
	for (int i = 0; i < 3000; i++) /* a line longer than the reader's */
		fputc('x', g);
	fputs("\nhookcast_last_success_timestamp_seconds{profile=\"we\\\"ird"
	      "\\\\name\\n\",shard=\"2/4\"} -5\n", g);
	fclose(g);
	assert_true(metrics_last_success(path, r.profile, 2, 4) == 0);
	assert_true(metrics_last_success(path, "other", 0, 0) == 99);
	/* a folder that is not there: an error naming the file */
	char bad[300];
	snprintf(bad, sizeof bad, "%s/none/m.prom", dir);
	assert_int_equal(metrics_write(bad, &r, &s, &err), -1);
	assert_non_null(strstr(err, "/none/m.prom.tmp."));
	free(err);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_and_last_success),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
