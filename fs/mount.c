/* fs/mount.c - the daemon: `tapefs [-f] [-o OPTIONS] -c CONFIG MOUNTPOINT`,
 * or `tapefs CONFIG MOUNTPOINT [-o OPTIONS]`, the form mount.fuse3 runs for
 * `mount -t fuse.tapefs CONFIG MOUNTPOINT` and an fstab line.
 *
 * Order: command line, config (errors exit 1 before anything is mounted),
 * the log (syslog; stderr too with -f), a trial open of the catalog (its
 * pages checked: a damaged one is refused) and the changer (so that their
 * errors reach the terminal even when the daemon goes to the background)
 * with the registration of new cartridges (library_sync(),
 * fs/engine/library.h) and, with [library] host, the refusal of a name
 * another live daemon holds (fs/engine/host.h), mount, daemonize, then the
 * subsystems in order - catalog, the host's join, changer, scheduler,
 * library, dump, verify, recall, the host's take-overs - READY=1 for
 * the service manager (fs/service.h), and the FUSE loop. At unmount
 * (fusermount3 -u, or SIGTERM/SIGINT; SIGHUP reloads, never unmounts) the
 * loop ends and the subsystems stop in reverse order (the library's queue
 * before the dump, so that a dump waiting for an import gives up); each
 * stop leaves its pending work recorded so that the next mount resumes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fs/cmd.h"
#include "fs/config.h"
#include "fs/engine/library.h"
#include "fs/engine/private_dir.h"
#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/host.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/mountpoint.h"
#include "fs/ops.h"
#include "fs/service.h"
#include "fs/stderr_log.h"
#include "fs/version.h"

/* The command line beyond what fuse_parse_cmdline() reads. */
struct mount_opts {
	char *config;
	int show_help;
	char *nonopt[3]; /* CONFIG MOUNTPOINT, or MOUNTPOINT (one too many
			    is kept to be refused) */
	int nnonopt;
	int has_fsname, has_subtype; /* given in -o */
	int max_threads_given; /* -o max_threads=N: fuse_parse_cmdline's */
};

#define MOPT(t, p)                                                             \
	{                                                                      \
		t, offsetof(struct mount_opts, p), 1                           \
	}
enum { KEY_MAX_THREADS };
static const struct fuse_opt mount_spec[] = {
    MOPT("-c %s", config),
    MOPT("--config=%s", config),
    MOPT("-h", show_help),
    MOPT("--help", show_help),
    FUSE_OPT_KEY("max_threads=", KEY_MAX_THREADS),
    FUSE_OPT_END};

#define USAGE                                                                  \
	"usage: %s [-f] [-o OPTIONS] -c CONFIG MOUNTPOINT\n"                   \
	"       %s CONFIG MOUNTPOINT [-o OPTIONS]\n"

