/* fs/ops_main.c - the FUSE operations table: routes every path to the
 * staging passthrough or to the namespace, and answers for "/" itself.
 *
 * Everything outside staging/ is read-only: a call that would change it
 * fails with EROFS (control files accept writes, see ops_ns.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/ops.h"

enum area { AREA_ROOT, AREA_STAGING, AREA_NS };

const char *ops_staging_rel(const char *path)
{
	if (strncmp(path, "/staging", 8))
		return NULL;
	if (path[8] == 0)
		return ".";
	if (path[8] == '/' && path[9])
		return path + 9;
	return NULL;
}

static enum area area_of(const char *path, const char **rel)
{
	if (!path)
		return AREA_STAGING; /* an unlinked file: only staging has them
				      */
	if (!strcmp(path, "/"))
		return AREA_ROOT;
	*rel = ops_staging_rel(path);
	return *rel ? AREA_STAGING : AREA_NS;
}

/* A staging path naming an entry inside staging/ (not staging/ itself):
 * what entry-changing calls (unlink, rename, mkdir...) need. */
static const char *entry_rel(const char *path)
{
	const char *rel = path ? ops_staging_rel(path) : NULL;

	return rel && strcmp(rel, ".") ? rel : NULL;
}

static int op_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	const char *rel = NULL;
	struct tapefs *fs = ops_fs();

	switch (area_of(path, &rel)) {
	case AREA_ROOT:
		memset(st, 0, sizeof(*st));
		st->st_ino = 1;
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_uid = fs->owner;
		st->st_gid = fs->owner_gid;
		st->st_mtim.tv_sec = st->st_ctim.tv_sec = st->st_atim.tv_sec =
		    fs->mounted;
		return 0;
	case AREA_STAGING:
		return stg_getattr(rel, st, fi);
	default:
		return nso_getattr(path, st);
	}
}

static int op_readlink(const char *path, char *buf, size_t size)
{
	const char *rel = NULL;

	switch (area_of(path, &rel)) {
	case AREA_STAGING:
		return stg_readlink(rel, buf, size);
	case AREA_NS:
		return nso_readlink(path, buf, size);
	default:
		return -EINVAL;
	}
}

static int op_mknod(const char *path, mode_t mode, dev_t rdev)
{
	const char *rel = entry_rel(path);

	return rel ? stg_mknod(rel, mode, rdev) : -EROFS;
}

static int op_mkdir(const char *path, mode_t mode)
{
	const char *rel = entry_rel(path);

	return rel ? stg_mkdir(rel, mode) : -EROFS;
}

static int op_unlink(const char *path)
{
	const char *rel = entry_rel(path);

	return rel ? stg_unlink(rel) : -EROFS;
}

static int op_rmdir(const char *path)
{
	const char *rel = entry_rel(path);

	return rel ? stg_rmdir(rel) : -EROFS;
}

static int op_symlink(const char *target, const char *path)
{
	const char *rel = entry_rel(path);

	return rel ? stg_symlink(target, rel) : -EROFS;
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	const char *rf = entry_rel(from), *rt = entry_rel(to);

	if (!rf || !rt)
		return -EROFS;
	return stg_rename(rf, rt, flags);
}

static int op_link(const char *from, const char *to)
{
	const char *rf = entry_rel(from), *rt = entry_rel(to);

	if (!rf || !rt)
		return -EROFS;
	return stg_link(rf, rt);
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	const char *rel = NULL;

	if (area_of(path, &rel) != AREA_STAGING)
		return -EROFS;
	return stg_chmod(rel, mode, fi);
}

static int op_chown(const char *path, uid_t uid, gid_t gid,
		    struct fuse_file_info *fi)
{
	const char *rel = NULL;

	if (area_of(path, &rel) != AREA_STAGING)
		return -EROFS;
	return stg_chown(rel, uid, gid, fi);
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	const char *rel = NULL;

	switch (area_of(path, &rel)) {
	case AREA_STAGING:
		return stg_truncate(rel, size, fi);
	case AREA_NS:
		return nso_truncate(path, size);
	default:
		return -EROFS;
	}
}

static int op_utimens(const char *path, const struct timespec tv[2],
		      struct fuse_file_info *fi)
{
	const char *rel = NULL;

	if (area_of(path, &rel) != AREA_STAGING)
		return -EROFS;
	return stg_utimens(rel, tv, fi);
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	const char *rel = entry_rel(path);

	return rel ? stg_create(rel, mode, fi) : -EROFS;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	const char *rel = NULL;

	switch (area_of(path, &rel)) {
	case AREA_STAGING:
		return stg_open(rel, fi);
	case AREA_NS:
		return nso_open(path, fi);
	default:
		return -EISDIR;
	}
}

static struct ops_handle *handle(struct fuse_file_info *fi)
{
	return (struct ops_handle *)(uintptr_t)fi->fh;
}

static int op_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	return nso_read(path, buf, size, off, fi);
}

static int op_read_buf(const char *path, struct fuse_bufvec **bufp, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec *vec;
	int n;

	if (handle(fi)->area == OPS_STAGING)
		return stg_read_buf(fi, bufp, size, off);
	/* libfuse frees vec and, separately, vec->buf[0].mem */
	vec = malloc(sizeof(*vec));
	if (!vec)
		return -ENOMEM;
	*vec = FUSE_BUFVEC_INIT(size);
	vec->buf[0].mem = malloc(size ? size : 1);
	n = vec->buf[0].mem ? nso_read(path, vec->buf[0].mem, size, off, fi)
			    : -ENOMEM;
	if (n < 0) {
		free(vec->buf[0].mem);
		free(vec);
		return n;
	}
	vec->buf[0].size = (size_t)n;
	*bufp = vec;
	return 0;
}

