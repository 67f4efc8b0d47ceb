/* fs/engine/recall_copies.c - which copies of a member can be read, and in
 * which order to try them: the tape the reader named, else a tape that
 * already has a queue (one more member on a tape being read costs a
 * locate, not a load), else a tape in a drive, else the catalog's order
 * (good copies first). Copies on tapes marked lost are never tried.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"

struct copies_ctx {
	struct rcopy *c;
	int n, cap;
};

static int copy_add(void *vctx, const struct catalog_location *l)
{
	struct copies_ctx *c = vctx;

	if (l->state == CATALOG_COPY_LOST)
		return 0;
	if (c->n == c->cap) {
		int nc = c->cap ? c->cap * 2 : 4;
		struct rcopy *n = realloc(c->c, (size_t)nc * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->c = n;
		c->cap = nc;
	}
	snprintf(c->c[c->n].barcode, sizeof(c->c[c->n].barcode), "%s",
		 l->barcode);
	c->c[c->n].fileno = l->fileno;
	c->c[c->n].start_lblock = l->start_lblock;
	c->c[c->n].header_offset = l->header_offset;
	c->c[c->n].block = l->block;
	c->c[c->n].data_offset = l->data_offset;
	c->c[c->n].block_size = l->block_size;
	c->n++;
	return 0;
}

/* Is barcode in a drive now? (Reading from a loaded tape saves a load.) */
int recall_tape_loaded(struct recall *r, const char *barcode)
{
	struct sched_drive_status ds;
	int n = sched_ndrives(r->fs->sched);

	for (int i = 0; i < n; i++)
		if (!sched_drive_status(r->fs->sched,
					sched_drive_id(r->fs->sched, i), &ds) &&
		    !strcmp(ds.barcode, barcode))
			return 1;
	return 0;
}

/* A member taken back from the other hosts (recall_hosts.c) is read here:
 * its copies on tapes in other hosts' drives (a host that died holds
 * them there) are tried last, the others in the order found. */
static void copies_away_last(struct recall *r, struct rentry *e)
{
	struct rcopy *tmp = malloc((size_t)e->ncopies * sizeof(*tmp));
	int n = 0;

	if (!tmp)
		return; /* the order as it is: still correct, maybe slower */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < e->ncopies; i++)
			if (sched_tape_away(r->fs->sched, e->copies[i].barcode) ==
			    pass)
				tmp[n++] = e->copies[i];
	memcpy(e->copies, tmp, (size_t)n * sizeof(*tmp));
	free(tmp);
}

/* Order e's copies: the preferred tape first, else a tape in a drive or
 * with a queue already, else the catalog's order (good copies first). */
static void copies_order(struct recall *r, struct rentry *e, const char *prefer)
{
	int best = -1;

	for (int i = 0; i < e->ncopies && best < 0; i++)
		if (prefer && !strcmp(e->copies[i].barcode, prefer))
			best = i;
	for (int i = 0; i < e->ncopies && best < 0; i++) {
		struct rtape *t;

		for (t = r->tapes; t; t = t->next)
			if (t->job && !strcmp(t->barcode, e->copies[i].barcode))
				best = i;
	}
	for (int i = 0; i < e->ncopies && best < 0; i++)
		if (recall_tape_loaded(r, e->copies[i].barcode))
			best = i;
	if (best > 0) {
		struct rcopy c = e->copies[best];

		memmove(&e->copies[1], &e->copies[0], (size_t)best * sizeof(c));
		e->copies[0] = c;
	}
	if (e->local)
		copies_away_last(r, e);
}

int recall_copies_load(struct recall *r, struct rentry *e, const char *prefer)
{
	struct copies_ctx cc = {0};
	int ret;

	ret = catalog_member_whereis(r->fs->cat, e->id, copy_add, &cc);
	if (!ret && !cc.n) {
		tapefs_error(r->fs,
			     "recall of '%s': no copy left (every tape "
			     "holding it is marked lost)",
			     e->path);
		ret = -EIO;
	}
	if (ret) {
		free(cc.c);
		return ret == -ENOENT ? -EIO : ret;
	}
	free(e->copies);
	e->copies = cc.c;
	e->ncopies = cc.n;
	e->next = 0;
	copies_order(r, e, prefer);
	return 0;
}
