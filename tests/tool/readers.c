/* tests/tool/readers.c - a crowd of readers of one file, for mount tests.
 *
 *   readers N FILE EXPECTED [SIZE]
 *
 * Opens FILE N times (N descriptors), then starts N threads; thread i
 * reads SIZE bytes (default 65536) at its own offset of FILE with one
 * pread() on its own descriptor, and compares them with the same bytes of
 * EXPECTED (a local copy). Prints "started N" once every thread is
 * running (their reads are then being made or waiting), then, when all
 * have ended, "readers N ok K bad B errors E" (bad: wrong bytes or a short
 * read; errors: a failed open or read, the first errno named on stderr).
 * Exit 0 when every read returned the right bytes, 1 otherwise, 2 on bad
 * arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct reader {
	pthread_t th;
	int fd;
	off_t off;
	size_t size;
	int result; /* 0 ok, 1 bad, 2 error */
	int err;
};

static const char *expected;
static size_t expected_len;

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	char *buf = malloc(rd->size);
	ssize_t n;

	if (!buf) {
		rd->result = 2;
		rd->err = ENOMEM;
		return NULL;
	}
	n = pread(rd->fd, buf, rd->size, rd->off);
	if (n < 0) {
		rd->result = 2;
		rd->err = errno;
	} else if ((size_t)n != rd->size ||
		   memcmp(buf, expected + rd->off, rd->size)) {
		rd->result = 1;
	}
	free(buf);
	return NULL;
}

/* The whole of path in memory; NULL on failure. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	char *buf = NULL;
	size_t done = 0;

	if (fd < 0 || fstat(fd, &st) || !(buf = malloc((size_t)st.st_size + 1)))
		goto out;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			free(buf);
			buf = NULL;
			goto out;
		}
		done += (size_t)n;
	}
	*len = done;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

int main(int argc, char **argv)
{
	struct rlimit rl = {.rlim_cur = 65536, .rlim_max = 65536};
	size_t size = argc > 4 ? (size_t)atol(argv[4]) : 65536;
	int n = argc > 1 ? atoi(argv[1]) : 0, ok = 0, bad = 0, errs = 0;
	struct reader *rd;
	pthread_attr_t attr;

	if (argc < 4 || n < 1 || !size) {
		fprintf(stderr, "usage: readers N FILE EXPECTED [SIZE]\n");
		return 2;
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	expected = slurp(argv[3], &expected_len);
	if (!expected || expected_len < size) {
		fprintf(stderr, "readers: %s: cannot read it whole\n", argv[3]);
		return 2;
	}
	rd = calloc((size_t)n, sizeof(*rd));
	if (!rd)
		return 1;
	for (int i = 0; i < n; i++) {
		rd[i].size = size;
		/* spread over the file, 512-byte aligned */
		rd[i].off = (off_t)(((uint64_t)i * 7919 * 512) %
				    (expected_len - size + 1)) &
			    ~(off_t)511;
		rd[i].fd = open(argv[2], O_RDONLY);
		if (rd[i].fd < 0) {
			fprintf(stderr, "readers: open %s: %s\n", argv[2],
				strerror(errno));
			return 1;
		}
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (int i = 0; i < n; i++)
		if (pthread_create(&rd[i].th, &attr, reader_main, &rd[i])) {
			fprintf(stderr, "readers: thread %d failed\n", i);
			return 1;
		}
	printf("started %d\n", n);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		pthread_join(rd[i].th, NULL);
		close(rd[i].fd);
		ok += rd[i].result == 0;
		bad += rd[i].result == 1;
		if (rd[i].result == 2 && !errs++)
			fprintf(stderr, "readers: read: %s\n",
				strerror(rd[i].err));
	}
	printf("readers %d ok %d bad %d errors %d\n", n, ok, bad, errs);
	free(rd);
	return ok == n ? 0 : 1;
}
