/* tapeio/vtape.c - the vtape backend: a tape image in one host file with
 * the semantics of the Linux st driver (tape.h). docs/vtape.md documents
 * the on-disk format; the layout constants below are that document.
 *
 * Positioning never reads data: on open the index stored after end of data
 * (version 2) is loaded when it is current, else the record headers are
 * walked once (one pread of 16 bytes per record, skipping the data), into
 * an in-memory index of every record's offset, length and the data bytes
 * before it, and of every filemark's lblock. Writes keep the index
 * current; every end-of-data header is written with the index after it.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tapeio/tape.h"
#include "tapeio/vtape.h"

/* Image header: VT_HDR_SIZE bytes at offset 0, little-endian. New images
 * are version 2; version 1 images are read and written as version 1. */
#define VT_MAGIC     "TAPEFSVT"
#define VT_VERSION   2
#define VT_HDR_SIZE  4096
#define OFF_VERSION  8
#define OFF_HDRSIZE  12
#define OFF_RHSIZE   16
#define OFF_BARCODE  24
#define OFF_CAPACITY 64
#define OFF_EW	     72
#define OFF_MODEL    80	 /* six binary64: rate, load, unload, locate */
#define OFF_PROTECT  128 /* u32 */
#define OFF_WFAIL    136 /* u64 bytes left before writes fail */
#define VT_NO_WFAIL  UINT64_MAX
#define OFF_HEAD     144 /* u64 lblock, u64 token: see vtape_head_get() */
/* Version 2: the unreadable records, a table in the header (the reader
 * checks it through the shared mapping, no system call per record). */
#define OFF_NUNREAD   160 /* u32 entries */
#define OFF_UNREAD    168 /* u64 lblocks */
#define VT_UNREAD_MAX ((VT_HDR_SIZE - OFF_UNREAD) / 8)

/* Record header: VT_RH_SIZE bytes, then len bytes of data (data only). */
#define VT_RH_SIZE	16
#define VT_REC_MAGIC	0x43455256u /* "VREC" */
#define VT_DATA		1
#define VT_FILEMARK	2
#define VT_EOD		3
#define VT_F_UNREADABLE 0x01
/* Data records of VT_ALIGN_MIN bytes or more are padded after their header
 * so that their data starts at a multiple of VT_ALIGN in the image: the
 * host page cache then moves whole pages (large folios) for them. */
#define VT_ALIGN     4096
#define VT_ALIGN_MIN 65536

/* Version 2: after the end-of-data header, the index (runs of records of
 * one type and length, VT_RUN_SIZE bytes each) and a trailer of
 * VT_TRL_SIZE bytes ending the file. Written with every end-of-data
 * header; any other write first cuts the file at the record it writes. */
#define VT_RUN_SIZE  24 /* u32 type, u32 0, u64 len, u64 count */
#define VT_TRL_SIZE  32 /* magic, u64 eod offset, u64 runs, u64 FNV-1a */
#define VT_TRL_MAGIC "VTINDEX2"
#define VT_IX_CHECKS 16 /* record headers compared with the index on load */

struct vt_hdr {
	uint32_t version;
	char barcode[VTAPE_BARCODE_MAX];
	uint64_t capacity, early_warning;
	struct vtape_model model;
	uint32_t protect;
	uint64_t wfail;
};

struct vt_rec {
	uint64_t off; /* of its record header */
	uint64_t len; /* data bytes; 0 for a filemark */
	uint64_t cum; /* data bytes recorded before it */
	int type;
	unsigned pad; /* bytes between its header and its data */
};

/* A segment of the index: count consecutive records of one type, length
 * and padding, each right after the other in the image (a stream of equal
 * records is one segment). */
struct vt_seg {
	uint64_t l0; /* lblock of its first record */
	uint64_t count;
	uint64_t off0; /* image offset of its first record header */
	uint64_t cum0; /* data bytes recorded before its first record */
	uint64_t len;
	unsigned pad;
	int type;
};

/* The records from BOT to end of data. */
struct vt_index {
	struct vt_seg *seg;
	uint64_t nseg, segcap;
	uint64_t n;   /* records and filemarks */
	uint64_t *fm; /* lblocks of the filemarks, ascending */
	uint64_t nfm, fmcap;
	uint64_t eod_off; /* where the end-of-data header is (or goes) */
	int clean;	  /* an explicit end-of-data header was found */
	int indexed;	  /* version 2: loaded from a current stored index */
};

/* One open image. Used by one thread at a time (tape.h): no lock. */
struct vtape {
	int fd;
	int offline; /* after tape_offline(): no medium */
	struct vt_hdr h;
	struct vt_index ix;
	uint64_t pos;	/* current lblock */
	uint64_t fsize; /* host file size */
	int eod_clean;	/* the end-of-data header is written, nothing after */
	const unsigned char *hmap; /* the header, mapped shared: faults */
	uint64_t flushed; /* image bytes before it were sent to the disk */
	int last_write;	  /* last operation wrote data: filemark on close */
	int ew_pending;	  /* past early warning: the next write gets ENOSPC */
	struct tape_counters cnt;
	double free_at; /* model: monotonic time the drive is done */
	int trace_fd;
};

/* ---- encoding ---- */

static void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static void putd(unsigned char *p, double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	put64(p, v);
}

static double getd(const unsigned char *p)
{
	uint64_t v = get64(p);
	double d;

	memcpy(&d, &v, 8);
	return d;
}

static void vt_model_encode(unsigned char *p, const struct vtape_model *m)
{
	putd(p, m->rate_mbps);
	putd(p + 8, m->load_s);
	putd(p + 16, m->unload_s);
	putd(p + 24, m->locate_base_s);
	putd(p + 32, m->locate_s_per_gb);
	putd(p + 40, m->time_scale);
}

static void vt_hdr_encode(unsigned char *b, const struct vt_hdr *h)
{
	memset(b, 0, VT_HDR_SIZE);
	memcpy(b, VT_MAGIC, 8);
	put32(b + OFF_VERSION, h->version);
	put32(b + OFF_HDRSIZE, VT_HDR_SIZE);
	put32(b + OFF_RHSIZE, VT_RH_SIZE);
	memcpy(b + OFF_BARCODE, h->barcode, VTAPE_BARCODE_MAX);
	put64(b + OFF_CAPACITY, h->capacity);
	put64(b + OFF_EW, h->early_warning);
	vt_model_encode(b + OFF_MODEL, &h->model);
	put32(b + OFF_PROTECT, h->protect);
	put64(b + OFF_WFAIL, h->wfail);
}

static int vt_model_valid(const struct vtape_model *m)
{
	const double *d[] = {&m->rate_mbps,	  &m->load_s,
			     &m->unload_s,	  &m->locate_base_s,
			     &m->locate_s_per_gb, &m->time_scale};

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (!isfinite(*d[i]) || *d[i] < 0)
			return 0;
	return 1;
}

