/* tests/test_tar_faults.c - the writer and reader under faults: a copy
 * reaching early warning or failing writes is abandoned alone; a source
 * that changes, shrinks or vanishes aborts the archive naming it; cancel
 * stops everything; an unreadable record is -EIO and a flipped byte
 * -EBADMSG for exactly the member it hits. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tapeio/md5.h"
#include "tapeio/tape.h"
#include "tapeio/tarr.h"
#include "tapeio/tarw.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS  (64 * 1024)
#define MiB (1024 * 1024)

/* A slow drive: a vtape whose every write takes 1.6 ms more (40 MB/s for
 * 64 KiB records) with no buffer in front, so that a writer is held back
 * deterministically whatever the vtape speed model does. */
#define SLOW(t) ((struct tape *)(t)->priv)
static int slow_open(struct tape *t, const char *dev, int mode)
{
	struct tape *inner = NULL;
	int ret = tape_open(&inner, tape_backend("vtape"), dev, mode);

	t->priv = inner;
	return ret;
}
static int slow_close(struct tape *t)
{
	return tape_close(SLOW(t));
}
static ssize_t slow_read(struct tape *t, void *b, size_t n)
{
	return tape_read(SLOW(t), b, n);
}
static ssize_t slow_write(struct tape *t, const void *b, size_t n)
{
	struct timespec d = {0, 1600 * 1000};

	nanosleep(&d, NULL);
	return tape_write(SLOW(t), b, n);
}
static int slow_weof(struct tape *t, unsigned c)
{
	return tape_weof(SLOW(t), c);
}
static int slow_fsf(struct tape *t, unsigned c)
{
	return tape_fsf(SLOW(t), c);
}
static int slow_bsf(struct tape *t, unsigned c)
{
	return tape_bsf(SLOW(t), c);
}
static int slow_fsr(struct tape *t, unsigned c)
{
	return tape_fsr(SLOW(t), c);
}
static int slow_bsr(struct tape *t, unsigned c)
{
	return tape_bsr(SLOW(t), c);
}
static int slow_rewind(struct tape *t)
{
	return tape_rewind(SLOW(t));
}
static int slow_eom(struct tape *t)
{
	return tape_eom(SLOW(t));
}
static int slow_locate(struct tape *t, uint64_t l)
{
	return tape_locate(SLOW(t), l);
}
static int slow_tell(struct tape *t, uint64_t *l)
{
	return tape_tell(SLOW(t), l);
}
static int slow_status(struct tape *t, struct tape_status *st)
{
	return tape_status(SLOW(t), st);
}
static int slow_counters(struct tape *t, struct tape_counters *c)
{
	return tape_counters(SLOW(t), c);
}
static int slow_offline(struct tape *t)
{
	return tape_offline(SLOW(t));
}

static const struct tape_ops slow_ops = {
    .name = "slow",
    .open = slow_open,
    .close = slow_close,
    .read = slow_read,
    .write = slow_write,
    .weof = slow_weof,
    .fsf = slow_fsf,
    .bsf = slow_bsf,
    .fsr = slow_fsr,
    .bsr = slow_bsr,
    .rewind = slow_rewind,
    .eom = slow_eom,
    .locate = slow_locate,
    .tell = slow_tell,
    .status = slow_status,
    .counters = slow_counters,
    .offline = slow_offline,
};

/* A new vtape image at path; slow: through the slow drive above. */
static struct tape *vt(const char *path, uint64_t cap, uint64_t ew, int slow)
{
	struct tape *t = NULL;

	if (!slow)
		return fx_vtape(path, NULL, cap, ew);
	unlink(path);
	CHECK_INT(vtape_create(path, path, cap, ew), 0);
	CHECK_INT(tape_open(&t, &slow_ops, path, TAPE_RDWR), 0);
	return t;
}

static struct tarw_source srcs[4];

static void make_sources(void)
{
	fx_make_file("f1", 3 * MiB + 5, 1);
	fx_make_file("f2", 1 * MiB, 2);
	fx_make_file("f3", 100, 3);
	fx_source(&srcs[0], "f1");
	fx_source(&srcs[1], "f2");
	fx_source(&srcs[2], "f3");
}

