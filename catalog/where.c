/* catalog/where.c - what the `catalog` setting names (catalog.h, "where
 * the catalog is"): a sqlite file, or a database server's URI; and that
 * setting made safe to print (a URI may hold a password).
 *
 * The one place that tells a file from a URI: the config, the daemon and
 * every command ask here instead of looking at the string themselves.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"

static const char *const pg_schemes[] = {"postgresql://", "postgres://"};

/* The length of where's PostgreSQL scheme, 0 when it has none. */
static size_t pg_scheme(const char *where)
{
	for (size_t i = 0; i < sizeof(pg_schemes) / sizeof(pg_schemes[0]); i++)
		if (!strncasecmp(where, pg_schemes[i], strlen(pg_schemes[i])))
			return strlen(pg_schemes[i]);
	return 0;
}

enum catalog_kind catalog_kind_of(const char *where)
{
	if (where && pg_scheme(where))
		return CATALOG_KIND_POSTGRESQL;
	return CATALOG_KIND_FILE;
}

const char *catalog_kind_name(enum catalog_kind k)
{
	return k == CATALOG_KIND_POSTGRESQL ? "postgresql" : "sqlite";
}

int catalog_kind_available(enum catalog_kind k)
{
	/* db_sqlite.c and db_pg.c; the mount is tested on both
	 * (tests/t_mount_pg.sh) */
	return k == CATALOG_KIND_FILE || k == CATALOG_KIND_POSTGRESQL;
}

/* Appending to a bounded buffer: what does not fit is dropped, the text
 * stays terminated. Bytes that are not printable ASCII become '?', so
 * that a setting never carries a control character into a log line. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->len + 1 < o->size; i++) {
		unsigned char ch = (unsigned char)s[i];

		o->buf[o->len++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	o->buf[o->len] = '\0';
}

#define MASK "***"

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Whether the n bytes of key, percent-decoded as libpq decodes a URI's
 * parameters, are "password" (in any case). */
static int key_is_password(const char *key, size_t n)
{
	static const char want[] = "password";
	size_t j = 0;

	for (size_t i = 0; i < n; i++, j++) {
		unsigned int ch = (unsigned char)key[i];

		if (ch == '%' && i + 2 < n && hex(key[i + 1]) >= 0 &&
		    hex(key[i + 2]) >= 0) {
			ch = (unsigned)(hex(key[i + 1]) * 16 + hex(key[i + 2]));
			i += 2;
		}
		if (j >= sizeof(want) - 1 || (ch | 0x20) != (unsigned)want[j])
			return 0;
	}
	return j == sizeof(want) - 1;
}

/* The query of a URI (from its '?'), the value of each password=VALUE
 * printed as ***. */
static void put_query(struct out *o, const char *q)
{
	while (*q) {
		size_t n = strcspn(q + 1, "&") + 1; /* one "?k=v" or "&k=v" */
		const char *eq = memchr(q + 1, '=', n - 1);

		if (eq && key_is_password(q + 1, (size_t)(eq - q - 1))) {
			put(o, q, (size_t)(eq - q) + 1);
			put(o, MASK, strlen(MASK));
		} else {
			put(o, q, n);
		}
		q += n;
	}
}

const char *catalog_where_print(const char *where, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	const char *auth, *at = NULL, *colon, *query, *p;
	size_t scheme;

	if (!buf || !size)
		return "";
	buf[0] = '\0';
	if (!where)
		return buf;
	scheme = pg_scheme(where);
	if (!scheme) {
		put(&o, where, strlen(where));
		return buf;
	}
	auth = where + scheme;
	/* The user's part ends at an '@'. A password should have its '@',
	 * '/' and '?' percent-encoded, but one that does not must not show
	 * either: the last '@' of the whole text is taken, which may hide
	 * more than the password, never less. */
	for (p = auth; *p; p++)
		if (*p == '@')
			at = p;
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	put(&o, where, scheme);
	if (colon) {
		put(&o, auth, (size_t)(colon - auth) + 1);
		put(&o, MASK, strlen(MASK));
		p = at;
	} else {
		p = auth;
	}
	query = strchr(p, '?');
	put(&o, p, query ? (size_t)(query - p) : strlen(p));
	if (query)
		put_query(&o, query);
	return buf;
}
