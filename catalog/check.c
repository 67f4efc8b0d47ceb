/* catalog/check.c - the consistency check behind `tapefs fsck`.
 *
 * Each rule is a query whose rows are problems (column 0 the key of the
 * row at fault, columns 1..3 what the message shows) and, when the fix is
 * safe (a derived counter, a row nothing can reach), a statement that
 * repairs one key. Keys are collected before any fix runs so a fix never
 * changes a table under its own scan. A check runs in one transaction: a
 * snapshot without --repair, BEGIN IMMEDIATE with it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

struct rule {
	const char *find; /* rows = problems: key, then what the message shows */
	const char *fmt;  /* printf of columns 1..4: (const char *, long long,
			     long long, long long), in that order */
	const char *fix;  /* bound :key; NULL = not safe to repair */
};

static const char SQL_COPY_NO_TAPE[] =
	"SELECT copy.id, 'copy ' || copy.id || ': tape \"' || copy.barcode || "
	"'\"', copy.fileno, 0, 0 FROM copy "
	"LEFT JOIN tape ON tape.barcode = copy.barcode "
	"WHERE tape.barcode IS NULL";
static const char SQL_COPY_NO_ARCHIVE[] =
	"SELECT copy.id, 'copy ' || copy.id || ' on \"' || copy.barcode || "
	"'\"', copy.fileno, copy.archive, 0 FROM copy "
	"LEFT JOIN archive ON archive.id = copy.archive "
	"WHERE archive.id IS NULL";
static const char FIX_COPY_DROP[] = "DELETE FROM copy WHERE id = :key";
/* A dead archive (every path deleted or newer) may have lost its copies
 * to a reclaim. */
static const char SQL_ARCHIVE_NO_COPY[] =
    "SELECT archive.id, 'archive ' || archive.id, 0, 0, 0 FROM archive "
    "WHERE NOT EXISTS (SELECT 1 FROM copy WHERE copy.archive = archive.id) "
    "AND " CAT_LIVE_ARCHIVE("archive.id");
static const char SQL_FILENO_BAD[] =
	"SELECT id, 'copy ' || id || ' on \"' || barcode || '\"', fileno, 0, 0 "
	"FROM copy WHERE fileno < 1 AND NOT (fileno = 0 AND barcode IN "
	"(SELECT barcode FROM tape WHERE state = 5))";
static const char SQL_FILENO_PAST_LAST[] =
	"SELECT tape.barcode, tape.barcode, max(copy.fileno), tape.last_file, 0 "
	"FROM tape JOIN copy ON copy.barcode = tape.barcode "
	"GROUP BY tape.barcode HAVING max(copy.fileno) > tape.last_file";
static const char FIX_LAST_FILE[] =
	"UPDATE tape SET last_file = (SELECT max(fileno) FROM copy "
	"WHERE copy.barcode = tape.barcode) WHERE barcode = :key";
static const char SQL_TAPE_BYTES[] =
    "SELECT * FROM (SELECT tape.barcode AS k, tape.barcode, "
    "tape.bytes_used AS u, coalesce((SELECT sum(size) FROM copy WHERE "
    "copy.barcode = tape.barcode), 0) AS s, 0 FROM tape) t WHERE u != s";
static const char FIX_TAPE_BYTES[] =
	"UPDATE tape SET bytes_used = coalesce((SELECT sum(size) FROM copy "
	"WHERE copy.barcode = tape.barcode), 0) WHERE barcode = :key";
static const char SQL_SCRATCH_WITH_COPIES[] =
	"SELECT barcode, barcode, 0, 0, 0 FROM tape WHERE state = 0 AND "
	"EXISTS (SELECT 1 FROM copy WHERE copy.barcode = tape.barcode)";
static const char FIX_SCRATCH_OPEN[] =
	"UPDATE tape SET state = 1 WHERE barcode = :key";
static const char SQL_NS_DANGLING[] =
	"SELECT id, 'path node ' || id, member, 0, 0 FROM node "
	"WHERE member IS NOT NULL "
	"AND NOT EXISTS (SELECT 1 FROM member WHERE member.id = node.member)";
