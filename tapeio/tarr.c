/* tapeio/tarr.c - the tar-on-tape reader (tapeio/tarr.h).
 *
 * libarchive pulls records through tarr_record(): one tape_read() of one
 * record per call. Positions come from libarchive itself: the position of
 * a header (archive_read_header_position()) and the bytes consumed after
 * it (archive_filter_bytes(a, 0)), both counted from the first byte handed
 * to libarchive, which for tarr_read_member() is byte header_offset %
 * block_size of the record located to.
 *
 * Walking (tarr_open()) reads ahead: a thread reads the next records of
 * the tape file into a small ring while the caller hashes, so a drive
 * keeps streaming instead of stopping for every MD5 pass. It stops at the
 * filemark, at the first error, and whenever tarr returns an error, so
 * the caller owns the tape again after any error (tarr_open_inline():
 * no thread, one record at a time). tarr_read_member() reads exactly the
 * records it needs (the rest of a member ahead on the same ring once its
 * header gives its size); through a cursor its first record may be the
 * cursor's copy of the record read last (tarr_cursor.c).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "tapeio/ahead.h"
#include "tapeio/tarr_int.h"

#define MANIFEST_MAX   (1ull << 30) /* larger: not ours, do not buffer */
#define PREFETCH_BYTES (8u << 20)
#define PREFETCH_SLOTS 1024 /* records read ahead at most (small blocks) */

/* The read-ahead ring of a walk: a thread of the pool (tapeio/ahead.h)
 * fills slot head % n, the reader holds slot tail % n while libarchive
 * uses it. */
struct prefetch {
	struct ahead_job job;
	int running;	      /* job handed to the pool, done not yet seen */
	pthread_mutex_t lock; /* guards head, tail, stop, done */
	pthread_cond_t cond;
	char **buf;
	ssize_t *len; /* tape_read() result of each slot */
	size_t n;
	uint64_t head, tail;
	uint64_t limit; /* records to read at most; 0: up to the filemark */
	int stop;
	int done;    /* the thread read its last record */
	int holding; /* reader: slot tail is lent to libarchive */
};

struct tarr {
	struct tape *t;
	struct archive *a;
	char *rec; /* one record, when read without the ring */
	uint32_t block_size;
	size_t skip;		/* bytes to drop from the first record */
	uint64_t records;	/* records read */
	uint32_t rec_len;	/* the first record's length */
	int rec_short;		/* a record shorter than that was read */
	int rec_mixed;		/* records of several lengths: not one
				   block size (tarr_records()) */
	int tape_err;		/* -errno of the tape read that failed, or 0 */
	int at_filemark;	/* the last read returned 0 */
	int broken;		/* -errno: nothing more can be read */
	int opened;		/* archive_read_open done */
	int data_pending;	/* current member's data not read yet */
	struct tar_member *cur; /* current member (caller's record) */
	uint64_t cur_size;	/* its size, whatever the caller does
				   with its record */
	int cur_manifest;	/* current member is MANIFEST_MEMBER */
	int nohash;		/* one member whose MD5 nobody asks for:
				   its data is not hashed (the caller's sink
				   hashes it, on another thread) */
	struct manifest manifest; /* parsed manifest */
	int manifest_err;	  /* -ENOENT until seen, -EINVAL if bad */
	struct prefetch *pf;	  /* walks only */
	/* one member through a cursor: the record to hand first (the
	 * cursor's copy), the tape reads made, and the last record handed */
	const char *first;
	size_t first_len;
	uint64_t tape_reads; /* tape_read() calls, the ring's included */
	const void *last;
	size_t last_len;
};

/* One tape record into buf: its length, 0 at a filemark, -EINVAL for a
 * record longer than block_size (not ours), or the tape's -errno. */
static ssize_t record_read(struct tarr *r, char *buf)
{
	ssize_t n = tape_read(r->t, buf, r->block_size);

	r->tape_reads++; /* by one thread at a time: the ring's or ours */
	return n == -ENOMEM ? -EINVAL : n;
}

