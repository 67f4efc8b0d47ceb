/* tests/test_tape_space.c - what a cartridge holds (tape_space()): the
 * vtape backend from its image; the st backend from the cartridge's
 * medium auxiliary memory, read with SCSI READ ATTRIBUTE through the
 * drive's SCSI generic node. The st checks run in a child of this binary
 * with both shims preloaded: the st shim serves /dev/nstN from vtape
 * images and links each to its sg node in sysfs, the SG shim answers
 * READ ATTRIBUTE from the same images - so what the st backend reports
 * must be the image's capacity and what is left after its end of data,
 * in whole MiB. Also: the parser of the attribute data, the sense data
 * mapping, and the LTO barcode table of the fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/lto.h"
#include "tapeio/scsi_mam.h"
#include "tapeio/tape.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define MiB (1024ULL * 1024)
#define TB  1000000000000ULL

static char dir[512];

/* ---- the parts ---------------------------------------------------------- */

static void test_lto_barcodes(void)
{
	CHECK_INT(lto_barcode_capacity("A00001L9"), 18 * TB);
	CHECK_INT(lto_barcode_capacity("000764L8"), 12 * TB);
	CHECK_INT(lto_barcode_capacity("000764M8"), 9 * TB);
	CHECK_INT(lto_barcode_capacity("XY1234L7"), 6 * TB);
	CHECK_INT(lto_barcode_capacity("XY1234L6"), 2500000000000ULL);
	CHECK_INT(lto_barcode_capacity("XY1234L5"), 1500000000000ULL);
	CHECK_INT(lto_barcode_capacity("XY1234LZ"), 18 * TB); /* WORM */
	CHECK_STR(lto_barcode_generation("000764M8"), "LTO-7 type M");
	CHECK_STR(lto_barcode_generation("XY1234LW"), "LTO-6 WORM");
	/* not LTO labels: unknown */
	CHECK_INT(lto_barcode_capacity("CLN001L9"), 0); /* cleaning */
	CHECK_INT(lto_barcode_capacity("A0001L9"), 0);	/* 7 characters */
	CHECK_INT(lto_barcode_capacity("A000001L9"), 0);
	CHECK_INT(lto_barcode_capacity("A00001X9"), 0);
	CHECK_INT(lto_barcode_capacity("A00001l9"), 0);
	CHECK_INT(lto_barcode_capacity(""), 0);
	CHECK_INT(lto_barcode_capacity(NULL), 0);
	CHECK(lto_barcode_generation("A00001") == NULL);
}

/* One attribute into p: identifier, format, length, value. */
static size_t attr(uint8_t *p, unsigned id, unsigned len, uint64_t v)
{
	p[0] = (uint8_t)(id >> 8);
	p[1] = (uint8_t)id;
	p[2] = 0x80;
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)len;
	for (unsigned i = 0; i < len; i++)
		p[5 + i] =
		    (uint8_t)(len - 1 - i < 8 ? v >> (8 * (len - 1 - i)) : 0);
	return 5 + len;
}

/* Attribute data: AVAILABLE DATA then the attributes; its length. */
static size_t mam_data(uint8_t *buf, uint64_t rem, uint64_t max, int extra)
{
	size_t n = 4;

	if (rem != UINT64_MAX)
		n += attr(buf + n, 0x0000, 8, rem);
	if (max != UINT64_MAX)
		n += attr(buf + n, 0x0001, 8, max);
	if (extra) {
		n += attr(buf + n, 0x0002, 8, 0);
		n += attr(buf + n, 0x0401, 32, 0x41);
	}
	buf[0] = (uint8_t)((n - 4) >> 24);
	buf[1] = (uint8_t)((n - 4) >> 16);
	buf[2] = (uint8_t)((n - 4) >> 8);
	buf[3] = (uint8_t)(n - 4);
	return n;
}

static void test_mam_parse(void)
{
	struct tape_space sp = {7, 7};
	uint8_t buf[256];
	size_t n;

	/* LTO-9: 17 166 336 MiB, 12 000 000 MiB left, other attributes */
	n = mam_data(buf, 12000000, 17166336, 1);
	CHECK_INT(mam_parse_space(buf, n, &sp), 0);
	CHECK_INT(sp.capacity, 17166336ULL * MiB);
	CHECK_INT(sp.remaining, 12000000ULL * MiB);
	/* cut by a short allocation after both: fine */
	CHECK_INT(mam_parse_space(buf, 4 + 13 + 13 + 7, &sp), 0);
	CHECK_INT(sp.capacity, 17166336ULL * MiB);
	/* cut inside the maximum: the drive did not say */
	sp.capacity = 7;
	CHECK_INT(mam_parse_space(buf, 4 + 13 + 9, &sp), -EOPNOTSUPP);
	CHECK_INT(sp.capacity, 7); /* untouched on failure */
	/* one of the two missing, a maximum of 0 */
	n = mam_data(buf, UINT64_MAX, 100, 1);
	CHECK_INT(mam_parse_space(buf, n, &sp), -EOPNOTSUPP);
	n = mam_data(buf, 100, UINT64_MAX, 0);
	CHECK_INT(mam_parse_space(buf, n, &sp), -EOPNOTSUPP);
	n = mam_data(buf, 0, 0, 0);
	CHECK_INT(mam_parse_space(buf, n, &sp), -EOPNOTSUPP);
	/* remaining above the maximum: the maximum */
	n = mam_data(buf, 300, 200, 0);
	CHECK_INT(mam_parse_space(buf, n, &sp), 0);
	CHECK_INT(sp.remaining, 200 * MiB);
	/* a value that does not fit in bytes; a short header */
	n = mam_data(buf, 1, UINT64_MAX >> 4, 0);
	CHECK_INT(mam_parse_space(buf, n, &sp), -EIO);
	CHECK_INT(mam_parse_space(buf, 3, &sp), -EIO);
	/* AVAILABLE DATA shorter than what came: the rest is not data */
	n = mam_data(buf, 10, 20, 0);
	buf[3] = 13;
	CHECK_INT(mam_parse_space(buf, n, &sp), -EOPNOTSUPP);
}

