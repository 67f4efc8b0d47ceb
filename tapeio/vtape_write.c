/* tapeio/vtape_write.c - recording on an open vtape: data records,
 * filemarks and the end of data (with, in version 2, the stored index
 * after it), the write-fail and write-protect faults, and the writeback
 * that keeps the host disk streaming along with the tape.
 *
 * A stream of large records is written around the host page cache
 * (O_DIRECT), as a drive moves a record from the host's buffer by DMA:
 * a record whose header starts a page of the image, whose data (then
 * page-aligned in the image, vt_pad_at()) is whole pages long and whose
 * buffer is page-aligned goes to the disk straight from that buffer,
 * saving the copy into the page cache (the writer's largest cost after
 * its MD5) and keeping the cache for other work. Any other record, the
 * filemarks and the end of data go through the page cache as before;
 * the two never share a page. Where the host file system refuses
 * O_DIRECT every record goes through the cache, and so does the rest of
 * a session once direct writes have been slower than the modelled drive
 * (VT_DIRECT_SLOW in a row): a disk that cannot take a record as fast as
 * the drive would must not hold the drive back, and the page cache lets
 * it catch up between filemarks. What is recorded, and when it is
 * durable (a filemark's fdatasync), is the same either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tapeio/tape.h"
#include "tapeio/vtape_int.h"

/* End the image at end of data: the end-of-data header at eod_off (with,
 * in version 2, the stored index after it) and nothing after. Streaming
 * data records leave the file ending right after the last record (which
 * an index walk reads as end of data too); filemarks and close write the
 * explicit marker. */
int vt_eod_write(struct vtape *v)
{
	unsigned char *tail;
	uint64_t end;
	size_t n;
	int ret = 0;

	tail = vt_tail_encode(&v->ix, v->h.version, &n);
	if (!tail)
		return -ENOMEM;
	end = v->ix.eod_off + n;
	if (pwrite(v->fd, tail, n, (off_t)v->ix.eod_off) != (ssize_t)n ||
	    (v->fsize > end && ftruncate(v->fd, (off_t)end) < 0)) {
		ret = -EIO;
	} else {
		v->fsize = end;
		v->eod_clean = 1;
	}
	free(tail);
	return ret;
}

/* Before a record is written at lblock pos, everything from there on is
 * gone: the index and the file end there (so that no end of data nor
 * stored index of before outlives the write), and the unreadable marks of
 * the records written over go. */
static int vt_cut(struct vtape *v, uint64_t pos)
{
	uint64_t off;

	vt_index_truncate(&v->ix, pos);
	off = v->ix.eod_off;
	v->eod_clean = 0;
	if (v->fsize > off) {
		if (ftruncate(v->fd, (off_t)off) < 0)
			return -EIO;
		v->fsize = off;
	}
	if (v->h.version >= 2 && (!v->hmap || get32(v->hmap + OFF_NUNREAD)) &&
	    vt_unread_cut(v->fd, pos) < 0)
		return -EIO;
	return 0;
}

/* A host failure writing at lblock pos, image offset off (the file may
 * now reach file_end): end of data where the record began. Returns ret,
 * or -EIO when ret is not an error. */
static int vt_record_fail(struct vtape *v, uint64_t pos, uint64_t off,
			  uint64_t file_end, int ret)
{
	vt_index_truncate(&v->ix, pos);
	v->ix.eod_off = off;
	v->fsize = v->fsize > file_end ? v->fsize : file_end;
	vt_eod_write(v);
	return ret < 0 ? ret : -EIO;
}

void vt_direct_close(struct vtape *v)
{
	if (v->dfd >= 0)
		close(v->dfd);
	v->dfd = -1;
	free(v->dblk);
	v->dblk = NULL;
}

/* Whether a record of len bytes from buf, its header at off padded by
 * pad, can be written with O_DIRECT: its header and padding one whole
 * page, its data whole pages from a page-aligned buffer. Opens the
 * O_DIRECT descriptor the first time (the image again, through
 * /proc/self/fd: same file, no flock of its own); a host that refuses it
 * is not asked again. */
