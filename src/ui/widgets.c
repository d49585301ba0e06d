/* Reusable pieces: a line editor, a list cursor and safe text drawing. */
#include "tui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

/* ---- text ---- */

/* Decode one character of s[0..n); *len gets the bytes used (at least 1).
 * An undecodable byte or a control character comes back as a replacement
 * that is safe to draw. */
static wchar_t next_char(const char *s, size_t n, size_t *len, int *width)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	wchar_t wc;
	size_t k = mbrtowc(&wc, s, n, &st);
	bool utf8 = MB_CUR_MAX > 1;
	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		*len = 1;
		*width = 1;
		return s[0] == '\0' ? (utf8 ? L'\x2400' : L'?') : L'?';
	}
	*len = k;
	if (wc == L'\t') {
		*width = 1;
		return L' ';
	}
	if (wc == L'\n' || wc == L'\r') {
		*width = 1;
		return utf8 ? L'\x21b5' : L'|';
	}
	if (iswcntrl((wint_t)wc)) {
		*width = 1;
		return L'?';
	}
	int w = wcwidth(wc);
	if (w < 0) {
		*width = 1;
		return L'?';
	}
	*width = w;
	return wc;
}

int ui_width(const char *s, size_t n)
{
	int cols = 0;
	for (size_t i = 0; i < n;) {
		size_t len;
		int w;
		next_char(s + i, n - i, &len, &w);
		cols += w;
		i += len;
	}
	return cols;
}

int ui_text(WINDOW *w, int y, int x, int maxw, const char *s, size_t n)
{
	if (maxw <= 0)
		return 0;
	wchar_t buf[512];
	size_t nb = 0;
	int cols = 0;
	bool cut = false;
	for (size_t i = 0; i < n;) {
		size_t len;
		int cw;
		wchar_t wc = next_char(s + i, n - i, &len, &cw);
		if (cols + cw > maxw || nb + 2 >= sizeof buf / sizeof buf[0]) {
			cut = true;
			break;
		}
		if (cw > 0 || nb > 0) /* no combining mark at the start */
			buf[nb++] = wc;
		cols += cw;
		i += len;
	}
	if (cut && cols > 0) {
		/* room for the marker: drop characters until it fits */
		while (nb > 0 && cols + 1 > maxw) {
			wchar_t last = buf[--nb];
			int lw = wcwidth(last);
			cols -= lw > 0 ? lw : (lw == 0 ? 0 : 1);
		}
		buf[nb++] = L'~';
		cols++;
	}
	buf[nb] = L'\0';
	mvwaddnwstr(w, y, x, buf, (int)nb);
	return cols;
}

int ui_textf(WINDOW *w, int y, int x, int maxw, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
	return ui_text(w, y, x, maxw, buf, len);
}

bool ui_utf8(void)
{
	return MB_CUR_MAX > 1;
}

int ui_wrap(const char *t, int width, const char **starts, size_t *lens,
	    int max)
{
	int n = 0;
	if (width < 1)
		width = 1;
	while (*t && n < max) {
		const char *nl = strchr(t, '\n');
		size_t len = nl ? (size_t)(nl - t) : strlen(t);
		if (len == 0) {
			starts[n] = t;
			lens[n++] = 0;
		}
		/* One pass per line: the widest prefix that fits, cut at its
		 * last space when there is one. */
		while (len > 0 && n < max) {
			size_t i = 0, space = 0;
			int cols = 0;
			while (i < len) {
				size_t k;
				int cw;
				next_char(t + i, len - i, &k, &cw);
				if (cols + cw > width)
					break;
				cols += cw;
				i += k;
				if (i < len && t[i] == ' ')
					space = i;
			}
			size_t cut = i;
			if (i < len && space > 0)
				cut = space;
			if (cut == 0) /* one character wider than the line */
				next_char(t, len, &cut, &cols);
			starts[n] = t;
			lens[n++] = cut;
			t += cut;
			len -= cut;
			while (len > 0 && *t == ' ') {
				t++;
				len--;
			}
		}
		if (nl == NULL)
			break;
		t = nl + 1;
	}
	return n;
}

/* ---- line editor ---- */

void le_init(struct lineedit *le, const char *text)
{
	hc_buf_init(&le->text);
	hc_buf_adds(&le->text, text ? text : "");
	le->cursor = le->text.len;
	le->scroll = 0;
	le->mask = NULL;
}

