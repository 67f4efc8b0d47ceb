/* tests/test_vtape_format.c - the vtape image itself: its documented
 * on-disk layout, damaged images, the index rebuilt on reopen, a crash
 * mid-record, the stored index (opens without a walk, stale ones rebuilt),
 * version 1 images, live fault injection, the speed model's accounting,
 * the trace, threads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tapeio/tape.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static char dir[256];
static unsigned char buf[300000], rbuf[300000];

static const char *path(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static size_t rec_len(unsigned i)
{
	return (size_t)((i * 7919u) % 200000u) + 1;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void test_create(void)
{
	struct vtape_info vi;

	CHECK_INT(vtape_create(path("a.vtape"), "A00001L9", 1 << 20, 0), 0);
	CHECK_INT(vtape_create(path("a.vtape"), "A00001L9", 1 << 20, 0),
		  -EEXIST);
	CHECK_INT(vtape_create(path("b.vtape"), "", 1 << 20, 0), -EINVAL);
	CHECK_INT(vtape_create(path("b.vtape"),
			       "0123456789012345678901234567890123456789",
			       1 << 20, 0),
		  -EINVAL);
	CHECK_INT(vtape_create(path("b.vtape"), "B", 1000, 1000), -EINVAL);
	CHECK_INT(vtape_create(path("b.vtape"), "B", 0, 0), -EINVAL);
	CHECK_INT(access(path("b.vtape"), F_OK), -1);
	CHECK_INT(vtape_info(path("a.vtape"), &vi), 0);
	CHECK_STR(vi.barcode, "A00001L9");
	CHECK_INT(vi.capacity, 1 << 20);
	CHECK_INT(vi.early_warning, (1 << 20) / 100);
	CHECK_INT(vi.used, 0);
	CHECK_INT(vi.records, 0);
	CHECK_INT(vi.filemarks, 0);
	CHECK_INT(vtape_info(path("missing.vtape"), &vi), -ENOENT);
}

/* The layout docs/vtape.md documents, byte for byte. */
static void test_layout(void)
{
	const char *p = path("layout.vtape");
	unsigned char b[4096 + 16 + 5 + 16 + 16 + 2 * 24 + 32];
	unsigned char *ix = b + 4096 + 53;
	struct tape *t;
	int fd;

	CHECK_INT(vtape_create(p, "L00001L9", 123456789, 4567), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	CHECK_INT(tape_write(t, "hello", 5), 5);
	CHECK_INT(tape_close(t), 0);
	fd = open(p, O_RDONLY);
	CHECK_INT(read(fd, b, sizeof(b)), sizeof(b));
	CHECK_INT(read(fd, b, 1), 0); /* nothing after end of data */
	close(fd);
	CHECK_MEM(b, "TAPEFSVT", 8);
	CHECK_INT(b[8], 2); /* version 2, little-endian u32 */
	CHECK_INT(b[9] | b[10] | b[11], 0);
	CHECK_INT(b[12] | b[13] << 8, 4096); /* header size */
	CHECK_INT(b[16], 16);		     /* record header size */
	CHECK(strcmp((char *)b + 24, "L00001L9") == 0);
	CHECK_INT(le64(b + 64), 123456789);
	CHECK_INT(le64(b + 72), 4567);
	CHECK_INT(le64(b + 136), UINT64_MAX); /* no write-fail fault */
	CHECK_MEM(b + 4096, "VREC", 4);
	CHECK_INT(b[4096 + 4], 1); /* data */
	CHECK_INT(le64(b + 4096 + 8), 5);
	CHECK_MEM(b + 4096 + 16, "hello", 5);
	CHECK_MEM(b + 4096 + 21, "VREC", 4);
	CHECK_INT(b[4096 + 21 + 4], 2); /* filemark (close after write) */
	CHECK_MEM(b + 4096 + 37, "VREC", 4);
	CHECK_INT(b[4096 + 37 + 4], 3); /* end of data */
	/* the stored index: two runs, then the trailer */
	CHECK_INT(le64(ix), 1); /* type data (u32) and 0 */
	CHECK_INT(le64(ix + 8), 5);
	CHECK_INT(le64(ix + 16), 1);
	CHECK_INT(le64(ix + 24), 2); /* a filemark */
	CHECK_INT(le64(ix + 32), 0);
	CHECK_INT(le64(ix + 40), 1);
	CHECK_MEM(ix + 48, "VTINDEX2", 8);
	CHECK_INT(le64(ix + 56), 4096 + 37); /* end-of-data offset */
	CHECK_INT(le64(ix + 64), 2);	     /* runs */
}

/* A record of 64 KiB or more: padding after its header puts its data at
 * a multiple of 4096 in the image; the pad length is in the header. */
static void test_layout_padding(void)
{
	const char *p = path("pad.vtape");
	unsigned char h[16], *d = malloc(65536);
	struct tape *t;
	int fd;

	CHECK_INT(vtape_create(p, "P00001L9", 64 << 20, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	fx_fill(buf, 65536, 9);
	CHECK_INT(tape_write(t, "x", 1), 1);
	CHECK_INT(tape_write(t, buf, 65536), 65536);
	CHECK_INT(tape_write(t, "y", 1), 1);
	CHECK_INT(tape_close(t), 0);
	fd = open(p, O_RDONLY);
	/* second header at 4096 + 16 + 1; its data at 8192 */
	CHECK_INT(pread(fd, h, 16, 4113), 16);
	CHECK_MEM(h, "VREC", 4);
	CHECK_INT(h[6] | h[7] << 8, 8192 - 4113 - 16);
	CHECK_INT(le64(h + 8), 65536);
	CHECK_INT(pread(fd, d, 65536, 8192), 65536);
	CHECK_MEM(d, buf, 65536);
	CHECK_INT(pread(fd, h, 16, 8192 + 65536), 16); /* unpadded: small */
	CHECK_MEM(h, "VREC", 4);
	CHECK_INT(h[6] | h[7], 0);
	close(fd);
	CHECK_INT(vtape_inject(p, VTAPE_FAULT_FLIP, 1, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 1);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 65536);
	CHECK_INT(rbuf[0], (unsigned char)~buf[0]); /* flip hit the data */
	CHECK_MEM(rbuf + 1, buf + 1, 65535);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 1);
	CHECK_INT(rbuf[0], 'y');
	CHECK_INT(tape_close(t), 0);
	free(d);
}

static void corrupt(const char *p, off_t off, const void *bytes, size_t n)
{
	int fd = open(p, O_WRONLY);

	CHECK_INT(pwrite(fd, bytes, n, off), (ssize_t)n);
	close(fd);
}

static void test_damaged_header(void)
{
	const char *p = path("bad.vtape");
	struct vtape_info vi;
	struct vtape_model m;
	struct tape *t = NULL;
	unsigned char v99 = 99;

	CHECK_INT(vtape_create(p, "D00001L9", 1 << 20, 0), 0);
	corrupt(p, 0, "XAPEFSVT", 8);
	CHECK_INT(vtape_info(p, &vi), -EINVAL);
	CHECK_INT(vtape_get_model(p, &m), -EINVAL);
	CHECK_INT(vtape_inject(p, VTAPE_FAULT_PROTECT, 1, 0), -EINVAL);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), -EIO);
	corrupt(p, 0, "TAPEFSVT", 8);
	CHECK_INT(vtape_info(p, &vi), 0);
	corrupt(p, 8, &v99, 1); /* a version from the future */
	CHECK_INT(vtape_info(p, &vi), -EINVAL);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), -EIO);
	CHECK_INT(truncate(p, 100), 0); /* cut inside the header */
	CHECK_INT(vtape_info(p, &vi), -EINVAL);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), -EIO);
	CHECK_INT(truncate(p, 0), 0);
	CHECK_INT(vtape_info(p, &vi), -EINVAL);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), dir, TAPE_RDONLY), -EIO);
	CHECK_INT(vtape_info(dir, &vi), -EINVAL);
}

