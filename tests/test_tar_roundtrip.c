/* tests/test_tar_roundtrip.c - an archive written by tarw to vtapes is
 * byte-identical on every copy, is read back by tarr (walk and one member
 * by locate) with the recorded offsets and MD5s, and is listed and
 * extracted by GNU tar and bsdtar with the sources' bytes, modes, mtimes
 * and names (awkward ones included); a file larger than one chunk gets the
 * chunk digests of its bytes from the writer, smaller ones none. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "tapeio/chunk.h"
#include "tapeio/md5.h"
#include "tapeio/tape.h"
#include "tapeio/tarr.h"
#include "tapeio/tarw.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS	 (64 * 1024) /* small blocks: many records, offsets mid-record */
#define NSRC_MAX 32

static struct tarw_source src[NSRC_MAX];
static char *names[NSRC_MAX];
static size_t nsrc;
static char long_name[400];

static void add_source(const char *name)
{
	char *path;

	if (asprintf(&path, "src/%s", name) < 0)
		abort();
	names[nsrc] = strdup(name);
	src[nsrc].path = path;
	src[nsrc].name = names[nsrc];
	if (lstat(path, &src[nsrc].st) != 0) {
		perror(path);
		abort();
	}
	nsrc++;
}

/* src/NAME (0640) of size seeded bytes, mtime 1600000000 + seed s and
 * 123456789 ns, added to the sources. */
static void make_file(const char *name, size_t size, unsigned seed)
{
	struct timespec ts[2];
	char *path;

	if (asprintf(&path, "src/%s", name) < 0)
		abort();
	if (fx_make_file(path, size, seed) || chmod(path, 0640))
		abort();
	ts[0].tv_sec = ts[1].tv_sec = 1600000000 + seed;
	ts[0].tv_nsec = ts[1].tv_nsec = 123456789;
	utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
	free(path);
	add_source(name);
}

static void make_tree(void)
{
	char dir[300];

	mkdir("src", 0755);
	mkdir("src/d", 0750);
	add_source("d");
	make_file("d/empty", 0, 1);
	make_file("d/one", 1, 2);
	make_file("d/block", 512, 3);
	make_file("d/block+1", 513, 4);
	make_file("d/record", BS, 5);
	make_file("d/big", 3 * BS + 777, 6);
	make_file("d/chunks", 2 * CHUNK_SIZE + 777, 13);
	make_file("with space", 1000, 7);
	make_file("new\nline", 2000, 8);
	make_file("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", 3000, 9);
	make_file("bad\xff\xfeutf8", 4000, 10);
	make_file("back\\slash\ttab", 100, 11);
	/* 300-byte name: two long directories and a long file name. */
	memset(long_name, 'a', 120);
	long_name[120] = '/';
	memset(long_name + 121, 'b', 120);
	long_name[241] = '/';
	memset(long_name + 242, 'c', 58);
	long_name[300] = '\0';
	snprintf(dir, sizeof(dir), "src/%.120s", long_name);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "src/%.241s", long_name);
	mkdir(dir, 0755);
	CHECK_INT(strlen(long_name), 300);
	make_file(long_name, 5000, 12);
	CHECK(symlink("d/one", "src/link") == 0);
	add_source("link");
	CHECK(symlink("../nowhere \xe2\x86\x92", "src/d/dangling") == 0);
	add_source("d/dangling");
	chmod("src/d/one", 0600); /* and the snapshot after it (its ctime) */
	CHECK_INT(lstat(src[2].path, &src[2].st), 0);
	/* The archive records the snapshot's owner, whoever runs this. */
	src[1].st.st_uid = 4321;
	src[1].st.st_gid = 2097152; /* past ustar's 7 octal digits */
}

static int files_equal(const char *a, const char *b)
{
	char ha[MD5_HEX_SIZE], hb[MD5_HEX_SIZE];

	return fx_file_md5(a, ha) == 0 && fx_file_md5(b, hb) == 0 &&
	       strcmp(ha, hb) == 0;
}

/* The chunk digests of the file at path, taken here: 0 or -1. */
static int file_chunks(const char *path, struct chunk_digester *d)
{
	static char buf[1 << 16];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) ||
	    chunk_digester_init(d, (uint64_t)st.st_size, CHUNK_SIZE)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		chunk_digester_update(d, buf, (size_t)n);
	close(fd);
	return chunk_digester_done(d) ? 0 : -1;
}

/* m has the chunk digests of its source's bytes when it is larger than
 * one chunk, none otherwise. */
