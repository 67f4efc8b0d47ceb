/* catalog/imports.c - what a rebuild from the tapes adds beside the
 * import commit (catalog/commit.c): archives found by uuid, copies added
 * to an archive already known, partial archives journaled so that the
 * next dump may write over them, the newest catalog snapshot.
 */
#include <errno.h>
#include <string.h>

#include "catalog/internal.h"

static const char SQL_ARCHIVE_BY_UUID[] =
	"SELECT id FROM archive WHERE uuid = :uuid AND uuid != '' "
	"ORDER BY id LIMIT 1";
static const char SQL_ARCHIVE_EXISTS[] = "SELECT 1 FROM archive WHERE id = :id";
static const char SQL_TAPE_EXISTS[] =
	"SELECT state FROM tape WHERE barcode = :barcode";
static const char SQL_PARTIAL_DUMP[] =
	"INSERT INTO dump(state, created, updated, error) "
	"VALUES(3, :now, :now, :error)";
static const char SQL_PARTIAL_TAPE[] =
	"INSERT INTO dump_tape(dump, copy, barcode, fileno, start_lblock, "
	"abandoned) VALUES(:dump, 0, :barcode, :fileno, :start_lblock, 1)";
/* A closed tape whose partial archive comes right after what the catalog
 * knows of it was closed for holding it: it may be written again. */
static const char SQL_PARTIAL_REOPEN[] =
	"UPDATE tape SET state = CASE WHEN last_file = 0 THEN 0 ELSE 1 END "
	"WHERE barcode = :barcode AND state = 3 AND last_file = :fileno - 1";
static const char SQL_ADOPTED[] =
	"SELECT 1 FROM tape WHERE barcode = :barcode AND state = 5";
static const char SQL_PARTIAL_KNOWN[] =
	"SELECT 1 FROM dump_tape WHERE barcode = :barcode AND fileno = :fileno "
	"LIMIT 1";
static const char SQL_ARCHIVE_COUNT[] =
	"SELECT count(*) FROM archive WHERE kind = :kind";
static const char SQL_ARCHIVES_AFTER[] =
	"SELECT count(*), coalesce(min(created), 0) FROM archive "
	"WHERE kind = 0 AND id > :id";
static const char SQL_SNAPSHOT_LATEST[] =
	"SELECT id FROM archive WHERE kind = 1 ORDER BY created DESC, id DESC "
	"LIMIT 1";

static void id_row(struct catstmt *st, void *out)
{
	*(int64_t *)out = cat_col_i64(st, 0);
}

int catalog_archive_find(struct catalog *cat, const char *uuid,
			 int64_t *archive_id)
{
	struct catconn *c;
	struct catstmt *st;
	int ret = -EIO;

	if (!uuid || !*uuid)
		return -EINVAL;
	c = cat_conn_get(cat);
	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_ARCHIVE_BY_UUID);
	if (st) {
		cat_bind_text(st, ":uuid", uuid);
		ret = cat_row_get(c, st, id_row, archive_id, "archive find");
	}
	cat_conn_put(cat, c);
	return ret;
}

/* One row expected from st (bound): 0, -ENOENT, -errno. */
static int exists(struct catconn *c, struct catstmt *st, const char *what)
{
	int64_t one;

	return cat_row_get(c, st, id_row, &one, what);
}

int catalog_copy_import(struct catalog *cat, int64_t archive_id,
			const struct catalog_copy_in *cp)
{
	struct catconn *c;
	struct catstmt *st;
	int64_t state = 0;
	int ret;

	if (!cp || !cp->barcode || cp->fileno < 1)
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_ARCHIVE_EXISTS);
	if (!st)
		goto out;
	cat_bind_i64(st, ":id", archive_id);
	ret = exists(c, st, "archive");
	if (ret < 0)
		goto out;
	ret = -EIO;
	st = cat_stmt(c, SQL_TAPE_EXISTS);
	if (!st)
		goto out;
	cat_bind_text(st, ":barcode", cp->barcode);
	ret = cat_row_get(c, st, id_row, &state, "tape");
	if (ret < 0)
		goto out;
	ret = -EROFS;
	if (state == CATALOG_TAPE_ADOPTED)
		goto out;
	ret = cat_copy_add(c, archive_id, cp, 1);
