/* tests/bench/catalog_bench.c - the catalog at scale (scripts/bench-catalog
 * and scripts/bench-mount build and run it).
 *
 *   catalog_bench DB N PEERDIR [reuse]
 *   catalog_bench fill DB N
 *   catalog_bench paths N COUNT SEED [notree|local]
 *   catalog_bench localtree DIR N
 *
 * The members: N of them (at least MIN_MEMBERS), inserted through the dump
 * commit in archives of 100 000, every member with an MD5. The first BIG(N)
 * (N / 10, at most 100 000) are one directory, big/; the next TREE(N) (N /
 * 10 in directories of 1000, at most 1 000 000) the subtree tree/dNNNN/;
 * the others a tree of instrument/day/run/frame files.
 *
 * The first form inserts them, reopens the catalog, then measures: lookup
 * of 100 000 random paths (p50, p99), the listing of big/, catalog bytes per
 * member, peak RSS. The peer is the local filesystem: stat() of random
 * paths in, and readdir()+lstat() of, PEERDIR/big, made as localtree makes
 * it (when missing). "reuse" skips the insert: DB was filled with N.
 * "fill" only inserts. "paths" prints COUNT random member paths (seeded by
 * SEED; notree: none of tree/; local: only of big/ and tree/), one a line.
 * "localtree" makes DIR/big/ and DIR/tree/ as empty local files with the
 * members' names (the peer of a mount), unless DIR/tree/.done says they are
 * there. Prints "key value" lines for the scripts.
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
#define LOOKUPS	    100000
#define MIN_MEMBERS 20000
#define TREE_DIR    1000 /* files per directory of tree/ */

/* The sizes of big/ and of tree/ for n members. */
static uint64_t big_n(uint64_t n)
{
	return n / 10 < 100000 ? n / 10 : 100000;
}