void le_free(struct lineedit *le)
{
	hc_buf_free(&le->text);
}

void le_set(struct lineedit *le, const char *text)
{
	hc_buf_reset(&le->text);
	hc_buf_adds(&le->text, text ? text : "");
	le->cursor = le->text.len;
	le->scroll = 0;
}

static size_t prev_char(const struct lineedit *le, size_t pos)
{
	if (pos == 0)
		return 0;
	pos--;
	while (pos > 0 && ((unsigned char)le->text.data[pos] & 0xC0) == 0x80)
		pos--;
	return pos;
}

static size_t next_pos(const struct lineedit *le, size_t pos)
{
	if (le->text.data == NULL || pos >= le->text.len)
		return le->text.len;
	pos++;
	while (pos < le->text.len &&
	       ((unsigned char)le->text.data[pos] & 0xC0) == 0x80)
		pos++;
	return pos;
}

static void erase_range(struct lineedit *le, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(le->text.data + from, le->text.data + to, le->text.len - to);
	le->text.len -= to - from;
	le->text.data[le->text.len] = '\0';
	le->cursor = from;
}

static void insert(struct lineedit *le, const char *s, size_t n)
{
	if (le->text.len + n > 4096)
		return; /* a field is never that long */
	hc_buf_reserve(&le->text, n);
	if (le->text.data == NULL)
		hc_buf_add(&le->text, "", 0);
	memmove(le->text.data + le->cursor + n, le->text.data + le->cursor,
		le->text.len - le->cursor + 1);
	memcpy(le->text.data + le->cursor, s, n);
	le->text.len += n;
	le->cursor += n;
}

int le_key(struct lineedit *le, int key)
{
	switch (key) {
	case KEY_LEFT:
		le->cursor = prev_char(le, le->cursor);
		return 2;
	case KEY_RIGHT:
		le->cursor = next_pos(le, le->cursor);
		return 2;
	case KEY_HOME:
	case CTRL('a'):
		le->cursor = 0;
		return 2;
	case KEY_END:
	case CTRL('e'):
		le->cursor = le->text.len;
		return 2;
	case KEY_BACKSPACE:
	case 127:
	case CTRL('h'):
		erase_range(le, prev_char(le, le->cursor), le->cursor);
		return 1;
	case KEY_DC:
		erase_range(le, le->cursor, next_pos(le, le->cursor));
		return 1;
	case CTRL('u'):
		erase_range(le, 0, le->cursor);
		return 1;
	case CTRL('k'):
		erase_range(le, le->cursor, le->text.len);
		return 1;
	case CTRL('w'): {
		size_t p = le->cursor;
		while (p > 0 && le->text.data[p - 1] == ' ')
			p--;
		while (p > 0 && le->text.data[p - 1] != ' ' &&
		       le->text.data[p - 1] != '/' && le->text.data[p - 1] != '&')
			p--;
		erase_range(le, p, le->cursor);
		return 1;
	}
	default:
		break;
	}
	if (key >= 32 && key < 127) {
		char c = (char)key;
		insert(le, &c, 1);
		return 1;
	}
	if (key & UI_WIDE) {
		wchar_t wc = (wchar_t)(key & ~UI_WIDE);
		if (iswcntrl((wint_t)wc))
			return 0;
		char mb[MB_LEN_MAX];
		mbstate_t st;
		memset(&st, 0, sizeof st);
		size_t n = wcrtomb(mb, wc, &st);
		if (n != (size_t)-1)
			insert(le, mb, n);
		return 1;
	}
	return 0;
}

