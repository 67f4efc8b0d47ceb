/* tests/fuzz/fuzz_label_text.c - the text of a tape label
 * (tapeio/label.h: label_parse()), as file 0 of any cartridge gives it.
 * What parses has a barcode and a block size in range. */
#include <string.h>

#include "tapeio/label.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tape_label l;

	if (label_parse((const char *)data, size, &l))
		return 0;
	FUZZ_ASSERT(memchr(l.barcode, 0, sizeof(l.barcode)) && l.barcode[0]);
	FUZZ_ASSERT(memchr(l.uuid, 0, sizeof(l.uuid)));
	FUZZ_ASSERT(memchr(l.pool, 0, sizeof(l.pool)));
	FUZZ_ASSERT(l.block_size == 0 || (l.block_size >= LABEL_BLOCK_MIN &&
					  l.block_size <= LABEL_BLOCK_MAX &&
					  l.block_size % LABEL_BLOCK_MIN == 0));
	return 0;
}
