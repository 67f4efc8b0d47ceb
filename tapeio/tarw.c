/* tapeio/tarw.c - the tar-on-tape writer (tapeio/tarw.h).
 *
 * Threads of one tarw_run():
 *   reader   opens each source (through the caller's opener), checks the
 *            descriptor against its snapshot, read()s it into the slots
 *            of the source ring (one copy: kernel -> slot);
 *            a slot holds a sequence of segments (data of a source, its
 *            end, a link target, a failure), so that small files share
 *            slots instead of costing a thread hand-off each;
 *   md5      hashes each source slot: the one pass that bounds the speed;
 *            over the same bytes it takes the chunk digests
 *            (tapeio/chunk.h) of a file larger than one chunk;
 *   caller   feeds the same slots to libarchive, which passes them on
 *            unblocked (no buffer of its own) to its write callback; that
 *            copies them into the blocks of the tape ring (the only
 *            user-space copy of the data);
 *   tape[i]  one per copy: tape_write() of every block of the tape ring.
 * A slot of a ring (tapeio/ring.h) is reused only when every live
 * consumer is past it, so the copies share one buffer and the slowest live
 * drive paces the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "tapeio/chunk.h"
#include "tapeio/md5.h"
#include "tapeio/ring.h"
#include "tapeio/tarw.h"
#include "tapeio/tarw_int.h"

#define SRC_CHUNK      (256u << 10) /* bytes per source read */
#define SRC_SLOTS      32
#define SEG_MAX	       64 /* segments per source slot */
#define DEFAULT_BUFFER (16u << 20)

enum seg_kind {
	SEG_DATA, /* len bytes of source src at buf + off */
	SEG_END,  /* source src fully read and unchanged */
	SEG_LINK, /* source src is a symlink: its target at buf + off */
	SEG_FAIL, /* source src changed or failed: err */
	SEG_META, /* its extended attributes (tarw_meta_read()) at buf + off */
	SEG_MAP,  /* its sparse map: len (offset, length) pairs at maps[src] */
};

/* A source slot holds len bytes in buf, described by nmeta segments in
 * its meta (SEG_MAX room); a tape slot holds one block in buf (len bytes
 * filled so far). */
struct seg {
	size_t src;
	enum seg_kind kind;
	size_t off, len;
	int err;
};

_Static_assert(TARW_MAX_COPIES <= RING_MAX_CONSUMERS,
	       "a tape ring has one consumer per copy");

static struct seg *slot_seg(const struct ring_slot *s, size_t k)
{
	return (struct seg *)s->meta + k;
}

/* A consumer's place in the source ring, segment by segment. */
struct cursor {
	struct ring *r;
	int c;		     /* consumer index */
	struct ring_slot *s; /* slot being read, held until passed */
	size_t k;	     /* segment within s */
};

struct tarw {
	struct tape *tapes[TARW_MAX_COPIES];
	int ncopies;
	uint32_t block_size;
	size_t buffer_bytes;

	const struct tarw_source *src;
	size_t nsrc;
	tarw_open_fn open; /* the caller's, or open_path() */
	void *open_arg;
	struct manifest_archive archive; /* its manifest's archive line */
	struct tar_member *members;	 /* nsrc, filled as the archive goes */
	size_t *link_of; /* nsrc: 1 + the source a hard link shares, or 0 */
	char *meta_buf;	 /* the reader's: TARW_META_MAX */
	uint64_t **maps; /* nsrc: a sparse file's map, from the reader to the
			    caller (who frees it once written) */
	int members_ok;	 /* tarw_run() returned 0 */

	struct ring sring; /* reader -> caller (consumer 0), md5 (consumer 1) */
	struct ring tring; /* libarchive callback -> tape threads */
	struct ring_slot *tcur; /* tape slot being filled by the callback */
	struct ring_slot *rcur; /* source slot being filled by the reader */
	struct cursor mcur;	/* the caller's place in the source ring */

	pthread_mutex_t md5_lock; /* guards md5_done, md5_exited */
	pthread_cond_t md5_cond;
	size_t md5_done; /* sources whose MD5 is in members[] */
	int md5_exited;	 /* the md5 thread has returned */

	struct tarw_copy copy[TARW_MAX_COPIES];
	_Atomic uint64_t progress[TARW_MAX_COPIES];
	_Atomic uint64_t produced;
	atomic_int cancel;
	int ran;

	size_t changed; /* source to blame, or (size_t)-1 */
	int changed_why;
};

/* -------------------------------------------------------------- cursor */

/* The next segment for a cursor's consumer, and its bytes in *data; NULL
 * at the end (*stopped = 0) or on stop (*stopped = 1). The slot of the
 * previous segment is released once passed, so the segment returned (and
 * its data) stays valid until the next call. */
static const struct seg *cursor_next(struct cursor *cur, int *stopped,
				     const char **data)
{
	const struct seg *g;

	if (cur->s && ++cur->k >= cur->s->nmeta) {
		ring_get_done(cur->r, cur->c);
		cur->s = NULL;
	}
	if (!cur->s) {
		cur->s = ring_get(cur->r, cur->c, stopped);
		cur->k = 0;
		if (!cur->s)
			return NULL;
	}
	g = slot_seg(cur->s, cur->k);
	*data = cur->s->buf + g->off;
	return g;
}

/* -------------------------------------------------------------- reader */

