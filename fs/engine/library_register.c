/* fs/engine/library_register.c - the policy of the library module
 * (fs/engine/library.h): what a look at a cartridge makes of it in the
 * catalog, whether a tape may be written at a file, and the tapes that
 * hold archives this catalog does not know.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/library_int.h"
#include "tapeio/label.h"
#include "tapeio/tape.h"

int library_is_cleaning(const char *barcode)
{
	return barcode && !strncmp(barcode, "CLN", 3);
}

void library_note_unknown(struct library *lib, const char *barcode)
{
	if (!lib)
		return;
	pthread_mutex_lock(&lib->mu);
	for (size_t i = 0; i < lib->nunknown; i++)
		if (!strcmp(lib->unknown[i], barcode))
			goto out;
	if (lib->nunknown == lib->capunknown) {
		size_t cap = lib->capunknown ? 2 * lib->capunknown : 16;
		char(*v)[40] = realloc(lib->unknown, cap * sizeof(*v));

		if (!v)
			goto out; /* the tape is closed all the same */
		lib->unknown = v;
		lib->capunknown = cap;
	}
	snprintf(lib->unknown[lib->nunknown++], sizeof(lib->unknown[0]), "%s",
		 barcode);
out:
	pthread_mutex_unlock(&lib->mu);
}

size_t library_unknown(struct library *lib, char (*out)[40], size_t max)
{
	size_t n;

	if (!lib)
		return 0;
	pthread_mutex_lock(&lib->mu);
	n = lib->nunknown;
	for (size_t i = 0; out && i < n && i < max; i++)
		memcpy(out[i], lib->unknown[i], sizeof(out[i]));
	pthread_mutex_unlock(&lib->mu);
	return n;
}

int library_tape_unknown(struct library *lib, const char *barcode)
{
	int r = 0;

	if (!lib || !barcode)
		return 0;
	pthread_mutex_lock(&lib->mu);
	for (size_t i = 0; i < lib->nunknown && !r; i++)
		r = !strcmp(lib->unknown[i], barcode);
	pthread_mutex_unlock(&lib->mu);
	return r;
}

const char *library_shown(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < len; i++)
		buf[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i])
		memcpy(buf + i, "...", 4);
	else
		buf[i] = 0;
	return buf;
}

int library_tag_refused(struct tapefs *fs, const struct changer_elem *e,
			const char *location)
{
	char shown[48];

	if (!e->barcode[0] || changer_barcode_valid(e->barcode))
		return 0;
	tapefs_error(fs,
		     "the cartridge in %s: its volume tag '%s' is not a "
		     "barcode (1 to %d of A-Z and 0-9): left alone",
		     location, library_shown(e->barcode, shown, sizeof(shown)),
		     CHANGER_BARCODE_LEN);
	return 1;
}

int library_register(struct tapefs *fs, const struct label_probe *p,
		     const char *location, char *why, size_t len)
{
	const char *bc = p->label.barcode;
	struct catalog_tape t;
	char shown[48];
	int ret;

	if (!changer_barcode_valid(bc)) {
		snprintf(why, len,
			 "the cartridge in %s: its label names '%s', which is "
			 "not a barcode (1 to %d of A-Z and 0-9): left alone",
			 location && *location ? location : "a drive",
			 library_shown(bc, shown, sizeof(shown)),
			 CHANGER_BARCODE_LEN);
		tapefs_error(fs, "%s", why);
		return 0;
	}

	memset(&t, 0, sizeof(t));
	snprintf(t.barcode, sizeof(t.barcode), "%s", bc);
	snprintf(t.pool, sizeof(t.pool), "%s", p->label.pool);
	snprintf(t.label_uuid, sizeof(t.label_uuid), "%s", p->label.uuid);
	snprintf(t.location, sizeof(t.location), "%s",
		 location ? location : "");
	t.capacity = library_capacity(bc, p->capacity);
	/* Anything after file 0 is data this catalog does not know: it is
	 * never written over. The catalog has no record of this tape, so
	 * it cannot have recycled it. */
	t.state = p->data_after ? CATALOG_TAPE_CLOSED : CATALOG_TAPE_SCRATCH;
	ret = catalog_tape_add(fs->cat, &t);
	if (ret == -EEXIST) {
		snprintf(why, len, "tape %s: already in the catalog", bc);
		return 0;
	}
	if (ret < 0) {
		snprintf(why, len, "tape %s: catalog: %s", bc, strerror(-ret));
		return ret;
	}
	if (!p->data_after)
		return 1;
	library_note_unknown(fs->library, bc);
	tapefs_error(fs,
		     "tape %s holds archives this catalog does not know: "
		     "registered closed, never written",
		     bc);
	return 2;
}

/* The label of t against the catalog's tape ct (a blank scratch tape is
 * labelled here). 0, -EMEDIUMTYPE (refused), -errno. */
