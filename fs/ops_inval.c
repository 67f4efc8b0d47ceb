/* fs/ops_inval.c - what the kernel cached of names the engines changed
 * behind its back, dropped (struct tapefs_notifier, fs/engine/tapefs.h).
 *
 * The kernel keeps listings of archive/ and of the archives in tapes/
 * (cache_readdir) and archived entries and attributes for an hour
 * (docs/mount.md): a commit must drop what it changed. For each changed
 * path, the kernel is told to drop the entry of its name when it holds
 * one (the node table knows: a name the kernel never looked up has no
 * node), and, once per batch, the listing and attributes of its parent
 * directory, or of the deepest ancestor it holds when a directory on the
 * way is new to it. A listing that was being read while a batch began
 * may hold names from before it: the readdir side (ops_ns.c) compares
 * the batches begun (ops_inval_gen()) and drops such a listing itself
 * (ops_inval_listing()). And when the recall cache gets or loses a
 * member's bytes, the attributes of its nodes (st_blocks) are dropped.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/ns/ns_local.h"
#include "fs/ops.h"

struct ops_batch {
	struct ops_mount *om;
	char dir[PATH_MAX]; /* the parent of the last name told */
	int dir_held;	    /* the kernel holds its node: dir_id */
	uint64_t dir_id;
	uint64_t *dirs; /* listings to drop at the end (may repeat) */
	size_t ndirs, cap;
	char path[PATH_MAX];
};

/* The session while the kernel listens; NULL once the loop ended. */
static struct fuse_session *session(struct ops_mount *om)
{
	return __atomic_load_n(&om->inval.se, __ATOMIC_SEQ_CST);
}

static void drop_listing(struct ops_mount *om, uint64_t id)
{
	struct fuse_session *se = session(om);

	if (se)
		fuse_lowlevel_notify_inval_inode(se, id, 0, 0);
}

static void add_dir(struct ops_batch *b, uint64_t id)
{
	uint64_t *d;

	if (b->ndirs && b->dirs[b->ndirs - 1] == id)
		return;
	if (b->ndirs == b->cap) {
		d = realloc(b->dirs, (b->cap ? b->cap * 2 : 64) * sizeof(*d));
		if (!d) { /* dropped now, not deduplicated */
			drop_listing(b->om, id);
			return;
		}
		b->dirs = d;
		b->cap = b->cap ? b->cap * 2 : 64;
	}
	b->dirs[b->ndirs++] = id;
}

/* Find the node of directory path dir ("/archive/a"), component by
 * component from the root; the deepest one held has its listing dropped
 * at the end. */
static void resolve(struct ops_batch *b, const char *dir)
{
	uint64_t id = OPS_NODE_ROOT, child;
	char *p = b->dir + 1, *slash;
	int found;

	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	b->dir_held = 1;
	while (*p) {
		slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		found = !ops_node_child(b->om->nodes, id, p, &child);
		if (slash)
			*slash = '/';
		if (!found) {
			b->dir_held = 0;
			break;
		}
		id = child;
		if (!slash)
			break;
		p = slash + 1;
	}
	b->dir_id = id; /* dir itself when held, else its deepest ancestor */
	add_dir(b, id);
}

static void *batch_begin(void *arg)
{
	struct ops_mount *om = arg;
	struct ops_batch *b;

	pthread_mutex_lock(&om->inval.lock);
	if (!om->inval.se || !(b = calloc(1, sizeof(*b)))) {
		pthread_mutex_unlock(&om->inval.lock);
		return NULL;
	}
	__atomic_add_fetch(&om->inval.gen, 1, __ATOMIC_SEQ_CST);
	b->om = om;
	b->dir[0] = 0; /* no parent looked up yet */
	return b;
}

static void batch_changed(void *vb, const char *area, const char *rel)
{
	struct ops_batch *b = vb;
	size_t len =
	    (size_t)snprintf(b->path, sizeof(b->path), "/%s/%s", area, rel);
	struct fuse_session *se;
	char *name;
	uint64_t id;

	if (len >= sizeof(b->path))
		return; /* no such name in the kernel */
	while (len > 1 && b->path[len - 1] == '/') /* a directory's "a/b/" */
		b->path[--len] = 0;
	name = strrchr(b->path, '/');
	*name++ = 0;
	if (!*name)
		return;
	if (!b->dir[0] || strcmp(b->dir, b->path))
		resolve(b, b->path[0] ? b->path : "/");
	if (b->dir_held &&
	    !ops_node_child(b->om->nodes, b->dir_id, name, &id) &&
	    (se = session(b->om)))
		fuse_lowlevel_notify_inval_entry(se, b->dir_id, name,
						 strlen(name));
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void batch_end(void *vb)
{
	struct ops_batch *b = vb;
	struct ops_mount *om = b->om;

	if (b->ndirs) /* dirs is NULL then: qsort() must not see it */
		qsort(b->dirs, b->ndirs, sizeof(*b->dirs), cmp_id);
	for (size_t i = 0; i < b->ndirs; i++)
		if (!i || b->dirs[i] != b->dirs[i - 1])
			drop_listing(om, b->dirs[i]);
	free(b->dirs);
	free(b);
	pthread_mutex_unlock(&om->inval.lock);
}

/* Lock-free (the caller may hold the recall engine's lock, which a
 * request may wait for): the attributes of every node of the member,
 * not its pages (its bytes never change). */
static void member_changed(void *arg, int64_t member_id)
{
	struct ops_mount *om = arg;
	struct fuse_session *se = session(om);
	uint64_t ids[8];
	size_t n;

	if (!se)
		return;
	n = ops_node_by_ino(om->nodes, NS_INO_MEMBER | (uint64_t)member_id, ids,
			    sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < n; i++)
		fuse_lowlevel_notify_inval_inode(se, ids[i], -1, 0);
}

void ops_inval_init(struct ops_mount *om)
{
	pthread_mutex_init(&om->inval.lock, NULL);
	om->inval.se = NULL;
	om->inval.gen = 0;
	om->fs->notify = (struct tapefs_notifier){
	    .begin = batch_begin,
	    .changed = batch_changed,
	    .end = batch_end,
	    .member = member_changed,
	    .arg = om,
	};
}

void ops_inval_start(struct ops_mount *om, struct fuse_session *se)
{
	pthread_mutex_lock(&om->inval.lock);
	__atomic_store_n(&om->inval.se, se, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&om->inval.lock);
}

/* After a batch under way; but not for ever: a loop that ended on a
 * signal leaves the kernel's requests unanswered, and a batch may wait
 * on one of them until the unmount. It then tells the kernel nothing
 * more. */
void ops_inval_stop(struct ops_mount *om)
{
	struct timespec until;
	int locked;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	locked = !pthread_mutex_timedlock(&om->inval.lock, &until);
	__atomic_store_n(&om->inval.se, NULL, __ATOMIC_SEQ_CST);
	if (locked)
		pthread_mutex_unlock(&om->inval.lock);
}

void ops_inval_destroy(struct ops_mount *om)
{
	memset(&om->fs->notify, 0, sizeof(om->fs->notify));
	pthread_mutex_destroy(&om->inval.lock);
}

uint64_t ops_inval_gen(fuse_req_t req)
{
	struct ops_mount *om = fuse_req_userdata(req);

	return __atomic_load_n(&om->inval.gen, __ATOMIC_SEQ_CST);
}

/* A request is being answered, so the session is there (the loop runs):
 * no lock (a batch may hold it, waiting for this very request). */
void ops_inval_listing(fuse_req_t req, fuse_ino_t ino)
{
	drop_listing(fuse_req_userdata(req), ino);
}