out:
	return cat_txn_end(cat, c, 1, ret);
}

/* Already journaled? 1, 0, -errno. */
static int partial_known(struct catconn *c, const char *barcode, int64_t fileno)
{
	struct catstmt *st = cat_stmt(c, SQL_PARTIAL_KNOWN);
	int ret;

	if (!st)
		return -EIO;
	cat_bind_text(st, ":barcode", barcode);
	cat_bind_i64(st, ":fileno", fileno);
	ret = exists(c, st, "partial known");
	return ret == 0 ? 1 : ret == -ENOENT ? 0 : ret;
}

int catalog_dump_partial(struct catalog *cat, const char *barcode,
			 int64_t fileno, uint64_t start_lblock, int64_t when,
			 const char *why)
{
	struct catconn *c;
	struct catstmt *st;
	int ret;

	if (!barcode || !*barcode || fileno < 1)
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_ADOPTED);
	if (!st)
		goto out;
	cat_bind_text(st, ":barcode", barcode);
	ret = exists(c, st, "adopted");
	if (ret != -ENOENT) {
		ret = ret ? ret : -EROFS;
		goto out;
	}
	ret = partial_known(c, barcode, fileno);
	if (ret != 0) /* known already (1), or an error */
		goto out;
	ret = -EIO;
	st = cat_stmt(c, SQL_PARTIAL_DUMP);
	if (!st)
		goto out;
	cat_bind_i64(st, ":now", when ? when : cat_now());
	cat_bind_text(st, ":error", why ? why : "");
	ret = cat_exec(c, st, "partial dump");
	if (ret < 0)
		goto out;
	ret = -EIO;
	st = cat_stmt(c, SQL_PARTIAL_TAPE);
	if (!st)
		goto out;
	cat_bind_i64(st, ":dump", cat_last_id(c));
	cat_bind_text(st, ":barcode", barcode);
	cat_bind_i64(st, ":fileno", fileno);
	cat_bind_i64(st, ":start_lblock", (int64_t)start_lblock);
	ret = cat_exec(c, st, "partial tape");
	if (ret < 0)
		goto out;
	ret = -EIO;
	st = cat_stmt(c, SQL_PARTIAL_REOPEN);
	if (!st)
		goto out;
	cat_bind_text(st, ":barcode", barcode);
	cat_bind_i64(st, ":fileno", fileno);
	ret = cat_exec(c, st, "partial reopen");
out:
	return cat_txn_end(cat, c, 1, ret < 0 ? ret : 0);
}

int64_t catalog_archive_count(struct catalog *cat,
			      enum catalog_archive_kind kind)
{
	int64_t n = 0;
	int ret = cat_read_get(cat, SQL_ARCHIVE_COUNT, ":kind", kind, id_row,
			       &n, "archive count");

	return ret < 0 ? ret : n;
}

int catalog_snapshot_latest(struct catalog *cat, int64_t *archive_id)
{
	return cat_read_get(cat, SQL_SNAPSHOT_LATEST, NULL, 0, id_row,
			    archive_id, "snapshot latest");
}

struct after_row {
	int64_t n, first;
};

static void after_row(struct catstmt *st, void *out)
{
	struct after_row *r = out;

	r->n = cat_col_i64(st, 0);
	r->first = cat_col_i64(st, 1);
}

int64_t catalog_archives_after(struct catalog *cat, int64_t after_id,
			       int64_t *first_created)
{
	struct after_row r = {0, 0};
	int ret = cat_read_get(cat, SQL_ARCHIVES_AFTER, ":id", after_id,
			       after_row, &r, "archives after");

	if (ret < 0)
		return ret;
	if (first_created)
		*first_created = r.first;
	return r.n;
}
