/* "What libcurl itself can do here" on several threads: T threads, each
 * with its own multi handle and 32/T reused easy handles, POST with an
 * empty body, one URL per request (the query carries percent-encoded
 * values, as the bench's rows do), nothing else: no CSV, no journal, no
 * retries, and no thread waits for another. make bench runs it on as
 * many threads as hookcast delivers on (BENCHMARKS.md, item 5).
 *   cc -O2 -o bare_threads bench/bare_threads.c -lcurl -lpthread
 *   bare_threads URL N THREADS [CA_FILE [1|2]]   (1: HTTP/1.1, 2: HTTP/2) */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define C 32
#define TMAX 8

static const char *base, *ca;
static long per, version = 1;
static int nthreads;

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

static void set_url(CURL *h, char *buf, long t, long id)
{
	snprintf(buf, 512, "%s&email=someone%%40example.org&name=Jo%%20Doe"
		 "&t=%ld&id=%ld", base, t, id);
	curl_easy_setopt(h, CURLOPT_URL, buf);
}

static void *run(void *arg)
{
	long t = (long)arg, sent = 0, done = 0;
	int c = C / nthreads;
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)c);
	CURL *h[C];
	char url[C][512];
	for (int i = 0; i < c && sent < per; i++) {
		h[i] = curl_easy_init();
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h[i], CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h[i], CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(h[i], CURLOPT_PRIVATE, (void *)(long)i);
		curl_easy_setopt(h[i], CURLOPT_NOSIGNAL, 1L);
		if (ca)
			curl_easy_setopt(h[i], CURLOPT_CAINFO, ca);
		curl_easy_setopt(h[i], CURLOPT_HTTP_VERSION,
				 version == 2 ? CURL_HTTP_VERSION_2TLS
					      : CURL_HTTP_VERSION_1_1);
		set_url(h[i], url[i], t, ++sent);
		curl_multi_add_handle(m, h[i]);
	}
	while (done < per) {
		int running;
		curl_multi_poll(m, NULL, 0, 1000, NULL);
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int q;
		while ((msg = curl_multi_info_read(m, &q)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			if (msg->data.result != CURLE_OK) {
				fprintf(stderr, "bare_threads: %s\n",
					curl_easy_strerror(msg->data.result));
				exit(1);
			}
			done++;
			char *p;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
			long i = (long)p;
			curl_multi_remove_handle(m, h[i]);
			if (sent < per) {
				set_url(h[i], url[i], t, ++sent);
				curl_multi_add_handle(m, h[i]);
			}
		}
	}
	for (int i = 0; i < c; i++) {
		curl_multi_remove_handle(m, h[i]);
		curl_easy_cleanup(h[i]);
	}
	curl_multi_cleanup(m);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	base = argv[1];
	nthreads = atoi(argv[3]);
	if (nthreads < 1 || nthreads > TMAX)
		return 2;
	per = atol(argv[2]) / nthreads;
	ca = argc > 4 && argv[4][0] ? argv[4] : NULL;
	version = argc > 5 ? atol(argv[5]) : 1;
	curl_global_init(CURL_GLOBAL_ALL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_t th[TMAX];
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, run, (void *)i);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f\n", (double)(per * nthreads) / s);
	curl_global_cleanup();
	return 0;
}
