/* fs/engine/dump_staged.c - every access the dump engine makes to an entry
 * of staging/ by its path relative to the staging root: the lstat that
 * compares it with its snapshot, the directories a snapshot or a request
 * starts from, the removal after the commit, and the opening of the
 * sources the tar writer reads. (The snapshot's walk below a directory
 * goes name by name through directory descriptors: dump_snap.c.)
 *
 * Users write staging/ and may swap any component of a path for a symlink
 * at any moment, so a path is never resolved by the kernel's usual
 * lookup: each goes through beneath_open() (fs/engine/beneath.h), which
 * never follows a symlink at any component and never leaves the staging
 * root. What a path then names must still be what the snapshot saw: its
 * identity (device, inode, type, owner, mode, and but for a directory its
 * size, mtime and ctime; dump_entry_same()) is compared on the open
 * descriptor, or, for a removal, by fstatat() of the name in its parent's
 * descriptor right before the unlinkat() from that same descriptor.
 *
 * A clean-up removes a directory's entries one after another, and the tar
 * writer reads them one after another: the parent's descriptor, opened
 * beneath the root for the first of them, is kept for the next ones
 * (struct dump_parent: one descriptor, the last parent's, never one per
 * entry), and only the last component is opened beneath it. A descriptor names its directory's
 * inode, not a path: a directory renamed or moved meanwhile takes its
 * entries along, and what is removed from it is still only an entry whose
 * identity is the snapshot's (the same inode, unchanged since: the file
 * that was archived); what is read through it is still only a source whose
 * identity the writer finds to be the snapshot's. A symlink put in the
 * directory's place is never followed: the descriptor is not the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/engine/beneath.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

int dump_staged_lstat(struct dump *d, const char *rel, struct stat *st)
{
	int fd = beneath_open(d->fs->staging_fd, rel, O_PATH), ret = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int dump_staged_opendir(struct dump *d, const char *rel)
{
	return beneath_open(d->fs->staging_fd, rel, O_RDONLY | O_DIRECTORY);
}

void dump_parent_init(struct dump_parent *p)
{
	p->fd = -1;
	p->len = 0;
}

void dump_parent_release(struct dump_parent *p)
{
	if (p->fd >= 0)
		close(p->fd);
	dump_parent_init(p);
}

/* rel's parent directory (O_PATH, beneath the root) and its last name:
 * p's descriptor when it was opened for this same parent path, else the
 * parent opened now (and kept in p instead of the last one). With p
 * NULL, a descriptor of its own the caller closes (*own = 1). */
static int parent_get(struct dump *d, struct dump_parent *p, const char *rel,
		      const char **name, int *own)
{
	const char *slash = strrchr(rel, '/');
	size_t len = slash ? (size_t)(slash - rel) : 0;
	int fd;

	*own = !p;
	if (p && p->fd >= 0 && p->len == len && !memcmp(p->rel, rel, len)) {
		*name = slash ? slash + 1 : rel;
		return p->fd;
	}
	fd = beneath_parent(d->fs->staging_fd, rel, name);
	if (fd < 0 || !p)
		return fd;
	dump_parent_release(p);
	if (len >= sizeof(p->rel)) { /* too long to keep: used once */
		*own = 1;
		return fd;
	}
	memcpy(p->rel, rel, len);
	p->len = len;
	p->fd = fd;
	return fd;
}

int dump_staged_remove(struct dump *d, struct dump_parent *p, const char *rel,
		       const struct stat *snap, int linked)
{
	struct stat was;

	struct stat now;
	const char *name;
	int dirfd, own, ret = 0;

	dirfd = parent_get(d, p, rel, &name, &own);
	if (dirfd < 0)
		return dirfd == -ENOENT ? -ENOENT : -ESTALE;
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0) {
		ret = -errno;
		goto out_close;
	}
	was = *snap;
	if (linked && S_ISREG(now.st_mode)) /* the ctime our unlink gave */
		was.st_ctim = now.st_ctim;
	if (!dump_entry_same(&was, &now) ||
	    (S_ISREG(now.st_mode) && dump_file_held(d, &now, rel, 0))) {
		ret = -ESTALE;
		goto out_close;
	}
	if (unlinkat(dirfd, name, S_ISDIR(now.st_mode) ? AT_REMOVEDIR : 0) < 0)
		ret = -errno;
out_close:
	if (own)
		close(dirfd);
	return ret;
}

int dump_entry_same(const struct stat *a, const struct stat *b)
{
	if (a->st_dev != b->st_dev || a->st_ino != b->st_ino ||
	    a->st_mode != b->st_mode || a->st_uid != b->st_uid ||
	    a->st_gid != b->st_gid)
		return 0;
	if (S_ISDIR(a->st_mode))
		return 1; /* its times change as its entries go */
	return a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

struct dump_opener *dump_opener_new(struct dump *d)
{
	struct dump_opener *o = malloc(sizeof(*o));

	if (o) {
		o->d = d;
		dump_parent_init(&o->p);
	}
	return o;
}

void dump_opener_free(struct dump_opener *o)
{
	if (!o)
		return;
	dump_parent_release(&o->p);
	free(o);
}

int dump_source_open(void *arg, const struct tarw_source *src, int flags)
{
	struct dump_opener *o = arg;
	const char *name;
	int dirfd, own, fd;

	dirfd = parent_get(o->d, &o->p, src->name, &name, &own);
	if (dirfd < 0)
		return dirfd;
	fd = beneath_open(dirfd, name, flags); /* one component */
	if (own)
		close(dirfd);
	return fd;
}

void dump_sources_free(struct dump_archive *a)
{
	free(a->src);
	free(a->srcidx);
	a->src = NULL;
	a->srcidx = NULL;
	a->nsrc = 0;
}

int dump_sources_make(struct dump_archive *a)
{
	const struct dump_snap *s = a->snap;
	size_t cnt = s->n ? s->n : 1;

	a->nsrc = 0;
	a->src = calloc(cnt, sizeof(*a->src));
	a->srcidx = calloc(cnt, sizeof(*a->srcidx));
	if (!a->src || !a->srcidx) {
		dump_sources_free(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct tarw_source *src = &a->src[a->nsrc];

		if (s->e[i].dropped)
			continue;
		src->name = s->e[i].rel;
		src->st = s->e[i].st;
		src->no_xattrs = s->e[i].no_xattrs;
		a->srcidx[a->nsrc++] = i;
	}
	return 0;
}
