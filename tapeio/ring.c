/* tapeio/ring.c - a bounded ring with one producer and several consumers
 * (tapeio/ring.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/ring.h"

void ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->can_put, NULL);
	pthread_cond_init(&r->can_get, NULL);
}

void ring_destroy(struct ring *r)
{
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->can_put);
	pthread_cond_destroy(&r->can_get);
}

int ring_alloc(struct ring *r, size_t nslots, size_t slot_size,
	       size_t meta_size, int ncons)
{
	size_t i;
	int c;

	if (ncons < 1 || ncons > RING_MAX_CONSUMERS || nslots == 0)
		return -EINVAL;
	r->slots = calloc(nslots, sizeof(*r->slots));
	if (!r->slots)
		return -ENOMEM;
	r->nslots = nslots;
	for (i = 0; i < nslots; i++) {
		void *buf;

		if (posix_memalign(&buf, RING_ALIGN, slot_size ? slot_size : 1))
			return -ENOMEM; /* ring_free() frees the rest */
		r->slots[i].buf = buf;
		if (meta_size && !(r->slots[i].meta = calloc(1, meta_size)))
			return -ENOMEM;
	}
	pthread_mutex_lock(&r->lock);
	r->ncons = ncons;
	for (c = 0; c < ncons; c++)
		r->live[c] = 1;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

void ring_free(struct ring *r)
{
	size_t i;

	if (!r->slots)
		return;
	for (i = 0; i < r->nslots; i++) {
		free(r->slots[i].buf);
		free(r->slots[i].meta);
	}
	free(r->slots);
	r->slots = NULL;
}

int ring_nlive(struct ring *r)
{
	int c, n = 0;

	pthread_mutex_lock(&r->lock);
	for (c = 0; c < r->ncons; c++)
		n += r->live[c];
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* Lowest tail of the live consumers; head when none is live. Lock held. */
static uint64_t ring_min_tail(const struct ring *r, int *nlive)
{
	uint64_t min = r->head;
	int c;

	*nlive = 0;
	for (c = 0; c < r->ncons; c++) {
		if (!r->live[c])
			continue;
		(*nlive)++;
		if (r->tail[c] < min)
			min = r->tail[c];
	}
	return min;
}

struct ring_slot *ring_put_begin(struct ring *r)
{
	struct ring_slot *s = NULL;
	int nlive;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		uint64_t min = ring_min_tail(r, &nlive);

		if (r->stop || nlive == 0)
			break;
		if (r->head - min < r->nslots) {
			s = &r->slots[r->head % r->nslots];
			break;
		}
		pthread_cond_wait(&r->can_put, &r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return s;
}

void ring_put_end(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->head++;
	pthread_cond_broadcast(&r->can_get);
	pthread_mutex_unlock(&r->lock);
}

void ring_finish(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->eof = 1;
	pthread_cond_broadcast(&r->can_get);
	pthread_mutex_unlock(&r->lock);
}

void ring_stop(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_cond_broadcast(&r->can_get);
	pthread_cond_broadcast(&r->can_put);
	pthread_mutex_unlock(&r->lock);
}

struct ring_slot *ring_get(struct ring *r, int c, int *stopped)
{
	struct ring_slot *s = NULL;

	pthread_mutex_lock(&r->lock);
	while (!r->stop && r->tail[c] == r->head && !r->eof)
		pthread_cond_wait(&r->can_get, &r->lock);
	*stopped = r->stop;
	if (!r->stop && r->tail[c] < r->head)
		s = &r->slots[r->tail[c] % r->nslots];
	pthread_mutex_unlock(&r->lock);
	return s;
}

void ring_get_done(struct ring *r, int c)
{
	pthread_mutex_lock(&r->lock);
	r->tail[c]++;
	pthread_cond_broadcast(&r->can_put);
	pthread_mutex_unlock(&r->lock);
}

void ring_drop(struct ring *r, int c)
{
	pthread_mutex_lock(&r->lock);
	r->live[c] = 0;
	pthread_cond_broadcast(&r->can_put);
	pthread_mutex_unlock(&r->lock);
}
