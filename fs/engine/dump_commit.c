/* fs/engine/dump_commit.c - the end of a dump (dump.h, steps 7 and 8):
 * the archive committed in one catalog transaction once every copy's
 * filemark is on tape, and only then the dumped entries leave staging/.
 *
 * The clean-up removes an entry only when it is still the one the
 * snapshot saw (dump_staged_remove: its identity checked in its parent's
 * descriptor, beneath the staging root, right before the unlink; the
 * descriptor is kept for the next entries of the same directory) and no
 * writer has it open: a file changed after the snapshot stays for the
 * next dump. Directories stay (an instrument keeps writing into them):
 * only the sweep of dump_dirs.c removes one, empty and untouched for
 * [dump] dir_keep seconds. A large clean-up (DUMP_CLEAN_SPLIT entries or
 * more, no file among them by two names) runs in two parts side by side,
 * split where a directory begins, each with its own parent descriptor;
 * the names they removed are told to the kernel once both are done.
 * Then the journal notes that the dump's clean-up is done, so that the
 * start-up's recovery (dump_recover.c) never removes anything for it
 * again.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/member_in.h"
#include "fs/engine/tapefs.h"
#include "tapeio/chunk.h"
#include "tapeio/tarw.h"

#define DUMP_CLEAN_SPLIT 4096 /* entries from which two threads clean up */

/* ---- step 7: the catalog transaction ------------------------------------- */

/* The archive was written whole on every copy. 0 or -EIO recorded. */
static int commit_check(struct dump *d, const struct dump_archive *a)
{
	if (!a->members || a->nmembers != a->nsrc) {
		dump_error_set(d, "dump %lld: no member list",
			       (long long)a->dump_id);
		return -EIO;
	}
	for (int i = 1; i < a->ncopies; i++)
		if (a->copy[i].bytes != a->copy[0].bytes) {
			dump_error_set(d, "dump %lld: copies differ in size",
				       (long long)a->dump_id);
			return -EIO;
		}
	return 0;
}

/* The transaction: archive, copies, members (with the chunk digests the
 * writer took of the larger files), and the journaled entries left out
 * (dropped: they stay staged, the start-up's clean-up must never take them
 * for committed). 0 or -errno. */
static int commit_tx(struct dump *d, struct dump_archive *a)
{
	struct catalog_archive_in ai;
	struct catalog_copy_in ci[SCHED_GANG_MAX];
	struct catalog_commit *c = NULL;
	uint64_t last_hdr = UINT64_MAX;
	int ret;

	memset(&ai, 0, sizeof(ai));
	ai.bytes = a->copy[0].bytes;
	ai.block_size = a->block_size;
	ai.uuid = a->man.uuid;
	ai.created = a->written.tv_sec;
	ai.kind = a->man.kind == MANIFEST_CATALOG ? CATALOG_ARCHIVE_CATALOG
						  : CATALOG_ARCHIVE_DATA;
	for (int i = 0; i < a->ncopies; i++) {
		ci[i].barcode = a->copy[i].tape.barcode;
		ci[i].fileno = a->copy[i].fileno;
		ci[i].start_lblock = a->copy[i].start_lblock;
		ci[i].size = a->copy[i].bytes;
	}
	ret = catalog_commit_begin(d->fs->cat, a->dump_id, &ai, ci,
				   (size_t)a->ncopies, &c);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < a->snap->n; i++) {
		if (!a->snap->e[i].dropped)
			continue;
		ret = catalog_commit_dropped(c, (int64_t)i);
		if (ret < 0) {
			catalog_commit_abort(c);
			return ret;
		}
	}
	for (size_t i = 0; i < a->nmembers; i++) {
		struct catalog_member cm;
		struct catalog_xattr *xs;

		ret = member_in_fill(&cm, &a->members[i],
				     a->snap->e[a->srcidx[i]].st.st_mode, &xs,
				     0, &last_hdr);
		if (ret >= 0)
			ret = catalog_commit_member(c, &cm);
		free(xs);
		if (ret >= 0 && a->members[i].chunks)
			ret = catalog_commit_chunks(c, CHUNK_SIZE,
						    a->members[i].nchunks,
						    a->members[i].chunks);
		if (ret < 0) {
			catalog_commit_abort(c);
			return ret;
		}
	}
	return catalog_commit_end(c, &a->archive_id);
}

/* The audit line of a committed archive: where each copy is (tape:file),
 * its regular files and their bytes, its members and its size on tape. */