/* The default opener: src->path as given. */
static int open_path(void *arg, const struct tarw_source *src, int flags)
{
	int fd;

	(void)arg;
	fd = open(src->path, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* st (fstat of the open source) is the file of the snapshot: same device,
 * inode and type; but for a directory also the same size, mtime and
 * ctime (any write, truncate, chmod, link or rename moves the ctime). */
static int ident_same(const struct stat *st, const struct stat *snap)
{
	if (st->st_dev != snap->st_dev || st->st_ino != snap->st_ino ||
	    (st->st_mode & S_IFMT) != (snap->st_mode & S_IFMT))
		return 0;
	if (S_ISDIR(st->st_mode))
		return 1;
	return st->st_size == snap->st_size &&
	       st->st_mtim.tv_sec == snap->st_mtim.tv_sec &&
	       st->st_mtim.tv_nsec == snap->st_mtim.tv_nsec &&
	       st->st_ctim.tv_sec == snap->st_ctim.tv_sec &&
	       st->st_ctim.tv_nsec == snap->st_ctim.tv_nsec;
}

/* Publish the reader's open slot, if it holds anything. */
static void rd_flush(struct tarw *w)
{
	if (w->rcur) {
		ring_put_end(&w->sring);
		w->rcur = NULL;
	}
}

/* The reader's open slot with room for one more segment and, when bytes
 * is not 0, that many bytes (data: at least one). NULL when stopped. */
static struct ring_slot *rd_slot(struct tarw *w, size_t bytes)
{
	struct ring_slot *s = w->rcur;

	if (s && (s->nmeta == SEG_MAX || (bytes && s->len + bytes > SRC_CHUNK)))
		rd_flush(w);
	if (!w->rcur) {
		w->rcur = ring_put_begin(&w->sring);
		if (!w->rcur)
			return NULL;
		w->rcur->len = 0;
		w->rcur->nmeta = 0;
	}
	return w->rcur;
}

/* Append a segment of len bytes already placed at the slot's end. */
static void rd_seg(struct ring_slot *s, size_t i, enum seg_kind kind,
		   size_t len, int err)
{
	struct seg *g = slot_seg(s, s->nmeta++);

	g->src = i;
	g->kind = kind;
	g->off = s->len;
	g->len = len;
	g->err = err;
	s->len += len;
}

/* A marker segment: END, or FAIL (published at once; returns err). */
static int rd_mark(struct tarw *w, size_t i, enum seg_kind kind, int err)
{
	struct ring_slot *s = rd_slot(w, 0);

	if (!s)
		return -ECANCELED;
	rd_seg(s, i, kind, 0, err);
	if (kind == SEG_FAIL)
		rd_flush(w);
	return kind == SEG_FAIL ? err : 0;
}

/* Open source i with flags and check it is its snapshot's file: the
 * descriptor, or a failure marked for i (-errno, -ECANCELED). */
static int rd_open(struct tarw *w, size_t i, int flags)
{
	struct stat st;
	int fd = w->open(w->open_arg, &w->src[i], flags);

	if (fd == -EPERM && (flags & O_NOATIME)) /* neither owner nor root */
		fd = w->open(w->open_arg, &w->src[i], flags & ~O_NOATIME);
	if (fd < 0)
		return rd_mark(w, i, SEG_FAIL, fd);
	if (fstat(fd, &st) < 0 || !ident_same(&st, &w->src[i].st)) {
		close(fd);
		return rd_mark(w, i, SEG_FAIL, -ESTALE);
	}
	return fd;
}

/* The extended attributes of open source i, as a segment of their own
 * when it has any. 0, -ECANCELED, or the -errno that fails it. */
static int rd_meta(struct tarw *w, size_t i, int fd)
{
	struct ring_slot *s;
	int n = tarw_meta_read(fd, w->meta_buf, TARW_META_MAX);

	if (n <= 0)
		return n;
	s = rd_slot(w, (size_t)n);
	if (!s)
		return -ECANCELED;
	memcpy(s->buf + s->len, w->meta_buf, (size_t)n);
	rd_seg(s, i, SEG_META, (size_t)n, 0);
	return 0;
}

/* The sparse map of open regular file i when it has holes, as a segment
 * of its own. 0, -ECANCELED, or -errno. */
static int rd_map(struct tarw *w, size_t i, int fd)
{
	const struct stat *snap = &w->src[i].st;
	struct ring_slot *s;
	int n;

	if ((uint64_t)snap->st_blocks * 512 >= (uint64_t)snap->st_size)
		return 0; /* no room for a hole */
	n = tarw_sparse_map(fd, (uint64_t)snap->st_size, &w->maps[i],
			    TARW_EXTENTS_MAX);
	if (n <= 0)
		return n;
	s = rd_slot(w, 0);
	if (!s)
		return -ECANCELED; /* the map is freed with w */
	rd_seg(s, i, SEG_MAP, 0, 0);
	slot_seg(s, s->nmeta - 1)->len = (size_t)n; /* a count, no bytes */
	return 0;
}

static int reader_file(struct tarw *w, size_t i)
{
	const struct stat *snap = &w->src[i].st;
	uint64_t left = (uint64_t)snap->st_size;
	struct stat st;
	struct ring_slot *s;
	ssize_t r;
	int fd, ret = 0;

	/* O_NONBLOCK: a fifo put in the file's place must not hang us in
	 * open(); its identity then refuses it. Regular files ignore the
	 * flag. O_NOATIME: reading a file to archive it is no access a
	 * user made (and its atime's update is an inode written per file). */
	fd = rd_open(w, i, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOATIME);
	if (fd < 0)
		return fd;
	/* rd_open() found st's ctime on the descriptor: no_xattrs holds */
	ret = w->src[i].no_xattrs ? 0 : rd_meta(w, i, fd);
	if (!ret)
		ret = rd_map(w, i, fd);
	if (ret == -ECANCELED)
		goto out_close;
	if (ret)
		goto out_fail;
	if (left > SRC_CHUNK)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (left > 0) {
		size_t want;

		if (atomic_load(&w->cancel)) {
			ret = -ECANCELED;
			goto out_close;
		}
		s = rd_slot(w, 1);
		if (!s) {
			ret = -ECANCELED;
			goto out_close;
		}
		want = SRC_CHUNK - s->len;
		if (want > left)
			want = (size_t)left;
		r = read(fd, s->buf + s->len, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -errno : -ENODATA;
			goto out_fail;
		}
		rd_seg(s, i, SEG_DATA, (size_t)r, 0);
		left -= (uint64_t)r;
	}
	/* Every byte the snapshot promised was read: the file must still look
	 * as it did (a file that grew has another size and mtime). */
	if (fstat(fd, &st) < 0 || !ident_same(&st, snap)) {
		ret = -ESTALE;
		goto out_fail;
	}
	close(fd);
	return rd_mark(w, i, SEG_END, 0);
out_fail:
	rd_mark(w, i, SEG_FAIL, ret);
out_close:
	close(fd);
	return ret;
}

/* A symlink's target, read from the link's own descriptor (a link's
 * target never changes in place: same inode, same target). */
static int reader_link(struct tarw *w, size_t i)
{
	const struct stat *snap = &w->src[i].st;
	struct ring_slot *s;
	ssize_t r;
	int fd;

	if (snap->st_size <= 0 || snap->st_size > 4096)
		return rd_mark(w, i, SEG_FAIL, -EINVAL);
	fd = rd_open(w, i, O_PATH);
	if (fd < 0)
		return fd;
	s = rd_slot(w, (size_t)snap->st_size + 1);
	if (!s) {
		close(fd);
		return -ECANCELED;
	}
	r = readlinkat(fd, "", s->buf + s->len, SRC_CHUNK - s->len);
	close(fd);
	if (r < 0)
		return rd_mark(w, i, SEG_FAIL,
			       errno == EINVAL ? -ESTALE : -errno);
	if (r != snap->st_size)
		return rd_mark(w, i, SEG_FAIL, -ESTALE);
	rd_seg(s, i, SEG_LINK, (size_t)r, 0);
	return 0;
}

/* A directory: its extended attributes, read from the directory the
 * O_PATH descriptor is (opened again through it, never by name). */
static int reader_dir(struct tarw *w, size_t i)
{
	int fd = rd_open(w, i, O_PATH | O_DIRECTORY), rfd, ret;

	if (fd < 0)
		return fd;
	rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = rfd < 0 ? -errno : rd_meta(w, i, rfd);
	if (rfd >= 0)
		close(rfd);
	close(fd);
	if (ret == -ECANCELED)
		return ret;
	if (ret)
		return rd_mark(w, i, SEG_FAIL, ret);
	return rd_mark(w, i, SEG_END, 0);
}

static void *reader_main(void *arg)
{
	struct tarw *w = arg;
	size_t i;
	int ret = 0;

	for (i = 0; i < w->nsrc && !ret; i++) {
		mode_t fmt = w->src[i].st.st_mode & S_IFMT;

		if (w->link_of[i])
			ret = rd_mark(w, i, SEG_END, 0); /* its data is had */
		else if (fmt == S_IFREG)
			ret = reader_file(w, i);
		else if (fmt == S_IFLNK)
			ret = reader_link(w, i);
		else if (fmt == S_IFDIR)
			ret = reader_dir(w, i);
		else
			ret = rd_mark(w, i, SEG_FAIL, -EINVAL);
	}
	if (ret != -ECANCELED)
		rd_flush(w);
	ring_finish(&w->sring);
	return NULL;
}

/* ----------------------------------------------------------------- md5 */

/* The chunk digests of the source being hashed. */
struct chunker {
	struct chunk_digester dg;
	size_t src; /* the source they are of; SIZE_MAX: none */
};

/* len more bytes of source i (the first: its digester is set up; a
 * source no larger than a chunk, or one met without memory, gets none). */
static void chunker_update(struct tarw *w, struct chunker *ch, size_t i,
			   const void *p, size_t len)
{
	if (ch->src != i) {
		chunk_digester_release(&ch->dg);
		ch->src = i;
		if (chunk_digester_init(&ch->dg, (uint64_t)w->src[i].st.st_size,
					CHUNK_SIZE))
			memset(&ch->dg, 0, sizeof(ch->dg));
	}
	chunk_digester_update(&ch->dg, p, len);
}

/* Source i is whole: its digests, when every chunk's was taken, move to
 * m. Called with md5_lock. */
static void chunker_end(struct chunker *ch, size_t i, struct tar_member *m)
{
	if (ch->src != i)
		return;
	if (chunk_digester_done(&ch->dg) && ch->dg.digests) {
		m->chunks = ch->dg.digests;
		m->nchunks = ch->dg.n;
		ch->dg.digests = NULL;
	}
	chunk_digester_release(&ch->dg);
	ch->src = SIZE_MAX;
}

/* Source i is whole: its MD5 (a hard link's is the MD5 of the source it
 * shares, whose is published already: sources go in order). */
static void md5_publish(struct tarw *w, size_t i, const char *hex,
			struct chunker *ch)
{
	pthread_mutex_lock(&w->md5_lock);
	if (w->link_of[i])
		hex = w->members[w->link_of[i] - 1].md5;
	memcpy(w->members[i].md5, hex, MD5_HEX_SIZE);
	chunker_end(ch, i, &w->members[i]);
	w->md5_done = i + 1;
	pthread_cond_broadcast(&w->md5_cond);
	pthread_mutex_unlock(&w->md5_lock);
}

static void *md5_main(void *arg)
{
	struct tarw *w = arg;
	struct cursor cur = {.r = &w->sring, .c = 1};
	struct chunker ch = {.src = SIZE_MAX};
	size_t sparse = SIZE_MAX; /* a sparse file gets no chunk digests */
	char hex[MD5_HEX_SIZE];
	const struct seg *g;
	const char *data;
	struct md5 m;
	int stopped;

	if (md5_init(&m))
		goto out;
	while ((g = cursor_next(&cur, &stopped, &data))) {
		if (g->kind == SEG_DATA) {
			md5_update(&m, data, g->len);
			if (g->src != sparse)
				chunker_update(w, &ch, g->src, data, g->len);
		} else if (g->kind == SEG_META || g->kind == SEG_MAP) {
			sparse = g->kind == SEG_MAP ? g->src : sparse;
		} else if (g->kind == SEG_FAIL || md5_final(&m, hex)) {
			break;
		} else {
			md5_publish(w, g->src, hex, &ch); /* END or LINK */
		}
	}
	chunk_digester_release(&ch.dg);
	md5_release(&m);
out:
	ring_drop(&w->sring, 1); /* also lets go of cur's slot */
	/* Wake a caller waiting for digests that will not come. */
	pthread_mutex_lock(&w->md5_lock);
	w->md5_exited = 1;
	pthread_cond_broadcast(&w->md5_cond);
	pthread_mutex_unlock(&w->md5_lock);
	return NULL;
}

/* ---------------------------------------------------------------- tape */

struct tape_arg {
	struct tarw *w;
	int i;
};

static void tape_abandon(struct tarw *w, int i, int err)
{
	w->copy[i].state = err == -ENOSPC ? TARW_COPY_FULL : TARW_COPY_ERROR;
	w->copy[i].err = err;
	ring_drop(&w->tring, i);
}

/* Early warning reached? A status failure counts as an error. */
static int tape_past_ew(struct tape *t)
{
	struct tape_status st;
	int ret = tape_status(t, &st);

	if (ret)
		return ret;
	return st.eot ? -ENOSPC : 0;
}

static void *tape_main(void *arg)
{
	struct tape_arg *ta = arg;
	struct tarw *w = ta->w;
	int i = ta->i, stopped, ret;
	struct tarw_copy *c = &w->copy[i];
	struct tape *t = w->tapes[i];
	struct ring_slot *s;
	ssize_t n;

	while ((s = ring_get(&w->tring, i, &stopped))) {
		n = tape_write(t, s->buf, w->block_size);
		if (n != (ssize_t)w->block_size) {
			tape_abandon(w, i, n < 0 ? (int)n : -EIO);
			return NULL;
		}
		c->records++;
		c->bytes += w->block_size;
		atomic_store(&w->progress[i], c->bytes);
		ring_get_done(&w->tring, i);
		ret = tape_past_ew(t);
		if (ret) {
			tape_abandon(w, i, ret);
			return NULL;
		}
	}
	if (stopped) {
		c->state = TARW_COPY_ABORTED;
		ring_drop(&w->tring, i);
		return NULL;
	}
	ret = tape_weof(t, 1);
	if (ret) {
		tape_abandon(w, i, ret);
		return NULL;
	}
	c->state = TARW_COPY_DONE;
	ring_drop(&w->tring, i);
	return NULL;
}

/* ----------------------------------------------------------- libarchive */

/* libarchive's write callback: the archive's bytes as libarchive makes
 * them (headers, the data segments as given, padding), unblocked:
 * accumulate them into the blocks of the tape ring. */
static la_ssize_t tarw_block(struct archive *a, void *arg, const void *buf,
			     size_t len)
{
	struct tarw *w = arg;
	const char *p = buf;
	size_t left = len;

	(void)a;
	while (left > 0) {
		size_t n;

		if (!w->tcur) {
			w->tcur = ring_put_begin(&w->tring);
			if (!w->tcur)
				return -1;
			w->tcur->len = 0;
		}
		n = w->block_size - w->tcur->len;
		if (n > left)
			n = left;
		memcpy(w->tcur->buf + w->tcur->len, p, n);
		w->tcur->len += n;
		p += n;
		left -= n;
		if (w->tcur->len == w->block_size) {
			w->tcur = NULL;
			ring_put_end(&w->tring);
			atomic_fetch_add(&w->produced, w->block_size);
		}
	}
	return (la_ssize_t)len;
}

/* 1 when s is valid UTF-8 (no overlongs, no surrogates). */
static int utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n, cp, i;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return 0;
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		s += n + 1;
	}
	return 1;
}

