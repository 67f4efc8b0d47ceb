/* tests/test_label_rw.c - the label archive (tape file 0): written and
 * read back, blank tape -ENODATA, foreign file 0 -EINVAL, wrong barcode
 * -EMEDIUMTYPE, the tape left at file 1, and readable by GNU tar; the
 * label text's numbers and block size checked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "tapeio/label.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static struct tape *vt(const char *path)
{
	return fx_vtape(path, "B00001L9", 64 << 20, 0);
}

static void test_init(void)
{
	struct tape_label a, b;

	label_init(&a, "A00001L9", "A", 262144);
	label_init(&b, "A00001L9", "A", 262144);
	CHECK_STR(a.barcode, "A00001L9");
	CHECK_STR(a.pool, "A");
	CHECK_INT(a.block_size, 262144);
	CHECK_INT(strlen(a.uuid), 36);
	CHECK(a.uuid[14] == '4');
	CHECK(strchr("89ab", a.uuid[19]) != NULL);
	CHECK(strcmp(a.uuid, b.uuid) != 0);
	CHECK(a.created > 1600000000);
}

/* libuuid's uuids: 1000 labels, 1000 distinct well-formed lower-case
 * uuids, none all-zero. */
static void test_uuids_distinct(void)
{
	static char seen[1000][40];
	struct tape_label l;
	int bad = 0, dup = 0;

	for (int i = 0; i < 1000; i++) {
		label_init(&l, "A00001L9", "A", 262144);
		snprintf(seen[i], sizeof(seen[i]), "%s", l.uuid);
		bad += strlen(l.uuid) != 36 ||
		       strspn(l.uuid, "0123456789abcdef-") != 36 ||
		       !strcmp(l.uuid, "00000000-0000-0000-0000-000000000000");
		for (int j = 0; j < i; j++)
			dup += !strcmp(seen[j], seen[i]);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(dup, 0);
}

static void test_write_read(void)
{
	struct tape *t = vt("l.vtape");
	struct tape_label w, r;
	struct tape_status st;
	char found[40] = "";

	CHECK_INT(label_read(t, &r), -ENODATA); /* blank */
	label_init(&w, "A00001L9", "A", 262144);
	CHECK_INT(label_write(t, &w), 0);
	/* Data after the label, as tapefs appends archives. */
	CHECK_INT(tape_write(t, "data", 4), 4);
	CHECK_INT(tape_weof(t, 1), 0);
	memset(&r, 0, sizeof(r));
	CHECK_INT(label_read(t, &r), 0);
	CHECK_STR(r.barcode, w.barcode);
	CHECK_STR(r.uuid, w.uuid);
	CHECK_STR(r.pool, w.pool);
	CHECK_INT(r.created, w.created);
	CHECK_INT(r.block_size, w.block_size);
	CHECK_INT(tape_status(t, &st), 0);
	CHECK_INT(st.file, 1);
	CHECK_INT(st.block, 0);
	CHECK_INT(label_check(t, "A00001L9", found), 0);
	CHECK_INT(label_check(t, "A00002L9", found), -EMEDIUMTYPE);
	CHECK_STR(found, "A00001L9");
	/* Relabelling truncates everything after file 0. */
	label_init(&w, "A00002L9", "B", 65536);
	CHECK_INT(label_write(t, &w), 0);
	CHECK_INT(label_check(t, "A00002L9", NULL), 0);
	CHECK_INT(tape_status(t, &st), 0); /* at file 1: nothing left */
	CHECK_INT(st.file, 1);
	CHECK(st.eod);
	/* Bad labels are not written. */
	label_init(&w, "bad\nbarcode", "A", 1);
	CHECK_INT(label_write(t, &w), -EINVAL);
	label_init(&w, "", "A", 1);
	CHECK_INT(label_write(t, &w), -EINVAL);
	label_init(&w, "A00003L9", "A", 1000); /* no label could say it */
	CHECK_INT(label_write(t, &w), -EINVAL);
	tape_close(t);
}

/* GNU tar reads the label from an exported file 0. */
static void test_plain_tar(void)
{
	struct tape *t = vt("g.vtape");
	struct tape_label w;

	label_init(&w, "C00003L9", "C", 262144);
	CHECK_INT(label_write(t, &w), 0);
	CHECK_INT(fx_export(t, 0, "file0.tar"), 0);
	CHECK_INT(system("tar -xOf file0.tar " LABEL_MEMBER " > label.txt"), 0);
	CHECK_INT(fx_count_lines("label.txt", "barcode=C00003L9"), 1);
	tape_close(t);
}

/* Write a one-member tar (member name, text) as file 0, in records of
 * rec bytes. */
static void write_tar0_rec(struct tape *t, const char *name, const char *text,
			   size_t rec)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	static char buf[20480 * 4];
	size_t used = 0, off;

	archive_write_set_format_ustar(a);
	archive_write_set_bytes_per_block(a, (int)rec);
	archive_write_open_memory(a, buf, sizeof(buf), &used);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(text));
	archive_write_header(a, e);
	archive_write_data(a, text, strlen(text));
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	CHECK_INT(tape_rewind(t), 0);
	for (off = 0; off < used; off += rec)
		CHECK_INT(tape_write(t, buf + off, rec), (ssize_t)rec);
	CHECK_INT(tape_weof(t, 1), 0);
}

