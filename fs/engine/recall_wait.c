/* fs/engine/recall_wait.c - reads of archived members, answered when their
 * bytes are in the cache. A read whose bytes are there is answered at once
 * on the caller's thread; any other read is parked here, holding no thread,
 * and the engine's replier thread answers it when a job has put its bytes
 * in the cache (or its recall failed). The mount's request threads are
 * therefore never held by a tape: a thousand waiting readers cost a
 * thousand small records, not a thousand threads.
 *
 * Each parked read has a token; until the caller arms it (recall_read_arm)
 * it is never answered, so that the caller can register what answers an
 * interrupt first; recall_read_cancel() takes a read back (a reader that
 * was killed). Whoever takes a read off the list answers it: the replier,
 * or the caller of recall_read_cancel(). That hand-over under the engine's
 * lock is what makes every read answered exactly once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/engine/recall_int.h"

/* May [off, end) of h be served now? 1 yes, 0 wait, -errno fail. Lock
 * held. Marks h when it is served unchecked bytes (seen_gen). */
int recall_range_ready(struct recall_handle *h, uint64_t off, uint64_t end)
{
	struct rentry *e = h->e;

	if (h->seen_gen && h->seen_gen != e->gen)
		return -EIO; /* served bytes of a copy that proved bad */
	if (e->st == E_CACHED || e->size == 0)
		return 1;
	if (recall_chunks_cover(e, off, end))
		return 1;
	if (h->r->stopping)
		return -ESHUTDOWN;
	if (e->st == E_IDLE && e->err)
		return e->err;
	/* Unchecked bytes: only of a large member read whole, never its
	 * last byte. */
	if (e->st == E_READING && !e->nchunks && e->size > RECALL_STREAM_MIN &&
	    end <= e->present && end < e->size) {
		h->seen_gen = e->gen;
		return 1;
	}
	return 0;
}

/* The descriptor to read h's bytes from: h's own, opened at its first
 * read; or, when the cache file was made anew since (a release, another
 * attempt), one opened for this read alone, returned in *tmp too (the
 * caller closes it). Its file may be unlinked once the lock is released:
 * the descriptor still reads the bytes that were checked. Lock held.
 * -errno when the file cannot be opened. */
static int read_fd(struct recall_handle *h, int *tmp)
{
	struct rentry *e = h->e;
	char name[64];
	int fd;

	*tmp = -1;
	if (h->fd >= 0 && h->fd_gen == e->gen)
		return h->fd;
	recall_cache_name(e->id, e->st == E_READING && !e->nchunks, name,
			  sizeof(name));
	fd = openat(h->r->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (h->fd < 0) {
		h->fd = fd;
		h->fd_gen = e->gen;
	} else {
		*tmp = fd; /* h->fd may be in use by another read: keep it */
	}
	return fd;
}

/* Read [off, end) from fd and answer with it. Called without the lock. */
static void reply_bytes(int fd, uint64_t off, uint64_t end, recall_reply_fn fn,
			void *arg)
{
	size_t len = (size_t)(end - off), done = 0;
	char *buf = malloc(len ? len : 1);

	if (!buf) {
		fn(arg, NULL, -ENOMEM);
		return;
	}
	while (done < len) {
		ssize_t n =
		    pread(fd, buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			fn(arg, NULL, n < 0 ? -errno : -EIO);
			return;
		}
		done += (size_t)n;
	}
	fn(arg, buf, (ssize_t)len);
	free(buf);
}

/* ---- parked reads ---------------------------------------------------------
 */

static void wait_link(struct recall *r, struct rwait *w)
{
	w->prev = NULL;
	w->next = r->waiters;
	if (r->waiters)
		r->waiters->prev = w;
	r->waiters = w;
	r->nwaiters++;
	w->h->e->nwait++;
}

static void wait_unlink(struct recall *r, struct rwait *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		r->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	r->nwaiters--;
	w->h->e->nwait--;
}

static struct rwait *wait_find(struct recall *r, uint64_t token)
{
	struct rwait *w;

	for (w = r->waiters; w && w->token != token; w = w->next)
		;
	return w;
}

void recall_wake(struct recall *r)
{
	r->wake = 1;
	pthread_cond_signal(&r->wake_cond);
}

int recall_read_submit(struct recall_handle *h, size_t size, off_t off,
		       recall_reply_fn fn, void *arg, uint64_t *token)
{
	struct recall *r = h->r;
	struct rentry *e = h->e;
	struct rwait *w;
	uint64_t end;
	int ret, fd, tmp = -1;

	if (off < 0 || (uint64_t)off >= e->size || !size) {
		fn(arg, "", off < 0 ? -EINVAL : 0);
		return 0;
	}
	end = (uint64_t)off + size < e->size ? (uint64_t)off + size : e->size;
	w = calloc(1, sizeof(*w));
	pthread_mutex_lock(&r->lock);
	ret = recall_range_ready(h, (uint64_t)off, end);
	if (!ret && !w)
		ret = -ENOMEM;
	if (!ret)
		ret = recall_want(r, e, h->prefer[0] ? h->prefer : NULL,
				  (uint64_t)off, end);
	if (!ret) {
		*w = (struct rwait){.token = ++r->next_token,
				    .h = h,
				    .off = (uint64_t)off,
				    .end = end,
				    .fn = fn,
				    .arg = arg};
		wait_link(r, w);
		*token = w->token;
		pthread_mutex_unlock(&r->lock);
		return 1;
	}
	fd = ret > 0 ? read_fd(h, &tmp) : ret;
	pthread_mutex_unlock(&r->lock);
	free(w);
	if (fd < 0)
		fn(arg, NULL, fd);
	else
		reply_bytes(fd, (uint64_t)off, end, fn, arg);
	if (tmp >= 0)
		close(tmp);
	return 0;
}

void recall_read_arm(struct recall *r, uint64_t token)
{
	struct rwait *w;

	pthread_mutex_lock(&r->lock);
	w = wait_find(r, token);
	if (w) {
		w->armed = 1;
		recall_wake(r); /* its bytes may have come meanwhile */
	}
	pthread_mutex_unlock(&r->lock);
}

int recall_read_cancel(struct recall *r, uint64_t token)
{
	struct rwait *w;
	struct rentry *e = NULL;

	pthread_mutex_lock(&r->lock);
	w = wait_find(r, token);
	if (w) {
		e = w->h->e;
		w->h->interrupted = 1;
		wait_unlink(r, w);
		recall_unwanted(r, e);
	}
	pthread_mutex_unlock(&r->lock);
	free(w);
	return w != NULL;
}

/* ---- the replier ----------------------------------------------------------
 */

/* A read taken off the list, with what answers it. */
struct ready {
	struct rwait *w;
	struct recall_handle *h; /* w's, its replying counted */
	int fd, tmp;		 /* fd < 0: the error to answer */
};

/* Take every armed read that can be answered now off the list. Lock
 * held. Returns how many are in *out (grown as needed). */
static size_t take_ready(struct recall *r, struct ready **out, size_t *cap)
{
	struct rwait *w, *next;
	size_t n = 0;

	for (w = r->waiters; w; w = next) {
		int ret;

		next = w->next;
		if (!w->armed)
			continue;
		ret = recall_range_ready(w->h, w->off, w->end);
		if (!ret)
			continue;
		if (n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct ready *nr = realloc(*out, nc * sizeof(*nr));

			if (!nr)
				break; /* the rest at the next wake */
			*out = nr;
			*cap = nc;
		}
		wait_unlink(r, w);
		(*out)[n].w = w;
		(*out)[n].h = w->h;
		w->h->replying++;
		(*out)[n].tmp = -1;
		(*out)[n].fd = ret > 0 ? read_fd(w->h, &(*out)[n].tmp) : ret;
		n++;
	}
	if (n)
		pthread_cond_broadcast(&r->cond); /* recall_stop() waits */
	return n;
}

static void *replier_main(void *arg)
{
	struct recall *r = arg;
	struct ready *rd = NULL;
	size_t cap = 0, n;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->wake && !r->replier_stop)
			pthread_cond_wait(&r->wake_cond, &r->lock);
		if (r->replier_stop && !r->wake)
			break;
		r->wake = 0;
		n = take_ready(r, &rd, &cap);
		pthread_mutex_unlock(&r->lock);
		for (size_t i = 0; i < n; i++) {
			struct rwait *w = rd[i].w;

			if (rd[i].fd < 0)
				w->fn(w->arg, NULL, rd[i].fd);
			else
				reply_bytes(rd[i].fd, w->off, w->end, w->fn,
					    w->arg);
			if (rd[i].tmp >= 0)
				close(rd[i].tmp);
			free(w);
		}
		pthread_mutex_lock(&r->lock);
		for (size_t i = 0; i < n; i++)
			rd[i].h->replying--;
		if (n)
			pthread_cond_broadcast(&r->cond); /* quiesce waits */
	}
	pthread_mutex_unlock(&r->lock);
	free(rd);
	return NULL;
}

