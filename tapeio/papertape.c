/* tapeio/papertape.c - PAPER's papertape catalog parsed
 * (tapeio/papertape.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/papertape.h"

#define ITEMS_MAX (1u << 26) /* more lines than any tape's catalog */

int papertape_probe(const char *buf, size_t len)
{
	int lines = 0, bol = 1;
	size_t i, j;

	/* NULs are skipped as papertape_parse() skips them: dd's padding
	 * may fall anywhere in the text, even between a line's two '#' */
	for (i = 0; i < len && lines < 3; i++) {
		if (buf[i] == '\0')
			continue;
		if (bol) {
			for (j = i + 1; j < len && buf[j] == '\0'; j++)
				;
			if (buf[i] != '#' || j >= len || buf[j] != '#')
				return 0;
			lines++;
		}
		bol = buf[i] == '\n';
	}
	return lines == 3;
}

/* A decimal index of at most 18 digits: 0 or -EINVAL. */
static int index_parse(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (!len || len > 18)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int md5_parse(const char *s, size_t len, char *out)
{
	if (len != 32)
		return -EINVAL;
	for (size_t i = 0; i < 32; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		out[i] = c;
	}
	out[32] = '\0';
	return 0;
}

/* One item line (len bytes, no NUL, no newline) into *it. */
static int line_parse(const char *s, size_t len, struct papertape_item *it)
{
	const char *f[4], *end = s + len, *p = s;
	size_t flen[4];
	int ret;

	for (int k = 0; k < 4; k++) {
		const char *c = memchr(p, ':', (size_t)(end - p));

		if (!c)
			return -EINVAL;
		f[k] = p;
		flen[k] = (size_t)(c - p);
		p = c + 1;
	}
	/* HOST:/PATH: a host, a colon, an absolute path */
	{
		const char *c = memchr(p, ':', (size_t)(end - p));

		if (!c || c == p || c + 1 >= end || c[1] != '/')
			return -EINVAL;
	}
	if ((ret = index_parse(f[0], flen[0], &it->item)) ||
	    (ret = index_parse(f[1], flen[1], &it->tape)) ||
	    (ret = index_parse(f[2], flen[2], &it->archive)) ||
	    (ret = md5_parse(f[3], flen[3], it->md5)))
		return ret;
	it->spec = strndup(p, (size_t)(end - p));
	return it->spec ? 0 : -ENOMEM;
}

static int item_cmp(const void *a, const void *b)
{
	const struct papertape_item *x = a, *y = b;

	if (x->archive != y->archive)
		return x->archive < y->archive ? -1 : 1;
	return strcmp(x->spec, y->spec);
}

/* The text without NULs (malloc'd, NUL-terminated, *len its length). */
static char *text_clean(const char *buf, size_t len, size_t *out)
{
	char *t = malloc(len + 1);
	size_t o = 0;

	if (!t)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			t[o++] = buf[i];
	t[o] = '\0';
	*out = o;
	return t;
}

static int item_add(struct papertape_catalog *c, size_t *cap,
		    const struct papertape_item *it)
{
	if (c->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		struct papertape_item *v;

		if (ncap > ITEMS_MAX)
			return -EINVAL;
		v = realloc(c->v, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		*cap = ncap;
	}
	c->v[c->n++] = *it;
	return 0;
}

/* Every line of t into c; *lineno: the line a failure stopped at. */
static int lines_parse(const char *t, size_t len, struct papertape_catalog *c,
		       size_t *lineno)
{
	struct papertape_item it;
	size_t cap = 0, pos = 0, n;
	int ret = 0;

	for (*lineno = 1; pos < len && !ret; (*lineno)++) {
		const char *nl = memchr(t + pos, '\n', len - pos);

		n = nl ? (size_t)(nl - (t + pos)) : len - pos;
		while (n && (t[pos + n - 1] == ' ' || t[pos + n - 1] == '\r'))
			n--;
		if (*lineno <= 3 && (n < 2 || memcmp(t + pos, "##", 2)))
			return -EINVAL;
		if (n && t[pos] != '#') {
			memset(&it, 0, sizeof(it));
			ret = line_parse(t + pos, n, &it);
			if (!ret && (ret = item_add(c, &cap, &it)))
				free(it.spec);
		}
		pos += (nl ? (size_t)(nl - (t + pos)) + 1 : len - pos);
	}
	if (!ret && *lineno <= 3) /* fewer than three lines */
		ret = -EINVAL;
	return ret;
}

int papertape_parse(const char *buf, size_t len, struct papertape_catalog *out,
		    size_t *bad_line)
{
	struct papertape_catalog c = {NULL, 0};
	size_t tlen, lineno = 0;
	char *t = text_clean(buf, len, &tlen);
	int ret;

	if (!t)
		return -ENOMEM;
	ret = lines_parse(t, tlen, &c, &lineno);
	free(t);
	if (ret) {
		if (bad_line)
			*bad_line = lineno;
		papertape_release(&c);
		return ret;
	}
	if (c.n) /* a catalog of no items: c.v is NULL */
		qsort(c.v, c.n, sizeof(*c.v), item_cmp);
	*out = c;
	return 0;
}

void papertape_release(struct papertape_catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].spec);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

const struct papertape_item *papertape_find(const struct papertape_catalog *c,
					    int64_t archive, const char *spec)
{
	struct papertape_item key = {.archive = archive, .spec = (char *)spec};

	if (!c->n)
		return NULL;
	return bsearch(&key, c->v, c->n, sizeof(*c->v), item_cmp);
}
