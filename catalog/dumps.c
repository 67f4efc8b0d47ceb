/* catalog/dumps.c - the dumps journal: what each dump is writing, so that
 * a dump cut short by a crash is found and cleaned up on the next mount.
 */
#include <errno.h>
#include <string.h>

#include "catalog/internal.h"

#define DUMP_COLS "id, state, created, updated, files, bytes, archive, error"

static const char SQL_DUMP_ADD[] =
	"INSERT INTO dump(state, created, updated, files, bytes) "
	"VALUES(0, :now, :now, 0, 0)";
static const char SQL_DUMP_FILE_ADD[] =
	"INSERT INTO dump_file(dump, ord, path, size, mtime, mtime_nsec, mode, "
	"dev, ino, ctime, ctime_nsec) VALUES(:dump, :ord, :path, :size, "
	":mtime, :mtime_nsec, :mode, :dev, :ino, :ctime, :ctime_nsec)";
static const char SQL_DUMP_GROW[] =
	"UPDATE dump SET files = files + :files, bytes = bytes + :bytes "
	"WHERE id = :id AND state IN (0, 1)";
static const char SQL_DUMP_GET[] =
	"SELECT " DUMP_COLS " FROM dump WHERE id = :id";
static const char SQL_DUMP_FILES[] =
	"SELECT path, size, mtime, mtime_nsec, mode, dev, ino, ctime, "
	"ctime_nsec, dropped FROM dump_file WHERE dump = :dump ORDER BY ord";
/* The same tape file again (the archive written anew there after a
 * source changed): being written once more, not abandoned. */
static const char SQL_DUMP_TAPE_ADD[] =
	"INSERT INTO dump_tape(dump, copy, barcode, fileno, start_lblock) "
	"VALUES(:dump, :copy, :barcode, :fileno, :start_lblock) "
	"ON CONFLICT(dump, barcode, fileno) DO UPDATE SET "
	"copy = excluded.copy, start_lblock = excluded.start_lblock, "
	"abandoned = 0";
static const char SQL_DUMP_WRITING[] =
	"UPDATE dump SET state = 1, updated = :now WHERE id = :id "
	"AND state IN (0, 1)";
static const char SQL_DUMP_TAPE_ABANDON[] =
	"UPDATE dump_tape SET abandoned = 1 WHERE dump = :dump "
	"AND barcode = :barcode AND fileno = :fileno";
static const char SQL_DUMP_TAPES[] =
	"SELECT copy, barcode, fileno, start_lblock, abandoned FROM dump_tape "
	"WHERE dump = :dump ORDER BY copy, fileno";
static const char SQL_DUMP_TAPE_WROTE[] =
	"SELECT 1 FROM dump_tape WHERE barcode = :barcode AND fileno = :fileno "
	"LIMIT 1";
static const char SQL_DUMP_FAIL[] =
	"UPDATE dump SET state = 3, updated = :now, error = :error "
	"WHERE id = :id AND state IN (0, 1, 3)";
static const char SQL_DUMP_UNFINISHED[] =
	"SELECT " DUMP_COLS " FROM dump WHERE state IN (0, 1) AND "
	CAT_NOT_LEASED_ELSEWHERE " ORDER BY id";
static const char SQL_DUMP_TALLY[] =
	"SELECT state, count(*), max(updated) FROM dump GROUP BY state";
static const char SQL_DUMP_UNCLEANED[] =
	"SELECT " DUMP_COLS " FROM dump WHERE state = 2 AND cleaned = 0 "
	"AND " CAT_NOT_LEASED_ELSEWHERE " ORDER BY id";
static const char SQL_DUMP_CLEANED[] =
	"UPDATE dump SET cleaned = 1 WHERE id = :id "
	"AND state = 2";

static const char *const dump_states[] = { "pending", "writing",
					   "committed", "failed" };

const char *catalog_dump_state_name(enum catalog_dump_state s)
{
	if ((unsigned)s >= sizeof(dump_states) / sizeof(dump_states[0]))
		return "?";
	return dump_states[s];
}

