/* tests/fuzz/mkseeds.c - writes the seed corpora of the fuzz targets
 * (tests/fuzz/corpus/NAME/seed-*) from the project's own writers: labels
 * by label_write(), manifests by manifest_encode(), archives by the tar
 * writer and by libarchive (with the hostile names and headers a foreign
 * tape may hold), vtape images by vtape_create() and the vtape backend,
 * configurations as docs/config.md shows them. `make fuzz-seeds` runs it
 * in a scratch directory: mkseeds CORPUS_DIR. Labels and images hold a
 * random uuid and the time: a new run gives other bytes, the same shapes.
 * Seeds stay small (a few KiB): the fuzzer grows them. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "tapeio/label.h"
#include "tapeio/manifest.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"
#include "tests/lib_tar.h"

static const char *out_dir;

/* Write seed NAME of target (prefix bytes first, then data). */
static void seed(const char *target, const char *name, const void *prefix,
		 size_t plen, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%s", out_dir, target, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(fwrite(prefix, 1, plen, f), plen);
	CHECK_INT(fwrite(data, 1, len, f), len);
	CHECK_INT(fclose(f), 0);
}

static void seed_text(const char *target, const char *name, const char *s)
{
	seed(target, name, "", 0, s, strlen(s));
}

/* The whole file at path as a seed (with prefix). */
static void seed_file(const char *target, const char *name, const void *prefix,
		      size_t plen, const char *path)
{
	struct stat sb;
	char *buf;
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0 && fstat(fd, &sb) == 0);
	buf = malloc((size_t)sb.st_size + 1);
	CHECK(read(fd, buf, (size_t)sb.st_size) == sb.st_size);
	close(fd);
	seed(target, name, prefix, plen, buf, (size_t)sb.st_size);
	free(buf);
}

/* ---- labels -------------------------------------------------------------- */

static void seeds_label(void)
{
	struct tape_label l;
	struct tape *t;

	seed_text("label_text", "minimal",
		  "format=tapefs-label 1\nbarcode=X1\n");
	seed_text("label_text", "full",
		  "format=tapefs-label 1\nbarcode=A00001L9\n"
		  "uuid=6b1f6e2c-1d1e-4c39-9a4e-2f8d3c1b0a99\npool=A\n"
		  "created=1700000000\nblock_size=262144\nfuture=yes\n");
	t = fx_vtape("l.vtape", "A00001L9", 8 << 20, 0);
	fx_label(t, &l, "A00001L9", "A", 262144);
	CHECK_INT(fx_export(t, 0, "file0.tar"), 0);
	seed_file("label_tape", "label-write", "", 0, "file0.tar");
	tape_close(t);
}

/* ---- papertape's catalog ------------------------------------------------- */

static void seeds_papertape(void)
{
	static const char padded[] = "## papertape\n## host1\0\0\0\n## x\n"
				     "1:1:1:0123456789abcdef0123456789ABCDEF:"
				     "host1:/data/a b\n\0\0\0";

	seed_text("papertape", "basic",
		  "## papertape catalog\n## host1 tape 7\n## item:tape:"
		  "archive:md5:host:/path\n"
		  "1:7:1:d41d8cd98f00b204e9800998ecf8427e:host1:/data/run1/a\n"
		  "2:7:1:0cc175b9c0f1b6a831c399e269772661:host1:/data/run1/b\n"
		  "3:7:2:92eb5ffee6ae2fec3ad71c777531578f:host2:/x:y/z  \r\n");
	seed("papertape", "nul-padded", "", 0, padded, sizeof(padded) - 1);
}

/* ---- manifests ----------------------------------------------------------- */

