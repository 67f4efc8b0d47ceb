/* fs/ops_node.c - the node table (fs/ops_node.h).
 *
 * After `ls -lR` of a million archived files the kernel holds a million
 * nodes, so a node is a record of 64 bytes in one array, its name inline
 * (up to 22 bytes; a longer one on the heap), and every link between nodes
 * is a 32-bit slot of that array:
 *
 * - nodes[]: the node of each slot, or a free slot. A node id is its slot
 *   with the slot's generation above it (bumped each time the slot is
 *   freed), so an id is never given twice in a mount's life (a slot whose
 *   generation would wrap is retired) and finding a node by id is an
 *   index, no hash;
 * - by_name and by_ino: hash tables of slots, chained through the nodes
 *   (name_next, ino_next), by (parent id, name) and by inode number.
 *
 * A listing of 100 000 entries makes 100 000 nodes and the kernel forgets
 * them as fast: free slots are reused last-freed first, so the array stays
 * as long as the most nodes held at once, whichever threads made and
 * forgot them (no per-thread heap holds freed nodes); the hash tables
 * grow with the nodes and shrink when most are gone. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ops_node.h"

#define NODE_INLINE 23 /* bytes of a name kept in the node, its NUL too */

enum {
	NODE_LIVE = 1,	    /* a node (else a free or retired slot) */
	NODE_DIR = 2,	    /* a directory */
	NODE_HEAP_NAME = 4, /* name[] holds a pointer to the name */
};

struct node {
	uint64_t ino;		/* the inode number the entry had at lookup */
	uint64_t nlookup;	/* lookups the kernel holds */
	uint32_t up;		/* the parent's slot while linked (one of its
				   refs); 0 once unlinked */
	uint32_t name_next;	/* chain in by_name while linked; in the free
				   list while free */
	uint32_t ino_next;	/* chain in by_ino */
	uint32_t hash;		/* of (parent id, name) while linked */
	uint32_t refs;		/* linked children, and callers pinning it */
	uint32_t gen;		/* the generation of the slot's id */
	uint8_t flags;		/* NODE_* */
	char name[NODE_INLINE]; /* while linked */
};

_Static_assert(sizeof(struct node) == 64, "a node is 64 bytes");

#define ROOT_SLOT 1 /* its generation stays 0: its id is OPS_NODE_ROOT */
#define MIN_CAP	  1024

struct ops_nodes {
	pthread_mutex_t lock; /* guards everything below; a leaf lock */
	struct node *nodes;   /* by slot; moves as it grows: nodes are
				 named by slot, never held by address */
	uint32_t nslots;      /* slots used so far (0 is never a node) */
	uint32_t slot_cap;    /* room in nodes */
	uint32_t free_head;   /* a free slot to reuse, 0: none */
	uint32_t *by_name, *by_ino;
	size_t cap; /* buckets in each table: a power of two */
	size_t count;
};

static struct node *N(const struct ops_nodes *t, uint32_t s)
{
	return &t->nodes[s];
}

static const char *name_of(const struct node *n)
{
	const char *p;

	if (!(n->flags & NODE_HEAP_NAME))
		return n->name;
	memcpy(&p, n->name, sizeof(p));
	return p;
}

static void drop_name(struct node *n)
{
	if (n->flags & NODE_HEAP_NAME)
		free((char *)name_of(n));
	n->flags &= (uint8_t)~NODE_HEAP_NAME;
	n->name[0] = 0;
}

/* n's name becomes name: 0 or -ENOMEM (then n has an empty name). */
static int set_name(struct node *n, const char *name)
{
	size_t len = strlen(name) + 1;
	char *p;

	if (len <= NODE_INLINE) {
		drop_name(n);
		memmove(n->name, name, len);
		return 0;
	}
	p = malloc(len);
	if (p)
		memcpy(p, name, len);
	drop_name(n);
	if (!p)
		return -ENOMEM;
	memcpy(n->name, &p, sizeof(p));
	n->flags |= NODE_HEAP_NAME;
	return 0;
}

static uint64_t id_of(const struct ops_nodes *t, uint32_t s)
{
	return (uint64_t)N(t, s)->gen << 32 | s;
}

static int linked(const struct ops_nodes *t, uint32_t s)
{
	return s == ROOT_SLOT || N(t, s)->up;
}

