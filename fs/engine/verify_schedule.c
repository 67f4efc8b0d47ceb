/* fs/engine/verify_schedule.c - verification on a schedule: with
 * [verify] every = AGE, a thread of the engine looks at the start and
 * then every VERIFY_TICK seconds whether a good copy was last verified
 * more than AGE ago (or never); if so, and no run goes on and no job waits
 * for a drive, it starts verify_request_due() (sample = [verify] sample).
 * Its jobs are queued at the lowest priority and give their drive up
 * between archives to a recall or a dump that waits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "fs/engine/tapefs.h"
#include "fs/engine/verify_int.h"

int verify_schedule_tick(struct verify *v)
{
	const struct tapefs_config *cfg = &v->fs->cfg;
	int64_t run = 0;
	int going, ret;

	if (!cfg->verify_every)
		return 0;
	pthread_mutex_lock(&v->lock);
	going = v->run || v->planning || v->stopping;
	pthread_mutex_unlock(&v->lock);
	if (going || sched_queued(v->fs->sched) > 0)
		return 0; /* the next tick looks again */
	ret = verify_request_due(v, (int64_t)time(NULL) - cfg->verify_every,
				 cfg->verify_sample ? cfg->verify_sample : 100,
				 &run);
	if (ret == 0 && run)
		tapefs_log(v->fs, LOG_NOTICE,
			   "verify: run %" PRId64 " started on the schedule "
			   "(every %us, sample %u%%)",
			   run, cfg->verify_every,
			   cfg->verify_sample ? cfg->verify_sample : 100);
	return ret == -EBUSY ? 0 : ret;
}

static void *tick_main(void *arg)
{
	struct verify *v = arg;
	struct timespec until;

	pthread_mutex_lock(&v->lock);
	while (!v->tick_stop) {
		pthread_mutex_unlock(&v->lock);
		verify_schedule_tick(v);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += VERIFY_TICK;
		pthread_mutex_lock(&v->lock);
		while (!v->tick_stop &&
		       pthread_cond_timedwait(&v->tick_cond, &v->lock,
					      &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

int verify_schedule_start(struct verify *v)
{
	int ret;

	if (!v->fs->cfg.verify_every)
		return 0;
	ret = -pthread_create(&v->tick_th, NULL, tick_main, v);
	if (ret)
		tapefs_error(v->fs, "verify: no schedule: %s", strerror(-ret));
	else
		v->tick_started = 1;
	return ret;
}

void verify_schedule_stop(struct verify *v)
{
	pthread_mutex_lock(&v->lock);
	v->tick_stop = 1;
	pthread_cond_broadcast(&v->tick_cond);
	pthread_mutex_unlock(&v->lock);
	if (v->tick_started)
		pthread_join(v->tick_th, NULL);
	v->tick_started = 0;
}