/* Names that are UTF-8 go into the pax header as UTF-8 whatever the
 * locale; other bytes make libarchive fall back to hdrcharset=BINARY. */
static void entry_set_names(struct archive_entry *e, const char *name,
			    const char *link)
{
	if (utf8_valid((const unsigned char *)name))
		archive_entry_update_pathname_utf8(e, name);
	else
		archive_entry_copy_pathname(e, name);
	if (!link)
		return;
	if (utf8_valid((const unsigned char *)link))
		archive_entry_update_symlink_utf8(e, link);
	else
		archive_entry_copy_symlink(e, link);
}

static int tarw_fail(struct tarw *w, size_t i, int why)
{
	w->changed = i;
	w->changed_why = why;
	return why == -EINVAL ? -EINVAL : -ESTALE;
}

/* Result of an archive from the copies' states: 0 when one is done,
 * else -ENOSPC when one was full, else -EIO. */
static int tarw_outcome(struct tarw *w)
{
	int i, full = 0, done = 0;

	for (i = 0; i < w->ncopies; i++) {
		done += w->copy[i].state == TARW_COPY_DONE;
		full += w->copy[i].state == TARW_COPY_FULL;
	}
	if (done)
		return 0;
	return full ? -ENOSPC : -EIO;
}

/* Why did libarchive fail? A cancel or the loss of every copy (the write
 * callback fails then) explain it; anything else is an I/O error. */
