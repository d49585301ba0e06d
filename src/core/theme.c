#include "hookcast/theme.h"

#include <ctype.h>
#include <iniparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hookcast/ini.h"

static const char *const role_names[ROLE_COUNT] = {
	"normal", "title", "border", "border_focus", "selection", "statusbar",
	"hint_key", "error", "warning", "success", "muted", "danger", "s2xx",
	"s4xx", "s5xx", "neterr",
};

static const char *const color_names[8] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

const char *theme_role_name(enum theme_role r)
{
	return (unsigned)r < ROLE_COUNT ? role_names[r] : "?";
}

static void set(struct theme *t, enum theme_role r, int fg, int bg,
		unsigned attrs)
{
	struct theme_style *s = &t->role[r];
	s->fg.kind = fg < 0 ? COLOR_DEFAULT : COLOR_INDEX;
	s->fg.index = fg < 0 ? 0 : fg;
	s->bg.kind = bg < 0 ? COLOR_DEFAULT : COLOR_INDEX;
	s->bg.index = bg < 0 ? 0 : bg;
	s->attrs = attrs;
}

void theme_builtin_default(struct theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "default");
	set(t, ROLE_NORMAL, -1, -1, 0);
	set(t, ROLE_TITLE, 6, -1, THEME_BOLD);
	set(t, ROLE_BORDER, -1, -1, THEME_DIM);
	set(t, ROLE_BORDER_FOCUS, 6, -1, THEME_BOLD);
	set(t, ROLE_SELECTION, 0, 6, 0);
	set(t, ROLE_STATUSBAR, -1, -1, THEME_REVERSE);
	set(t, ROLE_HINT_KEY, 3, -1, THEME_BOLD);
	set(t, ROLE_ERROR, 1, -1, THEME_BOLD);
	set(t, ROLE_WARNING, 3, -1, 0);
	set(t, ROLE_SUCCESS, 2, -1, 0);
	set(t, ROLE_MUTED, -1, -1, THEME_DIM);
	set(t, ROLE_DANGER, 7, 1, THEME_BOLD);
	set(t, ROLE_S2XX, 2, -1, 0);
	set(t, ROLE_S4XX, 3, -1, THEME_BOLD);
	set(t, ROLE_S5XX, 1, -1, THEME_BOLD);
	set(t, ROLE_NETERR, 5, -1, THEME_BOLD);
}

void theme_builtin_mono(struct theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "mono");
	static const unsigned attrs[ROLE_COUNT] = {
		[ROLE_TITLE] = THEME_BOLD,
		[ROLE_BORDER_FOCUS] = THEME_BOLD,
		[ROLE_SELECTION] = THEME_REVERSE,
		[ROLE_STATUSBAR] = THEME_REVERSE,
		[ROLE_HINT_KEY] = THEME_BOLD,
		[ROLE_ERROR] = THEME_BOLD,
		[ROLE_WARNING] = THEME_UNDERLINE,
		[ROLE_MUTED] = THEME_DIM,
		[ROLE_DANGER] = THEME_BOLD | THEME_REVERSE,
		[ROLE_S4XX] = THEME_BOLD,
		[ROLE_S5XX] = THEME_BOLD,
		[ROLE_NETERR] = THEME_BOLD,
	};
	for (int r = 0; r < ROLE_COUNT; r++)
		set(t, (enum theme_role)r, -1, -1, attrs[r]);
}

static int parse_color(const char *w, struct theme_color *c)
{
	memset(c, 0, sizeof *c);
	if (strcasecmp(w, "default") == 0) {
		c->kind = COLOR_DEFAULT;
		return 0;
	}
	bool bright = strncasecmp(w, "bright", 6) == 0;
	const char *base = bright ? w + 6 : w;
	for (int i = 0; i < 8; i++)
		if (strcasecmp(base, color_names[i]) == 0) {
			c->kind = COLOR_INDEX;
			c->index = i + (bright ? 8 : 0);
			return 0;
		}
	long v;
	if (strncasecmp(w, "color", 5) == 0 &&
	    hc_parse_long(w + 5, 0, 255, &v) == 0) {
		c->kind = COLOR_INDEX;
		c->index = (int)v;
		return 0;
	}
	if (w[0] == '#' && strlen(w) == 7) {
		for (int i = 1; i < 7; i++)
			if (!isxdigit((unsigned char)w[i]))
				return -1;
		c->kind = COLOR_RGB;
		c->rgb = (uint32_t)strtoul(w + 1, NULL, 16);
		return 0;
	}
	return -1;
}

