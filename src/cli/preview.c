#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookcast/sign.h"

int cli_preview(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "segment", required_argument, NULL, 's' },
		{ "row", required_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'a' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "headers", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *segment = NULL;
	long want = 0;
	bool all = false, secrets = false, headers = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:s:r:aHh", longopts, NULL)) != -1) {
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
		case 'H': headers = true; break;
		case 'h': cli_print_help("preview"); return HC_OK;
		default: return cli_bad_option("preview");
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

	/* --headers: the signature is made as a run would (the secret is
	 * needed then, and never printed) */
	struct hc_signer *signer = NULL;
	if (headers) {
		struct hc_msgs msgs;
		hc_msgs_init(&msgs);
		bool ok = true;
		signer = signer_new(job.profile, &msgs, &ok);
		cli_print_msgs(&msgs);
		hc_msgs_free(&msgs);
		if (!ok) {
			cli_job_close(&job);
			return HC_CONFIG;
		}
	}
	const struct profile *p = job.profile;
	/* a batch's key and signature are the batch's, and a sync's key
	 * depends on the row's event: the run's dry run shows them */
	const char *note = p->batch_size > 1
				   ? "per batch: hookcast run --dry-run "
				     "--headers shows it"
			   : p->sync_mode != PROFILE_SYNC_ALL
				   ? "per event: hookcast run --dry-run "
				     "--headers shows it"
				   : NULL;
	struct request_show show = {
		.plan = job.plan, .signer = signer,
		.key_header = p->idempotency_header, .secrets = secrets,
		.key_note = note,
		.sig_note = note && signer && (p->batch_size > 1 ||
					       signer_uses_id(signer))
				    ? note : NULL,
	};

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
			char key[65] = "";
			if (headers && profile_wants_key(p) && !show.key_note)
				request_row_key(job.plan, &row, key);
			request_print(stdout, method,
				      secrets ? url.data : shown.data, &body,
				      headers ? &show : NULL, key);
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
	signer_free(signer);
	cli_job_close(&job);
	return status;
}
