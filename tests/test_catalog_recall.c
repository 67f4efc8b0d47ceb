/* tests/test_catalog_recall.c - what the recall engine keeps in the
 * catalog besides the cache rows: chunk digests of members (stored on
 * their own, and within a dump commit for the member just added) and the
 * recall queue (requests added, a directory request replaced by its
 * members in one transaction, listed oldest first, removed), and the
 * cache row's chunk map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static struct catalog *cat;

/* One dump of two files on tape T1 file 1 through a streaming commit, the
 * first with the chunk digests dg (n of them); the member ids in ids. */
static void commit_two(const unsigned char *dg, uint32_t n, int64_t ids[2])
{
	struct catalog_tape t =
	    fx_tape("T1", "A", CATALOG_TAPE_SCRATCH, 1 << 30);
	struct catalog_archive_in ai = {.bytes = 1 << 20, .block_size = 65536};
	struct catalog_copy_in cp = {"T1", 1, 1, 1 << 20};
	struct catalog_member m[2];
	struct catalog_commit *c;
	struct catalog_member out;
	int64_t dump;

	CHECK_INT(catalog_tape_add(cat, &t), 0);
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 2; i++) {
		m[i].path = i ? "d/b.bin" : "d/a.bin";
		m[i].type = CATALOG_FILE;
		m[i].size = 9 << 20;
		m[i].mode = S_IFREG | 0644;
		m[i].header_offset = (uint64_t)i * (10 << 20);
		m[i].data_offset = m[i].header_offset + 1024;
	}
	CHECK_INT(catalog_dump_create(cat, NULL, 0, &dump), 0);
	CHECK_INT(catalog_commit_begin(cat, dump, &ai, &cp, 1, &c), 0);
	CHECK_INT(catalog_commit_chunks(c, 4 << 20, n, dg),
		  -EINVAL); /* no member yet */
	CHECK_INT(catalog_commit_member(c, &m[0]), 0);
	CHECK_INT(catalog_commit_chunks(c, 4 << 20, n, dg), 0);
	CHECK_INT(catalog_commit_member(c, &m[1]), 0);
	CHECK_INT(catalog_commit_end(c, NULL), 0);
	for (int i = 0; i < 2; i++) {
		memset(&out, 0, sizeof(out));
		CHECK_INT(catalog_ns_lookup(cat, m[i].path, &out), 0);
		ids[i] = out.id;
		catalog_member_release(&out);
	}
}

static void test_chunks(void)
{
	unsigned char dg[3 * CATALOG_CHUNK_DIGEST],
	    dg2[3 * CATALOG_CHUNK_DIGEST];
	struct catalog_chunks cc;
	int64_t ids[2];

	fx_fill(dg, sizeof(dg), 1);
	fx_fill(dg2, sizeof(dg2), 2);
	commit_two(dg, 3, ids);
	CHECK_INT(catalog_chunks_get(cat, ids[0], &cc), 0);
	CHECK_INT(cc.chunk_size, 4 << 20);
	CHECK_INT(cc.n, 3);
	CHECK(cc.digests && !memcmp(cc.digests, dg, sizeof(dg)));
	catalog_chunks_release(&cc);
	CHECK_INT(catalog_chunks_get(cat, ids[1], &cc), -ENOENT);
	/* the second member gets its digests later (read whole) */
	CHECK_INT(catalog_chunks_put(cat, ids[1], 4 << 20, 3, dg2), 0);
	CHECK_INT(catalog_chunks_get(cat, ids[1], &cc), 0);
	CHECK(cc.digests && !memcmp(cc.digests, dg2, sizeof(dg2)));
	catalog_chunks_release(&cc);
	CHECK_INT(catalog_chunks_put(cat, 99999, 4 << 20, 3, dg), -ENOENT);
	CHECK_INT(catalog_chunks_put(cat, ids[1], 0, 3, dg), -EINVAL);
	CHECK_INT(catalog_chunks_put(cat, ids[1], 4 << 20, 0, dg), -EINVAL);
}

struct listed {
	struct catalog_recall_req r[8];
	char paths[8][64];
	int n;
};

static int list_one(void *ctx, const struct catalog_recall_req *r)
{
	struct listed *l = ctx;

	if (l->n == 8)
		return -ENOSPC;
	l->r[l->n] = *r;
	snprintf(l->paths[l->n], sizeof(l->paths[0]), "%s",
		 r->path ? r->path : "-");
	l->n++;
	return 0;
}

static void test_queue(void)
{
	struct catalog_recall_req dir = {
	    .archive = 0, .path = "d", .priority = 2};
	struct catalog_recall_req m[2] = {{.member = 1, .priority = 2},
					  {.member = 2, .priority = 2}};
	struct catalog_recall_req bad = {.member = 0};
	struct listed l = {0};
	int64_t drow, rows[2];

	snprintf(dir.prefer, sizeof(dir.prefer), "B00001L9");
	CHECK_INT(catalog_recall_add(cat, &dir, 1, 0, &drow), 0);
	CHECK_INT(catalog_recall_add(cat, &bad, 1, 0, NULL), -EINVAL);
	CHECK_INT(catalog_recall_list(cat, list_one, &l), 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.r[0].member, 0);
	CHECK_STR(l.paths[0], "d");
	CHECK_STR(l.r[0].prefer, "B00001L9");
	CHECK_INT(l.r[0].priority, 2);
	CHECK(l.r[0].created > 0);
	/* the directory walked: its members replace it, in one transaction */
	CHECK_INT(catalog_recall_add(cat, m, 2, drow, rows), 0);
	CHECK(rows[0] > drow && rows[1] > rows[0]);
	memset(&l, 0, sizeof(l));
	CHECK_INT(catalog_recall_list(cat, list_one, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(l.r[0].member, 1);
	CHECK_INT(l.r[1].member, 2);
	CHECK_STR(l.paths[0], "-");
	CHECK_INT(catalog_recall_remove(cat, rows, 1), 0);
	CHECK_INT(catalog_recall_remove(cat, &drow, 1), 0); /* gone: fine */
	memset(&l, 0, sizeof(l));
	CHECK_INT(catalog_recall_list(cat, list_one, &l), 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.r[0].id, rows[1]);
}

static int lru_map(void *ctx, const struct catalog_cache_entry *e)
{
	int *ok = ctx;

	*ok = e->member_id == 1 && e->map_len == 2 && e->map &&
	      e->map[0] == 0x81 && e->map[1] == 0x01 && e->present == 3;
	return 0;
}

static void test_cache_map(void)
{
	const unsigned char map[2] = {0x81, 0x01};
	struct catalog_cache_entry e = {
	    .member_id = 1, .size = 9, .present = 3, .map = map, .map_len = 2};
	int ok = 0;

	snprintf(e.file, sizeof(e.file), "m1");
	CHECK_INT(catalog_cache_put(cat, &e), 0);
	CHECK_INT(catalog_cache_lru(cat, lru_map, &ok), 0);
	CHECK(ok);
	CHECK_INT(catalog_cache_get(cat, 1, &e), 0);
	CHECK(e.map == NULL && e.present == 3);
}

int main(void)
{
	cat = fx_catalog("recall.db");
	if (!cat)
		return check_done();
	CHECK_INT(catalog_schema_version(cat), CATALOG_SCHEMA_VERSION);
	RUN(test_chunks);
	RUN(test_queue);
	RUN(test_cache_map);
	catalog_close(cat);
	return check_done();
}
