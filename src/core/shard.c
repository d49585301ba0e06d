#include "hookcast/shard.h"
#include "hookcast/util.h"

#include <stdlib.h>

#define SHARD_MAX 1000000L

struct scheduler {
	const char *name;
	const char *index;  /* the variable holding this shard's index */
	long base;          /* the index of the first shard: 0 or 1 */
	const char *min;    /* NULL, or a variable holding that base */
	const char *count;  /* NULL, or the scheduler's own count variable */
};

static const struct scheduler schedulers[] = {
	{ "Kubernetes Indexed Job", "JOB_COMPLETION_INDEX", 0, NULL, NULL },
	{ "Slurm job array", "SLURM_ARRAY_TASK_ID", 0, "SLURM_ARRAY_TASK_MIN",
	  "SLURM_ARRAY_TASK_COUNT" },
	{ "Nomad", "NOMAD_ALLOC_INDEX", 0, NULL, NULL },
	{ "GNU parallel", "PARALLEL_SEQ", 1, NULL, NULL },
};

/* A variable's value shown in a message: quoted, cut, printable. */
static char *shown(const char *v)
{
	char buf[40];
	size_t i;
	for (i = 0; i < sizeof buf - 1 && v[i]; i++)
		buf[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	buf[i] = '\0';
	return xasprintf("\"%s%s\"", buf, v[i] ? "..." : "");
}

int shard_from_env(unsigned *k, unsigned *n, char **err)
{
	const struct scheduler *s = NULL;
	const char *iv = NULL;
	for (size_t i = 0; i < sizeof schedulers / sizeof schedulers[0]; i++) {
		iv = getenv(schedulers[i].index);
		if (iv && *iv) {
			s = &schedulers[i];
			break;
		}
	}
	if (s == NULL) {
		*err = xstrdup("--shard auto: no scheduler's shard index in the "
			       "environment; looked for " SHARD_ENV_NAMES);
		return -1;
	}
	long base = s->base, index, count;
	const char *mv = s->min ? getenv(s->min) : NULL;
	if (mv && *mv && hc_parse_long(mv, 0, SHARD_MAX, &base) < 0) {
		char *q = shown(mv);
		*err = xasprintf("--shard auto (%s): %s=%s is not a whole number",
				 s->name, s->min, q);
		free(q);
		return -1;
	}
	if (hc_parse_long(iv, 0, SHARD_MAX, &index) < 0 || index < base) {
		char *q = shown(iv);
		*err = xasprintf("--shard auto (%s): %s=%s is not a whole number "
				 "from %ld", s->name, s->index, q, base);
		free(q);
		return -1;
	}
	const char *cname = "HOOKCAST_SHARDS";
	const char *cv = getenv(cname);
	if ((cv == NULL || *cv == '\0') && s->count) {
		cname = s->count;
		cv = getenv(cname);
	}
	if (cv == NULL || *cv == '\0') {
		*err = xasprintf("--shard auto (%s, %s=%s): set HOOKCAST_SHARDS "
				 "to the number of shards; %s does not give it",
				 s->name, s->index, iv, s->name);
		return -1;
	}
	if (hc_parse_long(cv, 1, SHARD_MAX, &count) < 0) {
		char *q = shown(cv);
		*err = xasprintf("--shard auto (%s): %s=%s is not a whole number "
				 "from 1", s->name, cname, q);
		free(q);
		return -1;
	}
	if (index - base >= count) {
		*err = xasprintf("--shard auto (%s): %s=%ld is shard %ld, but %s=%ld "
				 "makes %ld shards", s->name, s->index, index,
				 index - base + 1, cname, count, count);
		return -1;
	}
	*k = (unsigned)(index - base + 1);
	*n = (unsigned)count;
	return 0;
}
