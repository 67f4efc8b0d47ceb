/* tapeio/vtape.c - the vtape backend: an open tape image with the
 * semantics of the Linux st driver (tape.h): open, close, read,
 * positioning, status, and its trace; recording is in vtape_write.c, the
 * speed model charged per operation in vtape_model.c.
 *
 * Positioning never reads data: on open the index stored after end of data
 * (version 2) is loaded when it is current, else the record headers are
 * walked once (vtape_format.c), into the in-memory index of every record
 * (vtape_index.c). Writes keep the index current; every end-of-data header
 * is written with the index after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapeio/tape.h"
#include "tapeio/vtape_int.h"

/* ---- trace ---- */

void vt_trace(struct vtape *v, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n, m;

	if (v->trace_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%s ", v->h.barcode);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(v->trace_fd, line, (size_t)n) < 0) {
		/* a trace is best effort: never fails an operation */
	}
}

/* Move to lblock to (<= n), counting and charging the move. */
static void vt_move(struct vtape *v, uint64_t to)
{
	uint64_t from = v->pos, a, b;

	v->ew_pending = 0;
	if (to == from)
		return;
	a = vt_cum(&v->ix, from);
	b = vt_cum(&v->ix, to);
	v->cnt.locates++;
	v->cnt.locate_records += to > from ? to - from : from - to;
	vt_clock_charge(&v->clk,
			vt_clock_locate(&v->clk, a > b ? a - b : b - a));
	vt_clock_wait(&v->clk);
	v->pos = to;
}

/* ---- faults ---- */

/* Protect flag and write-fail budget, re-read so that an injection made
 * while the image is open takes effect at once. */
int vt_faults_read(struct vtape *v)
{
	unsigned char b[16];
	const unsigned char *p = b;

	if (v->hmap)
		p = v->hmap + OFF_PROTECT; /* no system call per record */
	else if (pread(v->fd, b, sizeof(b), OFF_PROTECT) != (ssize_t)sizeof(b))
		return -EIO;
	v->h.protect = get32(p);
	v->h.wfail = get64(p + 8);
	return 0;
}

/* ---- reading and positioning ---- */

/* The start of every operation but a write: -ENOMEDIUM after
 * tape_offline(). It ends a run of writes; rewind, bsf, locate and
 * offline (flush) first write the filemark st writes there (st(4): "If
 * rewind, offline, bsf, or seek is done and previous tape operation was
 * write, a filemark is written before moving tape."). */
static int vt_begin(struct vtape *v, int flush)
{
	if (v->offline)
		return -ENOMEDIUM;
	if (flush && v->last_write)
		return vt_weof_n(v, 1);
	v->last_write = 0;
	return 0;
}

/* Whether the data record r at lblock l is unreadable (an injected
 * fault): 1, 0 or -EIO. Version 2 keeps the table in the header, read
 * through the shared mapping; version 1 keeps a flag in the record header,
 * which must then match the index. */
static int vt_unreadable(struct vtape *v, const struct vt_rec *r, uint64_t l)
{
	unsigned char b[VT_HDR_SIZE - OFF_NUNREAD];

	if (v->h.version >= 2 && v->hmap)
		return vt_unread_has(v->hmap + OFF_NUNREAD, l);
	if (v->h.version >= 2) {
		if (pread(v->fd, b, sizeof(b), OFF_NUNREAD) !=
		    (ssize_t)sizeof(b))
			return -EIO;
		return vt_unread_has(b, l);
	}
	if (vt_rh_read(v->fd, r, b) < 0)
		return -EIO;
	return (b[5] & VT_F_UNREADABLE) != 0;
}

