/* catalog/db_pg.c - the PostgreSQL backend of the statement API
 * (struct cat_ops, internal.h) on libpq: connections, statements
 * prepared on the server, steps over their results, and the server's
 * errors mapped to -errno once. What PostgreSQL is told differently from
 * sqlite is dialect_pg.c's.
 *
 * A statement's ":name" parameters become $1..$N (a name used twice is
 * one parameter). It is prepared at its first step, with the types of
 * what was bound (int8, float8, bytea; text and NULL left to the server
 * to infer), and prepared again only when a value of another type is
 * bound later. An INSERT into a table with an id column returns it: that
 * is cat_last_id(), as sqlite's last rowid.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/dialect_pg.h"
#include "catalog/internal.h"

/* the type oids of pg_type.h (server headers: not in libpq-dev) */
#define OID_BOOL   16
#define OID_BYTEA  17
#define OID_INT8   20
#define OID_TEXT   25
#define OID_FLOAT8 701

#define PG_TABLES 32 /* tables whose id column is known, per connection */

struct pgconn {
	PGconn *pg;
	int64_t changes, last_id;
	unsigned nprep; /* names given to prepared statements */
	struct {
		char name[64];
		int has_id;
	} tables[PG_TABLES];
	int ntables;
};

/* One bound value: its type (0: text or NULL, the server's to infer). */
struct pgval {
	Oid type;
	int null;
	char *p; /* the bytes (text NUL-terminated), malloc'ed */
	int len;
	char num[8]; /* an int8 or float8 in network order */
};

struct pgstmt {
	struct catstmt s; /* first: a struct catstmt * is a struct pgstmt * */
	char *text;	  /* the SQL with $N */
	int script;	  /* several statements, no parameters: PQexec */
	int returning_id; /* the INSERT returns its id (for last_id) */
	char name[24];	  /* "" until prepared */
	Oid *types;	  /* [nparam + 1] the types the server gave */
	struct pgval *v;  /* [nparam + 1] */
	PGresult *res;
	int row, nrows, ran;
	struct {
		char *p;
		size_t n;
		int done;
	} *dec; /* [ncols] bytea columns decoded, for this row */
	int ncols;
};

static struct pgconn *pc_of(struct catconn *c)
{
	return c->h;
}

static struct pgstmt *ps_of(struct catstmt *s)
{
	return (struct pgstmt *)s;
}

/* The server's message, one line, without "ERROR:  ". */
static void log_err(const char *what, const char *msg)
{
	size_t n = strcspn(msg, "\n");

	if (strncmp(msg, "ERROR:  ", 8) == 0) {
		msg += 8;
		n -= n >= 8 ? 8 : n;
	}
	fprintf(stderr, "catalog: %s: %.*s\n", what, (int)n, msg);
}

/* Map the error of res (NULL: of the connection) to -errno, logged with
 * what unless it is a constraint refused (-EEXIST, sqlite's
 * SQLITE_CONSTRAINT: the caller's answer, not a fault). */
static int pg_err(struct pgconn *pc, const PGresult *res, const char *what)
{
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (state && strncmp(state, "23", 2) == 0)
		return -EEXIST;
	log_err(what, res ? PQresultErrorMessage(res) : PQerrorMessage(pc->pg));
	if (!state)
		return -EIO;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return -EBUSY;
	if (strcmp(state, "53100") == 0)
		return -ENOSPC;
	if (strcmp(state, "53200") == 0)
		return -ENOMEM;
	if (strcmp(state, "25006") == 0)
		return -EROFS;
	return -EIO;
}

/* Run a text without parameters; its result is cleared. 0 or -errno. */
static int pg_exec_text(struct pgconn *pc, const char *sql, const char *what)
{
	PGresult *res = PQexec(pc->pg, sql);
	ExecStatusType rs = PQresultStatus(res);
	int ret = 0;

	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK)
		ret = pg_err(pc, res, what);
	PQclear(res);
	return ret;
}

static int pg_exec_sql(struct catconn *c, const char *sql)
{
	char *text = dialect_pg_script(sql);
	int ret;

	if (!text)
		return -ENOMEM;
	ret = *text ? pg_exec_text(pc_of(c), text, "exec") : 0;
	free(text);
	return ret;
}

