/* catalog/archives.c - archives and their copies on tape, per-tape views.
 */
#include <errno.h>
#include <string.h>

#include "catalog/internal.h"

#define COPY_COLS CAT_COPY_COLS

static const char SQL_ARCHIVE_GET[] =
	"SELECT id, dump, created, members, bytes, block_size, md5, uuid, kind "
	"FROM archive WHERE id = :id";
static const char SQL_ARCHIVES[] =
	"SELECT id, dump, created, members, bytes, block_size, md5 "
	"FROM archive ORDER BY id";
static const char SQL_ARCHIVE_COPIES[] =
	"SELECT " COPY_COLS " FROM copy WHERE archive = :archive ORDER BY id";
static const char SQL_TAPE_COPIES[] =
	"SELECT " COPY_COLS " FROM copy WHERE barcode = :barcode "
	"ORDER BY fileno";
static const char SQL_COPY_GET[] =
	"SELECT " COPY_COLS " FROM copy WHERE barcode = :barcode "
	"AND fileno = :fileno";
static const char SQL_COPIES_UNVERIFIED[] =
	"SELECT " COPY_COLS " FROM copy WHERE last_verified = 0 "
	"ORDER BY barcode, fileno";
static const char SQL_COPIES_DUE[] =
    "SELECT " COPY_COLS " FROM copy WHERE state = 0 "
    "AND last_verified < :before ORDER BY last_verified, barcode, fileno";
static const char SQL_TAPE_EXISTS[] =
	"SELECT 1 FROM tape WHERE barcode = :barcode";
static const char SQL_TAPE_SUMMARY[] =
    "SELECT count(copy.id), coalesce(sum(copy.size), 0), "
    "coalesce(sum(archive.members), 0), "
    "coalesce(sum(CASE WHEN copy.last_verified > 0 THEN 1 ELSE 0 END), 0), "
    "coalesce(min(CASE WHEN copy.state != 2 THEN copy.last_verified END), "
    "0), "
    "coalesce(sum(CASE WHEN copy.last_result IN (2, 3) THEN 1 ELSE 0 END), "
    "0) "
    "FROM copy JOIN archive ON archive.id = copy.archive "
    "WHERE copy.barcode = :barcode";

static const char *const results[] = { "none", "OK", "BAD", "UNREADABLE" };

const char *catalog_result_name(enum catalog_result r)
{
	if ((unsigned)r >= sizeof(results) / sizeof(results[0]))
		return "?";
	return results[r];
}

void cat_copy_row(struct catstmt *st, void *out)
{
	struct catalog_copy *cp = out;

	memset(cp, 0, sizeof(*cp));
	cp->id = cat_col_i64(st, 0);
	cp->archive = cat_col_i64(st, 1);
	cat_col_text(st, 2, cp->barcode, sizeof(cp->barcode));
	cp->fileno = cat_col_i64(st, 3);
	cp->start_lblock = (uint64_t)cat_col_i64(st, 4);
	cp->size = (uint64_t)cat_col_i64(st, 5);
	cp->state = (enum catalog_copy_state)cat_col_int(st, 6);
	cp->last_verified = cat_col_i64(st, 7);
	cp->last_result = (enum catalog_result)cat_col_int(st, 8);
}

static int copy_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_copy row;

	cat_copy_row(st, &row);
	return w->fn.copy(w->ctx, &row);
}

void cat_archive_row(struct catstmt *st, void *out)
{
	struct catalog_archive *a = out;

	memset(a, 0, sizeof(*a));
	a->id = cat_col_i64(st, 0);
	a->dump_id = cat_col_i64(st, 1);
	a->created = cat_col_i64(st, 2);
	a->members = (uint64_t)cat_col_i64(st, 3);
	a->bytes = (uint64_t)cat_col_i64(st, 4);
	a->block_size = (uint32_t)cat_col_i64(st, 5);
	cat_col_text(st, 6, a->md5, sizeof(a->md5));
	cat_col_text(st, 7, a->uuid, sizeof(a->uuid));
	a->kind = (enum catalog_archive_kind)cat_col_int(st, 8);
}

int catalog_archive_get(struct catalog *cat, int64_t archive_id,
			struct catalog_archive *out)
{
	return cat_read_get(cat, SQL_ARCHIVE_GET, ":id", archive_id, cat_archive_row,
			    out, "archive get");
}

