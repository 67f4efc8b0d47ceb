/* tests/test_catalog_names.c - hostile names round-trip exactly: newlines,
 * quotes, 255-byte components, invalid UTF-8, SQL metacharacters; and
 * malformed paths are refused with a clear errno.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static struct catalog *cat;
static char long_name[256], long_path[300], too_long[300];

static const char *const names[] = {
    "line\nbreak",
    "quote\"double",
    "quote'single",
    "'; DROP TABLE member; --",
    "percent %s %n %%",
    "back\\slash",
    "invalid \xff\xfe utf8 \xc3",
    "tab\tand space ",
    "star*?[x]",
    "utf8 \xc3\xa9t\xc3\xa9",
    "-dash",
    "...",
    "dir/with'quote/and\nnewline",
    long_path,
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static int seen[NNAMES];

static int mark_member(void *ctx, const struct catalog_member *m)
{
	(void)ctx;
	for (size_t i = 0; i < NNAMES; i++)
		if (strcmp(m->path, names[i]) == 0 && m->ordinal == (int64_t)i)
			seen[i]++;
	return 0;
}

static int mark_entry(void *ctx, const char *name,
		      const struct catalog_member *m)
{
	(void)m;
	for (size_t i = 0; i < NNAMES; i++)
		if (strcmp(name, names[i]) == 0)
			(*(int *)ctx)++;
	return 0;
}

static int mark_file(void *ctx, const struct catalog_dump_file *f)
{
	int *n = ctx;

	if (strcmp(f->path, names[*n % NNAMES]) == 0)
		(*n)++;
	return 0;
}

static void test_round_trip(void)
{
	struct catalog_tape t = {.barcode = "N1", .pool = "A"};
	struct catalog_member m[NNAMES];
	struct catalog_dump_file f[NNAMES];
	struct catalog_archive_in ai = {.bytes = 1, .block_size = 10240};
	struct catalog_copy_in cp = {"N1", 1, 5, 1};
	int64_t dump, arch;
	int n = 0;

	CHECK_INT(catalog_tape_add(cat, &t), 0);
	memset(m, 0, sizeof(m));
	for (size_t i = 0; i < NNAMES; i++) {
		m[i].path = (char *)names[i];
		m[i].type = CATALOG_FILE;
		m[i].mode = S_IFREG | 0644;
		m[i].size = i;
		m[i].header_offset = i * 1024;
		m[i].data_offset = i * 1024 + 512;
		f[i].path = names[i];
		f[i].size = i;
	}
	m[0].type = CATALOG_SYMLINK;
	m[0].link = "target\nwith 'quotes' and \xff";
	CHECK_INT(catalog_dump_create(cat, f, NNAMES, &dump), 0);
	CHECK_INT(catalog_dump_files(cat, dump, mark_file, &n), 0);
	CHECK_INT(n, NNAMES);
	CHECK_INT(catalog_dump_commit(cat, dump, &ai, &cp, 1, m, NNAMES, &arch),
		  0);
	for (size_t i = 0; i < NNAMES; i++) {
		struct catalog_member got;

		CHECK_INT(catalog_ns_lookup(cat, names[i], &got), 0);
		CHECK_STR(got.path, names[i]);
		CHECK_INT(got.size, i);
		catalog_member_release(&got);
		CHECK_INT(catalog_archive_lookup(cat, arch, names[i], &got), 0);
		CHECK_STR(got.path, names[i]);
		catalog_member_release(&got);
	}
	struct catalog_member l;
	CHECK_INT(catalog_ns_lookup(cat, names[0], &l), 0);
	CHECK_STR(l.link, "target\nwith 'quotes' and \xff");
	catalog_member_release(&l);
	CHECK_INT(catalog_archive_members(cat, arch, 0, mark_member, NULL), 0);
	for (size_t i = 0; i < NNAMES; i++)
		CHECK_INT(seen[i], 1);
	n = 0;
	CHECK_INT(catalog_ns_list(cat, "", NULL, mark_entry, &n), 0);
	CHECK_INT(n, NNAMES - 2); /* two live in subdirectories */
	n = 0;
	CHECK_INT(catalog_ns_list(cat, "dir/with'quote", NULL, mark_entry, &n),
		  0);
	CHECK_INT(n, 0); /* its child "and\nnewline" is not a full name */
	n = 0;
	CHECK_INT(catalog_ns_list(cat, long_name, NULL, mark_entry, &n), 0);
	CHECK_INT(n, 0);
	/* the tables survived the metacharacters */
	CHECK_INT(catalog_check(cat, 0, NULL, 0, NULL, NULL), 0);
	/* listing "after" a name with invalid UTF-8 pages in byte order */
	n = 0;
	CHECK_INT(catalog_ns_list(cat, "", "invalid \xff\xfe utf8 \xc3",
				  mark_entry, &n),
		  0);
	/* line, percent, quote" quote' star tab utf8: bytes after "inv" */
	CHECK_INT(n, 7);
}

