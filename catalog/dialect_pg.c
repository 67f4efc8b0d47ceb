/* catalog/dialect_pg.c - sqlite's schema and PRAGMAs told to PostgreSQL
 * (dialect_pg.h): one rewrite of whole scripts, a few whole statements.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/dialect_pg.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

const char dialect_pg_begin_write[] =
    "BEGIN ISOLATION LEVEL READ COMMITTED; "
    "SELECT pg_advisory_xact_lock(" STR(DIALECT_PG_LOCK_CLASS) ", "
								"hashtext(current_schema()))";
const char dialect_pg_robot_lock[] =
    "SET tcp_keepalives_idle = 20; SET tcp_keepalives_interval = 5; "
    "SET tcp_keepalives_count = 4; "
    "SELECT pg_advisory_lock(" STR(DIALECT_PG_ROBOT_CLASS) ", "
							   "hashtext(current_schema()))";
const char dialect_pg_robot_unlock[] =
    "SELECT pg_advisory_unlock(" STR(DIALECT_PG_ROBOT_CLASS) ", "
							     "hashtext(current_schema()))";
const char dialect_pg_begin_read[] =
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
const char dialect_pg_meta[] =
    "CREATE TABLE IF NOT EXISTS tapefs_schema(version BIGINT NOT NULL)";

static const struct {
	const char *sqlite, *pg;
} stmts[] = {
    {"PRAGMA user_version",
     "SELECT coalesce(max(version), 0) FROM tapefs_schema"},
    /* the server checks its own pages */
    {"PRAGMA quick_check", "SELECT 'ok'"},
    {"PRAGMA quick_check(1)", "SELECT 'ok'"},
    {"BEGIN IMMEDIATE", dialect_pg_begin_write},
};

const char *dialect_pg_stmt(const char *sql)
{
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if (strcasecmp(sql, stmts[i].sqlite) == 0)
			return stmts[i].pg;
	return sql;
}

/* A growing string; oom once any append failed. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b,
							    const char *fmt,
							    ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->oom = 1; /* never with the names of catalog/ */
	else
		sb_add(b, tmp, (size_t)n);
}

