/* tests/test_mtx_parse.c - the mtx backend without a library: `mtx status`
 * golden texts (tests/golden/mtx/NAME.txt, written after the printf()s of
 * mtx 1.3.12 or, for shim-*, captured from the real mtx over the SG_IO
 * shim; NAME.inv, what they mean), malformed output, the
 * meaning of mtx's error messages, running a command with a timeout, and
 * the retry of "Not Ready" through a stand-in mtx script. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapeio/changer.h"
#include "tapeio/mtx.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

/* The inventory in the words of the .inv files. */
static char *inv_render(const struct changer_inv *inv)
{
	size_t cap = 64 + inv->nelems * 64, len = 0;
	char *s = malloc(cap);

	len +=
	    (size_t)snprintf(s + len, cap - len, "drives %d slots %d ie %d\n",
			     inv->ndrives, inv->nslots, inv->nie);
	for (size_t i = 0; i < inv->nelems; i++) {
		const struct changer_elem *e = &inv->elems[i];
		const char *bc = e->barcode[0] ? e->barcode : "-";

		if (e->type == CHANGER_DRIVE && e->full)
			len += (size_t)snprintf(s + len, cap - len,
						"drive %d full %s source %d\n",
						e->index, bc, e->source);
		else if (e->type == CHANGER_DRIVE)
			len += (size_t)snprintf(s + len, cap - len,
						"drive %d empty\n", e->index);
		else
			len += (size_t)snprintf(
			    s + len, cap - len, "%s %d %s%s\n",
			    e->type == CHANGER_IE ? "ie" : "slot", e->index,
			    e->full ? "full " : "empty", e->full ? bc : "");
	}
	return s;
}

static void golden(const char *name)
{
	char path[1024], err[256] = "";
	char *txt, *want, *got;
	struct changer_inv inv;
	int ret;

	snprintf(path, sizeof(path), "%s/tests/golden/mtx/%s.txt",
		 getenv("TOP") ?: ".", name);
	txt = fx_slurp(path);
	strcpy(path + strlen(path) - 3, "inv");
	want = fx_slurp(path);
	CHECK(txt && want);
	if (!txt || !want)
		goto out;
	ret = mtx_status_parse(txt, &inv, err, sizeof(err));
	CHECK_INT(ret, 0);
	if (ret) {
		fprintf(stderr, "# %s: %s\n", name, err);
		goto out;
	}
	got = inv_render(&inv);
	CHECK_INT(strcmp(got, want), 0);
	if (strcmp(got, want))
		fprintf(stderr, "# %s: got\n%s", name, got);
	free(got);
	changer_inv_free(&inv);
out:
	free(txt);
	free(want);
}

static void test_golden(void)
{
	golden("lib2x24");
	golden("lib2x24-nobarcode");
	golden("lib4x80");
	golden("autoloader1x8");
	golden("lib2x8-unknown-source");
	golden("lib1x8-untagged");
	/* captured from the real mtx over tests/shim/sgshim.c */
	golden("shim-2x6");
	golden("shim-2x6-nobarcode");
	golden("shim-2x6-moved");
}

static void test_details(void)
{
	struct changer_inv inv;
	char err[256];
	const struct changer_elem *e;
	char *txt;
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/golden/mtx/lib4x80.txt",
		 getenv("TOP") ?: ".");
	txt = fx_slurp(path);
	CHECK_INT(mtx_status_parse(txt, &inv, err, sizeof(err)), 0);
	CHECK_INT(inv.nelems, 84);
	e = changer_inv_find(&inv, "C00001L8");
	CHECK(e && e->type == CHANGER_IE && e->index == 78);
	e = changer_inv_find(&inv, "B00010L8");
	CHECK(e && e->type == CHANGER_DRIVE && e->index == 1 &&
	      e->source == 20);
	CHECK(changer_inv_find(&inv, "CLN001L1") != NULL);
	changer_inv_free(&inv);
	free(txt);
}

static void bad(const char *text, const char *why)
{
	struct changer_inv inv = {0};
	char err[256] = "";

	CHECK_INT(mtx_status_parse(text, &inv, err, sizeof(err)), -EPROTO);
	CHECK(inv.elems == NULL);
	CHECK(strstr(err, "unexpected mtx status output") != NULL);
	if (!strstr(err, "unexpected"))
		fprintf(stderr, "# %s: %s\n", why, err);
}

