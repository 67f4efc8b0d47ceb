/* tests/test_ahead.c - the read-ahead pool (tapeio/ahead.h): every job
 * handed runs; jobs handed while others still run all run at once (a walk
 * on one drive never waits for a walk on another to end); jobs handed one
 * after the other reuse the pool's threads instead of making one each. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "tapeio/ahead.h"
#include "tests/check.h"

#define SERIAL	 200
#define PARALLEL 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ran, started, saw_all;

/* Threads of this process now. */
static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void count(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	ran++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* Wait (30 s at most, so that a broken pool fails instead of hanging)
 * until *n reaches want. */
static void wait_for(const int *n, int want)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&lock);
	while (*n < want &&
	       pthread_cond_timedwait(&cond, &lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&lock);
}

static void test_serial(void)
{
	struct ahead_job job = {.fn = count};
	int before = threads(), i;

	for (i = 0; i < SERIAL; i++) {
		CHECK_INT(ahead_run(&job), 0);
		wait_for(&ran, i + 1);
	}
	CHECK_INT(ran, SERIAL);
	/* a thread per job would be SERIAL more; a finishing thread may not
	 * be idle yet when the next job comes, so allow a few */
	CHECK(threads() - before < 20);
}

/* Wait until every PARALLEL job has started. */
static void rendezvous(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	started++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	wait_for(&started, PARALLEL);
	pthread_mutex_lock(&lock);
	saw_all += started == PARALLEL;
	ran++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void test_parallel(void)
{
	struct ahead_job jobs[PARALLEL];

	ran = 0;
	for (int i = 0; i < PARALLEL; i++) {
		jobs[i] = (struct ahead_job){.fn = rendezvous};
		CHECK_INT(ahead_run(&jobs[i]), 0);
	}
	wait_for(&ran, PARALLEL);
	CHECK_INT(ran, PARALLEL);
	CHECK_INT(saw_all, PARALLEL);
}

int main(void)
{
	test_serial();
	test_parallel();
	return check_done();
}
