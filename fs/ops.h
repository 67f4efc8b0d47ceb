/* fs/ops.h - the FUSE side of the mount (fs/ops_*.c, fs/mount.c), shared
 * between its files: the only header that includes FUSE's (the low-level
 * API, fuse_lowlevel.h).
 *
 * The kernel names nodes by id; the node table (fs/ops_node.h) gives the
 * path of each, and paths are routed by their first component: "/" and the
 * top-level names by ops_main.c, "/staging/..." to the passthrough
 * (ops_staging.c), every other name to its namespace provider (ops_ns.c,
 * providers in fs/ns/).
 *
 * Every open file's or directory's fi->fh points to a struct ops_handle (or
 * a larger struct starting with one), so a handle op knows its area
 * without a path (an unlinked staging file has none).
 *
 * Replies: functions returning int give 0 or -errno and ops_main.c
 * replies; those that produce data (read, readdir) reply themselves, so a
 * member read can later hand its request to the recall engine.
 */
#ifndef TAPEFS_OPS_H
#define TAPEFS_OPS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <pthread.h>

#include "fs/engine/tapefs.h"
#include "fs/ns/ns.h"
#include "fs/ops_node.h"

/* What the kernel is told of names changed behind its back
 * (fs/ops_inval.c). */
struct ops_inval {
	pthread_mutex_t lock;	 /* held through a batch: one at a time,
				    and se stays while it runs; FUSE
				    requests never take it */
	struct fuse_session *se; /* NULL: not mounted, or the loop ended */
	uint64_t gen;		 /* batches begun (atomic) */
};

/* The mount as the edge sees it: fuse_req_userdata() of every request. */
struct ops_mount {
	struct tapefs *fs;
	struct ops_nodes *nodes;
	struct ops_inval inval;
	int listers; /* threads finishing long listings (fs/ops_ns.c), atomic */
};

/* Listen to the engines' changes (fs->notify); from start() to stop()
 * the kernel is told (stop() waits for a batch under way). */
void ops_inval_init(struct ops_mount *om);
void ops_inval_start(struct ops_mount *om, struct fuse_session *se);
void ops_inval_stop(struct ops_mount *om);
void ops_inval_destroy(struct ops_mount *om);

/* Batches of changes begun so far: a listing made before a batch began
 * may miss its names. */
uint64_t ops_inval_gen(fuse_req_t req);

/* Drop what the kernel cached of directory ino's listing and attributes
 * (from a request of it: a listing read while a batch began). */
void ops_inval_listing(fuse_req_t req, fuse_ino_t ino);

static inline struct tapefs *ops_fs(fuse_req_t req)
{
	return ((struct ops_mount *)fuse_req_userdata(req))->fs;
}

/* The daemon's umask (fs/mount.c): what it makes for itself (catalog,
 * cache, directories) is private; entries users make in staging/ get
 * their own modes (ops_staging.c). */
#define OPS_UMASK 077

/* Validity of what the kernel caches, in seconds (docs/mount.md): staging/
 * and the directories of the library short, since they change behind the
 * kernel's back; archived members (files, symlinks, directories) long:
 * a member never changes (a new version gets a new node), and a commit
 * or a dump's clean-up tells the kernel to drop the names and listings
 * it changed (fs/ops_inval.c); texts not at all. */
#define OPS_TIMEOUT_SHORT  1.0
#define OPS_TIMEOUT_MEMBER 3600.0

/* Files and directories of each area. */
enum ops_area {
	OPS_STAGING = 1,
	OPS_NS,
	OPS_STAGING_DIR,
	OPS_NS_DIR,
};

struct ops_handle {
	enum ops_area area;
	/* In the list of handles the kernel holds (ops_main.c), from just
	 * before the open's reply to the release. */
	struct ops_handle *prev, *next;
};

/* Release every handle the kernel still held when the session ended: an
 * unmount can come before the kernel sent the release of a file just
 * closed. Call after the FUSE loop, before the engines stop. */
void ops_release_all(struct tapefs *fs);

/* The low-level operations table (ops_main.c). */
const struct fuse_lowlevel_ops *ops_table(void);

/* Count one lookup of name in parent for e->attr (node made when
 * missing) and set e->ino: 0 or -errno. ops_entry_unref() takes it back
 * (a reply the kernel never got). */
int ops_entry_ref(fuse_req_t req, fuse_ino_t parent, const char *name,
		  struct fuse_entry_param *e);
void ops_entry_unref(fuse_req_t req, fuse_ino_t ino);

/* Append one directory entry to buf (readdirplus when plus; e->ino 0: a
 * name without attributes, no lookup counted). 1 when it fit, else 0. */
int ops_dirent_add(fuse_req_t req, char *buf, size_t size, size_t *len,
		   const char *name, const struct fuse_entry_param *e,
		   off_t next, int plus);