static const char SQL_NS_WRONG_NODE[] =
	"SELECT node.id, 'path node ' || node.id, node.member, member.node, 0 "
	"FROM node JOIN member ON member.id = node.member "
	"WHERE member.node != node.id";
/* (a catalog snapshot's member is never in the namespace) */
static const char FIX_NS_RELINK[] =
	"UPDATE node SET member = (SELECT max(member.id) FROM member "
	"JOIN archive ON archive.id = member.archive "
	"WHERE member.node = node.id AND archive.kind = 0) WHERE id = :key";
static const char SQL_NODE_NO_PARENT[] =
	"SELECT n.id, 'path node ' || n.id, n.parent, 0, 0 FROM node n "
	"WHERE n.parent != 0 AND "
	"NOT EXISTS (SELECT 1 FROM node p WHERE p.id = n.parent)";
static const char SQL_MEMBER_NO_ARCHIVE[] =
	"SELECT id, 'member ' || id, archive, 0, 0 FROM member "
	"WHERE NOT EXISTS (SELECT 1 FROM archive WHERE archive.id = "
	"member.archive)";
static const char SQL_MEMBER_NO_NODE[] =
	"SELECT id, 'member ' || id, node, 0, 0 FROM member "
	"WHERE NOT EXISTS (SELECT 1 FROM node WHERE node.id = member.node)";
static const char SQL_MEMBER_OFFSETS[] =
	"SELECT b.id, 'member ' || b.id, b.archive, b.hdr, a.hdr "
	"FROM member a JOIN member b "
	"ON b.id = a.id + 1 AND b.archive = a.archive "
	"WHERE a.hdr IS NOT NULL AND b.hdr IS NOT NULL AND b.hdr <= a.hdr "
	"AND (b.flags & 1) = 0 AND (a.flags & 1) = 0";
static const char SQL_ARCHIVE_COUNT[] =
    "SELECT * FROM (SELECT id, 'archive ' || id, members, "
    "(SELECT count(*) FROM member WHERE member.archive = archive.id "
    "AND member.hdr IS NOT NULL) AS n, 0 FROM archive) a "
    "WHERE members != n";
/* Safe only while the members still form the range from first_member. */
static const char FIX_ARCHIVE_COUNT[] =
	"UPDATE archive SET members = (SELECT count(*) FROM member "
	"WHERE member.archive = archive.id AND member.hdr IS NOT NULL) "
	"WHERE id = :key AND first_member = (SELECT min(id) FROM member "
	"WHERE member.archive = archive.id AND member.hdr IS NOT NULL)";
static const char SQL_ARCHIVE_RANGE_BAD[] =
	"SELECT member.id, 'member ' || member.id, member.archive, "
	"archive.first_member, archive.members "
	"FROM member JOIN archive ON archive.id = member.archive "
	"WHERE member.hdr IS NOT NULL AND (member.id < archive.first_member "
	"OR member.id >= archive.first_member + archive.members)";
static const char SQL_RESULT_DANGLING[] =
	"SELECT run, 'verify result of run ' || run, member, copy, 0 "
	"FROM result "
	"WHERE NOT EXISTS (SELECT 1 FROM copy WHERE copy.id = result.copy) "
	"OR NOT EXISTS (SELECT 1 FROM member WHERE member.id = result.member) "
	"OR NOT EXISTS (SELECT 1 FROM run WHERE run.id = result.run)";
static const char SQL_CACHE_DANGLING[] =
	"SELECT member, 'cache entry \"' || file || '\"', member, 0, 0 "
	"FROM cache WHERE NOT EXISTS "
	"(SELECT 1 FROM member WHERE member.id = cache.member)";
static const char FIX_CACHE_DROP[] = "DELETE FROM cache WHERE member = :key";
static const char SQL_DUMP_COMMITTED_LOST[] =
	"SELECT id, 'dump ' || id, archive, 0, 0 FROM dump WHERE state = 2 "
	"AND NOT EXISTS (SELECT 1 FROM archive WHERE archive.id = "
	"dump.archive)";

