/* activation_sync.c: the sync half of an activation. The state is opened
 * and loaded into the plan index (with the log of a run that did not
 * finish), every row is classified against it, the requests of a sync go
 * out with their event's method and key, and what is delivered reaches
 * the state, through the writer (syncwriter.c). */
#include "activation_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hookcast/hash.h"

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum sync_event act_event_of(const struct activation *a, uint64_t row)
{
	return row >= 1 && row <= a->events_cap ? (enum sync_event)a->events[row - 1]
						: EV_NONE;
}

void act_set_event(struct activation *a, uint64_t row, enum sync_event e)
{
	if (row > a->events_cap) {
		uint64_t n = a->events_cap ? a->events_cap * 2 : 65536;
		while (n < row)
			n *= 2;
		a->events = xrealloc(a->events, (size_t)n);
		memset(a->events + a->events_cap, EV_NONE,
		       (size_t)(n - a->events_cap));
		a->events_cap = n;
	}
	a->events[row - 1] = (uint8_t)e;
}

/* What every row's fingerprint depends on, apart from the row: the URL,
 * static parameters and mappings as written. */
static char *profile_fingerprint(const struct profile *p)
{
	struct hc_buf b;
	hc_buf_init(&b);
	hc_buf_printf(&b, "url=%s\n", p->url ? p->url : "");
	for (size_t i = 0; i < p->statics.n; i++)
		hc_buf_printf(&b, "static=%s=%s\n", p->statics.items[i].key,
			      p->statics.items[i].value);
	for (size_t i = 0; i < p->mappings.n; i++)
		hc_buf_printf(&b, "map=%s=%s\n", p->mappings.items[i].key,
			      p->mappings.items[i].value);
	hc_buf_printf(&b, "empty=%d\n", (int)p->empty_values);
	char hex[65];
	hc_sha256_hex(b.data, b.len, hex);
	hc_buf_free(&b);
	hex[32] = '\0';
	return xstrdup(hex);
}

/* A delivery recorded in the log of a run that did not finish: the index
 * takes it now (for the plan); the store, once the run holds the lock
 * (replay_store). */
static int replay_index_cb(void *ud, bool removed, const struct sync_record *r,
			   char **err)
{
	(void)err;
	struct activation *a = ud;
	struct sync_entry *e = sync_index_get(a->index, r->keyh, !removed);
	if (e == NULL)
		return 0;
	if (removed) {
		/* gone from the receiver: neither in the state nor removed
		 * again (see collect_removed) */
		sync_entry_set(e, sync_entry_flags(e) & ~SYNC_IN_STATE,
			       sync_entry_line(e));
	} else {
		e->fp = sync_fp64(r->fp);
		sync_entry_set(e, sync_entry_flags(e) | SYNC_IN_STATE,
			       sync_entry_line(e));
	}
	return 0;
}

static int replay_store_cb(void *ud, bool removed, const struct sync_record *r,
			   char **err)
{
	struct sync_store *s = ud;
	return removed ? sync_store_delete(s, r->key, r->keylen, err)
		       : sync_store_put(s, r, err);
}

static char *replay_log_path(const struct activation *a)
{
	char *dir = xasprintf("%s/runs/%s", a->state_dir, a->replay_run);
	char *path = sync_log_path(dir);
	free(dir);
	return path;
}

/* Into the index: what a run that did not finish delivered after its last
 * write to the store. */
static int replay_index(struct activation *a, struct hc_msgs *msgs)
{
	const char *run = a->store ? sync_store_meta(a->store, "open_run") : "";
	if (run[0] == '\0')
		return HC_OK;
	a->replay_run = xstrdup(run);
	/* A resume or a retry keeps its run's plan, and the keys it sent
	 * with: those come from the state as that run found it. A baseline
	 * records the whole segment anyway. */
	if (a->plan_loaded || a->opts.baseline)
		return HC_OK;
	char *path = replay_log_path(a);
	char *logrun = NULL, *err = NULL;
	uint64_t n = 0;
	int rc = sync_log_read(path, &logrun, replay_index_cb, a, &n, &err);
	if (rc < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s; nothing was sent. The run "
			    "%s did not finish, and what it delivered last "
			    "cannot be told: record what the receiver has with "
			    "hookcast run --baseline", err, a->replay_run);
		free(err);
		free(path);
		return HC_STATE;
	}
	if (rc == 1 && strcmp(logrun, a->replay_run) != 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s: this log is run %s's, not "
			    "%s's; nothing was sent. Record what the receiver "
			    "has with hookcast run --baseline", path, logrun,
			    a->replay_run);
		free(logrun);
		free(path);
		return HC_STATE;
	}
	free(logrun);
	free(path);
	return HC_OK;
}