static int tarw_archive_err(struct tarw *w)
{
	if (atomic_load(&w->cancel))
		return -ECANCELED;
	if (ring_nlive(&w->tring) == 0)
		return tarw_outcome(w);
	return -EIO;
}

/* The next segment of source i for the caller. NULL with *err set at
 * the end or on stop. */
static const struct seg *member_seg(struct tarw *w, size_t i, const char **data,
				    int *err)
{
	int stopped;
	const struct seg *g = cursor_next(&w->mcur, &stopped, data);

	*err = !g ? (atomic_load(&w->cancel) ? -ECANCELED : -EIO)
	       : g->src != i
		   ? -EIO /* cannot happen: the reader goes in order */
		   : 0;
	return *err ? NULL : g;
}

/* The segments before a source's data: its attributes into m, its sparse
 * map onto e (whose size is set). *g moves past them. */
static int member_extras(struct tarw *w, size_t i, struct tar_member *m,
			 struct archive_entry *e, const struct seg **g,
			 const char **data)
{
	int ret = 0;

	while (!ret && ((*g)->kind == SEG_META || (*g)->kind == SEG_MAP)) {
		if ((*g)->kind == SEG_META) {
			ret = tarw_meta_unpack(*data, (*g)->len, m);
		} else {
			const uint64_t *x = w->maps[i];

			for (size_t k = 0; x && k < (*g)->len; k++)
				archive_entry_sparse_add_entry(
				    e, (la_int64_t)x[2 * k],
				    (la_int64_t)x[2 * k + 1]);
			free(w->maps[i]);
			w->maps[i] = NULL;
			m->flags |= TAR_MEMBER_SPARSE;
		}
		if (!ret)
			*g = member_seg(w, i, data, &ret);
	}
	return ret;
}

