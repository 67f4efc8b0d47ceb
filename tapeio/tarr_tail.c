/* tapeio/tarr_tail.c - the manifest of a tape file read from its end
 * (tapeio/tarr.h, tarr_read_tail()), not through its data.
 *
 * The drive spaces forward over the file's filemark (MTFSF), which says
 * where the file ends, then locates back a few records before it and
 * reads them. The end of a tapefs archive is, from the back: zero padding
 * and the two zero blocks that end a tar archive, the manifest's text
 * (never a NUL byte: every name in it is escaped), its 512-byte ustar
 * header. So the blocks are scanned backwards: zero blocks, then text
 * blocks, and the first block holding a NUL must be the header of
 * MANIFEST_MEMBER whose size ends exactly at the last text block. When the
 * text goes on past the records read, twice as many are read before them.
 * Anything else - no end-of-archive blocks (a crash while it was written),
 * a last member that is not a manifest, a record longer than block_size -
 * is a file without a manifest, found after reading at most a few blocks
 * past its last text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/tarr.h"

#define TAIL_MAX_BYTES	(1ull << 30) /* the reader's MANIFEST_MAX */
#define TAIL_RECORD_MAX (64u << 20)  /* the writer's largest block size */
#define BLK		512

/* An octal field of a ustar header (NUL or space terminated): 0 or -1. */
static int octal(const unsigned char *f, size_t n, uint64_t *v)
{
	size_t i = 0;

	*v = 0;
	while (i < n && f[i] == ' ')
		i++;
	if (i == n || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		*v = *v * 8 + (uint64_t)(f[i] - '0');
	return i == n || f[i] == ' ' || f[i] == '\0' ? 0 : -1;
}

int tarr_header_valid(const void *block)
{
	const unsigned char *b = block;
	uint64_t want, sum = 0;

	if (memcmp(b + 257, "ustar", 5) != 0 || octal(b + 148, 8, &want))
		return 0;
	for (size_t i = 0; i < BLK; i++)
		sum += i >= 148 && i < 156 ? ' ' : b[i];
	return sum == want;
}

static int all_zero(const unsigned char *b)
{
	for (size_t i = 0; i < BLK; i++)
		if (b[i])
			return 0;
	return 1;
}

/* What the backward scan of a window found. */
enum scan {
	SCAN_MORE,  /* only text so far: read more before it */
	SCAN_FOUND, /* the manifest header, at *hdr */
	SCAN_NONE,  /* no manifest ends this file */
};

/* The manifest's header block in win[0..nblk) (the file's last blocks):
 * its index in *hdr, its size and mtime. */
static enum scan scan(const unsigned char *win, size_t nblk, size_t *hdr,
		      uint64_t *size, int64_t *mtime)
{
	size_t last, i, zeros = 0;
	uint64_t s, mt;

	for (last = nblk; last > 0 && all_zero(win + (last - 1) * BLK); last--)
		zeros++;
	if (last == 0)
		return zeros == nblk ? SCAN_MORE : SCAN_NONE;
	if (zeros < 2)
		return SCAN_NONE; /* no end-of-archive blocks: cut short */
	for (i = last; i-- > 0;) {
		const unsigned char *b = win + i * BLK;

		if (i + 1 < last ? !memchr(b, 0, BLK) : b[0] != 0)
			continue; /* text: the last block ends with NULs */
		if (!tarr_header_valid(b) ||
		    memcmp(b, MANIFEST_MEMBER, sizeof(MANIFEST_MEMBER)) ||
		    (b[156] != '0' && b[156] != '\0') ||
		    octal(b + 124, 12, &s) || octal(b + 136, 12, &mt) ||
		    i + 1 + (s + BLK - 1) / BLK != last || b[345] != '\0')
			return SCAN_NONE;
		*hdr = i;
		*size = s;
		*mtime = (int64_t)mt;
		return SCAN_FOUND;
	}
	return SCAN_MORE;
}

/* Read n records from lblock at into buf (n * bs bytes). Each record must
 * be exactly bs bytes (tapefs writes no other): -EINVAL otherwise. */
static int read_records(struct tape *t, uint64_t at, uint64_t n, uint32_t bs,
			unsigned char *buf, uint64_t *bytes)
{
	int ret = tape_locate(t, at);

	for (uint64_t k = 0; !ret && k < n; k++) {
		ssize_t r = tape_read(t, buf + k * bs, bs);

		if (r < 0)
			return r == -ENOMEM ? -EINVAL : (int)r;
		*bytes += (uint64_t)r;
		if (r != (ssize_t)bs)
			return -EINVAL;
	}
	return ret;
}

/* Where the file that starts at out->start_lblock ends: out->records and
 * out->filemark. t is then after the filemark, or at end of data. */
static int find_end(struct tape *t, struct tarr_tail *out)
{
	struct tape_status st;
	uint64_t pos;
	int ret = tape_fsf(t, 1);

	if (ret == 0) {
		ret = tape_tell(t, &pos);
		if (ret)
			return ret;
		out->filemark = 1;
		out->records = pos - 1 - out->start_lblock;
		return 0;
	}
	if (tape_status(t, &st) < 0 || !st.eod)
		return ret;
	ret = tape_tell(t, &pos);
	if (ret)
		return ret;
	out->records = pos - out->start_lblock;
	return out->records ? 0 : -ENODATA;
}

/* The file's last record at lblock at into *buf (malloc'd), its length
 * (the archive's block size: tapefs pads the last record) into *bs: read
 * with max bytes of room, then with TAIL_RECORD_MAX when it is longer.
 * -EINVAL: not a record of a tar archive. */
static int last_record(struct tape *t, uint64_t at, uint32_t max,
		       unsigned char **buf, uint32_t *bs, uint64_t *bytes)
{
	ssize_t r = -ENOMEM;

	for (int tries = 0; r == -ENOMEM && tries < 2; tries++) {
		size_t room = tries ? TAIL_RECORD_MAX : max;
		int ret = tape_locate(t, at);

		if (ret)
			return ret;
		free(*buf);
		*buf = malloc(room);
		if (!*buf)
			return -ENOMEM;
		r = tape_read(t, *buf, room);
	}
	if (r < 0)
		return r == -ENOMEM ? -EINVAL : (int)r;
	*bytes += (uint64_t)r;
	if (r == 0 || r % BLK)
		return -EINVAL;
	*bs = (uint32_t)r;
	return 0;
}

/* The window of the last k records grows backwards until the scan ends.
 * *at_end: the tape stands after the file's last record (only the first
 * read leaves it there). */
static int tail_scan(struct tape *t, uint32_t max, struct tarr_tail *out,
		     int *at_end)
{
	uint64_t end = out->start_lblock + out->records, k = 1, more = 1;
	unsigned char *win = NULL, *nw;
	uint32_t bs = 0;
	size_t hdr = 0;
	uint64_t size = 0;
	enum scan sc;
	int ret;

	ret = last_record(t, end - 1, max, &win, &bs, &out->bytes_read);
	*at_end = !ret;
	sc = ret ? SCAN_NONE
		 : scan(win, bs / BLK, &hdr, &size, &out->manifest_mtime);
	while (sc == SCAN_MORE && k < out->records &&
	       (k + more) * bs <= TAIL_MAX_BYTES + 2 * (uint64_t)bs) {
		if (more > out->records - k)
			more = out->records - k;
		nw = malloc((k + more) * bs);
		if (!nw) {
			ret = -ENOMEM;
			break;
		}
		memcpy(nw + more * bs, win, k * bs);
		free(win);
		win = nw;
		ret = read_records(t, end - k - more, more, bs, win,
				   &out->bytes_read);
		*at_end = 0;
		if (ret)
			break;
		k += more;
		more = k;
		sc = scan(win, (size_t)(k * bs / BLK), &hdr, &size,
			  &out->manifest_mtime);
	}
	if (!ret && sc == SCAN_FOUND) {
		out->manifest = malloc(size + 1);
		if (!out->manifest) {
			ret = -ENOMEM;
		} else {
			memcpy(out->manifest, win + (hdr + 1) * BLK, size);
			out->manifest[size] = '\0';
			out->len = size;
			out->block_size = bs;
			out->manifest_offset =
			    (out->records - k) * bs + hdr * BLK;
		}
	}
	free(win);
	return ret == -EINVAL ? 0 : ret; /* not a tapefs archive */
}

int tarr_read_tail(struct tape *t, uint32_t block_size, struct tarr_tail *out)
{
	int at_end = 0, ret;
	ssize_t r;
	char c;

	memset(out, 0, sizeof(*out));
	if (!block_size)
		return -EINVAL;
	ret = tape_tell(t, &out->start_lblock);
	if (!ret)
		ret = find_end(t, out);
	if (ret || !out->records)
		return ret; /* an empty file: t is after its filemark */
	ret = tail_scan(t, block_size, out, &at_end);
	if (!ret && !at_end)
		ret = tape_locate(t, out->start_lblock + out->records);
	if (!ret && out->filemark) {
		/* on the BOT side of the filemark: a read steps over it
		 * without another positioning */
		r = tape_read(t, &c, 1);
		ret = r == 0 ? 0 : r < 0 ? (int)r : -EIO;
	}
	if (ret)
		tarr_tail_release(out);
	return ret;
}

void tarr_tail_release(struct tarr_tail *tl)
{
	free(tl->manifest);
	tl->manifest = NULL;
	tl->len = 0;
}

int tarr_file_starts_tar(struct tape *t, uint64_t start_lblock,
			 uint32_t block_size)
{
	unsigned char *rec = malloc(block_size);
	ssize_t r;
	int ret;

	if (!rec)
		return -ENOMEM;
	ret = tape_locate(t, start_lblock);
	r = ret ? ret : tape_read(t, rec, block_size);
	if (r == -ENOMEM)
		ret = 0; /* a longer record: not one of ours */
	else if (r < 0)
		ret = (int)r;
	else
		ret = r == (ssize_t)block_size && tarr_header_valid(rec);
	free(rec);
	return ret;
}
