/* fs/engine/lifecycle_run.c - the lifecycle requests (fs/engine/lifecycle.h):
 * their grammar, and repair / copy POOL as lists of archives, each copied
 * tape to tape in turn.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/lifecycle_int.h"
#include "fs/engine/tapefs.h"

/* ---- the grammar --------------------------------------------------------- */

static int pool_count(void *ctx, const struct catalog_tape *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 1;
}

/* A pool of the configuration, or one the catalog's tapes name. */
static int pool_known(struct tapefs *fs, const char *pool)
{
	int n = 0;

	for (int i = 0; i < fs->cfg.npools; i++)
		if (!strcmp(fs->cfg.pools[i], pool))
			return 1;
	catalog_tape_list(fs->cat, pool, -1, pool_count, &n);
	return n > 0;
}

static int parse_arg(const char *s, char *word, size_t len)
{
	size_t n = strcspn(s, " \t");

	if (n == 0 || n >= len || s[n + strspn(s + n, " \t")])
		return -EINVAL;
	memcpy(word, s, n);
	word[n] = 0;
	return 0;
}

int lifecycle_parse(struct tapefs *fs, const char *line,
		    struct lifecycle_req *out, char *why, size_t len)
{
	struct lifecycle_req q = {0};
	struct catalog_tape t;

	if (!strcmp(line, "repair")) {
		q.kind = LIFECYCLE_REPAIR;
	} else if (!strncmp(line, "repair ", 7)) {
		q.kind = LIFECYCLE_REPAIR;
		if (parse_arg(line + 7, q.arg, sizeof(q.arg)) ||
		    catalog_tape_get(fs->cat, q.arg, &t) < 0) {
			snprintf(why, len, "repair: unknown label '%.40s'",
				 line + 7);
			return -EINVAL;
		}
	} else if (!strncmp(line, "copy ", 5)) {
		q.kind = LIFECYCLE_COPY;
		if (parse_arg(line + 5, q.arg, sizeof(q.arg)) ||
		    !pool_known(fs, q.arg)) {
			snprintf(why, len, "copy: unknown pool '%.40s'",
				 line + 5);
			return -EINVAL;
		}
	} else {
		snprintf(why, len, "unknown request '%.40s'", line);
		return -EINVAL;
	}
	*out = q;
	return 0;
}

void lifecycle_req_line(const struct lifecycle_req *q, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 q->kind == LIFECYCLE_REPAIR ? "repair" : "copy",
		 q->arg[0] ? " " : "", q->arg);
}

/* ---- the work list ------------------------------------------------------- */

/* One archive to copy, and the copy it replaces (0: none). */
struct lwork {
	int64_t archive, replaces;
	char pool[16];
};

struct lwork_list {
	struct tapefs *fs;
	const char *pool; /* copy POOL's pool */
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

/* A bad copy: rewritten in its own tape's pool. */
static int work_bad(void *ctx, const struct catalog_copy *c)
{
	struct lwork_list *l = ctx;
	struct catalog_tape t;
	struct lwork *w;
	int ret = catalog_tape_get(l->fs->cat, c->barcode, &t);

	if (ret < 0)
		return ret;
	w = work_add(l);
	if (!w)
		return -ENOMEM;
	w->archive = c->archive;
	w->replaces = c->id;
	snprintf(w->pool, sizeof(w->pool), "%s", t.pool);
	return 0;
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

static int work_list(struct tapefs *fs, const struct lifecycle_req *q,
		     struct lwork_list *l)
{
	memset(l, 0, sizeof(*l));
	l->fs = fs;
	if (q->kind == LIFECYCLE_REPAIR)
		return catalog_copies_bad(fs->cat, q->arg[0] ? q->arg : NULL,
					  work_bad, l);
	l->pool = q->arg;
	return catalog_archives_lacking(fs->cat, q->arg, work_lacking, l);
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

int lifecycle_run(struct tapefs *fs, const struct lifecycle_req *q,
		  const struct lifecycle_hooks *h, struct lifecycle_progress *p,
		  char *result, size_t len)
{
	struct lwork_list l;
	char why[640];
	uint64_t bytes;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = work_list(fs, q, &l);
	if (ret < 0) {
		snprintf(result, len, "catalog: %s", strerror(-ret));
		goto out_free;
	}
	p->archives = l.n;
	for (size_t i = 0; i < l.n && ret != -ECANCELED; i++) {
		bytes = 0;
		ret = lifecycle_copy_archive(fs, l.w[i].archive, l.w[i].pool,
					     l.w[i].replaces, h, &bytes, why,
					     sizeof(why));
		p->done += ret != -ECANCELED;
		p->copied += ret == 0;
		p->failed += ret < 0 && ret != -ECANCELED;
		p->bytes += bytes;
		if (ret < 0 && ret != -ECANCELED)
			tapefs_error(fs,
				     "archive %" PRId64 " got no copy in "
				     "pool %s: %s",
				     l.w[i].archive, l.w[i].pool, why);
		if (h && h->report)
			h->report(h->ctx, p);
	}
	summary(q, p, ret == -ECANCELED, result, len);
	ret = ret == -ECANCELED ? ret : p->failed ? -EIO : 0;
out_free:
	free(l.w);
	return ret;
}
