/* The reference for "what libcurl itself can do here": a bare multi loop,
 * curl_multi_poll, 32 reused handles, POST with an empty body, one URL per
 * request, no journal, no CSV. Built and run by bench/bench.py.
 *   bare_multi URL N */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define C 32

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long n = atol(argv[2]), sent = 0, done = 0;
	curl_global_init(CURL_GLOBAL_ALL);
	CURLM *m = curl_multi_init();
	CURL *h[C];
	char url[C][512];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < C && sent < n; i++) {
		h[i] = curl_easy_init();
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h[i], CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h[i], CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(h[i], CURLOPT_PRIVATE, (void *)i);
		snprintf(url[i], sizeof url[i], "%s&id=%ld", argv[1], ++sent);
		curl_easy_setopt(h[i], CURLOPT_URL, url[i]);
		curl_multi_add_handle(m, h[i]);
	}
	int running = 1;
	while (done < n) {
		curl_multi_poll(m, NULL, 0, 1000, NULL);
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int q;
		while ((msg = curl_multi_info_read(m, &q)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			done++;
			char *p;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
			long i = (long)p;
			curl_multi_remove_handle(m, h[i]);
			if (sent < n) {
				snprintf(url[i], sizeof url[i], "%s&id=%ld", argv[1], ++sent);
				curl_easy_setopt(h[i], CURLOPT_URL, url[i]);
				curl_multi_add_handle(m, h[i]);
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.1f\n", (double)n / s);
	return 0;
}
