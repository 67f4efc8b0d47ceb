/* fs/engine/dump_plan.c - the plan of a dump (dump.h, step 3): a tape for
 * each copy (the journal of step 2 is dump_journal.c's).
 *
 * Copy i goes to a tape of pool cfg.pools[i]: the one the cut planned
 * (dump_fill.c), else an open tape of the pool with room for the archive,
 * else a scratch tape; never a tape another copy of the archive holds, one
 * that already failed one of its copies, or one the dump filled already.
 * When the pool has none, the library is asked for new cartridges first. A
 * chosen tape is reserved in the scheduler until the dump is done with it, so
 * the operator's close and export can ask sched_tape_reserved() whether it is
 * being written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

#define DUMP_WAIT_S	  2 /* how often a dump waiting for a tape looks again */
#define DUMP_BUSY_POLL_MS 100	/* a tape a copy holds: looked at again */
#define DUMP_BUSY_WAITS	  36000 /* ... for at most an hour */

/* The reason pool has no writable tape, in why; "" when it has one.
 * waited: the engine already waits (the library was asked then). */
static void pool_ready(struct dump *d, const char *pool, int waited, char *why,
		       size_t len)
{
	struct catalog_tape t;
	int ret;

	ret = dump_tape_pick(d, pool, 1, NULL, 0, &t);
	if (ret == -ENOSPC && !waited) {
		/* new cartridges? Asked once per wait: a real library's
		 * inventory is slow; `inventory` asks again */
		library_import(d->fs);
		ret = dump_tape_pick(d, pool, 1, NULL, 0, &t);
	}
	if (ret == -ENOSPC)
		snprintf(why, len,
			 "waiting for a scratch tape in pool %s (its tapes are "
			 "all closed, retired or full)",
			 pool);
}

int dump_tapes_ready(struct dump *d)
{
	const struct tapefs_config *c = &d->fs->cfg;
	char why[256] = "";
	int waited;

	pthread_mutex_lock(&d->mu);
	waited = d->waiting[0] != 0;
	pthread_mutex_unlock(&d->mu);
	for (int i = 0; i < c->copies && !why[0]; i++)
		pool_ready(d, c->pools[i], waited, why, sizeof(why));
	pthread_mutex_lock(&d->mu);
	if (why[0] && strcmp(why, d->waiting))
		tapefs_error(d->fs, "dump: %s", why);
	snprintf(d->waiting, sizeof(d->waiting), "%s", why);
	if (why[0])
		d->wait_until = time(NULL) + DUMP_WAIT_S;
	pthread_mutex_unlock(&d->mu);
	return !why[0];
}

uint64_t dump_archive_estimate(const struct dump_snap *s, uint32_t bs)
{
	struct tarw_bound b;
	size_t *first = NULL;

	memset(&b, 0, sizeof(b));
	/* without memory, every hard link counts with its data: more */
	if (tarw_links_of(s->n ? &s->e[0].st : NULL, s->n, sizeof(s->e[0]),
			  &first) < 0)
		first = NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!s->e[i].dropped)
			dump_bound_linked(&b, s, first, i);
	free(first);
	return tarw_bound_total(&b, bs);
}

/* The tapes c may not take: those that failed a copy of a, those the
 * other copies hold, those the dump filled already. Returns how many (at
 * most DUMP_EXCLUDE_MAX). */
static size_t copy_excluded(const struct dump_archive *a,
			    const struct dump_copy *c,
			    const char *ex[DUMP_EXCLUDE_MAX])
{
	size_t n = 0;

	for (size_t i = 0; i < a->nbad; i++)
		ex[n++] = a->bad[i];
	for (int k = 0; k < a->ncopies && n < DUMP_EXCLUDE_MAX; k++)
		if (&a->copy[k] != c && a->copy[k].state != DUMP_COPY_NO_TAPE)
			ex[n++] = a->copy[k].tape.barcode;
	for (size_t i = 0; a->plan && i < a->plan->ndone; i++)
		if (n < DUMP_EXCLUDE_MAX)
			ex[n++] = a->plan->done[i];
	return n;
}

/* The tape the cut planned for c, while it did not fail a copy of a and
 * may still be written with a->need bytes. 1 when c->tape is it. */
static int copy_planned(struct dump *d, struct dump_archive *a,
			struct dump_copy *c)
{
	const char *bc = a->plan ? a->plan->tape[c->idx] : "";

	if (!bc[0])
		return 0;
	for (size_t i = 0; i < a->nbad; i++)
		if (!strcmp(a->bad[i], bc))
			return 0;
	if (catalog_tape_get(d->fs->cat, bc, &c->tape) < 0)
		return 0;
	return (c->tape.state == CATALOG_TAPE_OPEN ||
		c->tape.state == CATALOG_TAPE_SCRATCH) &&
	       dump_tape_room(&c->tape) >= a->need;
}

/* The tape for c: the planned one, else the fill's choice. 0 or -errno,
 * recorded unless the last busy tapes of a->bad are only held by a copy
 * for now (then -ENOSPC says "wait for them"). */
static int copy_tape_find(struct dump *d, struct dump_archive *a,
			  struct dump_copy *c, size_t busy)
{
	const char *ex[DUMP_EXCLUDE_MAX];
	size_t n;
	int ret;

