/* catalog/members.c - members, the namespace (archive/) and the view of one
 * archive (tapes/LABEL/NNNN/): lookups, listings, where-is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/internal.h"

#define FROM_MEMBER " FROM member JOIN archive ON archive.id = member.archive "

static const char SQL_MEMBER_GET[] =
	"SELECT " CAT_MEMBER_COLS ", member.node" FROM_MEMBER
	"WHERE member.id = :id";
static const char SQL_NS_MEMBER[] =
	"SELECT " CAT_MEMBER_COLS " FROM node JOIN member ON member.id = "
	"node.member JOIN archive ON archive.id = member.archive "
	"WHERE node.id = :node";
static const char SQL_NS_CHILD[] =
	"SELECT " CAT_MEMBER_COLS " FROM node JOIN member ON member.id = "
	"node.member JOIN archive ON archive.id = member.archive "
	"WHERE node.parent = :parent AND node.name = :name";
static const char SQL_ARCHIVE_CHILD[] =
	"SELECT " CAT_MEMBER_COLS " FROM node JOIN member ON member.node = "
	"node.id AND member.archive = :archive JOIN archive ON archive.id = "
	"member.archive WHERE node.parent = :parent AND node.name = :name";
static const char SQL_NS_LIST[] =
	"SELECT " CAT_MEMBER_COLS ", node.name FROM node "
	"LEFT JOIN member ON member.id = node.member "
	"LEFT JOIN archive ON archive.id = member.archive "
	"WHERE node.parent = :parent AND node.name > :after "
	"AND node.member IS NOT NULL ORDER BY node.name";
static const char SQL_WHEREIS[] =
	"SELECT member.id, member.archive, copy.id, copy.barcode, copy.fileno, "
	"copy.start_lblock, member.hdr, member.data, member.size, "
	"archive.block_size, copy.state, member.md5" FROM_MEMBER
	"JOIN copy ON copy.archive = member.archive "
	"WHERE member.id = :id AND member.hdr IS NOT NULL "
	"ORDER BY copy.state != 0, copy.id";
static const char SQL_ARCHIVE_RANGE[] =
	"SELECT first_member, members FROM archive WHERE id = :id";
static const char SQL_ARCHIVE_MEMBERS[] =
	"SELECT " CAT_MEMBER_COLS ", node.name, member.parent" FROM_MEMBER
	"JOIN node ON node.id = member.node "
	"WHERE member.id >= :lo AND member.id < :hi ORDER BY member.id";
static const char SQL_ARCHIVE_MEMBER[] =
	"SELECT " CAT_MEMBER_COLS FROM_MEMBER
	"WHERE member.node = :node AND member.archive = :archive";
static const char SQL_ARCHIVE_LIST[] =
	"SELECT " CAT_MEMBER_COLS ", node.name" FROM_MEMBER
	"JOIN node ON node.id = member.node "
	"WHERE member.archive = :archive AND member.parent = :parent "
	"AND node.name > :after ORDER BY node.name";

void cat_member_row(struct catstmt *st, int col, struct catalog_member *m)
{
	memset(m, 0, sizeof(*m));
	if (cat_col_null(st, col)) {
		/* a node without a member: a directory made up */
		m->type = CATALOG_DIR;
		m->mode = S_IFDIR | 0755;
		m->ordinal = -1;
		m->implicit = 1;
		return;
	}
	m->id = cat_col_i64(st, col + 0);
	m->archive = cat_col_i64(st, col + 1);
	m->type = (enum catalog_type)cat_col_int(st, col + 2);
	m->size = (uint64_t)cat_col_i64(st, col + 3);
	m->mode = (uint32_t)cat_col_i64(st, col + 4);
	m->uid = (uint32_t)cat_col_i64(st, col + 5);
	m->gid = (uint32_t)cat_col_i64(st, col + 6);
	m->mtime = cat_col_i64(st, col + 7);
	m->mtime_nsec = cat_col_int(st, col + 8);
	cat_md5_hex(cat_col_blob(st, col + 9),
		    (size_t)cat_col_bytes(st, col + 9), m->md5);
	if (!cat_col_null(st, col + 10))
		m->link = (char *)cat_col_str(st, col + 10);
	m->implicit = cat_col_null(st, col + 11);
	m->header_offset = (uint64_t)cat_col_i64(st, col + 11);
	m->data_offset = m->header_offset + (uint64_t)cat_col_i64(st, col + 12);
	m->ordinal = m->implicit ? -1 : cat_col_i64(st, col + 13);
	m->flags = (unsigned)cat_col_int(st, col + 15);
}

