/* tests/test_status_render.c - the status for machines, rendered without a
 * mount: well-formed UTF-8 (RFC 3629) and the replacement of what is not;
 * .status.json read back with jansson (typed figures, U+FFFD and NAME_hex
 * for a name that is not UTF-8, the engines that do not run said so);
 * .metrics label escaping; .library.svg of a library with import/export
 * slots, every slot there and the whole document well-formed UTF-8. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "fs/engine/strbuf.h"
#include "fs/engine/tapefs.h"
#include "fs/ns/ns_local.h"
#include "fs/ns/utf8.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static size_t seq(const char *s)
{
	return utf8_seq((const unsigned char *)s, strlen(s));
}

static void test_utf8(void)
{
	struct strbuf sb;
	static const char bad[] = "a\xff"
				  "b\xe2\x82";

	CHECK_INT(seq("a"), 1);
	CHECK_INT(seq("\xc3\xa9"), 2);	       /* U+00E9 */
	CHECK_INT(seq("\xe2\x82\xac"), 3);     /* U+20AC */
	CHECK_INT(seq("\xf0\x9f\x98\x80"), 4); /* U+1F600 */
	CHECK_INT(seq("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF */
	CHECK_INT(seq("\xc0\x80"), 0);	       /* overlong NUL */
	CHECK_INT(seq("\xc1\xbf"), 0);	       /* overlong */
	CHECK_INT(seq("\xe0\x80\x80"), 0);     /* overlong */
	CHECK_INT(seq("\xf0\x80\x80\x80"), 0); /* overlong */
	CHECK_INT(seq("\xed\xa0\x80"), 0);     /* surrogate U+D800 */
	CHECK_INT(seq("\xf4\x90\x80\x80"), 0); /* above U+10FFFF */
	CHECK_INT(seq("\xf5\x80\x80\x80"), 0);
	CHECK_INT(seq("\x80"), 0);     /* a lone continuation */
	CHECK_INT(seq("\xe2\x82"), 0); /* cut short */
	CHECK_INT(seq("\xe2\x82x"), 0);
	CHECK(utf8_valid("caf\xc3\xa9", 5));
	CHECK(!utf8_valid("caf\xe9", 4));
	strbuf_init(&sb);
	utf8_sanitize(&sb, bad, sizeof(bad) - 1);
	CHECK_STR(sb.buf, "a\xef\xbf\xbd"
			  "b\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(utf8_valid(sb.buf, sb.len));
	strbuf_release(&sb);
}

/* A mount's state without engines: a catalog of four tapes and a config
 * of three pools, one named with a byte that is not UTF-8. */
static int fs_make(struct tapefs *fs, const char *catname)
{
	static char *pools[] = {"A", "P\xe9", "q\"b\\c"};
	struct catalog_tape t;

	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->errors.lock, NULL);
	fs->cfg.npools = 3;
	for (int i = 0; i < 3; i++)
		fs->cfg.pools[i] = pools[i];
	fs->mounted = 1700000000;
	fs->cat = fx_catalog(catname);
	if (!fs->cat)
		return -EIO;
	t = fx_tape("A00001L9", "A", CATALOG_TAPE_SCRATCH, 64 << 20);
	CHECK_INT(catalog_tape_add(fs->cat, &t), 0);
	t = fx_tape("A00002L9", "A", CATALOG_TAPE_SCRATCH, 64 << 20);
	CHECK_INT(catalog_tape_add(fs->cat, &t), 0);
	t = fx_tape("P00001L9", "P\xe9", CATALOG_TAPE_FULL, 64 << 20);
	CHECK_INT(catalog_tape_add(fs->cat, &t), 0);
	t = fx_tape("Z00001L9", "Z", CATALOG_TAPE_OPEN, 64 << 20);
	CHECK_INT(catalog_tape_add(fs->cat, &t), 0);
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void test_json(void)
{
	struct tapefs fs;
	struct strbuf sb;
	json_error_t err;
	json_t *d, *tapes, *pools, *e;

	if (fs_make(&fs, "json.db"))
		return;
	tapefs_error(&fs, "tape %s: caf\xe9", "A00001L9");
	strbuf_init(&sb);
	CHECK_INT(status_render_json(&fs, &sb), 0);
	d = json_loads(sb.buf ? sb.buf : "", 0, &err);
	CHECK(d != NULL);
	if (!d)
		goto out;
	CHECK_INT(json_integer_value(json_object_get(d, "schema")), 1);
	CHECK(json_is_array(json_object_get(d, "drives")));
	CHECK_INT(json_array_size(json_object_get(d, "drives")), 0);
	CHECK_STR(jstr(json_object_get(d, "dump"), "state"), "unavailable");
	CHECK_STR(jstr(json_object_get(d, "verify"), "state"), "unavailable");
	CHECK_STR(jstr(json_object_get(d, "recall"), "state"), "unavailable");
	/* the journal is the catalog's: there without the dump engine */
	CHECK(json_is_integer(
	    json_object_get(json_object_get(d, "dump"), "committed_total")));
	tapes = json_object_get(d, "tapes");
	CHECK(json_is_integer(json_object_get(tapes, "total")));
	CHECK_INT(json_integer_value(json_object_get(tapes, "total")), 4);
	CHECK_INT(json_integer_value(json_object_get(
		      json_object_get(tapes, "by_state"), "scratch")),
		  2);
	pools = json_object_get(tapes, "pools");
	CHECK_INT(json_array_size(pools), 4); /* 3 configured, then Z */
	CHECK_STR(jstr(json_array_get(pools, 1), "pool"), "P\xef\xbf\xbd");
	CHECK_STR(jstr(json_array_get(pools, 1), "pool_hex"), "50e9");
	CHECK_INT(
	    json_integer_value(json_object_get(
		json_object_get(json_array_get(pools, 1), "by_state"), "full")),
	    1);
	CHECK_STR(jstr(json_array_get(pools, 2), "pool"), "q\"b\\c");
	CHECK(json_object_get(json_array_get(pools, 2), "pool_hex") == NULL);
	CHECK_STR(jstr(json_array_get(pools, 3), "pool"), "Z");
	CHECK(json_is_false(
	    json_object_get(json_array_get(pools, 3), "configured")));
	CHECK_INT(json_integer_value(json_object_get(d, "errors_total")), 1);
	e = json_array_get(json_object_get(d, "errors"), 0);
	CHECK_STR(jstr(e, "message"), "tape A00001L9: caf\xef\xbf\xbd");
	CHECK_STR(jstr(e, "message_hex"),
		  "74617065204130303030314c393a20636166e9");
	CHECK(json_is_integer(json_object_get(e, "time")));
	json_decref(d);
out:
	strbuf_release(&sb);
	catalog_close(fs.cat);
	pthread_mutex_destroy(&fs.errors.lock);
}

static void test_metrics(void)
{
	struct tapefs fs;
	struct strbuf sb;

	if (fs_make(&fs, "metrics.db"))
		return;
	strbuf_init(&sb);
	CHECK_INT(status_render_metrics(&fs, &sb), 0);
	CHECK(sb.buf && utf8_valid(sb.buf, sb.len));
	CHECK(sb.buf &&
	      strstr(sb.buf, "\ntapefs_scratch_tapes{pool=\"A\"} 2\n"));
	CHECK(sb.buf &&
	      strstr(sb.buf,
		     "\ntapefs_scratch_tapes{pool=\"P\xef\xbf\xbd\"} 0\n"));
	CHECK(
	    sb.buf &&
	    strstr(sb.buf, "\ntapefs_scratch_tapes{pool=\"q\\\"b\\\\c\"} 0\n"));
	CHECK(sb.buf &&
	      strstr(sb.buf, "\ntapefs_tapes{pool=\"Z\",state=\"open\"} 1\n"));
	CHECK(sb.buf &&
	      strstr(sb.buf, "# TYPE tapefs_dumps_committed_total counter\n"
			     "tapefs_dumps_committed_total 0\n"));
	CHECK(sb.buf && strstr(sb.buf, "\ntapefs_errors_total 0\n"));
	/* no scheduler: no drive families */
	CHECK(sb.buf && !strstr(sb.buf, "tapefs_drive"));
	strbuf_release(&sb);
	catalog_close(fs.cat);
	pthread_mutex_destroy(&fs.errors.lock);
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; s && (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

static void test_svg(void)
{
	char dir[512];
	struct fx_lib o = {.drives = 2,
			   .slots = 12,
			   .ie = 2,
			   .tapes = 8,
			   .capacity = 32 << 20,
			   .pools = 1};
	struct changer *c = NULL;
	struct tapefs fs;
	struct strbuf sb;

	strbuf_init(&sb);
	if (fs_make(&fs, "svg.db") || fx_mkdtemp(dir, sizeof(dir), "lib") ||
	    fx_lib_setup(dir, &o) || !(c = fx_changer(dir)) ||
	    !(fs.sched = fx_sched(c, 2)))
		goto out;
	CHECK_INT(status_render_svg(&fs, &sb), 0);
	CHECK(sb.buf && utf8_valid(sb.buf, sb.len));
	CHECK_INT(count(sb.buf, "class=\"slot\""), 14);
	CHECK_INT(count(sb.buf, "class=\"drive\""), 2);
	CHECK(count(sb.buf, "id=\"slot-14\""));
	CHECK_INT(count(sb.buf, " I/E</text>"), 2);
	/* the catalog knows A00001L9, A00002L9; the others are not in it */
	CHECK_INT(count(sb.buf, "not in catalog"), 6);
	CHECK(count(sb.buf, ">pool P\xef\xbf\xbd</text>"));
	CHECK(count(sb.buf, ">pool q&quot;b\\c</text>"));
	CHECK(sb.buf && !strncmp(sb.buf, "<?xml", 5));
	CHECK(sb.len > 6 && !strcmp(sb.buf + sb.len - 7, "</svg>\n"));
out:
	strbuf_release(&sb);
	sched_stop(fs.sched);
	if (c)
		changer_close(c);
	catalog_close(fs.cat);
	pthread_mutex_destroy(&fs.errors.lock);
}

int main(void)
{
	test_utf8();
	test_json();
	test_metrics();
	test_svg();
	return check_done();
}