/* 60 records of many sizes in 4 files; reopen; everything is there. */
static void test_reopen_keeps_everything(void)
{
	const char *p = path("reopen.vtape");
	struct tape *t;
	struct tape_status st;
	struct tape_space sp;
	struct vtape_file *fl = NULL;
	uint64_t n = 0, bytes = 0;
	int ok = 1;

	CHECK_INT(vtape_create(p, "R00001L9", 64 << 20, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	for (unsigned i = 0; i < 60; i++) {
		fx_fill(buf, rec_len(i), i);
		if (tape_write(t, buf, rec_len(i)) != (ssize_t)rec_len(i))
			ok = 0;
		bytes += rec_len(i);
		if (i % 15 == 14 && i != 59)
			CHECK_INT(tape_weof(t, 1), 0);
	}
	CHECK(ok);
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), 0);
	CHECK_INT(tape_locate(t, 16 + 3), 0); /* file 1, record 3 */
	CHECK_INT(tape_status(t, &st), 0);
	CHECK_INT(st.file, 1);
	CHECK_INT(st.block, 3);
	CHECK_INT(tape_space(t, &sp), 0);
	CHECK_INT(sp.capacity, 64 << 20);
	CHECK_INT(sp.remaining, (64 << 20) - bytes);
	CHECK_INT(tape_rewind(t), 0);
	for (unsigned i = 0; i < 60 && ok; i++) {
		ssize_t r = tape_read(t, rbuf, sizeof(rbuf));

		fx_fill(buf, rec_len(i), i);
		if (r != (ssize_t)rec_len(i) || memcmp(rbuf, buf, rec_len(i)))
			ok = 0;
		if (i % 15 == 14 && tape_read(t, rbuf, sizeof(rbuf)) != 0)
			ok = 0;
	}
	CHECK(ok);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO);
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(vtape_files(p, &fl, &n), 0);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_INT(fl[0].records, 15);
		CHECK_INT(fl[1].start_lblock, 16);
		CHECK_INT(fl[3].start_lblock, 48);
		CHECK_INT(fl[3].records, 15);
		CHECK(fl[3].has_filemark); /* close wrote it */
	}
	free(fl);
}

