/* tapeio/manifest.c - member records and the manifest text format
 * (tapeio/manifest.h). */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/chunk.h"
#include "tapeio/manifest.h"

void tar_member_clear(struct tar_member *m)
{
	free(m->name);
	free(m->link);
	free(m->chunks);
	memset(m, 0, sizeof(*m));
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
	*dst = *src;
	dst->name = NULL;
	dst->link = NULL;
	dst->chunks = NULL;
	if (src->name && !(dst->name = strdup(src->name)))
		goto out_nomem;
	if (src->link && !(dst->link = strdup(src->link)))
		goto out_nomem;
	if (src->chunks &&
	    !(dst->chunks = malloc((size_t)src->nchunks * CHUNK_DIGEST)))
		goto out_nomem;
	if (src->chunks)
		memcpy(dst->chunks, src->chunks,
		       (size_t)src->nchunks * CHUNK_DIGEST);
	return 0;
out_nomem:
	free(dst->name);
	free(dst->link);
	dst->name = NULL;
	dst->link = NULL;
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

/* Append to a growing buffer. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static int sbuf_add(struct sbuf *b, const char *s, size_t n)
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

static int manifest_line_encode(struct sbuf *b, const struct tar_member *m)
{
	char *name = NULL, *link = NULL, head[256];
	int ret, n;

	if ((m->type != TAR_FILE && m->type != TAR_DIR &&
	     m->type != TAR_SYMLINK) ||
	    !m->name || !md5_hex_valid(m->md5) ||
	    (m->type == TAR_SYMLINK && !m->link))
		return -EINVAL;
	ret = manifest_escape(m->name, &name);
	if (ret)
		goto out;
	if (m->type == TAR_SYMLINK) {
		if (strcmp(m->link, "-") == 0)
			ret = (link = strdup("\\x2d")) ? 0 : -ENOMEM;
		else
			ret = manifest_escape(m->link, &link);
		if (ret)
			goto out;
	}
	n = snprintf(head, sizeof(head),
		     "%c\t%" PRIu64 "\t%04o\t%u\t%u\t%lld.%09ld\t%s\t%" PRIu64
		     "\t%" PRIu64 "\t",
		     (char)m->type, m->size, (unsigned)(m->mode & 07777),
		     (unsigned)m->uid, (unsigned)m->gid,
		     (long long)m->mtime.tv_sec, (long)m->mtime.tv_nsec, m->md5,
		     m->header_offset, m->data_offset);
	ret = sbuf_add(b, head, (size_t)n);
	if (!ret)
		ret = sbuf_add(b, name, strlen(name));
	if (!ret)
		ret = sbuf_add(b, "\t", 1);
	if (!ret)
		ret = link ? sbuf_add(b, link, strlen(link))
			   : sbuf_add(b, "-", 1);
	if (!ret)
		ret = sbuf_add(b, "\n", 1);
out:
	free(name);
	free(link);
	return ret;
}

int manifest_encode(const struct tar_member *m, size_t n, char **out,
		    size_t *len)
{
	struct sbuf b = {0};
	size_t i;
	int ret;

	ret = sbuf_add(&b, MANIFEST_MAGIC "\n", strlen(MANIFEST_MAGIC) + 1);
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

/* Parse an unsigned decimal field; 0 or -EINVAL. */
static int field_u64(const char *s, size_t len, uint64_t *v)
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

static int field_mtime(const char *s, size_t len, struct timespec *ts)
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

int manifest_line_decode(const char *line, size_t len, struct tar_member *m)
{
	const char *f[11];
	size_t fl[11], nf = 0, i, start = 0;
	uint64_t v;
	int ret = -EINVAL;

	memset(m, 0, sizeof(*m));
	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (nf == 11)
			return -EINVAL;
		f[nf] = line + start;
		fl[nf++] = i - start;
		start = i + 1;
	}
	if (nf != 11 || fl[0] != 1)
		return -EINVAL;
	if (f[0][0] != TAR_FILE && f[0][0] != TAR_DIR && f[0][0] != TAR_SYMLINK)
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
	    field_u64(f[8], fl[8], &m->data_offset) || fl[9] == 0)
		return -EINVAL;
	ret = manifest_unescape(f[9], fl[9], &m->name);
	if (ret)
		goto out_clear;
	if (m->type == TAR_SYMLINK) {
		ret = manifest_unescape(f[10], fl[10], &m->link);
		if (ret)
			goto out_clear;
	} else if (fl[10] != 1 || f[10][0] != '-') {
		ret = -EINVAL;
		goto out_clear;
	}
	return 0;
out_clear:
	tar_member_clear(m);
	return ret;
}

int manifest_decode(const char *buf, size_t len, struct tar_member **out,
		    size_t *n)
{
	size_t magic = strlen(MANIFEST_MAGIC), pos, cap = 0, cnt = 0;
	struct tar_member *v = NULL, *nv;
	const char *nl;
	int ret;

	if (len < magic + 1 || memcmp(buf, MANIFEST_MAGIC "\n", magic + 1))
		return -EINVAL;
	for (pos = magic + 1; pos < len; pos = (size_t)(nl - buf) + 1) {
		nl = memchr(buf + pos, '\n', len - pos);
		if (!nl) {
			ret = -EINVAL;
			goto out_free;
		}
		if (cnt == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				ret = -ENOMEM;
				goto out_free;
			}
			v = nv;
		}
		ret = manifest_line_decode(buf + pos, (size_t)(nl - buf) - pos,
					   &v[cnt]);
		if (ret)
			goto out_free;
		cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
out_free:
	tar_members_free(v, cnt);
	return ret;
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
