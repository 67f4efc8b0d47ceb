/* catalog/commit.c - the commit of a dump: archive, copies, members,
 * implicit directories, namespace, tapes and journal in one transaction;
 * and the same for an archive a rebuild imports from its manifest.
 *
 * Members stream in, in tape order, and get consecutive ids from the
 * archive's first_member, so "members of an archive in tape order" is a
 * rowid range and needs no index. Parent directories the archive does not
 * hold are collected on the way and added at the end as implicit directory
 * members (after the real ones, so the range stays contiguous).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/internal.h"

static const char SQL_DUMP_STATE[] = "SELECT state FROM dump WHERE id = :id";
static const char SQL_TAPE_CHECK[] =
	"SELECT state, last_file FROM tape WHERE barcode = :barcode";
static const char SQL_MEMBER_NEXT[] =
	"SELECT coalesce(max(id), 0) + 1 FROM member";
static const char SQL_ARCHIVE_ADD[] =
	"INSERT INTO archive(dump, created, members, bytes, block_size, md5, "
	"first_member, uuid, kind) VALUES(:dump, :created, 0, :bytes, "
	":block_size, :md5, :first, :uuid, :kind)";
static const char SQL_COPY_ADD[] =
	"INSERT INTO copy(archive, barcode, fileno, start_lblock, size) "
	"VALUES(:archive, :barcode, :fileno, :start_lblock, :size)";
/* max(last_file, :fileno): a scalar max() is sqlite's alone */
#define MAX_LAST_FILE                                                          \
	"CASE WHEN last_file > :fileno THEN last_file ELSE :fileno END"
static const char SQL_TAPE_APPEND[] =
    "UPDATE tape SET last_file = " MAX_LAST_FILE ", "
    "bytes_used = bytes_used + :size, "
    "state = CASE WHEN state = 0 THEN 1 ELSE state END "
    "WHERE barcode = :barcode";
/* An import also opens a closed tape: nothing writes a closed tape, so an
 * archive on it that the catalog did not know means the catalog is older
 * than the tape, or closed it for holding that archive (cat_copy_add()). */
static const char SQL_TAPE_IMPORT[] =
    "UPDATE tape SET last_file = " MAX_LAST_FILE ", "
    "bytes_used = bytes_used + :size, "
    "state = CASE WHEN state IN (0, 3) THEN 1 ELSE state END "
    "WHERE barcode = :barcode";
static const char SQL_NODE_ADD[] =
	"INSERT INTO node(parent, name, member) VALUES(:parent, :name, :member)";
/* A new path (the common case) in one statement; an existing one is found
 * and re-pointed after. */
static const char SQL_NODE_ADD_NEW[] =
    "INSERT INTO node(parent, name, member) "
    "VALUES(:parent, :name, :member) ON CONFLICT DO NOTHING";
static const char SQL_NODE_SET[] =
	"UPDATE node SET member = :member WHERE id = :id";
/* An implicit directory shows in the namespace only where no real
 * directory is (a newer implicit one replaces an older file there). */
static const char SQL_NODE_SET_IMPLICIT[] =
	"UPDATE node SET member = :member WHERE id = :id AND (member IS NULL "
	"OR (SELECT type FROM member WHERE member.id = node.member) != 1)";
/* An archive imported from its manifest (catalog_import_begin) may be
 * older than what a path shows: the path then shows what a commit in dump
 * order would have left. A member replaces one from an archive that is
 * not newer, and a directory also replaces a newer implicit one (which
 * would not have replaced it); an implicit directory replaces a
 * non-directory that is not newer, and a newer implicit directory (which
 * would not have replaced it). */
#define CUR_CREATED                                                            \
	"(SELECT archive.created FROM member JOIN archive ON archive.id = "   \
	"member.archive WHERE member.id = node.member)"
#define CUR_IMPLICIT                                                           \
	"(SELECT hdr IS NULL FROM member WHERE member.id = node.member)"
