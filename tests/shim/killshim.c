/* tests/shim/killshim.c - LD_PRELOAD shim: a crash at an exact point.
 *
 *   TAPEFS_KILLSHIM_UNLINK=NAME
 *
 * The first unlinkat() or unlink() of an entry whose last path component
 * is NAME kills the process with SIGKILL before anything is removed, as a
 * power cut would at that instant: what was removed before stays removed,
 * NAME and what comes after it stay.
 *
 *   TAPEFS_KILLSHIM_FDATASYNC=PATTERN
 *
 * The first fdatasync() of a file whose name (the last component of its
 * path, found through /proc/self/fd) matches the fnmatch(3) PATTERN kills
 * the process with SIGKILL before anything is flushed: what was written
 * and renamed before stays in the page cache and in the directory, and
 * nothing of what the process would have done once the file was durable
 * happens. Everything else goes to the real libc.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die_at(const char *path)
{
	const char *want = getenv("TAPEFS_KILLSHIM_UNLINK");
	const char *base = path ? strrchr(path, '/') : NULL;

	base = base ? base + 1 : path;
	if (want && *want && base && !strcmp(base, want))
		kill(getpid(), SIGKILL);
}

int unlinkat(int dirfd, const char *path, int flags)
{
	int (*real)(int, const char *, int) =
	    (int (*)(int, const char *, int))dlsym(RTLD_NEXT, "unlinkat");

	die_at(path);
	return real(dirfd, path, flags);
}

int unlink(const char *path)
{
	int (*real)(const char *) =
	    (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");

	die_at(path);
	return real(path);
}

int fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	const char *want = getenv("TAPEFS_KILLSHIM_FDATASYNC");
	char link[64], path[4096];
	const char *base;
	ssize_t n;

	if (want && *want) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, path, sizeof(path) - 1);
		path[n > 0 ? n : 0] = 0;
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (n > 0 && fnmatch(want, base, 0) == 0)
			kill(getpid(), SIGKILL);
	}
	return real(fd);
}
