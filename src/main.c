/* hookcast: send one HTTP request per segment row to a webhook. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ui/tui.h"
#include "hookcast/util.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: hookcast [tui] [-p PROFILE] [--theme NAME]\n"
		"       hookcast COMMAND [OPTIONS]\n\n"
		"With no command, hookcast opens the interactive wizard.\n\n"
		"commands:\n"
		"  %-9s %s\n", "tui", "the interactive wizard: hookcast tui "
		"[-p PROFILE] [--theme NAME]");
	for (const struct cli_command *c = cli_commands(); c->name; c++)
		fprintf(out, "  %-9s %s\n", c->name, c->summary);
	fprintf(out, "\n`hookcast COMMAND --help` shows a command's options."
		"\n\nprofile sections (an INI file; `man hookcast` and README.md "
		"describe every key):\n"
		"  [destination] url, method, headerN, ca_file, client_cert, "
		"client_key, http_version\n"
		"  [segment]     file, delimiter, field_max\n"
		"  [static]      paramN = \"key=value\"\n"
		"  [mappings]    mapN = \"query key=column\"\n"
		"  [body]        format (none, json, form, ndjson), fieldN = "
		"\"path[:type]=column\",\n"
		"                constN = \"path[:type]=value\", batch_size, "
		"batch_bytes, batch_wrap\n"
		"  [signing]     scheme (standard-webhooks, hmac-sha256), secret, "
		"header, prefix, encoding\n"
		"  [delivery]    concurrency, threads (auto, 1..64), rate, "
		"max_attempts, timeout,\n"
		"                idempotency_header, empty_values, ...\n"
		"  [sync]        mode (all, changes, mirror), key, added_method, "
		"changed_method, removed_method, event_param\n"
		"\nexit status:\n");
	static const int statuses[] = { HC_OK, HC_UNDELIVERED, HC_CONFIG,
					HC_DATA, HC_STATE, HC_STOPPED,
					HC_INTERRUPTED };
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		fprintf(out, "  %3d  %s\n", statuses[i],
			hc_status_text(statuses[i]));
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C"); /* numbers in profiles use '.' */

	/* getopt names the program in its messages: "hookcast run:
	 * unrecognized option '--bogus'" */
	char prog[64];
	argv[0] = "hookcast";
	if (argc < 2)
		return tui_main(argc, argv);
	const char *cmd = argv[1];
	snprintf(prog, sizeof prog, "hookcast %s", cmd);
	if (strcmp(cmd, "tui") == 0) {
		argv[1] = prog;
		return tui_main(argc - 1, argv + 1);
	}
	/* hookcast [-p PROFILE] [--theme NAME]: the wizard's own options
	 * with no command name in front. */
	if (strncmp(cmd, "-p", 2) == 0 || strncmp(cmd, "--profile", 9) == 0 ||
	    strncmp(cmd, "--theme", 7) == 0)
		return tui_main(argc, argv);
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return HC_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("hookcast %s\n", HOOKCAST_VERSION);
		return HC_OK;
	}
	const struct cli_command *c = cli_find(cmd);
	if (c == NULL) {
		fprintf(stderr, "hookcast: unknown command \"%s\"\n\n", cmd);
		usage(stderr);
		return HC_CONFIG;
	}
	argv[1] = prog;
	return c->run(argc - 1, argv + 1);
}