static void test_sense(void)
{
	uint8_t fixed[18] = {0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20};
	uint8_t desc[8] = {0x72, 0x02, 0x3A, 0x00};

	CHECK_INT(mam_sense_errno(fixed, sizeof(fixed)), -EOPNOTSUPP);
	fixed[0] = 0xF0; /* VALID bit set */
	CHECK_INT(mam_sense_errno(fixed, sizeof(fixed)), -EOPNOTSUPP);
	fixed[2] = 0x06; /* UNIT ATTENTION */
	CHECK_INT(mam_sense_errno(fixed, sizeof(fixed)), -EAGAIN);
	fixed[2] = 0x02, fixed[12] = 0x3A; /* NOT READY, no medium */
	CHECK_INT(mam_sense_errno(fixed, sizeof(fixed)), -ENOMEDIUM);
	fixed[12] = 0x04; /* NOT READY, becoming ready */
	CHECK_INT(mam_sense_errno(fixed, sizeof(fixed)), -EBUSY);
	fixed[2] = 0x03; /* MEDIUM ERROR (auxiliary memory read error) */
	CHECK_INT(mam_sense_errno(fixed, sizeof(fixed)), -EIO);
	fixed[2] = 0x01; /* RECOVERED ERROR: the data stands */
	CHECK_INT(mam_sense_errno(fixed, sizeof(fixed)), 0);
	CHECK_INT(mam_sense_errno(desc, sizeof(desc)), -ENOMEDIUM);
	desc[1] = 0x05;
	CHECK_INT(mam_sense_errno(desc, sizeof(desc)), -EOPNOTSUPP);
	desc[0] = 0x7F; /* vendor format */
	CHECK_INT(mam_sense_errno(desc, sizeof(desc)), -EIO);
	CHECK_INT(mam_sense_errno(desc, 2), -EIO);
}

/* n records of 1 MiB at end of data of t. */
static void write_mib(struct tape *t, int n)
{
	static char rec[1 << 20];

	CHECK_INT(tape_eom(t), 0);
	for (int i = 0; i < n; i++)
		CHECK_INT(tape_write(t, rec, sizeof(rec)), sizeof(rec));
}

static void test_vtape_space(void)
{
	char path[600];
	struct tape_space sp;
	struct tape *t;

	snprintf(path, sizeof(path), "%s/v.vtape", dir);
	t = fx_vtape(path, "V00001L9", 48 * MiB, 0);
	if (!t)
		return;
	CHECK_INT(tape_space(t, &sp), 0);
	CHECK_INT(sp.capacity, 48 * MiB);
	CHECK_INT(sp.remaining, 48 * MiB);
	write_mib(t, 5);
	CHECK_INT(tape_space(t, &sp), 0);
	CHECK_INT(sp.remaining, 43 * MiB);
	/* from end of data, wherever the tape stands */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tape_space(t, &sp), 0);
	CHECK_INT(sp.remaining, 43 * MiB);
	CHECK_INT(tape_close(t), 0);
}

/* ---- st over the shims (the child) -------------------------------------- */

/* What the SG shim must report for the image at path: its capacity and
 * what is left after its end of data, in whole MiB. */
static void image_space(const char *path, struct tape_space *out)
{
	struct vtape_info vi;

	memset(out, 0, sizeof(*out));
	CHECK_INT(vtape_info(path, &vi), 0);
	out->capacity = vi.capacity >> 20 << 20;
	out->remaining = (vi.capacity - vi.used) >> 20 << 20;
}

static struct tape *st_open(const char *dev)
{
	struct tape *t = NULL;

	CHECK_INT(tape_open(&t, tape_backend("st"), dev, TAPE_RDWR), 0);
	return t;
}

