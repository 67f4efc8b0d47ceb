/* fs/engine/errlog.c - tapefs_error(): the last errors of every engine, kept
 * for the "errors:" lines of .status (rendered by fs/ns/status.c), and the
 * tapes refused among them. A leaf: it calls nothing of the engines or the
 * namespace. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fs/engine/tapefs.h"

static void errlog_add(struct tapefs *fs, const char *barcode, const char *fmt,
		       va_list ap)
{
	struct tapefs_errlog *log = &fs->errors;
	time_t now = time(NULL);
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	fprintf(stderr, "tapefs: %s\n", msg);
	pthread_mutex_lock(&log->lock);
	log->last[log->count % TAPEFS_ERRORS_KEPT].when = now;
	memcpy(log->last[log->count % TAPEFS_ERRORS_KEPT].msg, msg,
	       sizeof(msg));
	log->count++;
	if (barcode) {
		uint64_t i = log->nrefused++ % TAPEFS_REFUSED_KEPT;

		log->refused[i].when = now;
		snprintf(log->refused[i].barcode,
			 sizeof(log->refused[i].barcode), "%s", barcode);
	}
	pthread_mutex_unlock(&log->lock);
}

void tapefs_error(struct tapefs *fs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlog_add(fs, NULL, fmt, ap);
	va_end(ap);
}

void tapefs_tape_refused(struct tapefs *fs, const char *barcode,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlog_add(fs, barcode ? barcode : "", fmt, ap);
	va_end(ap);
}

time_t tapefs_tape_refused_when(struct tapefs *fs, const char *barcode)
{
	struct tapefs_errlog *log = &fs->errors;
	time_t when = 0;
	uint64_t n;

	pthread_mutex_lock(&log->lock);
	n = log->nrefused < TAPEFS_REFUSED_KEPT ? log->nrefused
						: TAPEFS_REFUSED_KEPT;
	for (uint64_t i = 0; i < n; i++)
		if (!strcmp(log->refused[i].barcode, barcode) &&
		    log->refused[i].when > when)
			when = log->refused[i].when;
	pthread_mutex_unlock(&log->lock);
	return when;
}
