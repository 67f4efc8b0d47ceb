/* tapeio/sched.h - the drive scheduler: owns the drives and the robot.
 *
 * One worker thread per drive. Work arrives as jobs; a job names the tape
 * (barcode) it needs and a priority, never a drive. The scheduler gets the
 * tape into a drive, opens the drive's device and runs the job's callback on
 * that drive's worker thread:
 *   - a tape already in an idle drive goes to that drive (no robot move);
 *   - else an empty drive is loaded from the tape's slot;
 *   - else the tape of an idle drive is unloaded to its home slot first;
 * a tape is in at most one drive; robot moves (load, unload) are serialized
 * by one mutex; among waiting jobs the highest priority goes first
 * (URGENT > RECALL > DUMP > VERIFY), and within a priority a job whose tape is
 * already in a drive is preferred (fewer robot moves), then submission
 * order. The scheduler knows nothing of the catalog.
 *
 * Gangs: a job may need several tapes at once (a dump's copies: one stream
 * fanned out to N tapes). A job with ntapes > 1 starts only when ntapes
 * drives are free with those tapes loaded; its run callback then gets all
 * the tapes together, on the worker thread of its first drive, while the
 * other drives of the gang are held for it (their status shows the job).
 * Decision for fewer drives than tapes: a gang never waits for drives that
 * do not exist; sched_submit() refuses one with more tapes than drives in
 * service (-ENODEV), and a queued gang fails with -ENODEV when drives go out
 * of service under it. The caller decides what to do (the dump engine then
 * writes its remaining copies one after another, see fs/dump.h). While a
 * gang waits for drives, lower-priority jobs do not start on drives it
 * could use, so a gang is never starved by a stream of single-tape jobs.
 *
 * Failures: a failed load, unload or device open counts as a fault of the
 * drive; a job's run callback reports a drive fault with sched_drive_fault()
 * (e.g. a write error that is not the tape's end). SCHED_FAULTS_MAX faults
 * in a row take the drive out of service with the reason (its status shows
 * it); a job that ends without a fault resets the count. A job whose drive
 * failed before its callback ran is requeued (up to SCHED_TRIES_MAX tries
 * on any drive) before its done callback gets the error. Jobs continue on
 * the other drives.
 *
 * Stop: sched_stop() refuses new jobs, completes every queued job with
 * -ECANCELED (done callback), asks running jobs to stop (sched_stopping()
 * turns true: callbacks check it between records or members and return
 * -ECANCELED), waits for them, and leaves tapes where they are: nothing is
 * unloaded at stop (the next start finds them in their drives).
 *
 * Thread safety: every function may be called from any thread, including
 * from run and done callbacks (a done callback may submit new jobs).
 * Functions return 0 or -errno unless said otherwise.
 *
 * Blocking: a file system request thread must never wait for the robot or
 * a drive, so the functions fall in two kinds.
 *   - Never blocking (memory only, microseconds; any thread, a FUSE request
 *     thread included): sched_submit, sched_cancel, sched_set_prio,
 *     sched_stopping, sched_should_yield, sched_drive_fault,
 *     sched_drive_report,
 *     sched_ndrives, sched_drives_in_service, sched_drive_status,
 *     sched_drive_line, sched_queued, sched_error, sched_slot_name,
 *     sched_slot_state, sched_nslots, sched_robot_moves,
 *     sched_tape_reserve, sched_tape_release, sched_tape_reserved. A job
 *     for a tape the scheduler has not seen (a cartridge put into the
 *     library since its last inventory) is queued all the same: the
 *     scheduler's inventory worker asks the robot again, and the job
 *     waits for that inventory on the queue, then runs or ends with
 *     -ENOENT.
 *   - Blocking for the robot or a drive (seconds to minutes; never from a
 *     file system request thread): sched_start (an inventory, label reads
 *     of untagged drives), sched_stop (waits for running jobs),
 *     sched_tape_export, sched_tape_return (robot moves), sched_run_wait
 *     (until the job has run).
 *
 * Locks, for callers: the scheduler's own are taken inside its functions
 * only. "robot" serializes robot moves and inventories and is held across
 * changer calls; "mu" guards the queue and the drives' state and is held
 * for memory operations only (never across a changer call, a tape
 * operation or a callback). Order: robot, then mu; the changer handle's
 * mutex (tapeio/changer.c) is taken inside changer calls, under robot.
 * Callbacks (run, done, a wait's tick) run with no scheduler lock held.
 * A caller may hold a lock of its own across a never-blocking function
 * (its lock then comes before mu), never across a blocking one; nor
 * across sched_cancel(), which runs done callbacks in its thread.
 */
