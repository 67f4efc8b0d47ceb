/* tapeio/tape.h - one tape drive, with the semantics of the Linux st driver
 * on its non-rewinding device (/dev/nstN), whatever the backend.
 *
 * Backends (struct tape_ops) are chosen at start-up by name, as in Redis ae:
 *   "vtape"  a tape image in one host file (tapeio/vtape.h documents it);
 *            the device is the image path, or a symlink to it (a vlib drive:
 *            DIR/driveN -> tapes/BARCODE.vtape; no symlink = no tape loaded);
 *   "st"     a real drive, /dev/nstN, through read/write and MTIOCTOP,
 *            MTIOCGET, MTIOCPOS (tapeio/st.c), and SCSI READ ATTRIBUTE
 *            for the cartridge's capacity (tape_space()).
 *
 * Semantics every backend keeps (the conformance suite checks them):
 *   - one tape_write() is one record of exactly len bytes (variable block
 *     mode); one tape_read() returns one record: its length, or -ENOMEM when
 *     the record is longer than len (as st does), never a loop to fill buf;
 *   - a read at a filemark returns 0 and leaves the tape positioned after it
 *     (next file); a read at end of data returns -EIO (st: blank check);
 *   - a write truncates everything after it (it becomes end of data);
 *   - after the early-warning point a write succeeds once and the write after
 *     it fails with -ENOSPC, then writes succeed and fail alternately until
 *     end of medium, where they fail with -ENOSPC (st(4) "end of medium");
 *     tape_status() reports eot from early warning on;
 *   - tape_close() after a write (with no filemark or positioning since)
 *     writes one filemark, as st does on the non-rewinding device; a
 *     rewind, bsf, locate or offline right after a write also writes one
 *     filemark first (st(4): "a filemark is written before moving tape");
 *   - a record that cannot be read: tape_read() returns -EIO and the tape
 *     is past it;
 *   - where an open finds the tape: st keeps the position of the last
 *     close (the non-rewinding device); a vtape open is a load, at BOT.
 *     Callers position (tape_rewind, tape_goto_file, tape_locate) before
 *     reading or writing;
 *   - a write-protected medium: tape_open() with TAPE_RDWR fails with
 *     -EROFS, as st's open(O_RDWR) does; a write on a handle opened
 *     TAPE_RDONLY fails with -EBADF;
 *   - no medium: tape_open() fails with -ENOMEDIUM.
 *
 * Positions: "lblock" is the logical object address of SCSI READ POSITION
 * and MTIOCPOS/MTSEEK: every record and every filemark since BOT counts one.
 * (file, block) is mt's view: file number and record number within it.
 *
 * All functions return 0 (or a count) on success and -errno on failure.
 * Only tapeio/ ever touches a drive's file descriptor.
 */
#ifndef TAPEFS_TAPE_H
#define TAPEFS_TAPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAPE_RDONLY 0
#define TAPE_RDWR   1

struct tape_status {
	int online;          /* a medium is loaded and ready */
	int write_protected; /* medium is write protected */
	int bot;             /* at beginning of tape */
	int eof;             /* just after a filemark */
	int eod;             /* at end of recorded data */
	int eot;             /* at or past early warning */
	long file;           /* file number from BOT, -1 when unknown */
	long block;          /* record number within the file, -1 when unknown */
	uint64_t lblock;     /* logical object address (see above) */
};

/* What a cartridge holds, as its drive tells it (tape_space()). Native
 * bytes: what the medium takes without drive compression. */
struct tape_space {
	uint64_t capacity;  /* bytes the medium (its partition) holds */
	uint64_t remaining; /* bytes that may still be written after end of
			       data, as the drive estimates it */
};

/* Counters a backend keeps since open, for status, tests and benchmarks.
 * Backends that cannot count leave fields 0. */
struct tape_counters {
	uint64_t records_read, bytes_read;
	uint64_t records_written, bytes_written;
	uint64_t locates;        /* locate/space operations that moved */
	uint64_t locate_records; /* records passed over by those moves */
	double model_seconds;    /* time the speed model charged (unscaled) */
};

