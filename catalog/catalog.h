/* catalog/catalog.h - everything tapefs knows, in one sqlite database.
 *
 * The one public header of catalog/: tapes, archives and their copies on
 * tape, archive members, the namespace shown under archive/ (each path ->
 * its latest member version), the dumps journal, verify runs and results,
 * and the recall cache index. Every SQL statement of tapefs lives behind
 * these functions (docs/catalog.md describes the schema).
 *
 * Conventions, for every function unless its comment says otherwise:
 *   - returns 0 on success or -errno: -ENOENT (no such row), -EEXIST
 *     (a unique key is taken), -EINVAL (bad argument), -ENAMETOOLONG (a
 *     path component over 255 bytes), -ENOMEM, -EBUSY (the database stayed
 *     locked by another process past the busy timeout), -EIO (any other
 *     database error; a line with sqlite3_errmsg() goes to stderr). It
 *     never exits the process.
 *   - out-parameters are written only on success.
 *   - paths are relative to staging/ ("a/b/c.txt", no leading slash, a
 *     leading '/' is ignored; "" is the root). A path is bytes: anything but
 *     NUL, including newlines, quotes and invalid UTF-8, stored and returned
 *     exactly. Components "", "." and ".." are refused with -EINVAL.
 *   - iteration is by callback: fn(ctx, item) is called once per row, the
 *     item and its strings are valid only during the call; a non-zero
 *     return stops the iteration and becomes the function's return value.
 *     A callback may call other catalog functions (it runs on its own
 *     connection), but not while its thread holds a catalog_commit.
 *   - times are unix seconds (int64_t).
 *
 * Concurrency: a struct catalog is shared by every thread of the daemon.
 * Reads run on a pool of connections (one per concurrent caller, opened on
 * demand), so a reader never waits behind a writer (WAL). Writers are
 * serialized in the process by one mutex and use BEGIN IMMEDIATE, so other
 * processes (tapefs fsck) are safe too. A write therefore waits while
 * another thread streams a dump commit (some 15 us per member); only
 * catalog_cache_touch() never waits. Commits that follow a tape write
 * (dump commit, tape state changes) are made with synchronous=FULL.
 * Memory: up to 32 reader connections of at most 4 MiB cache each, the
 * writer's 32 MiB, and a 0.5 MiB cache of resolved directories.
 */
#ifndef TAPEFS_CATALOG_H
#define TAPEFS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define CATALOG_SCHEMA_VERSION 10

struct catalog;

/* ---- where the catalog is (catalog/where.c) ---------------------------- */

/* What the `catalog` setting names: a sqlite file (a path), or a
 * database server (a URI: postgresql://USER:PASSWORD@HOST/DB?..., or
 * postgres://). Everything that handles the setting asks here; nothing
 * else looks at the string. */
enum catalog_kind {
	CATALOG_KIND_FILE = 0,
	CATALOG_KIND_POSTGRESQL,
};

/* The kind where names (NULL: a file). */
enum catalog_kind catalog_kind_of(const char *where);
/* "sqlite" or "postgresql". Static string. */
const char *catalog_kind_name(enum catalog_kind k);
/* 1 when the daemon and the commands of this build take catalogs of kind
 * k, else 0. catalog_open() opens both kinds (db_sqlite.c, db_pg.c); the
 * config accepts a PostgreSQL one once the mount is tested on it. */
int catalog_kind_available(enum catalog_kind k);

/* where as it may be printed (a log line, .status, an error, `tapefs
 * config`): a URI's password, in its user part or as a password=
 * parameter, becomes *** (postgresql://tapefs:***@db1/tapefs); a byte
 * that is not printable ASCII becomes '?'. Written into buf (size bytes,
 * cut to fit, always terminated); returns buf. Never prints where itself
 * when it is a URI: this is the one way a catalog setting is shown. */
#define CATALOG_WHERE_PRINT_MAX 512
const char *catalog_where_print(const char *where, char *buf, size_t size);

/* ---- open / close ---------------------------------------------------- */

/* Open (creating it when missing) the catalog at path and bring its schema
 * up to CATALOG_SCHEMA_VERSION in place (all steps in one transaction).
 * path is a sqlite file, or a PostgreSQL database when it starts with
 * postgresql:// or postgres:// (a libpq URI; its schema is created in the
 * database's current schema; docs/catalog.md). On
 * success *out is a handle freed with catalog_close(). -EPROTO when the file
 * holds a schema newer than this program knows, -EIO when it is not a
 * database. The catalog is private to its owner: a new file is made 0600
 * (its -wal and -shm take that mode from it), and an existing one that
 * group or others may read (a catalog made by an older tapefs) is made so,
 * with a line on stderr. */
int catalog_open(struct catalog **out, const char *path);

/* As catalog_open(), for a catalog that must exist already (tapefs fsck):
 * never creates the file. -ENOENT when path does not exist, -ENODATA when
 * it is empty or holds no tapefs schema (a new sqlite file, an empty
 * PostgreSQL database). */
int catalog_open_existing(struct catalog **out, const char *path);

/* sqlite's page-level check of the file (PRAGMA quick_check: every b-tree
 * page well formed, every record readable; not the catalog's own rules,
 * which catalog_check() adds), stopped after budget_ms (0: no limit).
 * Returns 0 (sound), 1 (not finished in time: what was read is sound),
 * -EUCLEAN (damaged) with sqlite's first message in why (whylen bytes). */
int catalog_quick_check(struct catalog *cat, unsigned budget_ms, char *why,
			size_t whylen);

/* Finish every statement, close every connection, free cat (NULL is
 * fine). The caller makes sure no other thread still uses cat. */
void catalog_close(struct catalog *cat);

/* The schema version stored in the file (PRAGMA user_version), or -EIO. */
int catalog_schema_version(struct catalog *cat);

/* For tests of the migration only: create a new catalog at path with the
 * version 1 schema (tapes without location and label uuid; no verify and
 * cache tables) holding one tape "V1TAPE" in pool "A" and one committed
 * dump of one journaled file. */
int catalog_testing_create_v1(const char *path);

/* For tests: where the catalog a test names path lives, into buf[size].
 * path itself (a sqlite file) unless the environment's TAPEFS_TEST_PG
 * holds a PostgreSQL URI: then that database with a schema of its own
 * for path (named after path's absolute path, created when missing), so
 * that the same test runs on both backends (make check-pg). A path that
 * is a URI already is kept. 0 or -errno. catalog_testing_open() is
 * catalog_open() of that place. */
int catalog_testing_where(const char *path, char *buf, size_t size);
int catalog_testing_open(struct catalog **out, const char *path);

/* For tests of catalog_check only: damage the catalog the way a bug or a
 * hand edit could. what: "namespace" (a path points at a missing member),
 * "count" (an archive's member count is off by one), "offsets" (a member
 * header offset goes backwards), "bytes" (a tape's bytes_used is wrong),
 * "orphan" (a copy of a missing archive). -EINVAL for another word. */
int catalog_testing_corrupt(struct catalog *cat, const char *what);

/* ---- the robot's lock (catalog/robot.c) -------------------------------- */
/* Hosts sharing one library share its one robot, and a robot does one
 * move at a time (mtx has no lock of its own): every changer move and
 * inventory of every host runs between catalog_robot_lock() and
 * catalog_robot_unlock() of the catalog they share. On a database server
 * (its backend's robot_lock SQL) it is a session advisory lock held on a
 * connection of its own; on sqlite, one host, it is an flock(2) of the
 * file CATALOG-robot beside the catalog (so that two daemons or a daemon
 * and an offline command of one machine never move at once). Threads of
 * one process take it one after the other. Blocks until the lock is had
 * (the other host's move ends): never from a file system request thread.
 * 0 or -errno (the lock cannot be had: its connection or file; logged);
 * on failure nothing is held. */