static void check_chunks(const struct tar_member *m,
			 const struct tarw_source *s)
{
	struct chunk_digester d;

	if (!S_ISREG(s->st.st_mode) || (uint64_t)s->st.st_size <= CHUNK_SIZE) {
		CHECK(m->chunks == NULL);
		CHECK_INT(m->nchunks, 0);
		return;
	}
	CHECK_INT(file_chunks(s->path, &d), 0);
	CHECK_INT(m->nchunks, d.n);
	CHECK(m->chunks != NULL && d.digests != NULL &&
	      !memcmp(m->chunks, d.digests, (size_t)d.n * CHUNK_DIGEST));
	chunk_digester_release(&d);
}

static struct tape *t0, *t1;
static struct tar_member *members;
static size_t nmembers;
static uint64_t start0;

static void test_write_two_copies(void)
{
	struct tape *tapes[2];
	const struct tar_member *m;
	struct tar_member *taken;
	struct tarw *w = NULL;
	struct tarw_opts o = {.block_size = BS, .buffer_bytes = 8 * BS};
	char hex[MD5_HEX_SIZE];
	size_t i, n = 0;

	make_tree();
	t0 = fx_vtape("t0.vtape", NULL, 1ull << 30, 0);
	t1 = fx_vtape("t1.vtape", NULL, 1ull << 30, 0);
	/* An earlier file on each tape: the archive starts at file 1. */
	CHECK_INT(tape_write(t0, "x", 1) == 1 ? tape_weof(t0, 1) : -1, 0);
	CHECK_INT(tape_write(t1, "x", 1) == 1 ? tape_weof(t1, 1) : -1, 0);
	tapes[0] = t0;
	tapes[1] = t1;
	CHECK_INT(tarw_new(&w, tapes, 2, &o), 0);
	CHECK_INT(tarw_run(w, src, nsrc), 0);
	for (i = 0; i < 2; i++) {
		const struct tarw_copy *c = tarw_copy(w, (int)i);

		CHECK_INT(c->state, TARW_COPY_DONE);
		CHECK_INT(c->err, 0);
		CHECK_INT(c->start_lblock, 2);
		CHECK(c->records > 4);
		CHECK_INT(c->bytes, c->records * BS);
		CHECK_INT(tarw_progress(w, (int)i), c->bytes);
	}
	start0 = tarw_copy(w, 0)->start_lblock;
	m = tarw_members(w, &n);
	CHECK_INT(n, nsrc);
	members = calloc(n, sizeof(*members));
	for (i = 0; i < n; i++) {
		CHECK_INT(tar_member_copy(&members[i], &m[i]), 0);
		CHECK_STR(m[i].name, src[i].name);
		if (S_ISREG(src[i].st.st_mode)) {
			fx_file_md5(src[i].path, hex);
			CHECK_STR(m[i].md5, hex);
			CHECK_INT(m[i].size, src[i].st.st_size);
			CHECK_INT(m[i].type, TAR_FILE);
		} else {
			CHECK_STR(m[i].md5, MD5_EMPTY);
			CHECK_INT(m[i].size, 0);
		}
		check_chunks(&m[i], &src[i]);
		check_chunks(&members[i], &src[i]); /* a deep copy */
		CHECK_INT(m[i].header_offset % 512, 0);
		CHECK(m[i].data_offset > m[i].header_offset);
		if (i)
			CHECK(m[i].header_offset >=
			      m[i - 1].data_offset + m[i - 1].size);
	}
	CHECK_STR(m[7].name, "d/chunks");
	CHECK_INT(m[7].nchunks, 3); /* 2 chunks and 777 bytes */
	CHECK_INT(members[nsrc - 2].type, TAR_SYMLINK);
	CHECK_STR(members[nsrc - 2].link, "d/one");
	nmembers = n;
	/* The list handed over: w keeps none, and it outlives w (under
	 * make asan a list freed by tarw_free() fails here). */
	taken = tarw_members_take(w, &n);
	CHECK(taken == m);
	CHECK_INT(n, nsrc);
	CHECK(tarw_members(w, &n) == NULL);
	CHECK_INT(n, 0);
	tarw_free(w);
	CHECK_STR(taken[7].name, "d/chunks");
	CHECK_INT(taken[7].nchunks, 3);
	tar_members_free(taken, nsrc);
}

static void test_copies_identical(void)
{
	CHECK_INT(fx_export(t0, 1, "a0.tar"), 0);
	CHECK_INT(fx_export(t1, 1, "a1.tar"), 0);
	CHECK(files_equal("a0.tar", "a1.tar"));
}

/* GNU tar and bsdtar extract every member with the sources' bytes,
 * mode and mtime (nanoseconds: both restore pax mtimes). */
