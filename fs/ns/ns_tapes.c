/* fs/ns/ns_tapes.c - tapes/: one directory per tape of the catalog.
 *   tapes/LABEL/.status      the tape's pool, state, usage, verification
 *   tapes/LABEL/.ctl         control: close, reopen, retire, location,
 *                            serial (fs/engine/tape_ctl.h)
 *   tapes/LABEL/NNNN/        the archive that is tape file NNNN
 *   tapes/LABEL/NNNN/PATH    its members, under their staging/ paths
 * (the library itself is controlled by the root's .library: ns_library.c)
 * Everything comes from the catalog; nothing touches a tape. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/library.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/tape_ctl.h"
#include "fs/engine/tapefs.h"

/* A parsed tapes/ path. */
struct tpath {
	char label[40];
	int status;	   /* LABEL/.status */
	int ctl;	   /* LABEL/.ctl */
	int64_t fileno;	   /* >= 0: LABEL/NNNN[/...] (0: an adopted
			      tape's file 0), -1: none */
	const char *inner; /* path within the archive ("" = its root) */
};

/* The canonical name of tape file n: at least four digits. */
static void fileno_name(int64_t n, char *buf, size_t len)
{
	snprintf(buf, len, "%04lld", (long long)n);
}

/* 0, or -ENOENT for a name that cannot exist. rel is not "". */
static int tpath_parse(const char *rel, struct tpath *tp)
{
	const char *slash = strchr(rel, '/'), *num, *end;
	size_t len = slash ? (size_t)(slash - rel) : strlen(rel);
	char canon[32];
	char *e;
	long long n;

	memset(tp, 0, sizeof(*tp));
	tp->fileno = -1;
	if (!len || len >= sizeof(tp->label))
		return -ENOENT;
	memcpy(tp->label, rel, len);
	if (!slash)
		return 0;
	num = slash + 1;
	end = strchr(num, '/');
	if (!strcmp(num, ".status")) {
		tp->status = 1;
		return 0;
	}
	if (!strcmp(num, ".ctl")) {
		tp->ctl = 1;
		return 0;
	}
	if (*num < '0' || *num > '9')
		return -ENOENT;
	n = strtoll(num, &e, 10);
	if (n < 0 || (e != end && *e))
		return -ENOENT;
	fileno_name(n, canon, sizeof(canon));
	if (strlen(canon) != (size_t)(e - num) ||
	    memcmp(canon, num, strlen(canon)))
		return -ENOENT;
	tp->fileno = n;
	tp->inner = end ? end + 1 : "";
	return 0;
}

static int tapes_getattr(struct tapefs *fs, const char *rel,
			 struct ns_attr *out)
{
	struct catalog_tape t;
	struct catalog_copy cp;
	struct catalog_archive a;
	struct catalog_member m;
	struct tpath tp;
	int ret;

	out->kind = NS_DIR;
	out->st.st_mode = S_IFDIR | 0555;
	if (!*rel)
		return 0;
	if (!fs->cat || tpath_parse(rel, &tp))
		return -ENOENT;
	ret = catalog_tape_get(fs->cat, tp.label, &t);
	if (ret)
		return ret;
	if (tp.status) {
		out->kind = NS_TEXT;
		out->st.st_mode = S_IFREG | 0444;
		ns_size_by_render(fs, &ns_tapes, rel, out);
		return 0;
	}
	if (tp.ctl) {
		out->kind = NS_CONTROL;
		out->st.st_mode = S_IFREG | 0644;
		ns_size_by_render(fs, &ns_tapes, rel, out);
		return 0;
	}
	if (tp.fileno < 0)
		return 0;
	ret = catalog_copy_get(fs->cat, tp.label, tp.fileno, &cp);
	if (ret)
		return ret;
	if (!*tp.inner) {
		if (catalog_archive_get(fs->cat, cp.archive, &a) == 0)
			out->st.st_mtime = out->st.st_ctime = out->st.st_atime =
			    (time_t)a.created;
		return 0;
	}
	memset(&m, 0, sizeof(m));
	ret = catalog_archive_lookup(fs->cat, cp.archive, tp.inner, &m);
	if (ret)
		return ret == -EINVAL ? -ENOENT : ret;
	ns_member_attr(fs, &m, out);
	snprintf(out->prefer, sizeof(out->prefer), "%s", tp.label);
	/* the same member under archive/ has this inode: tools like tar and
	 * rsync may treat equal inodes as hard links, which they are */
	catalog_member_release(&m);
	return 0;
}

