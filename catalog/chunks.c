/* catalog/chunks.c - per-chunk digests of members: what a byte-range
 * recall checks each chunk against (catalog.h, "chunk digests").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

static const char SQL_CHUNKS_PUT[] =
    "INSERT INTO chunk(member, chunk_size, n, digests) "
    "VALUES(:member, :chunk_size, :n, :digests) "
    "ON CONFLICT(member) DO UPDATE SET chunk_size = excluded.chunk_size, "
    "n = excluded.n, digests = excluded.digests";
static const char SQL_CHUNKS_GET[] =
    "SELECT chunk_size, n, digests FROM chunk WHERE member = :member";
static const char SQL_MEMBER_EXISTS[] =
    "SELECT flags FROM member WHERE id = :member";

static int chunks_check(uint32_t chunk_size, uint32_t n,
			const unsigned char *digests)
{
	return !chunk_size || !n || !digests ? -EINVAL : 0;
}

/* The row of member on connection c (in the caller's transaction). */
static int chunks_write(struct catconn *c, int64_t member, uint32_t chunk_size,
			uint32_t n, const unsigned char *digests)
{
	struct catstmt *st = cat_stmt(c, SQL_MEMBER_EXISTS);
	int rc, flags;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":member", member);
	rc = cat_step(st, "chunks member");
	flags = rc == 1 ? cat_col_int(st, 0) : 0;
	cat_done(st);
	if (rc != 1)
		return rc == 0 ? -ENOENT : rc;
	if (flags & CATALOG_MEMBER_SPARSE)
		return 0; /* its bytes are not found by offset */
	st = cat_stmt(c, SQL_CHUNKS_PUT);
	if (!st)
		return -EIO;
	cat_bind_i64(st, ":member", member);
	cat_bind_i64(st, ":chunk_size", chunk_size);
	cat_bind_i64(st, ":n", n);
	cat_bind_blob(st, ":digests", digests,
		      (size_t)n * CATALOG_CHUNK_DIGEST);
	return cat_exec(c, st, "chunks put");
}

int catalog_chunks_put(struct catalog *cat, int64_t member_id,
		       uint32_t chunk_size, uint32_t n,
		       const unsigned char *digests)
{
	struct catconn *c;
	int ret = chunks_check(chunk_size, n, digests);

	if (ret)
		return ret;
	ret = cat_txn_begin(cat, &c, 0);
	if (ret < 0)
		return ret;
	ret = chunks_write(c, member_id, chunk_size, n, digests);
	return cat_txn_end(cat, c, 0, ret);
}

int catalog_commit_chunks(struct catalog_commit *c, uint32_t chunk_size,
			  uint32_t n, const unsigned char *digests)
{
	int64_t member;
	int ret = chunks_check(chunk_size, n, digests);

	if (!ret)
		ret = cat_commit_last_member(c, &member);
	if (ret)
		return ret;
	return chunks_write(cat_commit_conn(c), member, chunk_size, n, digests);
}

struct chunks_row {
	struct catalog_chunks *out;
	int ret;
};

static void chunks_fill(struct catstmt *st, void *arg)
{
	struct chunks_row *r = arg;
	const void *blob = cat_col_blob(st, 2);
	size_t len = (size_t)cat_col_bytes(st, 2);

	r->out->chunk_size = (uint32_t)cat_col_i64(st, 0);
	r->out->n = (uint32_t)cat_col_i64(st, 1);
	r->out->digests = NULL;
	if (!blob || len != (size_t)r->out->n * CATALOG_CHUNK_DIGEST) {
		r->ret = -EIO; /* a row that does not hold what it says */
		return;
	}
	r->out->digests = malloc(len);
	if (!r->out->digests)
		r->ret = -ENOMEM;
	else
		memcpy(r->out->digests, blob, len);
}

int catalog_chunks_get(struct catalog *cat, int64_t member_id,
		       struct catalog_chunks *out)
{
	struct catalog_chunks tmp = {0};
	struct chunks_row r = {.out = &tmp};
	int ret = cat_read_get(cat, SQL_CHUNKS_GET, ":member", member_id,
			       chunks_fill, &r, "chunks get");

	if (!ret)
		ret = r.ret;
	if (ret) {
		free(tmp.digests);
		return ret;
	}
	*out = tmp;
	return 0;
}

void catalog_chunks_release(struct catalog_chunks *c)
{
	free(c->digests);
	memset(c, 0, sizeof(*c));
}