static void seeds_manifest(void)
{
	static const char *names[] = {
	    "plain",	   "new\nline",	  "tab\there", "back\\slash",
	    "caf\xc3\xa9", "ctl\x01\x7f", "-",	       "a/b/c"};
	struct manifest_archive a = {.uuid =
					 "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
				     .dump_id = 42,
				     .dumped = 1700000000,
				     .written = {1700000100, 5},
				     .pools = "A,B",
				     .catalog = "A00001L9:7,B00001L9:7"};
	static unsigned char chunks[3 * MANIFEST_DIGEST_SIZE];
	struct tar_member m[8];
	const char *v1;
	size_t len;
	char *text;

	memset(m, 0, sizeof(m));
	for (int i = 0; i < 8; i++) {
		m[i].name = (char *)names[i];
		m[i].type = i % 3 == 0	 ? TAR_FILE
			    : i % 3 == 1 ? TAR_DIR
					 : TAR_SYMLINK;
		m[i].link =
		    m[i].type == TAR_SYMLINK ? (char *)names[7 - i] : NULL;
		m[i].size = m[i].type == TAR_FILE ? 1000u * (unsigned)i : 0;
		m[i].mode = 0644;
		m[i].uid = 1000;
		m[i].gid = 100;
		m[i].owner = i % 2 ? (char *)names[i] : NULL;
		m[i].group = i % 4 ? (char *)"users" : NULL;
		m[i].mtime.tv_sec = 1700000000 + i;
		m[i].mtime.tv_nsec = 123456789;
		m[i].header_offset = 512u * 3 * (unsigned)i;
		m[i].data_offset = m[i].header_offset + 1024;
		strcpy(m[i].md5, "d41d8cd98f00b204e9800998ecf8427e");
	}
	/* a member of three chunks, with their digests */
	for (size_t i = 0; i < sizeof(chunks); i++)
		chunks[i] = (unsigned char)(i * 37);
	m[3].size = 2 * (uint64_t)MANIFEST_CHUNK + 1;
	m[3].chunks = chunks;
	m[3].nchunks = 3;
	CHECK_INT(manifest_encode(&a, m, 8, &text, &len), 0);
	seed("manifest", "eight", "", 0, text, len);
	free(text);
	CHECK_INT(manifest_encode(NULL, m, 0, &text, &len), 0);
	seed("manifest", "empty", "", 0, text, len);
	free(text);
	a.kind = MANIFEST_CATALOG;
	CHECK_INT(manifest_encode(&a, m, 1, &text, &len), 0);
	seed("manifest", "catalog", "", 0, text, len);
	free(text);
	/* version 1 (still read): no archive line, 11 fields, no chunks */
	v1 = "tapefs-manifest 1\n"
	     "f\t5\t0644\t0\t0\t1700000000.000000000\t"
	     "d41d8cd98f00b204e9800998ecf8427e\t0\t512\tv1\\tname\t-\n"
	     "l\t0\t0777\t0\t0\t1.5\td41d8cd98f00b204e9800998ecf8427e\t"
	     "1024\t1536\tlink\ttarget\n";
	seed("manifest", "v1", "", 0, v1, strlen(v1));
}

/* ---- mtx error texts ----------------------------------------------------- */

static void seeds_mtx_error(void)
{
	static const char *texts[] = {
	    "cannot open SCSI device '/dev/sg3' - Permission denied\n",
	    "/dev/null is not an sg device, or old sg driver\n",
	    "Source Element Address 4098 is Empty\n",
	    "Drive 0 Full (Storage Element 3 loaded)\n",
	    "Invalid <storage-element-number> argument '99' to 'load' "
	    "command\n",
	    "mtx: Request Sense: Long Report=yes\n"
	    "mtx: Request Sense: Sense Key=Not Ready\n"
	    "mtx: Request Sense: Additional Sense Code = 04\n"
	    "MOVE MEDIUM from Element Address 4096 to 256 Failed\n",
	    "mtx: Request Sense: Sense Key=Illegal Request\n"
	    "mtx: Request Sense: Additional Sense Code = 53\n"
	    "MOVE MEDIUM from Element Address 256 to 4098 Failed\n",
	    "Usage:\n\tmtx --version\n",
	};
	char name[16];

	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		unsigned char len = (unsigned char)(i % 2 ? 255 : 40);

		snprintf(name, sizeof(name), "%zu", i);
		seed("mtx_error", name, &len, 1, texts[i], strlen(texts[i]));
	}
}

/* ---- archives ------------------------------------------------------------ */

/* bs selector byte of fuzz_tarr for block size bs. */
static unsigned char bs_byte(uint32_t bs)
{
	return (unsigned char)(bs / 512 - 1);
}

/* An archive written by the tar writer: a file, a directory, a symlink,
 * the manifest; block size 1024. */
static void seed_tarw(void)
{
	struct tarw_opts o = {.block_size = 1024};
	struct tarw_source src[3];
	struct tape *t;
	unsigned char b = bs_byte(1024);

	mkdir("d", 0755);
	fx_make_file("d/f", 700, 1);
	CHECK_INT(symlink("../target", "d/l"), 0);
	fx_source(&src[0], "d");
	fx_source(&src[1], "d/f");
	fx_source(&src[2], "d/l");
	t = fx_vtape("a.vtape", "A00002L9", 8 << 20, 0);
	fx_write_archive(&t, 1, src, 3, &o, NULL);
	CHECK_INT(fx_export(t, 0, "a.tar"), 0);
	seed_file("tarr", "tarw", &b, 1, "a.tar");
	tape_close(t);
}

