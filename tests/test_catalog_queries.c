/* tests/test_catalog_queries.c - every query of catalog/catalog.h on a small
 * catalog: tapes, a dump's journal and commit, the namespace, the view of
 * one archive, where-is, summaries, verify runs, the cache, recall order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static struct catalog *cat;

static void add_tape(const char *barcode, const char *pool,
		     enum catalog_tape_state state, uint64_t capacity)
{
	struct catalog_tape t = fx_tape(barcode, pool, state, capacity);

	snprintf(t.location, sizeof(t.location), "slot 1");
	CHECK_INT(catalog_tape_add(cat, &t), 0);
}

/* A member of one mtime (with nanoseconds) whose md5 tells its header. */
static struct catalog_member mem(const char *path, enum catalog_type type,
				 uint64_t size, uint64_t hdr)
{
	struct catalog_member m =
	    fx_member(path, type, size, hdr, 1700000000, hdr + 1);

	m.mtime_nsec = 123456789;
	return m;
}

/* A dump of files with two copies on tapes a and b; returns the archive. */
static int64_t dump(const char *a, int64_t fa, const char *b, int64_t fb,
		    const struct catalog_member *m, size_t n)
{
	struct catalog_dump_file f[16];
	struct catalog_archive_in ai = {.bytes = 1 << 20, .block_size = 262144};
	struct catalog_copy_in cp[2] = {
	    {a, fa, 100 + (uint64_t)fa * 10, 1 << 20},
	    {b, fb, 200 + (uint64_t)fb * 10, 1 << 20},
	};
	struct catalog_dump_tape dt;
	int64_t id = 0, arch = 0;

	for (size_t i = 0; i < n; i++) {
		f[i].path = m[i].path;
		f[i].size = m[i].size;
		f[i].mtime = m[i].mtime;
		f[i].mtime_nsec = m[i].mtime_nsec;
	}
	CHECK_INT(catalog_dump_create(cat, f, n, &id), 0);
	memset(&dt, 0, sizeof(dt));
	snprintf(dt.barcode, sizeof(dt.barcode), "%s", a);
	dt.fileno = fa;
	CHECK_INT(catalog_dump_tape_add(cat, id, &dt), 0);
	CHECK_INT(catalog_dump_commit(cat, id, &ai, cp, b ? 2 : 1, m, n, &arch),
		  0);
	CHECK(arch > 0);
	return arch;
}

