/* fs/engine/dump_write.c - one dump written to tape (dump.h, steps 2 to 7):
 * the snapshot journaled, written as one archive to every copy in rounds,
 * then committed.
 *
 * A round takes the copies not written yet, as many as there are drives in
 * service, gives each a tape if it has none (dump_plan.c), and runs them as
 * one gang (dump_gang.c). Then it settles what each copy came to (the
 * states of dump_int.h):
 *   - written: the copy is done and stays done;
 *   - early warning: its tape is marked full, the copy goes to the next
 *     tape of its pool in the next round (a tape that held nothing is
 *     smaller than the catalog said: its capacity is lowered and the
 *     archive given up, for the dump to be cut again);
 *   - refused by the library's check: the tape is closed, the copy goes to
 *     another tape;
 *   - a write error, or its tape's load or open failing: the copy goes to
 *     another tape (DUMP_TRIES_MAX such failures abandon the dump);
 *   - a source changed while read: it (and whatever else changed since the
 *     snapshot) is dropped and left staged, and every copy is written again
 *     without it, where it was (all copies of an archive are the same
 *     bytes, so a copy written with the old list is abandoned).
 * Rounds go on until every copy is written, or the dump is abandoned.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

#define DUMP_ROUNDS_MAX 24 /* rounds before a dump gives up */
#define DUMP_TRIES_MAX	3  /* failed attempts of one copy (not "full") */

/* ---- a round ------------------------------------------------------------ */

/* Before a round: the engine still runs, rounds are left, the sources of
 * the archive are listed (again after a drop). 0 or -errno recorded. */
static int round_begin(struct dump *d, struct dump_archive *a)
{
	int ret;

	ret = dump_stopping(d);
	if (ret)
		return ret;
	if (++a->rounds > DUMP_ROUNDS_MAX) {
		dump_error_set(d, "dump %lld: gave up after %d rounds",
			       (long long)a->dump_id, DUMP_ROUNDS_MAX);
		return -EIO;
	}
	if (!a->src) {
		ret = dump_sources_make(a);
		if (ret < 0)
			return ret;
		if (!a->nsrc) {
			dump_error_set(d,
				       "dump %lld: every file changed while it "
				       "was written; they stay staged",
				       (long long)a->dump_id);
			return -ESTALE;
		}
	}
	a->need = dump_archive_estimate(a->snap, a->block_size);
	pthread_mutex_lock(&d->mu);
	d->cur_total = a->need;
	d->cur_done = 0;
	pthread_mutex_unlock(&d->mu);
	return 0;
}

/* Run a round: the copies not written, at most as many as drives in
 * service, as one gang. A copy keeps the tape it has unless that tape
 * failed it. 0 when the gang ran, or -errno recorded. */
static int round_run(struct dump *d, struct dump_archive *a,
		     struct dump_gang *g)
{
	int drives = sched_drives_in_service(d->fs->sched);
	int ret;

	memset(g, 0, sizeof(*g));
	if (drives < 1) {
		dump_error_set(d, "no drive in service");
		return -ENODEV;
	}
	for (int i = 0; i < a->ncopies && g->n < drives; i++) {
		struct dump_copy *c = &a->copy[i];

		if (c->state == DUMP_COPY_WRITTEN)
			continue;
		if (c->state == DUMP_COPY_NO_TAPE) {
			ret = dump_copy_choose(d, a, c);
			if (ret < 0)
				return ret;
		}
		ret = dump_gang_add(d, g, c);
		if (ret < 0)
			return ret;
	}
	dump_tapes_note(d, a);
	return dump_gang_run(d, a, g);
}

/* A source changed while the round read it: it, and whatever else changed
 * since the snapshot (a renamed directory...: rather than one rewrite per
 * file), leave the archive and stay staged. 1 when so, else 0. */
