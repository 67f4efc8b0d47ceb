/* tapeio/vtape_admin.c - the image functions of vtape.h: create an image,
 * read its summary and its files, set its speed model, inject faults, and
 * the head position of the st shim. They take a path, never the lock of an
 * open image, and work whether or not it is open elsewhere (an open image
 * sees faults at once: vtape.c reads them from the header).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapeio/vtape_int.h"

/* An image opened by path (no lock): its header and, when asked for, its
 * index. */
struct vt_image {
	int fd;
	struct vt_hdr h;
	struct vt_index ix; /* empty unless asked for */
};

/* Open the image at path with open(2) flags and read its header and, when
 * index is set, its index. On success im is to be closed with
 * vt_image_close(). */
static int vt_image_open(struct vt_image *im, const char *path, int flags,
			 int index)
{
	struct stat sb;
	int ret;

	memset(im, 0, sizeof(*im));
	im->fd = open(path, flags | O_CLOEXEC);
	if (im->fd < 0)
		return -errno;
	if (fstat(im->fd, &sb) < 0) {
		ret = -errno;
		goto out_close;
	}
	if (!S_ISREG(sb.st_mode)) {
		ret = -EINVAL;
		goto out_close;
	}
	ret = vt_hdr_read(im->fd, &im->h);
	if (ret < 0)
		goto out_close;
	if (index) {
		ret = vt_index_get(&im->ix, im->fd, (uint64_t)sb.st_size,
				   im->h.version);
		if (ret < 0)
			goto out_close;
	}
	return 0;

out_close:
	close(im->fd);
	return ret;
}

static void vt_image_close(struct vt_image *im)
{
	vt_index_free(&im->ix);
	close(im->fd);
}

