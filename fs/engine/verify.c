/* fs/engine/verify.c - the verify engine: a request becomes a run, a run becomes
 * one scheduler job per tape, a job walks the archives of its tape and
 * hashes every member as it streams (fs/engine/verify.h says what a user sees).
 *
 * Memory: a run holds its plan (the copies of each tape) and live totals;
 * member lists come from the catalog in pages of VERIFY_PAGE, so an
 * archive of millions of members never sits in memory; member data only
 * streams through the hash.
 *
 * Lifetime: struct verify is reference counted: the mount holds one
 * reference (dropped by verify_stop()) and every job accepted by the
 * scheduler holds one until its done callback. verify_stop() comes before
 * sched_stop(), so jobs still queued then are completed later (with
 * -ECANCELED, or run and return at once); they must find their memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/tapefs.h"
#include "fs/engine/verify.h"
#include "tapeio/md5.h"
#include "tapeio/sched.h"
#include "tapeio/tarr.h"

/* Tests define smaller ones to cross page and batch boundaries. */
#ifndef VERIFY_PAGE
#define VERIFY_PAGE 1024      /* catalog members fetched at a time */
#endif
#ifndef VERIFY_BATCH
#define VERIFY_BATCH 1024     /* results stored per transaction */
#endif
#define VERIFY_REPORT (1u << 20) /* bytes between progress reports */
#define VERIFY_LINE_MAX 4096  /* longest request line accepted */
#define VERIFY_LABELS_MAX 256 /* labels one `tape` request may name */

/* One archive copy to verify: the catalog's copy and its block size. */
struct vitem {
	struct catalog_copy c;
	uint32_t block_size;
};

/* A regular file of an archive, as the catalog holds it. */
struct vmember {
	int64_t id;
	uint64_t header_offset, size;
	char md5[MD5_HEX_SIZE];
	char path[1024]; /* to compare with the name on tape */
	int path_long;   /* path was longer: compare the first bytes */
};

struct verify;
struct vrun;

/* One tape of a run: a scheduler job over its copies in file order. */
struct vtask {
	struct sched_job job; /* job.arg points back here */
	struct verify *v;
	struct vrun *run;
	char barcode[40];
	struct vitem *items;
	size_t n, cap, next; /* next: the first copy not done yet */
	uint64_t bytes;      /* sum of the copies' sizes */
	uint64_t pos;        /* bytes of them covered (progress) */
	uint64_t rng;        /* the sample's random state */
	int requeue;         /* gave the drive up: submit again */
};

/* Time and bytes one drive spent on a run. */
struct vdrive {
	int used;
	uint64_t bytes;
	double seconds;
};

struct vrun {
	int64_t id;
	enum verify_kind kind;
	int pct;
	char request[256];
	time_t started, ended;
	double t0, ended_mono;
	enum catalog_run_state state; /* once finalized */
	int cancelled;                /* atomic: `cancel` was written */
	int finalized;                /* its end was (being) stored */
	int aborted;                  /* a job stopped before its end */
	struct vtask *tasks;
	size_t ntasks, cap_tasks;
	size_t tasks_left; /* jobs not done yet, +1 while submitting */
	uint64_t tapes_planned, tapes_done, archives, members, bytes;
	uint64_t ok, bad, unreadable;
	uint64_t bytes_planned, progress;
	struct vdrive drive[SCHED_DRIVES_MAX];
	char errors[512]; /* tapes that could not be verified */
};

struct verify {
	struct tapefs *fs;
	/* lock guards every field below, and the counters of every run and
	 * task (the fields a job updates while others read them). Never
	 * held across a catalog or tape call, except the cheap in-memory
	 * work of the namespace accessors. Taken after no other lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* running, planning or a run changed */
	int refs;     /* the mount's + one per job the scheduler holds */
	int stopping; /* verify_stop() began (read atomically by jobs) */
	int running;  /* jobs inside their run callback */
	int planning; /* a request is building its plan */
	struct vrun *run; /* the current run, NULL when idle */
	char reason[320]; /* why the last request was refused */
	char refused[128]; /* that request, printable and cut short */
	time_t refused_at;
	uint64_t rng;
};

const char verify_grammar[] =
	"requests (one line written to .verify):\n"
	"  all              verify every copy of every archive\n"
	"  tape LABEL...    verify every copy on these tapes\n"
	"  unverified       verify the copies never verified OK\n"
	"  sample PCT       read back PCT% (1-100) of the files of every\n"
	"                   archive copy, chosen at random, at least one each\n"
	"  cancel           stop the running verification\n";

/* ---- small helpers ------------------------------------------------------ */

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: the sample's random choice; not for secrets. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static uint64_t rng_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s) || !s)
		s = (uint64_t)time(NULL) * 2654435761ULL + 1;
	return s;
}

static void set_reason(struct verify *v, const char *req, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));
/* Keep why a request was refused (lock held by the caller). */
static void set_reason(struct verify *v, const char *req, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	/* the request as written, printable and short */
	for (i = 0; req[i] && i < sizeof(v->refused) - 4; i++)
		v->refused[i] = (req[i] >= 0x20 && req[i] < 0x7f) ? req[i] : '?';
	if (req[i])
		memcpy(v->refused + i, "...", 4);
	else
		v->refused[i] = 0;
	v->refused_at = time(NULL);
}