/* Read and check the header: -EINVAL when fd is not a vtape image of a
 * version this code reads, -EIO when the read fails. */
static int vt_hdr_read(int fd, struct vt_hdr *h)
{
	unsigned char b[VT_HDR_SIZE];
	ssize_t n = pread(fd, b, sizeof(b), 0);
	const unsigned char *m = b + OFF_MODEL;

	if (n < 0)
		return -EIO;
	if (n < (ssize_t)sizeof(b) || memcmp(b, VT_MAGIC, 8) != 0)
		return -EINVAL;
	h->version = get32(b + OFF_VERSION);
	if (h->version < 1 || h->version > VT_VERSION ||
	    get32(b + OFF_HDRSIZE) != VT_HDR_SIZE ||
	    get32(b + OFF_RHSIZE) != VT_RH_SIZE)
		return -EINVAL;
	memcpy(h->barcode, b + OFF_BARCODE, VTAPE_BARCODE_MAX);
	if (memchr(h->barcode, 0, VTAPE_BARCODE_MAX) == NULL)
		return -EINVAL;
	h->capacity = get64(b + OFF_CAPACITY);
	h->early_warning = get64(b + OFF_EW);
	if (h->capacity == 0 || h->early_warning >= h->capacity)
		return -EINVAL;
	h->model.rate_mbps = getd(m);
	h->model.load_s = getd(m + 8);
	h->model.unload_s = getd(m + 16);
	h->model.locate_base_s = getd(m + 24);
	h->model.locate_s_per_gb = getd(m + 32);
	h->model.time_scale = getd(m + 40);
	if (!vt_model_valid(&h->model))
		return -EINVAL;
	h->protect = get32(b + OFF_PROTECT);
	h->wfail = get64(b + OFF_WFAIL);
	return 0;
}

static void vt_rh_encode(unsigned char *b, int type, int flags, unsigned pad,
			 uint64_t len)
{
	put32(b, VT_REC_MAGIC);
	b[4] = (unsigned char)type;
	b[5] = (unsigned char)flags;
	b[6] = (unsigned char)(pad & 0xff);
	b[7] = (unsigned char)(pad >> 8);
	put64(b + 8, len);
}

static unsigned vt_rh_pad(const unsigned char *b)
{
	return (unsigned)b[6] | (unsigned)b[7] << 8;
}

/* ---- the index ---- */

static void vt_index_free(struct vt_index *ix)
{
	free(ix->seg);
	free(ix->fm);
	memset(ix, 0, sizeof(*ix));
}

static uint64_t vt_seg_stride(const struct vt_seg *s)
{
	return VT_RH_SIZE + s->pad + s->len;
}

static uint64_t vt_used(const struct vt_index *ix)
{
	const struct vt_seg *s;

	if (ix->nseg == 0)
		return 0;
	s = &ix->seg[ix->nseg - 1];
	return s->cum0 + s->count * s->len;
}

