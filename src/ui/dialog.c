/* Dialogs: a question with choices that starts on the safe one, a text
 * input (typing mode), a picker, and a message. */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_enter(int key)
{
	return key == '\n' || key == '\r' || key == KEY_ENTER;
}

void dialog_reset(struct dialog *d)
{
	le_free(&d->edit);
	for (size_t i = 0; i < d->nitems; i++)
		free(d->items[i]);
	free(d->items);
	memset(d, 0, sizeof *d);
}

static void dialog_open(struct app *a, enum dialog_kind kind,
			const char *title, const char *text, int ctx,
			dlg_done_fn done)
{
	dialog_reset(&a->dlg);
	a->dlg.kind = kind;
	snprintf(a->dlg.title, sizeof a->dlg.title, "%s", title);
	snprintf(a->dlg.text, sizeof a->dlg.text, "%s", text ? text : "");
	le_init(&a->dlg.edit, "");
	a->dlg.ctx = ctx;
	a->dlg.done = done;
	a->need_redraw = true;
}

void app_choose(struct app *a, const char *title, const char *text,
		const struct dlg_choice *choices, int n, int initial, int ctx,
		dlg_done_fn done)
{
	dialog_open(a, DLG_CHOICE, title, text, ctx, done);
	struct dialog *d = &a->dlg;
	if (n > DLG_CHOICES_MAX)
		n = DLG_CHOICES_MAX;
	for (int i = 0; i < n; i++) {
		/* the labels are copied: callers often build them */
		snprintf(d->labels[i], sizeof d->labels[i], "%s",
			 choices[i].label);
		d->choices[i] = choices[i];
		d->choices[i].label = d->labels[i];
	}
	d->nchoices = n;
	d->choice = initial >= 0 && initial < n ? initial : 0;
}

void app_confirm(struct app *a, const char *title, const char *text,
		 const char *yes_label, int ctx, dlg_done_fn done)
{
	const struct dlg_choice c[2] = {
		{ yes_label, 'y', 1 },
		{ "Cancel", 'n', 0 },
	};
	app_choose(a, title, text, c, 2, 1, ctx, done);
}

void app_info(struct app *a, const char *title, const char *text)
{
	dialog_open(a, DLG_INFO, title, text, 0, NULL);
}

void app_input(struct app *a, const char *title, const char *prompt,
	       const char *initial, int ctx, dlg_done_fn done)
{
	dialog_open(a, DLG_INPUT, title, prompt, ctx, done);
	le_set(&a->dlg.edit, initial);
}

void app_ask(struct app *a, const char *title, const char *prompt,
	     const char *initial, dlg_text_fn fn)
{
	app_input(a, title, prompt, initial, 0, NULL);
	a->dlg.on_text = fn;
}

void app_pick(struct app *a, const char *title, char **items, size_t n,
	      int ctx, dlg_done_fn done)
{
	dialog_open(a, DLG_PICKER, title, "", ctx, done);
	a->dlg.items = items; /* takes ownership */
	a->dlg.nitems = n;
	a->dlg.lv.n = (int)n;
}

/* The '=' of a "name=value" typed in a dialog; NULL when the dialog was
 * cancelled or left empty, or after flashing form. */
const char *app_typed_pair(struct app *a, bool ok, const char *text,
			   const char *form)
{
	if (!ok || !text[0])
		return NULL;
	const char *eq = strchr(text, '=');
	if (eq == NULL || eq == text)
		app_flash(a, ROLE_ERROR, "%s", form);
	return eq == text ? NULL : eq;
}

static void dialog_close(struct app *a, bool ok, int index)
{
	struct dialog d = a->dlg;
	memset(&a->dlg, 0, sizeof a->dlg);
	a->need_redraw = true;
	char *text = xstrdup(d.edit.text.data ? d.edit.text.data : "");
	const char *item = d.kind == DLG_PICKER && index >= 0 &&
					   (size_t)index < d.nitems
				   ? d.items[index]
				   : text;
	if (d.on_text) {
		if (ok)
			d.on_text(a, item);
	} else if (d.done) {
		d.done(a, d.ctx, ok, item, index);
	}
	free(text);
	dialog_reset(&d);
}

static void choose(struct app *a, int i)
{
	int result = a->dlg.choices[i].result;
	dialog_close(a, result != 0, result);
}

void dialog_key(struct app *a, int key)
{
	struct dialog *d = &a->dlg;
	if (key == 27) {
		dialog_close(a, false, d->kind == DLG_CHOICE ? 0 : -1);
		return;
	}
	switch (d->kind) {
	case DLG_INFO:
		dialog_close(a, true, -1);
		return;
	case DLG_CHOICE:
		if (is_enter(key)) {
			choose(a, d->choice);
			return;
		}
		if (key == KEY_LEFT || key == 'h' || key == KEY_BTAB ||
		    key == KEY_UP || key == 'k') {
			d->choice = (d->choice + d->nchoices - 1) % d->nchoices;
			a->need_redraw = true;
			return;
		}
		if (key == KEY_RIGHT || key == 'l' || key == '\t' ||
		    key == KEY_DOWN || key == 'j') {
			d->choice = (d->choice + 1) % d->nchoices;
			a->need_redraw = true;
			return;
		}
		for (int i = 0; i < d->nchoices; i++)
			if (key == d->choices[i].key ||
			    (key >= 'A' && key <= 'Z' &&
			     key + 32 == d->choices[i].key)) {
				choose(a, i);
				return;
			}
		if (key == 'q') /* n is a choice key; q also cancels */
			dialog_close(a, false, 0);
		return;
	case DLG_INPUT:
		if (is_enter(key))
			dialog_close(a, true, -1);
		else if (le_key(&d->edit, key))
			a->need_redraw = true;
		return;
	case DLG_PICKER:
		if (is_enter(key)) {
			dialog_close(a, d->nitems > 0, d->lv.sel);
		} else if (lv_key(&d->lv, key, 10)) {
			a->need_redraw = true;
			if (d->moved)
				d->moved(a, d->ctx, d->lv.sel);
		}
		return;
	default:
		return;
	}
}

