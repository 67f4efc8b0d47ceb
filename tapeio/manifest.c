/* tapeio/manifest.c - member records and the manifest text format of
 * both versions (tapeio/manifest.h). The archive and chunks lines of
 * version 2 are tapeio/manifest_v2.c's. */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/chunk.h"
#include "tapeio/manifest.h"
#include "tapeio/manifest_int.h"

void tar_member_clear(struct tar_member *m)
{
	free(m->name);
	free(m->link);
	free(m->owner);
	free(m->group);
	free(m->chunks);
	for (uint32_t i = 0; i < m->nxattrs; i++) {
		free(m->xattrs[i].name);
		free(m->xattrs[i].value);
	}
	free(m->xattrs);
	memset(m, 0, sizeof(*m));
}

int tar_member_xattr_add(struct tar_member *m, const char *name,
			 const void *value, size_t len)
{
	struct tar_xattr *nv, *x;

	nv = realloc(m->xattrs, (m->nxattrs + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	m->xattrs = nv;
	x = &nv[m->nxattrs];
	x->name = strdup(name);
	x->value = malloc(len ? len : 1);
	x->len = len;
	if (!x->name || !x->value) {
		free(x->name);
		free(x->value);
		return -ENOMEM;
	}
	if (len)
		memcpy(x->value, value, len);
	m->nxattrs++;
	return 0;
}

void tar_members_free(struct tar_member *m, size_t n)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < n; i++)
		tar_member_clear(&m[i]);
	free(m);
}

int tar_member_copy(struct tar_member *dst, const struct tar_member *src)
{
	size_t nbytes = (size_t)src->nchunks * MANIFEST_DIGEST_SIZE;

	*dst = *src;
	dst->name = dst->link = dst->owner = dst->group = NULL;
	dst->chunks = NULL;
	dst->xattrs = NULL;
	dst->nxattrs = 0;
	if (src->name && !(dst->name = strdup(src->name)))
		goto out_nomem;
	if (src->link && !(dst->link = strdup(src->link)))
		goto out_nomem;
	if (src->owner && !(dst->owner = strdup(src->owner)))
		goto out_nomem;
	if (src->group && !(dst->group = strdup(src->group)))
		goto out_nomem;
	if (src->chunks && !(dst->chunks = malloc(nbytes)))
		goto out_nomem;
	if (src->chunks)
		memcpy(dst->chunks, src->chunks, nbytes);
	for (uint32_t i = 0; i < src->nxattrs; i++)
		if (tar_member_xattr_add(dst, src->xattrs[i].name,
					 src->xattrs[i].value,
					 src->xattrs[i].len))
			goto out_nomem;
	return 0;
out_nomem:
	tar_member_clear(dst);
	return -ENOMEM;
}

int manifest_escape(const char *s, char **out)
{
	size_t n = strlen(s), i, o = 0;
	char *e = malloc(4 * n + 1);

	if (!e)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\') {
			e[o++] = '\\';
			e[o++] = '\\';
		} else if (c == '\t') {
			e[o++] = '\\';
			e[o++] = 't';
		} else if (c == '\n') {
			e[o++] = '\\';
			e[o++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)sprintf(e + o, "\\x%02x", c);
		} else {
			e[o++] = (char)c;
		}
	}
	e[o] = '\0';
	*out = e;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int manifest_unescape(const char *s, size_t len, char **out)
{
	size_t i, o = 0;
	char *u = malloc(len + 1);
	int hi, lo;

	if (!u)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			goto out_inval;
		if (s[i] != '\\') {
			u[o++] = s[i];
			continue;
		}
		if (++i == len)
			goto out_inval;
		switch (s[i]) {
		case '\\':
			u[o++] = '\\';
			break;
		case 't':
			u[o++] = '\t';
			break;
		case 'n':
			u[o++] = '\n';
			break;
		case 'x':
			if (i + 2 >= len)
				goto out_inval;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto out_inval;
			u[o++] = (char)(hi * 16 + lo);
			i += 2;
			break;
		default:
			goto out_inval;
		}
	}
	u[o] = '\0';
	*out = u;
	return 0;
