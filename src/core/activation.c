#include "hookcast/activation.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hookcast/hash.h"
#include "hookcast/history.h"
#include "hookcast/ini.h"
#include "hookcast/request.h"
#include "hookcast/body.h"
#include "hookcast/segment.h"
#include "hookcast/sign.h"
#include "hookcast/sync.h"

#include "activation_int.h"

/* ---- selection ---- */

/* Is this row part of the run at all? (Limit aside.) */
bool act_in_scope(const struct activation *a, uint64_t row)
{
	/* a sync shards by key (see act_sync_row), not by row number */
	if (a->opts.shard_n > 0 && !a->sync &&
	    (row - 1) % a->opts.shard_n != a->opts.shard_k - 1)
		return false;
	if (a->retry_failed &&
	    history_finals_get(&a->retry, row) != FINAL_FAILED)
		return false;
	return true;
}

bool act_limit_reached(const struct activation *a)
{
	return a->opts.limit > 0 && a->selected_valid >= a->opts.limit;
}

/* ---- validation ---- */

struct spool {
	struct hc_sha256 hash;
	int fd;
	bool failed;
	int err;
};

static void on_bytes(void *ud, const void *p, size_t n)
{
	struct spool *s = ud;
	hc_sha256_update(&s->hash, p, n);
	if (s->fd >= 0 && !s->failed && hc_write_all(s->fd, p, n) < 0) {
		s->failed = true;
		s->err = errno;
	}
}

static char *abs_path(const char *path)
{
	char buf[PATH_MAX];
	if (realpath(path, buf) != NULL)
		return xstrdup(buf);
	return xstrdup(path);
}

/* Invalid rows named one by one on starting a run; the rest are counted. */
#define SHOWN_INVALID 10

/* Read the whole segment once: count rows, check every URL, hash it, and
 * for stdin keep a copy to send from. */
static int validate(struct activation *a, struct hc_msgs *msgs)
{
	struct spool sp = { .fd = -1 };
	hc_sha256_init(&sp.hash);
	const char *path = a->segment_path;
	if (strcmp(path, "-") == 0) {
		char *dir = a->opts.dry_run || a->state_dir == NULL
				    ? xstrdup(getenv("TMPDIR") ? getenv("TMPDIR")
								: "/tmp")
				    : xstrdup(a->state_dir);
		char *tmp = xasprintf("%s/stdin-XXXXXX.csv", dir);
		free(dir);
		sp.fd = mkstemps(tmp, 4);
		if (sp.fd < 0) {
			hc_msgs_add(msgs, HC_ERROR, "%s: cannot keep a copy of "
				    "stdin: %s", tmp, strerror(errno));
			free(tmp);
			return HC_STATE;
		}
		free(a->segment_path);
		a->segment_path = tmp;
		a->spooled = true;
	} else if (access(path, R_OK) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s: cannot open: %s", path,
			    strerror(errno));
		return HC_CONFIG;
	}
	struct segment_opts o = a->seg_opts;
	o.on_bytes = on_bytes;
	o.bytes_ud = &sp;
	char *err = NULL;
	struct segment *seg = segment_open(a->spooled ? "-" : path, &o, &err);
	int status = HC_OK;
	if (seg == NULL) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		status = HC_DATA;
		goto out;
	}
	if (request_plan_bind(a->plan, seg, msgs) < 0 ||
	    (a->sync && act_sync_bind(a, seg, msgs) < 0)) {
		status = HC_CONFIG;
		goto out;
	}
	struct segment_row row;
	int r;
	while ((r = segment_next(seg, &row)) > 0) {
		a->rows_total++;
		if (a->opts.on_check && (a->rows_total & 0xffff) == 0 &&
		    a->opts.on_check(a->opts.check_ud, a->rows_total) != 0) {
			status = HC_INTERRUPTED;
			goto out;
		}
		if (!act_in_scope(a, row.row) || (!a->sync && act_limit_reached(a)))
			continue;
		bool ok = request_check(a->plan, &row, &a->why) == 0;
		if (a->sync) {
			enum sync_event ev = act_sync_row(a, &row, &ok);
			if (ev == EV_SKIP)
				continue; /* another shard's record */
			if (ev == EV_NONE) {
				a->n_unchanged++;
				continue;
			}
			if (ok) {
				a->selected++;
				a->valid++;
				a->selected_valid++;
				if (ev == EV_ADDED)
					a->n_added++;
				else
					a->n_changed++;
				continue;
			}
		}
		a->selected++;
		if (ok) {
			a->valid++;
			a->selected_valid++;
		} else if (++a->invalid <= SHOWN_INVALID && !a->opts.dry_run) {
			hc_msgs_add(msgs, HC_WARNING, "%s:%llu: row %llu: %s",
				    segment_name(seg),
				    (unsigned long long)row.line,
				    (unsigned long long)row.row, a->why.data);
		}
	}
	if (a->sync && r >= 0) {
		char *serr = NULL;
		if (a->mirror && !a->plan_loaded && a->store &&
		    sync_store_scan(a->store, true, act_collect_removed, a,
				    &serr) < 0) {
			hc_msgs_add(msgs, HC_ERROR, "%s", serr);
			free(serr);
			status = HC_STATE;
			goto out;
		}
		sync_removed_sort(a->removed, a->nremoved);
		for (size_t i = 0; i < a->nremoved; i++)
			if (act_in_scope(a, a->rows_total + i + 1) &&
			    !act_limit_reached(a)) {
				a->valid++;
				a->selected++;
				a->selected_valid++;
				a->n_removed++;
			}
		if (!a->plan_loaded && a->rows_total > 0) /* sized to the end */
			act_set_event(a, a->rows_total, act_event_of(a, a->rows_total));
	}
	if (a->rows_total == 0 && r >= 0)
		hc_msgs_add(msgs, HC_WARNING, "%s: no rows after the header: "
			    "nothing to send", segment_name(seg));
	if (a->invalid > 0 && !a->opts.dry_run && r >= 0)
		hc_msgs_add(msgs, HC_WARNING, "%s: %llu invalid row%s (%s) will "
			    "not be sent; each is journaled as invalid, and "
			    "hookcast check lists them all", segment_name(seg),
			    (unsigned long long)a->invalid,
			    a->invalid == 1 ? "" : "s",
			    a->invalid > SHOWN_INVALID ? "the first ones above"
						       : "above");
	if (r < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", segment_fatal(seg)->msg);
		hc_msgs_add(msgs, HC_ERROR, "%s: nothing was sent: fix the file "
			    "and run again", segment_name(seg));
		status = HC_DATA;
	}
