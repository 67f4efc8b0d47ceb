/* tests/test_verify_engine.c - the verify engine without a mount: request
 * parsing, and whole runs over a 2-drive virtual library whose tapes are
 * written here with the tar writer and committed to a catalog directly.
 *
 * Links libengine.a like every unit test (the library, files and archives
 * come from tests/lib_fixture.h). fs/engine/verify_int.h gives the
 * engine's state (a job waiting to run checks how far the run got) and
 * verify_set_limits(): small pages and batches, so that 24 members cross
 * several of each.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/tapefs.h"
#include "fs/engine/verify.h"
#include "fs/engine/verify_int.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tapeio/manifest.h"
#include "tapeio/tarw.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define PAGE  5 /* members per catalog page */
#define BATCH 7 /* results per transaction */

#define BS     16384 /* small records: many members span several */
#define NFILES 24

static char top[512];

/* ---- parsing ----------------------------------------------------------- */

static int parse(const char *line, struct verify_req *q)
{
	char why[256];
	int ret = verify_parse(line, q, why, sizeof(why));

	if (ret)
		CHECK(why[0] != 0); /* every refusal says why */
	return ret;
}

static void test_parse(void)
{
	struct verify_req *q = malloc(sizeof(*q));
	char *garbage = malloc(10241);
	char why[256];

	CHECK_INT(parse("all", q), 0);
	CHECK_INT(q->kind, VERIFY_ALL);
	CHECK_INT(parse("  all \n", q), 0);
	CHECK_INT(parse("unverified", q), 0);
	CHECK_INT(q->kind, VERIFY_UNVERIFIED);
	CHECK_INT(parse("cancel", q), 0);
	CHECK_INT(q->kind, VERIFY_CANCEL);
	CHECK_INT(parse("sample 25", q), 0);
	CHECK_INT(q->kind, VERIFY_SAMPLE);
	CHECK_INT(q->pct, 25);
	CHECK_INT(parse("sample 1", q), 0);
	CHECK_INT(parse("sample 100", q), 0);
	CHECK_INT(q->pct, 100);
	CHECK_INT(parse("tape A00001L9 B00001L9 A00001L9", q), 0);
	CHECK_INT(q->kind, VERIFY_TAPE);
	CHECK_INT(q->nlabels, 2);
	CHECK_STR(q->labels[1], "B00001L9");

	CHECK_INT(parse("", q), -EINVAL);
	CHECK_INT(parse("   \t ", q), -EINVAL);
	CHECK_INT(parse("everything", q), -EINVAL);
	CHECK_INT(parse("ALL", q), -EINVAL);
	CHECK_INT(parse("all now", q), -EINVAL);
	CHECK_INT(parse("sample", q), -EINVAL);
	CHECK_INT(parse("sample 0", q), -EINVAL);
	CHECK_INT(parse("sample 101", q), -EINVAL);
	CHECK_INT(parse("sample -5", q), -EINVAL);
	CHECK_INT(parse("sample 2x", q), -EINVAL);
	CHECK_INT(parse("sample 99999999999999999999", q), -EINVAL);
	CHECK_INT(parse("sample 25 50", q), -EINVAL);
	CHECK_INT(parse("tape", q), -EINVAL);
	CHECK_INT(parse("tape A\001B", q), -EINVAL);
	CHECK_INT(parse("unverified please", q), -EINVAL);
	memset(garbage, 'x', 10240);
	garbage[10240] = 0;
	CHECK_INT(parse(garbage, q), -EINVAL);
	for (int i = 0; i < 10240; i++)
		garbage[i] = (char)(' ' + (i * 7919) % 95);
	CHECK_INT(parse(garbage, q), -EINVAL);
	CHECK_INT(verify_parse("sample 0", q, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "percentage") != NULL);
	CHECK_INT(verify_parse("frobnicate", q, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "frobnicate") != NULL);
	free(garbage);
	free(q);
}

/* ---- a library with archives on tape ---------------------------------- */

struct lib {
	char dir[600];
	struct catalog *cat;
	struct changer *chg;
	struct tapefs fs;
	/* what was written: per archive, its members from the writer */
	int64_t archive[2];
	struct tar_member *members;
	size_t nmembers;
	uint64_t start[2]; /* archive 1's start lblock on each tape */
};

static const char *const tapes[2] = {"A00001L9", "B00001L9"};

