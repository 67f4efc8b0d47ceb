/* fs/engine/dump_writers.c - which staged files may not be dumped yet
 * (dump.h: dump_file_opened, dump_file_closed, dump_file_flushed): the
 * inodes with a writer open through the mount, and those whose writers
 * saw a write fail; and the wait of a `now` for the releases of writers
 * their users closed.
 *
 * A write, flush, fsync or close that failed (ENOSPC on a full staging
 * disk, EIO) leaves a file that is not what its writer meant: a partial
 * file. Such an inode is held back - never snapshotted, never counted
 * eligible, named by `.status` - until a later writer writes it (or opens
 * it with O_TRUNC) and closes without an error. The mark is kept in
 * memory by (device, inode), as long as the mount lives; it follows the
 * file through renames (each full scan of staging/ notes the name it has
 * now) and goes when the file does: an inode that two full scans in a
 * row did not see is forgotten (two, so that a rename racing one scan
 * cannot free it). The file also carries the mark on the staging disk
 * (dump_partial.c), set and cleared through the releasing handle's
 * descriptor; the first full scan after a start finds it again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"

#define FAILED_MISSED_MAX   2 /* full scans without it that forget an inode */
#define DUMP_RELEASE_WAIT_S 5 /* a `now` waits for releases at most this */

static struct dump_writer *writer_find(struct dump *d, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < d->nwriters; i++)
		if (d->writers[i].dev == dev && d->writers[i].ino == ino)
			return &d->writers[i];
	return NULL;
}

static struct dump_failed *failed_find(struct dump *d, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < d->nfailed; i++)
		if (d->failed[i].dev == dev && d->failed[i].ino == ino)
			return &d->failed[i];
	return NULL;
}

static void failed_remove(struct dump *d, struct dump_failed *f)
{
	free(f->rel);
	*f = d->failed[--d->nfailed];
}

/* Mark st's inode, named rel, as written with a failure. 0 or -ENOMEM. */
static int failed_mark(struct dump *d, const struct stat *st, const char *rel)
{
	struct dump_failed *f = failed_find(d, st->st_dev, st->st_ino);
	char *name = strdup(rel);

	if (!name)
		return -ENOMEM;
	if (!f) {
		if (d->nfailed == d->capfailed) {
			size_t cap = d->capfailed ? d->capfailed * 2 : 8;
			struct dump_failed *n =
			    realloc(d->failed, cap * sizeof(*n));
			if (!n) {
				free(name);
				return -ENOMEM;
			}
			d->failed = n;
			d->capfailed = cap;
		}
		f = &d->failed[d->nfailed++];
		f->dev = st->st_dev;
		f->ino = st->st_ino;
		f->rel = NULL;
	}
	free(f->rel);
	f->rel = name;
	f->since = d->scan_gen;
	f->seen = 0;
	f->missed = 0;
	return 0;
}

int dump_file_held(struct dump *d, const struct stat *st, const char *rel,
		   uint64_t gen)
{
	struct dump_failed *f;
	int held;

	pthread_mutex_lock(&d->mu);
	held = writer_find(d, st->st_dev, st->st_ino) != NULL;
	f = failed_find(d, st->st_dev, st->st_ino);
	if (f && gen && rel) {
		char *name = strcmp(f->rel, rel) ? strdup(rel) : NULL;

		if (name) { /* renamed: .status names it as it is now */
			free(f->rel);
			f->rel = name;
		}
		f->seen = gen;
	}
	pthread_mutex_unlock(&d->mu);
	return held || f;
}

uint64_t dump_scan_gen_next(struct dump *d)
{
	uint64_t gen;

	pthread_mutex_lock(&d->mu);
	gen = ++d->scan_gen;
	pthread_mutex_unlock(&d->mu);
	return gen;
}

