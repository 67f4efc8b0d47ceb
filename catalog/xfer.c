/* catalog/xfer.c - tape-to-tape copies of committed archives: their
 * journal, their commit, the copies to repair and the archives lacking a
 * copy in a pool (catalog.h, "tape-to-tape copies").
 */
#include <errno.h>
#include <string.h>

#include "catalog/internal.h"

static const char SQL_XFER_TAPE_OK[] =
    "SELECT 1 FROM tape WHERE barcode = :barcode AND state IN (0, 1, 2) "
    "AND last_file < :fileno AND NOT EXISTS (SELECT 1 FROM copy "
    "WHERE copy.barcode = :barcode AND copy.archive = :archive "
    "AND copy.state != 2)";
static const char SQL_XFER_ADD[] =
    "INSERT INTO xfer(archive, source, replaces, barcode, fileno, "
    "start_lblock, state, created, updated) VALUES(:archive, :source, "
    ":replaces, :barcode, :fileno, :start, 0, :now, :now)";
static const char SQL_XFER_FAIL[] =
    "UPDATE xfer SET state = 2, updated = :now, error = :error "
    "WHERE id = :id AND state = 0";
static const char SQL_XFER_GET[] =
    "SELECT archive, replaces, barcode, fileno, start_lblock FROM xfer "
    "WHERE id = :id AND state = 0";
static const char SQL_XFER_TAPE[] =
    "UPDATE tape SET last_file = :fileno, bytes_used = bytes_used + :size, "
    "state = CASE WHEN state = 0 THEN 1 ELSE state END "
    "WHERE barcode = :barcode AND last_file < :fileno AND state IN (0, 1, 2)";
static const char SQL_XFER_COPY[] =
    "INSERT INTO copy(archive, barcode, fileno, start_lblock, size, state) "
    "VALUES(:archive, :barcode, :fileno, :start, :size, 0)";
static const char SQL_XFER_LOSE[] =
    "UPDATE copy SET state = 2 WHERE id = :id AND archive = :archive";
static const char SQL_XFER_DONE[] =
    "UPDATE xfer SET state = 1, copy = :copy, updated = :now WHERE id = :id";
static const char SQL_XFER_WROTE[] =
    "SELECT 1 FROM xfer WHERE barcode = :barcode AND fileno = :fileno "
    "LIMIT 1";
static const char SQL_XFER_STALE[] =
    "UPDATE xfer SET state = 2, updated = :now, error = 'interrupted' "
    "WHERE state = 0 AND " CAT_NOT_LEASED_ELSEWHERE;
static const char SQL_XFER_UNFINISHED[] =
    "SELECT count(*) FROM xfer WHERE state = 0";
static const char SQL_COPY_STATE[] =
    "UPDATE copy SET state = CASE WHEN state = 2 THEN 2 ELSE :state END "
    "WHERE id = :id";
static const char SQL_COPIES_BAD[] =
    "SELECT " CAT_COPY_COLS " FROM copy WHERE state = 1 "
    "AND (:barcode IS NULL OR barcode = :barcode) ORDER BY barcode, fileno";
static const char SQL_COPIES_LIVE[] =
    "SELECT " CAT_COPY_COLS " FROM copy WHERE state != 2 "
    "AND " CAT_LIVE_ARCHIVE(
	"copy.archive") " "
			"AND (:barcode IS NULL OR barcode = :barcode) "
			"AND (:pool IS NULL OR barcode IN (SELECT barcode FROM "
			"tape "
			"WHERE pool = :pool)) ORDER BY barcode, fileno";
static const char SQL_ARCHIVES_LACKING[] =
    "SELECT id, dump, created, members, bytes, block_size, md5 "
    "FROM archive WHERE NOT EXISTS (SELECT 1 FROM copy JOIN tape "
    "ON tape.barcode = copy.barcode WHERE copy.archive = archive.id "
    "AND copy.state != 2 AND tape.pool = :pool) AND NOT EXISTS (SELECT 1 "
    "FROM copy JOIN tape ON tape.barcode = copy.barcode WHERE "
    "copy.archive = archive.id AND tape.state = 5) ORDER BY id";

/* The tape may take the copy: 0, -EINVAL, -errno. */
static int xfer_tape_ok(struct catconn *c, const struct catalog_xfer_in *x)
{
	struct catstmt *st = cat_stmt(c, SQL_XFER_TAPE_OK);
	int ret;

	if (!st)
		return -EIO;
	cat_bind_text(st, ":barcode", x->barcode);
	cat_bind_i64(st, ":fileno", x->fileno);
	cat_bind_i64(st, ":archive", x->archive);
	ret = cat_row_get(c, st, cat_row_none, NULL, "xfer tape");
	return ret == -ENOENT ? -EINVAL : ret;
}

