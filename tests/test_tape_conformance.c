/* tests/test_tape_conformance.c - one suite, two backends: every check runs
 * against vtape directly, then the binary re-executes itself with the st
 * shim preloaded ($BUILD/tests/libstshim.so) and runs the same checks
 * through the st backend on /dev/nst0, served by the shim from an image.
 * The child's totals are added to the parent's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tapeio/tape.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define MiB (1024 * 1024)

static const struct tape_ops *ops;
static const char *backend = "vtape";
static char image[512]; /* the image file */
static char drive[512]; /* symlink to it (a vlib drive) */
static char dev[512];	/* what tape_open gets */
static unsigned char wbuf[256 * 1024], rbuf[256 * 1024];

/* A fresh image of capacity cap (early warning ew) behind dev. */
static void fresh(uint64_t cap, uint64_t ew)
{
	unlink(image);
	CHECK_INT(vtape_create(image, "C00001L9", cap, ew), 0);
}

static struct tape *topen(int mode)
{
	struct tape *t = NULL;
	int ret = tape_open(&t, ops, dev, mode);

	CHECK_INT(ret, 0);
	if (ret == 0)
		CHECK_INT(tape_rewind(t), 0); /* st keeps the position */
	return ret == 0 ? t : NULL;
}

static ssize_t wrec(struct tape *t, size_t len, unsigned seed)
{
	fx_fill(wbuf, len, seed);
	return tape_write(t, wbuf, len);
}

/* Read one record and compare with what wrec(len, seed) wrote. */
static void rrec(struct tape *t, size_t len, unsigned seed)
{
	ssize_t n = tape_read(t, rbuf, sizeof(rbuf));

	CHECK_INT(n, (ssize_t)len);
	fx_fill(wbuf, len, seed);
	if (n == (ssize_t)len)
		CHECK_MEM(rbuf, wbuf, len);
}

static void pos_is(struct tape *t, long file, long block, uint64_t lblock)
{
	struct tape_status st;
	uint64_t l = 99999;

	CHECK_INT(tape_status(t, &st), 0);
	CHECK_INT(st.file, file);
	CHECK_INT(st.block, block);
	CHECK_INT(tape_tell(t, &l), 0);
	CHECK_INT(l, lblock);
}

/* file 0: 1, 1000, 65536 bytes; file 1: 262144, 7; file 2: 3 x 512 */
static void write_three_files(void)
{
	struct tape *t = topen(TAPE_RDWR);

	if (!t)
		return;
	CHECK_INT(wrec(t, 1, 1), 1);
	CHECK_INT(wrec(t, 1000, 2), 1000);
	CHECK_INT(wrec(t, 65536, 3), 65536);
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(wrec(t, 262144, 4), 262144);
	CHECK_INT(wrec(t, 7, 5), 7);
	CHECK_INT(tape_weof(t, 1), 0);
	for (unsigned i = 0; i < 3; i++)
		CHECK_INT(wrec(t, 512, 10 + i), 512);
	CHECK_INT(tape_close(t), 0); /* writes the third filemark */
}

/* A fresh 64 MiB image holding the three files. */
static void fresh_three(void)
{
	fresh(64 * MiB, 0);
	write_three_files();
}

/* The same, opened in mode. */
static struct tape *three_files(int mode)
{
	fresh_three();
	return topen(mode);
}

/* The image holds that many records and filemarks; returns its bytes. */
static uint64_t image_holds(uint64_t records, uint64_t filemarks)
{
	struct vtape_info vi;

	memset(&vi, 0, sizeof(vi));
	CHECK_INT(vtape_info(image, &vi), 0);
	CHECK_INT(vi.records, records);
	CHECK_INT(vi.filemarks, filemarks);
	return vi.used;
}

static void test_records_and_filemarks(void)
{
	struct tape *t = three_files(TAPE_RDONLY);
	struct tape_status st;

	if (!t)
		return;
	CHECK_INT(tape_status(t, &st), 0);
	CHECK(st.online && st.bot && !st.eod && !st.eof);
	rrec(t, 1, 1);
	rrec(t, 1000, 2);
	rrec(t, 65536, 3);
	pos_is(t, 0, 3, 3);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0); /* the filemark */
	CHECK_INT(tape_status(t, &st), 0);
	CHECK(st.eof);
	pos_is(t, 1, 0, 4);
	rrec(t, 262144, 4);
	rrec(t, 7, 5);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0);
	for (unsigned i = 0; i < 3; i++)
		rrec(t, 512, 10 + i);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0); /* close's filemark */
	pos_is(t, 3, 0, 11);
	CHECK_INT(tape_status(t, &st), 0);
	CHECK(st.eod);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO); /* end of data */
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO);
	CHECK_INT(tape_write(t, wbuf, 10), -EBADF); /* opened read-only */
	CHECK_INT(tape_weof(t, 1), -EBADF);
	CHECK_INT(tape_close(t), 0);
}

