/* fs/ns/export.c - the catalog as CSV or JSON lines (fs/ns/export.h). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ns/export.h"
#include "fs/ns/utf8.h"

static const char *const type_names[] = {"file", "dir", "symlink"};
static const char *const copy_states[] = {"good", "bad", "lost"};

static const char CSV_HEADER[] =
    "path,type,size,mode,uid,gid,mtime,mtime_nsec,md5,copies,archive,"
    "archived,link\r\n";

int export_format_parse(const char *name, enum export_format *out)
{
	if (!name)
		return -EINVAL;
	if (!strcmp(name, "csv"))
		*out = EXPORT_CSV;
	else if (!strcmp(name, "jsonl") || !strcmp(name, "json"))
		*out = EXPORT_JSONL;
	else
		return -EINVAL;
	return 0;
}

void export_header(struct strbuf *out, enum export_format f)
{
	if (f == EXPORT_CSV)
		strbuf_add(out, CSV_HEADER, strlen(CSV_HEADER));
}

static const char *type_name(enum catalog_type t)
{
	return (unsigned)t < 3 ? type_names[t] : "?";
}

static const char *copy_state(enum catalog_copy_state s)
{
	return (unsigned)s < 3 ? copy_states[s] : "?";
}

/* Where member m is on copy c: the record to locate to. */
static uint64_t copy_block(const struct export_record *r,
			   const struct catalog_copy *c)
{
	uint32_t bs = r->a->block_size ? r->a->block_size : 1;

	return c->start_lblock + r->m->header_offset / bs;
}

/* ---- CSV ----------------------------------------------------------------- */

/* s as one RFC 4180 field. */
static void csv_field(struct strbuf *out, const char *s)
{
	if (!s || !strpbrk(s, ",\"\r\n")) {
		if (s)
			strbuf_add(out, s, strlen(s));
		return;
	}
	strbuf_add(out, "\"", 1);
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		strbuf_add(out, s, (size_t)(q - s));
		strbuf_add(out, "\"\"", 2);
	}
	strbuf_add(out, s, strlen(s));
	strbuf_add(out, "\"", 1);
}

static int csv_record(struct strbuf *out, const struct export_record *r)
{
	const struct catalog_member *m = r->m;
	struct strbuf copies;

	strbuf_init(&copies);
	for (size_t i = 0; i < r->ncopies; i++)
		strbuf_addf(&copies, "%s%s:%lld:%llu", i ? "," : "",
			    r->copies[i].barcode,
			    (long long)r->copies[i].fileno,
			    (unsigned long long)copy_block(r, &r->copies[i]));
	if (strbuf_oom(&copies)) {
		strbuf_release(&copies);
		return -ENOMEM;
	}
	csv_field(out, m->path);
	strbuf_addf(out, ",%s,%llu,%04o,%u,%u,%lld,%d,%s,", type_name(m->type),
		    (unsigned long long)m->size, m->mode & 07777, m->uid,
		    m->gid, (long long)m->mtime, m->mtime_nsec, m->md5);
	csv_field(out, copies.buf);
	strbuf_addf(out, ",%lld,%lld,", (long long)r->a->id,
		    (long long)r->a->created);
	csv_field(out, m->link);
	strbuf_add(out, "\r\n", 2);
	strbuf_release(&copies);
	return strbuf_oom(out) ? -ENOMEM : 0;
}

/* ---- JSON lines ---------------------------------------------------------- */

/* o[key] = the JSON value v (taken); 0 or -ENOMEM. */
static int jset(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new(o, key, v) == 0 ? 0 : -ENOMEM;
}

static json_t *jnum(uint64_t n)
{
	return json_integer(n > INT64_MAX ? INT64_MAX : (json_int_t)n);
}

/* o[key] = s as JSON text, null when s is NULL or empty; with key_hex
 * holding its bytes when s is not well-formed UTF-8 (export.h). */
static int jtext(json_t *o, const char *key, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	struct strbuf sb, hex;
	char k[64];
	int ret;

	if (!len)
		return jset(o, key, json_null());
	if (utf8_valid(s, len))
		return jset(o, key, json_stringn(s, len));
	strbuf_init(&sb);
	strbuf_init(&hex);
	utf8_sanitize(&sb, s, len);
	for (size_t i = 0; i < len; i++)
		strbuf_addf(&hex, "%02x", (unsigned char)s[i]);
	snprintf(k, sizeof(k), "%s_hex", key);
	ret = -ENOMEM;
	if (!strbuf_oom(&sb) && !strbuf_oom(&hex) &&
	    !jset(o, key, json_stringn(sb.buf, sb.len)))
		ret = jset(o, k, json_stringn(hex.buf, hex.len));
	strbuf_release(&sb);
	strbuf_release(&hex);
	return ret;
}

