/* tests/bench/tar_bench.c - timing helper for scripts/bench-tar.
 *
 *   tar_bench md5 FILE...             streaming MD5 of the files (md5.h)
 *   tar_bench write IMAGE RATE DIR [IMAGE2]
 *                                     tarw of every file under DIR to a new
 *                                     vtape IMAGE (and IMAGE2: 2 copies);
 *                                     RATE MB/s (0: unlimited)
 *   tar_bench walk IMAGE              tarr walk of file 0 of IMAGE, every
 *                                     member hashed (as verify does)
 * Each prints "seconds bytes" on stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tapeio/md5.h"
#include "tapeio/tape.h"
#include "tapeio/tarr.h"
#include "tapeio/tarw.h"
#include "tapeio/vtape.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_md5(int argc, char **argv)
{
	char hex[MD5_HEX_SIZE];
	uint64_t total = 0, n;
	double t0 = now();
	int i, fd;

	for (i = 0; i < argc; i++) {
		fd = open(argv[i], O_RDONLY);
		if (fd < 0 || md5_fd(fd, hex, &n)) {
			perror(argv[i]);
			return 1;
		}
		close(fd);
		total += n;
	}
	printf("%.6f %llu\n", now() - t0, (unsigned long long)total);
	return 0;
}

static struct tarw_source *srcs;
static size_t nsrc, cap;

static void add(const char *path, const char *name)
{
	if (nsrc == cap) {
		cap = cap ? 2 * cap : 256;
		srcs = realloc(srcs, cap * sizeof(*srcs));
	}
	srcs[nsrc].path = strdup(path);
	srcs[nsrc].name = strdup(name);
	srcs[nsrc].no_xattrs = 0;
	if (lstat(path, &srcs[nsrc].st) == 0)
		nsrc++;
}

static void scan(const char *dir, const char *prefix)
{
	char path[4096], name[4096];
	struct dirent *d;
	DIR *D = opendir(dir);
	struct stat st;

	while (D && (d = readdir(D))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		snprintf(name, sizeof(name), "%s%s", prefix, d->d_name);
		add(path, name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			strcat(name, "/");
			scan(path, name);
		}
	}
	if (D)
		closedir(D);
}

static int bench_write(const char *image, double rate, const char *dir,
		       const char *image2)
{
	struct vtape_model m = {.rate_mbps = rate, .time_scale = 1};
	const char *images[2] = {image, image2};
	struct tape *t[2] = {NULL, NULL};
	int i, n = image2 ? 2 : 1, ret;
	struct tarw *w = NULL;
	double t0;

	scan(dir, "");
	for (i = 0; i < n; i++) {
		unlink(images[i]);
		if (vtape_create(images[i], "BENCH001", 1ull << 40, 0) ||
		    (rate > 0 && vtape_set_model(images[i], &m)) ||
		    tape_open(&t[i], tape_backend("vtape"), images[i],
			      TAPE_RDWR)) {
			fprintf(stderr, "tar_bench: cannot set up %s\n",
				images[i]);
			return 1;
		}
	}
	if (tarw_new(&w, t, n, NULL))
		return 1;
	t0 = now();
	ret = tarw_run(w, srcs, nsrc);
	if (ret) {
		fprintf(stderr, "tar_bench: tarw_run: %s\n", strerror(-ret));
		return 1;
	}
	printf("%.6f %llu\n", now() - t0,
	       (unsigned long long)tarw_copy(w, 0)->bytes);
	tarw_free(w);
	for (i = 0; i < n; i++)
		tape_close(t[i]);
	return 0;
}

static int bench_walk(const char *image)
{
	struct tar_member m = {0};
	struct tape *t = NULL;
	struct tarr *r = NULL;
	uint64_t bytes = 0;
	double t0;
	int ret;

	if (tape_open(&t, tape_backend("vtape"), image, TAPE_RDONLY) ||
	    tarr_open(&r, t, 0)) {
		fprintf(stderr, "tar_bench: cannot open %s\n", image);
		return 1;
	}
	t0 = now();
	while ((ret = tarr_next(r, &m)) == 1) {
		if (tarr_data(r, &m, NULL, NULL))
			break;
		bytes += m.size;
		tar_member_clear(&m);
	}
	if (ret != 0) {
		fprintf(stderr, "tar_bench: walk failed\n");
		return 1;
	}
	printf("%.6f %llu\n", now() - t0, (unsigned long long)bytes);
	tarr_free(r);
	tape_close(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "md5"))
		return bench_md5(argc - 2, argv + 2);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "write"))
		return bench_write(argv[2], atof(argv[3]), argv[4],
				   argc == 6 ? argv[5] : NULL);
	if (argc == 3 && !strcmp(argv[1], "walk"))
		return bench_walk(argv[2]);
	fprintf(stderr, "usage: tar_bench md5 FILE... | write IMAGE RATE DIR "
			"[IMAGE2] | walk IMAGE\n");
	return 2;
}
