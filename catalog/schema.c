/* catalog/schema.c - the schema, its versions and the upgrade in place.
 *
 * PRAGMA user_version holds the schema version (on PostgreSQL the table
 * tapefs_schema: dialect_pg.c rewrites these steps). Each step below takes a
 * catalog from version i to i+1 and ends by setting user_version; a new
 * catalog runs every step. All steps of one open run in one BEGIN
 * IMMEDIATE transaction, so a crash during an upgrade leaves the old
 * version intact. docs/catalog.md explains the tables.
 */
#include <errno.h>
#include <stdio.h>

#include "catalog/internal.h"

/* Version 1: tapes, dumps, archives, copies, the node tree and members. */
static const char SCHEMA_V1[] =
    "CREATE TABLE tape("
    " barcode TEXT PRIMARY KEY NOT NULL,"
    " serial TEXT NOT NULL DEFAULT '',"
    " pool TEXT NOT NULL,"
    " state INTEGER NOT NULL,"
    " capacity INTEGER NOT NULL DEFAULT 0,"
    " bytes_used INTEGER NOT NULL DEFAULT 0,"
    " last_file INTEGER NOT NULL DEFAULT 0,"
    " last_verified INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX tape_pool_state ON tape(pool, state);"
    "CREATE TABLE dump("
    " id INTEGER PRIMARY KEY,"
    " state INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " updated INTEGER NOT NULL,"
    " files INTEGER NOT NULL DEFAULT 0,"
    " bytes INTEGER NOT NULL DEFAULT 0,"
    " archive INTEGER NOT NULL DEFAULT 0,"
    " error TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX dump_state ON dump(state);"
    "CREATE TABLE dump_file("
    " dump INTEGER NOT NULL REFERENCES dump(id) ON DELETE CASCADE,"
    " ord INTEGER NOT NULL,"
    " path BLOB NOT NULL,"
    " size INTEGER NOT NULL,"
    " mtime INTEGER NOT NULL,"
    " mtime_nsec INTEGER NOT NULL,"
    " PRIMARY KEY(dump, ord)) WITHOUT ROWID;"
    "CREATE TABLE dump_tape("
    " dump INTEGER NOT NULL REFERENCES dump(id) ON DELETE CASCADE,"
    " copy INTEGER NOT NULL,"
    " barcode TEXT NOT NULL,"
    " fileno INTEGER NOT NULL,"
    " start_lblock INTEGER NOT NULL,"
    " abandoned INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(dump, barcode, fileno)) WITHOUT ROWID;"
    "CREATE TABLE archive("
    " id INTEGER PRIMARY KEY,"
    " dump INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " members INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL,"
    " block_size INTEGER NOT NULL,"
    " md5 TEXT NOT NULL DEFAULT '',"
    " first_member INTEGER NOT NULL);"
    "CREATE TABLE copy("
    " id INTEGER PRIMARY KEY,"
    " archive INTEGER NOT NULL REFERENCES archive(id),"
    " barcode TEXT NOT NULL REFERENCES tape(barcode),"
    " fileno INTEGER NOT NULL,"
    " start_lblock INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0,"
    " last_verified INTEGER NOT NULL DEFAULT 0,"
    " last_result INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX copy_tape_file ON copy(barcode, fileno);"
    "CREATE INDEX copy_archive ON copy(archive);"
    /* One row per distinct path: (parent node, name). The root is node
     * 0 and has no row. member = the latest version (the namespace). */
    "CREATE TABLE node("
    " id INTEGER PRIMARY KEY,"
    " parent INTEGER NOT NULL,"
    " name BLOB NOT NULL,"
    " member INTEGER);"
    "CREATE UNIQUE INDEX node_parent_name ON node(parent, name);"
    /* Members of one archive have consecutive ids from
     * archive.first_member in tape order (ordinal = id - first_member);
     * implicit directories follow them with hdr NULL. data holds
     * data_offset - header_offset. parent = the node's parent. */
    "CREATE TABLE member("
    " id INTEGER PRIMARY KEY,"
    " archive INTEGER NOT NULL REFERENCES archive(id),"
    " node INTEGER NOT NULL REFERENCES node(id),"
    " parent INTEGER NOT NULL,"
    " type INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " mode INTEGER NOT NULL,"
    " uid INTEGER NOT NULL,"
    " gid INTEGER NOT NULL,"
    " mtime INTEGER NOT NULL,"
    " mtime_nsec INTEGER NOT NULL,"
    " md5 BLOB,"
    " link BLOB,"
    " hdr INTEGER,"
    " data INTEGER);"
    "CREATE INDEX member_node ON member(node, archive);"
    "CREATE INDEX member_parent ON member(archive, parent);"
    "PRAGMA user_version=1;";

