/* fs/ops_ns.c - the namespace outside staging/: every top-level name is
 * answered by its provider (fs/ns/ns.h); this file turns providers' answers
 * into FUSE replies.
 *
 * Dynamic text (NS_TEXT, NS_CONTROL) is rendered whole at open into the
 * handle and served with direct_io, so every open shows the present.
 * Control files take writes line by line (fs/ns/ns.h), from the mount owner
 * and root only. Archived members are read through the recall engine and
 * opened with keep_cache: their content never changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ns/ns_local.h"
#include "fs/ops.h"

struct ns_file {
	struct ops_handle h;
	enum ns_kind kind;
	const struct ns_provider *p;
	char *rel;
	struct strbuf text;	  /* NS_TEXT, NS_CONTROL */
	struct strbuf partial;	  /* NS_CONTROL: a line still to be ended */
	struct recall_handle *rh; /* NS_MEMBER */
};

/* Providers by first path component, in the root's listing order. */
static const struct ns_provider *const providers[] = {
	&ns_readme,	&ns_status, &ns_status_json, &ns_dump_ctl,
	&ns_verify_ctl, &ns_recall_ctl, &ns_archive,  &ns_tapes,
	&ns_verify_dir, &ns_drives, &ns_library,
};
#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

/* Split "/first/rest" into its provider and rest ("" for "/first"). */
static const struct ns_provider *lookup(const char *path, const char **rel)
{
	const char *name = path + 1, *slash = strchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : strlen(name);

	for (size_t i = 0; i < NPROVIDERS; i++) {
		const struct ns_provider *p = providers[i];

		if (strlen(p->name) == len &&
		    !memcmp(p->name, name, len)) {
			*rel = slash ? slash + 1 : "";
			return p;
		}
	}
	return NULL;
}

/* A stable inode number for a namespace path with none from its
 * provider: FNV-1a of the path, kept clear of the staging disk's small
 * numbers and of catalog-derived ones (which set bit 62). */
static ino_t path_ino(const char *path)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (ino_t)((h & ((1ULL << 61) - 1)) | (1ULL << 61));
}

static void finish_stat(struct tapefs *fs, const char *path, struct ns_attr *a)
{
	if (!a->st.st_ino)
		a->st.st_ino = path_ino(path);
	if (!a->st.st_nlink)
		a->st.st_nlink = a->kind == NS_DIR ? 2 : 1;
	if (!a->st.st_mtime) {
		a->st.st_mtime = fs->mounted;
		a->st.st_ctime = fs->mounted;
		a->st.st_atime = fs->mounted;
	}
	if (!(a->st.st_mode & S_IFMT)) {
		switch (a->kind) {
		case NS_DIR:
			a->st.st_mode |= S_IFDIR;
			break;
		case NS_LINK:
			a->st.st_mode |= S_IFLNK;
			break;
		default:
			a->st.st_mode |= S_IFREG;
			break;
		}
	}
	if ((a->kind == NS_TEXT || a->kind == NS_CONTROL) && !a->st.st_uid &&
	    !a->st.st_gid) {
		a->st.st_uid = fs->owner;
		a->st.st_gid = fs->owner_gid;
	}
}

static int attr_of(const char *path, const struct ns_provider **pp,
		   const char **rel, struct ns_attr *a)
{
	struct tapefs *fs = ops_fs();
	const struct ns_provider *p = lookup(path, rel);
	int ret;

	if (!p)
		return -ENOENT;
	memset(a, 0, sizeof(*a));
	ret = p->getattr(fs, *rel, a);
	if (ret)
		return ret;
	finish_stat(fs, path, a);
	*pp = p;
	return 0;
}

