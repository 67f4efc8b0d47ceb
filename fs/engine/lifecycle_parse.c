/* fs/engine/lifecycle_parse.c - the grammar of the lifecycle requests
 * (lifecycle_parse(), fs/engine/lifecycle.h): each word, its arguments
 * checked against the catalog and the configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/lifecycle_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/sched.h"

static int pool_count(void *ctx, const struct catalog_tape *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 1;
}

/* A pool of the configuration, or one the catalog's tapes name. */
static int pool_known(struct tapefs *fs, const char *pool)
{
	int n = 0;

	for (int i = 0; i < fs->cfg.npools; i++)
		if (!strcmp(fs->cfg.pools[i], pool))
			return 1;
	catalog_tape_list(fs->cat, pool, -1, pool_count, &n);
	return n > 0;
}

/* The first word of s into word[len]; *rest (may be NULL: then nothing
 * may follow) the text after it and its blanks. 0 or -EINVAL. */
static int parse_word(const char *s, char *word, size_t len, const char **rest)
{
	size_t n = strcspn(s, " \t");
	const char *r = s + n + strspn(s + n, " \t");

	if (n == 0 || n >= len || (!rest && *r) || (rest && !*r))
		return -EINVAL;
	memcpy(word, s, n);
	word[n] = 0;
	if (rest)
		*rest = r;
	return 0;
}

/* "WORD LABEL" (a tape the catalog knows) into q->arg. */
static int parse_label(struct tapefs *fs, const char *verb, const char *s,
		       struct lifecycle_req *q, char *why, size_t len)
{
	struct catalog_tape t;

	if (parse_word(s, q->arg, sizeof(q->arg), NULL) ||
	    catalog_tape_get(fs->cat, q->arg, &t) < 0) {
		snprintf(why, len, "%s: unknown label '%.40s'", verb, s);
		return -EINVAL;
	}
	return 0;
}

/* "WORD POOL" into q->arg; with two, "WORD POOL NEWPOOL" into arg and
 * arg2 (two different pools). */
static int parse_pools(struct tapefs *fs, const char *verb, const char *s,
		       int two, struct lifecycle_req *q, char *why, size_t len)
{
	const char *rest = NULL;

	if (parse_word(s, q->arg, sizeof(q->arg), two ? &rest : NULL) ||
	    (two && parse_word(rest, q->arg2, sizeof(q->arg2), NULL))) {
		snprintf(why, len, "%s: usage: %s", verb,
			 two ? "migrate POOL NEWPOOL" : "copy POOL");
		return -EINVAL;
	}
	if (!pool_known(fs, q->arg) || (two && !pool_known(fs, q->arg2))) {
		snprintf(why, len, "%s: unknown pool in '%.40s'", verb, s);
		return -EINVAL;
	}
	if (two && !strcmp(q->arg, q->arg2)) {
		snprintf(why, len, "%s: the pools are the same", verb);
		return -EINVAL;
	}
	return 0;
}

/* "reclaim LABEL": a tape with data and no live archive, that no dump
 * writes now. */
static int parse_reclaim(struct tapefs *fs, const char *s,
			 struct lifecycle_req *q, char *why, size_t len)
{
	struct catalog_tape_usage u = {0};
	struct catalog_tape t;
	int ret = parse_label(fs, "reclaim", s, q, why, len);

	if (ret == 0)
		ret = catalog_tape_get(fs->cat, q->arg, &t);
	if (ret == 0 && t.state == CATALOG_TAPE_SCRATCH)
		ret = -EALREADY;
	else if (ret == 0 && t.state == CATALOG_TAPE_RETIRED)
		ret = -EPERM;
	else if (ret == 0 && fs->sched &&
		 sched_tape_reserved(fs->sched, q->arg))
		ret = -EBUSY;
	if (ret == 0 && (ret = catalog_tape_usage(fs->cat, q->arg, &u)) == 0 &&
	    u.live_archives)
		ret = -EBUSY;
	if (ret == -EALREADY || ret == -EPERM || ret == -EBUSY)
		snprintf(why, len, "reclaim %s refused: %s", q->arg,
			 ret == -EALREADY ? "the tape is scratch already"
			 : ret == -EPERM  ? "the tape is retired"
			 : u.live_archives
			     ? "it holds live archives (repack it first)"
			     : "a dump is writing to it");
	return ret;
}

static const char *const words[] = {
    [LIFECYCLE_REPAIR] = "repair",   [LIFECYCLE_COPY] = "copy",
    [LIFECYCLE_REPACK] = "repack",   [LIFECYCLE_MIGRATE] = "migrate",
    [LIFECYCLE_RECLAIM] = "reclaim",
};

int lifecycle_word(const char *line)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if (!strncmp(line, words[i], n) &&
		    (line[n] == 0 || line[n] == ' '))
			return (int)i;
	}
	return -1;
}

int lifecycle_parse(struct tapefs *fs, const char *line,
		    struct lifecycle_req *out, char *why, size_t len)
{
	struct lifecycle_req q = {0};
	int k = lifecycle_word(line);
	const char *args = k < 0 ? "" : line + strlen(words[k]);
	int ret = 0;

	args += strspn(args, " ");
	q.kind = (enum lifecycle_kind)k;
	if (k < 0) {
		snprintf(why, len, "unknown request '%.40s'", line);
		return -EINVAL;
	}
	if (k == LIFECYCLE_REPAIR && line[strlen(words[k])])
		ret = parse_label(fs, "repair", args, &q, why, len);
	else if (k == LIFECYCLE_REPACK)
		ret = parse_label(fs, "repack", args, &q, why, len);
	else if (k == LIFECYCLE_RECLAIM)
		ret = parse_reclaim(fs, args, &q, why, len);
	else if (k == LIFECYCLE_COPY || k == LIFECYCLE_MIGRATE)
		ret = parse_pools(fs, words[k], args, k == LIFECYCLE_MIGRATE,
				  &q, why, len);
	if (ret == 0)
		*out = q;
	return ret;
}

void lifecycle_req_line(const struct lifecycle_req *q, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", words[q->kind], q->arg[0] ? " " : "",
		 q->arg, q->arg2[0] ? " " : "", q->arg2);
}
