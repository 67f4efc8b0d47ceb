/* fs/engine/dump_write.c - one dump: a snapshot written as one archive to every
 * copy, then committed (fs/engine/dump.h, steps 2 to 4).
 *
 * Rounds: each round chooses a tape for every copy not yet on tape (as many
 * as there are drives in service), and runs them as one scheduler gang:
 * on its drives the job checks each tape (library_write_check(): its
 * label, nothing unknown at last_file + 1), positions each tape there
 * and runs the tar writer fanned out to all of them. After
 * the round, copies that are done stay done; a full tape is marked full
 * and its copy goes to the next tape of the pool in the next round; a
 * write error is retried on another tape; a changed source is dropped and
 * every copy is written again without it (all copies of an archive are
 * the same bytes, so a copy done with the old list is abandoned). The
 * commit follows when every copy is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

#define DUMP_ROUNDS_MAX 24 /* rounds before a dump gives up */
#define DUMP_TRIES_MAX 3   /* failed attempts of one copy (not "full") */

enum copy_outcome {
	COPY_NONE = 0,
	COPY_DONE,
	COPY_FULL,
	COPY_ERROR,
	COPY_REFUSED, /* the library's check refused the tape */
	COPY_ABORTED,
};

struct copy {
	int idx;
	const char *pool;
	int done;
	int tries;
	struct catalog_tape tape;
	int64_t fileno;
	uint64_t start_lblock, bytes;
	enum copy_outcome out;
	int journaled; /* its tape file is in the journal */
	int have_tape; /* tape chosen (kept across rounds unless it failed) */
	int err;
	char why[160];
};

struct gang {
	struct sched_job job;
	struct dump *d;
	int64_t dump_id;
	int n;
	struct copy *copy[SCHED_GANG_MAX];
	const struct tarw_source *src;
	size_t nsrc;
	uint32_t block_size;
	uint64_t total;
	/* Results (written by the job, read after done). */
	int ret;
	size_t changed;
	int why;
	struct tar_member *members;
	size_t nmembers;
	int result; /* what the scheduler's done got */
};

/* ---- on the drive ------------------------------------------------------- */

/* Check c's tape (the library's rule: its label is the catalog's, nothing
 * unknown at c->fileno) and position it there. */
static int copy_prepare(struct gang *g, struct copy *c, struct tape *t)
{
	struct dump *d = g->d;
	int ret;

	ret = library_write_check(d->fs, t, &c->tape, c->fileno, g->block_size,
				  c->why, sizeof(c->why));
	if (ret < 0) {
		c->out = ret == -EMEDIUMTYPE ? COPY_REFUSED : COPY_ERROR;
		return ret;
	}
	ret = tape_tell(t, &c->start_lblock);
	if (ret < 0) {
		snprintf(c->why, sizeof(c->why), "tape %s: position at file %lld: %s",
			 c->tape.barcode, (long long)c->fileno, strerror(-ret));
		c->out = COPY_ERROR;
		return ret;
	}
	{
		struct catalog_dump_tape dt;
		memset(&dt, 0, sizeof(dt));
		dt.copy = c->idx;
		snprintf(dt.barcode, sizeof(dt.barcode), "%s", c->tape.barcode);
		dt.fileno = c->fileno;
		dt.start_lblock = c->start_lblock;
		ret = catalog_dump_tape_add(d->fs->cat, g->dump_id, &dt);
		c->journaled = ret == 0;
		if (ret < 0) {
			snprintf(c->why, sizeof(c->why), "journal: %s",
				 strerror(-ret));
			c->out = COPY_ERROR;
			return ret;
		}
	}
	return 0;
}

static int members_take(struct gang *g, struct tarw *w)
{
	const struct tar_member *m;
	size_t n;

	m = tarw_members(w, &n);
	if (!m)
		return -EIO;
	g->members = calloc(n ? n : 1, sizeof(*g->members));
	if (!g->members)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (tar_member_copy(&g->members[i], &m[i]) < 0) {
			tar_members_free(g->members, i);
			g->members = NULL;
			return -ENOMEM;
		}
	g->nmembers = n;
	return 0;
}

