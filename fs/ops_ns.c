/* fs/ops_ns.c - the namespace outside staging/: every top-level name is
 * answered by its provider (fs/ns/ns.h); this file turns providers' answers
 * into FUSE replies.
 *
 * Dynamic text (NS_TEXT, NS_CONTROL) is rendered whole at open into the
 * handle, for the reader who opens it (render_for(): fs/ns/ns.h), and
 * served with direct_io, so every open shows the present; the kernel
 * caches nothing of it (timeouts 0). A text whose provider renders it in
 * parts (ns_attr.parts: a result file of millions of lines) is read
 * through an ns_stream (fs/ns/ns_stream.h) instead: a part at a time.
 * Control files take writes from the mount owner and root only, each
 * write() checked whole before any of it is applied (nso_write()).
 * Archived members are read through the recall engine and opened with
 * keep_cache once whole in the cache: their content never changes.
 *
 * Listings are made afresh when read from their start and kept in the
 * directory's handle; one of archive/ longer than a reply is made in two
 * steps, the rest on a thread (a lister) while the first replies go out,
 * so that the daemon's part of a long `ls -l` runs beside the kernel's
 * and the reader's. The kernel keeps the listings of archive/ and of an
 * archive's directories in tapes/ from one opendir to the next, until a
 * commit drops them (fs/ops_inval.c). A readdirplus reply gives the
 * attributes of the entries that are archived members (their inode
 * carries NS_INO_MEMBER: the listing has all their attributes), so `ls -l`
 * of archive/ and of a tape's archives needs no lookup per entry; other
 * entries (texts whose size is rendered on lookup, tapes and their
 * archives) are names only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/recall.h"
#include "fs/ns/ns_local.h"
#include "fs/ns/ns_stream.h"
#include "fs/ops.h"
#include "tapeio/changer.h"

struct ns_file {
	struct ops_handle h;
	enum ns_kind kind;
	const struct ns_provider *p;
	char *rel;
	char *file;	       /* its path without the leading '/': ".verify" */
	struct strbuf text;    /* NS_TEXT, NS_CONTROL */
	struct strbuf partial; /* NS_CONTROL: the start of a line a full
				  buffer cut, at most CTL_LINE_MAX */
	struct recall_handle *rh; /* NS_MEMBER */
	struct ns_stream *stream; /* NS_TEXT in parts */
	struct tapefs *fs;
	struct ns_reader who; /* who opened it (a text in parts) */
};

/* A part of a text in parts is what its bytes are: 64 KiB, a few reads. */
#define NS_PART_BYTES (64 * 1024)

/* One entry of a listing; its name at names.buf + name. */
struct ns_dirent {
	size_t name;
	enum ns_kind kind;
	struct stat st;
};

/* A listing: entry i is at offset i, "." and ".." first. A long listing
 * of a provider with readdir_from() is made in two steps: a reply's worth
 * in the request that reads it from its start, the rest on a thread of
 * its own (the lister) while the kernel and the reader take in the first
 * replies; a reply waits for the entries it needs. */
struct ns_dir {
	struct ops_handle h;
	int filled;   /* made, or being made, since the last read from the
			 start */
	uint64_t gen; /* ops_inval_gen() before it was made */
	/* lock guards ents, n, cap, names, more, stop and err while a lister
	 * runs (without one, the request reading the listing owns them);
	 * held by a reply while it reads entries, taken before the node
	 * table's lock (fs/ops_node.c). grown: entries added, or the end. */
	pthread_mutex_t lock;
	pthread_cond_t grown;
	struct ns_dirent *ents;
	size_t n, cap;
	struct strbuf names;
	int more;	   /* a lister is adding entries (and touches d) */
	int stop;	   /* the lister is to stop (release, rewind) */
	int err;	   /* the lister's error, -errno */
	struct tapefs *fs; /* for the lister: where it lists from */
	int *listers;	   /* ops_mount.listers */
	const struct ns_provider *p;
	char *rel, *path, *after;
};

/* Listers running at once over every listing of the mount
 * (ops_mount.listers); a listing that would need one more is made whole
 * in its request, as short ones are. Two: a lister keeps a core busy. */
#define NS_LISTERS_MAX 2

/* Entries a lister adds to its listing at once. */
#define NS_LISTER_BATCH 256

/* Providers by first path component, in the root's listing order. */
static const struct ns_provider *const providers[] = {
    &ns_readme,	    &ns_status,	    &ns_status_json, &ns_dump_ctl,
    &ns_verify_ctl, &ns_recall_ctl, &ns_archive,     &ns_tapes,
    &ns_verify_dir, &ns_drives,	    &ns_library,
    &ns_metrics,    &ns_library_svg,
};
#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