	if (copy_planned(d, a, c))
		return 0;
	if (a->plan && a->plan->pinned) {
		if (busy)
			return -ENOSPC;
		if (c->gone)
			dump_error_set(d,
				       "copy %d: tape %s, named for this dump, "
				       "is not in the library: the dump stops "
				       "there",
				       c->idx + 1, a->plan->tape[c->idx]);
		else
			dump_error_set(d,
				       "copy %d: tape %s, named for this dump, "
				       "cannot take it (%llu bytes): the dump "
				       "stops there",
				       c->idx + 1, a->plan->tape[c->idx],
				       (unsigned long long)a->need);
		return -ENOSPC;
	}
	n = copy_excluded(a, c, ex);
	ret = dump_tape_pick(d, c->pool, a->need, ex, n, &c->tape);
	if (ret == -ENOSPC && !busy) {
		/* New cartridges in the library? */
		library_import(d->fs);
		ret = dump_tape_pick(d, c->pool, a->need, ex, n, &c->tape);
	}
	if (ret < 0 && !(ret == -ENOSPC && busy))
		dump_error_set(
		    d, "copy %d: no tape with %llu bytes free in pool %s: %s",
		    c->idx + 1, (unsigned long long)a->need, c->pool,
		    strerror(-ret));
	return ret;
}

/* While c waits for the tapes of a->bad[from..] that copies hold, `.dump`
 * and `.status` say so (waiting:, dump_waiting:); on 0, no more. */
static void busy_note(struct dump *d, const struct dump_archive *a,
		      const struct dump_copy *c, size_t from, int on)
{
	pthread_mutex_lock(&d->mu);
	if (on)
		snprintf(d->waiting, sizeof(d->waiting),
			 "copy %d: the tapes of pool %s with room (%s%s) are "
			 "held by a tape-to-tape copy",
			 c->idx + 1, c->pool, a->bad[from],
			 a->nbad - from > 1 ? ", ..." : "");
	else
		d->waiting[0] = '\0';
	pthread_mutex_unlock(&d->mu);
}

/* The tape for c, reserved ("is this tape being written?" - the scheduler
 * answers it for the operator's close and export). A tape a tape-to-tape
 * copy holds alone (sched_tape_reserve_excl()) is left out while another
 * tape can take the archive, else waited for: a copy holds it for one
 * archive. */
static int copy_tape_take(struct dump *d, struct dump_archive *a,
			  struct dump_copy *c)
{
	size_t nbad = a->nbad;
	int ret, waits = 0;

	for (;;) {
		ret = copy_tape_find(d, a, c, a->nbad - nbad);
		if (ret == 0) {
			ret = sched_tape_reserve(d->fs->sched, c->tape.barcode);
			if (ret == -EBUSY && a->nbad < DUMP_EXCLUDE_MAX) {
				snprintf(a->bad[a->nbad++], sizeof(a->bad[0]),
					 "%s", c->tape.barcode);
				continue;
			}
		} else if (ret == -ENOSPC && a->nbad > nbad) {
			if (!waits)
				busy_note(d, a, c, nbad, 1);
			a->nbad = nbad; /* the busy tapes again */
			ret = dump_stopping(d);
			if (!ret && waits++ < DUMP_BUSY_WAITS) {
				usleep(DUMP_BUSY_POLL_MS * 1000);
				continue;
			}
			if (!ret)
				ret = -EBUSY;
			dump_error_set(d,
				       "copy %d: the tapes of pool %s are "
				       "held by copies: %s",
				       c->idx + 1, c->pool, strerror(-ret));
		}
		if (waits)
			busy_note(d, a, c, nbad, 0);
		a->nbad = nbad;
		return ret;
	}
}

int dump_copy_choose(struct dump *d, struct dump_archive *a,
		     struct dump_copy *c)
{
	int ret;

	ret = copy_tape_take(d, a, c);
	if (ret < 0)
		return ret;
	c->fileno = c->tape.last_file + 1;
	c->state = DUMP_COPY_TAPE;
	return 0;
}

void dump_copy_drop_tape(struct dump *d, struct dump_archive *a,
			 struct dump_copy *c)
{
	if (a->nbad < DUMP_EXCLUDE_MAX)
		snprintf(a->bad[a->nbad++], sizeof(a->bad[0]), "%s",
			 c->tape.barcode);
	sched_tape_release(d->fs->sched, c->tape.barcode);
	c->state = DUMP_COPY_NO_TAPE;
}

void dump_copies_release(struct dump *d, struct dump_archive *a)
{
	for (int i = 0; i < a->ncopies; i++) {
		struct dump_copy *c = &a->copy[i];

		if (c->state == DUMP_COPY_NO_TAPE)
			continue;
		sched_tape_release(d->fs->sched, c->tape.barcode);
		c->state = DUMP_COPY_NO_TAPE;
	}
}

void dump_tapes_note(struct dump *d, const struct dump_archive *a)
{
	char buf[256];
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < a->ncopies && n < sizeof(buf); i++) {
		const struct dump_copy *c = &a->copy[i];

		if (c->tape.barcode[0])
			n += (size_t)snprintf(
			    buf + n, sizeof(buf) - n, "%s%s:%lld", n ? "," : "",
			    c->tape.barcode, (long long)c->fileno);
	}
	pthread_mutex_lock(&d->mu);
	snprintf(d->cur_tapes, sizeof(d->cur_tapes), "%s", buf);
	pthread_mutex_unlock(&d->mu);
}
