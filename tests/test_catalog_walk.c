/* tests/test_catalog_walk.c - the shared get-one-row and walk-the-rows
 * paths of catalog/: an unknown key is -ENOENT for every get, a walk calls
 * back once per row in order, and a callback's nonzero return stops the
 * walk and is what the caller gets back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static struct catalog *cat;

/* Collects what a walk saw; returns stop_rc once calls reaches stop_at. */
struct seen {
	int calls;
	int stop_at; /* 0: never stop */
	int stop_rc;
	char buf[256];
};

static int seen_add(struct seen *s, const char *what)
{
	size_t l = strlen(s->buf);

	snprintf(s->buf + l, sizeof(s->buf) - l, "%s%s", l ? " " : "", what);
	s->calls++;
	return s->stop_at && s->calls == s->stop_at ? s->stop_rc : 0;
}

static int on_tape(void *ctx, const struct catalog_tape *t)
{
	return seen_add(ctx, t->barcode);
}

static int on_file(void *ctx, const struct catalog_dump_file *f)
{
	return seen_add(ctx, f->path);
}

static int on_dtape(void *ctx, const struct catalog_dump_tape *t)
{
	return seen_add(ctx, t->barcode);
}

static int on_dump(void *ctx, const struct catalog_dump *d)
{
	char id[32];

	snprintf(id, sizeof(id), "%lld", (long long)d->id);
	return seen_add(ctx, id);
}

static int on_run(void *ctx, const struct catalog_run *r)
{
	(void)r;
	return seen_add(ctx, "run");
}

static void add_tape(const char *barcode)
{
	struct catalog_tape t =
	    fx_tape(barcode, "W", CATALOG_TAPE_SCRATCH, 1 << 30);

	CHECK_INT(catalog_tape_add(cat, &t), 0);
}

static void test_get_unknown(void)
{
	struct catalog_archive a;
	struct catalog_cache_entry e;
	struct catalog_copy cp;
	struct catalog_dump d;
	struct catalog_run r;
	struct catalog_tape t;

	CHECK_INT(catalog_tape_get(cat, "NOSUCH", &t), -ENOENT);
	CHECK_INT(catalog_dump_get(cat, 999, &d), -ENOENT);
	CHECK_INT(catalog_archive_get(cat, 999, &a), -ENOENT);
	CHECK_INT(catalog_copy_get(cat, "NOSUCH", 1, &cp), -ENOENT);
	CHECK_INT(catalog_run_get(cat, 999, &r), -ENOENT);
	CHECK_INT(catalog_cache_get(cat, 999, &e), -ENOENT);
	CHECK_INT(catalog_tape_get(cat, "W00002", &t), 0);
	CHECK_STR(t.barcode, "W00002");
	CHECK_STR(t.pool, "W");
}

static void test_walks(void)
{
	struct catalog_dump_file f[] = {{.path = "s/a", .size = 1, .mtime = 5},
					{.path = "s/b", .size = 2, .mtime = 6},
					{.path = "s/c", .size = 3, .mtime = 7}};
	struct catalog_dump_tape dt = {
	    .copy = 0, .barcode = "W00001", .fileno = 1};
	struct seen s;
	int64_t id1, id2;
	char want[64];

	CHECK_INT(catalog_dump_create(cat, f, 3, &id1), 0);
	CHECK_INT(catalog_dump_create(cat, f, 1, &id2), 0);
	CHECK_INT(catalog_dump_tape_add(cat, id1, &dt), 0);
	strcpy(dt.barcode, "W00002");
	dt.fileno = 4;
	CHECK_INT(catalog_dump_tape_add(cat, id1, &dt), 0);

	/* every row, in order */
	memset(&s, 0, sizeof(s));
	CHECK_INT(catalog_tape_list(cat, "W", -1, on_tape, &s), 0);
	CHECK_STR(s.buf, "W00001 W00002 W00003");
	memset(&s, 0, sizeof(s));
	CHECK_INT(catalog_dump_files(cat, id1, on_file, &s), 0);
	CHECK_STR(s.buf, "s/a s/b s/c");
	memset(&s, 0, sizeof(s));
	CHECK_INT(catalog_dump_tapes(cat, id1, on_dtape, &s), 0);
	CHECK_STR(s.buf, "W00001 W00002");
	memset(&s, 0, sizeof(s));
	CHECK_INT(catalog_dump_unfinished(cat, on_dump, &s), 0);
	snprintf(want, sizeof(want), "%lld %lld", (long long)id1,
		 (long long)id2);
	CHECK_STR(s.buf, want);

	/* no rows: no call, 0 */
	memset(&s, 0, sizeof(s));
	CHECK_INT(catalog_tape_list(cat, "NOPOOL", -1, on_tape, &s), 0);
	CHECK_INT(catalog_dump_files(cat, 999, on_file, &s), 0);
	CHECK_INT(catalog_run_list(cat, on_run, &s), 0);
	CHECK_INT(s.calls, 0);

	/* a callback's nonzero return stops the walk and comes back */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	s.stop_rc = -EINTR;
	CHECK_INT(catalog_tape_list(cat, NULL, -1, on_tape, &s), -EINTR);
	CHECK_STR(s.buf, "W00001 W00002");
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.stop_rc = 7;
	CHECK_INT(catalog_dump_files(cat, id1, on_file, &s), 7);
	CHECK_STR(s.buf, "s/a");
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.stop_rc = 1;
	CHECK_INT(catalog_dump_tapes(cat, id1, on_dtape, &s), 1);
	CHECK_INT(s.calls, 1);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.stop_rc = -ECANCELED;
	CHECK_INT(catalog_dump_unfinished(cat, on_dump, &s), -ECANCELED);
	CHECK_INT(s.calls, 1);
}

int main(void)
{
	cat = fx_catalog("walk.db");
	if (!cat)
		return check_done();
	add_tape("W00001");
	add_tape("W00002");
	add_tape("W00003");
	RUN(test_get_unknown);
	RUN(test_walks);
	catalog_close(cat);
	return check_done();
}