static void commit_audit(struct dump *d, const struct dump_archive *a)
{
	char tapes[SCHED_GANG_MAX * 64];
	uint64_t files = 0, bytes = 0;
	size_t n = 0;

	tapes[0] = 0;
	for (int i = 0; i < a->ncopies && n < sizeof(tapes); i++)
		n += (size_t)snprintf(tapes + n, sizeof(tapes) - n, "%s%s:%lld",
				      i ? "," : "", a->copy[i].tape.barcode,
				      (long long)a->copy[i].fileno);
	for (size_t i = 0; i < a->nmembers; i++)
		if (a->members[i].type == TAR_FILE) {
			files++;
			bytes += a->members[i].size;
		}
	tapefs_audit(d->fs, "dump committed",
		     "archive=%lld dump=%lld tapes=%s files=%" PRIu64
		     " bytes=%" PRIu64 " members=%zu tape_bytes=%" PRIu64,
		     (long long)a->archive_id, (long long)a->dump_id, tapes,
		     files, bytes, a->nmembers, a->copy[0].bytes);
}

/* What the kernel may hold of the paths the archive gave new versions,
 * and of the tape files it now is, is dropped (tapefs_changes_begin()). */
static void commit_notify(struct dump *d, const struct dump_archive *a)
{
	struct tapefs_changes c;
	char file[64];

	tapefs_changes_begin(d->fs, &c);
	for (size_t i = 0; i < a->nmembers; i++)
		tapefs_changed(&c, "archive", a->members[i].name);
	for (int i = 0; i < a->ncopies; i++) {
		snprintf(file, sizeof(file), "%s/%04lld",
			 a->copy[i].tape.barcode, (long long)a->copy[i].fileno);
		tapefs_changed(&c, "tapes", file);
	}
	tapefs_changes_end(&c);
}

int dump_archive_commit(struct dump *d, struct dump_archive *a)
{
	int ret;

	ret = commit_check(d, a);
	if (ret < 0)
		return ret;
	ret = commit_tx(d, a);
	if (ret < 0) {
		dump_error_set(d, "dump %lld: commit: %s",
			       (long long)a->dump_id, strerror(-ret));
		return ret;
	}
	commit_notify(d, a);
	commit_audit(d, a);
	dump_tapes_note(d, a);
	return 0;
}

/* ---- step 8: clean-up of staging/ ---------------------------------------- */

/* The names of one file (hard links) that a dump holds: its inode, and
 * whether one of its names was removed yet. */
struct linked {
	dev_t dev;
	ino_t ino;
	int removed;
};