int catalog_xfer_begin(struct catalog *cat, const struct catalog_xfer_in *x,
		       int64_t *id)
{
	struct catconn *c;
	struct catstmt *st;
	int64_t new_id = 0;
	int ret;

	if (!x || !x->barcode || !*x->barcode || x->fileno < 1)
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = xfer_tape_ok(c, x);
	if (ret < 0)
		goto out;
	ret = -EIO;
	st = cat_stmt(c, SQL_XFER_ADD);
	if (!st)
		goto out;
	cat_bind_i64(st, ":archive", x->archive);
	cat_bind_i64(st, ":source", x->source);
	cat_bind_i64(st, ":replaces", x->replaces);
	cat_bind_text(st, ":barcode", x->barcode);
	cat_bind_i64(st, ":fileno", x->fileno);
	cat_bind_i64(st, ":start", (int64_t)x->start_lblock);
	cat_bind_i64(st, ":now", cat_now());
	ret = cat_exec(c, st, "xfer add");
	if (ret == -EEXIST)
		ret = -ENOENT; /* a foreign key: no such archive */
	if (ret == 0)
		new_id = cat_last_id(c);
	if (ret == 0)
		ret = cat_lease_stamp(cat, c, CATALOG_WORK_XFER, new_id);
out:
	ret = cat_txn_end(cat, c, 1, ret);
	if (ret == 0 && id)
		*id = new_id;
	return ret;
}

int catalog_xfer_fail(struct catalog *cat, int64_t xfer_id, const char *why)
{
	return cat_write_id(cat, SQL_XFER_FAIL, ":id", xfer_id, ":error", why,
			    "xfer fail");
}

/* What the commit needs of the journal row. */
struct xfer_row {
	int64_t archive, replaces, fileno, start;
	char barcode[40];
};

static void xfer_row(struct catstmt *st, void *out)
{
	struct xfer_row *x = out;

	x->archive = cat_col_i64(st, 0);
	x->replaces = cat_col_i64(st, 1);
	cat_col_text(st, 2, x->barcode, sizeof(x->barcode));
	x->fileno = cat_col_i64(st, 3);
	x->start = cat_col_i64(st, 4);
}

/* Step one bound statement that must change a row: -EINVAL when none. */
static int exec_one(struct catconn *c, struct catstmt *st, const char *what)
{
	int ret = cat_exec(c, st, what);

	if (ret == 0 && cat_changes(c) == 0)
		ret = -EINVAL;
	return ret;
}

static int commit_rows(struct catconn *c, const struct xfer_row *x,
		       uint64_t size, int64_t *copy)
{
	struct catstmt *st = cat_stmt(c, SQL_XFER_TAPE);
	int ret;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":fileno", x->fileno);
	cat_bind_i64(st, ":size", (int64_t)size);
	cat_bind_text(st, ":barcode", x->barcode);
	ret = exec_one(c, st, "xfer tape");
	if (ret < 0 || !(st = cat_stmt(c, SQL_XFER_COPY)))
		return ret < 0 ? ret : -EIO;
	cat_bind_i64(st, ":archive", x->archive);
	cat_bind_text(st, ":barcode", x->barcode);
	cat_bind_i64(st, ":fileno", x->fileno);
	cat_bind_i64(st, ":start", x->start);
	cat_bind_i64(st, ":size", (int64_t)size);
	ret = exec_one(c, st, "xfer copy");
	if (ret < 0)
		return ret;
	*copy = cat_last_id(c);
	if (!x->replaces)
		return 0;
	if (!(st = cat_stmt(c, SQL_XFER_LOSE)))
		return -EIO;
	cat_bind_i64(st, ":id", x->replaces);
	cat_bind_i64(st, ":archive", x->archive);
	return exec_one(c, st, "xfer lose");
}

int catalog_xfer_commit(struct catalog *cat, int64_t xfer_id, uint64_t size,
			int64_t *copy_id)
{
	struct xfer_row x;
	struct catconn *c;
	struct catstmt *st;
	int64_t copy = 0;
	int ret;

	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_XFER_GET);
	if (!st)
		goto out;
	cat_bind_i64(st, ":id", xfer_id);
	ret = cat_row_get(c, st, xfer_row, &x, "xfer get");
	if (ret == 0)
		ret = commit_rows(c, &x, size, &copy);
	if (ret < 0)
		goto out;
	ret = -EIO;
	st = cat_stmt(c, SQL_XFER_DONE);
	if (!st)
		goto out;
	cat_bind_i64(st, ":id", xfer_id);
	cat_bind_i64(st, ":copy", copy);
	cat_bind_i64(st, ":now", cat_now());
	ret = cat_exec(c, st, "xfer done");
	if (ret == 0 && copy_id)
		*copy_id = copy;
