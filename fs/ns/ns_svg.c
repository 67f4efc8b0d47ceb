/* fs/ns/ns_svg.c - .library.svg: a picture of the library, drawn on read
 * from what fs/ns/svg_lib.h takes: the drives (state, tape, job, progress
 * and rate) above a grid of every slot (ten to a row), each cartridge a
 * barcode label in its pool's colour with a fill bar (bytes used of the
 * capacity the catalog knows), and marks for what needs an operator:
 * copies whose verification failed, a label refused, a full tape.
 *
 * Any byte string may be a barcode or a pool: text is written as
 * well-formed UTF-8 (other bytes become U+FFFD), without the control
 * characters XML forbids, with &, <, >, " and ' escaped; long names are
 * cut short with an ellipsis so that they stay in their box.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fs/ns/ns_local.h"
#include "fs/ns/svg_lib.h"
#include "fs/ns/utf8.h"

#define MARGIN	       20
#define COLS	       10
#define CELL_W	       128
#define CELL_H	       76
#define GAP	       6
#define GRID_W	       (COLS * CELL_W + (COLS - 1) * GAP)
#define WIDTH	       (GRID_W + 2 * MARGIN)
#define DRIVES_PER_ROW 4
#define DRIVE_GAP      10
#define DRIVE_W	       ((GRID_W - (DRIVES_PER_ROW - 1) * DRIVE_GAP) / DRIVES_PER_ROW)
#define DRIVE_H	       128

/* Pool i's label colour and the colour of text on it. */
static const struct {
	const char *fill, *ink;
} pool_colours[] = {
    {"#2f6db5", "#ffffff"}, {"#e07b00", "#ffffff"}, {"#2e8b3a", "#ffffff"},
    {"#7b4fa0", "#ffffff"}, {"#1a9aa0", "#ffffff"}, {"#e8c31c", "#222222"},
    {"#c2417f", "#ffffff"}, {"#8a5a36", "#ffffff"},
};
#define NCOLOURS   (sizeof(pool_colours) / sizeof(pool_colours[0]))
#define OTHER_POOL "#8c8c8c" /* a pool that is not in the config */
#define MARK_RED   "#d0021b"

/* Characters of s as xml_text() counts them: a byte that starts no
 * well-formed sequence is one. */
static size_t text_chars(const unsigned char *u, size_t len)
{
	size_t chars = 0;

	for (size_t i = 0, n; i < len; i += n ? n : 1, chars++)
		n = utf8_seq(u + i, len - i);
	return chars;
}

/* One character: U+FFFD for a byte that starts no well-formed sequence
 * and for U+FFFE, U+FFFF (not XML characters), a space for a control
 * character, entities for the five XML ones. Returns the bytes taken. */
static size_t xml_char(struct strbuf *out, const unsigned char *u, size_t len)
{
	size_t n = utf8_seq(u, len);

	if (!n || (n == 3 && u[0] == 0xef && u[1] == 0xbf && u[2] >= 0xbe))
		strbuf_add(out, "\xef\xbf\xbd", 3);
	else if (u[0] < 0x20 || u[0] == 0x7f)
		strbuf_add(out, " ", 1);
	else if (u[0] == '&')
		strbuf_add(out, "&amp;", 5);
	else if (u[0] == '<')
		strbuf_add(out, "&lt;", 4);
	else if (u[0] == '>')
		strbuf_add(out, "&gt;", 4);
	else if (u[0] == '"')
		strbuf_add(out, "&quot;", 6);
	else if (u[0] == '\'')
		strbuf_add(out, "&apos;", 6);
	else
		strbuf_add(out, u, n);
	return n ? n : 1;
}

/* s as XML character data or attribute text, at most max characters
 * (max - 1 and an ellipsis when it is longer). */
static void xml_text(struct strbuf *out, const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), keep = len;

	if (max && text_chars(u, len) > max)
		keep = max - 1;
	else
		max = 0;
	for (size_t i = 0, chars = 0; i < len && (!max || chars < keep);
	     chars++)
		i += xml_char(out, u + i, len - i);
	if (max)
		strbuf_add(out, "\xe2\x80\xa6", 3); /* U+2026 */
}

