/* tests/test_catalog_import.c - what a rebuild writes into a catalog:
 * archives imported from their manifests in any order give the namespace
 * of their dump order, with their uuid, time and dump id; a copy found on
 * another tape joins its archive by uuid; a catalog snapshot's member is
 * under its archive but not in the namespace; a partial archive is
 * journaled once; the online backup is a private, whole copy; and an
 * adopted tape takes only an adoption's archives (from file 0 on), never
 * a dump's, a rebuild's, a partial one's, and keeps its state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static struct catalog *cat;
static int adopting; /* import() as an adoption */

/* A member whose md5 tells its header and mtime apart. */
static struct catalog_member mem(const char *path, enum catalog_type type,
				 uint64_t size, uint64_t hdr, int64_t mtime)
{
	return fx_member(path, type, size, hdr, mtime, hdr + (uint64_t)mtime);
}

/* Import an archive of m[0..n) with one copy at (bc, fileno). */
static int import(const char *uuid, int64_t created, int64_t dump_id,
		  const char *bc, int64_t fileno,
		  const struct catalog_member *m, size_t n,
		  enum catalog_archive_kind kind, int64_t *archive)
{
	struct catalog_import imp;
	struct catalog_copy_in cp = {bc, fileno, 10 * (uint64_t)fileno,
				     1 << 20};
	struct catalog_commit *c = NULL;
	int ret;

	memset(&imp, 0, sizeof(imp));
	imp.archive.bytes = 1 << 20;
	imp.archive.block_size = 65536;
	imp.archive.uuid = uuid;
	imp.archive.created = created;
	imp.archive.kind = kind;
	imp.dump_id = dump_id;
	imp.dumped = created - 60;
	imp.adopted = adopting;
	ret = catalog_import_begin(cat, &imp, &cp, 1, &c);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		ret = catalog_commit_member(c, &m[i]);
		if (ret < 0) {
			catalog_commit_abort(c);
			return ret;
		}
	}
	return catalog_commit_end(c, archive);
}

static int64_t mtime_of(const char *path)
{
	struct catalog_member m;
	int64_t t = -1;

	if (catalog_ns_lookup(cat, path, &m) == 0)
		t = m.mtime;
	catalog_member_release(&m);
	return t;
}

static int count_entry(void *ctx, const char *name,
		       const struct catalog_member *m)
{
	(void)m;
	if (!strcmp(name, "TAPEFS.CATALOG"))
		++*(int *)ctx;
	return 0;
}

static void test_order(void)
{
	struct catalog_member v1[] = {
	    mem("d", CATALOG_DIR, 0, 0, 100),
	    mem("d/f", CATALOG_FILE, 10, 1536, 101),
	    mem("x/y", CATALOG_FILE, 10, 4096, 102),
	};
	struct catalog_member v2[] = {
	    mem("d/f", CATALOG_FILE, 20, 0, 201),
	    mem("x/y", CATALOG_FILE, 20, 2048, 202),
	};
	struct catalog_tape t = fx_tape("A1", "A", CATALOG_TAPE_SCRATCH, 1e9);
	struct catalog_tape t2 = fx_tape("B1", "B", CATALOG_TAPE_CLOSED, 1e9);
	struct catalog_archive a;
	struct catalog_member m;
	int64_t first = 0, second = 0, found = 0;

	CHECK_INT(catalog_tape_add(cat, &t), 0);
	CHECK_INT(catalog_tape_add(cat, &t2), 0);
	/* the newer archive (file 2) is imported first */
	CHECK_INT(import("uuid-2", 2000, 7, "A1", 2, v2, 2, 0, &second), 0);
	CHECK_INT(import("uuid-1", 1000, 3, "A1", 1, v1, 3, 0, &first), 0);
	CHECK_INT(mtime_of("d/f"), 201);
	CHECK_INT(mtime_of("x/y"), 202);
	CHECK_INT(mtime_of("d"), 100);
	/* x: implicit in both: the one of the first dump, as a commit in
	 * dump order leaves it */
	CHECK_INT(mtime_of("x"), 1000);
	CHECK_INT(catalog_archive_get(cat, first, &a), 0);
	CHECK_STR(a.uuid, "uuid-1");
	CHECK_INT(a.created, 1000);
	CHECK_INT(a.dump_id, 3);
	CHECK_INT(a.members, 3);
	CHECK_INT(catalog_tape_get(cat, "A1", &t), 0);
	CHECK_INT(t.last_file, 2);
	CHECK_INT(t.state, CATALOG_TAPE_OPEN);
	CHECK_INT(t.bytes_used, 2 << 20);
	/* a dump id already taken gets a new one */
	CHECK_INT(import("uuid-3", 3000, 3, "A1", 3, v2, 1, 0, &found), 0);
	CHECK_INT(catalog_archive_get(cat, found, &a), 0);
	CHECK(a.dump_id != 3 && a.dump_id > 7);
	CHECK_INT(mtime_of("d/f"), 201); /* same mtime, newer archive */
	CHECK_INT(catalog_ns_lookup(cat, "d/f", &m), 0);
	CHECK_INT(m.archive, found);
	catalog_member_release(&m);
	/* the same tape file twice: refused */
	CHECK_INT(import("uuid-4", 4000, 0, "A1", 3, v2, 1, 0, &found),
		  -EEXIST);
	CHECK_INT(import("uuid-4", 4000, 0, "NOPE", 1, v2, 1, 0, &found),
		  -ENOENT);

	/* the copy on B1 joins archive uuid-1 */
	CHECK_INT(catalog_archive_find(cat, "uuid-1", &found), 0);
	CHECK_INT(found, first);
	CHECK_INT(catalog_archive_find(cat, "uuid-9", &found), -ENOENT);
	struct catalog_copy_in cp = {"B1", 4, 77, 1 << 20};
	CHECK_INT(catalog_copy_import(cat, first, &cp), 0);
	CHECK_INT(catalog_copy_import(cat, first, &cp), -EEXIST);
	CHECK_INT(catalog_copy_get(cat, "B1", 4, &(struct catalog_copy){0}), 0);
	CHECK_INT(catalog_tape_get(cat, "B1", &t2), 0);
	CHECK_INT(t2.last_file, 4);
	CHECK_INT(t2.state, CATALOG_TAPE_OPEN); /* closed for holding it */
	struct catalog_copy_in bad = {"NOPE", 1, 0, 1};
	CHECK_INT(catalog_copy_import(cat, first, &bad), -ENOENT);
	CHECK_INT(catalog_copy_import(cat, 999, &cp), -ENOENT);
}