static void usage(const char *prog)
{
	printf(USAGE
	       "       %s mkvlib|vtape|fsck|rebuild|config|version ...\n\n"
	       "  -c CONFIG   the ini file (docs/config.md)\n"
	       "  -f          stay in the foreground; log to stderr too\n"
	       "  -o OPTIONS  FUSE mount options (allow_other, "
	       "default_permissions, ...)\n\n",
	       prog, prog, prog);
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/* fuse_opt_parse()'s callback: the non-options are kept aside (CONFIG
 * MOUNTPOINT, or MOUNTPOINT), every option goes on to libfuse; that
 * max_threads was given is noted (its default is ours, not libfuse's). */
static int mount_arg(void *data, const char *arg, int key,
		     struct fuse_args *outargs)
{
	struct mount_opts *mo = data;

	(void)outargs;
	if (key == KEY_MAX_THREADS) {
		mo->max_threads_given = 1;
		return 1;
	}
	if (key == FUSE_OPT_KEY_OPT) {
		mo->has_fsname |= !strncmp(arg, "fsname=", 7);
		mo->has_subtype |= !strncmp(arg, "subtype=", 8);
		return 1;
	}
	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;
	if (mo->nnonopt < 3)
		mo->nonopt[mo->nnonopt] = strdup(arg);
	mo->nnonopt++;
	return 0;
}

/* "fsname=CONFIG" added to the option list opts, its commas and
 * backslashes escaped as fuse_opt reads them. 0 or -1. */
static int add_fsname(char **opts, const char *config)
{
	char *o = malloc(sizeof("fsname=") + 2 * strlen(config));
	size_t n = sizeof("fsname=") - 1;
	int ret;

	if (!o)
		return -1;
	memcpy(o, "fsname=", n);
	for (; *config; config++) {
		if (*config == ',' || *config == '\\')
			o[n++] = '\\';
		o[n++] = *config;
	}
	o[n] = 0;
	ret = fuse_opt_add_opt(opts, o);
	free(o);
	return ret;
}

/* After fuse_opt_parse(): the config from -c or the first non-option,
 * the mount point back among the arguments for fuse_parse_cmdline(), and
 * the mount named for /proc/mounts as mount(8) knows it: source CONFIG,
 * type fuse.tapefs (so that `mount -a` sees an fstab line mounted). 0, or
 * -EINVAL for a usage error, -ENOMEM. */
static int mount_args_finish(struct mount_opts *mo, struct fuse_args *args)
{
	char *opts = NULL;
	const char *mp;
	int ret = 0;

	if (mo->nnonopt > 2 || (mo->nnonopt == 2 && mo->config) ||
	    mo->nnonopt == 0)
		return -EINVAL;
	if (mo->nnonopt == 2) {
		mo->config = mo->nonopt[0];
		mo->nonopt[0] = NULL;
	}
	mp = mo->nonopt[mo->nnonopt - 1];
	if (!mp || !mo->config)
		return mp ? -EINVAL : -ENOMEM;
	if (!mo->has_fsname)
		ret = add_fsname(&opts, mo->config);
	if (!ret && !mo->has_subtype)
		ret = fuse_opt_add_opt(&opts, "subtype=tapefs");
	if (!ret && opts)
		ret = fuse_opt_add_arg(args, "-o") ||
		      fuse_opt_add_arg(args, opts);
	if (!ret)
		ret = fuse_opt_add_arg(args, mp);
	free(opts);
	return ret ? -ENOMEM : 0;
}

static int open_catalog(struct tapefs *fs)
{
	int ret = catalog_open(&fs->cat, fs->cfg.catalog);

	if (ret) {
		tapefs_log(fs, LOG_ERR, "catalog '%s': %s%s", fs->cfg.catalog_shown,
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
			fs->cfg.catalog_shown, why, fs->cfg.path);
		return ret;
	}
	if (ret > 0)
		fprintf(stderr,
			"tapefs: catalog '%s': its check stopped after %d s, "
			"the part read is sound (tapefs fsck checks it "
			"whole)\n",
			fs->cfg.catalog_shown, CATALOG_CHECK_MS / 1000);
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
		tapefs_log(fs, LOG_ERR, "%s: %s", fs->cfg.path, err);
		fs->changer = NULL;
	} else {
		library_robot_share(fs);
	}
	return ret;
}

/* The scheduler's news for the log (tapeio/sched.h): robot moves are
 * audit lines, faults errors. */
static void sched_log(void *arg, enum sched_log_kind kind, const char *line)
{
	struct tapefs *fs = arg;

	switch (kind) {
	case SCHED_LOG_MOVE:
		tapefs_audit(fs, "robot move", "%s", line);
		break;
	case SCHED_LOG_MOVE_FAILED:
		tapefs_log(fs, LOG_ERR, "robot move failed: %s", line);
		break;
	case SCHED_LOG_FAULT:
		tapefs_log(fs, LOG_ERR, "drive fault: %s", line);
		break;
	case SCHED_LOG_OUT_OF_SERVICE:
		tapefs_log(fs, LOG_ERR, "drive out of service: %s", line);
		break;
	}
}

static int start_sched(struct tapefs *fs)
{
	struct sched_config sc;
	char why[4200];
	int ret;

	if (!fs->changer)
		return 0;
	memset(&sc, 0, sizeof(sc));
	sc.log = sched_log;
	sc.log_arg = fs;
	ret = library_sched_start(fs, &sc, why, sizeof(why));
	if (ret)
		tapefs_log(fs, LOG_ERR, "%s", why);
	return ret;
}

/* With [library] host set, this daemon joins the catalog's hosts
 * (docs/multi-host.md) before the engines start: their start-up
 * clean-ups then leave other live hosts' work alone, and the work they
 * create is leased to this host. */
static int join_hosts(struct tapefs *fs)
{
	int ret;

	if (!fs->cfg.host_set)
		return 0;
	ret = host_start(fs, fs->cfg.host, (int64_t)fs->cfg.lease_secs * 1000);
	host_takeover(fs, 0); /* until the engines run (its first beat is
				 a third of the lease away) */
	return ret;
}

