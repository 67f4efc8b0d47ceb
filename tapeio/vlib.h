/* tapeio/vlib.h - a virtual tape library in a directory.
 *
 * Layout of a library DIR:
 *   DIR/state                 where every cartridge is (format below)
 *   DIR/library.conf          robot settings, "key = value" lines, optional:
 *                               move_seconds = 0   time one robot move takes
 *                               time_scale = 1     factor applied to it (0.01
 *                                                  makes tests 100x faster,
 *                                                  as in the vtape model)
 *                               barcode_reader = 1 0: a library without a
 *                                                  barcode reader: the
 *                                                  changer's inventory shows
 *                                                  full elements without a
 *                                                  tag (the state file still
 *                                                  names each image)
 *   DIR/lock                  flock()ed: shared to read the state, exclusive
 *                             to change it
 *   DIR/robot                 the robot's arm: flock()ed for a whole move and
 *                             never waited for (vlib_move())
 *   DIR/overlaps              one line per move asked while another was under
 *                             way (hosts moving without the robot's lock)
 *   DIR/tapes/BARCODE.vtape   one vtape image per cartridge (tapeio/vtape.h)
 *   DIR/driveN                symlink -> tapes/BARCODE.vtape while drive N is
 *                             loaded; absent when it is empty, so the vtape
 *                             backend opening DIR/driveN sees "no medium"
 *
 * The state file is text, one fact per line, rewritten whole (temporary
 * file + rename) under the exclusive lock, so that several processes (the
 * daemon, tests, `mtx` over the SG_IO shim) share one library safely and a
 * crash leaves either the old or the new state:
 *   tapefs-vlib-state 1
 *   drives 2
 *   slots 10                  all storage slots, import/export ones included
 *   ie 1                      the last `ie` slots are import/export slots
 *   drive 0 A00003L9 3        drive, barcode, slot it came from
 *   drive 1 -                 empty drive
 *   slot 1 A00001L9
 *   slot 3 -                  empty slot
 *   ...                       (one line per drive and per slot)
 * The drive symlinks follow the state: every change rewrites them, and
 * vlib_open() repairs them after a crash between the two.
 *
 * Numbering is mtx's (tapeio/changer.h): drives from 0, slots from 1.
 * Errors are those of a real library, as -errno plus a one-line reason:
 *   -EINVAL     no such drive or slot, malformed barcode
 *   -ENOMEDIUM  the source (slot or drive) is empty
 *   -EBUSY      the destination is full, or the cartridge to unload is
 *               still open by a drive's user (a real drive that has not
 *               ejected its tape: "medium removal prevented")
 *   -EEXIST     vlib_create() over an existing library, vlib_add() of a
 *               barcode already in the library
 *   -ENOENT     DIR is not a library, or a tape image is missing
 *   -EIO        unreadable or malformed state file
 */
#ifndef TAPEFS_VLIB_H
#define TAPEFS_VLIB_H

#include <stddef.h>

#include "tapeio/changer.h"

#define VLIB_STATE_VERSION 1

struct vlib;

/* Create an empty library in dir (created if missing, private: 0700, as
 * its tapes/; it may exist but must not already hold a library): ndrives
 * empty drives, nslots storage slots of which the last nie are
 * import/export slots, no tapes. Returns 0,
 * -EEXIST, -EINVAL (bad geometry) or -errno of the file system. */
int vlib_create(const char *dir, int ndrives, int nslots, int nie);

/* Write DIR/library.conf: robot move time and its time scale (the other
 * settings are kept). 0 or -errno. */
int vlib_set_robot(const char *dir, double move_seconds, double time_scale);

/* Give the library a barcode reader (on) or not: without one, the changer
 * backend's inventory reports cartridges without their tag, as a real
 * library without a reader (or with unreadable labels) does;
 * vlib_inventory() itself still names every image. 0 or -errno. */
int vlib_set_barcode_reader(const char *dir, int on);

/* Open the library in dir. *out is freed with vlib_close(). err (may be
 * NULL) receives the reason of a failure. Returns 0, -ENOENT, -EIO. */
int vlib_open(struct vlib **out, const char *dir, char *err, size_t errlen);
void vlib_close(struct vlib *v);

/* The whole state as an inventory (drives, then slots), every cartridge
 * named by its image (whatever barcode_reader says): the caller frees it
 * with changer_inv_free(). Returns 0 or -EIO. */
int vlib_inventory(struct vlib *v, struct changer_inv *inv, char *err,
		   size_t errlen);

/* Move a cartridge, as SCSI MOVE MEDIUM does: from a drive or slot to a
 * drive or slot (CHANGER_IE counts as CHANGER_SLOT: slots are numbered
 * together). A move into a drive records the source slot; a move out of a
 * drive to slot 0 goes back to that source slot. Sleeps the robot time
 * while holding the lock (one robot). Returns 0 or the -errno above. */
int vlib_move(struct vlib *v, enum changer_elem_type src_type, int src,
	      enum changer_elem_type dst_type, int dst, char *err,
	      size_t errlen);

/* Put the cartridge barcode (its image DIR/tapes/BARCODE.vtape must exist)
 * into the empty slot: what an operator does through the mailbox.
 * Returns 0, -ENOENT (no image), -EEXIST (already in the library), -EBUSY,
 * -EINVAL. */
int vlib_add(struct vlib *v, const char *barcode, int slot, char *err,
	     size_t errlen);

/* Take the cartridge out of slot (it leaves the library; its image stays
 * in tapes/). Returns 0, -ENOMEDIUM, -EINVAL. */
int vlib_remove(struct vlib *v, int slot, char *err, size_t errlen);

/* DIR/driveN and DIR/tapes/BARCODE.vtape into buf. Return 0, -EINVAL
 * (no such drive / bad barcode) or -ENAMETOOLONG. */
int vlib_drive_path(const struct vlib *v, int drive, char *buf, size_t len);
int vlib_tape_path(const struct vlib *v, const char *barcode, char *buf,
		   size_t len);

/* 1 when s may name a cartridge of the virtual library (its image file,
 * tapes/NAME.vtape): 1..32 characters of [A-Za-z0-9_-]. A wider rule than
 * a barcode's (changer_barcode_valid()): a library without a barcode
 * reader names its cartridges "cart-00001"; what the library reports as
 * a volume tag is checked by the one who reads it. */
int vlib_barcode_valid(const char *s);

/* The changer backend "vlib" (spec: the library directory). */
extern const struct changer_ops changer_vlib_ops;

#endif
