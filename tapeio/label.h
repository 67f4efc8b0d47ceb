/* tapeio/label.h - the label archive, tape file 0 (SPEC 3.2).
 *
 * File 0 of every tapefs tape is a small pax archive holding one member,
 * "TAPEFS.LABEL", a text file of "key=value" lines:
 *   format=tapefs-label 1
 *   barcode=A00001L9
 *   uuid=<36-char uuid>
 *   pool=A
 *   created=<unix seconds>
 *   block_size=<bytes per record of the data archives: a multiple of
 *              512 from 512 to 16 MiB; 0 when not known>
 * Any tar reads it: `mt rewind; tar -xOf /dev/nst0 TAPEFS.LABEL`.
 * Before any write tapefs reads it back and refuses a tape whose label does
 * not name the barcode the catalog (or the changer) expects.
 */
#ifndef TAPEFS_LABEL_H
#define TAPEFS_LABEL_H

#include <stdint.h>
#include <time.h>

#include "tapeio/tape.h"

#define LABEL_MEMBER	"TAPEFS.LABEL"
#define LABEL_TEXT_MAX	4096 /* bytes of label text, at most */
#define LABEL_BLOCK_MIN 512
#define LABEL_BLOCK_MAX (16u << 20)

struct tape_label {
	char barcode[40];
	char uuid[40];
	char pool[16];
	time_t created;
	uint32_t block_size;
};

/* Fill uuid (libuuid's uuid_generate(): random, RFC 4122 v4, or time
 * based v1 when the system has no random source; unique either way) and
 * created (now) of l. */
void label_init(struct tape_label *l, const char *barcode, const char *pool,
		uint32_t block_size);

/* Rewind, write the label archive and one filemark: the tape then holds
 * only file 0 (everything after is gone). Returns 0, -EINVAL (a barcode
 * empty or holding "=" or a newline, a block size label_parse() would
 * refuse) or -errno. */
int label_write(struct tape *t, const struct tape_label *l);

/* Rewind and read file 0 into *l; leaves the tape at the start of file 1.
 * Returns 0, -ENODATA (blank tape: nothing recorded), -EINVAL (file 0 is
 * not a tapefs label: not its archive, or a record longer than the label's
 * 10240 bytes), or the tape's -errno. */
int label_read(struct tape *t, struct tape_label *l);

/* What one look at a cartridge tells (label_probe()). */
struct label_probe {
	struct tape_label label; /* when label_probe() returned 0 */
	int data_after;		 /* 1: something follows file 0 (a record or a
				    filemark): the tape holds more than its label */
	uint64_t capacity;	 /* bytes the medium holds as its drive says
				    (tape_space()), 0 when it cannot */
};

/* The one way tapefs looks at a cartridge before deciding what it is:
 * label_read(), then whether anything is recorded after file 0 - one
 * record read at most (tape_at_eod()), not a walk of the tape, and the
 * drive's word on its capacity (tape_space()). Fills *p (zeroed first:
 * a blank tape has data_after 0). Returns 0, label_read()'s
 * -ENODATA (blank) / -EINVAL (not a tapefs label) / -errno, or
 * tape_at_eod()'s -errno when the label read but what follows could not
 * be told (then the tape must not be taken for one holding nothing). The
 * tape's position afterwards is undefined. */
int label_probe(struct tape *t, struct label_probe *p);

/* Parse len bytes of label text (the member's data) into *l: every line
 * "key=value"; unknown keys are ignored so that a later version can add
 * some. Returns 0, or -EINVAL: no "format=tapefs-label 1" line or no
 * barcode, a line without "=", a number that is not plain decimal, a
 * block_size neither 0 nor in range, a NUL, more than LABEL_TEXT_MAX - 1
 * bytes. */
int label_parse(const char *text, size_t len, struct tape_label *l);

/* label_read() and compare: 0 when the label names barcode, -EMEDIUMTYPE
 * (with the barcode found copied to found, if not NULL) when it names
 * another, or label_read()'s error. */
int label_check(struct tape *t, const char *barcode, char found[40]);

#endif