static void cat_dump_row(struct catstmt *st, void *out)
{
	struct catalog_dump *d = out;

	memset(d, 0, sizeof(*d));
	d->id = cat_col_i64(st, 0);
	d->state = (enum catalog_dump_state)cat_col_int(st, 1);
	d->created = cat_col_i64(st, 2);
	d->updated = cat_col_i64(st, 3);
	d->files = (uint64_t)cat_col_i64(st, 4);
	d->bytes = (uint64_t)cat_col_i64(st, 5);
	d->archive = cat_col_i64(st, 6);
	cat_col_text(st, 7, d->error, sizeof(d->error));
}

static int cat_dump_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_dump row;

	cat_dump_row(st, &row);
	return w->fn.dump(w->ctx, &row);
}

static int files_add(struct catconn *c, int64_t id, size_t first,
		     const struct catalog_dump_file *files, size_t n)
{
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++) {
		struct catstmt *st = cat_stmt(c, SQL_DUMP_FILE_ADD);

		if (!st)
			return -EIO;
		cat_bind_i64(st, ":dump", id);
		cat_bind_i64(st, ":ord", (int64_t)(first + i));
		cat_bind_blob(st, ":path", files[i].path,
			      strlen(files[i].path));
		cat_bind_i64(st, ":size", (int64_t)files[i].size);
		cat_bind_i64(st, ":mtime", files[i].mtime);
		cat_bind_i64(st, ":mtime_nsec", files[i].mtime_nsec);
		cat_bind_i64(st, ":mode", files[i].mode);
		cat_bind_i64(st, ":dev", (int64_t)files[i].dev);
		cat_bind_i64(st, ":ino", (int64_t)files[i].ino);
		cat_bind_i64(st, ":ctime", files[i].ctime);
		cat_bind_i64(st, ":ctime_nsec", files[i].ctime_nsec);
		ret = cat_exec(c, st, "dump file add");
	}
	return ret;
}

/* The paths of files[0..n): valid (their bytes in *bytes), else -EINVAL. */
static int files_check(const struct catalog_dump_file *files, size_t n,
		       uint64_t *bytes)
{
	*bytes = 0;
	if (n && !files)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!files[i].path || cat_path_check(files[i].path) < 0)
			return -EINVAL;
		*bytes += files[i].size;
	}
	return 0;
}

/* Entries files[0..n) (of bytes, files_check()) added to dump id from
 * entry first on, in the transaction of c. 0 or -errno (-ENOENT: the dump
 * is unknown, committed or failed). */
static int files_grow(struct catconn *c, int64_t id, size_t first,
		      const struct catalog_dump_file *files, size_t n,
		      uint64_t bytes)
{
	struct catstmt *st = cat_stmt(c, SQL_DUMP_GROW);
	int ret;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":id", id);
	cat_bind_i64(st, ":files", (int64_t)n);
	cat_bind_i64(st, ":bytes", (int64_t)bytes);
	ret = cat_exec(c, st, "dump grow");
	if (ret == 0 && cat_changes(c) == 0)
		ret = -ENOENT;
	if (ret == 0)
		ret = files_add(c, id, first, files, n);
	return ret;
}

int catalog_dump_create(struct catalog *cat,
			const struct catalog_dump_file *files, size_t n,
			int64_t *id)
{
	struct catconn *c;
	struct catstmt *st;
	uint64_t bytes;
	int64_t new_id = 0;
	int ret;

	ret = files_check(files, n, &bytes);
	if (ret < 0)
		return ret;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	st = cat_stmt(c, SQL_DUMP_ADD);
	if (!st) {
		ret = -EIO;
		goto out;
	}
	cat_bind_i64(st, ":now", cat_now());
	ret = cat_exec(c, st, "dump add");
	if (ret < 0)
		goto out;
	new_id = cat_last_id(c);
	ret = cat_lease_stamp(cat, c, CATALOG_WORK_DUMP, new_id);
	if (ret == 0)
		ret = files_grow(c, new_id, 0, files, n, bytes);
out:
	ret = cat_txn_end(cat, c, 0, ret);
	if (ret == 0)
		*id = new_id;
	return ret;
}

