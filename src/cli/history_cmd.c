#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookcast/history.h"
#include "hookcast/json.h"


/* Every run, newest first, its warnings printed; -1 when the runs folder
 * cannot be read (said). */
static int load_runs(const char *state, struct history_meta **runs,
		     size_t *n)
{
	char *err = NULL;
	struct hc_msgs warn;
	hc_msgs_init(&warn);
	int rc = history_list(state, runs, n, &warn, &err);
	if (rc < 0) {
		fprintf(stderr, "hookcast: %s\n", err);
		free(err);
	}
	cli_print_msgs(&warn);
	hc_msgs_free(&warn);
	return rc < 0 ? -1 : 0;
}

static int list_runs(const char *state, bool json)
{
	struct history_meta *runs;
	size_t n;
	if (load_runs(state, &runs, &n) < 0)
		return HC_STATE;
	if (!json && n > 0)
		printf("%-26s %-20s %-20s %-11s %15s %8s  %s\n", "RUN",
		       "PROFILE", "STARTED", "STATE", "DELIVERED/TOTAL",
		       "FAILED", "SENDING (WALL)");
	for (size_t i = 0; i < n; i++) {
		const struct history_meta *m = &runs[i];
		char started[40];
		history_format_time(m->started, started, sizeof started);
		double now = hc_wall_now();
		double dur = history_sending_time(m, now);
		double wall = history_wall_time(m, now);
		if (json) {
			json_t *o = json_pack(
				"{s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:f,"
				"s:f,s:i,s:o,s:o,s:I,s:I,s:I,s:I}",
				"run_id", hc_json_str(m->id),
				"profile", hc_json_str(m->profile_path),
				"started", hc_json_str(started),
				"state", hc_json_str(m->state),
				"rows_total", (json_int_t)m->rows_total,
				"valid", (json_int_t)m->valid,
				"invalid", (json_int_t)m->invalid,
				"delivered", (json_int_t)m->delivered,
				"failed", (json_int_t)m->failed,
				"retries", (json_int_t)m->retries,
				"duration_s", dur, "wall_s", wall,
				"exit_status", m->exit_status,
				"reason", hc_json_str(m->reason),
				"sync", hc_json_str(m->sync_mode),
				"added", (json_int_t)m->added,
				"changed", (json_int_t)m->changed,
				"removed", (json_int_t)m->removed,
				"unchanged", (json_int_t)m->unchanged);
			/* the shard: 0 and 0 for a run of every row */
			json_object_set_new(o, "shard_k",
					    json_integer(m->shard_k));
			json_object_set_new(o, "shard_n",
					    json_integer(m->shard_n));
			hc_json_puts(o, stdout);
			continue;
		}
		char total[48];
		snprintf(total, sizeof total, "%llu/%llu",
			 (unsigned long long)m->delivered,
			 (unsigned long long)m->valid);
		started[19] = '\0';
		started[10] = ' ';
		char took[48];
		history_format_duration(dur, wall, took, sizeof took);
		char prof[64];
		if (m->shard_n)
			snprintf(prof, sizeof prof, "%.12s %u/%u",
				 hc_basename(m->profile_path), m->shard_k,
				 m->shard_n);
		else
			snprintf(prof, sizeof prof, "%s",
				 hc_basename(m->profile_path));
		printf("%-26s %-20.20s %-20s %-11s %15s %8llu  %s\n", m->id,
		       prof, started, m->state, total,
		       (unsigned long long)m->failed, took);
	}
	if (!json && n == 0)
		printf("no runs yet (state folder: %s)\n", state);
	history_list_free(runs, n);
	return HC_OK;
}

/* "last": the newest run's id (a run id is a time, never "last"). */
static int last_run_id(const char *state, char **id)
{
	char *err = NULL;
	struct hc_msgs warn;
	hc_msgs_init(&warn);
	int rc = history_last(state, NULL, id, NULL, &warn, &err);
	cli_print_msgs(&warn);
	hc_msgs_free(&warn);
	if (rc <= 0) {
		fprintf(stderr, "hookcast: %s\n", err);
		free(err);
	}
	return rc > 0 ? HC_OK : rc == 0 ? HC_CONFIG : HC_STATE;
}