struct list_ctx {
	struct tapefs *fs;
	ns_fill_fn fill;
	void *ctx;
	struct ns_attr attr;
};

static int list_tape(void *vctx, const struct catalog_tape *t)
{
	struct list_ctx *c = vctx;

	memset(&c->attr, 0, sizeof(c->attr));
	c->attr.kind = NS_DIR;
	c->attr.st.st_mode = S_IFDIR | 0555;
	return c->fill(c->ctx, t->barcode, &c->attr);
}

static int list_copy(void *vctx, const struct catalog_copy *cp)
{
	struct list_ctx *c = vctx;
	char name[32];

	memset(&c->attr, 0, sizeof(c->attr));
	c->attr.kind = NS_DIR;
	c->attr.st.st_mode = S_IFDIR | 0555;
	fileno_name(cp->fileno, name, sizeof(name));
	return c->fill(c->ctx, name, &c->attr);
}

static int list_member(void *vctx, const char *name,
		       const struct catalog_member *m)
{
	struct list_ctx *c = vctx;

	memset(&c->attr, 0, sizeof(c->attr));
	ns_member_attr(c->fs, m, &c->attr);
	return c->fill(c->ctx, name, &c->attr);
}

static int list_in(struct tapefs *fs, const struct tpath *tp,
		   struct list_ctx *c)
{
	struct catalog_tape t;
	struct catalog_copy cp;
	int ret;

	ret = catalog_tape_get(fs->cat, tp->label, &t);
	if (ret)
		return ret;
	if (tp->status || tp->ctl)
		return -ENOTDIR;
	if (tp->fileno < 0) {
		memset(&c->attr, 0, sizeof(c->attr));
		c->attr.kind = NS_TEXT;
		c->attr.st.st_mode = S_IFREG | 0444;
		if (c->fill(c->ctx, ".status", &c->attr))
			return 0;
		c->attr.kind = NS_CONTROL;
		c->attr.st.st_mode = S_IFREG | 0644;
		if (c->fill(c->ctx, ".ctl", &c->attr))
			return 0;
		return catalog_tape_copies(fs->cat, tp->label, list_copy, c);
	}
	ret = catalog_copy_get(fs->cat, tp->label, tp->fileno, &cp);
	if (ret)
		return ret;
	return catalog_archive_list(fs->cat, cp.archive, tp->inner, NULL,
				    list_member, c);
}

static int tapes_readdir(struct tapefs *fs, const char *rel, ns_fill_fn fill,
			 void *ctx)
{
	struct list_ctx *c;
	struct tpath tp;
	int ret;

	if (!fs->cat)
		return *rel ? -ENOENT : 0;
	if (*rel && tpath_parse(rel, &tp))
		return -ENOENT;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fs = fs;
	c->fill = fill;
	c->ctx = ctx;
	if (!*rel)
		ret = catalog_tape_list(fs->cat, NULL, -1, list_tape, c);
	else
		ret = list_in(fs, &tp, c);
	free(c);
	return ret > 0 ? 0 : ret;
}

/* An archive's listings (LABEL/NNNN and below) change only when a
 * commit puts another archive at that tape file; tapes/ and a tape's own
 * listing change with the library. */
static int tapes_listing_kept(const char *rel)
{
	struct tpath tp;

	return *rel && !tpath_parse(rel, &tp) && tp.fileno > 0;
}

static void fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t) {
		snprintf(buf, len, "never");
		return;
	}
	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* What reading tapes/LABEL/.ctl shows: the tape's state, location and
 * serial, and the grammar. 0, -ENOENT, -ENOMEM. */