/* The fields of member i's record from its snapshot and name. */
static int member_record(struct tarw *w, size_t i)
{
	const struct tarw_source *src = &w->src[i];
	struct tar_member *m = &w->members[i];
	mode_t fmt = src->st.st_mode & S_IFMT;

	if (!src->name || !src->name[0] || (!src->path && w->open == open_path))
		return tarw_fail(w, i, -EINVAL);
	m->name = strdup(src->name);
	if (!m->name)
		return -ENOMEM;
	m->type = fmt == S_IFDIR   ? TAR_DIR
		  : fmt == S_IFLNK ? TAR_SYMLINK
				   : TAR_FILE;
	m->size = fmt == S_IFREG ? (uint64_t)src->st.st_size : 0;
	m->mode = src->st.st_mode & 07777;
	m->uid = src->st.st_uid;
	m->gid = src->st.st_gid;
	m->mtime = src->st.st_mtim;
	return 0;
}

/* The entry's owner, mode, time and size from m. */
static void entry_set_stat(struct archive_entry *e, const struct tar_member *m,
			   unsigned type, uint64_t size)
{
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, m->mode);
	archive_entry_set_uid(e, m->uid);
	archive_entry_set_gid(e, m->gid);
	archive_entry_set_mtime(e, m->mtime.tv_sec, m->mtime.tv_nsec);
	archive_entry_set_size(e, (la_int64_t)size);
}

/* Write e's header (after the previous entry's padding); *hdr gets its
 * offset, m's data offset follows it. */
static int entry_write(struct tarw *w, struct archive *a,
		       struct archive_entry *e, uint64_t *hdr, uint64_t *data)
{
	if (archive_write_finish_entry(a) < ARCHIVE_WARN)
		return tarw_archive_err(w);
	*hdr = (uint64_t)archive_filter_bytes(a, 0);
	if (archive_write_header(a, e) < ARCHIVE_WARN)
		return tarw_archive_err(w);
	*data = (uint64_t)archive_filter_bytes(a, 0);
	return 0;
}

/* Source i is a hard link to an earlier source: a tar hard-link entry;
 * its record is the earlier member's (offsets, size, attributes). */
static int tarw_link_member(struct tarw *w, struct archive *a,
			    struct archive_entry *e, size_t i)
{
	const struct tar_member *t = &w->members[w->link_of[i] - 1];
	struct tar_member *m = &w->members[i];
	uint64_t hdr, data_off;
	const char *data;
	int ret;