static void test_tapes(void)
{
	struct catalog_tape t, got;
	const char *ex[1] = {"A00002"};

	add_tape("A00001", "A", CATALOG_TAPE_SCRATCH, 1000000000);
	add_tape("A00002", "A", CATALOG_TAPE_SCRATCH, 1000000000);
	add_tape("A00003", "A", CATALOG_TAPE_RETIRED, 1000000000);
	add_tape("B00001", "B", CATALOG_TAPE_SCRATCH, 1000000000);
	add_tape("B00002", "B", CATALOG_TAPE_SCRATCH, 1000000000);
	memset(&t, 0, sizeof(t));
	strcpy(t.barcode, "A00001");
	strcpy(t.pool, "A");
	CHECK_INT(catalog_tape_add(cat, &t), -EEXIST);
	t.barcode[0] = 0;
	CHECK_INT(catalog_tape_add(cat, &t), -EINVAL);
	CHECK_INT(catalog_tape_get(cat, "NOPE", &got), -ENOENT);
	CHECK_INT(catalog_tape_get(cat, "A00001", &got), 0);
	CHECK_STR(got.pool, "A");
	CHECK_STR(got.location, "slot 1");
	CHECK_INT(got.state, CATALOG_TAPE_SCRATCH);
	CHECK_INT(catalog_tape_set_location(cat, "A00001", "drive 0"), 0);
	CHECK_INT(catalog_tape_set_label(cat, "A00001", "uuid-a1"), 0);
	CHECK_INT(catalog_tape_set_state(cat, "NOPE", CATALOG_TAPE_FULL),
		  -ENOENT);
	CHECK_INT(catalog_tape_set_serial(cat, "A00001", "SN-1234"), 0);
	CHECK_INT(catalog_tape_set_serial(cat, "NOPE", "SN"), -ENOENT);
	char toolong[100];
	memset(toolong, 's', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = 0;
	CHECK_INT(catalog_tape_set_serial(cat, "A00001", toolong), -EINVAL);
	CHECK_INT(catalog_tape_get(cat, "A00001", &got), 0);
	CHECK_STR(got.serial, "SN-1234");
	CHECK_STR(got.location, "drive 0");
	CHECK_STR(got.label_uuid, "uuid-a1");
	got.capacity = 2000000000;
	CHECK_INT(catalog_tape_update(cat, &got), 0);
	CHECK_INT(catalog_tape_get(cat, "A00001", &got), 0);
	CHECK_INT(got.capacity, 2000000000);
	CHECK_INT(catalog_tape_count(cat, "A", -1), 3);
	CHECK_INT(catalog_tape_count(cat, NULL, CATALOG_TAPE_SCRATCH), 4);
	CHECK_INT(catalog_tape_count(cat, "B", CATALOG_TAPE_OPEN), 0);
	/* scratch by barcode, skipping the excluded one */
	CHECK_INT(catalog_tape_choose(cat, "A", 1000, NULL, 0, &got), 0);
	CHECK_STR(got.barcode, "A00001");
	ex[0] = "A00001";
	CHECK_INT(catalog_tape_choose(cat, "A", 1000, ex, 1, &got), 0);
	CHECK_STR(got.barcode, "A00002");
	CHECK_INT(catalog_tape_choose(cat, "C", 1000, NULL, 0, &got), -ENOSPC);
	enum catalog_tape_state s;
	CHECK_INT(catalog_tape_state_parse("full", &s), 0);
	CHECK_INT(s, CATALOG_TAPE_FULL);
	CHECK_INT(catalog_tape_state_parse("bogus", &s), -EINVAL);
	CHECK_STR(catalog_tape_state_name(CATALOG_TAPE_RETIRED), "retired");
}

static void test_choose(void)
{
	struct catalog_tape t;
	const char *ex[] = {"C3"};
	const struct {
		const char *b;
		enum catalog_tape_state s;
		uint64_t used;
	} tapes[] = {
	    {"C1", CATALOG_TAPE_OPEN, 100},  {"C2", CATALOG_TAPE_OPEN, 500},
	    {"C3", CATALOG_TAPE_SCRATCH, 0}, {"C0", CATALOG_TAPE_FULL, 0},
	    {"C4", CATALOG_TAPE_RETIRED, 0},
	};

	struct catalog *main_cat = cat;

	/* its own catalog: bytes_used without archives is what fsck flags */
	cat = fx_catalog("choose.db");
	if (!cat) {
		cat = main_cat;
		return;
	}
	for (size_t i = 0; i < sizeof(tapes) / sizeof(tapes[0]); i++) {
		t = fx_tape(tapes[i].b, "C", tapes[i].s, 1000);
		t.bytes_used = tapes[i].used;
		CHECK_INT(catalog_tape_add(cat, &t), 0);
	}
	/* the fullest open tape with room, then the emptier, then scratch */
	CHECK_INT(catalog_tape_choose(cat, "C", 400, NULL, 0, &t), 0);
	CHECK_STR(t.barcode, "C2");
	CHECK_INT(catalog_tape_choose(cat, "C", 600, NULL, 0, &t), 0);
	CHECK_STR(t.barcode, "C1");
	CHECK_INT(catalog_tape_choose(cat, "C", 950, NULL, 0, &t), 0);
	CHECK_STR(t.barcode, "C3");
	CHECK_INT(catalog_tape_choose(cat, "C", 950, ex, 1, &t), -ENOSPC);
	CHECK_INT(catalog_tape_choose(cat, NULL, 1, NULL, 0, &t), -EINVAL);
	catalog_close(cat);
	cat = main_cat;
}

static int count_tape(void *ctx, const struct catalog_tape *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

static int64_t arch1, arch2;

static void test_commit(void)
{
	struct catalog_member m1[] = {
	    mem("proj/run1/a.dat", CATALOG_FILE, 100, 0),
	    mem("proj/run1/b.dat", CATALOG_FILE, 200, 2048),
	    mem("proj/notes.txt", CATALOG_FILE, 5, 4096),
	};
	struct catalog_member m2[] = {
	    mem("proj", CATALOG_DIR, 0, 0),
	    mem("proj/run1/a.dat", CATALOG_FILE, 111, 512),
	    mem("proj/link", CATALOG_SYMLINK, 0, 4096),
	};
	struct catalog_tape t;
	struct catalog_dump d;
	int n = 0;

	m2[2].link = "run1/a.dat";
	m2[2].mode = S_IFLNK | 0777;
	arch1 = dump("A00001", 1, "B00001", 1, m1, 3);
	CHECK_INT(catalog_tape_get(cat, "A00001", &t), 0);
	CHECK_INT(t.state, CATALOG_TAPE_OPEN);
	CHECK_INT(t.last_file, 1);
	CHECK_INT(t.bytes_used, 1 << 20);
	/* open tape with room now comes before scratch */
	CHECK_INT(catalog_tape_choose(cat, "A", 1000, NULL, 0, &t), 0);
	CHECK_STR(t.barcode, "A00001");
	CHECK_INT(catalog_tape_choose(cat, "A", 3000000000ull, NULL, 0, &t), 0);
	CHECK_STR(t.barcode, "A00002");
	arch2 = dump("A00001", 2, "B00001", 2, m2, 3);
	CHECK_INT(catalog_tape_get(cat, "B00001", &t), 0);
	CHECK_INT(t.last_file, 2);
	CHECK_INT(
	    catalog_tape_list(cat, NULL, CATALOG_TAPE_OPEN, count_tape, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(catalog_dump_get(cat, 1, &d), 0);
	CHECK_INT(d.state, CATALOG_DUMP_COMMITTED);
	CHECK_INT(d.archive, arch1);
	CHECK_INT(d.files, 3);
	CHECK_INT(d.bytes, 305);
}

static void test_commit_refused(void)
{
	struct catalog_member m[] = {mem("x/y", CATALOG_FILE, 1, 0),
				     mem("x/z", CATALOG_FILE, 1, 0)};
	struct catalog_archive_in ai = {.bytes = 10, .block_size = 512};
	struct catalog_copy_in cp = {"A00001", 2, 0, 10};
	struct catalog_copy_in cp3 = {"A00001", 3, 0, 10};
	struct catalog_copy_in ret = {"A00003", 1, 0, 10};
	struct catalog_copy_in unk = {"ZZZ", 1, 0, 10};
	struct catalog_commit *c;
	struct catalog_member out;
	int64_t id, a;

	CHECK_INT(catalog_dump_create(cat, NULL, 0, &id), 0);
	/* file number not after the last committed one */
	CHECK_INT(catalog_dump_commit(cat, id, &ai, &cp, 1, m, 1, &a), -EINVAL);
	CHECK_INT(catalog_dump_commit(cat, id, &ai, &ret, 1, m, 1, &a),
		  -EINVAL);
	CHECK_INT(catalog_dump_commit(cat, id, &ai, &unk, 1, m, 1, &a),
		  -ENOENT);
	CHECK_INT(catalog_dump_commit(cat, 9999, &ai, &cp3, 1, m, 1, &a),
		  -ENOENT);
	/* offsets must increase: nothing of it lands */
	CHECK_INT(catalog_dump_commit(cat, id, &ai, &cp3, 1, m, 2, &a),
		  -EINVAL);
	CHECK_INT(catalog_ns_lookup(cat, "x", &out), -ENOENT);
	/* abort leaves nothing either */
	CHECK_INT(catalog_commit_begin(cat, id, &ai, &cp3, 1, &c), 0);
	CHECK_INT(catalog_commit_member(c, &m[0]), 0);
	catalog_commit_abort(c);
	CHECK_INT(catalog_ns_lookup(cat, "x/y", &out), -ENOENT);
	struct catalog_tape t;
	CHECK_INT(catalog_tape_get(cat, "A00001", &t), 0);
	CHECK_INT(t.last_file, 2);
	/* a failed dump cannot be committed */
	CHECK_INT(catalog_dump_fail(cat, id, "drive error"), 0);
	CHECK_INT(catalog_dump_commit(cat, id, &ai, &cp3, 1, m, 1, &a),
		  -EINVAL);
	struct catalog_dump d;
	CHECK_INT(catalog_dump_get(cat, id, &d), 0);
	CHECK_INT(d.state, CATALOG_DUMP_FAILED);
	CHECK_STR(d.error, "drive error");
	CHECK_INT(catalog_dump_fail(cat, 1, "x"), -EINVAL); /* committed */
}

struct names {
	char buf[256];
	int n;
};

static int collect(void *ctx, const char *name, const struct catalog_member *m)
{
	struct names *ns = ctx;
	size_t l = strlen(ns->buf);

	snprintf(ns->buf + l, sizeof(ns->buf) - l, "%s%s:%c", l ? " " : "",
		 name,
		 m->type == CATALOG_DIR	      ? (m->implicit ? 'i' : 'd')
		 : m->type == CATALOG_SYMLINK ? 'l'
					      : 'f');
	ns->n++;
	return 0;
}

static int stop_after_one(void *ctx, const char *name,
			  const struct catalog_member *m)
{
	(void)m;
	snprintf(ctx, 64, "%s", name);
	return 7;
}

static void test_namespace(void)
{
	struct catalog_member m;
	struct names ns = {"", 0};
	char first[64];

	CHECK_INT(catalog_ns_lookup(cat, "", &m), 0);
	CHECK_INT(m.type, CATALOG_DIR);
	CHECK_INT(m.id, 0);
	catalog_member_release(&m);
	CHECK_INT(catalog_ns_lookup(cat, "proj/run1/a.dat", &m), 0);
	CHECK_INT(m.size, 111); /* the latest version */
	CHECK_INT(m.archive, arch2);
	CHECK_INT(m.ordinal, 1);
	CHECK_STR(m.path, "proj/run1/a.dat");
	CHECK_INT(m.mtime_nsec, 123456789);
	CHECK_INT(m.uid, 1000);
	CHECK_INT(m.header_offset, 512);
	CHECK_INT(m.data_offset, 512 + 1536);
	CHECK_STR(m.md5, "00000000000000000000000000000201");
	catalog_member_release(&m);
	catalog_member_release(&m);
	CHECK_INT(catalog_ns_lookup(cat, "/proj/link", &m), 0);
	CHECK_STR(m.link, "run1/a.dat");
	CHECK_INT(m.type, CATALOG_SYMLINK);
	catalog_member_release(&m);
	/* a real directory member wins over the implicit one */
	CHECK_INT(catalog_ns_lookup(cat, "proj", &m), 0);
	CHECK_INT(m.implicit, 0);
	CHECK_INT(m.mode, S_IFDIR | 0750);
	catalog_member_release(&m);
	/* implicit parent of an archived file */
	CHECK_INT(catalog_ns_lookup(cat, "proj/run1", &m), 0);
	CHECK_INT(m.type, CATALOG_DIR);
	CHECK_INT(m.implicit, 1);
	CHECK_INT(m.mode, S_IFDIR | 0755);
	CHECK_INT(m.uid, 1000);
	catalog_member_release(&m);
	CHECK_INT(catalog_ns_lookup(cat, "proj/nope", &m), -ENOENT);
	CHECK_INT(catalog_ns_lookup(cat, "proj/../etc", &m), -EINVAL);
	CHECK_INT(catalog_ns_list(cat, "", NULL, collect, &ns), 0);
	CHECK_STR(ns.buf, "proj:d");
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_ns_list(cat, "proj", NULL, collect, &ns), 0);
	CHECK_STR(ns.buf, "link:l notes.txt:f run1:i");
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_ns_list(cat, "proj", "link", collect, &ns), 0);
	CHECK_STR(ns.buf, "notes.txt:f run1:i");
	CHECK_INT(catalog_ns_list(cat, "proj", NULL, stop_after_one, first), 7);
	CHECK_STR(first, "link");
	CHECK_INT(catalog_ns_list(cat, "proj/notes.txt", NULL, collect, &ns),
		  -ENOTDIR);
	CHECK_INT(catalog_ns_list(cat, "nope", NULL, collect, &ns), -ENOENT);
}

struct locs {
	struct catalog_location l[4];
	int n;
};

static int collect_loc(void *ctx, const struct catalog_location *l)
{
	struct locs *ls = ctx;

	if (ls->n < 4)
		ls->l[ls->n] = *l;
	ls->n++;
	return 0;
}

static void test_whereis(void)
{
	struct locs ls = {.n = 0};
	struct catalog_member m;

	CHECK_INT(catalog_ns_whereis(cat, "proj/notes.txt", collect_loc, &ls),
		  0);
	CHECK_INT(ls.n, 2);
	CHECK_STR(ls.l[0].barcode, "A00001");
	CHECK_INT(ls.l[0].fileno, 1);
	CHECK_INT(ls.l[0].start_lblock, 110);
	CHECK_INT(ls.l[0].header_offset, 4096);
	CHECK_INT(ls.l[0].block_size, 262144);
	CHECK_INT(ls.l[0].block, 110);
	CHECK_STR(ls.l[1].barcode, "B00001");
	CHECK_INT(ls.l[1].start_lblock, 210);
	CHECK_STR(ls.l[0].md5, "00000000000000000000000000001001");
	ls.n = 0;
	CHECK_INT(catalog_ns_whereis(cat, "proj/run1", collect_loc, &ls),
		  -ENOENT);
	CHECK_INT(catalog_ns_whereis(cat, "none", collect_loc, &ls), -ENOENT);
	CHECK_INT(catalog_ns_lookup(cat, "proj/notes.txt", &m), 0);
	ls.n = 0;
	CHECK_INT(catalog_member_whereis(cat, m.id, collect_loc, &ls), 0);
	CHECK_INT(ls.n, 2);
	int64_t id = m.id;
	catalog_member_release(&m);
	CHECK_INT(catalog_member_get(cat, id, &m), 0);
	CHECK_STR(m.path, "proj/notes.txt");
	catalog_member_release(&m);
	CHECK_INT(catalog_member_get(cat, 99999, &m), -ENOENT);
}

static int collect_member(void *ctx, const struct catalog_member *m)
{
	struct names *ns = ctx;
	size_t l = strlen(ns->buf);

	snprintf(ns->buf + l, sizeof(ns->buf) - l, "%s%lld:%s", l ? " " : "",
		 (long long)m->ordinal, m->path);
	return 0;
}

static int collect_copy(void *ctx, const struct catalog_copy *c)
{
	struct names *ns = ctx;
	size_t l = strlen(ns->buf);

	snprintf(ns->buf + l, sizeof(ns->buf) - l, "%s%lld@%lld", l ? " " : "",
		 (long long)c->archive, (long long)c->fileno);
	return 0;
}

/* "LABEL:FILENO" of each copy, space separated. */
static int collect_place(void *ctx, const struct catalog_copy *c)
{
	struct names *ns = ctx;
	size_t l = strlen(ns->buf);

	snprintf(ns->buf + l, sizeof(ns->buf) - l, "%s%s:%lld", l ? " " : "",
		 c->barcode, (long long)c->fileno);
	return 0;
}

static void test_archive_view(void)
{
	struct names ns = {"", 0};
	struct catalog_member m;
	struct catalog_archive a;
	struct catalog_copy cp;
	char want[128];

	CHECK_INT(catalog_archive_get(cat, arch1, &a), 0);
	CHECK_INT(a.members, 3);
	CHECK_INT(a.block_size, 262144);
	CHECK_INT(catalog_archive_get(cat, 777, &a), -ENOENT);
	CHECK_INT(catalog_archive_members(cat, arch1, 0, collect_member, &ns),
		  0);
	CHECK_STR(ns.buf,
		  "0:proj/run1/a.dat 1:proj/run1/b.dat 2:proj/notes.txt");
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_archive_members(cat, arch1, 2, collect_member, &ns),
		  0);
	CHECK_STR(ns.buf, "2:proj/notes.txt");
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_archive_list(cat, arch1, "", NULL, collect, &ns), 0);
	CHECK_STR(ns.buf, "proj:i");
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_archive_list(cat, arch1, "proj", NULL, collect, &ns),
		  0);
	CHECK_STR(ns.buf, "notes.txt:f run1:i");
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(
	    catalog_archive_list(cat, arch1, "proj/run1", NULL, collect, &ns),
	    0);
	CHECK_STR(ns.buf, "a.dat:f b.dat:f");
	CHECK_INT(catalog_archive_list(cat, arch2, "proj/run1/a.dat", NULL,
				       collect, &ns),
		  -ENOTDIR);
	CHECK_INT(catalog_archive_list(cat, arch2, "proj/notes.txt", NULL,
				       collect, &ns),
		  -ENOENT);
	/* the old version is still there in its own archive */
	CHECK_INT(catalog_archive_lookup(cat, arch1, "proj/run1/a.dat", &m), 0);
	CHECK_INT(m.size, 100);
	CHECK_STR(m.path, "proj/run1/a.dat");
	catalog_member_release(&m);
	CHECK_INT(catalog_archive_lookup(cat, arch2, "proj/notes.txt", &m),
		  -ENOENT);
	CHECK_INT(catalog_archive_lookup(cat, 777, "", &m), -ENOENT);
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_tape_copies(cat, "A00001", collect_copy, &ns), 0);
	snprintf(want, sizeof(want), "%lld@1 %lld@2", (long long)arch1,
		 (long long)arch2);
	CHECK_STR(ns.buf, want);
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_archive_copies(cat, arch2, collect_copy, &ns), 0);
	snprintf(want, sizeof(want), "%lld@2 %lld@2", (long long)arch2,
		 (long long)arch2);
	CHECK_STR(ns.buf, want);
	CHECK_INT(catalog_copy_get(cat, "B00001", 2, &cp), 0);
	CHECK_INT(cp.archive, arch2);
	CHECK_INT(catalog_copy_get(cat, "B00001", 3, &cp), -ENOENT);
}

