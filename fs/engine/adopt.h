/* fs/engine/adopt.h - foreign tapes adopted read-only (docs/adopt.md):
 * `echo 'adopt LABEL [PREFIX]' > .library` and `tapefs adopt`.
 *
 * A tape without a tapefs label, written by GNU tar (one tar or pax
 * archive per tape file, from file 0), by ACT's tapeop (the same, one per
 * target directory) or by PAPER's papertape (file 0 a text catalog,
 * tapeio/papertape.h; files 1..N each a tar holding a file list and an
 * inner tar whose members are indexed too and checked against the
 * catalog's MD5s), is read once through the drive scheduler: every
 * member's header and data offset, size and MD5 are recorded, one
 * archive per tape file, at the tape's own file numbers. The tape joins
 * the catalog in state adopted (catalog/catalog.h): it is never written,
 * whatever asks, and its state never changes. Its archives show under
 * tapes/LABEL/ and their members under archive/PREFIX/ (default
 * "adopted/LABEL"), recalled by locating like any other member.
 *
 * Member names are never host paths: tarr_name_neutral() makes each one
 * a relative path below PREFIX (a leading "/" dropped, ".." written
 * "%2E%2E", a name ends at a NUL); a member whose name stays unusable
 * (too long) or whose data the tape file does not hold whole (cut short,
 * unreadable) is not recorded and counted. A tape of any other layout,
 * a blank one and a tapefs tape are refused, untouched and unrecorded.
 *
 * Each tape file is committed when it has been read (its members are
 * held in memory meanwhile), so an adoption stopped half way keeps the
 * files read; `adopt` of an adopted tape goes on after its last file.
 */
#ifndef TAPEFS_ADOPT_H
#define TAPEFS_ADOPT_H

#include <stddef.h>
#include <stdint.h>

#include "fs/engine/tapefs.h"

struct catalog;

struct adopt_opts {
	const char *label;  /* the cartridge's barcode (volume tag) */
	const char *prefix; /* below archive/; NULL or "": adopted/LABEL */
	/* Nonzero stops the adoption between members (what was committed
	 * stays). NULL: never. */
	int (*stop)(void *arg);
	/* A status line of progress (NULL: none). */
	void (*progress)(void *arg, const char *line);
	void *arg;
};

struct adopt_report {
	char layout[16];	/* "tar", "papertape"; "" not found */
	int64_t first_file;	/* the first tape file read */
	uint64_t files;		/* tape files recorded as archives */
	uint64_t files_refused; /* tape files read but not recorded */
	uint64_t members;	/* members recorded */
	uint64_t bytes;		/* their data */
	uint64_t renamed;	/* names neutralised (absolute, "..") */
	uint64_t skipped;	/* members not recorded */
	uint64_t paper_ok;	/* papertape MD5s that matched */
	uint64_t paper_bad;	/* ... that did not */
	uint64_t paper_missing; /* catalog items found in no archive */
	uint64_t bytes_read;	/* from tape */
	double model_seconds;	/* vtape speed model time of the read */
	char error[512];	/* the first problem, "" none */
};

/* Whether label may be adopted by this catalog: 0 (unknown to it), 1
 * (adopted already: an adoption goes on after its last file); -EINVAL
 * (not a barcode), -EEXIST (a tape of this catalog), -errno; why says
 * so. */
int adopt_label_check(struct catalog *cat, const char *label, char *why,
		      size_t len);

/* The prefix an adoption of label records below: prefix cleaned
 * (tarr_name_safe(): relative, no "..") or "adopted/LABEL" when NULL or
 * "", into buf. 0, or -EINVAL / -ENAMETOOLONG with why. */
int adopt_prefix(const char *label, const char *prefix, char *buf, size_t len,
		 char *why, size_t whylen);

/* Adopt the tape o->label (see above). Blocks until its read ends; never
 * from a file system request thread. Needs fs->cat and fs->sched.
 * Returns 0 (adopted: out says what was recorded and skipped),
 * -EMEDIUMTYPE (refused: blank, a tapefs tape, or another layout; out->
 * error says why; nothing recorded), -EEXIST / -EINVAL (see
 * adopt_label_check(), adopt_prefix()), -EIO (the tape could not be read
 * to its end: the files read are recorded), -ECANCELED, or -errno. Each
 * problem is also an error line of .status. */
int adopt_run(struct tapefs *fs, const struct adopt_opts *o,
	      struct adopt_report *out);

/* One line of the report. */
void adopt_summary(const struct adopt_report *r, char *buf, size_t len);

#endif
