/* fs/engine/strbuf.h - a growing text buffer: what engines fill with
 * messages and the namespace fills with rendered files. */
#ifndef TAPEFS_STRBUF_H
#define TAPEFS_STRBUF_H

#include <stddef.h>

/* A growing text buffer. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Append; on allocation failure the buffer keeps what it had and the
 * failure is reported by strbuf_oom(). */
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int strbuf_oom(const struct strbuf *sb);

#endif