int catalog_dump_files_add(struct catalog *cat, int64_t dump_id, size_t first,
			   const struct catalog_dump_file *files, size_t n)
{
	struct catconn *c;
	uint64_t bytes;
	int ret;

	ret = files_check(files, n, &bytes);
	if (ret < 0)
		return ret;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = files_grow(c, dump_id, first, files, n, bytes);
	return cat_txn_end(cat, c, 0, ret);
}

int catalog_dump_get(struct catalog *cat, int64_t dump_id,
		     struct catalog_dump *out)
{
	return cat_read_get(cat, SQL_DUMP_GET, ":id", dump_id, cat_dump_row,
			    out, "dump get");
}

static int file_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_dump_file f;

	f.path = cat_col_str(st, 0);
	f.size = (uint64_t)cat_col_i64(st, 1);
	f.mtime = cat_col_i64(st, 2);
	f.mtime_nsec = cat_col_int(st, 3);
	f.mode = (uint32_t)cat_col_i64(st, 4);
	f.dev = (uint64_t)cat_col_i64(st, 5);
	f.ino = (uint64_t)cat_col_i64(st, 6);
	f.ctime = cat_col_i64(st, 7);
	f.ctime_nsec = cat_col_int(st, 8);
	f.dropped = cat_col_int(st, 9);
	return w->fn.dump_file(w->ctx, &f);
}

int catalog_dump_files(struct catalog *cat, int64_t dump_id,
		       catalog_dump_file_fn fn, void *ctx)
{
	struct cat_walk w = { .fn.dump_file = fn, .ctx = ctx };

	return cat_read_each(cat, SQL_DUMP_FILES, ":dump", dump_id, file_visit,
			     &w, "dump files");
}

int catalog_dump_tape_add(struct catalog *cat, int64_t dump_id,
			  const struct catalog_dump_tape *t)
{
	struct catconn *c;
	struct catstmt *st;
	int ret;

	if (!t || !t->barcode[0])
		return -EINVAL;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, SQL_DUMP_WRITING);
	if (!st)
		goto out;
	cat_bind_i64(st, ":now", cat_now());
	cat_bind_i64(st, ":id", dump_id);
	ret = cat_exec(c, st, "dump writing");
	if (ret < 0)
		goto out;
	if (cat_changes(c) == 0) {
		ret = -ENOENT; /* unknown, or committed/failed already */
		goto out;
	}
	ret = -EIO;
	st = cat_stmt(c, SQL_DUMP_TAPE_ADD);
	if (!st)
		goto out;
	cat_bind_i64(st, ":dump", dump_id);
	cat_bind_i64(st, ":copy", t->copy);
	cat_bind_text(st, ":barcode", t->barcode);
	cat_bind_i64(st, ":fileno", t->fileno);
	cat_bind_i64(st, ":start_lblock", (int64_t)t->start_lblock);
	ret = cat_exec(c, st, "dump tape add");
out:
	return cat_txn_end(cat, c, 0, ret);
}

/* One durable UPDATE on the dump tables: of a tape file (barcode), else of
 * the dump (error: its reason, NULL for a statement without one; :now
 * bound when the statement has it - marking a dump cleaned keeps the time
 * it was committed); -ENOENT when no row changed. */
static int cat_dump_update(struct catalog *cat, const char *sql,
			   int64_t dump_id, const char *barcode, int64_t fileno,
			   const char *error)
{
	struct catconn *c;
	struct catstmt *st;
	int ret;

	if (!barcode)
		return cat_write_id(cat, sql, ":id", dump_id,
				    error ? ":error" : NULL, error,
				    "dump update");
	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, sql);
	if (!st)
		goto out;
	cat_bind_i64(st, ":dump", dump_id);
	cat_bind_text(st, ":barcode", barcode);
	cat_bind_i64(st, ":fileno", fileno);
	ret = cat_exec(c, st, "dump update");
	if (ret == 0 && cat_changes(c) == 0)
		ret = -ENOENT;
out:
	return cat_txn_end(cat, c, 1, ret);
}