/* The server's notices (a table that exists, skipped) are not errors. */
static void pg_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Names, labels and errors are stored as the bytes they are, as sqlite
 * does: a database of another encoding would refuse those that are not
 * valid in it (a hostile label), or convert them. 0, or -EPROTO said. */
static int check_encoding(struct pgconn *pc)
{
	const char *enc = PQparameterStatus(pc->pg, "server_encoding");

	if (enc && strcmp(enc, "SQL_ASCII") == 0)
		return PQsetClientEncoding(pc->pg, "SQL_ASCII") ? -EIO : 0;
	fprintf(stderr,
		"catalog: the PostgreSQL database is encoded %s: tapefs "
		"stores names as bytes, in a database created with "
		"ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE "
		"template0\n",
		enc ? enc : "(unknown)");
	return -EPROTO;
}

static int pg_open(struct catconn *c, const char *uri, int writer)
{
	const char *const keys[] = {"dbname", "fallback_application_name",
				    NULL};
	const char *const vals[] = {uri, "tapefs", NULL};
	struct pgconn *pc = calloc(1, sizeof(*pc));
	int ret;

	if (!pc)
		return -ENOMEM;
	pc->pg = PQconnectdbParams(keys, vals, 1);
	c->h = pc;
	if (!pc->pg)
		return -ENOMEM;
	if (PQstatus(pc->pg) != CONNECTION_OK) {
		/* the message names the server, never the password */
		log_err("cannot connect to the PostgreSQL catalog",
			PQerrorMessage(pc->pg));
		return -EIO;
	}
	PQsetNoticeProcessor(pc->pg, pg_notice, NULL);
	ret = check_encoding(pc);
	if (ret == 0)
		ret = pg_exec_text(pc, "SET client_min_messages = warning",
				   "open");
	if (ret == 0 && writer)
		ret = pg_exec_text(pc, dialect_pg_meta, "schema version table");
	/* another host created it at the same moment: it is there */
	return ret == -EEXIST ? 0 : ret;
}

static void pg_close(struct catconn *c)
{
	struct pgconn *pc = pc_of(c);

	if (!pc)
		return;
	PQfinish(pc->pg);
	free(pc);
	c->h = NULL;
}

