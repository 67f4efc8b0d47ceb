/* fs/ns/ns_local.h - the namespace providers of the mount itself (fs/ns_*.c)
 * and the status rendering (fs/ns/status.c). FUSE-free. */
#ifndef TAPEFS_NS_LOCAL_H
#define TAPEFS_NS_LOCAL_H

#include "fs/ns/ns.h"

extern const struct ns_provider ns_readme;	/* README      (ns_root.c) */
extern const struct ns_provider ns_status;	/* .status     (ns_root.c) */
extern const struct ns_provider ns_status_json; /* .status.json (ns_root.c) */
extern const struct ns_provider ns_dump_ctl;	/* .dump       (ns_root.c) */
extern const struct ns_provider ns_archive;	/* archive/    (ns_archive.c) */
extern const struct ns_provider ns_tapes;	/* tapes/      (ns_tapes.c) */
extern const struct ns_provider ns_drives;	/* drives/     (ns_drives.c) */
extern const struct ns_provider ns_verify_dir;	/* verify/     (ns_verify.c) */
extern const struct ns_provider ns_verify_ctl;	/* .verify     (ns_verify.c) */
extern const struct ns_provider ns_recall_ctl;	/* .recall     (ns_recall.c) */
extern const struct ns_provider ns_library;	/* .library    (ns_library.c) */
extern const struct ns_provider ns_metrics;	/* .metrics    (ns_metrics.c) */
extern const struct ns_provider ns_library_svg; /* .library.svg (ns_svg.c) */

/* Inode numbers of archived members: this bit | catalog member id. Other
 * namespace entries hash their path below it (ops_ns.c). */
#define NS_INO_MEMBER (1ULL << 62)

struct catalog_member;
/* Attributes of an archived member for archive/ and tapes/ (ns_member.c):
 * owner, mode, times from the catalog, inode from its id, st_blocks from
 * the recall cache. */
void ns_member_attr(struct tapefs *fs, const struct catalog_member *m,
		    struct ns_attr *out);
/* user.tapefs.md5|state|copies|archived of m (SPEC 3.5): 0, -ENODATA. */
int ns_member_getxattr(struct tapefs *fs, const struct catalog_member *m,
		       const char *name, struct strbuf *out);
int ns_member_listxattr(struct tapefs *fs, const struct catalog_member *m,
			struct strbuf *out);

/* Set out->st.st_size to the length of what p->render() gives for rel
 * now, so that tools that trust st_size (tail, editors) see the text. For
 * small, cheap texts only; the read itself never depends on it. */
void ns_size_by_render(struct tapefs *fs, const struct ns_provider *p,
		       const char *rel, struct ns_attr *out);

/* What every control file shows of the last write the mount refused
 * ("refused: 'REQ' at TIME" and "reason: WHY"), appended to out; nothing
 * when none was (ns_ctl.c). file: ".verify", "tapes/LABEL/.ctl". */
void ns_ctl_refusal_render(struct tapefs *fs, const char *file,
			   struct strbuf *out);

/* Whether who has permission bit (4 read, 2 write, 1 search) on a file of
 * attributes st, as the kernel decides it from mode, owner and group;
 * always 1 for a reader who sees everything (ns_reader.c). */
int ns_reader_may(const struct ns_reader *who, const struct stat *st, int bit);

/* The last directory ns_reader_may_stat() decided: texts list members in
 * tape order, many in one directory. Zero it before the first call. */
struct ns_reader_memo {
	int valid, ok;
	char dir[4096];
};

/* 1 when who could stat archive/PATH through the mount: search permission
 * on every directory above it (from the catalog; a directory no longer
 * there counts as refused), else 0. */
int ns_reader_may_stat(struct tapefs *fs, const struct ns_reader *who,
		       const char *path, struct ns_reader_memo *memo);

/* The text of .status: "key: value" lines (SPEC 3.6) gathered from every
 * module, as reader who may see it (NULL: everything): the error
 * messages, which may name paths and requests, only for a reader who sees
 * everything (the count for all). Returns 0 or -ENOMEM. status_render():
 * the text as root sees it. */
int status_render_for(struct tapefs *fs, const struct ns_reader *who,
		      struct strbuf *out);
int status_render(struct tapefs *fs, struct strbuf *out);

/* The status for machines: one JSON object of typed figures, valid JSON
 * whatever bytes names hold (fs/ns/status_json.c; docs/status.md). Returns
 * 0 or -ENOMEM. */
int status_render_json(struct tapefs *fs, struct strbuf *out);

/* The status in the Prometheus text format (fs/ns/ns_metrics.c;
 * docs/status.md). Returns 0 or -ENOMEM. */
int status_render_metrics(struct tapefs *fs, struct strbuf *out);

/* A picture of the library as one SVG document (fs/ns/ns_svg.c). Returns
 * 0 or -ENOMEM. */
int status_render_svg(struct tapefs *fs, struct strbuf *out);

/* The tape lines of .status ("tapes: N", "tapes_scratch: N", per state),
 * from the catalog (ns_tapes.c). */
void status_tapes_render(struct tapefs *fs, struct strbuf *out);

/* The library's lines of .status ("unknown_tapes: N" and, when there
 * are some, each tape holding archives this catalog does not know and
 * what to do), from fs/engine/library.h (ns_library.c). */
void status_library_render(struct tapefs *fs, struct strbuf *out);

/* "3.2 GiB" style size into buf. */
void status_human_bytes(uint64_t n, char *buf, size_t len);

/* The dump engine's lines of .status, rendered from its figures
 * (ns_root.c): "dump: idle" | "dump: running 41%", staged_files,
 * staged_bytes, dumps_committed, and when they apply dump_error (for a
 * reader who sees everything; who NULL: everything), dump_waiting,
 * dump_paused ("dump: unavailable" when the engine is not running). */
void ns_dump_status(struct tapefs *fs, const struct ns_reader *who,
		    struct strbuf *out);

/* The verify engine's lines of .status, rendered from its figures:
 * "verify: idle" | "verify: run 7 63%", and verify_last once a run ended
 * ("verify: unavailable" when the engine is not running) (ns_verify.c). */
int ns_verify_status(struct tapefs *fs, struct strbuf *out);

/* The recall engine's lines of .status (ns_recall.c): "recall_queue: N",
 * "recall_waiting: N" (reads waiting for their bytes) and
 * "recall_cache: USED of LIMIT" ("recall: unavailable" when the engine
 * is not running). */
void ns_recall_status(struct tapefs *fs, struct strbuf *out);

/* The verification lines of tapes/LABEL/.status (ns_verify.c):
 * last_verified, copies_verified, copies_failed_verify. 0, -ENOENT,
 * -EIO. */
int ns_verify_tape_status(struct tapefs *fs, const char *barcode,
			  struct strbuf *out);

#endif
