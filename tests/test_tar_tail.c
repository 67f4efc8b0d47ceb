/* tests/test_tar_tail.c - tarr_read_tail() finds the manifest of a tape
 * file from its end: one record read for a small archive, a few more for
 * a manifest longer than a record (the window grows backwards), none for
 * the label archive (its last member is not a manifest) nor for an archive
 * cut short (no filemark, no end-of-archive blocks), whose first record
 * is still a tar header; the tape then stands at the next file, and at
 * end of data the answer is -ENODATA. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tapeio/manifest.h"
#include "tapeio/tarr.h"
#include "tapeio/tarw.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS (16 * 1024) /* small records: a long manifest spans several */

static struct tarw_source *sources(size_t n, char ***names)
{
	struct tarw_source *src = calloc(n, sizeof(*src));

	*names = calloc(n, sizeof(char *));
	mkdir("src", 0755);
	for (size_t i = 0; src && *names && i < n; i++) {
		if (asprintf(&(*names)[i], "src/file-with-a-longish-name-%05zu",
			     i) < 0)
			abort();
		CHECK_INT(fx_make_file((*names)[i], 100 + i, (unsigned)i), 0);
		CHECK_INT(fx_source(&src[i], (*names)[i]), 0);
	}
	return src;
}

/* t at the start of file fileno, block 0. */
static int at_file(struct tape *t, long fileno)
{
	struct tape_status st;

	return tape_status(t, &st) == 0 && st.file == fileno && st.block == 0;
}

/* The tail of the next file: its manifest's members match want. Returns
 * the bytes read. */
static uint64_t expect_manifest(struct tape *t, long fileno,
				const struct fx_archive *want,
				uint64_t max_read)
{
	uint64_t read;
	struct tarr_tail tl;
	struct manifest mf;

	CHECK_INT(tarr_read_tail(t, BS, &tl), 0);
	CHECK(tl.manifest != NULL);
	CHECK(tl.filemark);
	CHECK_INT(tl.records * BS, want->bytes);
	CHECK_INT(tl.block_size, BS);
	CHECK_INT(tl.start_lblock, want->start[0]);
	CHECK(tl.bytes_read <= max_read);
	CHECK(at_file(t, fileno + 1));
	if (tl.manifest && manifest_decode(tl.manifest, tl.len, &mf) == 0) {
		CHECK_INT(mf.n, want->nmembers);
		for (size_t i = 0; i < mf.n && i < want->nmembers; i++) {
			CHECK_STR(mf.m[i].name, want->members[i].name);
			CHECK_STR(mf.m[i].md5, want->members[i].md5);
			CHECK_INT(mf.m[i].header_offset,
				  want->members[i].header_offset);
		}
		CHECK(tl.manifest_mtime > 1600000000);
		manifest_release(&mf);
	} else {
		CHECK(!"manifest decodes");
	}
	read = tl.bytes_read;
	tarr_tail_release(&tl);
	return read;
}

/* Append the first n records of the file at from's position to the
 * image at path, from a process killed before it closed the tape: no
 * filemark after them, what a crash leaves. */
static void crash_copy(struct tape *from, const char *path, int n)
{
	char *buf = malloc((size_t)n * BS);
	int status = -1;
	pid_t pid;

	for (int i = 0; buf && i < n; i++)
		CHECK_INT(tape_read(from, buf + (size_t)i * BS, BS), BS);
	pid = fork();
	if (pid == 0) {
		struct tape *c;

		if (tape_open(&c, tape_backend("vtape"), path, TAPE_RDWR) ||
		    tape_eom(c))
			_exit(1);
		for (int i = 0; i < n; i++)
			if (tape_write(c, buf + (size_t)i * BS, BS) != BS)
				_exit(1);
		_exit(0); /* killed: no close, no filemark */
	}
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK_INT(status, 0);
	free(buf);
}

