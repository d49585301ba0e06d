/* hookcast plan: what a sync would send, counted; and hookcast state:
 * show or reset what a profile's sync has recorded. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hookcast/activation.h"
#include "hookcast/history.h"
#include "hookcast/json.h"
#include "hookcast/sync.h"

int cli_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "segment", required_argument, NULL, 's' },
		{ "shard", required_argument, NULL, 'k' },
		{ "full", no_argument, NULL, 'U' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct activation_opts o = { .rate = -1, .plan_only = true };
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o.profile_path = optarg; break;
		case 's': o.segment_override = optarg; break;
		case 'k':
			if (cli_parse_shard("plan", optarg, &o.shard_k, &o.shard_n))
				return HC_CONFIG;
			break;
		case 'U': o.full = true; break;
		case 'j': json = true; break;
		case 'h': cli_print_help("plan"); return HC_OK;
		default: return cli_bad_option("plan");
		}
	}
	if (optind < argc)
		return cli_usage_error("plan", "unexpected argument \"%s\"",
				       argv[optind]);
	if (o.profile_path == NULL)
		return cli_usage_error("plan", "-p PROFILE is required");
	struct hc_msgs msgs;
	hc_msgs_init(&msgs);
	int status;
	struct activation *a = activation_new(&o, &msgs, &status);
	cli_print_msgs(&msgs);
	hc_msgs_free(&msgs);
	if (a == NULL)
		return status;
	struct activation_stats s;
	activation_get_stats(a, &s);
	if (json) {
		hc_json_puts(json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:o}",
				       "added", (json_int_t)s.added,
				       "changed", (json_int_t)s.changed,
				       "removed", (json_int_t)s.removed,
				       "unchanged", (json_int_t)s.unchanged,
				       "invalid", (json_int_t)s.invalid,
				       "reason", hc_json_str(s.sync_note),
				       "state", hc_json_str(s.state_path)),
			     stdout);
	} else {
		printf("added %llu, changed %llu, removed %llu, unchanged %llu, "
		       "invalid %llu\n", (unsigned long long)s.added,
		       (unsigned long long)s.changed,
		       (unsigned long long)s.removed,
		       (unsigned long long)s.unchanged,
		       (unsigned long long)s.invalid);
		if (s.sync_note[0])
			printf("%s\n", s.sync_note);
		const struct profile *p = activation_profile(a);
		printf("would send: %llu %s (added), %llu %s (changed), %llu "
		       "%s (removed)\n", (unsigned long long)s.added,
		       profile_event_method(p, EV_ADDED),
		       (unsigned long long)s.changed,
		       profile_event_method(p, EV_CHANGED),
		       (unsigned long long)s.removed,
		       profile_event_method(p, EV_REMOVED));
	}
	activation_free(a);
	if (fflush(stdout) != 0)
		return HC_STATE;
	return HC_OK;
}

/* ---- state ---- */

static char *state_file(const char *profile, unsigned k, unsigned n,
			char **err)
{
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct profile *p = profile_load(profile, &m);
	cli_print_msgs(&m);
	hc_msgs_free(&m);
	if (p == NULL)
		return NULL;
	profile_free(p);
	char *state = history_state_dir(err);
	if (state == NULL)
		return NULL;
	char abs[4096];
	const char *pa = realpath(profile, abs) ? abs : profile;
	char *path = sync_store_path(state, pa, k, n);
	free(state);
	return path;
}

static int state_show(const char *path, bool json)
{
	char *err = NULL;
	struct sync_store *s = sync_store_open(path, false, false, &err);
	if (s == NULL && err) {
		fprintf(stderr, "hookcast: %s\n", err);
		free(err);
		return HC_STATE;
	}
	uint64_t n = s ? sync_store_count(s) : 0;
	const char *names[] = { "last_sync", "last_run", "shard", "key_columns",
				"profile", "open_run" };
	enum { NVALS = sizeof names / sizeof names[0] };
	char *vals[NVALS];
	for (int i = 0; i < NVALS; i++)
		vals[i] = xstrdup(s ? sync_store_meta(s, names[i]) : "");
	if (json) {
		json_t *o = json_pack("{s:o,s:b,s:I}", "state", hc_json_str(path),
				      "exists", s != NULL, "keys", (json_int_t)n);
		for (int i = 0; i < NVALS; i++)
			json_object_set_new(o, names[i], hc_json_str(vals[i]));
		hc_json_puts(o, stdout);
	} else if (s == NULL) {
		printf("%s: no sync state yet: the next run sends every row as "
		       "added (or record what the receiver has with hookcast run "
		       "--baseline)\n", path);
	} else {
		printf("state:     %s\nkeys:      %llu\nlast sync: %s\nlast run:  "
		       "%s\nkey:       %s\nshard:     %s\n", path,
		       (unsigned long long)n, vals[0][0] ? vals[0] : "-",
		       vals[1][0] ? vals[1] : "-", vals[3][0] ? vals[3] : "-",
		       vals[2][0] ? vals[2] : "-");
		if (vals[5][0])
			printf("open run:  %s (sending now, or it did not "
			       "finish: the next run records what its state "
			       "log holds)\n", vals[5]);
	}
	for (int i = 0; i < NVALS; i++)
		free(vals[i]);
	sync_store_close(s);
	return HC_OK;
}

