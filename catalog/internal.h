/* catalog/internal.h - what the files of catalog/ share: the handle, the
 * connection pool, the statement cache, binding by name, transactions and
 * the path <-> node mapping. Never included outside catalog/.
 */
#ifndef TAPEFS_CATALOG_INTERNAL_H
#define TAPEFS_CATALOG_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"

#define CAT_STMT_SLOTS 256 /* statements cached per connection (power of 2) */
#define CAT_NAME_MAX   255 /* bytes of one path component */

/* A prepared statement of one connection. A backend allocates a larger
 * struct that begins with this one; the named parameters (":name", index
 * 1..nparam, a name used twice in the SQL is one parameter) are the
 * backend's, hit[] remembers the address of the name last bound to each,
 * so binding by a static name is a pointer compare. */
struct catstmt {
	struct catconn *c;
	const char *sql;
	int nparam;
	const char **pname; /* [nparam + 1], [0] unused */
	const char **hit;   /* [nparam + 1] */
	int nested; /* stepped while others run on c (cat_stmt_nested()) */
};

/* What a database backend does (db_sqlite.c, db_pg.c). Every function of a
 * statement works on one from prepare() of the same backend. step()
 * returns 1 on a row, 0 when done, -errno (logged with what) on an error;
 * a unique or foreign key refused is -EEXIST, not logged. Columns count
 * from 0; col_blob()'s bytes and col_str()'s text (NUL terminated, ""
 * for NULL) stay valid until the next step or reset. */
struct cat_ops {
	const char *name;
	/* SQL of a write transaction's and a read snapshot's begin; what a
	 * durable commit sets before and after (NULL: nothing to set) */
	const char *begin_write, *begin_read, *sync_full, *sync_normal;
	int (*open)(struct catconn *c, const char *where, int writer);
	void (*close)(struct catconn *c);
	struct catstmt *(*prepare)(struct catconn *c, const char *sql);
	void (*finalize)(struct catstmt *st);
	void (*reset)(struct catstmt *st);
	void (*bind_i64)(struct catstmt *st, int i, int64_t v);
	void (*bind_double)(struct catstmt *st, int i, double v);
	void (*bind_text)(struct catstmt *st, int i, const char *s);
	void (*bind_blob)(struct catstmt *st, int i, const void *p, size_t n);
	void (*bind_null)(struct catstmt *st, int i);
	int (*step)(struct catstmt *st, const char *what);
	int64_t (*col_i64)(struct catstmt *st, int col);
	double (*col_double)(struct catstmt *st, int col);
	const void *(*col_blob)(struct catstmt *st, int col);
	size_t (*col_bytes)(struct catstmt *st, int col);
	const char *(*col_str)(struct catstmt *st, int col);
	int (*col_null)(struct catstmt *st, int col);
	/* rows the last statement changed; the id its INSERT gave */
	int64_t (*changes)(struct catconn *c);
	int64_t (*last_id)(struct catconn *c);
	/* run a constant text of one or more statements: 0 or -errno */
	int (*exec_sql)(struct catconn *c, const char *sql);
	/* SQL that takes and gives back the robot's lock across hosts on a
	 * connection of its own (a session lock: a server's advisory lock),
	 * run with exec_sql; NULL: one host, the lock is a file beside the
	 * catalog (catalog_robot_lock(), robot.c) */
	const char *robot_lock, *robot_unlock;
	/* whether c is inside a transaction */
	int (*in_txn)(struct catconn *c);
	/* DIALECT HOOK (the backend's differences live here, in its ops):
	 * clock_ms is a statement of one row and one column, the database's
	 * clock in milliseconds since the epoch (leases and hosts use this
	 * one clock, never a host's own); skip_locked says whether a take
	 * (cat_stmt_take()) appends FOR UPDATE SKIP LOCKED: a database of
	 * concurrent writers (PostgreSQL) needs it, sqlite serialises its
	 * writers (BEGIN IMMEDIATE) and has no such clause. */
	const char *clock_ms;
	int skip_locked;
};

extern const struct cat_ops cat_sqlite_ops;
/* The PostgreSQL backend (db_pg.c): where is a libpq URI
 * (catalog_kind_of() is CATALOG_KIND_POSTGRESQL). */
