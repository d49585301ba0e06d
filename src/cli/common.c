#include "cli.h"
#include "hookcast/shard.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cli_command commands[] = {
	{ "preview",
	  "preview -p PROFILE [-s SEGMENT] [--row N | --all] [--headers] "
	  "[--show-secrets]",
	  "print the exact request of each row (with --headers, the headers "
	  "hookcast sets, signed as a run would), without sending anything",
	  cli_preview },
	{ "check", "check -p PROFILE [-s SEGMENT]",
	  "validate the profile and the whole segment against the mappings",
	  cli_check },
	{ "run",
	  "run -p PROFILE [-s SEGMENT] [-c N] [--threads N|auto] [--rate R] "
	  "[--max-attempts N] "
	  "[--timeout S] [--limit N] [--shard K/N|auto [--rate-per-shard R]] "
	  "[--resume RUN|last | "
	  "--retry-failed RUN|last] [--baseline | --full] [--dry-run [--headers]] "
	  "[--json] "
	  "[--metrics FILE] [-q] [--yes]",
	  "send one request per valid row (with [sync], per change; with "
	  "[body] batch_size, per batch), journaled and resumable; with "
	  "--shard, --rate is the total over the shards",
	  cli_run },
	{ "plan", "plan -p PROFILE [-s SEGMENT] [--shard K/N|auto] [--full] "
	  "[--json]",
	  "count what a sync would send: added, changed, removed, unchanged, "
	  "invalid; sends and writes nothing",
	  cli_plan },
	{ "state", "state show -p PROFILE [--shard K/N|auto] [--json] | "
	  "state reset -p PROFILE [--shard K/N|auto] [--yes]",
	  "show or reset what a profile's sync has recorded as delivered",
	  cli_state },
	{ "history", "history [list] [--json] | history show RUN|last [--failed | "
	  "--invalid | --pending | --filter F] [--search TEXT] [--json]",
	  "list runs, or show the outcome of every row of one run",
	  cli_history },
	{ "sink",
	  "sink [--listen 127.0.0.1:PORT] [--log FILE] [--status CODE] "
	  "[--fail-first N] [--fail-status CODE] [--retry-after V] "
	  "[--delay-ms N] [--drop-every N] [--fail-every N] [--reject-every N] "
	  "[--location URL] [--require H] [--echo] [--endless-body] "
	  "[--drip-ms N] [--verify-standard-webhooks SECRET | --verify-hmac "
	  "SECRET [--hmac-header H] [--hmac-prefix P] [--hmac-encoding "
	  "hex|base64]] [-q]",
	  "a local webhook receiver that prints and logs requests, bodies "
	  "too, injects faults and verifies signatures",
	  cli_sink },
	{ "completion", "completion bash|zsh|fish",
	  "print a shell completion script, made from these synopses",
	  cli_completion },
	{ NULL, NULL, NULL, NULL },
};

const struct cli_command *cli_commands(void)
{
	return commands;
}

const struct cli_command *cli_find(const char *name)
{
	for (const struct cli_command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cli_print_help(const char *name)
{
	const struct cli_command *c = cli_find(name);
	if (c == NULL)
		return;
	printf("usage: hookcast %s\n\n%s.\n", c->synopsis, c->summary);
}

int cli_usage_error(const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hookcast: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	const struct cli_command *c = cli_find(name);
	if (c)
		fprintf(stderr, "usage: hookcast %s\n", c->synopsis);
	return HC_CONFIG;
}

int cli_bad_option(const char *name)
{
	const struct cli_command *c = cli_find(name);
	if (c)
		fprintf(stderr, "usage: hookcast %s\n", c->synopsis);
	return HC_CONFIG;
}

int cli_parse_shard(const char *cmd, const char *arg, unsigned *k,
		    unsigned *n)
{
	if (strcmp(arg, "auto") == 0) {
		char *err = NULL;
		if (shard_from_env(k, n, &err) < 0) {
			fprintf(stderr, "hookcast: %s\n", err);
			free(err);
			return HC_CONFIG;
		}
		return 0;
	}
	long kk, nn;
	const char *slash = strchr(arg, '/');
	if (slash == NULL)
		return cli_usage_error(cmd, "--shard takes K/N or auto");
	char *num = xstrndup(arg, (size_t)(slash - arg));
	int bad = hc_parse_long(num, 1, 1000000, &kk) < 0 ||
		  hc_parse_long(slash + 1, 1, 1000000, &nn) < 0 || kk > nn;
	free(num);
	if (bad)
		return cli_usage_error(cmd, "--shard takes K/N with 1 <= K <= N, "
				       "or auto");
	*k = (unsigned)kk;
	*n = (unsigned)nn;
	return 0;
}

void cli_print_msgs(const struct hc_msgs *msgs)
{
	for (size_t i = 0; i < msgs->n; i++)
		fprintf(stderr, "%s%s\n",
			msgs->items[i].severity == HC_WARNING ? "warning: " : "",
			msgs->items[i].text);
}

int cli_job_open(struct cli_job *job, const char *profile_path,
		 const char *segment_override)
{
	memset(job, 0, sizeof *job);
	struct hc_msgs msgs;
	hc_msgs_init(&msgs);
	int status = HC_CONFIG;

	job->profile = profile_load(profile_path, &msgs);
	if (job->profile == NULL)
		goto out;
	job->plan = request_plan_new(job->profile, &msgs);
	if (job->plan == NULL)
		goto out;
	job->segment_path = segment_override
				    ? xstrdup(segment_override)
				    : profile_segment_path(job->profile);
	if (job->segment_path == NULL) {
		hc_msgs_add(&msgs, HC_ERROR, "%s: [segment] file: no segment: "
			    "set it in the profile or give -s SEGMENT",
			    profile_path);
		goto out;
	}
	struct segment_opts opts = {
		.delimiter = job->profile->delimiter,
		.field_max = job->profile->field_max,
	};
	/* A file that is not there is a setting to fix (2); a file that is
	 * there but malformed is a data error (3). */
	if (strcmp(job->segment_path, "-") != 0 &&
	    access(job->segment_path, R_OK) < 0) {
		if (segment_override) {
			hc_msgs_add(&msgs, HC_ERROR, "%s: cannot open: %s",
				    job->segment_path, strerror(errno));
		} else {
			char *where = profile_where(job->profile, "segment",
						    "file");
			hc_msgs_add(&msgs, HC_ERROR, "%s: %s: cannot open: %s",
				    where, job->segment_path, strerror(errno));
			free(where);
		}
		goto out;
	}
	char *err = NULL;
	job->seg = segment_open(job->segment_path, &opts, &err);
	if (job->seg == NULL) {
		status = HC_DATA;
		hc_msgs_add(&msgs, HC_ERROR, "%s", err);
		free(err);
		goto out;
	}
	if (request_plan_bind(job->plan, job->seg, &msgs) < 0)
		goto out;
	status = HC_OK;
out:
	cli_print_msgs(&msgs);
	hc_msgs_free(&msgs);
	if (status != HC_OK)
		cli_job_close(job);
	return status;
}

void cli_job_close(struct cli_job *job)
{
	segment_free(job->seg);
	request_plan_free(job->plan);
	profile_free(job->profile);
	free(job->segment_path);
	memset(job, 0, sizeof *job);
}
