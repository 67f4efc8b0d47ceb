/* fs/engine/library_int.h - what the files of the library module share
 * (fs/engine/library.h is the module's API):
 *   library_register.c  the policy: a look at a cartridge -> a catalog tape;
 *                       the check before a write; the unknown tapes
 *   library_space.c     what a cartridge holds: the drive's word or the
 *                       barcode's, and whether an archive fits
 *   library_peek.c      looking at a cartridge without the scheduler
 *   library_sync.c      the registration at mount
 *   library_fsck.c      the labels for `tapefs fsck`
 *   library_import.c    looking at cartridges through the scheduler
 *   library_inventory.c the operator's inventory and label by hand
 *   library_queue.c     lifetime, the operator's queue and its worker
 *   library_rebuild.c   the queue's rebuild of the catalog from the tapes
 *   library_adopt.c     the queue's adoption of a foreign tape
 * Not for other modules.
 */
#ifndef TAPEFS_LIBRARY_INT_H
#define TAPEFS_LIBRARY_INT_H

#include <pthread.h>
#include <stddef.h>

#include "fs/engine/library.h"
#include "tapeio/changer.h"
#include "tapeio/label.h"

struct library {
	struct tapefs *fs;

	/* One library operation at a time (an import, an inventory, a label
	 * by hand, an export): held across robot and drive work
	 * (sched_run_wait(), sched_tape_export(), sched_tape_return()) by
	 * the queue's worker or by the thread that imports (the dump
	 * engine's, between rounds: it holds no drive then). Never taken by
	 * a FUSE request thread, nor by a scheduler callback (the import's
	 * tick takes mu only, its run no lock), so holding it while waiting
	 * for the scheduler cannot wedge either. Taken before mu. */
	pthread_mutex_t op;

	/* Guards every field below it. Never held across I/O, catalog,
	 * changer or scheduler calls: FUSE threads take it to queue and to
	 * read the view. */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* with mu: a request, or stop */
	int stopping;
	pthread_t th;
	int th_started;

	int inventory_req;     /* an inventory was asked for */
	int usage_req;	       /* a delete: look for tapes to repack */
	struct library_view q; /* the queue and the last outcomes */
	int rebuild_req;       /* a rebuild was asked for, with: */
	int rebuild_full;
	char rebuild_labels[LIBRARY_QUEUE_MAX][40];
	size_t rebuild_nlabels;
	int adopt_req;		/* an adoption was asked for, with: */
	char adopt_prefix[256]; /* "" = the default */
	/* The thread of the rebuild running (or ended, not joined yet):
	 * only the worker starts it and only library_stop() joins it. */
	pthread_t rebuild_th;
	int rebuild_th_started;

	/* Tapes registered closed because they hold archives this catalog
	 * does not know, since the mount. */
	char (*unknown)[40];
	size_t nunknown, capunknown;
};

/* library_register.c */
/* Register the cartridge whose look p (label_probe() returned 0) read,
 * at location ("slot 7", "drive 0", "" unknown), by the policy of
 * library.h: scratch when nothing follows file 0, closed (and counted,
 * with an error line of .status) when anything does. A label that names
 * no barcode (changer_barcode_valid(): "..", "a/b") is refused: an error
 * line of .status, the cartridge left alone. Returns 1 added scratch, 2
 * added closed, 0 not added (the barcode is known already, or refused;
 * why says which), or -errno (catalog) with why set. */
/* 1 when e's volume tag names no barcode: an error line of .status
 * names the cartridge (at location) and it is left alone; else 0. */
int library_tag_refused(struct tapefs *fs, const struct changer_elem *e,
			const char *location);
/* s as a message may show it: bytes other than printable ASCII as '?',
 * cut to len - 1 with "...". Returns buf. */
const char *library_shown(const char *s, char *buf, size_t len);
int library_register(struct tapefs *fs, const struct label_probe *p,
		     const char *location, char *why, size_t len);
/* Count barcode among the tapes holding unknown archives (once). */
void library_note_unknown(struct library *lib, const char *barcode);

/* library_space.c */
/* The capacity tapefs takes a cartridge to have: from_drive (what its
 * drive said, tape_space()) when not 0, else the native capacity of the
 * LTO generation barcode names (tapeio/lto.h), else 0 (unknown). */
uint64_t library_capacity(const char *barcode, uint64_t from_drive);
/* Before a write to the catalog tape ct in drive t, which stands at its
 * end of data when at_eod (else before a partial archive it will write
 * over): ask the drive what the cartridge holds and correct the
 * catalog's capacity (the drive's maximum; lowered to bytes_used plus
 * what the drive says is left when that is over 1% and 1 MiB less; when the
 * drive cannot say, the barcode's generation for a tape of unknown
 * capacity). At end of data, an archive of need bytes must fit in what
 * the drive says is left: -EFBIG when it does not (the tape keeps its
 * state: a smaller archive may go there), -ENOSPC when under 1% is left
 * (the tape is full); why says so. 0 otherwise, also when the drive
 * cannot say. */