static int gang_run(struct sched_job *job, const struct sched_run *r)
{
	struct gang *g = (struct gang *)job;
	struct dump *d = g->d;
	struct tape *tapes[SCHED_GANG_MAX];
	int which[SCHED_GANG_MAX], nok = 0, ret;
	struct tarw *w = NULL;
	struct tarw_opts o;

	for (int i = 0; i < r->n; i++) {
		struct copy *c = g->copy[i];
		sched_drive_report(r->s, r->drive[i], SCHED_DRIVE_LOCATING,
				   (long)c->fileno, -1, 0, g->total);
		if (copy_prepare(g, c, r->tape[i]) == 0) {
			tapes[nok] = r->tape[i];
			which[nok++] = i;
		}
	}
	if (!nok)
		return -EIO;
	memset(&o, 0, sizeof(o));
	o.block_size = g->block_size;
	ret = tarw_new(&w, tapes, nok, &o);
	if (ret < 0) {
		for (int k = 0; k < nok; k++) {
			g->copy[which[k]]->out = COPY_ERROR;
			snprintf(g->copy[which[k]]->why,
				 sizeof(g->copy[which[k]]->why), "writer: %s",
				 strerror(-ret));
		}
		return ret;
	}
	pthread_mutex_lock(&d->mu);
	if (d->stopping) {
		pthread_mutex_unlock(&d->mu);
		tarw_free(w);
		for (int k = 0; k < nok; k++)
			g->copy[which[k]]->out = COPY_ABORTED;
		return -ECANCELED;
	}
	d->cur_w = w;
	d->cur_ncopy = nok;
	for (int k = 0; k < nok; k++) {
		d->cur_drive[k] = r->drive[which[k]];
		d->cur_fileno[k] = (long)g->copy[which[k]]->fileno;
	}
	pthread_mutex_unlock(&d->mu);
	for (int k = 0; k < nok; k++)
		sched_drive_report(r->s, r->drive[which[k]], SCHED_DRIVE_WRITING,
				   d->cur_fileno[k], 0, 0, g->total);

	ret = tarw_run(w, g->src, g->nsrc);

	pthread_mutex_lock(&d->mu);
	d->cur_w = NULL;
	d->cur_ncopy = 0;
	pthread_mutex_unlock(&d->mu);
	g->ret = ret;
	if (ret == -ESTALE || ret == -EINVAL)
		g->changed = tarw_changed(w, &g->why);
	for (int k = 0; k < nok; k++) {
		const struct tarw_copy *tc = tarw_copy(w, k);
		struct copy *c = g->copy[which[k]];
		c->err = tc->err;
		switch (tc->state) {
		case TARW_COPY_DONE:
			c->out = COPY_DONE;
			c->start_lblock = tc->start_lblock;
			c->bytes = tc->bytes;
			break;
		case TARW_COPY_FULL:
			c->out = COPY_FULL;
			snprintf(c->why, sizeof(c->why),
				 "tape %s reached early warning", c->tape.barcode);
			break;
		case TARW_COPY_ERROR:
			c->out = COPY_ERROR;
			snprintf(c->why, sizeof(c->why), "tape %s: write: %s",
				 c->tape.barcode, strerror(-tc->err));
			sched_drive_fault(r->s, r->drive[which[k]], c->why);
			break;
		default:
			c->out = COPY_ABORTED;
			break;
		}
	}
	if (ret == 0 && members_take(g, w) < 0) {
		/* Without the member list the archive cannot be committed:
		 * treat it as a failed round. */
		for (int k = 0; k < nok; k++)
			g->copy[which[k]]->out = COPY_ERROR;
		ret = -ENOMEM;
	}
	tarw_free(w);
	return ret;
}

/* ---- on the engine thread ----------------------------------------------- */

/* While g waits or runs: report the writer's progress to the drives'
 * status; when the engine stops, cancel the writer, or give the job up
 * while it has none (queued, or not writing yet). */
