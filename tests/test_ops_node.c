/* tests/test_ops_node.c - the mount's node table (fs/ops_node.h): paths of
 * nodes, lookups counted and forgotten, nodes freed when the kernel holds
 * none (and kept while a child needs its parent), identity by inode
 * number, unlink, rename (plain, over a name, exchange, to longer and
 * shorter names), children found by name, nodes found by inode number,
 * ids never given twice (a forgotten id stays unknown when a new node
 * takes its place), and a large tree forgotten back to the root alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ops_node.h"
#include "tests/check.h"

static struct ops_nodes *t;

/* One lookup of name in parent; the node's id (0 on failure). */
static uint64_t ref(uint64_t parent, const char *name, uint64_t ino, int is_dir)
{
	uint64_t id = 0;

	if (ops_node_ref(t, parent, name, ino, is_dir, &id))
		return 0;
	return id;
}

static const char *path(uint64_t id)
{
	static char buf[4096];

	if (ops_node_path(t, id, NULL, buf, sizeof(buf)))
		return "(error)";
	return buf;
}

static void test_paths(void)
{
	char buf[64];
	uint64_t a, b, f;

	CHECK_STR(path(OPS_NODE_ROOT), "/");
	CHECK_INT(ops_node_path(t, OPS_NODE_ROOT, "x", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/x");
	a = ref(OPS_NODE_ROOT, "staging", 10, 1);
	b = ref(a, "dir", 11, 1);
	f = ref(b, "file name", 12, 0);
	CHECK(a && b && f && a != b && b != f && a != OPS_NODE_ROOT);
	CHECK_STR(path(f), "/staging/dir/file name");
	CHECK_INT(ops_node_path(t, b, "new", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/staging/dir/new");
	CHECK_INT(ops_node_path(t, f, NULL, buf, 10), -ENAMETOOLONG);
	CHECK_INT(ops_node_path(t, 999999, NULL, buf, sizeof(buf)), -ESTALE);
	/* the same name again is the same node, one more lookup */
	CHECK_INT(ref(b, "file name", 12, 0), f);
	CHECK_INT(ops_nodes_count(t), 4);
	ops_node_forget(t, f, 1);
	CHECK_STR(path(f), "/staging/dir/file name");
	ops_node_forget(t, f, 1);
	CHECK_INT(ops_node_path(t, f, NULL, buf, sizeof(buf)), -ESTALE);
	CHECK_INT(ops_nodes_count(t), 3);
	ops_node_forget(t, b, 1);
	ops_node_forget(t, a, 1);
	CHECK_INT(ops_nodes_count(t), 1);
}

static void test_parent_kept_for_child(void)
{
	uint64_t d = ref(OPS_NODE_ROOT, "d", 20, 1);
	uint64_t f = ref(d, "f", 21, 0);

	ops_node_forget(t, d, 1); /* the kernel forgot d, not yet f */
	CHECK_STR(path(f), "/d/f");
	CHECK_INT(ops_nodes_count(t), 3);
	CHECK_INT(ref(OPS_NODE_ROOT, "d", 20, 1), d); /* found again */
	ops_node_forget(t, d, 1);
	ops_node_forget(t, f, 1); /* both go */
	CHECK_INT(ops_nodes_count(t), 1);
	CHECK_INT(ops_node_ref(t, f, "x", 1, 0, &d), -ESTALE);
}

static void test_identity(void)
{
	uint64_t d = ref(OPS_NODE_ROOT, "archive", 30, 1);
	uint64_t v1 = ref(d, "x", 31, 0), v2, d2;

	/* a new version: another inode number, another node; the old one
	 * lives on without a path until forgotten */
	v2 = ref(d, "x", 32, 0);
	CHECK(v2 && v2 != v1);
	CHECK_STR(path(v2), "/archive/x");
	CHECK_STR(path(v1), "(error)");
	CHECK_INT(ops_nodes_count(t), 4);
	ops_node_forget(t, v1, 1);
	CHECK_INT(ops_nodes_count(t), 3);
	/* a directory keeps its node when its inode number changes */
	d2 = ref(OPS_NODE_ROOT, "archive", 33, 1);
	CHECK_INT(d2, d);
	CHECK_STR(path(v2), "/archive/x");
	/* but not when it becomes a file */
	v1 = ref(d, "x", 32, 1);
	CHECK(v1 != v2);
	ops_node_forget(t, v1, 1);
	ops_node_forget(t, v2, 1);
	ops_node_forget(t, d, 2);
	CHECK_INT(ops_nodes_count(t), 1);
}

static void test_unlink(void)
{
	uint64_t d = ref(OPS_NODE_ROOT, "d", 40, 1);
	uint64_t f = ref(d, "f", 41, 0), g;

	ops_node_unlink(t, d, "f");
	CHECK_STR(path(f), "(error)"); /* open handles need no path */
	g = ref(d, "f", 41, 0);	       /* a new file of that name */
	CHECK(g && g != f);
	ops_node_unlink(t, d, "nope"); /* unknown names are fine */
	ops_node_forget(t, f, 1);
	ops_node_forget(t, g, 1);
	ops_node_unlink(t, OPS_NODE_ROOT, "d");
	CHECK_INT(ops_nodes_count(t), 2); /* d: unlinked, still looked up */
	ops_node_forget(t, d, 1);
	CHECK_INT(ops_nodes_count(t), 1);
}

static void test_rename(void)
{
	uint64_t a = ref(OPS_NODE_ROOT, "a", 50, 1);
	uint64_t b = ref(OPS_NODE_ROOT, "b", 51, 1);
	uint64_t sub = ref(a, "sub", 52, 1);
	uint64_t f = ref(sub, "f", 53, 0);
	uint64_t g = ref(b, "g", 54, 0);

	/* a directory moves with everything below it */
	CHECK_INT(ops_node_rename(t, a, "sub", b, "moved", 0), 0);
	CHECK_STR(path(f), "/b/moved/f");
	/* over an existing name: that node loses its path */
	CHECK_INT(ops_node_rename(t, b, "moved", b, "g", 0), 0);
	CHECK_STR(path(f), "/b/g/f");
	CHECK_STR(path(g), "(error)");
	ops_node_forget(t, g, 1);
	/* exchange swaps the two */
	g = ref(a, "h", 55, 0);
	CHECK_INT(ops_node_rename(t, b, "g", a, "h", 1), 0);
	CHECK_STR(path(sub), "/a/h");
	CHECK_STR(path(g), "/b/g");
	CHECK_STR(path(f), "/a/h/f");
	/* a rename of something the table does not hold */
	CHECK_INT(ops_node_rename(t, a, "zz", b, "yy", 0), 0);
	CHECK_STR(path(g), "/b/g");
	ops_node_forget(t, f, 1);
	ops_node_forget(t, g, 1);
	ops_node_forget(t, sub, 1);
	ops_node_forget(t, a, 1);
	ops_node_forget(t, b, 1);
	CHECK_INT(ops_nodes_count(t), 1);
}

/* A name kept in the node is replaced by a longer one on the heap, then
 * by a shorter one again; each is found under its own name only; long
 * names looked up. */
static void test_rename_lengths(void)
{
	const char *longer = "a-name-much-longer-than-the-first-one.dat";
	uint64_t d = ref(OPS_NODE_ROOT, "d", 60, 1);
	uint64_t f = ref(d, "f", 61, 0), id = 0;

	CHECK_INT(ops_node_child(t, d, "f", &id), 0);
	CHECK_INT(id, f);
	CHECK_INT(ops_node_child(t, d, "g", &id), -ENOENT);
	CHECK_INT(ops_node_child(t, 999999, "f", &id), -ENOENT);
	CHECK_INT(ops_node_rename(t, d, "f", d, longer, 0), 0);
	CHECK_STR(path(f), "/d/a-name-much-longer-than-the-first-one.dat");
	CHECK_INT(ops_node_child(t, d, "f", &id), -ENOENT);
	CHECK_INT(ops_node_child(t, d, longer, &id), 0);
	CHECK_INT(id, f);
	CHECK_INT(ops_node_rename(t, d, longer, OPS_NODE_ROOT, "s", 0), 0);
	CHECK_STR(path(f), "/s");
	CHECK_INT(ref(OPS_NODE_ROOT, "s", 61, 0), f); /* the same node */
	ops_node_forget(t, f, 2);
	CHECK_INT(ops_node_child(t, OPS_NODE_ROOT, "s", &id), -ENOENT);
	/* a long name from the start; one of 22 bytes (kept in the node)
	 * and one of 23 (on the heap) */
	f = ref(d, longer, 62, 0);
	CHECK_STR(path(f), "/d/a-name-much-longer-than-the-first-one.dat");
	CHECK_INT(ref(d, "twenty-two-characters!", 63, 0) != 0, 1);
	CHECK_INT(ref(d, "twenty-three-characters", 64, 0) != 0, 1);
	CHECK_INT(ops_node_child(t, d, "twenty-two-characters!", &id), 0);
	CHECK_STR(path(id), "/d/twenty-two-characters!");
	ops_node_forget(t, id, 1);
	CHECK_INT(ops_node_child(t, d, "twenty-three-characters", &id), 0);
	CHECK_STR(path(id), "/d/twenty-three-characters");
	ops_node_forget(t, id, 1);
	CHECK_INT(ops_node_child(t, d, longer, &id), 0);
	CHECK_INT(id, f);
	ops_node_forget(t, f, 1);
	ops_node_forget(t, d, 1);
	CHECK_INT(ops_nodes_count(t), 1);
}

/* The nodes of one inode number: a member under two names (archive/
 * and tapes/), a directory whose number follows its latest version, and
 * none once forgotten. */
static void test_by_ino(void)
{
	uint64_t a = ref(OPS_NODE_ROOT, "archive", 70, 1);
	uint64_t t1 = ref(OPS_NODE_ROOT, "tapes", 71, 1);
	uint64_t f = ref(a, "f", 7000, 0), g = ref(t1, "f", 7000, 0);
	uint64_t ids[4];

	CHECK_INT(ops_node_by_ino(t, 7000, ids, 4), 2);
	CHECK((ids[0] == f && ids[1] == g) || (ids[0] == g && ids[1] == f));
	CHECK_INT(ops_node_by_ino(t, 7000, ids, 1), 1);
	CHECK_INT(ref(OPS_NODE_ROOT, "archive", 72, 1), a); /* same node */
	CHECK_INT(ops_node_by_ino(t, 70, ids, 4), 0);
	CHECK_INT(ops_node_by_ino(t, 72, ids, 4), 1);
	CHECK_INT(ids[0], a);
	ops_node_forget(t, f, 1);
	CHECK_INT(ops_node_by_ino(t, 7000, ids, 4), 1);
	CHECK_INT(ids[0], g);
	ops_node_forget(t, g, 1);
	CHECK_INT(ops_node_by_ino(t, 7000, ids, 4), 0);
	ops_node_forget(t, a, 2);
	ops_node_forget(t, t1, 1);
	CHECK_INT(ops_nodes_count(t), 1);
}

/* A node made where a forgotten one was gets another id, and the old id
 * stays unknown to every call: the kernel may still send it (a forget
 * crossing a lookup, an invalidation of an id found before). */
static void test_ids_not_reused(void)
{
	enum { ROUNDS = 50 };
	uint64_t d = ref(OPS_NODE_ROOT, "d", 80, 1), seen[ROUNDS], id, ino;
	char buf[64];
	int dup = 0;

	for (int i = 0; i < ROUNDS; i++) {
		seen[i] = ref(d, "f", 8000 + i, 0);
		for (int j = 0; j < i; j++)
			dup += seen[j] == seen[i];
		ops_node_forget(t, seen[i], 1);
	}
	CHECK_INT(dup, 0);
	CHECK(seen[0] != OPS_NODE_ROOT && seen[1] != d);
	id = ref(d, "g", 8100, 0);
	for (int i = 0; i < ROUNDS; i++) {
		ops_node_forget(t, seen[i], 1); /* stale: ignored */
		CHECK_INT(ops_node_path(t, seen[i], NULL, buf, sizeof(buf)),
			  -ESTALE);
		CHECK_INT(ops_node_ino(t, seen[i], &ino), -ESTALE);
		CHECK_INT(ops_node_ref(t, seen[i], "x", 1, 0, &ino), -ESTALE);
	}
	CHECK_STR(path(id), "/d/g");
	CHECK_INT(ops_nodes_count(t), 3);
	ops_node_forget(t, id, 1);
	ops_node_forget(t, d, 1);
	CHECK_INT(ops_nodes_count(t), 1);
}

/* A tree much larger than the initial hash tables, every node found by
 * its path, then forgotten in an order that frees children last; twice,
 * the second time in the places (and tables) the first left. */
static void test_many(void)
{
	enum { DIRS = 100, FILES = 500 };
	uint64_t *ids = malloc(sizeof(*ids) * DIRS * (FILES + 1));
	char name[32], want[64];
	int bad = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (int d = 0; d < DIRS; d++) {
			snprintf(name, sizeof(name), "d%d", d);
			ids[d * (FILES + 1)] =
			    ref(OPS_NODE_ROOT, name, 1000 + d, 1);
			for (int f = 0; f < FILES; f++) {
				snprintf(name, sizeof(name), "f%d", f);
				ids[d * (FILES + 1) + 1 + f] =
				    ref(ids[d * (FILES + 1)], name,
					100000 + d * FILES + f, 0);
			}
		}
		CHECK_INT(ops_nodes_count(t), 1 + DIRS * (FILES + 1));
		for (int d = 0; d < DIRS; d++)
			for (int f = 0; f < FILES; f += 37) {
				snprintf(want, sizeof(want), "/d%d/f%d", d, f);
				if (strcmp(path(ids[d * (FILES + 1) + 1 + f]),
					   want))
					bad++;
			}
		CHECK_INT(bad, 0);
		for (int i = 0; i < DIRS * (FILES + 1); i++)
			ops_node_forget(t, ids[i], 1); /* each dir first */
		CHECK_INT(ops_nodes_count(t), 1);
	}
	free(ids);
}

int main(void)
{
	if (ops_nodes_new(&t)) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	RUN(test_paths);
	RUN(test_parent_kept_for_child);
	RUN(test_identity);
	RUN(test_unlink);
	RUN(test_rename);
	RUN(test_rename_lengths);
	RUN(test_by_ino);
	RUN(test_ids_not_reused);
	RUN(test_many);
	ops_nodes_free(t);
	return check_done();
}
