/* fs/engine/dump_snap.c - snapshots of staging/ (dump.h, step 1).
 *
 * A snapshot is a walk of staging/ from the mount's staging_fd taking an
 * lstat of every entry: the directory it starts from is opened beneath
 * the staging root without following a symlink (dump_staged_opendir),
 * and below it the walk goes name by name through directory descriptors
 * (openat/fstatat, never following a symlink; a directory opened is
 * checked to be the one its lstat saw). Directories come before their
 * contents and names are in byte order, so the archive reads like `tar
 * -c` of the tree. A regular file with a writer open through the mount,
 * or held back after a failed write (dump_writers.c), is left out.
 * FIFOs, sockets and devices are left out too, and so are files larger
 * than any tape takes (dump_large.c). A directory is taken with what is
 * taken below it, or alone when archive/ does not show it yet (a new
 * empty directory); an archived one with nothing new below is left out:
 * directories stay in staging/ after a dump, and would else be dumped
 * again and again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"
#include "fs/engine/xattrat.h"
#include "tapeio/tarw.h"

/* ---- the list ------------------------------------------------------------ */

void dump_snap_free(struct dump_snap *s)
{
	if (s->view) { /* the entries are another snapshot's */
		memset(s, 0, sizeof(*s));
		return;
	}
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].rel);
	free(s->e);
	memset(s, 0, sizeof(*s));
}

int dump_snap_add(struct dump_snap *s, const char *rel, const struct stat *st)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct dump_entry *e = realloc(s->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		s->e = e;
		s->cap = cap;
	}
	s->e[s->n].rel = strdup(rel);
	if (!s->e[s->n].rel)
		return -ENOMEM;
	s->e[s->n].st = *st;
	s->e[s->n].dropped = 0;
	s->e[s->n].meta = 0;
	s->e[s->n].no_xattrs = 0;
	s->n++;
	if (S_ISREG(st->st_mode)) {
		s->bytes += (uint64_t)st->st_size;
		s->files++;
	} else if (S_ISLNK(st->st_mode)) {
		s->files++;
	}
	return 0;
}

static void snap_pop_to(struct dump_snap *s, size_t n)
{
	while (s->n > n) {
		struct dump_entry *e = &s->e[--s->n];
		if (S_ISREG(e->st.st_mode)) {
			s->bytes -= (uint64_t)e->st.st_size;
			s->files--;
		} else if (S_ISLNK(e->st.st_mode)) {
			s->files--;
		}
		free(e->rel);
	}
}

/* Take directory entry i out of the list (what is below it stays). */
static void snap_remove_dir(struct dump_snap *s, size_t i)
{
	free(s->e[i].rel);
	memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof(s->e[0]));
	s->n--;
}

size_t dump_snap_drop_changed(struct dump *d, struct dump_snap *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct stat now;
		if (s->e[i].dropped)
			continue;
		if (dump_staged_lstat(d, s->e[i].rel, &now) < 0 ||
		    !dump_entry_same(&s->e[i].st, &now)) {
			s->e[i].dropped = 1;
			n++;
		}
	}
	return n;
}

