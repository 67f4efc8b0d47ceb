/* tapeio/manifest.h - the member record shared by the tar writer and
 * reader, and the manifest member that ends every data archive (SPEC 3.2).
 *
 * The last member of every archive tapefs writes is MANIFEST_MEMBER, a text
 * file that lists every other member of that archive, so that a catalog can
 * be rebuilt from the tapes alone. Format (docs/tape-format.md):
 *
 *   tapefs-manifest 1
 *   TYPE SIZE MODE UID GID MTIME MD5 HEADER_OFFSET DATA_OFFSET NAME LINK
 *
 * one line per member, fields separated by one TAB, the line ended by LF:
 *   TYPE    f (regular file), d (directory), l (symlink)
 *   SIZE    data bytes (decimal)
 *   MODE    permission bits, octal (e.g. 0644)
 *   UID GID decimal
 *   MTIME   seconds.nanoseconds since the epoch (9 digits of ns)
 *   MD5     32 hex digits of the member's data (MD5 of nothing for d and l)
 *   HEADER_OFFSET, DATA_OFFSET  bytes from the start of the archive to the
 *           first header block of the member and to its first data byte
 *   NAME    the member name, escaped
 *   LINK    the symlink target, escaped; "-" when not a symlink (a real
 *           target "-" is written escaped as "\x2d")
 * Escaping keeps every line one line whatever the name holds: "\\" for a
 * backslash, "\t", "\n", and "\xHH" for any other byte below 0x20 and 0x7f;
 * bytes from 0x80 up (UTF-8 or not) are written as they are.
 */
#ifndef TAPEFS_MANIFEST_H
#define TAPEFS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "tapeio/md5.h"

#define MANIFEST_MEMBER "TAPEFS.MANIFEST"
#define MANIFEST_MAGIC	"tapefs-manifest 1"

enum tar_type {
	TAR_FILE = 'f',
	TAR_DIR = 'd',
	TAR_SYMLINK = 'l',
};

/* One member of an archive. name, link and chunks are malloc'd and owned
 * by the record: tar_member_clear() frees them. */
struct tar_member {
	char *name; /* member name as stored (never trust it as a path:
		       see tarr_name_safe()) */
	char *link; /* symlink target, NULL unless type == TAR_SYMLINK */
	enum tar_type type;
	uint64_t size; /* data bytes in the archive (0 for d and l) */
	mode_t mode;   /* permission bits (07777) */
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	uint64_t header_offset; /* archive byte offset of its first header
				   block (the pax extended header if any) */
	uint64_t data_offset;	/* archive byte offset of its first data byte */
	char md5[MD5_HEX_SIZE]; /* of the data; "" when not known yet */
	/* The chunk digests of a file's data (tapeio/chunk.h: nchunks of
	 * CHUNK_DIGEST bytes, malloc'd), taken by the tar writer for a file
	 * larger than one chunk; NULL otherwise (and for members read back:
	 * the manifest does not carry them). */
	unsigned char *chunks;
	uint32_t nchunks;
};

/* Free name, link and chunks and zero m. */
void tar_member_clear(struct tar_member *m);
/* Clear each of the n records, then free the array. */
void tar_members_free(struct tar_member *m, size_t n);
/* Deep copy src into *dst (dst is overwritten, not cleared first).
 * Returns 0 or -ENOMEM. */
int tar_member_copy(struct tar_member *dst, const struct tar_member *src);

/* The whole manifest text for members m[0..n): *out is malloc'd (caller
 * frees), NUL-terminated, *len its length without the NUL.
 * Returns 0, -ENOMEM, -EINVAL (a member with a bad type or md5). */
int manifest_encode(const struct tar_member *m, size_t n, char **out,
		    size_t *len);

/* One member line (without its LF) of len bytes into *m (overwritten; the
 * caller clears it). Returns 0, -EINVAL (malformed: wrong field count, bad
 * number, bad escape, bad md5), -ENOMEM. */
int manifest_line_decode(const char *line, size_t len, struct tar_member *m);

/* A whole manifest text (the magic line first). *out is malloc'd
 * (tar_members_free(*out, *n)). Returns 0, -EINVAL (no magic line, a
 * malformed line, text not ended by LF), -ENOMEM. */
int manifest_decode(const char *buf, size_t len, struct tar_member **out,
		    size_t *n);

/* Escape / unescape one field as described above. Both malloc *out.
 * manifest_unescape() returns -EINVAL on a bad escape or an escaped NUL. */
int manifest_escape(const char *s, char **out);
int manifest_unescape(const char *s, size_t len, char **out);

/* libarchive converts names between UTF-8 (pax headers) and the thread's
 * locale; in the "C" locale that loses every non-ASCII name. Around its
 * libarchive calls the writer and reader switch the calling thread (only
 * it: uselocale()) to LC_CTYPE C.UTF-8, so that UTF-8 names pass as they
 * are and other bytes fall back to pax hdrcharset=BINARY, raw.
 * tar_locale_enter() returns the locale to give back to
 * tar_locale_leave() (NULL when C.UTF-8 is missing: nothing changed). */
void *tar_locale_enter(void);
void tar_locale_leave(void *old);

#endif