/* Walk the archive at file 0 of t: every member's MD5 matches the file. */
static void check_archive(struct tape *t, size_t n)
{
	struct tar_member m = {0};
	char hex[MD5_HEX_SIZE];
	struct tarr *r = NULL;
	size_t i = 0;
	int ret;

	CHECK_INT(tape_goto_file(t, 0), 0);
	CHECK_INT(tarr_open(&r, t, BS), 0);
	while ((ret = tarr_next(r, &m)) == 1) {
		if (strcmp(m.name, MANIFEST_MEMBER)) {
			CHECK_INT(tarr_data(r, &m, NULL, NULL), 0);
			CHECK_INT(fx_file_md5(m.name, hex), 0);
			CHECK_STR(m.md5, hex);
			i++;
		}
		tar_member_clear(&m);
	}
	CHECK_INT(ret, 0);
	CHECK_INT(i, n);
	tarr_free(r);
}

static int run2(struct tape *a, struct tape *b, struct tarw **w, size_t n)
{
	struct tarw_opts o = {.block_size = BS, .buffer_bytes = MiB};
	struct tape *tapes[2] = {a, b};

	if (tarw_new(w, tapes, b ? 2 : 1, &o))
		return -999;
	return tarw_run(*w, srcs, n);
}

static void test_early_warning_one_copy(void)
{
	/* t1: 2 MiB tape, early warning 1 MiB before the end. */
	struct tape *t0 = vt("ew0.vtape", 1ull << 30, 0, 0);
	struct tape *t1 = vt("ew1.vtape", 2 * MiB, 1 * MiB, 0);
	struct tarw *w = NULL;
	size_t n;

	CHECK_INT(run2(t0, t1, &w, 3), 0);
	CHECK_INT(tarw_copy(w, 0)->state, TARW_COPY_DONE);
	CHECK_INT(tarw_copy(w, 1)->state, TARW_COPY_FULL);
	CHECK_INT(tarw_copy(w, 1)->err, -ENOSPC);
	CHECK(tarw_copy(w, 1)->records <= 2 * MiB / BS);
	CHECK(tarw_copy(w, 0)->records > tarw_copy(w, 1)->records);
	CHECK(tarw_members(w, &n) != NULL);
	CHECK_INT(n, 3);
	check_archive(t0, 3);
	tarw_free(w);
	tape_close(t0);
	tape_close(t1);
}

static void test_end_of_medium_both(void)
{
	/* Tiny early-warning zones: writes run into end of medium. */
	struct tape *t0 = vt("eom0.vtape", 1 * MiB, BS, 0);
	struct tape *t1 = vt("eom1.vtape", 2 * MiB, BS, 0);
	struct tarw *w = NULL;
	size_t n;

	CHECK_INT(run2(t0, t1, &w, 3), -ENOSPC);
	CHECK_INT(tarw_copy(w, 0)->state, TARW_COPY_FULL);
	CHECK_INT(tarw_copy(w, 1)->state, TARW_COPY_FULL);
	CHECK(tarw_members(w, &n) == NULL);
	tarw_free(w);
	tape_close(t0);
	tape_close(t1);
}

static void test_write_error(void)
{
	struct tape *t0 = vt("we0.vtape", 1ull << 30, 0, 0);
	struct tape *t1 = vt("we1.vtape", 1ull << 30, 0, 0);
	struct tarw *w = NULL;

	CHECK_INT(vtape_inject("we1.vtape", VTAPE_FAULT_WRITE_FAIL, 5 * BS, 0),
		  0);
	CHECK_INT(run2(t0, t1, &w, 3), 0);
	CHECK_INT(tarw_copy(w, 0)->state, TARW_COPY_DONE);
	CHECK_INT(tarw_copy(w, 1)->state, TARW_COPY_ERROR);
	CHECK_INT(tarw_copy(w, 1)->err, -EIO);
	CHECK_INT(tarw_copy(w, 1)->records, 5);
	check_archive(t0, 3);
	tarw_free(w);
	/* Every copy failing: -EIO. */
	CHECK_INT(tape_rewind(t0), 0);
	CHECK_INT(vtape_inject("we0.vtape", VTAPE_FAULT_WRITE_FAIL, BS, 0), 0);
	CHECK_INT(tape_rewind(t1), 0);
	CHECK_INT(run2(t0, t1, &w, 3), -EIO);
	CHECK_INT(tarw_copy(w, 0)->state, TARW_COPY_ERROR);
	CHECK_INT(tarw_copy(w, 1)->state, TARW_COPY_ERROR);
	tarw_free(w);
	tape_close(t0);
	tape_close(t1);
}

