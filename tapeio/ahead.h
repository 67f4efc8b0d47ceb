/* tapeio/ahead.h - long-lived threads for the tar reader's read-ahead
 * (tapeio/tarr.c), and for the recall jobs' checkers, which hash what a
 * drive reads beside it (fs/engine/recall_check.c).
 *
 * Every walk of an archive and every member read by its offset reads
 * ahead on a thread of its own. Starting and joining a thread for each
 * one costs more than reading a small archive (and under
 * AddressSanitizer each thread ever started keeps some memory): instead a
 * job is handed to an idle thread of this pool, and a new thread is made
 * only when none is idle. Threads are never ended; there are as many as
 * jobs ever ran at once (one per walk or member read in progress).
 *
 * A job says itself when it is finished (the caller's own lock and
 * condition): the pool only runs it. After fn returns, the thread does
 * not touch the job any more.
 */
#ifndef TAPEFS_AHEAD_H
#define TAPEFS_AHEAD_H

struct ahead_job {
	void (*fn)(void *arg);
	void *arg;
	struct ahead_job *next; /* the pool's queue */
};

/* Run job->fn(job->arg) on an idle thread of the pool, or on a new one.
 * job stays owned by the caller and must live until fn has returned.
 * Returns 0, or -EAGAIN when no thread could be made (fn never runs). */
int ahead_run(struct ahead_job *job);

#endif