#define CUR_TYPE "(SELECT type FROM member WHERE member.id = node.member)"
static const char SQL_NODE_SET_OLDER[] =
    "UPDATE node SET member = :member WHERE id = :id AND (member IS NULL "
    "OR " CUR_CREATED " <= :created OR (:dir != 0 AND " CUR_IMPLICIT "))";
static const char SQL_NODE_SET_IMPLICIT_OLDER[] =
	"UPDATE node SET member = :member WHERE id = :id AND (member IS NULL "
	"OR (" CUR_TYPE " != 1 AND " CUR_CREATED " <= :created) "
	"OR (" CUR_IMPLICIT " AND " CUR_CREATED " > :created))";
static const char SQL_MEMBER_ADD[] =
	"INSERT INTO member(id, archive, node, parent, type, size, mode, uid, "
	"gid, mtime, mtime_nsec, md5, link, hdr, data, flags) VALUES(:id, "
	":archive, :node, :parent, :type, :size, :mode, :uid, :gid, :mtime, "
	":mtime_nsec, :md5, :link, :hdr, :data, :flags)";
static const char SQL_XATTR_ADD[] =
    "INSERT INTO xattr(member, name, value) "
    "VALUES(:member, :name, :value) "
    "ON CONFLICT(member, name) DO UPDATE SET value = excluded.value";
static const char SQL_ARCHIVE_SET_COUNT[] =
	"UPDATE archive SET members = :members WHERE id = :id";
static const char SQL_DUMP_FILE_DROPPED[] =
	"UPDATE dump_file SET dropped = 1 WHERE dump = :dump AND ord = :ord";
static const char SQL_DUMP_COMMITTED[] =
	"UPDATE dump SET state = 2, archive = :archive, updated = :now "
	"WHERE id = :id";
/* An import: the dump its manifest names, with that id when it is free. */
static const char SQL_DUMP_ID_FREE[] =
	"SELECT count(*) FROM dump WHERE id = :id";
static const char SQL_DUMP_IMPORT[] =
	"INSERT INTO dump(id, state, created, updated) "
	"VALUES(:id, 1, :created, :created)";
static const char SQL_DUMP_IMPORTED[] =
	"UPDATE dump SET state = 2, archive = :archive, updated = :now, "
	"files = :files, bytes = :bytes WHERE id = :id";

/* Directory nodes this archive needs (parents of its members), with the
 * owner the implicit member gets; `real` marks those it holds itself. */
struct needed {
	int64_t node, parent;
	uint32_t uid, gid;
	int real;
};

struct catalog_commit {
	struct catalog *cat;
	struct catconn *c;
	int64_t dump_id, archive_id, first, count, created;
	uint64_t last_hdr;
	int failed;
	int import;             /* catalog_import_begin()'s: 1, 2 adopted */
	enum catalog_archive_kind kind;
	uint64_t files, bytes;  /* of an import's dump row */
	char *dir;        /* the last member's directory path ... */
	size_t dirlen;
	int64_t dirnode;  /* ... and its node */
	struct needed *set; /* open addressing on node; 0 = empty slot */
	size_t setcap, setlen;
};

static struct needed *set_find(struct catalog_commit *cm, int64_t node)
{
	size_t i = ((uint64_t)node * 0x9E3779B97F4A7C15ull) % cm->setcap;

	while (cm->set[i].node && cm->set[i].node != node)
		i = (i + 1) % cm->setcap;
	return &cm->set[i];
}

static int set_grow(struct catalog_commit *cm)
{
	struct needed *old = cm->set;
	size_t oldcap = cm->setcap;

	cm->setcap = oldcap ? oldcap * 2 : 256;
	cm->set = calloc(cm->setcap, sizeof(*cm->set));
	if (!cm->set) {
		cm->set = old;
		cm->setcap = oldcap;
		return -ENOMEM;
	}
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].node)
			*set_find(cm, old[i].node) = old[i];
	free(old);
	return 0;
}

