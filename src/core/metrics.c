#include "hookcast/metrics.h"
#include "hookcast/engine.h"
#include "hookcast/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const metrics_states[] = {
	"running", "paused", "stopping", "done", "stopped", "aborted",
	"interrupted", NULL,
};

/* A label value, escaped as the format asks: \\, \" and \n. */
static void add_label_value(struct hc_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			hc_buf_addc(b, '\\');
		if (*v == '\n') {
			hc_buf_adds(b, "\\n");
			continue;
		}
		hc_buf_addc(b, *v);
	}
}

/* The labels every series carries: profile and shard, then extra (NULL,
 * or name="value" already formatted). */
static char *labels(const struct metrics_run *r, const char *extra)
{
	struct hc_buf b;
	hc_buf_init(&b);
	hc_buf_adds(&b, "{profile=\"");
	add_label_value(&b, r->profile);
	hc_buf_adds(&b, "\",shard=\"");
	if (r->shard_n) {
		char sh[32];
		snprintf(sh, sizeof sh, "%u/%u", r->shard_k, r->shard_n);
		hc_buf_adds(&b, sh);
	}
	hc_buf_addc(&b, '"');
	if (extra) {
		hc_buf_addc(&b, ',');
		hc_buf_adds(&b, extra);
	}
	hc_buf_addc(&b, '}');
	return b.data;
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void series(FILE *f, const struct metrics_run *r, const char *name,
		   const char *extra, double v)
{
	char *l = labels(r, extra);
	fprintf(f, "%s%s %.17g\n", name, l, v);
	free(l);
}

static void series_u(FILE *f, const struct metrics_run *r, const char *name,
		     const char *extra, uint64_t v)
{
	char *l = labels(r, extra);
	fprintf(f, "%s%s %llu\n", name, l, (unsigned long long)v);
	free(l);
}

static void write_text(FILE *f, const struct metrics_run *r,
		       const struct activation_stats *s)
{
	const struct engine_stats *e = &s->e;
	family(f, "hookcast_rows_total", "counter",
	       "Rows of the run by final outcome (delivered, failed: over all "
	       "sessions of a resumed run; invalid: never sent).");
	series_u(f, r, "hookcast_rows_total", "outcome=\"delivered\"",
		 s->prior_delivered + e->delivered);
	series_u(f, r, "hookcast_rows_total", "outcome=\"failed\"",
		 s->prior_failed + e->failed);
	series_u(f, r, "hookcast_rows_total", "outcome=\"invalid\"",
		 s->invalid);
	family(f, "hookcast_sync_rows", "gauge",
	       "Rows of a sync's plan by event (all zero without [sync]).");
	series_u(f, r, "hookcast_sync_rows", "event=\"added\"", s->added);
	series_u(f, r, "hookcast_sync_rows", "event=\"changed\"", s->changed);
	series_u(f, r, "hookcast_sync_rows", "event=\"removed\"", s->removed);
	series_u(f, r, "hookcast_sync_rows", "event=\"unchanged\"",
		 s->unchanged);
	family(f, "hookcast_requests_total", "counter",
	       "Attempts sent by this process, by the class of the answer "
	       "(error: no HTTP answer).");
	static const char *const classes[5] = { "2xx", "3xx", "4xx", "5xx",
						"error" };
	for (int i = 0; i < 5; i++) {
		char ex[32];
		snprintf(ex, sizeof ex, "class=\"%s\"", classes[i]);
		series_u(f, r, "hookcast_requests_total", ex, e->by_class[i]);
	}
	family(f, "hookcast_retries_total", "counter",
	       "Attempts after a row's first, sent by this process.");
	series_u(f, r, "hookcast_retries_total", NULL, e->retries);

	family(f, "hookcast_request_duration_seconds", "histogram",
	       "Time from sending an attempt to its end, by attempt.");
	uint64_t cum = 0;
	for (size_t i = 0; i < ENGINE_LATENCY_BINS; i++) {
		cum += e->latency_bins[i];
		char ex[48];
		if (i + 1 < ENGINE_LATENCY_BINS)
			snprintf(ex, sizeof ex, "le=\"%g\"",
				 engine_latency_edges_ms[i] / 1000.0);
		else
			snprintf(ex, sizeof ex, "le=\"+Inf\"");
		series_u(f, r, "hookcast_request_duration_seconds_bucket", ex,
			 cum);
	}
	series(f, r, "hookcast_request_duration_seconds_sum", NULL,
	       e->latency_sum_s);
	series_u(f, r, "hookcast_request_duration_seconds_count", NULL, cum);

	family(f, "hookcast_run_state", "gauge",
	       "The run's state: 1 for the one it is in.");
	for (size_t i = 0; metrics_states[i]; i++) {
		char ex[48];
		snprintf(ex, sizeof ex, "state=\"%s\"", metrics_states[i]);
		series(f, r, "hookcast_run_state", ex,
		       strcmp(metrics_states[i], r->state) == 0 ? 1 : 0);
	}
	family(f, "hookcast_run_start_timestamp_seconds", "gauge",
	       "When this process started sending.");
	series(f, r, "hookcast_run_start_timestamp_seconds", NULL, r->started);
	if (r->ended > 0) {
		family(f, "hookcast_run_end_timestamp_seconds", "gauge",
		       "When the run ended.");
		series(f, r, "hookcast_run_end_timestamp_seconds", NULL,
		       r->ended);
		family(f, "hookcast_run_exit_status", "gauge",
		       "The run's exit status (0 all delivered, 1 some rows "
		       "not, 2 and up: see hookcast --help).");
		series(f, r, "hookcast_run_exit_status", NULL, r->exit_status);
	}
	if (r->last_success > 0) {
		family(f, "hookcast_last_success_timestamp_seconds", "gauge",
		       "When a run of this profile and shard last reached "
		       "\"done\": every row had its final outcome.");
		series(f, r, "hookcast_last_success_timestamp_seconds", NULL,
		       r->last_success);
	}
}

int metrics_write(const char *path, const struct metrics_run *run,
		  const struct activation_stats *s, char **err)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		*err = xasprintf("%s: cannot write: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -1;
	}
	write_text(f, run, s);
	bool bad = ferror(f) != 0;
	if (fflush(f) != 0)
		bad = true;
	if (fclose(f) != 0)
		bad = true;
	if (bad || rename(tmp, path) < 0) {
		*err = xasprintf("%s: cannot write: %s", bad ? tmp : path,
				 strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

double metrics_last_success(const char *path, const char *profile,
			    unsigned shard_k, unsigned shard_n)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	struct metrics_run r = { .profile = profile, .shard_k = shard_k,
				 .shard_n = shard_n };
	char *l = labels(&r, NULL);
	char *want = xasprintf("hookcast_last_success_timestamp_seconds%s ", l);
	free(l);
	size_t wn = strlen(want);
	double v = 0;
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, want, wn) == 0) {
			char *end;
			double d = strtod(line + wn, &end);
			if (end != line + wn && d > 0)
				v = d;
		}
	}
	fclose(f);
	free(want);
	return v;
}