/* A crash while a record was written: the image ends inside it. What was
 * complete before stays; the torn record is end of data; writing goes on. */
static void test_torn_record(void)
{
	const char *p = path("torn.vtape");
	struct tape *t;
	struct vtape_info vi;
	struct stat sb;

	CHECK_INT(vtape_create(p, "T00001L9", 64 << 20, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	fx_fill(buf, 1000, 1);
	CHECK_INT(tape_write(t, buf, 1000), 1000);
	fx_fill(buf, 50000, 2);
	CHECK_INT(tape_write(t, buf, 50000), 50000);
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(stat(p, &sb), 0);
	CHECK(sb.st_size > 4096 + 16 + 1000 + 16 + 50000);
	/* cut inside the second record's data (fm, eod and index gone too) */
	CHECK_INT(truncate(p, 4096 + 16 + 1000 + 16 + 30000), 0);
	CHECK_INT(vtape_info(p, &vi), 0);
	CHECK_INT(vi.records, 1);
	CHECK_INT(vi.used, 1000);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	CHECK_INT(tape_fsr(t, 1), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO); /* end of data */
	fx_fill(buf, 7000, 3);
	CHECK_INT(tape_write(t, buf, 7000), 7000);
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(vtape_info(p, &vi), 0);
	CHECK_INT(vi.records, 2);
	CHECK_INT(vi.filemarks, 1);
	CHECK_INT(vi.used, 8000);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), 0);
	CHECK_INT(tape_fsr(t, 1), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 7000);
	CHECK_MEM(rbuf, buf, 7000);
	CHECK_INT(tape_close(t), 0);
}