#ifndef TAPEFS_SCHED_H
#define TAPEFS_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tapeio/changer.h"
#include "tapeio/tape.h"

#define SCHED_GANG_MAX 8    /* tapes one job may hold at once */
#define SCHED_FAULTS_MAX 3  /* faults in a row that take a drive out */
#define SCHED_TRIES_MAX 3   /* attempts of a job whose drive failed */
#define SCHED_DESC_MAX 96
#define SCHED_DRIVES_MAX 64 /* = TAPEFS_MAX_DRIVES */

enum sched_prio {
	SCHED_PRIO_VERIFY = 0,
	SCHED_PRIO_DUMP = 1,
	SCHED_PRIO_RECALL = 2,
	SCHED_PRIO_URGENT = 3, /* a recall a user asked to hurry */
};

enum sched_state {
	SCHED_DRIVE_IDLE = 0,
	SCHED_DRIVE_LOADING,
	SCHED_DRIVE_WRITING,
	SCHED_DRIVE_READING,
	SCHED_DRIVE_LOCATING,
	SCHED_DRIVE_UNLOADING,
	SCHED_DRIVE_OUT_OF_SERVICE,
};

/* "idle", "loading", ..., "out of service". Static string. */
const char *sched_state_name(enum sched_state st);

struct sched;
struct sched_job;

/* Drive numbers: every drive argument and field of this interface is the
 * changer's number of the drive (sched_config.drive_id: a host sharing a
 * library drives some of its drives, e.g. 2 and 3), never a position;
 * sched_drive_id() lists them.
 *
 * What a run callback gets: tape i (barcode job->barcode[i]) is open in
 * drive drive[i] with the job's mode, positioned wherever it was (a freshly
 * loaded tape is at BOT). The handles belong to the scheduler: the callback
 * must not close them; the scheduler closes them after the callback
 * returns (a close after a write writes a filemark, as st does). */
struct sched_run {
	struct sched *s;
	int n;
	int drive[SCHED_GANG_MAX];
	struct tape *tape[SCHED_GANG_MAX];
};

/* Runs on a drive worker thread. Returns 0 or -errno; the value is passed
 * to the done callback. */
typedef int (*sched_run_fn)(struct sched_job *job, const struct sched_run *r);
/* Called exactly once for every job sched_submit() accepted: with the run
 * callback's result, or with the error that kept the job from running
 * (-ENOENT: the barcode is in no slot or drive; -ENODEV: not enough drives
 * in service; -ECANCELED: scheduler stopping; a load/open error after the
 * last try, e.g. -ENOMEDIUM, -EIO). After it returns the scheduler never
 * touches the job again: the caller may free it there. Runs on a worker
 * thread, or (for -ECANCELED) on the thread calling sched_stop() or
 * sched_cancel(); never while the scheduler holds a lock, so it may call
 * any sched_ function. */
typedef void (*sched_done_fn)(struct sched_job *job, int result);

/* A job. The caller owns the memory (embed it in its own struct) and fills
 * the public fields before sched_submit(); it must stay valid until done
 * is called. */
/* A job's mode: TAPE_RDONLY, TAPE_RDWR, or SCHED_MODE_COPY - a gang
 * (ntapes >= 2) that reads its tape 0 and writes the others: tape 0 is
 * opened read-only (a write-protected source is fine), the rest
 * read-write. */
#define SCHED_MODE_COPY 2
struct sched_job {
	enum sched_prio prio;
	int mode;   /* TAPE_RDONLY, TAPE_RDWR or SCHED_MODE_COPY */
	int ntapes; /* 1..SCHED_GANG_MAX */
	char barcode[SCHED_GANG_MAX][CHANGER_BARCODE_MAX];
	sched_run_fn run;
	sched_done_fn done;
	void *arg;                 /* the caller's */
	char desc[SCHED_DESC_MAX]; /* for status: "dump 12 copy 1", ... */
	/* Out, set before done is called: the index of the tape whose load
	 * or open failed (e.g. -EROFS: write-protected, -ENOENT: gone from
	 * the library), -1 when the job got all its tapes. A tape's own
	 * failure (-EROFS, -ENOENT) is not retried. */
	int failed;

