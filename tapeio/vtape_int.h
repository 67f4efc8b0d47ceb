/* tapeio/vtape_int.h - what the files of the vtape backend share; not an
 * API (tapeio/vtape.h is). docs/vtape.md documents the on-disk format; the
 * layout constants below are that document.
 *
 *   vtape_format.c  the on-disk encoding: image header, record headers,
 *                   the unreadable table, the stored index (read, written)
 *                   and the walk of the record headers;
 *   vtape_index.c   the in-memory segment index of an image's records;
 *   vtape_admin.c   the offline image functions of vtape.h (create, info,
 *                   files, model, faults, head), used by `tapefs vtape`;
 *   vtape_model.c   the speed model of an open image (struct vt_clock);
 *   vtape.c         the live backend, struct tape_ops vtape_ops: open,
 *                   close, read, positioning, status, trace;
 *   vtape_write.c   its recording: data, filemarks, end of data.
 *
 * Functions returning int return 0 or -errno unless they say otherwise.
 */
#ifndef TAPEFS_VTAPE_INT_H
#define TAPEFS_VTAPE_INT_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "tapeio/tape.h"
#include "tapeio/vtape.h"

/* Image header: VT_HDR_SIZE bytes at offset 0, little-endian. New images
 * are version 2; version 1 images are read and written as version 1. */
#define VT_MAGIC      "TAPEFSVT"
#define VT_VERSION    2
#define VT_HDR_SIZE   4096
#define OFF_VERSION   8
#define OFF_HDRSIZE   12
#define OFF_RHSIZE    16
#define OFF_BARCODE   24
#define OFF_CAPACITY  64
#define OFF_EW	      72
#define OFF_MODEL     80 /* six binary64: rate, load, unload, locate */
#define VT_MODEL_SIZE 48
#define OFF_PROTECT   128 /* u32 */
#define OFF_WFAIL     136 /* u64 bytes left before writes fail */
#define VT_NO_WFAIL   UINT64_MAX
#define OFF_HEAD      144 /* u64 lblock, u64 token: see vtape_head_get() */
/* Version 2: the unreadable records, a table in the header (the reader
 * checks it through the shared mapping, no system call per record). */
#define OFF_NUNREAD   160 /* u32 entries */
#define OFF_UNREAD    168 /* u64 lblocks */
#define VT_UNREAD_MAX ((VT_HDR_SIZE - OFF_UNREAD) / 8)

/* Record header: VT_RH_SIZE bytes, then len bytes of data (data only). */
#define VT_RH_SIZE	16
#define VT_REC_MAGIC	0x43455256u /* "VREC" */
#define VT_DATA		1
#define VT_FILEMARK	2
#define VT_EOD		3
#define VT_F_UNREADABLE 0x01
/* Data records of VT_ALIGN_MIN bytes or more are padded after their header
 * so that their data starts at a multiple of VT_ALIGN in the image: the
 * host page cache then moves whole pages (large folios) for them. */
#define VT_ALIGN     4096
#define VT_ALIGN_MIN 65536

/* Version 2: after the end-of-data header, the index (runs of records of
 * one type and length, VT_RUN_SIZE bytes each) and a trailer of
 * VT_TRL_SIZE bytes ending the file. Written with every end-of-data
 * header; any other write first cuts the file at the record it writes. */
#define VT_RUN_SIZE  24 /* u32 type, u32 0, u64 len, u64 count */
#define VT_TRL_SIZE  32 /* magic, u64 eod offset, u64 runs, u64 FNV-1a */
#define VT_TRL_MAGIC "VTINDEX2"
#define VT_IX_CHECKS 16 /* record headers compared with the index on load */

struct vt_hdr {
	uint32_t version;
	char barcode[VTAPE_BARCODE_MAX];
	uint64_t capacity, early_warning;
	struct vtape_model model;
	uint32_t protect;
	uint64_t wfail;
};

struct vt_rec {
	uint64_t off; /* of its record header */
	uint64_t len; /* data bytes; 0 for a filemark */
	uint64_t cum; /* data bytes recorded before it */
	int type;
	unsigned pad; /* bytes between its header and its data */
};

