/* tests/fuzz/common.c - what the fuzz targets share (tests/fuzz/fuzz.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/vtape_int.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_TAGS 4

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz: broken promise: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		fuzz_fail("out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static struct {
	char tag[32];
	char path[256];
} fuzz_files[FUZZ_TAGS];

static void fuzz_files_remove(void)
{
	for (int i = 0; i < FUZZ_TAGS; i++)
		if (fuzz_files[i].path[0])
			unlink(fuzz_files[i].path);
}

/* The path of tag's scratch file, chosen at its first use. */
static const char *fuzz_path(const char *tag)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
	int i;

	for (i = 0; i < FUZZ_TAGS && fuzz_files[i].tag[0]; i++)
		if (!strcmp(fuzz_files[i].tag, tag))
			return fuzz_files[i].path;
	if (i == FUZZ_TAGS)
		fuzz_fail("more than %d scratch files", FUZZ_TAGS);
	if (!dir)
		dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	if (i == 0)
		atexit(fuzz_files_remove);
	snprintf(fuzz_files[i].tag, sizeof(fuzz_files[i].tag), "%s", tag);
	snprintf(fuzz_files[i].path, sizeof(fuzz_files[i].path),
		 "%s/tapefs-fuzz.%ld.%s", dir, (long)getpid(), tag);
	return fuzz_files[i].path;
}

const char *fuzz_file(const char *tag, const void *data, size_t size)
{
	const char *path = fuzz_path(tag);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		fuzz_fail("cannot create %s: %s", path, strerror(errno));
	if (write(fd, data, size) != (ssize_t)size)
		fuzz_fail("cannot write %s: %s", path, strerror(errno));
	close(fd);
	return path;
}

/* An image built in memory: cap bytes at b, len of them used. */
struct image {
	unsigned char *b;
	size_t len, cap;
};

/* Append n bytes at p to im (made big enough once, by fuzz_vtape()). */
static void put(struct image *im, const void *p, size_t n)
{
	if (n > im->cap - im->len)
		fuzz_fail("image larger than its bound");
	memcpy(im->b + im->len, p, n);
	im->len += n;
}

const char *fuzz_vtape(const char *tag, const void *data, size_t size,
		       size_t rec)
{
	struct vt_hdr h = {.version = VT_VERSION,
			   .barcode = "FUZZ00L9",
			   .capacity = 1ull << 30,
			   .early_warning = 1ull << 20,
			   .wfail = VT_NO_WFAIL};
	unsigned char hdr[VT_HDR_SIZE], rh[VT_RH_SIZE];
	static const unsigned char zeros[VT_ALIGN];
	/* one buffer for every input, grown to the largest image: an
	 * image made piece by piece with realloc took half the time of
	 * the tarr target */
	static struct image im;
	size_t off, n, bound;
	unsigned pad;

	if (rec == 0)
		fuzz_fail("records of 0 bytes");
	bound = sizeof(hdr) + (size / rec + 1) * (sizeof(rh) + VT_ALIGN) +
		size + 2 * sizeof(rh);
	if (bound > im.cap) {
		free(im.b);
		if (!(im.b = malloc(bound)))
			fuzz_fail("out of memory");
		im.cap = bound;
	}
	im.len = 0;
	vt_hdr_encode(hdr, &h);
	put(&im, hdr, sizeof(hdr));
	for (off = 0; off < size; off += n) {
		n = size - off < rec ? size - off : rec;
		pad = vt_pad_at(im.len, VT_DATA, n);
		vt_rh_encode(rh, VT_DATA, 0, pad, n);
		put(&im, rh, sizeof(rh));
		put(&im, zeros, pad);
		put(&im, (const char *)data + off, n);
	}
	vt_rh_encode(rh, VT_FILEMARK, 0, 0, 0);
	put(&im, rh, sizeof(rh));
	vt_rh_encode(rh, VT_EOD, 0, 0, 0);
	put(&im, rh, sizeof(rh));
	return fuzz_file(tag, im.b, im.len);
}

struct tape *fuzz_vtape_open(const char *path)
{
	struct tape *t = NULL;
	int ret = tape_open(&t, tape_backend("vtape"), path, TAPE_RDONLY);

	if (ret)
		fuzz_fail("cannot open the image %s: %s", path, strerror(-ret));
	return t;
}
