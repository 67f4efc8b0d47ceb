/* catalog/hosts.c - the hosts that work on one catalog: each joins under
 * its name, beats (renewing its leases with its heartbeat) and leaves
 * (catalog.h, "hosts and leases").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/internal.h"

static const char SQL_HOST_GET[] =
    "SELECT heartbeat FROM host WHERE name = :name";
static const char SQL_HOST_JOIN[] =
    "INSERT INTO host(name, started, heartbeat) VALUES(:name, :now, :now) "
    "ON CONFLICT(name) DO UPDATE SET started = excluded.started, "
    "heartbeat = excluded.heartbeat";
static const char SQL_HOST_BEAT[] =
    "UPDATE host SET heartbeat = :now WHERE name = :name "
    "AND started = :started";
static const char SQL_HOST_LEAVE[] =
    "DELETE FROM host WHERE name = :name AND started = :started";
static const char SQL_HOST_DRIVES_DROP[] =
    "DELETE FROM drive WHERE host = :name";
static const char SQL_HOST_LIST[] =
    "SELECT name, started, heartbeat FROM host ORDER BY name";

int catalog_host_name_valid(const char *name)
{
	size_t n = name ? strnlen(name, CATALOG_HOST_LEN) : 0;

	if (n == 0 || n >= CATALOG_HOST_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr(
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789._-",
			name[i]))
			return 0;
	return 1;
}

static void beat_row(struct catstmt *st, void *out)
{
	*(int64_t *)out = cat_col_i64(st, 0);
}

/* In c's transaction: 1 when name beat less than ttl before now, 0. */
static int host_alive(struct catconn *c, const char *name, int64_t now,
		      int64_t ttl)
{
	struct catstmt *st = cat_stmt(c, SQL_HOST_GET);
	int64_t beat = 0;
	int ret;

	if (!st)
		return -EIO;
	cat_bind_text(st, ":name", name);
	ret = cat_row_get(c, st, beat_row, &beat, "host get");
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	return now - beat < ttl;
}

/* sql with :name bound to name, :now (when it has it) to now and
 * :started (when it has it) to started. */
static int host_exec(struct catconn *c, const char *sql, const char *name,
		     int64_t now, int64_t started, const char *what)
{
	struct catstmt *st = cat_stmt(c, sql);
	int ret;

	if (!st)
		return -EIO;
	cat_bind_text(st, ":name", name);
	if (cat_has_param(st, ":now"))
		cat_bind_i64(st, ":now", now);
	if (cat_has_param(st, ":started"))
		cat_bind_i64(st, ":started", started);
	ret = cat_exec(c, st, what);
	return ret == 0 && cat_changes(c) == 0 ? -ENOENT : ret;
}

int catalog_host_join(struct catalog *cat, const char *name, int64_t lease_ms)
{
	struct catconn *c;
	int64_t now = 0;
	int ret, alive = 0;

	if (!catalog_host_name_valid(name) || lease_ms < 1)
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = cat_clock_ms(c, &now);
	if (ret == 0)
		ret = alive = host_alive(c, name, now, lease_ms);
	if (ret >= 0)
		ret = host_exec(c, SQL_HOST_JOIN, name, now, 0, "host join");
	if (ret == 0) /* what a run of this name that died held */
		ret = cat_host_leases(c, name, 0, 0, 0);
	ret = cat_txn_end(cat, c, 1, ret < 0 ? ret : 0);
	if (ret == 0) {
		snprintf(cat->host, sizeof(cat->host), "%s", name);
		cat->lease_ms = lease_ms;
		cat->host_started = now;
	}
	return ret < 0 ? ret : alive;
}

int catalog_host_beat(struct catalog *cat)
{
	struct catconn *c;
	int64_t now;
	int ret, n = 0;

	if (!cat->host[0])
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = cat_clock_ms(c, &now);
	if (ret == 0)
		ret = host_exec(c, SQL_HOST_BEAT, cat->host, now,
				cat->host_started, "host beat");
	if (ret == 0)
		n = ret = cat_host_leases(c, cat->host, 1, now, cat->lease_ms);
	ret = cat_txn_end(cat, c, 0, ret < 0 ? ret : 0);
	return ret < 0 ? ret : n;
}

int catalog_host_leave(struct catalog *cat)
{
	struct catconn *c;
	int ret;

	if (!cat->host[0])
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	/* a run of the same name that joined since holds them now */
	ret = host_exec(c, SQL_HOST_LEAVE, cat->host, 0, cat->host_started,
			"host leave");
	if (ret == 0)
		ret = cat_host_leases(c, cat->host, 0, 0, 0);
	if (ret == 0) {
		struct catstmt *st = cat_stmt(c, SQL_HOST_DRIVES_DROP);

		ret = -EIO;
		if (st) {
			cat_bind_text(st, ":name", cat->host);
			ret = cat_exec(c, st, "host drives");
		}
	}
	ret = cat_txn_end(cat, c, 1, ret < 0 ? ret : 0);
	if (ret == 0)
		cat->host[0] = 0;
	return ret;
}

static int host_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_host h;

	memset(&h, 0, sizeof(h));
	cat_col_text(st, 0, h.name, sizeof(h.name));
	h.started = cat_col_i64(st, 1);
	h.heartbeat = cat_col_i64(st, 2);
	return w->fn.host(w->ctx, &h);
}

int catalog_host_list(struct catalog *cat, catalog_host_fn fn, void *ctx)
{
	struct cat_walk w = {.fn.host = fn, .ctx = ctx};

	if (!fn)
		return -EINVAL;
	return cat_read_each(cat, SQL_HOST_LIST, NULL, 0, host_visit, &w,
			     "hosts");
}
