/* fs/engine/host.c - this daemon among the hosts sharing one catalog:
 * join, beat, take over the work of the dead, leave (host.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/host.h"
#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"

struct host {
	struct tapefs *fs;
	int64_t lease_ms;
	pthread_t thread;
	pthread_mutex_t mu; /* a leaf: guards stopping */
	pthread_cond_t cond; /* signalled by host_stop() */
	int stopping;
	int superseded; /* the last beat found the row another's */
};

/* A recall request another host let expire: queued here. */
static int take_recall(void *ctx, const struct catalog_lease *l,
		       const char *prev)
{
	struct tapefs *fs = ctx;
	int ret = recall_resume(fs, l->job);

	if (ret == -ENOENT) /* served meanwhile */
		return 0;
	if (ret < 0)
		tapefs_error(fs,
			     "recall request %" PRId64 " of host '%s': not "
			     "resumed here: %s",
			     l->job, prev, strerror(-ret));
	return 0;
}

/* A dump another host left pending or writing: failed, as a crash's
 * restart fails its own; the files are still staged and dump again. */
static int take_dump(void *ctx, const struct catalog_lease *l,
		     const char *prev)
{
	struct tapefs *fs = ctx;
	char why[160];

	snprintf(why, sizeof(why),
		 "interrupted: host '%s' stopped during the dump", prev);
	if (catalog_dump_fail(fs->cat, l->job, why) == 0)
		tapefs_error(fs,
			     "dump %" PRId64 " was interrupted (host '%s' "
			     "stopped): its files are still staged and dump "
			     "again",
			     l->job, prev);
	catalog_lease_release(fs->cat, l);
	return 0;
}

static int take_run(void *ctx, const struct catalog_lease *l,
		    const char *prev)
{
	struct tapefs *fs = ctx;

	if (catalog_run_interrupt(fs->cat, l->job) == 0)
		tapefs_error(fs,
			     "verify run %" PRId64 " was interrupted (host "
			     "'%s' stopped)",
			     l->job, prev);
	catalog_lease_release(fs->cat, l);
	return 0;
}

static int take_xfer(void *ctx, const struct catalog_lease *l,
		     const char *prev)
{
	struct tapefs *fs = ctx;
	char why[160];

	snprintf(why, sizeof(why), "interrupted: host '%s' stopped", prev);
	if (catalog_xfer_fail(fs->cat, l->job, why) == 0)
		tapefs_error(fs,
			     "tape-to-tape copy %" PRId64 " was interrupted "
			     "(host '%s' stopped)",
			     l->job, prev);
	catalog_lease_release(fs->cat, l);
	return 0;
}

/* Every kind of work whose leases expired, taken over. */
static int sweep(struct tapefs *fs)
{
	static const struct {
		enum catalog_work kind;
		catalog_takeover_fn fn;
	} kinds[] = {
	    {CATALOG_WORK_DUMP, take_dump},
	    {CATALOG_WORK_VERIFY, take_run},
	    {CATALOG_WORK_XFER, take_xfer},
	    {CATALOG_WORK_RECALL, take_recall},
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int ret;

		if (kinds[i].kind == CATALOG_WORK_RECALL && !fs->recall)
			continue; /* left for a host that recalls */
		ret = catalog_lease_takeover(fs->cat, kinds[i].kind,
					     kinds[i].fn, fs);
		if (ret < 0)
			return ret;
		n += ret;
	}
	return n;
}

int host_beat_now(struct tapefs *fs)
{
	struct host *h = fs->host;
	int ret;

	if (!h)
		return -EINVAL;
	ret = catalog_host_beat(fs->cat);
	if (ret == -ENOENT && !h->superseded) {
		h->superseded = 1;
		tapefs_error(fs,
			     "host: the catalog's row of this host was taken "
			     "by another daemon of the same name, or removed: "
			     "its leases are not renewed; give each host its "
			     "own [library] host");
	}
	if (ret < 0)
		return ret;
	return h->superseded ? 0 : sweep(fs);
}

static void *beat_main(void *arg)
{
	struct host *h = arg;
	struct timespec until;
	int64_t step = h->lease_ms / 3 ? h->lease_ms / 3 : 1;

	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += step / 1000;
		until.tv_nsec += (step % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cond, &h->mu, &until);
		if (h->stopping)
			break;
		pthread_mutex_unlock(&h->mu);
		host_beat_now(h->fs);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

int host_start(struct tapefs *fs, const char *name, int64_t lease_ms)
{
	struct host *h;
	int ret;

	if (!fs->cat || !name || !*name)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fs = fs;
	h->lease_ms = lease_ms;
	ret = catalog_host_join(fs->cat, name, lease_ms);
	if (ret == 1)
		tapefs_error(fs,
			     "host '%s': the catalog shows it alive until "
			     "now: if another daemon runs under this name, "
			     "give each host its own [library] host",
			     name);
	if (ret < 0) {
		tapefs_log(fs, LOG_ERR, "host '%s': cannot join the catalog: %s",
			   name, strerror(-ret));
		free(h);
		return ret;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cond, NULL);
	ret = -pthread_create(&h->thread, NULL, beat_main, h);
	if (ret) {
		catalog_host_leave(fs->cat);
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return ret;
	}
	fs->host = h;
	return 0;
}

int64_t host_lease_ms(const struct tapefs *fs)
{
	return fs && fs->host ? fs->host->lease_ms : 0;
}

void host_stop(struct tapefs *fs)
{
	struct host *h = fs ? fs->host : NULL;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = 1;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	if (!h->superseded)
		catalog_host_leave(fs->cat);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->mu);
	fs->host = NULL;
	free(h);
}
