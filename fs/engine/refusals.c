/* fs/engine/refusals.c - the last refused write of each control file
 * (tapefs_refused(), fs/engine/tapefs.h), kept beside the error log and
 * under its lock. A leaf, like errlog.c. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fs/engine/tapefs.h"

/* len bytes of req without the ASCII control characters (NUL, a terminal
 * escape, DEL: each as '?'), cut with "...". Bytes from 0x80 stay: names
 * are shown as their bytes, as elsewhere in the mount (.status.json
 * escapes what is not UTF-8). */
static void printable(char *dst, size_t size, const char *req, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 4 < size; i++) {
		unsigned char c = (unsigned char)req[i];

		dst[i] = c >= 0x20 && c != 0x7f ? (char)c : '?';
	}
	if (i < len)
		memcpy(dst + i, "...", 4);
	else
		dst[i] = 0;
}

/* The slot of file, or the oldest one (lock held). */
static size_t slot_of(struct tapefs_errlog *log, const char *file)
{
	size_t oldest = 0;

	for (size_t i = 0; i < TAPEFS_CTL_REFUSALS_KEPT; i++) {
		if (!strcmp(log->ctl_refused[i].file, file))
			return i;
		if (log->ctl_refused[i].r.when <
		    log->ctl_refused[oldest].r.when)
			oldest = i;
	}
	return oldest;
}

void tapefs_refused(struct tapefs *fs, const char *file, const char *req,
		    size_t len, const char *why)
{
	struct tapefs_errlog *log = &fs->errors;
	struct tapefs_refusal r;
	size_t i;

	r.when = time(NULL);
	printable(r.req, sizeof(r.req), req, len);
	printable(r.why, sizeof(r.why), why, strlen(why));
	tapefs_error(fs, "%s: %s (refused: '%s')", file, r.why, r.req);
	pthread_mutex_lock(&log->lock);
	i = slot_of(log, file);
	snprintf(log->ctl_refused[i].file, sizeof(log->ctl_refused[i].file),
		 "%s", file);
	log->ctl_refused[i].r = r;
	pthread_mutex_unlock(&log->lock);
}

int tapefs_refusal(struct tapefs *fs, const char *file,
		   struct tapefs_refusal *out)
{
	struct tapefs_errlog *log = &fs->errors;
	int found = 0;

	pthread_mutex_lock(&log->lock);
	for (size_t i = 0; i < TAPEFS_CTL_REFUSALS_KEPT && !found; i++) {
		if (log->ctl_refused[i].file[0] &&
		    !strcmp(log->ctl_refused[i].file, file)) {
			*out = log->ctl_refused[i].r;
			found = 1;
		}
	}
	pthread_mutex_unlock(&log->lock);
	return found;
}
