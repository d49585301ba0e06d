/*
 * save_loop: save a profile over and over with profile_save(), the code
 * path the wizard's Ctrl-S uses, alternating between two versions, until
 * killed. tests/faults/test_profiles.py kills it with SIGKILL at random
 * moments and checks that the file is always one version or the other.
 *
 *   save_loop PROFILE-A PROFILE-B TARGET [COUNT]
 *
 * With COUNT, it stops after COUNT saves and exits 1 on the first failed
 * save, printing the error (the full-disk case).
 */
#include <stdio.h>
#include <stdlib.h>

#include "hookcast/profile.h"
#include "hookcast/util.h"

static struct profile *load(const char *path)
{
	struct hc_msgs msgs;
	hc_msgs_init(&msgs);
	struct profile *p = profile_load(path, &msgs);
	for (size_t i = 0; i < msgs.n; i++)
		fprintf(stderr, "%s\n", msgs.items[i].text);
	hc_msgs_free(&msgs);
	return p;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: save_loop PROFILE-A PROFILE-B TARGET "
			"[COUNT]\n");
		return 2;
	}
	struct profile *p[2] = { load(argv[1]), load(argv[2]) };
	if (p[0] == NULL || p[1] == NULL)
		return 2;
	long count = argc > 4 ? strtol(argv[4], NULL, 10) : -1;
	int status = 0;
	for (long i = 0; count < 0 || i < count; i++) {
		char *err = NULL;
		if (profile_save(p[i % 2], argv[3], &err) < 0) {
			fprintf(stderr, "%s\n", err);
			free(err);
			status = 1;
			break;
		}
	}
	profile_free(p[0]);
	profile_free(p[1]);
	return status;
}