static int is_name(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

/* sql with its ":name" parameters as $N into ps (text, pname, nparam). */
static int rewrite_params(struct pgstmt *ps, const char *sql)
{
	size_t len = strlen(sql), cap = 8, o = 0;
	char *out = malloc(len * 2 + 16);
	const char **names = malloc(cap * sizeof(*names));
	char q = 0;
	int n = 0;

	if (!out || !names)
		goto out_oom;
	names[0] = NULL;
	for (const char *p = sql; *p;) {
		size_t nl = 0;
		int i;

		if (q || *p == '\'' || *p == '"') {
			q = q ? (*p == q ? 0 : q) : *p;
			out[o++] = *p++;
			continue;
		}
		if (*p != ':' || (p > sql && p[-1] == ':') || !is_name(p[1])) {
			out[o++] = *p++;
			continue;
		}
		while (is_name(p[1 + nl]))
			nl++;
		for (i = 1; i <= n; i++)
			if (strlen(names[i]) == nl + 1 &&
			    strncmp(names[i], p, nl + 1) == 0)
				break;
		if (i > n) {
			if ((size_t)n + 2 > cap) {
				const char **nn;

				cap *= 2;
				nn = realloc(names, cap * sizeof(*names));
				if (!nn)
					goto out_oom;
				names = nn;
			}
			names[++n] = strndup(p, nl + 1);
			if (!names[n])
				goto out_oom;
		}
		o += (size_t)sprintf(out + o, "$%d", i);
		p += nl + 1;
	}
	out[o] = 0;
	ps->text = out;
	ps->s.pname = names;
	ps->s.nparam = n;
	return 0;

out_oom:
	for (int i = 1; names && i <= n; i++)
		free((char *)names[i]);
	free(names);
	free(out);
	return -ENOMEM;
}

/* Whether table has an id column (asked once per connection): 1, 0. */
static int table_has_id(struct pgconn *pc, const char *table)
{
	const char *args[1] = {table};
	PGresult *res;
	int has = 0;

	for (int i = 0; i < pc->ntables; i++)
		if (strcmp(pc->tables[i].name, table) == 0)
			return pc->tables[i].has_id;
	res = PQexecParams(pc->pg,
			   "SELECT 1 FROM pg_attribute WHERE attrelid = "
			   "to_regclass($1) AND attname = 'id' AND attnum > 0 "
			   "AND NOT attisdropped",
			   1, NULL, args, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		has = PQntuples(res) > 0;
	else
		pg_err(pc, res, "table columns");
	PQclear(res);
	if (pc->ntables < PG_TABLES) {
		snprintf(pc->tables[pc->ntables].name,
			 sizeof(pc->tables[0].name), "%s", table);
		pc->tables[pc->ntables++].has_id = has;
	}
	return has;
}

/* An INSERT into a table with an id column: RETURNING id appended. */
static int add_returning(struct pgconn *pc, struct pgstmt *ps)
{
	char table[64];
	const char *p = ps->text;
	size_t n = 0;
	char *t;

	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	if (strncasecmp(p, "INSERT INTO ", 12) != 0 ||
	    strcasestr(p, "RETURNING"))
		return 0;
	p += 12;
	while (is_name(p[n]) && n + 1 < sizeof(table))
		n++;
	memcpy(table, p, n);
	table[n] = 0;
	if (!n || !table_has_id(pc, table))
		return 0;
	t = malloc(strlen(ps->text) + sizeof(" RETURNING id"));
	if (!t)
		return -ENOMEM;
	strcpy(t, ps->text);
	strcat(t, " RETURNING id");
	free(ps->text);
	ps->text = t;
	ps->returning_id = 1;
	return 0;
}

static void pg_finalize(struct catstmt *s);

static struct catstmt *pg_prepare(struct catconn *c, const char *sql)
{
	struct pgstmt *ps = calloc(1, sizeof(*ps));
	const char *text = dialect_pg_stmt(sql);

	if (!ps)
		return NULL;
	if (rewrite_params(ps, text) < 0)
		goto out_free;
	/* several statements (a transaction's begin): the simple protocol */
	ps->script = ps->s.nparam == 0 && strchr(ps->text, ';');
	if (!ps->script && add_returning(pc_of(c), ps) < 0)
		goto out_free;
	ps->s.hit = calloc((size_t)ps->s.nparam + 1, sizeof(*ps->s.hit));
	ps->types = calloc((size_t)ps->s.nparam + 1, sizeof(*ps->types));
	ps->v = calloc((size_t)ps->s.nparam + 1, sizeof(*ps->v));
	if (!ps->s.hit || !ps->types || !ps->v)
		goto out_free;
	for (int i = 1; i <= ps->s.nparam; i++)
		ps->v[i].null = 1;
	ps->s.c = c;
	return &ps->s;

out_free:
	fprintf(stderr, "catalog: prepare \"%.60s\": out of memory\n", sql);
	pg_finalize(&ps->s);
	return NULL;
}

static void clear_result(struct pgstmt *ps)
{
	for (int i = 0; ps->dec && i < ps->ncols; i++)
		free(ps->dec[i].p);
	free(ps->dec);
	ps->dec = NULL;
	ps->ncols = 0;
	PQclear(ps->res);
	ps->res = NULL;
	ps->row = ps->nrows = ps->ran = 0;
}

static void clear_val(struct pgval *v)
{
	free(v->p);
	memset(v, 0, sizeof(*v));
	v->null = 1;
}

static void pg_finalize(struct catstmt *s)
{
	struct pgstmt *ps = ps_of(s);

	if (!ps)
		return;
	clear_result(ps);
	/* the server's statement goes with the connection: a statement is
	 * finalized when its connection closes */
	for (int i = 1; ps->v && i <= s->nparam; i++)
		clear_val(&ps->v[i]);
	for (int i = 1; s->pname && i <= s->nparam; i++)
		free((char *)s->pname[i]);
	free(s->pname);
	free(s->hit);
	free(ps->types);
	free(ps->v);
	free(ps->text);
	free(ps);
}

static void pg_reset(struct catstmt *s)
{
	struct pgstmt *ps = ps_of(s);

	clear_result(ps);
	for (int i = 1; i <= s->nparam; i++)
		clear_val(&ps->v[i]);
}

static void set_bytes(struct catstmt *s, int i, Oid type, const void *p,
		      size_t n)
{
	struct pgval *v = &ps_of(s)->v[i];

	clear_val(v);
	v->p = malloc(n + 1);
	if (!v->p)
		return; /* a NULL: the statement fails, it does not lie */
	memcpy(v->p, p, n);
	v->p[n] = 0;
	v->len = (int)n;
	v->type = type;
	v->null = 0;
}

static void pg_bind_i64(struct catstmt *s, int i, int64_t x)
{
	struct pgval *v = &ps_of(s)->v[i];
	uint64_t be = htobe64((uint64_t)x);

	clear_val(v);
	memcpy(v->num, &be, 8);
	v->len = 8;
	v->type = OID_INT8;
	v->null = 0;
}

static void pg_bind_double(struct catstmt *s, int i, double x)
{
	struct pgval *v = &ps_of(s)->v[i];
	uint64_t u;

	memcpy(&u, &x, 8);
	u = htobe64(u);
	clear_val(v);
	memcpy(v->num, &u, 8);
	v->len = 8;
	v->type = OID_FLOAT8;
	v->null = 0;
}

static void pg_bind_text(struct catstmt *s, int i, const char *x)
{
	set_bytes(s, i, 0, x, strlen(x));
}

static void pg_bind_blob(struct catstmt *s, int i, const void *p, size_t n)
{
	set_bytes(s, i, OID_BYTEA, p, n);
}

static void pg_bind_null(struct catstmt *s, int i)
{
	clear_val(&ps_of(s)->v[i]);
}

/* Whether the statement prepared takes what is bound: a value of a type
 * the server gave another type to is prepared again. */
static int types_fit(struct pgstmt *ps)
{
	if (!ps->name[0])
		return 0;
	for (int i = 1; i <= ps->s.nparam; i++)
		if (ps->v[i].type && ps->v[i].type != ps->types[i])
			return 0;
	return 1;
}

/* PQprepare ps->text as ps->name with types[1..n]; on success the types
 * the server gave (describe when any was left to it) into types. Inside
 * a transaction behind a savepoint, so that a failure leaves it usable
 * for another try. 0, -EAGAIN when a parameter's type could not be
 * told, or -errno (logged unless -EAGAIN). */
static int prepare_as(struct pgconn *pc, struct pgstmt *ps, Oid *types)
{
	int n = ps->s.nparam, txn, infer = 0, ret = 0;
	const char *state;
	PGresult *res;

	txn = PQtransactionStatus(pc->pg) == PQTRANS_INTRANS;
	if (txn && pg_exec_text(pc, "SAVEPOINT tapefs_prepare", "savepoint"))
		return -EIO;
	for (int i = 1; i <= n; i++)
		infer |= types[i] == 0;
	res = PQprepare(pc->pg, ps->name, ps->text, n, types + 1);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		char what[96];

		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(what, sizeof(what), "prepare \"%.60s\"", ps->s.sql);
		/* 42P08 or 42P18: a parameter's type could not be told */
		ret = state && (!strcmp(state, "42P08") ||
				!strcmp(state, "42P18"))
			  ? -EAGAIN
			  : pg_err(pc, res, what);
	}
	PQclear(res);
	if (ret == 0 && infer) {
		res = PQdescribePrepared(pc->pg, ps->name);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			ret = pg_err(pc, res, "describe");
		else
			for (int i = 1; i <= n; i++)
				types[i] = PQparamtype(res, i - 1);
		PQclear(res);
	}
	if (txn)
		pg_exec_text(pc,
			     ret ? "ROLLBACK TO SAVEPOINT tapefs_prepare"
				 : "RELEASE SAVEPOINT tapefs_prepare",
			     "savepoint");
	return ret;
}

/* Prepare ps on the server with the types bound (again when they
 * changed). Text and NULL are left to the server to infer from where
 * they are used (a key compared with an integer column is an integer, as
 * sqlite converts it), as the type it gave before, and as text when it
 * cannot tell ("(:x IS NULL OR col = :x)"). 0 or -errno. */
static int server_prepare(struct pgconn *pc, struct pgstmt *ps)
{
	int n = ps->s.nparam, ret;
	Oid *types = calloc((size_t)n + 1, sizeof(*types));

	if (!types)
		return -ENOMEM;
	if (ps->name[0]) {
		char sql[48];

		snprintf(sql, sizeof(sql), "DEALLOCATE %s", ps->name);
		pg_exec_text(pc, sql, "deallocate");
		ps->name[0] = 0;
	}
	for (int i = 1; i <= n; i++)
		types[i] = ps->v[i].type ? ps->v[i].type : ps->types[i];
	snprintf(ps->name, sizeof(ps->name), "s%u", ++pc->nprep);
	ret = prepare_as(pc, ps, types);
	if (ret == -EAGAIN) {
		for (int i = 1; i <= n; i++)
			if (!types[i])
				types[i] = OID_TEXT;
		ret = prepare_as(pc, ps, types);
		if (ret == -EAGAIN) {
			fprintf(stderr,
				"catalog: prepare \"%.60s\": a parameter's "
				"type is unknown\n",
				ps->s.sql);
			ret = -EIO;
		}
	}
	if (ret == 0)
		memcpy(ps->types, types, ((size_t)n + 1) * sizeof(*types));
	else
		ps->name[0] = 0;
	free(types);
	return ret;
}

/* What an INSERT, UPDATE or DELETE changed; an INSERT's id. */
static void account(struct pgconn *pc, struct pgstmt *ps, PGresult *res)
{
	const char *cmd = PQcmdStatus(res);

	if (!strncmp(cmd, "INSERT", 6) || !strncmp(cmd, "UPDATE", 6) ||
	    !strncmp(cmd, "DELETE", 6))
		pc->changes = strtoll(PQcmdTuples(res), NULL, 10);
	if (ps->returning_id && PQntuples(res) > 0)
		pc->last_id =
		    strtoll(PQgetvalue(res, PQntuples(res) - 1, 0), NULL, 10);
}

static int run_stmt(struct pgstmt *ps, const char *what)
{
	struct pgconn *pc = pc_of(ps->s.c);
	int n = ps->s.nparam, ret;
	const char **vals;
	int *lens, *fmts;
	PGresult *res;
	ExecStatusType rs;

	if (ps->script) {
		res = PQexec(pc->pg, ps->text);
	} else {
		if (!types_fit(ps) && (ret = server_prepare(pc, ps)) < 0)
			return ret;
		vals = calloc((size_t)n + 1, sizeof(*vals));
		lens = calloc((size_t)n + 1, sizeof(*lens));
		fmts = calloc((size_t)n + 1, sizeof(*fmts));
		if (!vals || !lens || !fmts) {
			free(vals);
			free(lens);
			free(fmts);
			return -ENOMEM;
		}
		for (int i = 1; i <= n; i++) {
			struct pgval *v = &ps->v[i];

			if (v->null)
				continue;
			vals[i - 1] = v->p ? v->p : v->num;
			lens[i - 1] = v->len;
			/* text goes as text, to whatever type the server
			 * gave it, but as the bytes themselves to a bytea */
			fmts[i - 1] = v->type || ps->types[i] == OID_BYTEA;
		}
		res = PQexecPrepared(pc->pg, ps->name, n, vals, lens, fmts, 0);
		free(vals);
		free(lens);
		free(fmts);
	}
	rs = PQresultStatus(res);
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		ret = pg_err(pc, res, what);
		PQclear(res);
		return ret;
	}
	account(pc, ps, res);
	ps->res = res;
	ps->ran = 1;
	ps->row = -1;
	/* an INSERT's id is this file's, not the caller's row */
	ps->nrows = ps->returning_id || ps->script ? 0 : PQntuples(res);
	ps->ncols = PQnfields(res);
	ps->dec = calloc((size_t)ps->ncols + 1, sizeof(*ps->dec));
	return ps->dec ? 0 : -ENOMEM;
}

