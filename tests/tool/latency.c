/* tests/tool/latency.c - how long a mount takes to answer stat, getxattr,
 * open(O_NONBLOCK), reads of text files and listings, for latency bounds
 * in mount tests.
 *
 *   latency [-t TEXT]... [-d DIR]... SECONDS OFFLINE FILE...
 *
 * For SECONDS, round after round: statx() of every FILE with
 * AT_STATX_FORCE_SYNC (so FUSE asks the daemon, not its attribute cache),
 * getxattr(FILE, "user.tapefs.state"), and before every tenth FILE (the
 * first included) an open(OFFLINE, O_RDONLY | O_NONBLOCK), which must
 * fail with EAGAIN (OFFLINE is a file that is not in the recall cache):
 * enough opens to measure even when a loaded machine makes rounds few. Each
 * call is timed on its own. Prints one line per kind: KIND calls N p50 MS p99
 * MS max MS errors N [errno NAME first MS last MS] (errors: a stat or getxattr
 * that failed, an open that did not fail with EAGAIN; when there were some, the
 * errno of the first one (or "none": an open that succeeded, a getxattr of an
 * empty value) and when the first and the last one came, in ms since the
 * start). With -t, each round also reads TEXT whole (open, read to the end,
 * close: what `cat .status` does), kind "text"; with -d, lists DIR (opendir,
 * readdir to the end, closedir: what `ls` does), kind "readdir". Exit 0, or 2
 * on bad arguments.
 */
#include <dirent.h>
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
	int first_errno;    /* of the first error, 0: none */
	double first, last; /* when the first and last error came */
};

static double t_start; /* now_ms() at the start */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One call of s that took ms; ok: answered as expected, else err is its
 * errno (0 when it answered without one, but not as expected). */
static void series_add(struct series *s, double ms, int ok, int err)
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
	if (ok)
		return;
	if (!s->errors++) {
		s->first_errno = err;
		s->first = now_ms() - t_start;
	}
	s->last = now_ms() - t_start;
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
	printf("%s calls %zu p50 %.2f p99 %.2f max %.2f errors %ld", s->name,
	       s->n, quantile(s, 0.5), quantile(s, 0.99),
	       s->n ? s->ms[s->n - 1] : 0.0, s->errors);
	if (s->errors)
		printf(" errno %s first %.0f last %.0f",
		       s->first_errno ? strerrorname_np(s->first_errno)
				      : "none",
		       s->first, s->last);
	printf("\n");
}

static void one_stat(struct series *s, const char *path)
{
	struct statx stx;
	double t0 = now_ms();
	int ret =
	    statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx);

	series_add(s, now_ms() - t0, ret == 0, ret ? errno : 0);
}

static void one_xattr(struct series *s, const char *path)
{
	char buf[64];
	double t0 = now_ms();
	ssize_t n = getxattr(path, "user.tapefs.state", buf, sizeof(buf));

	series_add(s, now_ms() - t0, n > 0, n < 0 ? errno : 0);
}

static void one_open(struct series *s, const char *path)
{
	double t0 = now_ms();
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	int err = fd < 0 ? errno : 0;

	series_add(s, now_ms() - t0, fd < 0 && err == EAGAIN, err);
	if (fd >= 0)
		close(fd);
}

static void one_text(struct series *s, const char *path)
{
	char buf[65536];
	double t0 = now_ms();
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : 0;
	int err = fd < 0 ? errno : 0;

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0 && !err)
		err = errno;
	if (fd >= 0)
		close(fd);
	series_add(s, now_ms() - t0, fd >= 0 && n == 0, err);
}

static void one_dir(struct series *s, const char *path)
{
	double t0 = now_ms();
	DIR *d = opendir(path);
	int err = d ? 0 : errno;
	long n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	series_add(s, now_ms() - t0, d && n > 0, err);
}

#define MAX_EXTRA 16

int main(int argc, char **argv)
{
	struct series st = {.name = "stat"}, xa = {.name = "getxattr"},
		      op = {.name = "open"}, tx = {.name = "text"},
		      rd = {.name = "readdir"};
	const char *texts[MAX_EXTRA], *dirs[MAX_EXTRA];
	int ntexts = 0, ndirs = 0, c;
	double end;

	while ((c = getopt(argc, argv, "t:d:")) != -1) {
		if (c == 't' && ntexts < MAX_EXTRA)
			texts[ntexts++] = optarg;
		else if (c == 'd' && ndirs < MAX_EXTRA)
			dirs[ndirs++] = optarg;
		else
			optind = argc + 1; /* usage */
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 4 || atof(argv[1]) <= 0) {
		fprintf(stderr, "usage: latency [-t TEXT]... [-d DIR]... "
				"SECONDS OFFLINE FILE...\n");
		return 2;
	}
	t_start = now_ms();
	end = t_start + atof(argv[1]) * 1e3;
	while (now_ms() < end) {
		for (int i = 3; i < argc; i++) {
			if ((i - 3) % 10 == 0)
				one_open(&op, argv[2]);
			one_stat(&st, argv[i]);
			one_xattr(&xa, argv[i]);
		}
		for (int i = 0; i < ntexts; i++)
			one_text(&tx, texts[i]);
		for (int i = 0; i < ndirs; i++)
			one_dir(&rd, dirs[i]);
		usleep(2000); /* leave the machine's cores to the daemon */
	}
	series_print(&st);
	series_print(&xa);
	series_print(&op);
	if (ntexts)
		series_print(&tx);
	if (ndirs)
		series_print(&rd);
	free(st.ms);
	free(xa.ms);
	free(op.ms);
	free(tx.ms);
	free(rd.ms);
	return 0;
}
