/* fs/engine/lifecycle_run.c - the lifecycle requests (fs/engine/lifecycle.h)
 * as lists of archives, each copied tape to tape in turn: repair, copy
 * POOL, repack LABEL, migrate POOL NEWPOOL (reclaim LABEL is passed on to
 * lifecycle_reclaim.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/lifecycle_int.h"
#include "fs/engine/tapefs.h"

/* ---- the work list ------------------------------------------------------- */

/* One archive to copy, and the copy it replaces (0: none). */
struct lwork {
	int64_t archive, replaces;
	char pool[16];
};

struct lwork_list {
	struct tapefs *fs;
	const char *pool; /* copy POOL and migrate: the pool copies go to */
	struct lwork *w;
	size_t n, cap;
};

static struct lwork *work_add(struct lwork_list *l)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct lwork *nw = realloc(l->w, nc * sizeof(*nw));

		if (!nw)
			return NULL;
		l->w = nw;
		l->cap = nc;
	}
	memset(&l->w[l->n], 0, sizeof(l->w[0]));
	return &l->w[l->n++];
}

static int work_lacking(void *ctx, const struct catalog_archive *a)
{
	struct lwork_list *l = ctx;
	struct lwork *w = work_add(l);

	if (!w)
		return -ENOMEM;
	w->archive = a->id;
	snprintf(w->pool, sizeof(w->pool), "%s", l->pool);
	return 0;
}

/* A copy to replace: by one in the pool of its own tape (a bad copy
 * repaired, a repack), or in l->pool (migrate's NEWPOOL). */
static int work_move(void *ctx, const struct catalog_copy *c)
{
	struct lwork_list *l = ctx;
	struct catalog_tape t;
	struct lwork *w;
	int ret = l->pool ? 0 : catalog_tape_get(l->fs->cat, c->barcode, &t);

	if (ret < 0)
		return ret;
	w = work_add(l);
	if (!w)
		return -ENOMEM;
	w->archive = c->archive;
	w->replaces = c->id;
	snprintf(w->pool, sizeof(w->pool), "%s", l->pool ? l->pool : t.pool);
	return 0;
}

/* An open tape to empty is closed first: no dump appends to it meanwhile
 * and no copy goes to it once its own copies are lost. */
static int close_open(void *ctx, const struct catalog_tape *t)
{
	struct tapefs *fs = ctx;

	if (t->state != CATALOG_TAPE_OPEN)
		return 0;
	return catalog_tape_set_state(fs->cat, t->barcode, CATALOG_TAPE_CLOSED);
}

static int close_tape(struct tapefs *fs, const char *barcode)
{
	struct catalog_tape t;
	int ret = catalog_tape_get(fs->cat, barcode, &t);

	return ret < 0 ? ret : close_open(fs, &t);
}

static int work_list(struct tapefs *fs, const struct lifecycle_req *q,
		     struct lwork_list *l)
{
	int ret;

	memset(l, 0, sizeof(*l));
	l->fs = fs;
	switch (q->kind) {
	case LIFECYCLE_REPAIR:
		return catalog_copies_bad(fs->cat, q->arg[0] ? q->arg : NULL,
					  work_move, l);
	case LIFECYCLE_COPY:
		l->pool = q->arg;
		return catalog_archives_lacking(fs->cat, q->arg, work_lacking,
						l);
	case LIFECYCLE_REPACK:
		ret = close_tape(fs, q->arg);
		return ret < 0 ? ret
			       : catalog_copies_live(fs->cat, q->arg, NULL,
						     work_move, l);
	case LIFECYCLE_RECLAIM: /* not a list: lifecycle_reclaim() */
		break;
	case LIFECYCLE_MIGRATE:
		ret = catalog_tape_list(fs->cat, q->arg, CATALOG_TAPE_OPEN,
					close_open, fs);
		l->pool = q->arg2;
		return ret < 0 ? ret
			       : catalog_copies_live(fs->cat, NULL, q->arg,
						     work_move, l);
	}
	return -EINVAL;
}

/* ---- running ------------------------------------------------------------- */

static void summary(const struct lifecycle_req *q,
		    const struct lifecycle_progress *p, int stopped,
		    char *result, size_t len)
{
	char line[64];

	lifecycle_req_line(q, line, sizeof(line));
	snprintf(result, len,
		 "%s: %" PRIu64 " of %" PRIu64 " archives copied, %" PRIu64
		 " failed, %" PRIu64 " bytes%s",
		 line, p->copied, p->archives, p->failed, p->bytes,
		 stopped ? " (stopped)" : "");
}

/* Copy each archive of l in turn: 0, or -ECANCELED. */
static int run_list(struct tapefs *fs, const struct lwork_list *l,
		    const struct lifecycle_hooks *h,
		    struct lifecycle_progress *p)
{
	char why[640];
	uint64_t bytes;
	int ret = 0;

	p->archives += l->n;
	for (size_t i = 0; i < l->n && ret != -ECANCELED; i++) {
		bytes = 0;
		ret = lifecycle_copy_archive(fs, l->w[i].archive, l->w[i].pool,
					     l->w[i].replaces, h, &bytes, why,
					     sizeof(why));
		p->done += ret != -ECANCELED;
		p->copied += ret == 0;
		p->failed += ret < 0 && ret != -ECANCELED;
		p->bytes += bytes;
		if (ret < 0 && ret != -ECANCELED)
			tapefs_error(fs,
				     "archive %" PRId64 " got no copy in "
				     "pool %s: %s",
				     l->w[i].archive, l->w[i].pool, why);
		if (h && h->report)
			h->report(h->ctx, p);
	}
	return ret == -ECANCELED ? ret : 0;
}

int lifecycle_run(struct tapefs *fs, const struct lifecycle_req *q,
		  const struct lifecycle_hooks *h, struct lifecycle_progress *p,
		  char *result, size_t len)
{
	int move = q->kind == LIFECYCLE_REPACK || q->kind == LIFECYCLE_MIGRATE;
	struct lwork_list l;
	int ret;

	memset(p, 0, sizeof(*p));
	if (q->kind == LIFECYCLE_RECLAIM)
		return lifecycle_reclaim(fs, q->arg, result, len);
	/* a move looks again once: a dump that was writing to a tape when
	 * it was closed may have committed an archive there since */
	for (int pass = 0; pass < 1 + move; pass++) {
		ret = work_list(fs, q, &l);
		if (ret < 0) {
			snprintf(result, len, "catalog: %s", strerror(-ret));
			goto out_free;
		}
		if (pass && !l.n)
			break;
		ret = run_list(fs, &l, h, p);
		free(l.w);
		l.w = NULL;
		if (ret < 0 || p->failed)
			break;
	}
	summary(q, p, ret == -ECANCELED, result, len);
	ret = ret == -ECANCELED ? ret : p->failed ? -EIO : 0;
out_free:
	free(l.w);
	return ret;
}