static void check_extracted(const char *dir, int check_ns)
{
	char p[600], hex1[MD5_HEX_SIZE], hex2[MD5_HEX_SIZE], lt[300];
	struct stat st;
	size_t i;
	ssize_t n;

	for (i = 0; i < nsrc; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, src[i].name);
		if (lstat(p, &st) != 0) {
			CHECK(!"extracted member missing");
			fprintf(stderr, "# missing %s\n", p);
			continue;
		}
		CHECK_INT(st.st_mode & S_IFMT, src[i].st.st_mode & S_IFMT);
		if (S_ISLNK(st.st_mode)) {
			n = readlink(p, lt, sizeof(lt) - 1);
			lt[n > 0 ? n : 0] = '\0';
			CHECK_STR(lt, members[i].link);
			continue;
		}
		CHECK_INT(st.st_mode & 07777, src[i].st.st_mode & 07777);
		if (!S_ISREG(st.st_mode))
			continue;
		fx_file_md5(src[i].path, hex1);
		fx_file_md5(p, hex2);
		CHECK_STR(hex2, hex1);
		CHECK_INT(st.st_mtim.tv_sec, src[i].st.st_mtim.tv_sec);
		if (check_ns)
			CHECK_INT(st.st_mtim.tv_nsec,
				  src[i].st.st_mtim.tv_nsec);
	}
}

static void test_gnu_tar(void)
{
	FILE *f;
	char line[1024];
	int nlines = 0, manifest = 0;

	mkdir("gnu", 0755);
	CHECK_INT(system("tar -b 128 -xf a0.tar -C gnu 2>gnu.err"), 0);
	check_extracted("gnu", 1);
	/* -t lists every member plus the manifest. */
	CHECK_INT(system("tar -b 128 -tvf a0.tar > gnu.list 2>&1"), 0);
	f = fopen("gnu.list", "r");
	while (f && fgets(line, sizeof(line), f)) {
		nlines++;
		manifest += strstr(line, MANIFEST_MEMBER) != NULL;
	}
	if (f)
		fclose(f);
	CHECK_INT(manifest, 1);
	CHECK(nlines >= (int)nsrc + 1); /* the name with \n may list as 1 */
	CHECK_INT(system("tar -b 128 --numeric-owner -tvf a0.tar d/empty | "
			 "grep -q ' 4321/2097152 '"),
		  0);
}

static void test_bsdtar(void)
{
	mkdir("bsd", 0755);
	CHECK_INT(system("bsdtar -xf a0.tar -C bsd 2>bsd.err"), 0);
	check_extracted("bsd", 1);
}

static void test_walk(void)
{
	const struct tar_member *man = NULL;
	struct tar_member m = {0};
	struct tarr *r = NULL;
	struct tape_status st;
	size_t i = 0, nman = 0;
	int ret, saw_manifest = 0;

	CHECK_INT(tape_goto_file(t1, 1), 0);
	CHECK_INT(tarr_open(&r, t1, BS), 0);
	while ((ret = tarr_next(r, &m)) == 1) {
		if (!strcmp(m.name, MANIFEST_MEMBER)) {
			saw_manifest = 1; /* skipped: parsed on the way */
			tar_member_clear(&m);
			continue;
		}
		CHECK(i < nmembers);
		if (i >= nmembers)
			break;
		CHECK_STR(m.name, members[i].name);
		CHECK_INT(m.type, members[i].type);
		CHECK_INT(m.size, members[i].size);
		CHECK_INT(m.mode, members[i].mode);
		CHECK_INT(m.uid, members[i].uid);
		CHECK_INT(m.gid, members[i].gid);
		CHECK_INT(m.mtime.tv_sec, members[i].mtime.tv_sec);
		CHECK_INT(m.mtime.tv_nsec, members[i].mtime.tv_nsec);
		CHECK_INT(m.header_offset, members[i].header_offset);
		CHECK_INT(m.data_offset, members[i].data_offset);
		if (members[i].link)
			CHECK_STR(m.link, members[i].link);
		if (i % 2 == 0) { /* read half; the rest is skipped */
			CHECK_INT(tarr_data(r, &m, NULL, NULL), 0);
			CHECK_STR(m.md5, members[i].md5);
		}
		tar_member_clear(&m);
		i++;
	}
	CHECK_INT(ret, 0);
	CHECK_INT(i, nmembers);
	CHECK(saw_manifest);
	CHECK_INT(tarr_manifest(r, &man, &nman), 0);
	CHECK_INT(nman, nmembers);
	for (i = 0; i < nman && i < nmembers; i++) {
		CHECK_STR(man[i].name, members[i].name);
		CHECK_STR(man[i].md5, members[i].md5);
		CHECK_INT(man[i].header_offset, members[i].header_offset);
		CHECK_INT(man[i].mtime.tv_nsec, members[i].mtime.tv_nsec);
	}
	/* At the start of the next tape file: end of data here. */
	CHECK_INT(tape_status(t1, &st), 0);
	CHECK_INT(st.file, 2);
	CHECK_INT(tarr_next(r, &m), 0);
	tarr_free(r);
}

struct mem_sink {
	struct md5 h;
	uint64_t bytes;
};

