/* fs/ns/ns_library.c - .library: control of the tape library at the root.
 *   echo inventory > .library       new cartridges join the catalog,
 *                                   missing tapes become "out of library"
 *   echo 'export LABEL' > .library  move a tape to an import/export slot
 *   echo 'label SLOT BARCODE POOL' > .library
 *                                   label the cartridge of SLOT by hand (a
 *                                   library without a barcode reader)
 *   echo 'repair [LABEL]' > .library  bad copies rewritten from good ones
 *   echo 'copy POOL' > .library     every archive gains a copy in POOL
 *   echo 'repack LABEL' > .library  LABEL's archives moved to other tapes
 *   echo 'migrate POOL NEWPOOL' > .library
 *                                   every tape of POOL repacked into NEWPOOL
 *   echo 'reclaim LABEL' > .library a tape with no live archive: scratch
 *   echo 'rebuild [full] [LABEL...]' > .library
 *                                   rebuild the catalog from the tapes'
 *                                   manifests (fs/engine/rebuild.h)
 *   echo 'adopt LABEL [PREFIX]' > .library
 *                                   index a foreign tape, read only
 *                                   (fs/engine/adopt.h)
 * Requests are checked here and queued on the library module's worker
 * (fs/engine/library.h: robot work never runs in a FUSE request thread);
 * reading .library shows the last results and the grammar. The library's
 * lines of .status (tapes holding archives this catalog does not know)
 * are rendered here too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/adopt.h"
#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "fs/ns/ns_local.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"

#define UNKNOWN_LISTED 32 /* tapes named one by one in .status */

static const char library_usage[] =
    "inventory | export LABEL | label SLOT BARCODE POOL | repair [LABEL] | "
    "copy POOL | repack LABEL | migrate POOL NEWPOOL | reclaim LABEL | "
    "rebuild [full] [LABEL...] | adopt LABEL [PREFIX]";

