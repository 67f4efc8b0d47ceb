/* tests/bench/catalog_bench.c - the catalog at scale (scripts/bench-catalog
 * builds and runs it).
 *
 *   catalog_bench DB N PEERDIR [reuse]
 *
 * Inserts N members through the dump commit (archives of 100 000 members,
 * every member with an MD5; the first archive is one directory of 100 000
 * files, the others a tree of instrument/day/run/frame files), reopens the
 * catalog, then measures: lookup of 100 000 random paths (p50, p99), the
 * listing of the 100 000-entry directory, catalog bytes per member, peak
 * RSS. The peer is the local filesystem: stat() of random paths in, and
 * readdir()+lstat() of, a directory of 100 000 empty files in PEERDIR
 * (created when missing). Prints "key value" lines for the script.
 * "reuse" skips the insert: DB was filled by this program with N.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"

#define PER_ARCHIVE 100000
#define BIG 100000
#define LOOKUPS 100000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The path of member i (deterministic, so lookups can name any). */
static void member_path(uint64_t i, char *buf, size_t len)
{
	if (i < BIG) {
		snprintf(buf, len, "big/frame_%07llu.tif",
			 (unsigned long long)i);
		return;
	}
	snprintf(buf, len, "inst%llu/day%05llu/run%03llu/frame_%07llu.tif",
		 (unsigned long long)(i % 7),
		 (unsigned long long)(i / 100000),
		 (unsigned long long)(i / 1000 % 100),
		 (unsigned long long)i);
}

static int insert(struct catalog *cat, uint64_t n)
{
	struct catalog_tape ta = { .barcode = "BENCH01", .pool = "A" };
	struct catalog_tape tb = { .barcode = "BENCH02", .pool = "B" };
	struct catalog_member m;
	char path[128];
	uint64_t i = 0;
	int64_t fileno = 0;
	int ret;

	if ((ret = catalog_tape_add(cat, &ta)) < 0 ||
	    (ret = catalog_tape_add(cat, &tb)) < 0)
		return ret;
	while (i < n) {
		struct catalog_archive_in ai = { .bytes = 1ull << 30,
						 .block_size = 262144 };
		struct catalog_copy_in cp[2] = {
			{ "BENCH01", ++fileno, (uint64_t)fileno * 5000,
			  1ull << 30 },
			{ "BENCH02", fileno, (uint64_t)fileno * 5000,
			  1ull << 30 },
		};
		struct catalog_commit *c;
		uint64_t off = 0;
		int64_t dump;

		ret = catalog_dump_create(cat, NULL, 0, &dump);
		if (ret == 0)
			ret = catalog_commit_begin(cat, dump, &ai, cp, 2, &c);
		if (ret < 0)
			return ret;
		for (uint64_t k = 0; k < PER_ARCHIVE && i < n; k++, i++) {
			memset(&m, 0, sizeof(m));
			member_path(i, path, sizeof(path));
			m.path = path;
			m.type = CATALOG_FILE;
			m.size = 1000 + i % 100000;
			m.mode = S_IFREG | 0644;
			m.uid = 1000;
			m.gid = 1000;
			m.mtime = 1700000000 + (int64_t)(i % 86400);
			m.mtime_nsec = (int32_t)(i * 7919 % 1000000000);
			snprintf(m.md5, sizeof(m.md5), "%016llx%016llx",
				 (unsigned long long)(i * 0x9E3779B97F4A7C15ull),
				 (unsigned long long)~i);
			m.header_offset = off;
			m.data_offset = off + 1536;
			off += 1536 + (m.size + 511) / 512 * 512;
			ret = catalog_commit_member(c, &m);
			if (ret < 0) {
				catalog_commit_abort(c);
				return ret;
			}
		}
		ret = catalog_commit_end(c, NULL);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void percentiles(double *v, size_t n, double *p50, double *p99)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*p50 = v[n / 2];
	*p99 = v[n * 99 / 100];
}

static int count_entry(void *ctx, const char *name,
		       const struct catalog_member *m)
{
	(void)name;
	(void)m;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int peer_make(const char *dir)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/frame_%07d.tif", dir, BIG - 1);
	if (stat(path, &st) == 0)
		return 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	for (int i = 0; i < BIG; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/frame_%07d.tif", dir, i);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	return 0;
}

static double peer_list(const char *dir, uint64_t *n)
{
	char path[4096];
	struct dirent *e;
	struct stat st;
	double t0 = now();
	DIR *d = opendir(dir);

	*n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0)
			(*n)++;
	}
	closedir(d);
	return now() - t0;
}