out:
	return cat_txn_end(cat, c, 1, ret);
}

int catalog_xfer_wrote(struct catalog *cat, const char *barcode, int64_t fileno)
{
	return cat_tape_file_known(cat, SQL_XFER_WROTE, barcode, fileno,
				   "xfer wrote");
}

int catalog_xfer_interrupt_stale(struct catalog *cat)
{
	struct catconn *c;
	struct catstmt *st;
	int ret, n = 0;

	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_XFER_STALE);
	if (!st)
		goto out;
	cat_bind_i64(st, ":now", cat_now());
	ret = cat_lease_bind_stale(cat, c, st);
	if (ret == 0)
		ret = cat_exec(c, st, "xfer stale");
	n = cat_changes(c);
out:
	ret = cat_txn_end(cat, c, 1, ret);
	return ret < 0 ? ret : n;
}

static void count_row(struct catstmt *st, void *out)
{
	*(int64_t *)out = cat_col_i64(st, 0);
}

int64_t catalog_xfer_unfinished(struct catalog *cat)
{
	int64_t n = 0;
	int ret = cat_read_get(cat, SQL_XFER_UNFINISHED, NULL, 0, count_row, &n,
			       "xfer unfinished");

	return ret < 0 ? ret : n;
}

int catalog_copy_set_state(struct catalog *cat, int64_t copy_id,
			   enum catalog_copy_state state)
{
	struct catconn *c;
	struct catstmt *st;
	int ret;

	if ((unsigned)state > CATALOG_COPY_LOST)
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_COPY_STATE);
	if (!st)
		goto out;
	cat_bind_i64(st, ":id", copy_id);
	cat_bind_i64(st, ":state", state);
	ret = cat_exec(c, st, "copy state");
	if (ret == 0 && cat_changes(c) == 0)
		ret = -ENOENT;
out:
	return cat_txn_end(cat, c, 1, ret);
}

static int copy_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_copy row;

	cat_copy_row(st, &row);
	return w->fn.copy(w->ctx, &row);
}

/* The copies of sql (":barcode" and ":pool" bound, NULL when not given)
 * to fn. */
static int copies_each(struct catalog *cat, const char *sql,
		       const char *barcode, const char *pool,
		       catalog_copy_fn fn, void *ctx, const char *what)
{
	struct cat_walk w = {.fn.copy = fn, .ctx = ctx};
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int ret = -EIO;

	if (!c)
		return -EIO;
	st = cat_stmt(c, sql);
	if (!st)
		goto out;
	if (barcode)
		cat_bind_text(st, ":barcode", barcode);
	else
		cat_bind_null(st, ":barcode");
	if (sql == SQL_COPIES_LIVE && pool)
		cat_bind_text(st, ":pool", pool);
	else if (sql == SQL_COPIES_LIVE)
		cat_bind_null(st, ":pool");
	ret = cat_row_each(c, st, copy_visit, &w, what);
out:
	cat_conn_put(cat, c);
	return ret;
}

int catalog_copies_bad(struct catalog *cat, const char *barcode,
		       catalog_copy_fn fn, void *ctx)
{
	return copies_each(cat, SQL_COPIES_BAD, barcode, NULL, fn, ctx,
			   "copies bad");
}

int catalog_copies_live(struct catalog *cat, const char *barcode,
			const char *pool, catalog_copy_fn fn, void *ctx)
{
	return copies_each(cat, SQL_COPIES_LIVE, barcode, pool, fn, ctx,
			   "copies live");
}

/* One archive row to the caller's catalog_archive_fn (arg: its pair). */
struct archive_walk {
	catalog_archive_fn fn;
	void *ctx;
};

static int archive_visit(struct catstmt *st, void *arg)
{
	const struct archive_walk *w = arg;
	struct catalog_archive a;

	cat_archive_row(st, &a);
	return w->fn(w->ctx, &a);
}

int catalog_archives_lacking(struct catalog *cat, const char *pool,
			     catalog_archive_fn fn, void *ctx)
{
	struct archive_walk w = {.fn = fn, .ctx = ctx};
	struct catconn *c;
	struct catstmt *st;
	int ret = -EIO;

	if (!pool || !*pool)
		return -EINVAL;
	c = cat_conn_get(cat);
	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_ARCHIVES_LACKING);
	if (!st)
		goto out;
	cat_bind_text(st, ":pool", pool);
	ret = cat_row_each(c, st, archive_visit, &w, "archives lacking");
out:
	cat_conn_put(cat, c);
	return ret;
}
