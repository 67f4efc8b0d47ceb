/* fs/ns/ns.h - the namespace seam: which module answers for which top-level
 * name of the mount, without those modules touching FUSE.
 *
 * The mount (fs/ops_*.c) owns FUSE. For every path it finds the provider
 * registered for the path's first component ("verify", ".verify", ".recall",
 * "archive", ...) and calls it with the rest of the path ("" for the
 * top-level entry itself, else "a/b" without a leading slash). Providers
 * answer from the catalog and their own state and never touch a tape in
 * these calls: lookups and listings stay instant while drives work.
 *
 * Dynamic text files (status, results) are rendered whole on open into a
 * strbuf and served with direct_io, so `cat` always shows the present. A
 * text that may be too long for that (the results of a verification of a
 * tape of millions of members: ns_attr.parts) is rendered in parts as it
 * is read instead (render_part()), never whole in memory.
 * Control files take one request per line, and a write() is applied whole
 * or not at all: the mount cuts it into lines (docs/mount.md has the rule),
 * passes every line to check(), and only when each passes, each to
 * control(). check() says whether a line is a request at all (grammar, the
 * names it gives: paths, labels, slots, pools) without acting; control()
 * acts, and may still refuse for what the system is doing (a run going, a
 * tape being written): then the lines before it in that write stay applied,
 * and the provider keeps the reason in its own status. What the mount
 * refuses (a line check() refused, a NUL byte, an over-long line) fails the
 * write() with EINVAL (or check()'s -errno), is kept for the control file's
 * text (tapefs_refused(), fs/engine/tapefs.h) and is an error line of
 * `.status`.
 *
 * Readers: a text that names archived or staged paths, MD5s or the
 * operator's requests shows each reader only what it may see
 * (render_for(): root and the mount owner see everything; others only the
 * paths they could stat through the mount, and no requests or error
 * messages). The mount checks every access against the attributes given
 * here (it mounts with default_permissions), so modes are the gate.
 *
 * All functions return 0 or -errno (ENOENT, ENOTDIR, EINVAL, EROFS, EIO...).
 */
#ifndef TAPEFS_NS_H
#define TAPEFS_NS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fs/engine/strbuf.h"

struct tapefs;

enum ns_kind {
	NS_DIR,	    /* a directory */
	NS_TEXT,    /* read-only text rendered on open (direct_io) */
	NS_CONTROL, /* control file: text rendered on open, lines written */
	NS_LINK,    /* symlink; target in ns_attr.link */
	NS_MEMBER,  /* an archived file: content from the recall cache */
};

struct ns_attr {
	enum ns_kind kind;
	struct stat st;	   /* mode, size, times, owner; the mount fills the
			      rest (ino, nlink) when 0 */
	char link[4096];   /* NS_LINK target */
	int64_t member_id; /* NS_MEMBER: the catalog's member id */
	char prefer[40];   /* NS_MEMBER: the tape whose copy this path names
			      (tapes/LABEL/...), read first; "" for any */
	int parts;	   /* NS_TEXT: read in parts (render_part()) */
};

/* Where a part of a text rendered in parts ended (render_part()), in the
 * provider's terms: a key of its listing. Zeroed: the text's start. */
struct ns_cursor {
	int started; /* 0: nothing rendered yet */
	char s[40];
	int64_t a, b;
};

/* Who opens a text (render_for()): the caller's uid, gid and groups, and
 * whether it may see everything (root, the mount owner). */
#define NS_READER_GROUPS 64
struct ns_reader {
	uid_t uid;
	gid_t gid;
	int all;
	int ngroups; /* of groups[] (the supplementary groups, at most
			NS_READER_GROUPS are looked at) */
	gid_t groups[NS_READER_GROUPS];
};

/* Called once per entry of a listing; returns non-zero to stop. */
typedef int (*ns_fill_fn)(void *ctx, const char *name,
			  const struct ns_attr *attr);

struct ns_provider {
	const char *name; /* first path component it answers for */
	int (*getattr)(struct tapefs *fs, const char *rel, struct ns_attr *out);
	int (*readdir)(struct tapefs *fs, const char *rel, ns_fill_fn fill,
		       void *ctx);
	/* Optional: the same listing in the order of its names (bytewise),
	 * from the first name after `after` (NULL: from the start), so that
	 * a long listing can be made in steps (fill stops a step by
	 * returning non-zero, which is then not an error). */
	int (*readdir_from)(struct tapefs *fs, const char *rel,
			    const char *after, ns_fill_fn fill, void *ctx);
	/* Optional: 1 when the listing of directory rel changes only with a
	 * commit, which tells the mount (tapefs_changes_begin():
	 * fs/engine/tapefs.h): the kernel may then keep it. */
	int (*listing_kept)(const char *rel);
	int (*render)(struct tapefs *fs, const char *rel, struct strbuf *out);
	/* Optional: the text of rel as reader who may see it (see Readers
	 * above); when set, the mount uses it instead of render(), which
	 * is then the text as root sees it. */
	int (*render_for)(struct tapefs *fs, const char *rel,
			  const struct ns_reader *who, struct strbuf *out);
	/* Optional, for a text whose getattr says parts: the part of rel's
	 * text (as reader who may see it: NULL, everything) from *cur on,
	 * whole lines appended to out until it holds at least want bytes or
	 * the text ends; *cur is then where the part ended. Nothing appended:
	 * the end. A text read in parts shows the rows stored when each part
	 * is read. */
	int (*render_part)(struct tapefs *fs, const char *rel,
			   const struct ns_reader *who, struct ns_cursor *cur,
			   size_t want, struct strbuf *out);
	/* Control files: whether line (one request, without its newline) is
	 * one control() takes; 0, or -errno with the reason in why (whylen
	 * bytes, NUL-terminated). Acts on nothing. */
	int (*check)(struct tapefs *fs, const char *rel, const char *line,
		     char *why, size_t whylen);
	/* Apply one request line check() passed; 0 or -errno, the provider
	 * keeping the reason of a refusal. */
	int (*control)(struct tapefs *fs, const char *rel, const char *line);
	/* Optional (NULL: no extended attributes). The value of attribute
	 * name of rel appended to out (no NUL added); -ENODATA when rel has
	 * no such attribute. */
	int (*getxattr)(struct tapefs *fs, const char *rel, const char *name,
			struct strbuf *out);
	/* Optional: the names of rel's attributes, each followed by a NUL,
	 * appended to out. */
	int (*listxattr)(struct tapefs *fs, const char *rel,
			 struct strbuf *out);
	/* Optional (NULL: -EROFS): remove rel for uid, who passed the
	 * kernel's check of its directory's permissions. */
	int (*unlink)(struct tapefs *fs, const char *rel, uid_t uid);
};

#endif
