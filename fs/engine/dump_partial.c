/* fs/engine/dump_partial.c - the mark a partial file carries on the
 * staging disk (dump_int.h, "dump_partial.c"), so that a remount still
 * holds back a file whose write failed (dump_writers.c keeps the marks of
 * the running mount in memory).
 *
 * The mark is an extended attribute of the file itself: it follows the
 * inode through renames and hard links and goes with it, so no list has
 * to be kept in step with staging/. Its name is in the trusted namespace
 * when the daemon runs as root (no user can read, set or remove it on the
 * staging disk, and tmpfs holds it), else in the user namespace. Through
 * the mount it is hidden and cannot be set or removed (dump_xattr_own).
 */
#include <errno.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/engine/dump.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/xattrat.h"

#define PARTIAL_TRUSTED "trusted.tapefs.partial"
#define PARTIAL_USER	"user.tapefs.partial"

static const char *partial_name(void)
{
	return geteuid() == 0 ? PARTIAL_TRUSTED : PARTIAL_USER;
}

int dump_xattr_own(const char *name)
{
	return !strncmp(name, "user.tapefs.", 12) ||
	       !strncmp(name, "trusted.tapefs.", 15);
}

int dump_partial_set(int fd)
{
	return fsetxattr(fd, partial_name(), "1", 1, 0) < 0 ? -errno : 0;
}

int dump_partial_clear(int fd)
{
	if (fremovexattr(fd, partial_name()) < 0 && errno != ENODATA)
		return -errno;
	return 0;
}

int dump_partial_marked(int dirfd, const char *name)
{
	return xattrat_get(dirfd, name, partial_name(), NULL, 0) >= 0;
}