static void test_snapshot(void)
{
	struct catalog_member s[] = {
	    mem("TAPEFS.CATALOG", CATALOG_FILE, 4096, 0, 5000)};
	struct catalog_member bad[] = {
	    mem("dir/TAPEFS.CATALOG", CATALOG_FILE, 4096, 0, 5000)};
	struct catalog_member m;
	int64_t arch = 0, latest = 0;
	int seen = 0;

	CHECK_INT(catalog_snapshot_latest(cat, &latest), -ENOENT);
	CHECK_INT(import("uuid-s", 5000, 0, "A1", 5, bad, 1,
			 CATALOG_ARCHIVE_CATALOG, &arch),
		  -EINVAL);
	CHECK_INT(import("uuid-s", 5000, 0, "A1", 5, s, 1,
			 CATALOG_ARCHIVE_CATALOG, &arch),
		  0);
	CHECK_INT(catalog_snapshot_latest(cat, &latest), 0);
	CHECK_INT(latest, arch);
	CHECK_INT(catalog_archive_count(cat, CATALOG_ARCHIVE_CATALOG), 1);
	CHECK_INT(catalog_archive_count(cat, CATALOG_ARCHIVE_DATA), 3);
	CHECK_INT(catalog_ns_lookup(cat, "TAPEFS.CATALOG", &m), -ENOENT);
	CHECK_INT(catalog_ns_list(cat, "", NULL, count_entry, &seen), 0);
	CHECK_INT(seen, 0);
	CHECK_INT(catalog_archive_list(cat, arch, "", NULL, count_entry, &seen),
		  0);
	CHECK_INT(seen, 1);
	CHECK_INT(catalog_archive_lookup(cat, arch, "TAPEFS.CATALOG", &m), 0);
	CHECK_INT(m.size, 4096);
	catalog_member_release(&m);
	CHECK_INT(catalog_check(cat, 0, NULL, 0, NULL, NULL), 0);
}

static int count_dumps(void *ctx, const struct catalog_dump *d)
{
	(void)d;
	++*(int *)ctx;
	return 0;
}

static void test_partial(void)
{
	int before = 0, after = 0;

	CHECK_INT(catalog_dump_tape_wrote(cat, "A1", 8), 0);
	CHECK_INT(
	    catalog_dump_partial(cat, "A1", 8, 1234, 6000, "a partial archive"),
	    0);
	CHECK_INT(catalog_dump_tape_wrote(cat, "A1", 8), 1);
	/* the same again: nothing new (a rebuild run twice) */
	CHECK_INT(catalog_dump_unfinished(cat, count_dumps, &before), 0);
	CHECK_INT(catalog_dump_partial(cat, "A1", 8, 1234, 6000, "again"), 0);
	CHECK_INT(catalog_dump_unfinished(cat, count_dumps, &after), 0);
	CHECK_INT(before, 0); /* journaled failed, not unfinished */
	CHECK_INT(after, 0);
	CHECK_INT(catalog_dump_partial(cat, "", 6, 0, 0, NULL), -EINVAL);
	/* a closed tape with nothing but a partial archive: scratch again;
	 * one with archives before it: open; one whose partial is further
	 * on: closed still */
	struct catalog_tape t = fx_tape("C1", "A", CATALOG_TAPE_CLOSED, 1e9);
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	CHECK_INT(catalog_dump_partial(cat, "C1", 1, 3, 0, "cut"), 0);
	CHECK_INT(catalog_tape_get(cat, "C1", &t), 0);
	CHECK_INT(t.state, CATALOG_TAPE_SCRATCH);
	CHECK_INT(catalog_tape_set_state(cat, "A1", CATALOG_TAPE_CLOSED), 0);
	CHECK_INT(catalog_dump_partial(cat, "A1", 9, 3, 0, "cut"), 0);
	CHECK_INT(catalog_tape_get(cat, "A1", &t), 0);
	CHECK_INT(t.state, CATALOG_TAPE_CLOSED);
	CHECK_INT(catalog_dump_partial(cat, "A1", 6, 3, 0, "cut"), 0);
	CHECK_INT(catalog_tape_get(cat, "A1", &t), 0);
	CHECK_INT(t.state, CATALOG_TAPE_OPEN);
}

