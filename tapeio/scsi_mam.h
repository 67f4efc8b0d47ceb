/* tapeio/scsi_mam.h - a cartridge's capacity from its medium auxiliary
 * memory (MAM), read with the SCSI READ ATTRIBUTE command through the
 * Linux SG_IO ioctl: what the st backend's tape_space() answers.
 *
 * READ ATTRIBUTE (SPC-4, operation code 8Ch) with service action 00h
 * (ATTRIBUTE VALUES), volume 0, partition 0, from attribute 0000h: the
 * drive returns the attributes it keeps in ascending order of identifier,
 * each as identifier (2 bytes), format (1), length (2) and value, after a
 * 4-byte AVAILABLE DATA. Two device attributes are read:
 *   0000h REMAINING CAPACITY IN PARTITION  8 bytes, binary
 *   0001h MAXIMUM CAPACITY IN PARTITION    8 bytes, binary
 * both in MiB (1 048 576 bytes) of native capacity, without compression;
 * LTO drives keep them for every cartridge since generation 1.
 *
 * Every function returns 0 or -errno: -EOPNOTSUPP when the drive cannot
 * tell (ILLEGAL REQUEST: no MAM, an attribute it does not keep; or SG_IO
 * refused on the descriptor: not a SCSI device, no CAP_SYS_RAWIO on an
 * st node), -ENOMEDIUM (NOT READY, medium not present), -EBUSY (NOT READY
 * otherwise, BUSY, RESERVATION CONFLICT), -EIO (anything else: a medium
 * or hardware error, a reply that does not parse).
 */
#ifndef TAPEFS_SCSI_MAM_H
#define TAPEFS_SCSI_MAM_H

#include <stddef.h>
#include <stdint.h>

#include "tapeio/tape.h"

#define MAM_ATTR_REMAINING_CAPACITY 0x0000
#define MAM_ATTR_MAXIMUM_CAPACITY   0x0001

/* Send READ ATTRIBUTE on fd (an sg node, or the st node itself, which
 * passes SG_IO to the same device) and fill *out. A UNIT ATTENTION (a
 * load or reset the drive reports once) is answered by asking again, up
 * to three times. out is written only on success. */
int mam_read_space(int fd, struct tape_space *out);

/* Parse the parameter data of ATTRIBUTE VALUES: len bytes received (fewer
 * than AVAILABLE DATA announces when the allocation was short; a cut
 * attribute is ignored), attributes the reader does not need skipped.
 * -EOPNOTSUPP when 0000h or 0001h is missing or the maximum is 0, -EIO
 * when a value does not fit in bytes or the header is short. A remaining
 * capacity above the maximum is taken as the maximum. */
int mam_parse_space(const uint8_t *data, size_t len, struct tape_space *out);

/* The errno of a CHECK CONDITION's sense data (fixed 70h/71h or
 * descriptor 72h/73h format, len bytes): 0 for NO SENSE and RECOVERED
 * ERROR, -EAGAIN for UNIT ATTENTION, the others as at the top. */
int mam_sense_errno(const uint8_t *sense, size_t len);

#endif