/* "/staging" -> ".", "/staging/a/b" -> "a/b"; NULL when path is not under
 * staging/. */
const char *ops_staging_rel(const char *path);

/* Staging passthrough (ops_staging.c); rel from ops_staging_rel(). Calls
 * given a handle (fi) work on its descriptor, and then rel may be NULL
 * (an unlinked file). */
int stg_getattr(fuse_req_t req, const char *rel, struct fuse_file_info *fi,
		struct fuse_entry_param *e);
int stg_setattr(fuse_req_t req, const char *rel, const struct stat *attr,
		int to_set, struct fuse_file_info *fi,
		struct fuse_entry_param *e);
int stg_readlink(fuse_req_t req, const char *rel, char *buf, size_t size);
int stg_mknod(fuse_req_t req, const char *rel, mode_t mode, dev_t rdev);
int stg_mkdir(fuse_req_t req, const char *rel, mode_t mode);
int stg_unlink(fuse_req_t req, const char *rel);
int stg_rmdir(fuse_req_t req, const char *rel);
int stg_symlink(fuse_req_t req, const char *target, const char *rel);
int stg_rename(fuse_req_t req, const char *from, const char *to,
	       unsigned int flags);
int stg_link(fuse_req_t req, const char *from, const char *to);
int stg_open(fuse_req_t req, const char *rel, struct fuse_file_info *fi);
int stg_create(fuse_req_t req, const char *rel, mode_t mode,
	       struct fuse_file_info *fi);
void stg_read(fuse_req_t req, struct fuse_file_info *fi, size_t size,
	      off_t off);
ssize_t stg_write_buf(struct tapefs *fs, struct fuse_file_info *fi,
		      struct fuse_bufvec *buf, off_t off);
int stg_statfs(fuse_req_t req, struct statvfs *st);
int stg_flush(struct tapefs *fs, struct fuse_file_info *fi);
void stg_release(struct tapefs *fs, const char *rel, struct fuse_file_info *fi);
int stg_fsync(struct fuse_file_info *fi, int datasync);
int stg_opendir(fuse_req_t req, const char *rel, struct fuse_file_info *fi);
void stg_readdir(fuse_req_t req, struct fuse_file_info *fi, size_t size,
		 off_t off, int plus);
void stg_releasedir(struct fuse_file_info *fi);
int stg_fallocate(struct fuse_file_info *fi, int mode, off_t off, off_t len);
off_t stg_lseek(struct fuse_file_info *fi, off_t off, int whence);
int stg_setxattr(fuse_req_t req, const char *rel, const char *name,
		 const char *value, size_t size, int flags);
int stg_getxattr(fuse_req_t req, const char *rel, const char *name, char *value,
		 size_t size);
int stg_listxattr(fuse_req_t req, const char *rel, char *list, size_t size);
int stg_removexattr(fuse_req_t req, const char *rel, const char *name);
int stg_access(fuse_req_t req, const char *rel, int mask);

/* Namespace side (ops_ns.c); path is the full path ("/archive/x"), "/"
 * only for nso_opendir() and nso_readdir() (the root's listing). */
int nso_getattr(fuse_req_t req, const char *path, struct fuse_entry_param *e);
int nso_member_attr(fuse_req_t req, uint64_t ino, struct fuse_entry_param *e);
int nso_setattr(fuse_req_t req, const char *path, const struct stat *attr,
		int to_set, struct fuse_entry_param *e);
int nso_readlink(fuse_req_t req, const char *path, char *buf, size_t size);
/* ino: the inode number of the node being opened; -ESTALE when path
 * leads to another file now (the kernel then looks the name up again). */
int nso_open(fuse_req_t req, const char *path, uint64_t ino,
	     struct fuse_file_info *fi);
void nso_read(fuse_req_t req, struct fuse_file_info *fi, size_t size,
	      off_t off);
int nso_write(fuse_req_t req, struct fuse_file_info *fi, const char *buf,
	      size_t size);
int nso_flush(fuse_req_t req, struct fuse_file_info *fi);
void nso_release(struct fuse_file_info *fi);
int nso_opendir(const char *path, struct fuse_file_info *fi);
void nso_readdir(fuse_req_t req, fuse_ino_t ino, const char *path,
		 struct fuse_file_info *fi, size_t size, off_t off, int plus);
void nso_releasedir(struct fuse_file_info *fi);
int nso_getxattr(fuse_req_t req, const char *path, const char *name,
		 char *value, size_t size);
int nso_listxattr(fuse_req_t req, const char *path, char *list, size_t size);
/* unlink of a namespace path: its provider's, -EROFS when it has none. */
int nso_unlink(fuse_req_t req, const char *path);

#endif
