/* fs/engine/dump.c - the dump engine's thread, its triggers and its API
 * (fs/engine/dump.h). The snapshot lives in fs/engine/dump_scan.c, the writing and the
 * commit in fs/engine/dump_write.c.
 *
 * The engine thread does everything slow: recovery at start-up, scans of
 * staging/ to keep the pending counts honest, and the dumps themselves
 * (one at a time). The functions the mount calls from FUSE threads only
 * update counters under the engine's mutex and wake the thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

#define DUMP_RETRY_S 30 /* pause of automatic dumps after a failure */
#define DUMP_WAIT_S 2   /* how often a dump waiting for a tape looks again */
#define DUMP_FAILS_PAUSE 3 /* failed dumps in a row that pause dumping */

static time_t now_s(void)
{
	return time(NULL);
}

void dump_error_set(struct dump *d, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&d->mu);
	snprintf(d->last_error, sizeof(d->last_error), "%s", msg);
	d->last_error_time = now_s();
	pthread_mutex_unlock(&d->mu);
	tapefs_error(d->fs, "dump: %s", msg);
}

/* ---- writers ------------------------------------------------------------ */

static struct dump_writer *writer_find(struct dump *d, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < d->nwriters; i++)
		if (d->writers[i].dev == dev && d->writers[i].ino == ino)
			return &d->writers[i];
	return NULL;
}

int dump_has_writer(struct dump *d, dev_t dev, ino_t ino)
{
	int r;

	pthread_mutex_lock(&d->mu);
	r = writer_find(d, dev, ino) != NULL;
	pthread_mutex_unlock(&d->mu);
	return r;
}

void dump_file_opened(struct dump *d, const char *relpath,
		      const struct stat *st)
{
	struct dump_writer *w;

	(void)relpath;
	if (!d || !st)
		return;
	pthread_mutex_lock(&d->mu);
	w = writer_find(d, st->st_dev, st->st_ino);
	if (w) {
		w->count++;
	} else {
		if (d->nwriters == d->capwriters) {
			size_t cap = d->capwriters ? d->capwriters * 2 : 16;
			struct dump_writer *n =
				realloc(d->writers, cap * sizeof(*n));
			if (!n)
				goto out; /* the snapshot's tarw check remains */
			d->writers = n;
			d->capwriters = cap;
		}
		w = &d->writers[d->nwriters++];
		w->dev = st->st_dev;
		w->ino = st->st_ino;
		w->count = 1;
	}
	d->dirty = 1;
	d->last_change = now_s();
out:
	pthread_mutex_unlock(&d->mu);
}

void dump_file_closed(struct dump *d, const char *relpath,
		      const struct stat *st)
{
	struct dump_writer *w;
	int remaining = 0;

	(void)relpath;
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	w = st ? writer_find(d, st->st_dev, st->st_ino) : NULL;
	if (w) {
		remaining = --w->count;
		if (remaining <= 0)
			*w = d->writers[--d->nwriters];
	}
	if (st && S_ISREG(st->st_mode) && remaining <= 0) {
		/* Counted until the next scan sets the exact figures. */
		d->elig_files++;
		d->elig_bytes += (uint64_t)st->st_size;
	}
	d->dirty = 1;
	d->last_change = now_s();
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

void dump_path_changed(struct dump *d, const char *relpath)
{
	(void)relpath;
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->dirty = 1;
	d->last_change = now_s();
	pthread_mutex_unlock(&d->mu);
}

/* ---- requests ----------------------------------------------------------- */

static int refuse(struct dump *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct dump *d, int err, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&d->mu);
	snprintf(d->last_error, sizeof(d->last_error), "%s", msg);
	d->last_error_time = now_s();
	pthread_mutex_unlock(&d->mu);
	tapefs_error(d->fs, ".dump: %s", msg);
	return err;
}

/* Check PATH of "now PATH" and normalise it in place (no leading '/' or
 * "staging/", no trailing '/'). */
static int path_check(struct dump *d, char *p)
{
	char *s = p;
	size_t n;

	while (*s == '/')
		s++;
	if (!strncmp(s, "staging/", 8))
		s += 8;
	else if (!strcmp(s, "staging"))
		s += 7;
	memmove(p, s, strlen(s) + 1);
	n = strlen(p);
	while (n && p[n - 1] == '/')
		p[--n] = 0;
	if (n >= PATH_MAX)
		return refuse(d, -EINVAL, "path too long (%zu bytes)", n);
	for (char *c = p; *c;) {
		char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return refuse(d, -EINVAL,
				      "bad path '%s': empty, '.' or '..' component",
				      p);
		if (len > NAME_MAX)
			return refuse(d, -EINVAL, "bad path: a name over %d bytes",
				      NAME_MAX);
		c = e ? e + 1 : c + len;
	}
	return 0;
}

