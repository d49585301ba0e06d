/* The terminal check, apart: term.h defines macros such as "lines". */
#include "tui.h"

#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

bool tui_usable_terminal(void)
{
	const char *term = getenv("TERM");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || term == NULL ||
	    *term == '\0' || strcmp(term, "dumb") == 0)
		return false;
	int err = 0;
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return false;
	const char *cup = tigetstr("cup");
	bool ok = cup != NULL && cup != (char *)-1;
	del_curterm(cur_term);
	cur_term = NULL;
	return ok;
}