static void test_model(void)
{
	const char *p = path("model.vtape");
	struct vtape_model m = {.rate_mbps = 100,
				.load_s = 30,
				.unload_s = 20,
				.locate_base_s = 2,
				.locate_s_per_gb = 10,
				.time_scale = 0};
	struct vtape_model got, bad = m;
	struct tape_counters c;
	struct tape *t;

	CHECK_INT(vtape_create(p, "M00001L9", 4ull << 30, 0), 0);
	CHECK_INT(vtape_set_model(p, &m), 0);
	CHECK_INT(vtape_get_model(p, &got), 0);
	CHECK(memcmp(&m, &got, sizeof(m)) == 0);
	bad.rate_mbps = -1;
	CHECK_INT(vtape_set_model(p, &bad), -EINVAL);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	CHECK_INT(tape_counters(t, &c), 0);
	CHECK(c.model_seconds > 29.999 && c.model_seconds < 30.001); /* load */
	memset(buf, 7, sizeof(buf));
	for (int i = 0; i < 10; i++) /* 2.5 MB at 100 MB/s: 0.025 s */
		CHECK_INT(tape_write(t, buf, 250000), 250000);
	CHECK_INT(tape_counters(t, &c), 0);
	CHECK(c.model_seconds > 30.0249 && c.model_seconds < 30.0251);
	CHECK_INT(c.records_written, 10);
	CHECK_INT(c.bytes_written, 2500000);
	/* rewind after a write: filemark, then 2 s + 0.0025 GB * 10 s/GB */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tape_counters(t, &c), 0);
	CHECK(c.model_seconds > 32.0499 && c.model_seconds < 32.0501);
	CHECK_INT(c.locates, 1);
	CHECK_INT(c.locate_records, 11);
	/* no move: still a command, 2 s; not counted as a move */
	CHECK_INT(tape_locate(t, 0), 0);
	CHECK_INT(tape_counters(t, &c), 0);
	CHECK(c.model_seconds > 34.0499 && c.model_seconds < 34.0501);
	CHECK_INT(c.locates, 1);
	CHECK_INT(tape_offline(t), 0);
	CHECK_INT(tape_counters(t, &c), 0);
	CHECK(c.model_seconds > 54.0499 && c.model_seconds < 54.0501);
	CHECK_INT(tape_close(t), 0);
}

static void test_trace(void)
{
	const char *p = path("trace.vtape"), *tr = path("trace.log");
	struct tape *t;

	CHECK_INT(vtape_create(p, "X00001L9", 64 << 20, 0), 0);
	setenv("TAPEFS_VTAPE_TRACE", tr, 1);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	CHECK_INT(tape_write(t, buf, 100), 100);
	CHECK_INT(tape_write(t, buf, 200), 200);
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(tape_write(t, buf, 300), 300);
	CHECK_INT(tape_locate(t, 1), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 200);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0);
	CHECK_INT(tape_fsf(t, 1), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO);
	CHECK_INT(tape_close(t), 0);
	unsetenv("TAPEFS_VTAPE_TRACE");
	const char *want = "X00001L9 open rw 0\n"
			   "X00001L9 write 0 100\n"
			   "X00001L9 write 1 200\n"
			   "X00001L9 weof 1 2\n"
			   "X00001L9 write 3 300\n"
			   "X00001L9 weof 1 4\n"
			   "X00001L9 locate 5 -> 1\n"
			   "X00001L9 read 1 200\n"
			   "X00001L9 read 2 filemark\n"
			   "X00001L9 fsf 1 3\n"
			   "X00001L9 read 5 eod\n"
			   "X00001L9 close 5\n";
	char *got = fx_slurp(tr);

	CHECK(got && strcmp(got, want) == 0);
	if (got && strcmp(got, want) != 0)
		fprintf(stderr, "# trace:\n%s", got);
	free(got);
}

struct worker {
	char image[512];
	int ok;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned char *b = malloc(65536), *r = malloc(65536);
	struct tape *t;

