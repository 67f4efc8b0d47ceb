/* fs/ns/ns_verify.c - what the verify engine shows in the mount: the control
 * file `.verify`, the results under verify/RUN/, and its lines in .status
 * and tapes/LABEL/.status. FUSE-free: the mount turns these answers into
 * replies (fs/ns/ns.h).
 *
 *   verify/              one directory per run, and latest -> RUN
 *   verify/RUN/summary   state, progress, totals, MB/s per drive
 *   verify/RUN/failures  "LABEL BAD|UNREADABLE md5 path" per failed member
 *   verify/RUN/LABEL     "OK|BAD|UNREADABLE md5 path" per member checked
 *
 * failures and LABEL have a line per member (millions for a tape of
 * small files): they are rendered in parts as they are read
 * (dir_render_part()), never whole.
 *
 * Paths in result lines are escaped as in the tape manifest (a newline is
 * "\n", a backslash "\\", other control bytes "\xHH"), so that one member
 * is always one line; an unreadable member's md5 is "-".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/tapefs.h"
#include "fs/engine/verify.h"
#include "tapeio/manifest.h"

/* The grammar, as reading `.verify` shows it (fs/engine/verify.h). */
static const char verify_grammar[] =
    "requests (one line written to .verify):\n"
    "  all              verify every copy of every archive\n"
    "  tape LABEL...    verify every copy on these tapes\n"
    "  unverified       verify the copies never verified OK\n"
    "  sample PCT       read back PCT% (1-100) of the files of every\n"
    "                   archive copy, chosen at random, at least one each\n"
    "  cancel           stop the running verification\n";

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !localtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

