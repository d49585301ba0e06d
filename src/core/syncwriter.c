/* The state writer and the run's state log.
 *
 * A sync run records each delivered record in the state, but the delivery
 * loop must not wait for SQLite: a thread of its own applies them. The
 * loop appends each record to a batch; at each journal write the batch is
 * appended to the run's state log (one write, right after the journal's)
 * and handed to the thread, which applies all it has in one transaction.
 * So the log holds every record the journal does, whatever the thread had
 * time to do; a killed run's log is replayed by the next open of the
 * state (see sync_log_read). */
#include "hookcast/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hookcast/ini.h"
#include "hookcast/util.h"

#define LOG_MAGIC "hookcast state log 1\n"
#define OP_PUT 0x31545550u /* "PUT1" */
#define OP_DEL 0x314c4544u /* "DEL1" */

/* One record, in the batch and in the log: this head, then the key, then
 * the values and a NUL. Native byte order: the log is read back on this
 * machine. */
struct rec_head {
	uint32_t op;
	uint32_t keylen;
	uint32_t vallen;
	uint32_t check; /* FNV-1a of the head (with check 0) and the rest */
	uint64_t keyh;
	double time;
	unsigned char fp[16];
};

struct sync_writer {
	struct sync_store *store;
	char *run;
	char *log_path;
	int log_fd;
	double last_sync;
	struct hc_buf batch; /* the loop's, since the last hand-over */
	size_t logged;       /* how much of it is in the log */
	bool due;            /* the log was synced: hand the batch over */

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake, taken;
	struct hc_buf queued; /* handed over, not taken yet */
	bool stop;
	char *error; /* the thread's first error */
};

/* A check against a torn or stray record, not against tampering: eight
 * bytes at a time, mixed by multiplication. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t w;
	for (; n >= 8; n -= 8, c += 8) {
		memcpy(&w, c, 8);
		h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	w = n;
	for (size_t i = 0; i < n; i++)
		w = w << 8 | c[i];
	h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
	return h ^ h >> 32;
}

static uint32_t rec_check(const struct rec_head *h, const void *key,
			  const void *vals)
{
	struct rec_head z = *h;
	z.check = 0;
	uint64_t c = mix(UINT64_C(0x6a09e667f3bcc908), &z, sizeof z);
	c = mix(c, key, h->keylen);
	return (uint32_t)mix(c, vals, h->vallen);
}

static void rec_add(struct hc_buf *b, uint32_t op, const void *key,
		    size_t keylen, uint64_t keyh, const unsigned char fp[16],
		    const char *vals, double time)
{
	size_t vallen = vals ? strlen(vals) : 0;
	struct rec_head h = {
		.op = op, .keylen = (uint32_t)keylen, .vallen = (uint32_t)vallen,
		.keyh = keyh, .time = time,
	};
	if (fp)
		memcpy(h.fp, fp, 16);
	h.check = rec_check(&h, key, vals ? vals : "");
	hc_buf_add(b, &h, sizeof h);
	hc_buf_add(b, key, keylen);
	hc_buf_add(b, vals ? vals : "", vallen + 1);
}

static size_t rec_size(const struct rec_head *h)
{
	return sizeof *h + (size_t)h->keylen + h->vallen + 1;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One record of a batch, as apply() sorts them. */
struct rec_ref {
	const char *at; /* its head */
	size_t seq;     /* its place in the batch */
};

/* By key as SQLite orders BLOBs (bytes, then the shorter first); records
 * of one key keep the batch's order, so the last one stands. */
static int rec_ref_cmp(const void *x, const void *y)
{
	const struct rec_ref *a = x, *b = y;
	struct rec_head ha, hb;
	memcpy(&ha, a->at, sizeof ha);
	memcpy(&hb, b->at, sizeof hb);
	int c = sync_key_cmp(a->at + sizeof ha, ha.keylen, b->at + sizeof hb,
			     hb.keylen);
	if (c == 0)
		c = a->seq < b->seq ? -1 : 1;
	return c;
}

/* Apply one batch in one transaction, in key order: the pages of the
 * keys' index are then met one after the other, each once, whatever order
 * the records were delivered in (a first sync of 1,000,000 random keys:
 * 5.3-5.9 s of SQLite CPU unsorted, 3.9-4.0 s sorted). refs is the
 * thread's, kept from one batch to the next. */
static int apply(struct sync_store *s, const char *run, const char *p,
		 size_t len, struct rec_ref **refs, size_t *cap, char **err)
{
	size_t n = 0;
	for (size_t at = 0; at + sizeof(struct rec_head) <= len;) {
		struct rec_head h;
		memcpy(&h, p + at, sizeof h);
		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			*refs = xreallocarray(*refs, *cap, sizeof **refs);
		}
		(*refs)[n].at = p + at;
		(*refs)[n].seq = n;
		n++;
		at += rec_size(&h);
	}
	if (n > 1)
		qsort(*refs, n, sizeof **refs, rec_ref_cmp);
	for (size_t i = 0; i < n; i++) {
		struct rec_head h;
		memcpy(&h, (*refs)[i].at, sizeof h);
		const char *key = (*refs)[i].at + sizeof h;
		struct sync_record r = {
			.key = key, .keylen = h.keylen, .keyh = h.keyh,
			.vals = key + h.keylen, .run = run, .time = h.time,
		};
		memcpy(r.fp, h.fp, 16);
		if ((h.op == OP_DEL ? sync_store_delete(s, key, h.keylen, err)
				    : sync_store_put(s, &r, err)) < 0)
			return -1;
	}
	return sync_store_commit(s, err);
}

