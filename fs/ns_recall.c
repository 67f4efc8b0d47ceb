/* fs/ns_recall.c - the `.recall` control file (SPEC 3.4): each line written
 * names one archived file to recall ahead of reading it; reading the file
 * shows the queue per tape and the recent results.
 *
 * A line is one of (the mount point, when given, is not needed):
 *   archive/PATH  or  /archive/PATH  or  PATH   the latest version of PATH
 *   tapes/LABEL/NNNN/PATH                       that archive's member, read
 *                                               from LABEL first
 *   /MOUNT/archive/PATH, /MOUNT/tapes/...        full paths, as `find` prints
 * Trailing carriage returns are ignored, and so are empty lines. A line
 * naming nothing archived, or a directory, fails the write() with ENOENT
 * or EISDIR (lines before it are queued) and the reason is shown when
 * reading `.recall`.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/ns.h"
#include "fs/recall.h"
#include "fs/tapefs.h"

static int recall_getattr(struct tapefs *fs, const char *rel,
			  struct ns_attr *out)
{
	(void)fs;
	if (*rel)
		return -ENOTDIR;
	out->kind = NS_CONTROL;
	out->st.st_mode = 0644;
	return 0;
}

static int recall_render(struct tapefs *fs, const char *rel,
			 struct strbuf *out)
{
	(void)rel;
	if (!fs->recall) {
		strbuf_addf(out, "state: unavailable (no recall engine)\n");
		return 0;
	}
	recall_queue_render(fs->recall, out);
	return 0;
}

/* tapes/LABEL/NNNN/PATH -> member id, and LABEL into label. */
static int tapes_lookup(struct tapefs *fs, const char *p, char *label,
			size_t len, int64_t *id)
{
	const char *slash = strchr(p, '/');
	struct catalog_copy c;
	struct catalog_member m = { 0 };
	char *end;
	long long fileno;
	int ret;

	if (!slash || (size_t)(slash - p) >= len)
		return -ENOENT;
	memcpy(label, p, (size_t)(slash - p));
	label[slash - p] = 0;
	fileno = strtoll(slash + 1, &end, 10);
	if (end == slash + 1 || *end != '/' || fileno < 1)
		return -ENOENT;
	ret = catalog_copy_get(fs->cat, label, fileno, &c);
	if (ret)
		return ret;
	ret = catalog_archive_lookup(fs->cat, c.archive, end + 1, &m);
	if (!ret && m.type != CATALOG_FILE)
		ret = m.type == CATALOG_DIR ? -EISDIR : -EINVAL;
	if (!ret)
		*id = m.id;
	catalog_member_release(&m);
	return ret;
}

static int archive_lookup(struct tapefs *fs, const char *p, int64_t *id)
{
	struct catalog_member m = { 0 };
	int ret = catalog_ns_lookup(fs->cat, p, &m);

	if (!ret && m.type != CATALOG_FILE)
		ret = m.type == CATALOG_DIR ? -EISDIR : -EINVAL;
	if (!ret)
		*id = m.id;
	catalog_member_release(&m);
	return ret;
}

/* A line -> member id (and the tape to prefer, if it names one). */
static int resolve(struct tapefs *fs, const char *line, char *label,
		   size_t len, int64_t *id)
{
	const char *p = line, *q;
	int ret;

	*label = 0;
	while (*p == '/')
		p++;
	if (!strncmp(p, "archive/", 8))
		return archive_lookup(fs, p + 8, id);
	if (!strncmp(p, "tapes/", 6))
		return tapes_lookup(fs, p + 6, label, len, id);
	ret = archive_lookup(fs, p, id);
	if (ret != -ENOENT || line[0] != '/')
		return ret;
	/* A full path through the mount point. */
	if ((q = strstr(line, "/archive/")))
		return archive_lookup(fs, q + 9, id);
	if ((q = strstr(line, "/tapes/")))
		return tapes_lookup(fs, q + 7, label, len, id);
	return ret;
}

static int recall_control(struct tapefs *fs, const char *rel,
			  const char *line)
{
	char *l = strdup(line), label[64];
	size_t n;
	int64_t id = 0;
	int ret;

	(void)rel;
	if (!l)
		return -ENOMEM;
	n = strlen(l);
	while (n && l[n - 1] == '\r')
		l[--n] = 0;
	if (!n) {
		ret = 0;
		goto out;
	}
	if (!fs->recall || !fs->cat) {
		tapefs_error(fs, ".recall: no recall engine in this mount");
		ret = -ENOSYS;
		goto out;
	}
	ret = resolve(fs, l, label, sizeof(label), &id);
	if (!ret)
		ret = recall_request(fs->recall, id, *label ? label : NULL);
	if (ret) {
		const char *why = ret == -ENOENT ? "no archived file" :
				  ret == -EISDIR ? "a directory, not a file" :
				  ret == -EINVAL ? "not a regular file" :
				  strerror(-ret);

		recall_note(fs->recall, "REFUSED %.200s: %s", l, why);
		tapefs_error(fs, ".recall: '%.200s': %s", l, why);
		if (ret == -EINVAL || ret == -ENAMETOOLONG)
			ret = -EINVAL;
	}
out:
	free(l);
	return ret;
}

const struct ns_provider ns_recall_ctl = {
	.name = ".recall",
	.getattr = recall_getattr,
	.render = recall_render,
	.control = recall_control,
};