static ssize_t vt_read(struct tape *t, void *buf, size_t len)
{
	struct vtape *v = t->priv;
	struct vt_rec r;
	ssize_t got = -1;
	int ret = vt_begin(v, 0);

	if (ret < 0)
		return ret;
	v->ew_pending = 0;
	if (v->pos >= v->ix.n) {
		vt_trace(v, "read %llu eod", (unsigned long long)v->pos);
		return -EIO;
	}
	r = vt_rec_at(&v->ix, v->pos);
	if (r.type == VT_FILEMARK) {
		vt_trace(v, "read %llu filemark", (unsigned long long)v->pos);
		v->pos++;
		return 0;
	}
	if (r.len > len) {
		vt_trace(v, "read %llu %llu enomem", (unsigned long long)v->pos,
			 (unsigned long long)r.len);
		v->pos++;
		return -ENOMEM;
	}
	vt_trace(v, "read %llu %llu", (unsigned long long)v->pos,
		 (unsigned long long)r.len);
	vt_clock_charge(&v->clk, vt_clock_xfer(&v->clk, r.len));
	if (vt_unreadable(v, &r, v->pos) == 0) /* the data alone, straight */
		got = pread(v->fd, buf, r.len, /* into the caller's buffer */
			    (off_t)(r.off + VT_RH_SIZE + r.pad));
	vt_clock_wait(&v->clk);
	v->pos++;
	if (got != (ssize_t)r.len)
		return -EIO;
	v->cnt.records_read++;
	v->cnt.bytes_read += r.len;
	return (ssize_t)r.len;
}

enum vt_space { VT_FSF, VT_BSF, VT_FSR, VT_BSR };

/* Where spacing count filemarks (fsf, bsf) or records (fsr, bsr) from
 * lblock pos leads, into *to: 0, or -EIO when the tape stops short there,
 * as st's does: at end of data, at BOT, just after the filemark an fsr
 * runs into, on the BOT side of the one a bsr runs into. */
static int vt_space_to(const struct vt_index *ix, uint64_t pos,
		       enum vt_space op, unsigned count, uint64_t *to)
{
	uint64_t below = vt_fm_below(ix, pos);

	*to = op == VT_FSF || op == VT_FSR ? ix->n : 0;
	if (count == 0) {
		*to = pos;
		return 0;
	}
	switch (op) {
	case VT_FSF:
		if (below + count > ix->nfm)
			return -EIO;
		*to = ix->fm[below + count - 1] + 1;
		return 0;
	case VT_BSF:
		if (below < count)
			return -EIO;
		*to = ix->fm[below - count];
		return 0;
	case VT_FSR:
		if (below < ix->nfm && ix->fm[below] < pos + count) {
			*to = ix->fm[below] + 1;
			return -EIO;
		}
		if (pos + count > ix->n)
			return -EIO;
		*to = pos + count;
		return 0;
	default:
		if (below > 0 && ix->fm[below - 1] + count >= pos) {
			*to = ix->fm[below - 1];
			return -EIO;
		}
		if (count > pos)
			return -EIO;
		*to = pos - count;
		return 0;
	}
}

/* fsf, bsf, fsr, bsr: a bsf after a write first writes a filemark, as
 * st does (vt_begin()). */
static int vt_space(struct tape *t, enum vt_space op, unsigned count)
{
	static const char *const name[] = {"fsf", "bsf", "fsr", "bsr"};
	struct vtape *v = t->priv;
	int ret = vt_begin(v, op == VT_BSF);
	uint64_t to;

	if (ret < 0)
		return ret;
	vt_trace(v, "%s %u %llu", name[op], count, (unsigned long long)v->pos);
	/* fsf 0 and bsf 0 do nothing; fsr 0 and bsr 0 move nowhere, which
	 * ends a pending early warning as every move does */
	if (count == 0 && (op == VT_FSF || op == VT_BSF))
		return 0;
	ret = vt_space_to(&v->ix, v->pos, op, count, &to);
	vt_move(v, to);
	return ret;
}

static int vt_fsf(struct tape *t, unsigned count)
{
	return vt_space(t, VT_FSF, count);
}

static int vt_bsf(struct tape *t, unsigned count)
{
	return vt_space(t, VT_BSF, count);
}

static int vt_fsr(struct tape *t, unsigned count)
{
	return vt_space(t, VT_FSR, count);
}

