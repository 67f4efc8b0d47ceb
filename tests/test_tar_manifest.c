/* tests/test_tar_manifest.c - the manifest text: escaping round trips any
 * name, encode/decode round trips every field of version 2 (archive line,
 * owner and group names, chunk digests), a version 1 text still decodes,
 * lines and fields of a later format are skipped, malformed text is
 * -EINVAL; and tarr_name_safe() refuses or neutralizes dangerous member
 * names. */
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
	if (i % 4 == 1)
		m->owner = strdup(awkward[(i + 3) % 12]);
	if (i % 5 == 2)
		m->group = strdup(i % 2 ? "-" : "staff");
	if (m->type == TAR_FILE && m->size > MANIFEST_CHUNK) {
		m->nchunks =
		    (size_t)((m->size + MANIFEST_CHUNK - 1) / MANIFEST_CHUNK);
		m->chunks = malloc(m->nchunks * MANIFEST_DIGEST_SIZE);
		for (size_t k = 0; k < m->nchunks * MANIFEST_DIGEST_SIZE; k++)
			m->chunks[k] = (unsigned char)(k * 7 + i);
	}
}

static void same_member(const struct tar_member *a, const struct tar_member *b)
{
	CHECK_STR(a->name, b->name);
	CHECK_INT(a->type, b->type);
	CHECK(!a->link == !b->link);
	if (a->link && b->link)
		CHECK_STR(a->link, b->link);
	CHECK_INT(a->size, b->size);
	CHECK_INT(a->mode, b->mode);
	CHECK_INT(a->uid, b->uid);
	CHECK_INT(a->gid, b->gid);
	CHECK_INT(a->mtime.tv_sec, b->mtime.tv_sec);
	CHECK_INT(a->mtime.tv_nsec, b->mtime.tv_nsec);
	CHECK_INT(a->header_offset, b->header_offset);
	CHECK_INT(a->data_offset, b->data_offset);
	CHECK_STR(a->md5, b->md5);
	CHECK(!a->owner == !b->owner);
	if (a->owner && b->owner)
		CHECK_STR(a->owner, b->owner);
	CHECK(!a->group == !b->group);
	if (a->group && b->group)
		CHECK_STR(a->group, b->group);
	CHECK_INT(a->nchunks, b->nchunks);
	if (a->nchunks == b->nchunks && a->nchunks)
		CHECK_MEM(a->chunks, b->chunks,
			  a->nchunks * MANIFEST_DIGEST_SIZE);
}

static void test_encode_decode(void)
{
	enum { N = 30 };
	struct manifest_archive a = {
	    .dump_id = 77,
	    .dumped = 1763700000,
	    .written = {1763700123, 456789012},
	    .pools = "A,B\tC",
	    .kind = MANIFEST_CATALOG,
	    .catalog = "A00001L9:7,B00001L9:7",
	};
	struct tar_member in[N];
	struct manifest mf;
	size_t i, len;
	char *text;

	manifest_uuid_new(a.uuid);
	CHECK_INT(strlen(a.uuid), 36);
	for (i = 0; i < N; i++)
		fill(&in[i], i);
	CHECK_INT(manifest_encode(&a, in, N, &text, &len), 0);
	CHECK_INT(strlen(text), len);
	CHECK(!strncmp(text, MANIFEST_MAGIC "\n", strlen(MANIFEST_MAGIC) + 1));
	CHECK(strstr(text, "\narchive\tuuid=") != NULL);
	CHECK_INT(manifest_decode(text, len, &mf), 0);
	CHECK_INT(mf.version, 2);
	CHECK_STR(mf.archive.uuid, a.uuid);
	CHECK_INT(mf.archive.dump_id, 77);
	CHECK_INT(mf.archive.dumped, 1763700000);
	CHECK_INT(mf.archive.written.tv_sec, 1763700123);
	CHECK_INT(mf.archive.written.tv_nsec, 456789012);
	CHECK_STR(mf.archive.pools, "A,B\tC");
	CHECK_INT(mf.archive.kind, MANIFEST_CATALOG);
	CHECK_STR(mf.archive.catalog, "A00001L9:7,B00001L9:7");
	CHECK_INT(mf.n, N);
	for (i = 0; i < mf.n && i < N; i++)
		same_member(&mf.m[i], &in[i]);
	CHECK_INT(mf.m[3].nchunks, 716); /* 3 000 000 021 bytes: 716 chunks */
	manifest_release(&mf);
	/* Cut the text anywhere inside the last line: no LF, -EINVAL. */
	CHECK_INT(manifest_decode(text, len - 1, &mf), -EINVAL);
	free(text);
	/* An empty manifest, nothing known of its archive. */
	CHECK_INT(manifest_encode(NULL, in, 0, &text, &len), 0);
	CHECK_INT(manifest_decode(text, len, &mf), 0);
	CHECK_INT(mf.n, 0);
	CHECK_STR(mf.archive.uuid, "");
	manifest_release(&mf);
	free(text);
	/* Bad records are refused when encoding. */
	in[0].md5[3] = 'X';
	CHECK_INT(manifest_encode(NULL, in, 1, &text, &len), -EINVAL);
	for (i = 0; i < N; i++)
		tar_member_clear(&in[i]);
}

