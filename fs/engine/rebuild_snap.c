/* fs/engine/rebuild_snap.c - the newest snapshot of the catalog on tape,
 * found and read back (fs/engine/rebuild.h, rebuild_snapshot_fetch()).
 *
 * A snapshot is an archive whose one member, TAPEFS.CATALOG, is a copy of
 * the catalog's database (docs/catalog.md); every manifest written after
 * the first snapshot names where the newest one was (its "catalog" key).
 * So the last archive of each tape, read from its end, is either a
 * snapshot or names one (or is older than any): the newest of them, by
 * the time its manifest was written, is the one to restore. Each tape is
 * looked at by one read-only job, every drive at once; then the snapshot's
 * member is read from one of its copies (tarr_read_member(), its MD5
 * checked; the next copy when it differs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/engine/rebuild_int.h"
#include "tapeio/label.h"
#include "tapeio/manifest.h"
#include "tapeio/tarr.h"

#define LOOK_BACK 4 /* files before the last one looked at, per tape */

/* One tape looked at: what its last archive says. */
struct snap_look {
	struct sched_job job;
	struct catalog_tape ct;
	uint32_t block_size;	 /* room for a record at first */
	int found;		 /* a snapshot or a reference to one */
	struct timespec written; /* of the manifest that said so */
	char where[MANIFEST_CATALOG_SIZE]; /* "LABEL:FILE,..." */
	int ended;
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	size_t *nended;
};

/* The last tape file: from the file number at end of data, or by
 * counting filemarks from the start when the drive cannot tell. */
static int last_file(struct tape *t, int64_t *last)
{
	struct tape_status st;
	int64_t n = 0;
	int ret = tape_eom(t);

	if (!ret)
		ret = tape_status(t, &st);
	if (ret)
		return ret;
	if (st.file >= 0) {
		*last = st.block == 0 ? st.file - 1 : st.file;
		return 0;
	}
	ret = tape_rewind(t);
	while (!ret && tape_fsf(t, 1) == 0)
		n++;
	*last = n - 1;
	return ret;
}

/* What the manifest of file f says, into lk; 1 when it settles the tape
 * (a snapshot, a reference, or a version 2 manifest naming none). */
static int look_file(struct snap_look *lk, struct tape *t, int64_t f,
		     uint32_t bs)
{
	struct tarr_tail tl;
	struct manifest mf;
	int settled = 0;

	if (tape_goto_file(t, (unsigned)f) || tarr_read_tail(t, bs, &tl))
		return 0;
	if (tl.manifest && manifest_decode(tl.manifest, tl.len, &mf) == 0) {
		if (mf.archive.kind == MANIFEST_CATALOG) {
			snprintf(lk->where, sizeof(lk->where), "%s:%lld",
				 lk->ct.barcode, (long long)f);
			lk->found = 1;
		} else if (mf.archive.catalog[0]) {
			snprintf(lk->where, sizeof(lk->where), "%s",
				 mf.archive.catalog);
			lk->found = 1;
		}
		lk->written = mf.archive.written;
		settled = mf.version >= 2;
		manifest_release(&mf);
	}
	tarr_tail_release(&tl);
	return settled;
}

static int look_job(struct sched_job *job, const struct sched_run *r)
{
	struct snap_look *lk = (struct snap_look *)job;
	struct tape *t = r->tape[0];
	struct tape_label l;
	int64_t last = 0;
	int ret = label_read(t, &l);

	uint32_t bs = lk->block_size;

	if (!ret && strcmp(l.barcode, lk->ct.barcode))
		ret = -EMEDIUMTYPE;
	if (!ret)
		ret = last_file(t, &last);
	if (l.block_size > bs)
		bs = l.block_size;
	for (int64_t f = last; !ret && f >= 1 && f > last - LOOK_BACK; f--)
		if (look_file(lk, t, f, bs))
			break;
	return ret;
}

static void look_done(struct sched_job *job, int result)
{
	struct snap_look *lk = (struct snap_look *)job;

	(void)result;
	pthread_mutex_lock(lk->mu);
	lk->ended = 1;
	++*lk->nended;
	pthread_cond_broadcast(lk->cv);
	pthread_mutex_unlock(lk->mu);
}

struct look_list {
	struct snap_look *v;
	size_t n;
};