/* Into the store, under the run lock: the log of the run that did not
 * finish, then the log is no longer needed. */
int act_replay_store(struct activation *a, struct hc_msgs *msgs)
{
	if (a->replay_run == NULL || a->store == NULL)
		return HC_OK;
	char *path = replay_log_path(a);
	char *logrun = NULL, *err = NULL;
	uint64_t n = 0;
	/* a baseline records the whole segment: the log, even a damaged
	 * one, has nothing it needs */
	int rc = a->opts.baseline ? 0
				  : sync_log_read(path, &logrun,
						  replay_store_cb, a->store,
						  &n, &err);
	free(logrun);
	if (rc >= 0 && (sync_store_set_meta(a->store, "open_run", "", &err) < 0 ||
			sync_store_commit(a->store, &err) < 0))
		rc = -1;
	if (rc < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		free(path);
		return HC_STATE;
	}
	if (!a->opts.baseline)
		hc_msgs_add(msgs, HC_WARNING, "run %s did not finish: the %llu "
			    "deliveries it made after its last write to the "
			    "sync state are recorded now", a->replay_run,
			    (unsigned long long)n);
	unlink(path);
	free(path);
	free(a->replay_run);
	a->replay_run = NULL;
	return HC_OK;
}

/* About how many rows a segment file has, from the length of the lines at
 * four places in it, so that the index is made about the right size at
 * once rather than grown as keys come (0 when it cannot tell). */
static uint64_t estimate_rows(const char *path)
{
	struct stat st;
	if (path == NULL || strcmp(path, "-") == 0 || stat(path, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_size == 0)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[16384];
	uint64_t size = (uint64_t)st.st_size, lines = 0, bytes = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t at = size > sizeof buf ? (size - sizeof buf) / 3 * i
						: 0;
		ssize_t n = pread(fd, buf, sizeof buf, (off_t)at);
		if (n <= 0)
			break;
		for (const char *p = buf;
		     (p = memchr(p, '\n', (size_t)(buf + n - p))) != NULL; p++)
			lines++;
		bytes += (uint64_t)n;
		if (size <= sizeof buf)
			break;
	}
	close(fd);
	if (lines == 0)
		return 1;
	/* a line of at least 16 bytes: a guess never runs away */
	uint64_t avg = bytes / lines;
	return size / (avg < 16 ? 16 : avg) + 1;
}

/* A state is read only by the profile, and with the key, it was written
 * for: another key makes every record another one (and, in mirror mode,
 * every one removed), so that is refused rather than guessed at. Only
 * --baseline starts such a state over. */
static int check_owner(struct activation *a, struct hc_msgs *msgs)
{
	const struct profile *p = a->profile;
	struct hc_buf keys;
	hc_buf_init(&keys);
	for (size_t i = 0; i < p->sync_keys.n; i++)
		hc_buf_printf(&keys, "%s%s", i ? "," : "",
			      p->sync_keys.items[i].value);
	char *was_keys = xstrdup(sync_store_meta(a->store, "key_columns"));
	const char *was_profile = sync_store_meta(a->store, "profile");
	int rc = HC_OK;
	if (was_profile[0] && a->profile_abs &&
	    strcmp(was_profile, a->profile_abs) != 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s: this sync state was written for "
			    "the profile %s, not %s; nothing was sent. Record "
			    "what the receiver has with hookcast run "
			    "--baseline, or start over with hookcast state "
			    "reset", a->store_path, was_profile,
			    a->profile_abs);
		rc = HC_STATE;
	} else if (was_keys[0] && strcmp(was_keys, keys.data ? keys.data : "")
					  != 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s: this sync state was written "
			    "with the key %s, and the profile's key is now %s: "
			    "every record would count as another one%s; nothing "
			    "was sent. Put the key back, or record what the "
			    "receiver has with hookcast run --baseline, or "
			    "start over with hookcast state reset",
			    a->store_path, was_keys, keys.data ? keys.data : "",
			    a->mirror ? " (and every one as removed)" : "");
		rc = HC_STATE;
	}
	free(was_keys);
	hc_buf_free(&keys);
	return rc;
}

