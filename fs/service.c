/* fs/service.c - the mount as a service (fs/service.h): systemd's
 * notifications through libsystemd's sd_notify(), and SIGHUP served on a
 * thread of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <syslog.h>
#include <unistd.h>

#include "fs/engine/tapefs.h"
#include "fs/reload.h"
#include "fs/service.h"

void service_progress(void *arg, const char *status)
{
	(void)arg;
	sd_notifyf(0, "STATUS=%s\nEXTEND_TIMEOUT_USEC=%llu", status,
		   SERVICE_STEP_USEC);
}

void service_ready(const char *mountpoint)
{
	sd_notifyf(0, "READY=1\nSTATUS=mounted at %s", mountpoint);
}

void service_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=unmounting");
}

/* ---- SIGHUP ---------------------------------------------------------------
 * A signal handler has no argument to reach the mount through: the write
 * end of the pipe that wakes the thread is the one global, set while the
 * thread runs. */

struct service {
	struct tapefs *fs;
	int pipe[2]; /* the handler writes 'h' to [1]; the thread reads [0] */
	int stop;    /* atomic: service_hup_stop() began */
	pthread_t th;
};

static volatile int hup_fd = -1;

static void on_hup(int sig)
{
	int saved = errno;
	int fd = hup_fd;

	(void)sig;
	if (fd >= 0 && write(fd, "h", 1) < 0) {
		/* the pipe is full: a reload is pending anyway */
	}
	errno = saved;
}

static void *hup_main(void *arg)
{
	struct service *sv = arg;
	char c;

	for (;;) {
		ssize_t n = read(sv->pipe[0], &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || __atomic_load_n(&sv->stop, __ATOMIC_ACQUIRE))
			break;
		tapefs_log(sv->fs, LOG_NOTICE, "SIGHUP: reloading %s",
			   sv->fs->cfg.path);
		reload_config(sv->fs);
	}
	return NULL;
}

int service_hup_start(struct service **out, struct tapefs *fs)
{
	struct service *sv = calloc(1, sizeof(*sv));
	struct sigaction sa;
	int ret;

	if (!sv)
		return -ENOMEM;
	sv->fs = fs;
	if (pipe2(sv->pipe, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out_free;
	}
	fcntl(sv->pipe[1], F_SETFL, O_NONBLOCK);
	ret = -pthread_create(&sv->th, NULL, hup_main, sv);
	if (ret)
		goto out_pipe;
	hup_fd = sv->pipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	*out = sv;
	return 0;
out_pipe:
	close(sv->pipe[0]);
	close(sv->pipe[1]);
out_free:
	free(sv);
	tapefs_log(fs, LOG_ERR, "SIGHUP: %s; it is ignored", strerror(-ret));
	signal(SIGHUP, SIG_IGN); /* never the FUSE library's: it unmounts */
	return ret;
}

void service_hup_stop(struct service *sv)
{
	struct sigaction sa;

	if (!sv)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	hup_fd = -1;
	__atomic_store_n(&sv->stop, 1, __ATOMIC_RELEASE);
	/* a full pipe (EAGAIN) wakes the thread as well */
	while (write(sv->pipe[1], "q", 1) < 0 && errno == EINTR)
		;
	pthread_join(sv->th, NULL);
	close(sv->pipe[0]);
	close(sv->pipe[1]);
	free(sv);
}
