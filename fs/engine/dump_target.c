/* fs/engine/dump_target.c - where a `now PATH` asks its archive to go:
 * `now to LABEL[,LABEL...] PATH` names the very tapes, one per copy (a
 * tape to be shipped to a collaborator); `now pool POOL[,POOL...] PATH`
 * the pools, one per copy, instead of the configuration's. The request is
 * checked when it is written (a tape that cannot take the archive is
 * refused at once, and says why), and the dump then goes there or
 * nowhere: a named tape is never replaced by another.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

/* The names of "A,B" (each a label or pool: letters, digits, '-', '_')
 * into t; 0 or -EINVAL. */
static int names_split(const char *s, size_t len, struct dump_target *t)
{
	size_t i = 0;

	t->n = 0;
	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != ',')
			j++;
		if (j == i || j - i >= sizeof(t->name[0]) ||
		    t->n >= SCHED_GANG_MAX)
			return -EINVAL;
		for (size_t k = i; k < j; k++)
			if (!((s[k] >= 'A' && s[k] <= 'Z') ||
			      (s[k] >= 'a' && s[k] <= 'z') ||
			      (s[k] >= '0' && s[k] <= '9') || s[k] == '-' ||
			      s[k] == '_'))
				return -EINVAL;
		memcpy(t->name[t->n], s + i, j - i);
		t->name[t->n++][j - i] = 0;
		i = j + 1;
	}
	return t->n ? 0 : -EINVAL;
}

int dump_target_parse(char **arg, struct dump_target *t, int copies, char *why,
		      size_t whylen)
{
	const char *s = *arg, *sp;
	size_t kw;

	memset(t, 0, sizeof(*t));
	if (!strncmp(s, "to ", 3))
		t->kind = DUMP_TARGET_TAPES, kw = 3;
	else if (!strncmp(s, "pool ", 5))
		t->kind = DUMP_TARGET_POOLS, kw = 5;
	else
		return 0; /* a PATH alone */
	s += kw;
	sp = strchr(s, ' ');
	if (!sp || !sp[1]) {
		snprintf(why, whylen,
			 "'now %.4s...' without a path; usage: "
			 "now to LABEL,... PATH | now pool "
			 "POOL,... PATH",
			 *arg);
		return -EINVAL;
	}
	if (names_split(s, (size_t)(sp - s), t)) {
		snprintf(why, whylen, "bad %s list '%.*s'",
			 t->kind == DUMP_TARGET_TAPES ? "tape" : "pool",
			 (int)(sp - s > 80 ? 80 : sp - s), s);
		return -EINVAL;
	}
	if (t->n != copies) {
		snprintf(why, whylen,
			 "%d %s named for %d copies: name one per "
			 "copy",
			 t->n, t->kind == DUMP_TARGET_TAPES ? "tapes" : "pools",
			 copies);
		return -EINVAL;
	}
	for (int i = 0; i < t->n; i++)
		for (int k = 0; k < i; k++)
			if (t->kind == DUMP_TARGET_TAPES &&
			    !strcmp(t->name[i], t->name[k])) {
				snprintf(why, whylen,
					 "tape %s named twice: one tape per "
					 "copy",
					 t->name[i]);
				return -EINVAL;
			}
	*arg = (char *)sp + 1;
	return 0;
}

/* Named tape bc can take need more bytes: 0, or -errno with why. */
static int tape_takes(struct dump *d, const char *bc, uint64_t need, char *why,
		      size_t whylen)
{
	struct catalog_tape t;
	int ret = catalog_tape_get(d->fs->cat, bc, &t);

	if (ret == -ENOENT) {
		snprintf(why, whylen, "tape %s is not in the catalog", bc);
		return -ENOENT;
	}
	if (ret < 0) {
		snprintf(why, whylen, "tape %s: %s", bc, strerror(-ret));
		return ret;
	}
	if (t.state != CATALOG_TAPE_SCRATCH && t.state != CATALOG_TAPE_OPEN) {
		snprintf(why, whylen, "tape %s is %s: it takes no archive", bc,
			 catalog_tape_state_name(t.state));
		return t.state == CATALOG_TAPE_FULL ? -ENOSPC : -EROFS;
	}
	if (dump_tape_room(&t) < need) {
		snprintf(why, whylen,
			 "tape %s has %llu bytes of room before early "
			 "warning; the archive takes %llu",
			 bc, (unsigned long long)dump_tape_room(&t),
			 (unsigned long long)need);
		return -ENOSPC;
	}
	return 0;
}

/* Pool p has a tape with need bytes of room: 0, or -ENOSPC with why. */
static int pool_takes(struct dump *d, const char *p, uint64_t need, char *why,
		      size_t whylen)
{
	struct catalog_tape t;
	int ret = dump_tape_pick(d, p, need, NULL, 0, &t);

	if (ret == 0)
		return 0;
	snprintf(why, whylen,
		 "no open or scratch tape of pool %s has %llu bytes of room", p,
		 (unsigned long long)need);
	return ret == -ENOSPC ? -ENOSPC : ret;
}

int dump_target_check(struct dump *d, const struct dump_target *t,
		      const char *rel, char *why, size_t whylen)
{
	uint32_t bs =
	    d->fs->cfg.block_size ? d->fs->cfg.block_size : TARW_BLOCK_SIZE;
	struct dump_snap s;
	uint64_t need;
	int ret = 0;

	if (t->kind == DUMP_TARGET_NONE)
		return 0;
	ret = dump_snap_take(d, rel, &s, NULL, NULL);
	if (ret < 0) {
		snprintf(why, whylen, "'%.200s': %s", rel, strerror(-ret));
		return ret;
	}
	need = dump_archive_estimate(&s, bs);
	if (!s.n) {
		snprintf(why, whylen, "nothing to dump in '%.200s'", rel);
		ret = -ENODATA;
	}
	for (int i = 0; !ret && i < t->n; i++)
		ret = t->kind == DUMP_TARGET_TAPES
			  ? tape_takes(d, t->name[i], need, why, whylen)
			  : pool_takes(d, t->name[i], need, why, whylen);
	dump_snap_free(&s);
	return ret;
}

void dump_target_plan(struct dump *d, const struct dump_target *t,
		      struct dump_fill_plan *p)
{
	struct catalog_tape tape;

	if (!t || t->kind == DUMP_TARGET_NONE)
		return;
	for (int i = 0; i < t->n && i < SCHED_GANG_MAX; i++) {
		if (t->kind == DUMP_TARGET_POOLS) {
			snprintf(p->pool[i], sizeof(p->pool[i]), "%s",
				 t->name[i]);
			continue;
		}
		snprintf(p->tape[i], sizeof(p->tape[i]), "%s", t->name[i]);
		if (catalog_tape_get(d->fs->cat, t->name[i], &tape) == 0)
			snprintf(p->pool[i], sizeof(p->pool[i]), "%s",
				 tape.pool);
	}
	p->pinned = t->kind == DUMP_TARGET_TAPES;
}

const char *dump_copy_pool(const struct dump *d, const struct dump_fill_plan *p,
			   int i)
{
	return p && p->pool[i][0] ? p->pool[i] : d->fs->cfg.pools[i];
}
