/* fs/engine/dump_staged.c - every access the dump engine makes to an entry
 * of staging/ by its path relative to the staging root: the lstat that
 * compares it with its snapshot, the directories a snapshot or a request
 * starts from, readlink, unlink after the commit, and the sources the tar
 * writer opens. (The snapshot's walk below a directory goes name by name
 * through directory descriptors: dump_snap.c.)
 *
 * Today these are *at() calls on the mount's staging_fd that do not follow
 * a symlink in the last component, and the writer opens each source by
 * its full path under cfg.staging; how a path is resolved beneath the
 * staging root is decided here alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

int dump_staged_lstat(struct dump *d, const char *rel, struct stat *st)
{
	if (fstatat(d->fs->staging_fd, rel, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

int dump_staged_opendir(struct dump *d, const char *rel)
{
	int fd = openat(d->fs->staging_fd, rel[0] ? rel : ".",
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

ssize_t dump_staged_readlink(struct dump *d, const char *rel, char *buf,
			     size_t size)
{
	ssize_t n = readlinkat(d->fs->staging_fd, rel, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

int dump_staged_unlink(struct dump *d, const char *rel, int flags)
{
	if (unlinkat(d->fs->staging_fd, rel, flags) < 0)
		return -errno;
	return 0;
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

void dump_sources_free(struct dump_archive *a)
{
	for (size_t i = 0; a->src && i < a->nsrc; i++)
		free((char *)a->src[i].path);
	free(a->src);
	free(a->srcidx);
	a->src = NULL;
	a->srcidx = NULL;
	a->nsrc = 0;
}

int dump_sources_make(struct dump *d, struct dump_archive *a)
{
	const struct dump_snap *s = a->snap;
	size_t cnt = s->n ? s->n : 1;

	a->nsrc = 0;
	a->src = calloc(cnt, sizeof(*a->src));
	a->srcidx = calloc(cnt, sizeof(*a->srcidx));
	if (!a->src || !a->srcidx)
		goto out_nomem;
	for (size_t i = 0; i < s->n; i++) {
		struct tarw_source *src = &a->src[a->nsrc];
		char *p;

		if (s->e[i].dropped)
			continue;
		if (asprintf(&p, "%s/%s", d->fs->cfg.staging, s->e[i].rel) < 0)
			goto out_nomem;
		src->path = p;
		src->name = s->e[i].rel;
		src->st = s->e[i].st;
		a->srcidx[a->nsrc++] = i;
	}
	return 0;

out_nomem:
	dump_sources_free(a);
	return -ENOMEM;
}
