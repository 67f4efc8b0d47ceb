/* fs/engine/dump_dirs.c - staged directories stay (dump.h, step 8).
 *
 * An instrument makes staging/run7/ once and writes a file there every
 * few minutes: a dump takes its files, never the directory from under
 * it. A staged directory is removed only by this sweep, on the engine's
 * thread, when it is empty, archived (archive/ shows it, so nothing of it
 * is lost) and was untouched - neither its mtime nor its ctime moved -
 * for cfg.dir_keep seconds (0 = never). An open file or a cwd inside it
 * cannot be seen from FUSE, so time is the guard: a writer that comes
 * back more often than dir_keep always finds its directory.
 *
 * The walk goes through directory descriptors from the staging root, never
 * following a symlink (openat O_NOFOLLOW, each directory checked to be the
 * one its lstat saw), and the removal is an unlinkat(AT_REMOVEDIR) of the
 * name in its parent's descriptor right after that name's lstat showed
 * the same inode, still empty-old: a directory that got an entry
 * meanwhile fails with ENOTEMPTY and stays.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"

#define SWEEP_DEPTH_MAX 256 /* deeper directories are left alone */

int dump_dir_archived(struct dump *d, const char *rel)
{
	struct catalog_member m;
	int r;

	memset(&m, 0, sizeof(m));
	if (catalog_ns_lookup(d->fs->cat, rel, &m) < 0)
		return 0;
	r = m.type == CATALOG_DIR;
	catalog_member_release(&m);
	return r;
}

struct sweep {
	struct dump *d;
	time_t before; /* untouched since before this */
	size_t removed;
	char path[PATH_MAX];
};

/* Directory st is old enough: both its times before s->before. */
static int dir_old(const struct sweep *s, const struct stat *st)
{
	return st->st_mtime < s->before && st->st_ctime < s->before;
}

static int sweep_dir(struct sweep *s, int fd, size_t len, int depth,
		     int *empty);

/* Entry name of dirfd (path s->path[0..len) + name): a directory is swept,
 * then removed when empty, old and archived. *empty is cleared when
 * something stays in dirfd. */
static void sweep_entry(struct sweep *s, int dirfd, const char *name,
			size_t len, int depth, int *empty)
{
	size_t nl = strlen(name), plen = len ? len + 1 + nl : nl;
	struct stat st, now;
	int fd, sub = 1;

	*empty = 0; /* unless it goes below */
	if (plen >= sizeof(s->path) || depth >= SWEEP_DEPTH_MAX ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return;
	if (len)
		s->path[len] = '/';
	memcpy(s->path + (len ? len + 1 : 0), name, nl + 1);
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &now) < 0 || now.st_ino != st.st_ino ||
	    now.st_dev != st.st_dev ||
	    sweep_dir(s, fd, plen, depth + 1, &sub)) {
		close(fd);
		return;
	}
	close(fd);
	s->path[plen] = 0;
	/* Looked at again right before the removal: its removal of entries
	 * below moved its mtime (then it waits for the next sweep). */
	if (!sub || fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    now.st_ino != st.st_ino || !dir_old(s, &now) ||
	    !dump_dir_archived(s->d, s->path))
		return;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0) {
		s->removed++;
		*empty = 1;
	}
}

/* Sweep the directory open as fd (path s->path[0..len)). *empty: nothing
 * is left in it. 0 or -errno of its listing. */
static int sweep_dir(struct sweep *s, int fd, size_t len, int depth, int *empty)
{
	struct dirent *de;
	DIR *dir;
	int dfd = dup(fd), e;

	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -ENOMEM;
	}
	*empty = 1;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		e = 1;
		sweep_entry(s, fd, de->d_name, len, depth, &e);
		s->path[len] = 0;
		if (!e)
			*empty = 0;
	}
	closedir(dir);
	return 0;
}

size_t dump_dirs_sweep(struct dump *d)
{
	struct sweep s;
	int empty, fd;

	if (!d->fs->cfg.dir_keep)
		return 0;
	fd = dump_staged_opendir(d, "");
	if (fd < 0)
		return 0;
	memset(&s, 0, sizeof(s));
	s.d = d;
	s.before = time(NULL) - (time_t)d->fs->cfg.dir_keep;
	/* the root itself is never removed */
	sweep_dir(&s, fd, 0, 0, &empty);
	close(fd);
	return s.removed;
}
