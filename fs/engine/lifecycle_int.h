/* fs/engine/lifecycle_int.h - what the files of the lifecycle engine
 * share (fs/engine/lifecycle.h is its API):
 *   lifecycle_check.c  the catalog's members of an archive against what a
 *                      copy streams past (a tcopy member callback)
 *   lifecycle_xfer.c   one archive copied tape to tape
 *   lifecycle_parse.c  the grammar of requests
 *   lifecycle_run.c    requests as lists of archives: repair, copy POOL,
 *                      repack LABEL, migrate POOL NEWPOOL
 *   lifecycle_reclaim.c  reclaim LABEL: a new label, scratch again
 *   lifecycle_delete.c   rm under archive/, tapes sparse enough to repack
 * Not for other modules.
 */
#ifndef TAPEFS_LIFECYCLE_INT_H
#define TAPEFS_LIFECYCLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "fs/engine/lifecycle.h"
#include "tapeio/manifest.h"

#define LIFECYCLE_PAGE 256 /* catalog members read at a time */

/* The regular files of one archive in tape order, a page at a time,
 * checked against the members of a tar stream. */
struct lcheck;

/* 0, -ENOMEM. Free with lcheck_free() (NULL is fine). */
int lcheck_new(struct lcheck **out, struct catalog *cat, int64_t archive);
void lcheck_free(struct lcheck *c);
/* A tcopy_member_fn (arg: the lcheck): a regular file at the offset of a
 * catalog file must have its MD5 and name; a catalog file the stream
 * passed over is missing. 0, -EBADMSG (lcheck_why() says which member),
 * or a catalog -errno. Members the catalog does not list (directories,
 * symlinks, the manifest) pass. */
int lcheck_member(void *arg, const struct tar_member *m);
/* After the whole stream: 0 when every catalog file was seen, else
 * -EBADMSG. */
int lcheck_end(struct lcheck *c);
/* Why the last -EBADMSG ("" none). */
const char *lcheck_why(const struct lcheck *c);

/* reclaim LABEL (lifecycle_reclaim.c): result gets the outcome line. 0,
 * -EBUSY (a live archive on it), -errno. */
int lifecycle_reclaim(struct tapefs *fs, const char *barcode, char *result,
		      size_t len);

#endif
