/* tests/test_tar_manifest.c - the manifest text: escaping round trips any
 * name, encode/decode round trips every field, malformed text is -EINVAL;
 * and tarr_name_safe() refuses or neutralizes dangerous member names. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/manifest.h"
#include "tapeio/tarr.h"
#include "tests/check.h"

static const char *awkward[] = {
    "plain",	   "with space",  "new\nline", "tab\there",
    "back\\slash", "caf\xc3\xa9", "bad\xff",   "ctl\x01\x1f\x7f",
    "\\x41",	   "-",		  "a/b/c",     "trailing\\",
};

static void test_escape_roundtrip(void)
{
	size_t i;
	char *e, *u;

	for (i = 0; i < sizeof(awkward) / sizeof(*awkward); i++) {
		CHECK_INT(manifest_escape(awkward[i], &e), 0);
		CHECK(!strpbrk(e, "\t\n"));
		CHECK_INT(manifest_unescape(e, strlen(e), &u), 0);
		CHECK_STR(u, awkward[i]);
		free(e);
		free(u);
	}
	CHECK_INT(manifest_unescape("a\\x00b", 6, &u), -EINVAL);
	CHECK_INT(manifest_unescape("a\\q", 3, &u), -EINVAL);
	CHECK_INT(manifest_unescape("a\\", 2, &u), -EINVAL);
	CHECK_INT(manifest_unescape("a\\x4", 4, &u), -EINVAL);
	CHECK_INT(manifest_unescape("a\\xzz", 5, &u), -EINVAL);
	CHECK_INT(manifest_unescape("a\0b", 3, &u), -EINVAL);
}

static void fill(struct tar_member *m, size_t i)
{
	memset(m, 0, sizeof(*m));
	m->name = strdup(awkward[i % (sizeof(awkward) / sizeof(*awkward))]);
	m->type = i % 3 == 0 ? TAR_FILE : i % 3 == 1 ? TAR_DIR : TAR_SYMLINK;
	if (m->type == TAR_SYMLINK)
		m->link = strdup(i % 2 ? "-" : "../t\na rget");
	m->size = m->type == TAR_FILE ? 1000000007ull * i : 0;
	m->mode = (mode_t)(i * 0123) & 07777;
	m->uid = (uid_t)(4000000000u - i);
	m->gid = (gid_t)i;
	m->mtime.tv_sec = 1700000000 + (time_t)i;
	m->mtime.tv_nsec = (long)(i * 37);
	m->header_offset = 512 * i * 1000;
	m->data_offset = m->header_offset + 1536;
	strcpy(m->md5, "0123456789abcdef0123456789abcdef");
	m->md5[0] = (char)('a' + i % 6);
}

static void test_encode_decode(void)
{
	enum { N = 30 };
	struct tar_member in[N], *out = NULL;
	size_t i, n = 0, len;
	char *text;

	for (i = 0; i < N; i++)
		fill(&in[i], i);
	CHECK_INT(manifest_encode(in, N, &text, &len), 0);
	CHECK_INT(strlen(text), len);
	CHECK(!strncmp(text, MANIFEST_MAGIC "\n", strlen(MANIFEST_MAGIC) + 1));
	CHECK_INT(manifest_decode(text, len, &out, &n), 0);
	CHECK_INT(n, N);
	for (i = 0; i < n && i < N; i++) {
		CHECK_STR(out[i].name, in[i].name);
		CHECK_INT(out[i].type, in[i].type);
		CHECK(!in[i].link == !out[i].link);
		if (in[i].link)
			CHECK_STR(out[i].link, in[i].link);
		CHECK_INT(out[i].size, in[i].size);
		CHECK_INT(out[i].mode, in[i].mode);
		CHECK_INT(out[i].uid, in[i].uid);
		CHECK_INT(out[i].gid, in[i].gid);
		CHECK_INT(out[i].mtime.tv_sec, in[i].mtime.tv_sec);
		CHECK_INT(out[i].mtime.tv_nsec, in[i].mtime.tv_nsec);
		CHECK_INT(out[i].header_offset, in[i].header_offset);
		CHECK_INT(out[i].data_offset, in[i].data_offset);
		CHECK_STR(out[i].md5, in[i].md5);
	}
	tar_members_free(out, n);
	/* Cut the text anywhere inside the last line: no LF, -EINVAL. */
	CHECK_INT(manifest_decode(text, len - 1, &out, &n), -EINVAL);
	free(text);
	/* An empty manifest. */
	CHECK_INT(manifest_encode(in, 0, &text, &len), 0);
	CHECK_INT(manifest_decode(text, len, &out, &n), 0);
	CHECK_INT(n, 0);
	free(out);
	free(text);
	/* Bad records are refused when encoding. */
	in[0].md5[3] = 'X';
	CHECK_INT(manifest_encode(in, 1, &text, &len), -EINVAL);
	for (i = 0; i < N; i++)
		tar_member_clear(&in[i]);
}

