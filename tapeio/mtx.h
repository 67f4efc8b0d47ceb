/* tapeio/mtx.h - the "mtx" changer backend: a real tape library driven by
 * the mtx(1) command (mtx 1.3.12, Debian package mtx) on its /dev/sgN.
 *
 * The spec given to changer_open() is "MTX DEVICE [DRIVE0 DRIVE1 ...]"
 * (e.g. "/usr/sbin/mtx /dev/sg3 /dev/nst0 /dev/nst1") or just "DEVICE"
 * (then "mtx" is looked up in PATH). The DRIVEn are the tape devices of
 * drives 0, 1, ... in the library's own order, as changer_drive_device()
 * returns them; without them the caller must know the drives' devices.
 * changer_open() runs `mtx status` once, so that a missing mtx or device
 * is reported at once. Every operation runs one mtx process (posix_spawn, no
 * shell) with a timeout and captures its stdout and stderr: inventory   mtx -f
 * DEV status        parsed by mtx_status_parse() load S D    mtx -f DEV load S
 * D unload D S  mtx -f DEV unload S D    (S 0: the source slot mtx status
 *                                         reports; mtx itself would misread
 *                                         a 0)
 *   transfer    mtx -f DEV transfer A B
 * Failures are mapped by mtx_error_map() to -errno and a reason in
 * changer_error(): mtx missing -ENOENT, device missing or not an sg device
 * -ENODEV, permission -EACCES, source empty -ENOMEDIUM, destination full
 * or a drive that has not ejected its tape (medium removal prevented)
 * -EBUSY, bad element number -EINVAL, timeout -ETIMEDOUT, anything else
 * the robot says -EIO. "Not Ready" and "Unit Attention" (what a library
 * says while it scans its inventory or after its door was opened) are
 * retried a few times with a pause before they count as failures: such a
 * command did not move anything, so repeating it is safe.
 */
#ifndef TAPEFS_MTX_H
#define TAPEFS_MTX_H

#include <stddef.h>

#include "tapeio/changer.h"

/* Parse the stdout of `mtx status` into inv (drives, then slots, as
 * changer.h orders them). Volume tags lose their trailing blanks; a full
 * element without a tag gets barcode ""; a drive loaded from an unknown
 * slot gets source 0. The text must be complete and consistent (counts
 * in the header line match the element lines, a drive's source slot is
 * one of the slots). Returns 0, -EPROTO (with the offending line in err)
 * or -ENOMEM. The caller frees inv with changer_inv_free(). */
int mtx_status_parse(const char *text, struct changer_inv *inv, char *err,
		     size_t errlen);

/* What an mtx run that failed means: returns the -errno for the stderr
 * text and exit status of mtx (see above), and writes the decisive line
 * of stderr into reason. Returns -EAGAIN when the library asked for a
 * retry (Not Ready, Unit Attention). */
int mtx_error_map(const char *stderr_text, char *reason, size_t len);

/* Run the program prog (looked up in PATH when it has no '/') with argv
 * (argv[0] included).
 * On return 0, *out and *err hold the NUL-terminated stdout and stderr
 * (malloc'd, the caller frees both) and *status the exit status. Returns
 * -ENOENT when the program does not exist, -ETIMEDOUT when it ran longer
 * than timeout_s (it is then killed), -errno of the system otherwise. */
int mtx_run(const char *prog, char *const argv[], double timeout_s, int *status,
	    char **out, char **err);

/* Tune an open "mtx" changer: seconds one mtx run may take (default 900:
 * a full library inventory is slow), how many times a Not Ready / Unit
 * Attention answer is retried (default 3) and the pause before each retry
 * (default 5 s). Returns 0, or -EINVAL when c is not an mtx changer. */
int mtx_configure(struct changer *c, double timeout_s, int retries,
		  double retry_pause_s);

extern const struct changer_ops changer_mtx_ops;

#endif