/* <text> at (x, y) of class cls, anchored (start|middle|end). */
static void text(struct strbuf *out, int x, int y, const char *cls,
		 const char *anchor, const char *s, size_t max)
{
	strbuf_addf(out, "<text x=\"%d\" y=\"%d\" class=\"%s\"", x, y, cls);
	if (strcmp(anchor, "start"))
		strbuf_addf(out, " text-anchor=\"%s\"", anchor);
	strbuf_add(out, ">", 1);
	xml_text(out, s, max);
	strbuf_add(out, "</text>\n", 8);
}

static const char *tape_fill_colour(const struct svg_tape *t)
{
	if (!t->known)
		return "#ffffff";
	if (t->pool_idx < 0)
		return OTHER_POOL;
	return pool_colours[(size_t)t->pool_idx % NCOLOURS].fill;
}

static const char *tape_ink(const struct svg_tape *t)
{
	if (!t->known)
		return "#222222";
	if (t->pool_idx < 0)
		return "#ffffff";
	return pool_colours[(size_t)t->pool_idx % NCOLOURS].ink;
}

/* The barcode label of t, w wide and 22 high at (x, y). */
static void barcode_chip(struct strbuf *out, int x, int y, int w,
			 const struct svg_tape *t)
{
	strbuf_addf(out,
		    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"22\" "
		    "rx=\"3\" fill=\"%s\" stroke=\"#555555\" "
		    "stroke-width=\"%s\"/>\n",
		    x, y, w, tape_fill_colour(t), t->known ? "0" : "1");
	strbuf_addf(out,
		    "<text x=\"%d\" y=\"%d\" class=\"bc\" "
		    "text-anchor=\"middle\" style=\"fill:%s\">",
		    x + w / 2, y + 16, tape_ink(t));
	xml_text(out, t->barcode[0] ? t->barcode : "no barcode", (size_t)w / 9);
	strbuf_add(out, "</text>\n", 8);
}

/* t's bytes used in percent of its capacity, -1 when not known. */
static int fill_percent(const struct svg_tape *t)
{
	if (!t->known || !t->capacity)
		return -1;
	if (t->used >= t->capacity)
		return 100;
	return (int)(t->used * 100 / t->capacity);
}

/* How big t is and its state, joined by a middle dot: "64.0 GiB", "open";
 * "1.2 GiB used", "open" when the capacity is not known; with percent,
 * "37% of 64.0 GiB", "open"; "not in catalog" alone. */
static void size_words(const struct svg_tape *t, int percent, char *buf,
		       size_t len)
{
	char b[32];

	if (!t->known) {
		snprintf(buf, len, "not in catalog");
	} else if (!t->capacity) {
		status_human_bytes(t->used, b, sizeof(b));
		snprintf(buf, len, "%s used \xc2\xb7 %s", b,
			 catalog_tape_state_name(t->state));
	} else {
		status_human_bytes(t->capacity, b, sizeof(b));
		if (percent)
			snprintf(buf, len, "%d%% of %s \xc2\xb7 %s",
				 fill_percent(t), b,
				 catalog_tape_state_name(t->state));
		else
			snprintf(buf, len, "%s \xc2\xb7 %s", b,
				 catalog_tape_state_name(t->state));
	}
}

/* The bar of t's bytes used, w wide at (x, y). */
static void fill_bar(struct strbuf *out, int x, int y, int w,
		     const struct svg_tape *t)
{
	int f = 0;

	if (t->known && t->capacity)
		f = t->used >= t->capacity
			? w
			: (int)((double)t->used / (double)t->capacity * w);
	strbuf_addf(out,
		    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"7\" "
		    "fill=\"#e2e2e2\"/>\n",
		    x, y, w);
	if (f > 0)
		strbuf_addf(out,
			    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"7\" "
			    "fill=\"%s\"/>\n",
			    x, y, f, tape_fill_colour(t));
}

/* How wide badge() draws words: 10px bold capitals are about 7px. */
static int badge_width(const char *words)
{
	return (int)strlen(words) * 7 + 8;
}

