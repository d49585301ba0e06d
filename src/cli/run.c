#include "cli.h"

#include "hookcast/json.h"
#include "hookcast/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hookcast/activation.h"
#include "hookcast/sigpipe.h"

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fmt_duration(double s, char *buf, size_t n)
{
	if (s < 0) {
		snprintf(buf, n, "?");
	} else if (s < 60) {
		snprintf(buf, n, "%.1fs", s);
	} else if (s < 3600) {
		long t = (long)ceil(s);
		snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
	} else {
		long t = (long)ceil(s);
		snprintf(buf, n, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
	}
}

static void fmt_ms(double ms, char *buf, size_t n)
{
	if (ms >= 1000)
		snprintf(buf, n, "%.2fs", ms / 1000);
	else if (ms >= 10)
		snprintf(buf, n, "%.0fms", ms);
	else
		snprintf(buf, n, "%.1fms", ms);
}

static void progress_line(const struct activation_stats *s, char *buf,
			  size_t n)
{
	uint64_t done = s->prior_delivered + s->prior_failed + s->e.delivered +
			s->e.failed;
	uint64_t total = s->valid;
	double pct = total ? 100.0 * (double)done / (double)total : 100;
	char eta[32], p95[32];
	fmt_duration(s->eta, eta, sizeof eta);
	fmt_ms(s->e.latency_ms[3], p95, sizeof p95);
	snprintf(buf, n,
		 "%llu/%llu %.0f%% %.1f/s ETA %s 2xx %llu 4xx %llu 5xx %llu "
		 "err %llu p95 %s%s",
		 (unsigned long long)done, (unsigned long long)total, pct,
		 s->e.rate_now, eta, (unsigned long long)s->e.by_class[0],
		 (unsigned long long)s->e.by_class[2],
		 (unsigned long long)s->e.by_class[3],
		 (unsigned long long)s->e.by_class[4], p95,
		 s->e.state == ENGINE_STOPPING ? " (stopping)" : "");
}

static void print_summary(struct activation *a, int status)
{
	struct activation_stats s;
	activation_get_stats(a, &s);
	char dur[32], lat[4][32];
	fmt_duration(s.e.elapsed, dur, sizeof dur);
	static const int idx[4] = { 1, 2, 4, 5 }; /* p50 p90 p99 max */
	for (int i = 0; i < 4; i++)
		fmt_ms(s.e.latency_ms[idx[i]], lat[i], sizeof lat[i]);
	fprintf(stderr, "run %s %s in %s: %llu %s, %llu delivered, %llu "
		"failed, %llu invalid\n", s.run_id, activation_final_state(a),
		dur, (unsigned long long)s.selected,
		s.selected == 1 ? "row" : "rows",
		(unsigned long long)(s.prior_delivered + s.e.delivered),
		(unsigned long long)(s.prior_failed + s.e.failed),
		(unsigned long long)s.invalid);
	if (strcmp(s.sync_mode, "all") != 0)
		fprintf(stderr, "  sync %s: %llu added, %llu changed, %llu "
			"removed, %llu unchanged%s%s\n", s.sync_mode,
			(unsigned long long)s.added,
			(unsigned long long)s.changed,
			(unsigned long long)s.removed,
			(unsigned long long)s.unchanged,
			s.sync_note[0] ? "; " : "", s.sync_note);
	if (s.prior_delivered + s.prior_failed > 0)
		fprintf(stderr, "  resumed: %llu %s final before\n",
			(unsigned long long)(s.prior_delivered + s.prior_failed),
			s.prior_delivered + s.prior_failed == 1 ? "row was"
								: "rows were");
	fprintf(stderr, "  rate %.1f/s, %llu attempts, %llu retries; "
		"concurrency %ld on %ld %s\n", s.e.rate_avg,
		(unsigned long long)s.e.attempts,
		(unsigned long long)s.e.retries, s.e.concurrency,
		s.e.threads, s.e.threads > 1 ? "threads" : "thread");
	if (s.e.attempts > 0)
		fprintf(stderr, "  latency p50 %s p90 %s p99 %s max %s\n",
			lat[0], lat[1], lat[2], lat[3]);
	fprintf(stderr, "  responses 2xx %llu 3xx %llu 4xx %llu 5xx %llu, "
		"errors %llu\n", (unsigned long long)s.e.by_class[0],
		(unsigned long long)s.e.by_class[1],
		(unsigned long long)s.e.by_class[2],
		(unsigned long long)s.e.by_class[3],
		(unsigned long long)s.e.by_class[4]);
	struct activation_error top[5];
	size_t nt = activation_top_errors(a, top, 5);
	if (nt > 0)
		fprintf(stderr, "  top errors:\n");
	for (size_t i = 0; i < nt; i++)
		fprintf(stderr, "  %8llu  %s\n", (unsigned long long)top[i].count,
			top[i].text);
	if (s.e.stop_reason[0] && strcmp(s.e.stop_reason, "stopped") != 0)
		fprintf(stderr, "  stopped: %s\n", s.e.stop_reason);
	char why[256];
	activation_exit_reason(a, status, why, sizeof why);
	fprintf(stderr, "  exit status %d: %s\n", status, why);
	if (s.results_path)
		fprintf(stderr, "  results: %s\n", s.results_path);
	if (status == HC_STOPPED || status == HC_INTERRUPTED ||
	    status == HC_STATE)
		fprintf(stderr, "  resume with: hookcast run --resume %s\n",
			s.run_id);
	else if (s.prior_failed + s.e.failed > 0)
		fprintf(stderr, "  send the failed rows again with: hookcast "
			"run --retry-failed %s\n", s.run_id);
}

static void print_json(struct activation *a, int status)
{
	struct activation_stats s;
	activation_get_stats(a, &s);
	char why[256];
	activation_exit_reason(a, status, why, sizeof why);
	json_t *o = json_pack(
		"{s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:o,"
		"s:I,s:I,s:I,s:I}",
		"run_id", hc_json_str(s.run_id),
		"state", hc_json_str(activation_final_state(a)),
		"rows_total", (json_int_t)s.rows_total,
		"selected", (json_int_t)s.selected,
		"valid", (json_int_t)s.valid,
		"invalid", (json_int_t)s.invalid,
		"delivered", (json_int_t)(s.prior_delivered + s.e.delivered),
		"failed", (json_int_t)(s.prior_failed + s.e.failed),
		"retries", (json_int_t)s.e.retries,
		"attempts", (json_int_t)s.e.attempts,
		"duration_s", s.e.elapsed, "rate", s.e.rate_avg,
		"sync", hc_json_str(s.sync_mode),
		"added", (json_int_t)s.added,
		"changed", (json_int_t)s.changed,
		"removed", (json_int_t)s.removed,
		"unchanged", (json_int_t)s.unchanged);
	json_object_set_new(o, "status_counts", json_pack(
		"{s:I,s:I,s:I,s:I,s:I}", "2xx", (json_int_t)s.e.by_class[0],
		"3xx", (json_int_t)s.e.by_class[1],
		"4xx", (json_int_t)s.e.by_class[2],
		"5xx", (json_int_t)s.e.by_class[3],
		"error", (json_int_t)s.e.by_class[4]));
	json_object_set_new(o, "latency_ms", json_pack(
		"{s:f,s:f,s:f,s:f,s:f}", "p50", s.e.latency_ms[1],
		"p90", s.e.latency_ms[2], "p95", s.e.latency_ms[3],
		"p99", s.e.latency_ms[4], "max", s.e.latency_ms[5]));
	json_object_set_new(o, "concurrency", json_integer(s.e.concurrency));
	json_object_set_new(o, "threads", json_integer(s.e.threads));
	json_object_set_new(o, "results_path", hc_json_str(s.results_path));
	json_object_set_new(o, "stop_reason", hc_json_str(s.e.stop_reason));
	json_object_set_new(o, "exit_reason", hc_json_str(why));
	json_object_set_new(o, "exit_status", json_integer(status));
	hc_json_puts(o, stdout);
	fflush(stdout);
}

/* DELETE and removals remove data: ask for the count, or require --yes. */
static int confirm_delete(uint64_t rows, const char *what, bool yes)
{
	if (yes)
		return 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		fprintf(stderr, "hookcast: this run sends %llu %s; without a "
			"terminal to confirm, add --yes\n",
			(unsigned long long)rows, what);
		return -1;
	}
	fprintf(stderr, "This run sends %llu %s. Type %llu to confirm: ",
		(unsigned long long)rows, what, (unsigned long long)rows);
	char line[64];
	if (fgets(line, sizeof line, stdin) == NULL ||
	    strtoull(line, NULL, 10) != rows || line[0] < '0' || line[0] > '9') {
		fprintf(stderr, "hookcast: not confirmed; nothing was sent\n");
		return -1;
	}
	return 0;
}

