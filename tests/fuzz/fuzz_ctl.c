/* tests/fuzz/fuzz_ctl.c - the control files of a mount and the paths a
 * user may look up, through the namespace providers (fs/ns/ns.h) with the
 * engines running, as the mount calls them: `.dump`, `.verify`, `.recall`,
 * `.library` and tapes/LABEL/.ctl take one request per line (check(), then
 * control() of a line check() passed), and any path below tapes/,
 * archive/, verify/ and drives/ may be looked up (getattr(), then render()
 * of what exists).
 *
 * Input: byte 0 picks the file (modulo 6) and, when its bit 7 is set,
 * renders .status and .status.json afterwards; the rest, cut at each LF,
 * gives the lines (at most 16). For tapes/ (4) the first line is the path below
 * tapes/ ("A00001L9/.ctl") and the others its requests; for lookups (5)
 * every line is a path, looked up below each directory.
 *
 * The engines run over a small virtual library made once per process in
 * a scratch directory (drives 2, tapes A00001L9, B00001L9, A00002L9 in
 * the catalog, a blank C00001L9 to label, a staging area with a file and
 * two directories), so state carries from one input to the next (a tape
 * retired stays retired, a dump that ran emptied staging): a crash found
 * here may need the inputs before it. Every call must return 0 or an
 * -errno, and what reading the file shows afterwards must render (with a
 * request or a reason quoted in it, whatever bytes it held). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/library.h"
#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"
#include "fs/engine/verify.h"
#include "fs/ns/ns_local.h"
#include "tests/fuzz/fuzz.h"
#include "tests/lib_fixture.h"

#define LINES_MAX 16

static struct tapefs fs;
static struct changer *chg;
static char top[256];

static void env_stop(void)
{
	recall_stop(&fs);
	verify_stop(&fs);
	library_stop(&fs);
	dump_stop(&fs);
	if (fs.sched)
		sched_stop(fs.sched);
	library_free(&fs);
	if (chg)
		changer_close(chg);
	if (fs.cat)
		catalog_close(fs.cat);
	if (fs.staging_fd > 0)
		close(fs.staging_fd);
	if (top[0]) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		if (system(cmd)) {
			/* best effort: a scratch directory */
		}
	}
}

/* Path top/name, malloc'd. */
static char *at(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", top, name) < 0)
		fuzz_fail("out of memory");
	return p;
}

static void env_config(struct tapefs_config *c)
{
	memset(c, 0, sizeof(*c));
	c->catalog = at("catalog.db");
	c->catalog_tmp = strdup(top); /* as the config sets it: beside */
	c->staging = at("staging");
	c->cache = at("cache");
	c->cache_size = 64 << 20;
	c->block_size = 64 << 10;
	c->copies = 1;
	c->npools = 2;
	c->pools[0] = strdup("A");
	c->pools[1] = strdup("B");
	c->dump_bytes = 1ull << 40;
	c->dump_files = 1000000;
	c->dump_idle = 0; /* dumps on request only */
	c->changer = strdup("vlib");
	c->changer_spec = at("lib");
	c->mtx = strdup("mtx");
	c->tape = strdup("vtape");
	c->ndrives = 2;
}

