/* fs/mount.c - `tapefs [-f] [-o OPTIONS] -c CONFIG MOUNTPOINT`: the daemon.
 *
 * Order: command line, config (errors exit 1 before anything is mounted),
 * a trial open of the catalog (its pages checked: a damaged one is
 * refused) and the changer (so that their errors reach
 * the terminal even when the daemon goes to the background) with the
 * registration of new cartridges (library_sync(), fs/engine/library.h),
 * mount, daemonize, then the subsystems in order - catalog, changer,
 * scheduler, library, dump, verify, recall - and the FUSE loop. At
 * unmount (fusermount3 -u, or SIGTERM/SIGINT) the loop ends and the
 * subsystems stop in reverse order (the library's queue before the dump,
 * so that a dump waiting for an import gives up); each stop leaves its
 * pending work recorded so that the next mount resumes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs/cmd.h"
#include "fs/config.h"
#include "fs/engine/library.h"
#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ops.h"
#include "fs/version.h"

struct mount_opts {
	char *config;
	int show_help;
};

#define MOPT(t, p)                                                             \
	{                                                                      \
		t, offsetof(struct mount_opts, p), 1                           \
	}
static const struct fuse_opt mount_spec[] = {
    MOPT("-c %s", config), MOPT("--config=%s", config), MOPT("-h", show_help),
    MOPT("--help", show_help), FUSE_OPT_END};

static void usage(const char *prog)
{
	printf("usage: %s [-f] [-o OPTIONS] -c CONFIG MOUNTPOINT\n"
	       "       %s mkvlib|vtape|fsck ...\n\n"
	       "  -c CONFIG   the ini file (docs/config.md)\n"
	       "  -f          stay in the foreground\n"
	       "  -o OPTIONS  FUSE mount options (allow_other, "
	       "default_permissions, ...)\n\n",
	       prog, prog);
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/* mkdir -p of a directory the config names (what is made is private:
 * 0700); 0 or -errno. */
static int make_dir(const char *path)
{
	char *p = strdup(path);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			ret = -errno;
		*s = '/';
	}
	if (!ret && mkdir(p, 0700) < 0 && errno != EEXIST)
		ret = -errno;
	free(p);
	return ret;
}

static int open_catalog(struct tapefs *fs)
{
	int ret = catalog_open(&fs->cat, fs->cfg.catalog);

	if (ret) {
		fprintf(stderr, "tapefs: catalog '%s': %s%s\n", fs->cfg.catalog,
			strerror(-ret),
			ret == -EIO ? " (tapefs fsck -c CONFIG says more)"
				    : "");
		fs->cat = NULL;
	}
	return ret;
}

/* How long the mount spends checking the catalog's pages: a catalog of a
 * million members is checked whole in about 2 s (docs/mount.md). */
#define CATALOG_CHECK_MS 10000

/* The catalog's pages, before anything trusts it: a damaged catalog is
 * refused (the mount would show entries it cannot read). 0 or -EUCLEAN. */
static int check_catalog(struct tapefs *fs)
{
	char why[512];
	int ret =
	    catalog_quick_check(fs->cat, CATALOG_CHECK_MS, why, sizeof(why));

	if (ret < 0) {
		fprintf(stderr,
			"tapefs: catalog '%s' is damaged (%s): not mounted; "
			"run `tapefs fsck -c %s` (restore the catalog from "
			"its backup if it cannot be read)\n",
			fs->cfg.catalog, why, fs->cfg.path);
		return ret;
	}
	if (ret > 0)
		fprintf(stderr,
			"tapefs: catalog '%s': its check stopped after %d s, "
			"the part read is sound (tapefs fsck checks it "
			"whole)\n",
			fs->cfg.catalog, CATALOG_CHECK_MS / 1000);
	return 0;
}

static void close_catalog(struct tapefs *fs)
{
	if (fs->cat)
		catalog_close(fs->cat);
	fs->cat = NULL;
}

