/* tapeio/sched.c - the drive scheduler (tapeio/sched.h).
 *
 * Shape: one mutex (sched.mu) guards the queue and the state of every
 * drive; dispatch() runs under it whenever something changes (a job
 * arrives, a drive frees up, an inventory ends) and hands each startable
 * job to the worker of its first drive, holding the gang's other drives
 * for it. The worker then does the robot moves (under sched.robot, one at
 * a time), opens the devices and runs the job without holding sched.mu.
 * A job for a tape the inventory cache does not know waits on the queue
 * for the inventory worker (inv_main), which asks the robot again; no
 * submitter ever talks to the robot.
 *
 * Locks (sched.h says what they mean for callers):
 *   robot  serializes robot moves and inventories: held across changer
 *          calls (and the tape ejects before an unload), for seconds;
 *   mu     guards memory only: never held across a changer call, a tape
 *          operation, a callback or a wait for robot;
 *   a waiter's mutex (sched_run_wait) guards its own two fields.
 * Order: robot before mu; the changer's own mutex (tapeio/changer.c) is
 * taken inside changer calls, under robot and never with mu. Nothing is
 * taken while holding mu.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tapeio/label.h"
#include "tapeio/sched.h"

/* Seconds between inventories while a job waits for a tape in another
 * host's drive (the other host tells us nothing: we look). */
#define SCHED_AWAY_POLL_S 2

struct drive {
	int idx; /* position in sched.drives (bit idx of a job's avoid_) */
	int id;	 /* the changer's number of the drive (sched_config.drive_id) */
	pthread_t th;
	int th_started;
	char dev[256];
	pthread_cond_t wake; /* with sched.mu: a job was handed to us */

	/* Guarded by sched.mu. */
	int full;                          /* holds a cartridge */
	char barcode[CHANGER_BARCODE_MAX]; /* "" when empty or not known */
	int home;                          /* slot it came from, 0 unknown */
	enum sched_state state;
	int oos;                 /* out of service */
	struct sched_job *job;   /* job run on or held by this drive */
	char want[CHANGER_BARCODE_MAX]; /* the tape job needs in it */
	int leader;              /* this drive's worker runs job */
	int running;             /* the leader has taken the job */
	int gang[SCHED_GANG_MAX]; /* leader: drive of tape i */
	int faults;              /* faults in a row */
	int fault_now;           /* a fault during the current job */
	char reason[320];
	long file, block;
	uint64_t bytes_done, bytes_total;
	struct timespec t_first; /* first report of bytes in this job */
	uint64_t bytes_first;
	int have_first;
	uint64_t jobs_done, loads, unloads;
	uint64_t bytes_written, bytes_read; /* by jobs, since start */
};

/* Where a tape lives when it is in no drive. */
struct slot_tape {
	char barcode[CHANGER_BARCODE_MAX];
	int slot;
};

struct sched {
	/* Guards queue, seq, stopping, err, slots/nslot, named/nnamed,
	 * slot_seen/nslot_seen, away/naway, moves,
	 * inv_want/inv_run/inv_done and the
	 * mutable fields of every drive. Held for memory operations only. */
	pthread_mutex_t mu;
	/* Serializes robot moves and inventories (changer calls). Taken
	 * before mu, never while holding it. */
	pthread_mutex_t robot;
	/* The inventory worker: with mu, wakes when an inventory is
	 * wanted. Inventories asked for by submissions are numbered:
	 * inv_want the highest asked for, inv_run the one running (0: none),
	 * inv_done the last finished. A job waits for inv_need_ <= inv_done. */
	pthread_t inv_th;
	int inv_th_started;
	pthread_cond_t inv_wake;
	uint64_t inv_want, inv_run, inv_done;

	struct changer *changer;
	const struct tape_ops *ops;
	int ndrives;
	struct drive *drives;

	struct sched_job *queue; /* waiting jobs, submission order */
	uint64_t seq;
	int stopping;
	char err[320];
	struct slot_tape *slots;
	size_t nslot;
	/* Tapes the last inventory saw in drives that are not ours (another
	 * host's, sharing the library): never loaded from there, never
	 * unloaded by us; a job for one waits (slot = the drive's number). */
	struct slot_tape *away;
	size_t naway;
	struct timespec away_next; /* the next look for them (monotonic), 0
				      none planned */
	/* Cartridges the library reports without a tag: the barcode each
	 * was given (sched_slot_name(), or the one it had in a drive before
	 * going back to its slot), by slot. */
	struct slot_tape *named;
	size_t nnamed;
	/* What the last inventory saw in slot i (1..nslot_seen): 0 empty,
	 * 1 a tagged cartridge, 2 one without a tag. */
	unsigned char *slot_seen;
	int nslot_seen;
	int nie_seen; /* the last nie_seen of them are import/export slots */
	uint64_t moves;
	/* Tapes taken for writing (sched_tape_reserve()), each with how
	 * many reservations it holds. */
	struct sched_resv {
		char barcode[CHANGER_BARCODE_MAX];
		int count;
		int excl; /* sched_tape_reserve_excl(): no other */
	} *resv;
	size_t nresv;
	sched_log_fn log; /* the owner's log (sched_config), or NULL */
	void *log_arg;
};

