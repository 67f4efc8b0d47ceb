/* tests/shim/killshim.c - LD_PRELOAD shim: a crash at an exact point.
 *
 *   TAPEFS_KILLSHIM_UNLINK=NAME
 *
 * The first unlinkat() or unlink() of an entry whose last path component
 * is NAME kills the process with SIGKILL before anything is removed, as a
 * power cut would at that instant: what was removed before stays removed,
 * NAME and what comes after it stay. Everything else goes to the real
 * libc.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
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
