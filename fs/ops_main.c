/* fs/ops_main.c - the low-level operations table: every request's node
 * becomes a path (fs/ops_node.h), routed to the staging passthrough or to
 * the namespace; "/" itself is answered here; the node table follows what
 * the kernel holds (lookups counted, forgets, unlink, rename).
 *
 * Everything outside staging/ is read-only: a call that would change it
 * fails with EROFS (control files accept writes, see ops_ns.c).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/ops.h"

enum area { AREA_ROOT, AREA_STAGING, AREA_NS };

static struct ops_nodes *nodes(fuse_req_t req)
{
	return ((struct ops_mount *)fuse_req_userdata(req))->nodes;
}

static struct ops_handle *handle(struct fuse_file_info *fi)
{
	return (struct ops_handle *)(uintptr_t)fi->fh;
}

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
	if (!strcmp(path, "/"))
		return AREA_ROOT;
	*rel = ops_staging_rel(path);
	return *rel ? AREA_STAGING : AREA_NS;
}

/* The path of ino, with "/name" appended when name is not NULL, into a
 * buffer of PATH_MAX bytes: 0 or -errno. */
static int path_of(fuse_req_t req, fuse_ino_t ino, const char *name, char *buf)
{
	return ops_node_path(nodes(req), ino, name, buf, PATH_MAX);
}

/* The staging path of name in parent, for calls that make, remove or
 * rename an entry: only entries inside staging/ may change (-EROFS). */
static int entry_path(fuse_req_t req, fuse_ino_t parent, const char *name,
		      char *buf, const char **rel)
{
	int ret = path_of(req, parent, name, buf);

	if (ret)
		return ret;
	*rel = ops_staging_rel(buf);
	return *rel && strcmp(*rel, ".") ? 0 : -EROFS;
}

static int root_attr(fuse_req_t req, struct fuse_entry_param *e)
{
	struct tapefs *fs = ops_fs(req);

	memset(e, 0, sizeof(*e));
	e->attr.st_ino = 1;
	e->attr.st_mode = S_IFDIR | 0755;
	e->attr.st_nlink = 2;
	e->attr.st_uid = fs->owner;
	e->attr.st_gid = fs->owner_gid;
	e->attr.st_mtim.tv_sec = fs->mounted;
	e->attr.st_ctim = e->attr.st_atim = e->attr.st_mtim;
	e->entry_timeout = e->attr_timeout = OPS_TIMEOUT_SHORT;
	return 0;
}

/* Attributes of path, with the timeouts of its kind. */
static int attr_of(fuse_req_t req, const char *path, struct fuse_entry_param *e)
{
	const char *rel = NULL;

	switch (area_of(path, &rel)) {
	case AREA_ROOT:
		return root_attr(req, e);
	case AREA_STAGING:
		return stg_getattr(req, rel, NULL, e);
	default:
		return nso_getattr(req, path, e);
	}
}

int ops_entry_ref(fuse_req_t req, fuse_ino_t parent, const char *name,
		  struct fuse_entry_param *e)
{
	uint64_t id;
	int ret = ops_node_ref(nodes(req), parent, name, e->attr.st_ino,
			       S_ISDIR(e->attr.st_mode), &id);

	if (!ret)
		e->ino = id;
	return ret;
}

void ops_entry_unref(fuse_req_t req, fuse_ino_t ino)
{
	ops_node_forget(nodes(req), ino, 1);
}

int ops_dirent_add(fuse_req_t req, char *buf, size_t size, size_t *len,
		   const char *name, const struct fuse_entry_param *e,
		   off_t next, int plus)
{
	size_t n, room = size - *len;

	if (plus)
		n = fuse_add_direntry_plus(req, buf + *len, room, name, e,
					   next);
	else
		n = fuse_add_direntry(req, buf + *len, room, name, &e->attr,
				      next);
	if (n > room)
		return 0;
	*len += n;
	return 1;
}

static void reply_attr(fuse_req_t req, int ret,
		       const struct fuse_entry_param *e)
{
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &e->attr, e->attr_timeout);
}

/* Reply with the entry of name in parent (path: its full path), counting
 * one lookup of it; ret: the error of what came before, if any. */