void le_draw(WINDOW *w, int y, int x, int width, struct lineedit *le,
	     enum le_look look)
{
	if (width < 2)
		return;
	const char *t = le->text.data ? le->text.data : "";
	size_t len = le->text.len;
	/* A secret shows as one '*' a byte: offsets stay the same. */
	char *masked = le->mask ? le->mask(t, len) : NULL;
	if (masked)
		t = masked;
	int cur_col = ui_width(t, le->cursor < len ? le->cursor : len);
	if (look != LE_TYPING)
		le->scroll = 0; /* moving: show the start of the text */
	if (cur_col < le->scroll)
		le->scroll = cur_col;
	if (look == LE_TYPING && cur_col >= le->scroll + width - 1)
		le->scroll = cur_col - width + 2;
	/* Draw from the first character at or after the scroll column. */
	size_t i = 0;
	int col = 0;
	while (i < len && col < le->scroll) {
		col += ui_width(t + i, next_pos(le, i) - i);
		i = next_pos(le, i);
	}
	attr_t keep;
	short pair;
	wattr_get(w, &keep, &pair, NULL);
	if (look == LE_TYPING)
		ui_role(w, ROLE_SELECTION); /* the field's own look */
	wmove(w, y, x);
	for (int k = 0; k < width; k++)
		waddch(w, ' ');
	ui_text(w, y, x, width, t + i, len - i);
	if (look == LE_TYPING) {
		int cx = x + cur_col - le->scroll;
		if (cx >= x && cx < x + width) {
			/* the real cursor goes here; drawn reversed too, for a
			 * terminal that hides it */
			mvwchgat(w, y, cx, 1, A_REVERSE | A_BOLD, 0, NULL);
			int by, bx;
			getbegyx(w, by, bx);
			le->cur_y = by + y;
			le->cur_x = bx + cx;
		}
	}
	wattr_set(w, keep, pair, NULL);
	free(masked);
}

void le_cursor(const struct lineedit *le, int *y, int *x)
{
	*y = le->cur_y;
	*x = le->cur_x;
}

/* ---- list cursor ---- */

bool lv_key(struct listview *lv, int key, int page)
{
	switch (key) {
	case KEY_UP:
	case 'k':
		lv->sel--;
		break;
	case KEY_DOWN:
	case 'j':
		lv->sel++;
		break;
	case KEY_PPAGE:
	case CTRL('b'):
		lv->sel -= page > 1 ? page - 1 : 1;
		break;
	case KEY_NPAGE:
	case CTRL('f'):
		lv->sel += page > 1 ? page - 1 : 1;
		break;
	case KEY_HOME:
	case 'g':
		lv->sel = 0;
		break;
	case KEY_END:
	case 'G':
		lv->sel = lv->n - 1;
		break;
	default:
		return false;
	}
	if (lv->sel >= lv->n)
		lv->sel = lv->n - 1;
	if (lv->sel < 0)
		lv->sel = 0;
	return true;
}

void lv_clamp(struct listview *lv, int height)
{
	if (lv->sel >= lv->n)
		lv->sel = lv->n - 1;
	if (lv->sel < 0)
		lv->sel = 0;
	if (height < 1)
		height = 1;
	if (lv->sel < lv->top)
		lv->top = lv->sel;
	if (lv->sel >= lv->top + height)
		lv->top = lv->sel - height + 1;
	if (lv->top > lv->n - height)
		lv->top = lv->n - height;
	if (lv->top < 0)
		lv->top = 0;
}

/* ---- masks ---- */

char *mask_url(const char *text, size_t len)
{
	return hc_url_masked(text, len);
}

/* Stars over text[from, len). */
static char *stars_from(const char *text, size_t len, size_t from)
{
	if (from >= len)
		return NULL;
	char *m = xstrndup(text, len);
	memset(m + from, '*', len - from);
	return m;
}

char *mask_header(const char *text, size_t len)
{
	char *h = xstrndup(text, len);
	char *m = NULL;
	if (profile_header_literal_secret(h)) {
		size_t from = (size_t)(strchr(h, ':') - h) + 1;
		while (from < len && (h[from] == ' ' || h[from] == '\t'))
			from++;
		m = stars_from(text, len, from);
	}
	free(h);
	return m;
}

char *mask_secret(const char *text, size_t len)
{
	return hc_value_literal(text, len) ? stars_from(text, len, 0) : NULL;
}

char *mask_static(const char *text, size_t len)
{
	const char *eq = memchr(text, '=', len);
	if (eq == NULL)
		return NULL;
	struct profile_entry e = { .key = xstrndup(text, (size_t)(eq - text)),
				   .value = xstrndup(eq + 1,
						     len - (size_t)(eq - text) - 1) };
	char *m = profile_static_literal_secret(&e)
			  ? stars_from(text, len, (size_t)(eq - text) + 1)
			  : NULL;
	free(e.key);
	free(e.value);
	return m;
}