int catalog_robot_lock(struct catalog *cat);
void catalog_robot_unlock(struct catalog *cat);

/* ---- tapes ----------------------------------------------------------- */

enum catalog_tape_state {
	CATALOG_TAPE_SCRATCH = 0, /* labelled, holds no archive */
	CATALOG_TAPE_OPEN,        /* holds archives, may take more */
	CATALOG_TAPE_FULL,        /* reached early warning: no more writes */
	CATALOG_TAPE_CLOSED,      /* closed by the operator: read only */
	CATALOG_TAPE_RETIRED,     /* out of service: never written again;
				     recall may still read it, verify skips it */
	CATALOG_TAPE_ADOPTED,     /* a foreign tape tapefs indexed (no tapefs
				     label, docs/adopt.md): read only, for
				     good - no write path takes it, and its
				     state never changes */
};

/* "scratch", "open", ... ; "?" for an unknown value. Static string. */
const char *catalog_tape_state_name(enum catalog_tape_state s);
/* Inverse of catalog_tape_state_name(): 0 or -EINVAL. */
int catalog_tape_state_parse(const char *name, enum catalog_tape_state *out);

struct catalog_tape {
	char barcode[40];    /* primary key, e.g. "A00001L9" */
	char serial[64];     /* cartridge serial, "" when unknown */
	char pool[16];       /* "A", "B", ... */
	enum catalog_tape_state state;
	uint64_t capacity;   /* bytes, 0 = unknown */
	uint64_t bytes_used; /* bytes of committed archives */
	char location[256];  /* "slot 7", "drive 0", "offsite: vault 3",
				"out of library"; "" = unknown */
	char label_uuid[40]; /* uuid written in the tape's label, "" = none */
	int64_t last_file;   /* tape file number of the last committed
				archive; 0 = only the label */
	int64_t last_verified; /* the oldest last good verification of its
				  copies (not lost) when one ended; 0 */
};

/* 1 when s is a barcode: 1 to CATALOG_BARCODE_LEN of A-Z and 0-9 (the
 * rule of tapeio/changer.h, kept here too: a tape's barcode names a
 * directory of the mount and a file of a virtual library), else 0. */
#define CATALOG_BARCODE_LEN 16
int catalog_barcode_valid(const char *s);

/* Add a tape. -EEXIST when the barcode is known, -EINVAL for a barcode
 * that is not one (catalog_barcode_valid()), an empty pool. */
int catalog_tape_add(struct catalog *cat, const struct catalog_tape *t);
/* Replace every field of the tape t->barcode. -ENOENT when unknown,
 * -EPERM when it would change the state of an adopted tape or make one
 * adopted. */
int catalog_tape_update(struct catalog *cat, const struct catalog_tape *t);
int catalog_tape_get(struct catalog *cat, const char *barcode,
		     struct catalog_tape *out);
/* Change one field (durable: synchronous=FULL). -ENOENT when unknown;
 * -EPERM for the state of an adopted tape, or to adopted: a tape is
 * adopted only when added so (catalog_tape_add()) and stays adopted. */
int catalog_tape_set_state(struct catalog *cat, const char *barcode,
			   enum catalog_tape_state state);
int catalog_tape_set_location(struct catalog *cat, const char *barcode,
			      const char *location);
/* -EINVAL when serial does not fit struct catalog_tape.serial. */
int catalog_tape_set_serial(struct catalog *cat, const char *barcode,
			    const char *serial);
int catalog_tape_set_label(struct catalog *cat, const char *barcode,
			   const char *label_uuid);
/* The bytes the tape holds (what its drive or its barcode says; 0 =
 * unknown). -EINVAL above INT64_MAX. */
int catalog_tape_set_capacity(struct catalog *cat, const char *barcode,
			      uint64_t capacity);

typedef int (*catalog_tape_fn)(void *ctx, const struct catalog_tape *t);
/* Tapes by barcode; pool NULL = every pool, state < 0 = every state. */
int catalog_tape_list(struct catalog *cat, const char *pool, int state,
		      catalog_tape_fn fn, void *ctx);
/* How many tapes match (pool NULL / state < 0 = any): a count >= 0. */
int64_t catalog_tape_count(struct catalog *cat, const char *pool, int state);

/* The tape to write the next archive of pool to: an open tape whose free
 * space (capacity - bytes_used; unknown capacity counts as room) is at
 * least need bytes, the fullest such first; else a scratch tape, lowest
 * barcode first. Tapes named in exclude[0..nexclude) are skipped (in use by
 * another copy or drive). -ENOSPC when no tape fits. */
int catalog_tape_choose(struct catalog *cat, const char *pool, uint64_t need,
			const char *const *exclude, size_t nexclude,
			struct catalog_tape *out);

/* ---- archives and copies -------------------------------------------- */

enum catalog_archive_kind {
	CATALOG_ARCHIVE_DATA = 0, /* a dump of staged files */
	CATALOG_ARCHIVE_CATALOG,  /* a snapshot of the catalog: its member is
				     under tapes/ but not in the namespace */
};

struct catalog_archive {
	int64_t id;
	int64_t dump_id;      /* the dump that wrote it */
	int64_t created;      /* its time: when its manifest was written,
				 seconds before the commit */
	uint64_t members;     /* members on tape (not implicit directories) */
	uint64_t bytes;       /* size of the archive on tape */
	uint32_t block_size;  /* bytes per tape record */
	char md5[33];         /* hex MD5 of the whole archive, "" = not known */
	char uuid[40];        /* the uuid in its manifest, "" = none (an
				 archive of a version 1 manifest) */
	enum catalog_archive_kind kind;
};

enum catalog_copy_state {
	CATALOG_COPY_GOOD = 0, /* as written, or last verified OK */
	CATALOG_COPY_BAD,      /* the last verification found a fault */
	CATALOG_COPY_LOST,     /* the tape is gone: never read it */
};

enum catalog_result {
	CATALOG_RESULT_NONE = 0, /* never verified */
	CATALOG_RESULT_OK,
	CATALOG_RESULT_BAD,        /* MD5 read differs from the catalog */
	CATALOG_RESULT_UNREADABLE, /* the tape could not be read */
};
/* "none", "OK", "BAD", "UNREADABLE". Static string. */
const char *catalog_result_name(enum catalog_result r);

struct catalog_copy {
	int64_t id;
	int64_t archive;
	char barcode[40];
	int64_t fileno;        /* tape file number (1 = first after label) */
	uint64_t start_lblock; /* logical block of the archive's first record */
	uint64_t size;         /* bytes */
	enum catalog_copy_state state;
	int64_t last_verified;   /* time of the last verification with result
				    OK; 0 = never */
	enum catalog_result last_result; /* result of the last verification */
};

int catalog_archive_get(struct catalog *cat, int64_t archive_id,
			struct catalog_archive *out);
typedef int (*catalog_archive_fn)(void *ctx, const struct catalog_archive *a);
/* Every archive, in id (commit) order: what `tapefs export` walks. */
int catalog_archives(struct catalog *cat, catalog_archive_fn fn, void *ctx);

typedef int (*catalog_copy_fn)(void *ctx, const struct catalog_copy *c);
/* Copies of one archive, by copy id. */
int catalog_archive_copies(struct catalog *cat, int64_t archive_id,
			   catalog_copy_fn fn, void *ctx);
/* Copies on one tape in file order: the archives of tapes/LABEL/. */
int catalog_tape_copies(struct catalog *cat, const char *barcode,
			catalog_copy_fn fn, void *ctx);
/* The copy at (barcode, fileno): tapes/LABEL/NNNN. -ENOENT when none. */
int catalog_copy_get(struct catalog *cat, const char *barcode, int64_t fileno,
		     struct catalog_copy *out);
