/* fs/reload.c - SIGHUP's reload of the config file (fs/reload.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "fs/config.h"
#include "fs/reload.h"

static int str_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* The names of the keys that differ between the mount's settings and the
 * file's and that only a remount applies, comma separated, into buf. */
static void fixed_changes(const struct tapefs_config *a,
			  const struct tapefs_config *b, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
#define CHANGED(cond, name)                                                    \
	do {                                                                   \
		if ((cond) && o < len)                                         \
			o += (size_t)snprintf(buf + o, len - o, "%s%s",        \
					      o ? ", " : "", name);            \
	} while (0)
	CHANGED(str_differs(a->catalog, b->catalog), "catalog");
	CHANGED(str_differs(a->staging, b->staging), "staging");
	CHANGED(str_differs(a->cache, b->cache), "cache");
	CHANGED(a->cache_size != b->cache_size, "cache_size");
	CHANGED(a->block_size != b->block_size, "block_size");
	CHANGED(a->copies != b->copies, "copies");
	int pools = a->npools != b->npools;
	for (int i = 0; i < a->npools && !pools; i++)
		pools = str_differs(a->pools[i], b->pools[i]);
	CHANGED(pools, "pools");
	CHANGED(str_differs(a->changer, b->changer), "changer");
	CHANGED(str_differs(a->changer_spec, b->changer_spec), "path");
	CHANGED(str_differs(a->mtx, b->mtx), "mtx");
	CHANGED(str_differs(a->tape, b->tape), "tape");
	CHANGED(a->ndrives != b->ndrives, "drives");
	CHANGED(memcmp(a->drive_id, b->drive_id, sizeof(a->drive_id)),
		"drive_ids");
	CHANGED(str_differs(a->host, b->host), "host");
	int devs = 0;
	for (int i = 0; i < TAPEFS_MAX_DRIVES && !devs; i++)
		devs = str_differs(a->drive_dev[i], b->drive_dev[i]);
	CHANGED(devs, "driveN");
#undef CHANGED
}

/* The [dump] thresholds: read by the dump engine's thread with atomic
 * loads. */
static void apply_dump(struct tapefs_config *live,
		       const struct tapefs_config *nc)
{
	__atomic_store_n(&live->dump_bytes, nc->dump_bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&live->dump_files, nc->dump_files, __ATOMIC_RELAXED);
	__atomic_store_n(&live->dump_idle, nc->dump_idle, __ATOMIC_RELAXED);
}

int reload_config(struct tapefs *fs)
{
	struct tapefs_config nc;
	char err[768], fixed[256];
	int ret, old;

	ret = config_load(&nc, fs->cfg.path, err, sizeof(err));
	if (ret < 0) {
		tapefs_log(fs, LOG_ERR, "reload: %s; nothing changed", err);
		return ret;
	}
	/* said at the louder of the two levels: the change is always in the
	 * log, whichever way it goes */
	old = __atomic_load_n(&fs->log.level, __ATOMIC_RELAXED);
	if (nc.log_level > (old ? old : LOG_INFO))
		tapefs_log_set_level(fs, nc.log_level);
	tapefs_log(fs, LOG_NOTICE,
		   "reload: log_level=%s dump bytes=%" PRIu64 " files=%" PRIu64
		   " idle=%u",
		   tapefs_log_level_name(nc.log_level), nc.dump_bytes,
		   nc.dump_files, nc.dump_idle);
	tapefs_log_set_level(fs, nc.log_level);
	apply_dump(&fs->cfg, &nc);
	fixed_changes(&fs->cfg, &nc, fixed, sizeof(fixed));
	if (fixed[0])
		tapefs_log(fs, LOG_WARNING,
			   "reload: changed in the file, applied at the next "
			   "mount only: %s",
			   fixed);
	config_release(&nc);
	return 0;
}