static void prefetch_main(void *arg)
{
	struct tarr *r = arg;
	struct prefetch *pf = r->pf;
	ssize_t n;
	size_t slot;

	for (;;) {
		pthread_mutex_lock(&pf->lock);
		while (!pf->stop && pf->head - pf->tail >= pf->n)
			pthread_cond_wait(&pf->cond, &pf->lock);
		slot = pf->head % pf->n;
		pthread_mutex_unlock(&pf->lock);
		if (pf->stop)
			break;
		/* a slot's buffer is made when first filled: a short archive
		 * takes a few records' memory, not the whole ring's */
		if (!pf->buf[slot])
			pf->buf[slot] = malloc(r->block_size);
		n = pf->buf[slot] ? record_read(r, pf->buf[slot]) : -ENOMEM;
		pthread_mutex_lock(&pf->lock);
		pf->len[slot] = n;
		pf->head++;
		pthread_cond_broadcast(&pf->cond);
		pthread_mutex_unlock(&pf->lock);
		if (n <= 0 || (pf->limit && pf->head >= pf->limit))
			break; /* filemark, error, or all that was asked */
	}
	/* the last touch of pf: once done is seen, the reader may free it */
	pthread_mutex_lock(&pf->lock);
	pf->done = 1;
	pthread_cond_broadcast(&pf->cond);
	pthread_mutex_unlock(&pf->lock);
}

/* Stop the read-ahead and wait until its job is finished: the tape is the
 * caller's again. */
static void prefetch_stop(struct prefetch *pf)
{
	if (!pf || !pf->running)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->stop = 1;
	pthread_cond_broadcast(&pf->cond);
	while (!pf->done)
		pthread_cond_wait(&pf->cond, &pf->lock);
	pthread_mutex_unlock(&pf->lock);
	pf->running = 0;
}

static void prefetch_free(struct prefetch *pf)
{
	size_t i;

	if (!pf)
		return;
	prefetch_stop(pf);
	/* the slots were filled in order: the buffers made are a prefix */
	for (i = 0; pf->buf && i < pf->n && pf->buf[i]; i++)
		free(pf->buf[i]);
	pthread_mutex_destroy(&pf->lock);
	pthread_cond_destroy(&pf->cond);
	free(pf->buf);
	free(pf->len);
	free(pf);
}

/* limit: records to read at most (0: up to the filemark). r->pf is set
 * only on success. */
static int prefetch_new(struct tarr *r, uint64_t limit)
{
	struct prefetch *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return -ENOMEM;
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->cond, NULL);
	pf->limit = limit;
	pf->n = PREFETCH_BYTES / r->block_size;
	if (pf->n > PREFETCH_SLOTS)
		pf->n = PREFETCH_SLOTS;
	if (limit && pf->n > limit)
		pf->n = (size_t)limit;
	if (pf->n < 3)
		pf->n = 3;
	pf->buf = calloc(pf->n, sizeof(*pf->buf));
	pf->len = calloc(pf->n, sizeof(*pf->len));
	if (!pf->buf || !pf->len) {
		prefetch_free(pf);
		return -ENOMEM;
	}
	r->pf = pf;
	return 0;
}

/* The next record from the ring: its length (0 filemark, -errno), *buf
 * lent until the next call. */
static ssize_t prefetch_next(struct tarr *r, const void **buf)
{
	struct prefetch *pf = r->pf;
	ssize_t n;

	if (!pf->running && !pf->stop) {
		pf->job = (struct ahead_job){.fn = prefetch_main, .arg = r};
		if (ahead_run(&pf->job))
			return -EAGAIN;
		pf->running = 1;
	}
	pthread_mutex_lock(&pf->lock);
	if (pf->holding) {
		pf->tail++;
		pf->holding = 0;
		pthread_cond_broadcast(&pf->cond);
	}
	while (pf->head == pf->tail && !pf->stop && !pf->done)
		pthread_cond_wait(&pf->cond, &pf->lock);
	if (pf->head == pf->tail) {
		/* done: the limit was reached, libarchive only looks ahead;
		 * stopped: cannot happen while reading */
		n = pf->done ? 0 : -EIO;
	} else {
		n = pf->len[pf->tail % pf->n];
		*buf = pf->buf[pf->tail % pf->n];
		pf->holding = 1;
	}
	pthread_mutex_unlock(&pf->lock);
	return n;
}

