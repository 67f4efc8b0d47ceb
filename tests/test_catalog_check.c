/* tests/test_catalog_check.c - catalog_check finds each kind of damage,
 * repairs what is safe, says what it did, and leaves the rest reported.
 *
 * With arguments "--make DB KIND" it only builds a small catalog at DB
 * damaged by KIND (or "none"), and with "--add-tape DB BARCODE UUID" adds
 * a tape: helpers for the fsck shell test.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

struct findings {
	int found, repaired;
	char last[512];
};

static void report(void *ctx, int repaired, const char *msg)
{
	struct findings *f = ctx;

	f->found++;
	f->repaired += repaired;
	snprintf(f->last, sizeof(f->last), "%s", msg);
	fprintf(stderr, "# %s\n", msg);
}

static int build(struct catalog **out, const char *path)
{
	struct catalog *cat;
	struct catalog_tape ta = {.barcode = "K1", .pool = "A"};
	struct catalog_tape tb = {.barcode = "K2", .pool = "B"};
	struct catalog_archive_in ai = {.bytes = 8192, .block_size = 512};
	int ret;

	ret = catalog_testing_open(&cat, path);
	if (ret < 0)
		return ret;
	if ((ret = catalog_tape_add(cat, &ta)) < 0 ||
	    (ret = catalog_tape_add(cat, &tb)) < 0)
		goto out;
	for (int k = 1; k <= 2; k++) {
		struct catalog_copy_in cp[2] = {{"K1", k, 0, 8192},
						{"K2", k, 0, 8192}};
		struct catalog_member m[3];
		char paths[3][32];
		int64_t dump;

		memset(m, 0, sizeof(m));
		for (int j = 0; j < 3; j++) {
			snprintf(paths[j], sizeof(paths[j]), "d%d/f%d", k, j);
			m[j].path = paths[j];
			m[j].type = CATALOG_FILE;
			m[j].mode = S_IFREG | 0644;
			m[j].header_offset = (uint64_t)j * 1024 + 512;
			m[j].data_offset = m[j].header_offset + 512;
		}
		if ((ret = catalog_dump_create(cat, NULL, 0, &dump)) < 0 ||
		    (ret = catalog_dump_commit(cat, dump, &ai, cp, 2, m, 3,
					       NULL)) < 0)
			goto out;
	}
	*out = cat;
	return 0;
out:
	catalog_close(cat);
	return ret;
}

/* Damage a fresh catalog check-KIND.db by kind; check finds `found`;
 * repair fixes `fixed` of what it finds then; a last check finds `left`. */
static void damage(const char *kind, int found, int fixed, int left)
{
	struct findings f = {0};
	struct catalog *cat;
	char db[4096];

	snprintf(db, sizeof(db), "%s/check-%s.db", fx_tmp(), kind);
	CHECK_INT(build(&cat, db), 0);
	CHECK_INT(catalog_check(cat, 0, NULL, 0, report, &f), 0);
	CHECK_INT(catalog_testing_corrupt(cat, kind), 0);
	memset(&f, 0, sizeof(f));
	CHECK_INT(catalog_check(cat, 0, NULL, 0, report, &f), found);
	CHECK_INT(f.repaired, 0);
	memset(&f, 0, sizeof(f));
	CHECK(catalog_check(cat, 1, NULL, 0, report, &f) >= fixed);
	CHECK_INT(f.repaired, fixed);
	if (fixed)
		CHECK(strstr(f.last, "repaired") != NULL || f.found > fixed);
	memset(&f, 0, sizeof(f));
	CHECK_INT(catalog_check(cat, 0, NULL, 0, report, &f), left);
	catalog_close(cat);
}

/* After the repair of the namespace the path resolves again. */
static void after_namespace(struct catalog *cat)
{
	struct catalog_member m;

	CHECK_INT(catalog_ns_lookup(cat, "d1", &m), 0);
	catalog_member_release(&m);
}

/* After the repair of a tape's bytes they are its archives' again. */
static void after_bytes(struct catalog *cat)
{
	struct catalog_tape t;

	CHECK_INT(catalog_tape_get(cat, "K1", &t), 0);
	CHECK_INT(t.bytes_used, 2 * 8192);
}

/* Each kind of damage: found, fixed, left after the repair; and what the
 * repaired catalog, opened again, shows. */
static const struct damage_case {
	const char *kind;
	int found, fixed, left;
	void (*after)(struct catalog *cat);
} damages[] = {
    {"namespace", 1, 1, 0, after_namespace},
    {"count", 1, 1, 0, NULL},
    {"offsets", 1, 0, 1, NULL}, /* reported, never "fixed" */
    {"bytes", 1, 1, 0, after_bytes},
    /* the copy of a missing archive, and a file number past last_file;
     * dropping the copy repairs both */
    {"orphan", 2, 1, 0, NULL},
};

static void test_damage(void)
{
	for (size_t i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		const struct damage_case *d = &damages[i];
		char db[64];
		struct catalog *cat;

		damage(d->kind, d->found, d->fixed, d->left);
		if (!d->after)
			continue;
		snprintf(db, sizeof(db), "check-%s.db", d->kind);
		cat = fx_catalog(db);
		if (cat) {
			d->after(cat);
			catalog_close(cat);
		}
	}
}

static void test_unknown_kind(void)
{
	struct catalog *cat;

	CHECK_INT(build(&cat, "check-x.db"), 0);
	CHECK_INT(catalog_testing_corrupt(cat, "bogus"), -EINVAL);
	catalog_close(cat);
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "--add-tape") == 0) {
		struct catalog_tape t = {.pool = "A"};
		struct catalog *cat;
		int ret;

		snprintf(t.barcode, sizeof(t.barcode), "%s", argv[3]);
		snprintf(t.label_uuid, sizeof(t.label_uuid), "%s", argv[4]);
		ret = catalog_testing_open(&cat, argv[2]);
		if (ret == 0) {
			ret = catalog_tape_add(cat, &t);
			catalog_close(cat);
		}
		return ret < 0;
	}
	if (argc == 4 && strcmp(argv[1], "--make") == 0) {
		struct catalog *cat;
		int ret = build(&cat, argv[2]);

		if (ret == 0 && strcmp(argv[3], "none") != 0)
			ret = catalog_testing_corrupt(cat, argv[3]);
		if (ret == 0)
			catalog_close(cat);
		return ret < 0;
	}
	RUN(test_damage);
	RUN(test_unknown_kind);
	return check_done();
}
