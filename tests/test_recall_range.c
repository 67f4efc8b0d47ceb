/* tests/test_recall_range.c - byte-range recalls in the engine, without a
 * mount: one 10 MiB member (chunks of 4, 4 and 2 MiB) written with tarw
 * to two vtapes of a vlib and committed with its chunk digests. A read of
 * its last chunk locates to that chunk's record and reads nothing else;
 * the member is then partly cached (cached bytes = that chunk) and stays
 * so across a restart of the engine (the chunk map in the catalog's cache
 * row), served without a tape; a flipped byte in the middle chunk of copy
 * A: that chunk comes from copy B; release drops it; a `.recall` request
 * completes the rest and it is cached whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"
#include "tapeio/chunk.h"
#include "tapeio/sched.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS   (64 * 1024)
#define SIZE (10u << 20)

static const char *bc[2] = {"A00001L9", "B00001L9"};
static char libdir[1100], cachedir[1100], trace[1100];
static struct tapefs fs;
static struct changer *chg;
static int64_t id;
static uint64_t start[2], data_off;
static unsigned char *want;

/* The member on both tapes, committed with its chunk digests. */
static int setup(void)
{
	struct fx_lib lib = {.drives = 2,
			     .slots = 4,
			     .tapes = 2,
			     .capacity = 64 << 20,
			     .pools = 2,
			     .block_size = BS};
	struct tarw_opts o = {.block_size = BS};
	struct catalog_archive_in ai = {.block_size = BS};
	struct catalog_copy_in ci[2];
	struct catalog_member cm = {0};
	struct chunk_digester dg;
	struct tape *t[2] = {NULL, NULL};
	struct tarw_source src;
	struct fx_archive a;
	char img[1200];
	int64_t dump;
	int ret;

	if ((ret = fx_lib_setup(libdir, &lib)) ||
	    (ret = fx_make_file("big.bin", SIZE, 3)) ||
	    (ret = fx_source(&src, "big.bin")))
		return ret;
	for (int c = 0; c < 2; c++) {
		struct catalog_tape ct = fx_tape(
		    bc[c], c ? "B" : "A", CATALOG_TAPE_SCRATCH, 64 << 20);

		snprintf(img, sizeof(img), "%s/tapes/%s.vtape", libdir, bc[c]);
		if ((ret = tape_open(&t[c], tape_backend("vtape"), img,
				     TAPE_RDWR)) ||
		    (ret = tape_goto_file(t[c], 1)) ||
		    (ret = catalog_tape_add(fs.cat, &ct)))
			return ret;
	}
	if ((ret = fx_write_archive(t, 2, &src, 1, &o, &a)))
		return ret;
	for (int c = 0; c < 2; c++) {
		start[c] = a.start[c];
		ci[c] = (struct catalog_copy_in){bc[c], 1, a.start[c], a.bytes};
		tape_close(t[c]);
	}
	ai.bytes = a.bytes;
	cm.path = "big.bin";
	cm.type = CATALOG_FILE;
	cm.size = SIZE;
	cm.mode = S_IFREG | 0644;
	memcpy(cm.md5, a.members[0].md5, 33);
	cm.header_offset = a.members[0].header_offset;
	cm.data_offset = data_off = a.members[0].data_offset;
	want = malloc(SIZE);
	if (!want || chunk_digester_init(&dg, SIZE, CHUNK_SIZE))
		return -ENOMEM;
	fx_fill(want, SIZE, 3);
	chunk_digester_update(&dg, want, SIZE);
	ret = catalog_dump_create(fs.cat, NULL, 0, &dump);
	if (!ret)
		ret =
		    catalog_dump_commit(fs.cat, dump, &ai, ci, 2, &cm, 1, NULL);
	if (!ret)
		ret = catalog_ns_lookup(fs.cat, "big.bin", &cm);
	if (!ret) {
		id = cm.id;
		catalog_member_release(&cm); /* the lookup's path */
		ret = catalog_chunks_put(fs.cat, id, CHUNK_SIZE, dg.n,
					 dg.digests);
	}
	chunk_digester_release(&dg);
	fx_archive_free(&a);
	return ret;
}

static int engine_start(void)
{
	if (!fs.sched &&
	    (!(chg = fx_changer(libdir)) || !(fs.sched = fx_sched(chg, 2))))
		return -EIO;
	return recall_start(&fs);
}

/* Read len bytes at off through a new handle (prefer: the copy to read
 * first); 0 when they are the member's. */
static int read_range(uint64_t off, size_t len, const char *prefer)
{
	struct recall_handle *h;
	char *buf = malloc(len);
	ssize_t n = -ENOMEM;

	if (buf && !recall_open(fs.recall, id, 0, prefer, &h)) {
		n = recall_read(h, buf, len, (off_t)off);
		recall_release(h);
	}
	n = n == (ssize_t)len && !memcmp(buf, want + off, len) ? 0 : -1;
	free(buf);
	return (int)n;
}

