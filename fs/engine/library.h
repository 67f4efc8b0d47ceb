/* fs/engine/library.h - the library module: the one place that decides what
 * a cartridge is (docs/library.md, "The library module").
 *
 * What a cartridge is comes from one look at it (label_probe(),
 * tapeio/label.h): its label (tape file 0) and whether anything is
 * recorded after file 0 - one record read, not a walk of the tape. One
 * policy turns that look into a catalog tape, whoever asks (the mount,
 * `.library inventory`, `label SLOT ...`, a dump that needs a tape):
 *   - a cartridge whose tapefs label names its barcode and that holds
 *     nothing after file 0 is registered scratch, with the label's pool
 *     and uuid;
 *   - one that holds anything after file 0 is registered closed: it holds
 *     archives this catalog does not know (another catalog's, or this
 *     one's before it was lost), is never written over, and `.status`
 *     counts it and says what to do ("unknown_tapes: N");
 *   - a cleaning cartridge (barcode CLN...) is skipped, only logged;
 *   - a blank cartridge, one without a tapefs label, and one whose label
 *     names another barcode are reported (an error line of `.status`)
 *     and left alone (a blank one is labelled only on the operator's word:
 *     `inventory` for a barcode naming a pool, `label SLOT BARCODE POOL`).
 * A tape the catalog knows keeps the state the catalog gives it. Before
 * a dump writes file N of a tape, library_write_check() applies the same
 * rule to that tape: the label must be the catalog's, the tape's end of
 * data must be at file N (its last_file + 1: not before, the tape holding
 * fewer files than the catalog knows; not after, unless this catalog's
 * dump journal says a dump of its own began writing there - a partial
 * archive a crash or a failed copy left, which is overwritten); anything
 * else closes the tape and nothing is written.
 *
 * Capacity: a cartridge's capacity comes from its drive (tape_space():
 * the MAXIMUM CAPACITY of a real cartridge's medium auxiliary memory, the
 * size of a virtual one's image) when a look registers it, and again
 * before every write; when the drive cannot say, from the LTO generation
 * its barcode names (L5..L9, M8, tapeio/lto.h); else it is unknown. Before
 * a write at end of data the drive's REMAINING CAPACITY is compared with
 * the catalog's count: the drive wins when it says clearly less (by over
 * 1% of the capacity and a MiB), and an archive that does not fit in it is not
 * started there. Capacities are native (without drive compression).
 *
 * The module also runs the operator's queue of `.library` (inventory,
 * export LABEL, label SLOT BARCODE POOL, repair, copy POOL, repack LABEL,
 * migrate POOL NEWPOOL, reclaim LABEL, rebuild, adopt LABEL [PREFIX]) on a
 * worker thread of its own: requests from FUSE threads only queue and
 * return. Its robot work goes through the drive scheduler, one library
 * operation at a time.
 *
 * Changers are reached through tapeio/changer.h only: this module never
 * asks which backend it drives.
 */
#ifndef TAPEFS_LIBRARY_H
#define TAPEFS_LIBRARY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/lifecycle.h"
#include "fs/engine/tapefs.h"

struct tape;
struct library;

/* ---- lifetime ----------------------------------------------------------- */

/* Create fs->library: the registry of the mount's cartridges, with no
 * thread yet. It lives as long as the mount's process, across the
 * start-up check and the daemon's start (what the first registration
 * learnt stays for `.status`). 0 or -ENOMEM. */
int library_init(struct tapefs *fs);
/* Stop (library_stop()) and free fs->library; safe when NULL. */
void library_free(struct tapefs *fs);

/* Start the operator queue's worker. Needs fs->cat, fs->changer and
 * fs->sched (without them requests answer -ENODEV). 0 or -errno. */
int library_start(struct tapefs *fs);
/* Queue `copy POOL` for every pool of the first `copies` of `pools` that
 * some archive has no copy in (`copies` raised), saying so in .status.
 * Called once the mount's engines have started. */
void library_copies_queue(struct tapefs *fs);
/* Stop the worker: queued requests are dropped, an operation that waits
 * for the scheduler is cancelled (so is library_import() on another
 * thread); nothing new starts until library_start(). Safe when stopped. */
void library_stop(struct tapefs *fs);

/* Every move and inventory of fs->changer from now on under the robot's
 * lock of the catalog (catalog_robot_lock()): hosts sharing the library
 * and the catalog never move at once. Called once both are open, before
 * the first changer call. */
void library_robot_share(struct tapefs *fs);

