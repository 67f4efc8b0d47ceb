/* fs/engine/fsck_labels.h - the labels of the library's tapes, for
 * `tapefs fsck` (catalog_check() compares them with the catalog).
 *
 * Reads tape file 0 of every cartridge the changer reports, without robot
 * moves: a vlib cartridge's image directly, the tape in the drive with
 * changer "none", and with mtx the tapes already in a drive (the others are
 * listed in skipped: reading them needs a load).
 */
#ifndef TAPEFS_FSCK_LABELS_H
#define TAPEFS_FSCK_LABELS_H

#include <stddef.h>

#include "catalog/catalog.h"
#include "fs/engine/tapefs.h"

struct fsck_labels {
	struct catalog_label *labels; /* for catalog_check() */
	size_t n;
	char **skipped; /* "BARCODE: reason" for cartridges not read */
	size_t nskipped;
};

/* Fill out from the library cfg describes. Returns 0, or -errno with a
 * one-line reason in err (the changer cannot be opened or inventoried).
 * A cartridge whose label cannot be read is listed in skipped, or, when
 * it is blank or not a tapefs label, given uuid NULL (catalog_check then
 * reports a missing label). Free with fsck_labels_release(). */
int fsck_labels_read(const struct tapefs_config *cfg, struct fsck_labels *out,
		     char *err, size_t errlen);

void fsck_labels_release(struct fsck_labels *fl);

#endif