/* The segment holding lblock l (l < n). */
static uint64_t vt_seg_find(const struct vt_index *ix, uint64_t l)
{
	uint64_t lo = 0, hi = ix->nseg - 1;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (ix->seg[mid].l0 <= l)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* The record at lblock l (l < n). */
static struct vt_rec vt_rec_at(const struct vt_index *ix, uint64_t l)
{
	const struct vt_seg *s = &ix->seg[vt_seg_find(ix, l)];
	uint64_t k = l - s->l0;

	return (struct vt_rec){.off = s->off0 + k * vt_seg_stride(s),
			       .len = s->len,
			       .cum = s->cum0 + k * s->len,
			       .type = s->type,
			       .pad = s->pad};
}

/* Data bytes recorded before lblock l (l <= n). */
static uint64_t vt_cum(const struct vt_index *ix, uint64_t l)
{
	return l < ix->n ? vt_rec_at(ix, l).cum : vt_used(ix);
}

/* How many filemarks have an lblock below l. */
static uint64_t vt_fm_below(const struct vt_index *ix, uint64_t l)
{
	uint64_t lo = 0, hi = ix->nfm;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ix->fm[mid] < l)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Append m records of one type, length and padding, the first at image
 * offset off, the others following each other. */
static int vt_index_push_n(struct vt_index *ix, uint64_t off, int type,
			   unsigned pad, uint64_t len, uint64_t m)
{
	struct vt_seg *s = ix->nseg ? &ix->seg[ix->nseg - 1] : NULL;

	if (type == VT_FILEMARK) {
		for (uint64_t i = 0; i < m; i++) {
			if (ix->nfm == ix->fmcap) {
				uint64_t cap = ix->fmcap ? ix->fmcap * 2 : 64;
				void *p =
				    realloc(ix->fm, cap * sizeof(*ix->fm));

				if (!p)
					return -ENOMEM;
				ix->fm = p;
				ix->fmcap = cap;
			}
			ix->fm[ix->nfm++] = ix->n + i;
		}
	}
	if (s && s->type == type && s->len == len && s->pad == pad &&
	    s->off0 + s->count * vt_seg_stride(s) == off) {
		s->count += m;
		ix->n += m;
		return 0;
	}
	if (ix->nseg == ix->segcap) {
		uint64_t cap = ix->segcap ? ix->segcap * 2 : 16;
		void *p = realloc(ix->seg, cap * sizeof(*ix->seg));

		if (!p)
			return -ENOMEM;
		ix->seg = p;
		ix->segcap = cap;
	}
	ix->seg[ix->nseg] = (struct vt_seg){.l0 = ix->n,
					    .count = m,
					    .off0 = off,
					    .cum0 = vt_used(ix),
					    .len = len,
					    .pad = pad,
					    .type = type};
	ix->nseg++;
	ix->n += m;
	return 0;
}

static int vt_index_push(struct vt_index *ix, uint64_t off, int type,
			 unsigned pad, uint64_t len)
{
	return vt_index_push_n(ix, off, type, pad, len, 1);
}

/* Forget everything from lblock l on (a write there truncates). */
static void vt_index_truncate(struct vt_index *ix, uint64_t l)
{
	uint64_t i;

	if (l >= ix->n)
		return;
	ix->eod_off = vt_rec_at(ix, l).off;
	i = vt_seg_find(ix, l);
	ix->seg[i].count = l - ix->seg[i].l0;
	ix->nseg = ix->seg[i].count ? i + 1 : i;
	ix->n = l;
	ix->nfm = vt_fm_below(ix, l);
}

/* Walk the record headers from the first to end of data. A header that is
 * damaged or a record cut short by the end of the file (a crash while
 * writing) ends the recorded data there, as end of data does. */
static int vt_index_build(struct vt_index *ix, int fd, uint64_t fsize)
{
	uint64_t off = VT_HDR_SIZE;
	unsigned char b[VT_RH_SIZE];
	int ret;

	memset(ix, 0, sizeof(*ix));
	for (;;) {
		uint64_t len;
		unsigned pad;
		int type;

		if (off + VT_RH_SIZE > fsize)
			break;
		if (pread(fd, b, VT_RH_SIZE, (off_t)off) != VT_RH_SIZE) {
			ret = -EIO;
			goto out_free;
		}
		if (get32(b) != VT_REC_MAGIC)
			break;
		type = b[4];
		pad = vt_rh_pad(b);
		len = get64(b + 8);
		if (type == VT_EOD) {
			ix->clean = 1;
			break;
		}
		if (type == VT_FILEMARK && len == 0 && pad == 0) {
			/* ok */
		} else if (type != VT_DATA || pad >= VT_ALIGN || len > fsize ||
			   off + VT_RH_SIZE + pad + len > fsize) {
			break;
		}
		ret = vt_index_push(ix, off, type, pad, len);
		if (ret < 0)
			goto out_free;
		off += VT_RH_SIZE + pad + len;
	}
	ix->eod_off = off;
	return 0;

out_free:
	vt_index_free(ix);
	return ret;
}

static uint64_t vt_fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Padding a writer puts after the header of a record at off. */
static unsigned vt_pad_at(uint64_t off, int type, uint64_t len)
{
	if (type != VT_DATA || len < VT_ALIGN_MIN)
		return 0;
	return (unsigned)((VT_ALIGN - (off + VT_RH_SIZE) % VT_ALIGN) %
			  VT_ALIGN);
}

/* The version 2 tail of an image whose end-of-data header is at
 * ix->eod_off: that header, the index runs and the trailer. Returns the
 * malloc'd bytes (caller frees) and their length in *len, or NULL. */
static unsigned char *vt_tail_encode(const struct vt_index *ix, size_t *len)
{
	uint64_t nruns = 0;
	unsigned char *b, *p;
	size_t n;

	for (uint64_t i = 0; i < ix->nseg; i++)
		if (i == 0 || ix->seg[i].type != ix->seg[i - 1].type ||
		    ix->seg[i].len != ix->seg[i - 1].len)
			nruns++;
	n = VT_RH_SIZE + (size_t)nruns * VT_RUN_SIZE + VT_TRL_SIZE;
	b = calloc(1, n);
	if (!b)
		return NULL;
	vt_rh_encode(b, VT_EOD, 0, 0, 0);
	p = b + VT_RH_SIZE;
	for (uint64_t i = 0; i < ix->nseg;) {
		uint64_t j = i + 1, c = ix->seg[i].count;

		while (j < ix->nseg && ix->seg[j].type == ix->seg[i].type &&
		       ix->seg[j].len == ix->seg[i].len)
			c += ix->seg[j++].count;
		put32(p, (uint32_t)ix->seg[i].type);
		put64(p + 8, ix->seg[i].len);
		put64(p + 16, c);
		p += VT_RUN_SIZE;
		i = j;
	}
	memcpy(p, VT_TRL_MAGIC, 8);
	put64(p + 8, ix->eod_off);
	put64(p + 16, nruns);
	put64(p + 24, vt_fnv(b + VT_RH_SIZE, (size_t)nruns * VT_RUN_SIZE));
	*len = n;
	return b;
}

/* The record header at off matches what the index says of r. */
static int vt_rh_check(int fd, const struct vt_rec *r)
{
	unsigned char b[VT_RH_SIZE];

	return pread(fd, b, VT_RH_SIZE, (off_t)r->off) == VT_RH_SIZE &&
	       get32(b) == VT_REC_MAGIC && b[4] == r->type &&
	       vt_rh_pad(b) == r->pad && get64(b + 8) == r->len;
}

/* Load the stored index of a version 2 image: 0, or -ESTALE when there is
 * none or it does not describe the records (then the caller walks). The
 * trailer must end the file, the runs match their checksum and add up to
 * its end-of-data offset, where an end-of-data header must be; the headers
 * of the first, the last and some records between must match. */
static int vt_index_load(struct vt_index *ix, int fd, uint64_t fsize)
{
	unsigned char trl[VT_TRL_SIZE], *runs = NULL;
	struct vt_rec eod = {.type = VT_EOD};
	uint64_t eod_off, nruns, total = 0, off = VT_HDR_SIZE;
	int ret = -ESTALE;

	memset(ix, 0, sizeof(*ix));
	if (fsize < VT_HDR_SIZE + VT_RH_SIZE + VT_TRL_SIZE ||
	    pread(fd, trl, VT_TRL_SIZE, (off_t)(fsize - VT_TRL_SIZE)) !=
		VT_TRL_SIZE ||
	    memcmp(trl, VT_TRL_MAGIC, 8) != 0)
		return -ESTALE;
	eod_off = get64(trl + 8);
	nruns = get64(trl + 16);
	if (eod_off < VT_HDR_SIZE || nruns > fsize / VT_RUN_SIZE ||
	    eod_off + VT_RH_SIZE + nruns * VT_RUN_SIZE + VT_TRL_SIZE != fsize)
		return -ESTALE;
	runs = malloc((size_t)nruns * VT_RUN_SIZE + 1);
	if (!runs)
		return -ENOMEM;
	if (pread(fd, runs, (size_t)nruns * VT_RUN_SIZE,
		  (off_t)(eod_off + VT_RH_SIZE)) !=
		(ssize_t)(nruns * VT_RUN_SIZE) ||
	    vt_fnv(runs, (size_t)nruns * VT_RUN_SIZE) != get64(trl + 24))
		goto out;
	for (uint64_t i = 0; i < nruns; i++) {
		uint64_t c = get64(runs + i * VT_RUN_SIZE + 16);

		if (c == 0 || c > fsize / VT_RH_SIZE - total)
			goto out;
		total += c;
	}
	for (uint64_t i = 0; i < nruns; i++) {
		const unsigned char *p = runs + i * VT_RUN_SIZE;
		int type = (int)get32(p);
		uint64_t len = get64(p + 8), c = get64(p + 16);

		if ((type != VT_DATA && type != VT_FILEMARK) ||
		    (type == VT_FILEMARK && len != 0) || len > fsize)
			goto out;
		for (uint64_t k = 0; k < c;) {
			unsigned pad = vt_pad_at(off, type, len);
			uint64_t stride = VT_RH_SIZE + pad + len, m = 1;

			/* unpadded, or padded to the same alignment each
			 * time: the rest of the run in one step */
			if (pad == 0 || stride % VT_ALIGN == 0)
				m = c - k;
			if (off > eod_off || (eod_off - off) / stride < m)
				goto out;
			ret = vt_index_push_n(ix, off, type, pad, len, m);
			if (ret < 0)
				goto out;
			ret = -ESTALE;
			off += m * stride;
			k += m;
		}
	}
	eod.off = eod_off;
	if (off != eod_off || !vt_rh_check(fd, &eod))
		goto out;
	for (uint64_t k = 0; k < VT_IX_CHECKS && k < ix->n; k++) {
		uint64_t l = ix->n <= VT_IX_CHECKS
				 ? k
				 : k * (ix->n - 1) / (VT_IX_CHECKS - 1);

		struct vt_rec r = vt_rec_at(ix, l);

		if (!vt_rh_check(fd, &r))
			goto out;
	}
	ix->eod_off = eod_off;
	ix->clean = 1;
	ix->indexed = 1;
	ret = 0;
out:
	free(runs);
	if (ret < 0)
		vt_index_free(ix);
	return ret;
}

/* The index of an image: stored (version 2, when current) or walked. */
static int vt_index_get(struct vt_index *ix, int fd, uint64_t fsize,
			uint32_t version)
{
	if (version >= 2) {
		int ret = vt_index_load(ix, fd, fsize);

		if (ret != -ESTALE)
			return ret;
	}
	return vt_index_build(ix, fd, fsize);
}

/* Open an image by path and read its header and index (no lock). */
static int vt_image_load(const char *path, int flags, int *fd_out,
			 struct vt_hdr *h, struct vt_index *ix)
{
	struct stat sb;
	int fd, ret;

	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		ret = -errno;
		goto out_close;
	}
	if (!S_ISREG(sb.st_mode)) {
		ret = -EINVAL;
		goto out_close;
	}
	ret = vt_hdr_read(fd, h);
	if (ret < 0)
		goto out_close;
	if (ix) {
		ret = vt_index_get(ix, fd, (uint64_t)sb.st_size, h->version);
		if (ret < 0)
			goto out_close;
	}
	*fd_out = fd;
	return 0;

out_close:
	close(fd);
	return ret;
}

