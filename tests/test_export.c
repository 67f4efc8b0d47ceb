/* tests/test_export.c - the catalog export (fs/ns/export.h): every member
 * of every archive, every version, read back exactly. CSV is parsed by an
 * RFC 4180 reader here and every field must give the catalog's bytes
 * back (names with commas, quotes, CR, LF, tabs, spaces and bytes that
 * are not UTF-8); JSON lines are parsed by jansson, numbers must be
 * numbers, a name that is not UTF-8 must come with its exact bytes in
 * path_hex, and each copy's block must be where the member's header is.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/ns/export.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS 10240

static const char *const names[] = {
    "plain.dat",
    "with,comma",
    "quote\"d",
    "line\nbreak",
    "cr\rhere",
    "tab\tand space ",
    "dir/latin1 \xe9t\xe9",
    "bad \xff\xfe utf8 \xc3",
    "utf8 \xc3\xa9t\xc3\xa9",
    "\"all\",\r\n\"of them\"",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static struct catalog *cat;
static int64_t arch1, arch2;

/* An archive of n members named names[0..n) (the last one a symlink
 * when link is set) on tapes A1 and B1 at fileno, in one dump. */
static int64_t archive(size_t n, int64_t fileno, const char *link,
		       uint64_t size0)
{
	struct catalog_member m[NNAMES + 1];
	struct catalog_dump_file f[NNAMES + 1];
	struct catalog_archive_in ai = {.bytes = 1 << 20, .block_size = BS};
	struct catalog_copy_in cp[2] = {{"A1", fileno, 100 * fileno, 1 << 20},
					{"B1", fileno, 7 + fileno, 1 << 20}};
	int64_t dump, id = 0;

	memset(m, 0, sizeof(m));
	memset(f, 0, sizeof(f));
	for (size_t i = 0; i < n; i++) {
		m[i].path = (char *)names[i];
		m[i].type = CATALOG_FILE;
		m[i].mode = S_IFREG | (i % 2 ? 0600 : 04755);
		m[i].size = size0 + i;
		m[i].uid = 1000 + (uint32_t)i;
		m[i].gid = 100;
		m[i].mtime = 1700000000 + (int64_t)i;
		m[i].mtime_nsec = (int32_t)i * 1000;
		snprintf(m[i].md5, sizeof(m[i].md5), "%032zx", i + 1);
		m[i].header_offset = i * 3 * BS + 512 * i;
		m[i].data_offset = m[i].header_offset + 512;
		f[i].path = names[i];
	}
	if (link) {
		m[n - 1].type = CATALOG_SYMLINK;
		m[n - 1].mode = S_IFLNK | 0777;
		m[n - 1].md5[0] = 0;
		m[n - 1].size = 0;
		m[n - 1].link = (char *)link;
	}
	CHECK_INT(catalog_dump_create(cat, f, n, &dump), 0);
	CHECK_INT(catalog_dump_commit(cat, dump, &ai, cp, 2, m, n, &id), 0);
	return id;
}

static void setup(void)
{
	struct catalog_tape a = {.barcode = "A1", .pool = "A"};
	struct catalog_tape b = {.barcode = "B1", .pool = "B"};

	cat = fx_catalog("export.db");
	if (!cat)
		return;
	CHECK_INT(catalog_tape_add(cat, &a), 0);
	CHECK_INT(catalog_tape_add(cat, &b), 0);
	arch1 = archive(NNAMES, 1, "target, \"with\"\nall \xff", 10);
	arch2 = archive(2, 2, NULL, 500); /* plain.dat and with,comma again */
}

/* The export into a malloc'd buffer (*len bytes). */
static char *export_to_mem(enum export_format f, size_t *len, uint64_t *n)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);

	CHECK(out != NULL);
	if (!out)
		return NULL;
	CHECK_INT(export_catalog(cat, f, out, n), 0);
	fclose(out);
	return buf;
}

/* ---- an RFC 4180 reader ------------------------------------------------- */

#define NF 13

/* Read one record at *p (fields into f[], malloc'd); 0 at the end, the
 * number of fields, or -1 when the text is not RFC 4180 (a quote in an
 * unquoted field, a bare LF, no CRLF at the end). */