/* Copies never verified OK (last_verified == 0), by tape then file. */
int catalog_copies_unverified(struct catalog *cat, catalog_copy_fn fn,
			      void *ctx);
/* Good copies whose last good verification is older than before (never
 * verified included), the oldest first: a scheduled verification. */
int catalog_copies_due(struct catalog *cat, int64_t before, catalog_copy_fn fn,
		       void *ctx);

struct catalog_tape_summary {
	uint64_t archives;        /* copies on the tape */
	uint64_t bytes;           /* their bytes */
	uint64_t members;         /* their members */
	uint64_t verified;        /* copies verified OK at least once */
	uint64_t failed;          /* copies whose last verification was BAD
				     or UNREADABLE */
	int64_t last_verified;	  /* the oldest last_verified of its copies
				     that are not lost: 0 while one never
				     was (an archive appended since) */
};
/* -ENOENT when the tape is unknown. */
int catalog_tape_summary(struct catalog *cat, const char *barcode,
			 struct catalog_tape_summary *out);

/* ---- members and the namespace --------------------------------------- */

struct catalog_xattr;

enum catalog_type {
	CATALOG_FILE = 0,
	CATALOG_DIR,
	CATALOG_SYMLINK,
};

struct catalog_member {
	int64_t id;           /* stable member id */
	int64_t archive;
	int64_t ordinal;      /* 0.. in tape order within the archive; -1 for
				 an implicit directory */
	char *path;           /* full path (input and output) */
	enum catalog_type type;
	uint64_t size;
	uint32_t mode;        /* st_mode (permission and type bits) */
	uint32_t uid, gid;
	int64_t mtime;
	int32_t mtime_nsec;
	char md5[33];         /* hex, "" for directories, symlinks, unknown */
	char *link;           /* symlink target, NULL otherwise */
	uint64_t header_offset; /* bytes from the archive start to the
				   member's first header block */
	uint64_t data_offset;   /* bytes from the archive start to its data */
	int implicit;         /* a parent directory the archive did not hold:
				 made up at commit (mode 0755, owner of the
				 first member below it, mtime of the commit) */
	unsigned flags;       /* CATALOG_MEMBER_* */
	/* Input only (catalog_commit_member): its extended attributes,
	 * kept in the catalog (catalog_xattr_get()). */
	const struct catalog_xattr *xattrs;
	size_t nxattrs;
};

/* A hard link: another name of an earlier member of the same archive,
 * whose record (size, MD5, offsets) it repeats; its data is that
 * member's, so a verification checks that member only. */
#define CATALOG_MEMBER_LINK 1u
/* A sparse file: its data on tape is a sparse map and extents, never
 * found by offset (no chunk digests are kept for it). */
#define CATALOG_MEMBER_SPARSE 2u

/* One extended attribute of a member (a name as "user.x", a POSIX ACL as
 * "system.posix_acl_access" in the kernel's binary form). */
struct catalog_xattr {
	const char *name;
	const void *value;
	size_t len;
};

/* The value of attribute name of member_id: *value malloc'd (the
 * caller frees it), *len its bytes. 0, -ENODATA (no such attribute),
 * -ENOMEM, -EIO. */
int catalog_xattr_get(struct catalog *cat, int64_t member_id,
		      const char *name, void **value, size_t *len);
/* Each attribute name of member_id, in name order: fn(ctx, name) (a
 * non-zero return stops and is returned). 0 or -EIO. */
int catalog_xattr_names(struct catalog *cat, int64_t member_id,
			int (*fn)(void *ctx, const char *name), void *ctx);

/* Free what catalog functions allocated in m (path, link); m itself is the
 * caller's. Safe on a zeroed struct and twice. */
void catalog_member_release(struct catalog_member *m);

/* A member row and its full path. -ENOENT when unknown. *out is released
 * with catalog_member_release(). */
int catalog_member_get(struct catalog *cat, int64_t member_id,
		       struct catalog_member *out);

/* One entry of a directory listing: name is one component (not the full
 * path), m the member shown for it (m->path is NULL in listings). */
typedef int (*catalog_entry_fn)(void *ctx, const char *name,
				const struct catalog_member *m);
typedef int (*catalog_member_fn)(void *ctx, const struct catalog_member *m);

/* archive/PATH: the latest version of path. Every path that is a parent of
 * an archived path exists (a directory). The root "" is a directory with
 * id 0 that is not a member. -ENOENT when unknown. Release *out. */
int catalog_ns_lookup(struct catalog *cat, const char *path,
		      struct catalog_member *out);
/* Children of directory path in byte order of their names, starting after
 * the name `after` (NULL: from the first), so a listing can be taken in
 * pages. -ENOENT when path is unknown, -ENOTDIR when it is not a dir. */
int catalog_ns_list(struct catalog *cat, const char *path, const char *after,
		    catalog_entry_fn fn, void *ctx);

/* Where a member's bytes are: one per copy of its archive. */
struct catalog_location {
	int64_t member_id;
	int64_t archive;
	int64_t copy_id;
	char barcode[40];
	int64_t fileno;
	uint64_t start_lblock;   /* of the archive */
	uint64_t header_offset;  /* of the member, from the archive start */
	uint64_t data_offset;
	uint64_t size;           /* member bytes */
	uint32_t block_size;     /* of the archive */
	uint64_t block;          /* start_lblock + header_offset / block_size:
				    where to locate to read the member */
	enum catalog_copy_state state;
	char md5[33];            /* of the member */
};
typedef int (*catalog_location_fn)(void *ctx,
				   const struct catalog_location *l);
/* Every copy of the latest version of path, good copies first, then by
 * copy id. -ENOENT when path is unknown, the root, or an implicit
 * directory (nothing on tape). */
int catalog_ns_whereis(struct catalog *cat, const char *path,
		       catalog_location_fn fn, void *ctx);
/* The same for one member id. */
int catalog_member_whereis(struct catalog *cat, int64_t member_id,
			   catalog_location_fn fn, void *ctx);

/* tapes/LABEL/NNNN/: members of one archive in tape order, from ordinal
 * `from` on (implicit directories are not included). */
int catalog_archive_members(struct catalog *cat, int64_t archive_id,
			    int64_t from, catalog_member_fn fn, void *ctx);
/* Children of directory path within one archive (implicit directories
 * included), in byte order of names after `after` (NULL: all).
 * -ENOENT / -ENOTDIR as catalog_ns_list(). */
int catalog_archive_list(struct catalog *cat, int64_t archive_id,
			 const char *path, const char *after,
			 catalog_entry_fn fn, void *ctx);
/* path within one archive; "" is the archive's root (id 0, a directory).
 * Release *out. */
int catalog_archive_lookup(struct catalog *cat, int64_t archive_id,
			   const char *path, struct catalog_member *out);

/* ---- dumps journal ---------------------------------------------------- */

enum catalog_dump_state {
	CATALOG_DUMP_PENDING = 0, /* files chosen, nothing on tape yet */
	CATALOG_DUMP_WRITING,     /* writing to the tapes it lists */
	CATALOG_DUMP_COMMITTED,   /* archive, copies and members committed */
	CATALOG_DUMP_FAILED,      /* given up: its files stay staged */
};
const char *catalog_dump_state_name(enum catalog_dump_state s);

struct catalog_dump {
	int64_t id;
	enum catalog_dump_state state;
	int64_t created, updated;
	uint64_t files, bytes;  /* of its file list */
	int64_t archive;        /* when committed, else 0 */
	char error[256];        /* why it failed, "" */
};

/* A journaled entry and its identity when the snapshot took it. */
struct catalog_dump_file {
	const char *path;       /* under staging/ */
	uint64_t size;
	int64_t mtime;
	int32_t mtime_nsec;
	uint32_t mode;          /* type and permissions */
	uint64_t dev, ino;
	int64_t ctime;
	int32_t ctime_nsec;
	int dropped;            /* left out of the committed archive */
};

