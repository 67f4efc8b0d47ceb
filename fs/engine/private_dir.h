/* fs/engine/private_dir.h - the directories tapefs makes for itself
 * (staging, cache, catalog backups): made with their parents, private.
 */
#ifndef TAPEFS_PRIVATE_DIR_H
#define TAPEFS_PRIVATE_DIR_H

/* mkdir -p of path: each directory that is made is 0700 (what it holds is
 * archived data or the catalog); those that exist stay as they are.
 * 0 or -errno of the first that could not be made. */
int private_dir_make(const char *path);

#endif
