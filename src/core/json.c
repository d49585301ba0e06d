#include "hookcast/json.h"

#include <stdlib.h>
#include <string.h>

#include "hookcast/util.h"

static json_t *checked(json_t *j)
{
	if (j == NULL) { /* only out of memory: the rest is checked */
		fprintf(stderr, "hookcast: out of memory\n");
		abort();
	}
	return j;
}

json_t *hc_json_text(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	if (j)
		return j;
	struct hc_buf b;
	hc_buf_init(&b);
	for (size_t i = 0; i < n;) {
		/* the longest valid sequence that starts here, up to 4 bytes */
		size_t k = 0;
		for (size_t w = 4; w >= 1 && k == 0; w--) {
			if (i + w > n)
				continue;
			json_t *one = json_stringn(s + i, w);
			if (one) {
				k = w;
				json_decref(one);
			}
		}
		if (k) {
			hc_buf_add(&b, s + i, k);
			i += k;
		} else {
			hc_buf_adds(&b, "\xEF\xBF\xBD");
			i++;
		}
	}
	j = json_stringn(b.data ? b.data : "", b.len);
	hc_buf_free(&b);
	return checked(j);
}

json_t *hc_json_str(const char *s)
{
	return hc_json_text(s ? s : "", s ? strlen(s) : 0);
}

int hc_json_puts(json_t *j, FILE *out)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(j);
	if (text == NULL)
		return -1;
	int rc = fputs(text, out) < 0 || fputc('\n', out) == EOF ? -1 : 0;
	free(text);
	return rc;
}
