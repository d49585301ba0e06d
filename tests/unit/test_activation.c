/* Unit tests for activation.c: the whole-segment check before a run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hookcast/activation.h"
#include "testutil.h"

struct calls {
	unsigned n;
	unsigned cancel_at; /* 0: never */
	uint64_t last;
};

static int on_check(void *ud, uint64_t rows)
{
	struct calls *c = ud;
	c->n++;
	c->last = rows;
	return c->cancel_at && c->n >= c->cancel_at;
}

/* A profile over a segment of rows rows; returns the profile's path. */
static char *setup(unsigned rows)
{
	struct hc_buf b;
	hc_buf_init(&b);
	hc_buf_adds(&b, "id\n");
	for (unsigned i = 1; i <= rows; i++)
		hc_buf_printf(&b, "%u\n", i);
	free(tu_write("check.csv", b.data, b.len));
	hc_buf_free(&b);
	return tu_writes("check.ini", "[destination]\nurl = \"http://127.0.0.1:9/h\"\n"
			 "[segment]\nfile = \"check.csv\"\n[mappings]\n"
			 "map1 = \"id=id\"\n");
}

/* activation_new over 200,000 rows, with the check callback counting. */
static struct activation *check_rows(struct calls *c, struct hc_msgs *m,
				     int *status)
{
	char *ini = setup(200000);
	struct activation_opts o = { .profile_path = ini, .rate = -1,
				     .dry_run = true, .on_check = on_check,
				     .check_ud = c };
	*status = -1;
	struct activation *a = activation_new(&o, m, status);
	free(ini);
	return a;
}

static void test_check_reports_progress(void **state)
{
	(void)state;
	struct calls c = { 0 };
	struct hc_msgs m;
	hc_msgs_init(&m);
	int status;
	struct activation *a = check_rows(&c, &m, &status);
	assert_non_null(a);
	assert_int_equal(status, HC_OK);
	/* every 65,536 rows: at 65536, 131072 and 196608 */
	assert_int_equal(c.n, 3);
	assert_int_equal(c.last, 196608);
	struct activation_stats s;
	activation_get_stats(a, &s);
	assert_int_equal(s.rows_total, 200000);
	activation_free(a);
	hc_msgs_free(&m);
}

static void test_check_can_be_cancelled(void **state)
{
	(void)state;
	struct calls c = { .cancel_at = 2 };
	struct hc_msgs m;
	hc_msgs_init(&m);
	int status;
	struct activation *a = check_rows(&c, &m, &status);
	assert_null(a);
	assert_int_equal(status, HC_INTERRUPTED);
	assert_int_equal(m.n, 0); /* a cancel is no error */
	assert_int_equal(c.n, 2);
	hc_msgs_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_reports_progress),
		cmocka_unit_test(test_check_can_be_cancelled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
