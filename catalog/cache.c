/* catalog/cache.c - the index of the recall cache (which member's bytes
 * are on local disk, LRU order) and the tape order of recall requests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

#define CACHE_COLS "member, file, size, present, last_access, pinned, map"

static const char SQL_CACHE_PUT[] =
    "INSERT INTO cache(" CACHE_COLS ") VALUES(:member, :file, "
    ":size, :present, :last_access, :pinned, :map) "
    "ON CONFLICT(member) DO UPDATE SET file = excluded.file, "
    "size = excluded.size, present = excluded.present, "
    "last_access = excluded.last_access, pinned = excluded.pinned, "
    "map = excluded.map";
static const char SQL_CACHE_GET[] =
	"SELECT " CACHE_COLS " FROM cache WHERE member = :member";
static const char SQL_CACHE_TOUCH[] =
	"UPDATE cache SET last_access = :v WHERE member = :member";
static const char SQL_CACHE_PRESENT[] =
	"UPDATE cache SET present = :v WHERE member = :member";
static const char SQL_CACHE_PIN[] =
	"UPDATE cache SET pinned = :v WHERE member = :member";
static const char SQL_CACHE_REMOVE[] =
	"DELETE FROM cache WHERE member = :member";
static const char SQL_CACHE_UNPIN_ALL[] =
	"UPDATE cache SET pinned = 0 WHERE pinned != 0";
static const char SQL_CACHE_LRU[] =
	"SELECT " CACHE_COLS " FROM cache WHERE pinned = 0 "
	"ORDER BY last_access, member";
static const char SQL_CACHE_TOTAL[] =
	"SELECT coalesce(sum(present), 0), count(*) FROM cache";

static void cache_row(struct catstmt *st, void *out)
{
	struct catalog_cache_entry *e = out;

	memset(e, 0, sizeof(*e));
	e->member_id = cat_col_i64(st, 0);
	cat_col_text(st, 1, e->file, sizeof(e->file));
	e->size = (uint64_t)cat_col_i64(st, 2);
	e->present = (uint64_t)cat_col_i64(st, 3);
	e->last_access = cat_col_i64(st, 4);
	e->pinned = cat_col_int(st, 5);
	e->map = cat_col_blob(st, 6);
	e->map_len = e->map ? (size_t)cat_col_bytes(st, 6) : 0;
}

static int cache_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_cache_entry row;

	cache_row(st, &row);
	return w->fn.cache(w->ctx, &row);
}

/* Insert or replace the row of e in the transaction of c. */
static int cache_put_row(struct catconn *c, const struct catalog_cache_entry *e)
{
	struct catstmt *st = cat_stmt(c, SQL_CACHE_PUT);

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":member", e->member_id);
	cat_bind_text(st, ":file", e->file);
	cat_bind_i64(st, ":size", (int64_t)e->size);
	cat_bind_i64(st, ":present", (int64_t)e->present);
	cat_bind_i64(st, ":last_access", e->last_access);
	cat_bind_i64(st, ":pinned", e->pinned ? 1 : 0);
	if (e->map && e->map_len)
		cat_bind_blob(st, ":map", e->map, e->map_len);
	else
		cat_bind_null(st, ":map");
	return cat_exec(c, st, "cache write");
}

/* One write statement on the cache table, bound with :member and, when
 * has_v, :v. -ENOENT when no row changed (except for put). */
static int cache_write(struct catalog *cat, const char *sql, int64_t member,
		       int has_v, int64_t v,
		       const struct catalog_cache_entry *e)
{
	struct catconn *c;
	struct catstmt *st;
	int ret;

	/* LRU order is advisory: a touch never waits behind a dump commit */
	if (sql == SQL_CACHE_TOUCH)
		ret = cat_txn_try_begin(cat, &c);
	else
		ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	if (e) {
		ret = cache_put_row(c, e);
		goto out;
	}
	ret = -EIO;
	st = cat_stmt(c, sql);
	if (!st)
		goto out;
	if (member >= 0) {
		cat_bind_i64(st, ":member", member);
		if (has_v)
			cat_bind_i64(st, ":v", v);
	}
	ret = cat_exec(c, st, "cache write");
	if (ret == 0 && !e && member >= 0 && cat_changes(c) == 0)
		ret = -ENOENT;
out:
	return cat_txn_end(cat, c, 0, ret);
}

int catalog_cache_put(struct catalog *cat, const struct catalog_cache_entry *e)
{
	if (!e || e->member_id <= 0 ||
	    strnlen(e->file, sizeof(e->file)) >= sizeof(e->file))
		return -EINVAL;
	return cache_write(cat, SQL_CACHE_PUT, 0, 0, 0, e);
}

