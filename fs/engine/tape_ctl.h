/* fs/engine/tape_ctl.h - the operator's requests on one tape: tapes/LABEL/.ctl.
 *
 * One request per line, applied to the catalog at once (no tape is
 * touched, so it runs in the FUSE thread):
 *   close          no more appends (open, full or scratch -> closed)
 *   reopen         closed -> open (scratch when it holds no archive)
 *   retire         never written again, still readable (any -> retired)
 *   location TEXT  free text: "shelf 3", "offsite: vault 2"
 *   serial TEXT    the cartridge's serial number
 * Errors (each also one "errors:" line of .status naming the tape):
 *   -EINVAL   unknown verb, missing or over-long argument, control
 *             characters in TEXT, reopen of a full tape;
 *   -EALREADY close of a closed tape, retire of a retired one, reopen of
 *             a tape that is open or scratch;
 *   -EPERM    reopen or close of a retired tape;
 *   -EBUSY    close or retire of a tape the running dump writes to (the
 *             scheduler holds a reservation of it: sched_tape_reserved();
 *             nothing changed: retry after the dump);
 *   -ENOENT   unknown label; -EIO catalog failure.
 * A dump that picked the tape just before a close still cannot commit to
 * it (the catalog refuses commits to closed or retired tapes): that copy
 * is written again on another tape.
 */
#ifndef TAPEFS_TAPE_CTL_H
#define TAPEFS_TAPE_CTL_H

struct tapefs;

/* The grammar, for messages and for what reading .ctl shows:
 * "close | reopen | retire | location TEXT | serial TEXT". */
extern const char tape_ctl_usage[];

/* Apply one line to tape label. 0 or -errno as above. */
int tape_ctl_request(struct tapefs *fs, const char *label, const char *line);

/* Whether line is a request of .ctl for a tape label of the catalog (the
 * grammar, the tape known), without acting: 0, or -EINVAL / -ENOENT with
 * the reason in why. What the tape's state refuses (-EALREADY, -EPERM,
 * -EBUSY, reopen of a full tape) is known only when it is applied. */
int tape_ctl_check(struct tapefs *fs, const char *label, const char *line,
		   char *why, size_t whylen);

#endif
