/* Unit tests of the sync state: the index, the store, the state writer
 * and its log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>

#include "hookcast/sync.h"
#include "testutil.h"

static char *fresh_path(const char *name)
{
	char *p = tu_writes(name, "");
	unlink(p);
	return p;
}

/* A new store NAME.sqlite beside a log path NAME.log, both fresh. */
static struct sync_store *fresh_store(const char *name, char **db,
				      char **log)
{
	char *n = xasprintf("%s.sqlite", name);
	*db = fresh_path(n);
	free(n);
	n = xasprintf("%s.log", name);
	*log = fresh_path(n);
	free(n);
	char *err = NULL;
	struct sync_store *s = sync_store_open(*db, true, true, &err);
	assert_null(err);
	assert_non_null(s);
	return s;
}

/* Keys that are their own hashes make the probing predictable. */
static void test_index_insert_find_grow(void **st)
{
	(void)st;
	struct sync_index *x = sync_index_new(4);
	assert_int_equal(sizeof(struct sync_entry), 20);
	/* many more than it was made for: it grows, and finds them all */
	for (uint64_t k = 1; k <= 100000; k++) {
		struct sync_entry *e = sync_index_get(x, k * 0x9e3779b97f4a7c15u,
						      true);
		e->fp = k;
		sync_entry_set(e, SYNC_IN_STATE, k);
	}
	assert_int_equal(sync_index_count(x), 100000);
	for (uint64_t k = 1; k <= 100000; k++) {
		struct sync_entry *e = sync_index_get(x, k * 0x9e3779b97f4a7c15u,
						      false);
		assert_non_null(e);
		assert_int_equal(e->fp, k);
		assert_int_equal(sync_entry_flags(e), SYNC_IN_STATE);
		assert_int_equal(sync_entry_line(e), k);
	}
	assert_null(sync_index_get(x, 12345, false));
	/* 0 is a key like another (stored as 1) */
	struct sync_entry *z = sync_index_get(x, 0, true);
	z->fp = 77;
	assert_int_equal(sync_index_get(x, 0, false)->fp, 77);
	sync_index_free(x);
}

static void test_entry_line_and_flags(void **st)
{
	(void)st;
	struct sync_entry e = { 0 };
	sync_entry_set(&e, SYNC_IN_STATE | SYNC_SEEN, SYNC_LINE_MAX);
	assert_int_equal(sync_entry_flags(&e), SYNC_IN_STATE | SYNC_SEEN);
	assert_int_equal(sync_entry_line(&e), SYNC_LINE_MAX);
	/* past the limit the line is unknown (0), never wrapped */
	sync_entry_set(&e, SYNC_SEEN, (uint64_t)SYNC_LINE_MAX + 5);
	assert_int_equal(sync_entry_flags(&e), SYNC_SEEN);
	assert_int_equal(sync_entry_line(&e), 0);
}

static struct sync_record rec(const char *key, const char *vals, int fpbyte)
{
	struct sync_record r = {
		.key = key, .keylen = strlen(key),
		.keyh = sync_key_hash(key, strlen(key)), .vals = vals,
		.run = "r1", .time = 1.5,
	};
	memset(r.fp, fpbyte, 16);
	return r;
}

struct seen {
	int n;
	char keys[8][16];
	char vals[8][32];
	bool removed[8];
	unsigned char fp0[8];
};

static int collect(void *ud, bool removed, const struct sync_record *r,
		   char **err)
{
	(void)err;
	struct seen *s = ud;
	if (s->n < 8) {
		snprintf(s->keys[s->n], 16, "%.*s", (int)r->keylen,
			 (const char *)r->key);
		snprintf(s->vals[s->n], 32, "%s", r->vals);
		s->removed[s->n] = removed;
		s->fp0[s->n] = r->fp[0];
	}
	s->n++;
	return 0;
}

static int count_cb(void *ud, const struct sync_record *r)
{
	(void)r;
	(*(int *)ud)++;
	return 0;
}

/* The writer applies puts and deletes to the store, and its log holds the
 * same records, readable back after a stop. */
