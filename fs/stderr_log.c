/* fs/stderr_log.c - stderr into the log (fs/stderr_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "fs/engine/tapefs.h"
#include "fs/stderr_log.h"

#define LINE_MAX_LOGGED 1024 /* a longer line is logged in pieces */

struct stderr_log {
	struct tapefs *fs;
	int rfd; /* the pipe's read end; fd 2 is its write end */
	pthread_t th;
};

/* One line, without the "tapefs: " the daemon's own lines start with. */
static void log_one(struct tapefs *fs, char *line, size_t n)
{
	line[n] = 0;
	if (!strncmp(line, "tapefs: ", 8))
		line += 8;
	if (*line)
		tapefs_log(fs, LOG_ERR, "%s", line);
}

static void *reader_main(void *arg)
{
	struct stderr_log *sl = arg;
	char buf[LINE_MAX_LOGGED + 1];
	size_t have = 0;

	for (;;) {
		ssize_t n = read(sl->rfd, buf + have, LINE_MAX_LOGGED - have);
		char *nl, *p = buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		while ((nl = memchr(p, '\n', have - (size_t)(p - buf)))) {
			log_one(sl->fs, p, (size_t)(nl - p));
			p = nl + 1;
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
		if (have == LINE_MAX_LOGGED) {
			log_one(sl->fs, buf, have);
			have = 0;
		}
	}
	if (have)
		log_one(sl->fs, buf, have);
	return NULL;
}

int stderr_log_start(struct stderr_log **out, struct tapefs *fs)
{
	struct stderr_log *sl = calloc(1, sizeof(*sl));
	int p[2], ret;

	if (!sl)
		return -ENOMEM;
	sl->fs = fs;
	if (pipe2(p, O_CLOEXEC) < 0) {
		ret = -errno;
		free(sl);
		return ret;
	}
	sl->rfd = p[0];
	ret = -pthread_create(&sl->th, NULL, reader_main, sl);
	if (ret) {
		close(p[0]);
		close(p[1]);
		free(sl);
		return ret;
	}
	dup2(p[1], 2); /* fd 2 without O_CLOEXEC: programs run inherit it */
	close(p[1]);
	*out = sl;
	return 0;
}

void stderr_log_stop(struct stderr_log *sl)
{
	int null;

	if (!sl)
		return;
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 2); /* the last write end: the reader sees EOF */
		close(null);
	} else {
		close(2);
	}
	pthread_join(sl->th, NULL);
	close(sl->rfd);
	free(sl);
}