/* One record, from the ring (walks) or straight from the tape. */
static ssize_t tarr_read_record(struct tarr *r, const void **buf)
{
	if (r->first) {
		*buf = r->first;
		r->first = NULL;
		return (ssize_t)r->first_len;
	}
	if (r->pf)
		return prefetch_next(r, buf);
	if (!r->rec && !(r->rec = malloc(r->block_size)))
		return -ENOMEM;
	*buf = r->rec;
	return record_read(r, r->rec);
}

/* Count one record of n bytes and note whether the file keeps one
 * record length (only its last record may be shorter). */
static void shape_note(struct tarr *r, ssize_t n)
{
	if (!r->records++)
		r->rec_len = (uint32_t)n;
	else if (r->rec_short || (uint32_t)n > r->rec_len)
		r->rec_mixed = 1;
	else if ((uint32_t)n < r->rec_len)
		r->rec_short = 1;
}

/* libarchive's read callback: one record per call, 0 at a filemark. */
static la_ssize_t tarr_record(struct archive *a, void *arg, const void **buf)
{
	struct tarr *r = arg;
	const void *rec = NULL;
	ssize_t n;

	if (r->at_filemark || r->tape_err)
		return 0;
	n = tarr_read_record(r, &rec);
	if (n < 0) {
		r->tape_err = (int)n;
		archive_set_error(a, (int)-n, "tape read failed");
		return -1;
	}
	if (n == 0) {
		r->at_filemark = 1;
		return 0;
	}
	shape_note(r, n);
	r->last = rec;
	r->last_len = (size_t)n;
	if (r->skip) {
		size_t skip = r->skip;

		r->skip = 0;
		if ((size_t)n <= skip) {
			archive_set_error(a, EINVAL,
					  "record shorter than offset");
			r->tape_err = -EINVAL;
			return -1;
		}
		*buf = (const char *)rec + skip;
		return n - (ssize_t)skip;
	}
	*buf = rec;
	return n;
}

static int tarr_new(struct tarr **out, struct tape *t, uint32_t block_size)
{
	struct tarr *r;

	if (!t || (block_size && block_size % 512))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->t = t;
	r->block_size = block_size ? block_size : 256 * 1024;
	r->manifest_err = -ENOENT;
	r->a = archive_read_new();
	if (!r->a) {
		tarr_free(r);
		return -ENOMEM;
	}
	archive_read_support_format_tar(r->a);
	*out = r;
	return 0;
}

