/* fs/engine/tapefs.h - the daemon's shared state: configuration and the handles
 * of every subsystem. One struct tapefs per mount, reached from FUSE requests
 * through the request's userdata (fs/ops.h); never a global.
 *
 * Ownership: fs/config.c fills cfg; fs/mount.c opens and closes the rest in
 * order (catalog, changer, scheduler, library, dump, verify, recall) and
 * tears them down in reverse.
 */
#ifndef TAPEFS_TAPEFS_H
#define TAPEFS_TAPEFS_H

#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#define TAPEFS_MAX_POOLS  8
#define TAPEFS_MAX_DRIVES 64
/* [library] lease: its default and bounds, in seconds */
#define TAPEFS_LEASE_DEFAULT 30
#define TAPEFS_LEASE_MIN     2
#define TAPEFS_LEASE_MAX     3600

/* The ini file (docs/config.md has every key and its default). */
struct tapefs_config {
	char *path;          /* the ini file itself */
	char *catalog;       /* [tapefs] catalog: sqlite file, or a database
				server's URI (catalog_kind_of()); never
				printed: print catalog_shown */
	char *catalog_shown; /* catalog as it may be printed: a URI's
				password masked (catalog_where_print()) */
	char *catalog_tmp;   /* directory of the catalog's temporary files
				(snapshots, a rebuild's spill): the catalog
				file's, or with a URI the cache's
				tapefs-tmp/ */
	char *staging;       /* [tapefs] staging: directory on local disk */
	char *cache;         /* [tapefs] cache: recall cache directory */
	uint64_t cache_size; /* [tapefs] cache_size: bytes, default 10 GiB */
	uint32_t block_size; /* [tapefs] block_size: bytes per record, 256 KiB */
	int copies;          /* [tapefs] copies: default 2 */
	int npools;          /* [tapefs] pools = A,B: copy i goes to pools[i] */
	char *pools[TAPEFS_MAX_POOLS];
	char *catalog_backup; /* [tapefs] catalog_backup: directory of the
				 catalog's backups, NULL = none */
	unsigned catalog_backups; /* [tapefs] catalog_backups: kept, 7 */
	/* [tapefs] catalog_to_tape: a snapshot of the catalog to tape after
	 * every snap_dumps dumps, or after a dump snap_secs after the last
	 * one; both 0 = never (docs/catalog.md) */
	unsigned snap_dumps;
	unsigned snap_secs;
	uint64_t dump_bytes; /* [dump] bytes: eligible bytes that start a dump */
	uint64_t dump_files; /* [dump] files: eligible files that start a dump */
	unsigned dump_idle;  /* [dump] idle: seconds without a close */
	unsigned dir_keep;   /* [dump] dir_keep: seconds an empty staged
				directory stays untouched before it goes;
				0 = never */
	int verify_repair_auto; /* [verify] repair = auto: a verification
				   that found damage is followed by repair */
	unsigned verify_every;	/* [verify] every: seconds after which a
				   good copy is verified again; 0 = never */
	unsigned verify_sample; /* [verify] sample: % of each copy's files
				   the schedule reads, 100 (0 = 100) */
	unsigned recall_per_tape; /* [recall] inflight_per_tape: requests
				     one mount of a tape serves (0: all) */
	char *changer;       /* [library] changer: vlib | mtx | none */
	char *changer_spec;  /* [library] path: vlib dir, or the mtx device */
	char *mtx;           /* [library] mtx: the mtx command, default "mtx" */
	char *tape;          /* [library] tape: vtape | st */
	int ndrives;         /* [library] drives: how many drives to use;
				0 = every drive of the changer */
	/* The changer's numbers of those drives, ascending ([library]
	 * drive_ids = 2,3; drives = N: 0..N-1); unset when ndrives is 0. */
	int drive_id[TAPEFS_MAX_DRIVES];
	int drive_ids_set; /* drive_ids was given (not drives = N) */
	char *drive_dev[TAPEFS_MAX_DRIVES]; /* [library] driveN: device of
					       the changer's drive N, or
					       NULL to ask the changer */
	char *host; /* [library] host: this daemon's name among the hosts
		       sharing the library; default the machine's name */
	int host_set; /* host was given: the daemon joins the catalog's
			 hosts under it (fs/engine/host.h); else it is one
			 host alone and leases nothing */
	unsigned lease_secs; /* [library] lease: seconds a host's leases
				run without a beat (default 30) */
	int allow_delete;      /* [tapefs] allow_delete: rm under archive/ */
	unsigned repack_below; /* [tapefs] repack_below: a full tape whose
				  live share falls below this % is
				  repacked; 0 = never */
	int log_level; /* [tapefs] log_level: a syslog priority, LOG_ERR to
			  LOG_DEBUG; default LOG_INFO */
	/* Where each key was read: "section\0key" and its line, for
	 * config_line() (fs/config.h). */
	struct tapefs_config_key {
		char name[48];
		int line;
	} *keys;
	int nkeys;
};

