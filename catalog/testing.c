/* catalog/testing.c - damage on purpose, so that tests can show that
 * catalog_check finds (and where safe repairs) each kind of fault. Never
 * called by the daemon.
 */
#include <errno.h>
#include <string.h>

#include "catalog/internal.h"

static const char SQL_BREAK_NAMESPACE[] =
	"UPDATE node SET member = member + 1000000000 WHERE id = "
	"(SELECT min(id) FROM node WHERE member IS NOT NULL)";
static const char SQL_BREAK_COUNT[] =
	"UPDATE archive SET members = members + 1 WHERE id = "
	"(SELECT min(id) FROM archive)";
static const char SQL_BREAK_OFFSETS[] =
	"UPDATE member SET hdr = 0, data = 0 WHERE id = "
	"(SELECT first_member + 1 FROM archive ORDER BY id LIMIT 1)";
static const char SQL_BREAK_BYTES[] =
	"UPDATE tape SET bytes_used = bytes_used + 12345 WHERE barcode = "
	"(SELECT min(barcode) FROM tape)";
static const char SQL_FK_OFF[] = "PRAGMA foreign_keys=OFF";
static const char SQL_FK_ON[] = "PRAGMA foreign_keys=ON";
static const char SQL_BREAK_ORPHAN[] =
	"INSERT INTO copy(archive, barcode, fileno, start_lblock, size) "
	"SELECT 999999, barcode, last_file + 100, 0, 0 FROM tape "
	"ORDER BY barcode LIMIT 1";

static const struct {
	const char *what, *sql;
} breaks[] = {
	{ "namespace", SQL_BREAK_NAMESPACE }, { "count", SQL_BREAK_COUNT },
	{ "offsets", SQL_BREAK_OFFSETS },     { "bytes", SQL_BREAK_BYTES },
	{ "orphan", SQL_BREAK_ORPHAN },
};

int catalog_testing_corrupt(struct catalog *cat, const char *what)
{
	struct catconn *c;
	struct catstmt *st;
	const char *sql = NULL;
	int orphan, ret;

	for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++)
		if (what && strcmp(what, breaks[i].what) == 0)
			sql = breaks[i].sql;
	if (!sql)
		return -EINVAL;
	orphan = sql == SQL_BREAK_ORPHAN;
	pthread_mutex_lock(&cat->write_lock);
	c = cat->wconn;
	/* foreign keys can only be switched outside a transaction */
	if (orphan && (ret = cat_exec_sql(c, SQL_FK_OFF)) < 0)
		goto out;
	st = cat_stmt(c, sql);
	ret = st ? cat_exec(c, st, what) : -EIO;
	if (ret == 0 && cat_changes(c) == 0)
		ret = -ENOENT;
	if (orphan)
		cat_exec_sql(c, SQL_FK_ON);
out:
	pthread_mutex_unlock(&cat->write_lock);
	return ret;
}