static int ctl_render(struct tapefs *fs, const char *label, struct strbuf *out)
{
	struct catalog_tape t;
	int ret;

	if (!fs->cat)
		return -ENOENT;
	ret = catalog_tape_get(fs->cat, label, &t);
	if (ret)
		return ret;
	strbuf_addf(out, "state: %s\n", catalog_tape_state_name(t.state));
	strbuf_addf(out, "location: %s\n",
		    t.location[0] ? t.location : "unknown");
	strbuf_addf(out, "serial: %s\n", t.serial[0] ? t.serial : "unknown");
	strbuf_addf(out, "usage: echo REQUEST > .ctl; REQUEST: %s\n",
		    tape_ctl_usage);
	return strbuf_oom(out) ? -ENOMEM : 0;
}

/* What of the tape's bytes a path still shows, and what is dead
 * (deleted, replaced by a newer version, or in a copy moved away). */
static void usage_lines(struct tapefs *fs, const char *label,
			struct strbuf *out)
{
	struct catalog_tape_usage u;

	if (catalog_tape_usage(fs->cat, label, &u) < 0)
		return;
	strbuf_addf(out, "live_archives: %lld\n", (long long)u.live_archives);
	strbuf_addf(out, "live_bytes: %llu\n",
		    (unsigned long long)u.live_bytes);
	strbuf_addf(out, "dead_bytes: %llu\n",
		    (unsigned long long)u.dead_bytes);
}

static int tapes_render(struct tapefs *fs, const char *rel, struct strbuf *out)
{
	struct catalog_tape t;
	struct catalog_tape_summary s;
	struct tpath tp;
	char used[32], cap[32], when[32];
	int ret;

	if (!fs->cat || tpath_parse(rel, &tp) || !(tp.status || tp.ctl))
		return -ENOENT;
	if (tp.ctl)
		return ctl_render(fs, tp.label, out);
	ret = catalog_tape_get(fs->cat, tp.label, &t);
	if (!ret)
		ret = catalog_tape_summary(fs->cat, tp.label, &s);
	if (ret)
		return ret;
	status_human_bytes(t.bytes_used, used, sizeof(used));
	status_human_bytes(t.capacity, cap, sizeof(cap));
	strbuf_addf(out, "barcode: %s\n", t.barcode);
	strbuf_addf(out, "pool: %s\n", t.pool);
	strbuf_addf(out, "state: %s\n", catalog_tape_state_name(t.state));
	if (library_tape_unknown(fs->library, t.barcode))
		strbuf_addf(out, "note: holds archives this catalog does not "
				 "know (closed, never written; see .status)\n");
	if (t.state == CATALOG_TAPE_ADOPTED)
		strbuf_addf(out, "note: a foreign tape adopted read-only: "
				 "never written (docs/adopt.md)\n");
	strbuf_addf(out, "location: %s\n",
		    t.location[0] ? t.location : "unknown");
	strbuf_addf(out, "serial: %s\n", t.serial[0] ? t.serial : "unknown");
	strbuf_addf(out, "writable: %s\n",
		    t.state == CATALOG_TAPE_SCRATCH ||
			    t.state == CATALOG_TAPE_OPEN
			? "yes"
			: "no");
	strbuf_addf(out, "label_uuid: %s\n",
		    t.label_uuid[0] ? t.label_uuid : "none");
	strbuf_addf(out, "capacity: %s\n", t.capacity ? cap : "unknown");
	strbuf_addf(out, "bytes_used: %llu\n",
		    (unsigned long long)t.bytes_used);
	strbuf_addf(out, "used: %s\n", used);
	if (t.capacity) {
		uint64_t fr =
		    t.capacity > t.bytes_used ? t.capacity - t.bytes_used : 0;
		status_human_bytes(fr, cap, sizeof(cap));
		strbuf_addf(out, "bytes_free: %llu\n", (unsigned long long)fr);
		strbuf_addf(out, "free: %s\n", cap);
	} else {
		strbuf_addf(out, "free: unknown\n");
	}
	if (t.capacity)
		strbuf_addf(out, "percent_used: %d%%\n",
			    (int)(t.bytes_used * 100 / t.capacity));
	strbuf_addf(out, "last_file: %lld\n", (long long)t.last_file);
	strbuf_addf(out, "archives: %llu\n", (unsigned long long)s.archives);
	strbuf_addf(out, "members: %llu\n", (unsigned long long)s.members);
	strbuf_addf(out, "bytes: %llu\n", (unsigned long long)s.bytes);
	usage_lines(fs, tp.label, out);
	if (fs->verify) {
		ns_verify_tape_status(fs, tp.label, out);
	} else {
		fmt_time(s.last_verified, when, sizeof(when));
		strbuf_addf(out, "last_verified: %s\n", when);
		strbuf_addf(out, "copies_verified: %llu/%llu\n",
			    (unsigned long long)s.verified,
			    (unsigned long long)s.archives);
	}
	return strbuf_oom(out) ? -ENOMEM : 0;
}

