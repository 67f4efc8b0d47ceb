/* fs/engine/recall_ahead.c - the cache file of the member a job reads next
 * is made ahead, off the drive's path. Creating a file costs a file system
 * an inode (on some, a search among recently freed ones): for a small
 * member as much as reading it. While the drive reads one member, the
 * engine's maker thread creates m<ID>.part of the next ones in the sweep
 * (a few: a maker that got no CPU for a while catches up) and keeps them
 * open; the job takes that descriptor instead of creating
 * the file itself (recall_job.c), or creates it as before when it is not
 * there yet (then the maker no longer makes it: it never creates a file a
 * job has opened, nor truncates one). A file made for a member that is
 * then read by no job (a cancel, another copy) is an empty .part file:
 * closed and removed when newer ones push it out or the engine stops,
 * unless a job is recalling that member again (its own open of the name
 * found the file), and swept at the next start after a crash like any
 * .part file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/engine/recall_int.h"

#define AHEAD_MAX 8 /* files made and not taken (descriptors held) */

struct rahead_file {
	int64_t id;
	int fd;
};

struct rahead {
	pthread_mutex_t mu;	  /* never held while taking recall.lock */
	pthread_cond_t cond;	  /* want set, or stop */
	pthread_cond_t made_cond; /* a file made (making back to 0) */
	int64_t want[RECALL_AHEAD_WANT]; /* members to make files for, in the
					    order they will be read */
	int nwant;
	int64_t making; /* the one being made now, 0: none */
	struct rahead_file made[AHEAD_MAX];
	int nmade;
	int stop;
	int on;
	pthread_t th;
};

/* Close made file f and remove it unless its member is being recalled
 * (a job opened the same name: the file is its own now). Neither lock
 * held. */
static void ahead_drop(struct recall *r, const struct rahead_file *f)
{
	struct rentry *e;
	char part[64];

	close(f->fd);
	recall_cache_name(f->id, 1, part, sizeof(part));
	pthread_mutex_lock(&r->lock);
	e = recall_entry_find(r, f->id);
	if (r->dirfd >= 0 && (!e || (e->st != E_QUEUED && e->st != E_READING)))
		unlinkat(r->dirfd, part, 0);
	pthread_mutex_unlock(&r->lock);
}

/* Make the file of member id (d->mu held, released meanwhile). */
static void ahead_make(struct recall *r, struct rahead *d, int64_t id)
{
	struct rahead_file old = {0, -1};
	char part[64];
	int fd;

	for (int i = 0; i < d->nmade; i++)
		if (d->made[i].id == id)
			return;
	d->making = id;
	pthread_mutex_unlock(&d->mu);
	recall_cache_name(id, 1, part, sizeof(part));
	/* never over a file a job has opened itself: only a new one */
	fd =
	    openat(r->dirfd, part, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	pthread_mutex_lock(&d->mu);
	d->making = 0;
	pthread_cond_broadcast(&d->made_cond);
	if (fd < 0)
		return;
	if (d->nmade == AHEAD_MAX) {
		old = d->made[0];
		memmove(&d->made[0], &d->made[1],
			(AHEAD_MAX - 1) * sizeof(d->made[0]));
		d->nmade--;
	}
	d->made[d->nmade++] = (struct rahead_file){id, fd};
	if (old.fd >= 0) {
		pthread_mutex_unlock(&d->mu);
		ahead_drop(r, &old);
		pthread_mutex_lock(&d->mu);
	}
}

static void *ahead_main(void *arg)
{
	struct recall *r = arg;
	struct rahead *d = r->ahead;
	int64_t id;

	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		if (!d->nwant) {
			pthread_cond_wait(&d->cond, &d->mu);
			continue;
		}
		id = d->want[0];
		memmove(&d->want[0], &d->want[1],
			(size_t)--d->nwant * sizeof(d->want[0]));
		ahead_make(r, d, id);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int recall_ahead_start(struct recall *r)
{
	struct rahead *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cond, NULL);
	pthread_cond_init(&d->made_cond, NULL);
	r->ahead = d;
	ret = -pthread_create(&d->th, NULL, ahead_main, r);
	d->on = !ret;
	if (ret)
		recall_ahead_stop(r);
	return ret;
}

void recall_ahead_stop(struct recall *r)
{
	struct rahead *d = r->ahead;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->mu);
	if (d->on)
		pthread_join(d->th, NULL);
	for (int i = 0; i < d->nmade; i++)
		ahead_drop(r, &d->made[i]);
	pthread_cond_destroy(&d->made_cond);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->mu);
	free(d);
	r->ahead = NULL;
}

void recall_ahead_want(struct recall *r, const int64_t *ids, int n)
{
	struct rahead *d = r->ahead;

	if (!d || !d->on)
		return;
	pthread_mutex_lock(&d->mu);
	d->nwant = n < RECALL_AHEAD_WANT ? n : RECALL_AHEAD_WANT;
	memcpy(d->want, ids, (size_t)d->nwant * sizeof(*ids));
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->mu);
}

int recall_ahead_take(struct recall *r, int64_t id)
{
	struct rahead *d = r->ahead;
	int fd = -1;

	if (!d)
		return -1;
	pthread_mutex_lock(&d->mu);
	for (int i = 0; i < d->nwant; i++)
		if (d->want[i] == id) { /* the job makes it itself */
			memmove(&d->want[i], &d->want[i + 1],
				(size_t)(d->nwant - i - 1) *
				    sizeof(d->want[0]));
			d->nwant--;
			break;
		}
	while (d->making == id)
		pthread_cond_wait(&d->made_cond, &d->mu);
	for (int i = 0; i < d->nmade; i++) {
		if (d->made[i].id != id)
			continue;
		fd = d->made[i].fd;
		memmove(&d->made[i], &d->made[i + 1],
			(size_t)(d->nmade - i - 1) * sizeof(d->made[0]));
		d->nmade--;
		break;
	}
	pthread_mutex_unlock(&d->mu);
	return fd;
}