/* A sparse member and extended attributes (binary values, an empty one,
 * a name to escape) come back from the text; a malformed xattr line is
 * refused. */
static void test_extra_lines(void)
{
	static const unsigned char acl[] = {2, 0,    0,	   0,	 1,    0, 6,
					    0, 0xff, 0xff, 0xff, 0xff, 0, '\n'};
	struct tar_member in[2];
	struct manifest mf;
	char *text;
	size_t len;

	fill(&in[0], 1);
	fill(&in[1], 2);
	in[0].flags = TAR_MEMBER_SPARSE;
	CHECK_INT(tar_member_xattr_add(&in[0], "system.posix_acl_access", acl,
				       sizeof(acl)),
		  0);
	CHECK_INT(tar_member_xattr_add(&in[0], "user.t\tab", "", 0), 0);
	CHECK_INT(tar_member_xattr_add(&in[1], "user.x", "v", 1), 0);
	CHECK_INT(manifest_encode(NULL, in, 2, &text, &len), 0);
	CHECK(strstr(text, "\nsparse\n") != NULL);
	CHECK_INT(manifest_decode(text, len, &mf), 0);
	CHECK_INT(mf.n, 2);
	if (mf.n == 2) {
		CHECK_INT(mf.m[0].flags, TAR_MEMBER_SPARSE);
		CHECK_INT(mf.m[1].flags, 0);
		CHECK_INT(mf.m[0].nxattrs, 2);
		CHECK_INT(mf.m[1].nxattrs, 1);
		CHECK_STR(mf.m[0].xattrs[0].name, "system.posix_acl_access");
		CHECK_INT(mf.m[0].xattrs[0].len, sizeof(acl));
		CHECK(!memcmp(mf.m[0].xattrs[0].value, acl, sizeof(acl)));
		CHECK_STR(mf.m[0].xattrs[1].name, "user.t\tab");
		CHECK_INT(mf.m[0].xattrs[1].len, 0);
		CHECK_STR(mf.m[1].xattrs[0].name, "user.x");
	}
	manifest_release(&mf);
	free(text);
	tar_member_clear(&in[0]);
	tar_member_clear(&in[1]);
	static const char bad[] =
	    MANIFEST_MAGIC "\narchive\tuuid=\n"
			   "f\t0\t0644\t1\t2\t1.000000000\t" MD5_EMPTY
			   "\t0\t512\tx\t-\t-\t-\nxattr\tuser.x\tzz\n";
	CHECK_INT(manifest_decode(bad, strlen(bad), &mf), -EINVAL);
}

/* A version 1 text, as the first tapefs wrote it, still reads. */
static void test_version1(void)
{
	static const char v1[] = MANIFEST_MAGIC_V1
	    "\n"
	    "d\t0\t0750\t1000\t1000\t1763700000.123456789\t" MD5_EMPTY
	    "\t0\t1536\trun7\t-\n"
	    "f\t4096\t0640\t1000\t1000\t1763700001.000000000\t"
	    "620f0b67a91f7f74151bc5be745b7110\t1536\t3072\trun7/data.bin\t-\n";
	struct manifest mf;
	char *bad;

	CHECK_INT(manifest_decode(v1, strlen(v1), &mf), 0);
	CHECK_INT(mf.version, 1);
	CHECK_STR(mf.archive.uuid, "");
	CHECK_INT(mf.n, 2);
	if (mf.n == 2) {
		CHECK_STR(mf.m[1].name, "run7/data.bin");
		CHECK_INT(mf.m[1].data_offset, 3072);
		CHECK(mf.m[1].owner == NULL && mf.m[1].chunks == NULL);
	}
	manifest_release(&mf);
	/* version 1 has no typed lines and no 13-field members */
	CHECK(asprintf(&bad, "%schunks\t4194304\t%s\n", v1,
		       "00000000000000000000000000000000") > 0);
	CHECK_INT(manifest_decode(bad, strlen(bad), &mf), -EINVAL);
	free(bad);
}