static int vt_direct_ok(struct vtape *v, uint64_t off, unsigned pad,
			const void *buf, uint64_t len)
{
	char path[64];

	if (off % VT_ALIGN || VT_RH_SIZE + pad != VT_ALIGN || len % VT_ALIGN ||
	    (uintptr_t)buf % VT_ALIGN || v->dfd == -2)
		return 0;
	if (v->dfd >= 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", v->fd);
	v->dfd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (v->dfd >= 0 &&
	    !posix_memalign((void **)&v->dblk, VT_ALIGN, VT_ALIGN)) {
		memset(v->dblk, 0, VT_ALIGN);
		return 1;
	}
	vt_direct_close(v);
	v->dfd = -2;
	return 0;
}

#define VT_DIRECT_SLOW 8

/* After a direct write of len bytes that took secs: whether the host disk
 * keeps up with the modelled drive (a drive of unlimited rate, or with no
 * time modelled, is never kept back by it); VT_DIRECT_SLOW slower writes
 * in a row end direct writes for this session, with a trace line. */
static void vt_direct_pace(struct vtape *v, uint64_t len, double secs)
{
	double drive = vt_clock_xfer(&v->clk, len) * v->clk.m.time_scale;

	if (v->clk.m.rate_mbps <= 0 || v->clk.m.time_scale <= 0 ||
	    secs <= drive) {
		v->dslow = 0;
		return;
	}
	if (++v->dslow < VT_DIRECT_SLOW)
		return;
	vt_trace(v, "direct off %llu %.0f", (unsigned long long)v->pos,
		 (double)len / secs / 1e6);
	vt_direct_close(v);
	v->dfd = -2;
}

/* The record of vt_record_data() with O_DIRECT: 1 when written, 0 when
 * the host refused it (nothing written; from now on every record goes
 * through the page cache), -EIO on a failure. */
static int vt_record_direct(struct vtape *v, const unsigned char *rh,
			    const void *buf, uint64_t len, uint64_t off)
{
	struct iovec iov[2];
	double t0 = vt_now();
	ssize_t n;

	memcpy(v->dblk, rh, VT_RH_SIZE); /* the rest stays zeros */
	iov[0] = (struct iovec){v->dblk, VT_ALIGN};
	iov[1] = (struct iovec){(void *)buf, len};
	n = pwritev(v->dfd, iov, 2, (off_t)off);
	if (n == (ssize_t)(VT_ALIGN + len)) {
		vt_direct_pace(v, len, vt_now() - t0);
		return 1;
	}
	if (n < 0 && errno == EINVAL) {
		vt_direct_close(v);
		v->dfd = -2;
		return 0;
	}
	return -EIO;
}

/* Record one data record of len bytes from buf at the current position. */
static int vt_record_data(struct vtape *v, const void *buf, uint64_t len)
{
	static const unsigned char zeros[VT_ALIGN];
	unsigned char rh[VT_RH_SIZE];
	struct iovec iov[3];
	uint64_t pos = v->pos, off, end;
	unsigned pad;
	int n = 0, ret;

	ret = vt_cut(v, pos);
	if (ret < 0)
		return ret;
	off = v->ix.eod_off;
	pad = vt_pad_at(off, VT_DATA, len);
	vt_rh_encode(rh, VT_DATA, 0, pad, len);
	end = off + VT_RH_SIZE + pad + len;
	ret = vt_direct_ok(v, off, pad, buf, len)
		  ? vt_record_direct(v, rh, buf, len, off)
		  : 0;
	if (ret < 0)
		return vt_record_fail(v, pos, off, end, ret);
	iov[n++] = (struct iovec){rh, VT_RH_SIZE};
	if (pad)
		iov[n++] = (struct iovec){(void *)zeros, pad};
	iov[n++] = (struct iovec){(void *)buf, len};
	if (!ret && pwritev(v->fd, iov, n, (off_t)off) != (ssize_t)(end - off))
		return vt_record_fail(v, pos, off, end, -EIO);
	ret = vt_index_push(&v->ix, off, VT_DATA, pad, len);
	if (ret < 0)
		return vt_record_fail(v, pos, off, end, ret);
	v->ix.eod_off = end;
	v->pos = v->ix.n;
	v->fsize = end;
	return 0;
}

/* Record count filemarks at the current position, followed by the
 * end-of-data header (and the index) in the same write. */
static int vt_record_marks(struct vtape *v, unsigned count)
{
	unsigned char *marks, *tail = NULL;
	size_t mlen = (size_t)count * VT_RH_SIZE, tlen = 0;
	uint64_t pos = v->pos, off, file_end;
	struct iovec iov[2];
	int ret;

	ret = vt_cut(v, pos);
	if (ret < 0)
		return ret;
	off = file_end = v->ix.eod_off;
	marks = malloc(mlen);
	if (!marks)
		return -ENOMEM;
	for (unsigned i = 0; i < count; i++) {
		vt_rh_encode(marks + (size_t)i * VT_RH_SIZE, VT_FILEMARK, 0, 0,
			     0);
		ret = vt_index_push(&v->ix, off + (uint64_t)i * VT_RH_SIZE,
				    VT_FILEMARK, 0, 0);
		if (ret < 0)
			goto out_fail;
	}
	v->ix.eod_off = off + mlen;
	tail = vt_tail_encode(&v->ix, v->h.version, &tlen);
	ret = -ENOMEM;
	if (!tail)
		goto out_fail;
	iov[0] = (struct iovec){marks, mlen};
	iov[1] = (struct iovec){tail, tlen};
	file_end = off + mlen + tlen;
	ret = -EIO;
	if (pwritev(v->fd, iov, 2, (off_t)off) != (ssize_t)(mlen + tlen))
		goto out_fail;
	v->pos = v->ix.n;
	v->fsize = file_end;
	v->eod_clean = 1;
	ret = 0;
	goto out;

out_fail:
	ret = vt_record_fail(v, pos, off, file_end, ret);
out:
	free(marks);
	free(tail);
	return ret;
}

/* Whether t may be written now: -EBADF (opened read-only), -ENOMEDIUM
 * (after tape_offline()), -EROFS (write-protected, also by a fault
 * injected while open), -EIO. */
static int vt_writable(struct tape *t)
{
	struct vtape *v = t->priv;
	int ret;

	if (t->mode != TAPE_RDWR)
		return -EBADF;
	if (v->offline)
		return -ENOMEDIUM;
	if (v->fd < 0)
		return -EBADF;
	ret = vt_faults_read(v);
	if (ret < 0)
		return ret;
	if (v->h.protect)
		return -EROFS;
	return 0;
}

/* Start writeback of what was written since the last call once there is
 * enough of it, so that the fdatasync of the next filemark finds little
 * left to do: the host disk streams along with the tape. */
#define VT_WRITEBACK_CHUNK (32ull << 20)
static void vt_writeback(struct vtape *v)
{
	uint64_t end = v->ix.eod_off;

	if (end < v->flushed)
		v->flushed = end; /* written over: start again from here */
	if (end - v->flushed < VT_WRITEBACK_CHUNK)
		return;
	sync_file_range(v->fd, (off_t)v->flushed, (off_t)(end - v->flushed),
			SYNC_FILE_RANGE_WRITE);
	v->flushed = end;
}

/* Whether a write of len bytes that ends at data byte after may go:
 * -ENOSPC at end of medium, and once past early warning; -EIO once the
 * write-fail fault's budget (which the write takes from) is spent. */
static int vt_write_allowed(struct vtape *v, size_t len, uint64_t after)
{
	const char *why = NULL;
	int ret = 0;

	if (after > v->h.capacity) {
		why = "enospc-eom";
		ret = -ENOSPC;
	} else if (v->ew_pending) {
		v->ew_pending = 0;
		why = "enospc-ew";
		ret = -ENOSPC;
	} else if (v->h.wfail != VT_NO_WFAIL) {
		uint64_t left = len > v->h.wfail ? 0 : v->h.wfail - len;

		if (vt_field64_put(v->fd, OFF_WFAIL, left) < 0)
			return -EIO;
		if (len > v->h.wfail) {
			why = "eio";
			ret = -EIO;
		}
	}
	if (why)
		vt_trace(v, "write %llu %zu %s", (unsigned long long)v->pos,
			 len, why);
	return ret;
}

ssize_t vt_write(struct tape *t, const void *buf, size_t len)
{
	struct vtape *v = t->priv;
	uint64_t after;
	int ret;

	ret = vt_writable(t);
	if (ret < 0)
		return ret;
	if (len == 0)
		return 0;
	v->last_write = 1;
	after = vt_cum(&v->ix, v->pos) + len;
	ret = vt_write_allowed(v, len, after);
	if (ret < 0)
		return ret;
	vt_trace(v, "write %llu %zu", (unsigned long long)v->pos, len);
	vt_clock_charge(&v->clk, vt_clock_xfer(&v->clk, len));
	ret = vt_record_data(v, buf, len);
	vt_writeback(v);
	vt_clock_wait_buffered(&v->clk);
	if (ret < 0)
		return ret;
	v->cnt.records_written++;
	v->cnt.bytes_written += len;
	if (after >= v->h.capacity - v->h.early_warning)
		v->ew_pending = 1;
	return (ssize_t)len;
}

/* Filemarks flush the drive's buffer: after a weof the data before it is
 * on the medium (here: on the host disk). */
int vt_weof_n(struct vtape *v, unsigned count)
{
	int ret = 0;

	v->last_write = 0;
	v->ew_pending = 0;
	vt_trace(v, "weof %u %llu", count, (unsigned long long)v->pos);
	if (count > 0) /* count 0, st: just flush the buffer */
		ret = vt_record_marks(v, count);
	if (ret == 0 && fdatasync(v->fd) < 0)
		ret = -EIO;
	vt_clock_wait(&v->clk); /* the buffer is on tape before it returns */
	return ret;
}

int vt_weof(struct tape *t, unsigned count)
{
	int ret = vt_writable(t);

	if (ret < 0)
		return ret;
	return vt_weof_n(t->priv, count);
}