/* Start fs->sched on fs->changer's drives (the mount's and the offline
 * commands'): sc as the caller set it (its log), with the changer, the
 * tape backend cfg.tape and cfg.ndrives drives (every drive of the
 * changer when 0) at cfg.drive_dev. 0, or -errno with the reason in why
 * ("unknown tape backend 'x'", "changer inventory: ...", "drive
 * scheduler: ...") and fs->sched NULL. */
struct sched_config;
int library_sched_start(struct tapefs *fs, struct sched_config *sc, char *why,
			size_t len);

/* ---- registration -------------------------------------------------------- */

/* 1 when barcode is a cleaning cartridge's (it starts with "CLN", the
 * industry's convention): never a tape of the catalog, never looked at,
 * never labelled, whatever pool's name its barcode starts with. */
int library_is_cleaning(const char *barcode);

/* At mount, before the scheduler runs: every cartridge the changer reports
 * whose barcode the catalog does not know is looked at and registered by
 * the policy above, known tapes get their location ("slot 7", "drive 0").
 * A cartridge is looked at where it is when the changer can (a vlib
 * image), through its drive when it sits in one (a full drive without a
 * tag - changer none - is named by its label), else loaded into an empty
 * drive and put back (one robot round trip per unknown cartridge, once).
 * Cartridges in slots without a tag wait for `.library inventory`.
 * Returns the number of tapes added (>= 0) or -errno (catalog or changer
 * failure); a cartridge that cannot be read is an error line of .status,
 * not a failure. */
int library_sync(struct tapefs *fs);

/* While the daemon runs (the dump engine's thread, when a pool has no
 * writable tape; the queue's inventory): cartridges the changer reports
 * with a tag the catalog does not know are read through the scheduler
 * and registered; untagged slots the catalog places a tape in are named
 * for the scheduler. 0 or -errno; -ECANCELED once library_stop() began. */
int library_import(struct tapefs *fs);

/* Before a dump writes an archive of need bytes (an estimate) as tape
 * file fileno of the catalog tape ct on t (a drive handle of the
 * scheduler): read the label and compare it with the catalog (barcode;
 * uuid when the catalog has one, recorded when it has none); a blank tape
 * the catalog holds as scratch without a uuid is labelled for its pool
 * (block_size recorded in the label) first. Then position at fileno and
 * look whether anything is recorded there (see above), and ask the drive
 * what the cartridge holds (see "Capacity" above). Returns 0 (t stands at
 * the start of fileno), -EMEDIUMTYPE (the tape must not be written: its
 * label is not the catalog's, its data ends before fileno, or it holds
 * data this catalog did not write; why says which, and the tape is
 * counted for .status when it holds unknown archives), -ENOSPC (the drive
 * says the tape is full), -EFBIG (the drive says the archive does not fit
 * in what is left; the catalog's capacity now says so too), or another
 * -errno (an I/O error: the tape may be fine). why gets a one-line
 * reason. */
int library_write_check(struct tapefs *fs, struct tape *t,
			const struct catalog_tape *ct, int64_t fileno,
			uint32_t block_size, uint64_t need, char *why,
			size_t len);

/* Tapes registered closed since the mount because they hold archives this
 * catalog does not know (the first max barcodes into out, may be NULL).
 * Returns how many. */
size_t library_unknown(struct library *lib, char (*out)[40], size_t max);
/* 1 when barcode is one of them, else 0. */
int library_tape_unknown(struct library *lib, const char *barcode);

/* ---- the operator's queue (.library) ------------------------------------- */

/* Queue an inventory: the library's cartridges against the catalog (new
 * ones registered, blank ones whose barcode starts with a configured
 * pool's name labelled for it, untagged slots read, every catalog tape
 * given the location the changer reports or "out of library"). 0,
 * -ENODEV (no changer or scheduler). */
int library_inventory_request(struct library *lib);
/* Queue a move of tape barcode to an empty import/export slot. 0, -EBUSY
 * (a dump writes it: sched_tape_reserved()), -EAGAIN (8 queued),
 * -ENODEV. */
int library_export_request(struct library *lib, const char *barcode);
/* Queue the operator's label of the cartridge in slot as barcode of pool
 * (the caller checked the words). 0, -EALREADY (slot or barcode queued),
 * -EAGAIN (8 queued), -EINVAL (too long), -ENODEV. */
int library_label_request(struct library *lib, int slot, const char *barcode,
			  const char *pool);

/* Queue a lifecycle request (repair, copy, repack, migrate:
 * fs/engine/lifecycle.h; lifecycle_parse() checked it). It runs on the
 * worker after the robot requests queued before it, without the library
 * operation lock (its tape work goes through the scheduler; a long repair
 * must not hold up a dump that asks for new cartridges). 0, -EALREADY
 * (the same request is queued), -EAGAIN (8 queued), -ENODEV. */
