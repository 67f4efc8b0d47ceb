/* fs/ns/ns_stream.c - a text read in parts (fs/ns/ns_stream.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ns/ns_stream.h"

struct mark {
	off_t off;	       /* where a part starts in the text */
	struct ns_cursor from; /* what it is rendered from */
};

struct ns_stream {
	pthread_mutex_t lock;
	ns_part_fn fn;
	void *ctx;
	size_t part;
	struct strbuf win;     /* the part held */
	off_t win_off;	       /* its offset in the text */
	struct ns_cursor next; /* where the part after it starts */
	int end;	       /* no part after it */
	struct mark *marks;    /* by offset, the first at 0 */
	size_t nmarks, cap;
};

int ns_stream_new(ns_part_fn fn, void *ctx, size_t part, struct ns_stream **out)
{
	struct ns_stream *s = calloc(1, sizeof(*s));

	if (!s || !(s->marks = calloc(16, sizeof(*s->marks)))) {
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->fn = fn;
	s->ctx = ctx;
	s->part = part ? part : 1;
	s->cap = 16;
	s->nmarks = 1; /* offset 0, from the start */
	strbuf_init(&s->win);
	*out = s;
	return 0;
}

void ns_stream_free(struct ns_stream *s)
{
	if (!s)
		return;
	strbuf_release(&s->win);
	free(s->marks);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* A mark at the start of the part about to be rendered, when it is past
 * the last one (parts rendered again after a seek have theirs). */
static int add_mark(struct ns_stream *s)
{
	struct mark *m;

	if (s->win_off <= s->marks[s->nmarks - 1].off)
		return 0;
	if (s->nmarks == s->cap) {
		m = realloc(s->marks, s->cap * 2 * sizeof(*m));
		if (!m)
			return -ENOMEM;
		s->marks = m;
		s->cap *= 2;
	}
	s->marks[s->nmarks].off = s->win_off;
	s->marks[s->nmarks++].from = s->next;
	return 0;
}

/* The part after the one held; 0 or -errno (s->end at the end). */
static int advance(struct ns_stream *s)
{
	struct ns_cursor cur = s->next;
	int ret;

	s->win_off += (off_t)s->win.len;
	s->win.len = 0;
	ret = add_mark(s);
	if (!ret)
		ret = s->fn(s->ctx, &cur, s->part, &s->win);
	if (!ret && strbuf_oom(&s->win))
		ret = -ENOMEM;
	if (ret) {
		s->win.len = 0; /* a part half made is no part: next again */
		return ret;
	}
	s->next = cur;
	s->end = s->win.len == 0;
	return 0;
}

/* Back to the last mark at or below off: nothing held, its part next. */
static void seek(struct ns_stream *s, off_t off)
{
	size_t lo = 0, hi = s->nmarks; /* marks[lo].off <= off */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->marks[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	s->win_off = s->marks[lo].off;
	s->win.len = 0;
	s->next = s->marks[lo].from;
	s->end = 0;
}

ssize_t ns_stream_read(struct ns_stream *s, char *buf, size_t size, off_t off)
{
	size_t got = 0;
	int ret = 0;

	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (off < s->win_off)
		seek(s, off);
	while (got < size) {
		off_t at = off + (off_t)got;
		off_t in = at - s->win_off;
		size_t n;

		if (in < (off_t)s->win.len) {
			n = s->win.len - (size_t)in;
			n = n < size - got ? n : size - got;
			memcpy(buf + got, s->win.buf + in, n);
			got += n;
			continue;
		}
		if (s->end || (ret = advance(s)) || s->end)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return ret && !got ? ret : (ssize_t)got;
}
