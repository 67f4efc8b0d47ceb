/* tapeio/ring.h - a bounded ring of buffers with one producer and up to
 * RING_MAX_CONSUMERS consumers, each seeing every slot in order (the tar
 * writer's source and tape rings, tapeio/tarw.c).
 *
 * A slot is reused only when every live consumer is past it, so the
 * consumers share one copy of the bytes and the slowest live one paces the
 * producer; a consumer that leaves (ring_drop()) holds nobody up any more.
 * ring_stop() makes every wait return at once, from any thread, at any
 * time between ring_init() and ring_destroy().
 *
 * A wait ends at the first slot (or room for one): the hand-offs are not
 * batched. Batching them (a sleeper woken only when a quarter of the ring
 * is ready) saves context switches but not measurable CPU, and on a busy
 * machine it made a two-copy write take 1.5 to 2 times as long: the threads
 * of a pipeline that sleep longer get less of the CPU.
 *
 * Slot buffers are page-aligned (RING_ALIGN), so that a drive can move
 * them without a copy (the st driver's direct I/O, vtape's O_DIRECT).
 *
 * Lifetime: ring_init() makes the lock and the condition variables, which
 * live as long as the ring's owner (so that a stop can always reach it);
 * ring_alloc() makes the slots for one run, ring_free() frees them.
 * Consumers are numbered 0 .. ncons - 1.
 */
#ifndef TAPEFS_RING_H
#define TAPEFS_RING_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define RING_MAX_CONSUMERS 8
#define RING_ALIGN	   4096 /* alignment of every slot's buf */

/* The producer fills buf (slot_size bytes) and says how much in len; meta
 * (meta_size bytes, NULL when 0) is room for its description of those
 * bytes, nmeta its count of entries there. Consumers only read a slot. */
struct ring_slot {
	char *buf;
	size_t len;
	void *meta;
	size_t nmeta;
};

struct ring {
	pthread_mutex_t lock; /* guards head, tail, live, eof, stop */
	pthread_cond_t can_put, can_get;
	struct ring_slot *slots;
	size_t nslots;
	uint64_t head; /* slots published so far */
	uint64_t
	    tail[RING_MAX_CONSUMERS]; /* slots each consumer is done with */
	int live[RING_MAX_CONSUMERS]; /* consumer still reading */
	int ncons;
	int eof;  /* producer published its last slot */
	int stop; /* abort: every wait returns at once */
};

void ring_init(struct ring *r);
void ring_destroy(struct ring *r);

/* nslots (> 0) slots of slot_size bytes and meta_size bytes of meta each,
 * for ncons (1 to RING_MAX_CONSUMERS) live consumers: 0, -EINVAL, or
 * -ENOMEM (then ring_free() frees what was made). */
int ring_alloc(struct ring *r, size_t nslots, size_t slot_size,
	       size_t meta_size, int ncons);
void ring_free(struct ring *r);

/* The producer: the next free slot, waiting for room (NULL when stopped
 * or when no consumer is left); ring_put_end() publishes it;
 * ring_finish() says no slot follows. */
struct ring_slot *ring_put_begin(struct ring *r);
void ring_put_end(struct ring *r);
void ring_finish(struct ring *r);

/* Consumer c: its next slot, waiting for one; NULL at the end (*stopped =
 * 0) or on stop (*stopped = 1). The slot stays valid until ring_get_done()
 * says c is past it. ring_drop(): c leaves, the producer no longer waits
 * for it. */
struct ring_slot *ring_get(struct ring *r, int c, int *stopped);
void ring_get_done(struct ring *r, int c);
void ring_drop(struct ring *r, int c);

/* Abort: every wait returns at once, now and from now on. */
void ring_stop(struct ring *r);

/* How many consumers are still live. */
int ring_nlive(struct ring *r);

#endif