static int is_word(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The end of the statement starting at s: its ';' or NUL, quotes
 * skipped. */
static const char *stmt_end(const char *s)
{
	char q = 0;

	for (; *s; s++) {
		if (q) {
			if (*s == q)
				q = 0;
		} else if (*s == '\'' || *s == '"') {
			q = *s;
		} else if (*s == ';') {
			break;
		}
	}
	return s;
}

/* The word at s (up to n bytes) into w[size]: its length, 0 if none. */
static size_t word_at(const char *s, const char *end, char *w, size_t size)
{
	size_t n = 0;

	while (s + n < end && is_word(s[n]))
		n++;
	if (n >= size)
		return 0;
	memcpy(w, s, n);
	w[n] = 0;
	return n;
}

/* The words after s (skipping blanks) match the words of want. */
static int words_follow(const char *s, const char *end, const char *want)
{
	char w[64];

	while (*want) {
		size_t n, wn = strcspn(want, " ");

		while (s < end && isspace((unsigned char)*s))
			s++;
		n = word_at(s, end, w, sizeof(w));
		if (n != wn || strncasecmp(w, want, n) != 0)
			return 0;
		s += n;
		want += wn;
		while (*want == ' ')
			want++;
	}
	return 1;
}

static const struct {
	const char *sqlite, *pg;
} types[] = {
    {"INTEGER", "BIGINT"},
    {"BLOB", "BYTEA"},
    {"REAL", "DOUBLE PRECISION"},
    /* sqlite compares text bytewise, whatever the database's locale */
    {"TEXT", "TEXT COLLATE \"C\""},
};

/* sqlite's rowid for column col of table: max + 1 when NULL. */
static void rowid_trigger(struct sbuf *b, const char *table, const char *col)
{
	sb_printf(b,
		  "; CREATE FUNCTION tapefs_rowid_%s() RETURNS trigger "
		  "LANGUAGE plpgsql AS 'BEGIN SELECT coalesce(max(%s), 0) + 1 "
		  "INTO NEW.%s FROM %s; RETURN NEW; END'",
		  table, col, col, table);
	sb_printf(b,
		  "; CREATE TRIGGER %s_rowid BEFORE INSERT ON %s FOR EACH ROW "
		  "WHEN (NEW.%s IS NULL) EXECUTE FUNCTION tapefs_rowid_%s()",
		  table, table, col, table);
	/* a row's id is given even with foreign keys off (a session's
	 * replication role "replica" silences ordinary triggers) */
	sb_printf(b, "; ALTER TABLE %s ENABLE ALWAYS TRIGGER %s_rowid", table,
		  table);
}

/* CREATE TABLE or ALTER TABLE [s, end) with its types rewritten. */
static void table_stmt(struct sbuf *b, const char *s, const char *end)
{
	char table[64] = "", prev[64] = "", rowid[64] = "", w[64];
	int create = words_follow(s, end, "CREATE TABLE");
	const char *p = s;
	size_t nwords = 0;

	while (p < end) {
		size_t n;

		if (*p == '\'' || *p == '"') {
			const char *q = strchr(p + 1, *p);

			q = q && q < end ? q + 1 : end;
			sb_add(b, p, (size_t)(q - p));
			p = q;
			continue;
		}
		n = is_word(*p) ? word_at(p, end, w, sizeof(w)) : 0;
		if (!n) {
			sb_add(b, p, 1);
			p++;
			continue;
		}
		if (++nwords == 3)
			snprintf(table, sizeof(table), "%s", w);
		if (strcasecmp(w, "WITHOUT") == 0 &&
		    words_follow(p, end, "WITHOUT ROWID")) {
			p = strcasestr(p, "ROWID") + 5;
			continue;
		}
		if (create && strcasecmp(w, "INTEGER") == 0 &&
		    words_follow(p + n, end, "PRIMARY KEY"))
			snprintf(rowid, sizeof(rowid), "%s", prev);
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(w, types[i].sqlite) == 0) {
				snprintf(w, sizeof(w), "%s", types[i].pg);
				break;
			}
		sb_add(b, w, strlen(w));
		snprintf(prev, sizeof(prev), "%.*s", (int)n, p);
		p += n;
	}
	if (*rowid && *table)
		rowid_trigger(b, table, rowid);
}

/* PRAGMA [s, end): name and value. */
static void pragma_stmt(struct sbuf *b, const char *s, const char *end)
{
	char name[64] = "", val[64] = "";
	const char *p = s + strlen("PRAGMA");

	while (p < end && isspace((unsigned char)*p))
		p++;
	p += word_at(p, end, name, sizeof(name));
	while (p < end && (isspace((unsigned char)*p) || *p == '='))
		p++;
	word_at(p, end, val, sizeof(val));
	if (strcasecmp(name, "user_version") == 0 && *val)
		sb_printf(b,
			  "DELETE FROM tapefs_schema; "
			  "INSERT INTO tapefs_schema(version) VALUES(%lld)",
			  strtoll(val, NULL, 10));
	else if (strcasecmp(name, "foreign_keys") == 0)
		sb_printf(b, "SET session_replication_role = %s",
			  strcasecmp(val, "OFF") == 0 ? "replica" : "DEFAULT");
	/* other PRAGMAs tune sqlite alone: nothing */
}

char *dialect_pg_script(const char *sql)
{
	struct sbuf b = {0};
	const char *s = sql;

	sb_add(&b, "", 0);
	while (*s) {
		const char *end = stmt_end(s);
		size_t before = b.len;

		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s == end) {
			/* nothing */
		} else if (words_follow(s, end, "PRAGMA")) {
			pragma_stmt(&b, s, end);
		} else if (words_follow(s, end, "BEGIN IMMEDIATE")) {
			sb_add(&b, dialect_pg_begin_write,
			       strlen(dialect_pg_begin_write));
		} else if (words_follow(s, end, "CREATE TABLE") ||
			   words_follow(s, end, "ALTER TABLE")) {
			table_stmt(&b, s, end);
		} else {
			sb_add(&b, s, (size_t)(end - s));
		}
		if (b.len > before)
			sb_add(&b, ";\n", 2);
		s = *end ? end + 1 : end;
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