/* The NFILES sources in src: small ones share records, big ones span
 * several; one name holds a newline. */
static int make_files(const char *src, char paths[][1024], char names[][64])
{
	int ret = 0;

	mkdir(src, 0755);
	for (int i = 0; i < NFILES && !ret; i++) {
		size_t n =
		    i % 6 == 5 ? 5 * BS + 1234 : (size_t)(i * 977 % 7000);

		snprintf(names[i], 64, "f%02d %s", i,
			 i == 3 ? "new\nline" : "x");
		snprintf(paths[i], 1024, "%.900s/%.63s", src, names[i]);
		ret = fx_make_file(paths[i], n, (unsigned)i + 1);
	}
	return ret;
}

/* The catalog's members of archive a, as the writer recorded them. */
static struct catalog_member *members_of(const struct fx_archive *a)
{
	struct catalog_member *cm = calloc(a->nmembers, sizeof(*cm));

	for (size_t i = 0; cm && i < a->nmembers; i++) {
		const struct tar_member *tm = &a->members[i];

		cm[i].path = tm->name;
		cm[i].type = CATALOG_FILE;
		cm[i].size = tm->size;
		cm[i].mode = S_IFREG | tm->mode;
		cm[i].mtime = tm->mtime.tv_sec;
		snprintf(cm[i].md5, sizeof(cm[i].md5), "%s", tm->md5);
		cm[i].header_offset = tm->header_offset;
		cm[i].data_offset = tm->data_offset;
	}
	return cm;
}

/* One archive of the files s[0..NFILES) to both tapes, committed as tape
 * file fileno. The first one is kept in l (members, start). */
static int write_one(struct lib *l, struct tape **t,
		     const struct tarw_source *s, int fileno, int first)
{
	struct tarw_opts o = {.block_size = BS};
	struct catalog_dump_file df = {.path = "x", .size = 1};
	struct catalog_archive_in ai = {.block_size = BS};
	struct catalog_copy_in ci[2];
	struct catalog_member *cm;
	struct fx_archive a;
	int64_t dump;
	int ret;

	ret = fx_write_archive(t, 2, s, NFILES, &o, &a);
	if (ret)
		return ret;
	CHECK_INT(a.nmembers, NFILES);
	cm = members_of(&a);
	for (int c = 0; c < 2; c++) {
		ci[c].barcode = tapes[c];
		ci[c].fileno = fileno;
		ci[c].start_lblock = a.start[c];
		ci[c].size = a.bytes;
		if (first)
			l->start[c] = a.start[c];
	}
	ai.bytes = a.bytes;
	CHECK_INT(catalog_dump_create(l->cat, &df, 1, &dump), 0);
	ret = cm ? catalog_dump_commit(l->cat, dump, &ai, ci, 2, cm, a.nmembers,
				       &l->archive[first ? 0 : 1])
		 : -ENOMEM;
	CHECK_INT(ret, 0);
	free(cm);
	if (first) {
		l->members = a.members;
		l->nmembers = a.nmembers;
	} else {
		fx_archive_free(&a);
	}
	return ret;
}

/* Write narch archives of the same files to both tapes (after their
 * labels), commit each. l->members and l->start describe the first one. */
static int write_archive(struct lib *l, const char *src, int narch)
{
	const struct tape_ops *ops = tape_backend("vtape");
	struct tape *t[2] = {NULL, NULL};
	struct tarw_source s[NFILES];
	char paths[NFILES][1024], names[NFILES][64], img[700];
	int ret = make_files(src, paths, names);

	for (int i = 0; i < NFILES && !ret; i++) {
		ret = fx_source(&s[i], paths[i]);
		s[i].name = names[i];
	}
	for (int c = 0; c < 2 && !ret; c++) {
		snprintf(img, sizeof(img), "%s/tapes/%s.vtape", l->dir,
			 tapes[c]);
		ret = tape_open(&t[c], ops, img, TAPE_RDWR);
		if (!ret)
			ret = tape_goto_file(t[c], 1);
		CHECK_INT(ret, 0);
	}
	for (int k = 1; k <= narch && !ret; k++)
		ret = write_one(l, t, s, k, k == 1);
	for (int c = 0; c < 2; c++)
		if (t[c])
			tape_close(t[c]);
	return ret;
}

/* A library of ndrives drives holding A00001L9 (pool A) and B00001L9
 * (pool B), both in the catalog, with narch archives on each; the
 * scheduler and the engine started. */