/* Open the state (made when missing, for a run), and load it into the
 * index. Bad state is exit 4, with nothing sent. */
int act_sync_open(struct activation *a, struct hc_msgs *msgs)
{
	const struct profile *p = a->profile;
	a->sync = true;
	a->mirror = p->sync_mode == PROFILE_SYNC_MIRROR;
	hc_buf_init(&a->keybuf);
	hc_buf_init(&a->valbuf);
	hc_buf_init(&a->urlbuf);
	hc_buf_init(&a->shownbuf);
	a->profile_fp = profile_fingerprint(p);
	a->store_path = sync_store_path(a->state_dir, a->profile_abs,
					a->opts.shard_k, a->opts.shard_n);
	char *other = sync_store_other_sharding(a->state_dir, a->profile_abs,
						a->opts.shard_n);
	if (other && !a->opts.baseline && !a->opts.full && !a->resume &&
	    !a->retry_failed) {
		hc_msgs_add(msgs, HC_ERROR, "%s: the sync state of this profile "
			    "was written with %s than this run's %s; refusing "
			    "to guess what changed. Run with --baseline (to "
			    "record what the receiver has) or --full (to send "
			    "every row)", other,
			    strstr(other, "-of-") ? "another shard count"
						  : "no shards",
			    a->opts.shard_n ? "--shard" : "no --shard");
		free(other);
		return HC_CONFIG;
	}
	free(other);
	bool writable = !a->opts.dry_run && !a->opts.plan_only;
	char *err = NULL;
	a->store = sync_store_open(a->store_path, writable, writable, &err);
	if (a->store == NULL && err) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return HC_STATE;
	}
	if (a->store && !a->opts.baseline) {
		int rc = check_owner(a, msgs);
		if (rc != HC_OK)
			return rc;
	}
	uint64_t n = a->store ? sync_store_count(a->store) : 0;
	uint64_t rows = estimate_rows(a->segment_path);
	a->index = sync_index_new((size_t)(n > rows ? n : rows) + 1024);
	if (a->store && sync_index_load(a->index, a->store, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return HC_STATE;
	}
	int rc = replay_index(a, msgs);
	if (rc != HC_OK)
		return rc;
	if (a->store && n > 0) {
		const char *was = sync_store_meta(a->store, "profile_fingerprint");
		if (was[0] && strcmp(was, a->profile_fp) != 0)
			snprintf(a->sync_note, sizeof a->sync_note,
				 "the profile's URL, static parameters or "
				 "mappings changed since the last sync: every "
				 "row counts as changed");
	}
	if (a->opts.full)
		snprintf(a->sync_note, sizeof a->sync_note,
			 "--full: every row is sent, as added or changed");
	return HC_OK;
}

/* Resolve the key columns and the columns a removal needs (the mapped
 * ones) against the segment. */
