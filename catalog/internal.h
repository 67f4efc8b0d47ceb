/* catalog/internal.h - what the files of catalog/ share: the handle, the
 * connection pool, the statement cache, binding by name, transactions and
 * the path <-> node mapping. Never included outside catalog/.
 */
#ifndef TAPEFS_CATALOG_INTERNAL_H
#define TAPEFS_CATALOG_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"

#define CAT_STMT_SLOTS 256 /* statements cached per connection (power of 2) */
#define CAT_NAME_MAX   255 /* bytes of one path component */

/* One sqlite connection and the statements prepared on it. A connection
 * is used by one thread at a time: taken from the pool, or the writer's. */
struct catconn {
	sqlite3 *db;
	struct {
		const char *sql; /* key: the address of a static SQL string */
		sqlite3_stmt *st;
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
};

/* ---- db.c ---- */
/* Log "catalog: what: errmsg" and map rc to -errno. */
int cat_err(struct catconn *c, int rc, const char *what);
/* A new connection to the database at path (created when missing), with
 * foreign keys on and a busy timeout; the writer's (writer != 0) also sets
 * WAL, the journal limit and a larger page cache. 0 or -errno (logged).
 * cat_conn_close() finalizes its cached statements and closes it (NULL:
 * nothing). */
int cat_conn_open(struct catconn **out, const char *path, int writer);
void cat_conn_close(struct catconn *c);
/* A connection for reading; give it back with cat_conn_put(). NULL only
 * when a new connection cannot be opened (logged). */
struct catconn *cat_conn_get(struct catalog *cat);
void cat_conn_put(struct catalog *cat, struct catconn *c);
/* The cached statement for sql (a static string), prepared on first use;
 * reset it with cat_done() after use. NULL when it does not prepare
 * (logged). */
sqlite3_stmt *cat_stmt(struct catconn *c, const char *sql);
void cat_done(sqlite3_stmt *st);
/* Bind by parameter name (":name"). A name the statement lacks is a bug:
 * logged. */
void cat_bind_i64(sqlite3_stmt *st, const char *name, int64_t v);
void cat_bind_text(sqlite3_stmt *st, const char *name, const char *s);
void cat_bind_blob(sqlite3_stmt *st, const char *name, const void *p, size_t n);
void cat_bind_null(sqlite3_stmt *st, const char *name);
/* Copy column col as text into dst[size] ("" for NULL, truncated). */
void cat_col_text(sqlite3_stmt *st, int col, char *dst, size_t size);
/* Step a statement expected to change rows: 0, or -errno. */
int cat_exec(struct catconn *c, sqlite3_stmt *st, const char *what);
/* Fill the caller's record out from the current row of st. */
typedef void (*cat_row_fn)(sqlite3_stmt *st, void *out);
/* Step st (from cat_stmt(), bound) for at most one row: fill(st, out) and
 * 0 on a row, -ENOENT on none, else cat_err(c, rc, what). Resets st. */
int cat_row_get(struct catconn *c, sqlite3_stmt *st, cat_row_fn fill, void *out,
		const char *what);
/* Called on each row of cat_row_each(); nonzero stops the walk. */
typedef int (*cat_visit_fn)(sqlite3_stmt *st, void *arg);
/* Step every row of st (from cat_stmt(), bound) calling visit(st, arg):
 * 0 after the last row, visit's first nonzero return, or
 * cat_err(c, rc, what) when a step fails. Resets st. */
int cat_row_each(struct catconn *c, sqlite3_stmt *st, cat_visit_fn visit,
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
void cat_row_none(sqlite3_stmt *st, void *out);
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

/* Delete recall request id in the transaction of c (requests.c). */
int cat_recall_remove(struct catconn *c, int64_t id);

/* ---- schema.c ---- */
/* Bring the schema of c's database to CATALOG_SCHEMA_VERSION. */
int cat_schema_migrate(struct catconn *c);
/* 0 when c's database holds a tapefs schema (any version), -ENODATA when
 * it holds none (a new file), -errno. */
int cat_schema_exists(struct catconn *c);

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
void cat_copy_row(sqlite3_stmt *st, void *out);
/* SQL: archive a (a column or parameter) is live - a path of the
 * namespace shows one of its files or symlinks, or it is the newest
 * snapshot of the catalog (a rebuild starts from it). */
#define CAT_LIVE_ARCHIVE(a)                                                    \
	"(EXISTS (SELECT 1 FROM member lm JOIN node ln ON ln.id = lm.node "    \
	"WHERE lm.archive = " a " AND ln.member = lm.id AND lm.type != 1) "    \
	"OR " a " = (SELECT max(id) FROM archive WHERE kind = 1))"
void cat_archive_row(sqlite3_stmt *st, void *out);

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
void cat_member_row(sqlite3_stmt *st, int col, struct catalog_member *m);

#endif