static void test_malformed(void)
{
	const char *hdr = "  Storage Changer /dev/sg3:1 Drives, 2 Slots "
			  "( 0 Import/Export )\n";
	char buf[1024];

	bad("", "empty");
	bad("mtx: cannot open SCSI device\n", "no header");
	snprintf(buf, sizeof(buf), "%sData Transfer Element 0:Empty\n", hdr);
	bad(buf, "truncated");
	snprintf(buf, sizeof(buf),
		 "%sData Transfer Element 0:Empty\n"
		 "      Storage Element 1:Empty\n"
		 "      Storage Element 3:Empty\n",
		 hdr);
	bad(buf, "slot numbers skip");
	snprintf(buf, sizeof(buf),
		 "%sData Transfer Element 0:Half\n"
		 "      Storage Element 1:Empty\n"
		 "      Storage Element 2:Empty\n",
		 hdr);
	bad(buf, "unknown state");
	snprintf(buf, sizeof(buf),
		 "%sData Transfer Element 0:Empty\n"
		 "      Storage Element 1:Empty\n"
		 "      Storage Element 2:Empty\n"
		 "      Storage Element 3:Empty\n",
		 hdr);
	bad(buf, "more than announced");
	bad("  Storage Changer /dev/sg3:1 Drives, 2 Slots ( 3 Import/Export "
	    ")\n",
	    "more i/e than slots");
	snprintf(
	    buf, sizeof(buf),
	    "  Storage Changer /dev/sg3:1 Drives, 2 Slots ( 1 Import/Export )\n"
	    "Data Transfer Element 0:Empty\n"
	    "      Storage Element 1:Empty\n"
	    "      Storage Element 2:Empty\n");
	bad(buf, "i/e slot missing");
	snprintf(buf, sizeof(buf),
		 "%sData Transfer Element 0:Full (Storage Element 3 Loaded)"
		 ":VolumeTag = A00001L9\n"
		 "      Storage Element 1:Empty\n"
		 "      Storage Element 2:Empty\n",
		 hdr);
	bad(buf, "drive loaded from a slot the library does not have");
}

static void map(const char *text, int want, const char *reason)
{
	char got[256] = "";

	CHECK_INT(mtx_error_map(text, got, sizeof(got)), want);
	CHECK_STR(got, reason);
}

static void test_error_map(void)
{
	map("cannot open SCSI device '/dev/sg9' - No such file or directory\n",
	    -ENODEV,
	    "cannot open SCSI device '/dev/sg9' - No such file or directory");
	map("cannot open SCSI device '/dev/sg3' - Permission denied\n", -EACCES,
	    "cannot open SCSI device '/dev/sg3' - Permission denied");
	map("/dev/null is not an sg device, or old sg driver\n", -ENODEV,
	    "/dev/null is not an sg device, or old sg driver");
	map("Source Element Address 4098 is Empty\n", -ENOMEDIUM,
	    "Source Element Address 4098 is Empty");
	map("Drive 0 Full (Storage Element 3 loaded)\n", -EBUSY,
	    "Drive 0 Full (Storage Element 3 loaded)");
	map("Data Transfer Element 1 is Empty\n", -ENOMEDIUM,
	    "Data Transfer Element 1 is Empty");
	map("Storage Element 2 is Already Full\n", -EBUSY,
	    "Storage Element 2 is Already Full");
	map("Destination Element Address 4097 is Already Full\n", -EBUSY,
	    "Destination Element Address 4097 is Already Full");
	map("Invalid <storage-element-number> argument '99' to 'load' "
	    "command\n",
	    -EINVAL,
	    "Invalid <storage-element-number> argument '99' to 'load' command");
	map("Invalid source\n", -EINVAL, "Invalid source");
	map("mtx: Request Sense: Long Report=yes\n"
	    "mtx: Request Sense: Sense Key=Not Ready\n"
	    "mtx: Request Sense: Additional Sense Code = 04\n"
	    "MOVE MEDIUM from Element Address 4096 to 256 Failed\n",
	    -EAGAIN, "MOVE MEDIUM from Element Address 4096 to 256 Failed");
	map("mtx: Request Sense: Long Report=yes\n"
	    "mtx: Request Sense: Sense Key=Hardware Error\n"
	    "mtx: Request Sense: Additional Sense Code = 15\n"
	    "MOVE MEDIUM from Element Address 4096 to 256 Failed\n",
	    -EIO, "MOVE MEDIUM from Element Address 4096 to 256 Failed");
	map("mtx: Request Sense: Sense Key=Illegal Request\n"
	    "mtx: Request Sense: Additional Sense Code = 53\n"
	    "mtx: Request Sense: Additional Sense Qualifier = 02\n"
	    "MOVE MEDIUM from Element Address 256 to 4098 Failed\n",
	    -EBUSY,
	    "MOVE MEDIUM from Element Address 256 to 4098 Failed "
	    "(medium removal prevented: the drive holds its tape)");
	map("Usage:\n\tmtx --version\n", -EINVAL, "\tmtx --version");
	map("", -EIO, "mtx failed without a message");
}

