/* fs/ns/status_snap.c - every engine's figures at one instant
 * (fs/ns/status_snap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ns/status_snap.h"

static int snap_drives(struct tapefs *fs, struct status_snap *s)
{
	int n;

	if (!fs->sched)
		return 0;
	n = sched_ndrives(fs->sched);
	s->drives = calloc(n > 0 ? (size_t)n : 1, sizeof(*s->drives));
	if (!s->drives)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (sched_drive_status(fs->sched, sched_drive_id(fs->sched, i),
				       &s->drives[s->ndrives]) == 0)
			s->ndrives++;
	s->drive_queue = sched_queued(fs->sched);
	s->have_sched = 1;
	return 0;
}

/* The pool called name, added (empty) when new; NULL on ENOMEM. */
static struct status_pool *pool_get(struct status_snap *s, const char *name,
				    int configured)
{
	struct status_pool *p;

	for (size_t i = 0; i < s->npools; i++)
		if (!strcmp(s->pools[i].name, name))
			return &s->pools[i];
	p = realloc(s->pools, (s->npools + 1) * sizeof(*p));
	if (!p)
		return NULL;
	s->pools = p;
	p = &s->pools[s->npools++];
	memset(p, 0, sizeof(*p));
	strncpy(p->name, name, sizeof(p->name) - 1);
	p->configured = configured;
	return p;
}

struct tape_walk {
	struct status_snap *s;
	int oom;
};

static int count_tape(void *ctx, const struct catalog_tape *t)
{
	struct tape_walk *w = ctx;
	struct status_pool *p = pool_get(w->s, t->pool, 0);
	unsigned st = (unsigned)t->state;

	if (!p) {
		w->oom = 1;
		return 1;
	}
	w->s->tapes_total++;
	p->total++;
	if (st < STATUS_TAPE_STATES) {
		w->s->tapes_by_state[st]++;
		p->by_state[st]++;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct status_pool *)a)->name,
		      ((const struct status_pool *)b)->name);
}

static int snap_tapes(struct tapefs *fs, struct status_snap *s)
{
	struct tape_walk w = {.s = s};
	size_t nconf;

	for (int i = 0; i < fs->cfg.npools; i++)
		if (!pool_get(s, fs->cfg.pools[i], 1))
			return -ENOMEM;
	nconf = s->npools;
	if (!fs->cat)
		return 0;
	if (catalog_tape_list(fs->cat, NULL, -1, count_tape, &w) == 0 && !w.oom)
		s->have_tapes = 1;
	if (s->npools > nconf)
		qsort(s->pools + nconf, s->npools - nconf, sizeof(*s->pools),
		      by_name);
	return w.oom ? -ENOMEM : 0;
}

static void snap_catalog(struct tapefs *fs, struct status_snap *s)
{
	int64_t clean;

	if (!fs->cat || catalog_dump_tally(fs->cat, &s->tally) < 0)
		return;
	clean = catalog_run_last_clean(fs->cat);
	if (clean < 0)
		return;
	s->verify_last_clean = clean;
	s->have_tally = 1;
}

static void snap_errors(struct tapefs *fs, struct status_snap *s)
{
	struct tapefs_errlog *log = &fs->errors;
	uint64_t first;

	pthread_mutex_lock(&log->lock);
	s->errors_total = log->count;
	first = log->count > TAPEFS_ERRORS_KEPT
		    ? log->count - TAPEFS_ERRORS_KEPT
		    : 0;
	for (uint64_t i = first; i < log->count; i++) {
		s->errors[s->nerrors].when =
		    log->last[i % TAPEFS_ERRORS_KEPT].when;
		memcpy(s->errors[s->nerrors].msg,
		       log->last[i % TAPEFS_ERRORS_KEPT].msg,
		       sizeof(s->errors[0].msg));
		s->nerrors++;
	}
	pthread_mutex_unlock(&log->lock);
}

int status_snap_take(struct tapefs *fs, struct status_snap *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	out->now = time(NULL);
	out->mounted = fs->mounted;
	ret = snap_drives(fs, out);
	if (fs->dump) {
		dump_stats(fs->dump, &out->dump);
		out->have_dump = 1;
	}
	snap_catalog(fs, out);
	if (fs->verify && verify_progress(fs->verify, &out->verify) == 0)
		out->have_verify = 1;
	if (fs->recall) {
		recall_stats(fs->recall, &out->recall);
		out->have_recall = 1;
	}
	if (!ret)
		ret = snap_tapes(fs, out);
	out->nunknown =
	    library_unknown(fs->library, out->unknown, STATUS_UNKNOWN_KEPT);
	snap_errors(fs, out);
	return ret;
}

void status_snap_release(struct status_snap *s)
{
	free(s->drives);
	free(s->pools);
	s->drives = NULL;
	s->pools = NULL;
	s->ndrives = 0;
	s->npools = 0;
}

void status_tapes_each(const char *list, status_tape_fn fn, void *ctx)
{
	char item[CHANGER_BARCODE_MAX + 24];

	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t n = end ? (size_t)(end - list) : strlen(list);
		char *colon, *num_end;
		long fileno = -1;

		if (n && n < sizeof(item)) {
			memcpy(item, list, n);
			item[n] = 0;
			colon = strrchr(item, ':');
			if (colon && colon[1]) {
				fileno = strtol(colon + 1, &num_end, 10);
				if (*num_end || fileno < 0)
					fileno = -1;
				else
					*colon = 0;
			}
			fn(ctx, item, fileno);
		}
		list = end ? end + 1 : NULL;
	}
}