static int csv_next(const char **p, const char *end, char *f[NF])
{
	const char *s = *p;
	int n = 0;

	if (s >= end)
		return 0;
	for (;;) {
		struct strbuf sb;

		strbuf_init(&sb);
		strbuf_add(&sb, "", 0);
		if (s < end && *s == '"') {
			for (s++; s < end; s++) {
				if (*s == '"' && s + 1 < end && s[1] == '"')
					strbuf_add(&sb, s++, 1);
				else if (*s == '"')
					break;
				else
					strbuf_add(&sb, s, 1);
			}
			if (s++ >= end)
				return -1;
		} else {
			for (; s < end && *s != ',' && *s != '\r'; s++) {
				if (*s == '"' || *s == '\n')
					return -1;
				strbuf_add(&sb, s, 1);
			}
		}
		if (n < NF)
			f[n] = sb.buf;
		else
			strbuf_release(&sb);
		n++;
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		if (s + 1 < end + 1 && s + 2 <= end && s[0] == '\r' &&
		    s[1] == '\n') {
			*p = s + 2;
			return n;
		}
		return -1;
	}
}

static void fields_free(char *f[NF], int n)
{
	for (int i = 0; i < n && i < NF; i++)
		free(f[i]);
}

static void test_csv(void)
{
	size_t len = 0;
	uint64_t n = 0;
	char *buf = export_to_mem(EXPORT_CSV, &len, &n), *f[NF];
	const char *p = buf, *end = buf + len;
	int k, row = 0, seen_link = 0, versions = 0;

	if (!buf)
		return;
	CHECK_INT(n, NNAMES + 2);
	k = csv_next(&p, end, f);
	CHECK_INT(k, NF);
	if (k == NF)
		CHECK_STR(f[0], "path");
	fields_free(f, k);
	while ((k = csv_next(&p, end, f)) > 0) {
		size_t i =
		    row < (int)NNAMES ? (size_t)row : (size_t)row - NNAMES;

		CHECK_INT(k, NF);
		if (k != NF) {
			fields_free(f, k);
			break;
		}
		char num[64];

		CHECK_STR(f[0], names[i]); /* the exact bytes */
		snprintf(num, sizeof(num), "%lld",
			 (long long)(row < (int)NNAMES ? arch1 : arch2));
		CHECK_STR(f[10], num);
		snprintf(num, sizeof(num), "%d", 1700000000 + (int)i);
		CHECK_STR(f[6], num);
		snprintf(num, sizeof(num), "%d", (int)i * 1000);
		CHECK_STR(f[7], num);
		CHECK(atoll(f[11]) > 1700000000); /* the commit's time */
		if (row < (int)NNAMES && i == NNAMES - 1) {
			CHECK_STR(f[1], "symlink");
			CHECK_STR(f[12], "target, \"with\"\nall \xff");
			CHECK_STR(f[8], "");
			seen_link = 1;
		} else {
			char md5[40], copies[128];
			int64_t ar = row < (int)NNAMES ? 1 : 2; /* fileno */
			uint64_t hdr = i * 3 * BS + 512 * i;

			snprintf(md5, sizeof(md5), "%032zx", i + 1);
			CHECK_STR(f[1], "file");
			CHECK_STR(f[8], md5);
			CHECK_STR(f[3], i % 2 ? "0600" : "4755");
			snprintf(copies, sizeof(copies),
				 "A1:%lld:%llu,B1:%lld:%llu", (long long)ar,
				 (unsigned long long)(100 * ar + hdr / BS),
				 (long long)ar,
				 (unsigned long long)(7 + ar + hdr / BS));
			CHECK_STR(f[9], copies);
			CHECK_STR(f[12], "");
		}
		if (row >= (int)NNAMES)
			versions++;
		fields_free(f, k);
		row++;
	}
	CHECK_INT(k, 0); /* the end, not a malformed record */
	CHECK_INT(row, NNAMES + 2);
	CHECK(seen_link);
	CHECK_INT(versions, 2);
	free(buf);
}