/* Version 2: tape location and label uuid, verify runs and results, the
 * recall cache. */
static const char SCHEMA_V2[] =
    "ALTER TABLE tape ADD COLUMN location TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE tape ADD COLUMN label_uuid TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE run("
    " id INTEGER PRIMARY KEY,"
    " request TEXT NOT NULL,"
    " state INTEGER NOT NULL,"
    " started INTEGER NOT NULL,"
    " ended INTEGER NOT NULL DEFAULT 0,"
    " tapes INTEGER NOT NULL DEFAULT 0,"
    " archives INTEGER NOT NULL DEFAULT 0,"
    " members INTEGER NOT NULL DEFAULT 0,"
    " bytes INTEGER NOT NULL DEFAULT 0,"
    " ok INTEGER NOT NULL DEFAULT 0,"
    " bad INTEGER NOT NULL DEFAULT 0,"
    " unreadable INTEGER NOT NULL DEFAULT 0,"
    " seconds REAL NOT NULL DEFAULT 0,"
    " detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX run_state ON run(state);"
    "CREATE TABLE result("
    " run INTEGER NOT NULL REFERENCES run(id),"
    " copy INTEGER NOT NULL REFERENCES copy(id),"
    " member INTEGER NOT NULL REFERENCES member(id),"
    " result INTEGER NOT NULL,"
    " md5 BLOB,"
    " PRIMARY KEY(run, copy, member)) WITHOUT ROWID;"
    "CREATE INDEX result_fail ON result(run, copy, member) WHERE result != 1;"
    "CREATE TABLE cache("
    " member INTEGER PRIMARY KEY,"
    " file TEXT NOT NULL,"
    " size INTEGER NOT NULL,"
    " present INTEGER NOT NULL DEFAULT 0,"
    " last_access INTEGER NOT NULL DEFAULT 0,"
    " pinned INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX cache_lru ON cache(pinned, last_access);"
    "PRAGMA user_version=2;";

/* Version 3: the identity of each journaled entry (mode, device, inode,
 * ctime), which entries a committed dump left out (dropped), and whether
 * its clean-up of staging/ is done (cleaned). Dumps journaled before have
 * no identities: they count as cleaned, so the start-up's clean-up never
 * removes anything for them. */
static const char SCHEMA_V3[] =
    "ALTER TABLE dump ADD COLUMN cleaned INTEGER NOT NULL DEFAULT 0;"
    "UPDATE dump SET cleaned = 1;"
    "CREATE INDEX dump_uncleaned ON dump(id) "
    "WHERE state = 2 AND cleaned = 0;"
    "ALTER TABLE dump_file ADD COLUMN mode INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE dump_file ADD COLUMN dev INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE dump_file ADD COLUMN ino INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE dump_file ADD COLUMN ctime INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE dump_file ADD COLUMN ctime_nsec INTEGER NOT NULL "
    "DEFAULT 0;"
    "ALTER TABLE dump_file ADD COLUMN dropped INTEGER NOT NULL DEFAULT 0;"
    "PRAGMA user_version=3;";

/* Version 4: the journal of tape-to-tape copies (repair, copy POOL):
 * which tape file a copy is being written to, so that a crash leaves a
 * partial file this catalog knows it may write over. */
