/* Unit tests of theme parsing: the shipped themes, extends, colour forms,
 * and clear errors for bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hookcast/theme.h"
#include "testutil.h"

static const char *const dirs[] = { "themes", NULL };

static void test_shipped_themes_load(void **state)
{
	(void)state;
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/nonexistent", 1);
	static const char *const names[] = { "default", "light", "mono",
					     "high-contrast" };
	for (size_t i = 0; i < 4; i++) {
		struct theme t;
		char *err = NULL;
		if (theme_load(names[i], dirs, &t, &err) != 0)
			fail_msg("%s: %s", names[i], err);
		assert_string_equal(t.name, names[i]);
	}
	struct theme t;
	char *err = NULL;
	assert_int_equal(theme_load("light", dirs, &t, &err), 0);
	/* extends default: an unset role comes from the parent */
	assert_int_equal(t.role[ROLE_ERROR].fg.index, 1);
	assert_int_equal(t.role[ROLE_WARNING].fg.kind, COLOR_RGB);
	assert_int_equal(t.role[ROLE_WARNING].fg.rgb, 0xaf5f00);
	assert_int_equal(theme_load("mono", dirs, &t, &err), 0);
	for (int r = 0; r < ROLE_COUNT; r++)
		assert_int_equal(t.role[r].fg.kind, COLOR_DEFAULT);
	assert_true(t.role[ROLE_SELECTION].attrs & THEME_REVERSE);
}

static void test_styles(void **state)
{
	(void)state;
	struct theme_style s;
	char *err = NULL;
	assert_int_equal(theme_parse_style("brightred color17 bold underline", &s, &err), 0);
	assert_int_equal(s.fg.index, 9);
	assert_int_equal(s.bg.index, 17);
	assert_int_equal(s.attrs, THEME_BOLD | THEME_UNDERLINE);
	assert_int_equal(theme_parse_style("#FF0000", &s, &err), 0);
	assert_int_equal(s.fg.kind, COLOR_RGB);
	assert_int_equal(s.bg.kind, COLOR_DEFAULT);
	assert_int_equal(theme_parse_style("purple", &s, &err), -1);
	assert_non_null(strstr(err, "\"purple\" is not a colour"));
	free(err);
	assert_int_equal(theme_parse_style("red blue green", &s, &err), -1);
	assert_non_null(strstr(err, "at most two colours"));
	free(err);
	assert_int_equal(theme_parse_style("color256", &s, &err), -1);
	free(err);
	assert_int_equal(theme_parse_style("bold", &s, &err), -1);
	assert_non_null(strstr(err, "needs a foreground"));
	free(err);
	/* nearest colours */
	assert_int_equal(theme_nearest(0xff0000, 8), 1);
	assert_int_equal(theme_nearest(0xff0000, 16), 9);
	assert_int_equal(theme_nearest(0xaf5f00, 256), 130);
	assert_int_equal(theme_nearest(0x080808, 256), 232);
}

static void test_bad_files(void **state)
{
	(void)state;
	struct theme t;
	char *err = NULL;
	char *p = tu_writes("bad1.ini", "[theme]\nname = \"x\"\n[colors]\n"
				      "normal = \"default\"\ntitle = \"purpel\"\n");
	assert_int_equal(theme_load_file(p, dirs, &t, &err), -1);
	assert_non_null(strstr(err, "bad1.ini:5: [colors] title: \"purpel\" is "
				    "not a colour"));
	assert_string_equal(t.name, "default"); /* fell back */
	free(err);
	free(p);
	p = tu_writes("bad2.ini", "[colors]\ntitel = \"red\"\n");
	assert_int_equal(theme_load_file(p, dirs, &t, &err), -1);
	assert_non_null(strstr(err, "bad2.ini:2: [colors] titel: unknown role"));
	free(err);
	free(p);
	p = tu_writes("bad3.ini", "[theme]\nextends = \"nope\"\n");
	assert_int_equal(theme_load_file(p, dirs, &t, &err), -1);
	assert_non_null(strstr(err, "no theme \"nope\""));
	free(err);
	free(p);
	p = tu_writes("loop.ini", "[theme]\nextends = \"loop\"\n");
	char *dir = xstrndup(p, strlen(p) - strlen("/loop.ini"));
	const char *const d2[] = { dir, NULL };
	assert_int_equal(theme_load("loop", d2, &t, &err), -1);
	assert_non_null(strstr(err, "more than 4 levels"));
	free(err);
	free(dir);
	free(p);
	p = tu_writes("cve.ini", "[colors:title]\n");
	assert_int_equal(theme_load_file(p, dirs, &t, &err), 0); /* no crash */
	free(p);
	assert_int_equal(theme_load("../etc/passwd", dirs, &t, &err), -1);
	assert_non_null(strstr(err, "is not a theme name"));
	free(err);
	/* a user theme overrides */
	char *cfg = tu_writes("cfgmarker", "");
	char *base = xstrndup(cfg, strlen(cfg) - strlen("/cfgmarker"));
	char *tdir = xasprintf("%s/hookcast/themes", base);
	char *mk = xasprintf("mkdir -p %s", tdir);
	assert_int_equal(system(mk), 0);
	char *user = xasprintf("%s/mine.ini", tdir);
	FILE *f = fopen(user, "w");
	fputs("[theme]\nname = \"mine\"\n[colors]\ntitle = \"#00ff00\"\n", f);
	fclose(f);
	setenv("XDG_CONFIG_HOME", base, 1);
	assert_int_equal(theme_load("mine", dirs, &t, &err), 0);
	assert_string_equal(t.name, "mine");
	unsetenv("XDG_CONFIG_HOME");
	free(cfg);
	free(base);
	free(tdir);
	free(mk);
	free(user);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_themes_load),
		cmocka_unit_test(test_styles),
		cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests_name("theme", tests, NULL, NULL);
}