out:
	segment_free(seg);
	if (sp.failed) {
		hc_msgs_add(msgs, HC_ERROR, "%s: cannot keep a copy of stdin: %s",
			    a->segment_path, strerror(sp.err));
		status = HC_STATE;
	}
	if (sp.fd >= 0 && close(sp.fd) < 0 && status == HC_OK) {
		hc_msgs_add(msgs, HC_ERROR, "%s: %s", a->segment_path,
			    strerror(errno));
		status = HC_STATE;
	}
	hc_sha256_final_hex(&sp.hash, a->sha256);
	a->selected_valid = 0;
	return status;
}

/* ---- setup ---- */

static struct profile *load_profile(const char *path, bool snapshot,
				    struct hc_msgs *msgs)
{
	return profile_load_ex(path, msgs, snapshot);
}

/* History keeps no secret: a header that holds a literal one (not
 * ${NAME}) goes into the snapshot with this in place of its value, and a
 * resume or retry reads the value back from the profile file. */
#define SECRET_KEPT_OUT PROFILE_SECRET_KEPT_OUT

static size_t header_name_len(const char *header)
{
	const char *colon = strchr(header, ':');
	return colon ? (size_t)(colon - header) : strlen(header);
}

/* A literal user:password in the URL, or a literal value of a URL
 * parameter with a secret name, is left out the same way. */
#define USERINFO_KEPT_OUT "hookcast-secret-not-kept"

/* url with [from, to) replaced by with. */
static char *swap_userinfo(const char *url, size_t from, size_t to,
			   const char *with, size_t wlen)
{
	return xasprintf("%.*s%.*s%s", (int)from, url, (int)wlen, with,
			 url + to);
}

static struct profile *snapshot_of(const struct profile *p)
{
	struct profile *c = profile_clone(p);
	if (c->url) {
		char *kept = hc_url_replace_secrets(c->url, USERINFO_KEPT_OUT);
		free(c->url);
		c->url = kept;
	}
	for (size_t i = 0; i < c->statics.n; i++) {
		struct profile_entry *e = &c->statics.items[i];
		if (!profile_static_literal_secret(e))
			continue;
		free(e->value);
		e->value = xstrdup(SECRET_KEPT_OUT);
	}
	for (size_t i = 0; i < c->headers.n; i++) {
		struct profile_entry *h = &c->headers.items[i];
		if (!profile_header_literal_secret(h->key))
			continue;
		char *kept = xasprintf("%.*s: " SECRET_KEPT_OUT,
				       (int)header_name_len(h->key), h->key);
		free(h->key);
		h->key = kept;
	}
	if (profile_sign_secret_literal(c)) {
		free(c->sign_secret);
		c->sign_secret = xstrdup(SECRET_KEPT_OUT);
	}
	return c;
}

/* The profile file a run was made from, loaded once, for its secrets. */
struct origin {
	const char *path;
	struct profile *p;
	bool tried;
};

static const struct profile *origin_get(struct origin *o)
{
	if (!o->tried) {
		struct hc_msgs quiet;
		hc_msgs_init(&quiet);
		o->p = o->path[0] ? profile_load(o->path, &quiet) : NULL;
		hc_msgs_free(&quiet);
		o->tried = true;
	}
	return o->p;
}

static void secret_lost(struct hc_msgs *msgs, const char *run_id,
			const struct origin *o, const char *what, int n,
			const char *name)
{
	hc_msgs_add(msgs, HC_ERROR, "run %s: %s%.*s held a literal secret, "
		    "which history does not keep, and %s %s; put it back "
		    "there, or use ${NAME} from the environment", run_id, what,
		    n, name, o->path[0] ? o->path : "its profile",
		    o->p ? "no longer has it" : "cannot be loaded");
}

/* Put the literal secrets a snapshot left out back, from the profile file
 * the run was made from. */
static int restore_secrets(struct profile *snap, const char *run_id,
			   const char *path, struct hc_msgs *msgs)
{
	struct origin o = { .path = path };
	int rc = 0;
	size_t uf, ut, of, ot, un, on;
	const size_t ml = strlen(USERINFO_KEPT_OUT);
	if (hc_url_userinfo(snap->url, &uf, &ut) && ut - uf == ml &&
	    strncmp(snap->url + uf, USERINFO_KEPT_OUT, ml) == 0) {
		const struct profile *orig = origin_get(&o);
		if (orig && hc_url_literal_userinfo(orig->url, &of, &ot)) {
			char *url = swap_userinfo(snap->url, uf, ut,
						  orig->url + of, ot - of);
			free(snap->url);
			snap->url = url;
		} else {
			secret_lost(msgs, run_id, &o, "the URL's user:password",
				    0, "");
			rc = -1;
		}
	}
	size_t pos = 0;
	while (rc == 0 &&
	       hc_url_next_secret_param(snap->url, &pos, &un, &uf, &ut)) {
		if (ut - uf != ml || strncmp(snap->url + uf, USERINFO_KEPT_OUT,
					     ml) != 0)
			continue;
		const struct profile *orig = origin_get(&o);
		size_t opos = 0;
		bool found = false;
		while (orig && !found &&
		       hc_url_next_secret_param(orig->url, &opos, &on, &of,
						&ot))
			found = of - 1 - on == uf - 1 - un &&
				strncmp(orig->url + on, snap->url + un,
					uf - 1 - un) == 0;
		if (!found) {
			secret_lost(msgs, run_id, &o, "URL parameter ",
				    (int)(uf - 1 - un), snap->url + un);
			rc = -1;
			break;
		}
		char *url = swap_userinfo(snap->url, uf, ut, orig->url + of,
					  ot - of);
		pos = uf + (ot - of) + 1;
		free(snap->url);
		snap->url = url;
	}
	for (size_t i = 0; i < snap->statics.n && rc == 0; i++) {
		struct profile_entry *e = &snap->statics.items[i];
		if (e->value == NULL || strcmp(e->value, SECRET_KEPT_OUT) != 0)
			continue;
		const struct profile *orig = origin_get(&o);
		const struct profile_entry *found = NULL;
		for (size_t j = 0; orig && j < orig->statics.n; j++)
			if (strcmp(orig->statics.items[j].key, e->key) == 0 &&
			    profile_static_literal_secret(&orig->statics.items[j]))
				found = &orig->statics.items[j];
		if (found == NULL) {
			secret_lost(msgs, run_id, &o, "static parameter ",
				    (int)strlen(e->key), e->key);
			rc = -1;
			break;
		}
		free(e->value);
		e->value = xstrdup(found->value);
	}
	for (size_t i = 0; i < snap->headers.n && rc == 0; i++) {
		struct profile_entry *h = &snap->headers.items[i];
		size_t n = header_name_len(h->key);
		if (strstr(h->key + n, SECRET_KEPT_OUT) == NULL)
			continue;
		const struct profile *orig = origin_get(&o);
		const struct profile_entry *found = NULL;
		for (size_t j = 0; orig && j < orig->headers.n; j++)
			if (header_name_len(orig->headers.items[j].key) == n &&
			    strncasecmp(orig->headers.items[j].key, h->key, n) == 0)
				found = &orig->headers.items[j];
		if (found == NULL) {
			secret_lost(msgs, run_id, &o, "header ", (int)n, h->key);
			rc = -1;
			break;
		}
		free(h->key);
		h->key = xstrdup(found->key);
	}
	if (rc == 0 && snap->sign_secret &&
	    strcmp(snap->sign_secret, SECRET_KEPT_OUT) == 0) {
		const struct profile *orig = origin_get(&o);
		if (orig && profile_sign_secret_literal(orig)) {
			free(snap->sign_secret);
			snap->sign_secret = xstrdup(orig->sign_secret);
		} else {
			secret_lost(msgs, run_id, &o, "[signing] secret", 0, "");
			rc = -1;
		}
	}
	if (o.p)
		profile_free(o.p);
	return rc;
}