/* Queue a dump of path (NULL: everything). 0 or -ENOMEM. */
static int request_queue(struct dump *d, const char *path)
{
	struct dump_req *r, **pp;

	r = calloc(1, sizeof(*r));
	if (!r || (path && !(r->path = strdup(path)))) {
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_lock(&d->mu);
	for (pp = &d->reqs; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

/* "each PATH": one queued dump per immediate subdirectory of PATH, in
 * name order (p normalised by path_check). */
static int request_each(struct dump *d, const char *p)
{
	struct dirent **names = NULL;
	char sub[PATH_MAX];
	int fd, n, queued = 0, ret = 0;

	fd = openat(d->fs->staging_fd, *p ? p : ".",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return refuse(d, errno == ENOTDIR ? -ENOTDIR : -ENOENT,
			      "each: '%s' is not a directory in staging/", p);
	n = scandirat(fd, ".", &names, NULL, alphasort);
	if (n < 0) {
		ret = refuse(d, -errno, "each: cannot list '%s': %s", p,
			     strerror(errno));
		goto out_close;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;
		const char *nm = names[i]->d_name;

		if (!ret && strcmp(nm, ".") && strcmp(nm, "..") &&
		    fstatat(fd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode)) {
			if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", p,
					     *p ? "/" : "", nm) >= sizeof(sub))
				ret = refuse(d, -EINVAL, "each: path too long");
			else if (!(ret = request_queue(d, sub)))
				queued++;
		}
		free(names[i]);
	}
	free(names);
	if (!ret && !queued)
		ret = refuse(d, -ENODATA, "each: '%s' has no subdirectory",
			     p);
out_close:
	close(fd);
	return ret;
}

int dump_request(struct dump *d, const char *line)
{
	char *buf, *arg = NULL;
	size_t n;
	int ret = 0;

	if (!d)
		return -ENODEV;
	n = strlen(line);
	if (n > PATH_MAX + 16)
		return refuse(d, -EINVAL, "request too long (%zu bytes); usage: now | now PATH", n);
	buf = strdup(line);
	if (!buf)
		return -ENOMEM;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (n && buf[n - 1] == '\r')
		buf[--n] = 0;
	if (!strcmp(buf, "resume")) {
		pthread_mutex_lock(&d->mu);
		d->paused = 0;
		d->fails = 0;
		d->wait_until = 0;
		d->retry_after = 0;
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->mu);
		goto out;
	} else if (!strncmp(buf, "each ", 5)) {
		ret = path_check(d, buf + 5);
		if (!ret)
			ret = request_each(d, buf + 5);
		goto out;
	} else if (!strcmp(buf, "now")) {
		arg = NULL;
	} else if (!strncmp(buf, "now ", 4)) {
		arg = buf + 4;
		if (!*arg) {
			ret = refuse(d, -EINVAL, "'now ' without a path; usage: now | now PATH");
			goto out;
		}
		ret = path_check(d, arg);
		if (ret)
			goto out;
		if (arg[0]) {
			struct stat st;
			if (fstatat(d->fs->staging_fd, arg, &st,
				    AT_SYMLINK_NOFOLLOW) < 0) {
				ret = refuse(d, -ENOENT, "'%s' is not in staging/", arg);
				goto out;
			}
			if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
			    !S_ISLNK(st.st_mode)) {
				ret = refuse(d, -EINVAL, "'%s' is neither a file, a directory nor a symlink", arg);
				goto out;
			}
		} else {
			arg = NULL; /* the whole of staging/ */
		}
	} else {
		char shown[64];
		size_t k;
		for (k = 0; k < sizeof(shown) - 1 && buf[k]; k++)
			shown[k] = (buf[k] < 0x20 || buf[k] == 0x7f) ? '?' : buf[k];
		shown[k] = 0;
		ret = refuse(d, -EINVAL, "unknown request '%s%s'; usage: now | now PATH | each PATH | resume",
			     shown, buf[k] ? "..." : "");
		goto out;
	}
	pthread_mutex_lock(&d->mu);
	if (!arg && !d->dirty && !d->running && d->staged_files == 0 &&
	    d->pending_entries == 0 && d->nwriters == 0 &&
	    d->elig_files == 0) {
		pthread_mutex_unlock(&d->mu);
		ret = refuse(d, -ENODATA, "nothing staged to dump");
		goto out;
	}
	pthread_mutex_unlock(&d->mu);
	ret = request_queue(d, arg);
out:
	free(buf);
	return ret;
}