static int linked_cmp(const void *a, const void *b)
{
	const struct linked *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The inodes of which s holds more than one regular file not dropped,
 * sorted (*n of them; NULL when none or without memory: each name is
 * then checked on its own). */
static struct linked *linked_make(const struct dump_snap *s, size_t *n)
{
	struct linked *l = NULL;
	size_t k = 0, j = 0;

	*n = 0;
	for (size_t i = 0; i < s->n; i++)
		k += S_ISREG(s->e[i].st.st_mode) && !s->e[i].dropped;
	if (k < 2 || !(l = malloc(k * sizeof(*l))))
		return NULL;
	k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (S_ISREG(s->e[i].st.st_mode) && !s->e[i].dropped)
			l[k++] = (struct linked){s->e[i].st.st_dev,
						 s->e[i].st.st_ino, 0};
	qsort(l, k, sizeof(*l), linked_cmp);
	for (size_t i = 0; i < k; i++) /* keep the inodes seen twice, once */
		if ((i + 1 < k && !linked_cmp(&l[i], &l[i + 1])) &&
		    (j == 0 || linked_cmp(&l[j - 1], &l[i])))
			l[j++] = l[i];
	if (!j) {
		free(l);
		return NULL;
	}
	*n = j;
	return l;
}

/* Remove entry e (not a directory) when it is still what was dumped; a
 * name of a file whose other name this clean-up removed may show a new
 * ctime (the unlink's). dump_staged_remove()'s answer: 0 removed,
 * -ENOENT gone already (renamed, unlinked), else it stays. */
static int clean_entry(struct dump *d, struct dump_parent *p,
		       const struct dump_entry *e, struct linked *l, size_t nl)
{
	struct linked key = {e->st.st_dev, e->st.st_ino, 0}, *lk = NULL;
	int ret;

	if (l && S_ISREG(e->st.st_mode))
		lk = bsearch(&key, l, nl, sizeof(*l), linked_cmp);
	ret = dump_staged_remove(d, p, e->rel, &e->st, lk && lk->removed);
	if (ret == 0 && lk)
		lk->removed = 1;
	return ret;
}

/* One part of a clean-up: entries [from, to) of s, in order, by one
 * thread with a parent descriptor of its own. What it removed is told to
 * the kernel through c as it goes, or (c NULL: parts run side by side)
 * marked in removed[] for the engine to tell after. */
struct clean_part {
	struct dump *d;
	const struct dump_snap *s;
	size_t from, to;
	struct linked *l; /* hard links: only when the part runs alone */
	size_t nl;
	struct tapefs_changes *c;
	unsigned char *removed;
	size_t kept; /* entries that stay (dropped, changed since) */
	pthread_t th;
};

static void *clean_part_run(void *arg)
{
	struct clean_part *cp = arg;
	struct dump_parent *p = malloc(sizeof(*p));
	int ret;

	if (p) /* without it, each removal opens its parent alone */
		dump_parent_init(p);
	for (size_t i = cp->from; i < cp->to; i++) {
		const struct dump_entry *e = &cp->s->e[i];

		if (e->dropped) {
			cp->kept++;
			continue;
		}
		if (S_ISDIR(e->st.st_mode))
			continue;
		ret = clean_entry(cp->d, p, e, cp->l, cp->nl);
		if (ret == 0 && cp->c)
			tapefs_changed(cp->c, "staging", e->rel);
		else if (ret == 0)
			cp->removed[i] = 1;
		cp->kept += ret < 0 && ret != -ENOENT;
	}
	if (p)
		dump_parent_release(p);
	free(p);
	return NULL;
}

/* Where the second of two parts of s begins: the first entry of a
 * directory at or after the middle (each directory's entries stay with
 * one thread: its parent descriptor serves them all). s->n when there is
 * no such place. */
static size_t clean_split(const struct dump_snap *s)
{
	for (size_t i = s->n / 2; i > 0 && i < s->n; i++) {
		const char *a = strrchr(s->e[i - 1].rel, '/');
		const char *b = strrchr(s->e[i].rel, '/');
		size_t la = a ? (size_t)(a - s->e[i - 1].rel) : 0;
		size_t lb = b ? (size_t)(b - s->e[i].rel) : 0;

		if (la != lb || memcmp(s->e[i - 1].rel, s->e[i].rel, la))
			return i;
	}
	return s->n;
}

/* The clean-up of s in two parts side by side (the second on a thread
 * of its own), their removals told to the kernel after both. Returns the
 * entries that stay, or -1 when it could not run so (no memory, no
 * thread, no place to split): the caller then runs it in one part. */
static ssize_t clean_two(struct dump *d, const struct dump_snap *s)
{
	struct clean_part a = {.d = d, .s = s}, b;
	struct tapefs_changes c;
	size_t mid = clean_split(s);

	if (mid >= s->n || !(a.removed = calloc(s->n, 1)))
		return -1;
	a.to = mid;
	b = a;
	b.from = mid;
	b.to = s->n;
	if (pthread_create(&b.th, NULL, clean_part_run, &b)) {
		free(a.removed);
		return -1;
	}
	clean_part_run(&a);
	pthread_join(b.th, NULL);
	tapefs_changes_begin(d->fs, &c);
	for (size_t i = 0; i < s->n; i++)
		if (a.removed[i])
			tapefs_changed(&c, "staging", s->e[i].rel);
	tapefs_changes_end(&c);
	free(a.removed);
	return (ssize_t)(a.kept + b.kept);
}

/* The clean-up of s in one part, its removals told as they happen; l:
 * its hard-linked files (linked_make). */
static size_t clean_one(struct dump *d, const struct dump_snap *s,
			struct linked *l, size_t nl)
{
	struct tapefs_changes c;
	struct clean_part a = {
	    .d = d, .s = s, .to = s->n, .l = l, .nl = nl, .c = &c};

	tapefs_changes_begin(d->fs, &c);
	clean_part_run(&a);
	tapefs_changes_end(&c);
	return a.kept;
}

size_t dump_staging_clean(struct dump *d, const struct dump_snap *s,
			  int64_t dump_id)
{
	size_t kept, nl;
	struct linked *l = linked_make(s, &nl);
	ssize_t two = -1;
	int ret;

	/* Side by side only when it pays, and not with hard links in s: the
	 * removal of one name changes the ctime the check of another name
	 * expects (struct linked), which the parts would have to share. */
	if (!nl && s->n >= DUMP_CLEAN_SPLIT)
		two = clean_two(d, s);
	kept = two >= 0 ? (size_t)two : clean_one(d, s, l, nl);
	free(l);
	ret = catalog_dump_cleaned(d->fs->cat, dump_id);
	if (ret < 0)
		tapefs_error(d->fs, "dump %lld: journal: clean-up done: %s",
			     (long long)dump_id, strerror(-ret));
	return kept;
}
