/* catalog/testing.c - damage on purpose, so that tests can show that
 * catalog_check finds (and where safe repairs) each kind of fault; and
 * where a test's catalog lives (a sqlite file, or a schema of its own on
 * the PostgreSQL server of TAPEFS_TEST_PG). Never called by the daemon.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* FNV-1a of s: a schema's name from a path. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

int catalog_testing_where(const char *path, char *buf, size_t size)
{
	const char *base = getenv("TAPEFS_TEST_PG");
	char abs[4096], schema[40], sql[80];
	struct catconn *c;
	int n, ret;

	if (!base || !*base || !path ||
	    catalog_kind_of(path) == CATALOG_KIND_POSTGRESQL) {
		n = snprintf(buf, size, "%s", path ? path : "");
		return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
	}
	if (path[0] == '/')
		n = snprintf(abs, sizeof(abs), "%s", path);
	else if (getcwd(abs, sizeof(abs)))
		n = snprintf(abs + strlen(abs), sizeof(abs) - strlen(abs),
			     "/%s", path);
	else
		return -errno;
	if (n < 0 || (size_t)n >= sizeof(abs))
		return -ENAMETOOLONG;
	snprintf(schema, sizeof(schema), "t%016llx",
		 (unsigned long long)fnv1a(abs));
	n = snprintf(buf, size, "%s%coptions=-csearch_path%%3D%s", base,
		     strchr(base, '?') ? '&' : '?', schema);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	ret = cat_conn_open(&c, &cat_pg_ops, base, 0);
	if (ret < 0)
		return ret;
	snprintf(sql, sizeof(sql), "CREATE SCHEMA IF NOT EXISTS %s", schema);
	ret = cat_exec_sql(c, sql);
	cat_conn_close(c);
	return ret;
}

int catalog_testing_open(struct catalog **out, const char *path)
{
	char where[8192];
	int ret = catalog_testing_where(path, where, sizeof(where));

	return ret < 0 ? ret : catalog_open(out, where);
}
