/* fs/ns/ns_member.c - what archive/ and tapes/LABEL/NNNN/ share: the
 * attributes and extended attributes of an archived member, from the
 * catalog only (never a tape). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/tapefs.h"

void ns_member_attr(struct tapefs *fs, const struct catalog_member *m,
		    struct ns_attr *out)
{
	memset(&out->st, 0, sizeof(out->st));
	out->st.st_mode = m->mode & 07777;
	out->st.st_uid = m->uid;
	out->st.st_gid = m->gid;
	out->st.st_mtim.tv_sec = m->mtime;
	out->st.st_mtim.tv_nsec = m->mtime_nsec;
	out->st.st_ctim = out->st.st_mtim;
	out->st.st_atim = out->st.st_mtim;
	out->st.st_blksize = 65536;
	/* stable across mounts: catalog member ids never change */
	if (m->id > 0)
		out->st.st_ino = (ino_t)(NS_INO_MEMBER | (uint64_t)m->id);
	switch (m->type) {
	case CATALOG_DIR:
		out->kind = NS_DIR;
		out->st.st_mode |= S_IFDIR;
		if (!(m->mode & 07777))
			out->st.st_mode |= 0555;
		break;
	case CATALOG_SYMLINK:
		out->kind = NS_LINK;
		out->st.st_mode = S_IFLNK | 0777;
		snprintf(out->link, sizeof(out->link), "%s",
			 m->link ? m->link : "");
		out->st.st_size = (off_t)strlen(out->link);
		break;
	default:
		out->kind = NS_MEMBER;
		out->member_id = m->id;
		out->st.st_mode |= S_IFREG;
		out->st.st_size = (off_t)m->size;
		/* st_blocks counts what is online: du shows the cache */
		if (fs->recall)
			out->st.st_blocks =
			    (blkcnt_t)((recall_cached_bytes(fs->recall, m->id) +
					511) /
				       512);
		break;
	}
}

static const char *const xattr_names[] = {
    "user.tapefs.md5",	    "user.tapefs.state",   "user.tapefs.copies",
    "user.tapefs.archived", "user.tapefs.dmstate",
};

struct copies_ctx {
	struct strbuf *out;
	int n, verified;
};

static int add_copy(void *vctx, const struct catalog_location *l)
{
	struct copies_ctx *c = vctx;

	if (l->state == CATALOG_COPY_LOST)
		return 0; /* replaced by another copy: never read */
	strbuf_addf(c->out, "%s%s:%lld:%llu", c->n++ ? "," : "", l->barcode,
		    (long long)l->fileno, (unsigned long long)l->block);
	return 0;
}

static int verified_copy(void *vctx, const struct catalog_copy *cp)
{
	struct copies_ctx *c = vctx;

	if (cp->last_verified > 0 && cp->last_result == CATALOG_RESULT_OK)
		c->verified = 1;
	return 0;
}

static int member_state(struct tapefs *fs, const struct catalog_member *m,
			struct strbuf *out)
{
	struct copies_ctx c = {.out = out};
	int ret;

	if (fs->recall && m->type == CATALOG_FILE) {
		switch (recall_state(fs->recall, m->id)) {
		case RECALL_CACHED:
			strbuf_addf(out, "cached");
			return 0;
		case RECALL_RECALLING:
			strbuf_addf(out, "recalling");
			return 0;
		default:
			break;
		}
	}
	ret = catalog_archive_copies(fs->cat, m->archive, verified_copy, &c);
	if (ret)
		return ret;
	strbuf_addf(out, c.verified ? "verified" : "archived");
	return 0;
}

/* DMF's word for what the cache holds of m (docs/recall.md): DUL (on tape
 * and wholly cached), UNM (being recalled), PAR (partly cached), OFL (on
 * tape, nothing cached). Directories and symlinks have no data: none. */
static int member_dmstate(struct tapefs *fs, const struct catalog_member *m,
			  struct strbuf *out)
{
	const char *s = "OFL";

	if (m->type != CATALOG_FILE)
		return -ENODATA;
	switch (fs->recall ? recall_state(fs->recall, m->id) : RECALL_OFFLINE) {
	case RECALL_CACHED:
		s = "DUL";
		break;
	case RECALL_RECALLING:
		s = "UNM";
		break;
	case RECALL_PARTIAL:
		s = "PAR";
		break;
	default:
		break;
	}
	strbuf_addf(out, "%s", s);
	return 0;
}

/* An attribute the file had when it was dumped (its user.* and ACLs,
 * kept in the catalog): its value, binary as it was. */
static int member_kept_xattr(struct tapefs *fs, const struct catalog_member *m,
			     const char *name, struct strbuf *out)
{
	void *v = NULL;
	size_t len = 0;
	int ret;

	if (!strncmp(name, "user.tapefs.", 12))
		return -ENODATA; /* tapefs's own names are answered above */
	ret = catalog_xattr_get(fs->cat, m->id, name, &v, &len);
	if (!ret)
		strbuf_add(out, v, len);
	free(v);
	return ret;
}

static int add_name(void *ctx, const char *name)
{
	strbuf_add(ctx, name, strlen(name) + 1);
	return 0;
}

int ns_member_getxattr(struct tapefs *fs, const struct catalog_member *m,
		       const char *name, struct strbuf *out)
{
	struct catalog_archive a;
	struct copies_ctx c = {.out = out};
	char when[64];
	struct tm tm;
	time_t t;
	int ret;

	if (m->id <= 0 || m->implicit)
		return -ENODATA; /* made-up directories have no tape data */
	if (!strcmp(name, xattr_names[0])) {
		if (!m->md5[0])
			return -ENODATA;
		strbuf_addf(out, "%s", m->md5);
		return 0;
	}
	if (!strcmp(name, xattr_names[1]))
		return member_state(fs, m, out);
	if (!strcmp(name, xattr_names[2]))
		return catalog_member_whereis(fs->cat, m->id, add_copy, &c);
	if (!strcmp(name, xattr_names[4]))
		return member_dmstate(fs, m, out);
	if (!strcmp(name, xattr_names[3])) {
		ret = catalog_archive_get(fs->cat, m->archive, &a);
		if (ret)
			return ret;
		t = (time_t)a.created;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		strbuf_addf(out, "%s", when);
		return 0;
	}
	return member_kept_xattr(fs, m, name, out);
}

int ns_member_listxattr(struct tapefs *fs, const struct catalog_member *m,
			struct strbuf *out)
{
	if (m->id <= 0 || m->implicit)
		return 0;
	for (size_t i = 0; i < sizeof(xattr_names) / sizeof(xattr_names[0]);
	     i++) {
		if ((i == 0 && !m->md5[0]) ||
		    (i == 4 && m->type != CATALOG_FILE))
			continue;
		strbuf_add(out, xattr_names[i], strlen(xattr_names[i]) + 1);
	}
	return catalog_xattr_names(fs->cat, m->id, add_name, out);
}