void recall_handle_quiesce(struct recall *r, struct recall_handle *h)
{
	struct rwait *w, *next, *gone = NULL;

	for (w = r->waiters; w; w = next) {
		next = w->next;
		if (w->h != h)
			continue;
		wait_unlink(r, w);
		w->next = gone;
		gone = w;
	}
	if (gone)
		pthread_cond_broadcast(&r->cond); /* recall_stop() waits */
	while (h->replying)
		pthread_cond_wait(&r->cond, &r->lock);
	if (!gone)
		return;
	pthread_mutex_unlock(&r->lock);
	for (w = gone; w; w = next) {
		next = w->next;
		w->fn(w->arg, NULL, -ESHUTDOWN);
		free(w);
	}
	pthread_mutex_lock(&r->lock);
}

int recall_replier_start(struct recall *r)
{
	int ret = pthread_create(&r->replier, NULL, replier_main, r);

	if (ret)
		return -ret;
	r->replier_on = 1;
	return 0;
}

void recall_replier_stop(struct recall *r)
{
	if (!r->replier_on)
		return;
	pthread_mutex_lock(&r->lock);
	r->replier_stop = 1;
	pthread_cond_signal(&r->wake_cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->replier, NULL);
	r->replier_on = 0;
}

/* ---- a blocking read, for callers that have a thread to spare ------------ */

struct sync_read {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void *buf;
	ssize_t n;
	int done;
};

static void sync_reply(void *arg, const void *buf, ssize_t n)
{
	struct sync_read *s = arg;

	if (n > 0)
		memcpy(s->buf, buf, (size_t)n);
	pthread_mutex_lock(&s->mu);
	s->n = n;
	s->done = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

ssize_t recall_read(struct recall_handle *h, void *buf, size_t size, off_t off)
{
	struct sync_read s = {.buf = buf};
	uint64_t token;

	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	if (recall_read_submit(h, size, off, sync_reply, &s, &token) > 0)
		recall_read_arm(h->r, token);
	pthread_mutex_lock(&s.mu);
	while (!s.done)
		pthread_cond_wait(&s.cv, &s.mu);
	pthread_mutex_unlock(&s.mu);
	pthread_cond_destroy(&s.cv);
	pthread_mutex_destroy(&s.mu);
	return s.n;
}