/* Records read from barcode (vtape trace) at or after lblock from; the
 * lowest in *low. */
static int trace_reads(const char *barcode, uint64_t *low)
{
	FILE *fp = fopen(trace, "r");
	char line[256], b[64];
	unsigned long long x, len;
	int n = 0;

	*low = UINT64_MAX;
	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "%63s read %llu %llu", b, &x, &len) == 3 &&
		    !strcmp(b, barcode)) {
			n++;
			if (x < *low)
				*low = x;
		}
	if (fp)
		fclose(fp);
	return n;
}

static void wait_state(enum recall_state s)
{
	for (int i = 0; i < 500 && recall_state(fs.recall, id) != s; i++)
		usleep(10000);
}

static void test_last_chunk(void)
{
	uint64_t low, rec = start[0] + (data_off + 2ull * CHUNK_SIZE) / BS;

	truncate(trace, 0);
	CHECK_INT(read_range(SIZE - 100000, 100000, bc[0]), 0);
	wait_state(RECALL_PARTIAL);
	CHECK_INT(recall_state(fs.recall, id), RECALL_PARTIAL);
	CHECK_INT(recall_cached_bytes(fs.recall, id), SIZE - 2 * CHUNK_SIZE);
	CHECK_INT(trace_reads(bc[0], &low), (SIZE - 2 * CHUNK_SIZE) / BS + 1);
	CHECK_INT(low, rec); /* the record holding the chunk's first byte */
	CHECK_INT(trace_reads(bc[1], &low), 0);
}

static void test_restart_keeps_chunks(void)
{
	uint64_t low;

	recall_stop(&fs);
	CHECK_INT(engine_start(), 0);
	if (!fs.recall)
		return;
	CHECK_INT(recall_state(fs.recall, id), RECALL_PARTIAL);
	CHECK_INT(recall_cached_bytes(fs.recall, id), SIZE - 2 * CHUNK_SIZE);
	truncate(trace, 0);
	CHECK_INT(read_range(SIZE - 5000, 5000, NULL), 0);
	CHECK_INT(trace_reads(bc[0], &low) + trace_reads(bc[1], &low), 0);
}

static void test_bad_chunk_other_copy(void)
{
	uint64_t rec = start[0] + (data_off + CHUNK_SIZE) / BS + 10, low;
	char img[1200];

	snprintf(img, sizeof(img), "%s/tapes/%s.vtape", libdir, bc[0]);
	CHECK_INT(vtape_inject(img, VTAPE_FAULT_FLIP, rec, 77), 0);
	truncate(trace, 0);
	CHECK_INT(read_range(CHUNK_SIZE + 1000, 4096, bc[0]), 0);
	CHECK(trace_reads(bc[0], &low) > 0);
	CHECK(trace_reads(bc[1], &low) > 0);
	wait_state(RECALL_PARTIAL);
	CHECK_INT(recall_cached_bytes(fs.recall, id),
		  SIZE - CHUNK_SIZE); /* chunks 1 and 2 */
}

static void test_release_and_request(void)
{
	char name[64];

	CHECK_INT(recall_drop(fs.recall, id), 0);
	CHECK_INT(recall_state(fs.recall, id), RECALL_OFFLINE);
	CHECK_INT(recall_cached_bytes(fs.recall, id), 0);
	snprintf(name, sizeof(name), "cache/tapefs-cache/m%lld", (long long)id);
	CHECK_INT(access(name, F_OK), -1);
	CHECK_INT(recall_request(fs.recall, id, bc[1], 0), 0);
	wait_state(RECALL_CACHED);
	CHECK_INT(recall_state(fs.recall, id), RECALL_CACHED);
	CHECK_INT(recall_cached_bytes(fs.recall, id), SIZE);
	CHECK_INT(read_range(0, SIZE, NULL), 0);
}

int main(void)
{
	char top[1024];
	int ret;

	if (!getcwd(top, sizeof(top)))
		return 1;
	snprintf(libdir, sizeof(libdir), "%s/lib", top);
	snprintf(cachedir, sizeof(cachedir), "%s/cache", top);
	snprintf(trace, sizeof(trace), "%s/trace", top);
	setenv("TAPEFS_VTAPE_TRACE", trace, 1);
	fs.cfg.cache = cachedir;
	pthread_mutex_init(&fs.errors.lock, NULL);
	fs.cat = fx_catalog("catalog.db");
	if (!fs.cat)
		return check_done();
	ret = setup();
	CHECK_INT(ret, 0);
	if (!ret)
		ret = engine_start();
	CHECK_INT(ret, 0);
	if (!ret) {
		RUN(test_last_chunk);
		RUN(test_restart_keeps_chunks);
		RUN(test_bad_chunk_other_copy);
		RUN(test_release_and_request);
	}
	recall_stop(&fs);
	sched_stop(fs.sched);
	if (chg)
		changer_close(chg);
	catalog_close(fs.cat);
	free(want);
	return check_done();
}
