/* tests/test_recall_readon.c - adjacent members are read on, not located
 * to: one archive of NFILES small members (several share each record of
 * BS bytes) on one vtape of a vlib, committed to a catalog, recalled
 * through the engine and the drive scheduler without a mount.
 *
 * 100 members requested in tape order (queued while a job holds the
 * tape in the drive, as test_recall_engine does: the engine sees them
 * whole however long a loaded machine stops this thread between two
 * requests): one locate command at most (the vtape trace counts every
 * locate, even one to where the tape stands), every record read once and
 * in order, each member's bytes and MD5 what was archived, and once the
 * engine's syncers are done each has its cache row in the catalog (most
 * of them flushed by name: the syncers are let keep 8 descriptors). Every
 * third member of the rest, queued the same way: the records between are
 * read, not located over. Then, with nothing cached, requests in a
 * shuffled order and readers one at a time from the last member back to
 * the first (each a locate back): every member still right. Then the
 * whole archive as a list through the batch worker, in tape order: one
 * pass again; a member corrupted on tape in the middle of a sweep: refused
 * (its MD5 is checked beside the drive) while its neighbours are cached;
 * and last the cache file of the next member made ahead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/recall.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/md5.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_recall.h"
#include "tests/lib_fixture.h"

#define BS     (64 * 1024)
#define NFILES 160
#define NORDER 100 /* recalled in tape order first */

static const char *bc = "A00001L9";
static char libdir[1100], trace[1100], cachedir[1100];
static struct tapefs fs;
static struct changer *chg;

struct file {
	char name[64];
	uint64_t size;
	unsigned seed;
	int64_t id;
	char md5[MD5_HEX_SIZE];
	uint64_t data_block, data_off; /* its first data byte on tape */
};
static struct file files[NFILES];

/* Sizes from 3 to 40 KiB: 2 to 20 members begin in each record, and some
 * members run over into the next. */
static int make_sources(const char *srcdir, struct tarw_source *src,
			char (*paths)[1300])
{
	int ret;

	for (int i = 0; i < NFILES; i++) {
		struct file *f = &files[i];

		snprintf(f->name, sizeof(f->name), "s/f%03d", i);
		f->seed = (unsigned)i * 31 + 5;
		f->size = 3000 + (uint64_t)((i * 7919) % 38) * 1024;
		snprintf(paths[i], sizeof(paths[i]), "%.1000s/%.60s", srcdir,
			 f->name);
		if ((ret = fx_make_file(paths[i], f->size, f->seed)) ||
		    (ret = fx_source(&src[i], paths[i])))
			return ret;
		src[i].name = f->name;
	}
	return 0;
}

/* The archive on the tape, committed: its members with their MD5. */
static int commit(const struct fx_archive *a)
{
	struct catalog_dump_file df[NFILES];
	struct catalog_member cm[NFILES];
	struct catalog_copy_in ci = {bc, 1, a->start[0], a->bytes};
	struct catalog_archive_in ai = {.block_size = BS, .bytes = a->bytes};
	int64_t dump_id, arch_id;
	int ret;

	for (size_t i = 0; i < a->nmembers; i++) {
		const struct tar_member *tm = &a->members[i];

		df[i] = (struct catalog_dump_file){
		    .path = tm->name, .size = tm->size, .mtime = 1};
		fx_recall_member(&cm[i], tm);
		memcpy(files[i].md5, tm->md5, MD5_HEX_SIZE);
		files[i].data_block = a->start[0] + tm->data_offset / BS;
		files[i].data_off = tm->data_offset % BS;
	}
	ret = catalog_dump_create(fs.cat, df, a->nmembers, &dump_id);
	if (!ret)
		ret = catalog_dump_commit(fs.cat, dump_id, &ai, &ci, 1, cm,
					  a->nmembers, &arch_id);
	return ret;
}

