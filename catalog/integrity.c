/* catalog/integrity.c - the page-level check of the catalog file that the
 * mount runs before it trusts it (catalog_quick_check()): sqlite's own
 * quick_check (every b-tree page well formed, every record readable),
 * bounded in time by a progress handler.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog/internal.h"

static const char SQL_QUICK_CHECK_1[] = "PRAGMA quick_check(1)";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* sqlite's progress handler: non-zero interrupts the statement. */
static int past_deadline(void *arg)
{
	return now_s() > *(const double *)arg;
}

int catalog_quick_check(struct catalog *cat, unsigned budget_ms, char *why,
			size_t whylen)
{
	double deadline = now_s() + budget_ms / 1000.0;
	struct catconn *c;
	sqlite3_stmt *st;
	sqlite3 *db;
	const char *s;
	int rc, ret = 0;

	snprintf(why, whylen, "ok");
	c = cat_conn_get(cat);
	if (!c) {
		snprintf(why, whylen, "cannot read the catalog");
		return -EUCLEAN;
	}
	db = cat_sqlite_handle(c);
	if (!db) {
		/* a database server checks its own pages */
		cat_conn_put(cat, c);
		return 0;
	}
	/* not from the statement cache: its handler and sqlite's own error
	 * codes are this file's alone */
	rc = sqlite3_prepare_v2(db, SQL_QUICK_CHECK_1, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, whylen, "%s", sqlite3_errmsg(db));
		cat_conn_put(cat, c);
		return -EUCLEAN;
	}
	if (budget_ms)
		sqlite3_progress_handler(db, 1000, past_deadline, &deadline);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		if (!s || strcmp(s, "ok")) {
			snprintf(why, whylen, "%s", s ? s : "no answer");
			ret = -EUCLEAN;
		}
	} else if ((rc & 0xff) == SQLITE_INTERRUPT) {
		snprintf(why, whylen, "not finished in %u ms", budget_ms);
		ret = 1;
	} else {
		snprintf(why, whylen, "%s", sqlite3_errmsg(db));
		ret = -EUCLEAN;
	}
	for (char *p = why; *p; p++)
		if (*p == '\n')
			*p = ' '; /* sqlite's report is several lines */
	sqlite3_finalize(st);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	cat_conn_put(cat, c);
	return ret;
}