static int collect_result(void *ctx, const struct catalog_result_row *r)
{
	struct names *ns = ctx;
	size_t l = strlen(ns->buf);

	snprintf(ns->buf + l, sizeof(ns->buf) - l, "%s%s %s %s", l ? "|" : "",
		 catalog_result_name(r->result), r->md5[0] ? r->md5 : "-",
		 r->path);
	return 0;
}

/* collect_result() for one row, then stop, keeping where it stopped. */
struct one_part {
	struct names ns;
	struct catalog_result_key key;
	int rows;
};

static int collect_one(void *ctx, const struct catalog_result_row *r)
{
	struct one_part *p = ctx;

	collect_result(&p->ns, r);
	snprintf(p->key.barcode, sizeof(p->key.barcode), "%s", r->barcode);
	p->key.fileno = r->fileno;
	p->key.member_id = r->member_id;
	p->rows++;
	return 1;
}

/* The results read one row at a time, each part from the key where the
 * last stopped, are what one listing gives. */
static void check_parts(int64_t run, const char *barcode, int fail,
			const char *whole)
{
	struct one_part p;
	int parts = 0, ret;

	memset(&p, 0, sizeof(p));
	for (;;) {
		int before = p.rows;

		ret = catalog_run_results_from(cat, run, barcode, fail,
					       parts ? &p.key : NULL,
					       collect_one, &p);
		if (ret < 0 || p.rows == before || ++parts > 10)
			break;
	}
	CHECK_INT(ret, 0);
	CHECK_STR(p.ns.buf, whole);
}

