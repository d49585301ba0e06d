/*
 * json.h: JSON output with jansson, for --json and the sink's log.
 *
 * jansson takes only UTF-8, and the text hookcast prints may come from a
 * segment or a server in any encoding: hc_json_text() keeps valid UTF-8
 * as it is and writes each byte that is not as U+FFFD, so the output is
 * always valid JSON.
 */
#ifndef HOOKCAST_JSON_H
#define HOOKCAST_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* A new JSON string of s[0..n); see above. */
json_t *hc_json_text(const char *s, size_t n);
/* The same for a C string; NULL gives "". */
json_t *hc_json_str(const char *s);
/* Print j compactly on one line of out and release it. 0, or -1 when it
 * cannot be written. */
int hc_json_puts(json_t *j, FILE *out);

#endif