/* A blank image: its header, then an end of data (and an empty index). */
static int vt_image_write(const char *path, const struct vt_hdr *h)
{
	unsigned char b[VT_HDR_SIZE], *tail;
	struct vt_index ix = {.eod_off = VT_HDR_SIZE};
	size_t tlen;
	int fd, ret = 0;

	vt_hdr_encode(b, h);
	tail = vt_tail_encode(&ix, h->version, &tlen);
	if (!tail)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
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

int vtape_create(const char *path, const char *barcode, uint64_t capacity,
		 uint64_t early_warning)
{
	struct vt_hdr h;

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
	return vt_image_write(path, &h);
}

/* Write (or read) n bytes of the header of the image at path, at off. */
static int vt_image_field(const char *path, void *b, size_t n, off_t off,
			  int write)
{
	struct vt_image im;
	ssize_t done;
	int ret;

	ret = vt_image_open(&im, path, write ? O_RDWR : O_RDONLY, 0);
	if (ret < 0)
		return ret;
	done = write ? pwrite(im.fd, b, n, off) : pread(im.fd, b, n, off);
	vt_image_close(&im);
	return done == (ssize_t)n ? 0 : -EIO;
}

int vtape_set_model(const char *path, const struct vtape_model *m)
{
	unsigned char b[VT_MODEL_SIZE];

	if (!m || !vt_model_valid(m))
		return -EINVAL;
	vt_model_encode(b, m);
	return vt_image_field(path, b, sizeof(b), OFF_MODEL, 1);
}

int vtape_get_model(const char *path, struct vtape_model *m)
{
	struct vt_image im;
	int ret;

	ret = vt_image_open(&im, path, O_RDONLY, 0);
	if (ret < 0)
		return ret;
	*m = im.h.model;
	vt_image_close(&im);
	return 0;
}

/* ---- faults ---- */

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

/* UNREADABLE or FLIP of the data record at lblock l. */
static int vt_inject_rec(const struct vt_image *im, enum vtape_fault f,
			 uint64_t l, uint64_t byte)
{
	struct vt_rec r;

	if (l >= im->ix.n)
		return -EINVAL;
	r = vt_rec_at(&im->ix, l);
	if (r.type != VT_DATA)
		return -EINVAL;
	if (f == VTAPE_FAULT_FLIP)
		return vt_flip(im->fd, &r, byte);
	if (im->h.version >= 2)
		return vt_unread_add(im->fd, l);
	return vt_rh_flag(im->fd, &r, 1);
}

/* CLEAR: protect, write-fail and every unreadable mark. */
static int vt_inject_clear(const struct vt_image *im)
{
	int ret = vt_field32_put(im->fd, OFF_PROTECT, 0);

	if (ret == 0)
		ret = vt_field64_put(im->fd, OFF_WFAIL, VT_NO_WFAIL);
	if (ret == 0 && im->h.version >= 2)
		return vt_unread_write(im->fd, NULL, 0);
	for (uint64_t i = 0; ret == 0 && i < im->ix.n; i++) {
		struct vt_rec r = vt_rec_at(&im->ix, i);

		if (r.type == VT_DATA)
			ret = vt_rh_flag(im->fd, &r, 0);
	}
	return ret;
}

int vtape_inject(const char *path, enum vtape_fault f, uint64_t arg1,
		 uint64_t arg2)
{
	struct vt_image im;
	int ret;

	ret = vt_image_open(&im, path, O_RDWR, 1);
	if (ret < 0)
		return ret;
	switch (f) {
	case VTAPE_FAULT_UNREADABLE:
	case VTAPE_FAULT_FLIP:
		ret = vt_inject_rec(&im, f, arg1, arg2);
		break;
	case VTAPE_FAULT_WRITE_FAIL:
		ret = vt_field64_put(im.fd, OFF_WFAIL,
				     arg1 == VT_NO_WFAIL ? arg1 - 1 : arg1);
		break;
	case VTAPE_FAULT_PROTECT:
		ret = vt_field32_put(im.fd, OFF_PROTECT, arg1 ? 1 : 0);
		break;
	case VTAPE_FAULT_CLEAR:
		ret = vt_inject_clear(&im);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret == 0 && fdatasync(im.fd) < 0)
		ret = -EIO;
	vt_image_close(&im);
	return ret;
}

/* ---- summary and files ---- */

int vtape_info(const char *path, struct vtape_info *out)
{
	struct vt_image im;
	int ret;

	ret = vt_image_open(&im, path, O_RDONLY, 1);
	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	memcpy(out->barcode, im.h.barcode, sizeof(out->barcode));
	out->capacity = im.h.capacity;
	out->early_warning = im.h.early_warning;
	out->used = vt_used(&im.ix);
	out->filemarks = im.ix.nfm;
	out->records = im.ix.n - im.ix.nfm;
	out->protected = im.h.protect != 0;
	vt_image_close(&im);
	return 0;
}

/* The files of ix into fl (ix->nfm + 1 entries); returns how many. */
static uint64_t vt_files_of(const struct vt_index *ix, struct vtape_file *fl)
{
	uint64_t nf = 0, start = 0;

	for (uint64_t f = 0; f <= ix->nfm; f++) {
		uint64_t end = f < ix->nfm ? ix->fm[f] : ix->n;
		struct vtape_file *e = &fl[nf];

		if (f == ix->nfm && end == start)
			break; /* nothing after the last filemark */
		e->fileno = f;
		e->start_lblock = start;
		e->records = end - start;
		e->bytes = vt_cum(ix, end) - vt_cum(ix, start);
		e->has_filemark = f < ix->nfm;
		nf++;
		start = end + 1;
	}
	return nf;
}

int vtape_files(const char *path, struct vtape_file **out, uint64_t *n)
{
	struct vt_image im;
	struct vtape_file *fl;
	int ret;

	ret = vt_image_open(&im, path, O_RDONLY, 1);
	if (ret < 0)
		return ret;
	fl = calloc(im.ix.nfm + 1, sizeof(*fl));
	if (fl) {
		*n = vt_files_of(&im.ix, fl);
		*out = fl;
	} else {
		ret = -ENOMEM;
	}
	vt_image_close(&im);
	return ret;
}

/* ---- the st shim's head ---- */

int vtape_head_get(const char *path, uint64_t *lblock, uint64_t *token)
{
	unsigned char b[16];
	int ret = vt_image_field(path, b, sizeof(b), OFF_HEAD, 0);

	if (ret == 0) {
		*lblock = get64(b);
		*token = get64(b + 8);
	}
	return ret;
}

int vtape_head_set(const char *path, uint64_t lblock, uint64_t token)
{
	unsigned char b[16];

	put64(b, lblock);
	put64(b + 8, token);
	return vt_image_field(path, b, sizeof(b), OFF_HEAD, 1);
}
