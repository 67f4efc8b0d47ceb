/* fs/engine/member_in.h - the catalog's record of a tar member, as a dump
 * commit and a rebuild give it to catalog_commit_member(). */
#ifndef TAPEFS_MEMBER_IN_H
#define TAPEFS_MEMBER_IN_H

#include <sys/types.h>

#include "catalog/catalog.h"
#include "tapeio/manifest.h"

/* cm from m (fmt: the S_IFMT bits its mode gets), pointing into m (name,
 * link) and, for its extended attributes, into *xs: malloc'd, the caller
 * frees it once cm is committed (NULL when m has none). A rebuild's
 * members (mark_links set) are hard links when their header offset is
 * not above *last_hdr, the largest so far, which m updates; a dump's say
 * so themselves (TAR_MEMBER_LINK). 0 or -ENOMEM. */
int member_in_fill(struct catalog_member *cm, const struct tar_member *m,
		   mode_t fmt, struct catalog_xattr **xs, int mark_links,
		   uint64_t *last_hdr);

#endif
