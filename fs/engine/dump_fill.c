/* fs/engine/dump_fill.c - dumps sized to the tapes (dump.h, step 3): what
 * an archive may take on a tape, which tape a copy takes, and the cut of a
 * snapshot into archives that each fit the tapes they go to.
 *
 * A tape's room is its capacity less what its archives hold, less its
 * early-warning reserve (1% of the capacity, the zone a vtape keeps by
 * default and under which a cartridge counts as full) and room for its
 * label: an archive no larger than the room ends before early warning. A
 * tape of unknown capacity has unlimited room: there early warning
 * decides, as it always did (dump_write.c).
 *
 * The cut takes the snapshot's entries in path order (the tar writer's
 * bound, tapeio/tarw.h, says what each costs) into archives: each as much
 * as the smallest room among its copies' tapes takes, so a tape is filled
 * to its reserve before the next one is taken. The tapes of an archive
 * that the next entry did not fit are done for the rest of the dump: the
 * dump goes on, in path order, on the next tapes. A `now PATH` request is
 * one archive when some tape of every copy's pool takes it whole; else it
 * is cut where a directory begins, and `.dump` says so.
 *
 * The names of one hard-linked file all go into the archive of its first
 * name (in path order), wherever the cut falls between them: there the
 * writer writes the data once and the other names as hard-link entries,
 * the bound counts the data once and each later name's header, and the
 * names leave staging together when that archive commits. A later name
 * in the range of a later archive is left out of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

/* Room for the label of tape file 0 (one 10240-byte record, two at most). */
#define DUMP_LABEL_ROOM (2 * 10240)
#define DUMP_RECUT_MAX	3 /* cuts again after a tape proved smaller */

uint64_t dump_tape_room(const struct catalog_tape *t)
{
	uint64_t keep;

	if (!t->capacity)
		return UINT64_MAX;
	keep = t->capacity / 100 + DUMP_LABEL_ROOM + 1 + t->bytes_used;
	return keep < t->capacity ? t->capacity - keep : 0;
}

uint64_t dump_tape_capacity_for(uint64_t took)
{
	return (took + DUMP_LABEL_ROOM) / 99 * 100;
}

uint64_t dump_entry_bound(const struct dump_entry *e, uint32_t bs)
{
	struct tarw_bound b;

	memset(&b, 0, sizeof(b));
	dump_bound_add(&b, e);
	return tarw_bound_total(&b, bs);
}

void dump_bound_add(struct tarw_bound *b, const struct dump_entry *e)
{
	uint64_t size = (uint64_t)e->st.st_size, meta = e->meta, data = 0;

	if (S_ISREG(e->st.st_mode))
		data = tarw_bound_file(&e->st, strlen(e->rel), &meta);
	tarw_bound_add(b, e->rel, S_ISLNK(e->st.st_mode) ? size : 0, data,
		       meta);
}

void dump_bound_linked(struct tarw_bound *b, const struct dump_snap *s,
		       const size_t *first, size_t i)
{
	const struct dump_entry *e = &s->e[i], *to;

	if (!first || !first[i] || s->e[first[i] - 1].dropped) {
		dump_bound_add(b, e); /* with its data */
		return;
	}
	/* the hard-link entry: its header naming the first, its manifest
	 * line (with the attributes, which are the first's) */
	to = &s->e[first[i] - 1];
	tarw_bound_add(b, e->rel, strlen(to->rel), 0, e->meta);
}

/* ---- choosing a tape ------------------------------------------------------
 */

struct pick {
	uint64_t need;
	const char *const *ex;
	size_t nex;
	struct catalog_tape open, scratch; /* best of each, barcode "" none */
	uint64_t largest;		   /* room of an empty tape, max */
	int unknown;			   /* a tape of unknown capacity */
};

static int pick_excluded(const struct pick *p, const char *barcode)
{
	for (size_t i = 0; i < p->nex; i++)
		if (!strcmp(p->ex[i], barcode))
			return 1;
	return 0;
}

/* An open tape with room, the fullest first; else a scratch tape with
 * room, the lowest barcode first (the list comes in barcode order). */