/* ---- request parsing ------------------------------------------------------ */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Split line into words (in place in buf). Returns the count or -1 when
 * there are more than max. */
static int split_words(char *buf, char **w, int max)
{
	int n = 0;
	char *p = buf;

	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			return n;
		if (n == max)
			return -1;
		w[n++] = p;
		while (*p && !is_blank(*p))
			p++;
		if (*p)
			*p++ = 0;
	}
}

static int parse_pct(const char *s, int *out)
{
	int v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (v < 1 || v > 100)
		return -ERANGE;
	*out = v;
	return 0;
}

/* The labels of `tape LABEL...`, without repeats. */
static int parse_labels(char **w, int n, struct verify_req *q, char *why,
			size_t whylen)
{
	if (n < 1) {
		snprintf(why, whylen, "'tape' needs at least one label");
		return -EINVAL;
	}
	q->kind = VERIFY_TAPE;
	for (int i = 0; i < n; i++) {
		int dup = 0;

		if (strlen(w[i]) >= sizeof(q->labels[0])) {
			snprintf(why, whylen,
				 "unknown label '%.40s...' (too long)", w[i]);
			return -EINVAL;
		}
		for (int j = 0; j < q->nlabels; j++)
			dup |= !strcmp(q->labels[j], w[i]);
		if (!dup)
			strcpy(q->labels[q->nlabels++], w[i]);
	}
	return 0;
}

int verify_parse(const char *line, struct verify_req *q, char *why,
		 size_t whylen)
{
	char *buf = NULL, **w = NULL;
	size_t len = strlen(line);
	int n, ret = -EINVAL;

	memset(q, 0, sizeof(*q));
	if (len > VERIFY_LINE_MAX) {
		snprintf(why, whylen, "request too long (%zu bytes)", len);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && !is_blank((char)c)) || c == 0x7f) {
			snprintf(why, whylen,
				 "request holds a control character (byte %zu)",
				 i);
			return -EINVAL;
		}
	}
	buf = strdup(line);
	w = calloc(VERIFY_LABELS_MAX + 2, sizeof(*w));
	if (!buf || !w) {
		ret = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out_free;
	}
	n = split_words(buf, w, VERIFY_LABELS_MAX + 1);
	if (n == 0) {
		snprintf(why, whylen, "empty request");
		goto out_free;
	}
	if (n < 0) {
		snprintf(why, whylen, "too many words (at most %d labels)",
			 VERIFY_LABELS_MAX);
		goto out_free;
	}
	if (!strcmp(w[0], "all") || !strcmp(w[0], "unverified") ||
	    !strcmp(w[0], "cancel")) {
		if (n > 1) {
			snprintf(why, whylen, "'%s' takes no argument", w[0]);
			goto out_free;
		}
		q->kind = w[0][0] == 'a' ? VERIFY_ALL
			: w[0][0] == 'u' ? VERIFY_UNVERIFIED : VERIFY_CANCEL;
	} else if (!strcmp(w[0], "sample")) {
		if (n != 2) {
			snprintf(why, whylen,
				 "'sample' takes one number, a percentage 1-100");
			goto out_free;
		}
		if (parse_pct(w[1], &q->pct)) {
			snprintf(why, whylen,
				 "sample: '%.16s%s' is not a percentage 1-100",
				 w[1], strlen(w[1]) > 16 ? "..." : "");
			goto out_free;
		}
		q->kind = VERIFY_SAMPLE;
	} else if (!strcmp(w[0], "tape")) {
		if (parse_labels(w + 1, n - 1, q, why, whylen))
			goto out_free;
	} else {
		snprintf(why, whylen, "unknown request '%.40s%s'", w[0],
			 strlen(w[0]) > 40 ? "..." : "");
		goto out_free;
	}
	ret = 0;
out_free:
	free(w);
	free(buf);
	return ret;
}

/* ---- the plan: copies grouped by tape ------------------------------------ */

struct plan {
	struct verify *v;
	struct vrun *run;
	int err;
	int check_tape;    /* copies come from any tape: skip retired ones */
	char tape[40];     /* the last tape looked up ... */
	int tape_retired;  /* ... and whether it is retired */
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

/* Fill run->tasks for request q. Returns 0, -EINVAL (reason in why),
 * -ENOMEM, -EIO. */
static int plan_build(struct verify *v, struct vrun *run,
		      const struct verify_req *q, char *why, size_t whylen)
{
	struct catalog *cat = v->fs->cat;
	struct plan p = { .v = v, .run = run };
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
	case VERIFY_TAPE:
		for (int i = 0; i < q->nlabels && !ret; i++) {
			struct catalog_tape t;

			ret = catalog_tape_get(cat, q->labels[i], &t);
			if (ret == -ENOENT) {
				snprintf(why, whylen, "unknown label '%s'",
					 q->labels[i]);
				return -EINVAL;
			}
			if (!ret && t.state == CATALOG_TAPE_RETIRED) {
				snprintf(why, whylen,
					 "tape '%s' is retired: never read",
					 q->labels[i]);
				return -EINVAL;
			}
			if (!ret)
				ret = catalog_tape_copies(cat, q->labels[i],
							  plan_copy, &p);
		}
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
	if (run->ntasks > 1)
		qsort(run->tasks, run->ntasks, sizeof(struct vtask), cmp_task);
	return 0;
}

/* ---- runs: totals, end, free ------------------------------------------ */

static void run_free(struct vrun *run)
{
	if (!run)
		return;
	for (size_t i = 0; i < run->ntasks; i++)
		free(run->tasks[i].items);
	free(run->tasks);
	free(run);
}

/* Totals and the detail text of run (lock held). */
static void run_totals(struct verify *v, struct vrun *run,
		       struct catalog_run_totals *t, char *detail, size_t len)
{
	size_t off = 0;