static int label_matches(struct tapefs *fs, struct tape *t,
			 const struct catalog_tape *ct, uint32_t block_size,
			 char *why, size_t len)
{
	struct tape_label l;
	int ret = label_read(t, &l);

	if (ret == -ENODATA && ct->state == CATALOG_TAPE_SCRATCH &&
	    !ct->label_uuid[0] && ct->last_file == 0) {
		/* A blank scratch tape the catalog knows: label it now. */
		label_init(&l, ct->barcode, ct->pool, block_size);
		ret = label_write(t, &l);
		if (ret < 0) {
			snprintf(why, len, "label %s: %s", ct->barcode,
				 strerror(-ret));
			return ret;
		}
		catalog_tape_set_label(fs->cat, ct->barcode, l.uuid);
		return 0;
	}
	if (ret < 0) {
		snprintf(why, len, "tape %s: label unreadable: %s", ct->barcode,
			 strerror(-ret));
		return ret == -EINVAL || ret == -ENODATA ? -EMEDIUMTYPE : ret;
	}
	if (strcmp(l.barcode, ct->barcode) != 0) {
		snprintf(why, len, "tape %s refused: its label names %.40s",
			 ct->barcode, l.barcode);
		return -EMEDIUMTYPE;
	}
	if (ct->label_uuid[0] && strcmp(l.uuid, ct->label_uuid) != 0) {
		snprintf(why, len,
			 "tape %s refused: label uuid %.40s, catalog has %.40s",
			 ct->barcode, l.uuid, ct->label_uuid);
		return -EMEDIUMTYPE;
	}
	if (!ct->label_uuid[0])
		catalog_tape_set_label(fs->cat, ct->barcode, l.uuid);
	return 0;
}

/* At the start of fileno: nothing may be recorded there but a partial
 * archive of this catalog's own dumps. 1 (nothing recorded: t stands at
 * its end of data), 0 (a partial archive follows: t again at fileno),
 * -EMEDIUMTYPE, -errno. */
static int nothing_unknown_at(struct tapefs *fs, struct tape *t,
			      const struct catalog_tape *ct, int64_t fileno,
			      uint32_t block_size, char *why, size_t len)
{
	int ret = tape_at_eod(t, block_size);

	if (ret == 1)
		return 1;
	if (ret < 0) {
		snprintf(why, len, "tape %s: reading file %lld: %s",
			 ct->barcode, (long long)fileno, strerror(-ret));
		return ret;
	}
	ret = catalog_dump_tape_wrote(fs->cat, ct->barcode, fileno);
	if (ret == 0) /* or a tape-to-tape copy (fs/engine/lifecycle.h) */
		ret = catalog_xfer_wrote(fs->cat, ct->barcode, fileno);
	if (ret < 0) {
		snprintf(why, len, "tape %s: journal: %s", ct->barcode,
			 strerror(-ret));
		return ret;
	}
	if (ret == 0) {
		snprintf(why, len,
			 "tape %s refused: it holds archives this catalog does "
			 "not know from file %lld on",
			 ct->barcode, (long long)fileno);
		library_note_unknown(fs->library, ct->barcode);
		return -EMEDIUMTYPE;
	}
	/* A write of this catalog began there: written over. */
	ret = tape_goto_file(t, (unsigned)fileno);
	if (ret < 0)
		snprintf(why, len, "tape %s: position at file %lld: %s",
			 ct->barcode, (long long)fileno, strerror(-ret));
	return ret;
}

/* fileno must still be past the catalog's last file: another writer (a
 * dump, a tape-to-tape copy) may have committed there since the caller
 * chose it. 0 or -ESTALE; -EMEDIUMTYPE for an adopted tape. */
static int still_free(struct tapefs *fs, const struct catalog_tape *ct,
		      int64_t fileno, char *why, size_t len)
{
	struct catalog_tape now;
	int ret = catalog_tape_get(fs->cat, ct->barcode, &now);

	if (ct->state == CATALOG_TAPE_ADOPTED ||
	    (!ret && now.state == CATALOG_TAPE_ADOPTED)) {
		snprintf(why, len,
			 "tape %s refused: an adopted tape is never written",
			 ct->barcode);
		return -EMEDIUMTYPE;
	}
	if (ret < 0 || fileno > now.last_file)
		return 0;
	snprintf(why, len, "tape %s: file %lld was committed meanwhile",
		 ct->barcode, (long long)fileno);
	return -ESTALE;
}

/* File fileno could not be reached (ret): when the tape's end of data
 * comes before it, the tape is not what the catalog says (it holds fewer
 * files than the catalog's last_file: overwritten, or another library's
 * cartridge): -EMEDIUMTYPE; else the positioning's error. */
static int ends_before(struct tape *t, const struct catalog_tape *ct,
		       int64_t fileno, int ret, char *why, size_t len)
{
	struct tape_status st;

	if (tape_status(t, &st) == 0 && st.eod) {
		snprintf(why, len,
			 "tape %s refused: its data ends before file %lld, "
			 "after the %lld archives the catalog knows on it",
			 ct->barcode, (long long)fileno,
			 (long long)ct->last_file);
		return -EMEDIUMTYPE;
	}
	snprintf(why, len, "tape %s: position at file %lld: %s", ct->barcode,
		 (long long)fileno, strerror(-ret));
	return ret;
}

int library_write_check(struct tapefs *fs, struct tape *t,
			const struct catalog_tape *ct, int64_t fileno,
			uint32_t block_size, uint64_t need, char *why,
			size_t len)
{
	int ret = still_free(fs, ct, fileno, why, len);

	if (ret == 0)
		ret = label_matches(fs, t, ct, block_size, why, len);
	if (ret < 0)
		return ret;
	ret = tape_goto_file(t, (unsigned)fileno);
	if (ret < 0)
		return ends_before(t, ct, fileno, ret, why, len);
	ret = nothing_unknown_at(fs, t, ct, fileno, block_size, why, len);
	if (ret < 0)
		return ret;
	return library_space_check(fs, t, ct, ret == 1, need, why, len);
}
