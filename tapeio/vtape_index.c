/* tapeio/vtape_index.c - the in-memory index of a vtape image's records.
 *
 * Positioning never reads data: the index gives every record's image
 * offset, length and the data bytes before it, and every filemark's
 * lblock. It is a list of segments (consecutive records of one type,
 * length and padding, evenly spaced), found by binary search: a stream of
 * equal records is one segment, so the memory it takes does not grow with
 * the number of records. Filled from the stored index or a walk of the
 * record headers (vtape_format.c) and kept current by writes (vtape.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/vtape_int.h"

void vt_index_free(struct vt_index *ix)
{
	free(ix->seg);
	free(ix->fm);
	memset(ix, 0, sizeof(*ix));
}

static uint64_t vt_seg_stride(const struct vt_seg *s)
{
	return VT_RH_SIZE + s->pad + s->len;
}

uint64_t vt_used(const struct vt_index *ix)
{
	const struct vt_seg *s;

	if (ix->nseg == 0)
		return 0;
	s = &ix->seg[ix->nseg - 1];
	return s->cum0 + s->count * s->len;
}

/* The segment holding lblock l (l < n). */
static uint64_t vt_seg_find(const struct vt_index *ix, uint64_t l)
{
	uint64_t lo = 0, hi = ix->nseg - 1;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (ix->seg[mid].l0 <= l)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

struct vt_rec vt_rec_at(const struct vt_index *ix, uint64_t l)
{
	const struct vt_seg *s = &ix->seg[vt_seg_find(ix, l)];
	uint64_t k = l - s->l0;

	return (struct vt_rec){.off = s->off0 + k * vt_seg_stride(s),
			       .len = s->len,
			       .cum = s->cum0 + k * s->len,
			       .type = s->type,
			       .pad = s->pad};
}

uint64_t vt_cum(const struct vt_index *ix, uint64_t l)
{
	return l < ix->n ? vt_rec_at(ix, l).cum : vt_used(ix);
}

uint64_t vt_fm_below(const struct vt_index *ix, uint64_t l)
{
	uint64_t lo = 0, hi = ix->nfm;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ix->fm[mid] < l)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* p, an array of *cap elements of elem bytes with n in use, with room
 * for one more: p itself, or p reallocated to twice the size (first
 * elements when empty), or NULL (p is left as it was). */
static void *vt_grow(void *p, uint64_t *cap, uint64_t n, uint64_t first,
		     size_t elem)
{
	uint64_t c = *cap ? *cap * 2 : first;

	if (n < *cap)
		return p;
	p = realloc(p, c * elem);
	if (p)
		*cap = c;
	return p;
}

int vt_index_push_n(struct vt_index *ix, uint64_t off, int type, unsigned pad,
		    uint64_t len, uint64_t m)
{
	struct vt_seg *s = ix->nseg ? &ix->seg[ix->nseg - 1] : NULL;

	void *p;

	for (uint64_t i = 0; type == VT_FILEMARK && i < m; i++) {
		p = vt_grow(ix->fm, &ix->fmcap, ix->nfm, 64, sizeof(*ix->fm));
		if (!p)
			return -ENOMEM;
		ix->fm = p;
		ix->fm[ix->nfm++] = ix->n + i;
	}
	if (s && s->type == type && s->len == len && s->pad == pad &&
	    s->off0 + s->count * vt_seg_stride(s) == off) {
		s->count += m;
		ix->n += m;
		return 0;
	}
	p = vt_grow(ix->seg, &ix->segcap, ix->nseg, 16, sizeof(*ix->seg));
	if (!p)
		return -ENOMEM;
	ix->seg = p;
	ix->seg[ix->nseg] = (struct vt_seg){.l0 = ix->n,
					    .count = m,
					    .off0 = off,
					    .cum0 = vt_used(ix),
					    .len = len,
					    .pad = pad,
					    .type = type};
	ix->nseg++;
	ix->n += m;
	return 0;
}

int vt_index_push(struct vt_index *ix, uint64_t off, int type, unsigned pad,
		  uint64_t len)
{
	return vt_index_push_n(ix, off, type, pad, len, 1);
}

void vt_index_truncate(struct vt_index *ix, uint64_t l)
{
	uint64_t i;

	if (l >= ix->n)
		return;
	ix->eod_off = vt_rec_at(ix, l).off;
	i = vt_seg_find(ix, l);
	ix->seg[i].count = l - ix->seg[i].l0;
	ix->nseg = ix->seg[i].count ? i + 1 : i;
	ix->n = l;
	ix->nfm = vt_fm_below(ix, l);
}
