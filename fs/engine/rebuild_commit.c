/* fs/engine/rebuild_commit.c - the archives a rebuild found, into the
 * catalog (fs/engine/rebuild.h): the copies grouped by archive (its
 * uuid, or a version 1 manifest's text), the archives sorted by the time
 * their manifests were written (then their dump ids), so that the
 * namespace ends as the dumps left it, and each committed in one
 * transaction - or, when the catalog knows it already, only the copies it
 * lacks. Then the partial archives that end tapes are journaled and the
 * tapes past early warning marked full.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/engine/member_in.h"
#include "fs/engine/rebuild_int.h"
#include "tapeio/manifest.h"

/* One archive: copies[first .. first + n) of the sorted copies. */
struct rb_group {
	size_t first, n;
	struct timespec written; /* the latest of its copies' */
	int64_t dump_id;
};

static int by_ident(const void *a, const void *b)
{
	const struct rb_copy *x = a, *y = b;
	int c = strcmp(x->ident, y->ident);

	if (c)
		return c;
	c = strcmp(x->barcode, y->barcode);
	return c ? c : (x->fileno > y->fileno) - (x->fileno < y->fileno);
}

static int by_time(const void *a, const void *b)
{
	const struct rb_group *x = a, *y = b;

	if (x->written.tv_sec != y->written.tv_sec)
		return x->written.tv_sec < y->written.tv_sec ? -1 : 1;
	if (x->written.tv_nsec != y->written.tv_nsec)
		return x->written.tv_nsec < y->written.tv_nsec ? -1 : 1;
	if (x->dump_id != y->dump_id)
		return x->dump_id < y->dump_id ? -1 : 1;
	return (x->first > y->first) - (x->first < y->first);
}

static int later(struct timespec a, struct timespec b)
{
	return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec
				    : a.tv_nsec > b.tv_nsec;
}

/* The copies sorted by archive, cut into groups sorted by time. */
static struct rb_group *groups_make(struct rebuild *rb, size_t *ng)
{
	struct rb_group *g = calloc(rb->ncopies ? rb->ncopies : 1, sizeof(*g));
	size_t n = 0;

	if (!g)
		return NULL;
	if (rb->ncopies) /* none found: copies is NULL, which qsort refuses */
		qsort(rb->copies, rb->ncopies, sizeof(*rb->copies), by_ident);
	for (size_t i = 0; i < rb->ncopies; i++) {
		const struct rb_copy *c = &rb->copies[i];

		if (!n || strcmp(rb->copies[g[n - 1].first].ident, c->ident))
			g[n++] =
			    (struct rb_group){i, 0, c->written, c->dump_id};
		g[n - 1].n++;
		if (later(c->written, g[n - 1].written))
			g[n - 1].written = c->written;
	}
	qsort(g, n, sizeof(*g), by_time);
	*ng = n;
	return g;
}

/* The manifest of copy c, from the spill file. */
static int manifest_of(struct rebuild *rb, const struct rb_copy *c,
		       struct manifest *mf)
{
	char *text = malloc(c->len + 1);
	ssize_t r = -1;
	int ret;

	if (!text)
		return -ENOMEM;
	if (c->len)
		r = pread(rb->spill_fd, text, c->len, (off_t)c->off);
	ret = r == (ssize_t)c->len ? manifest_decode(text, c->len, mf) : -EIO;
	free(text);
	return ret;
}

/* Every member of mf into commit c. */
static int members_commit(struct catalog_commit *c, const struct manifest *mf)
{
	static const mode_t fmt[] = {S_IFREG, S_IFDIR, S_IFLNK};
	struct catalog_member cm;
	struct catalog_xattr *xs;
	uint64_t last_hdr = UINT64_MAX;
	int ret = 0;

	for (size_t i = 0; i < mf->n && !ret; i++) {
		const struct tar_member *m = &mf->m[i];

		ret = member_in_fill(&cm, m,
				     fmt[m->type == TAR_DIR	  ? 1
					 : m->type == TAR_SYMLINK ? 2
								  : 0],
				     &xs, 1, &last_hdr);
		if (!ret)
			ret = catalog_commit_member(c, &cm);
		free(xs);
		if (!ret && mf->m[i].nchunks)
			ret = catalog_commit_chunks(c, MANIFEST_CHUNK,
						    (uint32_t)mf->m[i].nchunks,
						    mf->m[i].chunks);
	}
	return ret;
}

/* A mount's kernel drops what it held of the paths the archive gave new
 * versions (tapefs_changes_begin()). */
static void members_notify(struct tapefs *fs, const struct manifest *mf)
{
	struct tapefs_changes c;

	tapefs_changes_begin(fs, &c);
	for (size_t i = 0; i < mf->n; i++)
		tapefs_changed(&c, "archive", mf->m[i].name);
	tapefs_changes_end(&c);
}

static void copy_in(const struct rb_copy *c, struct catalog_copy_in *ci)
{
	ci->barcode = c->barcode;
	ci->fileno = c->fileno;
	ci->start_lblock = c->start_lblock;
	ci->size = c->records * c->block_size;
}

/* A new archive of group g: its copies (one per tape) and members, in
 * one transaction. */
