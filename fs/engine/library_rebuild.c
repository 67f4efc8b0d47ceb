/* fs/engine/library_rebuild.c - `echo rebuild > .library`: the library
 * module's worker rebuilds the catalog from the tapes while the daemon
 * runs. The cartridges the catalog does not know are imported first (each
 * registered by the module's policy: closed when it holds archives), then
 * rebuild_run() (fs/engine/rebuild.h) reads, through the drive scheduler
 * at the lowest priority, the manifests the catalog lacks and commits
 * them. Dumps go on meanwhile: they never write a closed tape, and the
 * check before each write refuses a tape holding data the catalog does
 * not know yet.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fs/engine/library_int.h"
#include "fs/engine/rebuild.h"

static int rebuild_stop(void *arg)
{
	return library_stopping(arg);
}

static void rebuild_progress(void *arg, const char *line)
{
	struct library *lib = arg;

	pthread_mutex_lock(&lib->mu);
	snprintf(lib->q.rebuild_progress, sizeof(lib->q.rebuild_progress), "%s",
		 line);
	pthread_mutex_unlock(&lib->mu);
}

/* Tapes counted as holding unknown archives that the catalog now knows
 * (the rebuild opened them) are counted no more. */
static void unknown_settle(struct library *lib)
{
	struct catalog_tape t;
	size_t i = 0;

	pthread_mutex_lock(&lib->mu);
	while (i < lib->nunknown) {
		char bc[40];

		memcpy(bc, lib->unknown[i], sizeof(bc));
		pthread_mutex_unlock(&lib->mu);
		int known = catalog_tape_get(lib->fs->cat, bc, &t) == 0 &&
			    t.state != CATALOG_TAPE_CLOSED;
		pthread_mutex_lock(&lib->mu);
		if (known && i < lib->nunknown && !strcmp(lib->unknown[i], bc))
			memmove(lib->unknown[i], lib->unknown[i + 1],
				(--lib->nunknown - i) * sizeof(bc));
		else
			i++;
	}
	pthread_mutex_unlock(&lib->mu);
}

static void *rebuild_main(void *arg)
{
	struct library *lib = arg;
	const char *labels[LIBRARY_QUEUE_MAX];
	struct rebuild_opts o = {
	    .stop = rebuild_stop, .progress = rebuild_progress, .arg = lib};
	struct rebuild_report r;
	char sum[512];
	int ret;

	pthread_mutex_lock(&lib->mu);
	o.full = lib->rebuild_full;
	o.nlabels = lib->rebuild_nlabels;
	for (size_t i = 0; i < o.nlabels; i++)
		labels[i] = lib->rebuild_labels[i];
	pthread_mutex_unlock(&lib->mu);
	o.labels = labels;
	memset(&r, 0, sizeof(r));
	rebuild_progress(lib, "registering new cartridges");
	pthread_mutex_lock(&lib->op);
	ret = library_import_locked(lib);
	pthread_mutex_unlock(&lib->op);
	if (ret == 0)
		ret = rebuild_run(lib->fs, &o, &r);
	else
		snprintf(r.error, sizeof(r.error),
			 "registering new cartridges: %s", strerror(-ret));
	sum[0] = '\0';
	if (ret == 0 || ret == -EIO) {
		rebuild_summary(&r, sum, sizeof(sum));
		unknown_settle(lib);
	}
	pthread_mutex_lock(&lib->mu);
	/* a long error is cut: the line is a status, .status has it whole */
	if (snprintf(lib->q.rebuild_result, sizeof(lib->q.rebuild_result),
		     "%s%s%s%.300s", ret ? "failed: " : "", sum,
		     ret && sum[0] ? "; " : "",
		     ret ? (r.error[0] ? r.error : strerror(-ret)) : "") >=
	    (int)sizeof(lib->q.rebuild_result))
		lib->q.rebuild_result[sizeof(lib->q.rebuild_result) - 2] = '~';
	lib->q.rebuild_time = time(NULL);
	lib->q.rebuild_running = lib->rebuild_req;
	lib->q.rebuild_progress[0] = '\0';
	pthread_mutex_unlock(&lib->mu);
	return NULL;
}

void library_rebuild_join(struct library *lib)
{
	if (lib->rebuild_th_started)
		pthread_join(lib->rebuild_th, NULL);
	lib->rebuild_th_started = 0;
}

void library_rebuild_start(struct library *lib)
{
	int ret;

	library_rebuild_join(lib); /* the last one has ended: running is 0 */
	ret = pthread_create(&lib->rebuild_th, NULL, rebuild_main, lib);
	if (ret == 0) {
		lib->rebuild_th_started = 1;
		return;
	}
	pthread_mutex_lock(&lib->mu);
	snprintf(lib->q.rebuild_result, sizeof(lib->q.rebuild_result),
		 "failed: %s", strerror(ret));
	lib->q.rebuild_time = time(NULL);
	lib->q.rebuild_running = 0;
	pthread_mutex_unlock(&lib->mu);
}