static const struct rule rules[] = {
	{ SQL_COPY_NO_TAPE, "%s (file %lld) is not in the catalog", NULL },
	{ SQL_COPY_NO_ARCHIVE, "%s file %lld: archive %lld is missing",
	  FIX_COPY_DROP },
	{ SQL_ARCHIVE_NO_COPY, "%s has no copy on any tape", NULL },
	{ SQL_FILENO_BAD, "%s: bad file number %lld", NULL },
	{ SQL_FILENO_PAST_LAST,
	  "tape \"%s\": file %lld is past its last file %lld", FIX_LAST_FILE },
	{ SQL_TAPE_BYTES, "tape \"%s\": bytes used %lld, its copies hold %lld",
	  FIX_TAPE_BYTES },
	{ SQL_SCRATCH_WITH_COPIES, "tape \"%s\" is scratch but holds archives",
	  FIX_SCRATCH_OPEN },
	{ SQL_NS_DANGLING, "%s: its member %lld is missing", FIX_NS_RELINK },
	{ SQL_NS_WRONG_NODE, "%s: its member %lld belongs to node %lld",
	  FIX_NS_RELINK },
	{ SQL_NODE_NO_PARENT, "%s: parent node %lld is missing", NULL },
	{ SQL_MEMBER_NO_ARCHIVE, "%s: archive %lld is missing", NULL },
	{ SQL_MEMBER_NO_NODE, "%s: path node %lld is missing", NULL },
	{ SQL_MEMBER_OFFSETS,
	  "%s of archive %lld: header offset %lld is not after %lld", NULL },
	{ SQL_ARCHIVE_COUNT, "%s: member count %lld, holds %lld",
	  FIX_ARCHIVE_COUNT },
	{ SQL_ARCHIVE_RANGE_BAD,
	  "%s of archive %lld: outside its range (%lld + %lld)", NULL },
	{ SQL_RESULT_DANGLING, "%s: member %lld, copy %lld or the run is "
			       "missing",
	  NULL },
	{ SQL_CACHE_DANGLING, "%s: member %lld is missing", FIX_CACHE_DROP },
	{ SQL_DUMP_COMMITTED_LOST, "%s is committed but archive %lld is missing",
	  NULL },
};

struct checker {
	struct catconn *c;
	int repair;
	catalog_report_fn report;
	void *ctx;
	int problems;
};

static void say(struct checker *ck, int repaired, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct checker *ck, int repaired, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck->problems++;
	if (ck->report)
		ck->report(ck->ctx, repaired, msg);
}

/* Run fix with :key bound to key (a key column's text: an integer
 * compared with an integer column is converted back by the database). */
static int fix_one(struct checker *ck, const char *fix, const char *key)
{
	struct catstmt *st = cat_stmt(ck->c, fix);

	if (!st)
		return -EIO;
	cat_bind_text(st, ":key", key);
	return cat_exec(ck->c, st, "repair");
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int rule_run(struct checker *ck, const struct rule *r)
{
	struct catstmt *st = cat_stmt(ck->c, r->find);
	char **keys = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = 0;

	if (!st)
		return -EIO;
	while ((rc = cat_step(st, "check")) == 1) {
		char msg[512];
		int fixable = ck->repair && r->fix;

		snprintf(msg, sizeof(msg), r->fmt, cat_col_str(st, 1),
			 (long long)cat_col_i64(st, 2),
			 (long long)cat_col_i64(st, 3),
			 (long long)cat_col_i64(st, 4));
		if (fixable && n == cap) {
			char **nk;

			cap = cap ? cap * 2 : 16;
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk) {
				ret = -ENOMEM;
				break;
			}
			keys = nk;
		}
		if (fixable) {
			keys[n] = strdup(cat_col_str(st, 0));
			if (!keys[n]) {
				ret = -ENOMEM;
				break;
			}
			n++;
		}
		say(ck, fixable, "%s%s", msg, fixable ? " (repaired)" : "");
	}
	if (ret == 0 && rc < 0)
		ret = rc;
	cat_done(st);
	for (size_t i = 0; i < n; i++) {
		if (ret == 0)
			ret = fix_one(ck, r->fix, keys[i]);
		free(keys[i]);
	}
	free(keys);
	return ret;
}
#pragma GCC diagnostic pop

static const char SQL_QUICK_CHECK[] = "PRAGMA quick_check";

