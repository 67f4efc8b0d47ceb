/* catalog/leases.c - leases on rows of work: a host takes a job (a recall
 * request, a dump, a verify run, a tape-to-tape copy) by writing its name,
 * an expiry and a new generation into the job's row; it renews, releases,
 * and fences its commits on the generation; a lease let expire is taken
 * over (catalog.h, "hosts and leases"; docs/multi-host.md).
 *
 * Every kind of work has the same three columns (lease_host, lease_until,
 * lease_gen) and the same statements, made per table by the macros below
 * from constants (no SQL is formatted at run time).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

#define FREE_OR_EXPIRED "(lease_host = '' OR lease_until < :now)"
#define LEASE_COLS	"id, lease_host, lease_until, lease_gen"

struct lease_sql {
	const char *take, *get, *renew, *release, *fence, *expired, *beat,
	    *drop;
	struct cat_take next;
};

/* t: the table; todo: its rows still to do (the queue). A take also
 * accepts the taker's own live lease (taken again: a new generation). */
#define LEASE_SQL(t, todo)                                                     \
	{                                                                      \
		.take = "UPDATE " t " SET lease_host = :host, "                \
			"lease_until = :now + :ttl, "                          \
			"lease_gen = lease_gen + 1 WHERE id = :id AND "        \
			"(lease_host = '' OR lease_host = :host OR "           \
			"lease_until < :now)",                                 \
		.get = "SELECT " LEASE_COLS " FROM " t " WHERE id = :id",      \
		.renew = "UPDATE " t " SET lease_until = :now + :ttl "         \
			 "WHERE id = :id AND lease_host = :host "              \
			 "AND lease_gen = :gen",                               \
		.release = "UPDATE " t " SET lease_host = '', "                \
			   "lease_until = 0 WHERE id = :id "                   \
			   "AND lease_host = :host AND lease_gen = :gen",      \
		.fence = "UPDATE " t " SET lease_gen = lease_gen "             \
			 "WHERE id = :id AND lease_host = :host "              \
			 "AND lease_gen = :gen",                               \
		.expired = "SELECT " LEASE_COLS " FROM " t " WHERE " todo      \
			   " AND lease_host != '' AND lease_until < :now "     \
			   "ORDER BY id",                                      \
		.beat = "UPDATE " t " SET lease_until = :now + :ttl "          \
			"WHERE lease_host = :host AND lease_host != ''",       \
		.drop = "UPDATE " t " SET lease_host = '', lease_until = 0 "   \
			"WHERE lease_host = :host AND lease_host != ''",       \
		.next =                                                        \
		    CAT_TAKE("SELECT id FROM " t " WHERE " todo                \
			     " AND " FREE_OR_EXPIRED " ORDER BY id LIMIT 1"),  \
	}

static const struct lease_sql lease_sql[CATALOG_WORK_KINDS] = {
    [CATALOG_WORK_RECALL] = LEASE_SQL("recall_request", "id > 0"),
    [CATALOG_WORK_DUMP] = LEASE_SQL("dump", "state IN (0, 1)"),
    [CATALOG_WORK_VERIFY] = LEASE_SQL("run", "state = 0"),
    [CATALOG_WORK_XFER] = LEASE_SQL("xfer", "state = 0"),
    [CATALOG_WORK_STAGING] = LEASE_SQL("staging", "id > 0"),
};

static const char *const fence_host_sql[CATALOG_WORK_KINDS] = {
    [CATALOG_WORK_RECALL] = "UPDATE recall_request SET lease_gen = lease_gen "
			    "WHERE id = :id AND lease_host = :host",
    [CATALOG_WORK_DUMP] = "UPDATE dump SET lease_gen = lease_gen "
			  "WHERE id = :id AND lease_host = :host",
    [CATALOG_WORK_VERIFY] = "UPDATE run SET lease_gen = lease_gen "
			    "WHERE id = :id AND lease_host = :host",
    [CATALOG_WORK_XFER] = "UPDATE xfer SET lease_gen = lease_gen "
			  "WHERE id = :id AND lease_host = :host",
    [CATALOG_WORK_STAGING] = "UPDATE staging SET lease_gen = lease_gen "
			     "WHERE id = :id AND lease_host = :host",
};

static const char SQL_RECALL_DONE[] =
    "DELETE FROM recall_request WHERE id = :id AND lease_host = :host "
    "AND lease_gen = :gen";

