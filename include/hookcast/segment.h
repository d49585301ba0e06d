/*
 * segment.h: the streaming CSV reader.
 *
 * A segment is a CSV file whose first record names the columns. The reader
 * holds one record in memory at a time, whatever the size of the file.
 *
 * Contract:
 * - segment_open() reads the header. It fails (NULL, *err set, caller frees
 *   *err) when the file cannot be read, is empty, has an empty or duplicate
 *   column name, or cannot be parsed.
 * - segment_next() yields records in order. A record whose field count differs
 *   from the header, or that holds a NUL byte, is yielded with row->invalid
 *   set to the reason: it must never be sent, and the records around it are
 *   unaffected.
 * - A parse error (an unbalanced quote, a stray quote in an unquoted field, a
 *   field over the size cap, a read error) is fatal: segment_next() returns
 *   -1 and segment_fatal() describes it with its line and byte offset. Nothing
 *   after it may be trusted, and segment_next() keeps returning -1.
 * - The row passed to segment_next() borrows the reader's memory: it is valid
 *   until the next call or segment_free().
 * - Whitespace is data (RFC 4180); a UTF-8 BOM is stripped; LF, CRLF and CR
 *   all end a line; blank lines are skipped; quoted fields may hold
 *   delimiters, doubled quotes and line breaks.
 */
#ifndef HOOKCAST_SEGMENT_H
#define HOOKCAST_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEGMENT_FIELD_MAX_DEFAULT ((size_t)64 * 1024)
#define SEGMENT_BUF_SIZE_DEFAULT ((size_t)64 * 1024)
#define SEGMENT_COLUMNS_MAX 4096

struct segment;
struct segment_row;

/* Room for what segment_opts.on_row writes of a row: 32 hex digits and a
 * NUL. */
#define SEGMENT_TAG_MAX 33

struct segment_opts {
	char delimiter;   /* ',', ';', '\t' or '|'; 0 detects it from the header */
	size_t field_max; /* longest field in bytes; 0 means the default */
	/* When set, called with every byte read, in file order: for a
	 * checksum, or to keep a copy of standard input. */
	void (*on_bytes)(void *ud, const void *p, size_t n);
	void *bytes_ud;
	size_t read_max; /* the most one read() takes; 0: the buffer size.
			  * Small values test reads that end anywhere. */
	size_t buf_size; /* internal: the read buffer; 0: the default. Tests
			  * and fuzzers set it small to reach its boundaries;
			  * nothing a reader returns depends on it. */
	bool prefetch;   /* parse on a thread of the segment's own, ahead of
			  * segment_next(), a bounded number of rows: for a
			  * regular file (ignored otherwise). The same rows and
			  * errors; on_bytes is then called on that thread. */
	/* With prefetch: called on the reader's thread for each row that is
	 * not invalid, as it is parsed, to write up to SEGMENT_TAG_MAX bytes
	 * derived from its fields alone (hookcast: the row's idempotency
	 * key), so that this work leaves the caller's thread. segment_next()
	 * hands it out as row->tag. It must touch nothing the caller
	 * changes. */
	void (*on_row)(void *ud, const struct segment_row *row, char *tag);
	void *row_ud;
};

struct segment_row {
	uint64_t row;    /* data-row number, 1-based, header excluded */
	uint64_t line;   /* physical line where the record starts, 1-based */
	uint64_t offset; /* byte offset in the file of that line's start */
	size_t nfields;  /* fields in the record: may differ from the columns */
	const char *const *fields; /* NUL-terminated copies, nfields of them;
				    * for an invalid row, possibly fewer */
	const size_t *lens;        /* byte length of each field */
	const char *invalid;       /* NULL, or why the row can never be sent */
	const char *tag; /* NULL, or what segment_opts.on_row wrote for it */
};

struct segment_fatal {
	uint64_t line;   /* physical line where the problem was found */
	uint64_t offset; /* byte offset in the file */
	const char *msg; /* "NAME:LINE: what (byte OFFSET)" */
};

/* path "-" reads standard input. */
struct segment *segment_open(const char *path, const struct segment_opts *opts,
			     char **err);
void segment_free(struct segment *seg);

/* 1: *row holds the next record; 0: end of file; -1: fatal error. */
int segment_next(struct segment *seg, struct segment_row *row);
const struct segment_fatal *segment_fatal(const struct segment *seg);

const char *segment_name(const struct segment *seg); /* path, or "stdin" */
char segment_delimiter(const struct segment *seg);
bool segment_delimiter_detected(const struct segment *seg);
size_t segment_ncolumns(const struct segment *seg);
const char *segment_column(const struct segment *seg, size_t i);
/* The index of a column by exact name, or -1. */
long segment_column_index(const struct segment *seg, const char *name);
/* Physical lines read so far (for progress). */
uint64_t segment_lines_read(const struct segment *seg);
uint64_t segment_bytes_read(const struct segment *seg);

struct segment_counts {
	uint64_t rows;    /* records after the header, valid or not */
	uint64_t invalid; /* records segment_next() marks invalid */
	uint64_t lines;   /* physical lines read */
};

/*
 * Scan a whole segment without keeping its rows. Returns 0 when the file
 * parsed to its end, or -1 with *err (caller frees) describing the first
 * fatal error; *counts then holds what was counted before it.
 */
int segment_count(const char *path, const struct segment_opts *opts,
		  struct segment_counts *counts, char **err);

/* ',' -> "," and '\t' -> "tab", for messages and profiles. */
const char *segment_delimiter_name(char delim);
/* The inverse: "auto" gives 0. Returns -1 on an unknown name. */
int segment_delimiter_parse(const char *name, char *delim);

#endif