static int count_run(void *ctx, const struct catalog_run *r)
{
	(void)r;
	(*(int *)ctx)++;
	return 0;
}

static void test_verify(void)
{
	struct catalog_tape_summary s;
	struct names ns = {"", 0};
	struct catalog_copy a1, b1;
	struct catalog_member m1, m2;
	struct catalog_run r;
	struct catalog_run_totals t = {
	    .tapes = 1, .members = 2, .ok = 1, .bad = 1, .seconds = 1.5};
	int64_t run, run2;
	int n = 0;

	CHECK_INT(catalog_copies_unverified(cat, collect_copy, &ns), 0);
	CHECK_INT(strlen(ns.buf) > 0, 1);
	CHECK_INT(catalog_copy_get(cat, "A00001", 1, &a1), 0);
	CHECK_INT(catalog_copy_get(cat, "B00001", 1, &b1), 0);
	CHECK_INT(catalog_archive_lookup(cat, arch1, "proj/run1/a.dat", &m1),
		  0);
	CHECK_INT(catalog_archive_lookup(cat, arch1, "proj/notes.txt", &m2), 0);
	CHECK_INT(catalog_run_start(cat, "tape A00001", &run), 0);
	CHECK_INT(catalog_run_latest(cat), run);
	struct catalog_result_in res[] = {
	    {a1.id, m1.id, CATALOG_RESULT_OK, m1.md5},
	    {a1.id, m2.id, CATALOG_RESULT_BAD,
	     "ffffffffffffffffffffffffffffffff"},
	    {b1.id, m2.id, CATALOG_RESULT_UNREADABLE, NULL},
	};
	CHECK_INT(catalog_run_results_add(cat, run, res, 3), 0);
	struct catalog_result_in bad = {a1.id, 99999, CATALOG_RESULT_OK, NULL};
	CHECK_INT(catalog_run_results_add(cat, run, &bad, 1), -ENOENT);
	struct catalog_result_in badmd5 = {a1.id, m1.id, CATALOG_RESULT_OK,
					   "xyz"};
	CHECK_INT(catalog_run_results_add(cat, run, &badmd5, 1), -EINVAL);
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(
	    catalog_run_results(cat, run, "A00001", 0, collect_result, &ns), 0);
	CHECK_STR(ns.buf,
		  "OK 00000000000000000000000000000001 "
		  "proj/run1/a.dat|BAD ffffffffffffffffffffffffffffffff "
		  "proj/notes.txt");
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_run_results(cat, run, NULL, 1, collect_result, &ns),
		  0);
	CHECK_STR(ns.buf, "BAD ffffffffffffffffffffffffffffffff "
			  "proj/notes.txt|UNREADABLE - proj/notes.txt");
	check_parts(run, NULL, 1, ns.buf);
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_run_results(cat, run, NULL, 0, collect_result, &ns),
		  0);
	check_parts(run, NULL, 0, ns.buf);
	CHECK_INT(strchr(ns.buf, '|') != strrchr(ns.buf, '|'), 1); /* 3 rows */
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(
	    catalog_run_results(cat, run, "A00001", 0, collect_result, &ns), 0);
	check_parts(run, "A00001", 0, ns.buf);
	CHECK_INT(catalog_copy_verified(cat, a1.id, CATALOG_RESULT_BAD), 0);
	CHECK_INT(catalog_copy_verified(cat, b1.id, CATALOG_RESULT_OK), 0);
	CHECK_INT(catalog_copy_verified(cat, 9999, CATALOG_RESULT_OK), -ENOENT);
	CHECK_INT(catalog_copy_get(cat, "A00001", 1, &a1), 0);
	CHECK_INT(a1.state, CATALOG_COPY_BAD);
	CHECK_INT(a1.last_verified, 0);
	CHECK_INT(a1.last_result, CATALOG_RESULT_BAD);
	CHECK_INT(catalog_copy_get(cat, "B00001", 1, &b1), 0);
	CHECK(b1.last_verified > 0);
	/* whereis puts the good copy first now */
	struct locs ls = {.n = 0};
	CHECK_INT(catalog_ns_whereis(cat, "proj/notes.txt", collect_loc, &ls),
		  0);
	CHECK_STR(ls.l[0].barcode, "B00001");
	CHECK_INT(ls.l[1].state, CATALOG_COPY_BAD);
	CHECK_INT(catalog_tape_summary(cat, "B00001", &s), 0);
	CHECK_INT(s.archives, 2);
	CHECK_INT(s.bytes, 2 << 20);
	CHECK_INT(s.members, 6);
	CHECK_INT(s.verified, 1);
	/* a tape is verified as long ago as its copy verified longest ago:
	 * copy 2 on it never was */
	CHECK_INT(s.last_verified, 0);
	CHECK_INT(catalog_tape_summary(cat, "NOPE", &s), -ENOENT);
	struct catalog_tape tp;
	CHECK_INT(catalog_tape_get(cat, "B00001", &tp), 0);
	CHECK_INT(tp.last_verified, 0); /* copy 2 on it is not verified */
	struct catalog_copy b2;
	CHECK_INT(catalog_copy_get(cat, "B00001", 2, &b2), 0);
	CHECK_INT(catalog_copy_verified(cat, b2.id, CATALOG_RESULT_OK), 0);
	CHECK_INT(catalog_tape_summary(cat, "B00001", &s), 0);
	CHECK(s.last_verified > 0);
	CHECK_INT(catalog_tape_get(cat, "B00001", &tp), 0);
	CHECK(tp.last_verified > 0);
	/* due on a schedule: good copies, the longest unverified first */
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_copies_due(cat, INT64_MAX, collect_place, &ns), 0);
	CHECK_STR(strrchr(ns.buf, ' ') ? strrchr(ns.buf, ' ') + 1 : ns.buf,
		  "B00001:2");
	CHECK(strstr(ns.buf, "A00001:1") == NULL); /* bad: repair's */
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_copies_due(cat, 1, collect_place, &ns), 0);
	CHECK(strlen(ns.buf) > 0);		 /* the never verified */
	CHECK(strstr(ns.buf, "B00001") == NULL); /* not the verified */
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_copies_unverified(cat, collect_copy, &ns), 0);
	CHECK(strstr(ns.buf, "@1") != NULL); /* A00001 file 1 */
	CHECK_INT(catalog_run_update(cat, run, CATALOG_RUN_RUNNING, &t,
				     "drive0 12.0 MB/s"),
		  0);
	CHECK_INT(catalog_run_get(cat, run, &r), 0);
	CHECK_INT(r.state, CATALOG_RUN_RUNNING);
	CHECK_INT(r.ended, 0);
	CHECK(strcmp(r.detail, "drive0 12.0 MB/s") == 0);
	CHECK_INT(catalog_run_update(cat, run, CATALOG_RUN_DONE, &t, NULL), 0);
	CHECK_INT(catalog_run_get(cat, run, &r), 0);
	CHECK_INT(r.state, CATALOG_RUN_DONE);
	CHECK(r.ended > 0);
	CHECK(strcmp(r.detail, "drive0 12.0 MB/s") == 0);
	CHECK_INT(r.totals.bad, 1);
	CHECK(r.totals.seconds == 1.5);
	CHECK_STR(r.request, "tape A00001");
	CHECK_INT(catalog_run_start(cat, "all", &run2), 0);
	CHECK_INT(catalog_run_interrupt_stale(cat), 1);
	CHECK_INT(catalog_run_get(cat, run2, &r), 0);
	CHECK_INT(r.state, CATALOG_RUN_INTERRUPTED);
	CHECK_INT(catalog_run_list(cat, count_run, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(catalog_run_get(cat, 999, &r), -ENOENT);
	catalog_member_release(&m1);
	catalog_member_release(&m2);
}

static int collect_cache(void *ctx, const struct catalog_cache_entry *e)
{
	struct names *ns = ctx;
	size_t l = strlen(ns->buf);

	snprintf(ns->buf + l, sizeof(ns->buf) - l, "%s%s", l ? " " : "",
		 e->file);
	return 0;
}

static void test_cache(void)
{
	struct catalog_cache_entry e = {
	    .member_id = 1, .file = "c/1", .size = 100, .last_access = 30};
	struct names ns = {"", 0};
	uint64_t bytes, n;

	CHECK_INT(catalog_cache_put(cat, &e), 0);
	e.member_id = 2;
	strcpy(e.file, "c/2");
	e.last_access = 10;
	e.present = 40;
	CHECK_INT(catalog_cache_put(cat, &e), 0);
	e.member_id = 3;
	strcpy(e.file, "c/3");
	e.last_access = 20;
	e.pinned = 1;
	CHECK_INT(catalog_cache_put(cat, &e), 0);
	CHECK_INT(catalog_cache_lru(cat, collect_cache, &ns), 0);
	CHECK_STR(ns.buf, "c/2 c/1");
	CHECK_INT(catalog_cache_touch(cat, 2, 50), 0);
	CHECK_INT(catalog_cache_set_present(cat, 1, 100), 0);
	CHECK_INT(catalog_cache_unpin_all(cat), 0);
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_cache_lru(cat, collect_cache, &ns), 0);
	CHECK_STR(ns.buf, "c/3 c/1 c/2");
	CHECK_INT(catalog_cache_set_pinned(cat, 1, 1), 0);
	CHECK_INT(catalog_cache_get(cat, 1, &e), 0);
	CHECK_INT(e.present, 100);
	CHECK_INT(e.pinned, 1);
	CHECK_INT(catalog_cache_total(cat, &bytes, &n), 0);
	CHECK_INT(bytes, 180);
	CHECK_INT(n, 3);
	/* a touch never waits behind an open commit */
	struct catalog_archive_in ai = {.bytes = 1, .block_size = 512};
	struct catalog_copy_in cp = {"A00001", 3, 0, 1};
	struct catalog_commit *c;
	int64_t dump;
	CHECK_INT(catalog_dump_create(cat, NULL, 0, &dump), 0);
	CHECK_INT(catalog_commit_begin(cat, dump, &ai, &cp, 1, &c), 0);
	CHECK_INT(catalog_cache_touch(cat, 2, 60), -EAGAIN);
	catalog_commit_abort(c);
	CHECK_INT(catalog_cache_touch(cat, 2, 60), 0);
	CHECK_INT(catalog_dump_fail(cat, dump, "test"), 0);
	CHECK_INT(catalog_cache_remove(cat, 3), 0);
	CHECK_INT(catalog_cache_remove(cat, 3), -ENOENT);
	CHECK_INT(catalog_cache_touch(cat, 3, 1), -ENOENT);
	CHECK_INT(catalog_cache_get(cat, 3, &e), -ENOENT);
}