int main(int argc, char **argv)
{
	struct catalog *cat;
	struct catalog_member m;
	struct rusage ru;
	struct stat st;
	char path[4096];
	uint64_t n, listed = 0, peer_n = 0;
	double t0, t1, cpu0, cpu1, *lat, p50, p99, list_s, peer_list_s, pp50, pp99;
	unsigned seed = 12345;
	int ret;

	if (argc != 4 && argc != 5)
		return 2;
	n = strtoull(argv[2], NULL, 10);
	if (n < BIG)
		n = BIG;
	if (argc == 5 && strcmp(argv[4], "reuse") == 0)
		goto lookups; /* a catalog this program filled with n */
	unlink(argv[1]);
	ret = catalog_open(&cat, argv[1]);
	if (ret < 0)
		return 1;
	getrusage(RUSAGE_SELF, &ru);
	cpu0 = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	t0 = now();
	ret = insert(cat, n);
	t1 = now();
	getrusage(RUSAGE_SELF, &ru);
	cpu1 = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (ret < 0) {
		fprintf(stderr, "insert: %s\n", strerror(-ret));
		return 1;
	}
	catalog_close(cat);
	printf("members %llu\n", (unsigned long long)n);
	printf("insert_s %.2f\n", t1 - t0);
	printf("insert_rate %.0f\n", (double)n / (t1 - t0));
	printf("insert_cpu_s %.2f\n", cpu1 - cpu0);
	if (stat(argv[1], &st) < 0)
		return 1;
	printf("bytes_per_member %.1f\n", (double)st.st_size / (double)n);
	/* Measure lookups on a catalog at rest, not against the write-back
	 * of the gigabytes just inserted. */
	t0 = now();
	sync();
	printf("sync_s %.2f\n", now() - t0);

lookups:
	if (catalog_open(&cat, argv[1]) < 0)
		return 1;
	lat = calloc(LOOKUPS, sizeof(*lat));
	if (!lat)
		return 1;
	for (int i = 0; i < LOOKUPS; i++) {
		uint64_t k = ((uint64_t)rand_r(&seed) << 31 ^
			      (uint64_t)rand_r(&seed)) % n;

		member_path(k, path, sizeof(path));
		t0 = now();
		ret = catalog_ns_lookup(cat, path, &m);
		lat[i] = now() - t0;
		if (ret < 0 || m.size != 1000 + k % 100000) {
			fprintf(stderr, "lookup %s: %d\n", path, ret);
			return 1;
		}
		catalog_member_release(&m);
	}
	percentiles(lat, LOOKUPS, &p50, &p99);
	printf("lookup_p50_us %.1f\nlookup_p99_us %.1f\n", p50 * 1e6,
	       p99 * 1e6);
	t0 = now();
	ret = catalog_ns_list(cat, "big", NULL, count_entry, &listed);
	list_s = now() - t0;
	if (ret < 0 || listed != BIG)
		return 1;
	printf("list_entries %llu\nlist_s %.3f\n", (unsigned long long)listed,
	       list_s);
	catalog_close(cat);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak_rss_mb %.1f\n", (double)ru.ru_maxrss / 1024.0);

	/* the peer: the local filesystem */
	if (peer_make(argv[3]) < 0)
		return 1;
	peer_list_s = peer_list(argv[3], &peer_n);
	if (peer_n != BIG)
		return 1;
	for (int i = 0; i < LOOKUPS; i++) {
		snprintf(path, sizeof(path), "%s/frame_%07d.tif", argv[3],
			 rand_r(&seed) % BIG);
		t0 = now();
		ret = stat(path, &st);
		lat[i] = now() - t0;
		if (ret < 0)
			return 1;
	}
	percentiles(lat, LOOKUPS, &pp50, &pp99);
	printf("peer_stat_p50_us %.1f\npeer_stat_p99_us %.1f\n", pp50 * 1e6,
	       pp99 * 1e6);
	printf("peer_list_s %.3f\n", peer_list_s);
	free(lat);
	return 0;
}