/* One entry of a libarchive archive. */
static void entry(struct archive *a, const char *name, int type,
		  const char *link, const char *data, la_int64_t size)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, (unsigned)type);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, 1700000000, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, link);
	if (link && type == AE_IFREG)
		archive_entry_set_hardlink(e, link);
	archive_entry_set_size(e, size);
	CHECK(archive_write_header(a, e) == ARCHIVE_OK);
	if (data && size)
		archive_write_data(a, data, (size_t)size);
	archive_entry_free(e);
}

/* Hostile names in the format fmt (libarchive's format codes). */
static void seed_hostile(const char *name, int fmt)
{
	static char buf[64 << 10];
	char longname[300];
	struct archive *a = archive_write_new();
	unsigned char b = bs_byte(512);
	size_t used = 0;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[100] = '/';
	archive_write_set_format(a, fmt);
	archive_write_set_bytes_per_block(a, 512);
	CHECK(archive_write_open_memory(a, buf, sizeof(buf), &used) ==
	      ARCHIVE_OK);
	entry(a, "../escape", AE_IFREG, NULL, "x", 1);
	entry(a, "/etc/abs", AE_IFREG, NULL, "y", 1);
	entry(a, "a/./b/../../c", AE_IFREG, NULL, "zz", 2);
	entry(a, "dir/", AE_IFDIR, NULL, NULL, 0);
	entry(a, "dir/link", AE_IFLNK, "../../etc/passwd", NULL, 0);
	entry(a, "dir/hard", AE_IFREG, "../escape", NULL, 0);
	if (fmt != ARCHIVE_FORMAT_TAR_USTAR)
		entry(a, longname, AE_IFREG, NULL, "long", 4);
	entry(a, MANIFEST_MEMBER, AE_IFREG, NULL, MANIFEST_MAGIC "\nbogus\n",
	      (la_int64_t)strlen(MANIFEST_MAGIC) + 7);
	archive_write_close(a);
	archive_write_free(a);
	seed("tarr", name, &b, 1, buf, used);
}

/* A pax header whose path holds a NUL, and one whose size is huge. */
static void seed_pax_raw(void)
{
	static unsigned char buf[512 * 8];
	static const char rec[] = "16 path=a\0/../b\n";
	unsigned char b = bs_byte(512);

	fx_ustar(buf, "PaxHeader", 'x', sizeof(rec) - 1);
	memcpy(buf + 512, rec, sizeof(rec) - 1);
	fx_ustar(buf + 1024, "plain", '0', 3);
	memcpy(buf + 1536, "abc", 3);
	fx_ustar(buf + 2048, MANIFEST_MEMBER, '0', 0);
	snprintf((char *)buf + 2048 + 124, 12, "77777777777");
	seed("tarr", "pax-nul-huge", &b, 1, buf, sizeof(buf));
}

static void seeds_tarr(void)
{
	seed_tarw();
	seed_hostile("pax", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	seed_hostile("gnu", ARCHIVE_FORMAT_TAR_GNUTAR);
	seed_hostile("ustar", ARCHIVE_FORMAT_TAR_USTAR);
	seed_pax_raw();
}

/* ---- vtape images -------------------------------------------------------- */

/* The image at path as a seed of fuzz_vtape: flags, at, then the image
 * (compact: the first 256 bytes of its header, then its records). */
static void seed_image(const char *name, const char *path, unsigned char flags,
		       unsigned char at)
{
	unsigned char pre[2] = {flags, at};
	struct stat sb;
	char *buf;
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0 && fstat(fd, &sb) == 0);
	buf = malloc((size_t)sb.st_size);
	CHECK(read(fd, buf, (size_t)sb.st_size) == sb.st_size);
	close(fd);
	if (flags & 1) {
		memmove(buf + 256, buf + 4096, (size_t)sb.st_size - 4096);
		sb.st_size -= 4096 - 256;
	}
	seed("vtape", name, pre, 2, buf, (size_t)sb.st_size);
	free(buf);
}

