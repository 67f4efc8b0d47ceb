/* fs/ns/ns_reader.c - what a reader may see of the archive: whether it
 * could stat a path under archive/ through the mount (search permission on
 * every directory above it, from the catalog's modes, as the kernel checks
 * them with default_permissions). Texts that name archived paths
 * (verify/RUN/LABEL, .recall) keep the lines of such paths only. */
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/tapefs.h"
#include "fs/ns/ns_local.h"

static int in_group(const struct ns_reader *who, gid_t gid)
{
	if (who->gid == gid)
		return 1;
	for (int i = 0; i < who->ngroups; i++)
		if (who->groups[i] == gid)
			return 1;
	return 0;
}

int ns_reader_may(const struct ns_reader *who, const struct stat *st, int bit)
{
	if (who->all)
		return 1;
	if (who->uid == st->st_uid)
		return !!((st->st_mode >> 6) & bit);
	if (in_group(who, st->st_gid))
		return !!((st->st_mode >> 3) & bit);
	return !!(st->st_mode & bit);
}

/* Search permission on directory dir of archive/ ("" is archive/). */
static int may_search(struct tapefs *fs, const struct ns_reader *who,
		      const char *dir)
{
	struct catalog_member m;
	struct ns_attr a;
	int ok;

	if (!*dir)
		return 1; /* archive/ itself: 0555 */
	memset(&m, 0, sizeof(m));
	if (catalog_ns_lookup(fs->cat, dir, &m)) {
		catalog_member_release(&m);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	ns_member_attr(fs, &m, &a);
	ok = a.kind == NS_DIR && ns_reader_may(who, &a.st, 1);
	catalog_member_release(&m);
	return ok;
}

int ns_reader_may_stat(struct tapefs *fs, const struct ns_reader *who,
		       const char *path, struct ns_reader_memo *memo)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash ? (size_t)(slash - path) : 0;
	char dir[sizeof(memo->dir)];
	int ok = 1;

	if (who->all)
		return 1;
	if (!fs->cat || plen >= sizeof(dir))
		return 0;
	if (memo->valid && strlen(memo->dir) == plen &&
	    !memcmp(memo->dir, path, plen))
		return memo->ok;
	/* every directory from the top: "a", "a/b", ... */
	for (size_t i = 0; ok && i <= plen; i++) {
		if (i < plen && path[i] != '/')
			continue;
		memcpy(dir, path, i);
		dir[i] = 0;
		ok = may_search(fs, who, dir);
	}
	memcpy(memo->dir, path, plen);
	memo->dir[plen] = 0;
	memo->ok = ok;
	memo->valid = 1;
	return ok;
}