out_inval:
	free(u);
	return -EINVAL;
}

int sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* An escaped name field: "-" for NULL (when dash_null) and a name "-"
 * written "\x2d", so that "-" always means "none". */
static int field_name_add(struct sbuf *b, const char *v, int dash_null)
{
	char *e = NULL;
	int ret;

	if (!v && dash_null)
		return sbuf_add(b, "-", 1);
	if (strcmp(v, "-") == 0)
		return sbuf_add(b, "\\x2d", 4);
	ret = manifest_escape(v, &e);
	if (!ret)
		ret = sbuf_add(b, e, strlen(e));
	free(e);
	return ret;
}

static int manifest_line_encode(struct sbuf *b, const struct tar_member *m)
{
	char head[256];
	int ret, n;

	if ((m->type != TAR_FILE && m->type != TAR_DIR &&
	     m->type != TAR_SYMLINK) ||
	    !m->name || !md5_hex_valid(m->md5) ||
	    (m->type == TAR_SYMLINK && !m->link))
		return -EINVAL;
	n = snprintf(head, sizeof(head),
		     "%c\t%" PRIu64 "\t%04o\t%u\t%u\t%lld.%09ld\t%s\t%" PRIu64
		     "\t%" PRIu64 "\t",
		     (char)m->type, m->size, (unsigned)(m->mode & 07777),
		     (unsigned)m->uid, (unsigned)m->gid,
		     (long long)m->mtime.tv_sec, (long)m->mtime.tv_nsec, m->md5,
		     m->header_offset, m->data_offset);
	ret = sbuf_add(b, head, (size_t)n);
	if (!ret) {
		/* the name itself is never "none": only escaped */
		char *e = NULL;

		ret = manifest_escape(m->name, &e);
		if (!ret)
			ret = sbuf_add(b, e, strlen(e));
		free(e);
	}
	if (!ret)
		ret = sbuf_add(b, "\t", 1);
	if (!ret)
		ret = field_name_add(b, m->type == TAR_SYMLINK ? m->link : NULL,
				     1);
	if (!ret)
		ret = sbuf_add(b, "\t", 1);
	if (!ret)
		ret = field_name_add(b, m->owner, 1);
	if (!ret)
		ret = sbuf_add(b, "\t", 1);
	if (!ret)
		ret = field_name_add(b, m->group, 1);
	if (!ret)
		ret = sbuf_add(b, "\n", 1);
	if (!ret && m->nchunks)
		ret = manifest_chunks_encode(b, m);
	if (!ret)
		ret = manifest_extra_encode(b, m);
	return ret;
}

int manifest_encode(const struct manifest_archive *a,
		    const struct tar_member *m, size_t n, char **out,
		    size_t *len)
{
	static const struct manifest_archive none;
	struct sbuf b = {0};
	size_t i;
	int ret;

	ret = sbuf_add(&b, MANIFEST_MAGIC "\n", strlen(MANIFEST_MAGIC) + 1);
	if (!ret)
		ret = manifest_archive_encode(&b, a ? a : &none);
	for (i = 0; !ret && i < n; i++)
		ret = manifest_line_encode(&b, &m[i]);
	if (ret) {
		free(b.p);
		return ret;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int field_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

static int field_mode(const char *s, size_t len, mode_t *v)
{
	unsigned x = 0;
	size_t i;

	if (len == 0 || len > 6)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -EINVAL;
		x = x * 8 + (unsigned)(s[i] - '0');
	}
	if (x > 07777)
		return -EINVAL;
	*v = (mode_t)x;
	return 0;
}

int field_mtime(const char *s, size_t len, struct timespec *ts)
{
	const char *dot = memchr(s, '.', len);
	uint64_t sec, nsec;
	int neg = len > 0 && s[0] == '-';

	if (!dot || dot - s - neg < 1 || len - (size_t)(dot - s) - 1 != 9)
		return -EINVAL;
	if (field_u64(s + neg, (size_t)(dot - s) - (size_t)neg, &sec) ||
	    field_u64(dot + 1, 9, &nsec) || sec > INT64_MAX)
		return -EINVAL;
	ts->tv_sec = neg ? -(time_t)sec : (time_t)sec;
	ts->tv_nsec = (long)nsec;
	return 0;
}

size_t field_split(const char *line, size_t len, const char **f, size_t *fl,
		   size_t max)
{
	size_t nf = 0, i, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (nf == max)
			return max + 1;
		f[nf] = line + start;
		fl[nf++] = i - start;
		start = i + 1;
	}
	return nf;
}

