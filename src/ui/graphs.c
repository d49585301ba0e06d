/* Pictures of a run: a sparkline (a value over time, squeezed into the
 * width) and a vertical histogram, in Unicode block characters, or in
 * ASCII under a locale that is not UTF-8. Both read in mono: the height of
 * a glyph carries the value, not its colour. */
#include "tui.h"

#include <stdio.h>
#include <string.h>

static const wchar_t blocks[9] = { L' ', L'\x2581', L'\x2582', L'\x2583',
				   L'\x2584', L'\x2585', L'\x2586', L'\x2587',
				   L'\x2588' };
static const char ascii[9] = { ' ', '_', '.', ',', '-', '=', '+', '*', '#' };

static void put_level(WINDOW *w, int y, int x, int level)
{
	if (level < 0)
		level = 0;
	if (level > 8)
		level = 8;
	if (ui_utf8()) {
		wchar_t s[2] = { blocks[level], L'\0' };
		mvwaddnwstr(w, y, x, s, 1);
	} else {
		mvwaddch(w, y, x, (chtype)(unsigned char)ascii[level]);
	}
}

void graph_spark(WINDOW *w, int y, int x, int width, const double *v,
		 size_t n, double *peak)
{
	double top = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] > top)
			top = v[i];
	if (peak)
		*peak = top;
	if (width < 1)
		return;
	/* The whole run in the width: each column shows the highest sample
	 * of its share of the run (a burst is never averaged away). */
	for (int c = 0; c < width; c++) {
		double m = 0;
		bool any = false;
		if (n > 0) {
			size_t from = n <= (size_t)width ? (size_t)c
					 : (size_t)c * n / (size_t)width;
			size_t to = n <= (size_t)width ? from + 1
				       : ((size_t)c + 1) * n / (size_t)width;
			for (size_t i = from; i < to && i < n; i++) {
				any = true;
				if (v[i] > m)
					m = v[i];
			}
		}
		int level = !any ? 0
			    : top > 0 ? (int)(m / top * 8 + 0.5) : 0;
		if (any && m > 0 && level == 0)
			level = 1; /* something, however small, shows */
		put_level(w, y, x + c, any ? level : 0);
	}
}

void graph_hist(WINDOW *w, int y, int x, int h, int width,
		const uint64_t *counts, int nb, const char *const *labels)
{
	uint64_t top = 0;
	for (int i = 0; i < nb; i++)
		if (counts[i] > top)
			top = counts[i];
	int cw = nb > 0 ? width / nb : 0;
	if (cw < 1 || h < 2)
		return;
	int bars = h - 1; /* the last row holds the labels */
	for (int i = 0; i < nb; i++) {
		/* the height in eighths of a row */
		int eighths = top ? (int)((double)counts[i] / (double)top *
					  bars * 8 + 0.5) : 0;
		if (counts[i] > 0 && eighths == 0)
			eighths = 1;
		for (int r = 0; r < bars; r++) {
			int from_bottom = bars - 1 - r;
			int lvl = eighths - from_bottom * 8;
			for (int k = 0; k < cw - 1; k++)
				put_level(w, y + r, x + i * cw + k, lvl);
		}
		/* narrow bars: a label under every other one, with room */
		if (labels && (cw >= 4 || i % 2 == 0))
			ui_text(w, y + bars, x + i * cw, cw >= 4 ? cw - 1
								 : 2 * cw - 1,
				labels[i], strlen(labels[i]));
	}
}
