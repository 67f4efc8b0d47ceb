/* tapeio/manifest_int.h - what the two files of the manifest format share:
 *   manifest.c     member records, member lines, the whole text
 *   manifest_v2.c  the archive and chunks lines of version 2, owner and
 *                  group names, archive uuids
 * Not for other modules: their API is tapeio/manifest.h.
 */
#ifndef TAPEFS_MANIFEST_INT_H
#define TAPEFS_MANIFEST_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tapeio/manifest.h"

/* A growing text buffer, always NUL-terminated once it holds anything. */
struct sbuf {
	char *p;
	size_t len, cap;
};
/* Append n bytes of s. 0 or -ENOMEM. */
int sbuf_add(struct sbuf *b, const char *s, size_t n);

/* An unsigned decimal field of len bytes: 0 or -EINVAL. */
int field_u64(const char *s, size_t len, uint64_t *v);
/* "[-]SECONDS.NNNNNNNNN": 0 or -EINVAL. */
int field_mtime(const char *s, size_t len, struct timespec *ts);
/* Split line[0..len) at TABs into f/fl (at most max fields). Returns the
 * field count, or max + 1 when there are more (the first max are set). */
size_t field_split(const char *line, size_t len, const char **f, size_t *fl,
		   size_t max);

/* The "archive" line of a (LF included). 0, -EINVAL, -ENOMEM. */
int manifest_archive_encode(struct sbuf *b, const struct manifest_archive *a);
/* The "archive" line (without LF) into *a (zeroed first): unknown keys
 * are ignored. 0 or -EINVAL (not an archive line, a bad value). */
int manifest_archive_decode(struct manifest_archive *a, const char *line,
			    size_t len);
/* The "chunks" line of m (LF included). 0 or -ENOMEM. */
int manifest_chunks_encode(struct sbuf *b, const struct tar_member *m);
/* A "chunks" line (without LF) for member m, the one before it: its
 * digests into m->chunks. A chunk size other than MANIFEST_CHUNK (a later
 * format's) leaves m without digests. 0, -EINVAL (a count that does not
 * fit m's size, a bad digest, a second chunks line), -ENOMEM. */
int manifest_chunks_decode(struct tar_member *m, const char *line, size_t len);
/* The "sparse" and "xattr" lines of m (LF included). 0, -ENOMEM. */
int manifest_extra_encode(struct sbuf *b, const struct tar_member *m);
/* A typed line (without LF) for member m other than "chunks": "sparse"
 * and "xattr" are m's; a word not known is ignored (0). 0, -EINVAL (a
 * malformed xattr line), -ENOMEM. */
int manifest_extra_decode(struct tar_member *m, const char *line, size_t len);

#endif
