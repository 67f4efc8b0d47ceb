/* fs/service.h - the mount as a service: what the daemon tells systemd
 * (sd_notify(3)) and what SIGHUP does.
 *
 * Notifications, for a unit of Type=notify (dist/tapefs@.service.in):
 * STATUS= with the progress of the start (the library inventory, which
 * can take minutes with a robot), each with EXTEND_TIMEOUT_USEC= so that
 * a long inventory never hits a start timeout while it moves on; READY=1
 * once the engines run and the mount answers; STOPPING=1 when the mount
 * ends. Without a service manager (NOTIFY_SOCKET unset) they do nothing.
 *
 * SIGHUP never unmounts: it reloads what can change in a running mount
 * (fs/reload.h) on a thread of its own; the signal handler only wakes it.
 */
#ifndef TAPEFS_SERVICE_H
#define TAPEFS_SERVICE_H

struct tapefs;
struct service;

/* How long one step of the start may take before the service manager
 * gives up, renewed at every progress report: 10 minutes. */
#define SERVICE_STEP_USEC (600ULL * 1000000ULL)

/* The progress hook of fs->log (struct tapefs_log): STATUS=status and
 * EXTEND_TIMEOUT_USEC=SERVICE_STEP_USEC. arg is unused. */
void service_progress(void *arg, const char *status);

/* READY=1, and STATUS= naming the mount point. */
void service_ready(const char *mountpoint);

/* STOPPING=1: the mount ends; the engines stop next. */
void service_stopping(void);

/* Take SIGHUP over (from the FUSE library's handler, which would end the
 * mount): each one reloads fs's settings on the service's thread. 0, or
 * -errno (logged) with SIGHUP ignored. */
int service_hup_start(struct service **out, struct tapefs *fs);

/* Stop the thread; SIGHUP is ignored from now on. Safe on NULL. */
void service_hup_stop(struct service *sv);

#endif
