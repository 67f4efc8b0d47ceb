/* tests/test_xattrat.c - the extended attributes of an entry named from
 * its directory's descriptor: the names and values of a file's attributes
 * as listxattr(2) and getxattr(2) give them, a symlink's own (never its
 * target's), -ENOENT for a missing entry, -ENODATA for a missing
 * attribute, -EINVAL for a name with a '/'; the system calls and the
 * /proc fallback answer alike, case by case.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/engine/xattrat.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static int dir;
static int have_user_xattrs;

/* d/: f with user.a = "1" and user.bb = "22", g with none, l -> f. */
static void make_tree(void)
{
	CHECK_INT(mkdir("d", 0755), 0);
	fx_make_file("d/f", 10, 1);
	fx_make_file("d/g", 10, 2);
	CHECK_INT(symlink("f", "d/l"), 0);
	have_user_xattrs = setxattr("d/f", "user.a", "1", 1, 0) == 0 &&
			   setxattr("d/f", "user.bb", "22", 2, 0) == 0;
	if (!have_user_xattrs)
		printf("# no user xattrs here: names checked empty\n");
	dir = open("d", O_RDONLY | O_DIRECTORY);
	CHECK(dir >= 0);
}

/* The names of entry name, with the reference from llistxattr(2). */
static void check_list(const char *name)
{
	char want[256], got[256], path[64];
	ssize_t w, g;

	snprintf(path, sizeof(path), "d/%s", name);
	w = llistxattr(path, want, sizeof(want));
	CHECK(w >= 0);
	CHECK_INT(xattrat_list(dir, name, NULL, 0), w);
	g = xattrat_list(dir, name, got, sizeof(got));
	CHECK_INT(g, w);
	if (g == w && w > 0)
		CHECK_MEM(got, want, (size_t)w);
	if (w > 1)
		CHECK_INT(xattrat_list(dir, name, got, 1), -ERANGE);
}

static void cases(void)
{
	char v[8];

	check_list("f");
	check_list("g");
	check_list("l"); /* the link's own: not f's */
	if (have_user_xattrs) {
		/* "user.a\0user.bb\0" */
		CHECK_INT(xattrat_list(dir, "f", NULL, 0), 15);
		CHECK_INT(xattrat_get(dir, "f", "user.bb", NULL, 0), 2);
		CHECK_INT(xattrat_get(dir, "f", "user.bb", v, sizeof(v)), 2);
		CHECK_MEM(v, "22", 2);
		CHECK_INT(xattrat_get(dir, "f", "user.bb", v, 1), -ERANGE);
		CHECK_INT(xattrat_get(dir, "l", "user.a", v, sizeof(v)),
			  -ENODATA);
	}
	CHECK_INT(xattrat_get(dir, "g", "user.a", v, sizeof(v)), -ENODATA);
	CHECK_INT(xattrat_list(dir, "nothing", NULL, 0), -ENOENT);
	CHECK_INT(xattrat_get(dir, "nothing", "user.a", NULL, 0), -ENOENT);
	CHECK_INT(xattrat_list(dir, "f/x", NULL, 0), -EINVAL);
	CHECK_INT(xattrat_list(dir, "", NULL, 0), -EINVAL);
	CHECK_INT(xattrat_get(dir, "../d/f", "user.a", NULL, 0), -EINVAL);
}

static void test_syscalls(void)
{
	xattrat_proc_only(0);
	cases();
}

static void test_proc(void)
{
	xattrat_proc_only(1);
	cases();
	xattrat_proc_only(0);
}

int main(void)
{
	make_tree();
	RUN(test_syscalls);
	RUN(test_proc);
	close(dir);
	return check_done();
}
