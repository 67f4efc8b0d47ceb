/* tapeio/scsi_mam.c - READ ATTRIBUTE through SG_IO, its reply and its
 * sense data (tapeio/scsi_mam.h). */
#include <errno.h>
#include <scsi/sg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tapeio/scsi_mam.h"

#define RA_OPCODE     0x8C
#define RA_SA_VALUES  0x00
#define RA_CDB_LEN    16
#define RA_ALLOC      512 /* 0000h and 0001h come first: 26 bytes */
#define RA_TIMEOUT_MS 60000
#define RA_TRIES      3
#define MIB_SHIFT     20

#define DRV_SENSE 0x08 /* sg driver_status: sense data follows */

/* SCSI status bytes (SAM) */
#define ST_BUSY	      0x08
#define ST_RESV_CONFL 0x18

/* sense keys (SPC) */
enum {
	SK_NO_SENSE = 0x0,
	SK_RECOVERED = 0x1,
	SK_NOT_READY = 0x2,
	SK_ILLEGAL_REQUEST = 0x5,
	SK_UNIT_ATTENTION = 0x6,
};
#define ASC_MEDIUM_NOT_PRESENT 0x3A

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int mam_sense_errno(const uint8_t *sense, size_t len)
{
	unsigned key, asc = 0;

	if (len < 3)
		return -EIO;
	switch (sense[0] & 0x7F) {
	case 0x70: /* fixed format, current or deferred */
	case 0x71:
		key = sense[2] & 0x0F;
		asc = len > 12 ? sense[12] : 0;
		break;
	case 0x72: /* descriptor format */
	case 0x73:
		key = sense[1] & 0x0F;
		asc = sense[2];
		break;
	default:
		return -EIO;
	}
	switch (key) {
	case SK_NO_SENSE:
	case SK_RECOVERED:
		return 0;
	case SK_NOT_READY:
		return asc == ASC_MEDIUM_NOT_PRESENT ? -ENOMEDIUM : -EBUSY;
	case SK_ILLEGAL_REQUEST:
		return -EOPNOTSUPP;
	case SK_UNIT_ATTENTION:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* A value in MiB as bytes: 0, or -EIO when it does not fit. */
static int mib_bytes(const uint8_t *p, uint64_t *out)
{
	uint64_t v = get_be(p, 8);

	if (v > (UINT64_MAX >> MIB_SHIFT))
		return -EIO;
	*out = v << MIB_SHIFT;
	return 0;
}

int mam_parse_space(const uint8_t *data, size_t len, struct tape_space *out)
{
	uint64_t avail, cap = 0, rem = 0;
	int have = 0, ret;
	size_t p = 4, end;

	if (len < 4)
		return -EIO;
	avail = get_be(data, 4);
	end = avail < len - 4 ? (size_t)avail + 4 : len;
	while (p + 5 <= end) {
		unsigned id = get16(data + p), alen = get16(data + p + 3);

		if (p + 5 + alen > end)
			break; /* cut by the allocation length */
		if (alen == 8 && id == MAM_ATTR_REMAINING_CAPACITY) {
			ret = mib_bytes(data + p + 5, &rem);
			have |= 1;
		} else if (alen == 8 && id == MAM_ATTR_MAXIMUM_CAPACITY) {
			ret = mib_bytes(data + p + 5, &cap);
			have |= 2;
		} else {
			ret = 0;
		}
		if (ret < 0)
			return ret;
		p += 5 + alen;
	}
	if (have != 3 || cap == 0)
		return -EOPNOTSUPP;
	out->capacity = cap;
	out->remaining = rem < cap ? rem : cap;
	return 0;
}

/* ioctl(SG_IO) refused: the descriptor cannot carry SCSI commands. */
static int sg_io_errno(int err)
{
	switch (err) {
	case ENOTTY:
	case EINVAL:
	case EPERM:
	case EACCES:
	case ENOSYS:
		return -EOPNOTSUPP;
	case EBUSY:
		return -EBUSY;
	case ENOMEDIUM:
		return -ENOMEDIUM;
	default:
		return -EIO;
	}
}

/* One READ ATTRIBUTE: the bytes received into buf (*got), or -errno. */
static int read_attribute(int fd, uint8_t *buf, size_t len, size_t *got)
{
	uint8_t cdb[RA_CDB_LEN] = {RA_OPCODE, RA_SA_VALUES};
	uint8_t sense[64];
	sg_io_hdr_t h;
	unsigned drv;

	/* bytes 8-9 FIRST ATTRIBUTE IDENTIFIER 0000h; 10-13 ALLOCATION */
	cdb[10] = (uint8_t)(len >> 24);
	cdb[11] = (uint8_t)(len >> 16);
	cdb[12] = (uint8_t)(len >> 8);
	cdb[13] = (uint8_t)len;
	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.cmd_len = sizeof(cdb);
	h.cmdp = cdb;
	h.dxfer_direction = SG_DXFER_FROM_DEV;
	h.dxferp = buf;
	h.dxfer_len = (unsigned)len;
	h.sbp = sense;
	h.mx_sb_len = sizeof(sense);
	h.timeout = RA_TIMEOUT_MS;
	if (ioctl(fd, SG_IO, &h) < 0)
		return sg_io_errno(errno);
	drv = h.driver_status & 0x0F;
	if (h.host_status || (drv && drv != DRV_SENSE))
		return -EIO; /* the transport failed, not the command */
	if ((h.status & 0xFE) == ST_BUSY || (h.status & 0xFE) == ST_RESV_CONFL)
		return -EBUSY;
	if ((h.info & SG_INFO_OK_MASK) != SG_INFO_OK) {
		int ret =
		    h.sb_len_wr ? mam_sense_errno(sense, h.sb_len_wr) : -EIO;
		if (ret < 0)
			return ret;
	}
	if (h.resid < 0 || (size_t)h.resid > len)
		return -EIO;
	*got = len - (size_t)h.resid;
	return 0;
}

int mam_read_space(int fd, struct tape_space *out)
{
	uint8_t buf[RA_ALLOC];
	size_t got = 0;
	int ret = -EAGAIN;

	for (int i = 0; i < RA_TRIES && ret == -EAGAIN; i++) {
		memset(buf, 0, sizeof(buf));
		ret = read_attribute(fd, buf, sizeof(buf), &got);
	}
	if (ret == -EAGAIN)
		ret = -EIO;
	if (ret < 0)
		return ret;
	return mam_parse_space(buf, got, out);
}
