/* fs/version.h - tapefs's own version, for `tapefs --version`.
 *
 * The string is the one line of the VERSION file at the top of the tree;
 * the Makefile passes it to fs/version.c alone (-DTAPEFS_VERSION), so a
 * new version recompiles one file. debian/changelog names the same
 * version (tests/t_install.sh checks that they agree).
 */
#ifndef TAPEFS_VERSION_H
#define TAPEFS_VERSION_H

extern const char tapefs_version[]; /* "0.1.0"; static, never freed */

#endif