static int gang_tick(void *arg)
{
	struct gang *g = arg;
	struct dump *d = g->d;
	struct sched *s = d->fs->sched;
	uint64_t low = UINT64_MAX;
	int give_up = 0;

	pthread_mutex_lock(&d->mu);
	if (d->stopping) {
		if (d->cur_w)
			tarw_cancel(d->cur_w);
		else
			give_up = 1;
	}
	for (int k = 0; d->cur_w && k < d->cur_ncopy; k++) {
		uint64_t b = tarw_progress(d->cur_w, k);
		sched_drive_report(s, d->cur_drive[k], SCHED_DRIVE_WRITING,
				   d->cur_fileno[k], (long)(b / g->block_size),
				   b, g->total);
		if (b < low)
			low = b;
	}
	if (d->cur_w && low != UINT64_MAX)
		d->cur_done = low;
	pthread_mutex_unlock(&d->mu);
	return give_up;
}

/* Bytes the archive of s will take on tape, roughly (headers, manifest,
 * end blocks), for choosing a tape with room and for progress. */
static uint64_t archive_estimate(const struct dump_snap *s, uint32_t bs)
{
	uint64_t b = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i].dropped)
			continue;
		b += 1536 + strlen(s->e[i].rel) * 2 + 200;
		if (S_ISREG(s->e[i].st.st_mode))
			b += ((uint64_t)s->e[i].st.st_size + 511) / 512 * 512;
	}
	b += 4096;
	return (b + bs - 1) / bs * bs;
}

/* Choose a tape of c's pool, not in ex. */
static int copy_choose(struct dump *d, struct copy *c, uint64_t need,
		       char (*ex)[40], size_t nex)
{
	const char *exp[64];
	size_t n = nex < 64 ? nex : 64;
	int ret;

	for (size_t i = 0; i < n; i++)
		exp[i] = ex[i];
	ret = catalog_tape_choose(d->fs->cat, c->pool, need, exp, n, &c->tape);
	if (ret == -ENOSPC) {
		/* New cartridges in the library? */
		library_import(d->fs);
		ret = catalog_tape_choose(d->fs->cat, c->pool, need, exp, n,
					  &c->tape);
	}
	if (ret < 0) {
		dump_error_set(d, "copy %d: no tape with %llu bytes free in pool %s: %s",
			       c->idx + 1, (unsigned long long)need, c->pool,
			       strerror(-ret));
		return ret;
	}
	if (c->tape.capacity && need > c->tape.capacity) {
		dump_error_set(d, "archive of %llu bytes is larger than tape %s (%llu bytes)",
			       (unsigned long long)need, c->tape.barcode,
			       (unsigned long long)c->tape.capacity);
		return -EFBIG;
	}
	c->fileno = c->tape.last_file + 1;
	return 0;
}

static enum catalog_type member_type(const struct tar_member *m)
{
	switch (m->type) {
	case TAR_DIR:
		return CATALOG_DIR;
	case TAR_SYMLINK:
		return CATALOG_SYMLINK;
	default:
		return CATALOG_FILE;
	}
}

static int commit(struct dump *d, int64_t dump_id, struct copy *copies,
		  int ncopies, const struct tar_member *m, size_t nm,
		  const struct dump_snap *s, const size_t *srcidx,
		  uint32_t bs, int64_t *archive_id)
{
	struct catalog_archive_in a;
	struct catalog_copy_in ci[SCHED_GANG_MAX];
	struct catalog_commit *c = NULL;
	int ret;

	memset(&a, 0, sizeof(a));
	a.bytes = copies[0].bytes;
	a.block_size = bs;
	for (int i = 0; i < ncopies; i++) {
		ci[i].barcode = copies[i].tape.barcode;
		ci[i].fileno = copies[i].fileno;
		ci[i].start_lblock = copies[i].start_lblock;
		ci[i].size = copies[i].bytes;
	}
	ret = catalog_commit_begin(d->fs->cat, dump_id, &a, ci,
				   (size_t)ncopies, &c);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < nm; i++) {
		struct catalog_member cm;
		const struct stat *st = &s->e[srcidx[i]].st;

		memset(&cm, 0, sizeof(cm));
		cm.path = m[i].name;
		cm.type = member_type(&m[i]);
		cm.size = m[i].size;
		cm.mode = (uint32_t)((st->st_mode & S_IFMT) | (m[i].mode & 07777));
		cm.uid = (uint32_t)m[i].uid;
		cm.gid = (uint32_t)m[i].gid;
		cm.mtime = m[i].mtime.tv_sec;
		cm.mtime_nsec = (int32_t)m[i].mtime.tv_nsec;
		snprintf(cm.md5, sizeof(cm.md5), "%s",
			 cm.type == CATALOG_FILE ? m[i].md5 : "");
		cm.link = m[i].link;
		cm.header_offset = m[i].header_offset;
		cm.data_offset = m[i].data_offset;
		ret = catalog_commit_member(c, &cm);
		if (ret < 0) {
			catalog_commit_abort(c);
			return ret;
		}
	}
	return catalog_commit_end(c, archive_id);
}