void catalog_member_release(struct catalog_member *m)
{
	if (!m)
		return;
	free(m->path);
	free(m->link);
	m->path = NULL;
	m->link = NULL;
}

static void member_root(struct catalog_member *m)
{
	memset(m, 0, sizeof(*m));
	m->type = CATALOG_DIR;
	m->mode = S_IFDIR | 0755;
	m->ordinal = -1;
	m->implicit = 1;
}

/* A copy of a checked path without its leading and trailing '/'. */
static char *path_dup(const char *path)
{
	size_t len;
	char *p;

	while (*path == '/')
		path++;
	len = strlen(path);
	while (len && path[len - 1] == '/')
		len--;
	p = malloc(len + 1);
	if (p) {
		memcpy(p, path, len);
		p[len] = 0;
	}
	return p;
}

/* Own the strings of a row-filled m: link copied, path given (the one
 * looked up) or built from node. */
static int member_own(struct catconn *c, struct catalog_member *m,
		      int64_t node, const char *path)
{
	char *link = NULL;
	int ret = 0;

	if (m->link) {
		link = strdup(m->link);
		if (!link)
			return -ENOMEM;
	}
	if (path) {
		m->path = path_dup(path);
		if (!m->path)
			ret = -ENOMEM;
	} else {
		ret = cat_node_path(c, node, &m->path);
	}
	if (ret < 0) {
		free(link);
		m->link = NULL;
		return ret;
	}
	m->link = link;
	return 0;
}

/* Step st (bound) expecting one member row at column 0; own it. */
static int member_one(struct catconn *c, struct catstmt *st, int64_t node,
		      int node_col, const char *path,
		      struct catalog_member *out, const char *what)
{
	struct catalog_member m;
	int rc, ret;

	rc = cat_step(st, what);
	if (rc != 1) {
		ret = rc == 0 ? -ENOENT : rc;
		goto out;
	}
	cat_member_row(st, 0, &m);
	if (node_col >= 0)
		node = cat_col_i64(st, node_col);
	ret = member_own(c, &m, node, path);
	if (ret == 0)
		*out = m;
out:
	cat_done(st);
	return ret;
}

int catalog_member_get(struct catalog *cat, int64_t member_id,
		       struct catalog_member *out)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int ret = -EIO;

	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_MEMBER_GET);
	if (st) {
		cat_bind_i64(st, ":id", member_id);
		ret = member_one(c, st, 0, CAT_MEMBER_NCOLS, NULL, out,
				 "member get");
	}
	cat_conn_put(cat, c);
	return ret;
}

static int root_out(struct catalog_member *out)
{
	struct catalog_member m;

	member_root(&m);
	m.path = strdup("");
	if (!m.path)
		return -ENOMEM;
	*out = m;
	return 0;
}

int catalog_ns_lookup(struct catalog *cat, const char *path,
		      struct catalog_member *out)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	const char *name;
	int64_t parent;
	size_t len;
	int ret;

	if (!c)
		return -EIO;
	ret = cat_node_split(c, path, &parent, &name, &len);
	if (ret < 0)
		goto out;
	if (len == 0) {
		ret = root_out(out);
		goto out;
	}
	ret = -EIO;
	st = cat_stmt(c, SQL_NS_CHILD);
	if (!st)
		goto out;
	cat_bind_i64(st, ":parent", parent);
	cat_bind_blob(st, ":name", name, len);
	ret = member_one(c, st, 0, -1, path, out, "lookup");
out:
	cat_conn_put(cat, c);
	return ret;
}

/* Node of a directory in the namespace: -ENOENT, -ENOTDIR. */
static int cat_ns_dir(struct catconn *c, const char *path, int64_t *node)
{
	struct catstmt *st;
	int rc, ret;

	ret = cat_node_find(c, path, node);
	if (ret < 0 || *node == 0)
		return ret;
	st = cat_stmt(c, SQL_NS_MEMBER);
	if (!st)
		return -EIO;
	cat_bind_i64(st, ":node", *node);
	rc = cat_step(st, "lookup");
	if (rc == 1)
		ret = cat_col_int(st, 2) == CATALOG_DIR ? 0 : -ENOTDIR;
	else if (rc == 0)
		ret = 0; /* no member at all: a made-up directory */
	else
		ret = rc;
	cat_done(st);
	return ret;
}