int library_space_check(struct tapefs *fs, struct tape *t,
			const struct catalog_tape *ct, int at_eod,
			uint64_t need, char *why, size_t len);

/* library_peek.c */
/* The device of drive: the configuration's driveN, else the changer's
 * answer. 0 or -errno. */
int library_drive_dev(const struct tapefs_config *cfg, struct changer *c,
		      int drive, char *buf, size_t len);
/* Look at the cartridge of e without the scheduler (label_probe()): where
 * it is when the changer can peek (e->barcode set), through its drive when
 * e is a drive, else - load_drive >= 0 - loaded into that empty drive and
 * put back (then *loaded, when not NULL, is set to 1, else 0: the robot
 * moved). Returns label_probe()'s result, -ENOTSUP (reading it needs a
 * load and load_drive < 0), or the changer's -errno; why says why. */
int library_peek_elem(const struct tapefs_config *cfg, struct changer *c,
		      const struct changer_elem *e, int load_drive,
		      struct label_probe *p, char *why, size_t len,
		      int *loaded);
/* 1 when the changer's drive is one this host drives ([library]
 * drive_ids, drives = N; every drive when neither is set), else 0. */
int library_drive_ours(const struct tapefs_config *cfg, int drive);
/* "slot 7" / "drive 0" of e into buf. */
void library_location(const struct changer_elem *e, char *buf, size_t len);

/* library_import.c */
/* What became of a cartridge looked at through the scheduler. */
enum library_added {
	LIBRARY_NOT_ADDED = 0,
	LIBRARY_ADDED_SCRATCH,	/* its label and nothing after it */
	LIBRARY_ADDED_LABELLED, /* blank, labelled for a pool: scratch */
	LIBRARY_ADDED_CLOSED,	/* holds archives this catalog does not know */
};
/* Look at the unknown cartridge e (named e->barcode for the scheduler)
 * through the scheduler and register it; a blank one is first labelled
 * for label_pool (NULL: never). Returns what became of it (why says why
 * when it was not added). Caller holds lib->op. */
enum library_added library_import_one(struct library *lib,
				      const struct changer_elem *e,
				      const char *label_pool, char *why,
				      size_t whylen);
/* The untagged cartridge of slot that no catalog tape accounts for: look
 * at it under a temporary name and put it back; a label names it (a
 * catalog tape's new location, or a new tape registered: *how says so,
 * else LIBRARY_NOT_ADDED). Returns 1 when it was named, 0 not. Caller
 * holds lib->op. */
int library_probe_untagged(struct library *lib, int slot,
			   enum library_added *how);
/* Tell the scheduler which catalog tape each untagged slot holds (the
 * catalog's location "slot N" of the tape). */
void library_name_untagged(struct library *lib, const struct changer_inv *inv);
/* The untagged element at a catalog location ("slot 3", "drive 0"), or
 * NULL. */
const struct changer_elem *library_untagged_at(const struct changer_inv *inv,
					       const char *location);
/* library_import() with lib->op held. */
int library_import_locked(struct library *lib);
/* 1 once library_stop() began. */
int library_stopping(struct library *lib);

/* library_adopt.c */
/* Run the adoption the queue took (lib->q.adopt_label, lib->adopt_prefix)
 * on the calling thread (the worker, mu not held), keeping its progress
 * and outcome in lib->q. */
void library_adopt_run(struct library *lib);

/* library_rebuild.c */
/* Start the rebuild the queue took (lib->rebuild_*) on a thread of its
 * own (the one before it joined first), keeping its progress and outcome
 * in lib->q. It takes lib->op only while it registers new cartridges. */
void library_rebuild_start(struct library *lib);
/* Wait for the rebuild thread (it stops soon once library_stop() began). */
void library_rebuild_join(struct library *lib);

/* library_inventory.c (caller holds lib->op) */
/* The operator's inventory; a one-line summary into result. 0, -errno. */
int library_inventory_run(struct library *lib, char *result, size_t len);
/* The operator's label by hand of slot; the outcome into result. 0,
 * -EINVAL (no such slot), -ENOMEDIUM, -EEXIST, -EIO (refused by what is
 * on the tape), -errno. */
int library_label_run(struct library *lib, int slot, const char *barcode,
		      const char *pool, char *result, size_t len);

#endif
