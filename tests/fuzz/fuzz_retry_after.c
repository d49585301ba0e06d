/* libFuzzer: the Retry-After parser: -1, or a delay in [0, 300]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hookcast/engine.h"
#include "hookcast/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	double d = engine_parse_retry_after(s, 1764300000);
	if (!(d == -1 || (d >= 0 && d <= ENGINE_RETRY_AFTER_MAX)))
		abort();
	free(s);
	return 0;
}