/* A tape file a dump writes (or wrote and abandoned). */
struct catalog_dump_tape {
	int copy;               /* copy index 0..copies-1 */
	char barcode[40];
	int64_t fileno;
	uint64_t start_lblock;
	int abandoned;          /* tape reached early warning: rewritten
				   elsewhere; never becomes a copy */
};

/* New dump in state pending holding files[0..n) (one transaction). *id is
 * its id. */
int catalog_dump_create(struct catalog *cat, const struct catalog_dump_file
			*files, size_t n, int64_t *id);
/* Journal files[0..n) as entries first..first+n-1 of dump dump_id,
 * which must be pending or writing, in one transaction; the dump's files
 * and bytes grow by theirs. A dump's entries may so be journaled in parts
 * while it writes: the commit needs them all (catalog_commit_dropped(),
 * and the clean-up after a crash reads them), a dump that never commits
 * none. -ENOENT when the dump is unknown, committed or failed; -EINVAL for
 * a bad path (nothing journaled). */
int catalog_dump_files_add(struct catalog *cat, int64_t dump_id, size_t first,
			   const struct catalog_dump_file *files, size_t n);
int catalog_dump_get(struct catalog *cat, int64_t dump_id,
		     struct catalog_dump *out);
typedef int (*catalog_dump_file_fn)(void *ctx,
				    const struct catalog_dump_file *f);
int catalog_dump_files(struct catalog *cat, int64_t dump_id,
		       catalog_dump_file_fn fn, void *ctx);
/* Record the tape file copy `t->copy` is being written to; the dump moves
 * to writing. The same tape file again (the archive written anew there
 * after a source changed) stays one row, no longer abandoned. -ENOENT
 * when the dump is unknown, committed or failed. */
int catalog_dump_tape_add(struct catalog *cat, int64_t dump_id,
			  const struct catalog_dump_tape *t);
/* Mark the dump's tape file (barcode, fileno) abandoned. */
int catalog_dump_tape_abandon(struct catalog *cat, int64_t dump_id,
			      const char *barcode, int64_t fileno);
typedef int (*catalog_dump_tape_fn)(void *ctx,
				    const struct catalog_dump_tape *t);
int catalog_dump_tapes(struct catalog *cat, int64_t dump_id,
		       catalog_dump_tape_fn fn, void *ctx);
/* 1 when a dump of this journal began writing tape file (barcode,
 * fileno) - whatever became of it - else 0; -EIO. What lies there on tape
 * may then be a partial archive of this catalog's own, never someone
 * else's data. */
int catalog_dump_tape_wrote(struct catalog *cat, const char *barcode,
			    int64_t fileno);
/* pending|writing -> failed with a reason (durable). -EINVAL when the dump
 * is committed already. */
int catalog_dump_fail(struct catalog *cat, int64_t dump_id, const char *why);
typedef int (*catalog_dump_fn)(void *ctx, const struct catalog_dump *d);
/* Dumps left pending or writing (the daemon died): the mount cleans them
 * up (their files are still staged) and marks them failed. A dump another
 * live host holds the lease of is not listed (catalog_host_join()). */
int catalog_dump_unfinished(struct catalog *cat, catalog_dump_fn fn,
			    void *ctx);
/* The journal's dumps by state, for status and metrics: how many were
 * committed and failed since the catalog was made, and when the last of
 * each ended (0: none). */
struct catalog_dump_tally {
	uint64_t committed, failed, unfinished; /* unfinished: pending|writing */
	int64_t last_committed, last_failed;
};
int catalog_dump_tally(struct catalog *cat, struct catalog_dump_tally *out);
/* Committed dumps whose clean-up of staging/ is not done yet (the daemon
 * stopped between the commit and catalog_dump_cleaned()), oldest first;
 * not one another live host holds the lease of (its own clean-up). */
int catalog_dump_uncleaned(struct catalog *cat, catalog_dump_fn fn,
			   void *ctx);
/* The clean-up of committed dump dump_id is done (durable). -ENOENT when
 * no committed dump has that id. */
int catalog_dump_cleaned(struct catalog *cat, int64_t dump_id);

/* What a commit needs to know about the archive and each copy. */
struct catalog_archive_in {
	uint64_t bytes;
	uint32_t block_size;
	const char *md5;        /* hex or NULL */
	const char *uuid;       /* its manifest's uuid, NULL or "" = none */
	int64_t created;        /* its time (the manifest's), 0 = now; also
				   the mtime of its implicit directories */
	enum catalog_archive_kind kind;
};
struct catalog_copy_in {
	const char *barcode;
	int64_t fileno;         /* must be > the tape's last_file */
	uint64_t start_lblock;
	uint64_t size;          /* bytes of this copy on tape */
};

/* The commit of a dump, in ONE transaction (synchronous=FULL): the archive,
 * one copy per tape, every member (in tape order: ordinals 0..), implicit
 * parent directories, the namespace, the tapes (last_file, bytes_used,
 * scratch -> open) and the dump (-> committed). Members stream through
 * catalog_commit_member() so a million of them never sit in one array.
 * Between begin and end/abort the calling thread holds the catalog's write
 * lock: it must not call other write functions meanwhile (reads are fine,
 * other threads' writes wait).
 *
 * begin: -ENOENT (unknown dump or tape), -ESTALE (the handle works for a
 * host, catalog_host_join(), and the dump's lease is no longer that
 * host's: another host took it over), -EINVAL (dump not pending/writing,
 * no copies, two copies on one tape, fileno <= last_file, a tape closed or
 * retired; a full tape is accepted: the archive completed before early
 * warning). On success
 * *out must be ended or aborted. */
struct catalog_commit;
int catalog_commit_begin(struct catalog *cat, int64_t dump_id,
			 const struct catalog_archive_in *a,
			 const struct catalog_copy_in *copies, size_t ncopies,
			 struct catalog_commit **out);
/* Add the next member (m->path, type, size, mode, uid, gid, mtime, md5,
 * link, offsets, flags, xattrs; id/archive/ordinal are ignored). -EINVAL
 * for a bad path or offsets not increasing (a CATALOG_MEMBER_LINK's are
 * those of an earlier member: not above the last ones). After an error the commit can only be
 * aborted. */
int catalog_commit_member(struct catalog_commit *c,
			  const struct catalog_member *m);
/* The dump's journaled entry ord (its index in the file list given to
 * catalog_dump_create()) is not in the archive: it changed while written
 * and stays staged. -ENOENT when the journal has no such entry. */
int catalog_commit_dropped(struct catalog_commit *c, int64_t ord);
/* Commit and free c; *archive_id (may be NULL) gets the archive id. On
 * error nothing is committed and c is freed all the same. */
int catalog_commit_end(struct catalog_commit *c, int64_t *archive_id);
/* Roll back and free c (NULL is fine). */
void catalog_commit_abort(struct catalog_commit *c);

/* All of the above with members in one array. */
int catalog_dump_commit(struct catalog *cat, int64_t dump_id,
			const struct catalog_archive_in *a,
			const struct catalog_copy_in *copies, size_t ncopies,
			const struct catalog_member *members, size_t nmembers,
			int64_t *archive_id);

/* ---- tape-to-tape copies (repair, copy POOL, repack, migrate) ------------
 *
 * A new copy of an archive that is already committed is written tape to
 * tape (fs/engine/lifecycle.h). The journal (table xfer) records the tape
 * file a copy is being written to before its first record, so that what a
 * crash leaves there is known to be this catalog's own partial file (the
 * check before a write may write over it); the commit adds the copy, moves
 * the tape on and marks the copy it replaces lost, in one transaction. */

