/* fs/version.c - the version string (fs/version.h). */
#include "fs/version.h"

#ifndef TAPEFS_VERSION
#error "TAPEFS_VERSION is set by the Makefile from the VERSION file"
#endif

const char tapefs_version[] = TAPEFS_VERSION;