static void test_record_longer_than_buffer(void)
{
	struct tape *t = three_files(TAPE_RDONLY);

	if (!t)
		return;
	CHECK_INT(tape_fsf(t, 1), 0);
	CHECK_INT(tape_read(t, rbuf, 1000), -ENOMEM); /* 262144 > 1000 */
	pos_is(t, 1, 1, 5);			      /* and it is passed */
	rrec(t, 7, 5);
	CHECK_INT(tape_close(t), 0);
}

static void test_spacing(void)
{
	struct tape *t = three_files(TAPE_RDONLY);
	struct tape_status st;

	if (!t)
		return;
	CHECK_INT(tape_fsf(t, 2), 0);
	pos_is(t, 2, 0, 7);
	rrec(t, 512, 10);
	CHECK_INT(tape_bsf(t, 1),
		  0); /* BOT side of the filemark ending file 1 */
	pos_is(t, 1, 2, 6);
	CHECK_INT(tape_fsf(t, 1), 0);
	pos_is(t, 2, 0, 7);
	CHECK_INT(tape_fsr(t, 2), 0);
	pos_is(t, 2, 2, 9);
	rrec(t, 512, 12);
	CHECK_INT(tape_bsr(t, 3), 0);
	pos_is(t, 2, 0, 7);
	CHECK_INT(tape_bsr(t, 1), -EIO); /* a filemark is in the way */
	pos_is(t, 1, 2, 6);
	CHECK_INT(tape_fsr(t, 5),
		  -EIO); /* crosses the filemark: stops after it */
	pos_is(t, 2, 0, 7);
	CHECK_INT(tape_fsf(t, 5), -EIO); /* runs into end of data */
	CHECK_INT(tape_status(t, &st), 0);
	CHECK(st.eod);
	CHECK_INT(tape_rewind(t), 0);
	pos_is(t, 0, 0, 0);
	CHECK_INT(tape_bsf(t, 1), -EIO); /* nothing before BOT */
	CHECK_INT(tape_bsr(t, 1), -EIO);
	CHECK_INT(tape_eom(t), 0);
	pos_is(t, 3, 0, 11);
	CHECK_INT(tape_goto_file(t, 1), 0);
	pos_is(t, 1, 0, 4);
	rrec(t, 262144, 4);
	CHECK_INT(tape_goto_file(t, 1), 0); /* from inside the file */
	pos_is(t, 1, 0, 4);
	CHECK_INT(tape_goto_file(t, 0), 0);
	pos_is(t, 0, 0, 0);
	CHECK_INT(tape_goto_file(t, 2), 0);
	pos_is(t, 2, 0, 7);
	CHECK_INT(tape_close(t), 0);
}

static void test_locate_tell(void)
{
	struct tape *t = three_files(TAPE_RDONLY);

	if (!t)
		return;
	CHECK_INT(tape_locate(t, 8), 0);
	pos_is(t, 2, 1, 8);
	rrec(t, 512, 11);
	CHECK_INT(tape_locate(t, 1), 0);
	rrec(t, 1000, 2);
	CHECK_INT(tape_locate(t, 3), 0); /* on the filemark */
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0);
	pos_is(t, 1, 0, 4);
	CHECK_INT(tape_locate(t, 11), 0); /* end of data */
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO);
	CHECK(tape_locate(t, 100) < 0); /* past end of data */
	CHECK_INT(tape_close(t), 0);
}

