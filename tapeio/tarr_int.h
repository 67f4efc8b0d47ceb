/* tapeio/tarr_int.h - what the files of the tar reader share (tarr.c,
 * tarr_extent.c, tarr_cursor.c). Not for other modules: their API is
 * tapeio/tarr.h.
 */
#ifndef TAPEFS_TARR_INT_H
#define TAPEFS_TARR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tapeio/tarr.h"

/* Bring c's tape to the record at lblock of the archive that starts at
 * start_lblock (records of block_size bytes at most): 1 when that record
 * is c's copy (*rec, *len: it, lent until the next call on c; the tape
 * stands after it), 0 when the next tape_read() returns it (no command
 * issued when the tape is there; the records between read when it is a
 * little ahead in the same archive as the last read; else a locate), or
 * the tape's -errno. c NULL (with t): a locate, as tarr_read_member()
 * does. */
int tarr_cursor_goto(struct tarr_cursor *c, struct tape *t,
		     uint64_t start_lblock, uint64_t lblock,
		     uint32_t block_size, const char **rec, size_t *len);
/* The read through c ended well: the tape stands before lblock next, and
 * the record before it is buf (len bytes; 0: keep none), copied unless it
 * is c's own copy. NULL c: nothing. */
void tarr_cursor_done(struct tarr_cursor *c, uint64_t next, const void *buf,
		      size_t len);

#endif