static int setup(const char *top)
{
	struct fx_lib lib = {.drives = 1,
			     .slots = 2,
			     .tapes = 1,
			     .capacity = 64 << 20,
			     .pools = 1,
			     .block_size = BS};
	struct catalog_tape ct =
	    fx_tape(bc, "A", CATALOG_TAPE_SCRATCH, 64 << 20);
	static struct tarw_source src[NFILES];
	static char paths[NFILES][1300];
	struct tarw_opts o = {.block_size = BS};
	struct fx_archive a = {0};
	struct catalog_member m;
	char img[1300], srcdir[1100];
	struct tape *t = NULL;
	int ret;

	snprintf(libdir, sizeof(libdir), "%s/lib", top);
	snprintf(cachedir, sizeof(cachedir), "%s/cache", top);
	snprintf(srcdir, sizeof(srcdir), "%s/src", top);
	mkdir(srcdir, 0755);
	snprintf(img, sizeof(img), "%s/s", srcdir);
	mkdir(img, 0755);
	snprintf(img, sizeof(img), "%s/tapes/%s.vtape", libdir, bc);
	if ((ret = fx_lib_setup(libdir, &lib)) ||
	    (ret = make_sources(srcdir, src, paths)) ||
	    (ret = tape_open(&t, tape_backend("vtape"), img, TAPE_RDWR)) ||
	    (ret = tape_goto_file(t, 1)) ||
	    (ret = catalog_tape_add(fs.cat, &ct)) ||
	    (ret = fx_write_archive(&t, 1, src, NFILES, &o, &a)))
		goto out;
	ret = a.nmembers == NFILES ? commit(&a) : -EINVAL;
	for (int i = 0; !ret && i < NFILES; i++) {
		memset(&m, 0, sizeof(m));
		ret = catalog_ns_lookup(fs.cat, files[i].name, &m);
		files[i].id = m.id;
		catalog_member_release(&m);
	}
out:
	fx_archive_free(&a);
	if (t)
		tape_close(t);
	return ret;
}

/* ---- the vtape trace ----------------------------------------------------- */

/* Locate commands, and whether every record read lies after the one read
 * before it (none read twice, none going back). */
static int trace_scan(int *ascending)
{
	FILE *fp = fopen(trace, "r");
	char line[512], b[64], op[32];
	unsigned long long x;
	uint64_t prev = 0;
	int n = 0, first = 1;

	*ascending = 1;
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "%63s %31s %llu", b, op, &x) != 3)
			continue;
		if (!strcmp(op, "locate"))
			n++;
		if (strcmp(op, "read") || strstr(line, "filemark"))
			continue;
		*ascending &= first || x > prev;
		first = 0;
		prev = x;
	}
	fclose(fp);
	return n;
}

/* ---- helpers --------------------------------------------------------------
 */

static int wait_cached(int i)
{
	for (int n = 0; n < 2000; n++) {
		if (recall_state(fs.recall, files[i].id) == RECALL_CACHED)
			return 1;
		usleep(5000);
	}
	return 0;
}

/* Member i read through the engine: its bytes and their MD5 are what was
 * archived. 0 when right. */
static int read_right(int i)
{
	struct file *f = &files[i];
	char *want = malloc(f->size + 1), *got = malloc(f->size + 1);
	char hex[MD5_HEX_SIZE] = "";
	struct recall_handle *h = NULL;
	uint64_t off = 0;
	ssize_t n = -1;
	int ret = -1;

	if (!want || !got || recall_open(fs.recall, f->id, 0, NULL, &h))
		goto out;
	fx_fill(want, f->size, f->seed);
	while (off < f->size &&
	       (n = recall_read(h, got + off, 5000, (off_t)off)) > 0)
		off += (uint64_t)n;
	recall_release(h);
	md5_buf(got, off, hex);
	ret = off == f->size && !memcmp(want, got, f->size) &&
		      !strcmp(hex, f->md5)
		  ? 0
		  : -1;
out:
	free(want);
	free(got);
	return ret;
}

static void drop_all(void)
{
	for (int i = 0; i < NFILES; i++)
		recall_drop(fs.recall, files[i].id);
}

/* ---- tests ------------------------------------------------------------------
 */

