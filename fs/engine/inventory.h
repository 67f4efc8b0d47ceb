/* fs/engine/inventory.h - the library's cartridges into the catalog, at mount.
 *
 * Every cartridge the changer reports whose barcode the catalog does not
 * know is read for its label (tape file 0, tapeio/label.h) and added to
 * the catalog as a scratch tape of the label's pool, with the label's
 * uuid and the medium's capacity. Known tapes get their location updated
 * ("slot 7", "drive 0"). The label is read without a robot move where the
 * backend allows it: a vlib cartridge's image file directly; with changer
 * "none" the tape in the drive; a cartridge already in a drive through the
 * drive. With mtx, a cartridge in a slot is loaded into an empty drive,
 * read and put back (changer_label_probe(): one robot round trip per
 * unknown tape, once - the catalog knows it afterwards).
 */
#ifndef TAPEFS_INVENTORY_H
#define TAPEFS_INVENTORY_H

#include <stdint.h>

struct tapefs;
struct tapefs_config;
struct tape_label;

/* Needs fs->cat and fs->changer. Returns the number of tapes added (>= 0)
 * or -errno (catalog or changer failure); tapes that cannot be read are
 * skipped with a tapefs_error() line, not a failure. */
int inventory_sync(struct tapefs *fs);

/* Read the label (tape file 0) and the capacity (0 when unknown) of the
 * tape at dev - a vtape image or a drive's device - with the configured
 * tape backend, read-only. Returns 0 or label_read()'s -errno (-ENODATA
 * blank, -EINVAL not a tapefs label, -ENOMEDIUM...). */
int inventory_read_label(const struct tapefs_config *cfg, const char *dev,
			 struct tape_label *l, uint64_t *capacity);

#endif
