/* fs/ops.h - the FUSE side of the mount (fs/ops_*.c), shared between its
 * files. Only fs/ops_*.c and fs/mount.c include it (it includes fuse.h).
 *
 * Paths are routed by their first component: "/" and the top-level names
 * by ops_main.c, "/staging/..." to the passthrough (ops_staging.c), every
 * other name to its namespace provider (ops_ns.c, providers fs/ns_*.c).
 *
 * Every open file's fi->fh points to a struct ops_handle (or a larger
 * struct starting with one), so a handle op knows its area without the
 * path (which is NULL for an unlinked staging file).
 */
#ifndef TAPEFS_OPS_H
#define TAPEFS_OPS_H

#define FUSE_USE_VERSION 312
#include <fuse.h>

#include "fs/ns/ns.h"
#include "fs/engine/tapefs.h"

enum ops_area { OPS_STAGING = 1, OPS_NS = 2 };

struct ops_handle {
	enum ops_area area;
};

/* The mount's state in a request thread. */
static inline struct tapefs *ops_fs(void)
{
	return fuse_get_context()->private_data;
}

/* The FUSE operations table (ops_main.c). */
const struct fuse_operations *ops_table(void);

/* "/staging" -> ".", "/staging/a/b" -> "a/b"; NULL when path is not under
 * staging/. */
const char *ops_staging_rel(const char *path);

/* Staging passthrough (ops_staging.c): same signatures as fuse_operations,
 * path already reduced with ops_staging_rel(). */
int stg_getattr(const char *rel, struct stat *st, struct fuse_file_info *fi);
int stg_readlink(const char *rel, char *buf, size_t size);
int stg_mknod(const char *rel, mode_t mode, dev_t rdev);
int stg_mkdir(const char *rel, mode_t mode);
int stg_unlink(const char *rel);
int stg_rmdir(const char *rel);
int stg_symlink(const char *target, const char *rel);
int stg_rename(const char *from, const char *to, unsigned int flags);
int stg_link(const char *from, const char *to);
int stg_chmod(const char *rel, mode_t mode, struct fuse_file_info *fi);
int stg_chown(const char *rel, uid_t uid, gid_t gid, struct fuse_file_info *fi);
int stg_truncate(const char *rel, off_t size, struct fuse_file_info *fi);
int stg_utimens(const char *rel, const struct timespec tv[2],
		struct fuse_file_info *fi);
int stg_open(const char *rel, struct fuse_file_info *fi);
int stg_create(const char *rel, mode_t mode, struct fuse_file_info *fi);
int stg_read_buf(struct fuse_file_info *fi, struct fuse_bufvec **bufp,
		 size_t size, off_t off);
int stg_write_buf(struct fuse_file_info *fi, struct fuse_bufvec *buf,
		  off_t off);
int stg_statfs(struct statvfs *st);
int stg_flush(struct fuse_file_info *fi);
int stg_release(const char *path, struct fuse_file_info *fi);
int stg_fsync(struct fuse_file_info *fi, int datasync);
int stg_opendir(const char *rel, struct fuse_file_info *fi);
int stg_readdir(void *buf, fuse_fill_dir_t filler, off_t off,
		struct fuse_file_info *fi, enum fuse_readdir_flags flags);
int stg_releasedir(struct fuse_file_info *fi);
int stg_fallocate(struct fuse_file_info *fi, int mode, off_t off, off_t len);
int stg_setxattr(const char *rel, const char *name, const char *value,
		 size_t size, int flags);
int stg_getxattr(const char *rel, const char *name, char *value, size_t size);
int stg_listxattr(const char *rel, char *list, size_t size);
int stg_removexattr(const char *rel, const char *name);
int stg_access(const char *rel, int mask);
off_t stg_lseek(struct fuse_file_info *fi, off_t off, int whence);

/* Namespace side (ops_ns.c). path is the full path ("/archive/x"). */
int nso_getattr(const char *path, struct stat *st);
int nso_readlink(const char *path, char *buf, size_t size);
int nso_open(const char *path, struct fuse_file_info *fi);
int nso_read(const char *path, char *buf, size_t size, off_t off,
	     struct fuse_file_info *fi);
int nso_write(const char *path, const char *buf, size_t size, off_t off,
	      struct fuse_file_info *fi);
int nso_truncate(const char *path, off_t size);
int nso_flush(struct fuse_file_info *fi);
int nso_release(struct fuse_file_info *fi);
int nso_readdir(const char *path, void *buf, fuse_fill_dir_t filler);
int nso_getxattr(const char *path, const char *name, char *value, size_t size);
int nso_listxattr(const char *path, char *list, size_t size);
/* The root directory's entries, in listing order. */
int nso_root_readdir(void *buf, fuse_fill_dir_t filler);

#endif
