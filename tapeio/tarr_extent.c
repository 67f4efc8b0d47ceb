/* tapeio/tarr_extent.c - reading a byte range of one member's data by
 * locating to the record that holds its first byte (tapeio/tarr.h).
 *
 * A member's data lies contiguous in its archive from its data offset (the
 * tar writer never splits it), so the record holding byte X of it is known
 * without reading anything before: start_lblock + (data_offset + X) /
 * block_size. The records are read one tape_read() each and handed to the
 * sink from there, with no tar parsing: the caller checks what it gets
 * (per-chunk digests).
 */
#include <errno.h>
#include <stdlib.h>

#include "tapeio/tarr.h"

int tarr_read_extent(struct tape *t, uint64_t start_lblock,
		     uint64_t data_offset, uint32_t block_size, uint64_t off,
		     uint64_t len, tarr_sink_fn sink, void *arg)
{
	uint64_t at = data_offset + off, left = len;
	size_t skip = (size_t)(at % block_size);
	char *rec;
	int ret;

	if (!block_size || block_size % 512 || !len)
		return -EINVAL;
	rec = malloc(block_size);
	if (!rec)
		return -ENOMEM;
	ret = tape_locate(t, start_lblock + at / block_size);
	while (!ret && left) {
		ssize_t n = tape_read(t, rec, block_size);
		size_t give;

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
		ret = sink(arg, rec + skip, give);
		skip = 0;
		left -= give;
	}
	free(rec);
	return ret > 0 ? 0 : ret;
}
