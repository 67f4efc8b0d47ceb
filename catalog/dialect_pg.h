/* catalog/dialect_pg.h - what PostgreSQL is told differently from sqlite,
 * in one place. The SQL of catalog/ is written once, in forms both
 * databases take (docs/catalog.md); what remains is here: the schema's
 * column types and sqlite's implicit rowids, the PRAGMAs, and the
 * transactions' begin. Used by the PostgreSQL backend (db_pg.c) alone.
 */
#ifndef TAPEFS_CATALOG_DIALECT_PG_H
#define TAPEFS_CATALOG_DIALECT_PG_H

#include <stdint.h>

/* The begin of a write transaction: READ COMMITTED, then the catalog's
 * writer lock (a transaction-scoped advisory lock, class
 * DIALECT_PG_LOCK_CLASS, keyed by the schema), so that one writer at a
 * time runs across every process and host, as sqlite's BEGIN IMMEDIATE
 * does: each statement after the lock sees every earlier commit. */
#define DIALECT_PG_LOCK_CLASS 1952542821 /* 'tape' */
extern const char dialect_pg_begin_write[];
/* The robot's lock across hosts (catalog_robot_lock(), catalog/robot.c):
 * a session advisory lock on a connection of its own, class
 * DIALECT_PG_ROBOT_CLASS (never the writer's class, so that a move and a
 * write never wait for one another), keyed by the schema as the writer's
 * lock is: one robot per catalog. The server gives it back when the
 * session ends, a host killed included; the lock's text first sets the
 * session's TCP keepalives short, so that the server also finds a host
 * that lost its power or its network within a minute instead of the
 * system's two hours (ignored on a Unix socket). */
#define DIALECT_PG_ROBOT_CLASS 1919902319 /* 'robo' */
extern const char dialect_pg_robot_lock[];
extern const char dialect_pg_robot_unlock[];
/* A read snapshot, as sqlite's read transaction: every statement of it
 * sees the same commits. */
extern const char dialect_pg_begin_read[];
/* The table that holds the schema version (sqlite's PRAGMA user_version),
 * created when missing by a writer's connection. */
extern const char dialect_pg_meta[];

/* The PostgreSQL text of one statement of catalog/ that is sqlite's alone
 * (PRAGMA user_version, PRAGMA quick_check, BEGIN IMMEDIATE), or sql
 * itself. Static strings: nothing to free. */
const char *dialect_pg_stmt(const char *sql);

/* sqlite's text of one or more statements run whole (the schema steps,
 * PRAGMAs) rewritten for PostgreSQL: the types of CREATE TABLE and ALTER
 * TABLE (INTEGER -> BIGINT, BLOB -> BYTEA, REAL -> DOUBLE PRECISION, TEXT
 * compared bytewise as sqlite does), WITHOUT ROWID dropped, a column
 * "INTEGER PRIMARY KEY" given sqlite's rowid (max + 1 when inserted NULL
 * or left out, by a trigger), PRAGMA user_version written to the meta
 * table, foreign keys switched off and on as a session's replication
 * role, other PRAGMAs dropped. NULL when out of memory; the caller frees
 * the result. */
char *dialect_pg_script(const char *sql);

/* A test's measure of the backend's memory (db_pg.c): the most rows one
 * statement held at once in this process since the last reset (a query's
 * rows stream one at a time; a whole result or rows read ahead count
 * all), and with reset nonzero, zeroed after. */
uint64_t dialect_pg_rows_held_peak(int reset);

#endif
