/* catalog/verify.c - verify runs, their per-member results, and the last
 * good verification of each copy and tape.
 */
#include <errno.h>
#include <string.h>

#include "catalog/internal.h"

#define RUN_COLS                                                               \
	"id, request, state, started, ended, tapes, archives, members, bytes, " \
	"ok, bad, unreadable, seconds, detail"

static const char SQL_RUN_ADD[] =
	"INSERT INTO run(request, state, started) VALUES(:request, 0, :now)";
static const char SQL_RUN_UPDATE[] =
	"UPDATE run SET state = :state, "
	"ended = CASE WHEN :state = 0 THEN 0 ELSE :now END, "
	"tapes = :tapes, archives = :archives, members = :members, "
	"bytes = :bytes, ok = :ok, bad = :bad, unreadable = :unreadable, "
	"seconds = :seconds, detail = coalesce(:detail, detail) WHERE id = :id";
static const char SQL_RUN_GET[] = "SELECT " RUN_COLS " FROM run WHERE id = :id";
static const char SQL_RUN_LIST[] = "SELECT " RUN_COLS " FROM run ORDER BY id";
static const char SQL_RUN_LATEST[] = "SELECT coalesce(max(id), 0) FROM run";
/* Runs go one at a time, so the last clean run (by id) is the one that
 * ended last: walking back from the newest stops at it, where max(ended)
 * read every finished run at every .status. */
static const char SQL_RUN_LAST_CLEAN[] =
	"SELECT coalesce((SELECT ended FROM run "
	"WHERE state = 1 AND bad = 0 AND unreadable = 0 "
	"ORDER BY id DESC LIMIT 1), 0)";
static const char SQL_RUN_INTERRUPT[] =
	"UPDATE run SET state = 2, ended = :now WHERE state = 0 AND "
	CAT_NOT_LEASED_ELSEWHERE;
static const char SQL_RUN_INTERRUPT_ONE[] =
	"UPDATE run SET state = 2, ended = :now WHERE id = :id AND state = 0";
static const char SQL_RESULT_ADD[] =
    "INSERT INTO result(run, copy, member, result, md5) "
    "VALUES(:run, :copy, :member, :result, :md5) "
    "ON CONFLICT(run, copy, member) DO UPDATE SET "
    "result = excluded.result, md5 = excluded.md5";
/* Copies in tape order, each copy's results by member (the PK range),
 * from the row after (:b, :f, :m): the copy loop outside (CROSS JOIN), so
 * that a part starts with a seek, not a sort of the run's results. One
 * tape's (:barcode), or every tape's. */
#define SQL_RESULTS_FROM(where)                                                \
	"SELECT result.copy, result.member, copy.barcode, copy.fileno, "       \
	"result.result, result.md5, member.parent, node.name "                 \
	"FROM copy CROSS JOIN result "                                         \
	"JOIN member ON member.id = result.member "                            \
	"JOIN node ON node.id = member.node "                                  \
	"WHERE result.run = :run AND result.copy = copy.id "                   \
	"AND " where " AND result.member > (CASE WHEN copy.barcode = :b "      \
	"AND copy.fileno = :f THEN :m ELSE -1 END) "                           \
	"AND (:fail = 0 OR result.result != 1) "                               \
	"ORDER BY copy.barcode, copy.fileno, result.member"
static const char SQL_RESULTS_TAPE[] =
	SQL_RESULTS_FROM("copy.barcode = :barcode AND copy.fileno >= :f");
static const char SQL_RESULTS_ALL[] =
	SQL_RESULTS_FROM("(copy.barcode, copy.fileno) >= (:b, :f)");
static const char SQL_COPY_VERIFIED[] =
	"UPDATE copy SET last_result = :result, "
	"last_verified = CASE WHEN :result = 1 THEN :now ELSE last_verified END, "
	"state = CASE WHEN state = 2 THEN 2 WHEN :result = 1 THEN 0 ELSE 1 END "
	"WHERE id = :id";
/* A tape was verified as long ago as its copy verified longest ago (0:
 * one never was); lost copies do not count. */
static const char SQL_TAPE_VERIFIED[] =
    "UPDATE tape SET last_verified = (SELECT coalesce(min(last_verified), "
    "0) FROM copy WHERE copy.barcode = tape.barcode AND copy.state != 2) "
    "WHERE barcode = (SELECT barcode FROM copy WHERE id = :id)";

static const char *const run_states[] = { "running", "done", "interrupted" };

const char *catalog_run_state_name(enum catalog_run_state s)
{
	if ((unsigned)s >= sizeof(run_states) / sizeof(run_states[0]))
		return "?";
	return run_states[s];
}

