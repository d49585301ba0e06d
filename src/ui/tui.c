/* The TUI's loop, key dispatch, start and signals. The chrome is in
 * chrome.c, the state changes in app.c, screens in scr_*.c. */
#include "tui.h"

#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hookcast/sigpipe.h"

static const struct screen_ops *const screens[SCR_COUNT] = {
	&screen_destination, &screen_segment, &screen_mappings,
	&screen_activate,    &screen_progress, &screen_history,
};

/* Restoring the terminal after a crash needs the modes from before curses
 * took over, and the handlers from before ours (a sanitizer's report);
 * the handler can only reach them through globals. */
static struct termios saved_tty;
static bool saved_tty_ok;
static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define NCRASH (sizeof crash_sigs / sizeof crash_sigs[0])
static struct sigaction crash_old[NCRASH];

static void on_crash(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (saved_tty_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	static const char reset[] = "\033[0m\033[?25h\033[?1049l\r\n";
	(void)!write(STDOUT_FILENO, reset, sizeof reset - 1);
	/* A signal that was sent (kill, abort) kills as it would have. A
	 * fault goes to the handler that was there before (the default, or a
	 * sanitizer's that reports it): it happens again when this returns,
	 * with its own context. */
	if (si == NULL || si->si_code <= 0) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	for (size_t i = 0; i < NCRASH; i++)
		if (crash_sigs[i] == sig)
			sigaction(sig, &crash_old[i], NULL);
}

static void install_crash_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_crash;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	for (size_t i = 0; i < NCRASH; i++)
		sigaction(crash_sigs[i], &sa, &crash_old[i]);
}

void app_go(struct app *a, enum screen_id s)
{
	if (s >= SCR_COUNT)
		return;
	if (a->edit.le) /* leaving a screen leaves its field as it is */
		field_key(a, '\r');
	a->screen = s;
	if (screens[s]->enter)
		screens[s]->enter(a);
	a->need_redraw = true;
}

void tui_draw_now(struct app *a)
{
	chrome_draw(a, screens);
}

static void on_signal(struct app *a, int sig)
{
	(void)sig;
	a->sigcount++;
	if (a->run_active) {
		if (a->sigcount == 1)
			activation_stop(a->run, true);
		else
			activation_abort(a->run, true);
	}
	a->quit = true; /* once the run has ended, see the loop */
}

static int global_action(struct app *a, int action)
{
	switch (action) {
	case G_HELP:
		a->show_help = true;
		a->help_top = 0;
		return H_REDRAW;
	case G_REDRAW:
		clearok(curscr, TRUE);
		return H_REDRAW;
	case G_HISTORY:
		app_go(a, SCR_HISTORY);
		return H_REDRAW;
	case G_SAVE:
	case G_SAVE_AS:
		app_save(a, action == G_SAVE_AS, false);
		return H_REDRAW;
	case G_OPEN:
		app_ask_open(a);
		return H_REDRAW;
	case G_THEME:
		app_pick_theme(a);
		return H_REDRAW;
	case G_UNDO:
		if (!app_undo(a))
			app_flash(a, ROLE_MUTED, "nothing to undo");
		return H_REDRAW;
	case G_BACK:
		if (a->screen == SCR_DESTINATION)
			app_ask_quit(a);
		else if (a->screen == SCR_HISTORY && a->hist_open)
			a->hist_open = false;
		else
			app_go(a, a->screen == SCR_HISTORY ? SCR_ACTIVATE
							   : a->screen - 1);
		return H_REDRAW;
	default:
		if (action >= G_STEP1 && action <= G_STEP6) {
			app_go(a, (enum screen_id)(action - G_STEP1));
			return H_REDRAW;
		}
		return H_NONE;
	}
}

static int find_action(const struct keybind *t, int key)
{
	for (const struct keybind *k = t; k && k->action; k++)
		if (k->key == key || (k->key2 && k->key2 == key))
			return k->action;
	return 0;
}

/* A key of the screen's table, when the screen says it works now; a key
 * may mean one thing while a run goes on and another after it. */
static int screen_action(struct app *a, int key)
{
	const struct screen_ops *s = screens[a->screen];
	for (const struct keybind *k = s->keys; k && k->action; k++) {
		if (k->key != key && !(k->key2 && k->key2 == key))
			continue;
		if (s->avail && !s->avail(a, k->action))
			continue;
		return s->action(a, k->action);
	}
	return H_NONE;
}

