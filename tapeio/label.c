/* tapeio/label.c - the label archive, tape file 0 (tapeio/label.h).
 *
 * Written with libarchive in 10240-byte records (tar's default blocking
 * factor of 20), so that a plain `tar -xOf /dev/nst0 TAPEFS.LABEL` reads it
 * whatever block size the data archives use. Read back through tarr, a
 * record at a time (no read-ahead for a record and a filemark).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <uuid/uuid.h>

#include "tapeio/label.h"
#include "tapeio/tarr.h"

/* The label's record size, and so the largest record accepted in file 0:
 * a longer one is not a label tapefs wrote (-EINVAL, as any foreign file 0) */
#define LABEL_RECORD	10240
#define LABEL_PROBE_MAX (4u << 20) /* buffer of the look past file 0 */

static void copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void label_init(struct tape_label *l, const char *barcode, const char *pool,
		uint32_t block_size)
{
	uuid_t u;

	memset(l, 0, sizeof(*l));
	copy_field(l->barcode, sizeof(l->barcode), barcode);
	copy_field(l->pool, sizeof(l->pool), pool);
	l->block_size = block_size;
	l->created = time(NULL);
	/* libuuid: random (v4) from the kernel's generator, or time and
	 * node based (v1) when that is not available - never a constant */
	uuid_generate(u);
	uuid_unparse_lower(u, l->uuid);
}

/* A block size a label may give: 0 (none given), or one a drive uses. */
static int label_block_ok(long long v)
{
	return v == 0 || (v >= LABEL_BLOCK_MIN && v <= LABEL_BLOCK_MAX &&
			  v % LABEL_BLOCK_MIN == 0);
}

/* The label text; returns its length or -EINVAL (a field with a newline,
 * no barcode, a block size no label may give). */
static int label_text(const struct tape_label *l, char *buf, size_t size)
{
	int n;

	if (strpbrk(l->barcode, "\n=") || strpbrk(l->pool, "\n") ||
	    strpbrk(l->uuid, "\n") || !l->barcode[0] ||
	    !label_block_ok(l->block_size))
		return -EINVAL;
	n = snprintf(buf, size,
		     "format=tapefs-label 1\nbarcode=%s\nuuid=%s\npool=%s\n"
		     "created=%lld\nblock_size=%" PRIu32 "\n",
		     l->barcode, l->uuid, l->pool, (long long)l->created,
		     l->block_size);
	return n < 0 || (size_t)n >= size ? -EINVAL : n;
}

/* The label archive in memory: whole LABEL_RECORD records. */
static int label_archive(const struct tape_label *l, char *out, size_t size,
			 size_t *used)
{
	struct archive_entry *e = archive_entry_new();
	struct archive *a = archive_write_new();
	char text[LABEL_TEXT_MAX];
	int n = label_text(l, text, sizeof(text)), ret = -EIO;

	if (n < 0) {
		ret = n;
		goto out;
	}
	if (!a || !e) {
		ret = -ENOMEM;
		goto out;
	}
	archive_entry_set_pathname(e, LABEL_MEMBER);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0444);
	archive_entry_set_mtime(e, l->created, 0);
	archive_entry_set_size(e, n);
	if (archive_write_set_format_pax_restricted(a) ||
	    archive_write_set_bytes_per_block(a, LABEL_RECORD) ||
	    archive_write_set_bytes_in_last_block(a, LABEL_RECORD) ||
	    archive_write_open_memory(a, out, size, used) ||
	    archive_write_header(a, e) ||
	    archive_write_data(a, text, (size_t)n) != n ||
	    archive_write_close(a))
		goto out;
	ret = *used % LABEL_RECORD ? -EIO : 0;
out:
	if (a)
		archive_write_free(a);
	if (e)
		archive_entry_free(e);
	return ret;
}

int label_write(struct tape *t, const struct tape_label *l)
{
	size_t size = 4 * LABEL_RECORD, used = 0, off;
	char *buf = malloc(size);
	ssize_t n;
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = label_archive(l, buf, size, &used);
	if (ret)
		goto out;
	ret = tape_rewind(t);
	for (off = 0; !ret && off < used; off += LABEL_RECORD) {
		n = tape_write(t, buf + off, LABEL_RECORD);
		if (n != LABEL_RECORD)
			ret = n < 0 ? (int)n : -EIO;
	}
	if (!ret)
		ret = tape_weof(t, 1);
out:
	free(buf);
	return ret;
}

struct label_buf {
	char text[LABEL_TEXT_MAX];
	size_t len;
};