/* Note that the archive needs directory node (real: it holds it). */
static int set_add(struct catalog_commit *cm, int64_t node, int64_t parent,
		   const struct catalog_member *m, int real)
{
	struct needed *e;

	if ((cm->setlen + 1) * 2 > cm->setcap && set_grow(cm) < 0)
		return -ENOMEM;
	e = set_find(cm, node);
	if (!e->node) {
		e->node = node;
		e->parent = parent;
		e->uid = m->uid;
		e->gid = m->gid;
		cm->setlen++;
	}
	e->real |= real;
	return 0;
}

static int one_row(struct catstmt *st, int64_t *a, int64_t *b, const char *what)
{
	int rc = cat_step(st, what), ret = 0;

	if (rc == 1) {
		*a = cat_col_i64(st, 0);
		if (b)
			*b = cat_col_i64(st, 1);
	} else {
		ret = rc == 0 ? -ENOENT : rc;
	}
	cat_done(st);
	return ret;
}

/* The copies' tapes exist, no two on one tape; a dump's copies go past
 * each tape's last file onto a tape that may be written, an import's
 * anywhere but on an adopted tape (a copy already at that place is
 * -EEXIST when added), an adoption's on an adopted tape only, from file 0
 * on (-EROFS otherwise). import: 0 a dump, 1 an import, 2 an adoption. */
static int check_copies(struct catconn *c, const struct catalog_copy_in *cp,
			size_t n, int import)
{
	int64_t state = 0, last = 0;
	int ret;

	for (size_t i = 0; i < n; i++) {
		struct catstmt *st = cat_stmt(c, SQL_TAPE_CHECK);

		if (!cp[i].barcode)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cp[j].barcode, cp[i].barcode) == 0)
				return -EINVAL;
		if (!st)
			return -EIO;
		cat_bind_text(st, ":barcode", cp[i].barcode);
		ret = one_row(st, &state, &last, "tape");
		if (ret < 0)
			return ret;
		if ((import == 2) != (state == CATALOG_TAPE_ADOPTED))
			return -EROFS;
		if (cp[i].fileno < (import == 2 ? 0 : 1) ||
		    (!import &&
		     (state > CATALOG_TAPE_FULL || cp[i].fileno <= last)))
			return -EINVAL;
	}
	return 0;
}

int cat_copy_add(struct catconn *c, int64_t archive,
		 const struct catalog_copy_in *cp, int import)
{
	struct catstmt *st = cat_stmt(c, SQL_COPY_ADD);
	int ret;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":archive", archive);
	cat_bind_text(st, ":barcode", cp->barcode);
	cat_bind_i64(st, ":fileno", cp->fileno);
	cat_bind_i64(st, ":start_lblock", (int64_t)cp->start_lblock);
	cat_bind_i64(st, ":size", (int64_t)cp->size);
	ret = cat_exec(c, st, "copy add");
	if (ret < 0)
		return ret;
	st = cat_stmt(c, import ? SQL_TAPE_IMPORT : SQL_TAPE_APPEND);
	if (!st)
		return -EIO;
	cat_bind_text(st, ":barcode", cp->barcode);
	cat_bind_i64(st, ":fileno", cp->fileno);
	cat_bind_i64(st, ":size", (int64_t)cp->size);
	return cat_exec(c, st, "tape append");
}

static int add_copies(struct catalog_commit *cm,
		      const struct catalog_copy_in *cp, size_t n)
{
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++)
		ret = cat_copy_add(cm->c, cm->archive_id, &cp[i], cm->import);
	return ret;
}

