/* fs/ns/ns_library.c - .library: control of the tape library at the root.
 *   echo inventory > .library       new cartridges join the catalog,
 *                                   missing tapes become "out of library"
 *   echo 'export LABEL' > .library  move a tape to an import/export slot
 *   echo 'label SLOT BARCODE POOL' > .library
 *                                   label the cartridge of SLOT by hand (a
 *                                   library without a barcode reader)
 * Requests are queued on the dump engine's thread (robot work never runs
 * in a FUSE request thread); reading .library shows the last results and
 * the grammar. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/tapefs.h"
#include "tapeio/vlib.h"

static const char library_usage[] =
    "inventory | export LABEL | label SLOT BARCODE POOL";

static int library_render(struct tapefs *fs, const char *rel,
			  struct strbuf *out)
{
	(void)rel;
	if (fs->dump)
		dump_inventory_render(fs->dump, out);
	strbuf_addf(out,
		    "usage: echo inventory > .library (new cartridges join "
		    "the catalog, blank ones whose barcode starts with a "
		    "pool's name are labelled for it; tapes not in the "
		    "library are marked 'out of library') | echo 'export "
		    "LABEL' > .library (move the tape to an empty "
		    "import/export slot) | echo 'label SLOT BARCODE POOL' > "
		    ".library (label the cartridge in SLOT by hand, for a "
		    "library without a barcode reader: it becomes a scratch "
		    "tape BARCODE of POOL)\n");
	return strbuf_oom(out) ? -ENOMEM : 0;
}

static int library_getattr(struct tapefs *fs, const char *rel,
			   struct ns_attr *out)
{
	if (*rel)
		return -ENOTDIR;
	out->kind = NS_CONTROL;
	out->st.st_mode = 0644;
	ns_size_by_render(fs, &ns_library, rel, out);
	return 0;
}

static int library_export(struct tapefs *fs, const char *bc)
{
	struct catalog_tape t;
	int ret;

	ret = catalog_tape_get(fs->cat, bc, &t);
	if (ret == -ENOENT || ret == -EINVAL) {
		tapefs_error(fs, ".library: export: unknown tape '%.40s'", bc);
		return -ENOENT;
	}
	if (ret)
		return ret;
	ret = dump_export_request(fs->dump, bc);
	if (ret == -EBUSY)
		tapefs_error(fs,
			     ".library: export %s refused: a dump is writing "
			     "to it",
			     bc);
	else if (ret == -EAGAIN)
		tapefs_error(fs,
			     ".library: export %s refused: too many exports "
			     "queued",
			     bc);
	return ret;
}

static int pool_known(const struct tapefs *fs, const char *pool)
{
	for (int i = 0; i < fs->cfg.npools; i++)
		if (!strcmp(fs->cfg.pools[i], pool))
			return 1;
	return 0;
}

/* "label SLOT BARCODE POOL": checked here against the catalog, the
 * configuration and the scheduler's last view of the slots (no robot
 * work), then queued; the engine checks the library itself again. */
static int library_label(struct tapefs *fs, const char *args)
{
	char slot_s[16], bc[64], pool[64], extra[2], *end;
	struct catalog_tape t;
	long slot;
	int ret;

	if (sscanf(args, "%15s %63s %63s %1s", slot_s, bc, pool, extra) != 3) {
		tapefs_error(fs, ".library: label needs SLOT BARCODE POOL");
		return -EINVAL;
	}
	slot = strtol(slot_s, &end, 10);
	if (*end || slot < 1 || slot > 1000000) {
		tapefs_error(fs, ".library: label: bad slot '%s'", slot_s);
		return -EINVAL;
	}
	if (!vlib_barcode_valid(bc)) {
		tapefs_error(fs, ".library: label: bad barcode '%.40s' (1 to 32 of A-Z a-z 0-9 _ -)",
			     bc);
		return -EINVAL;
	}
	if (!pool_known(fs, pool)) {
		tapefs_error(fs, ".library: label: unknown pool '%.20s'", pool);
		return -EINVAL;
	}
	ret = catalog_tape_get(fs->cat, bc, &t);
	if (ret == 0) {
		tapefs_error(fs, ".library: label: %s is already a tape of the catalog",
			     bc);
		return -EEXIST;
	}
	if (ret != -ENOENT)
		return ret;
	ret = fs->sched ? sched_slot_state(fs->sched, (int)slot) : -ENODEV;
	if (ret == -EINVAL) {
		tapefs_error(fs, ".library: label: no slot %ld (the library has %d)",
			     slot, sched_nslots(fs->sched));
		return -ERANGE;
	}
	if (ret == -ENOMEDIUM) {
		tapefs_error(fs, ".library: label: slot %ld is empty", slot);
		return -ENOMEDIUM;
	}
	if (ret < 0)
		return -EOPNOTSUPP;
	ret = dump_label_request(fs->dump, (int)slot, bc, pool);
	if (ret == -EALREADY)
		tapefs_error(fs, ".library: label: slot %ld or %s is queued already",
			     slot, bc);
	else if (ret == -EAGAIN)
		tapefs_error(fs, ".library: label: too many labels queued");
	return ret;
}

static int library_control(struct tapefs *fs, const char *rel,
			   const char *line)
{
	(void)rel;
	if (!fs->dump || !fs->cat) {
		tapefs_error(fs, ".library: no dump engine in this build");
		return -EOPNOTSUPP;
	}
	if (!strcmp(line, "inventory"))
		return dump_inventory_request(fs->dump);
	if (!strncmp(line, "export ", 7) && line[7])
		return library_export(fs, line + 7);
	if (!strncmp(line, "label ", 6))
		return library_label(fs, line + 6);
	tapefs_error(fs, ".library: unknown request '%.40s'; usage: %s", line,
		     library_usage);
	return -EINVAL;
}

const struct ns_provider ns_library = {
    .name = ".library",
    .getattr = library_getattr,
    .render = library_render,
    .control = library_control,
};
