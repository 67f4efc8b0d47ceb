/* fs/engine/library_adopt.c - `echo 'adopt LABEL [PREFIX]' > .library`:
 * the library module's worker adopts a foreign tape (fs/engine/adopt.h)
 * while the daemon runs, reading it through the drive scheduler at the
 * lowest priority, and keeps the progress and the outcome for .library.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fs/engine/adopt.h"
#include "fs/engine/library_int.h"

static int adopt_stop(void *arg)
{
	return library_stopping(arg);
}

static void adopt_progress(void *arg, const char *line)
{
	struct library *lib = arg;

	pthread_mutex_lock(&lib->mu);
	snprintf(lib->q.adopt_progress, sizeof(lib->q.adopt_progress), "%s",
		 line);
	pthread_mutex_unlock(&lib->mu);
}

void library_adopt_run(struct library *lib)
{
	char label[40], prefix[256], sum[512];
	struct adopt_opts o = {
	    .stop = adopt_stop, .progress = adopt_progress, .arg = lib};
	struct adopt_report r;
	int ret;

	pthread_mutex_lock(&lib->mu);
	snprintf(label, sizeof(label), "%s", lib->q.adopt_label);
	snprintf(prefix, sizeof(prefix), "%s", lib->adopt_prefix);
	pthread_mutex_unlock(&lib->mu);
	o.label = label;
	o.prefix = prefix[0] ? prefix : NULL;
	ret = adopt_run(lib->fs, &o, &r);
	sum[0] = '\0';
	if (ret == 0 || r.files)
		adopt_summary(&r, sum, sizeof(sum));
	pthread_mutex_lock(&lib->mu);
	/* a long error is cut: .status has it whole */
	if (snprintf(lib->q.adopt_result, sizeof(lib->q.adopt_result),
		     "%s %s%s%s%.200s", label, ret ? "failed: " : "", sum,
		     r.error[0] && sum[0] ? "; " : "",
		     r.error[0] ? r.error
		     : ret	? strerror(-ret)
				: "") >= (int)sizeof(lib->q.adopt_result))
		lib->q.adopt_result[sizeof(lib->q.adopt_result) - 2] = '~';
	lib->q.adopt_time = time(NULL);
	lib->q.adopt_running = lib->adopt_req;
	lib->q.adopt_progress[0] = '\0';
	pthread_mutex_unlock(&lib->mu);
}
