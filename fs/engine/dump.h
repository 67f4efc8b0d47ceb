/* fs/engine/dump.h - the dump engine: staged files to tape (SPEC 3.1, 3.2).
 *
 * Files written into staging/ become eligible when their last writer closes
 * them. A dump starts when the eligible bytes reach cfg.dump_bytes, or the
 * eligible files reach cfg.dump_files, or nothing was closed for
 * cfg.dump_idle seconds while files are pending, or on a `.dump` request.
 * At mount start-up everything already in staging/ is eligible (it survived
 * an unmount or a crash).
 *
 * One dump = one tar archive (pax, records of cfg.block_size) written to
 * cfg.copies tapes, copy i on a tape of pool cfg.pools[i], all copies at the
 * same time on different drives (one scheduler gang; each source is read
 * once and fanned out). Steps (the engine's thread runs them one dump at a
 * time; the file that does each is in brackets):
 *   1. snapshot: walk staging/ (or the requested subtree) and lstat every
 *      regular file, directory and symlink not open for writing
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
 *      its lstat still equals the snapshot; else it stays for the next
 *      dump), and directories they leave empty are removed (never the
 *      staging root) [dump_commit.c].
 * With fewer drives in service than copies, the copies that find no drive
 * are written one after another (the sources are read again for them); the
 * commit still waits for all of them.
 *
 * Crash safety: a dump the journal shows "pending"/"writing" at start-up is
 * marked failed; its files are still in staging/ (nothing leaves before the
 * commit) and simply dump again. A file both committed and still staged
 * (a crash between commit and removal) is recognised at start-up by its
 * latest archived version (same type, mode, size and mtime; a symlink's
 * target), and removed then instead of being dumped twice
 * [dump_recover.c].
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

/* The mount calls these for regular files of staging/ (relpath: relative to
 * the staging root, no leading '/'; st: fstat of the open file, for its
 * device and inode). A file with a writer open is never snapshotted.
 *   dump_file_opened: a handle opened for writing (O_WRONLY, O_RDWR,
 *                     O_CREAT or O_TRUNC);
 *   dump_file_closed: such a handle released; when the inode's last writer
 *                     is gone the file is eligible and the idle timer
 *                     restarts.
 * Calls pair per handle; an unpaired close is harmless. */
void dump_file_opened(struct dump *d, const char *relpath,
		      const struct stat *st);
void dump_file_closed(struct dump *d, const char *relpath,
		      const struct stat *st);

/* Anything else that changed staging/ (mkdir, symlink, rename, unlink,
 * chmod, chown, utimens, truncate by path): the pending counts are
 * refreshed (lazily) and the idle timer restarts. */
void dump_path_changed(struct dump *d, const char *relpath);

/* One line written to `.dump` (a trailing newline is ignored):
 *   "now"        dump everything eligible now
 *   "now PATH"   dump only PATH (relative to staging/; a leading '/' or
 *                "staging/" is ignored) as one archive: a directory's whole
 *                subtree, or one file
 *   "each PATH"  one "now PATH/SUB" per immediate subdirectory SUB of PATH
 *                (name order): one archive per directory; -ENOTDIR/-ENOENT
 *                when PATH is no directory, -ENODATA when it has none
 *   "resume"     dumps paused after DUMP_FAILS_PAUSE (3) failed dumps in a
 *                row go on (.status: dump_paused)
 * A dump whose pool has no writable tape (only closed, retired or full
 * ones) does not start: it waits, looking again every 2 s, and .status says
 * "dump_waiting: ..." until a scratch tape comes (inventory, reopen).
 * Returns 0 when queued (the dump runs on the engine's thread; reading
 * `.dump` shows when it is done), -EINVAL (empty, unknown word, "..",
 * trailing garbage, a path too long), -ENOENT (PATH not in staging/),
 * -ENODATA (nothing eligible to dump). Every refusal keeps its reason
 * (dump_stats: last_error) for `.dump` and `.status` ("dump_error: ..."). */
int dump_request(struct dump *d, const char *line);

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
	uint64_t eligible_files, eligible_bytes; /* not open for writing */
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
};
/* Fill *out. Returns 0. */
int dump_stats(struct dump *d, struct dump_stats *out);

/* 1 when relpath (as for dump_file_opened) belongs to the dump being
 * written now (user.tapefs.state "dumping"), else 0. */
int dump_path_dumping(struct dump *d, const char *relpath);

#endif