static void test_write_truncates(void)
{
	struct tape *t = three_files(TAPE_RDWR);

	if (!t)
		return;
	CHECK_INT(tape_fsf(t, 1), 0);
	CHECK_INT(tape_fsr(t, 1), 0);
	CHECK_INT(wrec(t, 300, 20), 300); /* replaces the 7-byte record */
	CHECK_INT(tape_close(t), 0);	  /* + filemark */
	CHECK_INT(image_holds(5, 2), 1 + 1000 + 65536 + 262144 + 300);
	t = topen(TAPE_RDONLY);
	if (!t)
		return;
	CHECK_INT(tape_fsf(t, 1), 0);
	rrec(t, 262144, 4);
	rrec(t, 300, 20);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO);
	CHECK_INT(tape_close(t), 0);
	/* A filemark written in the middle truncates too. */
	t = topen(TAPE_RDWR);
	if (!t)
		return;
	CHECK_INT(tape_fsr(t, 1), 0);
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(tape_close(t), 0); /* no write since the filemark: no more */
	image_holds(1, 1);
}

static void test_filemark_on_close_and_move(void)
{
	struct tape *t;

	fresh(64 * MiB, 0);
	t = topen(TAPE_RDWR);
	if (!t)
		return;
	CHECK_INT(wrec(t, 100, 1), 100);
	CHECK_INT(tape_rewind(t), 0); /* st: a filemark before moving */
	CHECK_INT(tape_close(t), 0);  /* and none more */
	image_holds(1, 1);
	t = topen(TAPE_RDWR);
	if (!t)
		return;
	CHECK_INT(tape_eom(t), 0);
	CHECK_INT(wrec(t, 100, 2), 100);
	CHECK_INT(tape_close(t), 0);
	image_holds(2, 2);
	t = topen(TAPE_RDWR); /* open and close without writing: nothing */
	if (!t)
		return;
	CHECK_INT(tape_close(t), 0);
	image_holds(2, 2);
}

/* Capacity 1 MiB, early warning 256 KiB before it, records of 64 KiB. */
static void test_early_warning(void)
{
	struct tape *t;
	struct tape_status st;
	int n = 0, enospc_seen = 0, alternation_ok = 1, last = 0;
	ssize_t r;

	fresh(1 * MiB, 256 * 1024);
	t = topen(TAPE_RDWR);
	if (!t)
		return;
	for (n = 0; n < 12; n++) /* 768 KiB: reaches early warning */
		CHECK_INT(wrec(t, 65536, (unsigned)n), 65536);
	CHECK_INT(tape_status(t, &st), 0);
	CHECK(st.eot);
	/* then: ENOSPC, ok, ENOSPC, ok ... until physical end */
	for (int i = 0; i < 20; i++) {
		r = wrec(t, 65536, 100 + (unsigned)i);
		int cur = r == -ENOSPC ? 1 : r == 65536 ? 2 : 3;

		if (cur == 3 || cur == last)
			alternation_ok = 0;
		if (cur == 2)
			n++;
		else
			enospc_seen++;
		last = cur;
		if (n == 16)
			break;
	}
	CHECK(alternation_ok);
	CHECK(enospc_seen >= 4);
	CHECK_INT(n, 16);		   /* exactly capacity */
	CHECK_INT(wrec(t, 1, 1), -ENOSPC); /* end of medium */
	CHECK_INT(wrec(t, 1, 1), -ENOSPC);
	CHECK_INT(tape_weof(t, 1), 0); /* a filemark still goes */
	CHECK_INT(tape_close(t), 0);
	t = topen(TAPE_RDONLY);
	if (!t)
		return;
	for (int i = 0; i < 16; i++) {
		if (tape_read(t, rbuf, sizeof(rbuf)) != 65536)
			break;
		if (i == 15)
			CHECK(1);
	}
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0);
	CHECK_INT(tape_close(t), 0);
}

static void test_write_protect(void)
{
	struct tape *t = NULL;

	fresh_three();
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_PROTECT, 1, 0), 0);
	CHECK_INT(tape_open(&t, ops, dev, TAPE_RDWR), -EROFS);
	t = topen(TAPE_RDONLY);
	if (t) {
		struct tape_status st;

		CHECK_INT(tape_status(t, &st), 0);
		CHECK(st.write_protected);
		rrec(t, 1, 1);
		CHECK_INT(tape_close(t), 0);
	}
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_PROTECT, 0, 0), 0);
	t = topen(TAPE_RDWR);
	if (t)
		CHECK_INT(tape_close(t), 0);
}

