/* libFuzzer: the segment reader. The first bytes pick how much one read()
 * returns (1..256 bytes, or all it can), the delimiter, whether the reader
 * parses ahead on its own thread, and the size of its buffer (1..320
 * bytes), so that reads and buffers end at every possible place: inside a
 * CRLF, a quoted field, a BOM, a field at the cap. Beyond "no crash", the rows, line numbers, offsets and errors
 * must be exactly those of a pass with the default 64 KiB buffer and
 * whole reads over the same bytes; a hang fails through -timeout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hookcast/segment.h"
#include "hookcast/util.h"

#define FIELD_MAX 300

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Everything a reader returns, as one byte string to compare. */
static void transcript(const char *path, const struct segment_opts *o,
		       struct hc_buf *t)
{
	char *err = NULL;
	struct segment *seg = segment_open(path, o, &err);
	if (seg == NULL) {
		if (err == NULL)
			abort(); /* a failure always says why */
		hc_buf_printf(t, "open failed: %s\n", err);
		free(err);
		return;
	}
	hc_buf_printf(t, "delimiter %d, %zu columns\n",
		      segment_delimiter(seg), segment_ncolumns(seg));
	for (size_t i = 0; i < segment_ncolumns(seg); i++)
		hc_buf_printf(t, "[%s]", segment_column(seg, i));
	struct segment_row row;
	uint64_t last = 0, last_line = 0;
	int r;
	while ((r = segment_next(seg, &row)) > 0) {
		/* rows count up by one, lines never go back */
		if (row.row != last + 1 || row.line <= last_line)
			abort();
		last = row.row;
		last_line = row.line;
		if (row.invalid == NULL) {
			if (row.nfields != segment_ncolumns(seg))
				abort();
			for (size_t i = 0; i < row.nfields; i++)
				if (row.lens[i] > FIELD_MAX ||
				    memchr(row.fields[i], 0, row.lens[i]) ||
				    row.fields[i][row.lens[i]] != '\0')
					abort();
		}
		hc_buf_printf(t, "\nrow %llu line %llu offset %llu, %zu "
			      "fields, invalid: %s\n",
			      (unsigned long long)row.row,
			      (unsigned long long)row.line,
			      (unsigned long long)row.offset, row.nfields,
			      row.invalid ? row.invalid : "-");
		for (size_t i = 0; i < row.nfields; i++) {
			hc_buf_printf(t, "%zu:", row.lens[i]);
			hc_buf_add(t, row.fields[i], row.lens[i]);
		}
	}
	if (r < 0 && segment_fatal(seg) == NULL)
		abort();
	if (r < 0 && segment_next(seg, &row) != -1)
		abort(); /* nothing after a fatal error */
	if (r < 0)
		hc_buf_printf(t, "\nfatal at line %llu offset %llu: %s",
			      (unsigned long long)segment_fatal(seg)->line,
			      (unsigned long long)segment_fatal(seg)->offset,
			      segment_fatal(seg)->msg);
	hc_buf_printf(t, "\nend %d, %llu lines", r,
		      (unsigned long long)segment_lines_read(seg));
	segment_free(seg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	size_t read_max = data[0] == 255 ? 0 : (size_t)data[0] + 1;
	char delim = (char)"\0,;\t|"[data[1] % 5];
	bool prefetch = data[1] / 5 % 2; /* parsed ahead on the reader's thread */
	size_t buf_size = (size_t)data[2] + 1 + (data[2] & 0x40 ? 64 : 0);
	data += 3;
	size -= 3;
	int fd = memfd_create("segment", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

	struct hc_buf small, ref;
	hc_buf_init(&small);
	hc_buf_init(&ref);
	struct segment_opts o = { .delimiter = delim, .field_max = FIELD_MAX,
				  .read_max = read_max,
				  .buf_size = buf_size, .prefetch = prefetch };
	transcript(path, &o, &small);
	struct segment_opts d = { .delimiter = delim, .field_max = FIELD_MAX };
	transcript(path, &d, &ref);
	if (small.len != ref.len || memcmp(small.data, ref.data, ref.len)) {
		/* fields may hold NUL bytes: write the whole transcripts */
		fprintf(stderr, "buffer %zu, reads of %zu%s differ from the "
			"default:\n--- small\n", buf_size, read_max,
			o.prefetch ? ", parsed ahead," : "");
		fwrite(small.data, 1, small.len, stderr);
		fprintf(stderr, "\n--- default\n");
		fwrite(ref.data, 1, ref.len, stderr);
		fprintf(stderr, "\n");
		abort();
	}
	hc_buf_free(&small);
	hc_buf_free(&ref);
	close(fd);
	return 0;
}
