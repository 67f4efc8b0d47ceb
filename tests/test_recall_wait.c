/* tests/test_recall_wait.c - reads parked in the recall engine, without a
 * mount: two members (3 MiB and 1 MiB, no chunk digests: each is read
 * whole) on one vtape modelled at 1 MB/s, really slept. 300 reads of the
 * uncached member are submitted from one thread: each is parked at once
 * (recall_read_submit returns 1 without waiting), the process has no
 * more threads than before, `.status`'s count of waiting reads is 300,
 * and once the recall lands every read is answered through its reply
 * function with the member's bytes. A parked read taken back
 * (recall_read_cancel) is never answered by the engine, while the other
 * read of the same member is; a read past the end is answered at once.
 * A handle given back while a read of it is parked (what a session that
 * ended leaves) answers that read with ESHUTDOWN, once, and it waits no
 * more.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"
#include "tapeio/sched.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"
#include "tests/lib_recall.h"

#define BS     (64 * 1024)
#define SIZE_A (3u << 20)
#define SIZE_B (1u << 20)
#define NREADS 300
#define RLEN   4096

static const char *bc = "A00001L9";
static struct tapefs fs;
static struct fx_recall rx; /* fs's engine, on lib/ */
static int64_t id_a, id_b;
static unsigned char *want_a, *want_b;

