/* tests/fuzz/fuzz_manifest.c - the manifest member (tapeio/manifest.h), as
 * a tar reader (or a rebuild reading a tape file's tail) finds it on a
 * tape: manifest_decode() of the whole text, either version, and the
 * escaping of one field. What decodes must encode again (as version 2) and
 * decode to the same archive line and records, owner and group names and
 * chunk digests included; what unescapes must escape and unescape to
 * itself. */
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
	FUZZ_ASSERT(str_eq(a->owner, b->owner) && str_eq(a->group, b->group));
	FUZZ_ASSERT(a->nchunks == b->nchunks);
	FUZZ_ASSERT(!a->nchunks || !memcmp(a->chunks, b->chunks,
					   a->nchunks * MANIFEST_DIGEST_SIZE));
}

static void same_archive(const struct manifest_archive *a,
			 const struct manifest_archive *b)
{
	FUZZ_ASSERT(!strcmp(a->uuid, b->uuid) && !strcmp(a->pools, b->pools));
	FUZZ_ASSERT(a->dump_id == b->dump_id && a->dumped == b->dumped);
	FUZZ_ASSERT(a->written.tv_sec == b->written.tv_sec &&
		    a->written.tv_nsec == b->written.tv_nsec);
	FUZZ_ASSERT(a->kind == b->kind && !strcmp(a->catalog, b->catalog));
}

/* Decoded records are what the header promises, and round trip (with
 * archive line a; NULL: none, as for one member line). */
static void check_records(const struct manifest_archive *a,
			  const struct tar_member *m, size_t n)
{
	struct manifest again = {0};
	size_t len;
	char *text = NULL;

	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(m[i].name && m[i].name[0]);
		FUZZ_ASSERT(!m[i].link == (m[i].type != TAR_SYMLINK));
		FUZZ_ASSERT(m[i].mode <= 07777);
		FUZZ_ASSERT(m[i].mtime.tv_nsec >= 0 &&
			    m[i].mtime.tv_nsec < 1000000000);
		FUZZ_ASSERT(md5_hex_valid(m[i].md5));
		FUZZ_ASSERT(!m[i].nchunks ||
			    (m[i].type == TAR_FILE &&
			     m[i].nchunks == (m[i].size + MANIFEST_CHUNK - 1) /
						 MANIFEST_CHUNK));
	}
	FUZZ_ASSERT(manifest_encode(a, m, n, &text, &len) == 0);
	FUZZ_ASSERT(strlen(text) == len);
	FUZZ_ASSERT(manifest_decode(text, len, &again) == 0);
	FUZZ_ASSERT(again.version == 2 && again.n == n);
	if (a)
		same_archive(a, &again.archive);
	for (size_t i = 0; i < n; i++)
		same_member(&m[i], &again.m[i]);
	manifest_release(&again);
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
	struct manifest mf = {0};
	struct tar_member one;

	if (manifest_decode((const char *)data, size, &mf) == 0) {
		FUZZ_ASSERT(mf.version == 1 || mf.version == 2);
		check_records(&mf.archive, mf.m, mf.n);
		manifest_release(&mf);
	}
	if (manifest_line_decode((const char *)data, size, &one) == 0) {
		check_records(NULL, &one, 1);
		tar_member_clear(&one);
	}
	check_escape(data, size);
	return 0;
}
