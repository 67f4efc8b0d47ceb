/* fs/engine/dump_recover.c - what a crash left behind, put right when the
 * engine starts (dump.h, "Crash safety").
 *
 * Nothing leaves staging/ before the commit, and the commit follows every
 * filemark. So a dump the journal shows "pending" or "writing" is marked
 * failed: its files are still staged and dump again (the partial archive
 * on tape lies beyond the tape's last_file and is overwritten). And an
 * entry both committed and still staged (a crash between the commit and
 * the clean-up) is recognised by its latest archived version (same type,
 * mode, size and mtime; a symlink's target) and removed instead of being
 * dumped twice.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"

struct unfinished {
	int64_t ids[256];
	size_t n;
};

static int unfinished_fn(void *ctx, const struct catalog_dump *cd)
{
	struct unfinished *u = ctx;

	if (u->n < 256)
		u->ids[u->n++] = cd->id;
	return 0;
}

/* Dumps the journal shows unfinished: failed, their files dump again. */
static void recover_journal(struct dump *d)
{
	struct unfinished u;

	do {
		u.n = 0;
		if (catalog_dump_unfinished(d->fs->cat, unfinished_fn, &u) < 0)
			break;
		for (size_t i = 0; i < u.n; i++) {
			catalog_dump_fail(
			    d->fs->cat, u.ids[i],
			    "interrupted: the daemon stopped during the dump");
			tapefs_error(
			    d->fs,
			    "dump %lld was interrupted (the daemon stopped): "
			    "its files are still staged and dump again",
			    (long long)u.ids[i]);
		}
	} while (u.n == 256);
}

/* A symlink's target is the archived one's. */
static int link_same(struct dump *d, const struct dump_entry *e,
		     const struct catalog_member *m)
{
	char buf[PATH_MAX];

	if (dump_staged_readlink(d, e->rel, buf, sizeof(buf)) < 0)
		return 0;
	return strcmp(buf, m->link) == 0 && m->mtime == e->st.st_mtim.tv_sec;
}

/* Is the staged entry e the same as the archived latest version? */
static int archived_same(struct dump *d, const struct dump_entry *e)
{
	struct catalog_member m;
	int same = 0;

	memset(&m, 0, sizeof(m));
	if (catalog_ns_lookup(d->fs->cat, e->rel, &m) < 0)
		return 0;
	if ((m.mode & 07777) != (e->st.st_mode & 07777))
		goto out;
	if (S_ISREG(e->st.st_mode))
		same = m.type == CATALOG_FILE &&
		       m.size == (uint64_t)e->st.st_size &&
		       m.mtime == e->st.st_mtim.tv_sec &&
		       m.mtime_nsec == e->st.st_mtim.tv_nsec;
	else if (S_ISDIR(e->st.st_mode))
		same = m.type == CATALOG_DIR && !m.implicit;
	else if (S_ISLNK(e->st.st_mode) && m.type == CATALOG_SYMLINK && m.link)
		same = link_same(d, e, &m);
out:
	catalog_member_release(&m);
	return same;
}

/* Staged entries already archived: removed. Returns how many (not
 * counting directories). */
static size_t recover_committed(struct dump *d)
{
	struct dump_snap s;
	size_t removed = 0;

	if (dump_snap_take(d, "", &s, NULL, NULL) < 0)
		return 0;
	for (size_t i = 0; i < s.n; i++)
		s.e[i].dropped = !archived_same(d, &s.e[i]);
	for (size_t i = 0; i < s.n; i++)
		if (!s.e[i].dropped && !S_ISDIR(s.e[i].st.st_mode))
			removed++;
	if (removed || s.n)
		dump_staging_clean(d, &s);
	dump_snap_free(&s);
	return removed;
}

void dump_recover(struct dump *d)
{
	size_t n;

	recover_journal(d);
	n = recover_committed(d);
	if (n)
		tapefs_error(
		    d->fs,
		    "dump: %zu staged files were already on tape (stopped "
		    "between commit and clean-up): removed from staging/",
		    n);
}