static void test_tail(void)
{
	enum { NBIG = 1500 };
	struct tarw_opts o = {.block_size = BS};
	struct fx_archive small, big, none;
	struct tarr_tail tl;
	uint64_t read;
	struct tape *t, *u;
	struct tarw_source *src;
	char **names;

	src = sources(NBIG, &names);
	t = fx_vtape("t.vtape", "T00001L9", 1ull << 30, 0);
	u = fx_vtape("u.vtape", "U00001L9", 1ull << 30, 0);
	if (!src || !t || !u)
		return;
	CHECK_INT(fx_label(t, NULL, "T00001L9", "A", BS), 0);
	CHECK_INT(fx_write_archive(&t, 1, src, 3, &o, &small), 0);
	CHECK_INT(fx_write_archive(&t, 1, src, NBIG, &o, &big), 0);
	CHECK_INT(fx_write_archive(&t, 1, src, 0, &o, &none), 0);

	/* file 0, the label: its last member is no manifest */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarr_read_tail(t, 10240, &tl), 0);
	CHECK(tl.manifest == NULL && tl.filemark);
	CHECK(at_file(t, 1));
	tarr_tail_release(&tl);
	/* file 1: one record read, with less room than a record at first */
	CHECK_INT(tarr_read_tail(t, 4096, &tl), 0);
	CHECK(tl.manifest != NULL && tl.block_size == BS);
	CHECK_INT(tl.bytes_read, BS);
	tarr_tail_release(&tl);
	CHECK_INT(tape_goto_file(t, 1), 0);
	expect_manifest(t, 1, &small, BS);
	/* file 2: its manifest (some 250 KB) over many records, read with
	 * at most twice as many records as it needs */
	read = expect_manifest(t, 2, &big, 2 * (300 * 1024 + BS));
	CHECK(read > 8 * BS && read < big.bytes / 4);
	/* file 3: an archive of nothing but its manifest */
	expect_manifest(t, 3, &none, BS);
	/* end of data */
	CHECK_INT(tarr_read_tail(t, BS, &tl), -ENODATA);

	/* An archive cut short: the first 20 records of file 2, no filemark */
	CHECK_INT(fx_label(u, NULL, "U00001L9", "A", BS), 0);
	CHECK_INT(tape_close(u), 0);
	CHECK_INT(tape_goto_file(t, 2), 0);
	crash_copy(t, "u.vtape", 20);
	CHECK_INT(tape_open(&u, tape_backend("vtape"), "u.vtape", TAPE_RDONLY),
		  0);
	CHECK_INT(tape_goto_file(u, 1), 0);
	CHECK_INT(tarr_read_tail(u, BS, &tl), 0);
	CHECK(tl.manifest == NULL);
	CHECK(!tl.filemark);
	CHECK_INT(tl.records, 20);
	CHECK(tl.bytes_read <= 2 * BS);
	tarr_tail_release(&tl);
	CHECK_INT(tarr_file_starts_tar(u, tl.start_lblock, BS), 1);
	CHECK_INT(tarr_read_tail(u, 0, &tl), -EINVAL);
	/* a record that is no tar header */
	struct tape *w = fx_vtape("w.vtape", "W00001L9", 1 << 20, 0);
	char junk[BS];

	memset(junk, 'x', sizeof(junk));
	if (w) {
		CHECK_INT(tape_write(w, junk, BS), BS);
		CHECK_INT(tarr_file_starts_tar(w, 0, BS), 0);
		CHECK_INT(tarr_file_starts_tar(w, 0, BS / 2), 0); /* longer */
		tape_close(w);
	}

	fx_archive_free(&small);
	fx_archive_free(&big);
	fx_archive_free(&none);
	tape_close(t);
	tape_close(u);
	for (size_t i = 0; i < NBIG; i++)
		free(names[i]);
	free(names);
	free(src);
}

int main(void)
{
	RUN(test_tail);
	return check_done();
}
