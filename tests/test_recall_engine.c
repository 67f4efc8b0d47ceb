/* tests/test_recall_engine.c - the recall engine without a mount: archives
 * written with tarw to two vtapes of a vlib, committed to a catalog, then
 * recalled through the scheduler. Checks bytes, the order the drive saw
 * (vtape trace), fallback to the other copy on an unreadable record and on
 * a flipped byte, EIO when every copy is bad, O_NONBLOCK, st_blocks bytes,
 * LRU eviction that spares open files, and the cache surviving a restart.
 * Also the text of `.recall` and the recall lines of `.status` as the
 * namespace renders them from the engine's snapshot.
 *
 * Links libengine.a like every unit test (the library, tapes, files and
 * archives come from tests/lib_fixture.h); fs/engine/recall_int.h gives
 * the cache's file names.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/recall.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/strbuf.h"
#include "fs/engine/tapefs.h"
#include "fs/ns/ns_local.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tapeio/tarw.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"
#include "tests/lib_recall.h"

/* ---- the library, the tapes and the catalog ---------------------------- */

#define BS     (32 * 1024)
#define NARCH  3  /* archives per tape */
#define NFILES 12 /* files per archive */

static char top[1024];
static const char *bc[2] = {"A00001L9", "B00001L9"};

struct file {
	char name[64];
	uint64_t size;
	unsigned seed;
	int64_t id;
	int archive;	   /* 0..NARCH-1 */
	uint64_t block[2]; /* where each copy's member starts */
	uint64_t data_block[2], data_off[2];
};
static struct file files[NARCH * NFILES];
static int nfiles;

static struct tapefs fs;
static struct fx_recall rx; /* fs's engine, on lib/ */

/* The catalog's members of archive k's files, with where each copy's
 * member starts (blocks of BS bytes from each copy's start). */
static void members_of(int k, const struct fx_archive *a,
		       struct catalog_member *cm)
{
	for (size_t i = 0; i < a->nmembers; i++) {
		const struct tar_member *tm = &a->members[i];
		struct file *f = &files[k * NFILES + i];

		fx_recall_member(&cm[i], tm);
		for (int c = 0; c < 2; c++) {
			f->block[c] = a->start[c] + tm->header_offset / BS;
			f->data_block[c] = a->start[c] + tm->data_offset / BS;
			f->data_off[c] = tm->data_offset % BS;
		}
	}
}

/* Write archive k (files k*NFILES..) to both tapes and commit it. */
static int write_archive(struct tape **t, int k, const char *srcdir)
{
	struct tarw_source src[NFILES];
	char paths[NFILES][2048];
	struct catalog_dump_file df[NFILES];
	struct catalog_member cm[NFILES];
	struct catalog_copy_in ci[2];
	struct catalog_archive_in ai = {.block_size = BS};
	struct tarw_opts o = {.block_size = BS};
	struct fx_archive a;
	int64_t dump_id, arch_id;
	int ret;

	for (int i = 0; i < NFILES; i++) {
		struct file *f = &files[k * NFILES + i];

		snprintf(paths[i], sizeof(paths[i]), "%.1000s/%.60s", srcdir,
			 f->name);
		if ((ret = fx_source(&src[i], paths[i])))
			return ret;
		src[i].name = f->name;
		df[i] = (struct catalog_dump_file){.path = f->name,
						   .size = f->size,
						   .mtime = src[i].st.st_mtime};
	}
	if ((ret = fx_write_archive(t, 2, src, NFILES, &o, &a)))
		return ret;
	for (int c = 0; c < 2; c++)
		ci[c] =
		    (struct catalog_copy_in){bc[c], k + 1, a.start[c], a.bytes};
	ai.bytes = a.bytes;
	members_of(k, &a, cm);
	ret = catalog_dump_create(fs.cat, df, NFILES, &dump_id);
	if (!ret)
		ret = catalog_dump_commit(fs.cat, dump_id, &ai, ci, 2, cm,
					  a.nmembers, &arch_id);
	fx_archive_free(&a);
	return ret;
}