static void run_row(struct catstmt *st, void *out)
{
	struct catalog_run *r = out;

	memset(r, 0, sizeof(*r));
	r->id = cat_col_i64(st, 0);
	cat_col_text(st, 1, r->request, sizeof(r->request));
	r->state = (enum catalog_run_state)cat_col_int(st, 2);
	r->started = cat_col_i64(st, 3);
	r->ended = cat_col_i64(st, 4);
	r->totals.tapes = (uint64_t)cat_col_i64(st, 5);
	r->totals.archives = (uint64_t)cat_col_i64(st, 6);
	r->totals.members = (uint64_t)cat_col_i64(st, 7);
	r->totals.bytes = (uint64_t)cat_col_i64(st, 8);
	r->totals.ok = (uint64_t)cat_col_i64(st, 9);
	r->totals.bad = (uint64_t)cat_col_i64(st, 10);
	r->totals.unreadable = (uint64_t)cat_col_i64(st, 11);
	r->totals.seconds = cat_col_double(st, 12);
	cat_col_text(st, 13, r->detail, sizeof(r->detail));
}

static int run_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_run row;

	run_row(st, &row);
	return w->fn.run(w->ctx, &row);
}

int catalog_run_start(struct catalog *cat, const char *request, int64_t *id)
{
	struct catconn *c;
	struct catstmt *st;
	int64_t new_id = 0;
	int ret;

	if (!request)
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_RUN_ADD);
	if (!st)
		goto out;
	cat_bind_text(st, ":request", request);
	cat_bind_i64(st, ":now", cat_now());
	ret = cat_exec(c, st, "run start");
	new_id = cat_last_id(c);
	if (ret == 0)
		ret = cat_lease_stamp(cat, c, CATALOG_WORK_VERIFY, new_id);
out:
	ret = cat_txn_end(cat, c, 0, ret);
	if (ret == 0)
		*id = new_id;
	return ret;
}

int catalog_run_update(struct catalog *cat, int64_t run_id,
		       enum catalog_run_state state,
		       const struct catalog_run_totals *t, const char *detail)
{
	static const struct catalog_run_totals zero;
	struct catconn *c;
	struct catstmt *st;
	int ret;

	if ((unsigned)state > CATALOG_RUN_INTERRUPTED)
		return -EINVAL;
	if (!t)
		t = &zero;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_RUN_UPDATE);
	if (!st)
		goto out;
	cat_bind_i64(st, ":id", run_id);
	cat_bind_i64(st, ":state", state);
	cat_bind_i64(st, ":now", cat_now());
	cat_bind_i64(st, ":tapes", (int64_t)t->tapes);
	cat_bind_i64(st, ":archives", (int64_t)t->archives);
	cat_bind_i64(st, ":members", (int64_t)t->members);
	cat_bind_i64(st, ":bytes", (int64_t)t->bytes);
	cat_bind_i64(st, ":ok", (int64_t)t->ok);
	cat_bind_i64(st, ":bad", (int64_t)t->bad);
	cat_bind_i64(st, ":unreadable", (int64_t)t->unreadable);
	cat_bind_double(st, ":seconds", t->seconds);
	cat_bind_text(st, ":detail", detail);
	ret = cat_exec(c, st, "run update");
	if (ret == 0 && cat_changes(c) == 0)
		ret = -ENOENT;
out:
	return cat_txn_end(cat, c, 0, ret);
}

int catalog_run_get(struct catalog *cat, int64_t run_id,
		    struct catalog_run *out)
{
	return cat_read_get(cat, SQL_RUN_GET, ":id", run_id, run_row, out,
			    "run get");
}

int catalog_run_list(struct catalog *cat, catalog_run_fn fn, void *ctx)
{
	struct cat_walk w = { .fn.run = fn, .ctx = ctx };

	return cat_read_each(cat, SQL_RUN_LIST, NULL, 0, run_visit, &w,
			     "run list");
}

static int64_t cat_run_max(struct catalog *cat, const char *sql,
			   const char *what)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int64_t ret = -EIO;
	int rc;

	if (!c)
		return -EIO;
	st = cat_stmt(c, sql);
	if (st) {
		rc = cat_step(st, what);
		ret = rc == 1 ? cat_col_i64(st, 0) : rc;
		cat_done(st);
	}
	cat_conn_put(cat, c);
	return ret;
}

int64_t catalog_run_latest(struct catalog *cat)
{
	return cat_run_max(cat, SQL_RUN_LATEST, "run latest");
}

int64_t catalog_run_last_clean(struct catalog *cat)
{
	return cat_run_max(cat, SQL_RUN_LAST_CLEAN, "run last clean");
}

int catalog_run_interrupt_stale(struct catalog *cat)
{
	struct catconn *c;
	struct catstmt *st;
	int ret, n = 0;

	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_RUN_INTERRUPT);
	if (!st)
		goto out;
	cat_bind_i64(st, ":now", cat_now());
	ret = cat_lease_bind_stale(cat, c, st);
	if (ret == 0)
		ret = cat_exec(c, st, "run interrupt");
	n = cat_changes(c);
out:
	ret = cat_txn_end(cat, c, 0, ret);
	return ret < 0 ? ret : n;
}

