#include "hookcast/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hookcast/hash.h"
#include "hookcast/ini.h"
#include "hookcast/request.h"
#include "hookcast/segment.h"

const char *sync_event_name(enum sync_event e)
{
	switch (e) {
	case EV_ADDED: return "added";
	case EV_CHANGED: return "changed";
	case EV_REMOVED: return "removed";
	case EV_INVALID: return "invalid";
	case EV_ALL: return "all";
	default: return "unchanged";
	}
}

/* ---- hashing ---- */

uint64_t sync_key_hash(const void *key, size_t n)
{
	unsigned char md[32];
	hc_sha256_raw(key, n, md);
	uint64_t h = 0;
	for (int i = 0; i < 8; i++)
		h = h << 8 | md[i];
	return h;
}

void sync_fingerprint(const char *shown_url, size_t n, const char *body,
		      size_t bn, unsigned char fp[16])
{
	unsigned char md[32];
	if (bn == 0) { /* as before bodies: a state stays valid */
		hc_sha256_raw(shown_url, n, md);
	} else {
		/* URL, "\0body\0", body: one digest, one copy. */
		static const char sep[6] = { 0, 'b', 'o', 'd', 'y', 0 };
		char stack[4096];
		size_t total = n + 6 + bn;
		char *b = total <= sizeof stack ? stack : xmalloc(total);
		memcpy(b, shown_url, n);
		memcpy(b + n, sep, sizeof sep);
		memcpy(b + n + 6, body, bn);
		hc_sha256_raw(b, total, md);
		if (b != stack)
			free(b);
	}
	memcpy(fp, md, 16);
}

uint64_t sync_fp64(const unsigned char fp[16])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | fp[i];
	return v;
}

/* ---- the store ---- */

struct sync_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *put, *del, *meta_get;
	bool in_tx;
	char *meta_value;
};

char *sync_store_path(const char *state_dir, const char *profile_abs,
		      unsigned shard_k, unsigned shard_n)
{
	char hex[65];
	hc_sha256_hex(profile_abs, strlen(profile_abs), hex);
	hex[16] = '\0';
	if (shard_n > 0)
		return xasprintf("%s/sync/%s.shard-%u-of-%u.sqlite", state_dir,
				 hex, shard_k, shard_n);
	return xasprintf("%s/sync/%s.sqlite", state_dir, hex);
}

char *sync_store_other_sharding(const char *state_dir, const char *profile_abs,
				unsigned shard_n)
{
	char hex[65];
	hc_sha256_hex(profile_abs, strlen(profile_abs), hex);
	hex[16] = '\0';
	char *pat = xasprintf("%s/sync/%s*.sqlite", state_dir, hex);
	glob_t g;
	char *found = NULL;
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && !found; i++) {
			const char *name = strrchr(g.gl_pathv[i], '/') + 1;
			const char *of = strstr(name, "-of-");
			unsigned n = of ? (unsigned)strtoul(of + 4, NULL, 10) : 0;
			if (n != shard_n)
				found = xstrdup(g.gl_pathv[i]);
		}
		globfree(&g);
	}
	free(pat);
	return found;
}

/* A message for a database error: the file, what failed, and the way out.
 * Nothing the user typed (or a secret) is in SQLite's text. */
static char *db_error(const struct sync_store *s, const char *path,
		      const char *what)
{
	int code = s && s->db ? sqlite3_errcode(s->db) : SQLITE_ERROR;
	const char *why = s && s->db ? sqlite3_errmsg(s->db) : "cannot open";
	const char *hint =
		code == SQLITE_NOTADB ? "it is not a hookcast sync state"
		: code == SQLITE_CORRUPT ? "the file is damaged"
		: code == SQLITE_READONLY || code == SQLITE_PERM ||
				code == SQLITE_CANTOPEN
			? "it cannot be written"
			: NULL;
	return xasprintf("%s: the sync state %s: %s%s%s; nothing was sent. "
			 "Record what the receiver has with hookcast run "
			 "--baseline, or start over with hookcast state reset",
			 path, what, why, hint ? ": " : "", hint ? hint : "");
}

