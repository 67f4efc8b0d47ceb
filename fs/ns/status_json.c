/* fs/ns/status_json.c - .status.json: the status for machines, one JSON
 * object built with jansson from the engines' figures (fs/ns/status_snap.h);
 * docs/status.md is its schema.
 *
 * Numbers are JSON numbers (bytes, counts, unix times in seconds), what is
 * not known is null, names are strings. A string that is not well-formed
 * UTF-8 (a name is any bytes) is written with each byte that is not as
 * U+FFFD, and the exact bytes follow in a sibling member of the same name
 * with "_hex" appended (two lower-case hex digits a byte); that member is
 * there only then. So the document is valid JSON whatever the names, and
 * nothing is lost.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs/ns/ns_local.h"
#include "fs/ns/status_snap.h"
#include "fs/ns/utf8.h"

#define STATUS_JSON_SCHEMA 1

/* A document under construction: any failed jansson call sets err. */
struct jdoc {
	int err;
};

static void jset(struct jdoc *d, json_t *o, const char *key, json_t *v)
{
	if (json_object_set_new(o, key, v))
		d->err = 1;
}

static void jpush(struct jdoc *d, json_t *a, json_t *v)
{
	if (json_array_append_new(a, v))
		d->err = 1;
}

static json_t *jnum(uint64_t n)
{
	return json_integer(n > INT64_MAX ? INT64_MAX : (json_int_t)n);
}

/* A time, or null when there is none (0). */
static json_t *jtime(int64_t t)
{
	return t > 0 ? json_integer(t) : json_null();
}

/* o[key] = s as a JSON string (null when s is NULL), and o[key_hex]
 * when s is not well-formed UTF-8 (see the top of this file). */
static void jtext(struct jdoc *d, json_t *o, const char *key, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	struct strbuf sb, hex;
	char k[64];

	if (!s) {
		jset(d, o, key, json_null());
		return;
	}
	if (utf8_valid(s, len)) {
		jset(d, o, key, json_stringn(s, len));
		return;
	}
	strbuf_init(&sb);
	strbuf_init(&hex);
	utf8_sanitize(&sb, s, len);
	for (size_t i = 0; i < len; i++)
		strbuf_addf(&hex, "%02x", (unsigned char)s[i]);
	snprintf(k, sizeof(k), "%s_hex", key);
	if (strbuf_oom(&sb) || strbuf_oom(&hex)) {
		d->err = 1;
	} else {
		jset(d, o, key, json_stringn(sb.buf, sb.len));
		jset(d, o, k, json_stringn(hex.buf, hex.len));
	}
	strbuf_release(&sb);
	strbuf_release(&hex);
}

/* s, or NULL (JSON null) when it is empty. */
static const char *or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

struct tapes_ctx {
	struct jdoc *d;
	json_t *arr;
};

static void tape_item(void *vctx, const char *barcode, long fileno)
{
	struct tapes_ctx *c = vctx;
	json_t *t = json_object();

	jtext(c->d, t, "tape", barcode);
	jset(c->d, t, "file", fileno >= 0 ? json_integer(fileno) : json_null());
	jpush(c->d, c->arr, t);
}

/* [{"tape": "A00003L9", "file": 7}, ...] of a dump's tape list. */
static json_t *jtapes(struct jdoc *d, const char *list)
{
	struct tapes_ctx c = {.d = d, .arr = json_array()};

	status_tapes_each(list, tape_item, &c);
	return c.arr;
}

static json_t *drive_progress(struct jdoc *d,
			      const struct sched_drive_status *st)
{
	json_t *p;

	if (!st->job[0])
		return json_null();
	p = json_object();
	jset(d, p, "percent",
	     st->percent >= 0 ? json_integer(st->percent) : json_null());
	jset(d, p, "bytes_done", jnum(st->bytes_done));
	jset(d, p, "rate_bytes_per_second",
	     st->mbps > 0 ? json_real(st->mbps * 1e6) : json_null());
	jset(d, p, "eta_seconds",
	     st->eta_s >= 0 ? json_integer(st->eta_s) : json_null());
	return p;
}

