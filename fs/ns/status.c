/* fs/ns/status.c - the rendering of .status and .status.json. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/tapefs.h"

void status_human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = {"B",	  "KiB", "MiB",
					   "GiB", "TiB", "PiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
}

static void render_errors(struct tapefs *fs, struct strbuf *out)
{
	struct tapefs_errlog *log = &fs->errors;
	uint64_t first;

	pthread_mutex_lock(&log->lock);
	strbuf_addf(out, "errors: %llu\n", (unsigned long long)log->count);
	first = log->count > TAPEFS_ERRORS_KEPT
		    ? log->count - TAPEFS_ERRORS_KEPT
		    : 0;
	for (uint64_t i = first; i < log->count; i++) {
		struct tm tm;
		char when[32];
		time_t t = log->last[i % TAPEFS_ERRORS_KEPT].when;

		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		strbuf_addf(out, "error: %s %s\n", when,
			    log->last[i % TAPEFS_ERRORS_KEPT].msg);
	}
	pthread_mutex_unlock(&log->lock);
}

static void render_drives(struct tapefs *fs, struct strbuf *out)
{
	char line[512];
	int n;

	if (!fs->sched) {
		strbuf_addf(out, "drives: 0\n");
		return;
	}
	n = sched_ndrives(fs->sched);
	strbuf_addf(out, "drives: %d\n", n);
	for (int i = 0; i < n; i++)
		if (sched_drive_line(fs->sched, i, line, sizeof(line)) == 0)
			strbuf_addf(out, "drive%d: %s\n", i, line);
	strbuf_addf(out, "drive_queue: %d\n", sched_queued(fs->sched));
}

int status_render(struct tapefs *fs, struct strbuf *out)
{
	render_drives(fs, out);
	ns_dump_status(fs, out);
	ns_verify_status(fs, out);
	ns_recall_status(fs, out);
	status_tapes_render(fs, out);
	status_library_render(fs, out);
	render_errors(fs, out);
	return strbuf_oom(out) ? -ENOMEM : 0;
}

void status_json_string(struct strbuf *out, const char *s, size_t len)
{
	strbuf_add(out, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			strbuf_addf(out, "\\%c", c);
		else if (c < 0x20)
			strbuf_addf(out, "\\u%04x", c);
		else
			strbuf_add(out, &s[i], 1);
	}
	strbuf_add(out, "\"", 1);
}

/* A JSON number exactly as written: digits with at most one '.'. */
static int is_number(const char *s, size_t len)
{
	int dot = 0;

	if (!len || len > 18 || (s[0] == '0' && len > 1 && s[1] != '.'))
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.' && !dot && i && i + 1 < len)
			dot = 1;
		else if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return 1;
}

static void json_value(struct strbuf *out, const char *v, size_t len)
{
	if (is_number(v, len))
		strbuf_add(out, v, len);
	else
		status_json_string(out, v, len);
}

/* Lines "key: value" of text; returns how many have key k. */
static int count_key(const char *text, const char *k, size_t klen)
{
	int n = 0;

	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');

		if (!strncmp(l, k, klen) && l[klen] == ':')
			n++;
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

int status_render_json(struct tapefs *fs, struct strbuf *out)
{
	struct strbuf text;
	int first = 1;

	strbuf_init(&text);
	status_render(fs, &text);
	if (strbuf_oom(&text)) {
		strbuf_release(&text);
		return -ENOMEM;
	}
	strbuf_add(out, "{", 1);
	for (const char *l = text.buf; l && *l;) {
		const char *nl = strchr(l, '\n'),
			   *end = nl ? nl : l + strlen(l);
		const char *colon = memchr(l, ':', (size_t)(end - l));
		size_t klen;

		if (!colon)
			goto next;
		klen = (size_t)(colon - l);
		/* keys seen before on an earlier line were written already */
		int seen = 0;
		for (const char *m = text.buf; m < l;) {
			if (!strncmp(m, l, klen) && m[klen] == ':')
				seen = 1;
			m = strchr(m, '\n') + 1;
		}
		if (seen)
			goto next;
		strbuf_addf(out, "%s\n  ", first ? "" : ",");
		first = 0;
		status_json_string(out, l, klen);
		strbuf_add(out, ": ", 2);
		int many = count_key(text.buf, l, klen) > 1 ||
			   !strncmp(l, "error", klen);
		if (many)
			strbuf_add(out, "[", 1);
		int firstv = 1;
		for (const char *m = l; m && *m;) {
			const char *mnl = strchr(m, '\n');
			const char *mend = mnl ? mnl : m + strlen(m);

			if (!strncmp(m, l, klen) && m[klen] == ':') {
				const char *v = m + klen + 1;

				while (v < mend && *v == ' ')
					v++;
				if (!firstv)
					strbuf_add(out, ", ", 2);
				firstv = 0;
				json_value(out, v, (size_t)(mend - v));
				if (!many)
					break;
			}
			m = mnl ? mnl + 1 : NULL;
		}
		if (many)
			strbuf_add(out, "]", 1);
	next:
		l = nl ? nl + 1 : NULL;
	}
	strbuf_add(out, "\n}\n", 3);
	strbuf_release(&text);
	return strbuf_oom(out) ? -ENOMEM : 0;
}

void ns_size_by_render(struct tapefs *fs, const struct ns_provider *p,
		       const char *rel, struct ns_attr *out)
{
	struct strbuf sb;

	strbuf_init(&sb);
	if (p->render(fs, rel, &sb) == 0 && !strbuf_oom(&sb))
		out->st.st_size = (off_t)sb.len;
	strbuf_release(&sb);
}
