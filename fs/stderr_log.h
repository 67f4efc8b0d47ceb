/* fs/stderr_log.h - what the daemon writes to stderr, into the log.
 *
 * Some of the daemon writes to stderr directly: the catalog's sqlite
 * errors (catalog/ knows nothing of the log), the FUSE library, programs
 * it runs (mtx). In the background stderr is /dev/null, and under systemd
 * it is the journal's stream, where a line gets no priority: there, each
 * line written to stderr goes to the log at LOG_ERR instead, through a
 * pipe read by a thread of its own.
 */
#ifndef TAPEFS_STDERR_LOG_H
#define TAPEFS_STDERR_LOG_H

struct tapefs;
struct stderr_log;

/* Point fd 2 at the pipe and start the thread. 0 or -errno (stderr left
 * as it was). */
int stderr_log_start(struct stderr_log **out, struct tapefs *fs);

/* fd 2 back to /dev/null, the lines still in the pipe logged, the thread
 * ended. Safe on NULL. */
void stderr_log_stop(struct stderr_log *sl);

#endif
