/* fs/engine/adopt_file.c - one tape file of an adopted tape: its members
 * as they are read (names neutralised below the prefix, the inner
 * archives of papertape walked and checked against its catalog), then
 * committed as one archive at the tape's own file number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/engine/adopt_int.h"
#include "fs/engine/member_in.h"

void adopt_file_clear(struct adopt_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		catalog_member_release(&f->m[i]);
	f->n = 0;
}

/* Members from index n on dropped. */
static void file_cut(struct adopt_file *f, size_t n)
{
	while (f->n > n)
		catalog_member_release(&f->m[--f->n]);
}

/* A member m at path (taken over: freed on failure too) appended. */
static int file_add(struct adopt_file *f, const struct tar_member *m,
		    char *path)
{
	struct catalog_member *cm;
	struct catalog_xattr *xs = NULL;
	uint64_t last = UINT64_MAX;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 256;

		cm = realloc(f->m, cap * sizeof(*cm));
		if (!cm) {
			free(path);
			return -ENOMEM;
		}
		f->m = cm;
		f->cap = cap;
	}
	cm = &f->m[f->n];
	/* the record outlives m: its strings are copied, its extended
	 * attributes left out (a foreign tape's are not recorded) */
	if (member_in_fill(cm, m,
			   m->type == TAR_DIR	    ? S_IFDIR
			   : m->type == TAR_SYMLINK ? S_IFLNK
						    : S_IFREG,
			   &xs, 0, &last)) {
		free(path);
		return -ENOMEM;
	}
	free(xs);
	cm->xattrs = NULL;
	cm->nxattrs = 0;
	cm->path = path;
	cm->link = NULL;
	if (m->link && !(cm->link = strdup(m->link))) {
		free(path);
		return -ENOMEM;
	}
	f->n++;
	return 0;
}

/* The path of member name below the prefix into *out (malloc'd): 0, or
 * -EINVAL (it names the archive's root: "./", "/"), -ENAMETOOLONG. */
static int member_path(struct adopt *a, const char *name, char **out)
{
	char *clean = NULL;
	int ret = tarr_name_neutral(name, &clean);

	if (ret)
		return ret;
	if (name[0] == '/' || strcmp(clean, name) != 0) {
		/* absolute or ".." (not "./x" nor "x/"): said so */
		if (name[0] == '/' || strstr(clean, "%2E%2E"))
			a->rep->renamed++;
	}
	if (strlen(a->prefix) + 1 + strlen(clean) >= PATH_MAX)
		ret = -ENAMETOOLONG;
	else if (asprintf(out, "%s/%s", a->prefix, clean) < 0)
		ret = -ENOMEM;
	free(clean);
	return ret;
}

/* An inner member checked against papertape's catalog: its name is
 * paper.<pid>.<idx>/HOST:/PATH. */
static void paper_check(struct adopt *a, const struct tar_member *m)
{
	const char *spec = strchr(m->name, '/');
	const struct papertape_item *it;

	if (!spec)
		return;
	it = papertape_find(&a->cat, a->f.fileno, spec + 1);
	if (!it)
		return;
	a->seen[it - a->cat.v] = 1;
	if (m->type != TAR_FILE)
		return;
	if (!strcmp(it->md5, m->md5)) {
		a->rep->paper_ok++;
		return;
	}
	a->rep->paper_bad++;
	adopt_fail(a,
		   "file %lld: %.200s: MD5 %s on tape, papertape's catalog "
		   "says %s (item %lld)",
		   (long long)a->f.fileno, m->name, m->md5, it->md5,
		   (long long)it->item);
}

/* tarr_data_nested()'s callback: one member of an inner archive. */
static int inner_take(void *arg, const struct tar_member *m)
{
	struct adopt *a = arg;
	char *path = NULL;
	int ret = member_path(a, m->name, &path);

	if (ret == -EINVAL)
		return 0; /* its root */
	if (ret == -ENAMETOOLONG) {
		a->rep->skipped++;
		return 0;
	}
	if (!ret)
		ret = file_add(&a->f, m, path);
	if (!ret)
		paper_check(a, m);
	return ret;
}

/* A member of papertape's that holds an inner archive:
 * paper.<pid>.<idx>.tar. */
