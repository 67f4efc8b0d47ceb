/* fs/engine/errlog.c - tapefs_error(): the last errors of every engine, kept
 * for the "errors:" lines of .status (rendered by fs/ns/status.c). A leaf:
 * it calls nothing of the engines or the namespace. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fs/engine/tapefs.h"

void tapefs_error(struct tapefs *fs, const char *fmt, ...)
{
	struct tapefs_errlog *log = &fs->errors;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	fprintf(stderr, "tapefs: %s\n", msg);
	pthread_mutex_lock(&log->lock);
	log->last[log->count % TAPEFS_ERRORS_KEPT].when = time(NULL);
	memcpy(log->last[log->count % TAPEFS_ERRORS_KEPT].msg, msg,
	       sizeof(msg));
	log->count++;
	pthread_mutex_unlock(&log->lock);
}