static int integrity(struct checker *ck)
{
	struct catstmt *st = cat_stmt(ck->c, SQL_QUICK_CHECK);
	int rc, ret = 0;

	if (!st)
		return -EIO;
	while ((rc = cat_step(st, "quick_check")) == 1) {
		const char *s = cat_col_str(st, 0);

		if (s && strcmp(s, "ok") != 0)
			say(ck, 0, "database: %s", s);
	}
	if (rc != 0)
		ret = rc;
	cat_done(st);
	return ret;
}

static const char SQL_LABEL_TAPE[] =
	"SELECT label_uuid, state FROM tape WHERE barcode = :barcode";
static const char FIX_LABEL_UUID[] =
	"UPDATE tape SET label_uuid = :uuid WHERE barcode = :barcode";

static int cat_label_one(struct checker *ck, const struct catalog_label *l)
{
	struct catstmt *st = cat_stmt(ck->c, SQL_LABEL_TAPE);
	const char *uuid = l->uuid ? l->uuid : "";
	char known[40];
	int rc, adopted = 0;

	if (!st || !l->barcode)
		return st ? -EINVAL : -EIO;
	cat_bind_text(st, ":barcode", l->barcode);
	rc = cat_step(st, "label");
	if (rc == 1) {
		cat_col_text(st, 0, known, sizeof(known));
		adopted = cat_col_int(st, 1) == CATALOG_TAPE_ADOPTED;
	}
	cat_done(st);
	if (rc == 0) {
		say(ck, 0, "tape \"%s\" in the library is not in the catalog",
		    l->barcode);
		return 0;
	}
	if (rc != 1)
		return rc;
	if (adopted) {
		/* a foreign tape: it has no tapefs label */
		if (*uuid)
			say(ck, 0, "tape \"%s\" is adopted but has a tapefs "
				   "label",
			    l->barcode);
	} else if (!*uuid) {
		say(ck, 0, "tape \"%s\" has no tapefs label", l->barcode);
	} else if (l->label_barcode &&
		   strcmp(l->label_barcode, l->barcode) != 0) {
		say(ck, 0, "tape \"%s\" holds the label of \"%s\"", l->barcode,
		    l->label_barcode);
	} else if (!known[0]) {
		say(ck, ck->repair, "tape \"%s\": label uuid %s not in the "
				    "catalog%s",
		    l->barcode, uuid, ck->repair ? " (recorded)" : "");
		if (ck->repair) {
			st = cat_stmt(ck->c, FIX_LABEL_UUID);
			if (!st)
				return -EIO;
			cat_bind_text(st, ":uuid", uuid);
			cat_bind_text(st, ":barcode", l->barcode);
			return cat_exec(ck->c, st, "label repair");
		}
	} else if (strcmp(known, uuid) != 0) {
		say(ck, 0, "tape \"%s\": label uuid %s, the catalog has %s",
		    l->barcode, uuid, known);
	}
	return 0;
}

static int check_all(struct checker *ck, const struct catalog_label *labels,
		     size_t nlabels)
{
	int ret = integrity(ck);

	for (size_t i = 0; ret == 0 && i < sizeof(rules) / sizeof(rules[0]);
	     i++)
		ret = rule_run(ck, &rules[i]);
	for (size_t i = 0; ret == 0 && labels && i < nlabels; i++)
		ret = cat_label_one(ck, &labels[i]);
	return ret;
}

int catalog_check(struct catalog *cat, int repair,
		  const struct catalog_label *labels, size_t nlabels,
		  catalog_report_fn report, void *ctx)
{
	struct checker ck = { .repair = repair, .report = report, .ctx = ctx };
	int ret;

	if (repair) {
		ret = cat_txn_begin(cat, &ck.c, 1);
		if (ret < 0)
			return ret;
		ret = check_all(&ck, labels, nlabels);
		ret = cat_txn_end(cat, ck.c, 1, ret);
	} else {
		ck.c = cat_conn_get(cat);
		if (!ck.c)
			return -EIO;
		ret = check_all(&ck, labels, nlabels); /* one snapshot */
		cat_conn_put(cat, ck.c);
	}
	return ret < 0 ? ret : ck.problems;
}
