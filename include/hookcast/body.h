/*
 * body.h: a request body built from a segment row, as [body] describes.
 *
 * A body plan is compiled once from a profile, then bound to a segment's
 * columns like the query mappings. Building a row's body after that is
 * one pass over its fields.
 *
 * Formats:
 *   json    one object; a dotted path ("user.id") nests objects. Keys come
 *           in the order field1, field2..., then const1, const2..., each
 *           object at the place its first key appears.
 *   ndjson  the same object on one line, ended by '\n'.
 *   form    key=value&... with the query string's exact encoding (every
 *           byte but A-Z a-z 0-9 - . _ ~ as %XX); no nesting, no types.
 * A batch is a JSON array of the rows' objects (or {"WRAP": [...]}), or
 * NDJSON with one line per row.
 *
 * Values: string (the default) must be valid UTF-8; number must be a JSON
 * number and is sent exactly as written; boolean accepts true, false, 1,
 * 0, yes, no in any case; json must be valid JSON and is sent as written,
 * less the whitespace between its tokens. A value that does not fit makes
 * the row invalid with a reason that names the field; it is never sent.
 * An empty value follows [delivery] empty_values: keep sends "" for a
 * string and null for the other types; omit leaves the key out.
 *
 * JSON strings are encoded by jansson. The bytes a plan builds for a row
 * are the bytes that are previewed, fingerprinted, signed and sent.
 */
#ifndef HOOKCAST_BODY_H
#define HOOKCAST_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "hookcast/profile.h"
#include "hookcast/segment.h"
#include "hookcast/util.h"

enum body_type { BODY_STRING, BODY_NUMBER, BODY_BOOLEAN, BODY_JSON };

struct body_plan;

/* NULL when msgs gained an error. A profile without a body gets a plan
 * whose format is PROFILE_BODY_NONE. Caller frees. */
struct body_plan *body_plan_new(const struct profile *p, struct hc_msgs *msgs);
void body_plan_free(struct body_plan *b);

/* Resolve each field's column; -1 (with an error in msgs naming the
 * field and listing nothing else) when the segment lacks one. */
int body_plan_bind(struct body_plan *b, const struct segment *seg,
		   struct hc_msgs *msgs);

enum profile_body body_plan_format(const struct body_plan *b);
/* "application/json"...; NULL for no body. */
const char *body_content_type(enum profile_body f);

/*
 * Append the row's body to out: the object (json), the object and '\n'
 * (ndjson) or the pairs (form). Returns 0, or -1 with why set to the
 * field at fault (out is then left as it was). The plan must be bound.
 */
int body_build(const struct body_plan *b, const struct segment_row *row,
	       struct hc_buf *out, struct hc_buf *why);
/* The same verdict without building. */
int body_check(const struct body_plan *b, const struct segment_row *row,
	       struct hc_buf *why);

/* At least as many bytes as body_build() writes for the row (cheap: from
 * the values' lengths). */
size_t body_size_bound(const struct body_plan *b,
		       const struct segment_row *row);

/* A batch: body_batch_open(), body_build() per row with
 * body_batch_sep() before each row after the first, body_batch_close().
 * For ndjson the separator and both ends are empty. */
void body_batch_open(const struct body_plan *b, struct hc_buf *out);
void body_batch_sep(const struct body_plan *b, struct hc_buf *out);
void body_batch_close(const struct body_plan *b, struct hc_buf *out);
/* The bytes open and close add, for sizing batches. */
size_t body_batch_overhead(const struct body_plan *b);

/* Check [body]'s fields and constants: path syntax, types, duplicate or
 * clashing paths, constant values. Returns the number of errors added.
 * (profile_validate() calls it.) */
size_t body_validate(const struct profile *p, struct hc_msgs *msgs);

/* Split "PATH[:TYPE]": 0, or -1 with *err (caller frees). *path is
 * allocated. A form field takes no type. */
int body_spec_parse(const char *spec, enum profile_body f, char **path,
		    enum body_type *type, char **err);
const char *body_type_name(enum body_type t);

/* Is s[0..n) a JSON number (RFC 8259), exactly, with nothing around it? */
bool body_json_number(const char *s, size_t n);

#endif