	/* Private to the scheduler. */
	struct sched_job *next_;
	uint64_t seq_;
	int tries_;
	uint64_t avoid_; /* drives (bit i = drive i) that failed it */
	uint64_t inv_need_; /* inventory it waits for (unknown tape), 0 none */
	void *wait_;        /* sched_run_wait()'s waiter */
};

/* The mode tape i of job is opened with (see SCHED_MODE_COPY). */
static inline int sched_tape_mode(const struct sched_job *job, int i)
{
	if (job->mode == SCHED_MODE_COPY)
		return i == 0 ? TAPE_RDONLY : TAPE_RDWR;
	return job->mode;
}

/* What the scheduler tells its owner's log (sched_config.log), one line
 * each, naming the cartridge, the elements and the drive:
 *   SCHED_LOG_MOVE         a robot move done:
 *                          "barcode=A00001L9 from=\"slot 3\" to=\"drive 0\""
 *   SCHED_LOG_MOVE_FAILED  one that failed, with the changer's reason
 *                          (the same keys and reason="...")
 *   SCHED_LOG_FAULT        a drive fault: "drive=0 tape=A00001L9
 *                          error=\"open /dev/nst0 (A00001L9): ...\""
 *   SCHED_LOG_OUT_OF_SERVICE  a drive taken out of service (same keys)
 * Called on the thread that saw it, with the robot lock perhaps held but
 * never mu: it must not call the scheduler. */
enum sched_log_kind {
	SCHED_LOG_MOVE,
	SCHED_LOG_MOVE_FAILED,
	SCHED_LOG_FAULT,
	SCHED_LOG_OUT_OF_SERVICE,
};
typedef void (*sched_log_fn)(void *arg, enum sched_log_kind kind,
			     const char *line);

/* How the scheduler reaches the hardware. */
struct sched_config {
	struct changer *changer;        /* not owned; outlives the scheduler */
	const struct tape_ops *tape_ops; /* tape_backend("vtape"|"st") */
	int ndrives;                    /* how many drives */
	/* The changer's numbers of the ndrives drives, distinct and >= 0;
	 * NULL: drives 0..ndrives-1. Copied. */
	const int *drive_id;
	/* Device of the i-th drive (drive_id[i]), or NULL to ask
	 * changer_drive_device(). Copied. */
	const char *drive_dev[SCHED_DRIVES_MAX];
	sched_log_fn log; /* optional (NULL: nothing is told) */
	void *log_arg;
};

/* Start one worker per drive and the inventory worker (it looks for the
 * tapes of jobs the scheduler did not know). Reads the changer's
 * inventory to learn what is in each drive (a full drive without a
 * barcode, e.g. changer "none", gets its barcode from the tape's label at
 * the first job). *out is freed by sched_stop(). Returns 0, -EINVAL
 * (ndrives < 1 or > SCHED_DRIVES_MAX, a drive_id negative or repeated),
 * -ENOMEM, or the changer's error. The inventory's other drives (another
 * host's) are not the scheduler's: it never loads, unloads or counts them. */
int sched_start(struct sched **out, const struct sched_config *cfg);

/* See "Stop" above. Frees s. Safe on NULL. */
void sched_stop(struct sched *s);

/* Queue a job. Never blocks (see "Blocking" above): a tape the scheduler
 * does not know yet is looked for by its inventory worker, and done gets
 * -ENOENT (job->failed names the tape, sched_error() says why) when the
 * library does not hold it. Returns 0 (done will be called), -EINVAL (bad
 * fields: no run/done, ntapes out of range, an empty or repeated
 * barcode), -ENODEV (more tapes than drives in service; the reason is in
 * sched_error()), -ECANCELED (stopping). On failure done is not called. */
int sched_submit(struct sched *s, struct sched_job *job);

/* Called by sched_run_wait() every poll_ms while it waits, on the waiting
 * thread, with no scheduler lock held (e.g. to report progress). Returns
 * 0 to go on waiting, nonzero to give the job up: a job still queued is
 * then taken off (its result is -ECANCELED); one already running is
 * waited for, and stopping it is the tick's business (e.g. tarw_cancel()),
 * asked again at every tick. */