enum catalog_xfer_state {
	CATALOG_XFER_WRITING = 0, /* records may be on tape; nothing committed */
	CATALOG_XFER_DONE,	  /* the copy is committed */
	CATALOG_XFER_FAILED,	  /* given up (or the daemon died meanwhile) */
};

struct catalog_xfer_in {
	int64_t archive;
	int64_t source;	  /* the copy read, 0 unknown */
	int64_t replaces; /* the copy marked lost at commit, 0 none */
	const char *barcode;
	int64_t fileno;	       /* must be > the tape's last_file */
	uint64_t start_lblock; /* of the new copy */
};

/* Journal a copy being written (durable). *id is its id. -ENOENT (no such
 * archive or tape), -EINVAL (fileno <= the tape's last_file, a closed or
 * retired tape, or the tape holds a copy of the archive already). */
int catalog_xfer_begin(struct catalog *cat, const struct catalog_xfer_in *x,
		       int64_t *id);
/* writing -> failed with a reason (durable). -ENOENT unless writing. */
int catalog_xfer_fail(struct catalog *cat, int64_t xfer_id, const char *why);
/* The commit, in ONE transaction (synchronous=FULL): a good copy of size
 * bytes at the journalled place, the tape's last_file, bytes_used and
 * scratch -> open, the replaced copy (if any) lost, the journal row done.
 * *copy_id (may be NULL) gets the new copy. -ENOENT (not writing),
 * -EINVAL (the tape moved past fileno meanwhile, or is closed/retired). */
int catalog_xfer_commit(struct catalog *cat, int64_t xfer_id, uint64_t size,
			int64_t *copy_id);
/* 1 when a journalled copy began writing tape file (barcode, fileno) -
 * whatever became of it - else 0; -EIO. */
int catalog_xfer_wrote(struct catalog *cat, const char *barcode,
		       int64_t fileno);
/* Mark every copy still writing failed ("interrupted"): at mount, before
 * any new one; not one another live host holds the lease of. Returns how
 * many (>= 0) or -errno. */
int catalog_xfer_interrupt_stale(struct catalog *cat);
/* Copies journalled and not finished (state writing): a count >= 0. */
int64_t catalog_xfer_unfinished(struct catalog *cat);

/* Set one copy's state (durable). A lost copy stays lost. -ENOENT. */
int catalog_copy_set_state(struct catalog *cat, int64_t copy_id,
			   enum catalog_copy_state state);
/* Copies to repair: state bad (a verification or a recall found a BAD or
 * UNREADABLE member), on barcode's tape (NULL: every tape), by tape then
 * file. */
int catalog_copies_bad(struct catalog *cat, const char *barcode,
		       catalog_copy_fn fn, void *ctx);
/* Copies to move off a tape (repack) or a pool (migrate): good or bad,
 * not lost, of a live archive (see "deletes and reclaims"), on barcode's
 * tape (NULL: any) of pool (NULL: any), by tape then file. */
int catalog_copies_live(struct catalog *cat, const char *barcode,
			const char *pool, catalog_copy_fn fn, void *ctx);
/* Archives with no copy (good or bad; lost ones do not count) on a tape of
 * pool, in id order. The archives of adopted tapes are not listed: a copy
 * of a foreign archive would hold no manifest. */
int catalog_archives_lacking(struct catalog *cat, const char *pool,
			     catalog_archive_fn fn, void *ctx);
/* ---- deletes and reclaims ----------------------------------------------
 *
 * A path deleted from the namespace (archive/) keeps its bytes on tape:
 * they are dead. An archive is live while a path shows one of its files
 * or symlinks (or while it is the newest snapshot of the catalog); a tape
 * holding no live archive may be reclaimed: relabelled and scratch. */

/* Take the path that shows member_id (a file or symlink) out of the
 * namespace (durable): archive/ no longer lists it. -ENOENT when no path
 * shows that member (deleted already, or a newer version came). */
int catalog_ns_delete(struct catalog *cat, int64_t member_id);

struct catalog_tape_usage {
	uint64_t live_bytes;   /* files a path shows, in copies not lost */
	uint64_t dead_bytes;   /* every other file byte of the tape's copies */
	int64_t live_archives; /* live archives with a copy (not lost) there */
};
int catalog_tape_usage(struct catalog *cat, const char *barcode,
		       struct catalog_tape_usage *out);
/* Reclaim of a tape in two steps around the writing of its new label
 * (uuid): end = 0 closes it and records uuid (the label the tape is to
 * get); end = 1, once the label is on it, forgets its copies (and their
 * verification results) and makes it scratch, empty. Each step is one
 * transaction and is refused (-EBUSY) while the tape holds a live
 * archive; -EINVAL when the tape is scratch or retired (begin) or not
 * closed with that uuid (end). */
int catalog_tape_reclaim(struct catalog *cat, const char *barcode,
			 const char *uuid, int end);

/* ---- rebuild from the tapes ------------------------------------------- */

/* What an archive read back from its manifest brings (docs/catalog.md,
 * "Rebuild"). */
struct catalog_import {
	struct catalog_archive_in archive; /* bytes, block size, uuid, time
					      (its manifest's written),
					      kind */
	int64_t dump_id; /* the dump its manifest names: that id when it is
			    free in this journal, else a new one */
	int64_t dumped;	 /* when that dump began, 0: the archive's time */
	int adopted;	 /* an archive of a foreign tape being adopted: its
			    copy must be on an adopted tape (which only such
			    an import takes), at any file from 0 on; the
			    tape's state stays adopted */
};

/* The commit of an archive found on tape, like catalog_commit_begin()
 * (members then stream through catalog_commit_member(), and end/abort the
 * same), with these differences: the dump journal gets a new entry for it
 * (committed at the end, its time the archive's); its copies may be at
 * any tape file (the tapes' last_file grows to the largest; scratch and
 * closed tapes become open: nothing writes a closed tape, so an archive
 * on it the catalog did not know means the catalog is older than the
 * tape, or closed it for holding that archive); a path of the namespace
 * points at one
 * of its members only when what the path shows is not newer (by archive
 * time), so archives may be imported in any order. -EEXIST when a copy's
 * (barcode, fileno) is taken, -ENOENT for an unknown tape, -EROFS for a
 * copy on an adopted tape unless imp->adopted (and on any other tape when
 * it is), -EINVAL. */
int catalog_import_begin(struct catalog *cat, const struct catalog_import *imp,
			 const struct catalog_copy_in *copies, size_t ncopies,
			 struct catalog_commit **out);
/* The archive whose uuid is uuid (its copies on other tapes are found by
 * it). 0, -ENOENT, -EINVAL (empty uuid). */
int catalog_archive_find(struct catalog *cat, const char *uuid,
			 int64_t *archive_id);
/* Add copy c of archive archive_id (found on another tape), with its
 * tape's last_file, bytes_used and state as catalog_import_begin() does,
 * in one transaction. 0, -EEXIST (that
 * tape file holds a copy already), -ENOENT (no such archive or tape),
 * -EROFS (an adopted tape). */
int catalog_copy_import(struct catalog *cat, int64_t archive_id,
			const struct catalog_copy_in *c);
/* (-EROFS on an adopted tape: tapefs never began anything there.)
 * Record in the dump journal that an archive of tapefs was begun at
 * (barcode, fileno) and never finished (no filemark or no manifest): a
 * failed dump with why, its tape file abandoned, time when (0: now), so
 * that catalog_dump_tape_wrote() lets the next dump write over it; a
 * closed tape whose last_file is fileno - 1 (closed for holding that
 * partial archive) becomes open again, or scratch when it holds no
 * archive. Nothing changes when that tape file is journaled already. */
int catalog_dump_partial(struct catalog *cat, const char *barcode,
			 int64_t fileno, uint64_t start_lblock, int64_t when,
			 const char *why);
/* How many archives of kind there are (>= 0), or -errno. */
int64_t catalog_archive_count(struct catalog *cat,
			      enum catalog_archive_kind kind);
