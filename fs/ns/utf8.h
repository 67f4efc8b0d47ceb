/* fs/ns/utf8.h - names as text for machines: JSON, the Prometheus text
 * format and SVG all require UTF-8, and a name given to tapefs (a staged
 * path, a tape's location, a barcode a robot reports) may be any bytes.
 */
#ifndef TAPEFS_UTF8_H
#define TAPEFS_UTF8_H

#include <stddef.h>

#include "fs/engine/strbuf.h"

/* Length (1..4) of the well-formed UTF-8 sequence s[0..len) starts with
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or
 * 0 when s[0] starts none. */
size_t utf8_seq(const unsigned char *s, size_t len);

/* 1 when s[0..len) is well-formed UTF-8, else 0. */
int utf8_valid(const char *s, size_t len);

/* Append s[0..len) to out as well-formed UTF-8: every byte that starts no
 * well-formed sequence becomes U+FFFD (the replacement character), the
 * rest is copied as it is. */
void utf8_sanitize(struct strbuf *out, const char *s, size_t len);

#endif
