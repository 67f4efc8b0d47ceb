/* fs/ops_staging.c - staging/: a read-write passthrough onto cfg.staging.
 *
 * Every call works relative to fs->staging_fd with the *at() system calls;
 * the final component is never followed when it is a symlink. Open files
 * hold one fd each (fi->fh -> struct stg_file), never one per inode or path.
 * As root, new entries are given to the calling user (with allow_other,
 * what a user copies in stays theirs), with exactly the mode the kernel
 * asked for (see create_begin()). Handles opened for writing are
 * reported to the dump engine, which makes a file eligible when its last
 * writer closes it - unless a write, flush, fsync or close of one of its
 * handles failed (a full staging disk): then the engine holds it back
 * until it is written again cleanly (dump.h, enum dump_write).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/engine/dump.h"
#include "fs/ops.h"

struct stg_file {
	struct ops_handle h;
	int fd;
	int writer; /* reported to dump_file_opened() */
	char *rel;  /* path at open, for an unlinked file's release */
	/* What the handle did, for dump_file_closed(); set by any request
	 * thread of the handle, read at its release. */
	atomic_int wrote;  /* created, truncated at open, or written */
	atomic_int failed; /* a write (or a short one), flush, fsync or
			      close failed */
	/* A writer flushed (closed by its user) and not written since, as
	 * told to dump_file_flushed(). */
	atomic_int flushed;
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

/* The daemon's umask is OPS_UMASK: whatever it makes for itself is
 * private. An entry a user makes in staging/ gets the mode the kernel
 * sends (the caller's umask applied already), so the umask must be 0 for
 * the call that makes it. The umask belongs to the process: each worker
 * thread takes a copy of its own once (unshare(CLONE_FS), as virtiofsd
 * does) and sets it to 0 around such calls only, back to OPS_UMASK after
 * (a thread it starts meanwhile shares the copy until its own first
 * call: the daemon's own files have explicit modes all the same). Without
 * a copy (unshare refused), entries get the mode less OPS_UMASK. */
static __thread int own_umask; /* 1 a copy, -1 refused, 0 not tried */

static void create_begin(void)
{
	if (!own_umask)
		own_umask = unshare(CLONE_FS) == 0 ? 1 : -1;
	if (own_umask > 0)
		umask(0);
}

static void create_end(void)
{
	if (own_umask > 0)
		umask(OPS_UMASK);
}

