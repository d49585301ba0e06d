/*
 * ini.h: writing INI files that iniparser 4.1 reads back exactly.
 *
 * iniparser's own dump writes values unquoted (so ';' and '#' cut them) and
 * cannot report a write error. This writer quotes every value with " or '
 * by content, refuses what cannot be written safely (a line break, both
 * quote characters, a line over iniparser's limit), and saves atomically.
 */
#ifndef HOOKCAST_INI_H
#define HOOKCAST_INI_H

#include <stddef.h>

#include "hookcast/util.h"

#define INI_LINE_MAX 1022 /* the longest line iniparser 4.1 reads */

struct ini_writer {
	struct hc_buf out;
	char *err; /* the first error, owned; later puts do nothing */
};

void ini_writer_init(struct ini_writer *w);
void ini_writer_free(struct ini_writer *w);
void ini_section(struct ini_writer *w, const char *name);
void ini_put(struct ini_writer *w, const char *key, const char *value);
void ini_put_long(struct ini_writer *w, const char *key, long long v);
/* The shortest text that reads back as the same double. */
void ini_put_double(struct ini_writer *w, const char *key, double v);

/*
 * Write data to path through a temporary file in the same folder with the
 * given mode, fsync it, rename it over path and fsync the folder: after a
 * crash or a full disk, path holds the old contents or the new ones.
 * Returns 0, or -1 with *err (caller frees).
 */
int hc_save_atomic(const char *path, const char *data, size_t len, int mode,
		   char **err);

/*
 * iniparser_load() with an error callback that never prints the offending
 * line (it may hold a token) and reports "PATH:LINE: what" in *err (caller
 * frees) instead. Returns the dictionary, or NULL.
 */
struct _dictionary_;
struct _dictionary_ *ini_load_quiet(const char *path, char **err);

/* write() all of it, retrying on EINTR and short writes. */
int hc_write_all(int fd, const void *p, size_t n);

#endif
