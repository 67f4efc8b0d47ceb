/* tapeio/tarw_meta.c - what a member carries beside its bytes
 * (tapeio/tarw_int.h): extended attributes and POSIX ACLs, sparse maps,
 * hard links.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/xattr.h>

#include <archive.h>
#include <archive_entry.h>

#include "tapeio/tarw.h"
#include "tapeio/tarw_int.h"

#define ACL_ACCESS  "system.posix_acl_access"
#define ACL_DEFAULT "system.posix_acl_default"
#define OWN_PREFIX  "user.tapefs." /* tapefs's own marks: never archived */

/* ---- extended attributes --------------------------------------------- */

int tarw_xattr_kept(const char *name)
{
	if (!strcmp(name, ACL_ACCESS) || !strcmp(name, ACL_DEFAULT))
		return 1;
	return !strncmp(name, "user.", 5) &&
	       strncmp(name, OWN_PREFIX, strlen(OWN_PREFIX));
}

/* Append attribute name of fd to buf at *used. */
static int meta_one(int fd, const char *name, char *buf, size_t size,
		    size_t *used)
{
	size_t nlen = strlen(name) + 1, at = *used + nlen + 4;
	uint32_t len;
	ssize_t n;

	if (at > size)
		return -E2BIG;
	n = fgetxattr(fd, name, buf + at, size - at);
	if (n < 0)
		return errno == ERANGE	  ? -E2BIG
		       : errno == ENODATA ? -ESTALE
					  : -errno;
	memcpy(buf + *used, name, nlen);
	len = (uint32_t)n;
	memcpy(buf + *used + nlen, &len, 4);
	*used = at + (size_t)n;
	return 0;
}

int tarw_meta_read(int fd, char *buf, size_t size)
{
	char *list;
	ssize_t n;
	size_t used = 0, off;
	int ret = 0;

	n = flistxattr(fd, NULL, 0);
	if (n < 0)
		return errno == ENOTSUP ? 0 : -errno;
	if (n == 0)
		return 0;
	list = malloc((size_t)n + 1);
	if (!list)
		return -ENOMEM;
	n = flistxattr(fd, list, (size_t)n);
	if (n < 0) {
		ret = errno == ERANGE ? -ESTALE : -errno;
		goto out_free;
	}
	list[n] = 0;
	for (off = 0; off < (size_t)n && !ret; off += strlen(list + off) + 1)
		if (tarw_xattr_kept(list + off))
			ret = meta_one(fd, list + off, buf, size, &used);
out_free:
	free(list);
	return ret ? ret : (int)used;
}

int tarw_meta_unpack(const char *buf, size_t len, struct tar_member *m)
{
	size_t off = 0;
	int ret = 0;

	while (off < len && !ret) {
		const char *name = buf + off;
		size_t nlen = strnlen(name, len - off);
		uint32_t vlen;

		if (nlen == len - off || len - off - nlen - 1 < 4)
			return -EINVAL;
		memcpy(&vlen, name + nlen + 1, 4);
		off += nlen + 5;
		if (vlen > len - off)
			return -EINVAL;
		ret = tar_member_xattr_add(m, name, buf + off, vlen);
		off += vlen;
	}
	return ret;
}

/* The kernel's ACL form (linux/posix_acl_xattr.h): a 4-byte version 2,
 * then 8-byte entries of tag, permissions and id, little-endian. */
#define ACL_VERSION 2