/* A badge whose right edge is at x; returns its left edge. */
static int badge(struct strbuf *out, int x, int y, const char *fill,
		 const char *words)
{
	int w = badge_width(words);

	strbuf_addf(out,
		    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" "
		    "rx=\"3\" fill=\"%s\"/>\n",
		    x - w, y, w, fill);
	text(out, x - w / 2, y + 11, "badge", "middle", words, 32);
	return x - w - 3;
}

/* 1 when t has a mark in red: its label refused (while the tape stays
 * closed), archives this catalog does not know, copies whose
 * verification failed. */
static int tape_error(const struct svg_tape *t)
{
	return t->known && ((t->refused && t->state == CATALOG_TAPE_CLOSED) ||
			    t->foreign || t->failed);
}

/* What needs an operator, as badges right to left from x. */
static void marks(struct strbuf *out, int x, int y, const struct svg_tape *t)
{
	char bad[32];

	if (!t->known)
		return;
	if (t->refused && t->state == CATALOG_TAPE_CLOSED)
		x = badge(out, x, y, MARK_RED, "REFUSED");
	else if (t->foreign)
		x = badge(out, x, y, MARK_RED, "FOREIGN");
	if (t->failed) {
		snprintf(bad, sizeof(bad), "BAD %llu",
			 (unsigned long long)t->failed);
		x = badge(out, x, y, MARK_RED, bad);
	}
	if (t->state == CATALOG_TAPE_FULL)
		badge(out, x, y, "#444444", "FULL");
}

/* An empty slot, or the home of a cartridge now in a drive. */
static void slot_empty(struct strbuf *out, int x, int y,
		       const struct svg_slot *s)
{
	char words[48];

	strbuf_addf(out,
		    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		    "rx=\"5\" fill=\"#f4f4f4\" stroke=\"#b5b5b5\" "
		    "stroke-dasharray=\"4 3\"/>\n",
		    x, y, CELL_W, CELL_H);
	if (s->drive < 0) {
		text(out, x + CELL_W / 2, y + 45, "dim", "middle", "empty", 8);
		return;
	}
	snprintf(words, sizeof(words), "in drive %d", s->drive);
	text(out, x + CELL_W / 2, y + 38, "dim", "middle", words, 20);
	text(out, x + CELL_W / 2, y + 56, "dimbc", "middle", s->barcode, 14);
}

static void slot_cell(struct strbuf *out, int x, int y,
		      const struct svg_slot *s)
{
	char num[32], words[64];
	int err = tape_error(&s->t), pct = fill_percent(&s->t);

	snprintf(num, sizeof(num), "%d%s", s->slot, s->ie ? " I/E" : "");
	if (!s->full) {
		slot_empty(out, x, y, s);
		text(out, x + 6, y + 13, "num", "start", num, 16);
		return;
	}
	strbuf_addf(out,
		    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		    "rx=\"5\" fill=\"#ffffff\" stroke=\"%s\" "
		    "stroke-width=\"%d\"/>\n",
		    x, y, CELL_W, CELL_H, err ? MARK_RED : "#8a8a8a",
		    err ? 3 : 1);
	text(out, x + 6, y + 13, "num", "start", num, 16);
	marks(out, x + CELL_W - 5, y + 3, &s->t);
	barcode_chip(out, x + 6, y + 20, CELL_W - 12, &s->t);
	fill_bar(out, x + 6, y + 49, CELL_W - 46, &s->t);
	if (pct >= 0)
		snprintf(words, sizeof(words), "%d%%", pct);
	else
		snprintf(words, sizeof(words), "?");
	if (s->t.known)
		text(out, x + CELL_W - 6, y + 56, "small", "end", words, 8);
	size_words(&s->t, 0, words, sizeof(words));
	text(out, x + 6, y + 70, "small", "start", words, 22);
}