struct run_args {
	struct activation_opts o;
	bool json, quiet, yes;
	const char *metrics; /* --metrics FILE, or NULL */
};

#define METRICS_INTERVAL 10.0 /* seconds between two writes */

/* --metrics: the labels, the times and the last success, kept over the
 * run. */
struct metrics_job {
	const char *path;
	char profile[128];
	struct metrics_run run;
	double last;
};

static void metrics_begin(struct metrics_job *m, const char *path,
			  struct activation *a)
{
	memset(m, 0, sizeof *m);
	m->path = path;
	if (path == NULL)
		return;
	/* the label: the profile file's name without ".ini" */
	snprintf(m->profile, sizeof m->profile, "%s",
		 hc_basename(activation_profile_path(a)));
	size_t n = strlen(m->profile);
	if (n > 4 && strcmp(m->profile + n - 4, ".ini") == 0)
		m->profile[n - 4] = '\0';
	m->run.profile = m->profile;
	activation_shard(a, &m->run.shard_k, &m->run.shard_n);
	m->run.started = hc_wall_now();
	m->run.exit_status = -1;
	m->run.last_success = metrics_last_success(path, m->profile,
						   m->run.shard_k,
						   m->run.shard_n);
}

/* Write the file now (final: the run has ended with status). A failure is
 * said once a run, and does not stop the run. */
