/* tests/test_vtape_direct.c - vtape records written around the host page
 * cache (O_DIRECT, tapeio/vtape_write.c) read back byte for byte: large
 * page-aligned records mixed with every kind that goes through the cache
 * (short records, unaligned buffers, lengths that are not whole pages, a
 * header that does not start a page), filemarks, a file written over, and
 * the image reopened; and a host disk slower than the modelled drive
 * leaving direct writes for the page cache without a byte changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/tape.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BIG (256u << 10)

static char dir[256], img[512];
static unsigned char *abuf, *rbuf; /* page-aligned, BIG + 4096 bytes */

/* What is written: record k of the plan is len bytes of a pattern of k,
 * from an aligned buffer or one byte past it; 0: a filemark. */
struct rec {
	size_t len;
	int unaligned;
};

static const struct rec plan[] = {
    {BIG, 0}, /* header at 4096: the whole record direct */
    {BIG, 0},	{BIG, 0},   {1000, 0}, /* short: through the cache */
    {BIG, 0},			       /* header mid-page: through the cache */
    {BIG, 0},			       /* direct again */
    {BIG, 1},			       /* unaligned buffer */
    {BIG, 0},	{69632, 0},	       /* 17 pages, the least that is padded */
    {70000, 0},			       /* not whole pages */
    {BIG, 0},	{BIG, 0},   {0, 0},    /* filemark */
    {BIG, 0},	{4096, 0},	       /* below the padding threshold */
    {0, 0},	{BIG, 0},   {0, 0},
};
#define NPLAN (sizeof(plan) / sizeof(plan[0]))

static void fill(unsigned char *p, size_t len, unsigned k, unsigned salt)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 131 + k * 7 + salt + (i >> 12));
}

static int write_rec(struct tape *t, const struct rec *r, unsigned k,
		     unsigned salt)
{
	unsigned char *p = abuf + (r->unaligned ? 1 : 0);

	if (!r->len)
		return tape_weof(t, 1);
	fill(p, r->len, k, salt);
	return tape_write(t, p, r->len) == (ssize_t)r->len ? 0 : -EIO;
}

/* Read records from the current position: plan[from..to) with salt. */
static void read_back(struct tape *t, size_t from, size_t to, unsigned salt)
{
	unsigned char *want = malloc(BIG + 4096);

	for (size_t k = from; k < to; k++) {
		ssize_t n = tape_read(t, rbuf, BIG + 4096);

		CHECK_INT(n, plan[k].len);
		if (n <= 0 || (size_t)n != plan[k].len)
			continue;
		fill(want, plan[k].len, (unsigned)k, salt);
		CHECK_MEM(rbuf, want, plan[k].len);
	}
	free(want);
}

static void test_mixed(void)
{
	struct tape *t = NULL;
	size_t k;

	snprintf(img, sizeof(img), "%s/d.vtape", dir);
	CHECK_INT(vtape_create(img, "D00001L9", 1ull << 30, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), img, TAPE_RDWR), 0);
	for (k = 0; k < NPLAN; k++)
		CHECK_INT(write_rec(t, &plan[k], (unsigned)k, 0), 0);
	CHECK_INT(tape_rewind(t), 0);
	read_back(t, 0, NPLAN, 0);
	CHECK_INT(tape_close(t), 0);

	/* Reopened: the same bytes, from the index the close stored. */
	CHECK_INT(tape_open(&t, tape_backend("vtape"), img, TAPE_RDONLY), 0);
	read_back(t, 0, NPLAN, 0);
	CHECK_INT(tape_read(t, rbuf, BIG), -EIO); /* end of data */
	CHECK_INT(tape_close(t), 0);
}

/* File 1 written over with other bytes (the image is cut there first):
 * file 0 stays, file 1 is the new one, nothing of the old file 2. */
static void test_overwrite(void)
{
	const size_t f1 = 13, f2 = 16; /* plan indexes of files 1 and 2 */
	struct tape *t = NULL;
	size_t k;

	CHECK_INT(tape_open(&t, tape_backend("vtape"), img, TAPE_RDWR), 0);
	CHECK_INT(tape_goto_file(t, 1), 0);
	for (k = f1; k < f2; k++)
		CHECK_INT(write_rec(t, &plan[k], (unsigned)k, 99), 0);
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), img, TAPE_RDONLY), 0);
	read_back(t, 0, f1, 0);
	read_back(t, f1, f2, 99);
	CHECK_INT(tape_read(t, rbuf, BIG), -EIO); /* end of data */
	CHECK_INT(tape_close(t), 0);
}

/* Lines of the trace file path that contain what. */
static int trace_count(const char *path, const char *what)
{
	char line[256];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* 24 aligned records on a drive modelled at rate MB/s: the records, read
 * back after reopening, are the ones written whatever path they took;
 * returns the "direct off" lines of the session's trace. */
static int paced_session(const char *name, double rate)
{
	struct vtape_model m = {.rate_mbps = rate, .time_scale = 1};
	char path[512], trace[512];
	struct tape *t = NULL;
	unsigned char *want = malloc(BIG);
	int off;

	snprintf(path, sizeof(path), "%s/%s.vtape", dir, name);
	snprintf(trace, sizeof(trace), "%s/%s.trace", dir, name);
	CHECK_INT(vtape_create(path, "P00001L9", 1ull << 30, 0), 0);
	CHECK_INT(vtape_set_model(path, &m), 0);
	setenv("TAPEFS_VTAPE_TRACE", trace, 1);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), path, TAPE_RDWR), 0);
	unsetenv("TAPEFS_VTAPE_TRACE");
	for (unsigned k = 0; k < 24; k++) {
		fill(abuf, BIG, k, 5);
		CHECK_INT(tape_write(t, abuf, BIG), BIG);
	}
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), path, TAPE_RDONLY), 0);
	for (unsigned k = 0; k < 24; k++) {
		CHECK_INT(tape_read(t, rbuf, BIG + 4096), BIG);
		fill(want, BIG, k, 5);
		CHECK_MEM(rbuf, want, BIG);
	}
	CHECK_INT(tape_read(t, rbuf, BIG), 0); /* the filemark of the close */
	CHECK_INT(tape_close(t), 0);
	off = trace_count(trace, " direct off ");
	CHECK_INT(trace_count(trace, " write "), 24);
	free(want);
	return off;
}

/* A drive no disk can keep up with (a million MB/s): direct writes end
 * after the first few, once, and the session goes on through the cache;
 * a drive of unlimited rate is never held back by the disk: direct all
 * the way. */
static void test_slow_disk(void)
{
	CHECK_INT(paced_session("fast", 1e6), 1);
	CHECK_INT(paced_session("unlimited", 0), 0);
}

int main(void)
{
	if (fx_mkdtemp(dir, sizeof(dir), "vtd") ||
	    posix_memalign((void **)&abuf, 4096, BIG + 4096) ||
	    posix_memalign((void **)&rbuf, 4096, BIG + 4096))
		return 1;
	test_mixed();
	test_overwrite();
	test_slow_disk();
	free(abuf);
	free(rbuf);
	return check_done();
}
