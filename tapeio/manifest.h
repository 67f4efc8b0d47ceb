/* tapeio/manifest.h - the member record shared by the tar writer and
 * reader, and the manifest member that ends every data archive (SPEC 3.2).
 *
 * The last member of every archive tapefs writes is MANIFEST_MEMBER, a text
 * file that describes the archive and lists every other member of it, so
 * that a catalog can be rebuilt from the tapes alone (fs/engine/rebuild.h).
 * Format version 2 (docs/tape-format.md has every field):
 *
 *   tapefs-manifest 2
 *   archive  uuid=U  dump=N  dumped=S  written=S.NS  pools=A,B  kind=data
 *            catalog=LABEL:FILE,LABEL:FILE
 *   TYPE SIZE MODE UID GID MTIME MD5 HEADER_OFFSET DATA_OFFSET NAME LINK
 *        OWNER GROUP
 *   chunks  CHUNK_SIZE  DIGEST  DIGEST ...
 *   sparse
 *   xattr   NAME  VALUE
 *
 * Fields are separated by one TAB, lines ended by LF. A line is typed by
 * its first field: a member line by its TYPE letter (f regular file, d
 * directory, l symlink), every other line by a word ("archive" is the
 * second line; "chunks", "sparse" and "xattr" follow the member line they
 * belong to). Readers ignore lines whose word they do not know and fields
 * past the ones they know, so a later format adds line types and trailing
 * fields without a new version number.
 *
 * "sparse": the member is a sparse file (TAR_MEMBER_SPARSE). "xattr": one
 * extended attribute of it, NAME escaped, VALUE in lower-case hex ("-"
 * for an empty one). A hard link (TAR_MEMBER_LINK) has no line of its
 * own: its member line repeats the header and data offsets of the member
 * whose data it shares, which is how a reader tells it (an offset not
 * above the largest one before it).
 *
 * Member fields:
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
 *   OWNER GROUP  the user and group names of UID and GID where the archive
 *           was written, escaped; "-" when unknown
 * Escaping keeps every line one line whatever the name holds: "\\" for a
 * backslash, "\t", "\n", and "\xHH" for any other byte below 0x20 and 0x7f;
 * bytes from 0x80 up (UTF-8 or not) are written as they are.
 *
 * Version 1 (still read) has no archive line, member lines of the first
 * 11 fields and no chunks lines.
 */
#ifndef TAPEFS_MANIFEST_H
#define TAPEFS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "tapeio/chunk.h"
#include "tapeio/md5.h"

#define MANIFEST_MEMBER	  "TAPEFS.MANIFEST"
#define MANIFEST_MAGIC	  "tapefs-manifest 2"
#define MANIFEST_MAGIC_V1 "tapefs-manifest 1"
/* Members larger than one chunk get a digest of every MANIFEST_CHUNK bytes
 * of their data (the last piece may be shorter): XXH3-128, 16 bytes in
 * canonical (big-endian) order, 32 hex digits in the text. A recall can
 * check a piece of a member against them without reading it whole. */
#define MANIFEST_CHUNK	      CHUNK_SIZE /* tapeio/chunk.h */
#define MANIFEST_DIGEST_SIZE  CHUNK_DIGEST
#define MANIFEST_UUID_SIZE    37  /* 36 characters and NUL */
#define MANIFEST_POOLS_SIZE   136 /* "A,B,...": 8 pools of 16 bytes */
#define MANIFEST_CATALOG_SIZE 400 /* 8 copies of "LABEL:FILE" */

enum tar_type {
	TAR_FILE = 'f',
	TAR_DIR = 'd',
	TAR_SYMLINK = 'l',
};

/* A hard link: the member is another name of an earlier member of the
 * same archive; its record (size, MD5, offsets) is that member's, the
 * archive holds a tar hard-link entry for it and its data only once. */
#define TAR_MEMBER_LINK 1u
/* A sparse file: its data on tape is a GNU sparse 1.0 map and the data
 * of its extents; data_offset is the map's, so its bytes cannot be found
 * by offset (no chunk digests, no reading of a range by locating). */
#define TAR_MEMBER_SPARSE 2u

/* One extended attribute of a member. */
struct tar_xattr {
	char *name;
	unsigned char *value;
	size_t len;
};