static int archive_import(struct rebuild *rb, const struct rb_group *g)
{
	const struct rb_copy *c0 = &rb->copies[g->first];
	struct catalog_copy_in ci[SCHED_GANG_MAX];
	struct catalog_commit *c = NULL;
	struct catalog_import imp;
	struct manifest mf;
	size_t n = 0;
	int ret;

	for (size_t i = 0; i < g->n && n < SCHED_GANG_MAX; i++)
		if (!n ||
		    strcmp(ci[n - 1].barcode, rb->copies[g->first + i].barcode))
			copy_in(&rb->copies[g->first + i], &ci[n++]);
	memset(&imp, 0, sizeof(imp));
	imp.archive.bytes = c0->records * c0->block_size;
	imp.archive.block_size = c0->block_size;
	imp.archive.uuid = c0->ident;
	imp.archive.created = g->written.tv_sec;
	imp.archive.kind = (enum catalog_archive_kind)c0->kind;
	imp.dump_id = c0->dump_id;
	imp.dumped = c0->dumped;
	ret = manifest_of(rb, c0, &mf);
	if (ret)
		return ret;
	ret = catalog_import_begin(rb->fs->cat, &imp, ci, n, &c);
	if (!ret) {
		ret = members_commit(c, &mf);
		if (ret)
			catalog_commit_abort(c);
		else
			ret = catalog_commit_end(c, NULL);
	}
	if (!ret) {
		rb->rep->archives_new++;
		rb->rep->members_new += mf.n;
		members_notify(rb->fs, &mf);
	}
	manifest_release(&mf);
	return ret;
}

/* The archive the catalog has for group g: by its uuid, or by a copy at
 * one of its tape files. 0 (*id), -ENOENT, -errno. */
static int archive_known(struct rebuild *rb, const struct rb_group *g,
			 int64_t *id)
{
	struct catalog_copy cp;
	int ret =
	    catalog_archive_find(rb->fs->cat, rb->copies[g->first].ident, id);

	for (size_t i = 0; ret == -ENOENT && i < g->n; i++) {
		const struct rb_copy *c = &rb->copies[g->first + i];

		ret = catalog_copy_get(rb->fs->cat, c->barcode, c->fileno, &cp);
		if (!ret)
			*id = cp.archive;
	}
	return ret;
}

/* The copies of g the known archive id lacks. */
static int copies_add(struct rebuild *rb, const struct rb_group *g, int64_t id)
{
	struct catalog_copy_in ci;
	struct catalog_copy cp;
	int ret = 0;

	for (size_t i = 0; i < g->n && !ret; i++) {
		const struct rb_copy *c = &rb->copies[g->first + i];

		if (catalog_copy_get(rb->fs->cat, c->barcode, c->fileno, &cp) ==
		    0) {
			rb->rep->known++;
			if (cp.archive != id)
				rb_fail(rb,
					"tape %s file %lld: the catalog "
					"holds another archive there",
					c->barcode, (long long)c->fileno);
			continue;
		}
		copy_in(c, &ci);
		ret = catalog_copy_import(rb->fs->cat, id, &ci);
		rb->rep->copies_new += !ret;
	}
	return ret;
}

static int group_commit(struct rebuild *rb, const struct rb_group *g)
{
	const struct rb_copy *c0 = &rb->copies[g->first];
	int64_t id = 0;
	int ret = archive_known(rb, g, &id);

	if (ret == 0)
		ret = copies_add(rb, g, id);
	else if (ret == -ENOENT)
		ret = archive_import(rb, g);
	if (ret < 0)
		rb_fail(rb, "archive %s (tape %s file %lld): not recorded: %s",
			c0->ident, c0->barcode, (long long)c0->fileno,
			strerror(-ret));
	return ret;
}

/* What the reads found about the tapes themselves. */
static void tapes_settle(struct rebuild *rb)
{
	struct catalog *cat = rb->fs->cat;
	struct catalog_tape t;
	int ret;

	for (size_t i = 0; i < rb->ntapes; i++) {
		struct rb_tape *tp = &rb->tapes[i];

		if (!tp->ok)
			continue;
		if (!tp->ct.label_uuid[0] && tp->label_uuid[0])
			catalog_tape_set_label(cat, tp->ct.barcode,
					       tp->label_uuid);
		if (tp->partial) {
			ret = catalog_dump_partial(
			    cat, tp->ct.barcode, tp->partial,
			    tp->partial_lblock, 0,
			    "a partial archive found on tape by a rebuild");
			if (ret < 0)
				rb_fail(rb, "tape %s: journal: %s",
					tp->ct.barcode, strerror(-ret));
			rb->rep->partial += !ret;
		}
		if (tp->past_ew &&
		    catalog_tape_get(cat, tp->ct.barcode, &t) == 0 &&
		    t.state == CATALOG_TAPE_OPEN &&
		    catalog_tape_set_state(cat, t.barcode, CATALOG_TAPE_FULL) ==
			0)
			rb->rep->tapes_full++;
	}
}

int rb_commit_all(struct rebuild *rb)
{
	struct rb_group *g;
	size_t ng = 0;
	int failed = 0;

	g = groups_make(rb, &ng);
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < ng; i++) {
		if (rb_stopping(rb)) {
			free(g);
			return -ECANCELED;
		}
		if (i % 16 == 0)
			rb_progress(rb, "committing archive %zu of %zu", i + 1,
				    ng);
		failed |= group_commit(rb, &g[i]) < 0;
	}
	free(g);
	tapes_settle(rb);
	return failed ? -EIO : 0;
}
