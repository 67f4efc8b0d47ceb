/* fs/ns/ns_recall.c - the `.recall` control file (SPEC 3.4): each line written
 * names one archived file (or directory) to recall ahead of reading it, or
 * asks to cancel such a request or to release cached copies; reading the
 * file shows the queue per tape and the recent results.
 *
 * The text is rendered here from the engine's snapshot (recall_snapshot),
 * and so are the recall lines of `.status` (ns_recall_status).
 *
 * A line is one of:
 *   PATH                 recall PATH (priority 0)
 *   priority N PATH      recall PATH with priority N (0..9, higher first)
 *   cancel PATH          drop the queued requests of PATH
 *   release PATH         drop the cached copies of PATH now
 * where PATH is one of (the mount point, when given, is not needed):
 *   archive/PATH  or  /archive/PATH  or  PATH   the latest version of PATH
 *   tapes/LABEL/NNNN/PATH                       that archive's member, read
 *                                               from LABEL first
 *   /MOUNT/archive/PATH, /MOUNT/tapes/...        full paths, as `find` prints
 * The words are only taken as such when followed by a space; a file of
 * archive/ whose name starts with one of them is named "archive/NAME".
 * A directory stands for every file below it. Trailing carriage returns
 * are ignored, and so are empty lines. A write() is checked whole before
 * any line of it is applied (check()): a line naming nothing archived
 * fails it with ENOENT, a malformed one with EINVAL, and the reason is
 * shown when reading `.recall` (to the mount owner and root; other readers
 * see only the paths they could stat).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"

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

static void result_line(struct strbuf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One line of the recent results, cut at 299 bytes as they always were. */
static void result_line(struct strbuf *out, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	strbuf_addf(out, "  %s\n", line);
}

static void result_render(const struct recall_result *res, struct strbuf *out)
{
	if (res->what == RECALL_DONE)
		result_line(out, "OK %s (%s file %" PRId64 ")", res->path,
			    res->barcode, res->fileno);
	else if (res->what == RECALL_FAILED)
		result_line(out, "FAILED %s: %s", res->path, res->text);
	else
		result_line(out, "%s", res->text);
}

/* Whether the reader of ctx may see path: root and the mount owner see
 * every line; others the paths they could stat (fs/ns/ns.h). */
struct seen {
	struct tapefs *fs;
	const struct ns_reader *who; /* NULL: everything */
	struct ns_reader_memo memo;
};

static int seen(struct seen *c, const char *path)
{
	return !c->who || ns_reader_may_stat(c->fs, c->who, path, &c->memo);
}

/* "eta 0:01:12", or "eta ?" when unknown. */
static void eta_add(struct strbuf *out, int64_t eta)
{
	if (eta < 0)
		strbuf_addf(out, "eta ?");
	else
		strbuf_addf(out, "eta %" PRId64 ":%02d:%02d", eta / 3600,
			    (int)(eta / 60 % 60), (int)(eta % 60));
}

/* The `.recall` file's text: the queue per tape in block order, each
 * request with its priority, bytes done and ETA, what is being read,
 * then the recent results (notes of refused requests only for a reader
 * who sees everything). */
static void snap_render(const struct recall_snap *s, struct seen *c,
			struct strbuf *out)
{
	strbuf_addf(out, "# write archive paths, one per line, to recall "
			 "them in tape order\n# (or: priority N PATH, cancel "
			 "PATH, release PATH)\n");
	strbuf_addf(out, "queued: %zu\n", s->queued);
	if (s->resolving)
		strbuf_addf(out, "resolving: %zu\n", s->resolving);
	if (s->syncing)
		strbuf_addf(out, "syncing: %zu\n", s->syncing);
	if (s->handed)
		strbuf_addf(out,
			    "handed: %zu (their tapes are in other hosts' "
			    "drives)\n",
			    s->handed);
	for (size_t i = 0; i < s->ntapes; i++) {
		const struct recall_snap_tape *t = &s->tapes[i];

		strbuf_addf(out, "tape %s: %zu queued%s\n", t->barcode, t->n,
			    t->served ? "" : " (waiting for a drive)");
		for (size_t j = 0; j < t->n; j++) {
			if (!seen(c, t->m[j].path))
				continue;
			strbuf_addf(out,
				    "  block %" PRIu64
				    " priority %d queued %" PRIu64
				    " of %" PRIu64 " ",
				    t->m[j].block, t->m[j].priority,
				    t->m[j].present, t->m[j].size);
			eta_add(out, t->m[j].eta);
			strbuf_addf(out, " %s\n", t->m[j].path);
		}
	}
	for (size_t i = 0; i < s->nreading; i++) {
		if (!seen(c, s->reading[i].path))
			continue;
		strbuf_addf(out,
			    "reading: %s from %s (%" PRIu64 " of %" PRIu64 ") ",
			    s->reading[i].path, s->reading[i].barcode,
			    s->reading[i].present, s->reading[i].size);
		eta_add(out, s->reading[i].eta);
		strbuf_addf(out, "\n");
	}
	strbuf_addf(out, "recent:\n");
	for (size_t i = 0; i < s->nrecent; i++)
		if (s->recent[i].what == RECALL_NOTE
			? !c->who
			: seen(c, s->recent[i].path))
			result_render(&s->recent[i], out);
}

