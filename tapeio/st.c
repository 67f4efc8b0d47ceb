/* tapeio/st.c - the st backend: a real drive on /dev/nstN, through the
 * Linux st driver (read/write, MTIOCTOP, MTIOCGET, MTIOCPOS), and the
 * cartridge's capacity through the drive's SCSI generic node.
 *
 * As in OpenBSD mt and mt-st: one tiny function per ioctl returning
 * -errno; after a failure MTIOCGET says why (no medium, write-protected);
 * a read() is one record and is never looped to fill a buffer. The driver
 * itself writes the filemark on close after a write, and before a rewind,
 * bsf, seek or offline that follows a write.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tapeio/scsi_mam.h"
#include "tapeio/st.h"
#include "tapeio/tape.h"

struct st {
	int fd;
	struct tape_counters cnt;
};

static int st_mtop(int fd, short op, int count)
{
	struct mtop mt = {.mt_op = op, .mt_count = count};

	return ioctl(fd, MTIOCTOP, &mt) < 0 ? -errno : 0;
}

static int st_mtget(int fd, struct mtget *g)
{
	memset(g, 0, sizeof(*g));
	return ioctl(fd, MTIOCGET, g) < 0 ? -errno : 0;
}

static int st_mtpos(int fd, uint64_t *lblock)
{
	struct mtpos p;

	if (ioctl(fd, MTIOCPOS, &p) < 0)
		return -errno;
	*lblock = (uint64_t)p.mt_blkno;
	return 0;
}

/* A failed operation: ask the drive why. No medium beats everything,
 * then write protection for writes; otherwise the error stands. */
static int st_why(int fd, int err, int writing)
{
	struct mtget g;

	if (err == -ENOMEM || err == -ENOSPC || err == -EBADF)
		return err;
	if (st_mtget(fd, &g) < 0)
		return err;
	if (!GMT_ONLINE(g.mt_gstat) || GMT_DR_OPEN(g.mt_gstat))
		return -ENOMEDIUM;
	if (writing && GMT_WR_PROT(g.mt_gstat))
		return -EROFS;
	return err;
}

static int st_count_op(struct st *s, short op, unsigned count, int writing)
{
	int ret;

	if (count > INT_MAX)
		return -EINVAL;
	ret = st_mtop(s->fd, op, (int)count);
	if (ret < 0)
		return st_why(s->fd, ret, writing);
	if (count > 0 && op != MTWEOF) {
		s->cnt.locates++;
		if (op == MTFSR || op == MTBSR)
			s->cnt.locate_records += count;
	}
	return 0;
}

