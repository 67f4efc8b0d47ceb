/* tests/test_ns_stream.c - a text read in parts (fs/ns/ns_stream.h) gives
 * the bytes of the whole text at any offset and size: forward, backward,
 * across parts, past the end; a part that fails is an error to that read
 * only, and the next read renders it again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ns/ns_stream.h"
#include "tests/check.h"

#define LINES 5000

struct gen {
	int calls;
	int fail_at; /* fail the call with this number (1 = first), 0: none */
	size_t most; /* the largest part made */
};

/* Line i of the text: lengths vary from 10 to 80 bytes. */
static void line(struct strbuf *out, int64_t i)
{
	strbuf_addf(out, "%06lld %.*s\n", (long long)i, (int)(i * 7 % 71),
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-_=+*/%$#@!");
}

static int gen_part(void *ctx, struct ns_cursor *cur, size_t want,
		    struct strbuf *out)
{
	struct gen *g = ctx;
	size_t start = out->len;

	if (++g->calls == g->fail_at)
		return -EIO;
	if (!cur->started) {
		cur->started = 1;
		cur->a = 0;
	}
	while (cur->a < LINES && out->len - start < want)
		line(out, cur->a++);
	if (out->len - start > g->most)
		g->most = out->len - start;
	return 0;
}

static char *whole(size_t *len)
{
	struct strbuf sb;

	strbuf_init(&sb);
	for (int64_t i = 0; i < LINES; i++)
		line(&sb, i);
	*len = sb.len;
	return sb.buf;
}

/* size bytes at off through s are the text's. */
static int same(struct ns_stream *s, const char *text, size_t len, off_t off,
		size_t size)
{
	char *buf = malloc(size + 1);
	size_t want = (size_t)off >= len	 ? 0
		      : size < len - (size_t)off ? size
						 : len - (size_t)off;
	ssize_t n = ns_stream_read(s, buf, size, off);
	int ok = n == (ssize_t)want && !memcmp(buf, text + off, want);

	free(buf);
	return ok;
}

static void test_sequential(const char *text, size_t len)
{
	struct gen g = {0, 0, 0};
	struct ns_stream *s;
	size_t off = 0, sizes[] = {1, 7, 4096, 13, 131072, 333};
	int ok = 1;

	CHECK_INT(ns_stream_new(gen_part, &g, 1000, &s), 0);
	for (int i = 0; off < len; i++) {
		size_t n = sizes[i % 6];

		ok &= same(s, text, len, (off_t)off, n);
		off += n;
	}
	CHECK(ok);
	CHECK(same(s, text, len, (off_t)len, 10)); /* the end: 0 bytes */
	CHECK(same(s, text, len, (off_t)len + 5, 10));
	CHECK(g.most < 1000 + 100); /* never more than a part and a line */
	ns_stream_free(s);
}

static void test_random(const char *text, size_t len)
{
	struct gen g = {0, 0, 0};
	struct ns_stream *s;
	unsigned seed = 17;
	int ok = 1, calls;

	CHECK_INT(ns_stream_new(gen_part, &g, 512, &s), 0);
	for (int i = 0; i < 2000; i++) {
		off_t off = (off_t)(rand_r(&seed) % (len + 100));
		size_t n = 1 + (size_t)(rand_r(&seed) % 5000);

		ok &= same(s, text, len, off, n);
	}
	CHECK(ok);
	/* reading backwards restarts from a mark, not from the start */
	CHECK(same(s, text, len, (off_t)len - 10, 10));
	calls = g.calls;
	CHECK(same(s, text, len, (off_t)len - 600, 10));
	CHECK(g.calls - calls <= 3);
	ns_stream_free(s);
}

/* A part that fails in the middle of a read cuts it short; one that fails
 * at its start is the read's error (fail_at 1: the first part). */
static void test_failure(const char *text, size_t len, int fail_at,
			 int want_errors)
{
	struct gen g = {0, fail_at, 0};
	struct ns_stream *s;
	char buf[64];
	off_t off = 0;
	ssize_t n;
	int errors = 0, ok = 1;

	CHECK_INT(ns_stream_new(gen_part, &g, 200, &s), 0);
	while ((size_t)off < len) {
		n = ns_stream_read(s, buf, sizeof(buf), off);
		if (n == -EIO) {
			errors++;
			continue; /* the same read again */
		}
		ok &= n > 0 && !memcmp(buf, text + off, (size_t)n);
		off += n > 0 ? n : 1;
	}
	CHECK(ok);
	CHECK_INT(errors, want_errors);
	CHECK(g.calls > fail_at);
	ns_stream_free(s);
}

int main(void)
{
	size_t len;
	char *text = whole(&len);

	CHECK(len > 100000);
	test_sequential(text, len);
	test_random(text, len);
	test_failure(text, len, 1, 1);
	test_failure(text, len, 3, 0);
	free(text);
	return check_done();
}
