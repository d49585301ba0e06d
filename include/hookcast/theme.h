/*
 * theme.h: colour themes from INI files, parsed into roles. No curses here:
 * the TUI turns a struct theme into colour pairs.
 *
 * Format:
 *   [theme]
 *   name = "default"
 *   extends = "default"        ; optional: start from another theme
 *   [colors]
 *   title = "cyan default bold" ; FG [BG] [bold|dim|underline|reverse...]
 * A colour is default, black, red, green, yellow, blue, magenta, cyan,
 * white, brightNAME, colorN (0..255) or #rrggbb (mapped to the nearest
 * colour the terminal has).
 *
 * Lookup of NAME: $XDG_CONFIG_HOME/hookcast/themes/NAME.ini (else
 * ~/.config/hookcast/themes), then each folder of the search path given to
 * theme_load(). A theme that cannot be read, or names an unknown role or
 * colour, fails with a message naming the file, line and key; the caller
 * falls back to the built-in default.
 */
#ifndef HOOKCAST_THEME_H
#define HOOKCAST_THEME_H

#include <stdbool.h>
#include <stdint.h>

#include "hookcast/util.h"

enum theme_role {
	ROLE_NORMAL,
	ROLE_TITLE,
	ROLE_BORDER,
	ROLE_BORDER_FOCUS,
	ROLE_SELECTION,
	ROLE_STATUSBAR,
	ROLE_HINT_KEY,
	ROLE_ERROR,
	ROLE_WARNING,
	ROLE_SUCCESS,
	ROLE_MUTED,
	ROLE_DANGER,
	ROLE_S2XX,
	ROLE_S4XX,
	ROLE_S5XX,
	ROLE_NETERR,
	ROLE_COUNT
};

enum theme_color_kind { COLOR_DEFAULT, COLOR_INDEX, COLOR_RGB };

struct theme_color {
	enum theme_color_kind kind;
	int index;    /* COLOR_INDEX: 0..255 */
	uint32_t rgb; /* COLOR_RGB: 0xRRGGBB */
};

#define THEME_BOLD 1u
#define THEME_DIM 2u
#define THEME_UNDERLINE 4u
#define THEME_REVERSE 8u

struct theme_style {
	struct theme_color fg, bg;
	unsigned attrs;
};

struct theme {
	char name[65];
	struct theme_style role[ROLE_COUNT];
};

const char *theme_role_name(enum theme_role r);

/* The built-in default (8 ANSI colours) and mono (attributes only). */
void theme_builtin_default(struct theme *t);
void theme_builtin_mono(struct theme *t);

/* Parse "FG [BG] [attrs...]". Returns 0, or -1 with *err (caller frees). */
int theme_parse_style(const char *spec, struct theme_style *out, char **err);

/*
 * Load theme NAME into t. dirs is a NULL-terminated list of folders to
 * search after the user's; may be NULL. "default" and "mono" exist even
 * without files. Returns 0, or -1 with *err (caller frees) and t left as
 * the built-in default.
 */
int theme_load(const char *name, const char *const *dirs, struct theme *t,
	       char **err);
/* Load one theme file (for tests and the theme picker). */
int theme_load_file(const char *path, const char *const *dirs,
		    struct theme *t, char **err);

/* The index of the colour nearest to rgb among the first ncolors of the
 * xterm palette (8, 16, 88 is treated as 16, or 256). */
int theme_nearest(uint32_t rgb, int ncolors);

#endif
