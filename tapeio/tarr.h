/* tapeio/tarr.h - the tar-on-tape reader: walking an archive from a drive,
 * and reading one member by locating to its block (SPEC 3.3, 3.4).
 *
 * Both read one tape record per tape_read() (record size = the archive's
 * block size) and hand the records to libarchive, so they read archives
 * written by tarw and by any pax/ustar/GNU tar whose records are no larger
 * than the block size given. Member data is streamed through a sink and
 * hashed on the fly; a member is never held in memory.
 *
 * Member names read from tape are never trusted as paths: a caller that
 * turns one into a path uses tarr_name_safe() first.
 */
#ifndef TAPEFS_TARR_H
#define TAPEFS_TARR_H

#include <stddef.h>
#include <stdint.h>

#include "tapeio/manifest.h"
#include "tapeio/tape.h"

/* Where a member's bytes go: called with consecutive pieces of the data.
 * A non-zero (negative errno) return stops the read and is returned by the
 * function that called it (tarr_read_extent() also takes a positive one:
 * stop, no error). */
typedef int (*tarr_sink_fn)(void *arg, const void *buf, size_t len);

struct tarr;

/* --- Walking an archive ---------------------------------------------- */

/* A reader of the archive starting at the tape's current position (the
 * first record of a tape file). block_size: the largest record to expect
 * (0 = 256 KiB). t stays owned by the caller. Reads nothing yet.
 * From the first tarr_next() on, a thread (one of a pool kept for that,
 * tapeio/ahead.h) reads ahead (up to 8 MiB and
 * 1024 records, never past the tape file's filemark; the memory taken is
 * that of the records read, not that of a full ring) so that the drive
 * streams while the caller hashes: the caller must not use t until the
 * walk has ended (tarr_next() returned 0), any tarr function returned an
 * error, or tarr_free(). After an early tarr_free() the tape position is
 * somewhere ahead within the file: position explicitly.
 * Returns 0, -EINVAL, -ENOMEM. */
int tarr_open(struct tarr **out, struct tape *t, uint32_t block_size);

/* tarr_open() without the read-ahead: each record is read when libarchive
 * asks for it, into one buffer of block_size bytes, and the tape's
 * position is always just past the last record read. For an archive of a
 * record or two (the label, tape file 0), where starting a thread and
 * handing it a ring costs more than it saves. Returns as tarr_open(). */
int tarr_open_inline(struct tarr **out, struct tape *t, uint32_t block_size);

/* The next member's header into *m (cleared by the caller before reuse:
 * tar_member_clear()); m->md5 is "" until its data has been read. The data
 * of the previous member, when the caller did not read it, is skipped (and
 * read from tape: a tape cannot seek within a record stream cheaply).
 * The manifest member is returned like any other, with its name
 * MANIFEST_MEMBER; its data is parsed whenever it is read (by tarr_data()
 * or by skipping it), and tarr_manifest() returns the result.
 * Returns 1 (a member), 0 (end of archive: the rest of the tape file up to
 * and including its filemark has been read, so the tape is at the start
 * of the next file), -EIO (a record could not be read: the archive cannot
 * be walked further; the caller goes on with the next tape file by
 * positioning, e.g. tape_goto_file()), -EINVAL (not a tar archive, a
 * corrupt header, or a record longer than block_size), -ENOMEM. */
int tarr_next(struct tarr *r, struct tar_member *m);

/* Stream the current member's data to sink (NULL: just hash it) and set
 * m->md5 (m: the record tarr_next() filled). Call at most once per
 * member. Exactly m->size bytes are given: the holes of a sparse member
 * (GNU tar --sparse) as zeros, and never more than the size its header
 * declares. A header may declare any size (a few records can declare
 * 2^63 bytes of holes): a caller that knows what to expect stops its sink
 * there. Returns 0; -EIO when a record within the member cannot be read
 * (the member is UNREADABLE, and the archive cannot be walked further:
 * tarr_next() then returns -EIO); -EINVAL when the archive is corrupt
 * there (a sparse map pointing back or past the member's size); or the
 * sink's error. */
int tarr_data(struct tarr *r, struct tar_member *m, tarr_sink_fn sink,
	      void *arg);

/* Where an inner archive's members go (tarr_data_nested()): m and its
 * strings are valid during the call only. Returns 0, or -errno to stop
 * the walk. */
typedef int (*tarr_member_fn)(void *arg, const struct tar_member *m);

/* As tarr_data() without a sink, for a member that is itself a tar
 * archive (PAPER's papertape keeps one inside each archive): the inner
 * archive is walked in the same pass as its bytes stream by, and fn gets
 * each of its members with its header fields, its MD5 and its offsets
 * counted from the start of the outer archive (m's data offset plus its
 * offset inside), so that it can be read later by locating like any
 * other member. m->md5 is set as tarr_data() sets it. When the data is
 * no tar archive, or one that ends badly, the members before that have
 * been given, *inner_err is -EINVAL, and the rest of the member is read
 * and hashed all the same (0 otherwise). A sparse member or the
 * manifest member is refused (-EINVAL, nothing read). Returns as
 * tarr_data(), or fn's -errno (after which nothing more can be read:
 * tarr_next() returns that error). */