int library_lifecycle_request(struct library *lib,
			      const struct lifecycle_req *q);

/* Something was deleted: the worker looks for full tapes to repack
 * ([tapefs] repack_below, lifecycle_sparse()). Any thread. */
void library_usage_changed(struct library *lib);

#define LIBRARY_QUEUE_MAX 8

/* Queue a rebuild of the catalog from the tapes (fs/engine/rebuild.h):
 * first an import of the cartridges the catalog does not know, then the
 * manifests it lacks on labels[0..n) (n 0: every tape), every file of
 * each with full. 0, -EALREADY (one is queued or running), -EINVAL (more
 * than LIBRARY_QUEUE_MAX labels, one too long), -ENODEV. */
int library_rebuild_request(struct library *lib, int full,
			    const char *const *labels, size_t n);

/* Queue the adoption of the foreign tape label with prefix (NULL: the
 * default; fs/engine/adopt.h; the caller checked both). It runs on the
 * worker after the requests queued before it, without the library
 * operation lock (its tape work goes through the scheduler); the queue
 * waits meanwhile. 0, -EALREADY (one is queued or running), -EINVAL (too
 * long), -ENODEV. */
int library_adopt_request(struct library *lib, const char *label,
			  const char *prefix);

/* What the queue did and holds, for the rendering of .library (fs/ns). */
struct library_view {
	int inventory_running;	    /* queued or running */
	time_t inventory_time;	    /* of the last one done, 0 = none */
	char inventory_result[256]; /* its summary ("failed: ..." on error) */
	int nexports;
	char exports[LIBRARY_QUEUE_MAX][40]; /* queued, in order */
	char export_result[256]; /* the last one's outcome, "" = none */
	int nlabels;
	struct library_label_req {
		int slot;
		char barcode[40];
		char pool[16];
	} labels[LIBRARY_QUEUE_MAX]; /* queued, in order */
	char label_result[256];	     /* the last one's outcome, "" = none */
	int nlife;
	struct lifecycle_req life[LIBRARY_QUEUE_MAX]; /* queued, in order */
	int life_running;			      /* life_now runs */
	struct lifecycle_req life_now;
	struct lifecycle_progress life_progress; /* of life_now, or the last */
	char life_result[256];	    /* the last one's outcome, "" = none */
	int rebuild_running;	    /* queued or running */
	char rebuild_progress[256]; /* what it does now */
	time_t rebuild_time;	    /* when the last one ended, 0 = none */
	char rebuild_result[640];   /* its summary ("failed: ..." on error) */
	int adopt_running;	    /* queued or running */
	char adopt_label[40];	    /* of the one queued or running, or the
				       last */
	char adopt_progress[256];   /* what it does now */
	time_t adopt_time;	    /* when the last one ended, 0 = none */
	char adopt_result[768];	    /* its summary ("failed: ..." on error) */
};
/* A copy of the queue's state. 0, -ENODEV (lib NULL). */
int library_view(struct library *lib, struct library_view *out);

/* ---- labels for `tapefs fsck` -------------------------------------------- */

struct library_labels {
	struct catalog_label *labels; /* for catalog_check() */
	unsigned char *data_after;    /* per label: something follows file 0 */
	size_t n;
	char **skipped; /* "BARCODE: reason" for cartridges not read */
	size_t nskipped;
};

/* The labels of every cartridge of the library cfg describes that can be
 * read without a robot move (a vlib's images, the tapes in drives; the
 * others are listed in skipped). A blank cartridge or one without a
 * tapefs label gets uuid NULL (catalog_check() reports it). Returns 0, or
 * -errno with a one-line reason in err (the changer cannot be opened or
 * inventoried). Free with library_labels_release(). */
int library_labels_read(const struct tapefs_config *cfg,
			struct library_labels *out, char *err, size_t errlen);
void library_labels_release(struct library_labels *ll);

/* The rule on what library_labels_read() found: a tape the catalog holds
 * as scratch with nothing written (last_file 0) whose label is followed
 * by data that no dump of this catalog began holds archives this catalog
 * does not know - the damage a catalog that registered such a tape
 * scratch leaves. Each one is reported (report(ctx, repaired, msg)); with
 * repair it is closed, so that nothing is written over it. Returns how
 * many were found (>= 0) or -errno. */
int library_labels_check(struct catalog *cat, const struct library_labels *ll,
			 int repair, catalog_report_fn report, void *ctx);

#endif