static void expect_changed(size_t n, size_t idx, int why)
{
	struct tape *t0 = vt("ch0.vtape", 1ull << 30, 0, 0);
	struct tape *t1 = vt("ch1.vtape", 1ull << 30, 0, 0);
	struct tarw *w = NULL;
	int got = 0;
	size_t cnt;

	CHECK_INT(run2(t0, t1, &w, n), why == -EINVAL ? -EINVAL : -ESTALE);
	CHECK_INT(tarw_changed(w, &got), idx);
	CHECK_INT(got, why);
	CHECK_INT(tarw_copy(w, 0)->state, TARW_COPY_ABORTED);
	CHECK_INT(tarw_copy(w, 1)->state, TARW_COPY_ABORTED);
	CHECK(tarw_members(w, &cnt) == NULL);
	CHECK_INT(cnt, 0);
	tarw_free(w);
	tape_close(t0);
	tape_close(t1);
}

static void test_changed_before_read(void)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {1000, 5}};
	int fd;

	/* Grown since the snapshot. */
	fd = open("f2", O_WRONLY | O_APPEND);
	CHECK(write(fd, "more", 4) == 4);
	close(fd);
	expect_changed(3, 1, -ESTALE);
	fx_source(&srcs[1], "f2");
	/* Same size, other mtime. */
	CHECK_INT(utimensat(AT_FDCWD, "f3", ts, 0), 0);
	expect_changed(3, 2, -ESTALE);
	fx_source(&srcs[2], "f3");
	/* Vanished. */
	fx_make_file("gone", 10, 9);
	fx_source(&srcs[3], "gone");
	unlink("gone");
	expect_changed(4, 3, -ENOENT);
	/* Replaced by a symlink: never followed. */
	fx_make_file("gone", 10, 9);
	fx_source(&srcs[3], "gone");
	unlink("gone");
	CHECK_INT(symlink("f3", "gone"), 0);
	expect_changed(4, 3, -ELOOP);
	/* A symlink whose target changed length. */
	fx_source(&srcs[3], "gone");
	unlink("gone");
	CHECK_INT(symlink("f3-longer", "gone"), 0);
	expect_changed(4, 3, -ESTALE);
	unlink("gone");
	/* A regular file replaced by a fifo: refused, not waited on. */
	fx_make_file("gone", 10, 9);
	fx_source(&srcs[3], "gone");
	unlink("gone");
	CHECK_INT(mkfifo("gone", 0644), 0);
	expect_changed(4, 3, -ESTALE);
	unlink("gone");
	/* A symlink re-pointed to a target of the same length. */
	CHECK_INT(symlink("f1", "gone"), 0);
	fx_source(&srcs[3], "gone");
	unlink("gone");
	usleep(20000);
	CHECK_INT(symlink("f2", "gone"), 0);
	expect_changed(4, 3, -ESTALE);
	unlink("gone");
	/* Replaced by another file of the same size and mtime (a decoy
	 * swapped in): another inode. */
	fx_make_file("gone", 10, 9);
	fx_source(&srcs[3], "gone");
	fx_make_file("twin", 10, 10);
	ts[1] = srcs[3].st.st_mtim;
	CHECK_INT(utimensat(AT_FDCWD, "twin", ts, 0), 0);
	CHECK_INT(rename("twin", "gone"), 0);
	expect_changed(4, 3, -ESTALE);
	/* Rewritten in place, size and mtime put back: its ctime moved. */
	fx_source(&srcs[3], "gone");
	usleep(20000);
	fx_make_file("gone", 10, 11);
	ts[1] = srcs[3].st.st_mtim;
	CHECK_INT(utimensat(AT_FDCWD, "gone", ts, 0), 0);
	expect_changed(4, 3, -ESTALE);
	unlink("gone");
	/* A fifo is not archived: -EINVAL naming it. */
	CHECK_INT(mkfifo("fifo", 0644), 0);
	fx_source(&srcs[3], "fifo");
	expect_changed(4, 3, -EINVAL);
	/* An empty member name. */
	fx_source(&srcs[3], "f3");
	srcs[3].name = "";
	expect_changed(4, 3, -EINVAL);
}

/* --- changes while the file is being read: a slow tape holds the reader
 * back (1 MiB of buffer), and a thread changes the file meanwhile. */
enum change { GROW_MTIME, TRUNCATE };
static enum change change_kind;
static int change_ok; /* checked by the main thread after the join */

