/*
 * profile.h: a destination, segment, mappings and delivery settings, kept as
 * an INI file.
 *
 * Contract:
 * - Values are kept as written: "${NAME}" is never expanded here (request.h
 *   does that), so a profile can be saved back without leaking a secret.
 * - profile_load() reports every problem it finds into msgs, each naming the
 *   file, line, section and key. It returns NULL when any of them is an
 *   error; warnings (such as a literal secret in a file others can read) do
 *   not stop it. The caller owns the result and frees it with profile_free().
 * - profile_save() writes the file atomically with mode 0600: either the old
 *   file or the new one is there afterwards, whatever happens.
 *   load -> save -> load gives the same profile, and saving it again gives
 *   the same bytes.
 */
#ifndef HOOKCAST_PROFILE_H
#define HOOKCAST_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "hookcast/util.h"

#define PROFILE_CONCURRENCY_MAX 1024
#define PROFILE_THREADS_MAX 64
#define PROFILE_THREADS_AUTO (-1)
#define PROFILE_BATCH_MAX 10000
/* What a run's snapshot (run.ini) holds in place of a literal secret. */
#define PROFILE_SECRET_KEPT_OUT "(a literal secret: not kept in history)"
#define PROFILE_BATCH_BYTES_DEFAULT 1048576
#define PROFILE_BATCH_BYTES_MIN 1024
#define PROFILE_BATCH_BYTES_MAX (1L << 30)

enum profile_empty { PROFILE_EMPTY_KEEP, PROFILE_EMPTY_OMIT };

/* [sync] mode: every row each run (all), only what changed since the last
 * delivery (changes), and also the records that left the segment
 * (mirror). */
enum profile_sync { PROFILE_SYNC_ALL, PROFILE_SYNC_CHANGES, PROFILE_SYNC_MIRROR };

/* [body] format: no body (the data goes in the query string), a JSON
 * object, a form (application/x-www-form-urlencoded), or NDJSON. */
enum profile_body { PROFILE_BODY_NONE, PROFILE_BODY_JSON, PROFILE_BODY_FORM,
		    PROFILE_BODY_NDJSON };

/* [signing] scheme. */
enum profile_sign { PROFILE_SIGN_NONE, PROFILE_SIGN_STANDARD,
		    PROFILE_SIGN_HMAC };

/* One numbered entry: header1, param2, map3... */
struct profile_entry {
	char *name;  /* the INI key, such as "header1" */
	unsigned line; /* where it was read, 0 if not from a file */
	char *key;   /* header: "Name: value" whole; static and mapping: the
		      * query key (the text before the first '=') */
	char *value; /* header: NULL; static: the value template; mapping: the
		      * segment column */
};

struct profile_list {
	struct profile_entry *items; /* owned */
	size_t n;
};

struct profile {
	char *path; /* the file it was loaded from, or NULL */

	char *url;    /* may hold ${NAME} */
	char *method; /* POST, PUT, PATCH, DELETE or GET */
	struct profile_list headers;

	char *segment_file; /* as written, or NULL */
	char delimiter;     /* 0: detect */
	size_t field_max;

	struct profile_list statics;
	struct profile_list mappings;

	long concurrency;
	long threads; /* threads that deliver (1: the main loop's only),
		       * or PROFILE_THREADS_AUTO */
	double rate; /* requests per second, 0: unlimited */
	long max_attempts;
	double timeout; /* seconds per attempt */
	char *idempotency_header; /* "" disables it */
	enum profile_empty empty_values;
	long breaker_consecutive; /* stop after this many failed rows in a
				   * row; 0: never */
	long breaker_initial;     /* stop when the first this many rows all
				   * failed; 0: never */

	char *theme;

	/* [sync] */
	enum profile_sync sync_mode;
	struct profile_list sync_keys; /* key or key1, key2...: value = the
					* column; key = "" */
	char *added_method, *changed_method, *removed_method; /* NULL: the
							       * default */
	char *event_param; /* NULL: none */

	/* [body]: fieldN and constN entries have key = "PATH[:TYPE]" and
	 * value = the segment column (field) or the value (const). */
	enum profile_body body_format;
	struct profile_list body_fields, body_consts;
	long batch_size;   /* rows per request, 1: one each */
	long batch_bytes;  /* close a batch before its body passes this */
	char *batch_wrap;  /* NULL: a bare array */

	/* [signing] */
	enum profile_sign sign_scheme;
	char *sign_secret;   /* as written: "${NAME}" or a literal */
	char *sign_header;   /* hmac-sha256: NULL for X-Hub-Signature-256 */
	char *sign_prefix;   /* hmac-sha256: NULL for "sha256=" */
	bool sign_base64;    /* hmac-sha256: base64 instead of hex */