typedef int (*sched_tick_fn)(void *arg);

/* Submit job and wait until it has ended, on the calling thread: the
 * submit-and-wait of engine threads. job->done is the helper's (any value
 * is replaced); the other fields are filled as for sched_submit(). tick
 * (may be NULL: no tick) is called every poll_ms (> 0 with a tick).
 * Returns sched_submit()'s refusal, or 0 when the job was queued and has
 * ended: *result is then what done got (the run callback's return,
 * -ENOENT, -ENODEV, -ECANCELED, a load or open error; job->failed says
 * which tape). Blocks until a drive has run the job: never call it from
 * a file system request thread. */
int sched_run_wait(struct sched *s, struct sched_job *job, unsigned poll_ms,
		   sched_tick_fn tick, void *arg, int *result);

/* Take a job that has not started off the queue: its done callback is
 * called with -ECANCELED in this thread before this returns 0. -EBUSY when
 * the job is running (or has been handed to a drive), -ENOENT when it is
 * not queued (done already). */
int sched_cancel(struct sched *s, struct sched_job *job);

/* Change the priority of a job that has not started: it goes before (or
 * after) waiting jobs at the next dispatch. Never blocks. 0, -EBUSY (it
 * is running), -ENOENT (not queued: done already). */
int sched_set_prio(struct sched *s, struct sched_job *job,
		   enum sched_prio prio);

/* True once sched_stop() has begun: run callbacks return -ECANCELED soon. */
int sched_stopping(struct sched *s);

/* True when a job of higher priority than the one running on drive waits
 * for a drive (verify asks between archives and gives the drive up). */
int sched_should_yield(struct sched *s, int drive);

/* Called from a run callback: drive's current fault (the reason is kept
 * for its status). See "Failures" above. */
void sched_drive_fault(struct sched *s, int drive, const char *reason);

/* Called from a run callback to describe its work for status: the state
 * (SCHED_DRIVE_WRITING, SCHED_DRIVE_READING, SCHED_DRIVE_LOCATING), the position, and the
 * bytes done of total (total 0: unknown; progress and eta then unknown).
 * MB/s and eta are derived from bytes_done over time. */
void sched_drive_report(struct sched *s, int drive, enum sched_state state,
			long file, long block, uint64_t bytes_done,
			uint64_t bytes_total);

/* Number of drives (in service or not). */
int sched_ndrives(const struct sched *s);
/* The changer's number of the i-th drive (0 <= i < sched_ndrives()), in
 * sched_config.drive_id's order; -1 for another i. */
int sched_drive_id(const struct sched *s, int i);
/* Drives in service now. */
int sched_drives_in_service(struct sched *s);

struct sched_drive_status {
	int drive;
	enum sched_state state;
	char barcode[CHANGER_BARCODE_MAX]; /* tape in the drive, "" if none */
	char dev[256];                     /* device node */
	long file, block;                  /* -1 when unknown */
	char job[SCHED_DESC_MAX];          /* "" when idle */
	int percent;                       /* 0..100, -1 unknown */
	double mbps;                       /* current job's rate, 0 unknown */
	long eta_s;                        /* -1 unknown */
	uint64_t bytes_done;
	int faults;                        /* faults in a row */
	char reason[320];                  /* why out of service, or last fault */
	uint64_t jobs_done, loads, unloads;
	/* Bytes the jobs on this drive wrote and read since sched_start()
	 * (the tape backend's counters, added when a job gives the drive
	 * back: a running job's bytes are in bytes_done meanwhile). */
	uint64_t bytes_written, bytes_read;
	int home; /* slot the tape in the drive came from, 0 none or unknown */
};

/* Status of one drive. Returns 0 or -ENOENT (no such drive). */
int sched_drive_status(struct sched *s, int drive,
		       struct sched_drive_status *out);

/* One line for `.status` and drives/N, e.g.
 *   "writing A00003L9 file 7 41% 212.4 MB/s eta 0:01:12 (dump 12 copy 1)"
 *   "idle A00003L9" | "idle empty" | "out of service: 3 faults: load: ..."
 * Writes at most len bytes (NUL-terminated). Returns 0 or -ENOENT. */
int sched_drive_line(struct sched *s, int drive, char *buf, size_t len);

/* Jobs waiting (not running). */
int sched_queued(struct sched *s);