extern const struct cat_ops cat_pg_ops;
/* What only sqlite has (the page check, the online backup): c's sqlite3
 * handle, NULL when c is of another backend; sqlite's rc logged with what
 * and mapped to -errno. */
struct sqlite3 *cat_sqlite_handle(struct catconn *c);
int cat_sqlite_err(struct sqlite3 *db, int rc, const char *what);

/* One connection to the database and the statements prepared on it. A
 * connection is used by one thread at a time: taken from the pool, or
 * the writer's. */
struct catconn {
	const struct cat_ops *ops;
	void *h; /* the backend's handle */
	struct {
		const char *sql; /* key: the address of a static SQL string */
		struct catstmt *st;
	} slots[CAT_STMT_SLOTS];
	struct catconn *next; /* free list link */
	struct catconn *all;  /* every connection, for close */
	struct catalog *cat;  /* owner; NULL for a connection of its own */
};

/* A directory component resolved before: (parent, name) -> node. Rows of
 * node are never deleted and a reader only sees committed ones, so an
 * entry, once seen, stays true. Short names only. */
#define CAT_DCACHE_SLOTS 8192
#define CAT_DCACHE_NAME	 47
struct cat_dslot {
	int64_t parent, node; /* node 0: empty */
	unsigned char len;
	char name[CAT_DCACHE_NAME];
};

struct catalog {
	char *path;
	const struct cat_ops *ops; /* the backend path names */
	/* Serializes this process's writers; held from BEGIN IMMEDIATE to
	 * COMMIT/ROLLBACK (and across a streaming commit). Lock order:
	 * write_lock, then pool_lock. */
	pthread_mutex_t write_lock;
	struct catconn
	    *wconn; /* the writer connection: only under write_lock */
	/* Guards free, all and nconn (the reader pool). */
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond; /* signalled when a connection is returned */
	struct catconn *free;
	struct catconn *all;
	int nconn;
	/* Guards dcache, the directory components readers resolved. */
	pthread_mutex_t dcache_lock;
	struct cat_dslot *dcache;
	/* The host this handle works for (catalog_host_join(), "" for none:
	 * one host alone, no lease is stamped) and the time its leases run
	 * (ms). Set once at the join, before the handle is shared. */
	char host[CATALOG_HOST_LEN];
	int64_t lease_ms;
	int64_t host_started; /* the join's time: this run's mark on the row */
	/* Held from catalog_robot_lock() to its unlock: one robot move of
	 * this process at a time; guards robot_conn and robot_fd. Taken by
	 * changer calls with no catalog lock held; a leaf otherwise. */
	pthread_mutex_t robot_lock;
	struct catconn *robot_conn; /* the backend's lock: its connection */
	int robot_fd; /* the file lock: its descriptor, -1 none yet */
};

/* ---- robot.c ---- */
/* Close what the robot's lock holds (at catalog_close()). */
void cat_robot_close(struct catalog *cat);

/* ---- db.c ---- */
/* A new connection to the database at path (created when missing) with
 * the backend ops: for sqlite, foreign keys on and a busy timeout; the
 * writer's (writer != 0) also sets WAL, the journal limit and a larger
 * page cache. 0 or -errno (logged). cat_conn_close() finalizes its
 * cached statements and closes it (NULL: nothing). */
int cat_conn_open(struct catconn **out, const struct cat_ops *ops,
		  const char *path, int writer);
void cat_conn_close(struct catconn *c);
/* A connection for reading; give it back with cat_conn_put(). NULL only
 * when a new connection cannot be opened (logged). */
struct catconn *cat_conn_get(struct catalog *cat);
void cat_conn_put(struct catalog *cat, struct catconn *c);
/* The cached statement for sql (a static string), prepared on first use;
 * reset it with cat_done() after use. NULL when it does not prepare
 * (logged). */
struct catstmt *cat_stmt(struct catconn *c, const char *sql);
/* cat_stmt() of a query whose rows are stepped while other statements
 * run on c (a walk that resolves each row's path on its connection). A
 * backend that reads one statement at a time per connection (PostgreSQL:
 * a query's rows stream) reads its rows through a cursor, in batches, so
 * that a walk of millions of rows holds one batch. Only inside c's
 * transaction (a reader's snapshot, a writer's transaction). */
struct catstmt *cat_stmt_nested(struct catconn *c, const char *sql);
/* Reset st and clear its bindings (NULL: nothing). */
void cat_done(struct catstmt *st);
/* Bind by parameter name (":name"). A name the statement lacks is a bug:
 * logged. cat_has_param() says whether st has it. */
