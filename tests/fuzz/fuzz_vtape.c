/* tests/fuzz/fuzz_vtape.c - a vtape image whose bytes are hostile
 * (tapeio/vtape.h, docs/vtape.md): the header, the record headers, the
 * stored index and its trailer. Opening must never crash, hang nor
 * allocate more than the image's size warrants; an image that opens reads,
 * spaces and locates within what its index says, and vtape_info() and
 * vtape_files() agree with it.
 *
 * Input: a byte of flags, a byte named "at" below, then the image.
 *   bit 0  the image given is the first 256 bytes of the header (the rest
 *          of its 4096 bytes zero), then the records: small inputs reach
 *          the records
 *   bit 1  the trailer's checksum is made right (when a trailer is where
 *          the last 32 bytes say), so that the fuzzer gets past it to the
 *          runs of the stored index
 *   bit 2  open read-write, write one record at lblock "at" (modulo
 *          records + 1), close, and read it back
 * A speed model that would really sleep (time_scale > 0) is set to
 * time_scale 0: the modelled times are charged, not slept. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/vtape_int.h"
#include "tests/fuzz/fuzz.h"

#define F_COMPACT 1
#define F_FIXSUM  2
#define F_WRITE	  4
#define COMPACT	  256
#define READS_MAX 4096

static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The image bytes of the input into *img (malloc'd), their number. */
static size_t image_of(const uint8_t *data, size_t size, int flags,
		       unsigned char **img)
{
	size_t len = size, hlen;
	unsigned char *b;
	double ts;

	if (flags & F_COMPACT) {
		hlen = size < COMPACT ? size : COMPACT;
		len =
		    size < COMPACT ? VT_HDR_SIZE : size - COMPACT + VT_HDR_SIZE;
		b = calloc(1, len);
		FUZZ_ASSERT(b);
		memcpy(b, data, hlen);
		memcpy(b + VT_HDR_SIZE, data + hlen, size - hlen);
	} else {
		b = malloc(len + 1);
		FUZZ_ASSERT(b);
		memcpy(b, data, size);
	}
	if (len >= OFF_MODEL + VT_MODEL_SIZE) {
		memcpy(&ts, b + OFF_MODEL + 40, 8);
		if (isfinite(ts) && ts > 0)
			memset(b + OFF_MODEL + 40, 0, 8);
	}
	if ((flags & F_FIXSUM) && len >= VT_HDR_SIZE + VT_TRL_SIZE) {
		unsigned char *trl = b + len - VT_TRL_SIZE;
		uint64_t eod = get64(trl + 8), n = get64(trl + 16);

		if (n <= len / VT_RUN_SIZE && eod < len &&
		    eod + VT_RH_SIZE + n * VT_RUN_SIZE + VT_TRL_SIZE == len)
			put64(trl + 24,
			      fnv(b + eod + VT_RH_SIZE, n * VT_RUN_SIZE));
	}
	*img = b;
	return len;
}

/* Read every record (a bounded number) and space about. */
static void exercise(struct tape *t, const char *path)
{
	struct tape_status st;
	struct vtape_info info;
	struct vtape_file *fl = NULL;
	uint64_t nf = 0, recs = 0, bytes = 0, l;
	static unsigned char buf[1 << 20];
	ssize_t n;

	FUZZ_ASSERT(vtape_info(path, &info) == 0);
	FUZZ_ASSERT(tape_status(t, &st) == 0 && st.bot && st.lblock == 0);
	for (int i = 0; i < READS_MAX; i++) {
		n = tape_read(t, buf, sizeof(buf));
		if (n == -EIO && tape_status(t, &st) == 0 && st.eod)
			break;
		FUZZ_ASSERT(n >= 0 || n == -ENOMEM || n == -EIO);
	}
	FUZZ_ASSERT(tape_eom(t) == 0 && tape_tell(t, &l) == 0);
	FUZZ_ASSERT(l == info.records + info.filemarks);
	FUZZ_ASSERT(tape_locate(t, l / 2) == 0 && tape_tell(t, &l) == 0);
	FUZZ_ASSERT(tape_status(t, &st) == 0 && st.lblock == l);
	FUZZ_ASSERT(tape_locate(t, UINT64_MAX) == -EIO);
	FUZZ_ASSERT(tape_goto_file(t, 1) == 0 || info.filemarks == 0);
	FUZZ_ASSERT(tape_rewind(t) == 0);
	FUZZ_ASSERT(vtape_files(path, &fl, &nf) == 0);
	for (uint64_t i = 0; i < nf; i++) {
		recs += fl[i].records;
		bytes += fl[i].bytes;
	}
	FUZZ_ASSERT(recs == info.records && bytes == info.used);
	free(fl);
}

/* Write one record at lblock at (modulo the records) and read it back. */
static void write_back(const char *path, unsigned at)
{
	static const char rec[] = "fuzz record";
	struct tape *t = NULL;
	struct vtape_info info;
	char buf[64];
	uint64_t l;

	if (tape_open(&t, tape_backend("vtape"), path, TAPE_RDWR))
		return;
	FUZZ_ASSERT(vtape_info(path, &info) == 0);
	l = at % (info.records + info.filemarks + 1);
	FUZZ_ASSERT(tape_locate(t, l) == 0);
	if (tape_write(t, rec, sizeof(rec)) != (ssize_t)sizeof(rec)) {
		tape_close(t); /* early warning, end of medium, write fault */
		return;
	}
	FUZZ_ASSERT(tape_close(t) == 0);
	t = fuzz_vtape_open(path);
	FUZZ_ASSERT(tape_locate(t, l) == 0);
	FUZZ_ASSERT(tape_read(t, buf, sizeof(buf)) == (ssize_t)sizeof(rec));
	FUZZ_ASSERT(!memcmp(buf, rec, sizeof(rec)));
	FUZZ_ASSERT(tape_read(t, buf, sizeof(buf)) == 0); /* its filemark */
	tape_close(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int flags = size > 0 ? data[0] : 0;
	unsigned at = size > 1 ? data[1] : 0;
	size_t skip = size < 2 ? size : 2;
	struct tape *t = NULL;
	const char *path;
	unsigned char *img;
	size_t len;

	len = image_of(data + skip, size - skip, flags, &img);
	path = fuzz_file("vtape", img, len);
	free(img);
	if (tape_open(&t, tape_backend("vtape"), path, TAPE_RDONLY) == 0) {
		exercise(t, path);
		FUZZ_ASSERT(tape_close(t) == 0);
		if (flags & F_WRITE)
			write_back(path, at);
	}
	return 0;
}
