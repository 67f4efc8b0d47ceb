/* tests/test_tcopy.c - the tape-to-tape copy (tapeio/tcopy.h): a copy is
 * the source's tape file record for record, every member is handed over
 * with the MD5 of its bytes; a flipped byte, an unreadable record, a
 * refusing caller, a full destination and a cancel each stop the copy on
 * the right side, and only a complete copy gets its filemark.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/tcopy.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS     16384
#define NFILES 6

static struct fx_archive arch;
static uint64_t start; /* the archive's first record on src.vtape */

/* src.vtape: label, then one archive of NFILES files (file 1). */
static int make_source(void)
{
	struct tarw_source src[NFILES];
	struct tarw_opts o = {.block_size = BS};
	struct tape *t = fx_vtape("src.vtape", "A00001L9", 64 << 20, 0);
	char name[32];
	int ret;

	if (!t)
		return -EIO;
	fx_label(t, NULL, "A00001L9", "A", BS);
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		fx_make_file(name, (size_t)(i * 40000 + 100), (unsigned)i + 1);
		fx_source(&src[i], name);
		src[i].name = strdup(name);
		src[i].path = src[i].name;
	}
	ret = fx_write_archive(&t, 1, src, NFILES, &o, &arch);
	start = arch.start[0];
	for (int i = 0; i < NFILES; i++)
		free((char *)src[i].name);
	tape_close(t);
	return ret;
}

struct seen {
	int n, refuse_at;
	char md5[NFILES + 1][33];
	char name[NFILES + 1][32];
};

static int on_member(void *arg, const struct tar_member *m)
{
	struct seen *s = arg;

	if (s->n <= NFILES) {
		snprintf(s->md5[s->n], sizeof(s->md5[0]), "%s", m->md5);
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", m->name);
	}
	if (++s->n == s->refuse_at)
		return -EBADMSG;
	return 0;
}

static int stop_now(void *arg, uint64_t bytes)
{
	return bytes >= *(uint64_t *)arg;
}

/* Copy file 1 of src.vtape to file 1 of a new dst.vtape of cap bytes. */
static int copy(uint64_t cap, struct seen *s, struct tcopy_result *res,
		tcopy_poll_fn poll, void *parg)
{
	struct tcopy_opts o = {.block_size = BS,
			       .buffer_bytes = 4 * BS,
			       .member = on_member,
			       .poll = poll,
			       .arg = s};
	struct tape *src, *dst;
	uint64_t stop_at = 0;
	int ret;

	if (poll) {
		stop_at = *(uint64_t *)parg;
		o.arg = &stop_at;
		o.member = NULL;
	}
	if (tape_open(&src, tape_backend("vtape"), "src.vtape", TAPE_RDONLY))
		return -EIO;
	dst = fx_vtape("dst.vtape", "B00001L9", cap, 0);
	if (!dst) {
		tape_close(src);
		return -EIO;
	}
	fx_label(dst, NULL, "B00001L9", "B", BS);
	CHECK_INT(tape_goto_file(src, 1), 0);
	ret = tcopy_run(src, dst, &o, res);
	tape_close(dst);
	tape_close(src);
	return ret;
}

static void test_copy_whole(void)
{
	struct seen s = {.refuse_at = -1};
	struct tcopy_result res;
	struct vtape_info vi;
	char *a, *b;

	CHECK_INT(copy(64 << 20, &s, &res, NULL, NULL), 0);
	CHECK_INT(res.side, TCOPY_DONE);
	CHECK_INT(res.bytes, arch.bytes);
	CHECK_INT(res.records, arch.bytes / BS);
	CHECK_INT(s.n, NFILES + 1); /* the files, then the manifest */
	for (int i = 0; i < NFILES; i++) {
		CHECK_STR(s.md5[i], arch.members[i].md5);
		CHECK_STR(s.name[i], arch.members[i].name);
	}
	CHECK_STR(s.name[NFILES], MANIFEST_MEMBER);
	/* the copy is the source, byte for byte, and ends with a filemark */
	{
		struct tape *t;
		CHECK_INT(tape_open(&t, tape_backend("vtape"), "src.vtape",
				    TAPE_RDONLY),
			  0);
		CHECK_INT(fx_export(t, 1, "a.tar"), 0);
		tape_close(t);
		CHECK_INT(tape_open(&t, tape_backend("vtape"), "dst.vtape",
				    TAPE_RDONLY),
			  0);
		CHECK_INT(fx_export(t, 1, "b.tar"), 0);
		tape_close(t);
	}
	a = fx_slurp("a.tar");
	b = fx_slurp("b.tar");
	CHECK(a && b);
	if (a && b)
		CHECK_MEM(a, b, arch.bytes);
	free(a);
	free(b);
	CHECK_INT(vtape_info("dst.vtape", &vi), 0);
	CHECK_INT(vi.filemarks, 2); /* the label's and the copy's */
}

