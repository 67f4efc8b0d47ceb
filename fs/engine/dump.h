/* fs/engine/dump.h - the dump engine: staged files to tape (SPEC 3.1, 3.2).
 *
 * Files written into staging/ become eligible when their last writer closes
 * them. A dump starts when the eligible bytes reach cfg.dump_bytes, or the
 * eligible files reach cfg.dump_files, or nothing was closed for
 * cfg.dump_idle seconds while files are pending, or on a `.dump` request.
 * At mount start-up everything already in staging/ is eligible (it survived
 * an unmount or a crash).
 *
 * A dump is cut into tar archives (pax, records of cfg.block_size) that
 * each fit the room of the tapes they go to (dump_fill.c), in path order,
 * filling a tape to its early-warning reserve before the next is taken;
 * each archive is written to cfg.copies tapes, copy i on a tape of pool
 * cfg.pools[i], all copies at the same time on different drives (one
 * scheduler gang; each source is read once and fanned out), and goes
 * through the steps below as a dump of its own. A file larger than the
 * largest tape of a copy's pool is never taken: it stays staged, noted
 * too_large (dump_large.c), and blocks nothing. Steps (the engine's thread runs
 * them one dump at a time; the file that does each is in brackets):
 *   1. snapshot: walk staging/ (or the requested subtree) and lstat every
 *      regular file, directory and symlink not held back (open for
 *      writing, or written with a failure: dump_file_closed)
 *      [dump_snap.c];
 *   2. journal: the list goes into the catalog as a dump "pending"
 *      [dump_plan.c];
 *   3. tapes: each copy not written yet gets a tape (an open tape of the
 *      pool with room, else a scratch one, never one another copy holds
 *      or one that failed this dump); the scheduler holds a reservation of
 *      it until the dump is done with it: sched_tape_reserved()
 *      [dump_plan.c];
 *   4. gang: those copies, as many as there are drives in service, run as
 *      one scheduler job; on each drive the tape is checked
 *      (library_write_check(), library.h: a label that is not the
 *      catalog's, or data this catalog did not write at file last_file+1,
 *      refuses the tape), positioned at the start of file last_file+1 (a
 *      partial archive of this catalog's own that a crash left there is
 *      overwritten) and the tape file journaled (dump "writing")
 *      [dump_gang.c];
 *   5. write: the tar writer streams the snapshot as one archive to every
 *      tape of the gang, ending with a filemark on each [dump_gang.c];
 *   6. outcomes, per copy: written, it stays written; early warning: the
 *      tape is marked full and the copy goes to the next tape of the pool
 *      (back to 3; the other copies stay written); refused: the tape is
 *      closed in the catalog, said in `.status`, and another chosen; a
 *      write error, or the load or open of its tape failing (a
 *      write-protected tape is closed): another tape, and three such
 *      failures of one copy fail the dump; a source that changed while
 *      being read: it drops out (it stays staged for a later dump) and
 *      every copy is written again without it. Rounds of 3 to 6 go on
 *      until every copy is written or the dump is abandoned
 *      [dump_write.c];
 *   7. commit: when every copy's filemark is on tape, one catalog
 *      transaction commits the archive, its copies and members
 *      [dump_commit.c];
 *   8. clean-up: only then the dumped files leave staging/ (each only if
 *      it is still the inode the snapshot saw, unchanged; else it stays
 *      for the next dump); directories stay, for writers to come back to:
 *      one goes only when it is empty, archived and untouched for
 *      cfg.dir_keep seconds (0 = never) [dump_dirs.c]; the journal notes
 *      the clean-up done [dump_commit.c];
 *   9. the catalog kept safe, once the archives of a dump are committed:
 *      an online backup of it into catalog_backup, and when
 *      catalog_to_tape says so a snapshot of it written to tape as an
 *      archive of its own (steps 2 to 7 again, its one member the backup)
 *      [dump_catalog.c].
 * With fewer drives in service than copies, the copies that find no drive
 * are written one after another (the sources are read again for them); the
 * commit still waits for all of them.
 *
 * Crash safety: a dump the journal shows "pending"/"writing" at start-up is
 * marked failed; its files are still in staging/ (nothing leaves before the
 * commit) and simply dump again. A committed dump whose clean-up the
 * journal does not show done (a crash between commit and removal) gets it
 * at start-up: exactly the entries the journal says it committed, each
 * only while it is still the same inode with the journaled identity
 * (device, inode, mode, size, mtime, ctime) [dump_recover.c].
 *
 * Staging is users' ground: every path into it is resolved beneath the
 * staging root without following a symlink at any component, and what it
 * names must still have the snapshot's identity when it is read (checked
 * on the open descriptor before the first byte and after the last) and
 * when it is removed (checked in its parent's descriptor right before the
 * unlink); anything else stays staged, with an error line saying so
 * [dump_staged.c, fs/engine/beneath.h].
 *
 * The engine runs on its own thread and on drive workers; FUSE request
 * threads only call the cheap functions below (no I/O except dump_request's
 * look at a requested path: an lstat, or the listing of an `each`
 * directory). Never includes FUSE headers. Thread-safe.
 */