int tarr_data_nested(struct tarr *r, struct tar_member *m, tarr_member_fn fn,
		     void *arg, int *inner_err);

/* The records the walk read so far: how many (*records) and the first
 * one's length (*len, 0 when none). Returns 1 when every record but the
 * last had that length and the last no more (one block size: a member's
 * record is its offset / *len), 0 when not. */
int tarr_records(const struct tarr *r, uint64_t *records, uint32_t *len);

/* The manifest parsed from this archive, once its member has been read or
 * skipped: *members stays owned by r, *n its length. Returns 0, -ENOENT
 * (no manifest seen yet or none in this archive), -EINVAL (a member named
 * MANIFEST_MEMBER whose text does not parse). */
int tarr_manifest(struct tarr *r, const struct tar_member **members, size_t *n);
/* The same, whole (version, archive line, members): *out stays owned by
 * r. Returns as tarr_manifest(). */
int tarr_manifest_get(struct tarr *r, const struct manifest **out);

/* Free r; does not close or move the tape. */
void tarr_free(struct tarr *r);

/* --- Reading one member by locating to its block ------------------------- */

/* Read the member whose first header block is at byte header_offset of
 * the archive that starts at start_lblock (block_size bytes per record):
 * tape_locate(t, start_lblock + header_offset / block_size), then parse
 * from byte header_offset % block_size of that record, stream exactly that
 * entry's data to sink (NULL: only hash) while hashing. Nothing before
 * that record is read, nor anything after the member's last record (once
 * the header gives its size, a thread reads exactly the rest ahead, so the
 * drive streams while the sink works). expect_md5: the MD5 the catalog holds
 * (NULL: no check). *m (if not NULL) receives the member's header fields and
 * MD5 (caller clears it with tar_member_clear()). With neither expect_md5
 * nor m the data is not hashed at all: a caller that hashes what its sink
 * gets elsewhere (on another thread, beside the drive) pays no MD5 on the
 * thread that reads the tape. Returns 0; -EBADMSG when the
 * MD5 differs from expect_md5 (all the data has been given to sink); -EIO when
 * a record cannot be read (or the locate fails); -EINVAL when no tar header is
 * at that offset; or the sink's or tape's -errno. */
int tarr_read_member(struct tape *t, uint64_t start_lblock,
		     uint64_t header_offset, uint32_t block_size,
		     const char *expect_md5, tarr_sink_fn sink, void *arg,
		     struct tar_member *m);

/* --- Reading on: where a reader left the tape ---------------------------- */

/* A reader of several members or ranges of one tape, one after the other
 * (a recall job serving its queue in tape order). It knows where the tape
 * stands and keeps a copy of the last record it read, so that the next
 * member or range is read on instead of located to: one that starts in
 * that record is parsed from the copy while the tape reads on after it;
 * one that starts where the tape stands needs no command at all; one a
 * few records ahead in the same archive (TARR_READ_ON_MAX bytes at most)
 * is reached by reading the records between. Only a member behind,
 * farther ahead or in another archive is located to. On a real drive a locate
 * is a command even to the block where the tape stands (st knows the position;
 * the drive stops streaming), and a locate back costs seconds. The cursor owns
 * its copy (at most one record); t stays the caller's, who must not move the
 * tape between reads through the cursor without tarr_cursor_forget(). */
#define TARR_READ_ON_MAX (32u << 20)

struct tarr_cursor {
	struct tape *t;
	int known;	  /* at is where the tape stands */
	uint64_t at;	  /* the lblock of the next record a read returns */
	uint64_t last;	  /* the lblock of the record held in rec */
	uint64_t archive; /* the start of the archive read last */
	char *rec;	  /* a copy of the last record read, len bytes */
	size_t len, cap;  /* len 0: none held */
	/* what reaching the members took, for figures and tests */
	uint64_t locates;     /* tape_locate() commands issued */
	uint64_t records_on;  /* records read only to skip forward */
	uint64_t from_memory; /* reads that began in the copy */
};

/* Start a cursor on t where it stands (tape_tell(): no motion). Returns
 * 0 (the position may be unknown: the first read locates). */
int tarr_cursor_init(struct tarr_cursor *c, struct tape *t);
/* The tape was moved, or a read failed: locate before the next read. */
void tarr_cursor_forget(struct tarr_cursor *c);
void tarr_cursor_release(struct tarr_cursor *c);

/* tarr_read_member() and tarr_read_extent() through cursor c (on its
 * tape): the first record is reached as c allows (above), never by
 * locating back into a record just read. Same returns; after any error
 * but -EBADMSG (the member was read whole) the cursor forgets where the
 * tape stands. */