/* What the tapes of the current dump are, for status. */
static void tapes_note(struct dump *d, struct copy *copies, int ncopies)
{
	char buf[256];
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < ncopies && n < sizeof(buf); i++)
		if (copies[i].tape.barcode[0])
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%lld",
					      n ? "," : "", copies[i].tape.barcode,
					      (long long)copies[i].fileno);
	pthread_mutex_lock(&d->mu);
	snprintf(d->cur_tapes, sizeof(d->cur_tapes), "%s", buf);
	pthread_mutex_unlock(&d->mu);
}

/* Drop every entry whose lstat no longer matches the snapshot. Returns
 * how many were dropped. */
static size_t snap_drop_changed(struct dump *d, struct dump_snap *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct stat now;
		if (s->e[i].dropped)
			continue;
		if (fstatat(d->fs->staging_fd, s->e[i].rel, &now,
			    AT_SYMLINK_NOFOLLOW) < 0 ||
		    !dump_entry_same(&s->e[i].st, &now)) {
			s->e[i].dropped = 1;
			n++;
		}
	}
	return n;
}

/* Build the tarw sources of the entries not dropped. */
static int sources_make(struct dump *d, struct dump_snap *s,
			struct tarw_source **out, size_t **idx, size_t *n)
{
	struct tarw_source *src;
	size_t *ix, k = 0;
	const char *root = d->fs->cfg.staging;

	src = calloc(s->n ? s->n : 1, sizeof(*src));
	ix = calloc(s->n ? s->n : 1, sizeof(*ix));
	if (!src || !ix) {
		free(src);
		free(ix);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++) {
		char *p;
		if (s->e[i].dropped)
			continue;
		if (asprintf(&p, "%s/%s", root, s->e[i].rel) < 0) {
			for (size_t j = 0; j < k; j++)
				free((char *)src[j].path);
			free(src);
			free(ix);
			return -ENOMEM;
		}
		src[k].path = p;
		src[k].name = s->e[i].rel;
		src[k].st = s->e[i].st;
		ix[k++] = i;
	}
	*out = src;
	*idx = ix;
	*n = k;
	return 0;
}

static void sources_free(struct tarw_source *src, size_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)src[i].path);
	free(src);
	free(idx);
}

static int journal_create(struct dump *d, const struct dump_snap *s,
			  int64_t *id)
{
	struct catalog_dump_file *f;
	int ret;

	f = calloc(s->n ? s->n : 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		f[i].path = s->e[i].rel;
		f[i].size = S_ISREG(s->e[i].st.st_mode)
				    ? (uint64_t)s->e[i].st.st_size
				    : 0;
		f[i].mtime = s->e[i].st.st_mtim.tv_sec;
		f[i].mtime_nsec = (int32_t)s->e[i].st.st_mtim.tv_nsec;
	}
	ret = catalog_dump_create(d->fs->cat, f, s->n, id);
	free(f);
	return ret;
}

/* Tapes a copy may not take: those that failed during this dump (bad)
 * and those other copies hold. */
struct tape_set {
	char bc[64][40];
	size_t n;
};

static void set_add(struct tape_set *t, const char *bc)
{
	if (t->n < 64)
		snprintf(t->bc[t->n++], sizeof(t->bc[0]), "%s", bc);
}