/* 100 adjacent members in tape order: one pass, one locate at most. */
static void test_in_order(void)
{
	struct fx_holder h;
	int all = 1, ok = 1, rows = 1, asc, nloc;

	/* the syncers keep 8 descriptors: the other members' files are
	 * flushed by their names */
	recall_durable_set_fds(fs.recall, 8);
	truncate(trace, 0);
	fx_hold(fs.sched, &h, bc);
	for (int i = 0; i < NORDER; i++)
		CHECK_INT(recall_request(fs.recall, files[i].id, NULL, 0), 0);
	fx_unhold(&h);
	for (int i = 0; i < NORDER; i++)
		all &= wait_cached(i);
	CHECK(all);
	nloc = trace_scan(&asc);
	CHECK(nloc >= 0 && nloc <= 1);
	CHECK(asc);
	for (int i = 0; i < NORDER; i++)
		ok &= read_right(i) == 0;
	CHECK(ok);
	/* made durable off the drive's path: once the syncers are done every
	 * member has its cache row, whole */
	recall_durable_wait(fs.recall);
	CHECK_INT(recall_durable_pending(fs.recall), 0);
	for (int i = 0; i < NORDER; i++) {
		struct catalog_cache_entry ce = {0};

		rows &= catalog_cache_get(fs.cat, files[i].id, &ce) == 0 &&
			ce.present == files[i].size && !ce.map_len;
	}
	CHECK(rows);
}

/* Every third member of the rest: the two between are read over. */
static void test_gaps(void)
{
	struct fx_holder h;
	int all = 1, ok = 1, asc, nloc;

	truncate(trace, 0);
	fx_hold(fs.sched, &h, bc);
	for (int i = NORDER; i < NFILES; i += 3)
		CHECK_INT(recall_request(fs.recall, files[i].id, NULL, 0), 0);
	fx_unhold(&h);
	for (int i = NORDER; i < NFILES; i += 3)
		all &= wait_cached(i);
	CHECK(all);
	nloc = trace_scan(&asc);
	CHECK(nloc >= 0 && nloc <= 1);
	CHECK(asc);
	for (int i = NORDER; i < NFILES; i += 3)
		ok &= read_right(i) == 0;
	CHECK(ok);
	CHECK_INT(recall_state(fs.recall, files[NORDER + 1].id),
		  RECALL_OFFLINE);
}

/* Out of order: a shuffled batch, then readers from the last member back
 * to the first, one at a time (each reads behind where the tape stands). */