static size_t ino_bucket(const struct ops_nodes *t, uint64_t ino)
{
	uint64_t h = ino * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h ^ (h >> 29)) & (t->cap - 1);
}

static uint32_t name_hash(uint64_t parent, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ parent;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (uint32_t)(h ^ (h >> 32));
}

static size_t name_bucket(const struct ops_nodes *t, uint32_t hash)
{
	return (size_t)hash & (t->cap - 1);
}

/* The slot of id, 0 when no node has it. */
static uint32_t find_id(const struct ops_nodes *t, uint64_t id)
{
	uint32_t s = (uint32_t)id;

	if (!s || s >= t->nslots || !(N(t, s)->flags & NODE_LIVE) ||
	    N(t, s)->gen != (uint32_t)(id >> 32))
		return 0;
	return s;
}

static uint32_t find_name(const struct ops_nodes *t, uint32_t parent,
			  const char *name)
{
	uint32_t h = name_hash(id_of(t, parent), name);
	uint32_t s = t->by_name[name_bucket(t, h)];

	while (s && (N(t, s)->hash != h || N(t, s)->up != parent ||
		     strcmp(name_of(N(t, s)), name)))
		s = N(t, s)->name_next;
	return s;
}

/* The link of a chain in one of the tables: by name or ino. */
enum chain { BY_NAME, BY_INO };

static uint32_t *next_of(struct ops_nodes *t, uint32_t s, enum chain c)
{
	return c == BY_NAME ? &N(t, s)->name_next : &N(t, s)->ino_next;
}

static void chain_remove(struct ops_nodes *t, uint32_t *bucket, uint32_t s,
			 enum chain c)
{
	for (; *bucket; bucket = next_of(t, *bucket, c))
		if (*bucket == s) {
			*bucket = *next_of(t, s, c);
			return;
		}
}

static void ino_insert(struct ops_nodes *t, uint32_t s)
{
	uint32_t *b = &t->by_ino[ino_bucket(t, N(t, s)->ino)];

	N(t, s)->ino_next = *b;
	*b = s;
}

static void name_insert(struct ops_nodes *t, uint32_t s)
{
	uint32_t *b = &t->by_name[name_bucket(t, N(t, s)->hash)];

	N(t, s)->name_next = *b;
	*b = s;
}

/* s's entry now has inode number ino. */
static void set_ino(struct ops_nodes *t, uint32_t s, uint64_t ino)
{
	if (N(t, s)->ino == ino)
		return;
	chain_remove(t, &t->by_ino[ino_bucket(t, N(t, s)->ino)], s, BY_INO);
	N(t, s)->ino = ino;
	ino_insert(t, s);
}

/* The hash tables with cap buckets, every node in them again; on ENOMEM
 * they stay as they are (the chains are longer or the tables larger than
 * they should be, nothing worse). */
static void rehash(struct ops_nodes *t, size_t cap)
{
	uint32_t *bn = calloc(cap, sizeof(*bn)), *bi = calloc(cap, sizeof(*bi));

	if (!bn || !bi) {
		free(bn);
		free(bi);
		return;
	}
	free(t->by_name);
	free(t->by_ino);
	t->by_name = bn;
	t->by_ino = bi;
	t->cap = cap;
	for (uint32_t s = ROOT_SLOT; s < t->nslots; s++) {
		if (!(N(t, s)->flags & NODE_LIVE))
			continue;
		ino_insert(t, s);
		if (s != ROOT_SLOT && N(t, s)->up)
			name_insert(t, s);
	}
}

/* Twice the buckets when the nodes outnumber them, half when they are
 * fewer than an eighth. */
static void resize(struct ops_nodes *t)
{
	if (t->count > t->cap)
		rehash(t, t->cap * 2);
	else if (t->cap > MIN_CAP && t->count < t->cap / 8)
		rehash(t, t->cap / 2);
}

/* Take s out of its parent: no path any more. */
static void unlink_name(struct ops_nodes *t, uint32_t s)
{
	struct node *n = N(t, s);

	if (s == ROOT_SLOT || !n->up)
		return;
	chain_remove(t, &t->by_name[name_bucket(t, n->hash)], s, BY_NAME);
	N(t, n->up)->refs--;
	n->up = 0;
}

