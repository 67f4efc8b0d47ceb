/* fs/engine/rebuild_int.h - what the files of the rebuild share
 * (fs/engine/rebuild.h is the API):
 *   rebuild.c         the run: tapes to read, their jobs, the report
 *   rebuild_read.c    one tape on a drive: label, then each file's manifest
 *   rebuild_commit.c  the archives found, committed in dump order
 *   rebuild_snap.c    the catalog's snapshot on tape, found and fetched
 * Not for other modules.
 */
#ifndef TAPEFS_REBUILD_INT_H
#define TAPEFS_REBUILD_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/rebuild.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"

#define RB_IDENT 48 /* a uuid, or "md5:" and 32 hex digits */

/* A tape file ending with a manifest: one copy of an archive. Its text is
 * kept in the run's spill file, not in memory. */
struct rb_copy {
	char barcode[40];
	int64_t fileno;
	uint64_t start_lblock, records;
	uint32_t block_size;
	uint64_t off; /* of its manifest text in the spill file */
	size_t len;
	char ident[RB_IDENT];	 /* what its copies share: the archive's
				    uuid, or "md5:" + the MD5 of a version 1
				    manifest's text */
	struct timespec written; /* the archive's time: the manifest's
				    (version 1: its member's mtime) */
	int64_t dump_id, dumped;
	int kind; /* enum catalog_archive_kind */
};

/* One tape of the run and what its read found. */
struct rb_tape {
	struct sched_job job; /* first: the job is the tape */
	struct rebuild *rb;
	struct catalog_tape ct; /* as the catalog had it */
	int64_t from;		/* first tape file read */
	int ok;			/* read to its end of data */
	int ended;		/* the job has ended (done called) */
	int result;		/* the job's */
	int64_t partial;	/* tape file of a partial archive, 0 none */
	uint64_t partial_lblock;
	int past_ew;	     /* its end of data is past early warning */
	char label_uuid[40]; /* its label's, to record when the catalog
				has none */
	char why[320];	     /* why it was not read (to its end) */
};

struct rebuild {
	struct tapefs *fs;
	const struct rebuild_opts *o;
	struct rebuild_report *rep;
	/* Guards everything below: the drives' jobs add to it. */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a job ended */
	struct rb_copy *copies;
	size_t ncopies, capcopies;
	int spill_fd;
	uint64_t spill_end;
	struct rb_tape *tapes;
	size_t ntapes, ended;
};

/* rebuild.c */
/* 1 when the run must stop (its caller's stop, or the scheduler's). */
int rb_stopping(struct rebuild *rb);
/* Report line through the caller's progress callback. */
void rb_progress(struct rebuild *rb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Keep the first failure in the report and log it (tapefs_error). */
void rb_fail(struct rebuild *rb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* rebuild_read.c */
/* The scheduler's run callback of a tape's job. */
int rb_tape_job(struct sched_job *job, const struct sched_run *r);
/* Keep a copy found on a tape (its manifest text to the spill file). */
int rb_copy_add(struct rebuild *rb, const struct rb_copy *c, const char *text,
		size_t len);
/* The identity, time, dump and kind of the archive whose manifest is
 * text into c (its tape fields are the caller's). 0 or -EINVAL (the
 * manifest does not decode), -ENOMEM. */
int rb_copy_describe(struct rb_copy *c, const char *text, size_t len,
		     int64_t mtime);

/* rebuild_commit.c */
/* Commit every archive found, in dump order, then the partial archives
 * and the tapes' states. 0, -ECANCELED, or -EIO when some failed. */
int rb_commit_all(struct rebuild *rb);

#endif