static void test_recall_plan(void)
{
	struct catalog_member a, b, c;
	struct catalog_location *plan;
	const char *prefer[] = {"A00001"};
	int64_t ids[4];

	CHECK_INT(catalog_ns_lookup(cat, "proj/notes.txt", &a), 0);
	CHECK_INT(catalog_archive_lookup(cat, arch1, "proj/run1/a.dat", &b), 0);
	CHECK_INT(catalog_ns_lookup(cat, "proj/run1/a.dat", &c), 0);
	ids[0] = c.id;
	ids[1] = 424242;
	ids[2] = a.id;
	ids[3] = b.id;
	/* copy of archive 1 on A00001 is bad: B00001 for those */
	CHECK_INT(catalog_recall_plan(cat, ids, 4, prefer, 1, &plan), 0);
	CHECK_STR(plan[0].barcode, "A00001");
	CHECK_INT(plan[0].member_id, c.id);
	CHECK_STR(plan[1].barcode, "B00001");
	CHECK_INT(plan[1].member_id, b.id); /* header 0 before 4096 */
	CHECK_STR(plan[2].barcode, "B00001");
	CHECK_INT(plan[2].member_id, a.id);
	CHECK_STR(plan[3].barcode, "");
	CHECK_INT(plan[3].member_id, 424242);
	free(plan);
	/* without preference the first good copy (A00001 file 2) wins too */
	CHECK_INT(catalog_recall_plan(cat, ids, 1, NULL, 0, &plan), 0);
	CHECK_STR(plan[0].barcode, "A00001");
	free(plan);
	catalog_member_release(&a);
	catalog_member_release(&b);
	catalog_member_release(&c);
}

