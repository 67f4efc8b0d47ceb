/* tests/lib_tar.c - tar headers made by hand (lib_tar.h). */
#include <stdio.h>
#include <string.h>

#include "tests/lib_tar.h"

void fx_ustar_sum(unsigned char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

void fx_ustar(unsigned char *h, const char *name, char type, size_t size)
{
	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 108, "0000000", 7);
	memcpy(h + 116, "0000000", 7);
	snprintf((char *)h + 124, 12, "%011llo",
		 (unsigned long long)size & 077777777777ull);
	memcpy(h + 136, "14530000000", 11);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	fx_ustar_sum(h);
}

size_t fx_pax_rec(char *p, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, n = body + 1;

	while ((size_t)snprintf(NULL, 0, "%zu", n) + body != n)
		n++;
	return (size_t)sprintf(p, "%zu %s=%s\n", n, key, value);
}