/* The newest snapshot of the catalog on tape (kind CATALOG_ARCHIVE_CATALOG):
 * its archive id. 0, -ENOENT (none). */
int catalog_snapshot_latest(struct catalog *cat, int64_t *archive_id);
/* Dumps (archives of kind CATALOG_ARCHIVE_DATA) committed after archive
 * after_id (0: all of them): how many (>= 0, or -errno), and in
 * *first_created (may be NULL) the time of the first of them, 0 none. */
int64_t catalog_archives_after(struct catalog *cat, int64_t after_id,
			       int64_t *first_created);

/* ---- backup (catalog/backup.c) ----------------------------------------- */

/* Copy the whole catalog, one consistent snapshot of it, into a new
 * sqlite file at path (mode 0600): written as path.tmp, synced, then
 * renamed, so path is the old file or the whole new one. Taken from a
 * reader connection: readers and writers go on meanwhile. A sqlite
 * catalog is copied with sqlite's online backup; any other (a catalog on
 * a server) as catalog_backup_rows() does: the file is a sqlite catalog
 * either way, which catalog_open() and plain sqlite3 read. 0, or -errno
 * (-EEXIST: path.tmp is in the way and cannot be removed). */
int catalog_backup(struct catalog *cat, const char *path);

/* As catalog_backup(), whatever the backend: a new sqlite catalog made at
 * path.tmp and every row of every table copied into it (through the
 * statement API, ids kept) in one transaction, from one read snapshot. */
int catalog_backup_rows(struct catalog *cat, const char *path);

/* Replace every row of cat by those of the sqlite catalog at path (a
 * backup, or a snapshot read from tape; an older schema is upgraded in
 * the file first), in one durable transaction of cat: either the whole
 * file is in cat, or cat is as it was. Refused with -ENOTEMPTY when cat
 * holds any archive (looked at inside that transaction): what a rebuild
 * restores into is a catalog that knows no archive yet (its tapes, dump
 * journal and verify runs are replaced). Readers of cat must not hold
 * results across it (the directories they resolved are forgotten).
 * -ENOENT/-ENODATA when path holds no catalog, -errno. */
int catalog_restore(struct catalog *cat, const char *path);

/* ---- verify runs ------------------------------------------------------ */

enum catalog_run_state {
	CATALOG_RUN_RUNNING = 0,
	CATALOG_RUN_DONE,
	CATALOG_RUN_INTERRUPTED, /* the daemon stopped or died during it */
};
const char *catalog_run_state_name(enum catalog_run_state s);

struct catalog_run_totals {
	uint64_t tapes, archives, members, bytes;
	uint64_t ok, bad, unreadable;
	double seconds;
};

struct catalog_run {
	int64_t id;
	char request[256];      /* as written to .verify */
	enum catalog_run_state state;
	int64_t started, ended; /* ended 0 while running */
	struct catalog_run_totals totals;
	char detail[1024];      /* free text kept for the summary (MB/s per
				   drive...) */
};

/* A new run in state running; *id is its number (1, 2, ...). */
int catalog_run_start(struct catalog *cat, const char *request, int64_t *id);
/* Store totals and detail (NULL keeps it) and the state (running: a
 * progress update; done/interrupted: ended = now). */
int catalog_run_update(struct catalog *cat, int64_t run_id,
		       enum catalog_run_state state,
		       const struct catalog_run_totals *t, const char *detail);
int catalog_run_get(struct catalog *cat, int64_t run_id,
		    struct catalog_run *out);
typedef int (*catalog_run_fn)(void *ctx, const struct catalog_run *r);
/* Every run, by id. */
int catalog_run_list(struct catalog *cat, catalog_run_fn fn, void *ctx);
/* The highest run id, 0 when none (or -errno). */
int64_t catalog_run_latest(struct catalog *cat);
/* When the last run that ran to its end without a BAD or UNREADABLE
 * member ended: a time, 0 when none (or -errno). */
int64_t catalog_run_last_clean(struct catalog *cat);
/* Mark every run still running as interrupted (call at mount, before any
 * new run), but a run another live host holds the lease of. Returns how
 * many (>= 0) or -errno. */
int catalog_run_interrupt_stale(struct catalog *cat);
/* Mark run run_id interrupted (its host stopped: taken over). -ENOENT
 * when it is not running. */
int catalog_run_interrupt(struct catalog *cat, int64_t run_id);

struct catalog_result_in {
	int64_t copy_id;
	int64_t member_id;
	enum catalog_result result;
	const char *md5;        /* hex MD5 read from tape, or NULL */
};
/* Store results[0..n) of run in one transaction. */
int catalog_run_results_add(struct catalog *cat, int64_t run_id,
			    const struct catalog_result_in *results, size_t n);

/* One stored result with what a results file shows. */
struct catalog_result_row {
	int64_t copy_id, member_id;
	char barcode[40];
	int64_t fileno;
	enum catalog_result result;
	char md5[33];           /* read from tape, "" when unreadable */
	const char *path;       /* member path */
};
typedef int (*catalog_result_fn)(void *ctx, const struct catalog_result_row *r);
/* Results of run in tape order; barcode NULL = every tape; failures_only
 * skips OK ones. */
int catalog_run_results(struct catalog *cat, int64_t run_id,
			const char *barcode, int failures_only,
			catalog_result_fn fn, void *ctx);

/* Where a part of a listing of results ended: its last row's tape, file
 * number and member (the listing's order). */
struct catalog_result_key {
	char barcode[40];
	int64_t fileno, member_id;
};
/* As catalog_run_results(), from the row after *after (NULL: from the
 * first row): a result file of millions of lines is read in parts, each
 * a seek, none holding the catalog between them. */
int catalog_run_results_from(struct catalog *cat, int64_t run_id,
			     const char *barcode, int failures_only,
			     const struct catalog_result_key *after,
			     catalog_result_fn fn, void *ctx);

/* The verification of one copy ended with result: sets the copy's
 * last_result, and when OK its last_verified = now and state good (BAD or
 * UNREADABLE set state bad), then the tape's last_verified: the oldest of
 * its copies' that are not lost (0 while one never was verified). */
int catalog_copy_verified(struct catalog *cat, int64_t copy_id,
			  enum catalog_result result);

/* ---- recall cache ----------------------------------------------------- */

struct catalog_cache_entry {
	int64_t member_id;
	char file[256];         /* cache file, relative to the cache dir */
	uint64_t size;          /* member size */
	uint64_t present;       /* bytes already in the cache file */
	int64_t last_access;
	int pinned;             /* open or being recalled: never evicted */
	/* A partly cached member: bit i (of byte i / 8, lowest bit first)
	 * set when chunk i is in the file, checked; NULL with map_len 0 when
	 * the file holds the whole member (present = size). In a callback
	 * the map is valid during the call only. */
	const unsigned char *map;
	size_t map_len;
};

/* Insert or replace the entry of e->member_id. */
int catalog_cache_put(struct catalog *cat, const struct catalog_cache_entry *e);
/* Members recalled: the entries e[0..n) put (as catalog_cache_put()) and
 * the recall requests done[0..ndone) they served deleted, in one
 * transaction (a crash keeps a request until its member's row is there).
 * 0 or -errno (nothing written). */
int catalog_cache_put_many(struct catalog *cat,
			   const struct catalog_cache_entry *e, size_t n,
			   const int64_t *done, size_t ndone);
int catalog_cache_get(struct catalog *cat, int64_t member_id,
		      struct catalog_cache_entry *out);
/* last_access = when (LRU order). -ENOENT when no entry. Never waits for
 * another writer of the process (a long dump commit): -EAGAIN then, and
 * the touch is simply lost (LRU order is advisory). */