struct catstmt *cat_stmt_take(struct catconn *c, const struct cat_take *q)
{
	return cat_stmt(c, c->ops->skip_locked ? q->locking : q->plain);
}

int cat_clock_ms(struct catconn *c, int64_t *out)
{
	struct catstmt *st = cat_stmt(c, c->ops->clock_ms);
	int rc;

	if (!st)
		return -EIO;
	rc = cat_step(st, "database clock");
	if (rc == 1)
		*out = cat_col_i64(st, 0);
	cat_done(st);
	return rc == 1 ? 0 : rc == 0 ? -EIO : rc;
}

int catalog_clock_ms(struct catalog *cat, int64_t *out)
{
	struct catconn *c = cat_conn_get(cat);
	int ret;

	if (!c)
		return -EIO;
	ret = cat_clock_ms(c, out);
	cat_conn_put(cat, c);
	return ret;
}

static int kind_ok(enum catalog_work kind)
{
	return (unsigned)kind < CATALOG_WORK_KINDS;
}

static void lease_row(struct catstmt *st, void *out)
{
	struct catalog_lease *l = out;

	l->job = cat_col_i64(st, 0);
	cat_col_text(st, 1, l->host, sizeof(l->host));
	l->until = cat_col_i64(st, 2);
	l->gen = cat_col_i64(st, 3);
}

static int lease_read(struct catconn *c, enum catalog_work kind, int64_t job,
		      struct catalog_lease *out)
{
	struct catstmt *st = cat_stmt(c, lease_sql[kind].get);
	struct catalog_lease l = {.kind = kind};
	int ret;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":id", job);
	ret = cat_row_get(c, st, lease_row, &l, "lease get");
	if (ret == 0)
		*out = l;
	return ret;
}

/* Take job for host in c's transaction: 0 (*out filled), -EBUSY, -ENOENT. */
static int take_in(struct catconn *c, enum catalog_work kind, int64_t job,
		   const char *host, int64_t ttl, struct catalog_lease *out)
{
	struct catstmt *st = cat_stmt(c, lease_sql[kind].take);
	int64_t now;
	int ret;

	if (!st)
		return -EIO;
	ret = cat_clock_ms(c, &now);
	if (ret < 0) {
		cat_done(st);
		return ret;
	}
	cat_bind_text(st, ":host", host);
	cat_bind_i64(st, ":now", now);
	cat_bind_i64(st, ":ttl", ttl);
	cat_bind_i64(st, ":id", job);
	ret = cat_exec(c, st, "lease take");
	if (ret < 0)
		return ret;
	if (cat_changes(c) == 0) {
		struct catalog_lease l;

		ret = lease_read(c, kind, job, &l);
		return ret < 0 ? ret : -EBUSY;
	}
	return out ? lease_read(c, kind, job, out) : 0;
}

int cat_lease_stamp(struct catalog *cat, struct catconn *c,
		    enum catalog_work kind, int64_t job)
{
	if (!cat->host[0])
		return 0;
	return take_in(c, kind, job, cat->host, cat->lease_ms, NULL);
}

int catalog_lease_take(struct catalog *cat, enum catalog_work kind, int64_t job,
		       struct catalog_lease *out)
{
	struct catalog_lease l;
	struct catconn *c;
	int ret;

	if (!kind_ok(kind) || !cat->host[0])
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = take_in(c, kind, job, cat->host, cat->lease_ms, &l);
	ret = cat_txn_end(cat, c, 0, ret);
	if (ret == 0 && out)
		*out = l;
	return ret;
}

int catalog_lease_next(struct catalog *cat, enum catalog_work kind,
		       struct catalog_lease *out)
{
	struct catalog_lease l;
	struct catconn *c;
	struct catstmt *st;
	int64_t now, job = 0;
	int ret;

	if (!kind_ok(kind) || !cat->host[0])
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = cat_clock_ms(c, &now);
	st = ret < 0 ? NULL : cat_stmt_take(c, &lease_sql[kind].next);
	if (!st) {
		ret = ret < 0 ? ret : -EIO;
		goto out;
	}
	cat_bind_i64(st, ":now", now);
	ret = cat_step(st, "lease next");
	if (ret == 1)
		job = cat_col_i64(st, 0);
	cat_done(st);
	if (ret == 0)
		ret = -ENOENT;
	if (ret == 1)
		ret = take_in(c, kind, job, cat->host, cat->lease_ms, &l);
out:
	ret = cat_txn_end(cat, c, 0, ret);
	if (ret == 0 && out)
		*out = l;
	return ret;
}

