/* fs/engine/beneath.c - paths opened beneath a root without following a
 * symlink (fs/engine/beneath.h): openat2() where the kernel has it, else
 * a walk of the components through O_PATH descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs/engine/beneath.h"

#define OPENAT2_TRIES 8 /* -EAGAIN: a rename raced the lookup */

/* Set once openat2() answered ENOSYS: the walk from then on. */
static atomic_int no_openat2;

/* rel is "" or names/separated/by/single/slashes, none "." or "..". */
static int rel_check(const char *rel)
{
	const char *c = rel;

	if (!rel[0])
		return 0;
	for (;;) {
		const char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		if (!e)
			return 0;
		c = e + 1;
	}
}

/* openat2() beneath rootfd; -ENOSYS when the kernel has none. */
static int open_how_beneath(int rootfd, const char *rel, int flags)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC);
	how.resolve =
	    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	for (int i = 0; i < OPENAT2_TRIES; i++) {
		fd = syscall(SYS_openat2, rootfd, rel[0] ? rel : ".", &how,
			     sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN)
			break;
	}
	return -errno;
}

/* fd (O_PATH, not following) is a directory: 0, -ELOOP for a symlink,
 * -ENOTDIR for anything else. */
static int dir_check(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* One directory component of the walk: name opened O_PATH from dirfd,
 * which must be a directory (not a symlink). A descriptor or -errno. */
static int walk_step(int dirfd, const char *name, size_t len)
{
	char comp[NAME_MAX + 1];
	int fd, ret;

	memcpy(comp, name, len);
	comp[len] = 0;
	fd = openat(dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = dir_check(fd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int beneath_open_walk(int rootfd, const char *rel, int flags)
{
	const char *c = rel, *e;
	int dirfd = rootfd, fd, ret;

	ret = rel_check(rel);
	if (ret)
		return ret;
	if (!rel[0])
		c = ".";
	while ((e = strchr(c, '/'))) {
		fd = walk_step(dirfd, c, (size_t)(e - c));
		if (dirfd != rootfd)
			close(dirfd);
		if (fd < 0)
			return fd;
		dirfd = fd;
		c = e + 1;
	}
	fd = openat(dirfd, c, flags | O_NOFOLLOW | O_CLOEXEC);
	ret = fd < 0 ? -errno : fd;
	if (dirfd != rootfd)
		close(dirfd);
	return ret;
}

int beneath_open(int rootfd, const char *rel, int flags)
{
	int ret = rel_check(rel);

	if (ret)
		return ret;
	if (!atomic_load(&no_openat2)) {
		ret = open_how_beneath(rootfd, rel, flags);
		if (ret != -ENOSYS)
			return ret;
		atomic_store(&no_openat2, 1);
	}
	return beneath_open_walk(rootfd, rel, flags);
}

int beneath_parent(int rootfd, const char *rel, const char **name)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(rel, '/');
	size_t len;
	int fd, ret = rel_check(rel);

	if (ret)
		return ret;
	if (!rel[0])
		return -EINVAL;
	*name = slash ? slash + 1 : rel;
	len = slash ? (size_t)(slash - rel) : 0;
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, rel, len);
	dir[len] = 0;
	/* Not O_DIRECTORY: a symlink as the parent is -ELOOP like any
	 * symlink on the way, not -ENOTDIR. */
	fd = beneath_open(rootfd, dir, O_PATH);
	if (fd < 0)
		return fd;
	ret = dir_check(fd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}
