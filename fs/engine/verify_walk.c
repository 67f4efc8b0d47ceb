/* fs/engine/verify_walk.c - the job of one tape on a drive: for each archive
 * copy of its tape, in file order, walk the archive with the tar reader and
 * hash every member as it streams (`sample`: locate to each chosen member
 * and read it alone), comparing with the catalog's MD5 and name. After a
 * fault the walk reads the rest member by member, so that only the members
 * the fault touches fail. The manifest member is checked too: present,
 * readable, and listing the catalog's files with their MD5s (a `sample`
 * does not read it). Between archives the job gives the drive up to a
 * more urgent job (recall, dump) that waits. A member larger than a chunk
 * found good gets its chunk digests kept (tapeio/chunk.h): old archives
 * are recalled by byte ranges once verified.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/tapefs.h"
#include "fs/engine/verify_int.h"
#include "catalog/catalog.h"
#include "tapeio/chunk.h"
#include "tapeio/tarr.h"

static int stop_asked(struct verify *v, struct vrun *run)
{
	return __atomic_load_n(&v->stopping, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&run->cancelled, __ATOMIC_RELAXED) ||
	       sched_stopping(v->fs->sched);
}

/* ---- member pages from the catalog ------------------------------------ */

/* The regular files of one archive in tape order (but hard links: their
 * data is another member's), a page at a time. */
struct vpage {
	struct vmember m[VERIFY_PAGE];
	size_t max; /* members per page: v->page */
	size_t n, i;
	int64_t next_ordinal; /* where the next page starts */
	int eof;
};

static struct vpage *page_new(const struct verify *v)
{
	struct vpage *pg = calloc(1, sizeof(*pg));

	if (pg)
		pg->max = v->page;
	return pg;
}