#ifndef TAPEFS_DUMP_H
#define TAPEFS_DUMP_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

struct tapefs;
struct strbuf;
struct dump;

/* Create fs->dump and its thread. Needs fs->cfg, fs->staging_fd, fs->cat
 * and fs->sched. Recovery (journal clean-up, committed-but-staged files)
 * and the start-up scan of staging/ run on the engine's thread, not here.
 * Returns 0, -ENOMEM, -EINVAL (bad config: copies < 1, fewer pools than
 * copies). */
int dump_start(struct tapefs *fs);

/* Stop: no new dump starts; a dump being written is abandoned safely (its
 * files stay staged; its journal entry is marked failed) unless it is
 * committing, which is finished. Waits for the engine's jobs, frees
 * fs->dump and sets it NULL. Safe when fs->dump is NULL. */
void dump_stop(struct tapefs *fs);

/* What a handle opened for writing did, told at its release. */
enum dump_write {
	DUMP_WRITE_NONE = 0, /* wrote nothing, nothing failed */
	DUMP_WRITE_DONE,     /* wrote (or opened with O_TRUNC), no error */
	DUMP_WRITE_FAILED,   /* a write, flush, fsync or close failed */
};

/* The mount calls these for regular files of staging/ (relpath: relative to
 * the staging root, no leading '/'; st: fstat of the open file, for its
 * device and inode; fd: the handle's descriptor, still open). A file with
 * a writer open is never snapshotted.
 *   dump_file_opened: a handle opened for writing (O_WRONLY, O_RDWR,
 *                     O_CREAT or O_TRUNC);
 *   dump_file_closed: such a handle released; when the inode's last writer
 *                     is gone the file is eligible and the idle timer
 *                     restarts - unless one of its writers' handles
 *                     FAILED: then the file is partial and held back
 *                     (`.status`: staged_write_failed) until a later
 *                     writer's handle is DONE (fs/engine/dump_writers.c);
 *                     the file carries a mark on the staging disk
 *                     meanwhile (set and cleared through fd), so that a
 *                     remount holds it back too (dump_partial.c).
 * Calls pair per handle; an unpaired close is harmless. */
void dump_file_opened(struct dump *d, const char *relpath,
		      const struct stat *st);
void dump_file_closed(struct dump *d, const char *relpath, int fd,
		      const struct stat *st, enum dump_write how);
/* The user of such a handle closed a descriptor of it (the kernel's
 * flush, which close() waits for: delta 1), or a handle that was so
 * wrote again (delta -1; and -1 at its release). The release comes after
 * close() returned and may come late on a loaded machine, so a `now`
 * request waits (a few seconds at most) for the release of files whose
 * every writer is closed: `cp -r dir staging/ && echo 'now dir' > .dump`
 * dumps all that cp wrote. A file stays held back until its release
 * (another descriptor of the handle may still write: fork, dup). */
void dump_file_flushed(struct dump *d, const struct stat *st, int delta);

/* 1 when xattr name is one of tapefs's own (user.tapefs.*,
 * trusted.tapefs.*): the mount never lets a user set or remove one on a
 * staged file, and hides those the engine keeps there. */
int dump_xattr_own(const char *name);

/* Anything else that changed staging/ (mkdir, symlink, rename, unlink,
 * chmod, chown, utimens, truncate by path): the pending counts are
 * refreshed (lazily) and the idle timer restarts. */
void dump_path_changed(struct dump *d, const char *relpath);

