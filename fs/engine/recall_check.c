/* fs/engine/recall_check.c - the MD5 of the members a job reads whole,
 * computed beside the drive instead of on its thread. The job's sink
 * writes each piece into the cache file and hands a copy here; a thread
 * (one of tapeio's pool, for as long as the job runs) hashes the pieces in
 * the order they came and, at the end of each member, compares its MD5
 * with the catalog's and finishes it (recall_serve_done(): published as
 * cached, or the next copy tried), while the drive reads the next
 * members. A member is never served as good before its MD5 matched: it
 * stays E_READING, its last byte unserved, until the checker finishes it.
 * Up to CHECK_SLOTS pieces wait: a drive ahead by more waits for the
 * checker. Without a thread (none could be made) the job hashes and
 * finishes each member itself, as before.
 */
#include <errno.h>
#include <string.h>

#include "fs/engine/recall_int.h"
#include "tapeio/md5.h"

#define CHECK_SLOT  (256u << 10) /* bytes of one piece at most */
#define CHECK_SLOTS 16		 /* pieces waiting at most (4 MiB) */

/* What a slot holds: a piece of the member's data, or its end. */
struct check_meta {
	int end;
	struct rdone d; /* end: the member's read, to finish */
};

/* Hash the member read so far and finish it: d->ret becomes -EBADMSG
 * when its MD5 is not the catalog's (and the digest starts over for the
 * next member). Neither the engine's lock nor the ring's held. */
static void check_finish(struct rcheck *k, struct rdone *d)
{
	char hex[MD5_HEX_SIZE];
	int ret = k->err ? k->err : md5_final(&k->h, hex);

	if (!d->ret && ret)
		d->ret = ret;
	else if (!d->ret && strcmp(hex, d->e->md5) != 0)
		d->ret = -EBADMSG;
	recall_serve_done(k->r, d);
}

static void check_main(void *arg)
{
	struct rcheck *k = arg;
	struct ring_slot *s;
	int stopped;

	while ((s = ring_get(&k->ring, 0, &stopped))) {
		struct check_meta *m = s->meta;
		struct rdone d;

		if (!m->end) {
			md5_update(&k->h, s->buf, s->len);
			ring_get_done(&k->ring, 0);
			continue;
		}
		d = m->d;
		ring_get_done(&k->ring, 0);
		check_finish(k, &d);
	}
	/* the last touch of k: once done is seen, the job may free it */
	pthread_mutex_lock(&k->mu);
	k->done = 1;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->mu);
}

void recall_check_start(struct rcheck *k, struct recall *r)
{
	memset(k, 0, sizeof(*k));
	k->r = r;
	k->err = md5_init(&k->h);
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cond, NULL);
	ring_init(&k->ring);
	if (k->err || ring_alloc(&k->ring, CHECK_SLOTS, CHECK_SLOT,
				 sizeof(struct check_meta), 1)) {
		ring_free(&k->ring);
		return; /* checked inline */
	}
	k->job = (struct ahead_job){.fn = check_main, .arg = k};
	k->on = ahead_run(&k->job) == 0;
	if (!k->on)
		ring_free(&k->ring);
}

void recall_check_data(struct rcheck *k, const void *buf, size_t len)
{
	const char *p = buf;

	if (!k->on) {
		if (!k->err)
			md5_update(&k->h, buf, len);
		return;
	}
	while (len) {
		struct ring_slot *s = ring_put_begin(&k->ring);
		size_t n = len < CHECK_SLOT ? len : CHECK_SLOT;

		if (!s)
			return; /* cannot happen: nobody stops the ring (and
				   a piece missing would fail the MD5) */
		memcpy(s->buf, p, n);
		s->len = n;
		((struct check_meta *)s->meta)->end = 0;
		ring_put_end(&k->ring);
		p += n;
		len -= n;
	}
}

void recall_check_end(struct rcheck *k, const struct rdone *d)
{
	struct ring_slot *s;
	struct check_meta *m;
	struct rdone inl = *d;

	if (!k->on) {
		check_finish(k, &inl);
		return;
	}
	s = ring_put_begin(&k->ring);
	if (!s) { /* cannot happen (above): unchecked, so not served */
		inl.ret = inl.ret ? inl.ret : -EIO;
		recall_serve_done(k->r, &inl);
		return;
	}
	m = s->meta;
	m->end = 1;
	m->d = *d;
	s->len = 0;
	ring_put_end(&k->ring);
}

void recall_check_stop(struct rcheck *k)
{
	if (k->on) {
		ring_finish(&k->ring);
		pthread_mutex_lock(&k->mu);
		while (!k->done)
			pthread_cond_wait(&k->cond, &k->mu);
		pthread_mutex_unlock(&k->mu);
		ring_free(&k->ring);
	}
	ring_destroy(&k->ring);
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->mu);
	md5_release(&k->h);
}