/* A name field that may say "-" (none): *out NULL then. */
static int field_name(const char *s, size_t len, char **out)
{
	*out = NULL;
	if (len == 1 && s[0] == '-')
		return 0;
	return manifest_unescape(s, len, out);
}

/* The numeric fields 1..8 of a member line into m. */
static int member_numbers(const char *const *f, const size_t *fl,
			  struct tar_member *m)
{
	uint64_t v;

	if (fl[0] != 1 || (f[0][0] != TAR_FILE && f[0][0] != TAR_DIR &&
			   f[0][0] != TAR_SYMLINK))
		return -EINVAL;
	m->type = (enum tar_type)f[0][0];
	if (field_u64(f[1], fl[1], &m->size) ||
	    field_mode(f[2], fl[2], &m->mode))
		return -EINVAL;
	if (field_u64(f[3], fl[3], &v) || v > UINT32_MAX)
		return -EINVAL;
	m->uid = (uid_t)v;
	if (field_u64(f[4], fl[4], &v) || v > UINT32_MAX)
		return -EINVAL;
	m->gid = (gid_t)v;
	if (field_mtime(f[5], fl[5], &m->mtime) || fl[6] != 32)
		return -EINVAL;
	memcpy(m->md5, f[6], 32);
	m->md5[32] = '\0';
	if (!md5_hex_valid(m->md5) ||
	    field_u64(f[7], fl[7], &m->header_offset) ||
	    field_u64(f[8], fl[8], &m->data_offset))
		return -EINVAL;
	return 0;
}

#define MEMBER_FIELDS_V1 11
#define MEMBER_FIELDS_V2 13

/* A member line into *m (zeroed first); *nf gets its field count (11 or
 * 13: fields past the 13th, a later format's, are left unread). */
static int member_decode(const char *line, size_t len, struct tar_member *m,
			 size_t *nf)
{
	const char *f[MEMBER_FIELDS_V2];
	size_t fl[MEMBER_FIELDS_V2];
	int ret = -EINVAL;

	memset(m, 0, sizeof(*m));
	*nf = field_split(line, len, f, fl, MEMBER_FIELDS_V2);
	if (*nf > MEMBER_FIELDS_V2)
		*nf = MEMBER_FIELDS_V2;
	if ((*nf != MEMBER_FIELDS_V1 && *nf != MEMBER_FIELDS_V2) ||
	    member_numbers(f, fl, m) || fl[9] == 0)
		return -EINVAL;
	ret = manifest_unescape(f[9], fl[9], &m->name);
	if (ret)
		goto out_clear;
	if (m->type == TAR_SYMLINK)
		ret = manifest_unescape(f[10], fl[10], &m->link);
	else if (fl[10] != 1 || f[10][0] != '-')
		ret = -EINVAL;
	if (!ret && *nf == MEMBER_FIELDS_V2)
		ret = field_name(f[11], fl[11], &m->owner);
	if (!ret && *nf == MEMBER_FIELDS_V2)
		ret = field_name(f[12], fl[12], &m->group);
	if (ret)
		goto out_clear;
	return 0;
out_clear:
	tar_member_clear(m);
	return ret;
}

