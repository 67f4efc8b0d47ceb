/* tests/test_tar_restore.c - a person without tapefs restores from a
 * tapefs tape with mt and GNU tar alone (docs/tape-format.md): the tape
 * (label + two archives written by label_write and tarw) is served as
 * /dev/nst0 by the st shim, and the documented commands are run:
 *   mt rewind; tar -xOf /dev/nst0 TAPEFS.LABEL
 *   mt rewind; mt fsf 2; tar -b 512 -xf /dev/nst0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/lib_fixture.h"

static char shim_env[4096];

/* The archive of names[0..3) on t (default 256 KiB records) into *a. */
static int write_archive(struct tape *t, const char **names,
			 struct fx_archive *a)
{
	struct tarw_source src[3];

	int ret = 0;

	for (int i = 0; i < 3 && !ret; i++)
		ret = fx_source(&src[i], names[i]);
	return ret ? ret : fx_write_archive(&t, 1, src, 3, NULL, a);
}

/* The MD5s of two files are the same. */
static void same_md5(const char *a, const char *b)
{
	char ha[MD5_HEX_SIZE], hb[MD5_HEX_SIZE];

	fx_file_md5(a, ha);
	fx_file_md5(b, hb);
	CHECK_STR(hb, ha);
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
	char cwd[2048], cmd[512];
	const char *build = getenv("BUILD");
	struct fx_archive arch;
	struct tape *t;
	uint64_t seek_block = 0;

	CHECK(build != NULL);
	if (!build || !getcwd(cwd, sizeof(cwd)))
		return;
	mkdir("one", 0755);
	mkdir("two", 0755);
	fx_make_file("one/a", 1000, 1);
	fx_make_file("one/b", 300000, 2);
	fx_make_file("two/big", 700000, 3);
	fx_make_file("two/sp ace", 12345, 4);

	t = fx_vtape("T.vtape", "R00001L9", 64 << 20, 0);
	if (!t)
		return;
	fx_label(t, NULL, "R00001L9", "R", TARW_BLOCK_SIZE);
	CHECK_INT(write_archive(t, a1, &arch), 0);
	fx_archive_free(&arch);
	CHECK_INT(write_archive(t, a2, &arch), 0);
	/* "two/sp ace" starts in the middle of a record, after two/big. */
	if (arch.nmembers == 3) {
		uint64_t hoff = arch.members[2].header_offset;

		seek_block = arch.start[0] + hoff / TARW_BLOCK_SIZE;
		CHECK(hoff % TARW_BLOCK_SIZE != 0);
	}
	fx_archive_free(&arch);
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(symlink("T.vtape", "drive0"), 0);
	snprintf(shim_env, sizeof(shim_env),
		 "export LD_PRELOAD=%s/tests/libstshim.so "
		 "TAPEFS_STSHIM=/dev/nst0=%s/drive0;",
		 build, cwd);

	CHECK_INT(on_tape("mt -f /dev/nst0 rewind"), 0);
	CHECK_INT(on_tape("tar -xOf /dev/nst0 TAPEFS.LABEL > label.txt"), 0);
	CHECK_INT(fx_count_lines("label.txt", "barcode=R00001L9"), 1);

	mkdir("out", 0755);
	CHECK_INT(on_tape("mt -f /dev/nst0 rewind && mt -f /dev/nst0 fsf 2 && "
			  "cd out && tar -b 512 -xf /dev/nst0"),
		  0);
	same_md5("two/big", "out/two/big");
	same_md5("two/sp ace", "out/two/sp ace");
	CHECK(access("out/TAPEFS.MANIFEST", F_OK) == 0);
	CHECK(access("out/one", F_OK) != 0); /* only archive 2 */

	/* One member of archive 1, by name. */
	CHECK_INT(on_tape("mt -f /dev/nst0 rewind && mt -f /dev/nst0 fsf 1 && "
			  "tar -b 512 -xOf /dev/nst0 one/b > b.out"),
		  0);
	same_md5("one/b", "b.out");

	/* Straight to the record holding a member's header with mt seek:
	 * tar skips the partial member before it and extracts that one. */
	snprintf(cmd, sizeof(cmd),
		 "mt -f /dev/nst0 seek %llu && "
		 "tar -b 512 -xOf /dev/nst0 'two/sp ace' > s.out 2>seek.err",
		 (unsigned long long)seek_block);
	on_tape(cmd); /* tar exits 2 after its "skipping" warning */
	same_md5("two/sp ace", "s.out");
}

int main(void)
{
	RUN(test_restore_with_mt_and_tar);
	return check_done();
}