static void help_key(struct app *a, int key)
{
	if (key == KEY_DOWN || key == 'j')
		a->help_top++;
	else if (key == KEY_UP || key == 'k')
		a->help_top = a->help_top > 0 ? a->help_top - 1 : 0;
	else if (key == KEY_NPAGE || key == CTRL('f') || key == ' ')
		a->help_top += LINES - 8;
	else if (key == KEY_PPAGE || key == CTRL('b'))
		a->help_top = a->help_top > LINES - 8 ? a->help_top - (LINES - 8)
						      : 0;
	else
		a->show_help = false;
	a->need_redraw = true;
}

/*
 * One key, in this order: a terminal too small takes only q (and the
 * answer to its question); an open dialog, the row view and the help
 * come next; a field in typing mode takes every key but Ctrl-C; then, in
 * moving mode, the screen's own keys and the global ones.
 */
static void handle_key(struct app *a, int key)
{
	if (key == KEY_RESIZE) {
		a->need_redraw = true;
		return;
	}
	if (key == CTRL('c')) {
		on_signal(a, SIGINT);
		return;
	}
	a->need_redraw = true;
	if (chrome_too_small()) {
		if (a->dlg.kind == DLG_CHOICE && a->dlg.quit)
			dialog_key(a, key);
		else if (key == 'q' && a->dlg.kind == DLG_NONE)
			app_ask_quit(a);
		return; /* nothing else moves what cannot be seen */
	}
	if (a->dlg.kind != DLG_NONE) {
		dialog_key(a, key);
		return;
	}
	if (a->show_help) {
		help_key(a, key);
		return;
	}
	if (a->rv.open) {
		rowview_key(a, key);
		return;
	}
	if (a->edit.le) {
		if (field_key(a, key) == FIELD_TAB)
			screen_action(a, '\t');
		return;
	}
	const struct screen_ops *s = screens[a->screen];
	int r = s->input ? s->input(a, key) : H_NONE;
	if (r == H_NONE)
		r = screen_action(a, key);
	if (r == H_NONE) {
		int act = find_action(global_keys, key);
		if (act)
			global_action(a, act);
	}
}

/* ---- start ---- */

static char *exe_dir_themes(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return xstrdup("themes");
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return xasprintf("%s/themes", buf);
}

static void app_free(struct app *a)
{
	if (a->run && a->run_active)
		activation_abort(a->run, true);
	activation_free(a->run);
	probe_free(a->probe);
	request_plan_free(a->plan);
	hc_msgs_free(&a->plan_msgs);
	seg_view_free(&a->sv);
	profile_free(a->profile);
	free(a->profile_path);
	le_free(&a->url_edit);
	le_free(&a->timeout_edit);
	le_free(&a->seg_edit);
	le_free(&a->conc_edit);
	le_free(&a->rate_edit);
	le_free(&a->attempts_edit);
	le_free(&a->threads_edit);
	dialog_reset(&a->dlg);
	rowview_close(a);
	app_free_undo(a);
	free(a->edit.before);
	free(a->map_column);
	free(a->wrap_aside);
	free(a->sync_plan_seg);
	free(a->samples.sent);
	free(a->samples.errors);
	history_list_free(a->runs, a->nruns);
	history_rows_free(a->hrows, a->nhrows);
	free(a->hview);
	for (size_t i = 0; i < a->ncompletions; i++)
		free(a->completions[i]);
	free(a->completions);
	if (a->idle)
		curl_multi_cleanup(a->idle);
}

