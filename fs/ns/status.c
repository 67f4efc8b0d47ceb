/* fs/ns/status.c - the rendering of .status (.status.json is
 * fs/ns/status_json.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/tapefs.h"

void status_human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = {"B",	  "KiB", "MiB",
					   "GiB", "TiB", "PiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
}

/* The count, and the last messages for a reader who sees everything
 * (they may name paths and requests). */
static void render_errors(struct tapefs *fs, int all, struct strbuf *out)
{
	struct tapefs_errlog *log = &fs->errors;
	uint64_t first;

	pthread_mutex_lock(&log->lock);
	strbuf_addf(out, "errors: %llu\n", (unsigned long long)log->count);
	first = !all ? log->count
		: log->count > TAPEFS_ERRORS_KEPT
		    ? log->count - TAPEFS_ERRORS_KEPT
		    : 0;
	for (uint64_t i = first; i < log->count; i++) {
		struct tm tm;
		char when[32];
		time_t t = log->last[i % TAPEFS_ERRORS_KEPT].when;

		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		strbuf_addf(out, "error: %s %s\n", when,
			    log->last[i % TAPEFS_ERRORS_KEPT].msg);
	}
	pthread_mutex_unlock(&log->lock);
}

static void render_drives(struct tapefs *fs, struct strbuf *out)
{
	char line[512];
	int n;

	if (!fs->sched) {
		strbuf_addf(out, "drives: 0\n");
		return;
	}
	n = sched_ndrives(fs->sched);
	strbuf_addf(out, "drives: %d\n", n);
	for (int i = 0; i < n; i++) {
		int id = sched_drive_id(fs->sched, i);

		if (sched_drive_line(fs->sched, id, line, sizeof(line)) == 0)
			strbuf_addf(out, "drive%d: %s\n", id, line);
	}
	strbuf_addf(out, "drive_queue: %d\n", sched_queued(fs->sched));
}

int status_render_for(struct tapefs *fs, const struct ns_reader *who,
		      struct strbuf *out)
{
	render_drives(fs, out);
	ns_dump_status(fs, who, out);
	ns_verify_status(fs, out);
	ns_recall_status(fs, out);
	status_tapes_render(fs, out);
	status_library_render(fs, out);
	render_errors(fs, !who || who->all, out);
	return strbuf_oom(out) ? -ENOMEM : 0;
}

int status_render(struct tapefs *fs, struct strbuf *out)
{
	return status_render_for(fs, NULL, out);
}

void ns_size_by_render(struct tapefs *fs, const struct ns_provider *p,
		       const char *rel, struct ns_attr *out)
{
	struct strbuf sb;

	strbuf_init(&sb);
	if (p->render(fs, rel, &sb) == 0 && !strbuf_oom(&sb))
		out->st.st_size = (off_t)sb.len;
	strbuf_release(&sb);
}
