/* catalog/paths.c - paths as a tree of nodes: (parent node, name bytes).
 *
 * A path is stored once per distinct name under its parent, never as a
 * full string: this keeps ten million members compact and makes a
 * directory listing one range of the (parent, name) index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

static const char SQL_NODE_CHILD[] =
	"SELECT id FROM node WHERE parent = :parent AND name = :name";
static const char SQL_NODE_GET[] =
	"SELECT parent, name FROM node WHERE id = :id";

/* The next component of *p: its start and length; advances *p past it and
 * its '/'. Returns 0 at the end of the path. */
static int next_component(const char **p, const char **name, size_t *len)
{
	const char *s = *p, *e;

	if (!*s)
		return 0;
	e = strchr(s, '/');
	*name = s;
	*len = e ? (size_t)(e - s) : strlen(s);
	*p = e ? e + 1 : s + *len;
	return 1;
}

static const char *skip_root(const char *path)
{
	return path[0] == '/' ? path + 1 : path;
}

static int component_check(const char *name, size_t len, int last)
{
	if (len == 0)
		return last ? 0 : -EINVAL; /* "a/" ends with a slash: fine */
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	if (len > CAT_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int cat_path_check(const char *path)
{
	const char *p, *name;
	size_t len;
	int ret;

	if (!path)
		return -EINVAL;
	p = skip_root(path);
	while (next_component(&p, &name, &len)) {
		ret = component_check(name, len, !*p);
		if (ret < 0)
			return ret;
		if (len == 0 && *p)
			return -EINVAL;
	}
	/* "a//b" leaves an empty component that next_component reports */
	return strstr(skip_root(path), "//") ? -EINVAL : 0;
}

int cat_node_child(struct catconn *c, int64_t parent, const void *name,
		   size_t len, int64_t *node)
{
	struct catstmt *st = cat_stmt(c, SQL_NODE_CHILD);
	int rc, ret;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":parent", parent);
	cat_bind_blob(st, ":name", name, len);
	rc = cat_step(st, "node lookup");
	if (rc == 1) {
		*node = cat_col_i64(st, 0);
		ret = 0;
	} else if (rc == 0) {
		ret = -ENOENT;
	} else {
		ret = rc;
	}
	cat_done(st);
	return ret;
}

static struct cat_dslot *dslot(struct catalog *cat, int64_t parent,
			       const char *name, size_t len)
{
	uint64_t h = (uint64_t)parent * 0x9E3779B97F4A7C15ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001B3ull;
	return &cat->dcache[h % CAT_DCACHE_SLOTS];
}

/* A directory component: from the cache, else the index (then cached). */
static int dir_child(struct catconn *c, int64_t parent, const char *name,
		     size_t len, int64_t *node)
{
	struct catalog *cat = c->cat;
	struct cat_dslot *d;
	int ret;

	if (!cat || len > CAT_DCACHE_NAME)
		return cat_node_child(c, parent, name, len, node);
	d = dslot(cat, parent, name, len);
	pthread_mutex_lock(&cat->dcache_lock);
	if (d->node && d->parent == parent && d->len == len &&
	    memcmp(d->name, name, len) == 0) {
		*node = d->node;
		pthread_mutex_unlock(&cat->dcache_lock);
		return 0;
	}
	pthread_mutex_unlock(&cat->dcache_lock);
	ret = cat_node_child(c, parent, name, len, node);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&cat->dcache_lock);
	d->parent = parent;
	d->node = *node;
	d->len = (unsigned char)len;
	memcpy(d->name, name, len);
	pthread_mutex_unlock(&cat->dcache_lock);
	return 0;
}

int cat_node_split(struct catconn *c, const char *path, int64_t *parent,
		   const char **name, size_t *len)
{
	const char *p, *s;
	size_t n;
	int64_t id = 0;
	int ret;

	ret = cat_path_check(path);
	if (ret < 0)
		return ret;
	p = skip_root(path);
	*name = p;
	*len = 0;
	while (next_component(&p, &s, &n)) {
		if (n == 0)
			break;
		if (*len) { /* the one before is a directory on the way */
			ret = dir_child(c, id, *name, *len, &id);
			if (ret < 0)
				return ret;
		}
		*name = s;
		*len = n;
	}
	*parent = id;
	return 0;
}

int cat_node_find(struct catconn *c, const char *path, int64_t *node)
{
	const char *name;
	int64_t parent;
	size_t len;
	int ret;

	ret = cat_node_split(c, path, &parent, &name, &len);
	if (ret < 0)
		return ret;
	if (len == 0) {
		*node = 0;
		return 0;
	}
	return cat_node_child(c, parent, name, len, node);
}

int cat_node_path(struct catconn *c, int64_t node, char **out)
{
	struct catstmt *st = cat_stmt(c, SQL_NODE_GET);
	char *buf = NULL, *nb;
	size_t len = 0, depth = 0;
	int rc, ret = 0;

	if (!st)
		return -EIO;
	/* Built from the leaf up: each name is prepended. */
	while (node != 0) {
		const void *name;
		size_t n;

		if (++depth > 4096) {
			ret = -ELOOP;
			break;
		}
		cat_bind_i64(st, ":id", node);
		rc = cat_step(st, "node path");
		if (rc != 1) {
			ret = rc == 0 ? -ENOENT : rc;
			break;
		}
		node = cat_col_i64(st, 0);
		name = cat_col_blob(st, 1);
		n = (size_t)cat_col_bytes(st, 1);
		nb = malloc(len + n + 2);
		if (!nb) {
			ret = -ENOMEM;
			break;
		}
		memcpy(nb, name, n);
		if (len) {
			nb[n] = '/';
			memcpy(nb + n + 1, buf, len);
			len += n + 1;
		} else {
			len = n;
		}
		nb[len] = 0;
		free(buf);
		buf = nb;
		cat_done(st);
	}
	cat_done(st);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	if (!buf)
		buf = strdup("");
	if (!buf)
		return -ENOMEM;
	*out = buf;
	return 0;
}

int cat_dircache_path(struct catconn *c, struct cat_dircache *dc,
		      int64_t parent, const char *name, const char **out)
{
	size_t n = strlen(name), need;
	int ret;

	if (parent != dc->node || !dc->path) {
		free(dc->path);
		dc->path = NULL;
		ret = cat_node_path(c, parent, &dc->path);
		if (ret < 0)
			return ret;
		dc->node = parent;
		dc->len = strlen(dc->path);
	}
	need = dc->len + n + 2;
	if (need > dc->cap) {
		char *nb = realloc(dc->buf, need);

		if (!nb)
			return -ENOMEM;
		dc->buf = nb;
		dc->cap = need;
	}
	if (dc->len) {
		memcpy(dc->buf, dc->path, dc->len);
		dc->buf[dc->len] = '/';
		memcpy(dc->buf + dc->len + 1, name, n + 1);
	} else {
		memcpy(dc->buf, name, n + 1);
	}
	*out = dc->buf;
	return 0;
}

void cat_dircache_release(struct cat_dircache *dc)
{
	free(dc->path);
	free(dc->buf);
	dc->path = dc->buf = NULL;
	dc->node = -1;
}

void cat_md5_hex(const void *bin, size_t n, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = bin;

	if (!bin || n != 16) {
		out[0] = 0;
		return;
	}
	for (size_t i = 0; i < 16; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[32] = 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int cat_md5_unhex(const char *hex, unsigned char out[16])
{
	if (!hex || strlen(hex) != 32)
		return -EINVAL;
	for (size_t i = 0; i < 16; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
