/* tapeio/tarr_cursor.c - reading on (tapeio/tarr.h, struct tarr_cursor):
 * where a reader of several members left the tape, and how the next one
 * is reached from there. A member that starts in the record just read is
 * parsed from a copy of it; one that starts where the tape stands needs
 * nothing; one a little ahead is reached by reading the records between
 * (a drive streams through them) when it is in the same archive as the
 * last one read; anything else is located to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/tarr_int.h"

int tarr_cursor_init(struct tarr_cursor *c, struct tape *t)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	c->known = tape_tell(t, &c->at) == 0;
	return 0;
}

void tarr_cursor_forget(struct tarr_cursor *c)
{
	if (!c)
		return;
	c->known = 0;
	c->len = 0;
}

void tarr_cursor_release(struct tarr_cursor *c)
{
	free(c->rec);
	memset(c, 0, sizeof(*c));
}

static int cursor_room(struct tarr_cursor *c, size_t len)
{
	char *p;

	if (c->cap >= len)
		return 0;
	p = realloc(c->rec, len);
	if (!p)
		return -ENOMEM;
	c->rec = p;
	c->cap = len;
	return 0;
}

/* Read the records from where c's tape stands up to lblock (a few: the
 * caller checked), into c's buffer (its copy is gone). 0, or -errno: the
 * caller locates. A filemark on the way is one position like a record. */
static int read_on(struct tarr_cursor *c, uint64_t lblock, uint32_t bs)
{
	int ret = cursor_room(c, bs);

	c->len = 0;
	while (!ret && c->at < lblock) {
		ssize_t n = tape_read(c->t, c->rec, bs);

		if (n < 0)
			return (int)n; /* -ENOMEM: longer than ours; locate */
		c->at++;
		c->records_on++;
	}
	return ret;
}

int tarr_cursor_goto(struct tarr_cursor *c, struct tape *t,
		     uint64_t start_lblock, uint64_t lblock,
		     uint32_t block_size, const char **rec, size_t *len)
{
	int ret, same = c && c->archive == start_lblock;

	if (!c)
		return tape_locate(t, lblock);
	c->archive = start_lblock;
	if (c->known && c->len && c->last == lblock && c->at == lblock + 1) {
		*rec = c->rec;
		*len = c->len;
		c->from_memory++;
		return 1;
	}
	if (c->known && c->at == lblock)
		return 0;
	if (c->known && same && c->at < lblock &&
	    lblock - c->at <= TARR_READ_ON_MAX / block_size &&
	    read_on(c, lblock, block_size) == 0)
		return 0;
	tarr_cursor_forget(c);
	c->locates++;
	ret = tape_locate(c->t, lblock);
	if (ret)
		return ret;
	c->known = 1;
	c->at = lblock;
	return 0;
}

void tarr_cursor_done(struct tarr_cursor *c, uint64_t next, const void *buf,
		      size_t len)
{
	if (!c)
		return;
	c->known = 1;
	c->at = next;
	if (buf != c->rec) {
		c->len = 0;
		if (!len || cursor_room(c, len))
			return; /* no copy: the next read of it locates */
		memcpy(c->rec, buf, len);
	}
	c->len = len;
	c->last = next - 1;
}
