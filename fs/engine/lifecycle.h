/* fs/engine/lifecycle.h - archives outlive their tapes: a bad copy
 * repaired from a good one, a copy added in a pool, a tape emptied onto
 * others of its pool, a pool moved to another (docs/lifecycle.md).
 *
 * Every new copy is written tape to tape: a scheduler gang job holds the
 * source tape (read-only) and the destination tape at once and runs
 * tcopy_run() (tapeio/tcopy.h), which streams the source's tape file to
 * the destination through a bounded ring while the tar reader hashes every
 * member; each regular file's MD5 and name are compared with the catalog's
 * as they pass. Nothing is staged on disk.
 *
 * One archive (lifecycle_copy_archive()):
 *   - sources: the archive's good copies, the one replaced first (a move
 *     reads the tape it empties), then in copy order (a bad or lost copy
 *     is never read); a source that cannot be read or whose member
 *     differs from the catalog is marked bad and the next one is tried;
 *   - destination: the catalog's choice in the pool (an open tape with
 *     room, else a scratch tape), never a tape holding a copy of the
 *     archive, one a dump is writing, nor one that failed this archive;
 *     it is reserved for the copy alone while it is written
 *     (sched_tape_reserve_excl(): checked and taken in one step, so a
 *     dump choosing meanwhile takes another tape). On the
 *     drive, library_write_check() proves the tape is the catalog's and
 *     nothing unknown lies at its append point, then the tape file is
 *     journalled (catalog_xfer_begin()) before the first record;
 *   - the commit (catalog_xfer_commit(), one transaction, on the drive
 *     before the tapes are given back): the new copy, the tape's last
 *     file, the replaced copy lost. A kill -9 at any moment leaves either
 *     the old copies alone or the old ones plus the new one: a journalled
 *     tape file that was never committed is written over by the next
 *     write there (its journal row is marked failed at the next start).
 *
 * Requests (lifecycle_parse()):
 *   repair          every bad copy (a verification or a recall found a
 *                   BAD or UNREADABLE member) rewritten from a good copy
 *                   onto another tape of its tape's pool; the bad copy
 *                   becomes lost (never offered to recalls or verified)
 *   repair LABEL    the same for the bad copies on LABEL
 *   copy POOL       every archive without a copy in POOL gains one
 *   repack LABEL    LABEL is closed (nothing appends to it), and each
 *                   copy on it that is not lost moves to another tape of
 *                   its pool: the new copy and the old one lost in one
 *                   commit; LABEL ends with no live copy
 *   migrate POOL NEWPOOL
 *                   the same for every tape of POOL (its open tapes
 *                   closed), the copies moving to tapes of NEWPOOL
 *   reclaim LABEL   a tape holding no live archive (catalog.h, "deletes
 *                   and reclaims") gets a new label (a new uuid) and
 *                   becomes scratch: the catalog forgets its copies
 * They run on the library module's worker (library.h), one at a time,
 * through the drive scheduler at the lowest priority (its jobs wait for
 * recalls and dumps).
 *
 * Functions return 0 or -errno; none may run on a FUSE request thread but
 * lifecycle_parse().
 */
#ifndef TAPEFS_LIFECYCLE_H
#define TAPEFS_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tapefs;

enum lifecycle_kind {
	LIFECYCLE_REPAIR = 0,
	LIFECYCLE_COPY,
	LIFECYCLE_REPACK,
	LIFECYCLE_MIGRATE,
	LIFECYCLE_RECLAIM,
};

struct lifecycle_req {
	enum lifecycle_kind kind;
	char arg[40];  /* repair: LABEL or "" (all); copy, migrate: POOL;
			  repack, reclaim: LABEL */
	char arg2[40]; /* migrate: NEWPOOL; else "" */
};

/* Parse a request line (no newline) into *out, checked against the
 * catalog and the configuration (a LABEL the catalog knows, a POOL of the
 * configuration or of the catalog's tapes). 0, or -EINVAL with a one-line
 * reason in why; reclaim of a tape with a live archive -EBUSY, of a
 * scratch tape -EALREADY, of a retired one -EPERM. Memory and catalog reads
 * only: any thread. */
int lifecycle_parse(struct tapefs *fs, const char *line,
		    struct lifecycle_req *out, char *why, size_t len);
/* The kind of request line names (its first word), or -1. */
int lifecycle_word(const char *line);
/* The request as a line ("repair", "repair A00001L9", "copy B",
 * "migrate A C"). */
void lifecycle_req_line(const struct lifecycle_req *q, char *buf, size_t len);

/* Figures of the request running, for .library. */
struct lifecycle_progress {
	uint64_t archives; /* to do */
	uint64_t done;	   /* of them, finished (copied or failed) */
	uint64_t copied;   /* new copies committed */
	uint64_t failed;   /* archives that got no new copy */
	uint64_t bytes;	   /* bytes copied (committed copies) */
};
/* Called by lifecycle_run() after each archive. */
typedef void (*lifecycle_report_fn)(void *ctx,
				    const struct lifecycle_progress *p);
/* Non-zero to stop between archives and between records. */
typedef int (*lifecycle_stop_fn)(void *ctx);

struct lifecycle_hooks {
	lifecycle_report_fn report; /* may be NULL */
	lifecycle_stop_fn stop;	    /* may be NULL */
	void *ctx;
};

/* Run request q to its end on the calling thread (the library worker):
 * a summary line into result ("repair: 2 copies rewritten, 0 failed").
 * 0 when every archive got its copy, -EIO when some did not (result says
 * how many; each is an error line of .status), -ECANCELED when stopped,
 * or a catalog -errno. */
int lifecycle_run(struct tapefs *fs, const struct lifecycle_req *q,
		  const struct lifecycle_hooks *h, struct lifecycle_progress *p,
		  char *result, size_t len);

/* One archive: a new copy of archive_id on a tape of pool, read from one
 * of its good copies (replaces first when it is good); replaces (0: none)
 * is marked lost in the same commit. *bytes (may be NULL) gets the bytes
 * copied. 0, -ENOSPC (no tape of the pool can take it), -ENODATA (no good copy
 * could be read: each one tried is now bad), -ECANCELED, -errno; why says what
 * happened. */
int lifecycle_copy_archive(struct tapefs *fs, int64_t archive_id,
			   const char *pool, int64_t replaces,
			   const struct lifecycle_hooks *h, uint64_t *bytes,
			   char *why, size_t len);

/* rm of archive/PATH by uid (the kernel checked the directory's
 * permissions): with [tapefs] allow_delete the path leaves the namespace,
 * its bytes stay on tape, counted dead; its cached copy is dropped. 0,
 * -EROFS (allow_delete = no), -EPERM (uid neither root nor the file's
 * owner), -EISDIR, -ENOENT, -errno. Catalog work only: a FUSE thread may
 * call it. */
int lifecycle_delete(struct tapefs *fs, const char *path, uid_t uid);
/* With [tapefs] repack_below = PCT: queue `repack LABEL` for every full
 * tape whose live bytes fell below PCT% of its file bytes and that still
 * holds a live archive. 0 or -errno. On the library worker. */
int lifecycle_sparse(struct tapefs *fs);

#endif