/* One read's answer. */
struct answer {
	unsigned char buf[RLEN];
	ssize_t n;
	int calls;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int answered; /* replies so far, under mu */

static void reply(void *arg, const void *buf, ssize_t n)
{
	struct answer *a = arg;

	pthread_mutex_lock(&mu);
	a->n = n;
	if (n > 0)
		memcpy(a->buf, buf, (size_t)n < RLEN ? (size_t)n : RLEN);
	a->calls++;
	answered++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Until count replies came, or 60 s: the replies counted. */
static int wait_answers(int count)
{
	struct timespec until;
	int n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 60;
	pthread_mutex_lock(&mu);
	while (answered < count &&
	       pthread_cond_timedwait(&cv, &mu, &until) == 0)
		;
	n = answered;
	pthread_mutex_unlock(&mu);
	return n;
}

static int threads_now(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	if (fp)
		fclose(fp);
	return n;
}

static int member_id(const char *path, int64_t *id)
{
	struct catalog_member cm = {0};
	int ret = catalog_ns_lookup(fs.cat, path, &cm);

	*id = cm.id;
	catalog_member_release(&cm);
	return ret;
}

static void member_in(struct catalog_member *cm, const char *path,
		      uint64_t size, const struct tar_member *tm)
{
	memset(cm, 0, sizeof(*cm));
	cm->path = (char *)path;
	cm->type = CATALOG_FILE;
	cm->size = size;
	cm->mode = S_IFREG | 0644;
	memcpy(cm->md5, tm->md5, 33);
	cm->header_offset = tm->header_offset;
	cm->data_offset = tm->data_offset;
}

/* Both members in one archive on the tape, committed; then the tape's
 * model: 1 MB/s, slept. */
static int setup(void)
{
	struct fx_lib lib = {.drives = 1,
			     .slots = 2,
			     .tapes = 1,
			     .capacity = 64 << 20,
			     .pools = 1,
			     .block_size = BS};
	struct tarw_opts o = {.block_size = BS};
	struct catalog_archive_in ai = {.block_size = BS};
	struct vtape_model m = {.rate_mbps = 1, .time_scale = 1};
	struct catalog_copy_in ci;
	struct catalog_member cm[2];
	struct tarw_source src[2];
	struct tape *t = NULL;
	struct fx_archive a;
	char img[1200];
	int64_t dump;
	int ret;

	fx_recall_image(&rx, bc, img, sizeof(img));
	if ((ret = fx_lib_setup(rx.lib, &lib)) ||
	    (ret = fx_make_file("a.bin", SIZE_A, 5)) ||
	    (ret = fx_make_file("b.bin", SIZE_B, 6)) ||
	    (ret = fx_source(&src[0], "a.bin")) ||
	    (ret = fx_source(&src[1], "b.bin")) ||
	    (ret = fx_recall_tape(&rx, bc, "A", 64 << 20, &t)) ||
	    (ret = fx_write_archive(&t, 1, src, 2, &o, &a)))
		return ret ? ret : -EIO;
	tape_close(t);
	ci = (struct catalog_copy_in){bc, 1, a.start[0], a.bytes};
	ai.bytes = a.bytes;
	member_in(&cm[0], "a.bin", SIZE_A, &a.members[0]);
	member_in(&cm[1], "b.bin", SIZE_B, &a.members[1]);
	ret = catalog_dump_create(fs.cat, NULL, 0, &dump);
	if (!ret)
		ret =
		    catalog_dump_commit(fs.cat, dump, &ai, &ci, 1, cm, 2, NULL);
	fx_archive_free(&a);
	if (!ret && !(ret = member_id("a.bin", &id_a)))
		ret = member_id("b.bin", &id_b);
	want_a = malloc(SIZE_A);
	want_b = malloc(SIZE_B);
	if (!want_a || !want_b)
		return -ENOMEM;
	fx_fill(want_a, SIZE_A, 5);
	fx_fill(want_b, SIZE_B, 6);
	return ret ? ret : vtape_set_model(img, &m);
}

static off_t read_off(int i)
{
	return (off_t)(((uint64_t)i * 10007) % (SIZE_A - RLEN));
}

static void test_parked_reads(void)
{
	static struct answer ans[NREADS];
	static uint64_t token[NREADS];
	struct recall_stats st;
	struct recall_handle *h;
	int parked = 0, before, good = 0;

	CHECK_INT(recall_open(fs.recall, id_a, 0, NULL, &h), 0);
	if (!h)
		return;
	before = threads_now();
	for (int i = 0; i < NREADS; i++)
		parked += recall_read_submit(h, RLEN, read_off(i), reply,
					     &ans[i], &token[i]) == 1;
	CHECK_INT(parked, NREADS);
	CHECK_INT(threads_now(), before); /* waiting reads hold no thread */
	for (int i = 0; i < NREADS; i++)
		recall_read_arm(fs.recall, token[i]);
	/* 3 MiB at 1 MB/s: the recall takes 3 s, slept */
	recall_stats(fs.recall, &st);
	CHECK_INT(st.waiting, NREADS);
	CHECK_INT(recall_state(fs.recall, id_a), RECALL_RECALLING);
	CHECK_INT(wait_answers(NREADS), NREADS);
	for (int i = 0; i < NREADS; i++)
		good += ans[i].calls == 1 && ans[i].n == RLEN &&
			!memcmp(ans[i].buf, want_a + read_off(i), RLEN);
	CHECK_INT(good, NREADS);
	recall_stats(fs.recall, &st);
	CHECK_INT(st.waiting, 0);
	CHECK_INT(recall_state(fs.recall, id_a), RECALL_CACHED);
	recall_release(h);
}

static void test_cancel(void)
{
	struct answer gone = {0}, kept = {0}, past = {0};
	struct recall_stats st;
	struct recall_handle *h;
	uint64_t t1 = 0, t2 = 0, t3 = 0;
	int base;

	CHECK_INT(recall_open(fs.recall, id_b, 0, NULL, &h), 0);
	if (!h)
		return;
	pthread_mutex_lock(&mu);
	base = answered;
	pthread_mutex_unlock(&mu);
	/* past the end: answered at once, 0 bytes */
	CHECK_INT(recall_read_submit(h, RLEN, SIZE_B, reply, &past, &t3), 0);
	CHECK_INT(past.calls, 1);
	CHECK_INT(past.n, 0);
	CHECK_INT(recall_read_submit(h, RLEN, 0, reply, &gone, &t1), 1);
	CHECK_INT(recall_read_submit(h, RLEN, SIZE_B - RLEN, reply, &kept, &t2),
		  1);
	recall_read_arm(fs.recall, t1);
	recall_read_arm(fs.recall, t2);
	CHECK_INT(recall_read_cancel(fs.recall, t1), 1);
	recall_stats(fs.recall, &st);
	CHECK_INT(st.waiting, 1);
	CHECK_INT(recall_read_cancel(fs.recall, t1), 0); /* already taken */
	CHECK_INT(wait_answers(base + 2), base + 2);	 /* past and kept */
	CHECK_INT(kept.calls, 1);
	CHECK_INT(kept.n, RLEN);
	CHECK_INT(memcmp(kept.buf, want_b + SIZE_B - RLEN, RLEN), 0);
	CHECK_INT(recall_read_cancel(fs.recall, t2), 0); /* answered */
	usleep(200000);
	CHECK_INT(gone.calls, 0); /* the taken back read: never answered */
	recall_stats(fs.recall, &st);
	CHECK_INT(st.waiting, 0);
	recall_release(h);
}

static void test_release_parked(void)
{
	struct answer a = {0};
	struct recall_stats st;
	struct recall_handle *h;
	uint64_t t = 0;
	int base;

	CHECK_INT(recall_drop(fs.recall, id_b), 0); /* offline again */
	CHECK_INT(recall_open(fs.recall, id_b, 0, NULL, &h), 0);
	if (!h)
		return;
	pthread_mutex_lock(&mu);
	base = answered;
	pthread_mutex_unlock(&mu);
	CHECK_INT(recall_read_submit(h, RLEN, 0, reply, &a, &t), 1);
	recall_read_arm(fs.recall, t);
	recall_release(h);
	CHECK_INT(wait_answers(base + 1), base + 1);
	CHECK_INT(a.calls, 1);
	CHECK_INT(a.n, -ESHUTDOWN);
	recall_stats(fs.recall, &st);
	CHECK_INT(st.waiting, 0);
	usleep(200000);
	CHECK_INT(a.calls, 1); /* never answered again */
}

int main(void)
{
	if (!fx_recall_up(&rx, &fs, 1, 0, setup)) {
		RUN(test_parked_reads);
		RUN(test_cancel);
		RUN(test_release_parked);
	}
	fx_recall_fini(&rx);
	free(want_a);
	free(want_b);
	return check_done();
}
