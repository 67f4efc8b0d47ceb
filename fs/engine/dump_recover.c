/* fs/engine/dump_recover.c - what a crash left behind, put right when the
 * engine starts (dump.h, "Crash safety").
 *
 * Nothing leaves staging/ before the commit, and the commit follows every
 * filemark. So a dump the journal shows "pending" or "writing" is marked
 * failed: its files are still staged and dump again (the partial archive
 * on tape lies beyond the tape's last_file and is overwritten). And a
 * dump committed whose clean-up the journal does not show done (a crash
 * between the commit and the clean-up) gets its clean-up now: the
 * journal holds the identity of every entry it committed (device, inode,
 * mode, size, mtime, ctime), and exactly those entries still staged with
 * that identity leave staging/ instead of being dumped twice. Nothing is
 * ever decided by name, size and mtime alone: a file staged again under
 * the same name is another inode, or the same one with another ctime, and
 * stays. The journal then shows the clean-up done, so it never runs
 * twice.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"

/* Dump ids read from the journal, 256 at a time. */
#define IDS_MAX 256
struct ids {
	int64_t id[IDS_MAX];
	size_t n;
	int64_t last; /* of the batch before */
};

static int ids_add(void *ctx, const struct catalog_dump *cd)
{
	struct ids *u = ctx;

	if (u->n < IDS_MAX)
		u->id[u->n++] = cd->id;
	return 0;
}

/* Another full batch to read, and one that moved on (a dump the journal
 * could not update comes back: no endless loop on it). */
static int ids_more(struct ids *u)
{
	int more = u->n == IDS_MAX && u->id[u->n - 1] > u->last;

	if (u->n)
		u->last = u->id[u->n - 1];
	return more;
}

/* Dumps the journal shows unfinished: failed, their files dump again. */
static void recover_journal(struct dump *d)
{
	struct ids u = {.last = 0};

	do {
		u.n = 0;
		if (catalog_dump_unfinished(d->fs->cat, ids_add, &u) < 0)
			break;
		for (size_t i = 0; i < u.n; i++) {
			catalog_dump_fail(
			    d->fs->cat, u.id[i],
			    "interrupted: the daemon stopped during the dump");
			tapefs_error(
			    d->fs,
			    "dump %lld was interrupted (the daemon stopped): "
			    "its files are still staged and dump again",
			    (long long)u.id[i]);
		}
	} while (ids_more(&u));
}

/* The staged entry now (lstat) is the journaled one f: same device,
 * inode, type and mode, and but for a directory the same mtime and ctime
 * (and size, for a regular file). Owner and a symlink's length are not
 * journaled: neither changes without moving the ctime. */
static int journal_same(const struct catalog_dump_file *f,
			const struct stat *now)
{
	if ((uint64_t)now->st_dev != f->dev ||
	    (uint64_t)now->st_ino != f->ino ||
	    (uint32_t)now->st_mode != f->mode)
		return 0;
	if (S_ISDIR(now->st_mode))
		return 1;
	if (S_ISREG(now->st_mode) && (uint64_t)now->st_size != f->size)
		return 0;
	return now->st_mtim.tv_sec == f->mtime &&
	       now->st_mtim.tv_nsec == f->mtime_nsec &&
	       now->st_ctim.tv_sec == f->ctime &&
	       now->st_ctim.tv_nsec == f->ctime_nsec;
}

struct committed {
	struct dump *d;
	struct dump_snap s; /* the entries still as committed */
};

/* Journaled entry f of the dump: kept for the clean-up when the dump
 * committed it (not dropped) and it is still the same inode, unchanged. */
static int committed_entry(void *ctx, const struct catalog_dump_file *f)
{
	struct committed *c = ctx;
	struct stat now;

	if (f->dropped || !f->path ||
	    dump_staged_lstat(c->d, f->path, &now) < 0 ||
	    !journal_same(f, &now))
		return 0;
	return dump_snap_add(&c->s, f->path, &now);
}

/* The clean-up of committed dump id, which a stop between its commit and
 * its clean-up left undone. Returns how many entries it removed (not
 * counting directories). */
static size_t recover_one(struct dump *d, int64_t id)
{
	struct committed c = {.d = d};
	size_t files = 0, kept;
	int ret;

	ret = catalog_dump_files(d->fs->cat, id, committed_entry, &c);
	if (ret < 0) {
		tapefs_error(d->fs,
			     "dump %lld: journal: %s: its clean-up waits",
			     (long long)id, strerror(-ret));
		dump_snap_free(&c.s);
		return 0;
	}
	for (size_t i = 0; i < c.s.n; i++)
		files += !S_ISDIR(c.s.e[i].st.st_mode);
	kept = dump_staging_clean(d, &c.s, id);
	dump_snap_free(&c.s);
	return files > kept ? files - kept : 0;
}

/* Committed dumps whose clean-up the journal does not show done. Returns
 * how many staged entries their clean-up removed. */
static size_t recover_committed(struct dump *d)
{
	struct ids u = {.last = 0};
	size_t removed = 0;

	do {
		u.n = 0;
		if (catalog_dump_uncleaned(d->fs->cat, ids_add, &u) < 0)
			break;
		for (size_t i = 0; i < u.n; i++)
			removed += recover_one(d, u.id[i]);
	} while (ids_more(&u));
	return removed;
}

void dump_recover(struct dump *d)
{
	size_t n;

	recover_journal(d);
	n = recover_committed(d);
	if (n)
		tapefs_error(d->fs,
			     "dump: %zu staged files were committed by a dump "
			     "that stopped before its clean-up: removed from "
			     "staging/",
			     n);
}