static uint64_t tree_n(uint64_t n)
{
	uint64_t t = n / 10 < 1000000 ? n / 10 : 1000000;

	return t / TREE_DIR * TREE_DIR;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The path of member i of n (deterministic, so lookups can name any). */
static void member_path(uint64_t n, uint64_t i, char *buf, size_t len)
{
	uint64_t big = big_n(n), tree = tree_n(n);

	if (i < big) {
		snprintf(buf, len, "big/frame_%07llu.tif",
			 (unsigned long long)i);
		return;
	}
	if (i < big + tree) {
		snprintf(buf, len, "tree/d%04llu/frame_%07llu.tif",
			 (unsigned long long)((i - big) / TREE_DIR),
			 (unsigned long long)i);
		return;
	}
	snprintf(buf, len, "inst%llu/day%05llu/run%03llu/frame_%07llu.tif",
		 (unsigned long long)(i % 7), (unsigned long long)(i / 100000),
		 (unsigned long long)(i / 1000 % 100), (unsigned long long)i);
}

static int insert(struct catalog *cat, uint64_t n)
{
	struct catalog_tape ta = {.barcode = "BENCH01", .pool = "A"};
	struct catalog_tape tb = {.barcode = "BENCH02", .pool = "B"};
	struct catalog_member m;
	char path[128];
	uint64_t i = 0;
	int64_t fileno = 0;
	int ret;

	if ((ret = catalog_tape_add(cat, &ta)) < 0 ||
	    (ret = catalog_tape_add(cat, &tb)) < 0)
		return ret;
	while (i < n) {
		struct catalog_archive_in ai = {.bytes = 1ull << 30,
						.block_size = 262144};
		struct catalog_copy_in cp[2] = {
		    {"BENCH01", ++fileno, (uint64_t)fileno * 5000, 1ull << 30},
		    {"BENCH02", fileno, (uint64_t)fileno * 5000, 1ull << 30},
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
			member_path(n, i, path, sizeof(path));
			m.path = path;
			m.type = CATALOG_FILE;
			m.size = 1000 + i % 100000;
			m.mode = S_IFREG | 0644;
			m.uid = 1000;
			m.gid = 1000;
			m.mtime = 1700000000 + (int64_t)(i % 86400);
			m.mtime_nsec = (int32_t)(i * 7919 % 1000000000);
			snprintf(
			    m.md5, sizeof(m.md5), "%016llx%016llx",
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

/* Make dir/rel (and its parents) unless it is there. */
static int mkdirs(const char *dir, const char *rel)
{
	char path[4096];
	size_t len;

	len = (size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Empty files dir/PATH for members [from, to) of n, unless the marker
 * dir/done is there; then the marker. */
static int local_make(const char *dir, const char *done, uint64_t n,
		      uint64_t from, uint64_t to)
{
	char path[4096], rel[128];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, done);
	if (stat(path, &st) == 0)
		return 0;
	for (uint64_t i = from; i < to; i++) {
		member_path(n, i, rel, sizeof(rel));
		if ((i - from) % TREE_DIR == 0) {
			*strrchr(rel, '/') = 0;
			int ret = mkdirs(dir, rel);

			if (ret < 0)
				return ret;
			member_path(n, i, rel, sizeof(rel));
		}
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, done);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static double peer_list(const char *dir, uint64_t *n)
{
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
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			(*n)++;
	}
	closedir(d);
	return now() - t0;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Insert n members into a new catalog db; prints the insert figures. */
static int fill(const char *db, uint64_t n)
{
	struct catalog *cat;
	struct stat st;
	double t0, t1, cpu0;
	int ret;

	unlink(db);
	ret = catalog_open(&cat, db);
	if (ret < 0)
		return ret;
	cpu0 = cpu_seconds();
	t0 = now();
	ret = insert(cat, n);
	t1 = now();
	catalog_close(cat);
	if (ret < 0) {
		fprintf(stderr, "insert: %s\n", strerror(-ret));
		return ret;
	}
	printf("members %llu\n", (unsigned long long)n);
	printf("insert_s %.2f\n", t1 - t0);
	printf("insert_rate %.0f\n", (double)n / (t1 - t0));
	printf("insert_cpu_s %.2f\n", cpu_seconds() - cpu0);
	if (stat(db, &st) < 0)
		return -errno;
	printf("bytes_per_member %.1f\n", (double)st.st_size / (double)n);
	/* Measure lookups on a catalog at rest, not against the write-back
	 * of the gigabytes just inserted. */
	t0 = now();
	sync();
	printf("sync_s %.2f\n", now() - t0);
	return 0;
}

/* Random member k of n (two rand_r() draws: n may exceed RAND_MAX). */
static uint64_t pick(unsigned *seed, uint64_t n)
{
	return ((uint64_t)rand_r(seed) << 31 ^ (uint64_t)rand_r(seed)) % n;
}

/* Lookups of random paths and the listing of big/, from the catalog. */
static int measure_catalog(const char *db, uint64_t n, double *lat)
{
	struct catalog *cat;
	struct catalog_member m;
	char path[128];
	unsigned seed = 12345;
	uint64_t listed = 0;
	double t0, p50, p99;
	int ret;

	if (catalog_open(&cat, db) < 0)
		return -EIO;
	for (int i = 0; i < LOOKUPS; i++) {
		uint64_t k = pick(&seed, n);

		member_path(n, k, path, sizeof(path));
		t0 = now();
		ret = catalog_ns_lookup(cat, path, &m);
		lat[i] = now() - t0;
		if (ret < 0 || m.size != 1000 + k % 100000) {
			fprintf(stderr, "lookup %s: %d\n", path, ret);
			catalog_close(cat);
			return -EIO;
		}
		catalog_member_release(&m);
	}
	percentiles(lat, LOOKUPS, &p50, &p99);
	printf("lookup_p50_us %.1f\nlookup_p99_us %.1f\n", p50 * 1e6,
	       p99 * 1e6);
	t0 = now();
	ret = catalog_ns_list(cat, "big", NULL, count_entry, &listed);
	printf("list_entries %llu\nlist_s %.3f\n", (unsigned long long)listed,
	       now() - t0);
	catalog_close(cat);
	return ret < 0 || listed != big_n(n) ? -EIO : 0;
}

/* The peer: stat() of random files of, and readdir + lstat of, big/ on
 * the local filesystem under dir. */
static int measure_peer(const char *dir, uint64_t n, double *lat)
{
	char path[4096], big[4096];
	unsigned seed = 54321;
	uint64_t peer_n = 0;
	struct stat st;
	double t0, list_s, p50, p99;

	if (local_make(dir, "big/.done", n, 0, big_n(n)) < 0)
		return -EIO;
	snprintf(big, sizeof(big), "%s/big", dir);
	list_s = peer_list(big, &peer_n);
	if (peer_n != big_n(n))
		return -EIO;
	for (int i = 0; i < LOOKUPS; i++) {
		char rel[128];

		member_path(n, pick(&seed, big_n(n)), rel, sizeof(rel));
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		t0 = now();
		if (stat(path, &st) < 0)
			return -errno;
		lat[i] = now() - t0;
	}
	percentiles(lat, LOOKUPS, &p50, &p99);
	printf("peer_stat_p50_us %.1f\npeer_stat_p99_us %.1f\n", p50 * 1e6,
	       p99 * 1e6);
	printf("peer_list_s %.3f\n", list_s);
	return 0;
}

static int measure(const char *db, uint64_t n, const char *peerdir, int reuse)
{
	struct rusage ru;
	double *lat;
	int ret;

	if (!reuse && fill(db, n) < 0)
		return 1;
	lat = calloc(LOOKUPS, sizeof(*lat));
	if (!lat)
		return 1;
	ret = measure_catalog(db, n, lat);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak_rss_mb %.1f\n", (double)ru.ru_maxrss / 1024.0);
	if (ret == 0)
		ret = measure_peer(peerdir, n, lat);
	free(lat);
	return ret < 0;
}

/* count random member paths of n, one a line; notree: none of tree/;
 * local: only of big/ and tree/ (what localtree makes). */
static int paths(uint64_t n, uint64_t count, unsigned seed, const char *only)
{
	uint64_t lo = big_n(n), hi = lo + tree_n(n);
	int notree = !strcmp(only, "notree"), local = !strcmp(only, "local");
	char path[128];

	if (notree && hi - lo >= n)
		return 1;
	while (count) {
		uint64_t k = pick(&seed, local ? hi : n);

		if (notree && k >= lo && k < hi)
			continue;
		member_path(n, k, path, sizeof(path));
		printf("%s\n", path);
		count--;
	}
	return 0;
}

static uint64_t members(const char *arg)
{
	uint64_t n = strtoull(arg, NULL, 10);

	return n < MIN_MEMBERS ? MIN_MEMBERS : n;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "fill"))
		return fill(argv[2], members(argv[3])) < 0;
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "paths"))
		return paths(members(argv[2]), strtoull(argv[3], NULL, 10),
			     (unsigned)strtoul(argv[4], NULL, 10),
			     argc == 6 ? argv[5] : "");
	if (argc == 4 && !strcmp(argv[1], "localtree")) {
		uint64_t n = members(argv[3]), big = big_n(n);

		return local_make(argv[2], "big/.done", n, 0, big) < 0 ||
		       local_make(argv[2], "tree/.done", n, big,
				  big + tree_n(n)) < 0;
	}
	if (argc == 4 || (argc == 5 && !strcmp(argv[4], "reuse")))
		return measure(argv[1], members(argv[2]), argv[3], argc == 5);
	fprintf(stderr,
		"usage: catalog_bench DB N PEERDIR [reuse] | fill DB N"
		" | paths N COUNT SEED [notree|local] | localtree DIR N\n");
	return 2;
}