static const char *state_colour(enum sched_state st)
{
	switch (st) {
	case SCHED_DRIVE_WRITING:
		return "#2e8b3a";
	case SCHED_DRIVE_READING:
		return "#2f6db5";
	case SCHED_DRIVE_LOADING:
	case SCHED_DRIVE_UNLOADING:
	case SCHED_DRIVE_LOCATING:
		return "#c77c02";
	case SCHED_DRIVE_OUT_OF_SERVICE:
		return MARK_RED;
	default:
		return "#8a8a8a";
	}
}

/* The job line: what the drive does and where, or why it is out. */
static void drive_job(struct strbuf *out, int x, int y,
		      const struct sched_drive_status *st)
{
	char words[SCHED_DESC_MAX + 64];
	size_t n;

	if (st->state == SCHED_DRIVE_OUT_OF_SERVICE) {
		text(out, x, y, "err", "start", st->reason, 52);
		return;
	}
	if (!st->job[0]) {
		text(out, x, y, "dim", "start", "no job", 52);
		return;
	}
	snprintf(words, sizeof(words), "%s", st->job);
	n = strlen(words);
	if (st->file >= 0 && n < sizeof(words))
		snprintf(words + n, sizeof(words) - n, " \xc2\xb7 file %ld",
			 st->file);
	n = strlen(words);
	if (st->block >= 0 && n < sizeof(words))
		snprintf(words + n, sizeof(words) - n, " block %ld", st->block);
	text(out, x, y, "job", "start", words, 48);
}

/* The progress bar and the figures under it. */
static void drive_progress(struct strbuf *out, int x, int y,
			   const struct sched_drive_status *st)
{
	char left[96] = "", right[128], w[32], r[32];
	int bw = DRIVE_W - 24;
	size_t n;

	strbuf_addf(out,
		    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"8\" "
		    "fill=\"#e2e2e2\"/>\n",
		    x, y, bw);
	if (st->job[0] && st->percent > 0)
		strbuf_addf(out,
			    "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			    "height=\"8\" fill=\"%s\"/>\n",
			    x, y, bw * st->percent / 100,
			    state_colour(st->state));
	if (st->job[0]) {
		if (st->percent >= 0)
			snprintf(left, sizeof(left), "%d%%", st->percent);
		else
			status_human_bytes(st->bytes_done, left, sizeof(left));
		n = strlen(left);
		if (st->mbps > 0)
			snprintf(left + n, sizeof(left) - n,
				 " \xc2\xb7 %.1f MB/s", st->mbps);
		n = strlen(left);
		if (st->eta_s >= 0)
			snprintf(left + n, sizeof(left) - n,
				 " \xc2\xb7 eta %ld:%02ld:%02ld",
				 st->eta_s / 3600, (st->eta_s / 60) % 60,
				 st->eta_s % 60);
	}
	status_human_bytes(st->bytes_written, w, sizeof(w));
	status_human_bytes(st->bytes_read, r, sizeof(r));
	snprintf(right, sizeof(right),
		 "wrote %s \xc2\xb7 read %s \xc2\xb7 %llu jobs", w, r,
		 (unsigned long long)st->jobs_done);
	text(out, x, y + 21, "small", "start", left, 52);
	text(out, x, y + 36, "dim", "start", right, 52);
}

static void drive_box(struct strbuf *out, int x, int y,
		      const struct svg_drive *d)
{
	const struct sched_drive_status *st = &d->st;
	int oos = st->state == SCHED_DRIVE_OUT_OF_SERVICE, right;
	char title[32], words[64];

	strbuf_addf(out,
		    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		    "rx=\"6\" fill=\"#f7f7f7\" stroke=\"%s\" "
		    "stroke-width=\"%d\"/>\n",
		    x, y, DRIVE_W, DRIVE_H, oos ? MARK_RED : "#8a8a8a",
		    oos ? 3 : 1);
	snprintf(title, sizeof(title), "drive %d", st->drive);
	text(out, x + 12, y + 23, "h2", "start", title, 16);
	right = badge(out, x + DRIVE_W - 10, y + 11, state_colour(st->state),
		      sched_state_name(st->state));
	if (st->barcode[0]) {
		marks(out, right - 3, y + 11, &d->t);
		barcode_chip(out, x + 12, y + 34, 124, &d->t);
		size_words(&d->t, 1, words, sizeof(words));
		text(out, x + 146, y + 50, "small", "start", words, 30);
	} else {
		text(out, x + 12, y + 50, "dim", "start", "no tape", 16);
	}
	drive_job(out, x + 12, y + 76, st);
	drive_progress(out, x + 12, y + 86, st);
}

