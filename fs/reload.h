/* fs/reload.h - what SIGHUP changes in a running mount.
 *
 * The config file is read again as a mount reads it (config_load()). Two
 * things take effect at once: log_level, and the [dump] thresholds
 * (bytes, files, idle: the dump engine reads them at each check). Every
 * other key is fixed for the life of the mount: a changed one is logged
 * as waiting for the next mount and not applied. A file that no longer
 * reads changes nothing, and the error is logged with its line.
 */
#ifndef TAPEFS_RELOAD_H
#define TAPEFS_RELOAD_H

struct tapefs;

/* Reload fs's settings from fs->cfg.path. 0, or the -errno of
 * config_load() (nothing changed). Never from a signal handler. */
int reload_config(struct tapefs *fs);

#endif
