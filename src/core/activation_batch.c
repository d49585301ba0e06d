/*
 * activation_batch.c: many rows per request ([body] batch_size > 1).
 *
 * The batcher sits between the engine and the run's own source of
 * requests (one row each): it takes rows from it and gathers them, one
 * open batch per event (a sync's added, changed and removed rows go in
 * separate batches, since they may go with different methods), until a
 * batch holds batch_size rows or the next row would take its body past
 * batch_bytes. A batch is one request: one URL (batches have no query
 * mappings), one body, one idempotency key derived from its rows' keys,
 * retried as a whole. Its result is journaled once per row, with the
 * batch's number, so resume and --retry-failed rebuild batches from the
 * rows that still need sending.
 */
#include <stdlib.h>
#include <string.h>

#include "hookcast/body.h"
#include "hookcast/hash.h"

#include "activation_int.h"

static struct batch *batch_new(struct activation *a)
{
	size_t cap = (size_t)a->profile->batch_size;
	struct batch *b = xcalloc(1, sizeof *b + cap * sizeof b->rows[0]);
	b->next = a->batches;
	if (b->next)
		b->next->prev = b;
	a->batches = b;
	return b;
}

static void batch_free(struct activation *a, struct batch *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		a->batches = b->next;
	if (b->next)
		b->next->prev = b->prev;
	free(b);
}