static int paper_inner(const struct adopt *a, const struct tar_member *m)
{
	const char *base = strrchr(m->name, '/');
	size_t n;

	base = base ? base + 1 : m->name;
	n = strlen(base);
	return a->paper && m->type == TAR_FILE && !strncmp(base, "paper.", 6) &&
	       n > 10 && !strcmp(base + n - 4, ".tar");
}

int adopt_member(struct adopt *a, struct tarr *r, struct tar_member *m)
{
	size_t at = a->f.n;
	char *path = NULL;
	int ret = member_path(a, m->name, &path), inner_err = 0;

	if (ret == -EINVAL || ret == -ENAMETOOLONG) {
		/* the root ("./"), or a name no path can hold: read past */
		a->rep->skipped += ret == -ENAMETOOLONG;
		return tarr_data(r, m, NULL, NULL);
	}
	if (!ret)
		ret = file_add(&a->f, m, path);
	if (ret)
		return ret;
	if (paper_inner(a, m))
		ret = tarr_data_nested(r, m, inner_take, a, &inner_err);
	else
		ret = tarr_data(r, m, NULL, NULL);
	if (ret) {
		/* its data is not on the tape whole: not recorded */
		a->rep->skipped++;
		adopt_fail(
		    a, "file %lld: %.200s (%llu bytes): %s: not recorded",
		    (long long)a->f.fileno, m->name,
		    (unsigned long long)m->size,
		    ret == -EINVAL ? "cut short or corrupt" : strerror(-ret));
		file_cut(&a->f, at);
		return ret;
	}
	if (inner_err)
		adopt_fail(a, "file %lld: %.200s: its inner archive ends badly",
			   (long long)a->f.fileno, m->name);
	snprintf(a->f.m[at].md5, sizeof(a->f.m[at].md5), "%s", m->md5);
	return 0;
}

/* What the kernel may hold of the paths the file gave new versions, and
 * of its tape file, is dropped (tapefs_changes_begin()). */
static void file_notify(struct adopt *a)
{
	struct tapefs_changes c;
	char file[64];

	tapefs_changes_begin(a->fs, &c);
	for (size_t i = 0; i < a->f.n; i++)
		tapefs_changed(&c, "archive", a->f.m[i].path);
	snprintf(file, sizeof(file), "%s/%04lld", a->o->label,
		 (long long)a->f.fileno);
	tapefs_changed(&c, "tapes", file);
	tapefs_changes_end(&c);
}

int adopt_file_commit(struct adopt *a, uint64_t start_lblock, uint64_t nrec,
		      uint32_t bs)
{
	struct catalog_copy_in ci = {a->o->label, a->f.fileno, start_lblock,
				     nrec * bs};
	struct catalog_commit *c = NULL;
	struct catalog_import imp;
	uint64_t bytes = 0;
	int ret;

	memset(&imp, 0, sizeof(imp));
	imp.archive.bytes = nrec * bs;
	imp.archive.block_size = bs;
	imp.archive.kind = CATALOG_ARCHIVE_DATA;
	imp.adopted = 1;
	ret = catalog_import_begin(a->fs->cat, &imp, &ci, 1, &c);
	for (size_t i = 0; !ret && i < a->f.n; i++) {
		ret = catalog_commit_member(c, &a->f.m[i]);
		bytes += a->f.m[i].size;
	}
	if (c && ret)
		catalog_commit_abort(c);
	else if (c)
		ret = catalog_commit_end(c, NULL);
	if (ret) {
		adopt_fail(a, "file %lld: catalog: %s", (long long)a->f.fileno,
			   strerror(-ret));
		a->rep->files_refused++;
	} else {
		a->rep->files++;
		a->rep->members += a->f.n;
		a->rep->bytes += bytes;
		file_notify(a);
	}
	adopt_file_clear(&a->f);
	return ret;
}

void adopt_paper_missing(struct adopt *a)
{
	for (size_t i = 0; i < a->cat.n; i++) {
		const struct papertape_item *it = &a->cat.v[i];

		if (a->seen[i] || it->archive < a->from)
			continue;
		if (!a->rep->paper_missing++)
			adopt_fail(a,
				   "papertape's catalog names %.200s in file "
				   "%lld (item %lld): no archive holds it",
				   it->spec, (long long)it->archive,
				   (long long)it->item);
	}
}