int catalog_cache_put_many(struct catalog *cat,
			   const struct catalog_cache_entry *e, size_t n,
			   const int64_t *done, size_t ndone)
{
	struct catconn *c;
	int ret;

	for (size_t i = 0; i < n; i++)
		if (e[i].member_id <= 0 ||
		    strnlen(e[i].file, sizeof(e[i].file)) >= sizeof(e[i].file))
			return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	for (size_t i = 0; !ret && i < n; i++)
		ret = cache_put_row(c, &e[i]);
	for (size_t i = 0; !ret && i < ndone; i++)
		ret = cat_recall_remove(c, done[i]);
	return cat_txn_end(cat, c, 0, ret);
}

int catalog_cache_touch(struct catalog *cat, int64_t member_id, int64_t when)
{
	return cache_write(cat, SQL_CACHE_TOUCH, member_id, 1, when, NULL);
}

int catalog_cache_set_present(struct catalog *cat, int64_t member_id,
			      uint64_t present)
{
	return cache_write(cat, SQL_CACHE_PRESENT, member_id, 1,
			   (int64_t)present, NULL);
}

int catalog_cache_set_pinned(struct catalog *cat, int64_t member_id, int pinned)
{
	return cache_write(cat, SQL_CACHE_PIN, member_id, 1, pinned ? 1 : 0,
			   NULL);
}

int catalog_cache_remove(struct catalog *cat, int64_t member_id)
{
	return cache_write(cat, SQL_CACHE_REMOVE, member_id, 0, 0, NULL);
}

int catalog_cache_unpin_all(struct catalog *cat)
{
	return cache_write(cat, SQL_CACHE_UNPIN_ALL, -1, 0, 0, NULL);
}

int catalog_cache_get(struct catalog *cat, int64_t member_id,
		      struct catalog_cache_entry *out)
{
	int ret = cat_read_get(cat, SQL_CACHE_GET, ":member", member_id,
			       cache_row, out, "cache get");

	if (!ret) { /* the row's blob is gone with the statement's reset */
		out->map = NULL;
		out->map_len = 0;
	}
	return ret;
}

int catalog_cache_lru(struct catalog *cat, catalog_cache_fn fn, void *ctx)
{
	struct cat_walk w = {.fn.cache = fn, .ctx = ctx};

	return cat_read_each(cat, SQL_CACHE_LRU, NULL, 0, cache_visit, &w,
			     "cache lru");
}

int catalog_cache_total(struct catalog *cat, uint64_t *bytes, uint64_t *entries)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int rc, ret = -EIO;

	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_CACHE_TOTAL);
	if (!st)
		goto out;
	rc = cat_step(st, "cache total");
	if (rc == 1) {
		if (bytes)
			*bytes = (uint64_t)cat_col_i64(st, 0);
		if (entries)
			*entries = (uint64_t)cat_col_i64(st, 1);
		ret = 0;
	} else {
		ret = rc;
	}
	cat_done(st);
out:
	cat_conn_put(cat, c);
	return ret;
}

/* ---- recall order ---- */

struct pick {
	const char *const *prefer;
	size_t nprefer;
	struct catalog_location best;
	int have, best_rank;
};

/* Rank of a copy: lower is better. Good copies only. */
static int rank(const struct pick *p, const struct catalog_location *l)
{
	for (size_t i = 0; i < p->nprefer; i++)
		if (p->prefer[i] && strcmp(p->prefer[i], l->barcode) == 0)
			return 0;
	return 1;
}

static int pick_copy(void *ctx, const struct catalog_location *l)
{
	struct pick *p = ctx;
	int r;

	if (l->state != CATALOG_COPY_GOOD)
		return 0;
	r = rank(p, l);
	if (!p->have || r < p->best_rank) {
		p->best = *l;
		p->best_rank = r;
		p->have = 1;
	}
	return 0;
}

static int plan_cmp(const void *a, const void *b)
{
	const struct catalog_location *x = a, *y = b;
	int cx = x->barcode[0] != 0, cy = y->barcode[0] != 0, r;

	if (cx != cy)
		return cy - cx; /* members without a copy last */
	r = strcmp(x->barcode, y->barcode);
	if (r)
		return r;
	if (x->block != y->block)
		return x->block < y->block ? -1 : 1;
	if (x->header_offset != y->header_offset)
		return x->header_offset < y->header_offset ? -1 : 1;
	return x->member_id < y->member_id ? -1 : x->member_id > y->member_id;
}

int catalog_recall_plan(struct catalog *cat, const int64_t *member_ids,
			size_t n, const char *const *prefer, size_t nprefer,
			struct catalog_location **out)
{
	struct catalog_location *plan;
	int ret;

	if (n && !member_ids)
		return -EINVAL;
	plan = calloc(n ? n : 1, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct pick p = {.prefer = prefer, .nprefer = nprefer};

		ret = catalog_member_whereis(cat, member_ids[i], pick_copy, &p);
		if (ret < 0 && ret != -ENOENT) {
			free(plan);
			return ret;
		}
		if (p.have)
			plan[i] = p.best;
		else
			plan[i].member_id = member_ids[i];
	}
	qsort(plan, n, sizeof(*plan), plan_cmp);
	*out = plan;
	return 0;
}
