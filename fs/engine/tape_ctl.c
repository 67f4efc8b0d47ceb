/* fs/engine/tape_ctl.c - tapes/LABEL/.ctl: close, reopen, retire a tape, set
 * its location and serial (fs/engine/tape_ctl.h). Catalog changes only; what
 * reading .ctl shows is rendered by fs/ns/ns_tapes.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/tape_ctl.h"
#include "fs/engine/tapefs.h"
#include "tapeio/sched.h"

const char tape_ctl_usage[] =
    "close | reopen | retire | location TEXT | serial TEXT";

/* Fail with err and one .status line naming the tape. */
static int refuse(struct tapefs *fs, const char *label, int err,
		  const char *why)
{
	tapefs_error(fs, "tapes/%s/.ctl: %s", label, why);
	return err;
}

/* TEXT of "location TEXT" / "serial TEXT": printable, not empty. */
static int text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n >= max)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int state_change(struct tapefs *fs, const struct catalog_tape *t,
			const char *verb)
{
	enum catalog_tape_state to;
	char why[160];

	if (t->state == CATALOG_TAPE_ADOPTED) {
		snprintf(why, sizeof(why),
			 "%s refused: an adopted tape stays adopted (read "
			 "only, for good)",
			 verb);
		return refuse(fs, t->barcode, -EPERM, why);
	}
	if (!strcmp(verb, "reopen")) {
		if (t->state == CATALOG_TAPE_RETIRED)
			return refuse(fs, t->barcode, -EPERM,
				      "reopen refused: the tape is retired");
		if (t->state == CATALOG_TAPE_FULL)
			return refuse(fs, t->barcode, -EINVAL,
				      "reopen refused: the tape is full");
		if (t->state != CATALOG_TAPE_CLOSED)
			return refuse(fs, t->barcode, -EALREADY,
				      "reopen: the tape is not closed");
		to =
		    t->last_file > 0 ? CATALOG_TAPE_OPEN : CATALOG_TAPE_SCRATCH;
	} else {
		to = !strcmp(verb, "close") ? CATALOG_TAPE_CLOSED
					    : CATALOG_TAPE_RETIRED;
		if (t->state == to) {
			snprintf(why, sizeof(why), "%s: the tape is already %s",
				 verb, catalog_tape_state_name(to));
			return refuse(fs, t->barcode, -EALREADY, why);
		}
		if (t->state == CATALOG_TAPE_RETIRED)
			return refuse(fs, t->barcode, -EPERM,
				      "close refused: the tape is retired");
		if (fs->sched && sched_tape_reserved(fs->sched, t->barcode)) {
			snprintf(why, sizeof(why),
				 "%s refused: a dump is writing to this tape "
				 "now; try again when it is done",
				 verb);
			return refuse(fs, t->barcode, -EBUSY, why);
		}
	}
	return catalog_tape_set_state(fs->cat, t->barcode, to);
}

/* line into its verb (of verb_len bytes) and argument (NULL when none;
 * leading blanks skipped), checked: 0 or -EINVAL with the reason in why. */
static int parse(const char *line, char *verb, size_t verb_len,
		 const char **arg, char *why, size_t whylen)
{
	const char *a = strchr(line, ' ');
	size_t vlen = a ? (size_t)(a - line) : strlen(line), max;

	if (!vlen || vlen >= verb_len)
		goto bad;
	memcpy(verb, line, vlen);
	verb[vlen] = 0;
	if (a)
		while (*a == ' ')
			a++;
	*arg = a;
	if (!strcmp(verb, "close") || !strcmp(verb, "reopen") ||
	    !strcmp(verb, "retire")) {
		if (a && *a)
			goto bad;
		return 0;
	}
	if (strcmp(verb, "location") && strcmp(verb, "serial"))
		goto bad;
	max = verb[0] == 'l' ? sizeof(((struct catalog_tape *)0)->location)
			     : sizeof(((struct catalog_tape *)0)->serial);
	if (a && text_ok(a, max))
		return 0;
	snprintf(why, whylen, "%s needs printable text of 1 to %zu bytes", verb,
		 max - 1);
	return -EINVAL;
bad:
	snprintf(why, whylen, "unknown request '%.40s'; usage: %s", line,
		 tape_ctl_usage);
	return -EINVAL;
}

int tape_ctl_check(struct tapefs *fs, const char *label, const char *line,
		   char *why, size_t whylen)
{
	struct catalog_tape t;
	const char *arg;
	char verb[16];
	int ret;

	if (!fs->cat)
		return -ENOENT;
	ret = catalog_tape_get(fs->cat, label, &t);
	if (ret) {
		snprintf(why, whylen, "no tape '%.40s'", label);
		return ret;
	}
	return parse(line, verb, sizeof(verb), &arg, why, whylen);
}

int tape_ctl_request(struct tapefs *fs, const char *label, const char *line)
{
	struct catalog_tape t;
	const char *arg;
	char verb[16], why[160];
	int ret;

	if (!fs->cat)
		return -ENOENT;
	ret = catalog_tape_get(fs->cat, label, &t);
	if (ret)
		return ret;
	ret = parse(line, verb, sizeof(verb), &arg, why, sizeof(why));
	if (ret)
		return refuse(fs, label, ret, why);
	if (!strcmp(verb, "location"))
		return catalog_tape_set_location(fs->cat, label, arg);
	if (!strcmp(verb, "serial"))
		return catalog_tape_set_serial(fs->cat, label, arg);
	return state_change(fs, &t, verb);
}
