/* libFuzzer: the theme loader: any file loads or fails with a message,
 * and always leaves a usable theme. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hookcast/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/hookcast-fuzz-theme-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	struct theme t;
	char *err = NULL;
	const char *const dirs[] = { NULL };
	if (theme_load_file(path, dirs, &t, &err) < 0) {
		if (err == NULL)
			abort();
		free(err);
	}
	for (int r = 0; r < ROLE_COUNT; r++)
		if (t.role[r].fg.kind == COLOR_INDEX &&
		    (t.role[r].fg.index < 0 || t.role[r].fg.index > 255))
			abort();
	unlink(path);
	return 0;
}