static int round_drop_changed(struct dump *d, struct dump_archive *a,
			      const struct dump_gang *g)
{
	size_t more;

	if ((g->ret != -ESTALE && g->ret != -EINVAL) || g->changed >= a->nsrc)
		return 0;
	a->snap->e[a->srcidx[g->changed]].dropped = 1;
	if (g->changed_why == -ELOOP || g->changed_why == -ENOTDIR)
		tapefs_error(d->fs,
			     "dump %lld: '%s': a symlink or a file stands on "
			     "its path in staging/ since the snapshot (nothing "
			     "outside staging/ is read): left staged",
			     (long long)a->dump_id, a->src[g->changed].name);
	else
		tapefs_error(d->fs,
			     "dump %lld: '%s' changed while being written: "
			     "left staged",
			     (long long)a->dump_id, a->src[g->changed].name);
	more = dump_snap_drop_changed(d, a->snap);
	if (more)
		tapefs_error(d->fs,
			     "dump %lld: %zu more entries changed since the "
			     "snapshot: left staged",
			     (long long)a->dump_id, more);
	return 1;
}

/* The member list of the first round that wrote the whole archive is the
 * archive's (later rounds, for copies that found no drive, write the same
 * members). */
static void round_take_members(struct dump_archive *a, struct dump_gang *g)
{
	if (g->ret == 0 && !a->members) {
		a->members = g->members;
		a->nmembers = g->nmembers;
		g->members = NULL;
	}
	if (g->ret == 0 && (g->written.tv_sec > a->written.tv_sec ||
			    (g->written.tv_sec == a->written.tv_sec &&
			     g->written.tv_nsec > a->written.tv_nsec)))
		a->written = g->written;
	dump_gang_release(g);
}

static void archive_members_free(struct dump_archive *a)
{
	if (a->members)
		tar_members_free(a->members, a->nmembers);
	a->members = NULL;
	a->nmembers = 0;
}

/* Every copy is written again where it was: nothing was committed, so its
 * tape file is still free. The sources are listed again without what was
 * dropped, and the member list goes with the old ones. */
static int archive_rewind(struct dump *d, struct dump_archive *a)
{
	for (int i = 0; i < a->ncopies; i++) {
		struct dump_copy *c = &a->copy[i];

		if (c->state != DUMP_COPY_WRITTEN)
			continue;
		catalog_dump_tape_abandon(d->fs->cat, a->dump_id,
					  c->tape.barcode, c->fileno);
		c->state = DUMP_COPY_TAPE;
	}
	archive_members_free(a);
	a->written = (struct timespec){0, 0};
	if (a->fixed) {
		/* a copy of the catalog is not staged: nothing to leave */
		dump_error_set(d,
			       "dump %lld: the catalog's copy changed "
			       "while it was written",
			       (long long)a->dump_id);
		return -ESTALE;
	}
	dump_sources_free(a);
	return 0;
}

/* ---- settling a round, copy by copy -------------------------------------- */

/* One more failed round for c: -errno (the dump is abandoned) after
 * DUMP_TRIES_MAX of them, else 0. */
static int copy_tried(struct dump *d, struct dump_archive *a,
		      struct dump_copy *c, const char *why, int err)
{
	if (++c->tries < DUMP_TRIES_MAX)
		return 0;
	dump_error_set(d, "dump %lld copy %d failed %d times, last: %s",
		       (long long)a->dump_id, c->idx + 1, c->tries, why);
	return err < 0 ? err : -EIO;
}

/* Early warning: the tape is full; the next tape of the pool next. But
 * a tape that held nothing is not full: the archive is larger than it,
 * its capacity in the catalog is lowered to what it took, and the archive
 * is given up (-EFBIG) so that the dump is cut again to fit (else every
 * scratch tape of the pool would be tried, and marked full, in turn). */
static int settle_full(struct dump *d, struct dump_archive *a,
		       struct dump_copy *c)
{
	uint64_t cap;

	if (c->tape.last_file == 0 && c->tape.state == CATALOG_TAPE_SCRATCH) {
		cap = dump_tape_capacity_for(c->bytes);
		if (!c->tape.capacity || cap < c->tape.capacity)
			catalog_tape_set_capacity(d->fs->cat, c->tape.barcode,
						  cap);
		dump_error_set(d,
			       "%s after %llu bytes of an archive of %llu: it "
			       "takes less than its catalog said; capacity now "
			       "%llu, the dump is cut again",
			       c->why, (unsigned long long)c->bytes,
			       (unsigned long long)a->need,
			       (unsigned long long)cap);
		dump_copy_drop_tape(d, a, c);
		return -EFBIG;
	}
	catalog_tape_set_state(d->fs->cat, c->tape.barcode, CATALOG_TAPE_FULL);
	tapefs_error(d->fs,
		     "%s: marked full; copy %d of dump %lld goes to the next "
		     "tape of pool %s",
		     c->why, c->idx + 1, (long long)a->dump_id, c->pool);
	dump_copy_drop_tape(d, a, c);
	return 0;
}