static const char SCHEMA_V4[] =
    "CREATE TABLE xfer("
    " id INTEGER PRIMARY KEY,"
    " archive INTEGER NOT NULL REFERENCES archive(id),"
    " source INTEGER NOT NULL DEFAULT 0,"
    " replaces INTEGER NOT NULL DEFAULT 0,"
    " barcode TEXT NOT NULL,"
    " fileno INTEGER NOT NULL,"
    " start_lblock INTEGER NOT NULL DEFAULT 0,"
    " state INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " updated INTEGER NOT NULL,"
    " copy INTEGER NOT NULL DEFAULT 0,"
    " error TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX xfer_tape_file ON xfer(barcode, fileno);"
    "CREATE INDEX xfer_state ON xfer(state);"
    "PRAGMA user_version=4;";

/* Version 5: per-chunk digests of members (byte-range recalls check each
 * chunk), the recall queue (survives a restart), and which chunks of a
 * partly cached member the cache holds (a bitmap, NULL: all of them when
 * present = size). */
static const char SCHEMA_V5[] =
    "CREATE TABLE chunk("
    " member INTEGER PRIMARY KEY REFERENCES member(id),"
    " chunk_size INTEGER NOT NULL,"
    " n INTEGER NOT NULL,"
    " digests BLOB NOT NULL);"
    "CREATE TABLE recall_request("
    " id INTEGER PRIMARY KEY,"
    " member INTEGER NOT NULL DEFAULT 0,"
    " archive INTEGER NOT NULL DEFAULT 0,"
    " path BLOB,"
    " prefer TEXT NOT NULL DEFAULT '',"
    " priority INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL);"
    "CREATE INDEX recall_request_member ON recall_request(member);"
    "ALTER TABLE cache ADD COLUMN map BLOB;"
    "PRAGMA user_version=5;";

/* Version 6: an archive's uuid (the one its manifest holds on every copy)
 * and kind (a dump, or a snapshot of the catalog). */
static const char SCHEMA_V6[] =
    "ALTER TABLE archive ADD COLUMN uuid TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE archive ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX archive_uuid ON archive(uuid) WHERE uuid != '';"
    "PRAGMA user_version=6;";

/* Version 7: what a member holds beside its bytes: flags (a hard link to
 * an earlier member of its archive, a sparse file) and its extended
 * attributes and ACLs. */
static const char SCHEMA_V7[] =
    "ALTER TABLE member ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE xattr("
    " member INTEGER NOT NULL REFERENCES member(id),"
    " name BLOB NOT NULL,"
    " value BLOB NOT NULL,"
    " PRIMARY KEY(member, name)) WITHOUT ROWID;"
    "PRAGMA user_version=7;";

/* Lease columns of one table of work: the host holding it ('' free),
 * until when (ms, the database's clock) and its generation; the rows a
 * host holds found by a partial index (most rows are free). */
#define LEASE_COLUMNS(t)                                                       \
	"ALTER TABLE " t " ADD COLUMN lease_host TEXT NOT NULL DEFAULT '';"    \
	"ALTER TABLE " t " ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE " t " ADD COLUMN lease_gen INTEGER NOT NULL DEFAULT 0;"   \
	"CREATE INDEX " t "_lease ON " t "(lease_host) WHERE lease_host != '';"

/* Version 8: several hosts on one catalog (docs/multi-host.md): the hosts
 * with their start and heartbeat, and a lease on each row of work (recall
 * requests, dumps, verify runs, tape-to-tape copies). */
static const char SCHEMA_V8[] =
    "CREATE TABLE host("
    " name TEXT PRIMARY KEY NOT NULL,"
    " started INTEGER NOT NULL,"
    " heartbeat INTEGER NOT NULL);" LEASE_COLUMNS("recall_request")
	LEASE_COLUMNS("dump") LEASE_COLUMNS("run") LEASE_COLUMNS("xfer")
	    "PRAGMA user_version=8;";

/* Version 9: the library's drives as their hosts publish them
 * (catalog/drives.c), so that every host shows every drive: one row per
 * drive by the changer's number, the host driving it, what it does, and
 * when the row last changed (ms, the database's clock); lease_ms is the
 * host's lease time, after which a silent host's rows are stale. */