static void test_run(void)
{
	char *argv_ok[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	char *argv_slow[] = {"sleep", "5", NULL};
	char *argv_none[] = {"mtx", NULL};
	char *out = NULL, *err = NULL;
	int status = -1;

	CHECK_INT(mtx_run("sh", argv_ok, 10, &status, &out, &err), 0);
	CHECK_INT(status, 3);
	CHECK_STR(out, "out\n");
	CHECK_STR(err, "err\n");
	free(out);
	free(err);
	CHECK_INT(mtx_run("sleep", argv_slow, 0.3, &status, &out, &err),
		  -ETIMEDOUT);
	CHECK_INT(
	    mtx_run("/nonexistent/mtx", argv_none, 5, &status, &out, &err),
	    -ENOENT);
	CHECK_INT(
	    mtx_run("no-such-mtx-command", argv_none, 5, &status, &out, &err),
	    -ENOENT);
}

/* A stand-in for mtx: says "Not Ready" as many times as the file notready
 * asks, then prints a golden status. */
static void fake_mtx(const char *path, const char *golden_txt)
{
	fx_write_text(
	    path,
	    "#!/bin/sh\n"
	    "n=$(cat notready 2>/dev/null || echo 0)\n"
	    "if [ \"$n\" -gt 0 ]; then\n"
	    "  echo $((n - 1)) > notready\n"
	    "  echo 'mtx: Request Sense: Sense Key=Not Ready' >&2\n"
	    "  echo 'READ ELEMENT STATUS Command Failed' >&2\n"
	    "  exit 1\n"
	    "fi\n"
	    "case \"$3\" in\n"
	    "status) cat '%s' ;;\n"
	    "load) echo 'Source Element Address 4099 is Empty' >&2; exit 1 ;;\n"
	    "*) exit 0 ;;\n"
	    "esac\n",
	    golden_txt);
	chmod(path, 0755);
}

/* The stand-in says "Not Ready" to the next n commands. */
static void notready(int n)
{
	fx_write_text("notready", "%d\n", n);
}

static void test_backend_retry(void)
{
	struct changer *c = NULL;
	struct changer_inv inv;
	char spec[1200], golden_txt[1024], cwd[512];

	snprintf(golden_txt, sizeof(golden_txt),
		 "%s/tests/golden/mtx/lib2x24.txt", getenv("TOP") ?: ".");
	if (!getcwd(cwd, sizeof(cwd)))
		return;
	fake_mtx("fake-mtx", golden_txt);
	snprintf(spec, sizeof(spec), "%s/fake-mtx /dev/sg3 /dev/nst0 /dev/nst1",
		 cwd);
	notready(0);
	CHECK_INT(changer_open(&c, changer_backend("mtx"), spec), 0);
	if (!c)
		return;
	CHECK_INT(mtx_configure(c, 10, 3, 0.01), 0);
	notready(2);
	CHECK_INT(changer_inventory(c, &inv), 0);
	CHECK_INT(inv.ndrives, 2);
	CHECK_INT(inv.nslots, 24);
	changer_inv_free(&inv);
	notready(9);
	CHECK_INT(changer_inventory(c, &inv), -EIO);
	CHECK(strstr(changer_error(c), "library not ready after 4 tries") !=
	      NULL);
	notready(0);
	CHECK_INT(changer_load(c, 4, 1), -ENOMEDIUM);
	CHECK_STR(changer_error(c), "slot 4 is empty (Source Element "
				    "Address 4099 is Empty)");
	{
		char dev[64];

		CHECK_INT(changer_drive_device(c, 1, dev, sizeof(dev)), 0);
		CHECK_STR(dev, "/dev/nst1");
		CHECK_INT(changer_drive_device(c, 2, dev, sizeof(dev)),
			  -ENODEV);
	}
	/* unload to slot 0 asks mtx status for the source: drive 1 is empty */
	CHECK_INT(changer_unload(c, 1, 0), -ENOMEDIUM);
	CHECK_STR(changer_error(c), "drive 1 is empty");
	CHECK_INT(changer_unload(c, 0, 0), 0);
	CHECK_INT(mtx_configure(NULL, 1, 1, 1), -EINVAL);
	changer_close(c);

	CHECK_INT(changer_open(&c, changer_backend("mtx"),
			       "/nonexistent/mtx /dev/sg3"),
		  -ENOENT);
	CHECK_STR(changer_error(NULL),
		  "mtx: command not found ('/nonexistent/mtx')");
	CHECK_INT(changer_open(&c, changer_backend("mtx"), ""), -EINVAL);
}

int main(void)
{
	RUN(test_golden);
	RUN(test_details);
	RUN(test_malformed);
	RUN(test_error_map);
	RUN(test_run);
	RUN(test_backend_retry);
	return check_done();
}