/* Before mounting: a host name another live daemon holds is refused
 * (host_name_free(): a run of it that died is waited out, up to the
 * lease time). 0 or -errno (said). */
static int check_host(struct tapefs *fs)
{
	int ret;

	if (!fs->cfg.host_set)
		return 0;
	ret = host_name_free(fs, fs->cfg.host,
			     (int64_t)fs->cfg.lease_secs * 1000);
	if (ret == -EADDRINUSE)
		tapefs_log(fs, LOG_ERR,
			   "%s:%d: host '%s' is alive in the catalog: another "
			   "daemon runs under this name; not mounted (give "
			   "each host its own [library] host)",
			   fs->cfg.path, config_line(&fs->cfg, "library.host"),
			   fs->cfg.host);
	else if (ret < 0)
		tapefs_log(fs, LOG_ERR, "host '%s': the catalog's hosts: %s",
			   fs->cfg.host, strerror(-ret));
	return ret;
}

/* Start what needs a tape library and a catalog, in order. */
static int start_engines(struct tapefs *fs)
{
	int ret;

	ret = open_catalog(fs);
	if (ret)
		return ret;
	ret = join_hosts(fs);
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
			tapefs_log(fs, LOG_ERR, "library: %s", strerror(-ret));
			return ret;
		}
		ret = dump_start(fs);
		if (ret) {
			tapefs_log(fs, LOG_ERR, "dump engine: %s",
				   strerror(-ret));
			return ret;
		}
	}
	if (fs->cat && fs->sched) {
		ret = verify_start(fs);
		if (ret) {
			tapefs_log(fs, LOG_ERR, "verify engine: %s",
				   strerror(-ret));
			return ret;
		}
	}
	if (fs->cat && fs->sched) {
		ret = recall_start(fs);
		if (ret) {
			tapefs_log(fs, LOG_ERR, "recall engine: %s",
				   strerror(-ret));
			return ret;
		}
		library_copies_queue(fs);
	}
	host_takeover(fs, 1);
	return 0;
}