int tarr_read_member_at(struct tarr_cursor *c, uint64_t start_lblock,
			uint64_t header_offset, uint32_t block_size,
			const char *expect_md5, tarr_sink_fn sink, void *arg,
			struct tar_member *m);
int tarr_read_extent_at(struct tarr_cursor *c, uint64_t start_lblock,
			uint64_t data_offset, uint32_t block_size, uint64_t off,
			uint64_t len, tarr_sink_fn sink, void *arg);

/* Read len bytes of a member's data from byte off of it: its data starts
 * at byte data_offset of the archive that starts at start_lblock
 * (block_size bytes per record; data_offset from the catalog or the
 * writer). tape_locate() to the record holding the first byte, then one
 * record per read, each piece handed to sink in order; nothing before
 * that record is read, nor anything after the one holding the last byte.
 * The sink may return a positive value to stop early (then 0 is
 * returned). The bytes are not parsed or checked: the caller checks them
 * (tapeio/chunk.h). Returns 0; -EIO when a record cannot be read (or the
 * locate fails); -EINVAL when the archive ends first or a record is
 * longer than block_size; or the sink's -errno. */
int tarr_read_extent(struct tape *t, uint64_t start_lblock,
		     uint64_t data_offset, uint32_t block_size, uint64_t off,
		     uint64_t len, tarr_sink_fn sink, void *arg);

/* --- The manifest of a tape file, from its end --------------------------- */

/* What tarr_read_tail() found in one tape file. */
struct tarr_tail {
	uint64_t start_lblock; /* the file's first record */
	uint64_t records;      /* its data records */
	uint32_t block_size;   /* their size, when a manifest was found */
	int filemark;	       /* ended by a filemark; 0: by end of data (a
				  crash while it was written) */
	char *manifest;	       /* the text of MANIFEST_MEMBER when it ends
				  the file's archive (malloc'd,
				  NUL-terminated); NULL: none does */
	size_t len;
	uint64_t manifest_offset; /* its header's byte offset in the file */
	int64_t manifest_mtime;	  /* its header's mtime (seconds) */
	uint64_t bytes_read;	  /* what this call read from tape */
};

/* The manifest of the archive in the tape file that starts where t stands,
 * read from the file's end, not through its data: space forward over the
 * file's filemark (MTFSF; at end of data without one, the file was cut
 * short), locate back to its last record and read it, and more records
 * before it (twice as many each time) while the manifest's text goes on.
 * The last record's length is the archive's block size (tapefs pads it)
 * and every record read must have it (a file of other records has no
 * manifest for tapefs); block_size is the room the first read gets (the
 * label's or the configuration's block size; a longer record is read
 * again with room for the largest the writer makes). A rebuild reads
 * about one record per archive this way.
 * Afterwards t stands at the start of the next tape file, or at end of
 * data when the file had no filemark. *out is filled (release it with
 * tarr_tail_release()). Returns 0 (out->manifest may be NULL: no manifest
 * ends this file), -ENODATA (nothing is recorded where t stands: end of
 * data), -EINVAL (block_size 0), or the tape's -errno (-EIO: a record could
 * not be read; the position is then unknown). */
int tarr_read_tail(struct tape *t, uint32_t block_size, struct tarr_tail *out);
void tarr_tail_release(struct tarr_tail *tl);

/* 1 when the tape record at start_lblock is block_size bytes long and
 * begins with a valid tar (ustar) header - the start of an archive tapefs
 * wrote with that block size - 0 when not, or the tape's -errno. t is
 * left after that record. */
int tarr_file_starts_tar(struct tape *t, uint64_t start_lblock,
			 uint32_t block_size);
/* 1 when the 512 bytes at block are a ustar header with a right
 * checksum, else 0. */
int tarr_header_valid(const void *block);

/* --- Member names ------------------------------------------------------- */

/* Validate a member name read from tape for use as a relative path.
 * *out is malloc'd: the name with leading "/" and "./" removed, "."
 * components and repeated or trailing "/" dropped (caller frees).
 * Returns 0, -EINVAL (a ".." component, nothing left, or a NUL within the
 * first len bytes), -ENAMETOOLONG (longer than PATH_MAX - 1, or a
 * component longer than NAME_MAX), -ENOMEM. len: bytes of name to
 * consider (a name from a pax header may hold a NUL; pass strlen() when
 * it comes from a C string). */
int tarr_name_safe(const char *name, size_t len, char **out);

/* A member name of a foreign archive as a relative path that is always
 * usable (docs/adopt.md, "Names"): as tarr_name_safe(), but a ".."
 * component becomes "%2E%2E" instead of refusing the name (name is a C
 * string: a pax name holding a NUL already ends there). *out is malloc'd.
 * Returns 0, -EINVAL (nothing left: "/", ".", ""), -ENAMETOOLONG,
 * -ENOMEM. */
int tarr_name_neutral(const char *name, char **out);

#endif