/* The drive said the archive does not fit on the tape: another tape for
 * this archive; the tape stays as it is for smaller ones (its capacity in
 * the catalog now says what the drive said). */
static void settle_no_room(struct dump *d, struct dump_archive *a,
			   struct dump_copy *c)
{
	tapefs_error(d->fs,
		     "%s: copy %d of dump %lld goes to another tape "
		     "of pool %s",
		     c->why, c->idx + 1, (long long)a->dump_id, c->pool);
	dump_copy_drop_tape(d, a, c);
}

/* The library's check refused the tape: closed; another tape next. */
static void settle_refused(struct dump *d, struct dump_archive *a,
			   struct dump_copy *c)
{
	catalog_tape_set_state(d->fs->cat, c->tape.barcode,
			       CATALOG_TAPE_CLOSED);
	tapefs_tape_refused(d->fs, c->tape.barcode, "%s; tape closed", c->why);
	dump_copy_drop_tape(d, a, c);
}

/* A write, position or journal error: another tape next. */
static int settle_failed(struct dump *d, struct dump_archive *a,
			 struct dump_copy *c)
{
	tapefs_error(d->fs, "dump %lld copy %d: %s", (long long)a->dump_id,
		     c->idx + 1, c->why);
	dump_copy_drop_tape(d, a, c);
	return copy_tried(d, a, c, c->why, -EIO);
}

/* The job never ran: a load or open failed (g->job.failed names the tape,
 * -1 when none). When it was this copy's tape, the tape goes (closed when
 * write-protected) and the copy counts a failed round; when it was
 * another copy's, this one waits for the next round on its own tape;
 * when none is named, the copy counts a failed round and keeps its tape.
 * -ECANCELED when the job was given up (the engine stops). */
static int settle_not_run(struct dump *d, struct dump_archive *a,
			  const struct dump_gang *g, int i)
{
	struct dump_copy *c = g->copy[i];
	int mine = g->job.failed == i, rofs = g->result == -EROFS;
	char why[400];

	if (g->result == -ECANCELED)
		return -ECANCELED;
	if (g->job.failed >= 0 && !mine)
		return 0;
	/* the scheduler's -ENOENT: in no slot and no drive */
	c->gone = mine && g->result == -ENOENT;
	snprintf(why, sizeof(why), "tape %s: %s", c->tape.barcode,
		 rofs	   ? "write-protected"
		 : c->gone ? "not in the library"
			   : strerror(-g->result));
	if (mine && rofs)
		catalog_tape_set_state(d->fs->cat, c->tape.barcode,
				       CATALOG_TAPE_CLOSED);
	tapefs_error(d->fs, "dump %lld copy %d: %s%s", (long long)a->dump_id,
		     c->idx + 1, why, mine && rofs ? "; tape closed" : "");
	if (mine)
		dump_copy_drop_tape(d, a, c);
	return copy_tried(d, a, c, why, g->result);
}

/* What copy i of round g came to. 0 to go on, -errno to give up. */
static int copy_settle(struct dump *d, struct dump_archive *a,
		       const struct dump_gang *g, int i)
{
	struct dump_copy *c = g->copy[i];

	if (c->out == DUMP_OUT_WRITTEN) {
		c->state = DUMP_COPY_WRITTEN;
		return 0;
	}
	if (c->journaled)
		catalog_dump_tape_abandon(d->fs->cat, a->dump_id,
					  c->tape.barcode, c->fileno);
	switch (c->out) {
	case DUMP_OUT_FULL:
		return settle_full(d, a, c);
	case DUMP_OUT_NO_ROOM:
		settle_no_room(d, a, c);
		return 0;
	case DUMP_OUT_REFUSED:
		settle_refused(d, a, c);
		return 0;
	case DUMP_OUT_FAILED:
		return settle_failed(d, a, c);
	case DUMP_OUT_NOT_RUN:
		return settle_not_run(d, a, g, i);
	default: /* aborted: written again on the same tape */
		return 0;
	}
}

