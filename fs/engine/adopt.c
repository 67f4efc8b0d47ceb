/* fs/engine/adopt.c - an adoption run (fs/engine/adopt.h): the label and
 * prefix checked, the job on a drive through the scheduler, the report.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/adopt_int.h"

void adopt_fail(struct adopt *a, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	tapefs_error(a->fs, "adopt %s: %s", a->o->label, line);
	if (!a->rep->error[0])
		snprintf(a->rep->error, sizeof(a->rep->error), "%s", line);
}

void adopt_progress(struct adopt *a, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!a->o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->o->progress(a->o->arg, line);
}

int adopt_stopping(struct adopt *a)
{
	return (a->o->stop && a->o->stop(a->o->arg)) ||
	       (a->fs->sched && sched_stopping(a->fs->sched));
}

int adopt_label_check(struct catalog *cat, const char *label, char *why,
		      size_t len)
{
	struct catalog_tape t;
	int ret;

	if (!catalog_barcode_valid(label)) {
		snprintf(why, len, "adopt: '%.40s' is not a barcode", label);
		return -EINVAL;
	}
	ret = catalog_tape_get(cat, label, &t);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0) {
		snprintf(why, len, "adopt: catalog: %s", strerror(-ret));
		return ret;
	}
	if (t.state == CATALOG_TAPE_ADOPTED)
		return 1;
	snprintf(why, len,
		 "adopt: %s is a tape of this catalog (state %s), not a "
		 "foreign one",
		 label, catalog_tape_state_name(t.state));
	return -EEXIST;
}

int adopt_prefix(const char *label, const char *prefix, char *buf, size_t len,
		 char *why, size_t whylen)
{
	char dflt[64], *clean = NULL;
	int ret;

	if (!prefix || !*prefix) {
		snprintf(dflt, sizeof(dflt), "adopted/%s", label);
		prefix = dflt;
	}
	ret = tarr_name_safe(prefix, strlen(prefix), &clean);
	if (!ret && strlen(clean) + NAME_MAX + 2 > len)
		ret = -ENAMETOOLONG;
	if (ret) {
		snprintf(why, whylen,
			 "adopt: prefix '%.60s' is no relative path below "
			 "archive/ (%s)",
			 prefix, strerror(-ret));
		free(clean);
		return ret == -ENOMEM ? ret : -EINVAL;
	}
	snprintf(buf, len, "%s", clean);
	free(clean);
	return 0;
}

static int adopt_tick(void *arg)
{
	return adopt_stopping(arg);
}

/* What the catalog knows already of a tape adopted before. */
static void resume_from(struct adopt *a)
{
	struct catalog_tape_summary s;
	struct catalog_tape t;

	a->from = 0;
	if (catalog_tape_get(a->fs->cat, a->o->label, &t) == 0 &&
	    catalog_tape_summary(a->fs->cat, a->o->label, &s) == 0 &&
	    s.archives)
		a->from = t.last_file + 1;
}

static int adopt_start(struct adopt *a)
{
	char why[320];
	int ret, result = 0;

	ret = adopt_label_check(a->fs->cat, a->o->label, why, sizeof(why));
	if (ret >= 0) {
		a->resume = ret;
		ret = adopt_prefix(a->o->label, a->o->prefix, a->prefix,
				   sizeof(a->prefix), why, sizeof(why));
	}
	if (ret < 0) {
		snprintf(a->rep->error, sizeof(a->rep->error), "%s", why);
		return ret;
	}
	if (a->resume)
		resume_from(a);
	a->job.prio = SCHED_PRIO_VERIFY;
	a->job.mode = TAPE_RDONLY;
	a->job.ntapes = 1;
	snprintf(a->job.barcode[0], sizeof(a->job.barcode[0]), "%s",
		 a->o->label);
	a->job.run = adopt_job;
	snprintf(a->job.desc, sizeof(a->job.desc), "adopt %s", a->o->label);
	adopt_progress(a, "waiting for a drive");
	ret =
	    sched_run_wait(a->fs->sched, &a->job, 250, adopt_tick, a, &result);
	if (ret == 0 && result == -ENOENT)
		adopt_fail(a, "the library has no cartridge %s", a->o->label);
	return ret < 0 ? ret : result;
}

int adopt_run(struct tapefs *fs, const struct adopt_opts *o,
	      struct adopt_report *out)
{
	struct adopt *a;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!fs->cat || !fs->sched || !o || !o->label)
		return -ENODEV;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->fs = fs;
	a->o = o;
	a->rep = out;
	ret = adopt_start(a);
	if (ret < 0 && !out->error[0])
		adopt_fail(a, "%s", strerror(-ret));
	adopt_file_clear(&a->f);
	free(a->f.m);
	papertape_release(&a->cat);
	free(a->seen);
	free(a);
	return ret;
}

void adopt_summary(const struct adopt_report *r, char *buf, size_t len)
{
	int n = snprintf(
	    buf, len,
	    "layout %s, %llu tape files adopted from file %lld (%llu not), "
	    "%llu members (%llu bytes), %llu names neutralised, %llu members "
	    "not recorded, %.1f MB read",
	    r->layout[0] ? r->layout : "none", (unsigned long long)r->files,
	    (long long)r->first_file, (unsigned long long)r->files_refused,
	    (unsigned long long)r->members, (unsigned long long)r->bytes,
	    (unsigned long long)r->renamed, (unsigned long long)r->skipped,
	    r->bytes_read / 1e6);

	if (n > 0 && (size_t)n < len && !strcmp(r->layout, "papertape"))
		snprintf(buf + n, len - (size_t)n,
			 "; papertape MD5s: %llu match, %llu differ, %llu "
			 "items not found",
			 (unsigned long long)r->paper_ok,
			 (unsigned long long)r->paper_bad,
			 (unsigned long long)r->paper_missing);
}
