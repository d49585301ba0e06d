/* libFuzzer: the segment reader. The first byte picks how much one read()
 * returns (1..256 bytes, or the whole buffer), so that reads end at every
 * possible place: inside a CRLF, a quoted field, a BOM. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hookcast/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t read_max = data[0] == 255 ? 0 : (size_t)data[0] + 1;
	char delim = (char)"\0,;\t|"[data[1] % 5];
	data += 2;
	size -= 2;
	int fd = memfd_create("segment", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct segment_opts o = { .delimiter = delim, .field_max = 300,
				  .read_max = read_max };
	char *err = NULL;
	struct segment *seg = segment_open(path, &o, &err);
	if (seg == NULL) {
		if (err == NULL)
			abort(); /* a failure always says why */
		free(err);
		close(fd);
		return 0;
	}
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
				if (row.lens[i] > 300 ||
				    memchr(row.fields[i], 0, row.lens[i]) ||
				    row.fields[i][row.lens[i]] != '\0')
					abort();
		}
	}
	if (r < 0 && segment_fatal(seg) == NULL)
		abort();
	if (r < 0 && segment_next(seg, &row) != -1)
		abort(); /* nothing after a fatal error */
	segment_free(seg);
	close(fd);
	return 0;
}