/* A legend item: a swatch drawn by the caller at x, then words; returns
 * the x of the next item. */
static int legend_words(struct strbuf *out, int x, int y, const char *words)
{
	text(out, x, y, "small", "start", words, 40);
	return x + (int)strlen(words) * 6 + 18;
}

/* A badge at x, then what it means; returns the x of the next item. */
static int legend_badge(struct strbuf *out, int x, int y, const char *fill,
			const char *words, const char *meaning)
{
	int w = badge_width(words);

	badge(out, x + w, y - 11, fill, words);
	return legend_words(out, x + w + 6, y, meaning);
}

static int legend_pools(struct strbuf *out, int x, int y,
			const struct svg_lib *l)
{
	char words[48];

	for (int i = 0; i < l->npools; i++) {
		strbuf_addf(out,
			    "<rect x=\"%d\" y=\"%d\" width=\"14\" "
			    "height=\"14\" rx=\"2\" fill=\"%s\"/>\n",
			    x, y - 11, pool_colours[(size_t)i % NCOLOURS].fill);
		snprintf(words, sizeof(words), "pool %s", l->pools[i]);
		x = legend_words(out, x + 19, y, words);
	}
	return x;
}

static int legend(struct strbuf *out, int y, const struct svg_lib *l)
{
	int x = legend_pools(out, MARGIN, y, l);

	strbuf_addf(out,
		    "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" "
		    "rx=\"2\" fill=\"#ffffff\" stroke=\"#555555\"/>\n",
		    x, y - 11);
	x = legend_words(out, x + 19, y, "not in the catalog");
	if (x > WIDTH - MARGIN - 800) { /* the marks take some 780 */
		x = MARGIN;
		y += 20;
	}
	x = legend_badge(out, x, y, MARK_RED, "BAD n",
			 "copies failed verification");
	x = legend_badge(out, x, y, MARK_RED, "REFUSED", "label refused");
	x = legend_badge(out, x, y, MARK_RED, "FOREIGN",
			 "holds archives of another catalog");
	legend_badge(out, x, y, "#444444", "FULL", "tape full");
	return y + 14;
}