/* "7" -> 7; no sign, no leading zero, no trailing bytes. */
static int parse_run(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (!len || len > 18 || (s[0] == '0'))
		return -ENOENT;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -ENOENT;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* ---- does run hold results for a tape? ----------------------------------- */

static int stop_first(void *ctx, const struct catalog_result_row *r)
{
	(void)ctx;
	(void)r;
	return 1;
}

static int run_has_tape(struct tapefs *fs, int64_t run, const char *barcode)
{
	if (verify_run_has_tape(fs->verify, run, barcode))
		return 1;
	return catalog_run_results(fs->cat, run, barcode, 0, stop_first,
				   NULL) == 1;
}

/* ---- .verify ------------------------------------------------------------- */

static int ctl_getattr(struct tapefs *fs, const char *rel, struct ns_attr *out)
{
	if (*rel)
		return -ENOTDIR;
	if (!fs->verify)
		return -ENOENT;
	out->kind = NS_CONTROL;
	out->st.st_mode = 0644;
	return 0;
}

static int verify_render(struct verify *v, struct strbuf *out);

static int ctl_render(struct tapefs *fs, const char *rel, struct strbuf *out)
{
	(void)rel;
	if (!fs->verify)
		return -ENOENT;
	return verify_render(fs->verify, out);
}

static int ctl_check(struct tapefs *fs, const char *rel, const char *line,
		     char *why, size_t whylen)
{
	(void)rel;
	if (!fs->verify) {
		snprintf(why, whylen, "no verify engine in this mount");
		return -ENODEV;
	}
	return verify_request_check(fs->verify, line, why, whylen);
}

/* A refusal now (a run started since the check) is kept with those the
 * mount makes, so that reading .verify shows the last of them all. */
static int ctl_control(struct tapefs *fs, const char *rel, const char *line)
{
	char req[128], why[320];
	time_t when;
	int ret;

	(void)rel;
	if (!fs->verify)
		return -ENODEV;
	ret = verify_request(fs->verify, line, NULL);
	if (ret) {
		verify_refusal(fs->verify, req, sizeof(req), why, sizeof(why),
			       &when);
		tapefs_refused(fs, ".verify", line, strlen(line),
			       why[0] ? why : strerror(-ret));
	}
	return ret;
}

const struct ns_provider ns_verify_ctl = {
    .name = ".verify",
    .getattr = ctl_getattr,
    .render = ctl_render,
    .check = ctl_check,
    .control = ctl_control,
};

/* What reading `.verify` shows: the current or last run (id, request,
 * state, progress) and the grammar (the mount adds the last refused
 * request with its reason: ns_ctl_refusal_render()). */
static int verify_render(struct verify *v, struct strbuf *out)
{
	struct verify_progress p;
	char t1[32], t2[32];
	int ret;

	ret = verify_progress(v, &p);
	if (ret)
		return ret;
	if (p.run_id) {
		struct catalog_run r;
		int live;

		if (!verify_run_get(v, p.run_id, &r, &live)) {
			fmt_time(p.started, t1, sizeof(t1));
			fmt_time(p.ended, t2, sizeof(t2));
			strbuf_addf(out, "run: %" PRId64 "\nrequest: %s\n",
				    r.id, r.request);
			if (p.running)
				strbuf_addf(out, "state: running %d%%\n",
					    p.percent);
			else
				strbuf_addf(out, "state: %s\n", p.state);
			strbuf_addf(out, "started: %s\n", t1);
			if (!p.running)
				strbuf_addf(out, "ended: %s\n", t2);
			strbuf_addf(out,
				    "members: %" PRIu64 "\nok: %" PRIu64
				    "\nbad: %" PRIu64 "\nunreadable: %" PRIu64
				    "\nresults: verify/%" PRId64 "/\n",
				    p.members_done, p.ok, p.bad, p.unreadable,
				    r.id);
		}
	} else {
		strbuf_addf(out, "state: idle (no verification run yet)\n");
	}
	strbuf_addf(out, "\n%s", verify_grammar);
	return 0;
}

int ns_verify_status(struct tapefs *fs, struct strbuf *out)
{
	struct verify_progress p;
	char t[32];
	int ret;

	if (!fs->verify) {
		strbuf_addf(out, "verify: unavailable\n");
		return 0;
	}
	ret = verify_progress(fs->verify, &p);
	if (ret)
		return ret;
	if (p.running)
		strbuf_addf(out, "verify: run %" PRId64 " %d%%\n", p.run_id,
			    p.percent);
	else
		strbuf_addf(out, "verify: idle\n");
	if (p.run_id && !p.running) {
		fmt_time(p.ended, t, sizeof(t));
		strbuf_addf(out,
			    "verify_last: run %" PRId64 " %s %s ok %" PRIu64
			    " bad %" PRIu64 " unreadable %" PRIu64 "\n",
			    p.run_id, p.state, t, p.ok, p.bad, p.unreadable);
	}
	return 0;
}

struct copy_count {
	uint64_t n, verified, failed;
};

static int count_copy(void *ctx, const struct catalog_copy *c)
{
	struct copy_count *cc = ctx;

	cc->n++;
	cc->verified += c->last_verified != 0;
	cc->failed += c->last_result == CATALOG_RESULT_BAD ||
		      c->last_result == CATALOG_RESULT_UNREADABLE;
	return 0;
}

int ns_verify_tape_status(struct tapefs *fs, const char *barcode,
			  struct strbuf *out)
{
	struct catalog_tape_summary s;
	struct copy_count cc = {0, 0, 0};
	char t[32];
	int ret;

	ret = catalog_tape_summary(fs->cat, barcode, &s);
	if (!ret)
		ret = catalog_tape_copies(fs->cat, barcode, count_copy, &cc);
	if (ret)
		return ret;
	if (s.last_verified) {
		fmt_time((time_t)s.last_verified, t, sizeof(t));
		strbuf_addf(out, "last_verified: %s\n", t);
	} else {
		strbuf_addf(out, "last_verified: never\n");
	}
	strbuf_addf(out, "copies_verified: %" PRIu64 "/%" PRIu64 "\n",
		    cc.verified, cc.n);
	strbuf_addf(out, "copies_failed_verify: %" PRIu64 "\n", cc.failed);
	return 0;
}

/* ---- verify/ ------------------------------------------------------------- */

/* Split rel into run and the name inside it ("" when none). */
static int split_rel(const char *rel, int64_t *run, const char **name)
{
	const char *slash = strchr(rel, '/');
	size_t len = slash ? (size_t)(slash - rel) : strlen(rel);

	*name = slash ? slash + 1 : "";
	if (strchr(*name, '/'))
		return -ENOENT;
	return parse_run(rel, len, run);
}

static int dir_getattr(struct tapefs *fs, const char *rel, struct ns_attr *out)
{
	struct catalog_run r;
	const char *name;
	int64_t run, latest;
	int ret;

	if (!fs->verify || !fs->cat)
		return -ENOENT;
	if (!*rel) {
		out->kind = NS_DIR;
		out->st.st_mode = 0555;
		return 0;
	}
	if (!strcmp(rel, "latest")) {
		latest = catalog_run_latest(fs->cat);
		if (latest < 0)
			return (int)latest;
		if (latest == 0)
			return -ENOENT;
		out->kind = NS_LINK;
		out->st.st_mode = 0777;
		snprintf(out->link, sizeof(out->link), "%" PRId64, latest);
		out->st.st_size = (off_t)strlen(out->link);
		return 0;
	}
	if (!strncmp(rel, "latest/", 7))
		return -ENOENT; /* the kernel follows the link itself */
	ret = split_rel(rel, &run, &name);
	if (ret)
		return ret;
	ret = catalog_run_get(fs->cat, run, &r);
	if (ret)
		return ret;
	out->st.st_mtime = (time_t)r.started;
	out->st.st_ctime = (time_t)r.started;
	out->st.st_atime = (time_t)r.started;
	if (!*name) {
		out->kind = NS_DIR;
		out->st.st_mode = 0555;
		return 0;
	}
	out->kind = NS_TEXT;
	out->st.st_mode = 0444;
	if (!strcmp(name, "summary"))
		return 0;
	out->parts = 1; /* a line per member: read in parts */
	if (!strcmp(name, "failures"))
		return 0;
	return run_has_tape(fs, run, name) ? 0 : -ENOENT;
}

struct list_ctx {
	ns_fill_fn fill;
	void *ctx;
	struct tapefs *fs;
	int64_t run;
	int stopped;
};

static int list_run(void *vctx, const struct catalog_run *r)
{
	struct list_ctx *c = vctx;
	struct ns_attr a;
	char name[24];

	memset(&a, 0, sizeof(a));
	a.kind = NS_DIR;
	a.st.st_mode = S_IFDIR | 0555;
	snprintf(name, sizeof(name), "%" PRId64, r->id);
	if (c->fill(c->ctx, name, &a)) {
		c->stopped = 1;
		return 1;
	}
	return 0;
}

static int list_tape(void *vctx, const struct catalog_tape *t)
{
	struct list_ctx *c = vctx;
	struct ns_attr a;

	if (!run_has_tape(c->fs, c->run, t->barcode))
		return 0;
	memset(&a, 0, sizeof(a));
	a.kind = NS_TEXT;
	a.st.st_mode = S_IFREG | 0444;
	if (c->fill(c->ctx, t->barcode, &a)) {
		c->stopped = 1;
		return 1;
	}
	return 0;
}

static int dir_readdir(struct tapefs *fs, const char *rel, ns_fill_fn fill,
		       void *ctx)
{
	struct list_ctx c = {fill, ctx, fs, 0, 0};
	struct catalog_run r;
	struct ns_attr a;
	const char *name;
	int ret;

	if (!fs->verify || !fs->cat)
		return -ENOENT;
	memset(&a, 0, sizeof(a));
	if (!*rel) {
		int64_t latest = catalog_run_latest(fs->cat);

		if (latest > 0) {
			a.kind = NS_LINK;
			a.st.st_mode = S_IFLNK | 0777;
			if (fill(ctx, "latest", &a))
				return 0;
		}
		ret = catalog_run_list(fs->cat, list_run, &c);
		return ret < 0 ? ret : 0;
	}
	ret = split_rel(rel, &c.run, &name);
	if (ret)
		return ret;
	if (*name)
		return -ENOTDIR;
	ret = catalog_run_get(fs->cat, c.run, &r);
	if (ret)
		return ret;
	a.kind = NS_TEXT;
	a.st.st_mode = S_IFREG | 0444;
	if (fill(ctx, "summary", &a) || fill(ctx, "failures", &a))
		return 0;
	ret = catalog_tape_list(fs->cat, NULL, -1, list_tape, &c);
	return ret < 0 ? ret : 0;
}

static void render_summary(struct tapefs *fs, int64_t run,
			   const struct catalog_run *r, int live,
			   struct strbuf *out)
{
	struct verify_live l;
	char t1[32], t2[32];
	double secs = r->totals.seconds;

	fmt_time((time_t)r->started, t1, sizeof(t1));
	fmt_time((time_t)r->ended, t2, sizeof(t2));
	strbuf_addf(out, "run: %" PRId64 "\nrequest: %s\nstate: %s\n", r->id,
		    r->request, catalog_run_state_name(r->state));
	strbuf_addf(out, "started: %s\n", t1);
	if (live && !verify_run_live(fs->verify, run, &l)) {
		strbuf_addf(out, "progress: %d%%\n",
			    l.bytes_planned
				? (int)(l.progress * 100 / l.bytes_planned)
				: 0);
		strbuf_addf(out, "tapes_planned: %" PRIu64 "\n",
			    l.tapes_planned);
	} else {
		strbuf_addf(out, "ended: %s\n", t2);
	}
	strbuf_addf(out,
		    "tapes: %" PRIu64 "\narchives: %" PRIu64
		    "\nmembers: %" PRIu64 "\nbytes: %" PRIu64 "\nok: %" PRIu64
		    "\nbad: %" PRIu64 "\nunreadable: %" PRIu64
		    "\nseconds: %.2f\n",
		    r->totals.tapes, r->totals.archives, r->totals.members,
		    r->totals.bytes, r->totals.ok, r->totals.bad,
		    r->totals.unreadable, secs);
	strbuf_addf(out, "MB/s: %.1f\n",
		    secs > 0 ? (double)r->totals.bytes / 1e6 / secs : 0.0);
	if (r->detail[0])
		strbuf_addf(out, "%s%s", r->detail,
			    r->detail[strlen(r->detail) - 1] == '\n' ? ""
								     : "\n");
}

struct rows_ctx {
	struct strbuf *out;
	int with_label;
	struct tapefs *fs;
	const struct ns_reader *who;
	struct ns_reader_memo *memo; /* NULL: every row is shown */
};

/* One result line, when its reader could stat the member through the
 * mount (under archive/, its path as the catalog has it). */
static int render_row(void *vctx, const struct catalog_result_row *r)
{
	struct rows_ctx *c = vctx;
	char *esc = NULL;

	if (c->memo &&
	    !ns_reader_may_stat(c->fs, c->who, r->path ? r->path : "", c->memo))
		return 0;
	if (manifest_escape(r->path ? r->path : "", &esc))
		return -ENOMEM;
	if (c->with_label)
		strbuf_addf(c->out, "%s ", r->barcode);
	strbuf_addf(c->out, "%s %s %s\n", catalog_result_name(r->result),
		    r->md5[0] ? r->md5 : "-", esc);
	free(esc);
	return strbuf_oom(c->out) ? -ENOMEM : 0;
}

/* A run's texts as reader who may see them: the summary whole (totals,
 * no names); results only of members who could stat (fs/ns/ns.h). */
static int dir_render_for(struct tapefs *fs, const char *rel,
			  const struct ns_reader *who, struct strbuf *out)
{
	struct rows_ctx c = {out, 0, fs, who, NULL};
	struct catalog_run *r;
	const char *name;
	int64_t run;
	int live, ret;

	if (!fs->verify || !fs->cat)
		return -ENOENT;
	ret = split_rel(rel, &run, &name);
	if (ret)
		return ret;
	r = malloc(sizeof(*r));
	if (who && !who->all)
		c.memo = calloc(1, sizeof(*c.memo));
	if (!r || (who && !who->all && !c.memo)) {
		free(r);
		return -ENOMEM;
	}
	ret = verify_run_get(fs->verify, run, r, &live);
	if (ret)
		goto out_free;
	if (!strcmp(name, "summary")) {
		render_summary(fs, run, r, live, out);
	} else if (!strcmp(name, "failures")) {
		c.with_label = 1;
		ret =
		    catalog_run_results(fs->cat, run, NULL, 1, render_row, &c);
	} else if (*name) {
		ret =
		    catalog_run_results(fs->cat, run, name, 0, render_row, &c);
	} else {
		ret = -EISDIR;
	}
out_free:
	free(c.memo);
	free(r);
	return ret < 0 ? ret : 0;
}

struct part_ctx {
	struct rows_ctx rows;
	size_t want;
	struct ns_cursor *cur;
};

/* render_row(), then where it is: the part ends once it holds want. */
static int part_row(void *vctx, const struct catalog_result_row *r)
{
	struct part_ctx *c = vctx;
	int ret = render_row(&c->rows, r);

	if (ret)
		return ret;
	c->cur->started = 1;
	snprintf(c->cur->s, sizeof(c->cur->s), "%s", r->barcode);
	c->cur->a = r->fileno;
	c->cur->b = r->member_id;
	return c->rows.out->len >= c->want;
}

/* failures and verify/RUN/LABEL in parts (fs/ns/ns.h): each a seek in the
 * catalog from the row where the last part ended. */
static int dir_render_part(struct tapefs *fs, const char *rel,
			   const struct ns_reader *who, struct ns_cursor *cur,
			   size_t want, struct strbuf *out)
{
	struct part_ctx c = {{out, 0, fs, who, NULL}, want, cur};
	struct catalog_result_key key;
	const char *name;
	int64_t run;
	int fail, ret;

	if (!fs->verify || !fs->cat)
		return -ENOENT;
	ret = split_rel(rel, &run, &name);
	if (ret)
		return ret;
	if (!*name || !strcmp(name, "summary"))
		return -EINVAL; /* not a text in parts */
	fail = !strcmp(name, "failures");
	c.rows.with_label = fail;
	if (who && !who->all &&
	    !(c.rows.memo = calloc(1, sizeof(*c.rows.memo))))
		return -ENOMEM;
	memset(&key, 0, sizeof(key));
	snprintf(key.barcode, sizeof(key.barcode), "%s", cur->s);
	key.fileno = cur->a;
	key.member_id = cur->b;
	ret =
	    catalog_run_results_from(fs->cat, run, fail ? NULL : name, fail,
				     cur->started ? &key : NULL, part_row, &c);
	free(c.rows.memo);
	return ret < 0 ? ret : 0;
}

static int dir_render(struct tapefs *fs, const char *rel, struct strbuf *out)
{
	return dir_render_for(fs, rel, NULL, out);
}

const struct ns_provider ns_verify_dir = {
    .name = "verify",
    .getattr = dir_getattr,
    .readdir = dir_readdir,
    .render = dir_render,
    .render_for = dir_render_for,
    .render_part = dir_render_part,
};
