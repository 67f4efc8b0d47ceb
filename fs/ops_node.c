/* fs/ops_node.c - the node table (fs/ops_node.h): two hash tables over the
 * same nodes, by id and by (parent, name), and a third by inode number.
 *
 * A listing of 100 000 entries makes 100 000 nodes and the kernel forgets
 * them as fast: a node is one allocation with its name inline (a rename
 * to a longer name puts that one name on the heap), and keeps the hash
 * of its (parent, name), so that a chain is walked without touching
 * names and a node leaves its chain without hashing its name again. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ops_node.h"

struct node {
	struct node *id_next;	/* chain in by_id */
	struct node *name_next; /* chain in by_name, while linked */
	struct node *ino_next;	/* chain in by_ino */
	struct node *up;	/* the parent while linked (one of its refs) */
	char *name;		/* while linked (inline, or on the heap after a
				   rename to a longer name); NULL once unlinked */
	uint64_t hash;		/* of (up, name) while linked */
	uint64_t id;
	uint64_t ino;	  /* the inode number the entry had at lookup */
	uint64_t nlookup; /* lookups the kernel holds */
	uint32_t refs;	  /* linked children, and callers pinning it */
	uint8_t is_dir;
	uint16_t room; /* bytes of inline_name[] */
	char inline_name[];
};

struct ops_nodes {
	pthread_mutex_t lock; /* guards everything below; a leaf lock */
	struct node **by_id, **by_name, **by_ino;
	size_t cap; /* buckets in each table: a power of two */
	size_t count;
	uint64_t next_id;
	struct node root; /* last: a node ends with its inline name */
};

static size_t ino_slot(const struct ops_nodes *t, uint64_t ino)
{
	uint64_t h = ino * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h ^ (h >> 29)) & (t->cap - 1);
}

static size_t id_slot(const struct ops_nodes *t, uint64_t id)
{
	uint64_t h = id * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h ^ (h >> 32)) & (t->cap - 1);
}

static uint64_t name_hash(uint64_t parent, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ parent;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ^ (h >> 32);
}

static size_t name_slot(const struct ops_nodes *t, uint64_t hash)
{
	return (size_t)hash & (t->cap - 1);
}

static struct node *find_id(struct ops_nodes *t, uint64_t id)
{
	struct node *n = t->by_id[id_slot(t, id)];

	while (n && n->id != id)
		n = n->id_next;
	return n;
}

static struct node *find_name(struct ops_nodes *t, struct node *parent,
			      const char *name)
{
	uint64_t h = name_hash(parent->id, name);
	struct node *n = t->by_name[name_slot(t, h)];

	while (n && (n->hash != h || n->up != parent || strcmp(n->name, name)))
		n = n->name_next;
	return n;
}

/* The link of n's chain in one of the tables: by id, name or ino. */
enum chain { BY_ID, BY_NAME, BY_INO };

static struct node **next_of(struct node *n, enum chain c)
{
	return c == BY_ID     ? &n->id_next
	       : c == BY_NAME ? &n->name_next
			      : &n->ino_next;
}

static void chain_remove(struct node **slot, struct node *n, enum chain c)
{
	for (; *slot; slot = next_of(*slot, c))
		if (*slot == n) {
			*slot = *next_of(n, c);
			return;
		}
}

static void ino_insert(struct ops_nodes *t, struct node *n)
{
	size_t s = ino_slot(t, n->ino);

	n->ino_next = t->by_ino[s];
	t->by_ino[s] = n;
}

/* n's entry now has inode number ino. */
static void set_ino(struct ops_nodes *t, struct node *n, uint64_t ino)
{
	if (n->ino == ino)
		return;
	chain_remove(&t->by_ino[ino_slot(t, n->ino)], n, BY_INO);
	n->ino = ino;
	ino_insert(t, n);
}

static void name_insert(struct ops_nodes *t, struct node *n)
{
	size_t s = name_slot(t, n->hash);

	n->name_next = t->by_name[s];
	t->by_name[s] = n;
}

static void id_insert(struct ops_nodes *t, struct node *n)
{
	size_t s = id_slot(t, n->id);

	n->id_next = t->by_id[s];
	t->by_id[s] = n;
}

/* Twice the buckets when the nodes outnumber them; on ENOMEM the chains
 * just grow longer. */
