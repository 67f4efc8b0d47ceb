/* tapeio/lto.h - what an LTO cartridge's barcode says of its capacity.
 *
 * An LTO barcode label is six characters of volume serial and a
 * two-character media identifier: L1..L9 for generations 1 to 9, M8 for
 * an LTO-7 cartridge formatted as LTO-8 type M, LT..LZ for the WORM
 * cartridges of generations 3 to 9. The generation gives the native
 * capacity (decimal units, as sold: LTO-9 is 18 TB). This is the fallback
 * when the drive cannot say (tape_space()): a drive that reports its
 * medium auxiliary memory knows better.
 */
#ifndef TAPEFS_LTO_H
#define TAPEFS_LTO_H

#include <stdint.h>

/* The native capacity in bytes of the cartridge barcode names: 0 when it
 * is not an 8-character LTO barcode with a known media identifier, and
 * for a cleaning cartridge (CLN...), which holds no data. */
uint64_t lto_barcode_capacity(const char *barcode);

/* The generation barcode names ("LTO-9", "LTO-7 type M", "LTO-6 WORM"),
 * a static string, or NULL as for lto_barcode_capacity(). */
const char *lto_barcode_generation(const char *barcode);

#endif
