/* tests/test_beneath.c - paths opened beneath a root never follow a
 * symlink and never leave the root: a symlink at any component is -ELOOP
 * (the link itself is opened with O_PATH), a file where a directory should
 * be is -ENOTDIR, "..", "." and absolute paths are -EINVAL; the openat2()
 * way and the component walk (its fallback) answer alike, case by case.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/engine/beneath.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static int root;
static ino_t outside_ino;

/* root/: d/f (a file), d/e/ (a directory), out -> ../outside (symlink to a
 * directory outside), abs -> /etc, d/lf -> f (symlink to a file),
 * d/ld -> e (symlink to a directory); outside/secret beside root/. */
static void make_tree(void)
{
	struct stat st;

	mkdir("outside", 0700);
	fx_make_file("outside/secret", 10, 1);
	CHECK_INT(stat("outside/secret", &st), 0);
	outside_ino = st.st_ino;
	mkdir("root", 0755);
	mkdir("root/d", 0755);
	mkdir("root/d/e", 0755);
	fx_make_file("root/d/f", 20, 2);
	CHECK_INT(symlink("../outside", "root/out"), 0);
	CHECK_INT(symlink("/etc", "root/abs"), 0);
	CHECK_INT(symlink("f", "root/d/lf"), 0);
	CHECK_INT(symlink("e", "root/d/ld"), 0);
	root = open("root", O_PATH | O_DIRECTORY);
	CHECK(root >= 0);
}

typedef int (*open_fn)(int, const char *, int);

/* open rel with flags both ways: the same result (a descriptor of the
 * same inode, or the same -errno). Returns that -errno, or the type of
 * what was opened (S_IFMT bits). */
static int both(const char *rel, int flags)
{
	open_fn way[2] = {beneath_open, beneath_open_walk};
	int got[2];

	for (int i = 0; i < 2; i++) {
		struct stat st;
		int fd = way[i](root, rel, flags);

		if (fd < 0) {
			got[i] = fd;
			continue;
		}
		CHECK_INT(fstat(fd, &st), 0);
		CHECK(st.st_ino != outside_ino);
		got[i] = (int)(st.st_mode & S_IFMT);
		close(fd);
	}
	if (got[0] != got[1])
		printf("# '%s' flags %#x: openat2 %d, walk %d\n", rel, flags,
		       got[0], got[1]);
	CHECK_INT(got[0], got[1]);
	return got[1];
}

static void test_resolution(void)
{
	static const struct {
		const char *rel;
		int flags, want;
	} cases[] = {
	    {"", O_PATH | O_DIRECTORY, S_IFDIR},
	    {"d", O_RDONLY | O_DIRECTORY, S_IFDIR},
	    {"d/f", O_RDONLY, S_IFREG},
	    {"d/e", O_PATH, S_IFDIR},
	    /* a symlink on the way, to outside or inside: never followed */
	    {"out/secret", O_RDONLY, -ELOOP},
	    {"out/secret", O_PATH, -ELOOP},
	    {"abs/passwd", O_RDONLY, -ELOOP},
	    {"d/ld/x", O_PATH, -ELOOP},
	    /* a symlink last: ELOOP, or the link itself with O_PATH */
	    {"out", O_RDONLY, -ELOOP},
	    {"d/lf", O_RDONLY, -ELOOP},
	    {"d/lf", O_PATH, S_IFLNK},
	    {"out", O_PATH, S_IFLNK},
	    {"out", O_RDONLY | O_DIRECTORY, -ENOTDIR},
	    /* a file where a directory should be */
	    {"d/f/x", O_PATH, -ENOTDIR},
	    {"d/nothing", O_RDONLY, -ENOENT},
	    {"nothing/f", O_RDONLY, -ENOENT},
	    /* never out by name */
	    {"..", O_PATH, -EINVAL},
	    {"d/../../outside/secret", O_RDONLY, -EINVAL},
	    {"d/./f", O_RDONLY, -EINVAL},
	    {"d//f", O_RDONLY, -EINVAL},
	    {"d/", O_RDONLY, -EINVAL},
	    {"/etc/passwd", O_RDONLY, -EINVAL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = both(cases[i].rel, cases[i].flags);

		if (got != cases[i].want)
			printf("# case '%s'\n", cases[i].rel);
		CHECK_INT(got, cases[i].want);
	}
}

static void test_parent(void)
{
	const char *name = NULL;
	struct stat st;
	int fd;

	fd = beneath_parent(root, "d/f", &name);
	CHECK(fd >= 0);
	CHECK_STR(name, "f");
	CHECK_INT(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK(S_ISREG(st.st_mode));
	close(fd);
	fd = beneath_parent(root, "top", &name);
	CHECK(fd >= 0);
	CHECK_STR(name, "top");
	close(fd);
	CHECK_INT(beneath_parent(root, "out/secret", &name), -ELOOP);
	CHECK_INT(beneath_parent(root, "", &name), -EINVAL);
	CHECK_INT(beneath_parent(root, "d/..", &name), -EINVAL);
}

int main(void)
{
	make_tree();
	RUN(test_resolution);
	RUN(test_parent);
	close(root);
	return check_done();
}
