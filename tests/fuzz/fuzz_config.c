/* tests/fuzz/fuzz_config.c - the configuration file (fs/config.h:
 * config_load()), written to a scratch file. What loads is a whole,
 * consistent configuration (docs/config.md); what does not gives -EINVAL
 * and a "PATH:LINE: reason" message. */
#include <errno.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/config.h"
#include "tests/fuzz/fuzz.h"

static void check_cfg(const struct tapefs_config *c)
{
	FUZZ_ASSERT(c->path && c->catalog && c->staging && c->cache);
	FUZZ_ASSERT(c->catalog_shown && c->catalog_tmp);
	FUZZ_ASSERT(c->staging[0] == '/' && c->cache[0] == '/' &&
		    c->catalog_tmp[0] == '/');
	if (catalog_kind_of(c->catalog) == CATALOG_KIND_FILE)
		FUZZ_ASSERT(c->catalog[0] == '/');
	else
		FUZZ_ASSERT(catalog_kind_available(catalog_kind_of(c->catalog)));
	FUZZ_ASSERT(c->copies >= 1 && c->copies <= c->npools &&
		    c->npools <= TAPEFS_MAX_POOLS);
	for (int i = 0; i < c->npools; i++)
		FUZZ_ASSERT(c->pools[i] && c->pools[i][0] &&
			    !strchr(c->pools[i], '/'));
	FUZZ_ASSERT(c->block_size >= 512 && c->block_size <= (16u << 20) &&
		    c->block_size % 512 == 0);
	FUZZ_ASSERT(c->cache_size > 0 && c->dump_bytes > 0 &&
		    c->dump_files > 0);
	FUZZ_ASSERT(c->changer && c->tape && c->mtx);
	FUZZ_ASSERT(!strcmp(c->changer, "vlib") || !strcmp(c->changer, "mtx") ||
		    !strcmp(c->changer, "none"));
	FUZZ_ASSERT(!strcmp(c->tape, "vtape") || !strcmp(c->tape, "st"));
	FUZZ_ASSERT(c->ndrives >= 0 && c->ndrives <= TAPEFS_MAX_DRIVES);
	FUZZ_ASSERT(strcmp(c->changer, "none") || c->changer_spec ||
		    c->drive_dev[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("config.ini", data, size);
	struct tapefs_config cfg;
	char err[1024] = "";
	int ret = config_load(&cfg, path, err, sizeof(err));

	if (ret == 0) {
		check_cfg(&cfg);
		config_release(&cfg);
	} else {
		FUZZ_ASSERT(ret == -EINVAL);
		FUZZ_ASSERT(!strncmp(err, path, strlen(path)) &&
			    err[strlen(path)] == ':');
	}
	return 0;
}
