/* tapeio/papertape.h - the text catalog PAPER's papertape writes as file 0
 * of its tapes (docs/adopt.md): written with `dd conv=sync,block bs=32k`,
 * so NUL-padded 32 KiB records; its first three lines start with "##";
 * every other line names one item archived:
 *
 *   ITEM_INDEX:TAPE_INDEX:ARCHIVE_INDEX:MD5:HOST:/PATH
 *
 * ARCHIVE_INDEX is the tape file holding the item (1..N), inside the
 * inner archive paper.<pid>.<idx>.tar as member paper.<pid>.<idx>/HOST:/PATH.
 * The text is only parsed here: nothing in it is used as a host path.
 */
#ifndef TAPEFS_PAPERTAPE_H
#define TAPEFS_PAPERTAPE_H

#include <stddef.h>
#include <stdint.h>

struct papertape_item {
	int64_t item, tape, archive;
	char md5[33]; /* lower case hex */
	char *spec;   /* "HOST:/PATH" as written (malloc'd) */
};

struct papertape_catalog {
	struct papertape_item *v; /* sorted by archive, then spec */
	size_t n;
};

/* 1 when the len bytes at buf (the start of a tape's file 0) begin as a
 * papertape catalog does: three lines starting with "##" (NULs the
 * padding put between them are skipped), else 0. */
int papertape_probe(const char *buf, size_t len);

/* Parse the whole of file 0 (len bytes at buf). NUL bytes are dropped
 * wherever they are (dd pads every short read, not only the last), a
 * line's trailing spaces and CR too; blank lines and lines starting with
 * "#" are skipped. Returns 0 (*out filled: papertape_release()), -EINVAL
 * (not a papertape catalog: no "##" lines first, or a line that does not
 * parse - *bad_line, when not NULL, gets its number from 1), -ENOMEM. */
int papertape_parse(const char *buf, size_t len, struct papertape_catalog *out,
		    size_t *bad_line);
void papertape_release(struct papertape_catalog *c);

/* The item of tape file archive whose spec is spec, or NULL. */
const struct papertape_item *papertape_find(const struct papertape_catalog *c,
					    int64_t archive, const char *spec);

#endif
