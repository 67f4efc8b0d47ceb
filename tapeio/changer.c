/* tapeio/changer.c - dispatch to the changer backends (tapeio/changer.h).
 *
 * Every call runs under the handle's mutex: a library has one robot, so
 * moves are serialized here whatever the callers do, and err is written
 * by one call at a time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/changer.h"
#include "tapeio/label.h"
#include "tapeio/mtx.h"
#include "tapeio/vlib.h"

extern const struct changer_ops changer_none_ops;

/* Why the last changer_open() of this thread failed (the handle is gone
 * by then); changer_error(NULL) returns it. */
static __thread char open_err[256];

/* The handle callers see is the first member: changer.h has no room for
 * the lock, and callers never allocate a struct changer themselves. */
struct changer_impl {
	struct changer pub;
	/* Guards every backend call and pub.err: held for a whole robot
	 * move or inventory. Taken after the scheduler's robot mutex when
	 * the scheduler calls; no other mutex is taken while it is held
	 * (the vlib backend takes its library's file lock inside). */
	pthread_mutex_t mu;
	struct changer_guard guard; /* changer_set_guard(); set before use */
};

const struct changer_ops *changer_backend(const char *name)
{
	static const struct changer_ops *const all[] = {
		&changer_vlib_ops,
		&changer_mtx_ops,
		&changer_none_ops,
	};

	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

static pthread_mutex_t *changer_mu(struct changer *c)
{
	return &((struct changer_impl *)c)->mu;
}

/* Start of a call: take the robot, forget the last error. */
static void call_begin(struct changer *c)
{
	pthread_mutex_lock(changer_mu(c));
	c->err[0] = 0;
}

void changer_set_guard(struct changer *c, const struct changer_guard *g)
{
	struct changer_impl *impl = (struct changer_impl *)c;

	if (g)
		impl->guard = *g;
	else
		memset(&impl->guard, 0, sizeof(impl->guard));
}

/* The hosts' robot lock around a move or an inventory: 0, or -ENOLCK
 * with the lock's own error in c->err (the robot is not to blame, nor a
 * drive: changer.h). */
static int guard_take(struct changer *c)
{
	struct changer_guard *g = &((struct changer_impl *)c)->guard;
	int ret;

	if (!g->lock)
		return 0;
	ret = g->lock(g->arg);
	if (ret < 0) {
		pthread_mutex_lock(changer_mu(c));
		snprintf(c->err, sizeof(c->err),
			 "robot lock: %s (nothing moved)", strerror(-ret));
		pthread_mutex_unlock(changer_mu(c));
		return -ENOLCK;
	}
	return 0;
}

static void guard_give(struct changer *c)
{
	struct changer_guard *g = &((struct changer_impl *)c)->guard;

	if (g->unlock)
		g->unlock(g->arg);
}

/* End of a call: make sure a failure carries a reason. */
static int call_end(struct changer *c, int ret, const char *what)
{
	if (ret < 0 && !c->err[0])
		snprintf(c->err, sizeof(c->err), "%s: %s", what,
			 strerror(-ret));
	pthread_mutex_unlock(changer_mu(c));
	return ret;
}

int changer_open(struct changer **out, const struct changer_ops *ops,
		 const char *spec)
{
	struct changer_impl *impl;
	struct changer *c;
	int ret;

	open_err[0] = 0;
	if (!ops) {
		snprintf(open_err, sizeof(open_err), "unknown changer backend");
		return -EINVAL;
	}
	impl = calloc(1, sizeof(*impl));
	if (!impl)
		return -ENOMEM;
	c = &impl->pub;
	c->ops = ops;
	pthread_mutex_init(changer_mu(c), NULL);
	ret = ops->open(c, spec ? spec : "");
	if (ret) {
		snprintf(open_err, sizeof(open_err), "%s",
			 c->err[0] ? c->err : strerror(-ret));
		pthread_mutex_destroy(changer_mu(c));
		free(impl);
		return ret;
	}
	*out = c;
	return 0;
}

int changer_open_conf(struct changer **out, const struct changer_conf *cf,
		      char *err, size_t errlen)
{
	const struct changer_ops *ops = changer_backend(cf->changer);
	char spec[4200] = "";
	int ret;

	if (!ops) {
		if (err)
			snprintf(err, errlen, "unknown changer '%s'",
				 cf->changer ? cf->changer : "");
		return -EINVAL;
	}
	ret = ops->conf_spec ? ops->conf_spec(cf, spec, sizeof(spec)) : -EINVAL;
	if (!ret)
		ret = changer_open(out, ops, spec);
	if (ret && err)
		snprintf(err, errlen, "changer %s '%.3000s': %s", ops->name,
			 spec, strerror(-ret));
	return ret;
}

void changer_close(struct changer *c)
{
	if (!c)
		return;
	c->ops->close(c);
	pthread_mutex_destroy(changer_mu(c));
	free((struct changer_impl *)c);
}

int changer_inventory(struct changer *c, struct changer_inv *inv)
{
	int ret;

	memset(inv, 0, sizeof(*inv));
	ret = guard_take(c);
	if (ret)
		return ret;
	call_begin(c);
	ret = call_end(c, c->ops->inventory(c, inv), "inventory");
	guard_give(c);
	return ret;
}

void changer_inv_free(struct changer_inv *inv)
{
	if (!inv)
		return;
	free(inv->elems);
	memset(inv, 0, sizeof(*inv));
}

/* A load or unload without the guard (the caller holds it). */
static int load_unguarded(struct changer *c, int slot, int drive)
{
	call_begin(c);
	return call_end(c, c->ops->load(c, slot, drive), "load");
}

static int unload_unguarded(struct changer *c, int drive, int slot)
{
	call_begin(c);
	return call_end(c, c->ops->unload(c, drive, slot), "unload");
}

int changer_load(struct changer *c, int slot, int drive)
{
	int ret = guard_take(c);

	if (ret)
		return ret;
	ret = load_unguarded(c, slot, drive);
	guard_give(c);
	return ret;
}

int changer_unload(struct changer *c, int drive, int slot)
{
	int ret = guard_take(c);

	if (ret)
		return ret;
	ret = unload_unguarded(c, drive, slot);
	guard_give(c);
	return ret;
}

int changer_transfer(struct changer *c, int from_slot, int to_slot)
{
	int ret = guard_take(c);

	if (ret)
		return ret;
	call_begin(c);
	ret = call_end(c, c->ops->transfer(c, from_slot, to_slot),
		       "transfer");
	guard_give(c);
	return ret;
}

int changer_drive_device(struct changer *c, int drive, char *buf, size_t len)
{
	call_begin(c);
	return call_end(c, c->ops->drive_device(c, drive, buf, len),
			"drive device");
}

/* A look at the tape of dev: its label and what follows (label_probe()),
 * with why it failed in why; eject: a drive's tape, taken offline after. */
static int probe_dev(const struct tape_ops *ops, const char *dev, int eject,
		     struct label_probe *p, char *why, size_t len)
{
	struct tape *t;
	int ret;

	ret = tape_open(&t, ops, dev, TAPE_RDONLY);
	if (!ret) {
		ret = label_probe(t, p);
		/* a library takes only an ejected tape */
		if (eject)
			tape_offline(t);
		tape_close(t);
	}
	if (ret)
		snprintf(why, len, "label: %s", strerror(-ret));
	return ret;
}

int changer_label_peek(struct changer *c, const char *barcode,
		       const struct tape_ops *ops, struct label_probe *p)
{
	char dev[4096], why[sizeof(c->err)] = "";
	int ret;

	if (!c->ops->peek)
		return -ENOTSUP;
	call_begin(c);
	ret = call_end(c, c->ops->peek(c, barcode, dev, sizeof(dev)), "peek");
	if (ret)
		return ret;
	ret = probe_dev(ops, dev, 0, p, why, sizeof(why));
	pthread_mutex_lock(changer_mu(c));
	snprintf(c->err, sizeof(c->err), "%s", why);
	pthread_mutex_unlock(changer_mu(c));
	return ret;
}

int changer_label_probe(struct changer *c, int slot, int drive,
			const struct tape_ops *ops, const char *dev,
			struct label_probe *p)
{
	char why[sizeof(c->err)] = "", what[sizeof(c->err) - 32];
	int ret, uret;

	/* one hold of the robot from the load to the unload */
	ret = guard_take(c);
	if (ret)
		return ret;
	ret = load_unguarded(c, slot, drive);
	if (ret) {
		guard_give(c);
		return ret;
	}
	ret = probe_dev(ops, dev, 1, p, what, sizeof(what));
	if (ret)
		snprintf(why, sizeof(why), "slot %d: %s", slot, what);
	uret = unload_unguarded(c, drive, slot);
	guard_give(c);
	if (uret) {
		snprintf(why, sizeof(why), "%.120s; the tape of slot %d stays in "
			 "drive %d", changer_error(c), slot, drive);
		ret = uret;
	}
	pthread_mutex_lock(changer_mu(c));
	memcpy(c->err, why, sizeof(c->err));
	pthread_mutex_unlock(changer_mu(c));
	return ret;
}

int changer_barcode_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (!(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= '0' && s[n] <= '9'))
			return 0;
	return n >= 1 && n <= CHANGER_BARCODE_LEN;
}

const char *changer_error(const struct changer *c)
{
	return c ? c->err : open_err;
}

const struct changer_elem *changer_inv_find(const struct changer_inv *inv,
					    const char *barcode)
{
	if (!inv || !barcode || !barcode[0])
		return NULL;
	for (size_t i = 0; i < inv->nelems; i++)
		if (inv->elems[i].full &&
		    strcmp(inv->elems[i].barcode, barcode) == 0)
			return &inv->elems[i];
	return NULL;
}
