/* tests/test_chunk_digest.c - per-chunk digests (tapeio/chunk.h) and the
 * read of a byte range of a member by locating to its record
 * (tarr_read_extent): chunk counts, XXH3-128 in canonical form against a
 * known answer, the digester fed in odd pieces giving each chunk's digest,
 * and a range of a member written by tarw read back exactly, from the
 * record holding its first byte, with the records read counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/chunk.h"
#include "tapeio/tarr.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static void test_count(void)
{
	CHECK_INT(chunk_count(0, CHUNK_SIZE), 0);
	CHECK_INT(chunk_count(CHUNK_SIZE, CHUNK_SIZE), 0);
	CHECK_INT(chunk_count(CHUNK_SIZE + 1ull, CHUNK_SIZE), 2);
	CHECK_INT(chunk_count(48ull << 20, CHUNK_SIZE), 12);
	CHECK_INT(chunk_count(4ull << 30, CHUNK_SIZE), 1024);
}

/* XXH3-128 of nothing, canonical: the reference implementation's value. */
static void test_known(void)
{
	static const unsigned char empty[CHUNK_DIGEST] = {
	    0x99, 0xaa, 0x06, 0xd3, 0x01, 0x47, 0x98, 0xd8,
	    0x60, 0x01, 0xc3, 0x24, 0x46, 0x8d, 0x49, 0x7f};
	struct chunk_hash h;
	unsigned char d[CHUNK_DIGEST];

	CHECK_INT(chunk_hash_init(&h), 0);
	chunk_hash_final(&h, d);
	CHECK(!memcmp(d, empty, CHUNK_DIGEST));
	chunk_hash_release(&h);
}

static void test_digester(void)
{
	uint64_t size = 2ull * CHUNK_SIZE + 12345;
	unsigned char *data = malloc(size), d[CHUNK_DIGEST];
	struct chunk_digester dg;
	struct chunk_hash h;
	uint64_t at = 0;
	size_t piece = 1;

	if (!data)
		return;
	fx_fill(data, size, 5);
	CHECK_INT(chunk_digester_init(&dg, size, CHUNK_SIZE), 0);
	CHECK_INT(dg.n, 3);
	while (at < size) { /* odd pieces, across chunk boundaries */
		size_t n = size - at < piece ? (size_t)(size - at) : piece;

		CHECK(!chunk_digester_done(&dg));
		chunk_digester_update(&dg, data + at, n);
		at += n;
		piece = piece * 3 + 7;
	}
	CHECK(chunk_digester_done(&dg));
	CHECK_INT(chunk_hash_init(&h), 0);
	for (uint32_t k = 0; k < 3; k++) {
		uint64_t off = (uint64_t)k * CHUNK_SIZE;
		size_t len = k < 2 ? CHUNK_SIZE : 12345;

		chunk_hash_update(&h, data + off, len);
		chunk_hash_final(&h, d);
		CHECK(!memcmp(d, dg.digests + k * CHUNK_DIGEST, CHUNK_DIGEST));
	}
	chunk_hash_release(&h);
	chunk_digester_release(&dg);
	/* a member of one chunk gets none */
	CHECK_INT(chunk_digester_init(&dg, CHUNK_SIZE, CHUNK_SIZE), 0);
	chunk_digester_update(&dg, data, 100);
	CHECK(!chunk_digester_done(&dg) && !dg.digests);
	chunk_digester_release(&dg);
	free(data);
}

struct got {
	unsigned char *buf;
	size_t len, cap, stop_at;
};

static int sink(void *arg, const void *p, size_t n)
{
	struct got *g = arg;

	if (g->len + n > g->cap)
		return -EFBIG;
	memcpy(g->buf + g->len, p, n);
	g->len += n;
	return g->stop_at && g->len >= g->stop_at ? 1 : 0;
}

static void test_extent(void)
{
	const uint32_t bs = 32768;
	size_t size = 1000000;
	struct tarw_opts o = {.block_size = bs};
	unsigned char *want = malloc(size);
	struct got g = {.cap = size};
	struct tape_counters c0, c1;
	struct tarw_source src;
	struct fx_archive a;
	struct tape *t;
	uint64_t data;

	g.buf = malloc(size);
	if (!want || !g.buf || fx_make_file("member.bin", size, 9))
		goto out;
	fx_fill(want, size, 9);
	t = fx_vtape("x.vtape", "X00001", 64 << 20, 0);
	if (!t)
		goto out;
	CHECK_INT(fx_label(t, NULL, "X00001", "A", bs), 0);
	CHECK_INT(fx_source(&src, "member.bin"), 0);
	CHECK_INT(fx_write_archive(&t, 1, &src, 1, &o, &a), 0);
	data = a.members[0].data_offset;
	/* bytes 300000..699999, from the record holding byte 300000 */
	tape_counters(t, &c0);
	CHECK_INT(
	    tarr_read_extent(t, a.start[0], data, bs, 300000, 400000, sink, &g),
	    0);
	tape_counters(t, &c1);
	CHECK_INT(g.len, 400000);
	CHECK(!memcmp(g.buf, want + 300000, 400000));
	CHECK_INT(c1.records_read - c0.records_read,
		  (data + 699999) / bs - (data + 300000) / bs + 1);
	/* the sink stops it early: no error, no more records */
	g.len = 0;
	g.stop_at = 1;
	CHECK_INT(tarr_read_extent(t, a.start[0], data, bs, 0, size, sink, &g),
		  0);
	CHECK(g.len > 0 && g.len <= bs && !memcmp(g.buf, want, g.len));
	/* past the end of the archive: the tape says so */
	g.len = 0;
	g.stop_at = 0;
	g.cap = 64 << 20;
	free(g.buf);
	g.buf = malloc(g.cap);
	CHECK(g.buf && tarr_read_extent(t, a.start[0], data, bs, 0, 32 << 20,
					sink, &g) < 0);
	fx_archive_free(&a);
	tape_close(t);
out:
	free(want);
	free(g.buf);
}

int main(void)
{
	RUN(test_count);
	RUN(test_known);
	RUN(test_digester);
	RUN(test_extent);
	return check_done();
}
