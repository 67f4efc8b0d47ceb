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

/* The ini file (docs/config.md has every key and its default). */
struct tapefs_config {
	char *path;          /* the ini file itself */
	char *catalog;       /* [tapefs] catalog: sqlite file */
	char *staging;       /* [tapefs] staging: directory on local disk */
	char *cache;         /* [tapefs] cache: recall cache directory */
	uint64_t cache_size; /* [tapefs] cache_size: bytes, default 10 GiB */
	uint32_t block_size; /* [tapefs] block_size: bytes per record, 256 KiB */
	int copies;          /* [tapefs] copies: default 2 */
	int npools;          /* [tapefs] pools = A,B: copy i goes to pools[i] */
	char *pools[TAPEFS_MAX_POOLS];
	uint64_t dump_bytes; /* [dump] bytes: eligible bytes that start a dump */
	uint64_t dump_files; /* [dump] files: eligible files that start a dump */
	unsigned dump_idle;  /* [dump] idle: seconds without a close */
	int verify_repair_auto; /* [verify] repair = auto: a verification
				   that found damage is followed by repair */
	char *changer;       /* [library] changer: vlib | mtx | none */
	char *changer_spec;  /* [library] path: vlib dir, or the mtx device */
	char *mtx;           /* [library] mtx: the mtx command, default "mtx" */
	char *tape;          /* [library] tape: vtape | st */
	int ndrives;         /* [library] drives: how many drives to use */
	char *drive_dev[TAPEFS_MAX_DRIVES]; /* [library] driveN: device, or
					       NULL to ask the changer */
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

struct tapefs {
	struct tapefs_config cfg;
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
};

/* Record an error for `.status` (the "errors:" lines; the last few are
 * kept, each with its time) and log it to stderr. Thread-safe. */
void tapefs_error(struct tapefs *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same for an error that refused tape barcode (a dump's check found
 * a label that is not the catalog's, or data this catalog did not write):
 * also kept as one of the last TAPEFS_REFUSED_KEPT tapes refused.
 * Thread-safe. */
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

#endif
