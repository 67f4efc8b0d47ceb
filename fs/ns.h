/* fs/ns.h - the namespace seam: which module answers for which top-level
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

struct tapefs;

/* A growing text buffer. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Append; on allocation failure the buffer keeps what it had and the
 * failure is reported by strbuf_oom(). */
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int strbuf_oom(const struct strbuf *sb);

enum ns_kind {
	NS_DIR,     /* a directory */
	NS_TEXT,    /* read-only text rendered on open (direct_io) */
	NS_CONTROL, /* control file: text rendered on open, lines written */
	NS_LINK,    /* symlink; target in ns_attr.link */
	NS_MEMBER,  /* an archived file: content from the recall cache */
};

struct ns_attr {
	enum ns_kind kind;
	struct stat st;    /* mode, size, times, owner; the mount fills the
			      rest (ino, nlink) when 0 */
	char link[4096];   /* NS_LINK target */
	int64_t member_id; /* NS_MEMBER: the catalog's member id */
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
	int (*listxattr)(struct tapefs *fs, const char *rel, struct strbuf *out);
};

/* Providers other modules export; the mount registers them in its table.
 * Each module defines its own in its file and declares it here. They are
 * weak so that the mount links (and skips a NULL one) before a module
 * lands. */
#define NS_WEAK __attribute__((weak))
extern const struct ns_provider ns_verify_dir NS_WEAK;  /* verify/  (fs/verify*) */
extern const struct ns_provider ns_verify_ctl NS_WEAK;  /* .verify  (fs/verify*) */
extern const struct ns_provider ns_recall_ctl NS_WEAK;  /* .recall  (fs/recall*) */

#endif
