/* tests/test_tar_restore.c - a person without tapefs restores from a
 * tapefs tape with mt and GNU tar alone (docs/tape-format.md): the tape
 * (label + two archives written by label_write and tarw) is served as
 * /dev/nst0 by the st shim, and the documented commands are run:
 *   mt rewind; tar -xOf /dev/nst0 TAPEFS.LABEL
 *   mt rewind; mt fsf 2; tar -b 512 -xf /dev/nst0
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapeio/label.h"
#include "tapeio/md5.h"
#include "tapeio/tape.h"
#include "tapeio/tarw.h"
#include "tapeio/vtape.h"
#include "tests/check.h"

static char shim_env[4096];

static void make_file(const char *path, size_t size, unsigned seed)
{
	char *buf = malloc(size + 1);
	size_t i;
	int fd;

	for (i = 0; i < size; i++)
		buf[i] = (char)((i * 2654435761u + seed) >> 9);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
		abort();
	close(fd);
	free(buf);
}

static void file_md5(const char *path, char hex[MD5_HEX_SIZE])
{
	int fd = open(path, O_RDONLY);

	hex[0] = '\0';
	if (fd >= 0) {
		md5_fd(fd, hex, NULL);
		close(fd);
	}
}

static uint64_t last_start, last_hoff[8];

static int write_archive(struct tape *t, const char **names, size_t n)
{
	const struct tar_member *m;
	size_t nm;
	struct tarw_source src[8];
	struct tarw *w = NULL;
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		src[i].path = names[i];
		src[i].name = names[i];
		if (lstat(names[i], &src[i].st))
			return -errno;
	}
	ret = tarw_new(&w, &t, 1, NULL); /* default 256 KiB records */
	if (!ret)
		ret = tarw_run(w, src, n);
	if (!ret) {
		last_start = tarw_copy(w, 0)->start_lblock;
		m = tarw_members(w, &nm);
		for (i = 0; i < nm; i++)
			last_hoff[i] = m[i].header_offset;
	}
	tarw_free(w);
	return ret;
}

/* Run a shell command with /dev/nst0 served by the shim. */
static int on_tape(const char *cmd)
{
	char line[8192];

	snprintf(line, sizeof(line), "%s %s", shim_env, cmd);
	return system(line);
}

static void test_restore_with_mt_and_tar(void)
{
	static const char *a1[] = {"one", "one/a", "one/b"};
	static const char *a2[] = {"two", "two/big", "two/sp ace"};
	char h1[MD5_HEX_SIZE], h2[MD5_HEX_SIZE], cwd[2048];
	const char *build = getenv("BUILD");
	struct tape_label l;
	struct tape *t = NULL;
	FILE *f;
	char line[256], cmd[512];
	uint64_t seek_block = 0;
	int found = 0;

	CHECK(build != NULL);
	if (!build || !getcwd(cwd, sizeof(cwd)))
		return;
	mkdir("one", 0755);
	mkdir("two", 0755);
	make_file("one/a", 1000, 1);
	make_file("one/b", 300000, 2);
	make_file("two/big", 700000, 3);
	make_file("two/sp ace", 12345, 4);

	CHECK_INT(vtape_create("T.vtape", "R00001L9", 64 << 20, 0), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), "T.vtape", TAPE_RDWR),
		  0);
	label_init(&l, "R00001L9", "R", TARW_BLOCK_SIZE);
	CHECK_INT(label_write(t, &l), 0);
	CHECK_INT(write_archive(t, a1, 3), 0);
	CHECK_INT(write_archive(t, a2, 3), 0);
	/* "two/sp ace" starts in the middle of a record, after two/big. */
	seek_block = last_start + last_hoff[2] / TARW_BLOCK_SIZE;
	CHECK(last_hoff[2] % TARW_BLOCK_SIZE != 0);
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(symlink("T.vtape", "drive0"), 0);
	snprintf(shim_env, sizeof(shim_env),
		 "export LD_PRELOAD=%s/tests/libstshim.so "
		 "TAPEFS_STSHIM=/dev/nst0=%s/drive0;",
		 build, cwd);

	CHECK_INT(on_tape("mt -f /dev/nst0 rewind"), 0);
	CHECK_INT(on_tape("tar -xOf /dev/nst0 TAPEFS.LABEL > label.txt"), 0);
	f = fopen("label.txt", "r");
	while (f && fgets(line, sizeof(line), f))
		found += !strcmp(line, "barcode=R00001L9\n");
	if (f)
		fclose(f);
	CHECK_INT(found, 1);

	mkdir("out", 0755);
	CHECK_INT(on_tape("mt -f /dev/nst0 rewind && mt -f /dev/nst0 fsf 2 && "
			  "cd out && tar -b 512 -xf /dev/nst0"),
		  0);
	file_md5("two/big", h1);
	file_md5("out/two/big", h2);
	CHECK_STR(h2, h1);
	file_md5("two/sp ace", h1);
	file_md5("out/two/sp ace", h2);
	CHECK_STR(h2, h1);
	CHECK(access("out/TAPEFS.MANIFEST", F_OK) == 0);
	CHECK(access("out/one", F_OK) != 0); /* only archive 2 */

	/* One member of archive 1, by name. */
	CHECK_INT(on_tape("mt -f /dev/nst0 rewind && mt -f /dev/nst0 fsf 1 && "
			  "tar -b 512 -xOf /dev/nst0 one/b > b.out"),
		  0);
	file_md5("one/b", h1);
	file_md5("b.out", h2);
	CHECK_STR(h2, h1);

	/* Straight to the record holding a member's header with mt seek:
	 * tar skips the partial member before it and extracts that one. */
	snprintf(cmd, sizeof(cmd),
		 "mt -f /dev/nst0 seek %llu && "
		 "tar -b 512 -xOf /dev/nst0 'two/sp ace' > s.out 2>seek.err",
		 (unsigned long long)seek_block);
	on_tape(cmd); /* tar exits 2 after its "skipping" warning */
	file_md5("two/sp ace", h1);
	file_md5("s.out", h2);
	CHECK_STR(h2, h1);
}

int main(void)
{
	RUN(test_restore_with_mt_and_tar);
	return check_done();
}
