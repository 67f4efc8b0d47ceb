/* tests/test_tar_exact.c - the tar writer keeps what a file system holds
 * beside the bytes: hard links within one archive are written once plus
 * a tar hard-link entry (the link's record is its target's: offsets,
 * size, MD5); user extended attributes and POSIX ACLs go into the pax
 * header and the member record; a sparse file is a GNU sparse 1.0 member
 * holding only its data, with the MD5 of its whole logical content and no
 * chunk digests. GNU tar (--xattrs --acls) and bsdtar restore all of it
 * from the tape file, and the tar reader gives back the same bytes.
 * A source its caller saw without attributes (no_xattrs) is archived
 * without them, and one that got an attribute since is refused (its
 * ctime moved), never archived without it; reading a source leaves its
 * atime alone, also for a reader that does not own it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tapeio/md5.h"
#include "tapeio/tape.h"
#include "tapeio/tarr.h"
#include "tapeio/tarw.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS	   (64 * 1024)
#define SPARSE_MIB 20

enum { S_A, S_B, S_DIR, S_C, S_ACL, S_DACL, S_SPARSE, S_HOLE, NSRC };
static const char *const paths[NSRC] = {
    "src/a",	   "src/b",    "src/d",		 "src/d/c",
    "src/acl.txt", "src/dacl", "src/sparse.bin", "src/hole.bin"};
static struct tarw_source src[NSRC];
static struct fx_archive arc;
static struct tape *t0;

static int sh(const char *cmd)
{
	int r = system(cmd);

	if (r)
		fprintf(stderr, "# failed (%d): %s\n", r, cmd);
	return r;
}

/* 64 KiB of seeded bytes at off of an open file. */
static void put_at(int fd, off_t off, unsigned seed)
{
	char buf[64 * 1024];

	fx_fill(buf, sizeof(buf), seed);
	CHECK_INT(pwrite(fd, buf, sizeof(buf), off), (long)sizeof(buf));
}