static void report(void *ctx, int repaired, const char *msg)
{
	(void)repaired;
	fprintf(stderr, "# check: %s\n", msg);
	(*(int *)ctx)++;
}

static void test_check_clean(void)
{
	int n = 0;
	struct catalog_label l[] = {
	    {"A00001", "uuid-a1", NULL},
	    {"B00001", "uuid-b1", NULL},
	};

	CHECK_INT(catalog_check(cat, 0, NULL, 0, report, &n), 0);
	CHECK_INT(n, 0);
	/* B00001 has no uuid in the catalog: found, then recorded */
	CHECK_INT(catalog_check(cat, 0, l, 2, report, &n), 1);
	CHECK_INT(catalog_check(cat, 1, l, 2, report, &n), 1);
	CHECK_INT(catalog_check(cat, 0, l, 2, report, &n), 0);
	struct catalog_label wrong[] = {
	    {"A00001", "uuid-other", NULL},
	    {"ZZZ", "u", NULL},
	    {"A00002", NULL, NULL},
	    {"A00001", "uuid-a1", "A00002"},
	};
	CHECK_INT(catalog_check(cat, 1, wrong, 4, report, &n), 4);
}

static int print_dump(void *ctx, const struct catalog_dump *d)
{
	(*(int64_t *)ctx) = d->id;
	return 0;
}

