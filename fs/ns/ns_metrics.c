/* fs/ns/ns_metrics.c - .metrics: the engines' figures (fs/ns/status_snap.h)
 * in the Prometheus text exposition format 0.0.4, as node_exporter's
 * textfile collector reads it: every family once, "# HELP" and "# TYPE"
 * before its samples, names with the tapefs_ prefix, base units (bytes,
 * seconds), counters ending in _total, no timestamps. docs/status.md lists
 * the families.
 *
 * Label values are names (pools, drive states): they are written as
 * well-formed UTF-8 (a byte that is not becomes U+FFFD: the format has no
 * way to carry other bytes) with backslash, double quote and line feed
 * escaped as the format says.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fs/ns/ns_local.h"
#include "fs/ns/status_snap.h"
#include "fs/ns/utf8.h"

/* "# HELP" and "# TYPE" of family name. */
static void family(struct strbuf *out, const char *name, const char *type,
		   const char *help)
{
	strbuf_addf(out, "# HELP %s ", name);
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			strbuf_add(out, "\\\\", 2);
		else if (*p == '\n')
			strbuf_add(out, "\\n", 2);
		else
			strbuf_add(out, p, 1);
	}
	strbuf_addf(out, "\n# TYPE %s %s\n", name, type);
}

/* A label value between its quotes. */
static void label_value(struct strbuf *out, const char *v)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t len = strlen(v);

	for (size_t i = 0, n; i < len; i += n ? n : 1) {
		n = utf8_seq(u + i, len - i);
		if (!n)
			strbuf_add(out, "\xef\xbf\xbd", 3); /* U+FFFD */
		else if (v[i] == '\\')
			strbuf_add(out, "\\\\", 2);
		else if (v[i] == '"')
			strbuf_add(out, "\\\"", 2);
		else if (v[i] == '\n')
			strbuf_add(out, "\\n", 2);
		else
			strbuf_add(out, v + i, n);
	}
}

/* One sample: name{k1="v1",k2="v2"} value. k1, k2 may be NULL. */
static void sample2(struct strbuf *out, const char *name, const char *k1,
		    const char *v1, const char *k2, const char *v2, double v)
{
	strbuf_add(out, name, strlen(name));
	if (k1) {
		strbuf_addf(out, "{%s=\"", k1);
		label_value(out, v1);
		if (k2) {
			strbuf_addf(out, "\",%s=\"", k2);
			label_value(out, v2);
		}
		strbuf_add(out, "\"}", 2);
	}
	/* %.17g gives back the double exactly; integers print as such */
	strbuf_addf(out, " %.17g\n", v);
}

static void sample(struct strbuf *out, const char *name, double v)
{
	sample2(out, name, NULL, NULL, NULL, NULL, v);
}

/* A family of one sample without labels. */
static void single(struct strbuf *out, const char *name, const char *type,
		   const char *help, double v)
{
	family(out, name, type, help);
	sample(out, name, v);
}

static const char *const drive_states[] = {
    [SCHED_DRIVE_IDLE] = "idle",
    [SCHED_DRIVE_LOADING] = "loading",
    [SCHED_DRIVE_WRITING] = "writing",
    [SCHED_DRIVE_READING] = "reading",
    [SCHED_DRIVE_LOCATING] = "locating",
    [SCHED_DRIVE_UNLOADING] = "unloading",
    [SCHED_DRIVE_OUT_OF_SERVICE] = "out of service",
};
#define NSTATES (sizeof(drive_states) / sizeof(drive_states[0]))

/* Which figure of a drive a per-drive family shows. */
enum drive_fig {
	FIG_WRITTEN,
	FIG_READ,
	FIG_JOBS,
	FIG_LOADS,
	FIG_UNLOADS,
	FIG_FAULTS,
	FIG_RATE,
	FIG_JOB_BYTES,
};

static double drive_fig(const struct sched_drive_status *d, enum drive_fig f)
{
	switch (f) {
	case FIG_WRITTEN:
		return (double)d->bytes_written;
	case FIG_READ:
		return (double)d->bytes_read;
	case FIG_JOBS:
		return (double)d->jobs_done;
	case FIG_LOADS:
		return (double)d->loads;
	case FIG_UNLOADS:
		return (double)d->unloads;
	case FIG_FAULTS:
		return d->faults;
	case FIG_RATE:
		return d->mbps > 0 ? d->mbps * 1e6 : 0;
	case FIG_JOB_BYTES:
		return d->job[0] ? (double)d->bytes_done : 0;
	}
	return 0;
}