/* Call fn for each row of a listing statement: member at 0, name after. */
static int list_rows(struct catstmt *st, catalog_entry_fn fn, void *ctx,
		     const char *what)
{
	struct catalog_member m;
	int rc, ret = 0;

	while ((rc = cat_step(st, what)) == 1) {
		const char *name = cat_col_str(st, CAT_MEMBER_NCOLS);

		cat_member_row(st, 0, &m);
		ret = fn(ctx, name ? name : "", &m);
		if (ret)
			break;
	}
	if (rc != 1 && rc != 0)
		ret = rc;
	cat_done(st);
	return ret;
}

static void bind_after(struct catstmt *st, const char *after)
{
	cat_bind_blob(st, ":after", after ? after : "",
		      after ? strlen(after) : 0);
}

int catalog_ns_list(struct catalog *cat, const char *path, const char *after,
		    catalog_entry_fn fn, void *ctx)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int64_t node;
	int ret;

	if (!c)
		return -EIO;
	ret = cat_ns_dir(c, path, &node);
	if (ret < 0)
		goto out;
	ret = -EIO;
	st = cat_stmt(c, SQL_NS_LIST);
	if (!st)
		goto out;
	cat_bind_i64(st, ":parent", node);
	bind_after(st, after);
	ret = list_rows(st, fn, ctx, "list");
out:
	cat_conn_put(cat, c);
	return ret;
}

static int whereis(struct catconn *c, int64_t member_id,
		   catalog_location_fn fn, void *ctx)
{
	struct catstmt *st = cat_stmt(c, SQL_WHEREIS);
	struct catalog_location l;
	int rc, ret = -ENOENT, n = 0;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":id", member_id);
	while ((rc = cat_step(st, "whereis")) == 1) {
		memset(&l, 0, sizeof(l));
		l.member_id = cat_col_i64(st, 0);
		l.archive = cat_col_i64(st, 1);
		l.copy_id = cat_col_i64(st, 2);
		cat_col_text(st, 3, l.barcode, sizeof(l.barcode));
		l.fileno = cat_col_i64(st, 4);
		l.start_lblock = (uint64_t)cat_col_i64(st, 5);
		l.header_offset = (uint64_t)cat_col_i64(st, 6);
		l.data_offset = l.header_offset + (uint64_t)cat_col_i64(st, 7);
		l.size = (uint64_t)cat_col_i64(st, 8);
		l.block_size = (uint32_t)cat_col_i64(st, 9);
		l.block = l.start_lblock +
			  (l.block_size ? l.header_offset / l.block_size : 0);
		l.state = (enum catalog_copy_state)cat_col_int(st, 10);
		cat_md5_hex(cat_col_blob(st, 11), (size_t)cat_col_bytes(st, 11),
			    l.md5);
		n++;
		ret = fn(ctx, &l);
		if (ret)
			break;
	}
	if (rc != 1 && rc != 0)
		ret = rc;
	else if (rc == 0)
		ret = n ? 0 : -ENOENT;
	cat_done(st);
	return ret;
}

int catalog_member_whereis(struct catalog *cat, int64_t member_id,
			   catalog_location_fn fn, void *ctx)
{
	struct catconn *c = cat_conn_get(cat);
	int ret;

	if (!c)
		return -EIO;
	ret = whereis(c, member_id, fn, ctx);
	cat_conn_put(cat, c);
	return ret;
}

int catalog_ns_whereis(struct catalog *cat, const char *path,
		       catalog_location_fn fn, void *ctx)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int64_t node, member = 0;
	int rc, ret;

	if (!c)
		return -EIO;
	ret = cat_node_find(c, path, &node);
	if (ret < 0 || node == 0) {
		ret = ret < 0 ? ret : -ENOENT;
		goto out;
	}
	ret = -EIO;
	st = cat_stmt(c, SQL_NS_MEMBER);
	if (!st)
		goto out;
	cat_bind_i64(st, ":node", node);
	rc = cat_step(st, "whereis");
	if (rc == 1)
		member = cat_col_i64(st, 0);
	ret = rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
	cat_done(st);
	if (ret == 0)
		ret = whereis(c, member, fn, ctx);
out:
	cat_conn_put(cat, c);
	return ret;
}

/* [0] = first member, [1] = one past the last, from a range row. */
static void range_row(struct catstmt *st, void *out)
{
	int64_t *r = out;

	r[0] = cat_col_i64(st, 0);
	r[1] = r[0] + cat_col_i64(st, 1);
}