static void header(struct strbuf *out, const struct svg_lib *l)
{
	char when[32], words[160];
	struct tm tm;

	localtime_r(&l->now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	text(out, MARGIN, 34, "title", "start", "tapefs library", 40);
	text(out, WIDTH - MARGIN, 34, "sub", "end", when, 40);
	snprintf(words, sizeof(words),
		 "%d slots and %d import/export \xc2\xb7 %d drives",
		 l->nslots - l->nie, l->nie, l->ndrives);
	if (l->catalog_tapes >= 0) {
		size_t n = strlen(words);

		snprintf(words + n, sizeof(words) - n,
			 " \xc2\xb7 %lld tapes in the catalog, %lld outside "
			 "the library",
			 (long long)l->catalog_tapes, (long long)l->outside);
	}
	text(out, MARGIN, 56, "sub", "start", words, 150);
}

/* The drives from y on; returns the y under them. */
static int drives(struct strbuf *out, int y, const struct svg_lib *l)
{
	text(out, MARGIN, y, "h2", "start", "Drives", 16);
	y += 10;
	for (int i = 0; i < l->ndrives; i++) {
		strbuf_addf(out, "<g id=\"drive-%d\" class=\"drive\">\n",
			    l->drives[i].st.drive);
		drive_box(out,
			  MARGIN + (i % DRIVES_PER_ROW) * (DRIVE_W + DRIVE_GAP),
			  y + (i / DRIVES_PER_ROW) * (DRIVE_H + DRIVE_GAP),
			  &l->drives[i]);
		strbuf_add(out, "</g>\n", 5);
	}
	if (!l->ndrives)
		text(out, MARGIN, y + 16, "dim", "start", "no drive", 16);
	return y +
	       ((l->ndrives + DRIVES_PER_ROW - 1) / DRIVES_PER_ROW) *
		   (DRIVE_H + DRIVE_GAP) +
	       (l->ndrives ? 0 : 24);
}

/* The slots from y on; returns the y under them. */
static int slots(struct strbuf *out, int y, const struct svg_lib *l)
{
	text(out, MARGIN, y, "h2", "start", "Slots", 16);
	y += 10;
	for (int i = 0; i < l->nslots; i++) {
		strbuf_addf(out, "<g id=\"slot-%d\" class=\"slot\">\n",
			    l->slots[i].slot);
		slot_cell(out, MARGIN + (i % COLS) * (CELL_W + GAP),
			  y + (i / COLS) * (CELL_H + GAP), &l->slots[i]);
		strbuf_add(out, "</g>\n", 5);
	}
	if (!l->nslots)
		text(out, MARGIN, y + 16, "dim", "start", "no slot", 16);
	return y + ((l->nslots + COLS - 1) / COLS) * (CELL_H + GAP) +
	       (l->nslots ? 0 : 24);
}

static const char svg_style[] =
    "<style>\n"
    "text{font-family:'DejaVu Sans',Verdana,Arial,sans-serif}\n"
    ".title{font-size:22px;font-weight:bold;fill:#222}\n"
    ".sub{font-size:13px;fill:#444}\n"
    ".h2{font-size:15px;font-weight:bold;fill:#222}\n"
    ".num{font-size:10px;fill:#666}\n"
    ".bc{font-family:'DejaVu Sans Mono',Consolas,monospace;"
    "font-size:14px;font-weight:bold}\n"
    ".small{font-size:10px;fill:#333}\n"
    ".dim{font-size:11px;fill:#888}\n"
    ".dimbc{font-family:'DejaVu Sans Mono',Consolas,monospace;"
    "font-size:12px;fill:#888}\n"
    ".badge{font-size:10px;font-weight:bold;fill:#fff}\n"
    ".job{font-size:12px;fill:#222}\n"
    ".err{font-size:11px;font-weight:bold;fill:" MARK_RED "}\n"
    "</style>\n";

/* Everything under the document's start; returns its height. */
static int body(struct strbuf *out, const struct svg_lib *l)
{
	int y;

	header(out, l);
	y = legend(out, 86, l);
	y = drives(out, y + 24, l);
	return slots(out, y + 18, l) + MARGIN;
}

int status_render_svg(struct tapefs *fs, struct strbuf *out)
{
	struct svg_lib l;
	struct strbuf b;
	int ret, h;

	strbuf_init(&b);
	ret = svg_lib_take(fs, &l);
	if (ret)
		goto out_release;
	h = body(&b, &l);
	strbuf_addf(out,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		    "height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		    "<title>tapefs library</title>\n",
		    WIDTH, h, WIDTH, h);
	strbuf_add(out, svg_style, sizeof(svg_style) - 1);
	strbuf_addf(out,
		    "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		    WIDTH, h);
	strbuf_add(out, b.buf, b.len);
	strbuf_add(out, "</svg>\n", 7);
	ret = strbuf_oom(out) || strbuf_oom(&b) ? -ENOMEM : 0;
out_release:
	strbuf_release(&b);
	svg_lib_release(&l);
	return ret;
}

static int svg_render(struct tapefs *fs, const char *rel, struct strbuf *out)
{
	(void)rel;
	return status_render_svg(fs, out);
}

static int svg_getattr(struct tapefs *fs, const char *rel, struct ns_attr *out)
{
	if (*rel)
		return -ENOTDIR;
	out->kind = NS_TEXT;
	out->st.st_mode = 0444;
	ns_size_by_render(fs, &ns_library_svg, rel, out);
	return 0;
}

const struct ns_provider ns_library_svg = {
    .name = ".library.svg",
    .getattr = svg_getattr,
    .render = svg_render,
};
