/* fs/engine/lifecycle_check.c - the catalog's files of one archive against
 * the members a tape-to-tape copy streams past (fs/engine/lifecycle_int.h).
 *
 * Files are matched by the byte offset of their header within the archive
 * (the catalog records it for every member; a copy keeps every offset), so
 * the catalog is read a page at a time in tape order, never whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/lifecycle_int.h"

struct lfile {
	uint64_t header_offset;
	char md5[33];
	char *path;
};

struct lcheck {
	struct catalog *cat;
	int64_t archive;
	struct lfile f[LIFECYCLE_PAGE];
	size_t n, i;
	int64_t next_ordinal;
	int eof;
	char why[512];
};

static void page_clear(struct lcheck *c)
{
	for (size_t k = 0; k < c->n; k++)
		free(c->f[k].path);
	c->n = c->i = 0;
}

int lcheck_new(struct lcheck **out, struct catalog *cat, int64_t archive)
{
	struct lcheck *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cat = cat;
	c->archive = archive;
	*out = c;
	return 0;
}

void lcheck_free(struct lcheck *c)
{
	if (!c)
		return;
	page_clear(c);
	free(c);
}

static int page_add(void *ctx, const struct catalog_member *m)
{
	struct lcheck *c = ctx;
	struct lfile *f;

	c->next_ordinal = m->ordinal + 1;
	if (m->type != CATALOG_FILE)
		return c->n == LIFECYCLE_PAGE ? 1 : 0;
	f = &c->f[c->n];
	f->path = strdup(m->path ? m->path : "");
	if (!f->path)
		return -ENOMEM;
	c->n++;
	f->header_offset = m->header_offset;
	snprintf(f->md5, sizeof(f->md5), "%s", m->md5);
	return c->n == LIFECYCLE_PAGE ? 1 : 0;
}

/* The catalog file not matched yet, fetching a page when needed; NULL at
 * the end or on error (*err). */
static struct lfile *cur(struct lcheck *c, int *err)
{
	int ret;

	while (c->i == c->n) {
		if (c->eof)
			return NULL;
		page_clear(c);
		ret = catalog_archive_members(c->cat, c->archive,
					      c->next_ordinal, page_add, c);
		if (ret < 0) {
			*err = ret;
			c->eof = 1;
			return NULL;
		}
		if (ret == 0)
			c->eof = 1;
	}
	return &c->f[c->i];
}

static int bad(struct lcheck *c, const char *what, const char *path)
{
	snprintf(c->why, sizeof(c->why), "%s: %.400s", what, path);
	return -EBADMSG;
}

int lcheck_member(void *arg, const struct tar_member *m)
{
	struct lcheck *c = arg;
	struct lfile *f;
	int err = 0;

	if (m->type != TAR_FILE)
		return 0;
	f = cur(c, &err);
	if (f && f->header_offset < m->header_offset)
		return bad(c, "member missing from the tape", f->path);
	if (!f || f->header_offset != m->header_offset)
		return err; /* not a file the catalog lists */
	if (!m->name || strcmp(m->name, f->path))
		return bad(c, "another member where the catalog has", f->path);
	if (strcmp(m->md5, f->md5))
		return bad(c, "MD5 differs from the catalog's", f->path);
	c->i++;
	return 0;
}

int lcheck_end(struct lcheck *c)
{
	struct lfile *f;
	int err = 0;

	f = cur(c, &err);
	if (f)
		return bad(c, "member missing from the tape", f->path);
	return err;
}

const char *lcheck_why(const struct lcheck *c)
{
	return c->why;
}