/* Give slot s back: its next id will be another. */
static void free_slot(struct ops_nodes *t, uint32_t s)
{
	struct node *n = N(t, s);

	drop_name(n);
	n->flags = 0;
	if (++n->gen == 0) /* retired: its ids would repeat */
		return;
	n->name_next = t->free_head;
	t->free_head = s;
}

/* Free s, then its parents, while nothing holds them. */
static void maybe_free(struct ops_nodes *t, uint32_t s)
{
	while (s && s != ROOT_SLOT && !N(t, s)->nlookup && !N(t, s)->refs) {
		uint32_t up = N(t, s)->up;

		unlink_name(t, s);
		chain_remove(t, &t->by_ino[ino_bucket(t, N(t, s)->ino)], s,
			     BY_INO);
		free_slot(t, s);
		t->count--;
		s = up;
	}
	resize(t);
}

/* Link s (named already) in parent. */
static void link_name(struct ops_nodes *t, uint32_t s, uint32_t parent)
{
	struct node *n = N(t, s);

	n->hash = name_hash(id_of(t, parent), name_of(n));
	n->up = parent;
	N(t, parent)->refs++;
	name_insert(t, s);
}

/* A slot for a new node (its generation set, the rest zero): a free one,
 * or one more; 0 on ENOMEM. The array may move. */
static uint32_t take_slot(struct ops_nodes *t)
{
	uint32_t s = t->free_head, gen = 0;

	if (s) {
		t->free_head = N(t, s)->name_next;
		gen = N(t, s)->gen;
	} else {
		if (t->nslots == t->slot_cap) {
			uint32_t cap = t->slot_cap * 2;
			struct node *a;

			if (cap <= t->slot_cap) /* 2^31 slots: enough */
				return 0;
			a = realloc(t->nodes, (size_t)cap * sizeof(*a));
			if (!a)
				return 0;
			t->nodes = a;
			t->slot_cap = cap;
		}
		s = t->nslots++;
	}
	memset(N(t, s), 0, sizeof(struct node));
	N(t, s)->gen = gen;
	return s;
}