static int pick_visit(void *ctx, const struct catalog_tape *t)
{
	struct pick *p = ctx;
	struct catalog_tape empty = *t;

	if (t->state == CATALOG_TAPE_RETIRED)
		return 0;
	empty.bytes_used = 0;
	if (!t->capacity)
		p->unknown = 1;
	else if (dump_tape_room(&empty) > p->largest)
		p->largest = dump_tape_room(&empty);
	if (pick_excluded(p, t->barcode) || dump_tape_room(t) < p->need)
		return 0;
	if (t->state == CATALOG_TAPE_OPEN &&
	    (!p->open.barcode[0] || t->bytes_used > p->open.bytes_used))
		p->open = *t;
	else if (t->state == CATALOG_TAPE_SCRATCH && !p->scratch.barcode[0])
		p->scratch = *t;
	return 0;
}

static int pick_run(struct dump *d, const char *pool, struct pick *p)
{
	int ret;

	memset(&p->open, 0, sizeof(p->open));
	memset(&p->scratch, 0, sizeof(p->scratch));
	p->largest = 0;
	p->unknown = 0;
	ret = catalog_tape_list(d->fs->cat, pool, -1, pick_visit, p);
	return ret < 0 ? ret : 0;
}

int dump_tape_pick(struct dump *d, const char *pool, uint64_t need,
		   const char *const *ex, size_t nex, struct catalog_tape *out)
{
	struct pick p = {.need = need, .ex = ex, .nex = nex};
	int ret;

	ret = pick_run(d, pool, &p);
	if (ret < 0)
		return ret;
	if (p.open.barcode[0])
		*out = p.open;
	else if (p.scratch.barcode[0])
		*out = p.scratch;
	else
		return -ENOSPC;
	return 0;
}

uint64_t dump_file_limit(struct dump *d)
{
	const struct tapefs_config *c = &d->fs->cfg;
	uint64_t limit = UINT64_MAX;

	for (int i = 0; i < c->copies; i++) {
		struct pick p = {.need = UINT64_MAX};

		if (pick_run(d, c->pools[i], &p) < 0 || p.unknown || !p.largest)
			continue; /* cannot tell: nothing is too large */
		if (p.largest < limit)
			limit = p.largest;
	}
	return limit;
}

/* ---- the cut --------------------------------------------------------------
 */

void dump_cut_init(struct dump_cut *cut, struct dump_snap *s, int whole,
		   uint32_t bs)
{
	memset(cut, 0, sizeof(*cut));
	cut->s = s;
	cut->whole = whole;
	cut->bs = bs;
}

void dump_cut_release(struct dump_cut *cut)
{
	free(cut->first);
	free(cut->later);
	cut->first = cut->later = NULL;
}

/* The hard links of the snapshot (cut->first, cut->later), once. */
static int cut_links(struct dump_cut *cut)
{
	const struct dump_snap *s = cut->s;
	size_t any = 0;
	int ret;

	if (cut->linked)
		return 0;
	ret = tarw_links_of(s->n ? &s->e[0].st : NULL, s->n, sizeof(s->e[0]),
			    &cut->first);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < s->n; i++)
		any += cut->first[i] != 0;
	if (any && !(cut->later = calloc(s->n, sizeof(*cut->later)))) {
		dump_cut_release(cut);
		return -ENOMEM;
	}
	if (!any) { /* the usual case: nothing to keep */
		free(cut->first);
		cut->first = NULL;
	}
	/* backwards, each after its first: the chains in path order */
	for (size_t i = s->n; any && i-- > 0;) {
		size_t f = cut->first[i];

		if (f) {
			cut->later[i] = cut->later[f - 1];
			cut->later[f - 1] = i;
		}
	}
	cut->linked = 1;
	return 0;
}

/* Entry i is a later name of a file whose first name is in an earlier
 * archive: it went there. */
static int cut_gone(const struct dump_cut *cut, size_t i)
{
	return cut->first && cut->first[i] && cut->first[i] - 1 < cut->next;
}

/* Entry i, past the range of the next archive, goes into it: a later name
 * of a file whose first name is in [next, end). */
static int cut_pulled(const struct dump_cut *cut, size_t i)
{
	size_t f = cut->first ? cut->first[i] : 0;

	return f && f - 1 >= cut->next && f - 1 < cut->end;
}

/* Add entry i to b with the later names of its file (i is no later name
 * itself). */
static void cut_add(const struct dump_cut *cut, struct tarw_bound *b, size_t i)
{
	dump_bound_add(b, &cut->s->e[i]);
	for (size_t j = cut->later ? cut->later[i] : 0; j; j = cut->later[j])
		dump_bound_linked(b, cut->s, cut->first, j);
}

