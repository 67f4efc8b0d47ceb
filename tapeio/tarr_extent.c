/* tapeio/tarr_extent.c - reading a byte range of one member's data by
 * locating to the record that holds its first byte (tapeio/tarr.h).
 *
 * A member's data lies contiguous in its archive from its data offset (the
 * tar writer never splits it), so the record holding byte X of it is known
 * without reading anything before: start_lblock + (data_offset + X) /
 * block_size. The records are read one tape_read() each and handed to the
 * sink from there, with no tar parsing: the caller checks what it gets
 * (per-chunk digests). Through a cursor (tarr_cursor.c) the first record
 * may be the copy of the one read last, and the tape is not located to
 * when it stands there or a little before.
 */
#include <errno.h>
#include <stdlib.h>

#include "tapeio/tarr_int.h"

/* The records from the one holding byte at of the archive, each piece of
 * the len bytes from there handed to sink; through c when not NULL. */
static int read_extent(struct tape *t, struct tarr_cursor *c,
		       uint64_t start_lblock, uint64_t at, uint32_t block_size,
		       uint64_t left, tarr_sink_fn sink, void *arg)
{
	uint64_t lblock = start_lblock + at / block_size, next;
	size_t skip = (size_t)(at % block_size), mlen = 0, give;
	const char *mrec = NULL, *last = NULL;
	char *rec = malloc(block_size);
	ssize_t n = 0;
	int ret, from_mem;

	if (!rec)
		return -ENOMEM;
	ret = tarr_cursor_goto(c, t, start_lblock, lblock, block_size, &mrec,
			       &mlen);
	from_mem = ret == 1;
	if (from_mem)
		ret = 0;
	next = lblock + (uint64_t)from_mem;
	while (!ret && left) {
		if (from_mem) { /* the cursor's copy first */
			from_mem = 0;
			last = mrec;
			n = (ssize_t)mlen;
		} else {
			last = rec;
			n = tape_read(t, rec, block_size);
			next++;
		}
		if (n < 0) {
			ret = n == -ENOMEM ? -EINVAL : (int)n;
			break;
		}
		if ((size_t)n <= skip) {
			ret = -EINVAL; /* a filemark or a short record: the
					  archive ends before the member */
			break;
		}
		give = (size_t)n - skip;
		if (give > left)
			give = (size_t)left;
		ret = sink(arg, last + skip, give);
		skip = 0;
		left -= give;
	}
	if (ret >= 0 && c)
		tarr_cursor_done(c, next, last, last ? (size_t)n : 0);
	else
		tarr_cursor_forget(c);
	free(rec);
	return ret > 0 ? 0 : ret;
}

int tarr_read_extent(struct tape *t, uint64_t start_lblock,
		     uint64_t data_offset, uint32_t block_size, uint64_t off,
		     uint64_t len, tarr_sink_fn sink, void *arg)
{
	if (!block_size || block_size % 512 || !len)
		return -EINVAL;
	return read_extent(t, NULL, start_lblock, data_offset + off, block_size,
			   len, sink, arg);
}

int tarr_read_extent_at(struct tarr_cursor *c, uint64_t start_lblock,
			uint64_t data_offset, uint32_t block_size, uint64_t off,
			uint64_t len, tarr_sink_fn sink, void *arg)
{
	if (!block_size || block_size % 512 || !len)
		return -EINVAL;
	return read_extent(c->t, c, start_lblock, data_offset + off, block_size,
			   len, sink, arg);
}