/* ---- image functions of vtape.h ---- */

int vtape_create(const char *path, const char *barcode, uint64_t capacity,
		 uint64_t early_warning)
{
	unsigned char b[VT_HDR_SIZE], *tail;
	struct vt_index ix = {.eod_off = VT_HDR_SIZE};
	struct vt_hdr h;
	size_t tlen;
	int fd, ret = 0;

	if (!path || !barcode || !*barcode ||
	    strlen(barcode) >= VTAPE_BARCODE_MAX || capacity == 0)
		return -EINVAL;
	if (early_warning == 0)
		early_warning = capacity / 100;
	if (early_warning >= capacity)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	strcpy(h.barcode, barcode);
	h.capacity = capacity;
	h.early_warning = early_warning;
	h.wfail = VT_NO_WFAIL;
	h.version = VT_VERSION;
	vt_hdr_encode(b, &h);
	tail = vt_tail_encode(&ix, &tlen);
	if (!tail)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (pwrite(fd, b, sizeof(b), 0) != (ssize_t)sizeof(b) ||
	    pwrite(fd, tail, tlen, VT_HDR_SIZE) != (ssize_t)tlen ||
	    fsync(fd) < 0) {
		ret = -EIO;
		unlink(path);
	}
	close(fd);
out:
	free(tail);
	return ret;
}

int vtape_set_model(const char *path, const struct vtape_model *m)
{
	unsigned char b[48];
	struct vt_hdr h;
	int fd, ret;

	if (!m || !vt_model_valid(m))
		return -EINVAL;
	ret = vt_image_load(path, O_RDWR, &fd, &h, NULL);
	if (ret < 0)
		return ret;
	vt_model_encode(b, m);
	if (pwrite(fd, b, sizeof(b), OFF_MODEL) != (ssize_t)sizeof(b))
		ret = -EIO;
	close(fd);
	return ret;
}

int vtape_get_model(const char *path, struct vtape_model *m)
{
	struct vt_hdr h;
	int fd, ret;

	ret = vt_image_load(path, O_RDONLY, &fd, &h, NULL);
	if (ret < 0)
		return ret;
	*m = h.model;
	close(fd);
	return 0;
}

static int vt_put_field32(int fd, off_t off, uint32_t v)
{
	unsigned char b[4];

	put32(b, v);
	return pwrite(fd, b, 4, off) == 4 ? 0 : -EIO;
}

static int vt_put_field64(int fd, off_t off, uint64_t v)
{
	unsigned char b[8];

	put64(b, v);
	return pwrite(fd, b, 8, off) == 8 ? 0 : -EIO;
}

/* Version 2: the unreadable table of the header. tab holds VT_UNREAD_MAX
 * entries; returns their number or -EIO. */
static int vt_unread_read(int fd, uint64_t *tab)
{
	unsigned char b[VT_HDR_SIZE - OFF_NUNREAD];
	uint32_t n;

	if (pread(fd, b, sizeof(b), OFF_NUNREAD) != (ssize_t)sizeof(b))
		return -EIO;
	n = get32(b);
	if (n > VT_UNREAD_MAX)
		n = VT_UNREAD_MAX;
	for (uint32_t i = 0; i < n; i++)
		tab[i] = get64(b + (OFF_UNREAD - OFF_NUNREAD) + 8 * i);
	return (int)n;
}

static int vt_unread_write(int fd, const uint64_t *tab, uint32_t n)
{
	unsigned char b[VT_HDR_SIZE - OFF_NUNREAD];

	memset(b, 0, sizeof(b));
	put32(b, n);
	for (uint32_t i = 0; i < n; i++)
		put64(b + (OFF_UNREAD - OFF_NUNREAD) + 8 * i, tab[i]);
	return pwrite(fd, b, sizeof(b), OFF_NUNREAD) == (ssize_t)sizeof(b)
		   ? 0
		   : -EIO;
}

/* Version 2: mark lblock l unreadable. -ENOSPC when the table is full. */
static int vt_unread_add(int fd, uint64_t l)
{
	uint64_t tab[VT_UNREAD_MAX];
	int n = vt_unread_read(fd, tab);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (tab[i] == l)
			return 0;
	if (n == (int)VT_UNREAD_MAX)
		return -ENOSPC;
	tab[n++] = l;
	return vt_unread_write(fd, tab, (uint32_t)n);
}

/* Version 2: drop the entries at lblock `from` and after (those records
 * are being written over). */
static int vt_unread_cut(int fd, uint64_t from)
{
	uint64_t tab[VT_UNREAD_MAX];
	int n = vt_unread_read(fd, tab), k = 0;

	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++)
		if (tab[i] < from)
			tab[k++] = tab[i];
	return k == n ? 0 : vt_unread_write(fd, tab, (uint32_t)k);
}