/* The bytes hex encodes; NULL when it is not hex. */
static char *unhex(const char *hex)
{
	size_t n = strlen(hex) / 2;
	char *out = calloc(1, n + 1);
	unsigned v;

	for (size_t i = 0; out && i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i] = (char)v;
	}
	return out;
}

/* The path of JSON object o: path itself, or path_hex's bytes. */
static char *json_path(json_t *o, int *had_hex)
{
	json_t *hex = json_object_get(o, "path_hex");

	*had_hex = hex != NULL;
	if (hex)
		return unhex(json_string_value(hex));
	return strdup(json_string_value(json_object_get(o, "path")));
}

static void check_json_copies(json_t *o, int64_t fno, size_t i)
{
	json_t *c = json_object_get(o, "copies"), *c0, *c1;
	uint64_t hdr = i * 3 * BS + 512 * i;

	CHECK(json_is_array(c) && json_array_size(c) == 2);
	c0 = json_array_get(c, 0);
	c1 = json_array_get(c, 1);
	CHECK_STR(json_string_value(json_object_get(c0, "tape")), "A1");
	CHECK_INT(json_integer_value(json_object_get(c0, "file")), fno);
	CHECK_INT(json_integer_value(json_object_get(c0, "block")),
		  100 * fno + (int64_t)(hdr / BS));
	CHECK_STR(json_string_value(json_object_get(c1, "tape")), "B1");
	CHECK_INT(json_integer_value(json_object_get(c1, "block")),
		  7 + fno + (int64_t)(hdr / BS));
	CHECK_STR(json_string_value(json_object_get(c1, "state")), "good");
}

static void test_jsonl(void)
{
	size_t len = 0;
	uint64_t n = 0;
	char *buf = export_to_mem(EXPORT_JSONL, &len, &n), *line, *save;
	int row = 0, hexes = 0;

	if (!buf)
		return;
	CHECK_INT(n, NNAMES + 2);
	CHECK(len > 0 && buf[len - 1] == '\n');
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), row++) {
		size_t i =
		    row < (int)NNAMES ? (size_t)row : (size_t)row - NNAMES;
		int64_t ar = row < (int)NNAMES ? arch1 : arch2;
		json_error_t e;
		json_t *o = json_loads(line, 0, &e);
		char *path;
		int had_hex;

		CHECK(o != NULL); /* also: valid UTF-8, or jansson refuses */
		if (!o)
			break;
		path = json_path(o, &had_hex);
		CHECK_STR(path, names[i]);
		hexes += had_hex;
		free(path);
		CHECK(json_is_integer(json_object_get(o, "size")));
		CHECK_INT(json_integer_value(json_object_get(o, "uid")),
			  1000 + (int)i);
		CHECK_INT(json_integer_value(json_object_get(o, "mtime")),
			  1700000000 + (int)i);
		CHECK_INT(json_integer_value(json_object_get(o, "archive")),
			  ar);
		if (row == (int)NNAMES - 1) {
			CHECK_STR(json_string_value(json_object_get(o, "type")),
				  "symlink");
			CHECK(json_is_null(json_object_get(o, "md5")));
			CHECK(json_object_get(o, "link_hex") != NULL);
		} else {
			CHECK(json_is_null(json_object_get(o, "link")));
			check_json_copies(o, row < (int)NNAMES ? 1 : 2, i);
		}
		json_decref(o);
	}
	CHECK_INT(row, NNAMES + 2);
	CHECK_INT(hexes, 2); /* "latin1 ..." and "bad ..." */
	free(buf);
}

static void test_formats(void)
{
	enum export_format f;

	CHECK_INT(export_format_parse("csv", &f), 0);
	CHECK_INT(f, EXPORT_CSV);
	CHECK_INT(export_format_parse("jsonl", &f), 0);
	CHECK_INT(f, EXPORT_JSONL);
	CHECK_INT(export_format_parse("xml", &f), -EINVAL);
	CHECK_INT(export_format_parse(NULL, &f), -EINVAL);
}

int main(void)
{
	setup();
	if (!cat)
		return check_done();
	RUN(test_formats);
	RUN(test_csv);
	RUN(test_jsonl);
	catalog_close(cat);
	return check_done();
}