static int vt_bsr(struct tape *t, unsigned count)
{
	return vt_space(t, VT_BSR, count);
}

static int vt_locate(struct tape *t, uint64_t lblock)
{
	struct vtape *v = t->priv;
	int ret = vt_begin(v, 1);
	uint64_t from;

	if (ret < 0)
		return ret;
	from = v->pos; /* after the filemark vt_begin() may have written */
	if (lblock > v->ix.n) {
		vt_move(v, v->ix.n);
		vt_trace(v, "locate %llu -> %llu eod", (unsigned long long)from,
			 (unsigned long long)lblock);
		return -EIO;
	}
	vt_trace(v, "locate %llu -> %llu", (unsigned long long)from,
		 (unsigned long long)lblock);
	if (lblock == from) {
		/* still a command: the drive stops streaming to execute it
		 * (the position is known to st; a reader need not ask) */
		vt_clock_charge(&v->clk, vt_clock_locate(&v->clk, 0));
		vt_clock_wait(&v->clk);
	}
	vt_move(v, lblock);
	return 0;
}

/* rewind, eom and offline: after vt_begin(v, flush), move to BOT, or to
 * end of data when to_eod. */
static int vt_wind(struct vtape *v, const char *op, int flush, int to_eod)
{
	int ret = vt_begin(v, flush);

	if (ret < 0)
		return ret;
	vt_trace(v, "%s %llu", op, (unsigned long long)v->pos);
	vt_move(v, to_eod ? v->ix.n : 0);
	return 0;
}

static int vt_rewind(struct tape *t)
{
	return vt_wind(t->priv, "rewind", 1, 0);
}

static int vt_eom(struct tape *t)
{
	return vt_wind(t->priv, "eom", 0, 1);
}

static int vt_tell(struct tape *t, uint64_t *lblock)
{
	struct vtape *v = t->priv;

	if (v->offline)
		return -ENOMEDIUM;
	*lblock = v->pos;
	return 0;
}

static int vt_status(struct tape *t, struct tape_status *st)
{
	struct vtape *v = t->priv;
	uint64_t below, pos = v->pos;

	memset(st, 0, sizeof(*st));
	if (v->offline) {
		st->file = st->block = -1;
		return 0;
	}
	if (vt_faults_read(v) < 0)
		return -EIO;
	below = vt_fm_below(&v->ix, pos);
	st->online = 1;
	st->write_protected = v->h.protect != 0;
	st->bot = pos == 0;
	st->eof = below > 0 && v->ix.fm[below - 1] == pos - 1;
	st->eod = pos == v->ix.n;
	st->eot = vt_cum(&v->ix, pos) >= v->h.capacity - v->h.early_warning;
	st->file = (long)below;
	st->block = (long)(below ? pos - v->ix.fm[below - 1] - 1 : pos);
	st->lblock = pos;
	return 0;
}

static int vt_space_left(struct tape *t, struct tape_space *sp)
{
	struct vtape *v = t->priv;
	uint64_t used;

	if (v->offline)
		return -ENOMEDIUM;
	used = vt_used(&v->ix);
	sp->capacity = v->h.capacity;
	sp->remaining = used < v->h.capacity ? v->h.capacity - used : 0;
	return 0;
}

static int vt_counters(struct tape *t, struct tape_counters *c)
{
	struct vtape *v = t->priv;

	*c = v->cnt;
	c->model_seconds = v->clk.charged;
	return 0;
}

static int vt_offline(struct tape *t)
{
	struct vtape *v = t->priv;
	int ret = vt_wind(v, "offline", 1, 0);

	if (ret < 0)
		return ret;
	vt_clock_charge(&v->clk, v->clk.m.unload_s);
	vt_clock_wait(&v->clk);
	v->offline = 1;
	return 0;
}

/* ---- open and close ---- */

