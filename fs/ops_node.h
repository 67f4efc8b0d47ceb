/* fs/ops_node.h - the node table of the mount: which (parent, name) each
 * node id the kernel holds stands for, so that the FUSE edge can build the
 * path a request is about. FUSE-free (ids are plain numbers), so that a
 * unit test can drive it.
 *
 * A node is made by a lookup (or by an entry a readdirplus reply carries)
 * and lives while the kernel holds lookups of it, or while a node below it
 * does (a child keeps its parent, so every live node has a path). Memory
 * follows what the kernel holds (its room stays that of the most nodes held
 * at once, for the next ones): nothing is kept for entries that were never
 * looked up, and no node holds a file descriptor.
 *
 * Identity: the node of a name is kept while the entry found there keeps
 * its inode number. When a lookup finds a non-directory with another inode
 * number (a new version of an archived path, a staged file replaced), or an
 * entry of the other type (directory or not), the old node is unlinked (kept
 * for the handles and lookups the kernel still has) and a new node made: the
 * kernel then drops what it cached of the old file, pages included. Directories
 * keep their node (their inode number may follow the latest version, but their
 * content is listed afresh anyway).
 *
 * Thread-safe: one mutex guards the table; a leaf lock (nothing is called
 * with it held).
 */
#ifndef TAPEFS_OPS_NODE_H
#define TAPEFS_OPS_NODE_H

#include <stddef.h>
#include <stdint.h>

#define OPS_NODE_ROOT 1 /* the root's id, as FUSE has it */

struct ops_nodes;

/* A new table holding only the root. Returns 0 or -ENOMEM. */
int ops_nodes_new(struct ops_nodes **out);

/* Free the table and every node (at unmount: the kernel holds none). */
void ops_nodes_free(struct ops_nodes *t);

/* The path of node id, "/" for the root, "/a/b" below it; with "/name"
 * appended when name is not NULL. Returns 0, -ESTALE (id unknown, or the
 * node or one of its parents was unlinked) or -ENAMETOOLONG (len). */
int ops_node_path(struct ops_nodes *t, uint64_t id, const char *name, char *buf,
		  size_t len);

/* The inode number node id had at its last lookup: 0 or -ESTALE. */
int ops_node_ino(struct ops_nodes *t, uint64_t id, uint64_t *ino);

/* The node of name in parent, when there is one (the kernel holds a
 * lookup of it or of a node below it): 0 with *id set, or -ENOENT. */
int ops_node_child(struct ops_nodes *t, uint64_t parent, const char *name,
		   uint64_t *id);

/* Count one lookup of name in parent, whose entry has inode number ino
 * (is_dir: it is a directory): *id is the node, made when missing (see
 * Identity above). Returns 0, -ESTALE (parent unknown or unlinked) or
 * -ENOMEM. */
int ops_node_ref(struct ops_nodes *t, uint64_t parent, const char *name,
		 uint64_t ino, int is_dir, uint64_t *id);

/* The kernel forgets n lookups of id; a node with none left and no child
 * is freed. Unknown ids are ignored. */
void ops_node_forget(struct ops_nodes *t, uint64_t id, uint64_t n);

/* name was removed from parent: its node (if any) keeps living for the
 * kernel's lookups and open files but has no path any more. */
void ops_node_unlink(struct ops_nodes *t, uint64_t parent, const char *name);

/* name in parent was renamed to newname in newparent: its node moves (and
 * what was at the new name is unlinked); with exchange, the two swap.
 * Returns 0 or -ENOMEM (then the moved node is unlinked instead: correct,
 * only slower, as the kernel looks the name up again). */
int ops_node_rename(struct ops_nodes *t, uint64_t parent, const char *name,
		    uint64_t newparent, const char *newname, int exchange);

/* The nodes whose entry had inode number ino at their last lookup (one
 * archived member under archive/ and under tapes/): up to max ids into
 * ids; their count. */
size_t ops_node_by_ino(struct ops_nodes *t, uint64_t ino, uint64_t *ids,
		       size_t max);

/* Nodes in the table, the root included. */
size_t ops_nodes_count(struct ops_nodes *t);

#endif