void act_batches_free(struct activation *a)
{
	for (struct batch *b = a->batches, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->batches = NULL;
	for (int i = 0; i < BATCH_ACCS; i++) {
		hc_buf_free(&a->acc[i].body);
		hc_buf_free(&a->acc[i].url);
		hc_buf_free(&a->acc[i].shown);
		a->acc[i].b = NULL;
	}
	hc_buf_free(&a->bt_url);
	hc_buf_free(&a->bt_shown);
	hc_buf_free(&a->bt_body);
}

/* Hand the open batch of acc over to the engine's request. */
static void emit(struct activation *a, struct batch_acc *acc,
		 struct engine_request *req)
{
	struct batch *b = acc->b;
	const struct body_plan *bp = request_body(a->plan);
	body_batch_close(bp, &acc->body);
	hc_buf_add(req->url, acc->url.data, acc->url.len);
	hc_buf_add(req->shown, acc->shown.data, acc->shown.len);
	hc_buf_add(req->body, acc->body.data, acc->body.len);
	/* One key for the batch, from its rows' keys: the same on every
	 * retry, and after a resume for the same rows. */
	struct hc_sha256 h;
	hc_sha256_init(&h);
	hc_sha256_update(&h, "hookcast-batch-1", 16);
	for (size_t i = 0; i < b->n; i++)
		hc_sha256_update(&h, b->rows[i].key, strlen(b->rows[i].key));
	hc_sha256_final_hex(&h, req->key);
	req->key[32] = '\0';
	req->row = b->rows[0].row;
	req->line = b->rows[0].line;
	req->method = b->method;
	req->ctx = b;
	req->weight = (unsigned)b->n;
	acc->b = NULL;
}

/* Put the row just read (in a->bt_*) into acc's batch, opening one. */
static void add_row(struct activation *a, struct batch_acc *acc,
		    const struct engine_request *row)
{
	const struct body_plan *bp = request_body(a->plan);
	if (acc->b == NULL) {
		acc->b = batch_new(a);
		acc->b->method = row->method;
		hc_buf_reset(&acc->body);
		hc_buf_reset(&acc->url);
		hc_buf_reset(&acc->shown);
		hc_buf_add(&acc->url, a->bt_url.data, a->bt_url.len);
		hc_buf_add(&acc->shown, a->bt_shown.data, a->bt_shown.len);
		body_batch_open(bp, &acc->body);
	} else {
		body_batch_sep(bp, &acc->body);
	}
	struct batch *b = acc->b;
	struct batch_row *r = &b->rows[b->n++];
	r->row = row->row;
	r->line = row->line;
	r->pd = row->ctx;
	r->off = acc->body.len;
	r->len = a->bt_body.len;
	memcpy(r->key, row->key, sizeof r->key - 1);
	r->key[sizeof r->key - 1] = '\0';
	hc_buf_add(&acc->body, a->bt_body.data, a->bt_body.len);
}

int act_batch_next(struct activation *a, struct engine_request *req)
{
	const struct body_plan *bp = request_body(a->plan);
	size_t max_rows = (size_t)a->profile->batch_size;
	size_t max_bytes = (size_t)a->profile->batch_bytes;
	for (;;) {
		if (a->bt_drained) {
			for (int i = 0; i < BATCH_ACCS; i++)
				if (a->acc[i].b) {
					emit(a, &a->acc[i], req);
					return 1;
				}
			return 0;
		}
		hc_buf_reset(&a->bt_url);
		hc_buf_reset(&a->bt_shown);
		hc_buf_reset(&a->bt_body);
		struct engine_request one = {
			.url = &a->bt_url, .shown = &a->bt_shown,
			.body = &a->bt_body,
		};
		int r = a->sync ? act_sync_next(a, &one) : act_all_next(a, &one);
		if (r < 0)
			return -1;
		if (r == 0) {
			a->bt_drained = true;
			continue;
		}
		const struct pending *pd = one.ctx;
		struct batch_acc *acc = &a->acc[pd ? (int)pd->event : 0];
		if (acc->b && acc->body.len + 1 + a->bt_body.len +
				      body_batch_overhead(bp) > max_bytes) {
			/* The row would take the batch past batch_bytes: it
			 * opens the next one. */
			emit(a, acc, req);
			add_row(a, acc, &one);
			return 1;
		}
		add_row(a, acc, &one);
		if (acc->b->n >= max_rows) {
			emit(a, acc, req);
			return 1;
		}
	}
}

int act_batch_record(struct activation *a, const struct engine_result *r,
		     struct history_line *l)
{
	struct batch *b = r->ctx;
	bool final = r->outcome != OUTCOME_RETRY || r->retry_in < 0;
	/* Numbered as they are first journaled: a batch the engine took but
	 * never sent (a stop, an abort) leaves no gap in the numbers, and
	 * its rows go into new batches on a resume. */
	if (b->id == 0)
		b->id = ++a->batch_seq;
	char body[HISTORY_BODY_KEEP];
	bool delivered = r->outcome == OUTCOME_DELIVERED;
	for (size_t i = 0; i < b->n; i++) {
		struct batch_row *row = &b->rows[i];
		l->row = row->row;
		l->line = row->line;
		l->batch = b->id;
		l->event = row->pd ? sync_event_name(row->pd->event) : "all";
		/* The batch's body is kept once, with its first row; a row
		 * that was not delivered keeps its own part too, for a look
		 * at what failed. */
		size_t off = i == 0 ? 0 : row->off;
		size_t len = i == 0 ? r->req_body_len : row->len;
		if (i > 0 && delivered)
			len = 0;
		size_t n = len < sizeof body ? len : sizeof body;
		l->request_body = NULL;
		l->request_body_len = 0;
		if (n > 0 && r->req_body && off + n <= r->req_body_len) {
			memcpy(body, r->req_body + off, n);
			request_redact(a->plan, body, n);
			l->request_body = body;
			l->request_body_len = n;
		}
		if (i == 1 && delivered) {
			/* the other rows' lines differ only in their numbers
			 * (one event a batch, no body of their own) */
			size_t k = b->n - 1;
			uint64_t *rows = xcalloc(k, sizeof *rows);
			uint64_t *lines = xcalloc(k, sizeof *lines);
			for (size_t x = 0; x < k; x++) {
				rows[x] = b->rows[x + 1].row;
				lines[x] = b->rows[x + 1].line;
			}
			history_journal_add_rows(a->journal, l, rows, lines, k);
			free(rows);
			free(lines);
			for (size_t x = 1; x < b->n; x++)
				if (b->rows[x].pd)
					act_sync_record(a, b->rows[x].pd, r);
			break;
		}
		history_journal_add(a->journal, l);
		if (row->pd)
			act_sync_record(a, row->pd, r);
	}
	int n = (int)b->n;
	if (final)
		batch_free(a, b);
	return n;
}

/* A dry run of a batched profile: each batch as it would go. */
int act_batch_dry_run(struct activation *a, FILE *out, FILE *errf,
		      int *status)
{
	a->dry_err = errf;
	if (a->invalid)
		*status = HC_UNDELIVERED;
	struct hc_buf url, shown, body;
	hc_buf_init(&url);
	hc_buf_init(&shown);
	hc_buf_init(&body);
	int r;
	for (;;) {
		hc_buf_reset(&url);
		hc_buf_reset(&shown);
		hc_buf_reset(&body);
		struct engine_request req = { .url = &url, .shown = &shown,
					      .body = &body };
		if ((r = act_batch_next(a, &req)) <= 0)
			break;
		struct batch *b = req.ctx;
		fprintf(out, "# batch of %zu row%s (rows %llu..%llu)\n", b->n,
			b->n == 1 ? "" : "s",
			(unsigned long long)b->rows[0].row,
			(unsigned long long)b->rows[b->n - 1].row);
		act_dry_print(a, out, req.method ? req.method
						 : a->profile->method,
			      shown.data, &body, req.key);
		for (size_t i = 0; i < b->n; i++)
			if (b->rows[i].pd)
				act_pending_unlink(a, b->rows[i].pd);
		batch_free(a, b);
	}
	hc_buf_free(&url);
	hc_buf_free(&shown);
	hc_buf_free(&body);
	return r;
}