static json_t *drive_json(struct jdoc *d, const struct sched_drive_status *st)
{
	json_t *o = json_object(), *pos = json_null();

	jset(d, o, "drive", json_integer(st->drive));
	jset(d, o, "state", json_string(sched_state_name(st->state)));
	jtext(d, o, "tape", or_null(st->barcode));
	jset(d, o, "home_slot",
	     st->home > 0 ? json_integer(st->home) : json_null());
	jtext(d, o, "device", st->dev);
	if (st->file >= 0) {
		pos = json_object();
		jset(d, pos, "file", json_integer(st->file));
		jset(d, pos, "block",
		     st->block >= 0 ? json_integer(st->block) : json_null());
	}
	jset(d, o, "position", pos);
	jtext(d, o, "job", or_null(st->job));
	jset(d, o, "progress", drive_progress(d, st));
	jset(d, o, "faults", json_integer(st->faults));
	jtext(d, o, "reason", or_null(st->reason));
	jset(d, o, "jobs_done", jnum(st->jobs_done));
	jset(d, o, "loads", jnum(st->loads));
	jset(d, o, "unloads", jnum(st->unloads));
	jset(d, o, "bytes_written", jnum(st->bytes_written));
	jset(d, o, "bytes_read", jnum(st->bytes_read));
	return o;
}

static json_t *drives_json(struct jdoc *d, const struct status_snap *s)
{
	json_t *a = json_array();

	for (int i = 0; i < s->ndrives; i++)
		jpush(d, a, drive_json(d, &s->drives[i]));
	return a;
}

static json_t *dump_current(struct jdoc *d, const struct dump_stats *st)
{
	json_t *o;

	if (!st->running)
		return json_null();
	o = json_object();
	jset(d, o, "id", json_integer(st->current_id));
	jset(d, o, "files", jnum(st->current_files));
	jset(d, o, "bytes", jnum(st->current_bytes));
	jset(d, o, "percent", json_integer(st->percent));
	jset(d, o, "tapes", jtapes(d, st->current_tapes));
	return o;
}

static json_t *dump_last(struct jdoc *d, const struct dump_stats *st)
{
	json_t *o;

	if (!st->last_id)
		return json_null();
	o = json_object();
	jset(d, o, "id", json_integer(st->last_id));
	jset(d, o, "time", jtime(st->last_time));
	jset(d, o, "files", jnum(st->last_files));
	jset(d, o, "bytes", jnum(st->last_bytes));
	jset(d, o, "tapes", jtapes(d, st->last_tapes));
	return o;
}

/* {"time": T, "message": M}, or null when msg is empty. */
static json_t *jerror(struct jdoc *d, int64_t when, const char *msg)
{
	json_t *o;

	if (!msg[0])
		return json_null();
	o = json_object();
	jset(d, o, "time", jtime(when));
	jtext(d, o, "message", msg);
	return o;
}

/* What the dump engine says, then what the catalog's journal holds. */
static json_t *dump_json(struct jdoc *d, const struct status_snap *s)
{
	const struct dump_stats *st = &s->dump;
	json_t *o = json_object();

	jset(d, o, "state",
	     json_string(!s->have_dump ? "unavailable"
			 : st->running ? "running"
				       : "idle"));
	if (s->have_dump) {
		jset(d, o, "current", dump_current(d, st));
		jset(d, o, "staged_files", jnum(st->staged_files));
		jset(d, o, "staged_bytes", jnum(st->staged_bytes));
		jset(d, o, "pending_files", jnum(st->eligible_files));
		jset(d, o, "pending_bytes", jnum(st->eligible_bytes));
		jset(d, o, "committed_since_mount", jnum(st->dumps_committed));
		jset(d, o, "last", dump_last(d, st));
		jset(d, o, "error",
		     jerror(d, st->last_error_time, st->last_error));
		jtext(d, o, "waiting", or_null(st->waiting));
		jset(d, o, "paused", json_boolean(st->paused));
		jset(d, o, "failures_in_a_row", json_integer(st->fails));
	}
	if (s->have_tally) {
		jset(d, o, "committed_total", jnum(s->tally.committed));
		jset(d, o, "failed_total", jnum(s->tally.failed));
		jset(d, o, "last_success_time", jtime(s->tally.last_committed));
		jset(d, o, "last_failure_time", jtime(s->tally.last_failed));
	}
	return o;
}

static json_t *verify_run(struct jdoc *d, const struct verify_progress *p)
{
	json_t *o;

	if (!p->run_id)
		return json_null();
	o = json_object();
	jset(d, o, "id", json_integer(p->run_id));
	jset(d, o, "state", json_string(p->state));
	jset(d, o, "percent", json_integer(p->percent));
	jset(d, o, "bytes_planned", jnum(p->bytes_planned));
	jset(d, o, "bytes_done", jnum(p->bytes_done));
	jset(d, o, "tapes_planned", jnum(p->tapes_planned));
	jset(d, o, "tapes_done", jnum(p->tapes_done));
	jset(d, o, "members_done", jnum(p->members_done));
	jset(d, o, "ok", jnum(p->ok));
	jset(d, o, "bad", jnum(p->bad));
	jset(d, o, "unreadable", jnum(p->unreadable));
	jset(d, o, "started", jtime(p->started));
	jset(d, o, "ended", jtime(p->ended));
	return o;
}

