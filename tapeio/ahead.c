/* tapeio/ahead.c - long-lived threads for the tar reader's read-ahead
 * (tapeio/ahead.h).
 *
 * One queue of jobs under one lock. idle counts the threads waiting for
 * a job that no queued job has claimed yet: ahead_run() claims one
 * (idle--) or makes a thread, so every queued job has a thread that will
 * take it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "tapeio/ahead.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct ahead_job *head, **tail = &head;
static unsigned idle;

static void *ahead_main(void *arg)
{
	struct ahead_job *job;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (!head)
			pthread_cond_wait(&more, &lock);
		job = head;
		head = job->next;
		if (!head)
			tail = &head;
		pthread_mutex_unlock(&lock);
		job->fn(job->arg); /* job may be gone once fn returned */
		pthread_mutex_lock(&lock);
		idle++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

/* A new detached thread of the pool, with every signal blocked (the
 * process's signal handling stays with the threads that asked for it). */
static int ahead_spawn(void)
{
	sigset_t all, old;
	pthread_attr_t at;
	pthread_t th;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&th, &at, ahead_main, NULL);
	pthread_attr_destroy(&at);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret ? -EAGAIN : 0;
}

int ahead_run(struct ahead_job *job)
{
	int ret = 0;

	pthread_mutex_lock(&lock);
	if (idle)
		idle--;
	else
		ret = ahead_spawn();
	if (!ret) {
		job->next = NULL;
		*tail = job;
		tail = &job->next;
		pthread_cond_signal(&more);
	}
	pthread_mutex_unlock(&lock);
	return ret;
}
