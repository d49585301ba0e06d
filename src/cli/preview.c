#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_preview(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "segment", required_argument, NULL, 's' },
		{ "row", required_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'a' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *segment = NULL;
	long want = 0;
	bool all = false, secrets = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:s:r:ah", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': profile = optarg; break;
		case 's': segment = optarg; break;
		case 'r':
			if (hc_parse_long(optarg, 1, 1L << 62, &want) < 0)
				return cli_usage_error("preview", "--row takes "
						       "a row number from 1");
			break;
		case 'a': all = true; break;
		case 'S': secrets = true; break;
		case 'h': cli_print_help("preview"); return HC_OK;
		default: return cli_usage_error("preview", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("preview", "unexpected argument \"%s\"",
				       argv[optind]);
	if (profile == NULL)
		return cli_usage_error("preview", "-p PROFILE is required");
	if (all && want)
		return cli_usage_error("preview", "--row and --all cannot be "
				       "used together");
	if (!all && want == 0)
		want = 1;

	struct cli_job job;
	int status = cli_job_open(&job, profile, segment);
	if (status != HC_OK)
		return status;

	struct hc_buf url, shown, why, body;
	hc_buf_init(&body);
	hc_buf_init(&url);
	hc_buf_init(&shown);
	hc_buf_init(&why);
	const char *method = request_method(job.plan);
	struct segment_row row;
	int r;
	bool found = false;
	unsigned long long rows = 0;
	while ((r = segment_next(job.seg, &row)) > 0) {
		rows = row.row;
		if (!all && (long)row.row != want)
			continue;
		found = true;
		if (request_build_body(job.plan, &row, &url, &shown, &body,
				       &why) < 0) {
			fprintf(stderr, "%s:%llu: row %llu: %s\n",
				segment_name(job.seg),
				(unsigned long long)row.line,
				(unsigned long long)row.row, why.data);
			status = HC_DATA;
		} else {
			request_print(stdout, method,
				      secrets ? url.data : shown.data, &body);
		}
		if (!all)
			break;
	}
	if (r < 0) {
		fprintf(stderr, "%s\n", segment_fatal(job.seg)->msg);
		status = HC_DATA;
	} else if (!all && !found) {
		fprintf(stderr, "%s: there is no row %ld: the segment has %llu "
			"row%s\n", segment_name(job.seg), want, rows,
			rows == 1 ? "" : "s");
		status = HC_DATA;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("hookcast: stdout");
		status = status ? status : HC_STATE;
	}
	hc_buf_free(&url);
	hc_buf_free(&shown);
	hc_buf_free(&why);
	hc_buf_free(&body);
	cli_job_close(&job);
	return status;
}
