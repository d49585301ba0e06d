/*
 * sync.h: incremental sync. What was last delivered for each record is
 * kept in a SQLite database, one per profile (and per shard); a run then
 * sends only the records that were added or changed since (and, in mirror
 * mode, removes those that left the segment).
 *
 * The state file: STATE/sync/<16 hex digits of the profile's path hash>
 * [.shard-K-of-N].sqlite, mode 0600, WAL. Schema (version 1):
 *
 *   CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
 *     schema_version, profile, shard (K/N or ""), key_columns,
 *     profile_fingerprint, last_sync (ISO time), last_run (run id),
 *     open_run (the run writing now, or one that did not finish; "")
 *   CREATE TABLE records (
 *     key   BLOB PRIMARY KEY,  -- the key columns' values, joined by 0x1f
 *     keyh  INTEGER NOT NULL,  -- the first 8 bytes of SHA-256(key), signed
 *     fp    BLOB NOT NULL,     -- 16 bytes of SHA-256 of what was sent
 *     vals  TEXT NOT NULL,     -- the mapped columns, as col=value&...
 *                              -- (percent-encoded), to build a removal
 *     run   TEXT NOT NULL,     -- the run that delivered it
 *     time  REAL NOT NULL      -- when (seconds since the epoch)
 *   ) WITHOUT ROWID;
 *
 * Errors: every function that can fail returns -1 (or NULL) with *err set
 * (caller frees), naming the file and what to do. A file that is not a
 * database, is corrupt, has a newer schema or cannot be written is such
 * an error: nothing is ever sent on a guess.
 *
 * The plan index holds, for every key of the state and of the segment,
 * 8 bytes of its hash, 8 of its fingerprint, the line where the segment
 * had it, and two flags: 20 bytes a key, so that a plan over a million
 * rows stays in a few tens of MiB. Two keys whose 64-bit hashes
 * are equal would be taken for one (about 3 in 100 million for a million
 * keys).
 */
#ifndef HOOKCAST_SYNC_H
#define HOOKCAST_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hookcast/util.h"

#define SYNC_SCHEMA_VERSION 1
#define SYNC_KEY_SEP '\x1f'

/* A row's place in a sync run. */
enum sync_event {
	EV_NONE = 0,   /* unchanged, or outside the run */
	EV_ADDED = 1,
	EV_CHANGED = 2,
	EV_REMOVED = 3,
	EV_INVALID = 4,
	EV_ALL = 5,    /* mode all: no state */
	EV_SKIP = 6    /* another shard's record (never stored) */
};
const char *sync_event_name(enum sync_event e); /* "added"... "all" */

/* ---- the store ---- */

struct sync_store;

/* STATE/sync/<hash>[.shard-K-of-N].sqlite. Caller frees. */
char *sync_store_path(const char *state_dir, const char *profile_abs,
		      unsigned shard_k, unsigned shard_n);
/* Another state file of the same profile with a different shard count
 * (or none): its path, which the caller frees; NULL when there is none. */
char *sync_store_other_sharding(const char *state_dir, const char *profile_abs,
				unsigned shard_n);

/* Open the state. create: make it when missing (with the schema);
 * writable: it must be writable. A missing file with !create is not an
 * error: returns NULL with *err NULL. */
struct sync_store *sync_store_open(const char *path, bool create,
				   bool writable, char **err);
void sync_store_close(struct sync_store *s);
const char *sync_store_file(const struct sync_store *s);

/* A meta value, or "" (borrowed until the next call). */
const char *sync_store_meta(struct sync_store *s, const char *name);
int sync_store_set_meta(struct sync_store *s, const char *name,
			const char *value, char **err);
uint64_t sync_store_count(struct sync_store *s);

struct sync_record {
	const void *key;
	size_t keylen;
	uint64_t keyh;
	unsigned char fp[16];
	const char *vals; /* may be NULL when not asked for */
	const char *run;
	double time;
};

/* Every record, in key order; cb returns 0, or -1 to stop. */
int sync_store_scan(struct sync_store *s, bool with_vals,
		    int (*cb)(void *ud, const struct sync_record *r), void *ud,
		    char **err);
/* Writes go in a transaction, begun by the first one; commit ends it. */
int sync_store_put(struct sync_store *s, const struct sync_record *r,
		   char **err);
int sync_store_delete(struct sync_store *s, const void *key, size_t keylen,
		      char **err);
/* Keep only keys for which keep(ud, keyh) is true (for a baseline). */
int sync_store_prune(struct sync_store *s, bool (*keep)(void *ud, uint64_t keyh),
		     void *ud, uint64_t *removed, char **err);
int sync_store_commit(struct sync_store *s, char **err);

/* Remove the state files (the database and its -wal and -shm). */
int sync_store_remove(const char *path, char **err);

/* ---- the state writer (syncwriter.c) ---- */

/* Delivered records reach the store through a thread of its own, and the
 * run's state log: sync_writer_put and _delete add to a batch;
 * sync_writer_log appends it to the log (call it just before each journal
 * write), and sync_writer_flush (just after) hands it to the thread, which
 * applies it in one transaction, about once a second. The store belongs to
 * the thread until sync_writer_stop, which applies what is left and says
 * the first error. A flush fails once the thread has failed. */