/* Set or clear the unreadable flag in one record header (version 1). */
static int vt_rec_flag(int fd, const struct vt_rec *r, int set)
{
	unsigned char b[VT_RH_SIZE];

	if (pread(fd, b, VT_RH_SIZE, (off_t)r->off) != VT_RH_SIZE)
		return -EIO;
	if (set)
		b[5] |= VT_F_UNREADABLE;
	else
		b[5] &= (unsigned char)~VT_F_UNREADABLE;
	return pwrite(fd, b, VT_RH_SIZE, (off_t)r->off) == VT_RH_SIZE ? 0
								      : -EIO;
}

static int vt_flip(int fd, const struct vt_rec *r, uint64_t byte)
{
	off_t off = (off_t)(r->off + VT_RH_SIZE + r->pad + byte);
	unsigned char c;

	if (byte >= r->len)
		return -EINVAL;
	if (pread(fd, &c, 1, off) != 1)
		return -EIO;
	c ^= 0xff;
	return pwrite(fd, &c, 1, off) == 1 ? 0 : -EIO;
}

int vtape_inject(const char *path, enum vtape_fault f, uint64_t arg1,
		 uint64_t arg2)
{
	struct vt_hdr h;
	struct vt_index ix;
	struct vt_rec r;
	int fd, ret;

	ret = vt_image_load(path, O_RDWR, &fd, &h, &ix);
	if (ret < 0)
		return ret;
	switch (f) {
	case VTAPE_FAULT_UNREADABLE:
	case VTAPE_FAULT_FLIP:
		if (arg1 >= ix.n || vt_rec_at(&ix, arg1).type != VT_DATA) {
			ret = -EINVAL;
			break;
		}
		r = vt_rec_at(&ix, arg1);
		if (f == VTAPE_FAULT_UNREADABLE && h.version >= 2)
			ret = vt_unread_add(fd, arg1);
		else if (f == VTAPE_FAULT_UNREADABLE)
			ret = vt_rec_flag(fd, &r, 1);
		else
			ret = vt_flip(fd, &r, arg2);
		break;
	case VTAPE_FAULT_WRITE_FAIL:
		ret = vt_put_field64(fd, OFF_WFAIL,
				     arg1 == VT_NO_WFAIL ? arg1 - 1 : arg1);
		break;
	case VTAPE_FAULT_PROTECT:
		ret = vt_put_field32(fd, OFF_PROTECT, arg1 ? 1 : 0);
		break;
	case VTAPE_FAULT_CLEAR:
		ret = vt_put_field32(fd, OFF_PROTECT, 0);
		if (ret == 0)
			ret = vt_put_field64(fd, OFF_WFAIL, VT_NO_WFAIL);
		if (ret == 0 && h.version >= 2)
			ret = vt_unread_write(fd, NULL, 0);
		for (uint64_t i = 0; ret == 0 && h.version < 2 && i < ix.n;
		     i++) {
			unsigned char b[VT_RH_SIZE];

			r = vt_rec_at(&ix, i);
			if (r.type != VT_DATA)
				continue;
			if (pread(fd, b, VT_RH_SIZE, (off_t)r.off) !=
			    VT_RH_SIZE) {
				ret = -EIO;
				break;
			}
			if (b[5] & VT_F_UNREADABLE)
				ret = vt_rec_flag(fd, &r, 0);
		}
		break;
	default:
		ret = -EINVAL;
	}
	if (ret == 0 && fdatasync(fd) < 0)
		ret = -EIO;
	vt_index_free(&ix);
	close(fd);
	return ret;
}

int vtape_info(const char *path, struct vtape_info *out)
{
	struct vt_hdr h;
	struct vt_index ix;
	int fd, ret;

	ret = vt_image_load(path, O_RDONLY, &fd, &h, &ix);
	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	memcpy(out->barcode, h.barcode, sizeof(out->barcode));
	out->capacity = h.capacity;
	out->early_warning = h.early_warning;
	out->used = vt_used(&ix);
	out->filemarks = ix.nfm;
	out->records = ix.n - ix.nfm;
	out->protected = h.protect != 0;
	vt_index_free(&ix);
	close(fd);
	return 0;
}

int vtape_files(const char *path, struct vtape_file **out, uint64_t *n)
{
	struct vt_hdr h;
	struct vt_index ix;
	struct vtape_file *fl;
	uint64_t nf = 0, start = 0;
	int fd, ret;

	ret = vt_image_load(path, O_RDONLY, &fd, &h, &ix);
	if (ret < 0)
		return ret;
	fl = calloc(ix.nfm + 1, sizeof(*fl));
	if (!fl) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint64_t f = 0; f <= ix.nfm; f++) {
		uint64_t end = f < ix.nfm ? ix.fm[f] : ix.n;
		struct vtape_file *e = &fl[nf];

		if (f == ix.nfm && end == start)
			break; /* nothing after the last filemark */
		e->fileno = f;
		e->start_lblock = start;
		e->records = end - start;
		e->bytes = vt_cum(&ix, end) - vt_cum(&ix, start);
		e->has_filemark = f < ix.nfm;
		nf++;
		start = end + 1;
	}
	*out = fl;
	*n = nf;
out:
	vt_index_free(&ix);
	close(fd);
	return ret;
}

int vtape_head_get(const char *path, uint64_t *lblock, uint64_t *token)
{
	unsigned char b[16];
	struct vt_hdr h;
	int fd, ret;

	ret = vt_image_load(path, O_RDONLY, &fd, &h, NULL);
	if (ret < 0)
		return ret;
	if (pread(fd, b, sizeof(b), OFF_HEAD) != (ssize_t)sizeof(b))
		ret = -EIO;
	close(fd);
	if (ret == 0) {
		*lblock = get64(b);
		*token = get64(b + 8);
	}
	return ret;
}

int vtape_head_set(const char *path, uint64_t lblock, uint64_t token)
{
	unsigned char b[16];
	struct vt_hdr h;
	int fd, ret;

	ret = vt_image_load(path, O_RDWR, &fd, &h, NULL);
	if (ret < 0)
		return ret;
	put64(b, lblock);
	put64(b + 8, token);
	if (pwrite(fd, b, sizeof(b), OFF_HEAD) != (ssize_t)sizeof(b))
		ret = -EIO;
	close(fd);
	return ret;
}

/* ---- trace and speed model ---- */

__attribute__((format(printf, 2, 3))) static void vt_trace(struct vtape *v,
							   const char *fmt, ...)
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

static double vt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define VT_IDLE_GAP 0.02 /* seconds */

/* Charge s modelled seconds: the drive is busy s * time_scale longer. */
static void vt_charge(struct vtape *v, double s)
{
	double now;

	if (s <= 0)
		return;
	v->cnt.model_seconds += s;
	if (v->h.model.time_scale <= 0)
		return;
	now = vt_now();
	/* A sleep that overran is made up by the next ones; only a real gap
	 * (the caller kept the drive waiting) lets the drive idle. */
	if (v->free_at < now - VT_IDLE_GAP)
		v->free_at = now;
	v->free_at += s * v->h.model.time_scale;
}