struct catalog;
struct changer;
struct sched;
struct dump;
struct verify;
struct recall;
struct library;

/* A control write the mount refused: when, the request (printable, cut
 * short) and why. */
struct tapefs_refusal {
	time_t when;
	char req[120];
	char why[256];
};

/* The last errors, for the "errors:" lines of .status (fs/ns/status.c),
 * the last tapes a dump refused (library_write_check()), for the marks of
 * .library.svg, and the last refused write of each control file
 * (fs/engine/refusals.c). */
#define TAPEFS_ERRORS_KEPT	 8
#define TAPEFS_REFUSED_KEPT	 16
#define TAPEFS_CTL_REFUSALS_KEPT 16
struct tapefs_errlog {
	pthread_mutex_t lock; /* guards everything below; a leaf lock */
	uint64_t count;       /* errors since mount */
	struct {
		time_t when;
		char msg[256];
	} last[TAPEFS_ERRORS_KEPT]; /* ring: last[(count - 1) % KEPT] is newest */
	uint64_t nrefused;	    /* tapes refused since mount */
	struct {
		time_t when;
		char barcode[40];
	} refused[TAPEFS_REFUSED_KEPT]; /* ring, as last */
	struct {
		char file[64]; /* the control file, "" for a free slot */
		struct tapefs_refusal r;
	} ctl_refused[TAPEFS_CTL_REFUSALS_KEPT]; /* the oldest is taken when
						    full */
};

/* Where the log goes (fs/engine/errlog.c). A zeroed struct logs every
 * line up to LOG_INFO to stderr only: what the unit tests and the
 * subcommands get. The mount opens syslog with tapefs_log_open(). */
struct tapefs_log {
	int level;  /* atomic: the least urgent priority logged, LOG_ERR ..
		       LOG_DEBUG; 0 (a zeroed struct) = LOG_INFO */
	int syslog; /* lines go to syslog(3) (tapefs_log_open()) */
	int quiet;  /* lines do not go to stderr */
	int terse;  /* stderr takes only LOG_WARNING and more urgent (a
		       terminal before the daemon leaves it) */
	/* Optional: told the mount's progress as it starts (the inventory),
	 * for the service manager (STATUS=). Called on the logging thread. */
	void (*progress)(void *arg, const char *status);
	void *progress_arg;
};

/* Who is told of names the engines change behind the kernel's back (a
 * commit gives paths of archive/ a new version and tape files new
 * archives, a dump's clean-up removes staged files), so that what the
 * kernel cached of them is dropped: the FUSE edge (fs/ops_inval.c) while
 * mounted; zeroed (no one) in the unit tests. Engines use the
 * tapefs_changes_*() calls below, never these. */
struct tapefs_notifier {
	void *(*begin)(void *arg); /* a batch, or NULL: no one listens */
	void (*changed)(void *batch, const char *area, const char *rel);
	void (*end)(void *batch);
	/* What the recall cache holds of member member_id changed (its
	 * st_blocks): no batch; called with any lock held, never waits. */
	void (*member)(void *arg, int64_t member_id);
	void *arg;
};

struct tapefs {
	struct tapefs_config cfg;
	struct tapefs_notifier notify;
	struct tapefs_log log;
	int staging_fd;          /* O_PATH|O_DIRECTORY of cfg.staging */
	uid_t owner;             /* the user who mounted: may write control
				    files (and root) */
	gid_t owner_gid;
	time_t mounted;          /* when the mount started */
	struct tapefs_errlog errors;
	struct catalog *cat;
	struct changer *changer;
	struct sched *sched;
	struct dump *dump;
	struct verify *verify;
	struct recall *recall;
	struct library *library; /* fs/engine/library.h: lives from before
				    the start-up check to the process's end */
	struct host *host;	 /* fs/engine/host.h: this daemon among the
				    hosts sharing the catalog; NULL alone */
};

/* A batch of changed names (fs/engine/notify.c). Begun once the catalog
 * (or staging/) has the change, fed every name that changed, ended before
 * anyone is told the change is done (the files leave staging/, a
 * request's answer): tapefs_changes_end() returns once the kernel dropped
 * what it held of them. Never called with a lock held that a FUSE request
 * may wait for (the kernel waits for requests in a directory before it
 * drops a name of it). area: "archive", "tapes" or "staging"; rel: the
 * path below it ("a/b"). Without a listener every call does nothing. */