int catalog_cache_touch(struct catalog *cat, int64_t member_id, int64_t when);
int catalog_cache_set_present(struct catalog *cat, int64_t member_id,
			      uint64_t present);
int catalog_cache_set_pinned(struct catalog *cat, int64_t member_id,
			     int pinned);
int catalog_cache_remove(struct catalog *cat, int64_t member_id);
/* Unpin every entry (call at mount: nothing is open or recalling). */
int catalog_cache_unpin_all(struct catalog *cat);
typedef int (*catalog_cache_fn)(void *ctx, const struct catalog_cache_entry *e);
/* Unpinned entries, least recently used first: eviction candidates. */
int catalog_cache_lru(struct catalog *cat, catalog_cache_fn fn, void *ctx);
/* Sum of present bytes and number of entries. */
int catalog_cache_total(struct catalog *cat, uint64_t *bytes,
			uint64_t *entries);

/* ---- chunk digests ---------------------------------------------------- */

/* A member's data cut in chunks of chunk_size bytes (the last one may be
 * shorter), each with a 16-byte digest (tapeio/chunk.h: XXH3-128,
 * canonical byte order), so that a byte range can be recalled and checked
 * without the whole member. Kept for members larger than one chunk: by a
 * dump commit whose writer gave them (catalog_commit_chunks), or the
 * first time a member is read whole with its MD5 matching or verified
 * good (catalog_chunks_put). */
#define CATALOG_CHUNK_DIGEST 16

struct catalog_chunks {
	uint32_t chunk_size;
	uint32_t n;
	unsigned char *digests; /* n * CATALOG_CHUNK_DIGEST, malloc'ed */
};

/* Store (or replace) the digests of member_id: digests holds n *
 * CATALOG_CHUNK_DIGEST bytes. -EINVAL when chunk_size or n is 0, -ENOENT
 * when the member is unknown. A sparse member keeps none (0, nothing
 * stored). */
int catalog_chunks_put(struct catalog *cat, int64_t member_id,
		       uint32_t chunk_size, uint32_t n,
		       const unsigned char *digests);
/* The digests of member_id into *out (release it). -ENOENT when it has
 * none. */
int catalog_chunks_get(struct catalog *cat, int64_t member_id,
		       struct catalog_chunks *out);
void catalog_chunks_release(struct catalog_chunks *c);
/* Within a dump commit: the digests of the member catalog_commit_member()
 * added last (the same transaction). -EINVAL as catalog_chunks_put(), or
 * when no member was added yet. */
int catalog_commit_chunks(struct catalog_commit *c, uint32_t chunk_size,
			  uint32_t n, const unsigned char *digests);

/* ---- the recall queue -------------------------------------------------- */

/* A `.recall` request kept until it is served, cancelled or failed, so
 * that a restart (or a crash) resumes it: one member, or a directory still
 * to be walked (member 0, path in archive; archive 0 = archive/). */
struct catalog_recall_req {
	int64_t id;
	int64_t member;
	int64_t archive;
	const char *path; /* a directory request's, else NULL */
	char prefer[40];  /* the tape to read first, "" */
	int priority;
	int64_t created;
};

/* Add reqs[0..n) in one transaction, and delete the directory request
 * `done` (0: none) in the same one (a directory walked into its members).
 * ids (may be NULL) receives each new row's id. */
int catalog_recall_add(struct catalog *cat, const struct catalog_recall_req
		       *reqs, size_t n, int64_t done, int64_t *ids);
/* Delete requests ids[0..n) (one transaction; unknown ids are fine). */
int catalog_recall_remove(struct catalog *cat, const int64_t *ids, size_t n);
typedef int (*catalog_recall_fn)(void *ctx,
				 const struct catalog_recall_req *r);
/* Every request, oldest first, but those another live host holds the
 * lease of. */
int catalog_recall_list(struct catalog *cat, catalog_recall_fn fn,
			void *ctx);
/* fn(ctx, the request id): -ENOENT when there is no such request. */
int catalog_recall_get(struct catalog *cat, int64_t id, catalog_recall_fn fn,
		       void *ctx);

/* Recall order: for each of member_ids[0..n) its first good copy (a copy
 * on a tape in prefer[0..nprefer) wins, e.g. tapes already in drives),
 * then sorted by (barcode, block). *out is a malloc'ed array of n entries
 * the caller frees with free(); members with no usable copy come last with
 * barcode "" and copy_id 0. */
int catalog_recall_plan(struct catalog *cat, const int64_t *member_ids,
			size_t n, const char *const *prefer, size_t nprefer,
			struct catalog_location **out);

/* ---- hosts and leases (several daemons on one catalog) ------------------
 *
 * A host is a daemon that works on the catalog under a name (the
 * `[library] host` of its config). Work - recall requests, dumps, verify
 * runs, tape-to-tape copies - is rows of the catalog; the host that does
 * one holds a lease on its row: its name, an expiry and a generation that
 * every take increments. The host renews its leases (catalog_host_beat())
 * well within their time; a host that dies stops renewing, its leases
 * expire, and another host takes the work over by the rules of a crash.
 * Whatever a holder commits as the outcome of leased work is fenced: it
 * commits only while the row still carries its generation (-ESTALE else),
 * so a host that was stopped past its lease (a pause, a network cut) never
 * commits work a second host has taken over. Times are the database's
 * clock in milliseconds (catalog_clock_ms()), never a host's own. One
 * host alone joins no name and leases nothing: every row is its own.
 * docs/multi-host.md explains the design. */

enum catalog_work {
	CATALOG_WORK_RECALL = 0, /* a recall_request row */
	CATALOG_WORK_DUMP,       /* a dump (its journal row) */
	CATALOG_WORK_VERIFY,     /* a verify run */
	CATALOG_WORK_XFER,       /* a tape-to-tape copy (lifecycle) */
	CATALOG_WORK_STAGING,    /* the dump of the shared staging
				    directory (one row, job 1): its holder
				    alone snapshots, dumps and cleans it */
	CATALOG_WORK_KINDS
};

#define CATALOG_HOST_LEN 64

struct catalog_lease {
	enum catalog_work kind;
	int64_t job;   /* the row's id */
	int64_t gen;   /* its generation: each take increments it */
	int64_t until; /* expiry, ms of the database's clock */
	char host[CATALOG_HOST_LEN]; /* the holder, "" when free */
};

struct catalog_host {
	char name[CATALOG_HOST_LEN];
	int64_t started;   /* ms, database clock: its last join */
	int64_t heartbeat; /* ms, database clock: its last beat */
};

/* 1 when name may name a host: 1 to 63 of A-Z a-z 0-9 . _ - */
int catalog_host_name_valid(const char *name);
/* The database's clock: *out = ms since the epoch. */
int catalog_clock_ms(struct catalog *cat, int64_t *out);
/* This handle now works for host name, its leases running lease_ms: the
 * row of host is made (or its start and heartbeat set again), and leases
 * the name held before (a previous run that died) are released, so their
 * work is resumed by the rules of a crash, here or on another host.
 * Rows of work this handle creates from now on are leased to name.
 * Returns 0, or 1 when the row of name beat less than lease_ms ago: a
 * run killed a moment ago, or another live daemon of the same name (it
 * is joined all the same: that daemon's next beat fails). -EINVAL for a
 * bad name or lease_ms < 1. Call it once, before the handle is shared by
 * threads. */
int catalog_host_join(struct catalog *cat, const char *name,
		      int64_t lease_ms);
/* The heartbeat of the joined host, and every lease it still holds
 * renewed for lease_ms, in one transaction: the number of leases
 * renewed (>= 0), -ENOENT when the host's row is gone or is another
 * run's (a daemon of the same name joined since: this one renews
 * nothing), -EINVAL when the handle joined no host. */
int catalog_host_beat(struct catalog *cat);
/* The joined host leaves: its leases released, its row and its drives'
 * rows (catalog_drive_publish()) deleted. */
