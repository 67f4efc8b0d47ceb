/* fs/engine/dump_int.h - what the files of the dump engine share (fs/engine/dump.c:
 * thread, triggers and API; fs/engine/dump_scan.c: snapshot and clean-up of
 * staging/; fs/engine/dump_write.c: writing one archive to its copies and the
 * commit; fs/engine/dump_library.c: tapes the catalog does not know yet).
 * Not for other modules: their API is fs/engine/dump.h.
 */
#ifndef TAPEFS_DUMP_INT_H
#define TAPEFS_DUMP_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "fs/engine/dump.h"
#include "tapeio/sched.h"

struct tapefs;
struct tarw;

/* One entry of a snapshot: a path under staging/ and its lstat. */
struct dump_entry {
	char *rel;      /* relative to the staging root */
	struct stat st; /* lstat when the snapshot was taken */
	int dropped;    /* changed while being written: left staged */
};

struct dump_snap {
	struct dump_entry *e;
	size_t n, cap;
	uint64_t bytes;   /* of regular files */
	uint64_t files;   /* regular files and symlinks */
};

/* An inode with writers open through the mount. */
struct dump_writer {
	dev_t dev;
	ino_t ino;
	int count;
};

struct dump {
	struct tapefs *fs;
	pthread_t th;
	int th_started;

	/* Guards every field below it. Never held across I/O, catalog
	 * calls or scheduler calls, except the cheap sched_drive_report. */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* with mu: something to do for the engine */
	int stopping;

	struct dump_writer *writers;
	size_t nwriters, capwriters;

	/* What staging/ holds (last scan plus closes since). */
	uint64_t staged_files, staged_bytes;
	uint64_t elig_files, elig_bytes;
	int dirty;            /* changed since the last scan */
	time_t last_change;   /* of a close or change, for dump_idle */
	time_t last_scan;
	time_t retry_after;   /* no automatic dump before (after a failure) */
	time_t scan_every;    /* seconds between scans while dirty */
	size_t pending_entries; /* entries a dump would take now */
	int started_up;       /* recovery and the first scan are done */

	/* Requests from `.dump`, in order: path NULL = everything. */
	struct dump_req {
		char *path;
		struct dump_req *next;
	} *reqs;

	/* The dump being written. */
	int running;
	int waiting_drives;
	int64_t cur_id;
	uint64_t cur_files, cur_bytes, cur_total, cur_done;
	char cur_tapes[256];
	char **cur_paths; /* sorted, for dump_path_dumping() */
	size_t ncur_paths;
	struct tarw *cur_w; /* the writer now running, for progress/cancel */
	int cur_drive[SCHED_GANG_MAX];
	long cur_fileno[SCHED_GANG_MAX];
	int cur_ncopy;

	/* History. */
	uint64_t committed;
	int64_t last_id;
	time_t last_time;
	uint64_t last_files, last_bytes;
	char last_tapes[256];
	char last_error[512];
	time_t last_error_time;

	int library_done; /* tapes of the library known to the catalog */

	/* Waiting and pausing (operator control). */
	time_t wait_until;    /* no dump before: a pool had no writable tape */
	char waiting[256];    /* why dumps wait, "" = they do not */
	int fails;            /* dumps failed in a row */
	int paused;           /* after DUMP_FAILS_PAUSE failures: until resume */
	int inventory_req;    /* an inventory was asked for (.library) */
	int inventory_running;
	char inventory_result[256]; /* of the last one, "" = none yet */
	time_t inventory_time;
	char exports[8][40];  /* tapes to move to import/export slots */
	int nexports;
	char export_result[256]; /* of the last export, "" = none yet */
	struct dump_label_req {   /* labels by hand to write */
		int slot;
		char barcode[40];
		char pool[16];
	} labels[8];
	int nlabels;
	char label_result[256]; /* of the last label, "" = none yet */
};

/* fs/engine/dump.c */
void dump_error_set(struct dump *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dump_has_writer(struct dump *d, dev_t dev, ino_t ino);

/* fs/engine/dump_scan.c */
void dump_snap_free(struct dump_snap *s);
/* Walk staging/ (or the subtree under rel, "" = all) into s: regular
 * files without writers, symlinks, and directories whose whole subtree
 * is taken, parents before children, names in byte order. Also counts
 * everything staged into *staged_files / *staged_bytes (may be NULL).
 * Returns 0, -ENOENT (rel missing), -ENOMEM, -errno of the walk. */
int dump_snap_take(struct dump *d, const char *rel, struct dump_snap *s,
		   uint64_t *staged_files, uint64_t *staged_bytes);
/* After a commit: unlink every entry of s not dropped whose lstat still
 * equals the snapshot and that has no writer, then remove the directories
 * left empty (deepest first; never the root). Returns how many entries
 * stayed (changed meanwhile). */
size_t dump_snap_remove(struct dump *d, const struct dump_snap *s);
/* At start-up: staged entries whose latest archived version is the same
 * (type, size, mtime, mode; a crash between commit and removal) are
 * removed. Returns how many. */
size_t dump_recover_committed(struct dump *d);
/* 1 when the entry still matches its snapshot lstat. */
int dump_entry_same(const struct stat *a, const struct stat *b);

/* fs/engine/dump_write.c */
/* Write snapshot s as one archive to every copy and commit it. Returns
 * 0 (committed; *archive_id set), or -errno with the reason recorded by
 * dump_error_set(); the journal entry is failed then. */
int dump_write(struct dump *d, struct dump_snap *s, int64_t *archive_id);

/* fs/engine/dump_library.c */
/* Tapes in the library the catalog does not know: read each label
 * through the scheduler and add the tape (scratch when it holds nothing
 * after the label, closed when it holds data). Returns 0 or -errno. */
int dump_library_import(struct dump *d);
/* The operator's inventory (.library): like dump_library_import, and a
 * blank cartridge whose barcode starts with a configured pool's name is
 * labelled for that pool and added scratch; every catalog tape gets the
 * location the changer reports, or "out of library" (a location the
 * operator wrote is kept). A one-line summary goes to result. 0, -errno. */
int dump_library_inventory(struct dump *d, char *result, size_t len);
/* The operator's label by hand (.library "label SLOT BARCODE POOL"): the
 * cartridge of slot - untagged, or tagged barcode - must not be known by
 * barcode yet; it is named barcode for the scheduler, loaded, labelled
 * for pool when blank (a tapefs label of barcode is kept; of another
 * barcode, or foreign data: refused), put back into its slot ejected and
 * added to the catalog as scratch with location "slot N". The outcome
 * goes to result. 0, -EINVAL (no such slot), -ENOMEDIUM (empty), -EEXIST
 * (barcode in use), -EIO (refused by what is on the tape), -errno. */
int dump_library_label(struct dump *d, int slot, const char *barcode,
		       const char *pool, char *result, size_t len);

#endif
