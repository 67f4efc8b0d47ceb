/* fs/ns_library.c - .library: control of the tape library at the root.
 *   echo inventory > .library       new cartridges join the catalog,
 *                                   missing tapes become "out of library"
 *   echo 'export LABEL' > .library  move a tape to an import/export slot
 * Requests are queued on the dump engine's thread (robot work never runs
 * in a FUSE request thread); reading .library shows the last results and
 * the grammar. */
#include <errno.h>
#include <string.h>

#include "fs/modules.h"
#include "fs/ns_local.h"
#include "fs/tapefs.h"

static const char library_usage[] = "inventory | export LABEL";

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
		    "import/export slot)\n");
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
