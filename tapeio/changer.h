/* tapeio/changer.h - a tape library's robot (medium changer).
 *
 * Backends (struct changer_ops), chosen at start-up by name:
 *   "vlib"  a virtual library in a directory (tapeio/vlib.h documents it);
 *   "mtx"   a real library through the mtx(1) command on /dev/sgN;
 *   "none"  one drive, the tape in it is whatever an operator loaded.
 *
 * Numbering follows mtx, so that operators' habits carry over: drives
 * (data transfer elements) from 0, storage slots from 1; import/export
 * slots are storage slots too, numbered after the ordinary ones and flagged
 * CHANGER_IE.
 *
 * All functions return 0 on success and -errno on failure; a failure also
 * leaves a one-line, lower-case reason in changer_error() (e.g. "slot 7 is
 * empty", "drive 1 is full (A00003L9)", "mtx: command not found").
 */
#ifndef TAPEFS_CHANGER_H
#define TAPEFS_CHANGER_H

#include <stddef.h>

#define CHANGER_BARCODE_MAX 36 /* volume tags are 32 bytes, + some slack */

enum changer_elem_type { CHANGER_DRIVE, CHANGER_SLOT, CHANGER_IE };

struct changer_elem {
	enum changer_elem_type type;
	int index;     /* drive number (from 0) or slot number (from 1) */
	int full;      /* holds a cartridge */
	int source;    /* drive: slot the cartridge came from, 0 if unknown */
	char barcode[CHANGER_BARCODE_MAX]; /* "" when full without a tag */
};

/* What the library holds. elems lists drives first, then slots (ordinary
 * and import/export, in slot order). Owned by the caller: changer_inv_free. */
struct changer_inv {
	int ndrives;
	int nslots; /* all storage slots, import/export ones included */
	int nie;    /* how many of them are import/export */
	size_t nelems;
	struct changer_elem *elems;
};

struct changer;

/* What a configuration says of the library ([library] of the ini file,
 * docs/config.md): changer_open_conf() turns it into a backend and its
 * spec, so that no caller needs to know which backends exist. */
struct changer_conf {
	const char *changer; /* backend name: vlib | mtx | none */
	const char *path;    /* [library] path: vlib directory, mtx device */
	const char *mtx;     /* [library] mtx: the mtx command (NULL: "mtx") */
	const char *drive0;  /* [library] drive0: device of drive 0, or NULL */
};

struct changer_ops {
	const char *name;
	/* spec: vlib directory; mtx: "MTXPATH DEVICE" or just DEVICE; none: "" */
	int (*open)(struct changer *c, const char *spec);
	/* The spec open() takes, from a configuration. Writes at most len
	 * bytes into buf; 0 or -ENAMETOOLONG. */
	int (*conf_spec)(const struct changer_conf *cf, char *buf, size_t len);
	void (*close)(struct changer *c);
	int (*inventory)(struct changer *c, struct changer_inv *inv);
	int (*load)(struct changer *c, int slot, int drive);
	/* slot 0: back to the slot the cartridge came from */
	int (*unload)(struct changer *c, int drive, int slot);
	int (*transfer)(struct changer *c, int from_slot, int to_slot);
	/* Device node of drive N for the tape backend (vlib: DIR/driveN).
	 * Writes at most len bytes into buf. */
	int (*drive_device)(struct changer *c, int drive, char *buf,
			    size_t len);
	/* Optional (NULL: every cartridge needs a load to be read): a device
	 * the tape backend can open to read the cartridge barcode where it
	 * is, without a robot move (vlib: its image). */
	int (*peek)(struct changer *c, const char *barcode, char *buf,
		    size_t len);
};

struct changer {
	const struct changer_ops *ops;
	void *priv;
	char err[256]; /* last error, see changer_error() */
};

const struct changer_ops *changer_backend(const char *name);

int changer_open(struct changer **out, const struct changer_ops *ops,
		 const char *spec);
