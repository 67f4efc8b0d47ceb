/* fs/engine/adopt_read.c - an adoption on its drive (fs/engine/adopt.h):
 * what the tape is (a tapefs label, a tar archive from file 0, a
 * papertape catalog as file 0, anything else), its registration as an
 * adopted tape, then every tape file walked once (tarr_open()): each
 * member's data read and hashed, never kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/adopt_int.h"
#include "tapeio/label.h"

/* The rest of file 0 after its first record (n bytes in buf, which has
 * room for ADOPT_PAPER_MAX): read and parsed as papertape's catalog. */
static int paper_read(struct adopt *a, struct tape *t, char *buf, size_t n)
{
	size_t bad = 0;
	ssize_t got;
	int ret;

	while (n < ADOPT_PAPER_MAX) {
		got = tape_read(t, buf + n,
				ADOPT_PAPER_MAX - n < ADOPT_RECORD_MAX
				    ? ADOPT_PAPER_MAX - n
				    : ADOPT_RECORD_MAX);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	if (n >= ADOPT_PAPER_MAX) {
		adopt_fail(a, "file 0 looks like a papertape catalog but is "
			      "over 64 MiB: not adopted");
		return -EMEDIUMTYPE;
	}
	ret = papertape_parse(buf, n, &a->cat, &bad);
	if (ret == -EINVAL)
		adopt_fail(a,
			   "file 0 looks like a papertape catalog but line "
			   "%zu does not parse: not adopted",
			   bad);
	if (!ret && a->cat.n && !(a->seen = calloc(a->cat.n, 1)))
		ret = -ENOMEM;
	return ret == -EINVAL ? -EMEDIUMTYPE : ret;
}

/* What the tape is, from its file 0: sets the layout and a->from. */
static int layout_probe(struct adopt *a, struct tape *t)
{
	struct tape_label l;
	ssize_t n;
	char *buf;
	int ret = label_read(t, &l);

	if (ret == 0 || ret == -ENODATA) {
		adopt_fail(a, ret ? "a blank tape: nothing to adopt"
				  : "it has a tapefs label: a tape of tapefs "
				    "comes back by a rebuild, not adopted");
		return -EMEDIUMTYPE;
	}
	buf = malloc(ADOPT_PAPER_MAX);
	if (!buf)
		return -ENOMEM;
	ret = tape_goto_file(t, 0);
	n = ret ? ret : tape_read(t, buf, ADOPT_RECORD_MAX);
	if (n < 0) {
		adopt_fail(a, "file 0: %s", strerror((int)-n));
		ret = n == -ENOMEM ? -EMEDIUMTYPE : (int)n;
	} else if (n >= 512 && tarr_header_valid(buf)) {
		snprintf(a->rep->layout, sizeof(a->rep->layout), "tar");
		ret = 0;
	} else if (n > 0 && papertape_probe(buf, (size_t)n)) {
		snprintf(a->rep->layout, sizeof(a->rep->layout), "papertape");
		a->paper = 1;
		ret = paper_read(a, t, buf, (size_t)n);
		if (a->from < 1)
			a->from = 1;
	} else {
		adopt_fail(a, "file 0 is neither a tar archive nor a "
			      "papertape catalog: not adopted, untouched");
		ret = -EMEDIUMTYPE;
	}
	free(buf);
	return ret;
}

/* The tape joins the catalog, adopted (once). */
static int tape_register(struct adopt *a, struct tape *t)
{
	struct catalog_tape ct;
	struct tape_space sp;
	int ret;

	if (a->resume)
		return 0;
	memset(&ct, 0, sizeof(ct));
	snprintf(ct.barcode, sizeof(ct.barcode), "%s", a->o->label);
	snprintf(ct.pool, sizeof(ct.pool), "adopted");
	ct.state = CATALOG_TAPE_ADOPTED;
	if (tape_space(t, &sp) == 0)
		ct.capacity = sp.capacity;
	ret = catalog_tape_add(a->fs->cat, &ct);
	if (ret < 0)
		adopt_fail(a, "catalog: %s", strerror(-ret));
	return ret;
}

/* Walk tape file a->f.fileno (t stands at its start) and commit what it
 * holds. 0 when it was read to its end; -errno when not (what was read
 * whole is committed all the same). */
static int file_read(struct adopt *a, struct tape *t)
{
	struct tar_member m = {0};
	struct tarr *r = NULL;
	uint64_t start = 0, nrec = 0;
	uint32_t bs = 0;
	int ret, uniform;

	ret = tape_tell(t, &start);
	if (!ret)
		ret = tarr_open(&r, t, ADOPT_RECORD_MAX);
	while (!ret && (ret = tarr_next(r, &m)) == 1) {
		ret = adopt_member(a, r, &m);
		tar_member_clear(&m);
		if (!ret && adopt_stopping(a))
			ret = -ECANCELED;
	}
	uniform = r ? tarr_records(r, &nrec, &bs) : 0;
	tarr_free(r);
	if (ret < 0 && ret != -ECANCELED)
		adopt_fail(a, "file %lld: %s after %zu members",
			   (long long)a->f.fileno,
			   ret == -EINVAL ? "not a tar archive, or a corrupt "
					    "one"
					  : strerror(-ret),
			   a->f.n);
	if (!a->f.n || ret == -ECANCELED)
		goto out_refused;
	if (!uniform || !bs || bs % 512) {
		adopt_fail(a,
			   "file %lld: records of several lengths: its "
			   "members cannot be located, not recorded",
			   (long long)a->f.fileno);
		goto out_refused;
	}
	return adopt_file_commit(a, start, nrec, bs) ?: ret;
out_refused:
	a->rep->files_refused += ret != -ECANCELED;
	adopt_file_clear(&a->f);
	return ret ? ret : -EINVAL;
}

/* At the start of file f: 1, 0 at end of data (there is no file f),
 * -errno. */
static int file_goto(struct adopt *a, struct tape *t, int64_t f)
{
	struct tape_status st;
	int ret = tape_goto_file(t, (unsigned)f);

	if (ret && tape_status(t, &st) == 0 && st.eod)
		return 0;
	if (!ret) {
		ret = tape_at_eod(t, ADOPT_RECORD_MAX);
		if (ret == 0) /* it read a record: back to the start */
			ret = tape_goto_file(t, (unsigned)f) ?: 1;
		else if (ret == 1)
			return 0;
	}
	if (ret < 0)
		adopt_fail(a, "to file %lld: %s", (long long)f, strerror(-ret));
	return ret;
}

/* Every file from a->from to end of data. */
static int files_read(struct adopt *a, struct tape *t)
{
	int64_t f;
	int ret = 0, failed = 0;

	a->rep->first_file = a->from;
	for (f = a->from;; f++) {
		if (adopt_stopping(a))
			return -ECANCELED;
		ret = file_goto(a, t, f);
		if (ret <= 0)
			break;
		a->f.fileno = f;
		adopt_progress(a, "reading file %lld", (long long)f);
		ret = file_read(a, t);
		if (ret == -ECANCELED)
			return ret;
		failed |= ret < 0 && ret != -EINVAL;
	}
	if (a->paper && ret == 0)
		adopt_paper_missing(a);
	return ret < 0 ? ret : failed ? -EIO : 0;
}

int adopt_job(struct sched_job *job, const struct sched_run *r)
{
	struct adopt *a = (struct adopt *)job;
	struct tape *t = r->tape[0];
	struct tape_counters cnt;
	int ret;

	adopt_progress(a, "reading file 0");
	sched_drive_report(r->s, r->drive[0], SCHED_DRIVE_READING, 0, 0, 0, 0);
	ret = layout_probe(a, t);
	if (!ret)
		ret = tape_register(a, t);
	if (!ret)
		ret = files_read(a, t);
	if (tape_counters(t, &cnt) == 0) {
		a->rep->bytes_read = cnt.bytes_read;
		a->rep->model_seconds = cnt.model_seconds;
	}
	return ret == -ENOENT ? -EIO : ret;
}
