/* fs/engine/xattrat.h - the extended attributes of a directory entry
 * named from its directory's descriptor, never following a symlink: what
 * the walks of staging/ read of each entry.
 *
 * listxattrat(2) and getxattrat(2) (Linux 6.13 and later) take the
 * directory's descriptor and the name, one lookup. Where the kernel has
 * neither (ENOSYS, remembered) or a seccomp filter refuses them (EPERM),
 * the l- calls go through /proc/self/fd/DIRFD/NAME instead: the same
 * answers for some 4 us more per entry (procfs is walked component by
 * component). NAME is one component: a '/' in it is -EINVAL.
 */
#ifndef TAPEFS_XATTRAT_H
#define TAPEFS_XATTRAT_H

#include <stddef.h>
#include <sys/types.h>

/* The names of the attributes of entry name of dirfd, as listxattr(2)
 * gives them (size 0: the size needed). Bytes, or -errno. */
ssize_t xattrat_list(int dirfd, const char *name, char *list, size_t size);

/* The value of attribute attr of entry name of dirfd, as getxattr(2)
 * gives it (size 0: the size needed). Bytes, or -errno (-ENODATA: none). */
ssize_t xattrat_get(int dirfd, const char *name, const char *attr, void *value,
		    size_t size);

/* For tests: on 1, every call goes through /proc as without the system
 * calls; 0 goes back to them. */
void xattrat_proc_only(int on);

#endif