/* Reverse order of start_engines(); safe on a partial start. */
static void stop_engines(struct tapefs *fs)
{
	host_takeover(fs, 0); /* the beat goes on: the engines' leases */
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
	host_stop(fs); /* leaves: what the engines left recorded is free */
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

/* The drives the config names exist in the library: drives = N and
 * driveN against the changer's inventory. 0 or -EINVAL (said). */
static int check_drives(struct tapefs *fs)
{
	const struct tapefs_config *cfg = &fs->cfg;
	struct changer_inv inv;
	int n, ret = 0;

	if (changer_inventory(fs->changer, &inv))
		return 0; /* library_sync() says why */
	n = inv.ndrives;
	changer_inv_free(&inv);
	if (cfg->drive_ids_set && cfg->drive_id[cfg->ndrives - 1] >= n) {
		tapefs_log(fs, LOG_ERR,
			   "%s:%d: drive_ids names drive %d, but the library "
			   "has %d drive%s (0 to %d)",
			   cfg->path, config_line(cfg, "library.drive_ids"),
			   cfg->drive_id[cfg->ndrives - 1], n,
			   n == 1 ? "" : "s", n - 1);
		return -EINVAL;
	}
	if (cfg->ndrives > n) {
		tapefs_log(fs, LOG_ERR,
			   "%s:%d: drives = %d, but the library has %d "
			   "drive%s",
			   cfg->path, config_line(cfg, "library.drives"),
			   cfg->ndrives, n, n == 1 ? "" : "s");
		return -EINVAL;
	}
	for (int i = n; i < TAPEFS_MAX_DRIVES && !ret; i++) {
		char key[32];

		if (!cfg->drive_dev[i])
			continue;
		snprintf(key, sizeof(key), "library.drive%d", i);
		tapefs_log(fs, LOG_ERR,
			   "%s:%d: drive%d is set, but the library has %d "
			   "drive%s (drive0 to drive%d)",
			   cfg->path, config_line(cfg, key), i, n,
			   n == 1 ? "" : "s", n - 1);
		ret = -EINVAL;
	}
	return ret;
}

/* Before mounting: what can fail for a reason the user must see. */
static int preflight(struct tapefs *fs)
{
	int ret = private_dir_make(fs->cfg.staging);

	if (ret) {
		tapefs_log(fs, LOG_ERR, "staging '%s': %s", fs->cfg.staging,
			   strerror(-ret));
		return ret;
	}
	fs->staging_fd =
	    open(fs->cfg.staging, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->staging_fd < 0) {
		ret = -errno;
		tapefs_log(fs, LOG_ERR, "staging '%s': %s", fs->cfg.staging,
			   strerror(errno));
		return ret;
	}
	tapefs_progress(fs, "opening the catalog and the library");
	ret = open_catalog(fs);
	if (!ret)
		ret = check_catalog(fs);
	if (!ret)
		ret = check_host(fs);
	if (!ret)
		ret = open_changer(fs);
	if (!ret)
		ret = check_drives(fs);
	/* Registering new cartridges may move the robot (mtx): done here,
	 * before the mount exists, so that nobody waits on a mount point
	 * that does not answer yet. The daemon's own pass finds them known. */
	if (!ret && library_sync(fs) < 0) {
		tapefs_log(fs, LOG_ERR, "library inventory: %s",
			   changer_error(fs->changer));
		ret = -EIO;
	}
	stop_engines(fs); /* reopened after the fork */
	return ret;
}

/* Request threads the mount keeps at most (-o max_threads=N changes it).
 * No request waits for a tape on one of them: reads not in the cache are
 * parked in the recall engine and answered from its thread, `.recall`
 * directories are walked by its batch worker, so a few dozen threads
 * serve any crowd of waiting readers; the bound keeps the daemon's thread
 * count under 64 plus one per drive (docs/mount.md). */
#define LOOP_MAX_THREADS  32
#define LOOP_IDLE_THREADS 8

/* The FUSE loop until unmount: one thread, or workers as requests come
 * (at most LOOP_MAX_THREADS unless max_threads_given). */
static int loop(struct fuse_session *se, struct fuse_cmdline_opts *cmd,
		int max_threads_given)
{
	struct fuse_loop_config *lc;
	int ret;

	if (cmd->singlethread)
		return fuse_session_loop(se) ? 1 : 0;
	lc = fuse_loop_cfg_create();
	if (!lc)
		return 1;
	fuse_loop_cfg_set_clone_fd(lc, (unsigned)cmd->clone_fd);
	fuse_loop_cfg_set_max_threads(lc, max_threads_given ? cmd->max_threads
							    : LOOP_MAX_THREADS);
	fuse_loop_cfg_set_idle_threads(lc, cmd->max_idle_threads < UINT_MAX
					       ? cmd->max_idle_threads
					       : LOOP_IDLE_THREADS);
	ret = fuse_session_loop_mt(se, lc) ? 1 : 0;
	fuse_loop_cfg_destroy(lc);
	return ret;
}

/* Whether stderr is worth keeping for the background daemon: a file, a
 * pipe or a socket someone reads (`tapefs ... 2>>log`), not a terminal the
 * daemon leaves nor /dev/null. */
static int stderr_kept(void)
{
	struct stat st;

	return fstat(2, &st) == 0 &&
	       (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) ||
		S_ISSOCK(st.st_mode));
}

/* Into the background unless -f. fuse_daemonize() points stderr at
 * /dev/null; one worth keeping stays. 0 or -1. */
static int background(struct tapefs *fs, const struct fuse_cmdline_opts *cmd)
{
	int log_fd = cmd->foreground || !stderr_kept() ? -1 : dup(2);

	if (fuse_daemonize(cmd->foreground)) {
		if (log_fd >= 0)
			close(log_fd);
		return -1;
	}
	if (log_fd >= 0) {
		dup2(log_fd, 2);
		close(log_fd);
		fs->log.terse = 0; /* a log file: every line */
	} else if (!cmd->foreground) {
		fs->log.quiet = 1; /* stderr is /dev/null */
	}
	return 0;
}

/* The engines, READY=1, the FUSE loop until unmount, and the stop. */
static int serve(struct ops_mount *om, struct fuse_session *se,
		 struct fuse_cmdline_opts *cmd, const struct mount_opts *mo)
{
	struct tapefs *fs = om->fs;
	struct service *sv = NULL;
	struct stderr_log *sl = NULL;
	char qc[600], qm[600];
	int ret = 1;

