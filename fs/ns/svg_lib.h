/* fs/ns/svg_lib.h - what the picture of the library (.library.svg,
 * fs/ns/ns_svg.c) shows, taken at one instant: every slot and drive as the
 * drive scheduler knows them (its last inventory and its moves since: no
 * robot is asked), and for each cartridge what the catalog says of it.
 * FUSE-free; never touches a tape or the robot.
 */
#ifndef TAPEFS_SVG_LIB_H
#define TAPEFS_SVG_LIB_H

#include <stdint.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/tapefs.h"
#include "tapeio/sched.h"

/* A cartridge in a slot or a drive. */
struct svg_tape {
	char barcode[CHANGER_BARCODE_MAX]; /* "" when it has none */
	int known; /* the catalog holds it (the rest then says) */
	char pool[16];
	int pool_idx; /* its place in cfg.pools, -1 another pool */
	enum catalog_tape_state state;
	uint64_t capacity, used; /* bytes; capacity 0: unknown */
	uint64_t failed;	 /* copies whose last verification failed */
	time_t refused;		 /* its label was refused since the mount */
	int foreign;		 /* holds archives this catalog does not know */
};

struct svg_slot {
	int slot;
	int full, ie;
	int drive; /* its cartridge is in this drive now, -1 none */
	char barcode[CHANGER_BARCODE_MAX]; /* of the cartridge in drive */
	struct svg_tape t;
};

struct svg_drive {
	struct sched_drive_status st;
	struct svg_tape t;
};

struct svg_lib {
	time_t now;
	int nslots, nie;
	struct svg_slot *slots; /* [nslots], slot i + 1 at i */
	int ndrives;
	struct svg_drive *drives; /* [ndrives] */
	int npools;
	char pools[TAPEFS_MAX_POOLS][16]; /* cfg.pools */
	int64_t catalog_tapes;		  /* tapes of the catalog, -1 unknown */
	int64_t outside; /* of them, in no slot or drive; -1 unknown */
	int unknown;	 /* a cartridge not in the catalog is shown */
};

/* Take *out from fs's scheduler and catalog. 0 or -ENOMEM; release with
 * svg_lib_release() either way. Without a scheduler, no slot and no
 * drive. */
int svg_lib_take(struct tapefs *fs, struct svg_lib *out);
void svg_lib_release(struct svg_lib *l);

#endif
