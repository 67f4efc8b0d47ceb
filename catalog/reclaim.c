/* catalog/reclaim.c - what is dead on tape and getting it back: a path
 * deleted from the namespace, a tape's live and dead bytes, and the
 * reclaim of a tape that holds no live archive (catalog.h, "deletes and
 * reclaims").
 */
#include <errno.h>
#include <string.h>

#include "catalog/internal.h"

static const char SQL_NS_DELETE[] =
    "UPDATE node SET member = NULL WHERE member = :member "
    "AND id = (SELECT node FROM member WHERE id = :member) "
    "AND (SELECT type FROM member WHERE id = :member) != 1";
/* Bytes of the files of every copy on the tape (lost ones too: their
 * bytes are on it) and of those a path still shows through a copy that
 * is not lost. */
static const char SQL_TAPE_USAGE[] =
    "SELECT coalesce(sum(member.size), 0), coalesce(sum(CASE WHEN "
    "copy.state != 2 AND node.member = member.id THEN member.size ELSE 0 "
    "END), 0) FROM copy JOIN member ON member.archive = copy.archive "
    "JOIN node ON node.id = member.node WHERE copy.barcode = :barcode";
static const char SQL_LIVE_COUNT[] =
    "SELECT count(*) FROM copy WHERE barcode = :barcode AND state != 2 "
    "AND " CAT_LIVE_ARCHIVE("copy.archive");
static const char SQL_LIVE_ON[] =
    "SELECT 1 FROM copy WHERE barcode = :barcode AND state != 2 "
    "AND " CAT_LIVE_ARCHIVE("copy.archive") " LIMIT 1";
static const char SQL_RECLAIM_BEGIN[] =
    "UPDATE tape SET state = 3, label_uuid = :uuid WHERE barcode = "
    ":barcode AND state IN (1, 2, 3)";
static const char SQL_RECLAIM_RESULTS[] =
    "DELETE FROM result WHERE copy IN (SELECT id FROM copy "
    "WHERE barcode = :barcode)";
static const char SQL_RECLAIM_COPIES[] =
    "DELETE FROM copy WHERE barcode = :barcode";
static const char SQL_RECLAIM_END[] =
    "UPDATE tape SET state = 0, last_file = 0, bytes_used = 0, "
    "last_verified = 0 WHERE barcode = :barcode AND state = 3 "
    "AND label_uuid = :uuid";

int catalog_ns_delete(struct catalog *cat, int64_t member_id)
{
	return cat_write_id(cat, SQL_NS_DELETE, ":member", member_id, NULL,
			    NULL, "ns delete");
}

static void usage_row(struct catstmt *st, void *out)
{
	struct catalog_tape_usage *u = out;
	uint64_t all = (uint64_t)cat_col_i64(st, 0);

	u->live_bytes = (uint64_t)cat_col_i64(st, 1);
	u->dead_bytes = all - u->live_bytes;
}

static void count_row(struct catstmt *st, void *out)
{
	*(int64_t *)out = cat_col_i64(st, 0);
}

int catalog_tape_usage(struct catalog *cat, const char *barcode,
		       struct catalog_tape_usage *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = cat_read_tape(cat, SQL_TAPE_USAGE, barcode, -1, usage_row, out,
			    "tape usage");
	if (ret == 0)
		ret = cat_read_tape(cat, SQL_LIVE_COUNT, barcode, -1, count_row,
				    &out->live_archives, "tape live");
	return ret;
}

/* Whether the tape holds a live archive (c in a transaction): 1, 0,
 * -errno. */
static int live_on(struct catconn *c, const char *barcode)
{
	struct catstmt *st = cat_stmt(c, SQL_LIVE_ON);
	int ret;

	if (!st)
		return -EIO;
	cat_bind_text(st, ":barcode", barcode);
	ret = cat_row_get(c, st, cat_row_none, NULL, "live on");
	return ret == 0 ? 1 : ret == -ENOENT ? 0 : ret;
}

/* One statement of the reclaim with :barcode (and :uuid when not NULL)
 * bound; must change a row when one. */
static int reclaim_step(struct catconn *c, const char *sql, const char *barcode,
			const char *uuid, int one)
{
	struct catstmt *st = cat_stmt(c, sql);
	int ret;

	if (!st)
		return -EIO;
	cat_bind_text(st, ":barcode", barcode);
	if (uuid)
		cat_bind_text(st, ":uuid", uuid);
	ret = cat_exec(c, st, "reclaim");
	if (ret == 0 && one && cat_changes(c) == 0)
		ret = -EINVAL;
	return ret;
}

int catalog_tape_reclaim(struct catalog *cat, const char *barcode,
			 const char *uuid, int end)
{
	struct catconn *c;
	int ret;

	if (!barcode || !uuid || !*uuid || strlen(uuid) >= 40)
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = live_on(c, barcode);
	if (ret > 0)
		ret = -EBUSY;
	if (ret == 0 && !end)
		ret = reclaim_step(c, SQL_RECLAIM_BEGIN, barcode, uuid, 1);
	if (ret == 0 && end)
		ret = reclaim_step(c, SQL_RECLAIM_RESULTS, barcode, NULL, 0);
	if (ret == 0 && end)
		ret = reclaim_step(c, SQL_RECLAIM_COPIES, barcode, NULL, 0);
	if (ret == 0 && end)
		ret = reclaim_step(c, SQL_RECLAIM_END, barcode, uuid, 1);
	return cat_txn_end(cat, c, 1, ret);
}