static void test_no_medium_and_offline(void)
{
	struct tape *t = NULL;

	fresh_three();
	unlink(drive); /* the drive is empty */
	CHECK_INT(tape_open(&t, ops, dev, TAPE_RDONLY), -ENOMEDIUM);
	CHECK_INT(symlink(image, drive), 0);
	t = topen(TAPE_RDWR);
	if (!t)
		return;
	CHECK_INT(tape_fsf(t, 1), 0);
	CHECK_INT(tape_offline(t), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -ENOMEDIUM);
	CHECK_INT(tape_write(t, wbuf, 10), -ENOMEDIUM);
	CHECK_INT(tape_close(t), 0);
}

static void test_busy(void)
{
	struct tape *t, *t2 = NULL;

	fresh(64 * MiB, 0);
	t = topen(TAPE_RDONLY);
	if (!t)
		return;
	CHECK_INT(tape_open(&t2, ops, dev, TAPE_RDONLY), -EBUSY);
	CHECK_INT(tape_close(t), 0);
	t = topen(TAPE_RDONLY);
	if (t)
		CHECK_INT(tape_close(t), 0);
}

static void test_faults(void)
{
	struct tape *t;

	fresh_three();
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_UNREADABLE, 1, 0), 0);
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_FLIP, 2, 100), 0);
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_UNREADABLE, 3, 0), -EINVAL);
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_UNREADABLE, 99, 0), -EINVAL);
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_FLIP, 0, 1), -EINVAL);
	t = topen(TAPE_RDONLY);
	if (!t)
		return;
	rrec(t, 1, 1);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO);  /* unreadable */
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 65536); /* flipped */
	fx_fill(wbuf, 65536, 3);
	CHECK(memcmp(rbuf, wbuf, 65536) != 0);
	CHECK(rbuf[100] == (unsigned char)~wbuf[100]);
	CHECK_MEM(rbuf, wbuf, 100);
	CHECK_MEM(rbuf + 101, wbuf + 101, 65536 - 101);
	CHECK_INT(tape_close(t), 0);
	/* clear: readable again (the flipped byte stays flipped) */
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_CLEAR, 0, 0), 0);
	t = topen(TAPE_RDONLY);
	if (!t)
		return;
	CHECK_INT(tape_fsr(t, 1), 0);
	rrec(t, 1000, 2);
	CHECK_INT(tape_close(t), 0);
	/* write-fail after 150000 bytes, injected while the tape is open */
	t = topen(TAPE_RDWR);
	if (!t)
		return;
	CHECK_INT(tape_eom(t), 0);
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_WRITE_FAIL, 150000, 0), 0);
	CHECK_INT(wrec(t, 65536, 30), 65536);
	CHECK_INT(wrec(t, 65536, 31), 65536);
	CHECK_INT(wrec(t, 65536, 32), -EIO);
	CHECK_INT(wrec(t, 10, 33), -EIO);
	CHECK_INT(vtape_inject(image, VTAPE_FAULT_CLEAR, 0, 0), 0);
	CHECK_INT(wrec(t, 10, 34), 10);
	CHECK_INT(tape_close(t), 0);
	t = topen(TAPE_RDONLY);
	if (!t)
		return;
	CHECK_INT(tape_fsf(t, 3), 0);
	rrec(t, 65536, 30);
	rrec(t, 65536, 31);
	rrec(t, 10, 34);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0);
	CHECK_INT(tape_close(t), 0);
}

static void test_counters(void)
{
	struct tape *t = three_files(TAPE_RDONLY);
	struct tape_counters c, c0;

	if (!t)
		return;
	CHECK_INT(tape_counters(t, &c0), 0);
	CHECK_INT(tape_locate(t, 4), 0);
	rrec(t, 262144, 4);
	rrec(t, 7, 5);
	CHECK_INT(tape_counters(t, &c), 0);
	CHECK_INT(c.records_read, 2);
	CHECK_INT(c.bytes_read, 262151);
	CHECK_INT(c.locates - c0.locates, 1);
	CHECK_INT(tape_close(t), 0);
}

/* vtape: an open is a load, at BOT. st: the drive keeps the position
 * between close and open (the non-rewinding device), until unloaded. */