/* A dump's commit: its journal entry is pending or writing. */
static int dump_check(struct catalog_commit *cm)
{
	struct catstmt *st = cat_stmt(cm->c, SQL_DUMP_STATE);
	int64_t state = 0;
	int ret;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":id", cm->dump_id);
	ret = one_row(st, &state, NULL, "dump");
	if (ret < 0)
		return ret;
	if (state != CATALOG_DUMP_PENDING && state != CATALOG_DUMP_WRITING)
		return -EINVAL;
	return cat_lease_fence_host(cm->cat, cm->c, CATALOG_WORK_DUMP,
				    cm->dump_id);
}

/* An import's journal entry: the dump its manifest names (writing until
 * the end), id dump_id when free (0 or taken: a new one). */
static int dump_import(struct catalog_commit *cm, int64_t dump_id,
		       int64_t dumped)
{
	struct catstmt *st;
	int64_t taken = 1;
	int ret;

	if (dump_id > 0) {
		st = cat_stmt(cm->c, SQL_DUMP_ID_FREE);
		if (!st)
			return -EIO;
		cat_bind_i64(st, ":id", dump_id);
		ret = one_row(st, &taken, NULL, "dump id");
		if (ret < 0)
			return ret;
	}
	st = cat_stmt(cm->c, SQL_DUMP_IMPORT);
	if (!st)
		return -EIO;
	if (taken)
		cat_bind_null(st, ":id");
	else
		cat_bind_i64(st, ":id", dump_id);
	cat_bind_i64(st, ":created", dumped ? dumped : cm->created);
	ret = cat_exec(cm->c, st, "dump import");
	if (ret == 0)
		cm->dump_id = cat_last_id(cm->c);
	return ret;
}

static int commit_start(struct catalog_commit *cm,
			const struct catalog_archive_in *a,
			const struct catalog_copy_in *copies, size_t ncopies)
{
	struct catconn *c = cm->c;
	struct catstmt *st;
	int ret;

	ret = check_copies(c, copies, ncopies, cm->import);
	if (ret < 0)
		return ret;
	st = cat_stmt(c, SQL_MEMBER_NEXT);
	if (!st)
		return -EIO;
	ret = one_row(st, &cm->first, NULL, "member next");
	if (ret < 0)
		return ret;
	st = cat_stmt(c, SQL_ARCHIVE_ADD);
	if (!st)
		return -EIO;
	cat_bind_i64(st, ":dump", cm->dump_id);
	cat_bind_i64(st, ":created", cm->created);
	cat_bind_i64(st, ":bytes", (int64_t)a->bytes);
	cat_bind_i64(st, ":block_size", a->block_size);
	cat_bind_text(st, ":md5", a->md5 ? a->md5 : "");
	cat_bind_i64(st, ":first", cm->first);
	cat_bind_text(st, ":uuid", a->uuid ? a->uuid : "");
	cat_bind_i64(st, ":kind", a->kind);
	ret = cat_exec(c, st, "archive add");
	if (ret < 0)
		return ret;
	cm->archive_id = cat_last_id(c);
	return add_copies(cm, copies, ncopies);
}

/* A new commit of archive a (checked here), in a write transaction. */
static int commit_new(struct catalog *cat, const struct catalog_archive_in *a,
		      const struct catalog_copy_in *copies, size_t ncopies,
		      struct catalog_commit **out)
{
	struct catalog_commit *cm;
	int ret;

	if (!a || !copies || ncopies == 0 || a->block_size == 0 ||
	    (a->md5 && *a->md5 && strlen(a->md5) != 32) ||
	    (a->uuid && strlen(a->uuid) >= 40) ||
	    (unsigned)a->kind > CATALOG_ARCHIVE_CATALOG)
		return -EINVAL;
	cm = calloc(1, sizeof(*cm));
	if (!cm)
		return -ENOMEM;
	cm->cat = cat;
	cm->created = a->created ? a->created : cat_now();
	cm->kind = a->kind;
	cm->dirnode = -1;
	ret = cat_txn_begin(cat, &cm->c, 1);
	if (ret < 0) {
		free(cm);
		return ret;
	}
	*out = cm;
	return 0;
}