/* As root, give a new entry to the user who made it. */
static int give_to_caller(fuse_req_t req, const char *rel)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct tapefs *fs = ops_fs(req);

	if (geteuid() != 0 || ctx->uid == 0)
		return 0;
	if (fchownat(fs->staging_fd, rel, ctx->uid, ctx->gid,
		     AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* The open file's descriptor, or -1 (no handle, or not a staging one). */
static int handle_fd(struct fuse_file_info *fi)
{
	if (fi && fi->fh && stg_file(fi)->h.area == OPS_STAGING)
		return stg_file(fi)->fd;
	return -1;
}

int stg_getattr(fuse_req_t req, const char *rel, struct fuse_file_info *fi,
		struct fuse_entry_param *e)
{
	int fd = handle_fd(fi), r;

	memset(e, 0, sizeof(*e));
	if (fd >= 0)
		r = fstat(fd, &e->attr);
	else
		r = fstatat(ops_fs(req)->staging_fd, rel, &e->attr,
			    AT_SYMLINK_NOFOLLOW);
	e->entry_timeout = e->attr_timeout = OPS_TIMEOUT_SHORT;
	return r < 0 ? -errno : 0;
}

int stg_readlink(fuse_req_t req, const char *rel, char *buf, size_t size)
{
	ssize_t n = readlinkat(ops_fs(req)->staging_fd, rel, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

int stg_mknod(fuse_req_t req, const char *rel, mode_t mode, dev_t rdev)
{
	struct tapefs *fs = ops_fs(req);
	int ret;

	/* Only what a tar archive of data holds: files and fifos. */
	if (!S_ISREG(mode) && !S_ISFIFO(mode))
		return -EPERM;
	create_begin();
	ret = mknodat(fs->staging_fd, rel, mode, rdev) < 0 ? -errno : 0;
	create_end();
	if (ret)
		return ret;
	ret = give_to_caller(req, rel);
	changed(fs, rel);
	return ret;
}

int stg_mkdir(fuse_req_t req, const char *rel, mode_t mode)
{
	struct tapefs *fs = ops_fs(req);
	int ret;

	create_begin();
	ret = mkdirat(fs->staging_fd, rel, mode) < 0 ? -errno : 0;
	create_end();
	if (ret)
		return ret;
	ret = give_to_caller(req, rel);
	changed(fs, rel);
	return ret;
}

int stg_unlink(fuse_req_t req, const char *rel)
{
	struct tapefs *fs = ops_fs(req);

	if (unlinkat(fs->staging_fd, rel, 0) < 0)
		return -errno;
	changed(fs, rel);
	return 0;
}

int stg_rmdir(fuse_req_t req, const char *rel)
{
	struct tapefs *fs = ops_fs(req);

	if (unlinkat(fs->staging_fd, rel, AT_REMOVEDIR) < 0)
		return -errno;
	changed(fs, rel);
	return 0;
}

int stg_symlink(fuse_req_t req, const char *target, const char *rel)
{
	struct tapefs *fs = ops_fs(req);
	int ret;

	if (symlinkat(target, fs->staging_fd, rel) < 0)
		return -errno;
	ret = give_to_caller(req, rel);
	changed(fs, rel);
	return ret;
}

int stg_rename(fuse_req_t req, const char *from, const char *to,
	       unsigned int flags)
{
	struct tapefs *fs = ops_fs(req);

	if (renameat2(fs->staging_fd, from, fs->staging_fd, to, flags) < 0)
		return -errno;
	changed(fs, from);
	changed(fs, to);
	return 0;
}

int stg_link(fuse_req_t req, const char *from, const char *to)
{
	struct tapefs *fs = ops_fs(req);

	if (linkat(fs->staging_fd, from, fs->staging_fd, to, 0) < 0)
		return -errno;
	changed(fs, to);
	return 0;
}

static int set_mode(struct tapefs *fs, int fd, const char *rel, mode_t mode)
{
	if (fd >= 0)
		return fchmod(fd, mode) < 0 ? -errno : 0;
	return fchmodat(fs->staging_fd, rel, mode, 0) < 0 ? -errno : 0;
}

static int set_owner(struct tapefs *fs, int fd, const char *rel,
		     const struct stat *attr, int to_set)
{
	uid_t uid = to_set & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
	gid_t gid = to_set & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;

	if (fd >= 0)
		return fchown(fd, uid, gid) < 0 ? -errno : 0;
	return fchownat(fs->staging_fd, rel, uid, gid, AT_SYMLINK_NOFOLLOW) < 0
		   ? -errno
		   : 0;
}

/* A truncate by path is reported to the dump engine; one through a handle
 * is seen when the writer closes it. */
static int set_size(struct tapefs *fs, int fd, const char *rel, off_t size)
{
	int r;

	if (fd >= 0)
		return ftruncate(fd, size) < 0 ? -errno : 0;
	fd = openat(fs->staging_fd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ftruncate(fd, size) < 0 ? -errno : 0;
	close(fd);
	changed(fs, rel);
	return r;
}

static int set_times(struct tapefs *fs, int fd, const char *rel,
		     const struct stat *attr, int to_set)
{
	struct timespec tv[2] = {{.tv_nsec = UTIME_OMIT},
				 {.tv_nsec = UTIME_OMIT}};

	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		tv[0] = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		tv[1] = attr->st_mtim;
	if (fd >= 0)
		return futimens(fd, tv) < 0 ? -errno : 0;
	return utimensat(fs->staging_fd, rel, tv, AT_SYMLINK_NOFOLLOW) < 0
		   ? -errno
		   : 0;
}

/* chmod, chown, truncate, utimens in that order (the first failure
 * stops), then the attributes now. */
int stg_setattr(fuse_req_t req, const char *rel, const struct stat *attr,
		int to_set, struct fuse_file_info *fi,
		struct fuse_entry_param *e)
{
	struct tapefs *fs = ops_fs(req);
	int fd = handle_fd(fi), ret = 0;

	if (to_set & FUSE_SET_ATTR_MODE)
		ret = set_mode(fs, fd, rel, attr->st_mode);
	if (!ret && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		ret = set_owner(fs, fd, rel, attr, to_set);
	if (!ret && (to_set & FUSE_SET_ATTR_SIZE))
		ret = set_size(fs, fd, rel, attr->st_size);
	if (!ret && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)))
		ret = set_times(fs, fd, rel, attr, to_set);
	if (ret)
		return ret;
	if (rel && (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
			      FUSE_SET_ATTR_GID | FUSE_SET_ATTR_ATIME |
			      FUSE_SET_ATTR_MTIME)))
		changed(fs, rel);
	return stg_getattr(req, rel, fi, e);
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
	f->wrote = (fi->flags & (O_CREAT | O_TRUNC)) != 0;
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

int stg_open(fuse_req_t req, const char *rel, struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs(req);
	int fd;

	fd = openat(fs->staging_fd, rel,
		    (fi->flags & ~O_NOFOLLOW) | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return file_handle(fs, rel, fd, fi);
}

int stg_create(fuse_req_t req, const char *rel, mode_t mode,
	       struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs(req);
	int fd, ret;

	create_begin();
	fd = openat(fs->staging_fd, rel,
		    fi->flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	ret = fd < 0 ? -errno : 0;
	create_end();
	if (ret)
		return ret;
	ret = give_to_caller(req, rel);
	if (ret) {
		close(fd);
		return ret;
	}
	return file_handle(fs, rel, fd, fi);
}

/* Served from the file's descriptor: libfuse moves the bytes to the
 * kernel itself (fuse_reply_data() replies with the errno of a failed
 * read). */
void stg_read(fuse_req_t req, struct fuse_file_info *fi, size_t size, off_t off)
{
	struct fuse_bufvec src = FUSE_BUFVEC_INIT(size);

	src.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	src.buf[0].fd = stg_file(fi)->fd;
	src.buf[0].pos = off;
	fuse_reply_data(req, &src, FUSE_BUF_SPLICE_MOVE);
}

/* Tell the dump engine that a writer of f was closed by its user (delta
 * 1) or written again since (-1). */
static void tell_flushed(struct tapefs *fs, struct stg_file *f, int delta)
{
	struct stat st;

	if (fs->dump && fstat(f->fd, &st) == 0)
		dump_file_flushed(fs->dump, &st, delta);
}

/* The request's data (in memory, or in a pipe when libfuse spliced the
 * request in) goes straight to the file's descriptor. */
ssize_t stg_write_buf(struct tapefs *fs, struct fuse_file_info *fi,
		      struct fuse_bufvec *buf, off_t off)
{
	size_t want = fuse_buf_size(buf);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(want);
	struct stg_file *f = stg_file(fi);
	ssize_t n;

	if (f->writer && atomic_exchange(&f->flushed, 0))
		tell_flushed(fs, f, -1); /* written again after a close */
	dst.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	dst.buf[0].fd = f->fd;
	dst.buf[0].pos = off;
	n = fuse_buf_copy(&dst, buf, FUSE_BUF_SPLICE_NONBLOCK);
	/* A short write to a local file is a full disk or a quota. */
	if (n < 0 || (size_t)n < want)
		f->failed = 1;
	else
		f->wrote = 1;
	return n;
}

int stg_statfs(fuse_req_t req, struct statvfs *st)
{
	return fstatvfs(ops_fs(req)->staging_fd, st) < 0 ? -errno : 0;
}

int stg_flush(struct tapefs *fs, struct fuse_file_info *fi)
{
	/* close(dup()) reports delayed write errors at close(), as a local
	 * file system would (passthrough.c does the same). */
	struct stg_file *f = stg_file(fi);
	int fd = dup(f->fd);

	int ret = 0;

	if (fd < 0)
		return -errno;
	if (close(fd) < 0) {
		f->failed = 1;
		ret = -errno;
	}
	/* close() waits for this, not for the release: a `now` written
	 * next waits for the release (dump_file_flushed()) */
	if (f->writer && !atomic_exchange(&f->flushed, 1))
		tell_flushed(fs, f, 1);
	return ret;
}

/* rel: the file's path now, or NULL when it has none (unlinked): then
 * the path it was opened under names it to the dump engine. */
void stg_release(struct tapefs *fs, const char *rel, struct fuse_file_info *fi)
{
	struct stg_file *f = stg_file(fi);
	int tell = f->writer && fs->dump;
	struct stat st;

	/* Told before the close: the engine sets or clears the file's
	 * on-disk mark through f->fd. A close's error is the flush's, which
	 * the kernel sends before the release. */
	if (tell && atomic_exchange(&f->flushed, 0))
		tell_flushed(fs, f, -1);
	if (tell && fstat(f->fd, &st) == 0)
		dump_file_closed(fs->dump, rel ? dump_rel(rel) : f->rel, f->fd,
				 &st,
				 f->failed  ? DUMP_WRITE_FAILED
				 : f->wrote ? DUMP_WRITE_DONE
					    : DUMP_WRITE_NONE);
	close(f->fd);
	free(f->rel);
	free(f);
}

int stg_fsync(struct fuse_file_info *fi, int datasync)
{
	struct stg_file *f = stg_file(fi);

	if ((datasync ? fdatasync(f->fd) : fsync(f->fd)) < 0) {
		f->failed = 1;
		return -errno;
	}
	return 0;
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

int stg_opendir(fuse_req_t req, const char *rel, struct fuse_file_info *fi)
{
	struct stg_dir *d = calloc(1, sizeof(*d));
	int fd;

	if (!d)
		return -ENOMEM;
	fd = openat(ops_fs(req)->staging_fd, rel,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		free(d);
		return -err;
	}
	d->h.area = OPS_STAGING_DIR;
	fi->fh = (uintptr_t)d;
	return 0;
}

/* Names from the disk, with telldir() offsets; a readdirplus reply
 * carries names only (no lookups): `ls -l` of staging/ looks entries up. */
void stg_readdir(fuse_req_t req, struct fuse_file_info *fi, size_t size,
		 off_t off, int plus)
{
	struct stg_dir *d = (struct stg_dir *)(uintptr_t)fi->fh;
	struct fuse_entry_param e;
	char *buf = malloc(size);
	size_t len = 0;
	int err = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		off_t next;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = d->entry->d_ino;
		e.attr.st_mode = (mode_t)DTTOIF(d->entry->d_type);
		next = telldir(d->dp);
		if (!ops_dirent_add(req, buf, size, &len, d->entry->d_name, &e,
				    next, plus))
			break;
		d->entry = NULL;
		d->offset = next;
	}
	if (err && !len)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

void stg_releasedir(struct fuse_file_info *fi)
{
	struct stg_dir *d = (struct stg_dir *)(uintptr_t)fi->fh;

	closedir(d->dp);
	free(d);
}

/* The xattr calls have no *at() form: go through /proc/self/fd of an
 * O_PATH fd of the entry, which does not follow a final symlink. */
static int xattr_path(fuse_req_t req, const char *rel, char *buf, size_t len,
		      int *fd)
{
	*fd = openat(ops_fs(req)->staging_fd, rel,
		     O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	snprintf(buf, len, "/proc/self/fd/%d", *fd);
	return 0;
}

int stg_setxattr(fuse_req_t req, const char *rel, const char *name,
		 const char *value, size_t size, int flags)
{
	char p[64];
	int fd, r;

	if (dump_xattr_own(name))
		return -EPERM; /* tapefs's own attributes are not the user's */
	r = xattr_path(req, rel, p, sizeof(p), &fd);
	if (r)
		return r;
	r = setxattr(p, name, value, size, flags) < 0 ? -errno : 0;
	close(fd);
	if (!r)
		changed(ops_fs(req), rel);
	return r;
}

#define STATE_XATTR   "user.tapefs.state"
#define DMSTATE_XATTR "user.tapefs.dmstate"

/* user.tapefs.state of a staged entry: "dumping" while the dump being
 * written holds it, "too_large" for a file larger than any tape takes,
 * else "staged" (SPEC 3.5); user.tapefs.dmstate (dm set): DMF's words for
 * the same, MIG while dumped and REG otherwise (docs/recall.md). */
static int state_xattr(fuse_req_t req, const char *rel, int dm, char *value,
		       size_t size)
{
	struct tapefs *fs = ops_fs(req);
	const char *v = dm ? "REG" : "staged";
	struct stat st;
	size_t len;

	if (fstatat(fs->staging_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (fs->dump && dump_path_dumping(fs->dump, dump_rel(rel)))
		v = dm ? "MIG" : "dumping";
	else if (fs->dump && dump_file_too_large(fs->dump, &st))
		v = dm ? "REG" : "too_large";
	len = strlen(v);
	if (size == 0)
		return (int)len;
	if (size < len)
		return -ERANGE;
	memcpy(value, v, len);
	return (int)len;
}

int stg_getxattr(fuse_req_t req, const char *rel, const char *name, char *value,
		 size_t size)
{
	char p[64];
	int fd, r;
	ssize_t n;

	if (!strcmp(name, STATE_XATTR) || !strcmp(name, DMSTATE_XATTR))
		return state_xattr(req, rel, !strcmp(name, DMSTATE_XATTR),
				   value, size);
	if (dump_xattr_own(name))
		return -ENODATA; /* the engine's marks are its own */
	r = xattr_path(req, rel, p, sizeof(p), &fd);
	if (r)
		return r;
	n = getxattr(p, name, value, size);
	r = n < 0 ? -errno : (int)n;
	close(fd);
	return r;
}

/* Take tapefs's own names (the engine's marks) out of list[0..n): its
 * new length. */
static size_t list_drop_own(char *list, size_t n)
{
	size_t in = 0, out = 0;

	while (in < n) {
		size_t len = strnlen(list + in, n - in) + 1;

		if (!dump_xattr_own(list + in)) {
			memmove(list + out, list + in, len);
			out += len;
		}
		in += len;
	}
	return out;
}

int stg_listxattr(fuse_req_t req, const char *rel, char *list, size_t size)
{
	char p[64];
	int fd, r = xattr_path(req, rel, p, sizeof(p), &fd);
	ssize_t n;

	if (r)
		return r;
	n = listxattr(p, list, size);
	r = n < 0 ? -errno : (int)n;
	close(fd);
	if (r < 0)
		return r;
	if (size) /* (a size asked for may count them: room to spare) */
		r = (int)list_drop_own(list, (size_t)r);
	/* and the states tapefs adds */
	if (size &&
	    (size_t)r + sizeof(STATE_XATTR) + sizeof(DMSTATE_XATTR) > size)
		return -ERANGE;
	if (size) {
		memcpy(list + r, STATE_XATTR, sizeof(STATE_XATTR));
		memcpy(list + r + sizeof(STATE_XATTR), DMSTATE_XATTR,
		       sizeof(DMSTATE_XATTR));
	}
	return r + (int)(sizeof(STATE_XATTR) + sizeof(DMSTATE_XATTR));
}

int stg_removexattr(fuse_req_t req, const char *rel, const char *name)
{
	char p[64];
	int fd, r;

	if (dump_xattr_own(name))
		return -EPERM; /* tapefs's own attributes are not the user's */
	r = xattr_path(req, rel, p, sizeof(p), &fd);
	if (r)
		return r;
	r = removexattr(p, name) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int stg_access(fuse_req_t req, const char *rel, int mask)
{
	int fd = ops_fs(req)->staging_fd;

	return faccessat(fd, rel, mask, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}