/* Split "/first/rest" into its provider and rest ("" for "/first"). */
static const struct ns_provider *lookup(const char *path, const char **rel)
{
	const char *name = path + 1, *slash = strchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : strlen(name);

	for (size_t i = 0; i < NPROVIDERS; i++) {
		const struct ns_provider *p = providers[i];

		if (strlen(p->name) == len && !memcmp(p->name, name, len)) {
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

/* An archived member (file, symlink or directory: its inode carries
 * NS_INO_MEMBER) is immutable, and a commit that gives its path a new
 * version, or its directory new entries, tells the kernel to drop them
 * (fs/ops_inval.c): its name and attributes stay valid long. Other
 * directories change with the library; texts all the time. */
static void set_timeouts(enum ns_kind kind, const struct stat *st,
			 struct fuse_entry_param *e)
{
	e->entry_timeout = e->attr_timeout = 0;
	if ((kind == NS_MEMBER || kind == NS_LINK || kind == NS_DIR) &&
	    ((uint64_t)st->st_ino & NS_INO_MEMBER))
		e->entry_timeout = e->attr_timeout = OPS_TIMEOUT_MEMBER;
	else if (kind == NS_DIR)
		e->entry_timeout = e->attr_timeout = OPS_TIMEOUT_SHORT;
}

static int attr_of(struct tapefs *fs, const char *path,
		   const struct ns_provider **pp, const char **rel,
		   struct ns_attr *a)
{
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

/* Who makes request req, as the namespace sees a reader. */
static void reader_of(fuse_req_t req, struct ns_reader *who)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	int n;

	who->uid = ctx->uid;
	who->gid = ctx->gid;
	who->all = ctx->uid == 0 || ctx->uid == ops_fs(req)->owner;
	who->ngroups = 0;
	if (who->all)
		return;
	n = fuse_req_getgroups(req, NS_READER_GROUPS, who->groups);
	who->ngroups = n < 0 ? 0 : n > NS_READER_GROUPS ? NS_READER_GROUPS : n;
}

/* The mount owner and root: they may write control files and see
 * everything (ns_reader.all). */
static int may_control(fuse_req_t req)
{
	uid_t uid = fuse_req_ctx(req)->uid;

	return uid == 0 || uid == ops_fs(req)->owner;
}

/* The text of rel (kind, the file path without its leading '/') as the
 * caller of req may see it: a control file ends with its last refusal
 * for the owner and root. */
static int render_text(fuse_req_t req, const struct ns_provider *p,
		       const char *rel, enum ns_kind kind, const char *file,
		       struct strbuf *out)
{
	struct ns_reader who;
	int ret;

	if (p->render_for) {
		reader_of(req, &who);
		ret = p->render_for(ops_fs(req), rel, &who, out);
	} else {
		ret = p->render(ops_fs(req), rel, out);
	}
	if (!ret && kind == NS_CONTROL && may_control(req))
		ns_ctl_refusal_render(ops_fs(req), file, out);
	if (!ret && strbuf_oom(out))
		ret = -ENOMEM;
	return ret;
}

/* A text whose provider gave its size (rendered as root sees it, without
 * the refusal): the size of what this caller sees, for tools that trust
 * it (tail). */
static void size_for_reader(fuse_req_t req, const struct ns_provider *p,
			    const char *path, const char *rel,
			    struct ns_attr *a)
{
	struct strbuf sb;

	if (!a->st.st_size || (a->kind != NS_TEXT && a->kind != NS_CONTROL))
		return;
	strbuf_init(&sb);
	if (may_control(req)) { /* the provider's text, and the refusal */
		if (a->kind == NS_CONTROL)
			ns_ctl_refusal_render(ops_fs(req), path + 1, &sb);
		if (!strbuf_oom(&sb))
			a->st.st_size += (off_t)sb.len;
	} else if (p->render_for &&
		   render_text(req, p, rel, a->kind, path + 1, &sb) == 0) {
		a->st.st_size = (off_t)sb.len;
	}
	strbuf_release(&sb);
}

int nso_getattr(fuse_req_t req, const char *path, struct fuse_entry_param *e)
{
	const struct ns_provider *p;
	const char *rel;
	struct ns_attr *a = malloc(sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	ret = attr_of(ops_fs(req), path, &p, &rel, a);
	if (!ret) {
		size_for_reader(req, p, path, rel, a);
		e->attr = a->st;
		set_timeouts(a->kind, &a->st, e);
	}
	free(a);
	return ret;
}

/* An archived member by its inode number, for a node no path leads to
 * any more (a newer version took its name) that an open file still
 * holds: its attributes never change. -ESTALE when ino is no member's. */
int nso_member_attr(fuse_req_t req, uint64_t ino, struct fuse_entry_param *e)
{
	struct tapefs *fs = ops_fs(req);
	struct catalog_member m;
	struct ns_attr *a;
	int ret;

	if (!(ino & NS_INO_MEMBER) || !fs->cat)
		return -ESTALE;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	memset(&m, 0, sizeof(m));
	ret = catalog_member_get(fs->cat, (int64_t)(ino & ~NS_INO_MEMBER), &m);
	if (!ret) {
		ns_member_attr(fs, &m, a);
		finish_stat(fs, "", a);
		memset(e, 0, sizeof(*e));
		e->attr = a->st;
		set_timeouts(a->kind, &a->st, e);
	}
	catalog_member_release(&m);
	free(a);
	return ret == -ENOENT ? -ESTALE : ret;
}

int nso_readlink(fuse_req_t req, const char *path, char *buf, size_t size)
{
	const struct ns_provider *p;
	const char *rel;
	struct ns_attr *a = malloc(sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	ret = attr_of(ops_fs(req), path, &p, &rel, a);
	if (!ret && a->kind != NS_LINK)
		ret = -EINVAL;
	if (!ret) {
		strncpy(buf, a->link, size - 1);
		buf[size - 1] = 0;
	}
	free(a);
	return ret;
}

static int open_member(struct tapefs *fs, const struct ns_attr *a,
		       struct ns_file *f, struct fuse_file_info *fi)
{
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
			   a->prefer[0] ? a->prefer : NULL, &f->rh);
}

/* ns_part_fn of a text in parts: its provider's part, as f's reader
 * may see it. */
static int text_part(void *ctx, struct ns_cursor *cur, size_t want,
		     struct strbuf *out)
{
	struct ns_file *f = ctx;

	return f->p->render_part(f->fs, f->rel, &f->who, cur, want, out);
}

static int open_parts(fuse_req_t req, struct ns_file *f,
		      struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
		return -EROFS;
	fi->direct_io = 1;
	reader_of(req, &f->who);
	return ns_stream_new(text_part, f, NS_PART_BYTES, &f->stream);
}

static int open_text(fuse_req_t req, struct ns_file *f,
		     struct fuse_file_info *fi)
{
	int wr = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	int ret = 0;

	if (wr && f->kind != NS_CONTROL)
		return -EROFS;
	if (wr && !may_control(req))
		return -EACCES;
	fi->direct_io = 1;
	if ((fi->flags & O_ACCMODE) != O_WRONLY && f->p->render)
		ret =
		    render_text(req, f->p, f->rel, f->kind, f->file, &f->text);
	return ret;
}

static void file_free(struct ns_file *f)
{
	if (f->rh)
		recall_release(f->rh);
	ns_stream_free(f->stream);
	strbuf_release(&f->text);
	strbuf_release(&f->partial);
	free(f->rel);
	free(f->file);
	free(f);
}

int nso_open(fuse_req_t req, const char *path, uint64_t ino,
	     struct fuse_file_info *fi)
{
	const struct ns_provider *p;
	const char *rel;
	struct ns_attr *a = malloc(sizeof(*a));
	struct ns_file *f = calloc(1, sizeof(*f));
	int ret = -ENOMEM;

	if (!a || !f)
		goto out_free;
	strbuf_init(&f->text);
	strbuf_init(&f->partial);
	ret = attr_of(ops_fs(req), path, &p, &rel, a);
	if (!ret && a->kind != NS_DIR && (uint64_t)a->st.st_ino != ino)
		ret = -ESTALE; /* a newer version took the name */
	if (ret)
		goto out_free;
	f->h.area = OPS_NS;
	f->fs = ops_fs(req);
	f->kind = a->kind;
	f->p = p;
	if (!(f->rel = strdup(rel)) || !(f->file = strdup(path + 1))) {
		ret = -ENOMEM;
		goto out_free;
	}
	switch (a->kind) {
	case NS_MEMBER:
		ret = open_member(ops_fs(req), a, f, fi);
		break;
	case NS_TEXT:
	case NS_CONTROL:
		if (a->parts && p->render_part)
			ret = open_parts(req, f, fi);
		else
			ret = open_text(req, f, fi);
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
	if (f)
		file_free(f);
	free(a);
	return ret;
}

/* The recall engine's answer to a member read (recall_reply_fn). */
static void member_reply(void *arg, const void *buf, ssize_t n)
{
	fuse_req_t req = arg;

	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/* The reader of a parked read was interrupted (killed): take the read
 * back and answer it, unless the engine is answering it already. */
static void member_interrupt(fuse_req_t req, void *data)
{
	struct recall *r = ops_fs(req)->recall;

	if (r && recall_read_cancel(r, (uint64_t)(uintptr_t)data))
		fuse_reply_err(req, EINTR);
}

/* The read of an archived member. Bytes in the cache are answered here;
 * otherwise req goes to the recall engine, which answers it from its own
 * thread once the bytes are there, and this thread returns at once: a
 * crowd of readers waiting for a tape holds no request thread. The
 * interrupt callback is registered before the engine may answer (arm),
 * so that req is never touched after its answer. */
static void member_read(fuse_req_t req, struct ns_file *f, size_t size,
			off_t off)
{
	struct recall *r = ops_fs(req)->recall;
	uint64_t token;

	if (recall_read_submit(f->rh, size, off, member_reply, req, &token) <=
	    0)
		return;
	fuse_req_interrupt_func(req, member_interrupt,
				(void *)(uintptr_t)token);
	recall_read_arm(r, token);
}

/* A text in parts: the bytes at off, a part rendered when needed. */
static void parts_read(fuse_req_t req, struct ns_file *f, size_t size,
		       off_t off)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = ns_stream_read(f->stream, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

/* A text is sent from a copy: once the kernel has the reply, the reader
 * may close the file and its release free f in another thread while the
 * reply's write is still returning. */
void nso_read(fuse_req_t req, struct fuse_file_info *fi, size_t size, off_t off)
{
	struct ns_file *f = (struct ns_file *)(uintptr_t)fi->fh;
	char *buf;

	if (f->kind == NS_MEMBER) {
		member_read(req, f, size, off);
		return;
	}
	if (f->stream) {
		parts_read(req, f, size, off);
		return;
	}
	if ((size_t)off >= f->text.len)
		size = 0;
	else if (size > f->text.len - (size_t)off)
		size = f->text.len - (size_t)off;
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (size)
		memcpy(buf, f->text.buf + off, size);
	fuse_reply_buf(req, buf, size);
	free(buf);
}

/* ---- control writes ------------------------------------------------------
 *
 * A write() is cut into lines at its newlines, each one request. Its tail
 * (the bytes after its last newline) is a request too, unless the write is
 * a whole number of 4 KiB pages holding a newline: stdio (`find > .recall`)
 * writes a long list in full buffers that cut lines in two, so that tail
 * is kept as the start of the next write's first line (or ended by the
 * close). A request is at most CTL_LINE_MAX bytes, so a write of 4 KiB
 * without a newline is never the piece of a request: it is answered (and
 * refused) at once, and no more than CTL_LINE_MAX bytes are ever kept.
 * Every line of the write is checked before any is applied; a refusal is
 * recorded with its reason (tapefs_refused()). */

#define CTL_LINE_MAX 4095 /* bytes of one request, without its newline */
#define CTL_PAGE     4096

/* Refuse the write: its reason kept for the file and .status, and logged
 * once (tapefs_request_end()). */
static int ctl_refuse(struct tapefs *fs, struct ns_file *f, int err,
		      const char *req, size_t len, const char *why)
{
	char *line = strndup(req, len);

	f->partial.len = 0;
	tapefs_request_begin();
	tapefs_request_reason(fs, "%s", why);
	tapefs_refused(fs, f->file, req, len, why);
	tapefs_request_end(fs, f->file, line ? line : "", err);
	free(line);
	return err;
}

/* Cut s (len bytes, s[len] writable) into lines, each NUL-terminated in
 * place of its newline ("a\n" is one line, "\n" one empty line, "a\nb"
 * two); *n their count. Refuses a line over CTL_LINE_MAX bytes. */
static int ctl_split(struct tapefs *fs, struct ns_file *f, char *s, size_t len,
		     size_t *n)
{
	char why[96];

	*n = 0;
	for (char *l = s, *end = s + len; l < end;) {
		char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l);

		if (ll > CTL_LINE_MAX) {
			snprintf(why, sizeof(why),
				 "a request over %d bytes (%zu)", CTL_LINE_MAX,
				 ll);
			return ctl_refuse(fs, f, -EINVAL, l, ll, why);
		}
		l[ll] = 0;
		l += ll + 1;
		(*n)++;
	}
	return 0;
}

/* Check the n lines at s (NUL-separated), then apply them: 0 or -errno. */
static int ctl_apply(struct tapefs *fs, struct ns_file *f, const char *s,
		     size_t n)
{
	char why[320];
	const char *l = s;
	int ret;

	for (size_t i = 0; f->p->check && i < n; i++, l += strlen(l) + 1) {
		why[0] = 0;
		ret = f->p->check(fs, f->rel, l, why, sizeof(why));
		if (ret)
			return ctl_refuse(fs, f, ret, l, strlen(l),
					  why[0] ? why : strerror(-ret));
	}
	l = s;
	for (size_t i = 0; i < n; i++, l += strlen(l) + 1) {
		tapefs_request_begin();
		ret = f->p->control(fs, f->rel, l);
		tapefs_request_end(fs, f->file, l, ret);
		if (ret)
			return ret;
	}
	return 0;
}

/* The requests of one write: what f->partial held, then buf. */
int nso_write(fuse_req_t req, struct fuse_file_info *fi, const char *buf,
	      size_t size)
{
	struct tapefs *fs = ops_fs(req);
	struct ns_file *f = (struct ns_file *)(uintptr_t)fi->fh;
	const char *nul = memchr(buf, 0, size), *last;
	size_t whole, held, n;
	char *s, why[64];
	int ret;

	if (f->kind != NS_CONTROL || !f->p->control)
		return -EROFS;
	if (nul) {
		snprintf(why, sizeof(why), "a NUL byte (byte %zu of the write)",
			 (size_t)(nul - buf));
		return ctl_refuse(fs, f, -EINVAL, buf, size, why);
	}
	last = size ? memrchr(buf, '\n', size) : NULL;
	held = last ? size - (size_t)(last + 1 - buf) : 0;
	if (!last || size % CTL_PAGE)
		held = 0; /* the tail is a request of its own */
	if ((!last && f->partial.len + size > CTL_LINE_MAX) ||
	    held > CTL_LINE_MAX) {
		snprintf(why, sizeof(why), "a request over %d bytes",
			 CTL_LINE_MAX);
		if (f->partial.len)
			return ctl_refuse(fs, f, -EINVAL, f->partial.buf,
					  f->partial.len, why);
		return ctl_refuse(fs, f, -EINVAL, last ? last + 1 : buf,
				  last ? held : size, why);
	}
	whole = f->partial.len + size - held;
	s = malloc(whole + 1);
	if (!s)
		return -ENOMEM;
	if (f->partial.len)
		memcpy(s, f->partial.buf, f->partial.len);
	memcpy(s + f->partial.len, buf, size - held);
	ret = ctl_split(fs, f, s, whole, &n);
	if (!ret)
		ret = ctl_apply(fs, f, s, n);
	free(s);
	f->partial.len = 0;
	if (!ret && held)
		strbuf_add(&f->partial, buf + size - held, held);
	if (!ret && strbuf_oom(&f->partial))
		ret = -ENOMEM;
	return ret ? ret : (int)size;
}

/* A close ends a line a full buffer left waiting (nso_write()). */
int nso_flush(fuse_req_t req, struct fuse_file_info *fi)
{
	struct ns_file *f = (struct ns_file *)(uintptr_t)fi->fh;
	char *s;
	size_t n;
	int ret;

	if (f->kind != NS_CONTROL || !f->partial.len)
		return 0;
	s = strndup(f->partial.buf, f->partial.len);
	f->partial.len = 0;
	if (!s)
		return -ENOMEM;
	ret = ctl_split(ops_fs(req), f, s, strlen(s), &n);
	if (!ret)
		ret = ctl_apply(ops_fs(req), f, s, n);
	free(s);
	return ret;
}

/* Every change of an attribute is EROFS (in the order chmod, chown,
 * truncate, utimens), but for the truncation `echo x > .dump` does
 * first: to 0, of a control file, by the owner or root, a no-op. */
int nso_setattr(fuse_req_t req, const char *path, const struct stat *attr,
		int to_set, struct fuse_entry_param *e)
{
	const struct ns_provider *p;
	const char *rel;
	struct ns_attr *a = malloc(sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	ret = attr_of(ops_fs(req), path, &p, &rel, a);
	if (!ret && (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
			       FUSE_SET_ATTR_GID)))
		ret = -EROFS;
	if (!ret && (to_set & FUSE_SET_ATTR_SIZE) &&
	    (a->kind != NS_CONTROL || attr->st_size != 0))
		ret = -EROFS;
	if (!ret && (to_set & FUSE_SET_ATTR_SIZE) && !may_control(req))
		ret = -EACCES;
	if (!ret && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)))
		ret = -EROFS;
	if (!ret) {
		memset(e, 0, sizeof(*e));
		e->attr = a->st;
		set_timeouts(a->kind, &a->st, e);
	}
	free(a);
	return ret;
}

void nso_release(struct fuse_file_info *fi)
{
	file_free((struct ns_file *)(uintptr_t)fi->fh);
}

/* A listing that changes only with a commit (ns_provider.listing_kept)
 * is kept by the kernel from one opendir to the next, until a commit
 * drops it (fs/ops_inval.c). */
int nso_opendir(const char *path, struct fuse_file_info *fi)
{
	struct ns_dir *d = calloc(1, sizeof(*d));
	const struct ns_provider *p = NULL;
	const char *rel;

	if (!d)
		return -ENOMEM;
	if (strcmp(path, "/"))
		p = lookup(path, &rel);
	if (p && p->listing_kept && p->listing_kept(rel))
		fi->cache_readdir = fi->keep_cache = 1;
	d->h.area = OPS_NS_DIR;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->grown, NULL);
	strbuf_init(&d->names);
	fi->fh = (uintptr_t)d;
	return 0;
}

/* Stop d's lister, if one runs, wait until it no longer touches d, and
 * forget what it was given. */
static void lister_stop(struct ns_dir *d)
{
	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	while (d->more)
		pthread_cond_wait(&d->grown, &d->lock);
	pthread_mutex_unlock(&d->lock);
	free(d->rel);
	free(d->path);
	free(d->after);
	d->rel = d->path = d->after = NULL;
	d->stop = d->err = 0;
}

void nso_releasedir(struct fuse_file_info *fi)
{
	struct ns_dir *d = (struct ns_dir *)(uintptr_t)fi->fh;

	lister_stop(d);
	pthread_cond_destroy(&d->grown);
	pthread_mutex_destroy(&d->lock);
	strbuf_release(&d->names);
	free(d->ents);
	free(d);
}

/* Add name to the listing; 0 or -ENOMEM. */
static int dir_add(struct ns_dir *d, const char *name, enum ns_kind kind,
		   const struct stat *st)
{
	struct ns_dirent *ents;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;

		ents = realloc(d->ents, cap * sizeof(*ents));
		if (!ents)
			return -ENOMEM;
		d->ents = ents;
		d->cap = cap;
	}
	ents = &d->ents[d->n];
	ents->name = d->names.len;
	ents->kind = kind;
	ents->st = *st;
	strbuf_add(&d->names, name, strlen(name) + 1);
	if (strbuf_oom(&d->names))
		return -ENOMEM;
	d->n++;
	return 0;
}

/* Move the entries of batch b to the end of d (under d's lock when a
 * lister runs); 0 or -ENOMEM. */
static int dir_take(struct ns_dir *d, struct ns_dir *b)
{
	int ret = 0;

	for (size_t i = 0; i < b->n && !ret; i++)
		ret = dir_add(d, b->names.buf + b->ents[i].name,
			      b->ents[i].kind, &b->ents[i].st);
	b->n = 0;
	b->names.len = 0;
	return ret;
}

struct fill_ctx {
	struct ns_dir *d;    /* where entries go */
	struct ns_dir *dest; /* the lister's: d is its batch, for dest */
	struct tapefs *fs;
	const char *dir; /* the listed directory's full path */
	size_t limit;	 /* entries d may hold before the step stops */
	int err, stopped;
	char path[4096];
};

/* d's batch published: 1 when the lister is to stop. */
static int publish(struct fill_ctx *c)
{
	int stop;

	pthread_mutex_lock(&c->dest->lock);
	c->err = dir_take(c->dest, c->d);
	stop = c->dest->stop;
	pthread_cond_broadcast(&c->dest->grown);
	pthread_mutex_unlock(&c->dest->lock);
	return c->err ? c->err : stop;
}

static int fill_one(void *vctx, const char *name, const struct ns_attr *attr)
{
	struct fill_ctx *c = vctx;
	struct ns_attr a = *attr;

	if (!a.st.st_ino) /* its number is made from its path */
		snprintf(c->path, sizeof(c->path), "%s/%s", c->dir, name);
	finish_stat(c->fs, c->path, &a);
	c->err = dir_add(c->d, name, a.kind, &a.st);
	if (c->err)
		return c->err;
	if (c->dest && c->d->n >= NS_LISTER_BATCH)
		return publish(c);
	if (c->limit && c->d->n >= c->limit)
		c->stopped = 1;
	return c->stopped;
}

/* The root: staging, then every provider that answers for its name. */
static int list_root(struct tapefs *fs, struct ns_dir *d)
{
	struct stat st;
	char path[64];
	int ret;

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR;
	st.st_ino = path_ino("/staging");
	ret = dir_add(d, "staging", NS_DIR, &st);
	for (size_t i = 0; i < NPROVIDERS && !ret; i++) {
		const struct ns_provider *p = providers[i];
		struct ns_attr a;

		memset(&a, 0, sizeof(a));
		if (p->getattr(fs, "", &a))
			continue;
		snprintf(path, sizeof(path), "/%s", p->name);
		memset(&st, 0, sizeof(st));
		st.st_mode = a.kind == NS_DIR ? S_IFDIR : S_IFREG;
		st.st_ino = a.st.st_ino ? a.st.st_ino : path_ino(path);
		ret = dir_add(d, p->name, a.kind, &st);
	}
	return ret;
}

/* The rest of d's listing, after d->after, in batches; 0 or -errno. */
static int list_rest(struct ns_dir *d)
{
	struct ns_dir b = {0};
	struct fill_ctx *c = malloc(sizeof(*c));
	int ret = -ENOMEM;

	strbuf_init(&b.names);
	if (c) {
		*c = (struct fill_ctx){
		    .d = &b, .dest = d, .fs = d->fs, .dir = d->path};
		ret = d->p->readdir_from(d->fs, d->rel, d->after, fill_one, c);
		if (!ret || ret == 1) /* to the end, or stopped */
			ret = c->err ? c->err : publish(c);
		ret = ret == 1 ? 0 : ret;
	}
	free(c);
	strbuf_release(&b.names);
	free(b.ents);
	return ret;
}

static void *lister_main(void *arg)
{
	struct ns_dir *d = arg;
	int ret = list_rest(d);

	__atomic_fetch_sub(d->listers, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&d->lock);
	d->err = ret;
	d->more = 0;
	pthread_cond_broadcast(&d->grown);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* The listing of d goes on after its last entry: on a lister (a detached
 * thread) when fewer than NS_LISTERS_MAX run, else here, whole. 0 or
 * -errno. */
static int list_on(fuse_req_t req, struct ns_dir *d,
		   const struct ns_provider *p, const char *rel,
		   const char *path)
{
	struct ops_mount *om = fuse_req_userdata(req);
	pthread_attr_t attr;
	pthread_t t;
	int started = 0;

	d->fs = om->fs;
	d->listers = &om->listers;
	d->p = p;
	d->rel = strdup(rel);
	d->path = strdup(path);
	d->after = strdup(d->names.buf + d->ents[d->n - 1].name);
	if (!d->rel || !d->path || !d->after)
		return -ENOMEM;
	if (__atomic_add_fetch(d->listers, 1, __ATOMIC_RELAXED) <=
		NS_LISTERS_MAX &&
	    !pthread_attr_init(&attr)) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		d->more = 1;
		started = !pthread_create(&t, &attr, lister_main, d);
		if (!started) /* (else the lister's from now on) */
			d->more = 0;
		pthread_attr_destroy(&attr);
	}
	if (started)
		return 0;
	__atomic_fetch_sub(d->listers, 1, __ATOMIC_RELAXED);
	return list_rest(d);
}

/* Make the listing of path afresh: ".", "..", then the entries; of a
 * provider with readdir_from(), the first `first` entries here and the
 * rest by list_on(). */
static int list(fuse_req_t req, const char *path, struct ns_dir *d,
		size_t first)
{
	struct tapefs *fs = ops_fs(req);
	const struct ns_provider *p = NULL;
	struct fill_ctx *c;
	struct stat st;
	const char *rel;
	int ret;

	if (strcmp(path, "/")) {
		p = lookup(path, &rel);
		if (!p)
			return -ENOENT;
		if (!p->readdir)
			return -ENOTDIR;
	}
	lister_stop(d);
	d->n = 0;
	d->names.len = 0;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR;
	st.st_ino = 0xffffffff; /* unknown, as libfuse's path API says */
	if (dir_add(d, ".", NS_DIR, &st) || dir_add(d, "..", NS_DIR, &st))
		return -ENOMEM;
	if (!p)
		return list_root(fs, d);
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (struct fill_ctx){.d = d, .fs = fs, .dir = path};
	if (p->readdir_from) {
		c->limit = first;
		ret = p->readdir_from(fs, rel, NULL, fill_one, c);
	} else {
		ret = p->readdir(fs, rel, fill_one, c);
	}
	ret = c->err ? c->err : ret;
	if (!ret && c->stopped)
		ret = list_on(req, d, p, rel, path);
	free(c);
	return ret < 0 ? ret : 0;
}

/* Entry i of d as a directory entry: with its attributes and a lookup
 * counted (1) when it is an archived member and plus, else its name only
 * (0); -errno. A listing made before the last batch of changes began
 * (stale) may hold a name a commit gave a new version: its entry is kept
 * briefly only. */
static int dir_entry(fuse_req_t req, fuse_ino_t ino, struct ns_dir *d, size_t i,
		     int plus, int stale, struct fuse_entry_param *e)
{
	const struct ns_dirent *de = &d->ents[i];
	int ret;

	memset(e, 0, sizeof(*e));
	e->attr = de->st;
	if (!plus || i < 2 || !((uint64_t)de->st.st_ino & NS_INO_MEMBER))
		return 0;
	set_timeouts(de->kind, &de->st, e);
	if (stale)
		e->entry_timeout = OPS_TIMEOUT_SHORT;
	ret = ops_entry_ref(req, ino, d->names.buf + de->name, e);
	return ret ? ret : 1;
}

/* Entries a reply of size bytes can hold at most: each takes at least
 * its header and a name of one byte. */
static size_t reply_most(fuse_req_t req, size_t size, int plus)
{
	struct fuse_entry_param e = {0};
	size_t least = plus ? fuse_add_direntry_plus(req, NULL, 0, "x", &e, 0)
			    : fuse_add_direntry(req, NULL, 0, "x", NULL, 0);

	return size / (least ? least : 1) + 1;
}

/* Wait (d's lock held) until d holds the entries a reply from off may
 * need, or the lister ended; its error, if it failed before off. */
static int wait_entries(struct ns_dir *d, size_t off, size_t most)
{
	while (d->more && d->n < off + most)
		pthread_cond_wait(&d->grown, &d->lock);
	return d->err && off >= d->n ? d->err : 0;
}

/* Entries from offset off (entry off is the next) into one reply; the
 * lookups counted for it are taken back if the kernel never got it. */
static void reply_entries(fuse_req_t req, fuse_ino_t ino, struct ns_dir *d,
			  char *buf, size_t size, size_t off, int plus)
{
	fuse_ino_t *refs = NULL;
	struct fuse_entry_param e;
	size_t len = 0, nrefs = 0, i, most = reply_most(req, size, plus);
	int ret, end, stale = ops_inval_gen(req) != d->gen;

	if (plus)
		refs = malloc(sizeof(*refs) * most);
	if (plus && !refs) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(&d->lock);
	ret = wait_entries(d, off, most);
	for (i = off; i < d->n && !ret; i++) {
		ret = dir_entry(req, ino, d, i, plus, stale, &e);
		if (ret < 0)
			break;
		if (!ops_dirent_add(req, buf, size, &len,
				    d->names.buf + d->ents[i].name, &e,
				    (off_t)i + 1, plus)) {
			if (ret)
				ops_entry_unref(req, e.ino);
			break;
		}
		if (ret)
			refs[nrefs++] = e.ino;
		ret = 0;
	}
	end = !d->more && off >= d->n;
	pthread_mutex_unlock(&d->lock);
	/* The end of a listing the kernel may keep: kept as it is only if
	 * no batch of changes began since it was made. */
	if (stale && end)
		ops_inval_listing(req, ino);
	if (ret < 0 && !len)
		fuse_reply_err(req, -ret);
	else if (fuse_reply_buf(req, buf, len))
		for (i = 0; i < nrefs; i++)
			ops_entry_unref(req, refs[i]);
	free(refs);
}

void nso_readdir(fuse_req_t req, fuse_ino_t ino, const char *path,
		 struct fuse_file_info *fi, size_t size, off_t off, int plus)
{
	struct ns_dir *d = (struct ns_dir *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	int ret = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off == 0 || !d->filled) {
		d->gen = ops_inval_gen(req);
		ret = list(req, path, d,
			   (size_t)off + reply_most(req, size, plus));
		d->filled = !ret;
	}
	if (ret)
		fuse_reply_err(req, -ret);
	else
		reply_entries(req, ino, d, buf, size, (size_t)off, plus);
	free(buf);
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

int nso_getxattr(fuse_req_t req, const char *path, const char *name,
		 char *value, size_t size)
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
	ret = p->getxattr(ops_fs(req), rel, name, &sb);
	if (!ret)
		ret = xattr_reply(&sb, value, size);
	strbuf_release(&sb);
	return ret;
}

int nso_listxattr(fuse_req_t req, const char *path, char *list, size_t size)
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
	ret = p->listxattr(ops_fs(req), rel, &sb);
	if (!ret)
		ret = xattr_reply(&sb, list, size);
	strbuf_release(&sb);
	return ret;
}

int nso_unlink(fuse_req_t req, const char *path)
{
	const char *rel;
	const struct ns_provider *p = lookup(path, &rel);

	if (!p)
		return -ENOENT;
	if (!p->unlink || !*rel)
		return -EROFS;
	return p->unlink(ops_fs(req), rel, fuse_req_ctx(req)->uid);
}