/* ---- the engine thread -------------------------------------------------- */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void current_set(struct dump *d, const struct dump_snap *s)
{
	char **v = s ? calloc(s->n ? s->n : 1, sizeof(*v)) : NULL;
	size_t n = 0;

	if (v) {
		for (size_t i = 0; i < s->n; i++)
			v[n++] = s->e[i].rel;
		qsort(v, n, sizeof(*v), str_cmp);
	}
	pthread_mutex_lock(&d->mu);
	free(d->cur_paths);
	d->cur_paths = v;
	d->ncur_paths = v ? n : 0;
	d->running = s != NULL;
	if (s) {
		d->cur_files = s->files;
		d->cur_bytes = s->bytes;
		d->cur_done = 0;
		d->cur_total = 0;
		d->cur_id = 0;
		d->cur_tapes[0] = 0;
	}
	pthread_mutex_unlock(&d->mu);
}

/* Scan staging/ for the exact pending figures. */
static void rescan(struct dump *d)
{
	struct dump_snap s;
	uint64_t files = 0, bytes = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&d->mu);
	d->dirty = 0;
	pthread_mutex_unlock(&d->mu);
	if (dump_snap_take(d, "", &s, &files, &bytes) < 0) {
		pthread_mutex_lock(&d->mu);
		d->dirty = 1;
		d->last_scan = now_s();
		pthread_mutex_unlock(&d->mu);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&d->mu);
	d->staged_files = files;
	d->staged_bytes = bytes;
	d->elig_files = s.files;
	d->elig_bytes = s.bytes;
	/* Directories alone (empty ones) are pending too. */
	d->pending_entries = s.n;
	/* Scan again at most every 2 s, and never spend more than a tenth
	 * of the time scanning (a huge staging/ during ingest). */
	d->scan_every = 2 + (time_t)(10 * ((double)(t1.tv_sec - t0.tv_sec) +
					   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	d->last_scan = now_s();
	pthread_mutex_unlock(&d->mu);
	dump_snap_free(&s);
}

/* 1 when every pool a copy goes to has a tape that may be written (open
 * with room or scratch; closed, retired and full tapes never are), else 0
 * with the reason in d->waiting and no dump before d->wait_until. */
static int tapes_ready(struct dump *d)
{
	const struct tapefs_config *c = &d->fs->cfg;
	struct catalog_tape t;
	char why[256] = "";
	int waited;

	pthread_mutex_lock(&d->mu);
	waited = d->waiting[0] != 0;
	pthread_mutex_unlock(&d->mu);
	for (int i = 0; i < c->copies && !why[0]; i++) {
		int ret = catalog_tape_choose(d->fs->cat, c->pools[i], 1, NULL,
					      0, &t);
		if (ret == -ENOSPC && !waited) {
			/* new cartridges? Asked once per wait: a real
			 * library's inventory is slow; `inventory` asks again */
			library_import(d->fs);
			ret = catalog_tape_choose(d->fs->cat, c->pools[i], 1,
						  NULL, 0, &t);
		}
		if (ret == -ENOSPC)
			snprintf(why, sizeof(why),
				 "waiting for a scratch tape in pool %s (its tapes are all closed, retired or full)",
				 c->pools[i]);
	}
	pthread_mutex_lock(&d->mu);
	if (why[0] && strcmp(why, d->waiting))
		tapefs_error(d->fs, "dump: %s", why);
	snprintf(d->waiting, sizeof(d->waiting), "%s", why);
	if (why[0])
		d->wait_until = now_s() + DUMP_WAIT_S;
	pthread_mutex_unlock(&d->mu);
	return !why[0];
}

/* After a dump: count failures in a row; enough of them pause dumps. A
 * stop (-ECANCELED) and sources that all changed (-ESTALE: they simply
 * dump later) are no failure of the archive's path to tape. */
static void fails_note(struct dump *d, int ret)
{
	pthread_mutex_lock(&d->mu);
	if (!ret) {
		d->fails = 0;
	} else if (ret != -ECANCELED && ret != -ESTALE &&
		   ++d->fails >= DUMP_FAILS_PAUSE &&
		   !d->paused) {
		d->paused = 1;
		pthread_mutex_unlock(&d->mu);
		tapefs_error(d->fs, "dump: paused after %d failed dumps in a row; echo resume > .dump",
			     DUMP_FAILS_PAUSE);
		return;
	}
	pthread_mutex_unlock(&d->mu);
}

/* One dump of rel (NULL: everything); requested: from `.dump`. Returns 1
 * when it must wait for a tape (nothing was done), else 0. */
static int dump_once(struct dump *d, const char *rel, int requested)
{
	struct dump_snap s;
	int64_t archive_id = 0;
	int ret;
	size_t kept;

	if (!tapes_ready(d))
		return 1;
	ret = dump_snap_take(d, rel ? rel : "", &s, NULL, NULL);
	if (ret < 0) {
		dump_error_set(d, "snapshot of '%s': %s", rel ? rel : "staging/",
			       strerror(-ret));
		return 0;
	}
	if (!s.n) {
		if (requested)
			dump_error_set(d, "nothing to dump in '%s' (files still open for writing?)",
				       rel ? rel : "staging/");
		dump_snap_free(&s);
		return 0;
	}
	current_set(d, &s);
	ret = dump_write(d, &s, &archive_id);
	fails_note(d, ret);
	if (ret == 0) {
		kept = dump_snap_remove(d, &s);
		pthread_mutex_lock(&d->mu);
		d->committed++;
		d->last_id = d->cur_id;
		d->last_time = now_s();
		d->last_files = 0;
		d->last_bytes = 0;
		for (size_t i = 0; i < s.n; i++) {
			if (s.e[i].dropped || S_ISDIR(s.e[i].st.st_mode))
				continue;
			d->last_files++;
			if (S_ISREG(s.e[i].st.st_mode))
				d->last_bytes += (uint64_t)s.e[i].st.st_size;
		}
		snprintf(d->last_tapes, sizeof(d->last_tapes), "%s", d->cur_tapes);
		d->retry_after = 0;
		pthread_mutex_unlock(&d->mu);
		if (kept)
			tapefs_error(d->fs, "dump %lld: %zu entries changed after the snapshot: they stay staged",
				     (long long)d->last_id, kept);
	} else {
		pthread_mutex_lock(&d->mu);
		d->retry_after = now_s() + DUMP_RETRY_S;
		pthread_mutex_unlock(&d->mu);
	}
	current_set(d, NULL);
	pthread_mutex_lock(&d->mu);
	d->dirty = 1;
	d->last_scan = 0;
	pthread_mutex_unlock(&d->mu);
	dump_snap_free(&s);
	return 0;
}

struct unfinished {
	int64_t ids[256];
	size_t n;
};

static int unfinished_fn(void *ctx, const struct catalog_dump *cd)
{
	struct unfinished *u = ctx;

	if (u->n < 256)
		u->ids[u->n++] = cd->id;
	return 0;
}

/* Start-up: dumps a crash interrupted are failed (their files are still
 * staged), and files committed but still staged are removed. */
static void recover(struct dump *d)
{
	struct unfinished u;
	size_t n;

	do {
		u.n = 0;
		if (catalog_dump_unfinished(d->fs->cat, unfinished_fn, &u) < 0)
			break;
		for (size_t i = 0; i < u.n; i++) {
			catalog_dump_fail(d->fs->cat, u.ids[i],
					  "interrupted: the daemon stopped during the dump");
			tapefs_error(d->fs, "dump %lld was interrupted (the daemon stopped): its files are still staged and dump again",
				     (long long)u.ids[i]);
		}
	} while (u.n == 256);
	n = dump_recover_committed(d);
	if (n)
		tapefs_error(d->fs, "dump: %zu staged files were already on tape (stopped between commit and clean-up): removed from staging/",
			     n);
}

static int auto_due(struct dump *d, time_t now)
{
	const struct tapefs_config *c = &d->fs->cfg;

	if (now < d->retry_after || now < d->wait_until || d->paused)
		return 0;
	if (c->dump_bytes && d->elig_bytes >= c->dump_bytes)
		return 1;
	if (c->dump_files && d->elig_files >= c->dump_files)
		return 1;
	if ((d->elig_files || d->pending_entries) && !d->dirty &&
	    c->dump_idle && now - d->last_change >= (time_t)c->dump_idle)
		return 1;
	return 0;
}

static void *engine_main(void *arg)
{
	struct dump *d = arg;

	recover(d);
	library_import(d->fs);
	rescan(d);
	pthread_mutex_lock(&d->mu);
	d->started_up = 1;
	pthread_cond_broadcast(&d->cv);
	while (!d->stopping) {
		time_t now = now_s();
		struct timespec ts;

		if (d->reqs && !d->paused && now >= d->wait_until) {
			struct dump_req *r = d->reqs;
			d->reqs = r->next;
			pthread_mutex_unlock(&d->mu);
			if (dump_once(d, r->path, 1)) {
				/* no tape yet: first in line again */
				pthread_mutex_lock(&d->mu);
				r->next = d->reqs;
				d->reqs = r;
				continue;
			}
			free(r->path);
			free(r);
			pthread_mutex_lock(&d->mu);
			continue;
		}
		if (d->dirty && now - d->last_scan >= d->scan_every) {
			pthread_mutex_unlock(&d->mu);
			rescan(d);
			pthread_mutex_lock(&d->mu);
			continue;
		}
		if (auto_due(d, now)) {
			pthread_mutex_unlock(&d->mu);
			rescan(d);
			pthread_mutex_lock(&d->mu);
			if (!auto_due(d, now_s()))
				continue;
			pthread_mutex_unlock(&d->mu);
			(void)dump_once(d, NULL, 0);
			pthread_mutex_lock(&d->mu);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&d->cv, &d->mu, &ts);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int dump_start(struct tapefs *fs)
{
	struct dump *d;
	int ret;

	if (fs->cfg.copies < 1 || fs->cfg.copies > SCHED_GANG_MAX ||
	    fs->cfg.copies > fs->cfg.npools) {
		fprintf(stderr, "tapefs: dump: %d copies need as many pools (%d given)\n",
			fs->cfg.copies, fs->cfg.npools);
		return -EINVAL;
	}
	if (!fs->cat || !fs->sched || fs->staging_fd < 0)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fs = fs;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->dirty = 1;
	d->scan_every = 2;
	d->last_change = now_s();
	fs->dump = d;
	ret = -pthread_create(&d->th, NULL, engine_main, d);
	if (ret < 0) {
		fs->dump = NULL;
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		free(d);
		return ret;
	}
	d->th_started = 1;
	return 0;
}

void dump_stop(struct tapefs *fs)
{
	struct dump *d = fs ? fs->dump : NULL;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = 1;
	if (d->cur_w)
		tarw_cancel(d->cur_w);
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->th_started)
		pthread_join(d->th, NULL);
	while (d->reqs) {
		struct dump_req *r = d->reqs;
		d->reqs = r->next;
		free(r->path);
		free(r);
	}
	free(d->writers);
	free(d->cur_paths);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	fs->dump = NULL;
	free(d);
}

/* ---- status ------------------------------------------------------------- */

static int percent_locked(const struct dump *d)
{
	uint64_t p;

	if (!d->running || !d->cur_total)
		return 0;
	p = d->cur_done * 100 / d->cur_total;
	return p > 100 ? 100 : (int)p;
}

int dump_stats(struct dump *d, struct dump_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&d->mu);
	out->running = d->running;
	out->percent = percent_locked(d);
	if (d->running) {
		out->current_id = d->cur_id;
		out->current_files = d->cur_files;
		out->current_bytes = d->cur_bytes;
		snprintf(out->current_tapes, sizeof(out->current_tapes), "%s",
			 d->cur_tapes);
	}
	out->staged_files = d->staged_files;
	out->staged_bytes = d->staged_bytes;
	out->eligible_files = d->elig_files;
	out->eligible_bytes = d->elig_bytes;
	out->dumps_committed = d->committed;
	out->last_id = d->last_id;
	out->last_time = d->last_time;
	out->last_files = d->last_files;
	out->last_bytes = d->last_bytes;
	snprintf(out->last_tapes, sizeof(out->last_tapes), "%s", d->last_tapes);
	snprintf(out->last_error, sizeof(out->last_error), "%s", d->last_error);
	out->last_error_time = d->last_error_time;
	snprintf(out->waiting, sizeof(out->waiting), "%s", d->waiting);
	out->paused = d->paused;
	out->fails = d->fails;
	pthread_mutex_unlock(&d->mu);
	return 0;
}

int dump_path_dumping(struct dump *d, const char *relpath)
{
	int r = 0;

	if (!d || !relpath)
		return 0;
	while (*relpath == '/')
		relpath++;
	pthread_mutex_lock(&d->mu);
	if (d->running && d->cur_paths)
		r = bsearch(&relpath, d->cur_paths, d->ncur_paths,
			    sizeof(char *), str_cmp) != NULL;
	pthread_mutex_unlock(&d->mu);
	return r;
}
