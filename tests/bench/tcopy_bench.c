/* tests/bench/tcopy_bench.c - timing helper for scripts/bench-tcopy.
 *
 *   tcopy_bench SRC DST RATE DIR
 *       writes every file under DIR (one level) as one archive to a new
 *       vtape SRC (unlimited speed), then models SRC and a new DST at RATE
 *       MB/s and copies the archive from SRC to DST with tcopy_run(),
 *       every member's MD5 checked against what the writer recorded.
 * Prints "seconds bytes" of the copy on stdout; exits 1 on any failure or
 * MD5 mismatch.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tapeio/tape.h"
#include "tapeio/tarw.h"
#include "tapeio/tcopy.h"
#include "tapeio/vtape.h"

static struct tarw_source srcs[4096];
static size_t nsrc;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int scan(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d)
		return -1;
	while ((e = readdir(d)) && nsrc < 4096) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &srcs[nsrc].st) ||
		    !S_ISREG(srcs[nsrc].st.st_mode))
			continue;
		srcs[nsrc].path = strdup(path);
		srcs[nsrc].name = strdup(e->d_name);
		nsrc++;
	}
	closedir(d);
	return 0;
}

/* The writer's records, to check the copy's MD5s against. */
static struct tar_member *want;
static size_t nwant, seen, bad;

static int check_member(void *arg, const struct tar_member *m)
{
	(void)arg;
	for (size_t i = 0; i < nwant; i++)
		if (want[i].header_offset == m->header_offset) {
			seen++;
			if (strcmp(want[i].md5, m->md5))
				bad++;
			return 0;
		}
	return 0;
}

static int write_source(const char *image, const char *dir)
{
	struct tape *t = NULL;
	struct tarw *w = NULL;
	const struct tar_member *m;

	unlink(image);
	if (scan(dir) || vtape_create(image, "SRC001", 1ull << 40, 0) ||
	    tape_open(&t, tape_backend("vtape"), image, TAPE_RDWR) ||
	    tarw_new(&w, &t, 1, NULL) || tarw_run(w, srcs, nsrc))
		return -1;
	m = tarw_members(w, &nwant);
	want = calloc(nwant, sizeof(*want));
	for (size_t i = 0; want && i < nwant; i++) {
		want[i].header_offset = m[i].header_offset;
		memcpy(want[i].md5, m[i].md5, sizeof(want[i].md5));
	}
	tarw_free(w);
	tape_close(t);
	return want ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct tcopy_opts o = {.member = check_member};
	struct vtape_model mo = {.time_scale = 1};
	struct tape *s = NULL, *d = NULL;
	struct tcopy_result res;
	double t0, t;
	int ret;

	if (argc != 5) {
		fprintf(stderr, "usage: tcopy_bench SRC DST RATE DIR\n");
		return 2;
	}
	mo.rate_mbps = atof(argv[3]);
	unlink(argv[2]);
	if (write_source(argv[1], argv[4]) ||
	    vtape_create(argv[2], "DST001", 1ull << 40, 0) ||
	    vtape_set_model(argv[1], &mo) || vtape_set_model(argv[2], &mo) ||
	    tape_open(&s, tape_backend("vtape"), argv[1], TAPE_RDONLY) ||
	    tape_open(&d, tape_backend("vtape"), argv[2], TAPE_RDWR)) {
		fprintf(stderr, "tcopy_bench: cannot set up the tapes\n");
		return 1;
	}
	t0 = now();
	ret = tcopy_run(s, d, &o, &res);
	t = now() - t0;
	tape_close(d);
	tape_close(s);
	if (ret || bad || seen != nwant) {
		fprintf(stderr,
			"tcopy_bench: %s, %zu of %zu members checked, "
			"%zu differ\n",
			strerror(-ret), seen, nwant, bad);
		return 1;
	}
	printf("%.6f %llu\n", t, (unsigned long long)res.bytes);
	return 0;
}
