/* tapeio/chunk.h - per-chunk digests of a member's data: XXH3-128 over
 * each CHUNK_SIZE piece (the last one may be shorter), so that a byte
 * range of a member can be read from tape and checked without the rest.
 *
 * Only members larger than one chunk get digests (a smaller one is read
 * whole and checked by its MD5). A digest is the hash's canonical form
 * (16 bytes, big-endian), the same on every machine: it is what the
 * catalog stores (catalog_chunks_put) and a version 2 manifest carries
 * (tapeio/manifest.h: MANIFEST_CHUNK is CHUNK_SIZE).
 */
#ifndef TAPEFS_CHUNK_H
#define TAPEFS_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#define CHUNK_SIZE   (4u << 20) /* bytes of member data per chunk */
#define CHUNK_DIGEST 16		/* bytes of one digest */

/* How many chunks a member of size bytes has with chunks of chunk_size:
 * 0 when it is no larger than one chunk (it gets no digests). */
uint32_t chunk_count(uint64_t size, uint32_t chunk_size);

/* The digest of one chunk's bytes, hashed as they come. */
struct chunk_hash {
	void *state; /* XXH3_state_t */
};
/* 0 or -ENOMEM. */
int chunk_hash_init(struct chunk_hash *h);
void chunk_hash_update(struct chunk_hash *h, const void *buf, size_t len);
/* The digest of what was given since init (or the last final), into
 * out; the hash starts over for the next chunk. */
void chunk_hash_final(struct chunk_hash *h, unsigned char out[CHUNK_DIGEST]);
void chunk_hash_release(struct chunk_hash *h);

/* The digests of a whole member, fed its data in order in pieces of any
 * size: the digest of each chunk is taken as it completes. */
struct chunk_digester {
	struct chunk_hash h;
	uint32_t chunk_size, n;
	uint64_t size, at;	/* member size, bytes fed */
	unsigned char *digests; /* n * CHUNK_DIGEST, malloc'ed */
};
/* For a member of size bytes (chunk_count() > 0, or every call is a
 * no-op and digests stays NULL). 0 or -ENOMEM. */
int chunk_digester_init(struct chunk_digester *d, uint64_t size,
			uint32_t chunk_size);
void chunk_digester_update(struct chunk_digester *d, const void *buf,
			   size_t len);
/* 1 when every chunk's digest was taken (all size bytes were fed), else
 * 0. */
int chunk_digester_done(const struct chunk_digester *d);
void chunk_digester_release(struct chunk_digester *d);

#endif