/* /dev/nst0 (sg5): the image's figures, before and after a write. */
static void test_st_mam(void)
{
	struct tape_space want, sp = {0, 0}, before;
	char img[600];
	struct tape *t = st_open("/dev/nst0");

	if (!t)
		return;
	snprintf(img, sizeof(img), "%s/a.vtape", dir);
	image_space(img, &want);
	CHECK_INT(tape_space(t, &sp), 0);
	CHECK_INT(sp.capacity, want.capacity);
	CHECK_INT(sp.capacity, 64 * MiB);
	CHECK_INT(sp.remaining, want.remaining);
	before = sp;
	write_mib(t, 3);
	image_space(img, &want);
	CHECK_INT(tape_space(t, &sp), 0);
	CHECK_INT(sp.remaining, want.remaining);
	CHECK_INT(sp.remaining, before.remaining - 3 * MiB);
	CHECK_INT(tape_close(t), 0);
}

/* A drive without MAM (ILLEGAL REQUEST); an st device without an sg node
 * (SG_IO on the st node: the shim, like st without CAP_SYS_RAWIO,
 * refuses it): neither can tell. */
static void test_st_cannot_tell(void)
{
	struct tape_space sp = {1, 1};
	struct tape *t = st_open("/dev/nst1");

	if (t) {
		CHECK_INT(tape_space(t, &sp), -EOPNOTSUPP);
		CHECK_INT(tape_close(t), 0);
	}
	t = st_open("/dev/nst2");
	if (t) {
		CHECK_INT(tape_space(t, &sp), -EOPNOTSUPP);
		CHECK_INT(tape_close(t), 0);
	}
	CHECK_INT(sp.capacity, 1); /* untouched */
}

/* A UNIT ATTENTION first (a load): asked again, answered. */
static void test_st_unit_attention(void)
{
	struct tape_space want, sp = {0, 0};
	char img[600];
	struct tape *t = st_open("/dev/nst3");

	if (!t)
		return;
	snprintf(img, sizeof(img), "%s/d.vtape", dir);
	image_space(img, &want);
	CHECK_INT(tape_space(t, &sp), 0);
	CHECK_INT(sp.capacity, want.capacity);
	CHECK_INT(sp.remaining, want.remaining);
	CHECK_INT(tape_close(t), 0);
}

/* The sg node itself: no cartridge is NOT READY, medium not present. */
static void test_sg_no_medium(void)
{
	struct tape_space sp;
	int fd = open("/dev/sg4", O_RDWR | O_NONBLOCK);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(mam_read_space(fd, &sp), -ENOMEDIUM);
	close(fd);
}

static int st_child(void)
{
	RUN(test_st_mam);
	RUN(test_st_cannot_tell);
	RUN(test_st_unit_attention);
	RUN(test_sg_no_medium);
	return check_done();
}

/* ---- the parent --------------------------------------------------------- */

/* Image NAME.vtape of dir with barcode, cap MiB, a label-sized first
 * record, and the drive symlink driveN to it. */
static void drive_image(int n, const char *name, const char *barcode,
			uint64_t cap)
{
	static char rec[10240];
	char img[600], drv[600];
	struct tape *t;

	snprintf(img, sizeof(img), "%s/%s.vtape", dir, name);
	snprintf(drv, sizeof(drv), "%s/drive%d", dir, n);
	t = fx_vtape(img, barcode, cap * MiB, 0);
	if (!t)
		return;
	CHECK_INT(tape_write(t, rec, sizeof(rec)), sizeof(rec));
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(symlink(img, drv), 0);
}

static void test_st_over_shims(const char *self)
{
	char st[600], sg[600], pre[1300], stmap[2600], sgmap[2600], drv[600];
	const char *env[] = {pre, stmap, sgmap, NULL};

	if (fx_shim("stshim", st, sizeof(st)) ||
	    fx_shim("sgshim", sg, sizeof(sg))) {
		CHECK(!"shims built");
		return;
	}
	drive_image(0, "a", "A00001L9", 64);
	drive_image(1, "b", "B00001L9", 32);
	drive_image(2, "c", "C00001M8", 16);
	drive_image(3, "d", "D00001L7", 24);
	snprintf(drv, sizeof(drv), "%s/drive4", dir); /* empty drive */
	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s %s", st, sg);
	snprintf(stmap, sizeof(stmap),
		 "TAPEFS_STSHIM=/dev/nst0=%s/drive0,/dev/nst1=%s/drive1,"
		 "/dev/nst2=%s/drive2,/dev/nst3=%s/drive3",
		 dir, dir, dir, dir);
	snprintf(sgmap, sizeof(sgmap),
		 "TAPEFS_SGSHIM=/dev/sg5=tape:%s/drive0,"
		 "/dev/sg6=tape+nomam:%s/drive1,/dev/sg8=tape+ua:%s/drive3,"
		 "/dev/sg4=tape:%s",
		 dir, dir, dir, drv);
	fx_rerun(self, "st", dir, env);
}

int main(int argc, char **argv)
{
	char rel[512];

	if (argc > 2 && strcmp(argv[1], "st") == 0) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		return st_child();
	}
	if (fx_mkdtemp(rel, sizeof(rel), "space") || !realpath(rel, dir))
		return check_done();
	RUN(test_lto_barcodes);
	RUN(test_mam_parse);
	RUN(test_sense);
	RUN(test_vtape_space);
	test_st_over_shims(argv[0]);
	return check_done();
}
