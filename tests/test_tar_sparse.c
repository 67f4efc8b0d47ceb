/* tests/test_tar_sparse.c - the tar reader over sparse members, as GNU tar
 * writes them (--sparse, pax formats 0.0, 0.1 and 1.0): holes read as
 * zeros up to the member's size, a hole at the end too, so the MD5 is the
 * file's (a map with no data: size zeros, as bsdtar extracts it); a
 * sparse map that points past the member's size is a corrupt archive
 * (-EINVAL), never a small member streaming megabytes of zeros; a hard
 * link whose header gives a size still has no data. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/tarr.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"
#include "tests/lib_tar.h"

#define REC 10240

/* The plain file path as tape file 0 of a new vtape, in REC records. */
static struct tape *tape_of(const char *image, const char *path)
{
	struct tape *t = fx_vtape(image, "S00001L9", 64 << 20, 0);
	char buf[REC];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0);
	if (!t || fd < 0)
		return t;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		memset(buf + n, 0, sizeof(buf) - (size_t)n);
		CHECK_INT(tape_write(t, buf, REC), REC);
	}
	close(fd);
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(tape_rewind(t), 0);
	return t;
}

static int count_sink(void *arg, const void *buf, size_t len)
{
	(void)buf;
	*(uint64_t *)arg += len;
	return 0;
}

/* Walk the archive on t: the first member's size, bytes given, MD5 and
 * what tarr_data() returned. */
static int first_member(struct tape *t, struct tar_member *m, uint64_t *got)
{
	struct tarr *r = NULL;
	int ret;

	*got = 0;
	memset(m, 0, sizeof(*m));
	CHECK_INT(tarr_open(&r, t, REC), 0);
	if (!r)
		return -ENOMEM;
	ret = tarr_next(r, m);
	CHECK_INT(ret, 1);
	if (ret == 1)
		ret = tarr_data(r, m, count_sink, got);
	tarr_free(r);
	return ret;
}

