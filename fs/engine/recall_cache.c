/* fs/engine/recall_cache.c - the recall cache on disk: its directory, the names
 * of its files, and its agreement with the catalog's cache entries at start-up.
 * The engine (fs/engine/recall*.c) keeps the live state in memory; this file
 * only knows files and catalog rows.
 *
 * The files live in a directory of their own, RECALL_CACHE_SUBDIR inside
 * the configured cache directory, which the engine creates (0700) and
 * opens without following a symlink. The start-up sweep deletes there
 * only regular files named as the engine names them (m<ID>, m<ID>.part)
 * that no catalog entry claims: a stray file, a symlink or a directory is
 * left alone, and nothing outside that directory is ever deleted, so a
 * cache configured onto other data cannot wipe it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/private_dir.h"
#include "fs/engine/recall_int.h"

void recall_cache_name(int64_t member_id, int part, char *buf, size_t len)
{
	snprintf(buf, len, "m%" PRId64 "%s", member_id, part ? ".part" : "");
}

/* Parse "m<ID>" (part 0) or "m<ID>.part" (part 1), exactly as
 * recall_cache_name() writes them; -1 when neither. */
static int64_t name_parse(const char *name, int *part)
{
	char *end, again[64];
	long long id;

	if (name[0] != 'm' || name[1] < '0' || name[1] > '9')
		return -1;
	errno = 0;
	id = strtoll(name + 1, &end, 10);
	if (errno || id < 0)
		return -1;
	*part = !strcmp(end, ".part");
	recall_cache_name(id, *part, again, sizeof(again));
	return strcmp(name, again) ? -1 : id;
}

struct scan_ctx {
	int dirfd;
	recall_cache_fn fn;
	void *arg;
	int64_t *drop; /* entries to remove from the catalog */
	size_t ndrop, cap;
	int64_t *keep; /* ids whose file is good, sorted at the end */
	size_t nkeep, kcap;
	int ret;
};

static int push(int64_t **a, size_t *n, size_t *cap, int64_t v)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		int64_t *na = realloc(*a, nc * sizeof(**a));

		if (!na)
			return -ENOMEM;
		*a = na;
		*cap = nc;
	}
	(*a)[(*n)++] = v;
	return 0;
}

static int scan_entry(void *vctx, const struct catalog_cache_entry *e)
{
	struct scan_ctx *c = vctx;
	char name[64];
	struct stat st;
	int ok;

	recall_cache_name(e->member_id, 0, name, sizeof(name));
	/* whole, or partly with the map of its chunks (a sparse file of
	 * the member's size) */
	ok = (e->present == e->size ||
	      (e->map && e->present > 0 && e->present < e->size)) &&
	     !strcmp(e->file, name) &&
	     !fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	     S_ISREG(st.st_mode) && (uint64_t)st.st_size == e->size;
	if (!ok)
		return push(&c->drop, &c->ndrop, &c->cap, e->member_id);
	if (push(&c->keep, &c->nkeep, &c->kcap, e->member_id))
		return -ENOMEM;
	c->fn(c->arg, e->member_id, e->size, e->present,
	      e->present < e->size ? e->map : NULL, e->map_len, e->last_access);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* name (in the cache's own directory) is one of the engine's files that
 * no kept entry claims: a regular file named as the engine names them. */
static int sweep_ours(struct scan_ctx *c, const char *name)
{
	struct stat st;
	int part;
	int64_t id = name_parse(name, &part);

	if (id < 0)
		return 0; /* not a name the engine gives */
	if (!part && c->nkeep &&
	    bsearch(&id, c->keep, c->nkeep, sizeof(id), cmp_id))
		return 0; /* a good cached file */
	return fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

/* Remove every file of the engine's naming that is not a kept entry's. */
static int sweep_dir(struct scan_ctx *c)
{
	int fd = dup(c->dirfd);
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	if (c->nkeep)
		qsort(c->keep, c->nkeep, sizeof(*c->keep), cmp_id);
	while ((de = readdir(d)))
		if (sweep_ours(c, de->d_name))
			unlinkat(c->dirfd, de->d_name, 0);
	closedir(d);
	return 0;
}

static int is_symlink(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISLNK(st.st_mode);
}

/* The engine's own directory inside dir: created when missing, opened
 * without following a symlink, 0700. A descriptor or -errno. */
static int subdir_open(const char *dir)
{
	int top, fd, ret;

	ret = private_dir_make(dir);
	if (ret)
		return ret;
	top = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return -errno;
	if (mkdirat(top, RECALL_CACHE_SUBDIR, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		close(top);
		return ret;
	}
	fd = openat(top, RECALL_CACHE_SUBDIR,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	ret = fd < 0 ? -errno : fd;
	if (ret == -ENOTDIR && is_symlink(top, RECALL_CACHE_SUBDIR))
		ret = -ELOOP; /* say what is there: a symlink, never followed */
	if (ret >= 0 && fchmod(fd, 0700) < 0) { /* made before, or by hand */
		ret = -errno;
		close(fd);
	}
	close(top);
	return ret;
}

int recall_cache_open(const char *dir, struct catalog *cat, int *dirfd,
		      recall_cache_fn fn, void *arg)
{
	struct scan_ctx c = {.fn = fn, .arg = arg};
	int ret;

	c.dirfd = subdir_open(dir);
	if (c.dirfd < 0)
		return c.dirfd;
	ret = catalog_cache_unpin_all(cat);
	if (!ret)
		ret = catalog_cache_lru(cat, scan_entry, &c);
	for (size_t i = 0; !ret && i < c.ndrop; i++)
		ret = catalog_cache_remove(cat, c.drop[i]);
	if (!ret)
		ret = sweep_dir(&c);
	free(c.drop);
	free(c.keep);
	if (ret) {
		close(c.dirfd);
		return ret;
	}
	*dirfd = c.dirfd;
	return 0;
}