struct sync_writer;

char *sync_log_path(const char *run_dir);
struct sync_writer *sync_writer_start(struct sync_store *s,
				      const char *log_path, const char *run,
				      char **err);
void sync_writer_put(struct sync_writer *w, const struct sync_record *r);
void sync_writer_delete(struct sync_writer *w, const void *key,
			size_t keylen, uint64_t keyh, double time);
int sync_writer_log(struct sync_writer *w, char **err);
int sync_writer_flush(struct sync_writer *w, char **err);
int sync_writer_stop(struct sync_writer *w, char **err);

/* Each whole record of a state log, in order, to cb (removed: a delivered
 * removal); *run is the log's run id (free it). A torn record at the end,
 * as a killed write leaves, ends the log. 0 when there is no log, 1 when it
 * was read, -1 on error (cb's, or the file's). */
int sync_log_read(const char *log_path, char **run,
		  int (*cb)(void *ud, bool removed, const struct sync_record *r,
			    char **err),
		  void *ud, uint64_t *nrecords, char **err);

/* ---- hashing ---- */

uint64_t sync_key_hash(const void *key, size_t n);
/* Keys in the order SQLite gives BLOBs: by their bytes, then the shorter
 * first. */
int sync_key_cmp(const void *a, size_t an, const void *b, size_t bn);
/* 16 bytes of SHA-256 of the request as it is sent (without the event
 * parameter): its shown URL and its body. Without a body (bn 0) it is
 * the URL's alone, as before bodies existed, so a state stays valid. */
void sync_fingerprint(const char *shown_url, size_t n, const char *body,
		      size_t bn, unsigned char fp[16]);
uint64_t sync_fp64(const unsigned char fp[16]);

/* ---- the plan index ---- */

#define SYNC_IN_STATE 1u
#define SYNC_SEEN 2u

struct sync_index;

struct sync_index *sync_index_new(size_t expected);
void sync_index_free(struct sync_index *x);
size_t sync_index_count(const struct sync_index *x);
/* One key: its hash, its fingerprint, and the line where the segment had
 * it first (0 past 2^30 - 1) with two flags in the top bits: 20 bytes,
 * for a million keys fit in 25 MiB. */
#define SYNC_LINE_MAX ((UINT32_C(1) << 30) - 1)

struct sync_entry {
	uint64_t keyh, fp;
	uint32_t lf;
} __attribute__((packed));

static inline unsigned sync_entry_flags(const struct sync_entry *e)
{
	return (unsigned)(e->lf >> 30);
}

static inline uint64_t sync_entry_line(const struct sync_entry *e)
{
	return e->lf & SYNC_LINE_MAX;
}

static inline void sync_entry_set(struct sync_entry *e, unsigned flags,
				  uint64_t line)
{
	e->lf = (uint32_t)flags << 30 |
		(line > SYNC_LINE_MAX ? 0 : (uint32_t)line);
}

/* The entry for keyh, inserted (no flags, line 0) when absent and insert
 * is set; NULL when absent otherwise. Pointers are valid until the next
 * insertion. */
struct sync_entry *sync_index_get(struct sync_index *x, uint64_t keyh,
				  bool insert);

/* Every key of the store into the index, marked SYNC_IN_STATE. */
int sync_index_load(struct sync_index *x, struct sync_store *s, char **err);

/* ---- rows ---- */

struct segment_row;
struct segment;

/* The row's key into out: the key columns' values joined by 0x1f.
 * Returns the position (in cols) of the first empty one, or -1. */
int sync_row_key(const struct segment_row *row, const long *cols,
		 size_t ncols, struct hc_buf *out);
/* The values to keep for a removal: "column=value&..." for each named
 * column, percent-encoded. */
void sync_row_vals(const struct segment_row *row, const long *cols,
		   const char *const *names, size_t n, struct hc_buf *out);
/* A row of the segment's shape made from kept values (for a removal):
 * the named columns get their values, the rest stay empty. The arrays are
 * the caller's (free with sync_vals_row_free). */
struct sync_vals_row {
	char **fields;
	size_t *lens;
	size_t n;
};
void sync_vals_row(const char *vals, const struct segment *seg,
		   struct sync_vals_row *out);
void sync_vals_row_free(struct sync_vals_row *r);

/* ---- a run's plan, kept in its folder for a resume or a retry ---- */

struct sync_removed {
	char *key;
	size_t keylen;
	unsigned char fp[16];
	char *vals;
};

/* plan.events (one enum sync_event byte a segment row) and plan.removed
 * (a line a removal: key and fingerprint in hex, then the values). */
int sync_plan_write(const char *dir, const uint8_t *events, uint64_t nrows,
		    const struct sync_removed *removed, size_t nremoved,
		    char **err);
/* Returns 1 with the plan, 0 when the folder has none, -1 on an error. */
int sync_plan_read(const char *dir, uint8_t **events, uint64_t *nrows,
		   struct sync_removed **removed, size_t *nremoved, char **err);
/* In key order (as SQLite orders BLOBs): the order removals are sent in,
 * whatever order the store's scan gave them. */
void sync_removed_sort(struct sync_removed *r, size_t n);
void sync_removed_free(struct sync_removed *r, size_t n);

#endif
