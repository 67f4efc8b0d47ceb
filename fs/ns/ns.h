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
 * strbuf and served with direct_io, so `cat` always shows the present.
 * Control files take one request per line: each write() call is split into
 * lines and every line is passed to control(); a failing line fails that
 * write() with its -errno, and the provider keeps the message it explains in
 * its own status (e.g. what reading `.verify` shows).
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
};

/* Called once per entry of a listing; returns non-zero to stop. */
typedef int (*ns_fill_fn)(void *ctx, const char *name,
			  const struct ns_attr *attr);

struct ns_provider {
	const char *name; /* first path component it answers for */
	int (*getattr)(struct tapefs *fs, const char *rel, struct ns_attr *out);
	int (*readdir)(struct tapefs *fs, const char *rel, ns_fill_fn fill,
		       void *ctx);
	int (*render)(struct tapefs *fs, const char *rel, struct strbuf *out);
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
};

#endif
