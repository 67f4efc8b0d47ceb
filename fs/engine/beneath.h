/* fs/engine/beneath.h - opening a path beneath a root directory without
 * following a symlink at any step: how the engines reach what users put
 * in staging/, where any component may be swapped for a symlink at any
 * moment.
 *
 * beneath_open() resolves rel from the directory rootfd with openat2()
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, Linux 5.6 and later). Where the
 * kernel has no openat2 (ENOSYS), it walks the components itself: each
 * one opened O_PATH | O_NOFOLLOW from the descriptor of the one before
 * and checked to be a directory. Both ways give the same answers:
 *   - a symlink at any component, the last included: -ELOOP (a symlink
 *     itself is opened when flags hold O_PATH: then the last component
 *     may be one, and what is opened is the link, never its target; with
 *     O_DIRECTORY a last component that is a symlink is -ENOTDIR, as
 *     open(2) says);
 *   - a component before the last that is no directory: -ENOTDIR;
 *   - an absolute rel, an empty, "." or ".." component: -EINVAL (no
 *     path the engines build has one; rel "" is the root itself);
 *   - anything else the open returns, as -errno.
 * Nothing outside rootfd's tree is ever opened: a ".." cannot appear and
 * no symlink is followed.
 */
#ifndef TAPEFS_BENEATH_H
#define TAPEFS_BENEATH_H

/* Open rel beneath rootfd with open(2) flags (O_NOFOLLOW and O_CLOEXEC
 * are always added). A descriptor the caller closes, or -errno. */
int beneath_open(int rootfd, const char *rel, int flags);

/* The same by the component walk alone (what beneath_open() falls back
 * to without openat2); for tests. */
int beneath_open_walk(int rootfd, const char *rel, int flags);

/* The parent directory of rel (O_PATH, resolved as beneath_open() does;
 * a symlink there is -ELOOP, a file -ENOTDIR) and, in *name, where rel's
 * last component starts: for the *at() calls (fstatat, unlinkat) on the
 * entry itself. A descriptor or -errno; rel "" (the root) is -EINVAL. */
int beneath_parent(int rootfd, const char *rel, const char **name);

#endif
