/* tests/fuzz/fuzz_label_tape.c - label_read() (tapeio/label.h) of a vtape
 * whose file 0 holds the input, in records of 10240 bytes as label_write()
 * writes them: the tar reader and the label text behind it. Whatever file
 * 0 holds, the answer is a label or -EINVAL (-EIO for a record the tape
 * cannot read, which never happens here), and a label leaves the tape at
 * the start of file 1. */
#include <errno.h>
#include <string.h>

#include "tapeio/label.h"
#include "tests/fuzz/fuzz.h"

#define LABEL_RECORD 10240

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tape *t =
	    fuzz_vtape_open(fuzz_vtape("label", data, size, LABEL_RECORD));
	struct tape_status st;
	struct tape_label l;
	int ret = label_read(t, &l);

	FUZZ_ASSERT(ret == 0 || ret == -EINVAL);
	if (ret == 0) {
		FUZZ_ASSERT(l.barcode[0]);
		FUZZ_ASSERT(tape_status(t, &st) == 0);
		FUZZ_ASSERT(st.file == 1 && st.block == 0);
	}
	tape_close(t);
	return 0;
}