static int collect_dtape(void *ctx, const struct catalog_dump_tape *t)
{
	struct names *ns = ctx;
	size_t l = strlen(ns->buf);

	snprintf(ns->buf + l, sizeof(ns->buf) - l, "%s%d:%s:%lld:%d",
		 l ? " " : "", t->copy, t->barcode, (long long)t->fileno,
		 t->abandoned);
	return 0;
}

static int collect_dfile(void *ctx, const struct catalog_dump_file *f)
{
	struct names *ns = ctx;
	size_t l = strlen(ns->buf);

	snprintf(ns->buf + l, sizeof(ns->buf) - l, "%s%s=%llu", l ? " " : "",
		 f->path, (unsigned long long)f->size);
	return 0;
}

static void test_journal(void)
{
	struct catalog_dump_file f[] = {
	    {.path = "s/one", .size = 1, .mtime = 5},
	    {.path = "s/two", .size = 2, .mtime = 6}};
	struct catalog_dump_tape t = {
	    .copy = 0, .barcode = "A00002", .fileno = 1, .start_lblock = 3};
	struct names ns = {"", 0};
	struct catalog_dump d;
	int64_t id, found = 0;

	CHECK_INT(catalog_dump_create(cat, f, 2, &id), 0);
	CHECK_INT(catalog_dump_get(cat, id, &d), 0);
	CHECK_INT(d.state, CATALOG_DUMP_PENDING);
	CHECK_INT(catalog_dump_tape_add(cat, id, &t), 0);
	/* written again at the same tape file (a source changed): once */
	CHECK_INT(catalog_dump_tape_abandon(cat, id, "A00002", 1), 0);
	CHECK_INT(catalog_dump_tape_add(cat, id, &t), 0);
	CHECK_INT(catalog_dump_tapes(cat, id, collect_dtape, &ns), 0);
	CHECK_STR(ns.buf, "0:A00002:1:0");
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_dump_tape_abandon(cat, id, "A00002", 1), 0);
	CHECK_INT(catalog_dump_tape_abandon(cat, id, "A00002", 9), -ENOENT);
	t.fileno = 1;
	strcpy(t.barcode, "A00001");
	t.fileno = 3;
	CHECK_INT(catalog_dump_tape_add(cat, id, &t), 0);
	CHECK_INT(catalog_dump_tapes(cat, id, collect_dtape, &ns), 0);
	CHECK_STR(ns.buf, "0:A00002:1:1 0:A00001:3:0");
	memset(&ns, 0, sizeof(ns));
	CHECK_INT(catalog_dump_files(cat, id, collect_dfile, &ns), 0);
	CHECK_STR(ns.buf, "s/one=1 s/two=2");
	CHECK_INT(catalog_dump_get(cat, id, &d), 0);
	CHECK_INT(d.state, CATALOG_DUMP_WRITING);
	CHECK_INT(catalog_dump_unfinished(cat, print_dump, &found), 0);
	CHECK_INT(found, id);
	CHECK_INT(catalog_dump_fail(cat, id, "daemon restarted"), 0);
	found = 0;
	CHECK_INT(catalog_dump_unfinished(cat, print_dump, &found), 0);
	CHECK_INT(found, 0);
	/* an abandoned copy never shows as a copy */
	struct catalog_copy cp;
	CHECK_INT(catalog_copy_get(cat, "A00002", 1, &cp), -ENOENT);
	CHECK_INT(catalog_dump_tape_add(cat, id, &t), -ENOENT);
	struct catalog_dump_file badf = {.path = "a/../b", .size = 1};
	CHECK_INT(catalog_dump_create(cat, &badf, 1, &id), -EINVAL);
}

/* Entries journaled in parts after the dump's row: in order, the dump's
 * files and bytes grow, a commit finds them; a dump failed or committed
 * takes no more, a bad path none. */
static void test_journal_parts(void)
{
	struct catalog_dump_file f[] = {{.path = "p/a", .size = 1},
					{.path = "p/b", .size = 2},
					{.path = "p/c", .size = 4}};
	struct catalog_dump_file badf = {.path = "p/../x", .size = 8};
	struct catalog_archive_in ai = {.bytes = 512, .block_size = 512};
	struct catalog_copy_in cp = {"P00001", 1, 0, 512};
	struct catalog_commit *c;
	struct names ns = {"", 0};
	struct catalog_dump d;
	int64_t id, failed;

	add_tape("P00001", "P", CATALOG_TAPE_SCRATCH, 1 << 30);
	CHECK_INT(catalog_dump_create(cat, NULL, 0, &id), 0);
	CHECK_INT(catalog_dump_files_add(cat, id, 0, f, 2), 0);
	CHECK_INT(catalog_dump_files_add(cat, id, 2, &badf, 1), -EINVAL);
	CHECK_INT(catalog_dump_files_add(cat, id, 2, &f[2], 1), 0);
	CHECK_INT(catalog_dump_files(cat, id, collect_dfile, &ns), 0);
	CHECK_STR(ns.buf, "p/a=1 p/b=2 p/c=4");
	CHECK_INT(catalog_dump_get(cat, id, &d), 0);
	CHECK_INT((int)d.files, 3);
	CHECK_INT((int)d.bytes, 7);
	CHECK_INT(catalog_commit_begin(cat, id, &ai, &cp, 1, &c), 0);
	CHECK_INT(catalog_commit_dropped(c, 2), 0);
	CHECK_INT(catalog_commit_end(c, NULL), 0);
	CHECK_INT(catalog_dump_files_add(cat, id, 3, f, 1), -ENOENT);
	CHECK_INT(catalog_dump_create(cat, NULL, 0, &failed), 0);
	CHECK_INT(catalog_dump_fail(cat, failed, "stopped"), 0);
	CHECK_INT(catalog_dump_files_add(cat, failed, 0, f, 1), -ENOENT);
	CHECK_INT(catalog_dump_files_add(cat, 1 << 30, 0, f, 1), -ENOENT);
}

