/* fs/ns/svg_lib.c - the library as the picture shows it
 * (fs/ns/svg_lib.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/library.h"
#include "fs/ns/svg_lib.h"

/* What the catalog and the error log say of the cartridge barcode. */
static void tape_fill(struct tapefs *fs, const struct svg_lib *l,
		      const char *barcode, struct svg_tape *t)
{
	struct catalog_tape ct;
	struct catalog_tape_summary sum;

	memset(t, 0, sizeof(*t));
	t->pool_idx = -1;
	snprintf(t->barcode, sizeof(t->barcode), "%s", barcode);
	if (!barcode[0] || !fs->cat ||
	    catalog_tape_get(fs->cat, barcode, &ct) != 0)
		return;
	t->known = 1;
	memcpy(t->pool, ct.pool, sizeof(t->pool));
	for (int i = 0; i < l->npools; i++)
		if (!strcmp(l->pools[i], ct.pool))
			t->pool_idx = i;
	t->state = ct.state;
	t->capacity = ct.capacity;
	t->used = ct.bytes_used;
	if (catalog_tape_summary(fs->cat, barcode, &sum) == 0)
		t->failed = sum.failed;
	t->refused = tapefs_tape_refused_when(fs, barcode);
	t->foreign = library_tape_unknown(fs->library, barcode);
}

static int take_drives(struct tapefs *fs, struct svg_lib *l)
{
	int n = sched_ndrives(fs->sched);

	l->drives = calloc(n > 0 ? (size_t)n : 1, sizeof(*l->drives));
	if (!l->drives)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct svg_drive *d = &l->drives[l->ndrives];

		if (sched_drive_status(fs->sched, sched_drive_id(fs->sched, i),
				       &d->st) != 0)
			continue;
		tape_fill(fs, l, d->st.barcode, &d->t);
		l->ndrives++;
	}
	return 0;
}

static int take_slots(struct tapefs *fs, struct svg_lib *l)
{
	int n = sched_nslots(fs->sched);
	struct sched_slot_info si;

	l->slots = calloc(n > 0 ? (size_t)n : 1, sizeof(*l->slots));
	if (!l->slots)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct svg_slot *s = &l->slots[i];

		s->slot = i + 1;
		s->drive = -1;
		if (sched_slot_info(fs->sched, i + 1, &si) != 0)
			continue;
		s->full = si.full;
		s->ie = si.ie;
		l->nie += si.ie;
		for (int d = 0; d < l->ndrives; d++)
			if (l->drives[d].st.home == s->slot) {
				s->drive = l->drives[d].st.drive;
				memcpy(s->barcode, l->drives[d].st.barcode,
				       sizeof(s->barcode));
			}
		if (s->full)
			tape_fill(fs, l, si.barcode, &s->t);
		else
			s->t.pool_idx = -1;
		l->unknown |= s->full && !s->t.known;
	}
	l->nslots = n;
	return 0;
}

/* Catalog tapes in no slot and no drive of the picture. */
static void take_outside(struct tapefs *fs, struct svg_lib *l)
{
	int64_t inside = 0;

	l->catalog_tapes = l->outside = -1;
	if (!fs->cat)
		return;
	l->catalog_tapes = catalog_tape_count(fs->cat, NULL, -1);
	if (l->catalog_tapes < 0)
		return;
	for (int i = 0; i < l->nslots; i++)
		inside += l->slots[i].full && l->slots[i].t.known;
	for (int i = 0; i < l->ndrives; i++)
		inside += l->drives[i].t.known;
	l->outside = l->catalog_tapes - inside;
	if (l->outside < 0)
		l->outside = 0;
}

int svg_lib_take(struct tapefs *fs, struct svg_lib *out)
{
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->now = time(NULL);
	for (int i = 0; i < fs->cfg.npools && i < TAPEFS_MAX_POOLS; i++) {
		snprintf(out->pools[i], sizeof(out->pools[i]), "%s",
			 fs->cfg.pools[i]);
		out->npools++;
	}
	if (fs->sched) {
		ret = take_drives(fs, out);
		if (!ret)
			ret = take_slots(fs, out);
	}
	for (int i = 0; i < out->ndrives; i++)
		out->unknown |=
		    out->drives[i].st.barcode[0] && !out->drives[i].t.known;
	take_outside(fs, out);
	return ret;
}

void svg_lib_release(struct svg_lib *l)
{
	free(l->slots);
	free(l->drives);
	l->slots = NULL;
	l->drives = NULL;
	l->nslots = l->ndrives = 0;
}
