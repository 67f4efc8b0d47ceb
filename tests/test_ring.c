/* tests/test_ring.c - the ring of the tar writer and the tape copy
 * (tapeio/ring.h): every consumer sees every slot, in order, whatever the
 * ring's size and the consumers' speeds; a consumer that leaves holds
 * nobody up; a stop ends every wait; slot buffers are page-aligned.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/ring.h"
#include "tests/check.h"

#define NSLOT_MAX 64

struct con {
	struct ring *r;
	int c;
	uint64_t leave_at;  /* ring_drop() after this many slots; 0: never */
	unsigned nap_every; /* usleep(50) every this many slots; 0: never */
	uint64_t seen, bad;
	int stopped;
};

static void *con_main(void *arg)
{
	struct con *k = arg;
	struct ring_slot *s;

	while ((s = ring_get(k->r, k->c, &k->stopped))) {
		uint64_t v;

		memcpy(&v, s->buf, sizeof(v));
		if (v != k->seen || s->len != sizeof(v) + v % 100)
			k->bad++;
		k->seen++;
		ring_get_done(k->r, k->c);
		if (k->nap_every && k->seen % k->nap_every == 0)
			usleep(50);
		if (k->leave_at && k->seen == k->leave_at)
			break;
	}
	ring_drop(k->r, k->c);
	return NULL;
}

/* n slots numbered 0.. through a ring of nslots to the consumers of k;
 * the producer naps every nap slots (0: never). The slots it published. */
static uint64_t run(struct con *k, int ncons, size_t nslots, uint64_t n,
		    unsigned nap)
{
	struct ring r;
	pthread_t t[RING_MAX_CONSUMERS];
	struct ring_slot *s;
	uint64_t i;
	int c;

	ring_init(&r);
	CHECK_INT(ring_alloc(&r, nslots, 256, 0, ncons), 0);
	for (c = 0; c < ncons; c++) {
		k[c].r = &r;
		k[c].c = c;
		pthread_create(&t[c], NULL, con_main, &k[c]);
	}
	for (i = 0; i < n && (s = ring_put_begin(&r)); i++) {
		memcpy(s->buf, &i, sizeof(i));
		s->len = sizeof(i) + i % 100;
		ring_put_end(&r);
		if (nap && i % nap == 0)
			usleep(50);
	}
	ring_finish(&r);
	for (c = 0; c < ncons; c++)
		pthread_join(t[c], NULL);
	ring_free(&r);
	ring_destroy(&r);
	return i;
}

/* Every consumer sees every slot in order, on rings of every size from 1
 * slot to 64, with fast and slow producers and consumers. */
static void test_every_slot(void)
{
	static const size_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 31, 64};

	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		for (int mode = 0; mode < 3; mode++) {
			struct con k[3];
			uint64_t n = 1500;

			memset(k, 0, sizeof(k));
			k[1].nap_every =
			    mode == 1 ? 7 : 0; /* one slow reader */
			CHECK_INT(run(k, 3, sizes[z], n, mode == 2 ? 5 : 0), n);
			for (int c = 0; c < 3; c++) {
				CHECK_INT(k[c].seen, n);
				CHECK_INT(k[c].bad, 0);
				CHECK_INT(k[c].stopped, 0);
			}
		}
	}
}

/* A consumer that leaves midway holds the others up no longer; when the
 * last one leaves the producer's next put returns NULL. */
static void test_drop(void)
{
	struct con k[2];

	memset(k, 0, sizeof(k));
	k[0].leave_at = 100;
	k[0].nap_every = 1;
	CHECK_INT(run(k, 2, 8, 5000, 0), 5000);
	CHECK_INT(k[0].seen, 100);
	CHECK_INT(k[1].seen, 5000);
	CHECK_INT(k[1].bad, 0);

	memset(k, 0, sizeof(k));
	k[0].leave_at = 10;
	CHECK(run(k, 1, 4, 5000, 0) < 5000);
	CHECK_INT(k[0].seen, 10);
}

static void *stopper(void *arg)
{
	usleep(20000);
	ring_stop(arg);
	return NULL;
}

/* A producer asleep on a full ring, and a consumer asleep on an empty
 * one, both return at a stop; every later wait returns at once. */
static void test_stop(void)
{
	struct ring r;
	pthread_t t;
	int stopped = 0;

	ring_init(&r);
	CHECK_INT(ring_alloc(&r, 4, 64, 0, 1), 0);
	for (int i = 0; i < 4; i++) {
		CHECK(ring_put_begin(&r) != NULL);
		ring_put_end(&r);
	}
	pthread_create(&t, NULL, stopper, &r);
	CHECK(ring_put_begin(&r) == NULL); /* full: waits for the stop */
	pthread_join(t, NULL);
	CHECK(ring_get(&r, 0, &stopped) == NULL);
	CHECK_INT(stopped, 1);
	ring_free(&r);
	ring_destroy(&r);

	ring_init(&r);
	CHECK_INT(ring_alloc(&r, 16, 64, 0, 1), 0);
	CHECK(ring_put_begin(&r) != NULL);
	ring_put_end(&r); /* one slot, read at once */
	CHECK(ring_get(&r, 0, &stopped) != NULL);
	ring_get_done(&r, 0);
	pthread_create(&t, NULL, stopper, &r);
	CHECK(ring_get(&r, 0, &stopped) == NULL); /* empty: waits */
	CHECK_INT(stopped, 1);
	pthread_join(t, NULL);
	ring_free(&r);
	ring_destroy(&r);
}

/* A few slots in a large ring, then the end: the consumers get them. */
static void test_short_tail(void)
{
	struct con k[2];

	for (uint64_t n = 0; n < 6; n++) {
		memset(k, 0, sizeof(k));
		CHECK_INT(run(k, 2, 64, n, 0), n);
		CHECK_INT(k[0].seen, n);
		CHECK_INT(k[1].seen, n);
	}
}

static void test_align(void)
{
	struct ring r;

	ring_init(&r);
	CHECK_INT(ring_alloc(&r, 5, 256 * 1024 + 512, 16, 2), 0);
	for (size_t i = 0; i < r.nslots; i++)
		CHECK((uintptr_t)r.slots[i].buf % RING_ALIGN == 0);
	ring_free(&r);
	CHECK_INT(ring_alloc(&r, 0, 64, 0, 1), -EINVAL);
	CHECK_INT(ring_alloc(&r, 4, 64, 0, RING_MAX_CONSUMERS + 1), -EINVAL);
	ring_destroy(&r);
}

int main(void)
{
	test_every_slot();
	test_drop();
	test_stop();
	test_short_tail();
	test_align();
	return check_done();
}