/* One fenced statement of l (renew, release, fence, done): -ESTALE when
 * it changed no row. */
static int lease_stmt(struct catconn *c, const char *sql,
		      const struct catalog_lease *l, int64_t ttl,
		      const char *what)
{
	struct catstmt *st = cat_stmt(c, sql);
	int64_t now = 0;
	int ret = 0;

	if (!st)
		return -EIO;
	if (cat_has_param(st, ":now"))
		ret = cat_clock_ms(c, &now);
	if (ret < 0) {
		cat_done(st);
		return ret;
	}
	if (cat_has_param(st, ":now")) {
		cat_bind_i64(st, ":now", now);
		cat_bind_i64(st, ":ttl", ttl);
	}
	cat_bind_i64(st, ":id", l->job);
	cat_bind_text(st, ":host", l->host);
	cat_bind_i64(st, ":gen", l->gen);
	ret = cat_exec(c, st, what);
	if (ret == 0 && cat_changes(c) == 0)
		ret = -ESTALE;
	return ret;
}

int cat_lease_fence(struct catconn *c, const struct catalog_lease *l)
{
	if (!kind_ok(l->kind) || !l->host[0])
		return -EINVAL;
	return lease_stmt(c, lease_sql[l->kind].fence, l, 0, "lease fence");
}

/* sql of l in a transaction of its own. */
static int lease_write(struct catalog *cat, const char *sql,
		       const struct catalog_lease *l, const char *what)
{
	struct catconn *c;
	int ret;

	if (!kind_ok(l->kind) || !l->host[0])
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = lease_stmt(c, sql, l, cat->lease_ms, what);
	return cat_txn_end(cat, c, 0, ret);
}

int catalog_lease_renew(struct catalog *cat, struct catalog_lease *l)
{
	struct catalog_lease now;
	struct catconn *c;
	int ret;

	if (!kind_ok(l->kind) || !l->host[0] || cat->lease_ms < 1)
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = lease_stmt(c, lease_sql[l->kind].renew, l, cat->lease_ms,
			 "lease renew");
	if (ret == 0)
		ret = lease_read(c, l->kind, l->job, &now);
	ret = cat_txn_end(cat, c, 0, ret);
	if (ret == 0)
		l->until = now.until;
	return ret;
}

int catalog_lease_release(struct catalog *cat, const struct catalog_lease *l)
{
	if (!kind_ok(l->kind))
		return -EINVAL;
	return lease_write(cat, lease_sql[l->kind].release, l, "lease release");
}

int catalog_recall_done(struct catalog *cat, const struct catalog_lease *l)
{
	if (l->kind != CATALOG_WORK_RECALL)
		return -EINVAL;
	return lease_write(cat, SQL_RECALL_DONE, l, "recall done");
}

int catalog_commit_fence(struct catalog_commit *c,
			 const struct catalog_lease *l)
{
	if (!c || !l)
		return -EINVAL;
	return cat_lease_fence(cat_commit_conn(c), l);
}

int catalog_lease_get(struct catalog *cat, enum catalog_work kind, int64_t job,
		      struct catalog_lease *out)
{
	struct catconn *c;
	int ret;

	if (!kind_ok(kind))
		return -EINVAL;
	c = cat_conn_get(cat);
	if (!c)
		return -EIO;
	ret = lease_read(c, kind, job, out);
	cat_conn_put(cat, c);
	return ret;
}

int catalog_lease_check(struct catalog *cat, const struct catalog_lease *l)
{
	struct catalog_lease now;
	int ret = catalog_lease_get(cat, l->kind, l->job, &now);

	if (ret == -ENOENT)
		return -ESTALE;
	if (ret < 0)
		return ret;
	return now.gen == l->gen && !strcmp(now.host, l->host) ? 0 : -ESTALE;
}

struct expired_walk {
	enum catalog_work kind;
	catalog_lease_fn fn;
	void *ctx;
};

static int expired_visit(struct catstmt *st, void *arg)
{
	struct expired_walk *w = arg;
	struct catalog_lease l = {.kind = w->kind};

	lease_row(st, &l);
	return w->fn(w->ctx, &l);
}