static int st_open(struct tape *t, const char *dev, int mode)
{
	struct st *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = open(dev, (mode == TAPE_RDWR ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (s->fd < 0) {
		ret = -errno;
		goto out_free;
	}
	ret = st_mtop(s->fd, MTSETBLK, 0); /* variable block mode */
	if (ret < 0) {
		ret = st_why(s->fd, ret, 0);
		goto out_close;
	}
	t->priv = s;
	return 0;

out_close:
	close(s->fd);
out_free:
	free(s);
	return ret;
}

static int st_close(struct tape *t)
{
	struct st *s = t->priv;
	int ret = 0;

	if (close(s->fd) < 0)
		ret = -errno;
	free(s);
	t->priv = NULL;
	return ret;
}

static ssize_t st_read(struct tape *t, void *buf, size_t len)
{
	struct st *s = t->priv;
	ssize_t n = read(s->fd, buf, len);

	if (n < 0)
		return st_why(s->fd, -errno, 0);
	if (n > 0) {
		s->cnt.records_read++;
		s->cnt.bytes_read += (uint64_t)n;
	}
	return n;
}

static ssize_t st_write(struct tape *t, const void *buf, size_t len)
{
	struct st *s = t->priv;
	ssize_t n = write(s->fd, buf, len);

	if (n < 0)
		return st_why(s->fd, -errno, 1);
	if ((size_t)n != len)
		return -EIO; /* variable block mode: all of it or nothing */
	s->cnt.records_written++;
	s->cnt.bytes_written += (uint64_t)n;
	return n;
}

static int st_weof(struct tape *t, unsigned count)
{
	return st_count_op(t->priv, MTWEOF, count, 1);
}

static int st_fsf(struct tape *t, unsigned count)
{
	return st_count_op(t->priv, MTFSF, count, 0);
}

static int st_bsf(struct tape *t, unsigned count)
{
	return st_count_op(t->priv, MTBSF, count, 0);
}

static int st_fsr(struct tape *t, unsigned count)
{
	return st_count_op(t->priv, MTFSR, count, 0);
}

static int st_bsr(struct tape *t, unsigned count)
{
	return st_count_op(t->priv, MTBSR, count, 0);
}

static int st_rewind(struct tape *t)
{
	return st_count_op(t->priv, MTREW, 1, 0);
}

static int st_eom(struct tape *t)
{
	return st_count_op(t->priv, MTEOM, 1, 0);
}

static int st_offline(struct tape *t)
{
	return st_count_op(t->priv, MTOFFL, 1, 0);
}

static int st_locate(struct tape *t, uint64_t lblock)
{
	struct st *s = t->priv;

	if (lblock > INT_MAX)
		return -EOVERFLOW; /* struct mtop's count is an int */
	return st_count_op(s, MTSEEK, (unsigned)lblock, 0);
}

static int st_tell(struct tape *t, uint64_t *lblock)
{
	struct st *s = t->priv;
	int ret = st_mtpos(s->fd, lblock);

	return ret < 0 ? st_why(s->fd, ret, 0) : 0;
}

static int st_status(struct tape *t, struct tape_status *out)
{
	struct st *s = t->priv;
	struct mtget g;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = st_mtget(s->fd, &g);
	if (ret < 0)
		return ret;
	out->online = GMT_ONLINE(g.mt_gstat) && !GMT_DR_OPEN(g.mt_gstat);
	out->write_protected = GMT_WR_PROT(g.mt_gstat) != 0;
	out->bot = GMT_BOT(g.mt_gstat) != 0;
	out->eof = GMT_EOF(g.mt_gstat) != 0;
	out->eod = GMT_EOD(g.mt_gstat) != 0;
	out->eot = GMT_EOT(g.mt_gstat) != 0;
	out->file = g.mt_fileno;
	out->block = g.mt_blkno;
	if (out->online && st_mtpos(s->fd, &out->lblock) < 0)
		out->lblock = 0;
	return 0;
}

/* The SCSI generic node of the drive behind the st descriptor fd
 * ("/dev/sgN"): sysfs links the st device (by its device number) to its
 * SCSI device, and sg links that to its node ("generic"). -ENOENT when
 * there is none (the sg module is not loaded). */
static int st_sg_path(int fd, char *path, size_t len)
{
	char link[128], to[256];
	struct stat sb;
	const char *base;
	ssize_t n;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISCHR(sb.st_mode))
		return -ENOENT;
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/device/generic",
		 major(sb.st_rdev), minor(sb.st_rdev));
	n = readlink(link, to, sizeof(to) - 1);
	if (n < 0)
		return -errno;
	to[n] = '\0';
	base = strrchr(to, '/');
	base = base ? base + 1 : to;
	if (strncmp(base, "sg", 2) != 0)
		return -ENOENT;
	snprintf(path, len, "/dev/%s", base);
	return 0;
}

/* READ ATTRIBUTE to the drive: through its sg node, or when it has none
 * (or it cannot be opened), through the st node, which passes SG_IO on
 * to the same device (the kernel then wants CAP_SYS_RAWIO). */
static int st_space(struct tape *t, struct tape_space *sp)
{
	struct st *s = t->priv;
	char sg[300];
	int fd, ret;

	if (st_sg_path(s->fd, sg, sizeof(sg)) == 0) {
		fd = open(sg, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			ret = mam_read_space(fd, sp);
			close(fd);
			return ret;
		}
	}
	return mam_read_space(s->fd, sp);
}

static int st_counters(struct tape *t, struct tape_counters *c)
{
	struct st *s = t->priv;

	*c = s->cnt;
	return 0;
}

const struct tape_ops st_ops = {
    .name = "st",
    .open = st_open,
    .close = st_close,
    .read = st_read,
    .write = st_write,
    .weof = st_weof,
    .fsf = st_fsf,
    .bsf = st_bsf,
    .fsr = st_fsr,
    .bsr = st_bsr,
    .rewind = st_rewind,
    .eom = st_eom,
    .locate = st_locate,
    .tell = st_tell,
    .status = st_status,
    .space = st_space,
    .counters = st_counters,
    .offline = st_offline,
};