static int open_changer(struct tapefs *fs)
{
	struct changer_conf cc = {fs->cfg.changer, fs->cfg.changer_spec,
				  fs->cfg.mtx, fs->cfg.drive_dev[0]};
	char err[4400];
	int ret = changer_open_conf(&fs->changer, &cc, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "tapefs: %s: %s\n", fs->cfg.path, err);
		fs->changer = NULL;
	}
	return ret;
}

static int start_sched(struct tapefs *fs)
{
	struct sched_config sc;
	struct changer_inv inv;
	int ret;

	if (!fs->changer)
		return 0;
	memset(&sc, 0, sizeof(sc));
	sc.changer = fs->changer;
	sc.tape_ops = tape_backend(fs->cfg.tape);
	if (!sc.tape_ops) {
		fprintf(stderr, "tapefs: unknown tape backend '%s'\n",
			fs->cfg.tape);
		return -EINVAL;
	}
	sc.ndrives = fs->cfg.ndrives;
	if (!sc.ndrives) {
		ret = changer_inventory(fs->changer, &inv);
		if (ret) {
			fprintf(stderr, "tapefs: changer inventory: %s\n",
				changer_error(fs->changer));
			return ret;
		}
		sc.ndrives = inv.ndrives;
		changer_inv_free(&inv);
	}
	for (int i = 0; i < sc.ndrives && i < SCHED_DRIVES_MAX; i++)
		sc.drive_dev[i] = fs->cfg.drive_dev[i];
	ret = sched_start(&fs->sched, &sc);
	if (ret) {
		fprintf(stderr, "tapefs: drive scheduler: %s\n",
			strerror(-ret));
		fs->sched = NULL;
	}
	return ret;
}