static int op_write_buf(const char *path, struct fuse_bufvec *buf, off_t off,
			struct fuse_file_info *fi)
{
	struct fuse_bufvec dst;
	size_t size = fuse_buf_size(buf);
	char *mem;
	ssize_t n;
	int ret;

	if (handle(fi)->area == OPS_STAGING)
		return stg_write_buf(fi, buf, off);
	mem = malloc(size + 1);
	if (!mem)
		return -ENOMEM;
	dst = (struct fuse_bufvec)FUSE_BUFVEC_INIT(size);
	dst.buf[0].mem = mem;
	n = fuse_buf_copy(&dst, buf, 0);
	ret = n < 0 ? (int)n : nso_write(path, mem, (size_t)n, off, fi);
	free(mem);
	return ret;
}

static int op_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	return stg_statfs(st);
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	if (handle(fi)->area == OPS_STAGING)
		return stg_flush(fi);
	return nso_flush(fi);
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	if (handle(fi)->area == OPS_STAGING)
		return stg_release(path, fi);
	return nso_release(fi);
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	if (handle(fi)->area == OPS_STAGING)
		return stg_fsync(fi, datasync);
	return 0;
}

static int op_setxattr(const char *path, const char *name, const char *value,
		       size_t size, int flags)
{
	const char *rel = NULL;

	if (area_of(path, &rel) != AREA_STAGING)
		return -EROFS;
	return stg_setxattr(rel, name, value, size, flags);
}

static int op_getxattr(const char *path, const char *name, char *value,
		       size_t size)
{
	const char *rel = NULL;

	switch (area_of(path, &rel)) {
	case AREA_STAGING:
		return stg_getxattr(rel, name, value, size);
	case AREA_NS:
		return nso_getxattr(path, name, value, size);
	default:
		return -ENODATA;
	}
}

static int op_listxattr(const char *path, char *list, size_t size)
{
	const char *rel = NULL;

	switch (area_of(path, &rel)) {
	case AREA_STAGING:
		return stg_listxattr(rel, list, size);
	case AREA_NS:
		return nso_listxattr(path, list, size);
	default:
		return 0;
	}
}

static int op_removexattr(const char *path, const char *name)
{
	const char *rel = NULL;

	if (area_of(path, &rel) != AREA_STAGING)
		return -EROFS;
	return stg_removexattr(rel, name);
}

static int op_opendir(const char *path, struct fuse_file_info *fi)
{
	const char *rel = NULL;

	if (area_of(path, &rel) == AREA_STAGING)
		return stg_opendir(rel, fi);
	fi->fh = 0; /* namespace listings are made in readdir */
	return 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	const char *rel = NULL;

	switch (area_of(path, &rel)) {
	case AREA_STAGING:
		return stg_readdir(buf, filler, off, fi, flags);
	case AREA_ROOT:
		return nso_root_readdir(buf, filler);
	default:
		return nso_readdir(path, buf, filler);
	}
}

static int op_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	if (fi->fh)
		return stg_releasedir(fi);
	return 0;
}

static int op_access(const char *path, int mask)
{
	const char *rel = NULL;

	switch (area_of(path, &rel)) {
	case AREA_STAGING:
		return stg_access(rel, mask);
	default:
		return (mask & W_OK) && strncmp(path, "/.", 2) ? -EROFS : 0;
	}
}

static int op_fallocate(const char *path, int mode, off_t off, off_t len,
			struct fuse_file_info *fi)
{
	(void)path;
	if (handle(fi)->area != OPS_STAGING)
		return -EROFS;
	return stg_fallocate(fi, mode, off, len);
}

static off_t op_lseek(const char *path, off_t off, int whence,
		      struct fuse_file_info *fi)
{
	(void)path;
	if (handle(fi)->area != OPS_STAGING)
		return -EINVAL;
	return stg_lseek(fi, off, whence);
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* Reported inode numbers: the staging disk's in staging/, stable
	 * numbers derived from catalog ids elsewhere. */
	cfg->use_ino = 1;
	/* An unlinked open file must not become a .fuse_hidden file in the
	 * staging directory (it would be dumped); fd-based I/O serves it. */
	cfg->hard_remove = 1;
	/* One timeout for all: the high-level API has no per-entry ones.
	 * Short, because the dump engine removes dumped files underneath. */
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 0;
	cfg->kernel_cache = 0;
	/* Waiting recall reads each hold a worker: let page-cache readers
	 * of many files progress (see fs/engine/recall.h). */
	conn->max_background = 64;
	conn->congestion_threshold = 48;
	/* No splice and no writeback cache: measured (scripts/bench-ingest)
	 * splice slower for the many small requests of a copy, and the
	 * writeback cache would let the kernel hold data and mtimes the dump
	 * engine must see on disk when the last writer closes a file. Large
	 * writes (1 MiB) come by default with libfuse 3. */
	return fuse_get_context()->private_data;
}

static const struct fuse_operations ops = {
    .init = op_init,
    .getattr = op_getattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .chmod = op_chmod,
    .chown = op_chown,
    .truncate = op_truncate,
    .open = op_open,
    .read = op_read,
    .read_buf = op_read_buf,
    .write_buf = op_write_buf,
    .statfs = op_statfs,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .setxattr = op_setxattr,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .removexattr = op_removexattr,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .access = op_access,
    .create = op_create,
    .utimens = op_utimens,
    .fallocate = op_fallocate,
    .lseek = op_lseek,
};

const struct fuse_operations *ops_table(void)
{
	return &ops;
}