/* The bound of an archive of entry i alone, with its file's later names. */
static uint64_t cut_entry_bound(const struct dump_cut *cut, size_t i)
{
	struct tarw_bound b;

	memset(&b, 0, sizeof(b));
	cut_add(cut, &b, i);
	return tarw_bound_total(&b, cut->bs);
}

/* The tapes a `now to` named (cut->plan.tape): the smallest room among
 * them when each takes need bytes, else -ENOSPC recorded (never another
 * tape). */
static int64_t cut_pinned(struct dump *d, struct dump_cut *cut, uint64_t need)
{
	uint64_t room = UINT64_MAX;

	for (int i = 0; i < d->fs->cfg.copies; i++) {
		struct catalog_tape t;

		if (catalog_tape_get(d->fs->cat, cut->plan.tape[i], &t) < 0 ||
		    (t.state != CATALOG_TAPE_OPEN &&
		     t.state != CATALOG_TAPE_SCRATCH) ||
		    dump_tape_room(&t) < need) {
			dump_error_set(d,
				       "copy %d: tape %s, named for this dump, "
				       "cannot take its %llu bytes",
				       i + 1, cut->plan.tape[i],
				       (unsigned long long)need);
			return -ENOSPC;
		}
		if (dump_tape_room(&t) < room)
			room = dump_tape_room(&t);
	}
	return room > INT64_MAX ? INT64_MAX : (int64_t)room;
}

/* Every copy's tape for an archive of need bytes (cut->plan), avoiding
 * the tapes done. The smallest room among them, or -errno recorded. */
static int64_t cut_tapes(struct dump *d, struct dump_cut *cut, uint64_t need,
			 int quiet)
{
	const struct tapefs_config *c = &d->fs->cfg;
	const char *ex[DUMP_EXCLUDE_MAX];
	uint64_t room = UINT64_MAX;
	size_t nex = 0;

	for (size_t i = 0; i < cut->plan.ndone && nex < DUMP_EXCLUDE_MAX; i++)
		ex[nex++] = cut->plan.done[i];
	if (cut->plan.pinned)
		return cut_pinned(d, cut, need);
	for (int i = 0; i < c->copies; i++) {
		const char *pool = dump_copy_pool(d, &cut->plan, i);
		struct catalog_tape t;
		int ret = dump_tape_pick(d, pool, need, ex, nex, &t);

		if (ret == -ENOSPC && !cut->imported) {
			/* new cartridges in the library? Once per dump. */
			cut->imported = 1;
			library_import(d->fs);
			ret = dump_tape_pick(d, pool, need, ex, nex, &t);
		}

		if (ret < 0) {
			cut->no_tape = !quiet;
			if (!quiet)
				dump_error_set(
				    d,
				    "copy %d: no tape with %llu bytes "
				    "free in pool %s: %s",
				    i + 1, (unsigned long long)need, pool,
				    strerror(-ret));
			return ret;
		}
		snprintf(cut->plan.tape[i], sizeof(cut->plan.tape[i]), "%s",
			 t.barcode);
		if (dump_tape_room(&t) < room)
			room = dump_tape_room(&t);
	}
	return room > INT64_MAX ? INT64_MAX : (int64_t)room;
}

/* The entries from cut->next on that fit in room, each with the later
 * names of its file: where the archive ends (cut->end). Along
 * directories, it ends only where a directory begins, unless not even
 * the first directory fits. */
static void cut_fill(struct dump_cut *cut, uint64_t room)
{
	const struct dump_snap *s = cut->s;
	struct tarw_bound b;
	size_t i, last_dir = 0;

	memset(&b, 0, sizeof(b));
	for (i = cut->next; i < s->n; i++) {
		if (cut->first && cut->first[i])
			continue; /* counted with its first, or gone */
		cut_add(cut, &b, i);
		if (i > cut->next && tarw_bound_total(&b, cut->bs) > room)
			break;
		if (i > cut->next && S_ISDIR(s->e[i].st.st_mode))
			last_dir = i;
	}
	cut->end = i;
	if (cut->along_dirs && i < s->n && !S_ISDIR(s->e[i].st.st_mode) &&
	    last_dir)
		cut->end = last_dir;
}

