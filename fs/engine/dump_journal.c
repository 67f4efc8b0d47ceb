/* fs/engine/dump_journal.c - the dumps journal (dump.h, step 2): a dump
 * "pending" before anything of it goes to tape, the identity of each of
 * its entries, and the dump failed when it does not commit.
 *
 * The dump's row comes first: the tape files its copies write are
 * journaled under it before they are written. Its entries (device, inode,
 * mode, size, mtime, ctime of every snapshot entry) are read only for a
 * committed dump - what a clean-up after a crash between the commit and
 * the clean-up removes (dump_recover.c) - so they must be in the catalog
 * by the commit, not before the tape is written: a thread of their own
 * journals them, DUMP_JOURNAL_PART at a time, while the drives write, and
 * the commit waits for it (dump_journal_wait). A dump that fails or stops
 * meanwhile stops it first (dump_journal_stop). A crash before the commit
 * leaves a dump the start-up marks failed whatever part of its entries
 * was journaled: its files are still staged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"

#define DUMP_JOURNAL_PART                                                      \
	2048 /* entries per transaction: short ones, so                        \
		that a drive journaling its tape file                          \
		waits for one at most */

/* The journal's form of snapshot entry e (its path stays e's). */
static void file_of(const struct dump_entry *e, struct catalog_dump_file *f)
{
	const struct stat *st = &e->st;

	memset(f, 0, sizeof(*f));
	f->path = e->rel;
	f->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
	f->mtime = st->st_mtim.tv_sec;
	f->mtime_nsec = (int32_t)st->st_mtim.tv_nsec;
	f->mode = (uint32_t)st->st_mode;
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	f->ctime = st->st_ctim.tv_sec;
	f->ctime_nsec = (int32_t)st->st_ctim.tv_nsec;
}

int dump_journal_create(struct dump *d, const struct dump_snap *s, int64_t *id)
{
	struct catalog_dump_file *f;
	int ret;

	f = calloc(s->n ? s->n : 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		file_of(&s->e[i], &f[i]);
	ret = catalog_dump_create(d->fs->cat, f, s->n, id);
	free(f);
	return ret;
}

/* Entries [first, first + n) of j's snapshot. 0 or -errno. */
static int journal_part(struct dump_journal *j, struct catalog_dump_file *f,
			size_t first, size_t n)
{
	for (size_t i = 0; i < n; i++)
		file_of(&j->s->e[first + i], &f[i]);
	return catalog_dump_files_add(j->d->fs->cat, j->id, first, f, n);
}

/* Every entry, a part at a time, until done, failed or stopped. */
static void *journal_main(void *arg)
{
	struct dump_journal *j = arg;
	struct catalog_dump_file *f = calloc(DUMP_JOURNAL_PART, sizeof(*f));
	size_t n;
	int ret = f ? 0 : -ENOMEM;

	for (size_t i = 0; !ret && i < j->s->n; i += n) {
		if (__atomic_load_n(&j->stop, __ATOMIC_ACQUIRE)) {
			ret = -ECANCELED;
			break;
		}
		n = j->s->n - i < DUMP_JOURNAL_PART ? j->s->n - i
						    : DUMP_JOURNAL_PART;
		ret = journal_part(j, f, i, n);
	}
	free(f);
	j->ret = ret;
	return NULL;
}

int dump_journal_start(struct dump *d, const struct dump_snap *s,
		       struct dump_journal *j)
{
	int ret;

	memset(j, 0, sizeof(*j));
	j->d = d;
	j->s = s;
	ret = catalog_dump_create(d->fs->cat, NULL, 0, &j->id);
	if (ret < 0)
		return ret;
	if (pthread_create(&j->th, NULL, journal_main, j) == 0)
		j->started = 1;
	else /* no thread: the entries now, before the writing */
		journal_main(j);
	return 0;
}

int dump_journal_wait(struct dump_journal *j)
{
	if (j->started)
		pthread_join(j->th, NULL);
	j->started = 0;
	return j->ret;
}

void dump_journal_stop(struct dump_journal *j)
{
	__atomic_store_n(&j->stop, 1, __ATOMIC_RELEASE);
	dump_journal_wait(j);
}

void dump_journal_fail(struct dump *d, int64_t id, int err)
{
	char why[512];

	pthread_mutex_lock(&d->mu);
	snprintf(why, sizeof(why), "%s",
		 err == -ECANCELED ? "stopped" : d->last_error);
	pthread_mutex_unlock(&d->mu);
	catalog_dump_fail(d->fs->cat, id, why);
}