/* Sleep until the drive has done what was charged. */
static void vt_sleep_until(struct vtape *v, double slack)
{
	double left;
	struct timespec ts;

	if (v->h.model.time_scale <= 0)
		return;
	left = v->free_at - slack - vt_now();
	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* Sleep until the drive has done everything charged. */
static void vt_wait(struct vtape *v)
{
	vt_sleep_until(v, 0);
}

/* A write returns once its record is in the drive's buffer
 * (VT_MODEL_BUFFER bytes): the drive streams it while the writer prepares
 * the next one. Filemarks, positioning and close wait for all of it. */
#define VT_MODEL_BUFFER (64.0 * 1024 * 1024)
static void vt_wait_buffered(struct vtape *v)
{
	if (v->h.model.rate_mbps <= 0) {
		vt_wait(v);
		return;
	}
	vt_sleep_until(v, VT_MODEL_BUFFER / (v->h.model.rate_mbps * 1e6) *
			      v->h.model.time_scale);
}

static double vt_xfer_s(const struct vtape *v, uint64_t bytes)
{
	if (v->h.model.rate_mbps <= 0)
		return 0;
	return (double)bytes / (v->h.model.rate_mbps * 1e6);
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
	vt_charge(v, v->h.model.locate_base_s +
			 (double)(a > b ? a - b : b - a) / 1e9 *
			     v->h.model.locate_s_per_gb);
	vt_wait(v);
	v->pos = to;
}

/* ---- writing ---- */

/* Protect flag and write-fail budget, re-read so that an injection made
 * while the image is open takes effect at once. */
static int vt_faults_read(struct vtape *v)
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

/* End the image at end of data: the end-of-data header at eod_off (with,
 * in version 2, the stored index after it) and nothing after. Streaming
 * data records leave the file ending right after the last record (which
 * an index walk reads as end of data too); filemarks and close write the
 * explicit marker. */
static int vt_eod_write(struct vtape *v)
{
	unsigned char eod[VT_RH_SIZE], *tail = NULL;
	const unsigned char *b = eod;
	size_t n = VT_RH_SIZE;
	uint64_t end;
	int ret = 0;

	if (v->h.version >= 2) {
		tail = vt_tail_encode(&v->ix, &n);
		if (!tail)
			return -ENOMEM;
		b = tail;
	} else {
		vt_rh_encode(eod, VT_EOD, 0, 0, 0);
	}
	end = v->ix.eod_off + n;
	if (pwrite(v->fd, b, n, (off_t)v->ix.eod_off) != (ssize_t)n ||
	    (v->fsize > end && ftruncate(v->fd, (off_t)end) < 0)) {
		ret = -EIO;
		goto out;
	}
	v->fsize = end;
	v->eod_clean = 1;
out:
	free(tail);
	return ret;
}

/* Record `count` records of `type` (data: one record of len bytes from
 * buf) at the current position: everything after is gone. The file is cut
 * there first, so that no end of data (nor stored index) of before
 * outlives the write. Filemarks are followed by the end-of-data header
 * (and the index) in the same write. */
static int vt_record(struct vtape *v, int type, const void *buf, uint64_t len,
		     unsigned count)
{
	static const unsigned char zeros[VT_ALIGN];
	unsigned char rh[VT_RH_SIZE], *marks = NULL, *tail = NULL;
	struct iovec iov[3];
	uint64_t off, end, file_end, pos = v->pos;
	unsigned pad = 0;
	size_t tlen = 0;
	ssize_t got;
	int n = 0, ret = 0;

	vt_index_truncate(&v->ix, pos);
	off = v->ix.eod_off;
	end = file_end = off;
	v->eod_clean = 0;
	if (v->fsize > off) {
		if (ftruncate(v->fd, (off_t)off) < 0)
			return -EIO;
		v->fsize = off;
	}
	if (v->h.version >= 2 && (!v->hmap || get32(v->hmap + OFF_NUNREAD)) &&
	    vt_unread_cut(v->fd, pos) < 0)
		return -EIO;
	if (type == VT_DATA) {
		pad = vt_pad_at(off, VT_DATA, len);
		vt_rh_encode(rh, VT_DATA, 0, pad, len);
		iov[n++] = (struct iovec){rh, VT_RH_SIZE};
		if (pad)
			iov[n++] = (struct iovec){(void *)zeros, pad};
		iov[n++] = (struct iovec){(void *)buf, len};
		end = file_end = off + VT_RH_SIZE + pad + len;
	} else {
		marks = malloc((size_t)count * VT_RH_SIZE);
		if (!marks)
			return -ENOMEM;
		end = off + (uint64_t)count * VT_RH_SIZE;
		for (unsigned i = 0; i < count; i++) {
			vt_rh_encode(marks + (size_t)i * VT_RH_SIZE,
				     VT_FILEMARK, 0, 0, 0);
			ret = vt_index_push(&v->ix,
					    off + (uint64_t)i * VT_RH_SIZE,
					    VT_FILEMARK, 0, 0);
			if (ret < 0)
				goto out_fail;
		}
		v->ix.eod_off = end;
		if (v->h.version >= 2) {
			tail = vt_tail_encode(&v->ix, &tlen);
			if (!tail) {
				ret = -ENOMEM;
				goto out_fail;
			}
		} else {
			tail = malloc(VT_RH_SIZE);
			if (!tail) {
				ret = -ENOMEM;
				goto out_fail;
			}
			vt_rh_encode(tail, VT_EOD, 0, 0, 0);
			tlen = VT_RH_SIZE;
		}
		iov[n++] = (struct iovec){marks, (size_t)count * VT_RH_SIZE};
		iov[n++] = (struct iovec){tail, tlen};
		file_end = end + tlen;
	}
	got = pwritev(v->fd, iov, n, (off_t)off);
	if (got != (ssize_t)(file_end - off)) {
		ret = -EIO;
		goto out_fail;
	}
	if (type == VT_DATA) {
		ret = vt_index_push(&v->ix, off, VT_DATA, pad, len);
		if (ret < 0)
			goto out_fail;
	}
	v->ix.eod_off = end;
	v->pos = v->ix.n;
	v->fsize = file_end;
	v->eod_clean = type != VT_DATA;
	goto out;

out_fail:
	/* a host failure: end of data where this record began */
	vt_index_truncate(&v->ix, pos);
	v->ix.eod_off = off;
	v->fsize = v->fsize > file_end ? v->fsize : file_end;
	vt_eod_write(v);
	ret = ret < 0 ? ret : -EIO;
out:
	free(marks);
	free(tail);
	return ret;
}

static int vt_writable(struct vtape *v)
{
	int ret;

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

static ssize_t vt_write(struct tape *t, const void *buf, size_t len)
{
	struct vtape *v = t->priv;
	uint64_t before, after;
	int ret;

	if (t->mode != TAPE_RDWR)
		return -EBADF;
	ret = vt_writable(v);
	if (ret < 0)
		return ret;
	if (len == 0)
		return 0;
	v->last_write = 1;
	before = vt_cum(&v->ix, v->pos);
	after = before + len;
	if (after > v->h.capacity) {
		vt_trace(v, "write %llu %zu enospc-eom",
			 (unsigned long long)v->pos, len);
		return -ENOSPC;
	}
	if (v->ew_pending) {
		v->ew_pending = 0;
		vt_trace(v, "write %llu %zu enospc-ew",
			 (unsigned long long)v->pos, len);
		return -ENOSPC;
	}
	if (v->h.wfail != VT_NO_WFAIL) {
		uint64_t left = len > v->h.wfail ? 0 : v->h.wfail - len;

		if (vt_put_field64(v->fd, OFF_WFAIL, left) < 0)
			return -EIO;
		if (len > v->h.wfail) {
			vt_trace(v, "write %llu %zu eio",
				 (unsigned long long)v->pos, len);
			return -EIO;
		}
	}
	vt_trace(v, "write %llu %zu", (unsigned long long)v->pos, len);
	vt_charge(v, vt_xfer_s(v, len));
	ret = vt_record(v, VT_DATA, buf, len, 1);
	vt_writeback(v);
	vt_wait_buffered(v);
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
static int vt_weof_n(struct vtape *v, unsigned count)
{
	int ret;

	v->last_write = 0;
	v->ew_pending = 0;
	vt_trace(v, "weof %u %llu", count, (unsigned long long)v->pos);
	if (count == 0) { /* st: flush the buffer */
		ret = fdatasync(v->fd) < 0 ? -EIO : 0;
		vt_wait(v);
		return ret;
	}
	ret = vt_record(v, VT_FILEMARK, NULL, 0, count);
	if (ret == 0 && fdatasync(v->fd) < 0)
		ret = -EIO;
	vt_wait(v); /* the buffer is on tape before the mark returns */
	return ret;
}

static int vt_weof(struct tape *t, unsigned count)
{
	struct vtape *v = t->priv;
	int ret;

	if (t->mode != TAPE_RDWR)
		return -EBADF;
	ret = vt_writable(v);
	if (ret < 0)
		return ret;
	return vt_weof_n(v, count);
}

/* st: "If rewind, offline, bsf, or seek is done and previous tape
 * operation was write, a filemark is written before moving tape." */
static int vt_fm_before_move(struct vtape *v)
{
	if (!v->last_write)
		return 0;
	return vt_weof_n(v, 1);
}

/* ---- reading and positioning ---- */

/* Whether the data record at lblock l is unreadable (an injected fault):
 * 1, 0 or -EIO. Version 2 keeps the table in the header, read through the
 * shared mapping; version 1 keeps a flag in the record header, which must
 * then match the index. */
static int vt_unreadable(struct vtape *v, uint64_t l)
{
	struct vt_rec rec = vt_rec_at(&v->ix, l);
	const struct vt_rec *r = &rec;
	unsigned char rh[VT_RH_SIZE];

	if (v->h.version >= 2 && v->hmap) {
		uint32_t n = get32(v->hmap + OFF_NUNREAD);

		if (n > VT_UNREAD_MAX)
			n = VT_UNREAD_MAX;
		for (uint32_t i = 0; i < n; i++)
			if (get64(v->hmap + OFF_UNREAD + 8 * i) == l)
				return 1;
		return 0;
	}
	if (v->h.version >= 2) {
		uint64_t tab[VT_UNREAD_MAX];
		int n = vt_unread_read(v->fd, tab);

		for (int i = 0; i < n; i++)
			if (tab[i] == l)
				return 1;
		return n < 0 ? n : 0;
	}
	if (pread(v->fd, rh, VT_RH_SIZE, (off_t)r->off) != VT_RH_SIZE ||
	    get32(rh) != VT_REC_MAGIC || rh[4] != VT_DATA ||
	    vt_rh_pad(rh) != r->pad || get64(rh + 8) != r->len)
		return -EIO;
	return (rh[5] & VT_F_UNREADABLE) != 0;
}

static ssize_t vt_read(struct tape *t, void *buf, size_t len)
{
	struct vtape *v = t->priv;
	struct vt_rec rec;
	const struct vt_rec *r = &rec;
	ssize_t got = -1;
	int bad;

	if (v->offline)
		return -ENOMEDIUM;
	v->last_write = 0;
	v->ew_pending = 0;
	if (v->pos >= v->ix.n) {
		vt_trace(v, "read %llu eod", (unsigned long long)v->pos);
		return -EIO;
	}
	rec = vt_rec_at(&v->ix, v->pos);
	if (r->type == VT_FILEMARK) {
		vt_trace(v, "read %llu filemark", (unsigned long long)v->pos);
		v->pos++;
		return 0;
	}
	if (r->len > len) {
		vt_trace(v, "read %llu %llu enomem", (unsigned long long)v->pos,
			 (unsigned long long)r->len);
		v->pos++;
		return -ENOMEM;
	}
	vt_trace(v, "read %llu %llu", (unsigned long long)v->pos,
		 (unsigned long long)r->len);
	vt_charge(v, vt_xfer_s(v, r->len));
	bad = vt_unreadable(v, v->pos);
	if (bad == 0) /* the data alone, straight into the caller's buffer */
		got = pread(v->fd, buf, r->len,
			    (off_t)(r->off + VT_RH_SIZE + r->pad));
	vt_wait(v);
	v->pos++;
	if (got != (ssize_t)r->len)
		return -EIO;
	v->cnt.records_read++;
	v->cnt.bytes_read += r->len;
	return (ssize_t)r->len;
}

static int vt_fsf(struct tape *t, unsigned count)
{
	struct vtape *v = t->priv;
	uint64_t i;

	if (v->offline)
		return -ENOMEDIUM;
	v->last_write = 0;
	vt_trace(v, "fsf %u %llu", count, (unsigned long long)v->pos);
	if (count == 0)
		return 0;
	i = vt_fm_below(&v->ix, v->pos) + count - 1;
	if (i >= v->ix.nfm) {
		vt_move(v, v->ix.n);
		return -EIO;
	}
	vt_move(v, v->ix.fm[i] + 1);
	return 0;
}

static int vt_bsf(struct tape *t, unsigned count)
{
	struct vtape *v = t->priv;
	uint64_t below;
	int ret;

	if (v->offline)
		return -ENOMEDIUM;
	ret = vt_fm_before_move(v);
	if (ret < 0)
		return ret;
	vt_trace(v, "bsf %u %llu", count, (unsigned long long)v->pos);
	if (count == 0)
		return 0;
	below = vt_fm_below(&v->ix, v->pos);
	if (below < count) {
		vt_move(v, 0);
		return -EIO;
	}
	vt_move(v, v->ix.fm[below - count]);
	return 0;
}

static int vt_fsr(struct tape *t, unsigned count)
{
	struct vtape *v = t->priv;
	uint64_t i, end;

	if (v->offline)
		return -ENOMEDIUM;
	v->last_write = 0;
	vt_trace(v, "fsr %u %llu", count, (unsigned long long)v->pos);
	end = v->pos + count;
	i = vt_fm_below(&v->ix, v->pos);
	if (i < v->ix.nfm && v->ix.fm[i] < end) {
		vt_move(v, v->ix.fm[i] + 1); /* stopped after the filemark */
		return -EIO;
	}
	if (end > v->ix.n) {
		vt_move(v, v->ix.n);
		return -EIO;
	}
	vt_move(v, end);
	return 0;
}

static int vt_bsr(struct tape *t, unsigned count)
{
	struct vtape *v = t->priv;
	uint64_t below;

	if (v->offline)
		return -ENOMEDIUM;
	v->last_write = 0;
	vt_trace(v, "bsr %u %llu", count, (unsigned long long)v->pos);
	below = vt_fm_below(&v->ix, v->pos);
	if (below > 0 && v->ix.fm[below - 1] + count >= v->pos) {
		vt_move(v, v->ix.fm[below - 1]); /* BOT side of the mark */
		return -EIO;
	}
	if (count > v->pos) {
		vt_move(v, 0);
		return -EIO;
	}
	vt_move(v, v->pos - count);
	return 0;
}

static int vt_locate(struct tape *t, uint64_t lblock)
{
	struct vtape *v = t->priv;
	uint64_t from = v->pos;
	int ret;

	if (v->offline)
		return -ENOMEDIUM;
	ret = vt_fm_before_move(v);
	if (ret < 0)
		return ret;
	from = v->pos;
	if (lblock > v->ix.n) {
		vt_move(v, v->ix.n);
		vt_trace(v, "locate %llu -> %llu eod", (unsigned long long)from,
			 (unsigned long long)lblock);
		return -EIO;
	}
	vt_trace(v, "locate %llu -> %llu", (unsigned long long)from,
		 (unsigned long long)lblock);
	vt_move(v, lblock);
	return 0;
}

static int vt_rewind(struct tape *t)
{
	struct vtape *v = t->priv;
	int ret;

	if (v->offline)
		return -ENOMEDIUM;
	ret = vt_fm_before_move(v);
	if (ret < 0)
		return ret;
	vt_trace(v, "rewind %llu", (unsigned long long)v->pos);
	vt_move(v, 0);
	return 0;
}

static int vt_eom(struct tape *t)
{
	struct vtape *v = t->priv;

	if (v->offline)
		return -ENOMEDIUM;
	v->last_write = 0;
	vt_trace(v, "eom %llu", (unsigned long long)v->pos);
	vt_move(v, v->ix.n);
	return 0;
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
	st->eof = pos > 0 && vt_fm_below(&v->ix, pos) > 0 &&
		  v->ix.fm[vt_fm_below(&v->ix, pos) - 1] == pos - 1;
	st->eod = pos == v->ix.n;
	st->eot = vt_cum(&v->ix, pos) >= v->h.capacity - v->h.early_warning;
	st->file = (long)below;
	st->block = (long)(below ? pos - v->ix.fm[below - 1] - 1 : pos);
	st->lblock = pos;
	st->capacity = v->h.capacity;
	st->used = vt_used(&v->ix);
	return 0;
}

static int vt_counters(struct tape *t, struct tape_counters *c)
{
	struct vtape *v = t->priv;

	*c = v->cnt;
	return 0;
}

static int vt_offline(struct tape *t)
{
	struct vtape *v = t->priv;
	int ret;

	if (v->offline)
		return -ENOMEDIUM;
	ret = vt_fm_before_move(v);
	if (ret < 0)
		return ret;
	vt_trace(v, "offline %llu", (unsigned long long)v->pos);
	vt_move(v, 0);
	vt_charge(v, v->h.model.unload_s);
	vt_wait(v);
	v->offline = 1;
	return 0;
}

/* ---- open and close ---- */

static int vt_open(struct tape *t, const char *dev, int mode)
{
	struct vtape *v;
	struct stat sb;
	const char *trace;
	int ret;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->trace_fd = -1;
	v->fd = open(dev, (mode == TAPE_RDWR ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (v->fd < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENOTDIR)
			ret = -ENOMEDIUM;
		else if (mode == TAPE_RDWR && (ret == -EACCES || ret == -EROFS))
			ret = -EROFS; /* a read-only image: write-protected */
		goto out_free;
	}
	if (flock(v->fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out_close;
	}
	if (fstat(v->fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		ret = -EIO;
		goto out_close;
	}
	v->fsize = (uint64_t)sb.st_size;
	ret = vt_hdr_read(v->fd, &v->h);
	if (ret < 0) {
		ret = -EIO; /* not a readable vtape: a damaged cartridge */
		goto out_close;
	}
	if (mode == TAPE_RDWR && v->h.protect) {
		ret = -EROFS;
		goto out_close;
	}
	ret = vt_index_get(&v->ix, v->fd, v->fsize, v->h.version);
	if (ret < 0)
		goto out_close;
	if (v->h.version >= 2)
		v->eod_clean = v->ix.indexed;
	else
		v->eod_clean =
		    v->ix.clean && v->fsize == v->ix.eod_off + VT_RH_SIZE;
	v->flushed = v->ix.eod_off;
	v->hmap = mmap(NULL, VT_HDR_SIZE, PROT_READ, MAP_SHARED, v->fd, 0);
	if (v->hmap == MAP_FAILED)
		v->hmap = NULL; /* then faults are read with pread */
	trace = getenv("TAPEFS_VTAPE_TRACE");
	if (trace && *trace)
		v->trace_fd = open(
		    trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	t->priv = v;
	vt_trace(v, "open %s %llu", mode == TAPE_RDWR ? "rw" : "ro",
		 (unsigned long long)v->ix.n);
	vt_charge(v, v->h.model.load_s);
	vt_wait(v);
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
	vt_wait(v);
	vt_trace(v, "close %llu", (unsigned long long)v->pos);
	if (v->trace_fd >= 0)
		close(v->trace_fd);
	if (v->hmap)
		munmap((void *)v->hmap, VT_HDR_SIZE);
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
    .counters = vt_counters,
    .offline = vt_offline,
};