static void grow(struct ops_nodes *t)
{
	struct node **old = t->by_id, **bi, **bn, **bo;
	size_t oldcap = t->cap;

	if (t->count <= t->cap)
		return;
	bi = calloc(oldcap * 2, sizeof(*bi));
	bn = calloc(oldcap * 2, sizeof(*bn));
	bo = calloc(oldcap * 2, sizeof(*bo));
	if (!bi || !bn || !bo) {
		free(bi);
		free(bn);
		free(bo);
		return;
	}
	free(t->by_name);
	free(t->by_ino);
	t->by_id = bi;
	t->by_name = bn;
	t->by_ino = bo;
	t->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		for (struct node *n = old[i], *next; n; n = next) {
			next = n->id_next;
			id_insert(t, n);
			ino_insert(t, n);
			if (n->name)
				name_insert(t, n);
		}
	free(old);
}

/* Take n out of its parent: no path any more. */
static void unlink_name(struct ops_nodes *t, struct node *n)
{
	if (!n->name)
		return;
	chain_remove(&t->by_name[name_slot(t, n->hash)], n, BY_NAME);
	if (n->name != n->inline_name)
		free(n->name);
	n->name = NULL;
	n->up->refs--;
	n->up = NULL;
}

/* Free n, then its parents, while nothing holds them. */
static void maybe_free(struct ops_nodes *t, struct node *n)
{
	while (n && n != &t->root && !n->nlookup && !n->refs) {
		struct node *up = n->up;

		unlink_name(t, n);
		chain_remove(&t->by_id[id_slot(t, n->id)], n, BY_ID);
		chain_remove(&t->by_ino[ino_slot(t, n->ino)], n, BY_INO);
		free(n);
		t->count--;
		n = up;
	}
}

/* Link n as name (inline, or on the heap and owned by n from now) in
 * parent. */
static void link_name(struct ops_nodes *t, struct node *n, struct node *parent,
		      char *name)
{
	n->name = name;
	n->hash = name_hash(parent->id, name);
	n->up = parent;
	parent->refs++;
	name_insert(t, n);
}