/* ---- a directory's names ------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Append a copy of name to v[0..*n). 0 or -ENOMEM. */
static int names_add(char ***v, size_t *n, size_t *cap, const char *name)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		char **nv = realloc(*v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[*n] = strdup(name);
	if (!(*v)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* The names in dirfd, sorted; *out malloc'd (names_free). */
static int dir_names(int dirfd, char ***out, size_t *n)
{
	DIR *dir;
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int fd, ret = 0;

	fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while (!ret && (errno = 0, de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			ret = names_add(&v, &cnt, &cap, de->d_name);
	if (!ret && errno)
		ret = -errno;
	closedir(dir);
	if (ret) {
		names_free(v, cnt);
		return ret;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), name_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- the walk ------------------------------------------------------------ */

struct walk {
	struct dump *d;
	struct dump_snap *s;
	uint64_t limit; /* the most one file's archive may take */
	uint32_t bs;
	uint64_t files, bytes; /* everything staged */
	char path[PATH_MAX];
};

/* fd, opened by name, is the directory st saw there. */
static int dir_same(int fd, const struct stat *st)
{
	struct stat now;

	return fstat(fd, &now) == 0 && now.st_dev == st->st_dev &&
	       now.st_ino == st->st_ino;
}

static int walk_dir(struct walk *w, int dirfd, size_t len, int *complete);

/* Bytes the extended attributes of entry name of dirfd add to its member
 * (tarw_bound_xattr()), read through the directory's descriptor without
 * following a symlink (xattrat.h); 0 when it has none or they cannot be
 * read (a bound short of them costs at most a rewrite at early warning).
 * *none is set to 1 when the listing said the entry has no attribute at
 * all (struct dump_entry's no_xattrs), else 0. */
static uint64_t meta_bound(int dirfd, const char *name, int *none)
{
	char *list;
	ssize_t n, v;
	uint64_t sum = 0;

	n = xattrat_list(dirfd, name, NULL, 0);
	*none = n == 0;
	if (n <= 0 || !(list = malloc((size_t)n + 1)))
		return 0;
	n = xattrat_list(dirfd, name, list, (size_t)n);
	if (n > 0)
		list[n] = 0;
	for (ssize_t off = 0; off < n; off += (ssize_t)strlen(list + off) + 1) {
		if (!tarw_xattr_kept(list + off))
			continue;
		v = xattrat_get(dirfd, name, list + off, NULL, 0);
		sum += tarw_bound_xattr(list + off, v > 0 ? (size_t)v : 0);
	}
	free(list);
	return sum;
}

/* Directory name of dirfd, whose path is w->path[0..plen): it, then what
 * is below it; it leaves the list again when nothing below is taken and
 * archive/ shows it already (directories stay staged: one that was dumped
 * is not dumped again for nothing). */
static int walk_subdir(struct walk *w, int dirfd, const char *name,
		       const struct stat *st, uint64_t meta, size_t plen,
		       int *complete)
{
	size_t mark = w->s->n;
	int sub = 1, fd, ret;

	ret = dump_snap_add(w->s, w->path, st);
	if (ret)
		return ret;
	w->s->e[mark].meta = meta;
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !dir_same(fd, st)) {
		close(fd); /* replaced since its lstat */
		fd = -1;
	}
	if (fd < 0) {
		snap_pop_to(w->s, mark);
		*complete = 0;
		return 0;
	}
	ret = walk_dir(w, fd, plen, &sub);
	close(fd);
	if (!sub)
		*complete = 0;
	if (!ret && w->s->n == mark + 1 &&
	    dump_dir_archived(w->d, w->s->e[mark].rel))
		snap_pop_to(w->s, mark);
	return ret;
}

/* Regular file st named rel is larger than any tape takes: noted, left
 * out. 1 when so. */
static int too_large(struct dump *d, struct dump_snap *s, const char *rel,
		     const struct stat *st, uint64_t meta, uint64_t limit,
		     uint32_t bs)
{
	struct dump_entry e = {.rel = (char *)rel, .st = *st, .meta = meta};

	if (limit == UINT64_MAX || dump_entry_bound(&e, bs) <= limit)
		return 0;
	dump_large_note(d, st, rel, limit, s->gen);
	s->too_large++;
	return 1;
}

/* What the walk reads of each name of a directory before it takes it:
 * its lstat and, for a regular file or a directory, what its extended
 * attributes add (meta_bound). These two or three system calls are most
 * of a snapshot's time, so they are read for a block of names at once,
 * half of it by a helper thread beside the walk's own (pre_read). */
struct pre {
	struct stat st;
	int err; /* fstatat's errno, or 0 */
	uint64_t meta;
	int no_xattrs; /* listed after st was read: none */
};

#define PRE_BLOCK 1024 /* names read ahead at a time */
#define PRE_SPLIT 64   /* from this many, two threads read them */

struct pre_part {
	int dirfd;
	char **names;
	struct pre *pre;
	size_t n;
	pthread_t th;
};

static void *pre_part_run(void *arg)
{
	struct pre_part *p = arg;

	for (size_t i = 0; i < p->n; i++) {
		struct pre *e = &p->pre[i];

		e->meta = 0;
		e->no_xattrs = 0;
		/* the lstat first, then the listing: see no_xattrs */
		e->err = fstatat(p->dirfd, p->names[i], &e->st,
				 AT_SYMLINK_NOFOLLOW) < 0
			     ? errno
			     : 0;
		if (!e->err &&
		    (S_ISREG(e->st.st_mode) || S_ISDIR(e->st.st_mode)))
			e->meta = meta_bound(p->dirfd, p->names[i],
					     &e->no_xattrs);
	}
	return NULL;
}

/* Read names[0..n) of dirfd into pre[0..n): the second half on a thread
 * of its own when there are enough (without a thread, all here). */
static void pre_read(int dirfd, char **names, struct pre *pre, size_t n)
{
	struct pre_part a = {dirfd, names, pre, n, 0}, b;
	int two = 0;

	if (n >= PRE_SPLIT) {
		b = a;
		a.n = n / 2;
		b.names += a.n;
		b.pre += a.n;
		b.n = n - a.n;
		two = pthread_create(&b.th, NULL, pre_part_run, &b) == 0;
		if (!two)
			a.n = n;
	}
	pre_part_run(&a);
	if (two)
		pthread_join(b.th, NULL);
}

/* Entry name of dirfd, whose directory's path is w->path[0..len), read
 * ahead into p. */
static int walk_entry(struct walk *w, int dirfd, const char *name,
		      const struct pre *p, size_t len, int *complete)
{
	const struct stat st = p->st;
	size_t nl = strlen(name);
	size_t plen = len ? len + 1 + nl : nl;
	int ret;

	if (plen >= sizeof(w->path)) {
		*complete = 0; /* cannot be named: left staged */
		return 0;
	}
	if (len)
		w->path[len] = '/';
	memcpy(w->path + (len ? len + 1 : 0), name, nl + 1);
	if (p->err) {
		if (p->err != ENOENT) /* gone meanwhile: fine */
			*complete = 0;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return walk_subdir(w, dirfd, name, &st, p->meta, plen,
				   complete);
	if (S_ISREG(st.st_mode)) {
		w->files++;
		w->bytes += (uint64_t)st.st_size;
		/* The first scan after a start (on the engine's own thread,
		 * as is started_up) looks for the on-disk marks of failed
		 * writes: a remount holds those files back too. */
		if (!w->d->started_up && w->s->gen)
			dump_file_partial_found(w->d, dirfd, name, &st,
						w->path);
		if (dump_file_held(w->d, &st, w->path, w->s->gen))
			goto out_left;
		if (too_large(w->d, w->s, w->path, &st, p->meta, w->limit,
			      w->bs))
			goto out_left;
		ret = dump_snap_add(w->s, w->path, &st);
		if (!ret) {
			w->s->e[w->s->n - 1].meta = p->meta;
			w->s->e[w->s->n - 1].no_xattrs = p->no_xattrs;
		}
		return ret;
	} else if (S_ISLNK(st.st_mode)) {
		w->files++;
		return dump_snap_add(w->s, w->path, &st);
	}
out_left:
	*complete = 0; /* held back, too large; fifo, socket, device */
	return 0;
}

/* Walk the directory open as dirfd whose path is w->path[0..len).
 * *complete is cleared when something below is left out. */
static int walk_dir(struct walk *w, int dirfd, size_t len, int *complete)
{
	char **names = NULL;
	struct pre *pre;
	size_t n = 0;
	int ret;

	ret = dir_names(dirfd, &names, &n);
	if (ret)
		return ret;
	pre = malloc((n < PRE_BLOCK ? n : PRE_BLOCK) * sizeof(*pre) + 1);
	if (!pre) {
		names_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		if (i % PRE_BLOCK == 0)
			pre_read(dirfd, names + i, pre,
				 n - i < PRE_BLOCK ? n - i : PRE_BLOCK);
		ret = walk_entry(w, dirfd, names[i], &pre[i % PRE_BLOCK], len,
				 complete);
	}
	free(pre);
	names_free(names, n);
	return ret;
}

/* ---- taking a snapshot --------------------------------------------------- */

/* rel names no directory: the snapshot is that entry alone, or nothing
 * while it is held back (a writer has it open, or a write failed). */
static int snap_take_one(struct walk *w, const char *rel, const struct stat *st)
{
	struct dump *d = w->d;
	struct dump_snap *s = w->s;

	if (S_ISREG(st->st_mode) &&
	    (dump_file_held(d, st, rel, 0) ||
	     too_large(d, s, rel, st, 0, w->limit, w->bs)))
		return 0; /* held back, too large: nothing to take */
	if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
		return dump_snap_add(s, rel, st);
	return -EINVAL;
}

/* The walk from directory rel ("" = the root, else already listed). */
static int snap_take_dir(struct walk *w, const char *rel)
{
	int fd, complete = 1, ret;

	fd = dump_staged_opendir(w->d, rel);
	if (fd < 0)
		return fd;
	ret = walk_dir(w, fd, strlen(rel), &complete);
	close(fd);
	if (!ret && rel[0] && w->s->n == 1 && dump_dir_archived(w->d, rel))
		/* The requested directory alone, already archived. */
		snap_remove_dir(w->s, 0);
	return ret;
}

int dump_snap_take(struct dump *d, const char *rel, struct dump_snap *s,
		   uint64_t *staged_files, uint64_t *staged_bytes)
{
	struct walk *w;
	struct stat st;
	int ret;

	memset(s, 0, sizeof(*s));
	if (!rel)
		rel = "";
	if (strlen(rel) >= PATH_MAX)
		return -ENAMETOOLONG;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->d = d;
	w->s = s;
	w->limit = dump_file_limit(d);
	w->bs = d->fs->cfg.block_size ? d->fs->cfg.block_size : TARW_BLOCK_SIZE;
	if (!rel[0])
		s->gen = dump_scan_gen_next(d);
	snprintf(w->path, sizeof(w->path), "%s", rel);
	ret = rel[0] ? dump_staged_lstat(d, rel, &st) : 0;
	if (!ret && rel[0] && !S_ISDIR(st.st_mode)) {
		ret = snap_take_one(w, rel, &st);
		goto out;
	}
	if (!ret && rel[0])
		ret = dump_snap_add(s, rel, &st);
	if (!ret)
		ret = snap_take_dir(w, rel);
	if (!ret && staged_files)
		*staged_files = w->files;
	if (!ret && staged_bytes)
		*staged_bytes = w->bytes;
out:
	if (ret)
		dump_snap_free(s);
	free(w);
	return ret;
}