	w->ok = b && r &&
		tape_open(&t, tape_backend("vtape"), w->image, TAPE_RDWR) == 0;
	for (unsigned i = 0; w->ok && i < 200; i++) {
		fx_fill(b, 65536, i);
		w->ok = tape_write(t, b, 65536) == 65536;
	}
	if (w->ok)
		w->ok = tape_rewind(t) == 0;
	for (unsigned i = 0; w->ok && i < 200; i++) {
		fx_fill(b, 65536, i);
		w->ok =
		    tape_read(t, r, 65536) == 65536 && memcmp(r, b, 65536) == 0;
	}
	if (w->ok)
		w->ok = tape_close(t) == 0;
	free(b);
	free(r);
	return NULL;
}

static void test_threads(void)
{
	struct worker w[3];
	pthread_t th[3];

	for (int i = 0; i < 3; i++) {
		char name[32];

		snprintf(name, sizeof(name), "thr%d.vtape", i);
		snprintf(w[i].image, sizeof(w[i].image), "%s", path(name));
		CHECK_INT(vtape_create(w[i].image, name, 64 << 20, 0), 0);
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK(w[i].ok);
	}
}

/* Bytes this process has read through system calls (/proc/self/io). */
static long long rchar(void)
{
	char line[128];
	long long v = -1;
	FILE *fp = fopen("/proc/self/io", "r");

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "rchar: %lld", &v) == 1)
			break;
	if (fp)
		fclose(fp);
	return v;
}

/* Opening walks the headers only; locating and spacing read nothing. */
static void test_positioning_reads_no_data(void)
{
	const char *p = path("noread.vtape");
	struct tape *t;
	struct tape_status st;
	long long r0, r1, r2, cost;

	CHECK_INT(vtape_create(p, "N00001L9", 64 << 20, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	memset(buf, 1, sizeof(buf));
	for (int i = 0; i < 40; i++) /* 10 MiB */
		CHECK_INT(tape_write(t, buf, 262144), 262144);
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(tape_write(t, buf, 1000), 1000);
	CHECK_INT(tape_close(t), 0);
	r0 = rchar();
	cost = rchar() - r0; /* reading /proc/self/io counts too */
	r0 = rchar();
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), 0);
	r1 = rchar();
	CHECK(r1 - r0 < 4096 + 50 * 16 + 1024); /* header + record headers */
	CHECK_INT(tape_locate(t, 39), 0);
	CHECK_INT(tape_fsf(t, 1), 0);
	CHECK_INT(tape_bsr(t, 1), -EIO);
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tape_eom(t), 0);
	CHECK_INT(tape_goto_file(t, 1), 0);
	CHECK_INT(tape_status(t, &st), 0);
	r2 = rchar();
	CHECK_INT(r2 - r1, cost);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 1000);
	CHECK(rchar() - r2 >= 1000);
	CHECK_INT(tape_close(t), 0);
}

/* An image of many small records: NREC records, a filemark, 5 records,
 * the filemark of the close. */
#define NREC 20000
static void many_records(const char *p)
{
	struct tape *t;
	int ok = 1;

	CHECK_INT(vtape_create(p, "M00001L9", 64 << 20, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	for (unsigned i = 0; i < NREC && ok; i++) {
		fx_fill(buf, 40, i);
		ok = tape_write(t, buf, 40) == 40;
	}
	CHECK(ok);
	CHECK_INT(tape_weof(t, 1), 0);
	for (unsigned i = 0; i < 5; i++) {
		fx_fill(buf, 100 + i, NREC + i);
		CHECK_INT(tape_write(t, buf, 100 + i), 100 + i);
	}
	CHECK_INT(tape_close(t), 0);
}

/* Bytes read by opening p read-only (and its record count, lblock). */
static long long open_cost(const char *p, uint64_t *records)
{
	struct tape *t;
	struct tape_status st;
	long long r0, r1, cost;

	r0 = rchar();
	cost = rchar() - r0;
	r0 = rchar();
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), 0);
	r1 = rchar();
	CHECK_INT(tape_eom(t), 0);
	CHECK_INT(tape_status(t, &st), 0);
	*records = st.lblock;
	CHECK_INT(tape_close(t), 0);
	return r1 - r0 - cost;
}

