/* fs/ns/status_snap.h - every engine's figures taken at one instant, for
 * the renderings for machines: .status.json (fs/ns/status_json.c) and
 * .metrics (fs/ns/ns_metrics.c). Numbers as the engines keep them: no
 * rendered text is read back (the one list taken apart is the dump
 * engine's compact "BARCODE:FILE,..." of struct dump_stats). FUSE-free;
 * never touches a tape or the robot.
 */
#ifndef TAPEFS_STATUS_SNAP_H
#define TAPEFS_STATUS_SNAP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/library.h"
#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"
#include "fs/engine/verify.h"
#include "tapeio/sched.h"

/* Tape states are enum catalog_tape_state, 0..RETIRED. */
#define STATUS_UNKNOWN_KEPT 32
#define STATUS_TAPE_STATES  (CATALOG_TAPE_ADOPTED + 1)

/* The catalog's tapes of one pool. */
struct status_pool {
	char name[16];
	int configured; /* one of cfg.pools (else only found in the catalog) */
	uint64_t total;
	uint64_t by_state[STATUS_TAPE_STATES];
};

struct status_snap {
	time_t now, mounted;

	int have_sched; /* a drive scheduler runs: drives, drive_queue */
	int ndrives;
	struct sched_drive_status *drives; /* [ndrives] */
	int drive_queue;

	int have_dump; /* a dump engine runs: dump */
	struct dump_stats dump;
	int have_tally; /* the catalog answered: tally, verify_last_clean */
	struct catalog_dump_tally tally;
	int64_t verify_last_clean; /* catalog_run_last_clean(), 0 none */

	int have_verify;
	struct verify_progress verify;

	int have_recall;
	struct recall_stats recall;

	int have_tapes; /* the catalog answered: the tape counts */
	uint64_t tapes_total;
	uint64_t tapes_by_state[STATUS_TAPE_STATES];
	struct status_pool *pools; /* configured pools first, in cfg order,
				      then the others by name */
	size_t npools;
	/* Tapes registered closed since the mount because they hold
	 * archives this catalog does not know (fs/engine/library.h): how
	 * many, and the first STATUS_UNKNOWN_KEPT of them. */
	size_t nunknown;
	char unknown[STATUS_UNKNOWN_KEPT][40];

	uint64_t errors_total;
	size_t nerrors; /* errors[0..nerrors): the last ones, oldest first */
	struct {
		time_t when;
		char msg[256];
	} errors[TAPEFS_ERRORS_KEPT];
};

/* Take *out from fs's engines and catalog (a part whose engine is not
 * running, or whose catalog query fails, has its have_ flag 0). Returns 0
 * or -ENOMEM; release with status_snap_release() either way. */
int status_snap_take(struct tapefs *fs, struct status_snap *out);
void status_snap_release(struct status_snap *s);

/* The copies of a dump's tape list, "A00003L9:7,B00002L9:5" (struct
 * dump_stats: current_tapes, last_tapes): calls fn for each with the
 * barcode and the tape file number (-1 when the item has none). */
typedef void (*status_tape_fn)(void *ctx, const char *barcode, long fileno);
void status_tapes_each(const char *list, status_tape_fn fn, void *ctx);

#endif