static void per_drive(struct strbuf *out, const struct status_snap *s,
		      const char *name, const char *type, const char *help,
		      enum drive_fig f)
{
	char n[16];

	family(out, name, type, help);
	for (int i = 0; i < s->ndrives; i++) {
		snprintf(n, sizeof(n), "%d", s->drives[i].drive);
		sample2(out, name, "drive", n, NULL, NULL,
			drive_fig(&s->drives[i], f));
	}
}

static void metrics_drives(struct strbuf *out, const struct status_snap *s)
{
	char n[16];

	single(out, "tapefs_drives", "gauge", "Drives of the mount.",
	       s->ndrives);
	family(out, "tapefs_drive_state", "gauge",
	       "1 for the state the drive is in, 0 for the others.");
	for (int i = 0; i < s->ndrives; i++) {
		snprintf(n, sizeof(n), "%d", s->drives[i].drive);
		for (size_t st = 0; st < NSTATES; st++)
			sample2(out, "tapefs_drive_state", "drive", n, "state",
				drive_states[st],
				s->drives[i].state == (enum sched_state)st);
	}
	per_drive(out, s, "tapefs_drive_written_bytes_total", "counter",
		  "Bytes written to tape by the drive's finished jobs.",
		  FIG_WRITTEN);
	per_drive(out, s, "tapefs_drive_read_bytes_total", "counter",
		  "Bytes read from tape by the drive's finished jobs.",
		  FIG_READ);
	per_drive(out, s, "tapefs_drive_jobs_total", "counter",
		  "Jobs the drive ran.", FIG_JOBS);
	per_drive(out, s, "tapefs_drive_loads_total", "counter",
		  "Cartridges the robot loaded into the drive.", FIG_LOADS);
	per_drive(out, s, "tapefs_drive_unloads_total", "counter",
		  "Cartridges the robot took out of the drive.", FIG_UNLOADS);
	per_drive(out, s, "tapefs_drive_faults", "gauge",
		  "Faults of the drive in a row (3 take it out of service).",
		  FIG_FAULTS);
	per_drive(out, s, "tapefs_drive_job_bytes", "gauge",
		  "Bytes the running job moved so far (0 when idle).",
		  FIG_JOB_BYTES);
	per_drive(out, s, "tapefs_drive_rate_bytes_per_second", "gauge",
		  "Rate of the running job (0 when idle or not known yet).",
		  FIG_RATE);
	single(out, "tapefs_drive_queue_jobs", "gauge",
	       "Jobs waiting for a drive.", s->drive_queue);
}

static void metrics_tapes(struct strbuf *out, const struct status_snap *s)
{
	family(out, "tapefs_tapes", "gauge",
	       "Tapes of the catalog by pool and state.");
	for (size_t i = 0; i < s->npools; i++)
		for (int st = 0; st < STATUS_TAPE_STATES; st++)
			sample2(out, "tapefs_tapes", "pool", s->pools[i].name,
				"state", catalog_tape_state_name(st),
				(double)s->pools[i].by_state[st]);
	family(out, "tapefs_scratch_tapes", "gauge",
	       "Scratch tapes (labelled, empty) by pool.");
	for (size_t i = 0; i < s->npools; i++)
		sample2(out, "tapefs_scratch_tapes", "pool", s->pools[i].name,
			NULL, NULL,
			(double)s->pools[i].by_state[CATALOG_TAPE_SCRATCH]);
	single(out, "tapefs_unknown_tapes", "gauge",
	       "Tapes registered closed since the mount: they hold archives "
	       "this catalog does not know.",
	       (double)s->nunknown);
}