int tarr_open(struct tarr **out, struct tape *t, uint32_t block_size)
{
	struct tarr *r = NULL;
	int ret = tarr_new(&r, t, block_size);

	if (ret)
		return ret;
	ret = prefetch_new(r, 0);
	if (ret) {
		tarr_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

int tarr_open_inline(struct tarr **out, struct tape *t, uint32_t block_size)
{
	return tarr_new(out, t, block_size);
}

void tarr_free(struct tarr *r)
{
	if (!r)
		return;
	prefetch_free(r->pf); /* before libarchive: it may hold a slot */
	if (r->a)
		archive_read_free(r->a);
	manifest_release(&r->manifest);
	free(r->rec);
	free(r);
}

/* The error of a failed libarchive call: the tape's, else a format one. */
static int tarr_err(struct tarr *r)
{
	int err = r->tape_err ? r->tape_err : -EINVAL;

	r->broken = err;
	prefetch_stop(r->pf);
	return err;
}

static enum tar_type tarr_type(struct archive_entry *e)
{
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return TAR_DIR;
	case AE_IFLNK:
		return TAR_SYMLINK;
	default:
		return TAR_FILE; /* hard links and specials: data-less files */
	}
}

/* Fill m from the entry a just read. */
static int tarr_fill(struct archive *a, struct archive_entry *e,
		     struct tar_member *m)
{
	const char *name = archive_entry_pathname(e);
	const char *link = archive_entry_symlink(e);
	size_t len;

	memset(m, 0, sizeof(*m));
	if (!name)
		return -EINVAL;
	m->name = strdup(name);
	if (!m->name)
		return -ENOMEM;
	m->type = tarr_type(e);
	/* libarchive keeps a directory's trailing "/"; the writer's records
	 * do not have it. */
	len = strlen(m->name);
	if (m->type == TAR_DIR && len > 1 && m->name[len - 1] == '/')
		m->name[len - 1] = '\0';
	if (m->type == TAR_SYMLINK) {
		m->link = strdup(link ? link : "");
		if (!m->link) {
			tar_member_clear(m);
			return -ENOMEM;
		}
	}
	m->size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0
		      ? (uint64_t)archive_entry_size(e)
		      : 0;
	m->mode = archive_entry_perm(e) & 07777;
	m->uid = (uid_t)archive_entry_uid(e);
	m->gid = (gid_t)archive_entry_gid(e);
	if ((archive_entry_uname(e) &&
	     !(m->owner = strdup(archive_entry_uname(e)))) ||
	    (archive_entry_gname(e) &&
	     !(m->group = strdup(archive_entry_gname(e))))) {
		tar_member_clear(m);
		return -ENOMEM;
	}
	m->mtime.tv_sec = archive_entry_mtime(e);
	m->mtime.tv_nsec = archive_entry_mtime_nsec(e);
	m->header_offset = (uint64_t)archive_read_header_position(a);
	m->data_offset = (uint64_t)archive_filter_bytes(a, 0);
	m->md5[0] = '\0';
	return 0;
}

/* Read the next header into m. Returns 1, 0 at the end, -errno. */
static int tarr_header(struct tarr *r, struct tar_member *m)
{
	struct archive_entry *e;
	int ret;

	ret = archive_read_next_header(r->a, &e);
	if (ret == ARCHIVE_EOF)
		return 0;
	if (ret < ARCHIVE_WARN)
		return tarr_err(r);
	ret = tarr_fill(r->a, e, m);
	if (ret)
		return ret;
	r->data_pending = 1;
	r->cur = m;
	r->cur_size = m->size;
	r->cur_manifest = strcmp(m->name, MANIFEST_MEMBER) == 0;
	return 1;
}

/* The manifest's text as it is read: it grows with the data that really
 * arrives, never to the size a header claims. */
struct mtext {
	char *p;
	size_t len, cap;
};

static int mtext_add(struct mtext *t, const void *buf, size_t len)
{
	size_t cap = t->cap ? t->cap : 4096;
	char *p;

	while (cap < t->len + len)
		cap *= 2;
	if (cap != t->cap) {
		p = realloc(t->p, cap);
		if (!p)
			return -ENOMEM;
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, buf, len);
	t->len += len;
	return 0;
}

/* Hash and sink the zeros of a sparse entry's hole, from *at to off. */
static int tarr_hole(struct md5 *h, uint64_t *at, uint64_t off,
		     tarr_sink_fn sink, void *arg)
{
	static const char zeros[4096];
	int ret;

	while (*at < off) {
		size_t z = off - *at < sizeof(zeros) ? (size_t)(off - *at)
						     : sizeof(zeros);

		if (h)
			md5_update(h, zeros, z);
		if (sink && (ret = sink(arg, zeros, z)))
			return ret;
		*at += z;
	}
	return 0;
}

/* Whether a block of len bytes at offset off of a member of size bytes,
 * after at bytes already given, is one it may hold: a sparse map that
 * points back, or past the member's end, is a corrupt header (it would
 * make a small member stream any number of zeros), not data. */
static int tarr_block_ok(uint64_t at, la_int64_t off, size_t len, uint64_t size)
{
	return off >= 0 && (uint64_t)off >= at && (uint64_t)off <= size &&
	       len <= size - (uint64_t)off;
}

/* Parse the manifest text read into r's manifest. */
static int tarr_manifest_set(struct tarr *r, const struct mtext *t)
{
	manifest_release(&r->manifest);
	r->manifest_err = manifest_decode(t->p, t->len, &r->manifest);
	return r->manifest_err == -ENOMEM ? -ENOMEM : 0;
}

/* Stream the data of the entry a just read (size bytes, as its header
 * says) into h (NULL: not hashed) and sink, and into text when not NULL.
 * Returns 0, -EPIPE
 * (libarchive failed: the caller asks why), -EINVAL (a block the entry
 * cannot hold), or the sink's or -ENOMEM. */
static int entry_stream(struct archive *a, uint64_t size, struct md5 *h,
			struct mtext *text, tarr_sink_fn sink, void *arg)
{
	uint64_t at = 0;
	int ret;

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int rr = archive_read_data_block(a, &buf, &len, &off);

		if (rr < ARCHIVE_WARN)
			return -EPIPE;
		/* At the end off is where libarchive says the entry ends: its
		 * size, but for a hard link or a directory whose header gives
		 * a size it holds no data for: the member's size then. */
		if (rr == ARCHIVE_EOF) {
			len = 0;
			if (off > 0 && (uint64_t)off > size)
				off = (la_int64_t)size;
		}
		if (!tarr_block_ok(at, off, len, size))
			return -EINVAL;
		/* A sparse entry's holes read as zeros: a hole may end it too,
		 * or be all of it (a sparse map with no data). */
		ret = tarr_hole(h, &at, (uint64_t)off, sink, arg);
		if (ret || rr == ARCHIVE_EOF)
			return ret;
		if (h)
			md5_update(h, buf, len);
		if (text && (ret = mtext_add(text, buf, len)))
			return ret;
		if (sink && (ret = sink(arg, buf, len)))
			return ret;
		at += len;
	}
}