int tui_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "theme", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *theme = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': profile = optarg; break;
		case 't': theme = optarg; break;
		case 'h':
			printf("usage: hookcast tui [-p PROFILE] [--theme NAME]\n\n"
			       "the interactive wizard: destination, segment, "
			       "mappings, test, activation, history.\n");
			return HC_OK;
		default:
			fprintf(stderr, "usage: hookcast tui [-p PROFILE] "
				"[--theme NAME]\n");
			return HC_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hookcast: unexpected argument \"%s\"\nusage: "
			"hookcast tui [-p PROFILE] [--theme NAME]\n", argv[optind]);
		return HC_CONFIG;
	}
	if (!tui_usable_terminal()) {
		fprintf(stderr, "hookcast: the interface needs a terminal that "
			"can move the cursor (stdin and stdout a tty, TERM set, "
			"not dumb); without one, use: hookcast run -p PROFILE\n");
		return HC_CONFIG;
	}

	struct app app;
	struct app *a = &app;
	memset(a, 0, sizeof *a);
	a->profile = profile_new();
	hc_msgs_init(&a->plan_msgs);
	le_init(&a->url_edit, "");
	le_init(&a->timeout_edit, "");
	le_init(&a->seg_edit, "");
	le_init(&a->conc_edit, "");
	le_init(&a->rate_edit, "");
	le_init(&a->attempts_edit, "");
	le_init(&a->threads_edit, "");
	a->plan_stale = true;
	char *exe_themes = exe_dir_themes();
	const char *dirs[] = { exe_themes, HOOKCAST_DATADIR "/themes", "themes",
			       NULL };
	a->theme_dirs = dirs;
	const char *nc = getenv("NO_COLOR");
	a->no_color = nc && *nc;
	a->idle = curl_multi_init();

	int sigfd = sigpipe_install(0);
	if (tcgetattr(STDIN_FILENO, &saved_tty) == 0)
		saved_tty_ok = true;
	install_crash_handlers();
	setenv("ESCDELAY", "25", 0);
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (scr == NULL) {
		fprintf(stderr, "hookcast: cannot start the terminal interface; "
			"use: hookcast run -p PROFILE\n");
		app_free(a);
		free(exe_themes);
		return HC_CONFIG;
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	if (profile && app_open_profile(a, profile, false) < 0)
		a->quit = false;
	else if (!profile)
		app_load_editors(a);
	a->theme_forced = theme != NULL;
	app_apply_theme(a, theme ? theme : a->profile->theme);
	if (!profile)
		app_offer_profiles(a, true);
	app_go(a, SCR_DESTINATION);
	/* A first start with nothing to open: type the URL right away (the
	 * field shows it is being typed in; Esc leaves it). */
	if (!profile && a->dlg.kind == DLG_NONE)
		destination_type_url(a);

	double last_draw = 0;
	struct curl_waitfd fds[2] = {
		{ .fd = STDIN_FILENO, .events = CURL_WAIT_POLLIN },
		{ .fd = sigfd, .events = CURL_WAIT_POLLIN },
	};
	while (!a->quit || a->run_active) {
		double now = app_now();
		int wait = a->sv.path ? 1000 : 2000; /* 1 s: seg_watch() */
		if (a->run_active || (a->probe && !a->probe_told))
			wait = 100;
		if (a->sv.counter && !a->sv.count_done)
			wait = 0;
		if (a->need_redraw) {
			double since = now - last_draw;
			int w = since >= 0.1 ? 0 : (int)((0.1 - since) * 1000) + 1;
			if (w < wait)
				wait = w;
		}
		if (a->flash[0] && a->flash_until > now) {
			int w = (int)((a->flash_until - now) * 1000) + 1;
			if (w < wait)
				wait = w;
		}
		if (a->run_active) {
			if (!activation_step(a->run, fds, 2, wait))
				app_finish_run(a);
			else
				app_sample_run(a, false);
		} else if (a->probe && !a->probe_told) {
			if (!probe_step(a->probe, fds, 2, wait))
				activate_probe_done(a);
		} else {
			curl_multi_poll(a->idle, fds, 2, wait, NULL);
		}
		int sig;
		while ((sig = sigpipe_next()) != 0)
			on_signal(a, sig);
		wint_t wc;
		int r;
		while ((r = get_wch(&wc)) != ERR) {
			int key = r == KEY_CODE_YES ? (int)wc
				  : wc < 128	    ? (int)wc
						    : (int)wc | UI_WIDE;
			handle_key(a, key);
		}
		if (a->sv.counter && !a->sv.count_done)
			seg_count_step(a, 0.015);
		seg_watch(a);
		now = app_now();
		if (a->run_active && now - last_draw >= 0.1)
			a->need_redraw = true;
		if (a->flash[0] && now >= a->flash_until) {
			a->flash[0] = '\0';
			a->need_redraw = true;
		}
		if (a->need_redraw && now - last_draw >= 0.1) {
			a->need_redraw = false;
			last_draw = now;
			chrome_draw(a, screens);
		}
	}
	endwin();
	delscreen(scr);
	int status = HC_OK;
	if (a->run) {
		status = a->run_status;
		fprintf(stderr, "hookcast: run %s %s (exit status %d)\n",
			a->run_id, activation_final_state(a->run), status);
		if (status == HC_INTERRUPTED || status == HC_STOPPED)
			fprintf(stderr, "resume with: hookcast run --resume %s\n",
				a->run_id);
	} else if (a->sigcount > 0) {
		status = HC_INTERRUPTED;
	}
	app_free(a);
	free(exe_themes);
	return status;
}