static void metrics_dump(struct strbuf *out, const struct status_snap *s)
{
	const struct dump_stats *d = &s->dump;

	single(out, "tapefs_staged_files", "gauge",
	       "Regular files and symlinks in staging/.",
	       (double)d->staged_files);
	single(out, "tapefs_staged_bytes", "gauge",
	       "Bytes of the regular files in staging/.",
	       (double)d->staged_bytes);
	single(out, "tapefs_pending_files", "gauge",
	       "Staged files a dump would take now (no writer open).",
	       (double)d->eligible_files);
	single(out, "tapefs_pending_bytes", "gauge",
	       "Bytes a dump would take now.", (double)d->eligible_bytes);
	single(out, "tapefs_dump_running", "gauge",
	       "1 while a dump is being written.", d->running);
	single(out, "tapefs_dump_paused", "gauge",
	       "1 when dumps are paused after failures in a row.", d->paused);
}

static void metrics_journal(struct strbuf *out, const struct status_snap *s)
{
	single(out, "tapefs_dumps_committed_total", "counter",
	       "Dumps committed, from the catalog's journal.",
	       (double)s->tally.committed);
	single(out, "tapefs_dumps_failed_total", "counter",
	       "Dumps given up (their files stay staged), from the journal.",
	       (double)s->tally.failed);
	single(out, "tapefs_last_dump_success_timestamp_seconds", "gauge",
	       "When the last dump was committed (0: never).",
	       (double)s->tally.last_committed);
	single(out, "tapefs_last_verify_success_timestamp_seconds", "gauge",
	       "When the last verification run ended that found no BAD or "
	       "UNREADABLE member (0: never).",
	       (double)s->verify_last_clean);
}

static void metrics_verify(struct strbuf *out, const struct status_snap *s)
{
	const struct verify_progress *v = &s->verify;

	single(out, "tapefs_verify_running", "gauge",
	       "1 while a verification run goes on.", v->running);
	family(out, "tapefs_verify_run_members", "gauge",
	       "Members checked by the current or last run, by result.");
	sample2(out, "tapefs_verify_run_members", "result", "ok", NULL, NULL,
		(double)v->ok);
	sample2(out, "tapefs_verify_run_members", "result", "bad", NULL, NULL,
		(double)v->bad);
	sample2(out, "tapefs_verify_run_members", "result", "unreadable", NULL,
		NULL, (double)v->unreadable);
}

static void metrics_recall(struct strbuf *out, const struct status_snap *s)
{
	single(out, "tapefs_recall_queue", "gauge",
	       "Members queued for recall or being read from tape.",
	       (double)s->recall.queued);
	single(out, "tapefs_recall_cache_bytes", "gauge",
	       "Bytes in the recall cache (and reserved by reads).",
	       (double)s->recall.used);
	if (s->recall.limit != UINT64_MAX)
		single(out, "tapefs_recall_cache_limit_bytes", "gauge",
		       "Size the recall cache may reach.",
		       (double)s->recall.limit);
}

int status_render_metrics(struct tapefs *fs, struct strbuf *out)
{
	struct status_snap s;
	int ret = status_snap_take(fs, &s);

	if (ret)
		goto out_release;
	single(out, "tapefs_mount_start_time_seconds", "gauge",
	       "When the mount started.", (double)s.mounted);
	if (s.have_sched)
		metrics_drives(out, &s);
	if (s.have_tapes)
		metrics_tapes(out, &s);
	if (s.have_dump)
		metrics_dump(out, &s);
	if (s.have_tally)
		metrics_journal(out, &s);
	if (s.have_verify)
		metrics_verify(out, &s);
	if (s.have_recall)
		metrics_recall(out, &s);
	single(out, "tapefs_errors_total", "counter",
	       "Errors since the mount (the last ones are in .status).",
	       (double)s.errors_total);
	ret = strbuf_oom(out) ? -ENOMEM : 0;
out_release:
	status_snap_release(&s);
	return ret;
}

static int metrics_render(struct tapefs *fs, const char *rel,
			  struct strbuf *out)
{
	(void)rel;
	return status_render_metrics(fs, out);
}

static int metrics_getattr(struct tapefs *fs, const char *rel,
			   struct ns_attr *out)
{
	if (*rel)
		return -ENOTDIR;
	out->kind = NS_TEXT;
	out->st.st_mode = 0444;
	ns_size_by_render(fs, &ns_metrics, rel, out);
	return 0;
}

const struct ns_provider ns_metrics = {
    .name = ".metrics",
    .getattr = metrics_getattr,
    .render = metrics_render,
};
