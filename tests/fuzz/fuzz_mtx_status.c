/* tests/fuzz/fuzz_mtx_status.c - the text of `mtx status`
 * (tapeio/mtx.h: mtx_status_parse()), as a library's mtx prints it. What
 * parses is an inventory of as many elements as its header announced,
 * drives first, each barcode a string, a drive's source slot one of the
 * slots (or 0); what does not gives -EPROTO with a reason. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/mtx.h"
#include "tests/fuzz/fuzz.h"

static void check_inv(const struct changer_inv *inv)
{
	FUZZ_ASSERT(inv->ndrives >= 0 && inv->nslots >= 0 && inv->nie >= 0);
	FUZZ_ASSERT(inv->nelems == (size_t)(inv->ndrives + inv->nslots));
	for (size_t i = 0; i < inv->nelems; i++) {
		const struct changer_elem *e = &inv->elems[i];

		FUZZ_ASSERT(memchr(e->barcode, 0, sizeof(e->barcode)));
		FUZZ_ASSERT(!e->barcode[0] || e->full);
		if (i < (size_t)inv->ndrives)
			FUZZ_ASSERT(e->type == CHANGER_DRIVE &&
				    e->index == (int)i && e->source >= 0 &&
				    e->source <= inv->nslots);
		else
			FUZZ_ASSERT(e->type != CHANGER_DRIVE &&
				    e->index == (int)i - inv->ndrives + 1 &&
				    e->source == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), err[256] = "";
	struct changer_inv inv;
	int ret = mtx_status_parse(text, &inv, err, sizeof(err));

	FUZZ_ASSERT(ret == 0 || ret == -EPROTO || ret == -ENOMEM);
	if (ret == 0) {
		check_inv(&inv);
		changer_inv_free(&inv);
	} else {
		FUZZ_ASSERT(err[0] && memchr(err, 0, sizeof(err)));
	}
	free(text);
	return 0;
}
