/*
 * activation_int.h: what activation.c (the run) and activation_sync.c
 * (sync: the state, the plan, what goes to the state after delivery)
 * share. Not part of the core's interface.
 */
#ifndef HOOKCAST_ACTIVATION_INT_H
#define HOOKCAST_ACTIVATION_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hookcast/activation.h"
#include "hookcast/engine.h"
#include "hookcast/history.h"
#include "hookcast/request.h"
#include "hookcast/segment.h"
#include "hookcast/sync.h"

#define TOP_ERRORS 8

/* A row on its way, in sync mode: what the state gets once it is
 * delivered. The activation owns these (a list), the engine carries them
 * (engine_request.ctx). */
struct pending {
	struct pending *prev, *next;
	enum sync_event event;
	char *key;      /* both in this allocation */
	char *vals;
	size_t keylen;
	uint64_t keyh;
	unsigned char fp[16];
	char data[];
};

/* A batch on its way: its rows, in the order their bodies are in. The
 * activation owns these (a list), the engine carries them (ctx). */
struct batch_row {
	uint64_t row, line;
	struct pending *pd; /* sync: the row's; NULL in all mode */
	size_t off, len;    /* its part of the body */
	char key[33];       /* its own key */
};

struct batch {
	struct batch *prev, *next;
	uint64_t id;        /* numbered as first journaled; 0 before */
	const char *method; /* NULL: the profile's */
	size_t n;
	struct batch_row rows[];
};

/* One open batch per event: all (0), added, changed, removed. */
#define BATCH_ACCS 4
struct batch_acc {
	struct batch *b; /* NULL: none open */
	struct hc_buf body, url, shown;
};

struct top_error {
	char *text;
	uint64_t count;
};

struct activation {
	struct activation_opts opts;
	char *state_dir;
	struct profile *profile;
	char *profile_abs; /* for the lock */
	struct request_plan *plan;
	char *segment_path; /* what is read: a file, or the stdin spool */
	bool spooled;       /* segment_path is our copy of stdin */
	struct segment_opts seg_opts;

	/* Selection: shard, limit, and the rows a resume or retry skips. */
	struct history_finals prior;  /* resume: rows already final */
	struct history_finals retry;  /* retry-failed: the parent's finals */
	bool resume, retry_failed;
	char *parent_id; /* the run resumed or retried ("last" resolved) */
	uint64_t selected_valid; /* valid rows taken so far (for --limit) */

	/* Validation results. */
	uint64_t rows_total, selected, valid, invalid;
	char sha256[65];

	/* The run. */
	struct history_meta meta;
	char *profile_ini; /* the snapshot written to run.ini */
	int lock_fd[2]; /* the profile's lock, and the shard's (or -1) */
	struct history_journal *journal;
	struct segment *seg;
	struct engine *engine;
	struct hc_buf why;
	char *journal_error;
	char *results_path;
	bool interrupted;
	bool source_failed;
	bool started;
	int exit_status;
	struct top_error top[TOP_ERRORS];
	size_t ntop;
	char final_state[16];

	/* Sync: mode changes or mirror. */
	bool sync, mirror;
	bool plan_loaded;          /* from a run's folder (resume, retry) */
	struct sync_store *store;
	struct sync_writer *writer; /* the store's, while the run sends */
	char *replay_run;          /* a run that did not finish: its log */
	char *store_path;
	struct sync_index *index;
	long *key_cols;            /* the key columns, bound */
	size_t nkey;
	long *val_cols;            /* the columns a removal needs */
	const char **val_names;    /* borrowed from the profile */
	size_t nval;
	uint8_t *events;           /* enum sync_event, one a segment row */
	uint64_t events_cap;
	struct sync_removed *removed;
	size_t nremoved, removed_next;
	uint64_t n_added, n_changed, n_unchanged, n_removed;
	char sync_note[256];
	char *profile_fp;
	struct pending *pending;
	FILE *dry_err; /* a dry run: invalid rows are told here */
	struct hc_buf keybuf, valbuf;
	struct hc_buf urlbuf, shownbuf, bodybuf; /* classify's */
	struct hc_signer *signer;  /* [signing], NULL: none */
	/* Batches ([body] batch_size > 1). */
	bool batching;
	struct batch *batches;     /* every batch not final yet */
	struct batch_acc acc[BATCH_ACCS];
	struct hc_buf bt_url, bt_shown, bt_body; /* the row being added */
	bool bt_drained;           /* the rows ran out: flush what is open */
	uint64_t batch_seq;        /* the last batch number given */
	struct hc_buf dry_body;    /* a dry run's request body */
};

/* activation.c */
bool act_in_scope(const struct activation *a, uint64_t row);
bool act_limit_reached(const struct activation *a);
void act_journal_invalid(struct activation *a, const struct segment_row *row,
			 const char *why);
int act_open_segment(struct activation *a, char **err);
int act_take_lock(struct activation *a, const char *id, struct hc_msgs *msgs);
/* Does each request need a key (an idempotency header, or a signature
 * whose webhook-id it is)? */
bool act_wants_key(const struct activation *a);
/* Print one request of a dry run (with its headers under --headers). */
void act_dry_print(const struct activation *a, FILE *out, const char *method,
		   const char *url, const struct hc_buf *body, const char *key);

/* All mode's next request: one row. */
int act_all_next(struct activation *a, struct engine_request *req);

/* activation_batch.c */
int act_batch_next(struct activation *a, struct engine_request *req);
/* Journal a batch's result once per row (l has the rest filled); the
 * batch is freed once final. Returns the rows. */
int act_batch_record(struct activation *a, const struct engine_result *r,
		     struct history_line *l);
int act_batch_dry_run(struct activation *a, FILE *out, FILE *errf,
		      int *status);
void act_batches_free(struct activation *a);

/* activation_sync.c */
enum sync_event act_event_of(const struct activation *a, uint64_t row);
void act_set_event(struct activation *a, uint64_t row, enum sync_event e);
int act_sync_open(struct activation *a, struct hc_msgs *msgs);
int act_sync_bind(struct activation *a, const struct segment *seg,
		  struct hc_msgs *msgs);
enum sync_event act_sync_row(struct activation *a,
			     const struct segment_row *row, bool *ok);
int act_collect_removed(void *ud, const struct sync_record *r);
int act_sync_next(struct activation *a, struct engine_request *req);
void act_pending_free(struct pending *p);
void act_pending_unlink(struct activation *a, struct pending *p);
int act_replay_store(struct activation *a, struct hc_msgs *msgs);
int act_sync_start(struct activation *a, struct hc_msgs *msgs);
void act_sync_record(struct activation *a, struct pending *pd,
		     const struct engine_result *r);
int act_sync_end(struct activation *a, struct hc_msgs *msgs);
int act_sync_finish(struct activation *a, struct hc_msgs *msgs);
int act_sync_dry_run(struct activation *a, FILE *out, FILE *errf,
		     struct hc_buf *url, struct hc_buf *shown, int *status);

#endif
