/*
 * history.h: the state folder, run folders, the journal and the lock.
 *
 * Layout: STATE/runs/RUN_ID/run.ini (the profile snapshot, with ${NAME}
 * kept, plus [run], [source] and [counts]) and STATE/runs/RUN_ID/results.csv
 * (one line per attempt). STATE is $HOOKCAST_STATE_DIR, else
 * $XDG_STATE_HOME/hookcast, else ~/.local/state/hookcast; it is created
 * with mode 0700. Run ids sort by start time.
 *
 * The journal buffers lines in memory; history_journal_flush() writes them
 * with one write() and fsyncs at most once a second; close fsyncs. Every
 * error is returned with *err set (caller frees); nothing is dropped
 * silently. Reading tolerates a torn last line (a crash mid-write).
 */
#ifndef HOOKCAST_HISTORY_H
#define HOOKCAST_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hookcast/util.h"

#define HISTORY_HEADER \
	"row,line,attempt,time,method,status,outcome,latency_ms,error,url," \
	"response,key,response_headers,event,request_body,batch"

/* Resolve the state folder and create it (mode 0700). Caller frees. */
char *history_state_dir(char **err);

/* A new, unique run id sortable by time: 20261128-054507.123-4f2a. */
char *history_new_id(void);

/* Run ids are made of [0-9A-Za-z._-]; anything else is refused. */
bool history_id_ok(const char *id);

struct history_meta {
	char *id;
	char *dir;          /* STATE/runs/ID */
	char *profile_path; /* absolute */
	char *segment_path; /* as used: absolute, or the run's own copy */
	uint64_t segment_size;
	int64_t segment_mtime;
	char sha256[65];
	double started, ended; /* seconds since the epoch; ended 0: not yet */
	double sending; /* seconds spent sending, summed over the run and its
			 * finished sessions (a resume starts a session);
			 * < 0: not recorded */
	double session_started; /* when the current session began */
	char state[16]; /* running, done, stopped, aborted, interrupted */
	char method[8]; /* from the profile snapshot: POST, PUT... */
	char reason[160];
	char *parent; /* --retry-failed: the run it retries; else NULL */
	uint64_t rows_total, valid, invalid, delivered, failed, retries;
	/* sync: the plan's counts; removals are rows rows_total + 1... */
	char sync_mode[8];  /* all, changes, mirror */
	uint64_t added, changed, removed, unchanged;
	uint64_t limit;          /* --limit, 0: none */
	unsigned shard_k, shard_n; /* --shard K/N, N 0: none */
	int exit_status; /* -1 while running */
	long pid;
};

void history_meta_free(struct history_meta *m);
/* The highest row number a run's journal can name: its segment rows and
 * then its removals. */
uint64_t history_max_row(const struct history_meta *m);

/* The time a run spent sending, and its wall time from start to end (or
 * to now while it runs). They differ when a run was resumed later. */
double history_sending_time(const struct history_meta *m, double now);
double history_wall_time(const struct history_meta *m, double now);
/* "5.2s", "12m05s", and "5.2s (wall 55.8s)" when the wall time is
 * clearly longer than the sending time. */
void history_format_duration(double sending, double wall, char *buf,
			     size_t n);

/* Create STATE/runs/ID (0700) with a fresh id; fills m->id and m->dir. */
int history_run_create(const char *state_dir, struct history_meta *m,
		       char **err);

/* Write run.ini atomically: profile_ini (already serialised, may be NULL)
 * followed by the run's own sections. */
int history_meta_save(const struct history_meta *m, const char *profile_ini,
		      char **err);

/* Read STATE/runs/ID/run.ini. A "running" run whose process holds no lock
 * any more reads as "interrupted". */
int history_meta_load(const char *state_dir, const char *id,
		      struct history_meta *m, char **err);

/* Every run, newest first. Unreadable runs are skipped with a warning. */
int history_list(const char *state_dir, struct history_meta **runs,
		 size_t *n, struct hc_msgs *warnings, char **err);
void history_list_free(struct history_meta *runs, size_t n);

/* "last" in place of a run id: the newest run, or the newest run of the
 * profile at profile_abs when it is not NULL. 1 with *id set (the
 * caller's to free), 0 when there is none (*err says so), -1 when the
 * runs folder cannot be read (*err). Unreadable runs are skipped with a
 * warning, as history_list() does. With resumable not NULL, *resumable is
 * the newest of those runs that a resume can continue (neither done nor
 * running), or NULL. */
int history_last(const char *state_dir, const char *profile_abs, char **id,
		 char **resumable, struct hc_msgs *warnings, char **err);

/* ---- The journal ---- */

struct history_line {
	uint64_t row, line;
	unsigned attempt;
	double time;
	const char *method;
	long status;         /* 0: none */
	const char *outcome; /* delivered, failed, retry or invalid */
	double latency_ms;   /* < 0: none */
	const char *error;
	const char *url;     /* redacted */
	const char *response;
	size_t response_len;
	const char *key;              /* the idempotency key sent; "" */
	const char *response_headers; /* "Name: value" lines joined by
				       * " | "; kept for attempts that were
				       * not delivered. A journal written
				       * before these two columns existed
				       * reads them as "". */
	size_t response_headers_len;
	const char *event;            /* added, changed, removed, or all;
				       * "" in an older journal */
	const char *request_body;     /* the start of the body sent (at
				       * most HISTORY_BODY_KEEP bytes),
				       * redacted; "" for none */
	size_t request_body_len;
	uint64_t batch;               /* the batch the row went in, 0:
				       * none */
};

#define HISTORY_BODY_KEEP 4096

