/* libFuzzer: the profile loader. Whatever it accepts must save, and load
 * back as the same profile, and save again to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hookcast/profile.h"
#include "../unit/testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[] = "/tmp/hookcast-fuzz-profile-XXXXXX";
	int fd = mkstemp(in);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct profile *p = profile_load(in, &m);
	if (p == NULL && m.nerrors == 0)
		abort(); /* a refusal always says why */
	if (p) {
		char a[] = "/tmp/hookcast-fuzz-a-XXXXXX";
		char b[] = "/tmp/hookcast-fuzz-b-XXXXXX";
		close(mkstemp(a));
		close(mkstemp(b));
		char *err = NULL;
		if (profile_save(p, a, &err) == 0) {
			struct hc_msgs m2;
			hc_msgs_init(&m2);
			struct profile *q = profile_load(a, &m2);
			if (q == NULL)
				abort(); /* what we wrote, we must read */
			if (profile_save(q, b, &err) != 0)
				abort();
			char *ta = tu_slurp(a), *tb = tu_slurp(b);
			if (strcmp(ta, tb) != 0)
				abort();
			free(ta);
			free(tb);
			profile_free(q);
			hc_msgs_free(&m2);
		} else {
			free(err);
		}
		unlink(a);
		unlink(b);
		profile_free(p);
	}
	hc_msgs_free(&m);
	unlink(in);
	return 0;
}
