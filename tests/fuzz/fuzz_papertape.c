/* tests/fuzz/fuzz_papertape.c - the text catalog of PAPER's papertape
 * (tapeio/papertape.h: papertape_probe(), papertape_parse()), as file 0
 * of a foreign tape gives it. What parses is sorted, every item has a
 * 32-digit lower case MD5 and a HOST:/PATH, and each is found again. */
#include <string.h>

#include "tapeio/papertape.h"
#include "tests/fuzz/fuzz.h"

static int is_hex(const char *s)
{
	for (int i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[32] == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct papertape_catalog c;
	size_t bad = 0;
	int probe = papertape_probe((const char *)data, size);

	if (papertape_parse((const char *)data, size, &c, &bad)) {
		FUZZ_ASSERT(bad >= 1);
		return 0;
	}
	FUZZ_ASSERT(probe == 1);
	for (size_t i = 0; i < c.n; i++) {
		const struct papertape_item *it = &c.v[i];
		const char *colon = strchr(it->spec, ':');

		FUZZ_ASSERT(is_hex(it->md5));
		FUZZ_ASSERT(colon && colon != it->spec && colon[1] == '/');
		FUZZ_ASSERT(i == 0 || c.v[i - 1].archive < it->archive ||
			    (c.v[i - 1].archive == it->archive &&
			     strcmp(c.v[i - 1].spec, it->spec) <= 0));
		const struct papertape_item *f =
		    papertape_find(&c, it->archive, it->spec);
		FUZZ_ASSERT(f && f->archive == it->archive &&
			    !strcmp(f->spec, it->spec));
	}
	papertape_release(&c);
	return 0;
}