int ops_nodes_new(struct ops_nodes **out)
{
	struct ops_nodes *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->cap = 1024;
	t->by_id = calloc(t->cap, sizeof(*t->by_id));
	t->by_name = calloc(t->cap, sizeof(*t->by_name));
	t->by_ino = calloc(t->cap, sizeof(*t->by_ino));
	if (!t->by_id || !t->by_name || !t->by_ino) {
		free(t->by_id);
		free(t->by_name);
		free(t->by_ino);
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->root.id = OPS_NODE_ROOT;
	t->root.is_dir = 1;
	id_insert(t, &t->root);
	ino_insert(t, &t->root);
	t->count = 1;
	t->next_id = OPS_NODE_ROOT + 1;
	*out = t;
	return 0;
}

void ops_nodes_free(struct ops_nodes *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->cap; i++)
		for (struct node *n = t->by_id[i], *next; n; n = next) {
			next = n->id_next;
			if (n == &t->root)
				continue;
			if (n->name != n->inline_name)
				free(n->name);
			free(n);
		}
	free(t->by_id);
	free(t->by_name);
	free(t->by_ino);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Put s in front of buf[*pos..]; 0 or -ENAMETOOLONG. */
static int prepend(char *buf, size_t *pos, const char *s)
{
	size_t l = strlen(s);

	if (l + 1 > *pos)
		return -ENAMETOOLONG;
	*pos -= l;
	memcpy(buf + *pos, s, l);
	buf[--*pos] = '/';
	return 0;
}

static int build_path(struct ops_nodes *t, struct node *n, const char *name,
		      char *buf, size_t len)
{
	size_t pos = len - 1;
	int ret = 0;

	buf[pos] = 0;
	if (name)
		ret = prepend(buf, &pos, name);
	for (; !ret && n != &t->root; n = n->up)
		ret = n->name ? prepend(buf, &pos, n->name) : -ESTALE;
	if (ret)
		return ret;
	if (pos == len - 1) { /* the root itself */
		if (pos < 1)
			return -ENAMETOOLONG;
		buf[--pos] = '/';
	}
	memmove(buf, buf + pos, len - pos);
	return 0;
}

int ops_node_path(struct ops_nodes *t, uint64_t id, const char *name, char *buf,
		  size_t len)
{
	struct node *n;
	int ret = -ESTALE;

	if (len < 2)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&t->lock);
	n = find_id(t, id);
	if (n)
		ret = build_path(t, n, name, buf, len);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int ops_node_ino(struct ops_nodes *t, uint64_t id, uint64_t *ino)
{
	struct node *n;

	pthread_mutex_lock(&t->lock);
	n = find_id(t, id);
	if (n)
		*ino = n->ino;
	pthread_mutex_unlock(&t->lock);
	return n ? 0 : -ESTALE;
}

int ops_node_child(struct ops_nodes *t, uint64_t parent, const char *name,
		   uint64_t *id)
{
	struct node *p, *n = NULL;

	pthread_mutex_lock(&t->lock);
	p = find_id(t, parent);
	if (p && (p == &t->root || p->name))
		n = find_name(t, p, name);
	if (n)
		*id = n->id;
	pthread_mutex_unlock(&t->lock);
	return n ? 0 : -ENOENT;
}

/* A new node for name in p (linked), or NULL on ENOMEM. */
static struct node *make_node(struct ops_nodes *t, struct node *p,
			      const char *name, uint64_t ino, int is_dir)
{
	size_t len = strlen(name) + 1;
	struct node *n = malloc(sizeof(*n) + len);

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	memcpy(n->inline_name, name, len);
	n->room = len > UINT16_MAX ? UINT16_MAX : (uint16_t)len;
	n->id = t->next_id++;
	n->ino = ino;
	n->is_dir = (uint8_t) !!is_dir;
	id_insert(t, n);
	ino_insert(t, n);
	link_name(t, n, p, n->inline_name);
	t->count++;
	grow(t);
	return n;
}

int ops_node_ref(struct ops_nodes *t, uint64_t parent, const char *name,
		 uint64_t ino, int is_dir, uint64_t *id)
{
	struct node *p, *n;
	int ret = -ESTALE;

	pthread_mutex_lock(&t->lock);
	p = find_id(t, parent);
	if (!p || (p != &t->root && !p->name))
		goto out_unlock;
	p->refs++; /* pinned while its children change */
	n = find_name(t, p, name);
	if (n && (n->is_dir != !!is_dir || (n->ino != ino && !is_dir))) {
		unlink_name(t, n); /* another file now has the name */
		maybe_free(t, n);
		n = NULL;
	}
	if (!n)
		n = make_node(t, p, name, ino, is_dir);
	ret = -ENOMEM;
	if (n) {
		set_ino(t, n, ino);
		n->nlookup++;
		*id = n->id;
		ret = 0;
	}
	p->refs--;
	maybe_free(t, p);
out_unlock:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

void ops_node_forget(struct ops_nodes *t, uint64_t id, uint64_t n)
{
	struct node *node;

	pthread_mutex_lock(&t->lock);
	node = find_id(t, id);
	if (node && node != &t->root) {
		node->nlookup = node->nlookup > n ? node->nlookup - n : 0;
		maybe_free(t, node);
	}
	pthread_mutex_unlock(&t->lock);
}

void ops_node_unlink(struct ops_nodes *t, uint64_t parent, const char *name)
{
	struct node *p, *n;

	pthread_mutex_lock(&t->lock);
	p = find_id(t, parent);
	n = p ? find_name(t, p, name) : NULL;
	if (n) {
		p->refs++;
		unlink_name(t, n);
		maybe_free(t, n);
		p->refs--;
		maybe_free(t, p);
	}
	pthread_mutex_unlock(&t->lock);
}

/* Move n to name in p; on ENOMEM n is left unlinked. */
static int move(struct ops_nodes *t, struct node *n, struct node *p,
		const char *name)
{
	size_t len = strlen(name) + 1;
	char *s = len <= n->room ? n->inline_name : malloc(len);

	unlink_name(t, n);
	if (!s)
		return -ENOMEM;
	memmove(s, name, len);
	link_name(t, n, p, s);
	return 0;
}

int ops_node_rename(struct ops_nodes *t, uint64_t parent, const char *name,
		    uint64_t newparent, const char *newname, int exchange)
{
	struct node *p1, *p2, *a, *b;
	int ret = 0, r;

	pthread_mutex_lock(&t->lock);
	p1 = find_id(t, parent);
	p2 = find_id(t, newparent);
	if (!p1 || !p2)
		goto out_unlock;
	p1->refs++;
	p2->refs++;
	a = find_name(t, p1, name);
	b = find_name(t, p2, newname);
	if (b && b != a && !exchange) {
		unlink_name(t, b);
		maybe_free(t, b);
		b = NULL;
	}
	if (a && a != b)
		ret = move(t, a, p2, newname);
	if (b && a != b && (r = move(t, b, p1, name)))
		ret = r;
	if (a)
		maybe_free(t, a);
	if (b)
		maybe_free(t, b);
	p1->refs--;
	p2->refs--;
	maybe_free(t, p1);
	maybe_free(t, p2);
out_unlock:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

size_t ops_node_by_ino(struct ops_nodes *t, uint64_t ino, uint64_t *ids,
		       size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	for (struct node *x = t->by_ino[ino_slot(t, ino)]; x && n < max;
	     x = x->ino_next)
		if (x->ino == ino)
			ids[n++] = x->id;
	pthread_mutex_unlock(&t->lock);
	return n;
}

size_t ops_nodes_count(struct ops_nodes *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
