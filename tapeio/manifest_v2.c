/* tapeio/manifest_v2.c - what version 2 of the manifest adds
 * (tapeio/manifest.h): the archive line, the chunks lines, owner and group
 * names, and the uuid that names an archive on every tape it is copied to.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "tapeio/manifest.h"
#include "tapeio/manifest_int.h"

static const char *const kind_names[] = {"data", "catalog"};

/* key=value with the value escaped (it never holds a TAB or newline). */
static int kv_add(struct sbuf *b, const char *key, const char *value)
{
	char *e = NULL;
	int ret = manifest_escape(value, &e);

	if (!ret)
		ret = sbuf_add(b, "\t", 1);
	if (!ret)
		ret = sbuf_add(b, key, strlen(key));
	if (!ret)
		ret = sbuf_add(b, "=", 1);
	if (!ret)
		ret = sbuf_add(b, e, strlen(e));
	free(e);
	return ret;
}

int manifest_archive_encode(struct sbuf *b, const struct manifest_archive *a)
{
	char num[96];
	int ret;

	if ((unsigned)a->kind >= sizeof(kind_names) / sizeof(kind_names[0]) ||
	    a->dump_id < 0 || a->dumped < 0)
		return -EINVAL;
	ret = sbuf_add(b, "archive", 7);
	if (!ret)
		ret = kv_add(b, "uuid", a->uuid);
	snprintf(num, sizeof(num), "%" PRId64, a->dump_id);
	if (!ret)
		ret = kv_add(b, "dump", num);
	snprintf(num, sizeof(num), "%" PRId64, a->dumped);
	if (!ret)
		ret = kv_add(b, "dumped", num);
	snprintf(num, sizeof(num), "%lld.%09ld", (long long)a->written.tv_sec,
		 (long)a->written.tv_nsec);
	if (!ret)
		ret = kv_add(b, "written", num);
	if (!ret)
		ret = kv_add(b, "pools", a->pools);
	if (!ret)
		ret = kv_add(b, "kind", kind_names[a->kind]);
	if (!ret && a->catalog[0])
		ret = kv_add(b, "catalog", a->catalog);
	if (!ret)
		ret = sbuf_add(b, "\n", 1);
	return ret;
}

/* An escaped value into dst[size]: 0, or -EINVAL when it does not fit. */
static int value_text(const char *v, size_t len, char *dst, size_t size)
{
	char *u = NULL;
	int ret = manifest_unescape(v, len, &u);

	if (ret)
		return ret;
	if (strlen(u) >= size)
		ret = -EINVAL;
	else
		memcpy(dst, u, strlen(u) + 1);
	free(u);
	return ret;
}

/* One key=value of the archive line. Unknown keys are ignored. */
static int archive_kv(struct manifest_archive *a, const char *k, size_t kl,
		      const char *v, size_t vl)
{
	char word[16];
	uint64_t n;

#define KEY(s) (kl == strlen(s) && !memcmp(k, s, kl))
	if (KEY("uuid"))
		return value_text(v, vl, a->uuid, sizeof(a->uuid));
	if (KEY("pools"))
		return value_text(v, vl, a->pools, sizeof(a->pools));
	if (KEY("catalog"))
		return value_text(v, vl, a->catalog, sizeof(a->catalog));
	if (KEY("written"))
		return field_mtime(v, vl, &a->written);
	if (KEY("dump") || KEY("dumped")) {
		if (field_u64(v, vl, &n) || n > INT64_MAX)
			return -EINVAL;
		*(KEY("dump") ? &a->dump_id : &a->dumped) = (int64_t)n;
		return 0;
	}
	if (KEY("kind")) {
		if (value_text(v, vl, word, sizeof(word)))
			return -EINVAL;
		for (size_t i = 0; i < sizeof(kind_names) / sizeof(*kind_names);
		     i++)
			if (!strcmp(word, kind_names[i])) {
				a->kind = (enum manifest_kind)i;
				return 0;
			}
		return -EINVAL; /* a kind this version cannot handle */
	}
#undef KEY
	return 0;
}

int manifest_archive_decode(struct manifest_archive *a, const char *line,
			    size_t len)
{
	size_t pos = 0, end;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	if (len < 7 || memcmp(line, "archive", 7) ||
	    (len > 7 && line[7] != '\t'))
		return -EINVAL;
	for (pos = 8; !ret && pos < len; pos = end + 1) {
		const char *f = line + pos, *eq;

		for (end = pos; end < len && line[end] != '\t'; end++)
			;
		eq = memchr(f, '=', end - pos);
		if (eq)
			ret = archive_kv(a, f, (size_t)(eq - f), eq + 1,
					 end - pos - (size_t)(eq - f) - 1);
	}
	return ret;
}