static void reply_entry(fuse_req_t req, int ret, fuse_ino_t parent,
			const char *name, const char *path)
{
	struct fuse_entry_param e;

	if (!ret)
		ret = attr_of(req, path, &e);
	if (!ret)
		ret = ops_entry_ref(req, parent, name, &e);
	if (ret)
		fuse_reply_err(req, -ret);
	else if (fuse_reply_entry(req, &e))
		ops_entry_unref(req, e.ino);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	char path[PATH_MAX];

	reply_entry(req, path_of(req, parent, name, path), parent, name, path);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	ops_node_forget(nodes(req), ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		ops_node_forget(nodes(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

/* With a staging handle, its descriptor answers (even unlinked). An
 * archived member whose name a newer version took (the node has no path,
 * or its path now leads to another inode) answers by its own id. */
static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	const char *rel = NULL;
	char path[PATH_MAX];
	uint64_t was = 0;
	int ret;

	if (fi && handle(fi)->area == OPS_STAGING) {
		reply_attr(req, stg_getattr(req, NULL, fi, &e), &e);
		return;
	}
	ops_node_ino(nodes(req), ino, &was);
	ret = path_of(req, ino, NULL, path);
	if (!ret)
		ret = attr_of(req, path, &e);
	if (!ret && area_of(path, &rel) == AREA_NS && e.attr.st_ino != was &&
	    !S_ISDIR(e.attr.st_mode))
		ret = -ESTALE;
	if (ret == -ESTALE)
		ret = nso_member_attr(req, was, &e);
	reply_attr(req, ret, &e);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	const int change = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
			   FUSE_SET_ATTR_GID | FUSE_SET_ATTR_SIZE |
			   FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME;
	struct fuse_entry_param e;
	const char *rel = NULL;
	char path[PATH_MAX];
	int ret = path_of(req, ino, NULL, path);

	if (fi && handle(fi)->area == OPS_STAGING) {
		rel = ret ? NULL : ops_staging_rel(path);
		ret = stg_setattr(req, rel, attr, to_set, fi, &e);
	} else if (!ret) {
		switch (area_of(path, &rel)) {
		case AREA_ROOT:
			ret = to_set & change ? -EROFS : root_attr(req, &e);
			break;
		case AREA_STAGING:
			ret = stg_setattr(req, rel, attr, to_set, NULL, &e);
			break;
		default:
			ret = nso_setattr(req, path, attr, to_set, &e);
			break;
		}
	}
	reply_attr(req, ret, &e);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char path[PATH_MAX], buf[PATH_MAX];
	const char *rel = NULL;
	int ret = path_of(req, ino, NULL, path);

	if (!ret) {
		switch (area_of(path, &rel)) {
		case AREA_STAGING:
			ret = stg_readlink(req, rel, buf, sizeof(buf));
			break;
		case AREA_NS:
			ret = nso_readlink(req, path, buf, sizeof(buf));
			break;
		default:
			ret = -EINVAL;
			break;
		}
	}
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_readlink(req, buf);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	char path[PATH_MAX];
	const char *rel;
	int ret = entry_path(req, parent, name, path, &rel);

	reply_entry(req, ret ? ret : stg_mknod(req, rel, mode, rdev), parent,
		    name, path);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	char path[PATH_MAX];
	const char *rel;
	int ret = entry_path(req, parent, name, path, &rel);

	reply_entry(req, ret ? ret : stg_mkdir(req, rel, mode), parent, name,
		    path);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	char path[PATH_MAX];
	const char *rel;
	int ret = entry_path(req, parent, name, path, &rel);

	reply_entry(req, ret ? ret : stg_symlink(req, link, rel), parent, name,
		    path);
}

/* unlink and rmdir: the node, if any, loses its path. A file of the
 * namespace goes to its provider (archive/ with allow_delete). */
static void remove_entry(fuse_req_t req, fuse_ino_t parent, const char *name,
			 int dir)
{
	char path[PATH_MAX];
	const char *rel = NULL;
	int ret = entry_path(req, parent, name, path, &rel);

	if (ret == -EROFS && !dir && !rel)
		ret = nso_unlink(req, path);
	else if (!ret)
		ret = dir ? stg_rmdir(req, rel) : stg_unlink(req, rel);
	if (!ret)
		ops_node_unlink(nodes(req), parent, name);
	fuse_reply_err(req, -ret);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, 0);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, 1);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	char from[PATH_MAX], to[PATH_MAX];
	const char *rf, *rt;
	int ret = entry_path(req, parent, name, from, &rf);

	if (!ret)
		ret = entry_path(req, newparent, newname, to, &rt);
	if (!ret)
		ret = stg_rename(req, rf, rt, flags);
	if (!ret)
		ops_node_rename(nodes(req), parent, name, newparent, newname,
				!!(flags & RENAME_EXCHANGE));
	fuse_reply_err(req, -ret);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	char from[PATH_MAX], to[PATH_MAX];
	const char *rf = NULL, *rt;
	int ret = path_of(req, ino, NULL, from);

	if (!ret && (!(rf = ops_staging_rel(from)) || !strcmp(rf, ".")))
		ret = -EROFS;
	if (!ret)
		ret = entry_path(req, newparent, newname, to, &rt);
	if (!ret)
		ret = stg_link(req, rf, rt);
	reply_entry(req, ret, newparent, newname, to);
}

/* The handles the kernel holds: put in before the open's reply (a release
 * may follow the reply at once), taken out by the release. */
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ops_handle *held;

static void hold(struct fuse_file_info *fi)
{
	struct ops_handle *h = handle(fi);

	pthread_mutex_lock(&held_mu);
	h->prev = NULL;
	h->next = held;
	if (held)
		held->prev = h;
	held = h;
	pthread_mutex_unlock(&held_mu);
}

static void unhold(struct fuse_file_info *fi)
{
	struct ops_handle *h = handle(fi);

	pthread_mutex_lock(&held_mu);
	if (h->prev)
		h->prev->next = h->next;
	else if (held == h)
		held = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	pthread_mutex_unlock(&held_mu);
}

static void release_file(struct tapefs *fs, const char *rel,
			 struct fuse_file_info *fi)
{
	if (handle(fi)->area == OPS_STAGING)
		stg_release(fs, rel, fi);
	else
		nso_release(fi);
}

static void release_dir(struct fuse_file_info *fi)
{
	if (handle(fi)->area == OPS_STAGING_DIR)
		stg_releasedir(fi);
	else
		nso_releasedir(fi);
}

/* Give back a handle: released, or one the kernel never got (an
 * interrupted open). */
static void drop_handle(fuse_req_t req, const char *rel,
			struct fuse_file_info *fi)
{
	unhold(fi);
	release_file(ops_fs(req), rel, fi);
}

void ops_release_all(struct tapefs *fs)
{
	struct fuse_file_info fi = {0};
	struct ops_handle *h;

	pthread_mutex_lock(&held_mu);
	while ((h = held)) {
		held = h->next;
		fi.fh = (uintptr_t)h;
		if (h->area == OPS_STAGING_DIR || h->area == OPS_NS_DIR)
			release_dir(&fi);
		else
			release_file(fs, NULL, &fi);
	}
	pthread_mutex_unlock(&held_mu);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char path[PATH_MAX];
	const char *rel = NULL;
	uint64_t was = 0;
	int ret = path_of(req, ino, NULL, path);

	if (!ret) {
		switch (area_of(path, &rel)) {
		case AREA_STAGING:
			/* Gone since the kernel's lookup (a dump's clean-up
			 * removed it): ESTALE makes the kernel look the name
			 * up again and retry, so that `cp` of the same name
			 * creates it instead of failing on the old entry. */
			ret = stg_open(req, rel, fi);
			if (ret == -ENOENT)
				ret = -ESTALE;
			break;
		case AREA_NS:
			ops_node_ino(nodes(req), ino, &was);
			ret = nso_open(req, path, was, fi);
			break;
		default:
			ret = -EISDIR;
			break;
		}
	}
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	hold(fi);
	if (fuse_reply_open(req, fi) == -ENOENT)
		drop_handle(req, rel, fi);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	char path[PATH_MAX];
	const char *rel;
	int ret = entry_path(req, parent, name, path, &rel);

	if (!ret)
		ret = stg_create(req, rel, mode, fi);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	ret = stg_getattr(req, rel, fi, &e);
	if (!ret)
		ret = ops_entry_ref(req, parent, name, &e);
	if (ret) {
		fuse_reply_err(req, -ret);
		stg_release(ops_fs(req), rel, fi);
		return;
	}
	hold(fi);
	if (fuse_reply_create(req, &e, fi)) {
		ops_entry_unref(req, e.ino);
		drop_handle(req, rel, fi);
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	if (handle(fi)->area == OPS_STAGING)
		stg_read(req, fi, size, off);
	else
		nso_read(req, fi, size, off);
}

/* Staging writes go from the request to the file without a copy here;
 * control files get their lines in memory. */
static void op_write_buf(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_bufvec *bufv, off_t off,
			 struct fuse_file_info *fi)
{
	size_t size = fuse_buf_size(bufv);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);
	ssize_t n;

	(void)ino;
	if (handle(fi)->area == OPS_STAGING) {
		n = stg_write_buf(ops_fs(req), fi, bufv, off);
	} else if (!(dst.buf[0].mem = malloc(size + 1))) {
		n = -ENOMEM;
	} else {
		n = fuse_buf_copy(&dst, bufv, 0);
		if (n >= 0)
			n = nso_write(req, fi, dst.buf[0].mem, (size_t)n);
		free(dst.buf[0].mem);
	}
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (handle(fi)->area == OPS_STAGING)
		fuse_reply_err(req, -stg_flush(ops_fs(req), fi));
	else
		fuse_reply_err(req, -nso_flush(req, fi));
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	char path[PATH_MAX];
	const char *rel = NULL;

	if (handle(fi)->area == OPS_STAGING && !path_of(req, ino, NULL, path))
		rel = ops_staging_rel(path);
	drop_handle(req, rel, fi);
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	(void)ino;
	if (handle(fi)->area == OPS_STAGING)
		fuse_reply_err(req, -stg_fsync(fi, datasync));
	else
		fuse_reply_err(req, 0);
}

static void drop_dir(struct fuse_file_info *fi)
{
	unhold(fi);
	release_dir(fi);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	char path[PATH_MAX];
	const char *rel = NULL;
	int ret = path_of(req, ino, NULL, path);

	if (!ret && area_of(path, &rel) == AREA_STAGING)
		ret = stg_opendir(req, rel, fi);
	else if (!ret)
		ret = nso_opendir(path, fi); /* listings are made in readdir */
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	hold(fi);
	if (fuse_reply_open(req, fi) == -ENOENT)
		drop_dir(fi);
}

static void readdir_any(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi, int plus)
{
	char path[PATH_MAX];
	int ret;

	if (handle(fi)->area == OPS_STAGING_DIR) {
		stg_readdir(req, fi, size, off, plus);
		return;
	}
	ret = path_of(req, ino, NULL, path);
	if (ret)
		fuse_reply_err(req, -ret);
	else
		nso_readdir(req, ino, path, fi, size, off, plus);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	readdir_any(req, ino, size, off, fi, 0);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	readdir_any(req, ino, size, off, fi, 1);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino;
	drop_dir(fi);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;
	int ret = stg_statfs(req, &st);

	(void)ino;
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_statfs(req, &st);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	char path[PATH_MAX];
	const char *rel = NULL;
	int ret = path_of(req, ino, NULL, path);

	if (!ret && area_of(path, &rel) != AREA_STAGING)
		ret = -EROFS;
	if (!ret)
		ret = stg_setxattr(req, rel, name, value, size, flags);
	fuse_reply_err(req, -ret);
}

/* The answer outside staging for a name not in user.*: the namespace
 * has no security labels, and POSIX ACLs only on archived files that had
 * one; where there is none it says so as a file system mounted without
 * them does (EOPNOTSUPP) rather than "none here" (ENODATA): `ls -l`
 * then stops asking for both for the rest of the mount's entries, which
 * saves two round trips per entry listed. */
static int xattr_ns_other(fuse_req_t req, const char *path, const char *name,
			  char *buf, size_t size)
{
	int ret;

	if (!strncmp(name, "system.posix_acl_", 17)) {
		ret = nso_getxattr(req, path, name, buf, size);
		return ret == -ENODATA ? -EOPNOTSUPP : ret;
	}
	if (!strncmp(name, "security.", 9))
		return -EOPNOTSUPP;
	return -ENODATA;
}

/* getxattr (name) and listxattr (name NULL): the size when size is 0,
 * else the value. */
static void xattr_get(fuse_req_t req, fuse_ino_t ino, const char *name,
		      size_t size)
{
	char path[PATH_MAX], *buf = size ? malloc(size) : NULL;
	const char *rel = NULL;
	int ret = size && !buf ? -ENOMEM : path_of(req, ino, NULL, path);

	if (!ret) {
		switch (area_of(path, &rel)) {
		case AREA_STAGING:
			ret = name ? stg_getxattr(req, rel, name, buf, size)
				   : stg_listxattr(req, rel, buf, size);
			break;
		case AREA_NS: /* no ACLs or labels: `ls -l` asks for both */
			if (name && strncmp(name, "user.", 5))
				ret =
				    xattr_ns_other(req, path, name, buf, size);
			else if (name)
				ret = nso_getxattr(req, path, name, buf, size);
			else
				ret = nso_listxattr(req, path, buf, size);
			break;
		default:
			ret = name ? -ENODATA : 0;
			break;
		}
	}
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else if (size)
		fuse_reply_buf(req, buf, (size_t)ret);
	else
		fuse_reply_xattr(req, (size_t)ret);
	free(buf);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	xattr_get(req, ino, name, size);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	xattr_get(req, ino, NULL, size);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	char path[PATH_MAX];
	const char *rel = NULL;
	int ret = path_of(req, ino, NULL, path);

	if (!ret && area_of(path, &rel) != AREA_STAGING)
		ret = -EROFS;
	if (!ret)
		ret = stg_removexattr(req, rel, name);
	fuse_reply_err(req, -ret);
}

/* Outside staging/, only control files (names starting with a dot at
 * the root) may be opened for writing. */
static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	char path[PATH_MAX];
	const char *rel = NULL;
	int ret = path_of(req, ino, NULL, path);

	if (!ret && area_of(path, &rel) == AREA_STAGING)
		ret = stg_access(req, rel, mask);
	else if (!ret)
		ret = (mask & W_OK) && strncmp(path, "/.", 2) ? -EROFS : 0;
	fuse_reply_err(req, -ret);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off,
			 off_t len, struct fuse_file_info *fi)
{
	(void)ino;
	if (handle(fi)->area != OPS_STAGING)
		fuse_reply_err(req, EROFS);
	else
		fuse_reply_err(req, -stg_fallocate(fi, mode, off, len));
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t r = handle(fi)->area == OPS_STAGING ? stg_lseek(fi, off, whence)
						  : -EINVAL;

	(void)ino;
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_lseek(req, r);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Page-cache reads of cached members are background requests: let
	 * readers of many files progress at once (reads of members not
	 * cached yet are direct_io, never background, and wait in the
	 * recall engine without a thread: fs/engine/recall.h). */
	conn->max_background = 64;
	conn->congestion_threshold = 48;
	/* Readdirplus for every batch of a listing, not only the first
	 * (the adaptive mode, which asks for attributes again only after
	 * the reader looked entries up): `ls -l` stats each batch of names
	 * after reading it, and every batch without attributes would cost a
	 * lookup per entry. */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	/* No splice to the kernel and no writeback cache: measured
	 * (scripts/bench-ingest) splice slower for the many small requests
	 * of a copy, and the writeback cache would let the kernel hold data
	 * and mtimes the dump engine must see on disk when the last writer
	 * closes a file. Large writes (1 MiB) come by default. */
}

static const struct fuse_lowlevel_ops ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .open = op_open,
    .create = op_create,
    .read = op_read,
    .write_buf = op_write_buf,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .statfs = op_statfs,
    .setxattr = op_setxattr,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .removexattr = op_removexattr,
    .access = op_access,
    .fallocate = op_fallocate,
    .lseek = op_lseek,
};

const struct fuse_lowlevel_ops *ops_table(void)
{
	return &ops;
}
