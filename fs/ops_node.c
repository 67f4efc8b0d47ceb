/* fs/ops_node.c - the node table (fs/ops_node.h).
 *
 * After `ls -lR` of a million archived files the kernel holds a million
 * nodes, so a node is kept small (64 bytes of heap with a name of up to
 * 19 bytes) and every link between nodes is a 32-bit slot number:
 *
 * - slots[]: the node of each slot, or a free slot (a tagged number: the
 *   next free slot). A node id is its slot with the slot's generation
 *   above it (gens[]: bumped each time the slot is freed), so an id is
 *   never given twice in a mount's life (a slot whose generation would
 *   wrap is retired) and finding a node by id is an index, no hash;
 * - by_name and by_ino: hash tables of slot numbers, chained through the
 *   nodes (name_next, ino_next), by (parent id, name) and by inode number;
 * - the name is inline; a rename to a longer one reallocates the node
 *   (only its slot points at it).
 *
 * A listing of 100 000 entries makes 100 000 nodes and the kernel forgets
 * them as fast: free slots are reused last-freed first (the slot arrays
 * stay dense), the hash tables grow with the nodes and shrink when most
 * are gone. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ops_node.h"

struct node {
	uint64_t ino;	    /* the inode number the entry had at lookup */
	uint64_t nlookup;   /* lookups the kernel holds */
	uint32_t up;	    /* the parent's slot while linked (one of its
			       refs); 0 once unlinked */
	uint32_t name_next; /* chain in by_name, while linked */
	uint32_t ino_next;  /* chain in by_ino */
	uint32_t hash;	    /* of (parent id, name) while linked */
	uint32_t refs;	    /* linked children, and callers pinning it */
	uint8_t is_dir;
	char name[]; /* while linked */
};

#define ROOT_SLOT 1 /* its generation stays 0: its id is OPS_NODE_ROOT */
#define MIN_CAP	  1024

struct ops_nodes {
	pthread_mutex_t lock; /* guards everything below; a leaf lock */
	struct node **slots;  /* a node, or FREE_TAG(next free slot) */
	uint32_t *gens;	      /* the generation of each slot's id */
	uint32_t nslots;      /* slots used so far (0 is never a node) */
	uint32_t slot_cap;    /* room in slots and gens */
	uint32_t free_head;   /* a free slot to reuse, 0: none */
	uint32_t *by_name, *by_ino;
	size_t cap; /* buckets in each table: a power of two */
	size_t count;
};

static int is_free(const struct node *p)
{
	return (uintptr_t)p & 1;
}

static struct node *free_tag(uint32_t next)
{
	return (struct node *)(((uintptr_t)next << 1) | 1);
}

static uint32_t free_next(const struct node *p)
{
	return (uint32_t)((uintptr_t)p >> 1);
}

static struct node *N(const struct ops_nodes *t, uint32_t s)
{
	return t->slots[s];
}

static uint64_t id_of(const struct ops_nodes *t, uint32_t s)
{
	return (uint64_t)t->gens[s] << 32 | s;
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

	if (!s || s >= t->nslots || is_free(N(t, s)) ||
	    t->gens[s] != (uint32_t)(id >> 32))
		return 0;
	return s;
}

static uint32_t find_name(const struct ops_nodes *t, uint32_t parent,
			  const char *name)
{
	uint32_t h = name_hash(id_of(t, parent), name);
	uint32_t s = t->by_name[name_bucket(t, h)];

	while (s && (N(t, s)->hash != h || N(t, s)->up != parent ||
		     strcmp(N(t, s)->name, name)))
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
		if (is_free(N(t, s)))
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
	if (++t->gens[s] == 0) { /* retired: the ids would repeat */
		t->slots[s] = free_tag(0);
		return;
	}
	t->slots[s] = free_tag(t->free_head);
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
		free(N(t, s));
		free_slot(t, s);
		t->count--;
		s = up;
	}
	resize(t);
}

/* Link s as its inline name in parent. */
static void link_name(struct ops_nodes *t, uint32_t s, uint32_t parent)
{
	struct node *n = N(t, s);

	n->hash = name_hash(id_of(t, parent), n->name);
	n->up = parent;
	N(t, parent)->refs++;
	name_insert(t, s);
}

/* A slot for a new node: a free one, or one more; 0 on ENOMEM. */
static uint32_t take_slot(struct ops_nodes *t)
{
	uint32_t s = t->free_head;

	if (s) {
		t->free_head = free_next(N(t, s));
		return s;
	}
	if (t->nslots == t->slot_cap) {
		uint32_t cap = t->slot_cap * 2;
		struct node **sl;
		uint32_t *g;

		if (cap <= t->slot_cap) /* 2^31 slots: enough */
			return 0;
		sl = realloc(t->slots, (size_t)cap * sizeof(*sl));
		if (!sl)
			return 0;
		t->slots = sl;
		g = realloc(t->gens, (size_t)cap * sizeof(*g));
		if (!g)
			return 0;
		t->gens = g;
		t->slot_cap = cap;
	}
	t->gens[t->nslots] = 0;
	return t->nslots++;
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
	t->slots = calloc(t->slot_cap, sizeof(*t->slots));
	t->gens = calloc(t->slot_cap, sizeof(*t->gens));
	if (t->slots)
		t->slots[ROOT_SLOT] = calloc(1, sizeof(struct node) + 1);
	if (!t->by_name || !t->by_ino || !t->slots || !t->gens ||
	    !t->slots[ROOT_SLOT]) {
		if (t->slots)
			free(t->slots[ROOT_SLOT]);
		free(t->by_name);
		free(t->by_ino);
		free(t->slots);
		free(t->gens);
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->slots[0] = free_tag(0); /* never a node */
	t->nslots = ROOT_SLOT + 1;
	N(t, ROOT_SLOT)->is_dir = 1;
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
		if (!is_free(N(t, s)))
			free(N(t, s));
	free(t->slots);
	free(t->gens);
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
		ret = N(t, s)->up ? prepend(buf, &pos, N(t, s)->name) : -ESTALE;
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
	size_t len = strlen(name) + 1;
	struct node *n = malloc(offsetof(struct node, name) + len);
	uint32_t s;

	if (!n)
		return 0;
	s = take_slot(t);
	if (!s) {
		free(n);
		return 0;
	}
	memset(n, 0, offsetof(struct node, name));
	memcpy(n->name, name, len);
	n->ino = ino;
	n->is_dir = (uint8_t) !!is_dir;
	t->slots[s] = n;
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
	if (s &&
	    (N(t, s)->is_dir != !!is_dir || (N(t, s)->ino != ino && !is_dir))) {
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
	size_t len = strlen(name) + 1;
	struct node *n;

	unlink_name(t, s);
	if (len > strlen(N(t, s)->name) + 1) {
		n = realloc(N(t, s), offsetof(struct node, name) + len);
		if (!n)
			return -ENOMEM;
		t->slots[s] = n;
	}
	memmove(N(t, s)->name, name, len);
	link_name(t, s, p);
	return 0;
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