struct history_journal;

/* Open (append) or create results.csv in dir, writing the header when new. */
struct history_journal *history_journal_open(const char *dir, char **err);
void history_journal_add(struct history_journal *j,
			 const struct history_line *l);
/* n lines that differ only in their row and line numbers (a batch's
 * rows): the same bytes as n history_journal_add() calls, written once
 * and copied. */
void history_journal_add_rows(struct history_journal *j,
			      const struct history_line *l,
			      const uint64_t *rows, const uint64_t *lines,
			      size_t n);
int history_journal_flush(struct history_journal *j, char **err);
/* Flush, fsync and close; frees j whatever happens. */
int history_journal_close(struct history_journal *j, char **err);
const char *history_journal_path(const struct history_journal *j);

/* Call cb for each complete line of dir/results.csv. cb returns 0, or -1
 * to stop. Returns 0, or -1 with *err. A line that hookcast cannot have
 * written is skipped: its row is 0 or above max_row (the run's rows_total;
 * UINT64_MAX: no bound), or its outcome is unknown. So a damaged journal
 * cannot make a reader allocate for a row that does not exist, and every
 * reader agrees on each row's final outcome. */
int history_journal_read(const char *dir, uint64_t max_row,
			 int (*cb)(void *ud, const struct history_line *l),
			 void *ud, char **err);

/* ---- Final outcomes by row (2 bits per row) ---- */

enum history_final { FINAL_NONE, FINAL_DELIVERED, FINAL_FAILED, FINAL_INVALID };

struct history_finals {
	uint8_t *bits;
	uint64_t nrows; /* capacity in rows */
	uint64_t delivered, failed, invalid;
	uint64_t max_batch; /* the highest batch number journaled */
};

/* Read a run's journal into per-row final outcomes (the last line of a
 * row whose outcome is not "retry"). */
int history_finals_load(const char *dir, uint64_t max_row,
			struct history_finals *f, char **err);
enum history_final history_finals_get(const struct history_finals *f,
				      uint64_t row);
void history_finals_set(struct history_finals *f, uint64_t row,
			enum history_final v);
void history_finals_free(struct history_finals *f);

/* ---- One line per segment row ---- */

struct history_row {
	uint64_t row, line; /* line 0: the row was never attempted */
	unsigned attempts;  /* the highest attempt journaled, 0: none */
	long status;        /* of the final line (or the last retry) */
	char outcome[12];   /* delivered, failed, invalid, or pending: no
			     * final outcome yet (retried, or never sent) */
	char event[10];     /* added, changed, removed, all, or "" */
	double latency_ms;  /* < 0: none */
	double time;
	char *error;        /* owned */
	char *url;          /* owned, redacted */
	char *response;     /* owned */
	char *request_body; /* owned, the start of the body sent, or "" */
	uint64_t batch;     /* 0: none */
};

/* Every row of a run's journal, in row order. Caller frees with
 * history_rows_free(). */
int history_rows_load(const char *dir, uint64_t max_row,
		      struct history_row **rows, size_t *n, char **err);
/*
 * Every row the run covers, in row order, journaled or not: the first
 * valid + invalid rows of its scope (its shard; for --retry-failed, the
 * failed rows of the run it retries, read from state_dir). A row with no
 * journal line is "pending" with line 0. A row the journal holds is listed
 * even when outside that scope.
 */
int history_rows_load_run(const char *state_dir, const struct history_meta *m,
			  struct history_row **rows, size_t *n, char **err);
void history_rows_free(struct history_row *rows, size_t n);

/* Which rows a listing shows: one rule for `history show` and the
 * History screen. FAILED is the rows that failed to deliver, not the
 * invalid ones, which have their own filter. */
enum history_filter {
	HF_ALL, HF_DELIVERED, HF_FAILED, HF_INVALID, HF_PENDING, HF_2XX,
	HF_4XX, HF_5XX, HF_NETERR, HF_RETRIED, HF_ADDED, HF_CHANGED,
	HF_REMOVED, HF_COUNT
};
const char *history_filter_name(enum history_filter f);
/* "failed" -> HF_FAILED; -1 for an unknown name. */
int history_filter_parse(const char *name);
/*
 * Does the row pass the filter and the search? The search (NULL or "":
 * everything) is a row number, or text found, ignoring ASCII case, in the URL
 * with its percent-encoding decoded (so "jo+x@ex.org" and "Zoë" match) or
 * as stored, the error, the outcome, the status code or the response.
 */
bool history_row_matches(const struct history_row *r, enum history_filter f,
			 const char *search);

/* ---- One run per profile ---- */

/*
 * One run per profile and shard. A run of the whole profile (shard_n 0)
 * takes STATE/locks/<hash of profile path>.lock for writing; a run of
 * shard K of N takes byte N of that file for reading (so shards of one
 * count run side by side, and a whole run or a run with another count is
 * refused) and <hash>.shard-K-of-N.lock for writing. Returns 0 with fd[0]
 * and fd[1] (or -1) held (close them to release), 1 when another process
 * is in the way (*holder, caller frees, names its run), -1 with *err.
 */
int history_lock(const char *state_dir, const char *profile_abs,
		 unsigned shard_k, unsigned shard_n, const char *run_id,
		 int fd[2], char **holder, char **err);
/* Is the lock of that profile and shard free? (For telling a crashed run
 * from a live one.) */
bool history_lock_free(const char *state_dir, const char *profile_abs,
		       unsigned shard_k, unsigned shard_n);

/* "2026-11-28T05:45:07.123Z" */
void history_format_time(double t, char *buf, size_t n);

#endif
