#include "hookcast/stats.h"

#include <string.h>

static size_t hist_index(uint64_t us)
{
	if (us < HIST_SUB)
		return (size_t)us;
	unsigned e = 63u - (unsigned)__builtin_clzll(us); /* e >= 4 */
	size_t sub = (size_t)(us >> (e - 4)) & (HIST_SUB - 1);
	size_t idx = (size_t)(e - 3) * HIST_SUB + sub;
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* The middle of a bucket's range, in microseconds. */
static uint64_t hist_value(size_t idx)
{
	if (idx < HIST_SUB)
		return idx;
	unsigned e = (unsigned)(idx / HIST_SUB) + 3;
	uint64_t sub = idx % HIST_SUB;
	uint64_t low = (HIST_SUB + sub) << (e - 4);
	uint64_t width = (uint64_t)1 << (e - 4);
	return low + width / 2;
}

void hist_add(struct hist *h, uint64_t us)
{
	h->count[hist_index(us)]++;
	if (h->n == 0 || us < h->min_us)
		h->min_us = us;
	if (us > h->max_us)
		h->max_us = us;
	h->n++;
}

void hist_bins(const struct hist *h, const uint64_t *edges_us, size_t n,
	       uint64_t *out)
{
	memset(out, 0, n * sizeof *out);
	size_t b = 0;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		if (h->count[i] == 0)
			continue;
		uint64_t v = hist_value(i);
		while (b + 1 < n && v >= edges_us[b])
			b++;
		out[b] += h->count[i];
	}
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	if (h->n == 0)
		return 0;
	if (q <= 0)
		return h->min_us;
	if (q >= 1)
		return h->max_us;
	uint64_t rank = (uint64_t)(q * (double)h->n);
	if (rank >= h->n)
		rank = h->n - 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen > rank) {
			uint64_t v = hist_value(i);
			if (v < h->min_us)
				v = h->min_us;
			if (v > h->max_us)
				v = h->max_us;
			return v;
		}
	}
	return h->max_us;
}

void rate_add(struct rate_window *r, double now, uint64_t n)
{
	if (!r->started) {
		memset(r, 0, sizeof *r);
		r->start = now;
		r->started = 1;
	}
	uint64_t slot = (uint64_t)(now * 1000.0 / RATE_SLOT_MS);
	if (slot > r->slot) {
		uint64_t gap = slot - r->slot;
		if (gap >= RATE_SLOTS)
			memset(r->count, 0, sizeof r->count);
		else
			for (uint64_t s = r->slot + 1; s <= slot; s++)
				r->count[s % RATE_SLOTS] = 0;
		r->slot = slot;
	}
	r->count[slot % RATE_SLOTS] += n;
}

double rate_now(const struct rate_window *r, double now)
{
	if (!r->started)
		return 0;
	uint64_t slot = (uint64_t)(now * 1000.0 / RATE_SLOT_MS);
	uint64_t sum = 0;
	for (uint64_t i = 0; i < RATE_SLOTS; i++) {
		if (slot < i)
			break;
		uint64_t s = slot - i;
		if (s > r->slot || r->slot - s >= RATE_SLOTS)
			continue;
		sum += r->count[s % RATE_SLOTS];
	}
	double window = RATE_SLOTS * RATE_SLOT_MS / 1000.0;
	double since = now - r->start;
	if (since < window)
		window = since > 0.2 ? since : 0.2;
	return (double)sum / window;
}