/* The image at dev opened for mode and locked: its descriptor, or
 * -ENOMEDIUM (no image or drive symlink), -EROFS (read-write of a
 * read-only image: write-protected), -EBUSY (open elsewhere). */
static int vt_open_image(const char *dev, int mode)
{
	int fd, ret;

	fd = open(dev, (mode == TAPE_RDWR ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENOTDIR)
			ret = -ENOMEDIUM;
		else if (mode == TAPE_RDWR && (ret == -EACCES || ret == -EROFS))
			ret = -EROFS;
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* Read the header and the index of the image open at v->fd. */
static int vt_load(struct vtape *v, int mode)
{
	struct stat sb;
	int ret;

	if (fstat(v->fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return -EIO;
	v->fsize = (uint64_t)sb.st_size;
	if (vt_hdr_read(v->fd, &v->h) < 0)
		return -EIO; /* not a readable vtape: a damaged cartridge */
	if (mode == TAPE_RDWR && v->h.protect)
		return -EROFS;
	ret = vt_index_get(&v->ix, v->fd, v->fsize, v->h.version);
	if (ret < 0)
		return ret;
	if (v->h.version >= 2)
		v->eod_clean = v->ix.indexed;
	else
		v->eod_clean =
		    v->ix.clean && v->fsize == v->ix.eod_off + VT_RH_SIZE;
	v->flushed = v->ix.eod_off;
	v->hmap = mmap(NULL, VT_HDR_SIZE, PROT_READ, MAP_SHARED, v->fd, 0);
	if (v->hmap == MAP_FAILED)
		v->hmap = NULL; /* then faults are read with pread */
	return 0;
}

static int vt_open(struct tape *t, const char *dev, int mode)
{
	const char *trace = getenv("TAPEFS_VTAPE_TRACE");
	struct vtape *v;
	int ret;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->trace_fd = -1;
	v->dfd = -1;
	v->fd = vt_open_image(dev, mode);
	if (v->fd < 0) {
		ret = v->fd;
		goto out_free;
	}
	ret = vt_load(v, mode);
	if (ret < 0)
		goto out_close;
	if (trace && *trace)
		v->trace_fd = open(
		    trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	vt_clock_start(&v->clk, &v->h.model);
	t->priv = v;
	vt_trace(v, "open %s %llu", mode == TAPE_RDWR ? "rw" : "ro",
		 (unsigned long long)v->ix.n);
	vt_clock_charge(&v->clk, v->clk.m.load_s);
	vt_clock_wait(&v->clk);
	return 0;

out_close:
	close(v->fd);
out_free:
	free(v);
	return ret;
}

static int vt_close(struct tape *t)
{
	struct vtape *v = t->priv;
	int ret = 0;

	if (!v)
		return 0;
	if (!v->offline && v->last_write && t->mode == TAPE_RDWR)
		ret = vt_weof_n(v, 1);
	if (t->mode == TAPE_RDWR && !v->eod_clean) {
		int r2 = vt_eod_write(v);

		ret = ret ? ret : r2;
	}
	vt_clock_wait(&v->clk);
	vt_trace(v, "close %llu", (unsigned long long)v->pos);
	if (v->trace_fd >= 0)
		close(v->trace_fd);
	if (v->hmap)
		munmap((void *)v->hmap, VT_HDR_SIZE);
	vt_direct_close(v);
	close(v->fd);
	vt_index_free(&v->ix);
	free(v);
	t->priv = NULL;
	return ret;
}

const struct tape_ops vtape_ops = {
    .name = "vtape",
    .open = vt_open,
    .close = vt_close,
    .read = vt_read,
    .write = vt_write,
    .weof = vt_weof,
    .fsf = vt_fsf,
    .bsf = vt_bsf,
    .fsr = vt_fsr,
    .bsr = vt_bsr,
    .rewind = vt_rewind,
    .eom = vt_eom,
    .locate = vt_locate,
    .tell = vt_tell,
    .status = vt_status,
    .space = vt_space_left,
    .counters = vt_counters,
    .offline = vt_offline,
};