static json_t *verify_json(struct jdoc *d, const struct status_snap *s)
{
	json_t *o = json_object();

	jset(d, o, "state",
	     json_string(!s->have_verify     ? "unavailable"
			 : s->verify.running ? "running"
					     : "idle"));
	if (s->have_verify)
		jset(d, o, "run", verify_run(d, &s->verify));
	if (s->have_tally)
		jset(d, o, "last_success_time", jtime(s->verify_last_clean));
	return o;
}

static json_t *recall_json(struct jdoc *d, const struct status_snap *s)
{
	json_t *o = json_object();

	jset(d, o, "state",
	     json_string(s->have_recall ? "available" : "unavailable"));
	if (!s->have_recall)
		return o;
	jset(d, o, "queue", jnum(s->recall.queued));
	jset(d, o, "cache_bytes", jnum(s->recall.used));
	jset(d, o, "cache_limit_bytes",
	     s->recall.limit == UINT64_MAX ? json_null()
					   : jnum(s->recall.limit));
	return o;
}

/* {"scratch": N, "open": N, ...}: every state, 0 included. */
static json_t *by_state(struct jdoc *d, const uint64_t *n)
{
	json_t *o = json_object();

	for (int i = 0; i < STATUS_TAPE_STATES; i++)
		jset(d, o, catalog_tape_state_name(i), jnum(n[i]));
	return o;
}

/* [{"tape": B}, ...]: the tapes holding archives this catalog does not
 * know (the first STATUS_UNKNOWN_KEPT). */
static json_t *unknown_json(struct jdoc *d, const struct status_snap *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < s->nunknown && i < STATUS_UNKNOWN_KEPT; i++) {
		json_t *t = json_object();

		jtext(d, t, "tape", s->unknown[i]);
		jpush(d, a, t);
	}
	return a;
}

static json_t *tapes_json(struct jdoc *d, const struct status_snap *s)
{
	json_t *o = json_object(), *pools = json_array();

	if (s->have_tapes) {
		jset(d, o, "total", jnum(s->tapes_total));
		jset(d, o, "by_state", by_state(d, s->tapes_by_state));
	}
	for (size_t i = 0; i < s->npools; i++) {
		json_t *p = json_object();

		jtext(d, p, "pool", s->pools[i].name);
		jset(d, p, "configured", json_boolean(s->pools[i].configured));
		jset(d, p, "total", jnum(s->pools[i].total));
		jset(d, p, "by_state", by_state(d, s->pools[i].by_state));
		jpush(d, pools, p);
	}
	jset(d, o, "pools", pools);
	jset(d, o, "unknown_total", jnum(s->nunknown));
	jset(d, o, "unknown", unknown_json(d, s));
	return o;
}

static json_t *errors_json(struct jdoc *d, const struct status_snap *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < s->nerrors; i++)
		jpush(d, a, jerror(d, s->errors[i].when, s->errors[i].msg));
	return a;
}

static json_t *status_json(struct jdoc *d, const struct status_snap *s)
{
	json_t *o = json_object();

	jset(d, o, "schema", json_integer(STATUS_JSON_SCHEMA));
	jset(d, o, "time", json_integer(s->now));
	jset(d, o, "mounted", jtime(s->mounted));
	jset(d, o, "drives", s->have_sched ? drives_json(d, s) : json_array());
	jset(d, o, "drive_queue", json_integer(s->drive_queue));
	jset(d, o, "dump", dump_json(d, s));
	jset(d, o, "verify", verify_json(d, s));
	jset(d, o, "recall", recall_json(d, s));
	jset(d, o, "tapes", tapes_json(d, s));
	jset(d, o, "errors_total", jnum(s->errors_total));
	jset(d, o, "errors", errors_json(d, s));
	return o;
}

int status_render_json(struct tapefs *fs, struct strbuf *out)
{
	struct status_snap s;
	struct jdoc d = {0};
	json_t *doc = NULL;
	char *text = NULL;
	int ret;

	ret = status_snap_take(fs, &s);
	if (ret)
		goto out_release;
	doc = status_json(&d, &s);
	if (!doc || d.err) {
		ret = -ENOMEM;
		goto out_release;
	}
	text = json_dumps(doc, JSON_INDENT(2));
	if (!text) {
		ret = -ENOMEM;
		goto out_release;
	}
	strbuf_add(out, text, strlen(text));
	strbuf_add(out, "\n", 1);
	ret = strbuf_oom(out) ? -ENOMEM : 0;
out_release:
	free(text);
	json_decref(doc);
	status_snap_release(&s);
	return ret;
}