/* A segment of the index: count consecutive records of one type, length
 * and padding, each right after the other in the image (a stream of equal
 * records is one segment). */
struct vt_seg {
	uint64_t l0; /* lblock of its first record */
	uint64_t count;
	uint64_t off0; /* image offset of its first record header */
	uint64_t cum0; /* data bytes recorded before its first record */
	uint64_t len;
	unsigned pad;
	int type;
};

/* The records from BOT to end of data. */
struct vt_index {
	struct vt_seg *seg;
	uint64_t nseg, segcap;
	uint64_t n;   /* records and filemarks */
	uint64_t *fm; /* lblocks of the filemarks, ascending */
	uint64_t nfm, fmcap;
	uint64_t eod_off; /* where the end-of-data header is (or goes) */
	int clean;	  /* an explicit end-of-data header was found */
	int indexed;	  /* version 2: loaded from a current stored index */
};

/* ---- little-endian fields ---- */

static inline void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static inline void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static inline uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static inline uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

/* ---- vtape_format.c ---- */

/* Whether every number of m is finite and >= 0: 1 or 0. */
int vt_model_valid(const struct vtape_model *m);
/* The VT_MODEL_SIZE bytes of m at p. */
void vt_model_encode(unsigned char *p, const struct vtape_model *m);
/* The VT_HDR_SIZE bytes of h at b. */
void vt_hdr_encode(unsigned char *b, const struct vt_hdr *h);
/* Read and check the header: -EINVAL when fd is not a vtape image of a
 * version this code reads, -EIO when the read fails. */
int vt_hdr_read(int fd, struct vt_hdr *h);
/* Write one u32 / u64 field of the header at off. */
int vt_field32_put(int fd, off_t off, uint32_t v);
int vt_field64_put(int fd, off_t off, uint64_t v);

/* A record header at b. */
void vt_rh_encode(unsigned char *b, int type, int flags, unsigned pad,
		  uint64_t len);
/* Read the record header of r into b: 0 when it says what the index says
 * of r, -EIO when it cannot be read or does not. */
int vt_rh_read(int fd, const struct vt_rec *r, unsigned char *b);
/* Set or clear the unreadable flag of r's header (version 1). */
int vt_rh_flag(int fd, const struct vt_rec *r, int set);
/* Padding a writer puts after the header of a record at off. */
unsigned vt_pad_at(uint64_t off, int type, uint64_t len);

/* What ends an image whose end-of-data header is at ix->eod_off: that
 * header and, in version 2, the index runs and the trailer. Returns the
 * malloc'd bytes (caller frees) and their length in *len, or NULL. */
unsigned char *vt_tail_encode(const struct vt_index *ix, uint32_t version,
			      size_t *len);
/* The index of an image: the stored one (version 2, when current), else
 * walked from the record headers. */
int vt_index_get(struct vt_index *ix, int fd, uint64_t fsize, uint32_t version);

/* Version 2: the unreadable table of the header. tab holds VT_UNREAD_MAX
 * entries; vt_unread_read returns their number or -EIO. */
int vt_unread_read(int fd, uint64_t *tab);
int vt_unread_write(int fd, const uint64_t *tab, uint32_t n);
/* Mark lblock l unreadable: -ENOSPC when the table is full. */
int vt_unread_add(int fd, uint64_t l);
/* Drop the entries at lblock from and after (being written over). */
int vt_unread_cut(int fd, uint64_t from);
/* Whether the table whose bytes (from OFF_NUNREAD on) are at b holds l. */
int vt_unread_has(const unsigned char *b, uint64_t l);

/* ---- vtape_index.c ---- */

void vt_index_free(struct vt_index *ix);
/* Data bytes recorded up to end of data. */
uint64_t vt_used(const struct vt_index *ix);
/* The record at lblock l (l < n). */
struct vt_rec vt_rec_at(const struct vt_index *ix, uint64_t l);
/* Data bytes recorded before lblock l (l <= n). */
uint64_t vt_cum(const struct vt_index *ix, uint64_t l);
/* How many filemarks have an lblock below l. */
uint64_t vt_fm_below(const struct vt_index *ix, uint64_t l);
/* Append m records of one type, length and padding, the first at image
 * offset off, the others following each other: 0 or -ENOMEM. */
