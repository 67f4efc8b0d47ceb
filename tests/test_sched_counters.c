/* tests/test_sched_counters.c - what the scheduler tells the status for
 * machines: the bytes each drive's jobs wrote and read (the tape backend's
 * counts, added when a job ends), the slot a drive's tape came from, and
 * each slot as the scheduler knows it (sched_slot_info: a cartridge loaded
 * into a drive has left its slot, one put back is there again, the
 * import/export slots are flagged). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define RECORD (64 * 1024)

struct io_job {
	struct sched_job job;
	int writes, reads; /* records to write, then to read back */
};

static int io_run(struct sched_job *j, const struct sched_run *r)
{
	struct io_job *io = (struct io_job *)j;
	static char buf[RECORD];
	struct tape *t = r->tape[0];
	int ret = tape_goto_file(t, 1);

	for (int i = 0; !ret && i < io->writes; i++)
		if (tape_write(t, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			ret = -EIO;
	if (!ret && io->reads) /* rewind: a filemark ends what was written */
		ret = tape_rewind(t);
	if (!ret && io->reads)
		ret = tape_fsf(t, 1);
	for (int i = 0; !ret && i < io->reads; i++)
		if (tape_read(t, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			ret = -EIO;
	return ret;
}

/* Run one job on the tape barcode and wait for it; its result. */
static int io_do(struct sched *s, const char *barcode, int writes, int reads)
{
	struct io_job io;
	int result = -1, ret;

	memset(&io, 0, sizeof(io));
	io.job.prio = SCHED_PRIO_DUMP;
	io.job.mode = writes ? TAPE_RDWR : TAPE_RDONLY;
	io.job.ntapes = 1;
	snprintf(io.job.barcode[0], sizeof(io.job.barcode[0]), "%s", barcode);
	io.job.run = io_run;
	io.writes = writes;
	io.reads = reads;
	ret = sched_run_wait(s, &io.job, 5, NULL, NULL, &result);
	return ret ? ret : result;
}

/* The drive holding barcode now, -1 none. */
static int drive_of(struct sched *s, const char *barcode,
		    struct sched_drive_status *st)
{
	for (int i = 0; i < sched_ndrives(s); i++)
		if (sched_drive_status(s, sched_drive_id(s, i), st) == 0 &&
		    !strcmp(st->barcode, barcode))
			return st->drive;
	return -1;
}

static void test_counters_and_slots(void)
{
	char dir[512];
	struct fx_lib o = {.drives = 2,
			   .slots = 6,
			   .ie = 2,
			   .tapes = 4,
			   .capacity = 32 << 20,
			   .pools = 1};
	struct changer *c = NULL;
	struct sched *s = NULL;
	struct sched_drive_status st;
	struct sched_slot_info si;
	int d;

	if (fx_mkdtemp(dir, sizeof(dir), "lib") || fx_lib_setup(dir, &o) ||
	    !(c = fx_changer(dir)) || !(s = fx_sched(c, 2)))
		goto out;
	CHECK_INT(sched_nslots(s), 8);
	CHECK_INT(sched_slot_info(s, 2, &si), 0);
	CHECK(si.full && si.tagged && !si.ie);
	CHECK_STR(si.barcode, "A00002L9");
	CHECK_INT(sched_slot_info(s, 5, &si), 0);
	CHECK(!si.full && !si.ie);
	CHECK_STR(si.barcode, "");
	CHECK_INT(sched_slot_info(s, 7, &si), 0);
	CHECK(!si.full && si.ie);
	CHECK_INT(sched_slot_info(s, 8, &si), 0);
	CHECK(si.ie);
	CHECK_INT(sched_slot_info(s, 0, &si), -EINVAL);
	CHECK_INT(sched_slot_info(s, 9, &si), -EINVAL);

	/* 5 records written and 3 read on A00002L9's drive */
	CHECK_INT(io_do(s, "A00002L9", 5, 3), 0);
	d = drive_of(s, "A00002L9", &st);
	CHECK(d >= 0);
	CHECK_INT(st.bytes_written, 5 * RECORD);
	CHECK(st.bytes_read >= 3 * RECORD); /* and the label, if it was read */
	CHECK_INT(st.home, 2);
	CHECK_INT(sched_slot_info(s, 2, &si), 0);
	CHECK(!si.full); /* in the drive now */

	/* a read-only job on the same drive adds to the same totals */
	CHECK_INT(io_do(s, "A00002L9", 0, 2), 0);
	CHECK_INT(drive_of(s, "A00002L9", &st), d);
	CHECK_INT(st.bytes_written, 5 * RECORD);
	CHECK(st.bytes_read >= 5 * RECORD);

	/* back in its slot: the slot is full again, the drive's totals stay */
	CHECK_INT(sched_tape_return(s, "A00002L9"), 0);
	CHECK_INT(sched_slot_info(s, 2, &si), 0);
	CHECK(si.full);
	CHECK_STR(si.barcode, "A00002L9");
	CHECK_INT(sched_drive_status(s, d, &st), 0);
	CHECK_INT(st.home, 0);
	CHECK_STR(st.barcode, "");
	CHECK_INT(st.bytes_written, 5 * RECORD);
out:
	sched_stop(s);
	if (c)
		changer_close(c);
}

int main(void)
{
	test_counters_and_slots();
	return check_done();
}