void dump_failed_prune(struct dump *d, uint64_t gen)
{
	pthread_mutex_lock(&d->mu);
	for (size_t i = 0; i < d->nfailed;) {
		struct dump_failed *f = &d->failed[i];

		if (f->seen == gen || f->since >= gen) {
			f->missed = 0;
			i++;
		} else if (++f->missed >= FAILED_MISSED_MAX) {
			failed_remove(d, f); /* gone from staging/ */
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&d->mu);
}

void dump_file_opened(struct dump *d, const char *relpath,
		      const struct stat *st)
{
	struct dump_writer *w;

	(void)relpath;
	if (!d || !st)
		return;
	pthread_mutex_lock(&d->mu);
	w = writer_find(d, st->st_dev, st->st_ino);
	if (w) {
		w->count++;
	} else {
		if (d->nwriters == d->capwriters) {
			size_t cap = d->capwriters ? d->capwriters * 2 : 16;
			struct dump_writer *n =
			    realloc(d->writers, cap * sizeof(*n));
			/* Not recorded: a file written during its dump
			 * is still caught by the tar writer's check of
			 * each source. */
			if (!n)
				goto out;
			d->writers = n;
			d->capwriters = cap;
		}
		w = &d->writers[d->nwriters++];
		memset(w, 0, sizeof(*w));
		w->dev = st->st_dev;
		w->ino = st->st_ino;
		w->count = 1;
	}
	d->dirty = 1;
	d->last_change = time(NULL);
out:
	pthread_mutex_unlock(&d->mu);
}

/* The last writer of st's inode is gone; failed / rewrote: what its
 * writers did. Settles the inode's mark and its eligibility; *cleared is
 * set when a mark went. Returns 1 when it is held back now, -ENOMEM when
 * its failure could not be recorded, else 0. Called with d->mu held. */
static int writers_gone(struct dump *d, const struct stat *st,
			const char *relpath, int failed, int rewrote,
			int *cleared)
{
	struct dump_failed *f;
	int ret = 0;

	if (failed) {
		ret = failed_mark(d, st, relpath) ? -ENOMEM : 1;
	} else if (rewrote && (f = failed_find(d, st->st_dev, st->st_ino))) {
		failed_remove(d, f);
		*cleared = 1;
	}
	if (!ret && failed_find(d, st->st_dev, st->st_ino))
		ret = 1;
	if (!ret) {
		/* Counted until the next scan sets the exact figures. */
		d->elig_files++;
		d->elig_bytes += (uint64_t)st->st_size;
	}
	return ret;
}

/* The on-disk mark of the file open as fd follows what writers_gone()
 * decided (held: its return; before the first scan a mark may be there
 * that the engine has not read yet). */
static void partial_settle(struct dump *d, const char *relpath, int fd,
			   int held, int failed, int clear)
{
	int ret = 0;

	if (fd >= 0 && failed && held == 1)
		ret = dump_partial_set(fd);
	else if (fd >= 0 && clear)
		ret = dump_partial_clear(fd);
	if (failed && held == 1)
		tapefs_error(d->fs,
			     "staging: a write to '%s' failed: it is not "
			     "dumped until it is written again and closed "
			     "without an error%s%s%s",
			     relpath,
			     ret ? " (the mark on the staging disk "
				   "could not be set: "
				 : "",
			     ret ? strerror(-ret) : "",
			     ret ? "; a remount would take it as complete)"
				 : "");
	else if (held < 0)
		tapefs_error(d->fs,
			     "staging: a write to '%s' failed and could not "
			     "be recorded (out of memory)",
			     relpath);
	else if (ret)
		tapefs_error(d->fs,
			     "staging: '%s' was written again, but the mark "
			     "of its failed write stays on the staging disk "
			     "(%s): a remount holds it back again",
			     relpath, strerror(-ret));
}

void dump_file_closed(struct dump *d, const char *relpath, int fd,
		      const struct stat *st, enum dump_write how)
{
	int failed = how == DUMP_WRITE_FAILED, rewrote = how == DUMP_WRITE_DONE;
	struct dump_writer *w;
	int remaining = 0, held = 0, cleared = 0;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	w = st ? writer_find(d, st->st_dev, st->st_ino) : NULL;
	if (w) {
		failed = w->failed |= failed;
		rewrote = w->rewrote |= rewrote;
		remaining = --w->count;
		if (remaining <= 0)
			*w = d->writers[--d->nwriters];
	}
	if (st && S_ISREG(st->st_mode) && remaining <= 0) {
		held = writers_gone(d, st, relpath, failed, rewrote, &cleared);
		cleared |= rewrote && !held && !d->started_up;
	}
	d->dirty = 1;
	d->last_change = time(NULL);
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	partial_settle(d, relpath, fd, held, failed, cleared);
}

void dump_file_flushed(struct dump *d, const struct stat *st, int delta)
{
	struct dump_writer *w;

	if (!d || !st)
		return;
	pthread_mutex_lock(&d->mu);
	w = writer_find(d, st->st_dev, st->st_ino);
	if (w)
		w->flushed += delta;
	pthread_mutex_unlock(&d->mu);
}

/* A writer whose every handle its users closed: released soon. */
static int release_due(const struct dump *d)
{
	for (size_t i = 0; i < d->nwriters; i++)
		if (d->writers[i].flushed >= d->writers[i].count)
			return 1;
	return 0;
}

void dump_writers_settle(struct dump *d)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DUMP_RELEASE_WAIT_S;
	pthread_mutex_lock(&d->mu);
	while (!d->stopping && release_due(d))
		if (pthread_cond_timedwait(&d->cv, &d->mu, &until))
			break;
	pthread_mutex_unlock(&d->mu);
}

int dump_file_partial_found(struct dump *d, int dirfd, const char *name,
			    const struct stat *st, const char *rel)
{
	int ret;

	if (!dump_partial_marked(dirfd, name))
		return 0;
	pthread_mutex_lock(&d->mu);
	ret = failed_mark(d, st, rel);
	pthread_mutex_unlock(&d->mu);
	if (ret)
		tapefs_error(d->fs,
			     "staging: '%s' is marked as written with a "
			     "failure, and the mark could not be recorded "
			     "(out of memory): it is held back for now",
			     rel);
	return 1;
}

/* Printable: control bytes of a user's name never reach `.status`. */
static void name_append(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	if (n && n + 2 < len) {
		memcpy(buf + n, ", ", 3);
		n += 2;
	}
	for (; *name && n + 1 < len; name++)
		buf[n++] =
		    (unsigned char)*name < 0x20 || *name == 0x7f ? '?' : *name;
	buf[n] = 0;
}

void dump_failed_stats(struct dump *d, struct dump_stats *out)
{
	out->write_failed = d->nfailed;
	out->write_failed_names[0] = 0;
	for (size_t i = 0; i < d->nfailed && i < DUMP_FAILED_SHOWN; i++)
		name_append(out->write_failed_names,
			    sizeof(out->write_failed_names), d->failed[i].rel);
}

void dump_writers_free(struct dump *d)
{
	for (size_t i = 0; i < d->nfailed; i++)
		free(d->failed[i].rel);
	free(d->failed);
	free(d->writers);
	d->failed = NULL;
	d->writers = NULL;
	d->nfailed = d->nwriters = 0;
}