/* Files d<K>/f<NN>.bin of archive K: 1 KiB .. ~100 KiB (members spread
 * over several records), member 3 of each empty. */
static int make_sources(const char *srcdir)
{
	char path[1200];

	for (int i = 0; i < NARCH * NFILES; i++) {
		struct file *f = &files[i];

		snprintf(f->name, sizeof(f->name), "d%d/f%02d.bin", i / NFILES,
			 i % NFILES);
		f->archive = i / NFILES;
		f->seed = (unsigned)i + 7;
		f->size = (uint64_t)((i * 7919) % 100) * 1024 + 1000;
		if (i % NFILES == 3)
			f->size = 0; /* an empty file */
		if (i % NFILES == 0) {
			snprintf(path, sizeof(path), "%.1000s/d%d", srcdir,
				 i / NFILES);
			mkdir(path, 0755);
		}
		snprintf(path, sizeof(path), "%.1000s/%.60s", srcdir, f->name);
		if (fx_make_file(path, f->size, f->seed))
			return -EIO;
	}
	nfiles = NARCH * NFILES;
	return 0;
}

/* A library of 2 drives and 4 slots holding A00001L9 (pool A) and
 * B00001L9 (pool B), labelled for records of BS bytes, both in the
 * catalog, with NARCH archives of NFILES files written to both. */
static int setup(void)
{
	struct fx_lib lib = {.drives = 2,
			     .slots = 4,
			     .tapes = 2,
			     .capacity = 256 << 20,
			     .pools = 2,
			     .block_size = BS};
	char srcdir[1100];
	struct tape *t[2] = {NULL, NULL};
	struct catalog_member m;
	int ret;

	snprintf(srcdir, sizeof(srcdir), "%s/src", top);
	mkdir(srcdir, 0755);
	if ((ret = fx_lib_setup(rx.lib, &lib)))
		return ret;
	for (int c = 0; c < 2; c++)
		if ((ret = fx_recall_tape(&rx, bc[c], c ? "B" : "A", 256 << 20,
					  &t[c])))
			return ret;
	if ((ret = make_sources(srcdir)))
		return ret;
	for (int k = 0; k < NARCH; k++)
		if ((ret = write_archive(t, k, srcdir)))
			return ret;
	for (int c = 0; c < 2; c++)
		tape_close(t[c]);
	for (int i = 0; i < nfiles; i++) {
		memset(&m, 0, sizeof(m));
		if ((ret = catalog_ns_lookup(fs.cat, files[i].name, &m)))
			return ret;
		files[i].id = m.id;
		catalog_member_release(&m);
	}
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

/* Read member i whole through the engine; 0 when its bytes are right. */
static int read_check(int i, const char *prefer, int *err)
{
	struct recall_handle *h;
	struct file *f = &files[i];
	char *want = malloc(f->size + 1), *got = malloc(f->size + 4096);
	uint64_t off = 0;
	ssize_t n;
	int ret;

	*err = 0;
	fx_fill(want, f->size, f->seed);
	ret = recall_open(fs.recall, f->id, 0, prefer, &h);
	if (ret) {
		*err = ret;
		goto out;
	}
	/* Odd-sized reads, as a reader with its own buffer would do. */
	while ((n = recall_read(h, got + off, 7000, (off_t)off)) > 0)
		off += (uint64_t)n;
	if (n < 0)
		*err = (int)n;
	recall_release(h);
	ret = n < 0 || off != f->size || memcmp(want, got, f->size) ? -1 : 0;
out:
	free(want);
	free(got);
	return *err ? -1 : ret;
}

static void trace_reset(void)
{
	truncate(rx.trace, 0);
}

/* The lblocks of "BARCODE locate X -> Y" lines, in order. */
static size_t trace_locates(const char *barcode, uint64_t *out, size_t max)
{
	FILE *fp = fopen(rx.trace, "r");
	char line[512], b[64];
	unsigned long long x, y;
	size_t n = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%63s locate %llu -> %llu", b, &x, &y) == 3 &&
		    !strcmp(b, barcode) && n < max)
			out[n++] = y;
	fclose(fp);
	return n;
}