static void test_writer_store_and_log(void **st)
{
	(void)st;
	char *db, *log, *err = NULL;
	struct sync_store *s = fresh_store("w", &db, &log);
	struct sync_record old = rec("gone", "id=gone", 9);
	assert_int_equal(sync_store_put(s, &old, &err), 0);
	assert_int_equal(sync_store_commit(s, &err), 0);

	struct sync_writer *w = sync_writer_start(s, log, "run-1", &err);
	assert_non_null(w);
	struct sync_record a = rec("a", "id=a&x=1", 1);
	struct sync_record b = rec("b", "", 2);
	sync_writer_put(w, &a);
	assert_int_equal(sync_writer_log(w, &err), 0);
	assert_int_equal(sync_writer_flush(w, &err), 0);
	sync_writer_put(w, &b);
	sync_writer_delete(w, "gone", 4, old.keyh, 2.0);
	assert_int_equal(sync_writer_stop(w, &err), 0);
	assert_null(err);

	int n = 0;
	assert_int_equal(sync_store_scan(s, true, count_cb, &n, &err), 0);
	assert_int_equal(n, 2); /* a and b; gone is gone */
	sync_store_close(s);

	struct seen seen = { 0 };
	char *run = NULL;
	uint64_t nrec = 0;
	assert_int_equal(sync_log_read(log, &run, collect, &seen, &nrec, &err),
			 1);
	assert_string_equal(run, "run-1");
	free(run);
	assert_int_equal(nrec, 3);
	assert_string_equal(seen.keys[0], "a");
	assert_string_equal(seen.vals[0], "id=a&x=1");
	assert_int_equal(seen.fp0[0], 1);
	assert_false(seen.removed[0]);
	assert_string_equal(seen.keys[1], "b");
	assert_string_equal(seen.vals[1], "");
	assert_string_equal(seen.keys[2], "gone");
	assert_true(seen.removed[2]);
	free(db);
	free(log);
}

/* A log cut anywhere (a killed write) gives its whole records and no
 * more; a damaged record ends it; a file that is no log is an error. */
static void test_log_torn_and_damaged(void **st)
{
	(void)st;
	char *db, *log, *err = NULL;
	struct sync_store *s = fresh_store("t", &db, &log);
	struct sync_writer *w = sync_writer_start(s, log, "run-2", &err);
	assert_non_null(w);
	struct sync_record a = rec("first", "v=1", 1);
	struct sync_record b = rec("second", "v=2", 2);
	sync_writer_put(w, &a);
	assert_int_equal(sync_writer_log(w, &err), 0);
	off_t one = 0;
	{
		struct stat sb;
		assert_int_equal(stat(log, &sb), 0);
		one = sb.st_size;
	}
	sync_writer_put(w, &b);
	assert_int_equal(sync_writer_stop(w, &err), 0);
	sync_store_close(s);
	char *whole = tu_slurp(log);
	struct stat sb;
	assert_int_equal(stat(log, &sb), 0);
	size_t len = (size_t)sb.st_size;

	size_t head = strlen("hookcast state log 1\nrun-2\n");
	for (size_t cut = 0; cut < len; cut++) {
		char *p = tu_write("cut.log", whole, cut);
		struct seen seen = { 0 };
		char *run = NULL;
		uint64_t nrec = 0;
		int rc = sync_log_read(p, &run, collect, &seen, &nrec, &err);
		/* cut in its first line: as if there were no log */
		assert_int_equal(rc, cut < head ? 0 : 1);
		assert_null(err);
		assert_int_equal(nrec, cut < (size_t)one ? 0 : 1);
		assert_int_equal(seen.n, (int)nrec);
		if (rc == 1)
			assert_string_equal(run, "run-2");
		free(run);
		free(p);
	}
	/* a byte changed in the second record: the first one only */
	whole[len - 3] ^= 0x20;
	char *p = tu_write("bad.log", whole, len);
	struct seen seen = { 0 };
	char *run = NULL;
	uint64_t nrec = 0;
	assert_int_equal(sync_log_read(p, &run, collect, &seen, &nrec, &err), 1);
	assert_int_equal(nrec, 1);
	assert_string_equal(seen.keys[0], "first");
	free(run);
	free(p);

	p = tu_writes("nolog.log", "id,email\n1,a@b\n");
	assert_int_equal(sync_log_read(p, &run, collect, &seen, &nrec, &err),
			 -1);
	assert_non_null(strstr(err, "not a hookcast state log"));
	assert_non_null(strstr(err, "nolog.log"));
	free(err);
	err = NULL;
	free(p);
	/* no log at all: nothing to replay */
	assert_int_equal(sync_log_read("/nonexistent/state.log", &run, collect,
				       &seen, &nrec, &err), 0);
	free(whole);
	free(db);
	free(log);
}

/* The writer's thread failing stops the run at the next flush, and stop
 * says why, naming the state file. */