static void *writer_main(void *arg)
{
	struct sync_writer *w = arg;
	struct hc_buf work;
	hc_buf_init(&work);
	struct rec_ref *refs = NULL;
	size_t refs_cap = 0;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->queued.len == 0 && !w->stop)
			pthread_cond_wait(&w->wake, &w->mu);
		if (w->queued.len == 0)
			break;
		struct hc_buf t = w->queued;
		w->queued = work;
		work = t;
		pthread_cond_signal(&w->taken);
		bool failed = w->error != NULL;
		pthread_mutex_unlock(&w->mu);
		char *err = NULL;
		/* after an error the run stops: what is left is dropped, and
		 * stays in the log for the next run to replay */
		if (!failed)
			apply(w->store, w->run, work.data, work.len, &refs,
			      &refs_cap, &err);
		hc_buf_reset(&work);
		pthread_mutex_lock(&w->mu);
		if (err && w->error == NULL)
			w->error = err;
		else
			free(err);
	}
	pthread_mutex_unlock(&w->mu);
	hc_buf_free(&work);
	free(refs);
	return NULL;
}

char *sync_log_path(const char *run_dir)
{
	return xasprintf("%s/state.log", run_dir);
}

static void writer_free(struct sync_writer *w)
{
	close(w->log_fd);
	free(w->error);
	hc_buf_free(&w->batch);
	hc_buf_free(&w->queued);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->taken);
	free(w->run);
	free(w->log_path);
	free(w);
}

struct sync_writer *sync_writer_start(struct sync_store *s,
				      const char *log_path, const char *run,
				      char **err)
{
	*err = NULL;
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0600);
	if (fd < 0) {
		*err = xasprintf("%s: cannot create: %s", log_path,
				 strerror(errno));
		return NULL;
	}
	struct hc_buf head;
	hc_buf_init(&head);
	hc_buf_printf(&head, "%s%s\n", LOG_MAGIC, run);
	if (hc_write_all(fd, head.data, head.len) < 0) {
		*err = xasprintf("%s: cannot write: %s", log_path,
				 strerror(errno));
		hc_buf_free(&head);
		close(fd);
		return NULL;
	}
	hc_buf_free(&head);
	struct sync_writer *w = xcalloc(1, sizeof *w);
	w->store = s;
	w->run = xstrdup(run);
	w->log_path = xstrdup(log_path);
	w->log_fd = fd;
	w->last_sync = mono();
	hc_buf_init(&w->batch);
	hc_buf_init(&w->queued);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->taken, NULL);
	/* signals are the loop's: the thread is made with all of them
	 * blocked, so that none lands there */
	sigset_t all, was;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &was);
	int rc = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	if (rc == 0)
		pthread_setname_np(w->thread, "hc-state");
	if (rc != 0) {
		*err = xasprintf("cannot start the state writer: %s",
				 strerror(rc));
		writer_free(w);
		return NULL;
	}
	return w;
}

void sync_writer_put(struct sync_writer *w, const struct sync_record *r)
{
	rec_add(&w->batch, OP_PUT, r->key, r->keylen, r->keyh, r->fp, r->vals,
		r->time);
}

void sync_writer_delete(struct sync_writer *w, const void *key,
			size_t keylen, uint64_t keyh, double time)
{
	rec_add(&w->batch, OP_DEL, key, keylen, keyh, NULL, NULL, time);
}

/* Past this, a batch goes to the thread before its second is up; and the
 * loop waits rather than queue more than QUEUE_MAX for a slow disk. */
#define BATCH_MAX ((size_t)4 << 20)
#define QUEUE_MAX ((size_t)64 << 20)

int sync_writer_log(struct sync_writer *w, char **err)
{
	*err = NULL;
	if (w->batch.len > w->logged) {
		if (hc_write_all(w->log_fd, w->batch.data + w->logged,
				 w->batch.len - w->logged) < 0) {
			*err = xasprintf("%s: cannot write: %s", w->log_path,
					 strerror(errno));
			return -1;
		}
		w->logged = w->batch.len;
	}
	/* as durable as the journal: synced about once a second */
	double now = mono();
	if (now - w->last_sync >= 1.0) {
		if (fdatasync(w->log_fd) < 0) {
			*err = xasprintf("%s: cannot sync: %s", w->log_path,
					 strerror(errno));
			return -1;
		}
		w->last_sync = now;
		w->due = true;
	}
	return 0;
}

/* Hand the batch to the thread: with each sync of the log, so that the
 * store's transactions come once a second and not with each write, or
 * sooner when the batch is large. */
