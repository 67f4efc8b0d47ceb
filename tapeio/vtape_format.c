/* tapeio/vtape_format.c - the on-disk encoding of a vtape image
 * (docs/vtape.md): the header and its fields, record headers, the
 * unreadable table of version 2, the stored index after end of data
 * (written and loaded), and the walk of the record headers that rebuilds
 * the index when no stored one is current (version 1, or after a crash).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/vtape_int.h"

/* ---- the header ---- */

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

void vt_model_encode(unsigned char *p, const struct vtape_model *m)
{
	putd(p, m->rate_mbps);
	putd(p + 8, m->load_s);
	putd(p + 16, m->unload_s);
	putd(p + 24, m->locate_base_s);
	putd(p + 32, m->locate_s_per_gb);
	putd(p + 40, m->time_scale);
}

static void vt_model_decode(struct vtape_model *m, const unsigned char *p)
{
	m->rate_mbps = getd(p);
	m->load_s = getd(p + 8);
	m->unload_s = getd(p + 16);
	m->locate_base_s = getd(p + 24);
	m->locate_s_per_gb = getd(p + 32);
	m->time_scale = getd(p + 40);
}

int vt_model_valid(const struct vtape_model *m)
{
	const double *d[] = {&m->rate_mbps,	  &m->load_s,
			     &m->unload_s,	  &m->locate_base_s,
			     &m->locate_s_per_gb, &m->time_scale};

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (!isfinite(*d[i]) || *d[i] < 0)
			return 0;
	return 1;
}

void vt_hdr_encode(unsigned char *b, const struct vt_hdr *h)
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

int vt_hdr_read(int fd, struct vt_hdr *h)
{
	unsigned char b[VT_HDR_SIZE];
	ssize_t n = pread(fd, b, sizeof(b), 0);

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
	vt_model_decode(&h->model, b + OFF_MODEL);
	if (!vt_model_valid(&h->model))
		return -EINVAL;
	h->protect = get32(b + OFF_PROTECT);
	h->wfail = get64(b + OFF_WFAIL);
	return 0;
}

int vt_field32_put(int fd, off_t off, uint32_t v)
{
	unsigned char b[4];

	put32(b, v);
	return pwrite(fd, b, 4, off) == 4 ? 0 : -EIO;
}

int vt_field64_put(int fd, off_t off, uint64_t v)
{
	unsigned char b[8];

	put64(b, v);
	return pwrite(fd, b, 8, off) == 8 ? 0 : -EIO;
}

/* ---- the unreadable table (version 2) ---- */

#define VT_UNREAD_BYTES (VT_HDR_SIZE - OFF_NUNREAD)

static uint32_t vt_unread_n(const unsigned char *b)
{
	uint32_t n = get32(b);

	return n > VT_UNREAD_MAX ? VT_UNREAD_MAX : n;
}

int vt_unread_has(const unsigned char *b, uint64_t l)
{
	uint32_t n = vt_unread_n(b);

	for (uint32_t i = 0; i < n; i++)
		if (get64(b + (OFF_UNREAD - OFF_NUNREAD) + 8 * i) == l)
			return 1;
	return 0;
}

int vt_unread_read(int fd, uint64_t *tab)
{
	unsigned char b[VT_UNREAD_BYTES];
	uint32_t n;

	if (pread(fd, b, sizeof(b), OFF_NUNREAD) != (ssize_t)sizeof(b))
		return -EIO;
	n = vt_unread_n(b);
	for (uint32_t i = 0; i < n; i++)
		tab[i] = get64(b + (OFF_UNREAD - OFF_NUNREAD) + 8 * i);
	return (int)n;
}

int vt_unread_write(int fd, const uint64_t *tab, uint32_t n)
{
	unsigned char b[VT_UNREAD_BYTES];

	memset(b, 0, sizeof(b));
	put32(b, n);
	for (uint32_t i = 0; i < n; i++)
		put64(b + (OFF_UNREAD - OFF_NUNREAD) + 8 * i, tab[i]);
	return pwrite(fd, b, sizeof(b), OFF_NUNREAD) == (ssize_t)sizeof(b)
		   ? 0
		   : -EIO;
}

int vt_unread_add(int fd, uint64_t l)
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

int vt_unread_cut(int fd, uint64_t from)
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

/* ---- record headers ---- */