	/* [destination] TLS and HTTP */
	char *ca_file, *client_cert, *client_key; /* NULL: none */
	int http_version; /* 0 auto, 11 (HTTP/1.1), 2 (HTTP/2) */

	/* Lines of the scalar keys, for messages: "url", "concurrency"... */
	struct profile_list lines;
};

/* A profile with every default and no destination. Caller frees. */
struct profile *profile_new(void);
void profile_free(struct profile *p);
/* A deep copy. Caller frees. */
struct profile *profile_clone(const struct profile *p);

struct profile *profile_load(const char *path, struct hc_msgs *msgs);
/* With snapshot set, read a run's run.ini: its [run], [source] and
 * [counts] sections are skipped. */
struct profile *profile_load_ex(const char *path, struct hc_msgs *msgs,
				bool snapshot);
int profile_save(const struct profile *p, const char *path, char **err);
/* Append the profile's sections to an INI writer (for run snapshots). */
struct ini_writer;
void profile_write(const struct profile *p, struct ini_writer *w);

/*
 * Check the values that cannot be checked while parsing one key at a time.
 * profile_load() calls it; the TUI calls it after edits. Returns the number
 * of errors added.
 */
size_t profile_validate(const struct profile *p, struct hc_msgs *msgs);

/*
 * "FILE:LINE: [section] key" for messages about one key, with ":LINE"
 * left out when it is not known. Caller frees.
 */
char *profile_where(const struct profile *p, const char *section,
		    const char *key);

/* The segment path resolved against the profile's folder. Caller frees. */
char *profile_segment_path(const struct profile *p);

/* Before the profile is saved as new_path: when that is in another folder,
 * a relative segment (or TLS file) path would point elsewhere, so it is
 * made absolute. new_path NULL: make them absolute whatever happens.
 * Returns true when a path changed. */
bool profile_rebase(struct profile *p, const char *new_path);

/* A file named in the profile (ca_file...), resolved against the
 * profile's folder like the segment. Caller frees; NULL for NULL. */
char *profile_file_path(const struct profile *p, const char *file);
/* Can the TLS files be read? -1 with an error per file that cannot,
 * naming its key and the reason. */
int profile_check_files(const struct profile *p, struct hc_msgs *msgs);

/* Append an entry to a list (copies its strings). */
void profile_list_add(struct profile_list *l, const char *name, unsigned line,
		      const char *key, const char *value);
void profile_list_clear(struct profile_list *l);
/* Remove entry i, and name the rest PREFIX1, PREFIX2... in order. */
void profile_list_remove(struct profile_list *l, size_t i, const char *prefix);
void profile_list_renumber(struct profile_list *l, const char *prefix);

/* Is this method one hookcast sends? Case-sensitive, upper case. */
bool profile_method_ok(const char *method);

/* "all", "changes", "mirror"; and back (-1: unknown). */
const char *profile_sync_name(enum profile_sync m);
int profile_sync_parse(const char *name);
/* The method each event is sent with: [sync] added_method and
 * changed_method default to [destination] method, removed_method to
 * DELETE. */
const char *profile_event_method(const struct profile *p, int event);

/* "none", "json", "form", "ndjson"; and back (-1: unknown). */
const char *profile_body_name(enum profile_body f);
int profile_body_parse(const char *name);
/* "auto" (PROFILE_THREADS_AUTO) or 1..PROFILE_THREADS_MAX: 0 or -1. */
int profile_threads_parse(const char *v, long *out);
/* "none", "standard-webhooks", "hmac-sha256"; and back (-1: unknown). */
const char *profile_sign_name(enum profile_sign s);
int profile_sign_parse(const char *name);
/* The header an hmac-sha256 signature goes in, and its prefix. */
const char *profile_sign_header(const struct profile *p);
const char *profile_sign_prefix(const struct profile *p);
/* Can h be [signing] header: a header name of at most 64 characters? */
bool profile_sign_header_ok(const char *h);
/* Is the signing secret written in the file rather than ${NAME}? */
bool profile_sign_secret_literal(const struct profile *p);
/* Do this profile's requests carry an idempotency key (a key header, a
 * Standard Webhooks id, or batches, whose keys come from their rows')? */
bool profile_wants_key(const struct profile *p);

/* Does this header carry a literal secret (an Authorization, *token*,
 * *key* or *secret* header whose value has no ${NAME})? */
bool profile_header_literal_secret(const char *header);

/* A static parameter whose name holds token, key, secret, password or
 * signature, with a literal value: shown as ***, kept out of history. */
bool profile_static_literal_secret(const struct profile_entry *e);

#endif