static json_t *json_copies(const struct export_record *r)
{
	json_t *a = json_array(), *c;

	for (size_t i = 0; a && i < r->ncopies; i++) {
		const struct catalog_copy *cp = &r->copies[i];

		c = json_object();
		if (!c || json_array_append_new(a, c) ||
		    jtext(c, "tape", cp->barcode) ||
		    jset(c, "file", json_integer(cp->fileno)) ||
		    jset(c, "block", jnum(copy_block(r, cp))) ||
		    jset(c, "state", json_string(copy_state(cp->state)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int json_fill(json_t *o, const struct export_record *r)
{
	const struct catalog_member *m = r->m;
	char mode[8];

	snprintf(mode, sizeof(mode), "%04o", m->mode & 07777);
	if (jtext(o, "path", m->path) ||
	    jset(o, "type", json_string(type_name(m->type))) ||
	    jset(o, "size", jnum(m->size)) ||
	    jset(o, "mode", json_string(mode)) ||
	    jset(o, "uid", json_integer(m->uid)) ||
	    jset(o, "gid", json_integer(m->gid)) ||
	    jset(o, "mtime", json_integer(m->mtime)) ||
	    jset(o, "mtime_nsec", json_integer(m->mtime_nsec)) ||
	    jtext(o, "md5", m->md5) || jset(o, "copies", json_copies(r)) ||
	    jset(o, "archive", json_integer(r->a->id)) ||
	    jset(o, "archived", json_integer(r->a->created)))
		return -ENOMEM;
	return jtext(o, "link", m->link);
}

static int json_record(struct strbuf *out, const struct export_record *r)
{
	json_t *o = json_object();
	char *text = NULL;
	int ret = -ENOMEM;

	if (o && json_fill(o, r) == 0)
		text = json_dumps(o, JSON_COMPACT);
	if (text) {
		strbuf_add(out, text, strlen(text));
		strbuf_add(out, "\n", 1);
		ret = strbuf_oom(out) ? -ENOMEM : 0;
	}
	free(text);
	json_decref(o);
	return ret;
}

int export_record(struct strbuf *out, enum export_format f,
		  const struct export_record *r)
{
	return f == EXPORT_CSV ? csv_record(out, r) : json_record(out, r);
}

/* ---- the walk ------------------------------------------------------------ */

struct export_walk {
	struct catalog *cat;
	enum export_format f;
	FILE *out;
	struct strbuf sb;
	const struct catalog_archive *a;
	struct catalog_copy *copies; /* of a: good ones first */
	size_t ncopies, capcopies;
	uint64_t records;
};

static int add_copy(void *ctx, const struct catalog_copy *c)
{
	struct export_walk *w = ctx;

	if (w->ncopies == w->capcopies) {
		size_t cap = w->capcopies ? 2 * w->capcopies : 4;
		struct catalog_copy *v = realloc(w->copies, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->copies = v;
		w->capcopies = cap;
	}
	w->copies[w->ncopies++] = *c;
	return 0;
}

/* Good copies first, each group in copy id order (as the catalog gives
 * them): the order of user.tapefs.copies. */
static void copies_order(struct export_walk *w)
{
	for (size_t i = 1; i < w->ncopies; i++) {
		struct catalog_copy c = w->copies[i];
		size_t j = i;

		while (j > 0 && c.state == CATALOG_COPY_GOOD &&
		       w->copies[j - 1].state != CATALOG_COPY_GOOD) {
			w->copies[j] = w->copies[j - 1];
			j--;
		}
		w->copies[j] = c;
	}
}

static int flush(struct export_walk *w)
{
	if (w->sb.len && fwrite(w->sb.buf, 1, w->sb.len, w->out) != w->sb.len)
		return -EIO;
	w->sb.len = 0;
	return 0;
}

static int one_member(void *ctx, const struct catalog_member *m)
{
	struct export_walk *w = ctx;
	struct export_record r = {m, w->a, w->copies, w->ncopies};
	int ret = export_record(&w->sb, w->f, &r);

	if (ret)
		return ret;
	w->records++;
	return w->sb.len >= 1 << 16 ? flush(w) : 0;
}

static int one_archive(void *ctx, const struct catalog_archive *a)
{
	struct export_walk *w = ctx;
	int ret;

	w->a = a;
	w->ncopies = 0;
	ret = catalog_archive_copies(w->cat, a->id, add_copy, w);
	if (ret)
		return ret;
	copies_order(w);
	return catalog_archive_members(w->cat, a->id, 0, one_member, w);
}

int export_catalog(struct catalog *cat, enum export_format f, FILE *out,
		   uint64_t *records)
{
	struct export_walk w = {.cat = cat, .f = f, .out = out};
	int ret;

	strbuf_init(&w.sb);
	export_header(&w.sb, f);
	ret = catalog_archives(cat, one_archive, &w);
	if (!ret)
		ret = strbuf_oom(&w.sb) ? -ENOMEM : flush(&w);
	if (!ret && fflush(out) != 0)
		ret = -EIO;
	if (!ret && records)
		*records = w.records;
	strbuf_release(&w.sb);
	free(w.copies);
	return ret;
}