int catalog_commit_begin(struct catalog *cat, int64_t dump_id,
			 const struct catalog_archive_in *a,
			 const struct catalog_copy_in *copies, size_t ncopies,
			 struct catalog_commit **out)
{
	struct catalog_commit *cm;
	int ret;

	ret = commit_new(cat, a, copies, ncopies, &cm);
	if (ret < 0)
		return ret;
	cm->dump_id = dump_id;
	ret = dump_check(cm);
	if (!ret)
		ret = commit_start(cm, a, copies, ncopies);
	if (ret < 0) {
		catalog_commit_abort(cm);
		return ret;
	}
	*out = cm;
	return 0;
}

int catalog_import_begin(struct catalog *cat, const struct catalog_import *imp,
			 const struct catalog_copy_in *copies, size_t ncopies,
			 struct catalog_commit **out)
{
	struct catalog_commit *cm;
	int ret;

	if (!imp)
		return -EINVAL;
	ret = commit_new(cat, &imp->archive, copies, ncopies, &cm);
	if (ret < 0)
		return ret;
	cm->import = imp->adopted ? 2 : 1;
	ret = dump_import(cm, imp->dump_id, imp->dumped);
	if (!ret)
		ret = commit_start(cm, &imp->archive, copies, ncopies);
	if (ret < 0) {
		catalog_commit_abort(cm);
		return ret;
	}
	*out = cm;
	return 0;
}

/* The node of child name under parent, created when missing (with member
 * as its namespace entry, which may be 0 = none yet). *created says so. */
static int node_get(struct catalog_commit *cm, int64_t parent, const char *name,
		    size_t len, int64_t member, int64_t *node, int *created)
{
	struct catstmt *st;
	int ret;

	ret = cat_node_child(cm->c, parent, name, len, node);
	*created = 0;
	if (ret != -ENOENT)
		return ret;
	st = cat_stmt(cm->c, SQL_NODE_ADD);
	if (!st)
		return -EIO;
	cat_bind_i64(st, ":parent", parent);
	cat_bind_blob(st, ":name", name, len);
	if (member)
		cat_bind_i64(st, ":member", member);
	else
		cat_bind_null(st, ":member");
	ret = cat_exec(cm->c, st, "node add");
	if (ret == 0) {
		*node = cat_last_id(cm->c);
		*created = 1;
	}
	return ret;
}

/* Node of directory dir[0..len), creating the chain; every directory on
 * the way is needed by the archive. Caches the last one. */
static int dir_node(struct catalog_commit *cm, const char *dir, size_t len,
		    const struct catalog_member *m, int64_t *out)
{
	int64_t node = 0, parent;
	size_t i = 0;
	int created, ret;
	char *copy;

	if (cm->dir && cm->dirlen == len && memcmp(cm->dir, dir, len) == 0) {
		*out = cm->dirnode;
		return 0;
	}
	while (i < len) {
		size_t j = i;

		while (j < len && dir[j] != '/')
			j++;
		parent = node;
		ret = node_get(cm, parent, dir + i, j - i, 0, &node, &created);
		if (ret < 0)
			return ret;
		ret = set_add(cm, node, parent, m, 0);
		if (ret < 0)
			return ret;
		i = j + 1;
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, dir, len);
	copy[len] = 0;
	free(cm->dir);
	cm->dir = copy;
	cm->dirlen = len;
	cm->dirnode = node;
	*out = node;
	return 0;
}

