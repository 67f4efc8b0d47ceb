/* fs/mountpoint.c - the mount point before a mount (fs/mountpoint.h). */
#include <errno.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/mountpoint.h"

/* The dead mount at mp away: fusermount3 -u -z, else umount -l. */
static void clear_dead(const char *mp)
{
	char cmd[4200];

	fprintf(stderr,
		"tapefs: %s: the mount of a dead daemon is in the "
		"way; unmounting it\n",
		mp);
	if (strchr(mp, '\''))
		return;
	snprintf(cmd, sizeof(cmd),
		 "fusermount3 -u -z '%s' 2>/dev/null || "
		 "umount -l '%s' 2>/dev/null",
		 mp, mp);
	if (system(cmd) != 0)
		fprintf(stderr, "tapefs: %s: could not unmount it\n", mp);
}

/* Whether the last mount at dir in /proc/self/mounts is tapefs's: type
 * fuse.tapefs, or plain fuse with source "tapefs" (without a subtype).
 * The source (the config) into src. */
static int tapefs_mounted(const char *dir, char *src, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int found = 0;

	if (!f)
		return 0;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_dir, dir)) {
			found = !strcmp(m->mnt_type, "fuse.tapefs") ||
				(!strcmp(m->mnt_type, "fuse") &&
				 !strcmp(m->mnt_fsname, "tapefs"));
			snprintf(src, len, "%s", m->mnt_fsname);
		}
	endmntent(f);
	return found;
}

int mountpoint_prepare(const char *mp)
{
	char real[PATH_MAX], src[PATH_MAX];
	struct statx stx;

	if (!mp)
		return 0;
	/* The kernel answers a stat from attributes it still caches (a
	 * second after the last access): the question goes to the daemon. */
	if (statx(AT_FDCWD, mp, AT_STATX_FORCE_SYNC, STATX_TYPE, &stx) < 0 &&
	    errno == ENOTCONN) {
		clear_dead(mp);
		return 0;
	}
	if (!realpath(mp, real) || !tapefs_mounted(real, src, sizeof(src)))
		return 0;
	fprintf(stderr,
		"tapefs: %s: already mounted (tapefs of %s); unmount it "
		"first\n",
		mp, src);
	return -EBUSY;
}
