/* fs/engine/rebuild_read.c - one tape read by a rebuild, on its drive
 * (fs/engine/rebuild.h): its label checked against the catalog, then
 * each tape file from the first one the catalog does not know, its
 * manifest only, from the file's end (tarr_read_tail()), up to end of
 * data. What it finds goes into the run: one struct rb_copy per manifest
 * (the text to the spill file), and in its struct rb_tape the partial
 * archive that ends the tape, whether the end is past early warning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/engine/rebuild_int.h"
#include "tapeio/label.h"
#include "tapeio/manifest.h"
#include "tapeio/md5.h"
#include "tapeio/tarr.h"

int rb_copy_describe(struct rb_copy *c, const char *text, size_t len,
		     int64_t mtime)
{
	struct manifest mf;
	char hex[MD5_HEX_SIZE];
	int ret = manifest_decode(text, len, &mf);

	if (ret)
		return ret;
	c->kind = mf.archive.kind == MANIFEST_CATALOG ? CATALOG_ARCHIVE_CATALOG
						      : CATALOG_ARCHIVE_DATA;
	c->dump_id = mf.archive.dump_id;
	c->dumped = mf.archive.dumped;
	c->written = mf.archive.written;
	if (!c->written.tv_sec)
		c->written = (struct timespec){(time_t)mtime, 0};
	if (mf.archive.uuid[0]) {
		snprintf(c->ident, sizeof(c->ident), "%s", mf.archive.uuid);
	} else {
		/* version 1: the copies of one archive hold the same text */
		ret = md5_buf(text, len, hex);
		snprintf(c->ident, sizeof(c->ident), "md5:%s", hex);
	}
	manifest_release(&mf);
	return ret;
}

