/* tests/test_tar_chunks.c - what the tar writer puts in a version 2
 * manifest: the caller's archive line with the time it was written, the
 * owner and group names of every member, and for members larger than one
 * chunk the XXH3-128 digest of every MANIFEST_CHUNK bytes of their data
 * (computed here independently from the source files); the walk reads
 * the same back from tape. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "tapeio/manifest.h"
#include "tapeio/tarr.h"
#include "tapeio/tarw.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS (256 * 1024)

static const struct {
	const char *name;
	size_t size;
} files[] = {
    {"empty", 0},
    {"small", 1000},
    {"one-chunk", MANIFEST_CHUNK},	      /* exactly one: no digests */
    {"chunk-and-a-byte", MANIFEST_CHUNK + 1}, /* two, the last of 1 byte */
    {"ten-and-a-bit", 10 * MANIFEST_CHUNK + 333},
};
#define NFILES (sizeof(files) / sizeof(files[0]))

/* The digests a reader would compute from the file itself. */
static unsigned char *expected_chunks(const char *path, size_t *n)
{
	size_t size, k;
	unsigned char *want, *buf;
	int fd = open(path, O_RDONLY);
	struct stat st;

	*n = 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	size = (size_t)st.st_size;
	if (size <= MANIFEST_CHUNK) {
		close(fd);
		return NULL;
	}
	*n = (size + MANIFEST_CHUNK - 1) / MANIFEST_CHUNK;
	want = malloc(*n * MANIFEST_DIGEST_SIZE);
	buf = malloc(MANIFEST_CHUNK);
	for (k = 0; want && buf && k < *n; k++) {
		ssize_t r =
		    pread(fd, buf, MANIFEST_CHUNK, (off_t)k * MANIFEST_CHUNK);
		XXH128_canonical_t c;

		XXH128_canonicalFromHash(&c, XXH3_128bits(buf, (size_t)r));
		memcpy(want + k * MANIFEST_DIGEST_SIZE, c.digest,
		       MANIFEST_DIGEST_SIZE);
	}
	free(buf);
	close(fd);
	return want;
}

static void check_members(const struct tar_member *m, size_t n,
			  const struct tarw_source *src)
{
	struct passwd *pw = getpwuid(getuid());
	struct group *gr = getgrgid(getgid());

	CHECK_INT(n, NFILES);
	for (size_t i = 0; i < n && i < NFILES; i++) {
		size_t nwant;
		unsigned char *want = expected_chunks(src[i].path, &nwant);

		CHECK_STR(m[i].name, src[i].name);
		CHECK_INT(m[i].nchunks, nwant);
		if (want && m[i].chunks && m[i].nchunks == nwant)
			CHECK_MEM(m[i].chunks, want,
				  nwant * MANIFEST_DIGEST_SIZE);
		CHECK(!want == !m[i].chunks);
		free(want);
		if (pw)
			CHECK_STR(m[i].owner, pw->pw_name);
		if (gr)
			CHECK_STR(m[i].group, gr->gr_name);
	}
}

static void test_chunks(void)
{
	struct tarw_source src[NFILES];
	struct manifest_archive a = {.dump_id = 9, .dumped = 1700000000};
	struct tarw_opts o = {.block_size = BS, .archive = &a};
	const struct manifest *mf = NULL;
	struct fx_archive fa;
	struct tar_member m = {0};
	struct tarr *r = NULL;
	struct tape *t;
	struct timespec before;
	int ret;

	manifest_uuid_new(a.uuid);
	snprintf(a.pools, sizeof(a.pools), "A");
	for (size_t i = 0; i < NFILES; i++) {
		CHECK_INT(
		    fx_make_file(files[i].name, files[i].size, (unsigned)i + 1),
		    0);
		CHECK_INT(fx_source(&src[i], files[i].name), 0);
	}
	t = fx_vtape("t.vtape", "T00001L9", 1ull << 30, 0);
	if (!t)
		return;
	CHECK_INT(fx_label(t, NULL, "T00001L9", "A", BS), 0);
	clock_gettime(CLOCK_REALTIME, &before);
	ret = fx_write_archive(&t, 1, src, NFILES, &o, &fa);
	CHECK_INT(ret, 0);
	if (ret == 0) {
		check_members(fa.members, fa.nmembers, src);
		fx_archive_free(&fa);
	}

	/* Read back from tape: the walk parses the manifest. */
	CHECK_INT(tape_goto_file(t, 1), 0);
	CHECK_INT(tarr_open(&r, t, BS), 0);
	while (r && (ret = tarr_next(r, &m)) == 1)
		tar_member_clear(&m);
	CHECK_INT(ret, 0);
	CHECK_INT(r ? tarr_manifest_get(r, &mf) : -1, 0);
	if (mf) {
		CHECK_INT(mf->version, 2);
		CHECK_STR(mf->archive.uuid, a.uuid);
		CHECK_INT(mf->archive.dump_id, 9);
		CHECK_INT(mf->archive.dumped, 1700000000);
		CHECK_STR(mf->archive.pools, "A");
		CHECK_INT(mf->archive.kind, MANIFEST_DATA);
		CHECK(mf->archive.written.tv_sec >= before.tv_sec);
		check_members(mf->m, mf->n, src);
	}
	tarr_free(r);
	tape_close(t);
}

int main(void)
{
	RUN(test_chunks);
	return check_done();
}