/* Stream the current entry's data to sink, hashing; the manifest is
 * buffered and parsed on the way. */
static int tarr_stream(struct tarr *r, struct tar_member *m, tarr_sink_fn sink,
		       void *arg)
{
	int keep = r->cur_manifest && r->cur_size <= MANIFEST_MAX;
	struct mtext text = {0};
	struct md5 h;
	int ret;

	r->data_pending = 0;
	ret = r->nohash ? 0 : md5_init(&h);
	if (ret)
		return ret;
	ret = entry_stream(r->a, r->cur_size, r->nohash ? NULL : &h,
			   keep ? &text : NULL, sink, arg);
	if (ret == -EPIPE) {
		ret = tarr_err(r);
	} else if (ret == -EINVAL) {
		ret = r->broken = -EINVAL;
		prefetch_stop(r->pf);
	}
	if (!ret && !r->nohash)
		ret = md5_final(&h, m->md5);
	if (!ret && keep)
		ret = tarr_manifest_set(r, &text);
	free(text.p);
	if (!r->nohash)
		md5_release(&h);
	return ret;
}

/* At the end of the archive: read up to and including the filemark. */
static int tarr_drain(struct tarr *r)
{
	const void *rec;
	ssize_t n;

	while (!r->at_filemark) {
		n = tarr_read_record(r, &rec);
		if (n < 0) {
			prefetch_stop(r->pf);
			return r->broken = (int)n;
		}
		if (n == 0)
			r->at_filemark = 1;
		else
			shape_note(r, n);
	}
	return 0;
}

int tarr_next(struct tarr *r, struct tar_member *m)
{
	void *loc;
	int ret;

	if (r->broken)
		return r->broken < 0 ? r->broken : 0;
	loc = tar_locale_enter();
	if (!r->opened) {
		if (archive_read_open(r->a, r, NULL, tarr_record, NULL) !=
		    ARCHIVE_OK) {
			ret = tarr_err(r);
			goto out;
		}
		r->opened = 1;
	}
	if (r->data_pending && r->cur_manifest) {
		/* Nobody read the manifest: parse it on the way past (the
		 * caller's record may be gone: hash into a scratch one). */
		struct tar_member scratch = {0};

		ret = tarr_stream(r, &scratch, NULL, NULL);
		if (ret)
			goto out;
	}
	r->data_pending = 0;
	r->cur = NULL;
	ret = tarr_header(r, m);
	if (ret == 0) {
		ret = tarr_drain(r);
		if (!ret)
			r->broken =
			    1;	      /* ended: tarr_next() keeps returning 0 */
		prefetch_stop(r->pf); /* it stopped at the filemark: join */
	}
out:
	if (ret < 0)
		prefetch_stop(r->pf);
	tar_locale_leave(loc);
	return ret;
}