int act_sync_bind(struct activation *a, const struct segment *seg,
		     struct hc_msgs *msgs)
{
	const struct profile *p = a->profile;
	free(a->key_cols);
	free(a->val_cols);
	free(a->val_names);
	a->nkey = p->sync_keys.n;
	a->key_cols = xcalloc(a->nkey ? a->nkey : 1, sizeof *a->key_cols);
	for (size_t i = 0; i < a->nkey; i++) {
		const struct profile_entry *e = &p->sync_keys.items[i];
		a->key_cols[i] = segment_column_index(seg, e->value);
		if (a->key_cols[i] < 0) {
			char *where = profile_where(p, "sync", e->name);
			hc_msgs_add(msgs, HC_ERROR, "%s: the key column \"%s\" is "
				    "not in %s", where, e->value,
				    segment_name(seg));
			free(where);
			return -1;
		}
	}
	/* The columns the query and the body use: a removal is built from
	 * them. */
	size_t ncols = p->mappings.n + p->body_fields.n;
	a->val_cols = xcalloc(ncols + 1, sizeof *a->val_cols);
	a->val_names = xcalloc(ncols + 1, sizeof *a->val_names);
	a->nval = 0;
	for (size_t i = 0; i < ncols; i++) {
		const char *col = i < p->mappings.n
			? p->mappings.items[i].value
			: p->body_fields.items[i - p->mappings.n].value;
		bool dup = false;
		for (size_t k = 0; k < a->nval; k++)
			dup = dup || strcmp(a->val_names[k], col) == 0;
		long c = segment_column_index(seg, col);
		if (dup || c < 0)
			continue;
		a->val_cols[a->nval] = c;
		a->val_names[a->nval++] = col;
	}
	return 0;
}

/* The row's key, or why it has none (an empty key column). */
static const char *row_key(struct activation *a, const struct segment_row *row)
{
	int empty = sync_row_key(row, a->key_cols, a->nkey, &a->keybuf);
	if (empty < 0)
		return NULL;
	return a->profile->sync_keys.items[empty].value;
}

/* Classify one valid row against the state: added, changed, unchanged,
 * or invalid (no key, or a key seen before). */
static enum sync_event classify(struct activation *a,
				const struct segment_row *row, uint64_t keyh,
				struct hc_buf *why)
{
	struct sync_entry *e = sync_index_get(a->index, keyh, true);
	unsigned flags = sync_entry_flags(e);
	if (flags & SYNC_SEEN) {
		hc_buf_reset(why);
		if (sync_entry_line(e))
			hc_buf_printf(why, "its key is also on line %llu: a "
				      "record must appear once",
				      (unsigned long long)sync_entry_line(e));
		else
			hc_buf_adds(why, "its key is also on an earlier line: "
				    "a record must appear once");
		return EV_INVALID;
	}
	if (!(flags & SYNC_IN_STATE)) {
		/* Added: nothing to compare with, and nothing reads an
		 * added entry's fingerprint (see sync_salt), so the body is
		 * not built twice (the run builds it to send it). */
		sync_entry_set(e, flags | SYNC_SEEN, row->line);
		return EV_ADDED;
	}
	hc_buf_reset(&a->urlbuf);
	hc_buf_reset(&a->shownbuf);
	request_build_body(a->plan, row, &a->urlbuf, &a->shownbuf, &a->bodybuf,
			   why);
	unsigned char fp[16];
	sync_fingerprint(a->shownbuf.data, a->shownbuf.len, a->bodybuf.data,
			 a->bodybuf.len, fp);
	enum sync_event ev = e->fp == sync_fp64(fp) && !a->opts.full
				     ? EV_NONE
				     : EV_CHANGED;
	sync_entry_set(e, flags | SYNC_SEEN, row->line);
	return ev;
}

int act_collect_removed(void *ud, const struct sync_record *r)
{
	struct activation *a = ud;
	struct sync_entry *e = sync_index_get(a->index, r->keyh, false);
	/* still in the segment, or its removal already delivered */
	if (e && ((sync_entry_flags(e) & SYNC_SEEN) ||
		  !(sync_entry_flags(e) & SYNC_IN_STATE)))
		return 0;
	a->removed = xreallocarray(a->removed, a->nremoved + 1,
				   sizeof *a->removed);
	struct sync_removed *x = &a->removed[a->nremoved++];
	x->key = xmalloc(r->keylen + 1);
	memcpy(x->key, r->key, r->keylen);
	x->key[r->keylen] = '\0';
	x->keylen = r->keylen;
	memcpy(x->fp, r->fp, 16);
	x->vals = xstrdup(r->vals ? r->vals : "");
	return 0;
}

void act_pending_free(struct pending *p)
{
	free(p);
}

void act_pending_unlink(struct activation *a, struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		a->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	act_pending_free(p);
}