	(void)v;
	memset(t, 0, sizeof(*t));
	t->tapes = run->tapes_done;
	t->archives = run->archives;
	t->members = run->members;
	t->bytes = run->bytes;
	t->ok = run->ok;
	t->bad = run->bad;
	t->unreadable = run->unreadable;
	t->seconds = (run->ended_mono ? run->ended_mono : now_mono()) -
		     run->t0;
	detail[0] = 0;
	for (int d = 0; d < SCHED_DRIVES_MAX && off < len; d++) {
		const struct vdrive *dr = &run->drive[d];

		if (!dr->used)
			continue;
		off += (size_t)snprintf(detail + off, len - off,
					"drive%d: %.1f MB/s %" PRIu64
					" bytes %.1f s\n",
					d, dr->seconds > 0 ?
					(double)dr->bytes / 1e6 / dr->seconds : 0.0,
					dr->bytes, dr->seconds);
	}
	if (run->cancelled && off < len)
		off += (size_t)snprintf(detail + off, len - off,
					"note: cancelled by request\n");
	if (run->errors[0] && off < len)
		snprintf(detail + off, len - off, "%s", run->errors);
}

/* Store the run's end in the catalog (called once per run: by the last
 * job's done callback or by verify_stop()). */
static void run_finish(struct verify *v, struct vrun *run, int interrupted)
{
	struct catalog_run_totals t;
	char detail[1024];
	enum catalog_run_state st;
	int ret;

	pthread_mutex_lock(&v->lock);
	run->ended_mono = now_mono();
	run->ended = time(NULL);
	st = interrupted || run->cancelled || run->aborted || v->stopping
		? CATALOG_RUN_INTERRUPTED : CATALOG_RUN_DONE;
	run->state = st;
	run_totals(v, run, &t, detail, sizeof(detail));
	pthread_mutex_unlock(&v->lock);
	ret = catalog_run_update(v->fs->cat, run->id, st, &t, detail);
	if (ret)
		tapefs_error(v->fs, "verify: run %" PRId64 ": catalog: %s",
			     run->id, strerror(-ret));
}

static void verify_unref_locked(struct verify *v, int *free_it)
{
	*free_it = --v->refs == 0;
}

static void verify_free(struct verify *v)
{
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* ---- results ------------------------------------------------------------ */

/* The results of one copy, stored in batches. */
struct vcopy {
	struct vtask *t;
	const struct vitem *it;
	struct tape *tape;
	int drive;
	struct catalog_result_in in[VERIFY_BATCH];
	char md5[VERIFY_BATCH][MD5_HEX_SIZE];
	size_t nin;
	uint64_t ok, bad, unreadable;
	uint64_t pos;          /* archive bytes covered (progress) */
	uint64_t reported;     /* pos at the last report */
	int err;               /* a catalog error stops the copy */
};

static int stop_asked(struct verify *v, struct vrun *run)
{
	return __atomic_load_n(&v->stopping, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&run->cancelled, __ATOMIC_RELAXED) ||
	       sched_stopping(v->fs->sched);
}

static int flush_results(struct vcopy *vc)
{
	struct verify *v = vc->t->v;
	int ret;

	if (!vc->nin)
		return 0;
	ret = catalog_run_results_add(v->fs->cat, vc->t->run->id, vc->in,
				      vc->nin);
	vc->nin = 0;
	if (ret) {
		tapefs_error(v->fs, "verify: run %" PRId64 ": storing results: %s",
			     vc->t->run->id, strerror(-ret));
		vc->err = ret;
	}
	return ret;
}

/* Progress of the copy: pos bytes of it covered. */
static void report(struct vcopy *vc, uint64_t pos, int force)
{
	struct vtask *t = vc->t;
	struct verify *v = t->v;

	if (pos < vc->pos)
		pos = vc->pos;
	if (!force && pos - vc->reported < VERIFY_REPORT)
		return;
	pthread_mutex_lock(&v->lock);
	t->run->progress += pos - vc->pos;
	t->pos += pos - vc->pos;
	pthread_mutex_unlock(&v->lock);
	vc->pos = pos;
	vc->reported = pos;
	sched_drive_report(v->fs->sched, vc->drive, SCHED_DRIVE_READING,
			   (long)vc->it->c.fileno, -1, t->pos, t->bytes);
}

static int add_result(struct vcopy *vc, int64_t member_id,
		      enum catalog_result r, const char *md5, uint64_t bytes)
{
	struct vrun *run = vc->t->run;
	struct verify *v = vc->t->v;
	size_t i = vc->nin;

	vc->in[i].copy_id = vc->it->c.id;
	vc->in[i].member_id = member_id;
	vc->in[i].result = r;
	snprintf(vc->md5[i], MD5_HEX_SIZE, "%s", md5 ? md5 : "");
	vc->in[i].md5 = vc->md5[i][0] ? vc->md5[i] : NULL;
	vc->nin++;
	pthread_mutex_lock(&v->lock);
	run->members++;
	run->bytes += bytes;
	run->drive[vc->drive].bytes += bytes;
	if (r == CATALOG_RESULT_OK)
		run->ok++;
	else if (r == CATALOG_RESULT_BAD)
		run->bad++;
	else
		run->unreadable++;
	pthread_mutex_unlock(&v->lock);
	if (r == CATALOG_RESULT_OK)
		vc->ok++;
	else if (r == CATALOG_RESULT_BAD)
		vc->bad++;
	else
		vc->unreadable++;
	if (vc->nin == VERIFY_BATCH)
		return flush_results(vc);
	return 0;
}

/* ---- member pages from the catalog ------------------------------------ */

/* The regular files of one archive in tape order, a page at a time. */
struct vpage {
	struct vmember m[VERIFY_PAGE];
	size_t n, i;
	int64_t next_ordinal; /* where the next page starts */
	int eof;
};

static int page_fill_one(void *ctx, const struct catalog_member *m)
{
	struct vpage *pg = ctx;
	struct vmember *d;

	pg->next_ordinal = m->ordinal + 1;
	if (m->type != CATALOG_FILE)
		return pg->n == VERIFY_PAGE ? 1 : 0;
	d = &pg->m[pg->n++];
	d->id = m->id;
	d->header_offset = m->header_offset;
	d->size = m->size;
	snprintf(d->md5, sizeof(d->md5), "%s", m->md5);
	snprintf(d->path, sizeof(d->path), "%s", m->path ? m->path : "");
	d->path_long = m->path && strlen(m->path) >= sizeof(d->path);
	return pg->n == VERIFY_PAGE ? 1 : 0;
}

/* The current member, fetching the next page when needed; NULL at the
 * end. *err gets a catalog error. */
static struct vmember *page_cur(struct catalog *cat, int64_t archive,
				struct vpage *pg, int *err)
{
	int ret;

	while (pg->i == pg->n) {
		if (pg->eof)
			return NULL;
		pg->n = pg->i = 0;
		ret = catalog_archive_members(cat, archive, pg->next_ordinal,
					      page_fill_one, pg);
		if (ret < 0) {
			*err = ret;
			pg->eof = 1;
			return NULL;
		}
		if (ret == 0)
			pg->eof = 1;
	}
	return &pg->m[pg->i];
}

/* ---- reading from tape ---------------------------------------------------- */

struct vsink {
	struct vcopy *vc;
	uint64_t base; /* archive offset of the member's data */
	uint64_t done; /* data bytes hashed */
	uint64_t last; /* done at the last report */
};

static int hash_sink(void *arg, const void *buf, size_t len)
{
	struct vsink *s = arg;

	(void)buf;
	s->done += len;
	if (stop_asked(s->vc->t->v, s->vc->t->run))
		return -ECANCELED;
	if (s->done - s->last >= VERIFY_REPORT) {
		s->last = s->done;
		report(s->vc, s->base + s->done, 1);
	}
	return 0;
}

/* Does the name read from tape name the member the catalog holds? */
static int name_matches(const struct vmember *m, const char *name)
{
	if (!name)
		return 0;
	if (m->path_long)
		return !strncmp(name, m->path, sizeof(m->path) - 1);
	return !strcmp(name, m->path);
}

/* Read member m alone by locating to its block. Returns 0 (a result was
 * recorded) or -ECANCELED / a catalog error. */
static int check_by_locate(struct vcopy *vc, const struct vmember *m)
{
	struct tar_member tm;
	struct vsink s = { .vc = vc, .base = m->header_offset };
	enum catalog_result r;
	int ret;

	memset(&tm, 0, sizeof(tm));
	ret = tarr_read_member(vc->tape, vc->it->c.start_lblock,
			       m->header_offset, vc->it->block_size, m->md5,
			       hash_sink, &s, &tm);
	if (ret == -ECANCELED) {
		tar_member_clear(&tm);
		return ret;
	}
	if (ret == 0 && name_matches(m, tm.name))
		r = CATALOG_RESULT_OK;
	else if (ret == 0 || ret == -EBADMSG || ret == -EINVAL)
		r = CATALOG_RESULT_BAD;
	else
		r = CATALOG_RESULT_UNREADABLE;
	ret = add_result(vc, m->id, r, r == CATALOG_RESULT_UNREADABLE ? NULL
				       : tm.md5, s.done);
	tar_member_clear(&tm);
	report(vc, m->header_offset + m->size, 0);
	return ret;
}

/* After the walk lost its way (a record could not be read, a corrupt
 * header): every member not checked yet is read by locating to it, so
 * only the members that span the fault fail. */
static int resync(struct vcopy *vc, struct vpage *pg)
{
	struct catalog *cat = vc->t->v->fs->cat;
	const struct vmember *m;
	int ret = 0, err = 0;

	while ((m = page_cur(cat, vc->it->c.archive, pg, &err))) {
		if (stop_asked(vc->t->v, vc->t->run))
			return -ECANCELED;
		ret = check_by_locate(vc, m);
		if (ret)
			return ret;
		pg->i++;
	}
	return err;
}

/* Walk the whole archive: the normal `all` path. */
static int walk_copy(struct vcopy *vc)
{
	struct catalog *cat = vc->t->v->fs->cat;
	struct vpage *pg = calloc(1, sizeof(*pg));
	struct tarr *r = NULL;
	struct tar_member tm;
	struct vmember *m;
	int ret, err = 0;

	memset(&tm, 0, sizeof(tm));
	if (!pg)
		return -ENOMEM;
	ret = tarr_open(&r, vc->tape, vc->it->block_size);
	if (ret)
		goto out_free;
	for (;;) {
		if (stop_asked(vc->t->v, vc->t->run)) {
			ret = -ECANCELED;
			break;
		}
		tar_member_clear(&tm);
		ret = tarr_next(r, &tm);
		if (ret == 0)
			break;
		if (ret < 0) {
			ret = resync(vc, pg);
			goto out_free;
		}
		/* catalog members the tape skipped over are missing */
		while ((m = page_cur(cat, vc->it->c.archive, pg, &err)) &&
		       m->header_offset < tm.header_offset) {
			ret = add_result(vc, m->id, CATALOG_RESULT_BAD, NULL, 0);
			if (ret)
				goto out_free;
			pg->i++;
		}
		if (err) {
			ret = err;
			goto out_free;
		}
		if (!m || m->header_offset != tm.header_offset ||
		    tm.type != TAR_FILE)
			continue; /* not a file the catalog checks */
		struct vsink s = { .vc = vc, .base = tm.data_offset };

		ret = tarr_data(r, &tm, hash_sink, &s);
		if (ret == -ECANCELED)
			goto out_free;
		if (ret == 0) {
			int good = !strcmp(tm.md5, m->md5) &&
				   name_matches(m, tm.name);
			ret = add_result(vc, m->id, good ? CATALOG_RESULT_OK
						   : CATALOG_RESULT_BAD,
					 tm.md5, s.done);
			pg->i++;
			if (ret)
				goto out_free;
			report(vc, tm.data_offset + tm.size, 0);
			continue;
		}
		/* -EIO: unreadable; -EINVAL: corrupt there. The walk cannot
		 * go on: read the rest one by one. */
		ret = add_result(vc, m->id, ret == -EIO ? CATALOG_RESULT_UNREADABLE
						       : CATALOG_RESULT_BAD,
				 NULL, s.done);
		pg->i++;
		if (!ret)
			ret = resync(vc, pg);
		goto out_free;
	}
	if (ret == 0) {
		/* the archive ended: what the catalog still lists is missing */
		while ((m = page_cur(cat, vc->it->c.archive, pg, &err))) {
			ret = add_result(vc, m->id, CATALOG_RESULT_BAD, NULL, 0);
			if (ret)
				break;
			pg->i++;
		}
		if (!ret)
			ret = err;
	}
out_free:
	tar_member_clear(&tm);
	tarr_free(r);
	free(pg);
	return ret;
}

/* Count the regular files of an archive (the sample's population). */
static int count_files(struct catalog *cat, int64_t archive, uint64_t *n)
{
	struct vpage *pg = calloc(1, sizeof(*pg));
	int err = 0;

	if (!pg)
		return -ENOMEM;
	*n = 0;
	while (page_cur(cat, archive, pg, &err)) {
		*n += pg->n;
		pg->i = pg->n;
	}
	free(pg);
	return err;
}

/* `sample PCT`: k = PCT% of the files (rounded, at least one), chosen by
 * selection sampling in one pass in tape order, each read by locating to
 * it: nothing else of the archive is read. */
static int sample_copy(struct vcopy *vc)
{
	struct catalog *cat = vc->t->v->fs->cat;
	struct vpage *pg;
	const struct vmember *m;
	uint64_t n, k, seen = 0, chosen = 0;
	int ret, err = 0;

	ret = count_files(cat, vc->it->c.archive, &n);
	if (ret || n == 0)
		return ret;
	k = (n * (uint64_t)vc->t->run->pct + 50) / 100;
	if (k < 1)
		k = 1;
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return -ENOMEM;
	while (chosen < k && (m = page_cur(cat, vc->it->c.archive, pg, &err))) {
		if (rng_next(&vc->t->rng) % (n - seen) < k - chosen) {
			if (stop_asked(vc->t->v, vc->t->run)) {
				ret = -ECANCELED;
				break;
			}
			ret = check_by_locate(vc, m);
			if (ret)
				break;
			chosen++;
		}
		seen++;
		pg->i++;
	}
	if (!ret)
		ret = err;
	free(pg);
	return ret;
}

/* Verify one archive copy on the loaded tape. Returns 0, -ECANCELED, or a
 * catalog error (results so far are stored either way). */
static int verify_copy(struct vtask *t, const struct vitem *it,
		       struct tape *tape, int drive)
{
	struct verify *v = t->v;
	struct vcopy *vc = calloc(1, sizeof(*vc));
	uint64_t here = UINT64_MAX;
	enum catalog_result cr;
	int ret;

	if (!vc)
		return -ENOMEM;
	vc->t = t;
	vc->it = it;
	vc->tape = tape;
	vc->drive = drive;
	if (t->run->kind == VERIFY_SAMPLE) {
		ret = sample_copy(vc);
	} else {
		if (tape_tell(tape, &here) || here != it->c.start_lblock) {
			sched_drive_report(v->fs->sched, drive,
					   SCHED_DRIVE_LOCATING,
					   (long)it->c.fileno, 0, t->pos,
					   t->bytes);
			ret = tape_locate(tape, it->c.start_lblock);
			/* a failed locate: each member read alone fails
			 * or succeeds on its own */
			if (ret)
				tapefs_error(v->fs,
					     "verify: %s file %" PRId64
					     ": locate: %s", t->barcode,
					     it->c.fileno, strerror(-ret));
		}
		ret = walk_copy(vc);
	}
	if (!vc->err && flush_results(vc) && !ret)
		ret = vc->err;
	if (ret == 0) {
		cr = vc->bad ? CATALOG_RESULT_BAD
		     : vc->unreadable ? CATALOG_RESULT_UNREADABLE
				      : CATALOG_RESULT_OK;
		/* a sample that found nothing wrong proves the copy no more
		 * than the members it read: only faults are recorded */
		if (t->run->kind != VERIFY_SAMPLE || cr != CATALOG_RESULT_OK) {
			ret = catalog_copy_verified(v->fs->cat, it->c.id, cr);
			if (ret)
				tapefs_error(v->fs, "verify: copy %" PRId64
					     ": catalog: %s", it->c.id,
					     strerror(-ret));
		}
		report(vc, it->c.size, 1);
		pthread_mutex_lock(&v->lock);
		t->run->archives++;
		pthread_mutex_unlock(&v->lock);
	}
	free(vc);
	return ret;
}

/* ---- scheduler jobs ----------------------------------------------------- */

static void run_add_error(struct vrun *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void run_add_error(struct vrun *run, const char *fmt, ...)
{
	size_t off = strlen(run->errors);
	va_list ap;

	if (off + 2 >= sizeof(run->errors))
		return;
	va_start(ap, fmt);
	vsnprintf(run->errors + off, sizeof(run->errors) - off - 1, fmt, ap);
	va_end(ap);
	off = strlen(run->errors);
	run->errors[off] = '\n';
	run->errors[off + 1] = 0;
}

static int task_run(struct sched_job *job, const struct sched_run *r)
{
	struct vtask *t = job->arg;
	struct verify *v = t->v;
	struct vrun *run = t->run;
	int drive = r->drive[0], ret = 0;
	size_t first = t->next;
	double t0;

	pthread_mutex_lock(&v->lock);
	if (v->stopping || run->cancelled) {
		pthread_mutex_unlock(&v->lock);
		return -ECANCELED;
	}
	v->running++;
	if (drive >= 0 && drive < SCHED_DRIVES_MAX)
		run->drive[drive].used = 1;
	pthread_mutex_unlock(&v->lock);
	t0 = now_mono();
	while (t->next < t->n) {
		/* between archives, and after at least one: give the drive
		 * to a recall or a dump that waits */
		if (t->next > first && sched_should_yield(v->fs->sched, drive)) {
			t->requeue = 1;
			break;
		}
		if (stop_asked(v, run)) {
			ret = -ECANCELED;
			break;
		}
		ret = verify_copy(t, &t->items[t->next], r->tape[0], drive);
		if (ret)
			break;
		t->next++;
	}
	pthread_mutex_lock(&v->lock);
	if (drive >= 0 && drive < SCHED_DRIVES_MAX)
		run->drive[drive].seconds += now_mono() - t0;
	v->running--;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* Called with v->lock held by a job (or the submitter) leaving run;
 * returns with it released. Finishes run outside the lock when finish,
 * frees it when free_run, drops the caller's reference to v and wakes the
 * waiters. Returns 1 when that was the last reference: the caller frees v. */
static int run_end_unlock(struct verify *v, struct vrun *run, int finish,
			  int free_run)
{
	int free_v;

	pthread_mutex_unlock(&v->lock);
	if (finish)
		run_finish(v, run, 0);
	pthread_mutex_lock(&v->lock);
	if (free_run) {
		if (v->run == run)
			v->run = NULL;
		run_free(run);
	}
	verify_unref_locked(v, &free_v);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return free_v;
}

/* The end of one tape's job: requeue after a yield, or count it done and
 * end the run after the last one. */
static void task_done(struct sched_job *job, int result)
{
	struct vtask *t = job->arg;
	struct verify *v = t->v;
	struct vrun *run = t->run;
	int finish = 0, free_run = 0;

	pthread_mutex_lock(&v->lock);
	if (result == 0 && t->requeue && !v->stopping && !run->cancelled) {
		t->requeue = 0;
		pthread_mutex_unlock(&v->lock);
		result = sched_submit(v->fs->sched, &t->job);
		if (result == 0)
			return; /* still ours: done comes again */
		pthread_mutex_lock(&v->lock);
	}
	if (result == -ECANCELED)
		run->aborted = 1;
	if (result == 0 && t->next == t->n)
		run->tapes_done++;
	else if (result && result != -ECANCELED)
		run_add_error(run, "error: tape %s: %s (%zu of %zu archives"
			      " verified)", t->barcode, strerror(-result),
			      t->next, t->n);
	if (--run->tasks_left == 0) {
		finish = !run->finalized;
		run->finalized = 1;
		free_run = 1;
	}
	if (run_end_unlock(v, run, finish, free_run))
		verify_free(v);
}

/* ---- the public API -------------------------------------------------------- */

int verify_start(struct tapefs *fs)
{
	struct verify *v;
	int ret;

	if (!fs || !fs->cat || !fs->sched)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->fs = fs;
	v->refs = 1;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->rng = rng_seed();
	ret = catalog_run_interrupt_stale(fs->cat);
	if (ret < 0) {
		verify_free(v);
		return ret;
	}
	fs->verify = v;
	return 0;
}

void verify_stop(struct tapefs *fs)
{
	struct verify *v;
	struct vrun *run = NULL;
	int free_v;

	if (!fs || !(v = fs->verify))
		return;
	pthread_mutex_lock(&v->lock);
	v->stopping = 1;
	while (v->running > 0 || v->planning)
		pthread_cond_wait(&v->cond, &v->lock);
	if (v->run && !v->run->finalized) {
		run = v->run;
		run->finalized = 1;
	}
	pthread_mutex_unlock(&v->lock);
	if (run)
		run_finish(v, run, 1);
	pthread_mutex_lock(&v->lock);
	fs->verify = NULL;
	verify_unref_locked(v, &free_v);
	pthread_mutex_unlock(&v->lock);
	if (free_v)
		verify_free(v);
}

static int request_cancel(struct verify *v, const char *line)
{
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (!v->run || v->run->finalized) {
		set_reason(v, line, "no verification is running");
		ret = -ESRCH;
	} else {
		__atomic_store_n(&v->run->cancelled, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* Queue every task of run; the run holds one extra count while this goes
 * on so that it cannot end before every job is queued. */
static void run_submit(struct verify *v, struct vrun *run)
{
	int finish = 0;

	for (size_t i = 0; i < run->ntasks; i++) {
		struct vtask *t = &run->tasks[i];
		int ret;

		t->v = v;
		t->run = run;
		t->rng = rng_next(&v->rng) | 1;
		t->job.prio = SCHED_PRIO_VERIFY;
		t->job.mode = TAPE_RDONLY;
		t->job.ntapes = 1;
		snprintf(t->job.barcode[0], sizeof(t->job.barcode[0]), "%.*s",
			 (int)sizeof(t->job.barcode[0]) - 1, t->barcode);
		t->job.run = task_run;
		t->job.done = task_done;
		t->job.arg = t;
		snprintf(t->job.desc, sizeof(t->job.desc),
			 "verify run %" PRId64 " %s", run->id, t->barcode);
		ret = sched_submit(v->fs->sched, &t->job);
		pthread_mutex_lock(&v->lock);
		if (ret) {
			char why[256] = "";

			sched_error(v->fs->sched, why, sizeof(why));
			run_add_error(run, "error: tape %s: %s%s%s", t->barcode,
				      strerror(-ret), why[0] ? ": " : "", why);
			run->tasks_left--;
			v->refs--;
		}
		pthread_mutex_unlock(&v->lock);
	}
	pthread_mutex_lock(&v->lock);
	if (--run->tasks_left == 0) {
		finish = 1;
		run->finalized = 1;
	}
	/* the mount's reference is held: never the last */
	(void)run_end_unlock(v, run, finish, finish);
}

int verify_request(struct verify *v, const char *line, int64_t *run_id)
{
	struct verify_req *q = NULL;
	struct vrun *run = NULL;
	char why[256];
	int ret;

	if (!v || !line)
		return -EINVAL;
	q = malloc(sizeof(*q));
	if (!q)
		return -ENOMEM;
	ret = verify_parse(line, q, why, sizeof(why));
	if (ret) {
		pthread_mutex_lock(&v->lock);
		set_reason(v, line, "%s", why);
		pthread_mutex_unlock(&v->lock);
		goto out_free;
	}
	if (q->kind == VERIFY_CANCEL) {
		ret = request_cancel(v, line);
		goto out_free;
	}
	pthread_mutex_lock(&v->lock);
	if (v->stopping) {
		ret = -ECANCELED;
	} else if (v->run || v->planning) {
		ret = -EBUSY;
		set_reason(v, line, "run %" PRId64 " is running: wait for it"
			   " to end, or write 'cancel'", v->run ? v->run->id : 0);
	} else {
		v->planning = 1;
	}
	pthread_mutex_unlock(&v->lock);
	if (ret)
		goto out_free;

	ret = -ENOMEM;
	run = calloc(1, sizeof(*run));
	if (!run)
		goto out_unplan;
	run->kind = q->kind;
	run->pct = q->pct;
	snprintf(run->request, sizeof(run->request), "%s", line);
	for (char *p = run->request; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = 0;
	ret = plan_build(v, run, q, why, sizeof(why));
	if (ret)
		goto out_refuse;
	ret = catalog_run_start(v->fs->cat, run->request, &run->id);
	if (ret) {
		snprintf(why, sizeof(why), "catalog: %s", strerror(-ret));
		goto out_refuse;
	}
	run->started = time(NULL);
	run->t0 = now_mono();
	run->tapes_planned = run->ntasks;
	run->tasks_left = run->ntasks + 1;
	pthread_mutex_lock(&v->lock);
	v->run = run;
	v->refs += (int)run->ntasks + 1;
	pthread_mutex_unlock(&v->lock);
	if (run_id)
		*run_id = run->id;
	run_submit(v, run);
	ret = 0;
	goto out_unplan; /* verify_stop() waits until every job is queued */
out_refuse:
	pthread_mutex_lock(&v->lock);
	set_reason(v, line, "%s", why);
	pthread_mutex_unlock(&v->lock);
	run_free(run);
out_unplan:
	pthread_mutex_lock(&v->lock);
	v->planning = 0;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
out_free:
	free(q);
	return ret;
}

/* ---- what the namespace shows (fs/ns/ns_verify.c renders it) --------------- */

int verify_progress(struct verify *v, struct verify_progress *out)
{
	struct catalog_run r;
	int64_t id;
	int ret;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&v->lock);
	if (v->run) {
		struct vrun *run = v->run;

		/* running until its end is in the catalog and it is gone */
		out->run_id = run->id;
		out->running = 1;
		snprintf(out->state, sizeof(out->state), "running");
		out->bytes_planned = run->bytes_planned;
		out->bytes_done = run->progress;
		out->percent = run->bytes_planned ?
			(int)(run->progress * 100 / run->bytes_planned) : 0;
		if (out->percent > 100)
			out->percent = 100;
		out->tapes_planned = run->tapes_planned;
		out->tapes_done = run->tapes_done;
		out->members_done = run->members;
		out->ok = run->ok;
		out->bad = run->bad;
		out->unreadable = run->unreadable;
		out->started = run->started;
		pthread_mutex_unlock(&v->lock);
		return 0;
	}
	pthread_mutex_unlock(&v->lock);
	id = catalog_run_latest(v->fs->cat);
	if (id < 0)
		return (int)id;
	if (id == 0) {
		snprintf(out->state, sizeof(out->state), "idle");
		return 0;
	}
	ret = catalog_run_get(v->fs->cat, id, &r);
	if (ret)
		return ret;
	out->run_id = r.id;
	snprintf(out->state, sizeof(out->state), "%s",
		 catalog_run_state_name(r.state));
	out->percent = r.state == CATALOG_RUN_DONE ? 100 : 0;
	out->bytes_planned = r.totals.bytes;
	out->bytes_done = r.totals.bytes;
	out->tapes_planned = r.totals.tapes;
	out->tapes_done = r.totals.tapes;
	out->members_done = r.totals.members;
	out->ok = r.totals.ok;
	out->bad = r.totals.bad;
	out->unreadable = r.totals.unreadable;
	out->started = r.started;
	out->ended = r.ended;
	return 0;
}

int verify_run_get(struct verify *v, int64_t run_id, struct catalog_run *out,
		   int *live)
{
	int ret = catalog_run_get(v->fs->cat, run_id, out);

	*live = 0;
	if (ret)
		return ret;
	pthread_mutex_lock(&v->lock);
	if (v->run && v->run->id == run_id) {
		struct vrun *run = v->run;

		*live = 1;
		out->state = CATALOG_RUN_RUNNING;
		run_totals(v, run, &out->totals, out->detail,
			   sizeof(out->detail));
		out->totals.tapes = run->tapes_done;
	}
	pthread_mutex_unlock(&v->lock);
	return 0;
}

int verify_run_live(struct verify *v, int64_t run_id, struct verify_live *out)
{
	int ret = -ENOENT;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&v->lock);
	if (v->run && v->run->id == run_id) {
		struct vrun *run = v->run;

		out->bytes_planned = run->bytes_planned;
		out->progress = run->progress;
		out->tapes_planned = run->tapes_planned;
		out->tapes_done = run->tapes_done;
		out->pct = run->pct;
		ret = 0;
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

int verify_run_has_tape(struct verify *v, int64_t run_id, const char *barcode)
{
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (v->run && v->run->id == run_id)
		for (size_t i = 0; i < v->run->ntasks && !ret; i++)
			ret = !strcmp(v->run->tasks[i].barcode, barcode);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

void verify_refusal(struct verify *v, char *req, size_t reqlen, char *why,
		    size_t whylen, time_t *when)
{
	pthread_mutex_lock(&v->lock);
	snprintf(req, reqlen, "%s", v->refused);
	snprintf(why, whylen, "%s", v->reason);
	*when = v->refused_at;
	pthread_mutex_unlock(&v->lock);
}

struct tapefs *verify_fs(struct verify *v)
{
	return v->fs;
}
