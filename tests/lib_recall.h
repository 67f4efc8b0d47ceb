/* tests/lib_recall.h - the recall engine of a C test, started on a
 * library and a catalog in the scratch directory as fs/mount.c starts it
 * (a vlib changer, a scheduler over its drives, recall_start()), and the
 * pieces the recall tests share: the library's tapes opened to write
 * archives on, and the vtape trace read back.
 *
 * Like lib_fixture.h, what makes something checks its own steps (CHECK)
 * and returns 0 or -errno.
 */
#ifndef TAPEFS_LIB_RECALL_H
#define TAPEFS_LIB_RECALL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "fs/engine/tapefs.h"
#include "tapeio/manifest.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"

/* A test's engine: fs is the test's own (its cat, sched, changer and
 * recall are set here); the paths are in the scratch directory. */
struct fx_recall {
	struct tapefs *fs;
	int drives;	  /* of the scheduler */
	char lib[1100];	  /* the library (lib/): make it with fx_lib_setup() */
	char cache[1100]; /* the engine's cache (cache/), fs->cfg.cache */
	char trace[1100]; /* the vtape trace (trace), when asked for */
};

/* Sets r's paths and fs->cfg.cache, the vtape trace (TAPEFS_VTAPE_TRACE)
 * when trace is set, fs->errors' lock, and opens the catalog catalog.db
 * as fs->cat. 0 or -errno. */
int fx_recall_init(struct fx_recall *r, struct tapefs *fs, int drives,
		   int trace);

/* The changer and the scheduler (the first time), then recall_start().
 * Again after recall_stop(): a restart of the engine alone. 0 or -errno. */
int fx_recall_start(struct fx_recall *r);

/* What a recall test's main() does first: fx_recall_init(), then the
 * test's setup() (its library, archives and catalog rows: 0 or -errno),
 * then fx_recall_start(); each step checked. 0 when the engine runs. */
int fx_recall_up(struct fx_recall *r, struct tapefs *fs, int drives, int trace,
		 int (*setup)(void));

/* Stops the engine and the scheduler, closes the changer and the catalog
 * (whatever of them was started). */
void fx_recall_fini(struct fx_recall *r);

/* The image of barcode in the library, into buf. */
void fx_recall_image(const struct fx_recall *r, const char *barcode, char *buf,
		     size_t len);

/* Opens the (labelled) tape barcode of the library read-write at its file
 * 1, into *t, and adds it to the catalog, scratch, of pool and capacity.
 * 0 or -errno; the caller closes *t. */
int fx_recall_tape(const struct fx_recall *r, const char *barcode,
		   const char *pool, uint64_t capacity, struct tape **t);

/* *cm as the catalog records the regular file tm of a written archive
 * (mode 0644, mtime in seconds); the path points into tm. */
void fx_recall_member(struct catalog_member *cm, const struct tar_member *tm);

/* Data records read on barcode in the vtape trace: their count, and the
 * lowest lblock in *low (UINT64_MAX when none). */
int fx_trace_reads(const struct fx_recall *r, const char *barcode,
		   uint64_t *low);

/* A job that holds a tape in a drive until released: recalls for that
 * tape wait in its queue meanwhile, and the drive serves no other tape.
 * A test queues a batch while its tape is held, so that the engine sees
 * it whole however long the machine stops the test's thread between two
 * requests (the engine sorts what comes within its settling time). */
struct fx_holder {
	struct sched_job job;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, release, done;
};

/* Hold barcode in a drive of sched: returns once the holder runs there. */
void fx_hold(struct sched *sched, struct fx_holder *h, const char *barcode);
/* Let the drive of h go; returns once the holder's job is done. */
void fx_unhold(struct fx_holder *h);

#endif