/* Open the changer cf describes (the backend cf->changer with the spec
 * its conf_spec builds). On failure err (may be NULL) gets a one-line
 * reason naming the backend and its spec, e.g. "changer vlib 'lib': No
 * such file or directory". Returns 0, -EINVAL (unknown backend) or
 * changer_open()'s -errno. */
int changer_open_conf(struct changer **out, const struct changer_conf *cf,
		      char *err, size_t errlen);
void changer_close(struct changer *c);

/* The lock the robot is shared under when several hosts drive one
 * library (the catalog's robot lock, catalog_robot_lock()): lock() is
 * called before every move (load, unload, transfer, a label probe's load
 * and unload together) and every inventory, unlock() after it. lock
 * returns 0 or -errno: the call then fails with -ENOLCK, having moved
 * nothing (changer_error(): "robot lock: REASON (nothing moved)"): no
 * drive and no cartridge is to blame. Set it once, before any
 * call (NULL: none, a library of one host). Taken before the handle's
 * mutex, with no other lock of the caller's but the scheduler's robot
 * mutex held. */
struct changer_guard {
	int (*lock)(void *arg);
	void (*unlock)(void *arg);
	void *arg;
};
void changer_set_guard(struct changer *c, const struct changer_guard *g);

int changer_inventory(struct changer *c, struct changer_inv *inv);
void changer_inv_free(struct changer_inv *inv);
int changer_load(struct changer *c, int slot, int drive);
int changer_unload(struct changer *c, int drive, int slot);
int changer_transfer(struct changer *c, int from_slot, int to_slot);
int changer_drive_device(struct changer *c, int drive, char *buf, size_t len);
/* The last failure's reason; "" when none. Owned by c. With c NULL: why
 * the calling thread's last changer_open() failed (the handle is gone).
 * Every changer_*() call on one handle runs under its mutex: robot moves
 * are serialized whatever the callers do. */
const char *changer_error(const struct changer *c);

struct tape_ops;
struct label_probe;

/* Look at the cartridge barcode where it is, without a robot move, when
 * the backend can (vlib reads its image): open it read-only with the tape
 * backend ops and label_probe() it (tapeio/label.h: its label and whether
 * anything follows file 0). Returns label_probe()'s result, the open's
 * -errno, or -ENOTSUP when the backend cannot (mtx, none: the cartridge
 * must be in a drive to be read). A failure's reason is in
 * changer_error(). */
int changer_label_peek(struct changer *c, const char *barcode,
		       const struct tape_ops *ops, struct label_probe *p);

/* Look at the cartridge in slot without knowing it beforehand, as an
 * operator would: load it into the empty drive, open the drive's device
 * dev with the tape backend ops, label_probe() it, take the tape offline
 * and put it back into slot. Returns label_probe()'s result (0, -ENODATA
 * blank, -EINVAL not a tapefs label, the tape's -errno) or the changer's
 * error; when the cartridge could not be put back, the unload's error
 * (the tape is then still in the drive, and changer_error() says so).
 * For cartridges the catalog does not know, with a changer (mtx) that
 * cannot peek. */
int changer_label_probe(struct changer *c, int slot, int drive,
			const struct tape_ops *ops, const char *dev,
			struct label_probe *p);

/* 1 when s may name a cartridge: 1 to CHANGER_BARCODE_LEN of A-Z and
 * 0-9 (a barcode as libraries print it, e.g. "A00001L9"; it becomes a
 * directory of the mount's tapes/), else 0. Anything else (a label or a
 * volume tag saying "..", "a/b") names no cartridge: it is refused and
 * the cartridge left alone (fs/engine/library.h). */
#define CHANGER_BARCODE_LEN 16
int changer_barcode_valid(const char *s);

/* Convenience over an inventory: the element holding barcode, or NULL. */
const struct changer_elem *changer_inv_find(const struct changer_inv *inv,
					    const char *barcode);

#endif
