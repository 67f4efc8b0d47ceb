/* fs/engine/host.h - this daemon among the hosts that share one catalog
 * (docs/multi-host.md): it joins under its name as the mount starts,
 * beats from a thread of its own (every third of its lease time: one
 * transaction that sets its heartbeat and renews every lease it holds),
 * takes over the work of hosts whose leases expired, and leaves at
 * unmount.
 *
 * What a take-over does is what a crash's restart does on one host: a
 * recall request is queued here and served into the (shared) cache; a
 * dump left pending or writing is failed, its files, still staged, dump
 * again; a verify run is marked interrupted; a tape-to-tape copy failed.
 * Work this host made holds its lease from the moment its row exists
 * (catalog.h, "hosts and leases"), and the catalog fences what it
 * commits: a dump whose lease another host took cannot commit here.
 */
#ifndef TAPEFS_HOST_H
#define TAPEFS_HOST_H

#include <stdint.h>

struct tapefs;

/* Join fs->cat as host name, leases running lease_ms, and start the
 * beat. Call after the catalog opened and before the engines start (so
 * their start-up clean-ups leave other live hosts' work alone and what
 * they create is leased). 0 or -errno (logged); a name another live
 * daemon may hold is said in .status and joined all the same (that
 * daemon's next beat finds its row taken and says so). */
int host_start(struct tapefs *fs, const char *name, int64_t lease_ms);
/* Whether name is free to join: 0 when the catalog has no row of it, or
 * its heartbeat is older than lease_ms (a run that died); when it beat
 * within lease_ms, watches the row (up to lease_ms from that beat) until
 * it either beats again or is joined again (-EADDRINUSE: another daemon
 * runs under name) or misses its beat (0: it died, as a kill -9 then a
 * restart leaves it). Call before host_start(), with fs->cat open;
 * -errno of the catalog otherwise. */
int host_name_free(struct tapefs *fs, const char *name, int64_t lease_ms);
/* Take-overs of the work of dead hosts on or off (on from host_start();
 * the mount turns them off until its engines started, and before they
 * stop): once it returns, no sweep runs. The beat goes on either way. */
void host_takeover(struct tapefs *fs, int on);
/* One beat and one take-over sweep now (the thread does the same every
 * third of the lease time): the number of jobs taken over, or -errno. */
int host_beat_now(struct tapefs *fs);
/* The lease time this host joined with (ms), 0 when it joined none (one
 * host alone). */
int64_t host_lease_ms(const struct tapefs *fs);
/* Stop the beat and leave (leases released, the host's row deleted).
 * After the engines stopped. Nothing when host_start() was not called. */
void host_stop(struct tapefs *fs);

#endif