void cat_bind_i64(struct catstmt *st, const char *name, int64_t v);
void cat_bind_double(struct catstmt *st, const char *name, double v);
void cat_bind_text(struct catstmt *st, const char *name, const char *s);
void cat_bind_blob(struct catstmt *st, const char *name, const void *p,
		   size_t n);
void cat_bind_null(struct catstmt *st, const char *name);
int cat_has_param(struct catstmt *st, const char *name);
/* Step st: 1 on a row, 0 when done, -errno (logged with what; a unique
 * key taken is -EEXIST, not logged). */
int cat_step(struct catstmt *st, const char *what);
/* Column col of the current row. cat_col_str() is NUL-terminated text
 * ("" for NULL) and cat_col_blob() bytes (cat_col_bytes() of them, NULL
 * when none), both valid until the next step or cat_done(). */
int64_t cat_col_i64(struct catstmt *st, int col);
int cat_col_int(struct catstmt *st, int col);
double cat_col_double(struct catstmt *st, int col);
const void *cat_col_blob(struct catstmt *st, int col);
size_t cat_col_bytes(struct catstmt *st, int col);
const char *cat_col_str(struct catstmt *st, int col);
int cat_col_null(struct catstmt *st, int col);
/* Copy column col as text into dst[size] ("" for NULL, truncated). */
void cat_col_text(struct catstmt *st, int col, char *dst, size_t size);
/* Rows changed by the last statement of c; the id c's last INSERT gave
 * its row. */
int64_t cat_changes(struct catconn *c);
int64_t cat_last_id(struct catconn *c);
/* Step a statement expected to change rows: 0, or -errno. */
int cat_exec(struct catconn *c, struct catstmt *st, const char *what);
/* Fill the caller's record out from the current row of st. */
typedef void (*cat_row_fn)(struct catstmt *st, void *out);
/* Step st (from cat_stmt(), bound) for at most one row: fill(st, out) and
 * 0 on a row, -ENOENT on none, else the step's -errno. Resets st. */
int cat_row_get(struct catconn *c, struct catstmt *st, cat_row_fn fill,
		void *out, const char *what);
/* Called on each row of cat_row_each(); nonzero stops the walk. */
typedef int (*cat_visit_fn)(struct catstmt *st, void *arg);
/* Step every row of st (from cat_stmt(), bound) calling visit(st, arg):
 * 0 after the last row, visit's first nonzero return, or the step's
 * -errno when a step fails. Resets st. */
int cat_row_each(struct catconn *c, struct catstmt *st, cat_visit_fn visit,
		 void *arg, const char *what);
/* The typed callback (a catalog_*_fn of catalog.h) and context of a walk
 * over rows: a file's cat_visit_fn fills its record from the row and calls
 * its member of fn. */
struct cat_walk {
	union {
		catalog_tape_fn tape;
		catalog_copy_fn copy;
		catalog_dump_fn dump;
		catalog_dump_file_fn dump_file;
		catalog_dump_tape_fn dump_tape;
		catalog_run_fn run;
		catalog_cache_fn cache;
		catalog_recall_fn recall;
		catalog_host_fn host;
	} fn;
	void *ctx;
};
/* cat_row_get() and cat_row_each() of sql on a reader connection taken
 * for the call, with key (":name") bound to id unless key is NULL. -EIO
 * when no connection or statement is to be had (logged). */
int cat_read_get(struct catalog *cat, const char *sql, const char *key,
		 int64_t id, cat_row_fn fill, void *out, const char *what);
int cat_read_each(struct catalog *cat, const char *sql, const char *key,
		  int64_t id, cat_visit_fn visit, void *arg, const char *what);
/* A cat_row_fn that reads nothing: for a query asked only whether it has
 * a row. */
void cat_row_none(struct catstmt *st, void *out);
/* cat_read_get() of sql with ":barcode" bound to barcode ("" for NULL)
 * and, unless fileno < 0, ":fileno" to fileno. */
int cat_read_tape(struct catalog *cat, const char *sql, const char *barcode,
		  int64_t fileno, cat_row_fn fill, void *out, const char *what);
