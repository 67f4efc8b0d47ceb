/* fs/engine/verify_plan.c - what a request verifies: the archive copies it
 * names (all, on some tapes, never verified OK, all for a sample, or those
 * due on the schedule), grouped into one task per tape with its copies in
 * file order, so that each tape is read front to back once. Retired tapes are
 * never read and copies marked lost are left out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/tapefs.h"
#include "fs/engine/verify_int.h"

struct plan {
	struct verify *v;
	struct vrun *run;
	int err;
	int check_tape;	  /* copies come from any tape: skip retired ones */
	char tape[40];	  /* the last tape looked up ... */
	int tape_retired; /* ... and whether it is retired */
	int refused;	  /* a label of the request is unknown or retired */
};

static struct vtask *task_for(struct vrun *run, const char *barcode)
{
	struct vtask *t;

	for (size_t i = run->ntasks; i-- > 0;)
		if (!strcmp(run->tasks[i].barcode, barcode))
			return &run->tasks[i];
	if (run->ntasks == run->cap_tasks) {
		size_t cap = run->cap_tasks ? run->cap_tasks * 2 : 8;
		struct vtask *n = realloc(run->tasks, cap * sizeof(*n));

		if (!n)
			return NULL;
		run->tasks = n;
		run->cap_tasks = cap;
	}
	t = &run->tasks[run->ntasks++];
	memset(t, 0, sizeof(*t));
	snprintf(t->barcode, sizeof(t->barcode), "%s", barcode);
	return t;
}

static int plan_copy(void *ctx, const struct catalog_copy *c)
{
	struct plan *p = ctx;
	struct catalog_archive a;
	struct vtask *t;
	int ret;

	if (c->state == CATALOG_COPY_LOST)
		return 0;
	if (p->check_tape && strcmp(p->tape, c->barcode)) {
		struct catalog_tape ct;

		ret = catalog_tape_get(p->v->fs->cat, c->barcode, &ct);
		if (ret) {
			p->err = ret;
			return 1;
		}
		snprintf(p->tape, sizeof(p->tape), "%s", ct.barcode);
		p->tape_retired = ct.state == CATALOG_TAPE_RETIRED;
	}
	if (p->check_tape && p->tape_retired)
		return 0;
	ret = catalog_archive_get(p->v->fs->cat, c->archive, &a);
	if (ret) {
		p->err = ret;
		return 1;
	}
	t = task_for(p->run, c->barcode);
	if (!t)
		goto out_nomem;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct vitem *n = realloc(t->items, cap * sizeof(*n));

		if (!n)
			goto out_nomem;
		t->items = n;
		t->cap = cap;
	}
	t->items[t->n].c = *c;
	t->items[t->n].block_size = a.block_size ? a.block_size : 262144;
	t->items[t->n].manifest =
	    a.kind == CATALOG_ARCHIVE_DATA || a.kind == CATALOG_ARCHIVE_CATALOG;
	t->n++;
	t->bytes += c->size;
	p->run->bytes_planned += c->size;
	return 0;
out_nomem:
	p->err = -ENOMEM;
	return 1;
}

/* Every copy on tape t, unless the tape is retired. */
static int plan_tape(void *ctx, const struct catalog_tape *t)
{
	struct plan *p = ctx;
	int ret;

	if (t->state == CATALOG_TAPE_RETIRED)
		return 0;
	ret = catalog_tape_copies(p->v->fs->cat, t->barcode, plan_copy, p);
	if (ret < 0 && !p->err)
		p->err = ret;
	return p->err ? 1 : 0;
}

static int cmp_item(const void *a, const void *b)
{
	const struct vitem *x = a, *y = b;

	return x->c.fileno < y->c.fileno ? -1 : x->c.fileno > y->c.fileno;
}

static int cmp_task(const void *a, const void *b)
{
	return strcmp(((const struct vtask *)a)->barcode,
		      ((const struct vtask *)b)->barcode);
}

/* The copies on the tapes q names; a label that is unknown or retired
 * refuses the whole request. */
static int plan_labels(struct plan *p, const struct verify_req *q, char *why,
		       size_t whylen)
{
	struct catalog *cat = p->v->fs->cat;
	int ret = 0;

	for (int i = 0; i < q->nlabels && !ret; i++) {
		struct catalog_tape t;

		ret = catalog_tape_get(cat, q->labels[i], &t);
		if (ret == -ENOENT) {
			snprintf(why, whylen, "unknown label '%s'",
				 q->labels[i]);
			p->refused = 1;
			return -EINVAL;
		}
		if (!ret && t.state == CATALOG_TAPE_RETIRED) {
			snprintf(why, whylen,
				 "tape '%s' is retired: never read",
				 q->labels[i]);
			p->refused = 1;
			return -EINVAL;
		}
		if (!ret)
			ret = catalog_tape_copies(cat, q->labels[i], plan_copy,
						  p);
	}
	return ret;
}

int verify_plan_build(struct verify *v, struct vrun *run,
		      const struct verify_req *q, char *why, size_t whylen)
{
	struct catalog *cat = v->fs->cat;
	struct plan p = {.v = v, .run = run};
	int ret = 0;

	switch (q->kind) {
	case VERIFY_ALL:
	case VERIFY_SAMPLE:
		ret = catalog_tape_list(cat, NULL, -1, plan_tape, &p);
		break;
	case VERIFY_UNVERIFIED:
		p.check_tape = 1;
		ret = catalog_copies_unverified(cat, plan_copy, &p);
		break;
	case VERIFY_DUE: /* tasks in the order their oldest copy came */
		p.check_tape = 1;
		ret = catalog_copies_due(cat, q->before, plan_copy, &p);
		break;
	case VERIFY_TAPE:
		ret = plan_labels(&p, q, why, whylen);
		if (p.refused)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (p.err)
		ret = p.err;
	if (ret < 0) {
		snprintf(why, whylen, "catalog: %s", strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < run->ntasks; i++)
		qsort(run->tasks[i].items, run->tasks[i].n,
		      sizeof(struct vitem), cmp_item);
	if (run->ntasks > 1 && q->kind != VERIFY_DUE)
		qsort(run->tasks, run->ntasks, sizeof(struct vtask), cmp_task);
	return 0;
}