static int flush(struct sync_writer *w, bool now_or_never, char **err)
{
	*err = NULL;
	if (sync_writer_log(w, err) < 0)
		return -1;
	if (!w->due && !now_or_never && w->batch.len < BATCH_MAX) {
		/* still, a failed thread stops the run at once */
		pthread_mutex_lock(&w->mu);
		if (w->error)
			*err = xstrdup(w->error);
		pthread_mutex_unlock(&w->mu);
		return *err ? -1 : 0;
	}
	w->due = false;
	pthread_mutex_lock(&w->mu);
	while (w->queued.len > QUEUE_MAX && w->error == NULL)
		pthread_cond_wait(&w->taken, &w->mu);
	if (w->error) {
		*err = xstrdup(w->error);
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	if (w->batch.len > 0) {
		if (w->queued.len == 0) {
			struct hc_buf t = w->queued;
			w->queued = w->batch;
			w->batch = t;
		} else {
			hc_buf_add(&w->queued, w->batch.data, w->batch.len);
		}
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->mu);
	hc_buf_reset(&w->batch);
	w->logged = 0;
	return 0;
}

int sync_writer_flush(struct sync_writer *w, char **err)
{
	return flush(w, false, err);
}

int sync_writer_stop(struct sync_writer *w, char **err)
{
	*err = NULL;
	if (w == NULL)
		return 0;
	int rc = flush(w, true, err);
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	if (rc == 0 && w->error) {
		*err = w->error;
		w->error = NULL;
		rc = -1;
	}
	if (fsync(w->log_fd) < 0 && rc == 0) {
		*err = xasprintf("%s: cannot sync: %s", w->log_path,
				 strerror(errno));
		rc = -1;
	}
	writer_free(w);
	return rc;
}

int sync_log_read(const char *log_path, char **run,
		  int (*cb)(void *ud, bool removed, const struct sync_record *r,
			    char **err),
		  void *ud, uint64_t *nrecords, char **err)
{
	*err = NULL;
	*run = NULL;
	*nrecords = 0;
	int fd = open(log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*err = xasprintf("%s: cannot open: %s", log_path,
				 strerror(errno));
		return -1;
	}
	struct hc_buf b;
	hc_buf_init(&b);
	char chunk[65536];
	ssize_t got;
	size_t at = 0;
	bool head = false;
	int rc = 1;
	for (;;) {
		got = read(fd, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*err = xasprintf("%s: cannot read: %s", log_path,
					 strerror(errno));
			rc = -1;
			break;
		}
		hc_buf_add(&b, chunk, (size_t)got);
		if (!head) {
			char *nl = b.len > strlen(LOG_MAGIC)
					   ? memchr(b.data + strlen(LOG_MAGIC),
						    '\n',
						    b.len - strlen(LOG_MAGIC))
					   : NULL;
			if (nl == NULL && got > 0)
				continue;
			size_t m = b.len < strlen(LOG_MAGIC) ? b.len
							     : strlen(LOG_MAGIC);
			if (nl == NULL && memcmp(b.data, LOG_MAGIC, m) == 0) {
				/* killed while writing its first line: it
				 * holds no record */
				rc = 0;
				break;
			}
			if (nl == NULL ||
			    memcmp(b.data, LOG_MAGIC, strlen(LOG_MAGIC)) != 0) {
				*err = xasprintf("%s: not a hookcast state log",
						 log_path);
				rc = -1;
				break;
			}
			size_t start = strlen(LOG_MAGIC);
			*run = xstrndup(b.data + start,
					(size_t)(nl - b.data) - start);
			at = (size_t)(nl - b.data) + 1;
			head = true;
		}
		/* each whole record; a torn one at the end (a killed write)
		 * or a bad one ends the log */
		bool bad = false;
		while (at + sizeof(struct rec_head) <= b.len) {
			struct rec_head h;
			memcpy(&h, b.data + at, sizeof h);
			size_t whole = rec_size(&h);
			if ((h.op != OP_PUT && h.op != OP_DEL) ||
			    h.keylen > (1u << 30) || h.vallen > (1u << 30)) {
				bad = true;
				break;
			}
			if (at + whole > b.len)
				break;
			const char *key = b.data + at + sizeof h;
			const char *vals = key + h.keylen;
			if (vals[h.vallen] != '\0' ||
			    rec_check(&h, key, vals) != h.check) {
				bad = true;
				break;
			}
			struct sync_record r = {
				.key = key, .keylen = h.keylen, .keyh = h.keyh,
				.vals = vals, .run = *run, .time = h.time,
			};
			memcpy(r.fp, h.fp, 16);
			if (cb(ud, h.op == OP_DEL, &r, err) < 0) {
				rc = -1;
				bad = true;
				break;
			}
			(*nrecords)++;
			at += whole;
		}
		if (bad || got == 0)
			break;
		/* keep only the unread tail */
		memmove(b.data, b.data + at, b.len - at);
		b.len -= at;
		at = 0;
	}
	close(fd);
	hc_buf_free(&b);
	if (rc < 0) {
		free(*run);
		*run = NULL;
	}
	return rc;
}
