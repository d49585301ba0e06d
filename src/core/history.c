#include "hookcast/history.h"

#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iniparser.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hookcast/hash.h"
#include "hookcast/ini.h"
#include "hookcast/request.h"
#include "hookcast/segment.h"
#include "hookcast/sync.h"

#define FINALS_MAX_ROW ((uint64_t)1 << 32)

/* The journal's widths: today's, and those of older journals, which keep
 * theirs when a run is resumed. */
#define JOURNAL_COLS 16
#define JOURNAL_COLS_14 14 /* before request_body and batch */
#define JOURNAL_COLS_OLD 11 /* before key, response_headers and event */
#define HISTORY_HEADER_14 \
	"row,line,attempt,time,method,status,outcome,latency_ms,error,url," \
	"response,key,response_headers,event\n"

static int mkdir_p(const char *path, char **err)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			*err = xasprintf("%s: cannot create: %s", p,
					 strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST) {
		*err = xasprintf("%s: cannot create: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

char *history_state_dir(char **err)
{
	const char *v = getenv("HOOKCAST_STATE_DIR");
	char *dir;
	if (v && *v) {
		dir = xstrdup(v);
	} else if ((v = getenv("XDG_STATE_HOME")) && *v == '/') {
		dir = xasprintf("%s/hookcast", v);
	} else if ((v = getenv("HOME")) && *v) {
		dir = xasprintf("%s/.local/state/hookcast", v);
	} else {
		*err = xstrdup("no state folder: set HOOKCAST_STATE_DIR or "
			       "HOME");
		return NULL;
	}
	if (mkdir_p(dir, err) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

void history_format_time(double t, char *buf, size_t n)
{
	long long total = llround(t * 1000.0);
	time_t s = (time_t)(total / 1000);
	int ms = (int)(total % 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char base[32];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%03dZ", base, ms);
}

static double parse_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (rest == NULL)
		return 0;
	double t = (double)timegm(&tm);
	if (*rest == '.')
		t += strtod(rest, NULL);
	return t;
}

char *history_new_id(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char base[32];
	strftime(base, sizeof base, "%Y%m%d-%H%M%S", &tm);
	unsigned short r = 0;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
		r = (unsigned short)(ts.tv_nsec ^ getpid());
	return xasprintf("%s.%03ld-%04x", base, ts.tv_nsec / 1000000L,
			 (unsigned)r);
}

bool history_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 64 || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

void history_meta_free(struct history_meta *m)
{
	free(m->id);
	free(m->dir);
	free(m->profile_path);
	free(m->segment_path);
	free(m->parent);
	memset(m, 0, sizeof *m);
}

uint64_t history_max_row(const struct history_meta *m)
{
	return m->rows_total + m->removed;
}

double history_wall_time(const struct history_meta *m, double now)
{
	double end = m->ended > 0 ? m->ended : now;
	return end > m->started ? end - m->started : 0;
}

double history_sending_time(const struct history_meta *m, double now)
{
	if (m->sending < 0) /* written before hookcast kept it */
		return history_wall_time(m, now);
	double t = m->sending;
	/* The session going on (or killed: it never added its time, and
	 * its end is not known) counts up to now or to its end. */
	if (strcmp(m->state, "running") == 0 && m->session_started > 0 &&
	    now > m->session_started)
		t += now - m->session_started;
	return t;
}

static void fmt_secs(double s, char *buf, size_t n)
{
	if (s < 60)
		snprintf(buf, n, "%.1fs", s);
	else if (s < 3600)
		snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, n, "%dh%02dm", (int)(s / 3600),
			 ((int)s % 3600) / 60);
}

void history_format_duration(double sending, double wall, char *buf,
			     size_t n)
{
	char a[24], b[24];
	fmt_secs(sending, a, sizeof a);
	if (wall > sending + 1 && wall > sending * 1.1) {
		fmt_secs(wall, b, sizeof b);
		snprintf(buf, n, "%s (wall %s)", a, b);
	} else {
		snprintf(buf, n, "%s", a);
	}
}

int history_run_create(const char *state_dir, struct history_meta *m,
		       char **err)
{
	char *runs = xasprintf("%s/runs", state_dir);
	if (mkdir_p(runs, err) < 0) {
		free(runs);
		return -1;
	}
	for (int tries = 0; tries < 100; tries++) {
		char *id = history_new_id();
		char *dir = xasprintf("%s/%s", runs, id);
		if (mkdir(dir, 0700) == 0) {
			m->id = id;
			m->dir = dir;
			free(runs);
			return 0;
		}
		int e = errno;
		free(id);
		free(dir);
		if (e != EEXIST) {
			*err = xasprintf("%s: cannot create a run folder: %s",
					 runs, strerror(e));
			free(runs);
			return -1;
		}
	}
	*err = xasprintf("%s: cannot find a free run id", runs);
	free(runs);
	return -1;
}

int history_meta_save(const struct history_meta *m, const char *profile_ini,
		      char **err)
{
	struct ini_writer w;
	ini_writer_init(&w);
	hc_buf_adds(&w.out, "; hookcast run: the profile as it was used, then "
			     "the run\n\n");
	if (profile_ini)
		hc_buf_adds(&w.out, profile_ini);
	char t[40];
	ini_section(&w, "run");
	ini_put(&w, "id", m->id);
	ini_put(&w, "state", m->state);
	ini_put(&w, "reason", m->reason);
	history_format_time(m->started, t, sizeof t);
	ini_put(&w, "started", t);
	ini_put_double(&w, "started_unix", m->started);
	if (m->ended > 0) {
		history_format_time(m->ended, t, sizeof t);
		ini_put(&w, "ended", t);
		ini_put_double(&w, "ended_unix", m->ended);
	}
	if (m->sending >= 0)
		ini_put_double(&w, "sending_s", m->sending);
	if (m->session_started > 0)
		ini_put_double(&w, "session_started_unix", m->session_started);
	ini_put_long(&w, "pid", m->pid);
	ini_put_long(&w, "exit_status", m->exit_status);
	if (m->parent)
		ini_put(&w, "retry_of", m->parent);
	ini_put_long(&w, "limit", (long long)m->limit);
	if (m->sync_mode[0])
		ini_put(&w, "sync", m->sync_mode);
	ini_put_long(&w, "shard_k", m->shard_k);
	ini_put_long(&w, "shard_n", m->shard_n);
	ini_put(&w, "profile", m->profile_path ? m->profile_path : "");
	ini_section(&w, "source");
	ini_put(&w, "path", m->segment_path ? m->segment_path : "");
	ini_put_long(&w, "size", (long long)m->segment_size);
	ini_put_long(&w, "mtime", m->segment_mtime);
	ini_put(&w, "sha256", m->sha256);
	ini_section(&w, "counts");
	ini_put_long(&w, "rows_total", (long long)m->rows_total);
	ini_put_long(&w, "valid", (long long)m->valid);
	ini_put_long(&w, "invalid", (long long)m->invalid);
	ini_put_long(&w, "delivered", (long long)m->delivered);
	ini_put_long(&w, "failed", (long long)m->failed);
	ini_put_long(&w, "retries", (long long)m->retries);
	if (m->sync_mode[0] && strcmp(m->sync_mode, "all") != 0) {
		ini_put_long(&w, "added", (long long)m->added);
		ini_put_long(&w, "changed", (long long)m->changed);
		ini_put_long(&w, "removed", (long long)m->removed);
		ini_put_long(&w, "unchanged", (long long)m->unchanged);
	}
	int rc = -1;
	char *path = xasprintf("%s/run.ini", m->dir);
	if (w.err)
		*err = xasprintf("%s: cannot write: %s", path, w.err);
	else
		rc = hc_save_atomic(path, w.out.data, w.out.len, 0600, err);
	free(path);
	ini_writer_free(&w);
	return rc;
}

static char *lock_path(const char *state_dir, const char *profile_abs,
		       unsigned shard_k, unsigned shard_n, char **err);

/* The first line of a lock file: "RUN pid PID". */
static char *lock_holder(int f)
{
	char buf[128];
	ssize_t n = pread(f, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

/* Does a live process hold the lock of that profile and shard for
 * writing? Asks without taking it (F_OFD_GETLK), so that looking never
 * gets in a starting run's way. *holder gets the lock file's first line
 * when held. */
static bool lock_held(const char *state_dir, const char *profile_abs,
		      unsigned shard_k, unsigned shard_n, char **holder)
{
	char *err = NULL;
	char *path = lock_path(state_dir, profile_abs, shard_k, shard_n, &err);
	free(err);
	if (path == NULL)
		return false;
	int f = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (f < 0)
		return false;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	/* shard runs read-lock bytes of the profile's file: not a holder */
	bool held = fcntl(f, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_WRLCK;
	if (held)
		*holder = lock_holder(f);
	close(f);
	return held;
}

static const char *ini_str(dictionary *d, const char *key)
{
	const char *v = iniparser_getstring(d, key, NULL);
	return v ? v : "";
}

static uint64_t ini_u64(dictionary *d, const char *key)
{
	return strtoull(ini_str(d, key), NULL, 10);
}

int history_meta_load(const char *state_dir, const char *id,
		      struct history_meta *m, char **err)
{
	memset(m, 0, sizeof *m);
	if (!history_id_ok(id)) {
		*err = xasprintf("\"%.80s\" is not a run id", id);
		return -1;
	}
	char *dir = xasprintf("%s/runs/%s", state_dir, id);
	char *path = xasprintf("%s/run.ini", dir);
	struct stat st;
	if (stat(path, &st) < 0) {
		*err = errno == ENOENT
			       ? xasprintf("no run %s (looked in %s/runs)", id,
					   state_dir)
			       : xasprintf("%s: %s", path, strerror(errno));
		free(dir);
		free(path);
		return -1;
	}
	dictionary *d = ini_load_quiet(path, err);
	free(path);
	if (d == NULL) {
		free(dir);
		return -1;
	}
	m->id = xstrdup(id);
	m->dir = dir;
	m->profile_path = xstrdup(ini_str(d, "run:profile"));
	m->segment_path = xstrdup(ini_str(d, "source:path"));
	m->segment_size = ini_u64(d, "source:size");
	m->segment_mtime = strtoll(ini_str(d, "source:mtime"), NULL, 10);
	snprintf(m->sha256, sizeof m->sha256, "%s", ini_str(d, "source:sha256"));
	m->started = strtod(ini_str(d, "run:started_unix"), NULL);
	m->ended = strtod(ini_str(d, "run:ended_unix"), NULL);
	const char *sending = ini_str(d, "run:sending_s");
	m->sending = *sending ? strtod(sending, NULL) : -1;
	m->session_started = strtod(ini_str(d, "run:session_started_unix"),
				    NULL);
	snprintf(m->state, sizeof m->state, "%s", ini_str(d, "run:state"));
	snprintf(m->method, sizeof m->method, "%s",
		 ini_str(d, "destination:method"));
	snprintf(m->reason, sizeof m->reason, "%s", ini_str(d, "run:reason"));
	const char *parent = ini_str(d, "run:retry_of");
	m->parent = *parent ? xstrdup(parent) : NULL;
	m->rows_total = ini_u64(d, "counts:rows_total");
	m->valid = ini_u64(d, "counts:valid");
	m->invalid = ini_u64(d, "counts:invalid");
	m->delivered = ini_u64(d, "counts:delivered");
	m->failed = ini_u64(d, "counts:failed");
	m->retries = ini_u64(d, "counts:retries");
	m->added = ini_u64(d, "counts:added");
	m->changed = ini_u64(d, "counts:changed");
	m->removed = ini_u64(d, "counts:removed");
	m->unchanged = ini_u64(d, "counts:unchanged");
	snprintf(m->sync_mode, sizeof m->sync_mode, "%s",
		 *ini_str(d, "run:sync") ? ini_str(d, "run:sync") : "all");
	m->exit_status = (int)strtol(ini_str(d, "run:exit_status"), NULL, 10);
	m->limit = ini_u64(d, "run:limit");
	m->shard_k = (unsigned)ini_u64(d, "run:shard_k");
	m->shard_n = (unsigned)ini_u64(d, "run:shard_n");
	if (m->shard_n > 0 && (m->shard_k < 1 || m->shard_k > m->shard_n))
		m->shard_n = 0;
	m->pid = strtol(ini_str(d, "run:pid"), NULL, 10);
	iniparser_freedict(d);
	if (strcmp(m->state, "running") == 0) {
		/* The process that wrote "running" is gone when nobody holds
		 * the profile's lock under this run's id. */
		char *holder = NULL;
		if (!lock_held(state_dir, m->profile_path, m->shard_k,
			       m->shard_n, &holder) ||
		    holder == NULL || strncmp(holder, id, strlen(id)) != 0 ||
		    holder[strlen(id)] != ' ')
			snprintf(m->state, sizeof m->state, "interrupted");
		free(holder);
	}
	return 0;
}

static int cmp_meta_desc(const void *a, const void *b)
{
	const struct history_meta *x = a, *y = b;
	return strcmp(y->id, x->id);
}

int history_list(const char *state_dir, struct history_meta **runs,
		 size_t *n, struct hc_msgs *warnings, char **err)
{
	*runs = NULL;
	*n = 0;
	char *dir = xasprintf("%s/runs", state_dir);
	DIR *d = opendir(dir);
	if (d == NULL) {
		int e = errno;
		free(dir);
		if (e == ENOENT)
			return 0;
		*err = xasprintf("%s/runs: %s", state_dir, strerror(e));
		return -1;
	}
	struct dirent *ent;
	while ((ent = readdir(d)) != NULL) {
		if (!history_id_ok(ent->d_name))
			continue;
		struct history_meta m;
		char *e = NULL;
		if (history_meta_load(state_dir, ent->d_name, &m, &e) < 0) {
			if (warnings)
				hc_msgs_add(warnings, HC_WARNING, "%s", e);
			free(e);
			continue;
		}
		*runs = xreallocarray(*runs, *n + 1, sizeof **runs);
		(*runs)[(*n)++] = m;
	}
	closedir(d);
	free(dir);
	if (*n > 1)
		qsort(*runs, *n, sizeof **runs, cmp_meta_desc);
	return 0;
}

void history_list_free(struct history_meta *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		history_meta_free(&runs[i]);
	free(runs);
}

int history_last(const char *state_dir, const char *profile_abs, char **id,
		 char **resumable, struct hc_msgs *warnings, char **err)
{
	struct history_meta *runs;
	size_t n;
	*id = NULL;
	if (resumable)
		*resumable = NULL;
	if (history_list(state_dir, &runs, &n, warnings, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct history_meta *m = &runs[i];
		if (profile_abs && strcmp(m->profile_path, profile_abs) != 0)
			continue;
		if (*id == NULL)
			*id = xstrdup(m->id);
		if (resumable && *resumable == NULL &&
		    strcmp(m->state, "done") != 0 &&
		    strcmp(m->state, "running") != 0)
			*resumable = xstrdup(m->id);
		if (resumable == NULL || *resumable)
			break;
	}
	history_list_free(runs, n);
	if (*id)
		return 1;
	*err = profile_abs ? xasprintf("no runs of %s yet in %s/runs",
				       profile_abs, state_dir)
			   : xasprintf("no runs yet in %s/runs", state_dir);
	return 0;
}

/* ---- journal ---- */

/* Writeback of the journal starts every this many bytes written. */
#define JOURNAL_WRITEBACK ((off_t)1 << 20)

struct history_journal {
	int fd;
	char *path;
	struct hc_buf buf;
	struct hc_buf cell;
	time_t time_sec;
	char time_base[24];
	double last_sync;
	bool unsynced;
	off_t written;      /* bytes this process wrote */
	off_t wb_from;      /* writeback started up to here */
	size_t ncols; /* an older journal keeps its width: 11 or 14 */
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct history_journal *history_journal_open(const char *dir, char **err)
{
	struct history_journal *j = xcalloc(1, sizeof *j);
	j->path = xasprintf("%s/results.csv", dir);
	hc_buf_init(&j->buf);
	hc_buf_init(&j->cell);
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		*err = xasprintf("%s: cannot open: %s", j->path,
				 strerror(errno));
		goto fail;
	}
	struct stat st;
	if (fstat(j->fd, &st) < 0) {
		*err = xasprintf("%s: %s", j->path, strerror(errno));
		goto fail;
	}
	j->ncols = JOURNAL_COLS;
	j->written = j->wb_from = st.st_size;
	if (st.st_size == 0) {
		hc_buf_adds(&j->buf, HISTORY_HEADER "\n");
	} else {
		/* A crash can leave a torn last line: start on a new one. A
		 * journal from before the key and response_headers columns
		 * goes on with lines of its own width. */
		int rfd = open(j->path, O_RDONLY | O_CLOEXEC);
		char last = '\n';
		if (rfd >= 0) {
			if (pread(rfd, &last, 1, st.st_size - 1) != 1)
				last = '\n';
			char head[sizeof HISTORY_HEADER];
			ssize_t hn = pread(rfd, head, sizeof head - 1, 0);
			head[hn > 0 ? hn : 0] = '\0';
			j->ncols = strncmp(head, HISTORY_HEADER,
					   sizeof HISTORY_HEADER - 1) == 0
					   ? JOURNAL_COLS
				   : strncmp(head, HISTORY_HEADER_14,
					     sizeof HISTORY_HEADER_14 - 1) == 0
					   ? JOURNAL_COLS_14
					   : JOURNAL_COLS_OLD;
			close(rfd);
		}
		if (last != '\n')
			hc_buf_addc(&j->buf, '\n');
	}
	if (history_journal_flush(j, err) < 0)
		goto fail;
	j->last_sync = mono_now();
	return j;
fail:
	if (j->fd >= 0)
		close(j->fd);
	hc_buf_free(&j->buf);
	hc_buf_free(&j->cell);
	free(j->path);
	free(j);
	return NULL;
}

const char *history_journal_path(const struct history_journal *j)
{
	return j->path;
}

/* A text cell: control bytes become spaces, and a cell that a spreadsheet
 * would run as a formula gets a leading apostrophe. Then libcsv quotes it. */
static void put_text(struct history_journal *j, const char *s, size_t n)
{
	hc_buf_reset(&j->cell);
	hc_buf_reserve(&j->cell, n + 1);
	char *o = j->cell.data;
	if (n > 0 && strchr("=+-@\t\r", s[0]) != NULL)
		*o++ = '\'';
	bool quote = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		*o++ = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
		quote |= c == '"';
	}
	j->cell.len = (size_t)(o - j->cell.data);
	if (!quote) {
		/* what csv_write writes for a cell without a quote: the cell
		 * between quotes */
		hc_buf_reserve(&j->buf, j->cell.len + 2);
		char *w = j->buf.data + j->buf.len;
		*w++ = '"';
		memcpy(w, j->cell.data, j->cell.len);
		w[j->cell.len] = '"';
		j->buf.len += j->cell.len + 2;
		j->buf.data[j->buf.len] = '\0';
		return;
	}
	size_t need = 2 * j->cell.len + 2;
	hc_buf_reserve(&j->buf, need);
	size_t w = csv_write(j->buf.data + j->buf.len, need, j->cell.data,
			     j->cell.len);
	j->buf.len += w;
	j->buf.data[j->buf.len] = '\0';
}

static void put_u64(struct hc_buf *b, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	hc_buf_reserve(b, n);
	for (size_t i = 0; i < n; i++)
		b->data[b->len + i] = tmp[n - 1 - i];
	b->len += n;
	b->data[b->len] = '\0';
}

/* The time cell, "2026-11-28T05:45:07.123Z", formatting the seconds part
 * once per second rather than once per line. */
static void put_time(struct history_journal *j, double t)
{
	long long total = llround(t * 1000.0);
	time_t sec = (time_t)(total / 1000);
	int ms = (int)(total % 1000);
	if (sec != j->time_sec || j->time_base[0] == '\0') {
		struct tm tm;
		gmtime_r(&sec, &tm);
		strftime(j->time_base, sizeof j->time_base, "%Y-%m-%dT%H:%M:%S",
			 &tm);
		j->time_sec = sec;
	}
	char msbuf[6] = { '.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10),
			  (char)('0' + ms % 10), 'Z', '\0' };
	hc_buf_adds(&j->buf, j->time_base);
	hc_buf_add(&j->buf, msbuf, 5);
}

void history_journal_add(struct history_journal *j, const struct history_line *l)
{
	struct hc_buf *b = &j->buf;
	put_u64(b, l->row);
	hc_buf_addc(b, ',');
	put_u64(b, l->line);
	hc_buf_addc(b, ',');
	put_u64(b, l->attempt);
	hc_buf_addc(b, ',');
	put_time(j, l->time);
	hc_buf_addc(b, ',');
	hc_buf_adds(b, l->method);
	hc_buf_addc(b, ',');
	if (l->status > 0)
		put_u64(b, (uint64_t)l->status);
	hc_buf_addc(b, ',');
	hc_buf_adds(b, l->outcome);
	hc_buf_addc(b, ',');
	if (l->latency_ms >= 0) {
		uint64_t tenths = (uint64_t)llround(l->latency_ms * 10.0);
		put_u64(b, tenths / 10);
		hc_buf_addc(b, '.');
		hc_buf_addc(b, (char)('0' + tenths % 10));
	}
	hc_buf_addc(b, ',');
	put_text(j, l->error ? l->error : "", l->error ? strlen(l->error) : 0);
	hc_buf_addc(b, ',');
	put_text(j, l->url ? l->url : "", l->url ? strlen(l->url) : 0);
	hc_buf_addc(b, ',');
	put_text(j, l->response ? l->response : "", l->response_len);
	if (j->ncols >= JOURNAL_COLS_14) {
		hc_buf_addc(b, ',');
		hc_buf_adds(b, l->key ? l->key : "");
		hc_buf_addc(b, ',');
		put_text(j, l->response_headers ? l->response_headers : "",
			 l->response_headers ? l->response_headers_len : 0);
		hc_buf_addc(b, ',');
		hc_buf_adds(b, l->event ? l->event : "");
	}
	if (j->ncols >= JOURNAL_COLS) {
		hc_buf_addc(b, ',');
		size_t n = l->request_body ? l->request_body_len : 0;
		put_text(j, l->request_body ? l->request_body : "",
			 n < HISTORY_BODY_KEEP ? n : HISTORY_BODY_KEEP);
		hc_buf_addc(b, ',');
		if (l->batch)
			put_u64(b, l->batch);
	}
	hc_buf_addc(b, '\n');
}

void history_journal_add_rows(struct history_journal *j,
			      const struct history_line *l,
			      const uint64_t *rows, const uint64_t *lines,
			      size_t n)
{
	if (n == 0)
		return;
	struct history_line first = *l;
	first.row = rows[0];
	first.line = lines[0];
	size_t at = j->buf.len;
	history_journal_add(j, &first);
	/* The rest of the line follows "row,line,", which holds no quote:
	 * each other row writes its own two numbers and the same rest. */
	const char *c1 = memchr(j->buf.data + at, ',', j->buf.len - at);
	const char *c2 = c1 ? memchr(c1 + 1, ',',
				     (size_t)(j->buf.data + j->buf.len - c1 - 1))
			    : NULL;
	size_t tail_at = c2 ? (size_t)(c2 - j->buf.data) : j->buf.len;
	size_t tail_len = j->buf.len - tail_at;
	for (size_t i = 1; i < n; i++) {
		put_u64(&j->buf, rows[i]);
		hc_buf_addc(&j->buf, ',');
		put_u64(&j->buf, lines[i]);
		/* the tail may move as the buffer grows: copy by offset */
		hc_buf_reserve(&j->buf, tail_len);
		memcpy(j->buf.data + j->buf.len, j->buf.data + tail_at,
		       tail_len);
		j->buf.len += tail_len;
		j->buf.data[j->buf.len] = '\0';
	}
}

int history_journal_flush(struct history_journal *j, char **err)
{
	if (j->buf.len > 0) {
		if (hc_write_all(j->fd, j->buf.data, j->buf.len) < 0) {
			*err = xasprintf("%s: cannot write: %s", j->path,
					 strerror(errno));
			return -1;
		}
		j->written += (off_t)j->buf.len;
		hc_buf_reset(&j->buf);
		j->unsynced = true;
		if (j->written - j->wb_from >= JOURNAL_WRITEBACK) {
			/* Start writing it out now, without waiting: the
			 * sync a second (and the last one) then finds little
			 * left to do. Only a hint: an error shows there. */
			(void)sync_file_range(j->fd, j->wb_from,
					      j->written - j->wb_from,
					      SYNC_FILE_RANGE_WRITE);
			j->wb_from = j->written;
		}
	}
	double now = mono_now();
	if (j->unsynced && now - j->last_sync >= 1.0) {
		if (fdatasync(j->fd) < 0) {
			*err = xasprintf("%s: cannot sync: %s", j->path,
					 strerror(errno));
			return -1;
		}
		j->last_sync = now;
		j->unsynced = false;
	}
	return 0;
}

int history_journal_close(struct history_journal *j, char **err)
{
	int rc = history_journal_flush(j, err);
	if (rc == 0 && fsync(j->fd) < 0) {
		*err = xasprintf("%s: cannot sync: %s", j->path, strerror(errno));
		rc = -1;
	}
	if (close(j->fd) < 0 && rc == 0) {
		*err = xasprintf("%s: cannot close: %s", j->path,
				 strerror(errno));
		rc = -1;
	}
	hc_buf_free(&j->buf);
	hc_buf_free(&j->cell);
	free(j->path);
	free(j);
	return rc;
}

static const char *const header_cols[] = {
	"row", "line", "attempt", "time", "method", "status", "outcome",
	"latency_ms", "error", "url", "response", "key", "response_headers",
	"event", "request_body", "batch",
};

static bool outcome_known(const char *o)
{
	return strcmp(o, "delivered") == 0 || strcmp(o, "failed") == 0 ||
	       strcmp(o, "invalid") == 0 || strcmp(o, "retry") == 0;
}

int history_journal_read(const char *dir, uint64_t max_row,
			 int (*cb)(void *ud, const struct history_line *l),
			 void *ud, char **err)
{
	char *path = xasprintf("%s/results.csv", dir);
	struct segment_opts o = { .delimiter = ',', .field_max = 1024 * 1024 };
	struct segment *seg = segment_open(path, &o, err);
	if (seg == NULL) {
		free(path);
		return -1;
	}
	size_t ncols = segment_ncolumns(seg);
	if (ncols != JOURNAL_COLS && ncols != JOURNAL_COLS_14 &&
	    ncols != JOURNAL_COLS_OLD) {
		*err = xasprintf("%s: not a hookcast journal", path);
		segment_free(seg);
		free(path);
		return -1;
	}
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(segment_column(seg, i), header_cols[i]) != 0) {
			*err = xasprintf("%s: not a hookcast journal", path);
			segment_free(seg);
			free(path);
			return -1;
		}
	struct segment_row row;
	/* A fatal error ends the loop too: that is a torn last line (an open
	 * quote), and what came before it stands. */
	while (segment_next(seg, &row) > 0) {
		if (row.invalid)
			continue; /* a torn line */
		const char *const *f = row.fields;
		struct history_line l = {
			.row = strtoull(f[0], NULL, 10),
			.line = strtoull(f[1], NULL, 10),
			.attempt = (unsigned)strtoul(f[2], NULL, 10),
			.time = parse_time(f[3]),
			.method = f[4],
			.status = strtol(f[5], NULL, 10),
			.outcome = f[6],
			.latency_ms = f[7][0] ? strtod(f[7], NULL) : -1,
			.error = f[8],
			.url = f[9],
			.response = f[10],
			.response_len = row.lens[10],
			.key = ncols >= JOURNAL_COLS_14 ? f[11] : "",
			.response_headers = ncols >= JOURNAL_COLS_14 ? f[12]
								     : "",
			.response_headers_len =
				ncols >= JOURNAL_COLS_14 ? row.lens[12] : 0,
			.event = ncols >= JOURNAL_COLS_14 ? f[13] : "",
			.request_body = ncols == JOURNAL_COLS ? f[14] : "",
			.request_body_len =
				ncols == JOURNAL_COLS ? row.lens[14] : 0,
			.batch = ncols == JOURNAL_COLS
					 ? strtoull(f[15], NULL, 10) : 0,
		};
		if (l.row == 0 || l.row > max_row || !outcome_known(l.outcome))
			continue; /* not a line hookcast wrote */
		if (cb(ud, &l) < 0)
			break;
	}
	segment_free(seg);
	free(path);
	return 0;
}

/* ---- finals ---- */

enum history_final history_finals_get(const struct history_finals *f,
				      uint64_t row)
{
	if (row >= f->nrows)
		return FINAL_NONE;
	return (enum history_final)((f->bits[row / 4] >> ((row % 4) * 2)) & 3);
}

void history_finals_set(struct history_finals *f, uint64_t row,
			enum history_final v)
{
	if (row >= FINALS_MAX_ROW)
		return;
	if (row >= f->nrows) {
		uint64_t n = f->nrows ? f->nrows : 1024;
		while (n <= row)
			n *= 2;
		f->bits = xrealloc(f->bits, (size_t)(n / 4));
		memset(f->bits + f->nrows / 4, 0, (size_t)((n - f->nrows) / 4));
		f->nrows = n;
	}
	enum history_final old = history_finals_get(f, row);
	uint64_t *count[4] = { NULL, &f->delivered, &f->failed, &f->invalid };
	if (count[old])
		(*count[old])--;
	if (count[v])
		(*count[v])++;
	size_t shift = (size_t)(row % 4) * 2;
	f->bits[row / 4] = (uint8_t)((f->bits[row / 4] & ~(3u << shift)) |
				     ((unsigned)v << shift));
}

void history_finals_free(struct history_finals *f)
{
	free(f->bits);
	memset(f, 0, sizeof *f);
}

static int finals_cb(void *ud, const struct history_line *l)
{
	struct history_finals *f = ud;
	if (l->batch > f->max_batch)
		f->max_batch = l->batch;
	if (strcmp(l->outcome, "delivered") == 0)
		history_finals_set(f, l->row, FINAL_DELIVERED);
	else if (strcmp(l->outcome, "failed") == 0)
		history_finals_set(f, l->row, FINAL_FAILED);
	else if (strcmp(l->outcome, "invalid") == 0)
		history_finals_set(f, l->row, FINAL_INVALID);
	return 0;
}

int history_finals_load(const char *dir, uint64_t max_row,
			struct history_finals *f, char **err)
{
	memset(f, 0, sizeof *f);
	return history_journal_read(dir, max_row, finals_cb, f, err);
}

/* ---- rows ---- */

struct rows_ctx {
	struct history_row *by_row; /* indexed by row number */
	uint64_t cap;
};

static int rows_cb(void *ud, const struct history_line *l)
{
	struct rows_ctx *c = ud;
	if (l->row >= FINALS_MAX_ROW)
		return 0;
	if (l->row >= c->cap) {
		uint64_t n = c->cap ? c->cap : 1024;
		while (n <= l->row)
			n *= 2;
		c->by_row = xreallocarray(c->by_row, (size_t)n, sizeof *c->by_row);
		memset(c->by_row + c->cap, 0,
		       (size_t)(n - c->cap) * sizeof *c->by_row);
		c->cap = n;
	}
	struct history_row *r = &c->by_row[l->row];
	bool final = strcmp(l->outcome, "retry") != 0;
	bool have_final = r->row && strcmp(r->outcome, "retry") != 0;
	if (l->attempt > r->attempts)
		r->attempts = l->attempt;
	if (have_final && !final)
		return 0; /* a retry line never replaces a final one */
	r->row = l->row;
	r->line = l->line;
	r->status = l->status;
	snprintf(r->outcome, sizeof r->outcome, "%s", l->outcome);
	snprintf(r->event, sizeof r->event, "%s", l->event ? l->event : "");
	r->latency_ms = l->latency_ms;
	r->time = l->time;
	free(r->error);
	free(r->url);
	free(r->response);
	free(r->request_body);
	r->error = xstrdup(l->error);
	r->url = xstrdup(l->url);
	r->response = xstrndup(l->response, l->response_len);
	r->request_body = xstrndup(l->request_body ? l->request_body : "",
				   l->request_body ? l->request_body_len : 0);
	r->batch = l->batch;
	return 0;
}

int history_rows_load(const char *dir, uint64_t max_row,
		      struct history_row **rows, size_t *n, char **err)
{
	struct rows_ctx c = { 0 };
	*rows = NULL;
	*n = 0;
	if (history_journal_read(dir, max_row, rows_cb, &c, err) < 0) {
		for (uint64_t i = 0; i < c.cap; i++) {
			free(c.by_row[i].error);
			free(c.by_row[i].url);
			free(c.by_row[i].response);
			free(c.by_row[i].request_body);
		}
		free(c.by_row);
		return -1;
	}
	size_t k = 0;
	for (uint64_t i = 0; i < c.cap; i++)
		if (c.by_row[i].row)
			c.by_row[k++] = c.by_row[i];
	*rows = c.by_row;
	*n = k;
	return 0;
}

/* The rows of a --retry-failed run's parent that failed: its scope. */
static bool parent_finals(const char *state_dir, const char *parent,
			  struct history_finals *f)
{
	struct history_meta pm;
	char *err = NULL;
	bool ok = false;
	if (history_meta_load(state_dir, parent, &pm, &err) == 0) {
		ok = history_finals_load(pm.dir, history_max_row(&pm), f,
					 &err) == 0;
		history_meta_free(&pm);
	}
	free(err);
	return ok;
}

/* The next row of a growing list. */
static struct history_row *row_slot(struct history_row **out, size_t *n,
				    size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*out = xreallocarray(*out, *cap, sizeof **out);
	}
	return &(*out)[(*n)++];
}

/* A row the journal has no line for. */
static void row_unsent(struct history_row *r, uint64_t row,
		       const char *outcome, const char *event)
{
	memset(r, 0, sizeof *r);
	r->row = row;
	r->latency_ms = -1;
	snprintf(r->outcome, sizeof r->outcome, "%s", outcome);
	snprintf(r->event, sizeof r->event, "%s", event);
	r->error = xstrdup("");
	r->url = xstrdup("");
	r->response = xstrdup("");
	r->request_body = xstrdup("");
}

int history_rows_load_run(const char *state_dir, const struct history_meta *m,
			  struct history_row **rows, size_t *n, char **err)
{
	struct history_row *got;
	size_t ngot;
	if (history_rows_load(m->dir, history_max_row(m), &got, &ngot, err) < 0)
		return -1;
	for (size_t i = 0; i < ngot; i++)
		if (strcmp(got[i].outcome, "retry") == 0)
			snprintf(got[i].outcome, sizeof got[i].outcome,
				 "pending");
	struct history_finals parent = { 0 };
	bool retry = m->parent != NULL;
	if (retry && !parent_finals(state_dir, m->parent, &parent)) {
		*rows = got; /* the scope is unknown: the journal alone */
		*n = ngot;
		return 0;
	}
	/* A sync run's plan says which rows it covers. Otherwise the
	 * selection is a prefix of the rows in scope: activation takes rows
	 * in order until --limit valid ones (valid + invalid in all). */
	uint8_t *events = NULL;
	uint64_t nevents = 0;
	struct sync_removed *removed = NULL;
	size_t nremoved = 0;
	char *perr = NULL;
	if (sync_plan_read(m->dir, &events, &nevents, &removed, &nremoved,
			   &perr) < 0) {
		free(perr); /* a damaged plan: the journal and the counts */
		events = NULL;
		nevents = 0;
	}
	sync_removed_free(removed, nremoved);
	uint64_t want = m->valid + m->invalid, taken = 0;
	struct history_row *out = NULL;
	size_t nout = 0, cap = 0, k = 0;
	/* The journal's rows are <= the reader's bound. Removals (rows past
	 * the segment's) are listed as their journal has them. */
	for (uint64_t row = 1; row <= history_max_row(m); row++) {
		if (row > m->rows_total) {
			bool j = k < ngot && got[k].row == row;
			if (!j && retry && history_finals_get(&parent, row) !=
						   FINAL_FAILED)
				continue;
			struct history_row *r = row_slot(&out, &nout, &cap);
			if (j)
				*r = got[k++];
			else
				row_unsent(r, row, "pending", "removed");
			continue;
		}
		bool journaled = k < ngot && got[k].row == row;
		bool in;
		if (events)
			in = row <= nevents && events[row - 1] != EV_NONE &&
			     (!retry ||
			      history_finals_get(&parent, row) == FINAL_FAILED);
		else
			in = taken < want &&
			     (m->shard_n == 0 ||
			      (row - 1) % m->shard_n == m->shard_k - 1) &&
			     (!retry ||
			      history_finals_get(&parent, row) == FINAL_FAILED);
		if (in)
			taken++;
		if (!in && !journaled)
			continue;
		struct history_row *r = row_slot(&out, &nout, &cap);
		if (journaled)
			*r = got[k++];
		else
			row_unsent(r, row,
				   events && events[row - 1] == EV_INVALID
					   ? "invalid" : "pending",
				   events ? sync_event_name(events[row - 1])
					  : "");
	}
	free(events);
	free(got);
	history_finals_free(&parent);
	*rows = out;
	*n = nout;
	return 0;
}

static const char *const filter_names[HF_COUNT] = {
	"all", "delivered", "failed", "invalid", "pending", "2xx", "4xx",
	"5xx", "error", "retried", "added", "changed", "removed",
};

const char *history_filter_name(enum history_filter f)
{
	return f < HF_COUNT ? filter_names[f] : "all";
}

int history_filter_parse(const char *name)
{
	for (int i = 0; i < HF_COUNT; i++)
		if (strcmp(name, filter_names[i]) == 0)
			return i;
	return -1;
}

static bool found_in_url(const char *url, const char *needle)
{
	if (strcasestr(url, needle))
		return true;
	bool hit = false;
	for (int plus = 0; plus <= 1 && !hit; plus++) {
		if (plus && strchr(url, '+') == NULL)
			break;
		char *d = request_unescape(url, strlen(url), plus == 1, NULL);
		hit = strcasestr(d, needle) != NULL;
		free(d);
	}
	return hit;
}

bool history_row_matches(const struct history_row *r, enum history_filter f,
			 const char *search)
{
	bool ok;
	const char *o = r->outcome;
	switch (f) {
	case HF_DELIVERED: ok = strcmp(o, "delivered") == 0; break;
	case HF_FAILED: ok = strcmp(o, "failed") == 0; break;
	case HF_INVALID: ok = strcmp(o, "invalid") == 0; break;
	case HF_PENDING: ok = strcmp(o, "pending") == 0 ||
			      strcmp(o, "retry") == 0; break;
	case HF_2XX: ok = r->status >= 200 && r->status < 300; break;
	case HF_4XX: ok = r->status >= 400 && r->status < 500; break;
	case HF_5XX: ok = r->status >= 500 && r->status < 600; break;
	case HF_NETERR: ok = r->status == 0 && r->attempts > 0 &&
			     strcmp(o, "delivered") != 0; break;
	case HF_RETRIED: ok = r->attempts > 1; break;
	case HF_ADDED: ok = strcmp(r->event, "added") == 0; break;
	case HF_CHANGED: ok = strcmp(r->event, "changed") == 0; break;
	case HF_REMOVED: ok = strcmp(r->event, "removed") == 0; break;
	default: ok = true; break;
	}
	if (!ok || search == NULL || search[0] == '\0')
		return ok;
	char num[32];
	snprintf(num, sizeof num, "%llu", (unsigned long long)r->row);
	if (strcmp(num, search) == 0)
		return true;
	if (r->status > 0) {
		snprintf(num, sizeof num, "%ld", r->status);
		if (strcmp(num, search) == 0)
			return true;
	}
	return found_in_url(r->url, search) || strcasestr(r->error, search) ||
	       strcasestr(o, search) ||
	       (r->response && strcasestr(r->response, search));
}

void history_rows_free(struct history_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].error);
		free(rows[i].url);
		free(rows[i].response);
		free(rows[i].request_body);
	}
	free(rows);
}

/* ---- lock ---- */

static char *lock_path(const char *state_dir, const char *profile_abs,
		       unsigned shard_k, unsigned shard_n, char **err)
{
	char *dir = xasprintf("%s/locks", state_dir);
	if (mkdir_p(dir, err) < 0) {
		free(dir);
		return NULL;
	}
	char hex[65];
	hc_sha256_hex(profile_abs, strlen(profile_abs), hex);
	hex[16] = '\0';
	char *p = shard_n ? xasprintf("%s/%s.shard-%u-of-%u.lock", dir, hex,
				      shard_k, shard_n)
			  : xasprintf("%s/%s.lock", dir, hex);
	free(dir);
	return p;
}

static int lock_open(const char *state_dir, const char *profile_abs,
		     unsigned shard_k, unsigned shard_n, char **err)
{
	char *path = lock_path(state_dir, profile_abs, shard_k, shard_n, err);
	if (path == NULL)
		return -1;
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		*err = xasprintf("%s: cannot open: %s", path, strerror(errno));
	free(path);
	return f;
}

/* Take a lock (an open-file-description lock: tied to this descriptor,
 * released when it closes or the process dies, even by kill -9). 0, 1
 * when another holds a conflicting one, -1 with *err. */
static int lock_range(int f, short type, off_t start, off_t len, char **err)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };
	if (fcntl(f, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return 1;
	*err = xasprintf("cannot lock: %s", strerror(errno));
	return -1;
}

/* Does another process read-lock a byte of [start, start + len) (len 0:
 * to the end)? *count gets the first such byte: a shard count. */
static bool shards_in(int f, off_t start, off_t len, long *count)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };
	/* a run of the whole profile write-locks it all: not a shard */
	if (fcntl(f, F_OFD_GETLK, &fl) < 0 || fl.l_type != F_RDLCK)
		return false;
	*count = (long)fl.l_start;
	return true;
}

