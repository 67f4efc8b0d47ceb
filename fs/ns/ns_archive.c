/* fs/ns/ns_archive.c - archive/: the latest version of every dumped path,
 * straight from the catalog's namespace (never a tape). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/lifecycle.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/tapefs.h"

static void root_attr(struct ns_attr *out)
{
	out->kind = NS_DIR;
	out->st.st_mode = S_IFDIR | 0555;
}

static int archive_getattr(struct tapefs *fs, const char *rel,
			   struct ns_attr *out)
{
	struct catalog_member m;
	int ret;

	if (!*rel) {
		root_attr(out);
		return 0;
	}
	if (!fs->cat)
		return -ENOENT;
	memset(&m, 0, sizeof(m));
	ret = catalog_ns_lookup(fs->cat, rel, &m);
	if (ret)
		return ret == -EINVAL ? -ENOENT : ret;
	ns_member_attr(fs, &m, out);
	catalog_member_release(&m);
	return 0;
}

struct list_ctx {
	struct tapefs *fs;
	ns_fill_fn fill;
	void *ctx;
	struct ns_attr attr;
};

static int list_one(void *vctx, const char *name,
		    const struct catalog_member *m)
{
	struct list_ctx *c = vctx;

	memset(&c->attr, 0, sizeof(c->attr));
	ns_member_attr(c->fs, m, &c->attr);
	return c->fill(c->ctx, name, &c->attr);
}

static int archive_readdir_from(struct tapefs *fs, const char *rel,
				const char *after, ns_fill_fn fill, void *ctx)
{
	struct list_ctx *c;
	int ret;

	if (!fs->cat)
		return *rel ? -ENOENT : 0;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fs = fs;
	c->fill = fill;
	c->ctx = ctx;
	ret = catalog_ns_list(fs->cat, rel, after, list_one, c);
	free(c);
	return ret > 0 ? 0 : ret; /* > 0: the filler stopped it */
}

static int archive_readdir(struct tapefs *fs, const char *rel, ns_fill_fn fill,
			   void *ctx)
{
	return archive_readdir_from(fs, rel, NULL, fill, ctx);
}

/* Every listing of archive/ changes only with a commit. */
static int archive_listing_kept(const char *rel)
{
	(void)rel;
	return 1;
}

static int archive_getxattr(struct tapefs *fs, const char *rel,
			    const char *name, struct strbuf *out)
{
	struct catalog_member m;
	int ret;

	if (!*rel || !fs->cat)
		return -ENODATA;
	memset(&m, 0, sizeof(m));
	ret = catalog_ns_lookup(fs->cat, rel, &m);
	if (ret)
		return ret == -EINVAL ? -ENOENT : ret;
	ret = ns_member_getxattr(fs, &m, name, out);
	catalog_member_release(&m);
	return ret;
}

static int archive_listxattr(struct tapefs *fs, const char *rel,
			     struct strbuf *out)
{
	struct catalog_member m;
	int ret;

	if (!*rel || !fs->cat)
		return 0;
	memset(&m, 0, sizeof(m));
	ret = catalog_ns_lookup(fs->cat, rel, &m);
	if (ret)
		return ret == -EINVAL ? -ENOENT : ret;
	ret = ns_member_listxattr(fs, &m, out);
	catalog_member_release(&m);
	return ret;
}

/* rm archive/PATH: the lifecycle engine decides (allow_delete, owner). */
static int archive_unlink(struct tapefs *fs, const char *rel, uid_t uid)
{
	return lifecycle_delete(fs, rel, uid);
}

const struct ns_provider ns_archive = {
    .name = "archive",
    .getattr = archive_getattr,
    .readdir = archive_readdir,
    .readdir_from = archive_readdir_from,
    .listing_kept = archive_listing_kept,
    .getxattr = archive_getxattr,
    .listxattr = archive_listxattr,
    .unlink = archive_unlink,
};