/* One member of an archive. name, link, chunks and xattrs are malloc'd and
 * owned by the record: tar_member_clear() frees them. */
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
	char *owner; /* user name of uid where it was written, NULL unknown */
	char *group; /* group name of gid, NULL unknown */
	/* The chunk digests of a file's data (tapeio/chunk.h: nchunks of
	 * CHUNK_DIGEST bytes, malloc'd), taken by the tar writer for a file
	 * larger than one chunk, or read back from a version 2 manifest;
	 * NULL and 0 otherwise. */
	unsigned char *chunks;
	uint32_t nchunks;
	unsigned flags; /* TAR_MEMBER_* */
	/* Extended attributes (names "user.*", and the POSIX ACLs as
	 * "system.posix_acl_access" / "system.posix_acl_default" in the
	 * kernel's binary form), malloc'd with their names and values. */
	struct tar_xattr *xattrs;
	uint32_t nxattrs;
};

/* What a catalog needs to know about the archive as a whole (the
 * "archive" line of a version 2 manifest; zeroed for version 1). */
enum manifest_kind {
	MANIFEST_DATA = 0, /* a dump of staged files */
	MANIFEST_CATALOG,  /* a snapshot of the catalog (one member) */
};

struct manifest_archive {
	char uuid[MANIFEST_UUID_SIZE];	 /* made once per archive: every copy
					    holds the same; "" unknown */
	int64_t dump_id;		 /* the dump journal's id, 0 unknown */
	int64_t dumped;			 /* when that dump began, 0 unknown */
	struct timespec written;	 /* when the manifest was written (the
					    tar writer sets it) */
	char pools[MANIFEST_POOLS_SIZE]; /* pools of the copies, "A,B" */
	enum manifest_kind kind;
	/* Where the newest snapshot of the catalog on tape was when this
	 * archive was written: "LABEL:FILE" of each copy, comma separated;
	 * "" none. A rebuild that starts from no catalog finds it here. */
	char catalog[MANIFEST_CATALOG_SIZE];
};

/* A decoded manifest. */
struct manifest {
	int version; /* 1 or 2 */
	struct manifest_archive archive;
	struct tar_member *m; /* the members, in archive order */
	size_t n;
};

/* Free name, link, owner, group, chunks and xattrs and zero m. */
void tar_member_clear(struct tar_member *m);
/* Clear each of the n records, then free the array. */
void tar_members_free(struct tar_member *m, size_t n);
/* Deep copy src into *dst (dst is overwritten, not cleared first).
 * Returns 0 or -ENOMEM. */
int tar_member_copy(struct tar_member *dst, const struct tar_member *src);
/* Append attribute name = value[0..len) to m (copied). 0 or -ENOMEM. */
int tar_member_xattr_add(struct tar_member *m, const char *name,
			 const void *value, size_t len);

/* The whole version 2 manifest text of archive a (NULL: nothing known
 * about it) and members m[0..n): *out is malloc'd (caller frees),
 * NUL-terminated, *len its length without the NUL.
 * Returns 0, -ENOMEM, -EINVAL (a member with a bad type or md5, a field
 * of a with a TAB or newline). */
int manifest_encode(const struct manifest_archive *a,
		    const struct tar_member *m, size_t n, char **out,
		    size_t *len);

/* One member line (without its LF) of len bytes into *m (overwritten; the
 * caller clears it), of either version: 11 fields (version 1) or 13 and
 * more (version 2; the ones past 13 are ignored). Returns 0, -EINVAL
 * (malformed: wrong field count, bad number, bad escape, bad md5),
 * -ENOMEM. */
int manifest_line_decode(const char *line, size_t len, struct tar_member *m);

/* A whole manifest text of version 1 or 2 (the magic line first; in
 * version 2 the archive line second). *out is filled (manifest_release()
 * frees it). Returns 0, -EINVAL (no magic line, a malformed line, a chunks
 * line that does not fit its member, text not ended by LF), -ENOMEM. */
int manifest_decode(const char *buf, size_t len, struct manifest *out);
void manifest_release(struct manifest *mf);

/* Set owner and group of m[0..n) from the names of their uid and gid on
 * this host (NULL where none). 0 or -ENOMEM. */
int manifest_names_fill(struct tar_member *m, size_t n);

/* A new uuid into out (libuuid: random, RFC 4122 version 4, when the
 * kernel gives randomness, else time based), lower case. */
void manifest_uuid_new(char out[MANIFEST_UUID_SIZE]);

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
