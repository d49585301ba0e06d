#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookcast/sign.h"

int cli_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "segment", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *segment = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': profile = optarg; break;
		case 's': segment = optarg; break;
		case 'h': cli_print_help("check"); return HC_OK;
		default: return cli_bad_option("check");
		}
	}
	if (optind < argc)
		return cli_usage_error("check", "unexpected argument \"%s\"",
				       argv[optind]);
	if (profile == NULL)
		return cli_usage_error("check", "-p PROFILE is required");

	struct cli_job job;
	int status = cli_job_open(&job, profile, segment);
	if (status != HC_OK)
		return status;
	/* What a run needs before it sends: the signing secret (from the
	 * environment too) and the TLS files. */
	struct hc_msgs m;
	hc_msgs_init(&m);
	bool sign_ok;
	signer_free(signer_new(job.profile, &m, &sign_ok));
	if (!sign_ok || profile_check_files(job.profile, &m) < 0) {
		cli_print_msgs(&m);
		hc_msgs_free(&m);
		cli_job_close(&job);
		return HC_CONFIG;
	}
	hc_msgs_free(&m);

	struct hc_buf url, why;
	hc_buf_init(&url);
	hc_buf_init(&why);
	struct segment_row row;
	unsigned long long rows = 0, invalid = 0;
	int r;
	const char *name = segment_name(job.seg);
	while ((r = segment_next(job.seg, &row)) > 0) {
		rows++;
		if (request_check(job.plan, &row, &why) == 0)
			continue;
		invalid++;
		printf("%s:%llu: row %llu: %s\n", name,
		       (unsigned long long)row.line,
		       (unsigned long long)row.row, why.data);
	}
	if (r < 0) {
		printf("%s\n", segment_fatal(job.seg)->msg);
		printf("%s: stopped at a fatal error after %llu row%s; nothing "
		       "after it can be trusted\n", name, rows,
		       rows == 1 ? "" : "s");
		status = HC_DATA;
	} else {
		printf("%s: %llu row%s, %llu valid, %llu invalid\n", name,
		       rows, rows == 1 ? "" : "s", rows - invalid, invalid);
		status = invalid ? HC_DATA : HC_OK;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("hookcast: stdout");
		status = status ? status : HC_STATE;
	}
	hc_buf_free(&url);
	hc_buf_free(&why);
	cli_job_close(&job);
	return status;
}
