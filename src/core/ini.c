#include "hookcast/ini.h"

#include <errno.h>
#include <fcntl.h>
#include <iniparser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * iniparser reports load errors through one global callback with no user
 * data, and its default callback prints the offending line. Ours keeps only
 * the kind of error and its line number. (One thread: see STYLE.md.)
 */
static struct {
	char what[64];
	int line;
} ini_error;

static int ini_error_cb(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (strstr(fmt, "syntax error") != NULL) {
		(void)va_arg(ap, const char *);
		ini_error.line = va_arg(ap, int);
		snprintf(ini_error.what, sizeof ini_error.what, "syntax error");
	} else if (strstr(fmt, "too long") != NULL) {
		(void)va_arg(ap, const char *);
		ini_error.line = va_arg(ap, int);
		snprintf(ini_error.what, sizeof ini_error.what,
			 "line too long");
	} else if (strstr(fmt, "cannot open") != NULL) {
		snprintf(ini_error.what, sizeof ini_error.what,
			 "cannot open the file");
	} else {
		snprintf(ini_error.what, sizeof ini_error.what,
			 "cannot read the file");
	}
	va_end(ap);
	return 0;
}

struct _dictionary_ *ini_load_quiet(const char *path, char **err)
{
	memset(&ini_error, 0, sizeof ini_error);
	iniparser_set_error_callback(ini_error_cb);
	dictionary *d = iniparser_load(path);
	if (d == NULL) {
		if (ini_error.line > 0)
			*err = xasprintf("%s:%d: %s", path, ini_error.line,
					 ini_error.what);
		else
			*err = xasprintf("%s: %s", path,
					 ini_error.what[0] ? ini_error.what
							   : "cannot be read");
	}
	return d;
}

void ini_writer_init(struct ini_writer *w)
{
	hc_buf_init(&w->out);
	w->err = NULL;
}

void ini_writer_free(struct ini_writer *w)
{
	hc_buf_free(&w->out);
	free(w->err);
	w->err = NULL;
}

void ini_section(struct ini_writer *w, const char *name)
{
	if (w->out.len > 0)
		hc_buf_addc(&w->out, '\n');
	hc_buf_printf(&w->out, "[%s]\n", name);
}

void ini_put(struct ini_writer *w, const char *key, const char *v)
{
	if (w->err)
		return;
	if (strpbrk(v, "\r\n") != NULL) {
		w->err = xasprintf("%s: a value cannot hold a line break", key);
		return;
	}
	bool dq = strchr(v, '"') != NULL, sq = strchr(v, '\'') != NULL;
	if (dq && sq) {
		w->err = xasprintf("%s: a value cannot hold both ' and \"",
				   key);
		return;
	}
	if (strlen(key) + strlen(v) + 5 > INI_LINE_MAX) {
		w->err = xasprintf("%s: the value is too long to save (the "
				   "line limit is %d bytes)", key, INI_LINE_MAX);
		return;
	}
	char q = dq ? '\'' : '"';
	hc_buf_printf(&w->out, "%s = %c%s%c\n", key, q, v, q);
}

void ini_put_long(struct ini_writer *w, const char *key, long long v)
{
	char s[32];
	snprintf(s, sizeof s, "%lld", v);
	ini_put(w, key, s);
}

void ini_put_double(struct ini_writer *w, const char *key, double v)
{
	char s[64];
	ini_put(w, key, hc_format_number(v, s, sizeof s));
}

int hc_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0) { /* no progress: never spin on it */
			errno = EIO;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

int hc_save_atomic(const char *path, const char *data, size_t len, int mode,
		   char **err)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		*err = xasprintf("%s: cannot create a temporary file: %s",
				 path, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, (mode_t)mode) < 0 || hc_write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0) {
		*err = xasprintf("%s: cannot write: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		*err = xasprintf("%s: cannot save: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path) + 1)
			  : xstrdup(".");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd >= 0) {
		(void)fsync(dfd); /* best effort: some filesystems refuse */
		close(dfd);
	}
	return 0;
}
