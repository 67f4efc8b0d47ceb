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
#include "fs/engine/dump.h"
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
	/* Held by the beat thread through a take-over sweep, and by
	 * host_takeover() to turn sweeping on and off: once it returned,
	 * no sweep runs into an engine being stopped. Taken before mu. */
	pthread_mutex_t sweep_mu;
	int sweeping; /* take-overs on (host_takeover()) */
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
	if (catalog_dump_fail(fs->cat, l->job, why) == 0) {
		tapefs_error(fs,
			     "dump %" PRId64 " was interrupted (host '%s' "
			     "stopped): its files are still staged and dump "
			     "again here",
			     l->job, prev);
		/* they were due: a dump of what is staged, queued (a
		 * staging shared with live hosts is dumped by one at a
		 * time, dump_shared.c) */
		if (fs->dump) {
			/* staged through another mount: unseen here yet */
			dump_path_changed(fs->dump, "");
			dump_request(fs->dump, "now");
		}
	}
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

/* The heartbeat: what catalog_host_beat() says; the row found another
 * run's is said once. */
static int beat(struct host *h)
{
	int ret = catalog_host_beat(h->fs->cat);

	if (ret == -ENOENT && !h->superseded) {
		h->superseded = 1;
		tapefs_error(h->fs,
			     "host: the catalog's row of this host was taken "
			     "by another daemon of the same name, or removed: "
			     "its leases are not renewed; give each host its "
			     "own [library] host");
	}
	return ret;
}

int host_beat_now(struct tapefs *fs)
{
	struct host *h = fs->host;
	int ret;

	if (!h)
		return -EINVAL;
	ret = beat(h);
	if (ret < 0)
		return ret;
	return h->superseded ? 0 : sweep(fs);
}

/* The beat thread's beat: the heartbeat, then a take-over sweep when
 * they are on. */
static void beat_once(struct host *h)
{
	if (beat(h) < 0 || h->superseded)
		return;
	pthread_mutex_lock(&h->sweep_mu);
	if (h->sweeping)
		sweep(h->fs);
	pthread_mutex_unlock(&h->sweep_mu);
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
		beat_once(h);
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
	h->sweeping = 1;
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
	pthread_mutex_init(&h->sweep_mu, NULL);
	pthread_cond_init(&h->cond, NULL);
	ret = -pthread_create(&h->thread, NULL, beat_main, h);
	if (ret) {
		tapefs_log(fs, LOG_ERR, "host '%s': no beat thread: %s", name,
			   strerror(-ret));
		catalog_host_leave(fs->cat);
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->sweep_mu);
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
	pthread_mutex_destroy(&h->sweep_mu);
	pthread_mutex_destroy(&h->mu);
	fs->host = NULL;
	free(h);
}

void host_takeover(struct tapefs *fs, int on)
{
	struct host *h = fs ? fs->host : NULL;

	if (!h)
		return;
	pthread_mutex_lock(&h->sweep_mu);
	h->sweeping = on;
	pthread_mutex_unlock(&h->sweep_mu);
}

/* The row of host name into *out: 1, 0 when there is none, -errno. */
struct host_find {
	const char *name;
	struct catalog_host *out;
	int found;
};

static int find_visit(void *ctx, const struct catalog_host *h)
{
	struct host_find *f = ctx;

	if (strcmp(h->name, f->name))
		return 0;
	*f->out = *h;
	f->found = 1;
	return 0;
}

static int host_find(struct catalog *cat, const char *name,
		     struct catalog_host *out)
{
	struct host_find f = {name, out, 0};
	int ret = catalog_host_list(cat, find_visit, &f);

	return ret < 0 ? ret : f.found;
}

/* How often host_name_free() looks at the row it watches. */
#define WATCH_MS 100

int host_name_free(struct tapefs *fs, const char *name, int64_t lease_ms)
{
	struct catalog_host first, now_row;
	int64_t now;
	int ret;

	ret = host_find(fs->cat, name, &first);
	if (ret <= 0)
		return ret;
	ret = catalog_clock_ms(fs->cat, &now);
	if (ret < 0)
		return ret;
	if (now - first.heartbeat >= lease_ms)
		return 0; /* a run that died, or left without a leave */
	tapefs_log(fs, LOG_NOTICE,
		   "host '%s' beat %" PRId64 " ms ago: watching for up to "
		   "%" PRId64 " ms whether another daemon runs under this "
		   "name",
		   name, now - first.heartbeat,
		   lease_ms - (now - first.heartbeat));
	for (;;) {
		struct timespec ts = {0, WATCH_MS * 1000000L};

		nanosleep(&ts, NULL);
		ret = host_find(fs->cat, name, &now_row);
		if (ret <= 0)
			return ret; /* it left */
		if (now_row.started != first.started ||
		    now_row.heartbeat != first.heartbeat)
			return -EADDRINUSE; /* it beat, or another joined */
		ret = catalog_clock_ms(fs->cat, &now);
		if (ret < 0)
			return ret;
		if (now - first.heartbeat >= lease_ms)
			return 0; /* it missed its beats: dead */
	}
}
