/* catalog/tapes.c - tapes: state, location, label, and which to write next.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "catalog/internal.h"

#define TAPE_COLS                                                              \
	"barcode, serial, pool, state, capacity, bytes_used, location, "      \
	"label_uuid, last_file, last_verified"

static const char SQL_TAPE_ADD[] =
	"INSERT INTO tape(" TAPE_COLS ") VALUES(:barcode, :serial, :pool, "
	":state, :capacity, :bytes_used, :location, :label_uuid, :last_file, "
	":last_verified)";
static const char SQL_TAPE_UPDATE[] =
	"UPDATE tape SET serial = :serial, pool = :pool, state = :state, "
	"capacity = :capacity, bytes_used = :bytes_used, location = :location, "
	"label_uuid = :label_uuid, last_file = :last_file, "
	"last_verified = :last_verified WHERE barcode = :barcode";
static const char SQL_TAPE_GET[] =
	"SELECT " TAPE_COLS " FROM tape WHERE barcode = :barcode";
static const char SQL_TAPE_LIST[] =
	"SELECT " TAPE_COLS " FROM tape WHERE (:pool IS NULL OR pool = :pool) "
	"AND (:state < 0 OR state = :state) ORDER BY barcode";
static const char SQL_TAPE_COUNT[] =
	"SELECT count(*) FROM tape WHERE (:pool IS NULL OR pool = :pool) "
	"AND (:state < 0 OR state = :state)";
static const char SQL_TAPE_SET_STATE[] =
	"UPDATE tape SET state = :state WHERE barcode = :barcode";
static const char SQL_TAPE_STATE[] =
	"SELECT state FROM tape WHERE barcode = :barcode";
static const char SQL_TAPE_SET_LOCATION[] =
	"UPDATE tape SET location = :location WHERE barcode = :barcode";
static const char SQL_TAPE_SET_SERIAL[] =
	"UPDATE tape SET serial = :serial WHERE barcode = :barcode";
static const char SQL_TAPE_SET_CAPACITY[] =
	"UPDATE tape SET capacity = :capacity WHERE barcode = :barcode";
static const char SQL_TAPE_SET_LABEL[] =
	"UPDATE tape SET label_uuid = :label_uuid WHERE barcode = :barcode";
/* Open tapes with room, fullest first; then scratch, lowest barcode. */
static const char SQL_TAPE_CANDIDATES[] =
	"SELECT " TAPE_COLS " FROM tape WHERE pool = :pool AND ("
	" (state = 1 AND (capacity = 0 OR capacity - bytes_used >= :need))"
	" OR state = 0) "
	"ORDER BY state DESC, bytes_used DESC, barcode";

static const char *const tape_states[] = { "scratch", "open", "full",
					   "closed", "retired", "adopted" };

const char *catalog_tape_state_name(enum catalog_tape_state s)
{
	if ((unsigned)s >= sizeof(tape_states) / sizeof(tape_states[0]))
		return "?";
	return tape_states[s];
}