static void test_out_of_order(void)
{
	int order[NFILES], all = 1, ok = 1, asc;

	drop_all();
	for (int i = 0; i < NFILES; i++)
		order[i] = i;
	srand(7);
	for (int i = NFILES - 1; i > 0; i--) {
		int j = rand() % (i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (int i = 0; i < NFILES / 2; i++)
		CHECK_INT(
		    recall_request(fs.recall, files[order[i]].id, NULL, 0), 0);
	for (int i = 0; i < NFILES / 2; i++)
		all &= wait_cached(order[i]);
	CHECK(all);
	for (int i = 0; i < NFILES / 2; i++)
		ok &= read_right(order[i]) == 0;
	CHECK(ok);
	drop_all();
	truncate(trace, 0);
	for (int i = NORDER - 1; i >= NORDER - 20; i--)
		ok &= read_right(i) == 0;
	CHECK(ok);
	CHECK(trace_scan(&asc) >= 2); /* going back needs locates */
}

/* A list written to `.recall` in tape order, resolved by the batch worker
 * (the drive may start on it before the rest is resolved): one pass, one
 * locate at most, every member right. */
static void test_list_in_order(void)
{
	int all = 1, ok = 1, asc, nloc;

	drop_all();
	truncate(trace, 0);
	for (int i = 0; i < NFILES; i++)
		CHECK_INT(recall_batch_add(fs.recall, RECALL_OP_RECALL, 0,
					   files[i].name, NULL, 0, 0),
			  0);
	for (int i = 0; i < NFILES; i++)
		all &= wait_cached(i);
	CHECK(all);
	nloc = trace_scan(&asc);
	CHECK(nloc >= 0 && nloc <= 1);
	CHECK(asc);
	for (int i = 0; i < NFILES; i++)
		ok &= read_right(i) == 0;
	CHECK(ok);
}

/* A member with a byte flipped on tape in the middle of a sweep (its only
 * copy): its MD5 is checked beside the drive while the drive reads on past
 * it. It is refused (never cached; a read gets EIO, no file of it is left
 * in the cache) and the members around it are cached and right, read in
 * one pass. */
static void test_bad_in_sweep(void)
{
	struct fx_holder h;
	const int lo = 10, hi = 40, bad = 25;
	struct recall_handle *rh = NULL;
	char img[1300], p[1300], buf[64];
	int all = 1, ok = 1, asc, nloc, n;

	drop_all();
	snprintf(img, sizeof(img), "%s/tapes/%s.vtape", libdir, bc);
	CHECK_INT(vtape_inject(img, VTAPE_FAULT_FLIP, files[bad].data_block,
			       files[bad].data_off + 7),
		  0);
	truncate(trace, 0);
	fx_hold(fs.sched, &h, bc);
	for (int i = lo; i < hi; i++)
		CHECK_INT(recall_request(fs.recall, files[i].id, NULL, 0), 0);
	fx_unhold(&h);
	for (int i = lo; i < hi; i++)
		if (i != bad)
			all &= wait_cached(i);
	CHECK(all);
	for (n = 0; n < 2000 &&
		    recall_state(fs.recall, files[bad].id) != RECALL_OFFLINE;
	     n++)
		usleep(5000);
	CHECK_INT(recall_state(fs.recall, files[bad].id), RECALL_OFFLINE);
	nloc = trace_scan(&asc);
	CHECK(nloc >= 0 && nloc <= 1);
	CHECK(asc);
	for (int i = lo; i < hi; i++)
		if (i != bad)
			ok &= read_right(i) == 0;
	CHECK(ok);
	snprintf(p, sizeof(p), "%s/tapefs-cache/m%lld", cachedir,
		 (long long)files[bad].id);
	CHECK(access(p, F_OK) != 0);
	/* a reader asks again: the copy is read again, and refused again */
	CHECK_INT(recall_open(fs.recall, files[bad].id, 0, NULL, &rh), 0);
	if (rh) {
		CHECK_INT(recall_read(rh, buf, sizeof(buf), 0), -EIO);
		recall_release(rh);
	}
	CHECK_INT(recall_state(fs.recall, files[bad].id), RECALL_OFFLINE);
	CHECK(access(p, F_OK) != 0);
	vtape_inject(img, VTAPE_FAULT_CLEAR, 0, 0);
}

/* The .part file of member i, made ahead or not. */
static int part_exists(int i)
{
	char p[1300];

	snprintf(p, sizeof(p), "%s/tapefs-cache/m%lld.part", cachedir,
		 (long long)files[i].id);
	return access(p, F_OK) == 0;
}

static int wait_part(int i)
{
	for (int n = 0; n < 500 && !part_exists(i); n++)
		usleep(10000);
	return part_exists(i);
}

/* The file of the member a job reads next, made ahead: handed over new
 * and empty, once; one made for a member nobody then reads is removed
 * when the engine stops (no litter). Last: it stops the engine. */
static void test_made_ahead(void)
{
	struct stat st;
	int fd;

	drop_all();
	recall_ahead_want(fs.recall, &files[0].id, 1);
	CHECK(wait_part(0));
	fd = recall_ahead_take(fs.recall, files[0].id);
	CHECK(fd >= 0);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0);
	if (fd >= 0)
		close(fd);
	CHECK_INT(recall_ahead_take(fs.recall, files[0].id), -1);
	recall_ahead_want(fs.recall, &files[1].id, 1);
	CHECK(wait_part(1));
	recall_stop(&fs);
	CHECK(part_exists(0)); /* taken: the taker's to remove */
	CHECK(!part_exists(1));
}

int main(void)
{
	char top[1024];
	int ret;

	if (!getcwd(top, sizeof(top)))
		return 1;
	setenv("TAPEFS_VTAPE_TRACE", "trace", 1);
	snprintf(trace, sizeof(trace), "%s/trace", top);
	fs.cfg.cache = cachedir;
	pthread_mutex_init(&fs.errors.lock, NULL);
	fs.cat = fx_catalog("catalog.db");
	if (!fs.cat)
		return check_done();
	ret = setup(top);
	CHECK_INT(ret, 0);
	if (!ret &&
	    (!(chg = fx_changer(libdir)) || !(fs.sched = fx_sched(chg, 1))))
		ret = -EIO;
	if (!ret)
		ret = recall_start(&fs);
	CHECK_INT(ret, 0);
	if (!ret) {
		RUN(test_in_order);
		RUN(test_gaps);
		RUN(test_out_of_order);
		RUN(test_list_in_order);
		RUN(test_bad_in_sweep);
		RUN(test_made_ahead);
	}
	recall_stop(&fs);
	if (fs.sched)
		sched_stop(fs.sched);
	if (chg)
		changer_close(chg);
	catalog_close(fs.cat);
	return check_done();
}