static void *changer_main(void *arg)
{
	struct timespec d = {0, 150 * 1000 * 1000};
	int fd;

	(void)arg;
	nanosleep(&d, NULL);
	if (change_kind == TRUNCATE) {
		change_ok = truncate("slow", 2 * MiB) == 0;
		return NULL;
	}
	fd = open("slow", O_WRONLY);
	change_ok = pwrite(fd, "X", 1, 0) == 1;
	close(fd);
	return NULL;
}

/* An aborted archive leaves no filemark, no manifest, and no end of
 * archive after a zero-padded member: a walk of it fails. */
static void check_no_archive(struct tape *t, const char *image,
			     int short_member)
{
	struct tar_member m = {0};
	struct vtape_info vi;
	struct tarr *r = NULL;
	int ret, manifest = 0, data_err = 0;

	CHECK_INT(vtape_info(image, &vi), 0);
	CHECK_INT(vi.filemarks, 0);
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarr_open(&r, t, BS), 0);
	while ((ret = tarr_next(r, &m)) == 1) {
		manifest += !strcmp(m.name, MANIFEST_MEMBER);
		if (tarr_data(r, &m, NULL, NULL) < 0)
			data_err++;
		tar_member_clear(&m);
	}
	CHECK(ret < 0);
	CHECK_INT(manifest, 0);
	/* The member cut short is not completed with zeros. */
	if (short_member)
		CHECK_INT(data_err, 1);
	tarr_free(r);
}

static void during_read(enum change kind, int why)
{
	struct tape *t0 = vt("dr0.vtape", 1ull << 30, 0, 1);
	struct tape *t1 = vt("dr1.vtape", 1ull << 30, 0, 0);
	struct tarw *w = NULL;
	pthread_t th;
	int got = 0, ret;

	fx_make_file("slow", 24 * MiB, 7);
	fx_source(&srcs[0], "f3");
	fx_source(&srcs[1], "slow");
	change_kind = kind;
	pthread_create(&th, NULL, changer_main, NULL);
	ret = run2(t0, t1, &w, 2);
	pthread_join(th, NULL);
	CHECK(change_ok);
	CHECK_INT(ret, -ESTALE);
	CHECK_INT(tarw_changed(w, &got), 1);
	CHECK_INT(got, why);
	CHECK_INT(tarw_copy(w, 0)->state, TARW_COPY_ABORTED);
	CHECK_INT(tarw_copy(w, 1)->state, TARW_COPY_ABORTED);
	tarw_free(w);
	check_no_archive(t1, "dr1.vtape", kind == TRUNCATE);
	tape_close(t0);
	tape_close(t1);
	unlink("slow");
}

static void test_changed_during_read(void)
{
	during_read(GROW_MTIME, -ESTALE);
	during_read(TRUNCATE, -ENODATA);
}

struct cancel_arg {
	struct tarw *w;
	int progress_ok; /* checked by the main thread after the join */
};

static void *cancel_main(void *arg)
{
	struct timespec d = {0, 150 * 1000 * 1000};
	struct cancel_arg *c = arg;

	nanosleep(&d, NULL);
	c->progress_ok = tarw_progress(c->w, 0) <= tarw_produced(c->w);
	tarw_cancel(c->w);
	return NULL;
}

static void test_cancel(void)
{
	struct tape *t0 = vt("cn0.vtape", 1ull << 30, 0, 1);
	struct tarw_opts o = {.block_size = BS, .buffer_bytes = MiB};
	struct tape *tapes[1] = {t0};
	struct cancel_arg ca;
	pthread_t th;

	fx_make_file("slow", 24 * MiB, 7);
	fx_source(&srcs[0], "slow");
	CHECK_INT(tarw_new(&ca.w, tapes, 1, &o), 0);
	pthread_create(&th, NULL, cancel_main, &ca);
	CHECK_INT(tarw_run(ca.w, srcs, 1), -ECANCELED);
	pthread_join(th, NULL);
	CHECK(ca.progress_ok);
	CHECK_INT(tarw_copy(ca.w, 0)->state, TARW_COPY_ABORTED);
	CHECK(tarw_progress(ca.w, 0) > 0);
	CHECK(tarw_progress(ca.w, 0) < 24 * MiB);
	tarw_free(ca.w);
	tape_close(t0);
	unlink("slow");
}

/* --- reading back damaged tapes */
static uint64_t lblock_of(uint64_t off)
{
	return off / BS; /* the archive starts at lblock 0 */
}

/* Read member m of the archive at the start of t alone; its MD5 must be
 * the recorded one. */