/* The records of many_records() are all there and read back. */
static void check_many(const char *p, unsigned extra)
{
	struct tape *t;
	struct tape_status st;

	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), 0);
	CHECK_INT(tape_locate(t, NREC - 1), 0);
	fx_fill(buf, 40, NREC - 1);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 40);
	CHECK_MEM(rbuf, buf, 40);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0);
	CHECK_INT(tape_fsr(t, 4), 0);
	CHECK_INT(tape_status(t, &st), 0);
	CHECK_INT(st.file, 1);
	CHECK_INT(st.block, 4);
	fx_fill(buf, 104, NREC + 4);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 104);
	CHECK_MEM(rbuf, buf, 104);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0);
	for (unsigned i = 0; i < extra; i++)
		CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 7);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO); /* end of data */
	CHECK_INT(tape_close(t), 0);
}

/* A closed image opens from its stored index: the record headers are not
 * walked (a walk reads 16 bytes per record: 320 KB here). */
static void test_index_open_no_walk(void)
{
	const char *p = path("many.vtape");
	struct vtape_info vi;
	uint64_t n = 0;
	long long cost;

	many_records(p);
	cost = open_cost(p, &n);
	CHECK_INT(n, NREC + 2 + 5);
	CHECK(cost < 8192);
	if (cost >= 8192)
		fprintf(stderr, "# open read %lld bytes\n", cost);
	check_many(p, 0);
	CHECK_INT(vtape_info(p, &vi), 0);
	CHECK_INT(vi.records, NREC + 5);
	CHECK_INT(vi.filemarks, 2); /* weof, and close after writes */
	CHECK_INT(vi.used, NREC * 40 + 100 + 101 + 102 + 103 + 104);
}

/* Records whose padding varies (70000 bytes: not a multiple of 4096) and
 * records that stay aligned (256 KiB), mixed with small ones: the stored
 * index gives every record's place back exactly. */
static void test_index_padded_records(void)
{
	static const size_t lens[] = {70000, 262144, 100, 65536, 1};
	const char *p = path("padded.vtape");
	struct tape *t;
	uint64_t n = 0;
	int ok = 1;

	CHECK_INT(vtape_create(p, "Q00001L9", 64 << 20, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	for (unsigned i = 0; i < 40 && ok; i++) {
		size_t len = lens[(i / 4) % 5];

		fx_fill(buf, len, i);
		ok = tape_write(t, buf, len) == (ssize_t)len;
	}
	CHECK(ok);
	CHECK_INT(tape_close(t), 0);
	CHECK(open_cost(p, &n) < 8192);
	CHECK_INT(n, 41);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), 0);
	for (unsigned k = 0; k < 40 && ok; k++) {
		unsigned i = (k * 17) % 40; /* out of order: locate each */
		size_t len = lens[(i / 4) % 5];

		fx_fill(buf, len, i);
		ok = tape_locate(t, i) == 0 &&
		     tape_read(t, rbuf, sizeof(rbuf)) == (ssize_t)len &&
		     memcmp(rbuf, buf, len) == 0;
		if (!ok)
			fprintf(stderr, "# record %u\n", i);
	}
	CHECK(ok);
	CHECK_INT(tape_locate(t, 40), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0); /* close's filemark */
	CHECK_INT(tape_close(t), 0);
}

/* A writer killed after writing (no filemark, no close): the stored index
 * is stale; the next open sees it, walks the headers and finds every
 * record; the next close stores a current index again. */
