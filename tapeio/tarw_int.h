/* tapeio/tarw_int.h - what the files of the tar writer share:
 *   tarw.c       the threads of one archive, the member records, the bound
 *   tarw_meta.c  what a member carries beside its bytes: extended
 *                attributes and POSIX ACLs (read from the source's
 *                descriptor, put in the pax header), the extents of a
 *                sparse file, and hard links within one archive
 * Not for other modules: their API is tapeio/tarw.h.
 */
#ifndef TAPEFS_TARW_INT_H
#define TAPEFS_TARW_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "tapeio/manifest.h"

struct archive_entry;
struct tarw_source;

/* The most bytes of extended attributes one member carries (names,
 * values and 5 bytes each): a source with more is refused (-E2BIG). */
#define TARW_META_MAX (128u << 10)
/* The most extents of a sparse file's map (16 bytes each in memory while
 * written); a file with more is written dense. */
#define TARW_EXTENTS_MAX (1u << 20)

/* The attributes of open file fd that go to tape (tarw_xattr_kept()) (user.*
 * but tapefs's own user.tapefs.*, and system.posix_acl_access/default), packed
 * as NAME NUL, 4-byte length, VALUE, into buf[0..size). Returns the bytes used
 * (0: none, or a file system without them), -E2BIG, -ESTALE (the list changed
 * while read), or -errno. */
int tarw_meta_read(int fd, char *buf, size_t size);
/* The packed attributes buf[0..len) into m->xattrs. 0, -EINVAL (not
 * what tarw_meta_read() packs), -ENOMEM. */
int tarw_meta_unpack(const char *buf, size_t len, struct tar_member *m);
/* m's attributes onto entry e: ACLs as libarchive ACL entries (pax
 * SCHILY.acl.*), the others as xattrs (SCHILY.xattr.*). 0 or -EINVAL (an ACL
 * that does not parse). */
int tarw_meta_apply(struct archive_entry *e, const struct tar_member *m);

/* The data extents of regular file fd of size bytes as (offset, length)
 * pairs into *ext (malloc'd, the caller frees it): their count when the
 * file has a hole (SEEK_DATA/SEEK_HOLE), 0 and *ext NULL when it is to be
 * written dense (no hole, more than max extents, a file system that
 * cannot tell), -errno. A file that is all hole has one extent of length
 * 0 at its end. */
int tarw_sparse_map(int fd, uint64_t size, uint64_t **ext, size_t max);

#endif