int catalog_lease_expired(struct catalog *cat, enum catalog_work kind,
			  catalog_lease_fn fn, void *ctx)
{
	struct expired_walk w = {kind, fn, ctx};
	struct catconn *c;
	struct catstmt *st;
	int64_t now;
	int ret;

	if (!kind_ok(kind) || !fn)
		return -EINVAL;
	c = cat_conn_get(cat);
	if (!c)
		return -EIO;
	ret = cat_clock_ms(c, &now);
	st = ret < 0 ? NULL : cat_stmt(c, lease_sql[kind].expired);
	if (st) {
		cat_bind_i64(st, ":now", now);
		ret = cat_row_each(c, st, expired_visit, &w, "leases expired");
	} else if (ret == 0) {
		ret = -EIO;
	}
	cat_conn_put(cat, c);
	return ret;
}

/* Every lease of host: renewed for ttl (beat), or released (drop). The
 * number of rows renewed or released. */
static int64_t host_leases(struct catconn *c, const char *host, int beat,
			   int64_t now, int64_t ttl)
{
	int64_t n = 0;

	for (int k = 0; k < CATALOG_WORK_KINDS; k++) {
		const char *sql = beat ? lease_sql[k].beat : lease_sql[k].drop;
		struct catstmt *st = cat_stmt(c, sql);
		int ret;

		if (!st)
			return -EIO;
		cat_bind_text(st, ":host", host);
		if (beat) {
			cat_bind_i64(st, ":now", now);
			cat_bind_i64(st, ":ttl", ttl);
		}
		ret = cat_exec(c, st, beat ? "leases renew" : "leases drop");
		if (ret < 0)
			return ret;
		n += cat_changes(c);
	}
	return n;
}

int cat_host_leases(struct catconn *c, const char *host, int beat, int64_t now,
		    int64_t ttl)
{
	int64_t n = host_leases(c, host, beat, now, ttl);

	return n < 0 ? (int)n : n > 0x7fffffff ? 0x7fffffff : (int)n;
}

int cat_lease_bind_stale(struct catalog *cat, struct catconn *c,
			 struct catstmt *st)
{
	int64_t now;
	int ret = cat_clock_ms(c, &now);

	if (ret < 0)
		return ret;
	cat_bind_text(st, ":lhost", cat->host);
	cat_bind_i64(st, ":lnow", now);
	return 0;
}

int cat_lease_fence_host(struct catalog *cat, struct catconn *c,
			 enum catalog_work kind, int64_t job)
{
	struct catstmt *st;
	int ret;

	if (!cat->host[0])
		return 0;
	if (!kind_ok(kind))
		return -EINVAL;
	st = cat_stmt(c, fence_host_sql[kind]);
	if (!st)
		return -EIO;
	cat_bind_i64(st, ":id", job);
	cat_bind_text(st, ":host", cat->host);
	ret = cat_exec(c, st, "lease fence");
	return ret == 0 && cat_changes(c) == 0 ? -ESTALE : ret;
}

#define TAKEOVER_MAX 256 /* expired leases taken over per call */

struct expired_list {
	const char *self;
	struct catalog_lease l[TAKEOVER_MAX];
	size_t n;
};

static int expired_add(void *ctx, const struct catalog_lease *l)
{
	struct expired_list *e = ctx;

	if (!strcmp(l->host, e->self)) /* its own: renewed by its beat */
		return 0;
	if (e->n == TAKEOVER_MAX)
		return 1;
	e->l[e->n++] = *l;
	return 0;
}

int catalog_lease_takeover(struct catalog *cat, enum catalog_work kind,
			   catalog_takeover_fn fn, void *ctx)
{
	struct expired_list *e;
	int ret, n = 0;

	if (!kind_ok(kind) || !fn || !cat->host[0])
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->self = cat->host;
	ret = catalog_lease_expired(cat, kind, expired_add, e);
	for (size_t i = 0; ret >= 0 && i < e->n; i++) {
		struct catalog_lease l;

		ret = catalog_lease_take(cat, kind, e->l[i].job, &l);
		if (ret == -EBUSY || ret == -ENOENT) { /* another was first */
			ret = 0;
			continue;
		}
		if (ret == 0)
			ret = fn(ctx, &l, e->l[i].host);
		n += ret == 0;
	}
	free(e);
	return ret < 0 ? ret : n;
}