static int member_insert(struct catalog_commit *cm, int64_t id, int64_t node,
			 int64_t parent, const struct catalog_member *m,
			 int implicit)
{
	struct catstmt *st = cat_stmt(cm->c, SQL_MEMBER_ADD);
	unsigned char md5[16];

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":id", id);
	cat_bind_i64(st, ":archive", cm->archive_id);
	cat_bind_i64(st, ":node", node);
	cat_bind_i64(st, ":parent", parent);
	cat_bind_i64(st, ":type", m->type);
	cat_bind_i64(st, ":size", (int64_t)m->size);
	cat_bind_i64(st, ":mode", m->mode);
	cat_bind_i64(st, ":uid", m->uid);
	cat_bind_i64(st, ":gid", m->gid);
	cat_bind_i64(st, ":mtime", m->mtime);
	cat_bind_i64(st, ":mtime_nsec", m->mtime_nsec);
	if (cat_md5_unhex(m->md5, md5) == 0)
		cat_bind_blob(st, ":md5", md5, 16);
	else
		cat_bind_null(st, ":md5");
	if (m->link && m->type == CATALOG_SYMLINK)
		cat_bind_blob(st, ":link", m->link, strlen(m->link));
	else
		cat_bind_null(st, ":link");
	cat_bind_i64(st, ":flags", implicit ? 0 : (int64_t)m->flags);
	if (implicit) {
		cat_bind_null(st, ":hdr");
		cat_bind_null(st, ":data");
	} else {
		cat_bind_i64(st, ":hdr", (int64_t)m->header_offset);
		cat_bind_i64(st, ":data",
			     (int64_t)(m->data_offset - m->header_offset));
	}
	return cat_exec(cm->c, st, "member add");
}

static int xattr_insert(struct catalog_commit *cm, int64_t id,
			const struct catalog_xattr *x)
{
	struct catstmt *st = cat_stmt(cm->c, SQL_XATTR_ADD);

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":member", id);
	cat_bind_blob(st, ":name", x->name, strlen(x->name));
	cat_bind_blob(st, ":value", x->len ? x->value : "", x->len);
	return cat_exec(cm->c, st, "xattr add");
}

static int member_check(struct catalog_commit *cm,
			const struct catalog_member *m)
{
	int ret = cat_path_check(m->path);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < m->nxattrs; i++)
		if (!m->xattrs[i].name || !m->xattrs[i].name[0] ||
		    (m->xattrs[i].len && !m->xattrs[i].value))
			return -EINVAL;
	if ((unsigned)m->type > CATALOG_SYMLINK || m->mtime_nsec < 0 ||
	    m->mtime_nsec > 999999999 || m->data_offset < m->header_offset ||
	    (m->flags & ~(CATALOG_MEMBER_LINK | CATALOG_MEMBER_SPARSE)) ||
	    (cm->count > 0 && !(m->flags & CATALOG_MEMBER_LINK) &&
	     m->header_offset <= cm->last_hdr) ||
	    ((m->flags & CATALOG_MEMBER_LINK) &&
	     (cm->count == 0 || m->header_offset > cm->last_hdr ||
	      m->type != CATALOG_FILE)) ||
	    (m->md5[0] && strlen(m->md5) != 32) ||
	    (m->type == CATALOG_SYMLINK && !m->link))
		return -EINVAL;
	return 0;
}

/* The node of name under parent for member id, which the namespace then
 * shows: always for a dump (the newest version), for an import as a
 * commit in dump order would have left it (see SQL_NODE_SET_OLDER). */
static int member_node(struct catalog_commit *cm, int64_t parent,
		       const char *name, size_t len, int64_t id, int dir,
		       int64_t *node)
{
	struct catstmt *st = cat_stmt(cm->c, SQL_NODE_ADD_NEW);
	int ret;

	if (!st)
		return -EIO;
	cat_bind_i64(st, ":parent", parent);
	cat_bind_blob(st, ":name", name, len);
	cat_bind_i64(st, ":member", id);
	ret = cat_exec(cm->c, st, "node add");
	if (ret < 0)
		return ret;
	if (cat_changes(cm->c) == 1) {
		*node = cat_last_id(cm->c);
		return 0;
	}
	ret = cat_node_child(cm->c, parent, name, len, node);
	if (ret < 0)
		return ret;
	st = cat_stmt(cm->c, cm->import ? SQL_NODE_SET_OLDER : SQL_NODE_SET);
	if (!st)
		return -EIO;
	cat_bind_i64(st, ":member", id);
	cat_bind_i64(st, ":id", *node);
	if (cm->import) {
		cat_bind_i64(st, ":created", cm->created);
		cat_bind_i64(st, ":dir", dir);
	}
	return cat_exec(cm->c, st, "node set");
}