static int look_add(void *ctx, const struct catalog_tape *t)
{
	struct look_list *ll = ctx;
	struct snap_look *v = realloc(ll->v, (ll->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	ll->v = v;
	memset(&v[ll->n], 0, sizeof(v[0]));
	v[ll->n++].ct = *t;
	return 0;
}

/* Look at every tape; the newest reference into where. -ENOENT: none. */
static int snap_find(struct tapefs *fs, char *where, size_t len)
{
	struct look_list ll = {NULL, 0};
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	struct timespec best = {0, 0};
	size_t nended = 0;
	int ret = catalog_tape_list(fs->cat, NULL, -1, look_add, &ll);

	for (size_t i = 0; !ret && i < ll.n; i++) {
		struct snap_look *lk = &ll.v[i];

		lk->mu = &mu;
		lk->cv = &cv;
		lk->block_size = fs->cfg.block_size;
		lk->nended = &nended;
		lk->job.prio = SCHED_PRIO_VERIFY;
		lk->job.mode = TAPE_RDONLY;
		lk->job.ntapes = 1;
		snprintf(lk->job.barcode[0], sizeof(lk->job.barcode[0]),
			 "%.35s", lk->ct.barcode);
		lk->job.run = look_job;
		lk->job.done = look_done;
		snprintf(lk->job.desc, sizeof(lk->job.desc),
			 "rebuild: snapshot on %.40s", lk->ct.barcode);
		if (sched_submit(fs->sched, &lk->job) < 0)
			look_done(&lk->job, -EIO);
	}
	pthread_mutex_lock(&mu);
	while (!ret && nended < ll.n)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	ret = ret ? ret : -ENOENT;
	for (size_t i = 0; i < ll.n; i++) {
		struct snap_look *lk = &ll.v[i];

		if (lk->found && (lk->written.tv_sec > best.tv_sec ||
				  (lk->written.tv_sec == best.tv_sec &&
				   lk->written.tv_nsec >= best.tv_nsec))) {
			best = lk->written;
			snprintf(where, len, "%s", lk->where);
			ret = 0;
		}
	}
	free(ll.v);
	return ret;
}

/* Reading the snapshot's member from one copy into a file. */
struct snap_read {
	struct sched_job job;
	int64_t fileno;
	uint32_t block_size; /* room for a record at first */
	int fd;
	char why[256];
};

static int sink_fd(void *arg, const void *buf, size_t len)
{
	struct snap_read *sr = arg;
	const char *p = buf;

	while (len) {
		ssize_t w = write(sr->fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_job(struct sched_job *job, const struct sched_run *r)
{
	struct snap_read *sr = (struct snap_read *)job;
	struct tape *t = r->tape[0];
	struct tape_label l;
	struct tarr_tail tl;
	struct manifest mf;
	int decoded, ret = label_read(t, &l);

	if (!ret)
		ret = tape_goto_file(t, (unsigned)sr->fileno);
	if (!ret)
		ret = tarr_read_tail(t,
				     l.block_size > sr->block_size
					 ? l.block_size
					 : sr->block_size,
				     &tl);
	if (ret)
		return ret;
	ret = tl.manifest ? manifest_decode(tl.manifest, tl.len, &mf) : -ENOENT;
	decoded = !ret;
	if (!ret && (mf.archive.kind != MANIFEST_CATALOG || mf.n != 1))
		ret = -ENOENT;
	if (!ret && (ftruncate(sr->fd, 0) < 0 || lseek(sr->fd, 0, SEEK_SET)))
		ret = -errno;
	if (!ret)
		ret = tarr_read_member(t, tl.start_lblock,
				       mf.m[0].header_offset, tl.block_size,
				       mf.m[0].md5, sink_fd, sr, NULL);
	if (decoded)
		manifest_release(&mf);
	tarr_tail_release(&tl);
	return ret;
}

/* The snapshot's member from the first copy of where that reads back
 * whole with its MD5, into fd. */
static int snap_read(struct tapefs *fs, const char *where, int fd, char *why,
		     size_t len)
{
	char *list = strdup(where), *save = NULL, *tok;
	int ret = -ENOENT, result;

	if (!list)
		return -ENOMEM;
	for (tok = strtok_r(list, ",", &save); tok && ret;
	     tok = strtok_r(NULL, ",", &save)) {
		struct snap_read sr;
		char *colon = strrchr(tok, ':');

		if (!colon)
			continue;
		*colon = '\0';
		memset(&sr, 0, sizeof(sr));
		sr.fileno = strtoll(colon + 1, NULL, 10);
		sr.fd = fd;
		sr.block_size = fs->cfg.block_size;
		sr.job.prio = SCHED_PRIO_VERIFY;
		sr.job.mode = TAPE_RDONLY;
		sr.job.ntapes = 1;
		snprintf(sr.job.barcode[0], sizeof(sr.job.barcode[0]), "%.35s",
			 tok);
		sr.job.run = read_job;
		snprintf(sr.job.desc, sizeof(sr.job.desc),
			 "rebuild: read snapshot");
		ret = sched_run_wait(fs->sched, &sr.job, 250, NULL, NULL,
				     &result);
		if (!ret)
			ret = result;
		snprintf(why, len, "snapshot %s:%lld: %s", tok,
			 (long long)sr.fileno, ret ? strerror(-ret) : "read");
	}
	free(list);
	return ret;
}

int rebuild_snapshot_fetch(struct tapefs *fs, const char *path, char *why,
			   size_t len)
{
	char where[MANIFEST_CATALOG_SIZE];
	int fd, ret;

	if (!fs->cat || !fs->sched)
		return -ENODEV;
	ret = snap_find(fs, where, sizeof(where));
	if (ret) {
		snprintf(why, len, "no snapshot of the catalog on the tapes");
		return ret;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = snap_read(fs, where, fd, why, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	if (ret)
		unlink(path);
	return ret;
}