static void test_index_stale_after_crash(void)
{
	const char *p = path("crash.vtape");
	struct tape *t;
	uint64_t n = 0;
	long long cost;
	unsigned char x = 0xff;
	pid_t pid;
	int status = -1;

	many_records(p);
	pid = fork();
	if (pid == 0) {
		struct tape *c;

		if (tape_open(&c, tape_backend("vtape"), p, TAPE_RDWR) != 0 ||
		    tape_eom(c) != 0)
			_exit(1);
		for (int i = 0; i < 3; i++)
			if (tape_write(c, "written", 7) != 7)
				_exit(1);
		_exit(0); /* killed: no close */
	}
	CHECK(pid > 0);
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK_INT(status, 0);
	cost = open_cost(p, &n);
	CHECK(cost >= NREC * 16); /* walked */
	CHECK_INT(n, NREC + 2 + 5 + 3);
	check_many(p, 3);
	/* a read-write open and close stores the index again */
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	CHECK_INT(tape_close(t), 0);
	cost = open_cost(p, &n);
	CHECK(cost < 8192);
	CHECK_INT(n, NREC + 2 + 5 + 3);
	check_many(p, 3);

	/* a damaged index (one byte of a run) is not used: walked */
	{
		struct stat sb;

		CHECK_INT(stat(p, &sb), 0);
		corrupt(p, sb.st_size - 32 - 24 + 8, &x, 1);
	}
	cost = open_cost(p, &n);
	CHECK(cost >= NREC * 16);
	CHECK_INT(n, NREC + 2 + 5 + 3);
	check_many(p, 3);
}

/* An index that does not match the records (here: the first header
 * changed behind it; the first, the last and 14 records between are
 * compared) is not used either. */
static void test_index_mismatch(void)
{
	const char *p = path("mismatch.vtape");
	unsigned char len41 = 41;
	uint64_t n = 0;

	many_records(p);
	/* the first record claims 41 bytes: the index says 40 */
	corrupt(p, 4096 + 8, &len41, 1);
	open_cost(p, &n);
	/* walked: the second header is not where the first says */
	CHECK_INT(n, 1);
}

/* Faults injected while the image is open (here: through another file
 * description, as `tapefs vtape inject` does) are seen at once; a record
 * written over loses its fault. */
static void test_live_inject(void)
{
	const char *p = path("live.vtape");
	struct tape *t;

	CHECK_INT(vtape_create(p, "I00001L9", 64 << 20, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	for (unsigned i = 0; i < 6; i++) {
		fx_fill(buf, 70000, i);
		CHECK_INT(tape_write(t, buf, 70000), 70000);
	}
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(vtape_inject(p, VTAPE_FAULT_UNREADABLE, 2, 0), 0);
	CHECK_INT(vtape_inject(p, VTAPE_FAULT_UNREADABLE, 4, 0), 0);
	CHECK_INT(vtape_inject(p, VTAPE_FAULT_UNREADABLE, 6, 0), -EINVAL);
	CHECK_INT(tape_locate(t, 1), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 70000);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 70000); /* moved past */
	fx_fill(buf, 70000, 3);
	CHECK_MEM(rbuf, buf, 70000);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO);
	/* write over record 4: the new record reads */
	CHECK_INT(tape_locate(t, 4), 0);
	fx_fill(buf, 1000, 44);
	CHECK_INT(tape_write(t, buf, 1000), 1000);
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), 0);
	CHECK_INT(tape_locate(t, 2), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO); /* persisted */
	CHECK_INT(tape_fsr(t, 1), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 1000);
	CHECK_MEM(rbuf, buf, 1000);
	CHECK_INT(vtape_inject(p, VTAPE_FAULT_CLEAR, 0, 0), 0);
	CHECK_INT(tape_locate(t, 2), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 70000);
	fx_fill(buf, 70000, 2);
	CHECK_MEM(rbuf, buf, 70000);
	CHECK_INT(tape_close(t), 0);
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A version 1 image, written here byte for byte as docs/vtape.md says:
 * "abc", a 65536-byte record after 4080 bytes of padding, a filemark,
 * "xyz" flagged unreadable, end of data. It is read and written as
 * version 1 (no stored index). */
