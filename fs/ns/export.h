/* fs/ns/export.h - the catalog as text for other programs (`tapefs
 * export`, docs/operations.md): one record per member of every archive -
 * every version of every archived path, with where its copies are - as
 * CSV or as JSON lines.
 *
 * Fields, in this order: path, type (file, dir, symlink), size, mode (the
 * permission bits in octal, "0644"), uid, gid, mtime and mtime_nsec (unix
 * time), md5 (hex; empty / null for directories and symlinks), copies,
 * archive (its id: a later archive holds a later version), archived (unix
 * time of its commit), link (a symlink's target; empty / null).
 *
 * CSV (RFC 4180): a header line naming the fields, records ended by CRLF,
 * a field holding a comma, a double quote, CR or LF enclosed in double
 * quotes with each double quote doubled. Names are written as the bytes
 * they are (a name that is not UTF-8 stays exactly what it is). copies is
 * "LABEL:FILENO:BLOCK[,...]" as user.tapefs.copies gives it (good copies
 * first).
 *
 * JSON lines: one object a line, numbers as numbers, copies an array of
 * {"tape", "file", "block", "state"} (state: good, bad, lost). JSON text
 * must be UTF-8: a path or link that is not is written with every byte
 * that starts no UTF-8 sequence replaced by U+FFFD, and its exact bytes
 * follow as "path_hex" / "link_hex" (two lower-case hex digits a byte) -
 * the rule of .status.json (fs/ns/utf8.h).
 */
#ifndef TAPEFS_EXPORT_H
#define TAPEFS_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "catalog/catalog.h"
#include "fs/engine/strbuf.h"

enum export_format {
	EXPORT_CSV,
	EXPORT_JSONL,
};

/* "csv" or "jsonl" (also "json"): 0, or -EINVAL. */
int export_format_parse(const char *name, enum export_format *out);

/* One record: a member, its archive and that archive's copies
 * (copies[0..ncopies), in the order to print them). */
struct export_record {
	const struct catalog_member *m;
	const struct catalog_archive *a;
	const struct catalog_copy *copies;
	size_t ncopies;
};

/* Append the CSV header line (nothing for JSON lines) to out. */
void export_header(struct strbuf *out, enum export_format f);
/* Append one record, its line end included, to out. -ENOMEM. */
int export_record(struct strbuf *out, enum export_format f,
		  const struct export_record *r);

/* Write the header and a record for every member of every archive of
 * cat, archive by archive in commit order, members in tape order, to
 * out. Reads only (safe while the catalog is mounted: each archive is
 * read whole from one snapshot; an archive committed during the export
 * may be left out). *records (may be NULL) gets how many. Returns 0, a
 * catalog -errno, -ENOMEM, or -EIO when out cannot be written. */
int export_catalog(struct catalog *cat, enum export_format f, FILE *out,
		   uint64_t *records);

#endif
