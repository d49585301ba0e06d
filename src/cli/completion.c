/* hookcast completion bash|zsh|fish: shell completion scripts made from
 * the synopses `--help` prints (cli_commands()), so that the two cannot
 * drift apart. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TUI_SYNOPSIS "tui [-p PROFILE] [--theme NAME]"
#define MAX_OPTS 64
#define MAX_WORDS 8

struct opt {
	char name[64];  /* "-p", "--rate" */
	char arg[64];   /* the placeholder ("PROFILE", "N|auto"), "" none */
};

struct cmd {
	const char *name;
	struct opt opts[MAX_OPTS];
	size_t nopts;
	char words[MAX_WORDS][64]; /* subcommands: show, reset, list */
	size_t nwords;
};

static void strip(char *t)
{
	size_t a = strspn(t, "[|");
	memmove(t, t + a, strlen(t + a) + 1);
	size_t n = strlen(t);
	while (n > 0 && (t[n - 1] == ']' || t[n - 1] == '|'))
		t[--n] = '\0';
}

static bool closed(const char *tok)
{
	size_t n = strlen(tok);
	return n > 0 && (tok[n - 1] == ']' || tok[n - 1] == '|');
}

static bool all_lower(const char *t)
{
	if (*t == '\0')
		return false;
	for (; *t; t++)
		if (!islower((unsigned char)*t))
			return false;
	return true;
}

/* Options, their placeholders and the subcommand words of a synopsis
 * such as "run -p PROFILE [-s SEGMENT] [--dry-run] ...". */
static void parse_synopsis(const char *name, const char *syn, struct cmd *c)
{
	memset(c, 0, sizeof *c);
	c->name = name;
	char *copy = xstrdup(syn);
	char *toks[128];
	size_t n = 0;
	for (char *t = strtok(copy, " "); t && n < 128; t = strtok(NULL, " "))
		toks[n++] = t;
	for (size_t i = 0; i < n; i++) {
		char raw[64];
		snprintf(raw, sizeof raw, "%s", toks[i]);
		char tok[64];
		snprintf(tok, sizeof tok, "%s", raw);
		strip(tok);
		if (tok[0] == '-' && c->nopts < MAX_OPTS) {
			bool dup = false;
			for (size_t k = 0; k < c->nopts; k++)
				dup |= strcmp(c->opts[k].name, tok) == 0;
			struct opt *o = &c->opts[c->nopts];
			snprintf(o->name, sizeof o->name, "%s", tok);
			o->arg[0] = '\0';
			if (!closed(raw) && i + 1 < n && toks[i + 1][0] != '[' &&
			    toks[i + 1][0] != '-' && toks[i + 1][0] != '|') {
				char a[64];
				snprintf(a, sizeof a, "%s", toks[i + 1]);
				strip(a);
				snprintf(o->arg, sizeof o->arg, "%s", a);
				i++;
			}
			if (!dup)
				c->nopts++;
		} else if (all_lower(tok) && strcmp(tok, name) != 0 &&
			   c->nwords < MAX_WORDS) {
			bool dup = false;
			for (size_t k = 0; k < c->nwords; k++)
				dup |= strcmp(c->words[k], tok) == 0;
			if (!dup)
				snprintf(c->words[c->nwords++],
					 sizeof c->words[0], "%s", tok);
		}
	}
	free(copy);
}

/* How an option's argument completes, from its placeholder. */
enum argkind {
	ARG_FLAG,  /* the option takes none */
	ARG_NONE,  /* a value nothing can guess: N, R, URL */
	ARG_INI,   /* PROFILE */
	ARG_FILE,  /* SEGMENT, FILE */
	ARG_RUN,   /* RUN|last: a run id, or the newest run */
	ARG_WORDS, /* literal choices: auto, hex, base64 */
	ARG_KINDS
};

static enum argkind kind_of(const char *arg)
{
	if (arg[0] == '\0')
		return ARG_FLAG;
	if (strcmp(arg, "PROFILE") == 0)
		return ARG_INI;
	if (strcmp(arg, "SEGMENT") == 0 || strcmp(arg, "FILE") == 0)
		return ARG_FILE;
	if (strcmp(arg, "RUN") == 0 || strcmp(arg, "RUN|last") == 0)
		return ARG_RUN;
	for (const char *p = arg; *p; p++)
		if (islower((unsigned char)*p))
			return ARG_WORDS;
	return ARG_NONE;
}

/* The literal alternatives of a placeholder, the words that start with a
 * lowercase letter and hold only those and digits: "N|auto" -> "auto",
 * "hex|base64" -> "hex base64". */
