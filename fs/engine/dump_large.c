/* fs/engine/dump_large.c - staged files larger than any tape (dump.h,
 * "too_large").
 *
 * A regular file whose archive alone would take more than the largest
 * tape of a copy's pool (dump_file_limit()) can never be dumped: the walk
 * of staging/ leaves it out (it blocks nothing: it is neither eligible nor
 * in any dump, so no tape is tried for it and dumps never fail for it),
 * and it is noted here by device and inode, with its name, its size and
 * what the largest tape takes, for `.dump`, `.status` and
 * user.tapefs.state ("too_large"). Said once in an error line. A full
 * scan that does not find it too large any more (removed, truncated, or a
 * larger tape came) forgets it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"

static struct dump_large *large_find(struct dump *d, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < d->nlarge; i++)
		if (d->large[i].dev == dev && d->large[i].ino == ino)
			return &d->large[i];
	return NULL;
}

/* A new slot in d->large (d->mu held). NULL when out of memory. */
static struct dump_large *large_new(struct dump *d)
{
	if (d->nlarge == d->caplarge) {
		size_t cap = d->caplarge ? d->caplarge * 2 : 8;
		struct dump_large *n = realloc(d->large, cap * sizeof(*n));

		if (!n)
			return NULL;
		d->large = n;
		d->caplarge = cap;
	}
	memset(&d->large[d->nlarge], 0, sizeof(d->large[0]));
	return &d->large[d->nlarge++];
}

int dump_large_note(struct dump *d, const struct stat *st, const char *rel,
		    uint64_t limit, uint64_t gen)
{
	struct dump_large *l;
	char *name = strdup(rel);
	int fresh = 0;

	if (!name)
		return -ENOMEM;
	pthread_mutex_lock(&d->mu);
	l = large_find(d, st->st_dev, st->st_ino);
	if (!l) {
		l = large_new(d);
		fresh = 1;
	}
	if (!l) {
		pthread_mutex_unlock(&d->mu);
		free(name);
		return -ENOMEM;
	}
	fresh |= l->size != (uint64_t)st->st_size;
	free(l->rel);
	l->rel = name;
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->size = (uint64_t)st->st_size;
	l->limit = limit;
	if (gen)
		l->seen = gen;
	pthread_mutex_unlock(&d->mu);
	if (fresh)
		tapefs_error(d->fs,
			     "dump: '%s' (%llu bytes) is larger than any tape "
			     "takes (%llu bytes): it stays staged (too_large)",
			     rel, (unsigned long long)st->st_size,
			     (unsigned long long)limit);
	return 0;
}

int dump_large_is(struct dump *d, const struct stat *st)
{
	struct dump_large *l;
	int r;

	if (!d || !S_ISREG(st->st_mode))
		return 0;
	pthread_mutex_lock(&d->mu);
	l = large_find(d, st->st_dev, st->st_ino);
	r = l && l->size == (uint64_t)st->st_size;
	pthread_mutex_unlock(&d->mu);
	return r;
}

void dump_large_prune(struct dump *d, uint64_t gen)
{
	if (!gen)
		return;
	pthread_mutex_lock(&d->mu);
	for (size_t i = 0; i < d->nlarge;) {
		if (d->large[i].seen != gen) {
			free(d->large[i].rel);
			d->large[i] = d->large[--d->nlarge];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&d->mu);
}

/* "name (N bytes)" with control bytes as '?', appended to buf. */
static void large_name(char *buf, size_t len, const struct dump_large *l)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s (%llu bytes)", n ? ", " : "", l->rel,
		 (unsigned long long)l->size);
	for (char *p = buf + n; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void dump_large_stats(struct dump *d, struct dump_stats *out)
{
	out->too_large = d->nlarge;
	out->too_large_names[0] = 0;
	out->too_large_limit = 0;
	for (size_t i = 0; i < d->nlarge; i++) {
		if (i < DUMP_FAILED_SHOWN)
			large_name(out->too_large_names,
				   sizeof(out->too_large_names), &d->large[i]);
		if (!out->too_large_limit ||
		    d->large[i].limit < out->too_large_limit)
			out->too_large_limit = d->large[i].limit;
	}
}

void dump_large_free(struct dump *d)
{
	for (size_t i = 0; i < d->nlarge; i++)
		free(d->large[i].rel);
	free(d->large);
	d->large = NULL;
	d->nlarge = d->caplarge = 0;
}