static struct pending *pending_new(struct activation *a, enum sync_event ev,
				   const void *key, size_t keylen,
				   const unsigned char fp[16], const char *vals)
{
	size_t vallen = vals ? strlen(vals) : 0;
	struct pending *p = xmalloc(sizeof *p + keylen + vallen + 2);
	p->prev = NULL;
	p->event = ev;
	p->key = p->data;
	memcpy(p->key, key, keylen);
	p->key[keylen] = '\0';
	p->keylen = keylen;
	p->keyh = sync_key_hash(key, keylen);
	p->vals = p->data + keylen + 1;
	memcpy(p->vals, vals ? vals : "", vallen + 1);
	memcpy(p->fp, fp, 16);
	p->next = a->pending;
	if (a->pending)
		a->pending->prev = p;
	a->pending = p;
	return p;
}

/* The salt of a sync request's idempotency key: the event and what the
 * state had for the record, so that A -> B -> A sends a new key each time,
 * while a retry or a resume of one send keeps it. (An added record had
 * nothing: no need to look.) */
static void sync_salt(struct activation *a, enum sync_event ev, uint64_t keyh,
		      char *salt, size_t n)
{
	const struct sync_entry *e =
		ev != EV_ADDED && a->index ? sync_index_get(a->index, keyh, false)
					   : NULL;
	uint64_t was = e && (sync_entry_flags(e) & SYNC_IN_STATE) ? e->fp : 0;
	/* "sync:EVENT:%016llx", without printf's cost on every row */
	const char *name = sync_event_name(ev);
	size_t len = strlen(name);
	if (n < len + 23)
		return;
	memcpy(salt, "sync:", 5);
	memcpy(salt + 5, name, len);
	salt[5 + len] = ':';
	for (int i = 0; i < 16; i++)
		salt[6 + len + i] = "0123456789abcdef"[(was >> (60 - 4 * i)) & 15];
	salt[22 + len] = '\0';
}

/* Where a row stands in a sync: EV_SKIP (another shard's), EV_NONE
 * (unchanged, or past --limit: the next run sends it), EV_INVALID (*ok
 * false, a->why says why), EV_ADDED or EV_CHANGED. Every keyed row is
 * marked seen, invalid ones too, so that mirror never takes a record
 * that is still in the segment for removed. */
enum sync_event act_sync_row(struct activation *a,
				const struct segment_row *row, bool *ok)
{
	if (a->plan_loaded) {
		enum sync_event ev = act_event_of(a, row->row);
		if (ev == EV_INVALID && *ok) {
			hc_buf_reset(&a->why);
			hc_buf_adds(&a->why, "no key, or the key of an earlier "
				    "row");
			*ok = false;
		}
		return ev;
	}
	const char *empty = row_key(a, row);
	uint64_t keyh = empty ? 0 : sync_key_hash(a->keybuf.data,
						  a->keybuf.len);
	if (a->opts.shard_n > 0 &&
	    (empty ? (row->row - 1) % a->opts.shard_n
		   : keyh % a->opts.shard_n) != a->opts.shard_k - 1)
		return EV_SKIP;
	enum sync_event ev;
	if (!*ok) {
		struct sync_entry *e = empty ? NULL
					     : sync_index_get(a->index, keyh,
							      false);
		if (e)
			sync_entry_set(e, sync_entry_flags(e) | SYNC_SEEN,
				       row->line);
		ev = EV_INVALID;
	} else if (empty) {
		hc_buf_reset(&a->why);
		hc_buf_printf(&a->why, "the key column \"%s\" is empty", empty);
		*ok = false;
		ev = EV_INVALID;
	} else {
		ev = classify(a, row, keyh, &a->why);
		*ok = ev != EV_INVALID;
		if ((ev == EV_ADDED || ev == EV_CHANGED) && act_limit_reached(a))
			ev = EV_NONE;
	}
	act_set_event(a, row->row, ev);
	return ev;
}

/* The next request of a sync: a segment row that was added or changed,
 * then the removals. Returns 1, 0 when there are no more, -1 on an error
 * (as src_next). */
