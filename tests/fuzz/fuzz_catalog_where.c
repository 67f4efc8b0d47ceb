/* tests/fuzz/fuzz_catalog_where.c - the catalog setting as it is printed
 * (catalog/catalog.h: catalog_where_print()). Whatever the text, the
 * output fits its buffer (every size from 1 to a few hundred bytes), is
 * printable ASCII, and never holds the password of a URI: the bytes
 * between the user's ':' and the '@' that ends the user part, when they
 * appear nowhere else in the input.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "tests/fuzz/fuzz.h"

/* The password of where, a URI, as written (malloc'd), or NULL. */
static char *password_of(const char *where)
{
	const char *auth = strstr(where, "://"), *at, *colon;

	if (!auth || catalog_kind_of(where) != CATALOG_KIND_POSTGRESQL)
		return NULL;
	auth += 3;
	at = strrchr(auth, '@');
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	return colon ? strndup(colon + 1, (size_t)(at - colon - 1)) : NULL;
}

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *where = fuzz_cstr(data, size);
	char *pw = password_of(where);
	static const size_t sizes[] = {1, 2, 17, 64, CATALOG_WHERE_PRINT_MAX};
	char buf[CATALOG_WHERE_PRINT_MAX + 1];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n;
		const char *out;

		memset(buf, 'Z', sizeof(buf));
		out = catalog_where_print(where, buf, sizes[i]);
		FUZZ_ASSERT(out == buf);
		n = strnlen(buf, sizes[i]);
		FUZZ_ASSERT(n < sizes[i]);
		FUZZ_ASSERT(buf[sizes[i]] == 'Z');
		for (size_t j = 0; j < n; j++)
			FUZZ_ASSERT(buf[j] >= 0x20 && buf[j] < 0x7f);
		if (pw && strlen(pw) >= 4 && occurrences(where, pw) == 1)
			FUZZ_ASSERT(!strstr(buf, pw));
	}
	free(pw);
	free(where);
	return 0;
}
