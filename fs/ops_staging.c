/* fs/ops_staging.c - staging/: a read-write passthrough onto cfg.staging.
 *
 * Every call works relative to fs->staging_fd with the *at() system calls;
 * the final component is never followed when it is a symlink. Open files
 * hold one fd each (fi->fh -> struct stg_file), never one per inode or path.
 * As root, new entries are given to the calling user (with allow_other,
 * what a user copies in stays theirs). Handles opened for writing are
 * reported to the dump engine, which makes a file eligible when its last
 * writer closes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ops.h"

struct stg_file {
	struct ops_handle h;
	int fd;
	int writer; /* reported to dump_file_opened() */
	char *rel;  /* path at open, for an unlinked file's release */
};

struct stg_dir {
	struct ops_handle h;
	DIR *dp;
	struct dirent *entry;
	off_t offset;
};

static inline struct stg_file *stg_file(struct fuse_file_info *fi)
{
	return (struct stg_file *)(uintptr_t)fi->fh;
}

/* The dump engine wants paths without "./". */
static const char *dump_rel(const char *rel)
{
	return strcmp(rel, ".") ? rel : "";
}

static void changed(struct tapefs *fs, const char *rel)
{
	if (fs->dump)
		dump_path_changed(fs->dump, dump_rel(rel));
}

