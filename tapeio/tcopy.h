/* tapeio/tcopy.h - one tape file copied from one drive to another at the
 * same time, record by record, with every member hashed on the way
 * (SPEC 7: repair, copy, repack and migrate, tape to tape, streaming).
 *
 * tcopy_run() reads the source from where it stands (the first record of
 * a tape file) to its filemark, one tape_read() per record, into a bounded
 * ring of buffers (tapeio/ring.h) that two consumers share: a writer
 * thread that writes each record unchanged to the destination (so the
 * copy's records, and every member's byte offset within the archive, are
 * the source's), and a checker thread that walks the same records with
 * the tar reader (tapeio/tarr.h) and hashes every member. Nothing is
 * staged on disk; memory is the ring (buffer_bytes) plus the tar reader's
 * read-ahead. The slowest of the three paces the others, so both drives
 * stream when the checker keeps up.
 *
 * The caller decides what a member must be: member() is called once per
 * member after its data was hashed (m->md5 set for files), in tape order,
 * and returns non-zero (e.g. -EBADMSG: the MD5 is not the catalog's) to
 * stop the copy. The destination's filemark is written only when every
 * record was written and the walk ended without a complaint; anything
 * less leaves a partial file that the next write at that position
 * overwrites (close writes a filemark as st does: the caller's catalog
 * never records it).
 *
 * Early warning on the destination (tape_status() eot after a write, or a
 * write failing with -ENOSPC) stops the copy with -ENOSPC: the caller
 * writes the archive again on another tape.
 *
 * Threads: tcopy_run() blocks in the calling thread (it is the reader);
 * poll() is called on it between records, to report progress or to stop.
 */
#ifndef TAPEFS_TCOPY_H
#define TAPEFS_TCOPY_H

#include <stddef.h>
#include <stdint.h>

#include "tapeio/manifest.h"
#include "tapeio/tape.h"

#define TCOPY_BUFFER (32u << 20) /* default ring: 32 MiB */

/* Which side ended a copy that did not complete. */
enum tcopy_side {
	TCOPY_DONE = 0,	 /* it completed */
	TCOPY_SOURCE,	 /* a source record could not be read */
	TCOPY_CHECK,	 /* the walk found a corrupt archive, or member()
			    refused a member */
	TCOPY_DEST,	 /* the destination failed (-ENOSPC: it is full) */
	TCOPY_CANCELLED, /* poll() asked to stop */
};

/* Called after member m's data was hashed; non-zero stops the copy and
 * becomes tcopy_run()'s result. */
typedef int (*tcopy_member_fn)(void *arg, const struct tar_member *m);
/* Called every few records with the bytes copied so far; non-zero stops
 * the copy (TCOPY_CANCELLED, -ECANCELED). */
typedef int (*tcopy_poll_fn)(void *arg, uint64_t bytes);

struct tcopy_opts {
	uint32_t block_size;	/* largest record; 0 = 256 KiB */
	size_t buffer_bytes;	/* the ring; 0 = TCOPY_BUFFER */
	tcopy_member_fn member; /* may be NULL: every member accepted */
	tcopy_poll_fn poll;	/* may be NULL */
	void *arg;		/* for member and poll */
};

struct tcopy_result {
	enum tcopy_side side;
	uint64_t records; /* written to the destination */
	uint64_t bytes;	  /* their bytes */
	uint64_t members; /* members walked */
};

/* Copy the tape file at src's position to dst's position (both
 * positioned by the caller; dst opened read-write). Returns 0 (every
 * record copied, every member accepted, the filemark written), else
 * -errno with out->side saying which side stopped it: TCOPY_SOURCE (-EIO
 * or the drive's error), TCOPY_CHECK (member()'s value, -EINVAL for an
 * archive the tar reader cannot walk, -EIO for an archive cut short),
 * TCOPY_DEST (-ENOSPC at early warning, else the write's error),
 * TCOPY_CANCELLED (-ECANCELED). -EINVAL / -ENOMEM before anything is read
 * (side TCOPY_DONE). *out is always set. */
int tcopy_run(struct tape *src, struct tape *dst, const struct tcopy_opts *o,
	      struct tcopy_result *out);

#endif
