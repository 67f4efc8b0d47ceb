/* fs/ns/ns_drives.c - drives/N: what drive N is doing, from the scheduler. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/tapefs.h"

static int ndrives(struct tapefs *fs)
{
	return fs->sched ? sched_ndrives(fs->sched) : 0;
}

/* "N" -> N when it names one of the mount's drives (the changer's
 * number: drive_ids = 2,3 shows drives/2 and drives/3); -1 otherwise. */
static int drive_of(struct tapefs *fs, const char *rel)
{
	char *end;
	long n;

	if (rel[0] < '0' || rel[0] > '9' || (rel[0] == '0' && rel[1]))
		return -1;
	n = strtol(rel, &end, 10);
	if (*end || n >= TAPEFS_MAX_DRIVES)
		return -1;
	for (int i = 0; i < ndrives(fs); i++)
		if (sched_drive_id(fs->sched, i) == n)
			return (int)n;
	return -1;
}

static int drives_getattr(struct tapefs *fs, const char *rel,
			  struct ns_attr *out)
{
	if (!*rel) {
		out->kind = NS_DIR;
		out->st.st_mode = 0555;
		return 0;
	}
	if (drive_of(fs, rel) < 0)
		return strchr(rel, '/') ? -ENOTDIR : -ENOENT;
	out->kind = NS_TEXT;
	out->st.st_mode = 0444;
	ns_size_by_render(fs, &ns_drives, rel, out);
	return 0;
}

static int drives_readdir(struct tapefs *fs, const char *rel, ns_fill_fn fill,
			  void *ctx)
{
	struct ns_attr a;
	char name[16];

	if (*rel)
		return drive_of(fs, rel) < 0 ? -ENOENT : -ENOTDIR;
	for (int i = 0; i < ndrives(fs); i++) {
		memset(&a, 0, sizeof(a));
		a.kind = NS_TEXT;
		a.st.st_mode = 0444;
		snprintf(name, sizeof(name), "%d",
			 sched_drive_id(fs->sched, i));
		if (fill(ctx, name, &a))
			break;
	}
	return 0;
}

static int drives_render(struct tapefs *fs, const char *rel, struct strbuf *out)
{
	struct sched_drive_status st;
	int d = drive_of(fs, rel);

	if (d < 0 || sched_drive_status(fs->sched, d, &st))
		return -ENOENT;
	strbuf_addf(out, "drive: %d\n", st.drive);
	strbuf_addf(out, "state: %s\n", sched_state_name(st.state));
	strbuf_addf(out, "device: %s\n", st.dev);
	strbuf_addf(out, "tape: %s\n", st.barcode[0] ? st.barcode : "none");
	if (st.file >= 0)
		strbuf_addf(out, "position: file %ld block %ld\n", st.file,
			    st.block);
	else
		strbuf_addf(out, "position: unknown\n");
	strbuf_addf(out, "job: %s\n", st.job[0] ? st.job : "none");
	if (st.percent >= 0)
		strbuf_addf(out, "progress: %d%%\n", st.percent);
	else
		strbuf_addf(out, "progress: unknown\n");
	strbuf_addf(out, "bytes: %llu\n", (unsigned long long)st.bytes_done);
	strbuf_addf(out, "rate: %.1f MB/s\n", st.mbps);
	if (st.eta_s >= 0)
		strbuf_addf(out, "eta: %ld:%02ld:%02ld\n", st.eta_s / 3600,
			    st.eta_s / 60 % 60, st.eta_s % 60);
	strbuf_addf(out, "faults: %d\n", st.faults);
	if (st.reason[0])
		strbuf_addf(out, "reason: %s\n", st.reason);
	strbuf_addf(out, "jobs_done: %llu\nloads: %llu\nunloads: %llu\n",
		    (unsigned long long)st.jobs_done,
		    (unsigned long long)st.loads,
		    (unsigned long long)st.unloads);
	return strbuf_oom(out) ? -ENOMEM : 0;
}

const struct ns_provider ns_drives = {
    .name = "drives",
    .getattr = drives_getattr,
    .readdir = drives_readdir,
    .render = drives_render,
};