/* The library, catalog, staging area and engines, once. */
static void env_start(void)
{
	struct fx_lib lib = {.drives = 2,
			     .slots = 6,
			     .ie = 1,
			     .tapes = 3,
			     .capacity = 16 << 20,
			     .pools = 2,
			     .block_size = 64 << 10};
	struct fx_cart blank = {
	    .barcode = "C00001L9", .slot = 5, .capacity = 16 << 20};
	const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	char *p;

	snprintf(top, sizeof(top), "%s/tapefs-fuzz-ctl.XXXXXX", base);
	if (!mkdtemp(top))
		fuzz_fail("mkdtemp %s: %s", top, strerror(errno));
	atexit(env_stop);
	pthread_mutex_init(&fs.errors.lock, NULL);
	env_config(&fs.cfg);
	p = at("lib");
	FUZZ_ASSERT(fx_lib_setup(p, &lib) == 0 && fx_cartridge(p, &blank) == 0);
	FUZZ_ASSERT((chg = fx_changer(p)) != NULL);
	free(p);
	FUZZ_ASSERT(mkdir(fs.cfg.staging, 0700) == 0);
	p = at("staging/d1");
	FUZZ_ASSERT(mkdir(p, 0700) == 0);
	free(p);
	p = at("staging/d2");
	FUZZ_ASSERT(mkdir(p, 0700) == 0);
	free(p);
	p = at("staging/d1/f");
	FUZZ_ASSERT(fx_make_file(p, 1000, 1) == 0);
	free(p);
	fs.staging_fd = open(fs.cfg.staging, O_PATH | O_DIRECTORY | O_CLOEXEC);
	FUZZ_ASSERT(fs.staging_fd >= 0);
	FUZZ_ASSERT(catalog_open(&fs.cat, fs.cfg.catalog) == 0);
	fs.changer = chg;
	FUZZ_ASSERT(library_init(&fs) == 0);
	FUZZ_ASSERT(library_sync(&fs) >= 3);
	FUZZ_ASSERT((fs.sched = fx_sched(chg, 2)) != NULL);
	FUZZ_ASSERT(library_start(&fs) == 0);
	FUZZ_ASSERT(dump_start(&fs) == 0);
	FUZZ_ASSERT(verify_start(&fs) == 0);
	FUZZ_ASSERT(recall_start(&fs) == 0);
}

/* What reading p's rel shows now renders, whatever it quotes. */
static void render(const struct ns_provider *p, const char *rel)
{
	struct strbuf sb;
	int ret;

	if (!p->render)
		return;
	strbuf_init(&sb);
	ret = p->render(&fs, rel, &sb);
	FUZZ_ASSERT(ret <= 0 && ret > -4096);
	strbuf_release(&sb);
}

/* As the mount does: check() the line, and control() it only when check()
 * passed it; a refusal says why. */
static void control(const struct ns_provider *p, const char *rel,
		    const char *line)
{
	char why[320] = "";
	int ret = p->check ? p->check(&fs, rel, line, why, sizeof(why)) : 0;

	FUZZ_ASSERT(ret <= 0 && ret > -4096);
	FUZZ_ASSERT(memchr(why, 0, sizeof(why)));
	if (ret)
		return;
	ret = p->control(&fs, rel, line);
	FUZZ_ASSERT(ret <= 0 && ret > -4096);
}

/* A path a user looks up below each directory of the mount. */
static void lookup(const char *rel)
{
	static const struct ns_provider *const dirs[] = {
	    &ns_tapes, &ns_archive, &ns_verify_dir, &ns_drives};
	struct ns_attr a;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		memset(&a, 0, sizeof(a));
		if (dirs[i]->getattr(&fs, rel, &a) == 0 &&
		    (a.kind == NS_TEXT || a.kind == NS_CONTROL))
			render(dirs[i], rel);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ns_provider *const files[] = {
	    &ns_dump_ctl, &ns_verify_ctl, &ns_recall_ctl, &ns_library,
	    &ns_tapes};
	char *text = fuzz_cstr(data + !!size, size - !!size), *save = NULL;
	unsigned which = size ? data[0] % 6 : 0;
	const char *rel = "";
	char *line;
	int n = 0;

	if (!fs.cat)
		env_start();
	for (line = strtok_r(text, "\n", &save); line && n < LINES_MAX;
	     line = strtok_r(NULL, "\n", &save), n++) {
		if (which == 5)
			lookup(line);
		else if (which == 4 && n == 0)
			rel = line;
		else
			control(files[which], rel, line);
	}
	if (which < 5)
		render(files[which], rel);
	if (size && data[0] & 0x80) { /* slow: not every time */
		render(&ns_status, "");
		render(&ns_status_json, "");
	}
	free(text);
	return 0;
}