/* The member a tapes/LABEL/NNNN/PATH names; -ENODATA for other paths. */
static int member_at(struct tapefs *fs, const char *rel,
		     struct catalog_member *m)
{
	struct catalog_copy cp;
	struct tpath tp;
	int ret;

	if (!*rel || !fs->cat || tpath_parse(rel, &tp) || tp.fileno < 0 ||
	    !*tp.inner)
		return -ENODATA;
	ret = catalog_copy_get(fs->cat, tp.label, tp.fileno, &cp);
	if (ret)
		return ret;
	memset(m, 0, sizeof(*m));
	ret = catalog_archive_lookup(fs->cat, cp.archive, tp.inner, m);
	return ret == -EINVAL ? -ENOENT : ret;
}

static int tapes_getxattr(struct tapefs *fs, const char *rel, const char *name,
			  struct strbuf *out)
{
	struct catalog_member m;
	int ret = member_at(fs, rel, &m);

	if (ret)
		return ret;
	ret = ns_member_getxattr(fs, &m, name, out);
	catalog_member_release(&m);
	return ret;
}

static int tapes_listxattr(struct tapefs *fs, const char *rel,
			   struct strbuf *out)
{
	struct catalog_member m;
	int ret = member_at(fs, rel, &m);

	if (ret)
		return ret == -ENODATA ? 0 : ret;
	ret = ns_member_listxattr(fs, &m, out);
	catalog_member_release(&m);
	return ret;
}

/* Only tapes/LABEL/.ctl takes requests; the mount refuses writes to
 * anything that is not NS_CONTROL with EROFS before this. */
static int tapes_check(struct tapefs *fs, const char *rel, const char *line,
		       char *why, size_t whylen)
{
	struct tpath tp;

	if (!*rel || tpath_parse(rel, &tp) || !tp.ctl)
		return -EROFS;
	return tape_ctl_check(fs, tp.label, line, why, whylen);
}

static int tapes_control(struct tapefs *fs, const char *rel, const char *line)
{
	struct tpath tp;

	if (!*rel || tpath_parse(rel, &tp) || !tp.ctl)
		return -EROFS;
	return tape_ctl_request(fs, tp.label, line);
}

const struct ns_provider ns_tapes = {
    .name = "tapes",
    .getattr = tapes_getattr,
    .readdir = tapes_readdir,
    .listing_kept = tapes_listing_kept,
    .render = tapes_render,
    .check = tapes_check,
    .control = tapes_control,
    .getxattr = tapes_getxattr,
    .listxattr = tapes_listxattr,
};

static int count_state(struct tapefs *fs, int state)
{
	int64_t n = catalog_tape_count(fs->cat, NULL, state);

	return n < 0 ? 0 : (int)n;
}

void status_tapes_render(struct tapefs *fs, struct strbuf *out)
{
	if (!fs->cat) {
		strbuf_addf(out, "tapes: 0\ntapes_scratch: 0\n");
		return;
	}
	strbuf_addf(out, "tapes: %d\n", count_state(fs, -1));
	strbuf_addf(out, "tapes_scratch: %d\n",
		    count_state(fs, CATALOG_TAPE_SCRATCH));
	strbuf_addf(out, "tapes_open: %d\n",
		    count_state(fs, CATALOG_TAPE_OPEN));
	strbuf_addf(out, "tapes_full: %d\n",
		    count_state(fs, CATALOG_TAPE_FULL));
	for (int i = 0; i < fs->cfg.npools; i++) {
		int64_t n = catalog_tape_count(fs->cat, fs->cfg.pools[i],
					       CATALOG_TAPE_SCRATCH);

		strbuf_addf(out, "pool_%s_scratch: %lld\n", fs->cfg.pools[i],
			    (long long)(n < 0 ? 0 : n));
	}
}
