/* fs/engine/member_in.c - the catalog's record of a tar member
 * (fs/engine/member_in.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/engine/member_in.h"

static enum catalog_type member_type(const struct tar_member *m)
{
	return m->type == TAR_DIR	? CATALOG_DIR
	       : m->type == TAR_SYMLINK ? CATALOG_SYMLINK
					: CATALOG_FILE;
}

static unsigned member_flags(const struct tar_member *m, int mark_links,
			     uint64_t *last_hdr)
{
	unsigned f = m->flags & TAR_MEMBER_SPARSE ? CATALOG_MEMBER_SPARSE : 0;
	int link = m->flags & TAR_MEMBER_LINK;

	if (mark_links)
		link = m->type == TAR_FILE && *last_hdr != UINT64_MAX &&
		       m->header_offset <= *last_hdr;
	if (!link)
		*last_hdr = m->header_offset;
	return f | (link ? CATALOG_MEMBER_LINK : 0);
}

int member_in_fill(struct catalog_member *cm, const struct tar_member *m,
		   mode_t fmt, struct catalog_xattr **xs, int mark_links,
		   uint64_t *last_hdr)
{
	memset(cm, 0, sizeof(*cm));
	cm->path = m->name;
	cm->type = member_type(m);
	cm->size = m->size;
	cm->mode = (uint32_t)((fmt & S_IFMT) | (m->mode & 07777));
	cm->uid = (uint32_t)m->uid;
	cm->gid = (uint32_t)m->gid;
	cm->mtime = m->mtime.tv_sec;
	cm->mtime_nsec = (int32_t)m->mtime.tv_nsec;
	snprintf(cm->md5, sizeof(cm->md5), "%s",
		 cm->type == CATALOG_FILE ? m->md5 : "");
	cm->link = m->link;
	cm->header_offset = m->header_offset;
	cm->data_offset = m->data_offset;
	cm->flags = member_flags(m, mark_links, last_hdr);
	*xs = NULL;
	if (!m->nxattrs)
		return 0;
	*xs = calloc(m->nxattrs, sizeof(**xs));
	if (!*xs)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->nxattrs; i++)
		(*xs)[i] = (struct catalog_xattr){
		    m->xattrs[i].name, m->xattrs[i].value, m->xattrs[i].len};
	cm->xattrs = *xs;
	cm->nxattrs = m->nxattrs;
	return 0;
}