int tarr_data(struct tarr *r, struct tar_member *m, tarr_sink_fn sink,
	      void *arg)
{
	void *loc;
	int ret;

	if (r->broken < 0)
		return r->broken;
	if (!r->data_pending || r->cur != m)
		return -EINVAL;
	loc = tar_locale_enter();
	ret = tarr_stream(r, m, sink, arg);
	if (ret < 0)
		prefetch_stop(r->pf); /* the tape is the caller's again */
	tar_locale_leave(loc);
	return ret;
}

/* A member read as an archive of its own: the outer member's data, pulled
 * block by block, hashed on the way, is what the inner reader reads. */
struct nest {
	struct tarr *r;
	struct md5 h;
	uint64_t at; /* outer data bytes given */
	int err;     /* the outer read's -errno */
	int eof;
};

/* The next block of the outer member: its length, 0 at its end, -1 on
 * error (n->err says which). */
static ssize_t nest_pull(struct nest *n, const void **buf)
{
	size_t len;
	la_int64_t off;
	int rr;

	if (n->eof || n->err)
		return n->err ? -1 : 0;
	rr = archive_read_data_block(n->r->a, buf, &len, &off);
	if (rr == ARCHIVE_EOF) {
		/* a hole at its end (sparse) is no archive data */
		n->eof = 1;
		if (off > 0 && (uint64_t)off != n->at)
			n->err = -EINVAL;
		return n->err ? -1 : 0;
	}
	if (rr < ARCHIVE_WARN) {
		n->err = tarr_err(n->r);
		return -1;
	}
	/* holes (a sparse member) or more than its size: not an archive
	 * tapefs can index by offset */
	if (off < 0 || (uint64_t)off != n->at || len > n->r->cur_size - n->at) {
		n->err = n->r->broken = -EINVAL;
		prefetch_stop(n->r->pf);
		return -1;
	}
	md5_update(&n->h, *buf, len);
	n->at += len;
	return (ssize_t)len;
}

static la_ssize_t nest_read(struct archive *a, void *arg, const void **buf)
{
	ssize_t n = nest_pull(arg, buf);

	if (n < 0)
		archive_set_error(a, EIO, "outer member read failed");
	return n;
}

/* Each inner member to fn, its offsets moved by base. 0 at the inner
 * archive's end, -EPIPE when it is no (whole) archive, fn's error. */
static int nest_walk(struct archive *in, uint64_t base, tarr_member_fn fn,
		     void *arg)
{
	struct archive_entry *e;
	struct tar_member im;
	struct md5 h;
	int ret = 0, rr;

	while (!ret) {
		rr = archive_read_next_header(in, &e);
		if (rr == ARCHIVE_EOF)
			return 0;
		if (rr < ARCHIVE_WARN)
			return -EPIPE;
		ret = tarr_fill(in, e, &im);
		if (ret)
			return ret;
		ret = md5_init(&h);
		if (!ret) {
			ret = entry_stream(in, im.size, &h, NULL, NULL, NULL);
			if (!ret)
				ret = md5_final(&h, im.md5);
			md5_release(&h);
		}
		im.header_offset += base;
		im.data_offset += base;
		if (ret == -EINVAL)
			ret = -EPIPE;
		if (!ret)
			ret = fn(arg, &im);
		tar_member_clear(&im);
	}
	return ret;
}

/* The rest of the outer member after its inner archive: hashed. */
static int nest_drain(struct nest *n)
{
	const void *buf;
	ssize_t got;

	while ((got = nest_pull(n, &buf)) > 0)
		;
	if (!n->err && n->at != n->r->cur_size)
		n->err = n->r->broken = -EINVAL;
	return n->err;
}

