/* catalog/drives.c - the library's drives as their hosts publish them
 * (catalog.h, "the library's drives"): every host shows every drive.
 *
 * A host writes a row only when what it says changed (the caller keeps
 * what it published last), so a library of idle drives costs no write;
 * whether a row is still true is its host's heartbeat's to say, not the
 * row's age.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/internal.h"

static const char SQL_DRIVE_PUT[] =
    "INSERT INTO drive(id, host, state, label, job, progress, updated, "
    "lease_ms) VALUES(:id, :host, :state, :label, :job, :progress, :now, "
    ":lease_ms) ON CONFLICT(id) DO UPDATE SET host = excluded.host, "
    "state = excluded.state, label = excluded.label, job = excluded.job, "
    "progress = excluded.progress, updated = excluded.updated, "
    "lease_ms = excluded.lease_ms";
static const char SQL_DRIVE_DROP_HOST[] =
    "DELETE FROM drive WHERE host = :host";
static const char SQL_DRIVE_LIST[] =
    "SELECT d.id, d.host, d.state, d.label, d.job, d.progress, d.updated, "
    "d.lease_ms, coalesce(h.heartbeat, 0) FROM drive d "
    "LEFT JOIN host h ON h.name = d.host ORDER BY d.id";

static int drive_put(struct catconn *c, const struct catalog_drive *d,
		     const char *host, int64_t lease_ms, int64_t now)
{
	struct catstmt *st = cat_stmt(c, SQL_DRIVE_PUT);

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":id", d->id);
	cat_bind_text(st, ":host", host);
	cat_bind_text(st, ":state", d->state);
	cat_bind_text(st, ":label", d->label);
	cat_bind_text(st, ":job", d->job);
	cat_bind_i64(st, ":progress", d->progress);
	cat_bind_i64(st, ":now", now);
	cat_bind_i64(st, ":lease_ms", lease_ms);
	return cat_exec(c, st, "drive publish");
}

static int drop_host(struct catconn *c, const char *host)
{
	struct catstmt *st = cat_stmt(c, SQL_DRIVE_DROP_HOST);

	if (!st)
		return -EIO;
	cat_bind_text(st, ":host", host);
	return cat_exec(c, st, "drive publish");
}

int catalog_drive_publish(struct catalog *cat, const struct catalog_drive *d,
			  size_t n, int whole)
{
	struct catconn *c;
	int64_t now = 0;
	int ret;

	if (!cat->host[0] || (n && !d))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (d[i].id < 0 || d[i].id >= CATALOG_DRIVE_MAX)
			return -EINVAL;
	if (!n && !whole)
		return 0;
	/* not durable: a row lost to a crash is written again at the next
	 * publish, and the host's heartbeat says it is stale meanwhile */
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = cat_clock_ms(c, &now);
	if (ret == 0 && whole)
		ret = drop_host(c, cat->host);
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = drive_put(c, &d[i], cat->host, cat->lease_ms, now);
	return cat_txn_end(cat, c, 0, ret);
}

struct drive_walk {
	catalog_drive_fn fn;
	void *ctx;
	int64_t now;
};

static int drive_visit(struct catstmt *st, void *arg)
{
	const struct drive_walk *w = arg;
	struct catalog_drive d;

	memset(&d, 0, sizeof(d));
	d.id = cat_col_int(st, 0);
	cat_col_text(st, 1, d.host, sizeof(d.host));
	cat_col_text(st, 2, d.state, sizeof(d.state));
	cat_col_text(st, 3, d.label, sizeof(d.label));
	cat_col_text(st, 4, d.job, sizeof(d.job));
	d.progress = cat_col_int(st, 5);
	d.updated = cat_col_i64(st, 6);
	d.lease_ms = cat_col_i64(st, 7);
	d.heartbeat = cat_col_i64(st, 8);
	d.now = w->now;
	/* no host row: it left, or never joined; else its lease ran out */
	d.stale = d.heartbeat == 0 || w->now - d.heartbeat >= d.lease_ms;
	return w->fn(w->ctx, &d);
}

int catalog_drive_list(struct catalog *cat, catalog_drive_fn fn, void *ctx)
{
	struct drive_walk w = {fn, ctx, 0};
	struct catconn *c;
	struct catstmt *st;
	int ret;

	if (!fn)
		return -EINVAL;
	c = cat_conn_get(cat); /* one snapshot: the clock and the rows */
	if (!c)
		return -EIO;
	ret = cat_clock_ms(c, &w.now);
	if (ret == 0) {
		st = cat_stmt(c, SQL_DRIVE_LIST);
		ret = st ? cat_row_each(c, st, drive_visit, &w, "drive list")
			 : -EIO;
	}
	cat_conn_put(cat, c);
	return ret;
}
