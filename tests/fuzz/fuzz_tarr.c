/* tests/fuzz/fuzz_tarr.c - the tar reader (tapeio/tarr.h) over a hostile
 * archive: tape file 1... of any cartridge. The first input byte chooses
 * the block size (512 * (1 + b % 32)); the rest is the archive, in records
 * of that size on a vtape. The walk (tarr_open, tarr_next, tarr_data,
 * tarr_manifest) and then tarr_read_member() at the first members' header
 * offsets must never crash nor read out of bounds, whatever the names
 * (.., absolute, NUL), sizes and headers say; every name either is refused
 * by tarr_name_safe() or comes out a clean relative path; a member never
 * gives more than its size, read whole it gives size bytes, and read
 * again by its offset the same bytes. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/tarr.h"
#include "tests/fuzz/fuzz.h"

#define MEMBERS_MAX 4096	 /* members walked, at most */
#define AGAIN_MAX   4		 /* members read again by offset */
#define SINK_MAX    (256u << 10) /* bytes given to the sink, one input */

struct seen {
	uint64_t header_offset, size;
	char md5[MD5_HEX_SIZE];
	char *name;
};

/* Bytes the sink still takes for this input. */
static uint64_t budget;

/* Count the bytes given; like a caller that knows how much it expects,
 * stop after SINK_MAX bytes for the whole input (a sparse header may
 * declare 2^63 bytes of holes: they are zeros to hash, and a caller that
 * hashes them all takes that long). */
static int count_sink(void *arg, const void *buf, size_t len)
{
	uint64_t *got = arg;

	(void)buf;
	*got += len;
	if (len > budget) {
		budget = 0;
		return -EFBIG;
	}
	budget -= len;
	return 0;
}

/* A name tarr_name_safe() accepts is a clean relative path. */
static void check_name(const char *name)
{
	char *safe = NULL, *p, *c;
	int ret = tarr_name_safe(name, strlen(name), &safe);

	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ENAMETOOLONG);
	if (ret)
		return;
	FUZZ_ASSERT(safe[0] && safe[0] != '/' && strlen(safe) < PATH_MAX);
	for (p = safe; (c = strsep(&p, "/"));)
		FUZZ_ASSERT(*c && strcmp(c, ".") && strcmp(c, "..") &&
			    strlen(c) <= NAME_MAX);
	free(safe);
}

/* Walk the archive; up to AGAIN_MAX members read whole go to seen. */
static int walk(struct tape *t, uint32_t bs, struct seen *seen)
{
	const struct tar_member *mm;
	struct tar_member m = {0};
	struct tarr *r = NULL;
	int ret, nseen = 0;
	uint64_t got;
	size_t nm;

	FUZZ_ASSERT(tarr_open(&r, t, bs) == 0);
	for (int i = 0; i < MEMBERS_MAX && (ret = tarr_next(r, &m)) > 0; i++) {
		check_name(m.name);
		got = 0;
		ret = tarr_data(r, &m, count_sink, &got);
		if (ret == 0 && m.type == TAR_FILE)
			FUZZ_ASSERT(got == m.size && md5_hex_valid(m.md5));
		FUZZ_ASSERT(got <= m.size && (ret != -EFBIG || budget == 0));
		if (ret == 0 && m.type == TAR_FILE && nseen < AGAIN_MAX) {
			seen[nseen] =
			    (struct seen){.header_offset = m.header_offset,
					  .size = m.size,
					  .name = m.name};
			memcpy(seen[nseen++].md5, m.md5, MD5_HEX_SIZE);
			m.name = NULL;
		}
		tar_member_clear(&m);
		if (ret < 0)
			break;
	}
	tar_member_clear(&m);
	if (tarr_manifest(r, &mm, &nm) == 0)
		for (size_t i = 0; i < nm; i++)
			FUZZ_ASSERT(mm[i].name && md5_hex_valid(mm[i].md5));
	tarr_free(r);
	return nseen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t bs = size ? 512u * (1 + data[0] % 32) : 512;
	struct tape *t = fuzz_vtape_open(
	    fuzz_vtape("tarr", data + !!size, size - !!size, bs));
	struct seen seen[AGAIN_MAX];
	struct tar_member m;
	uint64_t got;
	int n, ret;

	budget = SINK_MAX;
	n = walk(t, bs, seen);
	for (int i = 0; i < n; i++) {
		got = 0;
		memset(&m, 0, sizeof(m));
		ret = tarr_read_member(t, 0, seen[i].header_offset, bs,
				       seen[i].md5, count_sink, &got, &m);
		if ((ret == 0 || ret == -EBADMSG) &&
		    !strcmp(m.name, seen[i].name) && m.size == seen[i].size)
			FUZZ_ASSERT(ret == 0 && got == seen[i].size);
		tar_member_clear(&m);
		free(seen[i].name);
	}
	tape_close(t);
	return 0;
}