void dialog_hints(const struct app *a, struct hc_buf *out)
{
	const struct dialog *d = &a->dlg;
	switch (d->kind) {
	case DLG_CHOICE:
		for (int i = 0; i < d->nchoices; i++)
			if (d->choices[i].result != 0)
				hc_buf_printf(out, "%c %s   ", d->choices[i].key,
					      d->choices[i].label);
		hc_buf_printf(out, "Esc cancel   Enter: %s",
			      d->choices[d->choice].label);
		break;
	case DLG_INPUT:
		hc_buf_adds(out, "TYPING  Enter accept  Esc cancel  "
				 "<- -> Home End  ^U ^K ^W delete");
		break;
	case DLG_PICKER:
		hc_buf_adds(out, "Up/Down j/k g/G move   Enter pick   Esc cancel");
		break;
	case DLG_INFO:
		hc_buf_adds(out, "any key closes");
		break;
	default:
		break;
	}
}

static void draw_choices(struct dialog *d, int y, int x, int w)
{
	int cx = x;
	for (int i = 0; i < d->nchoices && cx < x + w; i++) {
		char b[80];
		snprintf(b, sizeof b, "[ %s ]", d->choices[i].label);
		ui_role(stdscr, i == d->choice ? ROLE_SELECTION : ROLE_NORMAL);
		if (i == d->choice)
			wattron(stdscr, A_REVERSE | A_BOLD);
		cx += ui_str(stdscr, y, cx, x + w - cx, b) + 2;
		ui_role(stdscr, ROLE_NORMAL);
	}
}

void dialog_draw(struct app *a)
{
	struct dialog *d = &a->dlg;
	int W = COLS - 8 < 76 ? COLS - 8 : 76;
	if (W < 20)
		W = COLS;
	const char *starts[24];
	size_t lens[24];
	int nlines = d->kind == DLG_PICKER
			     ? 0
			     : ui_wrap(d->text, W - 4, starts, lens, 24);
	int H;
	if (d->kind == DLG_PICKER)
		H = (int)d->nitems + 4;
	else
		H = nlines + (d->kind == DLG_INFO ? 4 : 5);
	if (H < 5)
		H = 5;
	if (H > LINES - 2)
		H = LINES - 2;
	int y = (LINES - H) / 2, x = (COLS - W) / 2;
	ui_panel(y, x, H, W, d->title);
	int row = y + 1;
	for (int i = 0; i < nlines && row < y + H - 3; i++)
		ui_text(stdscr, row++, x + 2, W - 4, starts[i], lens[i]);
	switch (d->kind) {
	case DLG_INPUT:
		le_draw(stdscr, y + H - 3, x + 2, W - 4, &d->edit, LE_TYPING);
		ui_role(stdscr, ROLE_MUTED);
		ui_str(stdscr, y + H - 2, x + 2, W - 4,
		       "Enter: accept   Esc: cancel");
		break;
	case DLG_PICKER: {
		int h = H - 3;
		lv_clamp(&d->lv, h);
		for (int i = 0; i < h && d->lv.top + i < (int)d->nitems; i++) {
			int k = d->lv.top + i;
			ui_role(stdscr, k == d->lv.sel ? ROLE_SELECTION
						       : ROLE_NORMAL);
			mvwhline(stdscr, y + 1 + i, x + 1, ' ', W - 2);
			ui_textf(stdscr, y + 1 + i, x + 2, W - 4, "%s %s",
				 k == d->lv.sel ? ">" : " ", d->items[k]);
		}
		ui_role(stdscr, ROLE_MUTED);
		ui_str(stdscr, y + H - 2, x + 2, W - 4,
		       "Enter: pick   Esc: cancel");
		break;
	}
	case DLG_CHOICE: {
		draw_choices(d, y + H - 3, x + 2, W - 4);
		ui_role(stdscr, ROLE_MUTED);
		char hint[160];
		snprintf(hint, sizeof hint, "Enter: %s   Esc: Cancel   "
			 "<-/->: choose", d->choices[d->choice].label);
		ui_str(stdscr, y + H - 2, x + 2, W - 4, hint);
		break;
	}
	default:
		ui_role(stdscr, ROLE_MUTED);
		ui_str(stdscr, y + H - 2, x + 2, W - 4, "any key: close");
		break;
	}
	ui_role(stdscr, ROLE_NORMAL);
}