/* Whether sql (bound as by cat_read_tape()) has a row: 1, 0, -errno. */
int cat_tape_file_known(struct catalog *cat, const char *sql,
			const char *barcode, int64_t fileno, const char *what);
/* One durable write of sql in a transaction of its own, with key bound
 * to id, text_key (unless NULL) to text ("" for NULL) and ":now" when the
 * statement has it: 0, -ENOENT when no row changed, -errno. */
int cat_write_id(struct catalog *cat, const char *sql, const char *key,
		 int64_t id, const char *text_key, const char *text,
		 const char *what);
/* Run a constant SQL text (pragmas, schema). */
int cat_exec_sql(struct catconn *c, const char *sql);

/* Begin a write transaction (BEGIN IMMEDIATE) on the writer connection,
 * taking write_lock; durable selects synchronous=FULL for its commit. */
int cat_txn_begin(struct catalog *cat, struct catconn **out, int durable);
/* The same (not durable) without waiting: -EAGAIN when another writer of
 * the process holds write_lock. */
int cat_txn_try_begin(struct catalog *cat, struct catconn **out);
/* Commit when ret == 0, else roll back; release write_lock. Returns ret,
 * or the commit's error. */
int cat_txn_end(struct catalog *cat, struct catconn *c, int durable, int ret);

int64_t cat_now(void);

/* ---- leases.c ---- */
/* The database's clock (ms since the epoch) read on c: 0 or -errno. */
int cat_clock_ms(struct catconn *c, int64_t *out);
/* A SELECT that takes rows for the writer of a queue: the plain form,
 * and the same with FOR UPDATE SKIP LOCKED (CAT_TAKE(sel) makes both
 * from one constant). cat_stmt_take() prepares the one c's backend
 * wants (cat_ops.skip_locked): the dialect's one difference for takes. */
struct cat_take {
	const char *plain, *locking;
};
#define CAT_TAKE(sel) { sel, sel " FOR UPDATE SKIP LOCKED" }
struct catstmt *cat_stmt_take(struct catconn *c, const struct cat_take *q);
/* In c's transaction: when cat works for a host, the new row job of kind
 * is leased to it (generation 1, for cat->lease_ms); else nothing. */
int cat_lease_stamp(struct catalog *cat, struct catconn *c,
		    enum catalog_work kind, int64_t job);
/* In c's transaction: 0 when l still holds its row (same host and
 * generation), which stays locked against a take-over until the
 * transaction ends (PostgreSQL); -ESTALE when it lost it. */
int cat_lease_fence(struct catconn *c, const struct catalog_lease *l);
/* In c's transaction, when cat works for a host: 0 when job of kind is
 * leased to that host (the row stays locked against a take-over until
 * the transaction ends, on PostgreSQL), -ESTALE when not. 0 when cat
 * works for no host. */
int cat_lease_fence_host(struct catalog *cat, struct catconn *c,
			 enum catalog_work kind, int64_t job);
/* Every lease host holds, in c's transaction: renewed until now + ttl
 * (beat), or released (!beat). The number of rows, or -errno. */
int cat_host_leases(struct catconn *c, const char *host, int beat,
		    int64_t now, int64_t ttl);
/* Bind what a lease-aware query of stale work needs: ":lhost" (the
 * handle's host) and ":lnow" (the database's clock). 0 or -errno. */
int cat_lease_bind_stale(struct catalog *cat, struct catconn *c,
			 struct catstmt *st);
/* SQL: a row of work that is not held by another live host: free, held
 * by this handle's host, or its lease expired. */
#define CAT_NOT_LEASED_ELSEWHERE                                               \
	"(lease_host = '' OR lease_host = :lhost OR lease_until < :lnow)"

/* Delete recall request id in the transaction of c (requests.c). */
int cat_recall_remove(struct catconn *c, int64_t id);

/* ---- schema.c ---- */
/* Bring the schema of c's database to CATALOG_SCHEMA_VERSION. */
int cat_schema_migrate(struct catconn *c);
/* 0 when c's database holds a tapefs schema (any version), -ENODATA when
 * it holds none (a new file), -errno. */
int cat_schema_exists(struct catconn *c);

/* ---- copy.c ---- */
/* Every row of every table of from's database inserted into to's, in the
 * transaction each is in (from's read snapshot, to's write transaction),
 * ids kept; *rows (unless NULL) the rows copied. 0, -EEXIST when a row
 * of to holds a key already, -errno. */
