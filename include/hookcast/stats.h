/*
 * stats.h: fixed-size delivery statistics that cost nothing per request
 * beyond a few additions: a latency histogram (no per-sample storage), a
 * sliding window for the current rate, and a ring of the latest results.
 */
#ifndef HOOKCAST_STATS_H
#define HOOKCAST_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Latency histogram in microseconds: 16 sub-buckets per power of two, so a
 * percentile is within about 6% of the true value. */
#define HIST_SUB 16
#define HIST_BUCKETS (HIST_SUB * 40)

struct hist {
	uint64_t count[HIST_BUCKETS];
	uint64_t n;
	uint64_t min_us, max_us;
};

void hist_add(struct hist *h, uint64_t us);
/* The q-quantile (0..1) in microseconds; 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
/* Count the samples into n coarse bins: bin i holds those below
 * edges_us[i] (and at or above the edge before), the last bin the rest.
 * edges_us has n - 1 ascending entries. */
void hist_bins(const struct hist *h, const uint64_t *edges_us, size_t n,
	       uint64_t *out);

/* Completions over the last RATE_SLOTS * RATE_SLOT_MS milliseconds. */
#define RATE_SLOTS 50
#define RATE_SLOT_MS 100

struct rate_window {
	uint64_t count[RATE_SLOTS];
	uint64_t slot; /* absolute slot number of the newest entry */
	double start;  /* monotonic time of the first add, seconds */
	int started;
};

void rate_add(struct rate_window *r, double now, uint64_t n);
/* Events per second over the window (or since the start, if shorter). */
double rate_now(const struct rate_window *r, double now);

#endif