struct tapefs_changes {
	const struct tapefs_notifier *n;
	void *batch;
};
void tapefs_changes_begin(struct tapefs *fs, struct tapefs_changes *c);
void tapefs_changed(struct tapefs_changes *c, const char *area,
		    const char *rel);
void tapefs_changes_end(struct tapefs_changes *c);
/* The bytes the recall cache holds of member_id went from none to some,
 * to all, or back: the kernel drops the attributes it holds of it
 * (st_blocks, what `du` shows). Cheap, never waits: any lock may be held. */
void tapefs_member_changed(struct tapefs *fs, int64_t member_id);

/* Record an error for `.status` (the "errors:" lines; the last few are
 * kept, each with its time) and log it at LOG_ERR. Inside a request
 * (tapefs_request_begin()) the line is the request's reason instead, logged
 * by tapefs_request_end(). Thread-safe. */
void tapefs_error(struct tapefs *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same for an error that refused tape barcode (a dump's check found
 * a label that is not the catalog's, or data this catalog did not write):
 * also kept as one of the last TAPEFS_REFUSED_KEPT tapes refused; logged
 * at LOG_WARNING. Thread-safe. */
void tapefs_tape_refused(struct tapefs *fs, const char *barcode,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* When barcode was last refused since the mount, among the tapes kept;
 * 0 when it was not. Thread-safe. */
time_t tapefs_tape_refused_when(struct tapefs *fs, const char *barcode);

/* A write to control file file (".verify", "tapes/A00001L9/.ctl") was
 * refused: keep it as that file's last refusal (for what reading the file
 * shows) and record an error for .status. req: the request as written,
 * len bytes of any value (kept printable, cut short). Thread-safe. */
void tapefs_refused(struct tapefs *fs, const char *file, const char *req,
		    size_t len, const char *why);

/* The last refusal of file into *out: 1, or 0 when there is none. */
int tapefs_refusal(struct tapefs *fs, const char *file,
		   struct tapefs_refusal *out);

/* ---- the log (syslog, and stderr) ---------------------------------------
 * Every line goes to syslog(3) once tapefs_log_open() ran (journald takes
 * it from /dev/log), and to stderr unless fs->log.quiet, when its priority
 * is at least as urgent as fs->log.level. Lines name what they concern:
 * "KIND: key=value ..." with the tape, archive, run or path as keys, values
 * with spaces or quotes in double quotes (tapefs_log_quote()). */

/* Open syslog as "tapefs[PID]", facility daemon. Lines go to stderr too
 * when to_stderr (the -f mode), except when stderr is the journal's own
 * stream (systemd's JOURNAL_STREAM): the journal then has them once. */
void tapefs_log_open(struct tapefs *fs, int to_stderr);
void tapefs_log_close(struct tapefs *fs);

/* Change the level (SIGHUP's reload). Thread-safe. */
void tapefs_log_set_level(struct tapefs *fs, int level);

/* "err", "warning", "notice", "info", "debug": the priority, or -1. And
 * back (a static string). */
int tapefs_log_level_parse(const char *name);
const char *tapefs_log_level_name(int level);

/* Log one line at priority prio (LOG_ERR .. LOG_DEBUG). Thread-safe. */
void tapefs_log(struct tapefs *fs, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An audit line at LOG_NOTICE: "KIND: key=value ..." for what an operator
 * must find afterwards: a dump committed, a verification's result, a
 * recall served, a robot move, a drive fault, a request refused. */
void tapefs_audit(struct tapefs *fs, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* s as a log value: as it is when it is not empty and holds no space,
 * '"', '\' or control byte; else in double quotes, with '"' and '\'
 * escaped by a backslash and control bytes as \xHH. The bytes of a name
 * that is not UTF-8 are \xHH too (valid UTF-8 stays as it is). Returns buf
 * (cut at len, always terminated). */
const char *tapefs_log_quote(const char *s, char *buf, size_t len);

/* The mount's progress while it starts: logged at LOG_INFO and passed to
 * fs->log.progress. */
void tapefs_progress(struct tapefs *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A request written to a control file, on the thread that serves it:
 * begin before the provider runs; end after with its result (0 or -errno).
 * A refusal is logged once, at LOG_WARNING: "request refused: file=FILE
 * request=LINE reason=..." where the reason is the first tapefs_error() or
 * tapefs_request_reason() of this thread since begin (else strerror). An
 * error of an accepted request is logged as any error. */
void tapefs_request_begin(void);
void tapefs_request_end(struct tapefs *fs, const char *file, const char *line,
			int ret);
/* Why the request of this thread is refused, when the provider keeps it
 * in its own status rather than as an error of .status (`.verify`).
 * Outside a request: logged at LOG_WARNING. */
void tapefs_request_reason(struct tapefs *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