static int show_run(const char *state, const char *id,
		    enum history_filter filter, const char *search, bool json)
{
	struct history_meta m;
	char *err = NULL;
	char *last = NULL;
	if (strcmp(id, "last") == 0) {
		int st = last_run_id(state, &last);
		if (st != HC_OK)
			return st;
		id = last;
	}
	int rc = history_meta_load(state, id, &m, &err);
	free(last);
	if (rc < 0) {
		fprintf(stderr, "hookcast: %s\n", err);
		free(err);
		return HC_CONFIG;
	}
	struct history_row *rows;
	size_t nrows;
	if (history_rows_load_run(state, &m, &rows, &nrows, &err) < 0) {
		fprintf(stderr, "hookcast: %s\n", err);
		free(err);
		history_meta_free(&m);
		return HC_STATE;
	}
	if (!json)
		printf("run %s: %s, %llu delivered, %llu failed, %llu invalid "
		       "of %llu rows\n%-8s %-8s %-10s %6s %8s %10s  %s\n",
		       m.id, m.state, (unsigned long long)m.delivered,
		       (unsigned long long)m.failed,
		       (unsigned long long)m.invalid,
		       (unsigned long long)(m.valid + m.invalid), "ROW", "LINE",
		       "OUTCOME", "STATUS", "ATTEMPTS", "LATENCY", "EVENT  ERROR");
	for (size_t i = 0; i < nrows; i++) {
		const struct history_row *r = &rows[i];
		if (!history_row_matches(r, filter, search))
			continue;
		if (json) {
			json_t *o = json_pack(
				"{s:I,s:I,s:o,s:o,s:i,s:i}",
				"row", (json_int_t)r->row,
				"line", (json_int_t)r->line,
				"outcome", hc_json_str(r->outcome),
				"event", hc_json_str(r->event),
				"status", (int)r->status,
				"attempts", (int)r->attempts);
			if (r->latency_ms >= 0)
				json_object_set_new(o, "latency_ms",
						    json_real(r->latency_ms));
			json_object_set_new(o, "error", hc_json_str(r->error));
			json_object_set_new(o, "url", hc_json_str(r->url));
			if (r->request_body && r->request_body[0])
				json_object_set_new(o, "request_body",
						    hc_json_str(r->request_body));
			if (r->batch)
				json_object_set_new(o, "batch",
						    json_integer((json_int_t)r->batch));
			hc_json_puts(o, stdout);
		} else {
			char status[24] = "-", lat[40] = "-", line[24] = "-";
			if (r->line > 0)
				snprintf(line, sizeof line, "%llu",
					 (unsigned long long)r->line);
			if (r->status > 0)
				snprintf(status, sizeof status, "%ld", r->status);
			if (r->latency_ms >= 0)
				snprintf(lat, sizeof lat, "%.1fms", r->latency_ms);
			printf("%-8llu %-8s %-10s %6s %8u %10s  %-7s %s\n",
			       (unsigned long long)r->row, line, r->outcome,
			       status, r->attempts, lat,
			       r->event[0] ? r->event : "-", r->error);
		}
	}
	history_rows_free(rows, nrows);
	history_meta_free(&m);
	return HC_OK;
}

/* An unknown --filter: named, with every filter there is. */
static int bad_filter(const char *name)
{
	struct hc_buf b;
	hc_buf_init(&b);
	for (int i = 0; i < HF_COUNT; i++)
		hc_buf_printf(&b, "%s%s", i == 0 ? "" : i == HF_COUNT - 1 ? " or "
							       : ", ",
			      history_filter_name((enum history_filter)i));
	int rc = cli_usage_error("history", "unknown filter \"%s\": --filter "
				 "takes %s", name, b.data);
	hc_buf_free(&b);
	return rc;
}

int cli_history(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "failed", no_argument, NULL, 'f' },
		{ "invalid", no_argument, NULL, 'i' },
		{ "pending", no_argument, NULL, 'P' },
		{ "filter", required_argument, NULL, 'F' },
		{ "search", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int filter = HF_ALL;
	const char *search = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'f': filter = HF_FAILED; break;
		case 'i': filter = HF_INVALID; break;
		case 'P': filter = HF_PENDING; break;
		case 's': search = optarg; break;
		case 'F':
			filter = history_filter_parse(optarg);
			if (filter < 0)
				return bad_filter(optarg);
			break;
		case 'h': cli_print_help("history"); return HC_OK;
		default: return cli_bad_option("history");
		}
	}
	const char *sub = optind < argc ? argv[optind++] : "list";
	char *err = NULL;
	char *state = history_state_dir(&err);
	if (state == NULL) {
		fprintf(stderr, "hookcast: %s\n", err);
		free(err);
		return HC_STATE;
	}
	int status;
	if (strcmp(sub, "list") == 0 && optind == argc && filter == HF_ALL &&
	    search == NULL) {
		status = list_runs(state, json);
	} else if (strcmp(sub, "show") == 0 && optind + 1 == argc) {
		status = show_run(state, argv[optind],
				  (enum history_filter)filter, search, json);
	} else {
		status = cli_usage_error("history", "expected \"list\" or "
					 "\"show RUN\" (a run id from history "
					 "list, or last)");
	}
	free(state);
	return status;
}