/* Room for one more copy in rb->copies (rb->mu held). 0 or -ENOMEM. */
static int copies_room(struct rebuild *rb)
{
	struct rb_copy *v;
	size_t cap;

	if (rb->ncopies < rb->capcopies)
		return 0;
	cap = rb->capcopies ? 2 * rb->capcopies : 64;
	v = realloc(rb->copies, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rb->copies = v;
	rb->capcopies = cap;
	return 0;
}

int rb_copy_add(struct rebuild *rb, const struct rb_copy *c, const char *text,
		size_t len)
{
	uint64_t off;
	ssize_t w;
	int ret = 0;

	/* the text first, into room of its own in the spill file (tapes are
	 * read by several threads at once) */
	pthread_mutex_lock(&rb->mu);
	off = rb->spill_end;
	rb->spill_end += len;
	pthread_mutex_unlock(&rb->mu);
	for (size_t done = 0; done < len; done += (size_t)w) {
		w = pwrite(rb->spill_fd, text + done, len - done,
			   (off_t)(off + done));
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
	}
	/* then the entry: only entries whose text is there count */
	pthread_mutex_lock(&rb->mu);
	ret = copies_room(rb);
	if (!ret) {
		rb->copies[rb->ncopies] = *c;
		rb->copies[rb->ncopies].off = off;
		rb->copies[rb->ncopies].len = len;
		rb->ncopies++;
		rb->rep->manifests++;
	}
	pthread_mutex_unlock(&rb->mu);
	return ret;
}

/* The label is the catalog's tape: its barcode, its uuid (when the
 * catalog knows one). 0, or -EMEDIUMTYPE / the tape's -errno with why. */
static int label_ok(struct rb_tape *tp, struct tape *t, struct tape_label *l)
{
	int ret = label_read(t, l);

	if (ret < 0) {
		snprintf(tp->why, sizeof(tp->why),
			 "tape %s: no tapefs label readable: %s",
			 tp->ct.barcode, strerror(-ret));
		return ret == -EINVAL || ret == -ENODATA ? -EMEDIUMTYPE : ret;
	}
	if (strcmp(l->barcode, tp->ct.barcode)) {
		snprintf(tp->why, sizeof(tp->why),
			 "tape %s not read: its label names %.40s",
			 tp->ct.barcode, l->barcode);
		return -EMEDIUMTYPE;
	}
	if (tp->ct.label_uuid[0] && strcmp(tp->ct.label_uuid, l->uuid)) {
		snprintf(tp->why, sizeof(tp->why),
			 "tape %s not read: label uuid %.40s, the catalog has "
			 "%.40s (a cartridge of another library?)",
			 tp->ct.barcode, l->uuid, tp->ct.label_uuid);
		return -EMEDIUMTYPE;
	}
	snprintf(tp->label_uuid, sizeof(tp->label_uuid), "%s", l->uuid);
	return 0;
}

/* At the start of file tp->from, or -errno with why (the tape ends
 * before the files the catalog knows: it is not the catalog's tape as the
 * catalog knows it). */
static int goto_first(struct rb_tape *tp, struct tape *t)
{
	struct tape_status st;
	int ret = tape_goto_file(t, (unsigned)tp->from);

	if (!ret)
		return 0;
	if (tape_status(t, &st) == 0 && st.eod) {
		snprintf(tp->why, sizeof(tp->why),
			 "tape %s not read: it ends before file %lld, and the "
			 "catalog knows %lld archives on it",
			 tp->ct.barcode, (long long)tp->from,
			 (long long)tp->ct.last_file);
		return -EMEDIUMTYPE;
	}
	snprintf(tp->why, sizeof(tp->why), "tape %s: to file %lld: %s",
		 tp->ct.barcode, (long long)tp->from, strerror(-ret));
	return ret;
}

/* A tape file with a manifest: a copy for the run. */
static int found_copy(struct rb_tape *tp, int64_t fileno,
		      const struct tarr_tail *tl)
{
	struct rb_copy c;
	int ret;

	memset(&c, 0, sizeof(c));
	snprintf(c.barcode, sizeof(c.barcode), "%s", tp->ct.barcode);
	c.fileno = fileno;
	c.start_lblock = tl->start_lblock;
	c.records = tl->records;
	c.block_size = tl->block_size;
	ret = rb_copy_describe(&c, tl->manifest, tl->len, tl->manifest_mtime);
	if (ret == -EINVAL) {
		rb_fail(tp->rb,
			"tape %s file %lld: its manifest does not "
			"decode: not recorded",
			tp->ct.barcode, (long long)fileno);
		pthread_mutex_lock(&tp->rb->mu);
		tp->rb->rep->no_manifest++;
		pthread_mutex_unlock(&tp->rb->mu);
		return 0;
	}
	if (!ret)
		ret = rb_copy_add(tp->rb, &c, tl->manifest, tl->len);
	return ret;
}

/* A tape file without a manifest but with a filemark. */
struct bare {
	int64_t file; /* 0: the last file read was not one */
	uint64_t lblock;
	uint32_t bs; /* the block size of the archives before it */
};

/* Every file from tp->from to end of data (read with room for records of
 * bs bytes, more when they are longer). A file cut short by end of data
 * is the tape's partial archive; *last: the last file, when it holds no
 * manifest but has a filemark. */
static int read_files(struct rb_tape *tp, struct tape *t, uint32_t bs,
		      struct bare *last)
{
	struct tarr_tail tl;
	int64_t f;
	int ret = 0;

	for (f = tp->from; !ret; f++) {
		if (rb_stopping(tp->rb))
			return -ECANCELED;
		ret = tarr_read_tail(t, bs, &tl);
		if (ret == -ENODATA)
			return 0;
		if (ret < 0) {
			snprintf(tp->why, sizeof(tp->why),
				 "tape %s file %lld: %s", tp->ct.barcode,
				 (long long)f, strerror(-ret));
			return ret;
		}
		pthread_mutex_lock(&tp->rb->mu);
		tp->rb->rep->files++;
		tp->rb->rep->no_manifest += !tl.manifest && tl.filemark;
		pthread_mutex_unlock(&tp->rb->mu);
		last->file = 0;
		if (!tl.filemark) {
			/* cut short by end of data: even with its manifest
			 * written, its filemark is not - not an archive */
			tp->partial = f;
			tp->partial_lblock = tl.start_lblock;
		} else if (tl.manifest) {
			ret = found_copy(tp, f, &tl);
			last->bs = tl.block_size;
		} else {
			last->file = f;
			last->lblock = tl.start_lblock;
		}
		tarr_tail_release(&tl);
		if (!ret && tp->partial)
			return 0; /* it ended at end of data */
	}
	return ret;
}

/* The end of data: past early warning? *used: the bytes recorded, as
 * the drive tells them (its capacity less what is left; 0 when it cannot
 * say). */
static void at_end(struct rb_tape *tp, struct tape *t, uint64_t *used)
{
	struct tape_status st;
	struct tape_space sp;

	if (tape_status(t, &st) == 0)
		tp->past_ew = st.eot;
	if (tape_space(t, &sp) == 0 && sp.capacity >= sp.remaining)
		*used = sp.capacity - sp.remaining;
}

int rb_tape_job(struct sched_job *job, const struct sched_run *r)
{
	struct rb_tape *tp = (struct rb_tape *)job;
	struct rebuild *rb = tp->rb;
	struct tape *t = r->tape[0];
	struct tape_counters cnt;
	struct tape_label l;
	struct bare last = {0, 0, rb->fs->cfg.block_size};
	uint64_t used = 0;
	int ret;

	rb_progress(rb, "reading %s", tp->ct.barcode);
	sched_drive_report(r->s, r->drive[0], SCHED_DRIVE_READING, 0, 0, 0, 0);
	ret = label_ok(tp, t, &l);
	if (!ret)
		ret = goto_first(tp, t);
	if (!ret)
		ret = read_files(
		    tp, t, l.block_size > last.bs ? l.block_size : last.bs,
		    &last);
	if (!ret) {
		at_end(tp, t, &used);
		/* the last file holds no manifest but starts like a tar
		 * archive: what an archive aborted with a filemark leaves */
		if (last.file && last.bs &&
		    tarr_file_starts_tar(t, last.lblock, last.bs) > 0) {
			tp->partial = last.file;
			tp->partial_lblock = last.lblock;
			pthread_mutex_lock(&rb->mu);
			rb->rep->no_manifest--;
			pthread_mutex_unlock(&rb->mu);
		}
		tp->ok = 1;
	}
	if (tape_counters(t, &cnt) == 0) {
		pthread_mutex_lock(&rb->mu);
		rb->rep->bytes_read += cnt.bytes_read;
		rb->rep->locates += cnt.locates;
		rb->rep->model_seconds += cnt.model_seconds;
		rb->rep->bytes_on_tape += used;
		pthread_mutex_unlock(&rb->mu);
	}
	return ret;
}
