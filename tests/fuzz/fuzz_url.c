/* libFuzzer: the URL builder. Input: a base URL, a key and a value,
 * separated by NUL bytes. The built URL never holds a raw space, CR, LF
 * or '#', and decoding its last parameter gives back the key and value. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hookcast/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct segment *header_segment(void)
{
	static struct segment *seg;
	if (seg == NULL) {
		int fd = memfd_create("hdr", 0);
		if (write(fd, "c\n", 2) != 2)
			abort();
		lseek(fd, 0, SEEK_SET);
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		char *err = NULL;
		seg = segment_open(path, NULL, &err);
		if (seg == NULL)
			abort();
	}
	return seg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *z1 = memchr(p, 0, size);
	if (z1 == NULL)
		return 0;
	const char *k = z1 + 1;
	const char *z2 = memchr(k, 0, size - (size_t)(k - p));
	if (z2 == NULL || z2 == k)
		return 0;
	const char *v = z2 + 1;
	size_t vlen = size - (size_t)(v - p);
	if (memchr(v, 0, vlen) || memchr(k, '=', (size_t)(z2 - k)))
		return 0; /* a NUL cannot be in a field; '=' ends a key */
	struct profile *pr = profile_new();
	pr->url = xstrdup(p);
	profile_list_add(&pr->mappings, "map1", 0, k, "c");
	struct hc_msgs m;
	hc_msgs_init(&m);
	struct request_plan *plan = request_plan_new(pr, &m);
	if (plan == NULL) {
		if (m.nerrors == 0)
			abort();
		goto out;
	}
	if (request_plan_bind(plan, header_segment(), &m) < 0)
		abort();
	const char *fields[1] = { v };
	size_t lens[1] = { vlen };
	struct segment_row row = { .row = 1, .line = 2, .nfields = 1,
				   .fields = fields, .lens = lens };
	struct hc_buf url, why;
	hc_buf_init(&url);
	hc_buf_init(&why);
	int rc = request_build(plan, &row, &url, NULL, &why);
	if (rc != request_check(plan, &row, &why))
		abort();
	if (rc == 0) {
		/* the base as expanded ("$${" gives "${") starts the URL */
		struct hc_buf b;
		hc_buf_init(&b);
		char *e = NULL;
		if (request_expand(p, false, &b, NULL, NULL, &e) < 0 ||
		    b.len > url.len || memcmp(url.data, b.data, b.len) != 0)
			abort();
		const char *tail = url.data + b.len;
		hc_buf_free(&b);
		if (strpbrk(tail, " \r\n#") != NULL)
			abort();
		/* the mapped parameter follows the last '&' or '?': encoded
		 * keys and values hold neither */
		const char *amp = strrchr(url.data, '&');
		const char *q = strrchr(url.data, '?');
		const char *param = (amp > q ? amp : q) + 1;
		const char *eq = strchr(param, '=');
		int kn = 0, vn = 0;
		char *dk = curl_easy_unescape(NULL, param, (int)(eq - param), &kn);
		char *dv = curl_easy_unescape(NULL, eq + 1, 0, &vn);
		if ((size_t)kn != (size_t)(z2 - k) || memcmp(dk, k, (size_t)kn) ||
		    (size_t)vn != vlen || memcmp(dv, v, vlen))
			abort();
		curl_free(dk);
		curl_free(dv);
	}
	hc_buf_free(&url);
	hc_buf_free(&why);
out:
	request_plan_free(plan);
	hc_msgs_free(&m);
	profile_free(pr);
	return 0;
}
