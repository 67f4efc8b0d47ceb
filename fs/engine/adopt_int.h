/* fs/engine/adopt_int.h - what the files of an adoption share
 * (fs/engine/adopt.h is the API):
 *   adopt.c        the run: checks, the job through the scheduler, report
 *   adopt_read.c   on the drive: the layout of the tape, then each file
 *   adopt_file.c   one tape file's members, checked and committed
 * Not for other modules.
 */
#ifndef TAPEFS_ADOPT_INT_H
#define TAPEFS_ADOPT_INT_H

#include <limits.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "fs/engine/adopt.h"
#include "tapeio/papertape.h"
#include "tapeio/sched.h"
#include "tapeio/tarr.h"

/* The largest tape record read (a foreign tape's block size is found,
 * not told): GNU tar's -b 2048 at most. */
#define ADOPT_RECORD_MAX (1u << 20)
/* The most of file 0 a papertape catalog may take. */
#define ADOPT_PAPER_MAX (64u << 20)

/* One tape file's members as they are read, in tape order. */
struct adopt_file {
	int64_t fileno;
	struct catalog_member *m; /* path and link malloc'd */
	size_t n, cap;
};

struct adopt {
	struct sched_job job; /* first: the job is the adoption */
	struct tapefs *fs;
	const struct adopt_opts *o;
	struct adopt_report *rep;
	char prefix[PATH_MAX];
	int resume;   /* the tape is adopted already */
	int64_t from; /* first file not recorded yet */
	int paper;    /* the layout is papertape's */
	struct papertape_catalog cat;
	unsigned char *seen; /* per item of cat: found in an archive */
	struct adopt_file f;
};

/* adopt.c */
/* A problem: into the report (the first) and an error line of .status. */
void adopt_fail(struct adopt *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void adopt_progress(struct adopt *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int adopt_stopping(struct adopt *a);

/* adopt_read.c */
/* The scheduler's run callback of the adoption's job. */
int adopt_job(struct sched_job *job, const struct sched_run *r);

/* adopt_file.c */
/* Read the data of m, the member r stands at, and keep it (and the
 * members of an inner archive of papertape's) in a->f. 0, or the read's
 * -errno (the member is not kept: the walk of the file ends there). */
int adopt_member(struct adopt *a, struct tarr *r, struct tar_member *m);
/* Commit a->f as the archive of tape file a->f.fileno starting at
 * start_lblock, records of bs bytes (nrec of them), then empty it.
 * 0 or -errno. */
int adopt_file_commit(struct adopt *a, uint64_t start_lblock, uint64_t nrec,
		      uint32_t bs);
/* Empty a->f (its members freed). */
void adopt_file_clear(struct adopt_file *f);
/* Items of the papertape catalog (from a->from on) that no archive
 * read held, counted and the first named: after a read to end of data. */
void adopt_paper_missing(struct adopt *a);

#endif
