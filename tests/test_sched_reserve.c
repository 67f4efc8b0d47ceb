/* tests/test_sched_reserve.c - the scheduler's answer to "is this tape
 * being written?" (sched_tape_reserve/release/reserved): counted per
 * tape, independent of other tapes, refused for bad barcodes; an
 * exclusive one (sched_tape_reserve_excl) only on a free tape, and it
 * refuses every other reservation until released. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static void test_reserve(void)
{
	struct changer *c;
	struct sched *s;
	char long_bc[64];

	CHECK_INT(vlib_create("lib", 1, 2, 0), 0);
	c = fx_changer("lib");
	if (!c)
		return;
	s = fx_sched(c, 1);
	if (!s)
		goto out;
	CHECK_INT(sched_tape_reserved(s, "A00001L9"), 0);
	CHECK_INT(sched_tape_reserve(s, "A00001L9"), 0);
	CHECK_INT(sched_tape_reserve(s, "B00001L9"), 0);
	CHECK_INT(sched_tape_reserved(s, "A00001L9"), 1);
	/* exclusive: refused while held, and holding refuses the others */
	CHECK_INT(sched_tape_reserve_excl(s, "A00001L9"), -EBUSY);
	CHECK_INT(sched_tape_reserve_excl(s, "D00001L9"), 0);
	CHECK_INT(sched_tape_reserved(s, "D00001L9"), 1);
	CHECK_INT(sched_tape_reserve(s, "D00001L9"), -EBUSY);
	CHECK_INT(sched_tape_reserve_excl(s, "D00001L9"), -EBUSY);
	sched_tape_release(s, "D00001L9");
	CHECK_INT(sched_tape_reserved(s, "D00001L9"), 0);
	CHECK_INT(sched_tape_reserve(s, "D00001L9"), 0);
	sched_tape_release(s, "D00001L9");
	CHECK_INT(sched_tape_reserve_excl(s, ""), -EINVAL);
	CHECK_INT(sched_tape_reserved(s, "A00001L"), 0);
	/* counted: two reservations need two releases */
	CHECK_INT(sched_tape_reserve(s, "A00001L9"), 0);
	sched_tape_release(s, "A00001L9");
	CHECK_INT(sched_tape_reserved(s, "A00001L9"), 1);
	sched_tape_release(s, "A00001L9");
	CHECK_INT(sched_tape_reserved(s, "A00001L9"), 0);
	CHECK_INT(sched_tape_reserved(s, "B00001L9"), 1);
	/* a release of what is not reserved changes nothing */
	sched_tape_release(s, "A00001L9");
	sched_tape_release(s, NULL);
	CHECK_INT(sched_tape_reserved(s, "B00001L9"), 1);
	sched_tape_release(s, "B00001L9");
	CHECK_INT(sched_tape_reserved(s, "B00001L9"), 0);
	CHECK_INT(sched_tape_reserve(s, ""), -EINVAL);
	CHECK_INT(sched_tape_reserve(s, NULL), -EINVAL);
	memset(long_bc, 'A', sizeof(long_bc) - 1);
	long_bc[sizeof(long_bc) - 1] = 0;
	CHECK_INT(sched_tape_reserve(s, long_bc), -EINVAL);
	/* left reserved at stop: freed with the scheduler */
	CHECK_INT(sched_tape_reserve(s, "C00001L9"), 0);
	sched_stop(s);
out:
	changer_close(c);
}

int main(void)
{
	RUN(test_reserve);
	return check_done();
}