struct idents {
	struct catalog_dump_file f[4];
	char path[4][16];
	size_t n;
};

static int collect_ident(void *ctx, const struct catalog_dump_file *f)
{
	struct idents *v = ctx;

	if (v->n < 4) {
		v->f[v->n] = *f;
		snprintf(v->path[v->n], sizeof(v->path[0]), "%s", f->path);
		v->f[v->n].path = v->path[v->n];
		v->n++;
	}
	return 0;
}

/* ctx: {the dump looked for, set to 1 when listed} */
static int find_dump(void *ctx, const struct catalog_dump *d)
{
	int64_t *want = ctx;

	if (d->id == want[0])
		want[1] = 1;
	return 0;
}

/* The journal keeps each entry's identity, which entries a commit left
 * out, and whether the dump's clean-up is done: a committed dump is
 * "uncleaned" until catalog_dump_cleaned(), and only committed ones. */
static void test_journal_cleanup(void)
{
	struct catalog_dump_file f[] = {
	    {.path = "j/a",
	     .size = 7,
	     .mtime = 11,
	     .mtime_nsec = 12,
	     .mode = 0100640,
	     .dev = 0xfd01,
	     .ino = 1ull << 40,
	     .ctime = 13,
	     .ctime_nsec = 14},
	    {.path = "j/b", .size = 8, .mode = 0100600, .dev = 2, .ino = 3}};
	struct catalog_archive_in ai = {.bytes = 512, .block_size = 512};
	struct catalog_copy_in cp = {"J00001", 1, 0, 512};
	struct catalog_member m = {
	    .path = "j/a", .type = CATALOG_FILE, .size = 7, .mode = 0100640};
	struct catalog_commit *c;
	struct idents v = {.n = 0};
	int64_t id, other, found[2] = {0, 0};

	add_tape("J00001", "J", CATALOG_TAPE_SCRATCH, 1 << 30);
	CHECK_INT(catalog_dump_create(cat, f, 2, &id), 0);
	CHECK_INT(catalog_dump_create(cat, f, 1, &other), 0);
	found[0] = id;
	CHECK_INT(catalog_dump_uncleaned(cat, find_dump, found), 0);
	CHECK_INT(found[1], 0); /* pending: nothing to clean */
	CHECK_INT(catalog_dump_cleaned(cat, id), -ENOENT);
	CHECK_INT(catalog_commit_begin(cat, id, &ai, &cp, 1, &c), 0);
	CHECK_INT(catalog_commit_dropped(c, 1), 0);
	CHECK_INT(catalog_commit_member(c, &m), 0);
	CHECK_INT(catalog_commit_end(c, NULL), 0);
	CHECK_INT(catalog_dump_files(cat, id, collect_ident, &v), 0);
	CHECK_INT(v.n, 2);
	CHECK_STR(v.f[0].path, "j/a");
	CHECK_INT(v.f[0].mode, 0100640);
	CHECK(v.f[0].dev == 0xfd01 && v.f[0].ino == 1ull << 40);
	CHECK_INT(v.f[0].mtime, 11);
	CHECK_INT(v.f[0].mtime_nsec, 12);
	CHECK_INT(v.f[0].ctime, 13);
	CHECK_INT(v.f[0].ctime_nsec, 14);
	CHECK_INT(v.f[0].dropped, 0);
	CHECK_INT(v.f[1].dropped, 1);
	CHECK_INT(catalog_dump_uncleaned(cat, find_dump, found), 0);
	CHECK_INT(found[1], 1);
	CHECK_INT(catalog_dump_cleaned(cat, id), 0);
	found[1] = 0;
	CHECK_INT(catalog_dump_uncleaned(cat, find_dump, found), 0);
	CHECK_INT(found[1], 0);
	/* a commit naming an entry the journal does not have fails */
	CHECK_INT(catalog_commit_begin(cat, other, &ai, &cp, 1, &c), -EINVAL);
	cp.fileno = 2;
	CHECK_INT(catalog_commit_begin(cat, other, &ai, &cp, 1, &c), 0);
	CHECK_INT(catalog_commit_dropped(c, 5), -ENOENT);
	catalog_commit_abort(c);
	CHECK_INT(catalog_dump_fail(cat, other, "test"), 0);
}

int main(void)
{
	CHECK_INT(catalog_testing_open(&cat, "q.db"), 0);
	CHECK_INT(catalog_schema_version(cat), CATALOG_SCHEMA_VERSION);
	RUN(test_tapes);
	RUN(test_choose);
	RUN(test_commit);
	RUN(test_commit_refused);
	RUN(test_namespace);
	RUN(test_whereis);
	RUN(test_archive_view);
	RUN(test_verify);
	RUN(test_cache);
	RUN(test_journal_cleanup);
	RUN(test_recall_plan);
	RUN(test_journal);
	RUN(test_journal_parts);
	RUN(test_check_clean);
	catalog_close(cat);
	/* reopen: everything is still there */
	CHECK_INT(catalog_testing_open(&cat, "q.db"), 0);
	struct catalog_member m;
	CHECK_INT(catalog_ns_lookup(cat, "proj/run1/b.dat", &m), 0);
	CHECK_INT(m.size, 200);
	catalog_member_release(&m);
	catalog_close(cat);
	return check_done();
}