int catalog_tape_state_parse(const char *name, enum catalog_tape_state *out)
{
	for (size_t i = 0; i < sizeof(tape_states) / sizeof(tape_states[0]);
	     i++) {
		if (name && strcmp(name, tape_states[i]) == 0) {
			*out = (enum catalog_tape_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void cat_tape_row(struct catstmt *st, void *out)
{
	struct catalog_tape *t = out;

	memset(t, 0, sizeof(*t));
	cat_col_text(st, 0, t->barcode, sizeof(t->barcode));
	cat_col_text(st, 1, t->serial, sizeof(t->serial));
	cat_col_text(st, 2, t->pool, sizeof(t->pool));
	t->state = (enum catalog_tape_state)cat_col_int(st, 3);
	t->capacity = (uint64_t)cat_col_i64(st, 4);
	t->bytes_used = (uint64_t)cat_col_i64(st, 5);
	cat_col_text(st, 6, t->location, sizeof(t->location));
	cat_col_text(st, 7, t->label_uuid, sizeof(t->label_uuid));
	t->last_file = cat_col_i64(st, 8);
	t->last_verified = cat_col_i64(st, 9);
}

static int cat_tape_visit(struct catstmt *st, void *arg)
{
	const struct cat_walk *w = arg;
	struct catalog_tape row;

	cat_tape_row(st, &row);
	return w->fn.tape(w->ctx, &row);
}

static int cat_tape_valid(const struct catalog_tape *t)
{
	size_t n = strnlen(t->barcode, sizeof(t->barcode));

	if (n == 0 || n >= sizeof(t->barcode) || !t->pool[0] ||
	    strnlen(t->pool, sizeof(t->pool)) >= sizeof(t->pool) ||
	    (unsigned)t->state > CATALOG_TAPE_ADOPTED)
		return -EINVAL;
	return 0;
}

static void cat_tape_bind(struct catstmt *st, const struct catalog_tape *t)
{
	cat_bind_text(st, ":barcode", t->barcode);
	cat_bind_text(st, ":serial", t->serial);
	cat_bind_text(st, ":pool", t->pool);
	cat_bind_i64(st, ":state", t->state);
	cat_bind_i64(st, ":capacity", (int64_t)t->capacity);
	cat_bind_i64(st, ":bytes_used", (int64_t)t->bytes_used);
	cat_bind_text(st, ":location", t->location);
	cat_bind_text(st, ":label_uuid", t->label_uuid);
	cat_bind_i64(st, ":last_file", t->last_file);
	cat_bind_i64(st, ":last_verified", t->last_verified);
}

/* One durable write of a tape row through sql; -ENOENT when no row
 * changed. */
static int cat_tape_write(struct catalog *cat, const char *sql,
			  const struct catalog_tape *t, const char *barcode,
			  const char *col, const char *text, int64_t num)
{
	struct catconn *c;
	struct catstmt *st;
	int ret;

	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	st = cat_stmt(c, sql);
	if (!st) {
		ret = -EIO;
		goto out;
	}
	if (t) {
		cat_tape_bind(st, t);
	} else {
		cat_bind_text(st, ":barcode", barcode);
		if (text)
			cat_bind_text(st, col, text);
		else
			cat_bind_i64(st, col, num);
	}
	ret = cat_exec(c, st, "tape write");
	if (ret == 0 && cat_changes(c) == 0)
		ret = -ENOENT;
out:
	return cat_txn_end(cat, c, 1, ret);
}

int catalog_barcode_valid(const char *s)
{
	size_t n = 0;

	for (; s && s[n]; n++)
		if (!(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= '0' && s[n] <= '9'))
			return 0;
	return n >= 1 && n <= CATALOG_BARCODE_LEN;
}

int catalog_tape_add(struct catalog *cat, const struct catalog_tape *t)
{
	if (cat_tape_valid(t) < 0 || !catalog_barcode_valid(t->barcode))
		return -EINVAL;
	return cat_tape_write(cat, SQL_TAPE_ADD, t, NULL, NULL, NULL, 0);
}

static void state_row(struct catstmt *st, void *out)
{
	*(int64_t *)out = cat_col_i64(st, 0);
}

/* An adopted tape keeps its state, and no tape becomes adopted but by
 * catalog_tape_add(): 0, -EPERM, -ENOENT, -errno. (A writer racing
 * between this read and the write could only be another tape_update of
 * the same rule: adoption adds a tape, it never turns one.) */
static int state_change_ok(struct catalog *cat, const char *barcode,
			   enum catalog_tape_state to)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int64_t from = 0;
	int ret = -EIO;

	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_TAPE_STATE);
	if (st) {
		cat_bind_text(st, ":barcode", barcode);
		ret = cat_row_get(c, st, state_row, &from, "tape state");
	}
	cat_conn_put(cat, c);
	if (ret < 0)
		return ret;
	if ((from == CATALOG_TAPE_ADOPTED) != (to == CATALOG_TAPE_ADOPTED))
		return -EPERM;
	return 0;
}

int catalog_tape_update(struct catalog *cat, const struct catalog_tape *t)
{
	int ret;

	if (cat_tape_valid(t) < 0)
		return -EINVAL;
	ret = state_change_ok(cat, t->barcode, t->state);
	if (ret < 0)
		return ret;
	return cat_tape_write(cat, SQL_TAPE_UPDATE, t, NULL, NULL, NULL, 0);
}

int catalog_tape_set_state(struct catalog *cat, const char *barcode,
			   enum catalog_tape_state state)
{
	int ret;

	if (!barcode || (unsigned)state > CATALOG_TAPE_ADOPTED)
		return -EINVAL;
	ret = state_change_ok(cat, barcode, state);
	if (ret < 0)
		return ret;
	return cat_tape_write(cat, SQL_TAPE_SET_STATE, NULL, barcode, ":state",
			      NULL, state);
}

int catalog_tape_set_serial(struct catalog *cat, const char *barcode,
			    const char *serial)
{
	struct catalog_tape t;

	if (!barcode || !serial || strlen(serial) >= sizeof(t.serial))
		return -EINVAL;
	return cat_tape_write(cat, SQL_TAPE_SET_SERIAL, NULL, barcode,
			      ":serial", serial, 0);
}

int catalog_tape_set_location(struct catalog *cat, const char *barcode,
			      const char *location)
{
	if (!barcode || !location)
		return -EINVAL;
	return cat_tape_write(cat, SQL_TAPE_SET_LOCATION, NULL, barcode,
			      ":location", location, 0);
}

int catalog_tape_set_capacity(struct catalog *cat, const char *barcode,
			      uint64_t capacity)
{
	if (!barcode || capacity > INT64_MAX)
		return -EINVAL;
	return cat_tape_write(cat, SQL_TAPE_SET_CAPACITY, NULL, barcode,
			      ":capacity", NULL, (int64_t)capacity);
}

int catalog_tape_set_label(struct catalog *cat, const char *barcode,
			   const char *label_uuid)
{
	if (!barcode || !label_uuid || strlen(label_uuid) >= 40)
		return -EINVAL;
	return cat_tape_write(cat, SQL_TAPE_SET_LABEL, NULL, barcode,
			      ":label_uuid", label_uuid, 0);
}

int catalog_tape_get(struct catalog *cat, const char *barcode,
		     struct catalog_tape *out)
{
	return cat_read_tape(cat, SQL_TAPE_GET, barcode, -1, cat_tape_row, out,
			     "tape get");
}

int catalog_tape_list(struct catalog *cat, const char *pool, int state,
		      catalog_tape_fn fn, void *ctx)
{
	struct catconn *c = cat_conn_get(cat);
	struct cat_walk w = { .fn.tape = fn, .ctx = ctx };
	struct catstmt *st;
	int ret = -EIO;

	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_TAPE_LIST);
	if (!st)
		goto out;
	cat_bind_text(st, ":pool", pool);
	cat_bind_i64(st, ":state", state);
	ret = cat_row_each(c, st, cat_tape_visit, &w, "tape list");
out:
	cat_conn_put(cat, c);
	return ret;
}

int64_t catalog_tape_count(struct catalog *cat, const char *pool, int state)
{
	struct catconn *c = cat_conn_get(cat);
	struct catstmt *st;
	int64_t ret = -EIO;
	int rc;

	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_TAPE_COUNT);
	if (!st)
		goto out;
	cat_bind_text(st, ":pool", pool);
	cat_bind_i64(st, ":state", state);
	rc = cat_step(st, "tape count");
	ret = rc == 1 ? cat_col_i64(st, 0) : rc;
	cat_done(st);
out:
	cat_conn_put(cat, c);
	return ret;
}

static int excluded(const char *barcode, const char *const *exclude,
		    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (exclude[i] && strcmp(exclude[i], barcode) == 0)
			return 1;
	return 0;
}

int catalog_tape_choose(struct catalog *cat, const char *pool, uint64_t need,
			const char *const *exclude, size_t nexclude,
			struct catalog_tape *out)
{
	struct catconn *c;
	struct catalog_tape t;
	struct catstmt *st;
	int rc, ret = -ENOSPC;

	if (!pool)
		return -EINVAL;
	c = cat_conn_get(cat);
	if (!c)
		return -EIO;
	st = cat_stmt(c, SQL_TAPE_CANDIDATES);
	if (!st) {
		ret = -EIO;
		goto out;
	}
	cat_bind_text(st, ":pool", pool);
	cat_bind_i64(st, ":need", (int64_t)need);
	while ((rc = cat_step(st, "tape choose")) == 1) {
		cat_tape_row(st, &t);
		if (excluded(t.barcode, exclude, nexclude))
			continue;
		*out = t;
		ret = 0;
		break;
	}
	if (rc != 1 && rc != 0)
		ret = rc;
	cat_done(st);
out:
	cat_conn_put(cat, c);
	return ret;
}