static void test_malformed(void)
{
	static const char *bad[] = {
	    "",
	    "f\t1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY "\t0\t512\tn",
	    "f\t1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY "\t0\t512\tn\t-\tx",
	    "x\t1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY "\t0\t512\tn\t-",
	    "f\t-1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY "\t0\t512\tn\t-",
	    "f\t1\t0648\t0\t0\t1.000000000\t" MD5_EMPTY "\t0\t512\tn\t-",
	    "f\t1\t0644\t0\t0\t1.0\t" MD5_EMPTY "\t0\t512\tn\t-",
	    "f\t1\t0644\t0\t0\t1.000000000\tnope\t0\t512\tn\t-",
	    "f\t1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY "\t0\t512\t\t-",
	    "f\t1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY "\t0\t512\tn\tlink",
	    "f\t1\t0644\t99999999999\t0\t1.000000000\t" MD5_EMPTY
	    "\t0\t512\tn\t-",
	    "f\t99999999999999999999999\t0644\t0\t0\t1.000000000\t" MD5_EMPTY
	    "\t0\t512\tn\t-",
	    "f\t1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY "\t0\t512\tn\\x00\t-",
	};
	struct tar_member m, *out;
	size_t i, n;
	char *text;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		CHECK_INT(manifest_line_decode(bad[i], strlen(bad[i]), &m),
			  -EINVAL);
		if (asprintf(&text, MANIFEST_MAGIC "\n%s\n", bad[i]) > 0) {
			CHECK_INT(manifest_decode(text, strlen(text), &out, &n),
				  -EINVAL);
			free(text);
		}
	}
	CHECK_INT(manifest_decode("tapefs-manifest 2\n", 18, &out, &n),
		  -EINVAL);
	CHECK_INT(manifest_decode("", 0, &out, &n), -EINVAL);
	/* A good line, to show the bad ones fail for their fault. */
	text =
	    "l\t0\t0777\t1\t2\t-5.000000001\t" MD5_EMPTY "\t0\t512\tn\t\\x2d";
	CHECK_INT(manifest_line_decode(text, strlen(text), &m), 0);
	CHECK_STR(m.link, "-");
	CHECK_INT(m.mtime.tv_sec, -5);
	tar_member_clear(&m);
}

static void expect_safe(const char *in, const char *want)
{
	char *out = NULL;

	CHECK_INT(tarr_name_safe(in, strlen(in), &out), 0);
	CHECK_STR(out, want);
	free(out);
}

static void expect_refused(const char *in, size_t len, int err)
{
	char *out = NULL;

	CHECK_INT(tarr_name_safe(in, len, &out), err);
	CHECK(out == NULL);
}

static void test_name_safe(void)
{
	char longname[PATH_MAX + 10], comp[NAME_MAX + 2];

	expect_safe("a/b/c", "a/b/c");
	expect_safe("/etc/passwd", "etc/passwd");
	expect_safe("./a//b/./c/", "a/b/c");
	expect_safe("..a/b..", "..a/b..");
	expect_safe("new\nline", "new\nline");
	expect_refused("../x", 4, -EINVAL);
	expect_refused("a/../../x", 9, -EINVAL);
	expect_refused("a/..", 4, -EINVAL);
	expect_refused("/", 1, -EINVAL);
	expect_refused(".", 1, -EINVAL);
	expect_refused("", 0, -EINVAL);
	expect_refused("a\0b", 3, -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	expect_refused(longname, strlen(longname), -ENAMETOOLONG);
	memset(comp, 'y', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = '\0';
	expect_refused(comp, strlen(comp), -ENAMETOOLONG);
}

int main(void)
{
	RUN(test_escape_roundtrip);
	RUN(test_encode_decode);
	RUN(test_malformed);
	RUN(test_name_safe);
	return check_done();
}