static int recall_render_for(struct tapefs *fs, const char *rel,
			     const struct ns_reader *who, struct strbuf *out)
{
	struct recall_snap s;
	struct seen *c;
	int ret;

	(void)rel;
	if (!fs->recall) {
		strbuf_addf(out, "state: unavailable (no recall engine)\n");
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fs = fs;
	c->who = who && !who->all ? who : NULL;
	ret = recall_snapshot(fs->recall, &s);
	if (!ret) {
		snap_render(&s, c, out);
		recall_snap_release(&s);
		ret = strbuf_oom(out) ? -ENOMEM : 0;
	}
	free(c);
	return ret;
}

static int recall_render(struct tapefs *fs, const char *rel, struct strbuf *out)
{
	return recall_render_for(fs, rel, NULL, out);
}

void ns_recall_status(struct tapefs *fs, struct strbuf *out)
{
	struct recall_stats st;
	char used[32], lim[32];

	if (!fs->recall) {
		strbuf_addf(out, "recall_queue: 0\nrecall: unavailable\n");
		return;
	}
	recall_stats(fs->recall, &st);
	status_human_bytes(st.used, used, sizeof(used));
	if (st.limit == UINT64_MAX)
		snprintf(lim, sizeof(lim), "unlimited");
	else
		status_human_bytes(st.limit, lim, sizeof(lim));
	strbuf_addf(out, "recall_queue: %zu\n", st.queued);
	strbuf_addf(out, "recall_waiting: %zu\n", st.waiting);
	strbuf_addf(out, "recall_cache: %s of %s\n", used, lim);
}

/* What a line names: a path in archive/ (archive 0) or in one archive. */
struct target {
	int64_t archive; /* 0: archive/ (latest versions) */
	const char *path;
	char label[64]; /* the tape a tapes/ path names, "" */
};

static int lookup(struct tapefs *fs, const struct target *t,
		  struct catalog_member *m)
{
	if (t->archive)
		return catalog_archive_lookup(fs->cat, t->archive, t->path, m);
	return catalog_ns_lookup(fs->cat, t->path, m);
}

/* tapes/LABEL/NNNN/PATH -> the archive and PATH within it. */
static int tapes_target(struct tapefs *fs, const char *p, struct target *t)
{
	const char *slash = strchr(p, '/');
	struct catalog_copy c;
	char *end;
	long long fileno;
	int ret;

	if (!slash || (size_t)(slash - p) >= sizeof(t->label))
		return -ENOENT;
	memcpy(t->label, p, (size_t)(slash - p));
	t->label[slash - p] = 0;
	fileno = strtoll(slash + 1, &end, 10);
	if (end == slash + 1 || (*end && *end != '/') || fileno < 0)
		return -ENOENT;
	ret = catalog_copy_get(fs->cat, t->label, fileno, &c);
	if (ret)
		return ret;
	t->archive = c.archive;
	t->path = *end ? end + 1 : end;
	return 0;
}

/* A line -> its target, checked to exist. */
static int resolve(struct tapefs *fs, const char *line, struct target *t)
{
	struct catalog_member m = {0};
	const char *p = line, *q;
	int ret;

	memset(t, 0, sizeof(*t));
	while (*p == '/')
		p++;
	if (!strncmp(p, "tapes/", 6))
		return tapes_target(fs, p + 6, t);
	t->path = strncmp(p, "archive/", 8) ? p : p + 8;
	if (!strcmp(p, "archive"))
		t->path = "";
	ret = lookup(fs, t, &m);
	catalog_member_release(&m);
	if (ret != -ENOENT || line[0] != '/')
		return ret;
	/* A full path through the mount point. */
	if ((q = strstr(line, "/archive/"))) {
		t->path = q + 9;
		ret = lookup(fs, t, &m);
		catalog_member_release(&m);
		return ret;
	}
	if ((q = strstr(line, "/tapes/")))
		return tapes_target(fs, q + 7, t);
	return ret;
}

/* Hand what t names (one file, or a directory: every file below it) to
 * the engine's batch worker, after checking that it exists and is one of
 * those; the walk of a directory happens there, not on this thread. */
static int queue_target(struct tapefs *fs, const struct target *t,
			enum recall_op op, int priority)
{
	struct catalog_member m = {0};
	int ret = lookup(fs, t, &m);

	if (!ret && m.type != CATALOG_FILE && m.type != CATALOG_DIR)
		ret = -EINVAL;
	if (!ret)
		ret = recall_batch_add(fs->recall, op, t->archive, t->path,
				       *t->label ? t->label : NULL, priority,
				       m.type == CATALOG_DIR);
	catalog_member_release(&m);
	return ret;
}

/* The request word of a line, if any: *op, *priority and the path that
 * follows in *path. 0, or -EINVAL for a malformed priority. */
static int parse_line(const char *l, enum recall_op *op, int *priority,
		      const char **path)
{
	char *end;
	long n;

	*op = RECALL_OP_RECALL;
	*priority = 0;
	*path = l;
	if (!strncmp(l, "cancel ", 7)) {
		*op = RECALL_OP_CANCEL;
		*path = l + 7;
	} else if (!strncmp(l, "release ", 8)) {
		*op = RECALL_OP_RELEASE;
		*path = l + 8;
	} else if (!strncmp(l, "priority ", 9)) {
		n = strtol(l + 9, &end, 10);
		if (end == l + 9 || *end != ' ' || n < 0 || n > RECALL_PRIO_MAX)
			return -EINVAL;
		*priority = (int)n;
		*path = end + 1;
	}
	while (**path == ' ')
		(*path)++;
	return **path ? 0 : -EINVAL;
}

#define MALFORMED                                                              \
	"malformed: PATH, priority N PATH (N 0..9), cancel PATH or release "   \
	"PATH"

/* Why a line is refused, for ret from resolve() or the member's type. */
static const char *refusal(int ret)
{
	return ret == -ENOENT	? "no archived file"
	       : ret == -EINVAL ? "not a regular file or directory"
				: strerror(-ret);
}

/* A line is well formed and names an archived file or directory (an empty
 * one is ignored). */
static int recall_check(struct tapefs *fs, const char *rel, const char *line,
			char *why, size_t whylen)
{
	struct catalog_member m = {0};
	size_t n = strlen(line);
	const char *path;
	enum recall_op op;
	struct target t;
	int ret, priority;
	char *l;

	(void)rel;
	while (n && line[n - 1] == '\r')
		n--;
	if (!n)
		return 0;
	if (!fs->recall || !fs->cat) {
		snprintf(why, whylen, "no recall engine in this mount");
		return -ENOSYS;
	}
	l = strndup(line, n);
	if (!l)
		return -ENOMEM;
	ret = parse_line(l, &op, &priority, &path);
	if (ret) {
		snprintf(why, whylen, "'%.200s': %s", l, MALFORMED);
		goto out;
	}
	ret = resolve(fs, path, &t);
	if (!ret)
		ret = lookup(fs, &t, &m);
	if (!ret && m.type != CATALOG_FILE && m.type != CATALOG_DIR)
		ret = -EINVAL;
	if (ret)
		snprintf(why, whylen, "'%.200s': %s", l, refusal(ret));
	catalog_member_release(&m);
out:
	free(l);
	return ret == -ENAMETOOLONG ? -EINVAL : ret;
}

/* Apply one line recall_check() passed; what changed since (a file gone,
 * the engine out of memory) is noted as a refusal. */
static int recall_control(struct tapefs *fs, const char *rel, const char *line)
{
	char *l = strdup(line);
	const char *path, *why = MALFORMED;
	enum recall_op op;
	struct target t;
	int ret, priority;
	size_t n;

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
	ret = parse_line(l, &op, &priority, &path);
	if (!ret) {
		ret = resolve(fs, path, &t);
		if (!ret)
			ret = queue_target(fs, &t, op, priority);
		why = refusal(ret);
	}
	if (ret) {
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
    .render_for = recall_render_for,
    .check = recall_check,
    .control = recall_control,
};
