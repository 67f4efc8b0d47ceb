/* tests/fuzz/fuzz_mtx_error.c - what mtx writes on stderr when it fails
 * (tapeio/mtx.h: mtx_error_map()). The first byte of the input sizes the
 * reason buffer (1 to 256 bytes), the rest is the text. The answer is one
 * of the errors the header lists, the reason a string within the buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/mtx.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size ? (size_t)data[0] + 1 : 64;
	char *text = fuzz_cstr(data + !!size, size - !!size);
	char *reason = malloc(len);
	int ret;

	FUZZ_ASSERT(reason);
	ret = mtx_error_map(text, reason, len);
	FUZZ_ASSERT(ret == -ENODEV || ret == -EACCES || ret == -ENOMEDIUM ||
		    ret == -EBUSY || ret == -EINVAL || ret == -EAGAIN ||
		    ret == -EIO);
	FUZZ_ASSERT(memchr(reason, 0, len));
	free(reason);
	free(text);
	return 0;
}
