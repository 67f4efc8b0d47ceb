/* tapeio/tarw.h - the tar-on-tape writer: one pax archive, fanned out to
 * several tapes at once (SPEC 3.1, 3.2).
 *
 * tarw_run() streams a list of local files into ONE pax archive (libarchive
 * makes the headers; records of block_size bytes, every one full-size, the
 * last padded with zeros) and writes each
 * block as one tape record to every copy, each copy on its own drive by its
 * own thread. Every source file is read once; the blocks are shared by all
 * copies (a refcounted ring), never copied per tape. While the bytes stream,
 * the MD5 of every member is computed on its own thread, so hashing, reading
 * and the tape writes overlap instead of adding up.
 *
 * The archive holds the members in the order given, then MANIFEST_MEMBER
 * (tapeio/manifest.h) listing them all, then the end-of-archive blocks.
 * The manifest's archive line is the caller's (tarw_opts.archive) with the
 * time it was written; its member lines carry each member's MD5, the
 * owner and group names of its uid and gid, and, for a member larger than
 * MANIFEST_CHUNK, the XXH3-128 digest of every chunk of its data, taken on
 * the MD5 thread over the same buffers.
 * Names, modes, uid/gid and mtime (with nanoseconds) are kept; names that
 * are not UTF-8 are stored as raw bytes (pax hdrcharset=BINARY), so GNU tar
 * and bsdtar restore them byte for byte.
 *
 * What a file holds beside its bytes is kept too, so that GNU tar
 * (--xattrs --acls) and bsdtar restore it:
 *   - hard links: a regular file whose device and inode are those of an
 *     earlier source of the same archive (st_nlink > 1) is written as a
 *     tar hard-link entry naming it, its data not again; its member
 *     record is the earlier one's (size, MD5, offsets) with
 *     TAR_MEMBER_LINK, so reading it by its offsets gives its bytes;
 *   - extended attributes user.* (but tapefs's own user.tapefs.*) and the
 *     POSIX ACLs of files and directories, read from the open descriptor
 *     (never by name), go into the pax header (SCHILY.xattr.*;
 *     SCHILY.acl.access / .default) and into the member
 *     record (tar_member.xattrs, ACLs in the kernel's binary form);
 *   - a regular file with holes (SEEK_DATA / SEEK_HOLE on its
 *     descriptor; st_blocks says whether to look) is a pax sparse member
 *     of GNU format 1.0 holding only its data extents; its MD5 is that of
 *     the whole file, holes read as zeros; it gets TAR_MEMBER_SPARSE and
 *     no chunk digests (its bytes are not found by offset).
 *
 * Tapes: the caller positions each tape where the archive must start (for
 * example tape_goto_file(t, last_file + 1)) and keeps ownership of it. On
 * every copy that completes, tarw_run() writes the archive's filemark
 * (tape_weof(t, 1)); struct tarw_copy then says where the archive starts,
 * how many records it has and its bytes. A copy that did not complete gets
 * no filemark: what it holds is a partial archive that the next write at
 * that position overwrites.
 *
 * Per-copy failure: a copy whose tape reaches early warning (tape_status()
 * eot, or a write failing with -ENOSPC) is abandoned as TARW_COPY_FULL; one
 * whose write fails otherwise as TARW_COPY_ERROR. The other copies go on to
 * the end. The caller writes the whole archive again on another tape.
 *
 * Sources are opened through tarw_opts.open (the caller decides how a
 * name is resolved; by default tarw_source.path is opened without
 * following a symlink in its last component) and are then checked on
 * the open descriptor alone: fstat() must show the identity of the lstat
 * snapshot given in tarw_source.st - same device, inode and type, and but
 * for a directory the same size, mtime and ctime - before the first byte
 * is read and again after the last one. A symlink's target is read from
 * its own descriptor (readlinkat() of an O_PATH link), never by name.
 *
 * A changed source aborts the whole archive, on every copy: another
 * identity (a file replaced, grown, touched; a fifo in its place is
 * refused, never opened for a wait), a read that comes up short, a source
 * that vanished or could not be opened (a symlink on its path: the
 * opener's -ELOOP). Bytes are never padded: the copies stop before
 * anything of the unfinished member is completed on tape. tarw_run() then
 * returns -ESTALE and tarw_changed() says which source (its index) and
 * why, so the caller can leave it staged and write the archive again
 * without it. A directory's size and times are not compared (its mtime
 * moves whenever an entry does).
 *
 * Memory: about 8 MiB of source buffers plus buffer_bytes per writer, 16
 * bytes of chunk digest per 4 MiB of data, and the manifest text (about
 * 170 bytes per member, 33 per chunk) at the end.
 *
 * Threads: tarw_run() blocks in the calling thread. tarw_progress() and
 * tarw_cancel() may be called from any other thread at any time.
 */