int act_sync_next(struct activation *a, struct engine_request *req)
{
	struct segment_row row;
	int r;
	char salt[96];
	while ((r = segment_next(a->seg, &row)) > 0) {
		enum sync_event ev = act_event_of(a, row.row);
		if (ev == EV_NONE || !act_in_scope(a, row.row))
			continue;
		if (history_finals_get(&a->prior, row.row) != FINAL_NONE) {
			if (ev != EV_INVALID)
				a->selected_valid++;
			continue;
		}
		if (ev != EV_INVALID && act_limit_reached(a))
			return 0;
		if (request_build_body(a->plan, &row, req->url, req->shown,
				       req->body, &a->why) < 0) {
			act_journal_invalid(a, &row, a->why.data);
			continue;
		}
		if (ev == EV_INVALID) {
			const char *empty = row_key(a, &row);
			hc_buf_reset(&a->why);
			if (empty)
				hc_buf_printf(&a->why, "the key column \"%s\" "
					      "is empty", empty);
			else
				hc_buf_adds(&a->why, "its key is also on an "
					    "earlier line: a record must "
					    "appear once");
			act_journal_invalid(a, &row, a->why.data);
			continue;
		}
		unsigned char fp[16];
		sync_fingerprint(req->shown->data, req->shown->len,
				 req->body->data, req->body->len, fp);
		row_key(a, &row);
		sync_row_vals(&row, a->val_cols, a->val_names, a->nval,
			      &a->valbuf);
		struct pending *pd = pending_new(a, ev, a->keybuf.data,
						 a->keybuf.len, fp,
						 a->valbuf.data);
		if (a->profile->event_param) {
			request_append_param(req->url, a->profile->event_param,
					     sync_event_name(ev));
			request_append_param(req->shown, a->profile->event_param,
					     sync_event_name(ev));
		}
		a->selected_valid++;
		req->row = row.row;
		req->line = row.line;
		req->method = profile_event_method(a->profile, (int)ev);
		req->ctx = pd;
		sync_salt(a, ev, pd->keyh, salt, sizeof salt);
		if (act_wants_key(a))
			request_row_key_salted(a->plan, &row, salt, strlen(salt),
					       req->key);
		else
			req->key[0] = '\0';
		return 1;
	}
	if (r < 0)
		return -1;
	while (a->removed_next < a->nremoved) {
		size_t i = a->removed_next++;
		uint64_t rownum = a->rows_total + i + 1;
		if (!act_in_scope(a, rownum) ||
		    history_finals_get(&a->prior, rownum) != FINAL_NONE)
			continue;
		if (act_limit_reached(a))
			return 0;
		const struct sync_removed *x = &a->removed[i];
		struct sync_vals_row vr;
		sync_vals_row(x->vals, a->seg, &vr);
		struct segment_row fake = {
			.row = rownum, .line = 0, .nfields = vr.n,
			.fields = (const char *const *)vr.fields,
			.lens = vr.lens,
		};
		int built = request_build_body(a->plan, &fake, req->url,
					       req->shown, req->body, &a->why);
		if (built == 0) {
			struct pending *pd = pending_new(a, EV_REMOVED, x->key,
							 x->keylen, x->fp,
							 x->vals);
			if (a->profile->event_param) {
				request_append_param(req->url,
						     a->profile->event_param,
						     "removed");
				request_append_param(req->shown,
						     a->profile->event_param,
						     "removed");
			}
			req->row = rownum;
			req->line = 0;
			req->method = profile_event_method(a->profile,
							   EV_REMOVED);
			req->ctx = pd;
			sync_salt(a, EV_REMOVED, pd->keyh, salt, sizeof salt);
			if (act_wants_key(a))
				request_row_key_salted(a->plan, &fake, salt,
						       strlen(salt), req->key);
			else
				req->key[0] = '\0';
			a->selected_valid++;
		} else {
			act_journal_invalid(a, &fake, a->why.data);
		}
		sync_vals_row_free(&vr);
		if (built == 0)
			return 1;
	}
	return 0;
}

/* After a run or a baseline: commit what was delivered, and say when and
 * from what the state was last written. */
