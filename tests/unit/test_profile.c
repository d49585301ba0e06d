/* Unit tests of profile loading and saving, including each iniparser trap
 * in PITFALLS.md. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <iniparser.h>

#include "hookcast/profile.h"
#include "testutil.h"

static const char full_profile[] =
	"; comment\n"
	"[Destination]\n"
	"URL = \"https://example.com/webhook?foo=bar\"\n"
	"method = put                  ; inline comment\n"
	"header10 = \"X-Ten: 10\"\n"
	"header2 = 'X-Quote: say \"hi\" # not a comment ; nor this'\n"
	"header1 = \"Authorization: Bearer ${WEBHOOK_TOKEN}\"\n"
	"\n"
	"[segment]\n"
	"file = \"data/contacts.csv\"\n"
	"delimiter = tab\n"
	"field_max = 1000\n"
	"[static]\n"
	"param1 = \"source=crm\"\n"
	"param2 = \"tag=a=b\"\n"
	"param3 = \"  spaced = x  \"\n"
	"[mappings]\n"
	"map1 = \"email=contacts.email\"\n"
	"map2 = \"userId=contacts.id\"\n"
	"[delivery]\n"
	"concurrency = 32\n"
	"threads = 3\n"
	"rate = 12.5\n"
	"max_attempts = 3\n"
	"timeout = 2.5\n"
	"idempotency_header = \"\"\n"
	"empty_values = omit\n"
	"[ui]\n"
	"theme = \"solarized-dark\"\n";

static struct profile *load_text(const char *name, const char *text,
				 struct hc_msgs *m)
{
	char *path = tu_writes(name, text);
	chmod(path, 0600);
	hc_msgs_init(m);
	struct profile *p = profile_load(path, m);
	free(path);
	return p;
}

static void assert_same_list(const struct profile_list *a,
			     const struct profile_list *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_string_equal(a->items[i].key, b->items[i].key);
		if (a->items[i].value || b->items[i].value)
			assert_string_equal(a->items[i].value, b->items[i].value);
	}
}

static void assert_same_profile(const struct profile *a, const struct profile *b)
{
	assert_string_equal(a->url, b->url);
	assert_string_equal(a->method, b->method);
	assert_same_list(&a->headers, &b->headers);
	if (a->segment_file || b->segment_file)
		assert_string_equal(a->segment_file, b->segment_file);
	assert_int_equal(a->delimiter, b->delimiter);
	assert_int_equal(a->field_max, b->field_max);
	assert_same_list(&a->statics, &b->statics);
	assert_same_list(&a->mappings, &b->mappings);
	assert_int_equal(a->concurrency, b->concurrency);
	assert_int_equal(a->threads, b->threads);
	assert_true(a->rate == b->rate);
	assert_int_equal(a->max_attempts, b->max_attempts);
	assert_true(a->timeout == b->timeout);
	assert_string_equal(a->idempotency_header, b->idempotency_header);
	assert_int_equal(a->empty_values, b->empty_values);
	assert_string_equal(a->theme, b->theme);
}

static void test_load_values(void **state)
{
	(void)state;
	struct hc_msgs m;
	struct profile *p = load_text("full.ini", full_profile, &m);
	if (p == NULL)
		tu_msgs_dump(&m);
	assert_non_null(p);
	assert_int_equal(m.n, 0);
	assert_string_equal(p->url, "https://example.com/webhook?foo=bar");
	assert_string_equal(p->method, "PUT");
	/* numeric order, not text order: 1, 2, 10 */
	assert_int_equal(p->headers.n, 3);
	assert_string_equal(p->headers.items[0].key,
			    "Authorization: Bearer ${WEBHOOK_TOKEN}");
	assert_string_equal(p->headers.items[1].key,
			    "X-Quote: say \"hi\" # not a comment ; nor this");
	assert_string_equal(p->headers.items[2].key, "X-Ten: 10");
	assert_int_equal(p->headers.items[2].line, 5);
	assert_int_equal(p->delimiter, '\t');
	assert_int_equal(p->field_max, 1000);
	/* split at the first '=', spaces inside quotes kept */
	assert_string_equal(p->statics.items[1].key, "tag");
	assert_string_equal(p->statics.items[1].value, "a=b");
	assert_string_equal(p->statics.items[2].key, "  spaced ");
	assert_string_equal(p->statics.items[2].value, " x  ");
	/* case kept in values */
	assert_string_equal(p->mappings.items[1].key, "userId");
	assert_int_equal(p->concurrency, 32);
	assert_int_equal(p->threads, 3);
	assert_true(p->rate == 12.5);
	assert_true(p->timeout == 2.5);
	assert_string_equal(p->idempotency_header, "");
	assert_int_equal(p->empty_values, PROFILE_EMPTY_OMIT);
	assert_string_equal(p->theme, "solarized-dark");
	char *seg = profile_segment_path(p);
	assert_non_null(strstr(seg, "/data/contacts.csv"));
	assert_true(seg[0] == '/');
	free(seg);
	profile_free(p);
	hc_msgs_free(&m);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct hc_msgs m;
	struct profile *a = load_text("rt.ini", full_profile, &m);
	assert_non_null(a);
	char *p1 = tu_writes("rt1.ini", "old");
	char *p2 = tu_writes("rt2.ini", "");
	char *err = NULL;
	assert_int_equal(profile_save(a, p1, &err), 0);
	struct stat st;
	assert_int_equal(stat(p1, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct profile *b = profile_load(p1, &m);
	if (b == NULL)
		tu_msgs_dump(&m);
	assert_non_null(b);
	assert_same_profile(a, b);
	assert_int_equal(profile_save(b, p2, &err), 0);
	char *t1 = tu_slurp(p1), *t2 = tu_slurp(p2);
	assert_string_equal(t1, t2); /* byte for byte */
	/* every value is quoted */
	assert_non_null(strstr(t1, "concurrency = \"32\"\n"));
	assert_non_null(strstr(t1, "header2 = 'X-Quote: say \"hi\" # not a "
				   "comment ; nor this'\n"));
	free(t1);
	free(t2);
	profile_free(a);
	profile_free(b);
	hc_msgs_free(&m);
	free(p1);
	free(p2);
}

static void test_round_trip_defaults_and_doubles(void **state)
{
	(void)state;
	struct profile *a = profile_new();
	a->url = xstrdup("http://127.0.0.1:8080/x?a=b;c#");
	/* a '#' would be refused by the request builder, not by the file */
	a->rate = 0.1;
	a->timeout = 1.0 / 3.0;
	profile_list_add(&a->statics, "param1", 0, "k", "v;#\\");
	char *path = tu_writes("d.ini", "");
	char *err = NULL;
	assert_int_equal(profile_save(a, path, &err), 0);
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct profile *b = profile_load(path, &m);
	if (b == NULL)
		tu_msgs_dump(&m);
	assert_non_null(b);
	assert_same_profile(a, b);
	profile_free(b);
	hc_msgs_free(&m);

	/* Numbers are written as a person would: 30, not 3e+01. */
	a->timeout = 30;
	a->rate = 2.25;
	assert_int_equal(profile_save(a, path, &err), 0);
	char *text = tu_slurp(path);
	assert_non_null(strstr(text, "timeout = \"30\""));
	assert_non_null(strstr(text, "rate = \"2.25\""));
	free(text);

	/* What cannot be written safely is refused, and the old file stays. */
	char *before = tu_slurp(path);
	profile_list_add(&a->statics, "param2", 0, "k", "both ' and \"");
	assert_int_equal(profile_save(a, path, &err), -1);
	assert_non_null(strstr(err, "cannot hold both"));
	free(err);
	profile_list_clear(&a->statics);
	profile_list_add(&a->statics, "param1", 0, "k", "line\nbreak");
	assert_int_equal(profile_save(a, path, &err), -1);
	assert_non_null(strstr(err, "line break"));
	free(err);
	char *after = tu_slurp(path);
	assert_string_equal(before, after);
	free(before);
	free(after);

	profile_list_clear(&a->statics);
	assert_int_equal(profile_save(a, "/nonexistent-dir/x.ini", &err), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/x.ini: cannot create"));
	free(err);
	profile_free(a);
	free(path);
}

/* Load text that must fail; the message must contain want. */
static void expect_error(const char *text, const char *want)
{
	struct hc_msgs m;
	struct profile *p = load_text("bad.ini", text, &m);
	if (p != NULL || !tu_msgs_has(&m, want)) {
		tu_msgs_dump(&m);
		fail_msg("expected an error with: %s", want);
	}
	hc_msgs_free(&m);
}

static void test_errors_name_file_line_key(void **state)
{
	(void)state;
	expect_error("[destination]\nurl = \"http://h/\"\n[delivery]\n"
		     "concurrency = abc\n",
		     "bad.ini:4: [delivery] concurrency: \"abc\" is not a "
		     "whole number (1..1024)");
	expect_error("[destination]\nurl = \"http://h/\"\n[delivery]\n"
		     "concurrency = 1025\n", "(1..1024)");
	expect_error("[destination]\nurl = \"http://h/\"\n[delivery]\n"
		     "threads = 0\n", "bad.ini:4: [delivery] threads: \"0\" is "
		     "not auto or a whole number (1..64)");
	expect_error("[destination]\nurl = \"http://h/\"\n[delivery]\n"
		     "threads = Auto\n", "is not auto or a whole number");
	expect_error("[destination]\nurl = \"http://h/\"\n[delivery]\n"
		     "concurrency = 0x10\n", "is not a whole number");
	expect_error("[destination]\nurl = \"http://h/\"\n[delivery]\n"
		     "rate = 1,5\n", "bad.ini:4: [delivery] rate: \"1,5\" is "
				     "not a number");
	expect_error("[destination]\nurl = \"http://h/\"\n[delivery]\n"
		     "rate = nan\n", "[delivery] rate");
	expect_error("[destination]\nurl = \"http://h/\"\nmethod = FETCH\n",
		     "bad.ini:3: [destination] method: \"FETCH\" is not POST, "
		     "PUT, PATCH, DELETE or GET");
	expect_error("[destination]\nurl = \"http://h/\"\n[mappings]\n"
		     "map1 = \"email\"\n",
		     "bad.ini:4: [mappings] map1: expected \"key=column\"");
	expect_error("[destination]\nurl = \"http://h/\"\n[mappings]\n"
		     "map1 = \"=email\"\n", "query key before '=' is empty");
	expect_error("[destination]\nurl = \"http://h/\"\n[mappings]\n"
		     "map1 = \"email=\"\n", "segment column after '=' is empty");
	expect_error("[destination]\nmethod = POST\n",
		     "[destination] url: is required");
	expect_error("[destination]\nurl = \"http://h/\"\n[delivery]\n"
		     "empty_values = drop\n", "is not keep or omit");
	expect_error("[destination]\nurl = \"http://h/\"\n[segment]\n"
		     "delimiter = \"::\"\n", "[segment] delimiter");
	expect_error("[destination]\nurl = \"http://h/\"\n[ui]\n"
		     "theme = \"../../etc/passwd\"\n", "[ui] theme");
	expect_error("[destination]\nurl = \"http://h/\"\n"
		     "header1 = \"Bad Name: v\"\n",
		     "bad.ini:3: [destination] header1: expected \"Name: value\"");
	expect_error("[destination]\nurl = \"http://h/\"\n"
		     "concurrency = 3\n", "bad.ini:3: [destination] "
					   "\"concurrency\": unknown key; it "
					   "goes in [delivery]");
	expect_error("[destination]\nurl = \"http://h/\"\n[mappings]\n"
		     "m1 = \"email=contacts.email\"\n",
		     "bad.ini:4: [mappings] \"m1\": unknown key; [mappings] "
		     "takes map1, map2, ...");
	expect_error("[destination]\nurl = \"http://h/\"\n[sync]\n"
		     "keys = id\n",
		     "bad.ini:4: [sync] \"keys\": unknown key; [sync] takes "
		     "mode, key, key1, key2, ..., added_method, changed_method, "
		     "removed_method, event_param");
	expect_error("[destinaton]\nurl = \"http://h/\"\n",
		     "bad.ini:1: unknown section \"destinaton\"");
	expect_error("url = \"http://h/\"\n", "bad.ini:1: key \"url\" is "
					      "outside any known section");
	expect_error("[destination]\nurl\n", "bad.ini:2: expected \"key = "
					     "value\"");
	expect_error("[destination\nurl = x\n", "bad.ini:1: a section header "
						"needs a closing ']'");
}

static void test_sync_section(void **state)
{
	(void)state;
	const char text[] = "[destination]\nurl = \"http://h/\"\n"
			    "[sync]\nmode = mirror\nkey1 = \"contacts.id\"\n"
			    "key2 = \"contacts.region\"\nadded_method = post\n"
			    "changed_method = PATCH\nevent_param = \"event\"\n";
	struct hc_msgs m;
	struct profile *a = load_text("sync.ini", text, &m);
	if (a == NULL)
		tu_msgs_dump(&m);
	assert_non_null(a);
	assert_int_equal(a->sync_mode, PROFILE_SYNC_MIRROR);
	assert_int_equal(a->sync_keys.n, 2);
	assert_string_equal(a->sync_keys.items[1].value, "contacts.region");
	assert_string_equal(a->added_method, "POST");
	assert_string_equal(profile_event_method(a, 2), "PATCH");
	assert_string_equal(profile_event_method(a, 3), "DELETE");
	assert_string_equal(a->event_param, "event");
	char *p1 = tu_writes("sync1.ini", ""), *p2 = tu_writes("sync2.ini", "");
	char *err = NULL;
	assert_int_equal(profile_save(a, p1, &err), 0);
	struct profile *b = profile_load(p1, &m);
	assert_non_null(b);
	assert_int_equal(profile_save(b, p2, &err), 0);
	char *t1 = tu_slurp(p1), *t2 = tu_slurp(p2);
	assert_string_equal(t1, t2);
	assert_non_null(strstr(t1, "[sync]\nmode = \"mirror\"\nkey1 = "
				   "\"contacts.id\"\nkey2 = \"contacts.region\""));
	free(t1);
	free(t2);
	free(p1);
	free(p2);
	profile_free(a);
	profile_free(b);
	hc_msgs_free(&m);
	/* A profile without [sync] is saved without one. */
	struct profile *c = load_text("nosync.ini", "[destination]\nurl = "
				      "\"http://h/\"\n", &m);
	char *p3 = tu_writes("nosync2.ini", "");
	assert_int_equal(profile_save(c, p3, &err), 0);
	char *t3 = tu_slurp(p3);
	assert_null(strstr(t3, "[sync]"));
	free(t3);
	free(p3);
	profile_free(c);
	hc_msgs_free(&m);

	expect_error("[destination]\nurl = \"http://h/\"\n[sync]\n"
		     "mode = changes\n", "[sync] key: is required with mode "
					  "= changes");
	expect_error("[destination]\nurl = \"http://h/\"\n[sync]\n"
		     "mode = sometimes\n", "bad.ini:4: [sync] mode: "
					    "\"sometimes\" is not all, changes "
					    "or mirror");
	expect_error("[destination]\nurl = \"http://h/\"\n[sync]\n"
		     "mode = changes\nkey = id\nremoved_method = GET\n",
		     "[sync] removed_method: \"GET\" is not POST, PUT, "
		     "PATCH or DELETE");
	expect_error("[destination]\nurl = \"http://h/\"\n[sync]\n"
		     "mode = changes\nkey = id\nevent_param = \"a b\"\n",
		     "[sync] event_param: a query key cannot hold");
}

static void test_iniparser_traps(void **state)
{
	(void)state;
	/* CVE-2023-33461: a [section:key] header crashes iniparser_getint. */
	expect_error("[default:timeout]\n", "bad.ini:1: a section name cannot "
					    "hold ':'");
	expect_error("[destination]\nurl = \"http://h/\"\n[delivery:concurrency]\n",
		     "bad.ini:3: a section name cannot hold ':'");
	/* An unquoted value ends at ';' or '#'. */
	expect_error("[destination]\nurl = http://h/x?a=b#c\n",
		     "bad.ini:2: [destination] url: the unquoted value would be "
		     "cut at '#'; put the value in quotes");
	expect_error("[destination]\nurl = \"http://h/\"\n"
		     "header1 = X-Token: abc;def\n", "would be cut at ';'");
	/* An unterminated quote is accepted silently by iniparser. */
	expect_error("[destination]\nurl = \"http://h/\n",
		     "bad.ini:2: [destination] url: the quoted value has no "
		     "closing \"");
	expect_error("[destination]\nurl = \"http://h/\"x\n",
		     "text after the closing quote");
	/* A trailing backslash joins the next line. */
	expect_error("[destination]\nurl = \"http://h/\"\n"
		     "header1 = \"X-A: 1\"\\\nheader2 = \"X-B: 2\"\n",
		     "bad.ini:3: the line ends with '\\'");
	/* Keys are folded to lower case: the last would win silently. */
	expect_error("[destination]\nurl = \"http://h/\"\n[mappings]\n"
		     "map1 = \"a=x\"\nMAP1 = \"b=y\"\n",
		     "bad.ini:5: [mappings] map1 is set twice (first on line 4)");
	/* A line over 1022 bytes makes iniparser_load fail whole. */
	struct hc_buf b;
	hc_buf_init(&b);
	hc_buf_adds(&b, "[destination]\nurl = \"http://h/\"\nheader1 = \"X-T: ");
	for (int i = 0; i < 1100; i++)
		hc_buf_addc(&b, 'S');
	hc_buf_adds(&b, "\"\n");
	struct hc_msgs m;
	assert_null(load_text("long.ini", b.data, &m));
	assert_true(tu_msgs_has(&m, "long.ini:3: the line is 1117 bytes long; "
				    "the limit is 1022"));
	assert_false(tu_msgs_has(&m, "SSSS")); /* never echo the line */
	hc_msgs_free(&m);
	hc_buf_free(&b);
	/* NUL bytes */
	char nul[] = "[destination]\nurl = \"http://h/\0\"\n";
	char *path = tu_write("nul.ini", nul, sizeof nul - 1);
	hc_msgs_init(&m);
	assert_null(profile_load(path, &m));
	assert_true(tu_msgs_has(&m, "nul.ini:2: the line holds a NUL byte"));
	hc_msgs_free(&m);
	free(path);
	/* A 5,000-character line fails cleanly too. */
	hc_buf_init(&b);
	for (int i = 0; i < 5000; i++)
		hc_buf_addc(&b, i % 2 ? '[' : ']');
	assert_null(load_text("brackets.ini", b.data, &m));
	assert_true(tu_msgs_has(&m, "brackets.ini:1: the line is 5000 bytes"));
	hc_msgs_free(&m);
	hc_buf_free(&b);
}

/* iniparser's default error callback prints the offending line (maybe a
 * token) to stderr; ours must print nothing. */
static void test_iniparser_errors_stay_quiet(void **state)
{
	(void)state;
	struct hc_msgs m;
	struct profile *p = load_text("ok.ini", "[destination]\nurl = \"http://h/\"\n", &m);
	assert_non_null(p); /* installs our callback */
	profile_free(p);
	hc_msgs_free(&m);
	char *bad = tu_writes("syntax.ini", "[a]\nk = 1\nthis line has SECRET-TOKEN-123\n");
	char *errfile = tu_writes("stderr.txt", "");
	fflush(stderr);
	int saved = dup(2);
	int fd = open(errfile, O_WRONLY | O_TRUNC);
	dup2(fd, 2);
	close(fd);
	dictionary *d = iniparser_load(bad);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_null(d);
	char *text = tu_slurp(errfile);
	assert_string_equal(text, "");
	free(text);
	free(bad);
	free(errfile);
}

static void test_secret_never_in_messages(void **state)
{
	(void)state;
	struct hc_msgs m;
	assert_null(load_text("s.ini", "[destination]\nurl = \"http://h/\"\n"
			      "header1 = \"Bad Header: hunter2-secret\"\n"
			      "header2 = X-Token: hunter2#secret\n", &m));
	assert_true(m.nerrors > 0);
	assert_false(tu_msgs_has(&m, "hunter2"));
	hc_msgs_free(&m);
}

static void test_permission_warning(void **state)
{
	(void)state;
	const char *lit = "[destination]\nurl = \"http://h/\"\n"
			  "header1 = \"Authorization: Bearer abc123\"\n";
	char *path = tu_writes("perm.ini", lit);
	chmod(path, 0644);
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct profile *p = profile_load(path, &m);
	assert_non_null(p); /* a warning, not an error */
	assert_int_equal(m.nerrors, 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.items[0].severity, HC_WARNING);
	assert_true(tu_msgs_has(&m, "perm.ini:3: [destination] header1: holds "
				    "a literal secret and the file is readable "
				    "by others (mode 0644)"));
	assert_false(tu_msgs_has(&m, "abc123"));
	profile_free(p);
	hc_msgs_free(&m);

	chmod(path, 0600);
	p = profile_load(path, &m);
	assert_int_equal(m.n, 0);
	profile_free(p);
	free(path);

	/* ${NAME} is not a literal secret; other headers are not secrets. */
	path = tu_writes("perm2.ini", "[destination]\nurl = \"http://h/\"\n"
				      "header1 = \"X-Api-Key: ${KEY}\"\n"
				      "header2 = \"X-Source: crm\"\n");
	chmod(path, 0644);
	p = profile_load(path, &m);
	assert_non_null(p);
	assert_int_equal(m.n, 0);
	profile_free(p);
	free(path);
	assert_true(profile_header_literal_secret("x-session-token: abc"));
	assert_true(profile_header_literal_secret("X-Client-Secret: abc"));
	assert_false(profile_header_literal_secret("Authorization: Bearer ${T}"));
	assert_false(profile_header_literal_secret("Accept: */*"));
	assert_true(profile_header_literal_secret("X-Api-Key: $${not-a-ref}"));
	assert_false(profile_header_literal_secret("X-Api-Key: $${x}-${REAL}"));
}

static void test_rebase_relative_segment(void **state)
{
	(void)state;
	char *csv = tu_writes("rebase.csv", "id\n1\n");
	char *ini = tu_writes("rebase.ini", "[destination]\nurl = \"https://h/\"\n"
			      "[segment]\nfile = \"rebase.csv\"\n[mappings]\n"
			      "map1 = \"id=id\"\n");
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct profile *p = profile_load(ini, &m);
	assert_non_null(p);
	char *dir = xstrndup(ini, (size_t)(strrchr(ini, '/') - ini));
	/* the same folder: the relative path still holds */
	char *same = xasprintf("%s/other-name.ini", dir);
	assert_false(profile_rebase(p, same));
	assert_string_equal(p->segment_file, "rebase.csv");
	/* another folder: it becomes absolute, and resolves to the same file */
	char *elsewhere = xasprintf("%s/sub", dir);
	mkdir(elsewhere, 0700);
	char *moved = xasprintf("%s/p.ini", elsewhere);
	assert_true(profile_rebase(p, moved));
	char real[PATH_MAX];
	assert_non_null(realpath(csv, real));
	assert_string_equal(p->segment_file, real);
	/* absolute and stdin paths are never touched */
	assert_false(profile_rebase(p, "/tmp/x.ini"));
	free(p->segment_file);
	p->segment_file = xstrdup("-");
	assert_false(profile_rebase(p, "/tmp/x.ini"));
	assert_string_equal(p->segment_file, "-");
	profile_free(p);
	hc_msgs_free(&m);
	rmdir(elsewhere);
	free(dir);
	free(same);
	free(elsewhere);
	free(moved);
	free(csv);
	free(ini);
}

static void test_missing_file(void **state)
{
	(void)state;
	struct hc_msgs m;
	hc_msgs_init(&m);
	assert_null(profile_load("/nonexistent/p.ini", &m));
	assert_true(tu_msgs_has(&m, "/nonexistent/p.ini: cannot open: No such file"));
	hc_msgs_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_values),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_defaults_and_doubles),
		cmocka_unit_test(test_errors_name_file_line_key),
		cmocka_unit_test(test_iniparser_traps),
		cmocka_unit_test(test_sync_section),
		cmocka_unit_test(test_iniparser_errors_stay_quiet),
		cmocka_unit_test(test_secret_never_in_messages),
		cmocka_unit_test(test_permission_warning),
		cmocka_unit_test(test_rebase_relative_segment),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