static void test_backup(void)
{
	struct catalog *b = NULL;
	struct catalog_member m;
	struct stat st;

	CHECK_INT(catalog_backup(cat, "backup.db"), 0);
	CHECK_INT(stat("backup.db", &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK(access("backup.db.tmp", F_OK) != 0);
	CHECK(access("backup.db-wal", F_OK) != 0);
	/* a sqlite file whatever the catalog is (make check-pg) */
	CHECK_INT(catalog_open(&b, "backup.db"), 0);
	if (!b)
		return;
	CHECK_INT(catalog_ns_lookup(b, "x/y", &m), 0);
	CHECK_INT(m.mtime, 202);
	catalog_member_release(&m);
	CHECK_INT(catalog_archive_count(b, CATALOG_ARCHIVE_DATA), 3);
	catalog_close(b);
	/* a second backup replaces the first */
	CHECK_INT(catalog_backup(cat, "backup.db"), 0);
	CHECK_INT(catalog_backup(cat, "no/such/dir/backup.db"), -ENOENT);
}

static void test_adopted(void)
{
	struct catalog_member m[] = {
	    mem("adopted/F1/a", CATALOG_FILE, 5, 0, 7)};
	struct catalog_tape t =
	    fx_tape("F1", "adopted", CATALOG_TAPE_ADOPTED, 0);
	struct catalog_dump_file df = {.path = "z", .size = 1, .mode = S_IFREG};
	struct catalog_archive_in ain = {.bytes = 1, .block_size = 512};
	struct catalog_copy_in cp = {"F1", 1, 0, 512};
	struct catalog_commit *c = NULL;
	int64_t id = 0, dump = 0;

	CHECK_INT(catalog_tape_add(cat, &t), 0);
	/* a rebuild's import, a copy found, a partial archive: refused */
	CHECK_INT(
	    import("u-f1", 7000, 0, "F1", 1, m, 1, CATALOG_ARCHIVE_DATA, &id),
	    -EROFS);
	CHECK_INT(catalog_copy_import(cat, 1, &cp), -EROFS);
	CHECK_INT(catalog_dump_partial(cat, "F1", 1, 0, 0, "x"), -EROFS);
	/* a dump's commit: refused */
	CHECK_INT(catalog_dump_create(cat, &df, 1, &dump), 0);
	CHECK_INT(catalog_commit_begin(cat, dump, &ain, &cp, 1, &c), -EROFS);
	/* an adoption: on the adopted tape only, from its file 0 */
	adopting = 1;
	CHECK_INT(
	    import(NULL, 7000, 0, "A1", 20, m, 1, CATALOG_ARCHIVE_DATA, &id),
	    -EROFS);
	CHECK_INT(
	    import(NULL, 7000, 0, "F1", 0, m, 1, CATALOG_ARCHIVE_DATA, &id), 0);
	adopting = 0;
	CHECK_INT(mtime_of("adopted/F1/a"), 7);
	CHECK_INT(catalog_tape_get(cat, "F1", &t), 0);
	CHECK_INT(t.state, CATALOG_TAPE_ADOPTED);
	/* its state stays; no tape becomes adopted */
	CHECK_INT(catalog_tape_set_state(cat, "F1", CATALOG_TAPE_OPEN), -EPERM);
	CHECK_INT(catalog_tape_set_state(cat, "F1", CATALOG_TAPE_RETIRED),
		  -EPERM);
	CHECK_INT(catalog_tape_set_state(cat, "A1", CATALOG_TAPE_ADOPTED),
		  -EPERM);
	t.state = CATALOG_TAPE_SCRATCH;
	CHECK_INT(catalog_tape_update(cat, &t), -EPERM);
	CHECK_INT(catalog_tape_set_location(cat, "F1", "slot 3"), 0);
	CHECK_INT(catalog_tape_choose(cat, "adopted", 1, NULL, 0, &t), -ENOSPC);
}

int main(void)
{
	cat = fx_catalog("import.db");
	if (!cat)
		return check_done();
	RUN(test_order);
	RUN(test_snapshot);
	RUN(test_partial);
	RUN(test_backup);
	RUN(test_adopted);
	catalog_close(cat);
	return check_done();
}