int act_sync_finish(struct activation *a, struct hc_msgs *msgs)
{
	char *err = NULL;
	char when[40], shard[32] = "";
	history_format_time(wall_now(), when, sizeof when);
	if (a->opts.shard_n)
		snprintf(shard, sizeof shard, "%u/%u", a->opts.shard_k,
			 a->opts.shard_n);
	struct hc_buf keys;
	hc_buf_init(&keys);
	for (size_t i = 0; i < a->profile->sync_keys.n; i++)
		hc_buf_printf(&keys, "%s%s", i ? "," : "",
			      a->profile->sync_keys.items[i].value);
	int rc = 0;
	if (sync_store_set_meta(a->store, "schema_version", "1", &err) < 0 ||
	    sync_store_set_meta(a->store, "profile", a->profile_abs, &err) < 0 ||
	    sync_store_set_meta(a->store, "shard", shard, &err) < 0 ||
	    sync_store_set_meta(a->store, "key_columns",
				keys.data ? keys.data : "", &err) < 0 ||
	    sync_store_set_meta(a->store, "profile_fingerprint", a->profile_fp,
				&err) < 0 ||
	    sync_store_set_meta(a->store, "last_sync", when, &err) < 0 ||
	    sync_store_set_meta(a->store, "last_run",
				a->meta.id ? a->meta.id : "baseline", &err) < 0 ||
	    sync_store_set_meta(a->store, "open_run", "", &err) < 0 ||
	    sync_store_commit(a->store, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		rc = -1;
	} else if (a->started && a->meta.dir) {
		/* the store has it all: the log is not needed any more */
		char *log = sync_log_path(a->meta.dir);
		unlink(log);
		free(log);
	}
	hc_buf_free(&keys);
	/* --baseline or --full chose this shard count: states written with
	 * another one are obsolete now */
	char *other;
	while (rc == 0 && (a->opts.baseline || a->opts.full) &&
	       (other = sync_store_other_sharding(a->state_dir, a->profile_abs,
						  a->opts.shard_n)) != NULL) {
		if (sync_store_remove(other, &err) < 0) {
			hc_msgs_add(msgs, HC_WARNING, "%s", err);
			free(err);
			free(other);
			break;
		}
		free(other);
	}
	return rc;
}

/* A sync's dry run: what act_sync_next would send, request by request;
 * the last act_sync_next's result. */
int act_sync_dry_run(struct activation *a, FILE *out, FILE *errf,
		     struct hc_buf *url, struct hc_buf *shown, int *status)
{
	a->dry_err = errf;
	if (a->invalid)
		*status = HC_UNDELIVERED;
	int r;
	for (;;) {
		hc_buf_reset(url);
		hc_buf_reset(shown);
		struct engine_request req = { .url = url, .shown = shown,
					      .body = &a->dry_body };
		if ((r = act_sync_next(a, &req)) <= 0)
			break;
		act_dry_print(a, out, req.method, shown->data, &a->dry_body,
			      req.key);
		act_pending_unlink(a, req.ctx);
	}
	return r;
}

static bool baseline_keep(void *ud, uint64_t keyh)
{
	struct activation *a = ud;
	const struct sync_entry *e = sync_index_get(a->index, keyh, false);
	return e && (sync_entry_flags(e) & SYNC_SEEN);
}

int activation_baseline(struct activation *a, struct hc_msgs *msgs)
{
	char *err = NULL;
	if (!a->sync || a->store == NULL) {
		hc_msgs_add(msgs, HC_ERROR, "--baseline needs [sync] mode = "
			    "changes or mirror");
		return HC_CONFIG;
	}
	int locked = act_take_lock(a, "baseline", msgs);
	if (locked != HC_OK)
		return locked;
	locked = act_replay_store(a, msgs);
	if (locked != HC_OK)
		return locked;
	if (act_open_segment(a, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err ? err : "cannot read the "
			    "segment");
		free(err);
		return HC_DATA;
	}
	struct hc_buf url, shown;
	hc_buf_init(&url);
	hc_buf_init(&shown);
	struct segment_row row;
	int r, status = HC_OK;
	double now = wall_now();
	uint64_t put = 0;
	while ((r = segment_next(a->seg, &row)) > 0) {
		enum sync_event ev = act_event_of(a, row.row);
		if (ev != EV_ADDED && ev != EV_CHANGED)
			continue;
		if (request_build_body(a->plan, &row, &url, &shown,
				       &a->bodybuf, &a->why) < 0)
			continue;
		row_key(a, &row);
		sync_row_vals(&row, a->val_cols, a->val_names, a->nval,
			      &a->valbuf);
		struct sync_record rec = {
			.key = a->keybuf.data, .keylen = a->keybuf.len,
			.keyh = sync_key_hash(a->keybuf.data, a->keybuf.len),
			.vals = a->valbuf.data, .run = "baseline", .time = now,
		};
		sync_fingerprint(shown.data, shown.len, a->bodybuf.data,
				 a->bodybuf.len, rec.fp);
		if (sync_store_put(a->store, &rec, &err) < 0) {
			status = HC_STATE;
			break;
		}
		put++;
	}
	hc_buf_free(&url);
	hc_buf_free(&shown);
	uint64_t gone = 0;
	if (r < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", segment_fatal(a->seg)->msg);
		return HC_DATA;
	}
	if (status == HC_OK &&
	    sync_store_prune(a->store, baseline_keep, a, &gone, &err) < 0)
		status = HC_STATE;
	if (status != HC_OK) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return status;
	}
	if (act_sync_finish(a, msgs) < 0)
		return HC_STATE;
	hc_msgs_add(msgs, HC_WARNING, "baseline: %s now holds %llu records "
		    "(%llu recorded or updated, %llu unchanged, %llu that left "
		    "the segment forgotten); nothing was sent",
		    a->store_path, (unsigned long long)sync_store_count(a->store),
		    (unsigned long long)put,
		    (unsigned long long)a->n_unchanged,
		    (unsigned long long)gone);
	return HC_OK;
}