static int pg_step(struct catstmt *s, const char *what)
{
	struct pgstmt *ps = ps_of(s);
	int ret;

	if (!ps->ran) {
		ret = run_stmt(ps, what);
		if (ret < 0)
			return ret;
	} else if (ps->row >= ps->nrows) {
		return 0;
	}
	for (int i = 0; i < ps->ncols; i++)
		if (ps->dec[i].done) {
			free(ps->dec[i].p);
			ps->dec[i].p = NULL;
			ps->dec[i].done = 0;
		}
	ps->row++;
	return ps->row < ps->nrows;
}

static int on_row(struct pgstmt *ps, int col)
{
	return ps->res && ps->row >= 0 && ps->row < ps->nrows && col >= 0 &&
	       col < ps->ncols;
}

static int64_t pg_col_i64(struct catstmt *s, int col)
{
	struct pgstmt *ps = ps_of(s);
	const char *v;

	if (!on_row(ps, col))
		return 0;
	v = PQgetvalue(ps->res, ps->row, col);
	if (PQftype(ps->res, col) == OID_BOOL)
		return *v == 't';
	return strtoll(v, NULL, 10);
}

static double pg_col_double(struct catstmt *s, int col)
{
	struct pgstmt *ps = ps_of(s);

	if (!on_row(ps, col))
		return 0;
	return strtod(PQgetvalue(ps->res, ps->row, col), NULL);
}