struct tape;

struct tape_ops {
	const char *name;
	int (*open)(struct tape *t, const char *dev, int mode);
	int (*close)(struct tape *t);
	ssize_t (*read)(struct tape *t, void *buf, size_t len);
	ssize_t (*write)(struct tape *t, const void *buf, size_t len);
	int (*weof)(struct tape *t, unsigned count);
	int (*fsf)(struct tape *t, unsigned count);
	int (*bsf)(struct tape *t, unsigned count);
	int (*fsr)(struct tape *t, unsigned count);
	int (*bsr)(struct tape *t, unsigned count);
	int (*rewind)(struct tape *t);
	int (*eom)(struct tape *t);
	int (*locate)(struct tape *t, uint64_t lblock);
	int (*tell)(struct tape *t, uint64_t *lblock);
	int (*status)(struct tape *t, struct tape_status *st);
	int (*space)(struct tape *t, struct tape_space *sp); /* optional */
	int (*counters)(struct tape *t, struct tape_counters *c);
	int (*offline)(struct tape *t); /* rewind and unload (MTOFFL) */
};

/* The handle. Backends keep their state behind priv. */
struct tape {
	const struct tape_ops *ops;
	void *priv;
	char *dev;
	int mode;
};

/* Backend by name ("vtape", "st"); NULL when unknown. */
const struct tape_ops *tape_backend(const char *name);

/* Open dev with backend ops. On success *out is a new handle the caller
 * frees with tape_close(). Returns 0, -ENOMEDIUM (no tape), -EROFS
 * (TAPE_RDWR on a protected tape), -EBUSY, -ENOENT, -EIO. */
int tape_open(struct tape **out, const struct tape_ops *ops, const char *dev,
	      int mode);
/* Writes a filemark if the last operation was a write; frees t.
 * Returns the filemark's error, if any. */
int tape_close(struct tape *t);

ssize_t tape_read(struct tape *t, void *buf, size_t len);
ssize_t tape_write(struct tape *t, const void *buf, size_t len);
int tape_weof(struct tape *t, unsigned count);
int tape_fsf(struct tape *t, unsigned count);
int tape_bsf(struct tape *t, unsigned count);
int tape_fsr(struct tape *t, unsigned count);
int tape_bsr(struct tape *t, unsigned count);
int tape_rewind(struct tape *t);
int tape_eom(struct tape *t);
int tape_locate(struct tape *t, uint64_t lblock);
int tape_tell(struct tape *t, uint64_t *lblock);
/* Cheap: no command reaches the medium (st: MTIOCGET), so writers ask it
 * after every record. */
int tape_status(struct tape *t, struct tape_status *st);
/* The capacity of the loaded cartridge and what is left of it: vtape from
 * its image (exact bytes), st from the cartridge's medium auxiliary
 * memory (tapeio/scsi_mam.h, whole MiB). A command to the drive: ask once
 * per load or per write decision, not per record. Returns 0, -EOPNOTSUPP
 * (the drive cannot tell: no MAM, no way to send it the command),
 * -ENOMEDIUM, -EIO. */
int tape_space(struct tape *t, struct tape_space *sp);
int tape_counters(struct tape *t, struct tape_counters *c);
int tape_offline(struct tape *t);

/* Position at the start of file number fileno (0 = BOT): rewind + fsf, or
 * a locate when the backend knows where files start. */
int tape_goto_file(struct tape *t, unsigned fileno);

/* Whether anything is recorded from where the tape stands: 1 at end of
 * data, 0 when a record or a filemark follows (a record longer than
 * max_record counts), -errno when the drive cannot tell (a read error
 * that is not end of data). Cheap on purpose - one status, at most one
 * read - so that "does this tape hold more than the catalog knows?" can
 * be asked before every write. At end of data the tape stays where it
 * was; after a read it is one record or filemark further on (callers
 * position again before writing). max_record 0: 256 KiB. */
int tape_at_eod(struct tape *t, size_t max_record);

#endif