static int read_member(struct tape *t, const struct tar_member *m)
{
	return tarr_read_member(t, 0, m->header_offset, BS, m->md5, NULL, NULL,
				NULL);
}

static void test_unreadable_and_flipped(void)
{
	struct tape *t = vt("rd.vtape", 1ull << 30, 0, 0);
	struct tar_member m = {0}, mem[3];
	const struct tar_member *wm;
	struct tarr *r = NULL;
	struct tarw *w = NULL;
	uint64_t bad;
	size_t i, n;
	int ret;

	make_sources();
	CHECK_INT(run2(t, NULL, &w, 3), 0);
	wm = tarw_members(w, &n);
	for (i = 0; i < 3; i++)
		tar_member_copy(&mem[i], &wm[i]);
	tarw_free(w);

	/* A record in the middle of f1's data becomes unreadable. */
	bad = lblock_of(mem[0].data_offset + MiB);
	CHECK_INT(vtape_inject("rd.vtape", VTAPE_FAULT_UNREADABLE, bad, 0), 0);
	CHECK_INT(read_member(t, &mem[0]), -EIO);
	/* f3 lies after it and reads fine by locating past it. */
	CHECK_INT(read_member(t, &mem[2]), 0);
	/* Walking: f1 is unreadable, then the archive cannot go on. */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarr_open(&r, t, BS), 0);
	CHECK_INT(tarr_next(r, &m), 1);
	CHECK_STR(m.name, "f1");
	CHECK_INT(tarr_data(r, &m, NULL, NULL), -EIO);
	tar_member_clear(&m);
	CHECK_INT(tarr_next(r, &m), -EIO);
	tarr_free(r);
	/* Skipping over the bad record fails the same way. */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarr_open(&r, t, BS), 0);
	CHECK_INT(tarr_next(r, &m), 1);
	tar_member_clear(&m);
	ret = tarr_next(r, &m);
	CHECK_INT(ret, -EIO);
	tarr_free(r);
	CHECK_INT(vtape_inject("rd.vtape", VTAPE_FAULT_CLEAR, 0, 0), 0);

	/* A flipped byte in f2's data: -EBADMSG for f2 only. */
	bad = lblock_of(mem[1].data_offset + 1000);
	CHECK_INT(vtape_inject("rd.vtape", VTAPE_FAULT_FLIP, bad,
			       (mem[1].data_offset + 1000) % BS),
		  0);
	CHECK_INT(read_member(t, &mem[1]), -EBADMSG);
	CHECK_INT(read_member(t, &mem[0]), 0);
	CHECK_INT(read_member(t, &mem[2]), 0);
	/* Walking sees the other MD5 for f2 and the right ones elsewhere. */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarr_open(&r, t, BS), 0);
	for (i = 0; i < 3; i++) {
		CHECK_INT(tarr_next(r, &m), 1);
		CHECK_INT(tarr_data(r, &m, NULL, NULL), 0);
		if (i == 1)
			CHECK(strcmp(m.md5, mem[1].md5) != 0);
		else
			CHECK_STR(m.md5, mem[i].md5);
		tar_member_clear(&m);
	}
	tarr_free(r);
	for (i = 0; i < 3; i++)
		tar_member_clear(&mem[i]);
	tape_close(t);
}

/* The caller's opener: names resolved in a directory of its choosing;
 * whatever it opens is checked against the snapshot. */
static int opener_calls;
static int open_in_sub(void *arg, const struct tarw_source *src, int flags)
{
	int fd;

	opener_calls++;
	if (!strcmp(src->name, "planted"))
		return -ELOOP; /* as a resolver refusing a symlink would */
	fd = openat(*(int *)arg, src->name, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void test_opener(void)
{
	struct tape *t = vt("op.vtape", 1ull << 30, 0, 0);
	struct tarw_opts o = {.block_size = BS, .open = open_in_sub};
	struct tarw_source src[2];
	struct tarw *w = NULL;
	int dirfd, why = 0;
	size_t n;

	mkdir("sub", 0755);
	fx_make_file("sub/a", 1000, 21);
	fx_make_file("sub/b", 2000, 22);
	dirfd = open("sub", O_PATH | O_DIRECTORY);
	o.open_arg = &dirfd;
	fx_source(&src[0], "sub/a");
	fx_source(&src[1], "sub/b");
	src[0].path = src[1].path = NULL; /* the opener needs none */
	src[0].name = "a";
	src[1].name = "b";
	CHECK_INT(tarw_new(&w, &t, 1, &o), 0);
	CHECK_INT(tarw_run(w, src, 2), 0);
	CHECK(tarw_members(w, &n) != NULL);
	CHECK_INT(n, 2);
	CHECK_INT(opener_calls, 2);
	tarw_free(w);
	/* The opener hands over another file than the snapshot's. */
	src[1].name = "a";
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarw_new(&w, &t, 1, &o), 0);
	CHECK_INT(tarw_run(w, src, 2), -ESTALE);
	CHECK_INT(tarw_changed(w, &why), 1);
	CHECK_INT(why, -ESTALE);
	tarw_free(w);
	/* The opener refuses: its error is the reason. */
	src[1].name = "planted";
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarw_new(&w, &t, 1, &o), 0);
	CHECK_INT(tarw_run(w, src, 2), -ESTALE);
	CHECK_INT(tarw_changed(w, &why), 1);
	CHECK_INT(why, -ELOOP);
	tarw_free(w);
	close(dirfd);
	tape_close(t);
}