/* The last refusal's reason (sched_submit -ENODEV), "" if none. Copied
 * into buf. */
void sched_error(struct sched *s, char *buf, size_t len);

/* Move the cartridge barcode to an empty import/export slot (the
 * operator's export): from its slot, or unloaded from an idle drive.
 * Robot moves are serialized with the scheduler's own. Returns 0 with
 * the slot in *ie_slot, -EBUSY (a job holds or waits for the tape),
 * -ENOSPC (no empty import/export slot), -ENOENT (the library does not
 * hold it), or the changer's -errno (changer_error() says why). Blocks
 * for the robot: never call it from a file system request thread. */
int sched_tape_export(struct sched *s, const char *barcode, int *ie_slot);

/* Libraries without a barcode reader (or a cartridge whose tag cannot be
 * read) report full slots without a tag: the scheduler cannot find such a
 * cartridge by barcode until it is told. sched_slot_name() says that the
 * untagged cartridge in slot is barcode (NULL: forget what slot was
 * called); jobs for barcode then load it from there. The scheduler keeps
 * the name while it moves the cartridge (slot -> drive -> home slot) and
 * forgets it when an inventory shows the slot empty. A full drive without
 * a tag at start is named by the label on its tape. 0, -EINVAL, -ENOMEM. */
int sched_slot_name(struct sched *s, int slot, const char *barcode);

/* What the scheduler's last inventory saw in slot: 1 a cartridge with a
 * tag, 0 one without, -ENOMEDIUM empty, -EINVAL no such slot. No robot
 * work: it may be called from a file system request thread (the answer
 * may be older than a cartridge an operator just put in). */
int sched_slot_state(struct sched *s, int slot);

/* What the scheduler knows of slot now: its last inventory and the moves
 * it made since (a cartridge it loaded into a drive has left its slot; one
 * it put back is there). full, with a tag or not, an import/export slot or
 * not, and the cartridge's barcode: its tag, or the name sched_slot_name()
 * gave an untagged one ("" when unknown). Never blocks (memory only, as
 * sched_slot_state()): any thread may call it. 0 or -EINVAL (no such
 * slot). */
struct sched_slot_info {
	int full, tagged, ie;
	char barcode[CHANGER_BARCODE_MAX];
};
int sched_slot_info(struct sched *s, int slot, struct sched_slot_info *out);

/* Storage slots (import/export included) at the last inventory. */
int sched_nslots(struct sched *s);

/* Put the cartridge barcode back into its home slot when it sits in an
 * idle drive (ejected first, as for any unload). 0 (back, or in no
 * drive), -EBUSY (a job holds or waits for it), or the unload's -errno.
 * Blocks for the robot: never from a file system request thread. */
int sched_tape_return(struct sched *s, const char *barcode);

/* Reservations: "is this tape being written?" answered by the
 * scheduler, so that the operator's requests (close, retire, export) ask
 * it and never the engine that writes. An engine reserves a tape when it
 * takes it for writing and releases it when it is done with it (written,
 * or given up for another tape); reservations count (each reserve needs
 * its release). A reservation does not keep other jobs from the tape:
 * it only answers sched_tape_reserved(). No robot or drive work: any
 * thread may call these. reserve: 0, -EINVAL (bad barcode), -ENOMEM,
 * -EBUSY (an exclusive reservation holds it). reserve_excl: the same, and
 * -EBUSY when any reservation holds it; taken, no other reservation is
 * given until its release (a tape-to-tape copy holds its destination so,
 * and a dump takes another tape or waits). Checking and taking happen
 * under one lock: two writers never both get a tape. */
int sched_tape_reserve(struct sched *s, const char *barcode);
int sched_tape_reserve_excl(struct sched *s, const char *barcode);
void sched_tape_release(struct sched *s, const char *barcode);
/* 1 when barcode holds a reservation, else 0. */
int sched_tape_reserved(struct sched *s, const char *barcode);

/* 1 when barcode sits in another host's drive as the last inventory saw
 * it (none of ours holds it): a job for it waits until that host puts it
 * back; the recall engine hands such a tape's requests to the host that
 * holds it instead (docs/multi-host.md). 0 else. Never blocks. */
int sched_tape_away(struct sched *s, const char *barcode);

/* Robot moves done since start (loads + unloads), for tests. */
uint64_t sched_robot_moves(struct sched *s);

#endif
