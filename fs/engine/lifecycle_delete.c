/* fs/engine/lifecycle_delete.c - deletes under archive/ and what follows
 * from them: the bytes left dead on tape, and the full tapes that became
 * sparse enough to repack on their own (fs/engine/lifecycle.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "catalog/catalog.h"
#include "fs/engine/library.h"
#include "fs/engine/lifecycle_int.h"
#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"

int lifecycle_delete(struct tapefs *fs, const char *path, uid_t uid)
{
	struct catalog_member m;
	char q[256];
	int ret;

	if (!fs->cfg.allow_delete || !fs->cat)
		return -EROFS;
	memset(&m, 0, sizeof(m));
	ret = catalog_ns_lookup(fs->cat, path, &m);
	if (ret)
		return ret == -EINVAL ? -ENOENT : ret;
	if (m.type == CATALOG_DIR)
		ret = -EISDIR;
	else if (uid != 0 && uid != m.uid)
		ret = -EPERM; /* the owner's or root's to delete */
	else
		ret = catalog_ns_delete(fs->cat, m.id);
	if (ret == 0) {
		if (fs->recall)
			recall_drop(fs->recall, m.id);
		tapefs_audit(fs, "delete", "path=%s member=%" PRId64 " uid=%u",
			     tapefs_log_quote(path, q, sizeof(q)), m.id,
			     (unsigned)uid);
		if (fs->cfg.repack_below && fs->library)
			library_usage_changed(fs->library);
	}
	catalog_member_release(&m);
	return ret;
}

/* A full tape whose live share is below repack_below, with something
 * still live on it: its repack is queued. */
static int sparse_one(void *ctx, const struct catalog_tape *t)
{
	struct tapefs *fs = ctx;
	struct catalog_tape_usage u;
	struct lifecycle_req q = {.kind = LIFECYCLE_REPACK};
	uint64_t all;

	if (catalog_tape_usage(fs->cat, t->barcode, &u) < 0)
		return 0;
	all = u.live_bytes + u.dead_bytes;
	if (!u.live_archives || !all ||
	    u.live_bytes * 100 >= (uint64_t)fs->cfg.repack_below * all)
		return 0;
	snprintf(q.arg, sizeof(q.arg), "%s", t->barcode);
	if (library_lifecycle_request(fs->library, &q) == 0)
		tapefs_log(fs, LOG_NOTICE,
			   "tape %s: %" PRIu64 " of %" PRIu64
			   " bytes live, below repack_below = %u%%: "
			   "repack queued",
			   t->barcode, u.live_bytes, all, fs->cfg.repack_below);
	return 0;
}

int lifecycle_sparse(struct tapefs *fs)
{
	if (!fs->cfg.repack_below || !fs->cat || !fs->library)
		return 0;
	return catalog_tape_list(fs->cat, NULL, CATALOG_TAPE_FULL, sparse_one,
				 fs);
}
