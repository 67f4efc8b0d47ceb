/* fs/engine/dump_shared.c - the staging directory the hosts share
 * (docs/multi-host.md, "Shared staging"): one host at a time dumps it.
 *
 * Hosts of one catalog share one staging directory (on a shared file
 * system), and each daemon's engine walks all of it. So a dump - its
 * snapshot, its archives, their clean-up - runs only under the lease on
 * the catalog's staging row (CATALOG_WORK_STAGING): taken before the
 * snapshot, renewed with the host's beat, given up once the dumped
 * entries left staging/. A dump of another host meanwhile waits (`.dump`:
 * `waiting: host 'B' dumps the shared staging directory`), and its
 * snapshot, taken after, no longer sees what went to tape. Whoever takes
 * the lease first puts right what a host that died left (dump_recover():
 * a dump of it pending or writing is failed, its files dump again; one it
 * committed and did not clean up is cleaned up, never dumped twice). A
 * host that dies holding it lets it expire, and the next taker does just
 * that. One host alone (no [library] host) takes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"

#define STAGING_JOB    1 /* the staging row's id */
#define STAGING_WAIT_S 1 /* how often a waiting dump asks again */

/* While another host holds the lease, `.dump` and `.status` say so. */
static void waiting_note(struct dump *d, const char *holder)
{
	pthread_mutex_lock(&d->mu);
	if (holder) {
		snprintf(d->waiting, sizeof(d->waiting),
			 "host '%s' dumps the shared staging directory",
			 holder);
		d->staging_waiting = 1;
		d->wait_until = time(NULL) + STAGING_WAIT_S;
	} else if (d->staging_waiting) {
		d->waiting[0] = '\0';
		d->staging_waiting = 0;
	}
	pthread_mutex_unlock(&d->mu);
}

int dump_staging_take(struct dump *d)
{
	struct catalog *cat = d->fs->cat;
	struct catalog_lease was, l;
	int ret;

	if (!d->fs->host)
		return 0;
	ret = catalog_lease_get(cat, CATALOG_WORK_STAGING, STAGING_JOB, &was);
	if (ret == 0)
		ret = catalog_lease_take(cat, CATALOG_WORK_STAGING, STAGING_JOB,
					 &l);
	if (ret == -EBUSY) {
		waiting_note(d, was.host[0] ? was.host : "another");
		return 1;
	}
	if (ret < 0) {
		dump_error_set(d, "the shared staging directory's lease: %s",
			       strerror(-ret));
		pthread_mutex_lock(&d->mu);
		d->wait_until = time(NULL) + STAGING_WAIT_S;
		pthread_mutex_unlock(&d->mu);
		return ret;
	}
	waiting_note(d, NULL);
	d->staging_lease = l;
	d->staging_held = 1;
	if (was.host[0] && strcmp(was.host, l.host))
		tapefs_error(d->fs,
			     "dump: host '%s' stopped while it dumped the "
			     "shared staging directory: its lease taken over",
			     was.host);
	/* what any host that died left, before a snapshot sees it */
	dump_recover(d);
	return 0;
}

void dump_staging_release(struct dump *d)
{
	int ret;

	if (!d->staging_held)
		return;
	d->staging_held = 0;
	ret = catalog_lease_release(d->fs->cat, &d->staging_lease);
	if (ret == -ESTALE)
		tapefs_error(d->fs,
			     "dump: the shared staging directory's lease was "
			     "lost during the dump (this host missed its "
			     "beats): another host took it over");
	else if (ret < 0)
		tapefs_error(d->fs,
			     "dump: the shared staging directory's lease: %s",
			     strerror(-ret));
}
