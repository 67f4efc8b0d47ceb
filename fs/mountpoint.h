/* fs/mountpoint.h - the mount point before a mount: a dead daemon's mount
 * taken away, a live tapefs mount refused.
 */
#ifndef TAPEFS_MOUNTPOINT_H
#define TAPEFS_MOUNTPOINT_H

/* Get mp ready for a new mount, saying on stderr what it does:
 *  - a daemon killed with its mount up leaves mp answering ENOTCONN:
 *    that dead mount is taken away (lazily) so the new daemon can mount;
 *  - a tapefs mount that is alive at mp is refused: the kernel would stack
 *    the new mount over it, two daemons on one catalog and one library
 *    (`mount MNT` of an fstab line already mounted does that).
 * Returns 0, or -EBUSY (a live tapefs mount). */
int mountpoint_prepare(const char *mp);

#endif