int theme_parse_style(const char *spec, struct theme_style *out, char **err)
{
	memset(out, 0, sizeof *out);
	char *copy = xstrdup(spec);
	int ncolors = 0;
	int rc = 0;
	char *save = NULL;
	for (char *w = strtok_r(copy, " \t,", &save); w;
	     w = strtok_r(NULL, " \t,", &save)) {
		static const struct {
			const char *name;
			unsigned bit;
		} attrs[] = { { "bold", THEME_BOLD }, { "dim", THEME_DIM },
			      { "underline", THEME_UNDERLINE },
			      { "reverse", THEME_REVERSE } };
		bool is_attr = false;
		for (size_t i = 0; i < 4; i++)
			if (strcasecmp(w, attrs[i].name) == 0) {
				out->attrs |= attrs[i].bit;
				is_attr = true;
			}
		if (is_attr)
			continue;
		struct theme_color c;
		if (ncolors >= 2 || parse_color(w, &c) < 0) {
			struct hc_buf b;
			hc_buf_init(&b);
			hc_buf_add_quoted(&b, w, strlen(w));
			*err = ncolors >= 2
				       ? xasprintf("%s: a style has at most two "
						   "colours (FG BG)", b.data)
				       : xasprintf("%s is not a colour (default, "
						   "black..white, brightNAME, "
						   "colorN or #rrggbb) or an "
						   "attribute (bold, dim, "
						   "underline, reverse)", b.data);
			hc_buf_free(&b);
			rc = -1;
			break;
		}
		if (ncolors++ == 0)
			out->fg = c;
		else
			out->bg = c;
	}
	if (rc == 0 && ncolors == 0) {
		*err = xstrdup("a style needs a foreground colour");
		rc = -1;
	}
	free(copy);
	return rc;
}

/* The line of "key =" in a section of an INI text, for messages. */
static int line_of(const char *path, const char *section, const char *key)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[1100];
	int n = 0, found = 0;
	bool in = false, at_start = true;
	size_t kl = strlen(key);
	/* Each fgets() consumes input or ends the loop. iniparser has already
	 * refused lines over 1024 bytes, but a longer piece is still counted
	 * as part of one line, never as a line of its own. */
	while (fgets(line, sizeof line, f)) {
		bool started = at_start;
		at_start = strchr(line, '\n') != NULL;
		if (!started)
			continue;
		n++;
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '[') {
			in = strncasecmp(s + 1, section, strlen(section)) == 0 &&
			     s[1 + strlen(section)] == ']';
			continue;
		}
		if (in && strncasecmp(s, key, kl) == 0) {
			char *e = s + kl;
			while (*e == ' ' || *e == '\t')
				e++;
			if (*e == '=') {
				found = n;
				break;
			}
		}
	}
	fclose(f);
	return found;
}

static char *where(const char *path, const char *section, const char *key)
{
	int line = line_of(path, section, key);
	if (line > 0)
		return xasprintf("%s:%d: [%s] %s", path, line, section, key);
	return xasprintf("%s: [%s] %s", path, section, key);
}

