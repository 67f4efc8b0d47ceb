/* fs/ns/ns_stream.h - a text read in parts (render_part(), fs/ns/ns.h):
 * what an open handle of such a text keeps, so that reads at any offset
 * give the bytes of the whole text without it ever being whole in memory.
 *
 * It holds the part last rendered (its offset and bytes) and a mark at
 * the start of every part rendered so far: the offset and the cursor it
 * was rendered from. A read within the held part is a copy; one after it
 * renders the next parts in turn; one before it starts again from the
 * last mark at or below its offset. Memory: one part, and a mark per part
 * (a few bytes per part of ns_stream_new()'s size).
 *
 * Thread-safe: reads of one handle are serialised by its own mutex.
 * FUSE-free, so that a unit test can drive it.
 */
#ifndef TAPEFS_NS_STREAM_H
#define TAPEFS_NS_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include "fs/engine/strbuf.h"
#include "fs/ns/ns.h"

/* The next part from *cur: whole lines appended to out until it holds at
 * least want bytes or the text ends (nothing appended: the end), *cur
 * advanced; 0 or -errno. */
typedef int (*ns_part_fn)(void *ctx, struct ns_cursor *cur, size_t want,
			  struct strbuf *out);

struct ns_stream;

/* A stream of the text fn renders (fn(ctx, ...)), in parts of about part
 * bytes. 0 or -ENOMEM. */
int ns_stream_new(ns_part_fn fn, void *ctx, size_t part,
		  struct ns_stream **out);
void ns_stream_free(struct ns_stream *s);

/* Up to size bytes of the text from off into buf (fewer only at the
 * end): their count, or -errno. */
ssize_t ns_stream_read(struct ns_stream *s, char *buf, size_t size, off_t off);

#endif