int manifest_line_decode(const char *line, size_t len, struct tar_member *m)
{
	size_t nf;

	return member_decode(line, len, m, &nf);
}

/* Room for one more member in mf (capacity *cap). */
static int members_grow(struct manifest *mf, size_t *cap)
{
	struct tar_member *nv;

	if (mf->n < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 64;
	nv = realloc(mf->m, *cap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	mf->m = nv;
	return 0;
}

/* One line after the magic: a member, or (version 2) a typed line. */
static int manifest_line(struct manifest *mf, const char *line, size_t len,
			 size_t *cap)
{
	size_t w = 0, nf;
	int ret;

	while (w < len && line[w] != '\t')
		w++;
	if (mf->version == 2 && w > 1) {
		if (w == 6 && !memcmp(line, "chunks", 6))
			return mf->n ? manifest_chunks_decode(&mf->m[mf->n - 1],
							      line, len)
				     : -EINVAL;
		return mf->n
			   ? manifest_extra_decode(&mf->m[mf->n - 1], line, len)
			   : 0; /* a line type of a later format */
	}
	ret = members_grow(mf, cap);
	if (ret)
		return ret;
	ret = member_decode(line, len, &mf->m[mf->n], &nf);
	if (ret)
		return ret;
	if (nf != (mf->version == 1 ? MEMBER_FIELDS_V1 : MEMBER_FIELDS_V2)) {
		tar_member_clear(&mf->m[mf->n]);
		return -EINVAL;
	}
	mf->n++;
	return 0;
}

/* The magic line (and the archive line of version 2): *pos after them. */
static int manifest_head(struct manifest *mf, const char *buf, size_t len,
			 size_t *pos)
{
	size_t m1 = strlen(MANIFEST_MAGIC_V1), m2 = strlen(MANIFEST_MAGIC);
	const char *nl;

	if (len >= m1 + 1 && !memcmp(buf, MANIFEST_MAGIC_V1 "\n", m1 + 1)) {
		mf->version = 1;
		*pos = m1 + 1;
		return 0;
	}
	if (len < m2 + 1 || memcmp(buf, MANIFEST_MAGIC "\n", m2 + 1))
		return -EINVAL;
	mf->version = 2;
	nl = memchr(buf + m2 + 1, '\n', len - m2 - 1);
	if (!nl)
		return -EINVAL;
	*pos = (size_t)(nl - buf) + 1;
	return manifest_archive_decode(&mf->archive, buf + m2 + 1,
				       (size_t)(nl - buf) - m2 - 1);
}

int manifest_decode(const char *buf, size_t len, struct manifest *out)
{
	struct manifest mf;
	size_t pos, cap = 0;
	const char *nl;
	int ret;

	memset(&mf, 0, sizeof(mf));
	ret = manifest_head(&mf, buf, len, &pos);
	for (; !ret && pos < len; pos = (size_t)(nl - buf) + 1) {
		nl = memchr(buf + pos, '\n', len - pos);
		if (!nl) {
			ret = -EINVAL;
			break;
		}
		ret = manifest_line(&mf, buf + pos, (size_t)(nl - buf) - pos,
				    &cap);
	}
	if (ret) {
		manifest_release(&mf);
		return ret;
	}
	*out = mf;
	return 0;
}

void manifest_release(struct manifest *mf)
{
	if (!mf)
		return;
	tar_members_free(mf->m, mf->n);
	memset(mf, 0, sizeof(*mf));
}

static locale_t tar_utf8;
static pthread_once_t tar_utf8_once = PTHREAD_ONCE_INIT;

static void tar_utf8_make(void)
{
	tar_utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

void *tar_locale_enter(void)
{
	pthread_once(&tar_utf8_once, tar_utf8_make);
	if (!tar_utf8)
		return NULL;
	return (void *)uselocale(tar_utf8);
}

void tar_locale_leave(void *old)
{
	if (old)
		uselocale((locale_t)old);
}