int tarr_data_nested(struct tarr *r, struct tar_member *m, tarr_member_fn fn,
		     void *arg, int *inner_err)
{
	struct nest n = {.r = r};
	struct archive *in;
	void *loc;
	int ret, walk = -ENOMEM;

	if (r->broken < 0)
		return r->broken;
	if (!r->data_pending || r->cur != m || r->cur_manifest)
		return -EINVAL;
	r->data_pending = 0;
	ret = md5_init(&n.h);
	if (ret)
		return ret;
	loc = tar_locale_enter();
	in = archive_read_new();
	if (in) {
		walk = -EPIPE;
		archive_read_support_format_tar(in);
		if (archive_read_open(in, &n, NULL, nest_read, NULL) ==
		    ARCHIVE_OK)
			walk = nest_walk(in, m->data_offset, fn, arg);
		archive_read_free(in);
	}
	*inner_err = walk == -EPIPE ? -EINVAL : 0;
	ret = walk == -EPIPE || !walk ? nest_drain(&n) : walk;
	if (!ret)
		ret = md5_final(&n.h, m->md5);
	md5_release(&n.h);
	if (ret < 0) {
		/* stopped within the member: nothing more can be read */
		if (!r->broken)
			r->broken = ret;
		prefetch_stop(r->pf);
	}
	tar_locale_leave(loc);
	return ret;
}

int tarr_manifest(struct tarr *r, const struct tar_member **members, size_t *n)
{
	if (r->manifest_err)
		return r->manifest_err;
	*members = r->manifest.m;
	*n = r->manifest.n;
	return 0;
}

int tarr_manifest_get(struct tarr *r, const struct manifest **out)
{
	if (r->manifest_err)
		return r->manifest_err;
	*out = &r->manifest;
	return 0;
}

/* Once one member's header is parsed its extent is known: read the rest
 * of its records ahead on a thread, exactly up to its last one, so that
 * the drive streams while the data is hashed and stored. m's offsets are
 * still relative to the first byte handed to libarchive, which is byte
 * skip0 of the first record. */
static int tarr_member_ahead(struct tarr *r, const struct tar_member *m,
			     uint64_t skip0)
{
	uint64_t end = skip0 + m->data_offset + ((m->size + 511) & ~511ull);
	uint64_t need = (end + r->block_size - 1) / r->block_size;

	if (need <= r->records + 1)
		return 0; /* nothing, or one record, left: read it inline */
	return prefetch_new(r, need - r->records);
}

/* After one member read through c: where the tape stands, and the last
 * record handed to libarchive when it is the last one read (the ring may
 * have read one it never handed). first: the first record was c's copy. */
static void member_cursor_done(struct tarr *r, struct tarr_cursor *c,
			       uint64_t lblock, int first)
{
	uint64_t next;

	prefetch_stop(r->pf); /* joined: tape_reads is final */
	next = lblock + (first ? 1 : 0) + r->tape_reads;
	if (r->records == (first ? 1 : 0) + r->tape_reads)
		tarr_cursor_done(c, next, r->last, r->last_len);
	else
		tarr_cursor_done(c, next, NULL, 0);
}