/* A sync row's result: the state learns of a record only once it is
 * delivered; a failed or unsent one keeps what it had, so the next run
 * sends it again. */
void act_sync_record(struct activation *a, struct pending *pd,
		     const struct engine_result *r)
{
	/* a->writer: a run's, from act_sync_start on */
	if (r->outcome == OUTCOME_DELIVERED && a->writer) {
		if (pd->event == EV_REMOVED) {
			sync_writer_delete(a->writer, pd->key, pd->keylen,
					   pd->keyh, r->time);
		} else {
			struct sync_record rec = {
				.key = pd->key, .keylen = pd->keylen,
				.keyh = pd->keyh, .vals = pd->vals,
				.run = a->meta.id, .time = r->time,
			};
			memcpy(rec.fp, pd->fp, 16);
			sync_writer_put(a->writer, &rec);
		}
	}
	if (r->outcome != OUTCOME_RETRY || r->retry_in < 0)
		act_pending_unlink(a, pd);
}

/* A run starts: the log of one that did not finish is recorded, this run
 * is the open one, and from here what it delivers goes to its own log
 * first, then through the writer's thread. */
int act_sync_start(struct activation *a, struct hc_msgs *msgs)
{
	int rc = act_replay_store(a, msgs);
	if (rc != HC_OK)
		return rc;
	char *err = NULL;
	char *log = sync_log_path(a->meta.dir);
	if (sync_store_set_meta(a->store, "open_run", a->meta.id, &err) < 0 ||
	    sync_store_commit(a->store, &err) < 0 ||
	    (a->writer = sync_writer_start(a->store, log, a->meta.id,
					   &err)) == NULL) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		free(log);
		return HC_STATE;
	}
	free(log);
	return HC_OK;
}

/* A run ends: what is left goes to the store, then the meta. */
int act_sync_end(struct activation *a, struct hc_msgs *msgs)
{
	if (a->writer) {
		char *err = NULL;
		int rc = sync_writer_stop(a->writer, &err);
		a->writer = NULL;
		if (rc < 0) {
			/* the log keeps it all: the next run replays it */
			hc_msgs_add(msgs, HC_ERROR, "%s", err);
			free(err);
			return -1;
		}
	}
	return act_sync_finish(a, msgs);
}
