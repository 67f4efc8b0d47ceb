/* tapeio/manifest_extra.c - the lines of a manifest that say more about
 * the member line before them than its fields do: "sparse" and "xattr"
 * (tapeio/manifest.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/manifest.h"
#include "tapeio/manifest_int.h"

static const char hexd[] = "0123456789abcdef";

/* "xattr\tNAME\tVALUE\n" of x. */
static int xattr_encode(struct sbuf *b, const struct tar_xattr *x)
{
	char *name = NULL, *hex = NULL;
	size_t i;
	int ret = manifest_escape(x->name, &name);

	if (ret)
		return ret;
	hex = malloc(2 * x->len + 2);
	if (!hex) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < x->len; i++) {
		hex[2 * i] = hexd[x->value[i] >> 4];
		hex[2 * i + 1] = hexd[x->value[i] & 15];
	}
	if (!x->len)
		hex[i++] = '-';
	else
		i *= 2;
	ret = sbuf_add(b, "xattr\t", 6);
	if (!ret)
		ret = sbuf_add(b, name, strlen(name));
	if (!ret)
		ret = sbuf_add(b, "\t", 1);
	if (!ret)
		ret = sbuf_add(b, hex, i);
	if (!ret)
		ret = sbuf_add(b, "\n", 1);
out_free:
	free(hex);
	free(name);
	return ret;
}

int manifest_extra_encode(struct sbuf *b, const struct tar_member *m)
{
	int ret = 0;

	if (m->flags & TAR_MEMBER_SPARSE)
		ret = sbuf_add(b, "sparse\n", 7);
	for (uint32_t i = 0; !ret && i < m->nxattrs; i++)
		ret = xattr_encode(b, &m->xattrs[i]);
	return ret;
}

static int nibble(char c)
{
	const char *p = c ? strchr(hexd, c) : NULL;

	return p ? (int)(p - hexd) : -1;
}

/* "xattr\tNAME\tVALUE" (line[0..len), the word checked) into m. */
static int xattr_decode(struct tar_member *m, const char *line, size_t len)
{
	const char *f[3];
	size_t fl[3], i;
	unsigned char *v = NULL;
	char *name = NULL;
	int ret = -EINVAL;

	if (field_split(line, len, f, fl, 3) != 3 || !fl[1] || !fl[2] ||
	    (fl[2] % 2 && !(fl[2] == 1 && f[2][0] == '-')))
		return -EINVAL;
	if (manifest_unescape(f[1], fl[1], &name))
		return -EINVAL;
	v = malloc(fl[2] / 2 + 1);
	if (!v) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i + 1 < fl[2]; i += 2) {
		int hi = nibble(f[2][i]), lo = nibble(f[2][i + 1]);

		if (hi < 0 || lo < 0)
			goto out_free;
		v[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	ret = tar_member_xattr_add(m, name, v, fl[2] / 2);
out_free:
	free(v);
	free(name);
	return ret;
}

int manifest_extra_decode(struct tar_member *m, const char *line, size_t len)
{
	if (len == 6 && !memcmp(line, "sparse", 6)) {
		m->flags |= TAR_MEMBER_SPARSE;
		return 0;
	}
	if (len > 6 && !memcmp(line, "xattr\t", 6))
		return xattr_decode(m, line, len);
	return 0; /* a line type of a later format */
}
