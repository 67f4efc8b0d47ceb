/* fs/engine/library_space.c - the library module's word on what a
 * cartridge holds (fs/engine/library.h, "Capacity"): the drive's
 * (tape_space(): the medium auxiliary memory of a real cartridge, the
 * image of a virtual one), else the native capacity of the LTO
 * generation its barcode names, and before a write, whether the drive
 * says the archive fits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/library_int.h"
#include "tapeio/lto.h"
#include "tapeio/tape.h"

uint64_t library_capacity(const char *barcode, uint64_t from_drive)
{
	return from_drive ? from_drive : lto_barcode_capacity(barcode);
}

/* The drive's estimates are approximate (MAM counts whole MiB): they
 * overrule the catalog's count only when they differ by more than 1% of
 * the capacity and a MiB. */
static uint64_t space_slack(uint64_t capacity)
{
	return capacity / 100 + (1 << 20);
}

/* Under 1% left (the early-warning zone a vtape keeps by default): the
 * tape is full. */
static int space_full(const struct tape_space *sp)
{
	return sp->remaining <= sp->capacity / 100;
}

/* The capacity the catalog should hold for ct, the drive having said sp
 * with the tape standing at its end of data (at_eod): the drive's
 * maximum, lowered to what is written plus what the drive says is left
 * when that is clearly less (the medium lost room the catalog does not
 * count: rewritten blocks, another writer's data). */
static uint64_t space_capacity(const struct catalog_tape *ct,
			       const struct tape_space *sp, int at_eod)
{
	uint64_t have = ct->bytes_used + sp->remaining;

	if (at_eod && have + space_slack(sp->capacity) < sp->capacity)
		return have;
	return sp->capacity;
}

int library_space_check(struct tapefs *fs, struct tape *t,
			const struct catalog_tape *ct, int at_eod,
			uint64_t need, char *why, size_t len)
{
	struct tape_space sp;
	uint64_t cap;

	if (tape_space(t, &sp) < 0) {
		/* the drive cannot say: the barcode may */
		cap = library_capacity(ct->barcode, 0);
		if (!ct->capacity && cap)
			catalog_tape_set_capacity(fs->cat, ct->barcode, cap);
		return 0;
	}
	cap = space_capacity(ct, &sp, at_eod);
	if (cap != ct->capacity)
		catalog_tape_set_capacity(fs->cat, ct->barcode, cap);
	if (!at_eod || sp.remaining >= need)
		return 0;
	snprintf(why, len,
		 "tape %s: its drive reports %llu bytes left, the archive "
		 "needs %llu",
		 ct->barcode, (unsigned long long)sp.remaining,
		 (unsigned long long)need);
	return space_full(&sp) ? -ENOSPC : -EFBIG;
}