static int label_sink(void *arg, const void *buf, size_t len)
{
	struct label_buf *b = arg;

	if (b->len + len >= sizeof(b->text))
		return -EINVAL;
	memcpy(b->text + b->len, buf, len);
	b->len += len;
	return 0;
}

/* A decimal number of the label: optional '-' (when neg is allowed), then
 * digits only, no overflow. 0 or -EINVAL. */
static int label_number(const char *s, int neg, long long *v)
{
	char *end;

	if (!(*s >= '0' && *s <= '9') &&
	    !(neg && *s == '-' && s[1] >= '0' && s[1] <= '9'))
		return -EINVAL;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* One "key=value" line (NUL-terminated, without its LF) into l. */
static int label_line(char *line, struct tape_label *l, int *have_format)
{
	char *eq = strchr(line, '=');
	long long v;

	if (!eq)
		return -EINVAL;
	*eq++ = '\0';
	if (!strcmp(line, "format")) {
		if (strcmp(eq, "tapefs-label 1"))
			return -EINVAL;
		*have_format = 1;
	} else if (!strcmp(line, "barcode")) {
		copy_field(l->barcode, sizeof(l->barcode), eq);
	} else if (!strcmp(line, "uuid")) {
		copy_field(l->uuid, sizeof(l->uuid), eq);
	} else if (!strcmp(line, "pool")) {
		copy_field(l->pool, sizeof(l->pool), eq);
	} else if (!strcmp(line, "created")) {
		if (label_number(eq, 1, &v))
			return -EINVAL;
		l->created = (time_t)v;
	} else if (!strcmp(line, "block_size")) {
		if (label_number(eq, 0, &v) || !label_block_ok(v))
			return -EINVAL;
		l->block_size = (uint32_t)v;
	}
	return 0;
}

int label_parse(const char *text, size_t len, struct tape_label *l)
{
	char buf[LABEL_TEXT_MAX], *line, *save = NULL;
	int have_format = 0, ret;

	memset(l, 0, sizeof(*l));
	if (len >= sizeof(buf) || memchr(text, '\0', len))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		ret = label_line(line, l, &have_format);
		if (ret)
			return ret;
	}
	return have_format && l->barcode[0] ? 0 : -EINVAL;
}

int label_read(struct tape *t, struct tape_label *l)
{
	struct tar_member m = {0};
	struct label_buf b = {.len = 0};
	struct tape_status st;
	struct tarr *r = NULL;
	int ret;

	ret = tape_rewind(t);
	if (!ret)
		ret = tape_status(t, &st);
	if (ret)
		return ret;
	if (st.eod)
		return -ENODATA;
	/* a record and a filemark: read inline, no read-ahead thread */
	ret = tarr_open_inline(&r, t, LABEL_RECORD);
	if (ret)
		return ret;
	ret = tarr_next(r, &m);
	if (ret == 0 || ret == -ENOMEM)
		ret = -EINVAL;
	if (ret < 0)
		goto out;
	if (strcmp(m.name, LABEL_MEMBER) || m.type != TAR_FILE) {
		ret = -EINVAL;
		goto out;
	}
	ret = tarr_data(r, &m, label_sink, &b);
	if (ret)
		goto out;
	ret = label_parse(b.text, b.len, l);
	if (ret)
		goto out;
	/* Up to and past the filemark: the tape is then at file 1. */
	tar_member_clear(&m);
	while ((ret = tarr_next(r, &m)) > 0)
		tar_member_clear(&m);
out:
	tar_member_clear(&m);
	tarr_free(r);
	return ret;
}

int label_check(struct tape *t, const char *barcode, char found[40])
{
	struct tape_label l;
	int ret = label_read(t, &l);

	if (ret)
		return ret;
	if (strcmp(l.barcode, barcode) == 0)
		return 0;
	if (found)
		copy_field(found, 40, l.barcode);
	return -EMEDIUMTYPE;
}

int label_probe(struct tape *t, struct label_probe *p)
{
	struct tape_space sp;
	int ret;

	memset(p, 0, sizeof(*p));
	if (tape_space(t, &sp) == 0)
		p->capacity = sp.capacity;
	ret = label_read(t, &p->label);
	if (ret < 0)
		return ret;
	/* label_read() leaves the tape at the start of file 1; a record
	 * longer than the buffer counts as data all the same */
	ret = tape_at_eod(t, p->label.block_size < LABEL_PROBE_MAX
				 ? p->label.block_size
				 : LABEL_PROBE_MAX);
	if (ret < 0)
		return ret;
	p->data_after = !ret;
	return 0;
}
