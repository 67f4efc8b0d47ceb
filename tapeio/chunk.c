/* tapeio/chunk.c - per-chunk digests (tapeio/chunk.h): XXH3-128 of
 * libxxhash, in its canonical byte order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "tapeio/chunk.h"

uint32_t chunk_count(uint64_t size, uint32_t chunk_size)
{
	if (!chunk_size || size <= chunk_size)
		return 0;
	return (uint32_t)((size + chunk_size - 1) / chunk_size);
}

int chunk_hash_init(struct chunk_hash *h)
{
	h->state = XXH3_createState();
	if (!h->state)
		return -ENOMEM;
	XXH3_128bits_reset(h->state);
	return 0;
}

void chunk_hash_update(struct chunk_hash *h, const void *buf, size_t len)
{
	XXH3_128bits_update(h->state, buf, len);
}

void chunk_hash_final(struct chunk_hash *h, unsigned char out[CHUNK_DIGEST])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->state));
	memcpy(out, c.digest, CHUNK_DIGEST);
	XXH3_128bits_reset(h->state);
}

void chunk_hash_release(struct chunk_hash *h)
{
	if (h->state)
		XXH3_freeState(h->state);
	h->state = NULL;
}

int chunk_digester_init(struct chunk_digester *d, uint64_t size,
			uint32_t chunk_size)
{
	memset(d, 0, sizeof(*d));
	d->size = size;
	d->chunk_size = chunk_size;
	d->n = chunk_count(size, chunk_size);
	if (!d->n)
		return 0;
	d->digests = malloc((size_t)d->n * CHUNK_DIGEST);
	if (!d->digests || chunk_hash_init(&d->h)) {
		free(d->digests);
		d->digests = NULL;
		d->n = 0;
		return -ENOMEM;
	}
	return 0;
}

void chunk_digester_update(struct chunk_digester *d, const void *buf,
			   size_t len)
{
	const char *p = buf;

	while (d->n && len && d->at < d->size) {
		uint64_t end = (d->at / d->chunk_size + 1) * d->chunk_size;
		size_t take;

		if (end > d->size)
			end = d->size;
		take = end - d->at < len ? (size_t)(end - d->at) : len;
		chunk_hash_update(&d->h, p, take);
		p += take;
		len -= take;
		d->at += take;
		if (d->at == end)
			chunk_hash_final(
			    &d->h,
			    d->digests + (size_t)((d->at - 1) / d->chunk_size) *
					     CHUNK_DIGEST);
	}
}

int chunk_digester_done(const struct chunk_digester *d)
{
	return d->n && d->at == d->size;
}

void chunk_digester_release(struct chunk_digester *d)
{
	chunk_hash_release(&d->h);
	free(d->digests);
	memset(d, 0, sizeof(*d));
}