/* As root, give a new entry to the user who made it. */
static int give_to_caller(struct tapefs *fs, const char *rel)
{
	struct fuse_context *ctx = fuse_get_context();

	if (geteuid() != 0 || ctx->uid == 0)
		return 0;
	if (fchownat(fs->staging_fd, rel, ctx->uid, ctx->gid,
		     AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

int stg_getattr(const char *rel, struct stat *st, struct fuse_file_info *fi)
{
	int r;

	if (fi && fi->fh && stg_file(fi)->h.area == OPS_STAGING)
		r = fstat(stg_file(fi)->fd, st);
	else
		r = fstatat(ops_fs()->staging_fd, rel, st, AT_SYMLINK_NOFOLLOW);
	return r < 0 ? -errno : 0;
}

int stg_readlink(const char *rel, char *buf, size_t size)
{
	ssize_t n = readlinkat(ops_fs()->staging_fd, rel, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

int stg_mknod(const char *rel, mode_t mode, dev_t rdev)
{
	struct tapefs *fs = ops_fs();
	int ret;

	/* Only what a tar archive of data holds: files and fifos. */
	if (!S_ISREG(mode) && !S_ISFIFO(mode))
		return -EPERM;
	if (mknodat(fs->staging_fd, rel, mode, rdev) < 0)
		return -errno;
	ret = give_to_caller(fs, rel);
	changed(fs, rel);
	return ret;
}

int stg_mkdir(const char *rel, mode_t mode)
{
	struct tapefs *fs = ops_fs();
	int ret;

	if (mkdirat(fs->staging_fd, rel, mode) < 0)
		return -errno;
	ret = give_to_caller(fs, rel);
	changed(fs, rel);
	return ret;
}

int stg_unlink(const char *rel)
{
	struct tapefs *fs = ops_fs();

	if (unlinkat(fs->staging_fd, rel, 0) < 0)
		return -errno;
	changed(fs, rel);
	return 0;
}

int stg_rmdir(const char *rel)
{
	struct tapefs *fs = ops_fs();

	if (unlinkat(fs->staging_fd, rel, AT_REMOVEDIR) < 0)
		return -errno;
	changed(fs, rel);
	return 0;
}

int stg_symlink(const char *target, const char *rel)
{
	struct tapefs *fs = ops_fs();
	int ret;

	if (symlinkat(target, fs->staging_fd, rel) < 0)
		return -errno;
	ret = give_to_caller(fs, rel);
	changed(fs, rel);
	return ret;
}

int stg_rename(const char *from, const char *to, unsigned int flags)
{
	struct tapefs *fs = ops_fs();

	if (renameat2(fs->staging_fd, from, fs->staging_fd, to, flags) < 0)
		return -errno;
	changed(fs, from);
	changed(fs, to);
	return 0;
}

int stg_link(const char *from, const char *to)
{
	struct tapefs *fs = ops_fs();

	if (linkat(fs->staging_fd, from, fs->staging_fd, to, 0) < 0)
		return -errno;
	changed(fs, to);
	return 0;
}

int stg_chmod(const char *rel, mode_t mode, struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs();
	int r;

	if (fi && fi->fh && stg_file(fi)->h.area == OPS_STAGING)
		r = fchmod(stg_file(fi)->fd, mode);
	else
		r = fchmodat(fs->staging_fd, rel, mode, 0);
	if (r < 0)
		return -errno;
	changed(fs, rel);
	return 0;
}

int stg_chown(const char *rel, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs();
	int r;

	if (fi && fi->fh && stg_file(fi)->h.area == OPS_STAGING)
		r = fchown(stg_file(fi)->fd, uid, gid);
	else
		r = fchownat(fs->staging_fd, rel, uid, gid,
			     AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return -errno;
	changed(fs, rel);
	return 0;
}

int stg_truncate(const char *rel, off_t size, struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs();
	int fd, r;

	if (fi && fi->fh && stg_file(fi)->h.area == OPS_STAGING)
		return ftruncate(stg_file(fi)->fd, size) < 0 ? -errno : 0;
	fd = openat(fs->staging_fd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ftruncate(fd, size) < 0 ? -errno : 0;
	close(fd);
	changed(fs, rel);
	return r;
}

int stg_utimens(const char *rel, const struct timespec tv[2],
		struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs();
	int r;

	if (fi && fi->fh && stg_file(fi)->h.area == OPS_STAGING)
		r = futimens(stg_file(fi)->fd, tv);
	else
		r = utimensat(fs->staging_fd, rel, tv, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return -errno;
	changed(fs, rel);
	return 0;
}

static int is_write_open(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

/* Wrap an open fd in a handle; closes fd on failure. */
static int file_handle(struct tapefs *fs, const char *rel, int fd,
		       struct fuse_file_info *fi)
{
	struct stg_file *f = calloc(1, sizeof(*f));
	struct stat st;

	if (!f || !(f->rel = strdup(dump_rel(rel)))) {
		free(f);
		close(fd);
		return -ENOMEM;
	}
	f->h.area = OPS_STAGING;
	f->fd = fd;
	if (is_write_open(fi->flags) && fs->dump && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		dump_file_opened(fs->dump, f->rel, &st);
		f->writer = 1;
	}
	fi->fh = (uintptr_t)f;
	/* No keep_cache: the dump engine removes dumped files underneath,
	 * and a new file of the same name must not show the old pages. */
	return 0;
}

int stg_open(const char *rel, struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs();
	int fd;

	fd = openat(fs->staging_fd, rel,
		    (fi->flags & ~O_NOFOLLOW) | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return file_handle(fs, rel, fd, fi);
}

int stg_create(const char *rel, mode_t mode, struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs();
	int fd, ret;

	fd = openat(fs->staging_fd, rel,
		    fi->flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	ret = give_to_caller(fs, rel);
	if (ret) {
		close(fd);
		return ret;
	}
	return file_handle(fs, rel, fd, fi);
}

int stg_read_buf(struct fuse_file_info *fi, struct fuse_bufvec **bufp,
		 size_t size, off_t off)
{
	struct fuse_bufvec *src = malloc(sizeof(*src));

	if (!src)
		return -ENOMEM;
	*src = FUSE_BUFVEC_INIT(size);
	src->buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	src->buf[0].fd = stg_file(fi)->fd;
	src->buf[0].pos = off;
	*bufp = src;
	return 0;
}

int stg_write_buf(struct fuse_file_info *fi, struct fuse_bufvec *buf, off_t off)
{
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(fuse_buf_size(buf));

	dst.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	dst.buf[0].fd = stg_file(fi)->fd;
	dst.buf[0].pos = off;
	return (int)fuse_buf_copy(&dst, buf, FUSE_BUF_SPLICE_NONBLOCK);
}

int stg_statfs(struct statvfs *st)
{
	return fstatvfs(ops_fs()->staging_fd, st) < 0 ? -errno : 0;
}

int stg_flush(struct fuse_file_info *fi)
{
	/* close(dup()) reports delayed write errors at close(), as a local
	 * file system would (passthrough.c does the same). */
	int fd = dup(stg_file(fi)->fd);

	if (fd < 0)
		return -errno;
	return close(fd) < 0 ? -errno : 0;
}

int stg_release(const char *path, struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs();
	struct stg_file *f = stg_file(fi);
	const char *rel = path ? ops_staging_rel(path) : NULL;
	struct stat st;

	if (f->writer && fs->dump && fstat(f->fd, &st) == 0)
		dump_file_closed(fs->dump, rel ? dump_rel(rel) : f->rel, &st);
	close(f->fd);
	free(f->rel);
	free(f);
	return 0;
}

int stg_fsync(struct fuse_file_info *fi, int datasync)
{
	int fd = stg_file(fi)->fd;

	return (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

int stg_fallocate(struct fuse_file_info *fi, int mode, off_t off, off_t len)
{
	if (mode)
		return -EOPNOTSUPP;
	return -posix_fallocate(stg_file(fi)->fd, off, len);
}

off_t stg_lseek(struct fuse_file_info *fi, off_t off, int whence)
{
	off_t r = lseek(stg_file(fi)->fd, off, whence);

	return r < 0 ? -errno : r;
}

int stg_opendir(const char *rel, struct fuse_file_info *fi)
{
	struct stg_dir *d = calloc(1, sizeof(*d));
	int fd;

	if (!d)
		return -ENOMEM;
	fd = openat(ops_fs()->staging_fd, rel,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		free(d);
		return -err;
	}
	d->h.area = OPS_STAGING;
	fi->fh = (uintptr_t)d;
	return 0;
}

int stg_readdir(void *buf, fuse_fill_dir_t filler, off_t off,
		struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct stg_dir *d = (struct stg_dir *)(uintptr_t)fi->fh;

	(void)flags;
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		struct stat st;
		off_t next;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry)
				return errno ? -errno : 0;
		}
		memset(&st, 0, sizeof(st));
		st.st_ino = d->entry->d_ino;
		st.st_mode = (mode_t)DTTOIF(d->entry->d_type);
		next = telldir(d->dp);
		if (filler(buf, d->entry->d_name, &st, next, 0))
			break;
		d->entry = NULL;
		d->offset = next;
	}
	return 0;
}

int stg_releasedir(struct fuse_file_info *fi)
{
	struct stg_dir *d = (struct stg_dir *)(uintptr_t)fi->fh;

	closedir(d->dp);
	free(d);
	return 0;
}

/* The xattr calls have no *at() form: go through /proc/self/fd of an
 * O_PATH fd of the entry, which does not follow a final symlink. */
static int xattr_path(const char *rel, char *buf, size_t len, int *fd)
{
	*fd =
	    openat(ops_fs()->staging_fd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	snprintf(buf, len, "/proc/self/fd/%d", *fd);
	return 0;
}

int stg_setxattr(const char *rel, const char *name, const char *value,
		 size_t size, int flags)
{
	char p[64];
	int fd, r;

	if (!strncmp(name, "user.tapefs.", 12))
		return -EPERM; /* tapefs's own attributes are not the user's */
	r = xattr_path(rel, p, sizeof(p), &fd);
	if (r)
		return r;
	r = setxattr(p, name, value, size, flags) < 0 ? -errno : 0;
	close(fd);
	if (!r)
		changed(ops_fs(), rel);
	return r;
}

#define STATE_XATTR "user.tapefs.state"

/* user.tapefs.state of a staged entry: "dumping" while the dump being
 * written holds it, else "staged" (SPEC 3.5). */
static int state_xattr(const char *rel, char *value, size_t size)
{
	struct tapefs *fs = ops_fs();
	const char *v = "staged";
	struct stat st;
	size_t len;

	if (fstatat(fs->staging_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (fs->dump && dump_path_dumping(fs->dump, dump_rel(rel)))
		v = "dumping";
	len = strlen(v);
	if (size == 0)
		return (int)len;
	if (size < len)
		return -ERANGE;
	memcpy(value, v, len);
	return (int)len;
}

int stg_getxattr(const char *rel, const char *name, char *value, size_t size)
{
	char p[64];
	int fd, r;
	ssize_t n;

	if (!strcmp(name, STATE_XATTR))
		return state_xattr(rel, value, size);
	r = xattr_path(rel, p, sizeof(p), &fd);
	if (r)
		return r;
	n = getxattr(p, name, value, size);
	r = n < 0 ? -errno : (int)n;
	close(fd);
	return r;
}

int stg_listxattr(const char *rel, char *list, size_t size)
{
	char p[64];
	int fd, r = xattr_path(rel, p, sizeof(p), &fd);
	ssize_t n;

	if (r)
		return r;
	n = listxattr(p, list, size);
	r = n < 0 ? -errno : (int)n;
	close(fd);
	if (r < 0)
		return r;
	/* and the state tapefs adds */
	if (size && (size_t)r + sizeof(STATE_XATTR) > size)
		return -ERANGE;
	if (size)
		memcpy(list + r, STATE_XATTR, sizeof(STATE_XATTR));
	return r + (int)sizeof(STATE_XATTR);
}

int stg_removexattr(const char *rel, const char *name)
{
	char p[64];
	int fd, r = xattr_path(rel, p, sizeof(p), &fd);

	if (r)
		return r;
	r = removexattr(p, name) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int stg_access(const char *rel, int mask)
{
	return faccessat(ops_fs()->staging_fd, rel, mask, AT_SYMLINK_NOFOLLOW) <
		       0
		   ? -errno
		   : 0;
}