/* One line written to `.dump` (a trailing newline is ignored):
 *   "now"        dump everything eligible now
 *   "now PATH"   dump only PATH (relative to staging/; a leading '/' or
 *                "staging/" is ignored) as one archive: a directory's whole
 *                subtree, or one file; when no tape takes it whole, as
 *                several archives cut where directories begin
 *                (dump_stats: cut_note). PATH is resolved beneath staging/
 *                without following a symlink at any component: -ELOOP
 *                when a symlink is on its way (PATH itself may be one:
 *                the link is dumped, never its target), -ENOTDIR when a
 *                file is where a directory of it should be
 *   "each PATH"  one "now PATH/SUB" per immediate subdirectory SUB of PATH
 *                (name order): one archive per directory; -ENOTDIR/-ENOENT
 *                when PATH is no directory, -ELOOP when a symlink is on
 *                its way, -ENODATA when it has none
 *   "resume"     dumps paused after DUMP_FAILS_PAUSE (3) failed dumps in a
 *                row go on (.status: dump_paused)
 * A dump whose pool has no writable tape (only closed, retired or full
 * ones) does not start: it waits, looking again every 2 s, and .status says
 * "dump_waiting: ..." until a scratch tape comes (inventory, reopen).
 * Returns 0 when queued (the dump runs on the engine's thread; reading
 * `.dump` shows when it is done), -EINVAL (empty, unknown word, "..",
 * trailing garbage, a path too long), -ENOENT (PATH not in staging/),
 * -ELOOP, -ENOTDIR (see "now PATH"), -EFBIG (PATH is a file larger than
 * any tape takes: too_large), -ENODATA (nothing eligible to dump). Every
 * refusal keeps its reason (dump_stats: last_error) for `.dump` and `.status`
 * ("dump_error: ..."). */
int dump_request(struct dump *d, const char *line);

/* Whether dump_request() would take line as a request: the grammar, and
 * PATH normalised and present in staging/ (a directory for each), without
 * acting and without keeping a reason. 0, or dump_request()'s -errno with
 * the reason in why (whylen bytes). "nothing staged" is not checked: it
 * is what the engine finds when the request is applied. */
int dump_request_check(struct dump *d, const char *line, char *why,
		       size_t whylen);

/* Figures of the engine, taken at one instant under its lock, for what
 * reading `.dump` and `.status` shows (rendered by fs/ns/ns_root.c). */
struct dump_stats {
	int running;	    /* a dump is being written */
	int percent;	    /* of the current dump's bytes, 0..100 */
	int64_t current_id; /* journal id of the current dump, 0 if none */
	uint64_t current_files, current_bytes; /* of the current dump */
	char current_tapes[256]; /* "A00003L9:7,B00002L9:5"; "" until chosen */
	uint64_t staged_files;	 /* regular files and symlinks in staging/ */
	uint64_t staged_bytes;	 /* bytes of regular files in staging/ */
	uint64_t eligible_files, eligible_bytes; /* not held back */
	uint64_t dumps_committed;		 /* since the mount started */
	int64_t last_id; /* last committed dump, 0 if none */
	time_t last_time;
	uint64_t last_files, last_bytes;
	char last_tapes[256]; /* as current_tapes */
	char last_error[512]; /* refused request or failed dump, "" none */
	time_t last_error_time;
	char waiting[256]; /* why dumps wait for a tape, "" they do not */
	int paused;	   /* after fails failed dumps in a row */
	int fails;
	uint64_t write_failed;	      /* staged files held back: a write
					 to them failed */
	char write_failed_names[256]; /* the first DUMP_FAILED_SHOWN, ", "
					 between, control bytes as '?' */
	uint64_t too_large;	      /* staged files larger than any tape */
	char too_large_names[320];    /* the first DUMP_FAILED_SHOWN as
					 "name (N bytes)", as above */
	uint64_t too_large_limit;     /* what the largest tape takes */
	char cut_note[512]; /* the last `now PATH` cut along directories */
};
#define DUMP_FAILED_SHOWN 3
/* Fill *out. Returns 0. */
int dump_stats(struct dump *d, struct dump_stats *out);

/* 1 when relpath (as for dump_file_opened) belongs to the dump being
 * written now (user.tapefs.state "dumping"), else 0. */
int dump_path_dumping(struct dump *d, const char *relpath);
/* 1 when the staged regular file st is larger than any tape takes
 * (user.tapefs.state "too_large"), else 0. */
int dump_file_too_large(struct dump *d, const struct stat *st);

#endif