static void metrics_put(struct metrics_job *m, struct activation *a,
			bool final, int status)
{
	if (m->path == NULL)
		return;
	struct activation_stats s;
	activation_get_stats(a, &s);
	if (final) {
		m->run.state = activation_final_state(a);
		m->run.ended = hc_wall_now();
		m->run.exit_status = status;
		if (strcmp(m->run.state, "done") == 0)
			m->run.last_success = m->run.ended;
	} else {
		m->run.state = engine_state_name(s.e.state);
	}
	char *err = NULL;
	if (metrics_write(m->path, &m->run, &s, &err) < 0) {
		if (m->last >= 0)
			fprintf(stderr, "hookcast: warning: --metrics: %s\n",
				err);
		m->last = -1; /* said: not again */
		free(err);
		return;
	}
	if (m->last >= 0)
		m->last = mono();
}

static int parse(int argc, char **argv, struct run_args *ra)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "segment", required_argument, NULL, 's' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 'T' },
		{ "rate", required_argument, NULL, 'r' },
		{ "rate-per-shard", required_argument, NULL, 'P' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "max-attempts", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' },
		{ "shard", required_argument, NULL, 'k' },
		{ "resume", required_argument, NULL, 'R' },
		{ "retry-failed", required_argument, NULL, 'F' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "headers", no_argument, NULL, 'H' },
		{ "baseline", no_argument, NULL, 'B' },
		{ "full", no_argument, NULL, 'U' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(ra, 0, sizeof *ra);
	ra->o.rate = -1;
	int c;
	long v;
	double d;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:s:c:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': ra->o.profile_path = optarg; break;
		case 's': ra->o.segment_override = optarg; break;
		case 'c':
			if (hc_parse_long(optarg, 1, 1024, &v) < 0)
				return cli_usage_error("run", "-c takes 1..1024");
			ra->o.concurrency = v;
			break;
		case 'T':
			if (profile_threads_parse(optarg, &ra->o.threads) < 0)
				return cli_usage_error("run", "--threads takes "
						       "auto or 1..%d",
						       PROFILE_THREADS_MAX);
			ra->o.threads_set = true;
			break;
		case 'r':
			if (hc_parse_double(optarg, 0, 1e6, &d) < 0)
				return cli_usage_error("run", "--rate takes a "
						       "number of requests per "
						       "second (0: unlimited)");
			ra->o.rate = d;
			break;
		case 'M': ra->metrics = optarg; break;
		case 'P':
			if (hc_parse_double(optarg, 0, 1e6, &d) < 0)
				return cli_usage_error("run", "--rate-per-shard "
						       "takes a number of "
						       "requests per second "
						       "(0: unlimited)");
			ra->o.rate_per_shard = d;
			ra->o.rate_per_shard_set = true;
			break;
		case 'm':
			if (hc_parse_long(optarg, 1, 100, &v) < 0)
				return cli_usage_error("run", "--max-attempts "
						       "takes 1..100");
			ra->o.max_attempts = v;
			break;
		case 't':
			if (hc_parse_double(optarg, 0.1, 3600, &d) < 0)
				return cli_usage_error("run", "--timeout takes "
						       "0.1..3600 seconds");
			ra->o.timeout = d;
			break;
		case 'l':
			if (hc_parse_long(optarg, 1, 1L << 62, &v) < 0)
				return cli_usage_error("run", "--limit takes a "
						       "row count from 1");
			ra->o.limit = (uint64_t)v;
			break;
		case 'k': {
			int r = cli_parse_shard("run", optarg, &ra->o.shard_k,
						&ra->o.shard_n);
			if (r)
				return r;
			break;
		}
		case 'R': ra->o.resume_id = optarg; break;
		case 'F': ra->o.retry_failed_id = optarg; break;
		case 'n': ra->o.dry_run = true; break;
		case 'H': ra->o.dry_headers = true; break;
		case 'B': ra->o.baseline = true; break;
		case 'U': ra->o.full = true; break;
		case 'j': ra->json = true; break;
		case 'q': ra->quiet = true; break;
		case 'y': ra->yes = true; break;
		case 'h': cli_print_help("run"); return -1;
		default: return cli_bad_option("run");
		}
	}
	if (optind < argc)
		return cli_usage_error("run", "unexpected argument \"%s\"",
				       argv[optind]);
	if (!ra->o.profile_path && !ra->o.resume_id && !ra->o.retry_failed_id)
		return cli_usage_error("run", "-p PROFILE is required");
	if (ra->o.resume_id && (ra->o.limit || ra->o.shard_n))
		return cli_usage_error("run", "--resume covers the rows of the "
				       "run it resumes: --limit and --shard "
				       "do not apply");
	if (ra->o.rate_per_shard_set && !ra->o.shard_n && !ra->o.resume_id)
		return cli_usage_error("run", "--rate-per-shard goes with "
				       "--shard");
	if ((ra->o.baseline || ra->o.full) &&
	    (ra->o.resume_id || ra->o.retry_failed_id))
		return cli_usage_error("run", "--baseline and --full make a new "
				       "plan: they do not go with --resume or "
				       "--retry-failed");
	if (ra->o.dry_headers && !ra->o.dry_run)
		return cli_usage_error("run", "--headers goes with --dry-run");
	if (ra->o.baseline && (ra->o.full || ra->o.dry_run))
		return cli_usage_error("run", "--baseline sends nothing: it goes "
				       "with neither --full nor --dry-run");
	return 0;
}

