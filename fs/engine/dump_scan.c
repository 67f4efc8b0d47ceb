/* fs/engine/dump_scan.c - snapshots of staging/ and the clean-up after a commit.
 *
 * A snapshot is a walk of staging/ through the mount's staging_fd
 * (openat/fstatat, never following symlinks) taking an lstat of every
 * entry. Directories come before their contents and names are in byte
 * order, so the archive reads like `tar -c` of the tree. A regular file
 * with a writer open through the mount is left out, and so is every
 * directory above it (a directory is archived only when its whole subtree
 * is, so that its removal after the commit can succeed and a directory is
 * not archived again with every dump of a file still being written).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"

void dump_snap_free(struct dump_snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].rel);
	free(s->e);
	memset(s, 0, sizeof(*s));
}

static int snap_push(struct dump_snap *s, const char *rel,
		     const struct stat *st)
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

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dirfd, sorted; *out malloc'd (free each and the array). */
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
	while ((errno = 0, de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt] = strdup(de->d_name);
		if (!v[cnt]) {
			ret = -ENOMEM;
			break;
		}
		cnt++;
	}
	if (!ret && errno)
		ret = -errno;
	closedir(dir);
	if (ret) {
		for (size_t i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
		return ret;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), name_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

struct walk {
	struct dump *d;
	struct dump_snap *s;
	uint64_t files, bytes; /* everything staged */
	char path[PATH_MAX];
};

/* Walk the directory open as dirfd whose path is w->path[0..len).
 * *complete is cleared when something below is left out. */
static int walk_dir(struct walk *w, int dirfd, size_t len, int *complete)
{
	char **names = NULL;
	size_t n = 0;
	int ret;

	ret = dir_names(dirfd, &names, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n && !ret; i++) {
		struct stat st;
		size_t nl = strlen(names[i]);
		size_t plen = len ? len + 1 + nl : nl;

		if (plen >= sizeof(w->path)) {
			*complete = 0; /* cannot be named: left staged */
			continue;
		}
		if (len)
			w->path[len] = '/';
		memcpy(w->path + (len ? len + 1 : 0), names[i], nl + 1);
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) /* gone meanwhile: fine */
				*complete = 0;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			size_t mark = w->s->n;
			int sub = 1, fd;
			ret = snap_push(w->s, w->path, &st);
			if (ret)
				break;
			fd = openat(dirfd, names[i],
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				snap_pop_to(w->s, mark);
				*complete = 0;
				continue;
			}
			ret = walk_dir(w, fd, plen, &sub);
			close(fd);
			if (!sub) {
				/* Keep what is below, but not the directory. */
				free(w->s->e[mark].rel);
				memmove(&w->s->e[mark], &w->s->e[mark + 1],
					(w->s->n - mark - 1) * sizeof(w->s->e[0]));
				w->s->n--;
				*complete = 0;
			}
		} else if (S_ISREG(st.st_mode)) {
			w->files++;
			w->bytes += (uint64_t)st.st_size;
			if (dump_has_writer(w->d, st.st_dev, st.st_ino))
				*complete = 0;
			else
				ret = snap_push(w->s, w->path, &st);
		} else if (S_ISLNK(st.st_mode)) {
			w->files++;
			ret = snap_push(w->s, w->path, &st);
		} else {
			*complete = 0; /* fifo, socket, device: not archived */
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int dump_snap_take(struct dump *d, const char *rel, struct dump_snap *s,
		   uint64_t *staged_files, uint64_t *staged_bytes)
{
	struct walk *w;
	struct stat st;
	int fd = -1, complete = 1, ret;

	memset(s, 0, sizeof(*s));
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->d = d;
	w->s = s;
	if (!rel)
		rel = "";
	if (strlen(rel) >= sizeof(w->path)) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	snprintf(w->path, sizeof(w->path), "%s", rel);
	if (rel[0]) {
		if (fstatat(d->fs->staging_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (S_ISREG(st.st_mode) &&
			    dump_has_writer(d, st.st_dev, st.st_ino))
				ret = 0; /* being written: nothing to take */
			else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
				ret = snap_push(s, rel, &st);
			else
				ret = -EINVAL;
			goto out;
		}
		ret = snap_push(s, rel, &st);
		if (ret)
			goto out;
	}
	fd = openat(d->fs->staging_fd, rel[0] ? rel : ".",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = walk_dir(w, fd, strlen(rel), &complete);
	if (!ret && rel[0] && !complete) {
		/* The requested directory itself waits for its writers. */
		free(s->e[0].rel);
		memmove(&s->e[0], &s->e[1], (s->n - 1) * sizeof(s->e[0]));
		s->n--;
	}
	if (!ret && staged_files)
		*staged_files = w->files;
	if (!ret && staged_bytes)
		*staged_bytes = w->bytes;
out:
	if (fd >= 0)
		close(fd);
	if (ret)
		dump_snap_free(s);
	free(w);
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

static size_t depth(const char *p)
{
	size_t n = 0;

	for (; *p; p++)
		n += *p == '/';
	return n;
}

static int depth_cmp(const void *a, const void *b)
{
	const struct dump_entry *x = *(const struct dump_entry *const *)a;
	const struct dump_entry *y = *(const struct dump_entry *const *)b;
	size_t dx = depth(x->rel), dy = depth(y->rel);

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(y->rel, x->rel);
}

size_t dump_snap_remove(struct dump *d, const struct dump_snap *s)
{
	int sfd = d->fs->staging_fd;
	const struct dump_entry **dirs;
	size_t kept = 0, ndirs = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct dump_entry *e = &s->e[i];
		struct stat now;

		if (e->dropped) {
			kept++;
			continue;
		}
		if (S_ISDIR(e->st.st_mode))
			continue;
		if (fstatat(sfd, e->rel, &now, AT_SYMLINK_NOFOLLOW) < 0) {
			continue; /* gone already (renamed or unlinked) */
		}
		if (!dump_entry_same(&e->st, &now) ||
		    (S_ISREG(now.st_mode) &&
		     dump_has_writer(d, now.st_dev, now.st_ino))) {
			kept++; /* changed since: dumped again later */
			continue;
		}
		if (unlinkat(sfd, e->rel, 0) < 0 && errno != ENOENT)
			kept++;
	}
	dirs = malloc((s->n + 1) * sizeof(*dirs));
	if (!dirs)
		return kept;
	for (size_t i = 0; i < s->n; i++)
		if (S_ISDIR(s->e[i].st.st_mode) && !s->e[i].dropped &&
		    s->e[i].rel[0])
			dirs[ndirs++] = &s->e[i];
	qsort(dirs, ndirs, sizeof(*dirs), depth_cmp);
	for (size_t i = 0; i < ndirs; i++) {
		struct stat now;
		if (fstatat(sfd, dirs[i]->rel, &now, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!dump_entry_same(&dirs[i]->st, &now)) {
			kept++;
			continue;
		}
		/* ENOTEMPTY: something new arrived; it stays. */
		unlinkat(sfd, dirs[i]->rel, AT_REMOVEDIR);
	}
	free(dirs);
	return kept;
}

/* Is the staged entry e the same as the archived latest version? */
static int archived_same(struct dump *d, const struct dump_entry *e)
{
	struct catalog_member m;
	int same = 0;

	memset(&m, 0, sizeof(m));
	if (catalog_ns_lookup(d->fs->cat, e->rel, &m) < 0)
		return 0;
	if ((m.mode & 07777) != (e->st.st_mode & 07777))
		goto out;
	if (S_ISREG(e->st.st_mode))
		same = m.type == CATALOG_FILE &&
		       m.size == (uint64_t)e->st.st_size &&
		       m.mtime == e->st.st_mtim.tv_sec &&
		       m.mtime_nsec == e->st.st_mtim.tv_nsec;
	else if (S_ISDIR(e->st.st_mode))
		same = m.type == CATALOG_DIR && !m.implicit;
	else if (S_ISLNK(e->st.st_mode) && m.type == CATALOG_SYMLINK &&
		 m.link) {
		char buf[PATH_MAX];
		ssize_t n = readlinkat(d->fs->staging_fd, e->rel, buf,
				       sizeof(buf) - 1);
		if (n >= 0) {
			buf[n] = 0;
			same = strcmp(buf, m.link) == 0 &&
			       m.mtime == e->st.st_mtim.tv_sec;
		}
	}
out:
	catalog_member_release(&m);
	return same;
}

size_t dump_recover_committed(struct dump *d)
{
	struct dump_snap s;
	size_t removed = 0;

	if (dump_snap_take(d, "", &s, NULL, NULL) < 0)
		return 0;
	for (size_t i = 0; i < s.n; i++)
		s.e[i].dropped = !archived_same(d, &s.e[i]);
	for (size_t i = 0; i < s.n; i++)
		if (!s.e[i].dropped && !S_ISDIR(s.e[i].st.st_mode))
			removed++;
	if (removed || s.n)
		dump_snap_remove(d, &s);
	dump_snap_free(&s);
	return removed;
}