static int lib_setup(struct lib *l, int ndrives, int narch)
{
	struct fx_lib lib = {.drives = ndrives,
			     .slots = 4,
			     .tapes = 2,
			     .capacity = 64 << 20,
			     .pools = 2,
			     .block_size = BS};
	char path[700];
	int ret;

	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->fs.errors.lock, NULL);
	snprintf(l->dir, sizeof(l->dir), "%s/lib", top);
	snprintf(path, sizeof(path), "%s/catalog.db", top);
	ret = catalog_testing_open(&l->cat, path);
	CHECK_INT(ret, 0);
	if (ret || (ret = fx_lib_setup(l->dir, &lib)))
		return ret;
	for (int c = 0; c < 2; c++) {
		struct catalog_tape ct = fx_tape(
		    tapes[c], c ? "B" : "A", CATALOG_TAPE_SCRATCH, 64 << 20);

		CHECK_INT(catalog_tape_add(l->cat, &ct), 0);
	}
	snprintf(path, sizeof(path), "%s/src", top);
	ret = write_archive(l, path, narch);
	if (ret)
		return ret;
	l->fs.cat = l->cat;
	if (!(l->chg = fx_changer(l->dir)) ||
	    !(l->fs.sched = fx_sched(l->chg, ndrives)))
		return -EIO;
	ret = verify_start(&l->fs);
	CHECK_INT(ret, 0);
	if (!ret)
		verify_set_limits(l->fs.verify, PAGE, BATCH);
	return ret;
}

static void lib_teardown(struct lib *l)
{
	verify_stop(&l->fs);
	CHECK(l->fs.verify == NULL);
	sched_stop(l->fs.sched);
	changer_close(l->chg);
	catalog_close(l->cat);
	tar_members_free(l->members, l->nmembers);
	pthread_mutex_destroy(&l->fs.errors.lock);
}

