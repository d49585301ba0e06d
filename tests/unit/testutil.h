/* Helpers shared by the unit tests: temporary files and message checks. */
#ifndef HOOKCAST_TESTUTIL_H
#define HOOKCAST_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hookcast/util.h"

/* A fresh file under one temporary folder per test process; the caller
 * frees the returned path. */
static inline char *tu_write(const char *name, const void *data, size_t len)
{
	static char dir[64];
	if (dir[0] == '\0') {
		snprintf(dir, sizeof dir, "/tmp/hookcast-test.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
	return path;
}

static inline char *tu_writes(const char *name, const char *text)
{
	return tu_write(name, text, strlen(text));
}

/* Does any message of msgs contain needle? */
static inline int tu_msgs_has(const struct hc_msgs *m, const char *needle)
{
	for (size_t i = 0; i < m->n; i++)
		if (strstr(m->items[i].text, needle) != NULL)
			return 1;
	return 0;
}

/* The whole file as a C string (caller frees); aborts when unreadable. */
static inline char *tu_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		abort();
	struct hc_buf b;
	hc_buf_init(&b);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		hc_buf_add(&b, tmp, n);
	fclose(f);
	return hc_buf_steal(&b);
}

static inline void tu_msgs_dump(const struct hc_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		fprintf(stderr, "  msg: %s\n", m->items[i].text);
}

#endif