/* One round: copies not done, at most `drives` of them, as one gang. A
 * copy keeps the tape it has unless that tape failed it. */
static int round_run(struct dump *d, int64_t dump_id, struct copy *copies,
		     int ncopies, struct tarw_source *src, size_t nsrc,
		     uint64_t need, const struct tape_set *bad, struct gang *g)
{
	int drives = sched_drives_in_service(d->fs->sched);
	int ret;

	memset(g, 0, sizeof(*g));
	if (drives < 1) {
		dump_error_set(d, "no drive in service");
		return -ENODEV;
	}
	for (int i = 0; i < ncopies && g->n < drives; i++) {
		struct copy *c = &copies[i];
		if (c->done)
			continue;
		if (!c->have_tape) {
			struct tape_set ex = *bad;
			for (int k = 0; k < ncopies; k++)
				if (k != i && copies[k].have_tape)
					set_add(&ex, copies[k].tape.barcode);
			ret = copy_choose(d, c, need, ex.bc, ex.n);
			if (ret < 0)
				return ret;
			/* "is this tape being written?" - the scheduler
			 * answers it for the operator's close and export */
			ret = sched_tape_reserve(d->fs->sched, c->tape.barcode);
			if (ret < 0)
				return ret;
			c->have_tape = 1;
		}
		c->out = COPY_NONE;
		c->journaled = 0;
		c->why[0] = 0;
		g->copy[g->n] = c;
		if (strlen(c->tape.barcode) >= sizeof(g->job.barcode[0])) {
			dump_error_set(d, "tape %s: barcode too long for the library",
				       c->tape.barcode);
			return -ENAMETOOLONG;
		}
		snprintf(g->job.barcode[g->n], sizeof(g->job.barcode[g->n]),
			 "%.35s", c->tape.barcode);
		g->n++;
	}
	tapes_note(d, copies, ncopies);
	g->d = d;
	g->dump_id = dump_id;
	g->src = src;
	g->nsrc = nsrc;
	g->block_size = d->fs->cfg.block_size ? d->fs->cfg.block_size
					      : TARW_BLOCK_SIZE;
	g->total = need;
	g->changed = (size_t)-1;
	g->job.prio = SCHED_PRIO_DUMP;
	g->job.mode = TAPE_RDWR;
	g->job.ntapes = g->n;
	g->job.run = gang_run;
	g->job.arg = g;
	snprintf(g->job.desc, sizeof(g->job.desc), "dump %lld",
		 (long long)dump_id);
	ret = sched_run_wait(d->fs->sched, &g->job, 250, gang_tick, g,
			     &g->result);
	if (ret < 0) {
		char why[320];
		sched_error(d->fs->sched, why, sizeof(why));
		dump_error_set(d, "dump %lld: %s", (long long)dump_id, why);
		return ret;
	}
	return 0;
}

/* The copy's tape failed it: never again in this dump. */
static void copy_drop_tape(struct dump *d, struct copy *c, struct tape_set *bad)
{
	set_add(bad, c->tape.barcode);
	sched_tape_release(d->fs->sched, c->tape.barcode);
	c->have_tape = 0;
}

/* The dump is done with its tapes. */
static void copies_release(struct dump *d, struct copy *copies, int ncopies)
{
	for (int i = 0; i < ncopies; i++)
		if (copies[i].have_tape) {
			sched_tape_release(d->fs->sched,
					   copies[i].tape.barcode);
			copies[i].have_tape = 0;
		}
}

static int copy_tried(struct dump *d, int64_t dump_id, struct copy *c,
		      const char *why, int err)
{
	if (++c->tries < DUMP_TRIES_MAX)
		return 0;
	dump_error_set(d, "dump %lld copy %d failed %d times, last: %s",
		       (long long)dump_id, c->idx + 1, c->tries, why);
	return err < 0 ? err : -EIO;
}

/* After a round: what each copy of the gang came to. Returns 0 to go
 * on, or -errno to give up. */
static int round_settle(struct dump *d, int64_t dump_id, struct gang *g,
			struct tape_set *bad)
{
	char why[400];
	int ret;