/* What a later format adds is skipped: a new line type, new archive
 * keys, fields past the 13th, chunks of another size. */
static void test_later_format(void)
{
	static const char v2[] = MANIFEST_MAGIC
	    "\n"
	    "archive\tuuid=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\tdump=5\t"
	    "colour=blue\tkind=data\n"
	    "f\t5000000\t0644\t1\t2\t1.000000000\t" MD5_EMPTY
	    "\t0\t512\tbig\t-\troot\t-\tsome-later-field\n"
	    "future\tuser.test\tvalue\n"
	    "chunks\t1048576\tffff\n"
	    "f\t5000000\t0644\t1\t2\t1.000000000\t" MD5_EMPTY
	    "\t5001216\t5001728\tbig2\t-\t-\twheel\n"
	    "chunks\t4194304\t000102030405060708090a0b0c0d0e0f\t"
	    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\n";
	struct manifest mf;

	CHECK_INT(manifest_decode(v2, strlen(v2), &mf), 0);
	CHECK_STR(mf.archive.uuid, "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
	CHECK_INT(mf.archive.dump_id, 5);
	CHECK_INT(mf.n, 2);
	if (mf.n == 2) {
		CHECK_STR(mf.m[0].owner, "root");
		CHECK(mf.m[0].group == NULL && mf.m[0].nchunks == 0);
		CHECK(mf.m[1].owner == NULL);
		CHECK_STR(mf.m[1].group, "wheel");
		CHECK_INT(mf.m[1].nchunks, 2);
		if (mf.m[1].nchunks == 2)
			CHECK_INT(mf.m[1].chunks[31], 0xff);
	}
	manifest_release(&mf);
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
	static const char *bad2[] = {
	    /* no archive line */
	    "f\t1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY "\t0\t512\tn\t-\t-\t-",
	    "archive\tdump=x",
	    "archive\tkind=adopted",
	    "archive\tuuid=0123456789012345678901234567890123456789",
	    "archive\nchunks\t4194304\t00", /* chunks of no member */
	    /* a member of version 1's 11 fields */
	    "archive\nf\t1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY
	    "\t0\t512\tn\t-",
	    /* chunks of a small member, too few, a bad digest */
	    "archive\nf\t1\t0644\t0\t0\t1.000000000\t" MD5_EMPTY
	    "\t0\t512\tn\t-\t-\t-\nchunks\t4194304\t"
	    "00000000000000000000000000000000",
	    "archive\nf\t9000000\t0644\t0\t0\t1.000000000\t" MD5_EMPTY
	    "\t0\t512\tn\t-\t-\t-\nchunks\t4194304\t"
	    "00000000000000000000000000000000",
	    "archive\nf\t5000000\t0644\t0\t0\t1.000000000\t" MD5_EMPTY
	    "\t0\t512\tn\t-\t-\t-\nchunks\t4194304\t"
	    "00000000000000000000000000000000\t0000000000000000000000000000000"
	    "X",
	};
	struct tar_member m;
	struct manifest mf;
	size_t i;
	char *text;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		CHECK_INT(manifest_line_decode(bad[i], strlen(bad[i]), &m),
			  -EINVAL);
		if (asprintf(&text, MANIFEST_MAGIC_V1 "\n%s\n", bad[i]) > 0) {
			CHECK_INT(manifest_decode(text, strlen(text), &mf),
				  -EINVAL);
			free(text);
		}
	}
	for (i = 0; i < sizeof(bad2) / sizeof(*bad2); i++)
		if (asprintf(&text, MANIFEST_MAGIC "\n%s\n", bad2[i]) > 0) {
			CHECK_INT(manifest_decode(text, strlen(text), &mf),
				  -EINVAL);
			free(text);
		}
	CHECK_INT(manifest_decode("tapefs-manifest 2\n", 18, &mf), -EINVAL);
	CHECK_INT(manifest_decode("tapefs-manifest 3\narchive\n", 26, &mf),
		  -EINVAL);
	CHECK_INT(manifest_decode("", 0, &mf), -EINVAL);
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
	RUN(test_version1);
	RUN(test_later_format);
	RUN(test_extra_lines);
	RUN(test_malformed);
	RUN(test_name_safe);
	return check_done();
}