int catalog_host_leave(struct catalog *cat);
typedef int (*catalog_host_fn)(void *ctx, const struct catalog_host *h);
/* Every host, by name. */
int catalog_host_list(struct catalog *cat, catalog_host_fn fn, void *ctx);

/* ---- the library's drives (catalog/drives.c) -------------------------- */
/* Each host publishes the state of its drives into the catalog, so that
 * every host shows the whole library: one row per drive, keyed by the
 * changer's drive number, naming the host that drives it. A row is
 * written when what it says changes (its host publishes at its beat at
 * most: catalog_drive_publish()); its host's heartbeat says whether it
 * is still true: once the host's lease time passed without a beat (the
 * host died, or left) the row is stale. docs/multi-host.md. */
#define CATALOG_DRIVE_STATE_LEN 24
#define CATALOG_DRIVE_LABEL_LEN 40
#define CATALOG_DRIVE_JOB_LEN	96

struct catalog_drive {
	int id;				     /* the changer's drive number */
	char host[CATALOG_HOST_LEN];	     /* the host driving it */
	char state[CATALOG_DRIVE_STATE_LEN]; /* "idle", "reading", ... */
	char label[CATALOG_DRIVE_LABEL_LEN]; /* the tape in it, "" none */
	char job[CATALOG_DRIVE_JOB_LEN];     /* its job, "" none */
	int progress;			     /* % of the job, -1 unknown */
	int64_t updated; /* ms, the database's clock: the row's last change */
	/* catalog_drive_list() only: */
	int64_t lease_ms;  /* the host's lease time */
	int64_t heartbeat; /* its host's last beat (ms), 0: no such host */
	int64_t now;	   /* the database's clock at the list */
	int stale;	   /* no beat of its host within its lease time */
};

/* The rows of d[0..n) for the joined host, its lease time with them and
 * updated set to the database's clock, in one write transaction (ids
 * 0..CATALOG_DRIVE_MAX-1; host, updated and the list's fields of d are
 * ignored); with whole, the host's other rows (drives it no longer
 * drives) are deleted. 0, -EINVAL when the handle joined no host or an
 * id is out of range, -errno of the catalog. */
#define CATALOG_DRIVE_MAX 4096
int catalog_drive_publish(struct catalog *cat, const struct catalog_drive *d,
			  size_t n, int whole);
typedef int (*catalog_drive_fn)(void *ctx, const struct catalog_drive *d);
/* Every drive row, by id, with its host's heartbeat and whether it is
 * stale (one read: the rows and the clock of one snapshot). fn's
 * nonzero return stops the walk and is returned. */
int catalog_drive_list(struct catalog *cat, catalog_drive_fn fn, void *ctx);

/* Take job of kind for the joined host: free, expired, or its own (a
 * take-over when another host's lease expired). *out (may be NULL) is
 * the lease with its new generation. -EBUSY when another host's lease is
 * live, -ENOENT no such row, -EINVAL when the handle joined no host. */
int catalog_lease_take(struct catalog *cat, enum catalog_work kind,
		       int64_t job, struct catalog_lease *out);
/* Take the oldest job of kind still to do (a recall request; a dump
 * pending or writing; a run or a copy running) that no live lease holds:
 * on PostgreSQL with SELECT ... FOR UPDATE SKIP LOCKED, so hosts taking
 * at once each get another job. -ENOENT when there is none. */
int catalog_lease_next(struct catalog *cat, enum catalog_work kind,
		       struct catalog_lease *out);
/* Renew l for the handle's lease time: 0 (l->until updated), -ESTALE
 * when l no longer holds its row (taken over: another generation or
 * host; or the row is gone). */
int catalog_lease_renew(struct catalog *cat, struct catalog_lease *l);
/* Give l up (the job stays, free for any host): 0, -ESTALE as above. */
int catalog_lease_release(struct catalog *cat, const struct catalog_lease *l);
/* 0 when l still holds its row, -ESTALE when not (a read: a commit of the
 * work's outcome must fence in its own transaction, e.g.
 * catalog_commit_fence()). */
int catalog_lease_check(struct catalog *cat, const struct catalog_lease *l);
/* The lease on job of kind as the row holds it now. -ENOENT no row. */
int catalog_lease_get(struct catalog *cat, enum catalog_work kind,
		      int64_t job, struct catalog_lease *out);
typedef int (*catalog_lease_fn)(void *ctx, const struct catalog_lease *l);
/* The jobs of kind still to do whose lease a host held and let expire
 * (the host died or hung), oldest first. */
int catalog_lease_expired(struct catalog *cat, enum catalog_work kind,
			  catalog_lease_fn fn, void *ctx);
/* In the transaction of commit c (a dump's commit is the outcome of its
 * lease): 0 when l still holds its row, which stays locked against a
 * take-over until c ends; -ESTALE when not: abort c. */
int catalog_commit_fence(struct catalog_commit *c,
			 const struct catalog_lease *l);
typedef int (*catalog_takeover_fn)(void *ctx, const struct catalog_lease *l,
				   const char *prev);
/* Take over the jobs of kind still to do whose lease another host let
 * expire: each is taken for the joined host (one another host takes
 * first is skipped), then fn(ctx, l, prev) with the lease now held and
 * the name of the host that let it expire. The number taken (>= 0), or
 * the first -errno (of a take, or fn's). */
int catalog_lease_takeover(struct catalog *cat, enum catalog_work kind,
			   catalog_takeover_fn fn, void *ctx);
/* Delete the recall request of l, only while l holds it: 0, -ESTALE (the
 * request was taken over, or served and deleted by another host). */
int catalog_recall_done(struct catalog *cat, const struct catalog_lease *l);
/* A recall request of one member (req->member; no path) handed to the
 * hosts: added free, leased to nobody, for whichever host can serve it
 * to take (catalog_lease_take()); the host that asked watches the row
 * (catalog_lease_get(): -ENOENT once served) and the member's cache
 * entry. *id (may be NULL) receives its id. 0, -EINVAL, -errno. */
int catalog_recall_hand(struct catalog *cat,
			const struct catalog_recall_req *req, int64_t *id);
/* The free recall requests of one member (no host holds them: handed,
 * or left by a host that left), oldest first, at most 64: fn for each
 * (r->path is NULL). 0, fn's nonzero return, or -errno. */
int catalog_recall_free(struct catalog *cat, catalog_recall_fn fn, void *ctx);

/* ---- consistency check (tapefs fsck) ------------------------------------ */

/* What a tape's label says (tapeio/label.h), read through the changer. */
struct catalog_label {
	const char *barcode;    /* barcode the changer reported */
	const char *uuid;       /* uuid in the label, NULL/"" = no label */
	const char *label_barcode; /* barcode the label names, NULL = same */
};

/* Called once per finding; repaired is 1 when --repair fixed it. msg is
 * one line without newline. */
typedef void (*catalog_report_fn)(void *ctx, int repaired, const char *msg);

/* Check the catalog against itself: sqlite's integrity, every copy's tape
 * exists, file numbers unique per tape and <= last_file, namespace rows
 * point at existing members, member offsets increase within an archive,
 * no dangling rows (members, copies, results of a missing archive/copy),
 * derived counters (archive member counts, tape bytes_used and last_file)
 * agree. And against labels[0..nlabels) (NULL/0: skipped): each label's
 * barcode known, uuid equal to the catalog's. With repair, fixes what is
 * safe (recompute counters, drop dangling rows, record a missing label
 * uuid) in one transaction and reports each fix.
 * Returns the number of problems found (fixed or not, >= 0) or -errno. */
int catalog_check(struct catalog *cat, int repair,
		  const struct catalog_label *labels, size_t nlabels,
		  catalog_report_fn report, void *ctx);

#endif
