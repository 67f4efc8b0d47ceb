/* tapeio/tcopy.c - one tape file copied to another tape through a ring,
 * hashed on the way (tapeio/tcopy.h).
 *
 * Three threads share one ring: the caller reads the source (producer),
 * consumer 0 writes the destination, consumer 1 feeds the tar reader
 * through a tape handle that reads from the ring instead of a drive
 * (ring_tape_ops: read only; the tar reader asks nothing else of a tape
 * it walks). The first failure wins and stops the ring, which makes every
 * wait of the others return.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/ring.h"
#include "tapeio/tarr.h"
#include "tapeio/tcopy.h"

#define POLL_RECORDS 8 /* records between two polls */

struct tcopy {
	const struct tcopy_opts *o;
	struct tape *src, *dst;
	uint32_t bs;
	struct ring ring;

	pthread_mutex_t mu; /* guards side, err; a leaf */
	enum tcopy_side side;
	int err;

	uint64_t records, bytes; /* written: the writer's alone */
	uint64_t members;	 /* walked: the checker's alone */
};

/* Record the first failure and stop every thread. */
static void fail(struct tcopy *c, enum tcopy_side side, int err)
{
	pthread_mutex_lock(&c->mu);
	if (c->side == TCOPY_DONE) {
		c->side = side;
		c->err = err;
	}
	pthread_mutex_unlock(&c->mu);
	ring_stop(&c->ring);
}

/* ---- the writer: consumer 0 ------------------------------------------- */

static int write_one(struct tcopy *c, const struct ring_slot *s)
{
	struct tape_status st;
	ssize_t n = tape_write(c->dst, s->buf, s->len);

	if (n < 0)
		return (int)n;
	if ((size_t)n != s->len)
		return -EIO;
	c->records++;
	c->bytes += s->len;
	/* early warning: the copy is abandoned, as the tar writer does */
	if (tape_status(c->dst, &st) == 0 && st.eot)
		return -ENOSPC;
	return 0;
}

static void *writer_main(void *arg)
{
	struct tcopy *c = arg;
	struct ring_slot *s;
	int stopped, ret;

	while ((s = ring_get(&c->ring, 0, &stopped))) {
		ret = write_one(c, s);
		ring_get_done(&c->ring, 0);
		if (ret < 0) {
			fail(c, TCOPY_DEST, ret);
			break;
		}
	}
	ring_drop(&c->ring, 0);
	return NULL;
}

/* ---- the checker: consumer 1, as a tape --------------------------------- */

static ssize_t ring_tape_read(struct tape *t, void *buf, size_t len)
{
	struct tcopy *c = t->priv;
	struct ring_slot *s;
	int stopped;
	size_t n;

	s = ring_get(&c->ring, 1, &stopped);
	if (!s)
		return stopped ? -EIO : 0; /* stopped, or the filemark */
	n = s->len;
	if (n <= len)
		memcpy(buf, s->buf, n);
	ring_get_done(&c->ring, 1);
	return n <= len ? (ssize_t)n : -ENOMEM;
}

static const struct tape_ops ring_tape_ops = {
    .name = "tcopy-ring",
    .read = ring_tape_read,
};

/* Walk the archive: every member hashed, then given to member(). */
static int walk(struct tcopy *c, struct tarr *r)
{
	struct tar_member m;
	int ret;

	memset(&m, 0, sizeof(m));
	for (;;) {
		tar_member_clear(&m);
		ret = tarr_next(r, &m);
		if (ret <= 0)
			break;
		if (m.type == TAR_FILE) {
			ret = tarr_data(r, &m, NULL, NULL);
			if (ret < 0)
				break;
		}
		c->members++;
		ret = c->o->member ? c->o->member(c->o->arg, &m) : 0;
		if (ret)
			break;
	}
	tar_member_clear(&m);
	return ret;
}

static void *checker_main(void *arg)
{
	struct tcopy *c = arg;
	struct tape t = {.ops = &ring_tape_ops, .priv = c, .mode = TAPE_RDONLY};
	struct tarr *r = NULL;
	int ret;

	ret = tarr_open(&r, &t, c->bs);
	if (ret == 0)
		ret = walk(c, r);
	if (ret)
		fail(c, TCOPY_CHECK, ret);
	tarr_free(r);
	ring_drop(&c->ring, 1);
	return NULL;
}

/* ---- the reader: the caller's thread ----------------------------------- */

static void read_all(struct tcopy *c)
{
	const struct tcopy_opts *o = c->o;
	struct ring_slot *s;
	uint64_t bytes = 0, n = 0;
	ssize_t got;

	while ((s = ring_put_begin(&c->ring))) {
		if (o->poll && n++ % POLL_RECORDS == 0 &&
		    o->poll(o->arg, bytes)) {
			fail(c, TCOPY_CANCELLED, -ECANCELED);
			return;
		}
		got = tape_read(c->src, s->buf, c->bs);
		if (got == 0)
			break; /* the filemark */
		if (got < 0) {
			fail(c, TCOPY_SOURCE, (int)got);
			return;
		}
		s->len = (size_t)got;
		bytes += (uint64_t)got;
		ring_put_end(&c->ring);
	}
	ring_finish(&c->ring);
}

static int tcopy_setup(struct tcopy *c, struct tape *src, struct tape *dst,
		       const struct tcopy_opts *o)
{
	size_t buf = o->buffer_bytes ? o->buffer_bytes : TCOPY_BUFFER;
	size_t nslots;

	memset(c, 0, sizeof(*c));
	c->o = o;
	c->src = src;
	c->dst = dst;
	c->bs = o->block_size ? o->block_size : 256 * 1024;
	nslots = buf / c->bs < 4 ? 4 : buf / c->bs;
	pthread_mutex_init(&c->mu, NULL);
	ring_init(&c->ring);
	return ring_alloc(&c->ring, nslots, c->bs, 0, 2);
}

int tcopy_run(struct tape *src, struct tape *dst, const struct tcopy_opts *o,
	      struct tcopy_result *out)
{
	struct tcopy c;
	pthread_t wt, ct;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!src || !dst || !o || o->block_size % 512)
		return -EINVAL;
	ret = tcopy_setup(&c, src, dst, o);
	if (ret < 0)
		goto out_free;
	ret = -pthread_create(&wt, NULL, writer_main, &c);
	if (ret < 0)
		goto out_free;
	ret = -pthread_create(&ct, NULL, checker_main, &c);
	if (ret < 0) {
		ring_stop(&c.ring);
		pthread_join(wt, NULL);
		goto out_free;
	}
	read_all(&c);
	pthread_join(wt, NULL);
	pthread_join(ct, NULL);
	if (c.side == TCOPY_DONE) {
		ret = tape_weof(dst, 1);
		if (ret < 0)
			fail(&c, TCOPY_DEST, ret);
	}
	out->side = c.side;
	out->records = c.records;
	out->bytes = c.bytes;
	out->members = c.members;
	ret = c.side == TCOPY_DONE ? 0 : c.err;
out_free:
	ring_free(&c.ring);
	ring_destroy(&c.ring);
	pthread_mutex_destroy(&c.mu);
	return ret;
}
