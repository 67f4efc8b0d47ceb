/* tests/test_catalog_migrate.c - a version 1 catalog is upgraded in place
 * on open and keeps its rows; a newer schema and a file that is not a
 * catalog are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tests/check.h"

static int count_dump(void *ctx, const struct catalog_dump *d)
{
	(void)d;
	++*(int *)ctx;
	return 0;
}

static int count_drive(void *ctx, const struct catalog_drive *d)
{
	(void)d;
	++*(int *)ctx;
	return 0;
}

static void test_v1_upgrade(void)
{
	struct catalog *cat;
	struct catalog_tape t;
	struct catalog_cache_entry e = { .member_id = 5, .file = "x" };
	int64_t run;

	CHECK_INT(catalog_testing_create_v1("v1.db"), 0);
	CHECK_INT(catalog_open(&cat, "v1.db"), 0);
	CHECK_INT(catalog_schema_version(cat), CATALOG_SCHEMA_VERSION);
	CHECK_INT(catalog_tape_get(cat, "V1TAPE", &t), 0);
	CHECK_STR(t.pool, "A");
	CHECK_INT(t.capacity, 1000000);
	CHECK_STR(t.location, "");
	CHECK_STR(t.label_uuid, "");
	/* a dump committed before entries' identities were journaled never
	 * counts as waiting for its clean-up (version 3) */
	int uncleaned = 0;
	CHECK_INT(catalog_dump_uncleaned(cat, count_dump, &uncleaned), 0);
	CHECK_INT(uncleaned, 0);
	/* the columns and tables version 2 added work */
	CHECK_INT(catalog_tape_set_location(cat, "V1TAPE", "offsite: vault"),
		  0);
	CHECK_INT(catalog_tape_get(cat, "V1TAPE", &t), 0);
	CHECK_STR(t.location, "offsite: vault");
	/* the version 1 tables take a dump commit as before */
	struct catalog_member m = { .path = "up/graded", .type = CATALOG_FILE,
				    .size = 3, .mode = 0100644 };
	struct catalog_archive_in ai = { .bytes = 3, .block_size = 512 };
	struct catalog_copy_in cp = { "V1TAPE", 1, 1, 1024 };
	struct catalog_member got;
	int64_t dump;
	CHECK_INT(catalog_dump_create(cat, NULL, 0, &dump), 0);
	CHECK_INT(catalog_dump_commit(cat, dump, &ai, &cp, 1, &m, 1, NULL), 0);
	CHECK_INT(catalog_ns_lookup(cat, "up/graded", &got), 0);
	CHECK_INT(got.size, 3);
	catalog_member_release(&got);
	CHECK_INT(catalog_run_start(cat, "all", &run), 0);
	/* version 8: the upgraded tables of work take leases */
	struct catalog_lease l;
	CHECK_INT(catalog_lease_get(cat, CATALOG_WORK_DUMP, dump, &l), 0);
	CHECK_STR(l.host, "");
	CHECK_INT(l.gen, 0);
	CHECK_INT(catalog_host_join(cat, "upgraded", 60000), 0);
	CHECK_INT(catalog_lease_take(cat, CATALOG_WORK_VERIFY, run, &l), 0);
	CHECK_STR(l.host, "upgraded");
	CHECK_INT(l.gen, 1);
	/* version 9: the host publishes its drives */
	struct catalog_drive dr = {.id = 2, .state = "idle", .progress = -1};
	int ndr = 0;
	CHECK_INT(catalog_drive_publish(cat, &dr, 1, 1), 0);
	CHECK_INT(catalog_drive_list(cat, count_drive, &ndr), 0);
	CHECK_INT(ndr, 1);
	CHECK_INT(catalog_host_leave(cat), 0);
	CHECK_INT(catalog_cache_put(cat, &e), 0);
	CHECK_INT(catalog_check(cat, 0, NULL, 0, NULL, NULL), 2); /* the
		cache entry names no member; the sample's committed dump has
		no archive */
	catalog_close(cat);
	/* a second open changes nothing */
	CHECK_INT(catalog_open(&cat, "v1.db"), 0);
	CHECK_INT(catalog_schema_version(cat), CATALOG_SCHEMA_VERSION);
	CHECK_INT(catalog_tape_get(cat, "V1TAPE", &t), 0);
	CHECK_STR(t.location, "offsite: vault");
	catalog_close(cat);
}

/* user_version is the big-endian 32-bit word at offset 60 of the file. */
static void set_user_version(const char *path, unsigned v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
	int fd = open(path, O_WRONLY);

	CHECK(fd >= 0);
	CHECK_INT(pwrite(fd, b, 4, 60), 4);
	close(fd);
}

static void test_newer_refused(void)
{
	struct catalog *cat;

	CHECK_INT(catalog_open(&cat, "new.db"), 0);
	catalog_close(cat);
	set_user_version("new.db", 99);
	CHECK_INT(catalog_open(&cat, "new.db"), -EPROTO);
}

static void test_not_a_catalog(void)
{
	struct catalog *cat;
	char junk[4096];
	int fd = open("junk.db", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	memset(junk, 'j', sizeof(junk));
	CHECK_INT(write(fd, junk, sizeof(junk)), (long long)sizeof(junk));
	close(fd);
	CHECK_INT(catalog_open(&cat, "junk.db"), -EIO);
	CHECK_INT(catalog_open(&cat, "no/such/dir/x.db"), -EIO);
	CHECK_INT(catalog_open(&cat, ""), -EINVAL);
}

int main(void)
{
	RUN(test_v1_upgrade);
	RUN(test_newer_refused);
	RUN(test_not_a_catalog);
	return check_done();
}