/* A bytea column's bytes, decoded once per row (NUL-terminated). */
static const char *decoded(struct pgstmt *ps, int col, size_t *n)
{
	const char *v = PQgetvalue(ps->res, ps->row, col);

	if (PQftype(ps->res, col) != OID_BYTEA) {
		*n = (size_t)PQgetlength(ps->res, ps->row, col);
		return v;
	}
	if (!ps->dec[col].done) {
		size_t len = 0;
		unsigned char *p =
		    PQunescapeBytea((const unsigned char *)v, &len);
		char *z = p ? malloc(len + 1) : NULL;

		if (z) {
			memcpy(z, p, len);
			z[len] = 0;
		}
		PQfreemem(p);
		ps->dec[col].p = z;
		ps->dec[col].n = z ? len : 0;
		ps->dec[col].done = 1;
	}
	*n = ps->dec[col].n;
	return ps->dec[col].p ? ps->dec[col].p : "";
}

static const void *pg_col_blob(struct catstmt *s, int col)
{
	struct pgstmt *ps = ps_of(s);
	size_t n;

	if (!on_row(ps, col) || PQgetisnull(ps->res, ps->row, col))
		return NULL;
	return decoded(ps, col, &n);
}

static size_t pg_col_bytes(struct catstmt *s, int col)
{
	struct pgstmt *ps = ps_of(s);
	size_t n = 0;

	if (!on_row(ps, col) || PQgetisnull(ps->res, ps->row, col))
		return 0;
	decoded(ps, col, &n);
	return n;
}