static void test_writer_error_is_sticky(void **st)
{
	(void)st;
	char *db, *log, *err = NULL;
	struct sync_store *s = fresh_store("e", &db, &log);
	sync_store_close(s);
	/* a trigger that refuses every record: each put fails in the thread */
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TRIGGER no BEFORE INSERT ON "
				      "records BEGIN SELECT RAISE(ABORT, "
				      "'refused'); END", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(raw);
	s = sync_store_open(db, true, true, &err);
	assert_non_null(s);
	struct sync_writer *w = sync_writer_start(s, log, "run-3", &err);
	struct sync_record a = rec("a", "v", 1);
	sync_writer_put(w, &a);
	int rc = sync_writer_stop(w, &err);
	assert_int_equal(rc, -1);
	assert_non_null(err);
	assert_non_null(strstr(err, db));
	free(err);
	sync_store_close(s);
	free(db);
	free(log);
}

struct kv {
	int n;
	char keys[8][16];
	char vals[8][32];
};

static int kv_cb(void *ud, const struct sync_record *r)
{
	struct kv *x = ud;
	if (x->n < 8) {
		snprintf(x->keys[x->n], 16, "%.*s", (int)r->keylen,
			 (const char *)r->key);
		snprintf(x->vals[x->n], 32, "%s", r->vals);
	}
	x->n++;
	return 0;
}

static int kv_find(const struct kv *x, const char *key)
{
	for (int i = 0; i < x->n && i < 8; i++)
		if (strcmp(x->keys[i], key) == 0)
			return i;
	return -1;
}

/* The thread applies a batch in key order, but the records of one key in
 * the order they came: the last one stands. */
static void test_writer_batch_keeps_each_keys_order(void **st)
{
	(void)st;
	char *db, *log, *err = NULL;
	struct sync_store *s = fresh_store("o", &db, &log);
	struct sync_writer *w = sync_writer_start(s, log, "run-4", &err);
	assert_non_null(w);
	struct sync_record k1 = rec("k", "v=1", 1), k2 = rec("k", "v=2", 2);
	struct sync_record z = rec("z", "v=z", 3), a = rec("a", "v=a", 4);
	struct sync_record j1 = rec("j", "v=j", 5), j2 = rec("j", "v=j2", 6);
	/* one batch: nothing is flushed between these */
	sync_writer_put(w, &z);
	sync_writer_put(w, &k1);
	sync_writer_delete(w, "k", 1, k1.keyh, 2.0);
	sync_writer_put(w, &k2);
	sync_writer_put(w, &j1);
	sync_writer_put(w, &a);
	sync_writer_delete(w, "j", 1, j1.keyh, 2.0);
	sync_writer_put(w, &j2);
	sync_writer_delete(w, "j", 1, j1.keyh, 3.0);
	assert_int_equal(sync_writer_stop(w, &err), 0);
	assert_null(err);
	struct kv got = { 0 };
	assert_int_equal(sync_store_scan(s, true, kv_cb, &got, &err), 0);
	assert_int_equal(got.n, 3); /* a, k and z; j was removed last */
	assert_true(kv_find(&got, "k") >= 0);
	assert_string_equal(got.vals[kv_find(&got, "k")], "v=2");
	assert_true(kv_find(&got, "a") >= 0);
	assert_true(kv_find(&got, "z") >= 0);
	assert_int_equal(kv_find(&got, "j"), -1);
	sync_store_close(s);
	free(db);
	free(log);
}

/* Keys sort as SQLite orders BLOBs: bytes first, then the shorter. */
static void test_key_order(void **st)
{
	(void)st;
	assert_true(sync_key_cmp("1", 1, "10", 2) < 0);
	assert_true(sync_key_cmp("10", 2, "2", 1) < 0);
	assert_true(sync_key_cmp("", 0, "a", 1) < 0);
	assert_true(sync_key_cmp("a", 1, "", 0) > 0);
	assert_int_equal(sync_key_cmp("ab", 2, "ab", 2), 0);
	assert_int_equal(sync_key_cmp("", 0, "", 0), 0);
	assert_true(sync_key_cmp("a\x1f" "b", 3, "a\xff", 2) < 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT x'61' < x'6100', "
					    "x'ff' > x'61ff', x'0a' < x'0b'",
					    -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0),
			 sync_key_cmp("a", 1, "a\0", 2) < 0);
	assert_int_equal(sqlite3_column_int(q, 1),
			 sync_key_cmp("\xff", 1, "a\xff", 2) > 0);
	assert_int_equal(sqlite3_column_int(q, 2),
			 sync_key_cmp("\n", 1, "\x0b", 1) < 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_insert_find_grow),
		cmocka_unit_test(test_entry_line_and_flags),
		cmocka_unit_test(test_writer_store_and_log),
		cmocka_unit_test(test_log_torn_and_damaged),
		cmocka_unit_test(test_writer_error_is_sticky),
		cmocka_unit_test(test_writer_batch_keeps_each_keys_order),
		cmocka_unit_test(test_key_order),
	};
	return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