static int write_holder(int f, const char *run_id, char **err)
{
	if (run_id == NULL)
		return 0;
	char line[128];
	int n = snprintf(line, sizeof line, "%s pid %ld\n", run_id,
			 (long)getpid());
	if (ftruncate(f, 0) < 0 || pwrite(f, line, (size_t)n, 0) != n) {
		*err = xasprintf("cannot write a lock file: %s",
				 strerror(errno));
		return -1;
	}
	return 0;
}

int history_lock(const char *state_dir, const char *profile_abs,
		 unsigned shard_k, unsigned shard_n, const char *run_id,
		 int fd[2], char **holder, char **err)
{
	fd[0] = fd[1] = -1;
	int f = lock_open(state_dir, profile_abs, 0, 0, err);
	if (f < 0)
		return -1;
	long other;
	int r;
	if (shard_n == 0) {
		r = lock_range(f, F_WRLCK, 0, 0, err);
		if (r == 1)
			*holder = shards_in(f, 1, 0, &other)
					  ? xasprintf("a --shard run over %ld "
						      "shards", other)
					  : lock_holder(f);
		if (r == 0)
			r = write_holder(f, run_id, err);
		if (r != 0) {
			close(f);
			return r;
		}
		fd[0] = f;
		return 0;
	}
	/* A shard: its count's byte, shared with the other shards. */
	r = lock_range(f, F_RDLCK, (off_t)shard_n, 1, err);
	if (r == 1)
		*holder = lock_holder(f); /* a run of the whole profile */
	if (r == 0 && (shards_in(f, 1, (off_t)shard_n - 1, &other) ||
		       shards_in(f, (off_t)shard_n + 1, 0, &other))) {
		*holder = xasprintf("a --shard run over %ld shards, not %u",
				    other, shard_n);
		r = 1;
	}
	if (r != 0) {
		close(f);
		return r;
	}
	int g = lock_open(state_dir, profile_abs, shard_k, shard_n, err);
	r = g < 0 ? -1 : lock_range(g, F_WRLCK, 0, 0, err);
	if (r == 1)
		*holder = lock_holder(g);
	if (r == 0)
		r = write_holder(g, run_id, err);
	if (r != 0) {
		if (g >= 0)
			close(g);
		close(f);
		return r;
	}
	fd[0] = f;
	fd[1] = g;
	return 0;
}

bool history_lock_free(const char *state_dir, const char *profile_abs,
		       unsigned shard_k, unsigned shard_n)
{
	char *holder = NULL;
	bool held = lock_held(state_dir, profile_abs, shard_k, shard_n,
			      &holder);
	free(holder);
	return !held;
}