static int round_settle(struct dump *d, struct dump_archive *a,
			const struct dump_gang *g)
{
	for (int i = 0; i < g->n; i++) {
		int ret = copy_settle(d, a, g, i);
		if (ret)
			return ret;
	}
	return 0;
}

/* One round of archive a: run it, settle each copy, and after a dropped
 * source start every copy over. 0 to go on, or -errno to abandon. */
static int round_once(struct dump *d, struct dump_archive *a)
{
	struct dump_gang g;
	int ret, dropped;

	ret = round_begin(d, a);
	if (ret < 0)
		return ret;
	ret = round_run(d, a, &g);
	if (ret < 0)
		return ret;
	dropped = round_drop_changed(d, a, &g);
	round_take_members(a, &g);
	ret = round_settle(d, a, &g);
	if (ret < 0)
		return ret;
	if (dropped)
		return archive_rewind(d, a);
	return 0;
}

/* ---- the archive, the dump ---------------------------------------------- */

static int archive_written(const struct dump_archive *a)
{
	for (int i = 0; i < a->ncopies; i++)
		if (a->copy[i].state != DUMP_COPY_WRITTEN)
			return 0;
	return 1;
}

/* Write archive a to every copy: one round after another until every
 * copy is written (0) or the archive is abandoned (-errno recorded). */
static int archive_write(struct dump *d, struct dump_archive *a)
{
	int ret = 0;

	while (!ret && !archive_written(a))
		ret = round_once(d, a);
	return ret;
}

/* Where the newest snapshot of the catalog on tape is ("LABEL:FILE" of
 * each copy), for the manifest: a rebuild from nothing finds it there. */
struct where {
	char *buf;
	size_t len, o;
};

static int where_copy(void *ctx, const struct catalog_copy *c)
{
	struct where *w = ctx;
	int n = snprintf(w->buf + w->o, w->len - w->o, "%s%s:%lld",
			 w->o ? "," : "", c->barcode, (long long)c->fileno);

	if (n < 0 || (size_t)n >= w->len - w->o)
		return 1; /* no room for more: the copies so far */
	w->o += (size_t)n;
	return 0;
}

static void snapshot_where(struct dump *d, char *buf, size_t len)
{
	struct where w = {buf, len, 0};
	int64_t id;

	buf[0] = '\0';
	if (catalog_snapshot_latest(d->fs->cat, &id) == 0)
		catalog_archive_copies(d->fs->cat, id, where_copy, &w);
}

/* Archive a of snapshot s, for the journal's dump dump_id: every copy
 * without a tape yet. */
static void archive_init(struct dump *d, struct dump_archive *a,
			 struct dump_snap *s, int64_t dump_id,
			 const struct dump_fill_plan *plan)
{
	const struct tapefs_config *cfg = &d->fs->cfg;
	struct catalog_dump dd;

	memset(a, 0, sizeof(*a));
	a->fixed_fd = -1;
	a->dump_id = dump_id;
	a->snap = s;
	a->plan = plan;
	a->block_size = cfg->block_size ? cfg->block_size : TARW_BLOCK_SIZE;
	a->ncopies = cfg->copies;
	for (int i = 0; i < a->ncopies; i++) {
		a->copy[i].idx = i;
		a->copy[i].pool = dump_copy_pool(d, plan, i);
	}
	manifest_uuid_new(a->man.uuid);
	snapshot_where(d, a->man.catalog, sizeof(a->man.catalog));
	a->man.dump_id = dump_id;
	a->man.dumped = catalog_dump_get(d->fs->cat, dump_id, &dd) == 0
			    ? dd.created
			    : time(NULL);
	a->man.kind = MANIFEST_DATA;
	for (int i = 0, o = 0; i < a->ncopies && o < (int)sizeof(a->man.pools);
	     i++)
		o +=
		    snprintf(a->man.pools + o, sizeof(a->man.pools) - (size_t)o,
			     "%s%s", i ? "," : "", a->copy[i].pool);
}

static void archive_release(struct dump *d, struct dump_archive *a)
{
	dump_copies_release(d, a);
	archive_members_free(a);
	dump_sources_free(a);
	if (a->fixed_fd >= 0)
		close(a->fixed_fd);
	a->fixed_fd = -1;
}