static int acl_tag(unsigned tag)
{
	switch (tag) {
	case 0x01:
		return ARCHIVE_ENTRY_ACL_USER_OBJ;
	case 0x02:
		return ARCHIVE_ENTRY_ACL_USER;
	case 0x04:
		return ARCHIVE_ENTRY_ACL_GROUP_OBJ;
	case 0x08:
		return ARCHIVE_ENTRY_ACL_GROUP;
	case 0x10:
		return ARCHIVE_ENTRY_ACL_MASK;
	case 0x20:
		return ARCHIVE_ENTRY_ACL_OTHER;
	default:
		return -1;
	}
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The ACL of type (ARCHIVE_ENTRY_ACL_TYPE_*) in kernel form onto e. The
 * ids are numbers: a restore maps them as GNU tar and bsdtar do. */
static int acl_apply(struct archive_entry *e, int type, const unsigned char *v,
		     size_t len)
{
	if (len < 4 || (len - 4) % 8 || le32(v) != ACL_VERSION)
		return -EINVAL;
	for (size_t off = 4; off < len; off += 8) {
		unsigned tag = (unsigned)(v[off] | v[off + 1] << 8);
		unsigned perm = (unsigned)(v[off + 2] | v[off + 3] << 8) & 7;
		int t = acl_tag(tag);

		if (t < 0)
			return -EINVAL;
		/* the r, w, x bits are libarchive's READ, WRITE, EXECUTE */
		if (archive_entry_acl_add_entry(e, type, (int)perm, t,
						(int)le32(v + off + 4),
						NULL) != ARCHIVE_OK)
			return -EINVAL;
	}
	return 0;
}

int tarw_meta_apply(struct archive_entry *e, const struct tar_member *m)
{
	int ret = 0;

	for (uint32_t i = 0; i < m->nxattrs && !ret; i++) {
		const struct tar_xattr *x = &m->xattrs[i];

		if (!strcmp(x->name, ACL_ACCESS))
			ret = acl_apply(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS,
					x->value, x->len);
		else if (!strcmp(x->name, ACL_DEFAULT))
			ret = acl_apply(e, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT,
					x->value, x->len);
		else
			archive_entry_xattr_add_entry(e, x->name, x->value,
						      x->len);
	}
	return ret;
}

/* ---- sparse files ------------------------------------------------------ */

/* Room for extent n in *ext (capacity *cap extents). */
static int ext_room(uint64_t **ext, size_t *cap, size_t n)
{
	uint64_t *nv;

	if (n < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 16;
	nv = realloc(*ext, *cap * 2 * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*ext = nv;
	return 0;
}

static int sparse_walk(int fd, uint64_t size, uint64_t **ext, size_t max)
{
	uint64_t off = 0, data = 0;
	size_t n = 0, cap = 0;
	off_t d, h;

	while (off < size) {
		d = lseek(fd, (off_t)off, SEEK_DATA);
		if (d < 0 && errno == ENXIO)
			break; /* a hole to the end */
		if (d < 0)
			return errno == EINVAL || errno == ENOTSUP ? 0 : -errno;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			return -errno;
		if ((uint64_t)h > size)
			h = (off_t)size;
		if (n == max)
			return 0;
		if (ext_room(ext, &cap, n))
			return -ENOMEM;
		(*ext)[2 * n] = (uint64_t)d;
		(*ext)[2 * n + 1] = (uint64_t)(h - d);
		data += (uint64_t)(h - d);
		n++;
		off = (uint64_t)h;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	if (data >= size)
		return 0; /* no hole: dense */
	if (n == 0) {
		/* all hole: one empty extent at the end says its size */
		if (ext_room(ext, &cap, 0))
			return -ENOMEM;
		(*ext)[0] = size;
		(*ext)[1] = 0;
		n = 1;
	}
	return (int)n;
}

int tarw_sparse_map(int fd, uint64_t size, uint64_t **ext, size_t max)
{
	int n;

	*ext = NULL;
	n = sparse_walk(fd, size, ext, max);
	if (n <= 0) {
		free(*ext);
		*ext = NULL;
	}
	return n;
}

/* ---- hard links ------------------------------------------------------ */

struct link_key {
	dev_t dev;
	ino_t ino;
	size_t i;
};

static int link_cmp(const void *a, const void *b)
{
	const struct link_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The lstat of entry i of an array whose first lstat is at st0. */
static const struct stat *link_st(const void *st0, size_t stride, size_t i)
{
	return (const struct stat *)((const char *)st0 + i * stride);
}

static int link_candidate(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink > 1;
}

int tarw_links_of(const struct stat *st0, size_t n, size_t stride, size_t **out)
{
	struct link_key *k;
	size_t nk = 0, i, first = 0;
	size_t *of;

	*out = NULL;
	if (n == 0)
		return 0;
	of = calloc(n, sizeof(*of));
	if (!of)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		nk += link_candidate(link_st(st0, stride, i));
	k = nk > 1 ? malloc(nk * sizeof(*k)) : NULL;
	if (nk > 1 && !k) {
		free(of);
		return -ENOMEM;
	}
	for (i = 0, nk = k ? 0 : nk; k && i < n; i++) {
		const struct stat *st = link_st(st0, stride, i);

		if (link_candidate(st))
			k[nk++] = (struct link_key){st->st_dev, st->st_ino, i};
	}
	if (k)
		qsort(k, nk, sizeof(*k), link_cmp);
	for (i = 1; k && i < nk; i++) {
		if (k[i].dev == k[first].dev && k[i].ino == k[first].ino)
			of[k[i].i] = k[first].i + 1;
		else
			first = i;
	}
	free(k);
	*out = of;
	return 0;
}