int cat_copy_rows(struct catconn *from, struct catconn *to, uint64_t *rows);
/* Every row of every table of to's database deleted (in its write
 * transaction). 0 or -errno. */
int cat_copy_clear(struct catconn *to);

/* ---- paths.c ---- */
/* Validate a path: 0, -EINVAL, -ENAMETOOLONG. */
int cat_path_check(const char *path);
/* The node id of path (0 for the root): 0 or -ENOENT/-EINVAL. Only on
 * reader connections (it caches what it resolves). */
int cat_node_find(struct catconn *c, const char *path, int64_t *node);
/* The node of path's parent directory and path's last component (*len 0
 * for the root). 0 or -ENOENT/-EINVAL/-ENAMETOOLONG. Readers only. */
int cat_node_split(struct catconn *c, const char *path, int64_t *parent,
		   const char **name, size_t *len);
/* The node id of the child name of parent: 0 or -ENOENT. */
int cat_node_child(struct catconn *c, int64_t parent, const void *name,
		   size_t len, int64_t *node);
/* The full path of node (malloc'ed, caller frees). */
int cat_node_path(struct catconn *c, int64_t node, char **out);
/* Full paths of members that stream grouped by directory: the last
 * directory's path is kept. */
struct cat_dircache {
	int64_t node; /* -1: nothing cached */
	char *path;
	size_t len;
	char *buf; /* the last full path */
	size_t cap;
};
/* *out = path of (parent node, name), valid until the next call. */
int cat_dircache_path(struct catconn *c, struct cat_dircache *dc,
		      int64_t parent, const char *name, const char **out);
void cat_dircache_release(struct cat_dircache *dc);
/* Hex <-> 16 bytes. cat_md5_unhex returns 0 or -EINVAL. */
void cat_md5_hex(const void *bin, size_t n, char out[33]);
int cat_md5_unhex(const char *hex, unsigned char out[16]);

/* ---- archives.c ---- */
/* The columns of a copy row, and filling a struct catalog_copy (out) from
 * them; the same for struct catalog_archive (columns id, dump, created,
 * members, bytes, block_size, md5). */
#define CAT_COPY_COLS                                                          \
	"id, archive, barcode, fileno, start_lblock, size, state, "            \
	"last_verified, last_result"
void cat_copy_row(struct catstmt *st, void *out);
/* SQL: archive a (a column or parameter) is live - a path of the
 * namespace shows one of its files or symlinks, or it is the newest
 * snapshot of the catalog (a rebuild starts from it). */
#define CAT_LIVE_ARCHIVE(a)                                                    \
	"(EXISTS (SELECT 1 FROM member lm JOIN node ln ON ln.id = lm.node "    \
	"WHERE lm.archive = " a " AND ln.member = lm.id AND lm.type != 1) "    \
	"OR " a " = (SELECT max(id) FROM archive WHERE kind = 1))"
void cat_archive_row(struct catstmt *st, void *out);

/* ---- commit.c ---- */
/* The id of the member catalog_commit_member() added last: 0, or -EINVAL
 * when none was (or the commit failed). */
int cat_commit_last_member(struct catalog_commit *c, int64_t *member);
/* The writer connection a commit holds (its transaction). */
struct catconn *cat_commit_conn(struct catalog_commit *c);

/* Add the copy cp of archive (in c's transaction) and account it on its
 * tape: last file, bytes, a scratch tape becomes open; with import a
 * closed tape becomes open too (an archive on it the catalog did not
 * know means the catalog is older than the tape). 0 or -errno. */
int cat_copy_add(struct catconn *c, int64_t archive,
		 const struct catalog_copy_in *cp, int import);

/* ---- members.c ---- */
/* The member columns every member query selects (joined with archive for
 * the ordinal); cat_member_row() fills m from them starting at column col,
 * with m->link pointing into the row (valid until the next step). */
#define CAT_MEMBER_COLS                                                        \
	"member.id, member.archive, member.type, member.size, member.mode, "   \
	"member.uid, member.gid, member.mtime, member.mtime_nsec, "            \
	"member.md5, member.link, member.hdr, member.data, "                   \
	"member.id - archive.first_member, archive.members, member.flags"
#define CAT_MEMBER_NCOLS 16
void cat_member_row(struct catstmt *st, int col, struct catalog_member *m);

#endif
