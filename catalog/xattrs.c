/* catalog/xattrs.c - the extended attributes and ACLs of members
 * (catalog.h, catalog_xattr_get()): written by a commit, read by the
 * namespace.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

static const char SQL_XATTR_GET[] =
    "SELECT value FROM xattr WHERE member = :member AND name = :name";
static const char SQL_XATTR_NAMES[] =
    "SELECT name FROM xattr WHERE member = :member ORDER BY name";

int catalog_xattr_get(struct catalog *cat, int64_t member_id, const char *name,
		      void **value, size_t *len)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int rc, ret = -EIO;

	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_XATTR_GET);
	if (!st)
		goto out_put;
	cat_bind_i64(st, ":member", member_id);
	cat_bind_blob(st, ":name", name, strlen(name));
	rc = cat_step(st, "xattr");
	if (rc == 1) {
		size_t n = (size_t)cat_col_bytes(st, 0);
		const void *p = cat_col_blob(st, 0);

		*value = malloc(n ? n : 1);
		ret = *value ? 0 : -ENOMEM;
		if (!ret && n)
			memcpy(*value, p, n);
		*len = n;
	} else {
		ret = rc == 0 ? -ENODATA : rc;
	}
	cat_done(st);
out_put:
	cat_conn_put(cat, c);
	return ret;
}

struct names_walk {
	int (*fn)(void *ctx, const char *name);
	void *ctx;
};

static int name_visit(struct catstmt *st, void *arg)
{
	struct names_walk *w = arg;
	size_t n = (size_t)cat_col_bytes(st, 0);
	const char *p = cat_col_blob(st, 0);
	char name[256];

	if (!p || n == 0 || n >= sizeof(name) || memchr(p, 0, n))
		return 0; /* not a name the kernel takes */
	memcpy(name, p, n);
	name[n] = 0;
	return w->fn(w->ctx, name);
}

int catalog_xattr_names(struct catalog *cat, int64_t member_id,
			int (*fn)(void *ctx, const char *name), void *ctx)
{
	struct names_walk w = {fn, ctx};

	return cat_read_each(cat, SQL_XATTR_NAMES, ":member", member_id,
			     name_visit, &w, "xattr names");
}
