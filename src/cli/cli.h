/*
 * cli.h: the headless front end. Each command takes its own argv (argv[0]
 * is the command name) and returns an exit status from enum hc_status.
 */
#ifndef HOOKCAST_CLI_H
#define HOOKCAST_CLI_H

#include <stdbool.h>

#include "hookcast/profile.h"
#include "hookcast/request.h"
#include "hookcast/segment.h"
#include "hookcast/util.h"

int cli_preview(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_history(int argc, char **argv);
int cli_sink(int argc, char **argv);
int cli_plan(int argc, char **argv);
int cli_state(int argc, char **argv);
int cli_completion(int argc, char **argv);

/* What most commands need: a profile, its compiled plan and its segment. */
struct cli_job {
	struct profile *profile;
	struct request_plan *plan;
	struct segment *seg;
	char *segment_path;
};

/*
 * Load the profile, compile its plan, open the segment (segment_override
 * when not NULL, else the profile's) and bind the mappings. Prints every
 * message to stderr. Returns HC_OK, or the exit status to stop with.
 */
int cli_job_open(struct cli_job *job, const char *profile_path,
		 const char *segment_override);
void cli_job_close(struct cli_job *job);

/* Print errors as they are and warnings with "warning: ", to stderr. */
void cli_print_msgs(const struct hc_msgs *msgs);

/* The usage of one command, for --help and for usage errors. */
struct cli_command {
	const char *name;
	const char *synopsis;
	const char *summary;
	int (*run)(int argc, char **argv);
};

const struct cli_command *cli_commands(void);
const struct cli_command *cli_find(const char *name);
/* Print "usage: hookcast SYNOPSIS" and return HC_CONFIG. */
int cli_usage_error(const char *name, const char *fmt, ...) HC_PRINTF(2, 3);
/* The usage line alone, after getopt has said what is wrong (it names
 * the option: "hookcast run: unrecognized option '--bogus'"). */
int cli_bad_option(const char *name);
/* --shard K/N or auto (from the scheduler's environment): 0, or the exit
 * status with the reason said. */
int cli_parse_shard(const char *cmd, const char *arg, unsigned *k,
		    unsigned *n);
void cli_print_help(const char *name);

#endif