static void seeds_vtape(void)
{
	struct vtape_model m = {.rate_mbps = 300, .load_s = 1, .time_scale = 1};
	char rec[300];
	struct tape *t;

	unlink("blank.vtape");
	CHECK_INT(vtape_create("blank.vtape", "BLANK0L9", 1 << 20, 0), 0);
	seed_image("blank", "blank.vtape", 0, 0);
	/* records of three sizes, filemarks, a stored index; a model */
	t = fx_vtape("r.vtape", "REC000L9", 1 << 20, 0);
	memset(rec, 'r', sizeof(rec));
	for (int i = 0; i < 6; i++)
		CHECK_INT(tape_write(t, rec, (size_t)100 * (1 + i / 2)),
			  100 * (1 + i / 2));
	CHECK_INT(tape_weof(t, 1), 0);
	CHECK_INT(tape_write(t, rec, 10), 10);
	CHECK_INT(tape_weof(t, 2), 0);
	tape_close(t);
	CHECK_INT(vtape_set_model("r.vtape", &m), 0);
	CHECK_INT(vtape_inject("r.vtape", VTAPE_FAULT_UNREADABLE, 2, 0), 0);
	seed_image("records", "r.vtape", 2, 3);
	seed_image("records-compact-write", "r.vtape", 1 | 2 | 4, 5);
	/* a crash: no end of data, no index (the walk) */
	CHECK_INT(truncate("r.vtape", 4096 + 3 * (16 + 100) + 50), 0);
	seed_image("cut", "r.vtape", 1 | 4, 1);
}

/* ---- configurations ------------------------------------------------------ */

static void seeds_config(void)
{
	seed_text("config", "vlib",
		  "[tapefs]\ncatalog = catalog.db\nstaging = staging\n"
		  "cache = cache\ncache_size = 1G\nblock_size = 256K\n"
		  "copies = 2\npools = A, B\n\n[dump]\nbytes = 50G\n"
		  "files = 10000\nidle = 300\n\n[library]\nchanger = vlib\n"
		  "path = lib\ndrives = 2\n");
	seed_text("config", "mtx",
		  "; a real library\n[tapefs]\ncatalog = /var/lib/tapefs/c.db\n"
		  "staging = /srv/staging\ncache = /srv/cache\n"
		  "[library]\nchanger = mtx\npath = /dev/sg3\nmtx = "
		  "/usr/sbin/mtx\ntape = st\ndrives = 2\ndrive0 = /dev/nst0\n"
		  "drive1 = /dev/nst1\n");
	seed_text("config", "none",
		  "[tapefs]\ncopies = 1\n[library]\nchanger = none\n"
		  "drive0 = /dev/nst0\n");
	seed_text("config", "host",
		  "; one of two hosts sharing a library\n[library]\n"
		  "changer = mtx\npath = /dev/sg3\nhost = tape-2\n"
		  "drive_ids = 2, 3\ndrive2 = /dev/nst0\ndrive3 = /dev/nst1\n");
}

/* ---- control files ------------------------------------------------------ */

static void seeds_ctl(void)
{
	static const char *const verify[] = {
	    "all",	  "tape A00001L9 B00001L9",
	    "unverified", "sample 5",
	    "cancel",	  "  tape X\r\n"};
	/* byte 0: .dump .verify .recall .library tapes/ lookups */
	static const struct {
		char which;
		const char *name, *text;
	} ctl[] = {
	    {0, "dump", "now d1\nnow\neach .\nnow ../etc\nresume"},
	    {1, "verify", "sample 50\ncancel\ntape A00001L9 A00002L9\ncancel"},
	    {2, "recall", "archive/d1/f\n/mnt/tapes/A00001L9/1/d1\nd1"},
	    {3, "library", "inventory\nlabel 5 C00001L9 A\nexport A00002L9"},
	    {4, "tape",
	     "A00002L9/.ctl\nlocation shelf 3\nserial 42\nclose\n"
	     "reopen"},
	    {5, "lookup",
	     "A00001L9/.status\nA00001L9/1/d1/f\nlatest\n1/"
	     "summary\nd1/f\n0/status"},
	};
	char name[16];

	for (size_t i = 0; i < sizeof(verify) / sizeof(*verify); i++) {
		snprintf(name, sizeof(name), "%zu", i);
		seed_text("ctl_verify", name, verify[i]);
	}
	for (size_t i = 0; i < sizeof(ctl) / sizeof(*ctl); i++)
		seed("ctl", ctl[i].name, &ctl[i].which, 1, ctl[i].text,
		     strlen(ctl[i].text));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds CORPUS_DIR\n");
		return 2;
	}
	out_dir = argv[1];
	seeds_label();
	seeds_papertape();
	seeds_manifest();
	seeds_mtx_error();
	seeds_tarr();
	seeds_vtape();
	seeds_config();
	seeds_ctl();
	return check_done();
}
