/* tests/fuzz/fuzz.h - what the fuzz targets share (docs/fuzzing.md).
 *
 * Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput() for one
 * parser of outside input. It is built twice: with clang and libFuzzer
 * (`make fuzz-build`, build-fuzz/fuzz/fuzz_NAME), and with the normal
 * compiler and tests/fuzz/replay.c as its main (build/tests/test_fuzz_NAME,
 * run by `make check`), which feeds it every file of
 * tests/fuzz/corpus/NAME and tests/fuzz/regress/NAME.
 *
 * A target returns 0 for every input, whatever the parser thinks of it; it
 * calls fuzz_fail() (abort) when the parser breaks a promise of its
 * header (a round trip that differs, a result out of its range), so that
 * libFuzzer records the input like a crash.
 */
#ifndef TAPEFS_FUZZ_H
#define TAPEFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "tapeio/tape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken promise (printf-like) and abort. */
__attribute__((noreturn, format(printf, 1, 2))) void fuzz_fail(const char *fmt,
							       ...);
#define FUZZ_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail("%s:%d: %s", __FILE__, __LINE__, #cond);     \
	} while (0)

/* The input as a NUL-terminated string (malloc'd, the caller frees);
 * aborts when out of memory. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* A scratch file of this process named after tag (in /dev/shm when it
 * exists, else $TMPDIR or /tmp), holding exactly data[0..size): its path,
 * static, valid until the next call with the same tag. Removed at exit. */
const char *fuzz_file(const char *tag, const void *data, size_t size);

/* A vtape image in the scratch file of tag: a version 2 header (barcode
 * FUZZ00L9, 1 GiB), then data[0..size) cut into data records of rec
 * bytes (the last one shorter), a filemark, and an end of data without a
 * stored index (an open walks the records). Returns its path. */
const char *fuzz_vtape(const char *tag, const void *data, size_t size,
		       size_t rec);

/* That image opened read-only at BOT with the vtape backend; aborts when
 * it cannot be (the image is always well formed). */
struct tape *fuzz_vtape_open(const char *path);

#endif
