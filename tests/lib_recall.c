/* tests/lib_recall.c - the recall engine of a C test (lib_recall.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/recall.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"
#include "tests/lib_recall.h"

int fx_recall_init(struct fx_recall *r, struct tapefs *fs, int drives,
		   int trace)
{
	char top[1024];

	memset(r, 0, sizeof(*r));
	r->fs = fs;
	r->drives = drives;
	if (!getcwd(top, sizeof(top)))
		return -errno;
	snprintf(r->lib, sizeof(r->lib), "%s/lib", top);
	snprintf(r->cache, sizeof(r->cache), "%s/cache", top);
	if (trace) {
		snprintf(r->trace, sizeof(r->trace), "%s/trace", top);
		setenv("TAPEFS_VTAPE_TRACE", r->trace, 1);
	}
	fs->cfg.cache = r->cache;
	pthread_mutex_init(&fs->errors.lock, NULL);
	fs->cat = fx_catalog("catalog.db");
	return fs->cat ? 0 : -EIO;
}

int fx_recall_start(struct fx_recall *r)
{
	struct tapefs *fs = r->fs;

	if (!fs->changer && !(fs->changer = fx_changer(r->lib)))
		return -EIO;
	if (!fs->sched && !(fs->sched = fx_sched(fs->changer, r->drives)))
		return -EIO;
	return recall_start(fs);
}

int fx_recall_up(struct fx_recall *r, struct tapefs *fs, int drives, int trace,
		 int (*setup)(void))
{
	int ret = fx_recall_init(r, fs, drives, trace);

	if (ret)
		return ret;
	ret = setup();
	CHECK_INT(ret, 0);
	if (!ret)
		ret = fx_recall_start(r);
	CHECK_INT(ret, 0);
	return ret;
}

void fx_recall_fini(struct fx_recall *r)
{
	struct tapefs *fs = r->fs;

	recall_stop(fs);
	if (fs->sched)
		sched_stop(fs->sched);
	if (fs->changer)
		changer_close(fs->changer);
	if (fs->cat)
		catalog_close(fs->cat);
	fs->sched = NULL;
	fs->changer = NULL;
	fs->cat = NULL;
}

void fx_recall_image(const struct fx_recall *r, const char *barcode, char *buf,
		     size_t len)
{
	snprintf(buf, len, "%s/tapes/%s.vtape", r->lib, barcode);
}

int fx_recall_tape(const struct fx_recall *r, const char *barcode,
		   const char *pool, uint64_t capacity, struct tape **t)
{
	struct catalog_tape ct =
	    fx_tape(barcode, pool, CATALOG_TAPE_SCRATCH, capacity);
	char img[1200];
	int ret;

	*t = NULL;
	fx_recall_image(r, barcode, img, sizeof(img));
	ret = tape_open(t, tape_backend("vtape"), img, TAPE_RDWR);
	if (!ret)
		ret = tape_goto_file(*t, 1);
	if (!ret)
		ret = catalog_tape_add(r->fs->cat, &ct);
	CHECK_INT(ret, 0);
	return ret;
}

int fx_trace_reads(const struct fx_recall *r, const char *barcode,
		   uint64_t *low)
{
	FILE *fp = fopen(r->trace, "r");
	char line[512], b[64];
	unsigned long long x, len;
	int n = 0;

	*low = UINT64_MAX;
	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "%63s read %llu %llu", b, &x, &len) == 3 &&
		    !strcmp(b, barcode)) {
			n++;
			if (x < *low)
				*low = x;
		}
	if (fp)
		fclose(fp);
	return n;
}

void fx_recall_member(struct catalog_member *cm, const struct tar_member *tm)
{
	memset(cm, 0, sizeof(*cm));
	cm->path = tm->name;
	cm->type = CATALOG_FILE;
	cm->size = tm->size;
	cm->mode = S_IFREG | 0644;
	cm->mtime = tm->mtime.tv_sec;
	memcpy(cm->md5, tm->md5, 33);
	cm->header_offset = tm->header_offset;
	cm->data_offset = tm->data_offset;
}

static int holder_run(struct sched_job *job, const struct sched_run *r)
{
	struct fx_holder *h = job->arg;

	(void)r;
	pthread_mutex_lock(&h->mu);
	h->running = 1;
	pthread_cond_broadcast(&h->cv);
	while (!h->release)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	return 0;
}

static void holder_done(struct sched_job *job, int result)
{
	struct fx_holder *h = job->arg;

	CHECK_INT(result, 0);
	pthread_mutex_lock(&h->mu);
	h->done = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void fx_hold(struct sched *sched, struct fx_holder *h, const char *barcode)
{
	memset(h, 0, sizeof(*h));
	h->job.prio = SCHED_PRIO_RECALL;
	h->job.mode = TAPE_RDONLY;
	h->job.ntapes = 1;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	snprintf(h->job.barcode[0], sizeof(h->job.barcode[0]), "%s", barcode);
	h->job.run = holder_run;
	h->job.done = holder_done;
	h->job.arg = h;
	snprintf(h->job.desc, sizeof(h->job.desc), "hold %s", barcode);
	CHECK_INT(sched_submit(sched, &h->job), 0);
	pthread_mutex_lock(&h->mu);
	while (!h->running)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

void fx_unhold(struct fx_holder *h)
{
	pthread_mutex_lock(&h->mu);
	h->release = 1;
	pthread_cond_broadcast(&h->cv);
	while (!h->done)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
}
