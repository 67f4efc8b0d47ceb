/* fs/modules.h - the engines the mount wires in (catalog, scheduler, dump,
 * verify, recall), with their entry points declared weak.
 *
 * Only the fs/ engines (dump, recall, verify) are weak; catalog/ and
 * tapeio/ are always there.
 *
 * Why weak: the mount is the integrator and is built while the engines are
 * written; a mount built without one of them still runs (its part of the
 * namespace says the module is missing). Every call site tests the handle
 * (fs->dump, fs->recall, ...) which is only set by the module's start
 * function, so a missing module is never called. With every module
 * present the weak references resolve to the real functions as usual.
 */
#ifndef TAPEFS_MODULES_H
#define TAPEFS_MODULES_H

#include "fs/dump.h"
#include "fs/recall.h"
#include "fs/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "catalog/catalog.h"

#pragma weak dump_start
#pragma weak dump_stop
#pragma weak dump_file_opened
#pragma weak dump_file_closed
#pragma weak dump_path_changed
#pragma weak dump_request
#pragma weak dump_render
#pragma weak dump_status
#pragma weak dump_stats
#pragma weak dump_path_dumping

#pragma weak recall_start
#pragma weak recall_stop
#pragma weak recall_open
#pragma weak recall_read
#pragma weak recall_release
#pragma weak recall_cached_bytes
#pragma weak recall_state
#pragma weak recall_status_render

#pragma weak verify_start
#pragma weak verify_stop
#pragma weak verify_status
#pragma weak verify_progress
#pragma weak verify_tape_status

/* catalog/ and tapeio/ are static libraries: a weak reference would not
 * pull their members in, so they are called strongly. */
#define CAT_HAS(fs, fn) ((fs)->cat != NULL)

#endif
