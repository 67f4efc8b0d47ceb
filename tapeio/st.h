/* tapeio/st.h - the st backend of tape.h: real drives on /dev/nstN
 * through the Linux st driver (tapeio/st.c). Reached by name through
 * tape_backend("st"); declared here for tape.c. */
#ifndef TAPEFS_ST_H
#define TAPEFS_ST_H

#include "tapeio/tape.h"

extern const struct tape_ops st_ops;

#endif