int manifest_chunks_encode(struct sbuf *b, const struct tar_member *m)
{
	static const char hex[] = "0123456789abcdef";
	char head[32], d[1 + 2 * MANIFEST_DIGEST_SIZE];
	int ret, n;

	n = snprintf(head, sizeof(head), "chunks\t%u", MANIFEST_CHUNK);
	ret = sbuf_add(b, head, (size_t)n);
	for (size_t i = 0; !ret && i < m->nchunks; i++) {
		const unsigned char *c = m->chunks + i * MANIFEST_DIGEST_SIZE;

		d[0] = '\t';
		for (size_t j = 0; j < MANIFEST_DIGEST_SIZE; j++) {
			d[1 + 2 * j] = hex[c[j] >> 4];
			d[2 + 2 * j] = hex[c[j] & 15];
		}
		ret = sbuf_add(b, d, sizeof(d));
	}
	if (!ret)
		ret = sbuf_add(b, "\n", 1);
	return ret;
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 32 lower-case hex digits into 16 bytes: 0 or -EINVAL. */
static int digest_unhex(const char *s, size_t len, unsigned char *out)
{
	if (len != 2 * MANIFEST_DIGEST_SIZE)
		return -EINVAL;
	for (size_t j = 0; j < MANIFEST_DIGEST_SIZE; j++) {
		int hi = hexdigit(s[2 * j]), lo = hexdigit(s[2 * j + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[j] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int manifest_chunks_decode(struct tar_member *m, const char *line, size_t len)
{
	size_t pos = 7, end, want, k = 0;
	uint64_t size;

	if (len < 8 || line[6] != '\t')
		return -EINVAL;
	for (end = pos; end < len && line[end] != '\t'; end++)
		;
	if (field_u64(line + pos, end - pos, &size))
		return -EINVAL;
	if (size != MANIFEST_CHUNK)
		return 0; /* digests of another size: not for this version */
	want = (size_t)((m->size + MANIFEST_CHUNK - 1) / MANIFEST_CHUNK);
	if (m->chunks || m->type != TAR_FILE || m->size <= MANIFEST_CHUNK)
		return -EINVAL;
	m->chunks = malloc(want * MANIFEST_DIGEST_SIZE);
	if (!m->chunks)
		return -ENOMEM;
	for (pos = end + 1; end < len && k < want; pos = end + 1, k++) {
		for (end = pos; end < len && line[end] != '\t'; end++)
			;
		if (digest_unhex(line + pos, end - pos,
				 m->chunks + k * MANIFEST_DIGEST_SIZE))
			break;
	}
	if (k != want || end != len) {
		free(m->chunks);
		m->chunks = NULL;
		return -EINVAL;
	}
	m->nchunks = (uint32_t)want;
	return 0;
}

/* Names of ids seen last: most archives hold a few owners. */
#define NAME_CACHE 16
struct name_cache {
	struct {
		unsigned id;
		int valid;
		char *name; /* NULL: the id has no name here */
	} e[NAME_CACHE];
	size_t next;
};

static char *name_lookup(unsigned id, int group)
{
	char buf[4096], *res = NULL;
	struct passwd pw, *pp = NULL;
	struct group gr, *gp = NULL;

	if (group) {
		if (getgrgid_r((gid_t)id, &gr, buf, sizeof(buf), &gp) == 0 &&
		    gp)
			res = strdup(gr.gr_name);
	} else if (getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &pp) == 0 &&
		   pp) {
		res = strdup(pw.pw_name);
	}
	return res;
}

/* A malloc'd copy of id's name (NULL: none); -ENOMEM. */
static int name_of(struct name_cache *c, unsigned id, int group, char **out)
{
	size_t i;

	for (i = 0; i < NAME_CACHE; i++)
		if (c->e[i].valid && c->e[i].id == id)
			break;
	if (i == NAME_CACHE) {
		i = c->next++ % NAME_CACHE;
		free(c->e[i].name);
		c->e[i].name = name_lookup(id, group);
		c->e[i].id = id;
		c->e[i].valid = 1;
	}
	*out = NULL;
	if (c->e[i].name && !(*out = strdup(c->e[i].name)))
		return -ENOMEM;
	return 0;
}

int manifest_names_fill(struct tar_member *m, size_t n)
{
	struct name_cache users, groups;
	int ret = 0;

	memset(&users, 0, sizeof(users));
	memset(&groups, 0, sizeof(groups));
	for (size_t i = 0; i < n && !ret; i++) {
		free(m[i].owner);
		free(m[i].group);
		m[i].group = NULL;
		ret = name_of(&users, (unsigned)m[i].uid, 0, &m[i].owner);
		if (!ret)
			ret = name_of(&groups, (unsigned)m[i].gid, 1,
				      &m[i].group);
	}
	for (size_t i = 0; i < NAME_CACHE; i++) {
		free(users.e[i].name);
		free(groups.e[i].name);
	}
	return ret;
}

void manifest_uuid_new(char out[MANIFEST_UUID_SIZE])
{
	uuid_t u;

	/* libuuid, as the tapes' labels: random (v4) from the kernel's
	 * generator (no library state for an exit to tear down under a
	 * writing thread), else time and node based (v1); never one made
	 * twice, which would join unrelated archives' copies */
	uuid_generate(u);
	uuid_unparse_lower(u, out);
}