/* The sources of a snapshot of the catalog: the copy of it open on fd
 * (its fstat st), as its one member DUMP_SNAPSHOT_MEMBER; a holds fd from
 * then on. 0 or -ENOMEM. */
static int snapshot_sources(struct dump_archive *a, int fd,
			    const struct stat *st)
{
	a->fixed_fd = fd;
	a->fixed = 1;
	a->src = calloc(1, sizeof(*a->src));
	a->srcidx = calloc(1, sizeof(*a->srcidx));
	if (!a->src || !a->srcidx)
		return -ENOMEM;
	a->src[0].name = DUMP_SNAPSHOT_MEMBER;
	a->src[0].st = *st;
	a->nsrc = 1;
	a->man.kind = MANIFEST_CATALOG;
	a->man.catalog[0] = '\0';
	return 0;
}

int dump_fixed_open(void *arg, const struct tarw_source *src, int flags)
{
	const struct dump_archive *a = arg;
	int fd;

	(void)src;
	(void)flags;
	if (a->fixed_fd < 0)
		return -EBADF;
	fd = fcntl(a->fixed_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a round before this one may have read it (the offset is shared) */
	if (lseek(fd, 0, SEEK_SET) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* The copy of the catalog at path, opened once (never through a symlink,
 * only a regular file) and held: what goes to tape is that file whatever
 * later happens to its name. A descriptor, or -errno. */
static int snapshot_open(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		ret = -errno;
		goto out_close;
	}
	if (!S_ISREG(st->st_mode)) {
		ret = -EINVAL;
		goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return ret;
}

int dump_write_snapshot(struct dump *d, const char *path)
{
	const struct tapefs_config *cfg = &d->fs->cfg;
	struct dump_entry e = {.rel = (char *)DUMP_SNAPSHOT_MEMBER};
	struct dump_snap s = {.e = &e, .n = 1, .cap = 1, .files = 1};
	struct dump_archive a;
	int64_t dump_id = 0;
	int fd, ret;

	if (cfg->copies < 1 || cfg->copies > SCHED_GANG_MAX ||
	    cfg->copies > cfg->npools)
		return -EINVAL;
	fd = snapshot_open(path, &e.st);
	if (fd < 0)
		return fd;
	s.bytes = (uint64_t)e.st.st_size;
	ret = dump_journal_create(d, &s, &dump_id);
	if (ret < 0) {
		dump_error_set(d, "journal: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	archive_init(d, &a, &s, dump_id, NULL);
	ret = snapshot_sources(&a, fd, &e.st);
	if (!ret)
		ret = archive_write(d, &a);
	if (!ret)
		ret = dump_archive_commit(d, &a);
	if (ret)
		dump_journal_fail(d, dump_id, ret);
	else /* nothing of staging/ to clean up after it */
		catalog_dump_cleaned(d->fs->cat, dump_id);
	archive_release(d, &a);
	return ret;
}

/* Archive a written, its entries journaled (j): committed. 0 or -errno
 * recorded. */
static int archive_commit(struct dump *d, struct dump_archive *a,
			  struct dump_journal *j)
{
	int ret = dump_journal_wait(j);

	if (ret < 0) {
		dump_error_set(d, "dump %lld: journal: %s",
			       (long long)a->dump_id, strerror(-ret));
		return ret;
	}
	return dump_archive_commit(d, a);
}

int dump_write(struct dump *d, struct dump_snap *s,
	       const struct dump_fill_plan *plan)
{
	const struct tapefs_config *cfg = &d->fs->cfg;
	struct dump_journal j;
	struct dump_archive a;
	int ret;

	if (cfg->copies < 1 || cfg->copies > SCHED_GANG_MAX ||
	    cfg->copies > cfg->npools)
		return -EINVAL;
	ret = dump_journal_start(d, s, &j);
	if (ret < 0) {
		dump_error_set(d, "journal: %s", strerror(-ret));
		return ret;
	}
	pthread_mutex_lock(&d->mu);
	d->cur_id = j.id;
	pthread_mutex_unlock(&d->mu);
	archive_init(d, &a, s, j.id, plan);
	ret = archive_write(d, &a);
	if (!ret)
		ret = archive_commit(d, &a, &j);
	else
		dump_journal_stop(&j);
	if (ret)
		dump_journal_fail(d, j.id, ret);
	archive_release(d, &a);
	return ret;
}