/* Whether the next archive holds any file or symlink. */
static int cut_has_data(const struct dump_cut *cut)
{
	for (size_t i = cut->next; i < cut->end; i++)
		if (!S_ISDIR(cut->s->e[i].st.st_mode) && !cut_gone(cut, i))
			return 1;
	return 0;
}

/* The tapes of the plan are done for this dump. */
static void cut_tapes_done(struct dump *d, struct dump_cut *cut)
{
	struct dump_fill_plan *p = &cut->plan;

	for (int i = 0; i < d->fs->cfg.copies; i++) {
		if (p->ndone >= DUMP_EXCLUDE_MAX)
			break;
		memcpy(p->done[p->ndone++], p->tape[i], sizeof(p->done[0]));
	}
}

/* A whole `now PATH`: one archive when some tape of every pool takes it
 * (1); else the cut goes along directories, and the note says so (0). On
 * the tapes a `now to` named it is one archive or none (-ENOSPC). */
static int cut_whole(struct dump *d, struct dump_cut *cut)
{
	struct tarw_bound b;
	uint64_t total;
	int64_t room;

	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < cut->s->n; i++)
		dump_bound_linked(&b, cut->s, cut->first, i);
	total = tarw_bound_total(&b, cut->bs);
	cut->whole = 0;
	room = cut_tapes(d, cut, total, 1);
	if (room >= 0 || cut->plan.pinned) {
		cut->end = cut->s->n;
		return room >= 0 ? 1 : (int)room;
	}
	cut->along_dirs = 1;
	pthread_mutex_lock(&d->mu);
	snprintf(d->cut_note, sizeof(d->cut_note),
		 "'%s' (%llu bytes on tape) fits on no tape: cut along "
		 "directories",
		 cut->s->n ? cut->s->e[0].rel : "", (unsigned long long)total);
	pthread_mutex_unlock(&d->mu);
	tapefs_error(d->fs, "dump: %s", d->cut_note);
	return 0;
}

int dump_cut_next(struct dump *d, struct dump_cut *cut)
{
	int64_t room;
	int ret = cut_links(cut);

	if (ret < 0)
		return ret;
	while (cut->next < cut->s->n && cut_gone(cut, cut->next))
		cut->next++;
	if (cut->next >= cut->s->n)
		return 1;
	if (cut->whole || cut->plan.pinned) {
		room = cut_whole(d, cut);
		if (room)
			return room > 0 ? 0 : (int)room;
	}
	for (;;) {
		room = cut_tapes(d, cut, cut_entry_bound(cut, cut->next), 0);
		if (room < 0)
			return (int)room;
		cut_fill(cut, (uint64_t)room);
		if (cut->end >= cut->s->n)
			return 0;
		if (cut_has_data(cut) || cut->plan.ndone >= DUMP_EXCLUDE_MAX) {
			cut_tapes_done(d, cut); /* filled: the next ones next */
			return 0;
		}
		/* Only directories would go there: the next tapes. */
		cut_tapes_done(d, cut);
	}
}

int dump_cut_batch(const struct dump_cut *cut, struct dump_snap *b)
{
	const struct dump_snap *s = cut->s;
	size_t lim = cut->first ? s->n : cut->end;

	memset(b, 0, sizeof(*b));
	if (!cut->first) { /* no hard links: the range itself */
		b->view = 1;
		b->e = s->e + cut->next;
		b->n = cut->end - cut->next;
		for (size_t i = 0; i < b->n; i++) {
			mode_t fmt = b->e[i].st.st_mode & S_IFMT;

			b->e[i].dropped = 0; /* of an attempt cut again */
			b->files += fmt == S_IFREG || fmt == S_IFLNK;
			b->bytes += fmt == S_IFREG ? (uint64_t)b->e[i].st.st_size
						   : 0;
		}
		return 0;
	}
	for (size_t i = cut->next; i < lim; i++) {
		int ret;

		if (i < cut->end ? cut_gone(cut, i) : !cut_pulled(cut, i))
			continue;
		ret = dump_snap_add(b, s->e[i].rel, &s->e[i].st);
		if (ret < 0) {
			dump_snap_free(b);
			return ret;
		}
		b->e[b->n - 1].meta = s->e[i].meta;
		b->e[b->n - 1].no_xattrs = s->e[i].no_xattrs;
	}
	return 0;
}

int dump_cut_again(struct dump_cut *cut)
{
	return ++cut->recuts <= DUMP_RECUT_MAX;
}
