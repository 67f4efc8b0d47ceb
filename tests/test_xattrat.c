/* tests/test_xattrat.c - the extended attributes of an entry named from
 * its directory's descriptor: the names and values of a file's attributes
 * as listxattr(2) and getxattr(2) give them, a symlink's own (never its
 * target's), -ENOENT for a missing entry, -ENODATA for a missing
 * attribute, -EINVAL for a name with a '/'; the system calls and the
 * /proc fallback answer alike, case by case, also when a seccomp filter
 * refuses the system calls (EPERM, as container runtimes do with calls
 * they do not know): a refused call must never read as "no attribute".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
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

#if defined(__x86_64__) || defined(__aarch64__)
/* From now on getxattrat (464) and listxattrat (465) fail EPERM in this
 * process. 0 or -errno. */
static int refuse_at_calls(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 464, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 465, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

/* Last: the filter stays for the rest of the process. */
static void test_refused(void)
{
	int ret = refuse_at_calls();

	if (ret < 0) {
		printf("# no seccomp filter here (%s): not tried\n",
		       strerror(-ret));
		return;
	}
	xattrat_proc_only(0);
	cases();
}
#endif

int main(void)
{
	make_tree();
	RUN(test_syscalls);
	RUN(test_proc);
#if defined(__x86_64__) || defined(__aarch64__)
	RUN(test_refused);
#endif
	close(dir);
	return check_done();
}