/* The member of a catalog snapshot: a name at the root that the
 * namespace never shows (its node, when new, points at nothing). */
static int snapshot_node(struct catalog_commit *cm, const char *path,
			 size_t len, int64_t *node)
{
	int created;

	if (memchr(path, '/', len))
		return -EINVAL;
	return node_get(cm, 0, path, len, 0, node, &created);
}

static int commit_member(struct catalog_commit *cm,
			 const struct catalog_member *m)
{
	const char *path = m->path[0] == '/' ? m->path + 1 : m->path;
	size_t len = strlen(path), split;
	int64_t id = cm->first + cm->count, parent = 0, node = 0;
	int snap = cm->kind == CATALOG_ARCHIVE_CATALOG, ret;

	ret = member_check(cm, m);
	if (ret < 0)
		return ret;
	while (len && path[len - 1] == '/')
		len--;
	if (len == 0)
		return -EINVAL; /* the root is not a member */
	split = len;
	while (split && path[split - 1] != '/')
		split--;
	if (snap) {
		ret = snapshot_node(cm, path, len, &node);
	} else {
		ret = dir_node(cm, path, split ? split - 1 : 0, m, &parent);
		if (!ret)
			ret = member_node(cm, parent, path + split, len - split,
					  id, m->type == CATALOG_DIR, &node);
	}
	if (!ret)
		ret = member_insert(cm, id, node, parent, m, 0);
	for (size_t i = 0; !ret && i < m->nxattrs; i++)
		ret = xattr_insert(cm, id, &m->xattrs[i]);
	if (!ret && m->type == CATALOG_DIR && !snap)
		ret = set_add(cm, node, parent, m, 1);
	if (ret < 0)
		return ret;
	cm->files += m->type != CATALOG_DIR;
	cm->bytes += m->flags & CATALOG_MEMBER_LINK ? 0 : m->size;
	if (!(m->flags & CATALOG_MEMBER_LINK))
		cm->last_hdr = m->header_offset;
	cm->count++;
	return 0;
}

int catalog_commit_member(struct catalog_commit *c,
			  const struct catalog_member *m)
{
	int ret;

	if (!c || !m || !m->path)
		return -EINVAL;
	if (c->failed)
		return -EIO;
	ret = commit_member(c, m);
	/* A bad member is refused before anything is written; any later
	 * error leaves the transaction unusable. */
	if (ret < 0 && ret != -EINVAL && ret != -ENAMETOOLONG)
		c->failed = 1;
	return ret;
}

int catalog_commit_dropped(struct catalog_commit *c, int64_t ord)
{
	struct catstmt *st;
	int ret;

	if (!c)
		return -EINVAL;
	if (c->failed)
		return -EIO;
	st = cat_stmt(c->c, SQL_DUMP_FILE_DROPPED);
	if (!st) {
		c->failed = 1;
		return -EIO;
	}
	cat_bind_i64(st, ":dump", c->dump_id);
	cat_bind_i64(st, ":ord", ord);
	ret = cat_exec(c->c, st, "dump file dropped");
	if (ret < 0)
		c->failed = 1;
	else if (cat_changes(c->c) == 0)
		ret = -ENOENT;
	return ret;
}

int cat_commit_last_member(struct catalog_commit *c, int64_t *member)
{
	if (!c || c->failed || !c->count)
		return -EINVAL;
	*member = c->first + c->count - 1;
	return 0;
}