int catalog_dump_tape_abandon(struct catalog *cat, int64_t dump_id,
			      const char *barcode, int64_t fileno)
{
	if (!barcode)
		return -EINVAL;
	return cat_dump_update(cat, SQL_DUMP_TAPE_ABANDON, dump_id, barcode,
			       fileno, NULL);
}

int catalog_dump_fail(struct catalog *cat, int64_t dump_id, const char *why)
{
	struct catalog_dump d;
	int ret = cat_dump_update(cat, SQL_DUMP_FAIL, dump_id, NULL, 0,
				  why ? why : "");

	if (ret == -ENOENT && catalog_dump_get(cat, dump_id, &d) == 0)
		ret = -EINVAL; /* committed already */
	return ret;
}

static int cat_dump_tape_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_dump_tape t;

	memset(&t, 0, sizeof(t));
	t.copy = cat_col_int(st, 0);
	cat_col_text(st, 1, t.barcode, sizeof(t.barcode));
	t.fileno = cat_col_i64(st, 2);
	t.start_lblock = (uint64_t)cat_col_i64(st, 3);
	t.abandoned = cat_col_int(st, 4);
	return w->fn.dump_tape(w->ctx, &t);
}

int catalog_dump_tapes(struct catalog *cat, int64_t dump_id,
		       catalog_dump_tape_fn fn, void *ctx)
{
	struct cat_walk w = { .fn.dump_tape = fn, .ctx = ctx };

	return cat_read_each(cat, SQL_DUMP_TAPES, ":dump", dump_id,
			     cat_dump_tape_visit, &w, "dump tapes");
}

int catalog_dump_tape_wrote(struct catalog *cat, const char *barcode,
			    int64_t fileno)
{
	return cat_tape_file_known(cat, SQL_DUMP_TAPE_WROTE, barcode, fileno,
				   "dump tape wrote");
}

/* The dumps of sql (:lhost, :lnow bound: not another live host's). */
static int dumps_not_elsewhere(struct catalog *cat, const char *sql,
			       catalog_dump_fn fn, void *ctx, const char *what)
{
	struct cat_walk w = { .fn.dump = fn, .ctx = ctx };
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st = c ? cat_stmt(c, sql) : NULL;
	int ret = st ? cat_lease_bind_stale(cat, c, st) : -EIO;

	if (ret == 0)
		ret = cat_row_each(c, st, cat_dump_visit, &w, what);
	else if (st)
		cat_done(st);
	if (c)
		cat_conn_put(cat, c);
	return ret;
}

int catalog_dump_unfinished(struct catalog *cat, catalog_dump_fn fn,
			    void *ctx)
{
	return dumps_not_elsewhere(cat, SQL_DUMP_UNFINISHED, fn, ctx,
				   "dumps unfinished");
}

static int cat_dump_tally_visit(struct catstmt *st, void *arg)
{
	struct catalog_dump_tally *t = arg;
	int state = cat_col_int(st, 0);
	uint64_t n = (uint64_t)cat_col_i64(st, 1);
	int64_t last = cat_col_i64(st, 2);

	if (state == CATALOG_DUMP_COMMITTED) {
		t->committed = n;
		t->last_committed = last;
	} else if (state == CATALOG_DUMP_FAILED) {
		t->failed = n;
		t->last_failed = last;
	} else {
		t->unfinished += n;
	}
	return 0;
}

int catalog_dump_tally(struct catalog *cat, struct catalog_dump_tally *out)
{
	memset(out, 0, sizeof(*out));
	return cat_read_each(cat, SQL_DUMP_TALLY, NULL, 0,
			     cat_dump_tally_visit, out, "dump tally");
}

int catalog_dump_uncleaned(struct catalog *cat, catalog_dump_fn fn, void *ctx)
{
	return dumps_not_elsewhere(cat, SQL_DUMP_UNCLEANED, fn, ctx,
				   "dumps uncleaned");
}

int catalog_dump_cleaned(struct catalog *cat, int64_t dump_id)
{
	return cat_dump_update(cat, SQL_DUMP_CLEANED, dump_id, NULL, 0, NULL);
}