static void when(char *buf, size_t len, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The lifecycle requests: the one running with its figures, the queued
 * ones, the last outcome. */
static void life_render(const struct library_view *v, struct strbuf *out)
{
	const struct lifecycle_progress *p = &v->life_progress;
	char line[64];

	if (v->life_running) {
		lifecycle_req_line(&v->life_now, line, sizeof(line));
		strbuf_addf(out,
			    "lifecycle: running %s: %llu of %llu archives "
			    "done, %llu copied, %llu failed, %llu bytes\n",
			    line, (unsigned long long)p->done,
			    (unsigned long long)p->archives,
			    (unsigned long long)p->copied,
			    (unsigned long long)p->failed,
			    (unsigned long long)p->bytes);
	}
	for (int i = 0; i < v->nlife; i++) {
		lifecycle_req_line(&v->life[i], line, sizeof(line));
		strbuf_addf(out, "lifecycle: %s queued\n", line);
	}
	if (v->life_result[0])
		strbuf_addf(out, "last_lifecycle: %s\n", v->life_result);
}

/* The queue's state: the last inventory, exports and labels. */
static void queue_render(const struct library_view *v, struct strbuf *out)
{
	char t[32];

	if (v->inventory_running) {
		strbuf_addf(out, "inventory: running\n");
	} else if (v->inventory_time) {
		when(t, sizeof(t), v->inventory_time);
		strbuf_addf(out, "inventory: done %s: %s\n", t,
			    v->inventory_result);
	} else {
		strbuf_addf(out, "inventory: none since the mount\n");
	}
	for (int i = 0; i < v->nexports; i++)
		strbuf_addf(out, "export: %s queued\n", v->exports[i]);
	if (v->export_result[0])
		strbuf_addf(out, "last_export: %s\n", v->export_result);
	for (int i = 0; i < v->nlabels; i++)
		strbuf_addf(out, "label: slot %d %s %s queued\n",
			    v->labels[i].slot, v->labels[i].barcode,
			    v->labels[i].pool);
	if (v->label_result[0])
		strbuf_addf(out, "last_label: %s\n", v->label_result);
	life_render(v, out);
	if (v->rebuild_running)
		strbuf_addf(out, "rebuild: running: %s\n", v->rebuild_progress);
	if (v->rebuild_time) {
		when(t, sizeof(t), v->rebuild_time);
		strbuf_addf(out, "last_rebuild: done %s: %s\n", t,
			    v->rebuild_result);
	}
	if (v->adopt_running)
		strbuf_addf(out, "adopt: %s running: %s\n", v->adopt_label,
			    v->adopt_progress);
	if (v->adopt_time) {
		when(t, sizeof(t), v->adopt_time);
		strbuf_addf(out, "last_adopt: done %s: %s\n", t,
			    v->adopt_result);
	}
}

static int library_render(struct tapefs *fs, const char *rel,
			  struct strbuf *out)
{
	struct library_view v;

	(void)rel;
	if (library_view(fs->library, &v) == 0)
		queue_render(&v, out);
	strbuf_addf(out,
		    "usage: echo inventory > .library (new cartridges join "
		    "the catalog, blank ones whose barcode starts with a "
		    "pool's name are labelled for it; tapes not in the "
		    "library are marked 'out of library') | echo 'export "
		    "LABEL' > .library (move the tape to an empty "
		    "import/export slot) | echo 'label SLOT BARCODE POOL' > "
		    ".library (label the cartridge in SLOT by hand, for a "
		    "library without a barcode reader: it becomes a scratch "
		    "tape BARCODE of POOL) | echo repair > .library (every "
		    "copy a verification found BAD or UNREADABLE rewritten "
		    "from a good copy onto another tape of its pool; the bad "
		    "copy is then lost) | echo 'repair LABEL' > .library (the "
		    "same for the bad copies on LABEL) | echo 'copy POOL' > "
		    ".library (every archive without a copy in POOL gains "
		    "one, tape to tape) | echo 'repack LABEL' > .library "
		    "(LABEL is closed and every archive on it moved to "
		    "other tapes of its pool, tape to tape) | echo 'migrate "
		    "POOL NEWPOOL' > .library (the same for every tape of "
		    "POOL, into NEWPOOL) | echo 'reclaim LABEL' > .library "
		    "(a tape with no live archive gets a new label and "
		    "becomes scratch) | echo 'rebuild [full] [LABEL...]' "
		    "> .library (read the manifests of the archives on the "
		    "tapes that this catalog does not know, every tape or "
		    "those named, and add them; full: every archive of each "
		    "tape) | echo 'adopt LABEL [PREFIX]' > .library (index "
		    "the foreign tape LABEL - GNU tar, tapeop or papertape, "
		    "no tapefs label - read only: its files under "
		    "archive/PREFIX, default adopted/LABEL)\n");
	return strbuf_oom(out) ? -ENOMEM : 0;
}

void status_library_render(struct tapefs *fs, struct strbuf *out)
{
	char bc[UNKNOWN_LISTED][40];
	size_t n = library_unknown(fs->library, bc, UNKNOWN_LISTED);

	strbuf_addf(out, "unknown_tapes: %zu\n", n);
	if (!n)
		return;
	for (size_t i = 0; i < n && i < UNKNOWN_LISTED; i++)
		strbuf_addf(out,
			    "unknown_tape: %s holds archives this catalog "
			    "does not know (closed, never written)\n",
			    bc[i]);
	if (n > UNKNOWN_LISTED)
		strbuf_addf(out, "unknown_tape: and %zu more\n",
			    n - UNKNOWN_LISTED);
	strbuf_addf(out,
		    "unknown_tapes_help: %zu tape%s hold%s archives this "
		    "catalog does not know: closed, so nothing is written "
		    "over them; to read them, mount with the catalog that "
		    "wrote them (or a copy of it), or add them to this one "
		    "from the tapes: echo rebuild > .library (tapefs rebuild "
		    "-c CONFIG while unmounted)\n",
		    n, n == 1 ? "" : "s", n == 1 ? "s" : "");
}

static int library_getattr(struct tapefs *fs, const char *rel,
			   struct ns_attr *out)
{
	if (*rel)
		return -ENOTDIR;
	out->kind = NS_CONTROL;
	out->st.st_mode = 0644;
	ns_size_by_render(fs, &ns_library, rel, out);
	return 0;
}

static int pool_known(const struct tapefs *fs, const char *pool)
{
	for (int i = 0; i < fs->cfg.npools; i++)
		if (!strcmp(fs->cfg.pools[i], pool))
			return 1;
	return 0;
}

/* "export LABEL": a tape of the catalog. */
static int export_check(struct tapefs *fs, const char *bc, char *why,
			size_t whylen)
{
	struct catalog_tape t;
	int ret = catalog_tape_get(fs->cat, bc, &t);

	if (ret == -ENOENT || ret == -EINVAL) {
		snprintf(why, whylen, "export: unknown tape '%.40s'", bc);
		return -ENOENT;
	}
	if (ret)
		snprintf(why, whylen, "export: catalog: %s", strerror(-ret));
	return ret;
}

/* "label SLOT BARCODE POOL" into its parts, checked against the catalog,
 * the configuration and the scheduler's last view of the slots (no robot
 * work); the engine checks the library itself again when it runs it. */
struct label_req {
	long slot;
	char bc[64], pool[64];
};

static int label_check(struct tapefs *fs, const char *args, struct label_req *q,
		       char *why, size_t whylen)
{
	char slot_s[16], extra[2], *end;
	struct catalog_tape t;
	int ret;

	if (sscanf(args, "%15s %63s %63s %1s", slot_s, q->bc, q->pool, extra) !=
	    3) {
		snprintf(why, whylen, "label needs SLOT BARCODE POOL");
		return -EINVAL;
	}
	q->slot = strtol(slot_s, &end, 10);
	if (*end || q->slot < 1 || q->slot > 1000000) {
		snprintf(why, whylen, "label: bad slot '%s'", slot_s);
		return -EINVAL;
	}
	if (!changer_barcode_valid(q->bc)) {
		snprintf(why, whylen,
			 "label: '%.40s' is not a barcode (1 to %d of A-Z "
			 "0-9)",
			 q->bc, CHANGER_BARCODE_LEN);
		return -EINVAL;
	}
	if (!pool_known(fs, q->pool)) {
		snprintf(why, whylen, "label: unknown pool '%.20s'", q->pool);
		return -EINVAL;
	}
	ret = catalog_tape_get(fs->cat, q->bc, &t);
	if (ret == 0) {
		snprintf(why, whylen,
			 "label: %s is already a tape of the "
			 "catalog",
			 q->bc);
		return -EEXIST;
	}
	if (ret != -ENOENT)
		return ret;
	ret = fs->sched ? sched_slot_state(fs->sched, (int)q->slot) : -ENODEV;
	if (ret == -EINVAL) {
		snprintf(why, whylen, "label: no slot %ld (the library has %d)",
			 q->slot, sched_nslots(fs->sched));
		return -ERANGE;
	}
	if (ret == -ENOMEDIUM) {
		snprintf(why, whylen, "label: slot %ld is empty", q->slot);
		return -ENOMEDIUM;
	}
	if (ret < 0) {
		snprintf(why, whylen,
			 "label: the library cannot say what "
			 "slot %ld holds",
			 q->slot);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* "rebuild [full] [LABEL...]" (args: what follows "rebuild") into its
 * parts; the labels must be tapes of the catalog (an inventory registers
 * new cartridges first). q->labels point into q->buf. */
struct rebuild_req {
	int full;
	size_t n;
	char buf[256];
	const char *labels[LIBRARY_QUEUE_MAX];
};

static int rebuild_check(struct tapefs *fs, const char *args,
			 struct rebuild_req *q, char *why, size_t whylen)
{
	struct catalog_tape t;
	char *save = NULL, *w;
	int ret;

	q->full = 0;
	q->n = 0;
	if (*args && *args != ' ' && *args != '\t') {
		snprintf(why, whylen,
			 "unknown request 'rebuild%.30s'; usage: %s", args,
			 library_usage);
		return -EINVAL;
	}
	if (strlen(args) >= sizeof(q->buf)) {
		snprintf(why, whylen, "rebuild: the request is too long");
		return -E2BIG;
	}
	strcpy(q->buf, args);
	for (w = strtok_r(q->buf, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		if (!q->n && !q->full && !strcmp(w, "full")) {
			q->full = 1;
			continue;
		}
		if (q->n == LIBRARY_QUEUE_MAX) {
			snprintf(why, whylen, "rebuild: at most %d tapes",
				 LIBRARY_QUEUE_MAX);
			return -E2BIG;
		}
		ret = catalog_tape_get(fs->cat, w, &t);
		if (ret == -ENOENT || ret == -EINVAL) {
			snprintf(why, whylen,
				 "rebuild: unknown tape '%.40s' (an inventory "
				 "registers new cartridges)",
				 w);
			return -ENOENT;
		}
		if (ret) {
			snprintf(why, whylen, "rebuild: catalog: %s",
				 strerror(-ret));
			return ret;
		}
		q->labels[q->n++] = w;
	}
	return 0;
}

/* "adopt LABEL [PREFIX]" (args: what follows "adopt "): a cartridge
 * this catalog does not know (or one it adopted: the adoption goes on),
 * a prefix below archive/. */
struct adopt_req {
	char label[64], prefix[256];
};

static int adopt_check(struct tapefs *fs, const char *args, struct adopt_req *q,
		       char *why, size_t whylen)
{
	char extra[2], clean[4096];
	int n, ret;

	q->prefix[0] = '\0';
	n = sscanf(args, "%63s %255s %1s", q->label, q->prefix, extra);
	if (n < 1 || n > 2 || strlen(args) > 300) {
		snprintf(why, whylen, "adopt needs LABEL [PREFIX]");
		return -EINVAL;
	}
	ret = adopt_label_check(fs->cat, q->label, why, whylen);
	if (ret < 0)
		return ret;
	return adopt_prefix(q->label, q->prefix, clean, sizeof(clean), why,
			    whylen);
}

static int library_check(struct tapefs *fs, const char *rel, const char *line,
			 char *why, size_t whylen)
{
	struct adopt_req aq;
	struct label_req q;
	struct lifecycle_req lq;
	struct rebuild_req rq;

	(void)rel;
	if (!fs->library || !fs->cat) {
		snprintf(why, whylen, "no library in this mount");
		return -EOPNOTSUPP;
	}
	if (!strcmp(line, "inventory"))
		return 0;
	if (!strncmp(line, "export ", 7) && line[7])
		return export_check(fs, line + 7, why, whylen);
	if (!strncmp(line, "label ", 6))
		return label_check(fs, line + 6, &q, why, whylen);
	if (lifecycle_word(line) >= 0)
		return lifecycle_parse(fs, line, &lq, why, whylen);
	if (!strncmp(line, "rebuild", 7))
		return rebuild_check(fs, line + 7, &rq, why, whylen);
	if (!strncmp(line, "adopt ", 6))
		return adopt_check(fs, line + 6, &aq, why, whylen);
	snprintf(why, whylen, "unknown request '%.40s'; usage: %s", line,
		 library_usage);
	return -EINVAL;
}

static int library_export(struct tapefs *fs, const char *bc)
{
	int ret = library_export_request(fs->library, bc);

	if (ret == -EBUSY)
		tapefs_error(fs,
			     ".library: export %s refused: a dump is writing "
			     "to it",
			     bc);
	else if (ret == -EAGAIN)
		tapefs_error(fs,
			     ".library: export %s refused: too many exports "
			     "queued",
			     bc);
	return ret;
}

static int library_label(struct tapefs *fs, const char *args)
{
	struct label_req q;
	char why[320];
	int ret = label_check(fs, args, &q, why, sizeof(why));

	if (ret) {
		tapefs_error(fs, ".library: %s", why);
		return ret;
	}
	ret = library_label_request(fs->library, (int)q.slot, q.bc, q.pool);
	if (ret == -EALREADY)
		tapefs_error(
		    fs, ".library: label: slot %ld or %s is queued already",
		    q.slot, q.bc);
	else if (ret == -EAGAIN)
		tapefs_error(fs, ".library: label: too many labels queued");
	return ret;
}

/* "repair [LABEL]", "copy POOL", "repack LABEL", "migrate POOL NEWPOOL",
 * "reclaim LABEL": checked, then queued. */
static int library_lifecycle(struct tapefs *fs, const char *line)
{
	struct lifecycle_req q;
	char why[160];
	int ret = lifecycle_parse(fs, line, &q, why, sizeof(why));

	if (ret < 0) {
		tapefs_error(fs, ".library: %s", why);
		return ret;
	}
	ret = library_lifecycle_request(fs->library, &q);
	if (ret == -EALREADY)
		tapefs_error(fs, ".library: '%.60s' is queued already", line);
	else if (ret == -EAGAIN)
		tapefs_error(fs, ".library: too many requests queued");
	else if (ret == -ENODEV)
		tapefs_error(fs, ".library: no drives in this mount");
	return ret;
}

/* "rebuild [full] [LABEL...]": checked, then queued. */
static int library_rebuild(struct tapefs *fs, const char *args)
{
	struct rebuild_req q;
	char why[160];
	int ret = rebuild_check(fs, args, &q, why, sizeof(why));

	if (ret) {
		tapefs_error(fs, ".library: %s", why);
		return ret;
	}
	ret = library_rebuild_request(fs->library, q.full, q.labels, q.n);
	if (ret == -EALREADY)
		tapefs_error(fs, ".library: a rebuild is queued or running");
	else if (ret == -ENODEV)
		tapefs_error(fs, ".library: rebuild: no changer configured");
	return ret;
}

/* "adopt LABEL [PREFIX]": checked, then queued. */
static int library_adopt(struct tapefs *fs, const char *args)
{
	struct adopt_req q;
	char why[320];
	int ret = adopt_check(fs, args, &q, why, sizeof(why));

	if (ret) {
		tapefs_error(fs, ".library: %s", why);
		return ret;
	}
	ret = library_adopt_request(fs->library, q.label,
				    q.prefix[0] ? q.prefix : NULL);
	if (ret == -EALREADY)
		tapefs_error(fs, ".library: an adoption is queued or running");
	else if (ret == -ENODEV)
		tapefs_error(fs, ".library: adopt: no changer configured");
	return ret;
}

/* Checked again (the mount checked the whole write before: the library
 * may have changed since), then queued. */
static int library_control(struct tapefs *fs, const char *rel, const char *line)
{
	char why[320];
	int ret;

	if (fs->library && fs->cat && !strncmp(line, "label ", 6))
		return library_label(fs, line + 6);
	ret = library_check(fs, rel, line, why, sizeof(why));
	if (ret) {
		tapefs_error(fs, ".library: %s", why);
		return ret;
	}
	if (!strcmp(line, "inventory")) {
		ret = library_inventory_request(fs->library);
		if (ret == -ENODEV)
			tapefs_error(fs, "inventory: no changer configured");
		return ret;
	}
	if (lifecycle_word(line) >= 0)
		return library_lifecycle(fs, line);
	if (!strncmp(line, "rebuild", 7))
		return library_rebuild(fs, line + 7);
	if (!strncmp(line, "adopt ", 6))
		return library_adopt(fs, line + 6);
	return library_export(fs, line + 7);
}

const struct ns_provider ns_library = {
    .name = ".library",
    .getattr = library_getattr,
    .render = library_render,
    .check = library_check,
    .control = library_control,
};