static int exec(struct sync_store *s, const char *sql, char **err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		*err = db_error(s, s->path, "cannot be used");
		return -1;
	}
	return 0;
}

static int prepare(struct sync_store *s, const char *sql, sqlite3_stmt **st,
		   char **err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*err = db_error(s, s->path, "cannot be read");
		return -1;
	}
	return 0;
}

static int mkdir_for(const char *path, char **err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int rc = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*err = xasprintf("%s: cannot create: %s", dir, strerror(errno));
		rc = -1;
	}
	free(dir);
	return rc;
}

/* records is a rowid table: its rows go on at its end, and only the index
 * of the keys takes them in key order. Random keys (UUIDs, hashes) then
 * rewrite the small index's pages, not the whole table's, at each commit:
 * a first sync of 1,000,000 random keys spent 13-14 s of CPU in SQLite as
 * a WITHOUT ROWID table, 4 s as this (BENCHMARKS.md, "The state's
 * writes"). States made WITHOUT ROWID before keep their table; the
 * statements are the same for both. */
static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, "
	"value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS records (key BLOB PRIMARY KEY, "
	"keyh INTEGER NOT NULL, fp BLOB NOT NULL, vals TEXT NOT NULL, "
	"run TEXT NOT NULL, time REAL NOT NULL);";

static bool has_tables(struct sync_store *s)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	bool any = sqlite3_step(st) == SQLITE_ROW &&
		   sqlite3_column_int64(st, 0) > 0;
	sqlite3_finalize(st);
	return any;
}

struct sync_store *sync_store_open(const char *path, bool create,
				   bool writable, char **err)
{
	*err = NULL;
	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (!exists && !create)
		return NULL;
	if (!exists) {
		if (mkdir_for(path, err) < 0)
			return NULL;
		/* made here first, so that it is 0600 whatever the umask */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			*err = xasprintf("%s: cannot create: %s", path,
					 strerror(errno));
			return NULL;
		}
		close(fd);
	} else if (writable && access(path, W_OK) < 0) {
		*err = xasprintf("%s: the sync state cannot be written: %s; "
				 "nothing was sent. Make it writable, record "
				 "what the receiver has with hookcast run "
				 "--baseline, or start over with hookcast "
				 "state reset", path, strerror(errno));
		return NULL;
	}
	struct sync_store *s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	int flags = (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
		    SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		*err = db_error(s, path, "cannot be opened");
		sync_store_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* Read something first: a file that is not a database says so here. */
	sqlite3_stmt *v;
	if (prepare(s, "PRAGMA user_version", &v, err) < 0) {
		sync_store_close(s);
		return NULL;
	}
	int rc = sqlite3_step(v);
	int version = rc == SQLITE_ROW ? sqlite3_column_int(v, 0) : -1;
	sqlite3_finalize(v);
	if (rc != SQLITE_ROW) {
		*err = db_error(s, path, "cannot be read");
		sync_store_close(s);
		return NULL;
	}
	if (version > SYNC_SCHEMA_VERSION) {
		*err = xasprintf("%s: the sync state has schema version %d, "
				 "newer than this hookcast knows (%d); nothing "
				 "was sent. Use a newer hookcast, or start over "
				 "with hookcast state reset (then hookcast run "
				 "--baseline to record what the receiver has)",
				 path, version,
				 SYNC_SCHEMA_VERSION);
		sync_store_close(s);
		return NULL;
	}
	if (version == 0 && has_tables(s)) {
		/* a database, but someone else's: never written into */
		*err = xasprintf("%s: a SQLite database that is not a hookcast "
				 "sync state (it has tables of its own); nothing "
				 "was sent. Move it away, or remove it with "
				 "hookcast state reset, then record what the "
				 "receiver has with hookcast run --baseline",
				 path);
		sync_store_close(s);
		return NULL;
	}
	if (writable) {
		if (exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
			 err) < 0 ||
		    /* the tables and the version at once: a state is never
		     * left with one and not the other */
		    (version == 0 &&
		     (exec(s, "BEGIN", err) < 0 ||
		      exec(s, schema_sql, err) < 0 ||
		      exec(s, "PRAGMA user_version = 1", err) < 0 ||
		      exec(s, "COMMIT", err) < 0)) ||
		    prepare(s, "INSERT OR REPLACE INTO records (key, keyh, fp, "
			    "vals, run, time) VALUES (?, ?, ?, ?, ?, ?)",
			    &s->put, err) < 0 ||
		    prepare(s, "DELETE FROM records WHERE key = ?", &s->del,
			    err) < 0) {
			sync_store_close(s);
			return NULL;
		}
	} else if (version == 0) {
		/* read-only and empty: nothing was ever recorded */
		sqlite3_close(s->db);
		s->db = NULL;
		if (sqlite3_open_v2(":memory:", &s->db, SQLITE_OPEN_READWRITE,
				    NULL) != SQLITE_OK ||
		    exec(s, schema_sql, err) < 0) {
			sync_store_close(s);
			return NULL;
		}
	}
	if (prepare(s, "SELECT value FROM meta WHERE name = ?", &s->meta_get,
		    err) < 0 ||
	    exec(s, "SELECT count(*) FROM records LIMIT 0", err) < 0) {
		sync_store_close(s);
		return NULL;
	}
	return s;
}