int vt_index_push_n(struct vt_index *ix, uint64_t off, int type, unsigned pad,
		    uint64_t len, uint64_t m);
int vt_index_push(struct vt_index *ix, uint64_t off, int type, unsigned pad,
		  uint64_t len);
/* Forget everything from lblock l on (a write there truncates); eod_off
 * becomes where lblock l was. */
void vt_index_truncate(struct vt_index *ix, uint64_t l);

/* ---- vtape_model.c ---- */

/* The modelled drive of one open image (vtape.h: struct vtape_model). */
struct vt_clock {
	struct vtape_model m; /* as read at open */
	double free_at;	      /* monotonic time the drive is done */
	double charged;	      /* modelled seconds, unscaled */
};

/* The monotonic clock, in seconds. */
double vt_now(void);
void vt_clock_start(struct vt_clock *c, const struct vtape_model *m);
/* Modelled seconds of moving bytes / of a move over bytes of data. */
double vt_clock_xfer(const struct vt_clock *c, uint64_t bytes);
double vt_clock_locate(const struct vt_clock *c, uint64_t bytes);
/* Charge s modelled seconds: the drive is busy s * time_scale longer. */
void vt_clock_charge(struct vt_clock *c, double s);
/* Sleep until the drive has done everything charged. */
void vt_clock_wait(struct vt_clock *c);
/* Sleep until what is charged fits in the drive's buffer. */
void vt_clock_wait_buffered(struct vt_clock *c);

/* ---- vtape.c and vtape_write.c: an open image ---- */

/* One open image. Used by one thread at a time (tape.h): no lock. */
struct vtape {
	int fd;
	int offline; /* after tape_offline(): no medium */
	struct vt_hdr h;
	struct vt_index ix;
	uint64_t pos;	/* current lblock */
	uint64_t fsize; /* host file size */
	int eod_clean;	/* the end-of-data header is written, nothing after */
	const unsigned char *hmap; /* the header, mapped shared: faults */
	uint64_t flushed; /* image bytes before it were sent to the disk */
	int last_write;	  /* last operation wrote data: filemark on close */
	int ew_pending;	  /* past early warning: the next write gets ENOSPC */
	struct tape_counters cnt; /* but model_seconds: clk.charged */
	struct vt_clock clk;
	int trace_fd;
	/* Data records written around the host page cache (vtape_write.c):
	 * the image opened again with O_DIRECT (-1: not yet; -2: the host
	 * file system refuses it), and one aligned block for a record's
	 * header and padding. */
	int dfd;
	unsigned char *dblk;
	/* direct writes in a row that took longer than the modelled drive
	 * took for them: at VT_DIRECT_SLOW the host disk, not the drive,
	 * would set the pace, and records go through the cache again */
	int dslow;
};

/* vtape.c: append one line "<barcode> <fmt...>" to the trace, if any
 * (docs/vtape.md lists the lines); never fails. */
__attribute__((format(printf, 2, 3))) void vt_trace(struct vtape *v,
						    const char *fmt, ...);
/* vtape.c: re-read the protect flag and the write-fail budget into v->h,
 * so that an injection made while the image is open takes effect at once. */
int vt_faults_read(struct vtape *v);

/* vtape_write.c: the write and weof of vtape_ops; vt_direct_close()
 * closes the O_DIRECT descriptor, if any (at close). */
void vt_direct_close(struct vtape *v);
ssize_t vt_write(struct tape *t, const void *buf, size_t len);
int vt_weof(struct tape *t, unsigned count);
/* Write count filemarks (0: only flush) at the current position and wait
 * until everything before them is on the host disk. */
int vt_weof_n(struct vtape *v, unsigned count);
/* End the image at the current end of data: its end-of-data header (and
 * stored index) written, nothing after it. */
int vt_eod_write(struct vtape *v);

#endif
