/* fs/engine/notify.c - batches of changed names for whoever listens
 * (fs/engine/tapefs.h: struct tapefs_notifier): the engines tell, the
 * FUSE edge drops what the kernel cached. */
#include <stddef.h>

#include "fs/engine/tapefs.h"

void tapefs_changes_begin(struct tapefs *fs, struct tapefs_changes *c)
{
	c->n = &fs->notify;
	c->batch = fs->notify.begin ? fs->notify.begin(fs->notify.arg) : NULL;
}

void tapefs_changed(struct tapefs_changes *c, const char *area, const char *rel)
{
	if (c->batch)
		c->n->changed(c->batch, area, rel);
}

void tapefs_changes_end(struct tapefs_changes *c)
{
	if (c->batch)
		c->n->end(c->batch);
	c->batch = NULL;
}

void tapefs_member_changed(struct tapefs *fs, int64_t member_id)
{
	if (fs->notify.member)
		fs->notify.member(fs->notify.arg, member_id);
}