int ops_nodes_new(struct ops_nodes **out)
{
	struct ops_nodes *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->cap = MIN_CAP;
	t->slot_cap = MIN_CAP;
	t->by_name = calloc(t->cap, sizeof(*t->by_name));
	t->by_ino = calloc(t->cap, sizeof(*t->by_ino));
	t->nodes = calloc(t->slot_cap, sizeof(*t->nodes));
	if (!t->by_name || !t->by_ino || !t->nodes) {
		free(t->by_name);
		free(t->by_ino);
		free(t->nodes);
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->nslots = ROOT_SLOT + 1; /* slot 0 is never a node */
	N(t, ROOT_SLOT)->flags = NODE_LIVE | NODE_DIR;
	ino_insert(t, ROOT_SLOT);
	t->count = 1;
	*out = t;
	return 0;
}

void ops_nodes_free(struct ops_nodes *t)
{
	if (!t)
		return;
	for (uint32_t s = ROOT_SLOT; s < t->nslots; s++)
		drop_name(N(t, s));
	free(t->nodes);
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

static int build_path(struct ops_nodes *t, uint32_t s, const char *name,
		      char *buf, size_t len)
{
	size_t pos = len - 1;
	int ret = 0;

	buf[pos] = 0;
	if (name)
		ret = prepend(buf, &pos, name);
	for (; !ret && s != ROOT_SLOT; s = N(t, s)->up)
		ret = N(t, s)->up ? prepend(buf, &pos, name_of(N(t, s)))
				  : -ESTALE;
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
	uint32_t s;
	int ret = -ESTALE;

	if (len < 2)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&t->lock);
	s = find_id(t, id);
	if (s)
		ret = build_path(t, s, name, buf, len);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int ops_node_ino(struct ops_nodes *t, uint64_t id, uint64_t *ino)
{
	uint32_t s;

	pthread_mutex_lock(&t->lock);
	s = find_id(t, id);
	if (s)
		*ino = N(t, s)->ino;
	pthread_mutex_unlock(&t->lock);
	return s ? 0 : -ESTALE;
}

int ops_node_child(struct ops_nodes *t, uint64_t parent, const char *name,
		   uint64_t *id)
{
	uint32_t p, s = 0;

	pthread_mutex_lock(&t->lock);
	p = find_id(t, parent);
	if (p && linked(t, p))
		s = find_name(t, p, name);
	if (s)
		*id = id_of(t, s);
	pthread_mutex_unlock(&t->lock);
	return s ? 0 : -ENOENT;
}

/* A new node for name in p (linked): its slot, or 0 on ENOMEM. */
static uint32_t make_node(struct ops_nodes *t, uint32_t p, const char *name,
			  uint64_t ino, int is_dir)
{
	uint32_t s = take_slot(t);

	if (!s)
		return 0;
	if (set_name(N(t, s), name)) {
		free_slot(t, s);
		return 0;
	}
	N(t, s)->ino = ino;
	N(t, s)->flags |= NODE_LIVE | (is_dir ? NODE_DIR : 0);
	ino_insert(t, s);
	link_name(t, s, p);
	t->count++;
	resize(t);
	return s;
}

int ops_node_ref(struct ops_nodes *t, uint64_t parent, const char *name,
		 uint64_t ino, int is_dir, uint64_t *id)
{
	uint32_t p, s;
	int ret = -ESTALE;

	pthread_mutex_lock(&t->lock);
	p = find_id(t, parent);
	if (!p || !linked(t, p))
		goto out_unlock;
	N(t, p)->refs++; /* pinned while its children change */
	s = find_name(t, p, name);
	if (s && (!(N(t, s)->flags & NODE_DIR) != !is_dir ||
		  (N(t, s)->ino != ino && !is_dir))) {
		unlink_name(t, s); /* another file now has the name */
		maybe_free(t, s);
		s = 0;
	}
	if (!s)
		s = make_node(t, p, name, ino, is_dir);
	ret = -ENOMEM;
	if (s) {
		set_ino(t, s, ino);
		N(t, s)->nlookup++;
		*id = id_of(t, s);
		ret = 0;
	}
	N(t, p)->refs--;
	maybe_free(t, p);
out_unlock:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

void ops_node_forget(struct ops_nodes *t, uint64_t id, uint64_t n)
{
	uint32_t s;

	pthread_mutex_lock(&t->lock);
	s = find_id(t, id);
	if (s && s != ROOT_SLOT) {
		struct node *x = N(t, s);

		x->nlookup = x->nlookup > n ? x->nlookup - n : 0;
		maybe_free(t, s);
	}
	pthread_mutex_unlock(&t->lock);
}

void ops_node_unlink(struct ops_nodes *t, uint64_t parent, const char *name)
{
	uint32_t p, s = 0;

	pthread_mutex_lock(&t->lock);
	p = find_id(t, parent);
	if (p)
		s = find_name(t, p, name);
	if (s) {
		N(t, p)->refs++;
		unlink_name(t, s);
		maybe_free(t, s);
		N(t, p)->refs--;
		maybe_free(t, p);
	}
	pthread_mutex_unlock(&t->lock);
}

/* Move s to name in p; on ENOMEM s is left unlinked. */
static int move(struct ops_nodes *t, uint32_t s, uint32_t p, const char *name)
{
	int ret;

	unlink_name(t, s);
	ret = set_name(N(t, s), name);
	if (!ret)
		link_name(t, s, p);
	return ret;
}

int ops_node_rename(struct ops_nodes *t, uint64_t parent, const char *name,
		    uint64_t newparent, const char *newname, int exchange)
{
	uint32_t p1, p2, a, b;
	int ret = 0, r;

	pthread_mutex_lock(&t->lock);
	p1 = find_id(t, parent);
	p2 = find_id(t, newparent);
	if (!p1 || !p2)
		goto out_unlock;
	N(t, p1)->refs++;
	N(t, p2)->refs++;
	a = find_name(t, p1, name);
	b = find_name(t, p2, newname);
	if (b && b != a && !exchange) {
		unlink_name(t, b);
		maybe_free(t, b);
		b = 0;
	}
	if (a && a != b)
		ret = move(t, a, p2, newname);
	if (b && a != b && (r = move(t, b, p1, name)))
		ret = r;
	if (a)
		maybe_free(t, a);
	if (b)
		maybe_free(t, b);
	N(t, p1)->refs--;
	N(t, p2)->refs--;
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
	for (uint32_t s = t->by_ino[ino_bucket(t, ino)]; s && n < max;
	     s = N(t, s)->ino_next)
		if (N(t, s)->ino == ino)
			ids[n++] = id_of(t, s);
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