	if (fuse_set_signal_handlers(se))
		return 1;
	service_hup_start(&sv, fs); /* SIGHUP: reload, never unmount */
	if (fs->log.quiet && stderr_log_start(&sl, fs))
		tapefs_log(fs, LOG_WARNING, "stderr is not logged");
	tapefs_progress(fs, "starting the engines");
	if (!start_engines(fs)) {
		tapefs_audit(fs, "mounted", "config=%s mountpoint=%s",
			     tapefs_log_quote(fs->cfg.path, qc, sizeof(qc)),
			     tapefs_log_quote(cmd->mountpoint, qm, sizeof(qm)));
		service_ready(cmd->mountpoint);
		ops_inval_start(om, se);
		ret = loop(se, cmd, mo->max_threads_given);
		ops_inval_stop(om); /* no request left for a batch to wait on */
		ops_release_all(fs);
		service_stopping();
		tapefs_audit(fs, "unmounting", "mountpoint=%s",
			     tapefs_log_quote(cmd->mountpoint, qm, sizeof(qm)));
	}
	stop_engines(fs);
	stderr_log_stop(sl);
	service_hup_stop(sv);
	fuse_remove_signal_handlers(se);
	return ret;
}

static int run(struct tapefs *fs, struct fuse_args *args,
	       struct fuse_cmdline_opts *cmd, const struct mount_opts *mo)
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
	ops_inval_init(&om);
	se = fuse_session_new(args, ops_table(), sizeof(*ops_table()), &om);
	if (!se)
		goto out_nodes;
	tapefs_progress(fs, "mounting %s", cmd->mountpoint);
	if (fuse_session_mount(se, cmd->mountpoint))
		goto out_destroy;
	if (!background(fs, cmd))
		ret = serve(&om, se, cmd, mo);
	fuse_session_unmount(se);
out_destroy:
	fuse_session_destroy(se);
out_nodes:
	ops_inval_destroy(&om);
	ops_nodes_free(om.nodes);
	return ret;
}

/* The log from the config on: syslog, and stderr - every line with -f,
 * else warnings and errors until the daemon leaves the terminal
 * (background() decides again); STATUS= for the service manager with the
 * progress of the start. */
static void log_start(struct tapefs *fs, const struct fuse_cmdline_opts *cmd)
{
	fs->log.level = fs->cfg.log_level;
	fs->log.progress = service_progress;
	tapefs_log_open(fs, 1);
	fs->log.terse = !cmd->foreground;
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

static void mount_opts_free(struct mount_opts *mo)
{
	for (int i = 0; i < 3; i++)
		free(mo->nonopt[i]);
	free(mo->config);
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
	if (fuse_opt_parse(&args, &mo, mount_spec, mount_arg) == -1)
		goto out_args;
	if (mo.show_help) {
		usage(argv[0]);
		ret = 0;
		goto out_args;
	}
	if (mo.nnonopt == 0 && !mo.config) {
		/* --version alone: fuse_parse_cmdline() answers it */
	} else if (mount_args_finish(&mo, &args)) {
		fprintf(stderr, USAGE, argv[0], argv[0]);
		goto out_args;
	}
	if (mountpoint_prepare(find_mountpoint(&args))) {
		ret = 1;
		goto out_args;
	}
	if (fuse_parse_cmdline(&args, &cmd) != 0)
		goto out_args;
	if (cmd.show_version) {
		printf("tapefs %s\nFUSE library %s\n", tapefs_version,
		       fuse_pkgversion());
		ret = 0;
		goto out_args;
	}
	if (!mo.config || !cmd.mountpoint) {
		fprintf(stderr, USAGE, argv[0], argv[0]);
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
	log_start(fs, &cmd);
	/* SIGHUP ignored until serve() takes it over: during the inventory
	 * (minutes with a robot) its default would end the daemon, and the
	 * FUSE library installs its own (an unmount) only where the default
	 * is in place */
	signal(SIGHUP, SIG_IGN);
	raise_nofile();
	if (library_init(fs))
		goto out_cfg;
	if (preflight(fs))
		goto out_cfg;
	ret = run(fs, &args, &cmd, &mo);
out_cfg:
	library_free(fs);
	if (fs->staging_fd >= 0)
		close(fs->staging_fd);
	tapefs_log_close(fs);
	config_release(&fs->cfg);
out_fs:
	pthread_mutex_destroy(&fs->errors.lock);
	free(fs);
out_args:
	free(cmd.mountpoint);
	mount_opts_free(&mo);
	fuse_opt_free_args(&args);
	return ret;
}
