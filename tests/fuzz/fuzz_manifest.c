/* tests/fuzz/fuzz_manifest.c - the manifest member (tapeio/manifest.h), as
 * a tar reader finds it on a tape: manifest_decode() of the whole text, and
 * the escaping of one field. What decodes must encode again and decode to
 * the same records; what unescapes must escape and unescape to itself. */
#include <stdlib.h>
#include <string.h>

#include "tapeio/manifest.h"
#include "tests/fuzz/fuzz.h"

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void same_member(const struct tar_member *a, const struct tar_member *b)
{
	FUZZ_ASSERT(str_eq(a->name, b->name) && str_eq(a->link, b->link));
	FUZZ_ASSERT(a->type == b->type && a->size == b->size);
	FUZZ_ASSERT(a->mode == b->mode && a->uid == b->uid && a->gid == b->gid);
	FUZZ_ASSERT(a->mtime.tv_sec == b->mtime.tv_sec &&
		    a->mtime.tv_nsec == b->mtime.tv_nsec);
	FUZZ_ASSERT(a->header_offset == b->header_offset &&
		    a->data_offset == b->data_offset);
	FUZZ_ASSERT(!strcmp(a->md5, b->md5));
}

/* Decoded records are what the header promises, and round trip. */
static void check_records(const struct tar_member *m, size_t n)
{
	struct tar_member *again = NULL;
	size_t len, n2 = 0;
	char *text = NULL;

	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(m[i].name && m[i].name[0]);
		FUZZ_ASSERT(!m[i].link == (m[i].type != TAR_SYMLINK));
		FUZZ_ASSERT(m[i].mode <= 07777);
		FUZZ_ASSERT(m[i].mtime.tv_nsec >= 0 &&
			    m[i].mtime.tv_nsec < 1000000000);
		FUZZ_ASSERT(md5_hex_valid(m[i].md5));
	}
	FUZZ_ASSERT(manifest_encode(m, n, &text, &len) == 0);
	FUZZ_ASSERT(strlen(text) == len);
	FUZZ_ASSERT(manifest_decode(text, len, &again, &n2) == 0);
	FUZZ_ASSERT(n2 == n);
	for (size_t i = 0; i < n; i++)
		same_member(&m[i], &again[i]);
	tar_members_free(again, n2);
	free(text);
}

static void check_escape(const uint8_t *data, size_t size)
{
	char *u = NULL, *e = NULL, *u2 = NULL;

	if (manifest_unescape((const char *)data, size, &u))
		return;
	FUZZ_ASSERT(manifest_escape(u, &e) == 0);
	FUZZ_ASSERT(!strpbrk(e, "\t\n"));
	FUZZ_ASSERT(manifest_unescape(e, strlen(e), &u2) == 0);
	FUZZ_ASSERT(!strcmp(u, u2));
	free(u);
	free(e);
	free(u2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tar_member *m = NULL, one;
	size_t n = 0;

	if (manifest_decode((const char *)data, size, &m, &n) == 0) {
		check_records(m, n);
		tar_members_free(m, n);
	}
	if (manifest_line_decode((const char *)data, size, &one) == 0) {
		check_records(&one, 1);
		tar_member_clear(&one);
	}
	check_escape(data, size);
	return 0;
}