static char *find_theme(const char *name, const char *const *dirs)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *user = xdg && *xdg == '/' ? xasprintf("%s/hookcast/themes", xdg)
		     : home && *home     ? xasprintf("%s/.config/hookcast/themes", home)
					 : NULL;
	if (user) {
		char *p = xasprintf("%s/%s.ini", user, name);
		free(user);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	for (size_t i = 0; dirs && dirs[i]; i++) {
		char *p = xasprintf("%s/%s.ini", dirs[i], name);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	return name[0] != '.';
}

static int load_depth(const char *path, const char *const *dirs,
		      struct theme *t, char **err, int depth);

static int load_named(const char *name, const char *const *dirs,
		      struct theme *t, char **err, int depth)
{
	if (!name_ok(name)) {
		*err = xasprintf("\"%.64s\" is not a theme name (letters, "
				 "digits, '_', '.' and '-')", name);
		return -1;
	}
	char *path = find_theme(name, dirs);
	if (path == NULL) {
		if (strcmp(name, "default") == 0) {
			theme_builtin_default(t);
			return 0;
		}
		if (strcmp(name, "mono") == 0) {
			theme_builtin_mono(t);
			return 0;
		}
		*err = xasprintf("no theme \"%s\" (looked for %s.ini in the "
				 "user's and the installed theme folders)",
				 name, name);
		return -1;
	}
	int rc = load_depth(path, dirs, t, err, depth);
	free(path);
	return rc;
}

static int load_depth(const char *path, const char *const *dirs,
		      struct theme *t, char **err, int depth)
{
	if (depth > 4) {
		*err = xasprintf("%s: [theme] extends: more than 4 levels (a "
				 "cycle?)", path);
		return -1;
	}
	dictionary *d = ini_load_quiet(path, err);
	if (d == NULL)
		return -1;
	int rc = 0;
	const char *ext = iniparser_getstring(d, "theme:extends", NULL);
	if (ext && *ext) {
		rc = load_named(ext, dirs, t, err, depth + 1);
	} else {
		theme_builtin_default(t);
	}
	const char *name = iniparser_getstring(d, "theme:name", NULL);
	if (rc == 0 && name && *name)
		snprintf(t->name, sizeof t->name, "%s", name);
	/* Every key in [colors] must be a role. */
	int nkeys = rc == 0 ? iniparser_getsecnkeys(d, "colors") : 0;
	if (nkeys > 0) {
		const char **keys = xcalloc((size_t)nkeys, sizeof *keys);
		iniparser_getseckeys(d, "colors", keys);
		for (int i = 0; i < nkeys && rc == 0; i++) {
			const char *role = keys[i] + strlen("colors:");
			int r = 0;
			while (r < ROLE_COUNT && strcmp(role_names[r], role) != 0)
				r++;
			char *w = where(path, "colors", role);
			if (r == ROLE_COUNT) {
				*err = xasprintf("%s: unknown role (roles: normal, "
						 "title, border, border_focus, "
						 "selection, statusbar, hint_key, "
						 "error, warning, success, muted, "
						 "danger, s2xx, s4xx, s5xx, "
						 "neterr)", w);
				rc = -1;
			} else {
				const char *v = iniparser_getstring(d, keys[i], NULL);
				char *e2 = NULL;
				if (v == NULL ||
				    theme_parse_style(v, &t->role[r], &e2) < 0) {
					*err = xasprintf("%s: %s", w,
							 e2 ? e2 : "no value");
					rc = -1;
				}
				free(e2);
			}
			free(w);
		}
		free(keys);
	}
	iniparser_freedict(d);
	return rc;
}

int theme_load_file(const char *path, const char *const *dirs,
		    struct theme *t, char **err)
{
	int rc = load_depth(path, dirs, t, err, 0);
	if (rc < 0)
		theme_builtin_default(t);
	return rc;
}

int theme_load(const char *name, const char *const *dirs, struct theme *t,
	       char **err)
{
	int rc = load_named(name, dirs, t, err, 0);
	if (rc < 0)
		theme_builtin_default(t);
	return rc;
}

static uint32_t palette(int i)
{
	static const uint32_t base[16] = {
		0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd,
		0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
		0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
	};
	if (i < 16)
		return base[i];
	if (i < 232) {
		static const int level[6] = { 0, 95, 135, 175, 215, 255 };
		int c = i - 16;
		return (uint32_t)(level[c / 36] << 16 | level[(c / 6) % 6] << 8 |
				  level[c % 6]);
	}
	int g = 8 + (i - 232) * 10;
	return (uint32_t)(g << 16 | g << 8 | g);
}

int theme_nearest(uint32_t rgb, int ncolors)
{
	int n = ncolors >= 256 ? 256 : ncolors >= 16 ? 16 : 8;
	int best = 0;
	long bestd = -1;
	for (int i = 0; i < n; i++) {
		uint32_t p = palette(i);
		long dr = (long)((rgb >> 16) & 255) - (long)((p >> 16) & 255);
		long dg = (long)((rgb >> 8) & 255) - (long)((p >> 8) & 255);
		long db = (long)(rgb & 255) - (long)(p & 255);
		long d = 2 * dr * dr + 4 * dg * dg + 3 * db * db;
		if (bestd < 0 || d < bestd) {
			bestd = d;
			best = i;
		}
	}
	return best;
}