/* Bad arguments; an archive of no member holds just the manifest. */
static void test_edges(void)
{
	struct tape *t = vt("e.vtape", 1ull << 30, 0, 0);
	struct tarw_opts bad = {.block_size = 1000};
	const struct tar_member *man;
	struct tar_member m = {0};
	struct tape *tapes[TARW_MAX_COPIES + 1] = {t};
	struct tarr *r = NULL;
	struct tarw *w = NULL;
	size_t n = 1;

	CHECK_INT(tarw_new(&w, tapes, 0, NULL), -EINVAL);
	CHECK_INT(tarw_new(&w, tapes, TARW_MAX_COPIES + 1, NULL), -EINVAL);
	CHECK_INT(tarw_new(&w, tapes, 1, &bad), -EINVAL);
	CHECK_INT(tarw_new(&w, tapes, 2, NULL), -EINVAL); /* NULL tape */
	CHECK_INT(tarw_new(&w, tapes, 1, NULL), 0);
	CHECK(tarw_copy(w, 1) == NULL);
	CHECK_INT(tarw_changed(w, NULL), (size_t)-1);
	CHECK_INT(tarw_run(w, srcs, 0), 0);
	CHECK(tarw_members(w, &n) != NULL);
	CHECK_INT(n, 0);
	CHECK_INT(tarw_copy(w, 0)->records, 1);
	CHECK_INT(tarw_run(w, srcs, 0), -EINVAL); /* once per writer */
	tarw_free(w);
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarr_open(&r, t, 0), 0);
	CHECK_INT(tarr_next(r, &m), 1);
	CHECK_STR(m.name, MANIFEST_MEMBER);
	tar_member_clear(&m);
	CHECK_INT(tarr_manifest(r, &man, &n), -ENOENT); /* not read yet */
	CHECK_INT(tarr_next(r, &m), 0);
	CHECK_INT(tarr_manifest(r, &man, &n), 0);
	CHECK_INT(n, 0);
	tarr_free(r);
	/* Cancelled before it runs. */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarw_new(&w, tapes, 1, NULL), 0);
	tarw_cancel(w);
	CHECK_INT(tarw_run(w, srcs, 3), -ECANCELED);
	CHECK_INT(tarw_copy(w, 0)->state, TARW_COPY_ABORTED);
	tarw_free(w);
	tape_close(t);
}

/* Foreign data in a tape file: -EINVAL, not a crash. */
static void test_not_tar(void)
{
	struct tape *t = vt("junk.vtape", 1ull << 30, 0, 0);
	struct tar_member m = {0};
	struct tarr *r = NULL;
	char junk[BS];

	memset(junk, 'j', sizeof(junk));
	CHECK_INT(tape_write(t, junk, sizeof(junk)), sizeof(junk));
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarr_open(&r, t, BS), 0);
	CHECK_INT(tarr_next(r, &m), -EINVAL);
	tarr_free(r);
	/* A record larger than the reader's block size. */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarr_open(&r, t, 512), 0);
	CHECK_INT(tarr_next(r, &m), -EINVAL);
	tarr_free(r);
	tape_close(t);
}

int main(void)
{
	make_sources();
	RUN(test_early_warning_one_copy);
	RUN(test_end_of_medium_both);
	RUN(test_write_error);
	RUN(test_changed_before_read);
	RUN(test_opener);
	RUN(test_changed_during_read);
	RUN(test_cancel);
	RUN(test_unreadable_and_flipped);
	RUN(test_not_tar);
	RUN(test_edges);
	return check_done();
}