	for (int i = 0; i < g->n; i++) {
		struct copy *c = g->copy[i];

		if (c->out == COPY_DONE) {
			c->done = 1;
			continue;
		}
		if (c->journaled)
			catalog_dump_tape_abandon(d->fs->cat, dump_id,
						  c->tape.barcode, c->fileno);
		switch (c->out) {
		case COPY_FULL:
			catalog_tape_set_state(d->fs->cat, c->tape.barcode,
					       CATALOG_TAPE_FULL);
			tapefs_error(d->fs, "%s: marked full; copy %d of dump %lld goes to the next tape of pool %s",
				     c->why, c->idx + 1, (long long)dump_id,
				     c->pool);
			copy_drop_tape(d, c, bad);
			break;
		case COPY_REFUSED:
			catalog_tape_set_state(d->fs->cat, c->tape.barcode,
					       CATALOG_TAPE_CLOSED);
			tapefs_error(d->fs, "%s; tape closed", c->why);
			copy_drop_tape(d, c, bad);
			break;
		case COPY_ERROR:
			tapefs_error(d->fs, "dump %lld copy %d: %s",
				     (long long)dump_id, c->idx + 1, c->why);
			copy_drop_tape(d, c, bad);
			ret = copy_tried(d, dump_id, c, c->why, -EIO);
			if (ret)
				return ret;
			break;
		case COPY_NONE:
			/* The job never ran: a load or open failed. */
			if (g->result == -ECANCELED)
				return -ECANCELED;
			if (g->job.failed >= 0 && g->job.failed != i)
				break; /* another copy's tape: this one is fine */
			snprintf(why, sizeof(why), "tape %s: %s", c->tape.barcode,
				 g->result == -EROFS ? "write-protected"
						     : strerror(-g->result));
			if (g->job.failed == i) {
				if (g->result == -EROFS)
					catalog_tape_set_state(d->fs->cat,
							       c->tape.barcode,
							       CATALOG_TAPE_CLOSED);
				tapefs_error(d->fs, "dump %lld copy %d: %s%s",
					     (long long)dump_id, c->idx + 1, why,
					     g->result == -EROFS ? "; tape closed" : "");
				copy_drop_tape(d, c, bad);
			} else {
				tapefs_error(d->fs, "dump %lld copy %d: %s",
					     (long long)dump_id, c->idx + 1, why);
			}
			ret = copy_tried(d, dump_id, c, why, g->result);
			if (ret)
				return ret;
			break;
		default:
			break;
		}
	}
	return 0;
}

