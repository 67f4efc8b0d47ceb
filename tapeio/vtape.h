/* tapeio/vtape.h - a virtual tape: a tape image in one host file.
 *
 * The "vtape" backend of tape.h (tape_backend("vtape")) reads and writes
 * these images with the semantics of the Linux st driver; this header holds
 * what only a virtual tape has: creating an image, its speed model, fault
 * injection and a summary. The on-disk format (versioned, little-endian)
 * is documented in docs/vtape.md.
 *
 * An open image is held under an exclusive flock(): a second open fails
 * with -EBUSY (a cartridge is in one drive at a time). The device given to
 * tape_open() may be a symlink to the image (a vlib drive,
 * DIR/driveN -> tapes/BARCODE.vtape); a missing symlink or file means no
 * medium: -ENOMEDIUM.
 *
 * Opening reads the record index stored at the end of the image (format
 * version 2) when it is current, else walks every record header (version
 * 1 images, or after a crash) to rebuild it.
 *
 * The functions below take an image path, work whether or not the image is
 * open elsewhere (they never take the lock), and return 0 or -errno:
 * -ENOENT (no such image), -EINVAL (bad argument, or the file is not a
 * vtape image / an unknown version), -EIO (host I/O failed).
 *
 * Tracing: when the environment variable TAPEFS_VTAPE_TRACE names a file,
 * every operation on an open image appends one line "<barcode> <op> ..."
 * to it (docs/vtape.md lists the ops), one write(2) per line, so several
 * processes and threads may share the file.
 */
#ifndef TAPEFS_VTAPE_H
#define TAPEFS_VTAPE_H

#include <stdint.h>

#include "tapeio/tape.h"

#define VTAPE_BARCODE_MAX 40

/* The backend itself; callers use tape_backend("vtape"). */
extern const struct tape_ops vtape_ops;

/* Create a blank image at path (which must not exist: -EEXIST), private
 * to its owner (0600: a tape image holds archived data).
 * early_warning: bytes before capacity where early warning starts;
 * 0 means the default, 1% of capacity. capacity must be > early_warning. */
int vtape_create(const char *path, const char *barcode, uint64_t capacity,
		 uint64_t early_warning);

/* The speed model. rate_mbps 0 = unlimited. Reads and writes take
 * bytes / (rate_mbps * 10^6) s; locate and space take
 * locate_base_s + distance_in_GB(10^9 bytes) * locate_s_per_gb (a locate
 * to where the tape stands still takes locate_base_s: a drive executes
 * the command, and stops streaming for it); opening an
 * image takes load_s, tape_offline() takes unload_s. Every modelled time is
 * added, unscaled, to tape_counters.model_seconds; the drive then really
 * sleeps that time multiplied by time_scale (0: never sleeps). Modelled
 * transfer time overlaps the host I/O, as a drive's buffer does.
 * A model set while the image is open applies from its next open. */
struct vtape_model {
	double rate_mbps;
	double load_s;
	double unload_s;
	double locate_base_s;
	double locate_s_per_gb;
	double time_scale;
};

int vtape_set_model(const char *path, const struct vtape_model *m);
int vtape_get_model(const char *path, struct vtape_model *m);

/* Faults, persisted in the image and seen at once by an open handle:
 *   UNREADABLE  the record at lblock arg1 reads -EIO (arg1 must be a data
 *               record: -EINVAL otherwise); a version 2 image holds up to
 *               491 such faults (-ENOSPC beyond); writing over the record
 *               clears its fault;
 *   FLIP        byte arg2 of the record at lblock arg1 is inverted: the data
 *               really changes and reads succeed (silent corruption);
 *   WRITE_FAIL  writes succeed for arg1 more bytes, then every write fails
 *               with -EIO (nothing of the failing write is recorded);
 *   PROTECT     arg1 = 1 write-protects the medium, 0 clears it;
 *   CLEAR       removes UNREADABLE, WRITE_FAIL and PROTECT (a flipped byte
 *               stays flipped: that data is gone). */
enum vtape_fault {
	VTAPE_FAULT_UNREADABLE,
	VTAPE_FAULT_FLIP,
	VTAPE_FAULT_WRITE_FAIL,
	VTAPE_FAULT_PROTECT,
	VTAPE_FAULT_CLEAR,
};

int vtape_inject(const char *path, enum vtape_fault f, uint64_t arg1,
		 uint64_t arg2);

/* used: data bytes recorded up to end of data; records: data records;
 * filemarks: filemarks. */
struct vtape_info {
	char barcode[VTAPE_BARCODE_MAX];
	uint64_t capacity, early_warning, used;
	uint64_t records, filemarks;
	int protected;
};

int vtape_info(const char *path, struct vtape_info *out);

/* One tape file of an image, for listings (`tapefs vtape ls`). */
struct vtape_file {
	uint64_t fileno;
	uint64_t start_lblock; /* lblock of its first record */
	uint64_t records;      /* data records */
	uint64_t bytes;	       /* data bytes */
	int has_filemark;      /* ended by a filemark (else by end of data) */
};

/* List the files of an image. *out is malloc'd (caller frees), *n its
 * length; a trailing file with no records and no filemark is not listed. */
int vtape_files(const char *path, struct vtape_file **out, uint64_t *n);

/* Where the head stood when a drive emulation (the st shim of tests/)
 * last closed the image, and the token naming that load; 0 and 0 on a new
 * image; lblock VTAPE_HEAD_EJECTED after an unload. A tape_open() of the
 * vtape backend itself always starts at BOT (an open is a load) and
 * neither reads nor writes these. Return 0 or -errno as above. */
#define VTAPE_HEAD_EJECTED UINT64_MAX
int vtape_head_get(const char *path, uint64_t *lblock, uint64_t *token);
int vtape_head_set(const char *path, uint64_t lblock, uint64_t token);

#endif
