/* tests/test_catalog_private.c - the catalog as the daemon's own file: made
 * 0600 (with its WAL), an older one readable by others made private; opened
 * for a check only when it exists and holds a schema (never created then);
 * refusing a tape whose barcode is not one; its pages checked before use
 * (sound, damaged, or not finished in the time given).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tapeio/changer.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static const char *db_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", fx_tmp(), name);
	return buf;
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static void test_private_modes(void)
{
	struct catalog_tape t = {.barcode = "P00001L9", .pool = "A"};
	struct catalog *cat;
	char db[4096], wal[4200];

	db_path(db, sizeof(db), "private.db");
	snprintf(wal, sizeof(wal), "%s-wal", db);
	CHECK_INT(catalog_open(&cat, db), 0);
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	CHECK_INT(mode_of(db), 0600);
	CHECK_INT(mode_of(wal), 0600);
	catalog_close(cat);
	/* a catalog an older tapefs made 0644 */
	CHECK_INT(chmod(db, 0644), 0);
	CHECK_INT(catalog_open(&cat, db), 0);
	CHECK_INT(mode_of(db), 0600);
	catalog_close(cat);
}

static void test_open_existing(void)
{
	struct catalog *cat = NULL;
	char db[4096];
	int fd;

	db_path(db, sizeof(db), "missing.db");
	CHECK_INT(catalog_open_existing(&cat, db), -ENOENT);
	CHECK(access(db, F_OK) != 0); /* not created */
	db_path(db, sizeof(db), "empty.db");
	fd = open(db, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_INT(catalog_open_existing(&cat, db), -ENODATA);
	CHECK_INT(mode_of(db) >= 0, 1);
	db_path(db, sizeof(db), "real.db");
	CHECK_INT(catalog_open(&cat, db), 0);
	catalog_close(cat);
	CHECK_INT(catalog_open_existing(&cat, db), 0);
	catalog_close(cat);
}

static void test_barcodes(void)
{
	static const char *const bad[] = {
	    "..",  "a/b", "",	       "a00001l9",
	    "A_1", "A-1", "A00001L9 ", "ABCDEFGHIJKLMNOPQ",
	    "A.1"};
	static const char *const good[] = {"A00001L9", "Z", "0",
					   "ABCDEFGHIJKLMNOP"};
	struct catalog *cat;
	char db[4096];

	CHECK_INT(catalog_open(&cat, db_path(db, sizeof(db), "bc.db")), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct catalog_tape t = {.pool = "A"};

		snprintf(t.barcode, sizeof(t.barcode), "%s", bad[i]);
		CHECK_INT(catalog_barcode_valid(bad[i]), 0);
		CHECK_INT(changer_barcode_valid(bad[i]), 0);
		CHECK_INT(catalog_tape_add(cat, &t), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct catalog_tape t = {.pool = "A"};

		snprintf(t.barcode, sizeof(t.barcode), "%s", good[i]);
		CHECK_INT(catalog_barcode_valid(good[i]), 1);
		CHECK_INT(changer_barcode_valid(good[i]), 1);
		CHECK_INT(catalog_tape_add(cat, &t), 0);
	}
	CHECK_INT(catalog_tape_count(cat, NULL, -1), 4);
	catalog_close(cat);
}

/* A catalog of n members in one archive (its member b-tree over many
 * pages). */
static int build(const char *db, int n)
{
	struct catalog_tape t = {.barcode = "Q00001L9", .pool = "A"};
	struct catalog_archive_in ai = {.bytes = 1 << 20, .block_size = 512};
	struct catalog_copy_in cp = {"Q00001L9", 1, 0, 1 << 20};
	struct catalog_member *m = calloc((size_t)n, sizeof(*m));
	char(*paths)[48] = calloc((size_t)n, sizeof(*paths));
	struct catalog *cat = NULL;
	int64_t dump;
	int ret = -ENOMEM;

	if (!m || !paths)
		goto out;
	for (int i = 0; i < n; i++) {
		snprintf(paths[i], sizeof(paths[i]), "dir/a-member-named-%06d",
			 i);
		m[i].path = paths[i];
		m[i].type = CATALOG_FILE;
		m[i].mode = S_IFREG | 0644;
		m[i].header_offset = (uint64_t)i * 1024;
		m[i].data_offset = m[i].header_offset + 512;
	}
	ret = catalog_open(&cat, db);
	if (!ret)
		ret = catalog_tape_add(cat, &t);
	if (!ret)
		ret = catalog_dump_create(cat, NULL, 0, &dump);
	if (!ret)
		ret = catalog_dump_commit(cat, dump, &ai, &cp, 1, m, (size_t)n,
					  NULL);
	catalog_close(cat);
out:
	free(paths);
	free(m);
	return ret;
}

/* Random-looking bytes over the start of page (1-based) of db. */
static int damage(const char *db, long page)
{
	unsigned char junk[512];
	int fd = open(db, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	fx_fill(junk, sizeof(junk), 7);
	n = pwrite(fd, junk, sizeof(junk), (page - 1) * 4096);
	close(fd);
	return n == (ssize_t)sizeof(junk) ? 0 : -EIO;
}

static void test_quick_check(void)
{
	struct catalog *cat;
	char db[4096], why[512];

	db_path(db, sizeof(db), "qc.db");
	CHECK_INT(build(db, 50000), 0);
	CHECK_INT(catalog_open(&cat, db), 0);
	CHECK_INT(catalog_quick_check(cat, 0, why, sizeof(why)), 0);
	CHECK(strcmp(why, "ok") == 0);
	/* far less time than 50 000 members take (tens of ms): stopped,
	 * not damaged */
	CHECK_INT(catalog_quick_check(cat, 1, why, sizeof(why)), 1);
	catalog_close(cat);
	/* the last pages of the file hold members: damage one */
	{
		struct stat st;

		CHECK_INT(stat(db, &st), 0);
		CHECK_INT(damage(db, (long)(st.st_size / 4096) - 2), 0);
	}
	CHECK_INT(catalog_open(&cat, db), 0);
	CHECK_INT(catalog_quick_check(cat, 0, why, sizeof(why)), -EUCLEAN);
	CHECK(strcmp(why, "ok") != 0);
	CHECK(strchr(why, '\n') == NULL);
	fprintf(stderr, "# damaged: %s\n", why);
	catalog_close(cat);
}

int main(void)
{
	RUN(test_private_modes);
	RUN(test_open_existing);
	RUN(test_barcodes);
	RUN(test_quick_check);
	return check_done();
}
