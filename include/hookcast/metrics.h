/*
 * metrics.h: a run's metrics in the Prometheus text exposition format, for
 * node_exporter's textfile collector (run --metrics FILE).
 */
#ifndef HOOKCAST_METRICS_H
#define HOOKCAST_METRICS_H

#include "hookcast/activation.h"

struct metrics_run {
	const char *profile;     /* the label: the profile file's name */
	unsigned shard_k, shard_n; /* shard_n 0: every row */
	const char *state;       /* running, paused, stopping, done, stopped,
				  * aborted, interrupted */
	double started, ended;   /* seconds since the epoch; ended 0: not yet */
	int exit_status;         /* -1 while running */
	double last_success;     /* when a run last reached "done"; 0: never */
};

/* The states hookcast_run_state lists, one of them 1. */
extern const char *const metrics_states[];

/* Write the text to path atomically (a temporary file in the same folder,
 * then rename). 0, or -1 with *err (caller frees). */
int metrics_write(const char *path, const struct metrics_run *run,
		  const struct activation_stats *s, char **err);

/* hookcast_last_success_timestamp_seconds for these labels from an
 * earlier file at path, so that a failed run keeps it; 0 when none. */
double metrics_last_success(const char *path, const char *profile,
			    unsigned shard_k, unsigned shard_n);

#endif