static void words_of(const char *arg, char *out, size_t size)
{
	static const char word[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	out[0] = '\0';
	char *copy = xstrdup(arg);
	for (char *t = strtok(copy, "|"); t; t = strtok(NULL, "|")) {
		if (!islower((unsigned char)t[0]) ||
		    strspn(t, word) != strlen(t))
			continue;
		size_t l = strlen(out);
		snprintf(out + l, size - l, "%s%s", l ? " " : "", t);
	}
	free(copy);
}

/* Print fmt[kind] for an option's argument: each shell has its own
 * table; the ARG_WORDS entry takes the choices as its %s. */
static void put_arg(const char *const fmt[ARG_KINDS], const struct opt *o)
{
	enum argkind k = kind_of(o->arg);
	char w[128] = "";
	if (k == ARG_WORDS)
		words_of(o->arg, w, sizeof w);
	printf(fmt[k], w);
}

static size_t load(struct cmd *cmds, size_t max)
{
	size_t n = 0;
	parse_synopsis("tui", TUI_SYNOPSIS, &cmds[n++]);
	for (const struct cli_command *c = cli_commands(); c->name && n < max;
	     c++)
		parse_synopsis(c->name, c->synopsis, &cmds[n++]);
	return n;
}

#define RUNS_CMD                                                           \
	"hookcast history --json 2>/dev/null | sed -n "                    \
	"'s/.*\"run_id\": *\"\\([^\"]*\\)\".*/\\1/p'"

/* What each shell does with an option's argument, by kind. */
static const char *const bash_arg[ARG_KINDS] = {
	[ARG_FLAG] = "",
	[ARG_NONE] = "return ;;\n",
	[ARG_INI] = "COMPREPLY=($(compgen -f -X '!*.ini' -- \"$cur\") "
		    "$(compgen -d -- \"$cur\")); return ;;\n",
	[ARG_FILE] = "COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n",
	[ARG_RUN] = "COMPREPLY=($(compgen -W \"last $(_hookcast_runs)\" -- "
		    "\"$cur\")); return ;;\n",
	[ARG_WORDS] = "COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); "
		      "return ;;\n",
};
static const char *const fish_arg[ARG_KINDS] = {
	[ARG_FLAG] = "\n",
	[ARG_NONE] = " -x\n",
	[ARG_INI] = " -r -F\n",
	[ARG_FILE] = " -r -F\n",
	[ARG_RUN] = " -x -a 'last (__hookcast_runs)'\n",
	[ARG_WORDS] = " -x -a '%s'\n",
};
static const char *const zsh_arg[ARG_KINDS] = {
	[ARG_FLAG] = "'",
	[ARG_NONE] = ":value: '",
	[ARG_INI] = ":profile:_files -g \"*.ini\"'",
	[ARG_FILE] = ":file:_files'",
	[ARG_RUN] = ":run:_hookcast_runs'",
	[ARG_WORDS] = ":value:(%s)'",
};

static void bash_script(const struct cmd *cmds, size_t n)
{
	printf("# bash completion for hookcast, made by `hookcast completion "
	       "bash` from its --help\n"
	       "_hookcast_runs() { %s; }\n"
	       "_hookcast() {\n"
	       "    local cur=${COMP_WORDS[COMP_CWORD]} "
	       "prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i\n"
	       "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "        case ${COMP_WORDS[i]} in\n"
	       "        -p|--theme) ((i++)) ;;\n"
	       "        -*) ;;\n"
	       "        *) cmd=${COMP_WORDS[i]}; break ;;\n"
	       "        esac\n"
	       "    done\n"
	       "    case $cmd in\n"
	       "    '')\n"
	       "        case $prev in\n"
	       "        -p) COMPREPLY=($(compgen -f -X '!*.ini' -- \"$cur\") "
	       "$(compgen -d -- \"$cur\")); return ;;\n"
	       "        --theme) return ;;\n"
	       "        esac\n"
	       "        COMPREPLY=($(compgen -W \"", RUNS_CMD);
	for (size_t i = 0; i < n; i++)
		printf("%s ", cmds[i].name);
	printf("--help --version -p --theme\" -- \"$cur\")) ;;\n");
	for (size_t i = 0; i < n; i++) {
		const struct cmd *c = &cmds[i];
		printf("    %s)\n        case $prev in\n", c->name);
		for (size_t k = 0; k < c->nopts; k++) {
			const struct opt *o = &c->opts[k];
			if (kind_of(o->arg) == ARG_FLAG)
				continue;
			printf("        %s) ", o->name);
			put_arg(bash_arg, o);
		}
		if (strcmp(c->name, "history") == 0)
			printf("        show) COMPREPLY=($(compgen -W "
			       "\"last $(_hookcast_runs)\" -- \"$cur\")); "
			       "return ;;\n");
		if (strcmp(c->name, "completion") == 0)
			printf("        completion) COMPREPLY=($(compgen -W "
			       "\"bash zsh fish\" -- \"$cur\")); return ;;\n");
		printf("        esac\n        COMPREPLY=($(compgen -W \"");
		for (size_t k = 0; k < c->nwords; k++)
			if (strcmp(c->name, "completion") != 0)
				printf("%s ", c->words[k]);
		for (size_t k = 0; k < c->nopts; k++)
			printf("%s ", c->opts[k].name);
		printf("--help\" -- \"$cur\")) ;;\n");
	}
	printf("    esac\n}\ncomplete -F _hookcast hookcast\n");
}

static void fish_script(const struct cmd *cmds, size_t n)
{
	printf("# fish completion for hookcast, made by `hookcast completion "
	       "fish` from its --help\n"
	       "function __hookcast_runs\n    %s\nend\n"
	       "complete -c hookcast -f\n", RUNS_CMD);
	printf("complete -c hookcast -n __fish_use_subcommand -a '");
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", cmds[i].name);
	printf("'\n");
	for (size_t i = 0; i < n; i++) {
		const struct cmd *c = &cmds[i];
		const char *cond = "__fish_seen_subcommand_from";
		if (strcmp(c->name, "completion") == 0) {
			printf("complete -c hookcast -n '%s completion' -a 'bash "
			       "zsh fish'\n", cond);
			continue;
		}
		if (c->nwords) {
			printf("complete -c hookcast -n '%s %s' -a '", cond,
			       c->name);
			for (size_t k = 0; k < c->nwords; k++)
				printf("%s%s", k ? " " : "", c->words[k]);
			printf("'\n");
		}
		if (strcmp(c->name, "history") == 0)
			printf("complete -c hookcast -n '%s show' -a "
			       "'last (__hookcast_runs)'\n", cond);
		for (size_t k = 0; k < c->nopts; k++) {
			const struct opt *o = &c->opts[k];
			printf("complete -c hookcast -n '%s %s' %s %s", cond,
			       c->name, o->name[1] == '-' ? "-l" : "-s",
			       o->name + (o->name[1] == '-' ? 2 : 1));
			put_arg(fish_arg, o);
		}
	}
}

static void zsh_script(const struct cmd *cmds, size_t n)
{
	printf("#compdef hookcast\n# zsh completion for hookcast, made by "
	       "`hookcast completion zsh` from its --help\n"
	       "_hookcast_runs() {\n"
	       "  local -a runs\n"
	       "  runs=(last ${(f)\"$(%s)\"})\n"
	       "  _describe 'run' runs\n}\n"
	       "_hookcast() {\n"
	       "  local curcontext=$curcontext state line\n"
	       "  _arguments -C '1:command:->cmd' '*::arg:->args'\n"
	       "  case $state in\n"
	       "  cmd)\n    local -a cmds\n    cmds=(\n", RUNS_CMD);
	for (size_t i = 0; i < n; i++)
		printf("      '%s'\n", cmds[i].name);
	printf("    )\n    _describe 'command' cmds ;;\n  args)\n"
	       "    case $line[1] in\n");
	for (size_t i = 0; i < n; i++) {
		const struct cmd *c = &cmds[i];
		printf("    %s)\n      _arguments", c->name);
		if (strcmp(c->name, "completion") == 0) {
			printf(" '1:shell:(bash zsh fish)' ;;\n");
			continue;
		}
		for (size_t k = 0; k < c->nopts; k++) {
			const struct opt *o = &c->opts[k];
			printf(" \\\n        '%s", o->name);
			put_arg(zsh_arg, o);
		}
		if (c->nwords) {
			printf(" \\\n        '1:subcommand:(");
			for (size_t k = 0; k < c->nwords; k++)
				printf("%s%s", k ? " " : "", c->words[k]);
			printf(")'");
			if (strcmp(c->name, "history") == 0)
				printf(" \\\n        '2:run:_hookcast_runs'");
		}
		printf(" ;;\n");
	}
	printf("    esac ;;\n  esac\n}\n_hookcast \"$@\"\n");
}

int cli_completion(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		cli_print_help("completion");
		return HC_OK;
	}
	if (argc != 2)
		return cli_usage_error("completion", "name a shell: bash, zsh "
				       "or fish");
	struct cmd *cmds = xcalloc(32, sizeof *cmds);
	size_t n = load(cmds, 32);
	int rc = HC_OK;
	if (strcmp(argv[1], "bash") == 0)
		bash_script(cmds, n);
	else if (strcmp(argv[1], "zsh") == 0)
		zsh_script(cmds, n);
	else if (strcmp(argv[1], "fish") == 0)
		fish_script(cmds, n);
	else
		rc = cli_usage_error("completion", "\"%s\" is not bash, zsh or "
				     "fish", argv[1]);
	free(cmds);
	return rc;
}
