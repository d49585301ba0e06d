/* Unit tests of the journal, run metadata and the state folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>

#include "hookcast/history.h"
#include "testutil.h"

static char *state_dir(void)
{
	char *p = tu_writes("placeholder", "");
	char *dir = xasprintf("%s.state", p);
	free(p);
	return dir;
}

struct lines {
	size_t n;
	char outcome[8][16];
	char error[8][64];
	char response[8][64];
	uint64_t row[8];
	long status[8];
};

static int collect(void *ud, const struct history_line *l)
{
	struct lines *c = ud;
	if (c->n < 8) {
		snprintf(c->outcome[c->n], 16, "%s", l->outcome);
		snprintf(c->error[c->n], 64, "%s", l->error);
		snprintf(c->response[c->n], 64, "%s", l->response);
		c->row[c->n] = l->row;
		c->status[c->n] = l->status;
	}
	c->n++;
	return 0;
}

static void test_journal_round_trip_and_torn_line(void **state)
{
	(void)state;
	char *sd = state_dir();
	setenv("HOOKCAST_STATE_DIR", sd, 1);
	char *err = NULL;
	char *resolved = history_state_dir(&err);
	assert_string_equal(resolved, sd);
	struct stat st;
	assert_int_equal(stat(sd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	struct history_meta m;
	memset(&m, 0, sizeof m);
	assert_int_equal(history_run_create(sd, &m, &err), 0);
	assert_true(history_id_ok(m.id));

	struct history_journal *j = history_journal_open(m.dir, &err);
	assert_non_null(j);
	struct history_line l = {
		.row = 1, .line = 2, .attempt = 1, .time = 1764300000.5,
		.method = "POST", .status = 503, .outcome = "retry",
		.latency_ms = 12.5, .error = "HTTP 503",
		.url = "https://h/x?a=1", .response = "=cmd|' /C calc'!A0\n\x1b[2J",
		.response_len = 23,
	};
	history_journal_add(j, &l);
	l.attempt = 2;
	l.status = 200;
	l.outcome = "delivered";
	l.error = "";
	l.response = "ok, \"quoted\"";
	l.response_len = strlen(l.response);
	history_journal_add(j, &l);
	l.row = 2;
	l.line = 3;
	l.attempt = 0;
	l.status = 0;
	l.outcome = "invalid";
	l.error = "-has 1 field, expected 2";
	l.response = "";
	l.response_len = 0;
	history_journal_add(j, &l);
	assert_int_equal(history_journal_close(j, &err), 0);

	/* a crash mid-line */
	char *path = xasprintf("%s/results.csv", m.dir);
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_true(write(fd, "3,4,1,2026-11-28T00:00:00.000Z,POST,200,deliv", 45) == 45);
	close(fd);

	struct lines c;
	memset(&c, 0, sizeof c);
	assert_int_equal(history_journal_read(m.dir, UINT64_MAX, collect, &c, &err), 0);
	assert_int_equal(c.n, 3); /* the torn line is not read */
	assert_string_equal(c.outcome[0], "retry");
	assert_int_equal(c.status[0], 503);
	/* spreadsheet-safe and no control bytes */
	assert_string_equal(c.response[0], "'=cmd|' /C calc'!A0  [2J");
	assert_string_equal(c.response[1], "ok, \"quoted\"");
	assert_string_equal(c.error[2], "'-has 1 field, expected 2");

	struct history_finals f;
	assert_int_equal(history_finals_load(m.dir, UINT64_MAX, &f, &err), 0);
	assert_int_equal(history_finals_get(&f, 1), FINAL_DELIVERED);
	assert_int_equal(history_finals_get(&f, 2), FINAL_INVALID);
	assert_int_equal(history_finals_get(&f, 3), FINAL_NONE);
	assert_int_equal(history_finals_get(&f, 999999), FINAL_NONE);
	assert_int_equal(f.delivered, 1);
	assert_int_equal(f.invalid, 1);
	history_finals_set(&f, 1, FINAL_FAILED);
	assert_int_equal(f.delivered, 0);
	assert_int_equal(f.failed, 1);
	history_finals_free(&f);

	/* Appending after a torn line starts a new line. */
	j = history_journal_open(m.dir, &err);
	assert_non_null(j);
	l.row = 5;
	l.outcome = "failed";
	l.error = "HTTP 404";
	history_journal_add(j, &l);
	assert_int_equal(history_journal_close(j, &err), 0);
	memset(&c, 0, sizeof c);
	assert_int_equal(history_journal_read(m.dir, UINT64_MAX, collect, &c, &err), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.row[3], 5);

	/* Lines hookcast cannot have written are skipped by every reader: a
	 * row beyond the run's rows, and an unknown outcome. */
	fd = open(path, O_WRONLY | O_APPEND);
	const char *bad = "4000000000,2,1,2026-11-28T00:00:00.000Z,POST,200,"
			  "delivered,1.0,,,\n"
			  "1,2,2,2026-11-28T00:00:00.000Z,POST,200,delivred,1.0,,,\n";
	assert_true(write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
	close(fd);
	memset(&c, 0, sizeof c);
	assert_int_equal(history_journal_read(m.dir, 10, collect, &c, &err), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(history_finals_load(m.dir, 10, &f, &err), 0);
	assert_int_equal(history_finals_get(&f, 1), FINAL_DELIVERED);
	assert_int_equal(f.nrows <= 1024, 1); /* nothing allocated for row 4e9 */
	history_finals_free(&f);
	struct history_row *rows;
	size_t n;
	assert_int_equal(history_rows_load(m.dir, 10, &rows, &n, &err), 0);
	assert_int_equal(n, 3); /* rows 1, 2 and 5 */
	assert_string_equal(rows[0].outcome, "delivered");
	history_rows_free(rows, n);
	free(path);
	history_meta_free(&m);
	free(resolved);
	free(sd);
}

static void test_meta_round_trip(void **state)
{
	(void)state;
	char *sd = state_dir();
	char *err = NULL;
	struct history_meta m;
	memset(&m, 0, sizeof m);
	assert_int_equal(history_run_create(sd, &m, &err), 0);
	m.profile_path = xstrdup("/tmp/x/p.ini");
	m.segment_path = xstrdup("/tmp/x/s.csv");
	snprintf(m.state, sizeof m.state, "done");
	snprintf(m.reason, sizeof m.reason, "circuit breaker: x");
	snprintf(m.sha256, sizeof m.sha256, "%064d", 7);
	m.started = 1764300000.25;
	m.ended = 1764300010.5;
	m.rows_total = 10;
	m.valid = 9;
	m.invalid = 1;
	m.delivered = 8;
	m.failed = 1;
	m.retries = 3;
	m.limit = 5;
	m.shard_k = 2;
	m.shard_n = 3;
	m.exit_status = 1;
	assert_int_equal(history_meta_save(&m, "[destination]\nurl = \"x\"\n", &err), 0);
	struct history_meta r;
	assert_int_equal(history_meta_load(sd, m.id, &r, &err), 0);
	assert_string_equal(r.state, "done");
	assert_string_equal(r.reason, "circuit breaker: x");
	assert_string_equal(r.profile_path, "/tmp/x/p.ini");
	assert_string_equal(r.sha256, m.sha256);
	assert_true(r.started == m.started && r.ended == m.ended);
	assert_int_equal(r.delivered, 8);
	assert_int_equal(r.retries, 3);
	assert_int_equal(r.shard_n, 3);
	assert_int_equal(r.limit, 5);
	assert_int_equal(r.exit_status, 1);
	history_meta_free(&r);

	/* "running" with nobody holding the lock reads as interrupted */
	snprintf(m.state, sizeof m.state, "running");
	assert_int_equal(history_meta_save(&m, NULL, &err), 0);
	assert_int_equal(history_meta_load(sd, m.id, &r, &err), 0);
	assert_string_equal(r.state, "interrupted");
	history_meta_free(&r);
	/* and as running while its lock is held */
	int fd[2];
	char *holder = NULL;
	assert_int_equal(history_lock(sd, m.profile_path, 2, 3, m.id, fd,
				      &holder, &err), 0);
	assert_int_equal(history_meta_load(sd, m.id, &r, &err), 0);
	assert_string_equal(r.state, "running");
	history_meta_free(&r);
	int fd2[2];
	assert_int_equal(history_lock(sd, m.profile_path, 2, 3, "other", fd2,
				      &holder, &err), 1);
	assert_non_null(strstr(holder, m.id));
	free(holder);
	/* a run of the whole profile cannot start beside a shard */
	assert_int_equal(history_lock(sd, m.profile_path, 0, 0, "whole", fd2,
				      &holder, &err), 1);
	assert_string_equal(holder, "a --shard run over 3 shards");
	free(holder);
	assert_false(history_lock_free(sd, m.profile_path, 2, 3));
	close(fd[0]);
	close(fd[1]);
	assert_true(history_lock_free(sd, m.profile_path, 2, 3));

	/* nor a shard beside a run of the whole profile */
	assert_int_equal(history_lock(sd, m.profile_path, 0, 0, "whole", fd,
				      &holder, &err), 0);
	assert_int_equal(fd[1], -1);
	assert_int_equal(history_lock(sd, m.profile_path, 1, 2, "shard", fd2,
				      &holder, &err), 1);
	assert_non_null(strstr(holder, "whole pid "));
	free(holder);
	/* a second whole run is told the first's id, not about shards */
	assert_int_equal(history_lock(sd, m.profile_path, 0, 0, "second", fd2,
				      &holder, &err), 1);
	assert_true(strncmp(holder, "whole pid ", 10) == 0);
	free(holder);
	assert_false(history_lock_free(sd, m.profile_path, 0, 0));
	close(fd[0]);

	/* Shards of one count run side by side, each once. */
	int s1[2], s2[2], x[2];
	assert_int_equal(history_lock(sd, m.profile_path, 1, 4, "run-s1", s1,
				      &holder, &err), 0);
	assert_int_equal(history_lock(sd, m.profile_path, 2, 4, "run-s2", s2,
				      &holder, &err), 0);
	assert_true(s1[1] >= 0 && s2[1] >= 0);
	assert_false(history_lock_free(sd, m.profile_path, 1, 4));
	assert_true(history_lock_free(sd, m.profile_path, 3, 4));
	assert_int_equal(history_lock(sd, m.profile_path, 1, 4, "again", x,
				      &holder, &err), 1);
	assert_non_null(strstr(holder, "run-s1 pid "));
	free(holder);
	/* another count would overlap their rows */
	assert_int_equal(history_lock(sd, m.profile_path, 1, 3, "three", x,
				      &holder, &err), 1);
	assert_string_equal(holder, "a --shard run over 4 shards, not 3");
	free(holder);
	assert_int_equal(history_lock(sd, m.profile_path, 5, 5, "five", x,
				      &holder, &err), 1);
	free(holder);
	/* and so would the whole profile (a state reset too) */
	assert_int_equal(history_lock(sd, m.profile_path, 0, 0, "whole", x,
				      &holder, &err), 1);
	assert_string_equal(holder, "a --shard run over 4 shards");
	free(holder);
	for (int i = 0; i < 2; i++) {
		close(s1[i]);
		close(s2[i]);
	}
	assert_int_equal(history_lock(sd, m.profile_path, 0, 0, "whole", x,
				      &holder, &err), 0);
	close(x[0]);

	assert_int_equal(history_meta_load(sd, "../etc", &r, &err), -1);
	assert_non_null(strstr(err, "is not a run id"));
	free(err);
	assert_int_equal(history_meta_load(sd, "20990101-000000.000-0000", &r,
					   &err), -1);
	assert_non_null(strstr(err, "no run 20990101-000000.000-0000"));
	free(err);

	struct history_meta *list;
	size_t n;
	assert_int_equal(history_list(sd, &list, &n, NULL, &err), 0);
	assert_int_equal(n, 1);
	history_list_free(list, n);
	history_meta_free(&m);
	free(sd);
}

static void test_ids_sort_by_time(void **state)
{
	(void)state;
	char *a = history_new_id();
	usleep(2000);
	char *b = history_new_id();
	assert_true(strcmp(a, b) < 0);
	assert_true(history_id_ok(a));
	assert_false(history_id_ok(".."));
	assert_false(history_id_ok("a/b"));
	assert_false(history_id_ok(""));
	free(a);
	free(b);
	char t[40];
	history_format_time(1764300000.123, t, sizeof t);
	assert_string_equal(t, "2025-11-28T03:20:00.123Z");
}


/* A run folder with run.ini and a journal of (row, outcome, status) lines. */
static void make_run(const char *sd, struct history_meta *m,
		     const uint64_t *rows, const char *const *outcomes,
		     const long *statuses, size_t n)
{
	char *err = NULL;
	assert_int_equal(history_run_create(sd, m, &err), 0);
	snprintf(m->state, sizeof m->state, "stopped");
	assert_int_equal(history_meta_save(m, NULL, &err), 0);
	struct history_journal *j = history_journal_open(m->dir, &err);
	assert_non_null(j);
	for (size_t i = 0; i < n; i++) {
		char url[64];
		snprintf(url, sizeof url, "http://h/x?email=zo%%C3%%AB%%2B%llu"
			 "%%40ex.org", (unsigned long long)rows[i]);
		struct history_line l = {
			.row = rows[i], .line = rows[i] + 1, .attempt = 1,
			.time = 1764300000, .method = "POST",
			.status = statuses[i], .outcome = outcomes[i],
			.latency_ms = 1, .error = statuses[i] >= 400 ? "HTTP 404"
								     : "",
			.url = url, .response = "", .response_len = 0,
		};
		history_journal_add(j, &l);
	}
	assert_int_equal(history_journal_close(j, &err), 0);
}

static void test_rows_of_a_run_include_pending(void **state)
{
	(void)state;
	char *sd = state_dir();
	char *err = NULL;
	/* 6 rows, 5 valid + 1 invalid selected; stopped after 3 lines */
	struct history_meta m;
	memset(&m, 0, sizeof m);
	m.rows_total = 6;
	m.valid = 5;
	m.invalid = 1;
	static const uint64_t rows[] = { 1, 2, 2, 3 };
	static const char *const outs[] = { "delivered", "retry", "failed",
					    "invalid" };
	static const long st[] = { 200, 503, 404, 0 };
	make_run(sd, &m, rows, outs, st, 4);
	struct history_row *r;
	size_t n;
	assert_int_equal(history_rows_load_run(sd, &m, &r, &n, &err), 0);
	assert_int_equal(n, 6); /* every row, the unsent ones too */
	assert_string_equal(r[0].outcome, "delivered");
	assert_string_equal(r[1].outcome, "failed");
	assert_string_equal(r[2].outcome, "invalid");
	for (size_t i = 3; i < 6; i++) {
		assert_int_equal(r[i].row, i + 1);
		assert_string_equal(r[i].outcome, "pending");
		assert_int_equal(r[i].line, 0);
		assert_int_equal(r[i].attempts, 0);
	}
	/* one rule for filters: failed is not invalid, pending has its own */
	size_t count[HF_COUNT] = { 0 };
	for (int f = 0; f < HF_COUNT; f++)
		for (size_t i = 0; i < n; i++)
			count[f] += history_row_matches(&r[i],
							(enum history_filter)f,
							NULL);
	assert_int_equal(count[HF_ALL], 6);
	assert_int_equal(count[HF_FAILED], 1);
	assert_int_equal(count[HF_INVALID], 1);
	assert_int_equal(count[HF_PENDING], 3);
	assert_int_equal(count[HF_DELIVERED], 1);
	assert_int_equal(count[HF_4XX], 1);
	assert_int_equal(history_filter_parse("invalid"), HF_INVALID);
	assert_int_equal(history_filter_parse("nope"), -1);
	/* search: decoded URL values, the status, the error, row numbers */
	assert_true(history_row_matches(&r[0], HF_ALL, "zoë+1@ex.org"));
	assert_true(history_row_matches(&r[0], HF_ALL, "ZOë+1@EX.ORG"));
	assert_false(history_row_matches(&r[0], HF_ALL, "zoë+2@ex.org"));
	assert_true(history_row_matches(&r[1], HF_ALL, "404"));
	assert_true(history_row_matches(&r[1], HF_ALL, "http 404"));
	assert_true(history_row_matches(&r[4], HF_ALL, "5"));
	assert_false(history_row_matches(&r[4], HF_ALL, "zoë"));
	history_rows_free(r, n);
	history_meta_free(&m);

	/* A shard's rows are its own: rows 2, 4, 6 of shard 2/2. */
	memset(&m, 0, sizeof m);
	m.rows_total = 6;
	m.valid = 3;
	m.shard_k = 2;
	m.shard_n = 2;
	static const uint64_t srows[] = { 2 };
	static const char *const souts[] = { "delivered" };
	static const long sst[] = { 200 };
	make_run(sd, &m, srows, souts, sst, 1);
	assert_int_equal(history_rows_load_run(sd, &m, &r, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].row, 2);
	assert_int_equal(r[1].row, 4);
	assert_int_equal(r[2].row, 6);
	assert_string_equal(r[2].outcome, "pending");
	history_rows_free(r, n);

	/* --retry-failed covers the failed rows of the run it retries. */
	struct history_meta parent = m;
	struct history_meta child;
	memset(&child, 0, sizeof child);
	child.rows_total = 6;
	child.valid = 1;
	child.parent = xstrdup(parent.id);
	static const uint64_t prow[] = { 4 };
	static const char *const pout[] = { "failed" };
	static const long pst[] = { 500 };
	/* the parent's row 4 failed: add it to the parent's journal */
	struct history_journal *j = history_journal_open(parent.dir, &err);
	struct history_line l = { .row = 4, .line = 5, .attempt = 3,
				  .method = "POST", .status = 500,
				  .outcome = "failed", .latency_ms = 1,
				  .error = "HTTP 500", .url = "u",
				  .response = "" };
	history_journal_add(j, &l);
	assert_int_equal(history_journal_close(j, &err), 0);
	make_run(sd, &child, prow, pout, pst, 0);
	assert_int_equal(history_rows_load_run(sd, &child, &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].row, 4);
	assert_string_equal(r[0].outcome, "pending");
	history_rows_free(r, n);
	history_meta_free(&child);
	history_meta_free(&parent);
	free(sd);
}

static void test_sending_and_wall_time(void **state)
{
	(void)state;
	struct history_meta m;
	memset(&m, 0, sizeof m);
	snprintf(m.state, sizeof m.state, "done");
	m.started = 1000;
	m.ended = 1090.3;
	m.sending = 10.2; /* a stop, a pause of 80 s, and a resume */
	assert_true(history_sending_time(&m, 2000) == 10.2);
	assert_true(fabs(history_wall_time(&m, 2000) - 90.3) < 1e-9);
	char b[64];
	history_format_duration(10.2, 90.3, b, sizeof b);
	assert_string_equal(b, "10.2s (wall 1m30s)");
	history_format_duration(5.0, 5.4, b, sizeof b);
	assert_string_equal(b, "5.0s");
	m.sending = -1; /* written before the sending time was kept */
	assert_true(fabs(history_sending_time(&m, 2000) - 90.3) < 1e-9);
	/* a running session counts up to now */
	snprintf(m.state, sizeof m.state, "running");
	m.sending = 4;
	m.session_started = 1500;
	m.ended = 0;
	assert_true(history_sending_time(&m, 1510) == 14);
}


struct keyhdr {
	char key[40], hdrs[128];
	size_t n;
};

static int keyhdr_cb(void *ud, const struct history_line *l)
{
	struct keyhdr *k = ud;
	snprintf(k->key, sizeof k->key, "%s", l->key);
	snprintf(k->hdrs, sizeof k->hdrs, "%.*s", (int)l->response_headers_len,
		 l->response_headers);
	k->n++;
	return 0;
}

static void test_journal_key_and_headers_columns(void **state)
{
	(void)state;
	char *sd = state_dir();
	char *err = NULL;
	struct history_meta m;
	memset(&m, 0, sizeof m);
	assert_int_equal(history_run_create(sd, &m, &err), 0);
	struct history_journal *j = history_journal_open(m.dir, &err);
	struct history_line l = {
		.row = 1, .line = 2, .attempt = 1, .method = "POST",
		.status = 503, .outcome = "retry", .latency_ms = 1,
		.error = "HTTP 503", .url = "u", .response = "",
		.key = "0123456789abcdef0123456789abcdef",
		.response_headers = "Retry-After: 1 | X-Trace: =a",
		.response_headers_len = 28,
	};
	history_journal_add(j, &l);
	assert_int_equal(history_journal_close(j, &err), 0);
	struct keyhdr k = { 0 };
	assert_int_equal(history_journal_read(m.dir, 10, keyhdr_cb, &k, &err), 0);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.key, "0123456789abcdef0123456789abcdef");
	assert_string_equal(k.hdrs, "Retry-After: 1 | X-Trace: =a");

	/* A journal from before the two columns is resumed in its own width,
	 * and reads with them empty. */
	char *path = xasprintf("%s/results.csv", m.dir);
	FILE *f = fopen(path, "w");
	fputs("row,line,attempt,time,method,status,outcome,latency_ms,error,"
	      "url,response\n1,2,1,2026-11-28T05:45:07.123Z,POST,503,retry,"
	      "1.0,HTTP 503,u,\n", f);
	fclose(f);
	j = history_journal_open(m.dir, &err);
	l.row = 2;
	history_journal_add(j, &l);
	assert_int_equal(history_journal_close(j, &err), 0);
	memset(&k, 0, sizeof k);
	assert_int_equal(history_journal_read(m.dir, 10, keyhdr_cb, &k, &err), 0);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.key, "");
	char *text = tu_slurp(path);
	assert_null(strstr(text, "0123456789abcdef"));
	free(text);
	free(path);
	history_meta_free(&m);
	free(sd);
}

