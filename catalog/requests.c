/* catalog/requests.c - the recall queue: `.recall` requests kept until
 * they are served, cancelled or failed, so that a restart resumes them
 * (catalog.h, "the recall queue").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

#define REQ_COLS "id, member, archive, path, prefer, priority, created"

static const char SQL_REQ_ADD[] =
    "INSERT INTO recall_request(member, archive, path, prefer, priority, "
    "created) VALUES(:member, :archive, :path, :prefer, :priority, "
    ":created)";
static const char SQL_REQ_REMOVE[] =
    "DELETE FROM recall_request WHERE id = :id";
static const char SQL_REQ_GET[] =
    "SELECT " REQ_COLS " FROM recall_request WHERE id = :id";
static const char SQL_REQ_FREE[] =
    "SELECT " REQ_COLS " FROM recall_request WHERE lease_host = '' "
    "AND member > 0 ORDER BY id LIMIT 64";
static const char SQL_REQ_LIST[] =
    "SELECT " REQ_COLS " FROM recall_request WHERE "
    CAT_NOT_LEASED_ELSEWHERE " ORDER BY id";

/* Insert r; leased to the joined host unless free is set (a request
 * handed to whichever host can serve it). */
static int req_add(struct catalog *cat, struct catconn *c,
		   const struct catalog_recall_req *r, int free, int64_t *id)
{
	struct catstmt *st = cat_stmt(c, SQL_REQ_ADD);
	int64_t row;
	int ret;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":member", r->member);
	cat_bind_i64(st, ":archive", r->archive);
	if (r->path)
		cat_bind_blob(st, ":path", r->path, strlen(r->path));
	else
		cat_bind_null(st, ":path");
	cat_bind_text(st, ":prefer", r->prefer);
	cat_bind_i64(st, ":priority", r->priority);
	cat_bind_i64(st, ":created", r->created ? r->created : cat_now());
	ret = cat_exec(c, st, "recall request add");
	if (ret)
		return ret;
	row = cat_last_id(c);
	ret = free ? 0 : cat_lease_stamp(cat, c, CATALOG_WORK_RECALL, row);
	if (!ret && id)
		*id = row;
	return ret;
}

int cat_recall_remove(struct catconn *c, int64_t id)
{
	struct catstmt *st = cat_stmt(c, SQL_REQ_REMOVE);

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":id", id);
	return cat_exec(c, st, "recall request remove");
}

int catalog_recall_add(struct catalog *cat,
		       const struct catalog_recall_req *reqs, size_t n,
		       int64_t done, int64_t *ids)
{
	struct catconn *c;
	int ret;

	if (n && !reqs)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (strnlen(reqs[i].prefer, sizeof(reqs[i].prefer)) >=
			sizeof(reqs[i].prefer) ||
		    (!reqs[i].member && !reqs[i].path))
			return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	for (size_t i = 0; !ret && i < n; i++)
		ret = req_add(cat, c, &reqs[i], 0, ids ? &ids[i] : NULL);
	if (!ret && done)
		ret = cat_recall_remove(c, done);
	return cat_txn_end(cat, c, 0, ret);
}

int catalog_recall_hand(struct catalog *cat,
			const struct catalog_recall_req *req, int64_t *id)
{
	struct catconn *c;
	int ret;

	if (!req || !req->member || req->path ||
	    strnlen(req->prefer, sizeof(req->prefer)) >= sizeof(req->prefer))
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = req_add(cat, c, req, 1, id);
	return cat_txn_end(cat, c, 0, ret);
}

int catalog_recall_remove(struct catalog *cat, const int64_t *ids, size_t n)
{
	struct catconn *c;
	int ret;

	if (!n)
		return 0;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	for (size_t i = 0; !ret && i < n; i++)
		ret = cat_recall_remove(c, ids[i]);
	return cat_txn_end(cat, c, 0, ret);
}

static int req_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_recall_req r;
	char *path = NULL;
	int ret;

	memset(&r, 0, sizeof(r));
	r.id = cat_col_i64(st, 0);
	r.member = cat_col_i64(st, 1);
	r.archive = cat_col_i64(st, 2);
	if (!cat_col_null(st, 3)) {
		path = strndup(cat_col_blob(st, 3) ?: "",
			       (size_t)cat_col_bytes(st, 3));
		if (!path)
			return -ENOMEM;
		r.path = path;
	}
	cat_col_text(st, 4, r.prefer, sizeof(r.prefer));
	r.priority = cat_col_int(st, 5);
	r.created = cat_col_i64(st, 6);
	ret = w->fn.recall(w->ctx, &r);
	free(path);
	return ret;
}

int catalog_recall_list(struct catalog *cat, catalog_recall_fn fn, void *ctx)
{
	struct cat_walk w = {.fn.recall = fn, .ctx = ctx};
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st = c ? cat_stmt(c, SQL_REQ_LIST) : NULL;
	int ret = st ? cat_lease_bind_stale(cat, c, st) : -EIO;

	if (ret == 0)
		ret = cat_row_each(c, st, req_visit, &w, "recall requests");
	else
		cat_done(st);
	cat_conn_put(cat, c);
	return ret;
}

int catalog_recall_free(struct catalog *cat, catalog_recall_fn fn, void *ctx)
{
	struct cat_walk w = {.fn.recall = fn, .ctx = ctx};
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st = c ? cat_stmt(c, SQL_REQ_FREE) : NULL;
	int ret = st ? cat_row_each(c, st, req_visit, &w, "recall requests free")
		     : -EIO;

	cat_conn_put(cat, c);
	return ret;
}

struct req_once {
	struct cat_walk w;
	int seen;
};

static int req_visit_once(struct catstmt *st, void *arg)
{
	struct req_once *o = arg;

	o->seen = 1;
	return req_visit(st, &o->w);
}

int catalog_recall_get(struct catalog *cat, int64_t id, catalog_recall_fn fn,
		       void *ctx)
{
	struct req_once o = {{.fn.recall = fn, .ctx = ctx}, 0};
	int ret = cat_read_each(cat, SQL_REQ_GET, ":id", id, req_visit_once,
				&o, "recall request");

	return ret ? ret : o.seen ? 0 : -ENOENT;
}
