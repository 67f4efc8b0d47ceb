/* catalog/copy.c - every row of every table from one catalog's connection
 * to another's, through the statement API alone, so that it works between
 * any two backends: a catalog on a server copied into a sqlite file (its
 * backups and its snapshots on tape are sqlite files whatever the live
 * database), and a sqlite file copied into a catalog on a server (a
 * snapshot restored by `tapefs rebuild`). docs/catalog.md, "Backups".
 *
 * Each table is read in key order with its columns named, and written
 * with the same columns: ids are copied, not renumbered, so every
 * reference between rows holds. Tables are written parents first (the
 * foreign keys of the schema hold at each insert) and cleared children
 * first. A table added to the schema must be added here: the copy test
 * (tests/test_catalog_copy.c) fills every table of the schema and fails
 * for one whose rows do not come through.
 */
#include <errno.h>
#include <stdio.h>

#include "catalog/internal.h"

/* The parameters of an INSERT, one per column, in column order. */
#define V1  ":c1"
#define V2  V1 ", :c2"
#define V3  V2 ", :c3"
#define V4  V3 ", :c4"
#define V5  V4 ", :c5"
#define V6  V5 ", :c6"
#define V7  V6 ", :c7"
#define V8  V7 ", :c8"
#define V9  V8 ", :c9"
#define V10 V9 ", :c10"
#define V11 V10 ", :c11"
#define V12 V11 ", :c12"
#define V13 V12 ", :c13"
#define V14 V13 ", :c14"
#define V15 V14 ", :c15"
#define V16 V15 ", :c16"
#define V17 V16 ", :c17"
#define NCOL_MAX 17

static const char *const param_name[NCOL_MAX] = {
    ":c1",  ":c2",  ":c3",  ":c4",  ":c5",  ":c6",  ":c7",  ":c8",
    ":c9",  ":c10", ":c11", ":c12", ":c13", ":c14", ":c15", ":c16",
    ":c17"};

/* One table: its columns' types, one letter each (i integer, r real,
 * t text, b blob; any of them may be NULL), and its statements. */
struct copy_table {
	const char *name;
	const char *types;
	const char *select, *insert, *clear;
};

#define TABLE(name, types, cols, order, vals)                                  \
	{                                                                      \
		name, types, "SELECT " cols " FROM " name " ORDER BY " order,  \
		    "INSERT INTO " name "(" cols ") VALUES(" vals ")",         \
		    "DELETE FROM " name                                        \
	}

/* The lease of a row of work (catalog/leases.c): copied as it is, so
 * that a catalog put back holds what the hosts held (expired by then,
 * and taken over by the rules of a crash). */
#define LEASE_COLS "lease_host, lease_until, lease_gen"