static void write_tar0(struct tape *t, const char *name, const char *text)
{
	write_tar0_rec(t, name, text, 10240);
}

static void test_foreign(void)
{
	struct tape *t = vt("f.vtape");
	struct tape_label r;
	char junk[4096];

	/* Not tar at all. */
	memset(junk, 0x5a, sizeof(junk));
	CHECK_INT(tape_write(t, junk, sizeof(junk)), sizeof(junk));
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(label_read(t, &r), -EINVAL);
	CHECK_INT(label_check(t, "A00001L9", NULL), -EINVAL);
	/* A tar with another member. */
	write_tar0(t, "README", "format=tapefs-label 1\nbarcode=X\n");
	CHECK_INT(label_read(t, &r), -EINVAL);
	/* Our member name, not our format. */
	write_tar0(t, LABEL_MEMBER, "hello\n");
	CHECK_INT(label_read(t, &r), -EINVAL);
	write_tar0(t, LABEL_MEMBER, "format=tapefs-label 9\nbarcode=X\n");
	CHECK_INT(label_read(t, &r), -EINVAL);
	write_tar0(t, LABEL_MEMBER, "format=tapefs-label 1\n");
	CHECK_INT(label_read(t, &r), -EINVAL);
	/* Minimal but valid: unknown keys ignored. */
	write_tar0(t, LABEL_MEMBER,
		   "format=tapefs-label 1\nbarcode=X1\nfuture=yes\n");
	CHECK_INT(label_read(t, &r), 0);
	CHECK_STR(r.barcode, "X1");
	/* The same in shorter records reads; in longer ones it is not a
	 * label tapefs wrote (10240-byte records, the read buffer's size). */
	write_tar0_rec(t, LABEL_MEMBER, "format=tapefs-label 1\nbarcode=X2\n",
		       512);
	CHECK_INT(label_read(t, &r), 0);
	CHECK_STR(r.barcode, "X2");
	write_tar0_rec(t, LABEL_MEMBER, "format=tapefs-label 1\nbarcode=X3\n",
		       20480);
	CHECK_INT(label_read(t, &r), -EINVAL);
	/* A block size no drive uses: no buffer is sized by it. */
	write_tar0(
	    t, LABEL_MEMBER,
	    "format=tapefs-label 1\nbarcode=X1\nblock_size=4294967295\n");
	CHECK_INT(label_read(t, &r), -EINVAL);
	/* An empty file 0 (a filemark first). */
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(label_read(t, &r), -EINVAL);
	tape_close(t);
}

static int parse(const char *text)
{
	struct tape_label l;

	return label_parse(text, strlen(text), &l);
}

/* The label text alone: numbers are plain decimal, the block size one a
 * drive may use; no NUL, no text longer than a label. */
static void test_parse(void)
{
	static const char head[] = "format=tapefs-label 1\nbarcode=A00001L9\n";
	static const char *const refused[] = {
	    "block_size=256",
	    "block_size=1000",
	    "block_size=33554432",
	    "block_size=-512",
	    "block_size= 512",
	    "block_size=",
	    "block_size=0x200",
	    "created=",
	    "created=12x",
	    "created=+1",
	    "created=99999999999999999999",
	    "no equals sign",
	};
	char text[LABEL_TEXT_MAX + 64];
	struct tape_label l;

	snprintf(text, sizeof(text), "%screated=-5\nblock_size=16777216\n",
		 head);
	CHECK_INT(label_parse(text, strlen(text), &l), 0);
	CHECK_INT(l.created, -5);
	CHECK_INT(l.block_size, 16u << 20);
	CHECK_STR(l.barcode, "A00001L9");
	snprintf(text, sizeof(text), "%sblock_size=0\n", head);
	CHECK_INT(label_parse(text, strlen(text), &l), 0); /* not known */
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		snprintf(text, sizeof(text), "%s%s\n", head, refused[i]);
		CHECK_INT(parse(text), -EINVAL);
	}
	CHECK_INT(label_parse(head, sizeof(head), &l), -EINVAL); /* its NUL */
	memset(text, '\n', sizeof(text));
	memcpy(text, head, strlen(head));
	CHECK_INT(label_parse(text, LABEL_TEXT_MAX - 1, &l), 0);
	CHECK_INT(label_parse(text, LABEL_TEXT_MAX, &l), -EINVAL);
}

int main(void)
{
	RUN(test_init);
	RUN(test_uuids_distinct);
	RUN(test_write_read);
	RUN(test_plain_tar);
	RUN(test_foreign);
	RUN(test_parse);
	return check_done();
}
