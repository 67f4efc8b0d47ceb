/* fs/engine/dump_int.h - what the files of the dump engine share
 * (fs/engine/dump.c: thread, triggers and API; fs/engine/dump_scan.c:
 * snapshot and clean-up of staging/; fs/engine/dump_write.c: writing one
 * archive to its copies and the commit). Tapes the catalog does not know
 * yet are the library module's (fs/engine/library.h). Not for other
 * modules: their API is fs/engine/dump.h.
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

	/* Waiting and pausing (operator control). */
	time_t wait_until;    /* no dump before: a pool had no writable tape */
	char waiting[256];    /* why dumps wait, "" = they do not */
	int fails;            /* dumps failed in a row */
	int paused;           /* after DUMP_FAILS_PAUSE failures: until resume */
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

#endif
