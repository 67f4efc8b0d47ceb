/* fs/ns/utf8.c - well-formed UTF-8 and the replacement of what is not
 * (fs/ns/utf8.h). */
#include "fs/ns/utf8.h"

/* The Unicode standard's table 3-7 of well-formed byte sequences: the
 * second byte's range depends on the first, the others are 80..BF. */
size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* no overlong 3-byte forms */
	else if (c == 0xed)
		hi = 0x9f; /* no surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* no overlong 4-byte forms */
	else if (c == 0xf4)
		hi = 0x8f; /* nothing above U+10FFFF */
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(u + i, len - i);

		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

void utf8_sanitize(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0; /* start of the well-formed bytes not yet copied */

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(u + i, len - i);

		if (n) {
			i += n;
			continue;
		}
		strbuf_add(out, s + run, i - run);
		strbuf_add(out, "\xef\xbf\xbd", 3);
		run = ++i;
	}
	strbuf_add(out, s + run, len - run);
}
