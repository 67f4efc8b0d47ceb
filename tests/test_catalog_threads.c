/* tests/test_catalog_threads.c - several threads read while one writes:
 * readers never fail, never wait for an open write transaction, and never
 * see half a commit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define READERS 6
#define DUMPS	40
#define MEMBERS 50

static struct catalog *cat;
static volatile int writer_done;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards below */
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int in_txn, reader_saw;
static int reader_errors, torn, reads;

static int commit_one(int64_t k, struct catalog_commit **keep)
{
	struct catalog_archive_in ai = {.bytes = 1, .block_size = 512};
	struct catalog_copy_in cp = {"T", k, 0, 1};
	struct catalog_member m;
	struct catalog_commit *c;
	char path[64];
	int64_t dump;
	int ret;

	ret = catalog_dump_create(cat, NULL, 0, &dump);
	if (ret == 0)
		ret = catalog_commit_begin(cat, dump, &ai, &cp, 1, &c);
	for (int j = 0; ret == 0 && j < MEMBERS; j++) {
		memset(&m, 0, sizeof(m));
		snprintf(path, sizeof(path), "a%lld/f%d", (long long)k, j);
		m.path = path;
		m.type = CATALOG_FILE;
		m.mode = S_IFREG | 0600;
		m.size = (uint64_t)k;
		m.header_offset = (uint64_t)j * 512;
		m.data_offset = m.header_offset + 512;
		ret = catalog_commit_member(c, &m);
	}
	if (ret < 0)
		return ret;
	if (keep) {
		*keep = c;
		return 0;
	}
	return catalog_commit_end(c, NULL);
}

static int count_entry(void *ctx, const char *name,
		       const struct catalog_member *m)
{
	(void)name;
	(void)m;
	(*(int *)ctx)++;
	return 0;
}

static void *reader(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!writer_done) {
		struct catalog_member m;
		char path[64];
		int k = 1 + (int)(rand_r(&seed) % DUMPS), n = 0, ret;

		snprintf(path, sizeof(path), "a%d", k);
		ret = catalog_ns_list(cat, path, NULL, count_entry, &n);
		pthread_mutex_lock(&lock);
		reads++;
		if (ret == 0 && n != MEMBERS)
			torn++; /* a directory with part of its dump */
		else if (ret < 0 && ret != -ENOENT)
			reader_errors++;
		pthread_mutex_unlock(&lock);
		snprintf(path, sizeof(path), "a%d/f%d", k,
			 (int)(rand_r(&seed) % MEMBERS));
		ret = catalog_ns_lookup(cat, path, &m);
		if (ret == 0) {
			if (m.size != (uint64_t)k)
				torn++;
			catalog_member_release(&m);
		} else if (ret != -ENOENT) {
			pthread_mutex_lock(&lock);
			reader_errors++;
			pthread_mutex_unlock(&lock);
		}
	}
	return NULL;
}

static void test_readers_and_writer(void)
{
	pthread_t th[READERS];

	for (int i = 0; i < READERS; i++)
		pthread_create(&th[i], NULL, reader,
			       (void *)(uintptr_t)(i + 1));
	for (int k = 1; k <= DUMPS; k++)
		CHECK_INT(commit_one(k, NULL), 0);
	writer_done = 1;
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(reader_errors, 0);
	CHECK_INT(torn, 0);
	CHECK(reads > 0);
	fprintf(stderr, "# %d listings during %d commits\n", reads, DUMPS);
}

/* While a commit is open (write lock held), a reader still answers and
 * does not see it. */
static void *isolated_reader(void *arg)
{
	struct catalog_member m;
	int old, fresh;

	(void)arg;
	pthread_mutex_lock(&lock);
	while (!in_txn)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	old = catalog_ns_lookup(cat, "a1/f1", &m);
	if (old == 0)
		catalog_member_release(&m);
	fresh = catalog_ns_lookup(cat, "a41/f1", &m);
	if (fresh == 0)
		catalog_member_release(&m);
	pthread_mutex_lock(&lock);
	reader_saw = (old == 0 && fresh == -ENOENT) ? 1 : -1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void test_read_during_write(void)
{
	struct catalog_commit *c = NULL;
	struct catalog_member m;
	struct timespec until;
	pthread_t th;

	pthread_create(&th, NULL, isolated_reader, NULL);
	CHECK_INT(commit_one(41, &c), 0);
	pthread_mutex_lock(&lock);
	in_txn = 1;
	pthread_cond_broadcast(&cond);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	while (!reader_saw &&
	       pthread_cond_timedwait(&cond, &lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&lock);
	/* the reader finished while the transaction was still open */
	CHECK_INT(reader_saw, 1);
	CHECK_INT(catalog_commit_end(c, NULL), 0);
	pthread_join(th, NULL);
	CHECK_INT(catalog_ns_lookup(cat, "a41/f1", &m), 0);
	catalog_member_release(&m);
}

int main(void)
{
	struct catalog_tape t = {.barcode = "T", .pool = "A"};

	cat = fx_catalog("threads.db");
	if (!cat)
		return check_done();
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	RUN(test_readers_and_writer);
	RUN(test_read_during_write);
	CHECK_INT(catalog_check(cat, 0, NULL, 0, NULL, NULL), 0);
	catalog_close(cat);
	return check_done();
}