static const char *pg_col_str(struct catstmt *s, int col)
{
	struct pgstmt *ps = ps_of(s);
	size_t n;

	if (!on_row(ps, col) || PQgetisnull(ps->res, ps->row, col))
		return "";
	return decoded(ps, col, &n);
}

static int pg_col_null(struct catstmt *s, int col)
{
	struct pgstmt *ps = ps_of(s);

	return !on_row(ps, col) || PQgetisnull(ps->res, ps->row, col);
}

static int64_t pg_changes(struct catconn *c)
{
	return pc_of(c)->changes;
}

static int64_t pg_last_id(struct catconn *c)
{
	return pc_of(c)->last_id;
}

static int pg_in_txn(struct catconn *c)
{
	PGTransactionStatusType t = PQtransactionStatus(pc_of(c)->pg);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR ||
	       t == PQTRANS_ACTIVE;
}

const struct cat_ops cat_pg_ops = {
    .name = "postgresql",
    .begin_write = dialect_pg_begin_write,
    .begin_read = dialect_pg_begin_read,
    /* a commit is durable (synchronous_commit): nothing to set */
    .sync_full = NULL,
    .sync_normal = NULL,
    .open = pg_open,
    .close = pg_close,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_i64 = pg_bind_i64,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_i64 = pg_col_i64,
    .col_double = pg_col_double,
    .col_blob = pg_col_blob,
    .col_bytes = pg_col_bytes,
    .col_str = pg_col_str,
    .col_null = pg_col_null,
    .changes = pg_changes,
    .last_id = pg_last_id,
    .exec_sql = pg_exec_sql,
    /* the robot's lock: a session advisory lock (dialect_pg.h) */
    .robot_lock = dialect_pg_robot_lock,
    .robot_unlock = dialect_pg_robot_unlock,
    .in_txn = pg_in_txn,
    /* the server's clock: one clock for every host of the catalog */
    .clock_ms = "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 "
		"AS BIGINT)",
    /* concurrent writers: a take skips the rows another host is taking */
    .skip_locked = 1,
};
