/* tapeio/vtape_model.c - the speed model of an open vtape (vtape.h:
 * struct vtape_model). Every operation charges the modelled seconds it
 * takes; the drive is then busy that long times time_scale, and the
 * operation sleeps until the drive is done (or, for a write, until its
 * record fits in the drive's buffer). The host I/O runs while the drive is
 * busy: modelled transfer time overlaps it, as a drive's buffer does.
 */
#include <errno.h>
#include <time.h>

#include "tapeio/vtape_int.h"

/* A caller that keeps the drive waiting longer than this lets it idle. */
#define VT_IDLE_GAP 0.02 /* seconds */

/* A write returns once its record is in the drive's buffer
 * (VT_MODEL_BUFFER bytes): the drive streams it while the writer prepares
 * the next one. Filemarks, positioning and close wait for all of it. */
#define VT_MODEL_BUFFER (64.0 * 1024 * 1024)

double vt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void vt_clock_start(struct vt_clock *c, const struct vtape_model *m)
{
	c->m = *m;
	c->free_at = 0;
	c->charged = 0;
}

double vt_clock_xfer(const struct vt_clock *c, uint64_t bytes)
{
	if (c->m.rate_mbps <= 0)
		return 0;
	return (double)bytes / (c->m.rate_mbps * 1e6);
}

double vt_clock_locate(const struct vt_clock *c, uint64_t bytes)
{
	return c->m.locate_base_s + (double)bytes / 1e9 * c->m.locate_s_per_gb;
}

void vt_clock_charge(struct vt_clock *c, double s)
{
	double now;

	if (s <= 0)
		return;
	c->charged += s;
	if (c->m.time_scale <= 0)
		return;
	now = vt_now();
	/* A sleep that overran is made up by the next ones; only a real gap
	 * (the caller kept the drive waiting) lets the drive idle. */
	if (c->free_at < now - VT_IDLE_GAP)
		c->free_at = now;
	c->free_at += s * c->m.time_scale;
}

/* Sleep until the drive is done but for slack seconds. */
static void vt_sleep_until(const struct vt_clock *c, double slack)
{
	double left;
	struct timespec ts;

	if (c->m.time_scale <= 0)
		return;
	left = c->free_at - slack - vt_now();
	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

void vt_clock_wait(struct vt_clock *c)
{
	vt_sleep_until(c, 0);
}

void vt_clock_wait_buffered(struct vt_clock *c)
{
	if (c->m.rate_mbps <= 0) {
		vt_clock_wait(c);
		return;
	}
	vt_sleep_until(c, VT_MODEL_BUFFER / (c->m.rate_mbps * 1e6) *
			      c->m.time_scale);
}