void sync_store_close(struct sync_store *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->meta_get);
	if (s->db)
		sqlite3_close(s->db);
	free(s->meta_value);
	free(s->path);
	free(s);
}

const char *sync_store_file(const struct sync_store *s)
{
	return s->path;
}

const char *sync_store_meta(struct sync_store *s, const char *name)
{
	free(s->meta_value);
	s->meta_value = NULL;
	sqlite3_reset(s->meta_get);
	sqlite3_bind_text(s->meta_get, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s->meta_get) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(s->meta_get, 0);
		s->meta_value = xstrdup(v ? (const char *)v : "");
	}
	sqlite3_reset(s->meta_get);
	return s->meta_value ? s->meta_value : "";
}

static int begin(struct sync_store *s, char **err)
{
	if (s->in_tx)
		return 0;
	if (exec(s, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	s->in_tx = true;
	return 0;
}

int sync_store_set_meta(struct sync_store *s, const char *name,
			const char *value, char **err)
{
	if (begin(s, err) < 0)
		return -1;
	sqlite3_stmt *st;
	if (prepare(s, "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
		    &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*err = db_error(s, s->path, "cannot be written");
		return -1;
	}
	return 0;
}

uint64_t sync_store_count(struct sync_store *s)
{
	sqlite3_stmt *st;
	uint64_t n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM records", -1, &st,
			       NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return n;
}

static char *damaged(const struct sync_store *s)
{
	return xasprintf("%s: the sync state is damaged (a record without a "
			 "16-byte fingerprint); nothing was sent. Start over "
			 "with hookcast state reset, or hookcast run --baseline",
			 s->path);
}

int sync_store_scan(struct sync_store *s, bool with_vals,
		    int (*cb)(void *ud, const struct sync_record *r), void *ud,
		    char **err)
{
	sqlite3_stmt *st;
	if (prepare(s, with_vals ? "SELECT key, keyh, fp, vals, run, time "
				   "FROM records"
				 : "SELECT key, keyh, fp, '', run, time FROM "
				   "records", &st, err) < 0)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sync_record r = {
			.key = sqlite3_column_blob(st, 0),
			.keylen = (size_t)sqlite3_column_bytes(st, 0),
			.keyh = (uint64_t)sqlite3_column_int64(st, 1),
			.vals = (const char *)sqlite3_column_text(st, 3),
			.run = (const char *)sqlite3_column_text(st, 4),
			.time = sqlite3_column_double(st, 5),
		};
		const void *fp = sqlite3_column_blob(st, 2);
		if (fp == NULL || sqlite3_column_bytes(st, 2) != 16) {
			sqlite3_finalize(st);
			*err = damaged(s);
			return -1;
		}
		memcpy(r.fp, fp, 16);
		if (r.key == NULL)
			r.key = "";
		if (cb(ud, &r) < 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*err = db_error(s, s->path, "cannot be read");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int sync_store_put(struct sync_store *s, const struct sync_record *r,
		   char **err)
{
	if (begin(s, err) < 0)
		return -1;
	sqlite3_reset(s->put);
	sqlite3_bind_blob(s->put, 1, r->key, (int)r->keylen, SQLITE_STATIC);
	sqlite3_bind_int64(s->put, 2, (sqlite3_int64)r->keyh);
	sqlite3_bind_blob(s->put, 3, r->fp, 16, SQLITE_STATIC);
	sqlite3_bind_text(s->put, 4, r->vals ? r->vals : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s->put, 5, r->run ? r->run : "", -1, SQLITE_STATIC);
	sqlite3_bind_double(s->put, 6, r->time);
	if (sqlite3_step(s->put) != SQLITE_DONE) {
		*err = db_error(s, s->path, "cannot be written");
		sqlite3_reset(s->put);
		return -1;
	}
	sqlite3_reset(s->put);
	return 0;
}

int sync_store_delete(struct sync_store *s, const void *key, size_t keylen,
		      char **err)
{
	if (begin(s, err) < 0)
		return -1;
	sqlite3_reset(s->del);
	sqlite3_bind_blob(s->del, 1, key, (int)keylen, SQLITE_STATIC);
	if (sqlite3_step(s->del) != SQLITE_DONE) {
		*err = db_error(s, s->path, "cannot be written");
		sqlite3_reset(s->del);
		return -1;
	}
	sqlite3_reset(s->del);
	return 0;
}

int sync_store_prune(struct sync_store *s, bool (*keep)(void *ud, uint64_t keyh),
		     void *ud, uint64_t *removed, char **err)
{
	*removed = 0;
	sqlite3_stmt *st;
	if (prepare(s, "SELECT key, keyh FROM records", &st, err) < 0)
		return -1;
	struct hc_buf gone;
	hc_buf_init(&gone);
	size_t n = 0;
	int rc;
	/* collect first: a table is not changed while it is read */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (keep(ud, (uint64_t)sqlite3_column_int64(st, 1)))
			continue;
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		const void *k = sqlite3_column_blob(st, 0);
		hc_buf_add(&gone, &len, sizeof len);
		hc_buf_add(&gone, k ? k : "", len);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		hc_buf_free(&gone);
		*err = db_error(s, s->path, "cannot be read");
		return -1;
	}
	const char *p = gone.data;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		memcpy(&len, p, sizeof len);
		if (sync_store_delete(s, p + sizeof len, len, err) < 0) {
			hc_buf_free(&gone);
			return -1;
		}
		p += sizeof len + len;
	}
	hc_buf_free(&gone);
	*removed = n;
	return 0;
}

int sync_store_commit(struct sync_store *s, char **err)
{
	if (!s->in_tx)
		return 0;
	s->in_tx = false;
	return exec(s, "COMMIT", err);
}

int sync_store_remove(const char *path, char **err)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s%s", path, ext[i]);
		if (unlink(p) < 0 && errno != ENOENT) {
			*err = xasprintf("%s: cannot remove: %s", p,
					 strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

/* ---- the plan index: open addressing, linear probing ---- */

struct sync_index {
	struct sync_entry *slots;
	size_t cap, n;
	bool mapped; /* slots came from mmap */
};

static size_t cap_for(size_t n)
{
	size_t c = n + n / 4 + 64; /* at most 80% full */
	return c;
}

/* The slots, zeroed. A large table is mapped in huge pages where the
 * kernel offers them: lookups land anywhere in it, and with 4 KiB pages
 * each one would also miss the TLB. */
#define HUGE_PAGE ((size_t)2 << 20)

static size_t map_bytes(size_t cap)
{
	size_t bytes = cap * sizeof(struct sync_entry);
	return (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

static struct sync_entry *slots_alloc(size_t cap, bool *mapped)
{
	*mapped = false;
	if (cap * sizeof(struct sync_entry) < 2 * HUGE_PAGE)
		return xcalloc(cap, sizeof(struct sync_entry));
	size_t bytes = map_bytes(cap);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return xcalloc(cap, sizeof(struct sync_entry));
#ifdef MADV_HUGEPAGE
	(void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
	*mapped = true;
	return p;
}

static void slots_free(struct sync_entry *p, size_t cap, bool mapped)
{
	if (mapped)
		munmap(p, map_bytes(cap));
	else
		free(p);
}

struct sync_index *sync_index_new(size_t expected)
{
	struct sync_index *x = xcalloc(1, sizeof *x);
	x->cap = cap_for(expected);
	x->slots = slots_alloc(x->cap, &x->mapped);
	return x;
}

void sync_index_free(struct sync_index *x)
{
	if (x == NULL)
		return;
	slots_free(x->slots, x->cap, x->mapped);
	free(x);
}

size_t sync_index_count(const struct sync_index *x)
{
	return x->n;
}

/* keyh 0 marks an empty slot: a real 0 is stored as 1 (one more
 * collision among 2^64). */
static uint64_t slot_key(uint64_t keyh)
{
	return keyh ? keyh : 1;
}

static size_t home(const struct sync_index *x, uint64_t k)
{
	return (size_t)(((unsigned __int128)k * x->cap) >> 64);
}

static void grow(struct sync_index *x)
{
	struct sync_entry *old = x->slots;
	size_t oldcap = x->cap;
	bool oldmapped = x->mapped;
	x->cap = cap_for(x->cap * 2);
	x->slots = slots_alloc(x->cap, &x->mapped);
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].keyh == 0)
			continue;
		size_t j = home(x, old[i].keyh);
		while (x->slots[j].keyh != 0)
			j = j + 1 == x->cap ? 0 : j + 1;
		x->slots[j] = old[i];
	}
	slots_free(old, oldcap, oldmapped);
}

struct sync_entry *sync_index_get(struct sync_index *x, uint64_t keyh,
				  bool insert)
{
	uint64_t k = slot_key(keyh);
	if (insert && (x->n + 1) * 5 > x->cap * 4)
		grow(x);
	size_t i = home(x, k);
	while (x->slots[i].keyh != 0) {
		if (x->slots[i].keyh == k)
			return &x->slots[i];
		i = i + 1 == x->cap ? 0 : i + 1;
	}
	if (!insert)
		return NULL;
	x->slots[i].keyh = k;
	x->n++;
	return &x->slots[i];
}

static void index_load_one(struct sync_index *x, uint64_t keyh, uint64_t fp)
{
	struct sync_entry *e = sync_index_get(x, keyh, true);
	e->fp = fp;
	sync_entry_set(e, SYNC_IN_STATE, 0);
}

int sync_index_load(struct sync_index *x, struct sync_store *s, char **err)
{
	sqlite3_stmt *st;
	if (prepare(s, "SELECT keyh, fp FROM records", &st, err) < 0)
		return -1;
	/* The keys come in the store's order, so each lands anywhere in
	 * the table: they wait in a ring while their slots are fetched. */
	enum { AHEAD = 16 };
	uint64_t keys[AHEAD], fps[AHEAD];
	size_t head = 0, count = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *fp = sqlite3_column_blob(st, 1);
		if (fp == NULL || sqlite3_column_bytes(st, 1) != 16) {
			sqlite3_finalize(st);
			*err = damaged(s);
			return -1;
		}
		if (count == AHEAD) {
			index_load_one(x, keys[head], fps[head]);
			head = (head + 1) % AHEAD;
			count--;
		}
		uint64_t k = (uint64_t)sqlite3_column_int64(st, 0);
		__builtin_prefetch(&x->slots[home(x, slot_key(k))], 1);
		size_t at = (head + count++) % AHEAD;
		keys[at] = k;
		fps[at] = sync_fp64(fp);
	}
	for (; count > 0; count--, head = (head + 1) % AHEAD)
		index_load_one(x, keys[head], fps[head]);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*err = db_error(s, s->path, "cannot be read");
		return -1;
	}
	return 0;
}

/* ---- rows ---- */

int sync_row_key(const struct segment_row *row, const long *cols,
		 size_t ncols, struct hc_buf *out)
{
	hc_buf_reset(out);
	int empty = -1;
	for (size_t i = 0; i < ncols; i++) {
		size_t c = (size_t)cols[i];
		size_t len = c < row->nfields ? row->lens[c] : 0;
		if (len == 0 && empty < 0)
			empty = (int)i;
		if (i > 0)
			hc_buf_addc(out, SYNC_KEY_SEP);
		if (len > 0)
			hc_buf_add(out, row->fields[c], len);
	}
	if (out->data == NULL)
		hc_buf_add(out, "", 0);
	return empty;
}

void sync_row_vals(const struct segment_row *row, const long *cols,
		   const char *const *names, size_t n, struct hc_buf *out)
{
	hc_buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		size_t c = (size_t)cols[i];
		if (i > 0)
			hc_buf_addc(out, '&');
		request_escape(out, names[i], strlen(names[i]));
		hc_buf_addc(out, '=');
		if (c < row->nfields)
			request_escape(out, row->fields[c], row->lens[c]);
	}
	if (out->data == NULL)
		hc_buf_add(out, "", 0);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void sync_vals_row(const char *vals, const struct segment *seg,
		   struct sync_vals_row *out)
{
	size_t n = segment_ncolumns(seg);
	out->n = n;
	out->fields = xcalloc(n ? n : 1, sizeof *out->fields);
	out->lens = xcalloc(n ? n : 1, sizeof *out->lens);
	for (const char *p = vals; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (eq) {
			size_t nl, vl;
			char *name = request_unescape(p, (size_t)(eq - p),
						      false, &nl);
			char *val = request_unescape(eq + 1,
						     len - (size_t)(eq - p) - 1,
						     false, &vl);
			long c = segment_column_index(seg, name);
			if (c >= 0 && out->fields[c] == NULL) {
				out->fields[c] = val;
				out->lens[c] = vl;
				val = NULL;
			}
			free(name);
			free(val);
		}
		p = amp ? amp + 1 : p + len;
	}
	for (size_t i = 0; i < n; i++)
		if (out->fields[i] == NULL)
			out->fields[i] = xstrdup("");
}

void sync_vals_row_free(struct sync_vals_row *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->fields[i]);
	free(r->fields);
	free(r->lens);
	memset(r, 0, sizeof *r);
}

/* ---- plan files ---- */

static void put_hex(struct hc_buf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		hc_buf_addc(b, hex[c[i] >> 4]);
		hc_buf_addc(b, hex[c[i] & 15]);
	}
}

int sync_plan_write(const char *dir, const uint8_t *events, uint64_t nrows,
		    const struct sync_removed *removed, size_t nremoved,
		    char **err)
{
	char *p = xasprintf("%s/plan.events", dir);
	int rc = hc_save_atomic(p, (const char *)events, (size_t)nrows, 0600,
				err);
	free(p);
	if (rc < 0)
		return -1;
	struct hc_buf b;
	hc_buf_init(&b);
	hc_buf_add(&b, "", 0);
	for (size_t i = 0; i < nremoved; i++) {
		put_hex(&b, removed[i].key, removed[i].keylen);
		hc_buf_addc(&b, ' ');
		put_hex(&b, removed[i].fp, 16);
		hc_buf_addc(&b, ' ');
		hc_buf_adds(&b, removed[i].vals ? removed[i].vals : "");
		hc_buf_addc(&b, '\n');
	}
	p = xasprintf("%s/plan.removed", dir);
	rc = hc_save_atomic(p, b.data, b.len, 0600, err);
	free(p);
	hc_buf_free(&b);
	return rc;
}

static char *slurp(const char *path, size_t *len, char **err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		if (errno != ENOENT)
			*err = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	struct hc_buf b;
	hc_buf_init(&b);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		hc_buf_add(&b, tmp, n);
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		*err = xasprintf("%s: cannot read", path);
		hc_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	if (b.data == NULL)
		hc_buf_add(&b, "", 0);
	return hc_buf_steal(&b);
}

static bool unhex(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	return true;
}

int sync_plan_read(const char *dir, uint8_t **events, uint64_t *nrows,
		   struct sync_removed **removed, size_t *nremoved, char **err)
{
	*events = NULL;
	*removed = NULL;
	*nrows = 0;
	*nremoved = 0;
	*err = NULL;
	char *p = xasprintf("%s/plan.events", dir);
	size_t n = 0;
	char *ev = slurp(p, &n, err);
	free(p);
	if (ev == NULL)
		return *err ? -1 : 0;
	p = xasprintf("%s/plan.removed", dir);
	size_t rn = 0;
	char *rm = slurp(p, &rn, err);
	if (rm == NULL) {
		if (*err == NULL)
			*err = xasprintf("%s: missing", p);
		free(p);
		free(ev);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ev[i] > EV_ALL) {
			*err = xasprintf("%s/plan.events: damaged (byte %zu)",
					 dir, i);
			free(p);
			free(ev);
			free(rm);
			return -1;
		}
	struct sync_removed *list = NULL;
	size_t cnt = 0;
	for (char *line = rm; *line;) {
		char *nl = strchr(line, '\n');
		if (nl == NULL)
			break; /* a torn last line: not written by hookcast */
		*nl = '\0';
		char *sp1 = strchr(line, ' ');
		char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		size_t klen = sp1 ? (size_t)(sp1 - line) : 0;
		unsigned char fp[16];
		char *key = xmalloc(klen / 2 + 1);
		if (sp1 == NULL || sp2 == NULL || klen % 2 ||
		    sp2 - sp1 - 1 != 32 || !unhex(line, klen / 2,
						  (unsigned char *)key) ||
		    !unhex(sp1 + 1, 16, fp)) {
			free(key);
			*err = xasprintf("%s: damaged (removal %zu)", p, cnt + 1);
			sync_removed_free(list, cnt);
			free(p);
			free(ev);
			free(rm);
			return -1;
		}
		key[klen / 2] = '\0';
		list = xreallocarray(list, cnt + 1, sizeof *list);
		list[cnt].key = key;
		list[cnt].keylen = klen / 2;
		memcpy(list[cnt].fp, fp, 16);
		list[cnt].vals = xstrdup(sp2 + 1);
		cnt++;
		line = nl + 1;
	}
	free(p);
	free(rm);
	*events = (uint8_t *)ev;
	*nrows = n;
	*removed = list;
	*nremoved = cnt;
	return 1;
}

int sync_key_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	int c = n ? memcmp(a, b, n) : 0;
	if (c == 0 && an != bn)
		c = an < bn ? -1 : 1;
	return c;
}

static int removed_cmp(const void *x, const void *y)
{
	const struct sync_removed *a = x, *b = y;
	return sync_key_cmp(a->key, a->keylen, b->key, b->keylen);
}

void sync_removed_sort(struct sync_removed *r, size_t n)
{
	if (n > 1)
		qsort(r, n, sizeof *r, removed_cmp);
}

void sync_removed_free(struct sync_removed *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].key);
		free(r[i].vals);
	}
	free(r);
}