/* Start a run and wait for its end; returns its id or -errno. */
static int64_t run_wait(struct lib *l, const char *req)
{
	struct verify_progress p;
	int64_t id = 0;
	int ret = verify_request(l->fs.verify, req, &id);

	if (ret)
		return ret;
	for (int i = 0; i < 3000; i++) {
		if (verify_progress(l->fs.verify, &p) == 0 && p.run_id == id &&
		    !p.running)
			return id;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

struct tally {
	const char *barcode;
	uint64_t ok, bad, unreadable;
	char bad_path[64], unread[NFILES][64];
	int nunread;
	int paths_ok;
};

static int tally_row(void *ctx, const struct catalog_result_row *r)
{
	struct tally *t = ctx;

	if (r->result == CATALOG_RESULT_OK)
		t->ok++;
	else if (r->result == CATALOG_RESULT_BAD) {
		t->bad++;
		snprintf(t->bad_path, sizeof(t->bad_path), "%s", r->path);
	} else {
		if (t->nunread < NFILES)
			snprintf(t->unread[t->nunread++], 64, "%s", r->path);
		t->unreadable++;
	}
	if (!r->path || strncmp(r->path, "f", 1))
		t->paths_ok = 0;
	return 0;
}

static void tally(struct lib *l, int64_t run, const char *barcode,
		  struct tally *t)
{
	memset(t, 0, sizeof(*t));
	t->paths_ok = 1;
	CHECK_INT(catalog_run_results(l->cat, run, barcode, 0, tally_row, t),
		  0);
}

static void image_of(struct lib *l, int c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/tapes/%s.vtape", l->dir, tapes[c]);
}

/* ---- runs --------------------------------------------------------------- */

static void test_all_good_then_faults(void)
{
	struct lib l;
	struct tally a, b;
	struct catalog_run r;
	struct catalog_copy cp;
	char img[700];
	int64_t run;

	if (lib_setup(&l, 2, 1))
		return;
	run = run_wait(&l, "all");
	CHECK(run > 0);
	tally(&l, run, tapes[0], &a);
	tally(&l, run, tapes[1], &b);
	CHECK_INT(a.ok, NFILES);
	CHECK_INT(b.ok, NFILES);
	CHECK_INT(a.bad + a.unreadable + b.bad + b.unreadable, 0);
	CHECK(a.paths_ok && b.paths_ok);
	CHECK_INT(catalog_run_get(l.cat, run, &r), 0);
	CHECK_INT(r.state, CATALOG_RUN_DONE);
	CHECK_INT(r.totals.tapes, 2);
	CHECK_INT(r.totals.archives, 2);
	CHECK_INT(r.totals.members, 2 * NFILES);
	CHECK_INT(r.totals.ok, 2 * NFILES);
	CHECK(strstr(r.detail, "drive") != NULL);
	CHECK_INT(catalog_copy_get(l.cat, tapes[1], 1, &cp), 0);
	CHECK(cp.last_verified > 0);
	CHECK_INT(cp.last_result, CATALOG_RESULT_OK);

	/* one byte flipped in member 7's data on tape B only */
	const struct tar_member *m = &l.members[7];
	uint64_t off = m->data_offset + m->size / 2;

	CHECK(m->size > 100);
	image_of(&l, 1, img, sizeof(img));
	CHECK_INT(vtape_inject(img, VTAPE_FAULT_FLIP, l.start[1] + off / BS,
			       off % BS),
		  0);
	run = run_wait(&l, "all");
	CHECK(run > 0);
	tally(&l, run, tapes[0], &a);
	tally(&l, run, tapes[1], &b);
	CHECK_INT(a.ok, NFILES);
	CHECK_INT(a.bad + a.unreadable, 0);
	CHECK_INT(b.ok, NFILES - 1);
	CHECK_INT(b.bad, 1);
	CHECK_INT(b.unreadable, 0);
	CHECK_STR(b.bad_path, m->name);
	CHECK_INT(catalog_copy_get(l.cat, tapes[1], 1, &cp), 0);
	CHECK_INT(cp.last_result, CATALOG_RESULT_BAD);
	CHECK_INT(cp.state, CATALOG_COPY_BAD);

	/* unverified: only copies never verified OK - tape A's is fine now,
	 * tape B's went bad but was verified OK once: nothing to do */
	run = run_wait(&l, "unverified");
	CHECK(run > 0);
	CHECK_INT(catalog_run_get(l.cat, run, &r), 0);
	CHECK_INT(r.state, CATALOG_RUN_DONE);
	CHECK_INT(r.totals.members, 0);

	/* an unreadable record inside the big member 11 of tape A: exactly
	 * that member is UNREADABLE, the walk resyncs after it */
	m = &l.members[11];
	CHECK(m->size > 3 * BS);
	off = m->data_offset + 2 * BS;
	image_of(&l, 0, img, sizeof(img));
	CHECK_INT(
	    vtape_inject(img, VTAPE_FAULT_UNREADABLE, l.start[0] + off / BS, 0),
	    0);
	run = run_wait(&l, "tape A00001L9");
	CHECK(run > 0);
	tally(&l, run, tapes[0], &a);
	tally(&l, run, tapes[1], &b);
	CHECK_INT(a.unreadable, 1);
	CHECK_STR(a.unread[0], m->name);
	CHECK_INT(a.ok, NFILES - 1);
	CHECK_INT(a.bad, 0);
	CHECK_INT(b.ok + b.bad + b.unreadable, 0); /* not asked for */
	CHECK_INT(catalog_run_get(l.cat, run, &r), 0);
	CHECK_INT(r.state, CATALOG_RUN_DONE);
	CHECK_INT(r.totals.tapes, 1);

	/* an unreadable record holding several small members: every member
	 * with a byte in it is UNREADABLE, no other */
	CHECK_INT(vtape_inject(img, VTAPE_FAULT_CLEAR, 0, 0), 0);
	uint64_t rec = l.members[1].data_offset / BS; /* small members 0-4 */
	int expect = 0;

	for (size_t i = 0; i < l.nmembers; i++) {
		const struct tar_member *x = &l.members[i];
		uint64_t end = x->data_offset + x->size;
		uint64_t first = x->header_offset / BS;
		uint64_t last = (end ? end - 1 : end) / BS;

		if (x->size && (end - 1) / BS > last)
			last = (end - 1) / BS;
		expect += first <= rec && rec <= last;
	}
	CHECK(expect >= 2);
	CHECK_INT(
	    vtape_inject(img, VTAPE_FAULT_UNREADABLE, l.start[0] + rec, 0), 0);
	run = run_wait(&l, "tape A00001L9");
	tally(&l, run, tapes[0], &a);
	CHECK_INT(a.unreadable, expect);
	CHECK_INT(a.ok, NFILES - expect);
	CHECK_INT(a.bad, 0);

	/* a flipped byte in a member's header (the name, or the checksum
	 * then fails): that member BAD, the walk goes on with the others */
	CHECK_INT(vtape_inject(img, VTAPE_FAULT_CLEAR, 0, 0), 0);
	image_of(&l, 1, img, sizeof(img));
	for (int k = 0; k < 2; k++) {
		/* k = 0: in the header block's name field; k = 1: its
		 * checksum field (a corrupt header) */
		m = &l.members[k ? 14 : 9];
		off = m->data_offset - 512 + (k ? 150 : 2);
		CHECK_INT(vtape_inject(img, VTAPE_FAULT_FLIP,
				       l.start[1] + off / BS, off % BS),
			  0);
	}
	run = run_wait(&l, "tape B00001L9");
	tally(&l, run, tapes[1], &b);
	CHECK_INT(b.bad, 3); /* 7 (data), 9 (name), 14 (header) */
	CHECK_INT(b.unreadable, 0);
	CHECK_INT(b.ok, NFILES - 3);
	image_of(&l, 0, img, sizeof(img));

	/* requests the engine refuses, with their reasons */
	char req[128], why[320];
	time_t when;

	CHECK_INT(verify_request(l.fs.verify, "tape NOSUCH1", NULL), -EINVAL);
	verify_refusal(l.fs.verify, req, sizeof(req), why, sizeof(why), &when);
	CHECK(strstr(why, "unknown label 'NOSUCH1'") != NULL);
	CHECK(when > 0);
	CHECK_INT(verify_request(l.fs.verify, "sample 0", NULL), -EINVAL);
	CHECK_INT(verify_request(l.fs.verify, "cancel", NULL), -ESRCH);
	lib_teardown(&l);
}

static void test_sample(void)
{
	struct lib l;
	struct tally a, b;
	struct tape_counters unused;
	int64_t run;
	int want = (NFILES * 25 + 50) / 100;

	(void)unused;
	if (lib_setup(&l, 2, 1))
		return;
	run = run_wait(&l, "sample 25");
	CHECK(run > 0);
	tally(&l, run, tapes[0], &a);
	tally(&l, run, tapes[1], &b);
	CHECK(a.ok >= (uint64_t)want - 1 && a.ok <= (uint64_t)want + 1);
	CHECK(b.ok >= (uint64_t)want - 1 && b.ok <= (uint64_t)want + 1);
	CHECK_INT(a.bad + a.unreadable + b.bad + b.unreadable, 0);
	/* a sample alone does not make a copy verified */
	struct catalog_copy cp;

	CHECK_INT(catalog_copy_get(l.cat, tapes[0], 1, &cp), 0);
	CHECK_INT(cp.last_verified, 0);
	run = run_wait(&l, "sample 1");
	tally(&l, run, tapes[0], &a);
	CHECK_INT(a.ok, 1); /* at least one per archive */
	run = run_wait(&l, "sample 100");
	tally(&l, run, tapes[1], &b);
	CHECK_INT(b.ok, NFILES);
	lib_teardown(&l);
}

/* Cancel and stop: a slow drive (rate model) keeps the run going. */
static void test_cancel_and_stop(void)
{
	struct lib l;
	struct vtape_model mdl = {.rate_mbps = 2, .time_scale = 1};
	struct catalog_run r;
	char img[700];
	int64_t id = 0;

	memset(&l, 0, sizeof(l));
	/* the model is set before the library starts: lib_setup writes the
	 * tapes first, so set it through a second setup step */
	if (lib_setup(&l, 2, 1))
		return;
	for (int c = 0; c < 2; c++) {
		image_of(&l, c, img, sizeof(img));
		CHECK_INT(vtape_set_model(img, &mdl), 0);
	}
	/* the tapes stay loaded: unload happens only when another tape needs
	 * the drive, so the model applies from the next open. Start a run,
	 * then cancel it at once. */
	CHECK_INT(verify_request(l.fs.verify, "all", &id), 0);
	CHECK_INT(verify_request(l.fs.verify, "all", NULL), -EBUSY);
	CHECK_INT(verify_request(l.fs.verify, "cancel", NULL), 0);
	for (int i = 0; i < 3000; i++) {
		struct verify_progress p;

		if (!verify_progress(l.fs.verify, &p) && !p.running)
			break;
		usleep(10000);
	}
	CHECK_INT(catalog_run_get(l.cat, id, &r), 0);
	CHECK_INT(r.state, CATALOG_RUN_INTERRUPTED);
	/* a run still going at stop is marked interrupted */
	CHECK_INT(verify_request(l.fs.verify, "all", &id), 0);
	lib_teardown(&l);
	struct catalog *cat;
	char path[700];

	snprintf(path, sizeof(path), "%s/catalog.db", top);
	CHECK_INT(catalog_testing_open(&cat, path), 0);
	CHECK_INT(catalog_run_get(cat, id, &r), 0);
	CHECK(r.state == CATALOG_RUN_INTERRUPTED ||
	      r.state == CATALOG_RUN_DONE);
	catalog_close(cat);
}

/* A recall waiting for the only drive: the verify job gives the drive up
 * between two archives of its tape, the recall runs, then verify goes on
 * and finishes every archive. */
struct recall_probe {
	struct sched_job job;
	struct verify *v;
	uint64_t archives_then; /* archives the run had verified */
	int run_going, ran, done;
};

static int probe_run(struct sched_job *job, const struct sched_run *r)
{
	struct recall_probe *p = job->arg;

	(void)r;
	pthread_mutex_lock(&p->v->lock);
	p->run_going = p->v->run != NULL;
	p->archives_then = p->v->run ? p->v->run->archives : 0;
	pthread_mutex_unlock(&p->v->lock);
	p->ran = 1;
	return 0;
}

static void probe_done(struct sched_job *job, int result)
{
	struct recall_probe *p = job->arg;

	CHECK_INT(result, 0);
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
}

static void test_yield_to_recall(void)
{
	struct lib l;
	struct vtape_model mdl = {.rate_mbps = 1, .time_scale = 1};
	struct recall_probe p;
	struct catalog_run r;
	char img[700];
	int64_t id = 0;
	int going = 0;

	if (lib_setup(&l, 1, 2))
		return;
	for (int c = 0; c < 2; c++) {
		image_of(&l, c, img, sizeof(img));
		CHECK_INT(vtape_set_model(img, &mdl), 0);
	}
	CHECK_INT(verify_request(l.fs.verify, "tape A00001L9", &id), 0);
	for (int i = 0; i < 1000 && !going; i++) {
		pthread_mutex_lock(&l.fs.verify->lock);
		going = l.fs.verify->running > 0;
		pthread_mutex_unlock(&l.fs.verify->lock);
		if (!going)
			usleep(5000);
	}
	CHECK(going);
	memset(&p, 0, sizeof(p));
	p.v = l.fs.verify;
	p.job.prio = SCHED_PRIO_RECALL;
	p.job.mode = TAPE_RDONLY;
	p.job.ntapes = 1;
	snprintf(p.job.barcode[0], sizeof(p.job.barcode[0]), "%s", tapes[1]);
	p.job.run = probe_run;
	p.job.done = probe_done;
	p.job.arg = &p;
	snprintf(p.job.desc, sizeof(p.job.desc), "recall probe");
	CHECK_INT(sched_submit(l.fs.sched, &p.job), 0);
	for (int i = 0; i < 3000; i++) {
		struct verify_progress vp;

		if (__atomic_load_n(&p.done, __ATOMIC_ACQUIRE) &&
		    !verify_progress(l.fs.verify, &vp) && !vp.running)
			break;
		usleep(10000);
	}
	CHECK(p.ran);
	CHECK(p.run_going);	       /* the recall did not wait for the run */
	CHECK_INT(p.archives_then, 1); /* it ran between the two archives */
	CHECK_INT(catalog_run_get(l.cat, id, &r), 0);
	CHECK_INT(r.state, CATALOG_RUN_DONE);
	CHECK_INT(r.totals.archives, 2);
	CHECK_INT(r.totals.ok, 2 * NFILES);
	lib_teardown(&l);
}

/* A new scratch directory for the next test's library and catalog. */
static void fresh_top(const char *name)
{
	if (fx_mkdtemp(top, sizeof(top), name))
		snprintf(top, sizeof(top), "%s", fx_tmp());
}

int main(void)
{
	RUN(test_parse);
	fresh_top("verify-all");
	RUN(test_all_good_then_faults);
	fresh_top("verify-sample");
	RUN(test_sample);
	fresh_top("verify-cancel");
	RUN(test_cancel_and_stop);
	fresh_top("verify-yield");
	RUN(test_yield_to_recall);
	return check_done();
}