int catalog_archives(struct catalog *cat, catalog_archive_fn fn, void *ctx)
{
	struct catconn *c = cat_conn_get(cat);
	struct catalog_archive a;
	struct catstmt *st;
	int rc, ret = -EIO;

	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_ARCHIVES);
	if (!st)
		goto out;
	ret = 0;
	while (!ret && (rc = cat_step(st, "archives")) == 1) {
		cat_archive_row(st, &a);
		ret = fn(ctx, &a);
	}
	if (!ret && rc != 0)
		ret = rc;
	cat_done(st);
out:
	cat_conn_put(cat, c);
	return ret;
}

/* Run a copy query bound with (name = text or num) and call fn per row. */
static int copies_each(struct catalog *cat, const char *sql, const char *name,
		       const char *text, int64_t num, catalog_copy_fn fn,
		       void *ctx)
{
	struct catconn *c = cat_conn_get(cat);
	struct cat_walk w = { .fn.copy = fn, .ctx = ctx };
	struct catstmt *st;
	int ret = -EIO;

	if (!c)
		return -EIO;
	st = cat_stmt(c, sql);
	if (!st)
		goto out;
	if (name && text)
		cat_bind_text(st, name, text);
	else if (name)
		cat_bind_i64(st, name, num);
	ret = cat_row_each(c, st, copy_visit, &w, "copies");
out:
	cat_conn_put(cat, c);
	return ret;
}

int catalog_archive_copies(struct catalog *cat, int64_t archive_id,
			   catalog_copy_fn fn, void *ctx)
{
	return copies_each(cat, SQL_ARCHIVE_COPIES, ":archive", NULL,
			   archive_id, fn, ctx);
}

int catalog_tape_copies(struct catalog *cat, const char *barcode,
			catalog_copy_fn fn, void *ctx)
{
	if (!barcode)
		return -EINVAL;
	return copies_each(cat, SQL_TAPE_COPIES, ":barcode", barcode, 0, fn,
			   ctx);
}

int catalog_copies_unverified(struct catalog *cat, catalog_copy_fn fn,
			      void *ctx)
{
	return copies_each(cat, SQL_COPIES_UNVERIFIED, NULL, NULL, 0, fn, ctx);
}

int catalog_copies_due(struct catalog *cat, int64_t before, catalog_copy_fn fn,
		       void *ctx)
{
	return copies_each(cat, SQL_COPIES_DUE, ":before", NULL, before, fn,
			   ctx);
}

int catalog_copy_get(struct catalog *cat, const char *barcode, int64_t fileno,
		     struct catalog_copy *out)
{
	struct catconn *c;
	struct catstmt *st;
	int ret = -EIO;

	if (!barcode)
		return -EINVAL;
	c = cat_conn_get(cat);
	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_COPY_GET);
	if (!st)
		goto out;
	cat_bind_text(st, ":barcode", barcode);
	cat_bind_i64(st, ":fileno", fileno);
	ret = cat_row_get(c, st, cat_copy_row, out, "copy get");
out:
	cat_conn_put(cat, c);
	return ret;
}

int catalog_tape_summary(struct catalog *cat, const char *barcode,
			 struct catalog_tape_summary *out)
{
	struct catconn *c;
	struct catstmt *st;
	int rc, ret = -EIO;

	if (!barcode)
		return -EINVAL;
	c = cat_conn_get(cat);
	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_TAPE_EXISTS);
	if (!st)
		goto out;
	cat_bind_text(st, ":barcode", barcode);
	rc = cat_step(st, "tape");
	cat_done(st);
	if (rc != 1) {
		ret = rc == 0 ? -ENOENT : rc;
		goto out;
	}
	st = cat_stmt(c, SQL_TAPE_SUMMARY);
	if (!st)
		goto out;
	cat_bind_text(st, ":barcode", barcode);
	rc = cat_step(st, "tape summary");
	if (rc == 1) {
		out->archives = (uint64_t)cat_col_i64(st, 0);
		out->bytes = (uint64_t)cat_col_i64(st, 1);
		out->members = (uint64_t)cat_col_i64(st, 2);
		out->verified = (uint64_t)cat_col_i64(st, 3);
		out->last_verified = cat_col_i64(st, 4);
		out->failed = (uint64_t)cat_col_i64(st, 5);
		ret = 0;
	} else {
		ret = rc;
	}
	cat_done(st);
out:
	cat_conn_put(cat, c);
	return ret;
}