void vt_rh_encode(unsigned char *b, int type, int flags, unsigned pad,
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

int vt_rh_read(int fd, const struct vt_rec *r, unsigned char *b)
{
	if (pread(fd, b, VT_RH_SIZE, (off_t)r->off) != VT_RH_SIZE ||
	    get32(b) != VT_REC_MAGIC || b[4] != r->type ||
	    vt_rh_pad(b) != r->pad || get64(b + 8) != r->len)
		return -EIO;
	return 0;
}

int vt_rh_flag(int fd, const struct vt_rec *r, int set)
{
	unsigned char b[VT_RH_SIZE], was;

	if (vt_rh_read(fd, r, b) < 0)
		return -EIO;
	was = b[5];
	if (set)
		b[5] |= VT_F_UNREADABLE;
	else
		b[5] &= (unsigned char)~VT_F_UNREADABLE;
	if (b[5] == was)
		return 0;
	return pwrite(fd, b, VT_RH_SIZE, (off_t)r->off) == VT_RH_SIZE ? 0
								      : -EIO;
}

unsigned vt_pad_at(uint64_t off, int type, uint64_t len)
{
	if (type != VT_DATA || len < VT_ALIGN_MIN)
		return 0;
	return (unsigned)((VT_ALIGN - (off + VT_RH_SIZE) % VT_ALIGN) %
			  VT_ALIGN);
}

/* ---- the walk ---- */

/* Walk the record headers from the first to end of data. A header that is
 * damaged or a record cut short by the end of the file (a crash while
 * writing) ends the recorded data there, as end of data does. */
static int vt_index_build(struct vt_index *ix, int fd, uint64_t fsize)
{
	uint64_t off = VT_HDR_SIZE, len;
	unsigned char b[VT_RH_SIZE];
	unsigned pad;
	int type, ret;

	memset(ix, 0, sizeof(*ix));
	while (off + VT_RH_SIZE <= fsize) {
		if (pread(fd, b, VT_RH_SIZE, (off_t)off) != VT_RH_SIZE) {
			vt_index_free(ix);
			return -EIO;
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
		if (!(type == VT_FILEMARK && len == 0 && pad == 0) &&
		    (type != VT_DATA || pad >= VT_ALIGN || len > fsize ||
		     off + VT_RH_SIZE + pad + len > fsize))
			break;
		ret = vt_index_push(ix, off, type, pad, len);
		if (ret < 0) {
			vt_index_free(ix);
			return ret;
		}
		off += VT_RH_SIZE + pad + len;
	}
	ix->eod_off = off;
	return 0;
}

/* ---- the stored index (version 2) ---- */

static uint64_t vt_fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Segments i and j belong to one run: same type and length. */
static int vt_same_run(const struct vt_index *ix, uint64_t i, uint64_t j)
{
	return ix->seg[i].type == ix->seg[j].type &&
	       ix->seg[i].len == ix->seg[j].len;
}

/* The runs of ix at p (NULL: only count them); returns their number. */
static uint64_t vt_runs_encode(const struct vt_index *ix, unsigned char *p)
{
	uint64_t nruns = 0;

	for (uint64_t i = 0; i < ix->nseg; nruns++) {
		uint64_t j = i + 1, c = ix->seg[i].count;

		while (j < ix->nseg && vt_same_run(ix, i, j))
			c += ix->seg[j++].count;
		if (p) {
			put32(p, (uint32_t)ix->seg[i].type);
			put64(p + 8, ix->seg[i].len);
			put64(p + 16, c);
			p += VT_RUN_SIZE;
		}
		i = j;
	}
	return nruns;
}

unsigned char *vt_tail_encode(const struct vt_index *ix, uint32_t version,
			      size_t *len)
{
	uint64_t nruns = version >= 2 ? vt_runs_encode(ix, NULL) : 0;
	size_t rbytes = (size_t)nruns * VT_RUN_SIZE;
	size_t n = VT_RH_SIZE + (version >= 2 ? rbytes + VT_TRL_SIZE : 0);
	unsigned char *b = calloc(1, n), *p;

	if (!b)
		return NULL;
	vt_rh_encode(b, VT_EOD, 0, 0, 0);
	*len = n;
	if (version < 2)
		return b;
	vt_runs_encode(ix, b + VT_RH_SIZE);
	p = b + VT_RH_SIZE + rbytes;
	memcpy(p, VT_TRL_MAGIC, 8);
	put64(p + 8, ix->eod_off);
	put64(p + 16, nruns);
	put64(p + 24, vt_fnv(b + VT_RH_SIZE, rbytes));
	return b;
}

/* The runs of the stored index of an image of fsize bytes, malloc'd into
 * *runs (caller frees), their number in *nruns, the end-of-data offset
 * the trailer gives in *eod_off: 0, or -ESTALE when the trailer does not
 * end the file, the sizes do not add up or the checksum differs. */
static int vt_runs_read(int fd, uint64_t fsize, unsigned char **runs,
			uint64_t *nruns, uint64_t *eod_off)
{
	unsigned char trl[VT_TRL_SIZE];
	uint64_t n, eod;
	size_t bytes;

	if (fsize < VT_HDR_SIZE + VT_RH_SIZE + VT_TRL_SIZE ||
	    pread(fd, trl, VT_TRL_SIZE, (off_t)(fsize - VT_TRL_SIZE)) !=
		VT_TRL_SIZE ||
	    memcmp(trl, VT_TRL_MAGIC, 8) != 0)
		return -ESTALE;
	eod = get64(trl + 8);
	n = get64(trl + 16);
	if (eod < VT_HDR_SIZE || n > fsize / VT_RUN_SIZE ||
	    eod + VT_RH_SIZE + n * VT_RUN_SIZE + VT_TRL_SIZE != fsize)
		return -ESTALE;
	bytes = (size_t)n * VT_RUN_SIZE;
	*runs = malloc(bytes + 1);
	if (!*runs)
		return -ENOMEM;
	if (pread(fd, *runs, bytes, (off_t)(eod + VT_RH_SIZE)) !=
		(ssize_t)bytes ||
	    vt_fnv(*runs, bytes) != get64(trl + 24)) {
		free(*runs);
		return -ESTALE;
	}
	*nruns = n;
	*eod_off = eod;
	return 0;
}

/* Push one run of c records of type and len, from image offset *off on
 * (advanced past them), none past eod_off: 0, -ESTALE, -ENOMEM. */
static int vt_run_push(struct vt_index *ix, uint64_t *off, uint64_t eod_off,
		       int type, uint64_t len, uint64_t c)
{
	for (uint64_t k = 0; k < c;) {
		unsigned pad = vt_pad_at(*off, type, len);
		uint64_t stride = VT_RH_SIZE + pad + len, m = 1;
		int ret;

		/* unpadded, or padded to the same alignment each time: the
		 * rest of the run in one step */
		if (pad == 0 || stride % VT_ALIGN == 0)
			m = c - k;
		if (*off > eod_off || (eod_off - *off) / stride < m)
			return -ESTALE;
		ret = vt_index_push_n(ix, *off, type, pad, len, m);
		if (ret < 0)
			return ret;
		*off += m * stride;
		k += m;
	}
	return 0;
}

/* The index the runs describe, which must end at eod_off: 0, -ESTALE
 * when the runs are not of records of this image, -ENOMEM. */
static int vt_runs_push(struct vt_index *ix, const unsigned char *runs,
			uint64_t nruns, uint64_t eod_off, uint64_t fsize)
{
	uint64_t total = 0, off = VT_HDR_SIZE;
	int ret;

	for (uint64_t i = 0; i < nruns; i++) {
		uint64_t c = get64(runs + i * VT_RUN_SIZE + 16);

		if (c == 0 || c > fsize / VT_RH_SIZE - total)
			return -ESTALE;
		total += c;
	}
	for (uint64_t i = 0; i < nruns; i++) {
		const unsigned char *p = runs + i * VT_RUN_SIZE;
		int type = (int)get32(p);
		uint64_t len = get64(p + 8);

		if ((type != VT_DATA && type != VT_FILEMARK) ||
		    (type == VT_FILEMARK && len != 0) || len > fsize)
			return -ESTALE;
		ret = vt_run_push(ix, &off, eod_off, type, len, get64(p + 16));
		if (ret < 0)
			return ret;
	}
	return off == eod_off ? 0 : -ESTALE;
}

/* The record headers the image holds where ix says: the end-of-data
 * header, the first, the last and some between. 1 when they match. */
static int vt_index_matches(const struct vt_index *ix, int fd)
{
	struct vt_rec eod = {.off = ix->eod_off, .type = VT_EOD};
	unsigned char b[VT_RH_SIZE];

	if (vt_rh_read(fd, &eod, b) < 0)
		return 0;
	for (uint64_t k = 0; k < VT_IX_CHECKS && k < ix->n; k++) {
		uint64_t l = ix->n <= VT_IX_CHECKS
				 ? k
				 : k * (ix->n - 1) / (VT_IX_CHECKS - 1);
		struct vt_rec r = vt_rec_at(ix, l);

		if (vt_rh_read(fd, &r, b) < 0)
			return 0;
	}
	return 1;
}

/* Load the stored index of a version 2 image: 0, or -ESTALE when there is
 * none or it does not describe the records (then the caller walks). The
 * trailer must end the file, the runs match their checksum and add up to
 * its end-of-data offset, where an end-of-data header must be; the headers
 * of the first, the last and some records between must match. */
static int vt_index_load(struct vt_index *ix, int fd, uint64_t fsize)
{
	unsigned char *runs;
	uint64_t nruns, eod_off;
	int ret;

	memset(ix, 0, sizeof(*ix));
	ret = vt_runs_read(fd, fsize, &runs, &nruns, &eod_off);
	if (ret < 0)
		return ret;
	ret = vt_runs_push(ix, runs, nruns, eod_off, fsize);
	ix->eod_off = eod_off;
	if (ret == 0 && !vt_index_matches(ix, fd))
		ret = -ESTALE;
	free(runs);
	if (ret < 0) {
		vt_index_free(ix);
		return ret;
	}
	ix->clean = 1;
	ix->indexed = 1;
	return 0;
}

int vt_index_get(struct vt_index *ix, int fd, uint64_t fsize, uint32_t version)
{
	if (version >= 2) {
		int ret = vt_index_load(ix, fd, fsize);

		if (ret != -ESTALE)
			return ret;
	}
	return vt_index_build(ix, fd, fsize);
}