/* The member range [lo, hi) of an archive: -ENOENT when unknown. */
static int archive_range(struct catconn *c, int64_t archive, int64_t *lo,
			 int64_t *hi)
{
	struct catstmt *st = cat_stmt(c, SQL_ARCHIVE_RANGE);
	int64_t r[2];
	int ret;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":id", archive);
	ret = cat_row_get(c, st, range_row, r, "archive");
	if (ret == 0) {
		*lo = r[0];
		*hi = r[1];
	}
	return ret;
}

int catalog_archive_members(struct catalog *cat, int64_t archive_id,
			    int64_t from, catalog_member_fn fn, void *ctx)
{
	struct catconn *c = cat_conn_get(cat);
	struct cat_dircache dc = { .node = -1 };
	struct catalog_member m;
	struct catstmt *st;
	const char *path;
	int64_t lo, hi;
	int rc, ret;

	if (!c)
		return -EIO;
	ret = archive_range(c, archive_id, &lo, &hi);
	if (ret < 0)
		goto out;
	ret = -EIO;
	/* each new directory's path is looked up on c meanwhile */
	st = cat_stmt_nested(c, SQL_ARCHIVE_MEMBERS);
	if (!st)
		goto out;
	cat_bind_i64(st, ":lo", lo + (from > 0 ? from : 0));
	cat_bind_i64(st, ":hi", hi);
	ret = 0;
	while ((rc = cat_step(st, "archive members")) == 1) {
		const char *name = cat_col_str(st, CAT_MEMBER_NCOLS);

		cat_member_row(st, 0, &m);
		ret = cat_dircache_path(c, &dc,
					cat_col_i64(st, CAT_MEMBER_NCOLS + 1),
					name ? name : "", &path);
		if (ret < 0)
			break;
		m.path = (char *)path;
		ret = fn(ctx, &m);
		if (ret)
			break;
	}
	if (rc != 1 && rc != 0)
		ret = rc;
	cat_done(st);
out:
	cat_dircache_release(&dc);
	cat_conn_put(cat, c);
	return ret;
}

/* The node of path within archive, and its member row (bound statement
 * left for the caller to step) - used by lookup and list. */
static int archive_node(struct catconn *c, int64_t archive, const char *path,
			int64_t *node)
{
	int64_t lo, hi;
	int ret;

	ret = archive_range(c, archive, &lo, &hi);
	if (ret < 0)
		return ret;
	return cat_node_find(c, path, node);
}

int catalog_archive_lookup(struct catalog *cat, int64_t archive_id,
			   const char *path, struct catalog_member *out)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	const char *name;
	int64_t parent, lo, hi;
	size_t len;
	int ret;

	if (!c)
		return -EIO;
	ret = archive_range(c, archive_id, &lo, &hi);
	if (ret == 0)
		ret = cat_node_split(c, path, &parent, &name, &len);
	if (ret < 0)
		goto out;
	if (len == 0) {
		ret = root_out(out);
		if (ret == 0)
			out->archive = archive_id;
		goto out;
	}
	ret = -EIO;
	st = cat_stmt(c, SQL_ARCHIVE_CHILD);
	if (!st)
		goto out;
	cat_bind_i64(st, ":parent", parent);
	cat_bind_blob(st, ":name", name, len);
	cat_bind_i64(st, ":archive", archive_id);
	ret = member_one(c, st, 0, -1, path, out, "archive lookup");
out:
	cat_conn_put(cat, c);
	return ret;
}

int catalog_archive_list(struct catalog *cat, int64_t archive_id,
			 const char *path, const char *after,
			 catalog_entry_fn fn, void *ctx)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int64_t node;
	int rc, ret;

	if (!c)
		return -EIO;
	ret = archive_node(c, archive_id, path, &node);
	if (ret < 0)
		goto out;
	if (node != 0) {
		ret = -EIO;
		st = cat_stmt(c, SQL_ARCHIVE_MEMBER);
		if (!st)
			goto out;
		cat_bind_i64(st, ":node", node);
		cat_bind_i64(st, ":archive", archive_id);
		rc = cat_step(st, "archive list");
		if (rc == 1)
			ret = cat_col_int(st, 2) == CATALOG_DIR ? 0 : -ENOTDIR;
		else
			ret = rc == 0 ? -ENOENT : rc;
		cat_done(st);
		if (ret < 0)
			goto out;
	}
	ret = -EIO;
	st = cat_stmt(c, SQL_ARCHIVE_LIST);
	if (!st)
		goto out;
	cat_bind_i64(st, ":archive", archive_id);
	cat_bind_i64(st, ":parent", node);
	bind_after(st, after);
	ret = list_rows(st, fn, ctx, "archive list");
out:
	cat_conn_put(cat, c);
	return ret;
}
