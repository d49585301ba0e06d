/*
 * shard.h: which shard this process is, from the scheduler that started
 * it (--shard auto).
 */
#ifndef HOOKCAST_SHARD_H
#define HOOKCAST_SHARD_H

/* The variables looked at, in order, for the message of a failure. */
#define SHARD_ENV_NAMES                                                      \
	"JOB_COMPLETION_INDEX (Kubernetes Indexed Job), SLURM_ARRAY_TASK_ID " \
	"with SLURM_ARRAY_TASK_COUNT (Slurm), NOMAD_ALLOC_INDEX (Nomad), "   \
	"PARALLEL_SEQ (GNU parallel), with HOOKCAST_SHARDS for the count "   \
	"where the scheduler does not give it"

/*
 * Shard K of N (1-based K) from the environment:
 *   Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based), HOOKCAST_SHARDS
 *   Slurm job array: SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN (0 when
 *     unset), SLURM_ARRAY_TASK_COUNT (HOOKCAST_SHARDS, when set, wins)
 *   Nomad: NOMAD_ALLOC_INDEX (0-based), HOOKCAST_SHARDS
 *   GNU parallel: PARALLEL_SEQ (1-based), HOOKCAST_SHARDS
 * The first scheduler whose index variable is set decides. 0, or -1 with
 * *err (caller frees) naming the variables and their values.
 */
int shard_from_env(unsigned *k, unsigned *n, char **err);

#endif