/* A 1 MiB file: data at 0 and at 600 KiB, holes between and at the end. */
static void test_gnu_sparse(void)
{
	static const char *const versions[] = {"0.0", "0.1", "1.0"};
	char md5[MD5_HEX_SIZE], cmd[256], data[5000];
	struct tar_member m;
	uint64_t got;
	int fd = open("sparse", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	fx_fill(data, sizeof(data), 7);
	CHECK(fd >= 0 && pwrite(fd, data, sizeof(data), 0) == sizeof(data) &&
	      pwrite(fd, data, 100, 600 << 10) == 100 &&
	      ftruncate(fd, 1 << 20) == 0);
	close(fd);
	CHECK_INT(fx_file_md5("sparse", md5), 0);
	for (size_t i = 0; i < sizeof(versions) / sizeof(*versions); i++) {
		struct tape *t;

		snprintf(cmd, sizeof(cmd),
			 "tar --sparse --sparse-version=%s --format=pax "
			 "-cf s.tar sparse",
			 versions[i]);
		CHECK_INT(system(cmd), 0);
		t = tape_of("s.vtape", "s.tar");
		if (!t)
			return;
		CHECK_INT(first_member(t, &m, &got), 0);
		CHECK_INT(m.size, 1 << 20);
		CHECK_INT(got, 1 << 20);
		CHECK_STR(m.md5, md5);
		tar_member_clear(&m);
		tape_close(t);
	}
}

/* Tape file 0 of a new vtape: a pax header of the records in pax, then
 * member "f" of size bytes, its data (data_len bytes) after the header. */
static struct tape *pax_member(const char *pax, size_t size, const char *data,
			       size_t data_len)
{
	static unsigned char buf[REC];
	size_t plen = strlen(pax);
	FILE *f;

	memset(buf, 0, sizeof(buf));
	fx_ustar(buf, "PaxHeader/f", 'x', plen);
	memcpy(buf + 512, pax, plen);
	fx_ustar(buf + 1024, "f", '0', size);
	memcpy(buf + 1536, data, data_len);
	f = fopen("pax.tar", "wb");
	CHECK(f && fwrite(buf, 1, sizeof(buf), f) == sizeof(buf));
	if (f)
		fclose(f);
	return tape_of("p.vtape", "pax.tar");
}

/* A 10-byte member whose sparse map (format 1.0) puts its 10 bytes at
 * offset 76506634: libarchive hands them over at that offset; streaming
 * the hole before them would make 76 MB of a 10-byte member. */
static void test_map_past_size(void)
{
	char pax[256], data[1024];
	struct tar_member m;
	struct tape *t;
	size_t n = 0;
	uint64_t got;

	n += fx_pax_rec(pax + n, "GNU.sparse.major", "1");
	n += fx_pax_rec(pax + n, "GNU.sparse.minor", "0");
	n += fx_pax_rec(pax + n, "GNU.sparse.name", "f");
	fx_pax_rec(pax + n, "GNU.sparse.realsize", "10");
	memset(data, 0, sizeof(data));
	strcpy(data, "1\n76506634\n10\n");
	memcpy(data + 512, "0123456789", 10);
	t = pax_member(pax, 512 + 10, data, sizeof(data));
	if (!t)
		return;
	CHECK_INT(first_member(t, &m, &got), -EINVAL);
	CHECK_INT(m.size, 10);
	CHECK(got <= 10);
	tar_member_clear(&m);
	tape_close(t);
}

/* A sparse map (format 0.0) with an offset and no length: libarchive
 * gives no data and says the member ends at its size, as bsdtar extracts
 * it: size zeros. */
static void test_all_hole(void)
{
	char pax[128], md5[MD5_HEX_SIZE];
	static const char zeros[700];
	struct tar_member m;
	struct tape *t;
	uint64_t got;
	struct md5 h;

	fx_pax_rec(pax, "GNU.sparse.offset", "76506634");
	t = pax_member(pax, 700, "data that is not the member's", 29);
	if (!t)
		return;
	CHECK_INT(first_member(t, &m, &got), 0);
	CHECK_INT(m.size, 700);
	CHECK_INT(got, 700);
	CHECK_INT(md5_init(&h), 0);
	md5_update(&h, zeros, sizeof(zeros));
	CHECK_INT(md5_final(&h, md5), 0);
	md5_release(&h);
	CHECK_STR(m.md5, md5);
	tar_member_clear(&m);
	tape_close(t);
}

/* A hard link whose header gives a size (as old tars write them): it has
 * no data, libarchive says so (size 0), and its data is nothing; the
 * member after it is still read. */
static void test_link_with_size(void)
{
	static unsigned char buf[REC];
	struct tar_member m = {0};
	struct tarr *r = NULL;
	struct tape *t;
	uint64_t got = 0;
	FILE *f;

	fx_ustar(buf, "f", '0', 3);
	memcpy(buf + 512, "abc", 3);
	fx_ustar(buf + 1024, "h", '1', 100);
	memcpy(buf + 1024 + 157, "f", 1); /* the link's target */
	fx_ustar_sum(buf + 1024);
	f = fopen("link.tar", "wb");
	CHECK(f && fwrite(buf, 1, sizeof(buf), f) == sizeof(buf));
	if (f)
		fclose(f);
	t = tape_of("l.vtape", "link.tar");
	if (!t)
		return;
	CHECK_INT(tarr_open(&r, t, REC), 0);
	CHECK_INT(tarr_next(r, &m), 1);
	tar_member_clear(&m);
	CHECK_INT(tarr_next(r, &m), 1);
	CHECK_STR(m.name, "h");
	CHECK_INT(m.size, 0);
	CHECK_INT(tarr_data(r, &m, count_sink, &got), 0);
	CHECK_INT(got, 0);
	CHECK_STR(m.md5, "d41d8cd98f00b204e9800998ecf8427e");
	tar_member_clear(&m);
	tarr_free(r);
	tape_close(t);
}

int main(void)
{
	RUN(test_gnu_sparse);
	RUN(test_map_past_size);
	RUN(test_all_hole);
	RUN(test_link_with_size);
	return check_done();
}
