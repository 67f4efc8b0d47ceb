/* fs/engine/xattrat.c - extended attributes of an entry by its directory's
 * descriptor (xattrat.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/engine/xattrat.h"

/* glibc 2.36 has neither number; both are the same on every
 * architecture with the common system call table. */
#if !defined(__NR_listxattrat) && (defined(__x86_64__) || defined(__aarch64__))
#define __NR_getxattrat	 464
#define __NR_listxattrat 465
#endif

#ifndef AT_SYMLINK_NOFOLLOW
#define AT_SYMLINK_NOFOLLOW 0x100
#endif

/* getxattrat(2)'s argument (include/uapi/linux/xattr.h). */
struct xattrat_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

/* Set once a call said ENOSYS: every later one goes through /proc. */
static int no_at;

/* Whether the system calls may be tried: a name of one component, and
 * the kernel not known to lack them. -EINVAL for a bad name, else 1 or 0. */
static int at_usable(const char *name)
{
	if (!name[0] || strchr(name, '/'))
		return -EINVAL;
	return !__atomic_load_n(&no_at, __ATOMIC_RELAXED);
}

/* The answer n of a system call: its count, or -errno; -ENOSYS when the
 * /proc way must answer instead: the kernel has no such call (remembered),
 * or a seccomp filter refused it (EPERM, which neither call answers for
 * an attribute: each call tries again). */
static ssize_t at_answer(long n)
{
	if (n >= 0)
		return n;
	if (errno == ENOSYS)
		__atomic_store_n(&no_at, 1, __ATOMIC_RELAXED);
	return errno == ENOSYS || errno == EPERM ? -ENOSYS : -errno;
}

/* /proc/self/fd/DIRFD/NAME in p (as long as NAME_MAX + 32). 0, or -EINVAL
 * when it does not fit. */
static int proc_path(char *p, size_t len, int dirfd, const char *name)
{
	if ((size_t)snprintf(p, len, "/proc/self/fd/%d/%s", dirfd, name) >= len)
		return -EINVAL;
	return 0;
}

ssize_t xattrat_list(int dirfd, const char *name, char *list, size_t size)
{
	char p[32 + NAME_MAX + 1];
	ssize_t n = at_usable(name);

	if (n < 0)
		return n;
#ifdef __NR_listxattrat
	if (n && (n = at_answer(syscall(__NR_listxattrat, dirfd, name,
					AT_SYMLINK_NOFOLLOW, list, size))) !=
		     -ENOSYS)
		return n;
#endif
	if (proc_path(p, sizeof(p), dirfd, name) < 0)
		return -EINVAL;
	n = llistxattr(p, list, size);
	return n < 0 ? -errno : n;
}

ssize_t xattrat_get(int dirfd, const char *name, const char *attr, void *value,
		    size_t size)
{
	struct xattrat_args a = {(uint64_t)(uintptr_t)value, (uint32_t)size, 0};
	char p[32 + NAME_MAX + 1];
	ssize_t n = size > UINT32_MAX ? -EINVAL : at_usable(name);

	if (n < 0)
		return n;
#ifdef __NR_getxattrat
	if (n && (n = at_answer(syscall(__NR_getxattrat, dirfd, name,
					AT_SYMLINK_NOFOLLOW, attr, &a,
					sizeof(a)))) != -ENOSYS)
		return n;
#else
	(void)a;
#endif
	if (proc_path(p, sizeof(p), dirfd, name) < 0)
		return -EINVAL;
	n = lgetxattr(p, attr, value, size);
	return n < 0 ? -errno : n;
}

void xattrat_proc_only(int on)
{
	__atomic_store_n(&no_at, on ? 1 : 0, __ATOMIC_RELAXED);
}