static int reset_locked(const char *path, bool yes)
{
	if (!yes) {
		if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
			fprintf(stderr, "hookcast: resetting forgets what every "
				"record was last sent as, so the next run sends "
				"every row again; without a terminal to "
				"confirm, add --yes\n");
			return HC_CONFIG;
		}
		fprintf(stderr, "Reset %s? The next run sends every row again "
			"(as added). Type yes to confirm: ", path);
		char line[16];
		if (fgets(line, sizeof line, stdin) == NULL ||
		    strcmp(line, "yes\n") != 0) {
			fprintf(stderr, "not confirmed: nothing was changed\n");
			return HC_CONFIG;
		}
	}
	char *err = NULL;
	if (sync_store_remove(path, &err) < 0) {
		fprintf(stderr, "hookcast: %s\n", err);
		free(err);
		return HC_STATE;
	}
	printf("%s: reset; the next run sends every row as added\n", path);
	return HC_OK;
}

/* The whole profile's run lock, so that no run (of any shard) is writing
 * to the state while it is removed: 0 with fd held, else the exit status
 * (said). */
static int lock_profile(const char *profile, int fd[2])
{
	char *err = NULL, *holder = NULL;
	char *state = history_state_dir(&err);
	char abs[4096];
	const char *pa = realpath(profile, abs) ? abs : profile;
	int r = state ? history_lock(state, pa, 0, 0, "state reset", fd,
				     &holder, &err)
		      : -1;
	free(state);
	if (r == 1) {
		fprintf(stderr, "hookcast: a run of %s is in progress (%s); "
			"wait for it, or stop it first: nothing was reset\n",
			pa, holder);
		free(holder);
		return HC_CONFIG;
	}
	if (r < 0) {
		fprintf(stderr, "hookcast: %s\n", err);
		free(err);
		return HC_STATE;
	}
	return 0;
}

static int state_reset(const char *path, const char *profile, bool yes)
{
	if (access(path, F_OK) < 0) {
		printf("%s: no sync state to reset\n", path);
		return HC_OK;
	}
	int fd[2] = { -1, -1 };
	int rc = lock_profile(profile, fd);
	if (rc != 0)
		return rc;
	rc = reset_locked(path, yes);
	close(fd[0]);
	return rc;
}

int cli_state(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "shard", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL;
	unsigned k = 0, n = 0;
	bool json = false, yes = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': profile = optarg; break;
		case 'k':
			if (cli_parse_shard("state", optarg, &k, &n))
				return HC_CONFIG;
			break;
		case 'j': json = true; break;
		case 'y': yes = true; break;
		case 'h': cli_print_help("state"); return HC_OK;
		default: return cli_bad_option("state");
		}
	}
	const char *sub = optind < argc ? argv[optind++] : NULL;
	if (sub == NULL || optind < argc ||
	    (strcmp(sub, "show") != 0 && strcmp(sub, "reset") != 0))
		return cli_usage_error("state", "expected \"show\" or \"reset\"");
	if (profile == NULL)
		return cli_usage_error("state", "-p PROFILE is required");
	char *err = NULL;
	char *path = state_file(profile, k, n, &err);
	if (path == NULL) {
		if (err) {
			fprintf(stderr, "hookcast: %s\n", err);
			free(err);
			return HC_STATE;
		}
		return HC_CONFIG;
	}
	int status = strcmp(sub, "show") == 0 ? state_show(path, json)
					     : state_reset(path, profile, yes);
	free(path);
	return status;
}