static void make_tree(void)
{
	int fd;

	CHECK_INT(mkdir("src", 0755), 0);
	CHECK_INT(mkdir("src/d", 0750), 0);
	CHECK_INT(mkdir("src/dacl", 0755), 0);
	CHECK_INT(fx_make_file("src/a", 100000, 7), 0);
	CHECK_INT(link("src/a", "src/b"), 0);
	CHECK_INT(link("src/a", "src/d/c"), 0);
	CHECK_INT(setxattr("src/a", "user.color", "blue", 4, 0), 0);
	CHECK_INT(setxattr("src/d", "user.run", "7", 1, 0), 0);
	CHECK_INT(fx_make_file("src/acl.txt", 1000, 8), 0);
	CHECK_INT(sh("setfacl -m u:12345:r,g:23456:rw src/acl.txt"), 0);
	CHECK_INT(sh("setfacl -d -m u:12345:rx src/dacl"), 0);
	/* 20 MiB of which 128 KiB data, a hole at the end too */
	fd = open("src/sparse.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	put_at(fd, 1 << 20, 9);
	put_at(fd, 12 << 20, 10);
	CHECK_INT(ftruncate(fd, (off_t)SPARSE_MIB << 20), 0);
	close(fd);
	fd = open("src/hole.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_INT(ftruncate(fd, 3 << 20), 0); /* all hole */
	close(fd);
	for (int i = 0; i < NSRC; i++)
		fx_source(&src[i], paths[i]);
}

static const struct tar_xattr *xattr_of(const struct tar_member *m,
					const char *name)
{
	for (uint32_t i = 0; i < m->nxattrs; i++)
		if (!strcmp(m->xattrs[i].name, name))
			return &m->xattrs[i];
	return NULL;
}

static void test_write(void)
{
	struct tarw_opts o = {.block_size = BS};
	const struct tar_member *m;
	const struct tar_xattr *x;
	char hex[MD5_HEX_SIZE];

	make_tree();
	t0 = fx_vtape("t0.vtape", NULL, 1ull << 30, 0);
	CHECK_INT(fx_write_archive(&t0, 1, src, NSRC, &o, &arc), 0);
	CHECK_INT(arc.nmembers, NSRC);
	m = arc.members;
	/* the links share a's record */
	fx_file_md5("src/a", hex);
	CHECK_STR(m[S_A].md5, hex);
	CHECK_INT(m[S_A].flags, 0);
	for (int i = S_B; i <= S_C; i += S_C - S_B) {
		CHECK_INT(m[i].flags, TAR_MEMBER_LINK);
		CHECK_INT(m[i].type, TAR_FILE);
		CHECK_STR(m[i].md5, hex);
		CHECK_INT(m[i].size, 100000);
		CHECK_INT(m[i].header_offset, m[S_A].header_offset);
		CHECK_INT(m[i].data_offset, m[S_A].data_offset);
	}
	CHECK(m[S_DIR].header_offset > m[S_A].data_offset + 100000);
	/* attributes and ACLs */
	x = xattr_of(&m[S_A], "user.color");
	CHECK(x && x->len == 4 && !memcmp(x->value, "blue", 4));
	CHECK(xattr_of(&m[S_B], "user.color") != NULL);
	x = xattr_of(&m[S_DIR], "user.run");
	CHECK(x && x->len == 1);
	x = xattr_of(&m[S_ACL], "system.posix_acl_access");
	CHECK(x && x->len == 4 + 6 * 8); /* 3 base, 2 named, mask */
	CHECK(xattr_of(&m[S_DACL], "system.posix_acl_default") != NULL);
	/* sparse: whole MD5, no chunk digests; the archive is its data */
	fx_file_md5("src/sparse.bin", hex);
	CHECK_STR(m[S_SPARSE].md5, hex);
	CHECK_INT(m[S_SPARSE].size, (uint64_t)SPARSE_MIB << 20);
	CHECK_INT(m[S_SPARSE].flags, TAR_MEMBER_SPARSE);
	CHECK_INT(m[S_SPARSE].nchunks, 0);
	CHECK_INT(m[S_HOLE].flags, TAR_MEMBER_SPARSE);
	CHECK(m[S_HOLE + 0].header_offset - m[S_SPARSE].data_offset <
	      (160 << 10));
	printf("# archive %llu bytes for %d MiB + 3 MiB sparse (128 KiB "
	       "data) and 101 KB of files\n",
	       (unsigned long long)arc.bytes, SPARSE_MIB);
	CHECK(arc.bytes < (512 << 10));
	CHECK_INT(fx_export(t0, 0, "a0.tar"), 0);
}

/* dir/NAME has the source's bytes. */
static void check_same(const char *dir, const char *name)
{
	char p[256], q[256], h1[MD5_HEX_SIZE], h2[MD5_HEX_SIZE];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	snprintf(q, sizeof(q), "src/%s", name);
	CHECK_INT(fx_file_md5(p, h1), 0);
	CHECK_INT(fx_file_md5(q, h2), 0);
	CHECK_STR(h1, h2);
}

/* What a restore into dir must show. */
static void check_restored(const char *dir)
{
	char cmd[512], p[256], q[256], v[16];
	struct stat a, b, s;

	fprintf(stderr, "# restored by %s\n", dir);
	check_same(dir, "a");
	check_same(dir, "d/c");
	check_same(dir, "sparse.bin");
	check_same(dir, "hole.bin");
	snprintf(p, sizeof(p), "%s/a", dir);
	snprintf(q, sizeof(q), "%s/b", dir);
	CHECK(stat(p, &a) == 0 && stat(q, &b) == 0 && a.st_ino == b.st_ino);
	CHECK_INT(a.st_nlink, 3);
	CHECK_INT(getxattr(p, "user.color", v, sizeof(v)), 4);
	snprintf(p, sizeof(p), "%s/d", dir);
	CHECK_INT(getxattr(p, "user.run", v, sizeof(v)), 1);
	snprintf(p, sizeof(p), "%s/sparse.bin", dir);
	CHECK(stat(p, &s) == 0 && s.st_size == (off_t)SPARSE_MIB << 20);
	CHECK((uint64_t)s.st_blocks * 512 < (2u << 20)); /* restored sparse */
	snprintf(cmd, sizeof(cmd),
		 "getfacl -n %s/acl.txt | grep -qx 'user:12345:r--' && "
		 "getfacl -n %s/acl.txt | grep -qx 'group:23456:rw-' && "
		 "getfacl -n %s/dacl | grep -qx 'default:user:12345:r-x'",
		 dir, dir, dir);
	CHECK_INT(sh(cmd), 0);
}

/* The bound of the archive (tarw_bound_file(), tarw_bound_xattr()) is
 * never below what was written, and counts the sparse files by their
 * data, not their size. */
static void test_bound(void)
{
	struct tarw_bound b = {0};
	uint64_t total;
	char list[1024];

	for (int i = 0; i < NSRC; i++) {
		const struct stat *st = &src[i].st;
		uint64_t meta = 0, data = 0;
		ssize_t n = llistxattr(paths[i], list, sizeof(list));

		for (ssize_t off = 0; off < n; off += strlen(list + off) + 1)
			meta += tarw_bound_xattr(
			    list + off,
			    (size_t)lgetxattr(paths[i], list + off, NULL, 0));
		if (S_ISREG(st->st_mode))
			data = tarw_bound_file(st, strlen(paths[i]), &meta);
		tarw_bound_add(&b, paths[i], 0, data, meta);
	}
	total = tarw_bound_total(&b, BS);
	printf("# bound %llu bytes, written %llu\n", (unsigned long long)total,
	       (unsigned long long)arc.bytes);
	CHECK(total >= arc.bytes);
	CHECK(total < (1 << 20));
	CHECK_INT(tarw_bound_xattr("user.tapefs.state", 10), 0);
	CHECK_INT(tarw_bound_xattr("security.selinux", 10), 0);
}

static void test_gnu_tar(void)
{
	CHECK_INT(mkdir("gnu", 0755), 0);
	CHECK_INT(sh("tar --xattrs --acls -b 128 -xf a0.tar -C gnu"), 0);
	check_restored("gnu/src");
}

static void test_bsdtar(void)
{
	CHECK_INT(mkdir("bsd", 0755), 0);
	CHECK_INT(sh("bsdtar --xattrs --acls -xf a0.tar -C bsd"), 0);
	check_restored("bsd/src");
}

struct fsink {
	int fd;
};

static int file_sink(void *arg, const void *buf, size_t len)
{
	struct fsink *s = arg;

	return write(s->fd, buf, len) == (ssize_t)len ? 0 : -EIO;
}

/* The reader gives the bytes of member i read by locating to it. */
static void read_back(int i, const char *out)
{
	struct fsink s = {.fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)};
	struct tar_member tm = {0};
	char hex[MD5_HEX_SIZE];

	CHECK(s.fd >= 0);
	CHECK_INT(tarr_read_member(t0, arc.start[0],
				   arc.members[i].header_offset, BS,
				   arc.members[i].md5, file_sink, &s, &tm),
		  0);
	close(s.fd);
	CHECK_INT(tm.size, arc.members[i].size);
	CHECK_INT(fx_file_md5(out, hex), 0);
	CHECK_STR(hex, arc.members[i].md5);
	tar_member_clear(&tm);
}

static void test_read_back(void)
{
	read_back(S_SPARSE, "sparse.out");
	read_back(S_HOLE, "hole.out");
	read_back(S_B, "b.out"); /* the link's record reads its data */
}

/* One archive of n sources on a new vtape at path: tarw_run()'s answer;
 * the writer in *wp (the caller frees it). */
static int write_one(const char *path, const struct tarw_source *s, size_t n,
		     struct tarw **wp)
{
	struct tarw_opts o = {.block_size = BS};
	struct tape *t = fx_vtape(path, NULL, 1ull << 30, 0);
	int ret;

	*wp = NULL;
	if (!t)
		return -EIO;
	ret = tarw_new(wp, &t, 1, &o);
	if (!ret)
		ret = tarw_run(*wp, s, n);
	tape_close(t);
	return ret;
}

/* no_xattrs: the reader lists no attributes of such a source; an
 * attribute set after its lstat moved its ctime, so it is refused as a
 * changed file (-ESTALE), never archived without its attribute. */
static void test_no_xattrs(void)
{
	struct tarw_source s[2];
	const struct tar_member *m;
	struct tarw *w;
	size_t n;
	int why = 0;

	CHECK_INT(fx_make_file("src/plain", 3000, 21), 0);
	CHECK_INT(fx_make_file("src/tagged", 3000, 22), 0);
	CHECK_INT(setxattr("src/tagged", "user.k", "v", 1, 0), 0);
	fx_source(&s[0], "src/plain");
	fx_source(&s[1], "src/tagged");
	s[0].no_xattrs = 1;
	CHECK_INT(write_one("nx0.vtape", s, 2, &w), 0);
	m = tarw_members(w, &n);
	CHECK(m && n == 2);
	if (m && n == 2) {
		CHECK_INT(m[0].nxattrs, 0);
		CHECK(xattr_of(&m[1], "user.k") != NULL);
	}
	tarw_free(w);
	/* the attribute comes after the lstat (a coarse clock's tick later,
	 * on a kernel without fine-grained ctimes) */
	usleep(20000);
	CHECK_INT(setxattr("src/plain", "user.late", "1", 1, 0), 0);
	CHECK_INT(write_one("nx1.vtape", s, 2, &w), -ESTALE);
	CHECK_INT(tarw_changed(w, &why), 0);
	CHECK_INT(why, -ESTALE);
	tarw_free(w);
}

/* A file whose atime is older than its mtime (relatime updates it at
 * the next read) keeps it through the reader; as a user that owns
 * neither the file nor CAP_FOWNER (O_NOATIME refused: EPERM) the file
 * is read all the same. */
static void test_atime(void)
{
	struct timespec ts[2] = {{1000, 0}, {0, UTIME_NOW}};
	struct tarw_source s;
	struct tarw *w;
	struct stat st;
	pid_t pid;
	int status = -1;

	CHECK_INT(fx_make_file("src/old", 3000, 23), 0);
	CHECK_INT(utimensat(AT_FDCWD, "src/old", ts, 0), 0);
	fx_source(&s, "src/old");
	CHECK_INT(write_one("at0.vtape", &s, 1, &w), 0);
	tarw_free(w);
	CHECK_INT(stat("src/old", &st), 0);
	CHECK_INT(st.st_atime, 1000);
	if (geteuid() != 0) {
		printf("# not root: the non-owner's read is not tried\n");
		return;
	}
	/* the scratch directory and a tape for user 65534 */
	CHECK_INT(chmod(".", 0777), 0); /* the vtape's side files too */
	CHECK_INT(chmod("src", 0755), 0);
	tape_close(fx_vtape("at1.vtape", NULL, 1ull << 30, 0));
	CHECK_INT(chown("at1.vtape", 65534, 65534), 0);
	pid = fork();
	if (pid == 0) {
		struct tarw_opts o = {.block_size = BS};
		struct tape *t;
		size_t n = 0;
		int ret;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		ret = tape_open(&t, tape_backend("vtape"), "at1.vtape",
				TAPE_RDWR);
		if (!ret)
			ret = tarw_new(&w, &t, 1, &o);
		if (!ret)
			ret = tarw_run(w, &s, 1);
		_exit(ret == 0 && tarw_members(w, &n) && n == 1 ? 0 : 1);
	}
	CHECK(pid > 0);
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	RUN(test_write);
	RUN(test_bound);
	RUN(test_gnu_tar);
	RUN(test_bsdtar);
	RUN(test_read_back);
	RUN(test_no_xattrs);
	RUN(test_atime);
	fx_archive_free(&arc);
	tape_close(t0);
	return check_done();
}