/* A batch's rows written at once are the same bytes as one line each,
 * also when the buffer grows under the copying (many rows, long cells). */
static void test_journal_rows_at_once(void **state)
{
	(void)state;
	char *sd = state_dir();
	char *err = NULL;
	struct history_meta a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	assert_int_equal(history_run_create(sd, &a, &err), 0);
	assert_int_equal(history_run_create(sd, &b, &err), 0);
	char url[3000];
	memset(url, 'u', sizeof url - 1);
	url[sizeof url - 1] = '\0';
	struct history_line l = {
		.attempt = 2, .time = 1764658000.25, .method = "POST",
		.status = 200, .outcome = "delivered", .latency_ms = 3.5,
		.error = "", .url = url, .response = "{\"ok\":true}",
		.response_len = 11, .key = "0123456789abcdef0123456789abcdef",
		.event = "changed", .batch = 7,
	};
	enum { N = 500 };
	uint64_t rows[N], lines[N];
	for (int i = 0; i < N; i++) {
		rows[i] = 1000 + (uint64_t)i * 7;
		lines[i] = 2000 + (uint64_t)i * 9;
	}
	struct history_journal *j = history_journal_open(a.dir, &err);
	history_journal_add_rows(j, &l, rows, lines, N);
	assert_int_equal(history_journal_close(j, &err), 0);
	j = history_journal_open(b.dir, &err);
	for (int i = 0; i < N; i++) {
		l.row = rows[i];
		l.line = lines[i];
		history_journal_add(j, &l);
	}
	assert_int_equal(history_journal_close(j, &err), 0);
	char *pa = xasprintf("%s/results.csv", a.dir);
	char *pb = xasprintf("%s/results.csv", b.dir);
	char *ta = tu_slurp(pa), *tb = tu_slurp(pb);
	assert_true(strlen(ta) > N * sizeof url);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	free(pa);
	free(pb);
	history_meta_free(&a);
	history_meta_free(&b);
	free(sd);
}

static void test_state_dir_env(void **state)
{
	(void)state;
	char *err = NULL;
	unsetenv("HOOKCAST_STATE_DIR");
	char *sd = state_dir();
	setenv("XDG_STATE_HOME", sd, 1);
	char *d = history_state_dir(&err);
	char *want = xasprintf("%s/hookcast", sd);
	assert_string_equal(d, want);
	free(d);
	free(want);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", sd, 1);
	d = history_state_dir(&err);
	want = xasprintf("%s/.local/state/hookcast", sd);
	assert_string_equal(d, want);
	free(d);
	free(want);
	setenv("HOOKCAST_STATE_DIR", "/proc/nope/x", 1);
	assert_null(history_state_dir(&err));
	assert_non_null(strstr(err, "cannot create"));
	free(err);
	free(sd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_round_trip_and_torn_line),
		cmocka_unit_test(test_meta_round_trip),
		cmocka_unit_test(test_ids_sort_by_time),
		cmocka_unit_test(test_state_dir_env),
		cmocka_unit_test(test_rows_of_a_run_include_pending),
		cmocka_unit_test(test_sending_and_wall_time),
		cmocka_unit_test(test_journal_key_and_headers_columns),
		cmocka_unit_test(test_journal_rows_at_once),
	};
	return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
