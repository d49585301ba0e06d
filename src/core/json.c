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
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k = u[i] < 0x80 ? 1 : hc_utf8_len(u + i, n - i);
		if (k) {
			hc_buf_add(&b, s + i, k);
			i += k;
		} else {
			hc_buf_adds(&b, "\xEF\xBF\xBD"); /* U+FFFD */
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