static void test_version1(void)
{
	const char *p = path("v1.vtape");
	size_t size = 4096 + 19 + 16 + 4080 + 65536 + 16 + 19 + 16;
	unsigned char *im = calloc(1, size), *r, b[16];
	struct vtape_info vi;
	struct tape *t;
	struct stat sb;
	int fd;

	memcpy(im, "TAPEFSVT", 8);
	put_le(im + 8, 1, 4);
	put_le(im + 12, 4096, 4);
	put_le(im + 16, 16, 4);
	strcpy((char *)im + 24, "V00001L9");
	put_le(im + 64, 64 << 20, 8);
	put_le(im + 72, 1 << 20, 8);
	put_le(im + 136, UINT64_MAX, 8);
	r = im + 4096;
	memcpy(r, "VREC\1\0\0\0", 8);
	put_le(r + 8, 3, 8);
	memcpy(r + 16, "abc", 3);
	r += 19;
	memcpy(r, "VREC\1\0", 6);
	put_le(r + 6, 4080, 2);
	put_le(r + 8, 65536, 8);
	fx_fill(r + 16 + 4080, 65536, 7);
	r += 16 + 4080 + 65536;
	memcpy(r, "VREC\2\0\0\0", 8);
	r += 16;
	memcpy(r, "VREC\1\1\0\0", 8); /* flags: unreadable */
	put_le(r + 8, 3, 8);
	memcpy(r + 16, "xyz", 3);
	r += 19;
	memcpy(r, "VREC\3\0\0\0", 8);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK_INT(write(fd, im, size), (ssize_t)size);
	close(fd);

	CHECK_INT(vtape_info(p, &vi), 0);
	CHECK_INT(vi.records, 3);
	CHECK_INT(vi.filemarks, 1);
	CHECK_INT(vi.used, 65536 + 6);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDWR), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 3);
	CHECK_MEM(rbuf, "abc", 3);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 65536);
	fx_fill(buf, 65536, 7);
	CHECK_MEM(rbuf, buf, 65536);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO); /* unreadable */
	CHECK_INT(tape_write(t, "new", 3), 3);
	CHECK_INT(tape_close(t), 0);
	/* still version 1: the file ends right after end of data */
	CHECK_INT(stat(p, &sb), 0);
	CHECK_INT(sb.st_size, size + 19 + 16);
	fd = open(p, O_RDONLY);
	CHECK_INT(pread(fd, b, 16, 0), 16);
	CHECK_INT(b[8], 1);
	CHECK_INT(pread(fd, b, 16, sb.st_size - 16), 16);
	CHECK_MEM(b, "VREC\3", 5);
	close(fd);
	/* faults on a version 1 image: the flag of the record header */
	CHECK_INT(vtape_inject(p, VTAPE_FAULT_UNREADABLE, 0, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), p, TAPE_RDONLY), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), -EIO);
	CHECK_INT(vtape_inject(p, VTAPE_FAULT_CLEAR, 0, 0), 0); /* live */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 3);
	CHECK_INT(tape_locate(t, 3), 0);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 3);
	CHECK_MEM(rbuf, "xyz", 3);
	CHECK_INT(tape_read(t, rbuf, sizeof(rbuf)), 3);
	CHECK_MEM(rbuf, "new", 3);
	CHECK_INT(tape_close(t), 0);
	free(im);
}

static void test_bad_backend(void)
{
	CHECK(tape_backend("nosuch") == NULL);
	CHECK(tape_backend(NULL) == NULL);
	CHECK(tape_backend("vtape") != NULL);
	CHECK(tape_backend("st") != NULL);
}

int main(void)
{
	if (fx_mkdtemp(dir, sizeof(dir), "vtf"))
		return check_done();
	RUN(test_create);
	RUN(test_layout);
	RUN(test_layout_padding);
	RUN(test_damaged_header);
	RUN(test_reopen_keeps_everything);
	RUN(test_torn_record);
	RUN(test_model);
	RUN(test_trace);
	RUN(test_threads);
	RUN(test_positioning_reads_no_data);
	RUN(test_index_open_no_walk);
	RUN(test_index_padded_records);
	RUN(test_index_stale_after_crash);
	RUN(test_index_mismatch);
	RUN(test_live_inject);
	RUN(test_version1);
	RUN(test_bad_backend);
	return check_done();
}