	if (!member_seg(w, i, &data, &ret)) /* its SEG_END */
		return ret;
	m->size = t->size;
	m->flags = TAR_MEMBER_LINK | (t->flags & TAR_MEMBER_SPARSE);
	for (uint32_t k = 0; k < t->nxattrs; k++)
		if (tar_member_xattr_add(m, t->xattrs[k].name,
					 t->xattrs[k].value, t->xattrs[k].len))
			return -ENOMEM;
	archive_entry_clear(e);
	entry_set_names(e, m->name, NULL);
	if (utf8_valid((const unsigned char *)t->name))
		archive_entry_update_hardlink_utf8(e, t->name);
	else
		archive_entry_copy_hardlink(e, t->name);
	entry_set_stat(e, m, AE_IFREG, 0);
	ret = entry_write(w, a, e, &hdr, &data_off);
	m->header_offset = t->header_offset;
	m->data_offset = t->data_offset;
	return ret;
}

/* Header of member i (and, for a regular file, its data from the source
 * ring). The member record gets everything but the MD5. */
static int tarw_member(struct tarw *w, struct archive *a,
		       struct archive_entry *e, size_t i)
{
	struct tar_member *m = &w->members[i];
	mode_t fmt = w->src[i].st.st_mode & S_IFMT;
	const struct seg *g;
	const char *data;
	int r = member_record(w, i);

	if (r)
		return r;
	if (w->link_of[i])
		return tarw_link_member(w, a, e, i);
	archive_entry_clear(e);
	archive_entry_set_size(e, (la_int64_t)m->size);
	/* The reader's first segments for this source: its attributes and
	 * map, then the link target, a failure, or the file's data. */
	g = member_seg(w, i, &data, &r);
	if (g)
		r = member_extras(w, i, m, e, &g, &data);
	if (r)
		return r;
	if (g->kind == SEG_FAIL)
		return g->err == -ECANCELED ? g->err : tarw_fail(w, i, g->err);
	if (g->kind == SEG_LINK && !(m->link = strndup(data, g->len)))
		return -ENOMEM;

	entry_set_names(e, m->name, m->link);
	entry_set_stat(e, m,
		       fmt == S_IFDIR	? AE_IFDIR
		       : fmt == S_IFLNK ? AE_IFLNK
					: AE_IFREG,
		       m->size);
	if (tarw_meta_apply(e, m))
		return tarw_fail(w, i, -EINVAL);
	r = entry_write(w, a, e, &m->header_offset, &m->data_offset);
	while (!r && g->kind == SEG_DATA) {
		if (atomic_load(&w->cancel))
			return -ECANCELED;
		if (archive_write_data(a, data, g->len) != (la_ssize_t)g->len)
			return tarw_archive_err(w);
		g = member_seg(w, i, &data, &r);
	}
	if (!r && g->kind == SEG_FAIL)
		r = tarw_fail(w, i, g->err);
	return r;
}

/* Wait for every MD5, then write the manifest member: the archive line
 * (written: now, also the member's mtime), the members with their owner
 * and group names and chunk digests. */
static int tarw_manifest(struct tarw *w, struct archive *a,
			 struct archive_entry *e)
{
	struct timespec now;
	char *text = NULL;
	size_t len;
	int ret;

	pthread_mutex_lock(&w->md5_lock);
	while (w->md5_done < w->nsrc && !w->md5_exited)
		pthread_cond_wait(&w->md5_cond, &w->md5_lock);
	ret = w->md5_done < w->nsrc ? -EIO : 0;
	pthread_mutex_unlock(&w->md5_lock);
	if (ret)
		return ret;
	ret = manifest_names_fill(w->members, w->nsrc);
	if (ret)
		return ret;
	clock_gettime(CLOCK_REALTIME, &now);
	w->archive.written = now;
	ret = manifest_encode(&w->archive, w->members, w->nsrc, &text, &len);
	if (ret)
		return ret;
	archive_entry_clear(e);
	archive_entry_set_pathname(e, MANIFEST_MEMBER);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0444);
	archive_entry_set_mtime(e, now.tv_sec, now.tv_nsec);
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) < ARCHIVE_WARN ||
	    archive_write_data(a, text, len) != (la_ssize_t)len)
		ret = tarw_archive_err(w);
	free(text);
	return ret;
}

/* ---------------------------------------------------------------- bound */

#define TAR_BLOCK   512
#define ROUND512(x) (((x) + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK)
/* pax records beside path and linkpath, each at most: mtime 40, size 30,
 * uid 25, gid 25, hdrcharset 30; path and linkpath 20 more than their
 * text. */
#define PAX_RECORDS_MAX (40 + 30 + 25 + 25 + 30 + 20 + 20)
/* A manifest line without its name and link: type, size, mode, uid, gid,
 * mtime, MD5, two offsets and the tabs (156), with room to spare for a
 * later manifest's fields. */
#define MANIFEST_LINE_MAX 224

/* The manifest's escaping of name: bytes it takes (manifest_escape). */
static uint64_t escaped_len(const char *name)
{
	uint64_t n = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '\\' || *p == '\t' || *p == '\n')
			n += 2;
		else if (*p < 0x20 || *p == 0x7f)
			n += 4;
		else
			n++;
	return n;
}

void tarw_bound_add(struct tarw_bound *b, const char *name, uint64_t linklen,
		    uint64_t size, uint64_t meta)
{
	uint64_t nlen = strlen(name);

	/* ustar header, pax header block and its records, data */
	b->members += 2 * TAR_BLOCK +
		      ROUND512(PAX_RECORDS_MAX + nlen + linklen + meta) +
		      ROUND512(size);
	/* a target's bytes are not known here: each may be escaped */
	b->manifest += MANIFEST_LINE_MAX + escaped_len(name) + 4 * linklen + 1;
	b->n++;
}

