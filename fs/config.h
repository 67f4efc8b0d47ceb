/* fs/config.h - the ini configuration file of a mount (docs/config.md).
 *
 * One file, sections [tapefs], [dump] and [library]; every key has a
 * default except where docs/config.md says otherwise. Relative paths are
 * made absolute against the directory of the config file, so that the
 * daemon can chdir("/") when it goes to the background.
 */
#ifndef TAPEFS_CONFIG_H
#define TAPEFS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "fs/engine/tapefs.h"

/* Fill cfg with the defaults (no file read). Paths stay NULL until
 * config_load() resolves them. */
void config_defaults(struct tapefs_config *cfg);

/* Read and validate the ini file at path into cfg (defaults first):
 * comments start with ';' or '#' (at the start of a line, or after a
 * blank), a key set twice is an error, and so are a staging, cache or
 * catalog on a pseudo file system (fs/pseudofs.h).
 * Returns 0, or -EINVAL (bad key, value or combination) / -errno (cannot
 * read the file) with a one-line message in err, formatted
 * "PATH:LINE: reason" (LINE 0 when the problem is not on one line).
 * On failure cfg holds nothing to free. On success the caller frees it
 * with config_release(). */
int config_load(struct tapefs_config *cfg, const char *path, char *err,
		size_t errlen);

/* The line of the config file that set key ("section.name", e.g.
 * "library.drives"), 0 when the file does not set it: for errors found
 * after the file was read (a library with fewer drives). */
int config_line(const struct tapefs_config *cfg, const char *key);

/* Free every string cfg owns and zero it. Safe on a zeroed cfg. */
void config_release(struct tapefs_config *cfg);

/* Parse a size: a number with an optional K, M, G or T suffix (powers of
 * 1024; "KiB", "MB" etc. accepted the same way), blanks allowed between
 * them ("10 GB"). Returns 0 or -EINVAL. */
int config_parse_size(const char *s, uint64_t *out);

#endif