static const char SCHEMA_V9[] =
    "CREATE TABLE drive("
    " id INTEGER PRIMARY KEY,"
    " host TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT '',"
    " label TEXT NOT NULL DEFAULT '',"
    " job TEXT NOT NULL DEFAULT '',"
    " progress INTEGER NOT NULL DEFAULT -1,"
    " updated INTEGER NOT NULL DEFAULT 0,"
    " lease_ms INTEGER NOT NULL DEFAULT 0);"
    "PRAGMA user_version=9;";

/* Version 10: the lease on the staging directory the hosts share: one
 * host at a time dumps it, from its snapshot to its clean-up (one row). */
static const char SCHEMA_V10[] =
    "CREATE TABLE staging("
    " id INTEGER PRIMARY KEY,"
    " lease_host TEXT NOT NULL DEFAULT '',"
    " lease_until INTEGER NOT NULL DEFAULT 0,"
    " lease_gen INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO staging(id) VALUES(1);"
    "PRAGMA user_version=10;";

static const char *const steps[CATALOG_SCHEMA_VERSION] = {
    SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5,
    SCHEMA_V6, SCHEMA_V7, SCHEMA_V8, SCHEMA_V9, SCHEMA_V10};

static const char SQL_VERSION[] = "PRAGMA user_version";

static int version_get(struct catconn *c)
{
	struct catstmt *st = cat_stmt(c, SQL_VERSION);
	int rc, ret;

	if (!st)
		return -EIO;
	rc = cat_step(st, "schema version");
	ret = rc == 1 ? cat_col_int(st, 0) : rc == 0 ? -EIO : rc;
	cat_done(st);
	return ret;
}

/* Run steps until version `to`, in one transaction. */
static int migrate_to(struct catconn *c, int to)
{
	int v, ret;

	ret = cat_exec_sql(c, "BEGIN IMMEDIATE");
	if (ret < 0)
		return ret;
	v = version_get(c);
	if (v < 0) {
		ret = v;
		goto out_rollback;
	}
	if (v > CATALOG_SCHEMA_VERSION) {
		fprintf(stderr,
			"catalog: schema version %d is newer than %d: "
			"upgrade tapefs\n",
			v, CATALOG_SCHEMA_VERSION);
		ret = -EPROTO;
		goto out_rollback;
	}
	for (; v < to; v++) {
		ret = cat_exec_sql(c, steps[v]);
		if (ret < 0)
			goto out_rollback;
	}
	return cat_exec_sql(c, "COMMIT");

out_rollback:
	cat_exec_sql(c, "ROLLBACK");
	return ret;
}

int cat_schema_exists(struct catconn *c)
{
	int v = version_get(c);

	return v < 0 ? v : v == 0 ? -ENODATA : 0;
}

int cat_schema_migrate(struct catconn *c)
{
	return migrate_to(c, CATALOG_SCHEMA_VERSION);
}

int catalog_schema_version(struct catalog *cat)
{
	struct catconn *c = cat_conn_get(cat);
	int ret;

	if (!c)
		return -EIO;
	ret = version_get(c);
	cat_conn_put(cat, c);
	return ret;
}

static const char SQL_V1_SAMPLE[] =
    "INSERT INTO tape(barcode, pool, state, capacity) "
    "VALUES('V1TAPE', 'A', 0, 1000000);"
    "INSERT INTO dump(state, created, updated, files) VALUES(2, 1, 1, 1);"
    "INSERT INTO dump_file(dump, ord, path, size, mtime, mtime_nsec) "
    "VALUES(last_insert_rowid(), 0, 'v1/file', 3, 1, 0)";

int catalog_testing_create_v1(const char *path)
{
	struct catconn *c;
	int ret;

	ret = cat_conn_open(&c, &cat_sqlite_ops, path, 1);
	if (ret < 0)
		return ret;
	ret = migrate_to(c, 1);
	if (ret == 0)
		ret = cat_exec_sql(c, SQL_V1_SAMPLE);
	cat_conn_close(c);
	return ret;
}