static void test_refused(void)
{
	struct catalog_member m, got;
	struct catalog_archive_in ai = {.bytes = 1, .block_size = 10240};
	struct catalog_copy_in cp = {"N1", 2, 5, 1};
	const char *bad[] = {"a/../b", "..", ".", "a//b", "./a", "a/./b"};
	int64_t dump, arch;

	CHECK_INT(catalog_ns_lookup(cat, too_long, &got), -ENAMETOOLONG);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(catalog_ns_lookup(cat, bad[i], &got), -EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = CATALOG_FILE;
	CHECK_INT(catalog_dump_create(cat, NULL, 0, &dump), 0);
	m.path = too_long;
	CHECK_INT(catalog_dump_commit(cat, dump, &ai, &cp, 1, &m, 1, &arch),
		  -ENAMETOOLONG);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.path = (char *)bad[i];
		CHECK_INT(
		    catalog_dump_commit(cat, dump, &ai, &cp, 1, &m, 1, &arch),
		    -EINVAL);
	}
	m.path = "";
	CHECK_INT(catalog_dump_commit(cat, dump, &ai, &cp, 1, &m, 1, &arch),
		  -EINVAL);
	m.path = "ok";
	m.type = CATALOG_SYMLINK; /* without a target */
	CHECK_INT(catalog_dump_commit(cat, dump, &ai, &cp, 1, &m, 1, &arch),
		  -EINVAL);
	m.type = CATALOG_FILE;
	strcpy(m.md5, "not hex");
	CHECK_INT(catalog_dump_commit(cat, dump, &ai, &cp, 1, &m, 1, &arch),
		  -EINVAL);
	m.md5[0] = 0;
	m.mtime_nsec = 1000000000;
	CHECK_INT(catalog_dump_commit(cat, dump, &ai, &cp, 1, &m, 1, &arch),
		  -EINVAL);
	/* a bad member inside a streaming commit refuses that member only */
	struct catalog_commit *c;
	m.mtime_nsec = 0;
	CHECK_INT(catalog_commit_begin(cat, dump, &ai, &cp, 1, &c), 0);
	m.path = "a/../x";
	CHECK_INT(catalog_commit_member(c, &m), -EINVAL);
	m.path = "fine";
	CHECK_INT(catalog_commit_member(c, &m), 0);
	CHECK_INT(catalog_commit_end(c, &arch), 0);
	CHECK_INT(catalog_ns_lookup(cat, "fine", &got), 0);
	catalog_member_release(&got);
	CHECK_INT(catalog_check(cat, 0, NULL, 0, NULL, NULL), 0);
}

int main(void)
{
	memset(long_name, 'n', 255);
	long_name[255] = 0;
	snprintf(long_path, sizeof(long_path), "%s/f", long_name);
	memset(too_long, 'x', 256);
	too_long[256] = 0;
	cat = fx_catalog("names.db");
	if (!cat)
		return check_done();
	RUN(test_round_trip);
	RUN(test_refused);
	catalog_close(cat);
	return check_done();
}
