/* libFuzzer: a run's journal (results.csv), as a resume, history show and
 * the wizard's history read it: a damaged or hand-edited journal must never
 * crash them, and both readers agree on each row's final outcome. Input:
 * the lines after the header; a first byte 'N' picks today's 13-column
 * header (key, response_headers), anything else the older 11 columns. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hookcast/history.h"
#include "hookcast/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char old_header[] = "row,line,attempt,time,method,status,"
				 "outcome,latency_ms,error,url,response\n";
static const char new_header[] = HISTORY_HEADER "\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	if (dir[0] == '\0') {
		snprintf(dir, sizeof dir, "/tmp/hookcast-fuzz.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	char path[96];
	snprintf(path, sizeof path, "%s/results.csv", dir);
	const char *header = old_header;
	size_t hlen = sizeof old_header - 1;
	if (size > 0 && data[0] == 'N') {
		header = new_header;
		hlen = sizeof new_header - 1;
		data++;
		size--;
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(header, 1, hlen, f) != hlen ||
	    fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();

	/* the run's rows_total bounds the rows a line may name */
	const uint64_t max_row = 1000;
	struct history_finals fin;
	char *err = NULL;
	int rf = history_finals_load(dir, max_row, &fin, &err);
	if (rf < 0 && err == NULL)
		abort(); /* a failure always says why */
	free(err);
	err = NULL;
	struct history_row *rows = NULL;
	size_t n = 0;
	int rr = history_rows_load(dir, max_row, &rows, &n, &err);
	if (rr < 0 && err == NULL)
		abort();
	free(err);
	if (rf == 0 && rr == 0) {
		uint64_t finals = 0;
		for (size_t i = 0; i < n; i++) {
			if (rows[i].row == 0 || rows[i].row > max_row ||
			    (i > 0 && rows[i].row <= rows[i - 1].row))
				abort(); /* in row order, each row once */
			enum history_final v = history_finals_get(&fin,
								  rows[i].row);
			bool final = strcmp(rows[i].outcome, "retry") != 0;
			if (final)
				finals++;
			if ((v != FINAL_NONE) != (final &&
			    (strcmp(rows[i].outcome, "delivered") == 0 ||
			     strcmp(rows[i].outcome, "failed") == 0 ||
			     strcmp(rows[i].outcome, "invalid") == 0)))
				abort(); /* the two readers disagree */
		}
		if (fin.delivered + fin.failed + fin.invalid > finals)
			abort();
	}
	if (rr == 0)
		history_rows_free(rows, n);
	if (rf == 0)
		history_finals_free(&fin);
	return 0;
}