static int read_member(struct tape *t, struct tarr_cursor *c,
		       uint64_t start_lblock, uint64_t header_offset,
		       uint32_t block_size, const char *expect_md5,
		       tarr_sink_fn sink, void *arg, struct tar_member *m)
{
	uint64_t lblock = start_lblock + header_offset / block_size;
	struct tar_member tmp = {0};
	struct tarr *r = NULL;
	void *loc = NULL;
	int ret, first;

	if (!block_size || block_size % 512 || header_offset % 512)
		return -EINVAL;
	ret = tarr_new(&r, t, block_size);
	if (ret)
		return ret;
	ret = first = tarr_cursor_goto(c, t, start_lblock, lblock, block_size,
				       &r->first, &r->first_len);
	if (ret < 0)
		goto out_free;
	r->skip = (size_t)(header_offset % block_size);
	loc = tar_locale_enter();
	if (archive_read_open(r->a, r, NULL, tarr_record, NULL) != ARCHIVE_OK) {
		ret = tarr_err(r);
		goto out_locale;
	}
	ret = tarr_header(r, &tmp);
	if (ret == 0)
		ret = -EINVAL; /* the end-of-archive blocks, not a member */
	if (ret < 0)
		goto out_locale;
	r->cur_manifest = 0; /* one member: nothing to parse */
	r->nohash = !expect_md5 && !m;
	ret = tarr_member_ahead(r, &tmp, header_offset % block_size);
	if (!ret)
		ret = tarr_stream(r, &tmp, sink, arg);
	if (ret)
		goto out_locale;
	tmp.header_offset += header_offset;
	tmp.data_offset += header_offset;
	if (expect_md5 && strcmp(expect_md5, tmp.md5) != 0)
		ret = -EBADMSG;
	if (m) {
		*m = tmp;
		memset(&tmp, 0, sizeof(tmp));
	}
out_locale:
	tar_locale_leave(loc);
	tar_member_clear(&tmp);
	if (c && (ret == 0 || ret == -EBADMSG))
		member_cursor_done(r, c, lblock, first);
	else
		tarr_cursor_forget(c);
out_free:
	tarr_free(r);
	return ret;
}

int tarr_read_member(struct tape *t, uint64_t start_lblock,
		     uint64_t header_offset, uint32_t block_size,
		     const char *expect_md5, tarr_sink_fn sink, void *arg,
		     struct tar_member *m)
{
	return read_member(t, NULL, start_lblock, header_offset, block_size,
			   expect_md5, sink, arg, m);
}

int tarr_read_member_at(struct tarr_cursor *c, uint64_t start_lblock,
			uint64_t header_offset, uint32_t block_size,
			const char *expect_md5, tarr_sink_fn sink, void *arg,
			struct tar_member *m)
{
	return read_member(c->t, c, start_lblock, header_offset, block_size,
			   expect_md5, sink, arg, m);
}

int tarr_records(const struct tarr *r, uint64_t *records, uint32_t *len)
{
	*records = r->records;
	*len = r->rec_len;
	return !r->rec_mixed;
}

/* The path of a member name (tarr_name_safe(), tarr_name_neutral()): a
 * ".." component is refused, or with neutral written NEUTRAL_DOTDOT. */
#define NEUTRAL_DOTDOT "%2E%2E"

static int name_clean(const char *name, size_t len, int neutral, char **out)
{
	size_t i = 0, o = 0, start, k;
	char *s;

	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	/* room for every component turned from 2 bytes into 6 */
	s = malloc(3 * len + 1);
	if (!s)
		return -ENOMEM;
	while (i < len) {
		while (i < len && name[i] == '/')
			i++;
		start = i;
		while (i < len && name[i] != '/')
			i++;
		k = i - start;
		if (k == 0 || (k == 1 && name[start] == '.'))
			continue;
		if (o)
			s[o++] = '/';
		if (k == 2 && name[start] == '.' && name[start + 1] == '.') {
			if (!neutral)
				goto out_inval;
			memcpy(s + o, NEUTRAL_DOTDOT, strlen(NEUTRAL_DOTDOT));
			o += strlen(NEUTRAL_DOTDOT);
			continue;
		}
		if (k > NAME_MAX)
			goto out_long;
		memcpy(s + o, name + start, k);
		o += k;
	}
	if (o == 0)
		goto out_inval;
	if (o >= PATH_MAX)
		goto out_long;
	s[o] = '\0';
	*out = s;
	return 0;
out_long:
	free(s);
	return -ENAMETOOLONG;
out_inval:
	free(s);
	return -EINVAL;
}

int tarr_name_safe(const char *name, size_t len, char **out)
{
	if (memchr(name, '\0', len))
		return -EINVAL;
	return name_clean(name, len, 0, out);
}

int tarr_name_neutral(const char *name, char **out)
{
	return name_clean(name, strlen(name), 1, out);
}
