/* fs/engine/rebuild.h - the catalog rebuilt from the tapes (docs/catalog.md,
 * "Rebuild"): `tapefs rebuild` and `echo rebuild > .library`.
 *
 * Each tape is read through the drive scheduler (read-only jobs, at the
 * lowest priority, every drive at once): its label, then for every tape
 * file after what the catalog knows of it (its last_file; every file with
 * full), only the manifest that ends the archive, read from the end of the
 * file (tarr_read_tail()): about one record per archive, never its data.
 * When every tape is read, the archives found are committed in the order
 * they were dumped (their manifests' times), one catalog transaction per
 * archive: an archive the catalog knows (by its uuid, or by a copy at the
 * same tape file) only gets its missing copies; copies of one archive on
 * several tapes are one archive (version 1 manifests, without a uuid, are
 * matched by their text). Nothing is ever deleted or changed otherwise,
 * so a rebuild killed at any moment and run again gives the same catalog.
 *
 * A tape file without a manifest is not recorded. When it ends the tape
 * and was cut short by a crash (no filemark), or holds the start of a tar
 * archive, it is journaled as a partial archive (catalog_dump_partial()):
 * the tape's append point stays before it and the next dump writes over
 * it. A tape whose end of data is past early warning is marked full.
 * Tapes whose label does not match the catalog's (another barcode, another
 * uuid: another library's cartridge) are not read.
 *
 * The engine is FUSE-free and knows nothing of where it runs: the command
 * (fs/cmd_rebuild.c) and the library's queue (`.library`) call it with a
 * mount's struct tapefs whose catalog, changer and scheduler are open.
 */
#ifndef TAPEFS_REBUILD_H
#define TAPEFS_REBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "fs/engine/tapefs.h"

struct rebuild_opts {
	const char *const *labels; /* the tapes to read; NULL/0: every tape
				      of the catalog (registered first) */
	size_t nlabels;
	int full;	 /* every file of each tape, not only those after
			    what the catalog knows */
	int skip_closed; /* tapes full or retired in the catalog are not read
			    (after a snapshot: nothing writes them) */
	/* Called between tapes and archives; nonzero stops the rebuild
	 * (what was committed stays). NULL: never. */
	int (*stop)(void *arg);
	void *arg;
	/* Progress for a status line, called from the engine's thread and
	 * the drives' (NULL: none). */
	void (*progress)(void *arg, const char *line);
};

struct rebuild_report {
	uint64_t tapes;		/* read to their end */
	uint64_t tapes_failed;	/* not read, or not to their end */
	uint64_t files;		/* tape files looked at */
	uint64_t manifests;	/* manifests read */
	uint64_t archives_new;	/* archives committed */
	uint64_t copies_new;	/* copies added to archives known */
	uint64_t known;		/* archives (copies) the catalog had */
	uint64_t members_new;	/* members of the archives committed */
	uint64_t partial;	/* partial archives journaled */
	uint64_t no_manifest;	/* tape files without one, not recorded */
	uint64_t tapes_full;	/* tapes marked full */
	uint64_t bytes_read;	/* from tape, labels included */
	uint64_t bytes_on_tape; /* of the tapes read, up to end of data */
	uint64_t locates;	/* positioning operations */
	double model_seconds;	/* vtape speed model time of the reads */
	char error[512];	/* the first failure, "" none */
};

/* Rebuild the catalog fs->cat from the tapes (see above). Blocks until
 * every tape is read and every archive committed; never from a file
 * system request thread. Each problem is also an error line of .status
 * (tapefs_error()). Returns 0 when every tape asked for was read to its
 * end and every archive found was committed, -EIO when some were not
 * (the report says how many; what could be done was done), -ECANCELED
 * when stopped, -ENOMEM, or the catalog's -errno. */
int rebuild_run(struct tapefs *fs, const struct rebuild_opts *o,
		struct rebuild_report *out);

/* One line of the report ("8 tapes read, 21 archives added, ..."). */
void rebuild_summary(const struct rebuild_report *r, char *buf, size_t len);

/* ---- the catalog's snapshot on tape (fs/engine/rebuild_snap.c) ----------- */

/* Look for the newest snapshot of the catalog on the tapes (a catalog
 * holding no archive has nothing else to go by): the last archive of each
 * tape, in the catalog's order, until one is a snapshot or names the
 * newest one (every manifest does, from the first snapshot on). Then read
 * that snapshot's database file from one of its copies (MD5 checked) into
 * path (mode 0600). Returns 0, -ENOENT (no snapshot on the tapes read), or
 * -errno; why says what happened. */
int rebuild_snapshot_fetch(struct tapefs *fs, const char *path, char *why,
			   size_t len);

#endif