static int page_fill_one(void *ctx, const struct catalog_member *m)
{
	struct vpage *pg = ctx;
	struct vmember *d;

	pg->next_ordinal = m->ordinal + 1;
	/* a hard link's data is its target's: checked with it */
	if (m->type != CATALOG_FILE || (m->flags & CATALOG_MEMBER_LINK))
		return pg->n == pg->max ? 1 : 0;
	d = &pg->m[pg->n++];
	d->id = m->id;
	d->header_offset = m->header_offset;
	d->size = m->size;
	snprintf(d->md5, sizeof(d->md5), "%s", m->md5);
	snprintf(d->path, sizeof(d->path), "%s", m->path ? m->path : "");
	d->path_long = m->path && strlen(m->path) >= sizeof(d->path);
	return pg->n == pg->max ? 1 : 0;
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

/* ---- reading from tape --------------------------------------------------- */

struct vsink {
	struct vcopy *vc;
	uint64_t base;		  /* archive offset of the member's data */
	uint64_t done;		  /* data bytes hashed */
	uint64_t last;		  /* done at the last report */
	struct chunk_digester dg; /* its chunk digests (recall by ranges) */
};

static int hash_sink(void *arg, const void *buf, size_t len)
{
	struct vsink *s = arg;

	chunk_digester_update(&s->dg, buf, len);
	s->done += len;
	if (stop_asked(s->vc->t->v, s->vc->t->run))
		return -ECANCELED;
	if (s->done - s->last >= VERIFY_REPORT) {
		s->last = s->done;
		verify_report(s->vc, s->base + s->done, 1);
	}
	return 0;
}

/* A member read whole and found good: keep its chunk digests, so that an
 * old archive's members are recalled by byte ranges from now on (the
 * same digests again for one that had them). Then free the digester. */
static void chunks_keep(struct vcopy *vc, int64_t id, struct vsink *s, int good)
{
	if (good && chunk_digester_done(&s->dg))
		catalog_chunks_put(vc->t->v->fs->cat, id, s->dg.chunk_size,
				   s->dg.n, s->dg.digests);
	chunk_digester_release(&s->dg);
}

/* The catalog path of a member of an adopted tape: the name read from
 * tape neutralised (tarr_name_neutral()), below a prefix the catalog does
 * not keep: path ends with it, at a component's start. */
static int adopted_matches(const struct vmember *m, const char *name)
{
	size_t pl = strlen(m->path), nl;
	char *clean = NULL;
	int ok;

	if (m->path_long)
		return 1; /* cut in the page: the MD5 decides */
	if (tarr_name_neutral(name, &clean))
		return 0;
	nl = strlen(clean);
	ok = nl < pl && m->path[pl - nl - 1] == '/' &&
	     !strcmp(m->path + pl - nl, clean);
	free(clean);
	return ok;
}

/* Does the name read from tape name the member the catalog holds? */
static int name_matches(const struct vcopy *vc, const struct vmember *m,
			const char *name)
{
	if (!name)
		return 0;
	if (vc->adopted)
		return adopted_matches(m, name);
	if (m->path_long)
		return !strncmp(name, m->path, sizeof(m->path) - 1);
	return !strcmp(name, m->path);
}

/* Read member m alone by locating to its block. Returns 0 (a result was
 * recorded) or -ECANCELED / a catalog error. */
static int check_by_locate(struct vcopy *vc, const struct vmember *m)
{
	struct tar_member tm;
	struct vsink s = {.vc = vc, .base = m->header_offset};
	enum catalog_result r;
	int ret;

	memset(&tm, 0, sizeof(tm));
	chunk_digester_init(&s.dg, m->size, CHUNK_SIZE); /* none: no digests */
	ret =
	    tarr_read_member(vc->tape, vc->it->c.start_lblock, m->header_offset,
			     vc->it->block_size, m->md5, hash_sink, &s, &tm);
	if (ret == -ECANCELED) {
		chunk_digester_release(&s.dg);
		tar_member_clear(&tm);
		return ret;
	}
	if (ret == 0 && name_matches(vc, m, tm.name))
		r = CATALOG_RESULT_OK;
	else if (ret == 0 || ret == -EBADMSG || ret == -EINVAL)
		r = CATALOG_RESULT_BAD;
	else
		r = CATALOG_RESULT_UNREADABLE;
	chunks_keep(vc, m->id, &s, r == CATALOG_RESULT_OK);
	ret = verify_result_add(
	    vc, m, r, r == CATALOG_RESULT_UNREADABLE ? NULL : tm.md5, s.done);
	tar_member_clear(&tm);
	verify_report(vc, m->header_offset + m->size, 0);
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

/* Catalog members before offset off (UINT64_MAX: all that are left) that
 * the tape skipped over are missing: BAD. *cur is the member at or after
 * off, NULL at the end. 0 or a catalog error. */
static int walk_skipped(struct vcopy *vc, struct vpage *pg, uint64_t off,
			struct vmember **cur)
{
	struct catalog *cat = vc->t->v->fs->cat;
	struct vmember *m;
	int ret, err = 0;

	while ((m = page_cur(cat, vc->it->c.archive, pg, &err)) &&
	       m->header_offset < off) {
		ret = verify_result_add(vc, m, CATALOG_RESULT_BAD, NULL, 0);
		if (ret)
			return ret;
		pg->i++;
	}
	*cur = m;
	return err;
}

/* Hash the data of entry tm, the catalog's member m, and record it.
 * Returns 0 with *stop 0 to walk on; else the walk ends and returns this
 * (after a read fault it first reads the rest one member at a time). */
static int walk_member(struct vcopy *vc, struct tarr *r, struct tar_member *tm,
		       const struct vmember *m, struct vpage *pg, int *stop)
{
	struct vsink s = {.vc = vc, .base = tm->data_offset};
	int ret, good;

	chunk_digester_init(&s.dg, m->size, CHUNK_SIZE); /* none: no digests */
	ret = tarr_data(r, tm, hash_sink, &s);
	*stop = ret != 0;
	good =
	    !ret && !strcmp(tm->md5, m->md5) && name_matches(vc, m, tm->name);
	chunks_keep(vc, m->id, &s, good);
	if (ret == -ECANCELED)
		return ret;
	if (ret == 0) {
		ret = verify_result_add(
		    vc, m, good ? CATALOG_RESULT_OK : CATALOG_RESULT_BAD,
		    tm->md5, s.done);
		pg->i++;
		*stop = ret != 0;
		if (!ret)
			verify_report(vc, tm->data_offset + tm->size, 0);
		return ret;
	}
	/* -EIO: unreadable; -EINVAL: corrupt there. The walk cannot go on:
	 * read the rest one by one. */
	ret = verify_result_add(
	    vc, m, ret == -EIO ? CATALOG_RESULT_UNREADABLE : CATALOG_RESULT_BAD,
	    NULL, s.done);
	pg->i++;
	return ret ? ret : resync(vc, pg);
}

/* The manifest member, read with the rest (a rebuild trusts it): it must
 * be there, parse, and list every file the catalog holds at its offset
 * with its MD5. A fault is one BAD (UNREADABLE: unread) of the copy. */
static int manifest_check(struct vcopy *vc, struct tarr *r, int unread)
{
	struct catalog *cat = vc->t->v->fs->cat;
	const struct tar_member *mm = NULL;
	const struct vmember *m;
	struct vpage *pg;
	size_t n = 0, i = 0, differ = 0;
	int err = 0, ret = unread ? -EIO : tarr_manifest(r, &mm, &n);

	if (!vc->it->manifest || vc->adopted) /* another writer's archive */
		return 0;
	if (ret)
		return verify_manifest_fault(vc, ret == -EIO,
					     ret == -ENOENT ? "missing"
					     : ret == -EIO  ? "unreadable"
							    : "does not parse");
	pg = page_new(vc->t->v);
	if (!pg)
		return -ENOMEM;
	while ((m = page_cur(cat, vc->it->c.archive, pg, &err))) {
		while (i < n && (mm[i].type != TAR_FILE ||
				 mm[i].header_offset < m->header_offset))
			i++;
		differ += i == n || mm[i].header_offset != m->header_offset ||
			  strcmp(mm[i].md5, m->md5) != 0;
		pg->i++;
	}
	free(pg);
	if (err || !differ)
		return err;
	return verify_manifest_fault(vc, 0, "files differ from the catalog");
}

/* tarr_data_nested()'s callback while an adopted member is walked: an
 * inner member the catalog holds (a papertape inner archive's) checked. */
struct vnest {
	struct vcopy *vc;
	struct vpage *pg;
};

static int nested_member(void *arg, const struct tar_member *im)
{
	struct vnest *n = arg;
	struct vmember *m;
	int ret;

	ret = walk_skipped(n->vc, n->pg, im->header_offset, &m);
	if (ret || !m || m->header_offset != im->header_offset ||
	    im->type != TAR_FILE)
		return ret;
	ret = verify_result_add(n->vc, m,
				!strcmp(im->md5, m->md5) &&
					name_matches(n->vc, m, im->name)
				    ? CATALOG_RESULT_OK
				    : CATALOG_RESULT_BAD,
				im->md5, im->size);
	n->pg->i++;
	return ret;
}

/* The member tm of an adopted tape, the catalog's m: its data walked as
 * an inner archive too (an adoption indexes papertape's), each inner
 * member the catalog holds checked in the same pass. No chunk digests
 * are taken here. Returns as walk_member(). */
static int walk_nested(struct vcopy *vc, struct tarr *r, struct tar_member *tm,
		       const struct vmember *m, struct vpage *pg, int *stop)
{
	struct vmember outer = *m;
	struct vnest n = {vc, pg};
	int ret, inner_err = 0;

	pg->i++;
	ret = tarr_data_nested(r, tm, nested_member, &n, &inner_err);
	*stop = ret != 0;
	if (ret == -ECANCELED)
		return ret;
	if (ret == 0) {
		ret =
		    verify_result_add(vc, &outer,
				      !strcmp(tm->md5, outer.md5) &&
					      name_matches(vc, &outer, tm->name)
					  ? CATALOG_RESULT_OK
					  : CATALOG_RESULT_BAD,
				      tm->md5, tm->size);
		*stop = ret != 0;
		if (!ret)
			verify_report(vc, tm->data_offset + tm->size, 0);
		return ret;
	}
	ret = verify_result_add(vc, &outer,
				ret == -EIO ? CATALOG_RESULT_UNREADABLE
					    : CATALOG_RESULT_BAD,
				NULL, 0);
	return ret ? ret : resync(vc, pg);
}

/* Walk the whole archive: the normal `all` path. */
static int walk_copy(struct vcopy *vc)
{
	struct vpage *pg = page_new(vc->t->v);
	struct tarr *r = NULL;
	struct catalog *cat = vc->t->v->fs->cat;
	struct tar_member tm;
	struct vmember *m;
	int ret, stop = 0, unread, perr;

	memset(&tm, 0, sizeof(tm));
	if (!pg)
		return -ENOMEM;
	ret = tarr_open(&r, vc->tape, vc->it->block_size);
	while (!ret && !stop) {
		if (stop_asked(vc->t->v, vc->t->run)) {
			ret = -ECANCELED;
			break;
		}
		tar_member_clear(&tm);
		ret = tarr_next(r, &tm);
		if (ret == 0) {
			/* the archive ended: what the catalog still lists
			 * is missing */
			ret = walk_skipped(vc, pg, UINT64_MAX, &m);
			if (!ret)
				ret = manifest_check(vc, r, 0);
			break;
		}
		if (ret < 0) {
			/* past the catalog's last file: in the manifest */
			perr = 0;
			unread = !page_cur(cat, vc->it->c.archive, pg, &perr);
			ret = perr     ? perr
			      : unread ? manifest_check(vc, r, 1)
				       : resync(vc, pg);
			break;
		}
		ret = walk_skipped(vc, pg, tm.header_offset, &m);
		if (ret)
			break;
		if (!m || m->header_offset != tm.header_offset ||
		    tm.type != TAR_FILE)
			continue; /* not a file the catalog checks */
		if (vc->adopted)
			ret = walk_nested(vc, r, &tm, m, pg, &stop);
		else
			ret = walk_member(vc, r, &tm, m, pg, &stop);
	}
	tar_member_clear(&tm);
	tarr_free(r);
	free(pg);
	return ret;
}

/* Count the regular files of an archive (the sample's population). */
static int count_files(const struct verify *v, int64_t archive, uint64_t *n)
{
	struct catalog *cat = v->fs->cat;
	struct vpage *pg = page_new(v);
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

	ret = count_files(vc->t->v, vc->it->c.archive, &n);
	if (ret || n == 0)
		return ret;
	k = (n * (uint64_t)vc->t->run->pct + 50) / 100;
	if (k < 1)
		k = 1;
	pg = page_new(vc->t->v);
	if (!pg)
		return -ENOMEM;
	while (chosen < k && (m = page_cur(cat, vc->it->c.archive, pg, &err))) {
		if (verify_rng_next(&vc->t->rng) % (n - seen) < k - chosen) {
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

/* Position at the start of copy it, unless the tape is there already. A
 * failed locate is only reported: each member then read alone fails or
 * succeeds on its own. */
static void copy_position(struct vtask *t, const struct vitem *it,
			  struct tape *tape, int drive)
{
	struct verify *v = t->v;
	uint64_t here = UINT64_MAX;
	int ret;

	if (!tape_tell(tape, &here) && here == it->c.start_lblock)
		return;
	sched_drive_report(v->fs->sched, drive, SCHED_DRIVE_LOCATING,
			   (long)it->c.fileno, 0, t->pos, t->bytes);
	ret = tape_locate(tape, it->c.start_lblock);
	if (ret)
		tapefs_error(v->fs, "verify: %s file %" PRId64 ": locate: %s",
			     t->barcode, it->c.fileno, strerror(-ret));
}

/* The copy's verdict once all its results are stored, and the archive
 * counted done. */
static int copy_done(struct vcopy *vc)
{
	struct vtask *t = vc->t;
	struct verify *v = t->v;
	enum catalog_result cr;
	int ret = 0;

	cr = vc->bad	      ? CATALOG_RESULT_BAD
	     : vc->unreadable ? CATALOG_RESULT_UNREADABLE
			      : CATALOG_RESULT_OK;
	/* a sample that found nothing wrong proves the copy no more than
	 * the members it read: only faults are recorded (but the schedule's
	 * sample is the copy's verification: [verify] sample) */
	if (t->run->kind != VERIFY_SAMPLE || cr != CATALOG_RESULT_OK) {
		ret = catalog_copy_verified(v->fs->cat, vc->it->c.id, cr);
		if (ret)
			tapefs_error(v->fs,
				     "verify: copy %" PRId64 ": catalog: %s",
				     vc->it->c.id, strerror(-ret));
	}
	verify_report(vc, vc->it->c.size, 1);
	pthread_mutex_lock(&v->lock);
	t->run->archives++;
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* Verify one archive copy on the loaded tape. Returns 0, -ECANCELED, or a
 * catalog error (results so far are stored either way). */
static int verify_copy(struct vtask *t, const struct vitem *it,
		       struct tape *tape, int drive)
{
	struct vcopy *vc = calloc(1, sizeof(*vc));
	struct catalog_tape ct;
	int ret;

	if (!vc)
		return -ENOMEM;
	vc->adopted =
	    catalog_tape_get(t->v->fs->cat, it->c.barcode, &ct) == 0 &&
	    ct.state == CATALOG_TAPE_ADOPTED;
	vc->t = t;
	vc->it = it;
	vc->tape = tape;
	vc->drive = drive;
	if (verify_sampled(t->run)) {
		ret = sample_copy(vc);
	} else {
		copy_position(t, it, tape, drive);
		ret = walk_copy(vc);
	}
	if (!vc->err && verify_results_flush(vc) && !ret)
		ret = vc->err;
	if (ret == 0)
		ret = copy_done(vc);
	free(vc);
	return ret;
}

int verify_task_run(struct sched_job *job, const struct sched_run *r)
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
	t0 = verify_now_mono();
	while (t->next < t->n) {
		/* between archives, and after at least one: give the drive
		 * to a recall or a dump that waits */
		if (t->next > first &&
		    sched_should_yield(v->fs->sched, drive)) {
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
		run->drive[drive].seconds += verify_now_mono() - t0;
	v->running--;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return ret;
}