/* load_parent(): --retry-failed of a run with no failed rows; no run is
 * made, and the exit status is 0 */
#define PARENT_NOTHING (-1)

/* After --resume last found the newest run done or running: name the
 * newest one that can be resumed, with how far it got. */
static void hint_resumable(struct activation *a, const char *id,
			   struct hc_msgs *msgs)
{
	struct history_meta m;
	char *err = NULL;
	if (history_meta_load(a->state_dir, id, &m, &err) < 0) {
		free(err);
		return;
	}
	hc_msgs_add(msgs, HC_ERROR, "the newest run that can be resumed is %s "
		    "(%s, %llu of %llu valid rows final): hookcast run "
		    "--resume %s", id, m.state,
		    (unsigned long long)(m.delivered + m.failed),
		    (unsigned long long)m.valid, id);
	history_meta_free(&m);
}

/* The run a resume or a retry starts from: its meta, snapshot and finals. */
static int load_parent(struct activation *a, const char *id, bool resume,
		       struct hc_msgs *msgs)
{
	struct history_meta m;
	char *err = NULL;
	if (history_meta_load(a->state_dir, id, &m, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return HC_CONFIG;
	}
	if (resume && strcmp(m.state, "done") == 0) {
		if (m.failed > 0)
			hc_msgs_add(msgs, HC_ERROR, "run %s is done: every row "
				    "has a final outcome; use --retry-failed "
				    "%s to send the %llu failed rows again", id,
				    id, (unsigned long long)m.failed);
		else
			hc_msgs_add(msgs, HC_ERROR, "run %s is done: every row "
				    "has a final outcome, and none failed", id);
		history_meta_free(&m);
		return HC_CONFIG;
	}
	if (resume && strcmp(m.state, "running") == 0) {
		hc_msgs_add(msgs, HC_ERROR, "run %s is still running (pid %ld)",
			    id, m.pid);
		history_meta_free(&m);
		return HC_CONFIG;
	}
	if (a->profile_abs && m.profile_path[0] &&
	    strcmp(a->profile_abs, m.profile_path) != 0 && resume) {
		hc_msgs_add(msgs, HC_ERROR, "run %s was made from %s, not %s",
			    id, m.profile_path, a->profile_abs);
		history_meta_free(&m);
		return HC_CONFIG;
	}
	struct history_finals *f = resume ? &a->prior : &a->retry;
	if (history_finals_load(m.dir, history_max_row(&m), f, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		history_meta_free(&m);
		return HC_CONFIG;
	}
	/* a resumed run numbers its batches on from the last one */
	if (resume)
		a->batch_seq = f->max_batch;
	if (a->profile == NULL) {
		char *ini = xasprintf("%s/run.ini", m.dir);
		a->profile = load_profile(ini, true, msgs);
		free(ini);
		if (a->profile == NULL ||
		    restore_secrets(a->profile, id, m.profile_path, msgs) < 0) {
			history_meta_free(&m);
			return HC_CONFIG;
		}
		free(a->profile->path);
		a->profile->path = xstrdup(m.profile_path);
		free(a->profile_abs);
		a->profile_abs = xstrdup(m.profile_path);
	}
	if (!resume && f->failed == 0) {
		/* nothing to send again: no run is made (the wizard does not
		 * offer it either); the profile was checked first */
		uint64_t final = f->delivered + f->failed;
		if (strcmp(m.state, "done") != 0 && m.valid > final)
			hc_msgs_add(msgs, HC_ERROR, "run %s has no failed rows: "
				    "nothing to send again; %llu of its rows "
				    "have no outcome yet: hookcast run "
				    "--resume %s sends them", id,
				    (unsigned long long)(m.valid - final), id);
		else
			hc_msgs_add(msgs, HC_ERROR, "run %s has no failed rows: "
				    "nothing to send again", id);
		history_meta_free(&m);
		return PARENT_NOTHING;
	}
	free(a->segment_path);
	a->segment_path = xstrdup(m.segment_path);
	if (resume) {
		/* The run continues under its own id, over the same rows. */
		a->opts.limit = m.limit;
		a->opts.shard_k = m.shard_k;
		a->opts.shard_n = m.shard_n;
		a->meta = m;
	} else {
		a->meta.parent = xstrdup(m.id);
		history_meta_free(&m);
	}
	return HC_OK;
}

struct activation *activation_new(const struct activation_opts *opts,
				  struct hc_msgs *msgs, int *status)
{
	struct activation *a = xcalloc(1, sizeof *a);
	a->opts = *opts;
	a->lock_fd[0] = a->lock_fd[1] = -1;
	a->meta.exit_status = -1;
	hc_buf_init(&a->why);
	a->resume = opts->resume_id != NULL;
	a->retry_failed = opts->retry_failed_id != NULL;
	*status = HC_CONFIG;
	if (a->resume && a->retry_failed) {
		hc_msgs_add(msgs, HC_ERROR, "--resume and --retry-failed "
			    "cannot be used together");
		goto fail;
	}
	if (!opts->dry_run || a->resume || a->retry_failed) {
		char *err = NULL;
		a->state_dir = opts->state_dir ? xstrdup(opts->state_dir)
					       : history_state_dir(&err);
		if (a->state_dir == NULL) {
			hc_msgs_add(msgs, HC_ERROR, "%s", err);
			free(err);
			*status = HC_STATE;
			goto fail;
		}
	}
	if (opts->profile) {
		a->profile = profile_clone(opts->profile);
		if (profile_validate(a->profile, msgs) > 0)
			goto fail;
		a->profile_abs = opts->profile_path ? abs_path(opts->profile_path)
						    : xstrdup("(unsaved profile)");
	} else if (opts->profile_path) {
		a->profile = load_profile(opts->profile_path, false, msgs);
		if (a->profile == NULL)
			goto fail;
		a->profile_abs = abs_path(opts->profile_path);
	} else if (!a->resume && !a->retry_failed) {
		hc_msgs_add(msgs, HC_ERROR, "-p PROFILE is required");
		goto fail;
	}
	const char *parent = a->resume ? opts->resume_id : opts->retry_failed_id;
	char *resumable = NULL; /* --resume last: the newest run it could take */
	if (parent && strcmp(parent, "last") == 0) {
		/* the newest run (of this profile, with -p) */
		char *err = NULL;
		int rc = history_last(a->state_dir, a->profile_abs,
				      &a->parent_id, a->resume ? &resumable
							       : NULL,
				      msgs, &err);
		if (rc <= 0) {
			hc_msgs_add(msgs, HC_ERROR, "%s last: %s", a->resume
				    ? "--resume" : "--retry-failed", err);
			free(err);
			*status = rc < 0 ? HC_STATE : HC_CONFIG;
			goto fail;
		}
		parent = a->parent_id;
	} else if (parent) {
		a->parent_id = xstrdup(parent);
	}
	if (parent && (*status = load_parent(a, parent, a->resume, msgs)) != HC_OK) {
		if (*status == PARENT_NOTHING)
			*status = HC_OK;
		/* "last" is never an older run; but say which one the user
		 * may have meant */
		if (resumable && strcmp(resumable, parent) != 0)
			hint_resumable(a, resumable, msgs);
		free(resumable);
		goto fail;
	}
	free(resumable);
	if (a->resume && a->meta.parent) {
		/* Resuming a --retry-failed run: it covers only the rows that
		 * failed in the run it retries. */
		struct history_meta pm;
		char *err = NULL;
		if (history_meta_load(a->state_dir, a->meta.parent, &pm, &err) < 0 ||
		    history_finals_load(pm.dir, history_max_row(&pm), &a->retry,
					&err) < 0) {
			hc_msgs_add(msgs, HC_ERROR, "run %s retries run %s, which "
				    "cannot be read: %s", parent, a->meta.parent,
				    err ? err : "");
			free(err);
			if (pm.id)
				history_meta_free(&pm);
			*status = HC_CONFIG;
			goto fail;
		}
		history_meta_free(&pm);
		a->retry_failed = true;
	}
	*status = HC_CONFIG;
	struct profile *p = a->profile;
	if (opts->segment_override && !a->resume) {
		free(a->segment_path);
		a->segment_path = xstrdup(opts->segment_override);
	} else if (a->segment_path == NULL) {
		a->segment_path = profile_segment_path(p);
	}
	if (a->segment_path == NULL) {
		hc_msgs_add(msgs, HC_ERROR, "%s: [segment] file: no segment: set "
			    "it in the profile or give -s SEGMENT",
			    p->path ? p->path : "profile");
		goto fail;
	}
	if (opts->segment_override && a->resume)
		hc_msgs_add(msgs, HC_WARNING, "--resume reads the run's own "
			    "segment, %s; -s is ignored", a->segment_path);
	a->plan = request_plan_new(p, msgs);
	if (a->plan == NULL)
		goto fail;
	a->batching = p->batch_size > 1;
	bool sign_ok;
	a->signer = signer_new(p, msgs, &sign_ok);
	if (!sign_ok || profile_check_files(p, msgs) < 0)
		goto fail;
	/* The run's snapshot lives elsewhere: absolute TLS paths. */
	char **tls_files[3] = { &p->ca_file, &p->client_cert, &p->client_key };
	for (int i = 0; i < 3; i++) {
		char *path = profile_file_path(p, *tls_files[i]);
		char buf[PATH_MAX];
		free(*tls_files[i]);
		*tls_files[i] = path && realpath(path, buf) ? xstrdup(buf) : path;
		if (*tls_files[i] != path)
			free(path);
	}
	if (p->sync_mode != PROFILE_SYNC_ALL && p->event_param) {
		/* "&event=changed" (or removed, the longest) on every URL */
		struct hc_buf e;
		hc_buf_init(&e);
		request_append_param(&e, p->event_param, "changed");
		request_plan_reserve(a->plan, e.len);
		hc_buf_free(&e);
	}
	a->seg_opts.delimiter = p->delimiter;
	a->seg_opts.field_max = p->field_max;
	a->seg_opts.prefetch = true; /* parse on the other core */
	if ((opts->baseline || opts->full || opts->plan_only) &&
	    p->sync_mode == PROFILE_SYNC_ALL) {
		hc_msgs_add(msgs, HC_ERROR, "%s needs [sync] mode = changes or "
			    "mirror, with a key: this profile sends every row "
			    "each run", opts->baseline ? "--baseline"
				       : opts->full ? "--full" : "a plan");
		goto fail;
	}
	if (p->sync_mode != PROFILE_SYNC_ALL) {
		if (a->state_dir == NULL) {
			char *err = NULL;
			a->state_dir = history_state_dir(&err);
			if (a->state_dir == NULL) {
				hc_msgs_add(msgs, HC_ERROR, "%s", err);
				free(err);
				*status = HC_STATE;
				goto fail;
			}
		}
		if (parent) {
			/* a resume or a retry keeps the plan of its run */
			char *dir = xasprintf("%s/runs/%s", a->state_dir, parent);
			char *err = NULL;
			int pr = sync_plan_read(dir, &a->events, &a->events_cap,
						&a->removed, &a->nremoved, &err);
			free(dir);
			if (pr < 0) {
				hc_msgs_add(msgs, HC_ERROR, "%s", err);
				free(err);
				*status = HC_STATE;
				goto fail;
			}
			a->plan_loaded = pr == 1;
		}
		*status = act_sync_open(a, msgs);
		if (*status != HC_OK)
			goto fail;
		*status = HC_CONFIG;
	}
	*status = validate(a, msgs);
	if (*status != HC_OK)
		goto fail;
	if (opts->check_removed && a->n_removed != opts->confirmed_removed) {
		hc_msgs_add(msgs, HC_ERROR, "%s changed since the plan that was "
			    "confirmed: it now removes %llu record%s, not %llu; "
			    "nothing was sent: look at the plan again",
			    a->segment_path, (unsigned long long)a->n_removed,
			    a->n_removed == 1 ? "" : "s",
			    (unsigned long long)opts->confirmed_removed);
		*status = HC_CONFIG;
		goto fail;
	}
	if (a->resume || a->retry_failed) {
		struct history_meta pm;
		char *err = NULL;
		if (history_meta_load(a->state_dir, parent, &pm, &err) == 0) {
			if (pm.sha256[0] && strcmp(pm.sha256, a->sha256) != 0) {
				hc_msgs_add(msgs, HC_ERROR, "%s has changed since "
					    "run %s (its SHA-256 differs): "
					    "refusing to %s, as row numbers "
					    "may no longer match",
					    a->segment_path, parent,
					    a->resume ? "resume" : "retry");
				history_meta_free(&pm);
				*status = HC_CONFIG;
				goto fail;
			}
			history_meta_free(&pm);
		} else {
			free(err);
		}
	}
	*status = HC_OK;
	return a;
fail:
	activation_free(a);
	return NULL;
}

const struct profile *activation_profile(const struct activation *a)
{
	return a->profile;
}

const char *activation_parent_id(const struct activation *a)
{
	return a->parent_id;
}

const char *activation_profile_path(const struct activation *a)
{
	return a->profile_abs ? a->profile_abs : "";
}

void activation_shard(const struct activation *a, unsigned *k, unsigned *n)
{
	*k = a->opts.shard_k;
	*n = a->opts.shard_n;
}

const char *activation_method(const struct activation *a)
{
	return a->profile->method;
}

/* ---- the source the engine pulls from ---- */

/* On the segment reader's thread (segment_opts.on_row): the row's key,
 * from the plan's part of every key (made before the segment opens, and
 * never changed) and the row's fields. */
static void key_on_reader(void *ud, const struct segment_row *row, char *tag)
{
	char key[65];
	request_row_key(ud, row, key);
	memcpy(tag, key, SEGMENT_TAG_MAX - 1);
	tag[SEGMENT_TAG_MAX - 1] = '\0';
}

int act_open_segment(struct activation *a, char **err)
{
	struct segment_opts o = a->seg_opts;
	/* A sync's key is salted by what the state holds: the loop makes it */
	if (!a->sync && act_wants_key(a)) {
		o.on_row = key_on_reader;
		o.row_ud = a->plan;
	}
	a->seg = segment_open(a->segment_path, &o, err);
	if (a->seg == NULL)
		return -1;
	struct hc_msgs m;
	hc_msgs_init(&m);
	int r = request_plan_bind(a->plan, a->seg, &m);
	if (r == 0 && a->sync)
		r = act_sync_bind(a, a->seg, &m);
	hc_msgs_free(&m);
	return r;
}

void act_journal_invalid(struct activation *a,
			    const struct segment_row *row, const char *why)
{
	if (a->journal == NULL) { /* a dry run */
		if (a->dry_err)
			fprintf(a->dry_err, "%s:%llu: row %llu: %s\n",
				segment_name(a->seg),
				(unsigned long long)row->line,
				(unsigned long long)row->row, why);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct history_line l = {
		.row = row->row, .line = row->line, .attempt = 0,
		.time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9,
		.method = a->profile->method, .status = 0,
		.outcome = "invalid", .latency_ms = -1, .error = why,
		.url = "", .response = "", .response_len = 0,
		.event = a->sync ? "invalid" : "all",
	};
	history_journal_add(a->journal, &l);
}

/* All mode's next request: the next row in scope not final yet. */
int act_all_next(struct activation *a, struct engine_request *req)
{
	struct segment_row row;
	int r;
	while ((r = segment_next(a->seg, &row)) > 0) {
		if (!act_in_scope(a, row.row))
			continue;
		if (act_limit_reached(a))
			return 0;
		if (history_finals_get(&a->prior, row.row) != FINAL_NONE) {
			/* Final in the journal already: count it toward
			 * the limit, as validation did. */
			if (request_check(a->plan, &row, &a->why) == 0)
				a->selected_valid++;
			continue;
		}
		if (request_build_body(a->plan, &row, req->url, req->shown,
				       req->body, &a->why) < 0) {
			act_journal_invalid(a, &row, a->why.data);
			continue;
		}
		a->selected_valid++;
		req->row = row.row;
		req->line = row.line;
		if (!act_wants_key(a))
			req->key[0] = '\0';
		else if (row.tag) /* made on the reader's thread */
			memcpy(req->key, row.tag, SEGMENT_TAG_MAX);
		else
			request_row_key(a->plan, &row, req->key);
		return 1;
	}
	return r < 0 ? -1 : 0;
}

bool act_wants_key(const struct activation *a)
{
	return profile_wants_key(a->profile);
}

static int src_next(void *ud, struct engine_request *req)
{
	struct activation *a = ud;
	int r = a->batching ? act_batch_next(a, req)
		: a->sync   ? act_sync_next(a, req)
			    : act_all_next(a, req);
	if (r < 0) {
		free(a->journal_error);
		a->journal_error = xasprintf("%s (the segment changed during "
					     "the run?)",
					     segment_fatal(a->seg)->msg);
		a->source_failed = true;
	}
	return r;
}

static void tally_error(struct activation *a, const char *err)
{
	/* Group by the text before any detail in parentheses. */
	size_t n = strcspn(err, "(");
	while (n > 0 && err[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < a->ntop; i++)
		if (strlen(a->top[i].text) == n &&
		    strncmp(a->top[i].text, err, n) == 0) {
			a->top[i].count++;
			return;
		}
	if (a->ntop < TOP_ERRORS) {
		a->top[a->ntop].text = xstrndup(err, n);
		a->top[a->ntop].count = 1;
		a->ntop++;
	}
}

static int src_record(void *ud, const struct engine_result *r)
{
	struct activation *a = ud;
	struct history_line l = {
		.row = r->row, .line = r->line, .attempt = r->attempt,
		.time = r->time, .method = a->profile->method,
		.status = r->status, .outcome = engine_outcome_name(r->outcome),
		.latency_ms = r->latency_ms, .error = r->error,
		.url = r->url_shown, .response = r->body,
		.response_len = r->body_len, .key = r->key,
	};
	/* Headers only where they explain something: not for a 2xx. */
	char hdrs[ENGINE_KEEP_HEADERS * 3 / 2 + 1];
	if (r->outcome != OUTCOME_DELIVERED && r->headers_len > 0) {
		size_t k = 0;
		for (size_t i = 0; i < r->headers_len && k + 4 < sizeof hdrs;
		     i++) {
			if (r->headers[i] == '\n') {
				hdrs[k++] = ' ';
				hdrs[k++] = '|';
				hdrs[k++] = ' ';
			} else {
				hdrs[k++] = r->headers[i];
			}
		}
		l.response_headers = hdrs;
		l.response_headers_len = k;
	}
	l.method = r->method;
	if (a->batching) {
		int n = act_batch_record(a, r, &l);
		if (r->outcome == OUTCOME_FAILED)
			for (int i = 0; i < n; i++)
				tally_error(a, r->error);
		return 0;
	}
	struct pending *pd = r->ctx;
	l.event = pd ? sync_event_name(pd->event) : "all";
	/* At most HISTORY_BODY_KEEP bytes of what was sent, redacted. */
	char body[HISTORY_BODY_KEEP];
	if (r->req_body_len > 0) {
		size_t n = r->req_body_len < sizeof body ? r->req_body_len
							 : sizeof body;
		memcpy(body, r->req_body, n);
		request_redact(a->plan, body, n);
		l.request_body = body;
		l.request_body_len = n;
	}
	history_journal_add(a->journal, &l);
	if (r->outcome == OUTCOME_FAILED)
		tally_error(a, r->error);
	if (pd)
		act_sync_record(a, pd, r);
	return 0;
}

static void src_redact(void *ud, char *buf, size_t len)
{
	struct activation *a = ud;
	request_redact(a->plan, buf, len);
}

static int src_flush(void *ud)
{
	struct activation *a = ud;
	char *err = NULL;
	/* The state follows the journal. What this journal write holds goes
	 * to the run's state log first, so that the log has every delivery
	 * the journal has; then to the store, through the writer's thread,
	 * in one transaction a second. The next run replays the log of a run
	 * that was killed. A kill between the two writes leaves a delivery
	 * in the log and not in the journal: the state has it, and a resume
	 * sends the row again, with the same key; none is ever lost. */
	if (a->writer && sync_writer_log(a->writer, &err) < 0)
		goto fail;
	if (history_journal_flush(a->journal, &err) < 0)
		goto fail;
	if (a->writer && sync_writer_flush(a->writer, &err) < 0)
		goto fail;
	return 0;
fail:
	free(a->journal_error);
	a->journal_error = err;
	return -1;
}

/* ---- the run ---- */

static void fill_source_meta(struct activation *a)
{
	struct stat st;
	free(a->meta.segment_path);
	a->meta.segment_path = abs_path(a->segment_path);
	if (stat(a->segment_path, &st) == 0) {
		a->meta.segment_size = (uint64_t)st.st_size;
		a->meta.segment_mtime = (int64_t)st.st_mtime;
	}
	memcpy(a->meta.sha256, a->sha256, sizeof a->meta.sha256);
	free(a->meta.profile_path);
	a->meta.profile_path = xstrdup(a->profile_abs ? a->profile_abs : "");
	a->meta.pid = (long)getpid();
	a->meta.rows_total = a->rows_total;
	a->meta.valid = a->valid;
	a->meta.limit = a->opts.limit;
	a->meta.shard_k = a->opts.shard_k;
	a->meta.shard_n = a->opts.shard_n;
	a->meta.invalid = a->invalid;
	snprintf(a->meta.sync_mode, sizeof a->meta.sync_mode, "%s",
		 profile_sync_name(a->profile->sync_mode));
	if (a->sync) {
		a->meta.added = a->n_added;
		a->meta.changed = a->n_changed;
		a->meta.removed = a->nremoved; /* the rows past the segment's */
		a->meta.unchanged = a->n_unchanged;
	}
}

static int save_meta(struct activation *a, struct hc_msgs *msgs)
{
	char *err = NULL;
	if (history_meta_save(&a->meta, a->profile_ini, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return -1;
	}
	return 0;
}

static void act_unlock(struct activation *a)
{
	for (int i = 0; i < 2; i++) {
		if (a->lock_fd[i] >= 0)
			close(a->lock_fd[i]);
		a->lock_fd[i] = -1;
	}
}

/* One run of a profile and shard at a time (a baseline counts as one). */
int act_take_lock(struct activation *a, const char *id,
		     struct hc_msgs *msgs)
{
	char *holder = NULL, *err = NULL;
	int r = history_lock(a->state_dir, a->profile_abs, a->opts.shard_k,
			     a->opts.shard_n, id, a->lock_fd, &holder, &err);
	if (r == 1 && a->opts.shard_n) {
		hc_msgs_add(msgs, HC_ERROR, "another run of %s, shard %u/%u, "
			    "is in the way (%s); wait for it, or stop it first",
			    a->profile_abs, a->opts.shard_k, a->opts.shard_n,
			    holder);
		free(holder);
		return HC_CONFIG;
	}
	if (r == 1) {
		hc_msgs_add(msgs, HC_ERROR, "another run of %s is in progress "
			    "(%s); wait for it, or stop it first",
			    a->profile_abs, holder);
		free(holder);
		return HC_CONFIG;
	}
	if (r < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return HC_STATE;
	}
	return HC_OK;
}

double activation_shard_rate(const struct activation_opts *o,
			     double profile_rate)
{
	if (o->shard_n > 0 && o->rate_per_shard_set)
		return o->rate_per_shard;
	double total = o->rate >= 0 ? o->rate : profile_rate;
	/* The limit is the receiver's, over every shard: each takes its
	 * share. */
	return o->shard_n > 1 ? total / o->shard_n : total;
}

int activation_start(struct activation *a, struct hc_msgs *msgs)
{
	char *err = NULL;
	if (!a->resume && history_run_create(a->state_dir, &a->meta, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return HC_STATE;
	}
	int r = act_take_lock(a, a->meta.id, msgs);
	if (r != HC_OK) {
		if (!a->resume)
			rmdir(a->meta.dir);
		return r;
	}
	if (a->spooled) {
		char *dst = xasprintf("%s/segment.csv", a->meta.dir);
		if (rename(a->segment_path, dst) < 0) {
			hc_msgs_add(msgs, HC_ERROR, "%s: cannot keep the copy "
				    "of stdin: %s", dst, strerror(errno));
			free(dst);
			return HC_STATE;
		}
		free(a->segment_path);
		a->segment_path = dst;
		a->spooled = false;
	}
	struct ini_writer w;
	ini_writer_init(&w);
	struct profile *snap = snapshot_of(a->profile);
	profile_write(snap, &w);
	profile_free(snap);
	if (w.err) {
		hc_msgs_add(msgs, HC_ERROR, "%s: cannot snapshot the profile: "
			    "%s", a->meta.dir, w.err);
		ini_writer_free(&w);
		return HC_STATE;
	}
	a->profile_ini = hc_buf_steal(&w.out);
	ini_writer_free(&w);
	fill_source_meta(a);
	snprintf(a->meta.state, sizeof a->meta.state, "running");
	a->meta.reason[0] = '\0';
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	a->meta.session_started = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (!a->resume) {
		a->meta.started = a->meta.session_started;
		a->meta.sending = 0;
	} else if (a->meta.sending < 0) {
		a->meta.sending = 0; /* earlier sessions were not timed */
	}
	a->meta.ended = 0;
	a->meta.exit_status = -1;
	if (save_meta(a, msgs) < 0)
		return HC_STATE;
	if (a->sync && !a->resume) {
		/* the plan, for a resume or a retry of this run */
		if (sync_plan_write(a->meta.dir, a->events,
				    a->rows_total < a->events_cap ? a->rows_total
								  : a->events_cap,
				    a->removed, a->nremoved, &err) < 0) {
			hc_msgs_add(msgs, HC_ERROR, "%s", err);
			free(err);
			return HC_STATE;
		}
	}
	a->journal = history_journal_open(a->meta.dir, &err);
	if (a->journal == NULL) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return HC_STATE;
	}
	a->results_path = xstrdup(history_journal_path(a->journal));
	if (a->store) {
		int rc = act_sync_start(a, msgs);
		if (rc != HC_OK)
			return rc;
	}
	if (act_open_segment(a, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err ? err : "cannot read the "
			    "segment");
		free(err);
		return HC_DATA;
	}
	const struct profile *p = a->profile;
	struct engine_tls tls = {
		.ca_file = p->ca_file, .client_cert = p->client_cert,
		.client_key = p->client_key, .http_version = p->http_version,
	};
	size_t nh = request_nheaders(a->plan);
	const char **headers = xcalloc(nh, sizeof *headers);
	for (size_t i = 0; i < nh; i++)
		headers[i] = request_header(a->plan, i);
	struct engine_config cfg = {
		.method = p->method,
		.headers = headers,
		.nheaders = nh,
		.key_header = p->idempotency_header,
		.concurrency = a->opts.concurrency > 0 ? a->opts.concurrency
						       : p->concurrency,
		.rate = activation_shard_rate(&a->opts, p->rate),
		.max_attempts = a->opts.max_attempts > 0 ? a->opts.max_attempts
							 : p->max_attempts,
		.timeout = a->opts.timeout > 0 ? a->opts.timeout : p->timeout,
		.breaker_consecutive = p->breaker_consecutive,
		.breaker_initial = p->breaker_initial,
		.user_agent = "hookcast/" HOOKCAST_VERSION,
		.content_type = body_content_type(p->body_format),
		.signer = a->signer,
		.tls = &tls,
		.threads = a->opts.threads_set ? a->opts.threads : p->threads,
		/* the loop keeps each row's sync state too: it carries fewer
		 * transfers (BENCHMARKS.md, "Queued requests") */
		.loop_weight = a->sync ? 2 : 1,
	};
	struct engine_source src = {
		.next = src_next, .record = src_record, .flush = src_flush,
		.redact = src_redact, .ud = a,
	};
	a->engine = engine_new(&cfg, &src, &err);
	free(headers);
	if (a->engine == NULL) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		return HC_CONFIG;
	}
	a->started = true;
	return HC_OK;
}

int activation_step(struct activation *a, struct curl_waitfd *extra,
		    unsigned nextra, int max_wait_ms)
{
	return engine_step(a->engine, extra, nextra, max_wait_ms);
}

void activation_wakeup(struct activation *a)
{
	if (a->engine)
		engine_wakeup(a->engine);
}

void activation_pause(struct activation *a, bool paused)
{
	engine_pause(a->engine, paused);
}

void activation_stop(struct activation *a, bool interrupted)
{
	a->interrupted = a->interrupted || interrupted;
	engine_stop(a->engine);
}

void activation_abort(struct activation *a, bool interrupted)
{
	a->interrupted = a->interrupted || interrupted;
	engine_abort(a->engine);
}

void activation_set_concurrency(struct activation *a, long n)
{
	engine_set_concurrency(a->engine, n);
}

void activation_set_rate(struct activation *a, double rate)
{
	engine_set_rate(a->engine, rate);
}

void activation_get_stats(const struct activation *a,
			  struct activation_stats *o)
{
	memset(o, 0, sizeof *o);
	if (a->engine)
		engine_get_stats(a->engine, &o->e);
	o->run_id = a->meta.id;
	o->results_path = a->results_path;
	o->rows_total = a->rows_total;
	o->selected = a->selected;
	o->valid = a->valid;
	o->invalid = a->invalid;
	o->prior_delivered = a->prior.delivered;
	o->prior_failed = a->prior.failed;
	uint64_t prior = a->prior.delivered + a->prior.failed;
	o->to_send = a->valid > prior ? a->valid - prior : 0;
	uint64_t done = o->e.delivered + o->e.failed;
	uint64_t left = o->to_send > done ? o->to_send - done : 0;
	o->eta = o->e.rate_now > 0 ? (double)left / o->e.rate_now
				   : (left == 0 ? 0 : -1);
	o->sync_mode = profile_sync_name(a->profile->sync_mode);
	o->added = a->n_added;
	o->changed = a->n_changed;
	o->removed = a->n_removed;
	o->unchanged = a->n_unchanged;
	o->sync_note = a->sync_note;
	o->state_path = a->store_path;
}

size_t activation_tail(const struct activation *a,
		       struct engine_tail_entry *out, size_t max)
{
	return a->engine ? engine_tail(a->engine, out, max) : 0;
}

static int cmp_top(const void *x, const void *y)
{
	const struct top_error *a = x, *b = y;
	return (a->count < b->count) - (a->count > b->count);
}

size_t activation_top_errors(const struct activation *a,
			     struct activation_error *out, size_t max)
{
	struct top_error sorted[TOP_ERRORS];
	memcpy(sorted, a->top, sizeof sorted);
	qsort(sorted, a->ntop, sizeof sorted[0], cmp_top);
	size_t n = a->ntop < max ? a->ntop : max;
	for (size_t i = 0; i < n; i++) {
		out[i].text = sorted[i].text;
		out[i].count = sorted[i].count;
	}
	return n;
}

/* All mode's dry run: each row that a run would send, as it would go. */
static int dry_rows(struct activation *a, FILE *out, FILE *errf,
		    struct hc_buf *url, struct hc_buf *shown, int *status)
{
	struct segment_row row;
	int r;
	a->selected_valid = 0;
	while ((r = segment_next(a->seg, &row)) > 0) {
		if (!act_in_scope(a, row.row))
			continue;
		if (act_limit_reached(a))
			break;
		bool done = history_finals_get(&a->prior, row.row) != FINAL_NONE;
		if (request_build_body(a->plan, &row, url, shown, &a->dry_body,
				       &a->why) < 0) {
			if (!done) {
				fprintf(errf, "%s:%llu: row %llu: %s\n",
					segment_name(a->seg),
					(unsigned long long)row.line,
					(unsigned long long)row.row,
					a->why.data);
				*status = HC_UNDELIVERED;
			}
			continue;
		}
		a->selected_valid++;
		if (done)
			continue;
		char key[65] = "";
		if (act_wants_key(a))
			request_row_key(a->plan, &row, key);
		act_dry_print(a, out, a->profile->method, shown->data,
			      &a->dry_body, key);
	}
	return r;
}

void act_dry_print(const struct activation *a, FILE *out, const char *method,
		   const char *url, const struct hc_buf *body, const char *key)
{
	struct request_show show = {
		.plan = a->plan, .signer = a->signer,
		.key_header = a->profile->idempotency_header,
	};
	request_print(out, method, url, body,
		      a->opts.dry_headers ? &show : NULL, key);
}

int activation_dry_run(struct activation *a, FILE *out, FILE *errf)
{
	char *err = NULL;
	if (act_open_segment(a, &err) < 0) {
		fprintf(errf, "%s\n", err ? err : "cannot read the segment");
		free(err);
		return HC_DATA;
	}
	struct hc_buf url, shown;
	hc_buf_init(&url);
	hc_buf_init(&shown);
	int r, status = HC_OK;
	if (a->batching)
		r = act_batch_dry_run(a, out, errf, &status);
	else if (a->sync)
		r = act_sync_dry_run(a, out, errf, &url, &shown, &status);
	else
		r = dry_rows(a, out, errf, &url, &shown, &status);
	if (r < 0) {
		fprintf(errf, "%s\n", segment_fatal(a->seg)->msg);
		status = HC_DATA;
	}
	hc_buf_free(&url);
	hc_buf_free(&shown);
	return status;
}

const char *activation_final_state(const struct activation *a)
{
	return a->final_state[0] ? a->final_state : a->meta.state;
}

int activation_finish(struct activation *a, struct hc_msgs *msgs)
{
	if (!a->started)
		return HC_CONFIG;
	struct engine_stats st;
	engine_get_stats(a->engine, &st);
	int status;
	const char *state;
	switch (st.state) {
	case ENGINE_DONE:
		state = "done";
		break;
	case ENGINE_ABORTED:
		state = "aborted";
		break;
	case ENGINE_BROKEN:
		state = "stopped";
		break;
	case ENGINE_FAILED:
		state = "interrupted";
		break;
	default:
		state = a->interrupted ? "interrupted" : "stopped";
		break;
	}
	uint64_t delivered = a->prior.delivered + st.delivered;
	uint64_t failed = a->prior.failed + st.failed;
	if (st.state == ENGINE_FAILED)
		status = a->source_failed ? HC_DATA : HC_STATE;
	else if (st.state == ENGINE_DONE)
		status = failed == 0 && a->invalid == 0 ? HC_OK : HC_UNDELIVERED;
	else if (st.state == ENGINE_BROKEN)
		status = HC_STOPPED;
	else if (a->interrupted)
		status = HC_INTERRUPTED;
	else
		status = HC_STOPPED;
	if (a->source_failed) {
		state = "interrupted";
		status = HC_DATA;
	}

	char *err = NULL;
	if (a->journal && history_journal_close(a->journal, &err) < 0) {
		hc_msgs_add(msgs, HC_ERROR, "%s", err);
		free(err);
		status = HC_STATE;
	}
	a->journal = NULL;
	if (a->journal_error)
		hc_msgs_add(msgs, HC_ERROR, "%s", a->journal_error);
	snprintf(a->meta.state, sizeof a->meta.state, "%s", state);
	snprintf(a->meta.reason, sizeof a->meta.reason, "%s",
		 st.stop_reason[0] ? st.stop_reason
				   : (a->interrupted ? "interrupted" : ""));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	a->meta.ended = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	a->meta.sending += st.elapsed;
	a->meta.delivered = delivered;
	a->meta.failed = failed;
	a->meta.retries += st.retries;
	a->meta.exit_status = status;
	if (a->store && act_sync_end(a, msgs) < 0)
		status = HC_STATE;
	if (save_meta(a, msgs) < 0)
		status = HC_STATE;
	snprintf(a->final_state, sizeof a->final_state, "%s", state);
	act_unlock(a);
	a->exit_status = status;
	return status;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void activation_exit_reason(const struct activation *a, int status,
			    char *buf, size_t n)
{
	struct activation_stats s;
	activation_get_stats(a, &s);
	uint64_t delivered = s.prior_delivered + s.e.delivered;
	uint64_t failed = s.prior_failed + s.e.failed;
	uint64_t left = s.valid > delivered + failed
				? s.valid - delivered - failed : 0;
	struct hc_buf b;
	hc_buf_init(&b);
	switch (status) {
	case HC_OK:
		hc_buf_printf(&b, "every row was delivered (%llu)",
			      (unsigned long long)delivered);
		break;
	case HC_UNDELIVERED:
		if (failed > 0)
			hc_buf_printf(&b, "%llu %s", (unsigned long long)failed,
				      plural(failed, "row failed",
					     "rows failed"));
		if (s.invalid > 0)
			hc_buf_printf(&b, "%s%llu invalid %s not sent",
				      failed ? " and " : "",
				      (unsigned long long)s.invalid,
				      plural(s.invalid, "row was", "rows were"));
		break;
	case HC_STOPPED:
	case HC_INTERRUPTED: {
		const char *why = s.e.stop_reason[0] ? s.e.stop_reason
			: status == HC_INTERRUPTED ? "interrupted" : "stopped";
		hc_buf_printf(&b, "%s%s; %llu %s not sent yet (resumable)",
			      strncmp(why, "stopped", 7) == 0 ||
			      strcmp(why, "interrupted") == 0 ? "" : "stopped: ",
			      why, (unsigned long long)left,
			      plural(left, "row", "rows"));
		break;
	}
	default:
		hc_buf_adds(&b, hc_status_text(status));
		break;
	}
	snprintf(buf, n, "%s", b.data ? b.data : "");
	hc_buf_free(&b);
}

void activation_free(struct activation *a)
{
	if (a == NULL)
		return;
	if (a->journal) {
		char *err = NULL;
		history_journal_close(a->journal, &err);
		free(err);
	}
	act_unlock(a);
	free(a->parent_id);
	engine_free(a->engine);
	segment_free(a->seg);
	if (a->spooled && a->segment_path)
		unlink(a->segment_path);
	act_batches_free(a);
	request_plan_free(a->plan);
	signer_free(a->signer);
	hc_buf_free(&a->dry_body);
	hc_buf_free(&a->bodybuf);
	profile_free(a->profile);
	free(a->profile_abs);
	free(a->segment_path);
	free(a->state_dir);
	free(a->profile_ini);
	free(a->journal_error);
	free(a->results_path);
	history_finals_free(&a->prior);
	history_finals_free(&a->retry);
	history_meta_free(&a->meta);
	hc_buf_free(&a->why);
	for (size_t i = 0; i < a->ntop; i++)
		free(a->top[i].text);
	for (struct pending *p = a->pending, *next; p; p = next) {
		next = p->next;
		act_pending_free(p);
	}
	a->pending = NULL;
	if (a->writer) {
		char *err = NULL;
		sync_writer_stop(a->writer, &err);
		free(err);
	}
	free(a->replay_run);
	sync_store_close(a->store);
	sync_index_free(a->index);
	free(a->store_path);
	free(a->key_cols);
	free(a->val_cols);
	free(a->val_names);
	free(a->events);
	sync_removed_free(a->removed, a->nremoved);
	free(a->profile_fp);
	hc_buf_free(&a->keybuf);
	hc_buf_free(&a->valbuf);
	hc_buf_free(&a->urlbuf);
	hc_buf_free(&a->shownbuf);
	free(a);
}