int catalog_run_results_add(struct catalog *cat, int64_t run_id,
			    const struct catalog_result_in *r, size_t n)
{
	unsigned char md5[16];
	struct catconn *c;
	int ret;

	for (size_t i = 0; i < n; i++)
		if ((unsigned)r[i].result > CATALOG_RESULT_UNREADABLE ||
		    (r[i].md5 && *r[i].md5 && cat_md5_unhex(r[i].md5, md5)))
			return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct catstmt *st = cat_stmt(c, SQL_RESULT_ADD);

		if (!st) {
			ret = -EIO;
			break;
		}
		cat_bind_i64(st, ":run", run_id);
		cat_bind_i64(st, ":copy", r[i].copy_id);
		cat_bind_i64(st, ":member", r[i].member_id);
		cat_bind_i64(st, ":result", r[i].result);
		if (r[i].md5 && cat_md5_unhex(r[i].md5, md5) == 0)
			cat_bind_blob(st, ":md5", md5, 16);
		else
			cat_bind_null(st, ":md5");
		ret = cat_exec(c, st, "result add");
		if (ret == -EEXIST)
			ret = -ENOENT; /* a foreign key: no such run/copy/member */
	}
	return cat_txn_end(cat, c, 0, ret);
}

/* One row of SQL_RESULTS_* into r (its path owned by dc); 0 or -errno. */
static int result_row(struct catconn *c, struct catstmt *st,
		      struct cat_dircache *dc, struct catalog_result_row *r)
{
	const char *name = cat_col_str(st, 7);

	memset(r, 0, sizeof(*r));
	r->copy_id = cat_col_i64(st, 0);
	r->member_id = cat_col_i64(st, 1);
	cat_col_text(st, 2, r->barcode, sizeof(r->barcode));
	r->fileno = cat_col_i64(st, 3);
	r->result = (enum catalog_result)cat_col_int(st, 4);
	cat_md5_hex(cat_col_blob(st, 5), (size_t)cat_col_bytes(st, 5), r->md5);
	return cat_dircache_path(c, dc, cat_col_i64(st, 6), name ? name : "",
				 &r->path);
}

int catalog_run_results_from(struct catalog *cat, int64_t run_id,
			     const char *barcode, int failures_only,
			     const struct catalog_result_key *after,
			     catalog_result_fn fn, void *ctx)
{
	struct catconn *c = cat_conn_get(cat);
	struct cat_dircache dc = { .node = -1 };
	struct catalog_result_row r;
	struct catstmt *st;
	int rc, ret = -EIO;

	if (!c)
		return -EIO;
	/* each new directory's path is looked up on c meanwhile */
	st = cat_stmt_nested(c, barcode ? SQL_RESULTS_TAPE : SQL_RESULTS_ALL);
	if (!st)
		goto out;
	cat_bind_i64(st, ":run", run_id);
	if (barcode)
		cat_bind_text(st, ":barcode", barcode);
	cat_bind_text(st, ":b", after ? after->barcode : "");
	cat_bind_i64(st, ":f", after ? after->fileno : -1);
	cat_bind_i64(st, ":m", after ? after->member_id : -1);
	cat_bind_i64(st, ":fail", failures_only ? 1 : 0);
	ret = 0;
	while ((rc = cat_step(st, "run results")) == 1) {
		ret = result_row(c, st, &dc, &r);
		if (ret < 0)
			break;
		ret = fn(ctx, &r);
		if (ret)
			break;
	}
	if (rc != 1 && rc != 0)
		ret = rc;
	cat_done(st);
out:
	cat_dircache_release(&dc);
	cat_conn_put(cat, c);
	return ret;
}

int catalog_run_results(struct catalog *cat, int64_t run_id,
			const char *barcode, int failures_only,
			catalog_result_fn fn, void *ctx)
{
	return catalog_run_results_from(cat, run_id, barcode, failures_only,
					NULL, fn, ctx);
}

int catalog_copy_verified(struct catalog *cat, int64_t copy_id,
			  enum catalog_result result)
{
	struct catconn *c;
	struct catstmt *st;
	int ret;

	if (result < CATALOG_RESULT_OK || result > CATALOG_RESULT_UNREADABLE)
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_COPY_VERIFIED);
	if (!st)
		goto out;
	cat_bind_i64(st, ":id", copy_id);
	cat_bind_i64(st, ":result", result);
	cat_bind_i64(st, ":now", cat_now());
	ret = cat_exec(c, st, "copy verified");
	if (ret == 0 && cat_changes(c) == 0)
		ret = -ENOENT;
	if (ret < 0)
		goto out;
	ret = -EIO;
	st = cat_stmt(c, SQL_TAPE_VERIFIED);
	if (!st)
		goto out;
	cat_bind_i64(st, ":id", copy_id);
	ret = cat_exec(c, st, "tape verified");
out:
	return cat_txn_end(cat, c, 0, ret);
}

int catalog_run_interrupt(struct catalog *cat, int64_t run_id)
{
	return cat_write_id(cat, SQL_RUN_INTERRUPT_ONE, ":id", run_id, NULL,
			    NULL, "run interrupt");
}