/* Drain the signal pipe: the first signal stops, a second SIGINT aborts. */
static void handle_signals(struct activation *a, int *count)
{
	int sig;
	while ((sig = sigpipe_next()) != 0) {
		(*count)++;
		if (*count == 1)
			activation_stop(a, true);
		else if (sig == SIGINT || sig == SIGTERM)
			activation_abort(a, true);
	}
}

int cli_run(int argc, char **argv)
{
	struct run_args ra;
	int pr = parse(argc, argv, &ra);
	if (pr != 0)
		return pr < 0 ? HC_OK : pr;

	struct hc_msgs msgs;
	hc_msgs_init(&msgs);
	int status;
	struct activation *a = activation_new(&ra.o, &msgs, &status);
	cli_print_msgs(&msgs);
	hc_msgs_free(&msgs);
	if (a == NULL)
		return status;
	const char *asked = ra.o.resume_id ? ra.o.resume_id : ra.o.retry_failed_id;
	if (asked && strcmp(asked, "last") == 0 && !ra.quiet)
		fprintf(stderr, "hookcast: %s last: run %s\n", ra.o.resume_id
			? "--resume" : "--retry-failed", activation_parent_id(a));
	if (ra.o.dry_run) {
		status = activation_dry_run(a, stdout, stderr);
		activation_free(a);
		return status;
	}
	if (ra.o.baseline) {
		status = activation_baseline(a, &msgs);
		for (size_t i = 0; i < msgs.n; i++) /* the summary is no warning */
			fprintf(stderr, "%s\n", msgs.items[i].text);
		hc_msgs_free(&msgs);
		activation_free(a);
		return status;
	}
	struct activation_stats s;
	activation_get_stats(a, &s);
	if (strcmp(s.sync_mode, "all") == 0 &&
	    strcmp(activation_method(a), "DELETE") == 0 &&
	    confirm_delete(s.to_send, s.to_send == 1 ? "DELETE request"
						      : "DELETE requests",
			   ra.yes) < 0) {
		activation_free(a);
		return HC_CONFIG;
	}
	if (s.removed > 0 &&
	    confirm_delete(s.removed, s.removed == 1
				      ? "removal (a record that left the "
					"segment)"
				      : "removals (records that left the "
					"segment)", ra.yes) < 0) {
		activation_free(a);
		return HC_CONFIG;
	}
	int sigfd = sigpipe_install(0);
	if (sigfd < 0) {
		perror("hookcast: pipe");
		activation_free(a);
		return HC_STATE;
	}
	status = activation_start(a, &msgs);
	cli_print_msgs(&msgs);
	hc_msgs_free(&msgs);
	if (status != HC_OK) {
		activation_free(a);
		return status;
	}
	struct metrics_job mj;
	metrics_begin(&mj, ra.metrics, a);
	metrics_put(&mj, a, false, 0);
	bool tty = isatty(STDERR_FILENO) && !ra.quiet;
	/* A terminal without TERM, or a dumb one, gets the same one updated
	 * line, erased with spaces instead of an escape sequence. */
	const char *term = getenv("TERM");
	bool dumb = term == NULL || term[0] == '\0' || strcmp(term, "dumb") == 0;
	int shown = 0; /* width of the line on screen */
	double interval = tty ? 0.25 : 10.0;
	double last = mono();
	int signals = 0;
	struct curl_waitfd wfd = { .fd = sigfd, .events = CURL_WAIT_POLLIN };
	char line[256];
	while (activation_step(a, &wfd, 1, 250)) {
		handle_signals(a, &signals);
		double now = mono();
		if (mj.path && mj.last >= 0 &&
		    now - mj.last >= METRICS_INTERVAL)
			metrics_put(&mj, a, false, 0);
		if (ra.quiet || now - last < interval)
			continue;
		last = now;
		activation_get_stats(a, &s);
		progress_line(&s, line, sizeof line);
		if (tty && dumb) {
			int n = (int)strlen(line);
			fprintf(stderr, "\r%s%*s", line, shown > n ? shown - n : 0,
				"");
			shown = n;
		} else if (tty) {
			fprintf(stderr, "\r%s\033[K", line);
		} else {
			fprintf(stderr, "%s\n", line);
		}
	}
	if (tty && dumb && shown > 0)
		fprintf(stderr, "\r%*s\r", shown, "");
	else if (tty)
		fprintf(stderr, "\r\033[K");
	status = activation_finish(a, &msgs);
	cli_print_msgs(&msgs);
	hc_msgs_free(&msgs);
	metrics_put(&mj, a, true, status);
	if (!ra.quiet)
		print_summary(a, status);
	if (ra.json)
		print_json(a, status);
	activation_free(a);
	return status;
}
