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
#include "tests/lib_recall.h"

#define BS   (64 * 1024)
#define SIZE (10u << 20)

static const char *bc[2] = {"A00001L9", "B00001L9"};
static struct tapefs fs;
static struct fx_recall rx; /* fs's engine, on lib/ */
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
	int64_t dump;
	int ret;

	if ((ret = fx_lib_setup(rx.lib, &lib)) ||
	    (ret = fx_make_file("big.bin", SIZE, 3)) ||
	    (ret = fx_source(&src, "big.bin")))
		return ret;
	for (int c = 0; c < 2; c++)
		if ((ret = fx_recall_tape(&rx, bc[c], c ? "B" : "A", 64 << 20,
					  &t[c])))
			return ret;
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

static void wait_state(enum recall_state s)
{
	for (int i = 0; i < 500 && recall_state(fs.recall, id) != s; i++)
		usleep(10000);
}

static void test_last_chunk(void)
{
	uint64_t low, rec = start[0] + (data_off + 2ull * CHUNK_SIZE) / BS;

	truncate(rx.trace, 0);
	CHECK_INT(read_range(SIZE - 100000, 100000, bc[0]), 0);
	wait_state(RECALL_PARTIAL);
	CHECK_INT(recall_state(fs.recall, id), RECALL_PARTIAL);
	CHECK_INT(recall_cached_bytes(fs.recall, id), SIZE - 2 * CHUNK_SIZE);
	CHECK_INT(fx_trace_reads(&rx, bc[0], &low),
		  (SIZE - 2 * CHUNK_SIZE) / BS + 1);
	CHECK_INT(low, rec); /* the record holding the chunk's first byte */
	CHECK_INT(fx_trace_reads(&rx, bc[1], &low), 0);
}

static void test_restart_keeps_chunks(void)
{
	uint64_t low;

	recall_stop(&fs);
	CHECK_INT(fx_recall_start(&rx), 0);
	if (!fs.recall)
		return;
	CHECK_INT(recall_state(fs.recall, id), RECALL_PARTIAL);
	CHECK_INT(recall_cached_bytes(fs.recall, id), SIZE - 2 * CHUNK_SIZE);
	truncate(rx.trace, 0);
	CHECK_INT(read_range(SIZE - 5000, 5000, NULL), 0);
	CHECK_INT(fx_trace_reads(&rx, bc[0], &low) +
		      fx_trace_reads(&rx, bc[1], &low),
		  0);
}

static void test_bad_chunk_other_copy(void)
{
	uint64_t rec = start[0] + (data_off + CHUNK_SIZE) / BS + 10, low;
	char img[1200];

	fx_recall_image(&rx, bc[0], img, sizeof(img));
	CHECK_INT(vtape_inject(img, VTAPE_FAULT_FLIP, rec, 77), 0);
	truncate(rx.trace, 0);
	CHECK_INT(read_range(CHUNK_SIZE + 1000, 4096, bc[0]), 0);
	CHECK(fx_trace_reads(&rx, bc[0], &low) > 0);
	CHECK(fx_trace_reads(&rx, bc[1], &low) > 0);
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
	if (!fx_recall_up(&rx, &fs, 2, 1, setup)) {
		RUN(test_last_chunk);
		RUN(test_restart_keeps_chunks);
		RUN(test_bad_chunk_other_copy);
		RUN(test_release_and_request);
	}
	fx_recall_fini(&rx);
	free(want);
	return check_done();
}
