/*
 * activation.h: one run of a profile over its segment, as both front ends
 * drive it. It joins the segment reader, the request builder, the engine
 * and the journal.
 *
 * Life of a run:
 *   activation_new()     validate the profile and the whole segment (the
 *                        row total, the SHA-256); nothing is sent yet.
 *   activation_start()   create (or, for a resume, reopen) the run folder,
 *                        take the profile's lock, write run.ini, open the
 *                        journal and the engine.
 *   activation_step()    one turn of the loop, until it returns 0.
 *   activation_finish()  close the journal, write the final run.ini,
 *                        release the lock; returns the exit status.
 *   activation_free()
 * Each returns or sets an exit status from enum hc_status and reports
 * problems into the caller's hc_msgs.
 *
 * Secrets: the journal and run.ini hold only redacted URLs and the
 * profile as written (${NAME} kept).
 */
#ifndef HOOKCAST_ACTIVATION_H
#define HOOKCAST_ACTIVATION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hookcast/engine.h"
#include "hookcast/profile.h"
#include "hookcast/util.h"

struct activation_opts {
	const char *profile_path;     /* NULL with resume or retry_failed:
				       * use the run's snapshot */
	const struct profile *profile; /* in memory (the TUI's, maybe not
					* saved): used instead of loading
					* profile_path, which then only names
					* it; copied */
	const char *segment_override; /* -s; "-" reads stdin */
	long concurrency;             /* 0: the profile's */
	bool threads_set;             /* false: the profile's threads */
	long threads;                 /* PROFILE_THREADS_AUTO or 0.. */
	double rate;                  /* < 0: the profile's; with shards,
				       * the total over all N of them: each
				       * takes rate / N */
	bool rate_per_shard_set;      /* rate_per_shard replaces the share */
	double rate_per_shard;        /* this shard's own limit, 0: none */
	long max_attempts;            /* 0: the profile's */
	double timeout;               /* 0: the profile's */
	uint64_t limit;               /* 0: every row */
	unsigned shard_k, shard_n;    /* shard_n 0: no sharding */
	const char *resume_id;        /* a run id, or "last" */
	const char *retry_failed_id;  /* a run id, or "last" */
	const char *state_dir;        /* NULL: history_state_dir() */
	bool dry_run;                 /* no network, no journal */
	bool dry_headers;             /* a dry run prints the headers too */
	/* Sync ([sync] mode changes or mirror): */
	bool plan_only;  /* classify the rows and stop: nothing is sent,
			  * nothing written (hookcast plan) */
	bool baseline;   /* record the segment as delivered; send nothing */
	bool full;       /* send every row, as added or changed */
	/* The removals the user confirmed, from a plan made earlier: the run
	 * refuses (nothing sent) when its own plan removes another number,
	 * as when the segment changed in between. */
	bool check_removed;
	uint64_t confirmed_removed;
	/* Called while activation_new() reads the segment, every 65,536 rows,
	 * with the rows so far: a front end can show progress and poll for a
	 * key. A nonzero return cancels (activation_new fails with
	 * HC_INTERRUPTED and no message). NULL: not called. */
	int (*on_check)(void *ud, uint64_t rows);
	void *check_ud;
};

struct activation_stats {
	struct engine_stats e;
	const char *run_id;
	const char *results_path;
	uint64_t rows_total;   /* data rows in the segment */
	uint64_t selected;     /* rows this run covers (limit, shard, resume) */
	uint64_t valid, invalid;  /* of the selected rows */
	uint64_t to_send;      /* valid rows without a final outcome yet */
	uint64_t prior_delivered, prior_failed; /* journaled before a resume */
	double eta;            /* seconds, < 0 when unknown */
	/* sync: the plan; to_send = added + changed + removed */
	const char *sync_mode; /* all, changes, mirror */
	uint64_t added, changed, removed, unchanged;
	const char *sync_note; /* why every row counts as changed, or "" */
	const char *state_path;
};

struct activation;

/* The rate limit this process applies: the total (opts->rate, else the
 * profile's) split over the shards, or rate_per_shard. 0: unlimited. */
double activation_shard_rate(const struct activation_opts *o,
			     double profile_rate);

/* Returns NULL with *status set (2, 3 or 4) and the reasons in msgs; or
 * NULL with *status 0 when there is nothing to do (--retry-failed of a run
 * with no failed rows), msgs saying so. */
struct activation *activation_new(const struct activation_opts *opts,
				  struct hc_msgs *msgs, int *status);
void activation_free(struct activation *a);

const struct profile *activation_profile(const struct activation *a);
const char *activation_method(const struct activation *a);
/* The profile's absolute path (a resume's: the one it was run from). */
const char *activation_profile_path(const struct activation *a);
/* The run a resume continues or a retry retries ("last" resolved), or
 * NULL. */
const char *activation_parent_id(const struct activation *a);
/* The shard the run covers (n 0: every row). */
void activation_shard(const struct activation *a, unsigned *k, unsigned *n);

/* Print "METHOD URL" per selected valid row (invalid rows to err); no
 * network, no journal. Returns an exit status. */
int activation_dry_run(struct activation *a, FILE *out, FILE *err);

/* --baseline: record every valid row of the segment in the sync state as
 * delivered, and forget the keys that left it; nothing is sent. Returns
 * an exit status; msgs says what was recorded. */
int activation_baseline(struct activation *a, struct hc_msgs *msgs);

int activation_start(struct activation *a, struct hc_msgs *msgs);
int activation_step(struct activation *a, struct curl_waitfd *extra,
		    unsigned nextra, int max_wait_ms);
void activation_wakeup(struct activation *a);

void activation_pause(struct activation *a, bool paused);
/* interrupted: a signal or a lost terminal, not the user's choice. */
void activation_stop(struct activation *a, bool interrupted);
void activation_abort(struct activation *a, bool interrupted);
void activation_set_concurrency(struct activation *a, long n);
void activation_set_rate(struct activation *a, double rate);

void activation_get_stats(const struct activation *a,
			  struct activation_stats *out);
size_t activation_tail(const struct activation *a,
		       struct engine_tail_entry *out, size_t max);

struct activation_error {
	const char *text;
	uint64_t count;
};
/* The most frequent final errors, most first. */
size_t activation_top_errors(const struct activation *a,
			     struct activation_error *out, size_t max);

/* Returns the exit status; msgs gets any error of closing the journal. */
int activation_finish(struct activation *a, struct hc_msgs *msgs);
const char *activation_final_state(const struct activation *a);
/* Why a finished run has the exit status it has, in one sentence for the
 * user: "1 invalid row was not sent", "3 rows failed", "stopped: ...;
 * 12 rows not sent yet (resumable)". Both front ends show it. */
void activation_exit_reason(const struct activation *a, int status,
			    char *buf, size_t n);

#endif