#ifndef TAPEFS_TARW_H
#define TAPEFS_TARW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "tapeio/manifest.h"
#include "tapeio/tape.h"

#define TARW_BLOCK_SIZE (256 * 1024) /* default bytes per record */
#define TARW_MAX_COPIES 8

/* One file to archive. name is the member name (relative to the staging
 * root, no leading "/"); path is what the default opener opens (absolute,
 * or relative to the caller's cwd; unused with tarw_opts.open); st is the
 * lstat() snapshot taken when the file was queued: its type (S_IFREG,
 * S_IFDIR, S_IFLNK) chooses the member type, its mode, uid, gid and mtime
 * are what the archive records, and its device, inode, size, mtime and
 * ctime are the identity the opened file must still have while read. */
struct tarw_source {
	const char *path;
	const char *name;
	struct stat st;
	/* 1: a regular file whose extended attributes were listed after st
	 * was taken, and it had none. The reader then lists them no more:
	 * setting or removing one moves the ctime, so a file whose opened
	 * descriptor still shows st's ctime has none (one system call less
	 * a file). 0: listed from the descriptor, as always. */
	int no_xattrs;
};

/* Open src for the reader with open(2) flags: O_RDONLY | O_NONBLOCK |
 * O_NOCTTY for a regular file, O_PATH for a symlink (the link itself) or
 * a directory (with O_DIRECTORY). Never follow a symlink in the last
 * component. Returns a descriptor (the writer closes it) or -errno. Runs
 * on the writer's reader thread, one source at a time. */
typedef int (*tarw_open_fn)(void *arg, const struct tarw_source *src,
			    int flags);

struct tarw_opts {
	uint32_t block_size; /* bytes per record; 0 = TARW_BLOCK_SIZE; a
				multiple of 512 */
	size_t buffer_bytes; /* tape-side buffer shared by the copies;
				0 = 16 MiB (a few MB in front of every drive
				keeps it streaming) */
	tarw_open_fn open;   /* NULL: open(src->path, flags | O_NOFOLLOW) */
	void *open_arg;	     /* open's first argument */
	/* What the manifest says of the archive (uuid, dump, pools, kind;
	 * copied; its written time is set by the writer); NULL: nothing. */
	const struct manifest_archive *archive;
};

enum tarw_copy_state {
	TARW_COPY_WRITING, /* not finished (yet) */
	TARW_COPY_DONE,	   /* whole archive + filemark on tape */
	TARW_COPY_FULL,	   /* abandoned: early warning / -ENOSPC */
	TARW_COPY_ERROR,   /* abandoned: write error (err says which) */
	TARW_COPY_ABORTED, /* stopped because the archive was aborted
			      (changed source, cancel, internal error) */
};

struct tarw_copy {
	enum tarw_copy_state state;
	int err;	       /* 0, or the -errno that ended this copy */
	uint64_t start_lblock; /* tape_tell() before the first record */
	uint64_t records;      /* data records written (not the filemark) */
	uint64_t bytes;	       /* data bytes written = records * block_size */
};

/* ---- how much tape an archive takes, before it is written ----------------
 *
 * An upper bound of the bytes tarw_run() writes, for choosing what fits on
 * a tape: each member's ustar header, its pax extended header (mtime with
 * nanoseconds, a long or non-ASCII name or link target, large ids or
 * size, hdrcharset: all counted as if present), its data rounded up to
 * 512 bytes and its line in the manifest; then the manifest member, the
 * end-of-archive blocks, and the archive rounded up to whole records. The
 * bound exceeds the real size by a little under 200 bytes per member in
 * the usual case (short names, no pax record but mtime), so that batches
 * cut by it fill a tape to within one record and one member. */
struct tarw_bound {
	uint64_t members;  /* header and data bytes of the members so far */
	uint64_t manifest; /* bound of the manifest text so far */
	uint64_t n;	   /* members so far */
};

/* Account for one member: name as given to the writer, linklen the length
 * of a symlink's target (0 for others), size its data bytes (0 for a
 * directory or symlink; tarw_bound_file() for a file), meta the bytes of
 * further pax records and manifest lines it carries (tarw_bound_file(),
 * tarw_bound_xattr()). */
void tarw_bound_add(struct tarw_bound *b, const char *name, uint64_t linklen,
		    uint64_t size, uint64_t meta);
/* The data bytes regular file st (lstat) takes in an archive at most:
 * its size, or for a file the writer may store sparse (allocated blocks
 * fewer than its size) its allocated bytes and its sparse map, counting
 * one extent per st_blksize bytes allocated; *meta grows by the pax
 * records a sparse member adds (its name namelen bytes long). This holds
 * where data extents take whole allocated blocks (SEEK_DATA on ext4,
 * xfs, btrfs, tmpfs); elsewhere an archive may meet early warning and be
 * written again on another tape. */