static int mem_sink_fn(void *arg, const void *buf, size_t len)
{
	struct mem_sink *s = arg;

	md5_update(&s->h, buf, len);
	s->bytes += len;
	return 0;
}

/* Every member read alone by locating to its block: right bytes and MD5,
 * and no record before its block is read. */
static void test_read_each_member(void)
{
	struct tape_counters c0, c1;
	struct tar_member m = {0};
	char hex[MD5_HEX_SIZE];
	struct mem_sink s;
	size_t i;

	for (i = nmembers; i-- > 0;) {
		const struct tar_member *e = &members[i];
		uint64_t first = e->header_offset / BS;
		uint64_t last = (e->data_offset + e->size + 511) / BS;
		uint64_t lb;

		md5_init(&s.h);
		s.bytes = 0;
		CHECK_INT(tape_counters(t0, &c0), 0);
		CHECK_INT(tarr_read_member(t0, start0, e->header_offset, BS,
					   e->md5, mem_sink_fn, &s, &m),
			  0);
		CHECK_INT(tape_counters(t0, &c1), 0);
		CHECK_INT(tape_tell(t0, &lb), 0);
		md5_final(&s.h, hex);
		md5_release(&s.h);
		CHECK_STR(hex, e->md5);
		CHECK_INT(s.bytes, e->size);
		CHECK_STR(m.name, e->name);
		CHECK_INT(m.header_offset, e->header_offset);
		CHECK_INT(m.data_offset, e->data_offset);
		/* Records read: only from the member's first block on, at most
		 * to one record past its last byte (libarchive's look-ahead).
		 */
		CHECK(c1.records_read - c0.records_read <= last - first + 2);
		CHECK(lb <= start0 + last + 2);
		CHECK(lb >= start0 + first + 1);
		/* The records read are exactly those from the member's first
		 * block to where the tape stands: nothing before. */
		CHECK_INT(lb - (c1.records_read - c0.records_read),
			  start0 + first);
		tar_member_clear(&m);
	}
	/* A wrong expected MD5 is reported after the data. */
	CHECK_INT(tarr_read_member(t0, start0, members[5].header_offset, BS,
				   MD5_EMPTY, NULL, NULL, NULL),
		  -EBADMSG);
	/* An offset in the middle of a member's data is no header. */
	CHECK_INT(tarr_read_member(t0, start0,
				   (members[5].data_offset + 1024) & ~511ull,
				   BS, NULL, NULL, NULL, NULL),
		  -EINVAL);
	CHECK_INT(tarr_read_member(t0, start0, 100, BS, NULL, NULL, NULL, NULL),
		  -EINVAL);
}

/* Many small files share the reader's slots: every member's MD5 and data
 * still come out right, across slot and segment boundaries. */
static void test_many_small_files(void)
{
	enum { N = 300 };
	static struct tarw_source many[N];
	static char paths[N][32];
	char hex[MD5_HEX_SIZE];
	struct fx_archive a;
	struct tar_member m = {0}, *wm;
	struct tape *t = fx_vtape("many.vtape", NULL, 1ull << 30, 0);
	struct tarr *r = NULL;
	size_t i;
	int ret;

	mkdir("many", 0755);
	for (i = 0; i < N; i++) {
		snprintf(paths[i], sizeof(paths[i]), "many/f%03zu", i);
		/* 0 .. ~9 KB */
		fx_make_file(paths[i], (i * 977) % 9000, (unsigned)i);
		fx_source(&many[i], paths[i]);
	}
	CHECK_INT(fx_write_archive(&t, 1, many, N, NULL, &a), 0);
	wm = a.members;
	CHECK_INT(a.nmembers, N);
	for (i = 0; i < a.nmembers; i++) {
		fx_file_md5(paths[i], hex);
		CHECK_STR(wm[i].md5, hex);
	}
	CHECK_INT(tape_rewind(t), 0);
	CHECK_INT(tarr_open(&r, t, 0), 0);
	for (i = 0; (ret = tarr_next(r, &m)) == 1; i++) {
		if (i < N) {
			CHECK_STR(m.name, paths[i]);
			CHECK_INT(tarr_data(r, &m, NULL, NULL), 0);
			CHECK_STR(m.md5, wm[i].md5);
			CHECK_INT(m.header_offset, wm[i].header_offset);
		}
		tar_member_clear(&m);
	}
	CHECK_INT(ret, 0);
	CHECK_INT(i, N + 1); /* and the manifest */
	tarr_free(r);
	fx_archive_free(&a);
	tape_close(t);
}

int main(void)
{
	RUN(test_write_two_copies);
	RUN(test_copies_identical);
	RUN(test_gnu_tar);
	RUN(test_bsdtar);
	RUN(test_walk);
	RUN(test_read_each_member);
	RUN(test_many_small_files);
	tar_members_free(members, nmembers);
	tape_close(t0);
	tape_close(t1);
	return check_done();
}