static const struct copy_table tables[] = {
    TABLE("tape", "tttiiiiitt",
	  "barcode, serial, pool, state, capacity, bytes_used, last_file, "
	  "last_verified, location, label_uuid",
	  "barcode", V10),
    TABLE("dump", "iiiiiiititii",
	  "id, state, created, updated, files, bytes, archive, error, cleaned, "
	  LEASE_COLS,
	  "id", V12),
    TABLE("dump_file", "iibiiiiiiiii",
	  "dump, ord, path, size, mtime, mtime_nsec, mode, dev, ino, ctime, "
	  "ctime_nsec, dropped",
	  "dump, ord", V12),
    TABLE("dump_tape", "iitiii",
	  "dump, copy, barcode, fileno, start_lblock, abandoned",
	  "dump, barcode, fileno", V6),
    TABLE("archive", "iiiiiititi",
	  "id, dump, created, members, bytes, block_size, md5, first_member, "
	  "uuid, kind",
	  "id", V10),
    TABLE("copy", "iitiiiiii",
	  "id, archive, barcode, fileno, start_lblock, size, state, "
	  "last_verified, last_result",
	  "id", V9),
    TABLE("node", "iibi", "id, parent, name, member", "id", V4),
    TABLE("member", "iiiiiiiiiiibbiii",
	  "id, archive, node, parent, type, size, mode, uid, gid, mtime, "
	  "mtime_nsec, md5, link, hdr, data, flags",
	  "id", V16),
    TABLE("xattr", "ibb", "member, name, value", "member, name", V3),
    TABLE("chunk", "iiib", "member, chunk_size, n, digests", "member", V4),
    TABLE("run", "itiiiiiiiiiirttii",
	  "id, request, state, started, ended, tapes, archives, members, "
	  "bytes, ok, bad, unreadable, seconds, detail, " LEASE_COLS,
	  "id", V17),
    TABLE("result", "iiiib", "run, copy, member, result, md5",
	  "run, copy, member", V5),
    TABLE("xfer", "iiiitiiiiiittii",
	  "id, archive, source, replaces, barcode, fileno, start_lblock, "
	  "state, created, updated, copy, error, " LEASE_COLS,
	  "id", V15),
    TABLE("cache", "itiiiib",
	  "member, file, size, present, last_access, pinned, map", "member",
	  V7),
    TABLE("recall_request", "iiibtiitii",
	  "id, member, archive, path, prefer, priority, created, " LEASE_COLS,
	  "id", V10),
    TABLE("host", "tii", "name, started, heartbeat", "name", V3),
    TABLE("drive", "ittttiii",
	  "id, host, state, label, job, progress, updated, lease_ms", "id",
	  V8),
    /* its one row is made with the schema: the copy's lease replaces
     * the new one's */
    {"staging", "itii", "SELECT id, " LEASE_COLS " FROM staging ORDER BY id",
     "INSERT INTO staging(id, " LEASE_COLS ") VALUES(" V4 ") "
     "ON CONFLICT(id) DO UPDATE SET lease_host = excluded.lease_host, "
     "lease_until = excluded.lease_until, lease_gen = excluded.lease_gen",
     "DELETE FROM staging"},
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* Column j of the row of from, bound to parameter j of to. */
static void copy_col(struct catstmt *from, struct catstmt *to, int j,
		     char type)
{
	const char *name = param_name[j];

	if (cat_col_null(from, j)) {
		cat_bind_null(to, name);
		return;
	}
	switch (type) {
	case 'i':
		cat_bind_i64(to, name, cat_col_i64(from, j));
		break;
	case 'r':
		cat_bind_double(to, name, cat_col_double(from, j));
		break;
	case 't':
		cat_bind_text(to, name, cat_col_str(from, j));
		break;
	default: /* 'b'; an empty blob is not NULL */
		cat_bind_blob(to, name,
			      cat_col_bytes(from, j) ? cat_col_blob(from, j)
						     : "",
			      cat_col_bytes(from, j));
		break;
	}
}

static int copy_table(struct catconn *from, struct catconn *to,
		      const struct copy_table *t, uint64_t *rows)
{
	struct catstmt *s = cat_stmt(from, t->select);
	struct catstmt *ins = cat_stmt(to, t->insert);
	int ret;

	if (!s || !ins)
		return -EIO;
	while ((ret = cat_step(s, t->name)) == 1) {
		for (int j = 0; t->types[j]; j++)
			copy_col(s, ins, j, t->types[j]);
		ret = cat_exec(to, ins, t->name);
		if (ret < 0)
			break;
		++*rows;
	}
	cat_done(s);
	if (ret < 0)
		fprintf(stderr, "catalog: copy of table %s: %s\n", t->name,
			ret == -EEXIST ? "a row is there already"
				       : "failed");
	return ret;
}

int cat_copy_rows(struct catconn *from, struct catconn *to, uint64_t *rows)
{
	uint64_t n = 0;
	int ret = 0;

	for (size_t i = 0; i < NTABLES && !ret; i++)
		ret = copy_table(from, to, &tables[i], &n);
	if (!ret && rows)
		*rows = n;
	return ret;
}

int cat_copy_clear(struct catconn *to)
{
	int ret = 0;

	for (size_t i = NTABLES; i-- > 0 && !ret;) {
		struct catstmt *st = cat_stmt(to, tables[i].clear);

		ret = st ? cat_exec(to, st, tables[i].name) : -EIO;
	}
	return ret;
}