static void test_flipped_byte(void)
{
	struct seen s = {.refuse_at = -1};
	struct tcopy_result res;
	uint64_t off = arch.members[3].data_offset + 7;
	uint64_t rec = start + off / BS;

	/* the caller compares with its MD5s: the walk hands over what the
	 * tape holds */
	CHECK_INT(vtape_inject("src.vtape", VTAPE_FAULT_FLIP, rec, off % BS),
		  0);
	CHECK_INT(copy(64 << 20, &s, &res, NULL, NULL), 0);
	CHECK(strcmp(s.md5[3], arch.members[3].md5) != 0);
	CHECK_STR(s.md5[2], arch.members[2].md5);
	CHECK_INT(vtape_inject("src.vtape", VTAPE_FAULT_FLIP, rec, off % BS),
		  0);
}

static void test_refused(void)
{
	struct seen s = {.refuse_at = 3};
	struct tcopy_result res;
	struct vtape_info vi, si;

	CHECK_INT(copy(64 << 20, &s, &res, NULL, NULL), -EBADMSG);
	CHECK_INT(res.side, TCOPY_CHECK);
	CHECK_INT(s.n, 3);
	CHECK_INT(vtape_info("dst.vtape", &vi), 0);
	CHECK_INT(vtape_info("src.vtape", &si), 0);
	/* never more than the source (its label and archive): the writer may
	 * have written up to all of it before the checker, which reads ahead
	 * of its hashing, came to the member it refused */
	CHECK(vi.used <= si.used);
	CHECK(res.bytes <= arch.bytes);
}

static void test_unreadable(void)
{
	struct seen s = {.refuse_at = -1};
	struct tcopy_result res;
	uint64_t rec = start + arch.members[4].data_offset / BS + 1;

	CHECK_INT(vtape_inject("src.vtape", VTAPE_FAULT_UNREADABLE, rec, 0), 0);
	CHECK_INT(copy(64 << 20, &s, &res, NULL, NULL), -EIO);
	CHECK_INT(res.side, TCOPY_SOURCE);
	CHECK(s.n <= 5);
	CHECK_INT(vtape_inject("src.vtape", VTAPE_FAULT_CLEAR, 0, 0), 0);
}

static void test_dest_full(void)
{
	struct seen s = {.refuse_at = -1};
	struct tcopy_result res;

	/* room for the label and about half the archive */
	CHECK_INT(copy(arch.bytes / 2 + 8 * BS, &s, &res, NULL, NULL), -ENOSPC);
	CHECK_INT(res.side, TCOPY_DEST);
	CHECK(res.bytes < arch.bytes);
}

static void test_dest_write_error(void)
{
	struct tcopy_opts o = {.block_size = BS};
	struct tcopy_result res;
	struct tape *src, *dst;

	CHECK_INT(
	    tape_open(&src, tape_backend("vtape"), "src.vtape", TAPE_RDONLY),
	    0);
	dst = fx_vtape("dst.vtape", "B00001L9", 64 << 20, 0);
	CHECK(dst != NULL);
	if (!dst)
		return;
	CHECK_INT(vtape_inject("dst.vtape", VTAPE_FAULT_WRITE_FAIL, 5 * BS, 0),
		  0);
	CHECK_INT(tape_goto_file(src, 1), 0);
	CHECK_INT(tcopy_run(src, dst, &o, &res), -EIO);
	CHECK_INT(res.side, TCOPY_DEST);
	CHECK_INT(res.records, 5);
	tape_close(dst);
	tape_close(src);
}

static void test_cancel(void)
{
	struct tcopy_result res;
	uint64_t at = 3 * BS;

	CHECK_INT(copy(64 << 20, NULL, &res, stop_now, &at), -ECANCELED);
	CHECK_INT(res.side, TCOPY_CANCELLED);
	CHECK(res.bytes < arch.bytes);
}

static void test_bad_input(void)
{
	struct tcopy_opts o = {.block_size = 1000};
	struct tcopy_result res;
	struct tape *t;

	CHECK_INT(
	    tape_open(&t, tape_backend("vtape"), "src.vtape", TAPE_RDONLY), 0);
	CHECK_INT(tcopy_run(t, t, &o, &res), -EINVAL);
	CHECK_INT(tcopy_run(NULL, t, &o, &res), -EINVAL);
	CHECK_INT(tcopy_run(t, t, NULL, &res), -EINVAL);
	/* the label (file 0) is a tar archive too, but a record longer than
	 * the block size given is refused by the walk */
	o.block_size = 512;
	CHECK_INT(tape_rewind(t), 0);
	{
		struct tape *d = fx_vtape("dst.vtape", "B00001L9", 64 << 20, 0);
		CHECK(tcopy_run(t, d, &o, &res) < 0);
		CHECK(res.side == TCOPY_SOURCE || res.side == TCOPY_CHECK);
		tape_close(d);
	}
	tape_close(t);
}

int main(void)
{
	if (make_source() < 0) {
		CHECK(0);
		return check_done();
	}
	RUN(test_copy_whole);
	RUN(test_flipped_byte);
	RUN(test_refused);
	RUN(test_unreadable);
	RUN(test_dest_full);
	RUN(test_dest_write_error);
	RUN(test_cancel);
	RUN(test_bad_input);
	fx_archive_free(&arch);
	return check_done();
}