uint64_t tarw_bound_file(const struct stat *st, size_t namelen, uint64_t *meta);
/* Bytes one extended attribute (name, a value of vlen bytes) adds to its
 * member (pax records, manifest line); 0 for one the writer does not
 * keep (tarw_xattr_kept()). */
uint64_t tarw_bound_xattr(const char *name, size_t vlen);
/* 1 when the writer keeps attribute name: user.* but user.tapefs.*,
 * and the POSIX ACLs. */
int tarw_xattr_kept(const char *name);
/* Hard links among n entries whose lstats are st0, then every stride
 * bytes after it: into *out (malloc'd, n entries; NULL when n is 0), for
 * each, 1 + the index of the first earlier regular file of the same
 * device and inode (st_nlink > 1: the writer writes it as a hard link to
 * that one), else 0. 0 or -ENOMEM. */
int tarw_links_of(const struct stat *st0, size_t n, size_t stride,
		  size_t **out);
/* Bytes the archive of the members added so far takes on tape, with
 * records of block_size (0 = TARW_BLOCK_SIZE): a multiple of it. */
uint64_t tarw_bound_total(const struct tarw_bound *b, uint32_t block_size);

struct tarw;

/* A writer for one archive to tapes[0..ncopies) (1 <= ncopies <=
 * TARW_MAX_COPIES, distinct handles opened TAPE_RDWR). opts may be NULL.
 * *out is freed with tarw_free(). Returns 0, -EINVAL, -ENOMEM. */
int tarw_new(struct tarw **out, struct tape *const *tapes, int ncopies,
	     const struct tarw_opts *opts);

/* Write the archive of src[0..n) (n may be 0: an archive of just the
 * manifest). Call once per writer.
 * Returns:
 *   0           the archive is complete on at least one copy; look at
 *               tarw_copy() of each to see which are TARW_COPY_DONE;
 *   -ENOSPC     every copy was abandoned and at least one was full;
 *   -EIO        every copy was abandoned for write errors;
 *   -ESTALE     a source changed or could not be read (tarw_changed());
 *               every copy is TARW_COPY_ABORTED;
 *   -ECANCELED  tarw_cancel() was called;
 *   -EINVAL     a source with an empty name or an unsupported type
 *               (reported like a changed source through tarw_changed());
 *   -ENOMEM, or -EIO when libarchive fails. */
int tarw_run(struct tarw *w, const struct tarw_source *src, size_t n);

/* After tarw_run() returned 0: the record of every source member, in the
 * order of src (header and data offsets from the archive start, size,
 * MD5, type, mode, uid, gid, mtime, name, link, owner and group names,
 * chunk digests). Owned by w; *n is set to
 * their count. Before that, or after a failure: NULL and *n = 0. */
const struct tar_member *tarw_members(const struct tarw *w, size_t *n);
/* The same list handed over: the caller owns it (tar_members_free(m,
 * *n)) and w keeps none (tarw_members() then gives NULL). */
struct tar_member *tarw_members_take(struct tarw *w, size_t *n);

/* After tarw_run() returned 0: the archive line its manifest holds, the
 * time it was written included (what a catalog records as the archive's
 * time). Owned by w. Before that, or after a failure: NULL. */
const struct manifest_archive *tarw_manifest_archive(const struct tarw *w);

/* The outcome of copy i (valid after tarw_run() returned, whatever it
 * returned). Owned by w. NULL when i is out of range. */
const struct tarw_copy *tarw_copy(const struct tarw *w, int i);

/* After -ESTALE or -EINVAL: the index in src of the source that changed
 * and, in *why (if not NULL), the reason: -ESTALE (another identity than
 * the snapshot's), -ENODATA (short read), -ENOENT (vanished), -EINVAL (bad
 * name or type), or the -errno of open/read (-ELOOP: a symlink where the
 * source or a directory above it was).
 * Returns (size_t)-1 when no source is to blame. */
size_t tarw_changed(const struct tarw *w, int *why);

/* Bytes written so far to copy i (records * block_size). Any thread. */
uint64_t tarw_progress(const struct tarw *w, int i);
/* Archive bytes produced so far (what every live copy is heading to).
 * Any thread. */
uint64_t tarw_produced(const struct tarw *w);

/* Ask a running tarw_run() to stop soon: it returns -ECANCELED, every copy
 * TARW_COPY_ABORTED. Any thread; harmless when nothing runs. */
void tarw_cancel(struct tarw *w);

/* Free w (after tarw_run() has returned, or if it was never called). Does
 * not close the tapes. */
void tarw_free(struct tarw *w);

#endif
