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

#define PG_TABLES    32	 /* tables whose id column is known, per connection */
#define CURSOR_BATCH 256 /* rows of a nested query fetched at a time */

struct pgstmt;

struct pgconn {
	PGconn *pg;
	int64_t changes, last_id;
	unsigned nprep; /* names given to prepared statements */
	/* The session: incremented by every reconnection, whose session
	 * has none of the statements prepared before (a statement prepared
	 * in another session is prepared again). */
	unsigned session;
	/* The statement whose rows are still coming (single-row mode):
	 * the connection takes no other command until they are read. */
	struct pgstmt *streaming;
	int quiet_lost; /* a begin's first try: a lost connection is not said */
	unsigned ncursors; /* names given to cursors */
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
	int query;	  /* rows come one at a time (SELECT, WITH) */
	int begins;	  /* a transaction's begin (reconnects when lost) */
	char name[24];	  /* "" until prepared */
	unsigned session; /* of the connection it was prepared in */
	Oid *types;	  /* [nparam + 1] the types the server gave */
	struct pgval *v;  /* [nparam + 1] */
	PGresult *res;	  /* the whole result, or the current row's */
	int row, nrows, ran;
	int streamed; /* more rows may come (streaming, or held) */
	/* Rows read ahead when another command needed the connection
	 * (park()): next to give at held[ihead], up to nheld. */
	PGresult **held;
	size_t ihead, nheld, capheld;
	int held_err; /* how the rest of the stream ended (-errno) */
	/* A nested query (cat_stmt_nested()) is a cursor of the
	 * transaction, its rows fetched CURSOR_BATCH at a time. */
	char cursor[24]; /* its name: "" until declared once */
	char fetch[48];	 /* FETCH n FROM cursor */
	char close[40];	 /* CLOSE cursor */
	int cursor_open; /* declared in the transaction, not closed */
	struct {
		char *p;
		size_t n;
		int done;
	} * dec; /* [ncols] bytea columns decoded, for this row */
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

/* Whether the connection to the server is lost (the server restarted or
 * stopped, the network cut): libpq knows once a command failed on it. */
static int lost(struct pgconn *pc)
{
	return PQstatus(pc->pg) == CONNECTION_BAD;
}

/* Map the error of res (NULL: of the connection) to -errno, logged with
 * what unless it is a constraint refused (-EEXIST, sqlite's
 * SQLITE_CONSTRAINT: the caller's answer, not a fault), or a lost
 * connection while a transaction's begin may still reconnect (quiet). */
static int pg_err(struct pgconn *pc, const PGresult *res, const char *what)
{
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
	    res ? PQresultErrorMessage(res) : PQerrorMessage(pc->pg);

	if (state && strncmp(state, "23", 2) == 0)
		return -EEXIST;
	if (lost(pc)) {
		if (pc->quiet_lost)
			return -EIO;
		/* a write in flight is never sent again: it may have
		 * committed before the connection went */
		fprintf(stderr,
			"catalog: %s: the connection to the PostgreSQL server "
			"is lost (%.*s): this call fails, its transaction is "
			"not retried; the next call reconnects\n",
			what,
			(int)strcspn(*msg ? msg : PQerrorMessage(pc->pg), "\n"),
			*msg ? msg : PQerrorMessage(pc->pg));
		return -EIO;
	}
	log_err(what, msg);
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

/* The most rows one statement held in memory at once in this process
 * (dialect_pg.h: a test's measure of a walk's memory). */
static uint64_t rows_held_peak;

uint64_t dialect_pg_rows_held_peak(int reset)
{
	if (reset)
		return __atomic_exchange_n(&rows_held_peak, 0,
					   __ATOMIC_RELAXED);
	return __atomic_load_n(&rows_held_peak, __ATOMIC_RELAXED);
}

static void note_held(uint64_t n)
{
	uint64_t cur = __atomic_load_n(&rows_held_peak, __ATOMIC_RELAXED);

	while (n > cur &&
	       !__atomic_compare_exchange_n(&rows_held_peak, &cur, n, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Keep row r (a single-row result) among ps's held rows: 0, -ENOMEM. */
static int hold(struct pgstmt *ps, PGresult *r)
{
	if (ps->nheld == ps->capheld) {
		size_t cap = ps->capheld ? ps->capheld * 2 : 64;
		PGresult **h = realloc(ps->held, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		ps->held = h;
		ps->capheld = cap;
	}
	ps->held[ps->nheld++] = r;
	note_held(ps->nheld - ps->ihead);
	return 0;
}

static void held_free(struct pgstmt *ps)
{
	for (size_t i = ps->ihead; i < ps->nheld; i++)
		PQclear(ps->held[i]);
	free(ps->held);
	ps->held = NULL;
	ps->ihead = ps->nheld = ps->capheld = 0;
	ps->held_err = 0;
}

/* The rows still coming for the statement that streams on pc, read into
 * its held rows, so that pc takes another command: a statement run on a
 * connection while another one's rows are stepped (a walk that looks
 * something up on its own connection). Memory then grows with the rows
 * left: the walks over millions of rows (a tape's members, a directory,
 * a backup's tables) run nothing else on their connection. */
static void park(struct pgconn *pc)
{
	struct pgstmt *ps = pc->streaming;
	PGresult *r;

	if (!ps)
		return;
	pc->streaming = NULL;
	while ((r = PQgetResult(pc->pg))) {
		ExecStatusType rs = PQresultStatus(r);

		if (rs == PGRES_SINGLE_TUPLE && !ps->held_err &&
		    hold(ps, r) == 0)
			continue;
		if (ps->held_err == 0 && rs == PGRES_SINGLE_TUPLE)
			ps->held_err = -ENOMEM;
		else if (ps->held_err == 0 && rs != PGRES_TUPLES_OK)
			ps->held_err = pg_err(pc, r, "rows read ahead");
		PQclear(r);
	}
}

/* The rest of pc's streaming result read and dropped (a walk stopped
 * early, a row got alone): the connection takes a command again. A
 * cancel would be quicker for millions of rows left, but it would end
 * the caller's transaction in an error. */
static void drain(struct pgconn *pc)
{
	PGresult *r;

	while ((r = PQgetResult(pc->pg)))
		PQclear(r);
	pc->streaming = NULL;
}

/* Run a text without parameters; its result is cleared. 0 or -errno. */
static int pg_exec_text(struct pgconn *pc, const char *sql, const char *what)
{
	PGresult *res;
	ExecStatusType rs;
	int ret = 0;

	park(pc);
	res = PQexec(pc->pg, sql);
	rs = PQresultStatus(res);

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

/* What every session of the catalog is set to: 0 or -errno (said). */
static int session_setup(struct pgconn *pc)
{
	int ret = check_encoding(pc);

	if (ret == 0)
		ret = pg_exec_text(pc, "SET client_min_messages = warning",
				   "open");
	return ret;
}

/* A new session in place of a lost one (PQreset: the same server and
 * parameters), set as at open; every statement is prepared again in it
 * (session). Only at a transaction's begin: a transaction that was in
 * progress ended with its connection, as the server saw it. 0 or -EIO
 * (said). */
static int reconnect(struct pgconn *pc)
{
	pc->streaming = NULL;
	pc->session++;
	PQreset(pc->pg);
	if (PQstatus(pc->pg) != CONNECTION_OK) {
		log_err("cannot reconnect to the PostgreSQL catalog",
			PQerrorMessage(pc->pg));
		return -EIO;
	}
	fprintf(stderr, "catalog: reconnected to the PostgreSQL server\n");
	return session_setup(pc);
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
	ret = session_setup(pc);
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
	park(pc);
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

/* Whether the statement text begins with the keyword word. */
static int starts_with(const char *text, const char *word)
{
	size_t n = strlen(word);

	while (*text == ' ' || *text == '\n' || *text == '\t')
		text++;
	return strncasecmp(text, word, n) == 0 && !is_name(text[n]);
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
	ps->begins = starts_with(ps->text, "BEGIN");
	/* a query's rows are stepped as they come, never held whole */
	ps->query = !ps->script && (starts_with(ps->text, "SELECT") ||
				    starts_with(ps->text, "WITH"));
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
	struct pgconn *pc = ps->s.c ? pc_of(ps->s.c) : NULL;

	if (pc && pc->streaming == ps)
		drain(pc);
	/* a cursor ends with its transaction; one that goes on (a
	 * writer's, a reader's call) closes it for the next declare */
	if (pc && ps->cursor_open &&
	    PQtransactionStatus(pc->pg) == PQTRANS_INTRANS)
		pg_exec_text(pc, ps->close, "close cursor");
	ps->cursor_open = 0;
	held_free(ps);
	ps->streamed = 0;
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
	if (!ps->name[0] || ps->session != pc_of(ps->s.c)->session)
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
	park(pc);
	if (ps->name[0] && ps->session == pc->session) {
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
	if (ret == 0) {
		memcpy(ps->types, types, ((size_t)n + 1) * sizeof(*types));
		ps->session = pc->session;
	} else
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

/* A nested query made the declare of a cursor of its own (docs: the
 * rows of a cursor are fetched in batches, between them the connection
 * takes other statements): 0 or -ENOMEM. */
static int make_cursor(struct pgconn *pc, struct pgstmt *ps)
{
	static const char decl[] = "DECLARE %s NO SCROLL CURSOR FOR %s";
	size_t n = strlen(ps->text) + sizeof(decl) + sizeof(ps->cursor);
	char *t = malloc(n);

	if (!t)
		return -ENOMEM;
	snprintf(ps->cursor, sizeof(ps->cursor), "tapefs_c%u", ++pc->ncursors);
	snprintf(t, n, decl, ps->cursor, ps->text);
	snprintf(ps->fetch, sizeof(ps->fetch), "FETCH %d FROM %s", CURSOR_BATCH,
		 ps->cursor);
	snprintf(ps->close, sizeof(ps->close), "CLOSE %s", ps->cursor);
	free(ps->text);
	ps->text = t;
	ps->name[0] = 0; /* prepared again, as the declare */
	return 0;
}

/* The next batch of a cursor's rows into ps->res: 1, 0 when none is
 * left, or -errno. */
static int fetch_next(struct pgstmt *ps, const char *what)
{
	struct pgconn *pc = pc_of(ps->s.c);
	PGresult *r;
	int ret;

	PQclear(ps->res);
	ps->res = NULL;
	ps->row = ps->nrows = 0;
	park(pc);
	r = PQexec(pc->pg, ps->fetch);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		ret = pg_err(pc, r, what);
		PQclear(r);
		ps->streamed = 0;
		return ret;
	}
	ps->res = r;
	ps->nrows = PQntuples(r);
	ps->streamed = ps->nrows == CURSOR_BATCH;
	note_held((uint64_t)ps->nrows);
	return ps->nrows > 0;
}

/* Send ps with what is bound: *res its first result (a query's first
 * row, when it has one; its rows then stream: pc->streaming). 0, or the
 * prepare's -errno. */
static int send_stmt(struct pgconn *pc, struct pgstmt *ps, PGresult **res)
{
	int n = ps->s.nparam, ret;
	const char **vals;
	int *lens, *fmts;

	if (ps->script) {
		*res = PQexec(pc->pg, ps->text);
		return 0;
	}
	if (ps->query && ps->s.nested && !ps->cursor[0] &&
	    (ret = make_cursor(pc, ps)) < 0)
		return ret;
	if (!types_fit(ps) && (ret = server_prepare(pc, ps)) < 0)
		return ret;
	vals = calloc((size_t)n + 1, sizeof(*vals));
	lens = calloc((size_t)n + 1, sizeof(*lens));
	fmts = calloc((size_t)n + 1, sizeof(*fmts));
	ret = vals && lens && fmts ? 0 : -ENOMEM;
	for (int i = 1; ret == 0 && i <= n; i++) {
		struct pgval *v = &ps->v[i];

		if (v->null)
			continue;
		vals[i - 1] = v->p ? v->p : v->num;
		lens[i - 1] = v->len;
		/* text goes as text, to whatever type the server gave it,
		 * but as the bytes themselves to a bytea */
		fmts[i - 1] = v->type || ps->types[i] == OID_BYTEA;
	}
	if (ret == 0 && ps->cursor[0]) {
		*res = PQexecPrepared(pc->pg, ps->name, n, vals, lens, fmts, 0);
		if (PQresultStatus(*res) == PGRES_COMMAND_OK) {
			PQclear(*res);
			ps->cursor_open = 1;
			*res = PQexec(pc->pg, ps->fetch);
		}
	} else if (ret == 0 && !ps->query) {
		*res = PQexecPrepared(pc->pg, ps->name, n, vals, lens, fmts, 0);
	} else if (ret == 0) {
		/* single-row mode: one row in memory at a time, however many
		 * the query has; one round trip as a whole result */
		if (PQsendQueryPrepared(pc->pg, ps->name, n, vals, lens, fmts,
					0)) {
			PQsetSingleRowMode(pc->pg);
			pc->streaming = ps;
		}
		*res = PQgetResult(pc->pg);
	}
	free(vals);
	free(lens);
	free(fmts);
	return ret;
}

/* Run ps: its first row (or its whole result, not a query's) in ps->res.
 * A transaction's begin on a lost connection reconnects first, and once
 * more when it finds the connection lost: nothing of a transaction was
 * sent yet. Anything else fails on a lost connection (said: a write in
 * flight may have committed). 0 or -errno. */
static int run_stmt(struct pgstmt *ps, const char *what)
{
	struct pgconn *pc = pc_of(ps->s.c);
	PGresult *res = NULL;
	ExecStatusType rs;
	int ret, tries = 0;

	park(pc);
again:
	if (ps->begins && lost(pc) && (ret = reconnect(pc)) < 0)
		return ret;
	pc->quiet_lost = ps->begins && tries == 0;
	ret = send_stmt(pc, ps, &res);
	rs = ret == 0 ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (ret == 0 && rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK &&
	    rs != PGRES_SINGLE_TUPLE)
		ret = pg_err(pc, res, what);
	pc->quiet_lost = 0;
	if (ret < 0) {
		PQclear(res);
		if (pc->streaming == ps)
			drain(pc);
		if (ps->begins && lost(pc) && tries++ == 0)
			goto again;
		return ret;
	}
	if (rs != PGRES_SINGLE_TUPLE && pc->streaming == ps)
		drain(pc); /* no row: the end of the result is read */
	account(pc, ps, res);
	ps->res = res;
	ps->ran = 1;
	ps->row = -1;
	ps->streamed = pc->streaming == ps ||
		       (ps->cursor_open && PQntuples(res) == CURSOR_BATCH);
	/* an INSERT's id is this file's, not the caller's row */
	ps->nrows = ps->returning_id || ps->script ? 0 : PQntuples(res);
	if (!ps->streamed)
		note_held((uint64_t)ps->nrows);
	ps->ncols = PQnfields(res);
	ps->dec = calloc((size_t)ps->ncols + 1, sizeof(*ps->dec));
	return ps->dec ? 0 : -ENOMEM;
}

/* The next row of a streamed result into ps->res: 1, 0 at its end, or
 * the -errno that ended it. */
static int stream_next(struct pgstmt *ps, const char *what)
{
	struct pgconn *pc = pc_of(ps->s.c);
	PGresult *r;
	ExecStatusType rs;
	int ret;

	PQclear(ps->res);
	ps->res = NULL;
	ps->row = ps->nrows = 0;
	if (ps->ihead < ps->nheld) {
		ps->res = ps->held[ps->ihead++];
	} else if (pc->streaming != ps) {
		ps->streamed = 0;
		return ps->held_err;
	} else if ((r = PQgetResult(pc->pg)) &&
		   PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
		ps->res = r;
	} else {
		rs = r ? PQresultStatus(r) : PGRES_TUPLES_OK;
		ret = rs == PGRES_TUPLES_OK ? 0 : pg_err(pc, r, what);
		PQclear(r);
		drain(pc);
		ps->streamed = 0;
		return ret;
	}
	ps->nrows = 1;
	return 1;
}

static int pg_step(struct catstmt *s, const char *what)
{
	struct pgstmt *ps = ps_of(s);
	int ret;

	if (!ps->ran) {
		ret = run_stmt(ps, what);
		if (ret < 0)
			return ret;
	}
	for (int i = 0; i < ps->ncols; i++)
		if (ps->dec[i].done) {
			free(ps->dec[i].p);
			ps->dec[i].p = NULL;
			ps->dec[i].done = 0;
		}
	if (ps->row + 1 < ps->nrows) {
		ps->row++;
		return 1;
	}
	ps->row = ps->nrows;
	if (!ps->streamed)
		return 0;
	return ps->cursor_open ? fetch_next(ps, what) : stream_next(ps, what);
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
