/* tests/test_md5_stream.c - streaming MD5: known vectors, any chunking
 * gives the one-shot digest, reuse after md5_final(), md5_fd(). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/md5.h"
#include "tests/check.h"

static void test_vectors(void)
{
	char hex[MD5_HEX_SIZE];

	CHECK_INT(md5_buf("", 0, hex), 0);
	CHECK_STR(hex, MD5_EMPTY);
	CHECK_INT(md5_buf("abc", 3, hex), 0);
	CHECK_STR(hex, "900150983cd24fb0d6963f7d28e17f72");
	CHECK_INT(
	    md5_buf("The quick brown fox jumps over the lazy dog", 43, hex), 0);
	CHECK_STR(hex, "9e107d9d372bb6826bd81d3542a419d6");
}

static void test_chunking_and_reuse(void)
{
	enum { N = 1000000 };
	char *a = malloc(N), one[MD5_HEX_SIZE], hex[MD5_HEX_SIZE];
	struct md5 m;
	size_t off, step;

	memset(a, 'a', N);
	CHECK_INT(md5_buf(a, N, one), 0);
	CHECK_STR(one, "7707d6ae4e027c70eea2a935c2296f21");
	CHECK_INT(md5_init(&m), 0);
	for (step = 1; step < 100000; step = step * 7 + 3) {
		for (off = 0; off < N; off += step)
			md5_update(&m, a + off,
				   off + step > N ? N - off : step);
		CHECK_INT(md5_final(&m, hex), 0); /* and starts over */
		CHECK_STR(hex, one);
	}
	md5_update(&m, "abc", 3);
	CHECK_INT(md5_final(&m, hex), 0);
	CHECK_STR(hex, "900150983cd24fb0d6963f7d28e17f72");
	md5_release(&m);
	md5_release(&m); /* twice is harmless */
	free(a);
}

static void test_fd(void)
{
	char hex[MD5_HEX_SIZE];
	uint64_t bytes = 0;
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(write(fd, "abc", 3) == 3);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK_INT(md5_fd(fd, hex, &bytes), 0);
	CHECK_STR(hex, "900150983cd24fb0d6963f7d28e17f72");
	CHECK_INT(bytes, 3);
	close(fd);
	CHECK_INT(md5_fd(fd, hex, NULL), -EBADF);
}

static void test_hex_valid(void)
{
	CHECK(md5_hex_valid(MD5_EMPTY));
	CHECK(!md5_hex_valid("D41D8CD98F00B204E9800998ECF8427E"));
	CHECK(!md5_hex_valid("d41d8cd98f00b204e9800998ecf8427"));
	CHECK(!md5_hex_valid("d41d8cd98f00b204e9800998ecf8427e0"));
	CHECK(!md5_hex_valid("g41d8cd98f00b204e9800998ecf8427e"));
	CHECK(!md5_hex_valid(""));
}

int main(void)
{
	RUN(test_vectors);
	RUN(test_chunking_and_reuse);
	RUN(test_fd);
	RUN(test_hex_valid);
	return check_done();
}
