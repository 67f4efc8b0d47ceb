/* tests/lib_tar.h - tar headers made by hand, for the tests and seeds
 * that need an archive no writer of ours (nor libarchive) would write: a
 * pax header with a hostile record, a GNU sparse map past the file's
 * size, a hard link with a size.
 */
#ifndef TAPEFS_LIB_TAR_H
#define TAPEFS_LIB_TAR_H

#include <stddef.h>

/* A ustar header block (512 bytes) at h: name, typeflag, size, mode 0644,
 * uid and gid 0, a fixed mtime; its checksum set. */
void fx_ustar(unsigned char *h, const char *name, char type, size_t size);

/* Sets the checksum of the header block at h again (after a change). */
void fx_ustar_sum(unsigned char *h);

/* Appends the pax record "LEN key=value\n" to p; returns its length. */
size_t fx_pax_rec(char *p, const char *key, const char *value);

#endif