/* The pax records of a sparse member beside path: GNU.sparse.major,
 * .minor, .realsize and .name (its name again). */
#define PAX_SPARSE_MAX 120
/* A line of a sparse map: offset or length and LF. */
#define MAP_NUMBER_MAX 21

uint64_t tarw_bound_file(const struct stat *st, size_t namelen, uint64_t *meta)
{
	uint64_t size = (uint64_t)st->st_size;
	uint64_t alloc = (uint64_t)st->st_blocks * 512, unit, extents;

	if (alloc >= size)
		return size;
	unit = st->st_blksize >= 512 ? (uint64_t)st->st_blksize : 512;
	extents = alloc / unit + 1;
	if (extents > TARW_EXTENTS_MAX)
		return size; /* a map this long: written dense */
	*meta += PAX_SPARSE_MAX + namelen;
	/* the map (count, then offset and length of each), padded */
	return alloc + ROUND512(MAP_NUMBER_MAX * (2 * extents + 1)) + TAR_BLOCK;
}

uint64_t tarw_bound_xattr(const char *name, size_t vlen)
{
	uint64_t n = strlen(name);

	if (!tarw_xattr_kept(name))
		return 0;
	/* LIBARCHIVE.xattr.NAME (URL-encoded) = base64, SCHILY.xattr.NAME
	 * = raw, or an ACL as SCHILY.acl text (under 40 bytes per 8-byte
	 * entry); the manifest's xattr line (escaped name, hex value). */
	return 8 * n + 7 * (uint64_t)vlen + 128;
}

uint64_t tarw_bound_total(const struct tarw_bound *b, uint32_t block_size)
{
	uint64_t bs = block_size ? block_size : TARW_BLOCK_SIZE;
	uint64_t text = sizeof(MANIFEST_MAGIC) + b->manifest;
	uint64_t total;

	total = b->members + 2 * TAR_BLOCK +
		ROUND512(PAX_RECORDS_MAX + sizeof(MANIFEST_MEMBER)) +
		ROUND512(text) + 2 * TAR_BLOCK; /* the end of the archive */
	return (total + bs - 1) / bs * bs;
}

/* ------------------------------------------------------------------ api */

int tarw_new(struct tarw **out, struct tape *const *tapes, int ncopies,
	     const struct tarw_opts *opts)
{
	struct tarw *w;
	int i;

	if (ncopies < 1 || ncopies > TARW_MAX_COPIES)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->block_size =
	    opts && opts->block_size ? opts->block_size : TARW_BLOCK_SIZE;
	w->buffer_bytes =
	    opts && opts->buffer_bytes ? opts->buffer_bytes : DEFAULT_BUFFER;
	w->open = opts && opts->open ? opts->open : open_path;
	w->open_arg = opts ? opts->open_arg : NULL;
	if (opts && opts->archive)
		w->archive = *opts->archive;
	if (w->block_size % 512 || w->block_size > (64u << 20)) {
		free(w);
		return -EINVAL;
	}
	for (i = 0; i < ncopies; i++) {
		if (!tapes[i]) {
			free(w);
			return -EINVAL;
		}
		w->tapes[i] = tapes[i];
		w->copy[i].state = TARW_COPY_WRITING;
	}
	w->ncopies = ncopies;
	w->changed = (size_t)-1;
	ring_init(&w->sring);
	ring_init(&w->tring);
	pthread_mutex_init(&w->md5_lock, NULL);
	pthread_cond_init(&w->md5_cond, NULL);
	*out = w;
	return 0;
}

static int tarw_archive(struct tarw *w)
{
	struct archive_entry *e;
	struct archive *a;
	size_t i;
	int ret = -ENOMEM;

	a = archive_write_new();
	e = archive_entry_new();
	if (!a || !e)
		goto out_free;
	ret = -EIO;
	if (archive_write_set_format_pax(a) != ARCHIVE_OK)
		goto out_free;
	/* xattrs as SCHILY.xattr only (GNU tar and bsdtar read it; GNU tar
	 * warns of every LIBARCHIVE.xattr record). An older libarchive
	 * without the option writes both: harmless. */
	archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY");
	archive_clear_error(a);
	/* No blocking in libarchive: it would copy every byte into a block
	 * buffer of its own before tarw_block() copies it again. The blocks
	 * are made here, the last one padded below. */
	if (archive_write_set_bytes_per_block(a, 0) ||
	    archive_write_open(a, w, NULL, tarw_block, NULL) != ARCHIVE_OK)
		goto out_free;
	for (i = 0, ret = 0; i < w->nsrc && !ret; i++)
		ret = tarw_member(w, a, e, i);
	if (!ret)
		ret = tarw_manifest(w, a, e);
	if (!ret && archive_write_close(a) != ARCHIVE_OK)
		ret = tarw_archive_err(w);
	if (!ret && w->tcur) {
		/* The last block, padded with zeros to a whole record. */
		memset(w->tcur->buf + w->tcur->len, 0,
		       w->block_size - w->tcur->len);
		w->tcur->len = w->block_size;
		w->tcur = NULL;
		ring_put_end(&w->tring);
		atomic_fetch_add(&w->produced, w->block_size);
	}
out_free:
	/* After a failure libarchive's close would pad the unfinished member
	 * with zeros and end the archive: stop the copies first, so that
	 * nothing of it reaches a tape. */
	if (ret)
		ring_stop(&w->tring);
	if (a)
		archive_write_free(a);
	if (e)
		archive_entry_free(e);
	return ret;
}