static void test_position_across_open(void)
{
	struct tape *t = NULL;
	uint64_t l = 999;
	int is_st = strcmp(backend, "st") == 0;

	t = three_files(TAPE_RDONLY);
	if (!t)
		return;
	CHECK_INT(tape_fsf(t, 1), 0);
	rrec(t, 262144, 4);
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(tape_open(&t, ops, dev, TAPE_RDWR), 0);
	CHECK_INT(tape_tell(t, &l), 0);
	CHECK_INT(l, is_st ? 5 : 0);
	CHECK_INT(tape_eom(t), 0);
	CHECK_INT(wrec(t, 10, 40), 10);
	CHECK_INT(tape_close(t), 0); /* filemark: the tape stands after it */
	CHECK_INT(tape_open(&t, ops, dev, TAPE_RDONLY), 0);
	CHECK_INT(tape_tell(t, &l), 0);
	CHECK_INT(l, is_st ? 13 : 0);
	CHECK_INT(tape_offline(t), 0);
	CHECK_INT(tape_close(t), 0);
	if (is_st) { /* unloaded: empty until loaded again */
		CHECK_INT(tape_open(&t, ops, dev, TAPE_RDONLY), -ENOMEDIUM);
		unlink(drive);
		CHECK_INT(symlink(image, drive), 0); /* a changer loads it */
	}
	CHECK_INT(tape_open(&t, ops, dev, TAPE_RDONLY), 0);
	CHECK_INT(tape_tell(t, &l), 0);
	CHECK_INT(l, 0);
	CHECK_INT(tape_close(t), 0);
}

static void run_suite(void)
{
	RUN(test_records_and_filemarks);
	RUN(test_record_longer_than_buffer);
	RUN(test_spacing);
	RUN(test_locate_tell);
	RUN(test_write_truncates);
	RUN(test_filemark_on_close_and_move);
	RUN(test_early_warning);
	RUN(test_write_protect);
	RUN(test_no_medium_and_offline);
	RUN(test_busy);
	RUN(test_faults);
	RUN(test_counters);
	RUN(test_position_across_open);
}

/* Run this binary again as "st" with the shim preloaded; add its totals. */
static void run_st_child(const char *self, const char *dir)
{
	const char *build = getenv("BUILD");
	char shim[600], map[1200], line[256];
	int pfd[2], status, p = 0, f = 0, got = 0;
	pid_t pid;
	FILE *in;

	snprintf(shim, sizeof(shim), "%s/tests/libstshim.so",
		 build ? build : "build");
	if (access(shim, R_OK) != 0) {
		fprintf(stderr, "not ok: no shim at %s\n", shim);
		check_failed++;
		return;
	}
	snprintf(map, sizeof(map), "/dev/nst0=%s/drive0", dir);
	if (pipe(pfd) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char *asan = getenv("ASAN_OPTIONS");
		char opts[512];

		snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0",
			 asan ? asan : "", asan ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
		setenv("LD_PRELOAD", shim, 1);
		setenv("TAPEFS_STSHIM", map, 1);
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl(self, self, "st", dir, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		if (sscanf(line, "%d passed, %d failed", &p, &f) == 2)
			got = 1;
		else
			fputs(line, stdout);
	}
	if (in)
		fclose(in);
	waitpid(pid, &status, 0);
	fprintf(stderr, "st over the shim: %d passed, %d failed\n", p, f);
	check_passed += p;
	check_failed += f;
	if (!got || !WIFEXITED(status) ||
	    (WEXITSTATUS(status) != 0 && f == 0)) {
		fprintf(stderr, "not ok: the st child died (status %d)\n",
			status);
		check_failed++;
	}
}

int main(int argc, char **argv)
{
	char dir[256];

	if (argc > 2 && strcmp(argv[1], "st") == 0) {
		backend = "st";
		snprintf(dir, sizeof(dir), "%s", argv[2]);
	} else if (fx_mkdtemp(dir, sizeof(dir), "conf")) {
		return check_done();
	}
	ops = tape_backend(backend);
	CHECK(ops != NULL);
	if (!ops)
		return check_done();
	snprintf(image, sizeof(image), "%s/%s.vtape", dir, backend);
	snprintf(drive, sizeof(drive), "%s/drive0", dir);
	unlink(drive);
	CHECK_INT(symlink(image, drive), 0);
	if (strcmp(backend, "st") == 0)
		snprintf(dev, sizeof(dev), "/dev/nst0");
	else
		snprintf(dev, sizeof(dev), "%s", drive);
	fprintf(stderr, "# backend %s\n", backend);
	run_suite();
	if (strcmp(backend, "vtape") == 0 && !getenv("TAPEFS_CONF_NO_ST"))
		run_st_child(argv[0], dir);
	return check_done();
}