/* The lowest lblock read on barcode (UINT64_MAX when none). */
static uint64_t trace_min_read(const char *barcode)
{
	uint64_t min;

	fx_trace_reads(&rx, barcode, &min);
	return min;
}

/* 1 when every record read on barcode lies after the one read before:
 * no record read twice, nothing read going back. */
static int trace_reads_ascending(const char *barcode)
{
	FILE *fp = fopen(rx.trace, "r");
	char line[512], b[64];
	unsigned long long x, len;
	uint64_t prev = 0;
	int first = 1, ok = 1;

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%63s read %llu %llu", b, &x, &len) == 3 &&
		    !strcmp(b, barcode)) {
			ok &= first || x > prev;
			first = 0;
			prev = x;
		}
	fclose(fp);
	return ok;
}

/* Errors the engine reported through tapefs_error() so far, and the
 * newest one's text. */
static uint64_t errors_count(void)
{
	uint64_t n;

	pthread_mutex_lock(&fs.errors.lock);
	n = fs.errors.count;
	pthread_mutex_unlock(&fs.errors.lock);
	return n;
}

static void error_last(char *buf, size_t len)
{
	pthread_mutex_lock(&fs.errors.lock);
	snprintf(
	    buf, len, "%s",
	    fs.errors.count
		? fs.errors.last[(fs.errors.count - 1) % TAPEFS_ERRORS_KEPT].msg
		: "");
	pthread_mutex_unlock(&fs.errors.lock);
}

/* What reading `.recall` shows now, as the mount would serve it. */
static void recall_text(struct strbuf *sb)
{
	strbuf_init(sb);
	CHECK_INT(ns_recall_ctl.render(&fs, "", sb), 0);
	CHECK(sb->buf != NULL && !strbuf_oom(sb));
	if (!sb->buf)
		strbuf_add(sb, "", 0);
}

/* ETAs depend on how fast the machine read before: "eta X" for all. */
static void eta_blank(char *s)
{
	char *p = s, *q;

	while (s && (p = strstr(p, " eta "))) {
		p += 5;
		q = strchr(p, ' ');
		if (!q)
			break;
		memmove(p + 1, q, strlen(q) + 1);
		*p = 'X';
	}
}