int tarw_run(struct tarw *w, const struct tarw_source *src, size_t n)
{
	struct tape_arg targ[TARW_MAX_COPIES];
	pthread_t reader, md5, tt[TARW_MAX_COPIES];
	size_t tslots;
	void *loc;
	int i, ret, nt = 0, have_reader = 0, have_md5 = 0;

	if (w->ran)
		return -EINVAL;
	w->ran = 1;
	w->src = src;
	w->nsrc = n;
	w->members = calloc(n ? n : 1, sizeof(*w->members));
	w->meta_buf = malloc(TARW_META_MAX);
	w->maps = calloc(n ? n : 1, sizeof(*w->maps));
	if (!w->members || !w->meta_buf || !w->maps ||
	    tarw_links_of(n ? &src->st : NULL, n, sizeof(*src), &w->link_of))
		return -ENOMEM;
	for (i = 0; i < w->ncopies; i++) {
		ret = tape_tell(w->tapes[i], &w->copy[i].start_lblock);
		if (ret)
			goto out;
	}
	tslots = w->buffer_bytes / w->block_size;
	if (tslots < 4)
		tslots = 4;
	ret = ring_alloc(&w->sring, SRC_SLOTS, SRC_CHUNK,
			 SEG_MAX * sizeof(struct seg), 2);
	if (!ret)
		ret =
		    ring_alloc(&w->tring, tslots, w->block_size, 0, w->ncopies);
	w->mcur.r = &w->sring;
	w->mcur.c = 0;
	if (ret)
		goto out;

	for (i = 0; i < w->ncopies; i++) {
		targ[i].w = w;
		targ[i].i = i;
		if (pthread_create(&tt[i], NULL, tape_main, &targ[i])) {
			ret = -EAGAIN;
			goto out_stop;
		}
		nt++;
	}
	if (pthread_create(&md5, NULL, md5_main, w)) {
		ret = -EAGAIN;
		goto out_stop;
	}
	have_md5 = 1;
	if (pthread_create(&reader, NULL, reader_main, w)) {
		ret = -EAGAIN;
		goto out_stop;
	}
	have_reader = 1;

	loc = tar_locale_enter();
	ret = tarw_archive(w);
	tar_locale_leave(loc);
	if (!ret) {
		ring_finish(&w->tring);
		goto out_join;
	}
out_stop:
	ring_stop(&w->sring);
	ring_stop(&w->tring);
out_join:
	if (have_reader)
		pthread_join(reader, NULL);
	ring_stop(&w->sring); /* the md5 thread may wait for a source */
	if (have_md5)
		pthread_join(md5, NULL);
	for (i = 0; i < nt; i++)
		pthread_join(tt[i], NULL);
	if (!ret)
		ret = tarw_outcome(w);
out:
	for (i = 0; i < w->ncopies; i++)
		if (w->copy[i].state == TARW_COPY_WRITING)
			w->copy[i].state = TARW_COPY_ABORTED;
	if (ret && ret != -ESTALE && ret != -EINVAL && atomic_load(&w->cancel))
		ret = -ECANCELED;
	ring_free(&w->sring);
	ring_free(&w->tring);
	w->members_ok = ret == 0;
	return ret;
}

const struct tar_member *tarw_members(const struct tarw *w, size_t *n)
{
	if (!w->members_ok) {
		*n = 0;
		return NULL;
	}
	*n = w->nsrc;
	return w->members;
}

struct tar_member *tarw_members_take(struct tarw *w, size_t *n)
{
	struct tar_member *m = w->members;

	if (!w->members_ok) {
		*n = 0;
		return NULL;
	}
	*n = w->nsrc;
	w->members = NULL;
	w->members_ok = 0;
	return m;
}

const struct manifest_archive *tarw_manifest_archive(const struct tarw *w)
{
	return w->members_ok ? &w->archive : NULL;
}

const struct tarw_copy *tarw_copy(const struct tarw *w, int i)
{
	if (i < 0 || i >= w->ncopies)
		return NULL;
	return &w->copy[i];
}

size_t tarw_changed(const struct tarw *w, int *why)
{
	if (why)
		*why = w->changed_why;
	return w->changed;
}

uint64_t tarw_progress(const struct tarw *w, int i)
{
	if (i < 0 || i >= w->ncopies)
		return 0;
	return atomic_load(&w->progress[i]);
}

uint64_t tarw_produced(const struct tarw *w)
{
	return atomic_load(&w->produced);
}

void tarw_cancel(struct tarw *w)
{
	atomic_store(&w->cancel, 1);
	ring_stop(&w->sring);
	ring_stop(&w->tring);
}

void tarw_free(struct tarw *w)
{
	if (!w)
		return;
	tar_members_free(w->members, w->nsrc);
	free(w->link_of);
	free(w->meta_buf);
	for (size_t i = 0; w->maps && i < w->nsrc; i++)
		free(w->maps[i]);
	free(w->maps);
	ring_free(&w->sring);
	ring_free(&w->tring);
	ring_destroy(&w->sring);
	ring_destroy(&w->tring);
	pthread_mutex_destroy(&w->md5_lock);
	pthread_cond_destroy(&w->md5_cond);
	free(w);
}