int dump_write(struct dump *d, struct dump_snap *s, int64_t *archive_id)
{
	struct tapefs *fs = d->fs;
	int ncopies = fs->cfg.copies;
	uint32_t bs = fs->cfg.block_size ? fs->cfg.block_size : TARW_BLOCK_SIZE;
	struct copy copies[SCHED_GANG_MAX];
	struct tar_member *members = NULL;
	size_t nmembers = 0;
	struct tarw_source *src = NULL;
	size_t *srcidx = NULL, nsrc = 0;
	struct tape_set bad;
	int64_t dump_id = 0;
	struct gang *g;
	int ret, rounds = 0;

	if (ncopies < 1 || ncopies > SCHED_GANG_MAX || ncopies > fs->cfg.npools)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	memset(copies, 0, sizeof(copies));
	memset(&bad, 0, sizeof(bad));
	for (int i = 0; i < ncopies; i++) {
		copies[i].idx = i;
		copies[i].pool = fs->cfg.pools[i];
	}
	ret = journal_create(d, s, &dump_id);
	if (ret < 0) {
		dump_error_set(d, "journal: %s", strerror(-ret));
		goto out;
	}
	pthread_mutex_lock(&d->mu);
	d->cur_id = dump_id;
	pthread_mutex_unlock(&d->mu);

	for (;;) {
		int pending = 0, restart = 0;
		uint64_t need;

		for (int i = 0; i < ncopies; i++)
			pending += !copies[i].done;
		if (!pending)
			break;
		pthread_mutex_lock(&d->mu);
		ret = d->stopping ? -ECANCELED : 0;
		pthread_mutex_unlock(&d->mu);
		if (ret)
			goto out_fail;
		if (++rounds > DUMP_ROUNDS_MAX) {
			dump_error_set(d, "dump %lld: gave up after %d rounds",
				       (long long)dump_id, DUMP_ROUNDS_MAX);
			ret = -EIO;
			goto out_fail;
		}
		if (!src) {
			ret = sources_make(d, s, &src, &srcidx, &nsrc);
			if (ret < 0)
				goto out_fail;
			if (!nsrc) {
				dump_error_set(d, "dump %lld: every file changed while it was written; they stay staged",
					       (long long)dump_id);
				ret = -ESTALE;
				goto out_fail;
			}
		}
		need = archive_estimate(s, bs);
		pthread_mutex_lock(&d->mu);
		d->cur_total = need;
		d->cur_done = 0;
		pthread_mutex_unlock(&d->mu);
		ret = round_run(d, dump_id, copies, ncopies, src, nsrc, need, &bad,
				g);
		if (ret < 0)
			goto out_fail;
		if ((g->ret == -ESTALE || g->ret == -EINVAL) &&
		    g->changed < nsrc) {
			/* Leave the changed source staged; every copy is
			 * written again without it. */
			size_t more;
			s->e[srcidx[g->changed]].dropped = 1;
			tapefs_error(fs, "dump %lld: '%s' changed while being written: left staged",
				     (long long)dump_id, src[g->changed].name);
			/* Whatever else changed meanwhile (a renamed
			 * directory...) goes too, rather than one rewrite per
			 * file. */
			more = snap_drop_changed(d, s);
			if (more)
				tapefs_error(fs, "dump %lld: %zu more entries changed since the snapshot: left staged",
					     (long long)dump_id, more);
			restart = 1;
		} else if (g->ret == 0 && !members) {
			members = g->members;
			nmembers = g->nmembers;
			g->members = NULL;
		}
		if (g->members) {
			tar_members_free(g->members, g->nmembers);
			g->members = NULL;
		}
		ret = round_settle(d, dump_id, g, &bad);
		if (ret < 0)
			goto out_fail;
		if (restart) {
			for (int i = 0; i < ncopies; i++)
				if (copies[i].done) {
					catalog_dump_tape_abandon(fs->cat, dump_id,
								  copies[i].tape.barcode,
								  copies[i].fileno);
					copies[i].done = 0;
				}
			/* Each copy is written again where it was: nothing
			 * was committed, so the same file number is free. */
			if (members)
				tar_members_free(members, nmembers);
			members = NULL;
			nmembers = 0;
			sources_free(src, srcidx, nsrc);
			src = NULL;
			srcidx = NULL;
			continue;
		}
	}
	if (!members || nmembers != nsrc) {
		dump_error_set(d, "dump %lld: no member list", (long long)dump_id);
		ret = -EIO;
		goto out_fail;
	}
	for (int i = 1; i < ncopies; i++)
		if (copies[i].bytes != copies[0].bytes) {
			dump_error_set(d, "dump %lld: copies differ in size",
				       (long long)dump_id);
			ret = -EIO;
			goto out_fail;
		}
	ret = commit(d, dump_id, copies, ncopies, members, nmembers, s, srcidx,
		     bs, archive_id);
	if (ret < 0) {
		dump_error_set(d, "dump %lld: commit: %s", (long long)dump_id,
			       strerror(-ret));
		goto out_fail;
	}
	tapes_note(d, copies, ncopies);
	goto out;

out_fail:
	if (dump_id) {
		char why[512];
		pthread_mutex_lock(&d->mu);
		snprintf(why, sizeof(why), "%s",
			 ret == -ECANCELED ? "stopped" : d->last_error);
		pthread_mutex_unlock(&d->mu);
		catalog_dump_fail(fs->cat, dump_id, why);
	}
out:
	copies_release(d, copies, ncopies);
	if (members)
		tar_members_free(members, nmembers);
	if (src)
		sources_free(src, srcidx, nsrc);
	free(g);
	return ret;
}