static int wait_cached(int i, int secs)
{
	for (int n = 0; n < secs * 100; n++) {
		if (recall_state(fs.recall, files[i].id) == RECALL_CACHED)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void test_nonblock(void)
{
	struct recall_handle *h = NULL;

	CHECK_INT(recall_open(fs.recall, files[1].id, 1, NULL, &h), -EAGAIN);
	CHECK_INT(recall_state(fs.recall, files[1].id), RECALL_OFFLINE);
	CHECK_INT(recall_cached_bytes(fs.recall, files[1].id), 0);
	CHECK_INT(recall_open(fs.recall, 999999, 0, NULL, &h), -ENOENT);
}

/* A member of the last archive: read without reading the archives before
 * it, from the copy asked for. */
static void test_last_archive(void)
{
	int i = (NARCH - 1) * NFILES + 5, err;

	trace_reset();
	CHECK_INT(read_check(i, bc[1], &err), 0);
	CHECK_INT(err, 0);
	CHECK_INT(recall_state(fs.recall, files[i].id), RECALL_CACHED);
	CHECK_INT(recall_cached_bytes(fs.recall, files[i].id), files[i].size);
	CHECK(trace_min_read(bc[1]) >= files[i].block[1]);
	CHECK_INT(trace_min_read(bc[0]), UINT64_MAX); /* the other copy: no */
	/* Cached now: read again without the tape. */
	trace_reset();
	CHECK_INT(read_check(i, NULL, &err), 0);
	CHECK_INT(trace_min_read(bc[1]), UINT64_MAX);
	/* The empty file needs no tape at all. */
	CHECK_INT(read_check(3, NULL, &err), 0);
	CHECK_INT(err, 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A batch in random order is read in tape order, in one pass: no record
 * read twice, a locate for each archive at most. The batch is all queued
 * before a drive may serve it: both tapes are held in the drives while it
 * is asked for (the engine sorts what came within its settling time; a
 * loaded machine may stop this thread for longer than that between two
 * requests). */
static void test_batch_order(void)
{
	struct fx_holder h[2];
	int order[NARCH * NFILES], n = 0, all = 1;
	uint64_t loc[256], sorted[256];
	size_t nloc;
	int used;

	for (int i = 0; i < nfiles; i++)
		if (files[i].size &&
		    recall_state(fs.recall, files[i].id) == RECALL_OFFLINE &&
		    i % NFILES != 6 && i % NFILES != 7 && i % NFILES != 8)
			order[n++] = i;
	srand(42);
	for (int i = n - 1; i > 0; i--) {
		int j = rand() % (i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	fx_hold(fs.sched, &h[0], bc[0]);
	fx_hold(fs.sched, &h[1], bc[1]);
	trace_reset();
	for (int i = 0; i < n; i++)
		CHECK_INT(
		    recall_request(fs.recall, files[order[i]].id, NULL, 0), 0);
	fx_unhold(&h[0]);
	fx_unhold(&h[1]);
	for (int i = 0; i < n; i++)
		all &= wait_cached(order[i], 20);
	CHECK(all);
	/* One tape served the whole batch (the one already in a drive). */
	used = trace_min_read(bc[0]) != UINT64_MAX ? 0 : 1;
	CHECK_INT(trace_min_read(bc[1 - used]), UINT64_MAX);
	nloc = trace_locates(bc[used], loc, 256);
	/* each archive's first member is located to, the rest read on */
	CHECK(nloc >= 1 && nloc <= NARCH);
	CHECK(trace_reads_ascending(bc[used]));
	memcpy(sorted, loc, nloc * sizeof(*loc));
	qsort(sorted, nloc, sizeof(*sorted), cmp_u64);
	CHECK(memcmp(loc, sorted, nloc * sizeof(*loc)) == 0);
	for (int i = 0; i < n; i++) {
		int err;

		CHECK_INT(read_check(order[i], NULL, &err), 0);
	}
}

/* Member 6 of archive 0: copy A unreadable -> B. Member 7: copy A has a
 * flipped byte -> B. Member 8: A unreadable and B flipped -> EIO. */
static void test_faults(void)
{
	char ia[1200], ib[1200], msg[256];
	int f6 = 6, f7 = 7, f8 = 8, err;
	uint64_t nerrors;
	struct strbuf sb, line;

	fx_recall_image(&rx, bc[0], ia, sizeof(ia));
	fx_recall_image(&rx, bc[1], ib, sizeof(ib));
	CHECK_INT(vtape_inject(ia, VTAPE_FAULT_UNREADABLE,
			       files[f6].data_block[0], 0),
		  0);
	CHECK_INT(vtape_inject(ia, VTAPE_FAULT_FLIP, files[f7].data_block[0],
			       files[f7].data_off[0] + 5),
		  0);
	CHECK_INT(vtape_inject(ia, VTAPE_FAULT_UNREADABLE,
			       files[f8].data_block[0], 0),
		  0);
	CHECK_INT(vtape_inject(ib, VTAPE_FAULT_FLIP, files[f8].data_block[1],
			       files[f8].data_off[1] + 9),
		  0);
	CHECK_INT(read_check(f6, bc[0], &err), 0);
	CHECK_INT(err, 0);
	CHECK_INT(read_check(f7, bc[0], &err), 0);
	CHECK_INT(err, 0);
	nerrors = errors_count();
	CHECK(read_check(f8, bc[0], &err) != 0);
	CHECK_INT(err, -EIO);
	CHECK_INT(errors_count() - nerrors, 1);
	error_last(msg, sizeof(msg));
	CHECK(strstr(msg, files[f8].name) != NULL);
	CHECK(strstr(msg, bc[0]) != NULL);
	CHECK(strstr(msg, bc[1]) != NULL);
	CHECK(strstr(msg, "MD5") != NULL);
	CHECK_INT(recall_state(fs.recall, files[f8].id), RECALL_OFFLINE);
	/* `.recall` names the member and each tape with its reason */
	strbuf_init(&line);
	strbuf_addf(&line, "\n  FAILED %s: %s: unreadable; %s: MD5 mismatch\n",
		    files[f8].name, bc[0], bc[1]);
	recall_text(&sb);
	CHECK(line.buf && strstr(sb.buf, line.buf) != NULL);
	strbuf_release(&sb);
	strbuf_release(&line);
	vtape_inject(ia, VTAPE_FAULT_CLEAR, 0, 0);
}

static int is_file(const char *name)
{
	char p[1300];

	snprintf(p, sizeof(p), "%s/tapefs-cache/%s", rx.cache, name);
	return access(p, F_OK) == 0;
}

/* Restart: what was cached stays cached; the engine's own litter is
 * swept, and only that (a stray file is never deleted). Then a small limit
 * evicts least recently used files, never an open one. */
static void test_restart_and_lru(void)
{
	int big[4], nb = 0, err, open_i;
	struct recall_handle *h;
	char name[64];
	int fd;

	recall_stop(&fs);
	fd = openat(AT_FDCWD, "cache/tapefs-cache/m424242.part",
		    O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	fd = open("cache/tapefs-cache/junk", O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	fd = open("cache/m424243", O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	CHECK_INT(fx_recall_start(&rx), 0);
	if (!fs.recall)
		return;
	CHECK_INT(recall_state(fs.recall, files[(NARCH - 1) * NFILES + 5].id),
		  RECALL_CACHED);
	CHECK(!is_file("m424242.part"));
	CHECK(is_file("junk"));
	CHECK(access("cache/m424243", F_OK) == 0);
	/* Four files not read yet (archives 1 and 2, members 6..8), and a
	 * limit that holds three of them but not four. */
	for (int i = NFILES; i < 3 * NFILES && nb < 4; i++)
		if (i % NFILES >= 6 && i % NFILES <= 8 && files[i].size &&
		    recall_state(fs.recall, files[i].id) == RECALL_OFFLINE)
			big[nb++] = i;
	CHECK_INT(nb, 4);
	if (nb < 4)
		return;
	recall_stop(&fs);
	{
		uint64_t s0 = files[big[0]].size, s1 = files[big[1]].size;
		uint64_t s2 = files[big[2]].size, s3 = files[big[3]].size;

		fs.cfg.cache_size = s0 + s2 + (s1 > s3 ? s1 : s3);
	}
	CHECK_INT(fx_recall_start(&rx), 0); /* shrinks the cache to the limit */
	if (!fs.recall)
		return;
	open_i = big[0];
	CHECK_INT(recall_open(fs.recall, files[open_i].id, 0, NULL, &h), 0);
	for (int k = 1; k < 4; k++)
		CHECK_INT(read_check(big[k], NULL, &err), 0);
	/* big[0] is open: kept; big[1] is the least recently used: gone. */
	CHECK_INT(recall_state(fs.recall, files[open_i].id), RECALL_CACHED);
	CHECK_INT(recall_state(fs.recall, files[big[1]].id), RECALL_OFFLINE);
	CHECK_INT(recall_state(fs.recall, files[big[3]].id), RECALL_CACHED);
	recall_cache_name(files[big[1]].id, 0, name, sizeof(name));
	CHECK(!is_file(name));
	recall_release(h);
	CHECK_INT(read_check(big[1], NULL, &err), 0);
}

/* A gate on the drives' reads: armed on a tape image and an lblock, the
 * read of a record past that lblock on that tape waits until the gate
 * opens (the drive is then busy in the middle of a member). The test's
 * scheduler reads through it (gate_sched()). */
static struct {
	pthread_mutex_t mu; /* guards the fields below */
	pthread_cond_t cv;
	const struct tape_ops *vt; /* the vtape backend read through */
	struct tape_ops ops;
	char image[64]; /* "BARCODE.vtape" */
	uint64_t after;
	int armed, held;
} gate = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Is t (a drive's link, or an image) the gated tape? gate.mu held. */
static int gate_on(struct tape *t)
{
	char link[1200];
	ssize_t n = readlink(t->dev, link, sizeof(link) - 1);

	if (n < 0)
		return strstr(t->dev, gate.image) != NULL;
	link[n] = '\0';
	return strstr(link, gate.image) != NULL;
}

static ssize_t gate_read(struct tape *t, void *buf, size_t len)
{
	uint64_t lb;

	pthread_mutex_lock(&gate.mu);
	if (gate.armed && gate_on(t) && !gate.vt->tell(t, &lb) &&
	    lb > gate.after) {
		gate.held = 1;
		pthread_cond_broadcast(&gate.cv);
		while (gate.armed)
			pthread_cond_wait(&gate.cv, &gate.mu);
	}
	pthread_mutex_unlock(&gate.mu);
	return gate.vt->read(t, buf, len);
}

/* The engine stopped, its scheduler started again reading through the
 * gate (vtape otherwise). */
static void gate_sched(void)
{
	struct sched_config cfg;

	recall_stop(&fs);
	sched_stop(fs.sched);
	fs.sched = NULL;
	gate.vt = tape_backend("vtape");
	gate.ops = *gate.vt;
	gate.ops.read = gate_read;
	memset(&cfg, 0, sizeof(cfg));
	cfg.changer = fs.changer;
	cfg.tape_ops = &gate.ops;
	cfg.ndrives = rx.drives;
	CHECK_INT(sched_start(&fs.sched, &cfg), 0);
}

static void gate_arm(const char *barcode, uint64_t after)
{
	pthread_mutex_lock(&gate.mu);
	snprintf(gate.image, sizeof(gate.image), "%s.vtape", barcode);
	gate.after = after;
	gate.held = 0;
	gate.armed = 1;
	pthread_mutex_unlock(&gate.mu);
}

/* 1 once a read waits at the gate, 0 when none did within secs. */
static int gate_wait_held(int secs)
{
	struct timespec until;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += secs;
	pthread_mutex_lock(&gate.mu);
	while (!gate.held && !ret)
		ret = pthread_cond_timedwait(&gate.cv, &gate.mu, &until);
	ret = gate.held;
	pthread_mutex_unlock(&gate.mu);
	return ret;
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate.mu);
	gate.armed = 0;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

/* A file being recalled is never evicted: while X is read from tape A
 * (held at the gate after its first data record), a read of Y on tape B
 * needs room and evicts Z (cached, closed), not X; X then completes with
 * its bytes. */
static void test_evict_spares_recalling(void)
{
	int x = -1, y = -1, z = -1, err;

	for (int i = 0; i < nfiles; i++) {
		if (files[i].size < 50 * 1024 || i % NFILES == 8 ||
		    recall_state(fs.recall, files[i].id) != RECALL_OFFLINE)
			continue;
		if (x < 0)
			x = i;
		else if (y < 0 && files[i].archive != files[x].archive)
			y = i;
		else if (z < 0 && files[i].archive != files[x].archive)
			z = i;
	}
	CHECK(x >= 0 && y >= 0 && z >= 0);
	if (x < 0 || y < 0 || z < 0)
		return;
	gate_sched(); /* stops the engine */
	/* room for X and Z, or X and Y, not for the three */
	fs.cfg.cache_size = files[x].size + files[y].size + files[z].size - 1;
	CHECK_INT(fx_recall_start(&rx), 0);
	if (!fs.recall)
		return;
	/* X is more than one record: its second waits at the gate */
	gate_arm(bc[0], files[x].data_block[0]);
	CHECK_INT(recall_request(fs.recall, files[x].id, bc[0], 0), 0);
	CHECK(gate_wait_held(30)); /* X is on the drive, being read */
	CHECK_INT(read_check(z, bc[1], &err), 0); /* Z: cached, closed */
	CHECK_INT(recall_state(fs.recall, files[z].id), RECALL_CACHED);
	CHECK_INT(read_check(y, bc[1], &err), 0); /* evicts Z, not X */
	CHECK_INT(recall_state(fs.recall, files[z].id), RECALL_OFFLINE);
	CHECK_INT(recall_state(fs.recall, files[x].id), RECALL_RECALLING);
	gate_open();
	CHECK(wait_cached(x, 30));
	CHECK_INT(read_check(x, NULL, &err), 0);
	CHECK_INT(err, 0);
}

/* Two offline members of one archive, a in a block before b's. */
static int pick_two(int *a, int *b)
{
	for (int k = 0; k < NARCH; k++) {
		int n = 0, got[2];

		for (int i = k * NFILES; i < (k + 1) * NFILES && n < 2; i++)
			if (files[i].size && i % NFILES != 8 &&
			    recall_state(fs.recall, files[i].id) ==
				RECALL_OFFLINE &&
			    (!n || files[i].block[0] > files[got[0]].block[0]))
				got[n++] = i;
		if (n == 2) {
			*a = got[0];
			*b = got[1];
			return 0;
		}
	}
	return -1;
}

/* The text of `.recall` and of the recall lines of `.status`: the queue
 * of a tape in block order while its drive is held, then the results; a
 * refused line. */
static void test_recall_text(void)
{
	struct fx_holder h;
	struct strbuf sb, want;
	int a, b;

	recall_stop(&fs);
	fs.cfg.cache_size = 0; /* unlimited */
	CHECK_INT(fx_recall_start(&rx), 0);
	if (!fs.recall || pick_two(&a, &b)) {
		CHECK(!"two offline members of one archive");
		return;
	}
	fx_hold(fs.sched, &h, bc[0]);

	/* b asked first; shown in block order */
	CHECK_INT(recall_request(fs.recall, files[b].id, bc[0], 0), 0);
	CHECK_INT(recall_request(fs.recall, files[a].id, bc[0], 0), 0);
	strbuf_init(&want);
	strbuf_addf(&want,
		    "# write archive paths, one per line, to recall them in "
		    "tape order\n# (or: priority N PATH, cancel PATH, release "
		    "PATH)\nqueued: 2\ntape %s: 2 queued\n"
		    "  block %" PRIu64 " priority 0 queued 0 of %" PRIu64
		    " eta %s %s\n"
		    "  block %" PRIu64 " priority 0 queued 0 of %" PRIu64
		    " eta %s %s\nrecent:\n",
		    bc[0], files[a].block[0], files[a].size, "X", files[a].name,
		    files[b].block[0], files[b].size, "X", files[b].name);
	recall_text(&sb);
	eta_blank(sb.buf);
	CHECK_STR(sb.buf, want.buf);
	strbuf_release(&sb);
	strbuf_release(&want);
	strbuf_init(&sb);
	ns_recall_status(&fs, &sb);
	CHECK(sb.buf &&
	      !strncmp(sb.buf,
		       "recall_queue: 2\nrecall_waiting: 0\nrecall_cache: ",
		       strlen("recall_queue: 2\nrecall_waiting: 0\n"
			      "recall_cache: ")));
	CHECK(sb.buf && strstr(sb.buf, " of unlimited\n") != NULL);
	strbuf_release(&sb);

	fx_unhold(&h);
	CHECK(wait_cached(a, 30) && wait_cached(b, 30));
	recall_durable_wait(fs.recall); /* no "syncing: N" line left */

	CHECK_INT(ns_recall_ctl.control(&fs, "", "no/such/file"), -ENOENT);
	strbuf_init(&want);
	strbuf_addf(&want,
		    "queued: 0\nrecent:\n  OK %s (%s file %d)\n"
		    "  OK %s (%s file %d)\n  REFUSED no/such/file: no archived "
		    "file\n",
		    files[a].name, bc[0], files[a].archive + 1, files[b].name,
		    bc[0], files[b].archive + 1);
	recall_text(&sb);
	CHECK(want.buf && strstr(sb.buf, want.buf) != NULL);
	strbuf_release(&sb);
	strbuf_release(&want);
}

int main(void)
{
	if (!getcwd(top, sizeof(top)))
		return 1;
	if (!fx_recall_up(&rx, &fs, 2, 1, setup)) {
		RUN(test_nonblock);
		RUN(test_last_archive);
		RUN(test_batch_order);
		RUN(test_faults);
		RUN(test_restart_and_lru);
		RUN(test_evict_spares_recalling);
		RUN(test_recall_text);
	}
	fx_recall_fini(&rx);
	return check_done();
}
