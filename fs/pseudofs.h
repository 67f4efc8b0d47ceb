/* fs/pseudofs.h - is a path on a pseudo file system (/proc, /sys, ...)?
 *
 * The staging directory, the recall cache and the catalog hold data that
 * must survive: on proc, sysfs, cgroup and the like a mkdir or a write
 * fails in ways that read as tapefs's own faults, or writes a kernel
 * setting. The config refuses them (fs/config.c).
 */
#ifndef TAPEFS_PSEUDOFS_H
#define TAPEFS_PSEUDOFS_H

/* The name of the pseudo file system that holds path, or of the nearest
 * directory above it that exists ("proc", "sysfs", ...), or NULL when it
 * is a file system for data (or nothing above it can be looked at). A
 * static string. */
const char *pseudofs_of(const char *path);

#endif