const char *sched_state_name(enum sched_state st)
{
	switch (st) {
	case SCHED_DRIVE_IDLE:
		return "idle";
	case SCHED_DRIVE_LOADING:
		return "loading";
	case SCHED_DRIVE_WRITING:
		return "writing";
	case SCHED_DRIVE_READING:
		return "reading";
	case SCHED_DRIVE_LOCATING:
		return "locating";
	case SCHED_DRIVE_UNLOADING:
		return "unloading";
	case SCHED_DRIVE_OUT_OF_SERVICE:
		return "out of service";
	}
	return "unknown";
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) +
	       (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

/* ---- inventory cache (under mu) ---------------------------------------- */

/* Our drive that the changer numbers id, or NULL (not one of ours). The
 * drives never change after sched_start(): no lock needed. */
static struct drive *drive_by_id(const struct sched *s, int id)
{
	for (int i = 0; i < s->ndrives; i++)
		if (s->drives[i].id == id)
			return &s->drives[i];
	return NULL;
}

static struct drive *drive_holding(struct sched *s, const char *barcode)
{
	for (int i = 0; i < s->ndrives; i++)
		if (s->drives[i].full && strcmp(s->drives[i].barcode, barcode) == 0)
			return &s->drives[i];
	return NULL;
}

/* 1 when barcode sits in another host's drive (last inventory). */
static int away_of(const struct sched *s, const char *barcode)
{
	for (size_t i = 0; i < s->naway; i++)
		if (strcmp(s->away[i].barcode, barcode) == 0)
			return 1;
	return 0;
}

static int away_add(struct sched *s, const char *barcode, int drive)
{
	struct slot_tape *n = realloc(s->away, (s->naway + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->away = n;
	snprintf(n[s->naway].barcode, sizeof(n[s->naway].barcode), "%s",
		 barcode);
	n[s->naway++].slot = drive;
	return 0;
}

static int slot_of(struct sched *s, const char *barcode)
{
	for (size_t i = 0; i < s->nslot; i++)
		if (strcmp(s->slots[i].barcode, barcode) == 0)
			return s->slots[i].slot;
	return 0;
}

static void slot_forget(struct sched *s, const char *barcode)
{
	for (size_t i = 0; i < s->nslot; i++)
		if (strcmp(s->slots[i].barcode, barcode) == 0) {
			s->slots[i] = s->slots[--s->nslot];
			return;
		}
}

static int slot_remember(struct sched *s, const char *barcode, int slot)
{
	struct slot_tape *n;

	slot_forget(s, barcode);
	n = realloc(s->slots, (s->nslot + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->slots = n;
	snprintf(n[s->nslot].barcode, sizeof(n[s->nslot].barcode), "%s",
		 barcode);
	n[s->nslot].slot = slot;
	s->nslot++;
	return 0;
}

/* The barcode given to the untagged cartridge of slot, or NULL. */
static const char *named_of(const struct sched *s, int slot)
{
	for (size_t i = 0; i < s->nnamed; i++)
		if (s->named[i].slot == slot)
			return s->named[i].barcode;
	return NULL;
}

/* Name the cartridge of slot (barcode NULL: forget it). A barcode names
 * one slot at most. 0 or -ENOMEM. */
static int named_set(struct sched *s, int slot, const char *barcode)
{
	struct slot_tape *n;

	for (size_t i = 0; i < s->nnamed; i++)
		if (s->named[i].slot == slot ||
		    (barcode && !strcmp(s->named[i].barcode, barcode)))
			s->named[i--] = s->named[--s->nnamed];
	if (!barcode)
		return 0;
	n = realloc(s->named, (s->nnamed + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->named = n;
	snprintf(n[s->nnamed].barcode, sizeof(n[s->nnamed].barcode), "%s",
		 barcode);
	n[s->nnamed].slot = slot;
	s->nnamed++;
	return 0;
}

/* Read the changer's inventory into the cache. Caller holds robot, not
 * mu. Drives busy with a job keep what we know (their tape cannot have
 * moved: only we move tapes). */
static int inventory_refresh(struct sched *s)
{
	struct changer_inv inv;
	int ret;

	memset(&inv, 0, sizeof(inv));
	ret = changer_inventory(s->changer, &inv);
	if (ret < 0) {
		pthread_mutex_lock(&s->mu);
		snprintf(s->err, sizeof(s->err), "inventory: %s",
			 changer_error(s->changer));
		pthread_mutex_unlock(&s->mu);
		return ret;
	}
	pthread_mutex_lock(&s->mu);
	s->nslot = 0;
	s->naway = 0;
	if (inv.nslots != s->nslot_seen) {
		unsigned char *seen = realloc(s->slot_seen,
					      (size_t)inv.nslots + 1);
		if (seen) {
			s->slot_seen = seen;
			s->nslot_seen = inv.nslots;
		}
	}
	if (s->slot_seen)
		memset(s->slot_seen, 0, (size_t)s->nslot_seen + 1);
	s->nie_seen = inv.nie < s->nslot_seen ? inv.nie : s->nslot_seen;
	for (size_t i = 0; i < inv.nelems; i++) {
		const struct changer_elem *e = &inv.elems[i];
		const char *name = e->barcode;
		if (e->type == CHANGER_DRIVE) {
			struct drive *d = drive_by_id(s, e->index);
			if (!d && e->full && e->barcode[0] &&
			    away_add(s, e->barcode, e->index) < 0)
				ret = -ENOMEM;
			if (!d || d->job)
				continue;
			/* an untagged cartridge keeps the name we know it
			 * by: only we move cartridges between drives */
			if (e->full && !e->barcode[0] && d->full)
				name = d->barcode;
			d->full = e->full;
			snprintf(d->barcode, sizeof(d->barcode), "%s",
				 e->full ? name : "");
			d->home = e->source;
			continue;
		}
		if (e->index >= 1 && e->index <= s->nslot_seen)
			s->slot_seen[e->index] = !e->full ? 0
						 : e->barcode[0] ? 1
								 : 2;
		if (!e->full)
			named_set(s, e->index, NULL);
		else if (!e->barcode[0])
			name = named_of(s, e->index);
		if (e->full && name && name[0] &&
		    slot_remember(s, name, e->index) < 0)
			ret = -ENOMEM;
	}
	pthread_mutex_unlock(&s->mu);
	changer_inv_free(&inv);
	return ret;
}

/* A full drive whose cartridge has no barcode (changer "none", a tag the
 * library could not read): learn it from the label on tape. */
static void drive_learn_label(struct sched *s, struct drive *d)
{
	struct tape *t = NULL;
	struct tape_label l;

	if (tape_open(&t, s->ops, d->dev, TAPE_RDONLY) < 0)
		return;
	if (label_read(t, &l) == 0) {
		pthread_mutex_lock(&s->mu);
		snprintf(d->barcode, sizeof(d->barcode), "%.35s", l.barcode);
		pthread_mutex_unlock(&s->mu);
	}
	tape_close(t);
}

/* ---- dispatch (under mu) ------------------------------------------------ */

/* Is barcode in the library: in a slot, one of our drives or another
 * host's? */
static int tape_known(struct sched *s, const char *barcode)
{
	return drive_holding(s, barcode) || slot_of(s, barcode) ||
	       away_of(s, barcode);
}

/* Every barcode of j known? */
static int job_known(struct sched *s, const struct sched_job *j)
{
	for (int i = 0; i < j->ntapes; i++)
		if (!tape_known(s, j->barcode[i]))
			return 0;
	return 1;
}

/* j needs a tape in another host's drive. */
static int job_awaits_away(struct sched *s, const struct sched_job *j)
{
	for (int i = 0; i < j->ntapes; i++)
		if (away_of(s, j->barcode[i]) &&
		    !drive_holding(s, j->barcode[i]))
			return 1;
	return 0;
}

/* Some queued job waits for a tape in another host's drive: the inventory
 * worker looks again from time to time. */
static int away_waited(struct sched *s)
{
	for (const struct sched_job *j = s->queue; j; j = j->next_)
		if (job_awaits_away(s, j))
			return 1;
	return 0;
}

/* j waits for an inventory to find one of its tapes. */
static int job_awaits_inventory(struct sched *s, const struct sched_job *j)
{
	return j->inv_need_ > s->inv_done && !job_known(s, j);
}

/* j names a tape in no slot and no drive: which (j->failed) and why
 * (s->err). */
static void job_missing(struct sched *s, struct sched_job *j)
{
	for (int i = 0; i < j->ntapes; i++)
		if (!tape_known(s, j->barcode[i])) {
			j->failed = i;
			snprintf(s->err, sizeof(s->err),
				 "no tape %s in the library", j->barcode[i]);
			return;
		}
}

static int drives_in_service_locked(const struct sched *s)
{
	int n = 0;

	for (int i = 0; i < s->ndrives; i++)
		n += !s->drives[i].oos;
	return n;
}

static int drive_free(const struct drive *d)
{
	return !d->oos && !d->job;
}

/* Whether any queued job other than skip wants barcode. */
static int tape_wanted(const struct sched *s, const struct sched_job *skip,
		       const char *barcode)
{
	for (const struct sched_job *j = s->queue; j; j = j->next_) {
		if (j == skip)
			continue;
		for (int i = 0; i < j->ntapes; i++)
			if (strcmp(j->barcode[i], barcode) == 0)
				return 1;
	}
	return 0;
}

/* Every tape of j sits in a free drive: it can start without a move. */
static int job_loaded(const struct sched *s, const struct sched_job *j)
{
	for (int i = 0; i < j->ntapes; i++) {
		int found = 0;
		for (int k = 0; k < s->ndrives; k++) {
			const struct drive *d = &s->drives[k];
			if (d->full && drive_free(d) &&
			    strcmp(d->barcode, j->barcode[i]) == 0)
				found = 1;
		}
		if (!found)
			return 0;
	}
	return 1;
}

static int job_cmp(const void *pa, const void *pb)
{
	const struct sched_job *a = *(struct sched_job *const *)pa;
	const struct sched_job *b = *(struct sched_job *const *)pb;

	if (a->prio != b->prio)
		return a->prio > b->prio ? -1 : 1;
	if (a->seq_ != b->seq_)
		return a->seq_ < b->seq_ ? -1 : 1;
	return 0;
}

static void queue_remove(struct sched *s, struct sched_job *j)
{
	for (struct sched_job **p = &s->queue; *p; p = &(*p)->next_)
		if (*p == j) {
			*p = j->next_;
			j->next_ = NULL;
			return;
		}
}

static void queue_append(struct sched *s, struct sched_job *j)
{
	struct sched_job **p = &s->queue;

	while (*p)
		p = &(*p)->next_;
	j->next_ = NULL;
	*p = j;
}

/* Pick drives for j; chosen[i] = drive for tape i. claimed[k] marks drives
 * a waiting gang keeps from lower jobs. Returns 1 when j can start, 0 when
 * it must wait, -errno when it can never run as things are. */
static int job_place(struct sched *s, const struct sched_job *j,
		     const int *claimed, int *chosen)
{
	int used[SCHED_DRIVES_MAX] = { 0 };
	int others = 0;

	for (int k = 0; k < s->ndrives; k++)
		others += !s->drives[k].oos && !((j->avoid_ >> k) & 1);
	others = others >= j->ntapes;
	for (int i = 0; i < j->ntapes; i++) {
		struct drive *d = drive_holding(s, j->barcode[i]);
		chosen[i] = -1;
		for (int k = 0; k < s->ndrives; k++)
			if (s->drives[k].job &&
			    strcmp(s->drives[k].want, j->barcode[i]) == 0)
				return 0; /* on its way into another drive */
		if (!d) {
			if (away_of(s, j->barcode[i]))
				return 0; /* in another host's drive: wait */
			if (!slot_of(s, j->barcode[i]))
				return -ENOENT;
			continue;
		}
		if (d->oos)
			return -EIO; /* stuck in a drive out of service */
		if (d->job || claimed[d->idx])
			return 0; /* in use: wait for it */
		chosen[i] = d->idx;
		used[d->idx] = 1;
	}
	for (int i = 0; i < j->ntapes; i++) {
		int best = -1, best_score = -1;
		if (chosen[i] >= 0)
			continue;
		for (int k = 0; k < s->ndrives; k++) {
			struct drive *d = &s->drives[k];
			int score;
			if (!drive_free(d) || used[k] || claimed[k])
				continue;
			/* A drive that failed this job before is not used
			 * again while others can take it. */
			if ((j->avoid_ >> k) & 1 && others)
				continue;
			if (!d->full)
				score = 3;
			else if (!tape_wanted(s, j, d->barcode))
				score = 2;
			else
				score = 1;
			if (score > best_score) {
				best = k;
				best_score = score;
			}
		}
		if (best < 0)
			return 0;
		chosen[i] = best;
		used[best] = 1;
	}
	return 1;
}

/* A job that can never run as things are, and why. */
struct failed_job {
	struct sched_job *job;
	int err;
};

/* Hand startable jobs to drives. Jobs that can never run are taken off
 * the queue into failed[] (at most max_failed; the caller calls their done
 * after dropping mu) when can_fail, else left queued. Returns how many
 * failed. */
static size_t dispatch(struct sched *s, int can_fail, struct failed_job *failed,
		       size_t max_failed)
{
	struct sched_job **v;
	size_t n = 0, nfailed = 0;
	int claimed[SCHED_DRIVES_MAX] = { 0 };
	int in_service;

	if (s->stopping)
		return 0;
	for (struct sched_job *j = s->queue; j; j = j->next_)
		n++;
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return 0; /* tried again at the next event */
	n = 0;
	for (struct sched_job *j = s->queue; j; j = j->next_)
		v[n++] = j;
	/* Highest priority first; within one, jobs that need no robot move
	 * first (stable by submission otherwise). */
	qsort(v, n, sizeof(*v), job_cmp);
	for (size_t a = 0, b; a < n; a = b) {
		b = a;
		while (b < n && v[b]->prio == v[a]->prio)
			b++;
		size_t w = a;
		for (size_t k = a; k < b; k++)
			if (job_loaded(s, v[k])) {
				struct sched_job *t = v[k];
				memmove(&v[w + 1], &v[w], (k - w) * sizeof(*v));
				v[w++] = t;
			}
	}

	in_service = drives_in_service_locked(s);
	for (size_t k = 0; k < n; k++) {
		struct sched_job *j = v[k];
		int chosen[SCHED_GANG_MAX];
		int r;

		if (job_awaits_inventory(s, j))
			continue; /* neither started nor failed before it */
		if (j->ntapes > in_service)
			r = -ENODEV;
		else
			r = job_place(s, j, claimed, chosen);
		if (r < 0) {
			if (can_fail && nfailed < max_failed) {
				if (r == -ENOENT)
					job_missing(s, j);
				queue_remove(s, j);
				failed[nfailed].job = j;
				failed[nfailed].err = r;
				nfailed++;
			}
			continue;
		}
		if (r == 0) {
			/* A waiting gang keeps the free drives it could use
			 * from lower jobs, so it is not starved. */
			if (j->ntapes > 1) {
				int want = j->ntapes;
				for (int i = 0; i < s->ndrives && want > 0; i++)
					if (drive_free(&s->drives[i]) &&
					    !claimed[i]) {
						claimed[i] = 1;
						want--;
					}
			}
			continue;
		}
		queue_remove(s, j);
		for (int i = 0; i < j->ntapes; i++) {
			struct drive *d = &s->drives[chosen[i]];
			d->job = j;
			snprintf(d->want, sizeof(d->want), "%s", j->barcode[i]);
			d->leader = (i == 0);
			d->running = 0;
			d->fault_now = 0;
			d->bytes_done = d->bytes_total = 0;
			d->have_first = 0;
			d->file = d->block = -1;
			d->state = SCHED_DRIVE_LOADING;
		}
		memcpy(s->drives[chosen[0]].gang, chosen,
		       sizeof(int) * (size_t)j->ntapes);
		pthread_cond_signal(&s->drives[chosen[0]].wake);
	}
	free(v);
	return nfailed;
}

static void fail_jobs(struct failed_job *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f[i].job->done(f[i].job, f[i].err);
}

static void dispatch_and_fail(struct sched *s)
{
	struct failed_job f[16];
	size_t n;

	do {
		pthread_mutex_lock(&s->mu);
		n = dispatch(s, 1, f, 16);
		pthread_mutex_unlock(&s->mu);
		fail_jobs(f, n);
	} while (n == 16);
}

/* ---- the owner's log (sched_config.log) ---------------------------------- */

/* s as a log value: as it is, or in double quotes with '"' and '\'
 * escaped when it is empty or holds a blank, a quote or a backslash. */
static const char *quoted(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (len < 3) {
		buf[0] = 0;
		return buf;
	}
	if (*s && !strpbrk(s, " \t\n\r\"\\")) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	buf[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
	}
	buf[o++] = '"';
	buf[o] = 0;
	return buf;
}

static void say(struct sched *s, enum sched_log_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct sched *s, enum sched_log_kind kind, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!s->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->log(s->log_arg, kind, line);
}

/* A robot move of barcode from one element to another ("slot 3", "drive
 * 0"): done when ret is 0, else failed with the changer's reason. */
static void say_move(struct sched *s, int ret, const char *barcode,
		     const char *from, const char *to)
{
	char qb[80], qf[48], qt[48], qr[600];

	quoted(barcode[0] ? barcode : "?", qb, sizeof(qb));
	quoted(from, qf, sizeof(qf));
	quoted(to, qt, sizeof(qt));
	if (!ret)
		say(s, SCHED_LOG_MOVE, "barcode=%s from=%s to=%s", qb, qf, qt);
	else
		say(s, SCHED_LOG_MOVE_FAILED,
		    "barcode=%s from=%s to=%s reason=%s", qb, qf, qt,
		    quoted(changer_error(s->changer), qr, sizeof(qr)));
}

/* ---- the worker ---------------------------------------------------------- */

static void drive_fault_locked(struct sched *s, struct drive *d,
			       const char *reason)
{
	d->fault_now = 1;
	d->faults++;
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
	if (d->faults >= SCHED_FAULTS_MAX && !d->oos) {
		d->oos = 1;
		snprintf(d->reason, sizeof(d->reason),
			 "%d faults in a row, last: %s", d->faults, reason);
	}
	(void)s;
}

/* A fault of drive d (mu not held): recorded, then told to the log. */
static void drive_fault(struct sched *s, struct drive *d, const char *reason)
{
	char tape[CHANGER_BARCODE_MAX], qt[80], qr[700];
	int was_oos, oos;

	pthread_mutex_lock(&s->mu);
	was_oos = d->oos;
	drive_fault_locked(s, d, reason);
	oos = d->oos;
	snprintf(tape, sizeof(tape), "%s", d->barcode[0] ? d->barcode : "-");
	pthread_mutex_unlock(&s->mu);
	quoted(tape, qt, sizeof(qt));
	say(s, SCHED_LOG_FAULT, "drive=%d tape=%s error=%s", d->id, qt,
	    quoted(reason, qr, sizeof(qr)));
	if (oos && !was_oos)
		say(s, SCHED_LOG_OUT_OF_SERVICE,
		    "drive=%d tape=%s error=%s faults=%d", d->id, qt,
		    quoted(reason, qr, sizeof(qr)), SCHED_FAULTS_MAX);
}

/* Real drives must have ejected a cartridge before the robot can take it
 * (mtx: "Drive needs offline before move"): rewind and unload it first, as
 * `mt offline` does. A drive with no medium has nothing to eject. */
static int drive_eject(struct sched *s, struct drive *d)
{
	struct tape *t = NULL;
	int ret, c;

	ret = tape_open(&t, s->ops, d->dev, TAPE_RDONLY);
	if (ret == -ENOMEDIUM)
		return 0;
	if (ret < 0)
		return ret;
	ret = tape_offline(t);
	c = tape_close(t);
	return ret ? ret : c;
}

/* Unload d's cartridge to its home slot (or any empty slot when the home
 * is not known). Caller holds s->robot. Returns 0 or -errno with the
 * reason in why. */
static int drive_unload(struct sched *s, struct drive *d, char *why,
			size_t whylen)
{
	char have[CHANGER_BARCODE_MAX], from[32], to[32];
	int ret, home;

	pthread_mutex_lock(&s->mu);
	home = d->home;
	snprintf(have, sizeof(have), "%s", d->barcode);
	d->state = SCHED_DRIVE_UNLOADING;
	pthread_mutex_unlock(&s->mu);
	ret = drive_eject(s, d);
	if (ret < 0) {
		snprintf(why, whylen, "eject %s from drive %d: %s", have,
			 d->id, strerror(-ret));
		return ret;
	}
	snprintf(from, sizeof(from), "drive %d", d->id);
	ret = changer_unload(s->changer, d->id, 0);
	if (ret < 0 && home == 0) {
		/* No known source slot: any empty one will do. */
		struct changer_inv inv;
		memset(&inv, 0, sizeof(inv));
		if (changer_inventory(s->changer, &inv) == 0) {
			for (size_t i = 0; i < inv.nelems; i++)
				if (inv.elems[i].type == CHANGER_SLOT &&
				    !inv.elems[i].full) {
					home = inv.elems[i].index;
					break;
				}
			changer_inv_free(&inv);
		}
		if (home)
			ret = changer_unload(s->changer, d->id, home);
	}
	if (home)
		snprintf(to, sizeof(to), "slot %d", home);
	else
		snprintf(to, sizeof(to), "its home slot");
	say_move(s, ret, have, from, to);
	if (ret < 0) {
		snprintf(why, whylen, "unload %s: %s", have,
			 changer_error(s->changer));
		return ret;
	}
	pthread_mutex_lock(&s->mu);
	d->full = 0;
	d->barcode[0] = 0;
	d->unloads++;
	s->moves++;
	if (have[0] && home) {
		slot_remember(s, have, home);
		/* a library without a tag for it will not tell us again */
		named_set(s, home, have);
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* Put barcode into d (robot moves under s->robot). Returns 0 or -errno;
 * *is_fault says whether the drive is to blame. */
static int drive_prepare(struct sched *s, struct drive *d, const char *barcode,
			 int *is_fault)
{
	char why[300], from[32], to[32];
	int ret = 0, slot, full;
	char have[CHANGER_BARCODE_MAX];

	*is_fault = 0;
	pthread_mutex_lock(&s->mu);
	full = d->full;
	snprintf(have, sizeof(have), "%s", d->barcode);
	pthread_mutex_unlock(&s->mu);
	if (full && strcmp(have, barcode) == 0)
		return 0;

	pthread_mutex_lock(&s->robot);
	if (full) {
		ret = drive_unload(s, d, why, sizeof(why));
		if (ret < 0) {
			/* the hosts' robot lock not had: no drive to blame */
			*is_fault = ret != -ENOLCK;
			goto out_refresh;
		}
	}
	pthread_mutex_lock(&s->mu);
	slot = slot_of(s, barcode);
	d->state = SCHED_DRIVE_LOADING;
	pthread_mutex_unlock(&s->mu);
	if (!slot) {
		snprintf(why, sizeof(why), "tape %s is in no slot", barcode);
		ret = -ENOENT;
		goto out_refresh;
	}
	ret = changer_load(s->changer, slot, d->id);
	snprintf(from, sizeof(from), "slot %d", slot);
	snprintf(to, sizeof(to), "drive %d", d->id);
	say_move(s, ret, barcode, from, to);
	if (ret < 0) {
		snprintf(why, sizeof(why), "load %s from slot %d: %s", barcode,
			 slot, changer_error(s->changer));
		/* An empty source slot is our stale view, not the drive;
		 * the hosts' robot lock not had is not the drive either. */
		*is_fault = ret != -ENOMEDIUM && ret != -ENOLCK;
		goto out_refresh;
	}
	pthread_mutex_lock(&s->mu);
	d->full = 1;
	snprintf(d->barcode, sizeof(d->barcode), "%s", barcode);
	d->home = slot;
	d->loads++;
	s->moves++;
	slot_forget(s, barcode);
	named_set(s, slot, NULL);
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_unlock(&s->robot);
	return 0;

out_refresh:
	inventory_refresh(s);
	pthread_mutex_unlock(&s->robot);
	if (*is_fault) {
		drive_fault(s, d, why);
		return ret;
	}
	pthread_mutex_lock(&s->mu);
	snprintf(s->err, sizeof(s->err), "%s", why);
	pthread_mutex_unlock(&s->mu);
	return ret;
}

/* After a fault, give the cartridge back to its slot so that a retry can
 * use it in another drive (best effort: a drive that cannot even unload
 * keeps it, and jobs for that tape then fail). */
static void drive_release_faulty(struct sched *s, struct drive *d)
{
	char why[300];
	int full;

	pthread_mutex_lock(&s->mu);
	full = d->full && d->fault_now;
	pthread_mutex_unlock(&s->mu);
	if (!full)
		return;
	pthread_mutex_lock(&s->robot);
	if (drive_unload(s, d, why, sizeof(why)) < 0) {
		inventory_refresh(s);
		pthread_mutex_lock(&s->mu);
		snprintf(s->err, sizeof(s->err), "%s", why);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&s->robot);
}

/* Add what the job's handles read and wrote to their drives' totals
 * (idx: the drives' positions, as r->drive has their numbers). */
static void drive_count_bytes(struct sched *s, const struct sched_run *r,
			      const int *idx)
{
	struct tape_counters c;

	for (int i = 0; i < r->n; i++) {
		struct drive *d = &s->drives[idx[i]];

		if (!r->tape[i] || tape_counters(r->tape[i], &c) < 0)
			continue;
		pthread_mutex_lock(&s->mu);
		d->bytes_written += c.bytes_written;
		d->bytes_read += c.bytes_read;
		pthread_mutex_unlock(&s->mu);
	}
}

static void drive_run_job(struct sched *s, struct drive *lead)
{
	struct sched_job *job;
	struct sched_run r;
	int idx[SCHED_GANG_MAX]; /* positions in s->drives of r.drive[] */
	int ret = 0, prep_failed = 0, fault = 0, failed = -1;

	memset(&r, 0, sizeof(r));
	pthread_mutex_lock(&s->mu);
	job = lead->job;
	r.s = s;
	r.n = job->ntapes;
	memcpy(idx, lead->gang, sizeof(int) * (size_t)r.n);
	for (int i = 0; i < r.n; i++)
		r.drive[i] = s->drives[idx[i]].id;
	if (s->stopping)
		ret = -ECANCELED;
	pthread_mutex_unlock(&s->mu);

	for (int i = 0; i < r.n && !ret; i++) {
		struct drive *d = &s->drives[idx[i]];
		ret = drive_prepare(s, d, job->barcode[i], &fault);
		if (ret < 0) {
			prep_failed = 1;
			failed = i;
		}
	}
	for (int i = 0; i < r.n && !ret; i++) {
		struct drive *d = &s->drives[idx[i]];
		ret = tape_open(&r.tape[i], s->ops, d->dev,
				sched_tape_mode(job, i));
		if (ret < 0) {
			char why[300];
			prep_failed = 1;
			failed = i;
			snprintf(why, sizeof(why), "open %s (%s): %s", d->dev,
				 job->barcode[i], strerror(-ret));
			/* A protected tape is the tape's doing, not the
			 * drive's. */
			if (ret != -EROFS) {
				drive_fault(s, d, why);
				continue;
			}
			pthread_mutex_lock(&s->mu);
			snprintf(s->err, sizeof(s->err), "%s", why);
			pthread_mutex_unlock(&s->mu);
		}
	}
	if (!ret) {
		pthread_mutex_lock(&s->mu);
		for (int i = 0; i < r.n; i++) {
			struct drive *d = &s->drives[idx[i]];
			d->state = sched_tape_mode(job, i) == TAPE_RDWR
				       ? SCHED_DRIVE_WRITING
				       : SCHED_DRIVE_READING;
		}
		pthread_mutex_unlock(&s->mu);
		ret = job->run(job, &r);
	}
	drive_count_bytes(s, &r, idx);
	for (int i = 0; i < r.n; i++)
		if (r.tape[i]) {
			int c = tape_close(r.tape[i]);
			if (c < 0 && ret == 0)
				ret = c;
		}
	for (int i = 0; i < r.n; i++)
		drive_release_faulty(s, &s->drives[idx[i]]);

	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < r.n; i++) {
		struct drive *d = &s->drives[idx[i]];
		if (!d->fault_now)
			d->faults = 0;
		else
			job->avoid_ |= 1ull << d->idx;
		d->job = NULL;
		d->leader = d->running = 0;
		d->state = d->oos ? SCHED_DRIVE_OUT_OF_SERVICE : SCHED_DRIVE_IDLE;
		d->jobs_done++;
	}
	job->failed = failed;
	if (prep_failed && !s->stopping && ++job->tries_ < SCHED_TRIES_MAX &&
	    ret != -ENOENT && ret != -EROFS) {
		queue_append(s, job);
		job = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	if (job)
		job->done(job, s->stopping && prep_failed ? -ECANCELED : ret);
	dispatch_and_fail(s);
}

struct worker_arg {
	struct sched *s;
	struct drive *d;
};

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct sched *s = wa->s;
	struct drive *d = wa->d;

	free(wa);
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (d->job && d->leader && !d->running) {
			d->running = 1;
			pthread_mutex_unlock(&s->mu);
			drive_run_job(s, d);
			pthread_mutex_lock(&s->mu);
			continue;
		}
		if (s->stopping)
			break;
		pthread_cond_wait(&d->wake, &s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- the inventory worker ------------------------------------------------ */

/* Runs the inventories that submissions of unknown tapes ask for, so that
 * sched_submit() never waits for the robot; after each, dispatches: the
 * jobs that waited for it start, or fail with -ENOENT. */
static void *inv_main(void *arg)
{
	struct sched *s = arg;
	uint64_t gen;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		if (s->inv_done >= s->inv_want && away_waited(s)) {
			/* a tape in another host's drive: look again */
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (!s->away_next.tv_sec) {
				s->away_next = now;
				s->away_next.tv_sec += SCHED_AWAY_POLL_S;
			}
			if (now.tv_sec > s->away_next.tv_sec ||
			    (now.tv_sec == s->away_next.tv_sec &&
			     now.tv_nsec >= s->away_next.tv_nsec)) {
				s->away_next.tv_sec = 0;
				s->inv_want = s->inv_done + 1;
				continue;
			}
			pthread_cond_timedwait(&s->inv_wake, &s->mu,
					       &s->away_next);
			continue;
		}
		if (s->inv_done >= s->inv_want) {
			pthread_cond_wait(&s->inv_wake, &s->mu);
			continue;
		}
		gen = s->inv_run = s->inv_want;
		pthread_mutex_unlock(&s->mu);
		pthread_mutex_lock(&s->robot);
		inventory_refresh(s);
		pthread_mutex_unlock(&s->robot);
		pthread_mutex_lock(&s->mu);
		s->inv_run = 0;
		s->inv_done = gen;
		pthread_mutex_unlock(&s->mu);
		dispatch_and_fail(s);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- API ------------------------------------------------------------------ */

int sched_start(struct sched **out, const struct sched_config *cfg)
{
	struct sched *s;
	int ret = -ENOMEM;

	if (!cfg || !cfg->changer || !cfg->tape_ops || cfg->ndrives < 1 ||
	    cfg->ndrives > SCHED_DRIVES_MAX)
		return -EINVAL;
	for (int i = 0; cfg->drive_id && i < cfg->ndrives; i++) {
		if (cfg->drive_id[i] < 0)
			return -EINVAL;
		for (int k = 0; k < i; k++)
			if (cfg->drive_id[i] == cfg->drive_id[k])
				return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->robot, NULL);
	{
		pthread_condattr_t ca; /* inv_wake's timed waits: monotonic */

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->inv_wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	s->changer = cfg->changer;
	s->ops = cfg->tape_ops;
	s->ndrives = cfg->ndrives;
	s->log = cfg->log;
	s->log_arg = cfg->log_arg;
	s->drives = calloc((size_t)s->ndrives, sizeof(*s->drives));
	if (!s->drives)
		goto out_free;
	for (int i = 0; i < s->ndrives; i++) {
		struct drive *d = &s->drives[i];
		d->idx = i;
		d->id = cfg->drive_id ? cfg->drive_id[i] : i;
		d->file = d->block = -1;
		pthread_cond_init(&d->wake, NULL);
		if (cfg->drive_dev[i])
			snprintf(d->dev, sizeof(d->dev), "%s", cfg->drive_dev[i]);
		else if ((ret = changer_drive_device(s->changer, d->id, d->dev,
						     sizeof(d->dev))) < 0)
			goto out_free;
	}
	pthread_mutex_lock(&s->robot);
	ret = inventory_refresh(s);
	pthread_mutex_unlock(&s->robot);
	if (ret < 0)
		goto out_free;
	for (int i = 0; i < s->ndrives; i++)
		if (s->drives[i].full && !s->drives[i].barcode[0])
			drive_learn_label(s, &s->drives[i]);
	for (int i = 0; i < s->ndrives; i++) {
		struct worker_arg *wa = malloc(sizeof(*wa));
		if (!wa) {
			ret = -ENOMEM;
			goto out_stop;
		}
		wa->s = s;
		wa->d = &s->drives[i];
		ret = -pthread_create(&s->drives[i].th, NULL, worker_main, wa);
		if (ret < 0) {
			free(wa);
			goto out_stop;
		}
		s->drives[i].th_started = 1;
	}
	ret = -pthread_create(&s->inv_th, NULL, inv_main, s);
	if (ret < 0)
		goto out_stop;
	s->inv_th_started = 1;
	*out = s;
	return 0;

out_stop:
	sched_stop(s);
	return ret;
out_free:
	if (s->drives)
		for (int i = 0; i < s->ndrives; i++)
			pthread_cond_destroy(&s->drives[i].wake);
	free(s->drives);
	free(s->slots);
	free(s->away);
	free(s->named);
	free(s->slot_seen);
	pthread_cond_destroy(&s->inv_wake);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->robot);
	free(s);
	return ret;
}

void sched_stop(struct sched *s)
{
	struct sched_job *q;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	q = s->queue;
	s->queue = NULL;
	for (int i = 0; i < s->ndrives; i++)
		pthread_cond_broadcast(&s->drives[i].wake);
	pthread_cond_broadcast(&s->inv_wake);
	pthread_mutex_unlock(&s->mu);
	while (q) {
		struct sched_job *next = q->next_;
		q->next_ = NULL;
		q->done(q, -ECANCELED);
		q = next;
	}
	for (int i = 0; i < s->ndrives; i++)
		if (s->drives[i].th_started)
			pthread_join(s->drives[i].th, NULL);
	if (s->inv_th_started)
		pthread_join(s->inv_th, NULL);
	/* A job a worker requeued while we joined is failed here. */
	q = s->queue;
	s->queue = NULL;
	while (q) {
		struct sched_job *next = q->next_;
		q->done(q, -ECANCELED);
		q = next;
	}
	for (int i = 0; i < s->ndrives; i++)
		pthread_cond_destroy(&s->drives[i].wake);
	free(s->drives);
	free(s->slots);
	free(s->away);
	free(s->named);
	free(s->slot_seen);
	free(s->resv);
	pthread_cond_destroy(&s->inv_wake);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->robot);
	free(s);
}

static int job_valid(const struct sched_job *j)
{
	if (!j->run || !j->done || j->ntapes < 1 || j->ntapes > SCHED_GANG_MAX)
		return 0;
	if (j->mode != TAPE_RDONLY && j->mode != TAPE_RDWR &&
	    (j->mode != SCHED_MODE_COPY || j->ntapes < 2))
		return 0;
	for (int i = 0; i < j->ntapes; i++) {
		if (!j->barcode[i][0] ||
		    !memchr(j->barcode[i], 0, sizeof(j->barcode[i])))
			return 0;
		for (int k = 0; k < i; k++)
			if (strcmp(j->barcode[i], j->barcode[k]) == 0)
				return 0;
	}
	return 1;
}

int sched_submit(struct sched *s, struct sched_job *job)
{
	struct failed_job f[1];
	int ret = 0;

	if (!s || !job || !job_valid(job))
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		ret = -ECANCELED;
		goto out_unlock;
	}
	if (job->ntapes > drives_in_service_locked(s)) {
		snprintf(s->err, sizeof(s->err),
			 "%d tapes at once need %d drives, %d in service",
			 job->ntapes, job->ntapes,
			 drives_in_service_locked(s));
		ret = -ENODEV;
		goto out_unlock;
	}
	job->next_ = NULL;
	job->seq_ = ++s->seq;
	job->tries_ = 0;
	job->avoid_ = 0;
	job->failed = -1;
	job->inv_need_ = 0;
	if (!job_known(s, job)) {
		/* A cartridge put in since the last inventory? The inventory
		 * worker looks (the next inventory to start); the job waits
		 * for it on the queue. */
		job->inv_need_ = (s->inv_run ? s->inv_run : s->inv_done) + 1;
		if (s->inv_want < job->inv_need_)
			s->inv_want = job->inv_need_;
		pthread_cond_signal(&s->inv_wake);
	}
	queue_append(s, job);
	if (job_awaits_away(s, job))
		pthread_cond_signal(&s->inv_wake); /* plans its next look */
	/* Failures are left to the workers so that done never runs in this
	 * thread. */
	dispatch(s, 0, f, 0);
out_unlock:
	pthread_mutex_unlock(&s->mu);
	return ret;
}

/* ---- submit and wait ----------------------------------------------------- */

/* What sched_run_wait() waits on: the job's end. */
struct run_waiter {
	pthread_mutex_t mu; /* guards finished and result; a leaf */
	pthread_cond_t cv;  /* with mu: finished turned 1 */
	int finished;
	int result;
};

static void run_wait_done(struct sched_job *job, int result)
{
	struct run_waiter *w = job->wait_;

	pthread_mutex_lock(&w->mu);
	w->result = result;
	w->finished = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Wait on w up to ms milliseconds. Caller holds w->mu. */
static void run_wait_for(struct run_waiter *w, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&w->cv, &w->mu, &ts);
}

int sched_run_wait(struct sched *s, struct sched_job *job, unsigned poll_ms,
		   sched_tick_fn tick, void *arg, int *result)
{
	struct run_waiter w = {.finished = 0};
	pthread_condattr_t ca;
	int ret;

	if (!s || !job || !result || (tick && !poll_ms))
		return -EINVAL;
	pthread_mutex_init(&w.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cv, &ca);
	pthread_condattr_destroy(&ca);
	job->done = run_wait_done;
	job->wait_ = &w;
	ret = sched_submit(s, job);
	if (ret < 0)
		goto out_destroy;
	pthread_mutex_lock(&w.mu);
	while (!w.finished) {
		if (!tick) {
			pthread_cond_wait(&w.cv, &w.mu);
			continue;
		}
		run_wait_for(&w, poll_ms);
		if (w.finished)
			break;
		pthread_mutex_unlock(&w.mu);
		/* Giving up takes a queued job off (done then runs here);
		 * a running one is the tick's to stop. */
		if (tick(arg))
			sched_cancel(s, job);
		pthread_mutex_lock(&w.mu);
	}
	*result = w.result;
	pthread_mutex_unlock(&w.mu);
out_destroy:
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return ret;
}

int sched_cancel(struct sched *s, struct sched_job *job)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&s->mu);
	for (struct sched_job *j = s->queue; j; j = j->next_)
		if (j == job) {
			queue_remove(s, job);
			ret = 0;
			break;
		}
	if (ret < 0)
		for (int i = 0; i < s->ndrives; i++)
			if (s->drives[i].job == job)
				ret = -EBUSY;
	pthread_mutex_unlock(&s->mu);
	if (ret == 0) {
		job->done(job, -ECANCELED);
		dispatch_and_fail(s);
	}
	return ret;
}

int sched_set_prio(struct sched *s, struct sched_job *job,
		   enum sched_prio prio)
{
	struct failed_job f[1];
	int ret = -ENOENT;

	pthread_mutex_lock(&s->mu);
	for (struct sched_job *j = s->queue; j; j = j->next_)
		if (j == job) {
			job->prio = prio;
			ret = 0;
			break;
		}
	if (ret < 0)
		for (int i = 0; i < s->ndrives; i++)
			if (s->drives[i].job == job)
				ret = -EBUSY;
	if (!ret) /* a drive may take it now; failures are left to workers */
		dispatch(s, 0, f, 0);
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int sched_stopping(struct sched *s)
{
	int v;

	pthread_mutex_lock(&s->mu);
	v = s->stopping;
	pthread_mutex_unlock(&s->mu);
	return v;
}

int sched_should_yield(struct sched *s, int drive)
{
	int ret = 0;

	struct drive *d = drive_by_id(s, drive);

	if (!d)
		return 0;
	pthread_mutex_lock(&s->mu);
	if (d->job) {
		enum sched_prio p = d->job->prio;
		for (struct sched_job *j = s->queue; j; j = j->next_)
			if (j->prio > p) {
				ret = 1;
				break;
			}
	}
	pthread_mutex_unlock(&s->mu);
	return ret;
}

void sched_drive_fault(struct sched *s, int drive, const char *reason)
{
	struct drive *d = drive_by_id(s, drive);

	if (!d)
		return;
	drive_fault(s, d, reason ? reason : "fault");
}

void sched_drive_report(struct sched *s, int drive, enum sched_state state,
			long file, long block, uint64_t bytes_done,
			uint64_t bytes_total)
{
	struct drive *d = drive_by_id(s, drive);

	if (!d)
		return;
	pthread_mutex_lock(&s->mu);
	if (!d->oos)
		d->state = state;
	d->file = file;
	d->block = block;
	if (!d->have_first || bytes_done < d->bytes_first) {
		clock_gettime(CLOCK_MONOTONIC, &d->t_first);
		d->bytes_first = bytes_done;
		d->have_first = 1;
	}
	d->bytes_done = bytes_done;
	d->bytes_total = bytes_total;
	pthread_mutex_unlock(&s->mu);
}

int sched_ndrives(const struct sched *s)
{
	return s->ndrives;
}

int sched_drive_id(const struct sched *s, int i)
{
	return i >= 0 && i < s->ndrives ? s->drives[i].id : -1;
}

int sched_drives_in_service(struct sched *s)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = drives_in_service_locked(s);
	pthread_mutex_unlock(&s->mu);
	return n;
}

int sched_drive_status(struct sched *s, int drive,
		       struct sched_drive_status *out)
{
	struct drive *d = drive_by_id(s, drive);
	struct timespec now;
	double el;

	if (!d)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&s->mu);
	out->drive = drive;
	out->state = d->oos ? SCHED_DRIVE_OUT_OF_SERVICE : d->state;
	snprintf(out->barcode, sizeof(out->barcode), "%s",
		 d->full ? (d->barcode[0] ? d->barcode : "?") : "");
	snprintf(out->dev, sizeof(out->dev), "%s", d->dev);
	out->file = d->job ? d->file : -1;
	out->block = d->job ? d->block : -1;
	snprintf(out->job, sizeof(out->job), "%s", d->job ? d->job->desc : "");
	out->percent = -1;
	out->eta_s = -1;
	if (d->job) {
		out->bytes_done = d->bytes_done;
		if (d->bytes_total) {
			uint64_t p = d->bytes_done * 100 / d->bytes_total;
			out->percent = p > 100 ? 100 : (int)p;
		}
		el = d->have_first ? ts_diff(&now, &d->t_first) : 0;
		if (el > 0.2 && d->bytes_done > d->bytes_first)
			out->mbps = (double)(d->bytes_done - d->bytes_first) /
				    el / 1e6;
		if (out->mbps > 0 && d->bytes_total >= d->bytes_done)
			out->eta_s = (long)((double)(d->bytes_total -
						     d->bytes_done) /
					    (out->mbps * 1e6));
	}
	out->faults = d->faults;
	snprintf(out->reason, sizeof(out->reason), "%s", d->reason);
	out->jobs_done = d->jobs_done;
	out->loads = d->loads;
	out->unloads = d->unloads;
	out->bytes_written = d->bytes_written;
	out->bytes_read = d->bytes_read;
	out->home = d->full ? d->home : 0;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int sched_drive_line(struct sched *s, int drive, char *buf, size_t len)
{
	struct sched_drive_status st;
	size_t n = 0;
	int ret;

	ret = sched_drive_status(s, drive, &st);
	if (ret < 0)
		return ret;
#define ADD(...)                                                               \
	do {                                                                   \
		if (n < len)                                                   \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);  \
	} while (0)
	if (len)
		buf[0] = 0;
	if (st.state == SCHED_DRIVE_OUT_OF_SERVICE) {
		ADD("out of service: %s", st.reason);
		return 0;
	}
	ADD("%s %s", sched_state_name(st.state),
	    st.barcode[0] ? st.barcode : "empty");
	if (st.file >= 0)
		ADD(" file %ld", st.file);
	if (st.block >= 0)
		ADD(" block %ld", st.block);
	if (st.percent >= 0)
		ADD(" %d%%", st.percent);
	if (st.mbps > 0)
		ADD(" %.1f MB/s", st.mbps);
	if (st.eta_s >= 0)
		ADD(" eta %ld:%02ld:%02ld", st.eta_s / 3600,
		    (st.eta_s / 60) % 60, st.eta_s % 60);
	if (st.job[0])
		ADD(" (%s)", st.job);
#undef ADD
	return 0;
}

int sched_queued(struct sched *s)
{
	int n = 0;

	pthread_mutex_lock(&s->mu);
	for (struct sched_job *j = s->queue; j; j = j->next_)
		n++;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void sched_error(struct sched *s, char *buf, size_t len)
{
	pthread_mutex_lock(&s->mu);
	snprintf(buf, len, "%s", s->err);
	pthread_mutex_unlock(&s->mu);
}

uint64_t sched_robot_moves(struct sched *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = s->moves;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* 1 when a job queued or on a drive needs barcode. Caller holds mu. */
static int tape_in_use(struct sched *s, const char *barcode)
{
	if (tape_wanted(s, NULL, barcode))
		return 1;
	for (int i = 0; i < s->ndrives; i++) {
		struct drive *d = &s->drives[i];
		if (d->job && (!strcmp(d->want, barcode) ||
			       (d->full && !strcmp(d->barcode, barcode))))
			return 1;
	}
	return 0;
}

int sched_tape_export(struct sched *s, const char *barcode, int *ie_slot)
{
	struct changer_inv inv;
	struct drive *d;
	char from[32] = "", to[32];
	int ret, ie = 0, slot;

	memset(&inv, 0, sizeof(inv));
	pthread_mutex_lock(&s->robot);
	ret = changer_inventory(s->changer, &inv);
	if (ret < 0)
		goto out_unlock;
	for (size_t i = 0; i < inv.nelems && !ie; i++)
		if (inv.elems[i].type == CHANGER_IE && !inv.elems[i].full)
			ie = inv.elems[i].index;
	changer_inv_free(&inv);
	pthread_mutex_lock(&s->mu);
	d = drive_holding(s, barcode);
	slot = slot_of(s, barcode);
	ret = tape_in_use(s, barcode) ? -EBUSY : 0;
	if (!ret && !ie)
		ret = -ENOSPC;
	if (!ret && !d && !slot)
		ret = -ENOENT;
	if (!ret && d)
		d->state = SCHED_DRIVE_UNLOADING;
	pthread_mutex_unlock(&s->mu);
	if (ret < 0)
		goto out_unlock;
	snprintf(to, sizeof(to), "slot %d", ie);
	if (d) {
		ret = drive_eject(s, d);
		if (ret == 0) {
			ret = changer_unload(s->changer, d->id, ie);
			snprintf(from, sizeof(from), "drive %d", d->id);
			say_move(s, ret, barcode, from, to);
		}
	} else if (slot != ie) {
		ret = changer_transfer(s->changer, slot, ie);
		snprintf(from, sizeof(from), "slot %d", slot);
		say_move(s, ret, barcode, from, to);
	}
	pthread_mutex_lock(&s->mu);
	if (d)
		d->state = SCHED_DRIVE_IDLE;
	if (ret == 0) {
		s->moves += d != NULL;
		if (d)
			d->full = 0; /* before the refresh: its name is gone */
		named_set(s, ie, barcode);
	}
	pthread_mutex_unlock(&s->mu);
	inventory_refresh(s);
	if (ret == 0)
		*ie_slot = ie;
out_unlock:
	pthread_mutex_unlock(&s->robot);
	return ret;
}

int sched_slot_name(struct sched *s, int slot, const char *barcode)
{
	int ret = 0;

	if (slot < 1 || (barcode && (!barcode[0] ||
				     strlen(barcode) >= CHANGER_BARCODE_MAX)))
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	if (barcode) {
		ret = named_set(s, slot, barcode);
		if (!ret)
			ret = slot_remember(s, barcode, slot);
	} else {
		const char *was = named_of(s, slot);
		if (was && slot_of(s, was) == slot)
			slot_forget(s, was);
		named_set(s, slot, NULL);
	}
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int sched_slot_state(struct sched *s, int slot)
{
	int ret;

	pthread_mutex_lock(&s->mu);
	if (slot < 1 || slot > s->nslot_seen || !s->slot_seen)
		ret = -EINVAL;
	else if (!s->slot_seen[slot])
		ret = -ENOMEDIUM;
	else
		ret = s->slot_seen[slot] == 1;
	pthread_mutex_unlock(&s->mu);
	return ret;
}

/* Is a drive's cartridge from slot? Caller holds mu. */
static int slot_in_drive(const struct sched *s, int slot)
{
	for (int i = 0; i < s->ndrives; i++)
		if (s->drives[i].full && s->drives[i].home == slot)
			return 1;
	return 0;
}

int sched_slot_info(struct sched *s, int slot, struct sched_slot_info *out)
{
	const char *name = NULL;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->mu);
	if (slot < 1 || slot > s->nslot_seen || !s->slot_seen) {
		ret = -EINVAL;
		goto out_unlock;
	}
	out->ie = slot > s->nslot_seen - s->nie_seen;
	for (size_t i = 0; i < s->nslot && !name; i++)
		if (s->slots[i].slot == slot)
			name = s->slots[i].barcode;
	if (name) { /* there at the inventory, or put back since */
		out->full = 1;
		out->tagged = s->slot_seen[slot] != 2;
	} else if (!slot_in_drive(s, slot) && s->slot_seen[slot]) {
		out->full = 1;
		out->tagged = s->slot_seen[slot] == 1;
		name = named_of(s, slot);
	}
	snprintf(out->barcode, sizeof(out->barcode), "%s", name ? name : "");
out_unlock:
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int sched_nslots(struct sched *s)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = s->nslot_seen;
	pthread_mutex_unlock(&s->mu);
	return n;
}

int sched_tape_return(struct sched *s, const char *barcode)
{
	char why[300];
	struct drive *d;
	int ret = 0;

	pthread_mutex_lock(&s->robot);
	pthread_mutex_lock(&s->mu);
	d = drive_holding(s, barcode);
	if (d && (d->job || tape_in_use(s, barcode)))
		ret = -EBUSY;
	pthread_mutex_unlock(&s->mu);
	if (d && !ret) {
		ret = drive_unload(s, d, why, sizeof(why));
		pthread_mutex_lock(&s->mu);
		d->state = SCHED_DRIVE_IDLE;
		if (ret < 0)
			snprintf(s->err, sizeof(s->err), "%s", why);
		pthread_mutex_unlock(&s->mu);
		if (ret < 0)
			inventory_refresh(s);
	}
	pthread_mutex_unlock(&s->robot);
	return ret;
}

/* ---- reservations (under mu) ------------------------------------------- */

static struct sched_resv *resv_find(struct sched *s, const char *barcode)
{
	for (size_t i = 0; i < s->nresv; i++)
		if (!strcmp(s->resv[i].barcode, barcode))
			return &s->resv[i];
	return NULL;
}

/* Reserve barcode (caller holds mu); excl: only when nothing holds it. */
static int resv_take(struct sched *s, const char *barcode, int excl)
{
	struct sched_resv *r = resv_find(s, barcode);

	if (r && (excl || r->excl))
		return -EBUSY;
	if (!r) {
		r = realloc(s->resv, (s->nresv + 1) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->resv = r;
		r = &s->resv[s->nresv++];
		snprintf(r->barcode, sizeof(r->barcode), "%s", barcode);
		r->count = 0;
		r->excl = excl;
	}
	r->count++;
	return 0;
}

static int resv_lock_take(struct sched *s, const char *barcode, int excl)
{
	int ret;

	if (!barcode || !barcode[0] || strlen(barcode) >= CHANGER_BARCODE_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	ret = resv_take(s, barcode, excl);
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int sched_tape_reserve(struct sched *s, const char *barcode)
{
	return resv_lock_take(s, barcode, 0);
}

int sched_tape_reserve_excl(struct sched *s, const char *barcode)
{
	return resv_lock_take(s, barcode, 1);
}

void sched_tape_release(struct sched *s, const char *barcode)
{
	struct sched_resv *r;

	if (!barcode)
		return;
	pthread_mutex_lock(&s->mu);
	r = resv_find(s, barcode);
	if (r && --r->count <= 0)
		*r = s->resv[--s->nresv];
	pthread_mutex_unlock(&s->mu);
}

int sched_tape_away(struct sched *s, const char *barcode)
{
	int r;

	if (!barcode)
		return 0;
	pthread_mutex_lock(&s->mu);
	r = away_of(s, barcode) && !drive_holding(s, barcode);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sched_tape_reserved(struct sched *s, const char *barcode)
{
	int r;

	if (!barcode)
		return 0;
	pthread_mutex_lock(&s->mu);
	r = resv_find(s, barcode) != NULL;
	pthread_mutex_unlock(&s->mu);
	return r;
}