/* Start what needs a tape library and a catalog, in order. */
static int start_engines(struct tapefs *fs)
{
	int ret;

	ret = open_catalog(fs);
	if (ret)
		return ret;
	ret = open_changer(fs);
	if (ret)
		return ret;
	ret = library_sync(fs);
	if (ret < 0)
		return ret;
	for (int i = 0; i < fs->cfg.copies; i++)
		if (catalog_tape_count(fs->cat, fs->cfg.pools[i], -1) == 0)
			tapefs_error(fs,
				     "pool '%s' has no tapes: copy %d cannot "
				     "be written",
				     fs->cfg.pools[i], i + 1);
	ret = start_sched(fs);
	if (ret)
		return ret;
	if (fs->cat && fs->sched) {
		ret = library_start(fs);
		if (ret) {
			fprintf(stderr, "tapefs: library: %s\n",
				strerror(-ret));
			return ret;
		}
		ret = dump_start(fs);
		if (ret) {
			fprintf(stderr, "tapefs: dump engine: %s\n",
				strerror(-ret));
			return ret;
		}
	}
	if (fs->cat && fs->sched) {
		ret = verify_start(fs);
		if (ret) {
			fprintf(stderr, "tapefs: verify engine: %s\n",
				strerror(-ret));
			return ret;
		}
	}
	if (fs->cat && fs->sched) {
		ret = recall_start(fs);
		if (ret) {
			fprintf(stderr, "tapefs: recall engine: %s\n",
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Reverse order of start_engines(); safe on a partial start. */
static void stop_engines(struct tapefs *fs)
{
	if (fs->recall)
		recall_stop(fs);
	if (fs->verify)
		verify_stop(fs);
	library_stop(fs); /* before the dump: its imports give up */
	if (fs->dump)
		dump_stop(fs);
	if (fs->sched)
		sched_stop(fs->sched);
	fs->sched = NULL;
	if (fs->changer)
		changer_close(fs->changer);
	fs->changer = NULL;
	close_catalog(fs);
}

/* Every open file of the mount holds a descriptor in the daemon (staging
 * files, cache files): take the hard limit, not the usual soft 1024. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Before mounting: what can fail for a reason the user must see. */
static int preflight(struct tapefs *fs)
{
	int ret = make_dir(fs->cfg.staging);

	if (ret) {
		fprintf(stderr, "tapefs: staging '%s': %s\n", fs->cfg.staging,
			strerror(-ret));
		return ret;
	}
	fs->staging_fd =
	    open(fs->cfg.staging, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->staging_fd < 0) {
		ret = -errno;
		fprintf(stderr, "tapefs: staging '%s': %s\n", fs->cfg.staging,
			strerror(errno));
		return ret;
	}
	ret = open_catalog(fs);
	if (!ret)
		ret = check_catalog(fs);
	if (!ret)
		ret = open_changer(fs);
	/* Registering new cartridges may move the robot (mtx): done here,
	 * before the mount exists, so that nobody waits on a mount point
	 * that does not answer yet. The daemon's own pass finds them known. */
	if (!ret && library_sync(fs) < 0) {
		fprintf(stderr, "tapefs: library inventory: %s\n",
			changer_error(fs->changer));
		ret = -EIO;
	}
	stop_engines(fs); /* reopened after the fork */
	return ret;
}

/* The FUSE loop until unmount: one thread, or workers as requests come. */
static int loop(struct fuse_session *se, struct fuse_cmdline_opts *cmd)
{
	struct fuse_loop_config *lc;
	int ret;

	if (cmd->singlethread)
		return fuse_session_loop(se) ? 1 : 0;
	lc = fuse_loop_cfg_create();
	if (!lc)
		return 1;
	fuse_loop_cfg_set_clone_fd(lc, (unsigned)cmd->clone_fd);
	/* Reads waiting on a tape hold a worker each; keep plenty so that
	 * lookups never queue behind them (fs/engine/recall.h). */
	fuse_loop_cfg_set_max_threads(
	    lc, cmd->max_threads > 10 ? cmd->max_threads : 1024);
	fuse_loop_cfg_set_idle_threads(
	    lc, cmd->max_idle_threads < UINT_MAX ? cmd->max_idle_threads : 16);
	ret = fuse_session_loop_mt(se, lc) ? 1 : 0;
	fuse_loop_cfg_destroy(lc);
	return ret;
}

static int run(struct tapefs *fs, struct fuse_args *args,
	       struct fuse_cmdline_opts *cmd)
{
	struct ops_mount om = {.fs = fs};
	struct fuse_session *se;
	int ret = 1;

	/* A listing of a large directory is a few megabytes, freed at once.
	 * glibc raises its mmap threshold after each such free and then keeps
	 * the next ones in every thread's arena: the daemon would grow by one
	 * listing per worker. A fixed threshold hands them back at free. */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	if (ops_nodes_new(&om.nodes))
		return 1;
	se = fuse_session_new(args, ops_table(), sizeof(*ops_table()), &om);
	if (!se)
		goto out_nodes;
	if (fuse_session_mount(se, cmd->mountpoint))
		goto out_destroy;
	/* fuse_daemonize() points stderr at /dev/null; a log redirected to a
	 * file (not a terminal) is worth keeping for the background daemon */
	int log_fd = cmd->foreground || isatty(2) ? -1 : dup(2);
	if (fuse_daemonize(cmd->foreground)) {
		if (log_fd >= 0)
			close(log_fd);
		goto out_unmount;
	}
	if (log_fd >= 0) {
		dup2(log_fd, 2);
		close(log_fd);
	}
	if (fuse_set_signal_handlers(se))
		goto out_unmount;
	if (!start_engines(fs))
		ret = loop(se, cmd);
	stop_engines(fs);
	fuse_remove_signal_handlers(se);
out_unmount:
	fuse_session_unmount(se);
out_destroy:
	fuse_session_destroy(se);
out_nodes:
	ops_nodes_free(om.nodes);
	return ret;
}

/* The mountpoint among the arguments fuse_parse_cmdline() will see: the
 * non-option argument (options "-o X" take one). NULL when none. */
static const char *find_mountpoint(const struct fuse_args *args)
{
	const char *mp = NULL;

	for (int i = 1; i < args->argc; i++) {
		if (!strcmp(args->argv[i], "-o")) {
			i++;
			continue;
		}
		if (args->argv[i][0] != '-')
			mp = args->argv[i];
	}
	return mp;
}

/* A daemon killed with its mount up leaves the mountpoint answering
 * ENOTCONN; take that dead mount away (lazily) so the new daemon can
 * mount. A live mount is left alone: fuse_mount() then refuses. The
 * kernel answers a stat from attributes it still caches (a second after
 * the last access): the question goes to the daemon (AT_STATX_FORCE_SYNC). */
static void clear_dead_mount(const struct fuse_args *args)
{
	const char *mp = find_mountpoint(args);
	struct statx stx;
	char cmd[4200];

	if (!mp ||
	    statx(AT_FDCWD, mp, AT_STATX_FORCE_SYNC, STATX_TYPE, &stx) == 0 ||
	    errno != ENOTCONN)
		return;
	fprintf(stderr,
		"tapefs: %s: the mount of a dead daemon is in the "
		"way; unmounting it\n",
		mp);
	if (strchr(mp, '\''))
		return;
	snprintf(cmd, sizeof(cmd),
		 "fusermount3 -u -z '%s' 2>/dev/null || "
		 "umount -l '%s' 2>/dev/null",
		 mp, mp);
	if (system(cmd) != 0)
		fprintf(stderr, "tapefs: %s: could not unmount it\n", mp);
}

int cmd_mount(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmd;
	struct mount_opts mo = {0};
	struct tapefs *fs = NULL;
	char err[768];
	int ret = 2;

	memset(&cmd, 0, sizeof(cmd));
	if (fuse_opt_parse(&args, &mo, mount_spec, NULL) == -1)
		goto out_args;
	if (mo.show_help) {
		usage(argv[0]);
		ret = 0;
		goto out_args;
	}
	clear_dead_mount(&args);
	if (fuse_parse_cmdline(&args, &cmd) != 0)
		goto out_args;
	if (cmd.show_version) {
		printf("tapefs %s\nFUSE library %s\n", tapefs_version,
		       fuse_pkgversion());
		ret = 0;
		goto out_args;
	}
	if (!mo.config || !cmd.mountpoint) {
		fprintf(stderr,
			"usage: %s [-f] [-o OPTIONS] -c CONFIG MOUNTPOINT\n",
			argv[0]);
		goto out_args;
	}
	/* Permissions are checked by the kernel against the owner, group
	 * and mode the daemon gives every entry, whatever -o says: without
	 * it, allow_other would let any user read what the daemon (root)
	 * can (docs/mount.md, "Permissions"). */
	if (fuse_opt_add_arg(&args, "-odefault_permissions"))
		goto out_args;
	/* What the daemon makes for itself is private (ops.h). */
	umask(OPS_UMASK);
	ret = 1;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		goto out_args;
	fs->staging_fd = -1;
	pthread_mutex_init(&fs->errors.lock, NULL);
	if (config_load(&fs->cfg, mo.config, err, sizeof(err))) {
		fprintf(stderr, "tapefs: %s\n", err);
		goto out_fs;
	}
	fs->owner = getuid();
	fs->owner_gid = getgid();
	fs->mounted = time(NULL);
	raise_nofile();
	if (library_init(fs))
		goto out_cfg;
	if (preflight(fs))
		goto out_cfg;
	ret = run(fs, &args, &cmd);
out_cfg:
	library_free(fs);
	if (fs->staging_fd >= 0)
		close(fs->staging_fd);
	config_release(&fs->cfg);
out_fs:
	pthread_mutex_destroy(&fs->errors.lock);
	free(fs);
out_args:
	free(cmd.mountpoint);
	free(mo.config);
	fuse_opt_free_args(&args);
	return ret;
}
