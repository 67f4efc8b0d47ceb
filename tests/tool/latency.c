/* tests/tool/latency.c - how long a mount takes to answer stat, getxattr
 * and open(O_NONBLOCK), for latency bounds in mount tests.
 *
 *   latency SECONDS OFFLINE FILE...
 *
 * For SECONDS, round after round: statx() of every FILE with
 * AT_STATX_FORCE_SYNC (so FUSE asks the daemon, not its attribute cache),
 * getxattr(FILE, "user.tapefs.state"), and one open(OFFLINE, O_RDONLY |
 * O_NONBLOCK), which must fail with EAGAIN (OFFLINE is a file that is not
 * in the recall cache). Each call is timed on its own. Prints one line per
 * kind:
 *   KIND calls N p50 MS p99 MS max MS errors N
 * (errors: a stat or getxattr that failed, an open that did not fail with
 * EAGAIN). Exit 0, or 2 on bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

struct series {
	const char *name;
	double *ms;
	size_t n, cap;
	long errors;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void series_add(struct series *s, double ms, int ok)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;
		double *n = realloc(s->ms, nc * sizeof(*n));

		if (!n) {
			perror("latency");
			exit(1);
		}
		s->ms = n;
		s->cap = nc;
	}
	s->ms[s->n++] = ms;
	s->errors += !ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of s, nearest rank. */
static double quantile(const struct series *s, double q)
{
	size_t i;

	if (!s->n)
		return 0;
	i = (size_t)(q * (double)s->n);
	return s->ms[i < s->n ? i : s->n - 1];
}

static void series_print(struct series *s)
{
	qsort(s->ms, s->n, sizeof(*s->ms), cmp_double);
	printf("%s calls %zu p50 %.2f p99 %.2f max %.2f errors %ld\n", s->name,
	       s->n, quantile(s, 0.5), quantile(s, 0.99),
	       s->n ? s->ms[s->n - 1] : 0.0, s->errors);
}

static void one_stat(struct series *s, const char *path)
{
	struct statx stx;
	double t0 = now_ms();
	int ret =
	    statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx);

	series_add(s, now_ms() - t0, ret == 0);
}

static void one_xattr(struct series *s, const char *path)
{
	char buf[64];
	double t0 = now_ms();
	ssize_t n = getxattr(path, "user.tapefs.state", buf, sizeof(buf));

	series_add(s, now_ms() - t0, n > 0);
}

static void one_open(struct series *s, const char *path)
{
	double t0 = now_ms();
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	int err = fd < 0 ? errno : 0;

	series_add(s, now_ms() - t0, fd < 0 && err == EAGAIN);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	struct series st = {.name = "stat"}, xa = {.name = "getxattr"},
		      op = {.name = "open"};
	double end;

	if (argc < 4 || atof(argv[1]) <= 0) {
		fprintf(stderr, "usage: latency SECONDS OFFLINE FILE...\n");
		return 2;
	}
	end = now_ms() + atof(argv[1]) * 1e3;
	while (now_ms() < end) {
		for (int i = 3; i < argc; i++) {
			one_stat(&st, argv[i]);
			one_xattr(&xa, argv[i]);
		}
		one_open(&op, argv[2]);
		usleep(2000); /* leave the machine's cores to the daemon */
	}
	series_print(&st);
	series_print(&xa);
	series_print(&op);
	free(st.ms);
	free(xa.ms);
	free(op.ms);
	return 0;
}
