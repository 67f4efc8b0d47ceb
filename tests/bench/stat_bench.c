/* tests/bench/stat_bench.c - latency of stat() (scripts/bench-mount).
 *
 *   stat_bench ROOT < PATHS
 *
 * stat() of ROOT/PATH for every line PATH of the input, each call timed on
 * its own (the lines are read first, so that reading them is not timed).
 * Prints "key value" lines: stats N, p50_us, p99_us, max_us, errors N (a
 * stat that failed). Exit 0, 1 when nothing could be measured, 2 on bad
 * arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Every input line as ROOT/LINE, malloc()ed (count in *n). */
static char **read_paths(const char *root, size_t *n)
{
	char line[4096], **v = NULL;
	size_t cap = 0;

	*n = 0;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (*n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 1024) *
						   sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		if (asprintf(&v[*n], "%s/%s", root, line) < 0)
			break;
		(*n)++;
	}
	return v;
}

int main(int argc, char **argv)
{
	struct stat st;
	size_t n, errors = 0;
	double *lat;
	char **paths;

	if (argc != 2)
		return 2;
	paths = read_paths(argv[1], &n);
	lat = n ? calloc(n, sizeof(*lat)) : NULL;
	if (!lat) {
		free(paths);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		double t0 = now_us();

		errors += stat(paths[i], &st) != 0;
		lat[i] = now_us() - t0;
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("stats %zu\np50_us %.1f\np99_us %.1f\nmax_us %.1f\nerrors %zu\n",
	       n, lat[n / 2], lat[n * 99 / 100], lat[n - 1], errors);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(lat);
	return 0;
}
