/* --shard auto: K and N from each scheduler's environment, and the errors
 * that name what was looked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hookcast/shard.h"

static const char *const vars[] = {
	"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
	"SLURM_ARRAY_TASK_COUNT", "NOMAD_ALLOC_INDEX", "PARALLEL_SEQ",
	"HOOKCAST_SHARDS",
};

static void clear(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

static void want(unsigned k, unsigned n)
{
	unsigned gk = 0, gn = 0;
	char *err = NULL;
	int r = shard_from_env(&gk, &gn, &err);
	if (r != 0)
		fail_msg("unexpected error: %s", err);
	assert_int_equal(gk, k);
	assert_int_equal(gn, n);
}

static void want_error(const char *part)
{
	unsigned k, n;
	char *err = NULL;
	assert_int_equal(shard_from_env(&k, &n, &err), -1);
	assert_non_null(err);
	if (strstr(err, part) == NULL)
		fail_msg("\"%s\" not in \"%s\"", part, err);
	free(err);
}

static void test_schedulers(void **state)
{
	(void)state;
	clear();
	setenv("JOB_COMPLETION_INDEX", "0", 1);
	setenv("HOOKCAST_SHARDS", "4", 1);
	want(1, 4);
	setenv("JOB_COMPLETION_INDEX", "3", 1);
	want(4, 4);

	clear();
	setenv("SLURM_ARRAY_TASK_ID", "2", 1);
	setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
	want(3, 3);
	/* --array=1-3: the first task is shard 1 */
	setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
	want(2, 3);

	clear();
	setenv("NOMAD_ALLOC_INDEX", "1", 1);
	setenv("HOOKCAST_SHARDS", "2", 1);
	want(2, 2);

	clear();
	setenv("PARALLEL_SEQ", "1", 1); /* 1-based */
	setenv("HOOKCAST_SHARDS", "4", 1);
	want(1, 4);
	clear();
}

static void test_errors(void **state)
{
	(void)state;
	clear();
	want_error("no scheduler's shard index in the environment; looked "
		   "for JOB_COMPLETION_INDEX");
	setenv("JOB_COMPLETION_INDEX", "1", 1);
	want_error("set HOOKCAST_SHARDS to the number of shards; Kubernetes "
		   "Indexed Job does not give it");
	setenv("HOOKCAST_SHARDS", "2", 1);
	setenv("JOB_COMPLETION_INDEX", "2", 1);
	want_error("JOB_COMPLETION_INDEX=2 is shard 3, but HOOKCAST_SHARDS=2 "
		   "makes 2 shards");
	setenv("JOB_COMPLETION_INDEX", "-1", 1);
	want_error("JOB_COMPLETION_INDEX=\"-1\" is not a whole number from 0");
	setenv("JOB_COMPLETION_INDEX", "0", 1);
	setenv("HOOKCAST_SHARDS", "0", 1);
	want_error("HOOKCAST_SHARDS=\"0\" is not a whole number from 1");
	clear();
	setenv("PARALLEL_SEQ", "0", 1);
	setenv("HOOKCAST_SHARDS", "2", 1);
	want_error("PARALLEL_SEQ=\"0\" is not a whole number from 1");
	setenv("PARALLEL_SEQ", "5", 1);
	want_error("PARALLEL_SEQ=5 is shard 5, but HOOKCAST_SHARDS=2");
	clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedulers),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