int nso_getattr(const char *path, struct stat *st)
{
	const struct ns_provider *p;
	const char *rel;
	struct ns_attr *a = malloc(sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	ret = attr_of(path, &p, &rel, a);
	if (!ret)
		*st = a->st;
	free(a);
	return ret;
}

int nso_readlink(const char *path, char *buf, size_t size)
{
	const struct ns_provider *p;
	const char *rel;
	struct ns_attr *a = malloc(sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	ret = attr_of(path, &p, &rel, a);
	if (!ret && a->kind != NS_LINK)
		ret = -EINVAL;
	if (!ret) {
		strncpy(buf, a->link, size - 1);
		buf[size - 1] = 0;
	}
	free(a);
	return ret;
}

static int may_control(struct tapefs *fs)
{
	uid_t uid = fuse_get_context()->uid;

	return uid == 0 || uid == fs->owner;
}

/* The copy a tapes/LABEL/... path names, for recall_open(). */
static const char *prefer_of(const char *path, char *buf, size_t len)
{
	const char *s, *e;

	if (strncmp(path, "/tapes/", 7))
		return NULL;
	s = path + 7;
	e = strchr(s, '/');
	if (!e || (size_t)(e - s) >= len)
		return NULL;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = 0;
	return buf;
}

static int open_member(struct tapefs *fs, const char *path,
		       const struct ns_attr *a, struct ns_file *f,
		       struct fuse_file_info *fi)
{
	char label[CHANGER_BARCODE_MAX];

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
		return -EROFS;
	if (!fs->recall)
		return -EIO; /* no recall engine: the bytes are out of reach */
	/* Only bytes whose MD5 was checked may enter the page cache: a file
	 * whole in the cache is opened with keep_cache (archived content
	 * never changes); one still to recall is read with direct_io, since
	 * bytes streamed from a copy that proves bad at its end must not
	 * stay cached for the next reader. */
	if (recall_state(fs->recall, a->member_id) == RECALL_CACHED)
		fi->keep_cache = 1;
	else
		fi->direct_io = 1;
	return recall_open(fs->recall, a->member_id, !!(fi->flags & O_NONBLOCK),
			   prefer_of(path, label, sizeof(label)), &f->rh);
}

static int open_text(struct tapefs *fs, struct ns_file *f,
		     struct fuse_file_info *fi)
{
	int wr = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	int ret = 0;

	if (wr && f->kind != NS_CONTROL)
		return -EROFS;
	if (wr && !may_control(fs))
		return -EACCES;
	fi->direct_io = 1;
	if ((fi->flags & O_ACCMODE) != O_WRONLY && f->p->render) {
		ret = f->p->render(fs, f->rel, &f->text);
		if (!ret && strbuf_oom(&f->text))
			ret = -ENOMEM;
	}
	return ret;
}

int nso_open(const char *path, struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs();
	const struct ns_provider *p;
	const char *rel;
	struct ns_attr *a = malloc(sizeof(*a));
	struct ns_file *f = calloc(1, sizeof(*f));
	int ret = -ENOMEM;

	if (!a || !f)
		goto out_free;
	ret = attr_of(path, &p, &rel, a);
	if (ret)
		goto out_free;
	f->h.area = OPS_NS;
	f->kind = a->kind;
	f->p = p;
	strbuf_init(&f->text);
	strbuf_init(&f->partial);
	if (!(f->rel = strdup(rel))) {
		ret = -ENOMEM;
		goto out_free;
	}
	switch (a->kind) {
	case NS_MEMBER:
		ret = open_member(fs, path, a, f, fi);
		break;
	case NS_TEXT:
	case NS_CONTROL:
		ret = open_text(fs, f, fi);
		break;
	case NS_DIR:
		ret = -EISDIR;
		break;
	default:
		ret = -ELOOP;
		break;
	}
	if (ret)
		goto out_free;
	fi->fh = (uintptr_t)f;
	free(a);
	return 0;
out_free:
	if (f) {
		strbuf_release(&f->text);
		free(f->rel);
	}
	free(f);
	free(a);
	return ret;
}

int nso_read(const char *path, char *buf, size_t size, off_t off,
	     struct fuse_file_info *fi)
{
	struct ns_file *f = (struct ns_file *)(uintptr_t)fi->fh;
	ssize_t n;

	(void)path;
	if (f->kind == NS_MEMBER) {
		n = recall_read(f->rh, buf, size, off);
		return (int)n;
	}
	if ((size_t)off >= f->text.len)
		return 0;
	if (size > f->text.len - (size_t)off)
		size = f->text.len - (size_t)off;
	memcpy(buf, f->text.buf + off, size);
	return (int)size;
}

/* Pass one request line to the provider. */
static int control_line(struct tapefs *fs, struct ns_file *f, const char *s,
			size_t len)
{
	char *line;
	int ret;

	if (memchr(s, 0, len))
		return -EINVAL; /* a NUL inside a request line */
	line = strndup(s, len);
	if (!line)
		return -ENOMEM;
	ret = f->p->control(fs, f->rel, line);
	free(line);
	return ret;
}

/* Lines are requests. stdio writes a long list in full buffers that cut
 * lines in two, so the unended tail of a write whose size is a whole number
 * of pages waits in f->partial for the next write or the close; the tail of
 * any other write is a request of its own (printf 'all' > .verify fails on
 * its write, where the shell sees it, not on a close it ignores). */
int nso_write(const char *path, const char *buf, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	struct tapefs *fs = ops_fs();
	struct ns_file *f = (struct ns_file *)(uintptr_t)fi->fh;
	const char *s, *end, *nl;
	int ret = 0;

	(void)path;
	(void)off;
	if (f->kind != NS_CONTROL || !f->p->control)
		return -EROFS;
	strbuf_add(&f->partial, buf, size);
	if (strbuf_oom(&f->partial)) {
		ret = -ENOMEM;
		goto out_drop;
	}
	s = f->partial.buf;
	end = s + f->partial.len;
	while ((nl = memchr(s, '\n', (size_t)(end - s)))) {
		ret = control_line(fs, f, s, (size_t)(nl - s));
		if (ret)
			goto out_drop;
		s = nl + 1;
	}
	if (s < end && size % 4096 != 0) {
		ret = control_line(fs, f, s, (size_t)(end - s));
		if (ret)
			goto out_drop;
		s = end;
	}
	memmove(f->partial.buf, s, (size_t)(end - s));
	f->partial.len = (size_t)(end - s);
	return (int)size;
out_drop:
	f->partial.len = 0;
	return ret;
}

/* A close ends a line left waiting by nso_write(). */
int nso_flush(struct fuse_file_info *fi)
{
	struct ns_file *f = (struct ns_file *)(uintptr_t)fi->fh;
	int ret;

	if (f->kind != NS_CONTROL || !f->partial.len)
		return 0;
	ret = control_line(ops_fs(), f, f->partial.buf, f->partial.len);
	f->partial.len = 0;
	return ret;
}

int nso_truncate(const char *path, off_t size)
{
	const struct ns_provider *p;
	const char *rel;
	struct ns_attr *a = malloc(sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	ret = attr_of(path, &p, &rel, a);
	/* `echo x > .dump` truncates first: a no-op on a control file. */
	if (!ret && (a->kind != NS_CONTROL || size != 0))
		ret = -EROFS;
	if (!ret && !may_control(ops_fs()))
		ret = -EACCES;
	free(a);
	return ret;
}

int nso_release(struct fuse_file_info *fi)
{
	struct ns_file *f = (struct ns_file *)(uintptr_t)fi->fh;

	if (f->rh)
		recall_release(f->rh);
	strbuf_release(&f->text);
	strbuf_release(&f->partial);
	free(f->rel);
	free(f);
	return 0;
}

struct fill_ctx {
	void *buf;
	fuse_fill_dir_t filler;
	struct tapefs *fs;
	const char *dir; /* the listed directory's full path */
	char path[4096];
};

static int fill_one(void *vctx, const char *name, const struct ns_attr *attr)
{
	struct fill_ctx *c = vctx;
	struct ns_attr a = *attr;

	if (!a.st.st_ino) {
		snprintf(c->path, sizeof(c->path), "%s/%s", c->dir, name);
		a.st.st_ino = path_ino(c->path);
	}
	finish_stat(c->fs, c->path, &a);
	return c->filler(c->buf, name, &a.st, 0, 0);
}

int nso_readdir(const char *path, void *buf, fuse_fill_dir_t filler)
{
	struct fill_ctx *c;
	const struct ns_provider *p;
	const char *rel;
	int ret;

	p = lookup(path, &rel);
	if (!p)
		return -ENOENT;
	if (!p->readdir)
		return -ENOTDIR;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->buf = buf;
	c->filler = filler;
	c->fs = ops_fs();
	c->dir = path;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	ret = p->readdir(c->fs, rel, fill_one, c);
	free(c);
	return ret;
}

int nso_root_readdir(void *buf, fuse_fill_dir_t filler)
{
	struct tapefs *fs = ops_fs();
	struct stat st;

	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	/* with use_ino, an entry with inode 0 would be skipped by readdir(3) */
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR;
	st.st_ino = path_ino("/staging");
	filler(buf, "staging", &st, 0, 0);
	for (size_t i = 0; i < NPROVIDERS; i++) {
		const struct ns_provider *p = providers[i];
		struct ns_attr a;

		memset(&a, 0, sizeof(a));
		if (p->getattr(fs, "", &a))
			continue;
		char path[64];

		snprintf(path, sizeof(path), "/%s", p->name);
		memset(&st, 0, sizeof(st));
		st.st_mode = a.kind == NS_DIR ? S_IFDIR : S_IFREG;
		st.st_ino = a.st.st_ino ? a.st.st_ino : path_ino(path);
		if (filler(buf, p->name, &st, 0, 0))
			break;
	}
	return 0;
}

static int xattr_reply(struct strbuf *sb, char *value, size_t size)
{
	if (strbuf_oom(sb))
		return -ENOMEM;
	if (size == 0)
		return (int)sb->len;
	if (sb->len > size)
		return -ERANGE;
	if (sb->len)
		memcpy(value, sb->buf, sb->len);
	return (int)sb->len;
}

int nso_getxattr(const char *path, const char *name, char *value, size_t size)
{
	const struct ns_provider *p;
	const char *rel;
	struct strbuf sb;
	int ret;

	p = lookup(path, &rel);
	if (!p)
		return -ENOENT;
	if (!p->getxattr)
		return -ENODATA;
	strbuf_init(&sb);
	ret = p->getxattr(ops_fs(), rel, name, &sb);
	if (!ret)
		ret = xattr_reply(&sb, value, size);
	strbuf_release(&sb);
	return ret;
}

int nso_listxattr(const char *path, char *list, size_t size)
{
	const struct ns_provider *p;
	const char *rel;
	struct strbuf sb;
	int ret;

	p = lookup(path, &rel);
	if (!p)
		return -ENOENT;
	if (!p->listxattr)
		return 0;
	strbuf_init(&sb);
	ret = p->listxattr(ops_fs(), rel, &sb);
	if (!ret)
		ret = xattr_reply(&sb, list, size);
	strbuf_release(&sb);
	return ret;
}