struct catconn *cat_commit_conn(struct catalog_commit *c)
{
	return c->c;
}

static int add_implicit(struct catalog_commit *cm)
{
	int64_t id = cm->first + cm->count;
	struct catalog_member m;
	struct catstmt *st;
	int ret;

	for (size_t i = 0; i < cm->setcap; i++) {
		struct needed *e = &cm->set[i];

		if (!e->node || e->real)
			continue;
		memset(&m, 0, sizeof(m));
		m.type = CATALOG_DIR;
		m.mode = S_IFDIR | 0755;
		m.uid = e->uid;
		m.gid = e->gid;
		m.mtime = cm->created;
		ret = member_insert(cm, id, e->node, e->parent, &m, 1);
		if (ret < 0)
			return ret;
		st = cat_stmt(cm->c, cm->import ? SQL_NODE_SET_IMPLICIT_OLDER
						: SQL_NODE_SET_IMPLICIT);
		if (!st)
			return -EIO;
		cat_bind_i64(st, ":member", id);
		cat_bind_i64(st, ":id", e->node);
		if (cm->import)
			cat_bind_i64(st, ":created", cm->created);
		ret = cat_exec(cm->c, st, "node set");
		if (ret < 0)
			return ret;
		id++;
	}
	return 0;
}

static int commit_finish(struct catalog_commit *cm)
{
	struct catstmt *st;
	int ret;

	ret = add_implicit(cm);
	if (ret < 0)
		return ret;
	st = cat_stmt(cm->c, SQL_ARCHIVE_SET_COUNT);
	if (!st)
		return -EIO;
	cat_bind_i64(st, ":members", cm->count);
	cat_bind_i64(st, ":id", cm->archive_id);
	ret = cat_exec(cm->c, st, "archive count");
	if (ret < 0)
		return ret;
	st = cat_stmt(cm->c,
		      cm->import ? SQL_DUMP_IMPORTED : SQL_DUMP_COMMITTED);
	if (!st)
		return -EIO;
	cat_bind_i64(st, ":archive", cm->archive_id);
	cat_bind_i64(st, ":now", cm->import ? cm->created : cat_now());
	cat_bind_i64(st, ":id", cm->dump_id);
	if (cm->import) {
		cat_bind_i64(st, ":files", (int64_t)cm->files);
		cat_bind_i64(st, ":bytes", (int64_t)cm->bytes);
	}
	return cat_exec(cm->c, st, "dump committed");
}

static void commit_free(struct catalog_commit *cm)
{
	free(cm->set);
	free(cm->dir);
	free(cm);
}

int catalog_commit_end(struct catalog_commit *c, int64_t *archive_id)
{
	int64_t id;
	int ret;

	if (!c)
		return -EINVAL;
	id = c->archive_id;
	ret = c->failed ? -EIO : commit_finish(c);
	ret = cat_txn_end(c->cat, c->c, 1, ret);
	commit_free(c);
	if (ret == 0 && archive_id)
		*archive_id = id;
	return ret;
}

void catalog_commit_abort(struct catalog_commit *c)
{
	if (!c)
		return;
	cat_txn_end(c->cat, c->c, 1, -ECANCELED);
	commit_free(c);
}

int catalog_dump_commit(struct catalog *cat, int64_t dump_id,
			const struct catalog_archive_in *a,
			const struct catalog_copy_in *copies, size_t ncopies,
			const struct catalog_member *members, size_t nmembers,
			int64_t *archive_id)
{
	struct catalog_commit *c;
	int ret;

	ret = catalog_commit_begin(cat, dump_id, a, copies, ncopies, &c);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < nmembers; i++) {
		ret = catalog_commit_member(c, &members[i]);
		if (ret < 0) {
			catalog_commit_abort(c);
			return ret;
		}
	}
	return catalog_commit_end(c, archive_id);
}
